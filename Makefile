# Kerja Lokal: the index of commands. `make run` and `make test` work on a fresh machine with
# PostgreSQL and RabbitMQ on localhost; everything else is installed by `make setup`.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
export DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/

.PHONY: help setup servers run test test-unit faults lint format typecheck bench clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## install uv and Debian's chromium (console browser tests) if missing, then .venv
	@command -v uv >/dev/null 2>&1 || test -x $(UV) || python3 -m pip install --quiet --user uv
	@test -x "$${CHROMIUM:-/usr/bin/chromium}" || scripts/install_chromium.sh
	$(UV) sync --frozen

servers:  ## check PostgreSQL and RabbitMQ on localhost; start them if they stopped
	@scripts/ensure_servers.sh

run: setup servers  ## run every service with demo data; prints the URLs (Ctrl-C stops)
	$(UV) run --frozen python scripts/run_platform.py

test: setup servers  ## run the whole test suite against the real PostgreSQL and RabbitMQ
	$(UV) run --frozen pytest
	$(UV) run --frozen pytest tests/faults

faults: setup  ## the long fault run: every scenario, a longer load (tests/faults/README.md)
	FAULTS=all $(UV) run --frozen pytest tests/faults

test-unit: setup  ## only the fast tests (no servers)
	$(UV) run --frozen pytest -m "not integration and not e2e" shared/tests/unit services/*/tests/unit tests/contracts

lint: setup  ## ruff lint and format check, mypy
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy shared/src services/*/src

format: setup  ## apply ruff's fixes and formatting
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: setup servers  ## benchmarks beside raw ceilings, one table and results/all.json; BENCH_ARGS=--full
	$(UV) run --frozen python benchmarks/run_all.py $(BENCH_ARGS)

clean:  ## drop the local platform databases and the broker's queues and event log (demo data)
	$(UV) run --frozen python -m kerjalokal.db drop kerjalokal_registry kerjalokal_vacancies \
		kerjalokal_training kerjalokal_notify kerjalokal_console
	$(UV) run --frozen python scripts/clean_broker.py
