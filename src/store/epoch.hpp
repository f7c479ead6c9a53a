#pragma once
// A tenant's epoch names its seq space (docs/protocol.md, "Resume"): a resume position is trusted only
// with the epoch it came from. Derived, not stored: a hash of the store's random id (made once, when the
// database is created) and the tenant id, so it is stable across restarts, differs between tenants, and
// changes when the database is replaced, without a write per tenant.
#include <string>
#include <string_view>

#include "core/ids.hpp"

namespace fleet::store {

// 16 lowercase hex digits: the first 8 bytes of SHA-256(store_id "\n" tenant).
std::string tenant_epoch(std::string_view store_id, const TenantId& tenant);

// A fresh random store id (32 hex digits), for stores that do not persist one.
std::string random_store_id();

}  // namespace fleet::store
