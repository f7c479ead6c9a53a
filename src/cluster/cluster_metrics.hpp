#pragma once
// The cluster layer's series in the process-wide registry (docs/architecture.md, "Metrics"). Process-wide
// like the registry itself, so a broker or bus may come and go (tests make many) without leaving the
// registry a callback into freed memory.
#include <atomic>
#include <cstdint>

#include "obs/metrics.hpp"

namespace fleet::cluster {

// A duration series with no histogram in obs: <name>_sum and <name>_max (seconds) and <name>_count.
// Lock-free; observe() from any thread.
class Timing {
 public:
  void observe_us(std::int64_t us) noexcept;
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  std::int64_t max_us() const noexcept { return max_us_.load(std::memory_order_relaxed); }
  std::int64_t sum_us() const noexcept { return sum_us_.load(std::memory_order_relaxed); }

 private:
  friend struct ClusterMetrics;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::int64_t> sum_us_{0};
  std::atomic<std::int64_t> max_us_{0};
};

struct ClusterMetrics {
  obs::Gauge& bus_connected;          // fleet_bus_connected: 1 while the bus is connected
  obs::Counter& bus_reconnects;       // fleet_bus_reconnects_total
  obs::Counter& bus_publish_dropped;  // fleet_bus_publish_dropped_total: sends the bus could not take
  obs::Counter& dropped_messages;     // fleet_bus_dropped_messages_total: received messages refused
  obs::Counter& queue_dropped;  // fleet_cluster_queue_dropped_total: work the cluster thread's queue refused
  obs::Counter& held_dropped;   // fleet_cluster_held_dropped_total: early arrivals over the hold bound
  obs::Counter& gaps_repaired;  // fleet_bus_gaps_repaired_total
  obs::Counter& repaired_events;  // fleet_bus_repaired_events_total
  obs::Counter& skipped_events;   // fleet_bus_skipped_events_total: events given up (repair over the cap)
  Timing lag;                     // fleet_bus_lag_seconds: sent_ms -> taken by the cluster thread
  Timing repair;                  // fleet_bus_repair_seconds: gap seen -> filled from the store

  static ClusterMetrics& get();
};

}  // namespace fleet::cluster
