#pragma once
// Protocol-free HTTP request/response values: the transport converts Beast messages to and from these,
// so every handler is a plain function that can be unit-tested without sockets.
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace fleet::api {

struct Request {
  std::string method;         // "GET", "POST", ...
  std::string path;           // percent-decoded path, no query
  std::string query;          // raw query string without '?', still percent-encoded
  std::string authorization;  // raw Authorization header value, may be empty
  std::string body;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Retry-After
};

// Completes a request. May be called from any thread, exactly once.
using Responder = std::function<void(Response)>;

}  // namespace fleet::api
