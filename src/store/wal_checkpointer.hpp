#pragma once
// Checkpoints off the commit path.
//
// With SQLite's own auto-checkpoint the writer copies the whole WAL into the database file and fsyncs it
// inside the commit that crossed the threshold: every request queued behind that commit waits (tens of
// ms for 10,000 frames). Here a thread with its own connection does the copying (a PASSIVE checkpoint
// never blocks the writer), and the writer only finishes the job: once a pass has copied all but a few
// frames, the writer copies those few itself, between two commits, so that its next transaction finds
// the WAL fully copied and starts it over from the beginning. (A background pass alone is never complete
// while commits keep coming, and the WAL would grow without bound.)
//
// The hard limit is hard: when passes cannot keep up (a slow disk, a writer faster than the fsync), the
// commit that reaches it waits for the running pass, if any, and then copies the rest itself. That is
// the writer's backpressure, as with SQLite's own auto-checkpoint; without it the writer would request
// pass after pass, each ending with more frames left than finish_frames, and the WAL would only grow.
//
// Thread: attach() and the commit hook run on the writer's thread; the pass runs on the checkpointer's.
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.hpp"

struct sqlite3;

namespace fleet::store {

class Db;

struct WalCheckpointerOptions {
  std::string path;                // the database the writer has open
  const char* vfs = nullptr;       // the VFS the writer uses
  int start_frames = 2'000;        // WAL frames (4 KiB pages) that start a background pass
  int finish_frames = 128;         // at most this many left after a pass: the writer copies them itself
  int hard_limit_frames = 12'000;  // the writer checkpoints itself if the WAL got this long anyway
};

struct WalCheckpointerStats {
  std::uint64_t passes = 0;        // background passes completed
  std::uint64_t finishes = 0;      // small checkpoints by the writer that completed a cycle
  std::uint64_t forced = 0;        // checkpoints by the writer at the hard limit
  std::uint64_t failures = 0;      // passes or finishes that failed (the next one tries again)
  std::uint64_t writer_waits = 0;  // commits at the hard limit that waited for a running pass
  int writer_frames_max = 0;       // most frames the writer had to copy in one finish or forced run
  int wal_frames = 0;              // frames in the WAL after the last commit
};

class WalCheckpointer {
 public:
  // Opens the checkpointer's own connection and starts its thread.
  static Result<std::unique_ptr<WalCheckpointer>> open(const WalCheckpointerOptions& options);
  ~WalCheckpointer();  // stop()
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  // Replaces the writer connection's auto-checkpoint with this checkpointer (sqlite3_wal_hook). The
  // connection must stay open, and this object alive, until the writer is done with it.
  void attach(sqlite3* writer);
  // Waits for a running pass, then stops the thread and closes the connection. Idempotent.
  void stop();

  WalCheckpointerStats stats() const;

 private:
  explicit WalCheckpointer(std::unique_ptr<Db> db, const WalCheckpointerOptions& options);
  static int on_commit(void* self, sqlite3* writer, const char* schema, int frames);
  void after_commit(sqlite3* writer, int frames);
  void writer_checkpoint(sqlite3* writer, int frames, int copied_before, bool forced);
  void run();

  std::unique_ptr<Db> db_;  // used by the checkpointer thread only
  const WalCheckpointerOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;         // wakes the checkpointer thread
  std::condition_variable pass_done_;  // wakes a writer waiting at the hard limit
  bool requested_ = false;             // a pass is asked for or running
  bool done_ = false;                  // a pass finished and the writer has not looked at it yet
  bool failed_ = false;                // a pass failed and the writer has not looked at it yet
  int backfilled_ = 0;                 // frames copied when that pass finished
  int next_pass_frames_;               // WAL length that starts the next pass (further out after a failure)
  bool stopping_ = false;
  WalCheckpointerStats stats_;
  std::thread thread_;
};

}  // namespace fleet::store
