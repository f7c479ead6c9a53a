#include "store/wal_write_buffer.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <vector>

namespace fleet::store {
namespace {

// Past this the buffer is written out even without a sync (a large transaction spilling pages).
constexpr std::size_t kMaxBuffered = 1 << 20;

sqlite3_vfs* base_of(sqlite3_vfs* vfs) noexcept { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// Our part of every open file; the wrapped VFS's file follows it in the same allocation.
struct File {
  sqlite3_file base{};  // first: SQLite sees a File* as a sqlite3_file*
  sqlite3_file* real = nullptr;
  bool wal = false;
  std::string wal_name;  // main database files: the name of their WAL, to flush it at a barrier

  std::mutex mu;  // buffer: the owning connection writes, a barrier on the database file may flush
  std::vector<char> buffer;
  sqlite3_int64 buffer_offset = 0;
  bool commit_buffered = false;  // the buffer holds a commit frame's header (see flush_locked)
};

constexpr std::size_t kFileSize = (sizeof(File) + 15) & ~std::size_t{15};

File* as_file(sqlite3_file* f) noexcept { return reinterpret_cast<File*>(f); }

// The unix VFS masks the length of one write with 0x1ffff, so a write of exactly 128 KiB would write
// nothing and report SQLITE_FULL: hand it pieces below that.
constexpr std::size_t kMaxWrite = 124 * 1024;

// Who asked for a flush decides what a failure does with the bytes that did not reach the file.
enum class Caller {
  // The connection's own read, write, sync, truncate or size call: SQLite sees the error.
  owner,
  // A barrier or file control, whose error SQLite may never see (xShmBarrier returns nothing, hints
  // are ignored): whatever failed stays for the owner's next call, which writes it or reports it.
  bystander,
};

void clear_buffer(File& f) noexcept {
  f.buffer.clear();
  f.commit_buffered = false;
}

// A failed write leaves the file as the wrapped VFS left it (maybe part of a piece). What was not written:
//  * holding a commit frame, reported to the owner: dropped. SQLite rolls the whole transaction back
//    when its commit fails, and these bytes must never reach the file later: written after the failure
//    (say by the next read), they would complete the frames of a transaction reported as failed, and a
//    crash before the next commit overwrites them would bring it back in recovery.
//  * otherwise: kept, in order. Frames of a transaction still open may still count (SQLite can roll back
//    one statement and go on), so the next flush writes them, or fails and reports it.
int flush_locked(File& f, Caller caller) noexcept {
  std::size_t done = 0;
  while (done < f.buffer.size()) {
    const std::size_t n = std::min(kMaxWrite, f.buffer.size() - done);
    const int rc = f.real->pMethods->xWrite(f.real, f.buffer.data() + done, static_cast<int>(n),
                                            f.buffer_offset + static_cast<sqlite3_int64>(done));
    if (rc != SQLITE_OK) {
      if (caller == Caller::owner && f.commit_buffered) {
        clear_buffer(f);
      } else {
        f.buffer.erase(f.buffer.begin(), f.buffer.begin() + static_cast<std::ptrdiff_t>(done));
        f.buffer_offset += static_cast<sqlite3_int64>(done);
      }
      return rc;
    }
    done += n;
  }
  clear_buffer(f);
  return SQLITE_OK;
}

int flush(File& f, Caller caller = Caller::owner) noexcept {
  if (!f.wal) return SQLITE_OK;
  std::lock_guard lock(f.mu);
  return flush_locked(f, caller);
}

// Whether [offset, offset + amount) touches buffered bytes. Readers only read frames that were committed
// (and so written at their commit's sync); a read that needs buffered bytes is the owner reading back
// frames of its own open transaction.
bool overlaps_buffer(File& f, sqlite3_int64 offset, int amount) noexcept {
  std::lock_guard lock(f.mu);
  if (f.buffer.empty()) return false;
  const sqlite3_int64 end = f.buffer_offset + static_cast<sqlite3_int64>(f.buffer.size());
  return offset < end && offset + amount > f.buffer_offset;
}

// A WAL frame header (24 bytes) whose "database size after commit" field is set marks a commit frame.
constexpr int kFrameHeaderBytes = 24;
constexpr sqlite3_int64 kWalHeaderBytes = 32;
bool is_commit_frame_header(const void* data, int amount, sqlite3_int64 offset) noexcept {
  if (amount != kFrameHeaderBytes || offset < kWalHeaderBytes) return false;
  const auto* b = static_cast<const unsigned char*>(data);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

// Open WAL files, so a barrier on a database file can flush its WAL before readers may look at new frames.
std::mutex registry_mu;
std::vector<File*>& open_wals() {
  static std::vector<File*> wals;
  return wals;
}

void flush_wals_named(const std::string& name) noexcept {
  std::lock_guard lock(registry_mu);
  for (File* w : open_wals()) {
    if (w->wal_name == name) (void)flush(*w, Caller::bystander);  // a failure stays for the owner's next call
  }
}

// ---- file methods ----

int x_close(sqlite3_file* file) {
  File* f = as_file(file);
  int rc = flush(*f);
  if (f->wal) {
    std::lock_guard lock(registry_mu);
    std::erase(open_wals(), f);
  }
  const int close_rc = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  f->~File();
  return rc != SQLITE_OK ? rc : close_rc;
}

int x_read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  File* f = as_file(file);
  // Only a read of buffered bytes flushes: a write that failed (a full disk) must not fail the reads of
  // committed frames too.
  if (f->wal && overlaps_buffer(*f, offset, amount)) {
    if (int rc = flush(*f); rc != SQLITE_OK) return rc;
  }
  return f->real->pMethods->xRead(f->real, out, amount, offset);
}

int x_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  File* f = as_file(file);
  if (!f->wal) return f->real->pMethods->xWrite(f->real, data, amount, offset);
  std::lock_guard lock(f->mu);
  if (!f->buffer.empty() && offset != f->buffer_offset + static_cast<sqlite3_int64>(f->buffer.size())) {
    if (int rc = flush_locked(*f, Caller::owner); rc != SQLITE_OK)
      return rc;  // not contiguous: keep the order
  }
  const auto* bytes = static_cast<const char*>(data);
  try {
    f->buffer.insert(f->buffer.end(), bytes, bytes + amount);  // unchanged if it throws
  } catch (const std::bad_alloc&) {
    if (int rc = flush_locked(*f, Caller::owner); rc != SQLITE_OK) return rc;  // no memory: write it through
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
  }
  if (f->buffer.size() == static_cast<std::size_t>(amount)) f->buffer_offset = offset;
  if (is_commit_frame_header(data, amount, offset)) f->commit_buffered = true;
  return f->buffer.size() >= kMaxBuffered ? flush_locked(*f, Caller::owner) : SQLITE_OK;
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
  File* f = as_file(file);
  if (int rc = flush(*f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xTruncate(f->real, size);
}

int x_sync(sqlite3_file* file, int flags) {
  File* f = as_file(file);
  if (int rc = flush(*f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}

int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
  File* f = as_file(file);
  if (int rc = flush(*f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}

int x_lock(sqlite3_file* file, int level) {
  return as_file(file)->real->pMethods->xLock(as_file(file)->real, level);
}
int x_unlock(sqlite3_file* file, int level) {
  return as_file(file)->real->pMethods->xUnlock(as_file(file)->real, level);
}
int x_check_reserved_lock(sqlite3_file* file, int* out) {
  return as_file(file)->real->pMethods->xCheckReservedLock(as_file(file)->real, out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
  File* f = as_file(file);
  if (int rc = flush(*f, Caller::bystander); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}

int x_sector_size(sqlite3_file* file) {
  return as_file(file)->real->pMethods->xSectorSize(as_file(file)->real);
}
int x_device_characteristics(sqlite3_file* file) {
  return as_file(file)->real->pMethods->xDeviceCharacteristics(as_file(file)->real);
}

int x_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return as_file(file)->real->pMethods->xShmMap(as_file(file)->real, region, size, extend, out);
}
int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  return as_file(file)->real->pMethods->xShmLock(as_file(file)->real, offset, n, flags);
}
void x_shm_barrier(sqlite3_file* file) {
  // SQLite writes the WAL-index header in two copies around this barrier; once both match, readers trust
  // its frame count. Those frames must be in the file by then (with synchronous=FULL the commit's sync
  // has already written them; this covers NORMAL, which does not sync at commit).
  File* f = as_file(file);
  if (!f->wal_name.empty()) flush_wals_named(f->wal_name);
  f->real->pMethods->xShmBarrier(f->real);
}
int x_shm_unmap(sqlite3_file* file, int delete_flag) {
  return as_file(file)->real->pMethods->xShmUnmap(as_file(file)->real, delete_flag);
}
int x_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  File* f = as_file(file);
  if (f->real->pMethods->iVersion < 3) {
    *out = nullptr;  // no memory mapping: SQLite reads instead
    return SQLITE_OK;
  }
  if (int rc = flush(*f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFetch(f->real, offset, amount, out);
}
int x_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  File* f = as_file(file);
  return f->real->pMethods->iVersion < 3 ? SQLITE_OK : f->real->pMethods->xUnfetch(f->real, offset, p);
}

const sqlite3_io_methods kMethods = {
    .iVersion = 3,
    .xClose = x_close,
    .xRead = x_read,
    .xWrite = x_write,
    .xTruncate = x_truncate,
    .xSync = x_sync,
    .xFileSize = x_file_size,
    .xLock = x_lock,
    .xUnlock = x_unlock,
    .xCheckReservedLock = x_check_reserved_lock,
    .xFileControl = x_file_control,
    .xSectorSize = x_sector_size,
    .xDeviceCharacteristics = x_device_characteristics,
    .xShmMap = x_shm_map,
    .xShmLock = x_shm_lock,
    .xShmBarrier = x_shm_barrier,
    .xShmUnmap = x_shm_unmap,
    .xFetch = x_fetch,
    .xUnfetch = x_unfetch,
};

// ---- VFS methods ----

int x_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* base = base_of(vfs);
  File* f = new (file) File();
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kFileSize);
  std::memset(f->real, 0, static_cast<std::size_t>(base->szOsFile));
  const int rc = base->xOpen(base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK || f->real->pMethods == nullptr) {
    f->~File();
    file->pMethods = nullptr;  // SQLite then does not call xClose
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  f->base.pMethods = &kMethods;
  try {
    if ((flags & SQLITE_OPEN_WAL) != 0 && name != nullptr) {
      f->wal_name = name;
      std::lock_guard lock(registry_mu);
      open_wals().push_back(f);
      f->wal = true;
    } else if ((flags & SQLITE_OPEN_MAIN_DB) != 0 && name != nullptr) {
      f->wal_name = std::string(name) + "-wal";
    }
  } catch (const std::bad_alloc&) {
    x_close(file);  // closes the wrapped file and destroys ours; SQLite will not call xClose
    file->pMethods = nullptr;
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

int x_delete(sqlite3_vfs* v, const char* n, int sync) { return base_of(v)->xDelete(base_of(v), n, sync); }
int x_access(sqlite3_vfs* v, const char* n, int flags, int* out) {
  return base_of(v)->xAccess(base_of(v), n, flags, out);
}
int x_full_pathname(sqlite3_vfs* v, const char* n, int size, char* out) {
  return base_of(v)->xFullPathname(base_of(v), n, size, out);
}
void* x_dl_open(sqlite3_vfs* v, const char* n) { return base_of(v)->xDlOpen(base_of(v), n); }
void x_dl_error(sqlite3_vfs* v, int size, char* out) { base_of(v)->xDlError(base_of(v), size, out); }
void (*x_dl_sym(sqlite3_vfs* v, void* h, const char* sym))(void) {
  return base_of(v)->xDlSym(base_of(v), h, sym);
}
void x_dl_close(sqlite3_vfs* v, void* h) { base_of(v)->xDlClose(base_of(v), h); }
int x_randomness(sqlite3_vfs* v, int n, char* out) { return base_of(v)->xRandomness(base_of(v), n, out); }
int x_sleep(sqlite3_vfs* v, int us) { return base_of(v)->xSleep(base_of(v), us); }
int x_current_time(sqlite3_vfs* v, double* out) { return base_of(v)->xCurrentTime(base_of(v), out); }
int x_get_last_error(sqlite3_vfs* v, int n, char* out) {
  return base_of(v)->xGetLastError ? base_of(v)->xGetLastError(base_of(v), n, out) : 0;
}
int x_current_time_int64(sqlite3_vfs* v, sqlite3_int64* out) {
  return base_of(v)->xCurrentTimeInt64(base_of(v), out);
}

}  // namespace

int register_wal_write_buffer_vfs(const char* name, sqlite3_vfs* base) noexcept {
  // Version 2 at least: its files have the shared-memory methods WAL mode needs.
  if (name == nullptr || base == nullptr || base->iVersion < 2) return SQLITE_MISUSE;
  // Lives as long as the process: SQLite keeps a pointer to it once registered.
  auto* vfs = new (std::nothrow) sqlite3_vfs{};
  if (vfs == nullptr) return SQLITE_NOMEM;
  vfs->iVersion = 2;
  vfs->szOsFile = static_cast<int>(kFileSize) + base->szOsFile;
  vfs->mxPathname = base->mxPathname;
  vfs->zName = name;
  vfs->pAppData = base;
  vfs->xOpen = x_open;
  vfs->xDelete = x_delete;
  vfs->xAccess = x_access;
  vfs->xFullPathname = x_full_pathname;
  vfs->xDlOpen = x_dl_open;
  vfs->xDlError = x_dl_error;
  vfs->xDlSym = x_dl_sym;
  vfs->xDlClose = x_dl_close;
  vfs->xRandomness = x_randomness;
  vfs->xSleep = x_sleep;
  vfs->xCurrentTime = x_current_time;
  vfs->xGetLastError = x_get_last_error;
  vfs->xCurrentTimeInt64 = x_current_time_int64;
  const int rc = sqlite3_vfs_register(vfs, 0);
  if (rc != SQLITE_OK) delete vfs;
  return rc;
}

const char* wal_write_buffer_vfs() noexcept {
  static const char* const name = [] {
    constexpr const char* kName = "fleet-wal-buffer";
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    return register_wal_write_buffer_vfs(kName, base) == SQLITE_OK ? kName : nullptr;
  }();
  return name;
}

const char* wal_write_buffer_vfs(const char* base) noexcept {
  if (base == nullptr) return wal_write_buffer_vfs();
  // Shim names live as long as the process, like the VFSes SQLite keeps pointers to.
  static std::mutex mu;
  static auto* shims =
      new (std::nothrow) std::vector<std::pair<std::string, const std::string*>>();  // base -> name
  std::lock_guard lock(mu);
  if (shims == nullptr) return nullptr;
  try {
    for (const auto& [b, name] : *shims) {
      if (b == base) return name->c_str();
    }
    sqlite3_vfs* real = sqlite3_vfs_find(base);
    if (real == nullptr) return nullptr;
    auto name = std::make_unique<std::string>(std::string("fleet-wal-buffer+") + base);
    std::pair<std::string, const std::string*> entry(base, name.get());
    shims->reserve(shims->size() + 1);  // before registering: nothing may throw after it
    if (register_wal_write_buffer_vfs(name->c_str(), real) != SQLITE_OK) return nullptr;
    shims->push_back(std::move(entry));
    return name.release()->c_str();
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
}

}  // namespace fleet::store
