// fleet::CompactDecoder (docs/protocol.md, "Stream options", "Compact encoding"): `tc` frames decode to the
// events the JSON `telemetry` frame of the same points decodes to (positions rounded to 1e-6°), announcements
// fill a per-connection table that later ones overwrite and reset() clears, and malformed input is an error.
#include "fleet/compact_decoder.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "proto/device_index.hpp"
#include "proto/json_writer.hpp"
#include "proto/message_decode.hpp"
#include "proto/messages.hpp"

namespace fleet {
namespace {

using Kind = CompactDecoder::Kind;

const std::string kDevA = "dev_0123456789abcdef0123456789abcdef";
const std::string kDevB = "dev_fedcba9876543210fedcba9876543210";

// The wire form of one event, written from the spec (independent of the server's encoder): trailing absent
// fields left out, absent ones before a present one written as null.
std::string compact_event(const StoredPoint& p, Seq seq0, std::int64_t ts0, std::uint32_t index) {
  std::vector<std::string> elements = {
      std::to_string(p.seq - seq0),
      std::to_string(p.point.ts_ms - ts0),
      std::to_string(index),
      std::to_string(std::llround(p.point.lat * 1e6)),
      std::to_string(std::llround(p.point.lon * 1e6)),
  };
  const std::optional<double> optionals[] = {p.point.speed_kph, p.point.heading_deg, p.point.altitude_m,
                                             p.point.accuracy_m, p.point.battery_pct};
  std::vector<std::string> rest;
  for (const auto& o : optionals) {
    std::string s;
    if (o) {
      proto::append_json_number(s, *o);
    } else {
      s = "null";
    }
    rest.push_back(s);
  }
  rest.push_back(p.point.attributes_json.empty() ? "null" : p.point.attributes_json);
  while (!rest.empty() && rest.back() == "null") rest.pop_back();
  elements.insert(elements.end(), rest.begin(), rest.end());
  std::string out = "[";
  for (std::size_t i = 0; i < elements.size(); ++i) out += (i ? "," : "") + elements[i];
  return out + "]";
}

StoredPoint point(Seq seq, const std::string& device, std::int64_t ts, double lat, double lon) {
  StoredPoint p;
  p.seq = seq;
  p.device = DeviceId(device);
  p.point.ts_ms = ts;
  p.point.lat = lat;
  p.point.lon = lon;
  return p;
}

// What the JSON path delivers for the same points.
std::vector<StoredPoint> json_decoded(const std::vector<StoredPoint>& points) {
  auto msg = proto::decode_server_message(proto::encode_telemetry(points));
  EXPECT_TRUE(msg.has_value());
  return std::get<proto::TelemetryMessage>(*msg).events;
}

void expect_same_event(const StoredPoint& got, const StoredPoint& want) {
  EXPECT_EQ(got.seq, want.seq);
  EXPECT_EQ(got.device, want.device);
  EXPECT_EQ(got.point.ts_ms, want.point.ts_ms);
  EXPECT_NEAR(got.point.lat, want.point.lat, 0.5e-6 + 1e-12);
  EXPECT_NEAR(got.point.lon, want.point.lon, 0.5e-6 + 1e-12);
  EXPECT_EQ(got.point.speed_kph, want.point.speed_kph);
  EXPECT_EQ(got.point.heading_deg, want.point.heading_deg);
  EXPECT_EQ(got.point.altitude_m, want.point.altitude_m);
  EXPECT_EQ(got.point.accuracy_m, want.point.accuracy_m);
  EXPECT_EQ(got.point.battery_pct, want.point.battery_pct);
  EXPECT_EQ(got.point.attributes_json, want.point.attributes_json);
}

std::string devices_frame(std::initializer_list<std::pair<std::uint32_t, std::string>> devices) {
  std::string out = R"({"type":"devices","devices":[)";
  const char* sep = "";
  for (const auto& [i, id] : devices) {
    out += sep + (R"({"i":)" + std::to_string(i) + R"(,"id":")" + id + "\"}");
    sep = ",";
  }
  return out + "]}";
}

// A frame with one event (seq, index) in one chunk based at seq - 1 and ts 1795000000000.
std::string one_event_frame(Seq seq, std::uint32_t index) {
  return R"({"type":"tc","chunks":[[)" + std::to_string(seq - 1) + R"(,1795000000000,[1,5,)" +
         std::to_string(index) + R"(,48850000,2350000]]]})";
}

TEST(CompactDecoder, EveryFieldOfEveryEventShapeDecodesAsTheJsonPathDoes) {
  std::vector<StoredPoint> points;
  // Only the required fields: a five-element event.
  points.push_back(point(42, kDevA, 1'795'000'001'123, 48.8501234, 2.3502));
  // Every field, attributes too.
  StoredPoint all = point(43, kDevB, 1'795'000'001'200, 48.86, 2.34);
  all.point.speed_kph = 43;
  all.point.heading_deg = 91.5;
  all.point.altitude_m = -12.25;
  all.point.accuracy_m = 3.5;
  all.point.battery_pct = 88;
  all.point.attributes_json = R"({"door":"closed","temp_c":4.5,"ok":true,"note":"a\"b\\c\u00e9","n":null})";
  points.push_back(all);
  // Absent fields in the middle (null), trailing ones left out.
  StoredPoint middle = point(44, kDevA, 1'795'000'001'100, -33.8688197, -151.2092955);  // dt < 0 vs ts0
  middle.point.altitude_m = 35;
  points.push_back(middle);
  // Only attributes, after five nulls.
  StoredPoint attrs = point(47, kDevB, 1'795'000'000'000, -90, 180);
  attrs.point.attributes_json = R"({"k":1})";
  points.push_back(attrs);
  // Only the battery: three nulls before it, no attributes.
  StoredPoint battery = point(48, kDevA, 1'795'000'002'000, 0.0000004, -0.0000006);
  battery.point.battery_pct = 0;
  points.push_back(battery);

  const Seq seq0 = 42;
  const std::int64_t ts0 = 1'795'000'001'123;
  std::string chunk = "[" + std::to_string(seq0) + "," + std::to_string(ts0);
  for (const StoredPoint& p : points)
    chunk += "," + compact_event(p, seq0, ts0, p.device.str() == kDevA ? 3 : 57);
  chunk += "]";
  // The same events split over two chunks with another base, as a server's merged batches would send them.
  std::string chunk2 = "[46,1795000000000";
  for (std::size_t k = 3; k < points.size(); ++k)
    chunk2 += "," + compact_event(points[k], 46, 1'795'000'000'000, points[k].device.str() == kDevA ? 3 : 57);
  chunk2 += "]";
  std::string head = "[" + std::to_string(seq0) + "," + std::to_string(ts0);
  for (std::size_t k = 0; k < 3; ++k)
    head += "," + compact_event(points[k], seq0, ts0, points[k].device.str() == kDevA ? 3 : 57);
  head += "]";

  const std::vector<StoredPoint> want = json_decoded(points);
  for (const std::string& chunks : {chunk, head + "," + chunk2}) {
    SCOPED_TRACE(chunks);
    CompactDecoder d;
    ASSERT_EQ(d.decode(devices_frame({{3, kDevA}, {57, kDevB}})).value(), Kind::devices);
    auto kind = d.decode(R"({"type":"tc","chunks":[)" + chunks + "]}");
    ASSERT_TRUE(kind.has_value()) << kind.error().message;
    ASSERT_EQ(*kind, Kind::telemetry);
    const auto& got = d.frame().events;
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t k = 0; k < got.size(); ++k) {
      SCOPED_TRACE(k);
      expect_same_event(got[k], want[k]);
    }
    EXPECT_EQ(d.frame().skipped, 0u);
  }
}

TEST(CompactDecoder, FleetdsOwnEncoderRoundTrips) {
  // The server's encoder (proto::encode_batch, encode_devices) and this decoder read the spec alike.
  std::vector<StoredPoint> points;
  StoredPoint all = point(7, kDevB, 1'795'000'001'200, -33.8688197, 151.2092955);
  all.point.speed_kph = 42.5;
  all.point.heading_deg = 359.9;
  all.point.altitude_m = -12.25;
  all.point.accuracy_m = 3.5;
  all.point.battery_pct = 81;
  all.point.attributes_json = R"({"driver":"A. Smith","door_open":false,"temp_c":4.5})";
  points.push_back(point(5, kDevA, 1'795'000'001'123, 48.8501234, 2.3502));
  StoredPoint middle = point(6, kDevA, 1'795'000'000'000, 0.0000004, -0.0000006);
  middle.point.accuracy_m = 9;
  points.push_back(middle);
  points.push_back(all);
  proto::DeviceIndex registry;
  const auto batch = proto::encode_batch(TenantId("org_x"), points, registry);
  std::vector<proto::IndexedDevice> announced;
  for (const auto& e : batch->events) announced.push_back({e.index, e.device.str()});

  // Events 1..2 of the batch, as a session that already had event 0 would get them.
  std::string frame(proto::kCompactHead);
  frame += batch->compact_head;
  frame += batch->compact_slice(1, 2);
  frame += proto::kChunkTail;
  frame += proto::kTelemetryTail;
  CompactDecoder d;
  ASSERT_EQ(d.decode(proto::encode_devices(announced)).value(), Kind::devices);
  auto kind = d.decode(frame);
  ASSERT_TRUE(kind.has_value()) << kind.error().message << "\n" << frame;
  const std::vector<StoredPoint> want = json_decoded({points[1], points[2]});
  ASSERT_EQ(d.frame().events.size(), 2u);
  for (std::size_t k = 0; k < 2; ++k) {
    SCOPED_TRACE(k);
    expect_same_event(d.frame().events[k], want[k]);
  }
}

TEST(CompactDecoder, PositionsAreTheMicrodegreeIntegersOverAMillion) {
  CompactDecoder d;
  ASSERT_TRUE(d.decode(devices_frame({{0, kDevA}})).has_value());
  auto kind = d.decode(
      R"({"type":"tc","chunks":[[10,0,[0,0,0,48850123,-2350201],[1,0,0,-90000000,180000000],[2,0,0,1,-1]]]})");
  ASSERT_TRUE(kind.has_value()) << kind.error().message;
  const auto& e = d.frame().events;
  ASSERT_EQ(e.size(), 3u);
  // The nearest doubles to the decimal values: what "lat":48.850123 in JSON would give.
  EXPECT_EQ(e[0].point.lat, 48.850123);
  EXPECT_EQ(e[0].point.lon, -2.350201);
  EXPECT_EQ(e[1].point.lat, -90.0);
  EXPECT_EQ(e[1].point.lon, 180.0);
  EXPECT_EQ(e[2].point.lat, 0.000001);
  EXPECT_EQ(e[2].point.lon, -0.000001);
}

TEST(CompactDecoder, TheSpecExampleDecodes) {
  // docs/protocol.md's example frame.
  CompactDecoder d;
  ASSERT_TRUE(
      d.decode(
           R"({"type":"snapshot","seq":41,"devices":[{"id":"dev_5f0c","name":"Truck 7","i":3,"last":null}]})")
          .has_value());
  ASSERT_TRUE(d.decode(R"({"type":"devices","devices":[{"i":57,"id":"dev_9ab1"}]})").has_value());
  auto kind = d.decode(
      R"({"type":"tc","chunks":[[42,1795000001123,[0,0,3,48850100,2350200,43,91.5],[1,77,57,48860000,2340000,null,null,null,null,88,{"door":"closed","temp_c":4.5}]]]})");
  ASSERT_TRUE(kind.has_value()) << kind.error().message;
  const auto& e = d.frame().events;
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].seq, 42u);
  EXPECT_EQ(e[0].device.str(), "dev_5f0c");
  EXPECT_EQ(e[0].point.ts_ms, 1795000001123);
  EXPECT_EQ(e[0].point.lat, 48.8501);
  EXPECT_EQ(e[0].point.lon, 2.3502);
  EXPECT_EQ(e[0].point.speed_kph, 43.0);
  EXPECT_EQ(e[0].point.heading_deg, 91.5);
  EXPECT_FALSE(e[0].point.altitude_m);
  EXPECT_TRUE(e[0].point.attributes_json.empty());
  EXPECT_EQ(e[1].seq, 43u);
  EXPECT_EQ(e[1].device.str(), "dev_9ab1");
  EXPECT_EQ(e[1].point.ts_ms, 1795000001200);
  EXPECT_FALSE(e[1].point.speed_kph);
  EXPECT_FALSE(e[1].point.accuracy_m);
  EXPECT_EQ(e[1].point.battery_pct, 88.0);
  EXPECT_EQ(e[1].point.attributes_json, R"({"door":"closed","temp_c":4.5})");
}

TEST(CompactDecoder, SkippedIsCarriedAndAnEmptyFrameHasNoEvents) {
  CompactDecoder d;
  ASSERT_TRUE(d.decode(devices_frame({{1, kDevA}})).has_value());
  auto kind = d.decode(R"({"type":"tc","skipped":37,"chunks":[[100,5,[0,0,1,1,1]]]})");
  ASSERT_TRUE(kind.has_value());
  EXPECT_EQ(d.frame().skipped, 37u);
  ASSERT_EQ(d.frame().events.size(), 1u);
  EXPECT_EQ(d.frame().events[0].seq, 100u);
  // The next frame starts over: no events or skipped left from the last one.
  ASSERT_TRUE(d.decode(R"({"type":"tc","chunks":[]})").has_value());
  EXPECT_EQ(d.frame().skipped, 0u);
  EXPECT_TRUE(d.frame().events.empty());
}

TEST(CompactDecoder, LaterAnnouncementsOverwriteAndResetForgetsThemAll) {
  CompactDecoder d;
  ASSERT_TRUE(d.decode(devices_frame({{7, kDevA}})).has_value());
  ASSERT_TRUE(d.decode(one_event_frame(1, 7)).has_value());
  EXPECT_EQ(d.frame().events.at(0).device.str(), kDevA);

  ASSERT_TRUE(d.decode(devices_frame({{7, kDevB}})).has_value());
  ASSERT_TRUE(d.decode(one_event_frame(2, 7)).has_value());
  EXPECT_EQ(d.frame().events.at(0).device.str(), kDevB);

  // A snapshot's `i` announces too, and overwrites.
  ASSERT_EQ(d.decode(R"({"type":"snapshot","seq":2,"devices":[{"id":")" + kDevA +
                     R"(","name":"A","i":7,"last":null}]})")
                .value(),
            Kind::other);
  ASSERT_TRUE(d.decode(one_event_frame(3, 7)).has_value());
  EXPECT_EQ(d.frame().events.at(0).device.str(), kDevA);
  EXPECT_EQ(d.announced(), 1u);

  d.reset();  // a new connection
  EXPECT_EQ(d.announced(), 0u);
  auto unknown = d.decode(one_event_frame(4, 7));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().field, "i");
  EXPECT_EQ(unknown.error().index, std::optional<std::size_t>(0));
}

TEST(CompactDecoder, AJsonSnapshotAnnouncesNothingAndOtherMessagesAreLeftToTheJsonDecoder) {
  CompactDecoder d;
  EXPECT_EQ(
      d.decode(R"({"type":"snapshot","seq":0,"devices":[{"id":"dev_1","name":"x","last":null}]})").value(),
      Kind::other);
  EXPECT_EQ(d.announced(), 0u);
  for (const char* text : {R"({"type":"pong"})", R"({"type":"telemetry","events":[]})", "not json", "[1]",
                           R"({"type":1})", R"({"type":"hello"})"}) {
    SCOPED_TRACE(text);
    auto kind = d.decode(text);
    ASSERT_TRUE(kind.has_value());
    EXPECT_EQ(*kind, Kind::other);
  }
}

TEST(CompactDecoder, MalformedFramesAreErrorsNamingTheField) {
  struct Case {
    const char* text;
    const char* field;
  };
  const Case cases[] = {
      {R"({"type":"tc"})", "chunks"},
      {R"({"type":"tc","chunks":{}})", "chunks"},
      {R"({"type":"tc","chunks":[1]})", "chunks"},
      {R"({"type":"tc","chunks":[[1]]})", "chunk"},
      {R"({"type":"tc","skipped":-1,"chunks":[]})", "skipped"},
      {R"({"type":"tc","skipped":"1","chunks":[]})", "skipped"},
      {R"({"type":"tc","chunks":[[-1,0,[0,0,1,0,0]]]})", "seq0"},
      {R"({"type":"tc","chunks":[[1,0.5,[0,0,1,0,0]]]})", "ts0"},
      {R"({"type":"tc","chunks":[[1,0,{}]]})", "event"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,0]]]})", "event"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,0,0,null,null,null,null,null,null,null]]]})", "event"},
      {R"({"type":"tc","chunks":[[1,0,[-1,0,1,0,0]]]})", "o"},
      {R"({"type":"tc","chunks":[[1,0,[0,"0",1,0,0]]]})", "dt"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,-1,0,0]]]})", "i"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,4294967296,0,0]]]})", "i"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,2,0,0]]]})", "i"},  // not announced
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,48.85,0]]]})", "lat_e6"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,90000001,0]]]})", "lat_e6"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,0,-180000001]]]})", "lon_e6"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,0,null]]]})", "lon_e6"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,0,0,"fast"]]]})", "speed_kph"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,0,0,null,null,null,null,true]]]})", "battery_pct"},
      {R"({"type":"tc","chunks":[[1,0,[0,0,1,0,0,null,null,null,null,null,[1]]]]})", "attributes"},
      {R"({"type":"tc","chunks":[[18446744073709551615,0,[1,0,1,0,0]]]})", "o"},
      {R"({"type":"tc","chunks":[[1,9223372036854775807,[0,1,1,0,0]]]})", "dt"},
      {R"({"type":"devices"})", "devices"},
      {R"({"type":"devices","devices":[{"id":"dev_1"}]})", "i"},
      {R"({"type":"devices","devices":[{"i":"1","id":"dev_1"}]})", "i"},
      {R"({"type":"devices","devices":[{"i":1,"id":""}]})", "id"},
      {R"({"type":"devices","devices":[{"i":1}]})", "id"},
      {R"({"type":"devices","devices":[1]})", "devices"},
      {R"({"type":"snapshot","seq":1,"devices":[{"id":"dev_1","name":"x","i":-3,"last":null}]})", "i"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    CompactDecoder d;
    ASSERT_TRUE(d.decode(devices_frame({{1, kDevA}})).has_value());
    auto r = d.decode(c.text);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::invalid_field);
    EXPECT_EQ(r.error().field, c.field);
  }
}

TEST(CompactDecoder, TheErrorIndexIsTheEventsPositionInTheFrame) {
  CompactDecoder d;
  ASSERT_TRUE(d.decode(devices_frame({{1, kDevA}})).has_value());
  auto r =
      d.decode(R"({"type":"tc","chunks":[[1,0,[0,0,1,0,0],[1,0,1,0,0]],[5,0,[0,0,1,0,0],[1,0,9,0,0]]]})");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().index, std::optional<std::size_t>(3));
}

}  // namespace
}  // namespace fleet
