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

# Three workers on two cores: a worker waiting on PostgreSQL, a subprocess or a socket leaves a
# core to the others (11 min 3 s against 11 min 57 s with two). Bytecode is written even where
# PYTHONDONTWRITEBYTECODE is set: without it every worker and every `python -m bigfish` a test
# starts compiles the sources again (collection 18.6 s against 7.0 s).
unit: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n 3 -q

test: lint typecheck $(BROWSER_DEPS) unit

clean:
	rm -rf $(VENV) bigfish.db bigfish.db-wal bigfish.db-shm bigfish-data .mypy_cache .pytest_cache
