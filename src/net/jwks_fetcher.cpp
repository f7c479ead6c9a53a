#include "net/jwks_fetcher.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "auth/key_set.hpp"
#include "obs/log.hpp"
#include "obs/metrics.hpp"
#include "obs/thread_name.hpp"

namespace fleet::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

Error config_error(std::string msg) {
  return make_error(ErrorCode::invalid_field, "jwks: " + std::move(msg));
}

struct Endpoint {
  bool tls = true;
  bool host_is_ip = false;
  std::string host;  // no brackets for IPv6
  std::string port;
  std::string target;       // path and query
  std::string host_header;  // host[:port] as written in the URL
};

bool is_loopback_host(const std::string& host) {
  if (host == "localhost") return true;
  beast::error_code ec;
  const auto addr = asio::ip::make_address(host, ec);
  return !ec && addr.is_loopback();
}

Result<Endpoint> parse_endpoint(const std::string& url) {
  auto u = boost::urls::parse_uri(url);
  if (!u) return config_error("URL is not an absolute URI");
  Endpoint e;
  if (u->scheme_id() == boost::urls::scheme::https) {
    e.tls = true;
  } else if (u->scheme_id() == boost::urls::scheme::http) {
    e.tls = false;
  } else {
    return config_error("URL scheme must be https");
  }
  if (u->has_userinfo()) return config_error("URL must not carry credentials");
  e.host = std::string(u->encoded_host_address());
  if (e.host.empty() || e.host.find('%') != std::string::npos)
    return config_error("URL host is empty or escaped");
  e.host_is_ip =
      u->host_type() == boost::urls::host_type::ipv4 || u->host_type() == boost::urls::host_type::ipv6;
  if (!e.tls && !is_loopback_host(e.host))
    return config_error("plain http is only allowed for loopback hosts");
  e.port = (u->has_port() && !u->port().empty()) ? std::string(u->port()) : std::string(e.tls ? "443" : "80");
  e.target = std::string(u->encoded_target());
  if (e.target.empty()) e.target = "/";
  e.host_header = std::string(u->encoded_host_and_port());
  return e;
}

struct FetchOutcome {
  bool ok = false;
  std::string body;
  std::string error;
};

FetchOutcome failed(std::string what, const beast::error_code& ec = {}) {
  FetchOutcome o;
  o.error = ec ? what + ": " + ec.message() : std::move(what);
  return o;
}

// One fetch's I/O objects, shared with the deadline handler so a timeout can close whatever is open.
struct FetchOp {
  FetchOp(asio::io_context& io, ssl::context& ctx) : resolver(io), deadline(io), plain(io), secure(io, ctx) {}
  tcp::resolver resolver;
  asio::steady_timer deadline;
  beast::tcp_stream plain;
  beast::ssl_stream<beast::tcp_stream> secure;
  bool timed_out = false;

  void abort() {
    resolver.cancel();
    beast::error_code ec;
    plain.socket().close(ec);
    beast::get_lowest_layer(secure).socket().close(ec);
  }
};

auto use_ec(beast::error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

template <class Stream>
asio::awaitable<FetchOutcome> exchange(Stream& stream, const Endpoint& ep, std::size_t max_body) {
  beast::error_code ec;
  http::request<http::empty_body> req{http::verb::get, ep.target, 11};
  req.set(http::field::host, ep.host_header);
  req.set(http::field::user_agent, "fleet-live/" FLEET_VERSION);
  req.set(http::field::accept, "application/json, application/jwk-set+json");
  req.set(http::field::connection, "close");
  co_await http::async_write(stream, req, use_ec(ec));
  if (ec) co_return failed("write", ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(max_body);
  co_await http::async_read(stream, buffer, parser, use_ec(ec));
  if (ec == http::error::body_limit) co_return failed("response body over the limit");
  if (ec) co_return failed("read", ec);
  auto& res = parser.get();
  // Redirects are not followed: the configured URL is the only trusted source of keys.
  if (res.result() != http::status::ok) co_return failed("HTTP status " + std::to_string(res.result_int()));
  FetchOutcome ok;
  ok.ok = true;
  ok.body = std::move(res.body());
  co_return ok;
}

asio::awaitable<FetchOutcome> fetch_steps(FetchOp& op, const Endpoint& ep, std::size_t max_body) {
  beast::error_code ec;
  const auto results = co_await op.resolver.async_resolve(ep.host, ep.port, use_ec(ec));
  if (ec) co_return failed("resolve", ec);
  if (!ep.tls) {
    // "localhost" could be made to resolve elsewhere; plain http must really stay on this machine.
    for (const auto& r : results) {
      if (!r.endpoint().address().is_loopback()) co_return failed("plain http host resolved off loopback");
    }
    co_await op.plain.async_connect(results, use_ec(ec));
    if (ec) co_return failed("connect", ec);
    co_return co_await exchange(op.plain, ep, max_body);
  }

  SSL* ssl_handle = op.secure.native_handle();
  if (ep.host_is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_handle), ep.host.c_str()) != 1) {
      co_return failed("cannot set certificate IP check");
    }
  } else {
    // SNI (SSL_set_tlsext_host_name is a macro with a C cast) and the certificate hostname check.
    if (SSL_ctrl(ssl_handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(ep.host.c_str())) != 1 ||
        SSL_set1_host(ssl_handle, ep.host.c_str()) != 1) {
      co_return failed("cannot set TLS host name");
    }
  }
  co_await beast::get_lowest_layer(op.secure).async_connect(results, use_ec(ec));
  if (ec) co_return failed("connect", ec);
  co_await op.secure.async_handshake(ssl::stream_base::client, use_ec(ec));
  if (ec) co_return failed("TLS handshake", ec);
  co_return co_await exchange(op.secure, ep, max_body);
}

asio::awaitable<FetchOutcome> fetch(std::shared_ptr<FetchOp> op, Endpoint ep,
                                    std::chrono::milliseconds timeout, std::size_t max_body) {
  op->deadline.expires_after(timeout);
  op->deadline.async_wait([op](beast::error_code ec) {
    if (!ec) {
      op->timed_out = true;
      op->abort();
    }
  });
  FetchOutcome out = co_await fetch_steps(*op, ep, max_body);
  op->deadline.cancel();
  op->abort();
  if (!out.ok && op->timed_out) out.error = "timed out";
  co_return out;
}

}  // namespace

struct JwksFetcher::Impl : std::enable_shared_from_this<Impl> {
  Impl(JwksFetcherConfig c, Endpoint e)
      : cfg(std::move(c)),
        ep(std::move(e)),
        fetches(obs::Registry::global().counter("fleet_jwks_fetches_total", "JWKS fetch attempts")),
        failures(obs::Registry::global().counter("fleet_jwks_fetch_failures_total",
                                                 "JWKS fetches that failed (previous keys kept)")) {}

  JwksFetcherConfig cfg;
  Endpoint ep;
  asio::io_context io{1};
  ssl::context tls_ctx{ssl::context::tls_client};
  asio::steady_timer periodic{io};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::thread thread;
  obs::Counter& fetches;
  obs::Counter& failures;

  // Shared with callers' threads.
  mutable std::mutex mu;
  mutable std::condition_variable loaded_cv;
  std::shared_ptr<const auth::KeySet> keys = auth::KeySet::from_keys({});
  bool loaded = false;
  bool running = false;
  bool stopped = false;

  // Fetch thread only.
  bool fetching = false;
  bool stopping = false;
  std::optional<Clock::time_point> last_start;
  std::vector<std::function<void()>> waiters;
  std::shared_ptr<FetchOp> op;

  Result<void> init_tls() {
    beast::error_code ec;
    tls_ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                        ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    tls_ctx.set_verify_mode(ssl::verify_peer, ec);
    if (!ec) tls_ctx.set_default_verify_paths(ec);
    if (!ec && !cfg.ca_file.empty()) tls_ctx.load_verify_file(cfg.ca_file, ec);
    if (ec) return config_error("TLS setup: " + ec.message());
    return {};
  }

  void begin_fetch() {
    if (fetching || stopping) return;
    fetching = true;
    last_start = Clock::now();
    fetches.inc();
    op = std::make_shared<FetchOp>(io, tls_ctx);
    asio::co_spawn(io, fetch(op, ep, cfg.timeout, cfg.max_body_bytes),
                   [this](const std::exception_ptr& e, FetchOutcome r) {
                     if (e) r = failed("internal error");
                     finish(std::move(r));
                   });
  }

  void finish(FetchOutcome r) {
    op.reset();
    fetching = false;
    bool ok = false;
    if (r.ok) {
      auto set = auth::KeySet::from_jwks(r.body);
      if (set) {
        const std::size_t n = (*set)->size();
        {
          std::lock_guard lock(mu);
          keys = std::move(*set);  // wholesale: keys absent from the new document stop working
          loaded = true;
        }
        loaded_cv.notify_all();
        ok = true;
        obs::info("jwks fetched", {{"host", ep.host}, {"keys", static_cast<std::uint64_t>(n)}});
      } else {
        r.error = set.error().message;
      }
    }
    if (!ok) {
      failures.inc();
      obs::warn("jwks fetch failed, keeping previous keys", {{"host", ep.host}, {"reason", r.error}});
    }
    auto w = std::move(waiters);
    waiters.clear();
    for (auto& f : w) f();
    if (!stopping) {
      periodic.expires_after(ok ? cfg.refresh_interval : cfg.retry_interval);
      periodic.async_wait([this](beast::error_code ec) {
        if (!ec) begin_fetch();
      });
    }
  }

  void on_refresh(std::function<void()> done) {
    if (stopping) return done();
    if (fetching) return waiters.push_back(std::move(done));
    if (last_start && Clock::now() - *last_start < cfg.min_refresh_gap) {
      obs::debug("jwks refresh skipped (rate limit)", {{"host", ep.host}});
      return done();
    }
    waiters.push_back(std::move(done));
    begin_fetch();
  }

  void on_stop() {
    stopping = true;
    periodic.cancel();
    if (op) op->abort();  // its completion runs the waiters
  }
};

Result<std::shared_ptr<JwksFetcher>> JwksFetcher::create(JwksFetcherConfig config) {
  auto ep = parse_endpoint(config.url);
  if (!ep) return ep.error();
  if (config.timeout.count() <= 0 || config.max_body_bytes == 0 || config.refresh_interval.count() <= 0 ||
      config.retry_interval.count() <= 0 || config.min_refresh_gap.count() < 0) {
    return config_error("timeouts, intervals and body limit must be positive");
  }
  auto impl = std::make_shared<Impl>(std::move(config), std::move(*ep));
  if (auto r = impl->init_tls(); !r) return r.error();
  return std::shared_ptr<JwksFetcher>(new JwksFetcher(std::move(impl)));
}

// A failed lock or join is fatal: terminating is right.
// NOLINTNEXTLINE(bugprone-exception-escape)
JwksFetcher::~JwksFetcher() { stop(); }

void JwksFetcher::start() {
  Impl& m = *impl_;
  std::lock_guard lock(m.mu);
  if (m.running || m.stopped) return;
  m.running = true;
  m.work.emplace(m.io.get_executor());
  asio::post(m.io, [&m] { m.begin_fetch(); });
  // The thread owns a reference: if the last handle is dropped on this very thread (from a refresh
  // callback), stop() cannot join, and the Impl must outlive the running io_context.
  m.thread = std::thread([self = impl_]() mutable {
    obs::set_thread_name("fleet-jwks");
    try {
      self->io.run();
    } catch (const std::exception& e) {
      obs::error("jwks fetch thread failed", {{"error", e.what()}});
    }
    self.reset();
  });
}

bool JwksFetcher::wait_for_keys(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mu);
  return impl_->loaded_cv.wait_for(lock, timeout, [&] { return impl_->loaded; });
}

void JwksFetcher::stop() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (!m.running) return;
    m.running = false;
    m.stopped = true;
  }
  asio::post(m.io, [&m] { m.on_stop(); });
  m.work.reset();
  if (m.thread.get_id() == std::this_thread::get_id()) {
    m.thread.detach();
  } else {
    m.thread.join();
  }
}

std::shared_ptr<const auth::KeySet> JwksFetcher::current() const {
  std::lock_guard lock(impl_->mu);
  return impl_->keys;
}

void JwksFetcher::refresh(std::function<void()> done) {
  if (!done) done = [] {};
  Impl& m = *impl_;
  std::unique_lock lock(m.mu);
  if (!m.running) {
    lock.unlock();
    done();
    return;
  }
  // Posted under the lock, so it is queued before stop()'s handler and always runs.
  asio::post(m.io, [&m, d = std::move(done)]() mutable { m.on_refresh(std::move(d)); });
}

}  // namespace fleet::net
