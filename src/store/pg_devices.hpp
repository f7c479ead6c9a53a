#pragma once
// PgStore's device and read SQL, synchronous over one connection: device registration and revocation,
// device reads, snapshots, history, resume reads and the key changes other nodes poll for. Any thread
// may call these with a connection it owns.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "store/pg_conn.hpp"
#include "store/store.hpp"

namespace fleet::store {

// A change to a device's key, numbered by the database-wide device change counter (meta
// 'device_changes'). Every create and revoke takes the counter's row lock until it commits, so changes
// commit in counter order: "every change after N" is an exact question to ask from any node.
struct PgKeyChange {
  std::string key_hash;
  bool active = false;
  std::int64_t change_seq = 0;
};

struct PgDeviceChange {
  Device device;
  PgKeyChange key;
};

// Store::create_device: invalid_field "key_hash" for an empty or registered key.
Result<PgDeviceChange> pg_create_device(PgConn& conn, const TenantId& tenant, const std::string& name,
                                        const std::string& key_hash, std::int64_t now_ms);
// Store::revoke_device; revoking twice keeps the first time (and makes no change).
Result<PgDeviceChange> pg_revoke_device(PgConn& conn, const TenantId& tenant, const DeviceId& id,
                                        std::int64_t now_ms);
Result<Device> pg_get_device(PgConn& conn, const TenantId& tenant, const DeviceId& id);
Result<std::vector<Device>> pg_list_devices(PgConn& conn, const TenantId& tenant);
// The tenant's head seq and active devices in one REPEATABLE READ transaction.
Result<Snapshot> pg_snapshot(PgConn& conn, const TenantId& tenant);
Result<HistoryPage> pg_history(PgConn& conn, const HistoryQuery& q);
// The head seq and the points after `since` in one REPEATABLE READ transaction.
Result<Recovery> pg_events_after(PgConn& conn, const TenantId& tenant, Seq since, std::size_t max_events);
// Every key change numbered above `after`, in counter order.
Result<std::vector<PgKeyChange>> pg_key_changes(PgConn& conn, std::int64_t after);
// A real write as small as it gets, to learn whether the database takes writes again.
Result<void> pg_probe_write(PgConn& conn);

// The point columns every point query reads, from table alias t, and how to read them back at `col`.
extern const char* const kPgPointColumns;
StoredPoint pg_read_point(const PgResult& r, int row, int col);

}  // namespace fleet::store
