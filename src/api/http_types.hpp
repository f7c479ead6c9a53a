#pragma once
// Protocol-free HTTP request/response values: the transport converts Beast messages to and from these,
// so every handler is a plain function that can be unit-tested without sockets.
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
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

// What the transport knows of a request once its headers are read, before any of its body.
struct RequestHead {
  std::string_view method;
  std::string_view path;  // percent-decoded, no query
  std::string_view authorization;
};

// The router's answer to a head: refuse now, so the body is never read, or read a body of at most
// `body_limit` bytes (the transport's own --http-max-body applies too).
struct Admission {
  std::optional<Response> refusal;
  std::size_t body_limit = 0;
};

// Completes a request. May be called from any thread, exactly once.
using Responder = std::function<void(Response)>;

}  // namespace fleet::api
