#!/usr/bin/env bash
# Load-tests sign-in on the release server: seeds 1,000 users, then drives wrk (10 s,
# 2 threads, 32 connections, rotating through the users), with keep-alive and with
# `Connection: close`, through two scenarios:
#
#   sign-in request   POST /api/sign-in: rate-limit checks, the request row and its outbox
#                     row in one transaction (no SMTP, no argon2 on this path).
#   redemption        POST /api/sign-in/link with a fresh link each time: verify, spend
#                     the nonce, consume the request, update the account, create the
#                     session, in one transaction (the "Continue" button).
#
#   bench/sign_in.sh            # builds the release site first
#   SKIP_BUILD=1 bench/sign_in.sh
#
# The rate limits are raised for the run, so every request does the full work (records the
# request and queues its email); each user posts from its own X-Forwarded-For address.
# The measured instance serves requests only (LATCHKEY_MAIL_DELIVERY=off), as a web
# instance beside a delivery instance would: with delivery on, the worker spends one of
# the two cores hashing a code (argon2id, OWASP parameters) for every queued message.
# BENCH_MAIL_DELIVERY=on measures that too.
source "$(dirname "$0")/common.sh"

users=1000
# Fresh links per redemption run: enough for 8,000 sign-ins a second for 10 s. Past them,
# the script counts refusals separately.
links_per_user="${BENCH_LINKS_PER_USER:-80}"
export LATCHKEY_SIGN_IN_PER_IP=4000000000 LATCHKEY_SIGN_IN_PER_EMAIL=4000000000
export LATCHKEY_CLIENT_IP_HEADER=X-Forwarded-For
export LATCHKEY_MAIL_DELIVERY="${BENCH_MAIL_DELIVERY:-off}"
# Seeding takes minutes: links must outlive it.
export LATCHKEY_LOGIN_MAX_AGE=1h

echo "seeding $users users and $((users * links_per_user * 2)) sign-in links…"
started=$SECONDS
# One process at a time: SQLite has one writer, and processes racing for it only wait.
for i in $(seq 0 $((users - 1))); do
  latchkey user add "user$i@bench.test" >/dev/null
done
for run in keepalive close; do
  for i in $(seq 0 $((users - 1))); do
    latchkey link login --email "user$i@bench.test" --count "$links_per_user"
  done | shuf >"$data/links-$run.txt"
done
echo "seeded in $((SECONDS - started)) s"

start_server
header
echo "mail delivery in the measured instance: $LATCHKEY_MAIL_DELIVERY"
export BENCH_USERS=$users
run "sign-in request, keep-alive" / -s bench/wrk/sign_in_request.lua
run "sign-in request, Connection: close" / -s bench/wrk/sign_in_request.lua -H "Connection: close"
BENCH_LINKS="$data/links-keepalive.txt" \
  run "redemption, keep-alive" / -s bench/wrk/redeem_link.lua
BENCH_LINKS="$data/links-close.txt" \
  run "redemption, Connection: close" / -s bench/wrk/redeem_link.lua -H "Connection: close"
