# Latchkey: `make run` serves the app, `make test` runs every test.
# Each target installs what it needs first; when everything is present that takes a second.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

CARGO_LEPTOS_VERSION := 0.3.10
WASM_BINDGEN_VERSION := 0.2.130
# wasm-opt (binaryen) comes from end2end's npm packages; cargo-leptos finds it on PATH.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# The end-to-end server keeps its files apart from `make run`'s var/.
E2E_DIR := $(CURDIR)/target/e2e
E2E_ENV := LATCHKEY_DATABASE_URL=sqlite://$(E2E_DIR)/latchkey.db \
           LATCHKEY_SECRET_FILE=$(E2E_DIR)/secret.key \
           LATCHKEY_MAIL_DIR=$(E2E_DIR)/mail E2E_MAIL_DIR=$(E2E_DIR)/mail \
           E2E_SHORT_DIR=$(E2E_DIR)/short E2E_SHORT_MAIL_DIR=$(E2E_DIR)/short/mail \
           E2E_SITE_ROOT=$(CURDIR)/target/site E2E_SERVER_BIN=$(CURDIR)/target/debug/latchkey \
           LATCHKEY_BIND=127.0.0.1:3000 LATCHKEY_BASE_URL=http://127.0.0.1:3000

# A real SMTP server for the integration tests (aiosmtpd, from PyPI, in its own venv).
TEST_TOOLS := $(CURDIR)/target/test-tools
AIOSMTPD_VERSION := 1.4.6
export LATCHKEY_TEST_PYTHON := $(TEST_TOOLS)/venv/bin/python

.PHONY: help setup tools browser npm smtpd run test test-rust test-e2e bench fuzz clean-e2e

help:
	@echo "make run    build and serve on http://127.0.0.1:3000 (SQLite and mail files under var/)"
	@echo "make test   unit, integration and end-to-end tests (headless Chromium)"
	@echo "make bench  criterion benchmarks of the token crate"
	@echo "make fuzz   fuzz token verification (FUZZ_SECONDS=60)"

setup: tools npm browser smtpd

smtpd: $(TEST_TOOLS)/venv/.aiosmtpd-$(AIOSMTPD_VERSION)

$(TEST_TOOLS)/venv/.aiosmtpd-$(AIOSMTPD_VERSION):
	python3 -m venv $(TEST_TOOLS)/venv
	$(TEST_TOOLS)/venv/bin/pip install --quiet --disable-pip-version-check aiosmtpd==$(AIOSMTPD_VERSION)
	@touch $@

tools:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown \
	  || rustup target add wasm32-unknown-unknown
	@cargo leptos --version 2>/dev/null | grep -q " $(CARGO_LEPTOS_VERSION)" \
	  || cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked
	@# Not --locked: its lock pins a crate release that is no longer downloadable.
	@wasm-bindgen --version 2>/dev/null | grep -q " $(WASM_BINDGEN_VERSION)" \
	  || cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION)

npm: end2end/node_modules/.package-lock.json

end2end/node_modules/.package-lock.json: end2end/package.json end2end/package-lock.json
	cd end2end && npm ci --no-audit --no-fund
	@touch $@

browser:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "Chromium is missing: install Debian's 'chromium' package (needs root)."; exit 1; \
	  fi; \
	fi

# With the default file transport, sign-in links are also logged, at debug level (they are
# credentials, so never at info).
run: tools npm
	LATCHKEY_LOG="$${LATCHKEY_LOG:-info,server::workers::mail_delivery=debug}" cargo leptos serve

test: setup test-rust test-e2e

# Each crate with its features on: code behind `ssr` or `store` is otherwise not compiled
# into its tests, and they would pass having run nothing.
test-rust:
	cargo test -p tokens --features store
	cargo test -p migrations --features testing
	cargo test -p app --features ssr
	cargo test -p server

test-e2e: clean-e2e
	mkdir -p $(E2E_DIR)/short
	@# On failure, repeat which tests failed after cargo-leptos's backtrace (see the reporter).
	$(E2E_ENV) E2E_FAILURES_FILE=$(E2E_DIR)/failures.txt cargo leptos end-to-end \
	  || { status=$$?; echo "--- failed end-to-end tests ---"; \
	       cat $(E2E_DIR)/failures.txt 2>/dev/null || echo "(no test results: see above)"; \
	       exit $$status; }

clean-e2e:
	rm -rf $(E2E_DIR)

bench:
	cargo bench -p tokens --features store --bench tokens

FUZZ_SECONDS ?= 60
fuzz:
	@command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
	mkdir -p tokens/fuzz/corpus/verify
	cd tokens/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run verify corpus/verify seeds/verify -- -max_total_time=$(FUZZ_SECONDS)
