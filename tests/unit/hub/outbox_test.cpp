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
  static proto::DeviceIndex device_index;
  return proto::encode_batch(TenantId("org"), points, device_index);
}

std::vector<Seq> seqs_of(const std::vector<Slice>& slices) {
  std::vector<Seq> s;
  for (const auto& slice : slices) {
    for (std::uint32_t i = 0; i < slice.count; ++i) s.push_back(slice.batch->events[slice.first + i].seq);
  }
  return s;
}

std::vector<Seq> seqs(Outbox& box) {
  std::vector<Slice> out;
  box.take(out, SIZE_MAX);
  return seqs_of(out);
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

TEST(Outbox, TakeCountsWhatCoalescingLeftOutAsSkipped) {
  Outbox box(OutboxLimits{300, 1 << 20});  // a few events over the soft limit coalesce
  box.drop_through(10);                    // the client has 10 (its snapshot)
  box.push(batch(11, {"a", "b", "a", "b", "a"}));
  box.push(batch(16, {"c", "a"}));
  ASSERT_GT(box.coalesced(), 0u);
  std::vector<Slice> out;
  std::uint64_t skipped = 99;
  box.take(out, SIZE_MAX, &skipped);
  const std::vector<Seq> got = seqs_of(out);
  // Newest per device: b@14, c@16, a@17. The frame explains the rest: 17 - 10 = 3 sent + 4 skipped.
  EXPECT_EQ(got, (std::vector<Seq>{14, 16, 17}));
  EXPECT_EQ(skipped, 4u);
  EXPECT_EQ(box.coalesced(), 4u);
  // Nothing left out next time: no skipped.
  box.push(batch(18, {"a"}));
  out.clear();
  box.take(out, SIZE_MAX, &skipped);
  EXPECT_EQ(skipped, 0u);
}

TEST(Outbox, SkippedIsSplitAcrossFramesByTheirLastSeq) {
  Outbox box(OutboxLimits{300, 1 << 20});
  box.set_position(0);
  box.push(batch(1, {"a", "b", "c", "a", "b", "c"}));
  ASSERT_EQ(box.coalesced(), 3u);  // a@4, b@5, c@6 remain, as one slice
  std::vector<Slice> out;
  std::uint64_t skipped = 0;
  box.take(out, 1, &skipped);  // a budget of one slice: all three (they are one slice)
  EXPECT_EQ(out.back().last_seq(), 6u);
  EXPECT_EQ(skipped, 3u);
}

TEST(Outbox, PushFromAnEventAndPrependRecoveredEvents) {
  Outbox box;
  box.push(batch(5, {"a", "b", "c"}), 1);  // 6, 7
  box.prepend(batch(3, {"x", "y"}));       // 3, 4 go in front
  box.set_position(2);
  std::vector<Slice> out;
  std::uint64_t skipped = 1;
  box.take(out, SIZE_MAX, &skipped);
  EXPECT_EQ(seqs_of(out), (std::vector<Seq>{3, 4, 6, 7}));
  EXPECT_EQ(skipped, 1u);  // 5 never came: counted, which is why callers keep the stream gap-free
}

TEST(Outbox, NeverQueuesWhatTheClientAlreadyHas) {
  // A snapshot from the store's cache covered seq 12 before the batches 10..12 and 12..13 reached the
  // worker: they must not be delivered after it.
  Outbox box;
  box.drop_through(12);
  EXPECT_EQ(box.push(batch(10, {"a", "b", "c"})), Outbox::Push::ok);
  EXPECT_TRUE(box.empty());
  box.push(batch(12, {"a", "b"}));
  EXPECT_EQ(box.events(), 1u);
  EXPECT_EQ(seqs(box), (std::vector<Seq>{13}));
}

TEST(Outbox, PrependsARunOfSlicesInOrder) {
  Outbox box;
  box.push(batch(7, {"a"}));
  auto older = batch(3, {"a", "b", "c", "d"});
  std::vector<Slice> run{Slice{older, 1, 2}, Slice{older, 3, 1}};  // 4, 5 and 6
  box.prepend(run);
  EXPECT_TRUE(run.empty());
  EXPECT_EQ(box.events(), 4u);
  EXPECT_EQ(seqs(box), (std::vector<Seq>{4, 5, 6, 7}));
}

TEST(Outbox, RecoveredEventsAreNeverCoalesced) {
  Outbox box(OutboxLimits{100, 1 << 20});
  auto b = batch(1, {"a", "a", "a", "a", "a"});
  box.push_recovered(Slice{b, 0, 5});
  EXPECT_EQ(box.events(), 5u);
  EXPECT_EQ(box.coalesced(), 0u);
  EXPECT_EQ(seqs(box), (std::vector<Seq>{1, 2, 3, 4, 5}));
}

TEST(Outbox, CoalesceOnDemandKeepsTheNewestPerDeviceUnderTheSoftLimitToo) {
  Outbox box;  // far under the soft limit: only an explicit coalesce() (a session's flush) drops
  box.push(batch(1, {"a", "b"}));
  box.push(batch(3, {"a", "c"}));
  box.push(batch(5, {"b"}));
  EXPECT_EQ(box.coalesced(), 0u);
  box.coalesce();
  EXPECT_EQ(box.coalesced(), 2u);
  EXPECT_EQ(box.events(), 3u);
  std::vector<Slice> out;
  std::uint64_t skipped = 0;
  box.take(out, SIZE_MAX, &skipped);
  EXPECT_EQ(seqs_of(out), (std::vector<Seq>{3, 4, 5}));  // a@3, c@4, b@5, in seq order
  EXPECT_EQ(skipped, 2u);
  EXPECT_EQ(out.size(), 2u) << "a@3 and c@4 stay one slice of their batch";
}

TEST(Outbox, CoalesceWithOneEventPerDeviceChangesNothing) {
  Outbox box;
  box.push(batch(1, {"a", "b"}));
  box.push(batch(3, {"c"}));
  const std::size_t bytes = box.bytes();
  box.coalesce();
  EXPECT_EQ(box.coalesced(), 0u);
  EXPECT_EQ(box.bytes(), bytes);
  // And the scratch table is clean: a later coalesce still sees every device afresh.
  box.push(batch(4, {"a"}));
  box.coalesce();
  EXPECT_EQ(seqs(box), (std::vector<Seq>{2, 3, 4}));
}

}  // namespace
}  // namespace fleet::hub
