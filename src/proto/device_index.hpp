#pragma once
// The small integers that name a tenant's devices in the compact encoding (docs/protocol.md, "Stream
// options"). Assigned on first sight, dense from 0 per tenant, never reused or changed for the life of the
// process. They need not survive a restart: a connection announces every index before it first uses it,
// so the batches of one process only have to agree with each other, which this registry guarantees.
// Thread-safe: batches are encoded on the store thread and on workers (resumes read from the store).
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/ids.hpp"

namespace fleet::proto {

class DeviceIndex {
 public:
  // One tenant's table, locked for as long as the view lives: resolve a batch's devices under one lock.
  class View {
   public:
    // The device's index, assigned now if it has none yet.
    std::uint32_t of(const DeviceId& device);
    // The device's index if it has one; never assigns (ids a client names must not grow the table).
    std::optional<std::uint32_t> find(const DeviceId& device) const;

   private:
    friend class DeviceIndex;
    View(std::unique_lock<std::mutex> lock, std::unordered_map<std::string, std::uint32_t>& table)
        : lock_(std::move(lock)), table_(table) {}
    std::unique_lock<std::mutex> lock_;
    std::unordered_map<std::string, std::uint32_t>& table_;
  };

  View tenant(const TenantId& tenant);

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::unordered_map<std::string, std::uint32_t>> tenants_;
};

}  // namespace fleet::proto
