#!/usr/bin/env bash
# The benchmark suite: one command (see docs/performance.md).
#
#   bench/run.sh            # 1,000,000 users, 15 s per scenario, 64 connections
#   BENCH_USERS=100000 BENCH_SECONDS=10 bench/run.sh
#   BENCH_DATABASE=postgres bench/run.sh   # the same on PostgreSQL 15, plus two nodes at once
#
# Builds in Release, seeds a fresh database through the core, starts the example server and the
# baseline server on loopback, runs each scenario with wrk, and writes bench/results/latest.json
# and the results table of docs/performance.md. Every scenario is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${BENCH_USERS:-1000000}
SECONDS_PER=${BENCH_SECONDS:-15}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-$(nproc)}
LOGIN_USERS=${BENCH_LOGIN_USERS:-64}
PASSWORD="correct-Horse-battery-9"
OPS=2
MEMORY_KIB=19456
PORT=${BENCH_PORT:-18080}
BASE_PORT=$((PORT + 1))
NODE2_PORT=$((PORT + 2))
BASE2_PORT=$((PORT + 3))
DATABASE=${BENCH_DATABASE:-sqlite}
# The ceiling (7): the raw rate in processes. With Argon2's memory kept, as the server keeps it
# (it hashes on threads by default), processes do as many hashes a second as threads or a few
# more, so the higher of the two is the ceiling.
RAW_MODE=${BENCH_RAW_MODE:-processes}
case $DATABASE in sqlite | postgres) ;; *) echo "BENCH_DATABASE must be sqlite or postgres" >&2; exit 2 ;; esac

scripts/install-deps.sh
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get install -y -qq wrk; }

build=build-release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DUSERMGMT_BUILD_TESTS=OFF -DUSERMGMT_BUILD_BENCH=ON >/dev/null
cmake --build "$build" --target usermgmt-server usermgmt-bench-baseline usermgmt-bench-seed usermgmt-bench-pwhash \
  usermgmt-bench-pwhash-libsodium

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ "$DATABASE" = postgres ] && scripts/postgres.sh stop "$work/postgres"
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
rss_kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
# The server's, with its hashing processes' when --argon2-processes is on (pages a child still shares with the server
# since the fork are counted in both: an upper bound).
tree_rss_kib() {
  local total child kib
  total=$(rss_kib "$1" "$2")
  for child in $(pgrep -P "$1"); do
    kib=$(rss_kib "$child" "$2" 2>/dev/null || true)
    total=$((total + ${kib:-0}))
  done
  echo "$total"
}
wait_up() { for _ in $(seq 1 500); do curl -fs "http://127.0.0.1:$1/$2" >/dev/null 2>&1 && return 0; sleep 0.01; done; return 1; }
json_field() { sed -E "s/.*\"$2\":\"?([^\",}]*).*/\1/" <<<"$1"; }

mkdir -p "$work/data" "$work/data2"
database_args=()
target="$work/data/users.db"
if [ "$DATABASE" = postgres ]; then
  # As a deployment runs it: fsync and synchronous commits on, on this machine's disk.
  DURABLE=1 scripts/postgres.sh start "$work/postgres" >&2
  read -r -a conninfo <"$work/postgres/conninfo"
  target="postgresql:///postgres?${conninfo[0]}&${conninfo[1]}"
  database_args=(--database "$target")
fi
# One secret for both nodes (the second node runs in the PostgreSQL run only).
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/secret"
echo "seeding $USERS users ($DATABASE) ..." >&2
seed=$("$build/bench/usermgmt-bench-seed" "$target" "$USERS" "$LOGIN_USERS" "$OPS" "$MEMORY_KIB" "$PASSWORD")
if [ "$DATABASE" = postgres ]; then
  # A bulk load leaves the database maintenance to do (autovacuum's first pass over a million
  # new rows, a checkpoint of their WAL): done now, not in the middle of a measurement, as a
  # deployment whose users came over time would have it done.
  psql -q "$target" -c "VACUUM ANALYZE" -c "CHECKPOINT" >&2
fi

# The server as the README starts it: the console mailer and the access log on (the mails, on
# standard output, and the log, on standard error, both go to server.log here). Throttling is off
# only because the login scenarios send far more logins per account than a real client may (10
# a minute); no scenario that reads is throttled anyway.
server_args=(--data-dir "$work/data" --threads "$THREADS" --secret-file "$work/secret" "${database_args[@]}"
             --throttle false --access-token-lifetime 7200 --argon2-ops "$OPS" --argon2-memory-kib "$MEMORY_KIB")
# Start-up on an existing database: from exec to the first answered request.
start=$(now_ms)
"$build/examples/server/usermgmt-server" --listen "127.0.0.1:$PORT" "${server_args[@]}" >"$work/server.log" 2>&1 &
server=$!
pids+=("$server")
wait_up "$PORT" healthz
startup_ms=$(( $(now_ms) - start ))
sleep 1
idle_rss=$(tree_rss_kib "$server" VmRSS)

"$build/bench/usermgmt-bench-baseline" "$BASE_PORT" "$THREADS" &
pids+=("$!")
wait_up "$BASE_PORT" ""

login() {
  curl -fs -X POST "http://127.0.0.1:$PORT/auth/jwt/create/" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" | sed -E 's/.*"access":"([^"]+)".*/\1/'
}
user_token=$(login bench-login-0)
staff_token=$(login bench-staff)
user_id=$(curl -fs "http://127.0.0.1:$PORT/users" -H "Authorization: Bearer $user_token" | sed -E 's/.*"_id":"([0-9]+)".*/\1/')

export BENCH_USERS=$USERS BENCH_LOGIN_USERS=$LOGIN_USERS BENCH_PASSWORD=$PASSWORD BENCH_RUN=$$
scenario() { # name url script token [connections]
  BENCH_TOKEN="$4" wrk -t2 -c"${5:-$CONNECTIONS}" -d"${SECONDS_PER}s" --timeout 10s -s "bench/lua/$3" "$2" | tail -n 1
}

# The ratios the targets are set in compare a scenario with a reference (the baseline server, the
# raw Argon2id rate) measured in alternating slices: reference, scenario, reference, ..., reference.
# This machine's speed drifts by 5-20 % within a minute; each slice of the scenario is held
# against the mean of the reference slices on either side of it, and the ratio is the mean of
# those. A reference measured once, minutes away, would carry the drift into the ratio.
SLICES=${BENCH_SLICES:-3}
slice_seconds=$((SECONDS_PER / SLICES))
[ "$slice_seconds" -ge 3 ] || slice_seconds=3
# Logins and registrations against the raw rate get more slices: one slice of either moves by
# 5-8 % against the raw slices around it on this machine, and their target is within 5 % of raw.
HASH_SLICES=${BENCH_HASH_SLICES:-6}
slice() { # url script token connections [wrk threads] -> wrk's JSON line
  # A run id of its own: the registration script's names are unique per run.
  BENCH_RUN="$$-$(date +%s%N)" BENCH_TOKEN="$3" wrk -t"${5:-2}" -c"$4" -d"${slice_seconds}s" --timeout 10s -s "bench/lua/$2" "$1" |
    tail -n 1
}
# Runs reference, scenario, reference, ... (slices of the scenario, one more of the reference)
# into REFS and RUNS. Each command prints wrk's JSON, or the raw program's; a command measuring
# two nodes at once prints one line per node.
collect() { # reference-command scenario-command [slices]
  REFS=("$($1)")
  RUNS=()
  local i
  for i in $(seq 1 "${3:-$SLICES}"); do
    RUNS+=("$($2)")
    REFS+=("$($1)")
  done
}
summarize() { # [line of each output] [divisor of a one-line reference] -> one JSON object
  local line=${1:-1} share=${2:-1} rates="" p50s="" p99s="" ref_rates="" errors=0 i run ref r
  for i in "${!RUNS[@]}"; do
    run=$(sed -n "${line}p" <<<"${RUNS[$i]}")
    errors=$((errors + $(json_field "$run" non_2xx) + $(json_field "$run" socket_errors)))
    rates+="$(json_field "$run" rps) "
    p50s+="$(json_field "$run" p50_ms) "
    p99s+="$(json_field "$run" p99_ms) "
  done
  for i in "${!REFS[@]}"; do
    # A reference of one line (the raw Argon2id rate, the machine's) is shared by the nodes.
    if [ "$(wc -l <<<"${REFS[$i]}")" -gt 1 ]; then ref=$(sed -n "${line}p" <<<"${REFS[$i]}"); else ref=${REFS[$i]}; fi
    r=$(json_field "$ref" rps)
    [[ $ref == *per_second* ]] && r=$(awk -v x="$(json_field "$ref" per_second)" -v n="$share" 'BEGIN { print x / n }')
    ref_rates+="$r "
  done
  awk -v rates="$rates" -v p50s="$p50s" -v p99s="$p99s" -v refs="$ref_rates" -v errors="$errors" 'BEGIN {
    n = split(rates, r, " "); split(p50s, a, " "); split(p99s, b, " "); split(refs, w, " ")
    for (i = 1; i <= n; i++) {
      around = (w[i] + w[i + 1]) / 2
      sr += r[i]; sa += a[i]; if (b[i] > worst) worst = b[i]
      sq += (around > 0 ? r[i] / around : 0); sc += around
      runs = runs (i > 1 ? "," : "") r[i]
    }
    for (i = 1; i <= n + 1; i++) refs_list = refs_list (i > 1 ? "," : "") w[i]
    printf "{\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"ratio\":%.2f,\"reference\":%.2f,", sr / n, sa / n, worst, sq / n, sc / n
    printf "\"errors\":%d,\"slices_rps\":[%s],\"reference_slices\":[%s]}\n", errors, runs, refs_list
  }'
}
alternate() { # reference-command scenario-command [slices] -> the scenario against its reference
  collect "$@"
  summarize
}
base_slice() { slice "http://127.0.0.1:$BASE_PORT/" get.lua "$user_token" "$CONNECTIONS"; }
me_slice() { slice "http://127.0.0.1:$PORT/auth/users/me/" get.lua "$user_token" "$CONNECTIONS"; }
user_slice() { slice "http://127.0.0.1:$PORT/users/$user_id" get.lua "$user_token" "$CONNECTIONS"; }
raw_slice() { "$build/bench/usermgmt-bench-pwhash" "$THREADS" "$slice_seconds" "$OPS" "$MEMORY_KIB" "$RAW_MODE"; }
# One wrk thread for the hash-bound scenarios: ~100 requests/s need no more, and the load
# generator's own CPU on these two cores is taken from the hashes it measures.
login_slice() { slice "http://127.0.0.1:$PORT/auth/jwt/create/" login.lua "" 16 1; }
register_slice() { slice "http://127.0.0.1:$PORT/auth/users/" register.lua "" 16 1; }

echo "running scenarios, ${SECONDS_PER}s each (in ${slice_seconds}s slices beside their reference) ..." >&2
base=$(scenario baseline "http://127.0.0.1:$BASE_PORT/" get.lua "$user_token")
s1=$(alternate base_slice me_slice)
s2=$(alternate base_slice user_slice)
# (3) measures the time of one page, so one connection per server thread: at 64 connections
# it would measure the queue in front of them.
s3=$(scenario pages "http://127.0.0.1:$PORT/auth/users/" pages.lua "$staff_token" "$THREADS")
# (4) and (5) against (7), the raw Argon2id rate with the server's parameters, computed as the
# server computes it (Argon2's memory kept between hashes: lib/internal/kept_argon2_memory.hpp).
s4=$(alternate raw_slice login_slice "$HASH_SLICES")
# For comparison, what libsodium alone does (a fresh mapping each hash): one slice.
raw_libsodium=$("$build/bench/usermgmt-bench-pwhash-libsodium" "$THREADS" "$slice_seconds" "$OPS" "$MEMORY_KIB" "$RAW_MODE")
peak_rss=$(tree_rss_kib "$server" VmHWM)
s5=$(alternate raw_slice register_slice "$HASH_SLICES")
# (6): GET me while a login storm runs beside it.
storm_out="$work/storm.json"
(scenario login "http://127.0.0.1:$PORT/auth/jwt/create/" login.lua "" 16 >"$storm_out") &
storm=$!
sleep 1
s6=$(scenario me-under-storm "http://127.0.0.1:$PORT/auth/users/me/" get.lua "$user_token")
wait "$storm"
# The hashing threads give their kept Argon2 memory back after 10 s without a hash (they run at
# nice 19: on a machine busy with something else it may come later than this).
sleep 12
rested_rss=$(tree_rss_kib "$server" VmRSS)

# (8), PostgreSQL only: a second node on the same database, as a load balancer would spread
# the load. Both nodes, the database and wrk share this machine's cores, so each node is held
# against what it can have here: GET me on both nodes at once against two baseline servers at
# once (each node against the baseline beside it), and logins on both nodes at once against
# half the raw Argon2id rate each.
s8a='{}'
s8b='{}'
s8la='{}'
s8lb='{}'
s8pa='{}'
s8pb='{}'
if [ "$DATABASE" = postgres ]; then
  node2_args=("${server_args[@]}")
  node2_args[1]="$work/data2"  # --data-dir: its own media and files; the database is shared
  "$build/examples/server/usermgmt-server" --listen "127.0.0.1:$NODE2_PORT" "${node2_args[@]}" >"$work/server2.log" 2>&1 &
  pids+=("$!")
  "$build/bench/usermgmt-bench-baseline" "$BASE2_PORT" "$THREADS" &
  pids+=("$!")
  wait_up "$NODE2_PORT" healthz
  wait_up "$BASE2_PORT" ""
  pair_slice() { # url-a url-b script connections [wrk threads] [token] -> one JSON line per node
    local out_b="$work/pair-b.json" b token=${6:-$user_token}
    (slice "$2" "$3" "$token" "$4" "${5:-2}" >"$out_b") &
    b=$!
    slice "$1" "$3" "$token" "$4" "${5:-2}"
    wait "$b"
    cat "$out_b"
  }
  base_pair() { pair_slice "http://127.0.0.1:$BASE_PORT/" "http://127.0.0.1:$BASE2_PORT/" get.lua "$CONNECTIONS"; }
  me_pair() {
    pair_slice "http://127.0.0.1:$PORT/auth/users/me/" "http://127.0.0.1:$NODE2_PORT/auth/users/me/" get.lua "$CONNECTIONS"
  }
  login_pair() {
    pair_slice "http://127.0.0.1:$PORT/auth/jwt/create/" "http://127.0.0.1:$NODE2_PORT/auth/jwt/create/" login.lua 16 1
  }
  collect base_pair me_pair
  s8a=$(summarize 1)
  s8b=$(summarize 2)
  collect raw_slice login_pair "$HASH_SLICES"
  s8la=$(summarize 1 2)
  s8lb=$(summarize 2 2)
  # Pages as (3): one connection per server thread, on each node at once.
  pages_pair=$(pair_slice "http://127.0.0.1:$PORT/auth/users/" "http://127.0.0.1:$NODE2_PORT/auth/users/" pages.lua "$THREADS" 2 "$staff_token")
  s8pa=$(sed -n 1p <<<"$pages_pair")
  s8pb=$(sed -n 2p <<<"$pages_pair")
fi

ratio() { awk -v a="$(json_field "$1" rps)" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
base_rps=$(json_field "$base" rps)
login_ceiling=$(json_field "$s4" reference)
register_ceiling=$(json_field "$s5" reference)
machine="$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(sed -n 's/^model name\t: //p' /proc/cpuinfo | head -n 1)"
date_utc=$(date -u +%Y-%m-%dT%H:%MZ)
command="BENCH_USERS=$USERS BENCH_SECONDS=$SECONDS_PER BENCH_CONNECTIONS=$CONNECTIONS bench/run.sh"

results_json=bench/results/latest.json
marker=results
if [ "$DATABASE" = postgres ]; then
  results_json=bench/results/latest-postgres.json
  marker=results-postgres
  command="BENCH_DATABASE=postgres $command"
fi
mkdir -p bench/results
cat > "$results_json" <<JSON
{"date":"$date_utc","machine":"$machine","command":"$command","users":$USERS,"threads":$THREADS,
 "seed":$seed,"startup_ms":$startup_ms,"idle_rss_kib":$idle_rss,"peak_rss_during_login_kib":$peak_rss,"rss_12s_after_logins_kib":$rested_rss,
 "baseline":$base,
 "me":$s1,"user_by_id":$s2,"pages":$s3,"login":$s4,"register":$s5,"me_under_login_storm":$s6,
 "login_storm_beside_me":$(cat "$storm_out"),"raw_libsodium_alone":$raw_libsodium,
 "slices":"me and user_by_id alternate with the baseline in $SLICES slices, login and register with raw Argon2id in $HASH_SLICES, of $slice_seconds s",
 "database":"$DATABASE","two_nodes_me_a":$s8a,"two_nodes_me_b":$s8b,"two_nodes_login_a":$s8la,"two_nodes_login_b":$s8lb,"two_nodes_pages_a":$s8pa,"two_nodes_pages_b":$s8pb}
JSON

row() { # label result ratio-to
  printf '| %s | %s | %s | %s | %s |\n' "$1" "$(json_field "$2" rps)" "$(json_field "$2" p50_ms)" \
    "$(json_field "$2" p99_ms)" "$3"
}
{
  echo "<!-- $marker: written by bench/run.sh -->"
  echo "Measured $date_utc on $machine, with \`$command\` ($DATABASE)"
  echo "($USERS users, $THREADS server threads, wrk with 2 threads (1 for (4) and (5)); $CONNECTIONS connections, $THREADS for (3), 16 for the hashing scenarios;"
  echo "(1) and (2) in $SLICES, (4) and (5) in $HASH_SLICES slices of $slice_seconds s alternating with their reference, each slice held against the reference slices on either side; p50 the mean, p99 the worst of the slices)."
  echo
  echo "| scenario | requests/s | p50 ms | p99 ms | ratio |"
  echo "|---|---|---|---|---|"
  row "baseline Beast server (fixed 200 JSON)" "$base" "1.00 (baseline)"
  row "(1) GET /auth/users/me/" "$s1" "$(json_field "$s1" ratio) of baseline (alternating; baseline $(json_field "$s1" reference)/s)"
  row "(2) GET /users/:id" "$s2" "$(json_field "$s2" ratio) of baseline (alternating; baseline $(json_field "$s2" reference)/s)"
  row "(3) GET /auth/users/?limit=50&offset=random, staff" "$s3" "$(ratio "$s3" "$base_rps") of baseline"
  row "(4) POST /auth/jwt/create/ (login storm)" "$s4" "$(json_field "$s4" ratio) of raw Argon2id (alternating)"
  row "(5) POST /auth/users/ (registrations)" "$s5" "$(json_field "$s5" ratio) of raw Argon2id (alternating)"
  row "(6) GET /auth/users/me/ beside a login storm" "$s6" "$(ratio "$s6" "$(json_field "$s1" rps)") of (1) alone"
  if [ "$DATABASE" = postgres ]; then
    row "(8) GET /auth/users/me/ on node A, beside node B" "$s8a" "$(json_field "$s8a" ratio) of a baseline beside another (alternating; $(json_field "$s8a" reference)/s)"
    row "(8) GET /auth/users/me/ on node B, beside node A" "$s8b" "$(json_field "$s8b" ratio) of a baseline beside another (alternating; $(json_field "$s8b" reference)/s)"
    row "(8) POST /auth/jwt/create/ on node A, beside node B" "$s8la" "$(json_field "$s8la" ratio) of half the raw Argon2id rate (alternating)"
    row "(8) POST /auth/jwt/create/ on node B, beside node A" "$s8lb" "$(json_field "$s8lb" ratio) of half the raw Argon2id rate (alternating)"
    row "(8) GET /auth/users/?limit=50&offset=random on node A, beside node B" "$s8pa" "p50 against (3)'s $(json_field "$s3" p50_ms) ms"
    row "(8) GET /auth/users/?limit=50&offset=random on node B, beside node A" "$s8pb" "p50 against (3)'s $(json_field "$s3" p50_ms) ms"
  fi
  echo "| (7) raw crypto_pwhash_str with Argon2's memory kept (as the server keeps it), $THREADS $RAW_MODE, m=${MEMORY_KIB} KiB t=$OPS, in slices beside (4): $(sed -E 's/.*"reference_slices":\[([^]]*)\].*/\1/' <<<"$s4"), beside (5): $(sed -E 's/.*"reference_slices":\[([^]]*)\].*/\1/' <<<"$s5") | $login_ceiling, $register_ceiling | | | ceilings of (4) and (5) |"
  echo
  echo "libsodium alone (a fresh mapping each hash), one slice after (4): $(json_field "$raw_libsodium" per_second) hashes/s."
  echo "Start-up to the first answered request: ${startup_ms} ms. Idle RSS (the server, with any hashing processes): $((idle_rss / 1024)) MiB."
  echo "Peak RSS after the login storm: $((peak_rss / 1024)) MiB; 12 s after the last login: $((rested_rss / 1024)) MiB. Seeding: $(json_field "$seed" seconds) s."
  echo "Errors (socket / non-2xx): see $results_json."
  echo "<!-- /$marker -->"
} > "$work/table.md"
if grep -q "<!-- $marker:" docs/performance.md 2>/dev/null; then
  awk -v table="$work/table.md" -v first="<!-- $marker:" -v last="<!-- /$marker -->" '
    index($0, first) == 1 { while ((getline line < table) > 0) print line; skip = 1; next }
    index($0, last) == 1 { skip = 0; next }
    !skip { print }' docs/performance.md > "$work/perf.md" && cp "$work/perf.md" docs/performance.md
else
  cat "$work/table.md" >> docs/performance.md
fi
cat "$work/table.md"
