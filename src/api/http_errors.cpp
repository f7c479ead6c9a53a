#include "api/http_errors.hpp"

#include "proto/json_writer.hpp"

namespace fleet::api {

int http_status(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::bad_request:
    case ErrorCode::invalid_json:
    case ErrorCode::invalid_point:
    case ErrorCode::invalid_field: return 400;
    case ErrorCode::payload_too_large: return 413;
    case ErrorCode::unauthorized: return 401;
    case ErrorCode::forbidden: return 403;
    case ErrorCode::not_found: return 404;
    case ErrorCode::method_not_allowed: return 405;
    case ErrorCode::unavailable:
    case ErrorCode::storage_unavailable: return 503;
    case ErrorCode::internal: return 500;
  }
  return 500;
}

Response error_response(const Error& e) {
  std::string body = R"({"error":{"code":")";
  body += to_string(e.code);
  body += R"(","message":)";
  // Internal details stay in the log; clients get a generic message.
  proto::append_json_string(body, e.code == ErrorCode::internal ? std::string("internal error") : e.message);
  if (e.index) {
    body += R"(,"index":)";
    proto::append_json_number(body, static_cast<std::uint64_t>(*e.index));
  }
  if (!e.field.empty()) {
    body += R"(,"field":)";
    proto::append_json_string(body, e.field);
  }
  body += "}}";
  Response r{http_status(e.code), "application/json", std::move(body), {}};
  // A full queue drains in well under a second; a disk that refuses writes needs someone (or a checkpoint
  // freeing space) to act, so its clients are asked to wait longer.
  if (e.code == ErrorCode::unavailable) r.headers.emplace_back("Retry-After", "1");
  if (e.code == ErrorCode::storage_unavailable) r.headers.emplace_back("Retry-After", "5");
  if (e.code == ErrorCode::unauthorized) r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

Response error_response(ErrorCode code, std::string message) {
  return error_response(Error::make(code, std::move(message)));
}

Response json_response(int status, std::string body) {
  return Response{status, "application/json", std::move(body), {}};
}

}  // namespace fleet::api
