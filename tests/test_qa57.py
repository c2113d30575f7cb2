"""Session 57: the label-proxy notes and the dotted-thousands check skip work that cannot change what they find.

``_stump_bound`` bounds, without sorting, the rows a column's best threshold predicts right, so the notes sort only
the columns that could reach :data:`~dvclean.pipeline.PROXY_SHARE`; ``_dotted_thousands`` re-reads as text only
the decimal columns without a fraction between -1 and 1 (no such value is written as a dotted thousands group).
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from dvclean import io as dio
from dvclean.pipeline import STUMP_BOUND_BINS, _stump_bound, _threshold_proxy, label_proxy

N = 8 * STUMP_BOUND_BINS + 1_000  # (past the size below which the bound is the row count)


def _columns(rng: np.random.Generator, n: int, y: np.ndarray) -> dict[str, np.ndarray]:
    """Columns of every shape the bound must hold on, some of them predicting ``y`` well."""
    signal = y + rng.normal(0, 0.3, n)
    return {
        "normal": np.round(rng.normal(size=n), 3),
        "lognormal": rng.lognormal(0, 2, n),
        "cauchy": rng.standard_cauchy(n),
        "few_values": rng.integers(0, 5, n).astype(float),
        "constant": np.full(n, 7.0),
        "one_outlier": np.r_[np.zeros(n - 1), 1e308],
        "huge_range": np.r_[rng.normal(size=n - 2), -1e300, 1e300],
        "signal": signal,
        "leak": np.where(rng.random(n) < 0.99, y, 1 - np.minimum(y, 1)).astype(float) * 10 + rng.random(n),
        "crowded": np.r_[np.zeros(n // 2), rng.normal(size=n - n // 2)],
        "negative_zero": np.where(rng.random(n) < 0.5, -0.0, 0.0) + (y > 0) * 1e-9,
        "ties_at_class_edge": np.floor(signal * 2) / 2,
    }


@pytest.mark.parametrize("classes", [2, 3, 12])
def test_stump_bound_is_never_below_the_best_threshold(classes):
    rng = np.random.default_rng(classes)
    weights = rng.dirichlet(np.ones(classes))
    y = rng.choice(classes, size=N, p=weights).astype(np.int64)
    for name, v in _columns(rng, N, y).items():
        for absent in (np.zeros(N, dtype=bool), rng.random(N) < 0.05):
            right = _threshold_proxy(v, absent, y, classes)[1]
            bound = _stump_bound(v, absent, y, classes)
            assert right <= bound <= N, (name, classes, right, bound)


def test_stump_bound_is_tight_enough_to_skip_an_ordinary_column():
    rng = np.random.default_rng(0)
    y = (rng.random(N) < 0.3).astype(np.int64)
    v = y + rng.normal(0, 1.0, N)  # (a useful feature, far from predicting 95% of the labels)
    right = _threshold_proxy(v, np.zeros(N, dtype=bool), y, 2)[1]
    bound = _stump_bound(v, np.zeros(N, dtype=bool), y, 2)
    assert right < 0.8 * N and bound < right + 0.01 * N, (right, bound)
    # below the binned size the bound is the row count: nothing is skipped on small files
    assert _stump_bound(v[:1000], np.zeros(1000, dtype=bool), y[:1000], 2) == 1000


def test_label_proxy_with_need_skips_only_columns_that_cannot_reach_it():
    rng = np.random.default_rng(1)
    y = (rng.random(N) < 0.4).astype(np.int64)
    need = int(0.95 * N)
    for name, v in _columns(rng, N, y).items():
        col = pl.Series(name, v)
        full = label_proxy(col, y, 2)
        got = label_proxy(col, y, 2, need=need)
        assert full is not None
        if got is None:
            assert full[1] < need, name
        else:
            assert got[1] == full[1] and got[2][0] == full[2][0] and np.array_equal(got[0], full[0]), name
    # the leak is found with the bound as without it
    leak = label_proxy(pl.Series(_columns(rng, N, y)["leak"]), y, 2, need=need)
    assert leak is not None and leak[1] >= need


def test_label_proxy_with_need_keeps_dates_and_missing_cells():
    rng = np.random.default_rng(2)
    y = (rng.random(N) < 0.5).astype(np.int64)
    days = np.where(y == 1, 19_000, 18_000) + rng.integers(0, 300, N)
    dates = pl.Series("d", days, dtype=pl.Int32).cast(pl.Date)
    got = label_proxy(dates, y, 2, need=int(0.95 * N))
    assert got is not None and got[1] == N and got[2][0] == "threshold"
    filled = pl.Series("f", np.where(y == 1, rng.normal(size=N), np.nan)).fill_nan(None)
    got = label_proxy(filled, y, 2, need=int(0.95 * N))
    assert got is not None and got[1] >= int(0.95 * N)


def _dotted(csv: bytes, sep: str, monkeypatch) -> tuple[tuple[tuple[str, str], ...], list[list[str]]]:
    reread: list[list[str]] = []
    original = dio._texts_of

    def spy(data, sep_, nulls, header, names, columns, n_rows=None):
        reread.append(list(columns))
        return original(data, sep_, nulls, header, names, columns, n_rows)

    monkeypatch.setattr(dio, "_texts_of", spy)
    frame = pl.read_csv(csv, separator=sep)
    return dio._dotted_thousands(frame, csv, sep, [], frame.columns, frame.columns), reread


def test_dotted_thousands_rereads_no_column_with_a_fraction_below_one(monkeypatch):
    # three-decimal measurements around 0 (the 1,000,000-row benchmark's columns): no dot there groups thousands
    csv = b"a;b\n0.125;51.659\n-0.500;70\n1.250;1.234\n0.001;12.000\n"
    found, reread = _dotted(csv, ";", monkeypatch)
    assert found == (("b", "51.659"),) and reread == [["b"]]
    csv = b"a,b\n0.125,1\n-0.500,2\n1.250,3\n"
    found, reread = _dotted(csv, ",", monkeypatch)
    assert found == () and reread in ([], [[]])
    # the values that can group thousands are still read as text and named
    csv = b"x\n51.659\n70\n647.010\n2.500\n"
    found, reread = _dotted(csv, ",", monkeypatch)
    assert found == (("x", "51.659"),) and reread == [["x"]]


def test_report_counts_feature_columns_without_the_label():
    # 35 features and the label: the table shows the label and 29 features, and said "30 of 36 feature columns"
    import dvclean
    from dvclean.report import build_report
    from dvclean.report._build import MAX_FEATURE_COLUMNS

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 35))
    frame = pl.DataFrame({f"f{i}": x[:, i] for i in range(35)}).with_columns(
        pl.Series("y", np.where(x[:, 0] + x[:, 1] > 0, "a", "b")))
    report = build_report(dvclean.score(frame, label="y"))
    assert "the table shows the label column and the first 29 of the 35 feature columns" in report.notes, report.notes
    shown = report.top_columns[report.top_columns.index("is_hard") + 1:]
    assert shown[0] == "y" and len(shown) == MAX_FEATURE_COLUMNS and shown[-1] == "f28", shown


def test_whole_number_target_with_one_row_values_is_valued_as_regression(tmp_path):
    # QA 57: scikit-learn's diabetes target (214 whole numbers on 442 rows, 84 of them once) failed every command
    # with "84 classes with a single row" unless --task regression was given
    from sklearn.datasets import load_diabetes
    from typer.testing import CliRunner

    from dvclean.cli import app

    bunch = load_diabetes(as_frame=True)
    path = tmp_path / "diabetes.csv"
    bunch.frame.to_csv(path, index=False)
    res = CliRunner().invoke(app, ["score", str(path), "--label", "target", "-o", str(tmp_path / "s.parquet"),
                                   "--json", "-q"])
    assert res.exit_code == 0, res.output
    import json

    doc = json.loads(res.stdout)
    assert doc["task"]["name"] == "regression" and "84 of them in a single row" in doc["task"]["reason"], doc["task"]
    # as classes it is refused as before, naming the way out
    res = CliRunner().invoke(app, ["score", str(path), "--label", "target", "--task", "classification",
                                   "-o", str(tmp_path / "c.parquet")])
    assert res.exit_code == 2 and "84 classes with a single row" in res.stderr, res.output


def test_dominant_row_note_does_not_advise_dropping_a_target_the_other_rows_predict():
    # QA 57: statecrime's District of Columbia (violent-crime rate predicted within robust z 0.64) was "row ...'s
    # target holds 34% of the rows' total absolute value ... fix or drop that row": the 34% is its data value's share
    import dvclean
    from dvclean.config import ScoreConfig

    rng = np.random.default_rng(0)
    x, x2 = rng.normal(size=200), rng.normal(size=200)
    x[7] = 12.0  # (an extreme row whose target follows the others' relation)
    y = 2 * x + 0.5 * x2 + rng.normal(0, 0.3, 200)
    r = dvclean.score(pl.DataFrame({"x": x, "x2": x2, "t": y}), label="t", config=ScoreConfig(task="regression"))
    assert not r.frame.get_column("is_mislabeled")[7]
    (note,) = [n for n in r.summary["notes"] if "squared-error utility" in n]
    assert note.startswith("row 7's data value holds ") and "standard deviations from the mean target" in note, note
    assert "so it may well be right" in note and "fix or drop" not in note, note


def test_one_flag_and_one_hard_row_are_spelt_in_the_singular(tmp_path):
    # QA 57: "flagged: 1 outlying targets", the report's "1 outlying targets", check's "(1 rows here) ... one below
    # 1 rows always fails"
    from typer.testing import CliRunner

    import dvclean
    from dvclean.check import _hard_count_note
    from dvclean.cli import app
    from dvclean.config import FlagPolicy, ScoreConfig
    from dvclean.report import build_report, render_html

    rng = np.random.default_rng(3)
    x = rng.normal(size=60)
    y = 3 * x + rng.normal(0, 0.2, 60)
    y[11] += 40.0  # (one typo: the one outlying target)
    frame = pl.DataFrame({"x": x, "x2": rng.normal(size=60), "t": y})
    r = dvclean.score(frame, label="t", config=ScoreConfig(task="regression", flags=FlagPolicy(hard_fraction=0.02)))
    assert int(r.frame.get_column("is_mislabeled").sum()) == 1 and int(r.frame.get_column("is_hard").sum()) == 1
    note = _hard_count_note(r, 60)
    assert "(1 row here)" in note and "one below 1 row always fails" in note, note
    html = render_html(build_report(r))
    assert "1 outlying target (" in html and "1 outlying targets" not in html
    path = tmp_path / "t.csv"
    frame.write_csv(path)
    res = CliRunner().invoke(app, ["score", str(path), "-y", "t", "--task", "regression", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0 and "flagged: 1 outlying target (" in res.output, res.output


def test_data_oob_max_samples_equals_a_loop_over_smaller_bootstrap_samples():
    # the flag rule's forest may draw fewer rows per tree than the data has (MislabelConfig.oob_max_samples)
    from dvclean.valuation.oob import bag_seeds, bootstrap_indices, data_oob, make_tree

    rng = np.random.default_rng(5)
    n, m, b = 120, 40, 20
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 1, (n, 4)) + 2.0 * np.eye(3, 4)[y]
    out = data_oob(x, y, n_classes=3, n_estimators=b, seed=3, max_samples=m)
    total, count, votes = np.zeros(n), np.zeros(n), np.zeros((n, 3))
    for s in bag_seeds(3, b):
        bag = bootstrap_indices(n, s, m)
        assert bag.size == m
        tree = make_tree("classification", "sqrt", s).fit(x[bag].astype(np.float32), y[bag])
        oob = np.setdiff1d(np.arange(n), bag)
        pred = tree.predict(x[oob].astype(np.float32)).astype(int)
        total[oob] += pred == y[oob]
        count[oob] += 1
        votes[oob, pred] += 1
    np.testing.assert_array_equal(out.n_oob, count)
    np.testing.assert_allclose(out.values, total / count)
    np.testing.assert_allclose(out.votes, votes / count[:, None])
    assert abs(count.mean() / b - (1 - 1 / n) ** m) < 0.05  # (each row out of bag in (1 - 1/n)^m of the trees: 72%)
    # regression, and a cap at or above the row count is the plain bootstrap, bit for bit
    t = x[:, 0] * 2 + rng.normal(0, 0.1, n)
    a = data_oob(x, t, n_estimators=b, seed=3, task="regression", max_samples=m)
    assert np.isfinite(a.prediction).all() and abs(a.n_oob.mean() / b - (1 - 1 / n) ** m) < 0.05
    for task, target in (("classification", y), ("regression", t)):
        plain = data_oob(x, target, n_estimators=b, seed=3, task=task)
        capped = data_oob(x, target, n_estimators=b, seed=3, task=task, max_samples=n)
        np.testing.assert_array_equal(plain.values, capped.values)
        np.testing.assert_array_equal(plain.n_oob, capped.n_oob)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True, "10"])
def test_data_oob_refuses_a_bad_max_samples(bad):
    from dvclean.errors import ValuationError
    from dvclean.valuation.oob import data_oob

    with pytest.raises(ValuationError, match="max_samples must be None or an int >= 1"):
        data_oob(np.zeros((10, 2)), np.arange(10) % 2, n_estimators=5, max_samples=bad)


def _codes_with_a_stray_value(tmp_path, stray: bool):
    """60 codes x 5 rows on random features (plus one row of a code no other row has, ``stray``)."""
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(60), 5)
    if stray:
        y = np.r_[y, 999]
    x = rng.normal(size=(y.size, 4))
    path = tmp_path / ("v2.csv" if stray else "v1.csv")
    pl.DataFrame({f"x{i}": x[:, i] for i in range(4)}).with_columns(pl.Series("y", y)).write_csv(path)
    return path


def test_baseline_of_another_task_names_auto_detection_and_keeps_the_baseline_path(tmp_path):
    # QA 57: a new row with a code no other row has turned --task auto to regression; the refusal said "(--task)"
    # and its re-create command lost -y and the baseline's folder
    from typer.testing import CliRunner

    from dvclean.cli import app

    runner = CliRunner()
    (tmp_path / "out").mkdir()
    base = tmp_path / "out" / "base.json"
    res = runner.invoke(app, ["check", str(_codes_with_a_stray_value(tmp_path, False)), "-y", "y", "--json",
                              "--exit-zero", "-q"])
    assert res.exit_code == 0, res.output
    base.write_text(res.stdout)
    res = runner.invoke(app, ["check", str(_codes_with_a_stray_value(tmp_path, True)), "-y", "y", "--baseline",
                              str(base), "--max-new-mislabeled", "5"])
    assert res.exit_code == 2, res.output
    err = " ".join(res.stderr.split())
    assert "--task auto values it as a regression label this time (" in err, err
    assert "999 at row 300 needs a second row or removal" in err, err
    assert f"--label y --task regression --json --exit-zero > {base}.tmp && mv {base}.tmp {base}" in err, err


def test_dominant_row_note_on_a_target_the_features_do_not_predict_asks_for_a_look(tmp_path):
    # QA 57: the note said "fix or drop that row" while another note said the features do not predict the target
    # (and fix refuses to drop without --force)
    import dvclean

    r = dvclean.score(str(_codes_with_a_stray_value(tmp_path, True)), label="y")
    assert r.table.task == "regression"
    (note,) = [n for n in r.summary["notes"] if "squared-error utility" in n]
    assert note.startswith("row 300's data value holds ") and "check that row by hand" in note, note
    assert "fix or drop" not in note, note


def test_augment_calls_a_whole_number_target_a_numeric_target(tmp_path):
    # QA 57: augment opened with "84 classes with a single row ... fix those labels" on diabetes' target
    from sklearn.datasets import load_diabetes
    from typer.testing import CliRunner

    from dvclean.cli import app

    frame = load_diabetes(as_frame=True).frame
    frame["target"] = frame["target"].astype(int)
    path = tmp_path / "d.csv"
    frame.to_csv(path, index=False)
    res = CliRunner().invoke(app, ["augment", str(path), "-y", "target", "-o", str(tmp_path / "a.csv")])
    assert res.exit_code == 2, res.output
    err = " ".join(res.stderr.split())
    assert "label column 'target' is a numeric target (Int64 label with 214 distinct whole numbers, 84 of them" in err
    assert "bin it into classes first" in err and "fix those labels" not in err, err
    assert not (tmp_path / "a.csv").exists()
