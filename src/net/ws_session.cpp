#include "net/ws_session.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <iterator>
#include <limits>
#include <utility>

#include "auth/share_registry.hpp"
#include "net/nonblocking_io.hpp"
#include "net/worker.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "proto/messages.hpp"

namespace fleet::net {
namespace {

using Clock = std::chrono::steady_clock;

// After our close frame is written, how long the peer has to answer with its own (or hang up) before the
// socket is closed anyway. Short: it bounds how long shutdown waits for clients that stopped reading.
constexpr std::chrono::seconds kCloseHandshakeTimeout{1};
// After failing a connection, what the peer may still send is read and discarded, up to this much (and
// within kCloseHandshakeTimeout), so that closing with unread bytes cannot turn into a reset that destroys
// the close frame before the peer reads it.
constexpr std::size_t kDrainBudget = 64 * 1024;
// Answers (pongs) queued behind a write the peer does not read: past this many, reading stops until the
// write moves, so a client that sends pings but reads nothing cannot grow our queue.
constexpr std::size_t kMaxQueuedControl = 16;
// A flush window ends early once this much is queued: frames stay moderate, and a burst is not held.
constexpr std::size_t kWindowFlushBytes = 64 * 1024;

struct WsMetrics {
  obs::Registry& r = obs::Registry::global();
  obs::Gauge& connections = r.gauge("fleet_ws_connections", "Open WebSocket sessions");
  obs::Counter& accepted =
      r.counter("fleet_ws_handshakes_total", "WebSocket handshakes by outcome", R"(outcome="accepted")");
  obs::Counter& missing =
      r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="missing_token")");
  obs::Counter& invalid =
      r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="invalid_token")");
  obs::Counter& no_org =
      r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="no_organization")");
  obs::Counter& pending =
      r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="pending_session")");
  obs::Counter& busy =
      r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="server_busy")");
  obs::Counter& auth_timeout =
      r.counter("fleet_ws_handshakes_total", "", R"(outcome="refused",reason="auth_timeout")");
  obs::Counter& refresh_ok =
      r.counter("fleet_ws_refreshes_total", "In-band token refreshes by outcome", R"(outcome="ok")");
  obs::Counter& refresh_refused = r.counter("fleet_ws_refreshes_total", "", R"(outcome="refused")");
  obs::Counter& resume_ring =
      r.counter("fleet_ws_resumes_total", "Resume requests by how they were answered", R"(outcome="ring")");
  obs::Counter& resume_store = r.counter("fleet_ws_resumes_total", "", R"(outcome="store")");
  obs::Counter& resume_snapshot = r.counter("fleet_ws_resumes_total", "", R"(outcome="snapshot")");
  obs::Counter& frames = r.counter("fleet_ws_frames_sent_total",
                                   "WebSocket messages written (telemetry frames batch many events)");
  obs::Counter& bytes = r.counter("fleet_ws_bytes_sent_total", "WebSocket payload bytes written");
  obs::Counter& closes_expired =
      r.counter("fleet_ws_closes_total", "Server-initiated closes by reason", R"(reason="token_expired")");
  obs::Counter& closes_shutdown = r.counter("fleet_ws_closes_total", "", R"(reason="shutdown")");
  obs::Counter& closes_slow = r.counter("fleet_ws_closes_total", "", R"(reason="slow_consumer")");
  obs::Counter& closes_other = r.counter("fleet_ws_closes_total", "", R"(reason="other")");
  obs::Counter& live_json =
      r.counter("fleet_ws_streams_total", "Sessions that went live, by stream format", R"(format="json")");
  obs::Counter& live_compact = r.counter("fleet_ws_streams_total", "", R"(format="compact")");
  obs::Counter& window_flushes =
      r.counter("fleet_ws_window_flushes_total", "Flushes at the end of a session's flush window");
  obs::Counter& announced =
      r.counter("fleet_ws_devices_announced_total", "Compact device indexes announced in devices frames");

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

proto::CloseReason close_reason_for(ws::FrameError e) {
  switch (e) {
    case ws::FrameError::invalid_utf8: return proto::CloseReason::invalid_payload;
    case ws::FrameError::too_big: return proto::CloseReason::too_big;
    case ws::FrameError::protocol:
    case ws::FrameError::none: break;
  }
  return proto::CloseReason::protocol_error;
}

// Asio's default handler allocator hands every operation a recycled per-thread block of up to ~1 KiB if
// one is cached, whatever the operation's size. An idle session's long-lived wait would then pin such a
// block for the life of the connection. Binding this allocator makes it allocate exactly what it needs.
template <class T>
struct ExactAllocator {
  using value_type = T;
  ExactAllocator() noexcept = default;
  template <class U>
  ExactAllocator(const ExactAllocator<U>&) noexcept {}  // implicit: allocators rebind by conversion
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const ExactAllocator<U>&) const noexcept {
    return true;
  }
};

template <class Handler>
auto allocate_exactly(Handler&& handler) {
  return boost::asio::bind_allocator(ExactAllocator<void>(), std::forward<Handler>(handler));
}

// Auth messages: a burst of kAuthBurst, then one per kAuthRefill on average (docs/protocol.md). A client
// refreshes once per token lifetime; this only stops a loop from making the server verify signatures.
constexpr double kAuthBurst = 5;
constexpr std::chrono::milliseconds kAuthRefill{2000};

// The sweep must see a silent peer within a fraction of the idle timeout (pings go out at half of it),
// and never wakes more than 4 times a second.
std::chrono::milliseconds sweep_interval(const NetOptions& o) {
  const auto fraction = std::min(o.ws_idle_timeout / 8, o.handshake_timeout / 4);
  return std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(fraction),
                    std::chrono::milliseconds(20), std::chrono::milliseconds(250));
}

ws::Opcode opcode_of(const ws::HeaderBytes& header) { return static_cast<ws::Opcode>(header[0] & 0x0F); }

constexpr char kComma = ',';

}  // namespace

std::int64_t session_deadline_ms(std::int64_t exp_s, std::int64_t grace_s) noexcept {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
  std::int64_t s = 0;
  if (__builtin_add_overflow(exp_s, grace_s, &s)) return grace_s > 0 ? kMax : kMin;
  std::int64_t ms = 0;
  if (__builtin_mul_overflow(s, std::int64_t{1000}, &ms)) return s > 0 ? kMax : kMin;
  return ms;
}

WsSession::WsSession(boost::asio::ip::tcp::socket&& socket, Worker& worker, NetContext& ctx,
                     ConnectionSlot slot)
    : socket_(std::move(socket)),
      worker_(worker),
      ctx_(ctx),
      unauthenticated_slot_(std::move(slot)),
      reader_(ctx.options.ws_max_message),
      outbox_(ctx.options.outbox),
      auth_allowance_(kAuthBurst) {
  const auto now = Clock::now();
  deadline_ = now + ctx_.options.handshake_timeout;
  last_rx_ = now;
  auth_refilled_ = now;
  view_refilled_ = now;
  worker_.sessions().insert(this);
  worker_.start_sweep(sweep_interval(ctx_.options));
  WsMetrics::get().connections.add(1);
}

WsSession::~WsSession() {
  if (flush_queued_) worker_.cancel_flush(this);
  if (window_armed_) worker_.cancel_window(this);
  leave_hub();
  worker_.sessions().erase(this);
  ctx_.ws_sessions.fetch_sub(1, std::memory_order_relaxed);
  WsMetrics::get().connections.sub(1);
}

void WsSession::run(std::string switching_protocols, WsStart start, std::string_view early_bytes) {
  control_.push_back(OutFrame{std::move(switching_protocols), {}, 0});
  resume_ = std::move(start.resume);
  if (start.options) {
    options_ = *start.options;
    options_asked_ = true;
  }
  if (ctx_.stopping.load()) {
    close(proto::CloseReason::shutdown);
  } else if (ctx_.ws_sessions.load(std::memory_order_relaxed) > ctx_.options.max_connections) {
    WsMetrics::get().busy.inc();
    close(proto::CloseReason::server_busy);
  } else if (start.invalid_resume) {
    close(proto::CloseReason::invalid_resume);
  } else if (start.invalid_options) {
    close(proto::CloseReason::invalid_options);
  } else if (!start.token) {
    phase_ = Phase::awaiting_auth;  // the first message authenticates, within the handshake deadline
  } else {
    authenticate(*start.token);
  }
  // Bytes a client pipelined after its upgrade request belong to the WebSocket stream.
  const std::span<char> scratch = worker_.read_scratch();
  while (!early_bytes.empty() && phase_ != Phase::closed && !reader_.closed()) {
    const std::size_t n = std::min(early_bytes.size(), scratch.size());
    std::copy_n(early_bytes.data(), n, scratch.data());
    early_bytes.remove_prefix(n);
    consume(scratch.first(n));
  }
  flush();
  // Wait rather than read: a client speaks after hello, so a read now would nearly always come back empty.
  // The wait re-arms the socket's readiness (EPOLL_CTL_MOD), so bytes that arrived meanwhile still wake it.
  if (may_read()) wait_readable();
}

void WsSession::authenticate(std::string_view token) {
  phase_ = Phase::authenticating;
  if (auth::ShareRegistry::is_share_token(token)) return authenticate_share(token);
  // The authenticator usually answers inline (keys at hand), on this worker: dispatch then runs on_auth
  // at once, and with a snapshot served from memory the 101, hello and snapshot leave in one write. An
  // answer from the key-refresh thread (after a JWKS refresh) is posted back to our worker.
  ctx_.authenticator.authenticate(token, [self = shared_from_this()](auth::AuthOutcome outcome) {
    boost::asio::dispatch(self->worker_.io(),
                          [self, o = std::move(outcome)]() mutable { self->on_auth(std::move(o)); });
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
  unauthenticated_slot_.release();
  auth::Principal& p = outcome.principal;
  tenant_ = p.tenant;
  user_ = p.user;
  expiry_ms_ = session_deadline_ms(p.exp_s, ctx_.options.token_grace_s);
  proto::Hello hello{tenant_.str(),
                     user_.str(),
                     std::move(p.role),
                     p.exp_s,
                     "fleetd/" FLEET_VERSION,
                     0,
                     ctx_.store.epoch(tenant_),
                     ctx_.options.token_grace_s,
                     std::nullopt,
                     std::nullopt};
  if (options_asked_) hello.options = options_;
  enter_with_view(std::move(hello));
}

void WsSession::enter(proto::Hello hello) {
  phase_ = Phase::starting;
  // Subscribe before anything else: every batch this worker receives from now on is queued here, and
  // what came before is in the ring or the store. drop_through() then removes what a snapshot covers.
  worker_.hub().subscribe(tenant_, this);
  subscribed_ = true;
  // A share session never resumes: the missed events are the whole tenant's, not its share's.
  if (resume_ && share_id_.empty()) return resume(std::move(hello));
  request_snapshot(std::move(hello));
}

void WsSession::resume(proto::Hello hello) {
  auto& m = WsMetrics::get();
  const proto::ResumePosition pos = *resume_;
  if (pos.epoch != hello.epoch) {  // another tenant's seq space, or one from before a reset
    m.resume_snapshot.inc();
    hello.recovered = false;
    return request_snapshot(std::move(hello));
  }
  // The ring, first: same thread as the hub, so nothing can fall between what it holds and the outbox.
  auto& slices = worker_.slice_scratch();
  slices.clear();
  if (auto found = worker_.hub().ring().collect(tenant_, pos.since, slices)) {
    if (found->events <= ctx_.options.resume_max_events && found->bytes <= ctx_.options.outbox.hard_bytes) {
      m.resume_ring.inc();
      outbox_.set_position(pos.since);
      for (hub::Slice& s : slices) outbox_.push_recovered(std::move(s));
      slices.clear();
      hello.seq = pos.since;
      hello.recovered = true;
      queue(ws::Opcode::text, proto::encode_hello(hello));
      return go_live();
    }
    slices.clear();
    m.resume_snapshot.inc();
    hello.recovered = false;
    return request_snapshot(std::move(hello));
  }
  // Older than the ring, or nothing in it yet (e.g. just restarted): the store answers, ordered with its
  // commits. Last statement: the callback may run before events_after() returns (a refusal).
  ctx_.store.events_after(
      tenant_, pos.since, ctx_.options.resume_max_events,
      [self = shared_from_this(), h = std::move(hello)](Result<store::Recovery> r) mutable {
        boost::asio::dispatch(self->worker_.io(), [self, h = std::move(h), r = std::move(r)]() mutable {
          self->on_recovery(std::move(h), std::move(r));
        });
      });
}

void WsSession::on_recovery(proto::Hello hello, Result<store::Recovery> recovery) {
  if (phase_ != Phase::starting) return;
  if (!recovery) {
    obs::warn("resume read failed", {{"tenant", tenant_.str()}, {"error", recovery.error().message}});
    return close(proto::CloseReason::internal);
  }
  auto& m = WsMetrics::get();
  if (!recovery->complete) {
    m.resume_snapshot.inc();
    hello.recovered = false;
    return request_snapshot(std::move(hello));
  }
  const Seq since = resume_->since;
  // Every batch up to recovery->seq reached this worker's hub before this answer did (the broker's drain
  // that carries it was queued first), and later ones may have too (that drain takes whatever waits when
  // it runs): the outbox may hold some of the recovered events already; drop those and put the recovery
  // in front of what stays.
  std::vector<hub::Slice>& slices = worker_.slice_scratch();
  slices.clear();
  if (!recover_through_ring(*recovery, slices)) {
    auto batch = proto::encode_batch(tenant_, recovery->points, ctx_.device_index);
    if (batch->bytes.size() > ctx_.options.outbox.hard_bytes) {
      m.resume_snapshot.inc();
      hello.recovered = false;
      return request_snapshot(std::move(hello));
    }
    if (!batch->events.empty())
      slices.push_back(hub::Slice{batch, 0, static_cast<std::uint32_t>(batch->events.size())});
  }
  m.resume_store.inc();
  outbox_.drop_through(recovery->seq);
  outbox_.prepend(slices);
  outbox_.set_position(since);
  hello.seq = since;
  hello.recovered = true;
  queue(ws::Opcode::text, proto::encode_hello(hello));
  go_live();
}

bool WsSession::recover_through_ring(const store::Recovery& recovery, std::vector<hub::Slice>& out) {
  // After a restart every viewer resumes at once and the ring is empty: the first read from the store
  // goes into the ring, and the viewers after it (most resume from the same seq) are served from memory.
  hub::ResumeRing& ring = worker_.hub().ring();
  std::span<const StoredPoint> older(recovery.points);
  if (auto span = ring.span(tenant_)) {
    if (span->last != recovery.seq) return false;
    const auto end =
        std::find_if(older.begin(), older.end(), [&](const StoredPoint& p) { return p.seq >= span->first; });
    older = older.first(static_cast<std::size_t>(end - older.begin()));
  }
  if (!older.empty())
    ring.seed(proto::encode_batch(tenant_, older, ctx_.device_index), recovery.seq, Clock::now());
  auto found = ring.collect(tenant_, resume_->since, out);
  if (found && found->bytes <= ctx_.options.outbox.hard_bytes) return true;
  out.clear();
  return false;
}

void WsSession::request_snapshot(proto::Hello hello) {
  // The store may answer inline (from memory) or on its thread; dispatch covers both. Last statement:
  // on_snapshot may already have run when snapshot() returns.
  ctx_.store.snapshot(
      tenant_, [self = shared_from_this(), h = std::move(hello)](Result<store::Snapshot> r) mutable {
        boost::asio::dispatch(self->worker_.io(), [self, h = std::move(h), r = std::move(r)]() mutable {
          self->on_snapshot(std::move(h), std::move(r));
        });
      });
}

void WsSession::on_snapshot(proto::Hello hello, Result<store::Snapshot> snapshot) {
  if (phase_ != Phase::starting) return;
  if (!snapshot) {
    obs::warn("snapshot failed", {{"tenant", tenant_.str()}, {"error", snapshot.error().message}});
    return close(proto::CloseReason::internal);
  }
  hello.seq = snapshot->seq;
  queue(ws::Opcode::text, proto::encode_hello(hello));
  if (pending_view_) {
    PendingView v = std::move(*pending_view_);
    pending_view_.reset();
    apply_view_snapshot(std::move(v.spec), v.group_devices, std::move(v.unknown), *snapshot);
  } else {
    queue_snapshot(*snapshot, nullptr);
  }
  outbox_.drop_through(snapshot->seq);
  go_live();
}

void WsSession::queue_snapshot(const store::Snapshot& snapshot, const proto::SnapshotScope* scope) {
  const bool compact = options_.format == proto::Format::compact;
  if (view_.filter().whole_tenant()) {
    std::vector<std::uint32_t> indexes;
    if (compact) {
      indexes.resize(snapshot.devices.size());
      auto table = ctx_.device_index.tenant(tenant_);
      for (std::size_t i = 0; i < indexes.size(); ++i) indexes[i] = table.of(snapshot.devices[i].id);
      for (std::uint32_t i : indexes) announce(i);
    }
    return queue(ws::Opcode::text, proto::encode_snapshot(snapshot.seq, snapshot.devices, indexes, scope));
  }
  std::vector<std::uint32_t> inside;
  std::vector<std::uint32_t> indexes;
  const std::vector<Device> devices = scoped_devices(snapshot, inside, indexes);
  view_.reset_inside(inside);
  if (compact) {
    for (std::uint32_t i : indexes) announce(i);
  } else {
    indexes.clear();
  }
  queue(ws::Opcode::text, proto::encode_snapshot(snapshot.seq, devices, indexes, scope));
}

void WsSession::go_live() {
  phase_ = Phase::live;
  auto& m = WsMetrics::get();
  (options_.format == proto::Format::compact ? m.live_compact : m.live_json).inc();
  if (deferred_auth_) {
    std::string token = std::move(*deferred_auth_);
    deferred_auth_.reset();
    refresh(token);
  }
  flush();  // hello, snapshot or recovered events, and any telemetry queued since: one gather write
}

// ---- auth messages ----

bool WsSession::take_auth_allowance() {
  const auto now = Clock::now();
  const double refill = std::chrono::duration<double>(now - auth_refilled_) / kAuthRefill;
  auth_allowance_ = std::min(kAuthBurst, auth_allowance_ + refill);
  auth_refilled_ = now;
  if (auth_allowance_ < 1) return false;
  auth_allowance_ -= 1;
  return true;
}

void WsSession::on_auth_message(proto::ClientMessage message) {
  using Kind = proto::ClientMessage::Kind;
  if (!take_auth_allowance()) return close(proto::CloseReason::auth_rate);
  if (message.kind == Kind::malformed_auth) return close(proto::CloseReason::policy);
  if (message.kind == Kind::invalid_resume) return close(proto::CloseReason::invalid_resume);
  if (message.kind == Kind::invalid_options) return close(proto::CloseReason::invalid_options);
  switch (phase_) {
    case Phase::awaiting_auth:
      if (message.token.empty()) {
        WsMetrics::get().missing.inc();
        return close(proto::CloseReason::missing_token);
      }
      if (message.resume) resume_ = std::move(message.resume);
      if (message.view) initial_view_ = std::move(message.view);
      if (message.options) {
        options_ = *message.options;
        options_asked_ = true;
      }
      return authenticate(message.token);
    case Phase::authenticating:
    case Phase::starting:
      deferred_auth_ = std::move(message.token);  // a refresh before hello: handled once live
      return;
    case Phase::live:
      if (!share_id_.empty()) return close(proto::CloseReason::token_mismatch);  // shares never refresh
      return refresh(message.token);
    case Phase::closing:
    case Phase::closed: return;
  }
}

void WsSession::refresh(std::string_view token) {
  // Same verification as a new connection. Several may be in flight when the key source refreshes;
  // only the newest one's answer counts.
  const std::uint64_t generation = ++refresh_generation_;
  ctx_.authenticator.authenticate(token, [self = shared_from_this(), generation](auth::AuthOutcome outcome) {
    boost::asio::dispatch(self->worker_.io(), [self, generation, o = std::move(outcome)]() mutable {
      self->on_refresh(generation, std::move(o));
    });
  });
}

void WsSession::on_refresh(std::uint64_t generation, auth::AuthOutcome outcome) {
  if (phase_ != Phase::live || generation != refresh_generation_) return;
  auto& m = WsMetrics::get();
  if (!outcome.ok) {
    m.refresh_refused.inc();
    obs::debug("ws refresh refused", {{"reason", outcome.detail}});
    return close(close_reason_for(outcome.failure));
  }
  const auth::Principal& p = outcome.principal;
  if (p.tenant != tenant_) {
    m.refresh_refused.inc();
    return close(proto::CloseReason::org_changed);
  }
  if (p.user != user_) {
    m.refresh_refused.inc();
    return close(proto::CloseReason::token_mismatch);
  }
  m.refresh_ok.inc();
  expiry_ms_ = session_deadline_ms(p.exp_s, ctx_.options.token_grace_s);
  queue(ws::Opcode::text, proto::encode_auth_ok(p.exp_s));
  flush();
}

// ---- reading ----

void WsSession::on_readable() {
  const std::span<char> buf = worker_.read_scratch();
  // A few reads per wake-up at most: a client that sends a lot must not starve the worker's other sessions.
  for (int round = 0; round < 4; ++round) {
    if (!may_read()) return;
    std::size_t n = 0;
    switch (read_nonblocking(socket_.native_handle(), buf, n)) {
      case IoStatus::done:
        if (closing_ == Closing::draining) {
          drained_ += n;
          if (drained_ > kDrainBudget) return teardown();
          break;
        }
        last_rx_ = Clock::now();
        ping_sent_ = false;
        consume(buf.first(n));
        if (n < buf.size()) round = 4;  // drained; the wait below re-checks readiness anyway
        break;
      case IoStatus::would_block: round = 4; break;
      case IoStatus::eof:     // the peer hung up, with or without a close frame: nothing left to say
      case IoStatus::failed:  // reset or another socket error
        return teardown();
    }
  }
  if (!may_read()) return;
  wait_readable();
}

bool WsSession::may_read() const noexcept {
  if (phase_ == Phase::closed) return false;
  if (closing_ == Closing::draining) return true;
  // Once our close is written the peer's close frame is still read (await_peer); in every other case the
  // connection ends when our close is out, and nothing more is parsed.
  return !reader_.closed() && after_close_ == AfterClose::await_peer && !read_paused_;
}

void WsSession::wait_readable() {
  // A wait, not a read: no buffer is committed while the connection is idle.
  read_wait_pending_ = true;
  socket_.async_wait(boost::asio::ip::tcp::socket::wait_read,
                     allocate_exactly([self = shared_from_this()](boost::system::error_code ec) {
                       self->read_wait_pending_ = false;
                       if (ec) {
                         if (ec != boost::asio::error::operation_aborted) self->teardown();
                         return;
                       }
                       self->on_readable();
                     }));
}

void WsSession::consume(std::span<char> bytes) {
  const ws::FrameError e = reader_.feed(bytes, *this);
  if (e != ws::FrameError::none) {
    // "Fail the WebSocket connection" (RFC 6455 7.1.7): say why, then close without waiting for an answer,
    // after discarding what the peer still sends (start_drain).
    after_close_ = AfterClose::drain;
    close(close_reason_for(e));
    if (closing_ == Closing::sent) start_drain();  // our close went out earlier
    return;
  }
  if (writing_ && control_.size() >= kMaxQueuedControl) read_paused_ = true;
  flush();
}

void WsSession::on_text(std::string_view message) {
  if (phase_ == Phase::closing || phase_ == Phase::closed) return;  // nothing is answered after a close
  proto::ClientMessage m = proto::decode_client_message(message);
  using Kind = proto::ClientMessage::Kind;
  if (m.kind == Kind::auth || m.kind == Kind::malformed_auth || m.kind == Kind::invalid_resume ||
      m.kind == Kind::invalid_options) {
    return on_auth_message(std::move(m));
  }
  if (m.kind == Kind::invalid_view && phase_ == Phase::awaiting_auth) {
    return close(proto::CloseReason::invalid_view);  // the first auth message's view
  }
  if (phase_ != Phase::awaiting_auth && (m.kind == Kind::view || m.kind == Kind::invalid_view)) {
    return on_view_message(std::move(m));
  }
  if (phase_ == Phase::awaiting_auth) {  // anything but auth first: this connection has no token
    WsMetrics::get().missing.inc();
    return close(proto::CloseReason::missing_token);
  }
  // Unknown types are ignored (reserved for later versions).
  if (phase_ == Phase::live && m.kind == Kind::ping) queue(ws::Opcode::text, R"({"type":"pong"})");
}

void WsSession::on_binary(std::string_view) { close(proto::CloseReason::unsupported); }

void WsSession::on_ping(std::string_view payload) { queue(ws::Opcode::pong, std::string(payload)); }

void WsSession::on_pong(std::string_view) {}  // the bytes themselves were the sign of life

void WsSession::on_close(std::uint16_t code, std::string_view) {
  if (closing_ != Closing::open) {
    // The answer to our close (or both sides closed at once): the handshake is over once ours is out.
    if (closing_ == Closing::sent) return teardown();
    after_close_ = AfterClose::hang_up;
    return;
  }
  // The client closes: echo its code (RFC 6455 5.5.1), then hang up once the echo is written.
  leave_hub();
  after_close_ = AfterClose::hang_up_with_fin;
  send_close(code == 0 ? proto::close_info(proto::CloseReason::normal).code : code, {});
}

// ---- writing ----

void WsSession::queue(ws::Opcode op, std::string payload) {
  if (closing_ != Closing::open || phase_ == Phase::closed) return;  // nothing may follow a close frame
  OutFrame& f = control_.emplace_back();
  f.payload = std::move(payload);
  f.header_size = static_cast<std::uint8_t>(ws::encode_header(op, f.payload.size(), f.header));
}

bool WsSession::has_output() const noexcept {
  return !control_.empty() || telemetry_due() || (phase_ == Phase::live && view_.has_changes());
}

bool WsSession::telemetry_due() const noexcept {
  if (phase_ != Phase::live || closing_ != Closing::open || outbox_.empty()) return false;
  // A min_interval view sends at most one frame per window: what comes meanwhile waits for the window.
  return view_interval_ms_ == 0 || !window_armed_;
}

void WsSession::on_ready() {
  if (flush_queued_ || writing_ || phase_ != Phase::live)
    return;  // a stuck write drains the outbox when it moves
  if (view_interval_ms_ > 0) {
    // The window is the view's interval, whatever the backlog: coalescing keeps it small instead.
    if (outbox_.bytes() >= kWindowFlushBytes) outbox_.coalesce();
    if (!window_armed_) {
      window_armed_ = true;
      worker_.schedule_window(this, Clock::now() + std::chrono::milliseconds(window_ms()));
    }
    return;
  }
  if (options_.flush_ms > 0 && outbox_.bytes() < kWindowFlushBytes) {
    // Hold what comes in until the window ends: fewer, larger frames. The window starts with the first
    // event queued, so none waits longer than flush_ms (plus the write ahead of it).
    if (!window_armed_) {
      window_armed_ = true;
      worker_.schedule_window(this, Clock::now() + std::chrono::milliseconds(options_.flush_ms));
    }
    return;
  }
  flush_queued_ = true;
  worker_.schedule_flush(this);
}

void WsSession::flush_now() {
  flush_queued_ = false;
  flush();
}

void WsSession::on_window() {
  window_armed_ = false;
  if (phase_ != Phase::live) return;
  WsMetrics::get().window_flushes.inc();
  flush();
}

void WsSession::flush() {
  auto& m = WsMetrics::get();
  while (!writing_ && phase_ != Phase::closed && has_output()) {
    std::vector<iovec>& iov = worker_.iov_scratch();
    iov.clear();
    if (phase_ == Phase::live && view_.has_changes()) queue_view_changes();
    // The frames of this write move to sending_, so frames queued while it is stuck cannot move them.
    sending_.swap(control_);
    for (OutFrame& f : sending_) {
      if (f.header_size > 0) iov.push_back({f.header.data(), f.header_size});
      if (!f.payload.empty()) iov.push_back({f.payload.data(), f.payload.size()});
      if (f.header_size == 0) continue;  // the 101 response
      const ws::Opcode op = opcode_of(f.header);
      if (op == ws::Opcode::text) {
        m.frames.inc();
        m.bytes.inc(f.payload.size());
      } else if (op == ws::Opcode::close) {
        close_in_write_ = true;
      }
    }
    if (telemetry_due()) gather_telemetry(iov);
    std::size_t pos = 0;
    switch (write_gather(socket_.native_handle(), iov, pos, echo_waits_for_fin())) {
      case IoStatus::done: write_done(); continue;
      case IoStatus::would_block: {
        // The rare path: keep what the kernel did not take, and the bytes it points into.
        rest_.assign(iov.begin() + static_cast<std::ptrdiff_t>(pos), iov.end());
        rest_pos_ = 0;
        auto& slices = worker_.slice_scratch();
        inflight_.assign(std::make_move_iterator(slices.begin()), std::make_move_iterator(slices.end()));
        slices.clear();
        writing_ = true;
        socket_.async_wait(boost::asio::ip::tcp::socket::wait_write,
                           allocate_exactly([self = shared_from_this()](boost::system::error_code ec) {
                             self->on_writable(ec);
                           }));
        return;
      }
      case IoStatus::eof:
      case IoStatus::failed: worker_.slice_scratch().clear(); return teardown();
    }
  }
  if (read_paused_ && !writing_ && phase_ != Phase::closed) {
    read_paused_ = false;
    on_readable();
  }
}

void WsSession::gather_telemetry(std::vector<iovec>& iov) {
  auto& slices = worker_.slice_scratch();
  slices.clear();
  // A session that allows it gets only the newest queued event per device (explained by `skipped`).
  if ((options_.coalesce || view_interval_ms_ > 0) && outbox_.events() > 1) outbox_.coalesce();
  std::uint64_t skipped = 0;
  outbox_.take(slices, ctx_.options.max_frame_bytes, &skipped);
  if (options_.format == proto::Format::compact) return gather_compact(iov, slices, skipped);
  const std::string_view head =
      frame_head(skipped, proto::kTelemetryHead, proto::kTelemetrySkippedHead, proto::kTelemetrySkippedMid);
  std::size_t payload = head.size() + proto::kTelemetryTail.size();
  for (std::size_t i = 0; i < slices.size(); ++i) payload += slices[i].bytes().size() + (i > 0 ? 1 : 0);
  const std::size_t header = ws::encode_header(ws::Opcode::text, payload, telemetry_header_);
  // iovec is a C struct without const: the kernel only reads these bytes.
  const auto add = [&iov](const void* p, std::size_t n) { iov.push_back({const_cast<void*>(p), n}); };
  add(telemetry_header_.data(), header);
  add(head.data(), head.size());
  for (std::size_t i = 0; i < slices.size(); ++i) {
    if (i > 0) add(&kComma, 1);
    const std::string_view s = slices[i].bytes();
    add(s.data(), s.size());
  }
  add(proto::kTelemetryTail.data(), proto::kTelemetryTail.size());
  auto& m = WsMetrics::get();
  m.frames.inc();
  m.bytes.inc(payload);
}

std::string_view WsSession::frame_head(std::uint64_t skipped, std::string_view plain,
                                       std::string_view skipped_head, std::string_view skipped_mid) {
  if (skipped == 0) return plain;
  // After coalescing the head says how many events were left out (docs/protocol.md): a few bytes the
  // session keeps, since the iovec must point at them until the write completes.
  skipped_head_.assign(skipped_head);
  skipped_head_ += std::to_string(skipped);
  skipped_head_ += skipped_mid;
  return skipped_head_;
}

bool WsSession::announce(std::uint32_t index) {
  if (index >= announced_.size()) announced_.resize(std::max<std::size_t>(index + 1, announced_.size() * 2));
  if (announced_[index]) return false;
  announced_[index] = true;
  return true;
}

void WsSession::gather_compact(std::vector<iovec>& iov, std::span<const hub::Slice> slices,
                               std::uint64_t skipped) {
  const auto add = [&iov](const void* p, std::size_t n) { iov.push_back({const_cast<void*>(p), n}); };
  auto& m = WsMetrics::get();
  // Indexes this connection has not named yet go out first, in one `devices` frame (docs/protocol.md).
  to_announce_.clear();
  for (const hub::Slice& s : slices) {
    for (std::uint32_t i = s.first; i < s.first + s.count; ++i) {
      const auto& e = s.batch->events[i];
      if (announce(e.index)) to_announce_.push_back({e.index, e.device.str()});
    }
  }
  if (!to_announce_.empty()) {
    announce_ = proto::encode_devices(to_announce_);
    add(announce_header_.data(), ws::encode_header(ws::Opcode::text, announce_.size(), announce_header_));
    add(announce_.data(), announce_.size());
    m.frames.inc();
    m.bytes.inc(announce_.size());
    m.announced.inc(to_announce_.size());
  }
  const std::string_view head =
      frame_head(skipped, proto::kCompactHead, proto::kCompactSkippedHead, proto::kCompactSkippedMid);
  std::size_t payload = head.size() + proto::kTelemetryTail.size();
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const hub::Slice& s = slices[i];
    payload += s.batch->compact_head.size() + s.batch->compact_slice(s.first, s.count).size() +
               proto::kChunkTail.size() + (i > 0 ? 1 : 0);
  }
  add(telemetry_header_.data(), ws::encode_header(ws::Opcode::text, payload, telemetry_header_));
  add(head.data(), head.size());
  for (std::size_t i = 0; i < slices.size(); ++i) {
    const hub::Slice& s = slices[i];
    if (i > 0) add(&kComma, 1);
    add(s.batch->compact_head.data(), s.batch->compact_head.size());
    const std::string_view bytes = s.batch->compact_slice(s.first, s.count);
    add(bytes.data(), bytes.size());
    add(proto::kChunkTail.data(), proto::kChunkTail.size());
  }
  add(proto::kTelemetryTail.data(), proto::kTelemetryTail.size());
  m.frames.inc();
  m.bytes.inc(payload);
}

void WsSession::write_done() {
  worker_.slice_scratch().clear();  // drops our references to the batches' bytes
  std::vector<hub::Slice>().swap(inflight_);
  std::vector<iovec>().swap(rest_);
  std::vector<OutFrame>().swap(sending_);  // no capacity kept: idle sessions own no queue memory
  if (close_in_write_) {
    close_in_write_ = false;
    closing_ = Closing::sent;
    deadline_ = Clock::now() + kCloseHandshakeTimeout;
    switch (after_close_) {
      case AfterClose::await_peer: break;
      case AfterClose::hang_up:
      case AfterClose::hang_up_with_fin: teardown(); break;
      case AfterClose::drain: start_drain(); break;
    }
  }
}

void WsSession::start_drain() {
  // Our close frame is out: a FIN follows it at once, and the peer's bytes are read and dropped until it
  // hangs up, kDrainBudget is spent, or the close handshake's deadline passes (on_sweep).
  closing_ = Closing::draining;
  ::shutdown(socket_.native_handle(), SHUT_WR);  // best effort: an error here ends in teardown anyway
  // Reading had stopped at the failure; resume it unless a read (or the read loop that failed) is on.
  boost::asio::post(worker_.io(), [self = shared_from_this()] {
    if (self->closing_ == Closing::draining && self->phase_ != Phase::closed && !self->read_wait_pending_) {
      self->on_readable();
    }
  });
}

void WsSession::on_writable(boost::system::error_code ec) {
  if (phase_ == Phase::closed) return;
  if (ec) return teardown();
  switch (write_gather(socket_.native_handle(), rest_, rest_pos_, echo_waits_for_fin())) {
    case IoStatus::done:
      writing_ = false;
      write_done();
      return flush();  // whatever queued meanwhile: one write for all of it
    case IoStatus::would_block:
      socket_.async_wait(boost::asio::ip::tcp::socket::wait_write,
                         allocate_exactly([self = shared_from_this()](boost::system::error_code e) {
                           self->on_writable(e);
                         }));
      return;
    case IoStatus::eof:
    case IoStatus::failed: return teardown();
  }
}

// ---- closing ----

void WsSession::close(proto::CloseReason reason) {
  if (closing_ != Closing::open || phase_ == Phase::closed) return;
  close_reason_ = reason;
  auto& m = WsMetrics::get();
  switch (reason) {
    case proto::CloseReason::shutdown: m.closes_shutdown.inc(); break;
    case proto::CloseReason::slow_consumer: m.closes_slow.inc(); break;
    case proto::CloseReason::token_expired: break;  // counted where the sweep noticed it
    default: m.closes_other.inc(); break;
  }
  leave_hub();  // a closing session receives nothing more
  const proto::CloseInfo info = proto::close_info(reason);
  send_close(info.code, info.reason);
}

void WsSession::send_close(std::uint16_t code, std::string_view reason) {
  // The close frame is the last one; what is already queued goes before it: the answers to messages the
  // peer sent before its close (RFC 6455 5.5.1: they were received, so they are answered, and a client
  // that sends a ping command and then closes gets its pong), or before the message that failed the
  // connection. The queue is bounded (reading pauses at kMaxQueuedControl behind a stuck write).
  queue(ws::Opcode::close, ws::close_payload(code, reason));
  closing_ = Closing::queued;
  phase_ = Phase::closing;
  flush();
}

void WsSession::shutdown() { close(proto::CloseReason::shutdown); }

void WsSession::teardown() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  leave_hub();
  // close() alone: it sends our FIN like shutdown() would (RFC 6455 7.1.1: the server closes the TCP
  // connection first), and it does not fail with ENOTCONN when the peer has already reset - a shutdown()
  // first is an extra syscall per connection and changes nothing, since no other descriptor shares
  // this socket. Pending waits complete (aborted) on a later turn; the last one frees us.
  boost::system::error_code ignored;
  socket_.close(ignored);
  std::vector<OutFrame>().swap(control_);
  std::vector<OutFrame>().swap(sending_);
  std::vector<hub::Slice>().swap(inflight_);
  std::vector<iovec>().swap(rest_);
  outbox_ = hub::Outbox(ctx_.options.outbox);
}

void WsSession::on_sweep(Clock::time_point now) {
  if (phase_ == Phase::closed) return;
  if (closing_ == Closing::sent || closing_ == Closing::draining) {
    if (now >= deadline_) teardown();  // the peer never answered our close, or never stopped sending
    return;
  }
  const auto silent = now - last_rx_;
  if (silent >= ctx_.options.ws_idle_timeout) return teardown();  // no close frame: the peer is gone
  if (phase_ == Phase::awaiting_auth && now >= deadline_) {
    WsMetrics::get().auth_timeout.inc();
    return close(proto::CloseReason::auth_timeout);
  }
  if (phase_ == Phase::authenticating || phase_ == Phase::starting) {
    if (now >= deadline_) return close(proto::CloseReason::internal);  // auth or snapshot never answered
  }
  if (!share_id_.empty() && (phase_ == Phase::starting || phase_ == Phase::live) && ctx_.shares != nullptr) {
    switch (ctx_.shares->status(share_id_, ctx_.clock.now_ms())) {
      case auth::ShareStatus::ok: break;
      case auth::ShareStatus::expired: return close(proto::CloseReason::share_expired);
      case auth::ShareStatus::revoked:
      case auth::ShareStatus::invalid: return close(proto::CloseReason::share_revoked);
    }
  }
  if ((phase_ == Phase::starting || phase_ == Phase::live) && ctx_.clock.now_ms() >= expiry_ms_) {
    WsMetrics::get().closes_expired.inc();
    return close(proto::CloseReason::token_expired);
  }
  if (phase_ == Phase::live && !ping_sent_ && silent >= ctx_.options.ws_idle_timeout / 2) {
    ping_sent_ = true;
    queue(ws::Opcode::ping, {});
    flush();
  }
}

void WsSession::leave_hub() {
  if (!subscribed_) return;
  worker_.hub().unsubscribe(tenant_, this);
  subscribed_ = false;
}

}  // namespace fleet::net
