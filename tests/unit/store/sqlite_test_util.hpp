#pragma once
// Helpers for SqliteStore tests: opening a store, parking its worker, changing the file behind its back.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstddef>
#include <latch>
#include <memory>
#include <string>

#include "store/sqlite_store.hpp"

namespace fleet::store::testing {

inline std::unique_ptr<SqliteStore> open_store(const std::string& path, std::size_t queue_capacity = 10'000,
                                               std::size_t max_batch_points = 10'000,
                                               std::size_t snapshot_cache_tenants = 10'000) {
  SqliteOptions o;
  o.path = path;
  o.queue_capacity = queue_capacity;
  o.max_batch_points = max_batch_points;
  o.snapshot_cache_tenants = snapshot_cache_tenants;
  auto s = SqliteStore::open(o);
  EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
  return s ? std::move(*s) : nullptr;
}

// Parks the worker thread inside a callback until release() so tests can line up a queue behind it.
// The latches are shared with the callback: the gate may go out of scope while the worker still wakes.
class WorkerGate {
 public:
  explicit WorkerGate(Store& s) : latches_(std::make_shared<Latches>()) {
    s.list_devices(TenantId("gate"), [l = latches_](Result<std::vector<Device>>) {
      l->entered.count_down();
      l->release.wait();
    });
    latches_->entered.wait();
  }
  // Also on destruction, so a failed assertion cannot leave the worker parked and stop() hanging.
  ~WorkerGate() { release(); }
  WorkerGate(const WorkerGate&) = delete;
  WorkerGate& operator=(const WorkerGate&) = delete;
  void release() {
    if (!released_) latches_->release.count_down();
    released_ = true;
  }

 private:
  struct Latches {
    std::latch entered{1};
    std::latch release{1};
  };
  std::shared_ptr<Latches> latches_;
  bool released_ = false;
};

// Runs `sql` on a second connection, as an operator (or a fault) would.
inline void exec_side(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

}  // namespace fleet::store::testing
