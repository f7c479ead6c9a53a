#pragma once
// Minimal append-only JSON writer for the hot path: no DOM, no allocation beyond the output string.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

namespace fleet::proto {

// Appends s (valid UTF-8) as a JSON string literal, escaped exactly as boost::json::serialize does: ", \,
// the short escapes \b \f \n \r \t, other control characters as \u00xx, everything else verbatim.
void append_json_string(std::string& out, std::string_view s);

// Appends a finite double in shortest round-trip form (callers guarantee finiteness).
inline void append_json_number(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, ec == std::errc{} ? end : buf);
}

inline void append_json_number(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

inline void append_json_number(std::string& out, std::uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace fleet::proto
