#pragma once
// Server -> client messages (docs/protocol.md). Encoders write JSON text directly; each telemetry batch is
// encoded once and its bytes are shared by every connection of the tenant.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/telemetry.hpp"

namespace fleet::proto {

// 2 is a superset of 1: first-message auth, in-band refresh, resume, `skipped` (docs/protocol.md).
inline constexpr int kProtocolVersion = 2;

struct Hello {
  std::string tenant;
  std::string user;
  std::string role;            // organization role from the token, e.g. "admin" or "org:member"
  std::int64_t token_exp = 0;  // token expiry, Unix seconds
  std::string server;          // "fleetd/<version>"
  Seq seq = 0;                 // the stream continues at seq + 1 (the snapshot's seq, or the resume's since)
  std::string epoch;           // names the tenant's seq space
  std::int64_t token_grace_s = 0;  // the session closes at token_exp + token_grace_s without a refresh
  std::optional<bool> recovered;   // set only when the client asked to resume
};

std::string encode_hello(const Hello& h);

// {"type":"auth_ok","token_exp":S}: the answer to an in-band token refresh.
std::string encode_auth_ok(std::int64_t token_exp);

// {"type":"snapshot","seq":S,"devices":[{"id","name","last":<event>|null}, ...]}
std::string encode_snapshot(Seq seq, std::span<const Device> devices);

// Appends one telemetry event object: {"seq":..,"device":"..","ts":..,"lat":..,"lon":.., optional fields}.
void append_event(std::string& out, const StoredPoint& p);

// One durably stored batch of one tenant, encoded once: `bytes` holds the event objects joined by ','.
// Events [i, j) are the contiguous slice bytes[begin(i), end(j-1)), so any run of events can be sent
// without copying. Immutable after creation; shared across threads by shared_ptr<const>.
struct EncodedBatch {
  TenantId tenant;
  std::string bytes;
  struct Event {
    DeviceId device;
    Seq seq = 0;
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
  };
  std::vector<Event> events;

  Seq first_seq() const noexcept { return events.empty() ? 0 : events.front().seq; }
  Seq last_seq() const noexcept { return events.empty() ? 0 : events.back().seq; }
  std::string_view slice(std::size_t first, std::size_t count) const noexcept {
    return std::string_view(bytes).substr(events[first].begin,
                                          events[first + count - 1].end - events[first].begin);
  }
};

std::shared_ptr<const EncodedBatch> encode_batch(TenantId tenant, std::span<const StoredPoint> points);

// A telemetry frame is kTelemetryHead + slice [',' + slice]* + kTelemetryTail, or, after coalescing,
// kTelemetrySkippedHead + N + kTelemetrySkippedMid + ... (N events were left out before the frame's last).
inline constexpr std::string_view kTelemetryHead = R"({"type":"telemetry","events":[)";
inline constexpr std::string_view kTelemetrySkippedHead = R"({"type":"telemetry","skipped":)";
inline constexpr std::string_view kTelemetrySkippedMid = R"(,"events":[)";
inline constexpr std::string_view kTelemetryTail = "]}";

// Convenience for tests and small senders: one complete telemetry frame.
std::string encode_telemetry(std::span<const StoredPoint> points);

}  // namespace fleet::proto
