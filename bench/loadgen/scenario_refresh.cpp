// Scenario 7: in-band token refresh against reconnect + snapshot (protocol 2, docs/benchmarks.md).
// One tenant whose devices all have a last position (1,000 devices: a ~200 KB snapshot) and N viewers
// that authenticate with their first message. Each round, every viewer first refreshes its token in-band
// `refreshes` times ({"type":"auth","token":<fresh RS256 token, same sub and org>} -> auth_ok), then
// reconnects (close frame, new socket, a new token in the first message, hello + snapshot). Every phase
// runs one kind of operation only, and the server's CPU clock is read right before and after it, so each
// kind's CPU is charged to exactly its own operations; both kinds come from the same server and run.
#include <stdexcept>
#include <thread>

#include <boost/json/array.hpp>

#include "clock.hpp"
#include "cpu_meter.hpp"
#include "process_stats.hpp"
#include "provisioning.hpp"
#include "scenarios.hpp"
#include "viewer_cohort.hpp"

namespace loadgen {

namespace {

using namespace std::chrono_literals;

// fleetd allows a burst of 5 auth messages per session, then one per 2 s (docs/protocol.md); the first
// message is one of them. So a session can refresh 4 times at once, and a round stays within the burst.
constexpr std::int64_t kMaxRefreshesPerSession = 4;

struct RefreshSettings {
  std::size_t viewers;
  int devices;
  int rounds;
  int refreshes;  // per round, per viewer
  std::size_t in_flight;
  std::size_t connect_in_flight;
  int threads;
  std::chrono::milliseconds phase_timeout;
  std::string tenant_prefix;
};

RefreshSettings read_settings(const Options& o) {
  RefreshSettings s;
  s.viewers = static_cast<std::size_t>(o.integer("viewers", 200));
  s.devices = static_cast<int>(o.integer("devices", 1000));
  s.rounds = static_cast<int>(o.integer("rounds", 5));
  s.refreshes = static_cast<int>(o.integer("refreshes", kMaxRefreshesPerSession));
  s.in_flight = static_cast<std::size_t>(o.integer("in-flight", 0));
  s.connect_in_flight = static_cast<std::size_t>(o.integer("connect-in-flight", 64));
  s.threads = static_cast<int>(o.integer("threads", 1));
  s.phase_timeout =
      std::chrono::milliseconds(static_cast<std::int64_t>(o.number("phase-timeout-s", 60) * 1000));
  s.tenant_prefix = o.str("tenant-prefix", "org_refresh_");
  if (s.viewers == 0 || s.devices < 0 || s.rounds <= 0 || s.refreshes <= 0) {
    throw std::invalid_argument("refresh needs viewers, rounds and refreshes > 0");
  }
  if (s.refreshes > kMaxRefreshesPerSession) {
    throw std::invalid_argument(
        "--refreshes is at most 4: a session may send a burst of 5 auth messages, the first included");
  }
  return s;
}

}  // namespace

boost::json::object run_refresh(const Context& ctx) {
  const RefreshSettings s = read_settings(ctx.options);
  const auto per_round = static_cast<std::size_t>(s.refreshes) + 1;  // refreshes, then the reconnect's token
  const std::size_t tokens_each = 1 + static_cast<std::size_t>(s.rounds) * per_round;

  progress("provisioning %d devices with a last position", s.devices);
  const auto devices = provision_devices(ctx.server, ctx.minter, s.tenant_prefix, 1, s.devices);
  seed_positions(ctx.server, devices);
  progress("minting %zu tokens (%zu viewers x %zu)", s.viewers * tokens_each, s.viewers, tokens_each);
  ViewerCohort cohort(ctx.server, ctx.sources,
                      make_cohort_members(ctx.minter, s.tenant_prefix, 1, s.viewers, tokens_each), s.threads);

  PhaseSpec connect{PhaseKind::connect, 0, false, s.connect_in_flight, 120s};
  const PhaseReport first = cohort.run(connect);
  progress("%llu viewers live in %.2f s, %llu failed", static_cast<unsigned long long>(first.ok),
           first.seconds_to_last(), static_cast<unsigned long long>(first.failed));
  if (first.ok == 0) throw std::runtime_error("no viewer could connect");

  // What the server spends doing nothing with these viewers connected: the floor under both windows.
  CpuMeter idle(ctx.server_pid);
  idle.begin();
  std::this_thread::sleep_for(1s);
  idle.end(1);

  CpuMeter refresh_cpu(ctx.server_pid), reconnect_cpu(ctx.server_pid);
  PhaseReport refreshes, reconnects, closes;
  for (int r = 0; r < s.rounds; ++r) {
    const std::size_t base = 1 + static_cast<std::size_t>(r) * per_round;
    for (int j = 0; j < s.refreshes; ++j) {
      refresh_cpu.begin();
      const PhaseReport p = cohort.run(
          {PhaseKind::refresh, base + static_cast<std::size_t>(j), false, s.in_flight, s.phase_timeout});
      refresh_cpu.end(p.ok);
      refreshes.merge(p);
    }
    // A reconnect is the close of the old session and the new session up to its snapshot.
    reconnect_cpu.begin();
    const PhaseReport closed = cohort.run({PhaseKind::close, 0, false, s.in_flight, s.phase_timeout});
    const PhaseReport opened =
        cohort.run({PhaseKind::connect, base + per_round - 1, false, s.in_flight, s.phase_timeout});
    reconnect_cpu.end(opened.ok);
    closes.merge(closed);
    reconnects.merge(opened);
    progress("round %d: %.1f us server CPU per refresh, %.1f us per reconnect so far", r + 1,
             refresh_cpu.server_us_per_op(), reconnect_cpu.server_us_per_op());
  }

  const double per_refresh = refresh_cpu.server_us_per_op();
  const double per_reconnect = reconnect_cpu.server_us_per_op();
  const double ratio = per_refresh > 0 ? per_reconnect / per_refresh : 0.0;
  progress(
      "refresh: %llu ok, %.1f us server CPU each (p99 %llu us); reconnect + snapshot: %llu ok, %.1f us each; "
      "reconnect / refresh = %.1fx; idle server %.0f us/s",
      static_cast<unsigned long long>(refreshes.ok), per_refresh,
      static_cast<unsigned long long>(refreshes.latency.quantile(0.99)),
      static_cast<unsigned long long>(reconnects.ok), per_reconnect, ratio,
      static_cast<double>(idle.server_ns()) / 1e3);

  boost::json::object unexpected;
  for (const auto& [why, n] : cohort.unexpected_closes()) unexpected[why] = n;
  const ViewerTotals seen = cohort.totals();
  return {{"viewers", s.viewers},
          {"devices", s.devices},
          {"rounds", s.rounds},
          {"refreshes_per_round", s.refreshes},
          {"in_flight", s.in_flight},
          {"first_connect", first.json()},
          {"refresh", refreshes.json()},
          {"close", closes.json()},
          {"reconnect", reconnects.json()},
          {"refresh_cpu", refresh_cpu.json()},
          {"reconnect_cpu", reconnect_cpu.json()},
          {"server_cpu_us_per_refresh", per_refresh},
          {"server_cpu_us_per_reconnect", per_reconnect},
          {"reconnect_to_refresh_cpu_ratio", ratio},
          {"bytes_per_reconnect", reconnects.ok ? static_cast<double>(reconnects.bytes_until_live) /
                                                      static_cast<double>(reconnects.ok)
                                                : 0.0},
          {"server_idle_cpu_us_per_s", static_cast<double>(idle.server_ns()) / 1e3},
          {"unexpected_closes", unexpected},
          {"telemetry_events", seen.events}};
}

}  // namespace loadgen
