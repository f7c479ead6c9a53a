// fleet_loadgen: load generator for the Fleet Live benchmarks (docs/benchmarks.md).
//
//   fleet_loadgen <fanout|idle|handshake|ingest|refresh|storm> --url http://127.0.0.1:PORT --private-key
//   KEY.pem
//                 [--server-pid PID] [--out FILE.json] [scenario options]
//   fleet_loadgen floor [--out FILE.json] [scenario options]      (no server)
//
// Prints the scenario's results as one JSON object on stdout (and to --out when given); progress on stderr.
#include <cstdarg>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include <boost/json/serialize.hpp>

#include "clock.hpp"
#include "net.hpp"
#include "options.hpp"
#include "scenarios.hpp"

namespace loadgen {

void progress(const char* fmt, ...) {
  char line[512];
  va_list args;
  va_start(args, fmt);
  std::vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  std::fprintf(stderr, "loadgen: %s\n", line);
}

boost::json::object process_delta(const ProcessSample& before, const ProcessSample& after, double seconds) {
  if (!before.valid || !after.valid) return {};
  double cpu = after.cpu_seconds - before.cpu_seconds;
  return {{"cpu_seconds", cpu},
          {"cpu_cores", seconds > 0 ? cpu / seconds : 0.0},
          {"rss_before_bytes", before.rss_bytes},
          {"rss_after_bytes", after.rss_bytes}};
}

namespace {

constexpr const char* kUsage =
    "usage: fleet_loadgen <fanout|idle|handshake|ingest|refresh|storm|views> --url "
    "http://127.0.0.1:PORT[,...] "
    "--private-key KEY.pem\n"
    "         [--server-pid PID] [--out FILE] [--source-ips 32] [--issuer ISS] [--kid KID]\n"
    "         (several URLs, the nodes of a cluster: ingest and fanout spread viewers and posts over them)\n"
    "       fleet_loadgen floor [--out FILE]   (no server: the machine's loopback send + receive floor)\n"
    "  fanout:    --viewers 1000 --tenants 10 --devices-per-tenant 10 --batch 10 --connections 32\n"
    "             --rates 50000,100000,... (deliveries/s) --step-seconds 5 --p99-limit-ms 10 --threads 1\n"
    "             [--slow-fraction 0.1]   (slow consumers: run the rates with 10% of viewers not reading)\n"
    "  idle:      --viewers 19000 --tenants 100 --settle-seconds 3\n"
    "  handshake: --count 20000 --concurrency 128 --tenants 10 --threads 1\n"
    "  ingest:    --batches 1,100 --connections 32 --seconds 10 --tenants 10 --devices-per-tenant 10\n"
    "  refresh:   --viewers 200 --devices 1000 --rounds 5 --refreshes 4 --in-flight 0 (0: all at once) "
    "--threads 1\n"
    "  storm:     --restart-cmd CMD --viewers 10000 --tenants 10 --devices-per-tenant 1000 --ingest-rate 50\n"
    "             --batch 5 --connections 4 --modes resume,plain --settle-seconds 3 --storm-in-flight 0 "
    "--threads 1\n"
    "  views:     --devices 10000 --viewers 1000 --view-devices 100 --rate 10000 (points/s) --seconds 10\n"
    "             --batch 10 --connections 16 --format compact --flush-ms 50 --coalesce false --threads 1\n"
    "  floor:     --pairs 1000 --frame-bytes 1910 --events-per-frame 10 --seconds 3\n";

// The server scenarios' context: the server's address and the key their tokens are signed with.
Context server_context(const Options& options) {
  TokenSettings token_settings;
  token_settings.issuer = options.str("issuer", token_settings.issuer);
  token_settings.key_id = options.str("kid", token_settings.key_id);
  std::vector<Endpoint> servers = parse_endpoints(options.required("url"));
  Endpoint first = servers.front();
  return Context{options,
                 std::move(first),
                 SourceAddresses(static_cast<int>(options.integer("source-ips", 32))),
                 TokenMinter(options.required("private-key"), token_settings),
                 static_cast<pid_t>(options.integer("server-pid", 0)),
                 std::move(servers)};
}

int run(int argc, char** argv) {
  Options options(argc, argv);
  const std::string out_path = options.str("out", "");
  const auto file_limit = raise_file_limit();

  boost::json::object result;
  const std::string& scenario = options.scenario();
  if (scenario == "floor") {
    result = run_floor(options);  // no server: no --url, key or tokens
  } else if (scenario == "fanout") {
    result = run_fanout(server_context(options));
  } else if (scenario == "idle") {
    result = run_idle(server_context(options));
  } else if (scenario == "handshake") {
    result = run_handshake(server_context(options));
  } else if (scenario == "ingest") {
    result = run_ingest(server_context(options));
  } else if (scenario == "refresh") {
    result = run_refresh(server_context(options));
  } else if (scenario == "storm") {
    result = run_storm(server_context(options));
  } else if (scenario == "views") {
    result = run_views(server_context(options));
  } else {
    throw std::invalid_argument("unknown scenario " + scenario);
  }
  result["scenario"] = scenario;
  result["loadgen_file_limit"] = file_limit;
  if (auto unused = options.unused(); !unused.empty()) {
    for (const auto& name : unused) progress("warning: option --%s was not used", name.c_str());
  }

  const std::string text = boost::json::serialize(result);
  std::cout << text << std::endl;
  if (!out_path.empty()) {
    std::ofstream(out_path) << text << '\n';
  }
  return 0;
}

}  // namespace
}  // namespace loadgen

int main(int argc, char** argv) {
  try {
    return loadgen::run(argc, argv);
  } catch (const std::invalid_argument& e) {
    std::cerr << "fleet_loadgen: " << e.what() << "\n" << loadgen::kUsage;
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fleet_loadgen: " << e.what() << "\n";
    return 1;
  }
}
