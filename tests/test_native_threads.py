"""``--n-jobs`` caps the native threads of the whole run, and exact KNN-Shapley's values do not
depend on how many threads compute them (same seed, same output on any machine)."""

from __future__ import annotations

import numba
import numpy as np
import polars as pl
import pytest
from threadpoolctl import threadpool_info

from dvclean.config import CrossFitConfig, KNNConfig, ScoreConfig
from dvclean.pipeline import score
from dvclean.valuation import _parallel
from dvclean.valuation._parallel import native_thread_cap, native_threads
from dvclean.valuation.knn import knn_shapley_exact, nearest_neighbors


def _problem(n: int = 4500, d: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = (x[:, 0] + 0.8 * rng.normal(size=n) > 0).astype(np.int64)
    return x, y


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs at least two numba threads")
def test_numba_kernel_values_are_bit_identical_for_any_thread_count() -> None:
    x, y = _problem()
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one, nb_one = knn_shapley_exact(x, y, 5, engine="numba", chunk_size=700)
        numba.set_num_threads(2)
        two, nb_two = knn_shapley_exact(x, y, 5, engine="numba", chunk_size=700)
    finally:
        numba.set_num_threads(previous)
    assert one.tobytes() == two.tobytes()
    assert np.array_equal(nb_one, nb_two)
    # and still the exact values (the numpy path sums in another order: equal to rounding)
    ref, _ = knn_shapley_exact(x, y, 5, engine="numpy")
    assert np.allclose(one, ref, rtol=0, atol=1e-12)


def test_native_threads_caps_blas_openmp_numba_and_restores_them() -> None:
    before_numba = numba.get_num_threads()
    before = {(p["internal_api"], p["filepath"]): p["num_threads"] for p in threadpool_info()}
    with native_threads(1):
        assert native_thread_cap() == 1
        assert numba.get_num_threads() == 1
        assert all(p["num_threads"] == 1 for p in threadpool_info())
        with native_threads(2):  # nested: the inner cap rules, then the outer one is back
            assert native_thread_cap() == 2
        assert native_thread_cap() == 1
        assert numba.get_num_threads() == 1
    assert native_thread_cap() is None
    assert numba.get_num_threads() == before_numba
    assert {(p["internal_api"], p["filepath"]): p["num_threads"] for p in threadpool_info()} == before


def test_every_core_means_no_cap() -> None:
    with native_threads(-1):
        assert native_thread_cap() is None


def test_neighbour_search_reads_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    import sklearn.neighbors

    seen: list[int | None] = []
    real = sklearn.neighbors.NearestNeighbors

    def spy(**kwargs: object) -> object:
        seen.append(kwargs.get("n_jobs"))  # type: ignore[arg-type]
        return real(**kwargs)

    monkeypatch.setattr(sklearn.neighbors, "NearestNeighbors", spy)
    x, _ = _problem(300, 3)
    with native_threads(1):
        nearest_neighbors(x, None, 5, backend="kdtree")
    assert seen == [1]


def test_score_runs_under_the_n_jobs_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    caps: list[int | None] = []
    real = _parallel.native_threads

    def spy(n_jobs: int):  # type: ignore[no-untyped-def]
        caps.append(n_jobs)
        return real(n_jobs)

    monkeypatch.setattr("dvclean.pipeline.native_threads", spy)
    x, y = _problem(200, 3)
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})
    runs = []
    for n_jobs in (1, -1):
        config = ScoreConfig(knn=KNNConfig(k=5), crossfit=CrossFitConfig(n_jobs=n_jobs))
        runs.append(score(frame, label="y", config=config).frame)
    assert caps == [1, -1]
    assert runs[0].equals(runs[1])
