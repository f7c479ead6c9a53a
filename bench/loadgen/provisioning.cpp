#include "provisioning.hpp"

#include <cmath>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "http.hpp"

namespace loadgen {

std::string tenant_id(const std::string& prefix, int index) { return prefix + std::to_string(index); }

std::vector<DeviceKey> provision_devices(const Endpoint& server, const TokenMinter& minter,
                                         const std::string& tenant_prefix, int tenants, int per_tenant) {
  std::vector<TokenClaims> admins;
  for (int t = 0; t < tenants; ++t) {
    admins.push_back({"user_bench_admin_" + std::to_string(t), "sess_bench_admin_" + std::to_string(t),
                      tenant_id(tenant_prefix, t), "admin"});
  }
  const std::vector<std::string> tokens = minter.mint_all(admins);

  std::vector<DeviceKey> out;
  for (int t = 0; t < tenants; ++t) {
    for (int d = 0; d < per_tenant; ++d) {
      boost::json::object body{{"name", "bench " + std::to_string(t) + "/" + std::to_string(d)}};
      HttpResponse r = http_call(server, "POST", "/api/v1/devices", tokens[static_cast<std::size_t>(t)],
                                 boost::json::serialize(body));
      if (r.status != 201) {
        throw std::runtime_error("POST /api/v1/devices answered " + std::to_string(r.status) + ": " + r.body);
      }
      auto reply = boost::json::parse(r.body).as_object();
      out.push_back({t, std::string(reply.at("key").as_string())});
    }
  }
  return out;
}

std::vector<ViewerSpec> make_viewer_specs(const TokenMinter& minter, const std::string& tenant_prefix, int tenants,
                                          std::size_t count, double slow_fraction) {
  std::vector<TokenClaims> claims;
  claims.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    claims.push_back({"user_bench_" + std::to_string(i), "sess_bench_" + std::to_string(i),
                      tenant_id(tenant_prefix, static_cast<int>(i % static_cast<std::size_t>(tenants))), "member"});
  }
  std::vector<std::string> tokens = minter.mint_all(claims);
  std::vector<ViewerSpec> specs(count);
  const auto per_tenant = count / static_cast<std::size_t>(tenants);
  const auto slow_per_tenant = static_cast<std::size_t>(std::llround(slow_fraction * static_cast<double>(per_tenant)));
  for (std::size_t i = 0; i < count; ++i) {
    specs[i].token = std::move(tokens[i]);
    specs[i].tenant_index = static_cast<int>(i % static_cast<std::size_t>(tenants));
    specs[i].slow = i / static_cast<std::size_t>(tenants) < slow_per_tenant;
  }
  return specs;
}

}  // namespace loadgen
