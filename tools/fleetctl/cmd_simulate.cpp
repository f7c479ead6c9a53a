// fleetctl simulate: create N devices (or reuse their keys) and drive them around a city, each vehicle
// posting its own points (a device key belongs to one device, so points cannot be batched across
// vehicles). A few worker threads share the vehicles, each over one keep-alive connection.
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "fleet/endpoint.hpp"
#include "proto/json_writer.hpp"
#include "sim_keys.hpp"
#include "sim_vehicle.hpp"
#include "stop_signal.hpp"

namespace fleetctl {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr FlagSpec kFlags[] = {
    {"token", "T", "admin user token for creating devices (default $FLEET_TOKEN)"},
    {"vehicles", "N", "number of vehicles (default 5)"},
    {"rate", "HZ", "points per second per vehicle (default 1)"},
    {"city", "NAME", "paris (default), berlin, london, nyc, sf, tokyo, madrid or sydney (any case)"},
    {"duration", "SECONDS", "stop after this long (default: until SIGINT/SIGTERM)"},
    {"keys-file", "PATH", "reuse device keys from this JSON file; devices created now are added to it"},
    {"connections", "N", "parallel HTTP connections (default min(vehicles, 4))"},
    {"name-prefix", "P", "name of created devices: P1, P2, ... (default \"sim-\")"},
    {"seed", "N", "random seed for the routes (default: random)"},
};

struct Stats {
  std::atomic<long long> sent{0};
  std::atomic<long long> errors{0};
  std::mutex err_mu;
  int errors_printed = 0;

  void error(const std::string& what) {
    ++errors;
    std::lock_guard lock(err_mu);
    // Enough to diagnose (bad key, server down) without flooding the terminal at 100s of points/s.
    if (errors_printed < 5) {
      std::cerr << "fleetctl: simulate: " << what << '\n';
      if (++errors_printed == 5) std::cerr << "fleetctl: simulate: further errors are only counted\n";
    }
  }
};

std::optional<SimDevice> create_device(fleet::http::Connection& conn, const std::string& token,
                                       const std::string& name) {
  auto res = conn.request("POST", "/api/v1/devices", token, json::serialize(json::object{{"name", name}}));
  if (!res) {
    failure("creating device " + name + ": " + res.error().message);
    return std::nullopt;
  }
  if (!res->ok()) {
    report_http_error(*res);
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value v = json::parse(res->body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* key = o ? o->if_contains("key") : nullptr;
  const json::value* dev = o ? o->if_contains("device") : nullptr;
  if (!key || !key->is_string() || !dev || !dev->is_object()) {
    failure("creating device " + name + ": unexpected answer");
    return std::nullopt;
  }
  SimDevice d{"", name, std::string(key->get_string())};
  if (auto* id = dev->get_object().if_contains("id"); id && id->is_string())
    d.id = std::string(id->get_string());
  return d;
}

std::string point_json(const SimVehicle& v, double battery) {
  const auto ts = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  auto round_to = [](double x, double scale) { return std::round(x * scale) / scale; };
  const LatLon p = v.position();
  std::string out = R"({"ts":)";
  fleet::proto::append_json_number(out, std::int64_t{ts});
  out += R"(,"lat":)";
  fleet::proto::append_json_number(out, round_to(p.lat, 1e6));
  out += R"(,"lon":)";
  fleet::proto::append_json_number(out, round_to(p.lon, 1e6));
  out += R"(,"speed_kph":)";
  fleet::proto::append_json_number(out, round_to(v.speed_kph(), 10));
  out += R"(,"heading_deg":)";
  fleet::proto::append_json_number(out, std::min(round_to(v.heading_deg(), 10), 359.9));
  out += R"(,"battery_pct":)";
  fleet::proto::append_json_number(out, round_to(battery, 10));
  out += '}';
  return out;
}

struct Vehicle {
  SimDevice device;
  SimVehicle sim;
  double battery;
  Clock::time_point last;
  Clock::time_point due;
};

void worker(const std::string& server, std::vector<Vehicle*> vehicles, Clock::duration period,
            Clock::time_point end, Stats& stats) {
  auto conn = fleet::http::Connection::open(server);
  if (!conn) {
    stats.error(conn.error().message);
    return;
  }
  while (!stop_requested() && Clock::now() < end) {
    auto next = std::min_element(vehicles.begin(), vehicles.end(),
                                 [](const Vehicle* a, const Vehicle* b) { return a->due < b->due; });
    Vehicle& v = **next;
    const auto now = Clock::now();
    if (v.due > now) {
      std::this_thread::sleep_for(std::min<Clock::duration>(v.due - now, 100ms));
      continue;
    }
    v.sim.advance(std::chrono::duration<double>(now - v.last).count());
    v.battery = std::max(5.0, v.battery - std::chrono::duration<double>(now - v.last).count() * 0.005);
    v.last = now;
    // Keep the rate, but never burst to catch up after a slow server: late points are skipped.
    v.due = std::max(v.due + period, now);
    auto res = (*conn)->request("POST", "/api/v1/telemetry", v.device.key, point_json(v.sim, v.battery));
    if (!res) {
      stats.error(v.device.name + ": " + res.error().message);
      std::this_thread::sleep_for(200ms);  // server down: do not spin
    } else if (!res->ok()) {
      std::string what =
          v.device.name + ": HTTP " + std::to_string(res->status) + " " + res->body.substr(0, 200);
      stats.error(what);
    } else {
      ++stats.sent;
    }
  }
}

int run(const Args& args) {
  auto vehicles_n = args.integer("vehicles");
  auto rate = args.number("rate");
  auto duration = args.number("duration");
  auto connections = args.integer("connections");
  auto seed_flag = args.integer("seed");
  if (!vehicles_n) return usage_error(vehicles_n.error().message);
  if (!rate) return usage_error(rate.error().message);
  if (!duration) return usage_error(duration.error().message);
  if (!connections) return usage_error(connections.error().message);
  if (!seed_flag) return usage_error(seed_flag.error().message);
  const long long n = vehicles_n->value_or(5);
  const double hz = rate->value_or(1.0);
  if (n < 1 || n > 100'000) return usage_error("--vehicles must be in 1..100000");
  if (!(hz > 0) || hz > 100) return usage_error("--rate must be in (0, 100]");
  if (duration->value_or(0) < 0) return usage_error("--duration must not be negative (0: until a signal)");
  if (connections->value_or(1) < 1) return usage_error("--connections must be at least 1");
  LatLon centre;
  const std::string city = args.get_or("city", "paris");
  if (!city_centre(city, centre))
    return usage_error("unknown --city " + city + " (known: " + city_names() + ")");

  const std::string server = server_url(args);
  const std::string keys_file = args.get_or("keys-file", "");
  std::vector<SimDevice> devices;
  if (!keys_file.empty()) {
    auto loaded = load_sim_keys(keys_file);
    if (!loaded) return failure(loaded.error().message);
    devices = std::move(*loaded);
  }
  if (devices.size() < static_cast<std::size_t>(n)) {
    auto token = flag_or_env(args, "token", "FLEET_TOKEN");
    if (!token || token->empty()) {
      return usage_error("simulate: --token (admin) is required to create " +
                         std::to_string(static_cast<std::size_t>(n) - devices.size()) + " device(s)");
    }
    auto conn = fleet::http::Connection::open(server);
    if (!conn) return failure(conn.error().message);
    const std::string prefix = args.get_or("name-prefix", "sim-");
    const std::size_t before = devices.size();
    while (devices.size() < static_cast<std::size_t>(n) && !stop_requested()) {
      auto d = create_device(**conn, *token, prefix + std::to_string(devices.size() + 1));
      if (!d) break;
      devices.push_back(std::move(*d));
    }
    if (!keys_file.empty() && devices.size() > before) {
      if (auto saved = save_sim_keys(keys_file, devices); !saved) return failure(saved.error().message);
      std::cerr << "fleetctl: saved " << devices.size() << " device keys to " << keys_file << '\n';
    }
    if (devices.size() < static_cast<std::size_t>(n)) return kExitFailure;  // create_device reported why
    std::cerr << "fleetctl: created " << devices.size() - before << " device(s)\n";
  }
  devices.resize(static_cast<std::size_t>(n));

  const std::uint64_t seed =
      seed_flag->has_value() ? static_cast<std::uint64_t>(**seed_flag) : std::random_device{}();
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / hz));
  const auto start = Clock::now();
  std::vector<std::unique_ptr<Vehicle>> fleet_vehicles;
  std::mt19937_64 rng(seed);
  for (std::size_t i = 0; i < devices.size(); ++i) {
    // Spread the first points over one period so requests do not arrive in bursts.
    const auto offset = std::chrono::duration_cast<Clock::duration>(
        period * (static_cast<double>(i) / static_cast<double>(devices.size())));
    fleet_vehicles.push_back(std::make_unique<Vehicle>(
        Vehicle{devices[i], SimVehicle(centre, rng()), std::uniform_real_distribution<double>(40, 100)(rng),
                start, start + offset}));
  }

  const auto workers_n =
      static_cast<std::size_t>(std::clamp<long long>(connections->value_or(std::min<long long>(n, 4)), 1, n));
  std::vector<std::vector<Vehicle*>> shares(workers_n);
  for (std::size_t i = 0; i < fleet_vehicles.size(); ++i)
    shares[i % workers_n].push_back(fleet_vehicles[i].get());

  const auto end =
      duration->has_value() && **duration > 0
          ? start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(**duration))
          : Clock::time_point::max();
  install_stop_handlers();
  std::cerr << "fleetctl: simulating " << n << " vehicle(s) around " << city << " at " << hz << " Hz over "
            << workers_n << " connection(s); Ctrl-C to stop\n";
  Stats stats;
  std::vector<std::thread> threads;
  threads.reserve(shares.size());
  for (auto& share : shares) threads.emplace_back(worker, server, share, period, end, std::ref(stats));

  auto summary = [&](const char* label) {
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    char line[160];
    std::snprintf(line, sizeof line, "%s t=%.0fs sent=%lld errors=%lld rate=%.1f/s", label, secs,
                  stats.sent.load(), stats.errors.load(),
                  secs > 0 ? static_cast<double>(stats.sent.load()) / secs : 0.0);
    std::cout << line << std::endl;
  };
  auto next_summary = start + 5s;
  while (!stop_requested() && Clock::now() < end) {
    std::this_thread::sleep_for(100ms);
    if (Clock::now() >= next_summary) {
      summary("progress");
      next_summary += 5s;
    }
  }
  for (auto& t : threads) t.join();
  summary("done");
  return stats.sent.load() == 0 && stats.errors.load() > 0 ? kExitFailure : kExitOk;
}

}  // namespace

const Command kSimulateCommand{
    "simulate", "simulate --token T --vehicles N --rate HZ [--city paris] [--duration S] [--keys-file F]",
    "Drive N simulated vehicles around a city, each posting its own telemetry.\n"
    "Creates the devices (or reuses keys from --keys-file); vehicles follow a street grid, each at --rate. "
    "Prints a summary every 5 s; stops on SIGINT/SIGTERM or --duration.",
    kFlags, run};

}  // namespace fleetctl
