// The client's side of views (docs/protocol.md, "Views: scope the stream"): a snapshot that answers a
// `view` (its id and `unknown`) and `view_change` frames, as decode_server_message reads them.
#include <gtest/gtest.h>

#include <variant>

#include "proto/message_decode.hpp"

namespace fleet::proto {
namespace {

TEST(ViewMessagesDecode, ScopedSnapshotCarriesItsViewAndUnknownIds) {
  auto m = decode_server_message(
      R"({"type":"snapshot","seq":90,"view":7,"devices":[{"id":"dev_a","name":"A","last":null}],)"
      R"("unknown":["dev_0000","grp_x"]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const auto& s = std::get<SnapshotMessage>(*m);
  EXPECT_EQ(s.seq, 90u);
  EXPECT_EQ(s.view, 7u);
  EXPECT_EQ(s.unknown, (std::vector<std::string>{"dev_0000", "grp_x"}));
  ASSERT_EQ(s.devices.size(), 1u);
}

TEST(ViewMessagesDecode, UnscopedSnapshotHasNoView) {
  auto m = decode_server_message(R"({"type":"snapshot","seq":3,"devices":[]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_FALSE(std::get<SnapshotMessage>(*m).view.has_value());
  EXPECT_TRUE(std::get<SnapshotMessage>(*m).unknown.empty());
}

TEST(ViewMessagesDecode, ViewChange) {
  auto m = decode_server_message(
      R"({"type":"view_change","view":7,"entered":["dev_b"],"left":["dev_a","dev_c"]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const auto& v = std::get<ViewChangeMessage>(*m);
  EXPECT_EQ(v.view, 7u);
  EXPECT_EQ(v.entered, (std::vector<DeviceId>{DeviceId("dev_b")}));
  EXPECT_EQ(v.left, (std::vector<DeviceId>{DeviceId("dev_a"), DeviceId("dev_c")}));
}

TEST(ViewMessagesDecode, ViewChangeMayOmitAnEmptySide) {
  auto m = decode_server_message(R"({"type":"view_change","view":1,"left":["dev_a"]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(std::get<ViewChangeMessage>(*m).entered.empty());
}

TEST(ViewMessagesDecode, MistypedMembersAreErrorsNamingThem) {
  struct Case {
    const char* text;
    const char* field;
  };
  for (const Case& c : {
           Case{R"({"type":"snapshot","seq":1,"view":-1,"devices":[]})", "view"},
           Case{R"({"type":"snapshot","seq":1,"view":"7","devices":[]})", "view"},
           Case{R"({"type":"snapshot","seq":1,"unknown":[1],"devices":[]})", "unknown"},
           Case{R"({"type":"view_change","entered":[]})", "view"},
           Case{R"({"type":"view_change","view":1,"entered":"dev_a"})", "entered"},
           Case{R"({"type":"view_change","view":1,"left":[null]})", "left"},
       }) {
    auto m = decode_server_message(c.text);
    ASSERT_FALSE(m.has_value()) << c.text;
    EXPECT_EQ(m.error().field, c.field) << c.text;
  }
}

}  // namespace
}  // namespace fleet::proto
