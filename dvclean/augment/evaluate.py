"""Three-arm holdout comparison of ``dvclean augment`` (Ferracci et al., §4 step 6).

Stratified train / valuation / holdout split (80/10/10 by default). Hard rows come from
the train split only, valued against the valuation split. Three arms, each scored with
the paper's XGBoost (depth 4, lr 0.05, subsample 0.8, colsample 0.6, early stopping on
the valuation split) on the holdout:

* ``baseline``: the train rows;
* ``non_targeted``: train + n rows from a generator fitted on all train rows;
* ``targeted``: train + n rows from a generator fitted on the target (hard) rows.

Each of ``repeats`` repetitions uses a new XGBoost seed and a new synthetic draw of both
generators (a generator is fitted once, as in the paper's n_retry draws). Differences to
the baseline are paired by repetition; intervals are 95% t-intervals over repetitions.

Those intervals hold the split fixed, and which rows land in the holdout moves a holdout
AUC more than any seed does (0.79 to 0.97 over six split seeds on 1,000 rows of
sample_data/adult_2000.csv, 0.88 to 0.90 over three seeds on one split). With
``splits`` > 1 the whole comparison (valuation, both generators, every repetition) is
repeated on new stratified splits and each interval is Nadeau & Bengio's (2003) corrected
resampled t-interval over the splits' means.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ..errors import AugmentError, ConfigError, DataValidationError
from ..table import FeatureEncoder, Table, label_codes
from .config import AugmentConfig, parse_n_synthetic, parse_target

__all__ = [
    "EvaluationPlan", "evaluate_holdout", "mean_ci", "outcome", "plan_evaluation", "resampled_ci", "split_indices",
    "split_seeds", "verdict", "xgb_params",
]

log = logging.getLogger(__name__)

ARMS = ("baseline", "non_targeted", "targeted")


def xgb_params(n_classes: int, cfg: AugmentConfig, seed: int) -> dict[str, Any]:
    """The paper's XGBoost configuration (config/xgboost.json) with early stopping."""
    params: dict[str, Any] = {
        "n_estimators": cfg.xgb_max_rounds,
        "max_depth": 4,
        "learning_rate": 0.05,
        "subsample": 0.8,
        "colsample_bytree": 0.6,
        "tree_method": "hist",
        "early_stopping_rounds": cfg.xgb_early_stopping,
        "n_jobs": cfg.xgb_threads,
        "random_state": seed,
    }
    if n_classes == 2:
        params.update(objective="binary:logistic", eval_metric="auc")
    else:
        params.update(objective="multi:softprob", eval_metric="mlogloss")
    return params


def mean_ci(values: Sequence[float]) -> dict[str, float | None]:
    """Mean and the half-width of the 95% t-interval (None with fewer than two values)."""
    from scipy import stats

    a = np.asarray(values, dtype=np.float64)
    mean = float(a.mean()) if a.size else math.nan
    if a.size < 2:
        return {"mean": mean, "ci95": None}
    half = float(stats.t.ppf(0.975, a.size - 1) * a.std(ddof=1) / math.sqrt(a.size))
    return {"mean": mean, "ci95": half}


def split_indices(
    y: np.ndarray, fractions: tuple[float, float, float], seed: int, with_holdout: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stratified (train, valuation, holdout) row indices; holdout empty when a file is given.

    scikit-learn's stratified split, as long as it gives every class a train row and every
    class with at least 2 rows a holdout row; otherwise (rare classes) :func:`_class_split`.
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(y.shape[0])
    tr, va, ho = fractions
    try:
        if with_holdout:
            train, valid = train_test_split(idx, test_size=va / (tr + va), stratify=y, random_state=seed)
            hold = np.array([], dtype=np.int64)
        else:
            train, rest = train_test_split(idx, test_size=va + ho, stratify=y, random_state=seed)
            valid, hold = train_test_split(rest, test_size=ho / (va + ho), stratify=y[rest], random_state=seed)
    except ValueError:  # a class too small for it
        return _class_split(y, fractions, seed, with_holdout)
    codes, counts = np.unique(y, return_counts=True)
    in_train, in_hold = set(y[train].tolist()), set(y[hold].tolist())
    if any(c not in in_train or (not with_holdout and k >= 2 and c not in in_hold)
           for c, k in zip(codes.tolist(), counts.tolist(), strict=True)):
        return _class_split(y, fractions, seed, with_holdout)
    return np.sort(train), np.sort(valid), np.sort(hold)


def _allocate(counts: np.ndarray, total: int) -> np.ndarray:
    """Split ``total`` rows over the classes in proportion to ``counts`` (largest remainders, ties by class order)."""
    exact = total * counts / max(1, int(counts.sum()))
    base = np.floor(exact).astype(np.int64)
    extra = int(total - base.sum())
    if extra > 0:
        base[np.argsort(-(exact - base), kind="stable")[:extra]] += 1
    return base


def _class_split(
    y: np.ndarray, fractions: tuple[float, float, float], seed: int, with_holdout: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-class split for rare classes: each class's rows are shuffled (``seed``) and shared out
    in proportion (largest remainders), with minimums that keep every class usable: one train
    row always, one holdout row for every class with at least 2 rows, one valuation row for
    every class with at least 3 (2 when the holdout is a file)."""
    rng = np.random.default_rng(seed)
    tr, va, ho = fractions
    n = int(y.shape[0])
    codes, counts = np.unique(y, return_counts=True)
    f_valid, f_hold = (va / (tr + va), 0.0) if with_holdout else (va, ho)
    n_valid = _allocate(counts, int(round(f_valid * n)))
    n_hold = _allocate(counts, int(round(f_hold * n)))
    if not with_holdout:
        n_hold = np.where(counts >= 2, np.maximum(n_hold, 1), 0)
    n_valid = np.where(counts >= (2 if with_holdout else 3), np.maximum(n_valid, 1), n_valid)
    n_valid = np.maximum(np.minimum(n_valid, counts - n_hold - 1), 0)  # one train row at least
    n_hold = np.minimum(n_hold, counts - n_valid - 1)
    parts: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
    for code, h, v in zip(codes.tolist(), n_hold.tolist(), n_valid.tolist(), strict=True):
        rows = rng.permutation(np.flatnonzero(y == code))
        parts[2].append(rows[:h])
        parts[1].append(rows[h : h + v])
        parts[0].append(rows[h + v :])
    train, valid, hold = (np.sort(np.concatenate(p)).astype(np.int64) if p else np.array([], dtype=np.int64) for p in parts)
    if valid.size == 0 or (not with_holdout and hold.size == 0):
        raise AugmentError(
            f"--evaluate cannot split {n} labelled rows into stratified train/valuation/holdout parts "
            f"({round(tr * 100)}/{round(va * 100)}/{round(ho * 100)}): add data or drop --evaluate"
        )
    return train, valid, hold


def _class_name(classes: Sequence[Any] | None, code: int) -> str:
    return repr(classes[code]) if classes is not None and 0 <= code < len(classes) else str(code)


def _metrics(y: np.ndarray, proba: np.ndarray, n_classes: int) -> dict[str, float]:
    """Binary: AUC and Gini; multi-class: macro-F1 over the classes present in ``y`` and log-loss."""
    from sklearn.metrics import f1_score, log_loss, roc_auc_score

    if n_classes == 2:
        p1 = proba[:, 1] if proba.ndim == 2 else proba
        auc = float(roc_auc_score(y, p1))
        return {"auc": auc, "gini": 2 * auc - 1}
    pred = proba.argmax(axis=1)
    return {
        # a class the holdout lacks would score F1 = 0 whatever the model does: average over the present ones
        "macro_f1": float(f1_score(y, pred, average="macro", labels=np.unique(y), zero_division=0)),
        "log_loss": float(log_loss(y, np.clip(proba, 1e-15, 1), labels=np.arange(n_classes))),
    }


def _fit_score(
    x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, xh: np.ndarray, yh: np.ndarray,
    n_classes: int, cfg: AugmentConfig, seed: int,
) -> tuple[dict[str, float], int]:
    from xgboost import XGBClassifier

    model = XGBClassifier(**xgb_params(n_classes, cfg, seed))
    model.fit(x, y, eval_set=[(xv, yv)], verbose=False)
    best = getattr(model, "best_iteration", None)
    proba = model.predict_proba(xh, iteration_range=(0, best + 1) if best is not None else None)
    return _metrics(yh, proba, n_classes), int(best + 1 if best is not None else cfg.xgb_max_rounds)


@dataclass(frozen=True)
class EvaluationPlan:
    """The evaluation's rows, fixed before any valuation (so a split that cannot work fails fast).

    ``rows`` are the table rows used (labelled, not synthetic); ``train``, ``valid`` and
    ``hold`` index into them. ``hold_frame`` / ``y_hold`` are the holdout rows and codes
    (from the split or the ``--holdout`` file).
    """

    rows: np.ndarray
    codes: np.ndarray
    classes: list[Any]
    train: np.ndarray
    valid: np.ndarray
    hold: np.ndarray
    hold_frame: pl.DataFrame
    y_hold: np.ndarray
    holdout_source: str
    class_counts: dict[str, dict[str, int]]
    notes: tuple[str, ...] = field(default=())


def _counts(y: np.ndarray, classes: Sequence[Any]) -> dict[str, int]:
    got = np.bincount(y, minlength=len(classes)) if y.size else np.zeros(len(classes), dtype=np.int64)
    return {str(c): int(k) for c, k in zip(classes, got.tolist(), strict=True)}


def plan_evaluation(
    table: Table, cfg: AugmentConfig, *, holdout: pl.DataFrame | None = None, seed: int | None = None
) -> EvaluationPlan:
    """Check the ``--holdout`` file and split the labelled real rows (see :func:`split_indices`).

    ``seed`` (default ``cfg.seed``) seeds the split.
    """
    from ..check import row_hashes
    from .core import PROVENANCE, synthetic_rows

    notes: list[str] = []
    synthetic = synthetic_rows(table)
    col = table.frame.get_column(table.label)
    real_classes = label_codes(col.filter(pl.Series(~synthetic)))[1] if synthetic.any() else None
    codes, classes, missing = label_codes(col, real_classes)  # the classes of the real rows
    rows = np.flatnonzero(~missing & ~synthetic)
    if synthetic.any():
        notes.append(
            f"the evaluation uses the {rows.size} labelled real rows only: the {int(synthetic.sum())} rows with "
            f"{PROVENANCE} true are left out of every split"
        )
    y_all = codes[rows]
    frame = table.frame[rows]
    n_classes = len(classes)
    if n_classes < 2 or np.unique(y_all).size < 2:
        raise AugmentError("--evaluate needs at least two classes among the labelled rows")
    if holdout is None and n_classes == 2:
        counts = np.bincount(y_all, minlength=2)
        for code in np.flatnonzero(counts < 2).tolist():
            raise AugmentError(
                f"--evaluate: class {_class_name(classes, code)} of {table.label!r} has {int(counts[code])} labelled "
                f"real row{'' if counts[code] == 1 else 's'}; the holdout AUC needs at least 2 rows of each class (one to train on, one to score): "
                "add rows of that class, pass --holdout FILE, or drop --evaluate"
            )
    if holdout is not None:
        lacking = [c for c in (*table.features, table.label) if c not in holdout.columns]
        if lacking:
            raise DataValidationError(
                f"--holdout lacks the columns {', '.join(map(repr, lacking[:10]))}; it needs the data's feature and label columns"
            )
        hcodes, _, hmissing = label_codes(holdout.get_column(table.label), classes)
        if ((hcodes < 0) & ~hmissing).any():
            bad = holdout.get_column(table.label)[int(np.flatnonzero((hcodes < 0) & ~hmissing)[0])]
            raise DataValidationError(f"--holdout has the label {bad!r}, which is not a class of the data")
        keep = np.flatnonzero(~hmissing)
        hold_frame, y_hold = holdout[keep], hcodes[keep]
        if n_classes == 2 and np.unique(y_hold).size < 2:
            only = ", ".join(_class_name(classes, int(c)) for c in np.unique(y_hold)) or "no labelled row"
            raise DataValidationError(
                f"--holdout holds only {only}; the holdout AUC needs rows of both classes of {table.label!r}"
            )
        cols = [*table.features, table.label]
        seen = set(row_hashes(table.frame.select(cols), np.arange(table.n_rows)))
        overlap = sum(h in seen for h in row_hashes(hold_frame.select(cols), np.arange(hold_frame.height)))
        if overlap:
            notes.append(
                f"--holdout: {overlap} of its {hold_frame.height} labelled rows also appear in the data (same feature "
                "and label values), so the models were trained on them and the holdout scores are optimistic: "
                "remove those rows from the holdout or the data"
            )
    tr, va, ho = split_indices(y_all, cfg.split, cfg.seed if seed is None else seed, holdout is not None)
    if holdout is None:
        hold_frame, y_hold = frame[ho], y_all[ho]
    absent = [classes[c] for c in range(n_classes) if c not in set(y_hold.tolist())]
    if absent:
        shown = ", ".join(repr(c) for c in absent[:10])
        notes.append(
            f"class{'es' if len(absent) > 1 else ''} {shown} of {table.label!r} "
            f"{'are' if len(absent) > 1 else 'is'} absent from the holdout "
            f"({'too few labelled rows' if holdout is None else 'the --holdout file has none'}): "
            f"macro-F1 is averaged over the {n_classes - len(absent)} classes present"
        )
    class_counts = {
        "train": _counts(y_all[tr], classes),
        "valuation": _counts(y_all[va], classes),
        "holdout": _counts(y_hold, classes),
    }
    return EvaluationPlan(
        rows=rows, codes=codes, classes=list(classes), train=tr, valid=va, hold=ho, hold_frame=hold_frame,
        y_hold=y_hold, holdout_source="file" if holdout is not None else "split", class_counts=class_counts,
        notes=tuple(notes),
    )


def split_seeds(cfg: AugmentConfig) -> list[int]:
    """The seed of each evaluation split: ``seed``, ``seed + 1``, ... (``cfg.splits`` of them)."""
    return [(cfg.seed + s) % 2**32 for s in range(cfg.splits)]


def resampled_ci(split_means: Sequence[float], test_over_train: float) -> dict[str, float | None]:
    """Mean and 95% half-width over repeated random splits, Nadeau & Bengio's corrected resampled t.

    The splits share most of their training rows, so their scores are correlated and the
    plain t-interval over them is too narrow; Nadeau & Bengio (2003, *Inference for the
    generalization error*, Machine Learning 52) inflate the variance of the mean from
    ``s^2 / S`` to ``(1/S + n_test/n_train) s^2``.
    """
    from scipy import stats

    a = np.asarray(split_means, dtype=np.float64)
    mean = float(a.mean()) if a.size else math.nan
    if a.size < 2:
        return {"mean": mean, "ci95": None}
    var = (1.0 / a.size + test_over_train) * float(a.var(ddof=1))
    return {"mean": mean, "ci95": float(stats.t.ppf(0.975, a.size - 1) * math.sqrt(var))}


@dataclass
class _SplitRun:
    """One split's three arms: metrics per repetition, boosting rounds, what the generators saw."""

    seed: int
    plan: EvaluationPlan
    train_rows: int
    per_arm: dict[str, list[dict[str, float]]]
    rounds: dict[str, list[int]]
    target_rows: int
    target_mix: dict[str, int]
    n_synthetic: int
    generators: dict[str, dict[str, Any]]


def _run_split(
    table: Table, drop: Sequence[str], cfg: AugmentConfig, plan: EvaluationPlan, seed: int,
    say: Callable[[str], None], timings: dict[str, float], tag: str,
) -> _SplitRun:
    """Value the train split, fit both generators (seeded ``seed``) and score the three arms."""
    from threadpoolctl import threadpool_limits

    from .core import RowScores, _check_target_size, compute_scores, fit_and_sample, target_mask

    def add(key: str, seconds: float) -> None:
        timings[key] = timings.get(key, 0.0) + seconds

    target = parse_target(cfg.target)
    scfg = dataclasses.replace(cfg, seed=seed)
    classes = plan.classes
    n_classes = len(classes)
    frame = table.frame[plan.rows]
    y_all = plan.codes[plan.rows]
    tr, va = plan.train, plan.valid
    train, valid = frame[tr], frame[va]
    hold, y_hold = plan.hold_frame, plan.y_hold

    t = time.perf_counter()
    say(f"evaluation{tag}: valuing {train.height} train rows against {valid.height} valuation rows")
    with threadpool_limits(cfg.xgb_threads):
        scores: RowScores = compute_scores(
            train, label=table.label, id_column=table.id_column, drop=drop, cfg=scfg, valid=valid
        )
    add("value", time.perf_counter() - t)
    train_table = Table(
        frame=train, label=table.label, features=table.features, id_column=table.id_column,
        source=table.source, dropped=table.dropped,
    )
    targeted = target_mask(target, train_table, scores, cfg)
    _check_target_size(targeted, target, cfg, scores)
    everything = target_mask(parse_target("all"), train_table, scores, cfg)
    n_syn = parse_n_synthetic(cfg.n_synthetic, train.height, rows="labelled train rows of --evaluate")

    draws: dict[str, list[pl.DataFrame]] = {}
    generators: dict[str, dict[str, Any]] = {}
    for arm, mask in (("targeted", targeted), ("non_targeted", everything)):
        say(f"evaluation{tag}: training {cfg.generator} on {int(mask.sum())} train rows ({arm}), {cfg.repeats} draws of {n_syn}")
        gen, samples, gt = fit_and_sample(train_table, mask, n_syn, cfg, draws=cfg.repeats, seed=seed)
        draws[arm] = samples
        add(f"fit.{arm}", gt["fit"])
        add(f"sample.{arm}", gt["sample"])
        info: dict[str, Any] = {
            "training_rows": int(mask.sum()),
            "epochs": gen.settings.epochs,
            "batch_size": gen.settings.batch_size,
        }
        if cfg.quality:
            tq = time.perf_counter()
            info["quality"] = gen.quality(samples[0])
            add(f"quality.{arm}", time.perf_counter() - tq)
        generators[arm] = info

    t = time.perf_counter()
    encoder = FeatureEncoder().fit(train, table.features)
    x_train = encoder.transform(train)
    y_train = y_all[tr]
    x_valid, y_valid = encoder.transform(valid), y_all[va]
    x_hold = encoder.transform(hold)

    def synthetic_xy(sample: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        c, _, m = label_codes(sample.get_column(table.label), classes)
        ok = (c >= 0) & ~m
        s = sample.filter(pl.Series(ok)) if not ok.all() else sample
        return encoder.transform(s), c[ok]

    per_arm: dict[str, list[dict[str, float]]] = {a: [] for a in ARMS}
    rounds: dict[str, list[int]] = {a: [] for a in ARMS}
    say(f"evaluation{tag}: {3 * cfg.repeats} XGBoost fits on the holdout ({len(y_hold)} rows)")
    with threadpool_limits(cfg.xgb_threads):
        for r in range(cfg.repeats):
            xgb_seed = seed + r
            for arm in ARMS:
                if arm == "baseline":
                    x, y = x_train, y_train
                else:
                    xs, ys = synthetic_xy(draws[arm][r])
                    x, y = np.vstack([x_train, xs]), np.concatenate([y_train, ys])
                m, best = _fit_score(x, y, x_valid, y_valid, x_hold, y_hold, n_classes, cfg, xgb_seed)
                per_arm[arm].append(m)
                rounds[arm].append(best)
    add("xgboost", time.perf_counter() - t)
    return _SplitRun(
        seed=seed, plan=plan, train_rows=int(train.height), per_arm=per_arm, rounds=rounds,
        target_rows=int(targeted.sum()),
        target_mix=_mix(train.get_column(table.label).filter(pl.Series(targeted))),
        n_synthetic=n_syn, generators=generators,
    )


def evaluate_holdout(
    table: Table,
    drop: Sequence[str],
    cfg: AugmentConfig,
    *,
    holdout: pl.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
    plan: EvaluationPlan | None = None,
) -> dict[str, Any]:
    """Run the three-arm comparison on ``cfg.splits`` splits; return the JSON-able table and verdict.

    ``plan`` (from :func:`plan_evaluation` with ``cfg``'s seed) is the first split; the others
    use the seeds of :func:`split_seeds`. With one split, each interval is a t-interval over
    the ``repeats`` paired repetitions; with more, over the splits' means by
    :func:`resampled_ci`, so it also covers the choice of holdout rows.
    """
    say = progress or (lambda msg: None)
    if cfg.splits > 1 and holdout is not None:
        raise ConfigError(
            f"--splits {cfg.splits} re-draws the holdout, but a --holdout file is fixed: drop --splits or --holdout"
        )
    timings: dict[str, float] = {}
    seeds = split_seeds(cfg)
    t = time.perf_counter()
    plans = [plan if (i == 0 and plan is not None) else plan_evaluation(table, cfg, holdout=holdout, seed=s)
             for i, s in enumerate(seeds)]
    notes = list(dict.fromkeys(n for p in plans for n in p.notes))
    for note in notes:
        log.warning("%s", note)
    timings["split"] = time.perf_counter() - t

    runs = []
    for i, (s, p) in enumerate(zip(seeds, plans, strict=True)):
        tag = f" (split {i + 1} of {len(seeds)}, seed {s})" if len(seeds) > 1 else ""
        runs.append(_run_split(table, drop, cfg, p, s, say, timings, tag))
    first = runs[0]
    n_classes = len(first.plan.classes)
    n_hold = len(first.plan.y_hold)
    test_over_train = n_hold / max(1, first.train_rows)

    def stat(per_split: list[list[float]]) -> dict[str, float | None]:
        if len(per_split) == 1:
            return mean_ci(per_split[0])
        return resampled_ci([float(np.mean(v)) for v in per_split], test_over_train)

    metric_names = list(first.per_arm["baseline"][0])
    table_out: dict[str, Any] = {}
    for arm in ARMS:
        entry: dict[str, Any] = {"rows": int(first.train_rows + (0 if arm == "baseline" else first.n_synthetic))}
        for name in metric_names:
            vals = [[m[name] for m in run.per_arm[arm]] for run in runs]
            entry[name] = {**stat(vals), "values": [v for split in vals for v in split]}
            if arm != "baseline":
                diffs = [
                    [m[name] - b[name] for m, b in zip(run.per_arm[arm], run.per_arm["baseline"], strict=True)]
                    for run in runs
                ]
                entry[f"delta_{name}"] = stat(diffs)
        entry["boosting_rounds"] = [b for run in runs for b in run.rounds[arm]]
        table_out[arm] = entry

    primary = "auc" if n_classes == 2 else "macro_f1"
    nt_vs_t = stat([
        [a[primary] - b[primary] for a, b in zip(run.per_arm["non_targeted"], run.per_arm["targeted"], strict=True)]
        for run in runs
    ])
    comparison = {
        f"non_targeted_minus_targeted_{primary}": nt_vs_t,
        "targeted": outcome(table_out["targeted"][f"delta_{primary}"]),
        "non_targeted": outcome(table_out["non_targeted"][f"delta_{primary}"]),
    }
    if len(runs) == 1:
        interval = f"95% t-interval over the {cfg.repeats} repetitions (model seed and synthetic draw) on one split"
    else:
        interval = (
            f"95% corrected resampled t-interval (Nadeau & Bengio 2003) over the means of {len(runs)} splits "
            f"of {cfg.repeats} repetitions each"
        )
    per_split = [
        {
            "seed": run.seed, "train": run.train_rows, "valuation": int(run.plan.valid.size),
            "holdout": int(len(run.plan.y_hold)), "target_rows": run.target_rows,
            **{
                f"delta_{primary}.{arm}": float(np.mean([
                    m[primary] - b[primary] for m, b in zip(run.per_arm[arm], run.per_arm["baseline"], strict=True)
                ]))
                for arm in ("targeted", "non_targeted")
            },
        }
        for run in runs
    ]
    return {
        "split": {
            "train": first.train_rows, "valuation": int(first.plan.valid.size), "holdout": n_hold,
            "holdout_source": first.plan.holdout_source,
            "fractions": list(cfg.split), "stratified": True, "seed": cfg.seed,
            "class_counts": first.plan.class_counts,
        },
        "splits": len(runs),
        "per_split": per_split,
        "interval": interval,
        "target_rows": first.target_rows,
        "target_class_mix": first.target_mix,
        "n_synthetic": first.n_synthetic,
        "repeats": cfg.repeats,
        "model": {k: v for k, v in xgb_params(n_classes, cfg, cfg.seed).items() if k != "random_state"},
        "early_stopping_on": "valuation split",
        "generators": first.generators,
        "primary_metric": primary,
        "arms": table_out,
        "comparison": comparison,
        "verdict": verdict(table_out, primary, cfg.repeats, nt_vs_t=nt_vs_t, splits=len(runs)),
        "notes": notes,
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


def _mix(labels: pl.Series) -> dict[str, int]:
    from .core import class_mix

    return class_mix(labels)


def signed(x: float, digits: int = 4) -> str:
    """``x`` with a sign and ``digits`` fixed decimals; values that round to 0 are ``+0.0000``, never ``-0.0000``."""
    if not math.isfinite(x):
        return str(x)
    r = round(x, digits)
    return f"{(r if r != 0 else 0.0):+.{digits}f}"


def outcome(stat: dict[str, float | None]) -> str:
    """``helped`` / ``hurt`` when the 95% interval of a paired difference lies above / below 0, else ``no difference``."""
    mean, ci = stat["mean"], stat["ci95"]
    if mean is None or ci is None or not math.isfinite(mean) or not math.isfinite(ci):
        return "no difference"
    if mean - ci > 0:
        return "helped"
    if mean + ci < 0:
        return "hurt"
    return "no difference"


def _effect(arm: str, stat: dict[str, float | None], name: str) -> str:
    mean, ci = float(stat["mean"] or 0.0), float(stat["ci95"] or 0.0)
    band = f"{signed(mean)} ± {ci:.4f}"
    what = outcome(stat)
    if what == "helped":
        return f"{arm} augmentation improved holdout {name} by {band}"
    if what == "hurt":
        return f"{arm} augmentation hurt holdout {name}: {band}"
    return f"{arm} augmentation made no measurable difference to holdout {name} ({band})"


def verdict(
    arms: dict[str, Any], primary: str, repeats: int, *, nt_vs_t: dict[str, float | None] | None = None,
    splits: int = 1,
) -> str:
    """One line: each augmented arm against the baseline (95% CI of the paired difference), and the advice.

    An arm ``helped`` when the interval lies above 0, ``hurt`` when below, otherwise it made no
    measurable difference; ``nt_vs_t`` (non-targeted minus targeted, paired) says when the
    non-targeted arm beat the targeted one.
    """
    name = {"auc": "AUC", "macro_f1": "macro-F1"}[primary]
    t_stat, nt_stat = arms["targeted"][f"delta_{primary}"], arms["non_targeted"][f"delta_{primary}"]
    t_out, nt_out = outcome(t_stat), outcome(nt_stat)
    parts = [_effect("targeted", t_stat, name), _effect("non-targeted", nt_stat, name)]
    nt_beat = nt_vs_t is not None and outcome(nt_vs_t) == "helped"
    if nt_beat and nt_vs_t is not None:
        parts.append(f"non-targeted beat targeted by {signed(float(nt_vs_t['mean'] or 0.0))} ± {float(nt_vs_t['ci95'] or 0.0):.4f}")
    over = f"{splits} splits x {repeats} seeds" if splits > 1 else f"{repeats} seeds on one split"
    head = "; ".join(parts) + f" (95% CIs over {over})"
    if t_out == "helped" and not nt_beat:
        advice = "the targeted rows are worth adding"
    elif nt_out == "helped":
        advice = "targeted augmentation did not beat non-targeted: prefer --target all"
    elif t_out == "hurt" or nt_out == "hurt":
        advice = "augmentation did not help, it hurt: keep your data as is"
    else:
        advice = "augmentation did not help: keep your data as is"
    return f"{head}; {advice}"
