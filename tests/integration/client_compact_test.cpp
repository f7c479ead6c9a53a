// fleet::Client with stream options against a real fleetd (docs/protocol.md, "Stream options"): a compact
// session receives the same events as a JSON one (same seqs, devices, times and optional fields; positions
// within 1e-6°), including those of a device created while both watch.
#include <gtest/gtest.h>
#include <signal.h>
#include <fleet/client.hpp>

#include <charconv>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

using namespace std::chrono_literals;

// Every event one client delivered, and the snapshots it applied.
struct Watcher {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<StoredPoint> events;
  std::vector<Seq> snapshots;
  std::vector<std::string> close_reasons;
  std::vector<proto::Hello> hellos;

  Client::Options options(const std::string& url, StreamOptions stream) {
    Client::Options o;
    o.base_url = url;
    o.backoff_min = 50ms;
    o.backoff_max = 400ms;
    o.stream = stream;
    o.callbacks.on_hello = [this](const proto::Hello& h) { update([&] { hellos.push_back(h); }); };
    o.callbacks.on_snapshot = [this](Seq seq, const std::vector<Device>&) {
      update([&] { snapshots.push_back(seq); });
    };
    o.callbacks.on_telemetry = [this](const std::vector<StoredPoint>& e) {
      update([&] { events.insert(events.end(), e.begin(), e.end()); });
    };
    o.callbacks.on_close = [this](std::uint16_t, const std::string& reason) {
      update([&] { close_reasons.push_back(reason); });
    };
    return o;
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
  bool wait(Pred pred, std::chrono::milliseconds timeout = 20s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return pred(*this); });
  }
};

// Shortest round-trip form: all the decimals (std::to_string keeps only six).
std::string num(double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

std::string ingest_body(std::int64_t ts, double lat, double lon, const std::string& optional) {
  return R"({"ts":)" + std::to_string(ts) + R"(,"lat":)" + num(lat) + R"(,"lon":)" + num(lon) + optional +
         "}";
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void expect_same_events(const std::vector<StoredPoint>& compact, const std::vector<StoredPoint>& json) {
  ASSERT_EQ(compact.size(), json.size());
  for (std::size_t k = 0; k < json.size(); ++k) {
    SCOPED_TRACE("event " + std::to_string(k));
    const StoredPoint& c = compact[k];
    const StoredPoint& j = json[k];
    EXPECT_EQ(c.seq, j.seq);
    EXPECT_EQ(c.device.str(), j.device.str());
    EXPECT_EQ(c.point.ts_ms, j.point.ts_ms);
    EXPECT_LE(std::abs(c.point.lat - j.point.lat), 1e-6) << c.point.lat << " vs " << j.point.lat;
    EXPECT_LE(std::abs(c.point.lon - j.point.lon), 1e-6) << c.point.lon << " vs " << j.point.lon;
    EXPECT_EQ(c.point.speed_kph, j.point.speed_kph);
    EXPECT_EQ(c.point.heading_deg, j.point.heading_deg);
    EXPECT_EQ(c.point.altitude_m, j.point.altitude_m);
    EXPECT_EQ(c.point.accuracy_m, j.point.accuracy_m);
    EXPECT_EQ(c.point.battery_pct, j.point.battery_pct);
    EXPECT_EQ(c.point.attributes_json, j.point.attributes_json);
  }
}

// Ingests a mix of event shapes from `truck`, then from a device created after the watchers connected.
// Returns how many events were ingested.
std::size_t ingest_mixed(unsigned short port, const std::string& admin, const NewDevice& truck) {
  const std::int64_t t0 = now_ms() - 60'000;
  const std::vector<std::string> optionals = {
      "",
      R"(,"speed_kph":42.5,"heading_deg":90,"altitude_m":-12.25,"accuracy_m":3.5,"battery_pct":81,)"
      R"("attributes":{"driver":"A. Smith","door_open":false,"temp_c":4.5})",
      R"(,"altitude_m":35)",
      R"(,"attributes":{"k":1})",
      R"(,"battery_pct":0)",
  };
  std::size_t n = 0;
  for (std::size_t k = 0; k < optionals.size(); ++k, ++n) {
    // ts not monotonic (negative dt within a batch is fine); southern/western positions with 7 decimals.
    const std::int64_t ts = t0 + static_cast<std::int64_t>(k % 2 ? 1000 * k : 500);
    EXPECT_EQ(
        request(port, "POST", "/api/v1/telemetry",
                ingest_body(ts, -33.8688197 + 0.0000013 * static_cast<double>(k), -151.2092955, optionals[k]),
                truck.key)
            .status,
        202);
  }
  // A batch of several points in one request: one encoded batch, several events.
  std::string batch = "[";
  for (int k = 0; k < 4; ++k) {
    batch += (k ? "," : "") + ingest_body(t0 + 10 * k, 48.85 + 0.00000049 * k, 2.3522 - 0.0000051 * k,
                                          R"(,"speed_kph":)" + std::to_string(k));
  }
  EXPECT_EQ(request(port, "POST", "/api/v1/telemetry", batch + "]", truck.key).status, 202);
  n += 4;
  // A device created mid-stream: its index is announced to the compact session before its first use.
  const NewDevice van = create_device(port, admin, "Van");
  for (int k = 0; k < 3; ++k, ++n) {
    EXPECT_EQ(request(port, "POST", "/api/v1/telemetry", ingest_body(t0 + k, 52.52 + k, 13.405, ""), van.key)
                  .status,
              202);
    // Interleave the two devices.
    EXPECT_EQ(
        request(port, "POST", "/api/v1/telemetry", ingest_body(t0 + k, 48.1 + k, 2.2, ""), truck.key).status,
        202);
    ++n;
  }
  return n;
}

void run_against_json_watcher(StreamOptions stream) {
  FleetdProcess server;
  const std::string admin = dev_token(server.port(), "alice", "org_a");
  const NewDevice truck = create_device(server.port(), admin, "Truck");

  Watcher json_w;
  Watcher compact_w;
  Client json_client(json_w.options(server.base_url(), {}));
  Client compact_client(compact_w.options(server.base_url(), stream));
  json_client.set_token(admin);
  compact_client.set_token(admin);
  ASSERT_TRUE(json_w.wait([](auto& w) { return w.snapshots.size() == 1; }));
  ASSERT_TRUE(compact_w.wait([](auto& w) { return w.snapshots.size() == 1; }));

  const std::size_t n = ingest_mixed(server.port(), admin, truck);
  ASSERT_TRUE(json_w.wait([n](auto& w) { return w.events.size() >= n; }));
  ASSERT_TRUE(compact_w.wait([n](auto& w) { return w.events.size() >= n; })) << server.log();
  std::scoped_lock lock(json_w.mu, compact_w.mu);
  EXPECT_EQ(json_w.events.size(), n);
  expect_same_events(compact_w.events, json_w.events);
  // No loss was detected on the way (a gap or an unknown index would have cost a reconnect).
  EXPECT_TRUE(compact_w.close_reasons.empty()) << compact_w.close_reasons.front();
  EXPECT_EQ(compact_w.snapshots.size(), 1u);
  // The positions really came rounded: the JSON watcher saw the 7th decimal, the compact one not.
  EXPECT_NE(compact_w.events[0].point.lat, json_w.events[0].point.lat);
  EXPECT_EQ(compact_w.events[0].point.lat, std::round(json_w.events[0].point.lat * 1e6) / 1e6);
}

TEST(ClientCompact, ReceivesTheSameEventsAsAJsonClient) {
  StreamOptions compact;
  compact.format = StreamFormat::compact;
  run_against_json_watcher(compact);
}

TEST(ClientCompact, WithAFlushWindowToo) {
  StreamOptions compact;
  compact.format = StreamFormat::compact;
  compact.flush_ms = 50;
  run_against_json_watcher(compact);
}

TEST(ClientCompact, ResumesAcrossARestartThatRenumbersTheDevices) {
  // A key-file server, so one token stays valid across the restart; its data directory survives it.
  FleetdProcess issuer;
  TempDir dir;
  const std::string jwks = dir.path() + "/jwks.json";
  std::ofstream(jwks) << request(issuer.port(), "GET", "/.well-known/jwks.json").body;
  const std::string admin = dev_token(issuer.port(), "alice", "org_a", "admin", 600);
  TempDir data;
  auto server = std::make_unique<FleetdProcess>(std::vector<std::string>{"--jwks-file", jwks}, data.path());
  const unsigned short port = server->port();
  const NewDevice truck = create_device(port, admin, "Truck");
  const NewDevice van = create_device(port, admin, "Van");

  Watcher json_w;
  Watcher compact_w;
  StreamOptions compact;
  compact.format = StreamFormat::compact;
  Client json_client(json_w.options(server->base_url(), {}));
  Client compact_client(compact_w.options(server->base_url(), compact));
  json_client.set_token(admin);
  compact_client.set_token(admin);
  ASSERT_TRUE(json_w.wait([](auto& w) { return w.snapshots.size() == 1; }));
  ASSERT_TRUE(compact_w.wait([](auto& w) { return w.snapshots.size() == 1; }));
  const std::int64_t t0 = now_ms() - 60'000;
  // This process numbers the truck first.
  for (const NewDevice* d : {&truck, &van}) {
    ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", ingest_body(t0, 48.1234567, 2.1, ""), d->key).status,
              202);
  }
  ASSERT_TRUE(compact_w.wait([](auto& w) { return w.events.size() == 2; }));

  server->stop(SIGTERM);
  server = std::make_unique<FleetdProcess>(
      std::vector<std::string>{"--jwks-file", jwks, "--listen", "127.0.0.1:" + std::to_string(port)},
      data.path());
  // The new process numbers the van first; both sessions resume (no snapshot) and go on.
  for (const NewDevice* d : {&van, &truck, &van}) {
    ASSERT_EQ(request(port, "POST", "/api/v1/telemetry", ingest_body(t0 + 1, -33.8688197, 151.2, ""), d->key)
                  .status,
              202);
  }
  ASSERT_TRUE(json_w.wait([](auto& w) { return w.events.size() == 5; }));
  ASSERT_TRUE(compact_w.wait([](auto& w) { return w.events.size() == 5; })) << server->log();
  std::scoped_lock lock(json_w.mu, compact_w.mu);
  expect_same_events(compact_w.events, json_w.events);
  EXPECT_EQ(compact_w.events[2].device.str(), van.id);
  EXPECT_EQ(compact_w.events[3].device.str(), truck.id);
  ASSERT_GE(compact_w.hellos.size(), 2u);
  EXPECT_EQ(compact_w.hellos.back().recovered, std::optional<bool>(true));
  EXPECT_EQ(compact_w.snapshots.size(), 1u);
  for (const std::string& reason : compact_w.close_reasons) EXPECT_NE(reason, "Telemetry gap");
}

}  // namespace
}  // namespace fleet::testing
