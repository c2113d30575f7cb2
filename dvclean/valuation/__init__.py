"""Valuation methods: each values every labelled row; higher values are more useful.

``REGISTRY`` maps a method name to its valuer class and its one-line description
with the paper it comes from; ``dvclean methods`` prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._base import ValuationResult
from .knn import KNNShapley

__all__ = ["REGISTRY", "MethodInfo", "ValuationResult", "KNNShapley"]


@dataclass(frozen=True)
class MethodInfo:
    """What ``dvclean methods`` shows about a valuation method."""

    name: str
    summary: str
    citation: str
    exact: bool


REGISTRY: dict[str, MethodInfo] = {
    "knn": MethodInfo(
        name="knn",
        summary="KNN-Shapley: exact Data Shapley of a K-nearest-neighbour classifier (closed form, O(N log N) per "
        "validation point); truncated to the K*=max(K, ceil(1/eps)) nearest neighbours for large data.",
        citation=KNNShapley.citation,
        exact=True,
    ),
}
