#include "provisioning.hpp"

#include <cmath>
#include <optional>
#include <stdexcept>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "clock.hpp"
#include "http.hpp"
#include "http_batch.hpp"
#include "telemetry_wire.hpp"

namespace loadgen {

namespace {

// Set-up requests in flight: enough for the server to commit device creations in groups.
constexpr int kSetupConnections = 16;
constexpr std::chrono::seconds kSetupTimeout{600};

}  // namespace

std::string tenant_id(const std::string& prefix, int index) { return prefix + std::to_string(index); }

std::vector<DeviceKey> provision_devices(const Endpoint& server, const TokenMinter& minter,
                                         const std::string& tenant_prefix, int tenants, int per_tenant) {
  std::vector<TokenClaims> admins;
  for (int t = 0; t < tenants; ++t) {
    admins.push_back({"user_bench_admin_" + std::to_string(t), "sess_bench_admin_" + std::to_string(t),
                      tenant_id(tenant_prefix, t), "admin", ""});
  }
  const std::vector<std::string> tokens = minter.mint_all(admins);

  std::vector<std::string> requests;
  std::vector<int> tenant_of;
  for (int t = 0; t < tenants; ++t) {
    for (int d = 0; d < per_tenant; ++d) {
      boost::json::object body{{"name", "bench " + std::to_string(t) + "/" + std::to_string(d)}};
      requests.push_back(build_http_request("POST", "/api/v1/devices", server,
                                            tokens[static_cast<std::size_t>(t)],
                                            boost::json::serialize(body)));
      tenant_of.push_back(t);
    }
  }
  const std::vector<HttpResponse> replies = http_call_all(server, requests, kSetupConnections, kSetupTimeout);
  std::vector<DeviceKey> out;
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const HttpResponse& r = replies[i];
    if (r.status != 201) {
      throw std::runtime_error("POST /api/v1/devices answered " + std::to_string(r.status) + ": " + r.body);
    }
    auto reply = boost::json::parse(r.body).as_object();
    out.push_back({tenant_of[i], std::string(reply.at("key").as_string()), std::nullopt});
  }
  return out;
}

void seed_positions(const Endpoint& server, const std::vector<DeviceKey>& devices) {
  std::vector<std::string> requests;
  requests.reserve(devices.size());
  for (std::size_t i = 0; i < devices.size(); ++i) {
    requests.push_back(build_http_request("POST", "/api/v1/telemetry", server, devices[i].key,
                                          build_ingest_body(1, mono_us(), devices[i].tenant_index, i)));
  }
  for (const HttpResponse& r : http_call_all(server, requests, kSetupConnections, kSetupTimeout)) {
    if (r.status != 202) {
      throw std::runtime_error("POST /api/v1/telemetry answered " + std::to_string(r.status) + ": " + r.body);
    }
  }
}

void await_devices_on_every_node(const std::vector<Endpoint>& servers, const std::vector<DeviceKey>& devices,
                                 std::chrono::seconds timeout) {
  const std::int64_t deadline =
      mono_us() + std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  for (const Endpoint& server : servers) {
    for (std::size_t i = 0; i < devices.size(); ++i) {
      // One request per call: a 401 closes its connection (fleetd answers it with Connection: close),
      // which fails the whole call.
      for (;;) {
        std::optional<HttpResponse> reply;
        std::string why;
        try {
          reply =
              http_call_all(server,
                            {build_http_request("POST", "/api/v1/telemetry", server, devices[i].key,
                                                build_ingest_body(1, mono_us(), devices[i].tenant_index, i))},
                            1, kSetupTimeout)
                  .front();
        } catch (const std::runtime_error& e) {
          why = e.what();  // the connection closed, e.g. after a 401: try again
        }
        if (reply && reply->status == 202) break;
        if (reply && reply->status != 401) {
          throw std::runtime_error("POST /api/v1/telemetry to " + server.host_header + " answered " +
                                   std::to_string(reply->status) + ": " + reply->body);
        }
        if (reply) why = "401";
        if (mono_us() > deadline) {
          throw std::runtime_error("device key " + std::to_string(i) + " still unknown to " +
                                   server.host_header + ": " + why);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the nodes refresh keys on a timer
      }
    }
  }
}

std::vector<ViewerSpec> make_viewer_specs(const TokenMinter& minter, const std::string& tenant_prefix,
                                          int tenants, std::size_t count, double slow_fraction) {
  std::vector<TokenClaims> claims;
  claims.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    claims.push_back({"user_bench_" + std::to_string(i), "sess_bench_" + std::to_string(i),
                      tenant_id(tenant_prefix, static_cast<int>(i % static_cast<std::size_t>(tenants))),
                      "member", ""});
  }
  std::vector<std::string> tokens = minter.mint_all(claims);
  std::vector<ViewerSpec> specs(count);
  const auto per_tenant = count / static_cast<std::size_t>(tenants);
  const auto slow_per_tenant =
      static_cast<std::size_t>(std::llround(slow_fraction * static_cast<double>(per_tenant)));
  for (std::size_t i = 0; i < count; ++i) {
    specs[i].token = std::move(tokens[i]);
    specs[i].tenant_index = static_cast<int>(i % static_cast<std::size_t>(tenants));
    specs[i].slow = i / static_cast<std::size_t>(tenants) < slow_per_tenant;
  }
  return specs;
}

std::vector<CohortMember> make_cohort_members(const TokenMinter& minter, const std::string& tenant_prefix,
                                              int tenants, std::size_t count, std::size_t tokens_each) {
  std::vector<TokenClaims> claims;
  claims.reserve(count * tokens_each);
  for (std::size_t i = 0; i < count; ++i) {
    const std::string tenant =
        tenant_id(tenant_prefix, static_cast<int>(i % static_cast<std::size_t>(tenants)));
    for (std::size_t k = 0; k < tokens_each; ++k) {
      claims.push_back({"user_bench_" + std::to_string(i), "sess_bench_" + std::to_string(i), tenant,
                        "member", "jti_" + std::to_string(i) + "_" + std::to_string(k)});
    }
  }
  std::vector<std::string> tokens = minter.mint_all(claims);
  std::vector<CohortMember> members(count);
  for (std::size_t i = 0; i < count; ++i) {
    members[i].tenant_index = static_cast<int>(i % static_cast<std::size_t>(tenants));
    for (std::size_t k = 0; k < tokens_each; ++k)
      members[i].tokens.push_back(std::move(tokens[i * tokens_each + k]));
  }
  return members;
}

}  // namespace loadgen
