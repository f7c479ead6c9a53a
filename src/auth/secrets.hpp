#pragma once
// Random tokens, digests and comparison for secrets (device keys, session ids). OpenSSL-backed.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace fleet::auth {

// prefix + base64url(nbytes from the CSPRNG), e.g. random_token("fk_", 32) -> "fk_" + 43 chars.
// Fails (ErrorCode::internal) only if the CSPRNG does; never returns a weak token.
Result<std::string> random_token(std::string_view prefix, std::size_t nbytes);

// Lower-case hex SHA-256 of `data` (64 chars). An error rather than an empty string on failure, so a
// failed digest can never compare equal to another failed digest.
Result<std::string> sha256_hex(std::string_view data);

// Compares in time independent of where the contents differ (the length is not secret).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace fleet::auth
