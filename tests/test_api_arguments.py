"""Wrong argument types in the documented Python API fail at once with a message that says how to fix them.

Each case used to fail deep inside with an ``AttributeError`` (or later, in another function).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.check import CheckOutcome, CheckPolicy, evaluate_check, load_baseline
from dvclean.config import (
    FixConfig,
    FlagPolicy,
    KNNConfig,
    MislabelConfig,
    ScoreConfig,
    TMCConfig,
)
from dvclean.errors import ConfigError
from dvclean.fix import fix
from dvclean.report import build_report
from dvclean.valuation import REGISTRY


def _frame(n: int = 60, seed: int = 0) -> pl.DataFrame:
    """Two separated blobs with a few flipped labels."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    x = rng.normal(0.0, 1.0, (n, 2)) + y[:, None] * 4.0
    y[[3, 40]] = 1 - y[[3, 40]]
    return pl.DataFrame({"f1": x[:, 0], "f2": x[:, 1], "y": y})


@pytest.fixture(scope="module")
def result() -> dvclean.ScoreResult:
    return dvclean.score(_frame(), label="y")


# -- 1. ScoreConfig: sub-configurations and method names ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("knn", {"k": 3}, "KNNConfig"),
        ("tmc", {"model": "logreg"}, "TMCConfig"),
        ("flags", FlagPolicy, "FlagPolicy"),  # the class, not an instance
        ("mislabel", "consensus", "MislabelConfig"),
        ("knn", TMCConfig(), "KNNConfig"),  # another section's settings
        ("crossfit", None, "CrossFitConfig"),
    ],
)
def test_score_config_refuses_a_section_of_the_wrong_type(name, value, expected):
    with pytest.raises(ConfigError) as err:
        ScoreConfig(**{name: value})
    msg = str(err.value)
    assert f"'{name}' parameter of ScoreConfig" in msg and expected in msg and repr(value) in msg


def test_score_config_section_message_shows_how_to_build_it():
    with pytest.raises(ConfigError, match=r"knn=KNNConfig\(k=3\)"):
        ScoreConfig(knn={"k": 3})


def test_score_config_accepts_its_sections():
    cfg = ScoreConfig(knn=KNNConfig(k=3), mislabel=MislabelConfig(rule="knn"), tmc=TMCConfig(model="knn"))
    assert cfg.knn.k == 3 and cfg.mislabel.rule == "knn" and cfg.tmc.model == "knn"


def test_score_config_refuses_an_unknown_method_when_built():
    with pytest.raises(ConfigError, match=r"unknown method 'foo'; available: knn, .*\(see `dvclean methods`\)"):
        ScoreConfig(methods=("knn", "foo"))


def test_score_config_accepts_every_registered_method():
    assert ScoreConfig(methods=tuple(REGISTRY)).methods == tuple(REGISTRY)


# -- 2. evaluate_check: result, policy and baseline ------------------------------------------------------------------


def test_evaluate_check_refuses_a_frame_as_the_result(result):
    with pytest.raises(TypeError, match=r"ScoreResult of dvclean.score.*got a polars DataFrame.*run dvclean.score"):
        evaluate_check(result.frame, CheckPolicy())


def test_evaluate_check_refuses_a_path_as_the_result(result):
    with pytest.raises(TypeError, match=r"ScoreResult.*got the string 'scores.parquet'"):
        evaluate_check("scores.parquet", CheckPolicy())


def test_evaluate_check_refuses_a_dict_as_the_policy(result):
    with pytest.raises(TypeError, match=r"CheckPolicy.*got a dict.*CheckPolicy\(max_mislabeled='2%'\)"):
        evaluate_check(result, {"max_mislabeled": "2%"})


def test_evaluate_check_refuses_a_score_config_as_the_policy(result):
    with pytest.raises(TypeError, match=r"policy.*CheckPolicy.*got a dvclean.config.ScoreConfig; a ScoreConfig goes to dvclean.score"):
        evaluate_check(result, ScoreConfig())


def test_evaluate_check_without_a_policy_is_the_gate_without_thresholds(result):
    out = evaluate_check(result, None)
    assert isinstance(out, CheckOutcome) and out.status == "pass" and out.checks == ()
    assert any("no thresholds are set" in n for n in out.notes)
    assert out.to_dict() == evaluate_check(result, CheckPolicy()).to_dict()
    assert evaluate_check(result).to_dict() == out.to_dict()


def test_evaluate_check_reads_a_baseline_path(result, tmp_path):
    path = tmp_path / "check.json"
    path.write_text(json.dumps(evaluate_check(result, CheckPolicy()).to_dict()), encoding="utf-8")
    policy = CheckPolicy(max_new_mislabeled=0)
    expected = evaluate_check(result, policy, baseline=load_baseline(path)).to_dict()
    for given in (path, str(path)):
        out = evaluate_check(result, policy, baseline=given)
        assert out.status == "pass" and out.to_dict() == expected


def test_evaluate_check_baseline_path_that_is_missing_is_an_input_error(result, tmp_path):
    with pytest.raises(dvclean.InputError, match="no such file"):
        evaluate_check(result, CheckPolicy(max_new_mislabeled=0), baseline=str(tmp_path / "nope.json"))


def test_evaluate_check_refuses_a_baseline_of_another_type(result):
    with pytest.raises(TypeError, match=r"baseline=.*load_baseline\(path\).*got a dict"):
        evaluate_check(result, CheckPolicy(max_new_mislabeled=0), baseline={"flagged": {}})


# -- 3. fix: config= and score_config= -------------------------------------------------------------------------------


def test_fix_refuses_a_score_config_as_config():
    with pytest.raises(TypeError, match=r"config= takes a FixConfig.*got a dvclean.config.ScoreConfig; pass the ScoreConfig as score_config="):
        fix(_frame(), label="y", config=ScoreConfig())


def test_fix_refuses_a_fix_config_as_score_config():
    with pytest.raises(TypeError, match=r"score_config= takes a ScoreConfig.*got a dvclean.config.FixConfig; pass the FixConfig as config="):
        fix(_frame(), label="y", score_config=FixConfig())


def test_fix_refuses_a_dict_as_config():
    with pytest.raises(TypeError, match=r"config= takes a FixConfig.*got a dict.*FixConfig\(action='drop'\)"):
        fix(_frame(), label="y", config={"action": "drop"})


# -- 4. build_report: the ScoreResult, not its frame or a file ------------------------------------------------------


def test_build_report_refuses_the_scores_frame(result):
    with pytest.raises(TypeError, match=r"ScoreResult.*got a polars DataFrame.*build_report_from_files"):
        build_report(result.frame)


@pytest.mark.parametrize("path", ["scores.parquet", Path("scores.parquet")])
def test_build_report_refuses_a_scores_file(path):
    with pytest.raises(TypeError, match=r"ScoreResult.*scores.parquet.*build_report_from_files\('scores.parquet'"):
        build_report(path)


def test_build_report_refuses_a_policy_as_the_outcome(result):
    with pytest.raises(TypeError, match=r"outcome.*CheckOutcome.*got a dvclean.check.CheckPolicy.*evaluate_check"):
        build_report(result, outcome=CheckPolicy(max_mislabeled="2%"))


def test_build_report_names_the_scores_of_a_fix_result():
    fixed = fix(_frame(), label="y")
    with pytest.raises(TypeError, match=r"FixResult.*\.scores"):
        build_report(fixed)
    assert build_report(fixed.scores).meta["rows"] == 60
