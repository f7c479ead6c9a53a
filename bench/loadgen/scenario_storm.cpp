// Scenario 8: resume storm (protocol 2, docs/benchmarks.md). Viewers over tenants whose devices all have
// a last position, steady ingest so that a restart leaves something to miss. For each mode the server is
// restarted by --restart-cmd (SIGTERM, started again on the same port and data directory; the command
// returns once the new server accepts connections), and then every viewer reconnects at once:
//   resume: the first message carries since + epoch -> hello recovered:true and only the missed events;
//   plain:  a plain reconnect -> hello + snapshot.
// Measured from the moment the new server is ready until every viewer is live again (hello with
// recovered:true, or the snapshot), with the bytes the viewers read in that time.
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/json/array.hpp>

#include "clock.hpp"
#include "cpu_meter.hpp"
#include "ingest_driver.hpp"
#include "process_stats.hpp"
#include "provisioning.hpp"
#include "restart_command.hpp"
#include "scenarios.hpp"
#include "viewer_cohort.hpp"

namespace loadgen {

namespace {

using namespace std::chrono_literals;

struct StormSettings {
  std::size_t viewers;
  int tenants;
  int devices_per_tenant;
  double ingest_rate;  // points per second over all tenants
  int batch;
  int connections;
  std::vector<std::string> modes;
  double settle_seconds;
  std::size_t connect_in_flight;  // the first connection of every viewer (set-up)
  std::size_t storm_in_flight;    // reconnects in flight per thread in the storm; 0 = all at once
  int threads;
  std::string restart_command;
  std::chrono::milliseconds restart_timeout;
  std::chrono::milliseconds storm_timeout;
  std::string tenant_prefix;
};

std::vector<std::string> split_modes(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string mode; std::getline(in, mode, ',');) {
    if (mode != "resume" && mode != "plain")
      throw std::invalid_argument("--modes takes resume and/or plain, got " + mode);
    out.push_back(mode);
  }
  if (out.empty()) throw std::invalid_argument("--modes needs at least one of resume, plain");
  return out;
}

StormSettings read_settings(const Options& o) {
  StormSettings s;
  s.viewers = static_cast<std::size_t>(o.integer("viewers", 10'000));
  s.tenants = static_cast<int>(o.integer("tenants", 10));
  s.devices_per_tenant = static_cast<int>(o.integer("devices-per-tenant", 1000));
  s.ingest_rate = o.number("ingest-rate", 50);
  s.batch = static_cast<int>(o.integer("batch", 5));
  s.connections = static_cast<int>(o.integer("connections", 4));
  s.modes = split_modes(o.str("modes", "resume,plain"));
  s.settle_seconds = o.number("settle-seconds", 3);
  s.connect_in_flight = static_cast<std::size_t>(o.integer("connect-in-flight", 256));
  s.storm_in_flight = static_cast<std::size_t>(o.integer("storm-in-flight", 0));
  s.threads = static_cast<int>(o.integer("threads", 1));
  s.restart_command = o.required("restart-cmd");
  s.restart_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(o.number("restart-timeout-s", 120) * 1000));
  s.storm_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(o.number("storm-timeout-s", 120) * 1000));
  s.tenant_prefix = o.str("tenant-prefix", "org_resume_");
  if (s.viewers == 0 || s.tenants <= 0 || s.devices_per_tenant <= 0 || s.batch <= 0 || s.connections <= 0 ||
      s.ingest_rate <= 0) {
    throw std::invalid_argument(
        "storm needs viewers, tenants, devices-per-tenant, batch, connections and ingest-rate > 0");
  }
  return s;
}

struct Netstat {
  std::uint64_t overflows = 0, drops = 0;
  static Netstat now() {
    return {read_netstat_counter("TcpExt", "ListenOverflows").value_or(0),
            read_netstat_counter("TcpExt", "ListenDrops").value_or(0)};
  }
};

}  // namespace

boost::json::object run_storm(const Context& ctx) {
  const StormSettings s = read_settings(ctx.options);

  progress("provisioning %d tenants x %d devices, each with a last position", s.tenants,
           s.devices_per_tenant);
  auto devices = provision_devices(ctx.server, ctx.minter, s.tenant_prefix, s.tenants, s.devices_per_tenant);
  seed_positions(ctx.server, devices);
  progress("minting %zu viewer tokens", s.viewers);
  ViewerCohort cohort(ctx.server, ctx.sources,
                      make_cohort_members(ctx.minter, s.tenant_prefix, s.tenants, s.viewers, 1), s.threads);

  const PhaseReport first = cohort.run({PhaseKind::connect, 0, false, s.connect_in_flight, 600s});
  progress("%llu viewers live in %.1f s (hello + snapshot), %llu failed",
           static_cast<unsigned long long>(first.ok), first.seconds_to_last(),
           static_cast<unsigned long long>(first.failed));
  if (first.ok == 0) throw std::runtime_error("no viewer could connect");

  IngestDriver ingest(ctx.server, ctx.sources, std::move(devices), s.tenants, s.connections, s.batch);
  ingest.start();
  ingest.set_rate(s.ingest_rate);

  boost::json::object result{{"viewers", s.viewers},
                             {"tenants", s.tenants},
                             {"devices_per_tenant", s.devices_per_tenant},
                             {"ingest_points_per_s", s.ingest_rate},
                             {"ingest_batch", s.batch},
                             {"storm_in_flight", s.storm_in_flight},
                             {"first_connect", first.json()}};
  boost::json::object storms;
  pid_t server = ctx.server_pid;
  for (const std::string& mode : s.modes) {
    // Steady state first: every viewer receives live telemetry, so each has a seq to resume from.
    std::this_thread::sleep_for(std::chrono::duration<double>(s.settle_seconds));
    const IngestTotals ingest_before = ingest.totals();
    const std::int64_t open_before = cohort.open_sessions();

    progress("%s: restarting the server", mode.c_str());
    const CommandResult restart = run_command(s.restart_command, s.restart_timeout);
    const std::optional<pid_t> new_pid = last_line_pid(restart.output);
    if (restart.exit_code != 0 || !new_pid) {
      throw std::runtime_error("--restart-cmd failed (exit " + std::to_string(restart.exit_code) +
                               (restart.timed_out ? ", timed out" : "") + "), output: " + restart.output);
    }
    server = *new_pid;
    // The old server closed every session (1001) before it exited; a viewer that saw no close frame saw
    // the connection end. Either way none may still count as open.
    const bool all_closed = cohort.wait_all_closed(std::chrono::steady_clock::now() + 10s);

    // The storm: the new server accepts connections from here on, and every viewer reconnects at once.
    const Netstat net_before = Netstat::now();
    const std::uint64_t bytes_before = cohort.totals().bytes;
    const ViewerTotals seen_before = cohort.totals();
    CpuMeter cpu(server);
    cpu.begin();
    const PhaseReport storm =
        cohort.run({PhaseKind::connect, 0, mode == "resume", s.storm_in_flight, s.storm_timeout});
    cpu.end(storm.ok);
    const std::uint64_t bytes_during = cohort.totals().bytes - bytes_before;
    const Netstat net_after = Netstat::now();

    // Afterwards: did every resumed viewer get exactly the events it missed? (gaps or disorder: no)
    std::this_thread::sleep_for(1s);
    const ViewerTotals seen = cohort.totals().since(seen_before);
    const IngestTotals published = ingest.totals().since(ingest_before);

    const double seconds = storm.seconds_to_last();
    progress(
        "%s: %llu/%zu live %.3f s after the restart (p50 %.3f s), %llu recovered, %llu snapshots, "
        "%.1f MB to viewers (%.0f bytes each until live), server CPU %.1f us per viewer, listen overflows "
        "%llu",
        mode.c_str(), static_cast<unsigned long long>(storm.ok), s.viewers, seconds,
        static_cast<double>(storm.latency.quantile(0.5)) / 1e6,
        static_cast<unsigned long long>(storm.recovered),
        static_cast<unsigned long long>(storm.ok - storm.recovered), static_cast<double>(bytes_during) / 1e6,
        storm.ok ? static_cast<double>(storm.bytes_until_live) / static_cast<double>(storm.ok) : 0.0,
        cpu.server_us_per_op(), static_cast<unsigned long long>(net_after.overflows - net_before.overflows));

    storms[mode] = boost::json::object{
        {"restart_seconds", restart.seconds},
        {"open_before_restart", open_before},
        {"all_closed_by_restart", all_closed},
        {"storm", storm.json()},
        {"live", storm.ok},
        {"failed", storm.failed},
        {"seconds_to_all_live", storm.failed == 0 ? seconds : -1.0},
        {"seconds_to_last_live", seconds},
        {"bytes_to_viewers", bytes_during},
        {"bytes_until_live_per_viewer",
         storm.ok ? static_cast<double>(storm.bytes_until_live) / static_cast<double>(storm.ok) : 0.0},
        {"server_cpu", cpu.json()},
        {"listen_overflows", net_after.overflows - net_before.overflows},
        {"listen_drops", net_after.drops - net_before.drops},
        {"events_after_restart", seen.events},
        {"seq_gaps_after_restart", seen.seq_gaps},
        {"reordered_after_restart", seen.reordered},
        {"ingest_points_accepted", published.points_ok},
        {"ingest_requests_refused", published.requests_failed},
        {"ingest_requests_lost", published.connection_failures}};
  }
  ingest.set_rate(0);

  result["storms"] = std::move(storms);
  if (const auto* resume = result["storms"].as_object().if_contains("resume");
      resume && result["storms"].as_object().contains("plain")) {
    const double resumed = resume->as_object().at("bytes_to_viewers").to_number<double>();
    const double plain =
        result["storms"].as_object().at("plain").as_object().at("bytes_to_viewers").to_number<double>();
    result["plain_to_resume_bytes_ratio"] = resumed > 0 ? plain / resumed : 0.0;
  }
  boost::json::object unexpected;
  for (const auto& [why, n] : cohort.unexpected_closes()) unexpected[why] = n;
  result["closes_outside_phases"] = unexpected;  // 1001 at each restart, nothing else expected
  result["final_server_pid"] = server;
  return result;
}

}  // namespace loadgen
