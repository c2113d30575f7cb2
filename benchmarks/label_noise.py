"""Label-noise recovery: dvclean's methods and flag rules against cleanlab.

Data: Adult and Taiwan credit default from ``../shared/data`` or ``$DVCLEAN_SHARED_DATA`` (a fresh random sample of
``--rows`` rows per seed, since exact KNN-Shapley is quadratic),
and scikit-learn's breast-cancer, digits and wine (all rows). Held out from the default rule's
design (run them with ``--datasets``; one later setting, ``MislabelConfig.min_odds``, was chosen
with them in view, see ``RESULTS_HELDOUT.md``): scikit-learn's ``iris``, and two real survey tables that
statsmodels ships (``pip install ".[bench]"``, benchmark-only): ``fair``
(Fair 1978, extramarital affairs; label: any affair; 6,366 rows, sampled to ``--rows``) and
``anes96`` (1996 American National Election Study; label: vote; 944 rows). Any
classification table of your own joins with ``--datasets path/to/file.csv:label_column``
(CSV, TSV, Parquet, JSON; sampled to ``--rows`` rows per seed like Adult), so the acceptance
numbers can be checked on data this repository does not have. A requested data set that cannot
be loaded (its file absent, statsmodels not installed) stops the run before any work, unless
``--skip-missing`` leaves it out (the report then names it). Noise (``--noise``):

* ``uniform10`` / ``uniform20``: 10% / 20% of the labels flipped uniformly to another class;
* ``classcond``: a fixed asymmetric flip matrix: a row of class c (classes in sorted
  order) moves to class (c + 1) mod C with probability 0.15 when c is even and 0.05
  when c is odd.

Three seeds each (``--seeds``; ``--quick``: seed 0 only). For every cell the script reports, per detector: AUROC of
its score for the flipped rows, precision / recall / F1 of its flagged set, flagged count vs
true count, and wall time. Detectors:

* dvclean flag rules (``--mislabel-rule``): ``consensus`` (default), ``confident``,
  ``vote``, ``confidence``, ``knn`` (KNN-Shapley alone: value < 0 and neighbour majority
  disagrees). ``consensus`` and ``knn`` are what ``dvclean.score`` flags on the noisy table
  (the whole pipeline, as ``dvclean score --seed S`` runs it: :func:`shipped_rules`); the other
  three, comparisons only, are computed from one shared set of the same signals
  (``dvclean.flags.flag_rows`` on the signals of ``dvclean.flags.gather_evidence``);
* dvclean valuation methods (``--methods``), each on its own: score = -value, flagged set =
  the lower cluster of a 2-means clustering of the values (opendataval's convention);
  ``method:knn<0`` is KNN-Shapley flagged where its value is negative (the rows that lower
  the validation utility); the KNN-Shapley values are the ``value`` column of ``dvclean.score``.
  The summary compares the default rule with the best of the three KNN-Shapley-only detectors
  (``rule:knn``, ``method:knn``, ``method:knn<0``);
* ``rule:consensus+true-rate``, an **oracle** kept for reference: the default rule told the
  exact share of flipped rows (``MislabelConfig(expected_noise=...)`` from the flip mask), so
  it flags exactly the true count (precision = recall); no other detector sees the truth;
* cleanlab ``find_label_issues`` (default settings) fed the same out-of-fold XGBoost
  probabilities the rules use (its score: 1 - self-confidence).

Wall time of a rule: its signals (KNN-Shapley, out-of-fold XGBoost, the OOB forest) plus
the rule itself; cleanlab's: the out-of-fold XGBoost plus ``find_label_issues``.

Usage (cleanlab and statsmodels are benchmark-only dependencies: ``pip install ".[bench]"``)::

    python benchmarks/label_noise.py                       # the table in benchmarks/RESULTS.md
    python benchmarks/label_noise.py --quick               # one seed
    python benchmarks/label_noise.py --write benchmarks/RESULTS.md
    python benchmarks/label_noise.py --datasets my.csv:target,wine   # your own table too
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DVCLEAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
#: the built-in data sets read from :data:`SHARED`: (file, label)
SHARED_FILES = {"adult": ("adult.csv.gz", "income"),
                "taiwan": ("taiwan_credit_default.csv.gz", "default.payment.next.month")}
#: the built-in data sets that need a benchmark-only package
NEEDS_PACKAGE = {"fair": "statsmodels", "anes96": "statsmodels"}
RULES = ("consensus", "confident", "vote", "confidence", "knn")
NOISES = ("uniform10", "uniform20", "classcond")


BUILTIN = ("adult", "taiwan", "breast_cancer", "digits", "wine", "iris", "fair", "anes96")
HELDOUT = ("iris", "fair", "anes96")  # first run after the default rule was designed on the other five


def file_entry(name: str) -> tuple[Path, str] | None:
    """``(path, label)`` for a ``--datasets`` entry of the form ``path:label``; ``None`` for a built-in name.

    The path ends at the first ``:`` before which an existing file is named, so a label may hold ``:`` itself."""
    if name in BUILTIN:
        return None
    cuts = [i for i, ch in enumerate(name) if ch == ":" and 0 < i < len(name) - 1]
    if not cuts:
        raise SystemExit(f"unknown data set {name!r}: use one of {', '.join(BUILTIN)} or path/to/file.csv:label_column")
    for i in cuts:
        if Path(name[:i]).is_file():
            return Path(name[:i]), name[i + 1:]
    raise SystemExit(f"data set {name!r}: no file {name[:cuts[-1]]!r}" + (
        f" (nor {name[:cuts[0]]!r})" if len(cuts) > 1 else ""))


def check_entry(name: str, rows: int, seeds: list[int] | tuple[int, ...] = (0,)) -> None:
    """Stop with a message (no traceback) when a ``--datasets`` entry cannot be benchmarked: an unknown
    name, a missing file or column, a label that is not a classification target with two classes or more,
    or a seed's sample of ``rows`` rows that ``dvclean score`` would refuse (a class with a single row)."""
    if file_entry(name) is None:
        return
    from dvclean.config import FeatureConfig
    from dvclean.errors import DvcleanError
    from dvclean.table import make_table, prepare

    for seed in seeds:
        df = None
        try:
            df, label = load(name, rows, seed)
            table = make_table(df, label=label)
            if table.task == "regression":
                raise SystemExit(f"data set {name!r}: {label!r} is a regression target; this benchmark flips class labels")
            prepare(table, config=FeatureConfig())
        except DvcleanError as e:
            sample = f"seed {seed}'s sample of {rows} rows" if df is not None and df.height >= rows else "the table"
            raise SystemExit(f"data set {name!r}, {sample}: {e}" + (
                "; raise --rows, or drop or merge that class" if "single row" in str(e) else "")) from None


def short_names(datasets: list[str]) -> dict[str, str]:
    """Each entry's name in the tables: a file's stem, or the whole entry where two entries would share one."""
    shorts = [display_name(d) for d in datasets]
    return {d: short if shorts.count(short) == 1 or d in BUILTIN else d for d, short in zip(datasets, shorts, strict=True)}


def check_options(args: argparse.Namespace) -> tuple[list[str], list[int]]:
    """``(noises, seeds)`` from the options, or stop with a message: an unknown noise or method, a seed that is no
    integer, no rows, or a ``--write`` path that cannot be written (found before the work, not after it)."""
    noises = [x for x in args.noise.split(",") if x]
    bad = [x for x in noises if x not in NOISES]
    if bad or not noises:
        raise SystemExit(f"--noise {args.noise!r}: use one or more of {', '.join(NOISES)} (comma-separated)")
    try:
        seeds = [int(x) for x in args.seeds.split(",")]
    except ValueError:
        raise SystemExit(f"--seeds {args.seeds!r}: comma-separated integers, e.g. 0,1,2") from None
    if args.rows < 1:
        raise SystemExit(f"--rows {args.rows}: a positive number of rows")
    from dvclean.valuation import REGISTRY

    unknown = [m for m in getattr(args, "methods", []) if m not in REGISTRY]
    if unknown:
        raise SystemExit(f"--methods: unknown {', '.join(map(repr, unknown))}; use some of {', '.join(REGISTRY)}")
    if args.write is not None and (args.write.is_dir() or not args.write.parent.is_dir()):
        raise SystemExit(f"--write {args.write}: " + ("is a directory" if args.write.is_dir()
                                                      else f"no directory {str(args.write.parent)!r}"))
    return noises, seeds


def display_name(name: str) -> str:
    """The short name of a ``--datasets`` entry in the tables (a file's stem)."""
    entry = file_entry(name)
    return name if entry is None else entry[0].name.split(".")[0]


def load(name: str, rows: int, seed: int) -> tuple[pl.DataFrame, str]:
    """A data set as a polars frame and its label column."""
    entry = file_entry(name)
    if entry is not None:
        import dvclean

        df, _ = dvclean.read_frame(entry[0])
        if entry[1] not in df.columns:
            raise SystemExit(f"{entry[0]}: no column {entry[1]!r}; its columns are {', '.join(df.columns[:20])}")
        if df.height > rows:
            df = df[np.sort(np.random.default_rng(10_000 + seed).choice(df.height, rows, replace=False))]
        return df, entry[1]
    if name in SHARED_FILES:
        file, label = SHARED_FILES[name]
        if not (SHARED / file).is_file():
            raise SystemExit(f"data set {name!r}: {SHARED / file} is absent (set DVCLEAN_SHARED_DATA to the folder "
                             "that holds it)")
        import dvclean

        df, _ = dvclean.read_frame(SHARED / file)
        if "ID" in df.columns:
            df = df.drop("ID")
        idx = np.sort(np.random.default_rng(10_000 + seed).choice(df.height, min(rows, df.height), replace=False))
        return df[idx], label
    if name in ("fair", "anes96"):
        try:
            from statsmodels import datasets as sm_data
        except ImportError:
            raise SystemExit(f"data set {name!r} comes with statsmodels: pip install statsmodels (or \".[bench]\")") from None
        pdf = getattr(sm_data, name).load_pandas().data
        if name == "fair":
            pdf = pdf.assign(affairs=(pdf["affairs"] > 0).astype(int))
            label = "affairs"
        else:
            pdf = pdf.drop(columns="logpopul")  # log of popul, a copy
            label = "vote"
        df = pl.from_pandas(pdf)
        if df.height > rows:
            df = df[np.sort(np.random.default_rng(10_000 + seed).choice(df.height, rows, replace=False))]
        return df, label
    from sklearn import datasets

    loader = {"breast_cancer": datasets.load_breast_cancer, "digits": datasets.load_digits, "wine": datasets.load_wine,
              "iris": datasets.load_iris}
    x, y = loader[name](return_X_y=True)
    df = pl.DataFrame(x, schema=[f"f{i}" for i in range(x.shape[1])], orient="row").with_columns(pl.Series("label", y))
    return df, "label"


def add_noise(y: np.ndarray, kind: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy class codes and the mask of flipped rows."""
    rng = np.random.default_rng(seed)
    n = y.shape[0]
    c = int(y.max()) + 1
    out = y.copy()
    if kind.startswith("uniform"):
        frac = int(kind.removeprefix("uniform")) / 100
        idx = rng.choice(n, int(round(frac * n)), replace=False)
        out[idx] = (y[idx] + rng.integers(1, c, idx.size)) % c
    elif kind == "classcond":
        rate = np.where(np.arange(c) % 2 == 0, 0.15, 0.05)
        flip = rng.random(n) < rate[y]
        out[flip] = (y[flip] + 1) % c
    else:
        raise ValueError(kind)
    return out, out != y


def two_means_low(values: np.ndarray) -> np.ndarray:
    """Lower cluster of a 1-D 2-means clustering (opendataval's flagging convention)."""
    from sklearn.cluster import KMeans

    v = values.reshape(-1, 1)
    if np.ptp(v) == 0:
        return np.zeros(values.shape[0], dtype=bool)
    km = KMeans(n_clusters=2, n_init=10, random_state=0).fit(v)
    low = int(np.argmin(km.cluster_centers_.ravel()))
    return km.labels_ == low


def metrics(flipped: np.ndarray, score: np.ndarray, flagged: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    tp = int((flagged & flipped).sum())
    p = tp / max(1, int(flagged.sum()))
    r = tp / max(1, int(flipped.sum()))
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    auc = roc_auc_score(flipped, score) if 0 < flipped.sum() < flipped.size else float("nan")
    return {"auroc": auc, "precision": p, "recall": r, "f1": f1, "flagged": int(flagged.sum()), "true": int(flipped.sum())}


def run_cell(name: str, noise: str, seed: int, args: argparse.Namespace) -> dict[str, dict[str, float]]:
    from dvclean.config import FeatureConfig, KNNConfig, MislabelConfig
    from dvclean.errors import DvcleanError
    from dvclean.flags import Evidence, flag_rows, neighbor_fractions, share_copies
    from dvclean.table import ValuationData, make_table, prepare
    from dvclean.valuation import make_valuer
    from dvclean.valuation.knn import KNNShapley

    df, label = load(name, args.rows, seed)
    table = make_table(df, label=label)
    clean, _, _ = prepare(table, config=FeatureConfig())
    y_noisy, flipped = add_noise(clean.y, noise, seed)
    data = ValuationData(x=clean.x, y=y_noisy, rows=clean.rows, classes=clean.classes)
    n_classes = len(data.classes)
    out: dict[str, dict[str, float]] = {}

    t = time.perf_counter()
    knn = KNNShapley(KNNConfig()).value(data, seed=seed)
    t_knn = time.perf_counter() - t
    t = time.perf_counter()
    from dvclean.valuation.confidence import oof_proba

    model = oof_proba(data.x, data.y, n_classes, seed=seed)
    t_model = time.perf_counter() - t
    t = time.perf_counter()
    cfg = MislabelConfig()
    from dvclean.valuation.oob import data_oob

    oob = data_oob(data.x, data.y, n_classes=n_classes, n_estimators=cfg.oob_trees, seed=seed).votes
    t_oob = time.perf_counter() - t
    t = time.perf_counter()
    linear = oof_proba(data.x, data.y, n_classes, model=cfg.linear_model, seed=seed) if cfg.linear_model else None
    t_oob += time.perf_counter() - t
    ev = share_copies(Evidence(model=model, oob=oob, neighbors=neighbor_fractions(data.y, knn.neighbors, n_classes),
                               linear=linear), data.x, data.y)
    # the same signals as dvclean.flags.gather_evidence, timed one by one (t_oob includes the linear model)
    cost = {"consensus": t_knn + t_model + t_oob, "confident": t_knn + t_model + t_oob, "vote": t_knn + t_model + t_oob,
            "confidence": t_knn + t_model, "knn": t_knn}
    from dvclean.config import FlagPolicy

    try:
        shipped = shipped_rules(df, label, clean, y_noisy, seed)
    except DvcleanError as e:  # (the flips can leave a rare class with one row)
        raise SystemExit(f"data set {name!r}, noise {noise}, seed {seed}: dvclean score refused the noisy table: {e}; "
                         "raise --rows, or leave this data set or noise out") from None
    for rule in RULES:
        if rule in shipped:  # the default rule and the KNN-Shapley one: what `dvclean score` flags
            f, secs = shipped[rule]
            m = metrics(flipped, f["mislabel_score"], f["is_mislabeled"])
            m["seconds"] = secs
            out[f"rule:{rule}"] = m
            continue
        t = time.perf_counter()
        f = flag_rows(knn.values, data.y, knn.neighbors, n_classes, FlagPolicy(), evidence=ev,
                      mislabel=MislabelConfig(rule=rule))
        m = metrics(flipped, f.mislabel_score, f.is_mislabeled)
        m["seconds"] = cost[rule] + time.perf_counter() - t
        out[f"rule:{rule}"] = m
    rate = float(flipped.mean())
    f = flag_rows(knn.values, data.y, knn.neighbors, n_classes, FlagPolicy(), evidence=ev,
                  mislabel=MislabelConfig(expected_noise=min(max(rate, 1e-3), 0.99)))
    m = metrics(flipped, f.mislabel_score, f.is_mislabeled)
    m["seconds"] = cost["consensus"]
    out["rule:consensus+true-rate"] = m

    t = time.perf_counter()
    from cleanlab.filter import find_label_issues

    issues = find_label_issues(labels=data.y, pred_probs=model)
    m = metrics(flipped, 1 - model[np.arange(data.n_players), data.y], np.asarray(issues, dtype=bool))
    m["seconds"] = t_model + time.perf_counter() - t
    out["cleanlab"] = m

    score_cfg = method_config(args.budget)
    for method in args.methods:
        if method == "knn":  # the values `dvclean score` writes (the same valuer, on its canonical row order)
            res, secs = SimpleNamespace(values=shipped["knn"][0]["value"]), shipped["knn"][1]
        else:
            t = time.perf_counter()
            res = make_valuer(method, score_cfg).value(data, seed=seed)
            secs = time.perf_counter() - t
        m = metrics(flipped, -res.values, two_means_low(res.values))
        m["seconds"] = secs
        out[f"method:{method}"] = m
        if method == "knn":
            m = metrics(flipped, -res.values, res.values < 0)
            m["seconds"] = secs
            out["method:knn<0"] = m
    return out


SHIPPED = ("consensus", "knn")


def shipped_rules(df: pl.DataFrame, label: str, clean, y_noisy: np.ndarray, seed: int):  # noqa: ANN001, ANN201
    """``{rule: (columns, seconds)}`` for the rules of :data:`SHIPPED`, run through :func:`dvclean.score` on the
    noisy table itself (the labels written back as the class values), so that what the summary compares is what
    ``dvclean score --seed S --mislabel-rule R`` flags, with every step of the pipeline (its canonical row and
    class order, the copies and discrete cells, the rows without features), not a replica of its signals.
    ``columns`` maps ``is_mislabeled``, ``mislabel_score`` and ``value`` to arrays in the benchmark's row order."""
    import logging

    import dvclean
    from dvclean.config import MislabelConfig, ScoreConfig

    logging.getLogger("dvclean").setLevel(logging.ERROR)  # (its notes, e.g. digits' constant pixels, once per run)
    classes = np.asarray(clean.classes, dtype=object)
    noisy = np.asarray(df[label].to_list(), dtype=object)
    noisy[clean.rows] = classes[y_noisy]
    frame = df.with_columns(pl.Series(label, noisy.tolist(), dtype=df[label].dtype))
    out = {}
    for rule in SHIPPED:
        t = time.perf_counter()
        res = dvclean.score(frame, label=label, config=ScoreConfig(seed=seed, mislabel=MislabelConfig(rule=rule)))
        secs = time.perf_counter() - t
        got = res.frame.sort("row_id")
        if got["row_id"].to_list() != list(range(df.height)):
            raise SystemExit(f"dvclean.score returned rows {got['row_id'][:5].to_list()}... for a {df.height}-row table")
        cols = {c: got[c].to_numpy()[clean.rows] for c in ("is_mislabeled", "mislabel_score", "value")}
        cols["is_mislabeled"] = cols["is_mislabeled"].astype(bool)
        out[rule] = (cols, secs)
    return out


def method_config(budget: str):  # noqa: ANN201 - a ScoreConfig
    """The valuers' settings: dvclean's defaults, or ``quick`` (smaller sampling budgets for the
    model-retraining methods, so ``tmc``, ``beta``, ``banzhaf`` and ``dvgs`` fit in a benchmark run)."""
    from dataclasses import replace

    from dvclean.config import ScoreConfig

    cfg = ScoreConfig()
    if budget == "quick":
        cfg = replace(cfg, tmc=replace(cfg.tmc, max_permutations=30), beta=replace(cfg.beta, samples=30),
                      banzhaf=replace(cfg.banzhaf, samples=300), dvgs=replace(cfg.dvgs, epochs=30))
    return cfg


def fmt_table(rows: list[dict[str, object]], cols: list[str]) -> str:
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for r in rows:
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"{v:.3f}" if isinstance(v, float) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def cell_arguments(ap: argparse.ArgumentParser) -> None:
    """The options that pick the benchmark's cells (shared by the scripts that reuse them)."""
    ap.add_argument("--datasets", default="adult,taiwan,breast_cancer,digits,wine",
                    help=f"comma-separated: built-in names ({', '.join(BUILTIN)}) and your own tables as "
                         "path/to/file.csv:label_column (CSV, TSV, Parquet, JSON; sampled to --rows rows per seed)")
    ap.add_argument("--noise", default=",".join(NOISES), help=f"comma-separated, of {', '.join(NOISES)}")
    ap.add_argument("--seeds", help="comma-separated integers: each seed draws the sample and the flips "
                                    "(default 0,1,2)")
    ap.add_argument("--rows", type=int, default=2000, help="rows sampled from Adult / Taiwan / your files per seed")
    ap.add_argument("--quick", action="store_true", help="one seed, 0 (not with --seeds)")
    ap.add_argument("--skip-missing", action="store_true",
                    help="leave out requested data sets that cannot be loaded (a file absent from $DVCLEAN_SHARED_DATA "
                         "or ../shared/data, statsmodels missing); the report names them. Without it they stop the run")
    ap.add_argument("--write", type=Path, help="write the Markdown report here")


def unavailable(name: str) -> str | None:
    """Why a built-in ``--datasets`` entry cannot be loaded here (its file absent, a package missing), or None."""
    if name in SHARED_FILES:
        path = SHARED / SHARED_FILES[name][0]
        return None if path.is_file() else f"{path} is absent"
    if name in NEEDS_PACKAGE:
        package = NEEDS_PACKAGE[name]
        try:
            __import__(package)
        except ImportError:
            return f'needs {package}: pip install {package} (or ".[bench]")'
    return None


def select_datasets(ap: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[list[str], dict[str, str]]:
    """``(datasets to run, {skipped: why})``: every requested data set is checked before any work; one that
    cannot be loaded stops the run (exit 2) unless ``--skip-missing`` leaves it out."""
    datasets = [d for d in args.datasets.split(",") if d]
    if not datasets:
        ap.error("--datasets: name at least one data set")
    missing = {d: why for d in dict.fromkeys(datasets) if (why := unavailable(d)) is not None}
    where = (f" (Adult and Taiwan are read from $DVCLEAN_SHARED_DATA, else ../shared/data; now {SHARED})"
             if set(missing) & set(SHARED_FILES) else "")
    listed = "; ".join(f"{d}: {why}" for d, why in missing.items())
    if missing and not args.skip_missing:
        ap.error(f"cannot load the requested data set(s) {listed}{where}; provide them, leave them out of "
                 "--datasets, or pass --skip-missing to run without them")
    kept = [d for d in datasets if d not in missing]
    if not kept:
        ap.error(f"--skip-missing: no requested data set can be loaded ({listed}){where}")
    if missing:
        print(f"note: --skip-missing: leaving out {listed}", file=sys.stderr)
    return kept, missing


def resolve_cells(ap: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[list[str], list[str], list[int]]:
    """``(datasets, noises, seeds)`` of :func:`cell_arguments`, every check done before any work: ``--quick``
    against ``--seeds``, the data sets (their files and packages), the options and each entry's label. Sets
    ``args.seeds`` to the seeds that run, ``args.datasets`` to the data sets that run and ``args.skipped``
    to ``{data set: why}`` for those ``--skip-missing`` left out."""
    if args.quick and args.seeds is not None:
        ap.error(f"--quick runs seed 0 only; it cannot be combined with --seeds {args.seeds} "
                 "(drop --quick, or pass --seeds 0 alone)")
    if args.seeds is None:
        args.seeds = "0" if args.quick else "0,1,2"
    datasets, args.skipped = select_datasets(ap, args)
    args.datasets = ",".join(datasets)
    noises, seeds = check_options(args)  # every option, and the --write path, before any work
    for d in datasets:
        check_entry(d, args.rows, seeds)  # an unknown name, a missing file or an unusable label stops here too
    return datasets, noises, seeds


def skipped_note(skipped: dict[str, str]) -> str:
    """The report's line naming the data sets ``--skip-missing`` left out ('' when none)."""
    if not skipped:
        return ""
    return ("Left out with `--skip-missing` (requested, but not available): "
            + "; ".join(f"{d} ({why})" for d, why in skipped.items()) + ".")


def parse_cell_args(doc: str, argv: list[str] | None,
                    extra=None) -> tuple[argparse.Namespace, list[int]]:  # noqa: ANN001 - a function of the parser
    """Parse :func:`cell_arguments` (and what ``extra(parser)`` adds) and check them (:func:`resolve_cells`):
    ``(args, seeds)``, or exit with a message before any work."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    cell_arguments(ap)
    if extra is not None:
        extra(ap)
    args = ap.parse_args(argv)
    _, _, seeds = resolve_cells(ap, args)
    return args, seeds


def each_cell(args: argparse.Namespace, seeds: list[int], fn):  # noqa: ANN001, ANN201 - a generator of results
    """``("name noise", [fn(name, noise, seed, rows) for each seed])`` for every cell of :func:`cell_arguments`,
    with one native thread and a progress line per cell."""
    from dvclean.valuation._models import single_thread

    t0 = time.perf_counter()
    with single_thread():
        for name in args.datasets.split(","):
            for noise in args.noise.split(","):
                yield f"{name} {noise}", [fn(name, noise, seed, args.rows) for seed in seeds]
                print(f"  {name} {noise} done ({time.perf_counter() - t0:.0f} s)", flush=True)


def emit(title: str, text: str, path: Path | None, skipped: dict[str, str] | None = None) -> None:
    """Print the Markdown ``text`` and, with ``path``, write it there under ``# title``; ``skipped``: the data
    sets ``--skip-missing`` left out, named at the end."""
    if skipped:
        text = f"{text}\n\n{skipped_note(skipped)}"
    print(text)
    if path:
        path.write_text(f"# {title}\n\n{text}\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    cell_arguments(ap)
    ap.add_argument("--methods", default="knn,oob,confidence",
                    help="dvclean valuation methods benchmarked on their own (`dvclean methods` lists them)")
    ap.add_argument("--budget", choices=("default", "quick"), default="default",
                    help="valuers' settings: dvclean's defaults, or quick (tmc 30 permutations, beta 30 orderings, "
                         "banzhaf 300 subsets, dvgs 30 epochs per fold)")
    args = ap.parse_args(argv)
    args.methods = [m for m in args.methods.split(",") if m]
    try:
        import cleanlab  # noqa: F401 - the reference detector
    except ImportError:
        raise SystemExit('this benchmark compares with cleanlab: pip install cleanlab (or ".[bench]")') from None
    datasets, noises, seeds = resolve_cells(ap, args)  # every data set, option and the --write path, before any work
    shown = short_names(datasets)
    from threadpoolctl import threadpool_limits

    per_cell: dict[tuple[str, str], dict[str, list[dict[str, float]]]] = {}
    t_all = time.perf_counter()
    with threadpool_limits(1):
        for d in datasets:
            for nz in noises:
                acc: dict[str, list[dict[str, float]]] = defaultdict(list)
                for s in seeds:
                    for det, m in run_cell(d, nz, s, args).items():
                        acc[det].append(m)
                per_cell[(shown[d], nz)] = acc
                dl = acc["rule:consensus"]
                cl = acc["cleanlab"]
                print(f"{shown[d]:14s} {nz:10s} consensus F1 {np.mean([m['f1'] for m in dl]):.3f}  "
                      f"cleanlab F1 {np.mean([m['f1'] for m in cl]):.3f}  "
                      f"knn-rule F1 {np.mean([m['f1'] for m in acc['rule:knn']]):.3f}", flush=True)
    report = render(per_cell, args, seeds, time.perf_counter() - t_all, argv)
    print(report)
    if args.write:
        args.write.write_text(report, encoding="utf-8")
    return 0


def render(per_cell, args, seeds, seconds, argv) -> str:  # noqa: ANN001 - report plumbing
    if not per_cell:
        raise SystemExit("no cell ran: nothing to report")
    detectors = list(next(iter(per_cell.values())).keys())
    keys = ("auroc", "precision", "recall", "f1", "flagged", "true", "seconds")
    rows = []
    for (d, nz), acc in per_cell.items():
        for det in detectors:
            ms = acc[det]
            r: dict[str, object] = {"data": d, "noise": nz, "detector": det}
            for k in keys:
                v = float(np.nanmean([m[k] for m in ms]))
                r[k] = round(v, 1) if k in ("flagged", "true") else v
            rows.append(r)
    # summary per detector over cells
    summary = []
    default = "rule:consensus"
    cl_f1 = {(r["data"], r["noise"]): r["f1"] for r in rows if r["detector"] == "cleanlab"}
    for det in detectors:
        mine = [r for r in rows if r["detector"] == det]
        wins = sum(1 for r in mine if r["f1"] > cl_f1[(r["data"], r["noise"])])
        summary.append({
            "detector": det,
            "mean F1": float(np.mean([r["f1"] for r in mine])),
            "mean AUROC": float(np.nanmean([r["auroc"] for r in mine])),
            "mean precision": float(np.mean([r["precision"] for r in mine])),
            "mean recall": float(np.mean([r["recall"] for r in mine])),
            "F1 > cleanlab (cells)": f"{wins}/{len(mine)}",
            "mean seconds": float(np.mean([r["seconds"] for r in mine])),
        })
    s = {r["detector"]: r for r in summary}
    d_f1, c_f1 = s[default]["mean F1"], s["cleanlab"]["mean F1"]
    knn_only = [(k, s[k]["mean F1"]) for k in ("rule:knn", "method:knn", "method:knn<0") if k in s]
    best_k, best_f1 = max(knn_only, key=lambda kv: kv[1])
    others = ", ".join(f"{k} {v:.3f} ({100 * (d_f1 - v):+.1f})" for k, v in knn_only if k != best_k)
    line = (f"default rule (consensus) mean F1 {d_f1:.3f} vs cleanlab {c_f1:.3f} "
            f"(beats it on {s[default]['F1 > cleanlab (cells)']} cells) and vs the best KNN-Shapley-only detector, "
            f"{best_k} {best_f1:.3f}: {100 * (d_f1 - best_f1):+.1f} F1 points"
            + (f" (others: {others})" if others else "") + f"; {len(per_cell)} cells x {len(seeds)} seeds")
    cmd = "python benchmarks/label_noise.py " + shlex.join(argv if argv is not None else sys.argv[1:])
    return "\n".join([
        "# Label-noise recovery benchmark",
        "",
        f"Command: `{cmd.strip()}` (seeds {', '.join(map(str, seeds))}; {seconds / 60:.1f} minutes, "
        "threads limited to 1).",
        "",
        *([skipped_note(args.skipped), ""] if getattr(args, "skipped", None) else []),
        "Made by `benchmarks/label_noise.py`; see its docstring for the data, the noise models and the detectors. "
        "Numbers are means over the seeds; `flagged` / `true` are mean counts; `seconds` is wall time per run.",
        "",
        f"**Summary: {line}.**",
        "",
        "## Per detector, over all cells",
        "",
        fmt_table(summary, list(summary[0].keys())),
        "",
        "## Every cell",
        "",
        fmt_table(rows, ["data", "noise", "detector", *keys]),
        "",
    ])


if __name__ == "__main__":
    sys.exit(main())
