"""Public helpers for tests and benchmarks: label-noise injection and synthetic tables."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

__all__ = ["inject_label_noise", "write_big_csv"]


def inject_label_noise(y: list[Any], fraction: float, seed: int) -> tuple[list[Any], np.ndarray]:
    """Flip ``fraction`` of the labels uniformly to another class.

    Returns
    -------
    labels : list
        The noisy labels.
    flipped : ndarray of bool
        True where a label was changed.

    Examples
    --------
    >>> noisy, flipped = inject_label_noise(["a", "b"] * 50, 0.1, seed=0)
    >>> int(flipped.sum()), sum(a != b for a, b in zip(noisy, ["a", "b"] * 50))
    (10, 10)
    """
    rng = np.random.default_rng(seed)
    n = len(y)
    classes = sorted(set(y), key=str)
    idx = rng.choice(n, int(round(fraction * n)), replace=False)
    out = list(y)
    for i in idx:
        others = [c for c in classes if c != out[i]]
        out[i] = others[rng.integers(len(others))]
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return out, mask


def write_big_csv(path: str | os.PathLike[str], rows: int, cols: int = 50, *, seed: int = 0) -> None:
    """Write a realistic wide CSV: correlated numeric columns, 5 categorical columns, a binary label.

    The numeric columns are noisy linear mixtures of 6 latent factors (real tables have
    correlated columns; independent noise columns would make every neighbour search
    meaningless), the class shifts two factors, and the categorical columns are
    quantiles of factors.
    """
    import polars as pl

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=rows)
    z = rng.normal(size=(rows, 6)).astype(np.float32)
    z[:, 0] += 1.2 * y
    z[:, 1] -= 0.8 * y
    n_cat = 5
    n_num = cols - n_cat - 1
    w = rng.normal(size=(6, n_num)).astype(np.float32)
    num = z @ w + 0.3 * rng.normal(size=(rows, n_num)).astype(np.float32)
    data: dict[str, Any] = {f"num_{j}": np.round(num[:, j], 3) for j in range(n_num)}
    for j in range(n_cat):
        data[f"cat_{j}"] = np.array(["a", "b", "c", "d"])[np.digitize(z[:, j % 6], [-0.7, 0.0, 0.7])]
    data["label"] = y
    pl.DataFrame(data).write_csv(path)
