#pragma once
// Server-assigned identifiers: devices, device groups, shares.
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace fleet::store {

// `prefix` + 32 lowercase hex digits from OpenSSL's CSPRNG: ids are unguessable, so a leaked id alone
// reveals nothing about other devices, groups or shares. Fails (internal) only if the CSPRNG cannot be
// seeded.
Result<std::string> new_random_id(std::string_view prefix);

inline Result<std::string> new_device_id() { return new_random_id("dev_"); }
inline Result<std::string> new_group_id() { return new_random_id("grp_"); }
inline Result<std::string> new_share_id() { return new_random_id("shr_"); }

}  // namespace fleet::store
