#include "api/request_fields.hpp"

#include <cmath>

#include "core/strict_json.hpp"

namespace fleet::api {

Error field_error(std::string_view field, std::string message) {
  Error e = make_error(ErrorCode::invalid_field, std::move(message));
  e.field = std::string(field);
  return e;
}

Result<boost::json::object> parse_body_object(std::string_view body,
                                              std::initializer_list<std::string_view> allowed) {
  // Depth 3: the object and an array member, with one level to spare for a clear "must be" message.
  auto json = parse_strict_json(body, JsonLimits{3, 1 << 20});
  if (!json) return json.error();
  auto* obj = json->if_object();
  if (!obj) return make_error(ErrorCode::invalid_field, "body must be a JSON object");
  for (const auto& kv : *obj) {
    bool known = false;
    for (std::string_view name : allowed) known = known || kv.key() == name;
    if (!known) return field_error(kv.key(), "unknown field");
  }
  return std::move(*obj);
}

Result<std::string> read_text(const boost::json::value& v, std::string_view field, std::size_t min_bytes,
                              std::size_t max_bytes) {
  const auto* s = v.if_string();
  if (!s) return field_error(field, std::string(field) + " must be a string");
  if (s->size() < min_bytes || s->size() > max_bytes) {
    return field_error(field, std::string(field) + " must be " + std::to_string(min_bytes) + "-" +
                                  std::to_string(max_bytes) + " bytes");
  }
  for (unsigned char c : *s) {
    if (c < 0x20 || c == 0x7f)
      return field_error(field, std::string(field) + " must not contain control characters");
  }
  return std::string(*s);
}

Result<std::vector<DeviceId>> read_device_ids(const boost::json::value& v, std::string_view field,
                                              std::size_t min_count, std::size_t max_count) {
  const auto* arr = v.if_array();
  if (!arr) return field_error(field, std::string(field) + " must be an array of device ids");
  if (arr->size() < min_count || arr->size() > max_count) {
    return field_error(field, std::string(field) + " must hold " + std::to_string(min_count) + "-" +
                                  std::to_string(max_count) + " device ids");
  }
  std::vector<DeviceId> ids;
  ids.reserve(arr->size());
  for (const auto& item : *arr) {
    const auto* s = item.if_string();
    if (!s || !is_device_id(*s))
      return field_error(field, std::string(field) + " must be an array of device ids");
    ids.emplace_back(std::string(*s));
  }
  return ids;
}

Result<std::int64_t> read_integer(const boost::json::value& v, std::string_view field, std::int64_t lo,
                                  std::int64_t hi) {
  std::int64_t n = 0;
  bool ok = false;
  if (const auto* i = v.if_int64()) {
    n = *i;
    ok = true;
  } else if (const auto* u = v.if_uint64()) {
    ok = *u <= static_cast<std::uint64_t>(hi);
    n = static_cast<std::int64_t>(ok ? *u : 0);
  } else if (const auto* d = v.if_double()) {
    ok = std::isfinite(*d) && std::trunc(*d) == *d && *d >= static_cast<double>(lo) &&
         *d <= static_cast<double>(hi);
    n = ok ? static_cast<std::int64_t>(*d) : 0;
  }
  if (!ok || n < lo || n > hi) {
    return field_error(field, std::string(field) + " must be an integer in [" + std::to_string(lo) + ", " +
                                  std::to_string(hi) + "]");
  }
  return n;
}

bool is_store_id(std::string_view id, std::string_view prefix) noexcept {
  if (id.size() != prefix.size() + 32 || id.substr(0, prefix.size()) != prefix) return false;
  for (char c : id.substr(prefix.size())) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace fleet::api
