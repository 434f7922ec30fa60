# Quick start: `make demo` and `make test`; each sets up everything from Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit install clean bench

# Optional parts (vendored JavaScript, the browser for browser tests) live in mk/.
-include mk/*.mk
BROWSER_DEPS := $(if $(wildcard mk/browser.mk),browser-deps,)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,ml]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bigfish demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck $(BROWSER_DEPS) unit

clean:
	rm -rf $(VENV) bigfish.db bigfish.db-wal bigfish.db-shm bigfish-data .mypy_cache .pytest_cache
