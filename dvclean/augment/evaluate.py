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
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl

from ..errors import AugmentError, DataValidationError
from ..table import FeatureEncoder, Table, label_codes
from .config import AugmentConfig, parse_n_synthetic, parse_target

__all__ = ["evaluate_holdout", "mean_ci", "split_indices", "xgb_params"]

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
    """Stratified (train, valuation, holdout) row indices; holdout empty when a file is given."""
    from sklearn.model_selection import train_test_split

    idx = np.arange(y.shape[0])
    tr, va, ho = fractions
    try:
        if with_holdout:
            train, valid = train_test_split(idx, test_size=va / (tr + va), stratify=y, random_state=seed)
            return np.sort(train), np.sort(valid), np.array([], dtype=np.int64)
        train, rest = train_test_split(idx, test_size=va + ho, stratify=y, random_state=seed)
        valid, hold = train_test_split(rest, test_size=ho / (va + ho), stratify=y[rest], random_state=seed)
    except ValueError as exc:
        raise AugmentError(
            f"--evaluate cannot split the data into stratified train/valuation/holdout parts ({exc}); "
            "every class needs several rows in each part: add data or drop --evaluate"
        ) from exc
    return np.sort(train), np.sort(valid), np.sort(hold)


def _metrics(y: np.ndarray, proba: np.ndarray, n_classes: int) -> dict[str, float]:
    from sklearn.metrics import f1_score, log_loss, roc_auc_score

    if n_classes == 2:
        p1 = proba[:, 1] if proba.ndim == 2 else proba
        auc = float(roc_auc_score(y, p1))
        return {"auc": auc, "gini": 2 * auc - 1}
    pred = proba.argmax(axis=1)
    return {
        "macro_f1": float(f1_score(y, pred, average="macro", labels=np.arange(n_classes), zero_division=0)),
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


def evaluate_holdout(
    table: Table,
    drop: Sequence[str],
    cfg: AugmentConfig,
    *,
    holdout: pl.DataFrame | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run the three-arm comparison; return the JSON-able evaluation table and verdict."""
    from threadpoolctl import threadpool_limits

    from .core import RowScores, _check_target_size, compute_scores, fit_and_sample, target_mask

    say = progress or (lambda msg: None)
    timings: dict[str, float] = {}
    target = parse_target(cfg.target)
    t = time.perf_counter()
    codes, classes, missing = label_codes(table.frame.get_column(table.label))
    labelled = np.flatnonzero(~missing)
    frame = table.frame[labelled]
    y_all = codes[labelled]
    n_classes = len(classes)
    if holdout is not None:
        lacking = [c for c in (*table.features, table.label) if c not in holdout.columns]
        if lacking:
            raise DataValidationError(
                f"--holdout lacks the columns {', '.join(map(repr, lacking[:10]))}; it needs the data's feature and label columns"
            )
    tr, va, ho = split_indices(y_all, cfg.split, cfg.seed, holdout is not None)
    train = frame[tr]
    valid = frame[va]
    if holdout is not None:
        hcodes, _, hmissing = label_codes(holdout.get_column(table.label), classes)
        if ((hcodes < 0) & ~hmissing).any():
            bad = holdout.get_column(table.label)[int(np.flatnonzero((hcodes < 0) & ~hmissing)[0])]
            raise DataValidationError(f"--holdout has the label {bad!r}, which is not a class of the data")
        keep = np.flatnonzero(~hmissing)
        hold, y_hold = holdout[keep], hcodes[keep]
    else:
        hold, y_hold = frame[ho], y_all[ho]
    timings["split"] = time.perf_counter() - t

    t = time.perf_counter()
    say(f"evaluation: valuing {train.height} train rows against {valid.height} valuation rows")
    with threadpool_limits(cfg.xgb_threads):
        scores: RowScores = compute_scores(
            train, label=table.label, id_column=table.id_column, drop=drop, cfg=cfg, valid=valid
        )
    timings["value"] = time.perf_counter() - t
    train_table = Table(
        frame=train, label=table.label, features=table.features, id_column=table.id_column,
        source=table.source, dropped=table.dropped,
    )
    targeted = target_mask(target, train_table, scores, cfg)
    _check_target_size(targeted, target, cfg, scores)
    everything = target_mask(parse_target("all"), train_table, scores, cfg)
    n_syn = parse_n_synthetic(cfg.n_synthetic, train.height)

    draws: dict[str, list[pl.DataFrame]] = {}
    generators: dict[str, dict[str, Any]] = {}
    for arm, mask in (("targeted", targeted), ("non_targeted", everything)):
        say(f"evaluation: training {cfg.generator} on {int(mask.sum())} train rows ({arm}), {cfg.repeats} draws of {n_syn}")
        gen, samples, gt = fit_and_sample(train_table, mask, n_syn, cfg, draws=cfg.repeats)
        draws[arm] = samples
        timings[f"fit.{arm}"] = gt["fit"]
        timings[f"sample.{arm}"] = gt["sample"]
        info: dict[str, Any] = {
            "training_rows": int(mask.sum()),
            "epochs": gen.settings.epochs,
            "batch_size": gen.settings.batch_size,
        }
        if cfg.quality:
            tq = time.perf_counter()
            info["quality"] = gen.quality(samples[0])
            timings[f"quality.{arm}"] = time.perf_counter() - tq
        generators[arm] = info

    t = time.perf_counter()
    encoder = FeatureEncoder().fit(train, table.features)
    x_train = encoder.transform(train)
    y_train = codes[labelled][tr]
    x_valid, y_valid = encoder.transform(valid), y_all[va]
    x_hold = encoder.transform(hold)

    def synthetic_xy(sample: pl.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        c, _, m = label_codes(sample.get_column(table.label), classes)
        ok = (c >= 0) & ~m
        s = sample.filter(pl.Series(ok)) if not ok.all() else sample
        return encoder.transform(s), c[ok]

    per_arm: dict[str, list[dict[str, float]]] = {a: [] for a in ARMS}
    rounds: dict[str, list[int]] = {a: [] for a in ARMS}
    say(f"evaluation: {3 * cfg.repeats} XGBoost fits on the holdout ({len(y_hold)} rows)")
    with threadpool_limits(cfg.xgb_threads):
        for r in range(cfg.repeats):
            seed = cfg.seed + r
            for arm in ARMS:
                if arm == "baseline":
                    x, y = x_train, y_train
                else:
                    xs, ys = synthetic_xy(draws[arm][r])
                    x, y = np.vstack([x_train, xs]), np.concatenate([y_train, ys])
                m, best = _fit_score(x, y, x_valid, y_valid, x_hold, y_hold, n_classes, cfg, seed)
                per_arm[arm].append(m)
                rounds[arm].append(best)
    timings["xgboost"] = time.perf_counter() - t

    metric_names = list(per_arm["baseline"][0])
    table_out: dict[str, Any] = {}
    for arm in ARMS:
        entry: dict[str, Any] = {"rows": int(train.height + (0 if arm == "baseline" else n_syn))}
        for name in metric_names:
            vals = [m[name] for m in per_arm[arm]]
            entry[name] = {**mean_ci(vals), "values": vals}
            if arm != "baseline":
                diffs = [a - b for a, b in zip(vals, (m[name] for m in per_arm["baseline"]), strict=True)]
                entry[f"delta_{name}"] = mean_ci(diffs)
        entry["boosting_rounds"] = rounds[arm]
        table_out[arm] = entry

    primary = "auc" if n_classes == 2 else "macro_f1"
    return {
        "split": {
            "train": int(train.height), "valuation": int(valid.height), "holdout": int(len(y_hold)),
            "holdout_source": "file" if holdout is not None else "split",
            "fractions": list(cfg.split), "stratified": True, "seed": cfg.seed,
        },
        "target_rows": int(targeted.sum()),
        "target_class_mix": _mix(train.get_column(table.label).filter(pl.Series(targeted))),
        "n_synthetic": n_syn,
        "repeats": cfg.repeats,
        "model": {k: v for k, v in xgb_params(n_classes, cfg, cfg.seed).items() if k != "random_state"},
        "early_stopping_on": "valuation split",
        "generators": generators,
        "primary_metric": primary,
        "arms": table_out,
        "verdict": verdict(table_out, primary, cfg.repeats),
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


def _mix(labels: pl.Series) -> dict[str, int]:
    from .core import class_mix

    return class_mix(labels)


def verdict(arms: dict[str, Any], primary: str, repeats: int) -> str:
    """One line: did targeted augmentation improve the primary holdout metric (95% CI above 0)?"""
    name = {"auc": "AUC", "macro_f1": "macro-F1"}[primary]
    d = arms["targeted"][f"delta_{primary}"]
    nt = arms["non_targeted"][f"delta_{primary}"]
    mean, ci = d["mean"], d["ci95"] or 0.0
    other = f"non-targeted {nt['mean']:+.4g} ± {(nt['ci95'] or 0.0):.2g}"
    if mean - ci > 0:
        return (
            f"targeted augmentation improved holdout {name} by {mean:+.4g} ± {ci:.2g} "
            f"(95% CI over {repeats} seeds; {other})"
        )
    return (
        f"did not help: targeted augmentation changed holdout {name} by {mean:+.4g} ± {ci:.2g} "
        f"(95% CI over {repeats} seeds; {other}); keep your data as is"
    )
