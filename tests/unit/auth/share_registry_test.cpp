// Share tokens: "fsh_" + the share id's hex + base64url(HMAC-SHA256(key, id)[0:16]), checked against the
// registry's shares (docs/protocol.md, "Share links"; docs/auth.md, "Share tokens").
#include "auth/share_registry.hpp"

#include <gtest/gtest.h>

namespace fleet::auth {
namespace {

constexpr std::int64_t kNow = 1'795'000'000'000;
const std::string kKey = "0123456789abcdef0123456789abcdef";  // 32 bytes
const std::string kId = "shr_00112233445566778899aabbccddeeff";
// Computed outside fleetd: printf %s "$ID" | openssl dgst -sha256 -hmac "$KEY" -binary | head -c 16 |
// base64url
const std::string kToken =
    "fsh_00112233445566778899aabbccddeeff"
    "Bi52f9novAhqPuP6muyPgA";

ShareGrant grant(std::string id = kId, std::int64_t expires_ms = kNow + 60'000) {
  return ShareGrant{std::move(id), TenantId("org_a"), {DeviceId("dev_" + std::string(32, 'a'))}, expires_ms};
}

TEST(ShareRegistry, TokenMatchesAnIndependentHmacAndVerifiesToItsGrant) {
  ShareRegistry reg(kKey);
  EXPECT_EQ(reg.token_for(kId), kToken);
  reg.add(grant());
  const ShareCheck c = reg.verify(kToken, kNow);
  ASSERT_EQ(c.status, ShareStatus::ok);
  ASSERT_TRUE(c.grant.has_value());
  EXPECT_EQ(c.grant->share_id, kId);
  EXPECT_EQ(c.grant->tenant.str(), "org_a");
  ASSERT_EQ(c.grant->devices.size(), 1u);
  EXPECT_EQ(c.grant->expires_ms, kNow + 60'000);
  EXPECT_EQ(reg.status(kId, kNow), ShareStatus::ok);
}

TEST(ShareRegistry, TokenForRefusesMalformedIdsAndShortKeys) {
  ShareRegistry reg(kKey);
  EXPECT_EQ(reg.token_for("shr_00112233445566778899AABBCCDDEEFF"), "");  // upper-case hex
  EXPECT_EQ(reg.token_for("grp_00112233445566778899aabbccddeeff"), "");
  EXPECT_EQ(reg.token_for("shr_00112233"), "");
  EXPECT_EQ(reg.token_for(""), "");
  EXPECT_TRUE(reg.can_sign());
  ShareRegistry weak(std::string(31, 'k'));
  EXPECT_FALSE(weak.can_sign());
  EXPECT_EQ(weak.token_for(kId), "");
  weak.add(grant());
  // Even a token signed with exactly those 31 bytes elsewhere is refused: a short key signs nothing.
  EXPECT_EQ(weak.verify(kToken, kNow).status, ShareStatus::invalid);
}

TEST(ShareRegistry, TamperedMacOrIdIsInvalid) {
  ShareRegistry reg(kKey);
  reg.add(grant());
  std::string mac = kToken;
  mac.back() = mac.back() == 'A' ? 'B' : 'A';
  EXPECT_EQ(reg.verify(mac, kNow).status, ShareStatus::invalid);
  std::string first = kToken;
  first[36] = first[36] == 'B' ? 'C' : 'B';
  EXPECT_EQ(reg.verify(first, kNow).status, ShareStatus::invalid);
  // Another share's id with this share's signature.
  const std::string other_id = "shr_ffeeddccbbaa99887766554433221100";
  reg.add(grant(other_id));
  std::string swapped = "fsh_" + other_id.substr(4) + kToken.substr(36);
  EXPECT_EQ(reg.verify(swapped, kNow).status, ShareStatus::invalid);
  EXPECT_EQ(reg.verify(reg.token_for(other_id), kNow).status, ShareStatus::ok);
}

TEST(ShareRegistry, AnotherKeysTokenIsInvalid) {
  ShareRegistry reg(kKey);
  ShareRegistry other(std::string(32, 'z'));
  reg.add(grant());
  EXPECT_NE(other.token_for(kId), kToken);
  EXPECT_EQ(reg.verify(other.token_for(kId), kNow).status, ShareStatus::invalid);
}

TEST(ShareRegistry, FormIsPrefixLengthHexAndBase64url) {
  EXPECT_TRUE(ShareRegistry::is_share_token(kToken));
  EXPECT_EQ(kToken.size(), 58u);
  EXPECT_FALSE(ShareRegistry::is_share_token(kToken.substr(0, 57)));
  EXPECT_FALSE(ShareRegistry::is_share_token(kToken + "A"));
  EXPECT_FALSE(ShareRegistry::is_share_token("fsx_" + kToken.substr(4)));
  EXPECT_FALSE(ShareRegistry::is_share_token("FSH_" + kToken.substr(4)));
  std::string upper_hex = kToken;
  upper_hex[4] = 'A';  // the id part is lower-case hex only
  EXPECT_FALSE(ShareRegistry::is_share_token(upper_hex));
  std::string bad_mac = kToken;
  bad_mac[40] = '.';  // never a JWT's dot
  EXPECT_FALSE(ShareRegistry::is_share_token(bad_mac));
  bad_mac[40] = '+';  // base64, not base64url
  EXPECT_FALSE(ShareRegistry::is_share_token(bad_mac));
  EXPECT_FALSE(ShareRegistry::is_share_token("eyJhbGciOiJSUzI1NiJ9.e30.sig"));
  EXPECT_FALSE(ShareRegistry::is_share_token(""));

  ShareRegistry reg(kKey);
  reg.add(grant());
  EXPECT_EQ(reg.verify(kToken.substr(0, 57), kNow).status, ShareStatus::invalid);
  EXPECT_EQ(reg.verify(kToken + "A", kNow).status, ShareStatus::invalid);
  EXPECT_EQ(reg.verify("Bearer " + kToken, kNow).status, ShareStatus::invalid);
  EXPECT_EQ(reg.verify("fsx_" + kToken.substr(4), kNow).status,
            ShareStatus::invalid);  // signed, wrong prefix
}

TEST(ShareRegistry, ExpiresAtItsExpiryInstant) {
  ShareRegistry reg(kKey);
  reg.add(grant(kId, kNow + 1000));
  EXPECT_EQ(reg.verify(kToken, kNow + 999).status, ShareStatus::ok);
  const ShareCheck c = reg.verify(kToken, kNow + 1000);
  EXPECT_EQ(c.status, ShareStatus::expired);
  EXPECT_FALSE(c.grant.has_value());
  EXPECT_EQ(reg.status(kId, kNow + 999), ShareStatus::ok);
  EXPECT_EQ(reg.status(kId, kNow + 1000), ShareStatus::expired);
}

TEST(ShareRegistry, RevokedStaysRevokedAndWinsOverExpiry) {
  ShareRegistry reg(kKey);
  reg.add(grant());
  reg.revoke(kId);
  reg.revoke(kId);  // twice is fine
  const ShareCheck c = reg.verify(kToken, kNow);
  EXPECT_EQ(c.status, ShareStatus::revoked);
  EXPECT_FALSE(c.grant.has_value());
  EXPECT_EQ(reg.status(kId, kNow), ShareStatus::revoked);
  EXPECT_EQ(reg.status(kId, kNow + 3'600'000), ShareStatus::revoked);
  reg.revoke("shr_ffffffffffffffffffffffffffffffff");  // unknown: ignored
  EXPECT_EQ(reg.status("shr_ffffffffffffffffffffffffffffffff", kNow), ShareStatus::invalid);
}

TEST(ShareRegistry, UnknownShareIsInvalidEvenWhenSigned) {
  ShareRegistry reg(kKey);
  EXPECT_EQ(reg.verify(kToken, kNow).status, ShareStatus::invalid);
  EXPECT_EQ(reg.status(kId, kNow), ShareStatus::invalid);
}

TEST(ShareRegistry, AddReplacesAShareWithTheSameId) {
  ShareRegistry reg(kKey);
  reg.add(grant(kId, kNow + 10));
  reg.revoke(kId);
  reg.add(grant(kId, kNow + 60'000));  // loaded again: the newer record is the truth
  EXPECT_EQ(reg.status(kId, kNow + 100), ShareStatus::ok);
}

}  // namespace
}  // namespace fleet::auth
