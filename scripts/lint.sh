#!/usr/bin/env bash
# C++ lint: formatting (.clang-format) and clang-tidy (.clang-tidy), both as errors.
#
# Usage: scripts/lint.sh [--fix] [--format-only | --tidy-only] [BUILD_DIR]
#   BUILD_DIR    a configured build whose compile_commands.json clang-tidy reads (default build/asan)
#   --fix        rewrite the C++ files in place with clang-format instead of checking them
#   FLEET_LINT_JOBS  parallel clang-tidy processes (default: nproc)
#
# Format covers the C++ of src/ client/ tools/ tests/ bench/ fuzz/; clang-tidy covers the translation units
# of src/ client/ tools/ (and the headers under them they include).
#
# FLEET_LINT_FORMAT=warn reports formatting differences without failing (for a local run mid-edit; CI
# uses the default, =error).
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
run_format=1
run_tidy=1
build_dir=build/asan
for arg in "$@"; do
  case "$arg" in
    --fix) fix=1 ;;
    --format-only) run_tidy=0 ;;
    --tidy-only) run_format=0 ;;
    -h | --help)
      sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "lint: unknown option $arg" >&2
      exit 2
      ;;
    *) build_dir=$arg ;;
  esac
done
format_mode=${FLEET_LINT_FORMAT:-error}
jobs=${FLEET_LINT_JOBS:-$(nproc)}

# Debian 12 names the LLVM 14 tools with a suffix; prefer those, the .clang-format is written for 14.
pick() {
  local t
  for t in "$@"; do
    if command -v "$t" >/dev/null; then
      echo "$t"
      return
    fi
  done
  echo "lint: none of $* is installed (scripts/bootstrap.sh installs them)" >&2
  exit 2
}

status=0

if ((run_format)); then
  clang_format=$(pick clang-format-14 clang-format)
  mapfile -t files < <(git ls-files -- 'src' 'client' 'tools' 'tests' 'bench' 'fuzz' |
    grep -E '\.(cpp|hpp|h|cc)$' | while read -r f; do [[ -f $f ]] && echo "$f"; done)
  if ((fix)); then
    printf '%s\0' "${files[@]}" | xargs -0 -n 50 "$clang_format" -i
    echo "lint: formatted ${#files[@]} files"
  else
    # One process per 50 files; each difference is reported as "<file>:<line>:<col>: error: ...".
    mapfile -t bad < <(printf '%s\0' "${files[@]}" | xargs -0 -n 50 "$clang_format" --dry-run --Werror 2>&1 |
      sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: .*/\1/p' | sort -u)
    if ((${#bad[@]})); then
      echo "lint: ${#bad[@]} of ${#files[@]} files are not formatted (scripts/lint.sh --fix):" >&2
      printf '  %s\n' "${bad[@]}" >&2
      if [[ $format_mode == warn ]]; then
        echo "lint: FLEET_LINT_FORMAT=warn: not failing on formatting" >&2
      else
        status=1
      fi
    else
      echo "lint: ${#files[@]} files formatted"
    fi
  fi
fi

if ((run_tidy && !fix)); then
  clang_tidy=$(pick clang-tidy-14 clang-tidy)
  db=$build_dir/compile_commands.json
  if [[ ! -f $db ]]; then
    echo "lint: $db is missing: configure $build_dir first (cmake -S . -B $build_dir -G Ninja)" >&2
    exit 2
  fi
  root=$(pwd)
  # The translation units of src/ client/ tools/ that this build compiles (fuzz targets, if any, are built
  # by clang with libFuzzer flags and are left to their own build).
  mapfile -t units < <(python3 - "$db" "$root" <<'EOF'
import json, sys
db, root = sys.argv[1], sys.argv[2] + "/"
seen = set()
for entry in json.load(open(db)):
    f = entry["file"]
    rel = f[len(root):] if f.startswith(root) else f
    if rel.split("/")[0] in ("src", "client", "tools") and f not in seen:
        seen.add(f)
        print(f)
EOF
  )
  if ((${#units[@]} == 0)); then
    echo "lint: no src/ client/ tools/ files in $db" >&2
    exit 2
  fi
  log_dir=$(mktemp -d)
  trap 'rm -rf "$log_dir"' EXIT
  started=$SECONDS
  # gcc-only warning flags in the database are unknown to clang: ignore them rather than report them.
  printf '%s\0' "${units[@]}" | xargs -0 -P "$jobs" -I{} sh -c \
    'out="$1/$(echo "$2" | tr / _).log"; "$0" -p "$3" --quiet --warnings-as-errors="*" \
       --extra-arg=-Wno-unknown-warning-option "$2" >"$out" 2>&1 || echo "$2" >>"$1/failed"' \
    "$clang_tidy" "$log_dir" {} "$build_dir"
  if [[ -f $log_dir/failed ]]; then
    # Each header's findings show once, however many units include it.
    cat "$log_dir"/*.log | grep -v ' warnings\{0,1\} generated\.$' |
      awk '/^\/.*: (warning|error): /{ keep = !seen[$0]++ } keep' >&2
    echo "lint: clang-tidy found problems in $(wc -l <"$log_dir/failed") of ${#units[@]} units ($((SECONDS - started)) s)" >&2
    status=1
  else
    echo "lint: clang-tidy clean, ${#units[@]} units ($((SECONDS - started)) s)"
  fi
fi

exit $status
