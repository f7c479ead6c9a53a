// fleet::Client over wss:// and fleet::http over https:// against an in-test TLS server, with a CA and
// certificates generated per test: a session works when the certificate chains to Options::ca_file and
// names the URL's host, and is refused (before any HTTP or WebSocket byte) otherwise.
#include <gtest/gtest.h>

#include <mutex>
#include <stdexcept>
#include <thread>

#include "eventually.hpp"
#include "fleet/client.hpp"
#include "fleet/http.hpp"
#include "test_tls_server.hpp"
#include "tls_test_certs.hpp"

namespace fleet {
namespace {

using namespace std::chrono_literals;
using fleet::testing::eventually;
using test::TestPki;
using test::TestTlsServer;

constexpr auto kWait = 20s;  // a hang guard: waits end as soon as what they wait for happens

// What a Client reported, for assertions from the test thread.
struct Seen {
  std::mutex mu;
  std::vector<proto::Hello> hellos;
  std::vector<std::pair<std::uint16_t, std::string>> closes;

  Client::Options options(const std::string& base_url, const std::string& ca_file) {
    Client::Options o;
    o.base_url = base_url;
    o.ca_file = ca_file;
    o.backoff_min = 50ms;  // fast reconnects: a refused client must be seen retrying within a test
    o.backoff_max = 200ms;
    o.handshake_timeout = 3s;
    o.callbacks.on_hello = [this](const proto::Hello& h) {
      std::lock_guard l(mu);
      hellos.push_back(h);
    };
    o.callbacks.on_close = [this](std::uint16_t code, const std::string& reason) {
      std::lock_guard l(mu);
      closes.emplace_back(code, reason);
    };
    return o;
  }
  std::size_t hello_count() {
    std::lock_guard l(mu);
    return hellos.size();
  }
  std::vector<std::pair<std::uint16_t, std::string>> close_list() {
    std::lock_guard l(mu);
    return closes;
  }
};

class ClientTls : public ::testing::Test {
 protected:
  TestPki pki;

  // A wss session that must succeed: hello received, over one good TLS handshake, with the given SNI.
  void expect_session(const TestPki::Leaf& leaf, const std::string& host, std::optional<std::string> sni) {
    TestTlsServer server(leaf.cert_file, leaf.key_file);
    Seen seen;
    Client client(seen.options(server.url("wss", host), pki.ca_file()));
    client.set_token("tok_tls");
    ASSERT_TRUE(eventually([&] { return seen.hello_count() == 1; }));
    EXPECT_EQ(client.state(), Client::State::open);
    {
      std::lock_guard l(seen.mu);
      EXPECT_EQ(seen.hellos[0].tenant, "org_tls");
    }
    const auto st = server.stats();
    EXPECT_EQ(st.handshakes_ok, 1);
    EXPECT_EQ(st.handshakes_failed, 0);
    ASSERT_EQ(st.tokens.size(), 1u);
    EXPECT_EQ(st.tokens[0], "tok_tls");
    ASSERT_EQ(st.sni.size(), 1u);
    EXPECT_EQ(st.sni[0], sni);
  }

  // A wss client that must be refused at the TLS handshake, every time, and keep retrying.
  void expect_refused(const TestPki::Leaf& leaf, const std::string& host, const std::string& ca_file) {
    TestTlsServer server(leaf.cert_file, leaf.key_file);
    Seen seen;
    Client client(seen.options(server.url("wss", host), ca_file));
    client.set_token("tok_tls");
    // Two refusals on the server side: the client reported the failure and then reconnected.
    ASSERT_TRUE(
        server.wait_for([](const TestTlsServer::Stats& s) { return s.handshakes_failed >= 2; }, kWait));
    ASSERT_TRUE(eventually([&] { return seen.close_list().size() >= 2; }));
    client.close();
    const auto closes = seen.close_list();
    EXPECT_EQ(closes[0].first, 1006);
    EXPECT_NE(closes[0].second.find("tls handshake"), std::string::npos) << closes[0].second;
    EXPECT_NE(closes[0].second.find("certificate verify failed"), std::string::npos) << closes[0].second;
    EXPECT_EQ(seen.hello_count(), 0u);
    const auto st = server.stats();
    EXPECT_EQ(st.handshakes_ok, 0);
    EXPECT_EQ(st.ws_upgrades, 0);
  }
};

TEST_F(ClientTls, WssSessionToIpLiteral) {
  // An IP literal is checked against the certificate's IP SAN, and no SNI is sent (RFC 6066).
  expect_session(pki.issue("server", test::loopback_names()), "127.0.0.1", std::nullopt);
}

TEST_F(ClientTls, WssSessionToHostName) {
  expect_session(pki.issue("server", test::loopback_names()), "localhost", "localhost");
}

TEST_F(ClientTls, WssRefusesSelfSignedCertificate) {
  expect_refused(pki.self_signed("selfsigned", test::loopback_names()), "127.0.0.1", pki.ca_file());
}

TEST_F(ClientTls, WssRefusesCertificateForAnotherHostName) {
  expect_refused(pki.issue("other", {{"fleet.other.example"}, {"192.0.2.1"}}), "localhost", pki.ca_file());
}

TEST_F(ClientTls, WssRefusesCertificateForAnotherIp) {
  // DNS SANs spelling the address do not satisfy an IP-literal URL.
  expect_refused(pki.issue("other", {{"localhost", "127.0.0.1"}, {"192.0.2.1"}}), "127.0.0.1", pki.ca_file());
}

TEST_F(ClientTls, WssWithoutCaFileUsesOnlyTheSystemStore) {
  // The certificate of the successful sessions: without ca_file nothing vouches for the test CA.
  expect_refused(pki.issue("server", test::loopback_names()), "127.0.0.1", "");
}

TEST_F(ClientTls, UnreadableCaFileIsRejectedUpFront) {
  Client::Options o;
  o.base_url = "wss://127.0.0.1:1";
  o.ca_file = (pki.dir() / "absent.pem").string();
  EXPECT_THROW(Client{o}, std::invalid_argument);
}

TEST_F(ClientTls, HttpsRequestWithCaFile) {
  const auto leaf = pki.issue("server", test::loopback_names());
  TestTlsServer server(leaf.cert_file, leaf.key_file);
  http::Options opts;
  opts.timeout = 3s;
  opts.ca_file = pki.ca_file();
  for (const std::string host : {"127.0.0.1", "localhost"}) {
    auto r = http::request("GET", server.url("https", host) + "/api/v1/me", {}, {}, opts);
    ASSERT_TRUE(r.has_value()) << host << ": " << r.error().message;
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->body, R"({"target":"/api/v1/me"})");
  }
  const auto st = server.stats();
  EXPECT_EQ(st.handshakes_ok, 2);
  ASSERT_EQ(st.sni.size(), 2u);
  EXPECT_EQ(st.sni[0], std::nullopt);
  EXPECT_EQ(st.sni[1], "localhost");
}

TEST_F(ClientTls, HttpsKeepAliveReusesTheTlsSession) {
  const auto leaf = pki.issue("server", test::loopback_names());
  TestTlsServer server(leaf.cert_file, leaf.key_file);
  http::Options opts;
  opts.timeout = 3s;
  opts.ca_file = pki.ca_file();
  auto conn = http::Connection::open(server.url("https", "127.0.0.1"), opts).value();
  for (int i = 0; i < 3; ++i) {
    auto r = conn->request("GET", "/n/" + std::to_string(i));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->status, 200u);
  }
  EXPECT_EQ(server.stats().handshakes_ok, 1);
}

// A reused connection that the server closed while idle is retried once on a fresh one, whether or not
// the server said goodbye with a TLS close_notify first.
TEST_F(ClientTls, HttpsStaleKeepAliveIsRetried) {
  const auto leaf = pki.issue("server", test::loopback_names());
  for (auto after : {TestTlsServer::AfterResponse::close_notify, TestTlsServer::AfterResponse::abrupt}) {
    SCOPED_TRACE(after == TestTlsServer::AfterResponse::abrupt ? "abrupt" : "close_notify");
    TestTlsServer server(leaf.cert_file, leaf.key_file);
    server.set_after_response(after);
    http::Options opts;
    opts.timeout = 3s;
    opts.ca_file = pki.ca_file();
    auto conn = http::Connection::open(server.url("https", "127.0.0.1"), opts).value();
    ASSERT_TRUE(conn->request("GET", "/first").has_value());
    // Let the server's close reach this side first, as with a real idle timeout. No event marks it: the
    // server's close_notify is sent by an SSL shutdown that completes only when this side answers.
    ASSERT_TRUE(server.wait_for([](const TestTlsServer::Stats& s) { return s.http_requests == 1; }, kWait));
    std::this_thread::sleep_for(50ms);
    auto r = conn->request("GET", "/second");
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->body, R"({"target":"/second"})");
    EXPECT_EQ(server.stats().handshakes_ok, 2);
  }
}

TEST_F(ClientTls, HttpsRefusesUntrustedOrMisnamedCertificates) {
  struct Case {
    const char* what;
    TestPki::Leaf leaf;
    std::string host;
    std::string ca_file;
  };
  const std::vector<Case> cases = {
      {"self-signed", pki.self_signed("selfsigned", test::loopback_names()), "127.0.0.1", pki.ca_file()},
      {"other host name", pki.issue("other-dns", {{"fleet.other.example"}, {}}), "localhost", pki.ca_file()},
      {"other IP", pki.issue("other-ip", {{"127.0.0.1"}, {"192.0.2.1"}}), "127.0.0.1", pki.ca_file()},
      {"no ca_file", pki.issue("server", test::loopback_names()), "127.0.0.1", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    TestTlsServer server(c.leaf.cert_file, c.leaf.key_file);
    http::Options opts;
    opts.timeout = 3s;
    opts.ca_file = c.ca_file;
    auto r = http::request("GET", server.url("https", c.host) + "/api/v1/me", {}, {}, opts);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::unavailable);
    EXPECT_NE(r.error().message.find("tls handshake"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("certificate verify failed"), std::string::npos) << r.error().message;
    EXPECT_TRUE(
        server.wait_for([](const TestTlsServer::Stats& s) { return s.handshakes_failed == 1; }, kWait));
    EXPECT_EQ(server.stats().http_requests, 0);
  }
}

TEST_F(ClientTls, HttpsUnreadableCaFileIsAnError) {
  http::Options opts;
  opts.ca_file = (pki.dir() / "absent.pem").string();
  EXPECT_FALSE(http::Connection::open("https://127.0.0.1:1", opts).has_value());
}

}  // namespace
}  // namespace fleet
