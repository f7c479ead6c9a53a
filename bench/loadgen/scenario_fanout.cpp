// Scenarios 1, 2 and 6: fan-out at stepped rates, and slow consumers.
#include <algorithm>
#include <map>
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

struct FanoutSettings {
  std::size_t viewers;
  int tenants;
  int devices_per_tenant;
  int batch;
  int connections;
  std::vector<double> rates;  // target deliveries per second, per step
  double step_seconds;
  double p99_limit_us;
  double slow_fraction;
  bool keep_going;  // run every step even after one failed (to compare figures at the same rates)
  int repeat;       // trials per step: the step's verdict is the majority's, its figures the trials' medians
  std::string tenant_prefix;
  ViewerPoolOptions pool;
};

FanoutSettings read_settings(const Options& o) {
  FanoutSettings s;
  s.viewers = static_cast<std::size_t>(o.integer("viewers", 1000));
  s.tenants = static_cast<int>(o.integer("tenants", 10));
  s.devices_per_tenant = static_cast<int>(o.integer("devices-per-tenant", 10));
  s.batch = static_cast<int>(o.integer("batch", 10));
  s.connections = static_cast<int>(o.integer("connections", 32));
  s.rates = o.numbers("rates", {50'000, 100'000, 250'000, 500'000, 750'000, 1'000'000, 1'500'000, 2'000'000});
  s.step_seconds = o.number("step-seconds", 5);
  s.p99_limit_us = o.number("p99-limit-ms", 10) * 1000;
  s.slow_fraction = o.number("slow-fraction", 0);
  s.repeat = static_cast<int>(o.integer("repeat", 1));
  s.keep_going = o.flag("keep-going");
  // Stream options go in each viewer's first auth message; given neither, viewers speak as before.
  if (o.has("format")) s.pool.stream.format = o.str("format", "json");
  if (o.has("flush-ms")) s.pool.stream.flush_ms = static_cast<int>(o.integer("flush-ms", 0));
  s.tenant_prefix = o.str("tenant-prefix", s.slow_fraction > 0 ? "org_slow_" : "org_fanout_");
  s.pool.threads = static_cast<int>(o.integer("threads", 1));
  s.pool.connect_concurrency = static_cast<int>(o.integer("connect-concurrency", 256));
  s.pool.slow_receive_buffer = static_cast<int>(o.integer("slow-receive-buffer", 8192));
  if (s.viewers == 0 || s.tenants <= 0 || s.batch <= 0 || s.connections <= 0 || s.rates.empty() ||
      s.repeat <= 0) {
    throw std::invalid_argument("fanout needs viewers, tenants, batch, connections, rates and repeat > 0");
  }
  if (!s.pool.stream.format.empty() && s.pool.stream.format != "json" && s.pool.stream.format != "compact")
    throw std::invalid_argument("--format must be json or compact");
  if (s.pool.stream.flush_ms && (*s.pool.stream.flush_ms < 0 || *s.pool.stream.flush_ms > 1000))
    throw std::invalid_argument("--flush-ms must be 0..1000");
  return s;
}

std::uint64_t expected_deliveries(const IngestTotals& published, const ViewerPool& pool, int tenants) {
  std::uint64_t expected = 0;
  for (int t = 0; t < tenants; ++t) {
    expected += published.points_per_tenant[static_cast<std::size_t>(t)] *
                static_cast<std::uint64_t>(std::max<std::int64_t>(0, pool.live_readers(t)));
  }
  return expected;
}

// Waits for in-flight requests to be answered and their events to arrive: until every expected delivery
// came in, or nothing more arrived for two seconds.
void drain(const IngestDriver& ingest, const ViewerPool& pool, const IngestTotals& ingest_before,
           const ViewerTotals& readers_before, int tenants) {
  const std::int64_t start = mono_us();
  std::uint64_t last_seen = 0;
  std::int64_t last_progress = start;
  for (;;) {
    std::this_thread::sleep_for(20ms);
    const std::int64_t now = mono_us();
    const std::uint64_t expected = expected_deliveries(ingest.totals().since(ingest_before), pool, tenants);
    const std::uint64_t delivered = pool.readers().events - readers_before.events;
    if (now - start > 200'000 && delivered >= expected) return;
    if (delivered != last_seen) {
      last_seen = delivered;
      last_progress = now;
    }
    if (now - last_progress > 2'000'000 || now - start > 20'000'000) return;
  }
}

double median_of(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// One step run `repeat` times: its verdict is the majority's (one noisy trial cannot flip it), its headline
// figures are the trials' medians, and `spread` keeps each figure's median, min and max. The latency
// summaries are those of the trial with the median arrival p99. Every trial is kept under `trials`.
boost::json::object combine_trials(std::vector<boost::json::object> trials) {
  if (trials.size() == 1) return std::move(trials.front());
  const auto figure = [&](auto get) {
    std::vector<double> v;
    for (const auto& t : trials) v.push_back(get(t));
    return v;
  };
  const auto p99 = [](const boost::json::object& t) {
    return t.at("arrival_latency").at("p99_us").to_number<double>();
  };
  std::vector<std::size_t> by_p99(trials.size());
  for (std::size_t i = 0; i < by_p99.size(); ++i) by_p99[i] = i;
  std::sort(by_p99.begin(), by_p99.end(),
            [&](std::size_t a, std::size_t b) { return p99(trials[a]) < p99(trials[b]); });
  boost::json::object step = trials[by_p99[by_p99.size() / 2]];  // the median trial by arrival p99

  boost::json::object spread;
  std::size_t passed = 0;
  std::map<std::string, int> reasons;
  for (const auto& t : trials) {
    if (t.at("passed").as_bool()) {
      ++passed;
    } else if (const auto* why = t.if_contains("failed_because")) {
      ++reasons[std::string(why->as_string())];
    }
  }
  for (const char* name :
       {"deliveries_per_s", "server_cpu_us_per_delivery", "server_delivery_cpu_us_per_delivery",
        "server_store_cpu_us_per_point", "bytes_per_event", "bytes_per_event_untagged", "events_per_frame",
        "server_cpu_seconds", "loadgen_cpu_seconds", "other_processes_cores"}) {
    const auto v = figure([&](const boost::json::object& t) { return t.at(name).to_number<double>(); });
    step[name] = median_of(v);
    spread[name] = {{"median", median_of(v)},
                    {"min", *std::min_element(v.begin(), v.end())},
                    {"max", *std::max_element(v.begin(), v.end())}};
  }
  const auto p99s = figure(p99);
  spread["arrival_p99_us"] = {{"median", median_of(p99s)},
                              {"min", *std::min_element(p99s.begin(), p99s.end())},
                              {"max", *std::max_element(p99s.begin(), p99s.end())}};
  std::uint64_t lost = 0;
  for (const auto& t : trials) lost += t.at("lost").to_number<std::uint64_t>();
  step["lost_in_any_trial"] = lost;
  const bool majority = 2 * passed > trials.size();
  step["passed"] = majority;
  step.erase("failed_because");
  if (!majority) {
    const auto worst = std::max_element(reasons.begin(), reasons.end(),
                                        [](const auto& a, const auto& b) { return a.second < b.second; });
    step["failed_because"] = worst == reasons.end() ? "failed" : worst->first;
  }
  step["trials_passed"] = passed;
  step["spread"] = std::move(spread);
  boost::json::array all;
  for (auto& t : trials) all.push_back(std::move(t));
  step["trials"] = std::move(all);
  return step;
}

}  // namespace

boost::json::object run_fanout(const Context& ctx) {
  const FanoutSettings s = read_settings(ctx.options);
  const double viewers_per_tenant = static_cast<double>(s.viewers) / s.tenants;

  progress("provisioning %d tenants x %d devices", s.tenants, s.devices_per_tenant);
  auto devices = provision_devices(ctx.server, ctx.minter, s.tenant_prefix, s.tenants, s.devices_per_tenant);
  if (ctx.servers.size() > 1) await_devices_on_every_node(ctx.servers, devices, 60s);
  progress("minting %zu viewer tokens", s.viewers);
  auto specs = make_viewer_specs(ctx.minter, s.tenant_prefix, s.tenants, s.viewers, s.slow_fraction);
  const auto slow_count = static_cast<std::size_t>(
      std::count_if(specs.begin(), specs.end(), [](const ViewerSpec& v) { return v.slow; }));

  ViewerPool pool(ctx.servers, ctx.sources, s.tenants, s.pool);
  progress("connecting %zu viewers (%zu slow)", s.viewers, slow_count);
  ConnectReport connected = pool.connect(std::move(specs), 120s);
  progress("%llu viewers ready in %.1f s, %llu failed", static_cast<unsigned long long>(connected.ready),
           connected.seconds, static_cast<unsigned long long>(connected.failed));

  boost::json::object result{{"viewers", s.viewers},
                             {"tenants", s.tenants},
                             {"devices_per_tenant", s.devices_per_tenant},
                             {"batch", s.batch},
                             {"ingest_connections", s.connections},
                             {"step_seconds", s.step_seconds},
                             {"p99_limit_us", s.p99_limit_us},
                             {"slow_consumers", slow_count},
                             {"repeat", s.repeat},
                             {"format", s.pool.stream.format.empty() ? "json" : s.pool.stream.format},
                             {"flush_ms", s.pool.stream.flush_ms.value_or(0)},
                             {"stream_options_sent", s.pool.stream.any()},
                             {"viewers_ready", connected.ready},
                             {"viewers_failed", connected.failed},
                             {"connect_seconds", connected.seconds},
                             {"handshake_latency", connected.handshake.summary()}};
  if (connected.failed > 0) {
    boost::json::object failures;
    for (const auto& [why, n] : connected.failures) failures[why] = n;
    result["connect_failures"] = failures;
  }

  IngestDriver ingest(ctx.servers, ctx.sources, std::move(devices), s.tenants, s.connections, s.batch);
  ingest.start();

  boost::json::array steps;
  double best_deliveries = 0;
  boost::json::value best_step;
  const ProcessSample server_start = sample_process(ctx.server_pid);
  const std::int64_t stall_started = mono_us();
  std::uint64_t rss_max = server_start.rss_bytes;
  // One trial of a step: offers `target` deliveries/s for step_seconds, drains, and measures.
  const auto run_trial = [&](double target) {
    const double points_per_second = target / viewers_per_tenant;
    const IngestTotals ingest_before = ingest.totals();
    const ViewerTotals readers_before = pool.readers();
    const ProcessSample server_before = sample_process(ctx.server_pid);
    const ProcessSample self_before = sample_self();
    const double machine_before = machine_busy_cpu_seconds();
    const std::int64_t started = mono_us();

    ingest.set_rate(points_per_second);
    while (mono_us() - started < static_cast<std::int64_t>(s.step_seconds * 1e6)) {
      std::this_thread::sleep_for(100ms);
      rss_max = std::max(rss_max, sample_process(ctx.server_pid).rss_bytes);
    }
    ingest.set_rate(0);
    const double seconds = static_cast<double>(mono_us() - started) / 1e6;
    drain(ingest, pool, ingest_before, readers_before, s.tenants);

    const ProcessSample server_after = sample_process(ctx.server_pid);
    const ProcessSample self_after = sample_self();
    const double machine_after = machine_busy_cpu_seconds();
    rss_max = std::max(rss_max, server_after.rss_bytes);
    const IngestTotals published = ingest.totals().since(ingest_before);
    const ViewerTotals seen = pool.readers().since(readers_before);
    const std::uint64_t expected = expected_deliveries(published, pool, s.tenants);
    const std::uint64_t lost = expected > seen.events ? expected - seen.events : 0;
    const double deliveries_per_second = static_cast<double>(seen.events) / seconds;
    const double server_cpu = server_after.cpu_seconds - server_before.cpu_seconds;
    const double store_cpu = server_after.store_cpu_seconds - server_before.store_cpu_seconds;
    const double self_cpu = self_after.cpu_seconds - self_before.cpu_seconds;
    // Cores other processes kept busy during the step (the machine is shared): a busy step is a noisy one.
    const double others_cores = machine_before < 0 || machine_after < 0
                                    ? 0.0
                                    : std::max(0.0, machine_after - machine_before - server_cpu - self_cpu) /
                                          (static_cast<double>(mono_us() - started) / 1e6);
    // Judged on arrival in the viewer's socket: how long this process then takes to read a frame depends on
    // the CPU it gets while sharing the machine with the server, and is reported beside it (read_latency).
    const std::uint64_t p99 = seen.arrival.quantile(0.99);

    std::string failed_because;
    if (published.requests_failed > 0 || published.connection_failures > 0)
      failed_because = "ingest errors: " + ingest.last_error();
    else if (published.batches_dropped > 0)
      failed_because = "publisher fell behind (ingest too slow)";
    else if (seen.events == 0)
      failed_because = "nothing delivered";  // e.g. no viewer got in: a step must not pass on no evidence
    else if (lost > 0)
      failed_because = "lost deliveries";
    else if (seen.foreign > 0 || seen.reordered > 0)
      failed_because = "foreign or out-of-order events";
    else if (static_cast<double>(p99) > s.p99_limit_us)
      failed_because = "p99 over the limit";

    boost::json::object step{
        {"target_deliveries_per_s", target},
        {"points_per_s", points_per_second},
        {"seconds", seconds},
        {"points_published", published.points_ok},
        {"ingest_requests", published.requests_ok},
        {"ingest_failures", published.requests_failed + published.connection_failures},
        {"batches_dropped", published.batches_dropped},
        {"expected_deliveries", expected},
        {"deliveries", seen.events},
        {"lost", lost},
        {"frames", seen.frames},
        {"seq_gaps", seen.seq_gaps},
        {"reordered", seen.reordered},
        {"foreign", seen.foreign},
        {"deliveries_per_s", deliveries_per_second},
        {"latency", seen.latency.summary()},          // publish -> read by this process
        {"arrival_latency", seen.arrival.summary()},  // publish -> in the socket: judged
        {"ingest_ack_latency", published.ack_latency.summary()},
        {"server_cpu_seconds", server_cpu},
        {"server_cpu_us_per_delivery",
         seen.events ? server_cpu * 1e6 / static_cast<double>(seen.events) : 0.0},
        // Split: what delivering cost (every thread but storage's) per delivery, and what persisting cost
        // per ingested point. Node has no storage threads: its figures are all "delivery".
        {"server_delivery_cpu_us_per_delivery",
         seen.events ? (server_cpu - store_cpu) * 1e6 / static_cast<double>(seen.events) : 0.0},
        {"server_store_cpu_us_per_point",
         published.points_ok ? store_cpu * 1e6 / static_cast<double>(published.points_ok) : 0.0},
        {"server_rss_bytes", server_after.rss_bytes},
        {"loadgen_cpu_seconds", self_cpu},
        {"other_processes_cores", others_cores},
        {"bytes_per_event",
         seen.events ? static_cast<double>(seen.bytes) / static_cast<double>(seen.events) : 0.0},
        // The same without the load generator's t0/tn attributes (and, compact, the nulls that pad up to
        // them): what an event of a device that sends no attributes costs on the wire.
        {"bytes_per_event_untagged",
         seen.events ? static_cast<double>(seen.bytes - std::min(seen.bytes, seen.tag_bytes)) /
                           static_cast<double>(seen.events)
                     : 0.0},
        {"events_per_frame",
         seen.frames ? static_cast<double>(seen.events) / static_cast<double>(seen.frames) : 0.0},
        {"passed", failed_because.empty()}};
    if (!failed_because.empty()) step["failed_because"] = failed_because;
    progress(
        "step %.0f deliveries/s: %.0f delivered/s arrival p50 %llu us p99 %llu us p99.9 %llu us (read p99 "
        "%llu us) lost %llu cpu %.2f us/delivery %.1f bytes/event, others %.2f cores%s%s",
        target, deliveries_per_second, static_cast<unsigned long long>(seen.arrival.quantile(0.5)),
        static_cast<unsigned long long>(p99), static_cast<unsigned long long>(seen.arrival.quantile(0.999)),
        static_cast<unsigned long long>(seen.latency.quantile(0.99)), static_cast<unsigned long long>(lost),
        seen.events ? server_cpu * 1e6 / static_cast<double>(seen.events) : 0.0,
        seen.events ? static_cast<double>(seen.bytes) / static_cast<double>(seen.events) : 0.0, others_cores,
        failed_because.empty() ? "" : " FAIL: ", failed_because.c_str());
    return step;
  };

  for (double target : s.rates) {
    std::vector<boost::json::object> trials;
    for (int r = 0; r < s.repeat; ++r) trials.push_back(run_trial(target));
    boost::json::object step = combine_trials(std::move(trials));
    const bool passed = step.at("passed").as_bool();
    if (s.repeat > 1) {
      progress(
          "step %.0f deliveries/s over %d trials: median %.0f delivered/s, arrival p99 %.0f us, cpu %.3f "
          "us/delivery: %s",
          target, s.repeat, step.at("deliveries_per_s").as_double(),
          step.at("arrival_latency").at("p99_us").to_number<double>(),
          step.at("server_cpu_us_per_delivery").as_double(), passed ? "passed" : "FAILED");
    }
    const double deliveries_per_second = step.at("deliveries_per_s").as_double();
    if (passed && deliveries_per_second > best_deliveries) {
      best_deliveries = deliveries_per_second;
      best_step = step;
    }
    steps.push_back(std::move(step));
    if (!passed && s.slow_fraction == 0 && !s.keep_going) break;
  }
  result["steps"] = std::move(steps);
  result["max_deliveries_per_s"] = best_deliveries;
  result["best_step"] = best_step;
  result["server_rss_start_bytes"] = server_start.rss_bytes;
  result["server_rss_max_bytes"] = rss_max;

  if (slow_count > 0) {
    // What did the server keep for the consumers that stopped reading? Let them read again and see:
    // everything (unbounded buffering), the newest event per device (coalescing), or a 1013 close.
    const ProcessSample before_resume = sample_process(ctx.server_pid);
    const double stalled_seconds = static_cast<double>(mono_us() - stall_started) / 1e6;
    result["server_rss_growth_bytes_per_s"] =
        (static_cast<double>(before_resume.rss_bytes) - static_cast<double>(server_start.rss_bytes)) /
        stalled_seconds;
    pool.resume_slow_consumers();
    std::this_thread::sleep_for(3s);
    const ViewerTotals slow = pool.slow_consumers();
    result["slow_consumer_events_after_resume"] = slow.events;
    result["slow_consumer_seq_gaps"] = slow.seq_gaps;
  }
  boost::json::object closes;
  for (const auto& [why, n] : pool.close_reasons()) closes[why] = n;
  result["closed_after_ready"] = pool.closed_after_ready();
  result["close_reasons"] = closes;
  return result;
}

}  // namespace loadgen
