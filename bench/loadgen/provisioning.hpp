#pragma once
// Scenario set-up through the public API, identical for fleetd and the baseline: per tenant, an admin
// token creates devices with `POST /api/v1/devices` and keeps their keys. Viewer tokens are minted here.
#include <chrono>
#include <string>
#include <vector>

#include "ingest_driver.hpp"
#include "net.hpp"
#include "token_minter.hpp"
#include "viewer_cohort.hpp"
#include "viewer_pool.hpp"

namespace loadgen {

// "<prefix><index>", e.g. "org_fanout_3".
std::string tenant_id(const std::string& prefix, int index);

// Creates `per_tenant` devices in each of `tenants` tenants. Throws std::runtime_error on any refusal.
std::vector<DeviceKey> provision_devices(const Endpoint& server, const TokenMinter& minter,
                                         const std::string& tenant_prefix, int tenants, int per_tenant);

// One point for each device (POST /api/v1/telemetry), so every device has a last position and a snapshot
// carries all of them. Throws std::runtime_error on any refusal.
void seed_positions(const Endpoint& server, const std::vector<DeviceKey>& devices);

// A cluster's other nodes learn a new device key from the database within a refresh interval (a 401
// until then). Posts one point per device to each of `servers` until every one answers 202, so a run
// measures steady state, not that interval. Throws std::runtime_error after `timeout`, or on another
// refusal than 401.
void await_devices_on_every_node(const std::vector<Endpoint>& servers, const std::vector<DeviceKey>& devices,
                                 std::chrono::seconds timeout);

// `count` distinct member tokens, viewer i in tenant i % tenants; the first `slow` of each tenant's
// viewers are marked slow (so slow consumers spread evenly over tenants).
std::vector<ViewerSpec> make_viewer_specs(const TokenMinter& minter, const std::string& tenant_prefix,
                                          int tenants, std::size_t count, double slow_fraction = 0);

// `count` protocol 2 viewers, viewer i in tenant i % tenants, each with `tokens_each` distinct tokens for
// one user and session (they differ by jti): one per connect or in-band refresh a scenario makes.
std::vector<CohortMember> make_cohort_members(const TokenMinter& minter, const std::string& tenant_prefix,
                                              int tenants, std::size_t count, std::size_t tokens_each);

}  // namespace loadgen
