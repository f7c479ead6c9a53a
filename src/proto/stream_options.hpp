#pragma once
// How a session wants its stream shaped (docs/protocol.md, "Stream options"): the telemetry encoding,
// the longest the server may hold an event to send it with later ones, and whether it may coalesce
// newest-per-device at each flush. Fixed at the session's start.
#include <cstdint>
#include <optional>
#include <string_view>

namespace fleet::proto {

enum class Format : std::uint8_t { json, compact };

struct StreamOptions {
  Format format = Format::json;
  std::uint32_t flush_ms = 0;
  bool coalesce = false;

  friend bool operator==(const StreamOptions&, const StreamOptions&) = default;
};

inline constexpr std::uint32_t kMaxFlushMs = 1000;

// The query forms (`format=compact`, `flush_ms=50`, `coalesce=1`); nullopt when malformed.
std::optional<Format> parse_format(std::string_view s) noexcept;
std::optional<std::uint32_t> parse_flush_ms(std::string_view digits) noexcept;
std::optional<bool> parse_coalesce(std::string_view s) noexcept;

std::string_view format_name(Format f) noexcept;

}  // namespace fleet::proto
