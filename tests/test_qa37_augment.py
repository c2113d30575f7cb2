"""QA round 37 on ``dvclean augment``: messages that name options augment lacks, CSV regression scores, the
evaluation under --drop-mislabeled, the few-holdout-rows note with --splits, and the README's --target matching."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment
from dvclean.augment.core import _matching_classes, for_augment, load_scores, scores_task
from dvclean.augment.evaluate import FEW_HOLDOUT_ROWS, plan_evaluation, thin_holdout_note
from dvclean.cli import app
from dvclean.errors import ConfigError, DataValidationError
from dvclean.table import label_codes, make_table

from .conftest import needs_sdv

runner = CliRunner()

pytestmark = pytest.mark.usefixtures("sdv_home")

README = Path(__file__).resolve().parents[1] / "README.md"


def fast(**kw) -> AugmentConfig:
    base = {"generator": "gaussian-copula", "quality": False, "xgb_max_rounds": 40, "xgb_early_stopping": 8,
            "n_synthetic": "10%"}
    base.update(kw)
    return AugmentConfig(**base)


def features(n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"a": rng.normal(0, 1, n), "b": rng.normal(0, 1, n), "c": rng.normal(0, 1, n)}


# ---------------------------------------------------------------- 1. no pointer to --task, which augment lacks


def test_integer_target_with_single_row_classes_is_refused_in_augments_words(tmp_path):
    n = 150
    df = pl.DataFrame({**features(n, 1), "y": np.arange(n) % 90 + 25})  # 30 classes of 2 rows, 60 of one
    path = tmp_path / "int.csv"
    df.write_csv(path)
    res = runner.invoke(app, ["augment", str(path), "-y", "y", "-g", "gaussian-copula", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    # (since session 57 the one problem named: the label is a numeric target, not 30 classes to fix)
    assert "label column 'y' is a numeric target (Int64 label with 90 distinct whole numbers, 30 of them in a" in text
    assert "use --task regression" not in text and "ScoreConfig(task=" not in text
    assert "dvclean augment models class labels only (it has no --task)" in text
    with pytest.raises(DataValidationError) as info:  # the Python API says the same
        augment(df, label="y", config=fast())
    assert "use --task" not in str(info.value) and "it has no --task" in str(info.value)


def test_for_augment_rewrites_every_task_hint():
    old = ("label column 'y' has 84 classes with a single row (171 at row 15); fix those labels or remove those rows "
           "(a numeric target? use --task regression, ScoreConfig(task='regression') in Python)")
    new = for_augment(old)
    assert new.startswith("label column 'y' has 84 classes with a single row (171 at row 15)")
    assert "--task regression" not in new and new.endswith("bin the target into classes first)")
    note = ("263 rows (66%) are flagged mislabeled, more than 25% of the labels: ...; check a sample of them by hand "
            "before acting, or give --expected-noise if the noise rate is known; the label holds 31 different whole "
            "numbers: if it is a quantity (a count, an age, a score), value it with --task regression, where only "
            "targets far from their prediction are flagged")
    got = for_augment(note)
    assert "value it with --task" not in got and "give --expected-noise" not in got
    assert "it has no --task" in got and "dvclean augment has no --expected-noise" in got
    assert for_augment("an unrelated note") == "an unrelated note"


@needs_sdv
def test_quantity_note_on_many_whole_number_classes_names_no_augment_option():
    rng = np.random.default_rng(3)
    n = 320
    a = rng.normal(0, 1, n)
    noisy = a + rng.normal(0, 0.6, n)
    y = 20 + np.argsort(np.argsort(noisy)) * 31 // n  # 31 whole numbers of 10 or 11 rows each, loosely predicted
    df = pl.DataFrame({"a": a, "b": rng.normal(0, 1, n), "c": rng.normal(0, 1, n), "y": y})
    r = augment(df, label="y", config=fast(n_synthetic=20, target="all"))
    notes = r.report["scores"]["notes"]
    many = [m for m in notes if "different whole numbers" in m]
    assert many, notes
    assert "--task regression, where" not in many[0] and "give --expected-noise" not in many[0]
    assert "it has no --task" in many[0]
    # the valuation result the HTML report is built from carries the same words
    assert all("value it with --task" not in m for m in r.scores.result.summary["notes"])


# ---------------------------------------------------------------- 2. a CSV regression scores file


def test_csv_regression_scores_file_is_refused(tmp_path):
    rng = np.random.default_rng(5)
    n = 160
    f = features(n, 5)
    df = pl.DataFrame({**f, "y": (f["a"] + rng.normal(0, 0.5, n) > 0).astype(float)})
    data, scores = tmp_path / "bin_float.csv", tmp_path / "bfr.csv"
    df.write_csv(data)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--task", "regression", "-o", str(scores), "-q"])
    assert res.exit_code == 0, res.output
    assert {"predicted_value", "target_z"} <= set(pl.read_csv(scores).columns)
    res = runner.invoke(app, ["augment", str(data), "-y", "y", "-g", "gaussian-copula", "--scores", str(scores),
                              "-o", str(tmp_path / "out.csv")])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "valued as a regression target" in text and "--task classification" in text
    assert not (tmp_path / "out.csv").exists()
    with pytest.raises(ConfigError, match="regression target"):  # a DataFrame of those columns in Python too
        load_scores(pl.read_csv(scores), make_table(df, label="y", task="classification"))


def test_scores_task_reads_the_footer_else_the_columns():
    cls = ["row_id", "label", "value", "is_mislabeled", "suggested_label", "neighbor_label"]
    reg = ["row_id", "label", "value", "is_mislabeled", "neighbor_label", "predicted_value", "target_z"]
    assert scores_task({}, cls) is None
    assert scores_task({}, reg) == "regression"
    assert scores_task({"task": "classification"}, reg) == "classification"  # the footer decides
    assert scores_task({}, ["predicted_value", "label", "value", "is_mislabeled", "target_z"]) is None  # an --id


# ---------------------------------------------------------------- 3. --evaluate with --drop-mislabeled


def noisy_frame(n: int = 300, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    flip = rng.random(n) < 0.12
    shown = np.where(flip, 1 - y, y)
    return pl.DataFrame({
        "x1": y * 2.0 + rng.normal(0, 0.8, n), "x2": rng.normal(0, 1, n) + y,
        "label": [("no", "yes")[int(v)] for v in shown],
    })


@needs_sdv
def test_drop_mislabeled_evaluation_trains_every_arm_without_the_flagged_rows(monkeypatch):
    import dvclean.augment.evaluate as ev

    seen: list[int] = []
    real = ev._fit_score

    def spy(x, y, *args, **kw):
        seen.append(len(y))
        return real(x, y, *args, **kw)

    monkeypatch.setattr(ev, "_fit_score", spy)
    df = noisy_frame()
    kept = augment(df, label="label", config=fast(evaluate=True, repeats=2, target="all")).report["evaluation"]
    seen_kept = list(seen)
    seen.clear()
    r = augment(df, label="label", config=fast(evaluate=True, repeats=2, target="all", drop_mislabeled=True))
    dropped = r.report["evaluation"]
    n_drop = dropped["split"]["dropped_mislabeled"]
    assert n_drop > 0
    assert dropped["split"]["train"] == kept["split"]["train"] - n_drop  # the rows the arms train on
    assert dropped["split"]["holdout"] == kept["split"]["holdout"]  # the holdout keeps every row
    assert dropped["per_split"][0]["dropped_mislabeled"] == n_drop
    assert dropped["arms"]["baseline"]["rows"] == dropped["split"]["train"]
    # baseline, non-targeted, targeted (two seeds each): every fit saw n_drop rows fewer than without --drop-mislabeled
    assert [a - b for a, b in zip(seen_kept, seen, strict=True)] == [n_drop] * 6
    assert any(n.startswith("--drop-mislabeled: ") for n in dropped["notes"])
    assert "dropped_mislabeled" not in kept["split"]
    counts = dropped["split"]["class_counts"]  # (the split's rows, and the training rows the arms train on: session 42)
    assert sum(counts["train_kept"].values()) == dropped["split"]["train"]
    assert sum(counts["train"].values()) == dropped["split"]["train"] + n_drop and "train_kept" not in kept["split"]["class_counts"]
    assert r.frame.height == df.height - r.report["scores"]["mislabeled"] + r.report["output_rows"]["synthetic"]


# ---------------------------------------------------------------- 4. the few-holdout-rows note with --splits


def test_thin_holdout_note_wording_depends_on_splits():
    one = thin_holdout_note([[3, 50]], ["rare", "common"])
    assert "'rare' (3 rows)" in one and "do not include which rows were held out" in one
    assert "--holdout FILE" in one and "--splits" in one
    many = thin_holdout_note([[3, 50], [2, 50], [4, 51]], ["rare", "common"])
    assert "'rare' (2 rows)" in many and "smallest count over the 3 splits" in many
    assert "do not include which rows" not in many and "pass a --holdout FILE" not in many
    assert "covers which rows were held out" in many
    assert thin_holdout_note([[FEW_HOLDOUT_ROWS, 9]], ["a", "b"]) is None


def rare_frame(n: int = 260, seed: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) < 25, 2, rng.integers(0, 2, n))  # class 'c': 25 rows, 2-3 of them held out
    return pl.DataFrame({
        "x1": y * 1.5 + rng.normal(0, 1, n), "x2": rng.normal(0, 1, n) - y,
        "label": [("a", "b", "c")[int(v)] for v in y],
    })


def test_plans_with_splits_leave_the_thin_note_to_the_evaluation():
    table = make_table(rare_frame(), label="label")
    single = plan_evaluation(table, fast(evaluate=True))
    assert any("do not include which rows were held out" in n for n in single.notes)
    multi = plan_evaluation(table, fast(evaluate=True, splits=3))
    assert not any("fewer than" in n and "holdout" in n for n in multi.notes)
    codes = label_codes(table.frame.get_column("label"))[1]
    assert multi.holdout_class_rows[list(codes).index("c")] < FEW_HOLDOUT_ROWS


@needs_sdv
def test_splits_note_gives_the_smallest_count_and_no_holdout_file_advice():
    cfg = fast(evaluate=True, repeats=2, splits=2, target="all")
    table = make_table(rare_frame(), label="label")
    c = list(label_codes(table.frame.get_column("label"))[1]).index("c")
    smallest = min(plan_evaluation(table, cfg, seed=s).holdout_class_rows[c] for s in (0, 1))
    ev = augment(rare_frame(), label="label", config=cfg).report["evaluation"]
    thin = [n for n in ev["notes"] if n.startswith("the holdout") and "fewer than" in n and "rows of class" in n]
    assert len(thin) == 1, ev["notes"]
    assert f"'c' ({smallest} rows)" in thin[0]
    assert "smallest count over the 2 splits" in thin[0] and "pass a --holdout FILE" not in thin[0]
    assert "do not include which rows" not in thin[0]


# ---------------------------------------------------------------- 5. README: class:VALUE matching


def test_readme_says_class_values_match_ignoring_case_as_the_code_does():
    row = next(line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `--target/-t`"))
    assert re.search(r"else ignoring leading and trailing spaces, else ignoring case", row)
    col = pl.Series("label", ["yes", "no", "no"])
    assert _matching_classes("Yes", col, ["no", "yes"]) == ["yes"]
    assert _matching_classes(" yes ", pl.Series(["yes", " yes "]), ["yes", " yes "]) == [" yes "]  # exact first
