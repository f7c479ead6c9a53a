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
struct sqlite3_vfs;

namespace fleet::store {

// Name of the shim over the process's default VFS, registered on first use (thread-safe). Pass it to
// sqlite3_open_v2. Null if registration failed (the caller then opens with the default VFS).
const char* wal_write_buffer_vfs() noexcept;

// Registers a shim over `base` as `name` (not as the default). For tests, which wrap a counting VFS.
// Returns a SQLite result code. `name` and `base` must outlive every connection that uses the shim.
int register_wal_write_buffer_vfs(const char* name, sqlite3_vfs* base) noexcept;

}  // namespace fleet::store
