#include "api/telemetry_codec.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>

#include <string>

namespace fleet::api {
namespace {

constexpr std::int64_t kNow = 1'795'523'696'000;  // 2026-11-24T12:34:56Z

std::string pt(const std::string& extra = "") {
  return R"({"ts":"2026-11-24T12:34:56Z","lat":52.5,"lon":13.4)" + extra + "}";
}

std::string array_of(std::size_t n) {
  std::string body = "[";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) body += ',';
    body += pt();
  }
  return body + "]";
}

Result<std::vector<TelemetryPoint>> parse(const std::string& body, const IngestLimits& limits = {}) {
  return parse_telemetry_body(body, limits, kNow);
}

void expect_point_error(const std::string& body, std::size_t index, const std::string& field) {
  auto r = parse(body);
  ASSERT_FALSE(r.has_value()) << body;
  EXPECT_EQ(r.error().code, ErrorCode::invalid_point) << body << " -> " << r.error().message;
  EXPECT_EQ(r.error().index, index) << body;
  EXPECT_EQ(r.error().field, field) << body << " -> " << r.error().message;
}

TEST(TelemetryCodec, SingleObjectWithAllFields) {
  auto r =
      parse(pt(R"(,"speed_kph":50,"heading_deg":359.5,"altitude_m":-3,"accuracy_m":4.5,"battery_pct":100,)"
               R"("attributes":{"z":1,"a":"x","m":true,"f":-2.5})"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const TelemetryPoint& p = r->front();
  EXPECT_EQ(p.ts_ms, kNow);
  EXPECT_EQ(p.lat, 52.5);
  EXPECT_EQ(p.lon, 13.4);
  EXPECT_EQ(p.speed_kph, 50.0);
  EXPECT_EQ(p.heading_deg, 359.5);
  EXPECT_EQ(p.altitude_m, -3.0);
  EXPECT_EQ(p.accuracy_m, 4.5);
  EXPECT_EQ(p.battery_pct, 100.0);
  EXPECT_EQ(p.attributes_json, R"({"a":"x","f":-2.5,"m":true,"z":1})");
}

TEST(TelemetryCodec, IntegerEpochAndOffsetTimestamps) {
  auto r = parse(
      R"([{"ts":1795523696000,"lat":0,"lon":0},{"ts":"2026-11-24T14:34:56.5+02:00","lat":-90,"lon":180}])");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].ts_ms, kNow);
  EXPECT_EQ((*r)[1].ts_ms, kNow + 500);
  EXPECT_FALSE((*r)[0].speed_kph);
  EXPECT_TRUE((*r)[0].attributes_json.empty());
}

TEST(TelemetryCodec, NullOptionalsAreAbsent) {
  auto r = parse(pt(R"(,"speed_kph":null,"battery_pct":null,"attributes":null)"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_FALSE(r->front().speed_kph);
  EXPECT_FALSE(r->front().battery_pct);
  EXPECT_TRUE(r->front().attributes_json.empty());
}

TEST(TelemetryCodec, AttributesAreCanonicalAndEscaped) {
  auto a = parse(pt(R"(,"attributes":{"b":"q\"uote\u00e9","a":12345678901234})"));
  auto b = parse(pt(R"(,"attributes":{"a":12345678901234,"b":"q\"uote\u00e9"})"));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->front().attributes_json, b->front().attributes_json);
  EXPECT_EQ(a->front().attributes_json, "{\"a\":12345678901234,\"b\":\"q\\\"uote\xc3\xa9\"}");
}

TEST(TelemetryCodec, AttributeEscapingMatchesBoostJsonForEveryAsciiCharacter) {
  // The codec escapes attribute strings itself (no temporary per string); the stored text must stay
  // byte-identical to what boost::json::serialize produced before.
  std::string escaped_value, decoded_value;
  char buf[8];
  for (int c = 0; c < 0x80; ++c) {
    std::snprintf(buf, sizeof buf, "\\u%04x", c);
    escaped_value += buf;
    decoded_value += static_cast<char>(c);
  }
  const std::string key = "k\\\"\\n\\u0001\\u001f/\u00e9";  // k"<LF><SOH><US>/e-acute
  auto r = parse(pt(",\"attributes\":{\"" + key + "\":\"" + escaped_value + "\",\"plain\":\"caf\u00e9\"}"));
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const std::string decoded_key = "k\"\n\x01\x1f/\xc3\xa9";
  const std::string expected = "{" + boost::json::serialize(boost::json::string(decoded_key)) + ":" +
                               boost::json::serialize(boost::json::string(decoded_value)) +
                               ",\"plain\":" + boost::json::serialize(boost::json::string("caf\xc3\xa9")) +
                               "}";
  EXPECT_EQ(r->front().attributes_json, expected);
}

TEST(TelemetryCodec, ArrayLimits) {
  auto ok = parse(array_of(1000));
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->size(), 1000u);

  auto too_many = parse(array_of(1001));
  ASSERT_FALSE(too_many.has_value());
  EXPECT_EQ(too_many.error().code, ErrorCode::payload_too_large);

  auto empty = parse("[]");
  ASSERT_FALSE(empty.has_value());
  EXPECT_EQ(empty.error().code, ErrorCode::invalid_field);

  IngestLimits small;
  small.max_points = 2;
  auto three = parse(array_of(3), small);
  ASSERT_FALSE(three.has_value());
  EXPECT_EQ(three.error().code, ErrorCode::payload_too_large);
}

TEST(TelemetryCodec, BodySizeCheckedBeforeParsing) {
  std::string big(1024 * 1024 + 1, ' ');  // not even JSON: size must be refused first
  auto r = parse(big);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::payload_too_large);

  std::string padded = pt();
  padded.append(1024 * 1024 - padded.size(), ' ');  // exactly 1 MiB is allowed
  EXPECT_TRUE(parse(padded).has_value());
}

TEST(TelemetryCodec, BadPointNamesIndexAndField) {
  std::string body = "[" + pt() + "," + pt() + "," + pt() + "," + pt(R"(,"speed_kph":-5)") + "," + pt() + "]";
  expect_point_error(body, 3, "speed_kph");
  body = "[" + pt() + "," + pt() + "," + pt() + R"(,{"ts":"2026-11-24T12:34:56Z","lat":"52","lon":1}])";
  expect_point_error(body, 3, "lat");
}

TEST(TelemetryCodec, FieldErrors) {
  expect_point_error(R"({"lat":1,"lon":2})", 0, "ts");
  expect_point_error(R"({"ts":1795523696000,"lon":2})", 0, "lat");
  expect_point_error(R"({"ts":1795523696000,"lat":1})", 0, "lon");
  expect_point_error(R"({"ts":"2026-02-30T00:00:00Z","lat":1,"lon":2})", 0, "ts");
  expect_point_error(R"({"ts":"2026-11-24T12:34:56","lat":1,"lon":2})", 0, "ts");
  expect_point_error(R"({"ts":1795523696000.5,"lat":1,"lon":2})", 0, "ts");
  expect_point_error(R"({"ts":true,"lat":1,"lon":2})", 0, "ts");
  expect_point_error(R"({"ts":1795523696000,"lat":null,"lon":2})", 0, "lat");
  expect_point_error(R"({"ts":1795523696000,"lat":91,"lon":2})", 0, "lat");
  expect_point_error(R"({"ts":1795523696000,"lat":1,"lon":-181})", 0, "lon");
  expect_point_error(pt(R"(,"heading_deg":360)"), 0, "heading_deg");
  expect_point_error(pt(R"(,"battery_pct":"full")"), 0, "battery_pct");
  expect_point_error(pt(R"(,"accuracy_m":-1)"), 0, "accuracy_m");
  expect_point_error(pt(R"(,"altitude_m":200000)"), 0, "altitude_m");
  // Too far in the future relative to the server's clock.
  expect_point_error(R"({"ts":1795524296001,"lat":1,"lon":2})", 0, "ts");
  expect_point_error(R"({"ts":"1999-12-31T23:59:59Z","lat":1,"lon":2})", 0, "ts");
}

TEST(TelemetryCodec, UnknownMemberRefused) {
  expect_point_error(pt(R"(,"colour":"red")"), 0, "colour");
  expect_point_error("[" + pt() + "," + pt(R"(,"Lat":1)") + "]", 1, "Lat");
}

TEST(TelemetryCodec, NonObjectPointsRefused) {
  expect_point_error("[" + pt() + ",5]", 1, "");
  expect_point_error(R"("hello")", 0, "");
  expect_point_error("[[" + pt() + "]]", 0, "");
}

TEST(TelemetryCodec, DuplicateKeysAreInvalidJson) {
  auto r = parse(R"({"ts":1795523696000,"lat":1,"lat":2,"lon":2})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::invalid_json);
  auto nested = parse(pt(R"(,"attributes":{"a":1,"a":2})"));
  ASSERT_FALSE(nested.has_value());
  EXPECT_EQ(nested.error().code, ErrorCode::invalid_json);
}

TEST(TelemetryCodec, SyntaxErrorsAreInvalidJson) {
  for (const char* bad : {"", "{", R"({"ts":1,})", "[1,]", "{} {}", "NaN"}) {
    auto r = parse(bad);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, ErrorCode::invalid_json) << bad;
  }
}

TEST(TelemetryCodec, AttributeRules) {
  expect_point_error(pt(R"(,"attributes":{"a":{"b":1}})"), 0, "attributes");
  expect_point_error(pt(R"(,"attributes":{"a":[1]})"), 0, "attributes");
  expect_point_error(pt(R"(,"attributes":{"a":null})"), 0, "attributes");
  expect_point_error(pt(R"(,"attributes":[1])"), 0, "attributes");
  expect_point_error(pt(R"(,"attributes":"x")"), 0, "attributes");

  const std::string key64(64, 'k'), key65(65, 'k'), val256(256, 'v'), val257(257, 'v');
  EXPECT_TRUE(parse(pt(R"(,"attributes":{")" + key64 + R"(":")" + val256 + R"("})")));
  expect_point_error(pt(R"(,"attributes":{")" + key65 + R"(":1})"), 0, "attributes");
  expect_point_error(pt(R"(,"attributes":{"a":")" + val257 + R"("})"), 0, "attributes");

  auto members = [](int n) {
    std::string s = R"(,"attributes":{)";
    for (int i = 0; i < n; ++i) s += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    return s + "}";
  };
  EXPECT_TRUE(parse(pt(members(32))));
  expect_point_error(pt(members(33)), 0, "attributes");
}

TEST(TelemetryCodec, HugeExponentRefused) {
  // Boost.JSON turns an overflowing literal into infinity; the finiteness check must catch it.
  expect_point_error(pt(R"(,"speed_kph":1e999)"), 0, "speed_kph");
  expect_point_error(R"({"ts":1795523696000,"lat":1e999,"lon":2})", 0, "lat");
  expect_point_error(R"({"ts":1795523696000,"lat":1,"lon":-1e999})", 0, "lon");
  expect_point_error(pt(R"(,"attributes":{"x":-1e999})"), 0, "attributes");
}

}  // namespace
}  // namespace fleet::api
