#pragma once
// The load generator's view of telemetry on the wire: ingest bodies it sends, and the few fields it reads
// back from `telemetry` frames. Every point carries attributes {"t0": send time in us, "tn": tenant index}
// so a viewer can measure publish -> deliver latency and check it only sees its own tenant.
#include <cstdint>
#include <string>
#include <string_view>

namespace loadgen {

// A JSON array of `count` points for one device, all stamped with send time `t0_us` (monotonic us).
std::string build_ingest_body(std::size_t count, std::int64_t t0_us, int tenant_index, std::uint64_t sequence);

struct TelemetryEvent {
  std::uint64_t seq = 0;
  std::int64_t t0_us = -1;  // -1 when the event carries no t0 (not ours)
  int tenant_index = -1;
};

// Message type from the top-level "type" member ("hello", "snapshot", "telemetry", ...); empty if none.
std::string_view message_type(std::string_view message) noexcept;

// Calls on_event(const TelemetryEvent&) for each event of a telemetry frame, in order. Scans for the
// members the load generator put there instead of parsing the whole document: the hot path of a viewer.
template <class F>
void for_each_event(std::string_view frame, F&& on_event);

// Value of the first `"name":<number>` member at or after `from`; advances `from` past it.
bool scan_number(std::string_view text, std::string_view quoted_name_colon, std::size_t& from, double& out) noexcept;
bool scan_integer(std::string_view text, std::string_view quoted_name_colon, std::size_t& from, std::int64_t& out) noexcept;

template <class F>
void for_each_event(std::string_view frame, F&& on_event) {
  std::size_t pos = frame.find("\"events\":[");
  if (pos == std::string_view::npos) return;
  for (;;) {
    TelemetryEvent e;
    std::int64_t seq = 0;
    if (!scan_integer(frame, "\"seq\":", pos, seq)) return;
    e.seq = static_cast<std::uint64_t>(seq);
    // The members of one event end at the next "seq"; t0 and tn live in its attributes.
    std::size_t next = frame.find("\"seq\":", pos);
    std::string_view event = frame.substr(0, next);
    std::size_t at = pos;
    double t0 = 0;
    if (scan_number(event, "\"t0\":", at, t0)) e.t0_us = static_cast<std::int64_t>(t0);
    at = pos;
    std::int64_t tn = -1;
    if (scan_integer(event, "\"tn\":", at, tn)) e.tenant_index = static_cast<int>(tn);
    on_event(e);
    if (next == std::string_view::npos) return;
    pos = next;
  }
}

}  // namespace loadgen
