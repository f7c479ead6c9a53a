#include "telemetry_wire.hpp"

#include <charconv>

#include "clock.hpp"

namespace loadgen {

std::string build_ingest_body(std::size_t count, std::int64_t t0_us, int tenant_index, std::uint64_t sequence) {
  const std::int64_t ts = wall_ms();
  std::string body;
  body.reserve(count * 140 + 2);
  body += '[';
  char num[32];
  for (std::size_t i = 0; i < count; ++i) {
    if (i) body += ',';
    // A device driving around Paris: positions move a little with every point.
    std::uint64_t step = sequence * count + i;
    double lat = 48.80 + static_cast<double>(step % 10000) * 1e-5;
    double lon = 2.30 + static_cast<double>((step / 7) % 10000) * 1e-5;
    body += "{\"ts\":";
    body += std::to_string(ts);
    body += ",\"lat\":";
    body.append(num, std::to_chars(num, num + sizeof num, lat).ptr);
    body += ",\"lon\":";
    body.append(num, std::to_chars(num, num + sizeof num, lon).ptr);
    body += ",\"speed_kph\":42.5,\"heading_deg\":";
    body += std::to_string(step % 360);
    body += ",\"attributes\":{\"t0\":";
    body += std::to_string(t0_us);
    body += ",\"tn\":";
    body += std::to_string(tenant_index);
    body += "}}";
  }
  body += ']';
  return body;
}

std::string_view message_type(std::string_view message) noexcept {
  constexpr std::string_view key = "\"type\":\"";
  auto pos = message.find(key);
  if (pos == std::string_view::npos) return {};
  pos += key.size();
  auto end = message.find('"', pos);
  if (end == std::string_view::npos) return {};
  return message.substr(pos, end - pos);
}

bool scan_number(std::string_view text, std::string_view quoted_name_colon, std::size_t& from, double& out) noexcept {
  auto pos = text.find(quoted_name_colon, from);
  if (pos == std::string_view::npos) return false;
  pos += quoted_name_colon.size();
  while (pos < text.size() && text[pos] == ' ') ++pos;
  auto [end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), out);
  if (ec != std::errc{}) return false;
  from = static_cast<std::size_t>(end - text.data());
  return true;
}

bool scan_integer(std::string_view text, std::string_view quoted_name_colon, std::size_t& from,
                  std::int64_t& out) noexcept {
  double value = 0;
  if (!scan_number(text, quoted_name_colon, from, value)) return false;
  out = static_cast<std::int64_t>(value);
  return true;
}

}  // namespace loadgen
