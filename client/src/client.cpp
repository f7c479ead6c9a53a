#include "fleet/client.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <exception>
#include <future>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <thread>
#include <variant>

#include "auth_message.hpp"
#include "fleet/backoff.hpp"
#include "fleet/compact_decoder.hpp"
#include "fleet/endpoint.hpp"
#include "fleet/reconnect_policy.hpp"
#include "fleet/stream_tracker.hpp"
#include "fleet/token_identity.hpp"
#include "obs/log.hpp"
#include "proto/message_decode.hpp"
#include "ws_connection.hpp"

namespace fleet {

namespace asio = boost::asio;

const char* to_string(Client::State s) noexcept {
  switch (s) {
    case Client::State::idle: return "idle";
    case Client::State::connecting: return "connecting";
    case Client::State::open: return "open";
    case Client::State::reconnecting: return "reconnecting";
    case Client::State::closed: return "closed";
  }
  return "unknown";
}

// Everything below `ioc_` is touched only on the I/O thread; public methods post to it. Handlers capture a
// raw `this`: they only run inside ioc_.run() on thread_, which the destructor joins before Impl goes away
// (uninvoked handlers are destroyed with ioc_, never called).
struct Client::Impl {
  // Reason reported by on_close when the client drops a connection whose stream lost events.
  static constexpr const char* kGapReason = "Telemetry gap";

  // Whose session the client holds: the user and tenant of the last hello (any connection).
  struct Principal {
    std::string user;
    std::string tenant;
  };

  // In-band refresh of the current connection: at most one auth message awaits its auth_ok.
  enum class Refresh {
    idle,           // nothing in flight
    in_flight,      // an auth awaits its answer
    newer_waiting,  // ... and `token` changed meanwhile: it goes out after the answer
  };

  // Everything that belongs to the current connection and ends with it.
  struct Session {
    std::shared_ptr<detail::WsConnection> conn;
    std::optional<proto::ResumePosition> resume;  // what its first message (or URL) carries
    Refresh refresh = Refresh::idle;
    bool refreshed_in_band = false;  // an auth went out in-band: 1008 "Organization changed" answers it
    // Views on this connection (docs/protocol.md, "Views").
    std::optional<std::uint64_t> view_sent;  // the id of the newest view sent
    bool view_answered = false;              // ... and its snapshot arrived
    bool scoped = false;                     // a scoped view's snapshot is in effect
    bool holding =
        false;  // a new connection awaits its view's snapshot: its unscoped stream is not delivered
  };

  Options opts;
  Endpoint ep;
  std::unique_ptr<asio::ssl::context> tls;  // before ioc: connections destroyed with ioc may still use it
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  asio::steady_timer retry_timer{ioc};
  Backoff backoff;
  std::atomic<State> state{State::idle};

  std::string token;             // the newest token: every new connection and the next in-band refresh use it
  std::uint64_t generation = 0;  // bumped whenever the current connection is replaced or dropped
  Session session;
  StreamTracker stream;    // outlives connections: it holds the resume point
  CompactDecoder compact;  // the current connection's device indexes; reset by start_connection()
  std::optional<Principal> principal;
  std::optional<View> view;  // what set_view() asked for, sent on every connection
  std::uint64_t next_view_id = 1;
  bool shutting_down = false;  // no callbacks once the destructor started
  std::thread thread;

  explicit Impl(Options o) : opts(std::move(o)), backoff(opts.backoff_min, opts.backoff_max, opts.random) {
    auto parsed = parse_endpoint(opts.base_url);
    if (!parsed) throw std::invalid_argument(parsed.error().message);
    ep = *parsed;
    if (auto bad = validate(opts.stream); !bad.empty()) throw std::invalid_argument(bad);
    if (ep.tls) {
      tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      // TLS 1.2 or newer, whatever the system's OpenSSL defaults say.
      SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
      boost::system::error_code ec;
      if (opts.ca_file.empty()) {
        tls->set_default_verify_paths(ec);
      } else {
        tls->load_verify_file(opts.ca_file, ec);
      }
      if (ec) throw std::invalid_argument("cannot load CA certificates: " + ec.message());
    }
  }

  void run() {
    // Handlers do not throw (callbacks are guarded); this only keeps a bug from killing the process silently.
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        obs::error("client: unexpected exception on the I/O thread", {{"error", e.what()}});
      }
    }
  }

  // User callbacks may throw; nothing may escape into Asio.
  template <class F, class... A>
  void invoke(const F& f, const char* name, A&&... args) {
    if (!f || shutting_down) return;
    try {
      f(std::forward<A>(args)...);
    } catch (const std::exception& e) {
      obs::error("client: callback threw", {{"callback", name}, {"error", e.what()}});
    } catch (...) {
      obs::error("client: callback threw", {{"callback", name}});
    }
  }

  void set_state(State s) {
    if (state.exchange(s) == s) return;
    invoke(opts.callbacks.on_state, "on_state", s);
  }

  // Drops the current connection (if any) without reconnecting; the caller sets the new state.
  void drop_connection(bool report) {
    ++generation;
    retry_timer.cancel();
    auto conn = std::move(session.conn);
    session = Session{};
    if (!conn) return;
    conn->close();
    if (report)
      invoke(opts.callbacks.on_close, "on_close", std::uint16_t{1000}, std::string("Normal closure"));
  }

  void start_connection() {
    drop_connection(false);
    const std::uint64_t gen = generation;
    set_state(State::connecting);
    session.resume = stream.begin_connection();
    compact.reset();  // indexes are per connection, resumed or not (docs/protocol.md)
    obs::info("client: connecting",
              {{"url", ep.ws_url()},
               {"token", redact_secret(token)},
               {"since", session.resume ? std::to_string(session.resume->since) : "-"}});
    detail::WsEvents events;
    events.on_open = [this, gen] { on_open(gen); };
    events.on_text = [this, gen](const std::string& text) { on_text(gen, text); };
    events.on_end = [this, gen](std::uint16_t code, const std::string& reason) { on_end(gen, code, reason); };
    session.conn = detail::make_ws_connection(ioc, tls.get(), ep.tls,
                                              {opts.handshake_timeout, opts.idle_timeout}, std::move(events));
    session.conn->start(
        ep, detail::ws_request_target(ep, opts.token_in_url ? token : "", session.resume, opts.stream));
  }

  // Another user or organization: what the application holds is not theirs. A new session, no resume.
  void start_fresh_session() {
    stream.forget();
    principal.reset();
    backoff.reset();
    start_connection();
  }

  void schedule_reconnect(std::uint16_t code, const std::string& reason) {
    const auto delay = backoff.next();
    obs::warn("client: connection lost; reconnecting",
              {{"code", unsigned{code}}, {"reason", reason}, {"delay_ms", std::int64_t{delay.count()}}});
    set_state(State::reconnecting);
    retry_timer.expires_after(delay);
    retry_timer.async_wait([this, g = generation](boost::system::error_code ec) {
      if (ec || g != generation) return;
      start_connection();
    });
  }

  void on_open(std::uint64_t gen) {
    if (gen != generation) return;
    obs::info("client: connected", {{"url", ep.ws_url()}});
    // First-message auth: nothing else is sent before it (the server closes a session whose first message
    // is not auth). The token did not change since start_connection(): set_token() would have restarted.
    if (!opts.token_in_url) {
      // A scoped view rides in the auth message, so the first snapshot is already scoped: the whole
      // tenant's snapshot is never sent only to be held back.
      std::string first_view;
      if (view && !view->whole_tenant()) {
        begin_view();
        first_view = encode_view(*view, *session.view_sent, false);
      }
      session.conn->send_text(detail::encode_auth(token, session.resume, opts.stream, first_view));
    }
    set_state(State::open);
  }

  void on_text(std::uint64_t gen, const std::string& text) {
    if (gen != generation) return;
    // Only a compact session pays for the compact decoder's look at each message (JSON sessions get no
    // `tc` or `devices`; should one come anyway, it is ignored below as an unknown type).
    if (opts.stream.format == StreamFormat::compact) {
      auto kind = compact.decode(text);
      if (!kind) {
        // Unlike a bad JSON frame this cannot be skipped: the events (or the indexes they need) are unknown.
        return restart_after_loss("compact message",
                                  {{"error", kind.error().message},
                                   {"field", kind.error().field},
                                   {"index", std::uint64_t{kind.error().index.value_or(0)}}});
      }
      if (*kind == CompactDecoder::Kind::devices) return;
      if (*kind == CompactDecoder::Kind::telemetry) return on_telemetry(compact.frame());
    }
    auto msg = proto::decode_server_message(text);
    if (!msg) {
      // Skip the message but keep the stream: one bad frame should not cost a reconnect and a snapshot.
      // (A skipped telemetry frame still costs one if it held events: the next frame shows the gap.)
      obs::warn("client: ignoring server message", {{"error", msg.error().message}});
      return;
    }
    if (auto* hello = std::get_if<proto::Hello>(&*msg)) {
      on_hello(*hello);
    } else if (auto* snap = std::get_if<proto::SnapshotMessage>(&*msg)) {
      on_snapshot(*snap);
    } else if (auto* tel = std::get_if<proto::TelemetryMessage>(&*msg)) {
      on_telemetry(*tel);
    } else if (auto* ok = std::get_if<proto::AuthOkMessage>(&*msg)) {
      on_auth_ok(*ok);
    } else if (auto* change = std::get_if<proto::ViewChangeMessage>(&*msg)) {
      if (!session.holding) invoke(opts.callbacks.on_view_change, "on_view_change", *change);
    } else if (std::holds_alternative<proto::PongMessage>(*msg)) {
      invoke(opts.callbacks.on_pong, "on_pong");
    }
  }

  void on_hello(const proto::Hello& hello) {
    if (stream.on_hello(hello) == StreamTracker::Verdict::loss) {
      return restart_after_loss("hello", {{"seq", std::uint64_t{hello.seq}}, {"epoch", hello.epoch}});
    }
    principal = Principal{hello.user, hello.tenant};
    backoff.reset();  // the server accepted the token and is serving: the next drop starts from min again
    invoke(opts.callbacks.on_hello, "on_hello", hello);
    // A view is per connection: one not sent in the auth message (a token in the URL) follows hello. Until
    // it is answered, the application keeps what the last view showed: this connection's unscoped stream
    // would show it the whole tenant.
    if (view && !view->whole_tenant() && session.conn && !session.view_sent) {
      session.holding = true;
      send_view();
    }
  }

  // Numbers the current view for the current connection. Until its snapshot arrives the stream may follow
  // the previous view or this one (no gap check), and a new connection's stream is held back.
  void begin_view() {
    const std::uint64_t id = next_view_id++;
    session.view_sent = id;
    session.view_answered = false;
    if (stream.phase() == StreamTracker::Phase::awaiting_hello) session.holding = true;
    stream.set_scoped(true);
    obs::info("client: sending view", {{"view", id}});
  }

  // Sends the current view on the current (live) connection with the next id.
  void send_view() {
    begin_view();
    session.conn->send_text(encode_view(*view, *session.view_sent));
  }

  void on_snapshot(const proto::SnapshotMessage& snap) {
    if (snap.view && snap.view != session.view_sent) {
      // An older view's answer (a newer one is on its way), or a view this connection never sent.
      obs::info("client: ignoring the snapshot of an older view", {{"view", *snap.view}});
      return;
    }
    if (stream.on_snapshot(snap.seq) != StreamTracker::Verdict::apply) {
      obs::warn("client: ignoring a snapshot before hello", {{"seq", std::uint64_t{snap.seq}}});
      return;
    }
    if (snap.view) {
      // view_sent was sent with the view as it is now: set_view() sends any change at once.
      session.view_answered = true;
      session.scoped = view && !view->whole_tenant();
      session.holding = false;
    }
    stream.set_scoped(session.scoped || (session.view_sent && !session.view_answered));
    if (session.holding) return;
    invoke(opts.callbacks.on_snapshot, "on_snapshot", snap.seq, snap.devices);
    if (snap.view) invoke(opts.callbacks.on_view, "on_view", *snap.view, snap.unknown);
  }

  void on_telemetry(const proto::TelemetryMessage& frame) {
    const Seq prev = stream.last_seq();
    switch (stream.on_telemetry(frame)) {
      case StreamTracker::Verdict::apply:
        if (!session.holding) invoke(opts.callbacks.on_telemetry, "on_telemetry", frame.events);
        return;
      case StreamTracker::Verdict::ignore: return;
      case StreamTracker::Verdict::loss:
        return restart_after_loss("telemetry", {{"prev", std::uint64_t{prev}},
                                                {"first", std::uint64_t{frame.events.front().seq}},
                                                {"last", std::uint64_t{frame.events.back().seq}},
                                                {"events", std::uint64_t{frame.events.size()}},
                                                {"skipped", std::uint64_t{frame.skipped}}});
    }
  }

  // The stream is inconsistent (docs/protocol.md: "Anything else is loss: the client reconnects and resumes
  // from prev"). The frame is not delivered; the resume point still names the last applied seq. Backoff,
  // not an immediate retry, so a server that keeps sending gaps cannot spin the client.
  void restart_after_loss(const char* message, std::initializer_list<obs::Field> fields) {
    obs::warn(std::string("client: inconsistent ") + message + "; reconnecting to resume", fields);
    drop_connection(false);
    invoke(opts.callbacks.on_close, "on_close", std::uint16_t{1000}, std::string(kGapReason));
    schedule_reconnect(1000, kGapReason);
  }

  void on_auth_ok(const proto::AuthOkMessage& ok) {
    if (session.refresh == Refresh::idle) {
      obs::warn("client: ignoring auth_ok without a refresh in flight");
      return;
    }
    const bool newer_waiting = session.refresh == Refresh::newer_waiting;
    session.refresh = Refresh::idle;
    obs::info("client: token refreshed in-band", {{"token_exp", ok.token_exp}});
    invoke(opts.callbacks.on_auth_ok, "on_auth_ok", ok.token_exp);
    if (newer_waiting) refresh_in_band();
  }

  void refresh_in_band() {
    if (session.refresh != Refresh::idle) {
      // One in flight at a time (the server rate-limits auth messages); only the newest token matters.
      session.refresh = Refresh::newer_waiting;
      return;
    }
    session.refresh = Refresh::in_flight;
    session.refreshed_in_band = true;
    obs::info("client: refreshing the token in-band", {{"token", redact_secret(token)}});
    session.conn->send_text(detail::encode_auth(token, std::nullopt));
  }

  void on_end(std::uint64_t gen, std::uint16_t code, const std::string& reason) {
    if (gen != generation) return;
    const bool refreshed = session.refreshed_in_band;
    session = Session{};
    ++generation;
    invoke(opts.callbacks.on_close, "on_close", code, reason);
    switch (after_close(code, reason, refreshed)) {
      case AfterClose::wait_for_token:
        obs::warn("client: server refused the token; waiting for a new one",
                  {{"code", unsigned{code}}, {"reason", reason}});
        set_state(State::closed);
        return;
      case AfterClose::reconnect_now_with_token:
        // Not a refusal: the new token is valid, for someone else's session. Connect with it at once.
        obs::info("client: the refreshed token needs a session of its own; reconnecting",
                  {{"reason", reason}, {"token", redact_secret(token)}});
        start_fresh_session();
        return;
      case AfterClose::reconnect_fresh:
        stream.forget();
        schedule_reconnect(code, reason);
        return;
      case AfterClose::reconnect: schedule_reconnect(code, reason); return;
    }
  }

  void do_set_token(std::string t) {
    if (t == token) return;
    token = std::move(t);
    if (token.empty()) {
      obs::info("client: token cleared; disconnecting");
      drop_connection(true);
      set_state(State::closed);
      return;
    }
    if (principal && match_token(token, principal->user, principal->tenant) == TokenMatch::different) {
      obs::info("client: token for another user or organization; new session without resume");
      start_fresh_session();
      return;
    }
    // Same principal, or a token the client cannot read (the server decides). In-band needs a session
    // that said hello; before that, or in the URL mode, the new token simply takes over the connection.
    if (session.conn && stream.phase() != StreamTracker::Phase::awaiting_hello && !opts.token_in_url) {
      refresh_in_band();
      return;
    }
    backoff.reset();
    start_connection();
  }

  void do_connect() {
    if (token.empty()) {
      obs::warn("client: connect() without a token; call set_token() first");
      return;
    }
    const State s = state.load();
    if (s == State::connecting || s == State::open || s == State::reconnecting) return;
    backoff.reset();
    start_connection();
  }

  void do_close() {
    drop_connection(true);
    if (state.load() != State::idle) set_state(State::closed);
  }

  void do_set_view(View v) {
    view = std::move(v);
    // Live: now. Otherwise the next hello sends it (a whole-tenant view is every connection's start).
    if (session.conn && stream.phase() != StreamTracker::Phase::awaiting_hello) send_view();
  }

  void do_ping() {
    if (session.conn && state.load() == State::open)
      session.conn->send_text(std::string(detail::kPingMessage));
  }
};

Client::Client(Options options) : impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

// A failed post, wait or join is fatal: terminating is right.
// NOLINTNEXTLINE(bugprone-exception-escape)
Client::~Client() {
  std::promise<void> closed;
  auto done = closed.get_future();
  asio::post(impl_->ioc, [impl = impl_.get(), &closed] {
    impl->shutting_down = true;
    impl->drop_connection(false);
    impl->work.reset();
    closed.set_value();
  });
  done.wait();
  // Give the close handshake a moment to reach the server, but never hang on an unresponsive one.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (!impl_->ioc.stopped() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->ioc.stop();
  impl_->thread.join();
}

void Client::set_token(std::string token) {
  asio::post(impl_->ioc,
             [impl = impl_.get(), t = std::move(token)]() mutable { impl->do_set_token(std::move(t)); });
}

void Client::connect() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->do_connect(); });
}

void Client::close() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->do_close(); });
}

void Client::set_view(View view) {
  if (auto bad = validate(view); !bad.empty()) throw std::invalid_argument("invalid view: " + bad);
  asio::post(impl_->ioc,
             [impl = impl_.get(), v = std::move(view)]() mutable { impl->do_set_view(std::move(v)); });
}

void Client::ping() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->do_ping(); });
}

Client::State Client::state() const noexcept { return impl_->state.load(); }

}  // namespace fleet
