#pragma once
// Every way the server ends a WebSocket session, in one table (docs/protocol.md, "Close codes").
#include <cstdint>
#include <string_view>

namespace fleet::proto {

enum class CloseReason {
  normal,           // 1000: client asked to close
  shutdown,         // 1001: server is stopping; reconnect to another node or later
  protocol_error,   // 1002: client broke RFC 6455 framing (unmasked frame, RSV bit, bad fragmentation, ...)
  unsupported,      // 1003: binary frame received
  invalid_payload,  // 1007: text message or close reason that is not valid UTF-8
  missing_token,    // 1008: no token: none in the query or header, and the first message is no auth
  auth_timeout,     // 1008: a tokenless connection sent no auth message within the handshake timeout
  invalid_token,    // 1008: signature, format, issuer, audience, key or time checks failed
  token_expired,    // 1008: the session's token expired while connected (no refresh within the grace)
  org_changed,      // 1008: an in-band refresh carried another organization's token
  token_mismatch,   // 1008: an in-band refresh carried another user's token
  auth_rate,        // 1008: auth messages faster than the documented rate
  invalid_resume,   // 1008: malformed since / epoch
  invalid_options,  // 1008: malformed stream options (format, flush_ms, coalesce)
  no_organization,  // 1008: a valid token without an organization (personal account)
  pending_session,  // 1008: Clerk session still pending (sts: "pending")
  policy,           // 1008: client broke the protocol (e.g. unexpected message)
  invalid_view,     // 1008: a malformed or oversized view, or one before hello
  too_many_views,   // 1008: view messages faster than the documented rate
  share_expired,    // 1008: a share session reached the share's expiry
  share_revoked,    // 1008: an admin revoked the share
  too_big,          // 1009: inbound message over the limit
  internal,         // 1011: server error
  slow_consumer,    // 1013: client did not keep up with its tenant's telemetry
  server_busy,      // 1013: too many connections
};

struct CloseInfo {
  std::uint16_t code;
  std::string_view reason;
  // Whether a well-behaved client should reconnect on its own (with backoff). 1008 closes need a new token.
  bool reconnect;
};

constexpr CloseInfo close_info(CloseReason r) noexcept {
  switch (r) {
    case CloseReason::normal: return {1000, "Normal closure", false};
    case CloseReason::shutdown: return {1001, "Server shutting down", true};
    case CloseReason::protocol_error: return {1002, "Protocol error", false};
    case CloseReason::unsupported: return {1003, "Binary messages are not supported", false};
    case CloseReason::invalid_payload: return {1007, "Invalid UTF-8", false};
    case CloseReason::missing_token: return {1008, "Missing token", false};
    case CloseReason::auth_timeout: return {1008, "Authentication timeout", false};
    case CloseReason::invalid_token: return {1008, "Invalid token", false};
    case CloseReason::token_expired: return {1008, "Token expired", false};
    case CloseReason::org_changed: return {1008, "Organization changed", false};
    case CloseReason::token_mismatch: return {1008, "Token mismatch", false};
    case CloseReason::auth_rate: return {1008, "Too many auth messages", false};
    case CloseReason::invalid_resume: return {1008, "Invalid resume", false};
    case CloseReason::invalid_options: return {1008, "Invalid options", false};
    case CloseReason::no_organization: return {1008, "No organization", false};
    case CloseReason::pending_session: return {1008, "Session pending", false};
    case CloseReason::policy: return {1008, "Protocol violation", false};
    case CloseReason::invalid_view: return {1008, "Invalid view", false};
    case CloseReason::too_many_views: return {1008, "Too many views", false};
    case CloseReason::share_expired: return {1008, "Share expired", false};
    case CloseReason::share_revoked: return {1008, "Share revoked", false};
    case CloseReason::too_big: return {1009, "Message too big", false};
    case CloseReason::internal: return {1011, "Internal error", true};
    case CloseReason::slow_consumer: return {1013, "Slow consumer", true};
    case CloseReason::server_busy: return {1013, "Server busy", true};
  }
  return {1011, "Internal error", true};
}

// Close codes after which a client must not retry until it has a new token.
constexpr bool needs_new_token(std::uint16_t code) noexcept { return code == 1008; }

}  // namespace fleet::proto
