#!/usr/bin/env bash
# Every test: C++ lint, C++ unit and integration tests under ASan/UBSan, the web app's unit and browser
# tests, and a benchmark smoke run. Installs what is missing first. Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${FLEET_JOBS:-$(nproc)}

FLEET_WITH_BROWSER=1 bash scripts/bootstrap.sh

echo "== C++: build (ASan + UBSan)"
cmake -S . -B build/asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLEET_SANITIZE=ON >/dev/null
cmake --build build/asan -j "$jobs"

echo "== lint"
# clang-format and clang-tidy, both as errors (scripts/lint.sh; --fix formats in place).
FLEET_LINT_JOBS="$jobs" bash scripts/lint.sh build/asan

echo "== C++: unit and integration tests"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir build/asan --output-on-failure -j "$jobs" --timeout 300

echo "== fuzz: bounded libFuzzer run"
FLEET_JOBS="$jobs" bash scripts/fuzz.sh "${FLEET_FUZZ_SECONDS:-30}"

if [[ -f web/package.json ]]; then
  echo "== web: unit tests, type check, build"
  (cd web && npm ci --no-audit --no-fund --loglevel=error && npm run typecheck && npm test && npm run build)
  echo "== web: browser tests (Chromium)"
  (cd web && E2E_REQUIRE_FLEETCTL=1 FLEETD_BIN="$root/build/asan/src/app/fleetd" FLEETCTL_BIN="$root/build/asan/tools/fleetctl/fleetctl" \
    npm run test:e2e)
fi

if [[ -x bench/run.sh ]]; then
  echo "== bench: smoke run"
  FLEET_BENCH_BUILD_DIR="$root/build/asan" bash bench/run.sh --smoke
fi

echo "== all tests passed"
