#pragma once
// A SQLite VFS shim that gathers a commit's WAL writes into one write.
//
// SQLite appends each WAL frame as two writes (a 24-byte header, then the page), so a group commit that
// touches ten pages costs twenty pwrite() calls before its fsync. This VFS wraps another one and keeps
// contiguous writes to a WAL file in memory until SQLite syncs, reads, sizes, truncates or closes that
// file, or publishes new frames to readers (the shared-memory barrier before the WAL-index header is
// written): then they leave in one pwrite(). Nothing is acknowledged earlier than before: a commit is
// durable when its xSync returns, and the sync writes the buffer first. Writes to any other file pass
// straight through.
//
// Write errors (a full disk, EIO) are the wrapped VFS's, reported to the call that flushed:
//  * the commit whose frames could not be written fails (its xSync, or the write that filled the buffer),
//    and its unwritten bytes are dropped, so they cannot complete its frames in the file later;
//  * reads of committed frames never flush, so they keep working while writes fail;
//  * nothing is sticky: the next commit writes (or fails) on its own.
// An fsync that fails after the frames were written (EIO) fails the commit too, but its frames are in
// the file, or in the kernel's cache, and may be replayed by a recovery after a crash: the outcome of
// that one transaction is unknown (never partial). SQLite has the same rule without this shim.
// Only sound with synchronous=FULL (or EXTRA): with NORMAL a commit does not sync, and a failure to write
// its frames at the next barrier could not be reported to anyone.
struct sqlite3_vfs;

namespace fleet::store {

// Name of the shim over the process's default VFS, registered on first use (thread-safe). Pass it to
// sqlite3_open_v2. Null if registration failed (the caller then opens with the default VFS).
const char* wal_write_buffer_vfs() noexcept;

// The shim over the registered VFS named `base` (null: the default), registered on first use per base
// (thread-safe). For a store over a fault-injecting VFS (fault_vfs.hpp). Null if `base` is unknown or
// registration failed.
const char* wal_write_buffer_vfs(const char* base) noexcept;

// Registers a shim over `base` as `name` (not as the default). For tests, which wrap a counting VFS.
// Returns a SQLite result code. `name` and `base` must outlive every connection that uses the shim.
int register_wal_write_buffer_vfs(const char* name, sqlite3_vfs* base) noexcept;

}  // namespace fleet::store
