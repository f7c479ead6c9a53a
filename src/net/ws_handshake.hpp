#pragma once
// The server side of the WebSocket opening handshake (RFC 6455 4.2): checks an upgrade request that
// HttpSession already parsed and builds the 101 answer. No subprotocol and no extension is ever selected.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>

namespace fleet::net {

struct HandshakeCheck {
  int status = 101;          // 101: accept; 400 (not a valid upgrade) or 426 (unsupported version): refuse
  std::string_view message;  // why it was refused, for the JSON error body
  std::string accept;        // Sec-WebSocket-Accept when status is 101
};

// Validates a GET /ws upgrade: HTTP/1.1 or later, `Upgrade: websocket`, `Connection` listing `upgrade`
// (token lists, case-insensitive), `Sec-WebSocket-Version: 13` (else 426, which must carry
// `Sec-WebSocket-Version: 13`) and a `Sec-WebSocket-Key` that is base64 of 16 bytes (else 400).
HandshakeCheck check_upgrade(const boost::beast::http::request<boost::beast::http::string_body>& req);

// The bytes of the "101 Switching Protocols" response for an accepted upgrade.
std::string switching_protocols_response(std::string_view accept);

}  // namespace fleet::net
