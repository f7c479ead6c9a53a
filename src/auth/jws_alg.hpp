#pragma once
// The JWS algorithms we accept (RFC 7518 names). Deliberately absent: "none" and HS* (a shared secret
// would let anyone holding the verification key mint tokens), PS384/PS512, ES512, Ed448.
#include <optional>
#include <string_view>

namespace fleet::auth {

enum class JwsAlg { RS256, RS384, RS512, PS256, ES256, ES384, EdDSA };

// Exact, case-sensitive match on a supported name; nullopt for anything else.
std::optional<JwsAlg> parse_jws_alg(std::string_view name) noexcept;
std::string_view to_string(JwsAlg alg) noexcept;

// The EVP digest name for the algorithm, or nullptr for EdDSA (which hashes internally).
const char* digest_name(JwsAlg alg) noexcept;

}  // namespace fleet::auth
