"""Valuation methods: each values every labelled row; higher values are more useful.

``REGISTRY`` maps a method name to a :class:`MethodInfo`: a one-line summary, the
paper, its cost class, what it needs, and a factory that builds the valuer from a
:class:`~dvclean.config.ScoreConfig`. ``dvclean methods`` prints it, and
:func:`dvclean.score` runs any registered method.

A valuer is any object with ``name`` and
``value(data: ValuationData, *, seed: int, progress=None) -> ValuationResult``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ._base import ValuationResult
from .knn import KNNShapley


def _classification_only(cfg: ScoreConfig, name: str) -> None:
    """Refuse a classification-only method when the (resolved) task is regression."""
    if getattr(cfg, "task", "auto") == "regression":
        from ..errors import ConfigError

        supported = ", ".join(m for m, info in REGISTRY.items() if "regression" in info.tasks)
        raise ConfigError(
            f"method {name} supports classification only and the label is a regression target; "
            f"use {supported} for regression"
        )

if TYPE_CHECKING:  # pragma: no cover
    from ..config import ScoreConfig
    from ..table import ValuationData

__all__ = ["REGISTRY", "MethodInfo", "ValuationResult", "KNNShapley", "Valuer", "make_valuer"]


class Valuer(Protocol):
    """What every valuation method implements."""

    name: str

    def value(
        self, data: ValuationData, *, seed: int = 0, progress: Callable[[str, int, int], None] | None = None
    ) -> ValuationResult:
        """Value every player of ``data``."""
        ...


@dataclass(frozen=True)
class MethodInfo:
    """What ``dvclean methods`` shows about a valuation method, and how to build it."""

    name: str
    summary: str
    citation: str
    cost: str
    needs: str
    factory: Callable[[ScoreConfig], Any]
    #: Label kinds the method values: ``classification`` and/or ``regression``.
    tasks: tuple[str, ...] = ("classification",)
    #: Sections of :class:`~dvclean.config.ScoreConfig` the factory reads (the run's recorded ``config``
    #: keeps these and the sections every run reads, :data:`dvclean.config.ALWAYS_READ`).
    config_sections: tuple[str, ...] = ()
    #: The values are marginal contributions to a utility, so a value below 0 is a row that hurts it; False for a
    #: row's own score (Data-OOB's out-of-bag correctness, the out-of-fold confidence), whose 0 marks nothing.
    marginal: bool = True

    def describe(self) -> dict[str, Any]:
        """JSON-able description (without the factory)."""
        return {"name": self.name, "summary": self.summary, "citation": self.citation, "cost": self.cost,
                "needs": self.needs, "tasks": list(self.tasks)}


REGISTRY: dict[str, MethodInfo] = {}


def register(info: MethodInfo) -> None:
    """Add a method to the registry (names are unique)."""
    if info.name in REGISTRY:
        raise ValueError(f"method {info.name!r} is already registered")
    REGISTRY[info.name] = info


def make_valuer(name: str, config: ScoreConfig) -> Any:
    """Build the valuer registered under ``name`` from a score configuration (a name not registered is a
    :class:`~dvclean.errors.ConfigError` that lists the registered ones)."""
    if name not in REGISTRY:
        from ..config import unknown_method_error

        raise unknown_method_error(name, REGISTRY)
    return REGISTRY[name].factory(config)


register(
    MethodInfo(
        name="knn",
        summary="KNN-Shapley: exact Data Shapley of a K-nearest-neighbour classifier (closed form), or of a KNN "
        "regressor under negative squared error for a regression target; rows at equal distance (compared at "
        "float32 precision) are a tie group in random order (classification); truncated to the K*=max(K, ceil(1/eps)) nearest neighbours above "
        "--exact-max-rows, the farther rows valued as one tie group.",
        citation=KNNShapley.citation,
        cost="O(N^2 d) exact (seconds for 10k rows), O(N K* log N) approximate",
        needs="numpy, numba; faiss-cpu for approximate search in high dimension",
        factory=lambda cfg: KNNShapley(cfg.knn),
        tasks=("classification", "regression"),
        config_sections=('knn',),
    )
)

from . import confidence as _confidence  # noqa: E402
from . import oob as _oob  # noqa: E402
from ._parallel import effective_n_jobs  # noqa: E402

register(
    MethodInfo(
        name="oob",
        summary="Data-OOB: a row's mean correctness (regression: minus its squared error) over the bagged trees "
        "whose bootstrap sample left it out; needs no validation set.",
        citation=_oob.DataOOB.citation,
        cost="B tree fits (800 by default: seconds for 2k rows)",
        needs="scikit-learn",
        factory=lambda cfg: _oob.DataOOB(
            n_estimators=cfg.oob.n_estimators, max_features=cfg.oob.max_features,
            n_jobs=cfg.oob.n_jobs if cfg.oob.n_jobs is not None else effective_n_jobs(cfg.crossfit.n_jobs),
            task="regression" if getattr(cfg, "task", "auto") == "regression" else "classification",
        ),
        tasks=("classification", "regression"),
        config_sections=('oob', 'crossfit'),
        marginal=False,
    )
)
register(
    MethodInfo(
        name="confidence",
        summary="Out-of-fold probability of the given label from a cross-validated XGBoost (Confident Learning's "
        "self-confidence).",
        citation=_confidence.OOFConfidence.citation,
        cost="F model fits (5 by default: under a second for 2k rows)",
        needs="xgboost",
        factory=lambda cfg: _classification_only(cfg, "confidence") or _confidence.OOFConfidence(
            _confidence.ConfidenceSettings(model=cfg.confidence.model, n_folds=cfg.confidence.n_folds,
                                           n_jobs=effective_n_jobs(cfg.crossfit.n_jobs)),
        ),
        config_sections=('confidence', 'crossfit'),
        marginal=False,
    )
)

# -- model-based: TMC Data Shapley and DVGS (issue 3) ---------------------------------------------------------------
from . import tmc as _tmc  # noqa: E402


def _make_tmc(cfg: ScoreConfig) -> Any:
    return _tmc.TMCShapley(cfg.tmc, cfg.crossfit, warm_start=cfg.tmc.warm_start)


register(
    MethodInfo(
        name="tmc",
        summary="TMC Data Shapley: mean marginal contribution of a row over random orderings, retraining --model "
        "after each addition; truncated, cross-fitted over --folds, parallel over --n-jobs or a Dask --scheduler.",
        citation=_tmc.TMCShapley.citation,
        cost="O(permutations x truncation length) model fits per fold (minutes for 2k rows with logreg)",
        needs="scikit-learn (xgboost for --model xgboost); dask[distributed] for --scheduler",
        factory=_make_tmc,
        tasks=("classification", "regression"),
        config_sections=('tmc', 'crossfit'),
    )
)

from . import dvgs as _dvgs  # noqa: E402


def _make_dvgs(cfg: ScoreConfig) -> Any:
    _classification_only(cfg, "dvgs")
    return _dvgs.DVGS(cfg.dvgs, cfg.crossfit)


register(
    MethodInfo(
        name="dvgs",
        summary="DVGS: mean cosine similarity between a row's loss gradient and the validation gradient while an "
        "MLP trains on the validation fold (--epochs, 3 restarts); cross-fitted over --folds.",
        citation=_dvgs.DVGS.citation,
        cost="restarts x epochs x ceil(M / batch) x N x P multiply-adds per fold (M validation rows: grows as N^2; "
        "7 s for 2k rows, 54 s for 8k on 2 cores), no model refits",
        needs="numpy (analytic per-sample gradients; no torch)",
        factory=_make_dvgs,
        config_sections=('dvgs', 'crossfit'),
    )
)

# -- retraining baselines and semivalues: leave-one-out, Data Banzhaf, Beta Shapley (issue 6) ----------------------
from . import banzhaf as _banzhaf  # noqa: E402
from . import beta as _beta  # noqa: E402
from . import loo as _loo  # noqa: E402


def _make_loo(cfg: ScoreConfig) -> Any:
    return _loo.LeaveOneOut(cfg.loo, cfg.tmc, cfg.crossfit)


def _make_banzhaf(cfg: ScoreConfig) -> Any:
    return _banzhaf.DataBanzhaf(cfg.banzhaf, cfg.tmc, cfg.crossfit)


def _make_beta(cfg: ScoreConfig) -> Any:
    return _beta.BetaShapley(cfg.beta, cfg.tmc, cfg.crossfit)


register(
    MethodInfo(
        name="loo",
        summary="Leave-one-out: the drop in --metric of --model retrained without the row, U(D) - U(D minus i); "
        "exact, cross-fitted over --folds, parallel over --n-jobs.",
        citation=_loo.LeaveOneOut.citation,
        cost="exact: N + 1 model fits per fold, F(N + 1) in all (8,005 logreg fits, 16 s, for 2k rows on 2 cores)",
        needs="scikit-learn (xgboost for --model xgboost)",
        factory=_make_loo,
        tasks=("classification", "regression"),
        config_sections=('loo', 'tmc', 'crossfit'),
    )
)
register(
    MethodInfo(
        name="banzhaf",
        summary="Data Banzhaf (maximum sample reuse): mean --metric of --model over --samples random half-subsets "
        "containing the row minus the mean over those without it; per-row standard errors; cross-fitted.",
        citation=_banzhaf.DataBanzhaf.citation,
        cost="--samples model fits per fold (1000 by default), each on about half the rows; --time-budget caps it",
        needs="scikit-learn (xgboost for --model xgboost)",
        factory=_make_banzhaf,
        tasks=("classification", "regression"),
        config_sections=('banzhaf', 'tmc', 'crossfit'),
    )
)
register(
    MethodInfo(
        name="beta",
        summary="Beta Shapley, Beta(16,1): marginal contributions over --samples random orderings, reweighted to "
        "favour small coalitions (where a wrong label hurts most); per-row standard errors; cross-fitted.",
        citation=_beta.BetaShapley.citation,
        cost="--samples (200) permutations x about 0.58 N model fits per fold for Beta(16,1): ~190k fits per fold "
        "for 2k rows (23 min on 2 cores), so lower --samples or set --time-budget on large data",
        needs="scikit-learn, scipy (xgboost for --model xgboost)",
        factory=_make_beta,
        tasks=("classification", "regression"),
        config_sections=('beta', 'tmc', 'crossfit'),
    )
)
