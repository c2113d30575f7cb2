"""Input warnings: label spellings, row-number columns, labels the features cannot predict."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.diagnostics import label_predictability, label_spelling_notes, row_number_columns
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def adult300() -> pl.DataFrame:
    return pl.read_csv(SAMPLE, null_values=["", "?"]).head(300)


def test_label_spellings_that_differ_only_in_case_or_whitespace():
    notes = label_spelling_notes(pl.Series("y", ["cat", "Cat", "dog", " dog", "DOG ", "bird", None]))
    assert len(notes) == 2
    assert any("'Cat' and 'cat'" in n for n in notes) and any("' dog' and 'DOG ' and 'dog'" in n for n in notes)
    assert label_spelling_notes(pl.Series("y", ["a", "b", "c"])) == []
    assert label_spelling_notes(pl.Series("y", [1, 2, 1])) == []


def test_row_number_columns():
    df = pl.DataFrame({
        "idx": [5, 3, 4, 6, 7],           # consecutive, shuffled: a row number
        "gap": [1, 2, 3, 4, 9],           # distinct but not consecutive
        "rep": [1, 2, 3, 4, 4],
        "flt": [1.0, 2.0, 3.0, 4.0, 5.0],  # floats are measurements, not ids
        "nul": [1, 2, None, 3, 4],
    })
    assert row_number_columns(df, df.columns) == ["idx"]


def test_predictability_is_a_rank_test_that_sees_imbalanced_labels():
    rng = np.random.default_rng(1)
    n = 400
    y = (rng.random(n) < 0.2).astype(int)  # 1:4 labels
    # a weak but real signal whose argmax is always the majority class: accuracy = majority share
    p1 = np.clip(0.15 + 0.2 * y + rng.normal(0, 0.1, n), 0, 0.45)
    res = label_predictability(np.c_[1 - p1, p1], y)
    assert ((np.c_[1 - p1, p1].argmax(1) == y).mean() == pytest.approx(0.8, abs=0.03))
    assert res["predictable"] and res["auroc"] > 0.8
    noise = label_predictability(rng.dirichlet([1, 1, 1], n), rng.integers(0, 3, n))
    assert not noise["predictable"] and abs(noise["auroc"] - 0.5) < 0.05


def test_score_warns_on_random_labels_and_on_a_row_number_feature(adult300):
    shuffled = adult300.with_columns(
        pl.Series("income", np.random.default_rng(0).permutation(adult300["income"].to_list()))
    )
    r = dvclean.score(shuffled, label="income")
    assert not r.summary["flags"]["label_predictability"]["predictable"]
    assert any("do not predict the labels" in n for n in r.summary["notes"])

    numbered = adult300.with_columns(pl.Series("idx", np.arange(adult300.height)))
    r = dvclean.score(numbered, label="income")
    assert r.summary["flags"]["label_predictability"]["predictable"]
    assert [n for n in r.summary["notes"] if "consecutive integer" in n and "'idx'" in n]
    assert not any("do not predict" in n for n in r.summary["notes"])
    assert not any("consecutive integer" in n for n in dvclean.score(numbered, label="income", id_column="idx").summary["notes"])


def test_score_prints_each_note_once(adult300, tmp_path):
    import subprocess
    import sys

    src = tmp_path / "numbered.csv"
    adult300.with_columns(pl.Series("idx", np.arange(adult300.height))).write_csv(src)
    res = subprocess.run(
        [sys.executable, "-m", "dvclean", "score", str(src), "-y", "income", "-o", str(tmp_path / "s.parquet")],
        capture_output=True, text=True, timeout=300,
    )
    assert res.returncode == 0, res.stderr
    both = " ".join((res.stdout + res.stderr).split())  # rich wraps long lines
    assert both.count("consecutive integer") == 1, both
