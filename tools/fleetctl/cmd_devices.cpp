// fleetctl devices list|add NAME|remove ID: device management with a user token.
#include <boost/json.hpp>
#include <iostream>

#include "commands.hpp"
#include "fleet/endpoint.hpp"

namespace fleetctl {
namespace {

constexpr FlagSpec kFlags[] = {
    {"token", "T", "user token (default $FLEET_TOKEN); add/remove need the admin role"},
};

int run(const Args& args) {
  const auto& pos = args.positional();
  if (pos.empty()) return usage_error("devices: expected list, add NAME or remove ID");
  auto token = flag_or_env(args, "token", "FLEET_TOKEN");
  if (!token || token->empty()) return usage_error("devices: --token (or $FLEET_TOKEN) is required");

  std::optional<fleet::http::Response> res;
  const std::string& verb = pos[0];
  if (verb == "list" && pos.size() == 1) {
    res = call(args, "GET", "/api/v1/devices", *token, {});
  } else if (verb == "add" && pos.size() == 2) {
    res = call(args, "POST", "/api/v1/devices", *token,
               boost::json::serialize(boost::json::object{{"name", pos[1]}}));
  } else if (verb == "remove" && pos.size() == 2) {
    res = call(args, "DELETE", "/api/v1/devices/" + fleet::url_encode_component(pos[1]), *token, {});
  } else {
    return usage_error("devices: expected list, add NAME or remove ID");
  }
  if (!res) return kExitFailure;
  if (!res->ok()) return report_http_error(*res);
  // `add` answers {"device":{...},"key":"fk_..."}: the key is shown once, so it goes to stdout as is.
  print_body(res->body);
  return kExitOk;
}

}  // namespace

const Command kDevicesCommand{
    "devices",
    "devices list|add NAME|remove ID [--token T]",
    "List, create (prints the device and its key, shown only once) or revoke devices.",
    kFlags,
    run,
    /*positional=*/true};

}  // namespace fleetctl
