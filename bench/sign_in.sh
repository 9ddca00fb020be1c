#!/usr/bin/env bash
# Load-tests sign-in on the release server: seeds 1,000 users, then drives wrk (10 s,
# 2 threads, 32 connections, rotating through the users), with keep-alive and with
# `Connection: close`, through two scenarios:
#
#   sign-in request   POST /api/sign-in: rate-limit checks, the request row and its outbox
#                     row in one transaction (no SMTP, no argon2 on this path).
#   redemption        POST /api/sign-in/link with a fresh link each time: verify,
#                     consume the request, re-check the account, create the
#                     session and its security-activity entry, in one transaction (the
#                     "Continue" button).
#
#   bench/sign_in.sh            # builds the release site first
#   SKIP_BUILD=1 bench/sign_in.sh
#   SKIP_BUILD=1 BENCH_BIN=/path/to/latchkey bench/sign_in.sh   # another build (before/after)
#   BENCH_RUNS=5 bench/sign_in.sh   # runs per scenario (default 3; medians reported)
#   SESAME_HARNESS=path bench/sign_in.sh   # where the django-sesame harness is
#
# Right before and right after our runs, the django-sesame harness (../shared/peers/
# django-sesame, 2 gunicorn sync workers, same wrk settings, every request a new connection)
# measures its /request-link/ and LoginView; the script prints our `Connection: close`
# medians against the mean of its two figures: sign-in request against /request-link/,
# redemption against LoginView.
#
# The rate limits are raised for the run, so every request does the full work (records the
# request and queues its email); each user posts from its own X-Forwarded-For address.
# The measured instance serves requests only (LATCHKEY_MAIL_DELIVERY=off), as a web
# instance beside a delivery instance would: with delivery on, the worker spends one of
# the two cores hashing a code (argon2id, OWASP parameters) for every queued message.
# BENCH_MAIL_DELIVERY=on measures that too.
source "$(dirname "$0")/common.sh"

users=1000
# Each scenario runs this many times, each on a fresh database; the medians are reported.
runs="${BENCH_RUNS:-3}"
# Fresh links per redemption run: enough for 8,000 sign-ins a second for 10 s. Past them,
# the script counts refusals separately.
links_per_user="${BENCH_LINKS_PER_USER:-80}"
export LATCHKEY_SIGN_IN_PER_IP=4000000000 LATCHKEY_SIGN_IN_PER_EMAIL=4000000000
export LATCHKEY_CLIENT_IP_HEADER=X-Forwarded-For
export LATCHKEY_MAIL_DELIVERY="${BENCH_MAIL_DELIVERY:-off}"
# Links must outlive the seeding and the runs.
export LATCHKEY_LOGIN_MAX_AGE=1h

harness="${SESAME_HARNESS:-$PWD/../shared/peers/django-sesame}"
# sesame_run N: the harness's 2-worker RESULT lines for login and request-link.
sesame_run() {
  [ -d "$harness" ] || return 0
  "$harness/setup.sh" >/dev/null
  (cd "$harness" && WORKERS=2 ./bench_http.sh) | grep -E '^RESULT.*scenario=(login|link) ' \
    | sed "s/^/django-sesame $1: /" | tee -a "$data/sesame"
}
: >"$data/sesame"
sesame_run before

addresses=()
for i in $(seq 0 $((users - 1))); do addresses+=("user$i@bench.test"); done

# Each repetition starts from a fresh database seeded the same way, so that the runs
# measure the same thing rather than an ever larger database.
header
echo "mail delivery in the measured instance: $LATCHKEY_MAIL_DELIVERY"
export BENCH_USERS=$users
for run in $(seq 1 "$runs"); do
  fresh_database "run-$run"
  started=$SECONDS
  latchkey user add "${addresses[@]}" >/dev/null
  for mode in keepalive close; do
    latchkey link login "${addresses[@]/#/--email=}" --count "$links_per_user" \
      | shuf >"$data/links-$mode-$run.txt"
  done
  echo "run $run: seeded $users users and $((users * links_per_user * 2)) sign-in links in $((SECONDS - started)) s"
  start_server
  run "sign-in request, keep-alive" / -s bench/wrk/sign_in_request.lua
  run "sign-in request, Connection: close" / -s bench/wrk/sign_in_request.lua -H "Connection: close"
  BENCH_LINKS="$data/links-keepalive-$run.txt" \
    run "redemption, keep-alive" / -s bench/wrk/redeem_link.lua
  BENCH_LINKS="$data/links-close-$run.txt" \
    run "redemption, Connection: close" / -s bench/wrk/redeem_link.lua -H "Connection: close"
  stop_server
done
medians

sesame_run after
if [ -s "$data/sesame" ]; then
  ours() {
    awk -F'|' -v name="$1" '$1 == name {print $2}' "$data/results" | sort -n \
      | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
  }
  theirs() {
    grep "scenario=$1 " "$data/sesame" | sed -E 's/.*rps=([0-9.]+).*/\1/' \
      | awk '{sum += $1; n++} END {print sum / n}'
  }
  awk -v ours="$(ours "sign-in request, Connection: close")" -v theirs="$(theirs link)" \
    'BEGIN {printf "sign-in request (Connection: close) against django-sesame /request-link/: %.1fx\n", ours / theirs}'
  awk -v ours="$(ours "redemption, Connection: close")" -v theirs="$(theirs login)" \
    'BEGIN {printf "redemption (Connection: close) against django-sesame LoginView: %.1fx\n", ours / theirs}'
else
  echo "django-sesame harness not found at $harness: no ratio"
fi
