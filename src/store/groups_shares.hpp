#pragma once
// Rules that MemoryStore and SqliteStore share for device groups and shares (store.hpp), so both give
// the same answers to the same requests.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/result.hpp"
#include "store/store.hpp"

namespace fleet::store {

// The ids in their first-seen order, each once: a member list given twice a device names it once.
std::vector<DeviceId> unique_devices(std::vector<DeviceId> ids);

// A device list naming a device that is not one of the tenant's active devices: missing, another
// tenant's and revoked get the same answer, so the message reveals nothing about other tenants.
Error not_a_tenant_device(const DeviceId& id);
// Another group of the tenant already has this name.
Error group_name_taken();
// A group or share that is missing or another tenant's: the same answer either way.
Error group_not_found();
Error share_not_found();

// A view's groups resolved as Store::group_members documents: each asked id once, in asked order;
// `group_devices(id)` answers the group's active members (in member order), or an empty optional for a
// group that is missing or another tenant's. Its errors end the resolution.
Result<GroupMembers> resolve_group_members(
    const std::vector<std::string>& ids,
    const std::function<Result<std::optional<std::vector<DeviceId>>>(const std::string& id)>& group_devices);

// The share key as stored in meta (64 hex digits) -> 32 raw bytes; empty when malformed.
std::string decode_share_key(std::string_view hex);

}  // namespace fleet::store
