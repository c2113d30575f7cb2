"""Open items of earlier QA rounds fixed in session 20, one test each."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _write(tmp_path, n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    path = tmp_path / "d.csv"
    pl.DataFrame({"a": rng.normal(size=n) + 2 * y, "b": rng.normal(size=n), "y": np.where(y == 1, "p", "q")}).write_csv(path)
    return path


def test_configuration_file_type_errors_are_in_dvclean_words(tmp_path):
    data = _write(tmp_path)
    cases = {'seed = "abc"': "invalid value 'abc' for --seed: it must be a whole number",
             "k = 2.5": "invalid value 2.5 for --k: it must be a whole number",
             'hard-frac = "zz"': "invalid value 'zz' for --hard-frac: expected a fraction such as 0.05"}
    for text, expected in cases.items():
        cfg = tmp_path / "c.toml"
        cfg.write_text(text + "\n")
        r = runner.invoke(app, ["score", str(data), "-y", "y", "--config", str(cfg), "-o", str(tmp_path / "o.csv")])
        assert r.exit_code == 2 and expected in r.output, r.output
        assert "Invalid value" not in r.output and "Input should be" not in r.output  # was the parser's wording twice
        assert not (tmp_path / "o.csv").exists()


def test_mislabel_max_rows_range_error_is_one_line(tmp_path):
    data = _write(tmp_path)
    r = runner.invoke(app, ["score", str(data), "-y", "y", "--mislabel-max-rows", "0", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "--mislabel-max-rows must be an int >= 1; got 0." in r.output  # was the usage box
    assert "Usage:" not in r.output


def test_model_that_needs_arguments_names_them_and_a_fix(tmp_path):
    data = _write(tmp_path)
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "tmc", "--model", "sklearn.pipeline.Pipeline",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2
    assert "cannot be built without arguments (it needs 'steps'); give a class whose defaults" in r.output
    assert "__init__()" not in r.output  # was Python's TypeError text


def test_check_text_output_names_the_new_rows(tmp_path):
    data = _write(tmp_path, n=160)
    base = tmp_path / "base.json"
    part = tmp_path / "part.csv"
    pl.read_csv(data).head(40).write_csv(part)  # a baseline of a quarter of the rows: most of today's flags are new
    r = runner.invoke(app, ["check", str(part), "-y", "y", "--json"])
    assert r.exit_code == 0, r.output
    base.write_text(r.stdout)
    doc = json.loads(runner.invoke(app, ["check", str(data), "-y", "y", "--baseline", str(base), "--json",
                                         "--max-new-hard", "0"]).stdout)
    new = doc["baseline"]["new_hard_rows"]
    assert len(new) > 10
    r = runner.invoke(app, ["check", str(data), "-y", "y", "--baseline", str(base), "--max-new-hard", "0",
                            "--warn-new-mislabeled", str(len(doc["baseline"]["new_mislabeled_rows"]))])
    lines = r.stdout.splitlines()
    i = next(j for j, line in enumerate(lines) if line.startswith("FAIL new_hard"))
    shown = ", ".join(str(v) for v in new[:10])
    assert lines[i + 1] == f"  rows (row_id): {shown} and {len(new) - 10} more (--json lists all)"
    assert lines[i - 1].startswith("PASS new_mislabeled")  # a passed check gets no rows line
    from dvclean.report import formats

    assert f"  rows (row_id): {shown}" in r.stdout
    assert formats.NEW_ROWS_SHOWN == 10


def _noisy(n: int = 240, seed: int = 1) -> tuple[pl.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + 3 * y[:, None]
    flipped = rng.choice(n, n // 10, replace=False)
    y = y.copy()
    y[flipped] = 1 - y[flipped]
    return pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(y == 1, "p", "q")}), flipped


def test_a_table_written_twice_keeps_its_mislabeled_rows_flagged():
    import dvclean

    frame, flipped = _noisy()
    alone = dvclean.score(frame, label="y").frame["is_mislabeled"].to_numpy()
    twice = dvclean.score(pl.concat([frame, frame]), label="y").frame["is_mislabeled"].to_numpy()
    n = frame.height
    assert alone[flipped].mean() > 0.7
    # each copy confirmed the other's label: no row was flagged (0 of 480) before copies were judged once
    assert (twice[:n] == twice[n:]).all() and twice[:n][flipped].mean() > 0.7
    assert abs(int(twice[:n].sum()) - int(alone.sum())) <= 3


def test_copies_of_an_outlying_target_are_still_outlying():
    import dvclean

    rng = np.random.default_rng(2)
    x = rng.normal(size=(200, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + rng.normal(scale=0.3, size=200)
    shifted = rng.choice(200, 10, replace=False)
    y[shifted] += 5 * y.std()
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "t": y})
    twice = dvclean.score(pl.concat([frame, frame]), label="t", config=dvclean.ScoreConfig(task="regression")).frame["is_mislabeled"].to_numpy()
    assert (twice[:200] == twice[200:]).all() and twice[:200][shifted].mean() >= 0.8


def test_one_odd_date_cell_leaves_the_csv_readable(tmp_path):
    from dvclean.io import read_frame

    rng = np.random.default_rng(0)
    dates = [f"2020-{m:02d}-{d:02d}" for m, d in zip(rng.integers(1, 13, 300), rng.integers(1, 29, 300), strict=True)]
    dates[250] = "05/07/2021"  # after the rows the reader infers the type from
    path = tmp_path / "d.csv"
    pl.DataFrame({"when": dates, "x": rng.normal(size=300), "y": rng.integers(0, 2, 300)}).write_csv(path)
    frame = read_frame(path)[0]  # was "cannot parse the CSV ...; check --separator and quoting"
    assert frame.height == 300 and frame["when"].dtype == pl.String and frame["when"][250] == "05/07/2021"
    assert frame["x"].dtype == pl.Float64
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output


def test_messages_name_one_row_and_a_missed_separator(tmp_path):
    inf = tmp_path / "inf.csv"
    inf.write_text("survival,censors,age\n15,1.0,54.3\n3,1.0,40.4\n6,0.0,51\n6,inf,42.5\n16,0.0,48\n")
    r = runner.invoke(app, ["score", str(inf), "-y", "censors"])
    assert r.exit_code == 2 and "is infinite at row 3;" in r.output  # was "at rows 3"
    sp = tmp_path / "sp.csv"
    sp.write_text("'OBS' 'GPA' 'GRADE'\n1 2.66 0\n2 2.89 0\n3 3.28 1\n")
    r = runner.invoke(app, ["score", str(sp), "-y", "GRADE"])
    assert r.exit_code == 2 and "pass its separator, e.g. --separator ' '" in r.output


def test_rows_without_any_feature_value_are_never_flagged_or_relabelled():
    import dvclean
    from dvclean.fix import FixConfig, fix

    frame, _ = _noisy(300, seed=3)
    blank = np.arange(0, 300, 10)  # 30 rows, a mix of both classes
    frame = frame.with_columns(
        [pl.when(pl.int_range(pl.len()).is_in(blank.tolist())).then(None).otherwise(pl.col(c)).alias(c) for c in ("a", "b")]
    ).with_columns(  # 24 of them 'q', 6 'p': the models can only give them the mix, and flagged the 'p' ones
        y=pl.when(pl.int_range(pl.len()).is_in(blank[:24].tolist())).then(pl.lit("q"))
        .when(pl.int_range(pl.len()).is_in(blank[24:].tolist())).then(pl.lit("p")).otherwise(pl.col("y"))
    )
    r = dvclean.score(frame, label="y")
    out = r.frame
    assert not out["is_mislabeled"].to_numpy()[blank].any() and not out["is_hard"].to_numpy()[blank].any()
    assert not out["is_conflicting_duplicate"].to_numpy()[blank].any()  # all-empty rows do not conflict
    assert any(n.startswith("30 rows have no feature value at all (rows 0, 10, 20, 30, 40 and 25 more)")
               for n in r.summary["notes"])
    fixed = fix(frame, label="y", config=FixConfig(action="relabel")).frame
    assert fixed["y"].gather(blank).equals(frame["y"].gather(blank))


def test_report_from_files_shows_a_row_id_feature_as_score_report_does(tmp_path):
    data = tmp_path / "d.csv"
    frame, _ = _noisy(120, seed=4)
    frame.with_columns(row_id=pl.int_range(pl.len()) * 7 + 3).write_csv(data)
    scores, direct, later = tmp_path / "s.parquet", tmp_path / "a.html", tmp_path / "b.html"
    assert runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(scores), "--report", str(direct), "-q"]).exit_code == 0
    r = runner.invoke(app, ["report", str(scores), "--data", str(data), "-o", str(later), "-q"])
    assert r.exit_code == 0, r.output
    assert "row_id (data column)" in direct.read_text() and "row_id (data column)" in later.read_text()  # was left out


def test_spreadsheet_formatted_numbers_are_numbers_or_named(tmp_path):
    import dvclean

    rng = np.random.default_rng(5)
    n = 200
    y = rng.integers(0, 2, n)
    amount = rng.uniform(10, 5000, n) + 3000 * y
    frame = pl.DataFrame({
        "usd": [f"${v:,.2f}" for v in amount],  # $1,234.50: thousands commas and a decimal point
        "pct": [f"{int(v)}%" for v in rng.integers(0, 100, n)],
        "big": [f"{int(v):,}" for v in rng.integers(1_000, 3_000_000, n)],  # 1,234,567 among 12,345: thousands
        "amb": [f"{int(v):,}" for v in rng.integers(1_000, 999_999, n)],  # only 367,260-like cells: ambiguous
        "y": np.where(y == 1, "p", "q"),
    })
    r = dvclean.score(frame, label="y")
    notes = " ".join(r.summary["notes"])
    assert "columns 'usd', 'pct', 'big': numbers written with a currency or percent sign or thousands commas" in notes
    assert "column 'amb' holds numbers such as" in notes and "whose comma may group thousands or mark decimals" in notes
    from dvclean.table import FeatureEncoder

    encoder = FeatureEncoder().fit(frame, ["usd", "pct", "big"])
    assert [p.kind for p in encoder.plans_] == ["numeric"] * 3  # were frequency-coded categories
    x = encoder.transform(pl.DataFrame({"usd": ["$2,000.00"], "pct": ["50%"], "big": ["1,500,000"]}))
    assert np.isfinite(x).all()


def test_a_date_column_with_a_few_odd_cells_is_valued_as_dates():
    import dvclean
    from dvclean.table import FeatureEncoder

    rng = np.random.default_rng(6)
    n = 200
    y = rng.integers(0, 2, n)
    days = rng.integers(0, 400, n) + 600 * y  # the date tells the classes apart
    base = np.datetime64("2020-01-01")
    when = [str(base + int(d)) for d in days]
    when[17], when[90] = "05/07/2021", "2021-02-30"  # another spelling, an impossible day
    frame = pl.DataFrame({"when": when, "x": rng.normal(size=n), "y": np.where(y == 1, "p", "q")})
    encoder = FeatureEncoder().fit(frame, ["when", "x"])
    assert encoder.plans_[[p.name for p in encoder.plans_].index("when")].kind == "temporal"  # was frequency-coded
    assert encoder.text_dates_["when"][:3] == ("%Y-%m-%d", 2, n)
    r = dvclean.score(frame, label="y")
    assert any(note.startswith("column 'when' holds dates (YYYY-MM-DD) except 2 of 200 cells ('05/07/2021', "
                               "'2021-02-30')") for note in r.summary["notes"])
    assert r.frame["is_mislabeled"].sum() <= 5  # separable by the date: the dates were read as dates
    mixed = pl.DataFrame({"d": ["2020-01-02", "03/04/2021", "Nov 23 2020", "11-14-23"] * 10})
    assert FeatureEncoder().fit(mixed, ["d"]).plans_[0].kind != "temporal"  # no format reads 95%: a category


def test_tmc_with_a_knn_model_fits_every_prefix_shorter_than_k(tmp_path):
    data = _write(tmp_path, n=60)
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "tmc", "--model", "knn", "--max-permutations", "2",
                            "--folds", "2", "--n-jobs", "1", "-o", str(tmp_path / "o.csv"), "--json"])
    assert r.exit_code == 0, r.output
    diag = json.loads(r.stdout)["methods"]["tmc"]["diagnostics"]
    assert diag["fit_failures"] == 0 and diag["model_fits"] > 0  # were 'n_neighbors <= n_samples_fit' failures


def test_a_hard_set_short_of_hard_frac_gets_a_note():
    import dataclasses

    from dvclean.config import FlagPolicy
    from dvclean.flags import flag_rows
    from dvclean.pipeline import _hard_shortfall_note
    from dvclean.valuation import ValuationResult

    values = np.r_[np.linspace(-1, -0.5, 5), np.zeros(90), np.linspace(0.5, 1, 5)]  # 90 rows tie at 0
    y = np.zeros(100, dtype=np.int64)
    neighbors = np.tile(np.arange(1, 6), (100, 1)) % 100
    flags = flag_rows(values, y, neighbors, 2, FlagPolicy(hard_fraction=0.2))
    assert int(flags.is_hard.sum()) == 5  # the tied block straddles the cut of 20 and is left out
    primary = ValuationResult(method="knn", values=values, stderr=None, status="approximate", params={}, seed=0)
    note = _hard_shortfall_note(flags, primary, 0.2)
    assert note is not None and note.startswith("5 rows are flagged hard, not the 20 that --hard-frac 0.2 asks for: "
                                                "90 rows tie at value 0")
    assert "--algorithm exact" in note
    full = dataclasses.replace(flags, is_hard=np.r_[np.ones(20, dtype=bool), np.zeros(80, dtype=bool)])
    assert _hard_shortfall_note(full, primary, 0.2) is None


def test_more_than_a_quarter_flagged_gets_a_note():
    import dvclean

    rng = np.random.default_rng(7)
    n = 400
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + 4 * y[:, None]
    flipped = rng.random(n) < 0.35
    given = np.where(flipped, 1 - y, y)
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": np.where(given == 1, "p", "q")})
    r = dvclean.score(frame, label="y")
    flagged = int(r.frame["is_mislabeled"].sum())
    assert flagged > 0.25 * n
    assert any(note.startswith(f"{flagged} rows ({flagged / n:.0%}) are flagged mislabeled, more than 25% of the labels")
               for note in r.summary["notes"])
    few = dvclean.score(frame.head(200).with_columns(y=pl.Series(np.where(y[:200] == 1, "p", "q"))), label="y")
    assert not any("are flagged mislabeled, more than" in note for note in few.summary["notes"])
