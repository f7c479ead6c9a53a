// Process lifecycle: durability across kill -9, graceful shutdown, readiness and metrics.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

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
  const std::vector<std::string> expected = {"fleet-worker-0", "fleet-worker-1", "fleet-store", "fleet-ckpt",
                                             "fleet-jwks"};
  std::set<std::string> names;
  const auto all_found = [&] {
    return std::all_of(expected.begin(), expected.end(),
                       [&](const std::string& e) { return names.count(e) > 0; });
  };
  // Each thread names itself when it starts, which may be just after the port is bound.
  eventually([&] {
    for (const auto& task :
         std::filesystem::directory_iterator("/proc/" + std::to_string(server.pid()) + "/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      names.insert(name);
    }
    return all_found();
  });
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
    for (int i = 0; i < 100; ++i)
      batch += std::string(i ? "," : "") + R"({"ts":)" + std::to_string(1795000000000 + i) +
               R"(,"lat":1,"lon":2})";
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
    auto r = request(
        second.port(), "GET",
        "/api/v1/devices/" + device_id + "/telemetry?limit=1000" + (after.empty() ? "" : "&after=" + after),
        {}, admin);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = r.json();
    total += j.at("points").as_array().size();
    if (j.at("next").is_null()) break;
    after = std::string(j.at("next").as_string());
  }
  EXPECT_EQ(total, 500u);
  EXPECT_EQ(last_seq, 500);
  // The device key still works and the sequence continues.
  auto r =
      request(second.port(), "POST", "/api/v1/telemetry", R"({"ts":1795000001000,"lat":1,"lon":2})", keys[0]);
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

// Raw HTTP/1.1 on a blocking socket, so that many requests can be in flight when the signal comes.
int send_raw(unsigned short port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval guard{20, 0};  // only against a hang
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &guard, sizeof guard);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    ::close(fd);
    return -1;
  }
  return fd;
}
// The status of the answer on `fd` (0: the connection ended without one), reading to the end.
int read_status(int fd) {
  std::string in;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) in.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return in.rfind("HTTP/1.1 ", 0) == 0 && in.size() >= 12 ? std::stoi(in.substr(9, 3)) : 0;
}

// SIGTERM while ingest requests are queued in the store: the store completes them, and each one it stored
// is answered 202, because every worker runs what is queued on it before it stops (no sleep to hope
// the answers out). Counted after a restart: points stored == points acknowledged.
TEST(Lifecycle, EveryBatchStoredDuringShutdownIsAcknowledged) {
  TempDir dir;
  int acknowledged = 0;
  {
    FleetdProcess server({"--dev", "--workers", "2"}, dir.path());
    const NewDevice truck = create_device(server.port(), dev_token(server.port(), "alice", "org_a"), "Truck");
    std::vector<int> fds;
    for (int i = 0; i < 200; ++i) {
      std::string body = "[";  // 500 points: the store takes a while over 200 of these
      for (int p = 0; p < 500; ++p) {
        body += std::string(p ? "," : "") + R"({"ts":)" + std::to_string(1795000000000 + i * 500 + p) +
                R"(,"lat":1,"lon":2})";
      }
      body += "]";
      const int fd = send_raw(
          server.port(),
          "POST /api/v1/telemetry HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAuthorization: Bearer " +
              truck.key + "\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body);
      ASSERT_GE(fd, 0);
      fds.push_back(fd);
    }
    // Once the first is answered, the others are being read, queued or committed: stop now.
    const int first = read_status(fds.front());
    ASSERT_EQ(first, 202);
    kill(server.pid(), SIGTERM);
    acknowledged = 1;
    for (std::size_t i = 1; i < fds.size(); ++i) {
      const int status = read_status(fds[i]);
      EXPECT_TRUE(status == 202 || status == 503 || status == 0) << status;
      if (status == 202) ++acknowledged;
    }
    const int exit_status = server.stop(0);  // already signalled: wait for the exit
    ASSERT_TRUE(WIFEXITED(exit_status)) << exit_status;
    EXPECT_EQ(WEXITSTATUS(exit_status), 0);
  }
  // A tenant's seqs are gap-free, so hello's seq counts every point stored: 500 per stored batch.
  FleetdProcess again({"--dev"}, dir.path());
  WsClient ws(again.port(), "/ws?token=" + dev_token(again.port(), "alice", "org_a"));
  const boost::json::object hello = ws.read_json();
  EXPECT_EQ(hello.at("seq").as_int64(), std::int64_t{acknowledged} * 500);
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
  EXPECT_NE(m.body.find(R"(fleet_ws_handshakes_total{outcome="refused",reason="missing_token"} 1)"),
            std::string::npos);
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
  { std::ofstream(path) << jwks.body; }
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
