"""Session 46: the --valid notes name the methods that ran and say what a missing class, a one-class validation set
and validation rows copied from the data do to each kind of method (KNN-Shapley, DVGS, the retraining methods)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import load_iris

import dvclean
from dvclean.config import CrossFitConfig, DVGSConfig, ScoreConfig, TMCConfig
from dvclean.pipeline import validation_notes
from dvclean.table import ValuationData
from dvclean.valuation import ValuationResult

KNN_MISSING = ("(--valid) has no row of class '1' (18 of the data's 32 rows): KNN-Shapley values a row by how it helps "
               "classify the validation rows, so a row of a class they lack can only hurt, and that class's rows take "
               "the lowest values and the hard flags; give a --valid file that holds every class")
KNN_COPIES = ("(--valid): 5 of its 5 rows are copies of rows of the data (equal features and label): each of those "
              "rows is valued against its own copy, which it matches best, so their values are too high; keep the "
              "validation rows out of the data")
ONE_JOB = CrossFitConfig(n_jobs=1)  # (no worker start-up: the tiny games take a tenth of a second)


@pytest.fixture(scope="module")
def iris_two_classes() -> tuple[pl.DataFrame, pl.DataFrame]:
    """QA's reproduction: 32 iris rows of classes 0 and 1, and a --valid set of 5 class-0 rows copied from them."""
    x, y = load_iris(return_X_y=True)
    idx = np.random.default_rng(0).choice(150, 45, replace=False)
    df = pl.DataFrame({f"f{i}": x[idx, i] for i in range(4)}).with_columns(label=pl.Series(y[idx]))
    return df.filter(pl.col("label") != 2), df.filter(pl.col("label") == 0).head(5)


def _valid_notes(train: pl.DataFrame, valid: pl.DataFrame, config: ScoreConfig) -> list[str]:
    notes = dvclean.score(train, label="label", valid=valid, config=config).summary["notes"]
    return [n for n in notes if "(--valid)" in n]


def test_knn_keeps_its_wording(iris_two_classes) -> None:
    notes = _valid_notes(*iris_two_classes, ScoreConfig(methods=("knn",)))
    assert notes == [f"<DataFrame> {KNN_MISSING}", f"<DataFrame> {KNN_COPIES}"]


def test_tmc_on_one_validation_class_names_tmc_and_its_flat_game(iris_two_classes) -> None:
    notes = _valid_notes(*iris_two_classes, ScoreConfig(methods=("tmc",), tmc=TMCConfig(max_permutations=5), crossfit=ONE_JOB))
    assert len(notes) == 2 and not [n for n in notes if "KNN" in n or "valued against its own copy" in n]
    missing, copies = notes
    assert ("has no row of class '1' (18 of the data's 32 rows): tmc scores a --model retrained on subsets of the rows "
            "on the validation rows, all of class '0', so its values measure only how rows help predict '0'") in missing
    # U(empty set) = U(all) = 1: the values are 0 and the hard flags (tmc is the primary method) mean little
    assert ("already scores 1 (accuracy), as the model trained on all rows does: the values show only how subsets of "
            "the rows fall short of that score (") in missing
    assert "of tmc's 32 are 0) and the hard flags among tied values mean little" in missing
    assert missing.endswith("give a --valid file that holds every class")
    assert ("5 of its 5 rows are copies of rows of the data (equal features and label): under tmc, a --model trained "
            "with such a row can learn to predict its copy, which rewards the row even where its label is wrong") in copies


def test_knn_and_tmc_each_get_their_own_explanation(iris_two_classes) -> None:
    notes = _valid_notes(*iris_two_classes, ScoreConfig(methods=("knn", "tmc"), tmc=TMCConfig(max_permutations=5), crossfit=ONE_JOB))
    missing, copies = notes
    assert "KNN-Shapley values a row by how it helps classify the validation rows, so a row of a class" in missing
    assert "; tmc scores a --model retrained on subsets of the rows" in missing
    # the hard flags come from knn, the primary method: the note says nothing of them for tmc
    assert "of tmc's 32 are 0)" in missing and "hard flags among tied values" not in missing
    assert "KNN-Shapley values each of those rows against its own copy, which it matches best" in copies
    assert "; under tmc, a --model trained with such a row can learn to predict its copy" in copies


def test_dvgs_gets_its_class_note_and_no_copy_note(iris_two_classes) -> None:
    notes = _valid_notes(*iris_two_classes, ScoreConfig(methods=("dvgs",), dvgs=DVGSConfig(epochs=3, restarts=1), crossfit=ONE_JOB))
    assert len(notes) == 1 and "KNN" not in notes[0]
    assert ("(18 of the data's 32 rows): DVGS trains its network on the validation rows and values a row by how its "
            "gradient agrees with theirs, so a row of a class they lack pulls against them") in notes[0]


def _data(y_valid: np.ndarray, x_valid: np.ndarray | None = None) -> ValuationData:
    x = np.arange(6, dtype=np.float64)[:, None]
    return ValuationData(x=x, y=np.r_[0, 0, 1, 1, 2, 2], rows=np.arange(6), classes=np.array(["a", "b", "c"]),
                         x_valid=np.full((len(y_valid), 1), 9.0) if x_valid is None else x_valid, y_valid=y_valid)


def _result(method: str, full: float, values: np.ndarray, metric: str = "accuracy") -> ValuationResult:
    return ValuationResult(method=method, values=values, stderr=None, status="exact", params={"metric": metric},
                           seed=0, diagnostics={"full_scores": [full]})


def test_retraining_methods_on_a_valid_set_missing_one_class() -> None:
    notes = validation_notes(_data(np.r_[0, 1]), "v.csv", ("loo", "banzhaf", "oob"))
    assert notes == [
        "v.csv (--valid) has no row of class 'c' (2 of the data's 6 rows): loo and banzhaf score a --model retrained "
        "on subsets of the rows on the validation rows, so a row of a class they lack counts only by how it moves the "
        "predictions of the other classes, mostly for the worse, and that class's rows tend to take the low values and "
        "the hard flags; give a --valid file that holds every class",
        "v.csv (--valid) is not read by oob: its values come from the data alone (out-of-bag or out-of-fold "
        "predictions of its own rows)",
    ]
    # oob and confidence use no --valid: that is all there is to say about them (score refuses --valid for them alone)
    assert validation_notes(_data(np.r_[0]), "v.csv", ("oob", "confidence")) == [
        "v.csv (--valid) is not read by oob and confidence: their values come from the data alone (out-of-bag or "
        "out-of-fold predictions of its own rows)"]


def test_one_validation_class_reports_the_empty_and_full_scores() -> None:
    data = _data(np.r_[0, 0])
    flat = {"beta": _result("beta", 1.0, np.r_[0.0, 0.0, 0.0, 0.0, 0.0, -0.5])}
    (note,) = validation_notes(data, "v.csv", ("beta",), flat)
    assert ("beta scores a --model retrained on subsets of the rows on the validation rows, all of class 'a', so its "
            "values measure only how rows help predict 'a'; predicting 'a' for every row (the empty set's score) "
            "already scores 1 (accuracy), as the model trained on all rows does: the values show only how subsets of the "
            "rows fall short of that score (5 of beta's 6 are 0) and the hard flags among tied values mean little") in note
    # U(all) below U(empty set): the numbers, no claim of a flat game
    lower = {"tmc": _result("tmc", -0.05, np.r_[0.1, -0.1, 0.0, 0.0, 0.0, 0.0], metric="logloss")}
    (note,) = validation_notes(data, "v.csv", ("tmc",), lower)
    assert "already scores -0.001001 (negated logloss), the model trained on all rows less: -0.05;" in note
    assert "fall short" not in note
    # no results (the function called alone): worded as a condition
    (note,) = validation_notes(data, "v.csv", ("tmc",))
    assert ("where the model trained on all rows scores the same, the values show only how subsets of the rows fall "
            "short of it and the hard flags") in note


def test_copy_note_for_a_regression_target_names_the_target() -> None:
    x = np.arange(5, dtype=np.float64)[:, None]
    data = ValuationData(x=x, y=np.r_[0.1, 0.2, 0.3, 0.4, 0.5], rows=np.arange(5), classes=np.array([]),
                         x_valid=x[:2], y_valid=np.r_[0.1, 0.2], task="regression")
    (note,) = validation_notes(data, "v.csv", ("tmc",))
    assert note.startswith("v.csv (--valid): 2 of its 2 rows are copies of rows of the data")
    assert "under tmc, a --model trained with such a row can learn to predict its copy" in note
    assert "where its target is wrong" in note and "KNN" not in note


def test_dvgs_gets_no_copy_note() -> None:
    # (measured: copying 5 mislabeled rows into the --valid file moved their mean DVGS value from -0.38 to -0.36)
    data = _data(np.r_[0, 0, 1, 2], x_valid=np.r_[0.0, 1.0, 2.0, 4.0][:, None])
    assert validation_notes(data, "v.csv", ("dvgs",)) == []
    (note,) = validation_notes(data, "v.csv", ("knn",))
    assert note == ("v.csv (--valid): 4 of its 4 rows are copies of rows of the data (equal features and label): each "
                    "of those rows is valued against its own copy, which it matches best, so their values are too "
                    "high; keep the validation rows out of the data")
