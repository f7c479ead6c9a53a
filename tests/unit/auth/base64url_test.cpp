#include "auth/base64url.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>

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

TEST(Base64Url, RefusesForeignCharactersInEveryPosition) {
  const std::string good = "Zm9vYmFyYg";  // two quads and a tail of two
  ASSERT_TRUE(base64url_decode(good));
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (char c : {'.', '=', '+', '/', '\x80', '\xff'}) {
      std::string bad = good;
      bad[i] = c;
      EXPECT_FALSE(base64url_decode(bad)) << bad;
    }
  }
}

// The definition, one sextet at a time; the decoder works in quads and must agree with it everywhere.
std::optional<std::string> reference_decode(std::string_view text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const auto v = alphabet.find(c);
    if (v == std::string::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

TEST(Base64Url, AgreesWithTheDefinition) {
  const std::string chars = "AQgw_-Zz09.=";
  std::mt19937 rng(4648);
  std::uniform_int_distribution<std::size_t> pick(0, chars.size() - 1), len(0, 13);
  for (int i = 0; i < 20000; ++i) {
    std::string t;
    for (std::size_t n = len(rng); n > 0; --n) t += chars[pick(rng)];
    EXPECT_EQ(base64url_decode(t), reference_decode(t)) << t;
  }
}

TEST(Base64Url, CharacterClassIsTheAlphabet) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  for (int c = 0; c < 256; ++c) {
    const char ch = static_cast<char>(c);
    EXPECT_EQ(is_base64url_char(ch), alphabet.find(ch) != std::string::npos) << c;
  }
}

TEST(Base64Url, RefusesImpossibleLength) { EXPECT_FALSE(base64url_decode("Zm9vY")); }

TEST(Base64Url, RefusesNonCanonicalTrailingBits) {
  EXPECT_EQ(base64url_decode("QQ"), "A");
  EXPECT_FALSE(base64url_decode("QR"));  // same byte, low 4 bits set
  EXPECT_EQ(base64url_decode("QUE"), "AA");
  EXPECT_FALSE(base64url_decode("QUF"));  // low 2 bits set
}

}  // namespace
}  // namespace fleet::auth
