#include "auth/jwt_verifier.hpp"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <boost/json/serialize.hpp>

#include "auth/base64url.hpp"
#include "test_keys.hpp"

namespace fleet::auth {
namespace {

namespace json = boost::json;
using namespace fleet::auth::testing;

constexpr std::int64_t kNow = 1'700'000'000;

class JwtVerifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rsa_ = shared_rsa();
    p256_ = gen_ec("P-256");
    p384_ = gen_ec("P-384");
    ed_ = gen_ed25519();
    json::array keys{public_jwk(rsa_.get(), "rsa1"), public_jwk(p256_.get(), "p256"),
                     public_jwk(p384_.get(), "p384"), public_jwk(ed_.get(), "ed"),
                     public_jwk(rsa_.get(), "rsa-rs256-only", "RS256")};
    keys_ = KeySet::from_jwks(json::serialize(json::object{{"keys", keys}})).value();
  }
  static void TearDownTestSuite() {
    keys_.reset();
    rsa_.reset();
    p256_.reset();
    p384_.reset();
    ed_.reset();
  }

  static json::object header(std::string_view alg, std::string_view kid) {
    return {{"alg", alg}, {"kid", kid}, {"typ", "JWT"}};
  }
  static json::object claims() {
    return {{"sub", "user_1"}, {"iat", kNow}, {"nbf", kNow}, {"exp", kNow + 300}, {"org_id", "org_1"}};
  }
  static std::string rs256(const json::object& payload = claims()) {
    return sign(header("RS256", "rsa1"), payload, rsa_.get(), JwsAlg::RS256);
  }
  static VerifyResult verify(std::string_view token, std::int64_t now = kNow, JwtOptions opts = {}) {
    return verify_jwt(token, *keys_, now, opts);
  }
  // Replaces the signature part of a token with `sig` (raw bytes).
  static std::string with_signature(const std::string& token, std::string_view sig) {
    return token.substr(0, token.rfind('.') + 1) + base64url_encode(sig);
  }
  static std::string signature_of(const std::string& token) {
    return *base64url_decode(std::string_view(token).substr(token.rfind('.') + 1));
  }

  static inline Pkey rsa_, p256_, p384_, ed_;
  static inline std::shared_ptr<const KeySet> keys_;
};

#define EXPECT_FAILS(result, code)                                              \
  do {                                                                          \
    const auto r_ = (result);                                                   \
    EXPECT_EQ(to_string(r_.error), to_string(code)) << "detail: " << r_.detail; \
  } while (0)

TEST_F(JwtVerifierTest, RoundTripEveryAlgorithm) {
  struct Case {
    JwsAlg alg;
    EVP_PKEY* key;
    const char* kid;
  };
  for (const Case& c : {Case{JwsAlg::RS256, rsa_.get(), "rsa1"}, Case{JwsAlg::RS384, rsa_.get(), "rsa1"},
                        Case{JwsAlg::RS512, rsa_.get(), "rsa1"}, Case{JwsAlg::PS256, rsa_.get(), "rsa1"},
                        Case{JwsAlg::ES256, p256_.get(), "p256"}, Case{JwsAlg::ES384, p384_.get(), "p384"},
                        Case{JwsAlg::EdDSA, ed_.get(), "ed"}}) {
    SCOPED_TRACE(std::string(to_string(c.alg)));
    const auto token = sign(header(to_string(c.alg), c.kid), claims(), c.key, c.alg);
    const auto r = verify(token);
    ASSERT_TRUE(r.ok()) << r.detail;
    EXPECT_EQ(r.alg, c.alg);
    EXPECT_EQ(r.claims.at("sub").as_string(), "user_1");
    EXPECT_EQ(r.exp_s, kNow + 300);

    // Any flipped signature bit must fail.
    auto sig = signature_of(token);
    sig[sig.size() / 2] = static_cast<char>(sig[sig.size() / 2] ^ 0x01);
    EXPECT_FAILS(verify(with_signature(token, sig)), TokenError::bad_signature);
    // A signature over other claims must fail.
    auto other = claims();
    other["sub"] = "user_2";
    const auto forged = sign(header(to_string(c.alg), c.kid), other, c.key, c.alg);
    EXPECT_FAILS(verify(token.substr(0, token.rfind('.')) + forged.substr(forged.rfind('.'))),
                 TokenError::bad_signature);
  }
}

TEST_F(JwtVerifierTest, AlgNoneRefused) {
  const std::string h = base64url_encode(R"({"alg":"none","kid":"rsa1"})");
  const std::string p = base64url_encode(json::serialize(claims()));
  EXPECT_FAILS(verify(h + "." + p + "."), TokenError::malformed);  // empty signature part
  EXPECT_FAILS(verify(h + "." + p + ".AAAA"), TokenError::unsupported_alg);
  const std::string h2 = base64url_encode(R"({"alg":"None","kid":"rsa1"})");
  EXPECT_FAILS(verify(h2 + "." + p + ".AAAA"), TokenError::unsupported_alg);
}

TEST_F(JwtVerifierTest, Hs256RefusedEvenWithPublicKeyAsSecret) {
  // The classic confusion: HMAC keyed with the RSA public key someone can download.
  const std::string input = base64url_encode(R"({"alg":"HS256","kid":"rsa1","typ":"JWT"})") + "." +
                            base64url_encode(json::serialize(claims()));
  const std::string secret = pem_public(rsa_.get());
  unsigned char mac[32];
  std::size_t len = 0;
  ASSERT_TRUE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                        reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, sizeof mac,
                        &len));
  const std::string token =
      input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(mac), len));
  EXPECT_FAILS(verify(token), TokenError::unsupported_alg);
}

TEST_F(JwtVerifierTest, UnsupportedAlgsRefused) {
  for (const char* alg : {"HS384", "HS512", "ES512", "PS384", "PS512", "RS1", "rs256", ""}) {
    const std::string token = base64url_encode(std::string(R"({"alg":")") + alg + R"(","kid":"rsa1"})") +
                              "." + base64url_encode(json::serialize(claims())) + ".AAAA";
    EXPECT_FAILS(verify(token), TokenError::unsupported_alg);
  }
  const std::string no_alg = base64url_encode(R"({"kid":"rsa1"})") + "." + base64url_encode("{}") + ".AAAA";
  EXPECT_FAILS(verify(no_alg), TokenError::unsupported_alg);
}

TEST_F(JwtVerifierTest, AlgMustFitKey) {
  // RS256 header naming an EC key (signed with RSA: the key type check must fire first).
  EXPECT_FAILS(verify(sign(header("RS256", "p256"), claims(), rsa_.get(), JwsAlg::RS256)),
               TokenError::key_mismatch);
  // ES256 with a P-384 key, signed by that P-384 key.
  EXPECT_FAILS(verify(sign(header("ES256", "p384"), claims(), p384_.get(), JwsAlg::ES384)),
               TokenError::key_mismatch);
  EXPECT_FAILS(verify(sign(header("ES384", "p256"), claims(), p256_.get(), JwsAlg::ES256)),
               TokenError::key_mismatch);
  EXPECT_FAILS(verify(sign(header("EdDSA", "rsa1"), claims(), ed_.get(), JwsAlg::EdDSA)),
               TokenError::key_mismatch);
  EXPECT_FAILS(verify(sign(header("ES256", "rsa1"), claims(), p256_.get(), JwsAlg::ES256)),
               TokenError::key_mismatch);
  EXPECT_FAILS(verify(sign(header("RS256", "ed"), claims(), rsa_.get(), JwsAlg::RS256)),
               TokenError::key_mismatch);
}

TEST_F(JwtVerifierTest, JwkAlgRestrictionHonoured) {
  EXPECT_TRUE(verify(sign(header("RS256", "rsa-rs256-only"), claims(), rsa_.get(), JwsAlg::RS256)).ok());
  EXPECT_FAILS(verify(sign(header("RS512", "rsa-rs256-only"), claims(), rsa_.get(), JwsAlg::RS512)),
               TokenError::key_mismatch);
  EXPECT_FAILS(verify(sign(header("PS256", "rsa-rs256-only"), claims(), rsa_.get(), JwsAlg::PS256)),
               TokenError::key_mismatch);
}

TEST_F(JwtVerifierTest, UnknownKidIsDistinct) {
  EXPECT_FAILS(verify(sign(header("RS256", "nope"), claims(), rsa_.get(), JwsAlg::RS256)),
               TokenError::unknown_kid);
}

TEST_F(JwtVerifierTest, NoKidWithSeveralKeys) {
  EXPECT_FAILS(verify(sign(json::object{{"alg", "RS256"}}, claims(), rsa_.get(), JwsAlg::RS256)),
               TokenError::no_key);
}

TEST_F(JwtVerifierTest, KidMustBeString) {
  EXPECT_FAILS(verify(sign(json::object{{"alg", "RS256"}, {"kid", 1}}, claims(), rsa_.get(), JwsAlg::RS256)),
               TokenError::bad_header);
}

TEST_F(JwtVerifierTest, PartCount) {
  const auto t = rs256();
  EXPECT_FAILS(verify(t.substr(0, t.rfind('.'))), TokenError::malformed);
  EXPECT_FAILS(verify(t + ".AAAA"), TokenError::malformed);
  EXPECT_FAILS(verify(""), TokenError::malformed);
  EXPECT_FAILS(verify(".."), TokenError::malformed);
  EXPECT_FAILS(verify(t.substr(t.find('.'))), TokenError::malformed);  // empty header part
}

TEST_F(JwtVerifierTest, BadCharactersRefusedBeforeParsing) {
  const auto t = rs256();
  for (const std::string& bad :
       {t + " ", " " + t, t + "\n", t + "=", t.substr(0, 10) + "+" + t.substr(11),
        t.substr(0, 10) + "/" + t.substr(11), t + std::string(1, '\0'), t + "\xc3\xa9"}) {
    const auto r = verify(bad);
    EXPECT_FAILS(r, TokenError::malformed);
    EXPECT_NE(r.detail.find("characters"), std::string::npos) << r.detail;
  }
}

TEST_F(JwtVerifierTest, PaddedBase64Refused) {
  // A JSON header whose encoding needs padding, with the padding written out.
  const std::string h = base64url_encode(R"({"alg":"RS256","kid":"rsa1"})");
  ASSERT_NE(h.size() % 4, 0u);
  const auto t = sign(json::object{{"alg", "RS256"}, {"kid", "rsa1"}}, claims(), rsa_.get(), JwsAlg::RS256);
  const std::string padded = h + std::string(4 - h.size() % 4, '=') + t.substr(t.find('.'));
  EXPECT_FAILS(verify(padded), TokenError::malformed);
}

TEST_F(JwtVerifierTest, NonCanonicalBase64Refused) {
  // A 256-byte RSA signature ends in a character with 4 unused bits; setting one must not be ignored.
  const auto t = rs256();
  std::string sig_b64 = t.substr(t.rfind('.') + 1);
  ASSERT_EQ(signature_of(t).size() % 3, 1u);
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  sig_b64.back() = alphabet[alphabet.find(sig_b64.back()) | 1];
  const auto r = verify(t.substr(0, t.rfind('.') + 1) + sig_b64);
  EXPECT_FAILS(r, TokenError::malformed);
  EXPECT_NE(r.detail.find("base64url"), std::string::npos);
}

TEST_F(JwtVerifierTest, NonObjectHeaderOrPayloadRefused) {
  EXPECT_FAILS(verify(sign_raw(R"(["RS256"])", json::serialize(claims()), rsa_.get(), JwsAlg::RS256)),
               TokenError::malformed);
  for (const char* payload : {"[]", "\"sub\"", "42", "null"}) {
    const auto r = verify(sign_raw(R"({"alg":"RS256","kid":"rsa1"})", payload, rsa_.get(), JwsAlg::RS256));
    EXPECT_FAILS(r, TokenError::malformed);
    EXPECT_NE(r.detail.find("not a JSON object"), std::string::npos) << r.detail;
  }
  EXPECT_FAILS(verify(sign_raw(R"({"alg":"RS256","kid":"rsa1"})", "{bad json", rsa_.get(), JwsAlg::RS256)),
               TokenError::malformed);
}

TEST_F(JwtVerifierTest, DuplicateOrgIdInPayloadRefused) {
  const std::string payload = R"({"sub":"u","exp":)" + std::to_string(kNow + 300) +
                              R"(,"org_id":"org_victim","org_id":"org_attacker"})";
  const auto r = verify(sign_raw(R"({"alg":"RS256","kid":"rsa1"})", payload, rsa_.get(), JwsAlg::RS256));
  EXPECT_FAILS(r, TokenError::malformed);
  EXPECT_NE(r.detail.find("duplicate member \"org_id\""), std::string::npos) << r.detail;
}

TEST_F(JwtVerifierTest, DuplicateNestedTenantRefused) {
  const std::string payload =
      R"({"sub":"u","exp":)" + std::to_string(kNow + 300) + R"(,"o":{"id":"a","id":"b"}})";
  EXPECT_FAILS(verify(sign_raw(R"({"alg":"RS256","kid":"rsa1"})", payload, rsa_.get(), JwsAlg::RS256)),
               TokenError::malformed);
}

TEST_F(JwtVerifierTest, DuplicateAlgInHeaderRefused) {
  const auto r = verify(sign_raw(R"({"alg":"none","alg":"RS256","kid":"rsa1"})", json::serialize(claims()),
                                 rsa_.get(), JwsAlg::RS256));
  EXPECT_FAILS(r, TokenError::malformed);
  EXPECT_NE(r.detail.find("duplicate member \"alg\""), std::string::npos) << r.detail;
}

TEST_F(JwtVerifierTest, OversizeTokenRefused) {
  auto big = claims();
  big["pad"] = std::string(7000, 'x');
  const auto token = rs256(big);
  ASSERT_GT(token.size(), 8192u);
  const auto r = verify(token);
  EXPECT_FAILS(r, TokenError::malformed);
  EXPECT_NE(r.detail.find("too long"), std::string::npos);
  JwtOptions opts;
  opts.max_token_bytes = 16 * 1024;
  EXPECT_TRUE(verify(token, kNow, opts).ok());
  // The limit applies before anything else: even garbage of that size reports length, not content.
  EXPECT_NE(verify(std::string(9000, '!')).detail.find("too long"), std::string::npos);
}

TEST_F(JwtVerifierTest, TypMustBeJwt) {
  auto h = header("RS256", "rsa1");
  h["typ"] = "jwt";
  EXPECT_TRUE(verify(sign(h, claims(), rsa_.get(), JwsAlg::RS256)).ok());
  h.erase("typ");
  EXPECT_TRUE(verify(sign(h, claims(), rsa_.get(), JwsAlg::RS256)).ok());
  for (json::value typ : {json::value("JOSE"), json::value("at+jwt"), json::value(1), json::value(nullptr)}) {
    h["typ"] = typ;
    EXPECT_FAILS(verify(sign(h, claims(), rsa_.get(), JwsAlg::RS256)), TokenError::bad_header);
  }
}

TEST_F(JwtVerifierTest, CritRefused) {
  auto h = header("RS256", "rsa1");
  h["crit"] = json::array{"exp"};
  h["exp"] = kNow + 300;
  EXPECT_FAILS(verify(sign(h, claims(), rsa_.get(), JwsAlg::RS256)), TokenError::bad_header);
  h["crit"] = json::array{};
  EXPECT_FAILS(verify(sign(h, claims(), rsa_.get(), JwsAlg::RS256)), TokenError::bad_header);
}

TEST_F(JwtVerifierTest, KeyHeadersNeverFollowed) {
  // An attacker signs with their own key and points at it every way JOSE allows.
  auto attacker = gen_rsa(2048);
  auto h = header("RS256", "rsa1");
  h["jku"] = "https://attacker.example/jwks.json";
  h["x5u"] = "https://attacker.example/cert.pem";
  h["jwk"] = public_jwk(attacker.get(), "rsa1");
  h["x5c"] = json::array{"MIIB"};
  EXPECT_FAILS(verify(sign(h, claims(), attacker.get(), JwsAlg::RS256)), TokenError::bad_signature);
  h["kid"] = "attacker";
  h["jwk"] = public_jwk(attacker.get(), "attacker");
  EXPECT_FAILS(verify(sign(h, claims(), attacker.get(), JwsAlg::RS256)), TokenError::unknown_kid);
  // The same headers on a genuine token are simply ignored.
  h["kid"] = "rsa1";
  EXPECT_TRUE(verify(sign(h, claims(), rsa_.get(), JwsAlg::RS256)).ok());
}

TEST_F(JwtVerifierTest, EcdsaSignatureMustBeExactRawLength) {
  const auto token = sign(header("ES256", "p256"), claims(), p256_.get(), JwsAlg::ES256);
  ASSERT_TRUE(verify(token).ok());
  const auto sig = signature_of(token);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_FAILS(verify(with_signature(token, sig.substr(0, 63))), TokenError::bad_signature);
  EXPECT_FAILS(verify(with_signature(token, sig + '\0')), TokenError::bad_signature);
  EXPECT_FAILS(verify(with_signature(token, std::string(1, '\0') + sig)), TokenError::bad_signature);

  // The same signature in DER form (what EVP produces) must not be accepted.
  ECDSA_SIG* es = ECDSA_SIG_new();
  const auto* raw = reinterpret_cast<const unsigned char*>(sig.data());
  ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, nullptr), BN_bin2bn(raw + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_len = i2d_ECDSA_SIG(es, &der);
  const std::string der_sig(reinterpret_cast<char*>(der), static_cast<std::size_t>(der_len));
  OPENSSL_free(der);
  ECDSA_SIG_free(es);
  EXPECT_FAILS(verify(with_signature(token, der_sig)), TokenError::bad_signature);
}

TEST_F(JwtVerifierTest, Es384SignatureLength) {
  const auto token = sign(header("ES384", "p384"), claims(), p384_.get(), JwsAlg::ES384);
  const auto sig = signature_of(token);
  ASSERT_EQ(sig.size(), 96u);
  EXPECT_TRUE(verify(token).ok());
  EXPECT_FAILS(verify(with_signature(token, sig.substr(0, 64))), TokenError::bad_signature);
}

TEST_F(JwtVerifierTest, Expired) {
  auto c = claims();
  c["exp"] = kNow - 60;
  EXPECT_FAILS(verify(rs256(c)), TokenError::expired);
}

TEST_F(JwtVerifierTest, ExpSkewBoundary) {
  auto c = claims();
  c["exp"] = kNow - 5;  // now >= exp + 5: refused
  EXPECT_FAILS(verify(rs256(c)), TokenError::expired);
  c["exp"] = kNow - 4;  // within skew
  EXPECT_TRUE(verify(rs256(c)).ok());
  JwtOptions strict;
  strict.clock_skew_s = 0;
  c["exp"] = kNow;
  EXPECT_FAILS(verify(rs256(c), kNow, strict), TokenError::expired);
  c["exp"] = kNow + 1;
  EXPECT_TRUE(verify(rs256(c), kNow, strict).ok());
}

TEST_F(JwtVerifierTest, NbfInFuture) {
  auto c = claims();
  c["nbf"] = kNow + 60;
  EXPECT_FAILS(verify(rs256(c)), TokenError::not_yet_valid);
  c["nbf"] = kNow + 6;  // just beyond skew
  EXPECT_FAILS(verify(rs256(c)), TokenError::not_yet_valid);
  c["nbf"] = kNow + 5;  // at the skew limit
  EXPECT_TRUE(verify(rs256(c)).ok());
}

TEST_F(JwtVerifierTest, IatInFuture) {
  auto c = claims();
  c["nbf"] = kNow - 10;
  c["iat"] = kNow + 60;
  EXPECT_FAILS(verify(rs256(c)), TokenError::issued_in_future);
  c["iat"] = kNow + 6;
  EXPECT_FAILS(verify(rs256(c)), TokenError::issued_in_future);
  c["iat"] = kNow + 5;
  EXPECT_TRUE(verify(rs256(c)).ok());
}

TEST_F(JwtVerifierTest, ConfigurableSkew) {
  auto c = claims();
  c["exp"] = kNow - 30;
  JwtOptions wide;
  wide.clock_skew_s = 60;
  EXPECT_TRUE(verify(rs256(c), kNow, wide).ok());
  EXPECT_FAILS(verify(rs256(c)), TokenError::expired);
}

TEST_F(JwtVerifierTest, ExpRequiredAndNumeric) {
  auto c = claims();
  c.erase("exp");
  EXPECT_FAILS(verify(rs256(c)), TokenError::invalid_claim);
  c["exp"] = std::to_string(kNow + 300);
  EXPECT_FAILS(verify(rs256(c)), TokenError::invalid_claim);
  c["exp"] = true;
  EXPECT_FAILS(verify(rs256(c)), TokenError::invalid_claim);
  c["exp"] = static_cast<double>(kNow) + 300.5;  // NumericDate may be fractional
  EXPECT_TRUE(verify(rs256(c)).ok());
}

TEST_F(JwtVerifierTest, NbfAndIatMustBeNumericWhenPresent) {
  auto c = claims();
  c["nbf"] = "now";
  EXPECT_FAILS(verify(rs256(c)), TokenError::invalid_claim);
  c = claims();
  c["iat"] = json::array{};
  EXPECT_FAILS(verify(rs256(c)), TokenError::invalid_claim);
}

TEST_F(JwtVerifierTest, SubRequiredNonEmptyString) {
  auto c = claims();
  c.erase("sub");
  EXPECT_FAILS(verify(rs256(c)), TokenError::invalid_claim);
  c["sub"] = "";
  EXPECT_FAILS(verify(rs256(c)), TokenError::invalid_claim);
  c["sub"] = 12;
  EXPECT_FAILS(verify(rs256(c)), TokenError::invalid_claim);
}

TEST_F(JwtVerifierTest, DetailNeverContainsToken) {
  auto c = claims();
  c["exp"] = kNow - 600;
  const auto t = rs256(c);
  for (const auto& token : {t, t + "!", t.substr(0, t.rfind('.')) + ".AAAA", t + ".x"}) {
    const auto r = verify(token);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.detail.find(t.substr(0, 20)), std::string::npos);
    EXPECT_EQ(r.detail.find(t.substr(t.rfind('.') + 1, 20)), std::string::npos);
  }
}

}  // namespace
}  // namespace fleet::auth
