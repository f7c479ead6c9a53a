#pragma once
// Owning handles for OpenSSL objects, so every early return frees what it allocated. Internal to auth
// (and the net fetcher); not part of any public interface.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/params.h>

#include <memory>

namespace fleet::auth::ossl {

template <auto Free>
struct Deleter {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<&EVP_PKEY_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<&EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<&EVP_MD_CTX_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<&BN_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<&OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<&OSSL_PARAM_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<&ECDSA_SIG_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<&BIO_free>>;

// EVP_PKEYs are shared read-only between threads once built (OpenSSL 3 allows concurrent use).
inline std::shared_ptr<EVP_PKEY> share(PkeyPtr p) { return {p.release(), &EVP_PKEY_free}; }

}  // namespace fleet::auth::ossl
