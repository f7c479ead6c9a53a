// RFC 7515 Appendix A.2 (RS256) and A.3 (ES256): published tokens verified with their published JWKs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "auth/jws.hpp"
#include "auth/jwt_verifier.hpp"

namespace fleet::auth {
namespace {

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(FLEET_TEST_DATA) + "/auth/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<const KeySet> set_from(const std::string& jwk_file) {
  auto key = parse_jwk_json(read_file(jwk_file));
  EXPECT_TRUE(key.has_value()) << key.error().message;
  return KeySet::from_keys({*key});
}

// The RFC payload has exp = 1300819380 and no sub.
constexpr std::int64_t kBeforeExp = 1300819370;

class Rfc7515 : public ::testing::TestWithParam<const char*> {};

TEST_P(Rfc7515, SignatureVerifies) {
  const std::string name = GetParam();
  const auto keys = set_from(name + ".jwk");
  const auto token = read_file(name + ".jwt");
  const auto r = verify_jws(token, *keys);
  ASSERT_TRUE(r.ok()) << r.detail;
  EXPECT_EQ(r.claims.at("iss").as_string(), "joe");
  EXPECT_EQ(r.claims.at("exp").as_int64(), 1300819380);
  EXPECT_TRUE(r.claims.at("http://example.com/is_root").as_bool());
}

TEST_P(Rfc7515, JwtLayerPassesSignatureAndTimesThenWantsSub) {
  const std::string name = GetParam();
  const auto keys = set_from(name + ".jwk");
  const auto token = read_file(name + ".jwt");
  // invalid_claim (no sub) is only reachable after the signature and exp checks passed.
  const auto r = verify_jwt(token, *keys, kBeforeExp);
  EXPECT_EQ(r.error, TokenError::invalid_claim) << r.detail;
  EXPECT_NE(r.detail.find("sub"), std::string::npos);
  EXPECT_EQ(verify_jwt(token, *keys, 1300819380 + 5).error, TokenError::expired);
}

TEST_P(Rfc7515, TamperedPayloadFails) {
  const std::string name = GetParam();
  const auto keys = set_from(name + ".jwk");
  auto token = read_file(name + ".jwt");
  const auto dot = token.find('.');
  token[dot + 5] = token[dot + 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_jws(token, *keys).error, TokenError::bad_signature);
}

INSTANTIATE_TEST_SUITE_P(Vectors, Rfc7515, ::testing::Values("rfc7515_a2", "rfc7515_a3"));

}  // namespace
}  // namespace fleet::auth
