// Handshake authentication as a browser sees it: the upgrade completes, then a 1008 close says why.
#include <gtest/gtest.h>

#include <fstream>

#include "auth/dev_issuer.hpp"
#include "core/clock.hpp"
#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

class WsAuth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new FleetdProcess({"--dev", "--clock-skew", "0", "--token-grace", "0"});
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static FleetdProcess* server_;
  unsigned short port() const { return server_->port(); }
};
FleetdProcess* WsAuth::server_ = nullptr;

void expect_close(WsClient& ws, std::uint16_t code, const std::string& reason,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  EXPECT_EQ(ws.wait_close(timeout), code);
  EXPECT_EQ(ws.close_reason(), reason);
}

TEST_F(WsAuth, AnAuthorizationHeaderWithoutABearerTokenIsMissing) {
  WsClient ws(port(), "/ws", {}, 0, "Basic dXNlcjpwdw==");
  expect_close(ws, 1008, "Missing token");
}

TEST_F(WsAuth, EmptyTokenParameterIsMissing) {
  WsClient ws(port(), "/ws?token=");
  expect_close(ws, 1008, "Missing token");
}

TEST_F(WsAuth, GarbageTokenClosesWithInvalidToken) {
  WsClient ws(port(), "/ws?token=not.a.jwt");
  expect_close(ws, 1008, "Invalid token");
}

TEST_F(WsAuth, TamperedSignatureIsInvalid) {
  std::string token = dev_token(port(), "user_1", "org_a");
  token.back() = token.back() == 'A' ? 'B' : 'A';
  WsClient ws(port(), "/ws?token=" + token);
  expect_close(ws, 1008, "Invalid token");
}

TEST_F(WsAuth, TokenOfAnotherIssuerKeyIsInvalid) {
  // Same shape, signed by a different dev issuer (another fleetd): unknown kid, refused.
  FleetdProcess other;
  const std::string foreign = dev_token(other.port(), "user_1", "org_a");
  WsClient ws(port(), "/ws?token=" + foreign);
  expect_close(ws, 1008, "Invalid token");
}

TEST_F(WsAuth, ExpiredTokenIsInvalid) {
  // Tokens signed here, so one can be minted already expired (no waiting for a clock): fleetd trusts this
  // issuer's JWKS and tolerates no skew or grace.
  const auto issuer = auth::DevIssuer::create().value();
  TempDir dir;
  const std::string jwks = dir.path() + "/jwks.json";
  std::ofstream(jwks) << issuer->jwks_json();
  FleetdProcess server({"--jwks-file", jwks, "--clock-skew", "0", "--token-grace", "0"});
  const std::int64_t now = SystemClock::instance().now_s();
  {
    WsClient ws(server.port(),
                "/ws?token=" + issuer->issue("user_1", "org_a", "admin", 60, now - 61).value());
    expect_close(ws, 1008, "Invalid token");
  }
  // Control: the same issuer's live token is accepted, so the refusal above is the expiry.
  WsClient ws(server.port(), "/ws?token=" + issuer->issue("user_1", "org_a", "admin", 60, now).value());
  EXPECT_EQ(ws.read_json().at("type").as_string(), "hello");
}

TEST_F(WsAuth, PersonalAccountTokenHasNoOrganization) {
  const std::string token = dev_token(port(), "user_1", "");
  WsClient ws(port(), "/ws?token=" + token);
  expect_close(ws, 1008, "No organization");
}

TEST_F(WsAuth, ValidTokenGetsHelloThenSnapshot) {
  const std::string token = dev_token(port(), "user_hello", "org_hello", "org:member");
  WsClient ws(port(), "/ws?token=" + token);
  auto hello = ws.read_json();
  EXPECT_EQ(hello.at("type").as_string(), "hello");
  EXPECT_EQ(hello.at("tenant").as_string(), "org_hello");
  EXPECT_EQ(hello.at("user").as_string(), "user_hello");
  EXPECT_EQ(hello.at("role").as_string(), "org:member");
  EXPECT_GT(hello.at("token_exp").as_int64(), 0);
  EXPECT_EQ(hello.at("seq").as_int64(), 0);
  auto snapshot = ws.read_json();
  EXPECT_EQ(snapshot.at("type").as_string(), "snapshot");
  EXPECT_TRUE(snapshot.at("devices").as_array().empty());
}

TEST_F(WsAuth, BearerHeaderIsAcceptedForNonBrowserClients) {
  const std::string token = dev_token(port(), "user_1", "org_a");
  WsClient ws(port(), "/ws", token);
  EXPECT_EQ(ws.read_json().at("type").as_string(), "hello");
}

TEST_F(WsAuth, SessionClosesWhenTheTokenExpires) {
  // 4 s: whole seconds, so at least 3 s left for the upgrade, however slow the machine.
  const std::string token = dev_token(port(), "user_1", "org_a", "admin", 4);
  WsClient ws(port(), "/ws?token=" + token);
  EXPECT_EQ(ws.read_json().at("type").as_string(), "hello");
  expect_close(ws, 1008, "Token expired", std::chrono::seconds(20));
}

TEST_F(WsAuth, PingIsAnsweredWithPong) {
  WsClient ws(port(), "/ws?token=" + dev_token(port(), "user_1", "org_a"));
  ws.read_json();
  ws.read_json();
  ws.send(R"({"type":"ping"})");
  EXPECT_EQ(ws.read_json().at("type").as_string(), "pong");
}

// The server reads client messages in small chunks; a message longer than one chunk is still one message.
TEST_F(WsAuth, LongPingIsAnsweredWithPong) {
  WsClient ws(port(), "/ws?token=" + dev_token(port(), "user_1", "org_a"));
  ws.read_json();
  ws.read_json();
  ws.send(R"({"type":"ping","note":")" + std::string(1000, 'x') + R"("})");
  EXPECT_EQ(ws.read_json().at("type").as_string(), "pong");
  ws.send(R"({"type":"ping"})");
  EXPECT_EQ(ws.read_json().at("type").as_string(), "pong");
}

TEST_F(WsAuth, OversizedClientMessageCloses1009) {
  WsClient ws(port(), "/ws?token=" + dev_token(port(), "user_1", "org_a"));
  ws.read_json();
  ws.send(std::string(20'000, 'x'));  // over --ws-max-message (16 KiB)
  EXPECT_EQ(ws.wait_close(), 1009) << ws.close_reason();
}

TEST_F(WsAuth, TokensNeverAppearInTheLog) {
  const std::string token = dev_token(port(), "user_log", "org_log");
  {
    WsClient ws(port(), "/ws?token=" + token);
    ws.read_json();
  }
  {
    WsClient bad(port(), "/ws?token=" + token + "x");
    bad.wait_close();
  }
  {
    WsClient by_message(port(), "/ws");
    by_message.send(R"({"type":"auth","token":")" + token + R"(x"})");
    by_message.wait_close();
  }
  request(port(), "GET", "/api/v1/me", {}, token);
  // fleetd logs a request before answering it; the last one's line marks the end of what to read.
  ASSERT_TRUE(eventually([&] { return server_->log().find("/api/v1/me") != std::string::npos; }));
  const std::string log = server_->log();
  EXPECT_NE(log.find("token=REDACTED"), std::string::npos) << log;
  // Not the token, nor a recognisable part of its signature.
  EXPECT_EQ(log.find(token.substr(token.rfind('.') + 1, 20)), std::string::npos);
  EXPECT_EQ(log.find(token.substr(0, 40)), std::string::npos);
}

}  // namespace
}  // namespace fleet::testing
