"""Result type shared by every valuation method."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["ValuationResult", "check_data", "check_settings"]


@dataclass(frozen=True, eq=False)
class ValuationResult:
    """Values of the players of one method.

    Attributes
    ----------
    method : str
        Registry name of the method.
    values : numpy.ndarray
        One value per player (``ValuationData.x`` row); higher is more useful.
    stderr : numpy.ndarray or None
        Standard error per value; ``None`` for exact methods, unless cross-fitted (``loo`` valued
        by the models of the other folds: the spread of a row's values across the folds).
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


def check_settings(valuer: Any, **expected: type) -> None:
    """A clear ``TypeError`` when a valuer is built with a settings object of the wrong type (a dict, another
    method's config), at construction rather than as an AttributeError inside :meth:`value`."""
    for attr, cls in expected.items():
        value = getattr(valuer, attr)
        if not isinstance(value, cls):
            kind = type(valuer).__name__
            raise TypeError(f"{kind}({attr}=...) takes a {cls.__name__}, got {type(value).__name__} {value!r:.60}; "
                            f"e.g. {kind}({attr}={cls.__name__}())")


def check_data(valuer: Any, data: Any, seed: Any = 0) -> None:
    """A clear ``TypeError`` when :meth:`value` gets something other than a ``ValuationData``, and the
    :class:`~dvclean.errors.ConfigError` of :class:`~dvclean.config.ScoreConfig` for a seed outside
    ``[0, 2**32)`` (numpy's generators refuse -1 and 1.5 with their own words; some methods would record them)."""
    from ..config import check_param
    from ..table import ValuationData

    if not isinstance(data, ValuationData):
        raise TypeError(f"{type(valuer).__name__}.value(data) takes a dvclean.ValuationData (see dvclean.prepare), "
                        f"got {type(data).__name__}")
    ok = isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and 0 <= seed < 2**32
    check_param(f"{type(valuer).__name__}.value", "seed", seed, ok, "an int in [0, 2**32)")
