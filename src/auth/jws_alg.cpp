#include "auth/jws_alg.hpp"

#include <array>
#include <utility>

namespace fleet::auth {
namespace {

constexpr std::array<std::pair<std::string_view, JwsAlg>, 7> kNames{{
    {"RS256", JwsAlg::RS256},
    {"RS384", JwsAlg::RS384},
    {"RS512", JwsAlg::RS512},
    {"PS256", JwsAlg::PS256},
    {"ES256", JwsAlg::ES256},
    {"ES384", JwsAlg::ES384},
    {"EdDSA", JwsAlg::EdDSA},
}};

}  // namespace

std::optional<JwsAlg> parse_jws_alg(std::string_view name) noexcept {
  for (const auto& [n, a] : kNames) {
    if (n == name) return a;
  }
  return std::nullopt;
}

std::string_view to_string(JwsAlg alg) noexcept {
  for (const auto& [n, a] : kNames) {
    if (a == alg) return n;
  }
  return "?";
}

const char* digest_name(JwsAlg alg) noexcept {
  switch (alg) {
    case JwsAlg::RS256:
    case JwsAlg::PS256:
    case JwsAlg::ES256: return "SHA256";
    case JwsAlg::RS384:
    case JwsAlg::ES384: return "SHA384";
    case JwsAlg::RS512: return "SHA512";
    case JwsAlg::EdDSA: return nullptr;
  }
  return nullptr;
}

}  // namespace fleet::auth
