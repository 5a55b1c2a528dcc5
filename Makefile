# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
# pytest-xdist: one worker per core (each with its own test database); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
DEV_ENV := DEBUG=1 TIPI_SANDBOX=1 PORTAL_PUBLIC_URL=http://$(HOST):$(PORT)

.PHONY: run test lint format lock audit test-sqlite test-postgres migrate demo chromium bench bench-import bench-load bench-payfip fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.runtime

## run: the site on SQLite with the TIPI sandbox and demo data, at http://$(HOST):$(PORT)
run: $(VENV)/.runtime
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py createcachetable
	$(DEV_ENV) $(BIN)/python manage.py demo_data
	@echo "Portail : http://$(HOST):$(PORT)/   (Ctrl-C pour arrêter)"
	@# The task worker (large imports, PayFiP checks) runs beside the site and stops with it, and
	@# so does the PayFiP poller (docs/deployment.md's timer): payfip_poll every 20 seconds.
	@$(DEV_ENV) $(BIN)/python manage.py db_worker --interval 1 & worker=$$!; \
	( while sleep 20; do $(DEV_ENV) $(BIN)/python manage.py payfip_poll >/dev/null || true; done ) & poller=$$!; \
	trap 'kill $$worker $$poller 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: lint and import contracts, then the whole suite on SQLite, then on PostgreSQL when it
## answers (required when REQUIRE_POSTGRES=1)
test: $(VENV)/.test chromium
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(TEST_POSTGRES_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	elif [ -n "$$REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL is required but $(TEST_POSTGRES_URL) does not answer" >&2; exit 1; \
	else \
		echo "NOTE: PostgreSQL at $(TEST_POSTGRES_URL) does not answer: the PostgreSQL run (locking, concurrency) did not run."; \
	fi

## lock: compile requirements*.in into the hashed requirements*.txt (pip-tools, installed on demand)
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools==7.6.2
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements.txt requirements.in
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
		--no-emit-find-links -o requirements-test.txt requirements-test.in

## audit: known vulnerabilities of the pinned packages (pip-audit, installed on demand; it needs its
## advisory database on the network: PyPI's JSON API / OSV)
audit: | $(BIN)/python
	$(BIN)/pip install --quiet pip-audit==2.10.1
	$(BIN)/pip-audit --strict --disable-pip --require-hashes -r requirements.txt

## lint: ruff (lint and format) and the import contracts of pyproject.toml; any violation fails
lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## format: let ruff fix what it can and format the code
format: $(VENV)/.test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-sqlite: $(VENV)/.test
	@echo "=== Suite on SQLite ==="
	env -u DATABASE_URL $(BIN)/pytest -m "not postgres" -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-postgres: $(VENV)/.test
	@echo "=== Suite on PostgreSQL ($(TEST_POSTGRES_URL)) ==="
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

## chromium: Debian's Chromium for the browser tests (Playwright cannot download its own here)
chromium:
	@command -v chromium >/dev/null 2>&1 || { echo "Installing Debian's chromium…"; \
		(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null; }

## fuzz: the long fuzzing profile (10,000 cases per property; make test runs a quick one)
fuzz: $(VENV)/.test
	HYPOTHESIS_PROFILE=long env -u DATABASE_URL $(BIN)/pytest -q tests/unit/test_fuzz_inputs.py \
		tests/integration/payments/test_fuzz_forms.py tests/unit/payments/tipi/test_tipi_properties.py

## bench: the benchmarks (not part of make test)
bench: $(VENV)/.test
	$(BIN)/python bench/return_endpoint.py $(BENCH_RETURN_ARGS)
	$(MAKE) --no-print-directory bench-payfip
	$(BIN)/python bench/account_page.py
	$(BIN)/python bench/exports.py
	$(MAKE) --no-print-directory bench-load
	$(MAKE) --no-print-directory bench-import

## bench-load: 20,000 returns (malformed, forged, repeated, racing) at 50 clients, ~2 min
## (quick run: make bench-load BENCH_LOAD_ARGS="--requests 2000")
bench-load: $(VENV)/.test
	$(BIN)/python bench/return_load.py $(BENCH_LOAD_ARGS)

## bench-payfip: PayFiP's notification endpoint against the one-INSERT baseline, 50 clients, ~1 min
bench-payfip: $(VENV)/.test
	$(BIN)/python bench/payfip_notify.py $(BENCH_PAYFIP_ARGS)

## bench-import: debt imports into PostgreSQL against the plain ceiling (slice, compose REFDET, COPY) and the ratio
## (quick run: make bench-import BENCH_IMPORT_ARGS="--sizes 100000 --skip-pes")
bench-import: $(VENV)/.test
	$(BIN)/python bench/import.py $(BENCH_IMPORT_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles var .pytest_cache
