"""QA round 72 (session 44) on ``augment``: --drop-mislabeled emptying or thinning a class, renaming a column with missing values,
the mislabel flags keeping most of a class from the generator, unlabelled and shuffled --holdout rows, a constant
Time column, and the evaluation table's log-loss columns."""

from __future__ import annotations

import datetime
import json

import numpy as np
import polars as pl
import pytest

from dvclean.augment import AugmentConfig, augment

from .conftest import needs_sdv
from .test_qa42_augment import render  # (the terminal summary, flattened)


def fast(**kw) -> AugmentConfig:
    return AugmentConfig(**{"generator": "gaussian-copula", "quality": False, "n_synthetic": 20, **kw})


def iris_with_rare() -> pl.DataFrame:
    """sklearn's iris, and 3 copies of class-2 rows labelled ``rare`` (the flags take all three)."""
    from sklearn.datasets import load_iris

    d = load_iris(as_frame=True).frame
    d.columns = ["sl", "sw", "pl", "pw", "target"]
    df = pl.from_pandas(d).with_columns(pl.col("target").cast(pl.String))
    extra = df.filter(pl.col("target") == "2").head(3).with_columns(pl.lit("rare").alias("target"))
    return pl.concat([df, extra])


def imbalanced(n: int = 400, seed: int = 0) -> pl.DataFrame:
    """A minority class A (34 of 400 rows) that overlaps B: the flags take 26 of its rows."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = np.where(a + 1.2 * rng.normal(size=n) > 2.0, "A", "B")
    return pl.DataFrame({"a": a, "b": b, "y": y})


# ---------------------------------------------------------------- 1: --drop-mislabeled empties or thins a class


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_drop_mislabeled_that_empties_a_class_says_so():
    df = iris_with_rare()
    r = augment(df, label="target", config=fast(drop_mislabeled=True))
    out = r.frame
    assert (out.filter(~pl.col("dvclean_synthetic"))["target"] == "rare").sum() == 0  # (the run's premise)
    notes = [n for n in r.report["notes"] if "--drop-mislabeled removed every row of class 'rare'" in n]
    assert len(notes) == 1, r.report["notes"]
    assert "(all 3 were flagged mislabeled)" in notes[0] and "hold 3 classes where the input had 4" in notes[0]
    # the terminal summary says the flagged rows left the output too, not only the training rows
    shown = render({**r.report, "output": "o.csv", "report": "o.augment-report.json"})
    assert f"{r.report['output_rows']['dropped_mislabeled']} of them removed from the output (--drop-mislabeled)" in shown


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_drop_mislabeled_that_removes_most_of_a_class_says_so_against_the_inputs_mix():
    df = imbalanced()
    n_a = int((df["y"] == "A").sum())
    r = augment(df, label="y", config=fast(target="all", drop_mislabeled=True))
    kept_a = int((r.frame.filter(~pl.col("dvclean_synthetic"))["y"] == "A").sum())
    lost = n_a - kept_a
    assert lost / n_a > 0.5, (lost, n_a)  # (the run's premise)
    notes = r.report["notes"]
    removed = [n for n in notes if n.startswith(f"--drop-mislabeled removed {lost} of the {n_a} rows of class 'A'")]
    assert len(removed) == 1, notes
    assert f"{n_a / df.height:.1%} -> " in removed[0]
    # the class-mix note compares the output with the input's mix, not with the rows left after the drop
    mix = [n for n in notes if "change the output's class mix" in n]
    assert len(mix) == 1 and f"class A {n_a / df.height:.1%} -> " in mix[0], notes
    assert "rows --drop-mislabeled removed and the synthetic rows" in mix[0]


# ---------------------------------------------------------------- 2: renaming a column with missing values


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_renaming_a_column_with_missing_values_keeps_the_synthetic_rows():
    rng = np.random.default_rng(1)
    n = 300
    age = rng.integers(18, 80, n).astype(float)
    age[rng.random(n) < 0.1] = np.nan
    df = pl.DataFrame({
        "age": age, "price": np.round(rng.uniform(1, 100, n), 2), "x": rng.normal(size=n),
        "y": np.where(rng.random(n) < 0.4, "a", "b"),
    }).with_columns(pl.col("age").fill_nan(None).cast(pl.Int64))
    cfg = fast(target="all", n_synthetic=30)
    first = augment(df, label="y", config=cfg).synthetic
    renamed = augment(df.rename({"age": "years"}), label="y", config=cfg).synthetic.rename({"years": "age"})
    assert first["age"].null_count() == renamed["age"].null_count()
    assert first.equals(renamed)
    # the label's name does not matter either, and the report keeps the real names
    relabelled = augment(df.rename({"y": "outcome"}), label="outcome", config=cfg)
    assert relabelled.synthetic.rename({"outcome": "y"}).equals(first)
    assert set(relabelled.report["generator"]["sdtypes"]) == {"age", "price", "x", "outcome"}


# ---------------------------------------------------------------- 3: flags keep most of a class from the generator


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_flags_that_keep_most_of_a_class_from_the_generator_are_noted():
    df = imbalanced()
    n_a = int((df["y"] == "A").sum())
    r = augment(df, label="y", config=fast(target="all"))
    used = r.report["target"]["class_mix"]["A"]
    notes = [n for n in r.report["notes"] if n.startswith("the mislabel flags keep")]
    assert len(notes) == 1, r.report["notes"]
    assert f"keep {n_a - used} of the {n_a} rows of class 'A'" in notes[0]
    assert f"--target all trains on {used} of its rows" in notes[0]
    assert "--target class:A --include-mislabeled" in notes[0]
    kept = augment(df, label="y", config=fast(target="all", include_mislabeled=True))
    assert not any(n.startswith("the mislabel flags keep") for n in kept.report["notes"])


# ---------------------------------------------------------------- 4 + 5: the --holdout file's blank labels and order


def _holdout_pair(tmp_path):
    rng = np.random.default_rng(3)
    n = 150
    a, b = rng.normal(size=n), rng.normal(size=n)
    df = pl.DataFrame({"a": a, "b": b, "y": np.where(a + 0.5 * rng.normal(size=n) > 0, "p", "q")})
    data, hold = df.head(120), df.tail(30)
    hold = hold.with_columns(pl.when(pl.int_range(30) < 3).then(None).otherwise(pl.col("y")).alias("y"))
    return data, hold


def _evaluation(data, hold_path) -> dict:
    r = augment(data, label="y", holdout=str(hold_path), config=fast(target="all", evaluate=True, repeats=2))
    ev = dict(r.report["evaluation"])
    ev.pop("timings", None)
    return ev


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_unlabelled_holdout_rows_are_noted(tmp_path):
    data, hold = _holdout_pair(tmp_path)
    hold.write_csv(tmp_path / "hold.csv")
    ev = _evaluation(data, tmp_path / "hold.csv")
    assert ev["split"]["holdout"] == 27
    notes = [n for n in ev["notes"] if "have no label" in n]
    assert len(notes) == 1, ev["notes"]
    assert "3 of its 30 rows have no label in 'y'" in notes[0] and "scores the other 27" in notes[0]


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_a_shuffled_holdout_gives_the_same_evaluation(tmp_path):
    data, hold = _holdout_pair(tmp_path)
    hold.write_csv(tmp_path / "hold.csv")
    hold.sample(fraction=1.0, shuffle=True, seed=7).write_csv(tmp_path / "shuffled.csv")
    first = _evaluation(data, tmp_path / "hold.csv")
    second = _evaluation(data, tmp_path / "shuffled.csv")
    first["notes"] = [n.replace("hold.csv", "") for n in first["notes"]]
    second["notes"] = [n.replace("shuffled.csv", "") for n in second["notes"]]
    assert json.dumps(first, sort_keys=True, default=str) == json.dumps(second, sort_keys=True, default=str)


# ---------------------------------------------------------------- 6: a constant Time column


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_a_constant_time_column_is_copied_into_every_synthetic_row():
    df = imbalanced(120).with_columns(pl.lit(datetime.time(0, 0)).alias("hm"))
    r = augment(df, label="y", config=fast(target="all", n_synthetic=10))
    syn = r.synthetic
    assert syn.schema["hm"] == pl.Time
    assert syn["hm"].to_list() == [datetime.time(0, 0)] * 10
    assert "hm" in r.report["generator"]["not_modelled"]


def test_a_binary_column_that_varies_is_still_refused():
    from dvclean.augment._sdv import check_modellable
    from dvclean.errors import AugmentError

    varying = pl.DataFrame({"raw": [b"a", b"b"], "hm": [datetime.time(0, 0), datetime.time(1, 0)], "y": ["a", "b"]})
    with pytest.raises(AugmentError, match="'raw' has type Binary"):  # (a time of day is modelled: session 52)
        check_modellable(varying, "y")
    check_modellable(varying.with_columns(pl.lit(b"a").alias("raw")), "y")  # constant: copied


# ---------------------------------------------------------------- 7: log-loss is a loss


def test_the_evaluation_table_says_log_loss_is_lower_is_better():
    def stat(mean):
        return {"mean": mean, "ci95": 0.01}

    arm = {"rows": 100, "macro_f1": stat(0.8), "log_loss": stat(0.5)}
    ev = {
        "primary_metric": "macro_f1", "splits": 1, "repeats": 5, "split": {"holdout": 30},
        "verdict": "v", "notes": [],
        "arms": {"baseline": arm,
                 "non_targeted": {**arm, "delta_macro_f1": stat(0.0), "delta_log_loss": stat(0.02)},
                 "targeted": {**arm, "delta_macro_f1": stat(0.0), "delta_log_loss": stat(0.03)}},
    }
    report = {
        "input": {"path": "d.csv"},
        "target": {"spec": "hard", "rows": 10, "class_mix": {"a": 5, "b": 5}, "mislabeled_rows_used": 0,
                   "mislabeled_rows_excluded": 0, "synthetic_rows_excluded": 0},
        "scores": {"mislabeled": 0, "notes": []}, "config": {"include_mislabeled": False},
        "generator": {"name": "gaussian-copula", "epochs": None, "batch_size": None, "withheld": []},
        "output_rows": {"synthetic": 20, "total": 120, "dropped_mislabeled": 0},
        "quality": None, "evaluation": ev, "notes": [], "timings": {"fit": 1.0},
        "output": "o.csv", "report": "o.augment-report.json",
    }
    shown = render(report)
    assert "log_loss (lower is better)" in shown and "Δ log_loss (+ is worse)" in shown
    assert "macro_f1 (lower" not in shown and "removed from the output" not in shown


@needs_sdv
def test_a_score_result_passed_as_scores_is_checked_and_reported_as_its_file_would_be():
    # augment(scores=<ScoreResult>) kept only its frame: another --drop was accepted (its Parquet copy is refused)
    # and the report named a "file <DataFrame>" with method and k unknown
    import dvclean
    from dvclean.config import KNNConfig
    from dvclean.errors import ConfigError

    df = iris_with_rare().filter(pl.col("target") != "rare")
    dropped = dvclean.score(df, label="target", drop=["pw", "pl"])
    with pytest.raises(ConfigError, match="computed with --drop 'pw', 'pl', but this run drops none"):
        augment(df, label="target", scores=dropped, config=fast())
    res = dvclean.score(df, label="target", config=dvclean.ScoreConfig(methods=("knn",), knn=KNNConfig(k=3)))
    report = augment(df, label="target", scores=res, config=fast()).report
    assert report["scores"]["source"] == "dvclean.score's result (knn)" and report["scores"]["method"] == "knn"
    assert report["config"]["k"] == 3
