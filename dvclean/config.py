"""Settings of every dvclean step, as frozen dataclasses.

Defaults live here and only here: the CLI reads its option defaults from these
fields. Every field is checked in ``__post_init__`` through :func:`check_param`,
so a bad value fails when the configuration is built, not twenty minutes into a run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import ConfigError

__all__ = [
    "FeatureConfig",
    "FlagPolicy",
    "KNNConfig",
    "ScoreConfig",
    "check_param",
]


def check_param(owner: object, name: str, value: Any, ok: bool, allowed: str) -> None:
    """Raise :class:`ConfigError` in the one dvclean format when ``ok`` is false.

    The format follows scikit-learn: ``The 'k' parameter of KNNConfig must be an
    int >= 1; got 0.``
    """
    if not ok:
        cls = owner if isinstance(owner, str) else type(owner).__name__
        raise ConfigError(f"The {name!r} parameter of {cls} must be {allowed}; got {value!r}.")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


@dataclass(frozen=True)
class FeatureConfig:
    """How table columns become numeric features.

    Attributes
    ----------
    max_onehot : int
        A categorical column with at most this many distinct values is one-hot
        encoded; above it, frequency encoding is used.
    low_cardinality_int : int
        An integer column with at most this many distinct values is treated as
        categorical.
    onehot_scale : float
        Value of a set one-hot bit. ``1/sqrt(2)`` makes a category mismatch add 1 to
        the squared distance, the same as one standard deviation of a numeric column.
    """

    max_onehot: int = 20
    low_cardinality_int: int = 10
    onehot_scale: float = 1 / math.sqrt(2)

    def __post_init__(self) -> None:
        check_param(self, "max_onehot", self.max_onehot, _is_int(self.max_onehot) and self.max_onehot >= 2, "an int >= 2")
        check_param(
            self, "low_cardinality_int", self.low_cardinality_int,
            _is_int(self.low_cardinality_int) and self.low_cardinality_int >= 0, "an int >= 0",
        )
        check_param(self, "onehot_scale", self.onehot_scale, _is_num(self.onehot_scale) and self.onehot_scale > 0, "a float > 0")


KNN_ALGORITHMS = ("auto", "exact", "approx")


@dataclass(frozen=True)
class KNNConfig:
    """Settings of KNN-Shapley (Jia et al. 2019).

    Attributes
    ----------
    k : int
        Number of neighbours of the KNN classifier whose utility is valued (K).
    eps : float
        Error bound of the approximate (truncated) path: only the
        ``K* = max(K, ceil(1/eps))`` nearest neighbours of each validation point
        receive a non-zero value, and each value is within ``eps`` of exact.
    algorithm : {"auto", "exact", "approx"}
        ``auto`` is exact up to ``exact_max_rows`` rows and approximate above.
    exact_max_rows : int
        Largest number of rows valued exactly under ``algorithm="auto"``.
    chunk_size : int or None
        Validation rows per distance block; ``None`` picks one that keeps a block
        near 64 MiB. Memory is O(n * chunk_size), never n * n.
    neighbors : {"auto", "kdtree", "hnsw", "brute"}
        Neighbour search of the approximate path: scikit-learn's KD-tree (exact
        neighbours, fast in low dimension), faiss HNSW (high dimension) or
        scikit-learn brute force (exact neighbours). ``auto`` picks the KD-tree up
        to ``kdtree_max_dims`` features, else HNSW.
    kdtree_max_dims : int
        Dimension up to which ``neighbors="auto"`` uses the KD-tree.
    """

    k: int = 5
    eps: float = 0.1
    algorithm: str = "auto"
    exact_max_rows: int = 20_000
    chunk_size: int | None = None
    neighbors: str = "auto"
    kdtree_max_dims: int = 12

    def __post_init__(self) -> None:
        check_param(self, "k", self.k, _is_int(self.k) and self.k >= 1, "an int >= 1")
        check_param(self, "eps", self.eps, _is_num(self.eps) and 0 < self.eps < 1, "a float in (0, 1)")
        check_param(self, "algorithm", self.algorithm, self.algorithm in KNN_ALGORITHMS, f"one of {KNN_ALGORITHMS}")
        check_param(
            self, "exact_max_rows", self.exact_max_rows,
            _is_int(self.exact_max_rows) and self.exact_max_rows >= 1, "an int >= 1",
        )
        check_param(
            self, "chunk_size", self.chunk_size,
            self.chunk_size is None or (_is_int(self.chunk_size) and self.chunk_size >= 1), "None or an int >= 1",
        )
        allowed = ("auto", "kdtree", "hnsw", "brute")
        check_param(self, "neighbors", self.neighbors, self.neighbors in allowed, f"one of {allowed}")
        check_param(
            self, "kdtree_max_dims", self.kdtree_max_dims,
            _is_int(self.kdtree_max_dims) and self.kdtree_max_dims >= 1, "an int >= 1",
        )

    @property
    def k_star(self) -> int:
        """Number of neighbours the approximate path retrieves, ``max(K, ceil(1/eps))``."""
        return max(self.k, math.ceil(1 / self.eps - 1e-12))


@dataclass(frozen=True)
class FlagPolicy:
    """Thresholds that turn values into flags.

    Attributes
    ----------
    hard_fraction : float
        ``is_hard`` marks this fraction of the rows that are not flagged as
        mislabeled, taking the lowest-valued ones.
    mislabel_value_max : float
        A row can be flagged mislabeled only when its value is below this (0: the
        row lowers the KNN classifier's accuracy on the others).
    neighbor_majority : bool
        Also require that the majority of the row's K nearest neighbours carry
        another label.
    """

    hard_fraction: float = 0.10
    mislabel_value_max: float = 0.0
    neighbor_majority: bool = True

    def __post_init__(self) -> None:
        check_param(
            self, "hard_fraction", self.hard_fraction,
            _is_num(self.hard_fraction) and 0 <= self.hard_fraction <= 1, "a float in [0, 1]",
        )
        check_param(self, "mislabel_value_max", self.mislabel_value_max, _is_num(self.mislabel_value_max), "a finite float")
        check_param(self, "neighbor_majority", self.neighbor_majority, isinstance(self.neighbor_majority, bool), "a bool")


@dataclass(frozen=True)
class ScoreConfig:
    """Everything ``dvclean score`` needs besides the data.

    Attributes
    ----------
    methods : tuple of str
        Valuation methods to run (``dvclean methods`` lists them).
    seed : int
        Seed of every random step.
    """

    methods: tuple[str, ...] = ("knn",)
    seed: int = 0
    knn: KNNConfig = field(default_factory=KNNConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    flags: FlagPolicy = field(default_factory=FlagPolicy)

    def __post_init__(self) -> None:
        check_param(
            self, "methods", self.methods,
            isinstance(self.methods, tuple) and len(self.methods) > 0 and all(isinstance(m, str) for m in self.methods),
            "a non-empty tuple of method names",
        )
        check_param(self, "seed", self.seed, _is_int(self.seed) and 0 <= self.seed < 2**32, "an int in [0, 2**32)")

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as a JSON-able nested dict."""
        return _asdict(self)


def _asdict(obj: Any) -> Any:
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _asdict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, tuple):
        return [_asdict(v) for v in obj]
    return obj


def defaults_of(cls: type) -> Callable[[str], Any]:
    """Return a getter of the default of a dataclass field (used by the CLI)."""
    inst = cls()

    def get(name: str) -> Any:
        return getattr(inst, name)

    return get
