#!/usr/bin/env bash
# The test suite under AddressSanitizer + UndefinedBehaviorSanitizer, and the concurrency and
# server tests under ThreadSanitizer (clang). Any report fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

asan=build-asan
CC=clang CXX=clang++ cmake -S . -B "$asan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSERMGMT_BUILD_TESTS=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build "$asan"
# The package test builds an unsanitized consumer against the sanitized library: not meaningful here.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$asan" --output-on-failure -j "$jobs" -E package_consumer

tsan=build-tsan
CC=clang CXX=clang++ cmake -S . -B "$tsan" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUSERMGMT_BUILD_TESTS=ON \
  -DUSERMGMT_BUILD_EXAMPLES=OFF -DCMAKE_CXX_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" >/dev/null
cmake --build "$tsan" --target core_tests service_tests storage_tests http_tests postgres_tests mail_tests
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
"$tsan/tests/core_tests" "[concurrency]"
"$tsan/tests/storage_tests" "[concurrency],[mail]"
"$tsan/tests/mail_tests" "[queue]"  # the sender threads against a real SMTP server
"$tsan/tests/service_tests" "[concurrency]"
"$tsan/tests/http_tests" "[server],[mount]"
# The PostgreSQL store's concurrency (pool, shared change checks) on a server of its own,
# stopped however the run ends.
pg_state=$PWD/$tsan/postgres
scripts/postgres.sh start "$pg_state" >/dev/null
trap 'scripts/postgres.sh stop "$pg_state"' EXIT
USERMGMT_TEST_POSTGRES=$pg_state/conninfo "$tsan/tests/postgres_tests" "[concurrency]"
USERMGMT_TEST_POSTGRES=$pg_state/conninfo "$tsan/tests/service_tests" "[concurrency]"
# The whole HTTP suite on PostgreSQL (about 15 s): every request is parked for the shared change
# check on the listener's thread and resumes on its I/O thread.
USERMGMT_TEST_POSTGRES=$pg_state/conninfo "$tsan/tests/http_tests" "~[sqlite]"
echo "sanitizers: no report"
