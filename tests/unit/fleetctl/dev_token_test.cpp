// fetch_dev_token against a canned loopback server: the request fleetctl builds (docs/protocol.md "Dev
// issuer") and how it reads answers a real fleetd --dev never gives (404 without --dev, malformed bodies).
#include "dev_token.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

#include "loopback_port.hpp"

namespace fleetctl {
namespace {

// Answers one request on 127.0.0.1:<ephemeral> with `status` and `body`, and keeps the request it got.
class CannedServer {
 public:
  CannedServer(int status, std::string body) {
    listener_ = fleet::testing::bind_loopback(port_);
    if (listener_ < 0 || ::listen(listener_, 1) != 0) {
      ADD_FAILURE() << "cannot listen on loopback";
      return;
    }
    const std::string answer =
        "HTTP/1.1 " + std::to_string(status) +
        " X\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body;
    thread_ = std::thread([this, answer] { serve(answer); });
  }
  ~CannedServer() {
    if (thread_.joinable()) thread_.join();
    if (listener_ >= 0) ::close(listener_);
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // The request as received (call after the client got its answer).
  std::string request() {
    if (thread_.joinable()) thread_.join();
    return request_;
  }
  std::string request_body() {
    const std::string r = request();
    const auto end = r.find("\r\n\r\n");
    return end == std::string::npos ? std::string() : r.substr(end + 4);
  }

 private:
  void serve(const std::string& answer) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 10'000) != 1) return;  // the client never came: the test fails on its own
    const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    // Read the head, then Content-Length bytes of body.
    char buf[4096];
    std::size_t want = std::string::npos;
    while (want == std::string::npos || request_.size() < want) {
      pollfd c{fd, POLLIN, 0};
      if (::poll(&c, 1, 10'000) != 1) break;
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
      const auto head_end = request_.find("\r\n\r\n");
      if (want == std::string::npos && head_end != std::string::npos) {
        std::size_t length = 0;
        if (auto cl = request_.find("Content-Length: "); cl != std::string::npos && cl < head_end) {
          length = std::strtoul(request_.c_str() + cl + 16, nullptr, 10);
        }
        want = head_end + 4 + length;
      }
    }
    for (std::size_t sent = 0; sent < answer.size();) {
      const ssize_t n = ::write(fd, answer.data() + sent, answer.size() - sent);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    ::close(fd);
  }

  int listener_ = -1;
  unsigned short port_ = 0;
  std::thread thread_;
  std::string request_;
};

TEST(FetchDevToken, PostsTheRequestAndReadsTheAnswer) {
  CannedServer server(200, R"({"token":"eyJ.abc.def","expires_at_s":1795000060})");
  DevTokenRequest req;
  req.user = "user_alice";
  req.org = "org_acme";
  req.role = "org:member";
  req.ttl_s = 120;
  auto t = fetch_dev_token(server.url(), req);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->token, "eyJ.abc.def");
  EXPECT_EQ(t->expires_at_s, 1795000060);

  const std::string head = server.request();
  EXPECT_TRUE(head.starts_with("POST /dev/token HTTP/1.1\r\n")) << head;
  EXPECT_EQ(head.find("Authorization"), std::string::npos) << head;
  boost::json::value body = boost::json::parse(server.request_body());
  EXPECT_EQ(body,
            boost::json::parse(R"({"user":"user_alice","org":"org_acme","role":"org:member","ttl_s":120})"));
}

TEST(FetchDevToken, EmptyOrgAsksForAPersonalAccountToken) {
  CannedServer server(200, R"({"token":"t","expires_at_s":1})");
  DevTokenRequest req;
  req.user = "bob";
  auto t = fetch_dev_token(server.url(), req);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  // The server treats an absent org as "no organization"; the defaults are admin and 60 s.
  EXPECT_EQ(boost::json::parse(server.request_body()),
            boost::json::parse(R"({"user":"bob","role":"admin","ttl_s":60})"));
}

TEST(FetchDevToken, NotFoundHintsAtDevMode) {
  CannedServer server(404, R"({"error":{"code":"not_found","message":"no such endpoint"}})");
  auto t = fetch_dev_token(server.url(), DevTokenRequest{"alice", "org_a"});
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().message,
            "POST /dev/token answered 404 (is fleetd running with --dev?): no such endpoint");
}

TEST(FetchDevToken, ServerMessageOfARefusal) {
  CannedServer server(400, R"({"error":{"code":"invalid_field","message":"ttl_s must be in 1..86400"}})");
  auto t = fetch_dev_token(server.url(), DevTokenRequest{"alice", "org_a"});
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().message, "POST /dev/token answered 400: ttl_s must be in 1..86400");
}

TEST(FetchDevToken, AnswerWithoutATokenIsAnError) {
  for (const char* body : {R"({"expires_at_s":1})", R"({"token":""})", R"({"token":5})", "[]", "not json"}) {
    CannedServer server(200, body);
    auto t = fetch_dev_token(server.url(), DevTokenRequest{"alice", "org_a"});
    ASSERT_FALSE(t.has_value()) << body;
    EXPECT_EQ(t.error().message, "POST /dev/token: no token in the answer") << body;
  }
}

TEST(FetchDevToken, UnreachableServerIsAnError) {
  const fleet::testing::RefusingPort nobody;
  auto t = fetch_dev_token(nobody.url(), DevTokenRequest{"alice", ""});
  ASSERT_FALSE(t.has_value());
  EXPECT_FALSE(t.error().message.empty());
}

using namespace std::chrono_literals;

TEST(RefreshDelay, TwoThirdsOfTheLifetime) {
  EXPECT_EQ(refresh_delay(DevToken{"t", 1'000'300}, 1'000'000, 300), 200s);
  EXPECT_EQ(refresh_delay(DevToken{"t", 1'000'030}, 1'000'000, 30), 20s);
  EXPECT_EQ(refresh_delay(DevToken{"t", 1'000'004}, 1'000'000, 4), 2666ms);
}

TEST(RefreshDelay, NeverSoonerThanTheServersAuthRate) {
  // One auth message per 2 s on average: a 1 s token is refreshed in the server's grace period instead.
  EXPECT_EQ(refresh_delay(DevToken{"t", 1'000'001}, 1'000'000, 1), kMinRefreshInterval);
  EXPECT_EQ(refresh_delay(DevToken{"t", 1'000'003}, 1'000'000, 3), kMinRefreshInterval);
}

TEST(RefreshDelay, FallsBackToTheRequestedLifetime) {
  EXPECT_EQ(refresh_delay(DevToken{"t", 0}, 1'000'000, 60), 40s);          // no expires_at_s in the answer
  EXPECT_EQ(refresh_delay(DevToken{"t", 999'000}, 1'000'000, 60), 40s);    // the server's clock is behind
  EXPECT_EQ(refresh_delay(DevToken{"t", 1'000'000}, 1'000'000, 60), 40s);  // expires now
}

TEST(RefreshDelay, AnAbsurdExpiryDoesNotOverflow) {
  const auto d = refresh_delay(DevToken{"t", INT64_MAX}, 1'000'000, 60);
  EXPECT_GT(d, 24h * 200);
  EXPECT_LT(d, 24h * 366);
}

}  // namespace
}  // namespace fleetctl
