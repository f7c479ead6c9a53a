// fleet::Client against the in-test WebSocket server: connection lifecycle, tokens and reconnects.
#include "fleet/client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "loopback_port.hpp"
#include "test_ws_server.hpp"

namespace fleet {
namespace {

using namespace std::chrono_literals;
using test::TestWsServer;

// Short backoff so reconnect tests are fast; "no reconnect" waits are several times backoff_max.
constexpr auto kBackoffMin = 50ms;
constexpr auto kBackoffMax = 200ms;
constexpr auto kQuiet = 800ms;
constexpr auto kWait = 20s;  // a hang guard: waits end as soon as what they wait for happens

struct Recorder {
  std::mutex mu;
  std::vector<std::pair<std::uint16_t, std::string>> closes;
  std::vector<Client::State> states;
  std::vector<proto::Hello> hellos;
  std::vector<std::pair<Seq, std::vector<Device>>> snapshots;
  std::vector<StoredPoint> events;
  std::atomic<int> pongs{0};

  Client::Options options(const std::string& base_url) {
    Client::Options o;
    o.base_url = base_url;
    o.backoff_min = kBackoffMin;
    o.backoff_max = kBackoffMax;
    o.callbacks.on_close = [this](std::uint16_t code, const std::string& reason) {
      std::lock_guard l(mu);
      closes.emplace_back(code, reason);
    };
    o.callbacks.on_state = [this](Client::State s) {
      std::lock_guard l(mu);
      states.push_back(s);
    };
    o.callbacks.on_hello = [this](const proto::Hello& h) {
      std::lock_guard l(mu);
      hellos.push_back(h);
    };
    o.callbacks.on_snapshot = [this](Seq seq, const std::vector<Device>& d) {
      std::lock_guard l(mu);
      snapshots.emplace_back(seq, d);
    };
    o.callbacks.on_telemetry = [this](const std::vector<StoredPoint>& e) {
      std::lock_guard l(mu);
      events.insert(events.end(), e.begin(), e.end());
    };
    o.callbacks.on_pong = [this] { ++pongs; };
    return o;
  }

  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = kWait) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      {
        std::lock_guard l(mu);
        if (pred()) return true;
      }
      std::this_thread::sleep_for(5ms);
    }
    std::lock_guard l(mu);
    return pred();
  }
};

bool wait_state(const Client& c, Client::State s, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (c.state() != s) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(Client, DoesNotConnectOnConstruction) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server.connections(), 0u);
  EXPECT_EQ(client.state(), Client::State::idle);
}

TEST(Client, ConnectWithoutTokenDoesNothing) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.connect();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server.connections(), 0u);
  EXPECT_EQ(client.state(), Client::State::idle);
}

TEST(Client, RefusesAnUnusableUrl) {
  Client::Options o;
  o.base_url = "ftp://nowhere";
  EXPECT_THROW(Client{o}, std::invalid_argument);
}

TEST(Client, SetTokenConnectsWithTheTokenInTheQuery) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  const std::string token = "tok+en/with=odd&chars";
  client.set_token(token);
  ASSERT_TRUE(server.wait_connections(1, kWait));
  EXPECT_EQ(server.info(0).token, token);
  EXPECT_NE(server.info(0).target.find("%2B"), std::string::npos);
  ASSERT_TRUE(wait_state(client, Client::State::open));
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
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(server.info(1).token, "second");
  ASSERT_TRUE(server.wait_ended(0, kWait));
  EXPECT_EQ(server.info(0).client_close_code, std::optional<std::uint16_t>(1000));
  ASSERT_TRUE(wait_state(client, Client::State::open));
  std::this_thread::sleep_for(kQuiet);
  EXPECT_EQ(server.connections(), 2u);  // one socket at a time, no extra reconnect
  EXPECT_FALSE(server.info(1).ended);
}

TEST(Client, SameTokenIsANoOp) {
  TestWsServer server;
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("same");
  ASSERT_TRUE(wait_state(client, Client::State::open));
  client.set_token("same");
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_FALSE(server.info(0).ended);
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
  std::this_thread::sleep_for(kQuiet);
  EXPECT_EQ(server.connections(), 1u);
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
  std::this_thread::sleep_for(kQuiet);
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(client.state(), Client::State::closed);
  client.connect();
  ASSERT_TRUE(server.wait_connections(2, kWait));
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
  std::this_thread::sleep_for(kQuiet);
  EXPECT_EQ(server.connections(), 1u);
  EXPECT_EQ(client.state(), Client::State::closed);
  // A new token is the way out.
  server.set_on_accept(TestWsServer::OnAccept::greet);
  client.set_token("good");
  ASSERT_TRUE(server.wait_connections(2, kWait));
  EXPECT_EQ(server.info(1).token, "good");
  EXPECT_TRUE(wait_state(client, Client::State::open));
}

TEST(Client, Close1011ReconnectsWithBackoff) {
  TestWsServer server;
  server.set_on_accept(TestWsServer::OnAccept::close_1011);
  Recorder rec;
  Client client(rec.options(server.base_url()));
  client.set_token("t1");
  ASSERT_TRUE(server.wait_connections(4, kWait));
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
  ASSERT_TRUE(server.wait_connections(2, kWait));
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
