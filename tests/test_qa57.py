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
