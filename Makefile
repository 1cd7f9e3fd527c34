# Everything a fresh machine needs: `make demo` and `make test` build the virtual environment themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HYPOTHESIS_PROFILE ?= ci

.PHONY: all demo test lint typecheck contracts pytest bench docs clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=25.1"
	$(BIN)/python -m pip install --quiet --editable ".[all]" --group dev
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m educonnect_core.testing.demo

lint: $(STAMP)
	$(BIN)/ruff check src adapters tests bench
	$(BIN)/ruff format --check src adapters tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider --hypothesis-profile=$(HYPOTHESIS_PROFILE)

test: lint typecheck contracts pytest

docs: $(STAMP)
	$(BIN)/python docs/generate.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
