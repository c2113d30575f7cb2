"""Findings of QA round 55 (session 35) and items left from earlier rounds. Each test of a fix fails on the code
before it."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("output", "report"), [
    ("o.csv.gz", "o.augment-report.json"),  # (was o.csv.augment-report.json)
    ("d/data.augmented.csv.zst", "d/data.augment-report.json"),
    ("d/data.augmented.CSV.GZ", "d/data.augment-report.json"),
])
def test_augment_report_of_a_compressed_output_is_named_after_its_stem(output, report):
    from dvclean.augment import report_path_for

    assert report_path_for(output).as_posix() == report


def test_augment_report_names_that_were_right_stay():
    from dvclean.augment import report_path_for

    assert report_path_for("data.augmented.parquet").name == "data.augment-report.json"
    assert report_path_for("plain").name == "plain.augment-report.json"
    assert report_path_for(".csv.gz").name == ".csv.augment-report.json"  # (a hidden file keeps its whole name)


def test_chart_names_that_differ_in_their_middle_stay_apart():
    from dvclean.report._render import _short, _short_names

    names = [f"customer_segment_{w}_region_A_long_tail" for w in ("north", "south", "east", "west")]
    assert len({_short(n) for n in names}) < 4  # (the plain cut shows some of them as one text)
    shown = _short_names(names + ["short", "y" * 60])
    assert len(set(shown)) == 6
    assert shown[4] == "short" and shown[5] == _short("y" * 60)  # names that did not clash keep the short cut


# -- a methods researcher's findings -------------------------------------------------------------------------------

def _noisy_fold_game(n: int = 400):
    """Every row's true value is 0 in every fold; each fold estimates it with N(0, 0.1) noise and says so."""
    import numpy as np

    from dvclean.table import ValuationData
    from dvclean.valuation._crossfit import FoldResult

    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    data = ValuationData(x=rng.normal(size=(n, 2)), y=y, rows=np.arange(n), classes=np.array(["a", "b"]))
    noise = np.random.default_rng(1)

    def fn(xp, yp, xv, yv, fseed, f):
        return FoldResult(noise.normal(0.0, 0.1, size=len(yp)), np.full(len(yp), 0.1))

    return data, fn


def test_cross_fitted_stderr_counts_the_sampling_error_once():

    from dvclean.valuation._crossfit import cross_fit

    data, fn = _noisy_fold_game()
    values, stderr, _ = cross_fit(data, fn, n_folds=5, seed=0)
    # each row is a player in 4 folds: the mean of 4 draws of N(0, 0.1) has standard deviation 0.05
    assert 0.045 < values.std() < 0.055
    assert 0.05 < stderr.mean() < 0.062, stderr.mean()  # (was 0.069: the spread plus the within-fold error again)
    assert (stderr >= 0.05 - 1e-12).all()  # never below the sampling error the folds report (0.1 / sqrt(4))


def test_cross_fitted_stderr_with_two_folds_is_the_folds_own():
    import numpy as np

    from dvclean.table import ValuationData
    from dvclean.valuation._crossfit import FoldResult, cross_fit

    data, fn = _noisy_fold_game(40)
    _, stderr, _ = cross_fit(data, fn, n_folds=2, seed=0)  # a row is a player once: no spread to measure
    assert np.allclose(stderr, 0.1)
    exact = ValuationData(x=data.x, y=data.y, rows=data.rows, classes=data.classes)
    _, stderr, _ = cross_fit(exact, lambda xp, yp, xv, yv, s, f: FoldResult(np.zeros(len(yp))), n_folds=2, seed=0)
    assert np.isnan(stderr).all()  # an exact method with one fold per row has no estimate (was a certain 0)


def test_dvgs_with_one_restart_has_no_stderr_rather_than_zero():
    import numpy as np

    from dvclean.config import CrossFitConfig, DVGSConfig
    from dvclean.table import ValuationData
    from dvclean.valuation.dvgs import DVGS

    rng = np.random.default_rng(0)
    y, yv = np.arange(60) % 2, np.arange(40) % 2
    d = ValuationData(x=rng.normal(size=(60, 3)) + y[:, None], y=y, rows=np.arange(60), classes=np.array(["a", "b"]),
                      x_valid=rng.normal(size=(40, 3)) + yv[:, None], y_valid=yv)
    one = DVGS(DVGSConfig(epochs=3, restarts=1), CrossFitConfig(n_jobs=1))
    a, b = one.value(d, seed=0), one.value(d, seed=1)
    assert not np.allclose(a.values, b.values)  # the restart is random ...
    assert np.isnan(a.stderr).all()  # ... so 0 claimed a certainty it does not have (was 0 for every row)
    two = DVGS(DVGSConfig(epochs=3, restarts=2), CrossFitConfig(n_jobs=1)).value(d, seed=0)
    assert np.isfinite(two.stderr).all() and (two.stderr > 0).any()


def test_data_oob_stderr_of_a_row_out_of_bag_in_under_two_trees_is_nan():
    import numpy as np

    from dvclean.valuation.oob import data_oob

    rng = np.random.default_rng(0)
    y = np.arange(30) % 2
    out = data_oob(rng.normal(size=(30, 2)) + y[:, None], y, n_estimators=3, seed=0)
    few = out.n_oob < 2
    assert few.any() and (~few).any()
    assert np.isnan(out.stderr[few]).all()  # (was 0: a row never out of bag looked the most certain)
    assert np.isfinite(out.stderr[~few]).all()


def test_predictability_note_says_when_no_auroc_could_pass():
    import numpy as np

    from dvclean.diagnostics import label_predictability
    from dvclean.pipeline import _predictability_note

    y = np.array([0, 0, 0, 1, 1, 2, 2])
    p = label_predictability(np.eye(3)[y] * 0.9 + 0.1 / 3, y)
    assert p["auroc"] == 1.0 and not p["predictable"] and p["auroc_needed"] == 1.0
    note = _predictability_note(p, 7)
    assert "not even a perfect ranking (AUROC 1) could tell it from chance" in note
    assert "need 1.000" not in note  # (was: "these class sizes need 1.000 to tell it from chance", which it had)


def test_predictability_note_says_whose_auroc_it_quotes():
    from dvclean.pipeline import _predictability_note

    p = {"auroc": 0.466, "deciding_auroc": 0.99, "p_value": 0.054, "predictable": False, "auroc_needed": 0.9}
    note = _predictability_note(p, 300)
    assert "AUROC 0.990 for the class the test judges best (0.466 averaged over the classes)" in note
    two = {"auroc": 0.52, "deciding_auroc": 0.52, "p_value": 0.4, "predictable": False, "auroc_needed": 0.6}
    assert "out-of-sample AUROC 0.520 (0.5 = chance" in _predictability_note(two, 2000)


def test_fix_refusal_quotes_the_auroc_the_same_way(tmp_path):
    import numpy as np
    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(0)
    n = 600
    cols = zip(rng.normal(size=n), rng.normal(size=n), rng.integers(0, 6, n), strict=True)
    rows = [f"{a:.4f},{b:.4f},c{k}" for a, b, k in cols]
    src = tmp_path / "noise.csv"
    src.write_text("a,b,y\n" + "\n".join(rows) + "\n")
    res = CliRunner().invoke(app, ["fix", str(src), "-y", "y", "--action", "drop", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2, res.output
    assert "refusing to drop" in res.output and "averaged over the classes" in res.output


def test_data_oob_progress_starts_at_zero():
    import numpy as np

    from dvclean.valuation.oob import data_oob

    calls = []
    y = np.arange(40) % 2
    data_oob(np.random.default_rng(0).normal(size=(40, 2)), y, n_estimators=100, seed=0,
             progress=lambda step, done, total: calls.append((step, done, total)))
    # a bar is drawn (and its clock started) at its first report: it went 50/100 at 0:00 after the first 50 trees
    assert calls[0] == ("data-oob trees", 0, 100) and calls[-1] == ("data-oob trees", 100, 100)


def test_a_subset_without_every_validation_class_scores_the_empty_set():
    import numpy as np

    from dvclean.valuation.loo import fold_utility

    x, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    xv, yv = np.linspace(0, 3, 10)[:, None], np.array([0] * 7 + [1] * 3)
    u = fold_utility(x, y, xv, yv, 0, "logreg", "accuracy", 2)
    empty = u(np.array([], dtype=np.int64))
    assert empty == 0.7  # the majority rate of the validation labels (the paper's random score)
    # a one-class subset is not "always predict class 1" (0.3, which charged a minority row 0.4 for coming first)
    assert u(np.array([2])) == empty and u(np.array([0])) == empty
    assert u.n_fits == 0 and u(np.array([0, 2])) != empty and u.n_fits == 1


def test_three_classes_are_fitted_only_once_all_are_present():
    import numpy as np

    from dvclean.valuation.loo import fold_utility

    x = np.arange(9, dtype=float)[:, None]
    y = np.repeat([0, 1, 2], 3)
    u = fold_utility(x, y, x + 0.1, y, 0, "logreg", "accuracy", 3)
    assert u(np.array([0, 3])) == u(np.array([], dtype=np.int64)) and u.n_fits == 0  # (was fitted on 2 of 3)
    u(np.array([0, 3, 6]))
    assert u.n_fits == 1
    # a class the players lack altogether cannot be waited for: the subsets are fitted once they hold the others
    v = fold_utility(x[:6], y[:6], x + 0.1, y, 0, "logreg", "accuracy", 3)
    v(np.array([0, 3]))
    assert v.n_fits == 1


def test_cross_fitted_dvgs_with_one_restart_takes_its_stderr_from_the_folds():
    import numpy as np

    from dvclean.config import CrossFitConfig, DVGSConfig
    from dvclean.table import ValuationData
    from dvclean.valuation.dvgs import DVGS

    rng = np.random.default_rng(0)
    y = np.arange(60) % 2
    d = ValuationData(x=rng.normal(size=(60, 3)) + y[:, None], y=y, rows=np.arange(60), classes=np.array(["a", "b"]))
    res = DVGS(DVGSConfig(epochs=3, restarts=1), CrossFitConfig(n_folds=3, n_jobs=1)).value(d, seed=0)
    assert np.isfinite(res.stderr).all() and (res.stderr > 0).all()  # (the NaN of one restart is no spread)
