"""QA round 59 on ``augment``: a scores file read with pandas, and a note when the synthetic rows move the output's
class mix (a plain run; ``--evaluate`` says it of the arms' training rows)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import dvclean
from dvclean.augment import AugmentConfig, augment

from .conftest import needs_sdv

pytestmark = [pytest.mark.usefixtures("sdv_home"), needs_sdv]


def fast(**kw) -> AugmentConfig:
    return AugmentConfig(**{"generator": "gaussian-copula", "quality": False, "n_synthetic": "10%", **kw})


def data(n: int = 400, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = np.where(a + 0.2 * rng.normal(size=n) > 0.8, "rare", "common")  # the hard rows crowd the border
    return pl.DataFrame({"a": a, "b": b, "y": y})


def test_scores_read_with_pandas_are_taken(tmp_path):
    df = data()
    scores = tmp_path / "s.parquet"
    dvclean.write_scores(dvclean.score(df, label="y"), scores)
    from_pandas = augment(df, label="y", scores=pd.read_parquet(scores), config=fast())
    from_polars = augment(df, label="y", scores=pl.read_parquet(scores), config=fast())
    assert from_pandas.synthetic.equals(from_polars.synthetic)


def test_output_class_mix_change_is_noted():
    df = data()
    result = augment(df, label="y", config=fast(n_synthetic=200, target="class:rare"))
    notes = [n for n in result.report["notes"] if "change the output's class mix" in n]
    assert len(notes) == 1 and "class rare" in notes[0], result.report["notes"]
    before = (df["y"] == "rare").mean()
    assert f"{before:.1%} -> " in notes[0]
    same = augment(df, label="y", config=fast(n_synthetic=4, target="all"))  # a few rows drawn from every class
    assert not any("change the output's class mix" in n for n in same.report["notes"])
