#pragma once
// Values out of a parsed message, as every decoder of the protocol reads them (server messages in JSON and
// compact form, client messages): numbers by what they must hold, and a parsed value written back as the
// canonical text the server stores and forwards (attributes).
#include <boost/json/fwd.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace fleet::proto {

// A JSON integer or double that is finite ("speed_kph":43 and 42.5 alike); nullopt otherwise.
std::optional<double> json_number(const boost::json::value& v) noexcept;
// A JSON integer within int64 (never a double: 1.0 is not an integer here).
std::optional<std::int64_t> json_int64(const boost::json::value& v) noexcept;
// A non-negative JSON integer within uint64.
std::optional<std::uint64_t> json_uint64(const boost::json::value& v) noexcept;

// Compact JSON text with numbers in shortest round-trip form and strings escaped as proto/json_writer does
// (Boost.JSON's own serializer writes 4.5 as "4.5E0"); a non-finite double (1e400 parses to infinity) is
// written as null. Depth is the caller's parser's bound.
void append_json_value(std::string& out, const boost::json::value& v);

}  // namespace fleet::proto
