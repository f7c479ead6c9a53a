// The `view` message as the server reads it (docs/protocol.md, "Views: scope the stream").
#include <gtest/gtest.h>

#include <string>

#include "proto/client_messages.hpp"

namespace fleet::proto {
namespace {

using Kind = ClientMessage::Kind;

const std::string kDev = "dev_0123456789abcdef0123456789abcdef";
const std::string kGrp = "grp_0123456789abcdef0123456789abcdef";

TEST(ViewSpec, ReadsEveryMember) {
  const auto m =
      decode_client_message(R"({"type":"view","id":7,"boxes":[[2.25,48.81,2.42,48.9],[170,-10,-170,10]],)"
                            R"("groups":[")" +
                            kGrp + R"("],"devices":[")" + kDev + R"("],"min_interval_ms":1000})");
  ASSERT_EQ(m.kind, Kind::view);
  ASSERT_TRUE(m.view);
  EXPECT_EQ(m.view->id, 7u);
  ASSERT_EQ(m.view->boxes.size(), 2u);
  EXPECT_EQ(m.view->boxes[0], (GeoBox{2.25, 48.81, 2.42, 48.9}));
  EXPECT_EQ(m.view->boxes[1], (GeoBox{170, -10, -170, 10})) << "west > east crosses the antimeridian";
  EXPECT_EQ(m.view->groups, std::vector<std::string>{kGrp});
  ASSERT_EQ(m.view->devices.size(), 1u);
  EXPECT_EQ(m.view->devices[0].str(), kDev);
  EXPECT_EQ(m.view->min_interval_ms, 1000u);
  EXPECT_FALSE(m.view->whole_tenant());
}

TEST(ViewSpec, AnEmptyViewIsTheWholeTenant) {
  for (const char* text : {R"({"type":"view"})", R"({"type":"view","min_interval_ms":0})",
                           R"({"type":"view","boxes":[],"devices":[],"groups":[]})"}) {
    const auto m = decode_client_message(text);
    ASSERT_EQ(m.kind, Kind::view) << text;
    EXPECT_TRUE(m.view->whole_tenant()) << text;
  }
}

TEST(ViewSpec, RefusesWhatIsMalformedOutOfRangeOrOverItsLimits) {
  std::string many_boxes = R"({"type":"view","boxes":[)";
  for (int i = 0; i < 17; ++i) many_boxes += std::string(i ? "," : "") + "[0,0,1,1]";
  many_boxes += "]}";
  std::string many_devices = R"({"type":"view","devices":[)";
  for (int i = 0; i < 257; ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "dev_%032x", i);
    many_devices += std::string(i ? "," : "") + '"' + id + '"';
  }
  many_devices += "]}";
  const std::string bad[] = {
      R"({"type":"view","boxes":[[0,0,1]]})",
      R"({"type":"view","boxes":[[0,0,1,1,1]]})",
      R"({"type":"view","boxes":[["0",0,1,1]]})",
      R"({"type":"view","boxes":[[-180.5,0,1,1]]})",
      R"({"type":"view","boxes":[[0,-91,1,1]]})",
      R"({"type":"view","boxes":[[0,0,1,90.1]]})",
      R"({"type":"view","boxes":[[0,2,1,1]]})",
      R"({"type":"view","boxes":{"w":0}})",
      R"({"type":"view","devices":["dev_1"]})",
      R"({"type":"view","devices":[")" + kDev + R"(",")" + kDev + R"("]})",
      R"({"type":"view","devices":")" + kDev + R"("})",
      R"({"type":"view","groups":[")" + kDev + R"("]})",
      R"({"type":"view","min_interval_ms":99})",
      R"({"type":"view","min_interval_ms":10001})",
      R"({"type":"view","min_interval_ms":1000.5})",
      R"({"type":"view","id":-1})",
      R"({"type":"view","id":9007199254740992})",
      R"({"type":"view","bbox":[0,0,1,1]})",
      many_boxes,
      many_devices,
  };
  for (const std::string& text : bad) EXPECT_EQ(decode_client_message(text).kind, Kind::invalid_view) << text;
  EXPECT_EQ(decode_client_message(R"({"type":"view","id":9007199254740991})").kind, Kind::view);
}

TEST(ViewSpec, TheFirstAuthMessageMayCarryAView) {
  const auto m = decode_client_message(R"({"type":"auth","token":"t","view":{"id":3,"boxes":[[0,0,1,1]]}})");
  ASSERT_EQ(m.kind, Kind::auth);
  ASSERT_TRUE(m.view);
  EXPECT_EQ(m.view->id, 3u);
  EXPECT_EQ(m.view->boxes.size(), 1u);
  EXPECT_EQ(decode_client_message(R"({"type":"auth","token":"t","view":{"boxes":[[0,0,1]]}})").kind,
            Kind::invalid_view);
  EXPECT_EQ(decode_client_message(R"({"type":"auth","token":"t","view":[]})").kind, Kind::invalid_view);
}

}  // namespace
}  // namespace fleet::proto
