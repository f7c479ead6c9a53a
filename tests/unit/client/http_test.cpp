// fleet::http against a tiny in-test HTTP/1.1 server (blocking, one connection at a time).
#include "fleet/http.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <thread>

#include "loopback_port.hpp"

namespace fleet::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// Echoes what it received as JSON-ish text; "/close" answers with Connection: close, "/hang" never answers,
// and when close_after_each is set the server drops every connection after one response without saying so
// (what an idle keep-alive timeout looks like to the client).
class TestHttpServer {
 public:
  std::atomic<int> accepted{0};
  std::atomic<bool> close_after_each{false};
  std::mutex mu;
  std::vector<std::string> authorizations;

  TestHttpServer() : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~TestHttpServer() {
    stop_ = true;
    boost::system::error_code ignored;
    // Wake the blocking accept with a throwaway connection.
    tcp::socket poke(ioc_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  void serve() {
    while (!stop_) {
      tcp::socket sock(ioc_);
      boost::system::error_code ec;
      acceptor_.accept(sock, ec);
      if (ec || stop_) return;
      ++accepted;
      beast::flat_buffer buf;
      for (;;) {
        beast::http::request<beast::http::string_body> req;
        beast::http::read(sock, buf, req, ec);
        if (ec) break;
        {
          std::lock_guard l(mu);
          authorizations.emplace_back(req[beast::http::field::authorization]);
        }
        if (req.target() == "/hang") {
          char byte;
          while (!ec) sock.read_some(asio::buffer(&byte, 1), ec);  // until the client gives up and closes
          break;
        }
        beast::http::response<beast::http::string_body> res{
            req.target() == "/missing" ? beast::http::status::not_found : beast::http::status::ok, 11};
        res.set(beast::http::field::content_type, "application/json");
        res.body() = std::string(req.method_string()) + " " + std::string(req.target()) + " " + req.body();
        res.keep_alive(req.target() != "/close" && req.keep_alive());
        res.prepare_payload();
        beast::http::write(sock, res, ec);
        if (ec || !res.keep_alive() || close_after_each) break;
      }
      sock.close(ec);
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(Http, OneShotRequest) {
  TestHttpServer server;
  auto res = request("POST", server.url() + "/dev/token?x=1", "secret", R"({"a":1})");
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, 200u);
  EXPECT_TRUE(res->ok());
  EXPECT_EQ(res->body, R"(POST /dev/token?x=1 {"a":1})");
  EXPECT_EQ(res->content_type, "application/json");
  std::lock_guard l(server.mu);
  EXPECT_EQ(server.authorizations.back(), "Bearer secret");
}

TEST(Http, NonSuccessStatusIsAResponseNotAnError) {
  TestHttpServer server;
  auto res = request("GET", server.url() + "/missing");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 404u);
  EXPECT_FALSE(res->ok());
  std::lock_guard l(server.mu);
  EXPECT_EQ(server.authorizations.back(), "");  // no bearer, no header
}

TEST(Http, KeepAliveReusesTheConnection) {
  TestHttpServer server;
  auto conn = Connection::open(server.url());
  ASSERT_TRUE(conn.has_value());
  for (int i = 0; i < 5; ++i) {
    auto res = (*conn)->request("GET", "/api/v1/me", "t");
    ASSERT_TRUE(res.has_value()) << res.error().message;
    EXPECT_EQ(res->status, 200u);
  }
  EXPECT_EQ(server.accepted.load(), 1);
}

TEST(Http, ConnectionCloseIsHonoured) {
  TestHttpServer server;
  auto conn = Connection::open(server.url());
  ASSERT_TRUE(conn.has_value());
  ASSERT_TRUE((*conn)->request("GET", "/close").has_value());
  ASSERT_TRUE((*conn)->request("GET", "/close").has_value());
  EXPECT_EQ(server.accepted.load(), 2);
}

TEST(Http, StaleKeepAliveConnectionIsRetriedOnce) {
  TestHttpServer server;
  server.close_after_each = true;
  auto conn = Connection::open(server.url());
  ASSERT_TRUE(conn.has_value());
  for (int i = 0; i < 3; ++i) {
    auto res = (*conn)->request("POST", "/api/v1/telemetry", "k", "{}");
    ASSERT_TRUE(res.has_value()) << "request " << i << ": " << res.error().message;
    EXPECT_EQ(res->status, 200u);
  }
  EXPECT_EQ(server.accepted.load(), 3);
}

TEST(Http, TimeoutIsAnError) {
  TestHttpServer server;
  Options o;
  o.timeout = 200ms;
  const auto start = std::chrono::steady_clock::now();
  auto res = request("GET", server.url() + "/hang", {}, {}, o);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, ErrorCode::unavailable);
  EXPECT_NE(res.error().message.find("timed out"), std::string::npos) << res.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start,
            5s);  // "/hang" never answers; loose for loaded machines
}

TEST(Http, ConnectionRefusedIsAnError) {
  const fleet::testing::RefusingPort nobody;
  auto res = request("GET", nobody.url() + "/healthz");
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(res.error().code, ErrorCode::unavailable);
}

TEST(Http, BadUrlAndMethodAreErrors) {
  EXPECT_FALSE(request("GET", "not a url").has_value());
  EXPECT_FALSE(request("GET", "ftp://127.0.0.1/").has_value());
  TestHttpServer server;
  EXPECT_FALSE(request("FROB", server.url() + "/").has_value());
}

}  // namespace
}  // namespace fleet::http
