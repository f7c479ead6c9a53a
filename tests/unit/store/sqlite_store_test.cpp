// SqliteStore specifics: persistence, group commit, queueing, shutdown and open failures.
#include "store/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "eventually.hpp"
#include "obs/metrics.hpp"
#include "sqlite_test_util.hpp"
#include "store_test_util.hpp"

namespace fleet::store {
namespace {

using namespace fleet::store::testing;
using fleet::testing::eventually;

constexpr std::int64_t kT = 1'700'000'000'000;

std::uint64_t counter(const char* name) { return obs::Registry::global().counter(name, "").value(); }

// Threads carry names (top -H, perf, gdb): the store's and its checkpointer's. Each names itself when it
// starts, which may be just after open() returns: wait for it.
TEST(SqliteStore, ThreadsAreNamed) {
  TempDir dir;
  auto s = open_store(dir.file("fleet.db"));
  ASSERT_TRUE(s);
  std::set<std::string> names;
  eventually([&] {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream comm(task.path() / "comm");
      std::string name;
      std::getline(comm, name);
      names.insert(name);
    }
    return names.count("fleet-store") && names.count("fleet-ckpt");
  });
  EXPECT_TRUE(names.count("fleet-store")) << "no thread named fleet-store";
  EXPECT_TRUE(names.count("fleet-ckpt")) << "no thread named fleet-ckpt";
}

TEST(SqliteStore, DataSurvivesReopenAndSeqContinues) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  DeviceId id;
  {
    auto s = open_store(path);
    ASSERT_TRUE(s);
    auto d = create(*s, "org_a", "truck", "ka");
    ASSERT_TRUE(d.has_value());
    id = d->id;
    ASSERT_TRUE(create(*s, "org_a", "gone", "kgone"));
    TelemetryPoint p = point(kT + 5, 48.1, 11.5);
    p.battery_pct = 77;
    p.attributes_json = R"({"a":1})";
    ASSERT_TRUE(append(*s, "ka", {point(kT), p}));
    auto gone = call<std::vector<Device>>([&](auto cb) { s->list_devices(TenantId("org_a"), cb); });
    ASSERT_TRUE(gone && gone->size() == 2);
    ASSERT_TRUE(call<Device>([&](auto cb) { s->revoke_device(TenantId("org_a"), (*gone)[1].id, cb); }));
  }  // destructor stops and closes
  auto s = open_store(path);
  ASSERT_TRUE(s);
  auto snap = snapshot(*s, "org_a");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->seq, 2u);
  ASSERT_EQ(snap->devices.size(), 1u);
  ASSERT_TRUE(snap->devices[0].last);
  EXPECT_EQ(snap->devices[0].last->point.battery_pct, 77.0);
  EXPECT_EQ(snap->devices[0].last->point.attributes_json, R"({"a":1})");
  EXPECT_FALSE(snap->devices[0].last->point.speed_kph);

  auto next = append(*s, "ka", {point(kT + 9)});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->points[0].seq, 3u);
  // The revocation and the key cache were rebuilt from disk.
  auto revoked = append(*s, "kgone", {point(kT)});
  ASSERT_FALSE(revoked.has_value());
  EXPECT_EQ(revoked.error().code, ErrorCode::unauthorized);
  auto dup = create(*s, "org_b", "x", "ka");
  ASSERT_FALSE(dup.has_value());
  auto h = history(*s, HistoryQuery{TenantId("org_a"), id, INT64_MIN, INT64_MAX, 10, std::nullopt});
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->points.size(), 3u);
}

TEST(SqliteStore, EpochAndMissedEventsSurviveReopen) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  std::string epoch;
  {
    auto s = open_store(path);
    ASSERT_TRUE(s);
    epoch = s->epoch(TenantId("org_a"));
    ASSERT_TRUE(create(*s, "org_a", "truck", "ka"));
    ASSERT_TRUE(append(*s, "ka", {point(kT), point(kT + 1), point(kT + 2)}));
  }
  auto s = open_store(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->epoch(TenantId("org_a")), epoch);
  auto r = events_after(*s, "org_a", 1, 10);
  ASSERT_TRUE(r.has_value());
  EXPECT_TRUE(r->complete);
  ASSERT_EQ(r->points.size(), 2u);
  EXPECT_EQ(r->points[0].seq, 2u);
  EXPECT_EQ(r->points[1].point.ts_ms, kT + 2);
}

TEST(SqliteStore, ADatabaseFromSchemaOneGainsAStoreIdAndKeepsItsData) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  {
    auto s = open_store(path);
    ASSERT_TRUE(s);
    ASSERT_TRUE(create(*s, "org_a", "truck", "ka"));
    ASSERT_TRUE(append(*s, "ka", {point(kT)}));
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // Back to what schema step 1 left: the later steps' tables gone, the version set back.
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP TABLE share_devices; DROP TABLE shares; DROP TABLE group_devices; "
                         "DROP TABLE device_groups; DROP TABLE meta; PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = open_store(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->epoch(TenantId("org_a")).size(), 16u);
  auto next = append(*s, "ka", {point(kT + 1)});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->points[0].seq, 2u);
}

TEST(SqliteStore, QueuedAppendsShareOneTransaction) {
  TempDir dir;
  auto s = open_store(dir.file("fleet.db"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
  const auto commits_before = counter("fleet_store_commits_total");
  const auto points_before = counter("fleet_store_points_total");

  WorkerGate gate(*s);
  constexpr int kAppends = 50;
  std::vector<std::future<Result<AppendResult>>> acks;
  for (int i = 0; i < kAppends; ++i) {
    auto done = std::make_shared<std::promise<Result<AppendResult>>>();
    acks.push_back(done->get_future());
    // A bad key in the middle of the group must fail alone.
    s->append(AppendRequest{i == 25 ? "bad" : "ka", {point(kT + i)}, kT},
              [done](Result<AppendResult> r) { done->set_value(std::move(r)); });
  }
  gate.release();
  Seq expected = 1;
  for (int i = 0; i < kAppends; ++i) {
    auto r = acks[static_cast<std::size_t>(i)].get();
    if (i == 25) {
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code, ErrorCode::unauthorized);
      continue;
    }
    ASSERT_TRUE(r.has_value()) << i;
    EXPECT_EQ(r->points[0].seq, expected++);  // callbacks arrive in commit order
  }
  EXPECT_EQ(counter("fleet_store_commits_total") - commits_before, 1u);
  EXPECT_EQ(counter("fleet_store_points_total") - points_before, static_cast<std::uint64_t>(kAppends - 1));
}

TEST(SqliteStore, GroupSpanningManyInsertChunksStoresEveryPointAndLastPositions) {
  // Rows of a group are written in multi-row INSERTs that span appends, and tenant seqs and last
  // positions are written once per group: check every column, seq, and "last" rule survive that, and a
  // reopen.
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  auto s = open_store(path);
  ASSERT_TRUE(s);
  auto a = create(*s, "org_a", "a", "ka");
  auto b = create(*s, "org_a", "b", "kb");
  auto c = create(*s, "org_b", "c", "kc");
  ASSERT_TRUE(a && b && c);
  const auto commits_before = counter("fleet_store_commits_total");

  auto make = [](int n, std::int64_t ts0, double lat0) {
    std::vector<TelemetryPoint> pts;
    for (int i = 0; i < n; ++i) {
      TelemetryPoint p = point(ts0 + i, lat0 + i * 0.001, 2.0 + i * 0.001);
      if (i % 3 == 0) p.speed_kph = i;
      if (i % 5 == 0) p.attributes_json = R"({"i":)" + std::to_string(i) + "}";
      pts.push_back(std::move(p));
    }
    return pts;
  };
  std::vector<std::vector<TelemetryPoint>> sent;
  std::vector<std::string> keys;
  auto queue = [&](std::string key, std::vector<TelemetryPoint> pts) {
    keys.push_back(std::move(key));
    sent.push_back(std::move(pts));
  };
  queue("ka", make(70, kT, 10));        // org_a seqs 1..70, newest ts kT+69
  queue("kc", make(3, kT, 20));         // org_b seqs 1..3
  queue("bad", make(2, kT, 30));        // refused alone
  queue("kb", make(1, kT + 5, 40));     // org_a seq 71
  queue("kb", {});                      // empty: refused alone
  auto late = make(130, kT - 100, 50);  // org_a seqs 72..201, all older than kT+69 ...
  late[40].ts_ms = kT + 69;             // ... except a tie, which wins as the later seq (112)
  queue("ka", std::move(late));

  std::vector<std::future<Result<AppendResult>>> acks;
  {
    WorkerGate gate(*s);
    for (std::size_t i = 0; i < sent.size(); ++i) {
      auto done = std::make_shared<std::promise<Result<AppendResult>>>();
      acks.push_back(done->get_future());
      s->append(AppendRequest{keys[i], sent[i], kT},
                [done](Result<AppendResult> r) { done->set_value(std::move(r)); });
    }
  }
  std::vector<Result<AppendResult>> results;
  for (auto& f : acks) results.push_back(f.get());
  EXPECT_EQ(counter("fleet_store_commits_total") - commits_before, 1u);
  ASSERT_TRUE(results[0] && results[1] && results[3] && results[5]);
  ASSERT_FALSE(results[2] || results[4]);
  EXPECT_EQ(results[2].error().code, ErrorCode::unauthorized);
  EXPECT_EQ(results[4].error().code, ErrorCode::invalid_field);
  EXPECT_EQ(results[0]->last_seq, 70u);
  EXPECT_EQ(results[1]->last_seq, 3u);
  EXPECT_EQ(results[3]->last_seq, 71u);
  EXPECT_EQ(results[5]->points.front().seq, 72u);
  EXPECT_EQ(results[5]->last_seq, 201u);

  auto check = [&](Store& st) {
    // Every point of ka, in (ts, seq) order, with every column as sent.
    std::vector<std::pair<std::int64_t, Seq>> expected_order;
    std::map<Seq, const TelemetryPoint*> by_seq;
    for (int r : {0, 5}) {
      for (const StoredPoint& sp : results[static_cast<std::size_t>(r)]->points) {
        expected_order.emplace_back(sp.point.ts_ms, sp.seq);
        by_seq[sp.seq] = &sent[static_cast<std::size_t>(r)][sp.seq - (r == 0 ? 1 : 72)];
      }
    }
    std::sort(expected_order.begin(), expected_order.end());
    auto h = history(st, HistoryQuery{TenantId("org_a"), a->id, INT64_MIN, INT64_MAX, 1000, std::nullopt});
    ASSERT_TRUE(h.has_value());
    ASSERT_EQ(h->points.size(), 200u);
    for (std::size_t i = 0; i < h->points.size(); ++i) {
      const StoredPoint& got = h->points[i];
      EXPECT_EQ(got.seq, expected_order[i].second);
      EXPECT_EQ(got.device, a->id);
      EXPECT_EQ(got.received_ms, kT);
      EXPECT_EQ(got.point, *by_seq.at(got.seq)) << got.seq;
    }
    auto snap_a = snapshot(st, "org_a");
    ASSERT_TRUE(snap_a.has_value());
    EXPECT_EQ(snap_a->seq, 201u);
    ASSERT_EQ(snap_a->devices.size(), 2u);
    ASSERT_TRUE(snap_a->devices[0].last && snap_a->devices[1].last);
    EXPECT_EQ(snap_a->devices[0].last->seq, 112u);  // the tie at kT+69, later seq
    EXPECT_EQ(snap_a->devices[0].last->point.ts_ms, kT + 69);
    EXPECT_EQ(snap_a->devices[1].last->seq, 71u);
    auto snap_b = snapshot(st, "org_b");
    ASSERT_TRUE(snap_b.has_value());
    EXPECT_EQ(snap_b->seq, 3u);
    ASSERT_EQ(snap_b->devices.size(), 1u);
    ASSERT_TRUE(snap_b->devices[0].last);
    EXPECT_EQ(snap_b->devices[0].last->seq, 3u);
    EXPECT_EQ(snap_b->devices[0].last->point, sent[1][2]);
  };
  check(*s);
  s.reset();
  auto reopened = open_store(path);
  ASSERT_TRUE(reopened);
  check(*reopened);
  auto next = append(*reopened, "ka", {point(kT)});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->points[0].seq, 202u);
}

TEST(SqliteStore, GroupCommitRespectsPointCap) {
  TempDir dir;
  auto s = open_store(dir.file("fleet.db"), 100, 10);
  ASSERT_TRUE(s);
  ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
  const auto commits_before = counter("fleet_store_commits_total");
  {
    WorkerGate gate(*s);
    // 4-point appends against a 10-point cap: groups of 2, 2, 1, and a lone 12-point append still goes.
    for (int i = 0; i < 5; ++i) {
      s->append(AppendRequest{"ka", std::vector<TelemetryPoint>(4, point(kT)), kT},
                [](Result<AppendResult>) {});
    }
    s->append(AppendRequest{"ka", std::vector<TelemetryPoint>(12, point(kT)), kT},
              [](Result<AppendResult>) {});
    gate.release();
  }
  auto snap = snapshot(*s, "org_a");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->seq, 32u);
  EXPECT_EQ(counter("fleet_store_commits_total") - commits_before, 4u);
}

TEST(SqliteStore, FailedTransactionFailsEveryAppendAndStoresNothing) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  auto s = open_store(path);
  ASSERT_TRUE(s);
  auto d = create(*s, "org_a", "a", "ka");
  ASSERT_TRUE(d.has_value());
  ASSERT_TRUE(append(*s, "ka", {point(kT)}));
  // A fault injected below the store: any point with lat 66.6 aborts its INSERT.
  exec_side(path,
            "CREATE TRIGGER boom BEFORE INSERT ON telemetry WHEN NEW.lat = 66.6 "
            "BEGIN SELECT RAISE(ABORT, 'injected'); END;");
  const auto failures_before = counter("fleet_store_commit_failures_total");

  WorkerGate gate(*s);
  std::vector<std::future<Result<AppendResult>>> acks;
  for (double lat : {1.0, 66.6, 2.0}) {
    auto done = std::make_shared<std::promise<Result<AppendResult>>>();
    acks.push_back(done->get_future());
    s->append(AppendRequest{"ka", {point(kT, lat)}, kT},
              [done](Result<AppendResult> r) { done->set_value(r); });
  }
  auto bad_key = std::make_shared<std::promise<Result<AppendResult>>>();
  auto bad_key_ack = bad_key->get_future();
  s->append(AppendRequest{"nope", {point(kT)}, kT},
            [bad_key](Result<AppendResult> r) { bad_key->set_value(r); });
  gate.release();
  for (auto& f : acks) {
    auto r = f.get();
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::internal);
  }
  auto nope = bad_key_ack.get();
  ASSERT_FALSE(nope.has_value());
  EXPECT_EQ(nope.error().code, ErrorCode::unauthorized);
  EXPECT_EQ(counter("fleet_store_commit_failures_total") - failures_before, 1u);

  auto snap = snapshot(*s, "org_a");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->seq, 1u);
  auto next = append(*s, "ka", {point(kT + 1)});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->points[0].seq, 2u);  // the rolled-back seqs were not consumed
  auto h = history(*s, HistoryQuery{TenantId("org_a"), d->id, INT64_MIN, INT64_MAX, 10, std::nullopt});
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->points.size(), 2u);
}

TEST(SqliteStore, RevokeAppliesToAppendsQueuedAfterIt) {
  TempDir dir;
  auto s = open_store(dir.file("fleet.db"));
  ASSERT_TRUE(s);
  auto d = create(*s, "org_a", "a", "ka");
  ASSERT_TRUE(d.has_value());
  WorkerGate gate(*s);
  std::promise<Result<AppendResult>> before, after;
  s->append(AppendRequest{"ka", {point(kT)}, kT}, [&](Result<AppendResult> r) { before.set_value(r); });
  s->revoke_device(TenantId("org_a"), d->id, [](Result<Device>) {});
  s->append(AppendRequest{"ka", {point(kT)}, kT}, [&](Result<AppendResult> r) { after.set_value(r); });
  gate.release();
  EXPECT_TRUE(before.get_future().get().has_value());
  auto r = after.get_future().get();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::unauthorized);
}

TEST(SqliteStore, FullQueueIsUnavailableImmediately) {
  TempDir dir;
  auto s = open_store(dir.file("fleet.db"), 3);
  ASSERT_TRUE(s);
  ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
  WorkerGate gate(*s);
  std::atomic<int> ok{0};
  for (int i = 0; i < 3; ++i) {
    s->append(AppendRequest{"ka", {point(kT)}, kT}, [&](Result<AppendResult> r) { ok += r ? 1 : 0; });
  }
  bool inline_refusal = false;
  s->append(AppendRequest{"ka", {point(kT)}, kT}, [&](Result<AppendResult> r) {
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::unavailable);
    inline_refusal = true;
  });
  EXPECT_TRUE(inline_refusal);
  auto snap_refused = false;
  s->snapshot(TenantId("org_a"),
              [&](Result<Snapshot> r) { snap_refused = !r && r.error().code == ErrorCode::unavailable; });
  EXPECT_TRUE(snap_refused);
  gate.release();
  s->stop();
  EXPECT_EQ(ok.load(), 3);
}

// The queue is bounded in memory too, not only in requests: 10,000 requests of 1,000 points each would be
// gigabytes. A request larger than the bound alone still goes when nothing else waits.
TEST(SqliteStore, QueueIsBoundedInBytes) {
  TempDir dir;
  const std::vector<TelemetryPoint> ten(10, point(kT));
  const std::size_t one = queue_bytes_of(AppendRequest{"ka", ten, kT});
  SqliteOptions o;
  o.path = dir.file("fleet.db");
  o.queue_capacity = 1000;  // far from the limit in requests
  o.queue_max_bytes = 3 * one;
  auto opened = SqliteStore::open(o);
  ASSERT_TRUE(opened);
  auto& s = **opened;
  ASSERT_TRUE(create(s, "org_a", "a", "ka"));
  auto& queued_bytes = obs::Registry::global().gauge("fleet_store_queue_bytes", "");
  const std::uint64_t rejected_before = counter("fleet_store_queue_rejected_total");
  std::atomic<int> ok{0};
  {
    WorkerGate gate(s);
    // Larger than the whole bound, but the queue is empty: taken.
    s.append(AppendRequest{"ka", std::vector<TelemetryPoint>(40, point(kT)), kT},
             [&](Result<AppendResult> r) { ok += r ? 1 : 0; });
    EXPECT_GE(queued_bytes.value(), static_cast<std::int64_t>(3 * one));
    Result<AppendResult> refused = AppendResult{};
    s.append(AppendRequest{"ka", ten, kT}, [&](Result<AppendResult> r) { refused = std::move(r); });
    ASSERT_FALSE(refused.has_value()) << "queued past the byte bound";
    EXPECT_EQ(refused.error().code, ErrorCode::unavailable);
    EXPECT_EQ(refused.error().message, "store queue full");
    EXPECT_EQ(counter("fleet_store_queue_rejected_total"), rejected_before + 1);
    gate.release();
    EXPECT_TRUE(eventually([&] { return ok.load() == 1; }));
  }
  EXPECT_TRUE(eventually([&] { return queued_bytes.value() == 0; }));
  // Drained: three small ones fit again, a fourth does not.
  WorkerGate gate(s);
  for (int i = 0; i < 3; ++i)
    s.append(AppendRequest{"ka", ten, kT}, [&](Result<AppendResult> r) { ok += r ? 1 : 0; });
  bool fourth_refused = false;
  s.append(AppendRequest{"ka", ten, kT}, [&](Result<AppendResult> r) { fourth_refused = !r; });
  EXPECT_TRUE(fourth_refused);
  gate.release();
  s.stop();
  EXPECT_EQ(ok.load(), 4);
}

TEST(SqliteStore, StopCompletesQueuedWorkBeforeReturning) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  auto s = open_store(path);
  ASSERT_TRUE(s);
  ASSERT_TRUE(create(*s, "org_a", "a", "ka"));
  std::atomic<int> acked{0};
  {
    WorkerGate gate(*s);
    for (int i = 0; i < 100; ++i) {
      s->append(AppendRequest{"ka", {point(kT + i)}, kT},
                [&](Result<AppendResult> r) { acked += r ? 1 : 0; });
    }
    // The gate opens only once stop() is under way (it refuses new work from its first step), so stop()
    // has to wait for the parked worker and then for the 100 appends queued behind it.
    std::thread releaser([&] {
      EXPECT_TRUE(eventually([&] {
        bool refused = false;  // an unknown tenant's snapshot is answered inline: refused once stopping
        s->snapshot(TenantId("probe"),
                    [&](Result<Snapshot> r) { refused = !r && r.error().code == ErrorCode::unavailable; });
        return refused;
      }));
      EXPECT_EQ(acked.load(), 0) << "stop() already ran the queue before the gate opened";
      gate.release();
    });
    s->stop();  // must wait for the gate and the 100 appends behind it
    releaser.join();
  }
  EXPECT_EQ(acked.load(), 100);
  auto late = append(*s, "ka", {point(kT)});
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, ErrorCode::unavailable);
  s.reset();
  auto reopened = open_store(path);
  ASSERT_TRUE(reopened);
  auto snap = snapshot(*reopened, "org_a");
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->seq, 100u);
}

TEST(SqliteStore, OpenFailuresAreErrors) {
  TempDir dir;
  SqliteOptions o;
  o.path = dir.file("missing/dir/fleet.db");
  auto missing = SqliteStore::open(o);
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::internal);
  EXPECT_NE(missing.error().message.find("missing/dir"), std::string::npos);

  o.path = dir.file("garbage.db");
  {
    std::ofstream out(o.path, std::ios::binary);
    for (int i = 0; i < 512; ++i) out << "this is not an sqlite database ";
  }
  auto corrupt = SqliteStore::open(o);
  ASSERT_FALSE(corrupt.has_value());
  EXPECT_EQ(corrupt.error().code, ErrorCode::internal);

  o.path = dir.file("future.db");
  ASSERT_TRUE(SqliteStore::open(o).has_value());
  exec_side(o.path, "PRAGMA user_version = 999");
  auto future = SqliteStore::open(o);
  ASSERT_FALSE(future.has_value());
  EXPECT_NE(future.error().message.find("newer"), std::string::npos);
}

TEST(SqliteStore, SchemaIsVersionedAndWal) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  ASSERT_TRUE(open_store(path));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto query_text = [db](const char* sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
    std::string out;
    if (sqlite3_step(st) == SQLITE_ROW) out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
  };
  EXPECT_EQ(query_text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text("PRAGMA user_version"), "3");
  EXPECT_EQ(query_text("SELECT length(value) FROM meta WHERE key = 'store_id'"), "32");
  EXPECT_EQ(query_text("SELECT count(*) FROM sqlite_master WHERE name = 'telemetry_by_device_ts'"), "1");
  sqlite3_close(db);
}

}  // namespace
}  // namespace fleet::store
