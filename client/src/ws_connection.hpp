#pragma once
// One WebSocket connection attempt and its lifetime (internal to fleet_client). Runs entirely on the
// io_context it was created with; callers must use it from that context's thread only.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "fleet/endpoint.hpp"

namespace fleet::detail {

struct WsEvents {
  std::function<void()> on_open;                  // upgrade completed
  std::function<void(std::string text)> on_text;  // one complete text message
  // Exactly once per connection, after which no other event fires: the close frame's code and reason, or
  // 1006 and the error text when the connection failed or dropped without one.
  std::function<void(std::uint16_t code, std::string reason)> on_end;
};

struct WsTimeouts {
  std::chrono::milliseconds
      handshake;                   // resolve excluded; TCP connect + TLS + upgrade, and the close handshake
  std::chrono::milliseconds idle;  // no frames for this long -> dead (pings are sent at half of it)
};

class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Resolves, connects and upgrades to `target` (path + query). Call once.
  virtual void start(const Endpoint& ep, std::string target) = 0;
  // Queues a text message; dropped when the connection is not open.
  virtual void send_text(std::string text) = 0;
  // Graceful close (1000) when open, otherwise aborts the attempt. on_end still fires.
  virtual void close() = 0;
};

// tls_context is required when ep.tls is set and must outlive the connection.
std::shared_ptr<WsConnection> make_ws_connection(boost::asio::io_context& ioc,
                                                 boost::asio::ssl::context* tls_context, bool tls,
                                                 WsTimeouts timeouts, WsEvents events);

}  // namespace fleet::detail
