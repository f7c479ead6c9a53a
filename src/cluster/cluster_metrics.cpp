#include "cluster/cluster_metrics.hpp"

#include <string>

namespace fleet::cluster {

void Timing::observe_us(std::int64_t us) noexcept {
  if (us < 0) us = 0;  // clocks of two nodes may disagree by a little
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(us, std::memory_order_relaxed);
  std::int64_t seen = max_us_.load(std::memory_order_relaxed);
  while (us > seen && !max_us_.compare_exchange_weak(seen, us, std::memory_order_relaxed)) {
  }
}

namespace {

void register_timing(obs::Registry& r, const Timing& t, const std::string& name, const std::string& help) {
  r.gauge_fn(name + "_sum", help + " (sum, seconds)", [&t] { return static_cast<double>(t.sum_us()) / 1e6; });
  r.gauge_fn(name + "_count", help + " (count)", [&t] { return static_cast<double>(t.count()); });
  r.gauge_fn(name + "_max", help + " (max, seconds)", [&t] { return static_cast<double>(t.max_us()) / 1e6; });
}

}  // namespace

ClusterMetrics& ClusterMetrics::get() {
  static ClusterMetrics* m = [] {
    obs::Registry& r = obs::Registry::global();
    auto* created = new ClusterMetrics{
        r.gauge("fleet_bus_connected", "1 while this node is connected to the cluster bus"),
        r.counter("fleet_bus_reconnects_total", "Reconnections to the cluster bus"),
        r.counter("fleet_bus_publish_dropped_total",
                  "Batches the bus could not take (the probe repairs them)"),
        r.counter("fleet_bus_dropped_messages_total",
                  "Bus messages refused: unparseable, empty, or a tenant other than the subject's"),
        r.counter("fleet_cluster_queue_dropped_total",
                  "Batches the cluster thread's full queue refused (the probe repairs them)"),
        r.counter("fleet_cluster_held_dropped_total",
                  "Early arrivals over the hold bound (repaired from the store instead)"),
        r.counter("fleet_bus_gaps_repaired_total", "Seq gaps filled by reading the store"),
        r.counter("fleet_bus_repaired_events_total", "Events delivered from store repairs"),
        r.counter("fleet_bus_skipped_events_total", "Events given up because a repair was over the cap"),
        {},
        {}};
    register_timing(r, created->lag, "fleet_bus_lag_seconds",
                    "Bus message age when the cluster thread takes it");
    register_timing(r, created->repair, "fleet_bus_repair_seconds", "Time from a seq gap seen to filled");
    return created;  // never freed: the registry's callbacks read it until exit
  }();
  return *m;
}

}  // namespace fleet::cluster
