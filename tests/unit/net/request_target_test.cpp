#include "net/request_target.hpp"

#include <gtest/gtest.h>

#include <boost/url/parse.hpp>
#include <random>
#include <vector>

namespace fleet::net {
namespace {

// What HttpSession did before the fast path: Boost.URL for every target. The fast path must agree with it.
std::optional<RequestTarget> reference_target(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  return RequestTarget{url->path(), std::string(url->encoded_query())};
}

std::optional<std::string> reference_parameter(std::string_view target, std::string_view name) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  for (auto p : url->params()) {
    if (p.has_value && p.key == name) return std::string(p.value);
  }
  return std::nullopt;
}

void expect_same_as_reference(std::string_view target) {
  SCOPED_TRACE(std::string(target));
  const auto got = parse_request_target(target);
  const auto want = reference_target(target);
  ASSERT_EQ(got.has_value(), want.has_value());
  if (!got) return;
  EXPECT_EQ(got->path, want->path);
  EXPECT_EQ(got->query, want->query);
  EXPECT_EQ(query_parameter(got->query, "token"), reference_parameter(target, "token"));
}

TEST(RequestTarget, SplitsPlainTargets) {
  auto t = parse_request_target("/ws?token=eyJhbGciOi.eyJzdWIi.c2ln-_&x=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/ws");
  EXPECT_EQ(t->query, "token=eyJhbGciOi.eyJzdWIi.c2ln-_&x=1");
  EXPECT_EQ(query_parameter(t->query, "token"), "eyJhbGciOi.eyJzdWIi.c2ln-_");
  EXPECT_EQ(query_parameter(t->query, "x"), "1");
  EXPECT_EQ(query_parameter(t->query, "y"), std::nullopt);

  t = parse_request_target("/api/v1/devices");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/devices");
  EXPECT_EQ(t->query, "");
}

TEST(RequestTarget, DecodesWhatNeedsDecoding) {
  auto t = parse_request_target("/api/v1/devices/d%2D1?%74oken=a%2Eb+c");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/api/v1/devices/d-1");
  EXPECT_EQ(t->query, "%74oken=a%2Eb+c");
  EXPECT_EQ(query_parameter(t->query, "token"), "a.b c");  // '+' is a space in a query
}

TEST(RequestTarget, ParameterRules) {
  EXPECT_EQ(query_parameter("token=", "token"), "");
  EXPECT_EQ(query_parameter("token&token=x", "token"), "x");  // a bare name has no value
  EXPECT_EQ(query_parameter("token", "token"), std::nullopt);
  EXPECT_EQ(query_parameter("tokens=1&mytoken=2", "token"), std::nullopt);
  EXPECT_EQ(query_parameter("a=1&token=first&token=second", "token"), "first");
  EXPECT_EQ(query_parameter("", "token"), std::nullopt);
  EXPECT_EQ(query_parameter("token=%zz", "token"), std::nullopt);  // not a valid query
}

TEST(RequestTarget, CountsRepeatedParametersWhetherEncodedOrBare) {
  EXPECT_EQ(query_parameter_count("token=a&x=1", "token"), 1u);
  EXPECT_EQ(query_parameter_count("token=a&token=b", "token"), 2u);
  EXPECT_EQ(query_parameter_count("token=a&token", "token"), 2u);
  EXPECT_EQ(query_parameter_count("tok%65n=a&token=b", "token"), 2u);
  EXPECT_EQ(query_parameter_count("tokens=a&xtoken=b", "token"), 0u);
  EXPECT_EQ(query_parameter_count("", "token"), 0u);
}

TEST(RequestTarget, RefusesWhatIsNotOriginForm) {
  for (std::string_view bad : {"", "ws", "*", "http://h/ws", "/a%zz", "/a?b%2", "/a b", "/a\x01"}) {
    SCOPED_TRACE(std::string(bad));
    EXPECT_FALSE(parse_request_target(bad));
  }
}

TEST(RequestTarget, AgreesWithBoostUrl) {
  for (std::string_view t : {"/", "//", "//x", "/ws", "/ws?", "/ws?token", "/ws?token=", "/ws?=x",
                             "/ws?&&token=a&", "/ws?token=a?b/c", "/./../x", "/ws?token=a=b", "/ws#frag",
                             "/ws?token=a%20b", "/x:y@z", "/ws?a=1;b=2&token=t!$'()*,"}) {
    expect_same_as_reference(t);
  }
  // Random targets over an alphabet of plain characters and the ones that send a target to Boost.URL.
  const std::string alphabet = "/?=&abtokenz09-._~%+2F:@;!";
  std::mt19937 rng(20261125);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1), len(0, 24);
  for (int i = 0; i < 20000; ++i) {
    std::string t = "/";
    for (std::size_t n = len(rng); n > 0; --n) t += alphabet[pick(rng)];
    expect_same_as_reference(t);
  }
}

// Found by fuzz/request_target_fuzz (corpus: crash_query_view_past_end): Boost.URL 1.81 reads a query as a
// C string (strlen) rather than by its size, so a query that is a view into a larger buffer was read past
// its end - a heap overflow when nothing terminates it, the wrong value when the buffer goes on.
TEST(RequestTarget, QueryReadersStopAtTheEndOfTheView) {
  const std::string buffer = "a=%20&x=12&token=secret";
  const std::string_view query = std::string_view(buffer).substr(0, 9);  // "a=%20&x=1": not plain
  EXPECT_EQ(query_parameter(query, "x"), "1");
  EXPECT_EQ(query_parameter(query, "a"), " ");
  EXPECT_EQ(query_parameter(query, "token"), std::nullopt);
  EXPECT_EQ(query_parameter_count(query, "x"), 1u);
  EXPECT_EQ(query_parameter_count(query, "token"), 0u);

  const std::string raw = "http://host/ws?token=a";  // the fuzzer's input: not a target, read as a query
  const std::vector<char> unterminated(raw.begin(), raw.end());
  const std::string_view view(unterminated.data(), unterminated.size());
  EXPECT_EQ(query_parameter(view, "token"), std::nullopt);
  EXPECT_EQ(query_parameter_count(view, "token"), 0u);
}

}  // namespace
}  // namespace fleet::net
