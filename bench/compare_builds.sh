#!/usr/bin/env bash
# Compares release binaries (say, one per commit of a change) on one seeded database: the
# seeding of `report_links.sh`, then each binary in turn serves the home page, `/healthz`,
# the report link (JSON and HTML) and the share link, for two rounds, so a drift of the
# machine shows as a difference between rounds rather than between binaries.
#
#   bench/compare_builds.sh OLD_BINARY NEW_BINARY …
#   MODE=close …   # with `Connection: close` (default: keep-alive)
export SKIP_BUILD=1
source "$(dirname "$0")/common.sh"
[ "$#" -ge 1 ] || { echo "usage: bench/compare_builds.sh BINARY…" >&2; exit 2; }
binaries=("$@")
export LATCHKEY_MAIL_DELIVERY=off
users=1000
addresses=()
for i in $(seq 0 $((users - 1))); do addresses+=("user$i@bench.test"); done

header
fresh_database compare
latchkey_bin="${binaries[0]}"
latchkey user add "${addresses[@]}" >/dev/null
latchkey link report "${addresses[@]/#/--email=}" | shuf >"$data/links.txt"
latchkey link share "${addresses[@]/#/--email=}" | shuf >"$data/shares.txt"
extra=()
if [ "${MODE:-}" = close ]; then extra=(-H "Connection: close"); fi
for round in 1 2; do
  for binary in "${binaries[@]}"; do
    latchkey_bin="$binary"
    start_server
    suffix=" (round $round, $(basename "$binary"))"
    run "home page$suffix" / "${extra[@]}"
    run "healthz$suffix" /healthz "${extra[@]}"
    link_pages "$suffix" "$data/links.txt" "$data/shares.txt" "${extra[@]}"
    stop_server
  done
done
