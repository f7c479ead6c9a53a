#include "store/fault_vfs.hpp"

#include <sqlite3.h>

#include <cstring>
#include <fstream>
#include <new>
#include <sstream>

namespace fleet::store {

// ---- the plan ----

void StorageFaults::arm(const FaultRule& rule) {
  std::lock_guard lock(mu_);
  rule_ = rule;
  seen_ = 0;
}

void StorageFaults::clear() {
  std::lock_guard lock(mu_);
  rule_.reset();
  seen_ = 0;
}

std::uint64_t StorageFaults::injected() const {
  std::lock_guard lock(mu_);
  return injected_;
}

std::optional<FaultRule> StorageFaults::parse(const std::string& text) {
  std::istringstream in(text);
  std::string op, kind, files = "any", extra;
  if (!(in >> op >> kind)) return std::nullopt;
  in >> files;
  if (in >> extra) return std::nullopt;
  FaultRule r;
  if (op == "write")
    r.op = FaultOp::write;
  else if (op == "sync")
    r.op = FaultOp::sync;
  else
    return std::nullopt;
  if (kind == "enospc")
    r.kind = FaultKind::enospc;
  else if (kind == "eio")
    r.kind = FaultKind::eio;
  else if (kind == "short_write")
    r.kind = FaultKind::short_write;
  else
    return std::nullopt;
  if (files == "wal")
    r.files = FaultFiles::wal;
  else if (files == "database")
    r.files = FaultFiles::database;
  else if (files == "any")
    r.files = FaultFiles::any;
  else
    return std::nullopt;
  return r;
}

int StorageFaults::decide(FaultOp op, bool wal_file, bool* short_write) {
  *short_write = false;
  std::optional<FaultRule> from_file;
  if (!control_file_.empty()) {
    std::ifstream in(control_file_);
    std::stringstream text;
    text << in.rdbuf();
    from_file = parse(text.str());
  }
  std::lock_guard lock(mu_);
  const std::optional<FaultRule>& rule = control_file_.empty() ? rule_ : from_file;
  if (!rule || rule->op != op) return 0;
  if ((rule->files == FaultFiles::wal && !wal_file) || (rule->files == FaultFiles::database && wal_file))
    return 0;
  const int n = seen_++;
  if (n < rule->skip || (rule->times >= 0 && n >= rule->skip + rule->times)) return 0;
  ++injected_;
  if (op == FaultOp::sync) return rule->kind == FaultKind::eio ? SQLITE_IOERR_FSYNC : SQLITE_FULL;
  switch (rule->kind) {
    case FaultKind::enospc: return SQLITE_FULL;
    case FaultKind::eio: return SQLITE_IOERR_WRITE;
    case FaultKind::short_write: *short_write = true; return SQLITE_FULL;
  }
  return SQLITE_FULL;
}

// ---- the VFS ----

namespace {

struct Shim {
  sqlite3_vfs vfs;  // first: SQLite hands us a sqlite3_vfs*
  sqlite3_vfs* base;
  StorageFaults* faults;
};

Shim* shim_of(sqlite3_vfs* v) noexcept { return reinterpret_cast<Shim*>(v); }
sqlite3_vfs* base_of(sqlite3_vfs* v) noexcept { return shim_of(v)->base; }

struct File {
  sqlite3_file base;  // first: SQLite sees a File* as a sqlite3_file*
  sqlite3_file* real;
  StorageFaults* faults;
  bool wal;
  bool data;  // the database or its WAL (not the shared-memory index, not temp files)
};

constexpr std::size_t kFileSize = (sizeof(File) + 15) & ~std::size_t{15};

File* as_file(sqlite3_file* f) noexcept { return reinterpret_cast<File*>(f); }
sqlite3_file* real(sqlite3_file* f) noexcept { return as_file(f)->real; }
const sqlite3_io_methods* methods(sqlite3_file* f) noexcept { return real(f)->pMethods; }

int x_close(sqlite3_file* f) {
  const int rc = methods(f)->xClose(real(f));
  as_file(f)->~File();
  return rc;
}
int x_read(sqlite3_file* f, void* out, int amount, sqlite3_int64 offset) {
  return methods(f)->xRead(real(f), out, amount, offset);
}
int x_write(sqlite3_file* f, const void* data, int amount, sqlite3_int64 offset) {
  File* file = as_file(f);
  if (file->data) {
    bool partial = false;
    if (const int rc = file->faults->decide(FaultOp::write, file->wal, &partial); rc != 0) {
      if (partial && amount > 1) (void)methods(f)->xWrite(real(f), data, amount / 2, offset);
      return rc;
    }
  }
  return methods(f)->xWrite(real(f), data, amount, offset);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) { return methods(f)->xTruncate(real(f), size); }
int x_sync(sqlite3_file* f, int flags) {
  File* file = as_file(f);
  if (file->data) {
    bool partial = false;
    if (const int rc = file->faults->decide(FaultOp::sync, file->wal, &partial); rc != 0) return rc;
  }
  return methods(f)->xSync(real(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) { return methods(f)->xFileSize(real(f), size); }
int x_lock(sqlite3_file* f, int level) { return methods(f)->xLock(real(f), level); }
int x_unlock(sqlite3_file* f, int level) { return methods(f)->xUnlock(real(f), level); }
int x_check_reserved_lock(sqlite3_file* f, int* out) { return methods(f)->xCheckReservedLock(real(f), out); }
int x_file_control(sqlite3_file* f, int op, void* arg) { return methods(f)->xFileControl(real(f), op, arg); }
int x_sector_size(sqlite3_file* f) { return methods(f)->xSectorSize(real(f)); }
int x_device_characteristics(sqlite3_file* f) { return methods(f)->xDeviceCharacteristics(real(f)); }
int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return methods(f)->xShmMap(real(f), region, size, extend, out);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return methods(f)->xShmLock(real(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) { methods(f)->xShmBarrier(real(f)); }
int x_shm_unmap(sqlite3_file* f, int delete_flag) { return methods(f)->xShmUnmap(real(f), delete_flag); }
int x_fetch(sqlite3_file* f, sqlite3_int64 offset, int amount, void** out) {
  if (methods(f)->iVersion < 3) {
    *out = nullptr;
    return SQLITE_OK;
  }
  return methods(f)->xFetch(real(f), offset, amount, out);
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 offset, void* p) {
  return methods(f)->iVersion < 3 ? SQLITE_OK : methods(f)->xUnfetch(real(f), offset, p);
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

int x_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  sqlite3_vfs* base = base_of(vfs);
  File* f = new (file) File{};
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kFileSize);
  std::memset(f->real, 0, static_cast<std::size_t>(base->szOsFile));
  const int rc = base->xOpen(base, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK || f->real->pMethods == nullptr) {
    f->~File();
    file->pMethods = nullptr;  // SQLite then does not call xClose
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  f->base.pMethods = &kMethods;
  f->faults = shim_of(vfs)->faults;
  f->wal = (flags & SQLITE_OPEN_WAL) != 0;
  f->data = (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)) != 0;
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

int register_fault_vfs(const char* name, sqlite3_vfs* base, StorageFaults* faults) noexcept {
  if (base == nullptr) base = sqlite3_vfs_find(nullptr);
  if (name == nullptr || base == nullptr || faults == nullptr || base->iVersion < 2) return SQLITE_MISUSE;
  // Lives as long as the process: SQLite keeps a pointer to it once registered.
  auto* shim = new (std::nothrow) Shim{};
  if (shim == nullptr) return SQLITE_NOMEM;
  shim->base = base;
  shim->faults = faults;
  sqlite3_vfs& vfs = shim->vfs;
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(kFileSize) + base->szOsFile;
  vfs.mxPathname = base->mxPathname;
  vfs.zName = name;
  vfs.xOpen = x_open;
  vfs.xDelete = x_delete;
  vfs.xAccess = x_access;
  vfs.xFullPathname = x_full_pathname;
  vfs.xDlOpen = x_dl_open;
  vfs.xDlError = x_dl_error;
  vfs.xDlSym = x_dl_sym;
  vfs.xDlClose = x_dl_close;
  vfs.xRandomness = x_randomness;
  vfs.xSleep = x_sleep;
  vfs.xCurrentTime = x_current_time;
  vfs.xGetLastError = x_get_last_error;
  vfs.xCurrentTimeInt64 = x_current_time_int64;
  const int rc = sqlite3_vfs_register(&vfs, 0);
  if (rc != SQLITE_OK) delete shim;
  return rc;
}

}  // namespace fleet::store
