"""Settings of every dvclean step, as frozen dataclasses.

Defaults live here and only here: the CLI reads its option defaults from these
fields. Every field is checked in ``__post_init__`` through :func:`check_param`,
so a bad value fails when the configuration is built, not twenty minutes into a run.
"""

from __future__ import annotations

import decimal
import math
import numbers
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from .errors import ConfigError

__all__ = [
    "FeatureConfig",
    "FlagPolicy",
    "KNNConfig",
    "ScoreConfig",
    "TMCConfig",
    "DVGSConfig",
    "CrossFitConfig",
    "check_param",
    "ConfidenceConfig",
    "FixConfig",
    "MislabelConfig",
    "OOBConfig",
    "BanzhafConfig",
    "BetaConfig",
    "LOOConfig",
    "TASKS",
    "VALIDATION_METHODS",
]

#: Values of ``--task``: ``auto`` picks regression for a continuous label (see :func:`dvclean.table.resolve_task`).
TASKS = ("auto", "classification", "regression")
#: The methods :mod:`dvclean.valuation` registers itself (a config naming only these need not import it).
BUILTIN_METHODS = frozenset({"knn", "oob", "confidence", "tmc", "dvgs", "loo", "banzhaf", "beta"})


def _plain(v: Any) -> Any:
    """A numpy number, Fraction or Decimal as Python's int or float (a tuple of them element-wise, and a list, as
    ``methods=["knn", "oob"]`` is typed, as a tuple: a frozen config is hashable); anything else, and a number
    Python's float cannot hold (``Decimal('sNaN')``, a Fraction of 10**400), as it is."""
    if isinstance(v, (tuple, list)):
        return tuple(_plain(e) for e in v)
    if isinstance(v, bool) or type(v) in (int, float) or not isinstance(v, (numbers.Real, decimal.Decimal)):
        return v
    try:
        return int(v) if isinstance(v, numbers.Integral) else float(v)
    except (OverflowError, ValueError):
        return v


def plain_numbers(owner: object) -> None:
    """Turn the numbers of a frozen config dataclass ``owner`` into Python's int and float (:func:`_plain`), before
    its ``__post_init__`` checks them: the checks then see the value that is kept (``Decimal('1e-400')`` is 0.0 and
    refused where 0 is, not accepted as above 0 and stored as 0.0), and JSON and repr stay plain."""
    for f in fields(owner):  # type: ignore[arg-type]
        v = getattr(owner, f.name)
        plain = _plain(v)
        if plain is not v:
            object.__setattr__(owner, f.name, plain)


def check_param(owner: object, name: str, value: Any, ok: bool, allowed: str) -> None:
    """Raise :class:`ConfigError` in the one dvclean format when ``ok`` is false.

    The format follows scikit-learn: ``The 'k' parameter of KNNConfig must be an
    int >= 1; got 0.``
    """
    if not ok:
        cls = owner if isinstance(owner, str) else type(owner).__name__
        raise ConfigError(f"The {name!r} parameter of {cls} must be {allowed}; got {value!r}.")


def one_of(choices: Sequence[str]) -> str:
    """``one of 'a', 'b' or 'c'``: the allowed values for a :func:`check_param` message.

    >>> one_of(("drop", "mark", "relabel"))
    "one of 'drop', 'mark' or 'relabel'"
    """
    names = [repr(c) for c in choices]
    return "one of " + (", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else "".join(names))


def describe_type(value: Any) -> str:
    """What a caller passed, in words, for the message of a wrong argument.

    Examples
    --------
    >>> describe_type("scores.parquet"), describe_type({"k": 3}), describe_type(3), describe_type(FlagPolicy())
    ("the string 'scores.parquet'", 'a dict', 'an int', 'a dvclean.config.FlagPolicy')
    >>> import polars as pl
    >>> describe_type(pl.DataFrame({"a": [1]}))
    'a polars DataFrame'
    """
    if value is None:
        return "None"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, os.PathLike):
        return f"the path {os.fspath(value)!r}"
    if isinstance(value, type):
        return f"the class {value.__module__}.{value.__qualname__} (not an instance of it)"
    cls = type(value)
    package = cls.__module__.split(".")[0]
    if package in ("polars", "pandas") and cls.__name__ in ("DataFrame", "LazyFrame", "Series"):
        return f"a {package} {cls.__name__}"
    name = cls.__qualname__ if package == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name}"


def build_hint(cls: type, value: Any) -> str:
    """``KNNConfig(k=3)`` from ``{"k": 3}`` (how to build ``cls`` from a dict a caller passed), else ``KNNConfig(...)``.

    Examples
    --------
    >>> build_hint(KNNConfig, {"k": 3, "eps": 0.2}), build_hint(KNNConfig, [3])
    ('KNNConfig(k=3, eps=0.2)', 'KNNConfig(...)')
    """
    if isinstance(value, dict) and value and all(isinstance(k, str) and k.isidentifier() for k in value):
        return f"{cls.__name__}({', '.join(f'{k}={v!r}' for k, v in value.items())})"
    return f"{cls.__name__}(...)"


def unknown_method_error(method: str, registry: Any) -> ConfigError:
    """The error of a method name that is not registered (the one :func:`dvclean.score` raises)."""
    return ConfigError(f"unknown method {method!r}; available: {', '.join(registry)} (see `dvclean methods`)")


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)  # numpy's integers too


def _is_num(v: Any) -> bool:
    """A finite real number: Python's, numpy's (``np.float32(0.2)``, a pandas cell), a Fraction or a Decimal."""
    if isinstance(v, bool) or not isinstance(v, (numbers.Real, decimal.Decimal)):
        return False
    try:
        return math.isfinite(float(v))
    except (OverflowError, ValueError):
        return False


def _is_model(v: Any) -> bool:
    """A model a run can build: a short name of :data:`TMC_MODELS`, or a dotted ``module.Class`` path whose
    top-level package is installed (the class itself is imported and checked when the model is built)."""
    if not isinstance(v, str):
        return False
    if v in TMC_MODELS:
        return True
    if not re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", v):
        return False
    import importlib.util

    try:
        return importlib.util.find_spec(v.split(".")[0]) is not None
    except (ImportError, ValueError):
        return False



@dataclass(frozen=True)
class FeatureConfig:
    """How table columns become numeric features.

    Attributes
    ----------
    max_onehot : int
        A categorical column with at most this many distinct values is one-hot
        encoded; above it, frequency encoding is used.
    low_cardinality_int : int
        An integer column (or a float column of whole numbers: ``2.0``) with at most this many distinct
        values is treated as categorical.
    onehot_scale : float
        Value of a set one-hot bit. ``1/sqrt(2)`` makes a category mismatch add 1 to
        the squared distance, the same as one standard deviation of a numeric column.
    """

    max_onehot: int = 20
    low_cardinality_int: int = 10
    onehot_scale: float = 1 / math.sqrt(2)

    def __post_init__(self) -> None:
        plain_numbers(self)
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
        (and the rows tied with the K*-th) are ranked, the farther rows are valued
        as one tie group, and each value is within ``eps`` of exact.
    algorithm : {"auto", "exact", "approx"}
        ``auto`` is exact up to ``exact_max_rows`` rows and approximate above.
    exact_max_rows : int
        Largest number of rows valued exactly under ``algorithm="auto"``.
    chunk_size : int or None
        Validation rows per distance block; ``None`` picks one that keeps a block
        near 64 MiB. Memory is O(n * chunk_size), never n * n.
    neighbors : {"auto", "kdtree", "hnsw", "brute"}
        Neighbour search of the approximate path (and of the K nearest neighbours
        behind ``neighbor_label``): scikit-learn's KD-tree (exact neighbours, fast in
        low dimension), scikit-learn brute force (exact neighbours) or faiss HNSW
        (approximate neighbours, for many rows in high dimension). ``auto`` picks the
        KD-tree up to 6 encoded features at any size, and up to ``kdtree_max_dims`` when
        rows x queries <= 4e8 (leave-self-out: up to 20,000 rows); otherwise brute force
        when rows x queries <= 4e8, else HNSW. (A KD-tree's queries slow down sharply with
        the dimension: 10 Gaussian features of 100,000 rows took 5 minutes, HNSW 25 s.)
    kdtree_max_dims : int
        Dimension up to which ``neighbors="auto"`` uses the KD-tree on up to 4e8 rows x queries.
    """

    k: int = 5
    eps: float = 0.1
    algorithm: str = "auto"
    exact_max_rows: int = 20_000
    chunk_size: int | None = None
    neighbors: str = "auto"
    kdtree_max_dims: int = 12

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "k", self.k, _is_int(self.k) and self.k >= 1, "an int >= 1")
        check_param(self, "eps", self.eps, _is_num(self.eps) and 0 < self.eps < 1, "a float in (0, 1)")
        check_param(self, "algorithm", self.algorithm, self.algorithm in KNN_ALGORITHMS, one_of(KNN_ALGORITHMS))
        check_param(
            self, "exact_max_rows", self.exact_max_rows,
            _is_int(self.exact_max_rows) and self.exact_max_rows >= 1, "an int >= 1",
        )
        check_param(
            self, "chunk_size", self.chunk_size,
            self.chunk_size is None or (_is_int(self.chunk_size) and self.chunk_size >= 1), "None or an int >= 1",
        )
        allowed = ("auto", "kdtree", "hnsw", "brute")
        check_param(self, "neighbors", self.neighbors, self.neighbors in allowed, one_of(allowed))
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
        The ``knn`` mislabel rule's value threshold: under that rule a row can be
        flagged only when its KNN-Shapley value is below this (0: the row lowers the
        KNN classifier's accuracy on the others). The ``consensus`` default counts the
        rows this rule flags as one of its four estimates of the number of wrong labels
        and flags those rows too (when the pooled probabilities agree), but it also flags
        rows with a value at or above it: there the KNN value is half of
        ``mislabel_score``, one signal of several (:mod:`dvclean.flags`). The ``vote``
        rule uses it in its ``knn`` test (one vote of three); ``confident`` and
        ``confidence`` do not use it.
    neighbor_majority : bool
        The ``knn`` rule also requires that the majority of the row's K nearest
        neighbours carry another label (read with ``mislabel_value_max``).
    """

    hard_fraction: float = 0.10
    mislabel_value_max: float = 0.0
    neighbor_majority: bool = True

    def __post_init__(self) -> None:
        plain_numbers(self)
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
    task : {"auto", "classification", "regression"}
        What the label is. ``auto``: regression for a float label with non-integer
        values and more than 20 distinct values, or for whole numbers with more than 20
        distinct values of which some fills a single row; classification otherwise
        (:func:`dvclean.table.resolve_task`).
    """

    methods: tuple[str, ...] = ("knn",)
    seed: int = 0
    task: str = "auto"
    knn: KNNConfig = field(default_factory=KNNConfig)
    features: FeatureConfig = field(default_factory=FeatureConfig)
    flags: FlagPolicy = field(default_factory=FlagPolicy)
    mislabel: MislabelConfig = field(default_factory=lambda: MislabelConfig())
    oob: OOBConfig = field(default_factory=lambda: OOBConfig())
    confidence: ConfidenceConfig = field(default_factory=lambda: ConfidenceConfig())
    tmc: TMCConfig = field(default_factory=lambda: TMCConfig())
    dvgs: DVGSConfig = field(default_factory=lambda: DVGSConfig())
    crossfit: CrossFitConfig = field(default_factory=lambda: CrossFitConfig())
    banzhaf: BanzhafConfig = field(default_factory=lambda: BanzhafConfig())
    beta: BetaConfig = field(default_factory=lambda: BetaConfig())
    loo: LOOConfig = field(default_factory=lambda: LOOConfig())

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(
            self, "methods", self.methods,
            isinstance(self.methods, tuple) and len(self.methods) > 0 and all(isinstance(m, str) for m in self.methods),
            "a non-empty tuple of method names",
        )
        check_param(self, "methods", self.methods, len(set(self.methods)) == len(self.methods),
                    "a tuple naming each method once (the first is the primary)")
        if not set(self.methods) <= BUILTIN_METHODS:  # (the registry imports every valuer: only when needed)
            from .valuation import REGISTRY  # the registry imports this module: import it when a config is built

            for m in self.methods:
                if m not in REGISTRY:
                    raise unknown_method_error(m, REGISTRY)
        check_param(self, "seed", self.seed, _is_int(self.seed) and 0 <= self.seed < 2**32, "an int in [0, 2**32)")
        check_param(self, "task", self.task, self.task in TASKS, one_of(TASKS))
        _check_sections(self)

    def to_dict(self, *, used_only: bool = False) -> dict[str, Any]:
        """Return the settings as a JSON-able nested dict.

        ``used_only=True`` keeps the sections a run with these methods reads: :data:`ALWAYS_READ`
        and each method's ``config_sections`` (what a run records, so that a ``knn`` run does not
        list TMC's permutation budget).
        """
        out = _asdict(self)
        if not used_only:
            return out
        from .valuation import REGISTRY  # the registry imports this module

        keep = set(ALWAYS_READ).union(*(REGISTRY[m].config_sections for m in self.methods if m in REGISTRY))
        return {k: v for k, v in out.items() if k in keep}


#: Sections of :class:`ScoreConfig` every run reads whatever its methods: the flags use the K nearest
#: neighbours, the feature encoding and the mislabel rule's models.
ALWAYS_READ = ("methods", "seed", "task", "knn", "features", "flags", "mislabel")


def _check_sections(owner: object) -> None:
    """Refuse a section of a configuration (``knn``, ``tmc``, ...) that is not an instance of its settings class.

    The class is the field's annotation (a settings dataclass of this module), so a new section is checked too.
    A dict is the usual mistake: the message shows the call that builds the settings from it.
    """
    for f in fields(owner):  # type: ignore[arg-type]
        cls = globals().get(f.type) if isinstance(f.type, str) else f.type
        if not (isinstance(cls, type) and is_dataclass(cls)):
            continue
        value = getattr(owner, f.name)
        check_param(
            owner, f.name, value, isinstance(value, cls),
            f"a {cls.__name__} (from dvclean.config), e.g. {f.name}={build_hint(cls, value)}, not "
            f"{describe_type(value)}",
        )


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


# -- mislabel flags, Data-OOB, confidence, fix (issue 6) ------------------------------------------------

#: Flag rules of :mod:`dvclean.flags` (the first one is the default).
MISLABEL_RULES = ("consensus", "confident", "vote", "confidence", "knn")
FIX_ACTIONS = ("relabel", "drop", "mark")


@dataclass(frozen=True)
class MislabelConfig:
    """How ``is_mislabeled``, ``mislabel_score`` and ``suggested_label`` are decided (:mod:`dvclean.flags`).

    Attributes
    ----------
    rule : str
        One of :data:`MISLABEL_RULES`; see :mod:`dvclean.flags` for each rule and the
        benchmark that chose the default.
    expected_noise : float or None
        Optional: the expected fraction of wrong labels. When given, that fraction of
        the rows (``floor(fraction * n)``, at least one: :func:`dvclean.flags.expected_count`),
        the highest ``mislabel_score`` first, is flagged.
    model : str
        Classifier of the out-of-fold probabilities.
    linear_model : str or None
        Second classifier whose out-of-fold probabilities join the pooled probabilities
        (of the ``consensus`` and ``confident`` rules, and of every rule's suggested
        label); a linear model, to differ from the trees. ``None`` leaves it out.
    n_folds : int
        Folds of the out-of-fold probabilities.
    oob_trees : int
        Bagged trees of the Data-OOB signal inside the flag rule (the ``oob``
        method itself uses :class:`OOBConfig`).
    oob_max_samples : int or None
        Draws per bootstrap sample of that signal's trees at most (``None``: as many as
        there are rows, the paper's bootstrap). Above 20,000 rows a tree on every row
        costs more than it adds: on full Adult (48,842 rows) and Taiwan credit (30,000)
        with 10% flipped labels (two seeds each) the flags' F1 moved by at most 0.0011
        and their AUROC by 0.0002, while the flag step took 1.16-1.23x less time there
        and 2.5x less on 100,000 synthetic rows (``benchmarks/oob_cap.py``).
    min_odds : float
        ``consensus`` rule: a row is flagged only when the most probable other class
        is at least this many times as probable as the given label (pooled
        probabilities). 1 keeps every row whose given label is not the most probable
        class; the default 4/3 (a binary label's probability below 3/7) leaves out the
        near coin-flips, which on data whose own labels are ambiguous are mostly
        correct: chosen on the label-noise benchmark's 24 cells (``benchmarks/RESULTS_RULES.md``).
    outlier_z : float
        Regression: a row's target is flagged as outlying when the robust z-score of
        its out-of-fold residual (median / 1.4826 MAD) exceeds this (Iglewicz & Hoaglin's 3.5).
    model_max_rows : int
        Above this many valued rows the model-based evidence (cross-validated
        XGBoost and the bagged forest) would dominate the run time, so the ``knn``
        rule is used instead and the summary says so. A label of more than two
        classes counts each row once per class (XGBoost fits a tree per class per
        round): 20,000 rows of 500 classes count as 10 million. Pass a larger value to insist.
    """

    rule: str = "consensus"
    expected_noise: float | None = None
    model: str = "xgboost"
    linear_model: str | None = "logreg"
    n_folds: int = 5
    oob_trees: int = 200
    oob_max_samples: int | None = 20_000
    min_odds: float = 4 / 3
    outlier_z: float = 3.5
    model_max_rows: int = 200_000

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "rule", self.rule, self.rule in MISLABEL_RULES, one_of(MISLABEL_RULES))
        check_param(
            self, "model_max_rows", self.model_max_rows, _is_int(self.model_max_rows) and self.model_max_rows >= 1,
            "an int >= 1",
        )
        check_param(
            self, "expected_noise", self.expected_noise,
            self.expected_noise is None or (_is_num(self.expected_noise) and 0 < self.expected_noise < 1),
            "None or a float in (0, 1)",
        )
        check_param(self, "model", self.model, _is_model(self.model), _MODEL_NAMES)
        check_param(self, "linear_model", self.linear_model, self.linear_model is None or _is_model(self.linear_model),
                    f"None or {_MODEL_NAMES}")
        check_param(self, "n_folds", self.n_folds, _is_int(self.n_folds) and self.n_folds >= 2, "an int >= 2")
        check_param(self, "oob_trees", self.oob_trees, _is_int(self.oob_trees) and self.oob_trees >= 10, "an int >= 10")
        check_param(self, "oob_max_samples", self.oob_max_samples,
                    self.oob_max_samples is None or (_is_int(self.oob_max_samples) and self.oob_max_samples >= 100),
                    "None or an int >= 100")
        check_param(self, "min_odds", self.min_odds, _is_num(self.min_odds) and self.min_odds >= 1, "a float >= 1")
        check_param(self, "outlier_z", self.outlier_z, _is_num(self.outlier_z) and self.outlier_z > 0, "a float > 0")


@dataclass(frozen=True)
class OOBConfig:
    """Settings of Data-OOB (Kwon & Zou 2023).

    Attributes
    ----------
    n_estimators : int
        Bagged decision trees (the paper's demo uses 800).
    max_features : str or float
        Features considered per split, as in scikit-learn (``sqrt``: a random forest).
    n_jobs : int or None
        Threads fitting trees (results do not depend on it); ``None`` (the default)
        uses ``CrossFitConfig.n_jobs`` (``--n-jobs``: every core unless told otherwise).
    """

    n_estimators: int = 800
    max_features: str | float = "sqrt"
    n_jobs: int | None = None

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(
            self, "n_estimators", self.n_estimators, _is_int(self.n_estimators) and self.n_estimators >= 10, "an int >= 10"
        )
        check_param(
            self, "max_features", self.max_features,
            self.max_features in ("sqrt", "log2") or (_is_num(self.max_features) and 0 < self.max_features <= 1),
            "'sqrt', 'log2' or a float in (0, 1]",
        )
        if isinstance(self.max_features, int):  # a share: 1 is every feature (scikit-learn would read one feature)
            object.__setattr__(self, "max_features", float(self.max_features))
        check_param(self, "n_jobs", self.n_jobs, self.n_jobs is None or (_is_int(self.n_jobs) and self.n_jobs >= 1),
                    "None or an int >= 1")


@dataclass(frozen=True)
class ConfidenceConfig:
    """Settings of the ``confidence`` method (out-of-fold probability of the given label).

    Its folds are fitted on ``CrossFitConfig.n_jobs`` threads (``--n-jobs``); the
    probabilities do not depend on the number.
    """

    model: str = "xgboost"
    n_folds: int = 5

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "model", self.model, _is_model(self.model), _MODEL_NAMES)
        check_param(self, "n_folds", self.n_folds, _is_int(self.n_folds) and self.n_folds >= 2, "an int >= 2")


@dataclass(frozen=True)
class FixConfig:
    """Settings of ``dvclean fix``.

    Attributes
    ----------
    action : {"relabel", "drop", "mark"}
        Relabel flagged rows to their suggested label, drop them, or add a
        ``dvclean_issue`` column.
    min_confidence : float
        ``relabel`` changes a flagged row only when the pooled probability of the
        suggested label (``suggested_label_prob``) is at least this; other flagged rows
        are left as they are (and reported). 0.7 left the most correct labels
        (restored minus broken) on the label-noise benchmark's 45 runs
        (``benchmarks/relabel_threshold.py``, ``benchmarks/RESULTS_RELABEL.md``); 0.5
        changed more correct labels than it restored on the noisiest real data.
    force : bool
        ``relabel`` and ``drop`` are refused when the features do not predict the labels
        (the scores' predictability test, :func:`dvclean.pipeline.labels_unpredicted`): the
        flags are then noise, and on imbalanced classes they fall on the minority class, which
        the action would erase; and so are they when a rare class is mostly flagged (the summary's
        ``flags.rare_classes``, :func:`dvclean.pipeline.rare_classes`): its rows look wrong whether
        or not they are; and so are they when they would leave a class without a row or change more than
        half of the labelled rows (:data:`dvclean.fix.ERASE_SHARE`). ``True`` applies the action anyway.
    """

    action: str = "mark"
    min_confidence: float = 0.7
    force: bool = False

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "action", self.action, self.action in FIX_ACTIONS, one_of(FIX_ACTIONS))
        check_param(
            self, "min_confidence", self.min_confidence,
            _is_num(self.min_confidence) and 0 <= self.min_confidence <= 1, "a float in [0, 1]",
        )
        check_param(self, "force", self.force, isinstance(self.force, bool), "True or False")


# -- model-based valuation: TMC Data Shapley, DVGS, cross-fitting and parallelism (issue 3) ------------------------

TMC_MODELS = ("logreg", "knn", "xgboost", "hgb", "linear")
#: What a model setting may name (:func:`_is_model`), for messages.
_MODEL_NAMES = "one of " + ", ".join(map(repr, TMC_MODELS)) + " or a dotted class path of an installed package"
#: Classification metrics, then the regression ones (``r2``, ``neg_mse``; see :mod:`dvclean.valuation._models`).
TMC_METRICS = ("accuracy", "auc", "f1", "logloss", "r2", "neg_mse")


@dataclass(frozen=True)
class TMCConfig:
    """Settings of TMC Data Shapley (Ghorbani & Zou 2019).

    Attributes
    ----------
    model : str
        ``logreg``, ``knn``, ``xgboost``, ``hgb`` or a dotted path to a
        scikit-learn classifier class (``sklearn.svm.SVC``). Regression targets
        use the matching regressor: ``linear`` (or ``logreg``) is ridge regression,
        ``knn``, ``xgboost`` and ``hgb`` their regressors, a dotted path a regressor class.
    metric : {"accuracy", "auc", "f1", "logloss", "r2", "neg_mse"}
        Validation score of the utility (higher is better; log-loss and the mean
        squared error are negated). Regression: ``r2`` (``accuracy``, the default,
        means ``r2``) or ``neg_mse``.
    max_permutations : int
        Most permutations per cross-fitting fold.
    tolerance : float
        Truncation: a permutation stops once the prefix score is within
        ``tolerance * |full-data score|`` of the full-data score for
        ``truncation_steps`` steps in a row (the paper's 0.01 and 6); 0 turns
        truncation off.
    truncation_steps : int
        Consecutive within-tolerance steps that truncate a permutation.
    convergence : float
        Stop a fold when the relative L1 change of its running values over the
        last ``convergence_window`` permutations is below this; 0 turns the
        convergence stop off.
    convergence_window : int
        Permutations the convergence check looks back (the paper's 100).
    time_budget : float or None
        Wall-clock seconds for all cross-fitting folds together, read by ``tmc``,
        ``beta`` and ``banzhaf`` (each of them gets the whole budget, counted from its
        start, the parallel workers' start-up included); ``None`` is no limit. When it runs out each fold
        stops after the work in flight and keeps what it finished: at least one
        permutation under ``tmc``, at least 2 samples under ``beta`` and ``banzhaf``
        (so their standard errors exist). ``status`` is then ``budget_exhausted``;
        only this stop depends on the clock.
    batch_size : int
        Permutations per parallel task (amortises the task overhead).
    warm_start : bool
        Warm-start logistic-regression refits along each permutation from the
        previous prefix's coefficients (same estimate to solver tolerance, ~1.6x
        cheaper; see :mod:`dvclean.valuation.tmc`).
    """

    model: str = "logreg"
    metric: str = "accuracy"
    max_permutations: int = 500
    tolerance: float = 0.01
    truncation_steps: int = 6
    convergence: float = 0.05
    convergence_window: int = 100
    time_budget: float | None = None
    batch_size: int = 4
    warm_start: bool = True

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(
            self, "model", self.model,
            _is_model(self.model), _MODEL_NAMES,
        )
        check_param(self, "metric", self.metric, self.metric in TMC_METRICS, one_of(TMC_METRICS))
        check_param(
            self, "max_permutations", self.max_permutations,
            _is_int(self.max_permutations) and self.max_permutations >= 2, "an int >= 2",
        )
        check_param(self, "tolerance", self.tolerance, _is_num(self.tolerance) and self.tolerance >= 0, "a float >= 0")
        check_param(
            self, "truncation_steps", self.truncation_steps,
            _is_int(self.truncation_steps) and self.truncation_steps >= 1, "an int >= 1",
        )
        check_param(
            self, "convergence", self.convergence, _is_num(self.convergence) and self.convergence >= 0, "a float >= 0"
        )
        check_param(
            self, "convergence_window", self.convergence_window,
            _is_int(self.convergence_window) and self.convergence_window >= 2, "an int >= 2",
        )
        check_param(
            self, "time_budget", self.time_budget,
            self.time_budget is None or (_is_num(self.time_budget) and self.time_budget > 0), "None or a float > 0",
        )
        check_param(self, "batch_size", self.batch_size, _is_int(self.batch_size) and self.batch_size >= 1, "an int >= 1")
        check_param(self, "warm_start", self.warm_start, isinstance(self.warm_start, bool), "a bool")


@dataclass(frozen=True)
class DVGSConfig:
    """Settings of DVGS, data valuation by gradient similarity (Evans et al. 2024).

    Defaults are the paper's label-corruption configuration: Adam, learning rate
    1e-3, 100 epochs, 3 restarts, validation batches of 500, class-balanced
    validation loss.

    Attributes
    ----------
    epochs : int
        Passes over the validation rows per restart.
    learning_rate : float
        Adam step size.
    restarts : int
        Independent re-initialisations of the network; values average over all.
    hidden : int
        Hidden units of the one-hidden-layer MLP.
    batch_size : int
        Validation rows per optimiser step.
    weight_decay : float
        L2 penalty added to the validation loss.
    balance_classes : bool
        Weight the validation loss by inverse class frequency.
    """

    epochs: int = 100
    learning_rate: float = 1e-3
    restarts: int = 3
    hidden: int = 100
    batch_size: int = 500
    weight_decay: float = 0.0
    balance_classes: bool = True

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "epochs", self.epochs, _is_int(self.epochs) and self.epochs >= 1, "an int >= 1")
        check_param(
            self, "learning_rate", self.learning_rate,
            _is_num(self.learning_rate) and self.learning_rate > 0, "a float > 0",
        )
        check_param(self, "restarts", self.restarts, _is_int(self.restarts) and self.restarts >= 1, "an int >= 1")
        check_param(self, "hidden", self.hidden, _is_int(self.hidden) and self.hidden >= 1, "an int >= 1")
        check_param(self, "batch_size", self.batch_size, _is_int(self.batch_size) and self.batch_size >= 1, "an int >= 1")
        check_param(
            self, "weight_decay", self.weight_decay, _is_num(self.weight_decay) and self.weight_decay >= 0, "a float >= 0"
        )
        check_param(self, "balance_classes", self.balance_classes, isinstance(self.balance_classes, bool), "a bool")


@dataclass(frozen=True)
class CrossFitConfig:
    """Cross-fitting and parallel execution of the model-based methods (``tmc``, ``dvgs``).

    Attributes
    ----------
    n_folds : int
        Stratified folds when there is no ``--valid`` file: each fold is the
        validation set once, the other folds are the players.
    n_jobs : int
        joblib workers; -1 is every core, 1 runs in-process. Any value but -1 also
        caps the native (BLAS, OpenMP, numba) threads of the whole ``score`` run
        (:func:`dvclean.valuation._parallel.native_threads`).
    scheduler : str or None
        Address of a Dask scheduler (``tcp://host:8786``), or ``local`` for an
        in-process Dask cluster; needs the ``distributed`` extra.
    """

    n_folds: int = 5
    n_jobs: int = -1
    scheduler: str | None = None

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "n_folds", self.n_folds, _is_int(self.n_folds) and self.n_folds >= 2, "an int >= 2")
        check_param(
            self, "n_jobs", self.n_jobs, _is_int(self.n_jobs) and (self.n_jobs >= 1 or self.n_jobs == -1),
            "an int >= 1, or -1 for every core",
        )
        check_param(
            self, "scheduler", self.scheduler,
            self.scheduler is None or (isinstance(self.scheduler, str) and (
                self.scheduler == "local" or re.match(r"[A-Za-z][\w+.-]*://\S", self.scheduler) is not None
                or re.fullmatch(r"[\w.\-]+:\d+|\[[0-9A-Fa-f:]+\]:\d+", self.scheduler) is not None)),
            "None or a scheduler address such as tcp://host:8786 or 'local'",
        )


# -- Data Banzhaf, Beta Shapley, leave-one-out (issue 6) -------------------------------------------------
# These valuers read --model/--metric from TMCConfig (banzhaf and beta also --time-budget) and
# --folds/--n-jobs/--scheduler from CrossFitConfig.


@dataclass(frozen=True)
class BanzhafConfig:
    """Settings of Data Banzhaf with maximum sample reuse (Wang & Jia 2023).

    Attributes
    ----------
    samples : int
        Sampled subsets per cross-fitting fold (each player in each with probability 1/2);
        one model fit each. opendataval's default is 1000. ``TMCConfig.time_budget`` can
        stop a fold earlier (after at least 2).
    batch_size : int
        Subsets per parallel task.
    """

    samples: int = 1000
    batch_size: int = 25

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "samples", self.samples, _is_int(self.samples) and self.samples >= 2, "an int >= 2")
        check_param(self, "batch_size", self.batch_size, _is_int(self.batch_size) and self.batch_size >= 1, "an int >= 1")


@dataclass(frozen=True)
class BetaConfig:
    """Settings of Beta Shapley (Kwon & Zou 2022).

    Attributes
    ----------
    alpha, beta : float
        Parameters of the Beta(alpha, beta) weight over cardinality; the paper recommends
        (16, 1) and (4, 1); (1, 1) is the Shapley value.
    samples : int
        Sampled permutations per cross-fitting fold; ``TMCConfig.time_budget`` can stop a
        fold earlier (after at least 2).
    tail : float
        Each permutation stops at the first position after which the remaining weight mass
        is at most ``tail``: the bias this adds is at most ``tail`` times the range of the
        utility. 0 evaluates every position.
    batch_size : int
        Permutations per parallel task.
    """

    alpha: float = 16.0
    beta: float = 1.0
    samples: int = 200
    tail: float = 1e-6
    batch_size: int = 4

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "alpha", self.alpha, _is_num(self.alpha) and self.alpha > 0, "a float > 0")
        check_param(self, "beta", self.beta, _is_num(self.beta) and self.beta > 0, "a float > 0")
        check_param(self, "samples", self.samples, _is_int(self.samples) and self.samples >= 2, "an int >= 2")
        check_param(self, "tail", self.tail, _is_num(self.tail) and 0 <= self.tail < 1, "a float in [0, 1)")
        check_param(self, "batch_size", self.batch_size, _is_int(self.batch_size) and self.batch_size >= 1, "an int >= 1")


@dataclass(frozen=True)
class LOOConfig:
    """Settings of leave-one-out valuation (exact: N + 1 model fits per fold).

    Attributes
    ----------
    batch_size : int
        Left-out rows per parallel task.
    """

    batch_size: int = 16

    def __post_init__(self) -> None:
        plain_numbers(self)
        check_param(self, "batch_size", self.batch_size, _is_int(self.batch_size) and self.batch_size >= 1, "an int >= 1")


#: The methods that value against a separate validation set when one is given (``valid=``, ``--valid``);
#: ``oob`` and ``confidence`` judge each row out of bag / out of fold and use none.
VALIDATION_METHODS = ("knn", "tmc", "dvgs", "loo", "banzhaf", "beta")
