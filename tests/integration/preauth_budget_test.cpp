// Budgets before authentication (docs/protocol.md, "HTTP edge"): what an unauthenticated client can make
// fleetd hold. Ingest keys are checked before a body is read, bodies in flight share one budget, small
// routes take small bodies, and connections are capped overall and per client address, so a flood of
// idle connects from one address leaves room for a viewer elsewhere.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

// A raw TCP connection from a chosen loopback source address (all of 127/8 is local on Linux, so one
// machine can play many clients), with reads bounded by a hang guard.
class RawConn {
 public:
  RawConn(unsigned short port, const char* from = "127.0.0.1") : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &src.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0) throw std::runtime_error("bind");
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
      throw std::runtime_error("connect");
    timeval tv{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }
  ~RawConn() { ::close(fd_); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  void send(const std::string& bytes) { ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL); }
  // Reads until a response head is complete, or the server closes, or the guard expires.
  std::string read_head() {
    while (received_.find("\r\n\r\n") == std::string::npos && read_some()) {
    }
    const auto end = received_.find("\r\n\r\n");
    std::string head = received_.substr(0, end == std::string::npos ? received_.size() : end + 4);
    received_.erase(0, head.size());
    return head;
  }
  // Reads until the server closes (or the guard expires); returns everything not yet taken.
  std::string read_all() {
    while (read_some()) {
    }
    return std::exchange(received_, {});
  }
  // Reads until `needle` arrived.
  bool read_until(const std::string& needle) {
    while (received_.find(needle) == std::string::npos) {
      if (!read_some()) return false;
    }
    return true;
  }

 private:
  bool read_some() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    received_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  int fd_;
  std::string received_;
};

std::string ingest_head(const std::string& key, std::size_t content_length, bool expect_continue = false) {
  return "POST /api/v1/telemetry HTTP/1.1\r\nHost: fleetd\r\nAuthorization: Bearer " + key +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(content_length) + "\r\n" +
         (expect_continue ? "Expect: 100-continue\r\n" : "") + "\r\n";
}

std::string point_body() { return R"({"lat":48.1,"lon":11.5,"ts":"2026-01-01T00:00:00Z"})"; }

std::string upgrade_request(const std::string& token) {
  return "GET /ws" + (token.empty() ? std::string() : "?token=" + token) +
         " HTTP/1.1\r\nHost: fleetd\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

// A masked text frame (with an all-zero mask, which leaves the payload as is), payload under 126 bytes
// or with a 16-bit length: enough for an auth message.
std::string client_text_frame(const std::string& payload) {
  std::string f;
  f += static_cast<char>(0x81);
  if (payload.size() < 126) {
    f += static_cast<char>(0x80 | payload.size());
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(payload.size() >> 8);
    f += static_cast<char>(payload.size() & 0xff);
  }
  f += std::string(4, '\0');
  return f + payload;
}

int status_of(const std::string& head) {
  return head.size() > 12 && head.starts_with("HTTP/1.1 ") ? std::stoi(head.substr(9, 3)) : 0;
}

// A connection from `from` that fleetd has certainly accepted and counted (it answered a request on it),
// kept open and idle.
std::unique_ptr<RawConn> hold(unsigned short port, const char* from) {
  auto conn = std::make_unique<RawConn>(port, from);
  conn->send("GET /healthz HTTP/1.1\r\nHost: fleetd\r\n\r\n");
  if (status_of(conn->read_head()) != 200) throw std::runtime_error("not admitted");
  return conn;
}

TEST(PreauthBudget, AnIngestKeyIsCheckedBeforeTheBodyIsRead) {
  FleetdProcess server;
  const std::string token = dev_token(server.port(), "alice", "org_a");
  const NewDevice device = create_device(server.port(), token, "truck");

  // An unknown key announcing a 1 MiB body is answered at once: fleetd does not wait for the body.
  RawConn unknown(server.port());
  unknown.send(ingest_head("not-a-device-key", 1 << 20));
  const std::string head = unknown.read_head();
  EXPECT_EQ(status_of(head), 401) << head;
  EXPECT_NE(head.find("Connection: close"), std::string::npos) << "the unread body must not become a request";
  EXPECT_NE(unknown.read_all().find("unknown or revoked device key"), std::string::npos);

  // So is a missing key.
  RawConn missing(server.port());
  missing.send("POST /api/v1/telemetry HTTP/1.1\r\nHost: fleetd\r\nContent-Length: 1048576\r\n\r\n");
  EXPECT_EQ(status_of(missing.read_head()), 401);

  // An unknown key with a body that is not even valid is 401, not 400: the key comes first.
  const HttpResult bad = request(server.port(), "POST", "/api/v1/telemetry", "{not json", "not-a-device-key");
  EXPECT_EQ(bad.status, 401) << bad.body;

  // A valid key that asks first (Expect: 100-continue) is told to go on, and its body is taken.
  RawConn good(server.port());
  const std::string body = point_body();
  good.send(ingest_head(device.key, body.size(), true));
  EXPECT_EQ(status_of(good.read_head()), 100);
  good.send(body);
  EXPECT_EQ(status_of(good.read_head()), 202);

  // A revoked key is refused before its body too.
  ASSERT_EQ(request(server.port(), "DELETE", "/api/v1/devices/" + device.id, "", token).status, 200);
  RawConn revoked(server.port());
  revoked.send(ingest_head(device.key, 1 << 20));
  EXPECT_EQ(status_of(revoked.read_head()), 401);
}

TEST(PreauthBudget, RoutesOtherThanIngestTakeOnlySmallBodies) {
  FleetdProcess server;
  const std::string token = dev_token(server.port(), "alice", "org_a");
  RawConn conn(server.port());
  conn.send("POST /api/v1/devices HTTP/1.1\r\nHost: fleetd\r\nAuthorization: Bearer " + token +
            "\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
  const std::string head = conn.read_head();
  EXPECT_EQ(status_of(head), 413) << head;
  EXPECT_NE(conn.read_all().find("payload_too_large"), std::string::npos);
}

TEST(PreauthBudget, BodiesInFlightShareOneBudgetAndOverItAre503) {
  FleetdProcess server({"--dev", "--http-max-body", "1024", "--http-body-budget", "2048"});
  const std::string token = dev_token(server.port(), "alice", "org_a");
  const NewDevice device = create_device(server.port(), token, "truck");

  // Two admitted bodies of 1,024 bytes, still on their way, hold the whole budget.
  RawConn first(server.port());
  RawConn second(server.port());
  first.send(ingest_head(device.key, 1024));
  second.send(ingest_head(device.key, 1024));
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "fleet_http_body_bytes_in_flight") == "2048"; }))
      << metric(server.port(), "fleet_http_body_bytes_in_flight");

  RawConn third(server.port());
  third.send(ingest_head(device.key, point_body().size()));
  const std::string head = third.read_head();
  EXPECT_EQ(status_of(head), 503) << head;
  EXPECT_NE(head.find("Retry-After: 1"), std::string::npos) << head;
  EXPECT_NE(third.read_all().find("too many request bodies in flight"), std::string::npos);
  EXPECT_EQ(metric(server.port(), "fleet_http_body_budget_refusals_total"), "1");

  // The first body completes (an invalid one is fine: it is answered) and gives its bytes back.
  first.send(std::string(1024, ' '));
  EXPECT_EQ(status_of(first.read_head()), 400);
  ASSERT_TRUE(eventually([&] { return metric(server.port(), "fleet_http_body_bytes_in_flight") == "1024"; }));
  const HttpResult ok = request(server.port(), "POST", "/api/v1/telemetry", point_body(), device.key);
  EXPECT_EQ(ok.status, 202) << ok.body;
}

TEST(PreauthBudget, IdleConnectsFromOneAddressLeaveRoomForAViewerElsewhere) {
  FleetdProcess server({"--dev", "--max-connections-per-address", "4", "--max-http-connections", "10"});
  const std::string token = dev_token(server.port(), "alice", "org_a");

  // A flood from 127.0.0.9: four are held, every other one is refused at accept and closed.
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 4; ++i) held.push_back(hold(server.port(), "127.0.0.9"));
  for (int i = 0; i < 200; ++i) {
    RawConn extra(server.port(), "127.0.0.9");
    const std::string answer = extra.read_all();
    ASSERT_EQ(status_of(answer), 503) << answer;
    ASSERT_NE(answer.find("too many connections from this address"), std::string::npos) << answer;
  }
  EXPECT_EQ(metric(server.port(), R"(fleet_http_connections_refused_total{reason="per_address"})"), "200");

  // A viewer from another address connects and authenticates while the flood holds its four.
  RawConn viewer(server.port(), "127.0.0.2");
  viewer.send(upgrade_request(token));
  EXPECT_EQ(status_of(viewer.read_head()), 101);
  EXPECT_TRUE(viewer.read_until("\"hello\""));
}

TEST(PreauthBudget, UnauthenticatedWebSocketsCountUntilTheyAuthenticate) {
  FleetdProcess server({"--dev", "--max-connections-per-address", "2", "--max-http-connections", "10"});
  const std::string token = dev_token(server.port(), "alice", "org_a");

  // Two upgrades without a token wait for their first message: both slots of 127.0.0.3 are taken.
  RawConn a(server.port(), "127.0.0.3");
  RawConn b(server.port(), "127.0.0.3");
  a.send(upgrade_request(""));
  b.send(upgrade_request(""));
  ASSERT_EQ(status_of(a.read_head()), 101);
  ASSERT_EQ(status_of(b.read_head()), 101);
  {
    RawConn refused(server.port(), "127.0.0.3");
    EXPECT_EQ(status_of(refused.read_all()), 503);
  }
  // Once one authenticates it counts as a viewer (against --max-connections), and its slot is free.
  a.send(client_text_frame(R"({"type":"auth","token":")" + token + R"("})"));
  ASSERT_TRUE(a.read_until("\"hello\""));
  RawConn admitted(server.port(), "127.0.0.3");
  admitted.send("GET /healthz HTTP/1.1\r\nHost: fleetd\r\n\r\n");
  EXPECT_EQ(status_of(admitted.read_head()), 200);
}

TEST(PreauthBudget, TheProcessWideCapHoldsAcrossAddresses) {
  FleetdProcess server({"--dev", "--max-connections-per-address", "3", "--max-http-connections", "5"});
  std::vector<std::unique_ptr<RawConn>> held;
  for (const char* from : {"127.0.0.4", "127.0.0.4", "127.0.0.4", "127.0.0.5", "127.0.0.5"}) {
    held.push_back(hold(server.port(), from));
  }
  {
    RawConn refused(server.port(), "127.0.0.6");
    const std::string answer = refused.read_all();
    EXPECT_EQ(status_of(answer), 503);
    EXPECT_NE(answer.find("\"too many connections\""), std::string::npos) << answer;
  }
  // Closing one frees its place, once fleetd has seen it go.
  held.pop_back();
  EXPECT_TRUE(eventually([&] {
    RawConn attempt(server.port(), "127.0.0.6");
    attempt.send("GET /healthz HTTP/1.1\r\nHost: fleetd\r\n\r\n");
    return status_of(attempt.read_head()) == 200;
  }));
}

}  // namespace
}  // namespace fleet::testing
