#include "proto/device_index.hpp"

namespace fleet::proto {

std::uint32_t DeviceIndex::View::of(const DeviceId& device) {
  const auto next = static_cast<std::uint32_t>(table_.size());
  return table_.try_emplace(device.str(), next).first->second;
}

std::optional<std::uint32_t> DeviceIndex::View::find(const DeviceId& device) const {
  const auto it = table_.find(device.str());
  if (it == table_.end()) return std::nullopt;
  return it->second;
}

DeviceIndex::View DeviceIndex::tenant(const TenantId& tenant) {
  std::unique_lock lock(mu_);
  auto& table = tenants_[tenant.str()];
  return View(std::move(lock), table);
}

}  // namespace fleet::proto
