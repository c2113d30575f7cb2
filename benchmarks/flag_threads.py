"""The mislabel step's models on one thread vs on every core.

The default (``consensus``) flag rule fits four out-of-sample signals: 5-fold XGBoost,
a 200-tree out-of-bag forest, 5-fold logistic regression and KNN-Shapley
(:func:`dvclean.flags.gather_evidence`). The forest's trees and the folds of the
out-of-fold models are fitted on ``n_jobs`` threads (``--n-jobs``, every core by
default), each fit on one native thread. This script times
``gather_evidence`` with ``n_jobs=1`` (the named baseline) and with every core, in the
same process, on the shipped Adult sample and on wider synthetic data, and checks that
both give the same signals bit for bit.

Usage::

    python benchmarks/flag_threads.py [--repeats 2] [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from dvclean.config import MislabelConfig
from dvclean.flags import gather_evidence
from dvclean.valuation.knn import nearest_neighbors

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "adult_2000.csv"


def adult() -> tuple[np.ndarray, np.ndarray]:
    """The shipped 2,000-row Adult sample, encoded as ``dvclean score`` encodes it."""
    import polars as pl

    from dvclean.config import FeatureConfig
    from dvclean.table import make_table, prepare

    data, _, _ = prepare(make_table(pl.read_csv(SAMPLE), label="income"), config=FeatureConfig())
    return data.x, data.y


def synthetic(n: int, d: int, classes: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    score = x[:, : min(5, d)].sum(1) + rng.normal(size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, classes + 1)[1:-1]))
    return x, y.astype(np.int64)


def timed(x: np.ndarray, y: np.ndarray, jobs: int, repeats: int) -> tuple[float, object]:
    nb, _ = nearest_neighbors(x, None, 5)
    best, ev = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        ev = gather_evidence(x, y, nb, int(y.max()) + 1, MislabelConfig(), seed=0, n_jobs=jobs)
        best = min(best, time.perf_counter() - t)
    return best, ev


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=2, help="runs per setting; the fastest is reported")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="threads of the parallel run")
    args = ap.parse_args()
    cases = {"adult 2,000 rows": adult(), "synthetic 5,000 x 200, 2 classes": synthetic(5000, 200, 2),
             "synthetic 3,000 x 50, 6 classes": synthetic(3000, 50, 6)}
    print(f"gather_evidence (consensus rule), baseline n_jobs=1 vs n_jobs={args.jobs}, best of {args.repeats}")
    print(f"| data | n_jobs=1 s | n_jobs={args.jobs} s | speed-up | identical |")
    print("|---|---|---|---|---|")
    for name, (x, y) in cases.items():
        t1, e1 = timed(x, y, 1, args.repeats)
        tn, en = timed(x, y, args.jobs, args.repeats)
        same = all(np.array_equal(getattr(e1, k), getattr(en, k)) for k in ("model", "oob", "linear", "knn_values"))
        print(f"| {name} | {t1:.2f} | {tn:.2f} | {t1 / tn:.2f}x | {same} |")


if __name__ == "__main__":
    main()
