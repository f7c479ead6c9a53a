#include "cluster/tenant_sequencer.hpp"

#include <gtest/gtest.h>

#include "cluster_test_batches.hpp"

namespace fleet::cluster {
namespace {

using test::batch;
using test::range;
using test::seqs;

const TenantId kA("org_a");
const TenantId kB("org_b");

// An initialised sequencer where org_a and org_b have delivered nothing yet.
TenantSequencer started(SequencerOptions o = {}) {
  TenantSequencer s(o);
  Batches out;
  const std::vector<TenantHead> heads{{kA, 0}, {kB, 0}};
  s.init(heads, 0, out);
  return s;
}

TEST(TenantSequencer, DeliversInOrderBatchesAsTheyCome) {
  auto s = started();
  Batches out;
  auto first = batch("org_a", 1, 3);
  s.offer(first, 0, out);
  s.offer(batch("org_a", 4, 4), 0, out);
  s.offer(batch("org_b", 1, 2), 0, out);
  EXPECT_EQ(out.front(), first);  // in order: handed on as is, no copy
  EXPECT_EQ(seqs(out), (std::vector<Seq>{1, 2, 3, 4, 1, 2}));
  EXPECT_EQ(s.delivered(kA), 4u);
  EXPECT_FALSE(s.has_gaps());
}

TEST(TenantSequencer, DropsDuplicatesAndTrimsOverlaps) {
  auto s = started();
  Batches out;
  s.offer(batch("org_a", 1, 3), 0, out);
  s.offer(batch("org_a", 1, 3), 0, out);  // a repeat
  s.offer(batch("org_a", 2, 5), 0, out);  // overlaps: only 4 and 5 are new
  EXPECT_EQ(seqs(out), range(1, 5));
  EXPECT_EQ(s.stats().duplicate_events, 5u);
}

TEST(TenantSequencer, HoldsAnEarlyArrivalUntilTheGapIsFilled) {
  auto s = started();
  Batches out;
  s.offer(batch("org_a", 1, 1), 0, out);
  s.offer(batch("org_a", 4, 5), 10, out);  // 2..3 still on the way
  s.offer(batch("org_a", 7, 7), 11, out);  // and 6
  EXPECT_EQ(seqs(out), (std::vector<Seq>{1}));
  EXPECT_TRUE(s.has_gaps());
  EXPECT_EQ(s.stats().held_batches, 2u);
  s.offer(batch("org_a", 2, 3), 20, out);
  EXPECT_EQ(seqs(out), range(1, 5));
  s.offer(batch("org_a", 6, 6), 30, out);
  EXPECT_EQ(seqs(out), range(1, 7));
  EXPECT_FALSE(s.has_gaps());
  EXPECT_EQ(s.stats().held_batches, 0u);
  EXPECT_EQ(s.stats().held_bytes, 0u);
  EXPECT_TRUE(s.take_repairs(10'000).empty());  // filled by the bus within the hold: nothing to repair
}

TEST(TenantSequencer, ReportsAGapOlderThanTheHoldAndTakesTheRepairAnswer) {
  auto s = started(SequencerOptions{.hold_ms = 200});
  Batches out;
  s.offer(batch("org_a", 1, 1), 1000, out);
  s.offer(batch("org_a", 5, 6), 1000, out);
  EXPECT_TRUE(s.take_repairs(1199).empty());  // still within the hold
  auto due = s.take_repairs(1200);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].tenant, kA);
  EXPECT_EQ(due[0].after, 1u);
  EXPECT_EQ(due[0].gap_since_ms, 1000);
  EXPECT_TRUE(s.take_repairs(5000).empty());  // one repair in flight per tenant
  // The store answers everything after 1 (up to its head, past the held batch): no duplicates.
  s.offer(batch("org_a", 2, 6), 1250, out);
  s.repair_done(kA, 1250);
  EXPECT_EQ(seqs(out), range(1, 6));
  EXPECT_FALSE(s.has_gaps());
}

TEST(TenantSequencer, RetriesARepairThatLeftTheGapOpen) {
  auto s = started(SequencerOptions{.hold_ms = 100});
  Batches out;
  s.offer(batch("org_a", 3, 3), 0, out);
  ASSERT_EQ(s.take_repairs(100).size(), 1u);
  s.repair_done(kA, 150);  // the store failed
  EXPECT_TRUE(s.take_repairs(249).empty());
  EXPECT_EQ(s.take_repairs(250).size(), 1u);
}

TEST(TenantSequencer, AProbedHeadOpensAGap) {
  auto s = started(SequencerOptions{.hold_ms = 200});
  Batches out;
  s.offer(batch("org_a", 1, 2), 0, out);
  const std::vector<TenantHead> probe{{kA, 2}, {kB, 4}};  // org_b committed 1..4, none came over the bus
  s.heads(probe, 500);
  EXPECT_TRUE(s.has_gaps());
  auto due = s.take_repairs(700);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].tenant, kB);
  EXPECT_EQ(due[0].after, 0u);
  s.offer(batch("org_b", 1, 4), 710, out);
  s.repair_done(kB, 710);
  EXPECT_FALSE(s.has_gaps());
  EXPECT_EQ(s.delivered(kB), 4u);
}

TEST(TenantSequencer, AStaleProbeHeadChangesNothing) {
  auto s = started();
  Batches out;
  s.offer(batch("org_a", 1, 5), 0, out);
  const std::vector<TenantHead> probe{{kA, 3}};
  s.heads(probe, 10);
  EXPECT_FALSE(s.has_gaps());
}

TEST(TenantSequencer, SkipsForwardWhenARepairIsOverTheCap) {
  auto s = started(SequencerOptions{.hold_ms = 0});
  Batches out;
  s.offer(batch("org_a", 1, 1), 0, out);
  s.offer(batch("org_a", 50'000, 50'001), 0, out);  // far ahead of what was delivered
  ASSERT_EQ(s.take_repairs(0).size(), 1u);
  s.skip_to(kA, 40'000, 0, out);  // the store can give at most the newest 10,000
  EXPECT_EQ(s.delivered(kA), 40'000u);
  EXPECT_EQ(s.stats().skipped_events, 39'999u);
  auto again = s.take_repairs(0);  // the rest of the gap is due at once
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].after, 40'000u);
  s.offer(batch("org_a", 40'001, 50'001), 0, out);
  s.repair_done(kA, 0);
  const auto delivered = seqs(out);
  ASSERT_EQ(delivered.size(), 1u + 10'001u);
  EXPECT_EQ(delivered.front(), 1u);
  EXPECT_EQ(delivered[1], 40'001u);  // a jump: the outboxes report it as `skipped`
  EXPECT_EQ(delivered.back(), 50'001u);
  EXPECT_FALSE(s.has_gaps());
}

TEST(TenantSequencer, SkipPastAHeldBatchTrimsIt) {
  auto s = started(SequencerOptions{.hold_ms = 0});
  Batches out;
  s.offer(batch("org_a", 10, 12), 0, out);
  s.skip_to(kA, 10, 0, out);
  EXPECT_EQ(seqs(out), (std::vector<Seq>{11, 12}));
}

TEST(TenantSequencer, BuffersWhatComesBeforeInit) {
  TenantSequencer s;
  Batches out;
  s.offer(batch("org_a", 5, 6), 0, out);  // committed before the heads were read: already in them
  s.offer(batch("org_a", 7, 8), 0, out);
  s.offer(batch("org_b", 3, 3), 0, out);  // org_b's head will be 1: 2 is missing
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(s.take_repairs(1'000'000).empty());
  const std::vector<TenantHead> heads{{kA, 6}, {kB, 1}};
  s.init(heads, 0, out);
  EXPECT_EQ(seqs(out), (std::vector<Seq>{7, 8}));
  EXPECT_EQ(s.delivered(kB), 1u);
  EXPECT_TRUE(s.has_gaps());
  EXPECT_EQ(s.stats().held_batches, 1u);  // org_b's 3, waiting for 2
}

TEST(TenantSequencer, AnUnknownTenantStartsAtZero) {
  auto s = started();
  Batches out;
  s.offer(batch("org_new", 1, 2), 0, out);
  EXPECT_EQ(seqs(out), range(1, 2));
}

TEST(TenantSequencer, EarlyArrivalsOverTheBoundAreLeftToTheRepair) {
  auto s = started(SequencerOptions{.hold_ms = 0, .max_held_batches = 2});
  Batches out;
  s.offer(batch("org_a", 3, 3), 0, out);
  s.offer(batch("org_a", 5, 5), 0, out);
  s.offer(batch("org_a", 7, 9), 0, out);  // over the bound: not kept, but its seqs are known
  EXPECT_EQ(s.stats().held_batches, 2u);
  EXPECT_EQ(s.stats().held_dropped, 1u);
  auto due = s.take_repairs(0);
  ASSERT_EQ(due.size(), 1u);
  s.offer(batch("org_a", 1, 9), 0, out);  // the store's answer reaches the known head
  s.repair_done(kA, 0);
  EXPECT_EQ(seqs(out), range(1, 9));
  EXPECT_FALSE(s.has_gaps());
}

}  // namespace
}  // namespace fleet::cluster
