# Every target bootstraps what it needs: a fresh clone only needs `make sandbox` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(abspath $(VENV)/bin)
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: help venv sandbox sandbox-up sandbox-down sandbox-status test test-unit test-contract \
        test-integration test-molecule sanity lint drift clean

help:
	@echo "make sandbox       start the local stand-ins and provision the client acme against them"
	@echo "make test          every test suite (unit, contract, integration, molecule, sanity, lint)"
	@echo "make sandbox-up / sandbox-down / sandbox-status"
	@echo "make drift         check every client for drift (JUnit + JSON report, non-zero exit on drift)"

venv: $(VENV)/.bootstrapped
$(VENV)/.bootstrapped: requirements/runtime.txt requirements/runtime-py311.txt requirements/dev.txt tools/bootstrap-venv.sh
	tools/bootstrap-venv.sh $(VENV)
	touch $@

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

clean: sandbox-down
	rm -rf .sandbox tests/output
