#!/usr/bin/env bash
# setup.sh - install every Debian package the project needs, then configure and build.
#   scripts/setup.sh [build-dir] [extra cmake args...]
# Idempotent; needs root (or sudo) for apt-get on a fresh Debian 12 machine.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
shift || true

PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libmicrohttpd-dev libjansson-dev libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
  libjwt-gnutls-dev libmariadb-dev libyaml-dev libssl-dev libedit-dev libgnutls28-dev check
  mariadb-server mariadb-client curl clang libclang-rt-14-dev valgrind
  wrk sysbench tmux python3 procps iproute2 openssl percona-toolkit libre2-dev zlib1g-dev mydumper prometheus uuid-runtime
  chromium
)
# node and npm: the image may bring its own build (whose nodejs package includes npm);
# Debian's packages only where the commands are missing.
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  # the packaged MariaDB service is not used: tests and the stack run their own servers
  if command -v systemctl >/dev/null 2>&1; then $SUDO systemctl disable --now mariadb prometheus >/dev/null 2>&1 || true; fi
fi

# Browser assets embedded into dm-gateway (Swagger UI for /docs): from npm, never committed.
if [ ! -f "$ROOT/console/node_modules/swagger-ui-dist/package.json" ] ||
   [ "$ROOT/console/package-lock.json" -nt "$ROOT/console/node_modules/.package-lock.json" ]; then
  (cd "$ROOT/console" && npm ci --no-audit --no-fund --ignore-scripts)
fi

# Test tooling of tests/integration/openapi_client.sh (Redocly, Spectral, openapi-typescript,
# tsc): from npm, never committed; installed here so that the test's own time is the test.
if [ ! -x "$ROOT/tests/openapi/node_modules/.bin/tsc" ] ||
   [ "$ROOT/tests/openapi/package-lock.json" -nt "$ROOT/tests/openapi/node_modules/.package-lock.json" ]; then
  (cd "$ROOT/tests/openapi" && npm ci --no-audit --no-fund --ignore-scripts)
fi

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE="${CMAKE_BUILD_TYPE:-RelWithDebInfo}" "$@" >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
echo "setup: built into $BUILD/bin"
