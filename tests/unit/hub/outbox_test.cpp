#include "hub/outbox.hpp"

#include <gtest/gtest.h>

namespace fleet::hub {
namespace {

std::shared_ptr<const proto::EncodedBatch> batch(Seq first_seq, std::vector<std::string> devices) {
  std::vector<StoredPoint> points;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    StoredPoint p;
    p.seq = first_seq + i;
    p.device = DeviceId(devices[i]);
    p.point.ts_ms = 1'700'000'000'000 + static_cast<std::int64_t>(p.seq);
    p.point.lat = 1;
    p.point.lon = 2;
    points.push_back(p);
  }
  return proto::encode_batch(TenantId("org"), points);
}

std::vector<Seq> seqs(Outbox& box) {
  std::vector<Slice> out;
  box.take(out, SIZE_MAX);
  std::vector<Seq> s;
  for (auto& slice : out) {
    for (std::uint32_t i = 0; i < slice.count; ++i) s.push_back(slice.batch->events[slice.first + i].seq);
  }
  return s;
}

TEST(Outbox, KeepsEverythingInOrderUnderTheSoftLimit) {
  Outbox box;
  EXPECT_EQ(box.push(batch(1, {"a", "b"})), Outbox::Push::ok);
  EXPECT_EQ(box.push(batch(3, {"a"})), Outbox::Push::ok);
  EXPECT_EQ(box.events(), 3u);
  EXPECT_EQ(seqs(box), (std::vector<Seq>{1, 2, 3}));
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.bytes(), 0u);
}

TEST(Outbox, SlicesShareTheBatchBytesWithoutCopying) {
  Outbox box;
  auto b = batch(1, {"a", "b", "c"});
  box.push(b);
  std::vector<Slice> out;
  box.take(out, SIZE_MAX);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].batch.get(), b.get());
  EXPECT_EQ(out[0].bytes().data(), b->bytes.data());
  EXPECT_EQ(out[0].bytes(), b->bytes);
}

TEST(Outbox, CoalescesToNewestPerDeviceOverTheSoftLimit) {
  const std::size_t one = batch(1, {"a"})->bytes.size() + 1;
  Outbox box(OutboxLimits{one * 4, one * 100});
  box.push(batch(1, {"a", "b"}));
  box.push(batch(3, {"a", "c"}));
  EXPECT_EQ(box.push(batch(5, {"b"})), Outbox::Push::coalesced);
  // a:1,3 -> 3; b:2,5 -> 5; c:4 -> 4; survivors keep seq order.
  EXPECT_EQ(box.coalesced(), 2u);
  EXPECT_EQ(box.events(), 3u);
  EXPECT_EQ(seqs(box), (std::vector<Seq>{3, 4, 5}));
}

TEST(Outbox, OverflowsWhenCoalescingCannotGetUnderTheHardLimit) {
  const std::size_t one = batch(1, {"a"})->bytes.size() + 1;
  Outbox box(OutboxLimits{one * 2, one * 3});
  box.push(batch(1, {"d1", "d2"}));
  EXPECT_EQ(box.push(batch(3, {"d3", "d4"})), Outbox::Push::overflow);
}

TEST(Outbox, TakeRespectsTheFrameBudgetButAlwaysMovesOne) {
  Outbox box;
  box.push(batch(1, {"a"}));
  box.push(batch(2, {"b"}));
  box.push(batch(3, {"c"}));
  std::vector<Slice> out;
  box.take(out, 1);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(box.events(), 2u);
}

TEST(Outbox, DropThroughRemovesWhatASnapshotCovers) {
  Outbox box;
  box.push(batch(1, {"a", "b", "c"}));
  box.push(batch(4, {"a"}));
  box.drop_through(2);
  EXPECT_EQ(seqs(box), (std::vector<Seq>{3, 4}));
  box.push(batch(5, {"a"}));
  box.drop_through(10);
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.bytes(), 0u);
}

}  // namespace
}  // namespace fleet::hub
