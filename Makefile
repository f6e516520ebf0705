# The few commands a newcomer needs. Everything installs into .venv; nothing outside the repo.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The browser the page tests drive: Debian's chromium (Playwright's own download needs the internet).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test test-postgres bench bench-quick lint format screenshots clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.run-installed

## make run: migrate the SQLite database, load the demo, serve on http://127.0.0.1:8000
run: $(VENV)/.run-installed
	$(BIN)/grantflow db upgrade
	$(BIN)/grantflow demo load
	$(BIN)/grantflow serve

$(CHROMIUM):
	$(SUDO) apt-get install -y -q chromium || ($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium)

# The identity provider the sign-in tests run (panva's oidc-provider), from the npm registry.
OIDC_PROVIDER := tests/oidc/node_modules/.installed
$(OIDC_PROVIDER): tests/oidc/package.json tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $@

## make test: lint and type-check, then the whole test suite
test: $(VENV)/.test-installed $(CHROMIUM) $(OIDC_PROVIDER)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

## make test-postgres: the same suite, every database test on PostgreSQL (127.0.0.1:5432)
test-postgres: $(VENV)/.test-installed $(CHROMIUM) $(OIDC_PROVIDER)
	GRANTFLOW_TEST_POSTGRES_URL=$(POSTGRES_URL) $(BIN)/pytest

## make bench: the performance bars on SQLite and PostgreSQL, as ratios against baselines measured
## in the same run; writes bench/RESULTS.md
bench: $(VENV)/.test-installed
	$(BIN)/python bench/suite.py --postgres-url $(POSTGRES_URL)
	$(BIN)/python bench/pages.py --results bench/RESULTS.md
	$(BIN)/python bench/inbox_order.py

## make bench-quick: the transition bars alone (rates against the lean and naive endpoints, and
## the statements a transition sends), on SQLite and PostgreSQL, in a few minutes
bench-quick: $(VENV)/.test-installed
	$(BIN)/python bench/quick.py --postgres-url $(POSTGRES_URL)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## make screenshots: the README's pictures of the demo, taken again by the page tests
screenshots: $(VENV)/.test-installed $(CHROMIUM)
	GRANTFLOW_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/test_pages.py -k screenshots

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis tests/oidc/node_modules
