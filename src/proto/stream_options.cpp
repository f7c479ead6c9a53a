#include "proto/stream_options.hpp"

namespace fleet::proto {

std::optional<Format> parse_format(std::string_view s) noexcept {
  if (s == "json") return Format::json;
  if (s == "compact") return Format::compact;
  return std::nullopt;
}

std::optional<std::uint32_t> parse_flush_ms(std::string_view digits) noexcept {
  if (digits.empty() || digits.size() > 4) return std::nullopt;
  std::uint32_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (v > kMaxFlushMs) return std::nullopt;
  return v;
}

std::optional<bool> parse_coalesce(std::string_view s) noexcept {
  if (s == "1" || s == "true") return true;
  if (s == "0" || s == "false") return false;
  return std::nullopt;
}

std::string_view format_name(Format f) noexcept { return f == Format::compact ? "compact" : "json"; }

}  // namespace fleet::proto
