// What only SqliteStore has to prove about groups and shares: they and the share key survive a restart,
// a version-2 database gains them without losing anything, and a write the disk refuses halfway leaves
// nothing half-stored.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "sqlite_test_util.hpp"
#include "store/fault_vfs.hpp"
#include "store/sqlite_store.hpp"
#include "store_test_util.hpp"

namespace fleet::store {
namespace {

using namespace fleet::store::testing;

constexpr std::int64_t kT = 1'700'000'000'000;
const TenantId kA("org_a");

Result<Group> create_group(Store& s, const std::string& name, std::vector<DeviceId> devices) {
  return call<Group>([&](auto cb) { s.create_group(kA, name, std::move(devices), cb); });
}

Result<std::vector<Group>> list_groups(Store& s) {
  return call<std::vector<Group>>([&](auto cb) { s.list_groups(kA, cb); });
}

Result<Share> create_share(Store& s, std::vector<DeviceId> devices) {
  Share sh;
  sh.tenant = kA;
  sh.label = "customer";
  sh.created_by = "user_1";
  sh.devices = std::move(devices);
  sh.expires_ms = kT * 2;
  return call<Share>([&](auto cb) { s.create_share(std::move(sh), cb); });
}

Result<std::vector<Share>> list_shares(Store& s) {
  return call<std::vector<Share>>([&](auto cb) { s.list_shares(kA, cb); });
}

TEST(SqliteGroupsShares, GroupsSharesAndTheShareKeySurviveARestart) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  std::string key;
  std::string group_id;
  std::string share_id;
  std::vector<DeviceId> devices;
  {
    auto s = open_store(path);
    ASSERT_TRUE(s);
    key = s->share_key();
    ASSERT_EQ(key.size(), 32u);
    for (const char* k : {"k0", "k1"}) {
      auto d = create(*s, "org_a", k, k);
      ASSERT_TRUE(d);
      devices.push_back(d->id);
    }
    auto g = create_group(*s, "north", {devices[1], devices[0]});
    ASSERT_TRUE(g) << g.error().message;
    group_id = g->id;
    auto sh = create_share(*s, {devices[0]});
    ASSERT_TRUE(sh) << sh.error().message;
    share_id = sh->id;
  }
  auto s = open_store(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->share_key(), key) << "share links must survive a restart";
  auto groups = list_groups(*s);
  ASSERT_TRUE(groups);
  ASSERT_EQ(groups->size(), 1u);
  EXPECT_EQ((*groups)[0].id, group_id);
  EXPECT_EQ((*groups)[0].devices, (std::vector<DeviceId>{devices[1], devices[0]}));
  auto active = call<std::vector<Share>>([&](auto cb) { s->active_shares(kT, cb); });
  ASSERT_TRUE(active);
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].id, share_id);
  EXPECT_EQ((*active)[0].devices, (std::vector<DeviceId>{devices[0]}));
}

TEST(SqliteGroupsShares, AVersion2DatabaseGainsGroupsAndSharesAndKeepsItsData) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  DeviceId device;
  std::string epoch;
  {
    auto s = open_store(path);
    ASSERT_TRUE(s);
    auto d = create(*s, "org_a", "truck", "ka");
    ASSERT_TRUE(d);
    device = d->id;
    ASSERT_TRUE(append(*s, "ka", {point(kT, 48.85, 2.35), point(kT + 1, 48.86, 2.36)}));
    epoch = s->epoch(kA);
  }
  // Back to what schema step 2 left: step 3's tables and key gone, the version set back.
  exec_side(
      path,
      "DROP TABLE share_devices; DROP TABLE shares; DROP TABLE group_devices; DROP TABLE device_groups; "
      "DELETE FROM meta WHERE key = 'share_key'; PRAGMA user_version = 2;");

  auto s = open_store(path);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->epoch(kA), epoch) << "the store id (and so every epoch) is kept";
  EXPECT_EQ(s->share_key().size(), 32u);
  auto snap = snapshot(*s, "org_a");
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->seq, 2u);
  ASSERT_EQ(snap->devices.size(), 1u);
  EXPECT_EQ(snap->devices[0].id, device);
  ASSERT_TRUE(snap->devices[0].last);
  EXPECT_DOUBLE_EQ(snap->devices[0].last->point.lat, 48.86);
  auto g = create_group(*s, "north", {device});
  ASSERT_TRUE(g) << g.error().message;
  ASSERT_TRUE(create_share(*s, {device}));
  ASSERT_TRUE(append(*s, "ka", {point(kT + 2)}));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 3);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(SqliteGroupsShares, AMalformedShareKeyRefusesToOpen) {
  TempDir dir;
  const std::string path = dir.file("fleet.db");
  ASSERT_TRUE(open_store(path));
  exec_side(path, "UPDATE meta SET value = 'not hex' WHERE key = 'share_key'");
  SqliteOptions o;
  o.path = path;
  auto s = SqliteStore::open(o);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("share key"), std::string::npos) << s.error().message;
}

StorageFaults& faults() {
  static StorageFaults f;
  return f;
}

const char* fault_vfs() {
  static const char* name = [] {
    EXPECT_EQ(register_fault_vfs("groups-shares-test-faults", sqlite3_vfs_find(nullptr), &faults()),
              SQLITE_OK);
    return "groups-shares-test-faults";
  }();
  return name;
}

// Each change is one transaction: whichever write of it the disk refuses, the change is answered as
// failed and none of it is visible, or answered as done and all of it is.
TEST(SqliteGroupsShares, AWriteRefusedAnywhereLeavesNothingHalfStored) {
  faults().clear();
  TempDir dir;
  SqliteOptions o;
  o.path = dir.file("fleet.db");
  o.base_vfs = fault_vfs();
  o.storage_probe_interval_ms = 3'600'000;  // no probe writes in between
  auto opened = SqliteStore::open(o);
  ASSERT_TRUE(opened);
  SqliteStore& s = **opened;
  std::vector<DeviceId> d;
  for (const char* k : {"k0", "k1", "k2", "k3"}) {
    auto dev = create(s, "org_a", k, k);
    ASSERT_TRUE(dev);
    d.push_back(dev->id);
  }
  auto g = create_group(s, "north", {d[0], d[1]});
  ASSERT_TRUE(g);
  std::vector<DeviceId> current = g->devices;

  int failed = 0;
  int done = 0;
  for (int skip = 0; skip < 6; ++skip) {
    // Alternate between two member lists, each replacing every row of the other.
    const std::vector<DeviceId> next =
        current[0] == d[0] ? std::vector<DeviceId>{d[2], d[3], d[1]} : std::vector<DeviceId>{d[0], d[1]};
    faults().arm(FaultRule{FaultOp::write, FaultKind::eio, FaultFiles::wal, skip, 1});
    auto set = call<Group>([&](auto cb) { s.set_group_devices(kA, g->id, next, cb); });
    auto share = create_share(s, {d[0], d[1], d[2]});
    faults().clear();

    if (set) {
      ++done;
      current = next;
    } else {
      ++failed;
      EXPECT_EQ(set.error().code, ErrorCode::storage_unavailable) << set.error().message;
    }
    auto groups = list_groups(s);
    ASSERT_TRUE(groups) << groups.error().message;
    ASSERT_EQ(groups->size(), 1u);
    EXPECT_EQ((*groups)[0].devices, current) << "skip " << skip;
    auto shares = list_shares(s);
    ASSERT_TRUE(shares);
    for (const Share& sh : *shares) EXPECT_EQ(sh.devices.size(), 3u) << "skip " << skip;
  }
  EXPECT_GT(failed, 0) << "the faults never hit: the test proves nothing";
  EXPECT_GT(done, 0);
  s.stop();
}

}  // namespace
}  // namespace fleet::store
