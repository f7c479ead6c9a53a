#pragma once
// Server -> client messages (docs/protocol.md). Encoders write JSON text directly; each telemetry batch is
// encoded once per format (JSON and compact) and its bytes are shared by every connection of the tenant.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/telemetry.hpp"
#include "proto/device_index.hpp"
#include "proto/stream_options.hpp"

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
  std::int64_t token_grace_s = 0;        // the session closes at token_exp + token_grace_s without a refresh
  std::optional<bool> recovered;         // set only when the client asked to resume
  std::optional<StreamOptions> options;  // echoed when the client asked for any stream option
};

std::string encode_hello(const Hello& h);

// {"type":"auth_ok","token_exp":S}: the answer to an in-band token refresh.
std::string encode_auth_ok(std::int64_t token_exp);

// {"type":"snapshot","seq":S,"devices":[{"id","name","last":<event>|null}, ...]}. With `indexes` (one per
// device, for a compact session) each device also carries its index: {"id","name","i":N,"last":...}.
//
// A snapshot answering a `view` (docs/protocol.md, "Views") also names the view it answers and the
// devices and groups the view named that are not the tenant's: {"type":"snapshot","seq":S,"view":7,
// "devices":[...],"unknown":["dev_..."]} ("view" only when the client gave an id, "unknown" when not empty).
struct SnapshotScope {
  std::optional<std::uint64_t> view;
  std::span<const std::string> unknown;
};
std::string encode_snapshot(Seq seq, std::span<const Device> devices,
                            std::span<const std::uint32_t> indexes = {},
                            const SnapshotScope* scope = nullptr);

// {"type":"view_change","view":7,"entered":["dev_..."],"left":["dev_..."]}: devices that crossed the
// view's edge since the previous frame ("view" only when the client gave an id).
std::string encode_view_change(std::optional<std::uint64_t> view, std::span<const std::string> entered,
                               std::span<const std::string> left);

// {"type":"devices","devices":[{"i":N,"id":"dev_..."}, ...]}: announces compact indexes before their use.
struct IndexedDevice {
  std::uint32_t index = 0;
  std::string_view id;
};
std::string encode_devices(std::span<const IndexedDevice> devices);

// Appends one telemetry event object: {"seq":..,"device":"..","ts":..,"lat":..,"lon":.., optional fields}.
void append_event(std::string& out, const StoredPoint& p);

// One durably stored batch of one tenant, encoded once per format. `bytes` holds the JSON event objects
// joined by ','; `compact` the compact event arrays joined by ',', each relative to the batch's base
// (docs/protocol.md, "Stream options"). Events [i, j) are the contiguous slices bytes[begin(i), end(j-1))
// and compact[cbegin(i), cend(j-1)), so any run of events can be sent in either format without copying: a
// compact chunk is compact_head + slice + ']'. Immutable after creation; shared across threads by
// shared_ptr<const>.
struct EncodedBatch {
  TenantId tenant;
  std::string bytes;
  std::string compact;
  std::string compact_head;  // "[seq0,ts0,": the base every compact event of this batch is relative to
  struct Event {
    DeviceId device;
    Seq seq = 0;
    std::int64_t ts_ms = 0;
    std::uint32_t index = 0;  // the device's compact index (DeviceIndex)
    std::uint32_t begin = 0;
    std::uint32_t end = 0;
    std::uint32_t cbegin = 0;
    std::uint32_t cend = 0;
    std::uint32_t crest = 0;  // where the base-independent part (from the index on) starts in `compact`
    double lat = 0;           // the position, for scoped views (hub/view_filter.hpp)
    double lon = 0;
  };
  std::vector<Event> events;

  Seq first_seq() const noexcept { return events.empty() ? 0 : events.front().seq; }
  Seq last_seq() const noexcept { return events.empty() ? 0 : events.back().seq; }
  std::string_view slice(std::size_t first, std::size_t count) const noexcept {
    return std::string_view(bytes).substr(events[first].begin,
                                          events[first + count - 1].end - events[first].begin);
  }
  std::string_view compact_slice(std::size_t first, std::size_t count) const noexcept {
    return std::string_view(compact).substr(events[first].cbegin,
                                            events[first + count - 1].cend - events[first].cbegin);
  }
};

// Builds an EncodedBatch event by event: from stored points (encoding both formats), or from events of
// other batches (copying their JSON bytes and rebasing their compact ones), for the broker's merges.
class BatchBuilder {
 public:
  BatchBuilder(TenantId tenant, std::size_t events_hint);
  void add(const StoredPoint& p, std::uint32_t index);
  void add(const EncodedBatch& from, std::size_t event);
  std::shared_ptr<const EncodedBatch> finish();

 private:
  void begin_event(Seq seq, std::int64_t ts);
  std::shared_ptr<EncodedBatch> batch_;
  Seq seq0_ = 0;
  std::int64_t ts0_ = 0;
};

// Encodes a batch of `tenant`, naming its devices by their indexes in `index`.
std::shared_ptr<const EncodedBatch> encode_batch(TenantId tenant, std::span<const StoredPoint> points,
                                                 DeviceIndex& index);

// A telemetry frame is kTelemetryHead + slice [',' + slice]* + kTelemetryTail, or, after coalescing,
// kTelemetrySkippedHead + N + kTelemetrySkippedMid + ... (N events were left out before the frame's last).
inline constexpr std::string_view kTelemetryHead = R"({"type":"telemetry","events":[)";
inline constexpr std::string_view kTelemetrySkippedHead = R"({"type":"telemetry","skipped":)";
inline constexpr std::string_view kTelemetrySkippedMid = R"(,"events":[)";
inline constexpr std::string_view kTelemetryTail = "]}";
// The compact frame: kCompactHead + chunk [',' + chunk]* + kTelemetryTail (or the skipped variant), where
// a chunk is compact_head + compact slice + kChunkTail.
inline constexpr std::string_view kCompactHead = R"({"type":"tc","chunks":[)";
inline constexpr std::string_view kCompactSkippedHead = R"({"type":"tc","skipped":)";
inline constexpr std::string_view kCompactSkippedMid = R"(,"chunks":[)";
inline constexpr std::string_view kChunkTail = "]";

// Convenience for tests and small senders: one complete telemetry frame.
std::string encode_telemetry(std::span<const StoredPoint> points);

}  // namespace fleet::proto
