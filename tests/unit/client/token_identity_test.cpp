// Reading a token's identity without verifying it, and matching it with a session's hello.
#include "fleet/token_identity.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "test_ws_server.hpp"

namespace fleet {
namespace {

using test::base64url;

std::string jwt_with_payload(std::string_view payload) {
  return base64url(R"({"alg":"ES256"})") + "." + base64url(payload) + ".sig";
}

TEST(TokenIdentity, ClerkV2OrganizationClaim) {
  const auto id = peek_token_identity(test::fake_jwt("user_1", "org_a"));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->user, "user_1");
  EXPECT_EQ(id->org, std::optional<std::string>("org_a"));
}

TEST(TokenIdentity, ClerkV1OrganizationClaim) {
  const auto id = peek_token_identity(jwt_with_payload(R"({"sub":"user_1","org_id":"org_b"})"));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->org, std::optional<std::string>("org_b"));
}

TEST(TokenIdentity, V2WinsOverV1) {
  const auto id =
      peek_token_identity(jwt_with_payload(R"({"sub":"u","o":{"id":"org_v2"},"org_id":"org_v1"})"));
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->org, std::optional<std::string>("org_v2"));
}

TEST(TokenIdentity, NoOrganizationClaim) {
  const auto id = peek_token_identity(jwt_with_payload(R"({"sub":"u","o":{"rol":"admin"}})"));
  ASSERT_TRUE(id.has_value());
  EXPECT_FALSE(id->org.has_value());
}

TEST(TokenIdentity, UnreadableTokens) {
  for (const std::string& t :
       {std::string(), std::string("opaque"), std::string("a.b"), std::string("a.b.c.d"),
        jwt_with_payload("not json"), jwt_with_payload("[]"), jwt_with_payload(R"({"org_id":"o"})"),
        jwt_with_payload(R"({"sub":5})"),
        jwt_with_payload(R"({"sub":"a","sub":"b"})"),  // duplicates: refused, as by the server
        base64url("{}") + ".%%%%." + "sig",
        std::string(9000, 'a') + "." + base64url(R"({"sub":"u"})") + ".sig"}) {
    EXPECT_FALSE(peek_token_identity(t).has_value()) << t;
  }
}

TEST(TokenMatch, ComparesUserAndOrganization) {
  EXPECT_EQ(match_token(test::fake_jwt("u", "org_a"), "u", "org_a"), TokenMatch::same);
  EXPECT_EQ(match_token(test::fake_jwt("u", "org_b"), "u", "org_a"), TokenMatch::different);
  EXPECT_EQ(match_token(test::fake_jwt("v", "org_a"), "u", "org_a"), TokenMatch::different);
  EXPECT_EQ(match_token("opaque", "u", "org_a"), TokenMatch::unknown);
  // Without a known org claim only the user can be compared; the server may use another claim.
  EXPECT_EQ(match_token(jwt_with_payload(R"({"sub":"u"})"), "u", "org_a"), TokenMatch::same);
  EXPECT_EQ(match_token(jwt_with_payload(R"({"sub":"v"})"), "u", "org_a"), TokenMatch::different);
}

}  // namespace
}  // namespace fleet
