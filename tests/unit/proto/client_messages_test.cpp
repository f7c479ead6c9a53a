#include "proto/client_messages.hpp"

#include <gtest/gtest.h>

namespace fleet::proto {
namespace {

using Kind = ClientMessage::Kind;

TEST(ClientMessages, AuthWithAndWithoutAResumePosition) {
  auto plain = decode_client_message(R"({"type":"auth","token":"eyJ.a.b"})");
  EXPECT_EQ(plain.kind, Kind::auth);
  EXPECT_EQ(plain.token, "eyJ.a.b");
  EXPECT_FALSE(plain.resume);

  auto resume = decode_client_message(R"({"token":"t","since":41,"epoch":"5f0c2a9e1b7d4c36","type":"auth"})");
  ASSERT_EQ(resume.kind, Kind::auth);
  ASSERT_TRUE(resume.resume);
  EXPECT_EQ(resume.resume->since, 41u);
  EXPECT_EQ(resume.resume->epoch, "5f0c2a9e1b7d4c36");

  auto zero = decode_client_message(R"({"type":"auth","token":"t","since":0,"epoch":"e"})");
  ASSERT_TRUE(zero.resume);
  EXPECT_EQ(zero.resume->since, 0u);
  auto max = decode_client_message(R"({"type":"auth","token":"t","since":9007199254740991,"epoch":"e"})");
  ASSERT_TRUE(max.resume);
  EXPECT_EQ(max.resume->since, kMaxResumeSeq);

  EXPECT_EQ(decode_client_message(R"({"type":"auth","token":""})").kind, Kind::auth);  // empty: missing
}

TEST(ClientMessages, MalformedAuthIsNeverGuessed) {
  for (const char* text :
       {R"({"type":"auth"})", R"({"type":"auth","token":null})", R"({"type":"auth","token":["t"]})",
        R"({"type":"auth","token":"t","extra":true})"}) {
    EXPECT_EQ(decode_client_message(text).kind, Kind::malformed_auth) << text;
  }
  for (const char* text :
       {R"({"type":"auth","token":"t","since":1})", R"({"type":"auth","token":"t","epoch":"e"})",
        R"({"type":"auth","token":"t","since":-1,"epoch":"e"})",
        R"({"type":"auth","token":"t","since":1.0,"epoch":"e"})",
        R"({"type":"auth","token":"t","since":"1","epoch":"e"})",
        R"({"type":"auth","token":"t","since":1e3,"epoch":"e"})",
        R"({"type":"auth","token":"t","since":9007199254740992,"epoch":"e"})",
        R"({"type":"auth","token":"t","since":18446744073709551615,"epoch":"e"})",
        R"({"type":"auth","token":"t","since":1,"epoch":5})",
        R"({"type":"auth","token":"t","since":1,"epoch":"a.b"})",
        R"({"type":"auth","token":"t","since":1,"epoch":""})"}) {
    EXPECT_EQ(decode_client_message(text).kind, Kind::invalid_resume) << text;
  }
  // Duplicate members are refused by the strict reader: no second token can slip past the first.
  EXPECT_EQ(decode_client_message(R"({"type":"auth","token":"a","token":"b"})").kind, Kind::other);
}

TEST(ClientMessages, PingAndEverythingElse) {
  EXPECT_EQ(decode_client_message(R"({"type":"ping"})").kind, Kind::ping);
  for (const char* text :
       {"", "not json", "[]", "42", R"({"type":"subscribe"})", R"({"type":5})", R"({"kind":"auth"})"}) {
    EXPECT_EQ(decode_client_message(text).kind, Kind::other) << text;
  }
}

TEST(ClientMessages, QuerySinceAndEpochRules) {
  EXPECT_EQ(parse_resume_since("0"), 0u);
  EXPECT_EQ(parse_resume_since("41"), 41u);
  EXPECT_EQ(parse_resume_since("9007199254740991"), kMaxResumeSeq);
  for (const char* bad :
       {"", "-1", "+1", "1.0", "1e3", " 1", "9007199254740992", "99999999999999999", "0x10"}) {
    EXPECT_FALSE(parse_resume_since(bad)) << bad;
  }
  EXPECT_TRUE(is_valid_epoch("5f0c2a9e1b7d4c36"));
  EXPECT_TRUE(is_valid_epoch("A-z_0"));
  EXPECT_TRUE(is_valid_epoch(std::string(64, 'a')));
  EXPECT_FALSE(is_valid_epoch(std::string(65, 'a')));
  EXPECT_FALSE(is_valid_epoch(""));
  EXPECT_FALSE(is_valid_epoch("a b"));
  EXPECT_FALSE(is_valid_epoch("é"));
}

TEST(ClientMessages, StreamOptionsAreParsedStrictly) {
  auto none = decode_client_message(R"({"type":"auth","token":"t"})");
  EXPECT_FALSE(none.options) << "nothing asked: nothing to echo, today's stream";

  auto all = decode_client_message(
      R"({"type":"auth","token":"t","format":"compact","flush_ms":50,"coalesce":true})");
  ASSERT_EQ(all.kind, Kind::auth);
  ASSERT_TRUE(all.options);
  EXPECT_EQ(*all.options, (StreamOptions{Format::compact, 50, true}));

  auto one = decode_client_message(R"({"type":"auth","token":"t","flush_ms":1000})");
  ASSERT_TRUE(one.options);
  EXPECT_EQ(*one.options, (StreamOptions{Format::json, 1000, false}));

  for (const char* text :
       {R"({"type":"auth","token":"t","format":"xml"})", R"({"type":"auth","token":"t","format":null})",
        R"({"type":"auth","token":"t","flush_ms":1001})", R"({"type":"auth","token":"t","flush_ms":-1})",
        R"({"type":"auth","token":"t","flush_ms":0.5})", R"({"type":"auth","token":"t","flush_ms":"50"})",
        R"({"type":"auth","token":"t","coalesce":1})"}) {
    EXPECT_EQ(decode_client_message(text).kind, Kind::invalid_options) << text;
  }
}

TEST(ClientMessages, StreamOptionsInAQuery) {
  EXPECT_EQ(parse_format("compact"), Format::compact);
  EXPECT_EQ(parse_format("json"), Format::json);
  EXPECT_FALSE(parse_format("JSON"));
  EXPECT_EQ(parse_flush_ms("0"), 0u);
  EXPECT_EQ(parse_flush_ms("1000"), 1000u);
  for (const char* bad : {"", "1001", "-1", "5.0", "0x10", "99999"}) EXPECT_FALSE(parse_flush_ms(bad)) << bad;
  EXPECT_EQ(parse_coalesce("1"), true);
  EXPECT_EQ(parse_coalesce("false"), false);
  EXPECT_FALSE(parse_coalesce("yes"));
}

}  // namespace
}  // namespace fleet::proto
