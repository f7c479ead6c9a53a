// Scoped fan-out (docs/architecture.md, "Scoped fan-out"): the exact filter, the cells views register in,
// the outbox's per-event queueing, and the hub routing each event only to the views it may concern,
// with enter/leave crossings.
#include <gtest/gtest.h>

#include <string>

#include "hub/scoped_view.hpp"
#include "hub/tenant_hub.hpp"
#include "hub/view_cells.hpp"
#include "hub/view_filter.hpp"

namespace fleet::hub {
namespace {

struct Pos {
  std::string device;
  double lat;
  double lon;
};

proto::DeviceIndex& device_index() {
  static proto::DeviceIndex index;
  return index;
}

std::uint32_t index_of(const std::string& device) {
  return device_index().tenant(TenantId("org")).of(DeviceId(device));
}

std::shared_ptr<const proto::EncodedBatch> batch(Seq first_seq, const std::vector<Pos>& points) {
  std::vector<StoredPoint> stored;
  for (std::size_t i = 0; i < points.size(); ++i) {
    StoredPoint p;
    p.seq = first_seq + i;
    p.device = DeviceId(points[i].device);
    p.point.ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(p.seq);
    p.point.lat = points[i].lat;
    p.point.lon = points[i].lon;
    stored.push_back(p);
  }
  return proto::encode_batch(TenantId("org"), stored, device_index());
}

std::vector<std::string> devices_of(Outbox& box) {
  std::vector<Slice> out;
  box.take(out, SIZE_MAX);
  std::vector<std::string> d;
  for (const auto& s : out) {
    for (std::uint32_t i = 0; i < s.count; ++i) d.push_back(s.batch->events[s.first + i].device.str());
  }
  return d;
}

const proto::GeoBox kParis{2.2, 48.8, 2.5, 48.9};

TEST(ViewFilter, BoxesGroupsAndNamedDevicesCombineAsDocumented) {
  const ViewFilter whole;
  EXPECT_TRUE(whole.whole_tenant());
  EXPECT_TRUE(whole.matches(3, -80, 170));

  const proto::GeoBox boxes[] = {kParis};
  const ViewFilter box(boxes, false, {}, {}, {}, false);
  EXPECT_TRUE(box.matches(1, 48.85, 2.35));
  EXPECT_FALSE(box.matches(1, 48.95, 2.35));

  const std::uint32_t members[] = {1};
  const std::uint32_t named[] = {5};
  const ViewFilter grouped(boxes, true, members, named, {}, false);
  EXPECT_TRUE(grouped.matches(1, 48.85, 2.35));
  EXPECT_FALSE(grouped.matches(2, 48.85, 2.35)) << "in the box but not in the group";
  EXPECT_FALSE(grouped.matches(1, 10, 10)) << "in the group but not in the box";
  EXPECT_TRUE(grouped.matches(5, -40, -70)) << "named devices are in view anywhere";
  EXPECT_TRUE(grouped.named(5));
  EXPECT_FALSE(grouped.named(1));

  const ViewFilter group_only({}, true, members, {}, {}, false);
  EXPECT_TRUE(group_only.matches(1, -40, -70));
  EXPECT_FALSE(group_only.matches(2, 48.85, 2.35));

  const ViewFilter named_only({}, false, {}, named, {}, false);
  EXPECT_TRUE(named_only.matches(5, 0, 0));
  EXPECT_FALSE(named_only.matches(1, 48.85, 2.35)) << "only the named devices";
}

TEST(ViewFilter, AShareNeverReachesBeyondItsDevices) {
  const std::uint32_t allowed[] = {1, 2};
  const ViewFilter share({}, false, {}, {}, allowed, true);
  EXPECT_FALSE(share.whole_tenant());
  EXPECT_TRUE(share.matches(1, 0, 0));
  EXPECT_TRUE(share.matches(2, 50, 50));
  EXPECT_FALSE(share.matches(3, 0, 0));

  const proto::GeoBox boxes[] = {kParis};
  const std::uint32_t named[] = {3, 2};
  const ViewFilter narrowed(boxes, false, {}, named, allowed, true);
  EXPECT_FALSE(narrowed.matches(3, 48.85, 2.35)) << "a named device outside the share";
  EXPECT_TRUE(narrowed.matches(2, 10, 10));
  EXPECT_TRUE(narrowed.matches(1, 48.85, 2.35));
  EXPECT_FALSE(narrowed.matches(1, 10, 10));
}

TEST(ViewFilter, ABoxAcrossTheAntimeridianCoversBothSides) {
  const proto::GeoBox boxes[] = {{170, -10, -170, 10}};
  const ViewFilter f(boxes, false, {}, {}, {}, false);
  EXPECT_TRUE(f.matches(0, 0, 175));
  EXPECT_TRUE(f.matches(0, 0, -175));
  EXPECT_FALSE(f.matches(0, 0, 0));
  EXPECT_EQ(f.boxes().size(), 2u);
}

TEST(ViewCells, AViewRegistersAtTheFinestLevelThatCoversItInFewCells) {
  const LonLatBox street{2.30, 48.80, 2.38, 48.86};
  const CellCover c = cover(std::span(&street, 1));
  EXPECT_FALSE(c.everywhere);
  EXPECT_EQ(c.level, 0u);
  EXPECT_LE(c.cells.size(), 9u);
  EXPECT_TRUE(std::find(c.cells.begin(), c.cells.end(), cell_key(0, 48.85, 2.35)) != c.cells.end());

  const LonLatBox country{-5, 42, 8, 51};
  EXPECT_GT(cover(std::span(&country, 1)).level, 0u);

  const LonLatBox world{-180, -90, 180, 90};
  EXPECT_TRUE(cover(std::span(&world, 1)).everywhere);
  EXPECT_NE(cell_key(0, 48.85, 2.35), cell_key(1, 48.85, 2.35)) << "keys are unique across levels";
}

TEST(OutboxScoped, QueuesSingleEventsAsRunsAndDropsADeviceThatLeft) {
  Outbox box;
  box.set_scoped(true);
  const auto b = batch(1, {{"s1", 0, 0}, {"s2", 0, 0}, {"s3", 0, 0}, {"s1", 0, 0}});
  box.push_event(b, 0);
  box.push_event(b, 1);
  box.push_event(b, 3);
  EXPECT_EQ(box.events(), 3u);
  box.drop_device(index_of("s2"));
  EXPECT_EQ(box.events(), 2u);
  std::vector<Slice> out;
  std::uint64_t skipped = 99;
  box.take(out, SIZE_MAX, &skipped);
  ASSERT_EQ(out.size(), 2u) << "events 0 and 3 are not adjacent once 1 is gone";
  EXPECT_EQ(skipped, 0u) << "gaps in a scoped stream are other devices' events";
}

TEST(OutboxScoped, CoalescingNeverDropsANamedDevicesEvents) {
  Outbox box;
  std::vector<bool> keep(index_of("n1") + 1, false);
  keep[index_of("n1")] = true;
  box.set_never_coalesced(&keep);
  box.push(batch(1, {{"c1", 0, 0}, {"n1", 0, 0}, {"c1", 0, 0}, {"n1", 0, 0}, {"c1", 0, 0}}));
  box.coalesce();
  EXPECT_EQ(devices_of(box), (std::vector<std::string>{"n1", "n1", "c1"}));
}

// A scoped subscriber as the session is to the hub: its outbox, its view, and what the hub told it.
struct ScopedSub final : Subscriber {
  Outbox box;
  ScopedView view{box};
  int ready = 0;
  Outbox& outbox() noexcept override { return box; }
  void on_ready() override { ++ready; }
  void on_overflow() override {}
  ScopedView* scoped() noexcept override { return &view; }
  std::vector<std::string> entered, left;
  void changes() { view.take_changes(entered, left); }
};

TEST(TenantHubScoped, RoutesOnlyMatchingEventsAndReportsCrossings) {
  TenantHub hub;
  ScopedSub paris;
  const proto::GeoBox boxes[] = {kParis};
  paris.view.set_filter(ViewFilter(boxes, false, {}, {}, {}, false));
  hub.subscribe(TenantId("org"), &paris);
  ScopedSub whole;  // no view: every event
  hub.subscribe(TenantId("org"), &whole);

  hub.publish(batch(1, {{"in", 48.85, 2.35}, {"out", 40.0, -3.7}}));
  EXPECT_EQ(devices_of(paris.box), std::vector<std::string>{"in"});
  EXPECT_EQ(devices_of(whole.box), (std::vector<std::string>{"in", "out"}));
  paris.changes();
  EXPECT_EQ(paris.entered, std::vector<std::string>{"in"});

  // "in" drives out of the box: routed by its previous cell, it is reported as left and not queued.
  hub.publish(batch(3, {{"in", 48.85, 2.35}, {"in", 48.95, 2.35}}));
  EXPECT_TRUE(devices_of(paris.box).empty()) << "its queued event went with it";
  paris.entered.clear();
  paris.changes();
  EXPECT_EQ(paris.left, std::vector<std::string>{"in"});
  EXPECT_TRUE(paris.entered.empty());

  // Far away and back again between two frames: no crossing to report.
  hub.publish(batch(5, {{"in", 48.85, 2.35}, {"in", 48.95, 2.35}}));
  paris.entered.clear();
  paris.left.clear();
  paris.changes();
  EXPECT_TRUE(paris.entered.empty() && paris.left.empty());
  EXPECT_EQ(hub.stats().deliveries, 6u + 3u) << "whole: 6 events; paris: each of its events inside the box";
}

TEST(TenantHubScoped, AnEventNeverReachesAViewWhoseCellsDoNotHoldIt) {
  TenantHub hub;
  ScopedSub far;
  const proto::GeoBox boxes[] = {{-74.1, 40.6, -73.8, 40.9}};
  far.view.set_filter(ViewFilter(boxes, false, {}, {}, {}, false));
  hub.subscribe(TenantId("org"), &far);
  hub.publish(batch(1, {{"p1", 48.85, 2.35}}));  // first sight: offered to every view, not queued
  const std::uint64_t stamp = far.view.stamp;
  hub.publish(batch(2, {{"p1", 48.86, 2.36}}));
  EXPECT_EQ(far.view.stamp, stamp) << "known to be in Paris: New York's view is not even asked";
  EXPECT_TRUE(far.box.empty());
  hub.unsubscribe(TenantId("org"), &far);
  EXPECT_EQ(hub.subscribers(TenantId("org")), 0u);
}

TEST(TenantHubScoped, ChangingTheViewReroutesTheSession) {
  TenantHub hub;
  ScopedSub s;
  hub.subscribe(TenantId("org"), &s);  // no view yet: the whole tenant
  const proto::GeoBox boxes[] = {kParis};
  s.view.set_filter(ViewFilter(boxes, false, {}, {}, {}, false));
  hub.update_view(TenantId("org"), &s);
  hub.publish(batch(1, {{"a", 48.85, 2.35}, {"b", 0, 0}}));
  EXPECT_EQ(devices_of(s.box), std::vector<std::string>{"a"});
  s.view.set_filter(ViewFilter());
  hub.update_view(TenantId("org"), &s);
  hub.publish(batch(3, {{"a", 48.85, 2.35}, {"b", 0, 0}}));
  EXPECT_EQ(devices_of(s.box), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(hub.subscribers(TenantId("org")), 1u);
}

}  // namespace
}  // namespace fleet::hub
