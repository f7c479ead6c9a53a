#pragma once
// Client -> server WebSocket messages as the server reads them (docs/protocol.md, "Client → server"):
// `auth` (first-message authentication and in-band refresh, with an optional resume position and stream
// options), `view` and `ping`.
// Strict: an `auth` message with a wrong shape is an error the server closes for, never a guess.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/ids.hpp"
#include "proto/stream_options.hpp"
#include "proto/view_spec.hpp"

namespace fleet::proto {

// Where a reconnecting client left its tenant's stream: the last seq it applied and the epoch it came from.
struct ResumePosition {
  Seq since = 0;
  std::string epoch;
};

// The largest `since` a client may send: JSON numbers are exact integers only up to 2^53 - 1.
inline constexpr Seq kMaxResumeSeq = (Seq{1} << 53) - 1;
inline constexpr std::size_t kMaxEpochSize = 64;

struct ClientMessage {
  enum class Kind : std::uint8_t {
    auth,             // `token` (non-empty unless the client sent ""), `resume` when since/epoch were sent
    ping,             // {"type":"ping"}
    other,            // not JSON, not an object, or another type: ignored (reserved for later versions)
    malformed_auth,   // type "auth" with a missing or non-string token, or unknown members
    invalid_resume,   // type "auth" with a malformed since/epoch, or one without the other
    invalid_options,  // type "auth" with a malformed format, flush_ms or coalesce
    view,             // {"type":"view",...} (`view` holds it)
    invalid_view,     // type "view" (or an auth's `view`) with an unknown, malformed, out-of-range or
                      // oversized member
  };
  Kind kind = Kind::other;
  std::string token;
  std::optional<ResumePosition> resume;
  std::optional<StreamOptions> options;  // when the client sent any of format, flush_ms, coalesce
  std::optional<ViewSpec> view;          // kind view, or an auth message's `view` member
};

ClientMessage decode_client_message(std::string_view text);

// `since` as sent in a query (`?since=41`): decimal digits only, at most kMaxResumeSeq.
std::optional<Seq> parse_resume_since(std::string_view digits) noexcept;
// 1 to kMaxEpochSize characters of [A-Za-z0-9_-].
bool is_valid_epoch(std::string_view epoch) noexcept;

}  // namespace fleet::proto
