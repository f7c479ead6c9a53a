#pragma once
// Strong identifier types: a tenant id can never be passed where a device id is expected.
#include <compare>
#include <functional>
#include <string>
#include <string_view>

namespace fleet {

template <class Tag>
class StrongId {
 public:
  StrongId() = default;
  explicit StrongId(std::string v) : value_(std::move(v)) {}
  const std::string& str() const noexcept { return value_; }
  bool empty() const noexcept { return value_.empty(); }
  friend auto operator<=>(const StrongId&, const StrongId&) = default;

 private:
  std::string value_;
};

using TenantId = StrongId<struct TenantTag>;  // the organization id from the token (Clerk org_...)
using DeviceId = StrongId<struct DeviceTag>;  // server-assigned, "dev_" + 32 hex digits
using UserId = StrongId<struct UserTag>;      // the token's sub

// Whether `id` has the server's device-id form ("dev_" + 32 lowercase hex digits), checked before any
// lookup so malformed ids from a URL never reach the store. The generator is store::new_device_id().
constexpr bool is_device_id(std::string_view id) noexcept {
  if (id.size() != 36 || id.substr(0, 4) != "dev_") return false;
  for (char c : id.substr(4)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Per-tenant telemetry sequence number, assigned at ingest; strictly increasing, starts at 1.
using Seq = unsigned long long;

}  // namespace fleet

template <class Tag>
struct std::hash<fleet::StrongId<Tag>> {
  std::size_t operator()(const fleet::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
