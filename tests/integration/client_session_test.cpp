// fleet::Client against a real fleetd: the seed's setToken semantics, done right.
#include <fleet/client.hpp>
#include <gtest/gtest.h>

#include <signal.h>

#include <condition_variable>
#include <fstream>
#include <mutex>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

// Records what the client reports, and lets a test wait for a condition on it.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> hello_tenants;
  std::vector<std::uint16_t> closes;
  std::size_t events = 0;
  Client::State state = Client::State::idle;

  Client::Callbacks callbacks() {
    Client::Callbacks cb;
    cb.on_hello = [this](const proto::Hello& h) { update([&] { hello_tenants.push_back(h.tenant); }); };
    cb.on_telemetry = [this](const std::vector<StoredPoint>& e) { update([&] { events += e.size(); }); };
    cb.on_close = [this](std::uint16_t code, const std::string&) { update([&] { closes.push_back(code); }); };
    cb.on_state = [this](Client::State s) { update([&] { state = s; }); };
    return cb;
  }
  template <class F>
  void update(F f) {
    {
      std::lock_guard lock(mu);
      f();
    }
    cv.notify_all();
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(*this); });
  }
};

Client::Options options(const std::string& url, Recorder& r) {
  Client::Options o;
  o.base_url = url;
  o.backoff_min = std::chrono::milliseconds(50);
  o.backoff_max = std::chrono::milliseconds(400);
  o.callbacks = r.callbacks();
  return o;
}

TEST(ClientSession, NewTokenReconnectsAndEmptyTokenDisconnectsForGood) {
  FleetdProcess server;
  Recorder r;
  Client client(options(server.base_url(), r));
  client.connect();  // no token yet: nothing happens
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(metric(server.port(), "fleet_ws_connections"), "0");

  client.set_token(dev_token(server.port(), "alice", "org_a"));
  ASSERT_TRUE(r.wait([](auto& s) { return s.hello_tenants.size() == 1; }));
  EXPECT_EQ(r.hello_tenants[0], "org_a");

  client.set_token(dev_token(server.port(), "alice", "org_b"));
  ASSERT_TRUE(r.wait([](auto& s) { return s.hello_tenants.size() == 2; }));
  EXPECT_EQ(r.hello_tenants[1], "org_b");
  // One socket at a time: the old one is gone.
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "fleet_ws_connections") == "1"; }))
      << metric(server.port(), "fleet_ws_connections");

  client.set_token("");
  ASSERT_TRUE(r.wait([](auto& s) { return s.state == Client::State::closed; }));
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "fleet_ws_connections") == "0"; }))
      << metric(server.port(), "fleet_ws_connections");
  // Well past the backoff: still disconnected, no new session.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(metric(server.port(), "fleet_ws_connections"), "0");
  EXPECT_EQ(r.hello_tenants.size(), 2u);
}

TEST(ClientSession, A1008CloseIsNotRetriedUntilANewToken) {
  FleetdProcess server;
  Recorder r;
  Client client(options(server.base_url(), r));
  client.set_token("not-a-jwt");
  ASSERT_TRUE(r.wait([](auto& s) { return !s.closes.empty(); }));
  EXPECT_EQ(r.closes[0], 1008);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  EXPECT_EQ(metric(server.port(), R"(fleet_ws_handshakes_total{outcome="refused",reason="invalid_token"})"), "1");
  client.set_token(dev_token(server.port(), "alice", "org_a"));
  ASSERT_TRUE(r.wait([](auto& s) { return s.hello_tenants.size() == 1; }));
}

TEST(ClientSession, ReconnectsAfterTheServerGoesAwayAndComesBack) {
  // A key-file server, so the same token stays valid across the restart.
  FleetdProcess issuer;
  TempDir dir;
  const std::string jwks = dir.path() + "/jwks.json";
  std::ofstream(jwks) << request(issuer.port(), "GET", "/.well-known/jwks.json").body;
  const std::string token = dev_token(issuer.port(), "alice", "org_a");

  auto server = std::make_unique<FleetdProcess>(std::vector<std::string>{"--jwks-file", jwks});
  const unsigned short port = server->port();
  Recorder r;
  Client client(options(server->base_url(), r));
  client.set_token(token);
  ASSERT_TRUE(r.wait([](auto& s) { return s.hello_tenants.size() == 1; }));

  server->stop(SIGTERM);  // sessions get 1001: reconnect with backoff
  ASSERT_TRUE(r.wait([](auto& s) { return !s.closes.empty(); }));
  EXPECT_EQ(r.closes[0], 1001);
  server = std::make_unique<FleetdProcess>(
      std::vector<std::string>{"--jwks-file", jwks, "--listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(r.wait([](auto& s) { return s.hello_tenants.size() == 2; }, std::chrono::seconds(15)));

  // And it is live: a point ingested now arrives.
  const NewDevice truck = create_device(port, dev_token(issuer.port(), "alice", "org_a"), "Truck");
  ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", R"({"ts":1795000000000,"lat":1,"lon":2})", truck.key).status, 202);
  EXPECT_TRUE(r.wait([](auto& s) { return s.events == 1; }));
}

}  // namespace
}  // namespace fleet::testing
