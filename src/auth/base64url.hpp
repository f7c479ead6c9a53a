#pragma once
// base64url without padding (RFC 4648 section 5, as JOSE uses it; RFC 7515 section 2).
#include <optional>
#include <string>
#include <string_view>

namespace fleet::auth {

// Encodes bytes as base64url with no padding.
std::string base64url_encode(std::string_view bytes);

// One character of the alphabet (A-Za-z0-9-_), by table lookup.
bool is_base64url_char(char c) noexcept;

// Strict decode: only A-Za-z0-9-_ (no '=', no whitespace, no '+' or '/'), a length that is not 1 mod 4,
// and zero unused trailing bits, so each byte string has exactly one accepted encoding. nullopt otherwise.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace fleet::auth
