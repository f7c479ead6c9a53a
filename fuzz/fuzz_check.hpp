#pragma once
// A property check for fuzz targets: unlike assert it is never compiled out, and it says which property
// broke before aborting, so libFuzzer records the input as a crash.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

// Boost.JSON 1.81 does not round every long decimal literal correctly (found by strict_json_fuzz:
// 9.219999999999999E67, the shortest form of the double it read from a 68-digit literal, reads back one ulp
// away), so a number that goes through text and back may move by an ulp or so. Round trips compare
// numbers with this.
inline bool same_double(double a, double b) {
  if (a == b) return true;
  const double scale = std::fmax(std::fabs(a), std::fabs(b));
  return std::fabs(a - b) <= 4 * std::numeric_limits<double>::epsilon() * scale;
}
