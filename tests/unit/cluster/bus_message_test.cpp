#include "cluster/bus_message.hpp"

#include <gtest/gtest.h>

#include "cluster_test_batches.hpp"

namespace fleet::cluster {
namespace {

TEST(BusMessage, SubjectIsTheTenantIdWhenSafe) {
  EXPECT_EQ(subject_for(TenantId("org_2abcDEF-9")), "fleet.v1.org_2abcDEF-9");
}

TEST(BusMessage, UnsafeTenantIdsAreHexEncodedAndCannotCollide) {
  // Separators and wildcards must not reach the subject: "a.b" would be two tokens, "*" and ">" wildcards.
  EXPECT_EQ(subject_for(TenantId("a.b")), "fleet.v1.~612e62");
  EXPECT_EQ(subject_for(TenantId(">")), "fleet.v1.~3e");
  EXPECT_EQ(subject_for(TenantId("a b*")), "fleet.v1.~6120622a");
  EXPECT_EQ(subject_for(TenantId("")), "fleet.v1.~");
  EXPECT_NE(subject_for(TenantId("612e62")), subject_for(TenantId("a.b")));
}

TEST(BusMessage, RoundTripsABatch) {
  auto b = test::batch("org_a", 7, 9);
  const std::string payload = encode_bus_message(*b, "node-1", 1'700'000'000'123);
  // The events travel as the batch's own JSON bytes: no re-encoding on the sender.
  EXPECT_NE(payload.find(b->bytes), std::string::npos);
  auto m = decode_bus_message("fleet.v1.org_a", payload);
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->tenant, TenantId("org_a"));
  EXPECT_EQ(m->node, "node-1");
  EXPECT_EQ(m->sent_ms, 1'700'000'000'123);
  const auto expected = test::points(7, 9);
  ASSERT_EQ(m->points.size(), expected.size());
  for (std::size_t k = 0; k < expected.size(); ++k) {
    EXPECT_EQ(m->points[k].seq, expected[k].seq);
    EXPECT_EQ(m->points[k].device, expected[k].device);
    EXPECT_EQ(m->points[k].point, expected[k].point);
  }
}

TEST(BusMessage, RoundTripsAnUnsafeTenant) {
  auto b = test::batch("org a.\"x\"", 1, 1);
  auto m = decode_bus_message(subject_for(b->tenant), encode_bus_message(*b, "n", 1));
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->tenant, b->tenant);
}

TEST(BusMessage, RefusesATenantOtherThanTheSubjects) {
  auto b = test::batch("org_a", 1, 2);
  auto m = decode_bus_message("fleet.v1.org_b", encode_bus_message(*b, "n", 1));
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().field, "tenant");
}

TEST(BusMessage, RefusesBadPayloads) {
  const std::string subject = "fleet.v1.org_a";
  const std::string event =
      R"({"seq":1,"device":"dev_0123456789abcdef0123456789abcdef","ts":1,"lat":1,"lon":2})";
  const std::string head = R"({"type":"telemetry","tenant":"org_a","node":"n","sent_ms":1,"events":)";
  struct Case {
    std::string payload;
    ErrorCode code;
  };
  const std::vector<Case> cases{
      {"", ErrorCode::invalid_json},
      {"not json", ErrorCode::invalid_json},
      {"[1]", ErrorCode::invalid_json},
      {head + "[" + event + "]", ErrorCode::invalid_json},  // truncated
      {head + "[]}", ErrorCode::invalid_field},             // empty
      {head + "{}}", ErrorCode::invalid_field},
      {head + "[" + event + "," + event + "]}", ErrorCode::invalid_field},  // seq not ascending
      {head + R"([{"seq":1}]})", ErrorCode::invalid_field},                 // an incomplete event
      {R"({"type":"hello","tenant":"org_a","node":"n","sent_ms":1,"events":[)" + event + "]}",
       ErrorCode::invalid_field},
      {R"({"type":"telemetry","node":"n","sent_ms":1,"events":[)" + event + "]}", ErrorCode::invalid_field},
      {R"({"type":"telemetry","tenant":"org_a","sent_ms":1,"events":[)" + event + "]}",
       ErrorCode::invalid_field},
      {R"({"type":"telemetry","tenant":"org_a","node":"n","sent_ms":"1","events":[)" + event + "]}",
       ErrorCode::invalid_field},
      {R"({"type":"telemetry","tenant":"org_a","tenant":"org_a","node":"n","sent_ms":1,"events":[)" + event +
           "]}",
       ErrorCode::invalid_json},  // duplicate member
  };
  for (const Case& c : cases) {
    auto m = decode_bus_message(subject, c.payload);
    ASSERT_FALSE(m) << c.payload;
    EXPECT_EQ(m.error().code, c.code) << c.payload << ": " << m.error().message;
  }
  auto ok = decode_bus_message(subject, head + "[" + event + "]}");
  EXPECT_TRUE(ok) << ok.error().message;  // the cases above fail for their own reason only
}

}  // namespace
}  // namespace fleet::cluster
