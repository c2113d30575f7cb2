"""Point masses in SDV's synthetic rows: with and without dvclean's explicit treatment.

SDV's generators model a numerical column as continuous, so a spike such as Adult's zeros
in ``capital_gain`` is smeared over nearby values. ``dvclean.augment._sdv.Generator``
models the most frequent value of a numerical column as a point mass through a hidden
indicator column when it holds >= 10% of the values (``find_point_mass``). This script
fits each generator twice on the same training rows, in the same process and with the
same seed — untreated (``point_masses=False``) and treated — and compares, for every
column the treated fit found a mass in:

* the share of the rows at the mass value (training vs synthetic),
* the *smear*: synthetic values strictly between the mass and the nearest training value
  on either side (values no training row has, e.g. ``capital_gain`` of 3 or -40),
* P(income = >50K | at the mass), training vs synthetic (the mass's relation to the label),

and the SDMetrics quality score (overall, Column Shapes, Column Pair Trends) of each
synthetic draw against the training rows. Training sets from ``../shared/data/adult.csv.gz``
(or ``$DVCLEAN_SHARED_DATA``): ``hard`` = the ``is_hard`` rows of ``dvclean.score`` with
its defaults on all 48,842 rows (the rows ``dvclean augment`` trains on), ``randomN`` = a
fixed random sample (seed 0) of N rows. Needs the augment extra. Not a test.

    python benchmarks/point_mass.py                                   # hard, random300, random2000 x gaussian-copula, tvae
    python benchmarks/point_mass.py --sets random300 --generators gaussian-copula
    python benchmarks/point_mass.py --write benchmarks/RESULTS_POINT_MASS.md
    python benchmarks/point_mass.py --sets hard --generators tvae --seed 1 --write benchmarks/RESULTS_POINT_MASS.md --append
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("DVCLEAN_SHARED_DATA", ROOT.parent / "shared" / "data")) / "adult.csv.gz"
LABEL = "income"
POSITIVE = ">50K"
HEADER = """# Point masses in synthetic rows (`benchmarks/point_mass.py`)

Adult (`../shared/data/adult.csv.gz`, label `income`). Training sets: `hard` = the `is_hard` rows
of `dvclean.score` with its defaults on all 48,842 rows (what `dvclean augment` trains on);
`random300` / `random2000` = fixed random samples (seed 0). Each generator is fitted twice in
the same process with the same seed, treated (explicit point masses, the default) and untreated
(`Generator(..., point_masses=False)`), and draws max(1000, training rows) synthetic rows; the
neural generators train for dvclean's automatic epoch count (>= 1000 gradient steps, nothing
reduced). *share gap*: |synthetic - training share of the non-null values at the mass|, averaged
over the treated columns; *smear*: share of synthetic values strictly between the mass and the
nearest training value on either side (values no training row has); *quality*: SDMetrics
quality of the synthetic rows against the training rows, on the original columns.
"""


def training_sets(names: list[str], seed: int) -> dict[str, Any]:
    import polars as pl

    df = pl.read_csv(DATA)
    out = {}
    for name in names:
        if name == "hard":
            import dvclean

            t = time.perf_counter()
            scores = dvclean.score(df, label=LABEL).frame  # default config (seed 0), as `dvclean augment`
            out[name] = df.filter(scores.get_column("is_hard"))
            print(f"scored {df.height} rows in {time.perf_counter() - t:.1f}s: {out[name].height} hard rows", flush=True)
        elif name.startswith("random"):
            out[name] = df.sample(int(name.removeprefix("random")), seed=seed, shuffle=True)
        else:
            raise SystemExit(f"unknown set {name!r}: use hard or randomN")
    return out


def mass_stats(frame: Any, column: str, value: float, gap: tuple[float, float]) -> dict[str, float]:
    import numpy as np

    x = frame.get_column(column).cast(float).to_numpy()
    y = frame.get_column(LABEL).to_numpy()
    ok = ~np.isnan(x)
    at = ok & (x == value)
    smear = ok & (x > gap[0]) & (x < gap[1]) & (x != value)
    return {
        "share": at.sum() / max(1, ok.sum()),
        "smear": smear.sum() / max(1, ok.sum()),
        "pos_at_mass": float((y[at] == POSITIVE).mean()) if at.any() else float("nan"),
    }


def gap_around(frame: Any, column: str, value: float) -> tuple[float, float]:
    """The open interval around ``value`` in which the training rows have no other value."""
    import numpy as np

    x = frame.get_column(column).drop_nulls().cast(float).to_numpy()
    below, above = x[x < value], x[x > value]
    return (below.max() if below.size else -np.inf, above.min() if above.size else np.inf)


def run(train: Any, generator: str, treat: bool, n: int, seed: int, epochs: int | None) -> dict[str, Any]:
    from dvclean.augment._sdv import Generator

    t = time.perf_counter()
    g = Generator(train, label=LABEL, generator=generator, seed=seed, point_masses=treat,
                  epochs=epochs if generator != "gaussian-copula" else None)
    fit = time.perf_counter() - t
    syn = g.sample(n)
    q = g.quality(syn)
    return {"gen": g, "synthetic": syn, "quality": q, "fit_s": fit, "wall_s": time.perf_counter() - t}


def fmt(v: float | None, spec: str = ".3f") -> str:
    return "n/a" if v is None or v != v else format(v, spec)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="hard,random300,random2000", help="comma-separated: hard, randomN")
    ap.add_argument("--generators", default="gaussian-copula,tvae")
    ap.add_argument("--n-synthetic", type=int, help="synthetic rows per fit (default: the training rows, >= 1000)")
    ap.add_argument("--epochs", type=int, help="neural generators' epochs (default: dvclean's automatic count)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--write", type=Path, help="also write the Markdown tables here")
    ap.add_argument("--append", action="store_true", help="add them to the end of the --write file instead")
    args = ap.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} is absent (set DVCLEAN_SHARED_DATA)")
        return 0
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    t0 = time.perf_counter()
    sets = training_sets(args.sets.split(","), args.seed)
    summary = ["| set | rows | generator | epochs | treated columns | mean abs. share gap untreated → treated | "
               "mean smear untreated → treated | quality untreated → treated (Δ) | Column Shapes (Δ) | "
               "Column Pair Trends (Δ) | fit s untreated / treated |", "|---" * 11 + "|"]
    detail: list[str] = []
    for set_name, train in sets.items():
        n = args.n_synthetic or max(1000, train.height)
        for gen in args.generators.split(","):
            treated = run(train, gen, True, n, args.seed, args.epochs)
            base = run(train, gen, False, n, args.seed, args.epochs)
            masses = treated["gen"].settings.point_masses
            epochs = treated["gen"].settings.epochs
            print(f"\n[{set_name}, {train.height} rows] {gen} (epochs {epochs}), {n} synthetic rows; masses {masses}", flush=True)
            detail += [f"\n### {set_name} ({train.height} rows), {gen}" + (f", {epochs} epochs" if epochs else ""), "",
                       "| column | mass | share at mass: train / untreated / treated | smear untreated / treated | "
                       "P(>50K \\| mass): train / untreated / treated |", "|---|---|---|---|---|"]
            gaps_b, gaps_t, smear_b, smear_t = [], [], [], []
            for col, value in masses.items():
                gap = gap_around(train, col, value)
                r, b, t = (mass_stats(f, col, value, gap) for f in (train, base["synthetic"], treated["synthetic"]))
                gaps_b.append(abs(b["share"] - r["share"]))
                gaps_t.append(abs(t["share"] - r["share"]))
                smear_b.append(b["smear"])
                smear_t.append(t["smear"])
                line = (f"| {col} | {value} | {r['share']:.3f} / {b['share']:.3f} / {t['share']:.3f} | "
                        f"{b['smear']:.3f} / {t['smear']:.3f} | "
                        f"{fmt(r['pos_at_mass'])} / {fmt(b['pos_at_mass'])} / {fmt(t['pos_at_mass'])} |")
                detail.append(line)
                print("  " + line, flush=True)
            qb, qt = base["quality"], treated["quality"]

            def delta(key: str, qb: dict = qb, qt: dict = qt) -> str:
                a, c = qb.get(key), qt.get(key)
                d = f" ({c - a:+.3f})" if a is not None and c is not None else ""
                return f"{fmt(a)} → {fmt(c)}{d}"

            mb = sum(gaps_b) / max(1, len(gaps_b))
            mt = sum(gaps_t) / max(1, len(gaps_t))
            sb = sum(smear_b) / max(1, len(smear_b))
            st = sum(smear_t) / max(1, len(smear_t))
            ratio = f" (×{mt / mb:.2f})" if mb > 0 else ""
            row = (f"| {set_name} | {train.height} | {gen} | {epochs or '–'} | {len(masses)} | {mb:.3f} → {mt:.3f}{ratio} | "
                   f"{sb:.3f} → {st:.3f} | {delta('score')} | {delta('Column Shapes')} | {delta('Column Pair Trends')} | "
                   f"{base['fit_s']:.1f} / {treated['fit_s']:.1f} |")
            summary.append(row)
            print(f"  share gap {mb:.3f} -> {mt:.3f}{ratio}; smear {sb:.3f} -> {st:.3f}; quality {delta('score')}; "
                  f"shapes {delta('Column Shapes')}; pairs {delta('Column Pair Trends')}", flush=True)
    total = time.perf_counter() - t0
    cmd = "python benchmarks/point_mass.py " + " ".join(sys.argv[1:])
    text = "\n".join(summary) + "\n\n## Per column\n" + "\n".join(detail) + f"\n\nTotal wall time {total:.0f} s (`{cmd.strip()}`).\n"
    print("\n" + text)
    if args.write and args.append:
        with args.write.open("a", encoding="utf-8") as fh:
            fh.write(f"\n## `{cmd.strip()}`\n\n{text}")
    elif args.write:
        args.write.write_text(f"{HEADER}\n## `{cmd.strip()}`\n\n{text}", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
