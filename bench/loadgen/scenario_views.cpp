// Scenario "views" (docs/benchmarks.md): one tenant's devices on a grid over a 1 x 1 degree region, each
// reporting at its own pace around its home, and viewers that each look at a box holding ~1 % of them
// (docs/protocol.md, "Views"). The same viewers and the same offered ingest run three ways:
//   scoped:    each viewer's box (what the server must deliver: the points of the devices in it);
//   empty:     a box where no device is (the ingest, and whatever the views cost when nothing matches);
//   unscoped:  the whole tenant (every point to every viewer: more than the machine can deliver).
// Reported per phase: fleetd's CPU (all threads, /proc), deliveries and their expected count, arrival
// latency; and the comparisons: CPU per delivered event net of ingest; total CPU unscoped over scoped, at
// the rates reached and at the offered load.
#include <algorithm>
#include <cmath>
#include <thread>

#include <boost/json/array.hpp>

#include "clock.hpp"
#include "ingest_driver.hpp"
#include "provisioning.hpp"
#include "scenarios.hpp"
#include "viewer_pool.hpp"

namespace loadgen {

namespace {

using namespace std::chrono_literals;

struct ViewsSettings {
  int devices = 10'000;
  std::size_t viewers = 1000;
  int view_devices = 100;   // devices per box: a square of sqrt(view_devices) grid cells a side
  double points_per_s = 0;  // offered ingest; default one point per device per second
  double seconds = 10;
  // Points per ingest request (of one device): at 1 point per request the durable store, not the fan-out,
  // is what stops 10,000 points/s on 2 vCPUs (docs/benchmarks.md).
  int batch = 10;
  int connections = 16;
  double south = 48.35, west = 1.85, span = 1.0;  // the region: a span x span degree square
  std::string tenant_prefix = "org_views_";
  ViewerPoolOptions pool;
};

ViewsSettings read_settings(const Options& o) {
  ViewsSettings s;
  s.devices = static_cast<int>(o.integer("devices", s.devices));
  s.viewers = static_cast<std::size_t>(o.integer("viewers", static_cast<std::int64_t>(s.viewers)));
  s.view_devices = static_cast<int>(o.integer("view-devices", s.view_devices));
  s.points_per_s = o.number("rate", s.devices);
  s.seconds = o.number("seconds", s.seconds);
  s.batch = static_cast<int>(o.integer("batch", s.batch));
  s.connections = static_cast<int>(o.integer("connections", s.connections));
  s.pool.threads = static_cast<int>(o.integer("threads", 1));
  // A map's stream (the web app's): compact, 50 ms windows; no coalescing, so that every point owed is
  // delivered and counted (a batch holds several points of one device). Compact keeps a coalesced backlog
  // of every device (~45 bytes each) under the outbox's hard limit: the unscoped phase coalesces what it
  // cannot deliver (above the soft limit) instead of closing its viewers as slow consumers.
  s.pool.stream.format = o.str("format", "compact");
  s.pool.stream.flush_ms = static_cast<int>(o.integer("flush-ms", 50));
  s.pool.stream.coalesce = o.str("coalesce", "false") == "true";
  if (s.devices <= 0 || s.viewers == 0 || s.view_devices <= 0 || s.view_devices > s.devices ||
      s.points_per_s <= 0 || s.seconds <= 0 || s.batch <= 0 || s.connections <= 0)
    throw std::invalid_argument("views needs devices, viewers, view-devices <= devices, rate, seconds > 0");
  return s;
}

// Device d's home is the centre of grid cell (d / side, d % side); a view is a square of cells whose
// edges run half a cell from the homes inside it, and a device never strays more than kHomeWander from
// home: which devices a box holds is known exactly, whatever their points.
struct Grid {
  int side = 0;  // cells per row
  int rows = 0;
  int box = 0;  // cells per box side
  double cell = 0;
  double south = 0, west = 0;

  Grid(const ViewsSettings& s)
      : side(static_cast<int>(std::ceil(std::sqrt(static_cast<double>(s.devices))))),
        rows((s.devices + side - 1) / side),
        box(std::max(1, static_cast<int>(std::lround(std::sqrt(static_cast<double>(s.view_devices)))))),
        cell(s.span / side),
        south(s.south),
        west(s.west) {
    if (kHomeWander >= cell / 2)
      throw std::invalid_argument("views: too many devices for the region (cells under 2 x kHomeWander)");
    box = std::min({box, side, rows});
  }
  Home home(int d) const { return {south + (d / side + 0.5) * cell, west + (d % side + 0.5) * cell}; }
  // Viewer v's box: its lowest row and leftmost column, spread deterministically over the grid.
  std::pair<int, int> origin(std::size_t v) const {
    const std::uint64_t h = (v + 1) * 0x9E3779B97F4A7C15ull;
    return {static_cast<int>((h >> 17) % static_cast<std::uint64_t>(rows - box + 1)),
            static_cast<int>((h >> 41) % static_cast<std::uint64_t>(side - box + 1))};
  }
  bool holds(std::size_t v, int d) const {
    const auto [r0, c0] = origin(v);
    const int r = d / side, c = d % side;
    return r >= r0 && r < r0 + box && c >= c0 && c < c0 + box;
  }
  std::string view_message(std::size_t v, int id) const {
    const auto [r0, c0] = origin(v);
    char text[200];
    std::snprintf(text, sizeof text, R"({"type":"view","id":%d,"boxes":[[%.9f,%.9f,%.9f,%.9f]]})", id,
                  west + c0 * cell, south + r0 * cell, west + (c0 + box) * cell, south + (r0 + box) * cell);
    return text;
  }
};

// A box in the South Atlantic: no device there.
constexpr const char* kEmptyView = R"({"type":"view","id":2,"boxes":[[-20.0,-40.0,-19.9,-39.9]]})";
constexpr const char* kWholeTenantView = R"({"type":"view","id":3})";

// Waits until the readers together received `target` snapshots (each answers a view).
bool wait_snapshots(const ViewerPool& pool, std::uint64_t target, std::chrono::seconds timeout) {
  const std::int64_t deadline =
      mono_us() + std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
  while (pool.readers().snapshots < target) {
    if (mono_us() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

}  // namespace

boost::json::object run_views(const Context& ctx) {
  const ViewsSettings s = read_settings(ctx.options);
  const Grid grid(s);

  progress("provisioning %d devices in one tenant", s.devices);
  auto devices = provision_devices(ctx.server, ctx.minter, s.tenant_prefix, 1, s.devices);
  for (std::size_t d = 0; d < devices.size(); ++d) devices[d].home = grid.home(static_cast<int>(d));
  // How many viewers' boxes hold each device: the deliveries one point of it owes in the scoped phase.
  std::vector<std::uint64_t> watchers(devices.size(), 0);
  for (std::size_t v = 0; v < s.viewers; ++v) {
    for (int d = 0; d < s.devices; ++d) watchers[static_cast<std::size_t>(d)] += grid.holds(v, d) ? 1 : 0;
  }

  progress("minting %zu viewer tokens", s.viewers);
  auto specs = make_viewer_specs(ctx.minter, s.tenant_prefix, 1, s.viewers);
  for (std::size_t v = 0; v < specs.size(); ++v) specs[v].after_hello = grid.view_message(v, 1);
  ViewerPool pool(ctx.server, ctx.sources, 1, s.pool);
  progress("connecting %zu viewers, each sending its view after hello", s.viewers);
  const ConnectReport connected = pool.connect(std::move(specs), 300s);
  // Each ready viewer gets the tenant's snapshot, then its view's.
  const bool scoped_in_time = wait_snapshots(pool, 2 * connected.ready, 300s);
  progress("%llu viewers ready in %.1f s (%llu failed); views answered: %s",
           static_cast<unsigned long long>(connected.ready), connected.seconds,
           static_cast<unsigned long long>(connected.failed), scoped_in_time ? "all" : "NOT ALL");

  IngestDriver ingest(ctx.server, ctx.sources, std::move(devices), 1, s.connections, s.batch);
  ingest.start();

  // One phase: the offered ingest for `seconds`, then a drain; `expected` maps what was published to the
  // deliveries it owes.
  const auto run_phase = [&](const char* name, auto expected_of) {
    const IngestTotals ingest_before = ingest.totals();
    const ViewerTotals before = pool.readers();
    const ProcessSample server_before = sample_process(ctx.server_pid);
    const ProcessSample self_before = sample_self();
    const double machine_before = machine_busy_cpu_seconds();
    const std::int64_t started = mono_us();
    ingest.set_rate(s.points_per_s);
    std::this_thread::sleep_for(std::chrono::duration<double>(s.seconds));
    ingest.set_rate(0);
    const double seconds = static_cast<double>(mono_us() - started) / 1e6;
    // Drain: until every owed delivery arrived or nothing arrived for two seconds (the unscoped phase
    // coalesces, so it never gets them all).
    std::uint64_t last = 0;
    std::int64_t last_progress = mono_us();
    for (;;) {
      std::this_thread::sleep_for(20ms);
      const std::uint64_t got = pool.readers().events - before.events;
      if (got >= expected_of(ingest.totals().since(ingest_before)) && mono_us() - started > 200'000) break;
      if (got != last) {
        last = got;
        last_progress = mono_us();
      }
      if (mono_us() - last_progress > 2'000'000) break;
    }
    const ProcessSample server_after = sample_process(ctx.server_pid);
    const ProcessSample self_after = sample_self();
    const double machine_after = machine_busy_cpu_seconds();
    const IngestTotals published = ingest.totals().since(ingest_before);
    const ViewerTotals seen = pool.readers().since(before);
    const std::uint64_t expected = expected_of(published);
    const double cpu = server_after.cpu_seconds - server_before.cpu_seconds;
    const double store_cpu = server_after.store_cpu_seconds - server_before.store_cpu_seconds;
    const double self_cpu = self_after.cpu_seconds - self_before.cpu_seconds;
    const double wall = static_cast<double>(mono_us() - started) / 1e6;
    const double others = machine_before < 0 || machine_after < 0
                              ? 0.0
                              : std::max(0.0, machine_after - machine_before - cpu - self_cpu) / wall;
    const auto per = [](double total, std::uint64_t n) {
      return n ? total * 1e6 / static_cast<double>(n) : 0.0;
    };
    boost::json::object phase{
        {"seconds", seconds},
        {"points_published", published.points_ok},
        {"points_per_s", static_cast<double>(published.points_ok) / seconds},
        {"ingest_failures", published.requests_failed + published.connection_failures},
        {"batches_dropped", published.batches_dropped},
        {"expected_deliveries", expected},
        {"deliveries", seen.events},
        {"missing", expected > seen.events ? expected - seen.events : 0},
        {"deliveries_per_s", static_cast<double>(seen.events) / seconds},
        {"frames", seen.frames},
        {"bytes", seen.bytes},
        {"reordered", seen.reordered},
        {"foreign", seen.foreign},
        {"view_changes", seen.view_changes},
        {"arrival_latency", seen.arrival.summary()},
        {"server_cpu_seconds", cpu},
        {"server_store_cpu_seconds", store_cpu},
        // CPU per second of the offered load: the step's CPU (drain included) over the step's length.
        {"server_cores", cpu / seconds},
        {"server_cpu_us_per_delivery", per(cpu, seen.events)},
        {"server_cpu_us_per_ingested_point", per(cpu, published.points_ok)},
        {"loadgen_cpu_seconds", self_cpu},
        {"other_processes_cores", others}};
    progress(
        "%s: %.0f points/s, %.0f deliveries/s (%llu of %llu expected), fleetd %.3f cores, %.3f us/delivery, "
        "%.1f us/point, arrival p99 %llu us, others %.2f cores",
        name, static_cast<double>(published.points_ok) / seconds, static_cast<double>(seen.events) / seconds,
        static_cast<unsigned long long>(seen.events), static_cast<unsigned long long>(expected),
        cpu / seconds, per(cpu, seen.events), per(cpu, published.points_ok),
        static_cast<unsigned long long>(seen.arrival.quantile(0.99)), others);
    return phase;
  };

  const auto scoped_expected = [&](const IngestTotals& t) {
    std::uint64_t n = 0;
    for (std::size_t d = 0; d < t.points_per_device.size() && d < watchers.size(); ++d)
      n += t.points_per_device[d] * watchers[d];
    return n;
  };
  const auto readers_now = [&] {
    return static_cast<std::uint64_t>(std::max<std::int64_t>(0, pool.live_readers(0)));
  };

  boost::json::object scoped = run_phase("scoped", scoped_expected);

  std::uint64_t snapshots = pool.readers().snapshots;
  pool.send_to_readers([](std::size_t) { return std::string(kEmptyView); });
  const bool empty_in_time = wait_snapshots(pool, snapshots + readers_now(), 120s);
  boost::json::object empty = run_phase("empty", [](const IngestTotals&) { return std::uint64_t{0}; });

  snapshots = pool.readers().snapshots;
  pool.send_to_readers([](std::size_t) { return std::string(kWholeTenantView); });
  const bool unscoped_in_time = wait_snapshots(pool, snapshots + readers_now(), 300s);
  boost::json::object unscoped =
      run_phase("unscoped", [&](const IngestTotals& t) { return t.points_ok * readers_now(); });

  const auto num = [](const boost::json::object& o, const char* k) { return o.at(k).to_number<double>(); };
  // The phases need not reach the same ingest rate (a saturated server ingests less), so each is compared
  // per offered second: ingesting costs what the empty phase spent per point (the views included, nothing
  // delivered), delivering what a phase spent beyond that per delivery.
  const double ingest_us = num(empty, "points_published") > 0
                               ? num(empty, "server_cpu_seconds") * 1e6 / num(empty, "points_published")
                               : 0.0;
  const auto net_us_per_delivery = [&](const boost::json::object& phase) {
    const double deliveries = num(phase, "deliveries");
    if (deliveries <= 0) return 0.0;
    return (num(phase, "server_cpu_seconds") * 1e6 - ingest_us * num(phase, "points_published")) / deliveries;
  };
  const double scoped_net_us = net_us_per_delivery(scoped);
  const double unscoped_net_us = net_us_per_delivery(unscoped);
  // At the offered load: every point owes scoped.deliveries / scoped.points deliveries scoped (the viewers
  // whose boxes hold its device) and one per viewer unscoped, more than two cores deliver.
  const double offered = s.points_per_s;
  const double scoped_owed_per_point =
      num(scoped, "points_published") > 0 ? num(scoped, "deliveries") / num(scoped, "points_published") : 0.0;
  const double viewers_live = static_cast<double>(readers_now());
  const double scoped_cores_offered =
      (ingest_us * offered + scoped_net_us * scoped_owed_per_point * offered) / 1e6;
  const double unscoped_cores_offered =
      (ingest_us * offered + unscoped_net_us * viewers_live * offered) / 1e6;
  const double scoped_cores = num(scoped, "server_cores");
  const double unscoped_cores = num(unscoped, "server_cores");
  const double measured_ratio = scoped_cores > 0 ? unscoped_cores / scoped_cores : 0.0;
  const double offered_ratio = scoped_cores_offered > 0 ? unscoped_cores_offered / scoped_cores_offered : 0.0;
  progress(
      "ingest %.1f us/point; delivering %.3f us scoped, %.3f us unscoped; at the offered %.0f points/s: %.2f "
      "cores scoped, %.2f unscoped (%.1fx); measured %.2f vs %.2f cores (%.1fx)",
      ingest_us, scoped_net_us, unscoped_net_us, offered, scoped_cores_offered, unscoped_cores_offered,
      offered_ratio, scoped_cores, unscoped_cores, measured_ratio);

  boost::json::object result{
      {"devices", s.devices},
      {"viewers", s.viewers},
      {"view_devices", grid.box * grid.box},
      {"grid_side", grid.side},
      {"offered_points_per_s", s.points_per_s},
      {"owed_deliveries_per_point_scoped", scoped_owed_per_point},
      {"batch", s.batch},
      {"seconds", s.seconds},
      {"format", s.pool.stream.format},
      {"flush_ms", s.pool.stream.flush_ms.value_or(0)},
      {"coalesce", s.pool.stream.coalesce},
      {"viewers_ready", connected.ready},
      {"viewers_failed", connected.failed},
      {"views_answered_in_time", scoped_in_time && empty_in_time && unscoped_in_time},
      {"scoped", std::move(scoped)},
      {"empty", std::move(empty)},
      {"unscoped", std::move(unscoped)},
      {"server_cpu_us_per_ingested_point", ingest_us},
      {"server_cpu_us_per_delivery_scoped_net", scoped_net_us},
      {"server_cpu_us_per_delivery_unscoped_net", unscoped_net_us},
      {"scoped_cores_at_offered_load", scoped_cores_offered},
      {"unscoped_cores_at_offered_load", unscoped_cores_offered},
      {"unscoped_offered_deliveries_per_s", viewers_live * offered},
      // Targets (docs/benchmarks.md): <= 1 us per delivered event, and >= 10x less CPU than unscoped.
      {"cpu_ratio_unscoped_over_scoped_measured", measured_ratio},
      {"cpu_ratio_unscoped_over_scoped_at_offered_load", offered_ratio}};
  return result;
}

}  // namespace loadgen
