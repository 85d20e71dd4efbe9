# inferplane — the two commands a fresh machine needs:
#   make plan   offline plan + policy check of the default stack (dev); no credentials
#   make test   lint, type checks and the whole test suite (all tiers)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STACK ?= dev
STAMP := $(VENV)/.installed
# Tools installed from PyPI into the venv (shellcheck) come first on PATH.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup debian-tools plan check test test-fast test-slow lint typecheck bench docs clean lock router-requirements prices

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

plan: setup
	$(BIN)/inferplane plan --stack $(STACK)
	$(BIN)/inferplane check --stack $(STACK)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

typecheck: setup
	$(BIN)/mypy

test: lint typecheck debian-tools
	$(BIN)/python -m pytest -q

debian-tools:
	@tools/debian-tools.sh

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow"

test-slow: setup
	$(BIN)/python -m pytest -q -m slow

# Benchmarks (not part of the tests). bench.router needs wrk and installs LiteLLM into
# .bench/ on first use.
bench: setup
	$(BIN)/python -m bench.plan
	$(BIN)/python -m bench.policies
	$(BIN)/python -m bench.router

docs: setup
	$(BIN)/inferplane docs rules > docs/policy-rules.md

# Re-pin requirements.lock from requirements.in (needs the package index).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements.in
	.lock-venv/bin/pip freeze --all --exclude-editable | grep -v '^pip==' > requirements.lock
	rm -rf .lock-venv
	$(PYTHON) tools/hash_lock.py requirements.lock
	@echo "now: make setup router-requirements"

# The router's pinned run-time closure (Lambda zip, OCI image): the `router` extra of
# pyproject.toml, versions from requirements.lock. Rerun after `make lock`.
router-requirements: setup
	$(BIN)/python -m inferplane.packaging.requirements > inferplane/packaging/router-requirements.txt

# Prices the shipped stacks need, fetched from the primary sources that publish them
# (EC2: AWS Price List API, needs AWS credentials; Azure VMs: Retail Prices API) into
# prices.fetched.yaml: use with `inferplane cost --prices prices.fetched.yaml`, or review
# and merge into inferplane/cost/prices.yaml (then bump its as_of).
prices: setup
	$(BIN)/inferplane prices --all --fetch --out prices.fetched.yaml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache out
