"""Data-OOB's trees grown by scikit-learn's tree builder vs by its estimator.

:func:`dvclean.valuation.oob.data_oob` grows each tree on finite data with scikit-learn's own
criterion, splitter and depth-first builder, set up as ``DecisionTreeClassifier`` (or
``DecisionTreeRegressor``) ``(max_features=..., random_state=s).fit(..., check_input=False)``
sets them up, without the estimator's per-fit checks (parameter validation, ``type_of_target``,
the weights' ``check_array``), which dominate a small tree's fit. The named baseline is the
estimator (``DecisionTreeClassifier.fit``/``predict``, what ``data_oob`` uses where the builder
check fails), run in this script on the same bags and seeds in the same process; the script
checks that both give the same values, standard errors and votes bit for bit and prints the
time ratio. One thread; times are the process's CPU seconds (``time.process_time``), the best
of ``--repeats`` alternating runs.

Usage::

    python benchmarks/oob_builder.py [--shapes 300x14,2000x14,20000x30] [--trees 200] [--task regression]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

from dvclean.valuation import oob
from dvclean.valuation._models import native_limits

sys.path.insert(0, str(Path(__file__).resolve().parent))

from oob_weighted import synthetic  # noqa: E402 - the same data as the weighted-fit benchmark


def timed(x: np.ndarray, y: np.ndarray, trees: int, seed: int, task: str, builder: bool) -> tuple[float, oob.OOBOutput]:
    """CPU seconds of one :func:`data_oob` run (with scikit-learn's builder, or its estimator) and the result."""
    with mock.patch.object(oob, "_tree_parts", oob._tree_parts if builder else (lambda *a: None)):
        t = time.process_time()
        out = oob.data_oob(x, y, n_estimators=trees, seed=seed, task=task)
        return time.process_time() - t, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="300x14,2000x14,20000x30", help="rows x columns, comma-separated")
    ap.add_argument("--trees", type=int, default=200, help="the flags' forest has 200, -m oob 800")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--task", choices=("classification", "regression"), default="classification")
    ap.add_argument("--repeats", type=int, default=3, help="time each way this many times, alternating; keep the best")
    args = ap.parse_args()
    print(f"{'shape':>10} {'trees':>5} {'estimator s':>11} {'builder s':>9} {'ratio':>6}  identical")
    with native_limits(1):
        for shape in args.shapes.split(","):
            n, d = (int(v) for v in shape.split("x"))
            x, y = synthetic(n, d, args.seed)
            if args.task == "regression":  # (a continuous target: the label's score plus noise)
                y = x[:, 0] + x[:, 1] * x[:, 2] + np.random.default_rng(args.seed).normal(size=n)
            oob.data_oob(x[:50], y[:50], n_estimators=2, task=args.task)  # (imports and the builder's one-off check, not timed)
            best = {True: np.inf, False: np.inf}
            outs = {}
            for _ in range(args.repeats):
                for builder in (False, True):
                    sec, outs[builder] = timed(x, y, args.trees, args.seed, args.task, builder)
                    best[builder] = min(best[builder], sec)
            fields = [f for f in ("values", "stderr", "n_oob", "votes", "prediction") if getattr(outs[True], f) is not None]
            same = all(getattr(outs[False], f) is not None
                       and np.array_equal(getattr(outs[True], f), getattr(outs[False], f), equal_nan=True)
                       for f in fields)
            print(f"{shape:>10} {args.trees:>5} {best[False]:>11.3f} {best[True]:>9.3f} "
                  f"{best[False] / best[True]:>5.2f}x  {same}")
            if not same:
                raise SystemExit("the builder's trees differ from the estimator's: a bug")


if __name__ == "__main__":
    main()
