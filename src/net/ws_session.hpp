#pragma once
// One WebSocket connection: authenticate, hello + snapshot, then live telemetry from the worker's hub.
// Lives on one worker and is touched only on its thread. Keeps exactly one write in flight: everything
// else waits in the control queue or the outbox, and the next write drains all of it as one frame.
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "hub/tenant_hub.hpp"
#include "net/net_context.hpp"
#include "proto/close_codes.hpp"
#include "store/store.hpp"

namespace fleet::net {

class Worker;

class WsSession final : public std::enable_shared_from_this<WsSession>, public hub::Subscriber {
 public:
  WsSession(boost::beast::tcp_stream&& stream, Worker& worker, NetContext& ctx);
  ~WsSession() override;

  // Completes the upgrade, then authenticates `token` (empty: none was presented).
  void run(boost::beast::http::request<boost::beast::http::string_body> req, std::string token);

  // Graceful shutdown: close with 1001.
  void shutdown();

  hub::Outbox& outbox() noexcept override { return outbox_; }
  // Defers the write to the worker's next drain, so a burst of publishes becomes one frame.
  void on_ready() override;
  // Called by the worker's drain.
  void flush_now();
  void on_overflow() override { close(proto::CloseReason::slow_consumer); }

 private:
  enum class Phase { upgrading, authenticating, snapshotting, live, closing };

  void on_accept(boost::beast::error_code ec);
  void on_auth(auth::AuthOutcome outcome);
  void on_snapshot(Result<store::Snapshot> snapshot);
  void arm_expiry();
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t n);
  void send_control(std::string message);
  void flush();
  void on_write(boost::beast::error_code ec, std::size_t n);
  void close(proto::CloseReason reason);
  void do_close();
  void leave_hub();

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  Worker& worker_;
  NetContext& ctx_;
  Phase phase_ = Phase::upgrading;
  std::string token_;
  auth::Principal principal_;
  bool subscribed_ = false;
  bool writing_ = false;
  bool close_pending_ = false;
  proto::CloseReason close_reason_ = proto::CloseReason::normal;
  boost::beast::flat_buffer read_buffer_;
  boost::asio::steady_timer expiry_timer_;
  hub::Outbox outbox_;
  std::vector<std::string> control_;              // hello, snapshot, pong: sent before queued telemetry
  std::vector<hub::Slice> inflight_;              // keeps the shared bytes of the current write alive
  std::vector<boost::asio::const_buffer> bufs_;   // gather list of the current telemetry write
  bool control_inflight_ = false;
  bool flush_scheduled_ = false;
};

}  // namespace fleet::net
