#include "auth/dev_issuer.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <boost/json/parse.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

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
  EXPECT_EQ(verify_jwt(issuer().issue("u", "o", "", 60, kNow).value(), *keys, kNow).error,
            TokenError::unknown_kid);
}

TEST(DevIssuer, KeySourceUsesJwks) {
  auto src = issuer().key_source();
  ASSERT_TRUE(src.has_value());
  EXPECT_NE((*src)->current()->find(issuer().kid()), nullptr);
}

class KeyFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fleet_dev_key_XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "dev-issuer-key.pem").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  DevIssuerConfig config() const {
    DevIssuerConfig c{"https://dev.test", "http://localhost:5173"};
    c.key_file = path_;
    return c;
  }
  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(KeyFile, TheKeyIsWrittenOnceAndTokensVerifyAfterARestart) {
  auto first = DevIssuer::create(config());
  ASSERT_TRUE(first.has_value()) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // a private key: the owner's alone
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  const auto token = (*first)->issue("user_1", "org_1", "admin", 60, kNow).value();

  auto second = DevIssuer::create(config());  // a restarted fleetd
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ((*second)->kid(), (*first)->kid());
  auto keys = KeySet::from_jwks((*second)->jwks_json()).value();
  EXPECT_TRUE(verify_jwt(token, *keys, kNow).ok());
}

TEST_F(KeyFile, WithoutAKeyFileEveryIssuerHasItsOwnKey) {
  auto a = DevIssuer::create().value();
  auto b = DevIssuer::create().value();
  EXPECT_NE(a->kid(), b->kid());
}

TEST_F(KeyFile, AFileThatHoldsNoKeyIsAnErrorNamingIt) {
  std::ofstream(path_) << "not a key\n";
  auto r = DevIssuer::create(config());
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find(path_), std::string::npos) << r.error().message;
  std::ifstream in(path_);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "not a key");  // never overwritten
}

TEST_F(KeyFile, AnUnwritableLocationIsAnError) {
  DevIssuerConfig c = config();
  c.key_file = (dir_ / "missing-dir" / "key.pem").string();
  auto r = DevIssuer::create(c);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("missing-dir"), std::string::npos) << r.error().message;
}

// A cluster's nodes share one key through their database: the first stored wins, every later issuer
// gets it, so tokens minted by any node verify on every node.
TEST(DevIssuerSharedKey, EveryIssuerGetsTheFirstStoredKey) {
  std::string stored;
  int offers = 0;
  DevIssuerConfig c{"https://dev.test", ""};
  c.shared_key = [&](const std::string& fresh) -> Result<std::string> {
    ++offers;
    if (stored.empty()) stored = fresh;
    return stored;
  };
  auto first = DevIssuer::create(c);
  auto second = DevIssuer::create(c);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(offers, 2);
  EXPECT_NE(stored.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ((*first)->kid(), (*second)->kid());
  EXPECT_EQ((*first)->jwks_json(), (*second)->jwks_json());
  auto keys = KeySet::from_jwks((*second)->jwks_json());
  ASSERT_TRUE(keys);
  auto token = (*first)->issue("u", "org_1", "admin", 60, kNow);
  ASSERT_TRUE(token);
  EXPECT_TRUE(verify_jwt(*token, **keys, kNow).ok());
  // Without the shared store, each issuer has a key of its own.
  EXPECT_NE(DevIssuer::create(DevIssuerConfig{"https://dev.test", ""}).value()->kid(), (*first)->kid());
}

TEST(DevIssuerSharedKey, AStoreThatFailsOrHoldsNoKeyIsAnError) {
  DevIssuerConfig c{"https://dev.test", ""};
  c.shared_key = [](const std::string&) -> Result<std::string> {
    return make_error(ErrorCode::storage_unavailable, "database down");
  };
  auto down = DevIssuer::create(c);
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().message, "database down");
  c.shared_key = [](const std::string&) -> Result<std::string> { return std::string("not a key"); };
  auto garbage = DevIssuer::create(c);
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("shared key"), std::string::npos);
}

}  // namespace
}  // namespace fleet::auth
