#include "auth/signature.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "auth/ossl.hpp"
#include "auth/verify_contexts.hpp"

namespace fleet::auth {
namespace {

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// JOSE carries ECDSA as fixed-width r||s; EVP wants the DER SEQUENCE { r, s }.
std::string raw_to_der(std::string_view raw) {
  const std::size_t half = raw.size() / 2;
  ossl::EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(bytes(raw), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(bytes(raw) + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) return {};
  std::string out(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}

std::string der_to_raw(std::string_view der, std::size_t size) {
  const unsigned char* p = bytes(der);
  ossl::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return {};
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(size, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  const int half = static_cast<int>(size / 2);
  if (BN_bn2binpad(r, o, half) != half || BN_bn2binpad(s, o + half, half) != half) return {};
  return out;
}

// Configures RSA padding: PKCS#1 v1.5 for RS*, PSS with MGF1(SHA-256) and a 32-byte salt for PS256.
bool set_padding(EVP_PKEY_CTX* pctx, JwsAlg alg) {
  switch (alg) {
    case JwsAlg::RS256:
    case JwsAlg::RS384:
    case JwsAlg::RS512: return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    case JwsAlg::PS256:
      return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", nullptr) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    default: return true;
  }
}

bool verify_impl(const PublicKey& key, JwsAlg alg, std::string_view input, std::string_view sig) {
  std::string der;
  if (const std::size_t n = ecdsa_signature_size(alg); n != 0) {
    if (sig.size() != n) return false;
    der = raw_to_der(sig);
    if (der.empty()) return false;
    sig = der;
  }
  // A copy of the key's prepared context when there is one; otherwise (keys built outside a KeySet)
  // the full initialisation.
  ossl::MdCtxPtr md = key.verify_contexts ? key.verify_contexts->start(alg) : nullptr;
  if (!md) md = new_verify_context(key.pkey.get(), alg);
  if (!md) return false;
  return EVP_DigestVerify(md.get(), bytes(sig), sig.size(), bytes(input), input.size()) == 1;
}

}  // namespace

ossl::MdCtxPtr new_verify_context(EVP_PKEY* pkey, JwsAlg alg) {
  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (!md ||
      EVP_DigestVerifyInit_ex(md.get(), &pctx, digest_name(alg), nullptr, nullptr, pkey, nullptr) != 1 ||
      !set_padding(pctx, alg)) {
    return nullptr;
  }
  return md;
}

std::size_t ecdsa_signature_size(JwsAlg alg) noexcept {
  switch (alg) {
    case JwsAlg::ES256: return 64;
    case JwsAlg::ES384: return 96;
    default: return 0;
  }
}

bool verify_signature(const PublicKey& key, JwsAlg alg, std::string_view signing_input,
                      std::string_view signature) noexcept {
  if (!key.pkey || !key.permits(alg)) return false;
  const bool ok = verify_impl(key, alg, signing_input, signature);
  // OpenSSL's error queue is per thread; leave nothing behind for unrelated code (e.g. TLS) to trip on.
  ERR_clear_error();
  return ok;
}

Result<std::string> sign_jws_input(EVP_PKEY* private_key, JwsAlg alg, std::string_view signing_input) {
  ossl::MdCtxPtr md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  std::size_t len = 0;
  std::string sig;
  bool ok =
      md &&
      EVP_DigestSignInit_ex(md.get(), &pctx, digest_name(alg), nullptr, nullptr, private_key, nullptr) == 1 &&
      set_padding(pctx, alg) &&
      EVP_DigestSign(md.get(), nullptr, &len, bytes(signing_input), signing_input.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(signing_input),
                        signing_input.size()) == 1;
    sig.resize(len);
  }
  if (ok && ecdsa_signature_size(alg) != 0) {
    sig = der_to_raw(sig, ecdsa_signature_size(alg));
    ok = !sig.empty();
  }
  ERR_clear_error();
  if (!ok) return make_error(ErrorCode::internal, "JWS signing failed");
  return sig;
}

}  // namespace fleet::auth
