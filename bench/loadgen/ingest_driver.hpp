#pragma once
// Publishes telemetry through `POST /api/v1/telemetry` on keep-alive connections, on its own thread.
//
// Open loop (set_rate): batch k (from 0) is due at origin + (k + 1) * batch / rate and carries t0 = that
// scheduled time, so when the server (or this driver) falls behind, the delay shows up in the latency instead
// of being hidden (no coordinated omission). Closed loop (run_closed_loop): each connection sends its next
// batch as soon as the previous one is answered, for maximum ingest throughput.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "counter.hpp"
#include "histogram.hpp"
#include "net.hpp"
#include "telemetry_wire.hpp"

namespace loadgen {

struct DeviceKey {
  int tenant_index = 0;
  std::string key;           // the device's API key (fk_...)
  std::optional<Home> home;  // its points stay near here (telemetry_wire.hpp); none: around Paris
};

struct IngestTotals {
  std::uint64_t requests_ok = 0, points_ok = 0, requests_failed = 0, connection_failures = 0,
                batches_dropped = 0;
  std::vector<std::uint64_t> points_per_tenant;
  std::vector<std::uint64_t> points_per_device;  // in the order of IngestDriver::devices()
  HistogramSnapshot ack_latency;                 // request sent -> response, us
  IngestTotals since(const IngestTotals& earlier) const;
};

class IngestDriver {
 public:
  // `devices` are used round-robin, interleaving tenants so each tenant gets the same share of points.
  IngestDriver(const Endpoint& server, const SourceAddresses& sources, std::vector<DeviceKey> devices,
               int tenants, int connections, int batch);
  // The same over several nodes of a cluster: connection i posts to servers[i % servers.size()], so every
  // tenant's batches reach every node.
  IngestDriver(std::vector<Endpoint> servers, const SourceAddresses& sources, std::vector<DeviceKey> devices,
               int tenants, int connections, int batch);
  ~IngestDriver();
  IngestDriver(const IngestDriver&) = delete;
  IngestDriver& operator=(const IngestDriver&) = delete;

  // Starts the thread and connects; returns once every connection is up. Throws if one cannot connect.
  void start();
  // Open loop at `points_per_second` from now on; 0 pauses (batches not yet sent are dropped and counted).
  void set_rate(double points_per_second);
  void run_closed_loop(bool on);
  IngestTotals totals() const;
  // The devices in the order they are published round-robin (tenants interleaved).
  const std::vector<DeviceKey>& devices() const;
  std::string last_error() const;

 private:
  class Loop;
  std::unique_ptr<Loop> loop_;
  std::thread thread_;
};

}  // namespace loadgen
