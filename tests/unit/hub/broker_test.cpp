#include "hub/broker.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "obs/metrics.hpp"

namespace fleet::hub {
namespace {

struct Viewer : Subscriber {
  Viewer() : box(OutboxLimits{SIZE_MAX / 2, SIZE_MAX}) {}  // never coalesces: only the broker may
  Outbox& outbox() noexcept override { return box; }
  void on_ready() override {}
  void on_overflow() override {}
  Outbox box;
};

// A worker that runs nothing until the test says so.
struct StalledWorker {
  std::vector<std::function<void()>> queue;
  LocalBroker::Post post() {
    return [this](std::function<void()> t) { queue.push_back(std::move(t)); };
  }
  void run() {
    auto tasks = std::move(queue);
    queue.clear();
    for (auto& t : tasks) t();
  }
};

std::shared_ptr<const proto::EncodedBatch> batch(const std::string& tenant,
                                                 std::vector<std::pair<Seq, std::string>> events) {
  std::vector<StoredPoint> points;
  for (auto& [seq, device] : events) {
    StoredPoint p;
    p.seq = seq;
    p.device = DeviceId(device);
    p.point.ts_ms = static_cast<std::int64_t>(seq);
    points.push_back(p);
  }
  static proto::DeviceIndex device_index;
  return proto::encode_batch(TenantId(tenant), points, device_index);
}

std::int64_t gauge(const char* name) { return obs::Registry::global().gauge(name, "").value(); }
std::uint64_t counter(const char* name) { return obs::Registry::global().counter(name, "").value(); }

// What a client checks (docs/protocol.md, "telemetry"): events ascend, start above what it has, and
// last - prev = events + skipped. Returns the seqs delivered, per device the newest.
struct Frame {
  std::vector<Seq> seqs;
  std::map<std::string, Seq> newest;
  std::uint64_t skipped = 0;
};
Frame take_frame(Outbox& box) {
  std::vector<Slice> out;
  Frame f;
  box.take(out, SIZE_MAX, &f.skipped);
  for (const Slice& s : out) {
    for (std::uint32_t i = s.first; i < s.first + s.count; ++i) {
      const auto& e = s.batch->events[i];
      f.seqs.push_back(e.seq);
      f.newest[e.device.str()] = e.seq;
    }
  }
  return f;
}
void expect_consistent(const Frame& f, Seq prev) {
  ASSERT_FALSE(f.seqs.empty());
  EXPECT_GT(f.seqs.front(), prev);
  for (std::size_t i = 1; i < f.seqs.size(); ++i) EXPECT_LT(f.seqs[i - 1], f.seqs[i]);
  EXPECT_EQ(f.seqs.back() - prev, f.seqs.size() + f.skipped);
}

TEST(LocalBroker, PostsOneDrainPerWorkerPerBurstAndKeepsOrder) {
  TenantHub h1, h2;
  Viewer v1, v2;
  h1.subscribe(TenantId("a"), &v1);
  h2.subscribe(TenantId("a"), &v2);
  StalledWorker w1, w2;
  LocalBroker broker;
  broker.add_shard(w1.post(), h1);
  broker.add_shard(w2.post(), h2);
  broker.publish(batch("a", {{1, "d"}}));
  broker.publish(batch("a", {{2, "d"}}));
  EXPECT_EQ(w1.queue.size(), 1u);  // one wake-up for the burst
  EXPECT_EQ(w2.queue.size(), 1u);
  EXPECT_EQ(broker.stats(0).pending_batches, 2u);
  EXPECT_EQ(gauge("fleet_broker_pending_batches"), 4);  // two batches waiting for each of two workers
  w1.run();
  w2.run();
  EXPECT_EQ(broker.stats(1).pending_batches, 0u);
  EXPECT_EQ(gauge("fleet_broker_pending_batches"), 0);
  EXPECT_EQ(gauge("fleet_broker_pending_bytes"), 0);
  const Frame f = take_frame(v2.box);
  EXPECT_EQ(f.seqs, (std::vector<Seq>{1, 2}));
  EXPECT_EQ(f.skipped, 0u);
  // The drain reset its flag: the next publish wakes the worker again.
  broker.publish(batch("a", {{3, "d"}}));
  EXPECT_EQ(w1.queue.size(), 1u);
}

TEST(LocalBroker, AStalledWorkerStaysWithinTheBoundAndItsViewersGetAConsistentStream) {
  TenantHub hub;
  Viewer a, b;
  hub.subscribe(TenantId("a"), &a);
  hub.subscribe(TenantId("b"), &b);
  StalledWorker worker;
  LocalBroker broker(BrokerLimits{8, 1 << 20});
  broker.add_shard(worker.post(), hub);
  const std::uint64_t dropped_before = counter("fleet_broker_dropped_events_total");

  std::size_t most = 0;
  Seq a_seq = 0, b_seq = 0;
  std::map<std::string, Seq> a_newest;
  for (int i = 0; i < 300; ++i) {
    if (i % 3 == 2) {
      ++b_seq;
      broker.publish(batch("b", {{b_seq, "b" + std::to_string(i % 2)}}));
    } else {
      // Two events per batch, five devices.
      const std::string d1 = "a" + std::to_string(i % 5), d2 = "a" + std::to_string((i + 2) % 5);
      broker.publish(batch("a", {{a_seq + 1, d1}, {a_seq + 2, d2}}));
      a_newest[d1] = a_seq + 1;
      a_newest[d2] = a_seq + 2;
      a_seq += 2;
    }
    const auto st = broker.stats(0);
    most = std::max(most, st.pending_batches);
    ASSERT_LE(st.pending_batches, 8u);
    EXPECT_EQ(gauge("fleet_broker_pending_batches"), static_cast<std::int64_t>(st.pending_batches));
    EXPECT_EQ(gauge("fleet_broker_pending_bytes"), static_cast<std::int64_t>(st.pending_bytes));
  }
  EXPECT_EQ(most, 8u);  // it did fill up
  const auto st = broker.stats(0);
  EXPECT_GT(st.overflows, 0u);
  EXPECT_EQ(counter("fleet_broker_dropped_events_total") - dropped_before, st.dropped_events);
  ASSERT_EQ(worker.queue.size(), 1u);  // one drain waits, whatever was published behind it

  worker.run();
  EXPECT_EQ(gauge("fleet_broker_pending_batches"), 0);
  const Frame fa = take_frame(a.box);
  expect_consistent(fa, 0);
  EXPECT_EQ(fa.seqs.back(), a_seq);  // the newest is never dropped
  EXPECT_GT(fa.skipped, 0u);         // the gap is explained, as coalescing explains it
  EXPECT_EQ(fa.newest, a_newest);    // and every device's newest position arrived
  const Frame fb = take_frame(b.box);
  expect_consistent(fb, 0);
  EXPECT_EQ(fb.seqs.back(), b_seq);
  // Everything dropped is accounted for: delivered + skipped = published, per tenant.
  EXPECT_EQ(st.dropped_events, fa.skipped + fb.skipped);

  // The resume ring does not answer across the gap (the store does); after it, it does.
  std::vector<Slice> slices;
  EXPECT_FALSE(hub.ring().collect(TenantId("a"), 0, slices));
  // And a worker that caught up is back to gap-free delivery.
  broker.publish(batch("a", {{a_seq + 1, "a0"}}));
  worker.run();
  const Frame next = take_frame(a.box);
  expect_consistent(next, a_seq);
  EXPECT_EQ(next.skipped, 0u);
  EXPECT_TRUE(hub.ring().collect(TenantId("a"), a_seq, slices));
}

TEST(LocalBroker, ManyTenantsOverABoundKeepTheNewestAndShedTheOldest) {
  TenantHub hub;
  Viewer last;
  hub.subscribe(TenantId("t39"), &last);
  StalledWorker worker;
  LocalBroker broker(BrokerLimits{8, 1 << 20});
  broker.add_shard(worker.post(), hub);
  for (int t = 0; t < 40; ++t) {
    broker.publish(batch("t" + std::to_string(t), {{1, "d"}}));
    ASSERT_LE(broker.stats(0).pending_batches, 8u);
  }
  worker.run();
  const Frame f = take_frame(last.box);
  EXPECT_EQ(f.seqs, (std::vector<Seq>{1}));
}

TEST(LocalBroker, TheByteBoundHoldsToo) {
  TenantHub hub;
  StalledWorker worker;
  const std::size_t one = batch("t0", {{99, "d"}})->bytes.size();  // as large as any below
  LocalBroker broker(BrokerLimits{1000, 4 * one});
  broker.add_shard(worker.post(), hub);
  for (Seq s = 1; s <= 99; ++s) {
    broker.publish(batch("t" + std::to_string(s % 3), {{s, "d"}}));
    ASSERT_LE(broker.stats(0).pending_bytes, 4 * one);
  }
  EXPECT_GT(broker.stats(0).overflows, 0u);
}

}  // namespace
}  // namespace fleet::hub
