#include "store/groups_shares.hpp"

#include <string>
#include <unordered_set>
#include <utility>

namespace fleet::store {
namespace {

constexpr std::size_t kShareKeyBytes = 32;

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::vector<DeviceId> unique_devices(std::vector<DeviceId> ids) {
  std::unordered_set<std::string> seen;
  seen.reserve(ids.size());
  std::vector<DeviceId> out;
  out.reserve(ids.size());
  for (DeviceId& id : ids) {
    if (seen.insert(id.str()).second) out.push_back(std::move(id));
  }
  return out;
}

Error not_a_tenant_device(const DeviceId& id) {
  return Error{ErrorCode::invalid_field, "not a device of this tenant: " + id.str(), std::nullopt, "devices"};
}

Error group_name_taken() {
  return Error{ErrorCode::invalid_field, "another group has this name", std::nullopt, "name"};
}

Error group_not_found() { return Error::make(ErrorCode::not_found, "no such group"); }
Error share_not_found() { return Error::make(ErrorCode::not_found, "no such share"); }

std::string decode_share_key(std::string_view hex) {
  if (hex.size() != 2 * kShareKeyBytes) return {};
  std::string out;
  out.reserve(kShareKeyBytes);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]);
    const int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return {};
    out += static_cast<char>((hi << 4) | lo);
  }
  return out;
}

Result<GroupMembers> resolve_group_members(
    const std::vector<std::string>& ids,
    const std::function<Result<std::optional<std::vector<DeviceId>>>(const std::string& id)>& group_devices) {
  GroupMembers out;
  std::unordered_set<std::string> seen_devices;
  std::unordered_set<std::string> seen_groups;
  for (const std::string& id : ids) {
    if (!seen_groups.insert(id).second) continue;  // asked twice: answered once
    auto devices = group_devices(id);
    if (!devices) return devices.error();
    if (!*devices) {
      out.unknown.push_back(id);
      continue;
    }
    for (DeviceId& d : **devices) {
      if (seen_devices.insert(d.str()).second) out.devices.push_back(std::move(d));
    }
  }
  return out;
}

}  // namespace fleet::store
