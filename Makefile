# `make test` is the one command that checks the whole template: it creates .venv,
# installs requirements-dev.txt into it and runs the pytest suite in parallel
# (rendering, validators, git, update, and npm install + npm test of generated projects).

PYTHON ?= python3
VENV ?= .venv
# The demo needs Copier only, not the test tools (pytest, Playwright, ...).
DEMO_VENV ?= .venv-demo
PYTEST_ARGS ?= -n auto --maxschedchunk 1

.PHONY: demo test test-fast screenshot venv clean js

# Generate the default project into .cache/demo, install it and run it next to a
# local stand-in for PostHog that prints every event (no account, no key; Node 24
# through `npm exec` when the system Node is older than 22.22). Ctrl-C stops both.
demo: $(DEMO_VENV)/.installed
	$(DEMO_VENV)/bin/python tools/demo.py

test: venv
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Everything but the tests that run npm install.
test-fast: venv
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) -m "not slow"

# The README's picture of the browser page, taken by the browser test (needs chromium).
screenshot: venv
	UPDATE_SCREENSHOT=1 $(VENV)/bin/python -m pytest tests/test_browser.py -k "share and express" -p no:xdist

venv: $(VENV)/.installed

$(VENV)/.installed: requirements-dev.txt requirements-demo.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(DEMO_VENV)/.installed: requirements-demo.txt
	$(PYTHON) -m venv $(DEMO_VENV)
	$(DEMO_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-demo.txt
	touch $@

clean:
	rm -rf $(VENV) $(DEMO_VENV) .cache .pytest_cache tools/node_modules

# Rewrite the JavaScript sources of template/ from their TypeScript originals (each
# module is written once, in TypeScript). Needs Node 22.22+ (module.stripTypeScriptTypes).
js: tools/node_modules/.package-lock.json
	node --disable-warning=ExperimentalWarning tools/ts-to-js.mjs

tools/node_modules/.package-lock.json: tools/package-lock.json
	npm ci --prefix tools --no-audit --no-fund

# The benchmark (not part of `make test`): renders each framework's project with
# SQLite and with PostgreSQL (a throwaway cluster from the Debian binaries; skipped
# without them), measures PostHog's overhead (ratio and µs per event, next to bare
# posthog-node), event loss on shutdown, outages, and /api/stats with remote vs.
# local flag evaluation, with autocannon; prints tables and rewrites the results in
# docs/benchmarks.md. About 35 minutes; BENCH_ARGS passes options
# (`node bench/bench.mjs --help`; `--quick` for a smoke run). Under a Node older than
# 22.22 it re-runs itself on Node 24 through `npm exec --package node@24`.
BENCH_ARGS ?=

.PHONY: bench
bench: venv
	COPIER=$(abspath $(VENV))/bin/copier node bench/bench.mjs --write docs/benchmarks.md $(BENCH_ARGS)

# What a request costs as a user's todos grow: p50 and server CPU per request for
# POST, PATCH, DELETE, GET's first page, stats, me and login, for a user with 10
# todos and one with 50,000 (seeded straight into the database), on SQLite and
# PostgreSQL; prints the ratios and fails when one is over 1.15. A few minutes;
# BENCH_DATA_ARGS passes options (`node bench/data.mjs --help`).
BENCH_DATA_ARGS ?=

.PHONY: bench-data
bench-data: venv
	COPIER=$(abspath $(VENV))/bin/copier node bench/data.mjs $(BENCH_DATA_ARGS)
