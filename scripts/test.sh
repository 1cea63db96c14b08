#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test: the suite, the suite under
# sanitizers, and the fuzzers (FUZZ_SECONDS each, 60 by default). The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
# Paths relative to the checkout in ccache's keys: a clone elsewhere (CI's) reuses the objects.
# (-g would otherwise key each object on the build directory too.)
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}" CCACHE_NOHASHDIR=1
scripts/install-deps.sh
build=${USERMGMT_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSERMGMT_BUILD_TESTS=ON
cmake --build "$build"
# bcrypt.js from npm for the import test's Express hashes, where node and npm are there (bounded;
# without it the test hashes with python3-bcrypt and says so).
if command -v node >/dev/null && command -v npm >/dev/null && [ ! -d "$build/npm/node_modules/bcryptjs" ]; then
  mkdir -p "$build/npm"
  timeout 120 npm install --prefix "$build/npm" --no-audit --no-fund --silent bcryptjs@2 ||
    echo "bcryptjs could not be installed: the import test uses python3-bcrypt's hashes only" >&2
fi
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
# The same tests under ASan + UBSan (and TSan for the concurrent ones), then the fuzzers.
scripts/test-sanitizers.sh
scripts/fuzz.sh
