"""Settings of ``dvclean augment`` (defaults live here; the CLI reads them)."""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass, fields
from typing import Any

from ..config import _is_num, check_param, one_of, plain_numbers
from ..errors import ConfigError

__all__ = ["AugmentConfig", "GENERATORS", "NEURAL", "QUALITY_MAX_COLUMNS", "parse_n_synthetic", "parse_target", "quote_class", "Target"]

GENERATORS = ("tvae", "ctgan", "copulagan", "gaussian-copula")


def generator_name(name: object) -> object:
    """A generator's name as :data:`GENERATORS` spells it, from another spelling of it (case, ``_`` for ``-``, SDV's
    class names); anything else as it is (the check that follows names the choices).

    >>> generator_name("gaussian_copula"), generator_name("CTGAN"), generator_name("GaussianCopulaSynthesizer")
    ('gaussian-copula', 'ctgan', 'gaussian-copula')
    """
    if not isinstance(name, str):
        return name
    key = name.strip().lower().replace("_", "").replace("-", "").replace(" ", "").removesuffix("synthesizer")
    return {g.replace("-", ""): g for g in GENERATORS}.get(key, name)
#: Generators trained by gradient descent: the only ones that take epochs and a batch size.
NEURAL = ("tvae", "ctgan", "copulagan")
_BASES = ("hard", "all", "mislabeled-removed")


#: ``AugmentConfig(quality=None)`` scores the synthetic rows' quality up to this many modelled columns.
QUALITY_MAX_COLUMNS = 100


@dataclass(frozen=True)
class Target:
    """Parsed ``--target``: a base row set, optionally restricted to some classes."""

    base: str
    classes: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = [] if (self.base == "all" and self.classes) else [self.base]
        return ",".join(parts + [f"class:{quote_class(c)}" for c in self.classes])


_QUOTES = ("\"", "'")


def quote_class(value: str) -> str:
    """A ``class:`` value as :func:`parse_target` reads it back: quoted when it has leading or
    trailing spaces, a comma or surrounding quotes, else as it is.

    >>> quote_class("yes"), quote_class(" yes "), quote_class("a,b")
    ('yes', '" yes "', '"a,b"')
    """
    needs = (
        value != value.strip() or "," in value or not value
        or (len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES)
    )
    if not needs:
        return value
    q = "'" if '"' in value and "'" not in value else '"'
    return f"{q}{value}{q}"


def _split_parts(spec: str) -> list[str]:
    """Split ``spec`` at the commas that are outside quotes (``class:"a,b"`` is one part). A quote opens only at the
    start of a part or of its class value: ``class:don't know`` names the class ``don't know``."""
    parts: list[str] = []
    buf: list[str] = []
    quote: str | None = None
    for ch in spec:
        if quote is not None:
            buf.append(ch)
            if ch == quote:
                quote = None
        elif ch in _QUOTES and "".join(buf).strip().lower() in ("", "class:"):  # (opening a value: don't is no quote)
            buf.append(ch)
            quote = ch
        elif ch == ",":
            parts.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    if quote is not None:
        raise ConfigError(f"--target {spec!r}: a {quote} quote is not closed")
    parts.append("".join(buf))
    return parts


def _class_value(raw: str) -> str:
    """The class named by the text after ``class:``: a quoted value keeps its spaces and commas."""
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in _QUOTES:
        return value[1:-1]
    return value


def parse_target(spec: str) -> Target:
    """Parse ``hard``, ``all``, ``mislabeled-removed``, ``class:VALUE`` or a comma-separated combination.

    A ``class:`` part restricts the base set (``all`` when no base is given) to rows of
    that class; several ``class:`` parts are a union of classes. Spaces around a part are
    ignored; quote a class name to keep its own leading or trailing spaces or a comma
    (``class:" yes "``, ``class:'a,b'``).

    Examples
    --------
    >>> parse_target("hard,class:1")
    Target(base='hard', classes=('1',))
    >>> parse_target("class:yes")
    Target(base='all', classes=('yes',))
    >>> parse_target('hard, class:" yes "')
    Target(base='hard', classes=(' yes ',))
    """
    if not isinstance(spec, str) or not spec.strip():
        raise ConfigError("--target is empty; use hard, all, mislabeled-removed, class:VALUE or e.g. hard,class:VALUE")
    bases: list[str] = []
    classes: list[str] = []
    previous = ""
    for part in (p.strip() for p in _split_parts(spec)):
        if not part:
            continue
        after_class, previous = previous.lower().startswith("class:"), part
        if part.lower().startswith("class:"):
            raw = part[len("class:"):]
            value = _class_value(raw)
            if not raw.strip():
                raise ConfigError(f"--target {spec!r}: 'class:' needs a value, e.g. class:1")
            classes.append(value)
        elif part.lower() in _BASES:
            bases.append(part.lower())
        else:
            comma = ("" if not after_class else
                     f" (a class whose name holds a comma is quoted: class:{quote_class(_class_value(spec.split(':', 1)[1]))})"
                     if spec.lower().startswith("class:") and spec.count(":") == 1 else
                     " (a class whose name holds a comma is quoted: class:\"a,b\")")
            raise ConfigError(
                f"--target {spec!r}: unknown part {part!r}; use hard, all, mislabeled-removed, class:VALUE "
                f"or a comma-separated combination such as hard,class:VALUE{comma}"
            )
    if len(set(bases)) > 1:
        raise ConfigError(f"--target {spec!r} names several row sets ({', '.join(bases)}); pick one (class: parts may be added)")
    return Target(base=bases[0] if bases else "all", classes=tuple(dict.fromkeys(classes)))


def parse_n_synthetic(spec: str | int | float, n_rows: int | None, *, rows: str = "labelled rows") -> int:
    """Number of synthetic rows from a count (``500``) or a percent of ``n_rows`` (``10%``).

    ``n_rows=None`` checks the spelling only (a percent then returns 0). ``rows`` names
    what ``n_rows`` counts, for the error message.

    Examples
    --------
    >>> parse_n_synthetic("10%", 2000), parse_n_synthetic("37", 2000), parse_n_synthetic(5, 10)
    (200, 37, 5)
    """
    text = str(spec).strip()
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)\s*%", text)
    if m:
        pct = float(m.group(1))
        if pct <= 0:
            raise ConfigError(f"--n-synthetic {text} asks for no synthetic rows; give a percent above 0 (e.g. 10%) or a count >= 1")
        if n_rows is None:
            return 0
        n = int(math.floor(pct / 100 * n_rows + 0.5))
        if n < 1:
            raise ConfigError(f"--n-synthetic {text} of {n_rows} {rows} is 0 rows; ask for at least 1 row")
        return n
    if re.fullmatch(r"\d+", text):
        n = int(text)
        if n < 1:
            raise ConfigError("--n-synthetic 0 asks for no synthetic rows; give a count >= 1 or a percent such as 10%")
        return n
    raise ConfigError(f"--n-synthetic {text!r} is neither a row count (e.g. 500) nor a percent (e.g. 10%)")


def _is_int(v: Any) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)  # numpy's integers too


@dataclass(frozen=True)
class AugmentConfig:
    """Everything ``dvclean augment`` needs besides the data.

    Attributes
    ----------
    target : str
        Rows the generator learns from: ``hard`` (the lowest-valued ``hard_fraction``
        of the rows not flagged mislabeled), ``all``, ``mislabeled-removed``,
        ``class:VALUE`` or a combination such as ``hard,class:VALUE``.
    generator : str
        ``tvae`` (the paper's best), ``ctgan``, ``copulagan`` or ``gaussian-copula`` (fast).
    n_synthetic : str or int
        Synthetic rows: a count or a percent of the labelled rows (default 10%, the paper's).
    epochs, batch_size : int or None
        Neural generators only (set with ``gaussian-copula`` they are refused, as on the
        command line); ``None`` picks them from the training-set size.
    hard_fraction : float
        Fraction of rows in the hard set.
    include_mislabeled : bool
        Let rows flagged mislabeled train the generator (and count them in the hard set,
        which then is the paper's: the lowest-valued fraction of all rows).
    drop_mislabeled : bool
        Also remove rows flagged mislabeled from the output.
    provenance : bool
        Add the boolean column ``dvclean_synthetic``.
    seed : int
        Seeds valuation, splits, python/numpy/torch before every fit, sampling and XGBoost.
    k : int
        K of the KNN-Shapley valuation that finds the hard rows.
    min_rows : int
        Smallest generator training set accepted.
    evaluate : bool
        Run the three-arm holdout comparison.
    repeats : int
        Seeds (XGBoost fits and synthetic draws) per arm of the evaluation.
    splits : int
        Independent train / valuation / holdout splits of the evaluation (split seeds
        ``seed``, ``seed + 1``, ...). With one, the intervals cover the model seeds,
        synthetic draws and the holdout rows' sampling error (a paired bootstrap) on that
        split; with two or more they are over the splits (Nadeau & Bengio's corrected
        resampled t), so they also cover which rows were trained on.
    split : tuple of float
        Train / valuation / holdout fractions of the evaluation (the paper's 80/10/10).
    xgb_max_rounds, xgb_early_stopping, xgb_threads : int
        Boosting rounds, early-stopping patience and threads of the evaluation model.
    quality : bool or None
        Compute the SDMetrics quality score of the synthetic rows. ``None`` (the default): when
        the generator models at most :data:`QUALITY_MAX_COLUMNS` columns (SDMetrics compares
        every pair of columns: minutes for a thousand), else skipped with a note.
    withhold : tuple of str
        Columns never given to a generator (personal identifiers, free text): synthetic
        rows get null there. Repeated names count once.
    """

    target: str = "hard"
    generator: str = "tvae"
    n_synthetic: str | int = "10%"
    epochs: int | None = None
    batch_size: int | None = None
    hard_fraction: float = 0.10
    include_mislabeled: bool = False
    drop_mislabeled: bool = False
    provenance: bool = True
    seed: int = 0
    k: int = 5
    min_rows: int = 10
    evaluate: bool = False
    repeats: int = 5
    splits: int = 1
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)
    xgb_max_rounds: int = 2000
    xgb_early_stopping: int = 100
    xgb_threads: int = 1
    quality: bool | None = None
    withhold: tuple[str, ...] = ()

    def scores_quality(self, columns: int) -> bool:
        """Whether to compute the quality score of synthetic rows of ``columns`` modelled columns (``quality``)."""
        return self.quality if self.quality is not None else columns <= QUALITY_MAX_COLUMNS

    def __post_init__(self) -> None:
        plain_numbers(self)
        target = parse_target(self.target)
        if self.include_mislabeled and target.base == "mislabeled-removed":
            raise ConfigError(
                "--include-mislabeled contradicts --target mislabeled-removed (the rows not flagged mislabeled): "
                "drop one of them (--target all --include-mislabeled trains on every labelled row)"
            )
        spelled = generator_name(self.generator)
        if spelled != self.generator and spelled in GENERATORS:  # gaussian_copula, CTGAN: the name meant
            object.__setattr__(self, "generator", spelled)
        check_param(self, "generator", self.generator, self.generator in GENERATORS, one_of(GENERATORS))
        parse_n_synthetic(self.n_synthetic, None)  # the spelling; the row count is known later
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            check_param(self, name, v, v is None or (_is_int(v) and v >= 1), "None or an int >= 1")
        if self.generator not in NEURAL:  # the CLI's message: a setting that would do nothing is refused
            for name, option in (("epochs", "--epochs"), ("batch_size", "--batch-size")):
                if getattr(self, name) is not None:
                    raise ConfigError(
                        f"{option} applies to the neural generators ({', '.join(NEURAL)}) only; "
                        f"--generator {self.generator} has no training loop: drop {option}"
                    )
        h = self.hard_fraction
        check_param(self, "hard_fraction", h, _is_num(h) and 0 < h <= 1, "a float in (0, 1]")
        for name in ("include_mislabeled", "drop_mislabeled", "provenance", "evaluate"):
            v = getattr(self, name)
            check_param(self, name, v, isinstance(v, bool), "a bool")
        check_param(self, "quality", self.quality, self.quality is None or isinstance(self.quality, bool), "None or a bool")
        check_param(self, "seed", self.seed, _is_int(self.seed) and 0 <= self.seed < 2**32, "an int in [0, 2**32)")
        check_param(self, "k", self.k, _is_int(self.k) and self.k >= 1, "an int >= 1")
        check_param(self, "min_rows", self.min_rows, _is_int(self.min_rows) and self.min_rows >= 2, "an int >= 2")
        check_param(self, "repeats", self.repeats, _is_int(self.repeats) and self.repeats >= 2, "an int >= 2 (a CI needs two)")
        check_param(self, "splits", self.splits, _is_int(self.splits) and self.splits >= 1, "an int >= 1")
        s = self.split
        ok = (
            isinstance(s, tuple) and len(s) == 3 and all(_is_num(v) and v > 0 for v in s)
            and abs(sum(s) - 1) < 1e-9
        )
        check_param(self, "split", s, ok, "three positive fractions summing to 1 (train, valuation, holdout)")
        for name in ("xgb_max_rounds", "xgb_early_stopping", "xgb_threads"):
            v = getattr(self, name)
            check_param(self, name, v, _is_int(v) and v >= 1, "an int >= 1")
        w = self.withhold
        ok = isinstance(w, (tuple, list)) and all(isinstance(c, str) and c for c in w)
        check_param(self, "withhold", w, ok, "a tuple of column names")
        object.__setattr__(self, "withhold", tuple(dict.fromkeys(w)))  # a column withheld twice counts once

    def to_dict(self) -> dict[str, Any]:
        """The settings as a JSON-able dict."""
        return {f.name: (list(v) if isinstance(v := getattr(self, f.name), tuple) else v) for f in fields(self)}
