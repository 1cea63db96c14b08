#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for FUZZ_SECONDS (60) on
# its seed corpus in fuzz/corpus/. Any crash, leak or sanitizer report fails the run; the input
# that caused it is left in build-fuzz/artifacts/. Past findings (fuzz/findings/) run first and
# fail it the same way while they still reproduce.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DUSERMGMT_BUILD_TESTS=OFF -DUSERMGMT_BUILD_EXAMPLES=OFF -DUSERMGMT_BUILD_FUZZERS=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" >/dev/null
cmake --build "$build"
mkdir -p "$build/artifacts"
for target in jwt validation hash multipart urlencoded request_body request; do
  work="$build/corpus/$target"
  mkdir -p "$work"
  options=(-max_len=4096)
  # Whole requests carry headers, tokens and multipart bodies; the dictionary names routes and accounts.
  [[ $target == request ]] && options=(-max_len=8192 -dict=fuzz/request.dict)
  # Past findings first: each must no longer reproduce.
  findings=(fuzz/findings/"$target"-*)
  if [[ -e ${findings[0]} ]]; then
    "$build/fuzz/fuzz_$target" "${findings[@]}" -artifact_prefix="$build/artifacts/$target-" 2>"$build/$target.log" ||
      { tail -n 40 "$build/$target.log"; echo "fuzz_$target: a finding in fuzz/findings/ reproduces" >&2; exit 1; }
  fi
  echo "fuzzing $target for ${seconds}s"
  "$build/fuzz/fuzz_$target" "$work" "fuzz/corpus/$target" -max_total_time="$seconds" "${options[@]}" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
    2>"$build/$target.log" || { tail -n 40 "$build/$target.log"; echo "fuzz_$target failed" >&2; exit 1; }
  grep -E "^stat::number_of_executed_units" "$build/$target.log" || true
done
echo "fuzzing: all targets ran ${seconds}s without a finding"
