#pragma once
// Who a user token says it belongs to, read WITHOUT verifying it. The server verifies every token; the
// client only needs to know whether a new token can refresh the open session in-band (same user, same
// organization) or needs a session of its own (docs/protocol.md, "Client -> server: auth").
#include <optional>
#include <string>
#include <string_view>

namespace fleet {

struct TokenIdentity {
  std::string user;                // `sub`
  std::optional<std::string> org;  // Clerk v2 `o.id`, else v1 `org_id`; nullopt when neither is a string
};

// The unverified payload's identity, or nullopt when the token is no JWS compact serialisation with a
// base64url JSON-object payload carrying a string `sub`. Never throws.
std::optional<TokenIdentity> peek_token_identity(std::string_view jwt);

enum class TokenMatch {
  same,       // the payload names the session's user and (when it has an org claim) its organization
  different,  // the payload names another user or another organization
  unknown,    // the payload cannot be read: let the server decide (an in-band refresh)
};

// Compares a token with a session's hello (`user`, `tenant`). A token without a recognisable org claim is
// matched on its user alone: the server may take the tenant from a claim the client does not know.
TokenMatch match_token(std::string_view jwt, std::string_view user, std::string_view tenant);

}  // namespace fleet
