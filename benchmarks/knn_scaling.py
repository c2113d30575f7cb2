"""KNN-Shapley scaling: exact and approximate paths from 2k to 1M rows.

Data: synthetic, 20 features, 2 classes (``sklearn.datasets.make_classification``
with 10 informative and 5 redundant features, 5% label noise). Every measurement
runs in a fresh worker process started by this script, so its peak RSS is its own.

Baseline ("naive numpy"): the textbook implementation that builds the full
n x n distance matrix, argsorts every row and runs the recursion with numpy; it is
run for the sizes where its matrices fit in memory, and the ratio column is
naive seconds / dvclean's KNN-Shapley seconds at the same size: the valuation step
against the valuation, not the whole call.

Two times per size: ``value s``, the KNN-Shapley step of ``dvclean.score`` (what this
benchmark is about), and ``score s``, the whole call, which also reads the frame,
encodes it and runs the default mislabel step (out-of-fold XGBoost, the OOB forest and
logistic regression: above a few thousand rows it takes longer than the valuation; above
200,000 rows, ``--mislabel-max-rows``, it gives way to the ``knn`` rule).

Targets (2-core machine), for the valuation step: exact 50,000 rows under 60 s;
approximate 1,000,000 rows under 5 minutes and under 4 GiB peak RSS (whole call).

Usage::

    python benchmarks/knn_scaling.py                 # full table (about 15 minutes)
    python benchmarks/knn_scaling.py --quick         # up to 20k rows
    python benchmarks/knn_scaling.py --json out.json
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

EXACT_SIZES = [2_000, 5_000, 10_000, 20_000, 50_000]
APPROX_SIZES = [2_000, 10_000, 50_000, 200_000, 1_000_000]
NAIVE_SIZES = [2_000, 5_000, 10_000]
K = 5


def make_data(n: int):
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=n, n_features=20, n_informative=10, n_redundant=5, flip_y=0.05, random_state=0
    )
    return x, y


def naive_knn_shapley(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """Full n x n distance matrix, leave-self-out, numpy recursion."""
    n = x.shape[0]
    sq = (x * x).sum(1)
    d = sq[:, None] + sq[None, :] - 2 * x @ x.T
    np.fill_diagonal(d, np.inf)
    order = np.argsort(d, axis=1)[:, :-1]
    m = (y[order] == y[:, None]).astype(float)
    big_n = n - 1
    s = np.zeros_like(m)
    s[:, -1] = m[:, -1] / big_n
    for i in range(big_n - 1, 0, -1):  # recursion over ranks, vectorised over validation points
        s[:, i - 1] = s[:, i] + (m[:, i - 1] - m[:, i]) / k * min(k, i) / i
    phi = np.zeros(n)
    np.add.at(phi, order.ravel(), s.ravel())
    return phi / n


def worker(kind: str, n: int) -> dict:
    import polars as pl

    x, y = make_data(n)
    out: dict = {"kind": kind, "n": n}
    if kind == "naive":
        t = time.perf_counter()
        naive_knn_shapley(x, y, K)
        out["seconds"] = time.perf_counter() - t
    else:
        import dvclean
        from dvclean.valuation.knn import NUMBA_MIN_PLAYERS, knn_shapley_exact

        df = pl.DataFrame(x, schema=[f"f{i}" for i in range(x.shape[1])]).with_columns(pl.Series("label", y))
        cfg = dvclean.ScoreConfig(knn=dvclean.KNNConfig(k=K, algorithm=kind))
        if kind == "exact" and n >= NUMBA_MIN_PLAYERS:  # load the kernel outside the timed region (cached on disk)
            knn_shapley_exact(x[:50], y[:50], K, engine="numba")
        t = time.perf_counter()
        r = dvclean.score(df, label="label", config=cfg)
        out["seconds"] = time.perf_counter() - t
        out["value_seconds"] = r.timings["value"]
        out["diagnostics"] = r.results["knn"].diagnostics
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def run_one(kind: str, n: int, timeout: float) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, str(n)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"kind": kind, "n": n, "error": f"timeout after {timeout:.0f}s"}
    if res.returncode != 0:
        return {"kind": kind, "n": n, "error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "failed"}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="sizes up to 20k only")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], int(args.worker[1]))))
        return
    limit = 20_000 if args.quick else None
    plan = [("naive", n) for n in NAIVE_SIZES] + [("exact", n) for n in EXACT_SIZES] + [("approx", n) for n in APPROX_SIZES]
    plan = [(k, n) for k, n in plan if limit is None or n <= limit]
    results = []
    for kind, n in plan:
        r = run_one(kind, n, timeout=900)
        results.append(r)
        print(f"  {kind:6s} n={n:>9,}: " + (r.get("error") or f"{r.get('value_seconds', r['seconds']):.2f}s "
                                            f"(whole call {r['seconds']:.2f}s), peak RSS {r['peak_rss_mib']:.0f} MiB"),
              file=sys.stderr, flush=True)
    naive = {r["n"]: r["seconds"] for r in results if r["kind"] == "naive" and "seconds" in r}
    print(f"\n{'path':8s} {'rows':>10s} {'value s':>9s} {'score s':>9s} {'peak MiB':>9s} {'naive s':>9s} "
          f"{'naive/this':>10s}  notes")
    for r in results:
        if r["kind"] == "naive":
            continue
        if "error" in r:
            print(f"{r['kind']:8s} {r['n']:>10,} {'-':>9s} {'-':>9s} {'-':>9s} {'':>9s} {'':>10s}  {r['error']}")
            continue
        base = naive.get(r["n"])
        ratio = f"{base / r['value_seconds']:.1f}x" if base else ""
        d = r["diagnostics"]
        note = f"engine={d.get('engine')}" if r["kind"] == "exact" else f"K*={d.get('k_star')} search={d.get('neighbors')}"
        print(f"{r['kind']:8s} {r['n']:>10,} {r['value_seconds']:>9.2f} {r['seconds']:>9.2f} {r['peak_rss_mib']:>9.0f} "
              f"{(f'{base:.2f}' if base else ''):>9s} {ratio:>10s}  {note}")
    for r in results:
        if r["kind"] == "naive" and "seconds" in r:
            print(f"naive    {r['n']:>10,} {r['seconds']:>9.2f} {r['peak_rss_mib']:>9.0f}  (baseline: full distance matrix)")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
