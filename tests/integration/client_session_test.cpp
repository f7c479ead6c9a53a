// fleet::Client against a real fleetd: the seed's setToken semantics done right, and protocol 2's in-band
// refresh and resume end to end.
#include <gtest/gtest.h>
#include <fleet/client.hpp>

#include <signal.h>

#include <condition_variable>
#include <fstream>
#include <mutex>
#include <optional>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

// Records what the client reports, and lets a test wait for a condition on it.
struct Recorder {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> hello_tenants;
  std::vector<proto::Hello> hellos;
  std::vector<Seq> snapshots;
  std::vector<std::int64_t> auth_oks;
  std::vector<std::uint16_t> closes;
  std::size_t events = 0;
  std::vector<Seq> event_seqs;
  Client::State state = Client::State::idle;

  Client::Callbacks callbacks() {
    Client::Callbacks cb;
    cb.on_hello = [this](const proto::Hello& h) {
      update([&] {
        hello_tenants.push_back(h.tenant);
        hellos.push_back(h);
      });
    };
    cb.on_snapshot = [this](Seq seq, const std::vector<Device>&) {
      update([&] { snapshots.push_back(seq); });
    };
    cb.on_auth_ok = [this](std::int64_t exp) { update([&] { auth_oks.push_back(exp); }); };
    cb.on_telemetry = [this](const std::vector<StoredPoint>& e) {
      update([&] {
        events += e.size();
        for (const StoredPoint& p : e) event_seqs.push_back(p.seq);
      });
    };
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
  // Reads under the lock: callbacks may append meanwhile.
  template <class F>
  auto locked(F f) {
    std::lock_guard lock(mu);
    return f(*this);
  }
  template <class Pred>
  bool wait(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(*this); });
  }
};

// "No reconnect" windows: 2.5 times backoff_max below. Absence can only be shown by letting time pass.
constexpr std::chrono::milliseconds kQuiet{1000};
constexpr std::chrono::milliseconds kPoll{50};  // each check is a GET /metrics

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
  client.connect();  // no token yet: nothing happens (absence: only time can show it)
  EXPECT_TRUE(
      holds_for([&] { return metric(server.port(), "fleet_ws_connections") == "0"; }, kQuiet / 4, kPoll));

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
  EXPECT_TRUE(holds_for([&] { return metric(server.port(), "fleet_ws_connections") == "0"; }, kQuiet, kPoll));
  EXPECT_EQ(r.locked([](auto& s) { return s.hello_tenants.size(); }), 2u);
}

TEST(ClientSession, A1008CloseIsNotRetriedUntilANewToken) {
  FleetdProcess server;
  Recorder r;
  Client client(options(server.base_url(), r));
  client.set_token("not-a-jwt");
  ASSERT_TRUE(r.wait([](auto& s) { return !s.closes.empty(); }));
  EXPECT_EQ(r.closes[0], 1008);
  // Well past the backoff: not retried.
  EXPECT_TRUE(holds_for(
      [&] {
        return metric(server.port(),
                      R"(fleet_ws_handshakes_total{outcome="refused",reason="invalid_token"})") == "1";
      },
      kQuiet, kPoll));
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
  ASSERT_EQ(
      request(port, "POST", "/api/v1/telemetry", R"({"ts":1795000000000,"lat":1,"lon":2})", truck.key).status,
      202);
  EXPECT_TRUE(r.wait([](auto& s) { return s.events == 1; }));
}

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string point_body(double lat) {
  return R"({"lat":)" + std::to_string(lat) + R"(,"lon":2.35,"ts":)" + std::to_string(now_s() * 1000) + "}";
}

TEST(ClientSession, RefreshesInBandAcrossShortLivedTokensOnOneSocket) {
  // A one-second grace: without the refreshes the session would end at the first token's exp + 1 s.
  FleetdProcess server({"--dev", "--token-grace", "1"});
  const NewDevice truck = create_device(server.port(), dev_token(server.port(), "admin", "org_a"), "Truck");
  Recorder r;
  Client client(options(server.base_url(), r));
  client.set_token(dev_token(server.port(), "alice", "org_a", "admin", 2));
  ASSERT_TRUE(r.wait([](auto& s) { return s.snapshots.size() == 1; }));
  const proto::Hello hello = r.locked([](auto& s) { return s.hellos[0]; });
  EXPECT_EQ(hello.token_grace_s, 1);

  // Several short-lived tokens, each answered on the same socket (distinct lifetimes: distinct tokens).
  for (int i = 1; i <= 3; ++i) {
    const std::int64_t before = now_s();
    client.set_token(dev_token(server.port(), "alice", "org_a", "admin", 30 + i));
    ASSERT_TRUE(r.wait([i](auto& s) { return s.auth_oks.size() == static_cast<std::size_t>(i); })) << i;
    EXPECT_GE(r.locked([](auto& s) { return s.auth_oks.back(); }), before + 30 + i) << i;
  }
  // Past the first token's deadline: the session it opened goes on.
  const std::int64_t first_deadline = hello.token_exp + hello.token_grace_s;
  ASSERT_TRUE(eventually([&] { return now_s() > first_deadline + 1; }, std::chrono::seconds(30)));
  ASSERT_EQ(request(server.port(), "POST", "/api/v1/telemetry", point_body(48.1), truck.key).status, 202);
  ASSERT_TRUE(r.wait([](auto& s) { return s.events == 1; }));
  std::lock_guard lock(r.mu);
  EXPECT_EQ(r.hellos.size(), 1u);
  EXPECT_EQ(r.snapshots.size(), 1u);
  EXPECT_TRUE(r.closes.empty());
  EXPECT_EQ(metric(server.port(), "fleet_ws_connections"), "1");
}

TEST(ClientSession, ResumesWithRecoveredTrueAfterTheServerRestarts) {
  TempDir dir;
  const std::string data_dir = dir.path() + "/data";
  auto server = std::make_unique<FleetdProcess>(std::vector<std::string>{"--dev"}, data_dir);
  const unsigned short port = server->port();
  // The dev issuer's key is kept in the data directory and its issuer names the port: the token stays
  // valid across the restart.
  const std::string token = dev_token(port, "alice", "org_a", "admin", 3600);
  const NewDevice truck = create_device(port, token, "Truck");
  ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", point_body(48.1), truck.key).status, 202);

  Recorder r;
  Client client(options(server->base_url(), r));
  client.set_token(token);
  ASSERT_TRUE(r.wait([](auto& s) { return s.snapshots.size() == 1; }));
  EXPECT_EQ(r.locked([](auto& s) { return s.snapshots[0]; }), 1u);
  ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", point_body(48.2), truck.key).status, 202);
  ASSERT_TRUE(r.wait([](auto& s) { return s.events == 1; }));
  const std::string epoch = r.locked([](auto& s) { return s.hellos[0].epoch; });
  EXPECT_FALSE(epoch.empty());

  server->stop(SIGTERM);  // 1001: the client reconnects with backoff, sending since=2 and the epoch
  ASSERT_TRUE(r.wait([](auto& s) { return !s.closes.empty(); }));
  EXPECT_EQ(r.locked([](auto& s) { return s.closes[0]; }), 1001);
  server = std::make_unique<FleetdProcess>(
      std::vector<std::string>{"--dev", "--listen", "127.0.0.1:" + std::to_string(port)}, data_dir);
  // Whether this point is replayed by the resume or streamed after it, it arrives once, in order.
  ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", point_body(48.3), truck.key).status, 202);
  ASSERT_TRUE(r.wait([](auto& s) { return s.hellos.size() == 2; }, std::chrono::seconds(15)));
  {
    std::lock_guard lock(r.mu);
    EXPECT_EQ(r.hellos[1].recovered, std::optional<bool>(true));
    EXPECT_EQ(r.hellos[1].seq, 2u);
    EXPECT_EQ(r.hellos[1].epoch, epoch);  // stable across restarts
  }
  ASSERT_TRUE(r.wait([](auto& s) { return s.events == 2; }));
  std::lock_guard lock(r.mu);
  EXPECT_EQ(r.event_seqs, (std::vector<Seq>{2, 3}));
  EXPECT_EQ(r.snapshots.size(), 1u);  // recovered: no second snapshot
}

}  // namespace
}  // namespace fleet::testing
