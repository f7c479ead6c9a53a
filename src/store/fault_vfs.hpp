#pragma once
// Storage faults on demand: a SQLite VFS over another one that fails chosen writes and syncs the way the
// unix VFS reports a full disk or a failing one, so the store's error paths (the WAL write buffer
// above it, the group commit, readiness) can be proven without filling a real disk.
//
// Test-only. It is never installed unless asked for: by a test, or by fleetd when the test-only
// environment variable FLEET_TEST_STORAGE_FAULTS names a control file (docs/architecture.md). Nothing of
// it sits in the path of a store that did not ask for it.
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

struct sqlite3_vfs;

namespace fleet::store {

enum class FaultOp { write, sync };

enum class FaultKind {
  enospc,       // write: nothing written, SQLITE_FULL (what the unix VFS reports for ENOSPC)
  eio,          // write: SQLITE_IOERR_WRITE; sync: SQLITE_IOERR_FSYNC
  short_write,  // write: the first half of the bytes written, then SQLITE_FULL (a disk that filled mid-write)
};

enum class FaultFiles { wal, database, any };

struct FaultRule {
  FaultOp op = FaultOp::write;
  FaultKind kind = FaultKind::enospc;
  FaultFiles files = FaultFiles::any;
  int skip = 0;    // matching calls to let through first
  int times = -1;  // matching calls to fail after those; -1 = until cleared
};

// The fault plan shared by every file the VFS opened. Thread-safe: the store and checkpointer threads
// call it while a test arms and clears it.
class StorageFaults {
 public:
  StorageFaults() = default;
  // Reads the plan from `control_file` at every write and sync instead of from arm(): the file holds
  // "<write|sync> <enospc|eio|short_write> [wal|database|any]", and no file (or an empty one) means no
  // fault. For a fleetd under an integration test, which cannot call arm().
  explicit StorageFaults(std::string control_file) : control_file_(std::move(control_file)) {}
  StorageFaults(const StorageFaults&) = delete;
  StorageFaults& operator=(const StorageFaults&) = delete;

  void arm(const FaultRule& rule);
  void clear();
  std::uint64_t injected() const;  // calls failed so far

  // For the VFS: the SQLite result code to fail this call with, or 0 to run it. `*short_write` is set
  // when the write should write half its bytes first.
  int decide(FaultOp op, bool wal_file, bool* short_write);

  // Parses one control-file plan (see the constructor); nullopt for anything else.
  static std::optional<FaultRule> parse(const std::string& text);

 private:
  const std::string control_file_;
  mutable std::mutex mu_;
  std::optional<FaultRule> rule_;
  int seen_ = 0;  // matching calls since arm()
  std::uint64_t injected_ = 0;
};

// Registers a VFS named `name` over `base` (null: the process's default VFS) whose files consult
// `faults` (not null). All must outlive every connection that uses it. Returns a SQLite result code.
int register_fault_vfs(const char* name, sqlite3_vfs* base, StorageFaults* faults) noexcept;

}  // namespace fleet::store
