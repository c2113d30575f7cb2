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

    def describe(self) -> dict[str, str]:
        """JSON-able description (without the factory)."""
        return {"name": self.name, "summary": self.summary, "citation": self.citation, "cost": self.cost, "needs": self.needs}


REGISTRY: dict[str, MethodInfo] = {}


def register(info: MethodInfo) -> None:
    """Add a method to the registry (names are unique)."""
    if info.name in REGISTRY:
        raise ValueError(f"method {info.name!r} is already registered")
    REGISTRY[info.name] = info


def make_valuer(name: str, config: ScoreConfig) -> Any:
    """Build the valuer registered under ``name`` from a score configuration."""
    return REGISTRY[name].factory(config)


register(
    MethodInfo(
        name="knn",
        summary="KNN-Shapley: exact Data Shapley of a K-nearest-neighbour classifier (closed form); truncated to "
        "the K*=max(K, ceil(1/eps)) nearest neighbours above --exact-max-rows.",
        citation=KNNShapley.citation,
        cost="O(N^2 d) exact (seconds for 10k rows), O(N K* log N) approximate",
        needs="numpy, numba; faiss-cpu for approximate search in high dimension",
        factory=lambda cfg: KNNShapley(cfg.knn),
    )
)
