# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run install test lint typecheck pytest bench clean check

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "$(PYTHON) is $$($(PYTHON) --version 2>&1); the bot needs Python 3.11 or newer." \
	       "Run: make clean && make $(or $(MAKECMDGOALS),run) PYTHON=python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

run: $(STAMP_RUN)
	$(BIN)/python -m bot $(ARGS)

# Set up .venv for running only (a server, an update): what `make run` does before it starts the bot.
install: $(STAMP_RUN)

check: $(STAMP_RUN)
	$(BIN)/python -m bot check

lint: $(STAMP_DEV)
	$(BIN)/ruff check .

typecheck: $(STAMP_DEV)
	$(BIN)/mypy bot

pytest: $(STAMP_DEV)
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: $(STAMP_DEV)
	$(BIN)/python -m bench $(ARGS)

# Also the cure when .venv was made with the wrong Python: `make clean && make run PYTHON=python3.11`.
clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
