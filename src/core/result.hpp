#pragma once
// Result<T>: a value or a fleet::Error (C++20 has no std::expected).
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>

#include "core/error.hpp"

namespace fleet {

template <class T>
using Result = boost::system::result<T, Error>;

// Found by ADL when Result::value() is called on an error; data paths check has_value() instead.
[[noreturn]] inline void throw_exception_from_error(Error const& e, boost::source_location const&) {
  throw std::runtime_error(std::string(to_string(e.code)) + ": " + e.message);
}

inline Error make_error(ErrorCode c, std::string msg) { return Error::make(c, std::move(msg)); }

}  // namespace fleet
