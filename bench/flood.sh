#!/usr/bin/env bash
# Sign-in mail under a flood: 1,000 networks ask for sign-in emails as fast as wrk can send
# (2 threads, 32 connections; the per-IP limit admits each network's first 60 in the window,
# 60,000 emails in all), while one person a second asks from a network of their own. Mail goes
# to a real SMTP sink on loopback (aiosmtpd, bench/smtp_sink.py), with the default limits,
# the default site-wide ceiling (600 sign-in emails a minute) and 4 sends in flight.
# Prints each real request's delay from asking to arrival at the sink (p50, p99, max), and
# how much of the flood was mailed. Target: every real request delivered within 10 s.
#
#   bench/flood.sh                       # builds the release site first
#   SKIP_BUILD=1 bench/flood.sh
#   FLOOD_SECONDS=120 REAL_REQUESTS=90 bench/flood.sh
#   BENCH_PROFILE=debug SKIP_BUILD=1 bench/flood.sh   # the debug build (cargo leptos build)
source "$(dirname "$0")/common.sh"

if [ "${BENCH_PROFILE:-release}" = debug ]; then latchkey_bin="$target_dir/debug/latchkey"; fi
python="${LATCHKEY_TEST_PYTHON:-$PWD/target/test-tools/venv/bin/python}"
"$python" -c 'import aiosmtpd' 2>/dev/null || { echo "aiosmtpd is missing: make smtpd" >&2; exit 1; }

flood_seconds="${FLOOD_SECONDS:-90}"
real_requests="${REAL_REQUESTS:-60}"
export BENCH_NETWORKS=1000
smtp_port="${BENCH_SMTP_PORT:-3925}"
arrivals="$data/arrivals.txt"
asked="$data/asked.txt"
: >"$arrivals"
: >"$asked"

"$python" bench/smtp_sink.py "$smtp_port" "$arrivals" &
sink_pid=$!
trap 'kill "$sink_pid" 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break; sleep 0.1; done

export LATCHKEY_SMTP_URL="smtp://127.0.0.1:$smtp_port"
export LATCHKEY_CLIENT_IP_HEADER=X-Forwarded-For
fresh_database flood
start_server

echo "flood: $BENCH_NETWORKS networks for ${flood_seconds} s; $real_requests real requests, one a second, from 1 s in"
wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${flood_seconds}s" -s bench/wrk/flood.lua "$base/" >"$data/wrk.txt" &
wrk_pid=$!
sleep 1
for i in $(seq 1 "$real_requests"); do
  # A network no flooder holds: 172.16.i.0/24.
  printf '%s real%s@real.test\n' "$(date +%s.%N)" "$i" >>"$asked"
  curl -fsS -o /dev/null --max-time 10 -X POST \
    -H "X-Forwarded-For: 172.16.$((i % 256)).$((i / 256 + 1))" \
    --data "email=real$i%40real.test" "$base/api/sign-in" || echo "real request $i failed" >&2
  sleep 1
done
wait "$wrk_pid"
# The last real emails may still be on their way.
sleep 15

grep -E "Requests/sec|requests in" "$data/wrk.txt" | sed 's/^/flood wrk: /'
"$python" - "$asked" "$arrivals" <<'PY'
import statistics, sys
asked = {}
for line in open(sys.argv[1]):
    at, who = line.split()
    asked[who] = float(at)
arrived, flood = {}, 0
for line in open(sys.argv[2]):
    at, who = line.split()
    if who.endswith("@flood.test"):
        flood += 1
    elif who in asked and who not in arrived:
        arrived[who] = float(at)
delays = sorted(arrived[w] - asked[w] for w in arrived)
print(f"real requests delivered: {len(delays)} of {len(asked)}")
if delays:
    p99 = delays[min(len(delays) - 1, round(0.99 * (len(delays) - 1)))]
    print(f"delivery delay: p50 {statistics.median(delays):.2f} s   p99 {p99:.2f} s   max {delays[-1]:.2f} s")
print(f"flood emails delivered meanwhile: {flood}")
PY
