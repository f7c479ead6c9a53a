#include "telemetry_wire.hpp"

#include <charconv>
#include <cstring>

#include "clock.hpp"

namespace loadgen {

std::string build_ingest_body(std::size_t count, std::int64_t t0_us, int tenant_index, std::uint64_t sequence,
                              const Home* home) {
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
    if (home) {
      // Nine steps of 0.0004 degrees either way: always within kHomeWander of home.
      lat = home->lat + static_cast<double>(static_cast<int>(step % 9) - 4) * (kHomeWander / 4);
      lon = home->lon + static_cast<double>(static_cast<int>((step / 3) % 9) - 4) * (kHomeWander / 4);
    }
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

bool scan_integer(std::string_view text, std::string_view quoted_name_colon, std::size_t& from,
                  std::int64_t& out) noexcept {
  const std::size_t at = find_after(text, quoted_name_colon, from, text.size());
  if (at == std::string_view::npos || !parse_integer_at(text, at, out)) return false;
  from = at;
  return true;
}

std::size_t find_after(std::string_view text, std::string_view needle, std::size_t from,
                       std::size_t to) noexcept {
  if (from >= to) return std::string_view::npos;
  const void* hit = memmem(text.data() + from, to - from, needle.data(), needle.size());
  if (hit == nullptr) return std::string_view::npos;
  return static_cast<std::size_t>(static_cast<const char*>(hit) - text.data()) + needle.size();
}

std::size_t find_seq(std::string_view text, std::size_t from) noexcept {
  constexpr std::string_view kKey = "\"seq\":";
  while (from < text.size()) {
    const void* hit = std::memchr(text.data() + from, 'q', text.size() - from);
    if (hit == nullptr) return std::string_view::npos;
    const auto q = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
    if (q >= 3 && text.substr(q - 3, kKey.size()) == kKey) return q - 3 + kKey.size();
    from = q + 1;
  }
  return std::string_view::npos;
}

std::size_t close_of(std::string_view text, std::size_t pos) noexcept {
  int depth = 0;
  for (; pos < text.size(); ++pos) {
    switch (text[pos]) {
      case '[':
      case '{': ++depth; break;
      case ']':
      case '}':
        if (--depth == 0) return pos + 1;
        break;
      case '"':
        for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
          if (text[pos] == '\\') ++pos;
        }
        break;
      default: break;
    }
  }
  return std::string_view::npos;
}

std::size_t integer_end(std::string_view text, std::size_t pos) noexcept {
  if (pos < text.size() && text[pos] == '-') ++pos;
  const std::size_t first = pos;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
  return pos == first ? std::string_view::npos : pos;
}

std::size_t json_tag_bytes(std::string_view text, std::size_t from, std::size_t end) noexcept {
  const std::size_t brace = find_after(text, ",\"attributes\":{", from, end);
  if (brace == std::string_view::npos) return 0;
  const std::size_t first = brace - std::string_view(",\"attributes\":{").size();
  const std::size_t close = close_of(text.substr(0, end), brace - 1);
  return close == std::string_view::npos ? 0 : close - first;
}

std::size_t compact_tag_bytes(std::string_view text, std::size_t start, std::size_t end) noexcept {
  const void* hit = std::memchr(text.data() + start, '{', end - start);
  if (hit == nullptr) return 0;
  const auto brace = static_cast<std::size_t>(static_cast<const char*>(hit) - text.data());
  constexpr std::string_view kNull = ",null";
  std::size_t first = brace - 1;  // the comma before the attributes
  while (first - start >= kNull.size() && text.substr(first - kNull.size(), kNull.size()) == kNull)
    first -= kNull.size();
  const std::size_t close = close_of(text.substr(0, end), brace);
  return close == std::string_view::npos ? 0 : close - first;
}

bool parse_integer_at(std::string_view text, std::size_t pos, std::int64_t& out) noexcept {
  while (pos < text.size() && text[pos] == ' ') ++pos;
  bool negative = pos < text.size() && text[pos] == '-';
  if (negative) ++pos;
  std::int64_t value = 0;
  std::size_t digits = 0;
  for (; pos < text.size() && text[pos] >= '0' && text[pos] <= '9' && digits < 18; ++pos, ++digits) {
    value = value * 10 + (text[pos] - '0');
  }
  if (digits == 0) return false;
  out = negative ? -value : value;
  return true;
}

}  // namespace loadgen
