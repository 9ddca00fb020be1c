#!/usr/bin/env bash
# Load-tests the release server on loopback with wrk: 10 s, 2 threads, 32 connections, once
# with keep-alive and once with `Connection: close`: the server-rendered home page (SSR,
# CSP nonce per response) and the health check (one database ping).
#
#   bench/http.sh            # builds the release site first
#   SKIP_BUILD=1 bench/http.sh
source "$(dirname "$0")/common.sh"

start_server
header
run "home page, keep-alive" /
run "home page, Connection: close" / -H "Connection: close"
run "healthz, keep-alive" /healthz
run "healthz, Connection: close" /healthz -H "Connection: close"
