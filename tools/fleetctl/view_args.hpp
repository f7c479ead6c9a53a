#pragma once
// fleetctl watch's view flags (docs/protocol.md, "Views: scope the stream"): --bbox W,S,E,N, --device ID and
// --group ID (each repeatable) and --min-interval-ms N, checked here so that a bad value is a usage error
// naming the flag, never a view the server closes the session for.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cli.hpp"
#include "fleet/view.hpp"
#include "proto/message_decode.hpp"

namespace fleetctl {

// The view the flags ask for; nullopt when none of them was given (the whole tenant, no `view` message).
fleet::Result<std::optional<fleet::View>> view_from_args(const Args& args);

// What watch prints after a view's snapshot: {"type":"view_applied","view":7,"unknown":[...]}.
std::string view_applied_line(std::uint64_t id, const std::vector<std::string>& unknown);
// A view_change as on the wire: {"type":"view_change","view":7,"entered":[...],"left":[...]}.
std::string view_change_line(const fleet::proto::ViewChangeMessage& m);

}  // namespace fleetctl
