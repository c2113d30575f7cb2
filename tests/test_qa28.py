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


# --- QA round 46 (helper 158) ----------------------------------------------------------------------------------


def test_valid_dates_with_the_year_first_or_day_first_are_not_swapped():
    # a year-first format says nothing of day-month order: ISO validation dates against day-first data came out
    # as 7 May for 2021-07-05, and German dates against ISO data were read month first
    weekly = [dt.date(2021, 1, 1) + dt.timedelta(days=7 * i) for i in range(60)]
    enc = FeatureEncoder().fit(pl.DataFrame({"d": [d.strftime("%d/%m/%Y") for d in weekly]}), ["d"])
    i = enc.feature_names_.index("d.month")
    iso = enc.transform(pl.DataFrame({"d": ["2021-07-05", "2021-03-01", "2021-12-10"]}))[:, i]
    own = enc.transform(pl.DataFrame({"d": ["05/07/2021", "01/03/2021", "10/12/2021"]}))[:, i]
    np.testing.assert_allclose(iso, own)
    enc = FeatureEncoder().fit(pl.DataFrame({"d": [d.isoformat() for d in weekly] + ["unknown"]}), ["d"])
    i = enc.feature_names_.index("d.month")
    german = enc.transform(pl.DataFrame({"d": ["05.07.2021", "01.03.2021", "10.12.2021", "11.02.2021"]}))[:, i]
    iso = enc.transform(pl.DataFrame({"d": ["2021-07-05", "2021-03-01", "2021-12-10", "2021-02-11"]}))[:, i]
    np.testing.assert_allclose(german, iso)


def test_whole_euros_with_a_thousands_dot_are_not_read_as_decimals():
    rng = np.random.default_rng(2)
    cells = [f"EUR {v:,}".replace(",", ".") for v in rng.integers(100, 3000, 80)]  # EUR 792, EUR 1.578
    assert _plan_of(cells)[0] != "numeric"
    assert _plan_of([c.replace("EUR ", "") + " €" for c in cells])[0] != "numeric"
    assert _plan_of([f"EUR {v:.2f}" for v in rng.normal(1500, 300, 80)])[0] == "numeric"  # decimals: amounts


def test_single_digit_and_parenthesised_amounts_with_a_code():
    from dvclean.table import _codes_as_signs

    assert _codes_as_signs(pl.Series(["5 USD", "0 USD", "(USD 5.00)", "05 USD"])).to_list() == ["$5", "$0", "$(5.00)", "05 USD"]
    rng = np.random.default_rng(3)
    v = rng.normal(500, 300, 90).round(2)
    cells = [f"(USD {abs(a):,.2f})" if i % 3 == 0 else f"USD {a:,.2f}" for i, a in enumerate(v)]
    kind, params = _plan_of(cells)
    assert kind == "numeric" and params.get("decorated")


def test_valid_amounts_in_another_currency_are_missing():
    rng = np.random.default_rng(4)
    v = rng.normal(1500, 400, 200).round(2)
    enc = FeatureEncoder().fit(pl.DataFrame({"c": [f"${a:,.2f}" for a in v]}), ["c"])
    got = enc.transform(pl.DataFrame({"c": ["USD 5.00", "EUR 5.00", "5.00 GBP", "€5.00", "$5.00"]}))[:, 0]
    same = enc.transform(pl.DataFrame({"c": ["$5.00"] * 5}))[0, 0]
    missing = enc.transform(pl.DataFrame({"c": [None] * 5}, schema={"c": pl.String}))[0, 0]
    np.testing.assert_allclose(got, [same, missing, missing, missing, same])


def test_dates_are_written_back_in_the_column_s_case_and_padding():
    from dvclean.table import date_write_case

    col = pl.Series(["5JUL2021", "9AUG2021", "27NOV2020"])
    fmt = text_date_format(col)
    assert fmt == "%d%b%Y" and date_write_format(col, fmt) == "%-d%b%Y" and date_write_case(col) == "upper"
    assert date_write_case(pl.Series(["7/5/2021 1:05 pm"])) == "lower"


def test_codes_with_a_month_name_and_an_implausible_year_are_not_dates():
    rng = np.random.default_rng(5)
    months = ["JAN", "MAR", "JUN", "SEP"]
    codes = [f"{rng.integers(1, 29)}{months[i % 4]}{rng.integers(3000, 9999)}" for i in range(80)]
    assert text_date_format(pl.Series(codes)) is None


# --- QA round 47 (session 29: helpers 154-157, and a BLAS that adds products in another order) -----------------


def test_copies_of_a_point_are_at_distance_zero_whatever_the_blas_kernel():
    # |a|^2 + |b|^2 - 2 a.b of two copies of (0.6, 0.2) came out 1.1e-16 for one column and 0.0 for another (BLAS
    # adds a column's products in an order that depends on its place): copies were not tied, and ranked by rounding
    from dvclean.valuation.knn import _centered, _sq_dist

    rng = np.random.default_rng(81)
    for _ in range(30):
        d = int(rng.integers(1, 8))
        pts = np.round(rng.normal(size=(int(rng.integers(2, 20)), d)), 1) + rng.normal(0, 3, size=d)
        x = pts[rng.integers(0, pts.shape[0], 200)]
        xc, _ = _centered(x, None)
        dist = _sq_dist(xc, xc, (xc * xc).sum(axis=1))
        same = (x[:, None, :] == x[None, :, :]).all(axis=2)
        assert (dist[same] == 0).all()
        assert (dist[~same] > 0).all()


def test_the_centring_shift_keeps_whole_numbers_whole():
    from dvclean.valuation.knn import _centered

    x = np.random.default_rng(3).integers(0, 3, size=(300, 4)).astype(float) + 50.0
    xc, _ = _centered(x, None)
    assert np.abs(xc.mean(axis=0)).max() < 1.0 and (xc == np.round(xc)).all()  # moved, and by whole numbers


def _copies(groups: int, size: int, rng) -> tuple[np.ndarray, np.ndarray]:
    return np.repeat(np.arange(groups), size), rng.normal(size=groups * size) + np.repeat(np.arange(groups), size)


def test_one_group_of_exact_copies_does_not_make_every_noisy_pair_a_conflict():
    from dvclean.check import conflicting_duplicate_rows

    x, y = _copies(100, 2, np.random.default_rng(1))
    base = conflicting_duplicate_rows(pl.DataFrame({"x": x, "y": y}), ["x"], "y", task="regression")
    # 16 rows of a standard measured exactly 5.0: its 120 pairs outweighed the 100 noisy pairs, and every pair was
    # flagged (200 of 216)
    fx, fy = np.concatenate([x, np.full(16, 999)]), np.concatenate([y, np.full(16, 5.0)])
    got = conflicting_duplicate_rows(pl.DataFrame({"x": fx, "y": fy}), ["x"], "y", task="regression")
    assert len(got) <= len(base) + 2
    # most copies agreeing exactly still makes any difference a conflict
    fx, fy = np.concatenate([x[:20], np.repeat(np.arange(1000, 1060), 3)]), np.concatenate([y[:20], np.zeros(180)])
    fy[-1] = 1e-3
    got = conflicting_duplicate_rows(pl.DataFrame({"x": fx, "y": fy}), ["x"], "y", task="regression")
    assert 199 in got.tolist()


@pytest.mark.parametrize("size", [50, 200, 1000])
def test_the_noise_of_big_groups_is_not_overstated(size):
    from dvclean.check import _copy_noise_sd, conflicting_duplicate_rows

    rng = np.random.default_rng(size)
    groups = max(8, 16000 // size)
    x, y = _copies(groups, size, rng)
    t = (y - np.repeat(np.arange(groups), size)).reshape(groups, size)
    t.sort(axis=1)
    sigma = _copy_noise_sd(t.ravel(), np.full(groups, size), np.arange(groups) * size)
    assert 0.9 < sigma < 1.1  # (evenly spaced order statistics, extremes included: 1.14, 1.25, 1.28)
    planted = y.copy()
    first = np.arange(groups) * size
    planted[first] += 5.0  # 5 sd from the group: past the 3.5 sd cutoff wherever the group's size
    got = conflicting_duplicate_rows(pl.DataFrame({"x": x, "y": planted}), ["x"], "y", task="regression")
    assert np.isin(first, got).mean() >= 0.8
    flipped = conflicting_duplicate_rows(pl.DataFrame({"x": x[::-1], "y": planted[::-1]}), ["x"], "y", task="regression")
    assert sorted(x.size - 1 - flipped) == got.tolist()  # (the rows' order does not matter)
    for scaled in (planted * 60.0, planted * 1.8 + 32.0, planted * 1e-6):  # nor the target's units
        again = conflicting_duplicate_rows(pl.DataFrame({"x": x, "y": scaled}), ["x"], "y", task="regression")
        assert again.tolist() == got.tolist()


def test_valid_dates_with_a_month_name_are_read_whole_against_month_first_data():
    data = pl.DataFrame({"c": [f"{m}/{d}/2022" for m in range(1, 13) for d in (3, 14, 25)]})
    enc = FeatureEncoder().fit(data, ["c"])
    i = enc.feature_names_.index("c.days")
    valid = enc.transform(pl.DataFrame({"c": [f"{d:02d} Jan 2023" for d in range(1, 11)]}))[:, i]
    same = enc.transform(pl.DataFrame({"c": [f"1/{d}/2023" for d in range(1, 11)]}))[:, i]
    np.testing.assert_allclose(valid, same)  # (all ten were read as 1 January: 02 as a month, then Jan over it)


def test_dotted_valid_dates_are_day_first_against_month_first_data():
    data = pl.DataFrame({"c": [f"{m}/{d}/2022 {h}:05 PM" for m in range(1, 13) for d in (3, 14, 25) for h in (1, 9)]})
    enc = FeatureEncoder().fit(data, ["c"])
    i = enc.feature_names_.index("c.month")
    dotted = enc.transform(pl.DataFrame({"c": ["04.07.2021 07:13", "05.03.2021 13:05"]}))[:, i]
    us = enc.transform(pl.DataFrame({"c": ["7/4/2021 7:13 AM", "3/5/2021 1:05 PM"]}))[:, i]
    np.testing.assert_allclose(dotted, us)


def test_euro_amounts_with_the_code_after_and_a_thousands_dot_stay_text():
    rng = np.random.default_rng(5)
    cells = [f"{v:,} EUR".replace(",", ".") for v in rng.integers(100, 3000, 80)]  # 1.250 EUR beside 980 EUR
    assert _plan_of(cells)[0] != "numeric"  # (read as 1.25: a thousand times off)
    assert _plan_of([f"{v:.2f} EUR" for v in rng.normal(1500, 300, 80)])[0] == "numeric"


def test_an_amount_column_in_two_currencies_stays_text():
    rng = np.random.default_rng(2)
    yen = [f"JPY {v:,}" for v in rng.integers(100, 900_000, 10)] + [f"${v:,.2f}" for v in rng.uniform(1, 5000, 90)]
    assert _plan_of(yen)[0] != "numeric"
    paren = ["(EUR 1,234.50)", "(GBP 99.00)"] + [f"USD {v:,.2f}" for v in rng.uniform(1, 5000, 98)]
    assert _plan_of(paren)[0] != "numeric"


def test_open_ended_dates_of_year_9999_are_dates():
    rng = np.random.default_rng(0)
    cells = [(dt.date(2015, 1, 1) + dt.timedelta(days=int(d))).strftime("%m/%d/%Y") for d in rng.integers(0, 3000, 70)]
    kind, params = _plan_of(cells + ["12/31/9999"] * 30)
    assert kind == "temporal" and params.get("format") == "%m/%d/%Y"


def test_currency_amounts_a_unit_column_reads_are_not_named_as_missing():
    rng = np.random.default_rng(3)
    cells = [f"{v:.2f} USD" for v in rng.uniform(1, 999, 97)] + ["1,234.50 USD", "2,000.00 USD", "(15.00) USD"]
    frame = pl.DataFrame({"c": cells})
    enc = FeatureEncoder().fit(frame, ["c"])
    assert "c" not in enc.text_numbers_  # (the note said they would be missing; they are read)
    x = enc.transform(frame)
    assert x.shape[1] == 1 and np.isfinite(x).all()


def test_columns_without_a_currency_code_skip_the_code_rewrite():
    from dvclean.table import _codes_as_signs

    cells = pl.Series(["USA", "GBR", "1,234.50", "$5"] * 10)
    assert _codes_as_signs(cells) is cells  # (12 regular expressions over every cell: 2.4 s a million cells)


def test_new_floats_are_written_as_the_input_writes_the_column(tmp_path):
    # synthetic rows wrote 7.97e-05 in a column of 0.0000265 and 21.4 in a column of 32.14 and 12.40
    from dvclean.io import read_csv_text, read_frame, texts_like_input

    path = tmp_path / "f.csv"
    path.write_text("rate,price,n\n0.0000265,32.14,1\n0.0000563,12.40,\n0.0000100,NA,3\n")
    frame, info = read_frame(str(path), null_values=["NA"])
    new = pl.DataFrame({"rate": [7.97e-05, 0.0000563], "price": [21.4, -0.001], "n": [2, None]}, schema=frame.schema)
    rows = texts_like_input(new, frame, read_csv_text(path, info))
    assert rows[0][:2] == ["0.0000797", "21.40"] and rows[1][:2] == ["0.0000563", "0.00"]


def test_csv_header_problems_of_spreadsheet_exports_are_named(tmp_path):
    sep = tmp_path / "sep.csv"
    sep.write_bytes(b"sep=,\r\nf,g,label\r\n" + b"".join(b"%d,%d,%s\r\n" % (i, i % 3, b"ab"[i % 2:i % 2 + 1])
                                                       for i in range(8)))
    r = runner.invoke(app, ["score", str(sep), "-y", "label", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "separator line" in r.output and "delete that line" in r.output
    trail = tmp_path / "trail.csv"
    trail.write_bytes(b"f,g,label,,\r\n" + b"".join(b"%d,%d,%s,,\r\n" % (i, i % 3, b"ab"[i % 2:i % 2 + 1])
                                                    for i in range(8)))
    r = runner.invoke(app, ["score", str(trail), "-y", "label", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "ends in 2 columns without a name" in r.output and "duplicate" not in r.output
    pq = tmp_path / "p.parquet"
    pl.DataFrame({"f": [1, 2, 3, 4, 5, 6], "label": list("aabbab")}).write_parquet(pq)
    r = runner.invoke(app, ["score", str(pq), "-y", "label", "--input-format", "csv", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "is a Parquet file" in r.output and "--input-format parquet" in r.output


def test_markdown_class_table_shows_spaces_around_class_names(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    labels = np.where(x[:, 0] > 0, "<=50K", ">50K").astype(object)
    labels[:6] = " <=50K "  # (a class of its own: its spaces must show, or the table has two <=50K rows)
    labels[6:12] = " >50K "
    src = tmp_path / "s.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": labels.tolist()}).write_csv(src)
    r = runner.invoke(app, ["check", str(src), "-y", "y", "-m", "knn", "--format", "markdown"])
    assert r.exit_code == 0, r.output
    assert "| ' &lt;=50K ' |" in r.output and "| &lt;=50K |" in r.output


# --- QA round 48 (session 29's helpers 158-161, finished in session 30) -------------------------------------------


def test_big_groups_of_copies_weigh_no_more_than_sixteen_copies():
    from dvclean.check import conflicting_duplicate_rows

    rng = np.random.default_rng(48)
    x, y = _copies(1600, 2, rng)  # field samples measured twice, noise 1
    base = conflicting_duplicate_rows(pl.DataFrame({"x": x, "y": y}), ["x"], "y", task="regression")
    # three standards measured 3000 times each, precisely: their pairs set the noise (1e-3) and 2499 of the 3200
    # field copies were flagged
    std = np.repeat([-1, -2, -3], 3000)
    fx, fy = np.concatenate([x, std]), np.concatenate([y, 5.0 + rng.normal(scale=1e-3, size=std.size)])
    got = conflicting_duplicate_rows(pl.DataFrame({"x": fx, "y": fy}), ["x"], "y", task="regression")
    assert np.sum(got < x.size) <= len(base) + 5
    # 5000 rows with every feature at its default and targets all over: their spread hid a planted conflict
    fx, fy = np.concatenate([x, np.full(5000, -9)]), np.concatenate([y, rng.normal(scale=100.0, size=5000)])
    fy[0] += 8.0
    got = conflicting_duplicate_rows(pl.DataFrame({"x": fx, "y": fy}), ["x"], "y", task="regression")
    assert 0 in got.tolist() or 1 in got.tolist()


def test_conflicting_copies_do_not_depend_on_how_the_features_are_written():
    from dvclean.check import conflicting_duplicate_rows

    rng = np.random.default_rng(7)
    x, y = _copies(40, 60, rng)
    y[::60] += 4.2
    z = x * 3 % 7
    one = conflicting_duplicate_rows(pl.DataFrame({"x": x, "z": z, "y": y}), ["x", "z"], "y", task="regression")
    other = pl.DataFrame({"z": z.astype(float), "x": x.astype(str), "y": y})
    assert conflicting_duplicate_rows(other, ["z", "x"], "y", task="regression").tolist() == one.tolist()


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_points_closer_than_the_rounding_keep_their_distances(engine):
    # distances under the rounding bound of |a|^2 + |b|^2 - 2 a.b were set to 0: near-copies 3e-6 apart in 200
    # dimensions, or timestamps in seconds one apart, were tied with each other (values off by 0.04 from brute force)
    from dvclean.valuation.knn import _centered, _sq_dist, knn_shapley_exact
    from tests.test_knn_shapley import brute_values

    rng = np.random.default_rng(48)
    base = rng.normal(size=200) + 3000.0
    far = np.full(200, 1000.0)  # (far points: the centring shift leaves coordinates in the hundreds)
    x = np.vstack([base + 3e-6 * rng.normal(size=200), base + 1e-5 * rng.normal(size=200), base + 0.5,
                   base - 0.7, base + far, base - 1.3 * far])
    y = np.array([1, 0, 0, 1, 0, 1])
    q, yq = base[None, :], np.array([1])
    values, _ = knn_shapley_exact(x, y, k=2, x_valid=q, y_valid=yq, engine=engine)
    np.testing.assert_allclose(values, brute_values(x, y, 2, q, yq), atol=1e-9, rtol=0)
    xc, qc = _centered(x, q)
    np.testing.assert_allclose(_sq_dist(qc, xc, (xc * xc).sum(axis=1))[0, :2], ((x[:2] - base) ** 2).sum(axis=1),
                               rtol=1e-4)  # (the shift by a multiple of 256 rounds the coordinates' last bits)
    t = 1.7e9 + np.array([1.0, 3.0, 6.0, 10.0, -1.7e9, 1.5e9])[:, None] * np.array([[1.0, 1.0]])
    t[:, 1] += np.array([0.0, 2.0, 0.0, 5.0, 0.0, 0.0])
    yt = np.array([0, 1, 1, 0, 0, 1])
    q, yq = np.full((1, 2), 1.7e9), np.array([1])
    values, _ = knn_shapley_exact(t, yt, k=1, x_valid=q, y_valid=yq, engine=engine)
    np.testing.assert_allclose(values, brute_values(t, yt, 1, q, yq), atol=1e-9, rtol=0)


def test_spreadsheet_separator_lines_in_any_case_and_unnamed_columns_with_data(tmp_path):
    rows = b"".join(b"%d,%d,%s\r\n" % (i, i % 3, b"ab"[i % 2:i % 2 + 1]) for i in range(8))
    for first in (b"SEP=,", b"sep=, ", b"Sep=;"):
        src = tmp_path / "sep.csv"
        src.write_bytes(first + b"\r\nf,g,label\r\n" + rows)
        r = runner.invoke(app, ["score", str(src), "-y", "label", "-o", str(tmp_path / "o.csv")])
        assert r.exit_code == 2 and "separator line" in r.output, (first, r.output)
    named = tmp_path / "named.csv"  # (the last column holds data: it lacks a name, it is no trailing separator)
    named.write_bytes(b"f,g,label,\r\n" + b"".join(b"%d,%d,%s,%d\r\n" % (i, i % 3, b"ab"[i % 2:i % 2 + 1], i * 7)
                                                  for i in range(8)))
    r = runner.invoke(app, ["score", str(named), "-y", "label", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "column 4 of the header has no name" in r.output, r.output


def test_new_floats_are_written_in_the_columns_notation():
    from dvclean.io import float_style

    f = float_style(["4223.", "12."])  # a trailing point: the set of decimals was emptied and `2.0` came out
    assert (f(5.0), f(5.25), f(-0.0)) == ("5.", "5.25", "0.")
    f = float_style(["1.5E+005", "2.5E-003", "7.0E+000"])  # (repr wrote 1234.5 and 1e-07)
    assert (f(1234.5), f(1e-7), f(-0.0)) == ("1.2345E+003", "1.0E-007", "0.0E+000")
    f = float_style(["1e5", "2.5e-3"])
    assert (f(1234.5), f(2e-7)) == ("1.2345e3", "2e-7")
    assert float_style(["0.5", "-0.25"])(-0.0) == "0.0"
    f = float_style(["+1.5", "-2.25", "+0.5"])
    assert (f(3.0), f(-1.0)) == ("+3.0", "-1.0")
    f = float_style([".5", "-.25", "1.5"])
    assert (f(0.75), f(-0.5), f(2.0)) == (".75", "-.5", "2.0")
    assert float_style(["0.5", ".25"])(0.75) == "0.75"  # (a cell writes the 0: it stays)
    assert float_style(["1e-05", "0.5"]) is None


# --- QA round 49 ----------------------------------------------------------------------------------------------------


def test_labels_with_spaces_are_quoted_wherever_a_row_s_label_is_shown(tmp_path):
    # a row labelled 'yes ' (a class of its own) read "label yes, neighbours' label yes, mislabeled" in the terminal
    # table, the Markdown rows and the annotations: its spaces must show
    import re

    from dvclean.check import mislabel_evidence
    from dvclean.report.formats import label_text

    assert (label_text("yes"), label_text(" yes"), label_text(""), label_text(2.5)) == ("yes", "' yes'", "''", "2.5")
    assert mislabel_evidence({"label": "yes ", "neighbor_label": "yes", "given_label_prob": 0.1}) == (
        "label 'yes ' looks wrong: p('yes ')=0.10; most of its nearest neighbours say yes")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 2))
    labels = np.where(x[:, 0] + x[:, 1] > 0, "yes", "no").astype(object)
    labels[::16] = [v + " " for v in labels[::16]]
    src = tmp_path / "s.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": labels.tolist()}).write_csv(src)
    r = runner.invoke(app, ["score", str(src), "-y", "y", "-m", "knn", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    assert re.search(r"classes: .*'no ': \d+.*'yes ': \d+", r.output), r.output
    flagged = [line for line in r.output.splitlines() if line.endswith("mislabeled │")]
    assert flagged and all("│ 'yes ' │" in line or "│ 'no '  │" in line for line in flagged), flagged
    r = runner.invoke(app, ["check", str(src), "-y", "y", "-m", "knn", "--format", "markdown"])
    assert r.exit_code == 0, r.output
    row_lines = [line for line in r.output.splitlines() if line.endswith("| mislabeled |")]
    assert row_lines and all("| 'yes ' |" in line or "| 'no ' |" in line for line in row_lines), row_lines


def test_a_cut_json_document_is_named_without_a_doubled_word(tmp_path):
    # "Unterminated string starting at at line 1, column 21": the decoder's message already ends in "at"
    from dvclean.errors import InputError
    from dvclean.io import read_json_document

    cut = tmp_path / "cut.json"
    cut.write_text('{"schema_version":1,"flag')
    with pytest.raises(InputError, match=r"\(Unterminated string starting at line 1, column 21\)"):
        read_json_document(cut, "--baseline cut.json")


def test_empty_ids_are_not_also_named_as_repeated_ids(tmp_path):
    # "empty at rows 3, 7 ...; repeated values (rows 3, 7, 10, 11; None more than once)" hid the real repeat
    ids = [f"{i:04d}" for i in range(40)]
    ids[3] = ids[7] = None
    ids[11] = "0010"
    src = tmp_path / "ids.csv"
    pl.DataFrame({"id": ids, "f": [i % 7 for i in range(40)], "y": ["ab"[i % 2] for i in range(40)]}).write_csv(src)
    r = runner.invoke(app, ["score", str(src), "-y", "y", "--id", "id", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2
    assert "is empty at rows 3, 7; every row needs an id" in r.output
    assert "(rows 10, 11; the id '0010' more than once)" in r.output, r.output
    src.write_text(src.read_text() + "\n\n")  # (two blank lines at the end: rows 40 and 41, without ids)
    r = runner.invoke(app, ["score", str(src), "-y", "y", "--id", "id", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "blank lines?" in r.output and "None more than once" not in r.output, r.output


def test_a_sigterm_while_the_process_exits_is_reported_not_silent(tmp_path):
    # a SIGTERM after the command's handlers were put back (the default one) killed the finished process with 143 and
    # no word, though its outputs were complete; now it is recorded and reported as arriving after the run
    import subprocess
    import sys

    src = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(x[:, 0] > 0, "p", "q").tolist()}).write_csv(src)
    out = tmp_path / "o.csv"
    script = (
        "import os, signal, sys\n"
        "import dvclean.cli._output as o\n"
        "flush = o.flush_stdout\n"
        "def late():\n"
        "    os.kill(os.getpid(), signal.SIGTERM)  # (as the process leaves main: after the command returned)\n"
        "    flush()\n"
        "o.flush_stdout = late\n"
        "from dvclean.cli import main\n"
        f"sys.argv = ['dvclean', 'score', {str(src)!r}, '-y', 'y', '-m', 'knn', '-q', '-o', {str(out)!r}]\n"
        "main()\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert r.returncode == 143, (r.returncode, r.stderr)
    assert "terminated just after the run finished (exit 0); every output had already been written in full" in r.stderr
    assert out.is_file() and "Traceback" not in r.stderr


@pytest.mark.parametrize("action", ["mark", "drop"])
def test_a_typed_output_of_a_csv_keeps_zero_padded_codes(tmp_path, action):
    # `fix data.csv -o out.parquet` wrote the ZIP codes 00558 as the integers 558 (the CSV output kept them)
    rng = np.random.default_rng(0)
    a = rng.random(120)
    zips = [f"{z:05d}" for z in rng.integers(1, 999, 120)]
    y = np.where(a > 0.5, "p", "q")
    y[:8] = np.where(y[:8] == "p", "q", "p")  # (some flags: `drop` removes rows)
    src = tmp_path / "zip.csv"
    lines = [f"{z},{v:.3f},{i},{c}\n" for i, (z, v, c) in enumerate(zip(zips, a, y, strict=True))]
    src.write_text("zip,a,n,y\n" + "".join(lines))
    out = tmp_path / "fixed.parquet"
    r = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", action, "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    got = pl.read_parquet(out)
    assert got.schema["zip"] == pl.String and got.schema["n"] == pl.Int64  # (a column of plain integers stays one)
    assert got.get_column("zip").to_list() == [zips[i] for i in got.get_column("n").to_list()]
    if action == "drop":
        assert got.height < 120


def test_the_report_shows_the_augmentation_s_notes_and_refuses_another_label(tmp_path):
    # the HTML showed the three-arm numbers without the evaluation's note that the holdout overlaps the data, and
    # attached the augmentation of another label column to the scores of `y`
    import dvclean
    from dvclean.errors import DataValidationError
    from dvclean.report import build_report, render_html

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(x[:, 0] > 0, "p", "q").tolist()})
    r = dvclean.score(df, label="y", config=dvclean.ScoreConfig(methods=("knn",)))
    arm = {"rows": 120, "auc": {"mean": 0.91, "ci95": 0.02}}
    doc = {
        "command": "augment", "label": "y",
        "input": {"path": "d.csv", "format": "csv", "sha256": "ab12" * 16, "rows": 120, "columns": 3},
        "target": {"spec": "hard", "rows": 12, "fraction_of_labelled": 0.1, "class_mix": {"p": 5, "q": 7}},
        "quality": {"score": 0.8}, "notes": ["column 'email' has a distinct value in 12 of 12 training rows"],
        "evaluation": {"primary_metric": "auc", "arms": {"baseline": arm},
                       "notes": ["--holdout: 30 of its 60 labelled rows also appear in the data; optimistic"]},
    }
    html = render_html(build_report(r, augmentation=doc))
    assert "30 of its 60 labelled rows also appear in the data" in html and "distinct value in 12 of 12" in html
    with pytest.raises(DataValidationError, match="for label column 'city'.* are for label column 'y'"):
        build_report(r, augmentation={**doc, "label": "city"})


def test_augment_names_both_flags_for_a_nested_column(tmp_path):
    pytest.importorskip("sdv", reason="augmentation needs the optional extra: pip install \".[augment]\" in the checkout")
    rng = np.random.default_rng(0)
    src = tmp_path / "l.parquet"
    pl.DataFrame({"x": rng.normal(size=60), "y": ["ab"[i % 2] for i in range(60)],
                  "lst": [[1, 2]] * 60}).write_parquet(src)
    r = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 2 and "--drop lst --withhold lst" in r.output, r.output


# --- QA round 51 (helpers 166-167: the library API) -----------------------------------------------------------------


def test_duration_and_object_labels_are_refused_with_a_clear_error():
    import datetime as _dt

    import dvclean
    from dvclean.errors import DataValidationError

    x = (np.arange(40.0) % 7).tolist()
    days = [_dt.timedelta(days=i % 2) for i in range(40)]
    with pytest.raises(DataValidationError, match="holds durations .*convert it to a number"):
        dvclean.score(pl.DataFrame({"a": x, "y": days}), label="y")  # (polars could not cast it: "a bug in dvclean")
    with pytest.raises(DataValidationError, match="has type Object"):
        dvclean.score(pl.DataFrame({"a": x, "y": pl.Series([object()] * 40, dtype=pl.Object)}), label="y")


def test_api_arguments_are_checked_by_the_function_called():
    import dvclean
    from dvclean.errors import ConfigError
    from dvclean.fix import fix

    df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2, 0.15], "y": [0, 0, 0, 0, 1, 1, 1, 1]})
    with pytest.raises(TypeError, match=r"fix\(read_options=\.\.\.\) takes a dict, got str"):
        fix(df, label="y", read_options="x")
    with pytest.raises(TypeError, match=r"fix\(progress=\.\.\.\) takes a callable"):
        fix(df, label="y", progress=1)
    with pytest.raises(TypeError, match=r"score\(drop=\.\.\.\) takes a column name or a list of them, got float"):
        dvclean.score(df, label="y", drop=3.5)
    with pytest.raises(TypeError, match=r"make_table\(drop=\.\.\.\) takes a column name or a list of them, got int"):
        dvclean.make_table(df, label="y", drop=3)
    with pytest.raises(TypeError, match=r"read_frame\(\) reads a file"):
        dvclean.read_frame(df)
    with pytest.raises(ConfigError, match="naming each method once"):  # (the CLI refused --method knn,knn already)
        dvclean.ScoreConfig(methods=("knn", "oob", "knn"))


def test_a_named_pandas_index_valued_as_a_feature_gets_a_note():
    pd = pytest.importorskip("pandas")
    import dvclean

    rng = np.random.default_rng(0)
    x = rng.normal(size=(80, 2))
    df = pd.DataFrame({"customer": rng.choice(10**6, 80, replace=False), "a": x[:, 0], "b": x[:, 1],
                       "y": np.where(x[:, 0] > 0, "p", "q")}).set_index("customer")
    cfg = dvclean.ScoreConfig(methods=("knn",))
    notes = dvclean.score(df, label="y", config=cfg).summary["notes"]
    assert any("the pandas index 'customer' is valued as a feature" in n and "id_column='customer'" in n for n in notes)
    notes = dvclean.score(df, label="y", id_column="customer", config=cfg).summary["notes"]
    assert not any("pandas index" in n for n in notes)
    from dvclean.fix import fix

    notes = fix(df, label="y", score_config=cfg).scores.summary["notes"]
    assert any("the pandas index 'customer' is valued as a feature" in n for n in notes), notes


def test_f1_against_a_validation_file_without_the_positive_class_is_refused(tmp_path):
    # every subset scored 0, every value was 0, and rows were flagged all the same
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 2))
    y = np.where(x[:, 0] > 0.6, "rare", "common")
    src, valid = tmp_path / "d.csv", tmp_path / "v.csv"
    pl.DataFrame({"a": x[:60, 0], "b": x[:60, 1], "y": y[:60].tolist()}).write_csv(src)
    keep = y[60:] == "common"
    pl.DataFrame({"a": x[60:, 0][keep], "b": x[60:, 1][keep], "y": y[60:][keep].tolist()}).write_csv(valid)
    r = runner.invoke(app, ["score", str(src), "-y", "y", "-m", "loo", "--metric", "f1", "--valid", str(valid),
                            "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 2 and "the F1 of the smaller class, 'rare'" in r.output, r.output
    r = runner.invoke(app, ["score", str(src), "-y", "y", "-m", "loo", "--metric", "accuracy", "--valid", str(valid),
                            "-q", "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 0, r.output


def test_a_named_checkpoint_is_not_silently_turned_off(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    src = tmp_path / "d.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(x[:, 0] > 0, "p", "q").tolist()}).write_csv(src)
    r = runner.invoke(app, ["score", str(src), "-y", "y", "-m", "tmc", "--checkpoint-every", "0", "--checkpoint",
                            str(tmp_path / "run.ck"), "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 2 and "--checkpoint-every 0 turns off" in r.output, r.output


@pytest.mark.serial
def test_the_local_dask_cluster_says_nothing_with_quiet(tmp_path):
    pytest.importorskip("distributed", reason="--scheduler needs the optional extra: pip install \".[distributed]\" in the checkout")
    import subprocess
    import sys

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    src = tmp_path / "d.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(x[:, 0] > 0, "p", "q").tolist()}).write_csv(src)
    cmd = [sys.executable, "-m", "dvclean", "score", str(src), "-y", "y", "-m", "loo", "--scheduler", "local",
           "--n-jobs", "2", "-q", "-o", str(tmp_path / "o.parquet")]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stderr == "", r.stderr  # ("Batched Comm Closed" and a CommClosedError traceback)


def test_main_in_process_puts_the_callers_handlers_back():
    # main() left the commands' record-only handlers in place for the rest of the process (pytest could no longer be
    # stopped by SIGTERM or Ctrl-C, and later in-process runs skipped their own Ctrl-C handler)
    import signal
    import sys

    from dvclean.cli import commands, main

    before = (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT))
    argv = sys.argv
    sys.argv = ["dvclean", "score", "no-such-file.csv", "-y", "y"]
    try:
        with pytest.raises(SystemExit) as ended:
            main()
    finally:
        sys.argv = argv
    assert ended.value.code == 2
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before
    assert not commands._RECORD_AFTER_RUN
    r = runner.invoke(app, ["score", "no-such-file.csv", "-y", "y"])
    assert r.exit_code == 2 and (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_a_signal_while_an_error_is_reported_keeps_the_error(tmp_path):
    # "error: ...no such file" then "terminated just after the run finished (exit 2); its output was complete", 143
    import subprocess
    import sys

    script = (
        "import os, signal, sys\n"
        "import dvclean.cli._output as o\n"
        "say = o.print_error\n"
        "def late(*a, **k):\n"
        "    say(*a, **k)\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "o.print_error = late\n"
        "from dvclean.cli import main\n"
        "sys.argv = ['dvclean', 'score', 'no-such-file.csv', '-y', 'y']\n"
        "main()\n"
    )
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and "no such file" in r.stderr and "output was complete" not in r.stderr, r.stderr


def test_near_copies_get_the_same_neighbours_in_both_engines():
    # the gram's rounding depended on the BLAS threads, which the numba path limited and the numpy path did not:
    # near-copies 3e-6 apart in 200 dimensions came out in another order at the engines' switch (2,000 rows)
    from dvclean.valuation.knn import knn_shapley_exact, row_hashes

    rng = np.random.default_rng(0)
    base = rng.normal(size=(300, 200))
    x = base[rng.integers(0, 300, 2100)] + (rng.random((2100, 1)) < 0.5) * rng.normal(scale=3e-6, size=(2100, 200))
    y = rng.integers(0, 3, 2100)
    a, na = knn_shapley_exact(x, y, 5, engine="numpy")
    b, nb = knn_shapley_exact(x, y, 5, engine="numba")
    assert np.array_equal(na, nb) and np.abs(a - b).max() < 1e-15
    h = row_hashes(np.array([[1.0, 2.0], [1.0, 2.0], [2.0, 1.0], [1.0, 2.0 + 1e-15]]))
    assert h[0] == h[1] and len({h[0], h[2], h[3]}) == 3


def test_a_typed_augment_output_of_a_csv_keeps_zero_padded_codes(tmp_path):
    pytest.importorskip("sdv", reason="augmentation needs the optional extra: pip install \".[augment]\" in the checkout")
    rng = np.random.default_rng(0)
    a = rng.random(120)
    zips = [f"{z:05d}" for z in rng.integers(1, 999, 120)]
    src = tmp_path / "zip.csv"
    src.write_text("zip,a,y\n" + "".join(f"{z},{v:.3f},{'p' if v > 0.5 else 'q'}\n"
                                         for z, v in zip(zips, a, strict=True)))
    out = tmp_path / "aug.parquet"
    r = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-n", "20", "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    got = pl.read_parquet(out)
    assert got.schema["zip"] == pl.String
    assert got.filter(~pl.col("dvclean_synthetic")).get_column("zip").to_list() == zips
    assert all(len(z) == 5 and z.isdigit() for z in got.filter(pl.col("dvclean_synthetic")).get_column("zip"))
