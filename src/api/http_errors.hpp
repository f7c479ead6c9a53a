#pragma once
// The one table from fleet::ErrorCode to HTTP status, and the JSON error body every endpoint uses:
// {"error":{"code":"invalid_point","message":"...","index":3,"field":"lat"}}
#include "api/http_types.hpp"
#include "core/error.hpp"

namespace fleet::api {

int http_status(ErrorCode code) noexcept;
Response error_response(const Error& e);
Response error_response(ErrorCode code, std::string message);
// 200/201/202 with a JSON body.
Response json_response(int status, std::string body);

}  // namespace fleet::api
