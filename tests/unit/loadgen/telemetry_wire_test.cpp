// The load generator's frame scanner: it must count every event and read seq, t0 and tn exactly, for
// both servers' encodings, or the benchmark's loss and latency figures are wrong.
#include "telemetry_wire.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace loadgen {
namespace {

std::vector<TelemetryEvent> scan(std::string_view frame) {
  std::vector<TelemetryEvent> out;
  for_each_event(frame, [&](const TelemetryEvent& e) { out.push_back(e); });
  return out;
}

// fleetd's shape: attributes last, stored members in between.
constexpr std::string_view kFleetdFrame =
    R"({"type":"telemetry","events":[)"
    R"({"seq":41,"device":"dev_7f3a","ts":"2026-11-25T05:00:00.000Z","received_at":"2026-11-25T05:00:00.001Z",)"
    R"("lat":48.8,"lon":2.3,"speed_kph":42.5,"heading_deg":7,"attributes":{"t0":123456789,"tn":3}},)"
    R"({"seq":42,"device":"dev_7f3a","ts":"2026-11-25T05:00:00.010Z","received_at":"2026-11-25T05:00:00.011Z",)"
    R"("lat":48.81,"lon":2.31,"attributes":{"t0":123456790,"tn":3}}]})";

TEST(TelemetryWire, ReadsEveryEventOfAFleetdFrame) {
  const auto events = scan(kFleetdFrame);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].seq, 41u);
  EXPECT_EQ(events[0].t0_us, 123456789);
  EXPECT_EQ(events[0].tenant_index, 3);
  EXPECT_EQ(events[1].seq, 42u);
  EXPECT_EQ(events[1].t0_us, 123456790);
}

TEST(TelemetryWire, FindsAttributesThatAreNotLast) {
  // A long member after the attributes pushes them out of the tail window the scanner looks at first.
  const std::string padding(200, 'x');
  const std::string frame =
      R"({"type":"telemetry","events":[{"seq":7,"attributes":{"tn":1,"t0":99},"note":")" + padding +
      R"("},{"seq":8,"attributes":{"t0":100,"tn":2}}]})";
  const auto events = scan(frame);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].t0_us, 99);
  EXPECT_EQ(events[0].tenant_index, 1);
  EXPECT_EQ(events[1].t0_us, 100);
  EXPECT_EQ(events[1].tenant_index, 2);
}

TEST(TelemetryWire, NeverTakesTheNextEventsAttributes) {
  const auto events =
      scan(R"({"type":"telemetry","events":[{"seq":1,"lat":1},{"seq":2,"attributes":{"t0":5,"tn":0}}]})");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].t0_us, -1);  // untagged: not published by this run
  EXPECT_EQ(events[0].tenant_index, -1);
  EXPECT_EQ(events[1].t0_us, 5);
}

TEST(TelemetryWire, IgnoresTheLetterQElsewhere) {
  const auto events = scan(
      R"({"type":"telemetry","events":[{"seq":3,"device":"dev_qq","name":"quay","attributes":{"t0":1,"tn":4}}]})");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].seq, 3u);
  EXPECT_EQ(events[0].tenant_index, 4);
}

TEST(TelemetryWire, NoEventsNoCalls) {
  EXPECT_TRUE(scan(R"({"type":"telemetry","events":[]})").empty());
  EXPECT_TRUE(scan(R"({"type":"pong"})").empty());
  EXPECT_TRUE(scan("").empty());
}

TEST(TelemetryWire, ParsesIntegers) {
  std::int64_t v = 0;
  EXPECT_TRUE(parse_integer_at("x:-17,", 2, v));
  EXPECT_EQ(v, -17);
  EXPECT_TRUE(parse_integer_at("  42}", 0, v));
  EXPECT_EQ(v, 42);
  EXPECT_FALSE(parse_integer_at("\"a\"", 0, v));
  EXPECT_FALSE(parse_integer_at("-", 0, v));
  EXPECT_FALSE(parse_integer_at("", 0, v));
}

TEST(TelemetryWire, FindsKeys) {
  EXPECT_EQ(find_seq(R"({"seq":1})", 0), 7u);
  EXPECT_EQ(find_seq(R"({"sequence":1})", 0), std::string_view::npos);
  EXPECT_EQ(find_after("abcabc", "bc", 2, 6), 6u);
  EXPECT_EQ(find_after("abcabc", "bc", 2, 5), std::string_view::npos);  // must end before `to`
  std::size_t from = 0;
  std::int64_t seq = 0;
  EXPECT_TRUE(scan_integer(R"({"type":"hello","seq":12})", "\"seq\":", from, seq));
  EXPECT_EQ(seq, 12);
}

TEST(TelemetryWire, ReadsWhatItWrites) {
  // The ingest body the generator sends, wrapped as a server would echo it with seqs.
  const std::string body = build_ingest_body(3, 555, 6, 0);
  std::string frame = R"({"type":"telemetry","events":[)";
  std::size_t pos = 1, n = 0;
  while (pos < body.size() - 1) {
    const std::size_t end = body.find("}}", pos) + 2;
    if (n) frame += ',';
    frame += R"({"seq":)" + std::to_string(++n) + "," + body.substr(pos + 1, end - pos - 1);
    pos = end + 1;
  }
  frame += "]}";
  const auto events = scan(frame);
  ASSERT_EQ(events.size(), 3u);
  for (const auto& e : events) {
    EXPECT_EQ(e.t0_us, 555);
    EXPECT_EQ(e.tenant_index, 6);
  }
}

std::vector<TelemetryEvent> scan_compact(std::string_view frame) {
  std::vector<TelemetryEvent> out;
  for_each_compact_event(frame, [&](const TelemetryEvent& e) { out.push_back(e); });
  return out;
}

// The spec's example (docs/protocol.md "Stream options"): two chunks, a short event, a negative dt, nulls,
// and attributes holding a string with brackets, quotes and an escaped quote in it.
constexpr std::string_view kCompactFrame =
    R"({"type":"tc","skipped":2,"chunks":[)"
    R"([42,1795000001123,[0,0,3,48850100,2350200,43,91.5],)"
    R"([1,-77,57,48860000,2340000,null,null,null,null,88,{"door":"]\"[{","t0":900,"tn":4}]],)"
    R"([50,1795000002000,[0,5,3,48850100,2350200,42.5,7,null,null,null,{"t0":901,"tn":5}]]]})";

TEST(TelemetryWire, ReadsEveryEventOfACompactFrame) {
  const auto events = scan_compact(kCompactFrame);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].seq, 42u);  // seq0 + o
  EXPECT_EQ(events[0].ts_ms, 1795000001123);
  EXPECT_EQ(events[0].t0_us, -1);  // no attributes: untagged
  EXPECT_EQ(events[1].seq, 43u);
  EXPECT_EQ(events[1].ts_ms, 1795000001046);  // ts0 + dt, dt negative
  EXPECT_EQ(events[1].t0_us, 900);
  EXPECT_EQ(events[1].tenant_index, 4);
  EXPECT_EQ(events[2].seq, 50u);
  EXPECT_EQ(events[2].ts_ms, 1795000002005);
  EXPECT_EQ(events[2].t0_us, 901);
  EXPECT_EQ(events[2].tenant_index, 5);
}

TEST(TelemetryWire, CountsTheBytesOfTheGeneratorsOwnTags) {
  // compact: the attributes element and the nulls padding up to it, with their commas
  const auto compact = scan_compact(kCompactFrame);
  ASSERT_EQ(compact.size(), 3u);
  EXPECT_EQ(compact[0].tag_bytes, 0u);  // untagged
  EXPECT_EQ(compact[1].tag_bytes,
            std::string_view(R"(,{"door":"]\"[{","t0":900,"tn":4})").size());  // no nulls
  EXPECT_EQ(compact[2].tag_bytes, std::string_view(R"(,null,null,null,{"t0":901,"tn":5})").size());
  // JSON: the attributes member with its comma
  const auto json = scan(kFleetdFrame);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[0].tag_bytes, std::string_view(R"(,"attributes":{"t0":123456789,"tn":3})").size());
}

TEST(TelemetryWire, StopsAtACompactFrameItDoesNotUnderstand) {
  // Truncated inside the second event: the first is read, nothing is invented.
  EXPECT_EQ(scan_compact(R"({"type":"tc","chunks":[[1,2,[0,0,1,2,3],[1,0,1,2)").size(), 1u);
  EXPECT_TRUE(scan_compact(R"({"type":"tc","chunks":[]})").empty());
  EXPECT_TRUE(scan_compact(R"({"type":"tc","chunks":[["x",2,[0,0,1,2,3]]]})").empty());
  EXPECT_TRUE(scan_compact(R"({"type":"telemetry","events":[{"seq":1}]})").empty());
}

TEST(TelemetryWire, FindsTheEndOfAValue) {
  EXPECT_EQ(close_of(R"([1,[2],{"a":"]"}] tail)", 0), 17u);
  EXPECT_EQ(close_of(R"([1,"\"]",2])", 0), 11u);
  EXPECT_EQ(close_of("[1,[2]", 0), std::string_view::npos);
  EXPECT_EQ(integer_end("-123,", 0), 4u);
  EXPECT_EQ(integer_end("x", 0), std::string_view::npos);
}

}  // namespace
}  // namespace loadgen
