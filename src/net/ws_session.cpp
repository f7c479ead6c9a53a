#include "net/ws_session.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <utility>

#include "core/strict_json.hpp"
#include "net/worker.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "proto/messages.hpp"

namespace fleet::net {
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

namespace {

struct WsMetrics {
  obs::Registry& r = obs::Registry::global();
  obs::Gauge& connections = r.gauge("fleet_ws_connections", "Open WebSocket sessions");
  obs::Counter& accepted = r.counter("fleet_ws_handshakes_total", "WebSocket handshakes by outcome", R"(outcome="accepted")");
  obs::Counter& missing = r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="missing_token")");
  obs::Counter& invalid = r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="invalid_token")");
  obs::Counter& no_org = r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="no_organization")");
  obs::Counter& pending = r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="pending_session")");
  obs::Counter& busy = r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="server_busy")");
  obs::Counter& frames = r.counter("fleet_ws_frames_sent_total", "WebSocket messages written (telemetry frames batch many events)");
  obs::Counter& bytes = r.counter("fleet_ws_bytes_sent_total", "WebSocket payload bytes written");
  obs::Counter& closes_expired = r.counter("fleet_ws_closes_total", "Server-initiated closes by reason", R"(reason="token_expired")");
  obs::Counter& closes_shutdown = r.counter("fleet_ws_closes_total", "", R"(reason="shutdown")");
  obs::Counter& closes_slow = r.counter("fleet_ws_closes_total", "", R"(reason="slow_consumer")");
  obs::Counter& closes_other = r.counter("fleet_ws_closes_total", "", R"(reason="other")");

  static WsMetrics& get() {
    static WsMetrics m;
    return m;
  }
};

// Registered at start-up so every series is exported (as 0) before its first event.
[[maybe_unused]] const WsMetrics& registered_wsmetrics = WsMetrics::get();

proto::CloseReason close_reason_for(auth::AuthFailure f) {
  switch (f) {
    case auth::AuthFailure::missing_token: return proto::CloseReason::missing_token;
    case auth::AuthFailure::invalid_token: return proto::CloseReason::invalid_token;
    case auth::AuthFailure::no_organization: return proto::CloseReason::no_organization;
    case auth::AuthFailure::pending_session: return proto::CloseReason::pending_session;
  }
  return proto::CloseReason::invalid_token;
}

// Asio's default handler allocator hands every operation a recycled per-thread block of up to ~1 KiB if
// one is cached, whatever the operation's size. An idle session's long-lived waits (its read, its expiry
// timer) would then each pin such a block (e.g. the 101 response's write, ~0.75 KiB) for the life of the
// connection. Binding this allocator makes those two allocate exactly what they need, from malloc.
template <class T>
struct ExactAllocator {
  using value_type = T;
  ExactAllocator() noexcept = default;
  template <class U>
  ExactAllocator(const ExactAllocator<U>&) noexcept {}  // implicit: allocators rebind by conversion
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const ExactAllocator<U>&) const noexcept { return true; }
};

template <class Handler>
auto allocate_exactly(Handler&& handler) {
  return boost::asio::bind_allocator(ExactAllocator<void>(), std::forward<Handler>(handler));
}

bool is_ping(std::string_view text) {
  auto json = parse_strict_json(text, JsonLimits{4, 4096});
  if (!json || !json->is_object()) return false;
  const auto* type = json->get_object().if_contains("type");
  return type && type->is_string() && type->get_string() == "ping";
}

}  // namespace

WsSession::WsSession(boost::asio::ip::tcp::socket&& socket, Worker& worker, NetContext& ctx)
    : ws_(std::move(socket)),
      worker_(worker),
      ctx_(ctx),
      expiry_timer_(worker.io()),
      outbox_(ctx.options.outbox) {
  worker_.sessions().insert(this);
  WsMetrics::get().connections.add(1);
}

WsSession::~WsSession() {
  leave_hub();
  worker_.sessions().erase(this);
  ctx_.ws_sessions.fetch_sub(1, std::memory_order_relaxed);
  WsMetrics::get().connections.sub(1);
}

void WsSession::run(beast::http::request<beast::http::string_body> req, std::string token) {
  token_ = std::move(token);
  websocket::stream_base::timeout t{};
  t.handshake_timeout = ctx_.options.handshake_timeout;
  t.idle_timeout = ctx_.options.ws_idle_timeout;
  t.keep_alive_pings = true;
  ws_.set_option(t);
  ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(beast::http::field::server, "fleetd/" FLEET_VERSION);
  }));
  ws_.read_message_max(ctx_.options.ws_max_message);
  ws_.auto_fragment(false);
  ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
}

void WsSession::on_accept(beast::error_code ec) {
  if (ec) return;  // the peer went away mid-handshake; destruction cleans up
  auto& m = WsMetrics::get();
  if (ctx_.stopping.load()) return close(proto::CloseReason::shutdown);
  if (ctx_.ws_sessions.load(std::memory_order_relaxed) > ctx_.options.max_connections) {
    m.busy.inc();
    return close(proto::CloseReason::server_busy);
  }
  phase_ = Phase::authenticating;
  do_read();  // notices the peer's close while we authenticate
  // The authenticator usually answers inline (keys at hand), on this worker: dispatch then runs on_auth
  // at once, saving a queued handler per handshake. An answer from the key-refresh thread (after a JWKS
  // refresh) is posted back to our worker. Either way this is the last thing on_accept does.
  std::string token = std::move(token_);
  ctx_.authenticator.authenticate(token, [self = shared_from_this()](auth::AuthOutcome outcome) {
    boost::asio::dispatch(self->worker_.io(), [self, o = std::move(outcome)]() mutable { self->on_auth(std::move(o)); });
  });
}

void WsSession::on_auth(auth::AuthOutcome outcome) {
  if (phase_ != Phase::authenticating) return;
  auto& m = WsMetrics::get();
  if (!outcome.ok) {
    switch (outcome.failure) {
      case auth::AuthFailure::missing_token: m.missing.inc(); break;
      case auth::AuthFailure::invalid_token: m.invalid.inc(); break;
      case auth::AuthFailure::no_organization: m.no_org.inc(); break;
      case auth::AuthFailure::pending_session: m.pending.inc(); break;
    }
    obs::debug("ws auth refused", {{"reason", outcome.detail}});
    return close(close_reason_for(outcome.failure));
  }
  m.accepted.inc();
  principal_ = std::move(outcome.principal);
  phase_ = Phase::snapshotting;
  // Subscribe before asking for the snapshot: every batch committed after the snapshot is then already
  // queued here, and drop_through(snapshot.seq) removes the ones the snapshot covers.
  worker_.hub().subscribe(principal_.tenant, this);
  subscribed_ = true;
  arm_expiry();
  ctx_.store.snapshot(principal_.tenant, [self = shared_from_this()](Result<store::Snapshot> r) {
    boost::asio::post(self->worker_.io(), [self, r = std::move(r)]() mutable { self->on_snapshot(std::move(r)); });
  });
}

void WsSession::on_snapshot(Result<store::Snapshot> snapshot) {
  if (phase_ != Phase::snapshotting) return;
  if (!snapshot) {
    obs::warn("snapshot failed", {{"tenant", principal_.tenant.str()}, {"error", snapshot.error().message}});
    return close(proto::CloseReason::internal);
  }
  proto::Hello hello{principal_.tenant.str(), principal_.user.str(), principal_.role, principal_.exp_s,
                     "fleetd/" FLEET_VERSION, snapshot->seq};
  send_control(proto::encode_hello(hello));
  send_control(proto::encode_snapshot(snapshot->seq, snapshot->devices));
  outbox_.drop_through(snapshot->seq);
  phase_ = Phase::live;
  flush();
}

void WsSession::arm_expiry() {
  const std::int64_t deadline_ms = (principal_.exp_s + ctx_.options.clock_skew_s) * 1000;
  const std::int64_t wait_ms = std::max<std::int64_t>(0, deadline_ms - ctx_.clock.now_ms());
  expiry_timer_.expires_after(std::chrono::milliseconds(wait_ms));
  expiry_timer_.async_wait(allocate_exactly([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    WsMetrics::get().closes_expired.inc();
    self->close(proto::CloseReason::token_expired);
  }));
}

void WsSession::do_read() {
  // read_message_max still bounds the whole message: Beast counts it across read_some calls.
  ws_.async_read_some(boost::asio::buffer(read_chunk_), allocate_exactly([self = shared_from_this()](
                                                           beast::error_code ec, std::size_t n) { self->on_read(ec, n); }));
}

void WsSession::on_read(beast::error_code ec, std::size_t n) {
  if (ec == websocket::error::message_too_big) return close(proto::CloseReason::too_big);
  if (ec) {
    // Closed by the peer, timed out or failed: stop everything; the last shared_ptr releases us.
    phase_ = Phase::closing;
    expiry_timer_.cancel();
    leave_hub();
    return;
  }
  if (!ws_.got_text()) return close(proto::CloseReason::unsupported);
  const std::string_view chunk(read_chunk_.data(), n);
  if (!ws_.is_message_done()) {
    read_message_.append(chunk);
    return do_read();
  }
  std::string_view text = chunk;
  if (!read_message_.empty()) {
    read_message_.append(chunk);
    text = read_message_;
  }
  // Protocol 1 knows one client message; anything else is ignored (reserved for later versions).
  if (phase_ == Phase::live && is_ping(text)) {
    send_control(R"({"type":"pong"})");
    flush();
  }
  std::string().swap(read_message_);  // an idle session keeps no read buffer
  do_read();
}

void WsSession::send_control(std::string message) { control_.push_back(std::move(message)); }

void WsSession::on_ready() {
  if (flush_scheduled_ || writing_) return;  // an in-flight write drains the outbox when it completes
  flush_scheduled_ = true;
  worker_.schedule_flush(weak_from_this());
}

void WsSession::flush_now() {
  flush_scheduled_ = false;
  flush();
}

void WsSession::flush() {
  if (writing_ || phase_ == Phase::closing) return;
  if (close_pending_) return do_close();
  auto& m = WsMetrics::get();
  if (!control_.empty()) {
    writing_ = true;
    control_inflight_ = true;
    m.frames.inc();
    m.bytes.inc(control_.front().size());
    ws_.text(true);
    ws_.async_write(boost::asio::buffer(control_.front()),
                    [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_write(ec, n); });
    return;
  }
  if (phase_ != Phase::live || outbox_.empty()) return;
  inflight_.clear();
  outbox_.take(inflight_, ctx_.options.max_frame_bytes);
  bufs_.clear();
  bufs_.reserve(inflight_.size() * 2 + 1);
  bufs_.emplace_back(proto::kTelemetryHead.data(), proto::kTelemetryHead.size());
  std::size_t bytes = proto::kTelemetryHead.size() + proto::kTelemetryTail.size();
  for (std::size_t i = 0; i < inflight_.size(); ++i) {
    if (i > 0) bufs_.emplace_back(",", 1);
    const std::string_view s = inflight_[i].bytes();
    bufs_.emplace_back(s.data(), s.size());
    bytes += s.size() + (i > 0 ? 1 : 0);
  }
  bufs_.emplace_back(proto::kTelemetryTail.data(), proto::kTelemetryTail.size());
  writing_ = true;
  m.frames.inc();
  m.bytes.inc(bytes);
  ws_.text(true);
  ws_.async_write(bufs_, [self = shared_from_this()](beast::error_code ec, std::size_t n) { self->on_write(ec, n); });
}

void WsSession::on_write(beast::error_code ec, std::size_t) {
  writing_ = false;
  if (control_inflight_) {
    control_inflight_ = false;
    control_.erase(control_.begin());  // a handful at most; a deque would cost idle sessions ~600 bytes
    if (control_.empty()) control_.shrink_to_fit();  // nor keep the capacity hello + snapshot needed
  }
  inflight_.clear();
  if (ec) {
    phase_ = Phase::closing;
    expiry_timer_.cancel();
    leave_hub();
    return;
  }
  flush();
}

void WsSession::close(proto::CloseReason reason) {
  if (phase_ == Phase::closing || close_pending_) return;
  close_reason_ = reason;
  close_pending_ = true;
  leave_hub();  // a closing session receives nothing more
  expiry_timer_.cancel();
  if (!writing_) do_close();
}

void WsSession::do_close() {
  phase_ = Phase::closing;
  close_pending_ = false;
  auto& m = WsMetrics::get();
  switch (close_reason_) {
    case proto::CloseReason::shutdown: m.closes_shutdown.inc(); break;
    case proto::CloseReason::slow_consumer: m.closes_slow.inc(); break;
    case proto::CloseReason::token_expired: break;  // counted where the timer fired
    default: m.closes_other.inc(); break;
  }
  const proto::CloseInfo info = proto::close_info(close_reason_);
  websocket::close_reason cr(static_cast<websocket::close_code>(info.code), info.reason);
  ws_.async_close(cr, [self = shared_from_this()](beast::error_code) {});
}

void WsSession::shutdown() { close(proto::CloseReason::shutdown); }

void WsSession::leave_hub() {
  if (!subscribed_) return;
  worker_.hub().unsubscribe(principal_.tenant, this);
  subscribed_ = false;
}

}  // namespace fleet::net
