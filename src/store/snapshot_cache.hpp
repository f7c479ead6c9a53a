#pragma once
// SnapshotCache: each tenant's snapshot (non-revoked devices with their last positions, the tenant seq) kept
// in memory, so a WebSocket handshake gets it without a round trip through the store thread and SQLite.
//
// Threads: SqliteStore's store thread is the only writer (install, apply_*, invalidate), and it calls them
// exactly where the database changes: after the change committed and before the change's callbacks run
// (they publish the batch to viewers). Any thread reads (find). A tenant's state is immutable and replaced
// whole, under a mutex held only to copy, swap or erase a pointer, so a reader never waits for a writer's
// work, never does I/O under the lock, and sees either all of a commit or none of it. The mutex is a leaf:
// nothing else is locked while it is held.
//
// Consistency: a state reflects exactly the commits applied so far, so a snapshot read at any moment
// reflects every committed point with seq <= its seq and nothing later.
//
// Memory: at most `max_tenants` tenants, each holding one Device (with its last point) per non-revoked
// device and its id's slot (for the store thread), plus the id of every tenant the database knows (one that
// ever had a device). Unknown tenants are answered from that set (seq 0, no devices) and never cached, so
// requests naming tenants that do not exist cannot grow it. Past the cap a tenant is not cached and its
// snapshots keep going through the store thread (no eviction: the answer stays correct, only slower).
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/result.hpp"
#include "store/store.hpp"

namespace fleet::store {

class SnapshotCache {
 public:
  explicit SnapshotCache(std::size_t max_tenants) : max_tenants_(max_tenants) {}

  // Any thread. A copy of the tenant's snapshot as of the last change applied; the empty snapshot for a
  // tenant the database does not know; nullopt when a known tenant is not cached or the cache is closed.
  // The devices are copied after the lock is released.
  std::optional<Snapshot> find(const TenantId& tenant) const;

  // Store thread, once at open: every tenant the database holds (its `tenants` table).
  void set_known_tenants(std::vector<std::string> tenants);

  // --- Store thread only, each right after the database change it mirrors committed.
  // Caches `snap`, the database's answer read on the store thread (so ordered with every commit), unless
  // the tenant is cached already, the snapshot is empty, the cache is full or closed.
  void install(const TenantId& tenant, const Snapshot& snap);
  // After a group commit succeeded, before its callbacks run: the group's results in commit order
  // (refusals are skipped). Last positions follow the database's rule: newest by device time, a later seq
  // winning a tie.
  void apply_appends(std::span<const Result<AppendResult>> results);
  void apply_created(const Device& device);
  void apply_revoked(const TenantId& tenant, const DeviceId& id);
  // Forgets the tenant; its next snapshot goes through the store thread and reloads it. For a change that
  // may or may not have reached the database, where the cached state can no longer be trusted.
  void invalidate(const TenantId& tenant);

  // Any thread. Empties the cache and keeps it empty: the store is stopping, and snapshots must then be
  // refused like every other request.
  void close();

 private:
  // Devices are shared between successive states of a tenant, and so are chunks of kChunk of them: a
  // commit copies the chunk pointers and the chunks it touches, not a pointer per device (a 10,000-device
  // tenant's commit once copied 10,000 pointers and looked up as many ids, most of the store thread's time).
  static constexpr std::size_t kChunk = 64;
  using Chunk = std::vector<std::shared_ptr<const Device>>;  // a revoked device leaves a null slot
  struct State {
    Seq seq = 0;
    std::vector<std::shared_ptr<const Chunk>> chunks;  // in creation order, as the snapshot query returns
    std::size_t devices = 0;                           // non-null slots
    std::size_t slots = 0;
  };
  using StatePtr = std::shared_ptr<const State>;

  // Lets the map be searched with a string_view, without building a std::string per lookup.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // Store thread only: each cached tenant's device id -> slot (chunk * kChunk + index in it).
  using Slots = std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>>;

  StatePtr current(std::string_view tenant) const;
  // Replaces the tenant's state if it is still cached (not invalidated, not closed).
  void replace(std::string_view tenant, StatePtr next);

  const std::size_t max_tenants_;
  std::unordered_map<std::string, Slots, NameHash, std::equal_to<>> slots_;  // store thread only
  mutable std::mutex mu_;  // guards tenants_, known_ and closed_
  std::unordered_map<std::string, StatePtr, NameHash, std::equal_to<>> tenants_;
  std::unordered_set<std::string, NameHash, std::equal_to<>> known_;  // every tenant with a row in `tenants`
  bool closed_ = false;
};

}  // namespace fleet::store
