#include "auth/secrets.hpp"

#include <gtest/gtest.h>

#include <set>

#include "auth/base64url.hpp"

namespace fleet::auth {
namespace {

TEST(Secrets, Sha256HexKnownVectors) {
  EXPECT_EQ(sha256_hex("").value(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc").value(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Secrets, RandomTokenHasPrefixLengthAndIsUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto t = random_token("fk_", 32);
    ASSERT_TRUE(t.has_value());
    ASSERT_EQ(t->rfind("fk_", 0), 0u);
    ASSERT_EQ(t->size(), 3u + 43u);
    auto raw = base64url_decode(t->substr(3));
    ASSERT_TRUE(raw);
    EXPECT_EQ(raw->size(), 32u);
    seen.insert(*t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Secrets, RandomTokenRefusesZeroLength) { EXPECT_FALSE(random_token("x", 0).has_value()); }

TEST(Secrets, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_FALSE(constant_time_equal("abc", ""));
}

}  // namespace
}  // namespace fleet::auth
