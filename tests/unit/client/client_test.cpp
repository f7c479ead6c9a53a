// fleet::Client against the in-test WebSocket server: connection lifecycle, tokens and reconnects.
#include "fleet/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "client_recorder.hpp"
#include "eventually.hpp"
#include "loopback_port.hpp"
#include "test_ws_server.hpp"

namespace fleet {
namespace {

using namespace std::chrono_literals;
using test::TestWsServer;

using fleet::testing::holds_for;
using test::kBackoffMin;
using test::kWait;
using test::Recorder;
using test::wait_state;

// "Nothing happens" can only be shown by letting time pass (the client has no injectable clock): these
// windows are several times kBackoffMax, so a reconnect or a stray connection would show up in them.
constexpr auto kQuiet = 800ms;
constexpr auto kShortQuiet = 300ms;  // nothing to wait out but the client's own thread

TEST(Client, DoesNotConnectOnConstruction) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  EXPECT_TRUE(holds_for([&] { return server.connections() == 0; }, kShortQuiet));
  EXPECT_EQ(client.state(), Client::State::idle);
}

TEST(Client, ConnectWithoutTokenDoesNothing) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.connect();
  EXPECT_TRUE(holds_for([&] { return server.connections() == 0; }, kShortQuiet));
  EXPECT_EQ(client.state(), Client::State::idle);
}

TEST(Client, RefusesAnUnusableUrl) {
  Client::Options o;
  o.base_url = "ftp://nowhere";
  EXPECT_THROW(Client{o}, std::invalid_argument);
}

TEST(Client, TokenInUrlModeConnectsWithTheTokenInTheQuery) {
  TestWsServer server;
  Recorder rec;
  auto options = rec.options(server.base_url());
  options.token_in_url = true;
  Client client(options);
  const std::string token = "tok+en/with=odd&chars";
  client.set_token(token);
  ASSERT_TRUE(server.wait_connections(1, kWait));
  EXPECT_EQ(server.info(0).token, token);
  EXPECT_NE(server.info(0).target.find("%2B"), std::string::npos);
  ASSERT_TRUE(wait_state(client, Client::State::open));
  // No auth message: the server greets on the query's token.
  ASSERT_TRUE(rec.wait([&] { return rec.events.size() == 1; }));
  EXPECT_TRUE(server.info(0).messages.empty());
  // The resume request goes in the query too.
  server.drop(0);
  ASSERT_TRUE(server.wait_authenticated(1, kWait));
  EXPECT_EQ(server.info(1).since, std::optional<Seq>(2));
  EXPECT_EQ(server.info(1).epoch, std::optional<std::string>(TestWsServer::kEpoch));
  EXPECT_NE(server.info(1).target.find("&since=2&epoch=epoch_test"), std::string::npos)
      << server.info(1).target;
}

TEST(Client, DeliversHelloSnapshotAndTelemetry) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("t1");
  ASSERT_TRUE(rec.wait([&] { return !rec.events.empty(); }));
  std::lock_guard l(rec.mu);
  ASSERT_EQ(rec.hellos.size(), 1u);
  EXPECT_EQ(rec.hellos[0].tenant, "org_test");
  ASSERT_EQ(rec.snapshots.size(), 1u);
  EXPECT_EQ(rec.snapshots[0].first, 1u);
  ASSERT_EQ(rec.snapshots[0].second.size(), 1u);
  EXPECT_EQ(rec.snapshots[0].second[0].name, "Truck 1");
  ASSERT_EQ(rec.events.size(), 1u);
  EXPECT_EQ(rec.events[0].seq, 2u);
  EXPECT_DOUBLE_EQ(rec.events[0].point.lat, 48.86);
  // States seen so far: connecting then open.
  ASSERT_GE(rec.states.size(), 2u);
  EXPECT_EQ(rec.states[0], Client::State::connecting);
  EXPECT_EQ(rec.states[1], Client::State::open);
}

TEST(Client, PingIsAnsweredWithPong) {
  TestWsServer server;
  server.set_on_accept(TestWsServer::OnAccept::keep_open);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("t1");
  ASSERT_TRUE(wait_state(client, Client::State::open));
  client.ping();
  EXPECT_TRUE(rec.wait([&] { return rec.pongs.load() == 1; }));
}

TEST(Client, NewTokenReplacesTheConnection) {
  TestWsServer server;
  server.set_on_accept(TestWsServer::OnAccept::keep_open);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("first");
  ASSERT_TRUE(server.wait_connections(1, kWait));
  ASSERT_TRUE(wait_state(client, Client::State::open));
  client.set_token("second");
  ASSERT_TRUE(server.wait_authenticated(1, kWait));
  EXPECT_EQ(server.info(1).token, "second");
  ASSERT_TRUE(server.wait_ended(0, kWait));
  EXPECT_EQ(server.info(0).client_close_code, std::optional<std::uint16_t>(1000));
  ASSERT_TRUE(wait_state(client, Client::State::open));
  // One socket at a time, no extra reconnect.
  EXPECT_TRUE(holds_for([&] { return server.connections() == 2 && !server.info(1).ended; }, kQuiet));
}

TEST(Client, SameTokenIsANoOp) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("same");
  ASSERT_TRUE(wait_state(client, Client::State::open));
  const std::size_t messages = server.info(0).messages.size();
  client.set_token("same");
  // No new connection, and no in-band refresh on this one either.
  EXPECT_TRUE(holds_for(
      [&] {
        const auto info = server.info(0);
        return server.connections() == 1 && !info.ended && info.messages.size() == messages;
      },
      kShortQuiet));
}

TEST(Client, EmptyTokenDisconnectsAndStaysDisconnected) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("t1");
  ASSERT_TRUE(wait_state(client, Client::State::open));
  client.set_token("");
  ASSERT_TRUE(server.wait_ended(0, kWait));
  EXPECT_EQ(server.info(0).client_close_code, std::optional<std::uint16_t>(1000));
  EXPECT_TRUE(holds_for([&] { return server.connections() == 1; }, kQuiet));
  EXPECT_EQ(client.state(), Client::State::closed);
}

TEST(Client, CloseStopsAndConnectResumes) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("t1");
  ASSERT_TRUE(wait_state(client, Client::State::open));
  client.close();
  ASSERT_TRUE(server.wait_ended(0, kWait));
  EXPECT_TRUE(holds_for([&] { return server.connections() == 1; }, kQuiet));
  EXPECT_EQ(client.state(), Client::State::closed);
  client.connect();
  ASSERT_TRUE(server.wait_authenticated(1, kWait));
  EXPECT_EQ(server.info(1).token, "t1");
}

TEST(Client, Close1008DoesNotRetry) {
  TestWsServer server;
  server.set_on_accept(TestWsServer::OnAccept::close_1008);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("bad");
  ASSERT_TRUE(rec.wait([&] { return !rec.closes.empty(); }));
  {
    std::lock_guard l(rec.mu);
    EXPECT_EQ(rec.closes[0].first, 1008);
    EXPECT_EQ(rec.closes[0].second, "Invalid token");
  }
  EXPECT_TRUE(holds_for([&] { return server.connections() == 1; }, kQuiet));
  EXPECT_EQ(client.state(), Client::State::closed);
  // A new token is the way out.
  server.set_on_accept(TestWsServer::OnAccept::greet);
  client.set_token("good");
  ASSERT_TRUE(server.wait_authenticated(1, kWait));
  EXPECT_EQ(server.info(1).token, "good");
  EXPECT_TRUE(wait_state(client, Client::State::open));
}

TEST(Client, Close1011ReconnectsWithBackoff) {
  TestWsServer server;
  server.set_on_accept(TestWsServer::OnAccept::close_1011);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("t1");
  ASSERT_TRUE(server.wait_authenticated(3, kWait));
  for (std::size_t i = 1; i < 4; ++i) {
    const auto gap = server.info(i).accepted_at - server.info(i - 1).accepted_at;
    EXPECT_GE(gap, kBackoffMin - 5ms) << "attempt " << i;
    EXPECT_EQ(server.info(i).token, "t1");
  }
  std::lock_guard l(rec.mu);
  ASSERT_FALSE(rec.closes.empty());
  EXPECT_EQ(rec.closes[0].first, 1011);
}

TEST(Client, DroppedTcpReconnects) {
  TestWsServer server;
  server.set_on_accept(TestWsServer::OnAccept::keep_open);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("t1");
  ASSERT_TRUE(wait_state(client, Client::State::open));
  server.drop(0);
  ASSERT_TRUE(server.wait_authenticated(1, kWait));
  EXPECT_EQ(server.info(1).token, "t1");
  EXPECT_TRUE(wait_state(client, Client::State::open));
  std::lock_guard l(rec.mu);
  ASSERT_FALSE(rec.closes.empty());
  EXPECT_EQ(rec.closes[0].first, 1006);
  EXPECT_NE(std::find(rec.states.begin(), rec.states.end(), Client::State::reconnecting), rec.states.end());
}

TEST(Client, DropAtUpgradeReconnects) {
  TestWsServer server;
  server.set_on_accept(TestWsServer::OnAccept::drop);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("t1");
  EXPECT_TRUE(server.wait_connections(3, kWait));
}

TEST(Client, UnreachableServerKeepsRetrying) {
  // Connection refused: the client backs off and retries.
  const fleet::testing::RefusingPort nobody;
  Recorder rec;
  Client client(rec.options(nobody.url()));
  client.set_token("t1");
  EXPECT_TRUE(rec.wait([&] { return rec.closes.size() >= 3; }));
  EXPECT_NE(client.state(), Client::State::open);
}

TEST(Client, DestructionWhileConnectedIsPrompt) {
  TestWsServer server;
  Recorder rec;
  const auto start = std::chrono::steady_clock::now();
  {
    Client client(rec.options(server.base_url()));
    client.set_token("t1");
    ASSERT_TRUE(wait_state(client, Client::State::open));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(server.wait_ended(0, kWait));
}

}  // namespace
}  // namespace fleet
