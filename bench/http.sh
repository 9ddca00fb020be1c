#!/usr/bin/env bash
# Load-tests the release server on loopback with wrk: 10 s, 2 threads, 32 connections, once
# with keep-alive and once with `Connection: close`, for each scenario below.
#
#   bench/http.sh            # builds the release site first
#   SKIP_BUILD=1 bench/http.sh
#
# Scenarios so far: the server-rendered home page (SSR, CSP nonce per response) and the
# health check (one database ping). Sign-in scenarios join them with the sign-in flow.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo leptos build --release
fi

data="$(mktemp -d)"
port="${BENCH_PORT:-3900}"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
LATCHKEY_DATABASE_URL="sqlite://$data/latchkey.db" \
LATCHKEY_SECRET_FILE="$data/secret.key" \
LATCHKEY_BIND="127.0.0.1:$port" \
LATCHKEY_BASE_URL="http://127.0.0.1:$port" \
LATCHKEY_LOG=warn \
LEPTOS_OUTPUT_NAME=latchkey LEPTOS_SITE_ROOT=target/site \
  "$target_dir/release/latchkey" &
server_pid=$!

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null

run() { # name path [extra wrk args]
  local name="$1" path="$2"; shift 2
  local out
  out="$(wrk -t2 -c32 -d10s --latency "$@" "http://127.0.0.1:$port$path")"
  local rps p50 p99
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  local errors
  errors="$(grep -E "Non-2xx|Socket errors" <<<"$out" || true)"
  printf '%-28s %12s req/s   p50 %8s   p99 %8s   %s\n' "$name" "$rps" "$p50" "$p99" "${errors:-no errors}"
}

echo "wrk 10 s, 2 threads, 32 connections, release build, SQLite ($(nproc) cores)"
run "home page, keep-alive" /
run "home page, Connection: close" / -H "Connection: close"
run "healthz, keep-alive" /healthz
run "healthz, Connection: close" /healthz -H "Connection: close"
