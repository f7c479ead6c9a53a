#pragma once
// Request checks that the HTTP parser (Boost.Beast 1.81) does not make, and without which a request could
// smuggle another (RFC 9112): a Transfer-Encoding that does not end in `chunked` is taken by Beast as "no
// body", so the body would run as the next request on the connection. Every failure is answered 400 and
// the connection is closed, whatever bytes follow.
#include <optional>
#include <span>
#include <string_view>

namespace fleet::net {

struct RequestFraming {
  unsigned version = 11;                                // 10 or 11
  std::span<const std::string_view> transfer_encoding;  // every Transfer-Encoding field value, in order
  std::size_t host_fields = 0;                          // how many Host fields
};

struct FramingError {
  int status = 400;          // 400, or 501 for a transfer coding fleetd does not implement (RFC 9112 6.1)
  std::string_view message;  // names the problem, for the error body
  bool operator==(const FramingError&) const = default;
};

// nullopt when the request may be served. The only transfer coding fleetd reads is `chunked`, alone.
std::optional<FramingError> framing_error(const RequestFraming& r) noexcept;

}  // namespace fleet::net
