"""TMC with logistic regression on three or more classes: dvclean's multinomial L-BFGS vs scikit-learn's.

With two classes the logistic regression that TMC refits along each permutation is dvclean's Newton solver
(``benchmarks/tmc_convergence.py``). With more, it is :class:`dvclean.valuation._fastlogreg.MultinomialLBFGS`:
scikit-learn's own L-BFGS-B call on scikit-learn's objective, without ``LogisticRegression``'s input checks and
label encoding. The baseline, ``sklearn``, is the same TMC with that class replaced by a warm-started
``LogisticRegression`` (what dvclean used before), run in the same process on the same games.

For each data set (scikit-learn's digits, the first 300 rows, 10 classes; wine, 3 classes; both standardised as
dvclean encodes them) one game of 240 (digits) or 142 (wine) players against the other rows, ``--permutations``
permutations, truncation 0.01, serial, one native thread. It prints the wall time of each engine, the ratio, and
how far the values differ (the largest absolute difference and the Spearman correlation): the loss and gradient
are scikit-learn's to rounding, so on these well-conditioned fits the iterates and values are the same; a slow fit
may end elsewhere within the solver's tolerance, and a refit's prediction flip at the boundary.

Usage::

    python benchmarks/multiclass_logreg.py                     # 20 permutations each
    python benchmarks/multiclass_logreg.py --permutations 50

Never part of the tests.
"""

from __future__ import annotations

import argparse
import time
from unittest import mock

import numpy as np


def games() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]]:
    from sklearn.datasets import load_digits, load_wine
    from sklearn.preprocessing import StandardScaler

    out = {}
    for name, (x, y), n in (("digits300", load_digits(return_X_y=True), 300), ("wine", load_wine(return_X_y=True), 178)):
        x, y = StandardScaler().fit_transform(x[:n]), y[:n]
        order = np.random.default_rng(0).permutation(n)
        players, valid = order[: int(0.8 * n)], order[int(0.8 * n):]
        out[name] = (x[players], y[players], x[valid], y[valid], int(np.unique(y).size))
    return out


def run(data: tuple, permutations: int, seed: int) -> tuple[float, np.ndarray]:  # type: ignore[type-arg]
    from dvclean.config import TMCConfig
    from dvclean.valuation._models import Utility, make_model, single_thread
    from dvclean.valuation.tmc import Game, tmc_shapley

    xp, yp, xv, yv, k = data
    utility = Utility(lambda: make_model("logreg", seed=seed), "accuracy", xp, yp, xv, yv, k)
    with single_thread():
        t0 = time.perf_counter()
        est = tmc_shapley([Game(utility, xp.shape[0], seed)],
                          TMCConfig(max_permutations=permutations, tolerance=0.01, convergence=0.0,
                                    batch_size=permutations))[0]
        return time.perf_counter() - t0, np.asarray(est.values)


def sklearn_multinomial(C: float, tol: float, max_iter: int):  # noqa: ANN201, N803 - the baseline's model
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, tol=tol, max_iter=max_iter, warm_start=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--permutations", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    from scipy.stats import spearmanr

    print(f"TMC, logreg, {args.permutations} permutations, one game per data set, serial\n")
    print(f"{'data':<10} {'classes':>7} {'sklearn s':>10} {'dvclean s':>10} {'speed-up':>9} {'max |dv|':>9} "
          f"{'spearman':>9}")
    for name, data in games().items():
        with mock.patch("dvclean.valuation._fastlogreg.MultinomialLBFGS", sklearn_multinomial):
            base_s, base_v = run(data, args.permutations, args.seed)
        ours_s, ours_v = run(data, args.permutations, args.seed)
        rho = spearmanr(base_v, ours_v).statistic
        print(f"{name:<10} {data[4]:>7} {base_s:>10.2f} {ours_s:>10.2f} {base_s / ours_s:>8.2f}x "
              f"{np.abs(base_v - ours_v).max():>9.2g} {rho:>9.4f}")


if __name__ == "__main__":
    main()
