#include "net/entity_tag.hpp"

#include <gtest/gtest.h>

namespace fleet::net {
namespace {

TEST(EntityTag, IsQuotedStableAndChangesWithTheBytes) {
  const std::string tag = entity_tag_for("console.log(1)");
  EXPECT_EQ(tag.size(), 18u);  // 16 hex digits in quotes
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag.back(), '"');
  EXPECT_EQ(tag, entity_tag_for("console.log(1)"));
  EXPECT_NE(tag, entity_tag_for("console.log(2)"));
  EXPECT_EQ(entity_tag_for(""), "\"cbf29ce484222325\"");  // FNV-1a 64's offset basis: same on every node
}

TEST(EntityTag, ASuffixTellsRepresentationsApart) {
  EXPECT_EQ(entity_tag_for("x", "br"), entity_tag_for("x").substr(0, 17) + "-br\"");
  EXPECT_NE(entity_tag_for("x", "br"), entity_tag_for("x", "gz"));
}

TEST(IfNoneMatch, MatchesTheTagInAListOrStar) {
  const std::string tag = entity_tag_for("body");
  EXPECT_TRUE(if_none_match_matches(tag, tag));
  EXPECT_TRUE(if_none_match_matches("\"other\", " + tag, tag));
  EXPECT_TRUE(if_none_match_matches(" \"a\" ,\t" + tag + " ", tag));
  EXPECT_TRUE(if_none_match_matches("*", tag));
  EXPECT_TRUE(if_none_match_matches("W/" + tag, tag));  // weak comparison, as If-None-Match asks
  EXPECT_TRUE(if_none_match_matches(",," + tag, tag));  // empty list elements are allowed
}

TEST(IfNoneMatch, AnythingElseMatchesNothing) {
  const std::string tag = entity_tag_for("body");
  EXPECT_FALSE(if_none_match_matches("", tag));
  EXPECT_FALSE(if_none_match_matches("\"other\"", tag));
  EXPECT_FALSE(if_none_match_matches(entity_tag_for("body", "br"), tag));
  EXPECT_FALSE(if_none_match_matches(tag.substr(1, 16), tag));  // unquoted
  EXPECT_FALSE(if_none_match_matches("garbage, " + tag, tag));  // a malformed list: send the bytes
  EXPECT_FALSE(if_none_match_matches("\"a\"b\"", "\"a\"b\""));  // not an entity tag at all
  EXPECT_FALSE(if_none_match_matches("*", "unquoted"));
}

}  // namespace
}  // namespace fleet::net
