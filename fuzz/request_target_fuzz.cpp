// The request-target split and the query-parameter readers. They take a hand-written fast path for plain
// targets and Boost.URL for the rest; the property is that the fast path answers exactly as Boost.URL
// would for every input (the reference below always takes the Boost.URL path).
// Input: <parameter name> '\n' <request target>.
#include <boost/url/parse.hpp>
#include <boost/url/parse_query.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "net/request_target.hpp"

namespace {

std::optional<fleet::net::RequestTarget> reference_target(std::string_view target) {
  auto url = boost::urls::parse_origin_form(target);
  if (!url) return std::nullopt;
  return fleet::net::RequestTarget{url->path(), std::string(url->encoded_query())};
}

// Boost.URL 1.81's parse_query and params_view read the query's data as a C string (strlen), not by its
// size (found by this target): they get a terminated copy, as in request_target.cpp.
std::optional<std::string> reference_parameter(std::string_view query, std::string_view name) {
  const std::string terminated(query);
  if (!boost::urls::parse_query(terminated)) return std::nullopt;
  for (auto p : boost::urls::params_view(terminated)) {
    if (p.has_value && p.key == name) return p.value;
  }
  return std::nullopt;
}

std::size_t reference_count(std::string_view query, std::string_view name) {
  const std::string terminated(query);
  if (!boost::urls::parse_query(terminated)) return 0;
  std::size_t n = 0;
  for (auto p : boost::urls::params_view(terminated)) {
    if (p.key == name) ++n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view name = "token";
  if (const auto nl = input.find('\n'); nl != std::string_view::npos) {
    name = input.substr(0, nl);
    input.remove_prefix(nl + 1);
  }
  const auto got = fleet::net::parse_request_target(input);
  const auto want = reference_target(input);
  FUZZ_CHECK(got.has_value() == want.has_value());
  if (got) {
    FUZZ_CHECK(got->path == want->path);
    FUZZ_CHECK(got->query == want->query);
    FUZZ_CHECK(!got->path.empty() && got->path.front() == '/');
  }
  // The query readers see what the transport hands them: a split target's query, or raw input.
  const std::string_view query = got ? std::string_view(got->query) : input;
  FUZZ_CHECK(fleet::net::query_parameter(query, name) == reference_parameter(query, name));
  const std::size_t count = fleet::net::query_parameter_count(query, name);
  // The one difference, left alone: the fast path does not count the empty parameter after a trailing '&'
  // ("t&"), which only an empty name could match; fleetd counts "token", "since" and "epoch".
  if (!name.empty()) FUZZ_CHECK(count == reference_count(query, name));
  if (fleet::net::query_parameter(query, name)) FUZZ_CHECK(count >= 1);
  return 0;
}
