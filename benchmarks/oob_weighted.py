"""Data-OOB's trees fitted on the drawn rows with draw-count weights vs on the bootstrap sample.

:func:`dvclean.valuation.oob.data_oob` (classification) fits each tree on the rows its
bootstrap sample drew, once each, weighted by their number of draws, instead of on the
``n`` draws with their repeats: about 63% of the rows to sort at every node, and the
same tree (class counts are whole numbers either way). The named baseline is the fit on
the bootstrap sample with its repeats, as the paper states it, computed in this script
with the same bags and tree seeds in the same process; the script checks that both give
the same out-of-bag votes bit for bit and prints the time ratio. One thread each; times are
the process's CPU seconds (``time.process_time``), which a busy machine disturbs less than
wall time.

Usage::

    python benchmarks/oob_weighted.py [--rows 20000,100000] [--cols 30] [--trees 20]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from dvclean.valuation._models import quiet_fits
from dvclean.valuation.oob import bag_seeds, bootstrap_indices, data_oob, make_tree


def synthetic(n: int, d: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Half continuous, half 0/1 columns (a one-hot block's shape); a label with a nonlinear boundary and 10% noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    x[:, d // 2:] = x[:, d // 2:] > 0.5
    y = (x[:, 0] + x[:, 1] * x[:, 2] + 0.5 * x[:, -1] > 0).astype(np.int64)
    flip = rng.random(n) < 0.1
    return x, np.where(flip, 1 - y, y)


def repeats_baseline(x: np.ndarray, y: np.ndarray, trees: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-bag votes of trees fitted on the bootstrap samples with their repeats (the baseline), and each row's
    number of out-of-bag trees."""
    n = x.shape[0]
    votes = np.zeros((n, 2))
    count = np.zeros(n)
    for s in bag_seeds(seed, trees):
        bag = bootstrap_indices(n, s)
        oob = np.bincount(bag, minlength=n) == 0
        pred = make_tree("classification", "sqrt", s).fit(x[bag], y[bag]).predict(x[oob]).astype(np.int64)
        votes[np.flatnonzero(oob), pred] += 1
        count[oob] += 1
    return votes / np.maximum(count, 1)[:, None], count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="20000,100000")
    ap.add_argument("--cols", type=int, default=30)
    ap.add_argument("--trees", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=2, help="time each way this many times, alternating; keep the best")
    a = ap.parse_args()
    print(f"{'rows':>8} {'cols':>5} {'trees':>5} {'repeats (baseline) cpu s':>25} {'weighted cpu s':>15} {'speed-up':>9} same votes")
    for n in (int(r) for r in a.rows.split(",")):
        x, y = synthetic(n, a.cols, a.seed)
        best_base = best_new = float("inf")
        with quiet_fits():
            for _ in range(a.repeats):  # alternating, so that a change in the machine's load hits both alike
                t0 = time.process_time()
                base, count = repeats_baseline(x, y, a.trees, a.seed)
                t1 = time.process_time()
                new = data_oob(x, y, n_classes=2, n_estimators=a.trees, seed=a.seed, n_jobs=1)
                t2 = time.process_time()
                best_base, best_new = min(best_base, t1 - t0), min(best_new, t2 - t1)
        seen = count > 0  # (data_oob gives a row never out of bag the class shares; the baseline leaves it 0)
        same = bool(np.array_equal(base[seen], new.votes[seen]) and np.array_equal(count, new.n_oob))
        print(f"{n:>8} {a.cols:>5} {a.trees:>5} {best_base:>25.2f} {best_new:>15.2f} {best_base / best_new:>8.2f}x {same}")


if __name__ == "__main__":
    main()
