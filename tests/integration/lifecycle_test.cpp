// Process lifecycle: durability across kill -9, graceful shutdown, readiness and metrics.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

// Every long-lived thread has a name, for top -H, perf and gdb. Each names itself when it starts: look
// for up to five seconds.
TEST(Lifecycle, ThreadsAreNamed) {
  FleetdProcess server({"--dev", "--workers", "2"});
  const std::vector<std::string> expected = {"fleet-worker-0", "fleet-worker-1", "fleet-store", "fleet-ckpt", "fleet-jwks"};
  std::set<std::string> names;
  const auto all_found = [&] {
    return std::all_of(expected.begin(), expected.end(), [&](const std::string& e) { return names.count(e) > 0; });
  };
  for (int attempt = 0; attempt < 500 && !all_found(); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(server.pid()) + "/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      names.insert(name);
    }
  }
  for (const auto& e : expected) EXPECT_TRUE(names.count(e)) << "no thread named " << e;
}

TEST(Lifecycle, AcknowledgedBatchSurvivesKill9AndRestart) {
  TempDir dir;
  std::string device_id;
  std::vector<std::string> keys;
  std::int64_t last_seq = 0;
  {
    // The dev issuer's key changes per process: tokens are minted anew after the restart.
    FleetdProcess first({"--dev"}, dir.path());
    const std::string admin = dev_token(first.port(), "alice", "org_a");
    const NewDevice truck = create_device(first.port(), admin, "Truck");
    device_id = truck.id;
    std::string batch = "[";
    for (int i = 0; i < 100; ++i) batch += std::string(i ? "," : "") + R"({"ts":)" + std::to_string(1795000000000 + i) + R"(,"lat":1,"lon":2})";
    batch += "]";
    for (int i = 0; i < 5; ++i) {
      auto r = request(first.port(), "POST", "/api/v1/telemetry", batch, truck.key);
      ASSERT_EQ(r.status, 202);
      last_seq = r.json().at("last_seq").as_int64();
    }
    keys.push_back(truck.key);
    EXPECT_NE(first.stop(SIGKILL), -1);
  }
  FleetdProcess second({"--dev"}, dir.path());
  const std::string admin = dev_token(second.port(), "alice", "org_a");
  std::size_t total = 0;
  std::string after;
  for (;;) {
    auto r = request(second.port(), "GET", "/api/v1/devices/" + device_id + "/telemetry?limit=1000" + (after.empty() ? "" : "&after=" + after), {}, admin);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    total += j.at("points").as_array().size();
    if (j.at("next").is_null()) break;
    after = std::string(j.at("next").as_string());
  }
  EXPECT_EQ(total, 500u);
  EXPECT_EQ(last_seq, 500);
  // The device key still works and the sequence continues.
  auto r = request(second.port(), "POST", "/api/v1/telemetry", R"({"ts":1795000001000,"lat":1,"lon":2})", keys[0]);
  ASSERT_EQ(r.status, 202);
  EXPECT_EQ(r.json().at("last_seq").as_int64(), 501);
}

TEST(Lifecycle, SigtermClosesSessionsWith1001AndExitsZero) {
  FleetdProcess server;
  WsClient ws(server.port(), "/ws?token=" + dev_token(server.port(), "alice", "org_a"));
  ws.read_json();
  ws.read_json();
  kill(server.pid(), SIGTERM);
  EXPECT_EQ(ws.wait_close(), 1001);
  EXPECT_EQ(ws.close_reason(), "Server shutting down");
  const int status = server.stop(SIGTERM);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

// Every worker listens on the port with SO_REUSEPORT; a second fleetd started on the same port by mistake
// must still fail with "address in use" instead of silently taking half of the connections.
TEST(Lifecycle, SecondServerOnTheSamePortIsRefused) {
  FleetdProcess first;
  const std::string listen = "127.0.0.1:" + std::to_string(first.port());
  try {
    FleetdProcess second({"--dev", "--listen", listen});
    ADD_FAILURE() << "a second fleetd started on " << listen;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot bind"), std::string::npos) << e.what();
  }
  // Connections keep reaching the first server, on both of its workers' listening sockets.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(request(first.port(), "GET", "/healthz").status, 200);
}

TEST(Lifecycle, HealthReadinessAndMetrics) {
  FleetdProcess server;
  EXPECT_EQ(request(server.port(), "GET", "/healthz").status, 200);
  EXPECT_EQ(request(server.port(), "GET", "/readyz").status, 200);
  {
    WsClient missing(server.port(), "/ws?token=");
    missing.wait_close();
  }
  // The refused session leaves the gauge once the server has destroyed it, on its own time.
  EXPECT_TRUE(eventually([&] { return metric(server.port(), "fleet_ws_connections") == "0"; }));
  WsClient ws(server.port(), "/ws?token=" + dev_token(server.port(), "alice", "org_a"));
  ws.read_json();
  auto m = request(server.port(), "GET", "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("fleet_ws_connections 1\n"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(fleet_ws_handshakes_total{outcome="accepted"} 1)"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find(R"(fleet_ws_handshakes_total{outcome="refused",reason="missing_token"} 1)"), std::string::npos);
  EXPECT_NE(m.body.find("fleet_ingest_points_total"), std::string::npos);
  EXPECT_NE(m.body.find("fleet_deliveries_total"), std::string::npos);
}

TEST(Lifecycle, DevEndpointsDoNotExistWithoutDev) {
  TempDir keys;
  // A JWKS file with no usable keys is refused at start; with a real key file fleetd starts without --dev.
  FleetdProcess dev;
  auto jwks = request(dev.port(), "GET", "/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  const std::string path = keys.path() + "/jwks.json";
  {
    std::ofstream(path) << jwks.body;
  }
  FleetdProcess prod({"--jwks-file", path});
  EXPECT_EQ(request(prod.port(), "POST", "/dev/token", R"({"user":"x","org":"y"})").status, 404);
  EXPECT_EQ(request(prod.port(), "GET", "/.well-known/jwks.json").status, 404);
  // Tokens of the issuer whose JWKS it was given verify; the iss is not pinned unless --issuer is set.
  const std::string token = dev_token(dev.port(), "alice", "org_a");
  auto me = request(prod.port(), "GET", "/api/v1/me", {}, token);
  EXPECT_EQ(me.status, 200) << me.body;
}

}  // namespace
}  // namespace fleet::testing
