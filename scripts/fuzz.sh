#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/, clang, ASan + UBSan) in build/fuzz and runs each one for a bounded
# time on a scratch copy of its seed corpus (the repository is not modified). Fails on any crash, leak,
# timeout or out-of-memory, and prints the reproducer's path and the command that replays it.
# Usage: scripts/fuzz.sh [seconds-per-target (default 30)] [target...]   (docs/fuzzing.md)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=${1:-30}
shift || true
build=${FLEET_FUZZ_BUILD_DIR:-build/fuzz}
jobs=${FLEET_JOBS:-$(nproc)}

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
# Debug keeps assertions on; -O1 with line tables only compiles fast and still symbolises every report.
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -gline-tables-only" \
  -DFLEET_FUZZ=ON -DFLEET_SANITIZE=OFF -DFLEET_BUILD_TESTS=OFF -DFLEET_BUILD_BENCH=OFF "${launcher[@]}" >/dev/null
cmake --build "$build" -j "$jobs" --target fuzz_all

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/fleet-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
artifacts="$root/$build/fuzz-artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:handle_abort=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  if [[ ! -x $bin ]]; then
    echo "fuzz: no such target: $t" >&2
    failed+=("$t")
    continue
  fi
  corpus="$scratch/$t"
  mkdir -p "$corpus" "$artifacts/$t"
  if [[ -d fuzz/corpus/$t ]]; then cp -R "fuzz/corpus/$t/." "$corpus/"; fi
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/$t/")
  if [[ -f fuzz/dict/$t.dict ]]; then args+=(-dict="fuzz/dict/$t.dict"); fi
  log="$artifacts/$t.log"
  echo "== fuzz: $t for ${seconds}s"
  if "$bin" "${args[@]}" "$corpus" >"$log" 2>&1; then
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    echo "   ok: ${execs:-?} inputs, $(grep -o 'cov: [0-9]*' "$log" | tail -1)"
  else
    echo "   FAILED: $t (log: $log)" >&2
    grep -E 'ERROR:|runtime error|property violated|fuzz: |SUMMARY|Test unit written' "$log" | head -20 >&2 || true
    for a in $(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log"); do
      echo "   reproduce: $bin $a" >&2
    done
    failed+=("$t")
  fi
done

if ((${#failed[@]} > 0)); then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran ${seconds}s clean"
