#include "core/error.hpp"

namespace fleet {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_request: return "bad_request";
    case ErrorCode::invalid_json: return "invalid_json";
    case ErrorCode::invalid_point: return "invalid_point";
    case ErrorCode::invalid_field: return "invalid_field";
    case ErrorCode::payload_too_large: return "payload_too_large";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::forbidden: return "forbidden";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::method_not_allowed: return "method_not_allowed";
    case ErrorCode::unavailable: return "unavailable";
    case ErrorCode::storage_unavailable: return "storage_unavailable";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

}  // namespace fleet
