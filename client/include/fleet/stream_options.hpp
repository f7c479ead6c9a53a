#pragma once
// What a client asks of its stream (docs/protocol.md, "Stream options"): the telemetry encoding, the
// longest the server may hold an event to batch it with later ones, and newest-per-device coalescing.
// Each is sent only when set, in the first `auth` message of every connection (or as query parameters when
// the token travels in the URL); a client that sets none gets, and sends, exactly the stream of a client
// that knows no options. The server fixes them for the session; hello echoes them.
#include <cstdint>
#include <optional>
#include <string>

namespace fleet {

enum class StreamFormat : std::uint8_t {
  json,     // `telemetry` frames of event objects (the default)
  compact,  // `tc` frames of event arrays naming devices by per-connection indexes
            // (fleet/compact_decoder.hpp)
};

struct StreamOptions {
  std::optional<StreamFormat> format;
  std::optional<std::uint32_t> flush_ms;  // 0..kMaxFlushMs
  std::optional<bool> coalesce;

  bool any() const noexcept { return format || flush_ms || coalesce; }
  friend bool operator==(const StreamOptions&, const StreamOptions&) = default;
};

inline constexpr std::uint32_t kMaxFlushMs = 1000;

// Empty when the options are acceptable to the server, else what is wrong with them.
std::string validate(const StreamOptions& o);

const char* to_string(StreamFormat f) noexcept;

}  // namespace fleet
