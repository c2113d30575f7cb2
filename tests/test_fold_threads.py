"""The out-of-fold models fit their folds on threads: same output for any thread count,
warnings and native thread limits handled once per pool, and the ``oob`` / ``confidence``
methods follow ``--n-jobs``."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from dvclean.config import CrossFitConfig, MislabelConfig, OOBConfig, ScoreConfig
from dvclean.errors import ConfigError
from dvclean.flags import gather_evidence, regression_evidence
from dvclean.valuation import make_valuer
from dvclean.valuation._models import fit_quietly, quiet_fits
from dvclean.valuation._parallel import thread_map
from dvclean.valuation.confidence import oof_predict, oof_proba
from dvclean.valuation.knn import nearest_neighbors


def _data(n=240, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = np.digitize(x[:, 0] + x[:, 1] + rng.normal(0, 0.7, n), np.quantile(x[:, 0], np.linspace(0, 1, classes + 1)[1:-1]))
    return x, y.astype(np.int64)


@pytest.mark.parametrize("model", ["xgboost", "logreg", "hgb"])
def test_oof_proba_same_for_any_thread_count(model):
    x, y = _data()
    serial = oof_proba(x, y, 3, model=model, seed=3, n_jobs=1)
    for jobs in (2, 4):
        assert np.array_equal(oof_proba(x, y, 3, model=model, seed=3, n_jobs=jobs), serial)
    assert not np.array_equal(oof_proba(x, y, 3, model=model, seed=4, n_jobs=2), serial) or model == "logreg"


def test_oof_predict_same_for_any_thread_count():
    x, _ = _data()
    t = x @ np.arange(1.0, 7.0) + np.random.default_rng(1).normal(size=x.shape[0])
    keep = np.arange(x.shape[0]) % 7 != 0
    for mask in (None, keep):
        assert np.array_equal(oof_predict(x, t, seed=2, n_jobs=3, train_mask=mask),
                              oof_predict(x, t, seed=2, n_jobs=1, train_mask=mask))


def test_progress_reported_in_fold_order_from_the_calling_thread():
    x, y = _data()
    calls = []
    oof_proba(x, y, 3, model="logreg", n_folds=4, n_jobs=2,
              progress=lambda stage, done, total: calls.append((stage, done, total, threading.get_ident())))
    assert [c[1] for c in calls] == [0, 1, 2, 3, 4]  # (the 0 starts the bar, and its clock, before the first fit)
    assert {c[3] for c in calls} == {threading.get_ident()}


def test_evidence_same_for_any_thread_count():
    x, y = _data(n=300)
    nb, _ = nearest_neighbors(x, None, 5)
    a = gather_evidence(x, y, nb, 3, MislabelConfig(oob_trees=30), seed=1, n_jobs=1)
    b = gather_evidence(x, y, nb, 3, MislabelConfig(oob_trees=30), seed=1, n_jobs=2)
    for name in ("model", "oob", "linear", "neighbors", "knn_values"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    t = x[:, 0] * 3 + np.random.default_rng(0).normal(size=x.shape[0])
    ra = regression_evidence(x, t, nb, MislabelConfig(oob_trees=30), seed=1, n_jobs=1)
    rb = regression_evidence(x, t, nb, MislabelConfig(oob_trees=30), seed=1, n_jobs=2)
    assert np.array_equal(ra.model, rb.model) and np.array_equal(ra.oob, rb.oob)


class _Noisy:
    """A 'model' whose fit warns, to see where its warnings go."""

    def fit(self, x, y):
        warnings.warn("not converged", UserWarning, stacklevel=1)
        return self


def test_quiet_fits_silences_worker_threads_and_restores_the_filters():
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        list(thread_map(lambda i: fit_quietly(_Noisy(), None, None), 6, n_jobs=3))
        assert seen == []
        warnings.warn("after the pool", UserWarning, stacklevel=1)  # the caller's filters are back
        assert [str(w.message) for w in seen] == ["after the pool"]
    assert warnings.filters == before
    with quiet_fits(), quiet_fits():  # nests
        fit_quietly(_Noisy(), None, None)


def test_thread_map_keeps_order_and_raises_the_task_error():
    assert list(thread_map(lambda i: -i, 5, n_jobs=2)) == [0, -1, -2, -3, -4]

    def boom(i):
        if i == 2:
            raise ValueError("fold 2 failed")
        return i

    with pytest.raises(ValueError, match="fold 2"):
        list(thread_map(boom, 4, n_jobs=2))
    with warnings.catch_warnings(record=True) as seen:  # the quiet block ended with the error
        warnings.simplefilter("always")
        warnings.warn("visible", UserWarning, stacklevel=1)
    assert len(seen) == 1


def test_oob_and_confidence_methods_follow_n_jobs():
    oob = make_valuer("oob", ScoreConfig(methods=("oob",), crossfit=CrossFitConfig(n_jobs=3)))
    assert oob.n_jobs == 3
    assert make_valuer("oob", ScoreConfig(methods=("oob",), oob=OOBConfig(n_jobs=2),
                                          crossfit=CrossFitConfig(n_jobs=3))).n_jobs == 2
    conf = make_valuer("confidence", ScoreConfig(methods=("confidence",), crossfit=CrossFitConfig(n_jobs=2)))
    assert conf.settings.n_jobs == 2
    with pytest.raises(ConfigError, match="n_jobs"):
        OOBConfig(n_jobs=0)


@pytest.mark.parametrize("method", ["knn", "oob", "confidence"])
def test_cli_accepts_n_jobs_for_every_method_with_the_same_output(tmp_path, method):
    """--n-jobs also sets the mislabel models' threads, so no method refuses it; the scores do not move."""
    import polars as pl
    from typer.testing import CliRunner

    from dvclean.cli import app

    x, y = _data(n=200)
    src = tmp_path / "d.csv"
    pl.DataFrame({**{f"f{i}": x[:, i] for i in range(x.shape[1])}, "y": y}).write_csv(src)
    frames = []
    for jobs in ("1", "2"):
        out = tmp_path / f"o{jobs}.csv"
        res = CliRunner().invoke(app, ["score", str(src), "-y", "y", "-m", method, "--n-jobs", jobs, "-q", "-o", str(out)])
        assert res.exit_code == 0, res.output
        frames.append(out.read_bytes())
    assert frames[0] == frames[1]


def test_the_callers_code_between_results_is_not_silenced():
    """Between windows the caller's warnings show and the process's filters are its own."""
    from dvclean.valuation._parallel import THREAD_WINDOW

    before = list(warnings.filters)
    seen_in_loop = []
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        for i in thread_map(lambda i: fit_quietly(_Noisy(), None, None) and i, 3 * THREAD_WINDOW * 2, n_jobs=2):
            if i % (THREAD_WINDOW * 2) == 0:
                warnings.warn(f"caller {i}", UserWarning, stacklevel=1)
                seen_in_loop.append(i)
        assert sorted(str(w.message) for w in seen) == sorted(f"caller {i}" for i in seen_in_loop)
    assert warnings.filters == before
