#pragma once
// One WebSocket connection: authenticate, hello + snapshot, then live telemetry from the worker's hub.
// Lives on one worker and is touched only on its thread. Keeps exactly one write in flight: everything
// else waits in the control queue or the outbox, and the next write drains all of it as one frame.
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
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
  WsSession(boost::asio::ip::tcp::socket&& socket, Worker& worker, NetContext& ctx);
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

  // Over a plain socket rather than beast::tcp_stream: the WebSocket stream's own timeouts (handshake,
  // idle pings) are all a session needs, and tcp_stream would add a heap block with three timers
  // (~0.5 KiB per idle session) and one more layer to every read and write. deflateSupported = false:
  // permessage-deflate is never negotiated (frames are shared slices written as they are).
  boost::beast::websocket::stream<boost::asio::ip::tcp::socket, false> ws_;
  Worker& worker_;
  NetContext& ctx_;
  Phase phase_ = Phase::upgrading;
  std::string token_;
  auth::Principal principal_;
  bool subscribed_ = false;
  bool writing_ = false;
  bool close_pending_ = false;
  proto::CloseReason close_reason_ = proto::CloseReason::normal;
  // Client messages are rare and tiny (a ping is 15 bytes). async_read into a flat_buffer would make Beast
  // reserve 1,536 bytes for every waiting read, i.e. on every idle connection; instead reads go into this
  // inline chunk, and only a message longer than it is assembled in read_message_ (then released).
  std::array<char, 64> read_chunk_{};
  std::string read_message_;
  boost::asio::steady_timer expiry_timer_;
  hub::Outbox outbox_;
  std::vector<std::string> control_;              // hello, snapshot, pong: sent before queued telemetry
  std::vector<hub::Slice> inflight_;              // keeps the shared bytes of the current write alive
  std::vector<boost::asio::const_buffer> bufs_;   // gather list of the current telemetry write
  bool control_inflight_ = false;
  bool flush_scheduled_ = false;
};

}  // namespace fleet::net
