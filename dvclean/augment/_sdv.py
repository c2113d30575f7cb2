"""The one module that imports SDV (and through it torch and pandas).

Everything SDV-specific lives here: polars <-> pandas conversion, forcing every
column's sdtype (no PII / Faker replacement, no primary key), nanosecond datetimes,
generator construction with small-set epochs and batch sizes, seeding before every
fit, sampling with a seed, casting the sampled rows back to the input's polars
schema, and the SDMetrics quality score. See ecosystem.md §1.9 for the pitfalls.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import os
import random
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from ..errors import AugmentError
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

INSTALL_HINT = (
    "`dvclean augment` needs SDV: pip install 'dvclean[augment]' "
    "(on a CPU-only machine first: pip install torch --index-url https://download.pytorch.org/whl/cpu)"
)


def require_sdv() -> None:
    """Raise :class:`AugmentError` with the install command when SDV cannot be imported."""
    try:
        import sdv  # noqa: F401
    except ImportError as exc:
        raise AugmentError(f"{INSTALL_HINT} ({exc})") from exc


@dataclass(frozen=True)
class FitSettings:
    """What a generator was actually trained with (for the report)."""

    generator: str
    rows: int
    epochs: int | None
    batch_size: int | None
    sdtypes: dict[str, str]


def auto_batch_size(generator: str, n_rows: int) -> int:
    """Batch size for ``n_rows`` training rows: at most 500 and at most the row count.

    CTGAN and CopulaGAN round it down to a multiple of their ``pac`` (10).
    """
    b = min(MAX_AUTO_BATCH, n_rows)
    if generator in ("ctgan", "copulagan"):
        b = max(PAC, b // PAC * PAC)
    return max(1, b)


def auto_epochs(n_rows: int, batch_size: int) -> int:
    """Epochs giving at least ``MIN_AUTO_STEPS`` gradient steps and ``MIN_AUTO_EPOCHS`` passes.

    A hard set of 250 rows is trained full-batch for 1000 epochs, 2,400 rows with
    batches of 500 for 200 epochs, 24,000 rows for 21 epochs (1,008 steps), so the
    targeted and the non-targeted generator get a similar number of updates. 1000
    steps, not 300: on the Taiwan credit data the SDMetrics quality of TVAE's
    synthetic rows rose from 0.725 to 0.873 (hard set) and 0.716 to 0.780 (all rows)
    (``benchmarks/RESULTS_AUGMENT.md``); SDV's own default (300 epochs) is more
    steps still for any set above 500 rows.
    """
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
            f"use at most {max(PAC, n_rows // PAC * PAC)} or omit it"
        )


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch and pin torch to one thread (call before every fit)."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    torch.set_num_threads(1)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence SDV's tqdm bars, prints and chatty warnings."""
    buf = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(buf), contextlib.redirect_stdout(buf):
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------------------- polars <-> pandas


def _sdtype(col: pl.Series, label: str) -> str:
    dt = col.dtype
    if col.name == label:
        return "categorical"
    if dt == pl.Boolean:
        return "boolean"
    if dt in (pl.Date,) or isinstance(dt, pl.Datetime):
        return "datetime"
    if dt.is_integer():
        return "categorical" if col.n_unique() <= LOW_CARDINALITY_INT else "numerical"
    if dt.is_float():
        return "numerical"
    if dt in (pl.String, pl.Categorical) or isinstance(dt, (pl.Enum, pl.Categorical)):
        return "categorical"
    raise AugmentError(
        f"column {col.name!r} has type {dt}, which the generator cannot model; "
        f"exclude it with --id (if it is an identifier) or convert it to a number, string or date"
    )


def to_pandas(frame: pl.DataFrame) -> Any:
    """Convert to a pandas frame SDV handles: plain numpy dtypes, ns datetimes, strings as object."""
    import pandas as pd

    cols: dict[str, Any] = {}
    for name in frame.columns:
        s = frame.get_column(name)
        dt = s.dtype
        if dt in (pl.Categorical,) or isinstance(dt, (pl.Enum, pl.Categorical)):
            s = s.cast(pl.String)
            dt = pl.String
        if dt == pl.Date or isinstance(dt, pl.Datetime):
            if isinstance(dt, pl.Datetime) and dt.time_zone is not None:
                s = s.dt.replace_time_zone(None)
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
            if s.null_count():
                cols[name] = pd.Series(s.cast(pl.Float64).to_numpy(), name=name)
            else:
                cols[name] = pd.Series(s.to_numpy().astype(np.int64), name=name)
        else:
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
            ns = [None if v is None else int(np.datetime64(v, "ns").astype(np.int64)) for v in values]
            s = pl.Series(name, ns, dtype=pl.Int64).cast(pl.Datetime("ns"))
            if isinstance(dt, pl.Datetime) and dt.time_zone is not None:
                s = s.dt.replace_time_zone(dt.time_zone)
                s = s.cast(pl.Datetime("ns", dt.time_zone))
            s = s.cast(dt)
        elif dt == pl.Boolean:
            s = pl.Series(name, [None if v is None else bool(v) for v in values], dtype=pl.Boolean)
        elif dt.is_integer():
            s = pl.Series(name, [None if v is None else int(round(float(v))) for v in values], dtype=pl.Int64).cast(dt)
        elif dt.is_float():
            s = pl.Series(name, [None if v is None else float(v) for v in values], dtype=pl.Float64).cast(dt)
        elif dt == pl.String:
            s = pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String)
        else:  # Categorical / Enum: strings cast back to the input's category type
            s = pl.Series(name, [None if v is None else str(v) for v in values], dtype=pl.String).cast(dt)
        out[name] = s
    return pl.DataFrame(out)


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
        Seeds python, numpy and torch before the fit and the sampler after it.
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
    ) -> None:
        if generator not in GENERATORS:
            raise AugmentError(f"unknown --generator {generator!r}; use one of {', '.join(GENERATORS)}")
        require_sdv()
        os.environ.setdefault("TQDM_DISABLE", "1")
        self.schema = frame.schema
        self.label = label
        self.seed = seed
        n = frame.height
        sdtypes = {c: _sdtype(frame.get_column(c), label) for c in frame.columns}
        self.pdf = to_pandas(frame)
        self.metadata = build_metadata(self.pdf, sdtypes)
        if generator in NEURAL:
            b = batch_size if batch_size is not None else auto_batch_size(generator, n)
            check_batch_size(generator, b, n)
            e = epochs if epochs is not None else auto_epochs(n, b)
        else:
            b = e = None
        self.settings = FitSettings(generator=generator, rows=n, epochs=e, batch_size=b, sdtypes=sdtypes)
        self.synth = self._make(generator, e, b)
        seed_everything(seed)
        try:
            with _quiet():
                self.synth.fit({TABLE: self.pdf})
        except AugmentError:
            raise
        except Exception as exc:  # SDV's own validation errors -> one clear line
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise AugmentError(f"the {generator} generator could not be trained on {n} rows: {msg}") from exc
        setter = getattr(self.synth, "_set_random_state", None)
        if setter is None:  # pragma: no cover - future SDV
            log.warning("this SDV version cannot seed sampling; synthetic rows depend on the fit only")
        else:
            setter(seed)

    def _make(self, generator: str, epochs: int | None, batch_size: int | None) -> Any:
        from sdv.single_table import (
            CopulaGANSynthesizer,
            CTGANSynthesizer,
            GaussianCopulaSynthesizer,
            TVAESynthesizer,
        )

        md = self.metadata
        with _quiet():
            if generator == "gaussian-copula":
                return GaussianCopulaSynthesizer(md, default_distribution="norm")
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
        return from_pandas(pdf.reset_index(drop=True), self.schema)

    def quality(self, synthetic: pl.DataFrame) -> dict[str, Any]:
        """SDMetrics quality score of ``synthetic`` against the training rows (NaN pairs = not applicable)."""
        from sdv.evaluation import evaluate_quality

        with _quiet():
            report = evaluate_quality(self.pdf, to_pandas(synthetic), self.metadata, verbose=False)
            props = report.get_properties()
        out: dict[str, Any] = {"score": _finite(report.get_score())}
        for _, row in props.iterrows():
            out[str(row["Property"])] = _finite(row["Score"])
        return out


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return round(f, 6) if math.isfinite(f) else None
