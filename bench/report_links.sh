#!/usr/bin/env bash
# Load-tests report links on the release server, against its own limits and against
# django-sesame, in one run: seeds 1,000 users with one report and one report link each,
# then drives wrk (10 s, 2 threads, 32 connections, rotating through the 1,000 links), with
# keep-alive and with `Connection: close`:
#
#   report link, JSON   GET /reports/{id}/view?token=… with Accept: application/json
#   report link, HTML   the same URL as a browser asks for it (server-rendered page)
#   share link          GET /shared?token=… as a browser asks for it (a copied-link share
#                       of each user's report; counted, as automated: wrk sends no
#                       browser headers)
#   /healthz            one database round trip: the limit for a request that reads
#   home page           a server-rendered page with no data: the limit for a page
#
# and django-sesame's `@authenticate(scope="report")` view (../shared/peers/django-sesame,
# gunicorn with 2 sync workers, the same wrk settings) right after, for the ratio. The
# server's resident memory is sampled every second during our runs; its peak is printed.
#
#   bench/report_links.sh               # builds the release site first
#   SKIP_BUILD=1 bench/report_links.sh
#   BENCH_RUNS=3 bench/report_links.sh  # runs per scenario (default 1; medians reported)
#   SESAME_HARNESS=path bench/report_links.sh   # where the django-sesame harness is
source "$(dirname "$0")/common.sh"

users=1000
runs="${BENCH_RUNS:-1}"
harness="${SESAME_HARNESS:-$PWD/../shared/peers/django-sesame}"
export LATCHKEY_MAIL_DELIVERY=off

addresses=()
for i in $(seq 0 $((users - 1))); do addresses+=("user$i@bench.test"); done

# Peak resident memory of the server, sampled every second until it exits.
sample_memory() {
  local pid=$1 peak=0 rss
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss && echo "$peak" >"$data/rss-peak"
    sleep 1
  done
}

header
for run in $(seq 1 "$runs"); do
  fresh_database "run-$run"
  latchkey user add "${addresses[@]}" >/dev/null
  latchkey link report "${addresses[@]/#/--email=}" | shuf >"$data/links-$run.txt"
  latchkey link share "${addresses[@]/#/--email=}" | shuf >"$data/shares-$run.txt"
  echo "run $run: seeded $users users, each with a report and a link, and a shared report"
  start_server
  echo 0 >"$data/rss-peak"
  sample_memory "$server_pid" &
  sampler=$!
  # Every link must work before it is measured.
  first="$(head -1 "$data/links-$run.txt")"
  curl -fsS -H "Accept: application/json" "$first" | grep -q '"title"'
  for mode in keepalive close; do
    extra=()
    label="keep-alive"
    if [ "$mode" = close ]; then extra=(-H "Connection: close"); label="Connection: close"; fi
    link_pages ", $label" "$data/links-$run.txt" "$data/shares-$run.txt" "${extra[@]}"
    run "healthz, $label" /healthz "${extra[@]}"
    run "home page, $label" / "${extra[@]}"
  done
  echo "server peak resident memory: $(( $(cat "$data/rss-peak") / 1024 )) MiB"
  stop_server
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
done
medians

# django-sesame's report view, same wrk settings, right after ours.
if [ -d "$harness" ]; then
  "$harness/setup.sh" >/dev/null
  sesame="$(WORKERS=2 "$harness/bench_http.sh" | grep '^RESULT.*scenario=report')"
  echo "django-sesame $sesame"
  sesame_rps="$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$sesame")"
  ours="$(awk -F'|' '$1 == "report link JSON, Connection: close" {print $2}' "$data/results" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
  awk -v ours="$ours" -v theirs="$sesame_rps" \
    'BEGIN {printf "report link JSON (Connection: close) against django-sesame: %.1fx\n", ours / theirs}'
else
  echo "django-sesame harness not found at $harness: no ratio"
fi
