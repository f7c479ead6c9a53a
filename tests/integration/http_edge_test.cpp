// The HTTP edge as an attacker probes it: framing that could smuggle a second request, Host rules,
// repeated credentials, and answers no cache may keep (RFC 9112, RFC 9111).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "fleetd_process.hpp"
#include "wire.hpp"

namespace fleet::testing {
namespace {

// Sends `bytes` on a fresh connection and returns everything the server sends until it closes (or 20 s),
// or, with `head_only`, until the first response head is complete (an upgraded socket stays open).
std::string exchange(unsigned short port, const std::string& bytes, bool head_only = false) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    throw std::runtime_error("connect");
  timeval tv{20, 0};  // a hang guard: reads return as soon as the server closes
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (head_only && out.find("\r\n\r\n") != std::string::npos) break;
  }
  ::close(fd);
  return out;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

class HttpEdge : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new FleetdProcess();
    token_ = new std::string(dev_token(server_->port(), "alice", "org_a"));
  }
  static void TearDownTestSuite() {
    delete server_;
    delete token_;
  }
  unsigned short port() const { return server_->port(); }
  static FleetdProcess* server_;
  static std::string* token_;
};
FleetdProcess* HttpEdge::server_ = nullptr;
std::string* HttpEdge::token_ = nullptr;

TEST_F(HttpEdge, ATransferEncodingThatDoesNotEndInChunkedCannotSmuggleARequest) {
  const std::string smuggled =
      "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + *token_ + "\r\n\r\n";
  for (const std::string te :
       {"identity", "xchunked", "chunked, identity", "chunked, chunked", "chunked;x=1", " , "}) {
    const std::string req = "POST /api/v1/telemetry HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                            "\r\nAuthorization: Bearer fk_x\r\n\r\n" + smuggled;
    const std::string out = exchange(port(), req);
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << te << "\n" << out;
    EXPECT_EQ(count(out, "HTTP/1.1 "), 1u) << "the smuggled request was answered: " << te << "\n" << out;
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
    // The message names the problem (Beast itself refuses a few shapes as malformed, also with a 400).
    EXPECT_TRUE(out.find("Transfer-Encoding") != std::string::npos ||
                out.find("malformed HTTP request") != std::string::npos)
        << out;
  }
  // A coding fleetd would have to undo is not implemented (501), and still closes.
  const std::string gz = exchange(port(),
                                  "POST /api/v1/telemetry HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
                                      smuggled);
  EXPECT_EQ(gz.rfind("HTTP/1.1 501", 0), 0u) << gz;
  EXPECT_EQ(count(gz, "HTTP/1.1 "), 1u) << gz;
  // A body that really is chunked is read as one request (an unknown device key: 401).
  const std::string body = R"({"lat":1,"lon":2,"ts":1795000000000})";
  const std::string ok =
      "POST /api/v1/telemetry HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Authorization: Bearer fk_unknown\r\nConnection: close\r\n\r\n24\r\n" +
      body + "\r\n0\r\n\r\n";
  const std::string out = exchange(port(), ok);
  EXPECT_EQ(count(out, "HTTP/1.1 "), 1u) << out;
  EXPECT_EQ(out.rfind("HTTP/1.1 401", 0), 0u) << out;
}

TEST_F(HttpEdge, TransferEncodingInHttp10IsRefused) {
  const std::string out =
      exchange(port(), "POST /api/v1/telemetry HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
  EXPECT_EQ(out.rfind("HTTP/1.0 400", 0), 0u) << out;
}

TEST_F(HttpEdge, Http11RequestsNeedExactlyOneHost) {
  const std::string missing =
      exchange(port(), "GET /healthz HTTP/1.1\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(missing.rfind("HTTP/1.1 400", 0), 0u) << missing;
  EXPECT_NE(missing.find("missing Host header"), std::string::npos) << missing;
  EXPECT_EQ(count(missing, "HTTP/1.1 "), 1u) << "the connection must close after the 400";
  const std::string twice = exchange(port(), "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  EXPECT_EQ(twice.rfind("HTTP/1.1 400", 0), 0u) << twice;
  EXPECT_NE(twice.find("repeated Host header"), std::string::npos) << twice;
  // HTTP/1.0 predates Host: still served.
  const std::string old = exchange(port(), "GET /healthz HTTP/1.0\r\n\r\n");
  EXPECT_EQ(old.rfind("HTTP/1.0 200", 0), 0u) << old;
}

TEST_F(HttpEdge, ARepeatedTokenOrResumeParameterIsRefusedNotPickedSilently) {
  const std::vector<std::string> queries = {"token=" + *token_ + "&token=" + *token_, "token=a&token",
                                            "since=1&since=2&epoch=e", "since=1&epoch=a&epoch=b",
                                            "tok%65n=a&token=b"};
  for (const std::string& query : queries) {
    const std::string out = exchange(port(), "GET /ws?" + query +
                                                 " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                                                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    EXPECT_EQ(out.rfind("HTTP/1.1 400", 0), 0u) << query << "\n" << out;
    EXPECT_NE(out.find("repeated"), std::string::npos) << out;
  }
}

TEST_F(HttpEdge, AuthenticatedAndApiAnswersAreNeverStored) {
  const std::string me =
      exchange(port(), "GET /api/v1/me HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " +
                           *token_ + "\r\n\r\n");
  EXPECT_EQ(me.rfind("HTTP/1.1 200", 0), 0u) << me;
  EXPECT_NE(me.find("Cache-Control: no-store\r\n"), std::string::npos) << me;
  const std::string refused =
      exchange(port(), "GET /api/v1/devices HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused;
  EXPECT_NE(refused.find("Cache-Control: no-store\r\n"), std::string::npos) << refused;
  const std::string mint = R"({"user":"bob","org":"org_b"})";
  const std::string minted =
      exchange(port(), "POST /dev/token HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: " +
                           std::to_string(mint.size()) + "\r\n\r\n" + mint);
  EXPECT_EQ(minted.rfind("HTTP/1.1 200", 0), 0u) << minted;
  EXPECT_NE(minted.find("Cache-Control: no-store\r\n"), std::string::npos) << minted;
  const std::string health =
      exchange(port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(health.find("no-store"), std::string::npos) << health;
}

TEST(HttpEdgeOrigins, AnAllowListRefusesUpgradesFromOtherOrigins) {
  FleetdProcess server({"--dev", "--allowed-origin", "https://fleet.example"});
  const std::string token = dev_token(server.port(), "alice", "org_a");
  auto upgrade = [&](const std::string& origin_header) {
    return exchange(server.port(),
                    "GET /ws?token=" + token +
                        " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
                        origin_header + "\r\n",
                    true);
  };
  const std::string evil = upgrade("Origin: https://evil.example\r\n");
  EXPECT_EQ(evil.rfind("HTTP/1.1 403", 0), 0u) << evil;
  EXPECT_NE(evil.find("origin not allowed"), std::string::npos) << evil;
  EXPECT_EQ(upgrade("Origin: https://fleet.example\r\n").rfind("HTTP/1.1 101", 0), 0u);
  EXPECT_EQ(upgrade("").rfind("HTTP/1.1 101", 0), 0u);  // no Origin: not a browser
  // REST is not affected: the allow-list is about which pages may open live sessions.
  EXPECT_EQ(request(server.port(), "GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace fleet::testing
