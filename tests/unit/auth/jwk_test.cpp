#include "auth/jwk.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <fstream>
#include <sstream>

#include "auth/base64url.hpp"
#include "test_keys.hpp"

namespace fleet::auth {
namespace {

namespace json = boost::json;
using namespace fleet::auth::testing;

std::string read_file(const std::string& name) {
  std::ifstream in(std::string(FLEET_TEST_DATA) + "/auth/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string error_of(const json::object& jwk) {
  auto k = parse_jwk(jwk);
  return k ? "<ok>" : k.error().message;
}

TEST(Jwk, Rsa2048Accepted) {
  auto k = parse_jwk(public_jwk(shared_rsa().get(), "k1"));
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ(k->kind, KeyKind::rsa);
  EXPECT_EQ(k->kid, "k1");
  EXPECT_FALSE(k->alg);
  EXPECT_TRUE(k->permits(JwsAlg::RS256));
  EXPECT_TRUE(k->permits(JwsAlg::RS512));
  EXPECT_TRUE(k->permits(JwsAlg::PS256));
  EXPECT_FALSE(k->permits(JwsAlg::ES256));
  EXPECT_FALSE(k->permits(JwsAlg::EdDSA));
}

TEST(Jwk, Rsa1024Refused) {
  auto small = gen_rsa(1024);
  EXPECT_NE(error_of(public_jwk(small.get(), "k")).find("too small"), std::string::npos);
}

TEST(Jwk, Rsa1024PemRefused) {
  auto small = gen_rsa(1024);
  auto k = load_pem_public_key(pem_public(small.get()));
  ASSERT_FALSE(k.has_value());
  EXPECT_NE(k.error().message.find("too small"), std::string::npos);
}

TEST(Jwk, PrivatePartsRefused) {
  for (const char* m : {"d", "p", "q", "dp", "dq", "qi", "oth"}) {
    auto jwk = public_jwk(shared_rsa().get(), "k");
    jwk[m] = "AQAB";
    EXPECT_NE(error_of(jwk).find("private"), std::string::npos) << m;
  }
  auto ec = gen_ec("P-256");
  auto jwk = public_jwk(ec.get(), "k");
  jwk["d"] = "AQAB";
  EXPECT_NE(error_of(jwk).find("private"), std::string::npos);
}

TEST(Jwk, SymmetricKeyRefused) {
  EXPECT_NE(error_of(json::object{{"kty", "oct"}, {"k", "c2VjcmV0"}}), "<ok>");
  EXPECT_NE(error_of(json::object{{"kty", "oct"}}), "<ok>");
}

TEST(Jwk, UseMustBeSig) {
  auto jwk = public_jwk(shared_rsa().get(), "k");
  jwk["use"] = "sig";
  EXPECT_EQ(error_of(jwk), "<ok>");
  jwk["use"] = "enc";
  EXPECT_NE(error_of(jwk), "<ok>");
}

TEST(Jwk, KeyOpsMustAllowVerify) {
  auto jwk = public_jwk(shared_rsa().get(), "k");
  jwk["key_ops"] = json::array{"verify"};
  EXPECT_EQ(error_of(jwk), "<ok>");
  jwk["key_ops"] = json::array{"encrypt"};
  EXPECT_NE(error_of(jwk), "<ok>");
}

TEST(Jwk, AlgRestrictsKey) {
  auto k = parse_jwk(public_jwk(shared_rsa().get(), "k", "RS256"));
  ASSERT_TRUE(k.has_value());
  EXPECT_TRUE(k->permits(JwsAlg::RS256));
  EXPECT_FALSE(k->permits(JwsAlg::RS384));
  EXPECT_FALSE(k->permits(JwsAlg::PS256));
}

TEST(Jwk, AlgMustFitKty) {
  EXPECT_NE(error_of(public_jwk(shared_rsa().get(), "k", "ES256")), "<ok>");
  auto p256 = gen_ec("P-256");
  EXPECT_NE(error_of(public_jwk(p256.get(), "k", "ES384")), "<ok>");
  EXPECT_NE(error_of(public_jwk(p256.get(), "k", "RS256")), "<ok>");
  EXPECT_EQ(error_of(public_jwk(p256.get(), "k", "ES256")), "<ok>");
  auto ed = gen_ed25519();
  EXPECT_NE(error_of(public_jwk(ed.get(), "k", "ES256")), "<ok>");
  EXPECT_EQ(error_of(public_jwk(ed.get(), "k", "EdDSA")), "<ok>");
}

TEST(Jwk, UnsupportedAlgRefused) {
  EXPECT_NE(error_of(public_jwk(shared_rsa().get(), "k", "HS256")), "<ok>");
  EXPECT_NE(error_of(public_jwk(shared_rsa().get(), "k", "none")), "<ok>");
  EXPECT_NE(error_of(public_jwk(shared_rsa().get(), "k", "PS512")), "<ok>");
}

TEST(Jwk, EcCurves) {
  auto p256 = parse_jwk(public_jwk(gen_ec("P-256").get(), "a"));
  ASSERT_TRUE(p256.has_value());
  EXPECT_EQ(p256->kind, KeyKind::ec_p256);
  EXPECT_TRUE(p256->permits(JwsAlg::ES256));
  EXPECT_FALSE(p256->permits(JwsAlg::ES384));
  auto p384 = parse_jwk(public_jwk(gen_ec("P-384").get(), "b"));
  ASSERT_TRUE(p384.has_value());
  EXPECT_EQ(p384->kind, KeyKind::ec_p384);
  EXPECT_TRUE(p384->permits(JwsAlg::ES384));
  EXPECT_FALSE(p384->permits(JwsAlg::ES256));
}

TEST(Jwk, CrvMustMatchCoordinates) {
  auto jwk = public_jwk(gen_ec("P-384").get(), "k");
  jwk["crv"] = "P-256";
  EXPECT_NE(error_of(jwk), "<ok>");
}

TEST(Jwk, EcPointNotOnCurveRefused) {
  auto jwk = public_jwk(gen_ec("P-256").get(), "k");
  auto y = *base64url_decode(jwk["y"].as_string());
  y.back() = static_cast<char>(y.back() ^ 1);
  jwk["y"] = base64url_encode(y);
  EXPECT_NE(error_of(jwk), "<ok>");
}

TEST(Jwk, EcShortCoordinateRefused) {
  auto jwk = public_jwk(gen_ec("P-256").get(), "k");
  auto x = *base64url_decode(jwk["x"].as_string());
  jwk["x"] = base64url_encode(x.substr(1));
  EXPECT_NE(error_of(jwk).find("length"), std::string::npos);
}

TEST(Jwk, UnsupportedCurvesRefused) {
  EXPECT_NE(error_of(json::object{{"kty", "EC"}, {"crv", "P-521"}, {"x", "AA"}, {"y", "AA"}}), "<ok>");
  EXPECT_NE(error_of(json::object{{"kty", "OKP"}, {"crv", "X25519"}, {"x", "AA"}}), "<ok>");
  EXPECT_NE(error_of(json::object{{"kty", "OKP"}, {"crv", "Ed448"}, {"x", "AA"}}), "<ok>");
}

TEST(Jwk, Ed25519Accepted) {
  auto k = parse_jwk(public_jwk(gen_ed25519().get(), "e"));
  ASSERT_TRUE(k.has_value()) << k.error().message;
  EXPECT_EQ(k->kind, KeyKind::ed25519);
  EXPECT_TRUE(k->permits(JwsAlg::EdDSA));
}

TEST(Jwk, NonStrictBase64Refused) {
  auto jwk = public_jwk(shared_rsa().get(), "k");
  jwk["e"] = "AQAB=";
  EXPECT_NE(error_of(jwk), "<ok>");
}

TEST(Jwk, WrongMemberTypesRefused) {
  auto jwk = public_jwk(shared_rsa().get(), "k");
  jwk["kid"] = 7;
  EXPECT_NE(error_of(jwk), "<ok>");
  EXPECT_NE(error_of(json::object{{"kty", 1}}), "<ok>");
  EXPECT_NE(error_of(json::object{}), "<ok>");
}

TEST(Jwk, JsonTextWithDuplicateMemberRefused) {
  auto text = json::serialize(public_jwk(shared_rsa().get(), "k"));
  text.insert(1, "\"kid\":\"other\",");
  EXPECT_FALSE(parse_jwk_json(text).has_value());
}

TEST(Jwk, RfcExampleKeysParse) {
  EXPECT_TRUE(parse_jwk_json(read_file("rfc7515_a2.jwk")).has_value());
  EXPECT_TRUE(parse_jwk_json(read_file("rfc7515_a3.jwk")).has_value());
}

TEST(Jwk, PemKeysOfEachType) {
  auto rsa = load_pem_public_key(pem_public(shared_rsa().get()));
  ASSERT_TRUE(rsa.has_value()) << rsa.error().message;
  EXPECT_EQ(rsa->kind, KeyKind::rsa);
  EXPECT_TRUE(rsa->kid.empty());
  auto ec = load_pem_public_key(pem_public(gen_ec("P-384").get()));
  ASSERT_TRUE(ec.has_value());
  EXPECT_EQ(ec->kind, KeyKind::ec_p384);
  auto ed = load_pem_public_key(pem_public(gen_ed25519().get()));
  ASSERT_TRUE(ed.has_value());
  EXPECT_EQ(ed->kind, KeyKind::ed25519);
}

TEST(Jwk, PemWithEscapedNewlines) {
  std::string pem = pem_public(shared_rsa().get());
  std::string escaped;
  for (char c : pem) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  EXPECT_TRUE(load_pem_public_key(escaped).has_value());
}

TEST(Jwk, PemGarbageRefused) {
  EXPECT_FALSE(load_pem_public_key("not a key").has_value());
  EXPECT_FALSE(
      load_pem_public_key("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").has_value());
}

}  // namespace
}  // namespace fleet::auth
