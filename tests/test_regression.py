"""Regression targets (issue 6, item 5): task detection, KNN-Shapley of KNN regression against brute force,
Data-OOB and TMC with regressors, outlying-target flags on real data, and the CLI end to end."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.config import CrossFitConfig, FixConfig, LOOConfig, MislabelConfig, ScoreConfig, TMCConfig
from dvclean.errors import ConfigError, DataValidationError
from dvclean.fix import fix
from dvclean.table import ValuationData, make_table, prepare, resolve_task
from dvclean.valuation._models import RegressionUtility, make_regressor
from dvclean.valuation.knn import (
    KNNShapley,
    knn_shapley_regression,
    knn_shapley_regression_truncated,
    nearest_neighbors,
)
from dvclean.valuation.loo import LeaveOneOut
from dvclean.valuation.oob import DataOOB, bag_seeds, bootstrap_indices, data_oob, make_tree
from dvclean.valuation.tmc import TMCShapley, exact_shapley

from .conftest import SAMPLE

runner = CliRunner()


# -- KNN-Shapley of KNN regression: brute force ------------------------------------------------------------------


def knn_regression_utility(y: np.ndarray, rank: np.ndarray, yt: float, k: int):
    """U(S) = -(mean target of the min(K, |S|) nearest in S - y_t)^2, U(empty) = -y_t^2 (Wang & Jia 2023, the KNN-regression utility)."""

    def u(idx: np.ndarray) -> float:
        if len(idx) == 0:
            return -(yt**2)
        top = idx[np.argsort(rank[idx], kind="stable")][: min(k, len(idx))]
        return -((y[top].mean() - yt) ** 2)

    return u


def ranking(x: np.ndarray, xt: np.ndarray, exclude: int | None = None) -> np.ndarray:
    """Rank of each player by float32 squared distance, ties by row order (dvclean's ranking)."""
    d = ((x - xt) ** 2).sum(axis=1)
    if exclude is not None:
        d[exclude] = np.inf
    order = np.argsort(d.astype(np.float32), kind="stable")
    rank = np.empty(x.shape[0], dtype=np.int64)
    rank[order] = np.arange(x.shape[0])
    return rank


def brute_force(x, y, k, xv, yv):
    n = x.shape[0]
    total = np.zeros(n)
    for t in range(xv.shape[0]):
        total += exact_shapley(knn_regression_utility(y, ranking(x, xv[t]), yv[t], k), n)
    return total / xv.shape[0]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7])
@pytest.mark.parametrize("k", [1, 2, 3, 5, 8])
def test_knn_regression_equals_brute_force_shapley(n, k):
    rng = np.random.default_rng(100 * n + k)
    for trial in range(3):
        # integer grid coordinates: many distance ties, broken by row order as in the ranking
        x = rng.integers(0, 3, size=(n, 2)).astype(np.float64)
        y = rng.normal(size=n) * rng.uniform(0.2, 3.0)
        if trial == 2:
            y = np.round(y)  # ties in the targets too
        xv = rng.integers(0, 3, size=(4, 2)).astype(np.float64)
        yv = rng.normal(size=4)
        values, _ = knn_shapley_regression(x, y, k, x_valid=xv, y_valid=yv)
        np.testing.assert_allclose(values, brute_force(x, y, k, xv, yv), atol=1e-9, rtol=0)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_knn_regression_leave_self_out_equals_brute_force(k):
    rng = np.random.default_rng(k)
    n = 7
    x = rng.integers(0, 4, size=(n, 1)).astype(np.float64)
    y = rng.normal(size=n)
    values, neighbors = knn_shapley_regression(x, y, k)
    expected = np.zeros(n)
    for t in range(n):
        others = np.delete(np.arange(n), t)
        rank = ranking(x[others], x[t])
        expected[others] += exact_shapley(knn_regression_utility(y[others], rank, y[t], k), n - 1)
    np.testing.assert_allclose(values, expected / n, atol=1e-9, rtol=0)
    assert neighbors.shape == (n, min(k, n - 1))


def test_efficiency_sum_is_full_minus_empty_utility():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    xv, yv = rng.normal(size=(9, 3)), rng.normal(size=9)
    for k in (1, 4, 10):
        values, _ = knn_shapley_regression(x, y, k, x_valid=xv, y_valid=yv)
        gains = []
        for t in range(9):
            u = knn_regression_utility(y, ranking(x, xv[t]), yv[t], k)
            gains.append(u(np.arange(60)) - u(np.zeros(0, dtype=np.int64)))
        assert values.sum() == pytest.approx(np.mean(gains), abs=1e-9)


def test_truncated_regression_is_exact_when_kstar_covers_everyone_and_close_otherwise():
    rng = np.random.default_rng(5)
    n = 120
    x = rng.normal(size=(n, 3))
    y = x[:, 0] + 0.5 * rng.normal(size=n)
    y[:20] += 4
    y = (y - y.mean()) / y.std()
    exact, _ = knn_shapley_regression(x, y, 5)
    idx, _ = nearest_neighbors(x, None, n - 1, backend="brute")
    full = knn_shapley_regression_truncated(y, y, idx, 5, n - 1, self_mode=True)
    np.testing.assert_allclose(full, exact, atol=1e-12)
    idx20, _ = nearest_neighbors(x, None, 20, backend="brute")
    approx = knn_shapley_regression_truncated(y, y, idx20, 5, n - 1, self_mode=True)
    # no eps guarantee for regression (documented); measured here: max error 0.009 of values up to 0.10,
    # Pearson 0.995 (giving the far rows 0, as for classification, gave Pearson 0.78)
    assert np.abs(approx - exact).max() < 0.25 * np.abs(exact).max()
    assert np.corrcoef(approx, exact)[0, 1] > 0.95
    xv, yv = rng.normal(size=(30, 3)), rng.normal(size=30)
    exact_v, _ = knn_shapley_regression(x, y, 5, x_valid=xv, y_valid=yv)
    idx_v, _ = nearest_neighbors(x, xv, 20, backend="brute")
    approx_v = knn_shapley_regression_truncated(y, yv, idx_v, 5, n, self_mode=False)
    assert np.corrcoef(approx_v, exact_v)[0, 1] > 0.9


def test_identical_rows_with_identical_targets_get_equal_values():
    x = np.array([[0.0], [0.0], [1.0], [2.0], [2.5], [4.0]])
    y = np.array([1.0, 1.0, 0.5, -1.0, 0.2, 3.0])
    data = ValuationData(x=x, y=y, rows=np.arange(6), classes=np.array([], dtype=object), task="regression")
    r = KNNShapley(dvclean.KNNConfig(k=2)).value(data)
    raw, _ = knn_shapley_regression(x, y, 2)
    assert r.values[0] == pytest.approx(r.values[1])
    assert r.values.sum() == pytest.approx(raw.sum())
    assert r.diagnostics["task"] == "regression" and r.status == "exact"


# -- Data-OOB, TMC and LOO with regressors ----------------------------------------------------------------------


def test_data_oob_regression_equals_a_loop_over_the_same_bags():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(25, 3)), rng.normal(size=25)
    out = data_oob(x, y, n_estimators=30, seed=7, task="regression")
    total, count, pred = np.zeros(25), np.zeros(25), np.zeros(25)
    for s in bag_seeds(7, 30):
        idx = bootstrap_indices(25, s)
        tree = make_tree("regression", "sqrt", s).fit(x[idx], y[idx])
        for i in np.setdiff1d(np.arange(25), idx):
            p = float(tree.predict(x[i : i + 1])[0])
            total[i] += -((p - y[i]) ** 2)
            pred[i] += p
            count[i] += 1
    assert count.min() > 0
    np.testing.assert_allclose(out.values, total / count, atol=1e-12)
    np.testing.assert_allclose(out.prediction, pred / count, atol=1e-12)
    data = ValuationData(x=x, y=y, rows=np.arange(25), classes=np.array([], dtype=object), task="regression")
    res = DataOOB(n_estimators=30).value(data, seed=7)  # the task comes from the data
    # (the valuer fits the standardised targets on a 2^-26 grid, table.on_target_grid: fully grown trees part
    # splits that separate their few rows alike by the last bits of the targets' sums)
    from dvclean.table import on_target_grid

    np.testing.assert_allclose(res.values, data_oob(x, on_target_grid(y), n_estimators=30, seed=7, task="regression").values)
    assert res.params["task"] == "regression"


def _tiny_regression(n=5, seed=1):
    rng = np.random.default_rng(seed)
    x, xv = rng.normal(size=(n, 2)), rng.normal(size=(12, 2))
    w = np.array([1.0, -0.5])
    y, yv = x @ w + 0.3 * rng.normal(size=n), xv @ w + 0.3 * rng.normal(size=12)
    data = ValuationData(x=x, y=y, rows=np.arange(n), classes=np.array([], dtype=object), x_valid=xv, y_valid=yv,
                         task="regression")
    return data, x, y, xv, yv


@pytest.mark.parametrize("metric", ["r2", "neg_mse"])
def test_tmc_all_permutations_without_truncation_is_exact_shapley(metric):
    data, x, y, xv, yv = _tiny_regression()
    cfg = TMCConfig(model="linear", metric=metric, tolerance=0.0, max_permutations=200)
    res = TMCShapley(cfg, CrossFitConfig(n_jobs=1)).value(data, seed=0)
    util = RegressionUtility(lambda: make_regressor("linear"), metric, x, y, xv, yv, 0)
    expected = exact_shapley(util, 5)
    np.testing.assert_allclose(res.values, expected, atol=1e-9)
    assert res.status == "exact" and res.params["metric"] == metric and res.params["model"] == "linear"
    # efficiency: the values add up to U(all) - U(empty); the empty set predicts 0, the mean target
    assert res.values.sum() == pytest.approx(util(np.arange(5)) - util(np.zeros(0, dtype=np.int64)))


def test_default_model_and_metric_mean_ridge_and_r2_and_loo_is_exact():
    data, x, y, xv, yv = _tiny_regression(n=6, seed=2)
    res = LeaveOneOut(LOOConfig(), TMCConfig(), CrossFitConfig(n_jobs=1)).value(data, seed=0)
    assert res.params["model"] == "linear" and res.params["metric"] == "r2"
    util = RegressionUtility(lambda: make_regressor("linear"), "r2", x, y, xv, yv, 0)
    full = util(np.arange(6))
    expected = [full - util(np.delete(np.arange(6), i)) for i in range(6)]
    np.testing.assert_allclose(res.values, expected, atol=1e-12)
    with pytest.raises(ConfigError, match="regression target is scored with r2 or neg_mse"):
        LeaveOneOut(LOOConfig(), TMCConfig(metric="auc"), CrossFitConfig(n_jobs=1)).value(data)


# -- task detection -----------------------------------------------------------------------------------------------


def test_auto_task_rule():
    cont = pl.Series("y", np.linspace(0.05, 9.95, 40))
    assert resolve_task(cont) == ("regression", "auto: float label with 40 distinct values")
    assert resolve_task(pl.Series("y", [0.5, 1.5] * 20))[0] == "classification"  # only 2 values
    # whole numbers: classes while every value fills two rows or more, or there are 20 values or fewer
    assert resolve_task(pl.Series("y", [float(i) for i in range(40)] * 2))[0] == "classification"
    assert resolve_task(pl.Series("y", list(range(40)) * 2))[0] == "classification"
    assert resolve_task(pl.Series("y", list(range(20)) + [0, 1]))[0] == "classification"  # (refused as classes)
    # ... a numeric target when more than 20 of them and some in a single row (as classes it would be refused)
    assert resolve_task(pl.Series("y", [float(i) for i in range(40)]))[0] == "regression"
    assert resolve_task(pl.Series("y", list(range(21)) + list(range(20))))[1] == (
        "auto: Int64 label with 21 distinct whole numbers, 1 of them in a single row, which no class may be: a "
        "numeric target; if they are class codes, 20 at row 20 needs a second row or removal, and --task "
        "classification")
    assert resolve_task(pl.Series("y", [2**53 + i for i in range(40)]))[0] == "classification"  # (codes)
    assert resolve_task(pl.Series("y", [True, False] * 20))[0] == "classification"
    assert resolve_task(pl.Series("y", ["a", "b"]), "regression") == ("regression", "--task regression")


def test_make_table_tasks_and_refusals():
    rng = np.random.default_rng(0)
    df = pl.DataFrame({"x": rng.normal(size=50), "y": rng.normal(size=50)})
    t = make_table(df)
    assert t.task == "regression" and t.task_reason.startswith("auto: float label")
    with pytest.raises(DataValidationError, match=r"looks continuous .*\(--task classification\)"):
        make_table(df, task="classification")
    with pytest.raises(DataValidationError, match="not numbers; --task regression needs a numeric target"):
        make_table(pl.DataFrame({"x": [1.0, 2, 3, 4], "y": ["a", "b", "a", "b"]}), task="regression")
    with pytest.raises(DataValidationError, match="one value only"):
        make_table(pl.DataFrame({"x": [1.0, 2, 3, 4, 5], "y": [2.5, 2.5, 2.5, 2.5, None]}), task="regression")
    with pytest.raises(DataValidationError, match="needs at least 4 rows"):  # (the outlier rule's folds need 4)
        make_table(pl.DataFrame({"x": [1.0, 2, 3, 4], "y": [2.5, 1.5, 0.5, None]}), task="regression")
    ages = make_table(pl.DataFrame({"x": rng.normal(size=50), "age": rng.integers(18, 90, 50)}), label="age",
                      task="regression")
    data, _, _ = prepare(ages)
    assert data.is_regression and data.classes.size == 0
    assert data.y.mean() == pytest.approx(0.0) and data.y.std() == pytest.approx(1.0)
    np.testing.assert_allclose(data.target_values(data.y), ages.frame["age"].to_numpy())


# -- outlying targets on real data ----------------------------------------------------------------------------------


def _auroc(score: np.ndarray, positive: np.ndarray) -> float:
    from scipy.stats import rankdata

    r = rankdata(score)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((r[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _corrupt(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shift ``fraction`` of the targets by 3-5 standard deviations, up or down."""
    rng = np.random.default_rng(seed)
    n = y.shape[0]
    idx = rng.choice(n, int(round(fraction * n)), replace=False)
    out = y.astype(np.float64).copy()
    out[idx] += rng.choice([-1.0, 1.0], idx.size) * rng.uniform(3, 5, idx.size) * y.std()
    bad = np.zeros(n, dtype=bool)
    bad[idx] = True
    return out, bad


def _recovery(df: pl.DataFrame, label: str, seed: int) -> dict[str, float]:
    y, bad = _corrupt(df.get_column(label).to_numpy(), 0.07, seed)
    r = dvclean.score(df.with_columns(pl.Series(label, y)), label=label, config=ScoreConfig(seed=seed, task="regression"))
    flagged = r.frame.get_column("is_mislabeled").to_numpy()
    tp = int((flagged & bad).sum())
    return {
        "auroc": _auroc(r.frame.get_column("mislabel_score").to_numpy(), bad),
        "auroc_value": _auroc(-r.frame.get_column("value").to_numpy(), bad),
        "precision": tp / max(1, int(flagged.sum())),
        "recall": tp / int(bad.sum()),
    }


def test_outlying_targets_recovered_on_diabetes():
    from sklearn.datasets import load_diabetes  # bundled with scikit-learn: no download

    d = load_diabetes()
    df = pl.DataFrame(d.data, schema=list(d.feature_names)).with_columns(pl.Series("progression", d.target))
    m = _recovery(df, "progression", seed=0)
    # measured (seed 0): AUROC 1.00 (score) / 1.00 (KNN-Shapley value); precision 1.00, recall 0.71
    assert m["auroc"] >= 0.8 and m["auroc_value"] >= 0.8
    assert m["precision"] >= 0.7 and m["recall"] >= 0.5


def test_outlying_targets_recovered_on_adult_age():
    df = pl.read_csv(SAMPLE).drop("income")
    m = _recovery(df, "age", seed=1)
    # measured (seed 1): AUROC 0.999 / 0.997; precision 0.98, recall 0.91
    assert m["auroc"] >= 0.8 and m["auroc_value"] >= 0.8
    assert m["precision"] >= 0.7 and m["recall"] >= 0.5


def test_one_typo_does_not_hide_the_other_outlying_targets():
    # one unit-error typo outweighs every other row's KNN-Shapley value under the squared-error utility; a rule
    # that also asked for a value below the median then found 44% of the shifted targets (measured: 67 of 140 flagged)
    df = pl.read_csv(SAMPLE).drop("income")
    y, bad = _corrupt(df.get_column("age").to_numpy(), 0.07, seed=1)
    typo = int(np.flatnonzero(~bad)[0])
    y[typo], bad[typo] = 1e8, True
    r = dvclean.score(df.with_columns(pl.Series("age", y)), label="age", config=ScoreConfig(seed=1, task="regression"))
    flagged = r.frame.get_column("is_mislabeled").to_numpy()
    z = r.frame.get_column("target_z").to_numpy()
    assert flagged[typo]
    assert (flagged & bad).sum() / bad.sum() >= 0.85  # measured: 0.90
    np.testing.assert_allclose(r.frame.get_column("mislabel_score").to_numpy(), np.abs(z) / (np.abs(z) + 3.5))
    np.testing.assert_array_equal(flagged, np.abs(z) > 3.5)
    (note,) = [n for n in r.summary["notes"] if "squared-error utility" in n]
    assert note.startswith(f"row {typo}'s data value holds ") and "its target is outlying" in note, note
    assert "fix or drop it and run again" in note, note


def test_no_dominance_note_on_clean_targets():
    df = pl.read_csv(SAMPLE).drop("income")
    r = dvclean.score(df, label="hours_per_week", config=ScoreConfig(seed=0, task="regression"))
    assert not [n for n in r.summary["notes"] if "squared-error utility" in n]


# -- pipeline and CLI end to end ---------------------------------------------------------------------------------------


def regression_csv(tmp_path: Path, n: int = 80, outliers: tuple[int, ...] = (5, 40)) -> Path:
    rng = np.random.default_rng(0)
    x1, x2 = rng.normal(size=n), rng.uniform(0, 1, n)
    target = 3.0 * x1 + 2.0 * x2 + rng.normal(size=n) + 0.001
    for i in outliers:
        target[i] += 25.0
    path = tmp_path / "data.csv"
    pl.DataFrame({"x1": x1, "x2": x2, "shop": ["a", "b"] * (n // 2), "target": target}).write_csv(path)
    return path


def test_score_auto_detects_regression_and_writes_the_columns(tmp_path):
    src = regression_csv(tmp_path)
    res = runner.invoke(app, ["score", str(src), "--label", "target", "--json", "--seed", "3"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"]["name"] == "regression" and doc["task"]["reason"] == "auto: float label with 80 distinct values"
    assert doc["classes"] == {} and doc["flags"]["meaning"] == "outlying target"
    df = pl.read_parquet(tmp_path / "data.dvclean.parquet")
    for col in ("value", "is_mislabeled", "mislabel_score", "neighbor_label", "predicted_value", "target_z", "is_hard"):
        assert col in df.columns
    assert "suggested_label" not in df.columns
    assert sorted(np.flatnonzero(df.get_column("is_mislabeled").to_numpy()).tolist()) == [5, 40]
    assert json.loads(pl.read_parquet_metadata(tmp_path / "data.dvclean.parquet")["dvclean"])["task"] == "regression"
    # the human summary announces the task; same seed, same scores
    res2 = runner.invoke(app, ["score", str(src), "-y", "target", "--seed", "3", "-o", str(tmp_path / "b.parquet")])
    assert res2.exit_code == 0 and "task: regression (auto: float label with 80 distinct values)" in res2.stdout
    assert "outlying targets" in res2.stdout
    assert pl.read_parquet(tmp_path / "b.parquet").equals(df)


def test_task_flags_refuse_clearly(tmp_path):
    src = regression_csv(tmp_path)
    res = runner.invoke(app, ["score", str(src), "-y", "target", "--task", "classification", "-q"])
    assert res.exit_code == 2 and "looks continuous" in res.stderr
    res = runner.invoke(app, ["score", str(src), "-y", "shop", "--task", "regression", "-q"])
    assert res.exit_code == 2 and "--task regression needs a numeric target" in res.stderr
    res = runner.invoke(app, ["score", str(src), "-y", "target", "-m", "dvgs", "-q"])
    assert res.exit_code == 2 and "supports classification only" in res.stderr and "knn" in res.stderr


def test_methods_list_their_tasks():
    res = runner.invoke(app, ["methods", "--json"])
    tasks = {m["name"]: m["tasks"] for m in json.loads(res.stdout)["methods"]}
    assert "regression" in tasks["knn"] and "regression" in tasks["oob"] and "regression" in tasks["tmc"]
    assert tasks["dvgs"] == ["classification"] and tasks["confidence"] == ["classification"]


def test_check_exit_codes_and_json_on_regression(tmp_path):
    src = regression_csv(tmp_path)
    res = runner.invoke(app, ["check", str(src), "-y", "target", "--max-mislabeled", "0", "--json"])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert doc["task"] == "regression" and doc["summary"]["mislabeled"] == 2 and doc["summary"]["classes"] == {}
    assert doc["checks"][0]["name"] == "outlying_targets" and doc["checks"][0]["status"] == "fail"
    schema = json.loads((Path(dvclean.__file__).parent / "schemas" / "check.schema.json").read_text())
    pattern = schema["$defs"]["check"]["properties"]["name"]["pattern"]
    assert all(re.match(pattern, c["name"]) for c in doc["checks"])
    res = runner.invoke(app, ["check", str(src), "-y", "target", "--max-mislabeled", "5%"])
    assert res.exit_code == 0, res.output
    assert "PASS outlying_targets 2 (2.50%)" in res.stdout


def test_fix_drop_and_mark_on_regression_relabel_refused(tmp_path):
    src = regression_csv(tmp_path)
    out = tmp_path / "fixed.csv"
    res = runner.invoke(app, ["fix", str(src), "-y", "target", "--action", "drop", "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["task"] == "regression" and doc["dropped"] == 2 and doc["changed_rows"] == [5, 40]
    fixed = pl.read_csv(out)
    assert fixed.height == 78 and fixed.columns == ["x1", "x2", "shop", "target"]
    res = runner.invoke(app, ["fix", str(src), "-y", "target", "--action", "relabel", "-o", str(tmp_path / "r.csv")])
    assert res.exit_code == 2 and "--action drop or --action mark" in res.stderr
    assert not (tmp_path / "r.csv").exists()
    marked = fix(pl.read_csv(src), label="target", config=FixConfig(action="mark"))
    assert marked.frame.get_column("dvclean_issue").drop_nulls().to_list() == ["outlying target"] * 2


def test_report_on_regression_does_not_crash(tmp_path):
    src = regression_csv(tmp_path)
    report = tmp_path / "r.html"
    res = runner.invoke(app, ["score", str(src), "-y", "target", "-q", "--report", str(report)])
    assert res.exit_code == 0, res.output
    html = report.read_text()
    assert "outlying targets" in html and "Regression target" in html
    res = runner.invoke(app, ["report", str(tmp_path / "data.dvclean.parquet"), "--data", str(src), "-q"])
    assert res.exit_code == 0, res.output


def test_other_methods_and_rules_on_regression():
    rng = np.random.default_rng(4)
    n = 60
    x = rng.normal(size=(n, 2))
    y = x[:, 0] - x[:, 1] + 0.1 * rng.normal(size=n) + 0.01
    y[7] += 6.0
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})
    cfg = ScoreConfig(
        methods=("oob", "tmc", "knn"), crossfit=CrossFitConfig(n_folds=3, n_jobs=1),
        tmc=TMCConfig(max_permutations=10), mislabel=MislabelConfig(rule="knn"),
    )
    r = dvclean.score(df, config=cfg)
    assert r.results["tmc"].params["metric"] == "r2" and r.results["oob"].params["task"] == "regression"
    assert int(np.argmin(r.results["oob"].values)) == 7
    assert r.frame.get_column("is_mislabeled").to_list()[7]
    assert r.summary["flags"]["rule"].startswith("outlier (|z| > 3.5 of the residual of the neighbors prediction")
    assert not math.isnan(r.summary["rank_correlations"]["oob~tmc"])


def test_missing_targets_validation_file_and_approximate_path():
    rng = np.random.default_rng(0)
    n = 150
    x = rng.normal(size=(n, 3))
    y = 2 * x[:, 0] + 0.5 * rng.normal(size=n) + 0.01
    y[3] += 10
    target = y.tolist()
    target[7], target[9] = None, float("nan")
    df = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": target}, strict=False)
    r = dvclean.score(df, label="y")
    assert r.summary["rows"]["label_missing"] == 2 and r.frame.get_column("is_mislabeled").to_list()[3]
    missing = r.frame.filter(pl.col("is_label_missing"))
    assert missing.get_column("value").null_count() == 2 and missing.get_column("predicted_value").null_count() == 2
    approx = dvclean.score(df, label="y", config=ScoreConfig(knn=dvclean.KNNConfig(algorithm="approx")))
    assert approx.results["knn"].status == "approximate"
    assert np.corrcoef(np.nan_to_num(approx.values), np.nan_to_num(r.values))[0, 1] > 0.9
    with_valid = dvclean.score(df.slice(40), label="y", valid=df.head(40))
    assert with_valid.summary["validation"] == "frame (38 rows)" and with_valid.results["knn"].status == "exact"
