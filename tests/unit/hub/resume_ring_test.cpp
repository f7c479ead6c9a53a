#include "hub/resume_ring.hpp"

#include <gtest/gtest.h>

namespace fleet::hub {
namespace {

using Clock = ResumeRing::Clock;
using std::chrono::seconds;

std::shared_ptr<const proto::EncodedBatch> batch(const std::string& tenant, Seq first_seq, std::size_t n) {
  std::vector<StoredPoint> points;
  for (std::size_t i = 0; i < n; ++i) {
    StoredPoint p;
    p.seq = first_seq + i;
    p.device = DeviceId("dev_" + std::to_string(i));
    p.point.ts_ms = 1'700'000'000'000;
    p.point.lat = 1;
    p.point.lon = 2;
    points.push_back(p);
  }
  static proto::DeviceIndex device_index;
  return proto::encode_batch(TenantId(tenant), points, device_index);
}

std::vector<Seq> seqs(const std::vector<Slice>& slices) {
  std::vector<Seq> out;
  for (const auto& s : slices) {
    for (std::uint32_t i = 0; i < s.count; ++i) out.push_back(s.batch->events[s.first + i].seq);
  }
  return out;
}

TEST(ResumeRing, CollectsExactlyTheEventsAfterSinceAcrossBatches) {
  ResumeRing ring;
  const auto t0 = Clock::now();
  ring.append(batch("org_a", 1, 3), t0);  // 1..3
  ring.append(batch("org_b", 1, 2), t0);  // another tenant, interleaved
  ring.append(batch("org_a", 4, 2), t0);  // 4..5
  ring.append(batch("org_a", 6, 4), t0);  // 6..9
  std::vector<Slice> out;
  auto found = ring.collect(TenantId("org_a"), 2, out);
  ASSERT_TRUE(found);
  EXPECT_EQ(seqs(out), (std::vector<Seq>{3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(found->events, 7u);
  std::size_t bytes = 0;
  for (const auto& s : out) bytes += s.bytes().size() + 1;
  EXPECT_EQ(found->bytes, bytes);
  // The slices point into the shared batches: nothing is copied.
  EXPECT_EQ(out.front().first, 2u);
}

TEST(ResumeRing, AtTheNewestSeqThereIsNothingToSend) {
  ResumeRing ring;
  ring.append(batch("org_a", 1, 3), Clock::now());
  std::vector<Slice> out;
  auto found = ring.collect(TenantId("org_a"), 3, out);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->events, 0u);
  EXPECT_TRUE(out.empty());
}

TEST(ResumeRing, RefusesWhatItCannotAnswerCompletely) {
  ResumeRing ring(ResumeRingLimits{1 << 20, std::chrono::milliseconds(60'000), 1 << 30});
  ring.append(batch("org_a", 10, 5), Clock::now());  // 10..14: 9 is the oldest `since` it can serve
  std::vector<Slice> out;
  EXPECT_FALSE(ring.collect(TenantId("org_a"), 8, out));   // needs 9, which it never had
  EXPECT_FALSE(ring.collect(TenantId("org_a"), 15, out));  // beyond what it received: the store decides
  EXPECT_FALSE(ring.collect(TenantId("org_b"), 0, out));   // a tenant it holds nothing of
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(ring.collect(TenantId("org_a"), 9, out));
}

TEST(ResumeRing, ABatchThatNeverArrivedIsAGapNotARecovery) {
  ResumeRing ring;
  ring.append(batch("org_a", 1, 2), Clock::now());
  ring.append(batch("org_a", 5, 2), Clock::now());  // 3..4 missing
  std::vector<Slice> out;
  EXPECT_FALSE(ring.collect(TenantId("org_a"), 1, out));
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(ring.collect(TenantId("org_a"), 4, out));  // after the gap it is complete
}

TEST(ResumeRing, BoundedPerTenantInBytesKeepingTheNewest) {
  const std::size_t one = batch("org_a", 1, 10)->bytes.size() + 1;
  // Later batches have two-digit seqs (10 bytes more each): the bound leaves room for three of those.
  ResumeRing ring(ResumeRingLimits{one * 3 + 40, std::chrono::milliseconds(60'000), 1 << 30});
  for (Seq s = 1; s <= 100; s += 10) ring.append(batch("org_a", s, 10), Clock::now());
  EXPECT_EQ(ring.batches(), 3u);
  EXPECT_LE(ring.bytes(), one * 3 + 40);
  std::vector<Slice> out;
  EXPECT_FALSE(ring.collect(TenantId("org_a"), 69, out));
  EXPECT_TRUE(ring.collect(TenantId("org_a"), 70, out));
  // One batch larger than the bound is still kept: the newest always is.
  ResumeRing tiny(ResumeRingLimits{10, std::chrono::milliseconds(60'000), 1 << 30});
  tiny.append(batch("org_a", 1, 10), Clock::now());
  EXPECT_EQ(tiny.batches(), 1u);
}

TEST(ResumeRing, TheTotalBoundTakesFromTheTenantThatPushesIt) {
  const std::size_t one = batch("org_a", 1, 10)->bytes.size() + 1;
  // Batches after the first have two-digit seqs (9 bytes more): room for exactly four.
  ResumeRing ring(ResumeRingLimits{one * 10, std::chrono::milliseconds(60'000), one * 4 + 40});
  ring.append(batch("org_a", 1, 10), Clock::now());
  ring.append(batch("org_a", 11, 10), Clock::now());
  for (Seq s = 1; s <= 50; s += 10) ring.append(batch("org_b", s, 10), Clock::now());
  EXPECT_LE(ring.bytes(), one * 4 + 40);
  EXPECT_EQ(ring.batches(), 4u);  // org_a's 2, and org_b's newest 2
  std::vector<Slice> out;
  EXPECT_TRUE(ring.collect(TenantId("org_a"), 0, out));  // org_a kept all it had
  EXPECT_EQ(seqs(out).size(), 20u);
}

TEST(ResumeRing, SeedsOlderEventsOnlyWhenContiguousWithWhatItHolds) {
  ResumeRing ring;
  const auto now = Clock::now();
  // Empty: the read must end at the tenant's seq.
  EXPECT_FALSE(ring.seed(batch("org_a", 1, 4), 9, now));
  EXPECT_TRUE(ring.seed(batch("org_a", 6, 4), 9, now));  // 6..9
  ring.append(batch("org_a", 10, 2), now);               // 10..11 arrive live
  // In front: must end right before 6, and the ring's newest must be the read's seq.
  EXPECT_FALSE(ring.seed(batch("org_a", 1, 4), 11, now));  // ends at 4: a gap at 5
  EXPECT_FALSE(ring.seed(batch("org_a", 2, 4), 12, now));  // newest is 11, not 12
  EXPECT_TRUE(ring.seed(batch("org_a", 2, 4), 11, now));   // 2..5
  auto span = ring.span(TenantId("org_a"));
  ASSERT_TRUE(span);
  EXPECT_EQ(span->first, 2u);
  EXPECT_EQ(span->last, 11u);
  std::vector<Slice> out;
  ASSERT_TRUE(ring.collect(TenantId("org_a"), 1, out));
  EXPECT_EQ(seqs(out), (std::vector<Seq>{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  // No room under the tenant's byte bound: refused, nothing changes.
  const std::size_t one = batch("org_a", 1, 1)->bytes.size() + 1;
  ResumeRing small(ResumeRingLimits{one * 2, std::chrono::milliseconds(60'000), 1 << 30});
  EXPECT_FALSE(small.seed(batch("org_a", 1, 5), 5, now));
  EXPECT_EQ(small.batches(), 0u);
}

TEST(ResumeRing, ExpiresByAgeAndForgetsEmptyTenants) {
  ResumeRing ring(ResumeRingLimits{1 << 20, std::chrono::milliseconds(10'000), 1 << 30});
  const auto t0 = Clock::now();
  ring.append(batch("org_a", 1, 2), t0);
  ring.append(batch("org_b", 1, 2), t0 + seconds(8));
  ring.expire(t0 + seconds(11));
  EXPECT_EQ(ring.batches(), 1u);
  EXPECT_EQ(ring.tenants(), 1u);
  std::vector<Slice> out;
  EXPECT_FALSE(ring.collect(TenantId("org_a"), 0, out));
  EXPECT_TRUE(ring.collect(TenantId("org_b"), 0, out));
  ring.expire(t0 + seconds(20));
  EXPECT_EQ(ring.batches(), 0u);
  EXPECT_EQ(ring.bytes(), 0u);
}

}  // namespace
}  // namespace fleet::hub
