# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint bench eval clean

run: $(STAMP)
	$(BIN)/qabot run

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

install: $(STAMP)

# Reinstall only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

eval: $(STAMP)
	$(BIN)/qabot eval

bench: $(STAMP)
	$(BIN)/python bench/index_build.py
	$(BIN)/python bench/answer_latency.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
