#pragma once
// The load generator's view of telemetry on the wire: ingest bodies it sends, and the few fields it reads
// back from `telemetry` frames (JSON) and `tc` frames (compact encoding, docs/protocol.md "Stream options").
// Every point carries attributes {"t0": send time in us, "tn": tenant index} so a viewer can measure publish
// -> deliver latency and check it only sees its own tenant.
#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

// Where a device stays: its points wander at most kHomeWander degrees from here in latitude and longitude.
struct Home {
  double lat = 0;
  double lon = 0;
};
inline constexpr double kHomeWander = 0.0016;

// A JSON array of `count` points for one device, all stamped with send time `t0_us` (monotonic us). Without
// a home the device drives around Paris (every device the same way); with one it moves around its home.
std::string build_ingest_body(std::size_t count, std::int64_t t0_us, int tenant_index, std::uint64_t sequence,
                              const Home* home = nullptr);

struct TelemetryEvent {
  std::uint64_t seq = 0;
  std::int64_t t0_us = -1;  // -1 when the event carries no t0 (not ours)
  int tenant_index = -1;
  std::int64_t ts_ms = -1;  // device time (ts0 + dt); compact frames only (the JSON scanner skips it)
  // Bytes of the event the load generator's own tags take (the attributes member or element, and in
  // compact the nulls padding up to it): what a device without these attributes would not send.
  std::size_t tag_bytes = 0;
};

// Message type from the top-level "type" member ("hello", "snapshot", "telemetry", ...); empty if none.
std::string_view message_type(std::string_view message) noexcept;

// Position just past the first `needle` in text[from, to), or npos.
std::size_t find_after(std::string_view text, std::string_view needle, std::size_t from,
                       std::size_t to) noexcept;
// Position just past the next `"seq":` at or after `from`, or npos. Finds the key by its 'q' (memchr),
// a letter no other member name or value of a telemetry event contains.
std::size_t find_seq(std::string_view text, std::size_t from) noexcept;
// Parses an optionally negative decimal integer (at most 18 digits) at `pos`; false if there is none.
bool parse_integer_at(std::string_view text, std::size_t pos, std::int64_t& out) noexcept;
// Value of the first `"name":<integer>` member at or after `from`; advances `from` past the name.
bool scan_integer(std::string_view text, std::string_view quoted_name_colon, std::size_t& from,
                  std::int64_t& out) noexcept;

// Where the next value after `pos` ends: just past the bracket that closes the array or object opening at
// `pos` (strings and their escapes skipped), or npos when the text ends first.
std::size_t close_of(std::string_view text, std::size_t pos) noexcept;
// Position just past the decimal integer at `pos` (optional '-'), or npos when there is none.
std::size_t integer_end(std::string_view text, std::size_t pos) noexcept;
// tag_bytes of a JSON event in text[from, end): `,"attributes":{…}`; 0 when it has none.
std::size_t json_tag_bytes(std::string_view text, std::size_t from, std::size_t end) noexcept;
// tag_bytes of the compact event array text[start, end): its attributes element and the nulls before it.
std::size_t compact_tag_bytes(std::string_view text, std::size_t start, std::size_t end) noexcept;

// Calls on_event(const TelemetryEvent&) for each event of a telemetry frame, in order. Scans for the
// members the load generator put there instead of parsing the whole document: this is the hot path of
// a viewer, and the load generator shares the CPUs with the server it measures.
template <class F>
void for_each_event(std::string_view frame, F&& on_event) {
  constexpr std::string_view kT0 = "\"t0\":", kTn = "\"tn\":";
  constexpr std::size_t kTail = 96;  // attributes come last in both servers' events: look there first
  std::size_t pos = find_after(frame, "\"events\":[", 0, frame.size());
  if (pos == std::string_view::npos) return;
  pos = find_seq(frame, pos);
  while (pos != std::string_view::npos) {
    TelemetryEvent e;
    std::int64_t value = 0;
    if (!parse_integer_at(frame, pos, value)) return;
    e.seq = static_cast<std::uint64_t>(value);
    // The members of one event end where the next "seq" begins; t0 and tn live in its attributes.
    const std::size_t next = find_seq(frame, pos);
    const std::size_t end = next == std::string_view::npos ? frame.size() : next;
    const std::size_t tail = end - pos > kTail ? end - kTail : pos;
    std::size_t at = find_after(frame, kT0, tail, end);
    if (at == std::string_view::npos) at = find_after(frame, kT0, pos, end);
    if (at != std::string_view::npos && parse_integer_at(frame, at, value)) {
      e.t0_us = value;
      e.tag_bytes = json_tag_bytes(frame, tail, end);
      if (e.tag_bytes == 0) e.tag_bytes = json_tag_bytes(frame, pos, end);
    }
    at = find_after(frame, kTn, tail, end);
    if (at == std::string_view::npos) at = find_after(frame, kTn, pos, end);
    if (at != std::string_view::npos && parse_integer_at(frame, at, value))
      e.tenant_index = static_cast<int>(value);
    on_event(e);
    pos = next;
  }
}

// The same for a compact `tc` frame: {"type":"tc","skipped"?:N,"chunks":[[seq0,ts0,[o,dt,i,lat_e6,lon_e6,
// ...,attributes]...]...]}. seq = seq0 + o, ts = ts0 + dt; t0 and tn are read from the event's attributes
// (its last element). Walks the arrays once, reading three integers per event and skipping the rest; stops
// quietly at anything it does not expect (the frame is then counted short, which shows up as loss).
template <class F>
void for_each_compact_event(std::string_view frame, F&& on_event) {
  constexpr std::string_view kT0 = "\"t0\":", kTn = "\"tn\":";
  const auto at = [&](std::size_t p, char c) { return p < frame.size() && frame[p] == c; };
  std::size_t pos = find_after(frame, "\"chunks\":[", 0, frame.size());
  while (pos != std::string_view::npos && at(pos, '[')) {  // a chunk
    std::int64_t seq0 = 0, ts0 = 0;
    if (!parse_integer_at(frame, pos + 1, seq0)) return;
    pos = integer_end(frame, pos + 1);
    if (!at(pos, ',') || !parse_integer_at(frame, pos + 1, ts0)) return;
    pos = integer_end(frame, pos + 1);
    while (at(pos, ',') && at(pos + 1, '[')) {  // an event
      const std::size_t start = pos + 1;
      const std::size_t end = close_of(frame, start);
      if (end == std::string_view::npos) return;
      TelemetryEvent e;
      std::int64_t value = 0;
      if (!parse_integer_at(frame, start + 1, value)) return;
      e.seq = static_cast<std::uint64_t>(seq0 + value);
      std::size_t p = integer_end(frame, start + 1);
      if (at(p, ',') && parse_integer_at(frame, p + 1, value)) e.ts_ms = ts0 + value;
      std::size_t a = find_after(frame, kT0, start, end);
      if (a != std::string_view::npos && parse_integer_at(frame, a, value)) {
        e.t0_us = value;
        e.tag_bytes = compact_tag_bytes(frame, start, end);
      }
      a = find_after(frame, kTn, start, end);
      if (a != std::string_view::npos && parse_integer_at(frame, a, value))
        e.tenant_index = static_cast<int>(value);
      on_event(e);
      pos = end;
    }
    if (!at(pos, ']')) return;  // the chunk's end
    ++pos;
    if (at(pos, ',')) ++pos;
  }
}

}  // namespace loadgen
