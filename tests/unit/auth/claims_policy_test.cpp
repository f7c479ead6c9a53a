#include "auth/claims_policy.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace fleet::auth {
namespace {

namespace json = boost::json;

AuthOutcome apply(std::string_view claims_json, const ClaimsPolicyConfig& cfg = {}) {
  return apply_claims_policy(json::parse(claims_json).as_object(), 1234, cfg);
}

TEST(ClaimsPolicy, ClerkV2Organization) {
  const auto o =
      apply(R"({"sub":"user_1","sid":"sess_1","v":2,"o":{"id":"org_1","rol":"admin","slg":"acme"}})");
  ASSERT_TRUE(o.ok) << o.detail;
  EXPECT_EQ(o.principal.tenant.str(), "org_1");
  EXPECT_EQ(o.principal.user.str(), "user_1");
  EXPECT_EQ(o.principal.role, "admin");
  EXPECT_EQ(o.principal.session_id, "sess_1");
  EXPECT_EQ(o.principal.exp_s, 1234);
  EXPECT_TRUE(o.principal.is_admin());
}

TEST(ClaimsPolicy, ClerkV1Organization) {
  const auto o = apply(R"({"sub":"user_1","org_id":"org_9","org_role":"org:member","org_slug":"x"})");
  ASSERT_TRUE(o.ok) << o.detail;
  EXPECT_EQ(o.principal.tenant.str(), "org_9");
  EXPECT_EQ(o.principal.role, "org:member");
  EXPECT_FALSE(o.principal.is_admin());
  EXPECT_TRUE(o.principal.session_id.empty());
}

TEST(ClaimsPolicy, V2PreferredOverV1) {
  const auto o =
      apply(R"({"sub":"u","o":{"id":"org_v2","rol":"admin"},"org_id":"org_v1","org_role":"org:member"})");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.principal.tenant.str(), "org_v2");
  EXPECT_EQ(o.principal.role, "admin");
}

TEST(ClaimsPolicy, CustomClaimPath) {
  ClaimsPolicyConfig cfg;
  cfg.tenant_claim = "org.tenant";
  const auto o = apply(R"({"sub":"u","org":{"tenant":"t_42"},"org_id":"ignored"})", cfg);
  ASSERT_TRUE(o.ok) << o.detail;
  EXPECT_EQ(o.principal.tenant.str(), "t_42");
  // With a custom path the Clerk defaults are not consulted.
  EXPECT_EQ(apply(R"({"sub":"u","org_id":"org_1"})", cfg).failure, AuthFailure::no_organization);
  cfg.tenant_claim = "tenant";
  EXPECT_EQ(apply(R"({"sub":"u","tenant":"top"})", cfg).principal.tenant.str(), "top");
}

TEST(ClaimsPolicy, NoOrganization) {
  for (const char* c : {R"({"sub":"u"})", R"({"sub":"u","o":{}})", R"({"sub":"u","org_id":null})",
                        R"({"sub":"u","o":"org_1"})"}) {
    const auto o = apply(c);
    EXPECT_FALSE(o.ok) << c;
    EXPECT_EQ(o.failure, AuthFailure::no_organization) << c;
  }
}

TEST(ClaimsPolicy, TenantOfWrongTypeIsInvalid) {
  EXPECT_EQ(apply(R"({"sub":"u","org_id":7})").failure, AuthFailure::invalid_token);
  EXPECT_EQ(apply(R"({"sub":"u","o":{"id":""}})").failure, AuthFailure::invalid_token);
}

TEST(ClaimsPolicy, PendingSession) {
  const auto o = apply(R"({"sub":"u","sts":"pending","o":{"id":"org_1"}})");
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.failure, AuthFailure::pending_session);
  EXPECT_EQ(apply(R"({"sub":"u","sts":"pending"})").failure, AuthFailure::pending_session);
  EXPECT_TRUE(apply(R"({"sub":"u","sts":"active","o":{"id":"org_1"}})").ok);
}

TEST(ClaimsPolicy, IssuerExactMatch) {
  ClaimsPolicyConfig cfg;
  cfg.issuer = "https://clerk.example.com";
  EXPECT_TRUE(apply(R"({"sub":"u","iss":"https://clerk.example.com","org_id":"o"})", cfg).ok);
  for (const char* c : {R"({"sub":"u","iss":"https://clerk.example.com/","org_id":"o"})",
                        R"({"sub":"u","iss":"https://evil.example.com","org_id":"o"})",
                        R"({"sub":"u","iss":"HTTPS://CLERK.EXAMPLE.COM","org_id":"o"})",
                        R"({"sub":"u","org_id":"o"})", R"({"sub":"u","iss":1,"org_id":"o"})"}) {
    const auto o = apply(c, cfg);
    EXPECT_FALSE(o.ok) << c;
    EXPECT_EQ(o.failure, AuthFailure::invalid_token) << c;
  }
  // Unset issuer: not checked.
  EXPECT_TRUE(apply(R"({"sub":"u","iss":"anything","org_id":"o"})").ok);
}

TEST(ClaimsPolicy, AuthorizedParties) {
  ClaimsPolicyConfig cfg;
  cfg.authorized_parties = {"https://app.example.com", "http://localhost:3000"};
  EXPECT_TRUE(apply(R"({"sub":"u","azp":"http://localhost:3000","org_id":"o"})", cfg).ok);
  const auto bad = apply(R"({"sub":"u","azp":"https://evil.example.com","org_id":"o"})", cfg);
  EXPECT_FALSE(bad.ok);
  EXPECT_EQ(bad.failure, AuthFailure::invalid_token);
  const auto missing = apply(R"({"sub":"u","org_id":"o"})", cfg);
  EXPECT_FALSE(missing.ok);
  EXPECT_EQ(missing.failure, AuthFailure::invalid_token);
  // An empty list means azp is not checked.
  EXPECT_TRUE(apply(R"({"sub":"u","azp":"whatever","org_id":"o"})").ok);
}

}  // namespace
}  // namespace fleet::auth
