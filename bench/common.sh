# Shared by the bench scripts: build the release site, start the server on a scratch
# database, and run wrk with the figures we report. Source it; do not run it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
export PATH="$PWD/end2end/node_modules/.bin:$PATH"
if [ -z "${SKIP_BUILD:-}" ]; then
  cargo leptos build --release
fi

BENCH_THREADS=2
BENCH_CONNECTIONS=32
BENCH_SECONDS=10
export BENCH_THREADS
data="$(mktemp -d)"
port="${BENCH_PORT:-3900}"
base="http://127.0.0.1:$port"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
# BENCH_BIN: another build's binary (say, the commit before a change), for a before/after.
latchkey_bin="${BENCH_BIN:-$target_dir/release/latchkey}"

# The server's settings; callers add their own LATCHKEY_* before `start_server`.
export LATCHKEY_DATABASE_URL="sqlite://$data/latchkey.db"
export LATCHKEY_SECRET_FILE="$data/secret.key"
export LATCHKEY_MAIL_DIR="$data/mail"
export LATCHKEY_BIND="127.0.0.1:$port"
export LATCHKEY_BASE_URL="$base"
export LATCHKEY_LOG="${LATCHKEY_LOG:-warn}"
export LEPTOS_OUTPUT_NAME=latchkey LEPTOS_SITE_ROOT=target/site

# Runs the `latchkey` binary (admin commands) with the same settings as the server.
latchkey() {
  "$latchkey_bin" "$@"
}

# fresh_database NAME: from now on, the server and the admin commands use a new, empty
# database (and secret) under $data/NAME.
fresh_database() {
  mkdir -p "$data/$1"
  export LATCHKEY_DATABASE_URL="sqlite://$data/$1/latchkey.db"
  export LATCHKEY_SECRET_FILE="$data/$1/secret.key"
}

stop_server() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

start_server() {
  "$latchkey_bin" &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && break
    sleep 0.1
  done
  curl -fsS "$base/healthz" >/dev/null
}

# The server's CPU time so far (user + system, in clock ticks) and its threads' context
# switches so far, from /proc: what a run costs the server per request, apart from wrk,
# which shares the machine's two cores with it. Nothing when the server is not running.
# The switches are those of the threads alive at each reading: a thread that ends during
# a run (Tokio's blocking threads end after 10 s idle) takes its count with it, so the
# figure is a floor.
server_usage() {
  [ -n "$server_pid" ] && [ -r "/proc/$server_pid/stat" ] || return 0
  local ticks switches
  # The fields after the command name, which sits in parentheses and may hold spaces.
  ticks="$(sed 's/.*) //' "/proc/$server_pid/stat" | awk '{print $12 + $13}')"
  switches="$({ cat /proc/"$server_pid"/task/*/status 2>/dev/null || true; } | awk '/ctxt_switches/ {s += $2} END {print s + 0}')"
  echo "$ticks $switches"
}

# run NAME PATH [wrk args…]: one wrk run, one line of figures (plus any script output):
# req/s, latency, and the server's CPU time and context switches per request.
run() {
  local name="$1" path="$2"; shift 2
  local out rps p50 p99 errors extra before after cost
  before="$(server_usage)"
  out="$(wrk -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${BENCH_SECONDS}s" --latency "$@" "$base$path")"
  after="$(server_usage)"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  errors="$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' | paste -sd ';' || true)"
  extra="$(grep -E "^(signed in|not 200):" <<<"$out" || true)"
  cost="$(awk -v b="$before" -v a="$after" -v hz="$(getconf CLK_TCK)" '/requests in/ {
      split(b, x, " "); split(a, y, " "); n = $1 + 0
      if (n > 0 && b != "" && a != "") printf "cpu %5.1fus/req  switches %4.2f/req", (y[1] - x[1]) * 1e6 / hz / n, (y[2] - x[2]) / n
    }' <<<"$out")"
  printf '%-40s %10s req/s   p50 %8s   p99 %8s   %s   %s %s\n' "$name" "$rps" "$p50" "$p99" "$cost" "${errors:-no errors}" "$extra"
  printf '%s|%s|%s\n' "$name" "$rps" "$p99" >>"$data/results"
}

# link_pages SUFFIX LINKS SHARES [wrk args…]: the report link as JSON and as the HTML
# page, then the share link's page, each rotating through the URLs in the files LINKS and
# SHARES; each figure is named for its scenario followed by SUFFIX.
link_pages() {
  local suffix="$1" links="$2" shares="$3"; shift 3
  local html="text/html,application/xhtml+xml"
  BENCH_LINKS="$links" BENCH_ACCEPT="application/json" \
    run "report link JSON$suffix" / -s bench/wrk/report_link.lua "$@"
  BENCH_LINKS="$links" BENCH_ACCEPT="$html" \
    run "report link HTML$suffix" / -s bench/wrk/report_link.lua "$@"
  BENCH_LINKS="$shares" BENCH_ACCEPT="$html" \
    run "share link HTML$suffix" / -s bench/wrk/report_link.lua "$@"
}

# medians: per scenario (in the order first run), the median req/s and p99 of its runs.
medians() {
  echo "medians of $(awk -F'|' 'NR == 1 {first = $1} $1 == first {n++} END {print n}' "$data/results") runs:"
  awk -F'|' '
    function ms(t) {  # wrk latency text (850.00us, 15.00ms, 1.02s) in milliseconds
      if (t ~ /us$/) return t / 1000; if (t ~ /ms$/) return t + 0; if (t ~ /s$/) return t * 1000
      return t + 0
    }
    !($1 in count) { order[++names] = $1 }
    { count[$1]++; rps[$1, count[$1]] = $2; p99[$1, count[$1]] = ms($3) }
    END {
      for (i = 1; i <= names; i++) {
        name = order[i]; n = count[name]
        printf "%-40s %10.2f req/s   p99 %7.2fms   (of %d)\n", name, median(rps, name, n), median(p99, name, n), n
      }
    }
    function median(values, name, n,   sorted, j, k, t) {
      for (j = 1; j <= n; j++) sorted[j] = values[name, j]
      for (j = 1; j <= n; j++) for (k = j + 1; k <= n; k++) if (sorted[k] < sorted[j]) { t = sorted[j]; sorted[j] = sorted[k]; sorted[k] = t }
      return n % 2 ? sorted[(n + 1) / 2] : (sorted[n / 2] + sorted[n / 2 + 1]) / 2
    }' "$data/results"
}

header() {
  echo "wrk ${BENCH_SECONDS} s, ${BENCH_THREADS} threads, ${BENCH_CONNECTIONS} connections, release build, SQLite ($(nproc) cores)"
}
