#pragma once
// Errors are values at every boundary. One table of codes; http_errors (api) maps them to statuses and
// close_codes (proto) to WebSocket closes.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fleet {

enum class ErrorCode {
  bad_request,        // malformed request line, query or header
  invalid_json,       // body is not strict JSON (syntax, duplicate member, depth)
  invalid_point,      // a telemetry point failed validation (index + field set)
  invalid_field,      // a request field failed validation (field set)
  payload_too_large,  // body over the configured limit or too many points
  unauthorized,       // missing/unknown credentials (user token or device key)
  forbidden,          // authenticated but not allowed (role)
  not_found,          // no such resource in the caller's tenant
  method_not_allowed,
  unavailable,          // store queue full or shutting down: retry later
  storage_unavailable,  // the disk refuses writes (full, I/O errors): retry later; reads still work
  internal,             // a bug or an I/O failure; details are logged, not returned
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  std::optional<std::size_t> index;  // position in a batch, for invalid_point
  std::string field;                 // offending field, for invalid_point / invalid_field

  static Error make(ErrorCode c, std::string msg) { return Error{c, std::move(msg), std::nullopt, {}}; }
};

// Stable snake_case name used in JSON error bodies and metrics labels.
std::string_view to_string(ErrorCode code) noexcept;

}  // namespace fleet
