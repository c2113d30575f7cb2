"""Session 46: positive targets with a few targets of 0 or below (a placeholder, a price of 0) keep the log scale."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.config import ScoreConfig
from dvclean.flags import LOG_OFF_SHARE, residual_scales, residual_z


def _prices(n: int = 1000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    return x, np.round(np.exp(12 + 0.5 * x[:, 0] + 0.3 * x[:, 1] + 0.25 * rng.normal(size=n)), 2)


def _frame(x: np.ndarray, price: np.ndarray) -> pl.DataFrame:
    return pl.DataFrame({f"x{i}": x[:, i] for i in range(x.shape[1])}).with_columns(pl.Series("price", price))


def test_one_price_of_zero_does_not_put_every_price_on_one_scale():
    # one price of 0 among 1,000 log-normal prices vetoed the log scale: 39 rows flagged, 38 of them correct dear houses
    # (every one above its prediction), with no note; the 0 itself is flagged either way
    x, price = _prices()
    price[5] = 0.0
    r = dvclean.score(_frame(x, price), label="price", config=ScoreConfig(task="regression"))
    flagged = r.frame["is_mislabeled"].to_numpy()
    assert flagged[5], r.frame.row(5, named=True)
    assert np.delete(flagged, 5).sum() <= 3, np.delete(flagged, 5).sum()
    rule = r.summary["flags"]["rule"]
    assert "as log(target / prediction)" in rule and "1 target of 0 or below" in rule, rule
    assert r.frame["target_z"][5] < -3.5


def test_placeholders_below_zero_are_found_on_the_log_scale():
    # five -1 placeholders and one 9999 among prices: on one scale 35 correct rows were flagged and the -1 rows had z
    # down to -2.4 only (two of five missed); on the log scale, measured at its floor, every placeholder stands out
    x, price = _prices()
    price[[10, 20, 30, 40, 50]] = -1.0
    price[60] = 9999.0
    r = dvclean.score(_frame(x, price), label="price", config=ScoreConfig(task="regression"))
    flagged = r.frame["is_mislabeled"].to_numpy()
    bad = [10, 20, 30, 40, 50, 60]
    assert flagged[bad].all(), r.frame["target_z"].to_numpy()[bad]
    assert np.delete(flagged, bad).sum() <= 3
    assert "5 targets of 0 or below" in r.summary["flags"]["rule"]


@pytest.mark.parametrize("share, scale", [(0.005, "log"), (LOG_OFF_SHARE, "log"), (0.03, "one")])
def test_more_than_a_few_targets_at_or_below_zero_keep_one_scale(share, scale):
    # a point mass at 0 (or a target of both signs) is part of the data, not a slip: no logarithm then
    rng = np.random.default_rng(0)
    pred = rng.uniform(1, 10, 3000)
    y = pred * np.exp(rng.normal(0, 0.3, 3000))
    y[: int(share * y.size)] = 0.0
    assert residual_scales(y, pred, zero=0.0) == [scale]
    z = residual_z(y, pred, zero=0.0)
    assert np.isfinite(z).all()
    if scale == "log":  # the zeros sit at the floor of the log ratios: far below every positive target's
        assert z[: int(share * y.size)].max() < -3.5
