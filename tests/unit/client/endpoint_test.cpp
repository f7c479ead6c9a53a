#include "fleet/endpoint.hpp"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>

namespace fleet {
namespace {

TEST(Endpoint, HttpMapsToWs) {
  auto ep = parse_endpoint("http://127.0.0.1:3000");
  ASSERT_TRUE(ep.has_value()) << ep.error().message;
  EXPECT_FALSE(ep->tls);
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, "3000");
  EXPECT_EQ(ep->base_path, "");
  EXPECT_EQ(ep->ws_url(), "ws://127.0.0.1:3000/ws");
  EXPECT_EQ(ep->host_header(), "127.0.0.1:3000");
  EXPECT_EQ(ep->http_origin(), "http://127.0.0.1:3000");
}

TEST(Endpoint, HttpsMapsToWssWithDefaultPort) {
  auto ep = parse_endpoint("https://fleet.example.com/");
  ASSERT_TRUE(ep.has_value());
  EXPECT_TRUE(ep->tls);
  EXPECT_EQ(ep->port, "443");
  EXPECT_EQ(ep->ws_url(), "wss://fleet.example.com/ws");
  EXPECT_EQ(ep->host_header(), "fleet.example.com");
}

TEST(Endpoint, WsAndWssAcceptedDirectly) {
  auto ws = parse_endpoint("ws://localhost:3000/ws");
  ASSERT_TRUE(ws.has_value());
  EXPECT_FALSE(ws->tls);
  EXPECT_EQ(ws->ws_url(), "ws://localhost:3000/ws");
  EXPECT_EQ(ws_target(*ws, "t"), "/ws?token=t");
  auto wss = parse_endpoint("wss://fleet.example.com:8443");
  ASSERT_TRUE(wss.has_value());
  EXPECT_TRUE(wss->tls);
  EXPECT_EQ(wss->ws_url(), "wss://fleet.example.com:8443/ws");
  EXPECT_EQ(wss->http_origin(), "https://fleet.example.com:8443");
}

TEST(Endpoint, PathPrefixIsKept) {
  auto ep = parse_endpoint("https://example.com/fleet/");
  ASSERT_TRUE(ep.has_value());
  EXPECT_EQ(ep->base_path, "/fleet");
  EXPECT_EQ(ep->ws_url(), "wss://example.com/fleet/ws");
  EXPECT_EQ(ws_target(*ep, "abc"), "/fleet/ws?token=abc");
}

TEST(Endpoint, Ipv6Literal) {
  auto ep = parse_endpoint("http://[::1]:3000");
  ASSERT_TRUE(ep.has_value());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->host_header(), "[::1]:3000");
  EXPECT_EQ(ep->ws_url(), "ws://[::1]:3000/ws");
}

TEST(Endpoint, RefusesBadUrls) {
  for (const char* bad : {"", "127.0.0.1:3000", "ftp://x", "http://", "http://u:p@host", "http://h/?a=b",
                          "http://h:0", "http://h#frag"}) {
    EXPECT_FALSE(parse_endpoint(bad).has_value()) << bad;
  }
}

TEST(Endpoint, TokenRoundTripsThroughQuery) {
  auto ep = parse_endpoint("http://127.0.0.1:3000");
  ASSERT_TRUE(ep.has_value());
  const std::string token = "ab+cd/ef==&x=1 %25?#é";
  const std::string target = ws_target(*ep, token);
  // Only unreserved characters remain literal, so no query decoder can misread the token.
  const std::string query = target.substr(target.find('?') + 1);
  for (char c : query.substr(6)) EXPECT_EQ(std::string("+/&= ?#").find(c), std::string::npos) << query;
  EXPECT_NE(query.find("%2B"), std::string::npos);
  auto u = boost::urls::parse_origin_form(target);
  ASSERT_TRUE(u.has_value());
  auto params = u->params();
  auto it = params.find("token");
  ASSERT_NE(it, params.end());
  EXPECT_EQ((*it).value, token);
  EXPECT_EQ(params.size(), 1u);
}

TEST(Endpoint, JwtLikeTokenIsUnchanged) {
  const std::string jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.sig-_x";
  EXPECT_EQ(url_encode_component(jwt), jwt);
}

TEST(Endpoint, RedactSecretShowsAtMostEightCharacters) {
  EXPECT_EQ(redact_secret("fk_0123456789abcdef"), "fk_01234…");
  EXPECT_EQ(redact_secret("short"), "…");
  EXPECT_EQ(redact_secret(""), "");
}

}  // namespace
}  // namespace fleet
