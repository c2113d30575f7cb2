# dvclean developer commands. `make demo` and `make test` work on a fresh machine
# with only Python 3.11+ and pip: they create .venv and install what they need.

PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
CORE    = $(VENV)/.installed-core
export OMP_NUM_THREADS ?= 2

.PHONY: help install demo test test-fast lint fmt bench fuzz clean test-browser

help:
	@echo "make demo       create .venv, install dvclean (the score command: no PyTorch), score sample_data/adult_2000.csv"
	@echo "make test       lint + the full test suite (what CI runs)"
	@echo "make test-fast  the quick inner loop (skips tests marked slow)"
	@echo "make install    create .venv and install dvclean with its dev and augment extras"
	@echo "make bench      run the KNN scaling benchmark, benchmarks/knn_scaling.py (never part of the tests)"
	@echo "make fuzz       fuzz the CSV loading path for FUZZ_SECONDS (default 120)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	# torch first (the local CPU wheel), so SDV's ctgan does not pull a multi-GB CUDA build
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,augment]"
	@touch $(STAMP) $(CORE)

# the demo needs only the score command: no SDV, so no PyTorch (pip would fetch its CUDA build elsewhere)
$(CORE): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $(CORE)

install: $(STAMP)

demo: $(CORE)
	$(BIN)/dvclean score sample_data/adult_2000.csv --label income --seed 0
	@echo "scores written to sample_data/adult_2000.dvclean.parquet"

lint: $(STAMP)
	$(BIN)/ruff check dvclean tests benchmarks fuzz

# Two pytest-xdist workers on the two cores, one native (OpenMP/BLAS) thread each so that they do not
# oversubscribe the cores; then, one at a time with both cores, the tests marked `serial` (time budgets,
# signals: see tests/conftest.py). --durations lists the slowest tests in the CI log, to keep the suite under its budget.
test: $(STAMP) lint
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 -m "not serial" --durations=25
	$(BIN)/python -m pytest -q -m serial --durations=10

test-fast: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n 2 -m "not slow and not serial" -x
	$(BIN)/python -m pytest -q -m "serial and not slow" -x

# Installs Debian's chromium (root) and runs the headless-browser test of the HTML report,
# which `make test` skips with a reason when chromium is absent.
test-browser: $(STAMP)
	command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium)
	$(BIN)/python -m pytest -q -rs tests/test_report.py -k chromium

fmt: $(STAMP)
	$(BIN)/ruff check --fix dvclean tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/knn_scaling.py

fuzz: $(STAMP)
	$(BIN)/python fuzz/fuzz_csv.py --seconds $${FUZZ_SECONDS:-120}

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
