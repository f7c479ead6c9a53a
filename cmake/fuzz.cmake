# FLEET_FUZZ: libFuzzer targets (fuzz/). Every first-party object is built with coverage instrumentation
# and ASan + UBSan; only the fuzz executables link libFuzzer's main (fuzz/CMakeLists.txt).
if(NOT FLEET_FUZZ)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "FLEET_FUZZ needs clang (CC=clang CXX=clang++); found ${CMAKE_CXX_COMPILER_ID}")
endif()
if(FLEET_SANITIZE)
  message(FATAL_ERROR "FLEET_FUZZ brings its own sanitizers; configure it with FLEET_SANITIZE=OFF")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=address,undefined)
