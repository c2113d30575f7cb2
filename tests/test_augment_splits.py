"""``augment --evaluate --splits``: the comparison repeated on new splits, intervals over the splits."""

from __future__ import annotations

import json
import math

import numpy as np
import polars as pl
import pytest
from scipy import stats
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment
from dvclean.augment.evaluate import plan_evaluation, resampled_ci, split_seeds
from dvclean.cli import app
from dvclean.errors import ConfigError
from dvclean.table import make_table

from .conftest import needs_sdv

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("sdv_home")


def frame(n: int = 240, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({
        "x1": y * 1.5 + rng.normal(0, 1.0, n),
        "x2": rng.normal(0, 1, n) + 0.5 * y,
        "city": [["Lyon", "Oslo", "Kyiv"][int(v)] for v in rng.integers(0, 3, n)],
        "label": [("no", "yes")[int(v)] for v in y],
    })


def fast(**kw) -> AugmentConfig:
    base = {"generator": "gaussian-copula", "quality": False, "xgb_max_rounds": 60, "xgb_early_stopping": 10,
            "evaluate": True, "repeats": 2, "target": "all"}
    base.update(kw)
    return AugmentConfig(**base)


def test_resampled_ci_is_nadeau_bengio_by_hand():
    means = [0.010, -0.004, 0.020, 0.003]
    got = resampled_ci(means, test_over_train=0.125)
    m = sum(means) / 4
    s2 = sum((v - m) ** 2 for v in means) / 3
    half = stats.t.ppf(0.975, 3) * math.sqrt((1 / 4 + 0.125) * s2)
    assert got["mean"] == pytest.approx(m)
    assert got["ci95"] == pytest.approx(half)
    # wider than the naive t-interval over the splits, which ignores that they share training rows
    assert got["ci95"] > stats.t.ppf(0.975, 3) * math.sqrt(s2 / 4)
    assert resampled_ci([0.5], 0.1) == {"mean": 0.5, "ci95": None}


def test_split_seeds_and_plans_differ():
    cfg = fast(splits=3, seed=7)
    assert split_seeds(cfg) == [7, 8, 9]
    table = make_table(frame(), label="label")
    plans = [plan_evaluation(table, cfg, seed=s) for s in split_seeds(cfg)]
    holds = [tuple(p.hold.tolist()) for p in plans]
    assert len(set(holds)) == 3
    assert plan_evaluation(table, cfg).hold.tolist() == plans[0].hold.tolist()


def test_splits_must_be_a_positive_int():
    with pytest.raises(ConfigError, match="splits"):
        AugmentConfig(splits=0)


@needs_sdv
def test_splits_repeat_the_comparison_and_the_interval_is_over_split_means():
    df = frame()
    one = augment(df, label="label", config=fast()).report["evaluation"]
    three = augment(df, label="label", config=fast(splits=3)).report["evaluation"]
    assert one["splits"] == 1 and three["splits"] == 3
    assert "one split" in one["verdict"] and "3 splits x 2 seeds" in three["verdict"]
    assert [p["seed"] for p in three["per_split"]] == [0, 1, 2]
    # the first split is the one-split run, repetition for repetition
    assert three["per_split"][0] == one["per_split"][0]
    assert three["arms"]["baseline"]["auc"]["values"][:2] == one["arms"]["baseline"]["auc"]["values"]
    assert len(three["arms"]["targeted"]["auc"]["values"]) == 6
    # the interval is the corrected resampled t over the three splits' mean differences
    base = np.array(three["arms"]["baseline"]["auc"]["values"]).reshape(3, 2)
    targ = np.array(three["arms"]["targeted"]["auc"]["values"]).reshape(3, 2)
    split_means = (targ - base).mean(axis=1)
    assert [p["delta_auc.targeted"] for p in three["per_split"]] == pytest.approx(split_means.tolist())
    hold, train = three["split"]["holdout"], three["split"]["train"]
    want = resampled_ci(split_means.tolist(), hold / train)
    assert three["arms"]["targeted"]["delta_auc"]["mean"] == pytest.approx(want["mean"])
    assert three["arms"]["targeted"]["delta_auc"]["ci95"] == pytest.approx(want["ci95"])
    # the baseline's interval now covers the split: the splits' holdout AUCs differ (two of three may coincide: an AUC
    # on 24 holdout rows is one of about 150 fractions)
    assert len({round(v, 6) for v in base.mean(axis=1)}) >= 2
    # same seed, same numbers
    again = augment(df, label="label", config=fast(splits=3)).report["evaluation"]
    assert again["arms"] == three["arms"]


@needs_sdv
def test_splits_with_a_holdout_file_is_refused(tmp_path):
    df = frame(300)
    data, hold = tmp_path / "d.csv", tmp_path / "h.csv"
    df.head(240).write_csv(data)
    df.tail(60).write_csv(hold)
    res = runner.invoke(app, ["augment", str(data), "-y", "label", "-g", "gaussian-copula", "--evaluate",
                              "--holdout", str(hold), "--splits", "3", "-q"])
    assert res.exit_code == 2, res.output
    assert "--splits" in res.output and "--holdout" in res.output
    assert not list(tmp_path.glob("d.augmented*"))


@needs_sdv
def test_splits_without_evaluate_is_refused_and_the_cli_reports_splits(tmp_path):
    df = frame()
    data = tmp_path / "d.csv"
    df.write_csv(data)
    res = runner.invoke(app, ["augment", str(data), "-y", "label", "-g", "gaussian-copula", "--splits", "2", "-q"])
    assert res.exit_code == 2, res.output
    assert "--splits" in res.output and "--evaluate" in res.output
    res = runner.invoke(app, ["augment", str(data), "-y", "label", "-g", "gaussian-copula", "--target", "all",
                              "--evaluate", "--repeats", "2", "--splits", "2", "--json", "--report", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["evaluation"]["splits"] == 2 and doc["config"]["splits"] == 2
    assert "corrected resampled t-interval (Nadeau &amp; Bengio 2003) over the means of 2 splits" in (
        tmp_path / "r.html").read_text(encoding="utf-8")
    res = runner.invoke(app, ["augment", str(data), "-y", "label", "-g", "gaussian-copula", "--target", "all",
                              "--evaluate", "--repeats", "2", "--splits", "2", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    flat = " ".join(res.stdout.split())
    assert "XGBoost over 2 splits x 2 seeds: mean ± 95% CI over the splits" in flat
    assert "(95% CIs over 2 splits x 2 seeds)" in flat


@needs_sdv
def test_library_refuses_splits_with_a_holdout_before_valuing():
    df = frame(300)
    with pytest.raises(ConfigError, match="--splits 2 re-draws the holdout"):
        augment(df.head(240), label="label", holdout=df.tail(60), config=fast(splits=2))
