// fleetctl token: mint a dev token and print only the token, for TOKEN=$(fleetctl token ...).
#include <iostream>

#include "commands.hpp"
#include "dev_token.hpp"

namespace fleetctl {
namespace {

constexpr FlagSpec kFlags[] = {
    {"user", "U", "token subject, e.g. user_alice (required)"},
    {"org", "O", "organization id, e.g. org_acme (omit for a personal-account token)"},
    {"role", "ROLE", "organization role (default admin)"},
    {"ttl", "SECONDS", "lifetime in seconds, 1..86400 (default 60)"},
};

int run(const Args& args) {
  DevTokenRequest req;
  auto user = args.get("user");
  if (!user || user->empty()) return usage_error("token: --user is required");
  req.user = *user;
  req.org = args.get_or("org", "");
  req.role = args.get_or("role", "admin");
  auto ttl = args.integer("ttl");
  if (!ttl) return usage_error(ttl.error().message);
  if (*ttl) {
    if (**ttl < 1 || **ttl > 86400) return usage_error("--ttl must be in 1..86400");
    req.ttl_s = **ttl;
  }
  auto tok = fetch_dev_token(server_url(args), req);
  if (!tok) return failure(tok.error().message);
  std::cout << tok->token << '\n';
  return kExitOk;
}

}  // namespace

const Command kTokenCommand{"token", "token --user U [--org O] [--role admin] [--ttl 60]",
                            "Mint a dev token (POST /dev/token; fleetd --dev only) and print it.", kFlags,
                            run};

}  // namespace fleetctl
