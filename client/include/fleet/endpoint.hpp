#pragma once
// Where the server is: parsing of the user-supplied base URL and building of the WebSocket target.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace fleet {

struct Endpoint {
  bool tls = false;       // https / wss
  std::string host;       // for DNS and TLS SNI/verification: "example.com", "127.0.0.1", "::1" (no brackets)
  std::string port;       // always set: explicit, or 80 / 443 by scheme
  std::string base_path;  // path prefix without trailing '/', "" for the root (e.g. "/fleet" behind a proxy)

  // Value for the Host header: host[:port], IPv6 literals bracketed, default ports omitted.
  std::string host_header() const;
  // "http(s)://host[:port]" + base_path; HTTP requests append their own path.
  std::string http_origin() const;
  // "ws(s)://host[:port]" + base_path + "/ws" (no token).
  std::string ws_url() const;
};

// Accepts http://, https://, ws:// and wss:// URLs (http maps to ws, https to wss). A query or fragment is
// refused; userinfo is refused (credentials never go in URLs). Errors: ErrorCode::invalid_field.
Result<Endpoint> parse_endpoint(std::string_view base_url);

// Percent-encodes everything except RFC 3986 unreserved characters, so '+', '/', '=' and '&' survive any
// query decoder ('+' would otherwise become a space).
std::string url_encode_component(std::string_view s);

// Request target for the WebSocket upgrade: base_path + "/ws?token=" + url_encode_component(token).
std::string ws_target(const Endpoint& ep, std::string_view token);

// For logs: the first 8 characters followed by "…", never the whole secret.
std::string redact_secret(std::string_view secret);

}  // namespace fleet
