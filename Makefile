# dvclean developer commands. `make demo` and `make test` work on a fresh machine
# with only Python 3.11+ and pip: they create .venv and install what they need.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
export OMP_NUM_THREADS ?= 2

.PHONY: help install demo test test-fast lint fmt bench clean

help:
	@echo "make demo       create .venv, install dvclean, score sample_data/adult_2000.csv"
	@echo "make test       lint + the full test suite (what CI runs)"
	@echo "make test-fast  the quick inner loop (skips tests marked slow)"
	@echo "make bench      run the benchmarks (never part of the tests)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/dvclean score sample_data/adult_2000.csv --label income --seed 0
	@echo "scores written to sample_data/adult_2000.dvclean.parquet"

lint: $(STAMP)
	$(BIN)/ruff check dvclean tests benchmarks

test: $(STAMP) lint
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -x

fmt: $(STAMP)
	$(BIN)/ruff check --fix dvclean tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/knn_scaling.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
