"""Session 27: KNN-Shapley with random tie orders (exact and approximate paths) and the far group of the
approximate path, checked against brute-force Shapley values of the random-tie game."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from dvclean.config import KNNConfig
from dvclean.table import ValuationData
from dvclean.valuation import knn
from dvclean.valuation.knn import KNNShapley, knn_shapley_exact, knn_shapley_on_points, knn_shapley_truncated


def tied_utility(dist: dict[int, float], subset: set[int] | tuple[int, ...], y: np.ndarray, y_t: int, k: int) -> float:
    """U(S) of the random-tie game: the expected share of matches among the K nearest of S when equal
    distances are ordered at random (the rows tied at the K-th distance fill the remaining places evenly)."""
    members = list(subset)
    if len(members) <= k:
        return sum(float(y[j] == y_t) for j in members) / k
    kth = sorted(dist[j] for j in members)[k - 1]
    closer = [j for j in members if dist[j] < kth]
    tied = [j for j in members if dist[j] == kth]
    hits = sum(float(y[j] == y_t) for j in closer)
    return (hits + (k - len(closer)) * sum(float(y[j] == y_t) for j in tied) / len(tied)) / k


def brute_tied_values(x, y, k, x_valid=None, y_valid=None) -> np.ndarray:
    n = x.shape[0]
    points = range(n) if x_valid is None else range(x_valid.shape[0])
    phi = np.zeros(n)
    for t in points:
        players = [j for j in range(n) if j != t] if x_valid is None else list(range(n))
        xt, yt = (x[t], y[t]) if x_valid is None else (x_valid[t], y_valid[t])
        dist = {j: float(((x[j] - xt) ** 2).sum()) for j in players}
        size = len(players)
        for i in players:
            others = [p for p in players if p != i]
            for s in range(size):
                w = math.factorial(s) * math.factorial(size - s - 1) / math.factorial(size)
                for sub in itertools.combinations(others, s):
                    phi[i] += w * (tied_utility(dist, set(sub) | {i}, y, yt, k) - tied_utility(dist, sub, y, yt, k))
    return phi / len(points)


TIE_CASES = [(n, k, c, seed) for seed, (n, k, c) in enumerate(
    [(5, 1, 2), (6, 2, 2), (7, 3, 3), (8, 1, 2), (8, 2, 3), (8, 4, 2), (9, 3, 2), (9, 8, 3)]
)]


@pytest.mark.parametrize("engine", ["numpy", "numba"])
@pytest.mark.parametrize(("n", "k", "n_classes", "seed"), TIE_CASES)
def test_exact_knn_shapley_is_the_shapley_value_of_the_random_tie_game(engine, n, k, n_classes, seed):
    # integer points on a small grid: many rows at equal distances from each validation point
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n, 2)).astype(float)
    y = rng.integers(0, n_classes, size=n)
    values, _ = knn_shapley_exact(x, y, k, engine=engine)
    np.testing.assert_allclose(values, brute_tied_values(x, y, k), atol=1e-12, rtol=0)
    xv = rng.integers(0, 3, size=(3, 2)).astype(float)
    yv = rng.integers(0, n_classes, size=3)
    values, _ = knn_shapley_exact(x, y, k, x_valid=xv, y_valid=yv, engine=engine)
    np.testing.assert_allclose(values, brute_tied_values(x, y, k, xv, yv), atol=1e-12, rtol=0)


def test_tied_rows_of_different_labels_at_one_distance_share_the_tie_evenly():
    # one validation point at 0, two players at distance 1 with labels 1 and 0, K = 1: U(match) = 1, U(other) = 0,
    # U(both) = 1/2 with the tie broken at random, so the values are 3/4 and -1/4 whichever row comes first
    # (ties by row order gave 1 and 0 when the match came first, 1/2 and -1/2 when it came second)
    x = np.array([[1.0], [-1.0]])
    for y in (np.array([1, 0]), np.array([0, 1])):
        for engine in ("numpy", "numba"):
            values, _ = knn_shapley_exact(x, y, 1, x_valid=np.array([[0.0]]), y_valid=np.array([1]), engine=engine)
            np.testing.assert_allclose(values, np.where(y == 1, 0.75, -0.25), atol=1e-15)


def _discrete(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 3, size=(n, 4)).astype(float)
    y = ((x[:, 0] + x[:, 1] + rng.normal(0, 0.8, n)) > 2).astype(np.int64)
    return x, y


@pytest.mark.parametrize("config", [KNNConfig(k=5), KNNConfig(k=5, algorithm="approx", neighbors="kdtree"),
                                    KNNConfig(k=5, algorithm="approx", neighbors="brute", eps=0.05)])
def test_knn_shapley_values_of_a_discrete_table_do_not_depend_on_the_row_order(config):
    x, y = _discrete(400, 3)
    perm = np.random.default_rng(4).permutation(400)
    a = KNNShapley(config).value(ValuationData(x=x, y=y, rows=np.arange(400), classes=np.array([0, 1]))).values
    b = KNNShapley(config).value(ValuationData(x=x[perm], y=y[perm], rows=np.arange(400), classes=np.array([0, 1])))
    np.testing.assert_allclose(b.values, a[perm], atol=1e-14, rtol=0)


def test_efficiency_with_ties_is_the_leave_one_out_accuracy_with_ties_broken_at_random():
    x, y = _discrete(300, 5)
    k = 4
    values, _ = knn_shapley_exact(x, y, k)
    expected = []
    for t in range(300):
        others = np.array([j for j in range(300) if j != t])
        dist = {int(j): float(((x[j] - x[t]) ** 2).sum()) for j in others}
        expected.append(tied_utility(dist, tuple(int(j) for j in others), y, y[t], k))
    assert values.sum() == pytest.approx(np.mean(expected), abs=1e-12)


def test_compiled_kernel_equals_the_numpy_path_on_heavily_tied_data():
    x, y = _discrete(2100, 6)
    a, na = knn_shapley_exact(x, y, 5, engine="numpy", chunk_size=300)
    b, nb = knn_shapley_exact(x, y, 5, engine="numba", chunk_size=700)
    np.testing.assert_allclose(a, b, atol=1e-13, rtol=0)
    np.testing.assert_array_equal(na, nb)  # the neighbour lists still follow the row order within a tie


def _points_values(x, y, k, kstar, backend, x_valid=None, y_valid=None):
    values, _, used = knn_shapley_on_points(x, y, k, kstar, x_valid=x_valid, y_valid=y_valid, backend=backend)
    assert used == backend
    return values


@pytest.mark.parametrize("backend", ["kdtree", "brute"])
def test_approximate_path_is_within_c_kstar_of_exact_on_tied_data_and_exact_when_it_sees_every_row(backend):
    rng = np.random.default_rng(11)
    for _ in range(60):
        n = int(rng.integers(4, 50))
        levels = int(rng.integers(2, 4))
        x = rng.integers(0, levels, size=(n, int(rng.integers(1, 4)))).astype(float)
        y = rng.integers(0, 3, size=n)
        k = int(rng.integers(1, min(5, n - 1) + 1))
        exact, _ = knn_shapley_exact(x, y, k)
        np.testing.assert_allclose(_points_values(x, y, k, n - 1, backend), exact, atol=1e-12, rtol=0)
        kstar = int(rng.integers(k, n))
        approx = _points_values(x, y, k, kstar, backend)
        assert np.abs(approx - exact).max() <= min(k, kstar) / (kstar * k) + 1e-12
        assert approx.sum() == pytest.approx(exact.sum(), abs=1e-12)  # the far group keeps efficiency
        xv = rng.integers(0, levels, size=(4, x.shape[1])).astype(float)
        yv = rng.integers(0, 3, size=4)
        exact_v, _ = knn_shapley_exact(x, y, k, x_valid=xv, y_valid=yv)
        kstar = int(rng.integers(k, n + 1))
        approx_v = _points_values(x, y, k, kstar, backend, xv, yv)
        assert np.abs(approx_v - exact_v).max() <= min(k, kstar) / (kstar * k) + 1e-12
        assert approx_v.sum() == pytest.approx(exact_v.sum(), abs=1e-12)


def test_a_tie_across_the_kstar_th_place_is_valued_whole():
    # twelve players at distance 1 from the validation point (the unit vectors and their opposites), K = 5,
    # K* = 10: the group crosses the 10th place; valued whole, the values are exact (cut at K*, the two rows
    # beyond would get the far group's value and the error would be 0.12 > eps)
    e = np.eye(6)
    x = np.vstack([e, -e, 5 + np.random.default_rng(0).normal(size=(20, 6))])
    y = np.array([0, 1] * 6 + [1] * 20)
    xv, yv = np.zeros((1, 6)), np.array([0])
    exact, _ = knn_shapley_exact(x, y, 5, x_valid=xv, y_valid=yv)
    data = ValuationData(x=x, y=y, rows=np.arange(32), classes=np.array([0, 1]), x_valid=xv, y_valid=yv)
    for backend in ("kdtree", "brute"):
        r = KNNShapley(KNNConfig(k=5, eps=0.1, algorithm="approx", neighbors=backend)).value(data)
        assert r.status == "approximate"
        np.testing.assert_allclose(r.values, exact, atol=1e-12, rtol=0)


def test_truncated_rows_version_keeps_the_bound_and_efficiency_and_beats_the_papers_ranking():
    rng = np.random.default_rng(12)
    n = 3000
    x = rng.normal(size=(n, 4))
    y = (x[:, 0] + 0.7 * rng.normal(size=n) > 0.8).astype(np.int64)
    exact, _ = knn_shapley_exact(x, y, 5)
    idx, dist, _ = knn.nearest_neighbors(x, None, 10, backend="brute", return_distance=True)
    ours = knn_shapley_truncated(y, y, idx, 5, n - 1, dist)
    assert np.abs(ours - exact).max() <= 0.1
    assert ours.sum() == pytest.approx(exact.sum(), abs=1e-12)
    # the paper's truncation (the 10th gets 0, recursion from it) sums to about 0 and leaves most rows at 0
    m = (y[idx] == y[:, None]).astype(float)
    i = np.arange(1, 10, dtype=float)
    s = np.zeros_like(m)
    s[:, :-1] = np.cumsum(((m[:, :-1] - m[:, 1:]) * (np.minimum(5, i) / (i * 5)))[:, ::-1], axis=1)[:, ::-1]
    paper = np.bincount(idx.ravel(), weights=s.ravel(), minlength=n) / n
    from scipy.stats import spearmanr

    assert spearmanr(ours, exact)[0] > spearmanr(paper, exact)[0] + 0.1
    # the points version gives the same values when no distances tie
    np.testing.assert_allclose(_points_values(x, y, 5, 10, "brute"), ours, atol=1e-12, rtol=0)


def test_truncated_without_distances_treats_every_place_as_its_own_group():
    x, y = _discrete(200, 8)
    idx, dist, _ = knn.nearest_neighbors(x, None, 199, backend="kdtree", return_distance=True)
    # all players seen: with their distances the exact random-tie values, without them the row-order recursion
    exact, _ = knn_shapley_exact(x, y, 3)
    np.testing.assert_allclose(knn_shapley_truncated(y, y, idx, 3, 199, dist), exact, atol=1e-12, rtol=0)
    rows_order = knn_shapley_truncated(y, y, idx, 3, 199)
    assert np.abs(rows_order - exact).max() > 1e-4
    assert rows_order.sum() != pytest.approx(exact.sum(), abs=1e-9)  # another game: ties by row order


# ---------------------------------------------------------------- dates that read day first and month first


def _date_notes(path, **kw) -> list[str]:
    import dvclean

    cfg = dvclean.ScoreConfig(methods=("knn",), knn=KNNConfig(k=1))
    return [t for t in dvclean.score(path, label="y", config=cfg, **kw).summary["notes"] if "reads both" in t]


def _date_file(tmp_path, cells, name="d.csv"):
    rows = "".join(f"{c},{i},{'ab'[i % 2]}\n" for i, c in enumerate(cells))
    path = tmp_path / name
    path.write_text("when,x,y\n" + rows)
    return path


def test_a_csv_date_column_every_date_of_which_reads_month_first_too_gets_a_note(tmp_path):
    cells = ["03/04/2021", "05/06/2021", "01/02/2020", "07/08/2021", "02/03/2021", "04/05/2021", "11/12/2020", "09/10/2021"]
    (note,) = _date_notes(_date_file(tmp_path, cells))
    assert note.startswith("column 'when': every date reads both as DD/MM/YYYY and as MM/DD/YYYY; read day first (")
    assert "if the month comes first, write the dates as YYYY-MM-DD" in note
    # one day above 12 settles it, as do ISO dates and dates whose day and month are equal
    assert _date_notes(_date_file(tmp_path, [*cells[:-1], "25/10/2021"], "e.csv")) == []
    assert _date_notes(_date_file(tmp_path, ["2021-04-03", "2021-06-05", "2020-02-01", "2021-08-07"], "f.csv")) == []
    assert _date_notes(_date_file(tmp_path, ["01/01/2021", "02/02/2021", "03/03/2021", "04/04/2021"], "g.csv")) == []


def test_a_text_date_column_read_day_first_by_the_encoder_gets_the_same_note(tmp_path):
    cells = ["03.04.21", "05.06.21", "01.02.20", "07.08.21", "02.03.21", "04.05.21", "11.12.20", "09.10.21"]
    (note,) = _date_notes(_date_file(tmp_path, cells))
    assert "every date reads both as DD.MM.YY and as MM.DD.YY; read day first" in note
    day, month = (int(v) for v in note.split("read day first ('")[1][:5].split("."))
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December"]
    assert f"is {day} {months[month - 1]}, not {months[day - 1]} {month})" in note


def test_typed_dates_from_a_parquet_file_get_no_either_way_note(tmp_path):
    import datetime as dt

    import polars as pl

    frame = pl.DataFrame({"when": [dt.date(2021, 4, 3), dt.date(2021, 6, 5), dt.date(2020, 2, 1), dt.date(2021, 8, 7)],
                          "x": [1, 2, 3, 4], "y": ["a", "b", "a", "b"]})
    frame.write_parquet(tmp_path / "d.parquet")
    assert _date_notes(tmp_path / "d.parquet") == []


# ---------------------------------------------------------------- numbers: thousands spaces, apostrophes, parentheses


def _encoded_numbers(cells: list[str]) -> tuple[str, dict, np.ndarray]:
    import polars as pl

    from dvclean.table import FeatureEncoder

    enc = FeatureEncoder()
    enc.fit(pl.DataFrame({"c": cells}), ["c"])
    (plan,) = enc.plans_
    return plan.kind, plan.params, enc


@pytest.mark.parametrize(("sep", "decimal"), [(" ", "."), ("\u00a0", "."), ("\u202f", "."), ("'", "."), (" ", ",")])
def test_numbers_with_thousands_spaces_or_apostrophes_are_numbers(sep, decimal):
    import polars as pl

    from dvclean.table import _comma_numbers, _decorated_numbers

    values = np.random.default_rng(3).integers(1_000, 3_000_000, 40)
    cells = [f"{v:,}".replace(",", sep) + (f"{decimal}5" if i % 3 == 0 else "") for i, v in enumerate(values)]
    kind, params, enc = _encoded_numbers(cells)
    assert kind == "numeric"
    read = (_comma_numbers if decimal == "," else _decorated_numbers)(pl.Series(cells)).to_list()
    assert read == [v + (0.5 if i % 3 == 0 else 0) for i, v in enumerate(values.astype(float))]
    assert params.get("decimal_comma" if decimal == "," else "decorated") is True


def test_accounting_negatives_in_parentheses_are_negative_numbers():
    import polars as pl

    from dvclean.table import _decorated_numbers

    amounts = np.random.default_rng(4).integers(100, 500_000, 40) / 4
    cells = [f"({a:,.2f})" if i % 3 == 0 else f"${a:,.2f}" for i, a in enumerate(amounts)]
    kind, params, _ = _encoded_numbers(cells)
    assert kind == "numeric" and params.get("decorated") is True
    assert _decorated_numbers(pl.Series(cells)).to_list() == [-a if i % 3 == 0 else a for i, a in enumerate(amounts)]


def test_phone_numbers_in_groups_stay_text():
    rng = np.random.default_rng(5)
    cells = [f"555 {a} {b}" for a, b in zip(rng.integers(100, 999, 40), rng.integers(1000, 9999, 40), strict=True)]
    kind, _, _ = _encoded_numbers(cells)
    assert kind != "numeric"


def test_the_score_note_names_a_column_of_thousands_spaces(tmp_path):
    import dvclean

    rng = np.random.default_rng(6)
    v = rng.integers(1_000, 3_000_000, 60)
    lines = "".join(f"{a:,},{'ab'[int(a) % 2]}\n".replace(",", " ").replace(" a\n", ",a\n").replace(" b\n", ",b\n")
                    for a in v)
    (tmp_path / "d.csv").write_text("amount,y\n" + lines)
    notes = dvclean.score(tmp_path / "d.csv", label="y", config=dvclean.ScoreConfig(methods=("knn",))).summary["notes"]
    assert any(t.startswith("column 'amount': numbers written with a currency") and "1 234 567" in t for t in notes)


# ---------------------------------------------------------------- review round 42


def test_hnsw_ranks_by_the_exact_paths_distances_so_its_ties_are_ties():
    # standardised discrete features: faiss's float32 distances parted rows the exact path ties
    # (1.5391191 and 1.5391194 for two rows at one distance), so values with K* = N differed from exact
    rng = np.random.default_rng(0)
    n = 60
    raw = np.column_stack([rng.integers(0, 3, n), rng.integers(0, 4, n), rng.integers(0, 2, n)]).astype(float)
    x = (raw - raw.mean(0)) / raw.std(0)
    y = rng.integers(0, 2, n)
    data = ValuationData(x=x, y=y, rows=np.arange(n), classes=np.arange(2))
    exact = KNNShapley(KNNConfig(k=3, algorithm="exact")).value(data).values
    r = KNNShapley(KNNConfig(k=3, eps=0.01, algorithm="approx", neighbors="hnsw")).value(data)
    assert r.status == "exact"
    np.testing.assert_allclose(r.values, exact, atol=1e-12, rtol=0)
    _, dk, _ = knn.nearest_neighbors(x, None, n - 1, backend="kdtree", return_distance=True)
    _, dh, _ = knn.nearest_neighbors(x, None, n - 1, backend="hnsw", return_distance=True)
    np.testing.assert_array_equal(dk, dh)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_a_row_is_never_its_own_neighbour_when_distances_overflow_float32(engine):
    # raw features near 1e20: the squared distances overflow float32 to inf, where the numpy path's own column
    # (set to inf) sorted among the others and the wrong column was dropped
    x = np.array([[0.0], [3e19], [6e19], [1e20]])
    y = np.array([0, 1, 0, 1])
    with np.errstate(over="ignore"):
        values, nb = knn_shapley_exact(x, y, 1, engine=engine)
    assert not (nb.ravel() == np.arange(4)).any()
    np.testing.assert_allclose(values, np.full(4, 1 / 12), atol=1e-15)


def test_the_approximate_path_values_block_by_block_as_at_once(monkeypatch):
    # the search hands the valuer a block of queries at a time (memory of a block, not of every list); small
    # blocks, copies among the players and among the validation rows must not change a value
    rng = np.random.default_rng(21)
    x = rng.integers(0, 3, size=(80, 2)).astype(float)
    y = rng.integers(0, 3, size=80)
    xv = rng.integers(0, 3, size=(30, 2)).astype(float)
    yv = rng.integers(0, 3, size=30)
    whole = [_points_values(x, y, 3, 10, "kdtree"), _points_values(x, y, 3, 12, "brute", xv, yv)]
    monkeypatch.setattr(knn, "QUERY_BLOCK", 2)
    blocks = [_points_values(x, y, 3, 10, "kdtree"), _points_values(x, y, 3, 12, "brute", xv, yv)]
    for a, b in zip(whole, blocks, strict=True):
        np.testing.assert_allclose(b, a, atol=1e-15, rtol=0)
    exact, _ = knn_shapley_exact(x, y, 3, x_valid=xv, y_valid=yv)
    np.testing.assert_allclose(_points_values(x, y, 3, 80, "kdtree", xv, yv), exact, atol=1e-12, rtol=0)


def test_a_single_tie_does_not_send_the_whole_truncated_block_through_the_tie_path():
    # rows without ties take the cheap formula; only the tied rows pay for the groups, and the values agree
    rng = np.random.default_rng(22)
    m = (rng.random((500, 11)) < 0.6).astype(float)
    dist = np.tile(np.arange(11, dtype=np.float32), (500, 1))
    plain = knn._recursion(m, 5, dist)
    dist[7, 1] = dist[7, 0]
    one = knn._recursion(m, 5, dist)
    np.testing.assert_array_equal(np.delete(one, 7, axis=0), np.delete(plain, 7, axis=0))
    np.testing.assert_allclose(one[7], knn._tied_rows(m[7:8], dist[7:8], *knn._weights(5, 11))[0])


# ---------------------------------------------------------------- review round 43


@pytest.mark.parametrize("spell", [
    lambda r: f"+34 6{r.integers(0, 99):02d} {r.integers(0, 999):03d} {r.integers(0, 999):03d}",
    lambda r: f"6{r.integers(0, 99):02d} {r.integers(0, 999):03d} {r.integers(0, 999):03d}",
    lambda r: f"+48 512 {r.integers(0, 999):03d} {r.integers(0, 999):03d}",
])
def test_telephone_and_identity_numbers_in_groups_stay_text(spell):
    rng = np.random.default_rng(30)
    kind, _, _ = _encoded_numbers([spell(rng) for _ in range(60)])
    assert kind != "numeric"


def test_a_bare_number_in_parentheses_is_a_footnote_mark_not_a_negative_amount():
    import polars as pl

    from dvclean.table import _decorated_numbers

    cells = [f"{i} 234" for i in range(1, 40)] + ["(1)"]
    assert _decorated_numbers(pl.Series(cells)).to_list()[-1] is None
    assert _decorated_numbers(pl.Series(["(1.5)", "($12)", "$(1,234.50)", "(1,234.50) €", "(12)"])).to_list() == [
        -1.5, -12.0, -1234.5, -1234.5, None]


def test_negative_amounts_in_parentheses_with_a_decimal_comma():
    import polars as pl

    from dvclean.table import _comma_numbers, _decimal_comma

    cells = pl.Series(["(1 234,56)", "(1.234,56)", "1'234,50", "12,5", "(3,25) €"])
    assert _decimal_comma(cells)
    assert _comma_numbers(cells).to_list() == [-1234.56, -1234.56, 1234.5, 12.5, -3.25]


def test_a_valid_file_writing_space_grouped_whole_amounts_reads_them_as_the_data_does():
    import polars as pl

    from dvclean.table import FeatureEncoder

    train = pl.DataFrame({"amount": [f"{i} 234,5" for i in range(1, 40)] + ["1 234"], "y": [i % 2 for i in range(40)]})
    enc = FeatureEncoder()
    x = enc.fit_transform(train, ["amount"], "y")
    got = enc.transform(pl.DataFrame({"amount": ["1 234", "30 234,5"], "y": [0, 1]})).ravel()
    np.testing.assert_allclose(got, [x[39, 0], x[29, 0]])


def test_the_either_way_note_of_datetimes_names_their_time(tmp_path):
    cells = ["03/04/2021 10:30", "05/06/2021 11:00", "01/02/2020 09:15", "07/08/2021 12:45", "02/03/2021 08:00",
             "04/05/2021 10:00"]
    (note,) = _date_notes(_date_file(tmp_path, cells))
    assert "reads both as DD/MM/YYYY hh:mm and as MM/DD/YYYY hh:mm" in note


@pytest.mark.parametrize("backend", ["kdtree", "brute", "hnsw"])
def test_the_approximate_searches_measure_far_from_the_origin_as_the_exact_path(backend):
    # a discrete table around 1000 (not standardised): |q|^2 + |x|^2 - 2 q.x on the raw values parted ties the
    # exact path (which moves the data by its mean first) keeps, under status "exact"
    rng = np.random.default_rng(0)
    x = rng.integers(0, 3, size=(300, 3)) * 0.1 + 1000.0
    y = rng.integers(0, 2, size=300)
    d = ValuationData(x=x, y=y, rows=np.arange(300), classes=np.array([0, 1]))
    exact = KNNShapley(KNNConfig(k=5, algorithm="exact")).value(d).values
    r = KNNShapley(KNNConfig(k=5, algorithm="approx", neighbors=backend, eps=1e-3)).value(d)
    assert r.status == "exact"
    np.testing.assert_allclose(r.values, exact, atol=1e-12, rtol=0)


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_exact_knn_shapley_refuses_missing_or_infinite_features(engine):
    from dvclean.errors import ValuationError

    x = np.array([[0.0], [np.nan], [1.0], [2.0], [np.inf]])
    with pytest.raises(ValuationError, match="row 1 .2 rows"):
        knn_shapley_exact(x, np.array([0, 1, 0, 1, 0]), 2, engine=engine)


def test_an_empty_validation_set_is_refused_when_the_data_is_built():
    from dvclean.errors import DataValidationError

    with pytest.raises(DataValidationError, match="x_valid has no rows"):
        ValuationData(x=np.zeros((5, 3)), y=np.zeros(5, int), rows=np.arange(5), classes=np.array([0, 1]),
                      x_valid=np.zeros((0, 3)), y_valid=np.zeros(0, int))
