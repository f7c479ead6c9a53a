#pragma once
// RFC 3339 timestamps <-> Unix epoch milliseconds. Pure arithmetic on the proleptic Gregorian calendar:
// no locale, no TZ environment, no timegm, so results never depend on the host's configuration.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace fleet {

// Days since 1970-01-01 for a proleptic Gregorian date. Preconditions: 1 <= month <= 12, 1 <= day <= 31.
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept;

// Parses an RFC 3339 date-time ("2026-11-24T12:34:56Z", "...56.123456789+02:00") to epoch ms.
// Accepts 't'/'z' in either case (RFC 3339 section 5.6 note), 1..9 fraction digits (truncated toward the
// past to whole ms) and offsets -23:59..+23:59. Refuses everything else, including impossible dates
// (Feb 30, Feb 29 outside leap years), hour 24, a missing offset, surrounding whitespace and leap
// second 60 (epoch ms cannot represent it). Errors are ErrorCode::invalid_field naming the problem.
Result<std::int64_t> parse_rfc3339_ms(std::string_view text);

// Formats epoch ms as "YYYY-MM-DDThh:mm:ss.mmmZ" (always UTC, always 3 fraction digits).
// Defined for years 0000..9999; outside that the year is printed with as many digits as needed.
std::string format_rfc3339_ms(std::int64_t epoch_ms);

}  // namespace fleet
