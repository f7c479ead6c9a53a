#include "auth/base64url.hpp"

#include <gtest/gtest.h>

namespace fleet::auth {
namespace {

TEST(Base64Url, EncodesWithoutPadding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");  // the two url-safe characters
}

TEST(Base64Url, RoundTripsAllByteValues) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const auto sub = all.substr(0, n);
    EXPECT_EQ(base64url_decode(base64url_encode(sub)), sub);
  }
}

TEST(Base64Url, RefusesPadding) {
  EXPECT_FALSE(base64url_decode("Zg=="));
  EXPECT_FALSE(base64url_decode("Zm8="));
  EXPECT_TRUE(base64url_decode("Zg"));
}

TEST(Base64Url, RefusesWhitespace) {
  EXPECT_FALSE(base64url_decode("Zm9v "));
  EXPECT_FALSE(base64url_decode("Zm\n9v"));
  EXPECT_FALSE(base64url_decode(" Zm9v"));
}

TEST(Base64Url, RefusesStandardAlphabetAndOthers) {
  EXPECT_FALSE(base64url_decode("+/+/"));
  EXPECT_FALSE(base64url_decode("Zm9v."));
  EXPECT_FALSE(base64url_decode(std::string("Zm\0v", 4)));
}

TEST(Base64Url, RefusesImpossibleLength) { EXPECT_FALSE(base64url_decode("Zm9vY")); }

TEST(Base64Url, RefusesNonCanonicalTrailingBits) {
  EXPECT_EQ(base64url_decode("QQ"), "A");
  EXPECT_FALSE(base64url_decode("QR"));   // same byte, low 4 bits set
  EXPECT_EQ(base64url_decode("QUE"), "AA");
  EXPECT_FALSE(base64url_decode("QUF"));  // low 2 bits set
}

}  // namespace
}  // namespace fleet::auth
