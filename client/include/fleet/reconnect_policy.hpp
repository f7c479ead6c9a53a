#pragma once
// What fleet::Client does after its connection ended, by the server's close code and reason
// (docs/protocol.md, "Close codes"). One table, beside proto/close_codes.hpp which owns the reasons.
#include <cstdint>
#include <string_view>

namespace fleet {

enum class AfterClose {
  reconnect,                 // with backoff and jitter, resuming (drops, 1001, 1011, 1013, ...)
  reconnect_fresh,           // with backoff, without resume: the server refused our since / epoch
  reconnect_now_with_token,  // at once and without resume: an in-band refresh named another user or org
  wait_for_token,            // 1008: the token was refused; only a new token (or connect()) tries again
};

// `refreshed_in_band`: this connection carried an in-band auth, so "Organization changed" and "Token
// mismatch" answer our own refresh (the new token is fine, it only needs a session of its own).
AfterClose after_close(std::uint16_t code, std::string_view reason, bool refreshed_in_band) noexcept;

const char* to_string(AfterClose a) noexcept;

}  // namespace fleet
