"""Which injected target errors the outlying-target flags of a regression target find.

For each data set and error kind, 5% of the rows (3 seeds) get a wrong target and
``dvclean.score(..., task="regression")`` flags the rows with its defaults; the script
reports the flags' precision and recall and the AUROC of ``mislabel_score`` for the
injected rows, and, for the clean data (kind ``none``), how many rows are flagged. The
named baseline is the clean run of the same data in the same process: the rows it flags
are correct values the rule calls outlying (so a kind's false flags are compared with it).

Error kinds: ``x10`` / ``x1000`` (a unit or decimal-point slip upwards), ``div10`` (downwards,
into the bulk), ``sign`` (sign flipped), ``swap`` (the first two digits swapped, where they
differ), ``shift`` (plus or minus 3-5 standard deviations), ``mixed`` (half of them x10, the other half
shifted by plus or minus 1-2 standard deviations: gross errors beside moderate ones, which must not hide them).

Data: scikit-learn's bundled diabetes (target ``target``), Friedman-1 (``make_friedman1``, 2,000 rows, noise
1, ``random_state=0``), ``prices`` (2,000 log-normal prices, exp(11 + 0.5 x0 + 0.3 x1 + 0.3 noise), rounded to cents;
only with ``--sets``), ``age`` and ``hours_per_week`` of
``sample_data/adult_2000.csv``, and ``LIMIT_BAL`` of the Taiwan credit sample in
``../shared/data/`` (or ``$DVCLEAN_SHARED_DATA``; skipped when absent). Not a test.

    python benchmarks/regression_errors.py
    python benchmarks/regression_errors.py --sets diabetes,age --kinds x10,div10 --seeds 0
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DVCLEAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
KINDS = ("none", "x10", "x1000", "div10", "sign", "swap", "shift", "mixed")
FRACTION = 0.05


def load(name: str) -> tuple[pl.DataFrame, str] | None:
    """The frame and its target column, or None when the file is absent."""
    if name == "diabetes":
        from sklearn.datasets import load_diabetes

        d = load_diabetes()
        frame = pl.DataFrame({n: d.data[:, i] for i, n in enumerate(d.feature_names)})
        return frame.with_columns(target=pl.Series(d.target.astype(float))), "target"
    if name == "friedman1":
        from sklearn.datasets import make_friedman1

        x, y = make_friedman1(n_samples=2000, noise=1.0, random_state=0)
        return pl.DataFrame({f"x{i}": x[:, i] for i in range(x.shape[1])}).with_columns(target=pl.Series(y)), "target"
    if name in ("age", "hours_per_week"):
        return pl.read_csv(ROOT / "sample_data" / "adult_2000.csv"), name
    if name == "prices":
        # log-normal prices, 30% noise: a spread in proportion to the price (the log scale of flags.residual_z)
        rng = np.random.default_rng(1)
        x = rng.normal(size=(2000, 4))
        price = np.round(np.exp(11 + 0.5 * x[:, 0] + 0.3 * x[:, 1] + 0.3 * rng.normal(size=2000)), 2)
        return pl.DataFrame({f"x{i}": x[:, i] for i in range(4)}).with_columns(price=pl.Series(price)), "price"
    if name == "LIMIT_BAL":
        path = SHARED / "sample_taiwan_credit_default_2000.csv"
        return (pl.read_csv(path).drop("ID"), name) if path.exists() else None
    raise SystemExit(f"unknown data set {name!r}: diabetes, friedman1, age, hours_per_week, LIMIT_BAL")


def inject(y: np.ndarray, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``y`` with ``FRACTION`` of its targets made wrong in the way ``kind`` names, and which rows changed."""
    y = y.astype(np.float64).copy()
    before = y.copy()
    if kind == "none":
        return y, np.zeros(y.size, dtype=bool)
    rows = rng.choice(y.size, max(1, round(FRACTION * y.size)), replace=False)
    if kind == "x10":
        y[rows] *= 10
    elif kind == "x1000":
        y[rows] *= 1000
    elif kind == "div10":
        y[rows] /= 10
    elif kind == "sign":
        y[rows] *= -1
    elif kind == "swap":
        for i in rows:
            digits = str(int(round(abs(y[i]))))
            if len(digits) >= 2 and digits[0] != digits[1] and digits[1] != "0":
                y[i] = np.sign(y[i]) * float(digits[1] + digits[0] + digits[2:])
    elif kind == "shift":
        y[rows] += rng.choice([-1.0, 1.0], rows.size) * rng.uniform(3, 5, rows.size) * y.std()
    elif kind == "mixed":
        gross, shifted = rows[: rows.size // 2], rows[rows.size // 2:]
        y[shifted] += rng.choice([-1.0, 1.0], shifted.size) * rng.uniform(1, 2, shifted.size) * y.std()
        y[gross] *= 10
    else:
        raise SystemExit(f"unknown error kind {kind!r}: {', '.join(KINDS)}")
    return y, y != before


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default="diabetes,friedman1,age,hours_per_week,LIMIT_BAL")
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--seeds", default="0,1,2")
    args = ap.parse_args(argv)
    from sklearn.metrics import roc_auc_score

    import dvclean
    from dvclean.config import ScoreConfig

    seeds = [int(s) for s in args.seeds.split(",")]
    print("| data | errors | precision | recall | AUROC | flagged | wrong | seconds |")
    print("|---|---|---|---|---|---|---|---|")
    for name in args.sets.split(","):
        loaded = load(name)
        if loaded is None:
            print(f"({name}: {SHARED} has no Taiwan sample; skipped)", file=sys.stderr)
            continue
        frame, target = loaded
        baseline = None
        for kind in args.kinds.split(","):
            rows = []
            for seed in seeds:
                y, wrong = inject(frame.get_column(target).to_numpy(), kind, np.random.default_rng(100 + seed))
                t = time.perf_counter()
                r = dvclean.score(frame.with_columns(pl.Series(target, y)), label=target,
                                  config=ScoreConfig(task="regression", seed=seed))
                seconds = time.perf_counter() - t
                flagged = r.frame.get_column("is_mislabeled").to_numpy()
                score = r.frame.get_column("mislabel_score").to_numpy()
                tp = int((flagged & wrong).sum())
                rows.append((tp / max(1, flagged.sum()) if wrong.any() else np.nan,
                             tp / wrong.sum() if wrong.any() else np.nan,
                             roc_auc_score(wrong, score) if wrong.any() else np.nan,
                             int(flagged.sum()), int(wrong.sum()), seconds))
            m = np.nanmean(np.array(rows, dtype=np.float64), axis=0) if kind != "none" else np.array(rows[0], dtype=float)
            if kind == "none":
                baseline = int(m[3])
            shown = ["-" if np.isnan(v) else f"{v:.2f}" for v in m[:3]]
            print(f"| {name} | {kind} | {' | '.join(shown)} | {m[3]:.0f} | {m[4]:.0f} | {m[5]:.1f} |", flush=True)
        if baseline is not None:
            print(f"| {name} | (baseline: clean data, {baseline} flagged) | | | | | | |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
