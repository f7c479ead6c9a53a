#pragma once
// What part of its tenant's stream a client asks for (docs/protocol.md, "Views: scope the stream"): devices
// inside some boxes, in some groups, or named (always in view, never coalesced), at most one event per
// device per interval. The same type the server reads (proto::ViewSpec), so both sides share one shape and
// one set of limits. A view with no boxes, groups or devices is the whole tenant.
//
// fleet::Client::set_view() takes one; the client picks the `id` of each `view` message it sends (the
// value set here is ignored), increasing over the client's life.
#include <cstdint>
#include <string>

#include "proto/view_spec.hpp"

namespace fleet {

using GeoBox = proto::GeoBox;
using View = proto::ViewSpec;

// Empty when the server accepts the view, else what is wrong with it (the first problem found), e.g.
// "box 2: south 50 is above north 49". The rules are proto/view_spec.hpp's: at most kMaxViewBoxes boxes
// with -180 <= lon <= 180 and -90 <= south <= north <= 90, at most kMaxViewGroups group ids and
// kMaxViewDevices device ids (each well-formed, no duplicates), min_interval_ms 0 or 100..10000.
std::string validate(const View& v);

// The `view` message: {"type":"view","id":ID} plus "boxes", "groups", "devices" and "min_interval_ms", each
// only when non-empty (non-zero), so the whole tenant is {"type":"view","id":ID}. `v.id` is not used.
// With `as_message` false, the same object without "type": the `view` member of a first auth message.
std::string encode_view(const View& v, std::uint64_t id, bool as_message = true);

}  // namespace fleet
