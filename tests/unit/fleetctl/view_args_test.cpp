// fleetctl watch's view flags: --bbox W,S,E,N, --device, --group (repeatable) and --min-interval-ms, each
// checked with an error naming the flag, so a typo never becomes a view the server closes the session for.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

#include "view_args.hpp"

namespace fleetctl {
namespace {

constexpr FlagSpec kSpecs[] = {
    {"bbox", "W,S,E,N", ""},
    {"device", "ID", ""},
    {"group", "ID", ""},
    {"min-interval-ms", "N", ""},
};

const std::string kDev = "dev_0123456789abcdef0123456789abcdef";
const std::string kGroup = "grp_0123456789abcdef0123456789abcdef";

fleet::Result<std::optional<fleet::View>> view_of(std::initializer_list<std::string> words) {
  std::vector<std::string> strings(words.begin(), words.end());
  std::vector<char*> argv;
  for (std::string& s : strings) argv.push_back(s.data());
  auto args = Args::parse(kSpecs, argv);
  EXPECT_TRUE(args.has_value());
  return view_from_args(*args);
}

std::string error_of(std::initializer_list<std::string> words) {
  auto v = view_of(words);
  return v ? "(accepted)" : v.error().message;
}

TEST(ViewArgs, NoFlagsNoView) {
  auto v = view_of({});
  ASSERT_TRUE(v.has_value());
  EXPECT_FALSE(v->has_value());
}

TEST(ViewArgs, RepeatedFlagsAllCountInOrder) {
  auto v = view_of({"--bbox", "2.25,48.81,2.42,48.9", "--device", kDev, "--bbox=-10.5,-1,-9,0", "--group",
                    kGroup, "--min-interval-ms", "1000"});
  ASSERT_TRUE(v.has_value()) << v.error().message;
  ASSERT_TRUE(v->has_value());
  const fleet::View& view = **v;
  EXPECT_EQ(view.boxes, (std::vector<fleet::GeoBox>{fleet::GeoBox{2.25, 48.81, 2.42, 48.9},
                                                    fleet::GeoBox{-10.5, -1, -9, 0}}));
  EXPECT_EQ(view.devices, std::vector<fleet::DeviceId>{fleet::DeviceId(kDev)});
  EXPECT_EQ(view.groups, std::vector<std::string>{kGroup});
  EXPECT_EQ(view.min_interval_ms, 1000u);
}

TEST(ViewArgs, AnAntimeridianBoxIsFine) {
  auto v = view_of({"--bbox", "170,-20,-170,20"});
  ASSERT_TRUE(v.has_value()) << v.error().message;
  EXPECT_EQ((*v)->boxes[0].west, 170);
}

TEST(ViewArgs, AMinimumIntervalAloneIsAView) {
  auto v = view_of({"--min-interval-ms", "0"});
  ASSERT_TRUE(v.has_value()) << v.error().message;
  ASSERT_TRUE(v->has_value());
  EXPECT_TRUE((*v)->whole_tenant());
}

TEST(ViewArgs, BadValuesNameTheFlagAndTheProblem) {
  EXPECT_EQ(error_of({"--bbox", "1,2,3"}), "--bbox must be W,S,E,N in degrees (four numbers), got \"1,2,3\"");
  EXPECT_EQ(error_of({"--bbox", "1,2,3,4,5"}),
            "--bbox must be W,S,E,N in degrees (four numbers), got \"1,2,3,4,5\"");
  EXPECT_EQ(error_of({"--bbox", "1,x,3,4"}),
            "--bbox must be W,S,E,N in degrees (\"x\" is not a number), got \"1,x,3,4\"");
  EXPECT_EQ(error_of({"--bbox", "1,,3,4"}),
            "--bbox must be W,S,E,N in degrees (\"\" is not a number), got \"1,,3,4\"");
  EXPECT_EQ(error_of({"--bbox", "1,2,3,nan"}),
            "--bbox must be W,S,E,N in degrees (\"nan\" is not a number), got \"1,2,3,nan\"");
  EXPECT_EQ(error_of({"--bbox", "190,0,1,1"}),
            "--bbox must be W,S,E,N in degrees (west 190 is not in -180..180), got \"190,0,1,1\"");
  EXPECT_EQ(error_of({"--bbox", "0,-95,1,1"}),
            "--bbox must be W,S,E,N in degrees (south -95 is not in -90..90), got \"0,-95,1,1\"");
  EXPECT_EQ(error_of({"--bbox", "0,2,1,1"}),
            "--bbox must be W,S,E,N in degrees (south 2 is above north 1), got \"0,2,1,1\"");
  EXPECT_EQ(error_of({"--device", "truck7"}), "--device: not a device id: \"truck7\"");
  EXPECT_EQ(error_of({"--device", kDev, "--device", kDev}), "--device: duplicate device id: " + kDev);
  EXPECT_EQ(error_of({"--group", "grp_1"}), "--group: not a group id: \"grp_1\"");
  EXPECT_EQ(error_of({"--min-interval-ms", "50"}), "--min-interval-ms must be 0 or 100..10000, got 50");
  EXPECT_EQ(error_of({"--min-interval-ms", "10001"}), "--min-interval-ms must be 0 or 100..10000, got 10001");
  EXPECT_EQ(error_of({"--min-interval-ms", "1s"}), "--min-interval-ms must be an integer, got \"1s\"");
}

TEST(ViewArgs, TooManyBoxes) {
  auto v = view_of({"--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1",
                    "--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1",
                    "--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1", "--bbox=0,0,1,1",
                    "--bbox=0,0,1,1", "--bbox=0,0,1,1"});
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().message, "--bbox: at most 16 boxes, got 17");
}

TEST(ViewLines, ViewAppliedAndViewChangeAsJsonLines) {
  EXPECT_EQ(view_applied_line(7, {"dev_x", "grp_\"y"}),
            R"({"type":"view_applied","view":7,"unknown":["dev_x","grp_\"y"]})");
  EXPECT_EQ(view_applied_line(8, {}), R"({"type":"view_applied","view":8,"unknown":[]})");
  fleet::proto::ViewChangeMessage m;
  m.view = 9;
  m.entered = {fleet::DeviceId("dev_a")};
  m.left = {fleet::DeviceId("dev_b"), fleet::DeviceId("dev_c")};
  EXPECT_EQ(view_change_line(m),
            R"({"type":"view_change","view":9,"entered":["dev_a"],"left":["dev_b","dev_c"]})");
}

}  // namespace
}  // namespace fleetctl
