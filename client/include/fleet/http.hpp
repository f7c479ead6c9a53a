#pragma once
// A small synchronous HTTP/1.1 client (Beast) for fleetctl and tests: one request at a time, keep-alive,
// http and https (peer + host name verification), every step bounded by a timeout.
//
// Transport failures (DNS, connect, TLS, timeout, malformed response) are errors
// (ErrorCode::unavailable); any HTTP status, including 4xx/5xx, is a successful Response.
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "fleet/endpoint.hpp"

namespace fleet::http {

struct Response {
  unsigned status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;  // the Retry-After header of a 503, if any

  bool ok() const noexcept { return status >= 200 && status < 300; }
};

struct Options {
  std::chrono::milliseconds timeout{10'000};  // per step: resolve, connect, TLS, write, read
  std::string ca_file;                        // PEM bundle for https; empty = the system store
  std::size_t max_body = 64u << 20;
};

// A persistent connection to one origin (scheme, host, port). Not thread-safe: one per thread.
// Reconnects transparently when the server closed an idle keep-alive connection.
class Connection {
 public:
  // base_url as for parse_endpoint(); its path becomes a prefix of every target.
  static Result<std::unique_ptr<Connection>> open(std::string_view base_url, Options options = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // target: "/api/v1/devices" (prefixed with the base URL's path). bearer: sent as
  // "Authorization: Bearer <bearer>" when non-empty. body: sent as application/json when non-empty
  // (or always for POST/PUT/PATCH).
  Result<Response> request(std::string_view method, std::string_view target, std::string_view bearer = {},
                           std::string_view body = {});

 private:
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// One request on a fresh connection. url: absolute ("http://127.0.0.1:3000/api/v1/me").
Result<Response> request(std::string_view method, std::string_view url, std::string_view bearer = {},
                         std::string_view body = {}, const Options& options = {});

}  // namespace fleet::http
