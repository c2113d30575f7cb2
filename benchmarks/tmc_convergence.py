"""TMC convergence on the Adult sample with 10% flipped labels: AUROC vs model fits and wall time.

One train/validation split of ``sample_data/adult_2000.csv`` (1000 players, 500
validation rows, 10% of the labels flipped with :func:`dvclean.testing.inject_label_noise`),
logistic regression, accuracy, the paper's truncation tolerance 0.01. For each
permutation budget of a fixed grid it prints the model fits, the wall time and the
AUROC of ``-value`` for the flipped players, for

* ``dvclean`` — dvclean's TMC (:func:`dvclean.valuation.tmc.tmc_shapley`, warm-started
  logistic regression, the default);
* ``dv-cold`` — the same with ``warm_start=False`` (every prefix fitted from scratch);
* ``dv-lbfgs`` — warm-started, but every fit by scikit-learn's L-BFGS instead of
  dvclean's Newton solver (:mod:`dvclean.valuation._fastlogreg` patched off): the
  solver's share of the speed-up;
* ``pydvl`` — pyDVL's ``TMCShapleyValuation`` with ``RelativeTruncation(rtol=0.01)``
  and ``MaxUpdates`` (one update per index per permutation), run in its own virtual
  environment (pyDVL pins numpy<2), created with ``pip install pydvl==0.10.0`` when missing
  (checked before any dvclean run; a failed install leaves nothing behind).

Every engine runs serially with one native thread. The dvclean rows are prefixes of
one run: the values after ``b`` permutations are exactly what
``tmc_shapley(max_permutations=b, convergence=0)`` returns (checked at the first
budget). pyDVL's rows are snapshots of one run taken when its update count reaches
each budget. The closing table compares each pyDVL budget with the cheapest dvclean
budget whose AUROC is at least as high.

Usage::

    python benchmarks/tmc_convergence.py                          # dvclean only
    python benchmarks/tmc_convergence.py --pydvl                  # side by side
    python benchmarks/tmc_convergence.py --pydvl --pydvl-venv /tmp/pydvl-venv
    python benchmarks/tmc_convergence.py --pydvl --pydvl-venv VENV --pydvl-version X.Y.Z  # another pyDVL

Never part of the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYDVL_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np
warnings.simplefilter("ignore")
from sklearn.linear_model import LogisticRegression
from pydvl.valuation import Dataset, ModelUtility, SupervisedScorer, TMCShapleyValuation
from pydvl.valuation import RelativeTruncation, MaxUpdates

FITS = [0]


class CountingLR(LogisticRegression):
    def fit(self, x, y, sample_weight=None):
        FITS[0] += 1
        return super().fit(x, y, sample_weight)


d = np.load(sys.argv[1]); budgets = sorted(json.loads(sys.argv[2])); tol = float(sys.argv[3]); seed = int(sys.argv[4])
train, valid = Dataset(d["xp"], d["yp"]), Dataset(d["xv"], d["yv"])
snaps = []
T0 = [0.0]


class Snapshots(MaxUpdates):
    # stops at the largest budget; records the values whenever the count reaches a budget
    def _check(self, result):
        status = super()._check(result)
        while len(snaps) < len(budgets) and self.last_max >= budgets[len(snaps)]:
            r = result.copy() if hasattr(result, "copy") else result
            v = np.zeros(d["xp"].shape[0])
            v[np.asarray(r.indices)] = np.nan_to_num(np.asarray(r.values, dtype=float))
            snaps.append({"budget": budgets[len(snaps)], "values": v.tolist(), "fits": FITS[0],
                          "seconds": time.perf_counter() - T0[0]})
        return status


util = ModelUtility(CountingLR(max_iter=1000), SupervisedScorer("accuracy", valid, default=0.0))
val = TMCShapleyValuation(util, truncation=RelativeTruncation(rtol=tol), is_done=Snapshots(budgets[-1]),
                          seed=seed, progress=False)
T0[0] = time.perf_counter()
val.fit(train)
print(json.dumps(snaps))
"""


def load(seed: int) -> tuple[np.ndarray, ...]:
    import polars as pl

    import dvclean
    from dvclean.table import make_table, prepare
    from dvclean.testing import inject_label_noise

    df, _ = dvclean.read_frame(ROOT / "sample_data" / "adult_2000.csv")
    noisy, flipped = inject_label_noise(df.get_column("income").to_list(), 0.10, seed)
    data, _, _ = prepare(make_table(df.with_columns(pl.Series("income", noisy)), label="income"))
    rng = np.random.default_rng(seed)
    order = rng.permutation(data.n_players)
    players, valid = order[:1000], order[1000:1500]
    return data.x[players], data.y[players], data.x[valid], data.y[valid], np.asarray(flipped)[data.rows[players]]


def run_dvclean(xp, yp, xv, yv, budgets, tol, seed, warm, lbfgs=False):  # noqa: ANN001, ANN201
    """Rows (budget, fits, seconds, values) of one dvclean run, snapshotted at each budget."""
    if lbfgs:
        from unittest import mock

        with mock.patch("dvclean.valuation._fastlogreg.fast_equivalent", return_value=None):
            return run_dvclean(xp, yp, xv, yv, budgets, tol, seed, warm)
    from dvclean.config import TMCConfig
    from dvclean.valuation._models import Utility, make_model, single_thread
    from dvclean.valuation.tmc import Game, _run_chunk, tmc_shapley

    def utility() -> Utility:
        return Utility(lambda: make_model("logreg", seed=seed), "accuracy", xp, yp, xv, yv, 2)

    n = xp.shape[0]
    rows = []
    with single_thread():
        t0 = time.perf_counter()
        u = utility()
        full, empty = u(np.arange(n)), u(np.zeros(0, dtype=np.int64))
        sums, fits, done = np.zeros(n), u.n_fits, 0
        for b in budgets:
            res = _run_chunk(u, n, seed, list(range(done, b)), None, empty, full, tol, 6, None, 0, warm)
            for m in res["marginals"]:
                sums += m
            fits += res["counters"]["model_fits"]
            done = b
            rows.append((b, fits, time.perf_counter() - t0, sums / b))
    # the prefix values are exactly tmc_shapley's at that budget
    b0 = budgets[0]
    est = tmc_shapley([Game(utility(), n, seed)], TMCConfig(max_permutations=b0, tolerance=tol, convergence=0.0,
                                                            batch_size=b0), warm_start=warm)[0]
    np.testing.assert_array_equal(est.values, rows[0][3])
    return rows


PYDVL_VERSION = "0.10.0"  # the version RESULTS_TMC.md was measured with


def _pydvl_version(py: Path) -> str | None:
    """pyDVL's version importable by ``py``, or None when ``py`` is missing or cannot import it."""
    if not py.exists():
        return None
    out = subprocess.run([str(py), "-c", "import importlib.metadata as m, pydvl; print(m.version('pydvl'))"], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else None


def _install_hint(venv: Path, version: str) -> str:
    return (f"create it yourself with `python -m venv {venv} && {venv}/bin/python -m pip install pydvl=={version}` "
            "(needs the package index), pass another --pydvl-venv, or run without --pydvl")


def prepare_pydvl(venv: Path, version: str) -> Path:
    """The python of a virtual environment in which ``import pydvl`` gives ``version``; exits with a message if none.

    An existing ``venv`` is used only if pyDVL imports in it at that version. A missing one is
    built in a temporary directory next to it and renamed to ``venv`` only once pyDVL imports in
    it, so an interrupted or failed install never leaves a half-built environment behind.
    """
    venv = venv.expanduser().absolute()
    py = venv / "bin" / "python"
    if venv.exists():
        found = _pydvl_version(py)
        if found is None:
            sys.exit(f"tmc_convergence.py: error: {venv} exists but `import pydvl` fails in it (a half-built or "
                     f"foreign environment?); delete it to have it rebuilt, or {_install_hint(venv, version)}")
        if found != version:
            sys.exit(f"tmc_convergence.py: error: {venv} has pyDVL {found}, not {version}; pass --pydvl-version "
                     f"{found} to use it anyway, or delete it to have pyDVL {version} installed")
        return py
    venv.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{venv.name}.partial-", dir=venv.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a venv is normally not
    print(f"creating {venv} with pydvl=={version} ...", flush=True)
    try:
        steps = [[sys.executable, "-m", "venv", str(tmp)],
                 [str(tmp / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                  f"pydvl=={version}"]]
        for cmd in steps:
            out = subprocess.run(cmd, capture_output=True, text=True)
            if out.returncode != 0:
                said = (out.stderr.strip() or out.stdout.strip() or f"exit {out.returncode}").splitlines()[-1]
                sys.exit(f"tmc_convergence.py: error: could not install pydvl=={version} into {venv} ({said}); "
                         + _install_hint(venv, version))
        found = _pydvl_version(tmp / "bin" / "python")
        if found != version:
            sys.exit(f"tmc_convergence.py: error: after installing pydvl=={version}, `import pydvl` gives {found}; "
                     + _install_hint(venv, version))
        tmp.rename(venv)  # python -m pip / python script.py work from the new path
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if _pydvl_version(py) != version:
        sys.exit(f"tmc_convergence.py: error: {venv} was built but `import pydvl` fails in it; "
                 + _install_hint(venv, version))
    return py


def run_pydvl(py: Path, xp, yp, xv, yv, budgets, tol, seed):  # noqa: ANN001, ANN201
    env = {**os.environ, **dict.fromkeys(("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"), "1")}
    with tempfile.TemporaryDirectory() as tmp:
        arr = Path(tmp) / "split.npz"
        np.savez(arr, xp=xp, yp=yp, xv=xv, yv=yv)
        script = Path(tmp) / "run_pydvl.py"
        script.write_text(PYDVL_SCRIPT)
        out = subprocess.run([str(py), str(script), str(arr), json.dumps(budgets), str(tol), str(seed)],
                             capture_output=True, text=True, env=env)
    if out.returncode != 0:
        tail = (out.stderr.strip() or f"exit {out.returncode}").splitlines()[-1]
        sys.exit(f"tmc_convergence.py: error: the pyDVL run failed ({tail})")
    snaps = json.loads(out.stdout.strip().splitlines()[-1])
    return [(s["budget"], s["fits"], s["seconds"], np.asarray(s["values"])) for s in snaps]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--permutations", default="5,10,20,40,80", help="comma-separated permutation budgets")
    ap.add_argument("--tolerance", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-cold", action="store_true", help="skip the cold-start dvclean run")
    ap.add_argument("--no-lbfgs", action="store_true", help="skip the scikit-learn L-BFGS dvclean run")
    ap.add_argument("--pydvl", action="store_true", help="also run pyDVL in its own venv")
    ap.add_argument("--pydvl-venv", default=str(Path(tempfile.gettempdir()) / "pydvl-venv"),
                    help="virtual environment with pyDVL (built with pip when missing; default %(default)s)")
    ap.add_argument("--pydvl-version", default=PYDVL_VERSION,
                    help="pyDVL version to install or require in --pydvl-venv (default %(default)s)")
    args = ap.parse_args()
    # before any dvclean work: a missing or broken pyDVL environment fails now, not after minutes of runs
    pydvl_python = prepare_pydvl(Path(args.pydvl_venv), args.pydvl_version) if args.pydvl else None

    from sklearn.metrics import roc_auc_score

    xp, yp, xv, yv, flipped = load(args.seed)
    budgets = sorted(int(b) for b in args.permutations.split(","))
    print(f"adult_2000, 10% flipped: {xp.shape[0]} players, {xv.shape[0]} validation rows, "
          f"{int(flipped.sum())} flipped players; tolerance {args.tolerance}; serial, 1 thread")
    runs: dict[str, list] = {}
    engines = [("dvclean", True, False)] + ([] if args.no_cold else [("dv-cold", False, False)])
    engines += [] if args.no_lbfgs else [("dv-lbfgs", True, True)]
    for name, warm, lbfgs in engines:
        t0 = time.perf_counter()
        runs[name] = run_dvclean(xp, yp, xv, yv, budgets, args.tolerance, args.seed, warm, lbfgs)
        print(f"  {name}: {time.perf_counter() - t0:.1f} s", flush=True)
    if pydvl_python is not None:
        runs["pydvl"] = run_pydvl(pydvl_python, xp, yp, xv, yv, budgets, args.tolerance, args.seed)

    auc = {k: [roc_auc_score(flipped, -r[3]) for r in rows] for k, rows in runs.items()}
    print("\n| engine | permutations | model fits | seconds | AUROC |")
    print("|---|---:|---:|---:|---:|")
    for k, rows in runs.items():
        for r, a in zip(rows, auc[k], strict=True):
            print(f"| {k} | {r[0]} | {r[1]} | {r[2]:.1f} | {a:.3f} |")
    if "pydvl" not in runs:
        return
    print("\nSame AUROC: the cheapest dvclean budget whose AUROC >= pyDVL's at each pyDVL budget")
    print("| pyDVL perms | pyDVL AUROC | pyDVL fits | pyDVL s | dvclean perms | dvclean AUROC | fits ratio | time ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r, a in zip(runs["pydvl"], auc["pydvl"], strict=True):
        hit = next(((d, da) for d, da in zip(runs["dvclean"], auc["dvclean"], strict=True) if da >= a), None)
        if hit is None:
            print(f"| {r[0]} | {a:.3f} | {r[1]} | {r[2]:.1f} | not reached | - | - | - |")
            continue
        d, da = hit
        print(f"| {r[0]} | {a:.3f} | {r[1]} | {r[2]:.1f} | {d[0]} | {da:.3f} | {d[1] / r[1]:.2f} | {d[2] / r[2]:.2f} |")


if __name__ == "__main__":
    main()
