"""QA session 45, notes: a feature column that nearly copies the label, the hard-flag shortfall's tie count, the folds
note when many classes are smallest, all-constant features named, and fix refusing to relabel a rare class."""

from __future__ import annotations

import re
import types

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.config import FixConfig
from dvclean.errors import DataValidationError
from dvclean.fix import fix


def _churn(n: int = 400, seed: int = 0) -> pl.DataFrame:
    # a cancel_date filled in for every churner but three: the flags were exactly those three, relabelled 'stay'
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    churn = x[:, 0] + rng.normal(size=n) > 0.8
    dated = churn.copy()
    dated[np.flatnonzero(churn)[:3]] = False
    dates = [f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}" if d else None for i, d in enumerate(dated)]
    return pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "cancel_date": dates,
                         "label": np.where(churn, "churn", "stay")})


def _leak(n: int = 500, seed: int = 1, numeric: bool = False) -> pl.DataFrame:
    # a status agreeing with the label in 97% of the rows: the flags were the rows where it disagrees
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    lab = np.where(x[:, 0] + rng.normal(size=n) > 0, "yes", "no")
    leak = lab.copy()
    m = rng.random(n) < 0.03
    leak[m] = np.where(lab[m] == "yes", "no", "yes")
    code = (np.where(leak == "yes", 1.0, 0.0) + rng.normal(0, 0.01, n)) if numeric else np.where(leak == "yes", "Y", "N")
    return pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "status_code": code, "label": lab})


def _proxy_notes(r: dvclean.ScoreResult) -> list[str]:
    return [n for n in r.summary["notes"] if " alone predicts " in n]


@pytest.mark.parametrize("numeric", [False, True])
def test_a_near_copy_of_the_label_is_noted(numeric):
    df = _leak(numeric=numeric)
    r = dvclean.score(df, label="label")
    notes = _proxy_notes(r)
    f = r.frame
    flagged = int(f["is_mislabeled"].sum())
    assert flagged and len(notes) == 1, r.summary["notes"]
    found = re.search(r"alone predicts (\d+) of the 500 labels .*: (?:all (\d+)|(\d+) of the (\d+)) rows flagged "
                      r"mislabeled \(rows [\d, ]+(?: and \d+ more)?\) are rows whose label disagrees with it", notes[0])
    assert found, notes[0]
    right, every, part, of = (int(g) if g else None for g in found.groups())
    against = every or part
    assert notes[0].startswith("feature column 'status_code' alone predicts ") and right >= 475
    assert (of or every) == flagged and against * 2 >= flagged
    if not numeric:  # (a value's commonest class: the status disagrees with the label in the others)
        agree = (df["status_code"] == "Y") == (df["label"] == "yes")
        assert right == int(agree.sum()) and against == int((f["is_mislabeled"] & ~agree).sum())
        assert "by its value (" in notes[0] and "'Y': 'yes'" in notes[0] and "'N': 'no'" in notes[0]
    else:
        assert re.search(r"by one threshold \(below 0\.\d+: 'no'; above: 'yes'\)", notes[0]), notes[0]
    assert "--drop status_code and score again" in notes[0]


def test_a_column_filled_in_for_nearly_one_class_is_noted():
    df = _churn()
    r = dvclean.score(df, label="label")
    notes = _proxy_notes(r)
    assert len(notes) == 1, r.summary["notes"]
    assert "'cancel_date' alone predicts 397 of the 400 labels (99.2%) by whether it is missing (filled in: " \
           "'churn'; missing: 'stay')" in notes[0]
    no_date = np.flatnonzero(((df["label"] == "churn") & df["cancel_date"].is_null()).to_numpy())
    flagged = np.flatnonzero(r.frame["is_mislabeled"].to_numpy())
    assert set(flagged) <= set(no_date) and f"rows {', '.join(map(str, flagged))})" in notes[0]
    # dropping it (the note's advice) leaves no note
    assert not _proxy_notes(dvclean.score(df, label="label", drop=["cancel_date"]))


def test_strong_ordinary_features_get_no_near_copy_note():
    from sklearn.datasets import load_breast_cancer

    d = load_breast_cancer()  # the best single column predicts 92.3% of its labels
    df = pl.DataFrame(d.data, schema=list(d.feature_names)).with_columns(pl.Series("target", d.target))
    r = dvclean.score(df, label="target")
    assert r.summary["flags"]["mislabeled"] and not _proxy_notes(r)
    # two classes 3 sd apart in x beside a column of noise: x predicts 299 of 300 labels, and the row flagged lies at
    # the boundary, not among the other class's values (a leak's disagreements do)
    rng = np.random.default_rng(7)
    y = np.arange(300) % 2
    df = pl.DataFrame({"x": y * 3 + rng.normal(0, 0.7, 300), "noise": rng.random(300), "y": y})
    r = dvclean.score(df, label="y")
    assert r.summary["flags"]["mislabeled"] and not _proxy_notes(r), r.summary["notes"]
    # a label that is a function of the only feature: the flags follow that column whatever it is
    rng = np.random.default_rng(2)
    x = rng.normal(size=200)
    assert not _proxy_notes(dvclean.score(pl.DataFrame({"x": x, "label": np.where(x > 0, "p", "n")}), label="label"))


def test_label_proxy_gives_an_identifier_no_credit():
    from dvclean.pipeline import label_proxy

    y = np.tile([0, 1], 50)
    ids = pl.Series([f"id{i}" for i in range(100)])
    assert label_proxy(ids, y, 2)[1] == 0  # (each value in one row: its group's other rows predict nothing)
    pred, right, rule = label_proxy(pl.Series(np.where(y == 1, 5.0, -5.0)), y, 2)
    assert right == 100 and rule[0] == "threshold" and rule[1] == 0.0 and (pred == y).all()


def test_hard_shortfall_counts_rows_tied_on_value_and_mislabel_score():
    # cat3.csv under -m oob: all 240 rows valued 1, 20 of them at one mislabel score; 20 flagged hard, not 24
    from dvclean.pipeline import _hard_shortfall_note
    from dvclean.valuation import ValuationResult

    score = np.r_[np.full(20, 0.9), np.full(20, 0.7), np.full(200, 0.1)]
    hard = np.r_[np.ones(20, dtype=bool), np.zeros(220, dtype=bool)]
    flags = types.SimpleNamespace(is_mislabeled=np.zeros(240, dtype=bool), is_hard=hard, mislabel_score=score)
    primary = ValuationResult(method="oob", values=np.ones(240), stderr=None, status="exact", params={}, seed=0)
    note = _hard_shortfall_note(flags, primary, 0.1)
    assert note is not None and note.startswith(
        "20 rows are flagged hard, not the 24 that --hard-frac 0.1 asks for: 20 rows tie at value 1 and in mislabel "
        "score across the cut"), note


def test_folds_note_when_every_class_is_smallest():
    rng = np.random.default_rng(3)
    y = np.repeat([f"k{i:03d}" for i in range(30)], 2)
    x = rng.normal(size=(60, 2)) + np.repeat(rng.normal(size=(30, 2)) * 4, 2, axis=0)
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "label": y}), label="label")
    notes = [n for n in r.summary["notes"] if "stratified folds" in n]
    assert notes and notes[0].startswith("every class has 2 rows, so the mislabel rule's models used 2 stratified "
                                         "folds instead of 5"), r.summary["notes"]
    assert not any("class 'k0" in n for n in notes)


def test_folds_note_counts_the_smallest_classes():
    from dvclean.pipeline import _smallest_classes_text
    from dvclean.table import ValuationData

    def data(y):
        return ValuationData(x=np.zeros((len(y), 1)), y=np.asarray(y), rows=np.arange(len(y)),
                             classes=np.array(["a", "b", "c"]))

    assert _smallest_classes_text(data([0, 0, 1, 1, 2, 2, 2])) == "2 classes have 2 rows (class 'a' among them)"
    assert _smallest_classes_text(data([0, 0, 1, 1, 1, 2, 2, 2])) == "class 'a' has 2 rows"
    assert _smallest_classes_text(data([0, 0, 1, 1, 2, 2])) == "every class has 2 rows"


def test_all_constant_features_are_named_and_none_counted():
    rng = np.random.default_rng(4)
    df = pl.DataFrame({"a": [1] * 100, "b": ["k"] * 100, "label": rng.choice(["p", "n"], 100)})
    r = dvclean.score(df, label="label")
    assert r.summary["features"]["encoded_dimensions"] == 0
    assert any(n.startswith("every feature column is constant (a, b): ") for n in r.summary["notes"]), r.summary["notes"]


def _imbalanced() -> pl.DataFrame:
    # QA's imbal.csv: 5 correct rows of a rare class in 3,000, shifted by 2 standard deviations; fix relabelled 3 of
    # them to 0 (the draws before it are those of the other files its generator wrote first)
    rng = np.random.default_rng(1)
    rng.normal(size=(480, 3)), rng.normal(size=(120, 3)), rng.normal(size=50), rng.normal(size=50)
    n = 3000
    y = np.zeros(n, int)
    y[rng.choice(n, 5, replace=False)] = 1
    x = rng.normal(size=(n, 4))
    x[y == 1] += 2
    return pl.DataFrame({f"f{i}": x[:, i] for i in range(4)}).with_columns(pl.Series("label", y))


def test_fix_refuses_to_relabel_a_rare_class_without_force(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    df = _imbalanced()
    r = dvclean.score(df, label="label")
    rare = r.summary["flags"]["rare_classes"]
    assert list(rare) == ["1"] and rare["1"]["rows"] == 5 and rare["1"]["mislabeled"] > 0, rare
    with pytest.raises(DataValidationError, match=r"refusing to relabel \d+ flagged rows? of a rare class \('1': "
                                                  r"\d+ of its 5 rows flagged, \d+ mislabeled and \d+ hard\).*--force"):
        fix(df, label="label", config=FixConfig(action="relabel"))
    forced = fix(df, label="label", config=FixConfig(action="relabel", force=True))
    assert forced.summary["changed"] == rare["1"]["mislabeled"]
    assert fix(df, label="label", config=FixConfig(action="mark")).summary["marked"] > 0
    src = tmp_path / "imbal.csv"
    df.write_csv(src)
    out = CliRunner().invoke(app, ["fix", str(src), "--action", "drop", "-o", str(tmp_path / "fixed.csv")])
    assert out.exit_code == 2 and "refusing to drop" in out.output and not (tmp_path / "fixed.csv").exists(), out.output
