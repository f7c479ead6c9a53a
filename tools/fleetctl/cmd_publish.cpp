// fleetctl publish: send one point (from flags) or a JSON file of points as a device.
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "commands.hpp"

namespace fleetctl {
namespace {

constexpr FlagSpec kFlags[] = {
    {"key", "K", "device key (default $FLEET_DEVICE_KEY)"},
    {"lat", "DEG", "latitude, -90..90"},
    {"lon", "DEG", "longitude, -180..180"},
    {"ts", "MS|RFC3339", "device time (default now)"},
    {"speed", "KPH", "speed in km/h"},
    {"heading", "DEG", "heading, 0..360"},
    {"altitude", "M", "altitude in metres"},
    {"accuracy", "M", "accuracy in metres"},
    {"battery", "PCT", "battery level, 0..100"},
    {"file", "PATH", "send this JSON file (one point or an array) instead; - reads stdin"},
};

fleet::Result<std::string> read_file(const std::string& path) {
  std::ostringstream out;
  if (path == "-") {
    out << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return fleet::Error::make(fleet::ErrorCode::bad_request, "cannot read " + path);
    out << in.rdbuf();
  }
  return out.str();
}

fleet::Result<std::string> point_from_flags(const Args& args) {
  namespace json = boost::json;
  if (!args.has("lat") || !args.has("lon")) {
    return fleet::Error::make(fleet::ErrorCode::bad_request,
                              "publish: --lat and --lon (or --file) are required");
  }
  json::object p;
  if (auto ts = args.get("ts")) {
    auto n = args.integer("ts");
    if (n) {
      p["ts"] = **n;
    } else {
      p["ts"] = *ts;  // an RFC 3339 string; the server validates it
    }
  } else {
    p["ts"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  }
  struct Field {
    const char* flag;
    const char* member;
  };
  for (Field f : {Field{"lat", "lat"}, Field{"lon", "lon"}, Field{"speed", "speed_kph"},
                  Field{"heading", "heading_deg"}, Field{"altitude", "altitude_m"},
                  Field{"accuracy", "accuracy_m"}, Field{"battery", "battery_pct"}}) {
    auto v = args.number(f.flag);
    if (!v) return v.error();
    if (*v) p[f.member] = **v;
  }
  return json::serialize(p);
}

int run(const Args& args) {
  auto key = flag_or_env(args, "key", "FLEET_DEVICE_KEY");
  if (!key || key->empty()) return usage_error("publish: --key (or $FLEET_DEVICE_KEY) is required");
  if (args.has("file")) {
    // The file holds whole points: a flag beside it would be silently ignored.
    for (const FlagSpec& f : kFlags) {
      if (f.name != "key" && f.name != "file" && args.has(f.name)) {
        return usage_error("publish: --" + std::string(f.name) + " cannot be combined with --file");
      }
    }
  }
  auto body = args.has("file") ? read_file(*args.get("file")) : point_from_flags(args);
  if (!body) return usage_error(body.error().message);
  auto res = call(args, "POST", "/api/v1/telemetry", *key, *body);
  if (!res) return kExitFailure;
  if (!res->ok()) return report_http_error(*res);
  print_body(res->body);
  return kExitOk;
}

}  // namespace

const Command kPublishCommand{
    "publish", "publish [--key K] --lat DEG --lon DEG [--speed KPH ...] | --file points.json",
    "Send telemetry as a device (POST /api/v1/telemetry) and print the answer; non-zero exit on non-2xx.",
    kFlags, run};

}  // namespace fleetctl
