#pragma once
// Strict JSON parsing for untrusted input (tokens, request bodies). Boost.JSON keeps the last of duplicate
// member names; we refuse them, so two "org_id" members can never pick a tenant.
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <string_view>

#include "core/result.hpp"

namespace fleet {

struct JsonLimits {
  std::size_t max_depth = 32;
  std::size_t max_bytes = 1 << 20;
};

// Parses exactly one JSON text (RFC 8259; no comments, no trailing commas, no trailing garbage).
// Errors use ErrorCode::invalid_json and a message naming the problem (e.g. "duplicate member \"org_id\"").
Result<boost::json::value> parse_strict_json(std::string_view text, JsonLimits limits = {});
// The same, building the value in `storage` (e.g. a monotonic_resource that lives as long as the value,
// so a request's whole document costs a few block allocations and no per-node frees).
Result<boost::json::value> parse_strict_json(std::string_view text, JsonLimits limits,
                                             boost::json::storage_ptr storage);

}  // namespace fleet
