"""The one module that imports SDV (and through it torch and pandas).

Everything SDV-specific lives here: polars <-> pandas conversion (time-zone-aware
datetimes modelled as UTC instants), forcing every column's sdtype (no PII / Faker replacement, no primary key), nanosecond datetimes,
generator construction with small-set epochs and batch sizes, explicit point masses
of numerical columns (:func:`find_point_mass`), seeding before every fit, sampling
with a seed, casting the sampled rows back to the input's polars schema, and the
SDMetrics quality score. See ecosystem.md §1.9 for the pitfalls.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import math
import os
import random
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from ..errors import AugmentError
from ..table import distinct_values, whole_floats
from .config import GENERATORS, NEURAL

log = logging.getLogger(__name__)

TABLE = "rows"
#: CTGAN and CopulaGAN need ``batch_size % pac == 0``.
PAC = 10
#: Largest automatic batch size (SDV's default).
MAX_AUTO_BATCH = 500
#: The automatic epoch count gives at least this many gradient steps (a small hard
#: set is trained full-batch, one step per epoch, for this many epochs).
MIN_AUTO_STEPS = 1000
#: ... and at least this many passes over the data.
MIN_AUTO_EPOCHS = 10
#: Integer columns with at most this many distinct values are modelled as categorical.
LOW_CARDINALITY_INT = 10
#: A numerical column's most frequent value is a point mass when it holds at least this share
#: of the column's non-null values (see :func:`find_point_mass` for the measurements) ...
POINT_MASS_SHARE = 0.10
#: ... and at least this many rows (in a 30-row set three equal values are 10%).
POINT_MASS_MIN_ROWS = 5
#: States of a point mass's indicator column: at the mass, another value.
MASS, VALUE = "mass", "value"

INSTALL_HINT = (
    "`dvclean augment` needs SDV: run pip install \".[augment]\" in the dvclean checkout "
    "(on a CPU-only machine first: pip install torch --index-url https://download.pytorch.org/whl/cpu)"
)


def require_sdv() -> None:
    """Raise :class:`AugmentError` with the install command when SDV cannot be imported."""
    try:
        import sdv  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: an installed torch whose native libraries do not load
        raise AugmentError(f"{INSTALL_HINT} ({exc})") from exc


@dataclass(frozen=True)
class FitSettings:
    """What a generator was actually trained with (for the report)."""

    generator: str
    rows: int
    epochs: int | None
    batch_size: int | None
    sdtypes: dict[str, str]
    #: numerical columns modelled with an explicit point mass -> the mass value (an int for
    #: integer columns, ISO text for a date beyond pandas' range, a float otherwise); empty when
    #: none was found or the treatment was off.
    point_masses: dict[str, float | int | str] = field(default_factory=dict)


@dataclass(frozen=True)
class PointMass:
    """One numerical column's point mass and the hidden indicator column that models it."""

    column: str
    value: float | int
    indicator: str
    #: the column's other non-null training values (the fallback donors of :func:`merge_point_masses`)
    others: np.ndarray = field(repr=False, compare=False, default_factory=lambda: np.empty(0))


def auto_batch_size(generator: str, n_rows: int) -> int:
    """Batch size for ``n_rows`` training rows: at most 500 and at most the row count.

    CTGAN and CopulaGAN round it down to a multiple of their ``pac`` (10).
    """
    b = min(MAX_AUTO_BATCH, n_rows)
    if generator in ("ctgan", "copulagan"):
        b = max(PAC, b // PAC * PAC)
    return max(1, b)


def auto_epochs(n_rows: int, batch_size: int, generator: str = "tvae") -> int:
    """Epochs giving at least ``MIN_AUTO_STEPS`` gradient steps and ``MIN_AUTO_EPOCHS`` passes.

    A hard set of 250 rows is trained full-batch for 1000 epochs, 2,400 rows with
    batches of 500 for 200 epochs, 24,000 rows for 21 epochs (1,008 steps), so the
    targeted and the non-targeted generator get a similar number of updates. 1000
    steps, not 300: on the Taiwan credit data the SDMetrics quality of TVAE's
    synthetic rows rose from 0.725 to 0.873 (hard set) and 0.716 to 0.780 (all rows)
    (``benchmarks/RESULTS_AUGMENT.md``); SDV's own default (300 epochs) is more
    steps still for any set above 500 rows.
    Steps per epoch as each generator's training loop takes them: TVAE's data loader keeps the last
    short batch (``ceil(rows / batch)``); CTGAN's loop, which CopulaGAN shares, runs ``rows // batch``
    (at least one), so 74 rows in batches of 70 are one step per epoch, not two.
    """
    if generator in ("ctgan", "copulagan"):
        steps = max(1, n_rows // batch_size)
    else:
        steps = max(1, math.ceil(n_rows / batch_size))
    return max(MIN_AUTO_EPOCHS, math.ceil(MIN_AUTO_STEPS / steps))


def check_batch_size(generator: str, batch_size: int, n_rows: int) -> None:
    if generator in ("ctgan", "copulagan") and batch_size % PAC:
        raise AugmentError(
            f"--batch-size {batch_size} is not a multiple of {PAC}, which {generator} requires (its pac); "
            f"use e.g. {max(PAC, batch_size // PAC * PAC)}"
        )
    if batch_size > n_rows and generator in ("ctgan", "copulagan"):
        raise AugmentError(
            f"--batch-size {batch_size} is larger than the {n_rows} training rows; "
            + (f"use at most {n_rows // PAC * PAC} or omit it" if n_rows >= PAC else "omit it")
        )


#: torch's own random state and thread count before dvclean first changed them (None until then):
#: what :func:`caller_state_kept` puts back when torch was first imported during the call.
_TORCH_FIRST: tuple[Any, int] | None = None


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch and pin torch to one thread (call before every fit, inside
    :func:`caller_state_kept`, which puts the caller's states back)."""
    global _TORCH_FIRST
    import torch

    if _TORCH_FIRST is None:
        _TORCH_FIRST = (torch.get_rng_state(), torch.get_num_threads())
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(1)


@contextlib.contextmanager
def caller_state_kept() -> Iterator[None]:
    """Put back, on exit, the process-wide state the generators change: Python's, numpy's and torch's
    global random states, torch's thread count and ``TQDM_DISABLE`` in the environment.

    :func:`dvclean.augment.augment` runs inside it, so a library caller's later random draws and
    torch models are what they would have been without the call. (Without torch imported before
    the call, torch's state is put back to what it was when dvclean first changed it.)
    """
    py_state, np_state = random.getstate(), np.random.get_state()
    torch = sys.modules.get("torch")
    torch_state = (torch.get_rng_state(), torch.get_num_threads()) if torch is not None else None
    tqdm = os.environ.get("TQDM_DISABLE")
    try:
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)
        torch = sys.modules.get("torch")
        back = torch_state or _TORCH_FIRST
        if torch is not None and back is not None:
            torch.set_rng_state(back[0])
            if torch.get_num_threads() != back[1]:
                torch.set_num_threads(back[1])
        if tqdm is None:
            os.environ.pop("TQDM_DISABLE", None)
        else:
            os.environ["TQDM_DISABLE"] = tqdm


class _Muted:
    """Stands in for ``sys.stdout`` / ``sys.stderr`` while a thread is inside :func:`_quiet`: what that
    thread writes goes nowhere, what any other thread writes (a progress bar's refresh, a user's print)
    reaches the stream it replaced. Everything else (``isatty``, ``encoding``, ``fileno``) is the
    replaced stream's."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def write(self, text: str) -> int:
        return len(text) if getattr(_QUIET_THREAD, "depth", 0) else self.inner.write(text)

    def flush(self) -> None:
        if not getattr(_QUIET_THREAD, "depth", 0):
            self.inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


_QUIET_THREAD = threading.local()
_QUIET_LOCK = threading.Lock()
_quiet_users = 0
_quiet_saved: list[Any] = []  # the catch_warnings block held while any thread is quiet


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence SDV's tqdm bars, prints and chatty warnings in this thread, not in others.

    ``contextlib.redirect_stdout`` would swallow every thread's output for the whole fit (a CLI
    progress bar, another thread's prints), and ``warnings.catch_warnings`` entered from two
    threads at once can leave ``ignore`` behind for good. Instead the first thread to enter puts
    :class:`_Muted` streams in place and ignores warnings, and the last one to leave puts both back.
    """
    global _quiet_users
    with _QUIET_LOCK:
        if _quiet_users == 0:
            sys.stdout, sys.stderr = _Muted(sys.stdout), _Muted(sys.stderr)
            block = warnings.catch_warnings()
            block.__enter__()
            warnings.simplefilter("ignore")
            _quiet_saved.append(block)
        _quiet_users += 1
    _QUIET_THREAD.depth = getattr(_QUIET_THREAD, "depth", 0) + 1
    try:
        yield
    finally:
        _QUIET_THREAD.depth -= 1
        with _QUIET_LOCK:
            _quiet_users -= 1
            if _quiet_users == 0:
                _quiet_saved.pop().__exit__(None, None, None)
                for name in ("stdout", "stderr"):
                    stream = getattr(sys, name)
                    if isinstance(stream, _Muted):  # unless someone put their own stream there meanwhile
                        setattr(sys, name, stream.inner)


# ---------------------------------------------------------------- name-free transformer seeds

_SEED_NAMES = threading.local()  # this thread's fit: column name -> the name its transformer's seed is drawn from
_SEED_PATCH_LOCK = threading.Lock()


def _seed_name(column: str, names: dict[str, str]) -> str:
    """``column``'s stand-in name for seeding: its own in ``names``, else that of the column it is derived from
    (``age.value``, ``age.is_null``: a transformer's output columns), else ``column``.

    >>> _seed_name("age.is_null", {"age": "column_0"}), _seed_name("other", {"age": "column_0"})
    ('column_0.is_null', 'other')
    """
    if column in names:
        return names[column]
    parts = column.split(".")
    for k in range(len(parts) - 1, 0, -1):
        base = ".".join(parts[:k])
        if base in names:
            return names[base] + column[len(base):]
    return column


def _install_name_free_seeds() -> None:
    """Make RDT's transformers seed their random draws from stand-in names during :func:`name_free_seeds`.

    RDT seeds each transformer (the nulls it generates, a categorical column's uniform noise) from a hash of the
    column's *name* and its first values, so renaming a column with missing values changed the synthetic rows.
    Outside :func:`name_free_seeds` (and in every thread not inside it) the transformers seed as RDT does.
    """
    from rdt.transformers import base

    with _SEED_PATCH_LOCK:
        original = getattr(base.BaseTransformer, "_set_seed", None)
        if original is None or getattr(original, "_dvclean", False):
            return  # (already installed; or an RDT without that hook: its own seeds, by name)

        def _set_seed(self: Any, data: Any) -> None:
            names = getattr(_SEED_NAMES, "names", None)
            columns = getattr(self, "columns", None)
            if not names or not columns:
                return original(self, data)
            column = columns[0]
            stand_in = _seed_name(column, names)
            if stand_in == column:
                return original(self, data)
            try:
                head = data[[column]].head(5).rename(columns={column: stand_in})
            except Exception:  # noqa: BLE001 - not a frame holding the column: RDT's own seed
                return original(self, data)
            self.columns = [stand_in, *list(columns)[1:]]
            try:
                original(self, head)
            finally:
                self.columns = columns
            return None

        _set_seed._dvclean = True  # type: ignore[attr-defined]
        base.BaseTransformer._set_seed = _set_seed


@contextlib.contextmanager
def name_free_seeds(names: dict[str, str]) -> Iterator[None]:
    """Within the block (in this thread), RDT's transformers seed from ``names[column]`` instead of the column's
    name (see :func:`_install_name_free_seeds`)."""
    _install_name_free_seeds()
    saved = getattr(_SEED_NAMES, "names", None)
    _SEED_NAMES.names = dict(names)
    try:
        yield
    finally:
        _SEED_NAMES.names = saved


# ---------------------------------------------------------------- polars <-> pandas


def _sdtype_or_none(col: pl.Series, label: str) -> str | None:
    """The SDV sdtype of ``col``, or ``None`` for a type the generator cannot model."""
    dt = col.dtype
    if col.name == label:
        return "categorical"
    if dt == pl.Boolean:
        return "boolean"
    if dt in (pl.Date,) or isinstance(dt, pl.Datetime):
        return "datetime" if fits_ns(col) else "numerical"
    if dt.is_integer():
        return "categorical" if col.n_unique() <= LOW_CARDINALITY_INT else "numerical"
    if dt.is_float():  # whole numbers stored as floats (pandas' integers with a missing value) are codes too
        return "categorical" if whole_floats(col) and distinct_values(col) <= LOW_CARDINALITY_INT else "numerical"
    if isinstance(dt, (pl.Decimal, pl.Duration, pl.Time)):  # as whole ticks (see Generator._as_ticks)
        return "categorical" if col.n_unique() <= LOW_CARDINALITY_INT else "numerical"
    if dt in (pl.String, pl.Categorical) or isinstance(dt, (pl.Enum, pl.Categorical)):
        return "categorical"
    return None


def fits_ns(col: pl.Series) -> bool:
    """Whether a date / datetime column's values fit pandas' nanosecond datetimes (1677 to 2262), which SDV's
    datetime sdtype needs. A column beyond them (a ``9999-12-31`` "no end" date, a year 1500) is modelled as
    numbers: days for a date, the column's time unit for a datetime (see :func:`to_pandas`)."""
    try:
        col.cast(pl.Datetime("ns"), strict=True)
    except Exception:  # noqa: BLE001 - polars' out-of-range error
        return False
    return True


def temporal_as_numbers(frame: pl.DataFrame) -> frozenset[str]:
    """The date / datetime columns of ``frame`` that :func:`fits_ns` refuses (modelled as numbers)."""
    return frozenset(
        c for c, dt in frame.schema.items()
        if (dt == pl.Date or isinstance(dt, pl.Datetime)) and not fits_ns(frame.get_column(c))
    )


def empty_columns(frame: pl.DataFrame, label: str) -> list[str]:
    """Columns (not the label) without a single value: type ``Null``, or null in every row.

    The generator leaves them out (it has nothing to learn) and synthetic rows get nulls in them.
    """
    n = frame.height
    return [
        c for c, dt in frame.schema.items()
        if c != label and (dt == pl.Null or frame.get_column(c).null_count() == n)
    ]


def check_modellable(frame: pl.DataFrame, label: str) -> None:
    """Refuse, in one message naming every one of them, columns of types the generator cannot model.

    ``Binary``, nested types, objects ...: each needs ``--withhold``
    (or a conversion). Columns without any value (:func:`empty_columns`) are not refused, nor are constant ones
    of a type other than a nested one (one value in every row, no null, a constant ``Time`` column of ``00:00``:
    the generator never sees them, every synthetic row gets that value). Float columns holding ``inf`` / ``-inf``
    are refused next (SDV would make every synthetic value null).
    """
    empty = set(empty_columns(frame, label))
    empty |= {c for c, dt in frame.schema.items()
              if c != label and c not in empty and not dt.is_nested() and frame.get_column(c).n_unique() == 1}
    bad = [(c, dt) for c, dt in frame.schema.items()
           if c not in empty and _sdtype_or_none(frame.get_column(c), label) is None]
    if bad:
        raise _unmodellable(bad)
    infinite = [c for c, dt in frame.schema.items()
                if c not in empty and dt.is_float() and frame.get_column(c).is_infinite().any()]
    if infinite:  # SDV's numerical model of such a column is all NaN: every synthetic value would be null
        import shlex

        counts = {c: int(frame.get_column(c).is_infinite().sum()) for c in infinite}
        shown = ", ".join(f"{c!r} ({k} row{'s' if k != 1 else ''})" for c, k in counts.items())
        withhold = " ".join(f"--withhold {shlex.quote(c)}" for c in infinite)
        raise AugmentError(
            f"column{'s' if len(infinite) > 1 else ''} {shown} hold{'' if len(infinite) > 1 else 's'} infinite values "
            f"(inf or -inf), which the generator cannot model; replace them (with a number, or blank them) or keep "
            f"the column{'s' if len(infinite) > 1 else ''} from the generator with {withhold}"
        )


def _unmodellable(bad: list[tuple[str, Any]]) -> AugmentError:
    import shlex

    withhold = " ".join(f"--withhold {shlex.quote(c)}" for c, _ in bad)
    if len(bad) == 1:
        (name, dt), = bad
        return AugmentError(
            f"column {name!r} has type {dt}, which the generator cannot model; "
            f"keep it from the generator with {withhold} (or --id if it is a row id) or convert it to a number, "
            "string or date"
        )
    listed = ", ".join(f"{c!r} ({dt})" for c, dt in bad[:-1]) + f" and {bad[-1][0]!r} ({bad[-1][1]})"
    return AugmentError(
        f"{len(bad)} columns have types the generator cannot model: {listed}; keep them from the generator with "
        f"{withhold} (or pass one as --id if it is a row id) or convert them to numbers, strings or dates"
    )


def _sdtype(col: pl.Series, label: str) -> str:
    sdtype = _sdtype_or_none(col, label)
    if sdtype is None:
        raise _unmodellable([(col.name, col.dtype)])
    return sdtype


def to_pandas(frame: pl.DataFrame, as_numbers: frozenset[str] | set[str] = frozenset()) -> Any:
    """Convert to a pandas frame SDV handles: plain numpy dtypes, ns datetimes, strings as object.

    Date / datetime columns named in ``as_numbers`` (beyond pandas' nanosecond range:
    :func:`temporal_as_numbers`) are given as their physical integers (days, or the column's
    time unit since the epoch in UTC).
    """
    import pandas as pd

    cols: dict[str, Any] = {}
    for name in frame.columns:
        s = frame.get_column(name)
        if name in as_numbers:
            s = s.to_physical().cast(pl.Int64)
        dt = s.dtype
        if dt in (pl.Categorical,) or isinstance(dt, (pl.Enum, pl.Categorical)):
            s = s.cast(pl.String)
            dt = pl.String
        if dt == pl.Date or isinstance(dt, pl.Datetime):
            if isinstance(dt, pl.Datetime) and dt.time_zone is not None:
                # modelled in UTC, where every instant has one wall-clock time: local times would put
                # synthetic values in a daylight-saving gap or fold (from_pandas converts back)
                s = s.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            values = s.cast(pl.Datetime("ns")).to_numpy()
            cols[name] = pd.Series(values.astype("datetime64[ns]"), name=name)
        elif dt == pl.String:
            cols[name] = pd.Series(s.to_list(), dtype=object, name=name)
        elif dt == pl.Boolean:
            if s.null_count():
                cols[name] = pd.Series(s.to_list(), dtype=object, name=name)
            else:
                cols[name] = pd.Series(s.to_numpy(), dtype=bool, name=name)
        elif dt.is_integer():
            if s.null_count() or dt == pl.Int128:  # (numpy has no 128-bit integers; Generator shifts what it can)
                cols[name] = pd.Series(s.cast(pl.Float64).to_numpy(), name=name)
            else:  # (a UInt64 stays unsigned: int64 would wrap its values above 2**63 to negative ones)
                values = s.to_numpy()
                cols[name] = pd.Series(values if values.dtype == np.uint64 else values.astype(np.int64), name=name)
        else:
            if dt == pl.Float32:  # as its shortest text (0.7, not 0.699999988079071): SDV learns the decimals it sees
                s = s.cast(pl.String).cast(pl.Float64)
            cols[name] = pd.Series(s.cast(pl.Float64).to_numpy(), name=name)
    return pd.DataFrame(cols)


def from_pandas(pdf: Any, schema: pl.Schema | dict[str, pl.DataType]) -> pl.DataFrame:
    """Cast sampled rows back to ``schema``: same columns, same dtypes and category sets."""
    out: dict[str, pl.Series] = {}
    for name, dt in schema.items():
        col = pdf[name]
        values = col.tolist()
        values = [None if _is_missing(v) else v for v in values]
        if dt == pl.Date or isinstance(dt, pl.Datetime):
            ns = [None if v is None else _nanoseconds(v) for v in values]
            s = pl.Series(name, ns, dtype=pl.Int64).cast(pl.Datetime("ns"))
            if isinstance(dt, pl.Datetime) and dt.time_zone is not None:  # UTC instants (to_pandas), in the column's zone
                s = s.dt.replace_time_zone("UTC").dt.convert_time_zone(dt.time_zone)
            s = s.cast(dt)
        elif dt == pl.Boolean:
            s = pl.Series(name, [None if v is None else bool(v) for v in values], dtype=pl.Boolean)
        elif dt.is_integer():
            # clamped to the type's range: a value at a float-rounded bound (2**63) would overflow it
            lo, hi = _int_range(dt)
            s = pl.Series(name, [None if v is None else min(hi, max(lo, _as_int(v))) for v in values], dtype=dt)
        elif dt.is_float():
            # (+ 0.0: a value SDV rounds to zero keeps no sign, which the order of its sums would decide: a shuffled
            # file gave -0.0 in one run and 0.0 in the other)
            s = pl.Series(name, [None if v is None else float(v) + 0.0 for v in values], dtype=pl.Float64).cast(dt)
        elif dt == pl.String:
            s = pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)
        elif dt == pl.Time:  # a label of times (a time feature is modelled as ticks): classes of nanoseconds since midnight
            s = pl.Series(name, [None if v is None else _time_ns(v) for v in values], dtype=pl.Int64).cast(pl.Time)
        else:  # Categorical / Enum: strings cast back to the input's category type
            s = pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String).cast(dt)
        out[name] = s
    return pl.DataFrame(out)


def _time_ns(v: Any) -> int:
    """Nanoseconds since midnight of a time of day as SDV returns a category of them (the number, or its text)."""
    if isinstance(v, datetime.time):
        return ((v.hour * 60 + v.minute) * 60 + v.second) * 1_000_000_000 + v.microsecond * 1000
    return int(round(float(v)))


#: Integers up to this magnitude are exact as floats (what SDV models numbers as).
_FLOAT_EXACT = 2**53


def _int_offsets(frame: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """The integer columns whose values a float would round (beyond 2**53), but whose spread an Int64 holds:
    column -> its (minimum, maximum).

    >>> _int_offsets(pl.DataFrame({"a": [2**63, 2**63 + 7], "b": [1, 2]}, schema={"a": pl.UInt64, "b": pl.Int64}))
    {'a': (9223372036854775808, 9223372036854775815)}
    """
    out: dict[str, tuple[int, int]] = {}
    for name, dt in frame.schema.items():
        values = frame.get_column(name).drop_nulls() if dt.is_integer() else None
        if values is not None and values.len():
            lo, hi = int(values.min()), int(values.max())
            if max(abs(lo), abs(hi)) > _FLOAT_EXACT and hi - lo < 2**62:
                out[name] = (lo, hi)
    return out


def _tick_size(col: pl.Series) -> int:
    """The coarsest tick, in units of ``col``'s physical integers, that every value is a whole number of: for a
    Duration a day, hour, minute, second, millisecond or microsecond, for a time of day (nanoseconds since
    midnight) an hour, minute, second, ...; for a Decimal its scale's unit (1).

    >>> _tick_size(pl.Series(["20:30", "07:05"]).str.to_time("%H:%M")) == 60 * 10**9
    True
    """
    if not isinstance(col.dtype, (pl.Duration, pl.Time)):
        return 1
    ticks = col.drop_nulls().to_physical()
    per_second = 10**9 if col.dtype == pl.Time else {"ns": 10**9, "us": 10**6, "ms": 10**3}[col.dtype.time_unit or "us"]
    for size in (86_400 * per_second, 3_600 * per_second, 60 * per_second, per_second, per_second // 1000,
                 per_second // 10**6):
        if size >= 1 and ticks.len() and bool((ticks % size == 0).all()):
            return size
    return 1


def _from_ticks(ticks: pl.Series, dtype: Any, size: int) -> pl.Series:
    """Whole ticks (:func:`_tick_size`) back to a Decimal, Duration or Time column."""
    if isinstance(dtype, (pl.Duration, pl.Time)):
        return (ticks.cast(pl.Int64) * size).cast(dtype)
    from decimal import Decimal

    scale = dtype.scale or 0
    return pl.Series(ticks.name, [None if t is None else Decimal(int(t)).scaleb(-scale) for t in ticks.to_list()],
                     dtype=dtype)


def _nanoseconds(v: Any) -> int:
    """A sampled datetime as nanoseconds since the epoch. A pandas Timestamp carries them in ``.value``:
    ``np.datetime64(timestamp, "ns")`` goes through ``datetime`` and drops the last three digits."""
    value = getattr(v, "value", None)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    return int(np.datetime64(v, "ns").astype(np.int64))


def _non_missing(col: pl.Series) -> pl.Series:
    """``col`` without its nulls (and NaNs, for a float column)."""
    col = col.drop_nulls()
    return col.drop_nans() if col.dtype.is_float() else col


def _int_range(dt: Any) -> tuple[int, int]:
    """The smallest and largest value of an integer polars type.

    >>> _int_range(pl.UInt8), _int_range(pl.Int16)
    ((0, 255), (-32768, 32767))
    """
    bits = {pl.Int8: 8, pl.Int16: 16, pl.Int32: 32, pl.Int64: 64,
            pl.UInt8: 8, pl.UInt16: 16, pl.UInt32: 32, pl.UInt64: 64}.get(dt, 128)
    if dt.is_signed_integer():
        return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    return 0, 2**bits - 1


def _as_int(v: Any) -> int:
    """An integer cell: an int as it is (a categorical column gives back the input's values,
    which may lie beyond float precision, 2**53), a float rounded."""
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    return int(round(float(v)))


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    try:
        import pandas as pd

        return bool(pd.isna(v)) if not isinstance(v, (list, tuple, np.ndarray)) else False
    except (TypeError, ValueError):
        return False


def build_metadata(pdf: Any, sdtypes: dict[str, str]) -> Any:
    """Detect metadata, then force every column's sdtype and drop any primary key."""
    from sdv.metadata import Metadata

    with _quiet():
        md = Metadata.detect_from_dataframes({TABLE: pdf})
        table = md.tables[TABLE]
        if table.primary_key is not None:
            md.remove_primary_key(table_name=TABLE)
        for col, sdtype in sdtypes.items():
            kwargs: dict[str, Any] = {}
            if sdtype == "datetime":
                kwargs["datetime_format"] = "%Y-%m-%d %H:%M:%S.%f"
            md.update_column(col, sdtype=sdtype, table_name=TABLE, **kwargs)
        md.validate()
    return md


# ---------------------------------------------------------------- point masses


def find_point_mass(col: Any) -> tuple[float, int] | None:
    """The point mass of a numerical pandas column: ``(value, rows at it)``, or ``None``.

    The most frequent finite non-null value is a point mass when it holds at least
    ``POINT_MASS_SHARE`` (10%) of the non-null values, at least ``POINT_MASS_MIN_ROWS``
    rows, and the column has some other non-null value (a column equal everywhere, or
    equal except for nulls, is left to SDV, which reproduces a constant column exactly).

    Why 10%: a continuous column has no value that frequent. Measured on the shared real
    tables (most frequent value's share of all rows): Adult ``fnlwgt`` 0.02%, ``age`` 2.8%;
    Taiwan credit ``AGE`` 5.3%, ``BILL_AMT1`` 0.8% after its zeros. Real masses are far
    above it: Adult ``capital_gain`` 91.7% at 0, ``capital_loss`` 95.3% at 0,
    ``hours_per_week`` 46.7% at 40; Taiwan ``PAY_AMT1``-``6`` 17.5-23.9% at 0,
    ``BILL_AMT4``-``6`` 10.6-13.4% at 0, ``LIMIT_BAL`` 11.2% at 50,000. Discrete integer
    columns with a dominant value are treated too (Adult ``education_num`` 32.3% at 9,
    Taiwan ``PAY_0`` 49.1% at 0), which is harmless: the mass value is reproduced exactly
    and the other values are modelled as before. Masses below 10% are missed (Taiwan
    ``BILL_AMT1``-``3``, 6.7-9.6% at 0): a lower threshold would start to catch the modes
    of ordinary discrete columns (``AGE``). In dvclean's hard rows of Adult (4,517 rows)
    the same four columns qualify: 87.4% at 0, 90.1% at 0, 45.3% at 40 and 26.8% at 9.
    Only the most frequent value is a mass; a second spike stays as SDV models it.
    """
    values = col[col.notna()]
    values = values[np.isfinite(values.to_numpy(dtype=float))]
    if values.empty:
        return None
    counts = values.value_counts(sort=True)
    value, top = counts.index[0], int(counts.iloc[0])
    if len(counts) < 2 or top < POINT_MASS_MIN_ROWS or top < POINT_MASS_SHARE * len(values):
        return None
    return float(value), top


def _indicator_name(column: str, taken: set[str]) -> str:
    """A column name for ``column``'s mass indicator that is not in ``taken``."""
    name = f"__dvclean_point_mass__{column}"
    while name in taken:
        name = "_" + name
    return name


def split_point_masses(
    pdf: Any, sdtypes: dict[str, str], schema: Any, seed: int
) -> tuple[Any, dict[str, str], list[PointMass]]:
    """Model the point mass of every numerical column with a hidden categorical indicator.

    Returns the training frame and sdtypes with one indicator column per treated column
    (``"mass"`` at the mass value, ``"value"`` at another value) and the treated columns.
    In the numerical column itself the mass rows get values drawn at random (seeded by
    ``seed``, with replacement) from its other non-null values, so the generator learns
    the continuous part without the spike; the spike and its relation to the other
    columns are learned through the indicator (:func:`merge_point_masses` puts the mass
    value back).

    Nulls stay SDV's: they remain nulls in the numerical column, which SDV fills for the
    fit and generates at random at the column's null share. A null row's indicator is
    drawn at random with the mass's share of the non-null values, so that share is also
    the indicator's (were null rows ``"value"``, the mass would lose the null share in
    the synthetic rows; a third, ``"null"`` state would compete with SDV's own nulls, and
    TVAE, which decodes a category by argmax, drops a small independent state entirely).
    """
    import pandas as pd

    out = pdf.copy()
    taken = set(pdf.columns)
    new_sdtypes = dict(sdtypes)
    masses: list[PointMass] = []
    for j, name in enumerate(pdf.columns):
        if sdtypes.get(name) != "numerical":
            continue
        found = find_point_mass(pdf[name])
        if found is None:
            continue
        value, count = found
        dt = schema[name]
        mass_value: float | int = int(value) if dt.is_integer() else float(value)
        col = pdf[name]
        missing = col.isna().to_numpy()
        raw = col.to_numpy(dtype=float)
        at_mass = ~missing & (raw == value)
        others = col[~missing & ~at_mass].to_numpy(dtype=float)
        rng = np.random.default_rng([seed % 2**63, 0x706D, j])  # "pm": its own stream per column
        new = col.to_numpy().copy()
        new[at_mass] = rng.choice(others, size=int(at_mass.sum()), replace=True)
        state = np.where(at_mass, MASS, VALUE).astype(object)
        if missing.any():
            share = count / int((~missing).sum())
            state[missing] = np.where(rng.random(int(missing.sum())) < share, MASS, VALUE)
        indicator = _indicator_name(name, taken)
        taken.add(indicator)
        out[name] = pd.Series(new, index=pdf.index, name=name)
        out[indicator] = pd.Series(state, index=pdf.index, name=indicator, dtype=object)
        new_sdtypes[indicator] = "categorical"
        masses.append(PointMass(column=name, value=mass_value, indicator=indicator, others=others))
    return out, new_sdtypes, masses


def merge_point_masses(pdf: Any, masses: list[PointMass], schema: Any, rng: np.random.Generator) -> Any:
    """Put the mass values the indicators call for back and drop the indicators.

    A null stays null (SDV's own nulls, whatever the indicator says). A row whose
    indicator says ``"value"`` keeps its sampled value, unless that is the mass value
    itself (the continuous part has density at the mass once rounded like the column:
    Adult's ``education_num`` is 9 in 32% of the rows, and the gaussian copula's model of
    the other values put another 10% of the rows on 9): such a row gets the value of a
    random other ``"value"`` row of the sample (a training value when the sample has
    none), so the share at the mass is the indicator's.
    """
    if not masses:
        return pdf
    out = pdf.copy()
    for pm in masses:
        state = out[pm.indicator].astype(object).to_numpy()
        values = out[pm.column].to_numpy(dtype=float).copy()
        shown = np.round(values) if schema[pm.column].is_integer() else values
        is_value = (state == VALUE) & ~np.isnan(values)
        landed = is_value & (shown == pm.value)
        if landed.any():
            donors = values[is_value & ~landed]
            if donors.size == 0:
                donors = pm.others
            values[landed] = rng.choice(donors, size=int(landed.sum()), replace=True)
        values[(state == MASS) & ~np.isnan(values)] = pm.value
        out[pm.column] = values
    return out.drop(columns=[pm.indicator for pm in masses])


# ---------------------------------------------------------------- fitting and sampling


class Generator:
    """A fitted SDV synthesizer over a polars frame.

    Parameters
    ----------
    frame : polars.DataFrame
        Training rows; every column is modelled (drop ids before).
    label : str
        The label column (always modelled as categorical, jointly with the features).
    generator : {"tvae", "ctgan", "copulagan", "gaussian-copula"}
    epochs, batch_size : int or None
        ``None`` picks :func:`auto_epochs` / :func:`auto_batch_size`.
    seed : int
        Seeds python, numpy and torch before the fit and the sampler after it (and the
        values that stand in for point masses during the fit).
    point_masses : bool
        Model the point mass of every numerical column (:func:`find_point_mass`) with a
        hidden indicator column (:func:`split_point_masses`): SDV's generators model a
        numerical column as continuous and smear a spike such as Adult's 92% of zeros in
        ``capital_gain`` over nearby values. ``False`` fits the columns as they are.

    ``pdf`` and ``metadata`` are the training rows and metadata as given (what
    :meth:`quality` compares against); the synthesizer is fitted on ``train_pdf`` with
    ``train_metadata``, which add the indicator columns.
    """

    def __init__(
        self,
        frame: pl.DataFrame,
        *,
        label: str,
        generator: str = "tvae",
        epochs: int | None = None,
        batch_size: int | None = None,
        seed: int = 0,
        point_masses: bool = True,
    ) -> None:
        if generator not in GENERATORS:
            raise AugmentError(f"unknown --generator {generator!r}; use one of {', '.join(GENERATORS)}")
        require_sdv()
        os.environ.setdefault("TQDM_DISABLE", "1")
        self.label = label
        self.seed = seed
        n = frame.height
        check_modellable(frame, label)  # every column of a type it cannot model, in one message
        # Decimal, Duration and Time columns are modelled as whole ticks (of the scale; of the coarsest unit that
        # holds every value: whole seconds stay whole seconds, 20:30 stays on the minute), as integers: exact
        self.out_schema = frame.schema
        self.ticks = {c: (dt, _tick_size(frame.get_column(c))) for c, dt in frame.schema.items()
                      if isinstance(dt, (pl.Decimal, pl.Duration, pl.Time)) and c != label}
        frame = self._as_ticks(frame)
        self.schema = frame.schema
        sdtypes = {c: _sdtype(frame.get_column(c), label) for c in frame.columns}
        # dates beyond pandas' nanosecond range (9999-12-31) are modelled as their day / time-unit numbers
        self.as_numbers = temporal_as_numbers(frame)
        self.model_schema = pl.Schema({c: pl.Int64 if c in self.as_numbers else dt for c, dt in self.schema.items()})
        # synthetic numbers and datetimes are kept within the training rows' range (see sample())
        self.bounds = {
            c: (v.min(), v.max()) for c, t in sdtypes.items()
            if t in ("numerical", "datetime") and (v := _non_missing(frame.get_column(c))).len()
        }
        # SDV reads NaN as missing: a float column whose training rows mark missing values with NaN,
        # never null, gets NaN in synthetic rows too (not nulls it never had)
        self.nan_columns = [
            c for c, dt in self.schema.items()
            if dt.is_float() and frame.get_column(c).null_count() == 0 and frame.get_column(c).is_nan().any()
        ]
        # integers beyond a float's exact range (ids, UInt64 hashes near 2**64) are modelled as offsets from their
        # minimum: SDV models numbers as floats, which rounded 183 distinct values near 2**64 to one
        ranges = _int_offsets(frame)
        self.offsets = {c: lo for c, (lo, _) in ranges.items()}
        self.spreads = {c: hi - lo for c, (lo, hi) in ranges.items()}
        self.model_schema = pl.Schema({c: pl.Int64 if c in self.offsets else dt for c, dt in self.model_schema.items()})
        # floats of extreme magnitude (1e-300, 1e300) are modelled in units of a power of two: SDV's transformers
        # made every synthetic value of a 1e-300 column null and gave a 1e300 column two values
        self.exponents = {c: e for c, dt in self.schema.items()
                          if dt.is_float() and c != label and (e := _extreme_exponent(frame.get_column(c))) != 0}
        self.pdf = to_pandas(self._shifted(frame), self.as_numbers)
        self.metadata = build_metadata(self.pdf, sdtypes)
        self.masses: list[PointMass] = []
        self.train_pdf, self.train_metadata, self.train_sdtypes = self.pdf, self.metadata, sdtypes
        if point_masses:
            train_pdf, train_sdtypes, self.masses = split_point_masses(self.pdf, sdtypes, self.model_schema, seed)
            if self.masses:
                self.train_pdf, self.train_sdtypes = train_pdf, train_sdtypes
                self.train_metadata = build_metadata(train_pdf, train_sdtypes)
        if generator in NEURAL:
            b = batch_size if batch_size is not None else auto_batch_size(generator, n)
            check_batch_size(generator, b, n)
            e = epochs if epochs is not None else auto_epochs(n, b, generator)
        else:
            b = e = None
        self.settings = FitSettings(
            generator=generator, rows=n, epochs=e, batch_size=b, sdtypes=sdtypes,
            point_masses={pm.column: self._shown(pm.column, pm.value) for pm in self.masses},
        )
        self.synth = self._make(generator, e, b)
        # the transformers' seeds from the columns' places (fit_and_sample orders them by content), not their names
        stand_ins = {c: ("label" if c == label else f"c{i}") for i, c in enumerate(frame.columns)}
        stand_ins |= {pm.indicator: f"m{stand_ins[pm.column]}" for pm in self.masses}
        seed_everything(seed)
        try:
            with _quiet(), name_free_seeds(stand_ins):
                self.synth.fit({TABLE: self.train_pdf})
        except AugmentError:
            raise
        except Exception as exc:  # SDV's own validation errors -> one clear line
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise AugmentError(f"the {generator} generator could not be trained on {n} rows: {msg}") from exc
        # stand-ins for "value" rows that land on a mass (merge_point_masses): seeded once, so
        # the same seed replays the same draws and consecutive samples differ, like SDV's own
        self._mass_rng = np.random.default_rng([seed % 2**63, 0x706D, 1])
        setter = getattr(self.synth, "_set_random_state", None)
        if setter is None:  # pragma: no cover - future SDV
            log.warning("this SDV version cannot seed sampling; synthetic rows depend on the fit only")
        else:
            setter(seed)

    def _shown(self, column: str, value: float | int) -> float | int | str:
        """A point mass as the report shows it: a date / datetime modelled as numbers in ISO form, a Decimal or a
        Duration (modelled as ticks) as its text."""
        if column in self.ticks:
            dt, size = self.ticks[column]
            return str(_from_ticks(pl.Series([int(value)], dtype=pl.Int128), dt, size)[0])
        if column in self.exponents:
            first, second = _two_steps(-self.exponents[column])
            return float(value) * first * second
        if column not in self.as_numbers:
            return value
        return pl.Series([int(value)], dtype=pl.Int64).cast(self.schema[column]).cast(pl.String)[0]

    def _make(self, generator: str, epochs: int | None, batch_size: int | None) -> Any:
        from sdv.single_table import (
            CopulaGANSynthesizer,
            CTGANSynthesizer,
            GaussianCopulaSynthesizer,
            TVAESynthesizer,
        )

        md = self.train_metadata
        with _quiet():
            if generator == "gaussian-copula":
                # SDV encodes a categorical column (the label, the point-mass indicators) as
                # uniform (0, 1) values, one interval per category; a "uniform" marginal keeps
                # the categories' shares, "norm" shrinks the outer ones (sample_data/adult_2000.csv,
                # 2,000 synthetic rows: '>50K' 23.9% of the training rows, 18.3% of the synthetic
                # ones with "norm", 22.9% with "uniform"; race 'Black' 9.8%: 4.1% / 9.0%; SDMetrics
                # quality 0.827 / 0.867, Column Shapes 0.923 / 0.971).
                uniform = {c: "uniform" for c, t in self.train_sdtypes.items() if t in ("categorical", "boolean")}
                return GaussianCopulaSynthesizer(
                    md, default_distribution="norm", numerical_distributions=uniform or None
                )
            common = {"epochs": epochs, "batch_size": batch_size, "enable_gpu": False, "verbose": False}
            if generator == "tvae":
                return TVAESynthesizer(md, **common)
            if generator == "ctgan":
                return CTGANSynthesizer(md, pac=PAC, **common)
            return CopulaGANSynthesizer(md, pac=PAC, **common)

    def sample(self, n: int) -> pl.DataFrame:
        """Draw ``n`` rows (consecutive calls give different rows) in the training schema."""
        try:
            with _quiet():
                pdf = self.synth.sample(num_rows=n)[TABLE]
        except Exception as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise AugmentError(f"sampling {n} synthetic rows failed: {msg}") from exc
        if len(pdf) != n:
            raise AugmentError(f"the generator returned {len(pdf)} rows instead of {n}; try another --generator")
        pdf = merge_point_masses(pdf.reset_index(drop=True), self.masses, self.model_schema, self._mass_rng)
        out = from_pandas(pdf, self.model_schema)
        out = out.with_columns(_times_two_to(pl.col(c), -e) for c, e in self.exponents.items())
        out = out.with_columns(  # (clipped first: a float-rounded offset past the spread would overflow the type)
            (pl.col(c).clip(0, self.spreads[c]).cast(pl.Int128) + pl.lit(lo, dtype=pl.Int128)).cast(self.schema[c])
            for c, lo in self.offsets.items()
        )
        # back to the dates the numbers stand for; then within the training range: SDV clips a value to
        # the range as a float, which can land one time unit below a datetime column's minimum
        out = out.with_columns(pl.col(c).cast(self.schema[c]) for c in self.as_numbers)
        out = out.with_columns(pl.col(c).fill_null(float("nan")) for c in self.nan_columns)
        out = out.with_columns(
            pl.col(c).clip(pl.lit(lo, dtype=self.schema[c]), pl.lit(hi, dtype=self.schema[c]))
            for c, (lo, hi) in self.bounds.items()
        )
        return out.with_columns(_from_ticks(out.get_column(c), dt, size) for c, (dt, size) in self.ticks.items())

    def _as_ticks(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with its Decimal, Duration and Time columns as whole ticks (Int128 / Int64, see :func:`_tick_size`)."""
        return frame.with_columns((pl.col(c).to_physical() // size).alias(c) for c, (_, size) in self.ticks.items())

    def _shifted(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with the :func:`_int_offsets` columns as Int64 offsets from their training minimum, and the
        extreme floats in their units (:func:`_extreme_exponent`)."""
        return frame.with_columns(
            *[(pl.col(c).cast(pl.Int128) - pl.lit(lo, dtype=pl.Int128)).cast(pl.Int64) for c, lo in self.offsets.items()],
            *[_times_two_to(pl.col(c), e) for c, e in self.exponents.items()],
        )

    def quality(self, synthetic: pl.DataFrame) -> dict[str, Any]:
        """SDMetrics quality score of ``synthetic`` against the training rows (NaN pairs = not applicable).

        Always against the rows as given and their own columns, never the point-mass indicators.
        """
        from sdv.evaluation import evaluate_quality

        with _quiet():
            report = evaluate_quality(self.pdf, to_pandas(self._shifted(self._as_ticks(synthetic)), self.as_numbers), self.metadata,
                                      verbose=False)
            props = report.get_properties()
        out: dict[str, Any] = {"score": _finite(report.get_score())}
        for _, row in props.iterrows():
            out[str(row["Property"])] = _finite(row["Score"])
        return out


#: Floats whose largest magnitude lies outside 2**±EXTREME (about 1e±100) are modelled in units of a power of two.
EXTREME = 332


def _extreme_exponent(col: pl.Series) -> int:
    """The power of two that brings a float column's largest finite magnitude to [0.5, 1) when it lies beyond
    2**±:data:`EXTREME`; 0 (none) otherwise. A power of two, not of ten: scaling by it and back is exact, so a
    value the rows repeat (a point mass) is reproduced bit for bit.

    >>> _extreme_exponent(pl.Series([3e-300, -5e-301])), _extreme_exponent(pl.Series([2e250])), _extreme_exponent(pl.Series([7.0]))
    (994, -832, 0)
    """
    values = col.drop_nulls().drop_nans()
    values = values.filter(values.is_finite() & (values != 0)).abs()
    if values.len() == 0:
        return 0
    top = float(values.max())
    if 2.0 ** -EXTREME <= top <= 2.0 ** EXTREME:
        return 0
    return -math.frexp(top)[1]


def _two_steps(e: int) -> tuple[float, float]:
    """Two factors whose product is ``2**e`` (2.0**1029 alone overflows; a subnormal times it need not)."""
    return 2.0 ** (e // 2), 2.0 ** (e - e // 2)


def _times_two_to(expr: pl.Expr, e: int) -> pl.Expr:
    """``expr * 2**e`` in two steps (:func:`_two_steps`); exact for every value that stays a normal float."""
    first, second = _two_steps(e)
    return expr * first * second


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, 6) if math.isfinite(f) else None
