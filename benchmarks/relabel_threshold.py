"""How confident must ``dvclean fix --action relabel`` be before it changes a label?

``relabel`` gives a flagged row its suggested label when the pooled probability of that
label (``suggested_label_prob``) is at least ``--min-confidence``. A relabel can restore a
flipped label (+1 correct label), change a correct label (-1), or move a wrong label to
another wrong one (0, multi-class only). The threshold that serves a user is the one that
leaves the most correct labels: **net = restored - broken**. This script measures it for
a grid of thresholds on the label-noise benchmark's cells (``benchmarks/label_noise.py``:
same data, noise models and seeds; Adult and Taiwan from ``../shared/data`` or ``$DVCLEAN_SHARED_DATA``, a
requested data set that cannot be loaded stops the run unless ``--skip-missing``), with the shipped default rule and evidence
(:func:`dvclean.flags.gather_evidence`, :func:`dvclean.flags.flag_rows`).

Usage::

    python benchmarks/relabel_threshold.py                 # 15 cells x 3 seeds (about 3 minutes on 2 cores)
    python benchmarks/relabel_threshold.py --write benchmarks/RESULTS_RELABEL.md

Never part of the tests.
"""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import label_noise as bench  # noqa: E402 - the benchmark's data and noise

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def cell_counts(name: str, noise: str, seed: int, rows: int) -> np.ndarray:
    """(restored, broken, wrong-to-wrong, flipped) per threshold, shape (len(THRESHOLDS), 4)."""
    from dvclean.config import FeatureConfig, FlagPolicy, KNNConfig, MislabelConfig
    from dvclean.flags import flag_rows, gather_evidence
    from dvclean.table import ValuationData, make_table, prepare
    from dvclean.valuation.knn import KNNShapley

    df, label = bench.load(name, rows, seed)
    clean, _, _ = prepare(make_table(df, label=label), config=FeatureConfig())
    y, flipped = bench.add_noise(clean.y, noise, seed)
    truth, c = clean.y, len(clean.classes)
    knn = KNNShapley(KNNConfig()).value(ValuationData(x=clean.x, y=y, rows=clean.rows, classes=clean.classes), seed=seed)
    ev = gather_evidence(clean.x, y, knn.neighbors, c, MislabelConfig(), knn_values=knn.values, seed=seed)
    f = flag_rows(knn.values, y, knn.neighbors, c, FlagPolicy(), evidence=ev)
    out = np.zeros((len(THRESHOLDS), 4))
    for i, t in enumerate(THRESHOLDS):
        changed = f.is_mislabeled & (f.suggested_label_prob >= t)
        out[i] = [
            (changed & flipped & (f.suggested_label == truth)).sum(),
            (changed & ~flipped).sum(),
            (changed & flipped & (f.suggested_label != truth)).sum(),
            flipped.sum(),
        ]
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args, seeds = bench.parse_cell_args(__doc__, argv)
    t0 = time.perf_counter()
    per: dict[str, np.ndarray] = {cell: sum(counts) for cell, counts in bench.each_cell(args, seeds, cell_counts)}
    total = sum(per.values())
    cmd = shlex.join(["python", "benchmarks/relabel_threshold.py", *argv])
    lines = [f"Command: `{cmd}` ({(time.perf_counter() - t0) / 60:.1f} minutes; {len(per)} cells x {len(seeds)} seeds;"
             " counts summed over the seeds).", "",
             "Net = flipped labels restored - correct labels changed (the change in the number of correct labels).", "",
             "| threshold | restored | broken | wrong to wrong | net | net / flipped | cells with net < 0 |",
             "|---|---|---|---|---|---|---|"]
    for i, t in enumerate(THRESHOLDS):
        r, b, w, fl = total[i]
        worse = sum(1 for v in per.values() if v[i, 0] - v[i, 1] < 0)
        lines.append(f"| {t:g} | {r:.0f} | {b:.0f} | {w:.0f} | {r - b:.0f} | {(r - b) / fl:.3f} | {worse} |")
    lines += ["", "Net per cell:", "", "| cell | " + " | ".join(f"{t:g}" for t in THRESHOLDS) + " |",
              "|---|" + "---|" * len(THRESHOLDS)]
    for k, v in per.items():
        lines.append(f"| {k} | " + " | ".join(f"{v[i, 0] - v[i, 1]:.0f}" for i in range(len(THRESHOLDS))) + " |")
    bench.emit("Relabel threshold of `dvclean fix`", "\n".join(lines), args.write, args.skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
