#include "net/ws_handshake.hpp"

#include <boost/beast/http/field.hpp>

#include "net/ws_frame.hpp"

namespace fleet::net {
namespace http = boost::beast::http;

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether any `field` line of the request is a comma-separated list holding `token` (RFC 9110 5.6.1).
bool has_token(const http::request<http::string_body>& req, http::field field, std::string_view token) {
  auto [it, end] = req.equal_range(field);
  for (; it != end; ++it) {
    std::string_view list(it->value().data(), it->value().size());
    while (!list.empty()) {
      const auto comma = list.find(',');
      const std::string_view item = trim(list.substr(0, comma));
      if (iequals(item, token)) return true;
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  return false;
}

}  // namespace

HandshakeCheck check_upgrade(const http::request<http::string_body>& req) {
  constexpr std::string_view kNotUpgrade = "/ws expects a WebSocket upgrade";
  if (req.method() != http::verb::get || req.version() < 11 ||
      !has_token(req, http::field::upgrade, "websocket") ||
      !has_token(req, http::field::connection, "upgrade")) {
    return {400, kNotUpgrade, {}};
  }
  if (trim(std::string_view(req[http::field::sec_websocket_version])) != "13") {
    return {426, "unsupported Sec-WebSocket-Version (13 is supported)", {}};
  }
  if (req.count(http::field::sec_websocket_key) != 1) return {400, "missing Sec-WebSocket-Key", {}};
  const std::string_view key = trim(std::string_view(req[http::field::sec_websocket_key]));
  if (!ws::is_valid_client_key(key)) return {400, "Sec-WebSocket-Key is not base64 of 16 bytes", {}};
  std::string accept = ws::accept_key(key);
  if (accept.empty()) return {500, "cannot compute Sec-WebSocket-Accept", {}};
  return {101, {}, std::move(accept)};
}

std::string switching_protocols_response(std::string_view accept) {
  std::string out;
  out.reserve(160);
  out.append(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
      "Upgrade\r\nSec-WebSocket-Accept: ");
  out.append(accept);
  out.append("\r\nServer: fleetd/" FLEET_VERSION "\r\n\r\n");
  return out;
}

}  // namespace fleet::net
