// fleet::Client's protocol 2 authentication against the in-test server: the token travels in the first
// message, same-principal tokens refresh the open session in-band, others get a session of their own.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>

#include "client_recorder.hpp"
#include "fleet/client.hpp"
#include "test_ws_server.hpp"

namespace fleet {
namespace {

using namespace std::chrono_literals;
using test::fake_jwt;
using test::kWait;
using test::Recorder;
using test::TestWsServer;
using test::wait_state;

boost::json::object parse(const std::string& text) { return boost::json::parse(text).as_object(); }

// The client's messages on connection i, once there are at least n of them.
std::vector<std::string> messages(const TestWsServer& server, std::size_t i, std::size_t n) {
  EXPECT_TRUE(fleet::testing::eventually([&] { return server.info(i).messages.size() >= n; }))
      << "connection " << i << " got " << server.info(i).messages.size() << " message(s), want " << n;
  return server.info(i).messages;
}

// A backoff no test outlives: a reconnect seen within the test's wait happened at once, not after it.
Client::Options without_backoff_reconnects(Client::Options o) {
  o.backoff_min = 10min;
  o.backoff_max = 10min;
  return o;
}

TEST(ClientAuth, OpensTheSocketWithoutATokenAndSendsAuthFirst) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  const std::string token = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant);
  client.set_token(token);
  ASSERT_TRUE(rec.wait([&] { return !rec.events.empty(); }));
  EXPECT_EQ(server.info(0).target, "/ws");  // nothing in the URL
  const auto first = parse(messages(server, 0, 1).at(0));
  EXPECT_EQ(first.at("type").as_string(), "auth");
  EXPECT_EQ(first.at("token").as_string(), token);
  // A fresh client has nothing to resume.
  EXPECT_FALSE(first.contains("since"));
  EXPECT_FALSE(first.contains("epoch"));
  EXPECT_EQ(first.size(), 2u);
  std::lock_guard l(rec.mu);
  ASSERT_EQ(rec.hellos.size(), 1u);
  EXPECT_EQ(rec.hellos[0].epoch, TestWsServer::kEpoch);
  EXPECT_EQ(rec.hellos[0].token_grace_s, 15);
  EXPECT_FALSE(rec.hellos[0].recovered.has_value());
}

TEST(ClientAuth, SamePrincipalRefreshesInBandWithoutReconnecting) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 1));
  ASSERT_TRUE(rec.wait([&] { return !rec.events.empty(); }));

  const std::string fresh = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 2);
  client.set_token(fresh);
  ASSERT_TRUE(rec.wait([&] { return rec.auth_oks.size() == 1; }));
  EXPECT_EQ(rec.auth_oks[0], TestWsServer::kRefreshedExp);
  const auto sent = messages(server, 0, 2);
  ASSERT_EQ(sent.size(), 2u);
  const auto refresh = parse(sent[1]);
  EXPECT_EQ(refresh.at("type").as_string(), "auth");
  EXPECT_EQ(refresh.at("token").as_string(), fresh);
  EXPECT_FALSE(refresh.contains("since"));  // resume members belong to a first message only

  // Still the same socket: it keeps flowing, and no second hello or snapshot came.
  server.send(0, R"({"type":"telemetry","events":[{"seq":3,"device":"dev_1","ts":1,"lat":1,"lon":2}]})");
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 2; }));
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_FALSE(server.info(0).ended);
  EXPECT_EQ(client.state(), Client::State::open);
  std::lock_guard l(rec.mu);
  EXPECT_EQ(rec.hellos.size(), 1u);
  EXPECT_EQ(rec.snapshots.size(), 1u);
  EXPECT_TRUE(rec.closes.empty());
}

TEST(ClientAuth, AnUnreadableTokenIsTriedInBand) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 1));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 1; }));
  client.set_token("opaque-token");  // no JWS: the server decides
  ASSERT_TRUE(rec.wait([&] { return rec.auth_oks.size() == 1; }));
  EXPECT_EQ(parse(messages(server, 0, 2)[1]).at("token").as_string(), "opaque-token");
  EXPECT_EQ(server.connections(), 1u);
}

TEST(ClientAuth, AtMostOneRefreshInFlightAndTheNewestTokenFollowsTheAnswer) {
  TestWsServer server;
  server.set_on_refresh(TestWsServer::OnRefresh::silent);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 1));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 1; }));

  const std::string second = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 2);
  const std::string third = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 3);
  const std::string fourth = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 4);
  client.set_token(second);
  client.set_token(third);
  client.set_token(fourth);
  // The client handles its calls in order, so once this ping arrives all three tokens were seen.
  client.ping();
  auto sent = messages(server, 0, 3);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(parse(sent[1]).at("token").as_string(), second);
  EXPECT_EQ(parse(sent[2]).at("type").as_string(), "ping");

  // The answer releases the newest token only (the one in between is superseded).
  server.send(0, R"({"type":"auth_ok","token_exp":1795000100})");
  sent = messages(server, 0, 4);
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(parse(sent[3]).at("token").as_string(), fourth);
  ASSERT_TRUE(rec.wait([&] { return rec.auth_oks.size() == 1; }));
  EXPECT_EQ(rec.auth_oks[0], 1'795'000'100);
  server.send(0, R"({"type":"auth_ok","token_exp":1795000200})");
  ASSERT_TRUE(rec.wait([&] { return rec.auth_oks.size() == 2; }));
  // Nothing else was queued behind it.
  client.ping();
  sent = messages(server, 0, 5);
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(parse(sent[4]).at("type").as_string(), "ping");
  EXPECT_EQ(server.connections(), 1u);
}

TEST(ClientAuth, AnotherOrganizationsTokenGetsANewSessionWithoutResume) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant));
  ASSERT_TRUE(rec.wait([&] { return !rec.events.empty(); }));  // applied up to seq 2: resumable

  const std::string other = fake_jwt(TestWsServer::kUser, "org_other");
  client.set_token(other);
  ASSERT_TRUE(server.wait_connections(2, kWait));
  const auto first = parse(messages(server, 1, 1).at(0));
  EXPECT_EQ(first.at("token").as_string(), other);
  EXPECT_FALSE(first.contains("since"));
  EXPECT_FALSE(first.contains("epoch"));
  ASSERT_TRUE(server.wait_ended(0, kWait));
  EXPECT_EQ(server.info(0).client_close_code, std::optional<std::uint16_t>(1000));
  EXPECT_EQ(server.info(0).messages.size(), 1u);  // no in-band attempt on the old socket
}

TEST(ClientAuth, AnotherUsersTokenGetsANewSessionWithoutResume) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant));
  ASSERT_TRUE(rec.wait([&] { return !rec.events.empty(); }));
  client.set_token(fake_jwt("user_other", TestWsServer::kTenant));
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_FALSE(parse(messages(server, 1, 1).at(0)).contains("since"));
  EXPECT_EQ(server.info(0).messages.size(), 1u);
}

// The server answers an in-band refresh by closing 1008 with a reason that means "valid token, another
// session": the client connects with that token at once (no backoff), without resume, and never
// reports itself closed.
void expect_immediate_reconnect(TestWsServer::OnRefresh answer, const std::string& reason) {
  TestWsServer server;
  server.set_on_refresh(answer);
  Recorder rec;
  Client client(without_backoff_reconnects(rec.options(server.base_url())));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 1));
  ASSERT_TRUE(rec.wait([&] { return !rec.events.empty(); }));
  // Unreadable, so the client cannot know it belongs to someone else: it tries in-band.
  client.set_token("opaque-token-of-another-org");
  ASSERT_TRUE(server.wait_connections(2, kWait)) << reason;
  const auto first = parse(messages(server, 1, 1).at(0));
  EXPECT_EQ(first.at("token").as_string(), "opaque-token-of-another-org");
  EXPECT_FALSE(first.contains("since"));
  ASSERT_TRUE(rec.wait([&] { return rec.snapshots.size() == 2; }));  // a fresh session
  std::lock_guard l(rec.mu);
  ASSERT_EQ(rec.closes.size(), 1u);
  EXPECT_EQ(rec.closes[0], std::make_pair(std::uint16_t{1008}, reason));
  EXPECT_EQ(std::count(rec.states.begin(), rec.states.end(), Client::State::closed), 0);
  EXPECT_EQ(std::count(rec.states.begin(), rec.states.end(), Client::State::reconnecting), 0);
}

TEST(ClientAuth, OrganizationChangedAfterARefreshReconnectsAtOnceWithTheNewToken) {
  expect_immediate_reconnect(TestWsServer::OnRefresh::org_changed, "Organization changed");
}

TEST(ClientAuth, TokenMismatchAfterARefreshReconnectsAtOnceWithTheNewToken) {
  expect_immediate_reconnect(TestWsServer::OnRefresh::token_mismatch, "Token mismatch");
}

TEST(ClientAuth, AnInvalidRefreshedTokenIsARefusal) {
  TestWsServer server;
  server.set_on_refresh(TestWsServer::OnRefresh::invalid_token);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 1));
  ASSERT_TRUE(rec.wait([&] { return rec.hellos.size() == 1; }));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 2));
  ASSERT_TRUE(wait_state(client, Client::State::closed));
  std::lock_guard l(rec.mu);
  ASSERT_EQ(rec.closes.size(), 1u);
  EXPECT_EQ(rec.closes[0].second, "Invalid token");
  // Closed (not reconnecting): the client waits for another token.
  EXPECT_EQ(server.connections(), 1u);
}

TEST(ClientAuth, ATokenSetBeforeHelloReplacesTheConnection) {
  // No hello yet: nothing to compare with and no session to refresh.
  TestWsServer server;
  server.set_on_accept(TestWsServer::OnAccept::keep_open);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token(fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 1));
  ASSERT_TRUE(wait_state(client, Client::State::open));
  const std::string second = fake_jwt(TestWsServer::kUser, TestWsServer::kTenant, 2);
  client.set_token(second);
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(parse(messages(server, 1, 1).at(0)).at("token").as_string(), second);
  ASSERT_TRUE(server.wait_ended(0, kWait));
  EXPECT_EQ(server.info(0).messages.size(), 1u);
}

}  // namespace
}  // namespace fleet
