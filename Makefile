# The two commands of the README are `make run` and `make test`; the rest are steps.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 5000
SANDBOX_PORT ?= 5001

.PHONY: run worker test lint format install system-deps services translations migrate bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV) || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv \
	  && python3 -m venv $(VENV); }
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Debian packages the browser tests need: Chromium (never a downloaded browser)
## and a CJK font so screenshots of the Chinese UI are legible
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "wenquanyi"; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; fi

## Redis and PostgreSQL for the multi-worker tests: start them when they are not running
services:
	@bash scripts/ensure-services.sh

translations: install
	$(PY) -c "from dashboard.i18n import compile_catalogs; compile_catalogs()"

migrate: install
	$(VENV)/bin/flask --app app db upgrade

## README command 1: the dashboard on the built-in sandbox, one command: the sandbox
## plus every process of the Procfile (web, worker)
run: install translations
	@bash scripts/run-demo.sh

## The Procfile's worker alone (the delivery queue's consumer), with this shell's environment
worker: install
	$(VENV)/bin/flask --app app delivery worker

## README command 2: lint and the whole test suite, Chromium journeys included
test: install system-deps services translations lint
	$(VENV)/bin/pytest -n 2 --dist loadgroup -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install services
	$(PY) -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
