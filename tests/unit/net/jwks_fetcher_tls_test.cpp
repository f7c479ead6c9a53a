// JwksFetcher over https: the peer certificate must chain to a trusted CA (the system store plus
// JwksFetcherConfig::ca_file) and match the URL's host (DNS name or IP literal), and the protocol must be
// TLS 1.2 or later. The CA and certificates are generated per test (tls_test_certs.hpp).
#include <openssl/ssl.h>

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "auth/dev_issuer.hpp"
#include "eventually.hpp"
#include "net/jwks_fetcher.hpp"
#include "obs/metrics.hpp"
#include "tls_test_certs.hpp"

namespace fleet::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using test::TestPki;
using namespace std::chrono_literals;

// Server-side TLS settings. max_tls11 makes a server that cannot speak TLS 1.2: it needs security level 0,
// because OpenSSL 3 refuses TLS < 1.2 (SHA-1 handshake signatures) at every higher level.
std::shared_ptr<ssl::context> server_context(const TestPki::Leaf& leaf, bool max_tls11 = false) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  ctx->use_certificate_chain_file(leaf.cert_file);
  ctx->use_private_key_file(leaf.key_file, ssl::context::pem);
  if (max_tls11) {
    SSL_CTX_set_security_level(ctx->native_handle(), 0);
    SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx->native_handle(), TLS1_1_VERSION);
  }
  return ctx;
}

// An https server on 127.0.0.1:<ephemeral>, one request per connection, serving one JWKS document. Counts
// completed and failed TLS handshakes and records the SNI name of the last good one, so a test can tell
// "refused during the handshake" from "refused later", and check what the client announced.
class TlsJwksServer {
 public:
  TlsJwksServer(std::shared_ptr<ssl::context> ctx, std::string body)
      : ctx_(std::move(ctx)),
        body_(std::move(body)),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    port_ = acceptor_.local_endpoint().port();
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~TlsJwksServer() {
    asio::post(io_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    thread_.join();
  }

  unsigned short port() const { return port_; }
  std::string url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(port_) + "/.well-known/jwks.json";
  }
  int handshakes_ok() const { return ok_.load(); }
  int handshakes_failed() const { return failed_.load(); }
  int requests() const { return requests_.load(); }
  std::optional<std::string> last_sni() const {
    std::lock_guard lock(mu_);
    return sni_;
  }
  std::string last_handshake_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
  }
  // The fetcher may finish (its handshake failed) a moment before this thread sees the alert.
  bool wait_failed(int n) const {
    return fleet::testing::eventually([&] { return failed_.load() >= n; });
  }

 private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec) return;
      handle(std::move(s));
      accept();
    });
  }
  // Synchronous on the server thread: the clients in these tests always complete or abort promptly.
  void handle(tcp::socket s) {
    beast::error_code ec;
    ssl::stream<tcp::socket&> tls(s, *ctx_);
    tls.handshake(ssl::stream_base::server, ec);
    if (ec) {
      {
        std::lock_guard lock(mu_);
        last_error_ = ec.message();
      }
      ++failed_;
      return;
    }
    {
      const char* sni = SSL_get_servername(tls.native_handle(), TLSEXT_NAMETYPE_host_name);
      std::lock_guard lock(mu_);
      sni_ = sni ? std::optional<std::string>(sni) : std::nullopt;
    }
    ++ok_;
    beast::flat_buffer buf;
    http::request<http::string_body> req;
    http::read(tls, buf, req, ec);
    if (ec) return;
    ++requests_;
    http::response<http::string_body> res{http::status::ok, 11};
    res.set(http::field::content_type, "application/json");
    res.body() = body_;
    res.prepare_payload();
    http::write(tls, res, ec);
    s.shutdown(tcp::socket::shutdown_send, ec);
  }

  std::shared_ptr<ssl::context> ctx_;
  std::string body_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::optional<std::string> sni_;
  std::string last_error_;
  std::atomic<int> ok_{0};
  std::atomic<int> failed_{0};
  std::atomic<int> requests_{0};
};

std::uint64_t failures() {
  return obs::Registry::global().counter("fleet_jwks_fetch_failures_total", "").value();
}

JwksFetcherConfig tls_config(std::string url, std::string ca_file) {
  JwksFetcherConfig c;
  c.url = std::move(url);
  c.ca_file = std::move(ca_file);
  c.timeout = 3s;
  c.min_refresh_gap = 0ms;
  return c;
}

// Starts a fetcher that must fail: waits for a completed attempt and checks that it failed at the TLS
// handshake (the server saw a failed handshake and no request) and left the key set empty.
void expect_refused(TlsJwksServer& server, JwksFetcherConfig cfg) {
  const auto before = failures();
  auto f = JwksFetcher::create(std::move(cfg)).value();
  f->start();
  auto p = std::make_shared<std::promise<void>>();
  auto done = p->get_future();
  f->refresh([p] { p->set_value(); });  // joins the initial fetch, or runs one more: either way one completes
  ASSERT_EQ(done.wait_for(5s), std::future_status::ready);
  f->stop();
  EXPECT_GE(failures(), before + 1);
  EXPECT_EQ(f->current()->size(), 0u);
  EXPECT_TRUE(server.wait_failed(1));
  EXPECT_EQ(server.handshakes_ok(), 0);
  EXPECT_EQ(server.requests(), 0);
}

class JwksFetcherTls : public ::testing::Test {
 protected:
  TestPki pki;
  std::shared_ptr<const auth::DevIssuer> issuer = auth::DevIssuer::create().value();
};

TEST_F(JwksFetcherTls, FetchesFromIpLiteralWithCaFile) {
  TlsJwksServer server(server_context(pki.issue("server", test::loopback_names())), issuer->jwks_json());
  auto f = JwksFetcher::create(tls_config(server.url("127.0.0.1"), pki.ca_file())).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(5s));
  EXPECT_NE(f->current()->find(issuer->kid()), nullptr);
  EXPECT_EQ(server.requests(), 1);
  EXPECT_EQ(server.last_sni(), std::nullopt);  // RFC 6066: no SNI for an IP literal
  f->stop();
}

TEST_F(JwksFetcherTls, FetchesFromHostNameWithCaFileAndSendsSni) {
  TlsJwksServer server(server_context(pki.issue("server", test::loopback_names())), issuer->jwks_json());
  auto f = JwksFetcher::create(tls_config(server.url("localhost"), pki.ca_file())).value();
  f->start();
  ASSERT_TRUE(f->wait_for_keys(5s));
  EXPECT_NE(f->current()->find(issuer->kid()), nullptr);
  EXPECT_EQ(server.last_sni(), "localhost");
  f->stop();
}

// Each certificate below is refused for exactly one reason; the two tests above accept the same setup
// with only that reason removed.

TEST_F(JwksFetcherTls, RefusesCertificateForAnotherHostName) {
  // Trusted CA, but the certificate names another host (and another IP).
  TlsJwksServer server(server_context(pki.issue("other", {{"jwks.other.example"}, {"192.0.2.1"}})),
                       issuer->jwks_json());
  expect_refused(server, tls_config(server.url("localhost"), pki.ca_file()));
}

TEST_F(JwksFetcherTls, RefusesCertificateForAnotherIp) {
  // The IP literal must match an IP SAN; a DNS SAN "127.0.0.1" or "localhost" does not count.
  TlsJwksServer server(server_context(pki.issue("other", {{"localhost", "127.0.0.1"}, {"192.0.2.1"}})),
                       issuer->jwks_json());
  expect_refused(server, tls_config(server.url("127.0.0.1"), pki.ca_file()));
}

TEST_F(JwksFetcherTls, RefusesSelfSignedCertificate) {
  // Right names, issuer not trusted (neither in ca_file nor in the system store).
  TlsJwksServer server(server_context(pki.self_signed("selfsigned", test::loopback_names())),
                       issuer->jwks_json());
  expect_refused(server, tls_config(server.url("127.0.0.1"), pki.ca_file()));
}

TEST_F(JwksFetcherTls, TestCaIsTrustedOnlyThroughCaFile) {
  // Same certificate as the successful fetches, but without ca_file: the system store does not know it.
  TlsJwksServer server(server_context(pki.issue("server", test::loopback_names())), issuer->jwks_json());
  expect_refused(server, tls_config(server.url("127.0.0.1"), ""));
}

TEST_F(JwksFetcherTls, RefusesTls11) {
  TlsJwksServer server(server_context(pki.issue("server", test::loopback_names()), /*max_tls11=*/true),
                       issuer->jwks_json());
  {
    // Control: a deliberately permissive client does complete TLS 1.1 with this server, so the refusal below
    // is about the protocol version and not a server that cannot handshake at all.
    ssl::context lax(ssl::context::tls_client);
    SSL_CTX_set_security_level(lax.native_handle(), 0);
    SSL_CTX_set_min_proto_version(lax.native_handle(), TLS1_VERSION);
    lax.set_verify_mode(ssl::verify_none);
    asio::io_context io;
    ssl::stream<tcp::socket> probe(io, lax);
    probe.lowest_layer().connect({asio::ip::make_address("127.0.0.1"), server.port()});
    beast::error_code ec;
    probe.handshake(ssl::stream_base::client, ec);
    if (ec) GTEST_SKIP() << "this OpenSSL build cannot speak TLS 1.1 at all: " << ec.message();
    EXPECT_STREQ(SSL_get_version(probe.native_handle()), "TLSv1.1");
    probe.lowest_layer().close(ec);
    ASSERT_TRUE(fleet::testing::eventually([&] { return server.handshakes_ok() == 1; }));
  }
  const auto before = failures();
  auto f = JwksFetcher::create(tls_config(server.url("127.0.0.1"), pki.ca_file())).value();
  f->start();
  auto p = std::make_shared<std::promise<void>>();
  auto done = p->get_future();
  f->refresh([p] { p->set_value(); });  // joins the initial fetch, or runs one more: either way one completes
  ASSERT_EQ(done.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(f->current()->size(), 0u);
  EXPECT_TRUE(server.wait_failed(1));
  f->stop();
  // The server would have accepted TLS 1.1 (see the probe): it failed because the fetcher's hello did not
  // offer any version it speaks, i.e. the fetcher itself refuses anything below TLS 1.2.
  EXPECT_NE(server.last_handshake_error().find("unsupported protocol"), std::string::npos)
      << server.last_handshake_error();
  EXPECT_GE(failures(), before + 1);
  EXPECT_EQ(server.handshakes_ok(), 1);  // only the probe's
  EXPECT_EQ(server.requests(), 0);
}

TEST_F(JwksFetcherTls, MissingCaFileIsAConfigurationError) {
  EXPECT_FALSE(
      JwksFetcher::create(tls_config("https://127.0.0.1:1/jwks", (pki.dir() / "absent.pem").string()))
          .has_value());
}

}  // namespace
}  // namespace fleet::net
