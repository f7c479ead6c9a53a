#pragma once
// One secret for every node of a cluster, kept in the shared database: the first node to offer one
// stores it, every node (the first included) gets the stored one. For the dev issuer's key, so tokens
// minted on any node verify on all of them.
#include <string>

#include "core/result.hpp"

namespace fleet::app {

// `name` keys the secret in the store's meta table. Errors name host and port, never the password.
Result<std::string> pg_shared_secret(const std::string& uri, const std::string& name,
                                     const std::string& offer);

}  // namespace fleet::app
