"""The flag rule's Data-OOB forest with bootstrap samples capped at ``MislabelConfig.oob_max_samples`` rows.

The default ``consensus`` rule pools the out-of-bag votes of a 200-tree forest (Data-OOB, Kwon & Zou 2023) with
three other signals. Each tree was fitted on a bootstrap sample of all ``n`` rows, which made the forest most of a
default run above a few tens of thousands of rows; the flag rule now draws at most 20,000 rows per tree
(``oob_max_samples``; the ``oob`` valuation method keeps the paper's bootstrap). The named baseline is the uncapped
forest (``oob_max_samples=None``), run in the same process on the same noisy table and seed.

Data: the full Adult (48,842 rows) and Taiwan credit-default (30,000 rows) files of ``../shared/data/`` with 10% of
the labels flipped uniformly to another class (a fixed seed per run); a synthetic ``dvclean.testing.write_big_csv``
table of ``--rows`` rows for the time alone. For each cap: F1, precision and recall of ``is_mislabeled`` for the
flipped rows, AUROC of ``mislabel_score``, the number flagged, and the flag step's seconds (the summary's
``timings['flag']``) with its ratio to the baseline's. One native thread (``OMP_NUM_THREADS=1`` is set here).

Usage::

    python benchmarks/oob_cap.py [--caps none,20000,10000] [--seeds 0,1] [--rows 100000] [--write FILE]
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from sklearn.metrics import roc_auc_score  # noqa: E402

import dvclean  # noqa: E402
from dvclean.config import MislabelConfig, ScoreConfig  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
DATA = {"adult": ("adult.csv.gz", "income", ()), "taiwan": ("taiwan_credit_default.csv.gz",
                                                               "default.payment.next.month", ("ID",))}


def noisy(name: str, seed: int) -> tuple[pl.DataFrame, str, tuple[str, ...], np.ndarray]:
    """The data set with 10% of its labels flipped to another class, and which rows were flipped."""
    file, label, drop = DATA[name]
    frame = pl.read_csv(gzip.open(SHARED / file).read(), infer_schema_length=10_000)
    rng = np.random.default_rng(seed)
    y = frame.get_column(label).cast(pl.String).to_numpy()
    classes = np.unique(y)
    flip = rng.random(y.size) < 0.10
    y2 = y.copy()
    for i in np.flatnonzero(flip):
        y2[i] = rng.choice(classes[classes != y[i]])
    return frame.with_columns(pl.Series(label, y2)), label, drop, flip


def run(frame: pl.DataFrame | str, label: str | None, drop: tuple[str, ...], cap: int | None, seed: int,
        flip: np.ndarray | None) -> dict:
    cfg = ScoreConfig(seed=seed, mislabel=MislabelConfig(oob_max_samples=cap))
    t = time.perf_counter()
    r = dvclean.score(frame, label=label, drop=drop, config=cfg)
    out = {"wall": time.perf_counter() - t, "flag": r.summary["timings"]["flag"]}
    flagged = r.frame.get_column("is_mislabeled").to_numpy().astype(bool)
    out["flagged"] = int(flagged.sum())
    if flip is not None:
        tp = int((flagged & flip).sum())
        p, rc = tp / max(int(flagged.sum()), 1), tp / int(flip.sum())
        out |= {"f1": 2 * p * rc / max(p + rc, 1e-12), "precision": p, "recall": rc,
                "auroc": roc_auc_score(flip, r.frame.get_column("mislabel_score").to_numpy())}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--caps", default="none,20000,10000")
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--rows", type=int, default=100_000, help="rows of the synthetic timing table (0: none)")
    ap.add_argument("--write", help="write the Markdown table to this file as well")
    args = ap.parse_args()
    caps = [None if c == "none" else int(c) for c in args.caps.split(",")]
    if caps[0] is not None:
        sys.exit("the first cap is the baseline: none")
    lines = ["| data | seed | cap | F1 | precision | recall | AUROC | flagged | flag step s | vs baseline |",
             "|---|---|---|---|---|---|---|---|---|---|"]

    def row(name: str, seed: int, cap: int | None, m: dict, base: dict) -> None:
        cells = [name, str(seed), "none (baseline)" if cap is None else f"{cap:,}"]
        cells += [f"{m[k]:.4f}" if k in m else "" for k in ("f1", "precision", "recall", "auroc")]
        cells += [f"{m['flagged']:,}", f"{m['flag']:.1f}", f"{base['flag'] / m['flag']:.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
        print(lines[-1], flush=True)

    if SHARED.is_dir():
        for name in DATA:
            for seed in (int(s) for s in args.seeds.split(",")):
                frame, label, drop, flip = noisy(name, seed)
                base = None
                for cap in caps:
                    m = run(frame, label, drop, cap, seed, flip)
                    base = base or m
                    row(name, seed, cap, m, base)
    else:
        print(f"{SHARED} is absent: the real-data rows are skipped", flush=True)
    if args.rows:
        from dvclean.testing import write_big_csv

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "big.csv"
            write_big_csv(path, args.rows, 50, seed=0)
            base = None
            for cap in caps:
                m = run(str(path), None, (), cap, 0, None)
                base = base or m
                row(f"synthetic {args.rows:,} x 50", 0, cap, m, base)
    if args.write:
        Path(args.write).write_text(
            "# The flag rule's Data-OOB forest with capped bootstrap samples\n\n"
            f"Command: `python benchmarks/oob_cap.py --caps {args.caps} --seeds {args.seeds} --rows {args.rows} "
            f"--write {args.write}`\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
