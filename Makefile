# The two commands of the README are `make run` and `make test`; the rest are steps.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 5000
SANDBOX_PORT ?= 5001

.PHONY: run test lint format install system-deps services translations migrate bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## Debian packages the browser tests need (Chromium; never a downloaded browser)
system-deps:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

## Redis and PostgreSQL for the multi-worker tests: start them when they are not running
services:
	@bash scripts/ensure-services.sh

translations: install
	$(PY) -c "from dashboard.i18n import compile_catalogs; compile_catalogs()"

migrate: install
	$(VENV)/bin/flask --app app db upgrade

## README command 1: the dashboard on the built-in sandbox, one command
run: install translations
	@bash scripts/run-demo.sh

## README command 2: lint and the whole test suite, Chromium journeys included
test: install system-deps services translations lint
	$(VENV)/bin/pytest -n 2 --dist loadgroup -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
