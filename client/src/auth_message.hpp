#pragma once
// Client -> server messages as the client writes them (docs/protocol.md, "Client -> server"); the server
// reads them with proto/client_messages.hpp. Internal to fleet_client.
#include <optional>
#include <string>
#include <string_view>

#include "fleet/endpoint.hpp"
#include "fleet/stream_options.hpp"
#include "proto/client_messages.hpp"

namespace fleet::detail {

inline constexpr std::string_view kPingMessage = R"({"type":"ping"})";

// {"type":"auth","token":T} with "since" and "epoch" when resuming, then "format", "flush_ms" and
// "coalesce", each only when set, and "view" (an encode_view object without "type") when not empty (a first
// message only: the server ignores them on a refresh, so a refresh passes neither). Nothing set: exactly
// the message of a client that knows no options.
std::string encode_auth(std::string_view token, const std::optional<proto::ResumePosition>& resume,
                        const StreamOptions& options = {}, std::string_view view = {});

// The WebSocket request target: base_path + "/ws" without a token (it goes in the first message), else
// ws_target() plus "&since=&epoch=" when resuming and "&format=&flush_ms=&coalesce=" for the options set
// (Client::Options::token_in_url).
std::string ws_request_target(const Endpoint& ep, std::string_view url_token,
                              const std::optional<proto::ResumePosition>& resume,
                              const StreamOptions& options = {});

}  // namespace fleet::detail
