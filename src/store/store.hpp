#pragma once
// The storage seam. SqliteStore is the embedded default; MemoryStore serves tests and benchmarks.
// Every call is asynchronous and thread-safe. Callbacks run on the store's own thread, in the order the
// store committed the work, and must not block (post the result to your own executor instead).
// Exceptions: a refusal for a full queue or a stopped store (unavailable) is delivered inline on the
// calling thread, before the call returns; so may a snapshot (see snapshot()); MemoryStore runs every
// callback inline. So never call a store method while holding a lock that the callback also takes.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "core/telemetry.hpp"

namespace fleet::store {

template <class T>
using Callback = std::function<void(Result<T>)>;

struct AppendRequest {
  std::string key_hash;  // hex SHA-256 of the device's ingest key
  std::vector<TelemetryPoint> points;
  std::int64_t received_ms = 0;
};

// What was durably stored: the device's identity and the points with their new per-tenant seqs.
struct AppendResult {
  TenantId tenant;
  DeviceId device;
  std::vector<StoredPoint> points;
  Seq last_seq = 0;
};

// A tenant's devices (revoked ones excluded) with last positions, consistent with tenant sequence `seq`:
// every point with seq <= `seq` is reflected, none after it.
struct Snapshot {
  Seq seq = 0;
  std::vector<Device> devices;
};

// What a resuming session missed: every point of the tenant with seq in (since, seq], in seq order.
struct Recovery {
  Seq seq = 0;            // the tenant's seq when the read ran (ordered with commits, like a snapshot)
  bool complete = false;  // false: `since` is above `seq`, or more than the asked maximum would be needed
  std::vector<StoredPoint> points;  // empty unless complete
};

struct HistoryQuery {
  TenantId tenant;
  DeviceId device;
  std::int64_t from_ms = INT64_MIN;  // inclusive, device time
  std::int64_t to_ms = INT64_MAX;    // exclusive
  std::size_t limit = 100;
  // Pagination cursor: the seq of the last point of the previous page (HistoryPage::next_after). The
  // store looks up that point's ts and resumes strictly after (ts, seq), so ties and out-of-order arrivals
  // neither skip nor repeat points. A seq that is not a point of this device -> invalid_field "after".
  std::optional<Seq> after_seq;
};

struct HistoryPage {
  std::vector<StoredPoint> points;  // ascending by (ts, seq); at most min(limit, 1000), at least 1 asked
  std::optional<Seq> next_after;    // set when more points remain: pass it back as after_seq
};

// A named set of a tenant's devices, for views (docs/protocol.md, "Device groups"). Ids: "grp_" + 32 hex.
struct Group {
  std::string id;
  TenantId tenant;
  std::string name;
  std::int64_t created_ms = 0;
  std::vector<DeviceId> devices;  // members in the order they were given
};

// What a view's `groups` resolve to: the member devices of those of the asked groups that are the
// tenant's, and the asked ids that are not (missing, or another tenant's: the same answer).
struct GroupMembers {
  std::vector<DeviceId> devices;  // deduplicated
  std::vector<std::string> unknown;
};

// A read-only share of some devices with an expiry (docs/protocol.md, "Share links"). Ids: "shr_" + 32 hex.
// The share token is derived from the id with the store's share key (auth/share_registry.hpp), never stored.
struct Share {
  std::string id;
  TenantId tenant;
  std::string label;
  std::string created_by;  // the admin's user id
  std::vector<DeviceId> devices;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
  std::optional<std::int64_t> revoked_ms;
};

class Store {
 public:
  virtual ~Store() = default;

  // Stores a validated batch for the device owning key_hash. Fails with unauthorized for an unknown or
  // revoked key, unavailable when the queue is full or the store is stopping, storage_unavailable when
  // the disk refuses the write (full, I/O error). Completes only after the batch is durable (per the
  // configured synchronous mode). All or nothing.
  virtual void append(AppendRequest req, Callback<AppendResult> done) = 0;

  // Assigns a fresh "dev_" id. A key_hash already registered (to any device, revoked included) or an
  // empty one fails with invalid_field "key_hash".
  virtual void create_device(TenantId tenant, std::string name, std::string key_hash,
                             Callback<Device> done) = 0;
  // not_found for a device of another tenant, exactly as for a missing one. Revoking twice is fine.
  virtual void revoke_device(TenantId tenant, DeviceId id, Callback<Device> done) = 0;
  // not_found for a device of another tenant, exactly as for a missing one.
  virtual void get_device(TenantId tenant, DeviceId id, Callback<Device> done) = 0;
  // Every device of the tenant in creation order, revoked ones included (with revoked_ms set).
  virtual void list_devices(TenantId tenant, Callback<std::vector<Device>> done) = 0;
  // An unknown tenant gets an empty snapshot with seq 0. The callback may run inline on the calling thread
  // (before snapshot() returns, e.g. when served from memory) or later on the store thread: callers must
  // cope with both, e.g. by posting the result to their own executor. Either way the snapshot reflects at
  // least every append, create and revoke whose callback has started, and never an append that is not
  // durable.
  virtual void snapshot(TenantId tenant, Callback<Snapshot> done) = 0;
  // not_found when the device is not the tenant's.
  virtual void history(HistoryQuery q, Callback<HistoryPage> done) = 0;
  // The points of `tenant` after `since`, for a resume, if there are at most `max_events` of them. Ordered
  // with commits: the answer reflects every append whose callback has started, so a session subscribed to
  // the hub before asking misses nothing between the two. Never runs inline except for refusals.
  virtual void events_after(TenantId tenant, Seq since, std::size_t max_events, Callback<Recovery> done) = 0;
  // The tenant's epoch (store/epoch.hpp). Thread-safe, cheap, never blocks on the store thread.
  virtual std::string epoch(const TenantId& tenant) const = 0;
  // Whether key_hash belongs to a device that may append now (registered, not revoked), as of every
  // create and revoke whose callback has started. Thread-safe, cheap, never blocks on the store thread:
  // the transport asks it before it reads an ingest body. append() still checks the key itself.
  virtual bool device_key_active(std::string_view key_hash) const = 0;
  // Empty while the store can write; otherwise why not (e.g. "database or disk is full"): from a write
  // that failed for a storage reason (ErrorCode::storage_unavailable) until one succeeds again. Reads keep
  // working meanwhile. Thread-safe, cheap, never blocks on the store thread: readiness asks it.
  virtual std::string write_failure() const = 0;

  // --- Device groups. not_found for a group of another tenant, exactly as for a missing one; a device
  // list naming a device that is not the tenant's (or revoked) fails with invalid_field "devices" and
  // changes nothing. A name used by another group of the tenant fails with invalid_field "name" (checked
  // after the devices). A device named twice is a member once, at its first place. Groups are answered
  // with their members as stored minus those revoked since; a revoked device stays stored, so a group
  // never changes behind its admin's back. Limits (name length, list sizes) are the API's.
  virtual void create_group(TenantId tenant, std::string name, std::vector<DeviceId> devices,
                            Callback<Group> done) = 0;
  // The tenant's groups in creation order.
  virtual void list_groups(TenantId tenant, Callback<std::vector<Group>> done) = 0;
  // Replaces the members: all of the new list, or (refused, failed) none of it.
  virtual void set_group_devices(TenantId tenant, std::string group_id, std::vector<DeviceId> devices,
                                 Callback<Group> done) = 0;
  // Answers the group as it was.
  virtual void delete_group(TenantId tenant, std::string group_id, Callback<Group> done) = 0;
  // For a view: never fails for unknown groups (they are listed in `unknown`, each once, in asked order).
  // `devices`: the members of the tenant's asked groups, revoked ones excluded, each once, in first-seen
  // order.
  virtual void group_members(TenantId tenant, std::vector<std::string> group_ids,
                             Callback<GroupMembers> done) = 0;

  // --- Shares. `share.id`, created_ms and revoked_ms are assigned by the store; devices must all be the
  // tenant's non-revoked devices (else invalid_field "devices", nothing stored), each kept once. Shares
  // are answered with the devices they were created with. not_found for another tenant's share, exactly
  // as for a missing one. Lists are in creation order, revoked and expired shares included. Revoking
  // twice is fine (the first revocation time is kept). Expiry and limits are the API's to check.
  virtual void create_share(Share share, Callback<Share> done) = 0;
  virtual void list_shares(TenantId tenant, Callback<std::vector<Share>> done) = 0;
  virtual void revoke_share(TenantId tenant, std::string share_id, Callback<Share> done) = 0;
  // Every share not revoked and not expired at `now_ms` (expires_ms > now_ms), of every tenant, in
  // creation order: loads the share registry.
  virtual void active_shares(std::int64_t now_ms, Callback<std::vector<Share>> done) = 0;
  // The key share tokens are signed with: 32 random bytes made once per database (so links survive
  // restarts and die with the database). Thread-safe, cheap, never blocks on the store thread.
  virtual std::string share_key() const = 0;

  // Refuses new work, completes everything already queued (so acknowledged data is on disk), then
  // releases resources. Idempotent; blocks until done.
  virtual void stop() = 0;
};

}  // namespace fleet::store
