// The WAL write buffer: fewer writes per commit, and nothing else may change - every committed row is in
// the file when the commit returns, for this connection, for others, and after the process dies.
#include "store/wal_write_buffer.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <string>

namespace fleet::store {
namespace {

// A VFS over the default one that counts writes to WAL files: the shim is registered on top of it.
std::atomic<int> g_wal_writes{0};
sqlite3_vfs g_counting{};
sqlite3_io_methods g_counting_methods{};
const sqlite3_io_methods* g_default_methods = nullptr;

int counting_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  ++g_wal_writes;
  return g_default_methods->xWrite(f, data, amount, offset);
}

int counting_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  auto* base = static_cast<sqlite3_vfs*>(vfs->pAppData);
  const int rc = base->xOpen(base, name, file, flags, out_flags);
  if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) != 0 && file->pMethods != nullptr) {
    // Same file object, same methods, but count the writes.
    g_default_methods = file->pMethods;
    g_counting_methods = *file->pMethods;
    g_counting_methods.xWrite = counting_write;
    file->pMethods = &g_counting_methods;
  }
  return rc;
}

void register_vfses() {
  static bool done = [] {
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    g_counting = *base;
    g_counting.zName = "test-counting";
    g_counting.pAppData = base;
    g_counting.xOpen = counting_open;
    g_counting.pNext = nullptr;
    EXPECT_EQ(sqlite3_vfs_register(&g_counting, 0), SQLITE_OK);
    EXPECT_EQ(register_wal_write_buffer_vfs("test-buffered", &g_counting), SQLITE_OK);
    return true;
  }();
  (void)done;
}

class Db {
 public:
  Db(const std::string& path, const char* vfs) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
              SQLITE_OK);
  }
  ~Db() { sqlite3_close_v2(db_); }
  void exec(const std::string& sql) {
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "") << " in " << sql;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
    std::string out;
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
    return out;
  }
  sqlite3* get() { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

class WalWriteBufferTest : public ::testing::Test {
 protected:
  void SetUp() override {
    register_vfses();
    dir_ = std::filesystem::temp_directory_path() /
           ("fleet-walbuf-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }

  static void configure(Db& db) {
    db.exec("PRAGMA journal_mode=WAL");
    db.exec("PRAGMA synchronous=FULL");
    db.exec("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)");
  }
  // One transaction touching many pages: 40 rows of 1 KB.
  static int wal_writes_of_one_commit(Db& db) {
    const int before = g_wal_writes.load();
    db.exec("BEGIN");
    for (int i = 0; i < 40; ++i) db.exec("INSERT INTO t (body) VALUES (randomblob(1000))");
    db.exec("COMMIT");
    return g_wal_writes.load() - before;
  }

  std::filesystem::path dir_;
};

TEST_F(WalWriteBufferTest, OneWritePerCommitInsteadOfTwoPerPage) {
  Db plain(path("plain.db"), "test-counting");
  configure(plain);
  wal_writes_of_one_commit(plain);  // warm: the WAL header and schema pages are written once
  const int unbuffered = wal_writes_of_one_commit(plain);

  Db buffered(path("buffered.db"), "test-buffered");
  configure(buffered);
  wal_writes_of_one_commit(buffered);
  const int gathered = wal_writes_of_one_commit(buffered);

  EXPECT_GE(unbuffered, 20);  // SQLite alone: a header and a page per frame
  EXPECT_EQ(gathered, 1);
}

TEST_F(WalWriteBufferTest, CommitsAreVisibleToOtherConnectionsAtOnce) {
  Db writer(path("shared.db"), "test-buffered");
  configure(writer);
  Db reader(path("shared.db"), nullptr);  // the default VFS, no buffer of its own
  for (int i = 1; i <= 20; ++i) {
    writer.exec("INSERT INTO t (body) VALUES (zeroblob(3000))");
    EXPECT_EQ(reader.text("SELECT count(*) FROM t"), std::to_string(i));
  }
  EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
}

TEST_F(WalWriteBufferTest, LargeTransactionsAndCheckpointsWork) {
  // Over 128 KiB in one commit: the unix VFS cannot take that in one write call.
  Db db(path("large.db"), "test-buffered");
  configure(db);
  for (int round = 0; round < 3; ++round) {
    db.exec("BEGIN");
    for (int i = 0; i < 60; ++i)
      db.exec("INSERT INTO t (body) VALUES (randomblob(" + std::to_string(4000 + 37 * i) + "))");
    db.exec("COMMIT");
    db.exec("PRAGMA wal_checkpoint(PASSIVE)");
  }
  db.exec("BEGIN");
  db.exec("INSERT INTO t (body) VALUES (randomblob(3000000))");  // spills past the 1 MiB buffer cap
  db.exec("COMMIT");
  EXPECT_EQ(db.text("SELECT count(*) FROM t"), "181");
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  EXPECT_EQ(db.text("PRAGMA integrity_check"), "ok");
  Db other(path("large.db"), nullptr);
  EXPECT_EQ(other.text("SELECT sum(length(body)) > 3000000 FROM t"), "1");
}

TEST_F(WalWriteBufferTest, EveryAcknowledgedCommitSurvivesAKill) {
  const std::string file = path("crash.db");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child commits numbered rows and reports each one after COMMIT returned, until it is killed.
    ::close(fds[0]);
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, "test-buffered") !=
        SQLITE_OK)
      _exit(2);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE t (id INTEGER PRIMARY KEY, "
                 "body BLOB);"
                 "CREATE TABLE u (body BLOB)",
                 nullptr, nullptr, nullptr);
    for (int i = 1;; ++i) {
      const std::string sql = "BEGIN; INSERT INTO t (id, body) VALUES (" + std::to_string(i) +
                              ", randomblob(2000)); INSERT INTO u (body) VALUES (randomblob(5000)); COMMIT";
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) _exit(3);
      if (::write(fds[1], &i, sizeof i) != sizeof i) _exit(4);
    }
  }
  ::close(fds[1]);
  int acknowledged = 0, n = 0;
  while (acknowledged < 300 && ::read(fds[0], &n, sizeof n) == sizeof n) acknowledged = n;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  while (::read(fds[0], &n, sizeof n) == sizeof n) acknowledged = n;  // reported before it died
  ::close(fds[0]);
  ASSERT_GE(acknowledged, 300);

  Db db(file, nullptr);
  EXPECT_EQ(db.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(db.text("SELECT count(*) FROM t WHERE id <= " + std::to_string(acknowledged) +
                    " AND length(body) = 2000"),
            std::to_string(acknowledged));
}

TEST(WalWriteBufferVfs, RegistersOnce) {
  const char* name = wal_write_buffer_vfs();
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(wal_write_buffer_vfs(), name);
  EXPECT_NE(sqlite3_vfs_find(name), nullptr);
  EXPECT_EQ(register_wal_write_buffer_vfs(nullptr, sqlite3_vfs_find(nullptr)), SQLITE_MISUSE);
}

}  // namespace
}  // namespace fleet::store
