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
    """One run in a fresh interpreter, one in this one: their hash seeds (set and dict orders of strings), imported
    modules and warmed-up worker pools differ, and the files must not."""
    from typer.testing import CliRunner

    from dvclean.cli import app

    args = ["score", str(small_sample), "-y", "income", "--method", method, "--seed", "7", "-q", *FAST.get(method, [])]
    fresh, here = tmp_path / "fresh.parquet", tmp_path / "here.parquet"
    res = subprocess.run([sys.executable, "-m", "dvclean", *args, "-o", str(fresh)], capture_output=True, timeout=600)
    assert res.returncode == 0, res.stderr.decode()
    inproc = CliRunner().invoke(app, [*args, "-o", str(here)])
    assert inproc.exit_code == 0, inproc.output
    digests = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (fresh, here)]
    assert digests[0] == digests[1]


@pytest.mark.parametrize("methods", [("knn",), ("oob", "tmc")])
def test_row_order_changes_nothing_but_the_order(methods):
    """Shuffled rows get exactly the values and flags they got in file order (folds, bags and permutations
    follow the rows' contents, not their positions); the output stays in input order."""
    import numpy as np

    import dvclean
    from dvclean.config import ScoreConfig, TMCConfig
    from tests.conftest import SAMPLE

    df = pl.read_csv(SAMPLE, null_values=["", "?"]).head(300)
    perm = np.random.default_rng(3).permutation(df.height)
    cfg = ScoreConfig(methods=methods, tmc=TMCConfig(max_permutations=4))
    ra = dvclean.score(df, label="income", config=cfg)
    a = ra.frame.drop("row_id")
    b = dvclean.score(df[perm], label="income", config=cfg).frame.drop("row_id")
    assert a["is_mislabeled"].sum() > 0
    assert b.equals(a[perm])
    # the library's arrays are in input order too: players by row, neighbour indices remapped
    rows = ra.data.rows
    assert (np.diff(rows) > 0).all()
    for name, res in ra.results.items():
        np.testing.assert_array_equal(res.values, a[f"value_{name}" if len(methods) > 1 else "value"].to_numpy()[rows])
        if res.neighbors is not None:
            d = ((ra.data.x[:, None, :] - ra.data.x[None, :, :]) ** 2).sum(-1)
            np.fill_diagonal(d, np.inf)
            np.testing.assert_allclose(d[np.arange(rows.size), res.neighbors[:, 0]], d.min(axis=1))
    # a column read as integers in one file and as floats in another orders the rows alike
    from dvclean.pipeline import canonical_order

    f = pl.DataFrame({"x": [3, 1, 2, 1], "y": ["u", "v", "u", "w"]})
    g = f.with_columns(pl.col("x").cast(pl.Float64))[[2, 3, 0, 1]]
    assert f[canonical_order(f, ["x", "y"])].with_columns(pl.col("x").cast(pl.Float64)).equals(
        g[canonical_order(g, ["x", "y"])]
    )
