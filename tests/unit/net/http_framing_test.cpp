#include "net/http_framing.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace fleet::net {
namespace {

std::optional<FramingError> check(std::vector<std::string_view> te, std::size_t hosts = 1,
                                  unsigned version = 11) {
  return framing_error(RequestFraming{version, te, hosts});
}

TEST(HttpFraming, TransferEncodingMustEndInChunkedOnce) {
  EXPECT_FALSE(check({}));
  EXPECT_FALSE(check({"chunked"}));
  EXPECT_FALSE(check({"Chunked"}));
  EXPECT_FALSE(check({" chunked "}));
  EXPECT_FALSE(check({",chunked,"}));  // empty list elements are allowed
  // Well-formed, but a coding fleetd would have to undo: 501, never read as if it were plain.
  EXPECT_EQ(check({"gzip, chunked"})->status, 501);
  EXPECT_EQ(check({"gzip", " chunked "})->status, 501);  // the codings of every field form one list
  for (std::vector<std::string_view> bad : std::vector<std::vector<std::string_view>>{{"identity"},
                                                                                      {"xchunked"},
                                                                                      {"chunked, identity"},
                                                                                      {"chunked", "gzip"},
                                                                                      {"chunked, chunked"},
                                                                                      {"chunked;x=1"},
                                                                                      {""},
                                                                                      {" , "}}) {
    ASSERT_TRUE(check(bad)) << (bad.empty() ? "" : bad.front());
    EXPECT_EQ(check(bad)->status, 400);
  }
  EXPECT_EQ(check({"identity"})->message, "Transfer-Encoding must end in chunked");
}

TEST(HttpFraming, HostRulesAndHttp10) {
  EXPECT_EQ(check({}, 0), (FramingError{400, "missing Host header"}));
  EXPECT_EQ(check({}, 2), (FramingError{400, "repeated Host header"}));
  EXPECT_FALSE(check({}, 0, 10));  // HTTP/1.0 has no Host requirement
  EXPECT_TRUE(check({"chunked"}, 1, 10));
}

}  // namespace
}  // namespace fleet::net
