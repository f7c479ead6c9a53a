#include "core/strict_json.hpp"

#include <gtest/gtest.h>

#include <boost/json/monotonic_resource.hpp>

#include <string>

namespace fleet {
namespace {

std::string error_of(std::string_view text, JsonLimits limits = {}) {
  auto r = parse_strict_json(text, limits);
  if (r.has_value()) return "<ok>";
  EXPECT_EQ(r.error().code, ErrorCode::invalid_json);
  return r.error().message;
}

TEST(StrictJson, ParsesValidDocument) {
  auto r =
      parse_strict_json(R"( {"a":1,"b":[true,null,"x",-2.5e3,18446744073709551615],"c":{"d":"\u00e9"}} )");
  ASSERT_TRUE(r.has_value());
  const auto& o = r->as_object();
  EXPECT_EQ(o.at("a").as_int64(), 1);
  EXPECT_EQ(o.at("b").as_array().size(), 5u);
  EXPECT_EQ(o.at("c").as_object().at("d").as_string(), "\xc3\xa9");
}

TEST(StrictJson, ParsesScalarsAtTopLevel) {
  EXPECT_TRUE(parse_strict_json("42").has_value());
  EXPECT_TRUE(parse_strict_json("\"s\"").has_value());
  EXPECT_TRUE(parse_strict_json("null").has_value());
}

TEST(StrictJson, RefusesDuplicateAtTopLevel) {
  EXPECT_EQ(error_of(R"({"org_id":"a","org_id":"b"})"), "duplicate member \"org_id\"");
}

TEST(StrictJson, RefusesDuplicateNested) {
  EXPECT_EQ(error_of(R"({"o":{"id":"a","rol":"x","id":"b"}})"), "duplicate member \"id\"");
  EXPECT_EQ(error_of(R"([1,{"k":1},{"x":{"k":1,"k":2}}])"), "duplicate member \"k\"");
}

TEST(StrictJson, RefusesDuplicateSpelledWithEscapes) {
  // "\u0061" is "a": the comparison must be on decoded names.
  EXPECT_EQ(error_of(R"({"a":1,"\u0061":2})"), "duplicate member \"a\"");
}

TEST(StrictJson, SameNameInSiblingAndNestedObjectsIsFine) {
  EXPECT_TRUE(parse_strict_json(R"({"id":1,"o":{"id":2},"p":[{"id":3},{"id":4}]})").has_value());
}

TEST(StrictJson, DuplicateKeyAcrossBufferBoundaryStillSeen) {
  // Long keys may arrive in parts; the whole key must be compared.
  const std::string k(5000, 'k');
  const std::string doc = "{\"" + k + "\":1,\"" + k + "\":2}";
  EXPECT_NE(error_of(doc).find("duplicate member"), std::string::npos);
}

TEST(StrictJson, DuplicatesFoundInLargeObjectsAndAfterNestedOnes) {
  // Objects past the linear-scan size switch to a hash set: duplicates before and after the switch count.
  std::string doc = "{";
  for (int i = 0; i < 40; ++i) doc += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  EXPECT_TRUE(parse_strict_json(doc + "\"last\":0}").has_value());
  EXPECT_EQ(error_of(doc + "\"k3\":0}"), "duplicate member \"k3\"");
  EXPECT_EQ(error_of(doc + "\"k39\":0}"), "duplicate member \"k39\"");
  // A nested object's keys are forgotten when it closes, its parent's are not.
  EXPECT_EQ(error_of(R"({"a":1,"o":{"b":1,"c":{"d":1}},"b":2,"a":3})"), "duplicate member \"a\"");
  EXPECT_TRUE(parse_strict_json(R"({"a":1,"o":{"a":1,"c":{"a":1}},"b":2,"c":3})").has_value());
}

TEST(StrictJson, BuildsInTheGivenStorage) {
  boost::json::monotonic_resource arena;
  auto r = parse_strict_json(R"({"a":[1,"two",{"b":null}]})", {}, boost::json::storage_ptr(&arena));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->storage().get(), &arena);
  EXPECT_EQ(r->as_object().at("a").as_array().at(1).as_string(), "two");
}

TEST(StrictJson, DepthLimit) {
  JsonLimits l;
  l.max_depth = 3;
  EXPECT_TRUE(parse_strict_json("[[[1]]]", l).has_value());
  EXPECT_EQ(error_of("[[[[1]]]]", l), "nesting too deep");
  EXPECT_EQ(error_of(R"({"a":{"b":{"c":{}}}})", l), "nesting too deep");
}

TEST(StrictJson, TrailingGarbageRefused) {
  EXPECT_EQ(error_of("{} x"), "trailing data after the JSON text");
  EXPECT_EQ(error_of("{}{}"), "trailing data after the JSON text");
  EXPECT_EQ(error_of("1 2"), "trailing data after the JSON text");
  EXPECT_TRUE(parse_strict_json("{}\n\t ").has_value());
}

TEST(StrictJson, CommentsRefused) {
  EXPECT_NE(error_of("{/* c */}"), "<ok>");
  EXPECT_NE(error_of("{} // c"), "<ok>");
}

TEST(StrictJson, TrailingCommasRefused) {
  EXPECT_NE(error_of("[1,]"), "<ok>");
  EXPECT_NE(error_of(R"({"a":1,})"), "<ok>");
}

TEST(StrictJson, NonRfcLiteralsRefused) {
  EXPECT_NE(error_of("NaN"), "<ok>");
  EXPECT_NE(error_of("'a'"), "<ok>");
  EXPECT_NE(error_of("01"), "<ok>");
  EXPECT_NE(error_of("{a:1}"), "<ok>");
}

TEST(StrictJson, InvalidUtf8Refused) {
  EXPECT_NE(error_of("\"\xff\""), "<ok>");
  EXPECT_NE(error_of("{\"k\xc3\":1}"), "<ok>");
  EXPECT_NE(error_of("\"\xed\xa0\x80\""), "<ok>");  // encoded surrogate
}

TEST(StrictJson, EmptyAndIncompleteRefused) {
  EXPECT_NE(error_of(""), "<ok>");
  EXPECT_NE(error_of("   "), "<ok>");
  EXPECT_NE(error_of("{\"a\":"), "<ok>");
}

TEST(StrictJson, SizeLimit) {
  JsonLimits l;
  l.max_bytes = 10;
  EXPECT_TRUE(parse_strict_json("[1,2,3,4]", l).has_value());
  EXPECT_NE(error_of("[1,2,3,4,5]", l).find("too large"), std::string::npos);
}

TEST(StrictJson, DuplicateMessageDoesNotEchoControlCharacters) {
  const std::string msg = error_of("{\"a\\nb\":1,\"a\\nb\":2}");
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_NE(msg.find("duplicate member"), std::string::npos);
}

}  // namespace
}  // namespace fleet
