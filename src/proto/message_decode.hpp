#pragma once
// Client-side decoding of server -> client WebSocket text messages (docs/protocol.md, "Server -> client
// messages"). The inverse of the encoders in proto/messages.hpp. Protocol 2 members (hello's epoch,
// token_grace_s and recovered, telemetry's skipped, auth_ok; a snapshot's view and unknown) are optional on
// the wire, so a protocol 1 server decodes too: absent members keep their defaults, present ones must have
// the right type.
//
// Server input is untrusted: the text is parsed strictly (duplicate member names refused, depth and size
// bounded) and every known field is type-checked. Unknown members are ignored so that a newer server can
// add fields without breaking older clients; unknown message types are reported as an error with
// ErrorCode::invalid_field and field == "type" so callers can tell them apart from malformed input.
#include <boost/json/fwd.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "core/telemetry.hpp"
#include "proto/messages.hpp"

namespace fleet::proto {

struct SnapshotMessage {
  Seq seq = 0;
  std::vector<Device> devices;  // Device::tenant, created_ms and revoked_ms are not on the wire
  // Set when the snapshot answers a `view` message: the id that view carried (0 when it carried none).
  std::optional<std::uint64_t> view;
  // Named devices and groups of the view that are not the tenant's (docs/protocol.md, "Views").
  std::vector<std::string> unknown;
};

// Devices that crossed the edge of view `view` (docs/protocol.md, "Views: scope the stream").
struct ViewChangeMessage {
  std::uint64_t view = 0;
  std::vector<DeviceId> entered;
  std::vector<DeviceId> left;
};

struct TelemetryMessage {
  std::vector<StoredPoint> events;  // oldest first; StoredPoint::received_ms is not on the wire (0)
  // Events the server deliberately left out (coalescing) between the previous frame's last event and this
  // frame's last event; 0 when the member is absent (docs/protocol.md, "Slow consumers").
  std::uint64_t skipped = 0;
};

// The answer to an in-band token refresh: the session now lasts until token_exp + hello.token_grace_s.
struct AuthOkMessage {
  std::int64_t token_exp = 0;  // Unix seconds
};

struct PongMessage {};

using ServerMessage =
    std::variant<Hello, SnapshotMessage, TelemetryMessage, AuthOkMessage, PongMessage, ViewChangeMessage>;

// Snapshots of large tenants can be big; this bounds what one frame may cost to parse.
inline constexpr std::size_t kMaxServerMessageBytes = 64u << 20;

// Decodes one server text message. Errors: ErrorCode::invalid_json (not strict JSON / not an object) or
// ErrorCode::invalid_field (missing or mistyped field; `field` names it, `index` is set for events).
Result<ServerMessage> decode_server_message(std::string_view text);

// Decodes one telemetry event object ({"seq","device","ts","lat","lon", optional fields}); also the shape
// of `last` in snapshots and of points in the HTTP history API.
Result<StoredPoint> decode_event(const boost::json::value& v);

}  // namespace fleet::proto
