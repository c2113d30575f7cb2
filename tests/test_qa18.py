"""Defects found in the eighteenth QA round and in the notes of earlier rounds (and fixed), one test each."""

from __future__ import annotations

import logging
import os

import numpy as np
import polars as pl
import pytest


def test_a_read_only_file_system_is_named_not_called_permission_denied(tmp_path, monkeypatch):
    from dvclean.errors import OutputError
    from dvclean.io import atomic_path, write_denied

    class ReadOnly:
        f_flag = os.ST_RDONLY

    monkeypatch.setattr(os, "statvfs", lambda path: ReadOnly())
    monkeypatch.setattr(os, "access", lambda path, mode: False)
    assert write_denied(tmp_path / "missing" / "deeper") == "read-only file system"  # the nearest existing parent
    with pytest.raises(OutputError, match=r"read-only file system\); choose another --output"):
        with atomic_path(tmp_path / "out.csv"):
            pass


def test_permissions_stay_the_reason_on_a_writable_mount(tmp_path, monkeypatch):
    from dvclean.io import write_denied

    class Writable:
        f_flag = 0

    monkeypatch.setattr(os, "statvfs", lambda path: Writable())
    assert write_denied(tmp_path) == "permission denied"


def test_a_users_own_dvclean_issue_column_is_a_feature(tmp_path):
    from dvclean.table import make_table

    rng = np.random.default_rng(0)
    base = {"x": rng.normal(size=40), "y": ["a", "b"] * 20}
    own = make_table(pl.DataFrame({**base, "dvclean_issue": rng.normal(size=40)}), label="y")
    assert "dvclean_issue" in own.features and not any("dvclean_issue" in n for n in own.notes)
    own_text = make_table(pl.DataFrame({**base, "dvclean_issue": ["late", "ok"] * 20}), label="y")
    assert "dvclean_issue" in own_text.features
    marks = make_table(pl.DataFrame({**base, "dvclean_issue": ["mislabeled", None] * 20}), label="y")
    assert "dvclean_issue" not in marks.features  # an earlier run's marks: never a feature
    assert any("dvclean fix --action mark" in n for n in marks.notes)
    empty = make_table(pl.DataFrame({**base, "dvclean_issue": [None] * 40}), label="y")
    assert "dvclean_issue" not in empty.features
    synthetic = make_table(pl.DataFrame({**base, "dvclean_synthetic": [False] * 40}), label="y")
    assert "dvclean_synthetic" not in synthetic.features


def test_the_withheld_feature_note_skips_columns_the_encoder_ignores():
    from dvclean.augment.core import withheld_feature_note
    from dvclean.table import make_table

    rng = np.random.default_rng(0)
    frame = pl.DataFrame({
        "x": rng.normal(size=30), "y": ["a", "b"] * 15,
        "blob": pl.Series([b"\x00\x01"] * 30, dtype=pl.Binary), "const": [7] * 30, "empty": pl.Series([None] * 30, dtype=pl.Float64),
        "w": rng.normal(size=30),
    })
    table = make_table(frame, label="y")
    assert withheld_feature_note(table, ["blob", "const", "empty"]) is None  # none of them is a feature the model sees
    note = withheld_feature_note(table, ["blob", "w"])
    assert note is not None and "'w'" in note and "blob" not in note


def test_n_jobs_with_a_dask_scheduler_says_the_cluster_decides(caplog):
    pytest.importorskip("distributed")
    from dask.distributed import LocalCluster

    from dvclean.valuation._parallel import runner

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with caplog.at_level(logging.WARNING, logger="dvclean"), runner(4, cluster.scheduler_address) as r:
            assert r.map(pow, [(2, 3)]) == [8]
        assert any("does not size the Dask cluster" in rec.getMessage() for rec in caplog.records)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="dvclean"), runner(-1, cluster.scheduler_address):
            pass
        assert not any("does not size" in rec.getMessage() for rec in caplog.records)  # the default says nothing


def _small_csv(path, n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pl.DataFrame({"f1": rng.normal(size=n) + y, "f2": rng.normal(size=n), "label": np.where(y == 1, "a", "b")}).write_csv(path)
    return path


def test_a_checkpoint_never_deletes_a_lock_named_file_it_did_not_make(tmp_path):
    import dvclean
    from dvclean.config import ScoreConfig
    from dvclean.errors import ConfigError
    from dvclean.valuation._checkpoint import open_for_cli

    data = _small_csv(tmp_path / "data.csv")
    notes = tmp_path / "keep.lock"
    notes.write_text("my notes\n")
    cfg = ScoreConfig(methods=("tmc",))
    with pytest.raises(ConfigError, match="not a dvclean lock file"):  # was: deleted at the end of the run
        dvclean.score(data, label="label", config=cfg, checkpoint=tmp_path / "keep")
    assert notes.read_text() == "my notes\n"
    lock_named_input = tmp_path / "in.lock"
    lock_named_input.write_bytes(data.read_bytes())
    with pytest.raises(ConfigError, match="also an input or output file"):  # was: the input deleted
        open_for_cli(tmp_path / "in", every=10, resume=False, methods=("tmc",), output=tmp_path / "o.parquet", others=(lock_named_input,))
    with pytest.raises(ConfigError, match="also an input or output file"):  # was: the run's own output deleted
        open_for_cli(tmp_path / "run", every=10, resume=False, methods=("tmc",), output=tmp_path / "run.lock", others=(data,))
    assert lock_named_input.read_bytes() == data.read_bytes()


def test_a_second_sigterm_while_the_first_is_reported_changes_nothing(monkeypatch, capsys):
    import signal

    import typer

    from dvclean.cli import commands

    def run():
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("the handler raises")

    def print_twice(*args, **kwargs):  # a second SIGTERM arrives while the first is being reported
        os.kill(os.getpid(), signal.SIGTERM)
        original(*args, **kwargs)

    from dvclean.cli import _output

    original = _output.print_error
    monkeypatch.setattr(_output, "print_error", print_twice)
    with pytest.raises(typer.Exit) as exc:
        commands.guarded(run)()
    assert exc.value.exit_code == 143  # was a traceback of the second _Terminated and exit 1
    assert "terminated" in capsys.readouterr().err


def test_pure_noise_labels_are_refused_by_the_predictability_test():
    import dvclean
    from dvclean.pipeline import labels_unpredicted

    refused = 0
    for seed in (108, 110):  # 108: the fitted pool slipped through the "nearer the needed AUROC" escape
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(1000, 4))
        y = np.where(rng.random(1000) < 0.05, "min", "maj")
        frame = pl.DataFrame({f"f{j}": x[:, j] for j in range(4)}).with_columns(pl.Series("y", y))
        p = dvclean.score(frame, label="y").summary["flags"]["label_predictability"]
        refused += labels_unpredicted(p)
        assert set(p) >= {"auroc", "deciding_auroc", "p_value", "auroc_needed", "predictable"}
    assert refused == 2


def test_malformed_augmentation_documents_are_usage_errors_not_bugs(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    data = _small_csv(tmp_path / "data.csv")
    scores = tmp_path / "s.parquet"
    runner = CliRunner()
    assert runner.invoke(app, ["score", str(data), "-y", "label", "-o", str(scores), "-q"]).exit_code == 0
    for doc, field in [
        ('{"evaluation": {"arms": [1, 2]}}', "'evaluation.arms' must be an object"),
        ('{"evaluation": {"arms": {"a": {"auc": {"mean": "x", "ci95": 1}}}, "primary_metric": "auc"}}',
         "'evaluation.arms.a.auc.mean' must be a number"),
        ('{"evaluation": {"arms": {"a": {"auc": {"mean": 1, "ci95": "x"}}}, "primary_metric": "auc"}}', ".ci95' must be"),
        ('{"evaluation": "x", "quality": [1]}', "'quality' must be an object"),
        ('{"quality": 5}', "'quality' must be an object"),
        ('{"evaluation": {"arms": {"a": {"auc": {"mean": 1}}}, "primary_metric": ["auc"]}}', "'evaluation.primary_metric'"),
        ("[" * 100_000 + "]" * 100_000, "cannot read a JSON document"),
    ]:
        (tmp_path / "aug.json").write_text(doc)
        res = runner.invoke(app, ["report", str(scores), "--augmentation", str(tmp_path / "aug.json"), "-o", str(tmp_path / "r.html")])
        assert res.exit_code == 2 and field in res.stderr, (doc[:60], res.stderr)  # was exit 3
        assert not (tmp_path / "r.html").exists()


def test_deeply_nested_json_lines_are_a_clear_error(tmp_path):
    from dvclean.errors import InputError
    from dvclean.io import read_frame

    path = tmp_path / "deep.ndjson"
    path.write_text('{"label": "a", "x": ' + "[" * 5000 + "]" * 5000 + '}\n{"label": "b", "x": []}\n')
    with pytest.raises(InputError, match="line 1: values nested too deeply"):  # was RecursionError, exit 3
        read_frame(path)


def test_compressed_inputs_and_streams_stop_at_the_size_limit(tmp_path, monkeypatch):
    import gzip
    import io as stdio

    from dvclean import io as dio
    from dvclean.errors import InputError

    bomb = tmp_path / "bomb.csv.gz"
    bomb.write_bytes(gzip.compress(b"a,label\n" + b"\0" * (8 << 20)))
    with pytest.raises(InputError, match="binary"):  # found in the first megabyte, not after expanding it all
        dio.read_frame(bomb)
    text = tmp_path / "big.csv.gz"
    text.write_bytes(gzip.compress(b"a,label\n" + b"1,x\n" * (1 << 20)))
    monkeypatch.setattr(dio, "input_size_limit", lambda: 1 << 20)
    with pytest.raises(InputError, match="expands to more than"):
        dio.read_frame(text)
    with pytest.raises(InputError, match="standard input holds more than"):
        dio.read_frame("-", stdin=stdio.BytesIO(b"a,label\n" + b"1,x\n" * (1 << 19)))
    if os.path.exists("/dev/zero"):
        with pytest.raises(InputError, match="is a device, not a data file"):  # was read until the OOM killer came
            dio.read_frame("/dev/zero")


def test_a_checkpoint_declaring_a_huge_array_is_not_a_checkpoint(tmp_path):
    import io as stdio
    import zipfile

    from numpy.lib import format as npformat

    from dvclean.errors import ConfigError
    from dvclean.valuation._checkpoint import Checkpoint

    head = stdio.BytesIO()
    npformat.write_array_header_1_0(head, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    header = stdio.BytesIO()
    np.save(header, np.frombuffer(b'{"format": "x"}', dtype=np.uint8))
    path = tmp_path / "huge.checkpoint"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("__header__.npy", header.getvalue())
        z.writestr("tmc.x.npy", head.getvalue())
    with pytest.raises(ConfigError, match="not a readable dvclean checkpoint"):  # was "out of memory; try --algorithm"
        Checkpoint(path, resume=True)


def test_a_class_rule_on_a_regression_target_says_what_it_does():
    import dvclean
    from dvclean.config import MislabelConfig, ScoreConfig

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "t": x @ [1.0, 2.0, 0.5] + rng.normal(0, 0.3, 120)})
    r = dvclean.score(frame, label="t", config=ScoreConfig(mislabel=MislabelConfig(rule="vote")))
    assert any("--mislabel-rule vote is a rule for class labels" in n for n in r.summary["notes"])
    assert not any("class labels" in n for n in dvclean.score(frame, label="t").summary["notes"])


def test_an_interrupted_json_run_names_the_checkpoint_it_saved(tmp_path, monkeypatch):
    from dvclean.cli.commands import _written_text
    from dvclean.valuation import _checkpoint

    saved = tmp_path / "o.parquet.checkpoint"
    saved.write_bytes(b"x")
    monkeypatch.setattr(_checkpoint, "_SAVED", {str(saved): None})
    text = _written_text([])  # the line printed with --json and -q too, where the log's warning is silent
    assert text.startswith("no output was written; progress is saved in") and "--resume" in text and str(saved) in text
    saved.unlink()
    assert _written_text([]) == "no output was written"


def test_report_refuses_options_it_would_ignore(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    data = _small_csv(tmp_path / "data.csv")
    scores = tmp_path / "s.parquet"
    runner = CliRunner()
    assert runner.invoke(app, ["score", str(data), "-y", "label", "-o", str(scores), "-q"]).exit_code == 0
    out = str(tmp_path / "r.html")
    res = runner.invoke(app, ["report", str(scores), "--data", str(data), "-y", "f1", "-o", out])
    assert res.exit_code == 2 and "records the label 'label' and --label says 'f1'" in res.stderr  # was ignored
    for option, value in (("--separator", ";"), ("--encoding", "latin-1"), ("--input-format", "csv")):
        res = runner.invoke(app, ["report", str(scores), option, value, "-o", out])
        assert res.exit_code == 2 and f"{option} says how to read --data, which is not given" in res.stderr
    assert runner.invoke(app, ["report", str(scores), "--data", str(data), "-y", "label", "-o", out]).exit_code == 0


def test_expected_noise_never_flags_more_than_its_share_with_copied_rows():
    import math

    import dvclean
    from dvclean.check import CheckPolicy, evaluate_check
    from dvclean.config import MislabelConfig, ScoreConfig
    from dvclean.flags import top_k

    assert top_k(np.array([0.9, 0.5, 0.5, 0.1]), 2, at_most=True).tolist() == [True, False, False, False]
    assert top_k(np.array([0.5, 0.5, 0.1]), 1, at_most=True).tolist() == [True, True, False]  # else nothing at all
    from sklearn.datasets import load_wine

    wine = pl.from_pandas(load_wine(as_frame=True).frame)
    twice = pl.concat([wine, wine])  # every row twice: blocks of two at every cut
    for p in (0.0337, 0.05, 0.1):
        r = dvclean.score(twice, label="target", config=ScoreConfig(mislabel=MislabelConfig(expected_noise=p)))
        flagged = int(r.frame.get_column("is_mislabeled").sum())
        assert flagged <= math.floor(p * twice.height + 1e-9) and flagged % 2 == 0  # was floor + 1 (a pair at the cut)
        assert evaluate_check(r, CheckPolicy(max_mislabeled=f"{p * 100:g}%")).status == "pass"


def test_a_time_budget_that_leaves_few_samples_gets_a_note():
    import dvclean
    from dvclean.config import CrossFitConfig, ScoreConfig, TMCConfig

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 150)
    frame = pl.DataFrame({"a": rng.normal(size=150) + y, "b": rng.normal(size=150), "y": y})
    cfg = ScoreConfig(methods=("banzhaf",), tmc=TMCConfig(time_budget=1e-6), crossfit=CrossFitConfig(n_jobs=1, n_folds=3))
    r = dvclean.score(frame, label="y", config=cfg)
    notes = " ".join(r.summary["notes"])
    assert "--time-budget left banzhaf 2 sampled subsets per fold" in notes and "rough estimates" in notes  # was silent
    plenty = dvclean.score(frame, label="y", config=ScoreConfig(methods=("banzhaf",), tmc=TMCConfig(),
                                                                crossfit=CrossFitConfig(n_jobs=1, n_folds=3)))
    assert "--time-budget left" not in " ".join(plenty.summary["notes"])


def test_a_boolean_label_is_spelled_as_the_file_spells_it(tmp_path):
    import json

    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(0)
    y = rng.random(200) < 0.7
    path = tmp_path / "b.csv"
    pl.DataFrame({"a": rng.normal(size=200) + y, "b": rng.normal(size=200), "y": y}).write_csv(path)
    runner = CliRunner()
    res = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "s.csv"), "--json"])
    assert res.exit_code == 0 and set(json.loads(res.stdout)["classes"]) == {"false", "true"}  # was False / True
    res = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled-per-class", "0", "--json"])
    names = {c["name"] for c in json.loads(res.stdout)["checks"]}
    assert {"mislabeled[class=false]", "mislabeled[class=true]"} <= names
    assert "false" in pl.read_csv(tmp_path / "s.csv", infer_schema=False).get_column("label").to_list()


def test_tmc_shows_its_progress_bar_when_it_starts():
    import dvclean
    from dvclean.config import CrossFitConfig, ScoreConfig, TMCConfig

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 60)
    frame = pl.DataFrame({"a": rng.normal(size=60) + y, "y": y})
    calls = []
    cfg = ScoreConfig(methods=("tmc",), tmc=TMCConfig(max_permutations=4), crossfit=CrossFitConfig(n_jobs=1, n_folds=2))
    dvclean.score(frame, label="y", config=cfg, progress=lambda step, done, total: calls.append((step, done, total)))
    tmc = [c for c in calls if c[0] == "tmc permutations"]
    assert tmc[0] == ("tmc permutations", 0, 8) and tmc[-1] == ("tmc permutations", 8, 8)  # was: none before a round


def test_a_class_with_a_few_holdout_rows_gets_a_note():
    from dvclean.augment import AugmentConfig
    from dvclean.augment.evaluate import plan_evaluation
    from dvclean.table import make_table

    rng = np.random.default_rng(0)
    y = np.array(["big"] * 300 + ["small"] * 12)
    frame = pl.DataFrame({"a": rng.normal(size=y.size) + (y == "small"), "b": rng.normal(size=y.size), "label": y})
    plan = plan_evaluation(make_table(frame, label="label"), AugmentConfig(evaluate=True))
    held = plan.class_counts["holdout"]["small"]
    assert 0 < held < 5
    assert any("fewer than 5 rows of class 'small'" in n for n in plan.notes)  # was silent (AUC in steps of 1/held)
    balanced = pl.DataFrame({"a": rng.normal(size=300), "label": ["p", "q"] * 150})
    assert not any("fewer than 5 rows" in n for n in plan_evaluation(make_table(balanced, label="label"),
                                                                      AugmentConfig(evaluate=True)).notes)


def test_renaming_or_recoding_the_classes_changes_no_flag():
    from sklearn.datasets import load_wine

    import dvclean

    wine = pl.from_pandas(load_wine(as_frame=True).frame)
    names = {0: "class_c", 1: "class_a", 2: "class_b"}
    renamed = wine.with_columns(pl.col("target").replace_strict(names, return_dtype=pl.String))
    rotated = wine.with_columns((pl.col("target") + 1) % 3)
    base = dvclean.score(wine, label="target").frame
    for other in (renamed, rotated):
        out = dvclean.score(other, label="target").frame  # the classes' names moved the rows' order, folds, ties
        for col in ("is_mislabeled", "is_hard", "value_rank"):
            assert out.get_column(col).equals(base.get_column(col)), col
        assert np.allclose(out.get_column("value").to_numpy(), base.get_column("value").to_numpy(), atol=1e-12)
        assert np.allclose(out.get_column("given_label_prob").to_numpy(), base.get_column("given_label_prob").to_numpy(),
                           atol=1e-6)


def test_a_small_permutation_cap_is_no_budget_note():
    import dvclean
    from dvclean.config import CrossFitConfig, ScoreConfig, TMCConfig

    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 80)
    frame = pl.DataFrame({"a": rng.normal(size=80) + y, "y": y})
    cfg = ScoreConfig(methods=("tmc",), tmc=TMCConfig(max_permutations=3), crossfit=CrossFitConfig(n_jobs=1, n_folds=2))
    assert not any("--time-budget" in n for n in dvclean.score(frame, label="y", config=cfg).summary["notes"])
