"""Text columns of numbers that a CSV reader could not type (padding, a stray cell) are valued as numbers."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.table import MOSTLY_NUMERIC, FeatureEncoder


def _rows(n=300, seed=7):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    return y * 3 + rng.normal(0, 0.7, n), rng.random(n), y


def _csv(path, xs, noise, y):
    path.write_text("x,noise,y\n" + "".join(f"{a},{b:.3f},{c}\n" for a, b, c in zip(xs, noise, y, strict=True)))
    return path


def test_space_padded_numbers_give_the_same_values_as_plain_ones(tmp_path):
    x, noise, y = _rows()
    plain = dvclean.score(_csv(tmp_path / "plain.csv", [f"{v:.3f}" for v in x], noise, y), label="y")
    padded = dvclean.score(_csv(tmp_path / "padded.csv", [f"{v:9.3f}" for v in x], noise, y), label="y")
    assert padded.table.frame.get_column("x").dtype == pl.String  # the reader could not type it
    # the rows are valued in an order fixed by their text, so ties among neighbours break otherwise: equal to 1e-6
    np.testing.assert_allclose(padded.frame.get_column("value"), plain.frame.get_column("value"), rtol=0, atol=1e-6)
    assert padded.frame.get_column("is_mislabeled").to_list() == plain.frame.get_column("is_mislabeled").to_list()
    assert padded.summary["notes"] == plain.summary["notes"] == []


def test_one_stray_cell_is_missing_and_named_in_a_note(tmp_path):
    x, noise, y = _rows()
    cells = [f"{v:.3f}" for v in x]
    cells[100] = "1.5x"
    r = dvclean.score(_csv(tmp_path / "typo.csv", cells, noise, y), label="y")
    assert r.table.frame.get_column("x").dtype == pl.String
    assert "x__missing" in r.data.feature_names
    [note] = r.summary["notes"]
    assert "'x'" in note and "1 of 300" in note and "'1.5x'" in note and "--drop x" in note
    # x still separates the classes (as text it was frequency-encoded noise: AUROC about 0.5)
    assert r.summary["flags"]["label_predictability"]["auroc"] > 0.95


def _plan(values):
    enc = FeatureEncoder().fit(pl.DataFrame({"c": values, "d": np.arange(len(values)) % 3}), ["c", "d"])
    return next(p.kind for p in enc.plans_ if p.name == "c"), enc


def test_declared_text_of_plain_numbers_stays_text():
    kind, _ = _plan([f"{i:04d}" for i in range(40)] * 2)  # codes in a Parquet string column
    assert kind == "frequency"


def test_few_distinct_padded_numbers_stay_categorical():
    kind, _ = _plan([f"{i % 4:3d}" for i in range(80)])
    assert kind == "onehot"


@pytest.mark.parametrize("stray", [3, 5])
def test_the_share_of_stray_cells_decides(stray):
    cells = [f"{i}.5" for i in range(100)]
    for i in range(stray):
        cells[i] = f"n/k{i}"
    kind, enc = _plan(cells)
    numeric = stray <= (1 - MOSTLY_NUMERIC) * 100
    assert kind == ("numeric" if numeric else "frequency")
    assert ("c" in enc.text_numbers_) == numeric


def test_a_validation_file_with_the_column_typed_as_numbers(tmp_path):
    x, noise, y = _rows(200)
    cells = [f"{v:.3f}" for v in x]
    cells[5] = "?x"
    data = _csv(tmp_path / "d.csv", cells, noise, y)
    valid = _csv(tmp_path / "v.csv", [f"{v:.3f}" for v in x[:80]], noise[:80], y[:80])
    r = dvclean.score(data, label="y", valid=valid)
    assert r.data.x_valid.shape[1] == r.data.x.shape[1]
    assert np.isfinite(r.data.x_valid).all()


def test_a_space_padded_label_is_its_numbers(tmp_path):
    """(a padded float target was 600 one-row classes, and --task regression refused it as text)"""
    x, noise, _ = _rows(200)
    target = 2 * x + noise
    src = tmp_path / "reg.csv"
    src.write_text("x,noise,t\n" + "".join(f"{a:.3f},{b:.3f},{c:9.3f}\n" for a, b, c in zip(x, noise, target, strict=True)))
    r = dvclean.score(src, label="t")
    assert r.table.task == "regression" and r.table.frame.get_column("t").dtype == pl.Float64
    assert any("padded with spaces" in n for n in r.summary["notes"])
    _, _, y = _rows(200)
    padded = _csv(tmp_path / "cls.csv", [f"{v:.3f}" for v in x], noise, [f" {c}" for c in y])
    valid = _csv(tmp_path / "v.csv", [f"{v:.3f}" for v in x[:60]], noise[:60], [f"{c} " for c in y[:60]])
    r = dvclean.score(padded, label="y", valid=valid)
    assert r.summary["classes"] == {"0": 100, "1": 100} and r.table.frame.get_column("y").dtype == pl.Int64
