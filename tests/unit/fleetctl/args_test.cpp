// Args::parse and its typed getters: every sub-command's flags go through here, so a parsing slip would
// silently change what a command sends.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "cli.hpp"

namespace fleetctl {
namespace {

constexpr FlagSpec kSpecs[] = {
    {"user", "U", "a string"},  {"count", "N", "an integer"}, {"lat", "DEG", "a number"},
    {"file", "PATH", "a path"}, {"verbose", "", "a switch"},
};

// Owns the strings argv points into.
fleet::Result<Args> parse(std::initializer_list<const char*> words) {
  std::vector<std::string> strings(words.begin(), words.end());
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  return Args::parse(kSpecs, argv);
}

std::string error_of(std::initializer_list<const char*> words) {
  auto a = parse(words);
  if (a) return "(parsed)";
  return a.error().message;
}

TEST(Args, SeparateAndInlineValues) {
  auto a = parse({"--user", "alice", "--count=3", "--lat=-33.8688"});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->get("user"), "alice");
  EXPECT_EQ(a->get("count"), "3");
  EXPECT_EQ(a->get("lat"), "-33.8688");
  EXPECT_FALSE(a->has("file"));
  EXPECT_EQ(a->get("file"), std::nullopt);
  EXPECT_EQ(a->get_or("file", "fallback"), "fallback");
  EXPECT_TRUE(a->positional().empty());
}

TEST(Args, InlineValueKeepsEverythingAfterTheFirstEquals) {
  auto a = parse({"--user=a=b", "--file="});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->get("user"), "a=b");
  // Given but empty is not absent: the command decides whether "" is acceptable.
  EXPECT_TRUE(a->has("file"));
  EXPECT_EQ(a->get("file"), "");
}

TEST(Args, BooleanSwitches) {
  auto a = parse({"--verbose"});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_TRUE(a->has("verbose"));
  EXPECT_FALSE(parse({})->has("verbose"));
  EXPECT_EQ(error_of({"--verbose=yes"}), "--verbose takes no value");
  // A switch never swallows the next word.
  auto b = parse({"--verbose", "list"});
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->positional(), std::vector<std::string>{"list"});
}

TEST(Args, PositionalsKeepTheirOrderAroundFlags) {
  auto a = parse({"add", "--user", "alice", "Truck 7", "-"});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->positional(), (std::vector<std::string>{"add", "Truck 7", "-"}));
  EXPECT_EQ(a->get("user"), "alice");
}

TEST(Args, DoubleDashEndsFlags) {
  auto a = parse({"--user", "alice", "--", "--user", "-x", "--"});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->get("user"), "alice");
  EXPECT_EQ(a->positional(), (std::vector<std::string>{"--user", "-x", "--"}));
}

TEST(Args, ServerAndHelpAreAcceptedByEveryCommand) {
  std::vector<std::string> strings = {"--server", "http://h:1", "--help"};
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  auto a = Args::parse({}, argv);  // a command without flags of its own
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->get("server"), "http://h:1");
  EXPECT_TRUE(a->has("help"));
  auto h = parse({"-h"});
  ASSERT_TRUE(h.has_value());
  EXPECT_TRUE(h->has("help"));
}

TEST(Args, UnknownFlagIsAUsageErrorNamingIt) {
  auto a = parse({"--nope", "1"});
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, fleet::ErrorCode::bad_request);
  EXPECT_EQ(a.error().message, "unknown flag --nope");
  EXPECT_EQ(error_of({"--nope=1"}), "unknown flag --nope");
  EXPECT_EQ(error_of({"-x"}), "unknown flag -x");
  EXPECT_EQ(error_of({"--USER", "a"}), "unknown flag --USER");  // names are case-sensitive
}

TEST(Args, MissingValueNamesTheFlag) {
  EXPECT_EQ(error_of({"--user"}), "--user needs a value");
  EXPECT_EQ(error_of({"add", "--count"}), "--count needs a value");
  EXPECT_EQ(error_of({"--server"}), "--server needs a value");
}

TEST(Args, ValuesMayStartWithOneDash) {
  // Southern and western coordinates, and "-" for stdin.
  auto a = parse({"--lat", "-33.8688", "--file", "-", "--user", "-x"});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->get("lat"), "-33.8688");
  EXPECT_EQ(a->get("file"), "-");
  EXPECT_EQ(a->get("user"), "-x");
}

TEST(Args, AFlagIsNotTakenAsTheValueOfTheFlagBefore) {
  // `token --user --org org_acme` must not mint a token for user "--org": the value was forgotten.
  auto a = parse({"--user", "--count", "3"});
  ASSERT_FALSE(a.has_value());
  EXPECT_NE(a.error().message.find("--user needs a value"), std::string::npos) << a.error().message;
  EXPECT_NE(error_of({"--user", "--"}).find("--user needs a value"), std::string::npos);
  // Spelled inline, such a value is clearly meant.
  auto b = parse({"--user=--count"});
  ASSERT_TRUE(b.has_value()) << b.error().message;
  EXPECT_EQ(b->get("user"), "--count");
}

TEST(Args, RepeatedFlagsTakeTheLastValue) {
  // Like most CLIs; main.cpp relies on it so that a command's --server overrides the global one.
  auto a = parse({"--user", "alice", "--user=bob", "--verbose", "--verbose"});
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_EQ(a->get("user"), "bob");
  EXPECT_TRUE(a->has("verbose"));
}

TEST(Args, Numbers) {
  auto a = parse({"--lat", "-33.8688", "--count", "1e2"});
  ASSERT_TRUE(a.has_value());
  auto lat = a->number("lat");
  ASSERT_TRUE(lat.has_value()) << lat.error().message;
  EXPECT_DOUBLE_EQ(lat->value(), -33.8688);
  EXPECT_DOUBLE_EQ(a->number("count")->value(), 100);
  auto absent = a->number("file");
  ASSERT_TRUE(absent.has_value());
  EXPECT_EQ(*absent, std::nullopt);
}

TEST(Args, BadNumbersNameTheFlagAndTheValue) {
  for (const char* bad : {"abc", "", "12x", "1,5", " 1", "nan", "inf", "-inf", "1e999"}) {
    auto a = parse({"--lat", bad});
    if (!a) {
      // "" as a separate word is still a value; only a missing word is refused by parse().
      ADD_FAILURE() << bad << ": " << a.error().message;
      continue;
    }
    auto n = a->number("lat");
    ASSERT_FALSE(n.has_value()) << bad;
    EXPECT_EQ(n.error().code, fleet::ErrorCode::bad_request);
    EXPECT_EQ(n.error().message, "--lat must be a number, got \"" + std::string(bad) + "\"");
  }
}

TEST(Args, Integers) {
  auto a = parse({"--count", "-7", "--lat", "9223372036854775807"});
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->integer("count")->value(), -7);
  EXPECT_EQ(a->integer("lat")->value(), 9223372036854775807LL);
  auto absent = a->integer("file");
  ASSERT_TRUE(absent.has_value());
  EXPECT_EQ(*absent, std::nullopt);
}

TEST(Args, BadOrOutOfRangeIntegersNameTheFlag) {
  for (const char* bad : {"4.5", "abc", "", "3x", "0x10", "1e3", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999"}) {
    auto a = parse({"--count", bad});
    ASSERT_TRUE(a.has_value()) << bad;
    auto n = a->integer("count");
    ASSERT_FALSE(n.has_value()) << bad << " parsed as " << n->value_or(0);
    EXPECT_EQ(n.error().message, "--count must be an integer, got \"" + std::string(bad) + "\"");
  }
}

}  // namespace
}  // namespace fleetctl
