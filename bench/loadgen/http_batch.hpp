#pragma once
// Many independent set-up requests at once: spread over a few keep-alive connections, answered in request
// order. Creating 10,000 devices one blocking request at a time takes minutes (each creation is a durable
// commit); a few in flight let the server commit them in groups.
#include <chrono>
#include <string>
#include <vector>

#include "http.hpp"
#include "net.hpp"

namespace loadgen {

// Sends every request (complete HTTP/1.1 requests, see build_http_request) over `connections` keep-alive
// connections and returns the responses in the order of `requests`. Throws std::runtime_error when a
// connection fails with a request in flight, or at the deadline.
std::vector<HttpResponse> http_call_all(const Endpoint& server, const std::vector<std::string>& requests,
                                        int connections, std::chrono::seconds timeout);

}  // namespace loadgen
