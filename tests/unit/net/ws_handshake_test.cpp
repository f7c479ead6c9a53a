// The opening handshake's checks (RFC 6455 4.2.1) on parsed requests, and the 101 answer.
#include "net/ws_handshake.hpp"

#include <gtest/gtest.h>

#include <boost/beast/http.hpp>

namespace fleet::net {
namespace {
namespace http = boost::beast::http;

http::request<http::string_body> upgrade_request() {
  http::request<http::string_body> req{http::verb::get, "/ws", 11};
  req.set(http::field::host, "localhost");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "keep-alive, Upgrade");
  req.set(http::field::sec_websocket_version, "13");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  return req;
}

TEST(WsHandshake, AcceptsAValidUpgrade) {
  auto check = check_upgrade(upgrade_request());
  EXPECT_EQ(check.status, 101);
  EXPECT_EQ(check.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  const std::string res = switching_protocols_response(check.accept);
  EXPECT_EQ(res.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u);
  EXPECT_NE(res.find("\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos);
  EXPECT_NE(res.find("\r\nServer: fleetd/"), std::string::npos);
  EXPECT_EQ(res.substr(res.size() - 4), "\r\n\r\n");
}

TEST(WsHandshake, HeaderTokensAreCaseInsensitiveLists) {
  auto req = upgrade_request();
  req.set(http::field::upgrade, "WebSocket");
  req.set(http::field::connection, "UPGRADE");
  EXPECT_EQ(check_upgrade(req).status, 101);
  req.set(http::field::connection, "keep-alive");
  EXPECT_EQ(check_upgrade(req).status, 400);
  req.set(http::field::connection, "upgrades");
  EXPECT_EQ(check_upgrade(req).status, 400);
}

TEST(WsHandshake, RefusesWhatIsNotAnUpgrade) {
  auto post = upgrade_request();
  post.method(http::verb::post);
  EXPECT_EQ(check_upgrade(post).status, 400);
  auto old = upgrade_request();
  old.version(10);
  EXPECT_EQ(check_upgrade(old).status, 400);
  auto no_upgrade = upgrade_request();
  no_upgrade.erase(http::field::upgrade);
  EXPECT_EQ(check_upgrade(no_upgrade).status, 400);
}

TEST(WsHandshake, OtherVersionsGet426) {
  auto req = upgrade_request();
  req.set(http::field::sec_websocket_version, "8");
  EXPECT_EQ(check_upgrade(req).status, 426);
  req.erase(http::field::sec_websocket_version);
  EXPECT_EQ(check_upgrade(req).status, 426);
}

TEST(WsHandshake, KeyMustBeBase64OfSixteenBytes) {
  auto missing = upgrade_request();
  missing.erase(http::field::sec_websocket_key);
  EXPECT_EQ(check_upgrade(missing).status, 400);
  auto bad = upgrade_request();
  bad.set(http::field::sec_websocket_key, "not a key");
  EXPECT_EQ(check_upgrade(bad).status, 400);
}

}  // namespace
}  // namespace fleet::net
