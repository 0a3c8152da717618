# Every target bootstraps what it needs: a fresh clone only needs `make sandbox` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(abspath $(VENV)/bin)
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: help venv sandbox sandbox-up sandbox-down sandbox-status test test-unit test-contract \
        test-integration test-molecule test-build test-reliability sanity lint drift docs clean

help:
	@echo "make sandbox       start the local stand-ins and provision every sandbox client against them"
	@echo "make test          every test suite (unit, contract, integration, molecule, sanity, lint)"
	@echo "make sanity / lint / test-build   ansible-test sanity+units / ansible-lint+changelog / build+install"
	@echo "make sandbox-up / sandbox-down / sandbox-status"
	@echo "make drift         check every client for drift (reports/drift/: JSON + JUnit; exit 0 clean, 2 drift, 3 error)"
	@echo "make real-mailcow  start the real Mailcow API (root, Debian 12; MAILCOW_TARBALL=... or MAILCOW_CHECKOUT=...)"
	@echo "make test-real-mailcow / test-differential   the [real] half / emulator-vs-real differential test"
	@echo "make docs          regenerate docs/modules/ (antsibull-docs) from the plugins' and the role's own documentation"

venv: $(VENV)/.bootstrapped
$(VENV)/.bootstrapped: requirements/runtime.txt requirements/runtime-py311.txt requirements/dev.txt tools/bootstrap-venv.sh
	tools/bootstrap-venv.sh $(VENV)
	touch $@

sandbox: sandbox-up
	tools/sandbox-demo.sh

sandbox-up: venv
	$(PY) -m sandbox.ctl up

sandbox-down:
	@if [ -x $(PY) ]; then $(PY) -m sandbox.ctl down; else python3 -m sandbox.ctl down; fi

sandbox-status: venv
	$(PY) -m sandbox.ctl status

test: venv
	tools/run-tests.sh

test-unit: venv
	$(PY) -m pytest tests/unit -q

test-contract: venv
	$(PY) -m pytest tests/contract -q

test-integration: venv
	$(PY) -m pytest tests/integration -q

# The client role end to end on a private sandbox stack (ports 29xxx, state in molecule's
# ephemeral directory): safe while `make sandbox` is up.
test-molecule: venv
	molecule test --scenario-name default

test-build: venv
	$(PY) -m pytest tests/build -q

# Faults, SIGKILL interruptions, concurrency, secrets, TLS and hostile input (docs/reliability.md).
test-reliability: venv
	$(PY) -m pytest tests/reliability -q

sanity: venv
	tools/sanity.sh

lint: venv
	ansible-lint
	antsibull-changelog lint

docs: venv
	tools/build-docs.sh

# Drift check of every client in check mode (docs/drift-in-ci.md); reports in DRIFT_REPORT_DIR
# (default reports/drift/). DRIFT_ARGS go to ansible-playbook, e.g. DRIFT_ARGS="-i ~/inventory".
drift: venv
	tools/drift.sh $(DRIFT_ARGS)

# Fleet-scale benchmark (docs/performance.md). Its extra packages (requirements/bench.txt) are
# installed into the venv on demand. bench-smoke runs a fleet of one and checks only that the
# numbers are sane (no timing thresholds).
.PHONY: bench bench-smoke
BENCH_SIZES ?= 1,10,50,200
# Above 50 clients only the runs the targets need (about an hour in all on 2 cores).
BENCH_ARGS ?= --full-up-to 50 --lever-size 10
$(VENV)/.bench-deps: requirements/bench.txt | $(VENV)/.bootstrapped
	$(PY) -m pip install -q -r requirements/bench.txt
	touch $@

bench: venv $(VENV)/.bench-deps
	$(PY) -m benchmarks.run --sizes $(BENCH_SIZES) $(BENCH_ARGS)

bench-smoke: venv $(VENV)/.bench-deps
	$(PY) -m benchmarks.run --sizes 1 --quick --out $(abspath tests/output/bench-smoke)

# The real Mailcow API on 127.0.0.1:18080 (docs/testing.md): needs root and Debian 12's packages
# (installed when missing). Give the mailcow code once: MAILCOW_TARBALL=mailcow-2026-07a.tar.gz or
# MAILCOW_CHECKOUT=~/mailcow-dockerized; later runs reuse the installed tree.
.PHONY: real-mailcow test-real-mailcow test-differential
REAL_MAILCOW_URL ?= http://127.0.0.1:18080
real-mailcow:
	tools/real-mailcow.sh up $(if $(MAILCOW_TARBALL),--tarball $(MAILCOW_TARBALL)) \
	  $(if $(MAILCOW_CHECKOUT),--checkout $(MAILCOW_CHECKOUT))

test-real-mailcow: venv
	$(PY) -m pytest tests/contract tests/integration/test_mailcow_modules.py tests/differential -q -n 0 \
	  -m real_mailcow --real-mailcow $(REAL_MAILCOW_URL)

# DIFF_SEEDS=7,100-120 explores other seeds than the fixed set CI runs.
test-differential: venv
	$(PY) -m pytest tests/differential -q -n 0 --real-mailcow $(REAL_MAILCOW_URL) $(if $(DIFF_SEEDS),--diff-seeds $(DIFF_SEEDS))

clean: sandbox-down
	rm -rf .sandbox tests/output
