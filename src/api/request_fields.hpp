#pragma once
// Strict readers for the members of a JSON request body (groups and shares): each failure is an
// invalid_field error naming the member, so a client learns exactly what to fix.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "core/ids.hpp"
#include "core/result.hpp"

namespace fleet::api {

// invalid_field with `field` set.
Error field_error(std::string_view field, std::string message);

// The body as a JSON object whose members are all in `allowed` (strict JSON: no duplicate members).
Result<boost::json::object> parse_body_object(std::string_view body,
                                              std::initializer_list<std::string_view> allowed);

// A string of at most `max_bytes` bytes (at least `min_bytes`) with no control characters.
Result<std::string> read_text(const boost::json::value& v, std::string_view field, std::size_t min_bytes,
                              std::size_t max_bytes);

// An array of min_count ... max_count device ids ("dev_" + 32 lowercase hex), in the given order.
Result<std::vector<DeviceId>> read_device_ids(const boost::json::value& v, std::string_view field,
                                              std::size_t min_count, std::size_t max_count);

// An integer in [lo, hi] (a JSON number with no fraction: 3600 or 3600.0 is not 3600.5).
Result<std::int64_t> read_integer(const boost::json::value& v, std::string_view field, std::int64_t lo,
                                  std::int64_t hi);

// Whether `id` is `prefix` + 32 lowercase hex digits, the form of the store's ids (store/random_id.hpp):
// checked before any lookup, so a malformed id from a URL never reaches the store.
bool is_store_id(std::string_view id, std::string_view prefix) noexcept;

}  // namespace fleet::api
