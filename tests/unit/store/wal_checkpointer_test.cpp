// The background checkpointer: the WAL keeps starting over with the copying done by the checkpointer's
// thread and only the last few frames by the writer, and the hard limit holds however far passes fall
// behind. Passes are paced by the tests (waits on the checkpointer's counters, a gate in a VFS), never by
// the clock, so the results do not depend on how loaded the machine is.
#include "store/wal_checkpointer.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "eventually.hpp"
#include "obs/metrics.hpp"

namespace fleet::store {
namespace {

using fleet::testing::eventually;

// VFS wrappers over the default one: files opened through them get a copy of their io methods with one
// method replaced. The default VFS gives a database and its WAL different methods, so `Wrapped` keeps a
// patched copy of each table it meets, and `base()` finds the original a replacement should call.
struct Wrapped {
  static constexpr int kTables = 4;
  sqlite3_vfs vfs{};
  const sqlite3_io_methods* originals[kTables] = {};
  sqlite3_io_methods patched[kTables] = {};
  void (*patch)(sqlite3_io_methods&) = nullptr;

  const sqlite3_io_methods* base(const sqlite3_file* f) const {
    for (int i = 0; i < kTables; ++i) {
      if (f->pMethods == &patched[i]) return originals[i];
    }
    return f->pMethods;
  }
};

int wrapped_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* w = static_cast<Wrapped*>(vfs->pAppData);
  sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
  const int rc = base->xOpen(base, name, file, flags, out_flags);
  if (rc != SQLITE_OK || file->pMethods == nullptr) return rc;
  for (int i = 0; i < Wrapped::kTables; ++i) {
    if (w->originals[i] == nullptr) {
      w->originals[i] = file->pMethods;
      w->patched[i] = *file->pMethods;
      w->patch(w->patched[i]);
    }
    if (w->originals[i] == file->pMethods) {
      file->pMethods = &w->patched[i];
      break;
    }
  }
  return rc;
}

const char* register_wrapped(Wrapped& w, const char* name) {
  w.vfs = *sqlite3_vfs_find(nullptr);
  w.vfs.zName = name;
  w.vfs.pAppData = &w;
  w.vfs.xOpen = wrapped_open;
  w.vfs.pNext = nullptr;
  return sqlite3_vfs_register(&w.vfs, 0) == SQLITE_OK ? name : nullptr;
}

// Connections through this VFS can never take the checkpoint lock (WAL_CKPT_LOCK, shared-memory lock 1),
// so every checkpoint they try fails with SQLITE_BUSY, as when another process is checkpointing.
Wrapped g_no_ckpt;

int refuse_ckpt_lock(sqlite3_file* f, int offset, int n, int flags) {
  if (offset == 1 && (flags & SQLITE_SHM_LOCK) && (flags & SQLITE_SHM_EXCLUSIVE)) return SQLITE_BUSY;
  return g_no_ckpt.base(f)->xShmLock(f, offset, n, flags);
}

const char* no_ckpt_vfs() {
  static const char* name = [] {
    g_no_ckpt.patch = [](sqlite3_io_methods& m) { m.xShmLock = refuse_ckpt_lock; };
    return register_wrapped(g_no_ckpt, "test-no-checkpoint");
  }();
  return name;
}

// Connections through this VFS wait in every fsync while the gate is closed: a checkpoint pass starts
// (it syncs the WAL before copying) and then stalls, as on a disk that cannot keep up.
Wrapped g_gated;
std::mutex g_gate_mu;
std::condition_variable g_gate_cv;
bool g_gate_closed = false;

int gated_sync(sqlite3_file* f, int flags) {
  {
    std::unique_lock lock(g_gate_mu);
    g_gate_cv.wait(lock, [] { return !g_gate_closed; });
  }
  return g_gated.base(f)->xSync(f, flags);
}

void set_gate(bool closed) {
  {
    std::lock_guard lock(g_gate_mu);
    g_gate_closed = closed;
  }
  g_gate_cv.notify_all();
}

const char* gated_vfs() {
  static const char* name = [] {
    g_gated.patch = [](sqlite3_io_methods& m) { m.xSync = gated_sync; };
    return register_wrapped(g_gated, "test-gated-sync");
  }();
  return name;
}

std::string describe(const WalCheckpointerStats& s) {
  return "passes " + std::to_string(s.passes) + ", finishes " + std::to_string(s.finishes) + ", forced " +
         std::to_string(s.forced) + ", failures " + std::to_string(s.failures) + ", WAL frames " +
         std::to_string(s.wal_frames);
}

class WalCheckpointerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("fleet-ckpt-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
    ASSERT_EQ(sqlite3_open(path_.c_str(), &writer_), SQLITE_OK);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");    // the test's writer need not fsync; the checkpointer still does
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
  void expect_rows(int n) {
    exec("PRAGMA wal_checkpoint(TRUNCATE)");
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(writer_, "SELECT count(*) FROM t", -1, &st, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int(st, 0), n);
    sqlite3_finalize(st);
  }

  WalCheckpointerOptions options(int start, int finish, int hard_limit, const char* vfs = nullptr) const {
    WalCheckpointerOptions o;
    o.path = path_;
    o.vfs = vfs;
    o.start_frames = start;
    o.finish_frames = finish;
    o.hard_limit_frames = hard_limit;
    return o;
  }
  // A checkpointer attached to the test's writer; null (and a failure) if it cannot open.
  std::unique_ptr<WalCheckpointer> attached(const WalCheckpointerOptions& o) {
    auto c = WalCheckpointer::open(o);
    if (!c) {
      ADD_FAILURE() << c.error().message;
      return nullptr;
    }
    (*c)->attach(writer_);
    return std::move(*c);
  }

  std::filesystem::path dir_;
  std::string path_;
  sqlite3* writer_ = nullptr;
};

TEST_F(WalCheckpointerTest, EachPassIsFinishedByTheWriterAndTheWalStartsOver) {
  const WalCheckpointerOptions o = options(300, 60, 3'000);
  auto c = attached(o);
  ASSERT_NE(c, nullptr);

  // ~4 frames per commit: 16,000 frames, which without checkpoints would all stay in the WAL.
  std::int64_t most = 0;
  for (int i = 0; i < 4'000; ++i) {
    const std::uint64_t passes_before = c->stats().passes;  // before: the pass may finish at once
    exec("INSERT INTO t (body) VALUES (randomblob(6000))");
    most = std::max(most, wal_frames());
    if (c->stats().wal_frames < o.start_frames) continue;
    // This commit asked for a pass. The next one waits for it, as a writer slower than the disk would.
    ASSERT_TRUE(eventually([&] { return c->stats().passes > passes_before; }))
        << "no pass after commit " << i << ": " << describe(c->stats());
  }
  const WalCheckpointerStats s = c->stats();
  c->stop();

  EXPECT_GE(s.passes, 20u);  // 300 frames each out of 12,000 or more
  // Every pass was finished by the writer's next commit, and the WAL started over (the last pass may
  // have come with the last commit, when there was no next one).
  EXPECT_LE(s.finishes, s.passes);
  EXPECT_LE(s.passes - s.finishes, 1u);
  EXPECT_EQ(s.forced, 0u);
  EXPECT_EQ(s.writer_waits, 0u);
  EXPECT_LE(s.writer_frames_max, o.finish_frames);  // the writer only ever copied the last few frames
  EXPECT_LT(most, o.start_frames + 16);
  expect_rows(4'000);
}

TEST_F(WalCheckpointerTest, UnderAFreeRunningWriterTheWalStaysUnderTheHardLimit) {
  // However the two threads are scheduled: passes that finish in time end in a finish, the others in the
  // writer waiting at the hard limit and copying the rest itself.
  const WalCheckpointerOptions o = options(300, 60, 3'000);
  auto c = attached(o);
  ASSERT_NE(c, nullptr);

  const std::int64_t most = commit_stream(4'000);
  const WalCheckpointerStats s = c->stats();
  c->stop();

  EXPECT_LT(most, o.hard_limit_frames + 16);
  EXPECT_GE(s.passes, 1u);
  EXPECT_GE(s.finishes + s.forced, 16'000u / (3'000u + 16u) - 1);  // the WAL started over this often at least
  EXPECT_EQ(s.failures, 0u);
  expect_rows(4'000);
}

TEST_F(WalCheckpointerTest, APassThatFallsBehindMakesTheWriterWaitAtTheHardLimit) {
  ASSERT_NE(gated_vfs(), nullptr);
  const WalCheckpointerOptions o = options(100, 10, 1'000, gated_vfs());
  auto c = attached(o);
  ASSERT_NE(c, nullptr);

  obs::Counter& waits_metric =
      obs::Registry::global().counter("fleet_store_checkpoint_writer_waits_total", "");
  const std::uint64_t waits_before = waits_metric.value();
  set_gate(true);  // the first pass stalls in its first fsync
  std::int64_t most = 0;
  auto writer = std::async(std::launch::async, [&] { most = commit_stream(600); });  // ~2,400 frames
  const bool waited = eventually([&] { return c->stats().writer_waits > 0; });
  EXPECT_TRUE(waited) << "the WAL grew past the hard limit while a pass was stalled";
  const WalCheckpointerStats stalled = c->stats();
  EXPECT_GE(stalled.wal_frames, o.hard_limit_frames);
  EXPECT_EQ(stalled.passes, 0u);
  set_gate(false);
  writer.get();
  const WalCheckpointerStats s = c->stats();
  c->stop();

  EXPECT_GE(s.writer_waits, 1u);  // later passes, with the gate open, may fall behind too
  EXPECT_EQ(waits_metric.value() - waits_before, s.writer_waits);  // operators see it in /metrics
  EXPECT_GE(s.forced, 1u);  // after the stalled pass, the writer copied what it had left
  EXPECT_LT(most, o.hard_limit_frames + 16);
  expect_rows(600);
}

TEST_F(WalCheckpointerTest, StopReleasesAWriterWaitingAtTheHardLimit) {
  ASSERT_NE(gated_vfs(), nullptr);
  const WalCheckpointerOptions o = options(100, 10, 1'000, gated_vfs());
  auto c = attached(o);
  ASSERT_NE(c, nullptr);

  set_gate(true);
  auto writer = std::async(std::launch::async, [&] { commit_stream(600); });
  ASSERT_TRUE(eventually([&] { return c->stats().writer_waits > 0; }));
  // stop() waits for the stalled pass, but the writer goes on at once, with the gate still closed.
  auto stopper = std::async(std::launch::async, [&] { c->stop(); });
  const bool released = writer.wait_for(std::chrono::minutes(1)) == std::future_status::ready;
  set_gate(false);
  stopper.get();
  ASSERT_TRUE(released);
  writer.get();
  expect_rows(600);
}

TEST_F(WalCheckpointerTest, WithoutItTheWalOnlyGrows) {
  // The same stream with no checkpointer: what the test above guards against.
  EXPECT_GT(commit_stream(1'000), 3'000);
}

TEST_F(WalCheckpointerTest, FailingPassesBackOffAndTheHardLimitStillHolds) {
  ASSERT_NE(no_ckpt_vfs(), nullptr);
  const WalCheckpointerOptions o = options(100, 10, 1'000, no_ckpt_vfs());
  auto c = attached(o);
  ASSERT_NE(c, nullptr);

  const std::int64_t most = commit_stream(1'500);  // ~6,000 frames
  const WalCheckpointerStats s = c->stats();
  c->stop();

  EXPECT_EQ(s.passes, 0u);
  EXPECT_GE(s.failures, 2u);
  // Retried after every further start_frames of WAL, not after every one of the ~1,400 commits past it.
  EXPECT_LE(s.failures, 6'000u / 100u + 10u);
  EXPECT_GE(s.forced, 1u);  // the writer's own checkpoint at the hard limit kept the WAL bounded
  EXPECT_LT(most, o.hard_limit_frames + 16);
}

TEST_F(WalCheckpointerTest, AfterStopCommitsStillWork) {
  auto c = attached(options(10, 2, 100));
  ASSERT_NE(c, nullptr);
  commit_stream(20);
  c->stop();
  c->stop();          // idempotent
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
