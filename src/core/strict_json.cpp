#include "core/strict_json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/system/errc.hpp>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace fleet {
namespace {

namespace json = boost::json;
using boost::system::error_code;

// Builds the value like Boost.JSON's own parser handler does, but remembers the member names of every
// open object: value_stack silently keeps the last duplicate, which would let a second "org_id" win.
class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);
  static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);

  json::value_stack st;
  std::string failure;  // set when the handler itself refused the input

  bool on_document_begin(error_code&) { return true; }
  bool on_document_end(error_code&) { return true; }
  bool on_object_begin(error_code&) {
    objects_.push_back(OpenObject{keys_.size(), nullptr});
    return true;
  }
  bool on_object_end(std::size_t n, error_code&) {
    keys_.resize(objects_.back().first_key);
    objects_.pop_back();
    st.push_object(n);
    return true;
  }
  bool on_array_begin(error_code&) { return true; }
  bool on_array_end(std::size_t n, error_code&) {
    st.push_array(n);
    return true;
  }
  bool on_key_part(json::string_view s, std::size_t, error_code&) {
    key_.append(s.data(), s.size());
    st.push_chars(s);
    return true;
  }
  bool on_key(json::string_view s, std::size_t, error_code& ec) {
    key_.append(s.data(), s.size());
    // objects_ is never empty here: a key only appears inside an open object.
    if (!remember_key()) {
      failure = "duplicate member \"" + printable(key_) + "\"";
      ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
      return false;
    }
    key_.clear();
    st.push_key(s);
    return true;
  }
  bool on_string_part(json::string_view s, std::size_t, error_code&) {
    st.push_chars(s);
    return true;
  }
  bool on_string(json::string_view s, std::size_t, error_code&) {
    st.push_string(s);
    return true;
  }
  bool on_number_part(json::string_view, error_code&) { return true; }
  bool on_int64(std::int64_t i, json::string_view, error_code&) {
    st.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, json::string_view, error_code&) {
    st.push_uint64(u);
    return true;
  }
  bool on_double(double d, json::string_view, error_code&) {
    st.push_double(d);
    return true;
  }
  bool on_bool(bool b, error_code&) {
    st.push_bool(b);
    return true;
  }
  bool on_null(error_code&) {
    st.push_null();
    return true;
  }
  // allow_comments is off, so these are unreachable; the parser reports a syntax error instead.
  bool on_comment_part(json::string_view, error_code&) { return true; }
  bool on_comment(json::string_view, error_code&) { return true; }

 private:
  // Error messages end up in logs and HTTP bodies: keep them short and free of control characters.
  static std::string printable(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 64)) {
      const auto u = static_cast<unsigned char>(c);
      out += (u < 0x20 || u == 0x7f || c == '"' || c == '\\') ? '?' : c;
    }
    if (s.size() > 64) out += "...";
    return out;
  }

  // Small objects (every telemetry point, every token) are checked by a linear scan over their keys,
  // kept in one flat stack whose short strings reuse their slots: no allocation per key. An object
  // growing past kLinearKeys switches to a hash set, so a hostile object with 100k members stays linear.
  static constexpr std::size_t kLinearKeys = 16;
  struct OpenObject {
    std::size_t first_key;                                 // its keys are keys_[first_key..]
    std::unique_ptr<std::unordered_set<std::string>> big;  // set once it has more than kLinearKeys keys
  };

  // Records key_ as a member of the innermost open object; false if it already has one of that name.
  bool remember_key() {
    OpenObject& obj = objects_.back();
    if (obj.big) return obj.big->insert(key_).second;
    for (std::size_t i = obj.first_key; i < keys_.size(); ++i) {
      if (keys_[i] == key_) return false;
    }
    if (keys_.size() - obj.first_key < kLinearKeys) {
      keys_.push_back(key_);
      return true;
    }
    obj.big = std::make_unique<std::unordered_set<std::string>>(
        keys_.begin() + static_cast<std::ptrdiff_t>(obj.first_key), keys_.end());
    keys_.resize(obj.first_key);
    return obj.big->insert(key_).second;
  }

  std::vector<OpenObject> objects_;
  std::vector<std::string> keys_;
  std::string key_;
};

std::string describe(const error_code& ec) {
  if (ec == json::error::too_deep) return "nesting too deep";
  if (ec == json::error::syntax) return "syntax error";
  if (ec == json::error::extra_data) return "trailing data after the JSON text";
  if (ec == json::error::incomplete) return "incomplete JSON text";
  return "invalid JSON (" + ec.message() + ")";
}

}  // namespace

Result<json::value> parse_strict_json(std::string_view text, JsonLimits limits) {
  return parse_strict_json(text, limits, {});
}

Result<json::value> parse_strict_json(std::string_view text, JsonLimits limits, json::storage_ptr storage) {
  if (text.size() > limits.max_bytes) {
    return make_error(ErrorCode::invalid_json, "JSON text too large (" + std::to_string(text.size()) + " > " +
                                                   std::to_string(limits.max_bytes) + " bytes)");
  }
  json::parse_options opts;
  opts.max_depth = limits.max_depth;
  opts.allow_comments = false;
  opts.allow_trailing_commas = false;
  opts.allow_invalid_utf8 = false;

  json::basic_parser<StrictHandler> parser(opts);
  parser.handler().st.reset(std::move(storage));
  error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (ec) {
    if (!parser.handler().failure.empty())
      return make_error(ErrorCode::invalid_json, parser.handler().failure);
    return make_error(ErrorCode::invalid_json, describe(ec));
  }
  if (used != text.size() || !parser.done()) {
    return make_error(ErrorCode::invalid_json, "trailing data after the JSON text");
  }
  return parser.handler().st.release();
}

}  // namespace fleet
