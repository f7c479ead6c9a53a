#pragma once
// Turns verified claims into a Principal: issuer and authorized-party checks, then the tenant, role and
// session, in Clerk's session-token shapes (v2: "o":{"id","rol"}, v1: "org_id", "org_role").
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"

namespace fleet::auth {

struct ClaimsPolicyConfig {
  std::string issuer;                           // when non-empty, "iss" must equal it exactly
  std::vector<std::string> authorized_parties;  // when non-empty, "azp" must be present and listed
  // Dotted path to the tenant id (e.g. "org.tenant"). Empty: Clerk v2 "o.id", then v1 "org_id".
  std::string tenant_claim;
};

// Applies the policy to claims that verify_jwt accepted; `exp_s` is copied into the Principal.
// Failures: iss/azp mismatch or a tenant claim that is not a non-empty string -> invalid_token;
// "sts" == "pending" -> pending_session (checked first: a pending session usually has no org yet);
// no tenant claim -> no_organization. `detail` names the rule, never a claim value.
AuthOutcome apply_claims_policy(const boost::json::object& claims, std::int64_t exp_s,
                                const ClaimsPolicyConfig& config);

}  // namespace fleet::auth
