#include "net/accept_encoding.hpp"

#include <gtest/gtest.h>

namespace fleet::net {
namespace {

constexpr AvailableCodings kBoth{true, true};
constexpr AvailableCodings kGzipOnly{true, false};
constexpr AvailableCodings kNone{false, false};

ContentCoding pick(std::string_view header, AvailableCodings available = kBoth) {
  return choose_content_coding(header, available);
}

TEST(AcceptEncoding, BrowsersGetBrotliThenGzip) {
  EXPECT_EQ(pick("gzip, deflate, br, zstd"), ContentCoding::br);  // Chromium's
  EXPECT_EQ(pick("gzip, deflate, br, zstd", kGzipOnly), ContentCoding::gzip);
  EXPECT_EQ(pick("gzip, deflate"), ContentCoding::gzip);
  EXPECT_EQ(pick("gzip, deflate, br", kNone), ContentCoding::identity);
  EXPECT_EQ(pick("BR"), ContentCoding::br);  // tokens are case-insensitive
  EXPECT_EQ(pick("x-gzip"), ContentCoding::gzip);
}

TEST(AcceptEncoding, NoHeaderOrAnEmptyOneGetsIdentity) {
  EXPECT_EQ(choose_content_coding(std::nullopt, kBoth), ContentCoding::identity);
  EXPECT_EQ(pick(""), ContentCoding::identity);
  EXPECT_EQ(pick(" , ,"), ContentCoding::identity);
  EXPECT_EQ(pick("deflate, zstd"), ContentCoding::identity);
}

TEST(AcceptEncoding, WeightsDecideAndTiesPreferBrotli) {
  EXPECT_EQ(pick("gzip;q=1, br;q=0.5"), ContentCoding::gzip);
  EXPECT_EQ(pick("gzip;q=0.5, br;q=0.5"), ContentCoding::br);
  EXPECT_EQ(pick("br;q=0.001, gzip;q=0.0009"), ContentCoding::br);  // 4 decimals: gzip's element is ignored
  EXPECT_EQ(pick("gzip ; Q=0.8 , br ;q=0.9"), ContentCoding::br);   // whitespace, case of q
  EXPECT_EQ(pick("identity;q=1, gzip;q=0.5"), ContentCoding::identity);
  EXPECT_EQ(pick("identity, gzip"), ContentCoding::gzip);  // a tie with identity goes to the variant
  EXPECT_EQ(pick("identity;q=0.001"), ContentCoding::identity);
  // Only implied, identity ranks below any acceptable variant, however light.
  EXPECT_EQ(pick("gzip;q=0.001"), ContentCoding::gzip);
}

TEST(AcceptEncoding, QZeroRefuses) {
  EXPECT_EQ(pick("br;q=0, gzip"), ContentCoding::gzip);
  EXPECT_EQ(pick("br;q=0, gzip;q=0"), ContentCoding::identity);
  EXPECT_EQ(pick("br;q=0.000, gzip;q=0.0"), ContentCoding::identity);
  EXPECT_EQ(pick("gzip;q=0", kGzipOnly), ContentCoding::identity);
  // Nothing acceptable at all still gets the identity bytes: RFC 9110 advises that over a 406.
  EXPECT_EQ(pick("identity;q=0, br;q=0, gzip;q=0"), ContentCoding::identity);
  EXPECT_EQ(pick("identity;q=0, gzip", kGzipOnly), ContentCoding::gzip);
  EXPECT_EQ(pick("identity;q=0", kGzipOnly), ContentCoding::identity);  // gzip was not listed either
}

TEST(AcceptEncoding, StarWeighsEveryCodingNotListed) {
  EXPECT_EQ(pick("*"), ContentCoding::br);
  EXPECT_EQ(pick("*", kGzipOnly), ContentCoding::gzip);
  EXPECT_EQ(pick("br;q=0, *"), ContentCoding::gzip);
  EXPECT_EQ(pick("*;q=0"), ContentCoding::identity);
  EXPECT_EQ(pick("*;q=0, gzip"), ContentCoding::gzip);
  EXPECT_EQ(pick("identity;q=1, *;q=0.5"), ContentCoding::identity);
  EXPECT_EQ(pick("identity;q=0.5, *"), ContentCoding::br);
}

TEST(AcceptEncoding, MalformedWeightsAreIgnoredNotTrusted) {
  for (std::string_view bad :
       {"br;q=2", "br;q=1.5", "br;q=-1", "br;q=", "br;q=abc", "br;q=0.1234", "br;q=.5"}) {
    EXPECT_EQ(pick(std::string(bad) + ", gzip;q=0.1"), ContentCoding::gzip) << bad;
  }
  EXPECT_EQ(pick("br;level=5"), ContentCoding::br);  // unknown parameters do not matter
  EXPECT_EQ(pick("br;q=1.000"), ContentCoding::br);
}

TEST(AcceptEncoding, NamesForContentEncoding) {
  EXPECT_EQ(coding_name(ContentCoding::br), "br");
  EXPECT_EQ(coding_name(ContentCoding::gzip), "gzip");
  EXPECT_EQ(coding_name(ContentCoding::identity), "");
}

}  // namespace
}  // namespace fleet::net
