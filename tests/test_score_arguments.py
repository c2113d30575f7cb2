"""`dvclean.score`'s inputs (QA pass of the ninth session): conflicting duplicates counted on the
file's values as `check` counts them, `--valid` files checked as the encoder reads them, a single
`drop` name, pandas' integer column names, wrong argument types, and the label-predictability note
on a few rows."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.check import CheckPolicy, evaluate_check
from dvclean.config import KNNConfig, ScoreConfig
from dvclean.errors import DataValidationError


def _frame(n: int = 120, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    return pl.DataFrame({"a": a, "b": rng.normal(size=n), "k": [1] * n,
                         "y": (a + 0.3 * rng.normal(size=n) > 0).astype(int)})


def test_conflicting_duplicates_are_the_files_values_in_score_and_check():
    rng = np.random.default_rng(1)
    cities = [f"city{i}" for i in range(50) for _ in range(4)]  # 50 categories of 4 rows: frequency-encoded
    df = pl.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200), "city": cities,
                       "y": rng.integers(0, 2, 200)})
    extra = pl.DataFrame({"a": [5.0, 5.0, 7.0, 7.0], "b": [5.0, 5.0, 7.0, 7.0],
                          "city": ["city1", "city2", "city3", "city3"], "y": [1, 0, 1, 0]})
    df = pl.concat([df, extra])
    r = dvclean.score(df, label="y", config=ScoreConfig(knn=KNNConfig(k=3)))
    marked = np.flatnonzero(r.frame.get_column("is_conflicting_duplicate").to_numpy()).tolist()
    assert marked == [202, 203]  # city1 / city2 are different values, though encoded alike
    assert r.summary["flags"]["conflicting_duplicates"] == 2
    assert evaluate_check(r, CheckPolicy(max_conflicting_duplicates=0)).conflicting_duplicates == 2


def test_a_single_drop_name_is_one_column():
    df = _frame().with_columns(pl.col("a").alias("ab"), pl.col("b").alias("junk"))
    r = dvclean.score(df, label="y", drop="ab")
    assert r.summary["features"]["dropped_by_user"] == ["ab"] and "a" in r.summary["features"]["columns"]
    r2 = dvclean.score(df, label="y", drop=["ab"])
    assert r.frame.equals(r2.frame)
    with pytest.raises(DataValidationError, match="'nope'"):
        dvclean.score(df, label="y", drop="nope")


def test_pandas_integer_column_names():
    pytest.importorskip("pandas")
    p = _frame().select("a", "b", "y").to_pandas()
    p.columns = [0, 1, 2]
    r = dvclean.score(p, label=2)
    assert r.frame.height == 120 and r.summary["label"] == "2"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"config": {"seed": 1}}, "ScoreConfig"),
        ({"config": KNNConfig(k=3)}, "ScoreConfig"),
        ({"progress": 5}, r"progress\(step, done, total\)"),
        ({"read_options": {"bogus": 1}}, "unknown key.*'bogus'"),
        ({"label": 2.5}, "column name"),
    ],
)
def test_wrong_argument_types_are_named(kwargs, match):
    kwargs = {"label": "y", **kwargs}
    with pytest.raises(TypeError, match=match):
        dvclean.score(_frame(), **kwargs)


def test_valid_file_need_not_have_a_column_the_run_ignores(tmp_path):
    data, valid = _frame(), _frame(40, seed=5).drop("k")
    r = dvclean.score(data, label="y", valid=valid)
    assert r.frame.height == 120 and r.frame.get_column("value").null_count() == 0
    with pytest.raises(DataValidationError, match="'b'"):
        dvclean.score(data, label="y", valid=valid.drop("b"))


def test_valid_file_with_text_in_a_numeric_column_is_refused(tmp_path):
    data = _frame()
    valid = _frame(40, seed=5).with_columns((pl.col("a").round(2).cast(pl.String) + "z").alias("a"))
    path = tmp_path / "valid.csv"
    valid.write_csv(path)
    with pytest.raises(DataValidationError, match=r"'a'.*text.*numbers|'a'.*numbers"):
        dvclean.score(data, label="y", valid=path)
    padded = _frame(40, seed=5).with_columns((" " + pl.col("a").cast(pl.String)).alias("a"))
    padded.write_csv(path)
    dvclean.score(data, label="y", valid=path)  # numbers with spaces are numbers


def test_few_rows_get_a_note_on_the_sample_size_not_on_the_labels():
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"a": np.arange(10) + 0.1 * rng.normal(size=10), "y": [0] * 5 + [1] * 5})
    r = dvclean.score(df, label="y", config=ScoreConfig(knn=KNNConfig(k=2)))
    p = r.summary["flags"]["label_predictability"]
    assert p["auroc"] > 0.9 and p["auroc_needed"] > 0.95
    notes = " ".join(r.summary["notes"])
    assert "do not predict" not in notes
    if not p["predictable"]:
        assert "cannot tell" in notes


def test_write_scores_needs_the_result(tmp_path):
    r = dvclean.score(_frame(), label="y")
    with pytest.raises(TypeError, match="not its .frame"):
        dvclean.write_scores(r.frame, tmp_path / "s.parquet")
    assert not (tmp_path / "s.parquet").exists()


def test_many_classes_count_towards_the_models_row_limit():
    from dvclean.config import MislabelConfig

    rng = np.random.default_rng(2)
    y = np.repeat(np.arange(6), 20)
    df = pl.DataFrame({"a": y + rng.normal(scale=0.3, size=120), "b": rng.normal(size=120), "y": y})
    small = ScoreConfig(mislabel=MislabelConfig(model_max_rows=600))  # 120 rows x 6 classes = 720 > 600
    r = dvclean.score(df, label="y", config=small)
    assert r.summary["flags"]["rule"] == "knn"
    assert any("120 rows x 6 classes" in n for n in r.summary["notes"])
    r = dvclean.score(df, label="y", config=ScoreConfig(mislabel=MislabelConfig(model_max_rows=720)))
    assert r.summary["flags"]["rule"] == "consensus"
    binary = df.with_columns((pl.col("y") % 2).alias("y"))  # two classes: a row counts once
    r = dvclean.score(binary, label="y", config=ScoreConfig(mislabel=MislabelConfig(model_max_rows=120)))
    assert r.summary["flags"]["rule"] == "consensus"


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_flags_forest_on_two_threads_gives_the_same_result(task):
    from dvclean.config import CrossFitConfig

    df = _frame(150, seed=3)
    if task == "regression":
        df = df.with_columns((pl.col("a") * 3 + pl.col("b")).alias("y"))
    one = dvclean.score(df, label="y", config=ScoreConfig(task=task, crossfit=CrossFitConfig(n_jobs=1)))
    two = dvclean.score(df, label="y", config=ScoreConfig(task=task, crossfit=CrossFitConfig(n_jobs=2)))
    assert one.frame.equals(two.frame)
