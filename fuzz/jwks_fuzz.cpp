// JWKS documents and single JWKs (auth/key_set, auth/jwk) from an untrusted key endpoint. Properties: an
// accepted set holds 1..kMaxKeys keys with distinct kids, each found by its kid (a kid-less lookup only
// when unambiguous); every key permits at least one algorithm; a refused document says why. Every accepted
// set then verifies one fixed token, so the fuzzed keys' prepared contexts are exercised too.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "auth/jwk.hpp"
#include "auth/jws.hpp"
#include "auth/key_set.hpp"
#include "fuzz_check.hpp"
#include "obs/log.hpp"

namespace {

constexpr fleet::auth::JwsAlg kAlgs[] = {fleet::auth::JwsAlg::RS256, fleet::auth::JwsAlg::RS384,
                                         fleet::auth::JwsAlg::RS512, fleet::auth::JwsAlg::PS256,
                                         fleet::auth::JwsAlg::ES256, fleet::auth::JwsAlg::ES384,
                                         fleet::auth::JwsAlg::EdDSA};

bool permits_some(const fleet::auth::PublicKey& key) {
  for (auto a : kAlgs) {
    if (key.permits(a)) return true;
  }
  return false;
}

// RFC 7515 A.3 (ES256, no kid): verifies only against that key, but reaches every set's lookup.
constexpr std::string_view kToken =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fleet::obs::set_level(fleet::obs::Level::error);  // skipped keys are logged as warnings
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  if (auto key = fleet::auth::parse_jwk_json(text)) {
    FUZZ_CHECK(key->pkey != nullptr);
    FUZZ_CHECK(permits_some(*key));
  } else {
    FUZZ_CHECK(!key.error().message.empty());
  }

  auto set = fleet::auth::KeySet::from_jwks(text);
  if (!set) {
    FUZZ_CHECK(set.error().code == fleet::ErrorCode::invalid_field);
    FUZZ_CHECK(!set.error().message.empty());
    return 0;
  }
  const fleet::auth::KeySet& keys = **set;
  FUZZ_CHECK(keys.size() >= 1 && keys.size() <= fleet::auth::KeySet::kMaxKeys);
  std::set<std::string> seen;
  for (const std::string& kid : keys.kids()) {
    if (kid.empty()) continue;
    FUZZ_CHECK(seen.insert(kid).second);
    const fleet::auth::PublicKey* found = keys.find(kid);
    FUZZ_CHECK(found != nullptr && found->kid == kid);
    FUZZ_CHECK(permits_some(*found));
  }
  FUZZ_CHECK((keys.find(std::nullopt) != nullptr) == (keys.size() == 1));
  (void)fleet::auth::verify_jws(kToken, keys);
  return 0;
}
