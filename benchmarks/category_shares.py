"""Do the generators keep the categories' shares of the rows they are trained on?

For each generator, ``dvclean augment`` on ``sample_data/adult_2000.csv`` (label ``income``,
the hard set at ``--hard-frac``) and, per categorical column (the label included), the
total variation distance between its shares in the generator's training rows and in the
synthetic rows (0: same shares, 1: disjoint), plus the most frequent category's share and
the SDMetrics quality. The baseline every ratio is printed against is the gaussian copula,
run in the same process.

    python benchmarks/category_shares.py [--hard-frac 0.3] [--n-synthetic 20%] [--seed 0]
        [--generators gaussian-copula,tvae,ctgan,copulagan] [--write FILE]

The written report records the command line as given. ``--write`` replaces the whole file, so
a hand-written reading below the table has to be written again against the new numbers.

Not a test: it trains every generator at dvclean's automatic epoch counts (about two and a half
minutes on two cores).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import polars as pl  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dvclean.augment import AugmentConfig, augment  # noqa: E402
from dvclean.augment.config import parse_target  # noqa: E402
from dvclean.augment.core import target_mask  # noqa: E402

GENERATORS = ("gaussian-copula", "tvae", "ctgan", "copulagan")
LABEL = "income"


def shares(col: pl.Series) -> dict[str, float]:
    vc = col.cast(pl.String).fill_null("<null>").value_counts(normalize=True)
    return dict(zip(vc.get_column(vc.columns[0]).to_list(), vc.get_column("proportion").to_list(), strict=True))


def tv_distance(a: dict[str, float], b: dict[str, float]) -> float:
    keys = set(a) | set(b)
    return 0.5 * sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hard-frac", type=float, default=0.3)
    ap.add_argument("--n-synthetic", default="20%")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--generators", default=",".join(GENERATORS))
    ap.add_argument("--write", type=Path)
    args = ap.parse_args(argv)
    cmd = shlex.join(["python", "benchmarks/category_shares.py", *(sys.argv[1:] if argv is None else argv)])
    df = pl.read_csv(ROOT / "sample_data" / "adult_2000.csv")
    categorical = [c for c, t in df.schema.items() if t == pl.String]
    rows: list[dict] = []
    t_all = time.perf_counter()
    for gen in args.generators.split(","):
        t = time.perf_counter()
        cfg = AugmentConfig(generator=gen, hard_fraction=args.hard_frac, n_synthetic=args.n_synthetic, seed=args.seed)
        r = augment(df, label=LABEL, config=cfg)
        train = r.table.frame.filter(pl.Series(target_mask(parse_target(cfg.target), r.table, r.scores, cfg)))
        syn = r.synthetic
        tv = {c: tv_distance(shares(train.get_column(c)), shares(syn.get_column(c))) for c in categorical}
        q = r.report.get("quality") or {}
        rows.append({
            "generator": gen, "training rows": train.height, "seconds": time.perf_counter() - t,
            "label TV": tv[LABEL], "mean TV": float(np.mean(list(tv.values()))), "max TV": max(tv.values()),
            "worst column": max(tv, key=tv.get),
            "label share train/syn": f"{shares(train.get_column(LABEL)).get('<=50K', 0):.3f} / {shares(syn.get_column(LABEL)).get('<=50K', 0):.3f}",
            "race White train/syn": f"{shares(train.get_column('race')).get('White', 0):.3f} / {shares(syn.get_column('race')).get('White', 0):.3f}",
            "quality": q.get("score"), "Column Shapes": q.get("Column Shapes"),
        })
        print(rows[-1], flush=True)
    base = next((r for r in rows if r["generator"] == "gaussian-copula"), rows[0])
    head = ["generator", "training rows", "label share `<=50K` train / synthetic", "race `White` train / synthetic",
            "label TV", f"mean TV (x {base['generator']})", "max TV (column)", "quality", "Column Shapes", "seconds"]
    lines = [
        "# Category shares in synthetic rows (`benchmarks/category_shares.py`)",
        "",
        f"`sample_data/adult_2000.csv`, label `{LABEL}`, `--hard-frac {args.hard_frac}`, `--n-synthetic {args.n_synthetic}`, "
        f"seed {args.seed}, dvclean's automatic epochs; TV = total variation distance between a categorical column's "
        f"shares in the generator's training rows and in the synthetic rows, over the {len(categorical)} text columns "
        f"(the label included). Command: `{cmd}`.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in rows:
        ratio = r["mean TV"] / base["mean TV"] if base["mean TV"] else float("nan")
        lines.append(
            f"| {r['generator']} | {r['training rows']} | {r['label share train/syn']} | {r['race White train/syn']} | "
            f"{r['label TV']:.3f} | {r['mean TV']:.3f} ({ratio:.1f}x) | {r['max TV']:.3f} ({r['worst column']}) | "
            f"{r['quality'] if r['quality'] is None else round(r['quality'], 3)} | "
            f"{r['Column Shapes'] if r['Column Shapes'] is None else round(r['Column Shapes'], 3)} | {r['seconds']:.0f} |"
        )
    lines += ["", f"Total wall time {time.perf_counter() - t_all:.0f} s.", ""]
    text = "\n".join(lines)
    print(text)
    if args.write:
        args.write.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
