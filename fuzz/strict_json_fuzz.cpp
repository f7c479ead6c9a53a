// parse_strict_json on arbitrary text. Properties: what it accepts, Boost.JSON's lenient parser accepts too
// and reads the same value (strict only refuses more: duplicates, depth, size); the accepted value
// serialises to text that parses strictly again to the same value; both overloads agree.
// Known and left to the consumers (found by this target): Boost.JSON 1.81 reads a literal beyond the
// double range as infinity (1e999) and zero with a huge exponent as NaN (0e400), and serialises them as
// `Infinity` / `NaN`, which are not JSON. parse_strict_json passes them on; every consumer checks
// std::isfinite (api/telemetry_codec, auth/jwt_verifier, proto/message_decode). So the equality and
// round-trip properties are checked for finite values only (NaN != NaN).
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/strict_json.hpp"
#include "fuzz_check.hpp"
#include "json_same.hpp"

namespace {

bool all_finite(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_: return std::isfinite(v.get_double());
    case boost::json::kind::array:
      for (const auto& e : v.get_array()) {
        if (!all_finite(e)) return false;
      }
      return true;
    case boost::json::kind::object:
      for (const auto& m : v.get_object()) {
        if (!all_finite(m.value())) return false;
      }
      return true;
    default: return true;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const fleet::JsonLimits limits{8, 4096};  // small, so the fuzzer reaches both limits
  auto strict = fleet::parse_strict_json(text, limits);

  boost::json::monotonic_resource arena;
  auto in_arena = fleet::parse_strict_json(text, limits, boost::json::storage_ptr(&arena));
  FUZZ_CHECK(strict.has_value() == in_arena.has_value());
  if (!strict) {
    FUZZ_CHECK(strict.error().code == fleet::ErrorCode::invalid_json);
    FUZZ_CHECK(!strict.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(size <= limits.max_bytes);
  if (!all_finite(*strict)) return 0;
  FUZZ_CHECK(*strict == *in_arena);

  boost::system::error_code ec;
  const boost::json::value lenient = boost::json::parse(text, ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(lenient == *strict);

  const std::string again = boost::json::serialize(*strict);
  auto reparsed = fleet::parse_strict_json(again, fleet::JsonLimits{limits.max_depth, 1 << 20});
  FUZZ_CHECK(reparsed.has_value());
  FUZZ_CHECK(same_value(*reparsed, *strict));
  return 0;
}
