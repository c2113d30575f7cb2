"""Same command, same --seed: byte-identical output files, for every registered method."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import polars as pl
import pytest

from dvclean.valuation import REGISTRY


@pytest.fixture(scope="module")
def small_sample(tmp_path_factory, request):
    from tests.conftest import SAMPLE

    d = tmp_path_factory.mktemp("det")
    path = d / "small.csv"
    pl.read_csv(SAMPLE, null_values=["", "?"]).head(150).write_csv(path)
    return path


# small budgets keep the sampling methods quick; determinism does not depend on the budget
FAST = {
    "tmc": ["--max-permutations", "8", "--folds", "2", "--n-jobs", "2"],
    "dvgs": ["--epochs", "3", "--folds", "2", "--n-jobs", "2"],
    "loo": ["--folds", "2", "--n-jobs", "2"],
    "banzhaf": ["--samples", "8", "--folds", "2", "--n-jobs", "2"],
    "beta": ["--samples", "2", "--folds", "2", "--n-jobs", "2"],
}


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_same_seed_byte_identical(small_sample, tmp_path, method):
    digests = []
    for run in range(2):
        out = tmp_path / f"run{run}.parquet"
        res = subprocess.run(
            [sys.executable, "-m", "dvclean", "score", str(small_sample), "-y", "income", "--method", method,
             "--seed", "7", "-o", str(out), "-q", *FAST.get(method, [])],
            capture_output=True, timeout=600,
        )
        assert res.returncode == 0, res.stderr.decode()
        digests.append(hashlib.sha256(out.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
