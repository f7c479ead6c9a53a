#pragma once
// The client half of the compact encoding (docs/protocol.md, "Stream options"): the per-connection table
// of device indexes (from snapshot `i` and `devices` announcements) and the decoding of `tc` frames into
// the same proto::TelemetryMessage a JSON `telemetry` frame decodes to, so StreamTracker checks both alike.
// Pure, no I/O; fleet::Client owns one on its I/O thread and calls reset() whenever a connection starts.
//
// Server input is untrusted and parsed strictly: every element of a tc event is type-checked, an event has
// 5 to 11 elements, seq and ts must not overflow, positions are integers within ±90e6 / ±180e6. Any error
// (or an index this connection has not announced) means the frame cannot be applied: the caller treats it
// as loss and resumes, never as something to skip, because the seq check could not see what was dropped.
// Unknown members are ignored, as in the JSON decoder, so a newer server may add some.
//
// Costs: one strict parse per frame into a buffer the decoder keeps between frames, events decoded into a
// vector whose capacity is reused; per event only the DeviceId string of the delivered StoredPoint is built.
#include <boost/json/fwd.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "core/ids.hpp"
#include "core/result.hpp"
#include "proto/message_decode.hpp"

namespace fleet {

class CompactDecoder {
 public:
  enum class Kind {
    other,      // not a compact message: decode it with proto::decode_server_message (a snapshot's indexes
                // were recorded first)
    devices,    // a `devices` announcement, applied to the table
    telemetry,  // a `tc` frame, decoded: see frame()
  };

  CompactDecoder();

  // A new connection starts: indexes announced on the previous one mean nothing on it.
  void reset() noexcept { table_.clear(); }

  // Classifies one server text message and handles the compact parts of it. Errors (ErrorCode::invalid_json
  // or invalid_field, with `field` and, for events, `index` = the event's position in the frame) come only
  // from `tc`, `devices` and a snapshot's `i` members: the caller drops the connection and resumes. Text
  // that is not a JSON object with a string `type` is Kind::other: the JSON decoder reports it.
  Result<Kind> decode(std::string_view text);

  // The last frame decoded as Kind::telemetry (valid until the next decode()).
  const proto::TelemetryMessage& frame() const noexcept { return frame_; }

  // The device an index names on this connection, or nullptr (for tests and logs).
  const DeviceId* device(std::uint32_t index) const noexcept;
  std::size_t announced() const noexcept { return table_.size(); }

 private:
  Result<void> announce(const boost::json::value& devices, std::string_view field);
  Result<void> decode_tc(const boost::json::object& o);

  std::unordered_map<std::uint32_t, DeviceId> table_;  // index -> device, this connection's announcements
  proto::TelemetryMessage frame_;
  static constexpr std::size_t kScratchBytes = 64 * 1024;  // most frames parse without a heap block
  std::unique_ptr<unsigned char[]> scratch_;
};

}  // namespace fleet
