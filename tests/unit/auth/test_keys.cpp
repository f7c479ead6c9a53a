#include "test_keys.hpp"

#include <openssl/core_names.h>
#include <openssl/pem.h>

#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "auth/base64url.hpp"
#include "auth/jws.hpp"
#include "auth/signature.hpp"

namespace fleet::auth::testing {
namespace json = boost::json;

namespace {
Pkey wrap(EVP_PKEY* p) {
  if (!p) throw std::runtime_error("keygen failed");
  return Pkey(p, &EVP_PKEY_free);
}

std::string bn_bytes(EVP_PKEY* key, const char* name, int pad = 0) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("get_bn_param");
  const int len = pad ? pad : BN_num_bytes(bn);
  std::string out(static_cast<std::size_t>(len), '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), len);
  BN_free(bn);
  return out;
}
}  // namespace

Pkey gen_rsa(unsigned bits) {
  return wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<std::size_t>(bits)));
}
Pkey gen_ec(const char* group) { return wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group)); }
Pkey gen_ed25519() { return wrap(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")); }
Pkey shared_rsa() {
  static Pkey k = gen_rsa(2048);
  return k;
}

json::object public_jwk(EVP_PKEY* key, std::string_view kid, std::optional<std::string_view> alg) {
  json::object o;
  if (EVP_PKEY_is_a(key, "RSA")) {
    o["kty"] = "RSA";
    o["n"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_N));
    o["e"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_RSA_E));
  } else if (EVP_PKEY_is_a(key, "EC")) {
    const int size = EVP_PKEY_get_bits(key) == 256 ? 32 : 48;
    o["kty"] = "EC";
    o["crv"] = size == 32 ? "P-256" : "P-384";
    o["x"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_X, size));
    o["y"] = base64url_encode(bn_bytes(key, OSSL_PKEY_PARAM_EC_PUB_Y, size));
  } else {
    unsigned char raw[32];
    std::size_t len = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &len) != 1) throw std::runtime_error("raw pub");
    o["kty"] = "OKP";
    o["crv"] = "Ed25519";
    o["x"] = base64url_encode(std::string_view(reinterpret_cast<const char*>(raw), len));
  }
  if (!kid.empty()) o["kid"] = kid;
  if (alg) o["alg"] = *alg;
  return o;
}

std::string pem_public(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<std::size_t>(len));
  BIO_free(bio);
  return out;
}

std::shared_ptr<const KeySet> set_of(EVP_PKEY* key, std::string_view kid,
                                     std::optional<std::string_view> alg) {
  json::object doc{{"keys", json::array{public_jwk(key, kid, alg)}}};
  auto set = KeySet::from_jwks(json::serialize(doc));
  if (!set) throw std::runtime_error("set_of: " + set.error().message);
  return *set;
}

std::string sign_raw(std::string_view header_json, std::string_view payload_json, EVP_PKEY* key, JwsAlg alg) {
  std::string input = base64url_encode(header_json) + "." + base64url_encode(payload_json);
  auto sig = sign_jws_input(key, alg, input);
  if (!sig) throw std::runtime_error("sign failed");
  return input + "." + base64url_encode(*sig);
}

std::string sign(const json::object& header, const json::object& payload, EVP_PKEY* key, JwsAlg alg) {
  auto t = encode_jws(header, payload, key, alg);
  if (!t) throw std::runtime_error("encode_jws failed");
  return *t;
}

}  // namespace fleet::auth::testing
