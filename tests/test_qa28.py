"""Session 28: the neighbour search sized by distinct points, and the review findings of QA round 44."""

from __future__ import annotations

import numpy as np

from dvclean.valuation.knn import knn_shapley_exact, knn_shapley_on_points, nearest_neighbors


def test_auto_search_counts_distinct_points_not_rows() -> None:
    # 21,000 rows of a 3^8 lattice: 6,561 distinct points. By rows (4.4e8 pairs, 8 dimensions) `auto` took faiss
    # HNSW, whose approximate neighbours cut the lattice's ties; by distinct points it is the exact KD-tree search.
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(21_000, 8)).astype(np.float64)
    y = ((x[:, 0] + x[:, 1] + rng.normal(scale=0.8, size=x.shape[0])) > 2).astype(np.int64)
    _, used = nearest_neighbors(x, None, 5)
    assert used == "kdtree"
    values, _, used = knn_shapley_on_points(x, y, 5, 10)
    assert used == "kdtree"
    exact, _ = knn_shapley_exact(x, y, 5)
    # the truncated values' bound against exact (c_{K*} = 1/K*), and efficiency
    assert np.abs(values - exact).max() <= 0.1 + 1e-12
    assert abs(values.sum() - exact.sum()) < 1e-8


# --- dates with a time of day in the spellings spreadsheets export (month first, AM/PM, weekday) ---------------

import datetime as dt  # noqa: E402

import polars as pl  # noqa: E402
import pytest  # noqa: E402

from dvclean.table import (  # noqa: E402
    DATE_SAMPLE,
    FeatureEncoder,
    date_write_format,
    read_text_dates,
    text_date_format,
)


def _times(n: int, seed: int = 0) -> list[dt.datetime]:
    rng = np.random.default_rng(seed)
    base = dt.datetime(2021, 1, 1)
    return [base + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 525_600, n)]


@pytest.mark.parametrize("fmt", ["%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%-m/%-d/%Y %-I:%M:%S %p",
                                 "%Y-%m-%d %I:%M %p", "%b %d, %Y %I:%M %p", "%a, %d %b %Y %H:%M:%S",
                                 "%d.%m.%Y %I:%M %p", "%m/%d/%y %H:%M:%S"])
def test_text_datetimes_read_to_the_minute(fmt: str) -> None:
    # these stayed text (a distinct value in every row: the column was ignored); month-first datetimes above all,
    # as the CSV reader types day-first ones only
    times = _times(300)
    col = pl.Series("when", [t.strftime(fmt) for t in times])
    found = text_date_format(col)
    assert found == fmt.replace("%-", "%")
    assert read_text_dates(col, found).to_list() == times
    # written back (augment's synthetic rows) in the column's own spelling, and read again
    back = pl.Series(times).dt.strftime(date_write_format(col, found))
    assert back.to_list() == col.to_list()


def test_am_pm_cells_without_a_time_and_twelve_o_clock() -> None:
    col = pl.Series("when", ["7/5/2021 12:00 AM", "7/5/2021 12:30 PM", "12/31/2021 1:05 pm", "7/6/2021", "13/1/2021 1:00 PM"]
                    + [f"{m}/{d}/2021 {h}:15 AM" for m in range(1, 13) for d in (13, 20) for h in (1, 11)])
    fmt = text_date_format(col)
    assert fmt == "%m/%d/%Y %I:%M %p"
    read = read_text_dates(col, fmt).to_list()
    assert read[:5] == [dt.datetime(2021, 7, 5, 0, 0), dt.datetime(2021, 7, 5, 12, 30), dt.datetime(2021, 12, 31, 13, 5),
                        dt.datetime(2021, 7, 6), None]  # a date alone is midnight; month 13: missing


def test_day_first_am_pm_that_reads_both_ways_gets_the_note(tmp_path) -> None:
    import dvclean

    rng = np.random.default_rng(1)
    n = 120
    cells = [f"{d:02d}/{m:02d}/2021 {h}:{mi:02d} {ap}" for d, m, h, mi, ap in
             zip(rng.integers(1, 13, n), rng.integers(1, 13, n), rng.integers(1, 13, n), rng.integers(0, 60, n),
                 rng.choice(["AM", "PM"], n), strict=True)]
    frame = pl.DataFrame({"when": cells, "x": rng.normal(size=n), "y": rng.integers(0, 2, n)})
    path = tmp_path / "d.csv"
    frame.write_csv(path)
    notes = " | ".join(dvclean.score(str(path), label="y").summary["notes"])
    assert "holds dates written DD/MM/YYYY hh:mm AM/PM" in notes
    assert "reads both as DD/MM/YYYY hh:mm AM/PM and as MM/DD/YYYY hh:mm AM/PM" in notes


def test_long_column_tries_formats_on_a_sample_first() -> None:
    # 3% of the cells in another spelling, far past the sample size: the same format, the same cells read
    times = _times(5 * DATE_SAMPLE, seed=2)
    cells = [t.strftime("%m/%d/%Y %I:%M %p") for t in times]
    for i in range(0, len(cells), 33):
        cells[i] = times[i].strftime("%Y-%m-%d")
    col = pl.Series("when", cells)
    assert text_date_format(col) == "%m/%d/%Y %I:%M %p"
    read = read_text_dates(col, "%m/%d/%Y %I:%M %p")
    assert read.null_count() == len(range(0, len(cells), 33))
    enc = FeatureEncoder().fit(pl.DataFrame({"when": col}), ["when"])
    assert enc.plans_[0].kind == "temporal" and enc.plans_[0].params["format"] == "%m/%d/%Y %I:%M %p"


def test_nearly_distinct_text_column_is_not_a_feature() -> None:
    # names or ids with one value written twice: the frequency code was constant but for those two rows, which it
    # put 12 standard deviations from all others (and so far from every neighbour)
    import dvclean

    rng = np.random.default_rng(0)
    n = 300
    names = [f"customer {i}" for i in range(n)]
    names[6] = names[5]
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + rng.normal(scale=0.5, size=n) > 0).astype(np.int64)
    frame = pl.DataFrame({"name": names, "a": x[:, 0], "b": x[:, 1], "y": y})
    with_name = dvclean.score(frame, label="y")
    without = dvclean.score(frame.drop("name"), label="y")
    assert ("name (a value no other row holds in 298 of 300 rows: its frequency code would only tell the few rows "
            "that share one)") in " ".join(with_name.summary["notes"])
    assert with_name.summary["features"]["ignored"] == ["name"]
    np.testing.assert_array_equal(with_name.frame["value"].to_numpy(), without.frame["value"].to_numpy())
    # a category with repeated values is still one
    cities = rng.choice([f"city {i}" for i in range(40)], n).tolist()
    kept = dvclean.score(frame.with_columns(pl.Series("name", cities)), label="y")
    assert kept.summary["features"]["ignored"] == []


# --- QA round 44 (helpers 154, 155) ----------------------------------------------------------------------------

from typer.testing import CliRunner  # noqa: E402

from dvclean.cli import app  # noqa: E402

runner = CliRunner()


def _diabetes(tmp_path, name: str, transform) -> str:
    from sklearn.datasets import load_diabetes

    data = load_diabetes(as_frame=True).frame
    frame = pl.from_pandas(data).with_columns(transform(pl.col("target")).alias("target"))
    path = tmp_path / name
    frame.write_csv(path)
    return str(path)


def test_regression_flags_and_values_do_not_depend_on_the_target_units(tmp_path):
    # the target in other units standardised to values 1 ulp apart, and the OOB forest's regression trees parted
    # exactly equal split gains one way or the other: 9 of 80 flags and the target_z moved with hours -> minutes
    import dvclean
    from dvclean.config import ScoreConfig

    runs = [dvclean.score(_diabetes(tmp_path, f"{i}.csv", f), label="target", config=ScoreConfig(task="regression", seed=1))
            for i, f in enumerate([lambda t: t.cast(pl.Float64), lambda t: t * 60.0, lambda t: t + 273.15])]
    base = runs[0].frame
    for other in runs[1:]:
        for col in ("is_mislabeled", "is_hard", "is_conflicting_duplicate"):
            np.testing.assert_array_equal(base[col].to_numpy(), other.frame[col].to_numpy(), err_msg=col)
        for col in ("value", "mislabel_score", "target_z"):  # (the targets standardise a few ulps apart)
            np.testing.assert_allclose(base[col].to_numpy(), other.frame[col].to_numpy(), rtol=0, atol=1e-9, err_msg=col)


def test_on_target_grid_is_exact_and_keeps_far_targets():
    from dvclean.table import TARGET_STEP, on_target_grid

    z = np.array([0.1, -3.3, 1e-12, 2.0**30 + 0.5])
    out = on_target_grid(z)
    assert np.all(np.abs(out[:3] - z[:3]) <= TARGET_STEP / 2) and out[3] == z[3]
    np.testing.assert_array_equal(on_target_grid(out), out)  # on the grid already


def test_regression_conflicting_copies_of_pure_noise_are_not_conflicts():
    # with three copies per row a third of the distances to the group's median were 0 (the median copy's), so the
    # robust sd was far too small: 8.8% of the copies of pure measurement noise were "conflicting"
    from dvclean.check import conflicting_duplicate_rows

    rng = np.random.default_rng(0)
    for g in (2, 3, 4, 5, 8):
        x = np.repeat(np.arange(3000 // g), g)
        y = rng.normal(size=x.size)
        rows = conflicting_duplicate_rows(pl.DataFrame({"x": x, "y": y}), ["x"], "y", task="regression")
        assert rows.size <= 0.01 * x.size, (g, rows.size)
        bad = np.arange(0, x.size, 15 * g)  # one copy of every fifteenth group 8 sd off
        y[bad] += 8.0
        rows = conflicting_duplicate_rows(pl.DataFrame({"x": x, "y": y}), ["x"], "y", task="regression")
        assert np.isin(bad, rows).mean() >= 0.9, g


def test_median_deviation_table_matches_a_simulation():
    from dvclean.check import _median_deviation_sd

    rng = np.random.default_rng(5)
    for g in (2, 3, 4, 7, 12, 30, 45):
        y = rng.normal(size=(400_000 // g, g))
        sim = np.sqrt(((y - np.median(y, axis=1, keepdims=True)) ** 2).mean())
        assert abs(_median_deviation_sd(np.array([g]))[0] - sim) < 0.01, g


def test_regression_rule_with_expected_noise_states_no_z_cutoff():
    import dvclean

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "t": x[:, 0] * 2 + rng.normal(scale=0.3, size=200)})
    from dvclean.config import MislabelConfig, ScoreConfig

    config = ScoreConfig(task="regression", mislabel=MislabelConfig(rule="knn", expected_noise=0.2))
    r = dvclean.score(frame, label="t", config=config)
    rule = r.summary["flags"]["rule"]
    assert "> 3.5" not in rule and rule.endswith("(top 0.2)"), rule
    assert int(r.frame["is_mislabeled"].sum()) == 40


def _noisy_wine(path, seed: int = 0) -> None:
    from sklearn.datasets import load_wine

    d = pl.from_pandas(load_wine(as_frame=True).frame.rename(columns={"target": "y"}))
    y = d["y"].to_numpy().copy()
    idx = np.random.default_rng(seed).choice(len(y), len(y) // 10, replace=False)
    y[idx] = (y[idx] + 1) % 3
    d.with_columns(pl.Series("y", y)).with_row_index("rid").write_csv(path)


def test_github_errors_are_shared_so_every_failing_file_has_one(tmp_path):
    # the first two files' five failed checks each took the step's 10 errors, and the third file, failing as well,
    # showed only warnings in GitHub's annotation panel
    files = []
    for i, name in enumerate("abc"):
        _noisy_wine(tmp_path / f"{name}.csv", seed=i)
        files.append(str(tmp_path / f"{name}.csv"))
    r = runner.invoke(app, ["check", *files, "-y", "y", "--id", "rid", "-m", "knn", "--max-mislabeled", "1",
                            "--max-hard", "1", "--max-mislabeled-per-class", "1", "--format", "github"])
    assert r.exit_code == 1, r.output
    errors = [line for line in r.output.splitlines() if line.startswith("::error ")]
    assert len(errors) <= 10
    for f in files:
        assert any(f"file={f}," in line for line in errors), f


def test_check_json_names_the_rule_that_made_the_flags(tmp_path):
    import json

    _noisy_wine(tmp_path / "w.csv")
    r = runner.invoke(app, ["check", str(tmp_path / "w.csv"), "-y", "y", "--id", "rid", "--mislabel-max-rows", "100",
                            "--max-mislabeled", "1", "--json"])
    doc = json.loads(r.stdout)
    assert doc["config"]["mislabel"]["rule"] == "consensus" and doc["summary"]["rule"] == "knn"


def test_fix_takes_the_default_hard_frac_and_says_what_another_one_changes(tmp_path):
    _noisy_wine(tmp_path / "w.csv")
    ok = runner.invoke(app, ["fix", str(tmp_path / "w.csv"), "-y", "y", "--id", "rid", "--hard-frac", "0.1",
                             "-o", str(tmp_path / "f.csv"), "-q"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["fix", str(tmp_path / "w.csv"), "-y", "y", "--id", "rid", "--hard-frac", "0.2",
                              "-o", str(tmp_path / "g.csv"), "-q"])
    assert bad.exit_code == 2
    text = " ".join(bad.output.split())
    assert "--hard-frac changes which rows are flagged hard" in text and "changes the values" not in text


@pytest.mark.parametrize(("cells", "expect"), [
    (lambda v: f"USD {v:,.2f}", "decorated"),
    (lambda v: f"{v:,.2f} USD", "decorated"),
    (lambda v: f"EUR {v:,.2f}".replace(",", "_").replace(".", ",").replace("_", "."), "decimal_comma"),
    (lambda v: f"CHF {v:,.2f}".replace(",", "'"), "decorated"),
    (lambda v: f"{v:.2f} USD", "unit"),  # numbers with one unit, as before
])
def test_currency_codes_before_or_after_an_amount(cells, expect):
    # USD 1,324.05 was a text category, near-distinct (and so now ignored as an identifier): it is the amount
    rng = np.random.default_rng(3)
    v = rng.normal(1000, 600, 300)
    enc = FeatureEncoder().fit(pl.DataFrame({"c": [cells(a) for a in v]}), ["c"])
    (plan,) = enc.plans_
    assert plan.kind == "numeric" and plan.params.get(expect), plan.params
    x = enc.transform(pl.DataFrame({"c": [cells(a) for a in v]}))[:, 0]
    assert np.corrcoef(x, np.round(v, 2))[0, 1] > 1 - 1e-9
    # a --valid file that writes the code where the data wrote the sign reads the same numbers
    if expect == "decorated" and cells(1.0).startswith("USD"):
        same = enc.transform(pl.DataFrame({"c": [f"${a:,.2f}" for a in v]}))[:, 0]
        np.testing.assert_allclose(same, x)


def test_words_of_three_capitals_before_numbers_stay_text():
    # an invoice number is no amount: only currency codes are read as signs
    enc = FeatureEncoder().fit(pl.DataFrame({"c": [f"INV {10000 + i}" for i in range(200)] + ["INV 10000"] * 2}), ["c"])
    assert not enc.plans_ or enc.plans_[0].kind != "numeric"


# --- QA round 45 (helpers 156, 157) ----------------------------------------------------------------------------


def _plan_of(cells: list) -> tuple[str | None, dict]:
    enc = FeatureEncoder().fit(pl.DataFrame({"c": cells}), ["c"])
    kept = [p for p in enc.plans_ if p.name not in enc.dropped_]
    return (kept[0].kind, kept[0].params) if kept else (None, {})


def test_several_currencies_in_one_column_stay_text():
    n = 300
    mixed = [f"{100 + i}.50 USD" if i % 3 == 0 else f"{100 + i}.50 EUR" if i % 3 == 1 else f"{100 + i * 10} JPY"
             for i in range(n)]
    assert _plan_of(mixed)[0] != "numeric"
    assert _plan_of([f"USD {100 + i}.50" if i % 2 else f"EUR {100 + i}.50" for i in range(n)])[0] != "numeric"


@pytest.mark.parametrize("make", [lambda i: f"CAD-{1000 + i}", lambda i: f"PEN{i:04d}", lambda i: f"PEN {i:04d}",
                                  lambda i: f"SAR.{i}"])
def test_identifiers_that_start_with_a_currency_code_are_not_amounts(make):
    assert _plan_of([make(i) for i in range(300)])[0] != "numeric"


def test_dollar_code_after_whole_thousands_reads_as_thousands():
    rng = np.random.default_rng(0)
    v = rng.integers(1, 90, 300) * 1000
    kind, params = _plan_of([f"{a:,} USD" for a in v])
    assert kind == "numeric" and params.get("decorated")


def test_sparse_or_placeholder_text_columns_are_kept():
    # comments on the rows of one class only: the column tells them apart (its missing indicator), one repeated
    # comment or not; ids with UNKNOWN in 5% of the rows: UNKNOWN is a group, not a stray repeat
    comments = [f"comment {i}" if i % 2 else None for i in range(400)]
    comments[3] = comments[1]
    assert _plan_of(comments)[0] == "frequency"
    ids = [f"id{i}" for i in range(380)] + ["UNKNOWN"] * 20
    assert _plan_of(ids)[0] == "frequency"


def test_currency_unit_column_reads_a_valid_file_spelled_with_the_code_before_or_the_sign():
    rng = np.random.default_rng(1)
    v = rng.normal(1500, 400, 300).round(2)
    enc = FeatureEncoder().fit(pl.DataFrame({"c": [f"{a:.2f} USD" for a in v]}), ["c"])
    assert enc.plans_[0].params.get("unit") == "USD"
    ref = enc.transform(pl.DataFrame({"c": [f"{a:.2f} USD" for a in v[:50]]}))[:, 0]
    for spell in (lambda a: f"USD {a:,.2f}", lambda a: f"${a:,.2f}"):
        got = enc.transform(pl.DataFrame({"c": [spell(a) for a in v[:50]]}))[:, 0]
        np.testing.assert_allclose(got, ref)


def test_stray_cells_at_a_regular_interval_do_not_hide_the_format():
    # 100,000 cells, "n/a" in every 50th: an every-50th-cell sample of 2,000 saw only those
    times = _times(100_000, seed=4)
    cells = ["n/a" if i % 50 == 0 else t.strftime("%-m/%-d/%Y %-I:%M %p") for i, t in enumerate(times)]
    assert text_date_format(pl.Series("when", cells)) == "%m/%d/%Y %I:%M %p"


@pytest.mark.parametrize(("fmt", "expect"), [("%m/%d/%Y %I:%M%p", "%m/%d/%Y %I:%M %p"),
                                             ("%A, %B %d, %Y", "%A, %B %d, %Y"), ("%A, %d %B %Y", "%A, %d %B %Y"),
                                             ("%d-%b-%Y", "%d-%b-%Y"), ("%d-%b-%y", "%d-%b-%y")])
def test_more_spreadsheet_date_spellings(fmt, expect):
    times = [t.replace(hour=t.hour if "%I" in fmt else 0, minute=t.minute if "%M" in fmt else 0) for t in _times(300, 5)]
    col = pl.Series("when", [t.strftime(fmt) for t in times])
    found = text_date_format(col)
    assert found == expect
    read = read_text_dates(col, found).to_list()
    assert [r if isinstance(r, dt.datetime) else dt.datetime.combine(r, dt.time()) for r in read] == times
    assert pl.Series(times).dt.strftime(date_write_format(col, found)).to_list() == col.to_list()


def test_valid_dates_that_read_both_ways_are_read_month_first_as_the_data_writes_them(tmp_path):
    # data written 7/5/2021 1:05 PM (month first), a validation file of one week of July written 7/4/2021 07:13: its
    # every date reads both ways, and it was read day first (seven months for one week, no note)
    import dvclean
    from dvclean.io import read_frame
    from dvclean.table import make_table, prepare

    rng = np.random.default_rng(11)
    times = _times(300, seed=6)
    x = rng.normal(size=300)
    pl.DataFrame({"ts": [t.strftime("%-m/%-d/%Y %-I:%M %p") for t in times], "x": x, "y": (x > 0).astype(int)}
                 ).write_csv(tmp_path / "d.csv")
    week = [dt.datetime(2021, 7, 1) + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 7 * 1440, 60)]
    xv = rng.normal(size=60)
    pl.DataFrame({"ts": [t.strftime("%-m/%-d/%Y %H:%M") for t in week], "x": xv, "y": (xv > 0).astype(int)}
                 ).write_csv(tmp_path / "v.csv")

    def months(data, enc) -> int:
        (i,) = [i for i, name in enumerate(enc.feature_names_) if name.endswith("month")]
        return int(np.unique(data.x_valid[:, i]).size)

    r = dvclean.score(str(tmp_path / "d.csv"), label="y", valid=str(tmp_path / "v.csv"))  # (read as text)
    d, e, _ = prepare(make_table(read_frame(str(tmp_path / "d.csv"))[0], label="y"),
                      valid=make_table(pl.read_csv(tmp_path / "v.csv", schema_overrides={"ts": pl.String}), label="y"))
    assert months(d, e) == 1
    np.testing.assert_allclose(np.sort(r.data.x_valid, axis=0), np.sort(d.x_valid, axis=0))
    # the validation dates typed by the reader (day first, as it types a date that reads both ways): swapped, noted
    vframe, vinfo = read_frame(str(tmp_path / "v.csv"))
    assert vframe.schema["ts"] == pl.Datetime("us")
    d, e, _ = prepare(make_table(read_frame(str(tmp_path / "d.csv"))[0], label="y"),
                      valid=make_table(vframe, label="y", source=vinfo))
    assert months(d, e) == 1
    assert any("of the validation file: every date reads both day first and month first" in n for n in d.notes)


def test_fix_does_not_run_a_configured_method_that_cannot_change_its_flags(tmp_path, monkeypatch):
    _noisy_wine(tmp_path / "w.csv")
    (tmp_path / "pyproject.toml").write_text('[tool.dvclean]\n[tool.dvclean.fix]\nmethod = "tmc"\n')
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["fix", "w.csv", "-y", "y", "--id", "rid", "-o", "f.csv", "--json"])
    assert r.exit_code == 0, r.output
    import json

    doc = json.loads(r.stdout)
    assert any("method tmc is not run" in n for n in doc["notes"])
    assert doc["rule"] == "consensus"  # (the mislabel flags, as without the method)


def test_regression_conflicts_do_not_depend_on_the_target_magnitude():
    from dvclean.check import conflicting_duplicate_rows

    rng = np.random.default_rng(0)
    x = np.repeat(np.arange(500), 3)
    base = 100 + rng.normal(size=x.size)
    base[0] += 20
    base[30] -= 15
    ref = conflicting_duplicate_rows(pl.DataFrame({"x": x, "y": base}), ["x"], "y", task="regression").tolist()
    assert 0 in ref and 30 in ref
    for s in (1e300, 9e305, 1e-310):
        got = conflicting_duplicate_rows(pl.DataFrame({"x": x, "y": base * s}), ["x"], "y", task="regression")
        assert got.tolist() == ref, s
