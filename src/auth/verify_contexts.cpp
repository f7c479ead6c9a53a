#include "auth/verify_contexts.hpp"

#include <openssl/err.h>

#include "auth/jwk.hpp"
#include "auth/signature.hpp"

namespace fleet::auth {

std::shared_ptr<const VerifyContexts> VerifyContexts::create(const PublicKey& key) {
  if (!key.pkey) return nullptr;
  auto out = std::make_shared<VerifyContexts>();
  bool any = false;
  for (std::size_t i = 0; i < kAlgs; ++i) {
    const auto alg = static_cast<JwsAlg>(i);
    if (!key.permits(alg)) continue;
    out->prepared_[i] = new_verify_context(key.pkey.get(), alg);
    any = any || out->prepared_[i] != nullptr;
  }
  ERR_clear_error();  // a refused algorithm leaves errors behind; this thread may be a TLS client next
  if (!any) return nullptr;
  return out;
}

ossl::MdCtxPtr VerifyContexts::start(JwsAlg alg) const {
  const auto i = static_cast<std::size_t>(alg);
  if (i >= kAlgs || !prepared_[i]) return nullptr;
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), prepared_[i].get()) != 1) return nullptr;
  return ctx;
}

}  // namespace fleet::auth
