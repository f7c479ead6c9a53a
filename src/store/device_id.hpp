#pragma once
// Server-assigned device identifiers.
#include <string>

#include "core/result.hpp"

namespace fleet::store {

// "dev_" + 32 lowercase hex digits from OpenSSL's CSPRNG: ids are unguessable, so a leaked id alone
// reveals nothing about other devices. Fails (internal) only if the CSPRNG cannot be seeded.
Result<std::string> new_device_id();

}  // namespace fleet::store
