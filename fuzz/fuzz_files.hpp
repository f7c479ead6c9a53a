#pragma once
// Reads the fixed inputs fuzz targets load once at start-up (key sets); any failure aborts, since a target
// without its keys would fuzz nothing useful. FLEET_FUZZ_DATA and FLEET_TEST_DATA come from fuzz/CMakeLists.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

inline std::string read_fuzz_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  if (!in || out.str().empty()) {
    std::fprintf(stderr, "fuzz: cannot read %s\n", path.c_str());
    std::abort();
  }
  return out.str();
}
