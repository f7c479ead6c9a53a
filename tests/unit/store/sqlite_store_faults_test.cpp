// SqliteStore on a disk that refuses writes: appends fail with storage_unavailable (and are not stored),
// reads keep working whatever the sync mode, write_failure() says why, and everything comes back by
// itself once the disk does - without a restart, and without traffic.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "eventually.hpp"
#include "obs/metrics.hpp"
#include "store/fault_vfs.hpp"
#include "store/sqlite_store.hpp"
#include "store_test_util.hpp"

namespace fleet::store {
namespace {

using namespace fleet::store::testing;
using fleet::testing::eventually;

constexpr std::int64_t kT = 1'700'000'000'000;

StorageFaults& faults() {
  static StorageFaults f;
  return f;
}

const char* fault_vfs() {
  static const char* name = [] {
    EXPECT_EQ(register_fault_vfs("store-test-faults", sqlite3_vfs_find(nullptr), &faults()), SQLITE_OK);
    return "store-test-faults";
  }();
  return name;
}

std::unique_ptr<SqliteStore> open_faulty(const std::string& path, SyncMode sync) {
  SqliteOptions o;
  o.path = path;
  o.synchronous = sync;
  o.base_vfs = fault_vfs();
  o.storage_probe_interval_ms = 5;
  auto s = SqliteStore::open(o);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

struct Case {
  const char* name;
  SyncMode sync;
  FaultRule rule;
};

class SqliteStoreFaults : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override { faults().clear(); }
  void TearDown() override { faults().clear(); }
};

TEST_P(SqliteStoreFaults, RefusesWritesKeepsReadsAndRecoversByItself) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  DeviceId id;
  {
    auto s = open_faulty(path, GetParam().sync);
    ASSERT_TRUE(s);
    auto d = create(*s, "org_a", "truck", "ka");
    ASSERT_TRUE(d);
    id = d->id;
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(append(*s, "ka", {point(kT + i)}));
    EXPECT_EQ(s->write_failure(), "");

    faults().arm(GetParam().rule);
    auto refused = append(*s, "ka", {point(kT + 10), point(kT + 11)});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::storage_unavailable) << refused.error().message;
    EXPECT_NE(s->write_failure(), "");
    auto created = create(*s, "org_a", "van", "kb");
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().code, ErrorCode::storage_unavailable);

    // Every read answers, from committed state only.
    auto devices = call<std::vector<Device>>([&](auto cb) { s->list_devices(TenantId("org_a"), cb); });
    ASSERT_TRUE(devices) << devices.error().message;
    ASSERT_EQ(devices->size(), 1u);
    ASSERT_TRUE((*devices)[0].last);
    EXPECT_EQ((*devices)[0].last->seq, 3u);
    HistoryQuery q;
    q.tenant = TenantId("org_a");
    q.device = id;
    auto page = history(*s, q);
    ASSERT_TRUE(page) << page.error().message;
    EXPECT_EQ(page->points.size(), 3u);
    auto missed = events_after(*s, "org_a", 0, 100);
    ASSERT_TRUE(missed) << missed.error().message;
    EXPECT_TRUE(missed->complete);
    EXPECT_EQ(missed->seq, 3u);
    auto one = call<Device>([&](auto cb) { s->get_device(TenantId("org_a"), id, cb); });
    EXPECT_TRUE(one) << one.error().message;
    EXPECT_NE(s->write_failure(), "") << "a read does not prove the disk writable";

    // The disk comes back: the idle store notices by itself (its probe), then takes writes again.
    faults().clear();
    EXPECT_TRUE(eventually([&] { return s->write_failure().empty(); }));
    auto next = append(*s, "ka", {point(kT + 20)});
    ASSERT_TRUE(next) << next.error().message;
    EXPECT_EQ(next->last_seq, 4u) << "the refused batch must not have taken seqs";
  }
  auto s = open_faulty(path, GetParam().sync);
  ASSERT_TRUE(s);
  HistoryQuery q;
  q.tenant = TenantId("org_a");
  q.device = id;
  auto page = history(*s, q);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->points.size(), 4u);
  EXPECT_EQ(page->points.back().point.ts_ms, kT + 20);
}

INSTANTIATE_TEST_SUITE_P(
    Faults, SqliteStoreFaults,
    ::testing::Values(Case{"full_enospc", SyncMode::full, FaultRule{FaultOp::write, FaultKind::enospc}},
                      Case{"full_write_eio", SyncMode::full, FaultRule{FaultOp::write, FaultKind::eio}},
                      Case{"full_short_write", SyncMode::full,
                           FaultRule{FaultOp::write, FaultKind::short_write}},
                      Case{"full_fsync_eio", SyncMode::full, FaultRule{FaultOp::sync, FaultKind::eio}},
                      Case{"normal_enospc", SyncMode::normal, FaultRule{FaultOp::write, FaultKind::enospc}}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// Readiness comes back with the first write that succeeds, too: not only through the probe.
TEST(SqliteStoreFaultsReadiness, ASuccessfulAppendClearsTheFailure) {
  faults().clear();
  TempDir dir;
  SqliteOptions o;
  o.path = dir.file("fleet.db");
  o.base_vfs = fault_vfs();
  o.storage_probe_interval_ms = 3'600'000;  // never, in this test
  auto opened = SqliteStore::open(o);
  ASSERT_TRUE(opened);
  auto& s = **opened;
  ASSERT_TRUE(create(s, "org_a", "truck", "ka"));
  faults().arm(FaultRule{FaultOp::write, FaultKind::enospc});
  ASSERT_FALSE(append(s, "ka", {point(kT)}));
  EXPECT_NE(s.write_failure(), "");
  faults().clear();
  ASSERT_TRUE(append(s, "ka", {point(kT)}));
  EXPECT_EQ(s.write_failure(), "");
}

}  // namespace
}  // namespace fleet::store
