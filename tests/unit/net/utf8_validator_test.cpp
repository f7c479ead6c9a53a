#include "net/utf8_validator.hpp"

#include <gtest/gtest.h>

namespace fleet::net {
namespace {

TEST(Utf8Validator, AcceptsEveryEncodingLengthAndTheEdges) {
  for (std::string_view s :
       {"", "plain ascii", "\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
        "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF", "caf\xC3\xA9"}) {
    Utf8Validator v;
    EXPECT_TRUE(v.feed(s) && v.complete()) << s;
  }
}

TEST(Utf8Validator, StateCarriesAcrossFeeds) {
  Utf8Validator v;
  EXPECT_TRUE(v.feed("\xF0\x90"));
  EXPECT_FALSE(v.complete());
  EXPECT_TRUE(v.feed("\x80"));
  EXPECT_TRUE(v.feed("\x80"));
  EXPECT_TRUE(v.complete());
}

TEST(Utf8Validator, RefusesOverlongsSurrogatesAndOutOfRange) {
  for (std::string_view s :
       {"\xC0\x80", "\xC1\xBF", "\xE0\x9F\xBF", "\xED\xA0\x80", "\xED\xBF\xBF", "\xF0\x8F\xBF\xBF",
        "\xF4\x90\x80\x80", "\xF8\x88\x80\x80\x80", "\xFF", "\x80", "\xC3\x28"}) {
    Utf8Validator v;
    EXPECT_FALSE(v.feed(s)) << s;
    EXPECT_FALSE(v.complete());
  }
}

}  // namespace
}  // namespace fleet::net
