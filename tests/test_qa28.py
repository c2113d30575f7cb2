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
    assert "name (a distinct value in nearly every row (298 of 300 values occur once): an identifier or free text)" \
        in " ".join(with_name.summary["notes"])
    assert with_name.summary["features"]["ignored"] == ["name"]
    np.testing.assert_array_equal(with_name.frame["value"].to_numpy(), without.frame["value"].to_numpy())
    # a category with repeated values is still one
    cities = rng.choice([f"city {i}" for i in range(40)], n).tolist()
    kept = dvclean.score(frame.with_columns(pl.Series("name", cities)), label="y")
    assert kept.summary["features"]["ignored"] == []
