// The background checkpointer: under a continuous stream of commits the WAL must keep starting over
// (bounded), with the copying done by the checkpointer's thread and only a few frames by the writer.
#include "store/wal_checkpointer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <string>

namespace fleet::store {
namespace {

// A VFS whose connections can never take the checkpoint lock (WAL_CKPT_LOCK, shared-memory lock 1), so
// every checkpoint they try fails with SQLITE_BUSY, as when another process is checkpointing.
sqlite3_vfs g_no_ckpt{};
sqlite3_io_methods g_no_ckpt_methods{};
const sqlite3_io_methods* g_default_db_methods = nullptr;

int refuse_ckpt_lock(sqlite3_file* f, int offset, int n, int flags) {
  if (offset == 1 && (flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE)) return SQLITE_BUSY;
  return g_default_db_methods->xShmLock(f, offset, n, flags);
}

int no_ckpt_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* base = static_cast<sqlite3_vfs*>(vfs->pAppData);
  const int rc = base->xOpen(base, name, file, flags, out_flags);
  if (rc == SQLITE_OK && (flags & SQLITE_OPEN_MAIN_DB) != 0 && file->pMethods != nullptr) {
    g_default_db_methods = file->pMethods;
    g_no_ckpt_methods = *file->pMethods;
    g_no_ckpt_methods.xShmLock = refuse_ckpt_lock;
    file->pMethods = &g_no_ckpt_methods;
  }
  return rc;
}

const char* no_ckpt_vfs() {
  static const char* name = [] {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    g_no_ckpt = *base;
    g_no_ckpt.zName = "test-no-checkpoint";
    g_no_ckpt.pAppData = base;
    g_no_ckpt.xOpen = no_ckpt_open;
    g_no_ckpt.pNext = nullptr;
    return sqlite3_vfs_register(&g_no_ckpt, 0) == SQLITE_OK ? g_no_ckpt.zName : nullptr;
  }();
  return name;
}

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("fleet-ckpt-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    ASSERT_EQ(sqlite3_open(path_.c_str(), &writer_), SQLITE_OK);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");  // the test's writer need not fsync; the checkpointer still does
    exec("PRAGMA wal_autocheckpoint=0");  // nothing but the checkpointer under test copies frames
    exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB)");
  }
  void TearDown() override {
    sqlite3_close(writer_);
    std::filesystem::remove_all(dir_);
  }

  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(writer_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  }
  std::int64_t wal_frames() const {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path_ + "-wal", ec);
    return ec ? 0 : static_cast<std::int64_t>(size) / (4096 + 24);
  }
  // Commits `n` transactions of a few pages each; returns the largest the WAL file got.
  std::int64_t commit_stream(int n) {
    std::int64_t most = 0;
    for (int i = 0; i < n; ++i) {
      exec("INSERT INTO t (body) VALUES (randomblob(6000))");
      most = std::max(most, wal_frames());
    }
    return most;
  }

  std::filesystem::path dir_;
  std::string path_;
  sqlite3* writer_ = nullptr;
};

TEST_F(WalCheckpointerTest, KeepsTheWalShortWhileCommitsKeepComing) {
  WalCheckpointerOptions o;
  o.path = path_;
  o.start_frames = 300;
  o.finish_frames = 60;
  o.hard_limit_frames = 3'000;
  auto c = WalCheckpointer::open(o);
  ASSERT_TRUE(c) << c.error().message;
  (*c)->attach(writer_);

  const std::int64_t most = commit_stream(4'000);  // ~4 frames each: 16,000 frames without checkpoints
  const WalCheckpointerStats s = (*c)->stats();
  (*c)->stop();

  EXPECT_GE(s.passes, 3u);
  EXPECT_GE(s.finishes, 3u);  // the WAL started over at least that often
  EXPECT_EQ(s.forced, 0u);
  EXPECT_LE(s.writer_frames_max, o.finish_frames);  // the writer only ever copied the last few frames
  // Bounded: a fraction of the 16,000 frames this stream writes (loose, for a loaded CI machine where the
  // checkpointer's thread may wait for a CPU; the restarts themselves are counted by `finishes`).
  EXPECT_LT(most, 8'000);
  exec("PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(writer_, "SELECT count(*) FROM t", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 4'000);
  sqlite3_finalize(st);
}

TEST_F(WalCheckpointerTest, WithoutItTheWalOnlyGrows) {
  // The same stream with no checkpointer: what the test above guards against.
  EXPECT_GT(commit_stream(1'000), 3'000);
}

TEST_F(WalCheckpointerTest, FailingPassesBackOffAndTheHardLimitStillHolds) {
  WalCheckpointerOptions o;
  o.path = path_;
  o.vfs = no_ckpt_vfs();
  ASSERT_NE(o.vfs, nullptr);
  o.start_frames = 100;
  o.finish_frames = 10;
  o.hard_limit_frames = 1'000;
  auto c = WalCheckpointer::open(o);
  ASSERT_TRUE(c) << c.error().message;
  (*c)->attach(writer_);

  const std::int64_t most = commit_stream(1'500);  // ~6,000 frames
  const WalCheckpointerStats s = (*c)->stats();
  (*c)->stop();

  EXPECT_EQ(s.passes, 0u);
  EXPECT_GE(s.failures, 2u);
  // Retried after every further start_frames of WAL, not after every one of the ~1,400 commits past it.
  EXPECT_LE(s.failures, 6'000u / 100u + 10u);
  EXPECT_GE(s.forced, 1u);  // the writer's own checkpoint at the hard limit kept the WAL bounded
  EXPECT_LT(most, 2 * o.hard_limit_frames);
}

TEST_F(WalCheckpointerTest, AfterStopCommitsStillWork) {
  WalCheckpointerOptions o;
  o.path = path_;
  o.start_frames = 10;
  o.finish_frames = 2;
  o.hard_limit_frames = 100;
  auto c = WalCheckpointer::open(o);
  ASSERT_TRUE(c);
  (*c)->attach(writer_);
  commit_stream(20);
  (*c)->stop();
  (*c)->stop();  // idempotent
  commit_stream(20);  // the hook is still installed and now does nothing
}

TEST_F(WalCheckpointerTest, RefusesInconsistentThresholds) {
  WalCheckpointerOptions o;
  o.path = path_;
  o.start_frames = 100;
  o.finish_frames = 100;
  EXPECT_FALSE(WalCheckpointer::open(o));
  o.finish_frames = 10;
  o.hard_limit_frames = 50;
  EXPECT_FALSE(WalCheckpointer::open(o));
}

}  // namespace
}  // namespace fleet::store
