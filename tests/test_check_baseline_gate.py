"""`dvclean check --baseline` row identity across column changes; gates that check nothing; JUnit classname.

Without ``--id`` a baseline keys rows by a hash of the label and the varying feature
columns and records those columns, so a later run hashes its rows over the
baseline's columns: added columns keep the rows matched, a missing one is said.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.check import CheckPolicy, evaluate_check, load_baseline, row_hashes
from dvclean.cli import app
from dvclean.errors import ConfigError

runner = CliRunner()

FLIPS = (3, 17, 71, 95)  # flipped in the baseline's data
EXTRA = (30, 88)  # flipped later: the truly new mislabeled rows
CONTENT = ["f1", "f2", "y"]


def clusters(n_per_class: int = 60, flips: tuple[int, ...] = (), seed: int = 0) -> pl.DataFrame:
    """Two far-apart Gaussian blobs (so the flipped rows are exactly the flagged ones); no id column."""
    rng = np.random.default_rng(seed)
    cls = np.repeat([0, 1], n_per_class)
    x = rng.normal(0, 1, (2 * n_per_class, 2)) + cls[:, None] * 12.0
    y = cls.copy()
    y[list(flips)] = 1 - y[list(flips)]
    return pl.DataFrame({"f1": x[:, 0].round(6), "f2": x[:, 1].round(6), "y": [("a", "b")[v] for v in y]})


def score(df: pl.DataFrame, **kw):
    return dvclean.score(df, label=kw.pop("label", "y"), **kw)


def write_baseline(result, path: Path) -> Path:
    path.write_text(json.dumps(evaluate_check(result, CheckPolicy()).to_dict()), encoding="utf-8")
    return path


def flagged_content(result, df: pl.DataFrame, cols=CONTENT) -> set[tuple]:
    rows = np.flatnonzero(result.frame.get_column("is_mislabeled").to_numpy())
    return {tuple(r) for r in df[rows.tolist()].select(cols).rows()}


def new_content(outcome, df: pl.DataFrame, cols=CONTENT) -> set[tuple]:
    rows = outcome.baseline["new_mislabeled_rows"]  # row numbers (no --id)
    return {tuple(r) for r in df[rows].select(cols).rows()}


@pytest.fixture(scope="module")
def v1_scored():
    df = clusters(flips=FLIPS)
    return df, score(df)


# ------------------------------------------------------------------ columns added


@pytest.mark.parametrize("added", ["constant", "dropped", "feature"])
def test_an_added_column_keeps_the_rows_matched(tmp_path, v1_scored, added):
    """Before: every flagged row was "new" as soon as any column was added (the hash covered every column)."""
    v1, r1 = v1_scored
    base = write_baseline(r1, tmp_path / "base.json")
    v2 = clusters(flips=FLIPS + EXTRA)
    n = v2.height
    kw: dict = {}
    if added == "constant":  # ignored by the valuation
        v2 = v2.with_columns(pl.lit("b1").alias("batch"))
    elif added == "dropped":  # varies from row to row, but excluded with --drop
        v2 = v2.with_columns(pl.Series("comment", [f"c{i}" for i in range(n)]))
        kw["drop"] = ("comment",)
    else:  # a real (noise) feature: the valuation sees it
        v2 = v2.with_columns(pl.Series("f3", np.random.default_rng(5).normal(size=n).round(6)))
    r2 = score(v2, **kw)
    out = evaluate_check(r2, CheckPolicy(max_new_mislabeled=0), baseline=load_baseline(base))
    expected = flagged_content(r2, v2) - flagged_content(r1, v1)
    n_flagged = int(r2.frame.get_column("is_mislabeled").sum())
    assert 0 < len(expected) < n_flagged  # the test tells "the truly new ones" from "all of them"
    assert new_content(out, v2) == expected and out.baseline["new_mislabeled"] == len(expected)
    assert out.baseline["matched"] is True and out.baseline["hash_columns"] == ["f1", "f2", "y"]
    # every row of the baseline is found, but for the rows whose label changed since
    assert out.baseline["match"] == {"basis": "sample", "rows": v1.height, "found": v1.height - len(EXTRA),
                                     "fraction": (v1.height - len(EXTRA)) / v1.height}
    assert not any("found in this data" in note or "cannot be matched" in note for note in out.notes)


def test_constant_dropped_and_id_columns_are_not_hashed(v1_scored):
    v1, r1 = v1_scored
    doc = evaluate_check(r1, CheckPolicy()).to_dict()
    assert doc["flagged"]["hash_columns"] == ["f1", "f2", "y"]
    assert len(doc["flagged"]["sample"]) == v1.height  # fewer rows than SAMPLE_SIZE: every row
    extra = v1.with_columns(pl.lit(1).alias("batch"), pl.Series("uid", [f"u{i}" for i in range(v1.height)]),
                            pl.Series("note", ["x"] * 60 + ["y"] * 60))
    r = score(extra, id_column="uid", drop=("note",))
    assert evaluate_check(r, CheckPolicy()).to_dict()["flagged"]["hash_columns"] is None  # keyed by the id
    r = score(extra.drop("uid"), drop=("note",))
    d = evaluate_check(r, CheckPolicy()).to_dict()
    assert d["flagged"]["hash_columns"] == ["f1", "f2", "y"] and d["flagged"]["mislabeled"] == doc["flagged"]["mislabeled"]


# ------------------------------------------------------------------ a hashed column gone


def test_a_missing_hashed_column_is_said_and_every_flagged_row_counts_as_new(tmp_path, v1_scored):
    """Before: the same count, but nothing said why every flagged row was new."""
    v1, r1 = v1_scored
    base = load_baseline(write_baseline(r1, tmp_path / "base.json"))
    v2 = clusters(flips=FLIPS).drop("f2")
    r2 = score(v2)
    out = evaluate_check(r2, CheckPolicy(max_new_mislabeled=0), baseline=base)
    n_flagged = int(r2.frame.get_column("is_mislabeled").sum())
    assert out.baseline["matched"] is False and out.baseline["match"] is None
    assert out.baseline["new_mislabeled"] == n_flagged and out.status == "fail"
    note = next(n for n in out.notes if "cannot be matched" in n)
    assert "lacks 'f2'" in note and "Re-create the baseline" in note and "--id" in note


def test_a_hashed_column_excluded_with_drop_is_said_on_the_command_line(tmp_path):
    src = tmp_path / "d.csv"
    clusters(flips=FLIPS).write_csv(src)
    r1 = runner.invoke(app, ["check", str(src), "-y", "y", "--json"])
    base = tmp_path / "base.json"
    base.write_text(r1.stdout, encoding="utf-8")
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--drop", "f2", "--baseline", str(base),
                              "--max-new-mislabeled", "0"])
    assert res.exit_code == 1, res.output
    assert "cannot be matched" in res.stderr and "'f2'" in res.stderr and "--drop" in res.stderr


# ------------------------------------------------------------------ shuffled + appended rows


def test_shuffled_appended_and_changed_rows_with_an_added_column(tmp_path, v1_scored):
    v1, r1 = v1_scored
    base = load_baseline(write_baseline(r1, tmp_path / "base.json"))
    changed = clusters(flips=FLIPS + EXTRA)
    appended = clusters(n_per_class=2, seed=9)
    v2 = (pl.concat([changed, appended]).with_row_index("orig").sample(fraction=1.0, shuffle=True, seed=3)
          .with_columns(pl.lit("2024-06").alias("batch")))
    r2 = score(v2.drop("orig"))
    out = evaluate_check(r2, CheckPolicy(max_new_mislabeled=len(EXTRA) - 1), baseline=base)
    new_orig = set(v2.get_column("orig").gather(out.baseline["new_mislabeled_rows"]).to_list())
    assert new_orig == set(EXTRA)
    check = next(c for c in out.checks if c.name == "new_mislabeled")
    assert check.count == len(EXTRA) and check.status == "fail"


# ------------------------------------------------------------------ another label / task


def test_a_baseline_of_another_label_is_refused(tmp_path):
    """Before: accepted; every flagged row counted as new."""
    df = clusters(flips=FLIPS).with_columns(pl.col("y").alias("y2"))
    src = tmp_path / "d.csv"
    df.write_csv(src)
    r1 = runner.invoke(app, ["check", str(src), "-y", "y", "--drop", "y2", "--json"])
    base = tmp_path / "base.json"
    base.write_text(r1.stdout, encoding="utf-8")
    res = runner.invoke(app, ["check", str(src), "-y", "y2", "--drop", "y", "--baseline", str(base),
                              "--max-new-mislabeled", "0"])
    assert res.exit_code == 2, res.output
    assert "label 'y'" in res.stderr and "'y2'" in res.stderr and "re-create" in res.stderr
    r2 = score(df, label="y2", drop=("y",))
    with pytest.raises(ConfigError, match="label 'y'"):
        evaluate_check(r2, CheckPolicy(), baseline=load_baseline(base))


def test_a_baseline_of_another_task_is_refused(tmp_path, v1_scored):
    _, r1 = v1_scored
    doc = evaluate_check(r1, CheckPolicy()).to_dict()
    doc["task"] = "regression"
    base = tmp_path / "base.json"
    base.write_text(json.dumps(doc), encoding="utf-8")
    assert load_baseline(base).task == "regression" and load_baseline(base).label == "y"
    with pytest.raises(ConfigError, match="regression"):
        evaluate_check(r1, CheckPolicy(), baseline=load_baseline(base))


# ------------------------------------------------------------------ old baselines


def old_format(result, df: pl.DataFrame, path: Path) -> Path:
    """A baseline as dvclean wrote it before hash_columns/sample: hashes of every column but the id."""
    doc = evaluate_check(result, CheckPolicy()).to_dict()
    for k in ("hash_columns", "sample"):
        doc["flagged"].pop(k, None)
    doc["dvclean_version"] = "0.0.9"
    for flag, col in (("mislabeled", "is_mislabeled"), ("hard", "is_hard")):
        doc["flagged"][flag] = row_hashes(df, np.flatnonzero(result.frame.get_column(col).to_numpy()))
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_an_old_baseline_still_matches_as_before_with_a_note(tmp_path, v1_scored):
    v1, r1 = v1_scored
    base = load_baseline(old_format(r1, v1, tmp_path / "old.json"))
    assert getattr(base, "hash_columns", None) is None and getattr(base, "sample", None) is None
    v2 = pl.concat([clusters(flips=FLIPS + EXTRA), clusters(n_per_class=2, seed=9)]).with_row_index("orig")
    v2 = v2.sample(fraction=1.0, shuffle=True, seed=4)
    r2 = score(v2.drop("orig"))
    out = evaluate_check(r2, CheckPolicy(max_new_mislabeled=10), baseline=base)
    assert set(v2.get_column("orig").gather(out.baseline["new_mislabeled_rows"]).to_list()) == set(EXTRA)
    assert any("does not record which columns" in n and "0.0.9" in n for n in out.notes)
    assert out.baseline["match"]["basis"] == "flagged" and out.baseline["match"]["fraction"] == 1.0
    # as before, a column added since makes every flagged row new: the note says so
    r3 = score(clusters(flips=FLIPS).with_columns(pl.lit(1).alias("batch")))
    out3 = evaluate_check(r3, CheckPolicy(max_new_mislabeled=10), baseline=base)
    assert out3.baseline["new_mislabeled"] == len(FLIPS)
    assert any("found in this data" in n and "a column was added, removed or renamed" in n for n in out3.notes)


# ------------------------------------------------------------------ few rows found


def test_a_baseline_of_another_data_set_is_warned(tmp_path, v1_scored):
    """Before: nothing said that no row of the baseline was found."""
    _, r1 = v1_scored
    base = load_baseline(write_baseline(r1, tmp_path / "base.json"))
    other = score(clusters(flips=FLIPS, seed=7))  # same columns and label, other rows
    out = evaluate_check(other, CheckPolicy(max_new_mislabeled=0), baseline=base)
    assert any("found in this data" in n for n in out.notes), out.notes
    note = next(n for n in out.notes if "found in this data" in n)
    assert note.startswith("only 0 of the baseline's 120 sampled rows (0%)") and "another data set" in note
    assert "added, removed or renamed" not in note  # that cause is for older baselines
    assert out.baseline["match"] == {"basis": "sample", "rows": 120, "found": 0, "fraction": 0.0}
    doc = out.to_dict()
    assert note in doc["notes"]


def test_fixed_labels_do_not_look_like_another_data_set(tmp_path, v1_scored):
    """The sample is of all rows, so relabelling the flagged ones changes few of them."""
    v1, r1 = v1_scored
    base = load_baseline(write_baseline(r1, tmp_path / "base.json"))
    r2 = score(clusters())  # every flipped label fixed
    out = evaluate_check(r2, CheckPolicy(max_new_mislabeled=0), baseline=base)
    assert out.baseline["match"]["found"] == v1.height - len(FLIPS)
    assert out.baseline["new_mislabeled"] == 0 and out.status == "pass"
    assert not any("found in this data" in n for n in out.notes)


def test_documents_with_the_new_fields_validate(tmp_path, v1_scored):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")
    schema = json.loads(resources.files("dvclean").joinpath("schemas/check.schema.json").read_text(encoding="utf-8"))
    _, r1 = v1_scored
    base = load_baseline(write_baseline(r1, tmp_path / "base.json"))
    jsonschema.validate(json.loads((tmp_path / "base.json").read_text()), schema)
    for df in (clusters(flips=FLIPS + EXTRA), clusters().drop("f2")):
        jsonschema.validate(evaluate_check(score(df), CheckPolicy(), baseline=base).to_dict(), schema)
    # the new fields are described, so the schema says what they hold
    assert {"hash_columns", "sample"} <= set(schema["properties"]["flagged"]["properties"])
    assert {"hash_columns", "matched", "match"} <= set(schema["properties"]["baseline"]["oneOf"][1]["properties"])


# ------------------------------------------------------------------ regression: per-class thresholds


def regression_frame(n: int = 80) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=n), rng.uniform(0, 1, n)
    target = 3.0 * x1 + 2.0 * x2 + rng.normal(size=n) + 0.001
    target[[5, 40]] += 25.0
    return pl.DataFrame({"x1": x1, "x2": x2, "target": target})


@pytest.fixture(scope="module")
def reg_scored():
    return score(regression_frame(), label="target")


@pytest.mark.parametrize("field", ["max_mislabeled_per_class", "warn_mislabeled_per_class"])
def test_per_class_thresholds_on_a_regression_target_are_refused(reg_scored, field):
    """Before: silently dropped; the gate passed with zero checks."""
    with pytest.raises(ConfigError, match="regression target") as info:
        evaluate_check(reg_scored, CheckPolicy(**{field: "1%"}))
    assert f"--{field.split('_')[0]}-mislabeled 1%" in str(info.value)  # what to use instead


def test_per_class_threshold_on_a_regression_target_exits_2(tmp_path):
    src = tmp_path / "reg.csv"
    regression_frame().write_csv(src)
    res = runner.invoke(app, ["check", str(src), "-y", "target", "--task", "regression",
                              "--max-mislabeled-per-class", "1%"])
    assert res.exit_code == 2, res.output
    assert "regression target" in res.stderr and "--max-mislabeled 1%" in res.stderr and "PASS" not in res.stdout


def test_a_per_class_threshold_from_a_configuration_file_is_a_note(reg_scored):
    out = evaluate_check(reg_scored, CheckPolicy(max_mislabeled_per_class="5%", max_mislabeled="10%"),
                         from_config=["max-mislabeled-per-class"])
    assert [c.name for c in out.checks] == ["outlying_targets"]
    assert any(n.startswith("max-mislabeled-per-class = 5% (configuration file) is not checked") for n in out.notes)
    # typed per-class threshold next to a configured one: still refused
    with pytest.raises(ConfigError, match="--warn-mislabeled-per-class"):
        evaluate_check(reg_scored, CheckPolicy(max_mislabeled_per_class="5%", warn_mislabeled_per_class="2%"),
                       from_config=["max_mislabeled_per_class"])


def test_a_gate_that_checks_nothing_says_so(reg_scored):
    out = evaluate_check(reg_scored, CheckPolicy(max_mislabeled_per_class="5%"),
                         from_config=["max_mislabeled_per_class"])
    assert out.checks == () and out.status == "pass"
    note = next(n for n in out.notes if n.startswith("no check ran"))
    assert "max-mislabeled-per-class 5%" in note and "without checking anything" in note
    assert any("no thresholds are set" in n for n in evaluate_check(reg_scored, CheckPolicy()).notes)


# ------------------------------------------------------------------ JUnit XML


def test_junit_classname_keeps_the_file_name_as_one_segment(tmp_path):
    """Dots of the file name made a fake package hierarchy (dvclean.check.adult_noisy.csv) in CI viewers."""
    src = tmp_path / "adult.noisy.csv"
    clusters(flips=FLIPS).write_csv(src)
    junit = tmp_path / "junit.xml"
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "1", "--junit-xml", str(junit),
                              "--format", "text"])
    assert res.exit_code == 1, res.output
    classnames = {c.get("classname") for c in ET.parse(junit).getroot().iter("testcase")}
    assert len(classnames) == 1
    (classname,) = classnames
    assert classname.startswith("dvclean.check.")
    segment = classname[len("dvclean.check."):]
    assert "." not in segment and all(part in segment for part in ("adult", "noisy", "csv"))


def test_notes_reach_markdown_and_github_annotations(tmp_path, v1_scored):
    """A baseline that cannot be matched was said on the terminal only: PR comments and annotations dropped it."""
    from dvclean.report.formats import github_annotations, to_markdown

    _, result = v1_scored
    base = write_baseline(result, tmp_path / "base.json")
    later = score(clusters(flips=FLIPS).drop("f2"), label="y")
    outcome = evaluate_check(later, CheckPolicy(max_new_mislabeled="0"), baseline=load_baseline(base))
    gone = [n for n in outcome.notes if "f2" in n]
    assert gone
    md = to_markdown(outcome)
    assert "**Notes**" in md and "f2" in md.split("**Notes**", 1)[1].split("\n\n", 2)[1]
    notices = [ln for ln in github_annotations(outcome, file="d.csv") if ln.startswith("::notice ")]
    assert len(notices) == len(outcome.notes) and any("f2" in ln for ln in notices)
    empty = evaluate_check(result, CheckPolicy())
    assert "No thresholds are set." in to_markdown(empty)


def test_a_per_class_threshold_from_dvclean_toml_on_regression_data_is_a_note_on_the_cli(tmp_path):
    from sklearn.datasets import load_diabetes

    src = tmp_path / "d.csv"
    pl.from_pandas(load_diabetes(as_frame=True).frame.head(150)).write_csv(src)
    (tmp_path / "dvclean.toml").write_text('[check]\nmax-mislabeled-per-class = "5%"\nmax-mislabeled = "20%"\n',
                                           encoding="utf-8")
    res = runner.invoke(app, ["check", str(src), "-y", "target", "--task", "regression", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert any("max-mislabeled-per-class = 5% (configuration file) is not checked" in n for n in doc["notes"])
    typed = runner.invoke(app, ["check", str(src), "-y", "target", "--task", "regression",
                                "--max-mislabeled-per-class", "5%"])
    assert typed.exit_code == 2 and "regression target" in typed.output
