#include "hub/tenant_hub.hpp"

#include <gtest/gtest.h>

namespace fleet::hub {
namespace {

struct FakeSession : Subscriber {
  explicit FakeSession(OutboxLimits limits = {}) : box(limits) {}
  Outbox& outbox() noexcept override { return box; }
  void on_ready() override { ++ready; }
  void on_overflow() override { ++overflows; }
  Outbox box;
  int ready = 0;
  int overflows = 0;
};

std::shared_ptr<const proto::EncodedBatch> batch(const std::string& tenant, Seq seq,
                                                 const std::string& device = "d") {
  StoredPoint p;
  p.seq = seq;
  p.device = DeviceId(device);
  p.point.ts_ms = 1;
  static proto::DeviceIndex device_index;
  return proto::encode_batch(TenantId(tenant), std::vector<StoredPoint>{p}, device_index);
}

TEST(TenantHub, DeliversOnlyToTheBatchesTenant) {
  TenantHub hub;
  FakeSession a1, a2, b1;
  hub.subscribe(TenantId("a"), &a1);
  hub.subscribe(TenantId("a"), &a2);
  hub.subscribe(TenantId("b"), &b1);
  hub.publish(batch("a", 1));
  EXPECT_EQ(a1.box.events(), 1u);
  EXPECT_EQ(a2.box.events(), 1u);
  EXPECT_EQ(b1.box.events(), 0u);
  EXPECT_EQ(b1.ready, 0);
  EXPECT_EQ(hub.stats().deliveries, 2u);
}

TEST(TenantHub, NotifiesReadyOnlyWhenTheOutboxWasEmpty) {
  TenantHub hub;
  FakeSession s;
  hub.subscribe(TenantId("a"), &s);
  hub.publish(batch("a", 1));
  hub.publish(batch("a", 2));
  EXPECT_EQ(s.ready, 1);  // the second publish joins the pending write
  std::vector<Slice> out;
  s.box.take(out, SIZE_MAX);
  hub.publish(batch("a", 3));
  EXPECT_EQ(s.ready, 2);
}

TEST(TenantHub, SharesOneEncodingAcrossSubscribers) {
  TenantHub hub;
  FakeSession s1, s2;
  hub.subscribe(TenantId("a"), &s1);
  hub.subscribe(TenantId("a"), &s2);
  auto b = batch("a", 1);
  hub.publish(b);
  std::vector<Slice> o1, o2;
  s1.box.take(o1, SIZE_MAX);
  s2.box.take(o2, SIZE_MAX);
  EXPECT_EQ(o1[0].bytes().data(), o2[0].bytes().data());
}

TEST(TenantHub, OverflowIsReportedAfterTheLoopAndNotAsReady) {
  TenantHub hub;
  const std::size_t one = batch("a", 1, "d1")->bytes.size() + 1;
  FakeSession slow(OutboxLimits{one, one});
  FakeSession fast;
  hub.subscribe(TenantId("a"), &slow);
  hub.subscribe(TenantId("a"), &fast);
  hub.publish(batch("a", 1, "d1"));
  hub.publish(batch("a", 2, "d2"));
  EXPECT_EQ(slow.overflows, 1);
  EXPECT_EQ(fast.overflows, 0);
  EXPECT_EQ(fast.box.events(), 2u);
}

TEST(TenantHub, UnsubscribeStopsDeliveryAndForgetsEmptyTenants) {
  TenantHub hub;
  FakeSession s;
  hub.subscribe(TenantId("a"), &s);
  hub.unsubscribe(TenantId("a"), &s);
  hub.publish(batch("a", 1));
  EXPECT_TRUE(s.box.empty());
  EXPECT_EQ(hub.tenants(), 0u);
  hub.unsubscribe(TenantId("zzz"), &s);  // unknown: no-op
}

TEST(TenantHub, KeepsEveryBatchInItsResumeRingWatchedOrNot) {
  TenantHub hub;
  for (Seq s = 1; s <= 3; ++s) hub.publish(batch("org_nobody_watches", s));
  std::vector<Slice> out;
  auto found = hub.ring().collect(TenantId("org_nobody_watches"), 0, out);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->events, 3u);
}

}  // namespace
}  // namespace fleet::hub
