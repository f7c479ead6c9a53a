#include "net/jwks_fetcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "auth/dev_issuer.hpp"
#include "auth/jwt_authenticator.hpp"
#include "eventually.hpp"
#include "obs/metrics.hpp"

namespace fleet::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using fleet::testing::eventually;

// A one-request-per-connection HTTP server on 127.0.0.1:<ephemeral> serving a replaceable document.
class JwksServer {
 public:
  JwksServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~JwksServer() { shutdown(); }

  void serve(std::string body, unsigned status = 200) {
    std::lock_guard lock(mu_);
    body_ = std::move(body);
    status_ = status;
  }
  // While held, requests are counted and then wait for release() before they are answered: a server as
  // slow as a test needs, without a clock. shutdown() releases them.
  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    released_.notify_all();
  }
  // Closes the listening socket: later connections are refused.
  void shutdown() {
    release();
    if (!thread_.joinable()) return;
    asio::post(io_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    thread_.join();
  }
  int requests() const { return requests_.load(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/.well-known/jwks.json"; }

 private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec) return;
      handle(std::move(s));
      accept();
    });
  }
  // Synchronous on the server thread: simple, and a held request stalls the server as a slow one would.
  void handle(tcp::socket s) {
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    beast::error_code ec;
    http::read(s, buf, req, ec);
    if (ec) return;
    ++requests_;
    std::string body;
    unsigned status;
    {
      std::unique_lock lock(mu_);
      released_.wait(lock, [this] { return !held_; });
      body = body_;
      status = status_;
    }
    http::response<http::string_body> res{static_cast<http::status>(status), 11};
    res.set(http::field::content_type, "application/json");
    res.body() = body;
    res.prepare_payload();
    http::write(s, res, ec);
    s.shutdown(tcp::socket::shutdown_send, ec);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string body_ = "{}";
  unsigned status_ = 200;
  bool held_ = false;
  std::condition_variable released_;
  std::atomic<int> requests_{0};
};

std::shared_ptr<const auth::DevIssuer> issuer() { return auth::DevIssuer::create().value(); }

JwksFetcherConfig config_for(const JwksServer& s) {
  JwksFetcherConfig c;
  c.url = s.url();
  c.timeout = 2s;
  c.min_refresh_gap = 0ms;
  return c;
}

// Calls refresh and waits for its completion; false on timeout.
bool refresh_and_wait(JwksFetcher& f, std::chrono::milliseconds timeout = 20s) {
  auto p = std::make_shared<std::promise<void>>();
  auto fut = p->get_future();
  f.refresh([p] { p->set_value(); });
  return fut.wait_for(timeout) == std::future_status::ready;
}

JwksFetcherConfig with_url(std::string url) {
  JwksFetcherConfig c;
  c.url = std::move(url);
  return c;
}

std::uint64_t counter(std::string_view name) { return obs::Registry::global().counter(name, "").value(); }

TEST(JwksFetcher, ConfigValidation) {
  EXPECT_FALSE(JwksFetcher::create(with_url("http://example.com/jwks")).has_value());
  EXPECT_FALSE(JwksFetcher::create(with_url("http://10.0.0.1/jwks")).has_value());
  EXPECT_FALSE(JwksFetcher::create(with_url("ftp://127.0.0.1/jwks")).has_value());
  EXPECT_FALSE(JwksFetcher::create(with_url("https://user:pw@example.com/jwks")).has_value());
  EXPECT_FALSE(JwksFetcher::create(with_url("not a url")).has_value());
  EXPECT_FALSE(JwksFetcher::create(with_url("/relative")).has_value());
  EXPECT_TRUE(JwksFetcher::create(with_url("https://clerk.example.com/.well-known/jwks.json")).has_value());
  EXPECT_TRUE(JwksFetcher::create(with_url("http://127.0.0.1:8080/jwks")).has_value());
  EXPECT_TRUE(JwksFetcher::create(with_url("http://127.1.2.3/jwks")).has_value());
  EXPECT_TRUE(JwksFetcher::create(with_url("http://localhost:8080/jwks")).has_value());
  EXPECT_TRUE(JwksFetcher::create(with_url("http://[::1]:8080/jwks")).has_value());
}

TEST(JwksFetcher, NotStartedRefreshCompletesInline) {
  auto f = JwksFetcher::create(with_url("http://127.0.0.1:1/jwks")).value();
  bool called = false;
  f->refresh([&] { called = true; });
  EXPECT_TRUE(called);
  EXPECT_EQ(f->current()->size(), 0u);
}

TEST(JwksFetcher, InitialFetch) {
  JwksServer server;
  auto a = issuer();
  server.serve(a->jwks_json());
  const auto fetches = counter("fleet_jwks_fetches_total");
  auto f = JwksFetcher::create(config_for(server)).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(5s));
  EXPECT_NE(f->current()->find(a->kid()), nullptr);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_GE(counter("fleet_jwks_fetches_total"), fetches + 1);
  f->stop();
}

TEST(JwksFetcher, RotationReplacesKeysWholesale) {
  JwksServer server;
  auto a = issuer();
  auto b = issuer();
  server.serve(a->jwks_json());
  auto f = JwksFetcher::create(config_for(server)).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(5s));
  server.serve(b->jwks_json());
  ASSERT_TRUE(refresh_and_wait(*f));
  EXPECT_NE(f->current()->find(b->kid()), nullptr);
  EXPECT_EQ(f->current()->find(a->kid()), nullptr);  // removed keys stop working
}

TEST(JwksFetcher, PeriodicRefresh) {
  JwksServer server;
  auto a = issuer();
  auto b = issuer();
  server.serve(a->jwks_json());
  auto cfg = config_for(server);
  cfg.refresh_interval = 100ms;
  auto f = JwksFetcher::create(cfg).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(5s));
  server.serve(b->jwks_json());
  eventually([&] { return f->current()->find(b->kid()) != nullptr; });
  EXPECT_NE(f->current()->find(b->kid()), nullptr);
}

TEST(JwksFetcher, OnDemandRefreshIsRateLimited) {
  JwksServer server;
  auto a = issuer();
  auto b = issuer();
  server.serve(a->jwks_json());
  auto cfg = config_for(server);
  cfg.min_refresh_gap = 60s;
  auto f = JwksFetcher::create(cfg).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(5s));
  server.serve(b->jwks_json());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(refresh_and_wait(*f));  // each completes: skipped
  EXPECT_EQ(server.requests(), 1);
  EXPECT_NE(f->current()->find(a->kid()), nullptr);
  EXPECT_EQ(f->current()->find(b->kid()), nullptr);
}

TEST(JwksFetcher, ConcurrentRefreshesCoalesce) {
  JwksServer server;
  auto a = issuer();
  server.serve(a->jwks_json());
  server.hold();  // the initial fetch stays in flight until every caller has asked
  auto f = JwksFetcher::create(config_for(server)).value();
  f->start();
  ASSERT_TRUE(eventually([&] { return server.requests() > 0; }));
  ASSERT_EQ(server.requests(), 1);
  std::atomic<int> done{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) callers.emplace_back([&] { f->refresh([&] { ++done; }); });
  for (auto& t : callers) t.join();
  server.release();
  eventually([&] { return done.load() == 8; });
  EXPECT_EQ(done.load(), 8);
  EXPECT_EQ(server.requests(), 1);  // all joined the initial fetch in flight
  EXPECT_NE(f->current()->find(a->kid()), nullptr);
}

TEST(JwksFetcher, StaleKeysKeptWhenServerDown) {
  auto server = std::make_unique<JwksServer>();
  auto a = issuer();
  server->serve(a->jwks_json());
  auto f = JwksFetcher::create(config_for(*server)).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(5s));
  server->shutdown();
  const auto failures = counter("fleet_jwks_fetch_failures_total");
  ASSERT_TRUE(refresh_and_wait(*f));
  EXPECT_EQ(counter("fleet_jwks_fetch_failures_total"), failures + 1);
  EXPECT_NE(f->current()->find(a->kid()), nullptr);
}

TEST(JwksFetcher, StaleKeysKeptOnBadResponses) {
  JwksServer server;
  auto a = issuer();
  server.serve(a->jwks_json());
  auto cfg = config_for(server);
  cfg.max_body_bytes = 4096;
  auto f = JwksFetcher::create(cfg).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(5s));
  const auto failures = counter("fleet_jwks_fetch_failures_total");
  server.serve("not json");
  ASSERT_TRUE(refresh_and_wait(*f));
  server.serve(R"({"keys":[]})");
  ASSERT_TRUE(refresh_and_wait(*f));
  server.serve(a->jwks_json(), 500);
  ASSERT_TRUE(refresh_and_wait(*f));
  server.serve(R"({"keys":[],"pad":")" + std::string(5000, 'x') + "\"}");  // over the body limit
  ASSERT_TRUE(refresh_and_wait(*f));
  EXPECT_EQ(counter("fleet_jwks_fetch_failures_total"), failures + 4);
  EXPECT_NE(f->current()->find(a->kid()), nullptr);
}

TEST(JwksFetcher, Timeout) {
  JwksServer server;
  server.serve(issuer()->jwks_json());
  server.hold();  // the server reads the request and never answers: only the timeout ends the fetch
  auto cfg = config_for(server);
  cfg.timeout = 200ms;
  auto f = JwksFetcher::create(cfg).value();
  f->start();
  ASSERT_TRUE(refresh_and_wait(*f));
  EXPECT_EQ(server.requests(), 1);  // it timed out waiting for the answer, not before asking
  EXPECT_EQ(f->current()->size(), 0u);
  f->stop();
}

TEST(JwksFetcher, StopCompletesPendingRefreshes) {
  JwksServer server;
  server.serve(issuer()->jwks_json());
  server.hold();
  auto cfg = config_for(server);
  cfg.timeout = 10s;
  auto f = JwksFetcher::create(cfg).value();
  f->start();
  std::atomic<bool> done{false};
  f->refresh([&] { done = true; });
  // The fetch is in flight: the server has the request and holds it, so the refresh is still pending.
  ASSERT_TRUE(eventually([&] { return server.requests() == 1; }));
  EXPECT_FALSE(done.load());
  const auto start = std::chrono::steady_clock::now();
  f->stop();
  EXPECT_TRUE(done.load());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);  // cancelled, not waited out (10 s timeout)
  bool after = false;
  f->refresh([&] { after = true; });  // stopped: completes inline
  EXPECT_TRUE(after);
}

TEST(JwksFetcher, AuthenticatorRefreshesOnUnknownKid) {
  JwksServer server;
  auto a = issuer();
  auto b = issuer();
  server.serve(a->jwks_json());
  auto f = JwksFetcher::create(config_for(server)).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(20s));
  auth::JwtAuthenticator authn(f, {});
  server.serve(b->jwks_json());  // the provider rotated to b
  const auto now = SystemClock::instance().now_s();
  auto p = std::make_shared<std::promise<auth::AuthOutcome>>();
  auto fut = p->get_future();
  authn.authenticate(b->issue("user_1", "org_1", "admin", 60, now).value(),
                     [p](auth::AuthOutcome o) { p->set_value(std::move(o)); });
  ASSERT_EQ(fut.wait_for(20s), std::future_status::ready);
  const auto o = fut.get();
  EXPECT_TRUE(o.ok) << o.detail;
  EXPECT_EQ(o.principal.tenant.str(), "org_1");
  EXPECT_EQ(server.requests(), 2);
  // The refresh callback runs on the fetch thread and holds the authenticator, and with it the fetcher,
  // until it returns. Stop (and join) here: were the last handle dropped on that thread, the fetcher
  // would detach it, and the process could exit while it still runs (LeakSanitizer then reports its
  // thread-local OpenSSL state). fleetd always stops its fetcher from the main thread.
  f->stop();
}

}  // namespace
}  // namespace fleet::net
