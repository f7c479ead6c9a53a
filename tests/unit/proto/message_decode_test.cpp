// Round trips between the server encoders (proto/messages.hpp) and the client decoder.
#include "proto/message_decode.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <variant>

namespace fleet::proto {
namespace {

StoredPoint full_point() {
  StoredPoint p;
  p.seq = 42;
  p.device = DeviceId("dev_5f0c");
  p.point.ts_ms = 1'795'000'001'123;
  p.point.lat = 48.8501;
  p.point.lon = 2.3502;
  p.point.speed_kph = 43;
  p.point.heading_deg = 91.5;
  p.point.altitude_m = -12.25;
  p.point.accuracy_m = 3;
  p.point.battery_pct = 88;
  p.point.attributes_json = R"({"door":"closed","temp_c":4.5,"on":true})";
  return p;
}

StoredPoint minimal_point(Seq seq, std::string device) {
  StoredPoint p;
  p.seq = seq;
  p.device = DeviceId(std::move(device));
  p.point.ts_ms = 1'795'000'000'000 + static_cast<std::int64_t>(seq);
  p.point.lat = -33.8688;
  p.point.lon = 151.2093;
  return p;
}

// Member by member: Hello grows with the protocol, and the members a test does not name keep their defaults.
Hello make_hello(std::string tenant, std::string user, std::string role, std::int64_t exp, Seq seq) {
  Hello h;
  h.tenant = std::move(tenant);
  h.user = std::move(user);
  h.role = std::move(role);
  h.token_exp = exp;
  h.server = "fleetd/0.1.0";
  h.seq = seq;
  return h;
}

void expect_same(const StoredPoint& a, const StoredPoint& b) {
  EXPECT_EQ(a.seq, b.seq);
  EXPECT_EQ(a.device, b.device);
  EXPECT_EQ(a.point, b.point);
}

TEST(MessageDecode, HelloRoundTrip) {
  Hello h = make_hello("org_2abc", "user_123", "org:admin", 1'795'000'000, 41);
  auto m = decode_server_message(encode_hello(h));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const auto* got = std::get_if<Hello>(&*m);
  ASSERT_NE(got, nullptr);
  EXPECT_EQ(got->tenant, h.tenant);
  EXPECT_EQ(got->user, h.user);
  EXPECT_EQ(got->role, h.role);
  EXPECT_EQ(got->token_exp, h.token_exp);
  EXPECT_EQ(got->server, h.server);
  EXPECT_EQ(got->seq, h.seq);
}

TEST(MessageDecode, HelloProtocol2Members) {
  Hello h = make_hello("org_2abc", "user_123", "admin", 1'795'000'000, 41);
  h.epoch = "5f0c2a9e1b7d4c36";
  h.token_grace_s = 15;
  for (std::optional<bool> recovered :
       {std::optional<bool>{}, std::optional<bool>{true}, std::optional<bool>{false}}) {
    h.recovered = recovered;
    auto m = decode_server_message(encode_hello(h));
    ASSERT_TRUE(m.has_value()) << m.error().message;
    const Hello& got = std::get<Hello>(*m);
    EXPECT_EQ(got.epoch, "5f0c2a9e1b7d4c36");
    EXPECT_EQ(got.token_grace_s, 15);
    EXPECT_EQ(got.recovered, recovered);
    EXPECT_EQ(got.seq, 41u);
  }
}

TEST(MessageDecode, HelloFromAProtocol1ServerHasNoProtocol2Members) {
  auto m = decode_server_message(
      R"({"type":"hello","protocol":1,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s","seq":7})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const Hello& got = std::get<Hello>(*m);
  EXPECT_EQ(got.epoch, "");
  EXPECT_EQ(got.token_grace_s, 0);
  EXPECT_FALSE(got.recovered.has_value());
}

TEST(MessageDecode, AuthOk) {
  auto m = decode_server_message(R"({"type":"auth_ok","token_exp":1795000060})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  ASSERT_TRUE(std::holds_alternative<AuthOkMessage>(*m));
  EXPECT_EQ(std::get<AuthOkMessage>(*m).token_exp, 1'795'000'060);
  // And what the server's encoder writes.
  auto encoded = decode_server_message(encode_auth_ok(1'795'000'123));
  ASSERT_TRUE(encoded.has_value()) << encoded.error().message;
  EXPECT_EQ(std::get<AuthOkMessage>(*encoded).token_exp, 1'795'000'123);
}

TEST(MessageDecode, TelemetrySkipped) {
  auto m = decode_server_message(
      R"({"type":"telemetry","skipped":37,"events":[{"seq":80,"device":"d","ts":1,"lat":1,"lon":2}]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const auto& t = std::get<TelemetryMessage>(*m);
  EXPECT_EQ(t.skipped, 37u);
  ASSERT_EQ(t.events.size(), 1u);
  EXPECT_EQ(t.events[0].seq, 80u);
  // Absent means none were left out.
  auto plain = decode_server_message(encode_telemetry(std::vector<StoredPoint>{minimal_point(3, "d")}));
  ASSERT_TRUE(plain.has_value()) << plain.error().message;
  EXPECT_EQ(std::get<TelemetryMessage>(*plain).skipped, 0u);
}

TEST(MessageDecode, HelloWithEscapedStrings) {
  Hello h = make_hello("org \"quoted\"", "üser\n\t\\", "", 0, 0);
  auto m = decode_server_message(encode_hello(h));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(std::get<Hello>(*m).tenant, h.tenant);
  EXPECT_EQ(std::get<Hello>(*m).user, h.user);
  EXPECT_EQ(std::get<Hello>(*m).role, "");
}

TEST(MessageDecode, SnapshotRoundTrip) {
  std::vector<Device> devices(2);
  devices[0].id = DeviceId("dev_a");
  devices[0].name = "Truck 7";
  devices[0].last = full_point();
  devices[1].id = DeviceId("dev_b");
  devices[1].name = "Van \"2\"";
  auto m = decode_server_message(encode_snapshot(41, devices));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const auto& s = std::get<SnapshotMessage>(*m);
  EXPECT_EQ(s.seq, 41u);
  ASSERT_EQ(s.devices.size(), 2u);
  EXPECT_EQ(s.devices[0].id, devices[0].id);
  EXPECT_EQ(s.devices[0].name, "Truck 7");
  ASSERT_TRUE(s.devices[0].last.has_value());
  expect_same(*s.devices[0].last, *devices[0].last);
  EXPECT_EQ(s.devices[1].name, devices[1].name);
  EXPECT_FALSE(s.devices[1].last.has_value());
}

TEST(MessageDecode, EmptySnapshot) {
  auto m = decode_server_message(encode_snapshot(0, {}));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_TRUE(std::get<SnapshotMessage>(*m).devices.empty());
}

TEST(MessageDecode, TelemetryRoundTripViaEncodeTelemetry) {
  std::vector<StoredPoint> points{full_point(), minimal_point(43, "dev_b"), minimal_point(44, "dev_c")};
  auto m = decode_server_message(encode_telemetry(points));
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const auto& t = std::get<TelemetryMessage>(*m);
  ASSERT_EQ(t.events.size(), points.size());
  for (std::size_t i = 0; i < points.size(); ++i) expect_same(t.events[i], points[i]);
  EXPECT_FALSE(t.events[1].point.speed_kph.has_value());
  EXPECT_TRUE(t.events[1].point.attributes_json.empty());
}

TEST(MessageDecode, TelemetryRoundTripViaEncodedBatchSlices) {
  std::vector<StoredPoint> points;
  for (Seq s = 1; s <= 5; ++s) points.push_back(minimal_point(s, "dev_" + std::to_string(s % 2)));
  static proto::DeviceIndex device_index;
  auto batch = encode_batch(TenantId("org_x"), points, device_index);
  // What a session sends when it forwards events [1, 4) of the batch.
  std::string frame(kTelemetryHead);
  frame += batch->slice(1, 3);
  frame += kTelemetryTail;
  auto m = decode_server_message(frame);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  const auto& t = std::get<TelemetryMessage>(*m);
  ASSERT_EQ(t.events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) expect_same(t.events[i], points[i + 1]);
}

TEST(MessageDecode, Pong) {
  auto m = decode_server_message(R"({"type":"pong"})");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(std::holds_alternative<PongMessage>(*m));
}

TEST(MessageDecode, UnknownMembersAreIgnored) {
  auto m = decode_server_message(
      R"({"type":"telemetry","future":1,"events":[{"seq":1,"device":"d","ts":1,"lat":1,"lon":2,"new":"x"}]})");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_DOUBLE_EQ(std::get<TelemetryMessage>(*m).events[0].point.lat, 1.0);
}

TEST(MessageDecode, UnknownTypeIsAnErrorNamingType) {
  auto m = decode_server_message(R"({"type":"gossip"})");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code, ErrorCode::invalid_field);
  EXPECT_EQ(m.error().field, "type");
}

struct BadCase {
  const char* text;
  ErrorCode code;
  const char* field;
};

class MessageDecodeMalformed : public ::testing::TestWithParam<BadCase> {};

TEST_P(MessageDecodeMalformed, IsAnErrorValue) {
  auto m = decode_server_message(GetParam().text);
  ASSERT_FALSE(m.has_value()) << GetParam().text;
  EXPECT_EQ(m.error().code, GetParam().code) << GetParam().text;
  EXPECT_EQ(m.error().field, GetParam().field) << GetParam().text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, MessageDecodeMalformed,
    ::testing::Values(
        BadCase{"", ErrorCode::invalid_json, ""}, BadCase{"{", ErrorCode::invalid_json, ""},
        BadCase{"[]", ErrorCode::invalid_json, ""},
        BadCase{R"({"type":"pong"} x)", ErrorCode::invalid_json, ""},
        BadCase{R"({"type":"pong","type":"hello"})", ErrorCode::invalid_json, ""},
        BadCase{R"({"type":1})", ErrorCode::invalid_field, "type"},
        BadCase{R"({"seq":1})", ErrorCode::invalid_field, "type"},
        BadCase{
            R"({"type":"hello","protocol":1,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s"})",
            ErrorCode::invalid_field, "seq"},
        BadCase{
            R"({"type":"hello","protocol":1,"tenant":5,"user":"u","role":"r","token_exp":1,"server":"s","seq":1})",
            ErrorCode::invalid_field, "tenant"},
        BadCase{R"({"type":"snapshot","seq":-1,"devices":[]})", ErrorCode::invalid_field, "seq"},
        BadCase{R"({"type":"snapshot","seq":1})", ErrorCode::invalid_field, "devices"},
        BadCase{R"({"type":"snapshot","seq":1,"devices":[{"id":"d"}]})", ErrorCode::invalid_field, "name"},
        BadCase{R"({"type":"snapshot","seq":1,"devices":[{"id":"d","name":"n","last":{"seq":1}}]})",
                ErrorCode::invalid_field, "device"},
        BadCase{R"({"type":"telemetry","events":{}})", ErrorCode::invalid_field, "events"},
        BadCase{R"({"type":"telemetry","events":[1]})", ErrorCode::invalid_field, "event"},
        BadCase{R"({"type":"telemetry","events":[{"seq":1,"device":"d","ts":1.5,"lat":1,"lon":2}]})",
                ErrorCode::invalid_field, "ts"},
        BadCase{R"({"type":"telemetry","events":[{"seq":1,"device":"d","ts":1,"lat":"1","lon":2}]})",
                ErrorCode::invalid_field, "lat"},
        BadCase{
            R"({"type":"telemetry","events":[{"seq":1,"device":"d","ts":1,"lat":1,"lon":2,"speed_kph":"x"}]})",
            ErrorCode::invalid_field, "speed_kph"},
        BadCase{
            R"({"type":"telemetry","events":[{"seq":1,"device":"d","ts":1,"lat":1,"lon":2,"attributes":[]}]})",
            ErrorCode::invalid_field, "attributes"},
        // Protocol 2 members: optional, but typed when present (null included).
        BadCase{
            R"({"type":"hello","protocol":2,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s","seq":1,)"
            R"("epoch":5})",
            ErrorCode::invalid_field, "epoch"},
        BadCase{
            R"({"type":"hello","protocol":2,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s","seq":1,)"
            R"("token_grace_s":-1})",
            ErrorCode::invalid_field, "token_grace_s"},
        BadCase{
            R"({"type":"hello","protocol":2,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s","seq":1,)"
            R"("token_grace_s":"15"})",
            ErrorCode::invalid_field, "token_grace_s"},
        BadCase{
            R"({"type":"hello","protocol":2,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s","seq":1,)"
            R"("token_grace_s":18446744073709551615})",
            ErrorCode::invalid_field, "token_grace_s"},
        BadCase{
            R"({"type":"hello","protocol":2,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s","seq":1,)"
            R"("recovered":"true"})",
            ErrorCode::invalid_field, "recovered"},
        BadCase{
            R"({"type":"hello","protocol":2,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s","seq":1,)"
            R"("recovered":1})",
            ErrorCode::invalid_field, "recovered"},
        BadCase{
            R"({"type":"hello","protocol":2,"tenant":"t","user":"u","role":"r","token_exp":1,"server":"s","seq":1,)"
            R"("recovered":null})",
            ErrorCode::invalid_field, "recovered"},
        BadCase{R"({"type":"telemetry","skipped":-1,"events":[]})", ErrorCode::invalid_field, "skipped"},
        BadCase{R"({"type":"telemetry","skipped":1.5,"events":[]})", ErrorCode::invalid_field, "skipped"},
        BadCase{R"({"type":"telemetry","skipped":"3","events":[]})", ErrorCode::invalid_field, "skipped"},
        BadCase{R"({"type":"telemetry","skipped":null,"events":[]})", ErrorCode::invalid_field, "skipped"},
        BadCase{R"({"type":"auth_ok"})", ErrorCode::invalid_field, "token_exp"},
        BadCase{R"({"type":"auth_ok","token_exp":"1795000060"})", ErrorCode::invalid_field, "token_exp"},
        BadCase{R"({"type":"auth_ok","token_exp":1.5})", ErrorCode::invalid_field, "token_exp"}),
    // Stable names (the default prints the parameter's bytes, pointers included, which differ per run and
    // break ctest's discovered test names).
    [](const ::testing::TestParamInfo<BadCase>& param) { return "case_" + std::to_string(param.index); });

TEST(MessageDecode, EventErrorsCarryTheirIndex) {
  auto m = decode_server_message(
      R"({"type":"telemetry","events":[{"seq":1,"device":"d","ts":1,"lat":1,"lon":2},{"seq":2}]})");
  ASSERT_FALSE(m.has_value());
  ASSERT_TRUE(m.error().index.has_value());
  EXPECT_EQ(*m.error().index, 1u);
}

}  // namespace
}  // namespace fleet::proto
