"""--resume: an interrupted TMC / DVGS run continued from its checkpoint equals an uninterrupted run, bit for bit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import polars as pl
import pytest
from sklearn.datasets import make_classification
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.config import CrossFitConfig, DVGSConfig, MislabelConfig, ScoreConfig, TMCConfig
from dvclean.errors import ConfigError
from dvclean.table import ValuationData
from dvclean.valuation._checkpoint import Checkpoint
from dvclean.valuation.dvgs import DVGS
from dvclean.valuation.tmc import Game, TMCShapley, tmc_shapley

from .conftest import SAMPLE


def make_data(n: int = 80, seed: int = 0) -> ValuationData:
    x, y = make_classification(n_samples=n, n_features=5, n_informative=3, flip_y=0.1, random_state=seed)
    return ValuationData(x=x, y=y, rows=np.arange(n), classes=np.array(["a", "b"]))


def interrupt_after(calls: int):
    """A progress callback that raises KeyboardInterrupt (Ctrl-C) on its ``calls``-th call."""
    seen = [0]

    def progress(step: str, done: int, total: int) -> None:
        seen[0] += 1
        if seen[0] == calls:
            raise KeyboardInterrupt

    return progress


def same_result(a, b, *, same_schedule: bool = True) -> None:
    assert np.array_equal(a.values, b.values)
    assert np.array_equal(a.stderr, b.stderr)
    assert a.status == b.status
    drop = {"seconds", "resumed_from"}
    if not same_schedule:  # other rounds: work discarded after a convergence stop differs, the values do not
        drop |= {"utility_evaluations", "model_fits", "degenerate_subsets"}
    assert {k: v for k, v in a.diagnostics.items() if k not in drop} == {
        k: v for k, v in b.diagnostics.items() if k not in drop
    }


# a small window and a loose threshold: two folds stop on convergence after the resume, decided by the restored
# history (at 20 and 15 permutations; the interrupt comes after 14), one at the cap
TMC = TMCConfig(max_permutations=24, convergence=0.25, convergence_window=3, batch_size=2)


@pytest.mark.parametrize(("every", "resume_jobs"), [(1, 1), (1000, 2)])
def test_tmc_interrupted_then_resumed_equals_uninterrupted(tmp_path, every, resume_jobs):
    data = make_data()
    ref = TMCShapley(TMC, CrossFitConfig(n_folds=3, n_jobs=1)).value(data, seed=5)
    path = tmp_path / "run.checkpoint"
    # every=1: saved after each round; every=1000: only the save made while the interrupt propagates
    with pytest.raises(KeyboardInterrupt):
        TMCShapley(TMC, CrossFitConfig(n_folds=3, n_jobs=1)).value(
            data, seed=5, progress=interrupt_after(8), checkpoint=Checkpoint(path, every=every))  # (call 1: the start)
    assert path.exists()
    ck = Checkpoint(path, every=every)
    assert ck.sections == ["tmc"]
    res = TMCShapley(TMC, CrossFitConfig(n_folds=3, n_jobs=resume_jobs)).value(data, seed=5, checkpoint=ck)
    same_result(ref, res, same_schedule=resume_jobs == 1)
    assert res.diagnostics["stop"] == ["max_permutations", "convergence", "convergence"]
    resumed = res.diagnostics["resumed_from"]
    assert resumed == [14, 14, 14]  # 7 rounds of 2 permutations per fold: it really continued a partial run
    # the finished state stays until removed, and resumes instantly to the same values
    again = TMCShapley(TMC, CrossFitConfig(n_folds=3, n_jobs=1)).value(data, seed=5, checkpoint=path)
    assert again.diagnostics["resumed_from"] == again.diagnostics["permutations"]
    same_result(ref, again)
    ck.remove()
    assert not path.exists()


def test_interrupt_inside_a_permutation_of_a_toy_game(tmp_path):
    w = np.linspace(-1.0, 2.0, 14)

    def game_utility(fail_after: int | None):
        calls = [0]

        def u(idx: np.ndarray) -> float:
            calls[0] += 1
            if fail_after is not None and calls[0] > fail_after:
                raise KeyboardInterrupt
            return float(np.tanh(w[idx].sum() / 3))

        return u

    cfg = TMCConfig(max_permutations=30, convergence=0.0, batch_size=3)
    ref = tmc_shapley([Game(game_utility(None), 14, seed=1), Game(game_utility(None), 14, seed=2)], cfg)
    path = tmp_path / "toy.checkpoint"
    with pytest.raises(KeyboardInterrupt):  # mid-permutation, mid-round: the last whole round is saved
        tmc_shapley([Game(game_utility(150), 14, seed=1), Game(game_utility(None), 14, seed=2)], cfg,
                    checkpoint=Checkpoint(path, every=1000))
    res = tmc_shapley([Game(game_utility(None), 14, seed=1), Game(game_utility(None), 14, seed=2)], cfg,
                      checkpoint=str(path))
    assert 0 < res[0].diagnostics["resumed_from_permutation"] < 30
    for a, b in zip(ref, res, strict=True):
        assert np.array_equal(a.values, b.values) and np.array_equal(a.stderr, b.stderr)
        assert a.n_permutations == b.n_permutations and a.stop == b.stop


def test_dvgs_interrupted_after_one_restart_then_resumed_equals_uninterrupted(tmp_path):
    data = make_data(60)
    valuer = DVGS(DVGSConfig(epochs=4, restarts=2, hidden=8, batch_size=16), CrossFitConfig(n_folds=2, n_jobs=1))
    ref = valuer.value(data, seed=2)
    path = tmp_path / "dvgs.checkpoint"
    with pytest.raises(KeyboardInterrupt):
        # (the first report, 0 done, starts the bar; the second follows the first restart)
        valuer.value(data, seed=2, progress=interrupt_after(2), checkpoint=Checkpoint(path, every=1))
    ck = Checkpoint(path, every=1)
    assert ck.sections == ["dvgs"]
    done = []
    res = valuer.value(data, seed=2, checkpoint=ck, progress=lambda step, d, total: done.append(d))
    assert done == [1, 2, 3, 4]  # the first restart was not rerun: the bar starts at it
    assert res.diagnostics["resumed_from"] == [1, 0]  # fold 0's first restart came from the checkpoint
    assert "resumed_from" not in ref.diagnostics
    same_result(ref, res)


def test_several_methods_keep_separate_sections_and_finished_ones_are_not_rerun(tmp_path):
    frame = pl.read_csv(SAMPLE, null_values=["", "?"]).head(150)
    config = ScoreConfig(
        methods=("knn", "tmc", "dvgs"), seed=3, mislabel=MislabelConfig(rule="knn"),
        tmc=TMCConfig(max_permutations=6, convergence=0.0), dvgs=DVGSConfig(epochs=3),
        crossfit=CrossFitConfig(n_folds=2, n_jobs=1),
    )
    ref = dvclean.score(frame, label="income", config=config)
    path = tmp_path / "multi.checkpoint"

    def stop_in_dvgs(step: str, done: int, total: int) -> None:
        if step == "dvgs restarts" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        dvclean.score(frame, label="income", config=config, progress=stop_in_dvgs,
                      checkpoint=Checkpoint(path, every=1))
    ck = Checkpoint(path, every=1)
    assert sorted(ck.sections) == ["dvgs", "tmc"]
    res = dvclean.score(frame, label="income", config=config, checkpoint=ck)
    tmc_diag = res.results["tmc"].diagnostics
    assert tmc_diag["resumed_from"] == tmc_diag["permutations"] == [6, 6]  # tmc had finished: nothing rerun
    assert res.frame.equals(ref.frame)


def test_mismatched_or_foreign_checkpoint_is_refused(tmp_path):
    data = make_data(40)
    cfg = TMCConfig(max_permutations=4, convergence=0.0)
    path = tmp_path / "a.checkpoint"
    TMCShapley(cfg, CrossFitConfig(n_folds=2, n_jobs=1)).value(data, seed=1, checkpoint=Checkpoint(path, every=1))
    with pytest.raises(ConfigError, match=r"different tmc run \(seed: 1 there, 2 now\); delete it"):
        TMCShapley(cfg, CrossFitConfig(n_folds=2, n_jobs=1)).value(data, seed=2, checkpoint=path)
    with pytest.raises(ConfigError, match="the data differ"):
        TMCShapley(cfg, CrossFitConfig(n_folds=2, n_jobs=1)).value(make_data(40, seed=9), seed=1, checkpoint=path)
    with pytest.raises(ConfigError, match=r"tmc.max_permutations: 4 there, 5 now"):
        TMCShapley(TMCConfig(max_permutations=5, convergence=0.0), CrossFitConfig(n_folds=2, n_jobs=1)).value(
            data, seed=1, checkpoint=path)
    # settings that cannot change the values may differ
    TMCShapley(TMCConfig(max_permutations=4, convergence=0.0, batch_size=1, time_budget=60.0),
               CrossFitConfig(n_folds=2, n_jobs=1)).value(data, seed=1, checkpoint=path)
    with pytest.raises(ConfigError, match="already exists"):
        Checkpoint(path, resume=False)
    junk = tmp_path / "junk.checkpoint"
    junk.write_text("not a checkpoint")
    with pytest.raises(ConfigError, match=r"is not a dvclean checkpoint \(not a NumPy .npz archive\)") as exc:
        Checkpoint(junk)
    assert "pickle" not in str(exc.value) and "delete it" not in str(exc.value)  # (NumPy's advice; maybe a user file)
    truncated = tmp_path / "cut.checkpoint"
    truncated.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ConfigError, match="not a readable dvclean checkpoint"):
        Checkpoint(truncated)


# -- end to end through the CLI ----------------------------------------------------------------------------------------

CLI_ARGS = ["-y", "income", "--method", "tmc", "--folds", "2", "--max-permutations", "40", "--convergence", "0",
            "--n-jobs", "1", "--seed", "7", "--mislabel-rule", "knn", "--checkpoint-every", "2", "-q"]


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("resume") / "small.csv"
    pl.read_csv(SAMPLE, null_values=["", "?"]).head(200).write_csv(path)
    return path


def test_cli_killed_run_resumes_to_the_same_output_bytes(small_csv, tmp_path):
    ref = tmp_path / "ref.parquet"
    res = CliRunner().invoke(app, ["score", str(small_csv), *CLI_ARGS, "-o", str(ref)])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "ref.parquet.checkpoint").exists()  # a successful run removes its checkpoint

    out = tmp_path / "out.parquet"
    ckpt = tmp_path / "out.parquet.checkpoint"  # the default: next to the output
    cmd = [sys.executable, "-m", "dvclean", "score", str(small_csv), *CLI_ARGS, "-o", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env={**os.environ})
    deadline = time.time() + 120
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before it was killed: {err.decode()}"
    assert ckpt.exists() and not out.exists()
    saved = ckpt.read_bytes()

    # without --resume the checkpoint is refused, not overwritten
    again = CliRunner().invoke(app, ["score", str(small_csv), *CLI_ARGS, "-o", str(out)])
    assert again.exit_code == 2 and "--resume" in again.output and "Traceback" not in again.output
    assert ckpt.read_bytes() == saved
    # another seed, or other data, cannot resume it: exit 2 with a one-line message
    other = CliRunner().invoke(app, ["score", str(small_csv), *CLI_ARGS, "--seed", "8", "-o", str(out), "--resume"])
    assert other.exit_code == 2, other.output
    assert "different tmc run" in other.output and "seed: 7 there, 8 now" in other.output
    assert len(other.output.strip().splitlines()) == 1 and "Traceback" not in other.output
    fewer = tmp_path / "fewer.csv"
    pl.read_csv(small_csv).head(199).write_csv(fewer)
    other = CliRunner().invoke(app, ["score", str(fewer), *CLI_ARGS, "-o", str(out), "--checkpoint", str(ckpt),
                                     "--resume"])
    assert other.exit_code == 2 and "the data differ" in other.output, other.output
    assert ckpt.read_bytes() == saved and not out.exists()

    done = subprocess.run([*cmd, "--resume", "--json"], capture_output=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr.decode()
    resumed = json.loads(done.stdout)["methods"]["tmc"]["diagnostics"]["resumed_from"]
    assert 0 < sum(resumed) < 80
    assert out.read_bytes() == ref.read_bytes()
    assert not ckpt.exists()


def test_cli_resume_without_a_checkpoint_starts_fresh_and_says_so(small_csv, tmp_path):
    out = tmp_path / "o.parquet"
    args = [a for a in CLI_ARGS if a != "-q"]
    args[args.index("40")] = "4"
    res = CliRunner().invoke(app, ["score", str(small_csv), *args, "-o", str(out), "--resume"])
    assert res.exit_code == 0, res.output
    assert "no checkpoint at" in res.output and "starts from scratch" in res.output
    assert out.exists() and not (tmp_path / "o.parquet.checkpoint").exists()
    knn = CliRunner().invoke(app, ["score", str(small_csv), "-y", "income", "--resume", "-o", str(out)])
    assert knn.exit_code == 2 and "--resume applies to tmc and dvgs only" in " ".join(knn.output.split())
