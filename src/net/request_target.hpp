#pragma once
// Splitting an origin-form request target (RFC 9112 3.2.1: absolute-path ["?" query]) for routing, and
// reading one query parameter. Every WebSocket upgrade carries its ~1 KB token in the query, so the common
// case is scanned once by hand; anything with escapes or '+' (whose meaning depends on the decoder) goes
// through Boost.URL, whose results the fast path matches exactly (tests/unit/net/request_target_test).
#include <optional>
#include <string>
#include <string_view>

namespace fleet::net {

struct RequestTarget {
  std::string path;   // percent-decoded, as routes compare it
  std::string query;  // as sent, without the '?'; still encoded
};

// nullopt when `target` is not a valid origin-form target.
std::optional<RequestTarget> parse_request_target(std::string_view target);

// The decoded value of the first `name=value` parameter in an encoded `query` (`a=1&token=...`), empty for
// `name=`; a bare `name` without '=' is skipped. nullopt when there is none or the query is not valid.
std::optional<std::string> query_parameter(std::string_view query, std::string_view name);

// How many parameters of an encoded `query` are named `name` (decoded), with a value or bare: a client that
// repeats a credential or a position is refused rather than have one silently win. 0 for an invalid query.
std::size_t query_parameter_count(std::string_view query, std::string_view name);

}  // namespace fleet::net
