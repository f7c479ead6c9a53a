#include "fleet/client.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <atomic>
#include <exception>
#include <future>
#include <stdexcept>
#include <thread>
#include <variant>

#include "fleet/backoff.hpp"
#include "fleet/endpoint.hpp"
#include "obs/log.hpp"
#include "proto/close_codes.hpp"
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
  Options opts;
  Endpoint ep;
  std::unique_ptr<asio::ssl::context> tls;  // before ioc: connections destroyed with ioc may still use it
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  asio::steady_timer retry_timer{ioc};
  Backoff backoff;
  std::atomic<State> state{State::idle};

  std::string token;
  std::uint64_t generation = 0;  // bumped whenever the current connection is replaced or dropped
  std::shared_ptr<detail::WsConnection> conn;
  bool shutting_down = false;  // no callbacks once the destructor started
  std::thread thread;

  explicit Impl(Options o) : opts(std::move(o)), backoff(opts.backoff_min, opts.backoff_max, opts.random) {
    auto parsed = parse_endpoint(opts.base_url);
    if (!parsed) throw std::invalid_argument(parsed.error().message);
    ep = *parsed;
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
    if (!conn) return;
    conn->close();
    conn.reset();
    if (report) invoke(opts.callbacks.on_close, "on_close", std::uint16_t{1000}, std::string("Normal closure"));
  }

  void start_connection() {
    drop_connection(false);
    const std::uint64_t gen = generation;
    set_state(State::connecting);
    obs::info("client: connecting", {{"url", ep.ws_url()}, {"token", redact_secret(token)}});
    detail::WsEvents events;
    events.on_open = [this, gen] { on_open(gen); };
    events.on_text = [this, gen](std::string text) { on_text(gen, text); };
    events.on_end = [this, gen](std::uint16_t code, std::string reason) { on_end(gen, code, reason); };
    conn = detail::make_ws_connection(ioc, tls.get(), ep.tls, {opts.handshake_timeout, opts.idle_timeout},
                                      std::move(events));
    conn->start(ep, ws_target(ep, token));
  }

  void on_open(std::uint64_t gen) {
    if (gen != generation) return;
    obs::info("client: connected", {{"url", ep.ws_url()}});
    set_state(State::open);
  }

  void on_text(std::uint64_t gen, const std::string& text) {
    if (gen != generation) return;
    auto msg = proto::decode_server_message(text);
    if (!msg) {
      // Skip the message but keep the stream: one bad frame should not cost a reconnect and a snapshot.
      obs::warn("client: ignoring server message", {{"error", msg.error().message}});
      return;
    }
    const auto& cb = opts.callbacks;
    if (auto* hello = std::get_if<proto::Hello>(&*msg)) {
      backoff.reset();  // the server accepted the token and is serving: the next drop starts from min again
      invoke(cb.on_hello, "on_hello", *hello);
    } else if (auto* snap = std::get_if<proto::SnapshotMessage>(&*msg)) {
      invoke(cb.on_snapshot, "on_snapshot", snap->seq, snap->devices);
    } else if (auto* tel = std::get_if<proto::TelemetryMessage>(&*msg)) {
      invoke(cb.on_telemetry, "on_telemetry", tel->events);
    } else {
      invoke(cb.on_pong, "on_pong");
    }
  }

  void on_end(std::uint64_t gen, std::uint16_t code, const std::string& reason) {
    if (gen != generation) return;
    conn.reset();
    ++generation;
    invoke(opts.callbacks.on_close, "on_close", code, reason);
    if (proto::needs_new_token(code)) {
      obs::warn("client: server refused the token; waiting for a new one",
                {{"code", unsigned{code}}, {"reason", reason}});
      set_state(State::closed);
      return;
    }
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

  void do_set_token(std::string t) {
    if (t == token) return;
    token = std::move(t);
    if (token.empty()) {
      obs::info("client: token cleared; disconnecting");
      drop_connection(true);
      set_state(State::closed);
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

  void do_ping() {
    if (conn && state.load() == State::open) conn->send_text(R"({"type":"ping"})");
  }
};

Client::Client(Options options) : impl_(std::make_shared<Impl>(std::move(options))) {
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

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
  asio::post(impl_->ioc, [impl = impl_.get(), t = std::move(token)]() mutable { impl->do_set_token(std::move(t)); });
}

void Client::connect() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->do_connect(); });
}

void Client::close() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->do_close(); });
}

void Client::ping() {
  asio::post(impl_->ioc, [impl = impl_.get()] { impl->do_ping(); });
}

Client::State Client::state() const noexcept { return impl_->state.load(); }

}  // namespace fleet
