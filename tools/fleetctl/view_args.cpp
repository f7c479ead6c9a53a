#include "view_args.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <type_traits>

#include "proto/json_writer.hpp"

namespace fleetctl {
namespace {

fleet::Error usage(std::string msg) {
  return fleet::Error::make(fleet::ErrorCode::bad_request, std::move(msg));
}

std::optional<double> parse_number(std::string_view s) {
  double d = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

fleet::Result<fleet::GeoBox> parse_box(const std::string& text) {
  const auto bad = [&](const std::string& why) {
    return usage("--bbox must be W,S,E,N in degrees (" + why + "), got \"" + text + "\"");
  };
  double c[4];
  std::string_view rest = text;
  for (std::size_t i = 0; i < 4; ++i) {
    const auto comma = rest.find(',');
    if ((i < 3) != (comma != std::string_view::npos)) return bad("four numbers");
    const std::string_view part = rest.substr(0, comma);
    auto n = parse_number(part);
    if (!n) return bad("\"" + std::string(part) + "\" is not a number");
    c[i] = *n;
    rest = i < 3 ? rest.substr(comma + 1) : std::string_view();
  }
  const fleet::GeoBox box{c[0], c[1], c[2], c[3]};
  fleet::View one;
  one.boxes.push_back(box);
  if (auto why = fleet::validate(one); !why.empty()) {
    // "box 1: south 2 is above north 1" -> "south 2 is above north 1"
    return bad(why.substr(why.find(": ") + 2));
  }
  return box;
}

void append_ids(std::string& out, std::string_view key, const auto& ids) {
  out += ",\"";
  out += key;
  out += "\":[";
  bool first = true;
  for (const auto& id : ids) {
    if (!first) out += ',';
    first = false;
    if constexpr (std::is_same_v<std::decay_t<decltype(id)>, fleet::DeviceId>) {
      fleet::proto::append_json_string(out, id.str());
    } else {
      fleet::proto::append_json_string(out, id);
    }
  }
  out += ']';
}

}  // namespace

fleet::Result<std::optional<fleet::View>> view_from_args(const Args& args) {
  fleet::View v;
  for (const std::string& b : args.all("bbox")) {
    auto box = parse_box(b);
    if (!box) return box.error();
    v.boxes.push_back(*box);
  }
  for (const std::string& d : args.all("device")) v.devices.emplace_back(d);
  v.groups = args.all("group");
  auto interval = args.integer("min-interval-ms");
  if (!interval) return interval.error();
  if (*interval) {
    const long long ms = **interval;
    if (ms != 0 && (ms < fleet::proto::kMinViewIntervalMs || ms > fleet::proto::kMaxViewIntervalMs))
      return usage("--min-interval-ms must be 0 or 100..10000, got " + std::to_string(ms));
    v.min_interval_ms = static_cast<std::uint32_t>(ms);
  }
  if (!args.has("bbox") && !args.has("device") && !args.has("group") && !args.has("min-interval-ms")) {
    return std::optional<fleet::View>{};
  }
  if (auto why = fleet::validate(v); !why.empty()) {
    // Ids and counts: say which flag ("not a device id: ..." names it already).
    std::string flag = why.find("box") != std::string::npos      ? "--bbox"
                       : why.find("device") != std::string::npos ? "--device"
                                                                 : "--group";
    return usage(flag + ": " + why);
  }
  return std::optional<fleet::View>(std::move(v));
}

// {"type":"view_applied","view":7,"unknown":[...]}: the snapshot printed just before answered view 7.
std::string view_applied_line(std::uint64_t id, const std::vector<std::string>& unknown) {
  std::string out = R"({"type":"view_applied","view":)";
  fleet::proto::append_json_number(out, id);
  append_ids(out, "unknown", unknown);
  return out + '}';
}

// {"type":"view_change","view":7,"entered":[...],"left":[...]}, as on the wire.
std::string view_change_line(const fleet::proto::ViewChangeMessage& m) {
  std::string out = R"({"type":"view_change","view":)";
  fleet::proto::append_json_number(out, m.view);
  append_ids(out, "entered", m.entered);
  append_ids(out, "left", m.left);
  return out + '}';
}

}  // namespace fleetctl
