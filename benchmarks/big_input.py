"""Big input: a 1,000,000-row, 50-column CSV scored with ``--method knn``.

Generates the CSV in a temporary directory (never committed), runs
``dvclean score`` on it in a child process and reports wall time and the child's
peak RSS (``resource.getrusage(RUSAGE_CHILDREN)``). Baseline named in the output: the
size of the CSV itself, so the ratio says how many times the file size the run needed.

Target: peak RSS under 4 GiB.

Usage::

    python benchmarks/big_input.py [--rows 1000000] [--cols 50] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_csv(path: Path, rows: int, cols: int, seed: int = 0) -> None:
    """Correlated numeric columns + 5 categorical columns + a label (see dvclean.testing.write_big_csv)."""
    from dvclean.testing import write_big_csv

    write_big_csv(path, rows, cols, seed=seed)


def run(path: Path) -> dict:
    out = path.with_suffix(".scores.parquet")
    t = time.perf_counter()
    res = subprocess.run(
        [sys.executable, "-m", "dvclean", "score", str(path), "--method", "knn", "-o", str(out), "--json", "-q"],
        capture_output=True, text=True,
    )
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if res.returncode != 0:
        raise SystemExit(f"dvclean failed ({res.returncode}): {res.stderr.strip()}")
    doc = json.loads(res.stdout)
    return {"seconds": wall, "peak_rss_mib": peak, "summary": doc}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--keep", help="write the CSV into this directory instead of a temporary one")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep or tmp)
        path = base / f"big_{args.rows}x{args.cols}.csv"
        t = time.perf_counter()
        if not path.exists():
            make_csv(path, args.rows, args.cols)
        gen = time.perf_counter() - t
        size_mib = path.stat().st_size / 2**20
        r = run(path)
        m = r["summary"]["methods"]["knn"]["diagnostics"]
        print(f"rows={args.rows:,} cols={args.cols} csv={size_mib:.0f} MiB (generated in {gen:.1f}s)")
        print(f"dvclean score --method knn: {r['seconds']:.1f}s wall, peak RSS {r['peak_rss_mib']:.0f} MiB "
              f"= {r['peak_rss_mib'] / size_mib:.2f}x the CSV size (baseline: the file size); "
              f"path={m['algorithm']} K*={m.get('k_star')} search={m.get('neighbors')}; "
              f"timings={r['summary']['timings']}")
        print(f"target peak RSS < 4096 MiB: {'met' if r['peak_rss_mib'] < 4096 else 'MISSED'}")


if __name__ == "__main__":
    main()
