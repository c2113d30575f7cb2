"""The scoring options are the same in `score`, `check` and `fix` (dvclean/cli/_scoring.py).

* the same settings, typed or from dvclean.toml, flag the same rows in all three commands;
* an option typed on the command line that none of the selected methods reads is refused (exit 2),
  while the same key in a configuration file is not (a shared file may hold keys for other methods);
* ``--expected-noise`` takes a percentage (``10%``) as well as a fraction.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.cli._scoring import USED_BY
from dvclean.config import BanzhafConfig, BetaConfig, CrossFitConfig, DVGSConfig, KNNConfig, ScoreConfig, TMCConfig
from dvclean.valuation import REGISTRY
from dvclean.valuation._checkpoint import RESUMABLE_METHODS
from tests.test_check import clusters

runner = CliRunner()
WIDE = {"COLUMNS": "400", "TERMINAL_WIDTH": "400"}
FLIPS = (3, 17, 44)
#: Cheap settings of the sampling methods (and in-process workers).
FAST = {
    "knn": [],
    "oob": [],
    "confidence": [],
    "tmc": ["--max-permutations", "2", "--folds", "2", "--n-jobs", "1"],
    "dvgs": ["--epochs", "1", "--folds", "2", "--n-jobs", "1"],
    "loo": ["--folds", "2", "--n-jobs", "1"],
    "banzhaf": ["--samples", "4", "--folds", "2", "--n-jobs", "1"],
    "beta": ["--samples", "2", "--folds", "2", "--n-jobs", "1"],
}


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    clusters(n_per_class=30, flips=FLIPS).write_csv(path)
    return path


def scores(data: Path, *args: str) -> pl.DataFrame:
    out = data.with_name("s.parquet")
    res = runner.invoke(app, ["score", str(data), "--id", "uid", "-q", "-o", str(out), *args], env=WIDE)
    assert res.exit_code == 0, res.output
    return pl.read_parquet(out)


def ids(frame: pl.DataFrame, column: str) -> set[str]:
    return set(frame.filter(pl.col(column)).get_column("uid").to_list())


def flagged_by_score(data: Path, *args: str) -> set[str]:
    return ids(scores(data, *args), "is_mislabeled")


def flagged_by_check(data: Path, *args: str) -> tuple[set[str], dict]:
    res = runner.invoke(app, ["check", str(data), "--id", "uid", "--json", "--exit-zero", *args], env=WIDE)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["flagged"]["key"] == "id"
    return set(doc["flagged"]["mislabeled"]), doc


def flagged_by_fix(data: Path, *args: str) -> set[str]:
    out = data.with_name("f.csv")
    res = runner.invoke(app, ["fix", str(data), "--id", "uid", "--action", "mark", "-o", str(out), "-q", *args],
                        env=WIDE)
    assert res.exit_code == 0, res.output
    return set(pl.read_csv(out).filter(pl.col("dvclean_issue").is_not_null()).get_column("uid").to_list())


# ------------------------------------------------------------------ the same flags in score, check and fix


def test_config_file_gives_the_same_flags_in_score_check_and_fix(data):
    """QA repro: top-level mislabel-rule / expected-noise applied to score and fix but not to check."""
    default = flagged_by_score(data, "-y", "y")
    (data.parent / "dvclean.toml").write_text('label = "y"\nmislabel-rule = "knn"\nexpected-noise = 0.2\n')
    scored = flagged_by_score(data)
    assert len(scored) == 12 and scored != default  # 20% of 60 rows: the file's settings were used
    checked, doc = flagged_by_check(data)
    assert checked == scored
    assert doc["config"]["mislabel"]["rule"] == "knn" and doc["config"]["mislabel"]["expected_noise"] == 0.2
    assert flagged_by_fix(data) == scored


def test_command_line_gives_the_same_flags_in_score_check_and_fix(data):
    args = ("-y", "y", "--mislabel-rule", "knn", "--expected-noise", "0.2", "--k", "3", "--seed", "4")
    scored = flagged_by_score(data, *args)
    assert len(scored) == 12
    assert flagged_by_check(data, *args)[0] == scored
    assert flagged_by_fix(data, *args) == scored


def test_method_and_its_options_give_the_same_flags_in_score_check_and_fix(data):
    """The flags follow the first method's values: check and fix take --method and its options too."""
    args = ("-y", "y", "-m", "loo,knn", "--model", "knn", "--folds", "3", "--n-jobs", "1", "--mislabel-rule", "knn",
            "--hard-frac", "0.2")
    frame = scores(data, *args)
    checked, doc = flagged_by_check(data, *args)
    assert checked == ids(frame, "is_mislabeled")
    assert set(doc["flagged"]["hard"]) == ids(frame, "is_hard") and len(doc["flagged"]["hard"]) >= 11  # 20%
    assert doc["methods"] == ["loo", "knn"]
    assert doc["config"]["tmc"]["model"] == "knn" and doc["config"]["crossfit"]["n_folds"] == 3
    report = str(data.with_name("fix.html"))
    assert flagged_by_fix(data, *args, "--report", report) == ids(frame, "is_mislabeled")
    res = runner.invoke(app, ["fix", str(data), *args, "-o", str(data.with_name("f2.csv"))], env=WIDE)
    assert res.exit_code == 2 and "fix acts on the mislabel flags only" in res.stderr  # without --report: no effect
    assert not data.with_name("f2.csv").exists()


def test_check_takes_a_validation_file(data, tmp_path):
    valid = tmp_path / "valid.csv"
    clusters(n_per_class=10, seed=3).write_csv(valid)
    args = ("-y", "y", "--valid", str(valid), "--mislabel-rule", "knn")
    checked, doc = flagged_by_check(data, *args)
    assert doc["summary"]["valued"] == 60 and doc["config"]["methods"] == ["knn"]
    assert checked == flagged_by_score(data, *args)
    res = runner.invoke(app, ["check", str(data), *args, "--junit-xml", str(valid)], env=WIDE)
    assert res.exit_code == 2 and "--junit-xml" in res.stderr  # never overwrites the validation file


# ------------------------------------------------------------------ options no selected method reads


REFUSED = [
    (["-m", "knn", "--model", "xgboost"], "--model", "tmc, loo, banzhaf and beta"),
    (["-m", "knn", "--metric", "auc"], "--metric", "tmc, loo, banzhaf and beta"),
    (["-m", "knn", "--samples", "10"], "--samples", "banzhaf and beta"),
    (["-m", "knn", "--max-permutations", "10"], "--max-permutations", "tmc"),
    (["-m", "knn", "--tolerance", "0"], "--tolerance", "tmc"),
    (["-m", "knn", "--convergence", "0"], "--convergence", "tmc"),
    (["-m", "knn", "--time-budget", "5"], "--time-budget", "tmc, banzhaf and beta"),
    (["-m", "knn", "--folds", "3"], "--folds", "tmc, dvgs, loo, banzhaf and beta"),
    (["-m", "knn", "--scheduler", "local"], "--scheduler", "tmc, dvgs, loo, banzhaf and beta"),
    (["-m", "knn", "--checkpoint-every", "3"], "--checkpoint-every", "tmc and dvgs"),
    (["-m", "knn", "--checkpoint", "x.ckpt"], "--checkpoint", "tmc and dvgs"),
    (["-m", "knn", "--resume"], "--resume", "tmc and dvgs"),
    (["-m", "oob", "--folds", "3"], "--folds", "tmc, dvgs, loo, banzhaf and beta"),
    (["-m", "oob", "--eps", "0.2"], "--eps", "knn"),
    (["-m", "confidence", "--algorithm", "exact"], "--algorithm", "knn"),
    (["-m", "confidence", "--exact-max-rows", "10"], "--exact-max-rows", "knn"),
    (["-m", "oob,confidence", "--valid", "{data}"], "--valid", "knn, tmc, dvgs, loo, banzhaf and beta"),
    (["-m", "tmc", "--epochs", "3"], "--epochs", "dvgs"),
    (["-m", "tmc", "--samples", "3"], "--samples", "banzhaf and beta"),
    (["-m", "dvgs", "--model", "xgboost"], "--model", "tmc, loo, banzhaf and beta"),
    (["-m", "dvgs", "--metric", "f1"], "--metric", "tmc, loo, banzhaf and beta"),
    (["-m", "loo,banzhaf,beta", "--max-permutations", "3"], "--max-permutations", "tmc"),
    (["-m", "banzhaf", "--checkpoint-every", "3"], "--checkpoint-every", "tmc and dvgs"),
]


#: Options that only some commands have: checkpoints (score, next to its output).
ONLY_IN = {"--checkpoint": ("score",), "--checkpoint-every": ("score",), "--resume": ("score",)}


@pytest.mark.parametrize(
    ("command", "args", "option", "users"),
    [
        pytest.param(command, *case, id=f"{command} {' '.join(case[0])}")
        for case in REFUSED for command in ONLY_IN.get(case[1], ("score", "check", "fix"))
    ],
)
def test_an_option_no_selected_method_reads_is_refused(data, command, args, option, users):
    args = [a.replace("{data}", str(data)) for a in args]
    out = ["-o", str(data.with_name("o.csv"))] if command != "check" else []
    res = runner.invoke(app, [command, str(data), "-y", "y", *out, *args], env=WIDE)
    assert res.exit_code == 2, res.output
    message = flat(res.stderr)
    assert message.count("error:") == 1 and "Traceback" not in res.output
    methods = args[1]
    assert f"{option} applies to {users} only" in message and f"--method {methods}" in message
    assert not data.with_name("o.csv").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-m", "knn", "--algorithm", "exact", "--eps", "0.2"], "--eps bounds the error of the approximate"),
        (["-m", "knn", "--algorithm", "approx", "--exact-max-rows", "10"], "--exact-max-rows chooses the path of"),
        (["-m", "tmc", "--valid", "{data}", "--folds", "3"], "--folds splits the rows for cross-fitting, which --valid"),
    ],
)
def test_an_option_the_other_options_make_idle_is_refused(data, args, message):
    args = [a.replace("{data}", str(data)) for a in args]
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(data.with_name("o.parquet")), *args],
                        env=WIDE)
    assert res.exit_code == 2 and message in flat(res.stderr), res.output


ACCEPTED = [
    ("eps", "knn", ["--eps", "0.2"], "eps", 0.2),
    ("algorithm", "knn", ["--algorithm", "approx"], "algorithm", "approx"),
    ("exact_max_rows", "knn", ["--exact-max-rows", "10"], "exact_max_rows", 10),
    ("model", "tmc", ["--model", "knn"], "model", "knn"),
    ("model", "loo", ["--model", "knn"], "model", "knn"),
    ("model", "banzhaf", ["--model", "knn"], "model", "knn"),
    ("model", "beta", ["--model", "knn"], "model", "knn"),
    ("metric", "tmc", ["--metric", "f1"], "metric", "f1"),
    ("metric", "loo", ["--metric", "f1"], "metric", "f1"),
    ("metric", "banzhaf", ["--metric", "f1"], "metric", "f1"),
    ("metric", "beta", ["--metric", "f1"], "metric", "f1"),
    ("folds", "tmc", ["--folds", "3"], "n_folds", 3),
    ("folds", "dvgs", ["--folds", "3"], "n_folds", 3),
    ("folds", "loo", ["--folds", "3"], "n_folds", 3),
    ("folds", "banzhaf", ["--folds", "3"], "n_folds", 3),
    ("folds", "beta", ["--folds", "3"], "n_folds", 3),
    ("max_permutations", "tmc", ["--max-permutations", "3"], "max_permutations", 3),
    ("tolerance", "tmc", ["--tolerance", "0"], "tolerance", 0.0),
    ("convergence", "tmc", ["--convergence", "0"], "convergence", 0.0),
    ("time_budget", "tmc", ["--time-budget", "60"], "time_budget", 60.0),
    ("time_budget", "banzhaf", ["--time-budget", "60"], "time_budget", 60.0),
    ("time_budget", "beta", ["--time-budget", "60"], "time_budget", 60.0),
    ("epochs", "dvgs", ["--epochs", "2"], "epochs", 2),
    ("samples", "banzhaf", ["--samples", "6"], "samples", 6),
    ("samples", "beta", ["--samples", "3"], "samples", 3),
    ("n_jobs", "tmc", ["--n-jobs", "1"], "n_jobs", 1),
    ("n_jobs", "dvgs", ["--n-jobs", "1"], "n_jobs", 1),
    ("n_jobs", "loo", ["--n-jobs", "1"], "n_jobs", 1),
    ("n_jobs", "banzhaf", ["--n-jobs", "1"], "n_jobs", 1),
    ("n_jobs", "beta", ["--n-jobs", "1"], "n_jobs", 1),
]


def test_every_option_method_pair_is_covered():
    """ACCEPTED has a run for every (option, method) of USED_BY, except the ones tested elsewhere."""
    elsewhere = {"valid", "scheduler", "checkpoint", "checkpoint_every", "resume"}
    covered = {(option, method) for option, method, *_ in ACCEPTED if option in USED_BY}
    wanted = {(o, m) for o, users in USED_BY.items() if o not in elsewhere for m in users}
    assert covered == wanted
    assert all(m in REGISTRY for users in USED_BY.values() for m in users)
    assert USED_BY["checkpoint"] == USED_BY["checkpoint_every"] == USED_BY["resume"] == RESUMABLE_METHODS


@pytest.mark.parametrize(("option", "method", "args", "param", "expected"), ACCEPTED,
                         ids=[f"{a[1]} {' '.join(a[2])}" for a in ACCEPTED])
def test_an_option_is_accepted_with_a_method_that_reads_it(data, option, method, args, param, expected):
    """The method records the typed value among the parameters it ran with (so it does read it)."""
    fast = without(FAST[method], args[0])  # the tested value replaces the fast one
    out = data.with_name("o.parquet")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--json", "--mislabel-rule", "knn", "-o", str(out),
                              "-m", method, *fast, *args], env=WIDE)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["methods"][method]["params"][param] == expected


def without(args: list[str], flag: str) -> list[str]:
    """``args`` less ``flag`` and its value."""
    if flag not in args:
        return list(args)
    i = args.index(flag)
    return args[:i] + args[i + 2:]


def test_valid_and_checkpoints_are_accepted_with_the_methods_that_read_them(data, tmp_path):
    valid = tmp_path / "valid.csv"
    clusters(n_per_class=10, seed=3).write_csv(valid)
    for method in USED_BY["valid"]:
        res = runner.invoke(app, ["score", str(data), "-y", "y", "--json", "-q", "--mislabel-rule", "knn",
                                  "-o", str(tmp_path / "o.parquet"), "-m", method, "--valid", str(valid),
                                  *without(FAST[method], "--folds")], env=WIDE)
        assert res.exit_code == 0, (method, res.output)
        assert json.loads(res.stdout)["validation"] == "file (20 rows)"
    for method in USED_BY["checkpoint"]:
        res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "--mislabel-rule", "knn", "-o",
                                  str(tmp_path / "o.parquet"), "-m", method, *FAST[method],
                                  "--checkpoint", str(tmp_path / f"{method}.ckpt"), "--checkpoint-every", "1",
                                  "--resume"], env=WIDE)
        assert res.exit_code == 0, (method, res.output)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_a_method_does_not_read_the_options_refused_with_it(method):
    """Every option USED_BY does not list for a method, set to another value (a bad Dask address even),
    changes none of that method's values or recorded parameters: the refusals refuse only idle options."""
    df = clusters(n_per_class=15, flips=(2, 20))
    cheap = ScoreConfig(
        methods=(method,), tmc=TMCConfig(max_permutations=2), dvgs=DVGSConfig(epochs=1),
        banzhaf=BanzhafConfig(samples=4), beta=BetaConfig(samples=2), crossfit=CrossFitConfig(n_folds=2, n_jobs=1),
    )
    base = dvclean.score(df, label="y", config=cheap)

    def idle(name: str) -> bool:
        return method not in USED_BY[name]

    k = cheap.knn
    other = ScoreConfig(
        methods=(method,),
        knn=KNNConfig(k=k.k, eps=0.5 if idle("eps") else k.eps, algorithm="approx" if idle("algorithm") else k.algorithm,
                      exact_max_rows=3 if idle("exact_max_rows") else k.exact_max_rows),
        tmc=TMCConfig(
            model="xgboost" if idle("model") else "logreg", metric="logloss" if idle("metric") else "accuracy",
            max_permutations=7 if idle("max_permutations") else 2, tolerance=0.5 if idle("tolerance") else 0.01,
            convergence=0.5 if idle("convergence") else 0.05, time_budget=0.001 if idle("time_budget") else None,
        ),
        dvgs=DVGSConfig(epochs=3 if idle("epochs") else 1),
        banzhaf=BanzhafConfig(samples=9 if idle("samples") else 4),
        beta=BetaConfig(samples=5 if idle("samples") else 2),
        crossfit=CrossFitConfig(
            n_folds=3 if idle("folds") else 2, n_jobs=1,
            scheduler="tcp://127.0.0.1:9" if idle("scheduler") else None,
        ),
    )
    again = dvclean.score(df, label="y", config=other)
    assert again.summary["methods"][method]["params"] == base.summary["methods"][method]["params"]
    assert again.frame.get_column("value").to_list() == base.frame.get_column("value").to_list()


def test_config_file_keys_for_other_methods_are_not_refused(data):
    """A shared dvclean.toml may hold every method's settings: only typed options are refused."""
    (data.parent / "dvclean.toml").write_text(
        'label = "y"\nmodel = "xgboost"\nmetric = "auc"\nsamples = 10\nepochs = 3\nfolds = 3\nn-jobs = 1\n'
        'max-permutations = 5\ntime-budget = 30\nalgorithm = "exact"\neps = 0.2\n'
        '[score]\ncheckpoint-every = 3\nresume = true\n'
    )
    out = data.with_name("o.parquet")
    for command, extra in (("score", ["-o", str(out)]), ("check", ["--max-mislabeled", "50%"]),
                           ("fix", ["-o", str(data.with_name("f.csv"))])):
        res = runner.invoke(app, [command, str(data), "-m", "knn", "-q", *extra], env=WIDE)
        assert res.exit_code == 0, (command, res.output)
    res = runner.invoke(app, ["score", str(data), "-q", "-o", str(out), "--model", "knn"], env=WIDE)
    assert res.exit_code == 2 and "--model applies to" in flat(res.stderr)  # typed: refused as before


def test_options_from_the_command_line_are_refused_against_methods_from_the_file(data):
    (data.parent / "dvclean.toml").write_text('label = "y"\nmethod = "oob"\n')
    res = runner.invoke(app, ["check", str(data), "--epochs", "3"], env=WIDE)
    assert res.exit_code == 2 and "--epochs applies to dvgs only, and --method oob does not run it" in flat(res.stderr)


# ------------------------------------------------------------------ --expected-noise as a percentage


@pytest.mark.parametrize("command", ["score", "check", "fix"])
def test_expected_noise_takes_a_percentage(data, command):
    flagged = {"score": flagged_by_score, "check": lambda *a: flagged_by_check(*a)[0], "fix": flagged_by_fix}[command]
    as_percent = flagged(data, "-y", "y", "--mislabel-rule", "knn", "--expected-noise", "10%")
    assert len(as_percent) == 6
    assert flagged(data, "-y", "y", "--mislabel-rule", "knn", "--expected-noise", "0.1") == as_percent
    (data.parent / "dvclean.toml").write_text('label = "y"\nmislabel-rule = "knn"\nexpected-noise = "10%"\n')
    assert flagged(data) == as_percent


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("150%", "a percentage must be between 0% and 100%"),
        ("0%", "a percentage must be between 0% and 100%"),
        ("ten%", "expected a fraction such as 0.05 or a percentage such as 5%"),
        ("2", "--expected-noise must be a float in (0, 1); got 2.0 (a percentage? write 2%)."),
    ],
)
def test_expected_noise_refuses_what_is_no_fraction(data, value, message):
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--expected-noise", value], env=WIDE)
    assert res.exit_code == 2 and message in flat(res.stderr), res.output


def test_help_groups_the_scoring_options():
    for command in ("score", "check", "fix"):
        res = runner.invoke(app, [command, "--help"], env=WIDE)
        assert res.exit_code == 0
        assert "Scoring (the same in score, check and fix)" in res.stdout
        assert "Model-based methods (tmc, dvgs, loo, banzhaf, beta)" in res.stdout
        for option in ("--method", "--mislabel-rule", "--expected-noise", "--model", "--samples", "--epochs"):
            assert option in res.stdout, (command, option)
        assert "--valid " in res.stdout
        assert ("--resume " in res.stdout) == (command == "score")


def test_fix_takes_a_validation_file_and_flags_what_score_flags(data, tmp_path):
    """A top-level `valid = ...` in dvclean.toml was used by score and check but silently ignored by fix."""
    valid = tmp_path / "valid.csv"
    clusters(n_per_class=10, seed=3).write_csv(valid)
    (tmp_path / "dvclean.toml").write_text(f'valid = "{valid.as_posix()}"\nmislabel-rule = "knn"\n', encoding="utf-8")
    scored = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "s.parquet"), "-q"])
    assert scored.exit_code == 0, scored.output
    flagged = pl.read_parquet(tmp_path / "s.parquet").get_column("is_mislabeled").to_list()
    fixed = runner.invoke(app, ["fix", str(data), "-y", "y", "--action", "mark", "-o", str(tmp_path / "f.csv"), "-q"])
    assert fixed.exit_code == 0, fixed.output
    marked = pl.read_csv(tmp_path / "f.csv").get_column("dvclean_issue").is_not_null().to_list()
    assert marked == flagged and any(flagged)
    res = runner.invoke(app, ["fix", str(data), "-y", "y", "--valid", str(valid), "-o", str(valid)])
    assert res.exit_code == 2  # never overwrites the validation file
