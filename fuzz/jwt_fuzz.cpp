// JWS compact parsing and verification (auth/jws, auth/jwt_verifier) and the claims policy, on arbitrary
// tokens against fixed keys. Properties: an accepted token has exactly three non-empty parts within the
// size limit and an alg its key permits; verify_jwt never accepts what verify_jws refuses, and what it
// accepts has a sub and an exp that the clock has not passed; the claims policy turns accepted claims into
// a principal with a tenant and user, or a named failure.
// Input: 1 key-set selector byte (0: fuzz/data/jwt_keys.jwks, RSA + P-256 + Ed25519 with kids; 1: RFC 7515
// A.2's RSA key; 2: RFC 7515 A.3's P-256 key; both without kid), then the token. Seeds:
// fuzz/make_jwt_seeds.py.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/claims_policy.hpp"
#include "auth/jws.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/key_set.hpp"
#include "fuzz_check.hpp"
#include "fuzz_files.hpp"
#include "obs/log.hpp"

namespace {

constexpr std::int64_t kNowS = 1'767'225'600;  // the seeds' tokens are valid at this instant

struct Keys {
  std::shared_ptr<const fleet::auth::KeySet> sets[3];
};

const Keys& keys() {
  static const Keys* k = [] {
    fleet::obs::set_level(fleet::obs::Level::error);
    auto* out = new Keys;  // lives for the process, reachable: not a leak
    auto fuzz = fleet::auth::KeySet::from_jwks(read_fuzz_file(FLEET_FUZZ_DATA "/jwt_keys.jwks"));
    auto rsa = fleet::auth::parse_jwk_json(read_fuzz_file(FLEET_TEST_DATA "/auth/rfc7515_a2.jwk"));
    auto ec = fleet::auth::parse_jwk_json(read_fuzz_file(FLEET_TEST_DATA "/auth/rfc7515_a3.jwk"));
    FUZZ_CHECK(fuzz && (*fuzz)->size() == 3 && rsa && ec);
    out->sets[0] = *fuzz;
    out->sets[1] = fleet::auth::KeySet::from_keys({*rsa});
    out->sets[2] = fleet::auth::KeySet::from_keys({*ec});
    return out;
  }();
  return *k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const fleet::auth::KeySet& set = *keys().sets[data[0] % 3];
  const std::string_view token(reinterpret_cast<const char*>(data + 1), size - 1);

  const fleet::auth::JwsOptions jws_options;
  const fleet::auth::VerifyResult jws = fleet::auth::verify_jws(token, set, jws_options);
  if (jws.ok()) {
    FUZZ_CHECK(token.size() <= jws_options.max_token_bytes);
    const std::size_t dot1 = token.find('.');
    const std::size_t dot2 = token.find('.', dot1 + 1);
    FUZZ_CHECK(dot1 != std::string_view::npos && dot2 != std::string_view::npos);
    FUZZ_CHECK(token.find('.', dot2 + 1) == std::string_view::npos);
    FUZZ_CHECK(dot1 > 0 && dot2 > dot1 + 1 && dot2 + 1 < token.size());
    const auto* kid = jws.header.if_contains("kid");
    const fleet::auth::PublicKey* key =
        set.find(kid ? std::optional<std::string_view>(kid->as_string()) : std::nullopt);
    FUZZ_CHECK(key != nullptr && key->permits(jws.alg));
  }

  const fleet::auth::JwtOptions jwt_options;
  const fleet::auth::VerifyResult jwt = fleet::auth::verify_jwt(token, set, kNowS, jwt_options);
  if (!jwt.ok()) return 0;
  FUZZ_CHECK(jws.ok());
  FUZZ_CHECK(jwt.alg == jws.alg);
  FUZZ_CHECK(kNowS < jwt.exp_s + jwt_options.clock_skew_s);
  const auto* sub = jwt.claims.if_contains("sub");
  FUZZ_CHECK(sub != nullptr && sub->is_string() && !sub->as_string().empty());

  fleet::auth::ClaimsPolicyConfig policy;
  policy.issuer = "https://issuer.fuzz.test";
  policy.authorized_parties = {"https://fleet.fuzz.test"};
  const fleet::auth::AuthOutcome outcome = fleet::auth::apply_claims_policy(jwt.claims, jwt.exp_s, policy);
  if (outcome.ok) {
    FUZZ_CHECK(!outcome.principal.tenant.empty());
    FUZZ_CHECK(outcome.principal.user.str() == std::string_view(sub->as_string()));
    FUZZ_CHECK(outcome.principal.exp_s == jwt.exp_s);
  } else {
    FUZZ_CHECK(!outcome.detail.empty());
  }
  return 0;
}
