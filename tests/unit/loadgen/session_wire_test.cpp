// The protocol 2 messages the load generator writes and reads: an auth message the server refuses, or a
// hello read wrongly, would turn the refresh and storm scenarios into measurements of something else.
#include "session_wire.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace loadgen {
namespace {

TEST(SessionWire, AuthMessageAsksForTheStreamOptionsThatWereSet) {
  StreamOptions compact{"compact", 50};
  EXPECT_EQ(auth_message("eyJ.a.b", nullptr, &compact),
            R"({"type":"auth","token":"eyJ.a.b","format":"compact","flush_ms":50})");
  StreamOptions window_only{"", 0};
  EXPECT_EQ(auth_message("eyJ.a.b", nullptr, &window_only),
            R"({"type":"auth","token":"eyJ.a.b","flush_ms":0})");
  StreamOptions none;
  EXPECT_FALSE(none.any());
  EXPECT_EQ(auth_message("eyJ.a.b", nullptr, &none), R"({"type":"auth","token":"eyJ.a.b"})");
}

TEST(SessionWire, ReadsTheEchoedFormat) {
  const auto h = parse_hello(
      R"({"type":"hello","protocol":2,"seq":3,"epoch":"e1","format":"compact","flush_ms":50,"coalesce":false})");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->format, "compact");
  EXPECT_EQ(parse_hello(R"({"type":"hello","protocol":2,"seq":3})")->format, "");
}

TEST(SessionWire, AuthMessageCarriesTheTokenOnly) {
  EXPECT_EQ(auth_message("eyJ.a.b"), R"({"type":"auth","token":"eyJ.a.b"})");
}

TEST(SessionWire, ResumingAuthMessageCarriesSinceAndEpoch) {
  const ResumePoint at{41, "5f0c2a9e1b7d4c36"};
  EXPECT_EQ(auth_message("eyJ.a.b", &at),
            R"({"type":"auth","token":"eyJ.a.b","since":41,"epoch":"5f0c2a9e1b7d4c36"})");
}

TEST(SessionWire, AuthMessageIsValidJsonWhateverTheStringsHold) {
  const ResumePoint at{0, "a\"b\\c"};
  const auto doc = boost::json::parse(auth_message("t\"o\nk", &at)).as_object();
  EXPECT_EQ(doc.at("token").as_string(), "t\"o\nk");
  EXPECT_EQ(doc.at("epoch").as_string(), "a\"b\\c");
}

TEST(SessionWire, ReadsAFleetdHello) {
  const auto h = parse_hello(
      R"({"type":"hello","protocol":2,"tenant":"org_1","user":"user_1","role":"member","token_exp":1795000000,)"
      R"("server":"fleetd/0.1.0","seq":41,"epoch":"5f0c2a9e1b7d4c36","token_grace_s":15,"recovered":true})");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->seq, 41u);
  EXPECT_EQ(h->epoch, "5f0c2a9e1b7d4c36");
  EXPECT_EQ(h->recovered, true);
}

TEST(SessionWire, TellsRecoveredFalseFromAbsent) {
  const auto refused = parse_hello(R"({"type":"hello","seq":7,"epoch":"e1","recovered":false})");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->recovered, false);
  const auto fresh = parse_hello(R"({"type":"hello","seq":7,"epoch":"e1"})");
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(fresh->recovered.has_value());
}

TEST(SessionWire, AProtocol1HelloHasNoEpoch) {
  const auto h = parse_hello(R"({"type":"hello","tenant":"org_1","user":"u","role":"admin","seq":0})");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->seq, 0u);
  EXPECT_TRUE(h->epoch.empty());
}

TEST(SessionWire, OnlyAHelloWithASeqIsAHello) {
  EXPECT_FALSE(parse_hello(R"({"type":"auth_ok","token_exp":1795000060})"));
  EXPECT_FALSE(parse_hello(R"({"type":"hello","tenant":"org_1"})"));
  EXPECT_FALSE(parse_hello(R"({"type":"snapshot","seq":3,"devices":[]})"));
}

}  // namespace
}  // namespace loadgen
