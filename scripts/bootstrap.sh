#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs. Idempotent: installs only what is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev openssl
  postgresql libpq-dev nats-server libnats-dev  # cluster mode, and the tests that start both on loopback
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy
  python3  # tests/conformance (standard library only)
  curl ca-certificates
  clang libclang-rt-14-dev  # the libFuzzer targets (scripts/fuzz.sh): clang with its fuzzer runtime
)
if [[ "${FLEET_WITH_BROWSER:-0}" == 1 ]]; then
  packages+=(chromium fonts-dejavu-core)
fi

missing=()
# Node.js may come from another packaging of the same machine; only install Debian's when none is there.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
