#include "core/time_format.hpp"

#include <array>
#include <cstdio>

namespace fleet {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

bool is_leap(std::int64_t y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
  static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29U : kDays[m - 1];
}

// Floor division: epoch values before 1970 must land on the previous day, not round toward zero.
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Civil {
  std::int64_t year;
  unsigned month;
  unsigned day;
};

// Inverse of days_from_civil, using the same 400-year era decomposition (eras start on March 1st so the
// leap day is the last day of the computational year).
Civil civil_from_days(std::int64_t days) noexcept {
  days += 719'468;
  const std::int64_t era = floor_div(days, 146'097);
  const auto doe = static_cast<unsigned>(days - era * 146'097);
  const unsigned yoe = (doe - doe / 1'460 + doe / 36'524 - doe / 146'096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
  return {year, month, day};
}

class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  bool at_end() const noexcept { return pos_ == s_.size(); }
  char peek() const noexcept { return at_end() ? '\0' : s_[pos_]; }
  // Reads exactly n ASCII digits; anything shorter or non-digit fails.
  bool digits(std::size_t n, unsigned& out) noexcept {
    if (s_.size() - pos_ < n) return false;
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = s_[pos_ + i];
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
    }
    pos_ += n;
    out = v;
    return true;
  }
  bool literal(char c) noexcept {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  bool either(char a, char b) noexcept { return literal(a) || literal(b); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

Result<std::int64_t> fail(const char* why) {
  return Error{ErrorCode::invalid_field, std::string("invalid RFC 3339 timestamp: ") + why, std::nullopt, {}};
}

}  // namespace

std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) noexcept {
  const std::int64_t y = year - (month <= 2 ? 1 : 0);
  const std::int64_t era = floor_div(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146'097 + static_cast<std::int64_t>(doe) - 719'468;
}

Result<std::int64_t> parse_rfc3339_ms(std::string_view text) {
  Cursor c(text);
  unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!c.digits(4, year) || !c.literal('-') || !c.digits(2, month) || !c.literal('-') || !c.digits(2, day)) {
    return fail("expected YYYY-MM-DD");
  }
  if (!c.either('T', 't')) return fail("expected 'T' between date and time");
  if (!c.digits(2, hour) || !c.literal(':') || !c.digits(2, minute) || !c.literal(':') ||
      !c.digits(2, second)) {
    return fail("expected hh:mm:ss");
  }
  if (month < 1 || month > 12) return fail("month out of range");
  if (day < 1 || day > days_in_month(year, month)) return fail("day out of range for month");
  if (hour > 23) return fail("hour out of range");
  if (minute > 59) return fail("minute out of range");
  if (second > 59) return fail("second out of range");

  std::int64_t frac_ms = 0;
  if (c.literal('.')) {
    unsigned ndigits = 0;
    std::int64_t scale = 100;
    while (c.peek() >= '0' && c.peek() <= '9') {
      unsigned d = 0;
      c.digits(1, d);
      if (++ndigits > 9) return fail("more than 9 fraction digits");
      frac_ms += static_cast<std::int64_t>(d) * scale;
      scale /= 10;
    }
    if (ndigits == 0) return fail("empty fraction");
  }

  std::int64_t offset_min = 0;
  if (!c.either('Z', 'z')) {
    const char sign = c.peek();
    if (!c.either('+', '-')) return fail("missing offset (Z or +hh:mm)");
    unsigned oh = 0, om = 0;
    if (!c.digits(2, oh) || !c.literal(':') || !c.digits(2, om)) return fail("expected offset hh:mm");
    if (oh > 23 || om > 59) return fail("offset out of range");
    offset_min = static_cast<std::int64_t>(oh * 60 + om) * (sign == '-' ? -1 : 1);
  }
  if (!c.at_end()) return fail("trailing characters");

  const std::int64_t local_ms = days_from_civil(year, month, day) * kMsPerDay +
                                ((static_cast<std::int64_t>(hour) * 60 + minute) * 60 + second) * 1000 +
                                frac_ms;
  // Local time = UTC + offset, so UTC = local - offset.
  return local_ms - offset_min * 60'000;
}

std::string format_rfc3339_ms(std::int64_t epoch_ms) {
  const std::int64_t days = floor_div(epoch_ms, kMsPerDay);
  const std::int64_t ms_of_day = epoch_ms - days * kMsPerDay;
  const Civil d = civil_from_days(days);
  const auto sec_of_day = static_cast<unsigned>(ms_of_day / 1000);
  const auto ms = static_cast<unsigned>(ms_of_day % 1000);
  char buf[64];
  const int n =
      std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u.%03uZ", static_cast<long long>(d.year),
                    d.month, d.day, sec_of_day / 3600, (sec_of_day / 60) % 60, sec_of_day % 60, ms);
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace fleet
