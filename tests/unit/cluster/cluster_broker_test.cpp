#include "cluster/cluster_broker.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>

#include "cluster/bus_message.hpp"
#include "cluster/cluster_metrics.hpp"
#include "cluster/nats_bus.hpp"
#include "cluster_test_batches.hpp"
#include "eventually.hpp"
#include "nats_server.hpp"

namespace fleet::cluster {
namespace {

using testing::eventually;

// The system of record both nodes share: committed points per tenant, answered inline like a store that
// serves reads from memory. `defer` keeps the answers until run_deferred() (a slow database).
class FakeSource final : public SeqSource {
 public:
  std::vector<StoredPoint> commit(const std::string& tenant, std::size_t n) {
    std::lock_guard lock(mu_);
    auto& points = committed_[TenantId(tenant)];
    const Seq first = points.size() + 1;
    auto fresh = test::points(first, first + n - 1);
    points.insert(points.end(), fresh.begin(), fresh.end());
    return fresh;
  }

  void heads(store::Callback<std::vector<TenantHead>> done) override {
    std::vector<TenantHead> out;
    {
      std::lock_guard lock(mu_);
      ++heads_calls_;
      for (const auto& [tenant, points] : committed_) out.push_back(TenantHead{tenant, points.size()});
      if (defer_) {
        deferred_.emplace_back([done = std::move(done), out] { done(out); });
        return;
      }
    }
    done(std::move(out));
  }

  void events_after(TenantId tenant, Seq since, std::size_t max,
                    store::Callback<store::Recovery> done) override {
    store::Recovery r;
    {
      std::lock_guard lock(mu_);
      const auto& points = committed_[tenant];
      r.seq = points.size();
      if (since <= r.seq && r.seq - since <= max) {
        r.complete = true;
        r.points.assign(points.begin() + static_cast<std::ptrdiff_t>(since), points.end());
      }
      if (defer_) {
        deferred_.emplace_back([done = std::move(done), r] { done(r); });
        return;
      }
    }
    done(std::move(r));
  }

  void set_defer(bool defer) {
    std::lock_guard lock(mu_);
    defer_ = defer;
  }
  std::size_t heads_calls() {
    std::lock_guard lock(mu_);
    return heads_calls_;
  }
  void run_deferred() {
    std::vector<std::function<void()>> run;
    {
      std::lock_guard lock(mu_);
      run.swap(deferred_);
    }
    for (auto& f : run) f();
  }

 private:
  std::mutex mu_;
  std::map<TenantId, std::vector<StoredPoint>> committed_;
  bool defer_ = false;
  std::size_t heads_calls_ = 0;
  std::vector<std::function<void()>> deferred_;
};

// An in-memory NATS: what one bus publishes reaches every other bus's handler, at once (on the publisher's
// thread), or, while `hold` is set, when the test releases it, in the order and as often as it likes.
class FakeNetwork;
class FakeBus final : public Bus {
 public:
  explicit FakeBus(FakeNetwork& net) : net_(net) {}
  void publish(std::string_view subject, std::string_view payload) override;
  void subscribe(Handler handler) override { handler_ = std::move(handler); }
  bool connected() const override { return true; }
  void deliver(std::string_view subject, std::string_view payload) {
    if (handler_) handler_(subject, payload);
  }

 private:
  FakeNetwork& net_;
  Handler handler_;
};

class FakeNetwork {
 public:
  struct Message {
    FakeBus* from;
    std::string subject;
    std::string payload;
  };
  void join(FakeBus& bus) { buses_.push_back(&bus); }
  void send(FakeBus* from, std::string_view subject, std::string_view payload) {
    {
      std::lock_guard lock(mu_);
      ++sent_;
      if (drop_ && drop_(sent_)) return;
      if (hold_) {
        held_.push_back(Message{from, std::string(subject), std::string(payload)});
        return;
      }
    }
    deliver(Message{from, std::string(subject), std::string(payload)});
  }
  void deliver(const Message& m) {
    for (FakeBus* b : buses_) {
      if (b != m.from) b->deliver(m.subject, m.payload);
    }
  }
  // `drop(n)`: whether to lose the n-th message sent (from 1).
  void set_drop(std::function<bool(std::size_t)> drop) {
    std::lock_guard lock(mu_);
    drop_ = std::move(drop);
  }
  void set_hold(bool hold) {
    std::lock_guard lock(mu_);
    hold_ = hold;
  }
  std::vector<Message> take_held() {
    std::lock_guard lock(mu_);
    return std::exchange(held_, {});
  }
  std::size_t sent() {
    std::lock_guard lock(mu_);
    return sent_;
  }

 private:
  std::mutex mu_;
  std::vector<FakeBus*> buses_;
  std::function<bool(std::size_t)> drop_;
  bool hold_ = false;
  std::size_t sent_ = 0;
  std::vector<Message> held_;
};

void FakeBus::publish(std::string_view subject, std::string_view payload) {
  net_.send(this, subject, payload);
}

// A session watching one tenant: records the seqs it is handed (on the cluster thread, where its worker
// runs in these tests) and what its outbox reports as skipped.
struct Viewer final : hub::Subscriber {
  hub::Outbox box{hub::OutboxLimits{SIZE_MAX / 2, SIZE_MAX}};
  std::mutex mu;
  std::vector<Seq> seen;
  std::uint64_t skipped = 0;

  hub::Outbox& outbox() noexcept override { return box; }
  void on_overflow() override {}
  void on_ready() override {
    std::vector<hub::Slice> slices;
    std::uint64_t skip = 0;
    box.take(slices, SIZE_MAX, &skip);
    std::lock_guard lock(mu);
    skipped += skip;
    for (const auto& s : slices) {
      for (std::uint32_t k = 0; k < s.count; ++k) seen.push_back(s.batch->events[s.first + k].seq);
    }
  }
  std::vector<Seq> seqs() {
    std::lock_guard lock(mu);
    return seen;
  }
};

ClusterOptions fast(std::string node) {
  ClusterOptions o;
  o.node_id = std::move(node);
  o.hold_ms = 20;
  o.probe_ms = 30;
  return o;
}

// One fleetd node: a worker (running its tasks inline, on the cluster thread), its hub with a viewer of
// org_a, and the ClusterBroker in front of its LocalBroker.
struct Node {
  Node(FakeNetwork* net, FakeSource& source, ClusterOptions options) {
    if (net) {
      bus = std::make_unique<FakeBus>(*net);
      net->join(*bus);
    }
    init(bus.get(), source, std::move(options));
  }
  Node(std::unique_ptr<NatsBus> nats_bus, FakeSource& source, ClusterOptions options)
      : nats(std::move(nats_bus)) {
    init(nats.get(), source, std::move(options));
  }
  void init(Bus* b, FakeSource& source, ClusterOptions options) {
    local.add_shard([](const std::function<void()>& task) { task(); }, hub);
    hub.subscribe(TenantId("org_a"), &viewer);
    broker = std::make_unique<ClusterBroker>(b, source, local, index, std::move(options));
  }
  ~Node() {
    broker->stop();
    hub.unsubscribe(TenantId("org_a"), &viewer);
  }
  // What the ingest handler's store callback does, in commit order.
  void ingest(FakeSource& source, const std::string& tenant, std::size_t n) {
    auto points = source.commit(tenant, n);
    broker->publish(proto::encode_batch(TenantId(tenant), points, index));
  }

  std::unique_ptr<FakeBus> bus;
  std::unique_ptr<NatsBus> nats;
  proto::DeviceIndex index;
  hub::TenantHub hub;
  hub::LocalBroker local;
  Viewer viewer;
  std::unique_ptr<ClusterBroker> broker;
};

bool sees(Viewer& v, const std::vector<Seq>& expected) {
  return eventually([&] { return v.seqs().size() >= expected.size(); }) && v.seqs() == expected;
}

TEST(ClusterBroker, EachNodeDeliversEveryCommitInOrder) {
  FakeNetwork net;
  FakeSource source;
  Node a(&net, source, fast("a"));
  Node b(&net, source, fast("b"));
  a.broker->start();
  b.broker->start();
  ASSERT_TRUE(eventually([&] { return a.broker->ready() && b.broker->ready(); }));
  for (int k = 0; k < 20; ++k) a.ingest(source, "org_a", 3);
  for (int k = 0; k < 5; ++k) b.ingest(source, "org_a", 2);  // both nodes ingest one tenant
  EXPECT_TRUE(sees(b.viewer, test::range(1, 70)));
  EXPECT_TRUE(sees(a.viewer, test::range(1, 70)));
  EXPECT_EQ(b.broker->delivered(TenantId("org_a")), 70u);
}

TEST(ClusterBroker, ABatchTheBusLostIsRepairedFromTheStore) {
  FakeNetwork net;
  FakeSource source;
  Node a(&net, source, fast("a"));
  Node b(&net, source, fast("b"));
  a.broker->start();
  b.broker->start();
  ASSERT_TRUE(eventually([&] { return a.broker->ready() && b.broker->ready(); }));
  ClusterMetrics& m = ClusterMetrics::get();
  const auto gaps = m.gaps_repaired.value();
  const auto repaired = m.repaired_events.value();
  const auto timed = m.repair.count();
  net.set_drop([](std::size_t n) { return n == 2; });  // the second batch never reaches b
  for (int k = 0; k < 3; ++k) a.ingest(source, "org_a", 4);
  EXPECT_TRUE(sees(b.viewer, test::range(1, 12)));
  EXPECT_GE(m.gaps_repaired.value(), gaps + 1);
  EXPECT_GE(m.repaired_events.value(), repaired + 4);
  EXPECT_GE(m.repair.count(), timed + 1);
}

TEST(ClusterBroker, ACommitNeverPublishedArrivesByTheProbe) {
  FakeNetwork net;
  FakeSource source;
  Node a(&net, source, fast("a"));
  Node b(&net, source, fast("b"));
  a.broker->start();
  b.broker->start();
  ASSERT_TRUE(eventually([&] { return a.broker->ready() && b.broker->ready(); }));
  a.ingest(source, "org_a", 2);
  source.commit("org_a", 3);  // node a was killed between COMMIT and publish: no later batch shows the gap
  EXPECT_TRUE(sees(b.viewer, test::range(1, 5)));
}

TEST(ClusterBroker, ReorderedAndRepeatedMessagesGiveContiguousUniqueDelivery) {
  FakeNetwork net;
  FakeSource source;
  ClusterOptions slow_repair = fast("b");
  slow_repair.hold_ms = 60'000;  // nothing is repaired: the sequencer alone must sort the bus out
  slow_repair.probe_ms = 60'000;
  Node a(&net, source, fast("a"));
  Node b(&net, source, slow_repair);
  a.broker->start();
  b.broker->start();
  ASSERT_TRUE(eventually([&] { return a.broker->ready() && b.broker->ready(); }));
  const auto gaps = ClusterMetrics::get().gaps_repaired.value();
  net.set_hold(true);
  for (int k = 0; k < 8; ++k) a.ingest(source, "org_a", 2);
  auto held = net.take_held();
  ASSERT_EQ(held.size(), 8u);
  std::reverse(held.begin(), held.end());
  for (const auto& msg : held) {
    net.deliver(msg);
    net.deliver(msg);  // every message twice
  }
  net.deliver(held.back());  // and the first once more, after the rest
  EXPECT_TRUE(sees(b.viewer, test::range(1, 16)));
  EXPECT_TRUE(
      testing::holds_for([&] { return b.viewer.seqs().size() == 16; }, std::chrono::milliseconds(50)));
  EXPECT_EQ(ClusterMetrics::get().gaps_repaired.value(), gaps);
}

std::unique_ptr<NatsBus> nats_bus(const std::string& url, const std::string& name) {
  auto bus = NatsBus::connect(url, name);
  if (!bus) throw std::runtime_error(bus.error().message);
  return std::move(*bus);
}

TEST(ClusterBroker, NodesDeliverOverNatsAndAfterTheServerRestarts) {
  testing::NatsServer server;
  FakeSource source;
  ClusterOptions bus_only = fast("b");
  bus_only.hold_ms = 60'000;  // no repair: b gets a's commits over NATS or not at all
  bus_only.probe_ms = 60'000;
  Node a(nats_bus(server.url(), "a"), source, fast("a"));
  Node b(nats_bus(server.url(), "b"), source, bus_only);
  a.broker->start();
  b.broker->start();
  ASSERT_TRUE(eventually([&] { return a.broker->ready() && b.broker->ready(); }));
  for (int k = 0; k < 10; ++k) a.ingest(source, "org_a", 3);
  EXPECT_TRUE(sees(b.viewer, test::range(1, 30)));

  server.kill9();
  ASSERT_TRUE(eventually([&] { return !a.nats->connected() && !b.nats->connected(); }));
  server.start();
  ASSERT_TRUE(eventually([&] { return a.nats->connected() && b.nats->connected(); }));
  // b's subscription is back once a message from a reaches it (a bad one: only counted, never delivered).
  auto& dropped = ClusterMetrics::get().dropped_messages;
  const auto before = dropped.value();
  ASSERT_TRUE(eventually(
      [&] {
        a.nats->publish("fleet.v1.org_a", "ping");
        return dropped.value() > before;
      },
      std::chrono::seconds(20), std::chrono::milliseconds(20)));
  for (int k = 0; k < 10; ++k) a.ingest(source, "org_a", 3);
  EXPECT_TRUE(sees(b.viewer, test::range(1, 60)));
}

TEST(ClusterBroker, PollOnlyWithoutABus) {
  FakeSource source;
  Node a(nullptr, source, fast("a"));
  Node b(nullptr, source, fast("b"));
  a.broker->start();
  b.broker->start();
  ASSERT_TRUE(eventually([&] { return a.broker->ready() && b.broker->ready(); }));
  for (int k = 0; k < 4; ++k) a.ingest(source, "org_a", 5);
  EXPECT_TRUE(sees(b.viewer, test::range(1, 20)));
  EXPECT_TRUE(sees(a.viewer, test::range(1, 20)));
}

TEST(ClusterBroker, ARepairOverTheCapSkipsForwardAndSessionsReportIt) {
  FakeSource source;
  ClusterOptions capped = fast("b");
  capped.max_repair = 5;
  Node a(nullptr, source, fast("a"));
  Node b(nullptr, source, capped);
  b.broker->start();
  ASSERT_TRUE(eventually([&] { return b.broker->ready(); }));
  const auto skipped = ClusterMetrics::get().skipped_events.value();
  source.commit("org_a", 20);  // 20 missing, the cap is 5: the oldest 15 are given up
  EXPECT_TRUE(sees(b.viewer, test::range(16, 20)));
  std::lock_guard lock(b.viewer.mu);
  EXPECT_EQ(b.viewer.skipped, 15u);  // the session tells its client, nothing is lost silently
  EXPECT_EQ(ClusterMetrics::get().skipped_events.value(), skipped + 15);
}

TEST(ClusterBroker, BadMessagesAreDroppedAndCounted) {
  FakeNetwork net;
  FakeSource source;
  Node a(&net, source, fast("a"));
  Node b(&net, source, fast("b"));
  b.broker->start();
  ASSERT_TRUE(eventually([&] { return b.broker->ready(); }));
  ClusterMetrics& m = ClusterMetrics::get();
  const auto dropped = m.dropped_messages.value();
  auto other = test::batch("org_b", 1, 1);
  net.send(a.bus.get(), "fleet.v1.org_a", "{not json");
  net.send(a.bus.get(), "fleet.v1.org_a", encode_bus_message(*other, "a", 1));  // org_b's points on org_a
  EXPECT_TRUE(eventually([&] { return m.dropped_messages.value() == dropped + 2; }));
  EXPECT_TRUE(b.viewer.seqs().empty());
}

TEST(ClusterBroker, CommitsBeforeTheHeadsLoadAreDeliveredAfter) {
  FakeNetwork net;
  FakeSource source;
  source.set_defer(true);  // the database answers late
  Node a(&net, source, fast("a"));
  a.broker->start();
  ASSERT_TRUE(eventually([&] { return source.heads_calls() == 1; }));
  a.ingest(source, "org_a", 2);  // committed after the heads were read
  source.run_deferred();         // the heads say 0
  source.set_defer(false);
  EXPECT_TRUE(sees(a.viewer, test::range(1, 2)));
  EXPECT_TRUE(a.broker->ready());
}

TEST(ClusterBroker, AnswersAfterStopAreDropped) {
  FakeSource source;
  source.set_defer(true);
  {
    Node a(nullptr, source, fast("a"));
    a.broker->start();
    ASSERT_TRUE(eventually([&] { return source.heads_calls() == 1; }));
    a.broker->stop();
    a.broker->stop();  // idempotent
  }
  source.run_deferred();  // the broker is gone: its answer must find nothing to touch (ASan)
}

}  // namespace
}  // namespace fleet::cluster
