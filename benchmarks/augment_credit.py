"""Targeted augmentation on the Taiwan credit-default data (Ferracci et al.'s data set).

Runs ``dvclean augment --evaluate`` (80/10/10 stratified split, hard = lowest 10% by
5-NN KNN-Shapley on the train split, 10% synthetic rows, XGBoost paper config over
``--repeats`` seeds) with each generator and prints the three-arm table with 95% CIs and
the wall time per stage. Needs ``../shared/data/taiwan_credit_default.csv.gz`` (or
``$DVCLEAN_SHARED_DATA``) and the augment extra. Not a test.

    python benchmarks/augment_credit.py                      # tvae and gaussian-copula
    python benchmarks/augment_credit.py --generators tvae --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("DVCLEAN_SHARED_DATA", ROOT.parent / "shared" / "data")) / "taiwan_credit_default.csv.gz"
LABEL = "default.payment.next.month"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--generators", default="tvae,gaussian-copula")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--hard-frac", type=float, default=0.10)
    ap.add_argument("--n-synthetic", default="10%")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--include-mislabeled", action="store_true", help="the paper's hard set (lowest values of all rows)")
    ap.add_argument("--k", type=int, default=5, help="K of the KNN-Shapley hardness (the paper's Amex generators used 100)")
    ap.add_argument("--epochs", type=int, help="generator epochs (default: dvclean's automatic count)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (set DVCLEAN_SHARED_DATA)")
        return 0
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from dvclean.augment import AugmentConfig, augment, write_augmented

    results = {}
    for gen in args.generators.split(","):
        cfg = AugmentConfig(
            generator=gen, hard_fraction=args.hard_frac, n_synthetic=args.n_synthetic, seed=args.seed,
            evaluate=True, repeats=args.repeats, include_mislabeled=args.include_mislabeled, xgb_threads=2,
            k=args.k, epochs=args.epochs if gen != "gaussian-copula" else None,
        )
        t = time.perf_counter()
        r = augment(DATA, label=LABEL, id_column="ID", config=cfg, progress=lambda m, g=gen: print(f"  [{g}] {m}", flush=True))
        with tempfile.TemporaryDirectory() as tmp:
            t_w = time.perf_counter()
            write_augmented(r, Path(tmp) / "credit.augmented.parquet")
            write_s = time.perf_counter() - t_w
        wall = time.perf_counter() - t
        ev = r.report["evaluation"]
        results[gen] = {"wall_s": round(wall, 1), "timings": {**r.report["timings"], "write": round(write_s, 3)},
                        "evaluation": ev, "quality": r.report["quality"]}
        print(f"\n{gen}: {wall:.1f}s total; split {ev['split']}; target {ev['target_rows']} rows "
              f"{ev['target_class_mix']}; +{ev['n_synthetic']} synthetic rows")
        print(f"  generators: {json.dumps(ev['generators'])}")
        print(f"  {'arm':<13} {'AUC':>18} {'Δ AUC':>20} {'Δ Gini':>20}")
        for arm, e in ev["arms"].items():
            auc = f"{e['auc']['mean']:.4f} ± {e['auc']['ci95']:.4f}"
            dauc = f"{e['delta_auc']['mean']:+.2e} ± {e['delta_auc']['ci95']:.1e}" if "delta_auc" in e else ""
            dg = f"{e['delta_gini']['mean']:+.2e} ± {e['delta_gini']['ci95']:.1e}" if "delta_gini" in e else ""
            print(f"  {arm:<13} {auc:>18} {dauc:>20} {dg:>20}")
        print(f"  verdict: {ev['verdict']}")
        stages = {**{f"eval.{k}": v for k, v in ev["timings"].items()}, **results[gen]["timings"]}
        print("  stages (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
