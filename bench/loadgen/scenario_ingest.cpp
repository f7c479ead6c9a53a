// Scenario 5: durable ingest. Closed loop on keep-alive connections: every connection posts its next batch
// as soon as the previous one is acknowledged (202 = durably stored), for each batch size in turn.
#include <thread>

#include <boost/json/array.hpp>

#include "clock.hpp"
#include "ingest_driver.hpp"
#include "provisioning.hpp"
#include "scenarios.hpp"

namespace loadgen {

boost::json::object run_ingest(const Context& ctx) {
  const std::vector<double> batches = ctx.options.numbers("batches", {1, 100});
  const int connections = static_cast<int>(ctx.options.integer("connections", 32));
  const double seconds = ctx.options.number("seconds", 10);
  const int tenants = static_cast<int>(ctx.options.integer("tenants", 10));
  const int devices_per_tenant = static_cast<int>(ctx.options.integer("devices-per-tenant", 10));
  const std::string prefix = ctx.options.str("tenant-prefix", "org_ingest_");

  progress("provisioning %d tenants x %d devices", tenants, devices_per_tenant);
  const auto devices = provision_devices(ctx.server, ctx.minter, prefix, tenants, devices_per_tenant);
  if (ctx.servers.size() > 1) await_devices_on_every_node(ctx.servers, devices, std::chrono::seconds(60));

  boost::json::array runs;
  for (double b : batches) {
    const int batch = static_cast<int>(b);
    IngestDriver ingest(ctx.servers, ctx.sources, devices, tenants, connections, batch);
    ingest.start();
    const ProcessSample server_before = sample_process(ctx.server_pid);
    const IngestTotals before = ingest.totals();
    const std::int64_t start = mono_us();
    ingest.run_closed_loop(true);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    const IngestTotals done = ingest.totals().since(before);
    const double elapsed = static_cast<double>(mono_us() - start) / 1e6;
    const ProcessSample server_after = sample_process(ctx.server_pid);
    ingest.run_closed_loop(false);

    const double points_per_second = static_cast<double>(done.points_ok) / elapsed;
    const double server_cpu = server_after.cpu_seconds - server_before.cpu_seconds;
    progress("batch %d: %.0f points/s (%.0f requests/s), ack p50 %llu us p99 %llu us, %llu failed", batch,
             points_per_second, static_cast<double>(done.requests_ok) / elapsed,
             static_cast<unsigned long long>(done.ack_latency.quantile(0.5)),
             static_cast<unsigned long long>(done.ack_latency.quantile(0.99)),
             static_cast<unsigned long long>(done.requests_failed + done.connection_failures));
    boost::json::object run{{"batch", batch},
                            {"connections", connections},
                            {"seconds", elapsed},
                            {"points_accepted", done.points_ok},
                            {"requests_ok", done.requests_ok},
                            {"requests_failed", done.requests_failed + done.connection_failures},
                            {"points_per_s", points_per_second},
                            {"requests_per_s", static_cast<double>(done.requests_ok) / elapsed},
                            {"ack_latency", done.ack_latency.summary()},
                            {"server_cpu_seconds", server_cpu},
                            {"server_cpu_us_per_point",
                             done.points_ok ? server_cpu * 1e6 / static_cast<double>(done.points_ok) : 0.0},
                            {"server_rss_after_bytes", server_after.rss_bytes}};
    if (done.requests_failed + done.connection_failures > 0) run["last_error"] = ingest.last_error();
    runs.push_back(std::move(run));
  }
  return {{"tenants", tenants}, {"devices_per_tenant", devices_per_tenant}, {"runs", std::move(runs)}};
}

}  // namespace loadgen
