"""Result type shared by every valuation method."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ValuationResult"]


@dataclass(frozen=True)
class ValuationResult:
    """Values of the players of one method.

    Attributes
    ----------
    method : str
        Registry name of the method.
    values : numpy.ndarray
        One value per player (``ValuationData.x`` row); higher is more useful.
    stderr : numpy.ndarray or None
        Standard error per value; ``None`` for exact methods.
    status : str
        ``exact``, ``approximate``, ``converged`` or ``budget_exhausted``.
    params : dict
        The method's settings.
    seed : int
    diagnostics : dict
        Method-specific counters (timings, algorithm chosen, ...), JSON-able.
    neighbors : numpy.ndarray or None
        For nearest-neighbour methods: the K nearest other players of each player
        (indices into the players), used by the flags.
    """

    method: str
    values: np.ndarray
    stderr: np.ndarray | None
    status: str
    params: dict[str, Any]
    seed: int
    diagnostics: dict[str, Any] = field(default_factory=dict)
    neighbors: np.ndarray | None = None
