#pragma once
#include <optional>
#include <string_view>

namespace fleet::api {

// The credentials of an `Authorization: Bearer <credentials>` header (scheme case-insensitive, RFC 6750),
// or nullopt when the header is absent, uses another scheme or carries nothing.
std::optional<std::string_view> bearer_credentials(std::string_view authorization) noexcept;

}  // namespace fleet::api
