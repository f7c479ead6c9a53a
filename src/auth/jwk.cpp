#include "auth/jwk.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <array>

#include "auth/base64url.hpp"
#include "auth/ossl.hpp"
#include "core/strict_json.hpp"

namespace fleet::auth {
namespace {

namespace json = boost::json;

Error bad(std::string msg) { return make_error(ErrorCode::invalid_field, std::move(msg)); }

bool kind_permits(KeyKind k, JwsAlg a) noexcept {
  switch (k) {
    case KeyKind::rsa:
      return a == JwsAlg::RS256 || a == JwsAlg::RS384 || a == JwsAlg::RS512 || a == JwsAlg::PS256;
    case KeyKind::ec_p256: return a == JwsAlg::ES256;
    case KeyKind::ec_p384: return a == JwsAlg::ES384;
    case KeyKind::ed25519: return a == JwsAlg::EdDSA;
  }
  return false;
}

// Optional string member: nullopt when absent, error when present with another type.
Result<std::optional<std::string>> opt_string(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return bad("JWK \"" + std::string(name) + "\" is not a string");
  return std::optional<std::string>{std::string(v->as_string())};
}

Result<std::string> b64_member(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (!v || !v->is_string()) return bad("JWK \"" + std::string(name) + "\" missing or not a string");
  auto bytes = base64url_decode(v->as_string());
  if (!bytes || bytes->empty()) return bad("JWK \"" + std::string(name) + "\" is not valid base64url");
  return std::move(*bytes);
}

// Checks what fromdata does not: RSA modulus/exponent sanity and EC point-on-curve / subgroup.
Result<void> public_check(EVP_PKEY* pkey) {
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, pkey, nullptr));
  if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) return bad("public key failed validation");
  return {};
}

Result<PublicKey> finish(KeyKind kind, ossl::PkeyPtr pkey) {
  if (kind == KeyKind::rsa) {
    const int bits = EVP_PKEY_get_bits(pkey.get());
    if (bits < kMinRsaBits) return bad("RSA key too small (" + std::to_string(bits) + " bits)");
    if (bits > kMaxRsaBits) return bad("RSA key too large (" + std::to_string(bits) + " bits)");
  }
  if (kind != KeyKind::ed25519) {
    if (auto r = public_check(pkey.get()); !r) return r.error();
  }
  PublicKey key;
  key.kind = kind;
  key.pkey = ossl::share(std::move(pkey));
  return key;
}

Result<ossl::PkeyPtr> from_params(const char* type, OSSL_PARAM_BLD* bld) {
  ossl::ParamPtr params(OSSL_PARAM_BLD_to_param(bld));
  ossl::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return bad(std::string("cannot build ") + type + " public key");
  }
  return ossl::PkeyPtr(raw);
}

Result<PublicKey> rsa_from_jwk(const json::object& o) {
  auto n = b64_member(o, "n");
  if (!n) return n.error();
  auto e = b64_member(o, "e");
  if (!e) return e.error();
  if (e->size() > 8) return bad("RSA exponent too large");
  ossl::BnPtr bn_n(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()), static_cast<int>(n->size()), nullptr));
  ossl::BnPtr bn_e(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()), static_cast<int>(e->size()), nullptr));
  ossl::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return bad("cannot build RSA parameters");
  }
  // Check the size before fromdata's validation work: a 1024-bit key is refused by name, not by accident.
  const int bits = BN_num_bits(bn_n.get());
  if (bits < kMinRsaBits) return bad("RSA key too small (" + std::to_string(bits) + " bits)");
  if (bits > kMaxRsaBits) return bad("RSA key too large (" + std::to_string(bits) + " bits)");
  auto pkey = from_params("RSA", bld.get());
  if (!pkey) return pkey.error();
  return finish(KeyKind::rsa, std::move(*pkey));
}

Result<PublicKey> ec_from_jwk(const json::object& o, std::string_view crv) {
  KeyKind kind;
  const char* group;
  std::size_t len;
  if (crv == "P-256") {
    kind = KeyKind::ec_p256, group = "prime256v1", len = 32;
  } else if (crv == "P-384") {
    kind = KeyKind::ec_p384, group = "secp384r1", len = 48;
  } else {
    return bad("unsupported EC curve \"" + std::string(crv).substr(0, 16) + "\"");
  }
  auto x = b64_member(o, "x");
  if (!x) return x.error();
  auto y = b64_member(o, "y");
  if (!y) return y.error();
  // RFC 7518 6.2.1.2: coordinates are the full field size, so a short one is malformed, not padded.
  if (x->size() != len || y->size() != len) return bad("EC coordinate has the wrong length");
  std::string point = "\x04" + *x + *y;  // SEC1 uncompressed
  ossl::ParamBldPtr bld(OSSL_PARAM_BLD_new());
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    return bad("cannot build EC parameters");
  }
  auto pkey = from_params("EC", bld.get());
  if (!pkey) return bad("EC point is not on the curve");
  return finish(kind, std::move(*pkey));
}

Result<PublicKey> okp_from_jwk(const json::object& o, std::string_view crv) {
  if (crv != "Ed25519") return bad("unsupported OKP curve \"" + std::string(crv).substr(0, 16) + "\"");
  auto x = b64_member(o, "x");
  if (!x) return x.error();
  if (x->size() != 32) return bad("Ed25519 key has the wrong length");
  ossl::PkeyPtr pkey(EVP_PKEY_new_raw_public_key_ex(
      nullptr, "ED25519", nullptr, reinterpret_cast<const unsigned char*>(x->data()), x->size()));
  if (!pkey) return bad("cannot build Ed25519 public key");
  return finish(KeyKind::ed25519, std::move(pkey));
}

}  // namespace

bool PublicKey::permits(JwsAlg a) const noexcept {
  if (alg && *alg != a) return false;
  return kind_permits(kind, a);
}

Result<PublicKey> parse_jwk(const json::object& jwk) {
  // A private key in a public document means someone published a signing key; refuse rather than use it.
  for (std::string_view m : {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}) {
    if (jwk.contains(m)) return bad("JWK contains private key material (\"" + std::string(m) + "\")");
  }
  auto kty = opt_string(jwk, "kty");
  if (!kty) return kty.error();
  if (!*kty) return bad("JWK has no \"kty\"");
  auto crv = opt_string(jwk, "crv");
  if (!crv) return crv.error();
  auto kid = opt_string(jwk, "kid");
  if (!kid) return kid.error();
  auto use = opt_string(jwk, "use");
  if (!use) return use.error();
  if (*use && **use != "sig") return bad("JWK \"use\" is not \"sig\"");
  if (const auto* ops = jwk.if_contains("key_ops")) {
    bool verify = false;
    if (!ops->is_array()) return bad("JWK \"key_ops\" is not an array");
    for (const auto& op : ops->as_array()) verify = verify || (op.is_string() && op.as_string() == "verify");
    if (!verify) return bad("JWK \"key_ops\" does not allow \"verify\"");
  }
  auto alg_name = opt_string(jwk, "alg");
  if (!alg_name) return alg_name.error();
  std::optional<JwsAlg> alg;
  if (*alg_name) {
    alg = parse_jws_alg(**alg_name);
    if (!alg) return bad("JWK \"alg\" \"" + (*alg_name)->substr(0, 16) + "\" is not supported");
  }

  Result<PublicKey> key = bad("unsupported JWK kty \"" + (*kty)->substr(0, 16) + "\"");
  if (**kty == "RSA") {
    if (*crv) return bad("RSA JWK has a \"crv\"");
    key = rsa_from_jwk(jwk);
  } else if (**kty == "EC") {
    if (!*crv) return bad("EC JWK has no \"crv\"");
    key = ec_from_jwk(jwk, **crv);
  } else if (**kty == "OKP") {
    if (!*crv) return bad("OKP JWK has no \"crv\"");
    key = okp_from_jwk(jwk, **crv);
  }
  if (!key) return key;
  if (alg && !kind_permits(key->kind, *alg)) return bad("JWK \"alg\" does not fit its kty/crv");
  key->alg = alg;
  key->kid = kid->value_or("");
  return key;
}

Result<PublicKey> parse_jwk_json(std::string_view text) {
  auto v = parse_strict_json(text, JsonLimits{8, 64 * 1024});
  if (!v) return bad("JWK: " + v.error().message);
  if (!v->is_object()) return bad("JWK is not a JSON object");
  return parse_jwk(v->as_object());
}

Result<PublicKey> load_pem_public_key(std::string_view pem_in) {
  std::string pem;
  pem.reserve(pem_in.size());
  for (std::size_t i = 0; i < pem_in.size(); ++i) {
    if (pem_in[i] == '\\' && i + 1 < pem_in.size() && pem_in[i + 1] == 'n') {
      pem += '\n';
      ++i;
    } else {
      pem += pem_in[i];
    }
  }
  ossl::BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return bad("cannot read PEM");
  ossl::PkeyPtr pkey(PEM_read_bio_PUBKEY_ex(bio.get(), nullptr, nullptr, nullptr, nullptr, nullptr));
  if (!pkey) return bad("not a PEM public key (expected -----BEGIN PUBLIC KEY-----)");

  KeyKind kind;
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    kind = KeyKind::rsa;
  } else if (EVP_PKEY_is_a(pkey.get(), "ED25519")) {
    kind = KeyKind::ed25519;
  } else if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group.data(), group.size(),
                                       &len) != 1) {
      return bad("EC PEM key has no named curve");
    }
    const std::string_view name(group.data(), len);
    if (name == "prime256v1" || name == "P-256") {
      kind = KeyKind::ec_p256;
    } else if (name == "secp384r1" || name == "P-384") {
      kind = KeyKind::ec_p384;
    } else {
      return bad("unsupported EC curve in PEM key");
    }
  } else {
    return bad("unsupported PEM key type");
  }
  return finish(kind, std::move(pkey));
}

}  // namespace fleet::auth
