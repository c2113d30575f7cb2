"""DVGS: data valuation by the similarity of per-sample gradients to the validation gradient.

Evans, Mills, Wu, Song & McWeeney, "Data Valuation with Gradient Similarity",
arXiv:2405.08217, 2024 (code: github.com/nathanieljevans/DVGS).

A small network is trained **on the validation rows** with Adam. At every
optimiser step, before the update, the gradient ``g_v`` of the validation batch's
loss is compared with the per-sample gradient ``g_i`` of every player row at the
same parameters; a row's value is its cosine similarity ``cos(g_i, g_v)`` averaged
over every step of every epoch of every restart. A row whose gradient points away
from what the validation data wants (a flipped label, a corrupted row) gets a low
value. The paper's label-corruption defaults are used: Adam, learning rate 1e-3,
100 epochs, 3 restarts, validation batches of 500, class-balanced validation
cross-entropy, plain cross-entropy for the players, cosine similarity.

The network is a one-hidden-layer MLP ``softmax(tanh(x W1 + b1) W2 + b2)`` written
in numpy (no torch): the per-sample gradients of cross-entropy are outer products,

    d2_i = p_i - onehot(y_i)                       gW2_i = h_i d2_i^T,  gb2_i = d2_i
    d1_i = (W2 d2_i) * (1 - h_i^2)                 gW1_i = x_i d1_i^T,  gb1_i = d1_i

so ``g_i . g_v`` and ``|g_i|`` are computed for all rows at once from matrix products
(``|x d^T| = |x| |d|``) without materialising the N x P gradient matrix.
:func:`per_sample_gradients` gives that matrix explicitly for checks. Differences
from the paper's network: one hidden layer, tanh instead of Mish, no batch-norm or
dropout (so the per-sample gradients are deterministic functions of the parameters).

Every row is valued by cross-fitting (:func:`~dvclean.valuation._crossfit.cross_fit`):
each fold's network is trained on the fold and probes the other folds' rows.
Restart ``r`` of a fold draws its initialisation and batch order from
``SeedSequence(fold_seed).spawn(restarts)[r]``; the (fold, restart) tasks run on
joblib or Dask (:mod:`~dvclean.valuation._parallel`) and are reduced in order;
with a checkpoint (:mod:`~dvclean.valuation._checkpoint`) the finished tasks are
saved, so a resumed run reruns only the missing ones and gives the same values.

Complexity: O(restarts * epochs * ceil(M / batch) * N * (d + C) * H) time and
O(N * H) memory per task, for N players, M validation rows, d features, H hidden
units and C classes.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from ..config import CrossFitConfig, DVGSConfig
from ..table import ValuationData
from ._base import ValuationResult, check_data, check_settings
from ._checkpoint import (
    Checkpoint,
    CheckpointSection,
    as_checkpoint,
    released_after,
    save_quietly,
    valuer_identity,
)
from ._crossfit import FoldResult
from ._parallel import runner
from .tmc import _fold_inputs, combine_folds

log = logging.getLogger(__name__)

__all__ = [
    "DVGS",
    "MLPParams",
    "init_params",
    "per_sample_gradients",
    "batch_gradient",
    "gradient_cosines",
    "dvgs_values",
]

ProgressFn = Callable[[str, int, int], None]
_EPS = 1e-12


@dataclass
class MLPParams:
    """Parameters of the one-hidden-layer MLP: ``w1`` (d, H), ``b1`` (H,), ``w2`` (H, C), ``b2`` (C,)."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def flat(self) -> np.ndarray:
        """All parameters as one vector (order w1, b1, w2, b2)."""
        return np.concatenate([self.w1.ravel(), self.b1, self.w2.ravel(), self.b2])

    def arrays(self) -> list[np.ndarray]:
        return [self.w1, self.b1, self.w2, self.b2]


def init_params(d: int, hidden: int, n_classes: int, rng: np.random.Generator) -> MLPParams:
    """PyTorch's default ``nn.Linear`` initialisation: uniform in +-1/sqrt(fan_in)."""
    a1, a2 = 1 / np.sqrt(d), 1 / np.sqrt(hidden)
    return MLPParams(
        w1=rng.uniform(-a1, a1, (d, hidden)),
        b1=rng.uniform(-a1, a1, hidden),
        w2=rng.uniform(-a2, a2, (hidden, n_classes)),
        b2=rng.uniform(-a2, a2, n_classes),
    )


def _forward(p: MLPParams, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hidden activations, output deltas ``softmax - onehot`` and hidden deltas, per row."""
    h = np.tanh(x @ p.w1 + p.b1)
    logits = h @ p.w2 + p.b2
    logits -= logits.max(axis=1, keepdims=True)
    e = np.exp(logits)
    d2 = e / e.sum(axis=1, keepdims=True)
    d2[np.arange(y.shape[0]), y] -= 1.0
    d1 = (d2 @ p.w2.T) * (1.0 - h * h)
    return h, d2, d1


def loss(p: MLPParams, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Weighted mean cross-entropy (``weights`` per row; ``None`` = plain mean)."""
    h = np.tanh(x @ p.w1 + p.b1)
    logits = h @ p.w2 + p.b2
    m = logits.max(axis=1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(axis=1, keepdims=True))
    nll = -logp[np.arange(y.shape[0]), y]
    w = np.ones(y.shape[0]) if weights is None else weights
    return float((w * nll).sum() / w.sum())


def per_sample_gradients(p: MLPParams, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of each row's cross-entropy, shape (n, P), flattened like :meth:`MLPParams.flat`."""
    h, d2, d1 = _forward(p, x, y)
    n = x.shape[0]
    return np.concatenate(
        [(x[:, :, None] * d1[:, None, :]).reshape(n, -1), d1, (h[:, :, None] * d2[:, None, :]).reshape(n, -1), d2],
        axis=1,
    )


def batch_gradient(p: MLPParams, x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None) -> MLPParams:
    """Gradient of :func:`loss` (the weighted mean over the rows) with respect to every parameter."""
    h, d2, d1 = _forward(p, x, y)
    w = np.ones(y.shape[0]) if weights is None else weights
    w = w / w.sum()
    d2w, d1w = d2 * w[:, None], d1 * w[:, None]
    return MLPParams(w1=x.T @ d1w, b1=d1w.sum(axis=0), w2=h.T @ d2w, b2=d2w.sum(axis=0))


def gradient_cosines(p: MLPParams, x: np.ndarray, y: np.ndarray, g: MLPParams) -> np.ndarray:
    """Cosine similarity between each row's gradient and the gradient ``g``, vectorised.

    Uses ``g_i . g = sum((x g_w1) * d1) + d1 . g_b1 + sum((h g_w2) * d2) + d2 . g_b2`` and
    ``|g_i|^2 = (|x_i|^2 + 1) |d1_i|^2 + (|h_i|^2 + 1) |d2_i|^2``.
    """
    h, d2, d1 = _forward(p, x, y)
    dot = ((x @ g.w1) * d1).sum(axis=1) + d1 @ g.b1 + ((h @ g.w2) * d2).sum(axis=1) + d2 @ g.b2
    norm2 = ((x * x).sum(axis=1) + 1.0) * (d1 * d1).sum(axis=1) + ((h * h).sum(axis=1) + 1.0) * (d2 * d2).sum(axis=1)
    gnorm = np.sqrt(sum(float((a * a).sum()) for a in g.arrays()))
    return dot / (np.sqrt(norm2) * gnorm + _EPS)


def _class_weights(y: np.ndarray, n_classes: int, balance: bool) -> np.ndarray:
    if not balance:
        return np.ones(y.shape[0])
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    per_class = np.where(counts > 0, y.shape[0] / (n_classes * np.maximum(counts, 1)), 0.0)
    return per_class[y]


def dvgs_restart(
    x_players: np.ndarray,
    y_players: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    n_classes: int,
    config: DVGSConfig,
    seed: np.random.SeedSequence,
) -> tuple[np.ndarray, int]:
    """One restart: train on the validation rows; return the summed cosines per player and the step count."""
    rng = np.random.default_rng(seed)
    p = init_params(x_valid.shape[1], config.hidden, n_classes, rng)
    m = [np.zeros_like(a) for a in p.arrays()]
    v = [np.zeros_like(a) for a in p.arrays()]
    b1, b2, eps = 0.9, 0.999, 1e-8
    weights = _class_weights(y_valid, n_classes, config.balance_classes)
    total = np.zeros(x_players.shape[0])
    steps = 0
    mv = x_valid.shape[0]
    for _ in range(config.epochs):
        order = rng.permutation(mv)
        for lo in range(0, mv, config.batch_size):
            b = order[lo : lo + config.batch_size]
            g = batch_gradient(p, x_valid[b], y_valid[b], weights[b])
            total += gradient_cosines(p, x_players, y_players, g)
            steps += 1
            t = steps
            for k, (a, ga) in enumerate(zip(p.arrays(), g.arrays(), strict=True)):
                grad = ga + config.weight_decay * a if config.weight_decay else ga
                m[k] = b1 * m[k] + (1 - b1) * grad
                v[k] = b2 * v[k] + (1 - b2) * grad * grad
                a -= config.learning_rate * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)
    return total, steps


def _restart_task(
    xp: np.ndarray, yp: np.ndarray, xv: np.ndarray, yv: np.ndarray, n_classes: int, config: DVGSConfig,
    fold_seed: int, r: int,
) -> tuple[np.ndarray, int]:
    return dvgs_restart(xp, yp, xv, yv, n_classes, config, np.random.SeedSequence(fold_seed, spawn_key=(r,)))


def dvgs_values(
    folds: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]],
    n_classes: int,
    config: DVGSConfig,
    *,
    n_jobs: int = 1,
    scheduler: str | None = None,
    progress: ProgressFn | None = None,
    checkpoint: Checkpoint | str | os.PathLike[str] | None = None,
    checkpoint_identity: dict[str, Any] | None = None,
) -> list[FoldResult]:
    """DVGS values of the players of each ``(x_players, y_players, x_valid, y_valid, seed)`` fold.

    Each value is the mean cosine over every step of every restart; the standard
    error is the spread of the per-restart means (0 with a single restart).

    With ``checkpoint`` (a :class:`~dvclean.valuation._checkpoint.Checkpoint` or a
    path; section ``dvgs``), the (fold, restart) tasks run in rounds of at least
    ``checkpoint.every`` tasks (a multiple of the workers), the finished ones are
    saved after each round and on an interruption, and tasks found there are not
    rerun: the values are bit-identical to an uninterrupted run's.
    ``checkpoint_identity`` is what else must match to resume (see
    :func:`~dvclean.valuation.tmc.tmc_shapley`).
    """
    if checkpoint is not None and not isinstance(checkpoint, Checkpoint):  # a path: its lock is this call's
        ck = as_checkpoint(checkpoint)
        return released_after(ck, lambda: dvgs_values(folds, n_classes, config, n_jobs=n_jobs, scheduler=scheduler,
                                                      progress=progress, checkpoint=ck,
                                                      checkpoint_identity=checkpoint_identity))
    tasks = [
        (xp, yp, xv, yv, n_classes, config, fseed, r)
        for xp, yp, xv, yv, fseed in folds
        for r in range(config.restarts)
    ]
    results: list[tuple[np.ndarray, int] | None] = [None] * len(tasks)
    section = None
    ck = as_checkpoint(checkpoint)
    if ck is not None:
        identity = {
            **(checkpoint_identity or {}),
            "games": [[int(xp.shape[0]), int(xv.shape[0]), fseed] for xp, _, xv, _, fseed in folds],
            "n_classes": n_classes,
            "dvgs": asdict(config),
        }
        section = ck.section("dvgs", identity)
        loaded = section.load()
        if loaded is not None:
            state, arrays = loaded
            try:
                for key, steps in state["steps"].items():
                    k, total = int(key), np.array(arrays[f"t{key}"], dtype=np.float64)
                    rows = folds[k // config.restarts][0].shape[0] if 0 <= k < len(results) else -1
                    mv = folds[k // config.restarts][2].shape[0] if 0 <= k < len(results) else 0
                    expected = config.epochs * -(-mv // config.batch_size)  # the steps a finished restart takes
                    if total.shape != (rows,) or not np.isfinite(total).all() or isinstance(steps, bool) \
                            or not isinstance(steps, int) or steps != expected \
                            or float(np.max(np.abs(total), initial=0.0)) > steps * (1 + 1e-9):  # sums of cosines
                        raise ValueError(f"restart {key} does not fit this run")
                    results[k] = (total, steps)
            except (KeyError, ValueError, TypeError, AttributeError, IndexError) as exc:
                raise section.damaged(f"{type(exc).__name__}: {exc}") from None

    def save(quiet: bool = False) -> None:
        assert section is not None
        done = {str(k): r for k, r in enumerate(results) if r is not None}
        state = {"steps": {k: r[1] for k, r in done.items()}}
        arrays = {f"t{k}": r[0] for k, r in done.items()}
        (save_quietly if quiet else CheckpointSection.save)(section, state, arrays)

    loaded_tasks = [r is not None for r in results]
    todo = [k for k, r in enumerate(results) if r is None]
    unsaved = 0
    if progress:  # (a bar's clock starts at its first report: restarts resumed from a checkpoint count as done)
        progress("dvgs restarts", sum(r is not None for r in results), len(tasks))
    try:
        with runner(n_jobs, scheduler) as run:
            size = len(todo) if section is None else run.n_workers * -(-section.every // run.n_workers)
            for lo in range(0, len(todo), max(size, 1)):
                batch = todo[lo : lo + size]
                for k, res in zip(batch, run.map(_restart_task, [tasks[k] for k in batch]), strict=True):
                    results[k] = res
                unsaved += len(batch)
                if section is not None:
                    save()
                    unsaved = 0
                if progress:
                    progress("dvgs restarts", sum(r is not None for r in results), len(tasks))
    except BaseException:
        if section is not None and unsaved:
            save(quiet=True)
        elif section is not None and section.path.exists():  # nothing new since the last save: say where it is
            log.warning("progress saved to %s; rerun with --resume to continue", section.path)
        raise
    out = []
    for f in range(len(folds)):
        chunk = [r for r in results[f * config.restarts : (f + 1) * config.restarts] if r is not None]
        means = np.vstack([tot / steps for tot, steps in chunk])
        steps = sum(s for _, s in chunk)
        value = sum(tot for tot, _ in chunk) / steps
        if config.restarts > 1:
            se = means.std(axis=0, ddof=1) / np.sqrt(config.restarts)
        else:  # one restart has no spread to measure: no estimate (NaN, as tmc gives), not a certain 0
            se = np.full(value.shape[0], np.nan)
        diag: dict[str, Any] = {"steps": steps}
        if section is not None:
            diag["resumed_restarts"] = sum(loaded_tasks[f * config.restarts : (f + 1) * config.restarts])
        out.append(FoldResult(value, se, diag))
    return out


@dataclass
class DVGS:
    """DVGS valuer (registry name ``dvgs``).

    Parameters
    ----------
    config : DVGSConfig
    crossfit : CrossFitConfig
    """

    config: DVGSConfig = field(default_factory=DVGSConfig)
    crossfit: CrossFitConfig = field(default_factory=CrossFitConfig)
    name: ClassVar[str] = "dvgs"
    resumable: ClassVar[bool] = True  # value() takes checkpoint=
    citation: ClassVar[str] = (
        "Evans, Mills, Wu, Song & McWeeney, Data Valuation with Gradient Similarity, arXiv:2405.08217, 2024"
    )

    def __post_init__(self) -> None:
        """Refuse settings of the wrong type (a dict, another method's config) when the valuer is built."""
        check_settings(self, config=DVGSConfig, crossfit=CrossFitConfig)

    def value(
        self, data: ValuationData, *, seed: int = 0, progress: ProgressFn | None = None,
        checkpoint: Checkpoint | str | os.PathLike[str] | None = None,
    ) -> ValuationResult:
        """Value every player of ``data`` (cross-fitted without a validation set).

        ``checkpoint`` (a :class:`~dvclean.valuation._checkpoint.Checkpoint` or a
        path) saves the finished restarts and resumes from them: see :func:`dvgs_values`.
        """
        check_data(self, data, seed)
        cf = self.crossfit
        t0 = time.perf_counter()
        folds = _fold_inputs(data, cf.n_folds, seed)
        identity = None if checkpoint is None else valuer_identity(
            self.name, data, seed, cf.n_folds if data.leave_self_out else None, {})
        per_fold = dvgs_values(
            folds, len(data.classes), self.config, n_jobs=cf.n_jobs, scheduler=cf.scheduler, progress=progress,
            checkpoint=checkpoint, checkpoint_identity=identity,
        )
        values, stderr, diags = combine_folds(data, per_fold, cf.n_folds, seed)
        params: dict[str, Any] = {
            **asdict(self.config), "n_folds": cf.n_folds if data.leave_self_out else None, "n_jobs": cf.n_jobs,
            "scheduler": cf.scheduler, "network": f"MLP {data.x.shape[1]}-{self.config.hidden}-{len(data.classes)} tanh",
        }
        diagnostics = {
            "snapshots": [d.get("steps") for d in diags],
            "folds": len(diags),
            "seconds": round(time.perf_counter() - t0, 3),
        }
        if any(d.get("resumed_restarts") for d in diags):
            # restarts per fold that a checkpoint supplied (as TMC's permutations per fold)
            diagnostics["resumed_from"] = [d.get("resumed_restarts", 0) for d in diags]
        return ValuationResult(
            method=self.name, values=values, stderr=stderr, status="approximate", params=params, seed=seed,
            diagnostics=diagnostics,
        )
