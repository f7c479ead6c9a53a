# Applied to every first-party target through fleet_warnings.
add_library(fleet_warnings INTERFACE)
target_compile_options(fleet_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
  # GCC 12 reports false positives for these inside libstdc++ at -O2.
  $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized -Wno-restrict>)
