"""QA round 88 (session 51): items carried from earlier rounds, and the helpers' findings. A class label of
thousands of characters was quoted whole in notes and errors (a 5,000-character label made a 5,400-character
note line; the summaries' table cut it already); infinite feature values were valued as missing without a word;
``score --report`` and ``fix --report`` did not name the HTML page they wrote; ``augment --target class:X`` with
fewer rows in the class than a generator needs was refused only after the valuation of every row."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.table import class_repr
from tests.conftest import needs_sdv

runner = CliRunner()


def _two_classes(n: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = np.arange(n) % 2
    return np.c_[rng.normal(size=n) + 4 * c, rng.normal(size=n)], c


def test_a_long_class_is_cut_in_the_middle_in_notes():
    long = "A" * 5000
    from dvclean.report.formats import text_digest

    assert class_repr(long) == repr("A" * 150 + "…" + "A" * 20) + f" (5,000 characters, #{text_digest(long)})"
    # two classes that differ only in the middle stay apart (QA round 89: the report's tables showed them alike)
    north, south = "A" * 160 + "_north_" + "B" * 60, "A" * 160 + "_south_" + "B" * 60
    from dvclean.report.formats import label_text

    assert class_repr(north) != class_repr(south) and label_text(north) != label_text(south)
    assert label_text(True) == "true" and label_text(np.bool_(False)) == "false"  # (as the scores file spells them)
    assert class_repr("A" * 200) == repr("A" * 200)  # (200 characters are still shown whole)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    c = (x[:, 0] > 0).astype(int)
    c[:5] = 1 - c[:5]  # (five flipped labels: the flags follow column a, and a note says so)
    y = np.where(c == 1, long, "short")
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    notes = [n for n in r.summary["notes"] if "alone predicts" in n]
    assert notes and all(len(n) < 1200 for n in notes), notes
    assert "(5,000 characters, #" in notes[0]
    assert r.frame.get_column("label").to_list().count(long) == int(c.sum())  # (the scores keep it whole)


def test_infinite_feature_values_get_a_note():
    x, c = _two_classes()
    b = x[:, 1].copy()
    b[[3, 9, 20]] = [np.inf, -np.inf, np.inf]
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "b": b, "y": c}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    (note,) = [n for n in r.summary["notes"] if "infinite" in n]
    assert note.startswith("column 'b' holds 3 infinite values (inf, -inf): valued as missing, as an empty cell is")
    clean = dvclean.score(pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": c}), label="y",
                          config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    assert not [n for n in clean.summary["notes"] if "infinite" in n]


@pytest.mark.parametrize("command", ["score", "fix"])
def test_the_report_path_is_named_in_the_summary(tmp_path, command):
    x, c = _two_classes()
    src = tmp_path / "d.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": c}).write_csv(src)
    out, html = tmp_path / f"out.{command}.csv", tmp_path / "page.html"
    plain = [command, str(src), "-y", "y", "--seed", "0", "-o", str(out)] + (["-m", "knn"] if command == "score" else [])
    args = [*plain, "--report", str(html)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    last = " ".join(res.stdout.split())
    assert (f"wrote {out} and {html}" if command == "score" else f"written to {out}; report: {html}") in last
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["report"] == str(html) and summary["output"] == str(out)
    res = runner.invoke(app, [*plain, "--json"])  # (without --report: no key)
    assert "report" not in json.loads(res.stdout)


def _stamps(n: int = 120, seed: int = 3) -> tuple[list[str], np.ndarray, np.ndarray]:
    import datetime as dt

    rng = np.random.default_rng(seed)
    secs = np.sort(rng.integers(0, 3 * 365 * 86400, n))
    start = dt.datetime(2020, 1, 1)
    texts = [f"{start + dt.timedelta(seconds=int(s)):%Y-%m-%dT%H:%M:%S}Z" for s in secs]
    return texts, secs, rng.normal(size=n)


def test_iso_timestamps_with_z_or_an_offset_held_as_text_are_valued_as_utc_dates(tmp_path):
    """NDJSON writes timestamps as text with a Z: the column was dropped as an identifier ("a distinct value in every
    row"); a CSV column of offsets with one bad cell was too. Both are dates, read in UTC."""
    texts, secs, noise = _stamps()
    y = np.where(secs > np.median(secs), "late", "early")
    src = tmp_path / "t.ndjson"
    pl.DataFrame({"x": noise, "created": texts, "y": y}).write_ndjson(src)
    r = dvclean.score(str(src), label="y", config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    notes = r.summary["notes"]
    assert not [n for n in notes if "ignored feature columns" in n], notes
    assert ("column 'created' holds dates written YYYY-MM-DDThh:mm:ss±hh:mm (or Z; read in UTC): valued as dates"
            in notes)
    assert r.summary["features"]["encoded_dimensions"] > 1
    # the same instants written with a +02:00 offset (and one bad cell) give the same encoding
    import datetime as dt

    shifted = [(dt.datetime.fromisoformat(t[:-1]) + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S+02:00")
               for t in texts]
    shifted[4] = "unknown"
    csv = tmp_path / "t.csv"
    pl.DataFrame({"x": noise, "created": shifted, "y": y}).write_csv(csv)
    from dvclean.table import _zoned_dates

    same, other = _zoned_dates(pl.Series(texts)).to_list(), _zoned_dates(pl.Series(shifted)).to_list()
    assert other[4] is None and [v for i, v in enumerate(other) if i != 4] == [v for i, v in enumerate(same) if i != 4]
    r = dvclean.score(str(csv), label="y", config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    assert any(n.startswith("column 'created' holds dates (YYYY-MM-DDThh:mm:ss±hh:mm (or Z; read in UTC)) except 1 "
                            "of 120 cells ('unknown')") for n in r.summary["notes"]), r.summary["notes"]


def test_valid_values_of_a_text_column_valued_as_numbers_or_dates_are_not_unseen_categories(tmp_path):
    texts, secs, noise = _stamps(150)
    y = np.where(secs > np.median(secs), "late", "early")
    price = [f"${v:,.2f}" for v in 1000 + 500 * noise]
    frame = pl.DataFrame({"price": price, "created": texts, "y": y})
    data, valid = tmp_path / "d.ndjson", tmp_path / "v.ndjson"
    frame.head(100).write_ndjson(data)
    frame.tail(50).write_ndjson(valid)
    r = dvclean.score(str(data), label="y", valid=str(valid), config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    assert not [n for n in r.summary["notes"] if "never has" in n], r.summary["notes"]
    # a category still gets the note
    frame = frame.with_columns(kind=pl.Series(["a", "b"] * 75))
    frame.head(100).write_ndjson(data)
    frame.tail(50).with_columns(kind=pl.lit("zz")).write_ndjson(valid)
    r = dvclean.score(str(data), label="y", valid=str(valid), config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    assert [n for n in r.summary["notes"] if "column 'kind' holds a value the data never has in 50 of 50 rows" in n]


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_the_null_values_advice_is_given_for_csv_only(tmp_path, fmt):
    x, c = _two_classes(200)
    m = [("n/a" if i % 15 == 0 else f"{v:.3f}") for i, v in enumerate(x[:, 1])]
    frame = pl.DataFrame({"a": x[:, 0], "m": m, "y": c})
    src = tmp_path / f"d.{fmt}"
    getattr(frame, f"write_{fmt}")(src)
    r = dvclean.score(str(src), label="y", config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    (note,) = [n for n in r.summary["notes"] if n.startswith("column 'm' holds numbers")]
    if fmt == "csv":
        assert "--null-values" in note
    else:
        assert "null-values" not in note and "write them as null (missing) values" in note


def test_max_hard_at_hard_frac_passes_when_no_rows_tie():
    """307 rows, none flagged, all values distinct: --hard-frac 10% flagged round(30.7) = 31 rows, over check's
    10% limit (30 rows), and the note blamed ties that did not exist."""
    from dvclean.check import CheckPolicy, evaluate_check
    from dvclean.flags import hard_count

    assert [hard_count(0.1, n) for n in (307, 300, 9, 10)] == [30, 30, 0, 1]
    x, c = _two_classes(307, seed=7)
    x[:, 0] += 8 * c  # (well apart: no row flagged mislabeled)
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": c}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    assert int(r.frame.get_column("is_mislabeled").sum()) == 0
    assert int(r.frame.get_column("is_hard").sum()) == 30
    result = evaluate_check(r, CheckPolicy(max_hard="10%"))
    assert result.status == "pass", result.checks


def test_one_gross_target_typo_leaves_the_other_predictions_in_the_targets_units():
    """y[7] = 1e12 among targets of spread 5: the standardised targets of every other row fell on one point of the
    models' grid, the stacking weights fell back to equal ones, and every predicted_value was off by about +172."""
    rng = np.random.default_rng(0)
    n = 500
    x = rng.normal(size=(n, 4))
    y = np.round(3 * x[:, 0] - 2 * x[:, 1] + 0.5 * x[:, 2] + rng.normal(scale=0.3, size=n), 4)
    y[7] = 1e12
    frame = pl.DataFrame({f"x{i}": x[:, i] for i in range(4)}).with_columns(target=pl.Series(y))
    r = dvclean.score(frame, label="target", config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    out = r.frame
    assert np.flatnonzero(out.get_column("is_mislabeled").to_numpy()).tolist() == [7]
    clean = np.arange(n) != 7
    err = out.get_column("predicted_value").to_numpy()[clean] - y[clean]
    assert abs(float(np.median(err))) < 0.1 and float(np.mean(np.abs(err))) < 1.0
    weights = r.summary["flags"]["signal_weights"]
    assert max(weights.values()) > 0.5, weights  # (fitted, not the equal fallback)


def test_a_zero_inflated_target_that_one_feature_drives_is_not_called_unpredictable():
    """70% zero claims, the others exp(1 + x0): the later passes train without the flagged upper tail and their
    predictions correlated -0.12 with the target, so a note said the features do not predict it."""
    rng = np.random.default_rng(1)
    n = 600
    x = rng.normal(size=(n, 3))
    y = np.where(rng.random(n) < 0.7, 0.0, np.exp(1 + x[:, 0] + rng.normal(scale=0.3, size=n)))
    frame = pl.DataFrame({f"x{i}": x[:, i] for i in range(3)}).with_columns(claim=pl.Series(np.round(y, 2)))
    r = dvclean.score(frame, label="claim", config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    assert not [m for m in r.summary["notes"] if "do not predict the target" in m], r.summary["notes"]
    check = r.summary["flags"]["target_predictability"]
    assert check["predictable"] and check["first_pass"] and check["spearman"] > 0.1


def test_a_valid_regression_target_with_a_unit_is_read_as_the_datas(tmp_path):
    rng = np.random.default_rng(0)

    def write(n: int, path, bad: int | None = None) -> None:
        x = rng.normal(size=(n, 2))
        y = [f"{v:.2f} kg" for v in 50 + 3 * x[:, 0] + rng.normal(scale=0.5, size=n)]
        if bad is not None:
            y[bad] = "heavy"
        pl.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "weight": y}).write_csv(path)

    write(200, tmp_path / "d.csv")
    write(60, tmp_path / "v.csv")
    write(60, tmp_path / "bad.csv", bad=3)
    cfg = dvclean.ScoreConfig(methods=("knn",), task="regression", seed=0)
    r = dvclean.score(str(tmp_path / "d.csv"), label="weight", valid=str(tmp_path / "v.csv"), config=cfg)
    assert r.summary["validation"] == "file (60 rows)" and r.summary["validation_file"]["rows"] == 60
    from dvclean.errors import DataValidationError

    with pytest.raises(DataValidationError) as err:
        dvclean.score(str(tmp_path / "d.csv"), label="weight", valid=str(tmp_path / "bad.csv"), config=cfg)
    assert ("bad.csv (--valid): its label 'weight' holds String values (such as 'heavy' at validation row 3), but "
            "the data's regression target is numbers") in str(err.value)


def test_the_actions_own_options_come_before_a_double_dash_in_args(tmp_path):
    """action.yml put --format github --report --junit-xml after the user's args: `args: ... --` made them data
    files ("error: --format: no such file"), and the job ended with status=error and no report."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.test_qa21 import _action_script

    x, c = _two_classes()
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": c}).write_csv(tmp_path / "d.csv")
    script = tmp_path / "run.sh"
    script.write_text(_action_script())
    out = tmp_path / "github_output"
    out.write_text("")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "DVCLEAN_DATA": "d.csv",
           "DVCLEAN_ARGS": "--label y --max-mislabeled 50% --", "GITHUB_OUTPUT": str(out)}
    r = subprocess.run(["bash", "-eo", "pipefail", str(script)], cwd=tmp_path, capture_output=True, text=True, env=env,
                       timeout=300)
    assert out.read_text().strip() == "status=pass", r.stdout + r.stderr
    assert (tmp_path / "dvclean-out" / "report.html").exists() and (tmp_path / "dvclean-out" / "junit.xml").exists()


@pytest.mark.parametrize(("text", "hint"), [
    (".5", "write a percentage with a % sign (e.g. 50%)"), ("1e-3", "(e.g. 0.1%)"),
    ("1e3", "write the number of rows in plain digits, as 1000"), (".5%", "in plain digits, as 0.5%"),
    ("5.", "in plain digits, as 5")])
def test_thresholds_in_other_number_spellings_get_a_hint(text, hint):
    from dvclean.check import parse_threshold
    from dvclean.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse_threshold(text, "max-mislabeled")
    assert hint in str(err.value)


@pytest.mark.parametrize("kind", ["float", "one missing"])
def test_a_row_number_stored_as_floats_or_with_a_gap_gets_the_id_note(kind):
    x, c = _two_classes(200)
    rowid = np.arange(1.0, 201.0)
    col = pl.Series("rowid", rowid) if kind == "float" else pl.Series("rowid", rowid.astype(int)).scatter(17, None)
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "rowid": col, "y": c}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    (note,) = [n for n in r.summary["notes"] if "consecutive integer" in n]
    assert note.startswith("feature column 'rowid' holds a distinct consecutive integer in every row"
                           + (" (but a few empty ones)" if kind == "one missing" else ","))


def test_a_mostly_distinct_text_column_kept_as_a_frequency_code_gets_a_note():
    x, c = _two_classes(200)
    comment = [f"comment {i}" for i in range(200)]
    for i in range(0, 30, 2):
        comment[i + 1] = comment[i]  # (15 pairs: 170 of 200 rows hold a value of their own, under the 95% cut)
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "comment": comment, "y": c}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    (note,) = [n for n in r.summary["notes"] if n.startswith("column 'comment'")]
    assert note.startswith("column 'comment' holds a value no other row holds in 170 of 200 rows (free text or an "
                           "identifier?)") and "--drop comment" in note


def test_the_reports_projection_has_one_orientation_whatever_the_row_order():
    """pca_2d chose each axis's sign by the sum of its coordinates, which is 0 up to rounding for centred rows:
    `score --report` and `report --data` drew the same data mirrored."""
    from dvclean.report._build import pca_2d

    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 6)) @ rng.normal(size=(6, 6))
    coords, _ = pca_2d(x)
    for seed in range(5):
        perm = np.random.default_rng(seed).permutation(400)
        again, _ = pca_2d(x[perm])
        np.testing.assert_allclose(again, coords[perm], atol=1e-9)


def test_a_rare_class_flagged_only_hard_is_not_said_to_be_refused_by_fix():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal((0, 0), 1, (200, 2)), rng.normal((5, 0), 1, (200, 2)), rng.normal((2.5, 6), 1, (4, 2))])
    y = ["A"] * 200 + ["B"] * 200 + ["F"] * 4
    y[0] = y[1] = "B"
    y[200] = "A"
    r = dvclean.score(pl.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    (note,) = [n for n in r.summary["notes"] if n.startswith("rare class")]
    assert "'F': 4 of its 4 rows" in note and "fix refuses" not in note
    assert note.endswith("(they are flagged hard, not mislabeled: fix leaves them as they are)")


@needs_sdv
def test_evaluating_target_all_says_the_two_arms_are_one(caplog):
    """... and the evaluation's valuation of a split logged its notes to a library caller as `<DataFrame> (--valid)`
    notes (here: copies of training rows among the valuation rows), advice for an option never passed."""
    import logging

    from dvclean.augment import AugmentConfig, augment

    x, c = _two_classes(240, seed=3)
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(c == 1, "yes", "no")})
    frame = pl.concat([frame, frame.head(80)])
    with caplog.at_level(logging.WARNING):
        result = augment(frame, label="y", config=AugmentConfig(target="all", evaluate=True, repeats=2, quality=False,
                                                                 generator="gaussian-copula", n_synthetic="10%", seed=0))
    notes = [n for n in result.report["notes"] if "the two arms are one" in n]
    assert notes and "(every training row not flagged mislabeled)" in notes[0]
    assert "(--valid)" not in caplog.text


def test_a_valid_column_of_numbers_with_many_missing_markers_is_told_about_null_values(tmp_path):
    rng = np.random.default_rng(0)

    def write(path, n: int, share: float) -> None:
        x, c = _two_classes(n, seed=int(share * 100))
        m = [("n/a" if rng.random() < share else f"{v:.3f}") for v in x[:, 1]]
        pl.DataFrame({"a": x[:, 0], "m": m, "y": c}).write_csv(path)

    write(tmp_path / "d.csv", 300, 0.02)
    write(tmp_path / "v.csv", 150, 0.2)
    res = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-m", "knn", "--valid", str(tmp_path / "v.csv"),
                              "-o", str(tmp_path / "s.csv")])
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "if 'n/a' means missing, a CSV reads it so with --null-values 'n/a,NA," in text, text
    res = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-m", "knn", "--valid", str(tmp_path / "v.csv"),
                              "-o", str(tmp_path / "s.csv"), "--null-values", "n/a,NA"])
    assert res.exit_code == 0, res.output
