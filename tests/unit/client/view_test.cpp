// fleet::validate(View) and the `view` message the client writes (docs/protocol.md, "Views"): the client's
// checks match what the server accepts (proto::decode_view), with a message naming the problem.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fleet/view.hpp"

namespace fleet {
namespace {

const std::string kDev = "dev_0123456789abcdef0123456789abcdef";
const std::string kGroup = "grp_0123456789abcdef0123456789abcdef";

// What the server makes of the message the client would send.
std::optional<View> server_reads(const View& v) {
  const boost::json::value parsed = boost::json::parse(encode_view(v, 9));
  return proto::decode_view(parsed.get_object());
}

TEST(View, TheServerReadsBackWhatTheClientEncodes) {
  View v;
  v.boxes = {GeoBox{170.5, -10, -170.25, 10}, GeoBox{-180, -90, 180, 90}};
  v.groups = {kGroup};
  v.devices = {DeviceId(kDev)};
  v.min_interval_ms = 10'000;
  ASSERT_EQ(validate(v), "");
  auto back = server_reads(v);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->id, std::optional<std::uint64_t>(9));
  EXPECT_EQ(back->boxes, v.boxes);
  EXPECT_EQ(back->groups, v.groups);
  EXPECT_EQ(back->devices, v.devices);
  EXPECT_EQ(back->min_interval_ms, v.min_interval_ms);
}

TEST(View, TheWholeTenantIsJustTypeAndId) {
  EXPECT_EQ(encode_view(View{}, 3), R"({"type":"view","id":3})");
  EXPECT_EQ(validate(View{}), "");
}

TEST(View, EveryRefusalIsNamedAndTheServerRefusesItToo) {
  struct Case {
    View view;
    std::string error;
  };
  const auto box = [](double w, double s, double e, double n) {
    View v;
    v.boxes.push_back(GeoBox{w, s, e, n});
    return v;
  };
  std::vector<Case> cases{
      {box(-181, 0, 1, 1), "box 1: west -181 is not in -180..180"},
      {box(0, 0, 180.5, 1), "box 1: east 180.5 is not in -180..180"},
      {box(0, -91, 1, 1), "box 1: south -91 is not in -90..90"},
      {box(0, 0, 1, 90.25), "box 1: north 90.25 is not in -90..90"},
      {box(0, 2, 1, 1), "box 1: south 2 is above north 1"},
  };
  View many_boxes;
  many_boxes.boxes.assign(proto::kMaxViewBoxes + 1, GeoBox{0, 0, 1, 1});
  cases.push_back({many_boxes, "at most 16 boxes, got 17"});
  View bad_group;
  bad_group.groups = {"grp_x"};
  cases.push_back({bad_group, "not a group id: \"grp_x\""});
  View twice;
  twice.devices = {DeviceId(kDev), DeviceId(kDev)};
  cases.push_back({twice, "duplicate device id: " + kDev});
  View bad_device;
  bad_device.devices = {DeviceId("truck 7")};
  cases.push_back({bad_device, "not a device id: \"truck 7\""});
  View many_groups;
  for (std::size_t i = 0; i <= proto::kMaxViewGroups; ++i) {
    std::string g = kGroup;
    g[g.size() - 1] = "0123456789abcdef"[i % 16];
    g[g.size() - 2] = "0123456789abcdef"[i / 16];
    many_groups.groups.push_back(g);
  }
  cases.push_back({many_groups, "at most 16 group ids, got 17"});
  View fast;
  fast.min_interval_ms = 99;
  cases.push_back({fast, "min_interval_ms must be 0 or 100..10000, got 99"});
  View slow;
  slow.min_interval_ms = 10'001;
  cases.push_back({slow, "min_interval_ms must be 0 or 100..10000, got 10001"});
  for (const Case& c : cases) {
    EXPECT_EQ(validate(c.view), c.error);
    EXPECT_FALSE(server_reads(c.view).has_value()) << c.error;
  }
}

}  // namespace
}  // namespace fleet
