"""Session 46: fix refuses to relabel or drop when the flags measure how the classes are spelled."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import load_breast_cancer

from dvclean.config import FixConfig
from dvclean.errors import DataValidationError
from dvclean.fix import fix


def _cancer(spellings: dict[int, list[str]], n: int = 300) -> pl.DataFrame:
    x, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    rows = rng.choice(y.size, n, replace=False)
    label = [spellings[int(c)][i % len(spellings[int(c)])] for i, c in enumerate(y[rows])]
    return pl.DataFrame({f"f{j}": x[rows, j] for j in range(8)}).with_columns(pl.Series("Diagnose", label))


@pytest.mark.parametrize("action", ["relabel", "drop"])
def test_labels_written_several_ways_are_not_relabelled_or_dropped_for_their_spelling(action):
    # breast-cancer's yes/no written seven ways: 200 of 500 rows flagged, 177 suggested a respelling of their own
    # label, and drop removed all 200 (relabel turned ' no' into 'no'), with exit 0
    frame = _cancer({0: ["yes", "yes ", "Yes", "YES"], 1: ["no", " no", "No"]})
    with pytest.raises(DataValidationError, match="respelling of their own label") as err:
        fix(frame, label="Diagnose", config=FixConfig(action=action))
    assert "--force" in str(err.value) and "--action mark" in str(err.value)
    forced = fix(frame, label="Diagnose", config=FixConfig(action=action, force=True))  # insisting still works
    assert forced.summary["flagged"] > 0


def test_marking_and_labels_written_one_way_are_not_refused():
    frame = _cancer({0: ["yes", "yes ", "Yes"], 1: ["no", " no"]})
    assert fix(frame, label="Diagnose", config=FixConfig(action="mark")).summary["flagged"] > 0
    clean = _cancer({0: ["yes"], 1: ["no"]})
    result = fix(clean, label="Diagnose", config=FixConfig(action="relabel"))
    assert result.summary["action"] == "relabel"
