"""How close the approximate (truncated) KNN-Shapley values come to the exact ones, and what ties do.

Part 1, truncation. Baseline ("paper"): Jia et al. (2019), Theorem 4, as dvclean computed it until session 27 and
kept here as a reference: only the K* nearest neighbours of each validation point get a value, the K*-th gets 0
and the recursion runs from it down to the nearest. dvclean (``knn_shapley_on_points``, what ``--algorithm
approx`` runs with the KD-tree or brute-force search): the tie groups that start within the K* nearest are valued
over their random orders, and the farther rows are taken as one tie group of known size and label count, whose
share goes to the near rows and whose members' value goes to every far row. Both run in this process on the
same neighbours; the exact values (``knn_shapley_exact``) are the reference. Data: 12,000 rows (synthetic
Gaussian with an imbalanced threshold label, and a sample of Adult from ``../shared/data`` when present, skipped
with a note otherwise), 10% of the labels flipped; printed per K*: the Pearson and Spearman correlation with the
exact values, the share of rows whose value has the exact value's sign, the AUROC of the flipped rows (low value
= suspect), the largest error and the sum of the values (efficiency: the exact sum).

Part 2, ties. On a table of only discrete features (1,000 rows, six 3-level features), the exact values of the
game with random tie orders (dvclean) against the same recursion with ties broken by row order (the baseline,
``_recursion`` without distances, copies of a row with one label averaged, as dvclean computed until session
27): how many signs differ, how many of the
100 lowest rows differ, and how far the row-order values move when the rows are shuffled (the random-order values
do not move).

Usage::

    python benchmarks/knn_truncation.py            # about 15 seconds on 2 cores
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

from dvclean.valuation import knn  # noqa: E402

ROWS = 12_000
K = 5


def paper_truncated(y: np.ndarray, neighbors: np.ndarray, k: int) -> np.ndarray:
    """Theorem 4 of Jia et al. (2019), leave-self-out: the K*-th neighbour gets 0, the recursion runs to the nearest."""
    m = (y[neighbors] == y[:, None]).astype(np.float64)
    kstar = neighbors.shape[1]
    s = np.zeros_like(m)
    i = np.arange(1, kstar, dtype=np.float64)
    term = (m[:, :-1] - m[:, 1:]) * (np.minimum(k, i) / (i * k))
    s[:, :-1] = np.cumsum(term[:, ::-1], axis=1)[:, ::-1]
    return np.bincount(neighbors.ravel(), weights=s.ravel(), minlength=y.shape[0]) / y.shape[0]


def synthetic() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(ROWS, 5))
    return x, (x[:, 0] + 0.7 * rng.normal(size=ROWS) > 0.8).astype(np.int64)


def adult() -> tuple[np.ndarray, np.ndarray] | None:
    path = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "adult.csv.gz"
    if not path.exists():
        print(f"(Adult skipped: {path} is absent)")
        return None
    sys.path.insert(0, str(Path(__file__).parent))
    import label_noise

    from dvclean.config import FeatureConfig
    from dvclean.table import make_table, prepare

    df, label = label_noise.load("adult", ROWS, 0)
    clean, _, _ = prepare(make_table(df, label=label), config=FeatureConfig())
    return clean.x, clean.y


def line(name: str, v: np.ndarray, exact: np.ndarray, flipped: np.ndarray) -> str:
    return (f"  {name:8s} pearson {np.corrcoef(v, exact)[0, 1]:.3f}  spearman {spearmanr(v, exact)[0]:.3f}  "
            f"sign {((v < 0) == (exact < 0)).mean():.3f}  AUROC {roc_auc_score(flipped, -v):.3f}  "
            f"max error {np.abs(v - exact).max():.2e}  sum {v.sum():.4f}")


def truncation() -> None:
    for name, got in (("synthetic", synthetic()), ("adult", adult())):
        if got is None:
            continue
        x, y = got
        rng = np.random.default_rng(1)
        flipped = np.zeros(y.shape[0], dtype=bool)
        flipped[rng.choice(y.shape[0], y.shape[0] // 10, replace=False)] = True
        y = y.copy()
        y[flipped] = (y[flipped] + 1) % (y.max() + 1)
        exact, _ = knn.knn_shapley_exact(x, y, K)
        print(f"{name}: {x.shape[0]} rows x {x.shape[1]} encoded features, K = {K}; exact AUROC "
              f"{roc_auc_score(flipped, -exact):.3f}, exact sum {exact.sum():.4f}")
        for kstar in (10, 30, 100):
            t = time.perf_counter()
            idx, _ = knn.nearest_neighbors(x, None, kstar, backend="brute")
            base = paper_truncated(y, idx, K)
            t_base = time.perf_counter() - t
            t = time.perf_counter()
            ours, _, _ = knn.knn_shapley_on_points(x, y, K, kstar, backend="brute")
            t_ours = time.perf_counter() - t
            print(f" K* = {kstar} (search and values: paper {t_base:.2f} s, dvclean {t_ours:.2f} s)")
            print(line("paper", base, exact, flipped))
            print(line("dvclean", ours, exact, flipped))


def ties() -> None:
    rng = np.random.default_rng(0)
    n = 1_000
    x = rng.integers(0, 3, size=(n, 6)).astype(np.float64)
    y = ((x[:, 0] + x[:, 1] + rng.normal(0, 0.7, n)) > 2).astype(np.int64)

    def row_order(xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
        d = knn._sq_dist(xx, xx, (xx * xx).sum(axis=1))
        d[np.arange(n), np.arange(n)] = np.inf
        order = np.argsort(d.astype(np.float32), axis=1, kind="stable")[:, :-1]
        s = knn._recursion((yy[order] == yy[:, None]).astype(np.float64), K)  # no distances: ties by row order
        # copies with one label averaged, as KNNShapley did on top of the row order
        return knn._symmetrize(np.bincount(order.ravel(), weights=s.ravel(), minlength=n) / n, xx, yy)

    ours, _ = knn.knn_shapley_exact(x, y, K, engine="numpy")
    base = row_order(x, y)
    perm = rng.permutation(n)
    moved = np.empty(n)
    moved[perm] = row_order(x[perm], y[perm])
    ours_p, _ = knn.knn_shapley_exact(x[perm], y[perm], K, engine="numpy")
    back = np.empty(n)
    back[perm] = ours_p
    low = set(np.argsort(ours, kind="stable")[:100])
    print(f"ties: {n} rows of six 3-level features, {len(np.unique(x, axis=0))} distinct, K = {K}")
    print(f"  row-order values vs random-order values: {int(((base < 0) != (ours < 0)).sum())} signs differ, "
          f"{100 - len(low & set(np.argsort(base, kind='stable')[:100]))} of the 100 lowest rows differ, "
          f"Spearman {spearmanr(base, ours)[0]:.3f}")
    print(f"  rows shuffled: row-order values move by up to {np.abs(moved - base).max():.2e} "
          f"({int(((moved < 0) != (base < 0)).sum())} signs change); random-order values by "
          f"{np.abs(back - ours).max():.1e}")


if __name__ == "__main__":
    truncation()
    ties()
