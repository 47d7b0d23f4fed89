# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench serve clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	scripts/install-cjk-font.sh
	touch $(STAMP)

## Install, migrate the SQLite database under var/, seed the demo region if empty, and serve on 127.0.0.1:8000.
run: $(STAMP)
	mkdir -p var
	$(BIN)/carenforce db upgrade
	$(BIN)/carenforce seed-demo
	$(BIN)/carenforce serve

## Lint, type-check and run every test (PostgreSQL too when TEST_DATABASE_URL is set), on both cores.
## Three workers for two cores: the browser and live-server tests spend much of their time waiting.
test: $(STAMP) lint
	$(BIN)/pytest -q -p no:cacheprovider -n 3 --dist worksteal

## Every benchmark at a reduced scale (a few minutes): one line each with its ratios to their floors and targets.
bench: $(STAMP)
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
