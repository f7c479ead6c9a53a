#pragma once
// The load generator's view of a protocol 2 session (docs/protocol.md): the `auth` message it sends (first
// message, refresh, resume) and the few `hello` members it reads back. Pure functions: no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace loadgen {

// Where a resuming viewer left off: the last seq it applied and the epoch of the hello it came from.
struct ResumePoint {
  std::uint64_t since = 0;
  std::string epoch;
};

// How a session asks its stream to be shaped (docs/protocol.md "Stream options"): sent in the first auth
// message only, and only the options that were set (nothing set = exactly today's JSON stream).
struct StreamOptions {
  std::string format;           // "json" | "compact"; empty = not sent
  std::optional<int> flush_ms;  // 0..1000; not sent when empty
  bool coalesce = false;        // newest event per device per flush; sent only when true
  bool any() const noexcept { return !format.empty() || flush_ms.has_value() || coalesce; }
};

// {"type":"auth","token":"<token>"} or, resuming, {"type":"auth","token":"…","since":N,"epoch":"…"}, then
// the stream options that were set ("format", "flush_ms", "coalesce").
// Strings are JSON-escaped (a JWT and an epoch never need it; the message must be valid whatever they hold).
std::string auth_message(std::string_view token, const ResumePoint* resume = nullptr,
                         const StreamOptions* stream = nullptr);

struct HelloInfo {
  std::uint64_t seq = 0;
  std::string epoch;              // empty when the server sent none (protocol 1 servers, the baseline)
  std::optional<bool> recovered;  // present only when the client asked to resume
  std::string format;             // the echoed stream format; empty when hello echoed no options
};

// Reads seq, epoch, recovered and the echoed format from a hello message; nullopt when it is no hello or has
// no seq.
std::optional<HelloInfo> parse_hello(std::string_view message);

}  // namespace loadgen
