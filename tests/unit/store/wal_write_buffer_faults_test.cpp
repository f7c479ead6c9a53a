// The WAL write buffer when the disk refuses: each fault (ENOSPC, EIO, a short write, a failed fsync) fails
// exactly the commit it hits, reads keep working meanwhile, nothing sticks once the fault clears, and no
// acknowledged commit is lost - nor is a failed one completed behind SQLite's back.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "store/fault_vfs.hpp"
#include "store/wal_write_buffer.hpp"

namespace fleet::store {
namespace {

StorageFaults& faults() {
  static StorageFaults f;
  return f;
}

// The shim over the fault VFS over the default one: faults happen where the disk would report them.
const char* buffered_vfs() {
  static const char* name = [] {
    EXPECT_EQ(register_fault_vfs("test-faults", sqlite3_vfs_find(nullptr), &faults()), SQLITE_OK);
    EXPECT_EQ(register_wal_write_buffer_vfs("test-faults-buffered", sqlite3_vfs_find("test-faults")),
              SQLITE_OK);
    return "test-faults-buffered";
  }();
  return name;
}

class Conn {
 public:
  Conn(const std::string& path, const char* vfs) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
              SQLITE_OK);
  }
  ~Conn() { sqlite3_close_v2(db_); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  int exec(const std::string& sql) { return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); }
  // One transaction of `rows` rows of `bytes` random bytes; false (and rolled back) if it failed.
  bool commit(int rows, int bytes) {
    std::string sql = "BEGIN;";
    for (int i = 0; i < rows; ++i)
      sql += "INSERT INTO t (body) VALUES (randomblob(" + std::to_string(bytes) + "));";
    sql += "COMMIT";
    if (exec(sql) == SQLITE_OK) return true;
    exec("ROLLBACK");  // harmless when SQLite already rolled back
    return false;
  }
  // A read that visits every row's page; -1 when the read itself fails.
  long long rows() {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT count(*), sum(length(body)) FROM t", -1, &s, nullptr) != SQLITE_OK)
      return -1;
    long long n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return n;
  }
  std::string text(const char* sql) {
    sqlite3_stmt* s = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
        sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

struct Case {
  const char* name;
  FaultRule rule;
};

class WalWriteBufferFaults : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    buffered_vfs();
    faults().clear();
    dir_ = std::filesystem::temp_directory_path() /
           ("fleet-walfault-" + std::to_string(::getpid()) + "-" + GetParam().name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    faults().clear();
    std::filesystem::remove_all(dir_);
  }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  static void configure(Conn& c) {
    ASSERT_EQ(c.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA wal_autocheckpoint=0;"
                     "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)"),
              SQLITE_OK);
  }

  // What a crash would leave: the database and its WAL as they are in the file system now (the
  // wal-index is rebuilt from the WAL by the recovery that opening the copy runs).
  std::string crash_image(const char* name) {
    const auto copy = dir_ / name;
    std::filesystem::create_directories(copy);
    std::filesystem::copy_file(path("db"), copy / "db");
    if (std::filesystem::exists(path("db-wal"))) std::filesystem::copy_file(path("db-wal"), copy / "db-wal");
    return (copy / "db").string();
  }

  // Acknowledged commits, then the fault: the next commits fail, reads work, and once the fault clears
  // writes work again; a reopen finds exactly the acknowledged rows.
  void FailsTheCommitItHitsKeepsReadsAndRecoversByItself();

  std::filesystem::path dir_;
};

TEST_P(WalWriteBufferFaults, FailsTheCommitItHitsKeepsReadsAndRecoversByItself) {
  FailsTheCommitItHitsKeepsReadsAndRecoversByItself();
}

void WalWriteBufferFaults::FailsTheCommitItHitsKeepsReadsAndRecoversByItself() {
  long long acked = 0;
  {
    Conn db(path("db"), buffered_vfs());
    configure(db);
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(db.commit(10, 3000));
      acked += 10;
    }
    Conn reader(path("db"), buffered_vfs());  // another connection of the process, as the checkpointer is

    FaultRule rule = GetParam().rule;
    rule.files = FaultFiles::wal;
    faults().arm(rule);
    EXPECT_FALSE(db.commit(10, 3000)) << "a commit whose frames did not reach the disk was acknowledged";
    EXPECT_GT(faults().injected(), 0u);
    // Reads of what was committed do not depend on what failed, on this connection or another.
    EXPECT_EQ(db.rows(), acked);
    EXPECT_EQ(reader.rows(), acked);
    EXPECT_FALSE(db.commit(10, 3000)) << "the fault still holds";
    EXPECT_EQ(db.rows(), acked);

    faults().clear();
    ASSERT_TRUE(db.commit(10, 3000)) << "a fault that cleared still fails writes";
    acked += 10;
    EXPECT_EQ(db.rows(), acked);
    EXPECT_EQ(reader.rows(), acked);
  }
  Conn reopened(path("db"), nullptr);
  EXPECT_EQ(reopened.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(reopened.rows(), acked);
}

// A commit of several write calls (over 124 KiB) whose second call fails: its frames must not be
// completed later, or a crash before the next commit would bring back a transaction reported as failed.
TEST_P(WalWriteBufferFaults, AFailedCommitIsNeverCompletedLater) {
  Conn db(path("db"), buffered_vfs());
  configure(db);
  ASSERT_TRUE(db.commit(10, 3000));
  FaultRule rule = GetParam().rule;
  rule.files = FaultFiles::wal;
  rule.skip = 1;   // the first piece reaches the file
  rule.times = 1;  // then the fault is gone: nothing stops a later flush
  faults().arm(rule);
  ASSERT_FALSE(db.commit(60, 3000));
  EXPECT_EQ(db.rows(), 10);  // a read after the failure, with the disk writable again
  Conn crashed(crash_image("crash"), nullptr);
  EXPECT_EQ(crashed.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(crashed.rows(), 10) << "a failed commit came back in recovery";
}

// A transaction too large for the page cache spills frames before its commit; when that write fails,
// the unwritten frames hold no commit frame and stay buffered. Reads of committed frames must not trip
// over them (nor over the fault) while they wait.
TEST_P(WalWriteBufferFaults, AFailedSpillLeavesReadsWorking) {
  Conn db(path("db"), buffered_vfs());
  configure(db);
  ASSERT_TRUE(db.commit(10, 3000));
  ASSERT_EQ(db.exec("PRAGMA cache_size = 8"), SQLITE_OK);  // pages: a 3 MB row spills past the buffer's 1 MiB
  FaultRule rule = GetParam().rule;
  rule.files = FaultFiles::wal;
  faults().arm(rule);
  ASSERT_NE(db.exec("BEGIN; INSERT INTO t (body) VALUES (randomblob(3000000)); COMMIT"), SQLITE_OK);
  db.exec("ROLLBACK");
  EXPECT_GT(faults().injected(), 0u);
  EXPECT_EQ(db.rows(), 10) << "a read of committed frames failed on a write that failed earlier";
  faults().clear();
  ASSERT_TRUE(db.commit(10, 3000));
  EXPECT_EQ(db.rows(), 20);
  EXPECT_EQ(db.text("PRAGMA integrity_check"), "ok");
}

INSTANTIATE_TEST_SUITE_P(
    Faults, WalWriteBufferFaults,
    ::testing::Values(Case{"write_enospc", FaultRule{FaultOp::write, FaultKind::enospc}},
                      Case{"write_eio", FaultRule{FaultOp::write, FaultKind::eio}},
                      Case{"short_write", FaultRule{FaultOp::write, FaultKind::short_write}}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// A failed fsync, after the commit's frames were written.
class WalWriteBufferSyncFault : public WalWriteBufferFaults {};

TEST_P(WalWriteBufferSyncFault, FailsTheCommitKeepsReadsAndRecoversByItself) {
  FailsTheCommitItHitsKeepsReadsAndRecoversByItself();
}

// After a failed fsync the frames are in the file: whether a crash then keeps the transaction is not
// known (SQLite's rule too; the kernel may even have dropped the pages). What holds is that it comes
// back whole or not at all, and that it was never acknowledged.
TEST_P(WalWriteBufferSyncFault, ACrashAfterItKeepsAllOrNothing) {
  Conn db(path("db"), buffered_vfs());
  configure(db);
  ASSERT_TRUE(db.commit(10, 3000));
  FaultRule rule = GetParam().rule;
  rule.files = FaultFiles::wal;
  faults().arm(rule);
  ASSERT_FALSE(db.commit(60, 3000));
  faults().clear();
  EXPECT_EQ(db.rows(), 10);
  Conn crashed(crash_image("crash"), nullptr);
  EXPECT_EQ(crashed.text("PRAGMA integrity_check"), "ok");
  const long long n = crashed.rows();
  EXPECT_TRUE(n == 10 || n == 70) << n;
}

INSTANTIATE_TEST_SUITE_P(Faults, WalWriteBufferSyncFault,
                         ::testing::Values(Case{"fsync_eio", FaultRule{FaultOp::sync, FaultKind::eio}}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(info.param.name);
                         });

TEST(StorageFaults, ParsesTheControlFileFormat) {
  auto r = StorageFaults::parse("sync eio wal\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->op, FaultOp::sync);
  EXPECT_EQ(r->kind, FaultKind::eio);
  EXPECT_EQ(r->files, FaultFiles::wal);
  auto w = StorageFaults::parse("write short_write");
  ASSERT_TRUE(w);
  EXPECT_EQ(w->files, FaultFiles::any);
  EXPECT_FALSE(StorageFaults::parse(""));
  EXPECT_FALSE(StorageFaults::parse("write"));
  EXPECT_FALSE(StorageFaults::parse("write enospc wal extra"));
  EXPECT_FALSE(StorageFaults::parse("read eio"));
}

}  // namespace
}  // namespace fleet::store
