#include "auth/claims_policy.hpp"

#include <algorithm>
#include <string_view>

namespace fleet::auth {
namespace {

namespace json = boost::json;

AuthOutcome fail(AuthFailure f, std::string detail) {
  AuthOutcome o;
  o.ok = false;
  o.failure = f;
  o.detail = std::move(detail);
  return o;
}

// Follows a dotted path through nested objects; nullptr when any step is missing or not an object.
const json::value* at_path(const json::object& root, std::string_view path) {
  const json::object* obj = &root;
  while (true) {
    const std::size_t dot = path.find('.');
    const auto* v = obj->if_contains(path.substr(0, dot));
    if (!v || dot == std::string_view::npos) return v;
    obj = v->if_object();
    if (!obj) return nullptr;
    path.remove_prefix(dot + 1);
  }
}

std::string string_at(const json::object& c, std::string_view path) {
  const auto* v = at_path(c, path);
  return (v && v->is_string()) ? std::string(v->as_string()) : std::string();
}

}  // namespace

AuthOutcome apply_claims_policy(const json::object& c, std::int64_t exp_s, const ClaimsPolicyConfig& config) {
  if (!config.issuer.empty()) {
    const auto* iss = c.if_contains("iss");
    if (!iss || !iss->is_string() || iss->as_string() != config.issuer) {
      return fail(AuthFailure::invalid_token, "issuer not accepted");
    }
  }
  if (!config.authorized_parties.empty()) {
    const auto* azp = c.if_contains("azp");
    if (!azp || !azp->is_string()) return fail(AuthFailure::invalid_token, "azp missing");
    const std::string_view a = azp->as_string();
    if (std::find(config.authorized_parties.begin(), config.authorized_parties.end(), a) ==
        config.authorized_parties.end()) {
      return fail(AuthFailure::invalid_token, "azp not authorized");
    }
  }
  if (const auto* sts = c.if_contains("sts"); sts && sts->is_string() && sts->as_string() == "pending") {
    return fail(AuthFailure::pending_session, "session pending");
  }

  const json::value* tenant = nullptr;
  if (config.tenant_claim.empty()) {
    tenant = at_path(c, "o.id");
    if (!tenant) tenant = c.if_contains("org_id");
  } else {
    tenant = at_path(c, config.tenant_claim);
  }
  if (!tenant || tenant->is_null()) return fail(AuthFailure::no_organization, "no organization");
  if (!tenant->is_string() || tenant->as_string().empty()) {
    return fail(AuthFailure::invalid_token, "tenant claim is not a non-empty string");
  }

  AuthOutcome out;
  out.ok = true;
  out.principal.tenant = TenantId(std::string(tenant->as_string()));
  out.principal.user = UserId(string_at(c, "sub"));
  out.principal.role = string_at(c, "o.rol");
  if (out.principal.role.empty()) out.principal.role = string_at(c, "org_role");
  out.principal.session_id = string_at(c, "sid");
  out.principal.exp_s = exp_s;
  return out;
}

}  // namespace fleet::auth
