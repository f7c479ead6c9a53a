// Scenario 3: idle memory. Opens as many authenticated viewers as asked and reads the server's RSS
// before and after; nothing is published.
#include <thread>

#include "clock.hpp"
#include "provisioning.hpp"
#include "scenarios.hpp"
#include "viewer_pool.hpp"

namespace loadgen {

boost::json::object run_idle(const Context& ctx) {
  const auto viewers = static_cast<std::size_t>(ctx.options.integer("viewers", 19'000));
  const int tenants = static_cast<int>(ctx.options.integer("tenants", 100));
  const double settle_seconds = ctx.options.number("settle-seconds", 3);
  ViewerPoolOptions pool_options;
  pool_options.threads = static_cast<int>(ctx.options.integer("threads", 1));
  pool_options.connect_concurrency = static_cast<int>(ctx.options.integer("connect-concurrency", 256));
  const std::string prefix = ctx.options.str("tenant-prefix", "org_idle_");

  progress("minting %zu viewer tokens", viewers);
  auto specs = make_viewer_specs(ctx.minter, prefix, tenants, viewers);

  const ProcessSample before = sample_process(ctx.server_pid);
  ViewerPool pool(ctx.server, ctx.sources, tenants, pool_options);
  progress("connecting %zu idle viewers", viewers);
  ConnectReport connected = pool.connect(std::move(specs), std::chrono::seconds(180));
  progress("%llu ready in %.1f s, %llu failed; settling %.0f s",
           static_cast<unsigned long long>(connected.ready), connected.seconds,
           static_cast<unsigned long long>(connected.failed), settle_seconds);
  std::this_thread::sleep_for(std::chrono::duration<double>(settle_seconds));
  const ProcessSample after = sample_process(ctx.server_pid);

  boost::json::object result{
      {"viewers", viewers},
      {"tenants", tenants},
      {"viewers_ready", connected.ready},
      {"viewers_failed", connected.failed},
      {"still_open", connected.ready - pool.closed_after_ready()},
      {"connect_seconds", connected.seconds},
      {"connects_per_s",
       connected.seconds > 0 ? static_cast<double>(connected.ready) / connected.seconds : 0.0},
      {"handshake_latency", connected.handshake.summary()},
      {"server_rss_before_bytes", before.rss_bytes},
      {"server_rss_after_bytes", after.rss_bytes}};
  if (before.valid && after.valid && connected.ready > 0) {
    const double delta = static_cast<double>(after.rss_bytes) - static_cast<double>(before.rss_bytes);
    result["bytes_per_connection"] = delta / static_cast<double>(connected.ready);
    progress("server RSS %.1f MiB -> %.1f MiB: %.0f bytes per idle connection",
             static_cast<double>(before.rss_bytes) / 1048576.0,
             static_cast<double>(after.rss_bytes) / 1048576.0, delta / static_cast<double>(connected.ready));
  }
  if (!connected.failures.empty()) {
    boost::json::object failures;
    for (const auto& [why, n] : connected.failures) failures[why] = n;
    result["connect_failures"] = failures;
  }
  return result;
}

}  // namespace loadgen
