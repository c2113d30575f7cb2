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
