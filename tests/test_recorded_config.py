"""The recorded ``config`` of a run lists the settings its methods read, and only those."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.config import ALWAYS_READ, ScoreConfig
from dvclean.valuation import REGISTRY


class _Recording:
    """A ScoreConfig stand-in that records which sections a factory reads."""

    def __init__(self, cfg: ScoreConfig) -> None:
        self._cfg, self.read = cfg, set()

    def __getattr__(self, name):
        self.read.add(name)
        return getattr(self._cfg, name)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_a_methods_declared_sections_are_the_ones_its_factory_reads(method):
    proxy = _Recording(ScoreConfig(methods=(method,), task="classification"))
    REGISTRY[method].factory(proxy)
    read = proxy.read - {"task"}
    assert read == set(REGISTRY[method].config_sections), (method, read)


def test_every_section_belongs_to_some_run():
    readers = set(ALWAYS_READ).union(*(info.config_sections for info in REGISTRY.values()))
    assert set(ScoreConfig().to_dict()) == readers


def _frame(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    return pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (x[:, 0] > 0).astype(int)})


def test_a_knn_run_records_no_other_methods_settings(tmp_path):
    r = dvclean.score(_frame(), label="y")
    assert set(r.summary["config"]) == set(ALWAYS_READ)
    path = tmp_path / "s.parquet"
    dvclean.write_scores(r, path)
    meta = json.loads(pl.read_parquet_metadata(path)["dvclean"])
    assert set(meta["config"]) == set(ALWAYS_READ)


def test_a_model_based_run_records_its_sections():
    cfg = ScoreConfig(methods=("loo", "knn"))
    r = dvclean.score(_frame(), label="y", config=cfg)
    assert set(r.summary["config"]) == set(ALWAYS_READ) | {"loo", "tmc", "crossfit"}
    assert r.summary["config"]["tmc"] == cfg.to_dict()["tmc"]


def test_the_footer_records_the_column_roles(tmp_path):
    df = _frame().with_row_index("key").with_columns(pl.lit("z").alias("note"))
    r = dvclean.score(df, label="y", id_column="key", drop=("note",))
    path = dvclean.write_scores(r, tmp_path / "s.parquet")
    meta = json.loads(pl.read_parquet_metadata(path)["dvclean"])
    assert (meta["label"], meta["id_column"], meta["drop"]) == ("y", "key", ["note"])
