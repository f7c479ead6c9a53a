#include "auth/dev_issuer.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "auth/base64url.hpp"
#include "auth/claims_policy.hpp"
#include "auth/jwt_verifier.hpp"

namespace fleet::auth {
namespace {

namespace json = boost::json;
constexpr std::int64_t kNow = 1'700'000'000;

const DevIssuer& issuer() {
  static auto i = DevIssuer::create(DevIssuerConfig{"https://dev.test", "http://localhost:5173"}).value();
  return *i;
}

TEST(DevIssuer, JwksIsPublicRs256) {
  const auto doc = json::parse(issuer().jwks_json()).as_object();
  const auto& key = doc.at("keys").as_array().at(0).as_object();
  EXPECT_EQ(key.at("kty").as_string(), "RSA");
  EXPECT_EQ(key.at("alg").as_string(), "RS256");
  EXPECT_EQ(key.at("kid").as_string(), issuer().kid());
  EXPECT_FALSE(key.contains("d"));
  EXPECT_EQ(base64url_decode(key.at("n").as_string())->size(), 256u);
}

TEST(DevIssuer, TokensVerifyThroughJwksParsing) {
  auto keys = KeySet::from_jwks(issuer().jwks_json());
  ASSERT_TRUE(keys.has_value()) << keys.error().message;
  auto token = issuer().issue("user_1", "org_1", "admin", 3600, kNow);
  ASSERT_TRUE(token.has_value());
  const auto r = verify_jwt(*token, **keys, kNow + 10);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.header.at("typ").as_string(), "JWT");
  EXPECT_EQ(r.header.at("kid").as_string(), issuer().kid());
  EXPECT_EQ(r.claims.at("v").as_int64(), 2);
  EXPECT_EQ(r.claims.at("exp").as_int64(), kNow + 3600);
  EXPECT_EQ(r.claims.at("iss").as_string(), "https://dev.test");

  ClaimsPolicyConfig cfg;
  cfg.issuer = "https://dev.test";
  cfg.authorized_parties = {"http://localhost:5173"};
  const auto o = apply_claims_policy(r.claims, r.exp_s, cfg);
  ASSERT_TRUE(o.ok) << o.detail;
  EXPECT_EQ(o.principal.tenant.str(), "org_1");
  EXPECT_EQ(o.principal.user.str(), "user_1");
  EXPECT_EQ(o.principal.role, "admin");
  EXPECT_EQ(o.principal.session_id.rfind("sess_", 0), 0u);
}

TEST(DevIssuer, PersonalAccountTokenHasNoOrganization) {
  auto keys = KeySet::from_jwks(issuer().jwks_json()).value();
  const auto r = verify_jwt(issuer().issue("user_1", "", "", 60, kNow).value(), *keys, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r.claims.contains("o"));
  EXPECT_EQ(apply_claims_policy(r.claims, r.exp_s, {}).failure, AuthFailure::no_organization);
}

TEST(DevIssuer, TokenExpires) {
  auto keys = KeySet::from_jwks(issuer().jwks_json()).value();
  const auto token = issuer().issue("user_1", "org_1", "admin", 60, kNow).value();
  EXPECT_EQ(verify_jwt(token, *keys, kNow + 120).error, TokenError::expired);
}

TEST(DevIssuer, OtherIssuerKeysDoNotVerify) {
  auto other = DevIssuer::create().value();
  auto keys = KeySet::from_jwks(other->jwks_json()).value();
  EXPECT_EQ(verify_jwt(issuer().issue("u", "o", "", 60, kNow).value(), *keys, kNow).error, TokenError::unknown_kid);
}

TEST(DevIssuer, KeySourceUsesJwks) {
  auto src = issuer().key_source();
  ASSERT_TRUE(src.has_value());
  EXPECT_NE((*src)->current()->find(issuer().kid()), nullptr);
}

}  // namespace
}  // namespace fleet::auth
