# Two commands do everything on a fresh machine: `make demo` and `make test`.
# pip runs with -qq: errors still show; the machine's index notices do not.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/tenure/web/static/vendor
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test test-slow lint format bench lock clean serve messages

$(VENV)/.runtime: requirements/lock.txt pyproject.toml $(VENDOR)/.installed
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -qq -r requirements/lock.txt
	$(BIN)/pip install -qq --no-deps -e .
	@touch $@

# the web app's charts and htmx, from the npm registry at build time (scripts/web-assets.sh)
$(VENDOR)/.installed: assets/package-lock.json scripts/web-assets.sh
	scripts/web-assets.sh
	@touch $@

$(VENV)/.dev: requirements/dev.lock.txt $(VENV)/.runtime
	$(BIN)/pip install -qq -r requirements/dev.lock.txt
	@touch $@

## demo: the simulated company in ./tenure.db, then the web app on http://127.0.0.1:8000
demo: $(VENV)/.runtime
	$(BIN)/tenure init
	$(BIN)/tenure demo --if-empty
	$(BIN)/tenure serve

serve: $(VENV)/.runtime
	$(BIN)/tenure serve

## lint: ruff, ruff format, mypy (strict) and the layer contract
lint: $(VENV)/.dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(VENV)/.dev
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

## test: lint, then every test but the slow ones, on SQLite, PostgreSQL and Chromium
test: $(VENV)/.dev lint
	@scripts/ensure-chromium.sh >/dev/null
	TENURE_TEST_PG_URL="$$(scripts/ensure-postgres.sh)" $(BIN)/pytest -m "not slow" -q

## test-slow: the long tests (large data)
test-slow: $(VENV)/.dev
	TENURE_TEST_PG_URL="$$(scripts/ensure-postgres.sh)" $(BIN)/pytest -m slow -q

## bench: the benchmarks named by the issues (prints figures; takes minutes)
bench: $(VENV)/.dev
	$(BIN)/python benchmarks/import_bench.py
	$(BIN)/python benchmarks/demo_bench.py
	$(BIN)/python benchmarks/score_bench.py
	$(BIN)/python benchmarks/report_bench.py
	TENURE_TEST_PG_URL="$$(scripts/ensure-postgres.sh)" $(BIN)/python benchmarks/web_bench.py

## messages: extract the web app's messages and add new ones to the 中文 catalogue
messages: $(VENV)/.dev
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --omit-header -o .messages.pot .
	$(BIN)/pybabel update -i .messages.pot -d src/tenure/web/locale -l zh --no-fuzzy-matching --width 100
	@rm -f .messages.pot

## lock: re-pin dependencies after changing pyproject.toml
lock:
	$(PYTHON) -m pip install -q uv
	$(PYTHON) -m uv pip compile pyproject.toml --python-version 3.11 -o requirements/lock.txt
	$(PYTHON) -m uv pip compile pyproject.toml --extra dev --extra spark --python-version 3.11 -o requirements/dev.lock.txt

clean:
	rm -rf $(VENV) .pgdata .pytest_cache .mypy_cache .ruff_cache artifacts assets/node_modules $(VENDOR)
