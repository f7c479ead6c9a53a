#pragma once
// JSON values compared as a round trip through text may leave them: equal, except that numbers need only
// be within same_double (fuzz_check.hpp).
#include <boost/json/value.hpp>
#include <cstddef>

#include "fuzz_check.hpp"

inline bool same_value(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_double() && b.is_double()) return same_double(a.get_double(), b.get_double());
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!same_value(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& m : x) {
      const auto* other = y.if_contains(m.key());
      if (other == nullptr || !same_value(m.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}
