#include "auth/key_set.hpp"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "test_keys.hpp"

namespace fleet::auth {
namespace {

namespace json = boost::json;
using namespace fleet::auth::testing;

TEST(KeySet, SkipsUnusableKeysKeepsUsable) {
  auto ec = gen_ec("P-256");
  auto small = gen_rsa(1024);
  json::object priv = public_jwk(ec.get(), "priv");
  priv["d"] = "AQAB";
  json::array keys{public_jwk(shared_rsa().get(), "rsa"),
                   json::object{{"kty", "oct"}, {"kid", "hmac"}, {"k", "c2VjcmV0"}},
                   public_jwk(small.get(), "small"),
                   priv,
                   "not an object",
                   public_jwk(ec.get(), "ec")};
  auto set = KeySet::from_jwks(json::serialize(json::object{{"keys", keys}}));
  ASSERT_TRUE(set.has_value()) << set.error().message;
  EXPECT_EQ((*set)->size(), 2u);
  EXPECT_EQ((*set)->skipped(), 4u);
  EXPECT_NE((*set)->find("rsa"), nullptr);
  EXPECT_NE((*set)->find("ec"), nullptr);
  EXPECT_EQ((*set)->find("hmac"), nullptr);
  EXPECT_EQ((*set)->find("small"), nullptr);
  EXPECT_EQ((*set)->find("priv"), nullptr);
}

TEST(KeySet, NoUsableKeyIsAnError) {
  EXPECT_FALSE(KeySet::from_jwks(R"({"keys":[]})").has_value());
  EXPECT_FALSE(KeySet::from_jwks(R"({"keys":[{"kty":"oct","k":"AA"}]})").has_value());
}

TEST(KeySet, MalformedDocumentsRefused) {
  EXPECT_FALSE(KeySet::from_jwks("").has_value());
  EXPECT_FALSE(KeySet::from_jwks("[]").has_value());
  EXPECT_FALSE(KeySet::from_jwks(R"({"keys":{}})").has_value());
  const auto one = json::serialize(public_jwk(shared_rsa().get(), "a"));
  EXPECT_TRUE(KeySet::from_jwks(R"({"keys":[)" + one + "]}").has_value());
  EXPECT_FALSE(KeySet::from_jwks(R"({"keys":[)" + one + R"(],"keys":[]})").has_value());  // duplicate member
}

TEST(KeySet, DuplicateKidKeepsFirst) {
  auto ec = gen_ec("P-256");
  json::array keys{public_jwk(shared_rsa().get(), "same"), public_jwk(ec.get(), "same")};
  auto set = KeySet::from_jwks(json::serialize(json::object{{"keys", keys}}));
  ASSERT_TRUE(set.has_value());
  EXPECT_EQ((*set)->size(), 1u);
  EXPECT_EQ((*set)->find("same")->kind, KeyKind::rsa);
}

TEST(KeySet, KidlessLookupOnlyWhenUnambiguous) {
  auto one = set_of(shared_rsa().get(), "a");
  EXPECT_NE(one->find(std::nullopt), nullptr);
  EXPECT_EQ(one->find("b"), nullptr);
  auto ec = gen_ec("P-256");
  json::array keys{public_jwk(shared_rsa().get(), "a"), public_jwk(ec.get(), "b")};
  auto two = KeySet::from_jwks(json::serialize(json::object{{"keys", keys}})).value();
  EXPECT_EQ(two->find(std::nullopt), nullptr);
  EXPECT_EQ(two->find("b")->kind, KeyKind::ec_p256);
}

TEST(KeySet, PemMatchesAnyKid) {
  auto set = KeySet::from_pem(pem_public(shared_rsa().get()));
  ASSERT_TRUE(set.has_value());
  EXPECT_NE((*set)->find(std::nullopt), nullptr);
  EXPECT_NE((*set)->find("whatever"), nullptr);
}

}  // namespace
}  // namespace fleet::auth
