#include "proto/json_values.hpp"

#include <boost/json.hpp>
#include <cmath>

#include "proto/json_writer.hpp"

namespace fleet::proto {

namespace json = boost::json;

std::optional<double> json_number(const json::value& v) noexcept {
  if (v.is_double())
    return std::isfinite(v.get_double()) ? std::optional<double>(v.get_double()) : std::nullopt;
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

std::optional<std::int64_t> json_int64(const json::value& v) noexcept {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

std::optional<std::uint64_t> json_uint64(const json::value& v) noexcept {
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  return std::nullopt;
}

void append_json_value(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null: out += "null"; break;
    case json::kind::bool_: out += v.get_bool() ? "true" : "false"; break;
    case json::kind::int64: append_json_number(out, v.get_int64()); break;
    case json::kind::uint64: append_json_number(out, v.get_uint64()); break;
    case json::kind::double_:
      if (std::isfinite(v.get_double())) {
        append_json_number(out, v.get_double());
      } else {
        out += "null";
      }
      break;
    case json::kind::string: append_json_string(out, v.get_string()); break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const json::value& e : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json_value(out, e);
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      out += '{';
      bool first = true;
      for (const json::key_value_pair& kv : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, kv.key());
        out += ':';
        append_json_value(out, kv.value());
      }
      out += '}';
      break;
    }
  }
}

}  // namespace fleet::proto
