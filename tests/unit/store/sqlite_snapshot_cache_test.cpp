// SqliteStore's in-memory snapshots: the same answer as the database's query at every step, served
// without the store thread once cached, updated exactly when (and only when) a change commits.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "sqlite_test_util.hpp"
#include "store/sqlite_store.hpp"
#include "store_test_util.hpp"

namespace fleet::store {
namespace {

using namespace fleet::store::testing;

constexpr std::int64_t kT = 1'700'000'000'000;

// A snapshot, and whether its callback ran on the calling thread before snapshot() returned (served from
// memory) rather than later on the store thread.
struct Observed {
  Result<Snapshot> snap;
  bool inline_on_caller = false;
};

Observed observe_snapshot(Store& s, const std::string& tenant) {
  std::promise<Result<Snapshot>> promise;
  auto future = promise.get_future();
  const auto caller = std::this_thread::get_id();
  bool on_caller = false;
  s.snapshot(TenantId(tenant), [&](Result<Snapshot> r) {
    on_caller = std::this_thread::get_id() == caller;
    promise.set_value(std::move(r));
  });
  const bool done_at_return = future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
  auto r = future.get();
  return {std::move(r), on_caller && done_at_return};
}

// The database's own answer: a second store on the same file with the cache off, so its snapshot runs the
// query. Opened fresh each time because a store loads the tenant seqs when it opens.
Snapshot database_snapshot(const std::string& path, const std::string& tenant) {
  auto ref = open_store(path, 10'000, 10'000, 0);
  if (!ref) return {};
  auto snap = snapshot(*ref, tenant);
  EXPECT_TRUE(snap.has_value());
  ref->stop();
  return snap ? std::move(*snap) : Snapshot{};
}

void expect_same(const Snapshot& got, const Snapshot& want) {
  EXPECT_EQ(got.seq, want.seq);
  ASSERT_EQ(got.devices.size(), want.devices.size());
  for (std::size_t i = 0; i < got.devices.size(); ++i) {
    SCOPED_TRACE("device " + std::to_string(i));
    const Device& g = got.devices[i];
    const Device& w = want.devices[i];
    EXPECT_EQ(g.id.str(), w.id.str());
    EXPECT_EQ(g.tenant.str(), w.tenant.str());
    EXPECT_EQ(g.name, w.name);
    EXPECT_EQ(g.created_ms, w.created_ms);
    EXPECT_EQ(g.revoked_ms, w.revoked_ms);
    ASSERT_EQ(g.last.has_value(), w.last.has_value());
    if (!g.last) continue;
    EXPECT_EQ(g.last->seq, w.last->seq);
    EXPECT_EQ(g.last->device.str(), w.last->device.str());
    EXPECT_EQ(g.last->received_ms, w.last->received_ms);
    EXPECT_EQ(g.last->point, w.last->point);
  }
}

// The cached answer (which must come from memory) equals the database's.
void expect_cached_matches_database(Store& s, const std::string& path, const std::string& tenant) {
  SCOPED_TRACE(tenant);
  auto got = observe_snapshot(s, tenant);
  ASSERT_TRUE(got.snap.has_value());
  EXPECT_TRUE(got.inline_on_caller);
  expect_same(*got.snap, database_snapshot(path, tenant));
}

// Submits appends without waiting, so those queued together are committed as one group.
std::vector<std::future<Result<AppendResult>>> submit_appends(Store& s, std::vector<AppendRequest> reqs) {
  std::vector<std::future<Result<AppendResult>>> acks;
  for (auto& req : reqs) {
    auto done = std::make_shared<std::promise<Result<AppendResult>>>();
    acks.push_back(done->get_future());
    s.append(std::move(req), [done](Result<AppendResult> r) { done->set_value(std::move(r)); });
  }
  return acks;
}

Result<Device> revoke(Store& s, const std::string& tenant, const DeviceId& id) {
  return call<Device>([&](auto cb) { s.revoke_device(TenantId(tenant), id, cb); });
}

TEST(SqliteSnapshotCache, CachedSnapshotMatchesTheDatabaseThroughAppendsCreatesAndRevokes) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  auto s = open_store(path);
  ASSERT_TRUE(s);
  auto a = create(*s, "org_a", "truck a", "ka");
  auto b = create(*s, "org_a", "van b", "kb");
  auto c = create(*s, "org_b", "car c", "kc");
  ASSERT_TRUE(a && b && c);
  // Cached from here on: every change below goes through the in-memory update, not a reload.
  ASSERT_TRUE(snapshot(*s, "org_a"));
  ASSERT_TRUE(snapshot(*s, "org_b"));
  expect_cached_matches_database(*s, path, "org_a");

  TelemetryPoint rich = point(kT + 100, 10, 20);
  rich.speed_kph = 42;
  rich.battery_pct = 77;
  rich.attributes_json = R"({"door":"open"})";
  {
    WorkerGate gate(*s);  // one group: several appends per device and per tenant, in disorder and with ties
    auto acks = submit_appends(*s, {{"ka", {rich, point(kT + 50, 11, 21)}, kT},  // older second: rich stays
                                    {"kb", {point(kT + 7, 1, 1), point(kT + 7, 2, 2)}, kT + 1},  // tie
                                    {"kc", {point(kT + 3, 5, 5)}, kT + 2},
                                    {"ka", {point(kT + 60, 12, 22)}, kT + 3},  // still older than rich
                                    {"nope", {point(kT)}, kT}});               // refused alone
    gate.release();
    for (std::size_t i = 0; i + 1 < acks.size(); ++i) ASSERT_TRUE(acks[i].get().has_value()) << i;
    EXPECT_FALSE(acks.back().get().has_value());
  }
  expect_cached_matches_database(*s, path, "org_a");
  expect_cached_matches_database(*s, path, "org_b");

  // Across groups: a tie with the cached last goes to the later seq, an older point leaves it.
  ASSERT_TRUE(append(*s, "ka", {point(kT + 100, 13, 23)}));
  ASSERT_TRUE(append(*s, "kb", {point(kT + 6, 3, 3)}));
  expect_cached_matches_database(*s, path, "org_a");

  auto d = create(*s, "org_a", "new d", "kd");
  ASSERT_TRUE(d);
  expect_cached_matches_database(*s, path, "org_a");
  ASSERT_TRUE(revoke(*s, "org_a", b->id));
  expect_cached_matches_database(*s, path, "org_a");
  ASSERT_TRUE(revoke(*s, "org_a", b->id));   // twice is fine and changes nothing
  EXPECT_FALSE(revoke(*s, "org_b", a->id));  // another tenant's device: not_found, nothing changes
  ASSERT_TRUE(append(*s, "kd", {point(kT + 1, 7, 7)}));
  auto snap_a = observe_snapshot(*s, "org_a");
  ASSERT_TRUE(snap_a.snap);
  ASSERT_EQ(snap_a.snap->devices.size(), 2u);
  EXPECT_EQ(snap_a.snap->devices[0].id, a->id);
  EXPECT_EQ(snap_a.snap->devices[1].id, d->id);
  expect_cached_matches_database(*s, path, "org_a");
  expect_cached_matches_database(*s, path, "org_b");

  // Tenant isolation: org_b's cached snapshot moved only with org_b's own points.
  auto snap_b = observe_snapshot(*s, "org_b");
  ASSERT_TRUE(snap_b.snap);
  EXPECT_EQ(snap_b.snap->seq, 1u);
  ASSERT_EQ(snap_b.snap->devices.size(), 1u);
  EXPECT_EQ(snap_b.snap->devices[0].id, c->id);
}

TEST(SqliteSnapshotCache, SecondSnapshotIsServedFromMemoryWithoutTheStoreThread) {
  TempDir dir;
  auto s = open_store(dir.file("fleet.db"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
  ASSERT_TRUE(append(*s, "ka", {point(kT)}));

  auto first = observe_snapshot(*s, "org_a");
  ASSERT_TRUE(first.snap);
  EXPECT_FALSE(first.inline_on_caller);  // not cached yet: the store thread answers and caches it
  auto second = observe_snapshot(*s, "org_a");
  ASSERT_TRUE(second.snap);
  EXPECT_TRUE(second.inline_on_caller);
  expect_same(*second.snap, *first.snap);

  // With the store thread parked, a cached snapshot is still answered, and an append that is queued but
  // not committed is not in it.
  WorkerGate gate(*s);
  auto acks = submit_appends(*s, {{"ka", {point(kT + 1, 3, 3)}, kT}});
  auto parked = observe_snapshot(*s, "org_a");
  ASSERT_TRUE(parked.snap);
  EXPECT_TRUE(parked.inline_on_caller);
  EXPECT_EQ(parked.snap->seq, 1u);
  ASSERT_TRUE(parked.snap->devices.at(0).last);
  EXPECT_EQ(parked.snap->devices[0].last->seq, 1u);
  gate.release();
  ASSERT_TRUE(acks[0].get());
  auto after = observe_snapshot(*s, "org_a");
  ASSERT_TRUE(after.snap);
  EXPECT_TRUE(after.inline_on_caller);
  EXPECT_EQ(after.snap->seq, 2u);
  EXPECT_EQ(after.snap->devices.at(0).last->point.lat, 3);
}

TEST(SqliteSnapshotCache, AppendCallbacksFindTheirBatchAlreadyInTheSnapshot) {
  TempDir dir;
  auto s = open_store(dir.file("fleet.db"));
  ASSERT_TRUE(s);
  auto a = create(*s, "org_a", "a", "ka");
  ASSERT_TRUE(a);
  ASSERT_TRUE(snapshot(*s, "org_a"));

  // What a callback saw: the batch's last seq, and the snapshot taken from inside the callback (as a
  // viewer would after receiving the published batch).
  struct Seen {
    Seq last_seq = 0;
    Seq snapshot_seq = 0;
    Seq device_last_seq = 0;
    bool inline_snapshot = false;
  };
  auto seen = std::make_shared<std::vector<Seen>>();
  auto all_done = std::make_shared<std::promise<void>>();
  constexpr int kAppends = 5;
  {
    WorkerGate gate(*s);
    for (int i = 0; i < kAppends; ++i) {
      s->append(AppendRequest{"ka", {point(kT + i), point(kT + i)}, kT},
                [&s, seen, all_done](Result<AppendResult> r) {
                  // Shared with the snapshot callback, which would outlive this scope if it were queued.
                  auto one = std::make_shared<Seen>();
                  auto returned = std::make_shared<bool>(false);
                  if (r) one->last_seq = r->last_seq;
                  s->snapshot(TenantId("org_a"), [one, returned](Result<Snapshot> snap) {
                    one->inline_snapshot = !*returned;
                    if (!snap || snap->devices.empty() || !snap->devices[0].last) return;
                    one->snapshot_seq = snap->seq;
                    one->device_last_seq = snap->devices[0].last->seq;
                  });
                  *returned = true;
                  seen->push_back(*one);
                  if (seen->size() == kAppends) all_done->set_value();
                });
    }
    gate.release();
  }
  ASSERT_EQ(all_done->get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
  ASSERT_EQ(seen->size(), static_cast<std::size_t>(kAppends));
  for (const Seen& one : *seen) {
    EXPECT_NE(one.last_seq, 0u);  // the append succeeded
    EXPECT_TRUE(one.inline_snapshot);
    // The whole group was applied before its first callback ran.
    EXPECT_EQ(one.snapshot_seq, Seq{2 * kAppends});
    EXPECT_EQ(one.device_last_seq, Seq{2 * kAppends});
    EXPECT_LE(one.last_seq, one.snapshot_seq);
  }
}

TEST(SqliteSnapshotCache, FailedGroupLeavesTheCachedSnapshotUnchanged) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  auto s = open_store(path);
  ASSERT_TRUE(s);
  ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
  ASSERT_TRUE(create(*s, "org_a", "b", "kb"));
  ASSERT_TRUE(append(*s, "ka", {point(kT, 1, 1)}));
  ASSERT_TRUE(snapshot(*s, "org_a"));
  auto before = observe_snapshot(*s, "org_a");
  ASSERT_TRUE(before.snap && before.inline_on_caller);
  // A fault injected below the store: any point with lat 66.6 aborts its INSERT, failing the whole group.
  exec_side(path,
            "CREATE TRIGGER boom BEFORE INSERT ON telemetry WHEN NEW.lat = 66.6 "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END;");
  {
    WorkerGate gate(*s);
    auto acks = submit_appends(*s, {{"ka", {point(kT + 5, 2, 2)}, kT},
                                    {"kb", {point(kT + 5, 3, 3)}, kT},
                                    {"ka", {point(kT + 6, 66.6, 0)}, kT}});
    gate.release();
    for (auto& ack : acks) {
      auto r = ack.get();
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, ErrorCode::internal);
    }
  }
  auto after = observe_snapshot(*s, "org_a");
  ASSERT_TRUE(after.snap);
  EXPECT_TRUE(after.inline_on_caller);
  expect_same(*after.snap, *before.snap);
  expect_same(*after.snap, database_snapshot(path, "org_a"));

  auto next = append(*s, "kb", {point(kT + 9, 4, 4)});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->last_seq, 2u);  // the failed group's seqs were not consumed
  expect_cached_matches_database(*s, path, "org_a");
}

TEST(SqliteSnapshotCache,
     UnknownTenantsAreAnsweredInlineWithoutBeingCachedAndTenantsPastTheCapAreStillServed) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  auto s = open_store(path, 10'000, 10'000, /*snapshot_cache_tenants=*/1);
  ASSERT_TRUE(s);
  for (int i = 0; i < 2; ++i) {
    auto unknown = observe_snapshot(*s, "org_none");
    ASSERT_TRUE(unknown.snap);
    // The database has no such tenant: the empty answer needs neither the store thread nor a cache slot.
    EXPECT_TRUE(unknown.inline_on_caller);
    EXPECT_EQ(unknown.snap->seq, 0u);
    EXPECT_TRUE(unknown.snap->devices.empty());
  }
  ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
  ASSERT_TRUE(create(*s, "org_b", "b", "kb"));
  // The unknown tenant took no slot: org_a gets the only one.
  EXPECT_FALSE(observe_snapshot(*s, "org_a").inline_on_caller);
  EXPECT_TRUE(observe_snapshot(*s, "org_a").inline_on_caller);
  ASSERT_TRUE(append(*s, "kb", {point(kT)}));
  for (int i = 0; i < 2; ++i) {
    auto over_cap = observe_snapshot(*s, "org_b");
    ASSERT_TRUE(over_cap.snap);
    EXPECT_FALSE(over_cap.inline_on_caller);  // past the cap: the store thread answers, correctly
    expect_same(*over_cap.snap, database_snapshot(path, "org_b"));
  }
}

// Tenants are known from the database at open: after a restart a tenant is not mistaken for an unknown
// one (and answered empty) before its first snapshot has loaded it.
TEST(SqliteSnapshotCache, TenantsOfTheDatabaseAreKnownAfterARestart) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  {
    auto s = open_store(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
    ASSERT_TRUE(append(*s, "ka", {point(kT)}));
    s->stop();
  }
  auto s = open_store(path);
  ASSERT_TRUE(s);
  auto first = observe_snapshot(*s, "org_a");
  ASSERT_TRUE(first.snap);
  EXPECT_FALSE(first.inline_on_caller);  // loaded by the store thread, then cached
  EXPECT_EQ(first.snap->seq, 1u);
  ASSERT_EQ(first.snap->devices.size(), 1u);
  auto second = observe_snapshot(*s, "org_a");
  EXPECT_TRUE(second.inline_on_caller);
  expect_same(*second.snap, database_snapshot(path, "org_a"));
  auto unknown = observe_snapshot(*s, "org_b");
  EXPECT_TRUE(unknown.inline_on_caller);
  EXPECT_EQ(unknown.snap->seq, 0u);
}

TEST(SqliteSnapshotCache, StoppedStoreRefusesSnapshotsEvenWhenCached) {
  TempDir dir;
  auto s = open_store(dir.file("fleet.db"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
  ASSERT_TRUE(snapshot(*s, "org_a"));
  ASSERT_TRUE(observe_snapshot(*s, "org_a").inline_on_caller);
  s->stop();
  auto r = observe_snapshot(*s, "org_a");
  ASSERT_FALSE(r.snap.has_value());
  EXPECT_EQ(r.snap.error().code, ErrorCode::unavailable);
}

}  // namespace
}  // namespace fleet::store
