// The compact encoding (docs/protocol.md, "Stream options"): every field round-trips at the documented
// precision, slices of a batch are valid chunks, merged batches rebase their events, and device indexes
// are dense per tenant and stable for the process.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>

#include "proto/device_index.hpp"
#include "proto/messages.hpp"

namespace fleet::proto {
namespace {

namespace json = boost::json;

StoredPoint full_point(Seq seq, std::string device, std::int64_t ts) {
  StoredPoint p;
  p.seq = seq;
  p.device = DeviceId(std::move(device));
  p.point.ts_ms = ts;
  p.point.lat = -33.8688197;
  p.point.lon = 151.2092955;
  p.point.speed_kph = 42.5;
  p.point.heading_deg = 359.9;
  p.point.altitude_m = -12.25;
  p.point.accuracy_m = 3;
  p.point.battery_pct = 88;
  p.point.attributes_json = R"({"door":"closed","temp_c":4.5})";
  return p;
}

StoredPoint minimal_point(Seq seq, std::string device, std::int64_t ts) {
  StoredPoint p;
  p.seq = seq;
  p.device = DeviceId(std::move(device));
  p.point.ts_ms = ts;
  p.point.lat = 48.8566;
  p.point.lon = -2.3522;
  return p;
}

// Decodes one chunk ("[seq0,ts0,ev...]") back into points, with `ids` naming the indexes.
std::vector<StoredPoint> decode_chunk(std::string_view chunk, const std::vector<std::string>& ids) {
  const json::array a = json::parse(chunk).as_array();
  std::vector<StoredPoint> out;
  const auto seq0 = a.at(0).to_number<std::uint64_t>();
  const auto ts0 = a.at(1).to_number<std::int64_t>();
  for (std::size_t k = 2; k < a.size(); ++k) {
    const json::array& e = a[k].as_array();
    StoredPoint p;
    p.seq = seq0 + e.at(0).to_number<std::uint64_t>();
    p.point.ts_ms = ts0 + e.at(1).to_number<std::int64_t>();
    p.device = DeviceId(ids.at(e.at(2).to_number<std::size_t>()));
    p.point.lat = static_cast<double>(e.at(3).as_int64()) / 1e6;
    p.point.lon = static_cast<double>(e.at(4).as_int64()) / 1e6;
    std::optional<double>* optional[] = {&p.point.speed_kph, &p.point.heading_deg, &p.point.altitude_m,
                                         &p.point.accuracy_m, &p.point.battery_pct};
    for (std::size_t f = 0; f < 5 && 5 + f < e.size(); ++f) {
      if (!e[5 + f].is_null()) *optional[f] = e[5 + f].to_number<double>();
    }
    if (e.size() > 10) p.point.attributes_json = json::serialize(e[10]);
    EXPECT_LE(e.size(), 11u);
    if (!e.empty()) {
      EXPECT_FALSE(e.back().is_null()) << "trailing absent fields are left out";
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string chunk_of(const EncodedBatch& b, std::size_t first, std::size_t count) {
  return b.compact_head + std::string(b.compact_slice(first, count)) + std::string(kChunkTail);
}

void expect_same(const StoredPoint& got, const StoredPoint& want) {
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
  ASSERT_EQ(got.point.attributes_json.empty(), want.point.attributes_json.empty());
  if (!want.point.attributes_json.empty()) {
    EXPECT_EQ(json::parse(got.point.attributes_json), json::parse(want.point.attributes_json));
  }
}

TEST(CompactEncoding, EveryFieldRoundTripsAndSlicesAreChunks) {
  DeviceIndex index;
  const std::vector<std::string> ids = {"dev_a", "dev_b"};
  std::vector<StoredPoint> points = {full_point(41, "dev_a", 1'795'000'001'123),
                                     minimal_point(42, "dev_b", 1'795'000'000'900)};  // dt < 0
  // Optional fields absent in the middle are null; trailing ones are left out.
  StoredPoint gaps = minimal_point(43, "dev_a", 1'795'000'001'200);
  gaps.point.battery_pct = 7;
  points.push_back(gaps);
  StoredPoint attrs_only = minimal_point(44, "dev_b", 1'795'000'001'300);
  attrs_only.point.attributes_json = R"({"x":1})";
  points.push_back(attrs_only);

  auto batch = encode_batch(TenantId("org"), points, index);
  ASSERT_EQ(batch->events.size(), points.size());
  const auto all = decode_chunk(chunk_of(*batch, 0, points.size()), ids);
  ASSERT_EQ(all.size(), points.size());
  for (std::size_t i = 0; i < points.size(); ++i) expect_same(all[i], points[i]);
  // Any run of events is a valid chunk on the batch's base.
  const auto middle = decode_chunk(chunk_of(*batch, 1, 2), ids);
  ASSERT_EQ(middle.size(), 2u);
  expect_same(middle[0], points[1]);
  expect_same(middle[1], points[2]);
  // Exact bytes of the shapes the protocol documents.
  EXPECT_EQ(batch->compact_head, "[41,1795000001123,");
  EXPECT_EQ(batch->compact_slice(1, 1), "[1,-223,1,48856600,-2352200]");
  EXPECT_EQ(batch->compact_slice(2, 1), "[2,77,0,48856600,-2352200,null,null,null,null,7]");
  EXPECT_EQ(batch->compact_slice(3, 1), R"([3,177,1,48856600,-2352200,null,null,null,null,null,{"x":1}])");
}

TEST(CompactEncoding, PositionsRoundToTheMicroDegree) {
  DeviceIndex index;
  StoredPoint p = minimal_point(1, "dev_a", 0);
  p.point.lat = 89.99999951;    // rounds up
  p.point.lon = -179.99999949;  // rounds towards zero
  auto batch = encode_batch(TenantId("org"), std::vector<StoredPoint>{p}, index);
  EXPECT_EQ(batch->compact_slice(0, 1), "[0,0,0,90000000,-179999999]");
}

TEST(CompactEncoding, AMergedBatchRebasesEventsFromSeveralBatches) {
  DeviceIndex index;
  const std::vector<std::string> ids = {"dev_a", "dev_b"};
  auto first = encode_batch(TenantId("org"), std::vector<StoredPoint>{full_point(10, "dev_a", 5'000)}, index);
  auto second = encode_batch(
      TenantId("org"),
      std::vector<StoredPoint>{minimal_point(11, "dev_b", 9'000), minimal_point(12, "dev_a", 1'000)}, index);
  BatchBuilder builder(TenantId("org"), 2);
  builder.add(*first, 0);
  builder.add(*second, 1);
  auto merged = builder.finish();
  const auto points = decode_chunk(chunk_of(*merged, 0, 2), ids);
  ASSERT_EQ(points.size(), 2u);
  expect_same(points[0], full_point(10, "dev_a", 5'000));
  expect_same(points[1], minimal_point(12, "dev_a", 1'000));
  // The JSON bytes are the originals.
  EXPECT_EQ(merged->slice(1, 1), second->slice(1, 1));
}

TEST(DeviceIndex, DensePerTenantAndStable) {
  DeviceIndex index;
  EXPECT_EQ(index.tenant(TenantId("org_a")).of(DeviceId("dev_1")), 0u);
  EXPECT_EQ(index.tenant(TenantId("org_a")).of(DeviceId("dev_2")), 1u);
  EXPECT_EQ(index.tenant(TenantId("org_b")).of(DeviceId("dev_3")), 0u);
  EXPECT_EQ(index.tenant(TenantId("org_a")).of(DeviceId("dev_1")), 0u);
  auto batch = encode_batch(
      TenantId("org_a"), std::vector<StoredPoint>{minimal_point(1, "dev_2", 0), minimal_point(2, "dev_4", 0)},
      index);
  EXPECT_EQ(batch->events[0].index, 1u);
  EXPECT_EQ(batch->events[1].index, 2u);
}

TEST(CompactEncoding, SnapshotCarriesIndexesOnlyWhenAsked) {
  Device d;
  d.id = DeviceId("dev_a");
  d.name = "Truck";
  const std::vector<Device> devices{d};
  EXPECT_EQ(encode_snapshot(3, devices),
            R"({"type":"snapshot","seq":3,"devices":[{"id":"dev_a","name":"Truck","last":null}]})");
  const std::vector<std::uint32_t> indexes{7};
  EXPECT_EQ(encode_snapshot(3, devices, indexes),
            R"({"type":"snapshot","seq":3,"devices":[{"id":"dev_a","name":"Truck","i":7,"last":null}]})");
  const std::vector<IndexedDevice> announced{{7, "dev_a"}, {9, "dev_b"}};
  EXPECT_EQ(encode_devices(announced),
            R"({"type":"devices","devices":[{"i":7,"id":"dev_a"},{"i":9,"id":"dev_b"}]})");
}

TEST(CompactEncoding, HelloEchoesOptionsOnlyWhenAsked) {
  Hello h{"org", "u", "admin", 100, "fleetd/x", 5, "e", 15, std::nullopt, std::nullopt};
  const std::string plain = encode_hello(h);
  EXPECT_EQ(plain.find("format"), std::string::npos);
  h.options = StreamOptions{Format::compact, 50, true};
  const std::string echoed = encode_hello(h);
  EXPECT_NE(echoed.find(R"("format":"compact","flush_ms":50,"coalesce":true})"), std::string::npos) << echoed;
}

}  // namespace
}  // namespace fleet::proto
