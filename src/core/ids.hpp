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

// Per-tenant telemetry sequence number, assigned at ingest; strictly increasing, starts at 1.
using Seq = unsigned long long;

}  // namespace fleet

template <class Tag>
struct std::hash<fleet::StrongId<Tag>> {
  std::size_t operator()(const fleet::StrongId<Tag>& id) const noexcept {
    return std::hash<std::string>{}(id.str());
  }
};
