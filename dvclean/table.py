"""Column roles and the frame -> numpy boundary.

:func:`make_table` decides which column is the label, which is the row id and
which are features, and validates the label, collecting every problem into one
:class:`~dvclean.errors.DataValidationError`. :func:`prepare` is the only place
where a polars frame becomes numpy arrays: it fits a :class:`FeatureEncoder` on the
labelled rows and returns a :class:`ValuationData`.

Encoding (fitted on the labelled rows only):

* numeric columns: non-finite values count as missing, missing values are imputed
  with the median and get a 0/1 missing-indicator column, then standardised
  (computed after dividing by the largest magnitude, so 1e308 does not overflow);
* categorical columns (strings, booleans, integers with few distinct values, whole-number floats counted
  as integers):
  one-hot up to ``max_onehot`` categories (missing is its own category), above
  that frequency encoding (standardised) plus a missing indicator;
* dates and datetimes: days since the epoch plus year, month, day-of-week and,
  for datetimes, hour; durations and times as seconds;
* constant columns (including all-null ones) are dropped.

Task: :func:`resolve_task` decides whether the label holds classes or a numeric
regression target (``--task auto|classification|regression``). Class labels become
integer codes; a regression target is standardised (``(y - mean) / std`` over the
labelled rows, :attr:`ValuationData.target_center` / ``target_scale``), so values
and utilities are in units of the target's variance and "predict 0" means
"predict the mean target".
"""

from __future__ import annotations

import logging
import math
import re
import shlex
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from .config import FeatureConfig
from .errors import DataValidationError
from .io import TEXT_KINDS, SourceInfo, _frame_advice, either_way_date, json_format_advice, pandas_index_columns

__all__ = ["FeatureEncoder", "Table", "ValuationData", "make_table", "prepare", "resolve_task", "LABEL_CANDIDATES"]

log = logging.getLogger(__name__)

#: Column names used as the label when ``label`` is not given (exactly one must exist).
LABEL_CANDIDATES = ("label", "target", "y", "class")
_MAX_CLASSES = 1000
#: ``--task auto``: a float label whose values are not all integers and that has more than this many
#: distinct values is a regression target, and so is a label of whole numbers with more than this many distinct
#: values of which some fills a single row (:func:`_auto_regression`).
AUTO_REGRESSION_MIN_DISTINCT = 20
#: Up to this many whole numbers in a single row, the reason of an auto-detected regression target names them and
#: their rows (:func:`_auto_regression`): class codes with a stray value are detected so too.
AUTO_CODES_ONCE = 3
_TASKS = ("auto", "classification", "regression")
#: The provenance column ``dvclean augment`` adds (True on synthetic rows): never a feature.
PROVENANCE_COLUMN = "dvclean_synthetic"
#: Column added by ``dvclean fix --action mark`` (the row's issue, empty on the others).
ISSUE_COLUMN = "dvclean_issue"
#: Columns every `dvclean score` output has (:data:`dvclean.pipeline.OUTPUT_COLUMNS`): a table holding them all is
#: a scores file, refused as data.
SCORES_COLUMNS = ("value", "value_rank", "is_mislabeled", "is_hard", "mislabel_score", "is_label_missing")
#: Columns dvclean adds to a table it writes, never features of a later run: what they record.
MARKER_COLUMNS = {
    PROVENANCE_COLUMN: "added by `dvclean augment`, True on synthetic rows",
    ISSUE_COLUMN: "added by `dvclean fix --action mark`, the issue of each flagged row",
}
#: The marks ``dvclean fix --action mark`` writes into :data:`ISSUE_COLUMN` (empty on the other rows).
ISSUE_VALUES = ("mislabeled", "outlying target")


def is_marker_column(col: pl.Series) -> bool:
    """Whether ``col`` (named like one of :data:`MARKER_COLUMNS`) holds what dvclean writes there.

    ``dvclean_synthetic`` is Boolean; ``dvclean_issue`` holds only :data:`ISSUE_VALUES` or
    nothing. A column of the user's that happens to have the name holds something else and is
    an ordinary column.
    """
    if col.name == PROVENANCE_COLUMN:
        return col.dtype in (pl.Boolean, pl.Null)
    if col.dtype == pl.Null:
        return True
    if col.dtype not in (pl.String, pl.Categorical) and not isinstance(col.dtype, pl.Enum):
        return False
    text = col.cast(pl.String).drop_nulls()
    return bool(text.is_in(["", *ISSUE_VALUES]).all())


def _two_valued(col: pl.Series) -> bool:
    """Whether ``col`` holds at most two values that spell true/false (0/1, yes/no, t/f), as a re-saved Boolean does.

    >>> _two_valued(pl.Series([0, 1, 1, None])), _two_valued(pl.Series(["Yes", "no"])), _two_valued(pl.Series([0.5]))
    (True, True, False)
    """
    text = col.drop_nulls().cast(pl.String).str.strip_chars().str.to_lowercase().unique()
    return bool(text.len()) and (text.is_in(["0", "1", "0.0", "1.0"]).all() or text.is_in(["yes", "no"]).all()
                                 or text.is_in(["t", "f", "true", "false"]).all())


@dataclass(frozen=True, eq=False)
class Table:
    """A validated frame with column roles.

    Attributes
    ----------
    frame : polars.DataFrame
        The data as read, columns unchanged.
    label : str
        Name of the label column.
    features : tuple of str
        Columns used as features.
    id_column : str or None
        Row-id column (kept in outputs, never a feature); ``None`` means the
        0-based row number is the id.
    source : SourceInfo or None
        Where the frame came from.
    task : {"classification", "regression"}
        What the label is (resolved from ``--task``, see :func:`resolve_task`).
    task_reason : str
        Why: ``--task regression``, ``auto: float label with 442 distinct values``, ...
    """

    frame: pl.DataFrame
    label: str
    features: tuple[str, ...]
    id_column: str | None = None
    source: SourceInfo | None = None
    dropped: tuple[str, ...] = ()
    task: str = "classification"
    task_reason: str = ""
    #: Remarks on the column roles (e.g. the provenance column left out of the features).
    notes: tuple[str, ...] = ()
    #: The label column's type as read, where ``frame`` holds it as another (128-bit integer codes past 64 bits
    #: are classes by their text): outputs of the frame (``fix``) write it back so.
    label_read_as: Any = None

    @property
    def n_rows(self) -> int:
        """Number of rows."""
        return self.frame.height

    def varying_features(self) -> list[str]:
        """The feature columns with more than one value (null counts as one): the ones that tell rows apart.

        A constant or empty column is ignored by the encoder, so neither the valuation order
        (:func:`dvclean.pipeline.canonical_order`) nor a baseline's row identity
        (:func:`dvclean.check.identity_columns`) depends on it.
        """
        schema = self.frame.schema  # (built anew on every access: once, not per column)
        return [c for c in self.features
                if schema[c] != pl.Object and self.frame.get_column(c).n_unique() > 1]  # Object: not encoded

    def row_ids(self) -> pl.Series:
        """Return the row ids (the ``--id`` column or 0..n-1) as a Series named ``row_id`` or the id column."""
        if self.id_column is not None:
            return self.frame.get_column(self.id_column)
        return pl.Series("row_id", np.arange(self.frame.height, dtype=np.int64))


def _fmt_rows(rows: Sequence[int], limit: int = 5) -> str:
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return f"{shown}{more}"


def rows_text(rows: Sequence[int], word: str = "row") -> str:
    """``row 3`` or ``rows 3, 8 and 2 more``."""
    return f"{word}{'s' if len(rows) != 1 else ''} {_fmt_rows(rows)}"


def column_listing(columns: Sequence[str], limit: int = 30) -> str:
    """The first ``limit`` column names, quoted, and how many it leaves out.

    >>> column_listing(["a", "b", "c", "d"], limit=2)
    "'a', 'b' ... and 2 more"
    """
    shown = ", ".join(repr(c) for c in columns[:limit])
    return shown + (f" ... and {len(columns) - limit} more" if len(columns) > limit else "")


def close_column(name: str, columns: Sequence[str]) -> str | None:
    """The column a name that is not one most likely means: the column it spells in another letter case, else
    the closest one by :func:`difflib.get_close_matches` of the case-folded names; None when none is close.

    >>> close_column("Income_Class", ["c0", "income_class"]), close_column("income_clas", ["c0", "income_class"])
    ('income_class', 'income_class')
    >>> close_column("zzz", ["x1", "x2"]) is None
    True
    """
    import difflib

    folded: dict[str, str] = {}
    for c in columns:
        folded.setdefault(c.strip().casefold(), c)
    typed = name.strip().casefold()
    if typed in folded:
        return folded[typed]
    close = difflib.get_close_matches(typed, list(folded), n=1)
    return folded[close[0]] if close else None


def _json_as_csv(cols: Sequence[str], source: SourceInfo | None) -> str:
    """A hint for a CSV read whose header is a JSON record's first line (JSON lines written with spaces, as
    ``json.dumps`` does, parse as CSV), else ""."""
    if source is None or source.format != "csv" or not cols or not cols[0].lstrip().startswith(('{"', '[{"')):
        return ""
    kind = "json" if cols[0].lstrip().startswith("[") else "ndjson"
    return f" (the file looks like {TEXT_KINDS[kind]}, read as CSV text: {json_format_advice(kind)})"


def _mark_values(mark: pl.Series) -> pl.Series:
    """The synthetic rows of a ``dvclean_synthetic`` mark: true, or 1 / yes / t where another tool re-saved it."""
    if mark.dtype == pl.Boolean:
        return mark.fill_null(False)
    text = mark.cast(pl.String).str.strip_chars().str.to_lowercase()
    return text.is_in(["1", "1.0", "yes", "t", "true"]).fill_null(False)


def _withheld_columns(frame: pl.DataFrame, cols: Sequence[str], excluded: set[Any], label: str,
                      synthetic: pl.Series) -> tuple[str, ...]:
    """Add to ``excluded`` the columns empty on every synthetic row of an augmented file (``synthetic``: the rows
    its ``dvclean_synthetic`` mark marks) where the real rows of their classes are filled, and return the note
    naming them: ``augment --withhold`` leaves a column empty, so its missing-value indicator would be the synthetic
    mark itself, which is never a feature (an ``email`` column, ignored in the input as one distinct value per row,
    became one and changed the real rows' flags).

    Chance must not explain it: each synthetic row's cell is empty as often as the real rows' of its class are
    (of all real rows for a regression target, or a class no real row has), and the product of those shares over
    the synthetic rows must be below 1 in 1,000; and the real rows must be mostly filled. A column the generator
    left empty because its training rows were (a class that never fills it) stays a feature."""
    if not synthetic.any() or synthetic.all():
        return ()
    labels = frame.get_column(label)
    real = ~synthetic
    by_class = labels.filter(real).n_unique() <= max(2, int(real.sum()) // 2)  # (classes, not a target's values)
    rows = pl.DataFrame({"y": labels, "real": real})  # (each column's empty cells are added to it below)
    found = []
    for c in cols:
        if c in excluded or c == label:
            continue
        col = frame.get_column(c)
        empty = col.is_null() | (col.str.strip_chars() == "").fill_null(True) if col.dtype == pl.String else col.is_null()
        if not bool(empty.filter(synthetic).all()):
            continue
        overall = float(empty.filter(real).mean())
        if overall >= 0.5:  # (a column mostly empty in the real rows: its synthetic cells may all be, by the generator)
            continue
        if by_class:
            shares = rows.with_columns(empty=empty)
            per = shares.filter(pl.col("real")).group_by("y").agg(pl.col("empty").mean().alias("q"))
            q = shares.filter(~pl.col("real")).join(per, on="y", how="left", nulls_equal=True).get_column("q")
            q = q.fill_null(overall).to_numpy()
        else:
            q = np.full(int(synthetic.sum()), overall)
        if float(np.prod(q)) < 1e-3:
            found.append(c)
    if not found:
        return ()
    excluded.update(found)
    names = ", ".join(map(repr, found[:10])) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
    many = len(found) > 1
    return (f"column{'s' if many else ''} {names} {'are' if many else 'is'} empty on every synthetic row "
            f"({PROVENANCE_COLUMN}), where the real rows of their classes are filled, as `dvclean augment --withhold` "
            f"leaves a column: not used as {'features' if many else 'a feature'}, as {'their' if many else 'its'} "
            "missing values would mark the synthetic rows (--drop it to say so)",)


def make_table(
    frame: pl.DataFrame,
    *,
    label: str | None = None,
    id_column: str | None = None,
    drop: Sequence[str] = (),
    source: SourceInfo | None = None,
    task: str = "auto",
) -> Table:
    """Assign column roles and validate the label.

    Parameters
    ----------
    frame : polars.DataFrame
    label : str, optional
        Label column; when omitted, the one column named ``label``, ``target``,
        ``y`` or ``class`` (case-insensitive) is used.
    id_column : str, optional
        Row-id column.
    drop : str or sequence of str
        Columns to exclude from the features.
    source : SourceInfo, optional
    task : {"auto", "classification", "regression"}
        What the label is; ``auto`` follows :func:`resolve_task`.

    Raises
    ------
    DataValidationError
        Listing every problem found (unknown columns, unusable label, ...).

    Examples
    --------
    >>> import polars as pl
    >>> t = make_table(pl.DataFrame({"x": [1, 2, 3, 4], "y": ["a", "b", "a", "b"]}))
    >>> t.label, t.features
    ('y', ('x',))
    """
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"make_table() needs a polars DataFrame, got {type(frame).__module__}.{type(frame).__name__}; "
                        + _frame_advice(frame) + ' (dvclean.score takes one as it is)')
    # one name, as dvclean.score takes it (not its letters)
    drop = (drop,) if isinstance(drop, str) else tuple(drop) if isinstance(drop, Iterable) and not isinstance(
        drop, dict) else drop
    if not isinstance(drop, tuple) or not all(isinstance(d, str) for d in drop):
        raise TypeError(f"make_table(drop=...) takes a column name or a list of them, got {type(drop).__name__} "
                        f"{drop!r}")
    name = source.path if source is not None else "data"
    if frame.height == 0:
        raise DataValidationError(f"{name}: the table has no rows")
    cols = frame.columns
    if set(SCORES_COLUMNS) <= set(cols):
        raise DataValidationError(
            f"{name}: is a `dvclean score` output (columns {', '.join(SCORES_COLUMNS)}): its columns are each row's "
            "scores, not data, and used as features they would spell the labels (no row would look mislabeled); pass "
            "the data file that was scored (`dvclean report` reads a scores file)"
        )
    if source is not None and source.format == "csv":
        # a CSV's header names are read without surrounding spaces (" x3 " is x3): so are the names given for it
        def _as_read(c: str | None) -> str | None:
            return c.strip() if c is not None and c not in cols and c.strip() in cols else c

        label, id_column, drop = _as_read(label), _as_read(id_column), tuple(_as_read(d) or d for d in drop)

    def _same_letters(c: str | None) -> str | None:
        # a name typed in composed Unicode (NFC: what keyboards type) for a header written decomposed (NFD: macOS
        # file names, some exports), or the reverse: the same letters, shown alike in every message
        if c is None or c in cols:
            return c
        import unicodedata

        hits = [k for k in cols if unicodedata.normalize("NFC", k) == unicodedata.normalize("NFC", c)]
        return hits[0] if len(hits) == 1 else c

    label, id_column, drop = _same_letters(label), _same_letters(id_column), tuple(_same_letters(d) or d for d in drop)
    problems: list[str] = []
    listing = column_listing(cols)
    if label is not None and label in drop:  # (dropped columns are not even read, so say it before the lookup)
        raise DataValidationError(
            f"{name}: --drop {label} removes the label column {label!r} (--label); the label is never a feature, "
            "so take it out of --drop"
        )
    if label is None:
        found = [c for c in cols if c.strip().lower() in LABEL_CANDIDATES]
        named = [d for d in drop if d.strip().lower() in LABEL_CANDIDATES]
        if not found and named:
            raise DataValidationError(
                f"{name}: --drop {named[0]} removes {named[0]!r}, the column dvclean takes as the label when --label "
                "is not given; take it out of --drop (the label is never a feature), or pass --label COLUMN"
            )
        if len(found) != 1:
            why = ("no column is named label/target/y/class, so dvclean cannot tell which column is the label" if not found
                   else f"{len(found)} columns are named label/target/y/class ({', '.join(map(repr, found))}), so the "
                        "label column is ambiguous")
            raise DataValidationError(f"{name}: {why}{_json_as_csv(cols, source)}; pass --label COLUMN (label= in "
                                      f"Python; columns: {listing})")
        label = found[0]
    elif label not in cols:
        hint = ""
        if len(cols) == 1 and label in cols[0] and label != cols[0]:  # `'a' 'b' 'y'`: a separator the sniffer missed
            sep = next((c for c in (" ", "\t", ",", ";", "|", ":") if c in cols[0]), None)
            hint = (f" (the file was read as one column named {cols[0]!r}: pass its separator, e.g. --separator "
                    f"{sep!r})" if sep else "")
        hint = hint or _json_as_csv(cols, source)
        if not hint and (close := close_column(label, cols)) is not None:
            hint = f" (did you mean {close!r}?)"
        raise DataValidationError(f"{name}: label column {label!r} not found{hint}; pass --label (label= in Python) with one of: {listing}")
    if id_column is not None and id_column in drop:  # (like the label: dropped columns are not read)
        raise DataValidationError(
            f"{name}: --drop {id_column} removes the id column {id_column!r} (--id); the id is never a feature, "
            "so take it out of --drop"
        )
    if id_column is not None:
        if id_column not in cols:
            close = close_column(id_column, cols)
            hint = f"; did you mean {close!r}?" if close is not None else ""
            problems.append(f"id column {id_column!r} not found{hint} (columns: {listing})")
        elif id_column == label:
            problems.append(f"id column {id_column!r} is also the label; pick different columns")
        else:
            ids = frame.get_column(id_column)
            empty = ids.is_null() | ids.is_nan() if ids.dtype.is_float() else ids.is_null()  # NaN is no id either
            empty = empty.fill_null(True)
            if empty.any():
                rows = np.flatnonzero(empty.to_numpy()).tolist()
                blank = np.flatnonzero(frame.select(pl.all_horizontal(pl.all().is_null())).to_series().to_numpy())
                problems.append(f"id column {id_column!r} is empty at {rows_text(rows)}"
                                + ("" if not blank.size else " (empty in every column: blank lines?)"
                                   if blank.tolist() == rows else f" ({rows_text(blank.tolist())} empty in every column: "
                                   "blank lines?)") + "; every row needs an id: fill in those ids"
                                + (" (or remove the blank lines)" if blank.size else "") + ", or leave out --id "
                                + shlex.quote(id_column) + " (rows are then numbered 0, 1, 2, ...)")
            dup = ids.is_duplicated() & ~empty  # (empty ids are named above, not as repeats of one another)
            if dup.any():
                rows = np.flatnonzero(dup.to_numpy()).tolist()
                first = ids.filter(dup)[0]
                problems.append(f"id column {id_column!r} has repeated values (rows {_fmt_rows(rows)}; the id {first!r} "
                                f"more than once); ids must be unique: de-duplicate that column, or leave out --id {shlex.quote(id_column)} "
                                "(rows are then numbered 0, 1, 2, ...), and --drop it if it is no feature either")
    file_columns = set(source.columns) if source is not None and source.columns else set(cols)
    unknown = [d for d in drop if d not in cols and d not in file_columns]
    if unknown:
        parts = [p.strip() for d in unknown if "," in d for p in d.split(",")]
        split = [p for p in parts if p] and all(p in cols or p in file_columns for p in parts if p)
        hint = f"; --drop takes one column each: {' '.join(f'--drop {shlex.quote(p)}' for p in parts if p)}" if split else ""
        every = list(source.columns if source is not None and source.columns else cols)  # dropped ones too
        close = {} if split else {d: c for d in unknown if (c := close_column(d, every)) is not None}
        meant = ("" if not close else f"; did you mean {next(iter(close.values()))!r}?" if len(unknown) == 1
                 else f"; did you mean {', '.join(f'{c!r} for {d!r}' for d, c in close.items())}?")
        problems.append(f"--drop names unknown columns {', '.join(map(repr, unknown))}{meant} "
                        f"(columns: {column_listing(every)}){hint}")
    if label in drop:
        problems.append(f"--drop names the label column {label!r}")
    excluded = {label, id_column, *drop}
    notes: tuple[str, ...] = ()
    for marker, meaning in MARKER_COLUMNS.items():
        if marker in cols and marker not in excluded and is_marker_column(frame.get_column(marker)):
            # dvclean's own marks (synthetic rows, an earlier run's verdicts) say nothing about the rows' features,
            # and an earlier verdict used as a feature would decide the next one
            excluded.add(marker)
            notes += (f"column {marker!r} ({meaning}) is not used as a feature",)
        elif marker == PROVENANCE_COLUMN and marker in cols and marker not in excluded and _two_valued(frame.get_column(marker)):
            # (augment's mark re-saved by another tool as 0/1 or yes/no; a column of other values is the user's own)
            notes += (f"column {marker!r} has the name of the column `dvclean augment` adds, but holds "
                      f"{frame.schema[marker]} values, not true/false: it is used as a feature; if it is that mark "
                      "saved by another tool, write it back as true/false (so its synthetic rows are known as such)",)
    if PROVENANCE_COLUMN in cols and PROVENANCE_COLUMN not in (label, id_column):
        mark = frame.get_column(PROVENANCE_COLUMN)
        if is_marker_column(mark) or _two_valued(mark):  # (the mark, re-saved as 0/1 or --drop'ed, marks them too)
            notes += _withheld_columns(frame, cols, excluded, label, _mark_values(mark))
    for column, index_name in pandas_index_columns(source):
        if index_name is None and column in cols and column not in excluded:
            # the row labels pandas wrote for an unnamed index (a filtered frame's positions): no data, as an
            # unnamed index of a frame scored in memory is none; the column stays in the rows written
            excluded.add(column)
            notes += (f"column {column!r} is the unnamed index pandas stored in the file (row labels, not data); "
                      "it is not used as a feature",)
    features = tuple(c for c in cols if c not in excluded)
    schema = frame.schema  # (built anew on every access: once, not per column)
    nested = [c for c in features if schema[c].is_nested()]
    if nested:
        problems.append(
            f"{'column' if len(nested) == 1 else 'columns'} {', '.join(map(repr, nested))} "
            f"{'holds' if len(nested) == 1 else 'hold'} nested values (lists/structs); "
            f"flatten them or exclude them with {' '.join(f'--drop {shlex.quote(c)}' for c in nested)}"
        )
    if not features:
        problems.append("no feature columns are left besides the label and id; the data needs at least one feature")
    if task not in _TASKS:
        from .errors import ConfigError

        raise ConfigError(f"--task must be one of {', '.join(_TASKS)}; got {task!r}")
    label_col = frame.get_column(label)
    label_read_as = None
    if label_col.dtype in (pl.Int128, pl.UInt128):
        # a 128-bit integer label (polars writes and reads them in Parquet and Arrow): numpy has no such integers, and
        # every step that counts classes or targets crashed on it (exit 3); values within 64 bits are the same integers
        values = label_col.drop_nulls().to_list()  # (Python ints: an unsigned column takes no negative bound)
        beyond = [v for v in values if not -(2**63) <= v < 2**63]
        if beyond and task == "regression":
            problems.append(f"label column {label!r} holds integers beyond the 64-bit range (such as {beyond[0]}), "
                            "which no regression model takes as they are: cast it to a float first")
        elif beyond:  # codes (account, SIM numbers) a CSV spells with 20 digits or more: classes by their text
            label_read_as = label_col.dtype
            label_col = label_col.cast(pl.String)
            frame = frame.with_columns(label_col)
        else:
            label_col = label_col.cast(pl.Int64)
            frame = frame.with_columns(label_col)
    numbers = padded_numbers(label_col, merge=task == "regression")
    if numbers is not None:  # " 367.3": a CSV reader's text, the file's numbers (a regression target, or classes)
        frame = frame.with_columns(numbers)
        label_col = numbers
        notes = (*notes, f"label column {label!r} holds numbers padded with spaces: valued as those numbers")
    if task == "regression" and (formatted := formatted_numbers(label_col)) is not None:
        # "265558,22", "$1,234.50", "12.5%": a spreadsheet's numbers, read as a feature column's are
        numbers, how = formatted
        notes = (*notes, f"label column {label!r} holds numbers written {how} ({label_col.drop_nulls()[0]!r} is "
                         f"{numbers.drop_nulls()[0]!r}): valued as those numbers")
        frame = frame.with_columns(numbers)
        label_col = numbers
    label_problems = _label_problems(label_col, label, task)
    problems.extend(label_problems)
    if problems:
        raise DataValidationError([f"{name}: {p}" for p in problems])
    blank = np.flatnonzero(frame.select(pl.all_horizontal(pl.all().is_null())).to_series().to_numpy())
    if blank.size:  # a CSV's blank lines: polars reads each as a row, and row numbers follow the file's lines
        notes = (*notes, f"{blank.size} {'rows are' if blank.size != 1 else 'row is'} empty in every column ({rows_text(blank.tolist())}: blank lines?); "
                         "they are kept as rows without a label, so row numbers count them")
    resolved, reason = resolve_task(label_col, task)
    return Table(frame=frame, label=label, features=features, id_column=id_column, source=source, dropped=tuple(drop),
                 task=resolved, task_reason=reason, notes=notes, label_read_as=label_read_as)


def formatted_numbers(col: pl.Series) -> tuple[pl.Series, str] | None:
    """A text column of numbers as a spreadsheet writes them (a decimal comma, a currency or percent sign, thousands
    separators, a unit, a trailing minus), every cell one, as those numbers (Float64) and how they were written;
    None otherwise (plain numbers, other text, or a cell that is not such a number: the label's errors name those).
    What :class:`FeatureEncoder` reads a feature column of such numbers as.

    >>> numbers, how = formatted_numbers(pl.Series("p", ["1.234,50", "980,00", None] + [f"{i},25" for i in range(30)]))
    >>> numbers.to_list()[:3], how
    ([1234.5, 980.0, None], 'with a decimal comma')
    """
    if col.dtype != pl.String:
        return None
    encoder = FeatureEncoder(FeatureConfig(low_cardinality_int=0))  # (a target: however few its values)
    plan = encoder._text_numbers(col)
    if plan is None or plan.kind != "numeric" or encoder.text_numbers_ or not plan.params:
        return None  # (no plan params: plain numbers, the padded ones included, are not a spreadsheet's spelling)
    text = _trailing_minus(col, every=False) if plan.params.get("trailing_minus") else col
    numbers = encoder._plan_numbers(plan, text, fitting=True).cast(pl.Float64).alias(col.name)
    if numbers.null_count() != col.null_count():
        return None
    how = ("with a decimal comma" if encoder.decimal_comma_ else
           f"with a unit ({encoder.units_[col.name]})" if col.name in encoder.units_ else
           "with a currency or percent sign or thousands separators" if encoder.decorated_ else
           "with the minus after them")
    return numbers, how


def padded_numbers(col: pl.Series, *, merge: bool = True) -> pl.Series | None:
    """A text column of numbers padded with spaces (``" 367.3"``) as those numbers (integers when all are
    whole), else None: any cell that is not a number, no padding at all, or a zero-padded integer such
    as ``01`` (text kept on purpose, see :func:`dvclean.io.read_frame`) leaves the column as it is.

    ``merge=False`` (class labels): None also when two spellings would become one number (``" 1.0"`` beside
    ``"1"``), which are two classes unpadded too (the column keeps its text, and the note on such spellings).

    Examples
    --------
    >>> padded_numbers(pl.Series("y", [" 1.5", "2 ", None])).to_list(), padded_numbers(pl.Series(["01", " 1"]))
    ([1.5, 2.0, None], None)
    >>> padded_numbers(pl.Series("y", [" 1.0", "1", "2"]), merge=False) is None
    True
    """
    if col.dtype != pl.String:
        return None
    text = col.drop_nulls()
    stripped = text.str.strip_chars()
    if text.len() == 0 or not (stripped != text).any() or stripped.str.contains(r"^[+-]?0[0-9]").any():
        return None
    if stripped.cast(pl.Float64, strict=False).null_count():
        return None
    out = col.str.strip_chars().cast(pl.Float64)
    if not merge and text.n_unique() > out.drop_nulls().n_unique():
        return None
    present = out.drop_nulls()
    if bool((present == present.round(0)).all()) and bool((present.abs() < 2**53).all()):
        out = out.cast(pl.Int64)
    return out.alias(col.name)


def _continuous(col: pl.Series) -> tuple[bool, int]:
    """(float or decimal label with non-integer values and more than 20 distinct values, number of distinct values).

    A float at or beyond 2**53 is always a whole number (the format has no digits left for a fraction), so
    such values count as non-integer evidence: ``3.1e17`` is a measurement, not a class code.
    """
    if isinstance(col.dtype, pl.Decimal):  # a Parquet or Arrow decimal (12.3456): the same numbers, exactly written
        col = col.cast(pl.Float64)
    if not col.dtype.is_float():
        return False, 0
    vals = col.to_numpy().astype(np.float64, copy=False)  # (a float16 column cannot hold 2**53: compared as float64)
    finite = vals[np.isfinite(vals)]
    n_distinct = int(np.unique(finite).size)
    fractional = (finite != np.round(finite)) | (np.abs(finite) >= 2**53)
    return bool(fractional.any() and n_distinct > AUTO_REGRESSION_MIN_DISTINCT), n_distinct


def _whole_number_target(col: pl.Series) -> tuple[bool, int, np.ndarray]:
    """(a numeric label of whole numbers, more than 20 distinct values, some of them in a single row; the number of
    distinct values; the values a single row holds). Classes need two rows each (a class of one row is refused),
    so such a label cannot be valued as classes: it is a count or a measure in whole units (scikit-learn's diabetes
    progression, 214 distinct values on 442 rows, 84 of them once; an age, a price in whole dollars). Integers at or
    beyond 2**53 are codes, not quantities (and a float holds no more digits): never."""
    if isinstance(col.dtype, pl.Decimal):
        col = col.cast(pl.Float64)
    if not col.dtype.is_numeric() or col.dtype == pl.Boolean:
        return False, 0, np.empty(0)
    vals = col.drop_nulls().to_numpy()
    if col.dtype.is_float():
        vals = vals[np.isfinite(vals)]
        if not bool((vals == np.round(vals)).all()):
            return False, 0, np.empty(0)  # (non-integer: _continuous's case)
    if vals.size and float(np.abs(vals.astype(np.float64)).max()) >= 2**53:
        return False, 0, np.empty(0)
    uniq, counts = np.unique(vals, return_counts=True)
    once = uniq[counts == 1]
    return bool(counts.size > AUTO_REGRESSION_MIN_DISTINCT and once.size), int(counts.size), once


def _auto_regression(col: pl.Series) -> str | None:
    """Why ``--task auto`` values ``col`` as a regression target (the summary's reason), or None for classes: a float
    label with non-integer values and more than 20 distinct values (:func:`_continuous`), or a label of whole numbers
    with more than 20 distinct values, some of them in a single row (:func:`_whole_number_target`)."""
    continuous, n_distinct = _continuous(col)
    if continuous:
        return f"auto: float label with {n_distinct} distinct values"
    whole, n_distinct, once = _whole_number_target(col)
    if not whole:
        return None
    why = (f"auto: {col.dtype} label with {n_distinct} distinct whole numbers, {once.size} of them in a single row, "
           "which no class may be: a numeric target")
    if once.size <= AUTO_CODES_ONCE:  # (class codes with a stray value look so too: say what would make them classes)
        values = col.cast(pl.Float64).to_numpy()
        rows = [int(np.flatnonzero(values == v)[0]) for v in once.astype(np.float64)]
        singles = [f"{class_text(col[i])} at row {i}" for i in rows]
        why += (f"; if they are class codes, {' and '.join(singles)} {'needs' if once.size == 1 else 'need'} a second "
                "row or removal, and --task classification")
    return why


def resolve_task(col: pl.Series, requested: str = "auto") -> tuple[str, str]:
    """Decide whether a label column holds classes or a regression target.

    ``auto`` rule: a **float** (or decimal) label whose values are not all whole numbers and that
    has more than :data:`AUTO_REGRESSION_MIN_DISTINCT` (20) distinct values is a
    regression target, and so is a label of whole numbers (integers, or floats such as ``171.0``)
    with more than 20 distinct values of which some is held by a single row (as classes it would
    be refused: a class needs two rows); everything else (strings, booleans, ``0.0/1.0``-style
    floats, numbers with few values, whole numbers that each fill two rows or more) is classes.
    ``--task regression`` values any number column as a regression target.

    Returns
    -------
    task : {"classification", "regression"}
    reason : str
        For the summary, e.g. ``auto: float label with 442 distinct values``.

    Examples
    --------
    >>> resolve_task(pl.Series("y", [0.5 + i for i in range(30)]))
    ('regression', 'auto: float label with 30 distinct values')
    >>> resolve_task(pl.Series("y", [25 + i for i in range(30)]))
    ('regression', 'auto: Int64 label with 30 distinct whole numbers, 30 of them in a single row, which no class may be: a numeric target')
    >>> resolve_task(pl.Series("y", ["a", "b"]))[0]
    'classification'
    """
    if requested in ("classification", "regression"):
        return requested, f"--task {requested}"
    if (why := _auto_regression(col)) is not None:
        return "regression", why
    present = col.filter(pl.Series(~label_missing_mask(col)))  # (as the classes: a blank label is no class)
    reason = f"auto: {col.dtype} label with {present.n_unique()} distinct values"
    if col.dtype.is_numeric():  # ratings 1-5, counts: classes unless asked (each class's rows compared with its own)
        reason += "; --task regression values them as numbers"
    return "classification", reason


#: Up to this many distinct labels, numbers spelled two ways (``1``, ``1.0``) are taken for classes in the hints.
_FEW_CLASSES = 20


def _number_spellings(col: pl.Series, missing: np.ndarray) -> str | None:
    """For a text label column of plain numbers, some spelling one number in two ways (a CSV's ``1`` beside
    ``1.0``, which the reader keeps as text, so two classes): those spellings and the fix. None otherwise.

    >>> _number_spellings(pl.Series(["0", "1", "1.0", "0"]), np.zeros(4, dtype=bool))
    "'1' and '1.0' spell one number in two ways, so they are read as different classes: write each class one way"
    """
    from .diagnostics import number_spelling_key

    if col.dtype != pl.String:
        return None
    texts = col.filter(pl.Series(~missing)).str.strip_chars().unique().sort().to_list()
    spelled: dict[Any, list[str]] = {}
    for t in texts:
        if (key := number_spelling_key(t)) is not None:
            spelled.setdefault(key, []).append(t)
    same = [t for group in spelled.values() if len(group) > 1 for t in group]
    if not same:
        return None
    return (f"{' and '.join(map(repr, same[:4]))}{' ...' if len(same) > 4 else ''} spell one number in two ways, "
            "so they are read as different classes: write each class one way")


def _numeric_text_hint(col: pl.Series, missing: np.ndarray, *, regression: bool = False) -> str | None:
    """For a text label column of numbers that the reader left as text: what keeps it text, and the fix.

    At least :data:`MOSTLY_NUMERIC` of the cells plain numbers: the other cells, named with their rows, and
    ``--null-values`` to read them as missing; else numbers written with a currency or percent sign, thousands
    commas or a decimal comma: valued as classes, the hint points to ``--task regression``, which reads them as a
    feature column's are read; where that fails (``regression``: a cell that is no such number), write plain
    numbers. None otherwise.

    >>> _numeric_text_hint(pl.Series(["1.5"] * 30 + ["unknown"]), np.zeros(31, dtype=bool))
    "it holds numbers except 'unknown' at row 30: read those cells as missing with --null-values unknown, or fix them"
    """
    if col.dtype != pl.String:
        return None
    rows = np.flatnonzero(~missing)
    stripped = col.filter(pl.Series(~missing)).str.strip_chars()
    if stripped.len() == 0:
        return None
    numbers = stripped.cast(pl.Float64, strict=False).is_not_null().to_numpy()
    if numbers.all():
        if stripped.str.contains(r"^[+-]?0\d").any():  # codes kept as text on purpose (``01`` and ``1`` two classes)
            return None
        return "every cell is a number stored as text: store the column as numbers"
    if numbers.mean() >= MOSTLY_NUMERIC:
        odd = np.flatnonzero(~numbers)
        words = list(dict.fromkeys(stripped.gather(odd).to_list()))
        shown = ", ".join(f"{stripped[int(i)]!r} at row {int(rows[i])}" for i in odd[:5])
        more = f" and {odd.size - 5} more" if odd.size > 5 else ""
        listed = words[:5]
        also = ""
        if missing.any():  # --null-values replaces the default list: cells read as missing by it (NA) would turn text
            listed = with_default_nulls(listed)
            also = " (the list replaces the default one, which is repeated in it)"
        null_values = shlex.quote(",".join(listed)) if all("," not in w for w in listed) else None
        return (f"it holds numbers except {shown}{more}: "
                + (f"read those cells as missing with --null-values {null_values}{also}, or fix them" if null_values
                   else "fix or blank those cells"))
    if _decorated(stripped) or _decimal_comma(stripped) or _thousands_or_decimal(stripped) or _common_unit(stripped):
        if not regression and formatted_numbers(col) is not None:
            return (f"it holds numbers written as a spreadsheet formats them ({stripped[0]!r}): --task regression "
                    "reads them as numbers (ScoreConfig(task='regression') in Python)")
        return (f"it holds numbers written as a spreadsheet formats them ({stripped[0]!r}); the label column is "
                "read as written, so write its numbers plainly (1050.90)")
    return None


def _regression_problems(col: pl.Series, label: str, missing: np.ndarray) -> list[str]:
    dtype = col.dtype
    if not dtype.is_numeric():
        hint = _numeric_text_hint(col, missing, regression=True)
        if hint:
            return [f"label column {label!r} is text, not numbers, and --task regression needs a numeric target: {hint}"]
        return [
            f"label column {label!r} holds {dtype} values, not numbers; --task regression needs a numeric target "
            "(drop --task regression to value it as classes)"
        ]
    vals = col.cast(pl.Float64).to_numpy()
    present = vals[~missing]
    if present.size < 4:  # the outlier rule's out-of-fold predictions need 4 (and K-NN a neighbour besides each row)
        return [f"label column {label!r} has {present.size} non-empty values; a regression target needs at least 4 rows"]
    if np.unique(present).size == 1:
        return [f"label column {label!r} has one value only ({float(present[0]):g}); a regression target must vary: check --label"]
    problem = _target_magnitude_problem(present, np.flatnonzero(~missing), label)
    return [problem] if problem else []


def _label_problems(col: pl.Series, label: str, task: str = "auto") -> list[str]:
    dtype = col.dtype
    if dtype.is_nested() or dtype in (pl.Binary, pl.Object):
        how = ("decode the bytes to text (in polars, pl.col(name).cast(pl.String))"
               if dtype == pl.Binary else "keep one value per row: take the element that is the label, or join the "
               "parts into one text (in polars, pl.col(name).list.first(), .struct.field(...) or .list.join('|'))"
               if dtype.is_nested() else "convert its values to text or numbers (in pandas, df[name].astype(str))")
        return [f"label column {label!r} has type {dtype}; it must hold class names or numbers: {how}"]
    if dtype.base_type() == pl.Duration:  # (a CSV's ISO-8601 durations, PT90S, read as one too)
        return [f"label column {label!r} holds durations ({dtype}); it must hold class names or numbers: convert it to "
                "a number, e.g. of seconds, for a regression target, or to text for classes"]
    missing = label_missing_mask(col)
    n_present = int((~missing).sum())
    n_blank = blank_labels(col)
    if n_present == 0:
        if n_blank == col.len():
            return [f"label column {label!r} is empty in every row: every cell holds only spaces, and a blank label "
                    "counts as missing whatever --null-values says; fill in the labels"]
        blanks = (f" ({n_blank} of them hold only spaces, and a blank label counts as missing whatever --null-values "
                  "says)" if n_blank else "")
        return [f"label column {label!r} is empty in every row{blanks}; fill in the labels (in a CSV, the texts NA, "
                "None, null and the like read as empty: --null-values '' keeps a class spelled so)"]
    if dtype.is_float():
        vals = col.to_numpy()
        inf_rows = np.flatnonzero(np.isinf(vals)).tolist()
        if inf_rows:
            return [f"label column {label!r} is infinite at {rows_text(inf_rows)}; fix or blank those labels"]
    if task == "regression" or (task == "auto" and _auto_regression(col) is not None):
        return _regression_problems(col, label, missing)
    continuous, n_distinct = _continuous(col)
    if continuous:
        return [
            f"label column {label!r} looks continuous ({n_distinct} distinct non-integer values) but is valued as "
            "classes (--task classification): bin the target into classes, or value it as a regression target "
            "with --task auto or --task regression (score, check and fix)"
        ]
    numeric_hint = " (a numeric target? use --task regression, ScoreConfig(task='regression') in Python)" if dtype.is_numeric() and dtype != pl.Boolean else ""
    text_hint = _numeric_text_hint(col, missing)
    if text_hint:
        numeric_hint = f" (a numeric target? {text_hint})"
    present = col.filter(~pl.Series(missing))
    counts = present.alias("value").value_counts(sort=True, name="n")  # (a label named "n" must not clash)
    if (not text_hint or counts.height <= _FEW_CLASSES) and (spelled := _number_spellings(col, missing)):
        numeric_hint = f" ({spelled})"  # (classes: ``1`` beside ``1.0``; many numbers are rather a numeric target)
    if counts.height == 1:
        only = counts.get_column("value")[0]
        n_missing = int(missing.sum())
        why = ("an empty cell, or in a CSV a missing-value text such as NA, None or null; --null-values '' keeps a "
               "class spelled so")
        if n_blank:
            spaces = (f"{'it holds' if n_missing == 1 else 'all of them hold'} only spaces" if n_blank == n_missing
                      else f"{n_blank} of them hold only spaces")
            why = (f"{spaces}, and a blank label counts as missing whatever --null-values says"
                   + ("" if n_blank == n_missing else f"; the others: {why}"))
        hint = f" ({n_missing} other row{'s have' if n_missing > 1 else ' has'} no label: {why})" if n_missing else ""
        if dtype.is_float():  # (one number: neither classes nor a regression target to value against)
            return [f"label column {label!r} has one value only ({only!r}){hint}; valuation needs a label that varies "
                    "(two classes or more, or a regression target of many values): check --label"]
        return [
            f"label column {label!r} has one class only ({only!r}){hint}; "
            "valuation needs at least two classes: check --label"
        ]
    if counts.height > _MAX_CLASSES:
        return [
            f"label column {label!r} has {counts.height} distinct values; is it an id or a continuous target? "
            f"check --label{numeric_hint}"
        ]
    singles = counts.filter(pl.col("n") == 1).get_column("value").to_list()
    if singles:
        rows: list[int] = []
        for s in singles[:5]:
            rows.extend(np.flatnonzero((col == s).fill_null(False).to_numpy()).tolist())
        more = f" and {len(singles) - 5} more" if len(singles) > 5 else ""
        return [
            f"label column {label!r} has {len(singles)} class{'es' if len(singles) > 1 else ''} with a single row "
            f"({', '.join(f'{class_repr(s)} at row {r}' for s, r in zip(singles[:5], rows, strict=True))}{more}); a class "
            "needs at least two rows: no other row shows the models a class of one, so its row cannot be valued "
            f"(every method would call it wrong); fix those labels or remove those rows{numeric_hint}"
            f"{_respelled_singles(col, singles)}{_header_again(col, label, singles)}"
        ]
    return []


def with_default_nulls(words: list[str]) -> list[str]:
    """``words`` followed by the default ``--null-values`` (empty cells aside), each once: a ``--null-values``
    to suggest, as the option replaces the default list and cells it reads as missing (NA) would turn text.

    >>> with_default_nulls(["unknown", "NA"])[:4]
    ['unknown', 'NA', 'N/A', 'NaN']
    """
    from .io import _DEFAULT_NULLS

    return list(dict.fromkeys([*words, *(v for v in _DEFAULT_NULLS if v)]))


def _header_again(col: pl.Series, label: str, singles: list[Any]) -> str:
    """For a class of one row that is the label column's own name: that row is a header line repeated inside the
    file (two CSV files joined, each with its header), said so.

    >>> _header_again(pl.Series(["a", "b", "y", "a"]), "y", ["y"])
    "; row 2 holds the label column's own name, 'y': a header line repeated inside the file (files joined with their headers?): delete that line"
    """
    if not any(isinstance(s, str) and s.strip() == label.strip() for s in singles):
        return ""
    row = int(np.flatnonzero((col.cast(pl.String).str.strip_chars() == label.strip()).fill_null(False).to_numpy())[0])
    return (f"; row {row} holds the label column's own name, {label!r}: a header line repeated inside the file (files "
            "joined with their headers?): delete that line")


def _respelled_singles(col: pl.Series, singles: list[Any]) -> str:
    """For single-row text classes that another class spells differently (``>50k`` beside ``>50K``, a trailing
    space): which, as a hint appended to the error ("" when none)."""
    if col.dtype != pl.String:
        return ""
    from .diagnostics import _spelling_groups

    single = set(singles)
    groups = [spellings for spellings, _ in _spelling_groups(col) if single & set(spellings)]
    if not groups:
        return ""
    shown = "; ".join(" and ".join(map(repr, g[:4])) for g in groups[:3])
    return (f" ({shown}: one class spelled in different letter case, spacing or Unicode form? write each class one "
            "way)")


def _label_kind(dtype: pl.DataType) -> str:
    """``number``, ``text``, ``boolean`` or the dtype's name: labels of two kinds never name the same class."""
    if dtype.is_numeric():
        return "number"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "text"
    return "boolean" if dtype == pl.Boolean else str(dtype)


def blank_labels(col: pl.Series) -> int:
    """How many labels are text of only spaces (not empty): missing to :func:`label_missing_mask`, and to
    every ``--null-values``, which reads a cell as missing only when it is exactly one of its texts.

    >>> blank_labels(pl.Series(["a", " ", "", None, "  "]))
    2
    """
    if not (col.dtype == pl.String or col.dtype == pl.Categorical or isinstance(col.dtype, pl.Enum)):
        return 0
    text = col.cast(pl.String)
    return int(((text.str.strip_chars() == "") & (text != "")).fill_null(False).sum())


def label_missing_mask(col: pl.Series) -> np.ndarray:
    """Per row, True where the label is missing (null, NaN, or blank text): the rows that are not valued."""
    mask = col.is_null().to_numpy()
    if col.dtype.is_float():
        mask = mask | np.isnan(col.fill_null(0.0).to_numpy())
    elif col.dtype == pl.String or col.dtype == pl.Categorical or isinstance(col.dtype, pl.Enum):
        # (a category's text too: a pandas category or a Parquet dictionary column of ' ' is no class either)
        mask = mask | (col.cast(pl.String).str.strip_chars() == "").fill_null(True).to_numpy()
    return np.asarray(mask, dtype=bool)


@dataclass(frozen=True, eq=False)
class ValuationData:
    """Plain arrays for the valuation methods.

    Attributes
    ----------
    x, y : numpy.ndarray
        Features (n_players, n_features) and integer class codes of the rows that
        are valued (the players: rows with a label); for a regression target, ``y``
        is the standardised target ``(target - target_center) / target_scale``.
    rows : numpy.ndarray
        Position in the table of each player.
    classes : numpy.ndarray
        Class value of each code (empty for a regression target).
    x_valid, y_valid : numpy.ndarray or None
        A separate validation set; ``None`` means every player is also a
        validation point for all the others (leave-self-out).
    feature_names : tuple of str
        Names of the encoded feature columns.
    """

    x: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    classes: np.ndarray
    x_valid: np.ndarray | None = None
    y_valid: np.ndarray | None = None
    feature_names: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    task: str = "classification"
    target_center: float = 0.0
    target_scale: float = 1.0

    def __post_init__(self) -> None:
        """Check the arrays as the methods expect them (they index with them): a mistake in arrays built by
        hand is a :class:`DataValidationError` naming the field, not a wrong value or an IndexError deep inside.
        Lists and other array-likes are stored as numpy arrays, as the methods use them."""
        if self.task not in ("classification", "regression"):
            raise DataValidationError([f"ValuationData: task must be 'classification' or 'regression', got {self.task!r}"])
        problems = _array_problems(self)
        if problems:
            raise DataValidationError([f"ValuationData: {p}" for p in problems])
        for name in ("x", "y", "rows", "classes", "x_valid", "y_valid"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, np.ndarray):
                object.__setattr__(self, name, np.asarray(value))
            if (name in ("y", "y_valid") and value is not None and not self.is_regression
                    and not np.issubdtype(getattr(self, name).dtype, np.integer)):
                # class codes held as whole floats (checked above): the methods index and count with them
                object.__setattr__(self, name, getattr(self, name).astype(np.int64))

    @property
    def is_regression(self) -> bool:
        """True when ``y`` is a (standardised) regression target."""
        return self.task == "regression"

    def target_values(self, y: np.ndarray) -> np.ndarray:
        """Standardised targets back in the units of the label column."""
        return np.asarray(y, dtype=np.float64) * self.target_scale + self.target_center

    @property
    def n_players(self) -> int:
        """Number of valued rows."""
        return int(self.x.shape[0])

    @property
    def leave_self_out(self) -> bool:
        """True when the players are their own validation set."""
        return self.x_valid is None


def _array_problems(d: ValuationData) -> list[str]:
    problems: list[str] = []

    def features(name: str, x: Any, n_features: int | None) -> int | None:
        x = np.asarray(x)
        if x.ndim != 2:
            problems.append(f"{name} must be 2-D (rows, features), got shape {x.shape}")
            return None
        if not np.issubdtype(x.dtype, np.number) or np.issubdtype(x.dtype, np.complexfloating):
            problems.append(f"{name} must hold real numbers, got dtype {x.dtype}")
            return None
        bad = np.flatnonzero(~np.isfinite(x).all(axis=1))
        if bad.size:
            problems.append(f"{name} has a missing or infinite value at {rows_text(bad.tolist())}; impute or drop those rows")
        if n_features is not None and x.shape[1] != n_features:
            problems.append(f"{name} has {x.shape[1]} feature columns and x has {n_features}; they must match")
        return int(x.shape[0])

    def targets(name: str, y: Any, n: int | None) -> None:
        y = np.asarray(y)
        if y.ndim != 1:
            problems.append(f"{name} must be 1-D, got shape {y.shape}")
            return
        if n is not None and y.size != n:
            problems.append(f"{name} has {y.size} values for {n} rows")
        if not np.issubdtype(y.dtype, np.number) or np.issubdtype(y.dtype, np.complexfloating):
            problems.append(f"{name} must hold {'numbers' if d.is_regression else 'integer class codes 0..C-1'} "
                            f"(np.unique(labels, return_inverse=True) turns class names into codes), got dtype {y.dtype}")
            return
        yf = y.astype(np.float64)
        if not np.isfinite(yf).all():
            problems.append(f"{name} has a missing or infinite value at {rows_text(np.flatnonzero(~np.isfinite(yf)).tolist())}")
        elif not d.is_regression:
            n_classes = len(d.classes)
            bad = np.flatnonzero((yf != np.round(yf)) | (yf < 0) | ((yf >= n_classes) if n_classes else False))
            if bad.size:
                problems.append(f"{name} must hold integer class codes 0..{max(n_classes - 1, 0)} (one per entry of "
                                f"classes), got {yf[bad[0]]:g} at {rows_text(bad.tolist())}")

    n = features("x", d.x, None)
    targets("y", d.y, n)
    if np.asarray(d.rows).shape != (n,) and n is not None:
        problems.append(f"rows has shape {np.asarray(d.rows).shape}; it needs one table position per row of x ({n})")
    if (d.x_valid is None) != (d.y_valid is None):
        problems.append("x_valid and y_valid go together: give both or neither")
    elif d.x_valid is not None:
        n_features = int(np.asarray(d.x).shape[1]) if np.asarray(d.x).ndim == 2 else None
        n_valid = features("x_valid", d.x_valid, n_features)
        targets("y_valid", d.y_valid, n_valid)
        if n_valid == 0:
            problems.append("x_valid has no rows: a validation set needs at least one (or give none: every row is then "
                            "valued against the others)")
    return problems


@dataclass
class _ColumnPlan:
    name: str
    kind: str  # numeric | onehot | frequency | temporal
    params: dict[str, Any]


#: Seed of the content hashes (:func:`column_fingerprints`, :func:`dvclean.pipeline.canonical_order`).
HASH_SEED = 0x5EED


def hashable(name: str, dtype: pl.DataType) -> pl.Expr:
    """Column ``name`` in a form whose hash depends on the values only: numbers and booleans as
    64-bit floats (integers read as floats in another file hash alike; NaN as missing, -0.0 as 0.0), text, categories, dates
    as text, datetimes as their instant (microseconds since the epoch and the nanoseconds beyond) and
    durations as their length, whatever the time unit (pandas' nanoseconds and the microseconds a
    CSV reads back hash alike), times by their physical integers (polars cannot cast them to text),
    anything else as it is."""
    col = pl.col(name)
    if dtype.is_numeric() or dtype == pl.Boolean:
        return col.cast(pl.Float64).fill_nan(None) + 0.0  # a NaN hashes as a missing value, -0.0 as 0.0
    if isinstance(dtype, pl.Datetime):
        return col.dt.timestamp("us").cast(pl.String) + "." + (col.dt.nanosecond() % 1000).cast(pl.String)
    if isinstance(dtype, pl.Duration):
        micro = col.dt.total_microseconds()
        beyond = col.to_physical() - micro * 1000 if dtype.time_unit == "ns" else pl.lit(0)  # (the sign of micro's)
        return micro.cast(pl.Float64) + beyond.cast(pl.Float64) / 1000
    if isinstance(dtype, pl.Time) or dtype in (pl.Duration, pl.Time):
        return col.to_physical().cast(pl.Float64)
    if dtype in (pl.String, pl.Categorical, pl.Date) or isinstance(dtype, (pl.Categorical, pl.Enum, pl.Datetime)):
        return col.cast(pl.String)
    return col


def column_fingerprints(frame: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """A 64-bit fingerprint of each column's values: the wrapping sum of their hashes.

    It depends on the multiset of values only, not on the column's name, its position or the
    order of the rows. The hash is polars' with a fixed seed: stable within a polars version.
    """
    cols = list(columns)
    if not cols:
        return np.zeros(0, dtype=np.uint64)
    schema = frame.schema  # (built anew on every access: once, not per column)
    out = np.zeros(len(cols), dtype=np.uint64)
    # A few columns' hashes per select (about 4M cells, 32 MB): one select per column cost
    # O(width) each, quadratic in the columns (50 s at 2,000 columns); all at once 8 bytes a cell.
    step = max(1, _FINGERPRINT_CELLS // max(1, frame.height))
    with np.errstate(over="ignore"):
        for a in range(0, len(cols), step):
            part = cols[a : a + step]
            h = frame.select([hashable(c, schema[c]).hash(seed=HASH_SEED).alias(str(i)) for i, c in enumerate(part)])
            out[a : a + len(part)] = h.to_numpy().astype(np.uint64, copy=False).sum(axis=0, dtype=np.uint64)
    return out


#: Cells hashed per select in :func:`column_fingerprints`.
_FINGERPRINT_CELLS = 1 << 22


#: Mixes two 64-bit hashes (boost's ``hash_combine`` constant, the golden ratio).
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _paired_fingerprints(frame: pl.DataFrame, tied: list[str], others: list[str],
                         base: np.ndarray | None = None) -> np.ndarray:
    """Fingerprints of columns whose values are the same multiset, from how their values pair
    with the rows of the ``others`` (row by row), or with ``base`` (a uint64 per row): equal only
    when the columns are equal row by row (then their order cannot matter) or nothing else tells
    the rows apart."""
    schema = frame.schema
    if base is None:
        base = (frame.select([hashable(c, schema[c]) for c in others]).hash_rows(seed=HASH_SEED).to_numpy()
                .astype(np.uint64, copy=False) if others else np.zeros(frame.height, dtype=np.uint64))
    cells = frame.select([hashable(c, schema[c]).hash(seed=HASH_SEED).alias(str(i)) for i, c in enumerate(tied)])
    with np.errstate(over="ignore"):
        h = cells.to_numpy().astype(np.uint64, copy=False)
        mixed = h ^ (base[:, None] + _GOLDEN + (h << np.uint64(6)) + (h >> np.uint64(2)))
        return (mixed * _GOLDEN).sum(axis=0, dtype=np.uint64)


def content_order(frame: pl.DataFrame, columns: Sequence[str], label: str | None = None) -> list[str]:
    """``columns`` sorted by their values: an order that renaming or moving columns does not change.

    The key is :func:`column_fingerprints` (the multiset of a column's values); columns that hold
    the same multiset in a different row order (two 0/1 columns with as many ones) are told apart
    by how their values pair with the other columns' rows, then (columns that share their multiset
    with every other one, as the factors of a balanced designed experiment do) by how they pair with
    the ``label``'s classes, each named by its size, not its name (renaming the classes changes
    nothing); only columns still tied fall back to their names.

    Examples
    --------
    >>> df = pl.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "x"], "c": [0.5, 0.1, 0.2]})
    >>> moved = df.select(["c", "b", "a"]).rename({"a": "z"})
    >>> [df.columns.index(c) for c in content_order(df, df.columns)] == [
    ...     ["a", "b", "c"].index({"z": "a"}.get(c, c)) for c in content_order(moved, moved.columns)]
    True
    """
    cols = list(dict.fromkeys(columns))
    keys = [int(k) for k in column_fingerprints(frame, cols)]
    count: dict[int, int] = {}
    for k in keys:
        count[k] = count.get(k, 0) + 1
    second = [0] * len(cols)
    if any(c > 1 for c in count.values()):
        unique = sorted((k, c) for k, c in zip(keys, cols, strict=True) if count[k] == 1)
        tied = [i for i, k in enumerate(keys) if count[k] > 1]
        paired = _paired_fingerprints(frame, [cols[i] for i in tied], [c for _, c in unique])
        for i, v in zip(tied, paired.tolist(), strict=True):
            second[i] = int(v)
    third = [0] * len(cols)
    pairs: dict[tuple[int, int], int] = {}
    for k, v in zip(keys, second, strict=True):
        pairs[(k, v)] = pairs.get((k, v), 0) + 1
    still = [i for i in range(len(cols)) if pairs[(keys[i], second[i])] > 1]
    if still and label is not None and label in frame.columns and label not in cols:
        sizes = frame.select(pl.len().over(label).cast(pl.Float64)).to_series()  # (a class by its size)
        base = sizes.hash(seed=HASH_SEED).to_numpy().astype(np.uint64, copy=False)
        for i, v in zip(still, _paired_fingerprints(frame, [cols[i] for i in still], [], base=base).tolist(),
                        strict=True):
            third[i] = int(v)
    return [cols[i] for i in sorted(range(len(cols)), key=lambda i: (keys[i], second[i], third[i], cols[i]))]


def _constant_reason(kind: str, col: pl.Series) -> str:
    """Why a column whose encoding is constant is not a feature: one value, or (frequency-encoded text) values
    that all occur equally often, such as an id (once each) or an id of rows written twice."""
    present = col.drop_nulls()
    n_unique = present.n_unique()
    if kind != "frequency" or n_unique <= 1:
        return "constant"
    if n_unique == present.len():
        return "a distinct value in every row"
    return f"{n_unique} values, each in {present.len() // n_unique} rows: its frequency encoding is constant"


class FeatureEncoder:
    """Turns feature columns into a standardised float matrix.

    Settings in the constructor, data in :meth:`fit` / :meth:`transform`. The encoded columns
    follow :func:`content_order` (an order set by the columns' values), not the file's: tree
    ensembles draw features by position and break ties between equal splits by it, so with
    the file's order moving a column (not renaming it) moved the models' probabilities and
    changed flags (4 of 400 rows in one QA run). :attr:`dropped_` keeps the caller's order.
    """

    def __init__(self, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        self.plans_: list[_ColumnPlan] = []
        self.feature_names_: list[str] = []
        self.dropped_: list[str] = []
        #: why each column of ``dropped_`` is not a feature: "empty", "constant", "type Binary", ...
        self.dropped_reasons_: dict[str, str] = {}
        #: text columns valued as numbers (see :data:`MOSTLY_NUMERIC`): name -> (cells that are not
        #: numbers, cells with text, up to three of those values)
        self.text_numbers_: dict[str, tuple[int, int, list[str]]] = {}
        #: text columns of numbers with too many text cells to value as numbers (kept as a category): name ->
        #: (cells that are numbers, cells with text, the sorted distinct spellings of the other cells)
        self.numbers_with_text_: dict[str, tuple[int, int, list[str]]] = {}
        #: numeric columns with infinite cells (valued as missing): name -> how many
        self.infinite_: dict[str, int] = {}
        #: frequency-coded text columns in which most rows (but not :data:`MOSTLY_DISTINCT`) hold a value no other row
        #: holds: name -> (those rows, all rows)
        self.many_distinct_: dict[str, tuple[int, int]] = {}
        #: text columns of numbers written with a decimal comma (``0,168``, ``1.234,5``), valued as numbers
        self.decimal_comma_: list[str] = []
        #: text columns of numbers with a currency or percent sign or thousands commas (``$1,234.50``, ``45%``)
        self.decorated_: list[str] = []
        #: text columns valued as numbers whose negative numbers carry the minus after them (``42,696.62-``)
        self.trailing_minus_: list[str] = []
        self.units_: dict[str, str] = {}  # column -> the unit its numbers are written with (``kg``)
        #: text columns of numbers whose one comma may group thousands or mark decimals (``367,260``), left as
        #: text: name -> an example cell
        self.ambiguous_commas_: dict[str, str] = {}
        #: text columns valued as dates: name -> (format, cells that are not dates, cells with text, up to three)
        self.text_dates_: dict[str, tuple[str, int, int, list[str]]] = {}
        #: text columns of dates in several spellings, left as categories: name -> [(format, cells), ...]
        self.mixed_dates_: dict[str, list[tuple[str, int]]] = {}
        #: text-date columns read day first whose every date reads month first too: name -> such a cell
        self.either_way_dates_: dict[str, str] = {}
        #: text columns of a typed file (Parquet, JSON) whose every cell is a plain number, left as text as the file
        #: declares them: name -> an example cell
        self.declared_text_numbers_: dict[str, str] = {}
        self._untyped: frozenset[str] = frozenset()
        self._keep = np.zeros(0, dtype=bool)
        self._fitted_x: np.ndarray | None = None
        self._dims_: dict[str, list[int]] = {}
        self._all_names: list[str] = []  # (every encoded dimension's name, the constant ones too)
        self.all_constant_ = False

    def fit(self, frame: pl.DataFrame, columns: Sequence[str], label: str | None = None, *,
            untyped: Collection[str] = ()) -> FeatureEncoder:
        """Learn the encoding of ``columns`` from ``frame`` (``label``: its label column, which orders columns
        that :func:`content_order` cannot tell apart by their values alone). ``untyped``: text columns made text
        by cells outside ``frame`` (a CSV column of numbers with ``Source: ...`` in a row without a label): a
        column of plain numbers among them is numbers, not text the file declares."""
        self._untyped = frozenset(untyped)
        self.plans_, self.dropped_, self.dropped_reasons_, self.text_numbers_ = [], [], {}, {}
        self.decimal_comma_, self.decorated_, self.ambiguous_commas_, self.text_dates_ = [], [], {}, {}
        self.trailing_minus_ = []
        self.units_ = {}
        self.mixed_dates_, self.either_way_dates_ = {}, {}
        self.numbers_with_text_, self.declared_text_numbers_ = {}, {}
        self.infinite_, self.many_distinct_ = {}, {}
        for name in dict.fromkeys(columns):
            col = frame.get_column(name)
            plan = self._plan(col)
            distinct = _mostly_distinct(col) if plan is not None and plan.kind == "frequency" else None
            if plan is None or distinct is not None:
                self.dropped_.append(name)
                self.dropped_reasons_[name] = distinct or _unused_reason(col)
            else:
                self.plans_.append(plan)
                if plan.kind == "frequency" and (share := _distinct_share(col)) is not None:
                    self.many_distinct_[name] = share
        # the encoded columns in an order fixed by their values (a forest's and a solver's results depend on it),
        # a text column valued as numbers (1.234,5 or "1,234.5") ordered by those numbers as a column of plain
        # numbers is: the same table exported in a German or a US spelling is encoded alike
        as_numbers = self.text_numbers(frame)
        place = {c: i for i, c in enumerate(content_order(frame.with_columns(as_numbers) if as_numbers else frame,
                                                          columns, label))}
        self.plans_.sort(key=lambda plan: place[plan.name])
        self._fitted_x = self._encode(frame, fitting=True)
        for plan in self.plans_:  # every encoded dimension of the column constant: not a feature either
            if not any(self._keep[i] for i in self._dims_.get(plan.name, [])):
                self.dropped_.append(plan.name)
                col = frame.get_column(plan.name)
                self.dropped_reasons_[plan.name] = _constant_reason(plan.kind, col)
        self.dropped_ = [c for c in columns if c in self.dropped_reasons_]
        self.all_constant_ = False
        if self._fitted_x.shape[1] == 0:
            has_values = not all(_no_values(frame.get_column(c)) for c in columns)
            if not has_values:
                reasons = {_unused_reason(frame.get_column(c)) for c in columns}
                what = ("holds no finite value (infinities only)" if reasons == {"no finite value"}
                        else "is empty or holds no finite value" if "no finite value" in reasons else "is empty")
                raise DataValidationError(
                    f"no usable feature: every feature column ({', '.join(map(repr, list(columns)[:10]))}) "
                    f"{what}; fill in feature values or pick other columns"
                )
            # every row looks the same to a model: keep one constant feature so that the rows can still be
            # compared (e.g. to flag duplicates with conflicting labels) and say so
            self.all_constant_ = True
            self.feature_names_ = ["<constant>"]
            self._fitted_x = np.zeros((frame.height, 1))
        return self

    def missing_indicators(self) -> list[int]:
        """Positions, in the encoded columns, of the 0/1 indicators of a missing (imputed) number, date or
        frequency code: a row with a 1 in any of them lacks a feature value."""
        kept = np.cumsum(self._keep) - 1
        names = self._all_names
        out = []
        for plan in self.plans_:
            if plan.kind == "onehot":  # (a missing category is a category of its own)
                continue
            dims = self._dims_.get(plan.name, [])
            # (each number the column gives, a date's days and year too, is followed by its indicator when it has one)
            out += [int(kept[j]) for i, j in zip(dims, dims[1:], strict=False)
                    if names[j] == f"{names[i]}__missing" and self._keep[j]]
        return sorted(out)

    def transform(self, frame: pl.DataFrame) -> np.ndarray:
        """Encode ``frame`` (a polars or pandas DataFrame or a :class:`Table`, holding the fitted feature columns) with
        the fitted plan: a float matrix with the columns :attr:`feature_names_` names."""
        if isinstance(frame, Table):
            frame = frame.frame
        elif not isinstance(frame, pl.DataFrame):
            from .io import as_source

            converted = as_source(frame)  # (pandas, a LazyFrame, pyarrow; a TypeError for anything else)
            if not isinstance(converted, pl.DataFrame):
                raise TypeError(f"FeatureEncoder.transform takes a DataFrame or a Table, not {type(frame).__name__}")
            frame = converted
        columns = set(frame.columns)
        missing = [p.name for p in self.plans_ if p.name not in columns]
        if missing:
            raise DataValidationError(f"validation data lacks feature columns {', '.join(map(repr, missing))}")
        if self.all_constant_:
            return np.zeros((frame.height, 1))
        return self._encode(frame, fitting=False)

    def fit_transform(self, frame: pl.DataFrame, columns: Sequence[str], label: str | None = None, *,
                      untyped: Collection[str] = ()) -> np.ndarray:
        """Fit, returning the encoding of the fitting frame."""
        self.fit(frame, columns, label, untyped=untyped)
        x, self._fitted_x = self._fitted_x, None
        return x

    # -- planning ---------------------------------------------------------------
    def _plan(self, col: pl.Series) -> _ColumnPlan | None:
        cfg = self.config
        dtype = col.dtype
        if _no_values(col):
            return None
        if dtype.is_temporal():
            return _ColumnPlan(col.name, "temporal", {})
        if dtype.is_numeric():
            if (dtype.is_integer() or whole_floats(col)) and distinct_values(col) <= cfg.low_cardinality_int:
                return self._categorical_plan(col)
            if dtype.is_integer() and max(abs(int(col.min())), abs(int(col.max()))) > 2**53:
                # beyond 2**53 a float cannot tell neighbouring integers apart (2**63 + 1 .. 2**63 + 150 are one
                # float): measure from the smallest, in exact integer arithmetic, before converting
                return _ColumnPlan(col.name, "numeric", {"offset": int(col.min())})
            return _ColumnPlan(col.name, "numeric", {})
        if dtype == pl.String:
            numbers = self._text_numbers(col)
            if numbers is not None:
                return numbers
            dates = self._text_dates(col)
            if dates is not None:
                return dates
        if dtype in (pl.String, pl.Boolean, pl.Categorical) or isinstance(dtype, pl.Enum):
            return self._categorical_plan(col)
        # (said once, by the "ignored feature columns" note of prepare(), which may encode the rows twice)
        log.debug("column %r has type %s, which dvclean cannot encode; it is ignored", col.name, dtype)
        return None

    def _text_numbers(self, col: pl.Series) -> _ColumnPlan | None:
        """:meth:`_numbers_of_text`'s plan, of the column with each trailing minus moved to the front where it writes
        negative numbers so (``42,696.62-``, as SAP and mainframe reports do: :func:`_trailing_minus`)."""
        moved = _trailing_minus(col)
        if moved is None:
            return self._numbers_of_text(col)
        plan = self._numbers_of_text(moved, moved=True)
        if plan is not None:
            plan.params["trailing_minus"] = True
            self.trailing_minus_.append(col.name)
        return plan

    def _numbers_of_text(self, col: pl.Series, *, moved: bool = False) -> _ColumnPlan | None:
        """A numeric plan for a text column of numbers that a CSV reader could not type, else None.

        Three cases, common in exported files: numbers padded with spaces (every value is a
        number once stripped; a declared text column of unpadded numbers is left as text), numbers
        with an infinity spelled ``Inf``, ``-Inf`` or ``Infinity`` (a non-finite value, imputed as
        missing ones are), and a
        column of numbers with a few stray cells (a typo, ``unknown``, ``-``: at least
        :data:`MOSTLY_NUMERIC` of the cells are numbers). The stray cells become missing values
        (with the missing indicator) and :attr:`text_numbers_` records them for a note. A column
        with at most ``low_cardinality_int`` distinct numbers stays categorical, as integer columns do.
        """
        text = col.drop_nulls()
        stripped = text.str.strip_chars()
        numbers = stripped.cast(pl.Float64, strict=False)
        amounts = _amount_text(stripped)  # (USD 1,324.05 as $1,324.05: read as amounts are)
        one_currency = len(_signs(amounts)) <= 1  # ($4,780.22 beside JPY 380,058: not one scale, the column stays text)
        if one_currency and _decimal_comma(amounts):  # 0,168 and 1.234,5 (a European spreadsheet's export): numbers too
            numbers = _comma_numbers(amounts)
            bad = int(numbers.null_count())
            if bad <= (1 - MOSTLY_NUMERIC) * text.len() and numbers.drop_nulls().n_unique() > self.config.low_cardinality_int:
                self.decimal_comma_.append(col.name)
                if bad:
                    examples = text.filter(numbers.is_null()).unique(maintain_order=True).head(3).to_list()
                    self.text_numbers_[col.name] = (bad, int(text.len()), examples)
                return _ColumnPlan(col.name, "numeric", {"decimal_comma": True, "signs": _signs(amounts)})
            return None
        parsed = int(text.len() - numbers.null_count())
        bad = int(text.len()) - parsed
        if bad > (1 - MOSTLY_NUMERIC) * text.len() and one_currency and _decorated(amounts):  # $1,234.50, 45%, 1,234,567
            numbers = _decorated_numbers(amounts)
            bad = int(numbers.null_count())
            if numbers.drop_nulls().n_unique() <= self.config.low_cardinality_int:
                return None
            self.decorated_.append(col.name)
            if bad:
                examples = text.filter(numbers.is_null()).unique(maintain_order=True).head(3).to_list()
                self.text_numbers_[col.name] = (bad, int(text.len()), examples)
            return _ColumnPlan(col.name, "numeric", {"decorated": True, "signs": _signs(amounts)})
        # (a few `5 kg` among bare numbers stay stray cells, named in a note, as a lone typo `1.5x` does)
        unit = _common_unit(stripped) if bad > (1 - MOSTLY_NUMERIC) * text.len() else None
        if unit is not None and _CODE_SIGN.get(unit) == "€" and _dots_group_thousands(stripped):
            unit = None  # 1.250 EUR beside 980 EUR: as 1.250 € and EUR 1.250 (:func:`_decorated`), left as text
        if unit is not None:  # 19.2 kg, 4715.28 USD: one unit in every cell
            numbers = _unit_numbers(stripped, unit)
            if unit in _ALL_CODES and numbers.null_count():  # (1,234.50 USD and (15.00) USD: amounts, as _encode reads)
                numbers = numbers.fill_null(_decorated_numbers(_fitted_amounts(stripped, [_CODE_SIGN[unit]])))
            bad = int(numbers.null_count())
            if numbers.drop_nulls().n_unique() <= self.config.low_cardinality_int:
                return None
            self.units_[col.name] = unit
            if bad:
                examples = text.filter(numbers.is_null()).unique(maintain_order=True).head(3).to_list()
                self.text_numbers_[col.name] = (bad, int(text.len()), examples)
            return _ColumnPlan(col.name, "numeric", {"unit": unit})
        if bad > (1 - MOSTLY_NUMERIC) * text.len() and _thousands_or_decimal(amounts):
            self.ambiguous_commas_[col.name] = str(stripped.filter(stripped.str.contains(",", literal=True)).first())
            return None
        if parsed == 0 or numbers.drop_nulls().n_unique() <= self.config.low_cardinality_int:
            return None
        plus = stripped.str.starts_with("+")
        if (bad == 0 and not moved and not (stripped != text).any() and not numbers.is_infinite().any()
                and not (plus.any() and not plus.all()) and col.name not in self._untyped):
            # declared text (Parquet, JSON) of plain numbers: the user's choice; but a CSV column with an infinity
            # spelled Inf, -Inf or Infinity (R, Java, JavaScript, PostgreSQL), or of signed numbers (+64 and -3, as
            # C's printf("%+d") and many instruments write them), is one the CSV reader could not type; a column
            # whose every value starts with + (calling codes: +1, +44) stays text
            if not moved and not stripped.str.contains(r"^[+-]?0\d").any():  # (leading zeros: a code, said nothing)
                # (whole numbers, distinct in nearly every row, are an order number's, left to the identifier note)
                whole = not stripped.str.contains(r"[.eE]").any()
                if not (whole and numbers.n_unique() >= 0.9 * text.len()):
                    self.declared_text_numbers_[col.name] = str(stripped.first())
            return None
        if bad > (1 - MOSTLY_NUMERIC) * text.len():
            if parsed >= 0.5 * text.len():  # mostly numbers, with placeholder text (unknown, n/a): name it in a note
                others = sorted(set(stripped.filter(numbers.is_null()).to_list()))
                self.numbers_with_text_[col.name] = (parsed, int(text.len()), others)
            return None
        if bad:
            examples = text.filter(numbers.is_null()).unique(maintain_order=True).head(3).to_list()
            self.text_numbers_[col.name] = (bad, int(text.len()), examples)
        return _ColumnPlan(col.name, "numeric", {})

    def _text_dates(self, col: pl.Series) -> _ColumnPlan | None:
        """A temporal plan for a text column of dates that the reader could not type, else None.

        A column of dates with a few cells in another spelling (``05/07/2021`` or ``2021-02-30``
        among ``2021-07-05``) or of dates in a spelling the reader does not type (``05.07.2021``):
        the format of :data:`TEXT_DATE_FORMATS` that reads the most cells is used when it reads at
        least :data:`MOSTLY_NUMERIC` of them. The other cells become missing values, and
        :attr:`text_dates_` records them for a note.
        """
        text = col.drop_nulls().str.strip_chars()
        reads = _date_reads(text)
        if reads is None:
            return None
        fmt = text_date_format(col, reads)
        if fmt is None:
            zoned = text.str.contains(_ZONED_ISO).fill_null(False).to_numpy()
            if zoned.mean() < MOSTLY_NUMERIC or _zoned_dates(text).drop_nulls().n_unique() <= 1:
                if text.len() - max(int(ok.sum()) for ok in reads.values()) > (1 - MOSTLY_NUMERIC) * text.len():
                    # no one format reads enough: several spellings? (ISO timestamps with a UTC offset among them,
                    # which no format reads: 2022-06-04T15:15:00+01:00 beside 2022-09-21 22:09:00)
                    self._mixed_dates(col.name, {**reads, ZONED_ISO: zoned} if zoned.any() else reads, text.len())
                return None
            fmt = ZONED_ISO  # ISO 8601 timestamps with a UTC offset or Z, as JSON writes them: valued in UTC
        parsed = _text_dates(text, fmt)
        bad = int(parsed.null_count())
        examples = col.drop_nulls().filter(parsed.is_null()).unique(maintain_order=True).head(3).to_list()
        self.text_dates_[col.name] = (fmt, bad, int(text.len()), examples)
        if fmt.startswith("%d") and (either := either_way_date(text.filter(parsed.is_not_null()))) is not None:
            self.either_way_dates_[col.name] = either
        return _ColumnPlan(col.name, "temporal", {"format": fmt})

    def _mixed_dates(self, name: str, reads: dict[str, np.ndarray], total: int) -> None:
        """Record (for a note) a text column of dates written in several spellings: no one format reads
        :data:`MOSTLY_NUMERIC` of its cells, all of them together do. Guessing would be wrong for
        ``05/07/2021`` (May or July?), so the column stays a category. The spellings named are a greedy
        cover: the format that reads the most cells not yet read, then the next (so ``DD/MM/YYYY``, which
        reads the US dates up to the 12th, does not count as a third spelling next to ``MM/DD/YYYY``)."""
        left = np.ones(total, dtype=bool)
        spellings: list[tuple[str, int]] = []
        while True:
            fmt = max(reads, key=lambda f: int((reads[f] & left).sum()))
            mine = reads[fmt] & left
            if not mine.any():
                break
            spellings.append((fmt, int(mine.sum())))
            left &= ~mine
        if len(spellings) > 1 and left.sum() <= (1 - MOSTLY_NUMERIC) * total:
            self.mixed_dates_[name] = spellings

    def _categorical_plan(self, col: pl.Series) -> _ColumnPlan | None:
        text = _as_text(col)
        counts = text.alias("value").value_counts(sort=True, name="n")  # (a column named "n" must not clash)
        cats = counts.get_column("value").to_list()
        if len(cats) <= 1:
            return None
        if len(cats) <= self.config.max_onehot:
            return _ColumnPlan(col.name, "onehot", {"categories": sorted(cats, key=lambda c: (c is None, str(c)))})
        freq = dict(zip(cats, (counts.get_column("n") / col.len()).to_list(), strict=True))
        return _ColumnPlan(col.name, "frequency", {"freq": freq})

    # -- encoding ---------------------------------------------------------------
    def _plan_numbers(self, plan: _ColumnPlan, col: pl.Series, fitting: bool) -> pl.Series:
        """A numeric plan's column as the numbers it is valued by, before scaling (a text column of ``1.234,5``,
        ``$1,234.50``, ``19.2 kg`` read as those numbers)."""
        if plan.params.get("decorated") and col.dtype == pl.String:
            values = _decorated_numbers(_fitted_amounts(col.str.strip_chars(), plan.params.get("signs")))
        elif plan.params.get("unit") is not None and col.dtype == pl.String:
            # (a --valid file may leave the unit off: its bare numbers are read as the same unit's)
            values = _unit_numbers(col.str.strip_chars(), plan.params["unit"])
            if plan.params["unit"] in _ALL_CODES and values.null_count() > col.null_count():
                # (a currency: USD 1,234.50 or $1,234.50 is an amount in it too)
                values = values.fill_null(_decorated_numbers(
                    _fitted_amounts(col.str.strip_chars(), [_CODE_SIGN[plan.params["unit"]]])))
        elif plan.params.get("decimal_comma") and col.dtype == pl.String and (
            fitting or not _decimal_points(_fitted_amounts(col.str.strip_chars(), plan.params.get("signs")))
        ):  # (a --valid file may write the same numbers with decimal points, as numbers or as text)
            values = _comma_numbers(_fitted_amounts(col.str.strip_chars(), plan.params.get("signs")))
        elif plan.params.get("decimal_comma") and col.dtype == pl.String:
            values = _unsigned(_fitted_amounts(col.str.strip_chars(), plan.params.get("signs"))).cast(
                pl.Float64, strict=False)
        elif plan.params.get("offset") is not None:
            offset = pl.lit(plan.params["offset"], dtype=pl.Int128)
            values = pl.select((col.cast(pl.Int128, strict=False) - offset).cast(pl.Float64)).to_series()
        else:
            values = _as_numbers(col)
        return values

    def text_numbers(self, frame: pl.DataFrame) -> list[pl.Series]:
        """The columns of ``frame`` written as text and valued as numbers (a decimal comma, a currency sign or
        thousands separators, a unit, a trailing minus), each as those numbers (Float64, unscaled, in ``frame``'s
        order): :func:`dvclean.pipeline.score` orders rows by them, so ``19.685,98`` and ``19685.98`` order alike."""
        out = []
        for plan in self.plans_:
            col = frame.get_column(plan.name) if plan.name in frame.columns else None
            if plan.kind != "numeric" or col is None or col.dtype != pl.String:
                continue
            if plan.params.get("trailing_minus"):
                col = _trailing_minus(col, every=False)
            out.append(self._plan_numbers(plan, col, True).cast(pl.Float64, strict=False).rename(plan.name))
        return out

    def _encode(self, frame: pl.DataFrame, *, fitting: bool) -> np.ndarray:
        blocks: list[np.ndarray] = []
        names: list[str] = []
        dims: dict[str, list[int]] = {}
        for plan in self.plans_:
            col = frame.get_column(plan.name)
            first = len(names)
            if plan.params.get("trailing_minus") and col.dtype == pl.String:
                col = _trailing_minus(col, every=False)
            if plan.kind == "numeric":
                b, n = self._numeric(plan, self._plan_numbers(plan, col, fitting).to_numpy(), plan.name, fitting)
            elif plan.kind == "onehot":
                b, n = self._onehot(plan, col)
            elif plan.kind == "frequency":
                text = _as_text(col)
                freq = text.replace_strict(plan.params["freq"], default=0.0, return_dtype=pl.Float64)
                vals = freq.to_numpy().copy()
                if text.null_count():  # (a float's NaN is missing too)
                    vals[text.is_null().to_numpy()] = np.nan
                b, n = self._numeric(plan, vals, plan.name, fitting, key="freq_scale")
            else:
                fmt = plan.params.get("format")
                if fmt and col.dtype == pl.String:  # text dates (see _text_dates)
                    dates = read_text_dates(col, fmt)
                    own = None if fitting or dates.null_count() == col.null_count() else text_date_format(col)
                    if own is not None and own != fmt:  # a --valid file that spells them otherwise (2021-07-05)
                        other = read_text_dates(col, own)
                        turned = _day_month_swapped(own)
                        # (01 Jan 2023 has no month number to swap; 04.07.2021 is day first wherever it is written)
                        if (turned in TEXT_DATE_FORMATS and "%m" in own and "%d" in own
                                and _month_first(turned) == _month_first(fmt) != _month_first(own)):
                            # every date reads both ways (7/4/2021 07:13): in the data's order, month or day first
                            same_order = read_text_dates(col, turned)
                            if same_order.null_count() <= other.null_count():
                                other = same_order
                        if other.null_count() < dates.null_count():
                            dates = other.cast(pl.Datetime("us") if has_clock(fmt) else pl.Date)
                    if not fitting and dates.null_count() > col.null_count():  # ISO 8601 with a Z or fractions
                        dates = _iso_fallback(col, dates, fmt)
                    col = dates
                elif fmt and (col.dtype == pl.Date or isinstance(col.dtype, pl.Datetime)):
                    # a --valid file whose reader typed the dates: as the fitted text's type (a time of day or not)
                    col = col.cast(pl.Datetime("us") if has_clock(fmt) else pl.Date)
                b, n = self._temporal(plan, col, fitting)
            blocks.append(b)
            names.extend(n)
            dims[plan.name] = list(range(first, len(names)))
        x = np.hstack(blocks) if blocks else np.empty((frame.height, 0))
        if fitting:
            self._dims_, self._all_names = dims, names
            std = x.std(axis=0) if x.shape[0] else np.zeros(x.shape[1])
            self._keep = std > 1e-12
            self.feature_names_ = [n for n, k in zip(names, self._keep, strict=True) if k]
        return np.ascontiguousarray(x[:, self._keep], dtype=np.float64)

    def _numeric(
        self, plan: _ColumnPlan, vals: np.ndarray, name: str, fitting: bool, key: str = "scale"
    ) -> tuple[np.ndarray, list[str]]:
        vals = np.asarray(vals, dtype=np.float64)
        bad = ~np.isfinite(vals)
        if fitting and key == "scale" and name == plan.name and (n_inf := int(np.isinf(vals).sum())):
            self.infinite_[name] = n_inf  # (valued as missing: a note says so, see _encode_rows)
        if fitting:
            good = vals[~bad]
            big = float(np.abs(good).max()) if good.size else 1.0
            big = big if big > 0 else 1.0
            g = good / big
            center = float(np.median(g)) if g.size else 0.0
            spread = float(g.std()) if g.size else 0.0
            plan.params[key] = {"big": big, "median": center, "mean": float(g.mean()) if g.size else 0.0,
                                "std": spread if spread > 0 else 1.0, "indicator": bool(bad.any())}
        p = plan.params[key]
        scaled = np.where(bad, p["median"], np.where(bad, 0.0, vals) / p["big"])
        z = (scaled - p["mean"]) / p["std"]
        cols = [z[:, None]]
        names = [name]
        if p["indicator"]:
            cols.append(bad.astype(np.float64)[:, None])
            names.append(f"{name}__missing")
        return np.hstack(cols), names

    def _onehot(self, plan: _ColumnPlan, col: pl.Series) -> tuple[np.ndarray, list[str]]:
        cats = plan.params["categories"]
        mapping = {c: i for i, c in enumerate(cats) if c is not None}
        text = _as_text(col)
        codes = text.replace_strict(mapping, default=-1, return_dtype=pl.Int64).to_numpy()
        codes = np.where(text.is_null().to_numpy(), cats.index(None) if None in cats else -1, codes)
        out = np.zeros((col.len(), len(cats)), dtype=np.float64)
        ok = codes >= 0
        out[np.flatnonzero(ok), codes[ok]] = self.config.onehot_scale
        names = [f"{plan.name}={'<missing>' if c is None else c}" for c in cats]
        return out, names

    def _temporal(self, plan: _ColumnPlan, col: pl.Series, fitting: bool) -> tuple[np.ndarray, list[str]]:
        dtype = col.dtype
        parts: dict[str, pl.Series] = {}
        if dtype == pl.Date or isinstance(dtype, pl.Datetime):
            seconds = col.dt.epoch("s")
            if isinstance(dtype, pl.Datetime):  # with the fraction of a second (timestamps 1 ms apart are no constant)
                fraction = (col.dt.timestamp("us") - seconds * 1_000_000).cast(pl.Float64) / 1e6
                parts["days"] = (seconds.cast(pl.Float64) + fraction) / 86400.0
            else:
                parts["days"] = seconds.cast(pl.Float64) / 86400.0
            parts["year"] = col.dt.year().cast(pl.Float64)
            parts["month"] = col.dt.month().cast(pl.Float64)
            parts["weekday"] = col.dt.weekday().cast(pl.Float64)
            if isinstance(dtype, pl.Datetime):
                parts["hour"] = col.dt.hour().cast(pl.Float64)
        elif isinstance(dtype, pl.Duration):
            # (whole microseconds, then seconds: the same float whatever the unit; total_seconds of a
            # nanosecond and of a microsecond column differ in the last bit)
            parts["seconds"] = col.dt.total_microseconds().cast(pl.Float64) / 1e6
        else:  # Time
            parts["seconds"] = col.cast(pl.Int64).cast(pl.Float64) / 1e9
        blocks, names = [], []
        for part, series in parts.items():
            sub = plan.params.setdefault("parts", {}).setdefault(part, {})
            holder = _ColumnPlan(plan.name, "numeric", sub)
            b, n = self._numeric(holder, series.to_numpy(), f"{plan.name}.{part}", fitting)
            blocks.append(b)
            names.extend(n)
        return np.hstack(blocks), names


#: A text column in which more than this share of the rows hold a value that no other row holds is an identifier or
#: free text (names, comments), not a category: its frequency code would be constant but for the few repeated values,
#: which it would make far outliers (two rows of 300 sharing a value: 12 standard deviations from the others). Rows
#: without a value count against the share (a column filled in on some rows only tells them from the others).
MOSTLY_DISTINCT = 0.95


def _mostly_distinct(col: pl.Series) -> str | None:
    """Why a frequency-coded text column is not a feature when more than :data:`MOSTLY_DISTINCT` of its rows hold
    a value no other row holds; else None.

    >>> _mostly_distinct(pl.Series([f"id{i}" for i in range(40)] + ["id0"])), _mostly_distinct(pl.Series(["a", "b", "a"]))
    ('a value no other row holds in 39 of 41 rows: its frequency code would only tell the few rows that share one', None)
    """
    present = col.drop_nulls()
    if present.len() == 0:
        return None
    counts = present.value_counts().get_column("count")
    once = int((counts == 1).sum())
    if once == present.len() == col.len() or once <= MOSTLY_DISTINCT * col.len():  # (all distinct: a constant code)
        return None
    return (f"a value no other row holds in {once} of {col.len()} rows: its frequency code would only tell the few rows "
            "that share one")


#: A frequency-coded text column in which more than this share of the rows hold a value no other row holds (but not
#: :data:`MOSTLY_DISTINCT`) gets a note: free text or an identifier, whose code sets the few repeated rows apart.
MANY_DISTINCT = 0.5


def _distinct_share(col: pl.Series) -> tuple[int, int] | None:
    """(rows holding a value no other row holds, rows) of a kept frequency-coded column when the first is more than
    :data:`MANY_DISTINCT` of the second; else None.

    >>> _distinct_share(pl.Series([f"c{i}" for i in range(30)] + ["c0", "c1"])), _distinct_share(pl.Series(["a", "b", "a"]))
    ((28, 32), None)
    """
    present = col.drop_nulls()
    if present.len() == 0:
        return None
    once = int((present.value_counts().get_column("count") == 1).sum())
    return (once, col.len()) if once > MANY_DISTINCT * col.len() and once < present.len() else None


def _no_values(col: pl.Series) -> bool:
    """Whether a column holds no value to learn from: every cell missing, or NaN or infinite (missing values to
    the encoder, as a pandas frame's NaN and a CSV's ``nan`` cells already are).

    >>> _no_values(pl.Series([float("nan"), None])), _no_values(pl.Series([float("inf"), 1.0])), _no_values(pl.Series([None, "a"]))
    (True, False, False)
    """
    if col.dtype == pl.Null or col.null_count() == col.len():
        return True
    return col.dtype.is_float() and not bool(col.is_finite().fill_null(False).any())


def _unused_reason(col: pl.Series) -> str:
    """Why :meth:`FeatureEncoder._plan` gave ``col`` no plan."""
    if _no_values(col):  # (every cell missing or NaN; a float column of infinities has values, none of them finite)
        return "no finite value" if col.dtype.is_float() and bool(col.is_infinite().fill_null(False).any()) else "empty"
    dtype = col.dtype
    if dtype.is_temporal() or dtype.is_numeric() or dtype in (pl.String, pl.Boolean, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "constant"
    return f"type {dtype}, which dvclean cannot encode"


#: A text column is valued as numbers when at least this share of its cells are numbers (the
#: others become missing values, named in a note): one typo must not turn a measurement into a
#: category with a frequency code, as polars' type inference (all cells or text) would.
MOSTLY_NUMERIC = 0.95


#: Separators that can only group thousands: spaces (also the no-break and thin ones a spreadsheet writes) and
#: apostrophes (``1'234'567``, Swiss; also the typographic one).
_SPACE = r"[ \x{A0}\x{202F}\x{2009}]"
_APOSTROPHE = r"['\x{2019}]"
_CURRENCY = r"[$€£¥]"
#: Digits grouped by one of those separators (``1 234 567``, ``1'234``).
_SPACE_GROUPS = rf"\d(?:{_SPACE}|{_APOSTROPHE})\d{{3}}(?:\D|$)"
#: The whole part of a decimal-comma number: plain, or dots, spaces or apostrophes between groups of three.
_COMMA_WHOLE = rf"(?:\d+|\d{{1,3}}(?:\.\d{{3}})+|\d{{1,3}}(?:{_SPACE}\d{{3}})+|\d{{1,3}}(?:{_APOSTROPHE}\d{{3}})+)"
#: A number written with a decimal comma, optionally with dots, spaces or apostrophes between groups of three
#: digits and a currency or percent sign as in :data:`_DECORATED_NUMBER`: ``-0,5``, ``1.234,56``, ``4.715,28 €``,
#: ``19,2 %``, ``1 234,56``; or a negative amount in parentheses, with its decimals: ``(1 234,56) €``.
_COMMA_NUMBER = (rf"^(?:[+-]?\s*{_CURRENCY}?\s*[+-]?{_COMMA_WHOLE}(?:,\d+)?\s*[$€£¥%]?"
                 rf"|{_CURRENCY}?\s*\(\s*{_CURRENCY}?\s*{_COMMA_WHOLE},\d+\s*{_CURRENCY}?\s*\)\s*{_CURRENCY}?)$")

#: ISO 4217 codes of currencies written before or after an amount (``USD 1,324.05``, ``1.234,56 EUR``), by the sign
#: that stands for them in the patterns above: a dollar, pound or yen sign before an amount makes a comma before three
#: digits a thousands one (:data:`_DOLLAR_THOUSANDS`); the euro sign leaves it ambiguous, as for the other codes.
_CURRENCY_CODES = {"$": ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "TWD"), "£": ("GBP",), "¥": ("JPY", "CNY"),
                   "€": ("EUR", "CHF", "SEK", "NOK", "DKK", "ISK", "PLN", "CZK", "HUF", "RON", "BGN", "INR", "BRL",
                         "ZAR", "RUB", "UAH", "TRY", "KRW", "ILS", "THB", "IDR", "MYR", "PHP", "VND", "ARS", "CLP",
                         "COP", "PEN", "AED", "SAR", "EGP", "NGN", "KES", "PKR")}


def _amount_text(stripped: pl.Series) -> pl.Series:
    """Stripped text cells as the amount patterns read them: a currency code as its sign (:func:`_codes_as_signs`),
    unless the column names more than one currency (``100.50 USD`` and ``120 JPY`` are not one scale: the column
    stays text, as ``5 kg`` and ``300 g`` do) or is numbers followed by one unit (``4715.28 USD`` in every cell:
    :func:`_common_unit` reads those, and names the unit in its note)."""
    if not stripped.str.contains(r"[A-Z]{3}").any():
        return stripped
    named = pl.concat([stripped.str.extract(r"^[+-]?\s*([A-Z]{3})\s", 1), stripped.str.extract(r"\s([A-Z]{3})$", 1)])
    if named.drop_nulls().filter(named.drop_nulls().is_in(list(_ALL_CODES))).n_unique() > 1:
        return stripped
    return _codes_as_signs(stripped) if _common_unit(stripped) is None else stripped


#: Every code of :data:`_CURRENCY_CODES`, and the sign that stands for it.
_CODE_SIGN = {c: sign for sign, codes in _CURRENCY_CODES.items() for c in codes}
_ALL_CODES = frozenset(_CODE_SIGN)
#: Any code of :data:`_ALL_CODES` as a word.
_ANY_CODE = r"\b(?:" + "|".join(sorted(_ALL_CODES)) + r")\b"


def _signs(amounts: pl.Series) -> list[str]:
    """The currency signs an amount column writes (after :func:`_codes_as_signs`)."""
    return [c for c in "$€£¥" if amounts.str.contains(c, literal=True).any()]


def _fitted_amounts(stripped: pl.Series, signs: Sequence[str] | None) -> pl.Series:
    """A ``--valid`` file's cells of an amount column as its amounts are read (currency codes as their signs), a
    cell in a currency the data's column does not write (``EUR 5.00`` where it writes ``$1,234.50``) missing; any
    currency where it writes none (``1,234,567``).

    >>> _fitted_amounts(pl.Series(["USD 5.00", "EUR 5.00", "€5", "$5", "5"]), ["$"]).to_list()
    ['$5.00', None, None, '$5', '5']
    """
    out = _codes_as_signs(stripped)
    other = "".join(c for c in "$€£¥" if c not in (signs or "$€£¥"))
    if not other:
        return out
    return pl.select(pl.when(out.str.contains(f"[{re.escape(other)}]")).then(None).otherwise(out)).to_series().alias(
        stripped.name)


def _codes_as_signs(stripped: pl.Series) -> pl.Series:
    """Stripped text cells with a currency code before or after the amount, apart from it by a space, written as its
    sign before the amount (:data:`_CURRENCY_CODES`): ``USD 1,324.05`` and ``1,324.05 USD`` are ``$1,324.05`` (a
    dollar sign before the amount: its comma groups thousands), ``-EUR 12`` is ``-€12``, ``1.234,56 EUR`` is
    ``€1.234,56``; other cells as they are: ``CAD-1042`` or ``PEN0001`` is an identifier, and so is ``PEN 0001``
    (no amount starts with a zero before another digit).

    >>> _codes_as_signs(pl.Series(["USD 1,324.05", "-EUR 12", "1.234,56 EUR", "USDT 5", "12 usd", "GBP (3.50)",
    ...                            "CAD-1042", "PEN 0001", "USD 0.50", "-12.5 USD", "5 USD", "(USD 5.00)", "05 USD"])).to_list()
    ['$1,324.05', '-€12', '€1.234,56', 'USDT 5', '12 usd', '£(3.50)', 'CAD-1042', 'PEN 0001', '$0.50', '$-12.5', '$5', '$(5.00)', '05 USD']
    """
    if not stripped.str.contains(_ANY_CODE).any():  # (12 regular expressions over every cell: 2.4 s per million)
        return stripped
    out = stripped
    for sign, codes in _CURRENCY_CODES.items():
        code = "|".join(codes)
        literal = sign.replace("$", "$$")  # (a dollar in a replacement names a group)
        out = out.str.replace(rf"^([+-]?)\s*(?:{code})\s+([+-]?\s*(?:\(|\.\d|[1-9]|0[.,]|0$))", f"${{1}}{literal}${{2}}")
        out = out.str.replace(rf"^([+-]?)\(\s*(?:{code})\s+([+-]?\s*(?:\.\d|[1-9]|0[.,]|0\s*\)))", f"${{1}}{literal}(${{2}}")
        out = out.str.replace(rf"^([+-]?\s*(?:\([^A-Z]*|\.\d[^A-Z]*|[1-9][^A-Z]*|0|0[.,][^A-Z]*))\s+(?:{code})$",
                              f"{literal}${{1}}")
    return out


#: A currency or percent sign before or after a number (and the spaces around it).
_SIGN = r"^[+-]?\s*[$€£¥]\s*|\s*[$€£¥%]$"


def _unsigned(stripped: pl.Series) -> pl.Series:
    """Text cells less a currency or percent sign (``-€12`` is ``-12``, ``19,2 %`` is ``19,2``)."""
    minus = stripped.str.contains(r"^-\s*[$€£¥]").fill_null(False)
    core = stripped.str.replace_all(_SIGN, "")
    return pl.select(pl.when(minus).then(pl.lit("-") + core).otherwise(core)).to_series().alias(stripped.name)


def _mostly(stripped: pl.Series, pattern: str) -> pl.Series | None:
    """Which of a text column's cells match ``pattern``, when at least :data:`MOSTLY_NUMERIC` of them do; else None."""
    if stripped.len() == 0:
        return None
    matches = stripped.str.contains(pattern).fill_null(False)
    return matches if matches.mean() >= MOSTLY_NUMERIC else None


def _decimal_comma(stripped: pl.Series) -> bool:
    """Whether a text column's cells are numbers with a decimal comma: at least :data:`MOSTLY_NUMERIC` of them
    match :data:`_COMMA_NUMBER`, some hold a comma (``12`` alone is an ordinary number), and one of those cannot
    be a number with a thousands comma (``1,234`` can be either and is left as text): its comma is followed by
    other than three digits (``2,5``), preceded by a lone zero (``0,168``), or its dots group thousands
    (``5.106,52``, ``1.234.567``), in more cells than hold proof of thousands commas (``1,234,567``, ``$4,715``).

    >>> _decimal_comma(pl.Series(["0,5", "12", "3,25"])), _decimal_comma(pl.Series(["1,234", "12,500", "999"]))
    (True, False)
    >>> _decimal_comma(pl.Series(["123.456", "1.234.567", "999"])), _decimal_comma(pl.Series(["1,234,567", "2,5", "1,234"]))
    (True, False)
    """
    matches = _mostly(stripped, _COMMA_NUMBER)
    if matches is None:
        return False
    core = _unsigned(stripped.filter(matches))
    comma = core.str.contains(",", literal=True).fill_null(False)
    decimal = (comma & core.str.contains(rf",(?:\d{{1,2}}|\d{{4,}})\)?$|^[+-]?\(?0,|\.|\d(?:{_SPACE}|{_APOSTROPHE})\d{{3}},")
               .fill_null(False)) | (
        core.str.contains(r"^[+-]?\d{1,3}(?:\.\d{3}){2,}$").fill_null(False))  # (1.234.567 and 1 234,5: thousands)
    # cells that can only hold thousands commas (1,234,567, 1,234.5, $4,715: :data:`_DOLLAR_THOUSANDS`) outvote a
    # few stray decimal-comma ones (2,5 or $12,50 among them is not evidence enough to read 30,422 as 30.422)
    thousands = stripped.str.contains(r"\d,\d{3},\d{3}|,\d{3}\.\d").fill_null(False) | stripped.str.contains(
        _DOLLAR_THOUSANDS).fill_null(False)
    return int(decimal.sum()) > int(thousands.sum())


#: An amount written with a dollar, pound or yen sign before it and one group of thousands: ``$4,715``. These signs
#: go before the number where the comma groups thousands (an amount's decimals are cents, two digits); a euro
#: sign goes before or after it in countries that write either comma (``1,659 €`` is a price per litre).
_DOLLAR_THOUSANDS = r"^[+-]?\s*[$£¥]\s*[+-]?\d{1,3},\d{3}$"

#: A number as a spreadsheet formats it: a currency sign before or after, a percent sign after, thousands
#: commas, spaces or apostrophes (``$1,234.50``, ``-€12``, ``12 €``, ``45%``, ``1,234,567``, ``1 234 567``,
#: ``1'234.50``), a negative amount in parentheses as accountants write it (``(1,234.50)``), or a plain number.
_GROUPED = rf"\d{{1,3}}(?:(?:,\d{{3}})+|(?:{_APOSTROPHE}\d{{3}})+|(?:{_SPACE}\d{{3}})+)"
_UNSIGNED_AMOUNT = rf"(?:{_GROUPED}(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
_DECORATED_NUMBER = (rf"^(?:[+-]?\s*{_CURRENCY}?\s*[+-]?{_UNSIGNED_AMOUNT}\s*[$€£¥%]?"
                     rf"|{_CURRENCY}?\s*\(\s*{_CURRENCY}?\s*{_UNSIGNED_AMOUNT}\s*{_CURRENCY}?\s*\)\s*{_CURRENCY}?)$")


def _decorated_cells(stripped: pl.Series) -> pl.Series:
    """Which cells are :data:`_DECORATED_NUMBER` amounts: not a number in parentheses without a currency sign, a
    group separator or decimals (``(1)`` is a footnote mark, ``(1,234.50)`` and ``($12)`` are negative amounts),
    nor a ``+`` before digits grouped by spaces (``+34 683 049 074`` is a telephone number).

    >>> _decorated_cells(pl.Series(["(1)", "(1.5)", "($12)", "+34 683 049 074", "1 234", "+1,234"])).to_list()
    [False, True, True, False, True, True]
    """
    ok = stripped.str.contains(_DECORATED_NUMBER).fill_null(False)
    bare_paren = stripped.str.contains(r"^\(\s*\d+\s*\)$").fill_null(False)
    phone = stripped.str.contains(rf"^\+\s*\d+{_SPACE}\d").fill_null(False)
    return ok & ~bare_paren & ~phone


def _dots_group_thousands(cells: pl.Series) -> bool:
    """Whether amounts' dots may group thousands: some cell has a dot before three digits (``1.578``) and none a dot
    before another count of digits (``12.50``, ``0.1250``): so a euro amount's ``1.250`` is 1250 as often as 1.25.

    >>> _dots_group_thousands(pl.Series(["1.250 EUR", "980 EUR"])), _dots_group_thousands(pl.Series(["1.250", "3.50"]))
    (True, False)
    """
    return bool(cells.str.contains(r"\d\.\d{3}(?:\D|$)").any()
                and not cells.str.contains(r"\d\.(?:\d{1,2}|\d{4,})(?:\D|$)").any())


def _decorated(stripped: pl.Series) -> bool:
    """Whether a text column's cells are numbers written with a currency or percent sign or thousands commas: at
    least :data:`MOSTLY_NUMERIC` of them match :data:`_DECORATED_NUMBER`, some carry a sign or a comma, and the commas
    cannot be decimal ones: a cell has two groups of thousands or a decimal point after one (``1,234,567``,
    ``1,234.5``), or a cell is an amount with a dollar, pound or yen sign before it (:data:`_DOLLAR_THOUSANDS`:
    ``$4,715``), or no cell has a comma (``1,234`` or ``1,659 €`` alone can be either, and the column stays text).

    >>> _decorated(pl.Series(["$1.50", "$12", "$7.25"])), _decorated(pl.Series(["1,234", "12,500"]))
    (True, False)
    >>> _decorated(pl.Series(["45%", "3%", "100%"])), _decorated(pl.Series(["1,234", "1,234,567", "12"]))
    (True, True)
    >>> _decorated(pl.Series(["$4,715", "$912"])), _decorated(pl.Series(["4,715%", "912%"])), _decorated(pl.Series(["1,659 €"]))
    (True, False, False)
    >>> _decorated(pl.Series(["(1,234.50)", "12.00"])), _decorated(pl.Series(["1 234", "12"])), _decorated(pl.Series(["(12)", "5"]))
    (True, True, False)
    """
    matches = _decorated_cells(stripped)
    if stripped.len() == 0 or matches.mean() < MOSTLY_NUMERIC:
        return False
    ok = stripped.filter(matches)
    spaced = ok.str.contains(_SPACE_GROUPS).fill_null(False)
    if spaced.sum() > 1:
        # digits in groups of the same length in every cell, nine or more (612 345 678, 123 456 789): telephone or
        # identity numbers, not amounts (which vary in length: 1 234, 12 345, 350 000)
        width = ok.filter(spaced).str.count_matches(r"\d")
        if width.min() >= 9 and width.n_unique() == 1:
            return False
    if _dots_group_thousands(ok.filter(ok.str.contains("€", literal=True))):
        return False  # 1.578 € or EUR 1.578 beside EUR 792: a euro amount's dot groups thousands as often as not
    signs = ok.str.contains(r"[$€£¥%]|\(").fill_null(False).any() or bool(spaced.any())
    commas = ok.str.contains(",", literal=True).fill_null(False)
    if not commas.any():
        return bool(signs)
    thousands = ok.filter(commas).str.contains(r"\d,\d{3},\d{3}|,\d{3}\.\d").fill_null(False).any()
    return bool(thousands or ok.str.contains(_DOLLAR_THOUSANDS).fill_null(False).any())


#: The dates of :data:`TEXT_DATE_FORMATS` besides ISO's, each also with a time of day (:data:`_CLOCKS`).
_DATE_PARTS = ("%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%m/%d/%y", "%d.%m.%y",
               "%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%b %d %Y", "%B %d %Y", "%d-%b-%Y", "%d-%b-%y",
               "%d%b%Y")
#: Times of day after a date: 24-hour, and 12-hour with AM/PM (``7/5/2021 1:05 PM``, as US spreadsheets export them).
_CLOCKS = (" %H:%M:%S", " %H:%M", " %I:%M:%S %p", " %I:%M %p")
#: Date spellings of text columns the reader left as text, in order of preference (day first before month first;
#: a date before the same date with a time, which also reads cells without one). Month names (English, as a
#: spreadsheet writes them): ``%b`` reads ``Jan``, ``%B`` ``January`` and ``Jan``; ``%a`` a weekday (RFC 2822, without a
#: time zone), ``%A`` a weekday's name (a spreadsheet's long date, ``Friday, January 01, 2021``).
TEXT_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M",
                     "%Y-%m-%d %I:%M:%S %p", "%Y-%m-%d %I:%M %p",
                     *(d + c for d in _DATE_PARTS for c in ("", *_CLOCKS)),
                     "%a, %d %b %Y", "%a, %d %b %Y %H:%M:%S", "%a, %d %b %Y %H:%M", "%A, %B %d, %Y", "%A, %d %B %Y")


#: The spelling :class:`FeatureEncoder`'s note on a column of dates in several spellings gives ISO 8601 timestamps
#: with a UTC offset (``2022-06-04T15:15:00+01:00``, ``...Z``), which no format of :data:`TEXT_DATE_FORMATS` reads.
ZONED_ISO = "%Y-%m-%dT%H:%M:%S%z"
_ZONED_ISO = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$"

def _zoned_dates(text: pl.Series) -> pl.Series:
    """ISO 8601 timestamps with a UTC offset or ``Z`` (:data:`ZONED_ISO`: ``2021-02-10T18:50:19Z``,
    ``2021-02-10 18:50:19.5+01:00``, ``...-05``) read as the UTC time they name (as the CSV reader types such a
    column), without a time zone; any other cell: null.

    >>> _zoned_dates(pl.Series(["2021-02-10T18:50:19Z", "2021-02-10 19:50+01:00", "2021-02-10", None])).to_list()
    [datetime.datetime(2021, 2, 10, 18, 50, 19), datetime.datetime(2021, 2, 10, 18, 50), None, None]
    """
    text = text.cast(pl.String).str.strip_chars()
    spelled = text.str.contains(_ZONED_ISO).fill_null(False)
    iso = (text.str.replace(r"\s*Z$", "+00:00").str.replace(r"\s*([+-]\d{2})$", "${1}:00")
           .str.replace(r"\s+([+-]\d{2}:?\d{2})$", "${1}").str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T"))
    out = None
    for fmt in ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z"):
        read = iso.str.to_datetime(fmt, strict=False, time_unit="us", time_zone="UTC")
        out = read if out is None else out.fill_null(read)
    assert out is not None
    out = out.dt.replace_time_zone(None)
    return pl.select(pl.when(spelled).then(out).otherwise(None)).to_series().alias(text.name)


#: :func:`_date_reads` tries every format on this many cells of a longer column (drawn at random, with a fixed seed),
#: then on the whole column only those that read one of them.
DATE_SAMPLE = 2000


def has_clock(fmt: str) -> bool:
    """Whether a format of :data:`TEXT_DATE_FORMATS` holds a time of day (it reads Datetimes, else Dates)."""
    return "%H" in fmt or "%I" in fmt


def _date_part(fmt: str) -> str:
    """The date of a format with a time of day: ``%m/%d/%Y`` of ``%m/%d/%Y %I:%M %p``."""
    return re.sub(r"[ T]%[HI].*$", "", fmt)


def _date_reads(text: pl.Series) -> dict[str, np.ndarray] | None:
    """Which cells of stripped, non-null text each format of :data:`TEXT_DATE_FORMATS` reads (None unless at least
    :data:`MOSTLY_NUMERIC` of the cells start with a digit, or with a word and a number: ``Jan 05, 2021``,
    ``Mon, 05 Jul 2021``). The formats with a time of day, AM/PM or a weekday are tried only when some cell has
    one (each format is a pass over the column)."""
    if text.len() == 0 or text.str.contains(r"^(?:\d|\p{L}{3,9}[.,]?\s+\d|\p{L}{3,9},\s+\p{L}{3,9}\s+\d)").fill_null(
            False).mean() < MOSTLY_NUMERIC:
        return None
    clock = bool(text.str.contains(r"\d:\d\d").any())
    am_pm = clock and bool(text.str.contains(r"\d\s*[AaPp][Mm]$").any())
    weekday = bool(text.str.contains(r"^\p{L}{3,9},").any())
    formats = [fmt for fmt in TEXT_DATE_FORMATS
               if (clock or not has_clock(fmt)) and (am_pm or "%p" not in fmt) and (weekday or "%a" not in fmt.lower())]
    if text.len() > DATE_SAMPLE:  # the formats that read none of evenly spaced cells read next to none of the column
        # (drawn at random with a fixed seed, not every n-th cell: a stray cell every 50th row would be all of those)
        sample = text.gather(np.sort(np.random.default_rng(0).choice(text.len(), DATE_SAMPLE, replace=False)))
        formats = [fmt for fmt in formats if _text_dates(sample, fmt).is_not_null().any()]
    if not formats:
        return None
    return {fmt: _text_dates(text, fmt).is_not_null().to_numpy() for fmt in formats}


def text_date_format(col: pl.Series, reads: dict[str, np.ndarray] | None = None) -> str | None:
    """The format of :data:`TEXT_DATE_FORMATS` in which a text column holds dates, else None: the one that reads
    the most cells, when it reads at least :data:`MOSTLY_NUMERIC` of them and more than one distinct date. The
    valuation values such a column as dates (:class:`FeatureEncoder`), and ``augment`` models it as dates and
    writes the synthetic ones in that format.

    >>> text_date_format(pl.Series(["07/05/2021", "12/31/2020", "01/02/2021"])), text_date_format(pl.Series(["a", "b"]))
    ('%m/%d/%Y', None)
    """
    if col.dtype != pl.String:
        return None
    text = col.drop_nulls().str.strip_chars()
    reads = _date_reads(text) if reads is None else reads
    if reads is None:
        return None
    counts = {fmt: int(ok.sum()) for fmt, ok in reads.items()}
    fmt = max(counts, key=lambda f: counts[f])  # the first of the best (formats are in order of preference)
    if text.len() - counts[fmt] > (1 - MOSTLY_NUMERIC) * text.len():
        return None
    if _text_dates(text, fmt).drop_nulls().n_unique() <= 1:
        return None
    return fmt


def _iso_fallback(col: pl.Series, dates: pl.Series, fmt: str) -> pl.Series:
    """``dates`` (a text-date plan's reading of a ``--valid`` column) with the cells it could not read read as ISO
    8601 timestamps (``2021-07-05T10:00:00Z``, ``2021-07-05T10:00:00.000``, ``...+02:00``: the wall time as written,
    as the data's text dates are wall times), in the plan's type; cells neither reads stay missing."""
    rest = col.str.strip_chars().str.replace(r"(?:Z|[+-]\d{2}:?\d{2})$", "").str.replace("T", " ", literal=True)
    rest = pl.select(pl.when(dates.is_null()).then(rest).otherwise(None)).to_series()
    guessed = None
    for iso in ("%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        read = rest.str.to_datetime(iso, strict=False, time_unit="us")
        guessed = read if guessed is None else guessed.fill_null(read)
    if guessed is None or guessed.null_count() == guessed.len():
        return dates
    return dates.fill_null(guessed.cast(pl.Datetime("us") if has_clock(fmt) else pl.Date)).alias(col.name)


def read_text_dates(col: pl.Series, fmt: str) -> pl.Series:
    """A text column read as dates in ``fmt`` (:func:`text_date_format`), surrounding spaces ignored; a cell in
    another spelling becomes missing."""
    return _text_dates(col.str.strip_chars(), fmt).alias(col.name)


def _text_dates(text: pl.Series, fmt: str) -> pl.Series:
    """``text`` read with ``fmt`` (Datetime when it has a time, else Date); cells in another spelling: null.

    ``%Y`` reads four-digit years only (polars would read ``07/05/21`` as the year 21; ``%y`` reads it as 2021),
    and a datetime format also reads the cells that hold its date alone, as midnight (``2021-07-05`` among
    ``2021-07-05 10:30:00``).

    >>> _text_dates(pl.Series(["07/05/21", "07/05/2021"]), "%m/%d/%Y").to_list()
    [None, datetime.date(2021, 7, 5)]
    >>> _text_dates(pl.Series(["2021-07-05", "2021-07-05 10:30:00"]), "%Y-%m-%d %H:%M:%S").dt.hour().to_list()
    [0, 10]
    """
    if fmt == ZONED_ISO:
        return _zoned_dates(text)
    if has_clock(fmt):
        out = text.str.to_datetime(fmt, strict=False, time_unit="us")
        day = _date_part(fmt)
        out = out.fill_null(text.str.to_date(day, strict=False).cast(pl.Datetime("us")))
        spelled = text.str.contains(_format_pattern(fmt)) | text.str.contains(_format_pattern(day))
    else:
        out = text.str.to_date(fmt, strict=False)
        spelled = text.str.contains(_format_pattern(fmt))
    # (the reader is lenient: it read `May 2020` with `%B %d %Y` as the 20th of May of the year 20, and `1.2.3`
    # with `%d.%m.%y` as a date: a cell must be spelled as the format is, field by field)
    return pl.select(pl.when(spelled.fill_null(False)).then(out).otherwise(None)).to_series().alias(text.name)


#: The text each strftime field of :data:`TEXT_DATE_FORMATS` stands for.
_FIELD_PATTERNS = {"%Y": r"(?:[12]\d{3}|9999)", "%y": r"\d{2}", "%m": r"\d{1,2}", "%d": r"\d{1,2}", "%H": r"\d{1,2}",
                   "%I": r"\d{1,2}", "%M": r"\d{2}", "%S": r"\d{2}", "%p": r"[AaPp][Mm]", "%b": r"\p{L}{3,}\.?",
                   "%B": r"\p{L}{3,}", "%a": r"\p{L}{3,}", "%A": r"\p{L}{3,}"}


def _format_pattern(fmt: str) -> str:
    r"""A regular expression that a cell written in ``fmt`` matches whole (``%Y`` a year from 1000 to 2999, or the
    9999 of an open end (``12/31/9999``, as ERP exports write it), so that a code such as ``10MAR3743`` is no date; ``%y`` two digits; a space any run of spaces, none needed before AM/PM).

    >>> print(_format_pattern("%b %d, %Y"))
    ^\p{L}{3,}\.?\s+\d{1,2},\s+(?:[12]\d{3}|9999)$
    """
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%" and fmt[i : i + 2] in _FIELD_PATTERNS:
            out.append(_FIELD_PATTERNS[fmt[i : i + 2]])
            i += 2
        else:
            out.append((r"\s*" if fmt[i + 1 : i + 3] == "%p" else r"\s+") if fmt[i] == " " else re.escape(fmt[i]))
            i += 1
    return "^" + "".join(out) + "$"


def date_write_format(col: pl.Series, fmt: str) -> str:
    """The strftime format that spells new dates as a text column of dates read with ``fmt`` spells its cells: the
    day and month without a leading zero when no cell pads them and some cell has a one-digit one (``9/4/1999``),
    and so the hour (``1:05 PM``).

    >>> date_write_format(pl.Series(["9/24/1999", "12/1/2000"]), "%m/%d/%Y"), date_write_format(pl.Series(["09/24/1999"]), "%m/%d/%Y")
    ('%-m/%-d/%Y', '%m/%d/%Y')
    >>> date_write_format(pl.Series(["9/24/1999 1:05 PM", "12/01/2000 11:30 AM"]), "%m/%d/%Y %I:%M %p")
    '%m/%d/%Y %-I:%M %p'
    """
    text = col.drop_nulls().str.strip_chars()
    if not (text.str.contains(r"(?:^|[/.\-\s])0\d(?:[/.\-\s,]|\p{L}|$)").any()
            or not text.str.contains(r"(?:^|[/.\-\s])\d(?:[/.\-\s,]|\p{L}|$)").any()):
        fmt = fmt.replace("%m", "%-m").replace("%d", "%-d")
    if has_clock(fmt) and not text.str.contains(r"[\sT]0\d:").any() and text.str.contains(r"[\sT]\d:").any():
        fmt = fmt.replace("%H", "%-H").replace("%I", "%-I")  # 1:05 PM
    if " %p" in fmt and not text.str.contains(r"\s[AaPp][Mm]$").any():
        fmt = fmt.replace(" %p", "%p")  # 1:05PM
    return fmt


def _day_month_swapped(fmt: str) -> str:
    """``fmt`` with its day and month fields swapped: ``%m/%d/%Y`` of ``%d/%m/%Y``."""
    return fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")


def _month_first(fmt: str) -> bool | None:
    """Whether a format that starts with the day or the month's number writes the month first (None for another
    format: ``%Y-%m-%d`` says nothing about which of the two comes first where both are before the year)."""
    return True if fmt.startswith("%m") else False if fmt.startswith("%d") and "%m" in fmt else None


def date_write_case(col: pl.Series) -> str | None:
    """``"upper"`` when every letter of a text column of dates is a capital (``05JUL2021``, ``1:05 PM``), ``"lower"``
    when none is (``1:05 pm``), else None: how new dates spelled by :func:`date_write_format` are cased.

    >>> date_write_case(pl.Series(["05JUL2021"])), date_write_case(pl.Series(["1:05 pm"])), date_write_case(pl.Series(["Jul 5"]))
    ('upper', 'lower', None)
    """
    letters = col.drop_nulls().str.replace_all(r"[^\p{L}]", "")
    letters = letters.filter(letters != "")
    if letters.len() == 0:
        return None
    if (letters == letters.str.to_uppercase()).all():
        return "upper"
    return "lower" if (letters == letters.str.to_lowercase()).all() else None


def either_way_note(name: str, cell: str, fmt: str) -> str:
    """The note on a date column read day first (``fmt``) whose every date also reads month first (``cell``, one of
    them)."""
    day, month = (int(v) for v in re.findall(r"\d+", cell)[:2])
    months = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
              "November", "December")
    other = _day_month_swapped(fmt)
    return (f"column {name!r}: every date reads both as {_format_text(fmt)} and as {_format_text(other)}; read day "
            f"first ({cell!r} is {day} {months[month - 1]}, not {months[day - 1]} {month}): if the month comes first, "
            "write the dates as YYYY-MM-DD")


def _format_text(fmt: str) -> str:
    """A strftime format as people write it: ``%d/%m/%Y`` is ``DD/MM/YYYY``."""
    if fmt == ZONED_ISO:
        return "YYYY-MM-DDThh:mm:ss±hh:mm (or Z; read in UTC)"
    for code, text in (("%Y", "YYYY"), ("%y", "YY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"), ("%I", "hh"), ("%M", "mm"),
                       ("%S", "ss"), ("%p", "AM/PM"), ("%b", "Mon"), ("%B", "Month"), ("%a", "Day"), ("%A", "Weekday")):
        fmt = fmt.replace(code, text)
    return fmt


def _thousands_or_decimal(stripped: pl.Series) -> bool:
    """Whether at least :data:`MOSTLY_NUMERIC` of a text column's cells are numbers of which some have one comma
    followed by three digits (``367,260``): 367260 with a thousands comma or 367.26 with a decimal one.

    >>> _thousands_or_decimal(pl.Series(["367,260", "96,062", "512"])), _thousands_or_decimal(pl.Series(["a,b"]))
    (True, False)
    """
    ok = _mostly(stripped, r"^[+-]?\s*[$€£¥]?\s*[+-]?(?:\d{1,3},\d{3}|\d+)\s*[$€£¥%]?$")
    return ok is not None and bool(stripped.filter(ok).str.contains(",", literal=True).any())


#: A plain number, as a unit column's cells write it without the unit (``72.5``).
_BARE_NUMBER = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"
#: A plain number followed by a unit of one to five letters, optionally after a space: ``19.2 kg``, ``5USD``, ``3 m/s``
#: is not one (the unit is letters only), nor ``1e5`` (an exponent).
_UNIT_NUMBER = _BARE_NUMBER[:-1] + r"\s*(\p{L}{1,5})$"


def _common_unit(stripped: pl.Series) -> str | None:
    """The unit written after the numbers of a text column (``kg`` for ``19.2 kg``), when at least
    :data:`MOSTLY_NUMERIC` of its cells are a plain number and that one unit (``5 kg`` and ``300 g`` are not read:
    the column stays text); else None.

    >>> _common_unit(pl.Series(["19.2 kg", "7 kg", "0.5kg"])), _common_unit(pl.Series(["5 kg", "300 g"]))
    ('kg', None)
    >>> _common_unit(pl.Series(["12 abc", "7 abc"])), _common_unit(pl.Series(["1e5", "2e3"]))
    ('abc', None)
    """
    if stripped.len() == 0:
        return None
    units = stripped.str.extract(_UNIT_NUMBER, 1)
    top = units.drop_nulls().mode()
    if top.len() != 1:
        return None
    unit = str(top[0])
    if unit.lower() in ("e", "inf", "nan", "infinity"):  # (1e5, 5inf: not a unit)
        return None
    # (a bare number is a number of the unit, :func:`_unit_numbers`: it counts towards the share too)
    read = (units == unit).fill_null(False) | stripped.str.contains(_BARE_NUMBER).fill_null(False)
    return unit if float(read.mean() or 0.0) >= MOSTLY_NUMERIC else None


def _unit_numbers(stripped: pl.Series, unit: str) -> pl.Series:
    """Floats of ``<number> <unit>`` text, and of bare numbers (a cell that left the unit off, or a ``--valid`` file
    of plain numbers: read in the column's unit, the same in every file); other cells null."""
    units = stripped.str.extract(_UNIT_NUMBER, 1)
    number = stripped.str.strip_suffix(unit).str.strip_chars()
    ok = (units == unit).fill_null(False) | stripped.str.contains(_BARE_NUMBER).fill_null(False)
    return pl.select(pl.when(ok).then(number).otherwise(None).cast(pl.Float64, strict=False)).to_series().alias(stripped.name)


def _decorated_numbers(stripped: pl.Series) -> pl.Series:
    """Floats of :data:`_DECORATED_NUMBER` text, signs and group separators removed (``45%`` is 45, ``(1,234.50)``
    is -1234.5; other cells null).

    >>> _decorated_numbers(pl.Series(["(1,234.50)", "$2,000", "1 234 567", "1'234.5", "( $12 )", "-(3)"])).to_list()
    [-1234.5, 2000.0, 1234567.0, 1234.5, -12.0, None]
    """
    ok = _decorated_cells(stripped)
    plain = stripped.str.replace_all(r"[$€£¥%,'\x{2019}\s]", "")
    negative = plain.str.starts_with("(")
    plain = plain.str.strip_chars("()")
    plain = pl.select(pl.when(negative).then(pl.lit("-") + plain).otherwise(plain)).to_series()
    # (a minus inside the parentheses would make two: --12 is no number, and that cell stays a stray one)
    return pl.select(pl.when(ok).then(plain).otherwise(None).cast(pl.Float64, strict=False)).to_series().alias(stripped.name)


def _decimal_points(stripped: pl.Series) -> bool:
    """Whether a text column of a decimal-comma plan (a ``--valid`` file's) writes its numbers with decimal points
    instead: no cell has a comma, and some cell has a point that cannot group thousands (``12.5``, ``0.125``), or no
    cell carries a currency or percent sign nor two groups of thousands (``1.250`` of an English export is 1.25).
    Amounts written as the fitted column writes them (``12 €``, ``1.050 €``, ``1.234.567``) are read as it reads
    them.

    >>> _decimal_points(pl.Series(["12.5", "7"])), _decimal_points(pl.Series(["0.125", "1.250"]))
    (True, True)
    >>> _decimal_points(pl.Series(["12 €", "1.050 €"])), _decimal_points(pl.Series(["1.050", "1.234.567"]))
    (False, False)
    """
    if stripped.str.contains(",", literal=True).fill_null(False).any():
        return False
    if stripped.str.contains(_SPACE_GROUPS).fill_null(False).any():  # 1 234: written as the fitted column writes it
        return False
    core = _unsigned(stripped)
    if core.str.contains(r"\.(?:\d{1,2}|\d{4,})?$|^\.|^[+-]?0\.").fill_null(False).any():
        return True
    signed = stripped.str.contains(r"[$€£¥%]").fill_null(False).any()
    return not signed and not core.str.contains(r"\d\.\d{3}\.\d{3}").fill_null(False).any()


def _comma_numbers(stripped: pl.Series) -> pl.Series:
    """Floats of decimal-comma text (:data:`_COMMA_NUMBER`; other cells null)."""
    ok = stripped.str.contains(_COMMA_NUMBER).fill_null(False)
    plain = _unsigned(stripped).str.replace_all(r"[.\s$€£¥'\x{2019}]", "").str.replace(",", ".", literal=True)
    negative = plain.str.starts_with("(")  # (1 234,56): an accountant's negative amount
    plain = plain.str.strip_chars("()")
    plain = pl.select(pl.when(negative).then(pl.lit("-") + plain).otherwise(plain)).to_series()
    return pl.select(pl.when(ok).then(plain).otherwise(None).cast(pl.Float64, strict=False)).to_series().alias(stripped.name)


#: A number with its minus sign after it (``42,696.62-``, ``1.234,50-``, ``$12.00-``), the sign moved to the front.
_TRAILING_MINUS = r"^([^-]*\d\)?)\s*-$"


def _trailing_minus(col: pl.Series, *, every: bool = True) -> pl.Series | None:
    """A text column with each trailing minus moved to the front (``42,696.62-`` is ``-42,696.62``): when some cells
    end in a minus after a digit and none starts with one (a column that writes both is not one convention);
    else None. With ``every=False`` (encoding rows with a plan made so) every such cell is moved, and the column
    is returned as it is where none is.

    >>> _trailing_minus(pl.Series(["42,696.62-", "1,234.50", " 7- ", None])).to_list()
    ['-42,696.62', '1,234.50', '-7', None]
    >>> _trailing_minus(pl.Series(["5-", "-3"])) is None, _trailing_minus(pl.Series(["A-", "B"])) is None
    (True, True)
    """
    if col.dtype != pl.String:
        return None if every else col
    stripped = col.str.strip_chars()
    ending = stripped.str.contains(_TRAILING_MINUS).fill_null(False)
    if every and (not ending.any() or stripped.str.starts_with("-").fill_null(False).any()):
        return None
    moved = pl.lit("-") + stripped.str.replace(_TRAILING_MINUS, "${1}")
    return pl.select(pl.when(ending).then(moved).otherwise(col)).to_series().alias(col.name)


def _as_numbers(col: pl.Series) -> pl.Series:
    """Float values of a numeric column, or of a text column of numbers (stray cells: null)."""
    if col.dtype == pl.String:
        return col.str.strip_chars().cast(pl.Float64, strict=False)
    return col.cast(pl.Float64)


def whole_floats(col: pl.Series) -> bool:
    """A float column of whole numbers only (``2.0``: pandas writes an integer column with a missing value so, and
    a Parquet file from pandas stores it so; NaN and infinities are missing values): encoded as the integers it holds
    would be."""
    if not col.dtype.is_float():
        return False
    values = col.drop_nulls()
    values = values.filter(values.is_finite())  # a NaN or an infinity is a missing value here, as everywhere

    def whole(v: pl.Series) -> bool:
        return bool((v == v.floor()).all())

    return bool(values.len()) and whole(values.head(1000)) and whole(values)  # (most float columns fail the head)


def distinct_values(col: pl.Series) -> int:
    """How many distinct values a column holds, a missing value counting as one: in a float column NaN, the
    infinities and null are all that one missing value, and ``-0.0`` is ``0.0`` (as the integers the column would be).

    >>> distinct_values(pl.Series([1.0, 2.0, None, float("nan"), float("inf"), -0.0, 0.0])), distinct_values(pl.Series([1, None]))
    (4, 2)
    """
    if not col.dtype.is_float():
        return int(col.n_unique())
    finite = col.filter(col.is_finite().fill_null(False))  # (n_unique counts -0.0 and 0.0 as one value)
    return int(finite.n_unique()) + int(finite.len() < col.len())


def without_minus_zero(col: pl.Series) -> pl.Series:
    """A float column with ``-0.0`` written ``0.0`` (polars keeps the sign through ``+ 0.0``); others as they are.

    >>> without_minus_zero(pl.Series([-0.0, 1.0, None])).to_list()
    [0.0, 1.0, None]
    """
    if not col.dtype.is_float():
        return col
    return col.to_frame().select(pl.when(pl.col(col.name) == 0.0).then(0.0).otherwise(pl.col(col.name))).to_series()


def _as_text(col: pl.Series) -> pl.Series:
    """A categorical column's values as text, its categories' keys: a whole float as the integer it holds (``2.0``
    and ``-0.0`` are the categories ``2`` and ``0`` of the same column read as integers), NaN and infinities missing."""
    if col.dtype == pl.String:
        return col
    if col.dtype.is_float():
        c = pl.when(pl.col(col.name).is_finite()).then(pl.col(col.name))  # NaN and infinities: missing
        integer = (c == c.floor()) & (c.abs() < 2**53)
        text = pl.when(integer).then(c.cast(pl.Int64, strict=False).cast(pl.String)).otherwise(c.cast(pl.String))
        return col.to_frame().select(text).to_series()
    return col.cast(pl.String)


def rows_without_values(frame: pl.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """True on the rows of ``frame`` null in every one of ``columns`` (none without columns).

    >>> rows_without_values(pl.DataFrame({"a": [1, None], "b": [None, None]}), ["a", "b"]).tolist()
    [False, True]
    """
    if not columns:
        return np.zeros(frame.height, dtype=bool)
    return frame.select(pl.all_horizontal(pl.col(list(columns)).is_null())).to_series().to_numpy()


def class_text(value: Any) -> str:
    """A class as the summaries and the gate's check names spell it: as a written file does (``true``/``false``
    for a boolean label, as polars writes it to CSV), everything else as ``str``.

    >>> class_text(True), class_text(np.bool_(False)), class_text(3), class_text("a")
    ('true', 'false', '3', 'a')
    """
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    return str(value)


def class_repr(value: Any) -> str:
    """A class quoted for a message: text and numbers as Python writes them (``'a'``, ``3``), anything else
    (a date, a time) as its text in quotes, not as a Python object.

    A text longer than 200 characters is cut in the middle, with its length and a digest of the whole text (as the
    summaries' :func:`dvclean.report.formats.label_text` cut it): a note naming a 100,000-character class was as long.

    >>> import datetime
    >>> class_repr("a"), class_repr(3), class_repr(datetime.date(2020, 1, 1)), class_repr(True)
    ("'a'", '3', "'2020-01-01'", "'true'")
    >>> class_repr("a" * 300 + "b" * 30)[-51:]
    "a…bbbbbbbbbbbbbbbbbbbb' (330 characters, #b946234c)"
    """
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_)):
        return repr(value)
    text = value if isinstance(value, str) else class_text(value)
    if len(text) > 200:
        from .report.formats import text_digest

        return f"{text[:150] + '…' + text[-20:]!r} ({len(text):,} characters, #{text_digest(text)})"
    return repr(text)


def label_texts(col: pl.Series, *, as_text: bool = False) -> list[str | None]:
    """A label (or id) column as comparable text, missing labels as None: numbers by value
    (``1`` == ``1.0`` == ``"1"``) unless ``as_text`` (two text columns: ``01`` and ``1`` are two classes).

    Used to check that a scores file holds a data file's labels row by row.

    Examples
    --------
    >>> label_texts(pl.Series(["1", "01", None])), label_texts(pl.Series(["1", "01"]), as_text=True)
    (['1.0', '1.0', None], ['1', '01'])
    """
    missing = label_codes(col)[2]
    out: list[str | None] = []
    for v, m in zip(col.cast(pl.String).to_list(), missing, strict=True):
        if m or v is None:
            out.append(None)
        elif as_text:
            out.append(v)
        else:
            try:
                out.append(repr(float(v)))
            except ValueError:
                out.append(v)
    return out


def label_codes(col: pl.Series, classes: list[Any] | None = None) -> tuple[np.ndarray, list[Any], np.ndarray]:
    """Return (codes, classes, missing mask) for a label column; -1 marks missing or unknown."""
    missing = label_missing_mask(col)
    present = col.filter(~pl.Series(missing))
    if classes is None:
        classes = sorted(present.unique().to_list(), key=lambda v: (str(type(v)), v))
    mapping = {c: i for i, c in enumerate(classes)}
    codes = np.full(col.len(), -1, dtype=np.int64)
    values = col.to_list()
    for i, v in enumerate(values):
        if not missing[i]:
            codes[i] = mapping.get(v, -1)
    return codes, classes, missing


def _same_spelled_class(value: Any, classes: Sequence[Any]) -> Any:
    """The class that ``value`` spells another way (``'09'`` for ``'9'``, ``'Yes '`` for ``'yes'``), or None.

    >>> _same_spelled_class("09", ["8", "9"]), _same_spelled_class("Yes ", ["no", "yes"]), _same_spelled_class("x", ["y"])
    ('9', 'yes', None)
    """
    from .diagnostics import spelling_key

    k = spelling_key(str(value), padded=True)
    return next((c for c in classes if spelling_key(str(c), padded=True) == k), None)


def prepare(
    table: Table, *, valid: Table | None = None, config: FeatureConfig | None = None
) -> tuple[ValuationData, FeatureEncoder, np.ndarray]:
    """Encode a table's labelled rows (and an optional validation table) as arrays.

    Parameters
    ----------
    table : Table
    valid : Table, optional
        Separate validation rows (same feature columns and label column).
    config : FeatureConfig, optional

    Returns
    -------
    data : ValuationData
    encoder : FeatureEncoder
        Fitted on the labelled rows of ``table``.
    label_missing : numpy.ndarray of bool
        Per table row, True where the label is missing (those rows are not valued).
    """
    for what, value in (("table", table), ("valid", valid)):
        if not isinstance(value, Table) and not (what == "valid" and value is None):
            raise TypeError(f"prepare({what}=...) takes a dvclean Table (dvclean.make_table(frame, label=...)), "
                            f"got {type(value).__name__}")
    if config is not None and not isinstance(config, FeatureConfig):
        raise TypeError(f"prepare(config=...) takes a FeatureConfig, got {type(config).__name__}")
    if table.task == "regression":
        return _prepare_regression(table, valid, config)
    codes, classes, missing = label_codes(table.frame.get_column(table.label))
    rows = np.flatnonzero(~missing)
    x, encoder, notes = _encode_rows(table, rows, missing, config)
    x_valid = y_valid = None
    if valid is not None:
        vcodes, _, vmissing = label_codes(valid.frame.get_column(valid.label), classes)
        unknown = np.flatnonzero((vcodes < 0) & ~vmissing)
        if unknown.size:
            vcol = valid.frame.get_column(valid.label)
            bad = vcol[int(unknown[0])]
            tdt = table.frame.get_column(table.label).dtype
            if _label_kind(vcol.dtype) != _label_kind(tdt):  # 1 vs "1": the same class spelled as another type
                raise DataValidationError(
                    f"validation label column {valid.label!r} holds {vcol.dtype} values (validation row "
                    f"{int(unknown[0])}: {class_repr(bad)}) but the data's holds {tdt} "
                    f"({', '.join(map(class_repr, classes[:10]))}"
                    f"{', ...' if len(classes) > 10 else ''}); "
                    "write the validation labels as the data writes them"
                )
            shown = ", ".join(map(class_repr, classes[:10])) + (f", ... ({len(classes)} classes)" if len(classes) > 10 else "")
            like = _same_spelled_class(bad, classes)
            raise DataValidationError(
                f"validation label {class_repr(bad)} (validation row {int(unknown[0])}) is not a class of the training "
                f"data ({shown}); "
                + (f"it differs from the class {class_repr(like)} only in how it is written (case, spaces, leading zeros or "
                   "the number's spelling, 1.0 for 1): "
                   "write the validation labels as the data writes them" if like is not None
                   else "fix the label or add rows of that class")
            )
        keep = np.flatnonzero(~vmissing)
        if keep.size == 0:
            raise DataValidationError(
                f"the validation file (--valid) has no labelled rows: its label column {valid.label!r} is empty in "
                "every row; fill in the validation labels or pass another --valid file"
            )
        vframe = _valid_dates_as_fitted(valid.frame[keep], valid, encoder, notes)
        x_valid = encoder.transform(vframe)
        y_valid = vcodes[keep]
    data = ValuationData(
        x=x,
        y=codes[rows],
        rows=rows,
        classes=np.array(classes, dtype=object),
        x_valid=x_valid,
        y_valid=y_valid,
        feature_names=tuple(encoder.feature_names_),
        notes=tuple(notes),
    )
    return data, encoder, missing


def _how_used(encoder: FeatureEncoder, name: str, kept: str = "is valued as a category") -> str:
    """How a note says a column left as text is used: ``is not used (why)`` when the encoder dropped it, else ``kept``."""
    if name in encoder.dropped_:
        return f"is not used ({encoder.dropped_reasons_.get(name, 'constant')})"
    return kept


def dotted_thousands_note(name: str, cell: str, comma: str | None = None) -> str:
    """The note on a number column read as decimals whose dots may group thousands (``51.659``:
    :attr:`dvclean.io.SourceInfo.dotted_thousands`), or, with ``comma`` (a column that writes decimal commas), on one
    whose dots were read as thousands groups (:attr:`dvclean.io.SourceInfo.thousands_dots`): a guess the user should
    be able to check.

    >>> dotted_thousands_note("proline", "1.065", "alcohol")  # doctest: +NORMALIZE_WHITESPACE
    "column 'proline': its dots are read as thousands groups (1.065 = 1065), as the file writes decimals with a
    comma (column 'alcohol'); if they are decimal points, write the column's decimals with a comma (1,065) as the
    rest of the file does"
    """
    whole = cell.replace(".", "")
    if comma is not None:
        return (f"column {name!r}: its dots are read as thousands groups ({cell} = {int(whole)}), as the file writes "
                f"decimals with a comma (column {comma!r}); if they are decimal points, write the column's decimals "
                f"with a comma ({cell.replace('.', ',')}) as the rest of the file does")
    return (f"column {name!r}: its numbers with a dot all have three digits after it ({cell}) and are read as "
            f"decimals; if the dot groups thousands ({whole}, as a German or Italian spreadsheet writes it), the "
            "column is misread: export it without a thousands separator")


def _valid_dates_as_fitted(frame: pl.DataFrame, valid: Table, encoder: FeatureEncoder, notes: list[str]) -> pl.DataFrame:
    """A validation frame whose date columns the CSV reader typed day first although every date reads month first
    as well (``7/4/2021 07:13``: :attr:`dvclean.io.SourceInfo.either_way_dates`), where the data writes that column's
    dates as text month first (``7/5/2021 1:05 PM``, a text-date plan): read month first, as the data's are (day
    and month swapped: both are at most 12), with a note. Other columns as they are."""
    either = dict(valid.source.either_way_dates) if valid.source is not None else {}
    if not either:
        return frame
    month_first = {p.name: p.params["format"] for p in encoder.plans_
                   if p.kind == "temporal" and str(p.params.get("format", "")).startswith("%m")}
    swapped = []
    for name in sorted(set(either) & set(month_first) & set(frame.columns)):
        if re.match(r"\s*\d{1,2}\.\d{1,2}\.\d", str(either[name])):
            continue  # 04.07.2021: a dotted date is day first wherever it is written
        col = frame.get_column(name)
        if col.dtype == pl.Date:
            new = pl.date(col.dt.year(), col.dt.day(), col.dt.month())
        elif isinstance(col.dtype, pl.Datetime) and col.dtype.time_zone is None:
            new = pl.datetime(col.dt.year(), col.dt.day(), col.dt.month(), col.dt.hour(), col.dt.minute(),
                              col.dt.second(), col.dt.microsecond(), time_unit=col.dtype.time_unit)
        else:
            continue
        frame = frame.with_columns(pl.select(new).to_series().cast(col.dtype).alias(name))
        swapped.append(name)
    for name in swapped:
        notes.append(f"column {name!r} of the validation file: every date reads both day first and month first "
                     f"({either[name]!r}); read month first, as the data writes its dates ({_format_text(month_first[name])})")
    return frame


#: The ignored feature columns the note names one by one (the others are counted).
IGNORED_SHOWN = 10


def _typed_by_unlabelled(table: Table, missing: np.ndarray) -> list[str]:
    """Text feature columns with a cell that is not a number in a row without a label (a footer ``Source: ...``, a
    sensor's ``ERR`` row): the reader typed the column by that cell, so plain numbers in every labelled row are
    numbers, not declared text (:meth:`FeatureEncoder.fit`'s ``untyped``)."""
    if not missing.any():
        return []
    schema = table.frame.schema
    text = [c for c in dict.fromkeys(table.features) if schema.get(c) == pl.String]
    if not text:
        return []
    unlabelled = table.frame.select(text).filter(pl.Series(missing))
    out = []
    for name in text:
        cells = unlabelled.get_column(name).drop_nulls().str.strip_chars()
        if cells.len() and cells.cast(pl.Float64, strict=False).null_count() > 0:
            out.append(name)
    return out


def _encode_rows(table: Table, rows: np.ndarray, missing: np.ndarray, config: FeatureConfig | None) -> tuple[np.ndarray, FeatureEncoder, list[str]]:
    labelled = table.frame[rows] if missing.any() else table.frame
    encoder = FeatureEncoder(config)
    x = encoder.fit_transform(labelled, table.features, table.label, untyped=_typed_by_unlabelled(table, missing))
    notes = list(table.notes)
    reasons = encoder.dropped_reasons_
    if encoder.all_constant_ and all(reasons.get(c, "constant") == "constant" for c in encoder.dropped_):
        shown, rest = encoder.dropped_[:IGNORED_SHOWN], encoder.dropped_[IGNORED_SHOWN:]
        names = ", ".join(shown) + (f" and {len(rest)} more (the JSON summary's features.ignored lists them all)"
                                    if rest else "")
        notes.append(f"every feature column is constant ({names}): all rows look identical, values only reflect the "
                     "labels; score a file whose feature columns vary from row to row")
    elif encoder.dropped_:
        shown, rest = encoder.dropped_[:IGNORED_SHOWN], encoder.dropped_[IGNORED_SHOWN:]
        text = ", ".join(f"{c} ({reasons.get(c, 'constant')})" for c in shown)
        if rest:  # a wide file: name the first ones and count the others by reason (the summary lists them all)
            counts = Counter(reasons.get(c, "constant") for c in rest)
            text += (f" and {len(rest)} more (" + ", ".join(f"{n}: {why}" for why, n in counts.items())
                     + "; the JSON summary's features.ignored lists them all)")
        notes.append(("every feature column is ignored: " if encoder.all_constant_ else "ignored feature columns: ") + text
                     + (": all rows look identical to the models, values only reflect the labels"
                        if encoder.all_constant_ else ""))
    if encoder.decimal_comma_:
        names = ", ".join(repr(c) for c in sorted(encoder.decimal_comma_, key=table.features.index))
        notes.append(f"column{'s' if len(encoder.decimal_comma_) > 1 else ''} {names}: numbers with a decimal comma "
                     "(0,5 = one half; a dot groups thousands: 1.234 = 1234), valued as numbers")
    if encoder.trailing_minus_:
        names = ", ".join(repr(c) for c in sorted(encoder.trailing_minus_, key=table.features.index))
        notes.append(f"column{'s' if len(encoder.trailing_minus_) > 1 else ''} {names}: negative numbers written with "
                     "the minus after them (1,234.50- = -1234.5), valued as numbers")
    if encoder.units_:
        shown = ", ".join(f"{c!r} ({u})" for c, u in sorted(encoder.units_.items(), key=lambda kv: table.features.index(kv[0])))
        notes.append(f"column{'s' if len(encoder.units_) > 1 else ''} {shown}: numbers written with a unit (19.2 kg), "
                     "valued as numbers")
    if encoder.decorated_:
        names = ", ".join(repr(c) for c in sorted(encoder.decorated_, key=table.features.index))
        notes.append(f"column{'s' if len(encoder.decorated_) > 1 else ''} {names}: numbers written with a currency or "
                     "percent sign or thousands commas ($1,234.50, 45%; also thousands spaces or apostrophes, "
                     "1 234 567, negative amounts in parentheses, (1,234.50), and currency codes, USD 1,234.50), "
                     "valued as numbers")
    for name, (fmt, bad, total, examples) in sorted(encoder.text_dates_.items(), key=lambda kv: table.features.index(kv[0])):
        if name in encoder.dropped_:
            continue
        shown = ", ".join(repr(v) for v in examples) + (", ..." if bad > len(examples) else "")
        notes.append(
            f"column {name!r} holds dates ({_format_text(fmt)}) except {bad} of {total} cells ({shown}): valued as a "
            f"date with those cells missing; correct them, or --drop {shlex.quote(name)} if the column is not a date"
            if bad else f"column {name!r} holds dates written {_format_text(fmt)}: valued as dates"
        )
        if name in encoder.either_way_dates_:
            notes.append(either_way_note(name, encoder.either_way_dates_[name], fmt))
    either_way = dict(table.source.either_way_dates) if table.source is not None else {}
    for name in sorted((c for c in either_way if c in table.features and c not in encoder.dropped_),
                       key=table.features.index):
        cell = either_way[name]
        sep = re.sub(r"^\s*\d+", "", cell)[:1]
        clock = " %H:%M:%S" if re.search(r"\d:\d\d:\d\d", cell) else " %H:%M" if re.search(r"\d:\d\d", cell) else ""
        notes.append(either_way_note(name, cell, f"%d{sep}%m{sep}%Y{clock}"))
    dotted = dict(table.source.dotted_thousands) if table.source is not None else {}
    for name in [c for c in table.features if c in dotted and c not in encoder.dropped_]:
        notes.append(dotted_thousands_note(name, dotted[name]))
    # (the label too: its values changed)
    for name, cell, comma in (table.source.thousands_dots if table.source is not None else ()):
        if name not in encoder.dropped_ and (name in table.features or name == table.label):
            notes.append(dotted_thousands_note(name, cell, comma))
    for name, spellings in sorted(encoder.mixed_dates_.items(), key=lambda kv: table.features.index(kv[0])):
        used = _how_used(encoder, name, "is valued as a category, not as dates")
        shown = ", ".join(f"{'ISO 8601 with a UTC offset or Z' if fmt == ZONED_ISO else _format_text(fmt)}: {n}"
                          for fmt, n in spellings[:4])
        zoned = any(fmt == ZONED_ISO for fmt, _ in spellings)
        notes.append(
            f"column {name!r} holds dates in {len(spellings)} spellings ({shown} cells): it {used}; write every date "
            + ("one way (e.g. every timestamp in UTC, YYYY-MM-DD hh:mm:ss)" if zoned else "one way (e.g. YYYY-MM-DD)")
            + " to value it as dates"
        )
    for name, example in sorted(encoder.ambiguous_commas_.items(), key=lambda kv: table.features.index(kv[0])):
        used = _how_used(encoder, name)
        notes.append(
            f"column {name!r} holds numbers such as {example!r}, whose comma may group thousands or mark decimals: it "
            f"{used}; write the numbers without the comma (e.g. {example.replace(',', '')} or "
            f"{example.replace(',', '.')}) to value them as numbers"
        )
    for name, example in sorted(encoder.declared_text_numbers_.items(), key=lambda kv: table.features.index(kv[0])):
        used = _how_used(encoder, name)
        notes.append(
            f"column {name!r} is stored as text, yet every cell is a plain number ({example!r}): the data's type is "
            f"kept, so it {used}; if it holds quantities, store it as a number type to value it as numbers"
        )
    for name, (once, total) in sorted(encoder.many_distinct_.items(), key=lambda kv: table.features.index(kv[0])):
        if name in encoder.dropped_ or name in encoder.numbers_with_text_:  # (numbers with text: a note of its own)
            continue
        notes.append(
            f"column {name!r} holds a value no other row holds in {once:,} of {total:,} rows (free text or an "
            "identifier?): it is valued by how often its values occur, which sets the few rows that share a value "
            f"apart from the others (they can look hard or outlying); --drop {shlex.quote(name)} if it is free text "
            "or an id"
        )
    for name, n_inf in sorted(encoder.infinite_.items(), key=lambda kv: table.features.index(kv[0])):
        notes.append(
            f"column {name!r} holds {n_inf:,} infinite value{'s' if n_inf != 1 else ''} (inf, -inf): valued as "
            f"missing, as an empty cell is (the models see only that the value is missing); if {'they stand' if n_inf != 1 else 'it stands'} for "
            "a very large or small number, write that number instead"
        )
    # --null-values reads only CSV: the other formats (NDJSON, Parquet, a frame) spell a missing value as null
    csv = table.source is not None and table.source.format == "csv"
    with_text = sorted(encoder.numbers_with_text_.items(), key=lambda kv: table.features.index(kv[0]))
    for name, (parsed, total, others) in with_text:
        used = _how_used(encoder, name)
        shown = ", ".join(repr(v) for v in others[:5]) + (", ..." if len(others) > 5 else "")
        # --null-values replaces the default list: it is repeated, so NA and the like stay missing everywhere
        listed = ",".join(with_default_nulls([v for v in others[:5] if "," not in v]))
        notes.append(
            f"column {name!r} holds numbers in {parsed / total:.0%} of its cells, text in the others ({shown}): it "
            + (f"{used}; if those cells mean missing, pass --null-values {shlex.quote(listed)} (read_options="
               "{'null_values': [...]} in Python; the list replaces the default one, which is repeated in it) to read "
               "them as missing and the column as numbers" if csv else
               f"{used}; if those cells mean missing, write them as null (missing) values to value the column as numbers")
        )
    for name, (bad, total, examples) in sorted(encoder.text_numbers_.items(), key=lambda kv: table.features.index(kv[0])):
        shown = ", ".join(repr(v) for v in examples) + (", ..." if bad > len(examples) else "")
        # (a cell with a comma cannot be named in the comma-separated list, nor one with spaces at its ends: the
        # option strips each text and the reader matches cells as written; the default list is repeated, as the
        # option replaces it: NA and the like stay missing everywhere)
        markers = [v for v in examples if "," not in v and v and v == v.strip()]
        nulls = (f"; if they mean missing, say so with --null-values {shlex.quote(','.join(with_default_nulls(markers)))}"
                 " (read_options={'null_values': [...]} in Python; the list replaces the default one, which is "
                 "repeated in it)" if markers and csv else "")
        notes.append(
            f"column {name!r} holds numbers except {bad} of {total} cells ({shown}): valued as a number with those "
            f"cells missing; correct them, or --drop {shlex.quote(name)} if the column is not numeric{nulls}"
        )
    return x, encoder, notes


#: A regression target this many robust standard deviations (MAD) from the median is refused: no
#: measurement is that far out, and in 64-bit floats it wipes out the other targets' differences
#: (their mean and spread become the outlier's) or overflows when squared (about 1e154).
MAX_TARGET_Z = 1e15
#: Standardised regression targets reach the tree models rounded to multiples of this step (of a standard
#: deviation), exact in binary (:func:`on_target_grid`).
TARGET_STEP = 2.0**-26


def on_target_grid(z: np.ndarray) -> np.ndarray:
    """Standardised targets rounded to :data:`TARGET_STEP`, as the tree models of the regression flags and of
    ``--method oob`` fit them: the same targets in other units (hours or minutes, Celsius or Kelvin) standardise to
    values a few units in the last place apart, and a regression tree that compares sums of targets (split gains
    exactly equal for two splits) would part those ties one way in one unit and the other way in the other. On
    the grid they are the same numbers; the step is far below any difference that matters (a 2^-26 standard
    deviation). An offset large against the spread (``+1e6`` on targets of spread 10) still moves a target by a
    step now and then (the subtraction of the mean loses those digits). ``--method oob`` also scores its
    out-of-bag errors against the grid's targets (at most a step apart: 4e-8 measured); everything else (the
    other methods' values, residuals, outputs in the target's units) uses the targets as they are.

    >>> hours = np.array([38.0, 40.0, 45.0, 50.0, 40.0])
    >>> a = (hours - hours.mean()) / hours.std()
    >>> b = (hours * 60 - (hours * 60).mean()) / (hours * 60).std()
    >>> bool(np.array_equal(a, b)), bool(np.array_equal(on_target_grid(a), on_target_grid(b)))
    (False, True)
    """
    z = np.asarray(z, dtype=np.float64)
    big = np.abs(z) >= 2.0**26  # (beyond 2^52 steps the float's own precision is coarser than the grid)
    return np.where(big, z, np.round(z / TARGET_STEP) * TARGET_STEP)


def median_spread(values: np.ndarray) -> tuple[float, float]:
    """The median of ``values`` and their robust spread: 1.4826 times the median absolute deviation, else (more than
    half the values equal) the mean absolute deviation.

    >>> center, spread = median_spread(np.r_[np.arange(9.0), 1e12]); center, round(spread, 4)
    (4.5, 3.7065)
    """
    values = np.asarray(values, dtype=np.float64)
    center = float(np.median(values))
    dev = np.abs(values - center)
    return center, float(np.median(dev)) * 1.4826 or float(dev.mean())


def _target_magnitude_problem(target: np.ndarray, rows: np.ndarray, label: str) -> str | None:
    """Targets so far from the others that standardising them loses every other row's signal."""
    if target.size < 3:
        return None
    med, spread = median_spread(target)
    if not spread > 0 or not math.isfinite(spread):
        return None
    with np.errstate(over="ignore"):
        z = np.abs(target - med) / spread
    bad = np.flatnonzero(~(z <= MAX_TARGET_Z))
    if not bad.size:
        return None
    shown = ", ".join(f"{int(rows[i])} ({target[i]:.6g})" for i in bad[:5])
    return (
            f"label column {label!r} has values more than {MAX_TARGET_Z:.0e} robust standard deviations from the "
            f"median {med:.6g} at rows {shown}{' ...' if bad.size > 5 else ''}: a typo or a unit error? "
            "correct or remove those rows (such a value would swamp every other target)"
    )


#: A validation target this many times farther from the data's median target than the data's farthest one is noted.
FAR_VALIDATION_RATIO = 10.0


def _far_validation_note(target: np.ndarray, valid_target: np.ndarray, rows: np.ndarray) -> str | None:
    """The note on validation targets far beyond every data target (a typo, a unit error): under a squared-error
    utility one of them outweighs the other validation rows and re-deals every row's value, while the flags, which
    use no validation set, do not move. Scale-free: measured against the data's own farthest target, so a
    heavy-tailed target's long tail is not noted."""
    if target.size < 3 or valid_target.size == 0:
        return None
    med = float(np.median(target))
    reach = float(np.max(np.abs(target - med)))
    if not reach > 0 or not math.isfinite(reach):
        return None
    with np.errstate(over="ignore"):
        ratio = np.abs(valid_target - med) / reach
    far = np.flatnonzero(ratio > FAR_VALIDATION_RATIO)
    if not far.size:
        return None
    i = far[np.argmax(ratio[far])]
    where = rows_text(rows[far].tolist(), "validation row")
    what = (f"the validation target is {valid_target[i]:.6g} at {where}" if far.size == 1
            else f"validation targets as far as {valid_target[i]:.6g} (validation row {int(rows[i])}) at {where}")
    return (
        f"{what}: {'' if far.size == 1 else 'up to '}"
        f"{ratio[i]:,.0f} times as far from the data's median target ({med:.6g}) as the data's farthest target; a typo "
        f"or a unit error? such a target outweighs the other validation rows and so sets every row's value: correct "
        f"or remove {'those rows' if far.size > 1 else 'that row'} of the validation file"
    )


def _center_scale(target: np.ndarray) -> tuple[float, float]:
    """Mean and standard deviation of ``target``, computed on ``target / max|target|`` so that
    neither tiny (1e-200: the squares underflow to a spread of 0) nor huge targets (1e200: the
    squares overflow) lose their scale; a constant target gets scale 1."""
    top = float(np.max(np.abs(target))) if target.size else 0.0
    if not top > 0 or not math.isfinite(top):
        return (float(target.mean()) if target.size else 0.0), 1.0
    unit = target / top
    center, scale = float(unit.mean()) * top, float(unit.std()) * top
    return center, (scale if scale > 0 and math.isfinite(scale) else 1.0)


def _prepare_regression(
    table: Table, valid: Table | None, config: FeatureConfig | None
) -> tuple[ValuationData, FeatureEncoder, np.ndarray]:
    """:func:`prepare` for a regression target: standardised float targets, no classes."""
    col = table.frame.get_column(table.label)
    missing = label_missing_mask(col)
    rows = np.flatnonzero(~missing)
    target = col.cast(pl.Float64).to_numpy()[rows]
    center, scale = _center_scale(target)
    x, encoder, notes = _encode_rows(table, rows, missing, config)
    x_valid = y_valid = None
    if valid is not None:
        vcol = valid.frame.get_column(valid.label)
        vmissing = label_missing_mask(vcol)
        if vmissing.all():  # (an empty column reads as text: say what is wrong, not its type)
            raise DataValidationError(
                f"the validation file (--valid) has no labelled rows: its label column {valid.label!r} is empty in "
                "every row; fill in the validation labels or pass another --valid file"
            )
        if not vcol.dtype.is_numeric():
            where = valid.source.path if valid.source is not None else "the validation frame"
            texts = vcol.cast(pl.String)
            example = ""
            if vcol.dtype == pl.String:
                # (a cell with no digit is the likelier culprit: "heavy" among "46.62 kg", which read as numbers)
                bad = texts.is_not_null() & texts.cast(pl.Float64, strict=False).is_null()
                worst = bad & ~texts.str.contains(r"\d").fill_null(False)
                hits = np.flatnonzero((worst if worst.any() else bad).to_numpy())
                if hits.size:
                    example = f" (such as {class_repr(texts[int(hits[0])])} at validation row {int(hits[0])})"
            raise DataValidationError(
                f"{where} (--valid): its label {valid.label!r} holds {vcol.dtype} values{example}, but the data's "
                "regression target is numbers: write the validation targets as numbers, as the data's are"
            )
        vvals = vcol.cast(pl.Float64).to_numpy()
        bad = np.flatnonzero(~vmissing & ~np.isfinite(vvals))
        if bad.size:
            raise DataValidationError(f"the validation label is infinite at {rows_text(bad.tolist(), 'validation row')}")
        keep = np.flatnonzero(~vmissing)
        x_valid = encoder.transform(_valid_dates_as_fitted(valid.frame[keep], valid, encoder, notes))
        y_valid = (vvals[keep] - center) / scale
        far = np.flatnonzero(~(np.abs(y_valid) <= MAX_TARGET_Z))
        if far.size:
            raise DataValidationError(
                f"the validation label {valid.label!r} is more than {MAX_TARGET_Z:.0e} standard deviations of the "
                f"data's targets from their mean at {rows_text(keep[far].tolist(), 'validation row')}: a typo or a unit "
                f"error? correct or remove {'those rows' if far.size > 1 else 'that row'}"
            )
        note = _far_validation_note(target, vvals[keep], keep)
        if note:
            notes.append(note)
    data = ValuationData(
        x=x,
        y=(target - center) / scale,
        rows=rows,
        classes=np.array([], dtype=object),
        x_valid=x_valid,
        y_valid=y_valid,
        feature_names=tuple(encoder.feature_names_),
        notes=tuple(notes),
        task="regression",
        target_center=center,
        target_scale=scale,
    )
    return data, encoder, missing


def finite_or_none(v: float) -> float | None:
    """Return ``v`` or None when it is not finite (for JSON)."""
    return v if math.isfinite(v) else None


def row_bit_hashes(x: np.ndarray, *, signed_zero: bool = True) -> np.ndarray:
    """A 64-bit hash of each row of ``x``'s float64 bit patterns (``signed_zero=False``: -0.0 hashes as 0.0).

    Every value's bits, offset by its column, go through splitmix64's finaliser before a row's are summed, so rows
    that differ collide with probability about 2**-64 per pair, whole numbers and 0/1 columns too. Computed a block
    of rows at a time (about 32 MB), so that a large table is not copied whole.

    >>> h = row_bit_hashes(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, -0.0]]))
    >>> bool(h[0] == h[2]), bool(h[0] == h[1]), bool(h[0] == h[3])
    (True, False, False)
    >>> h = row_bit_hashes(np.array([[1.0, 0.0], [1.0, -0.0]]), signed_zero=False)
    >>> bool(h[0] == h[1])
    True
    """
    x = x.reshape(x.shape[0], -1)
    out = np.empty(x.shape[0], dtype=np.uint64)
    offset = np.arange(1, x.shape[1] + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    step = max(1, 2**22 // max(1, x.shape[1]))
    for a in range(0, x.shape[0], step):
        block = np.asarray(x[a : a + step], dtype=np.float64)
        b = np.ascontiguousarray(block if signed_zero else block + 0.0).view(np.uint64) + offset
        b ^= b >> np.uint64(30)
        b *= np.uint64(0xBF58476D1CE4E5B9)
        b ^= b >> np.uint64(27)
        b *= np.uint64(0x94D049BB133111EB)
        b ^= b >> np.uint64(31)
        out[a : a + step] = b.sum(axis=1, dtype=np.uint64)
    return out


def rows_all_distinct(x: np.ndarray, *, signed_zero: bool = True) -> bool:
    """Whether every row of ``x`` differs from every other in its float64 bits (``signed_zero=False``: -0.0 counts
    as 0.0), told by :func:`row_bit_hashes` without sorting a copy of the rows; equal hashes (copies, or a
    collision) answer False.

    >>> rows_all_distinct(np.array([[1.0, 0.0], [1.0, -0.0]])), rows_all_distinct(np.array([[0.0], [-0.0]]), signed_zero=False)
    (True, False)
    """
    return np.unique(row_bit_hashes(x, signed_zero=signed_zero)).size == x.shape[0]


def row_bytes(x: np.ndarray, *, signed_zero: bool = True) -> np.ndarray:
    """One opaque key per row of ``x``: its float64 bit patterns as a single ``np.void`` value, so that
    ``np.unique`` groups bitwise-equal rows (``signed_zero=False``: -0.0 as 0.0). The keys share memory with a
    contiguous float64 copy of ``x`` (made only when ``x`` is not one already, or for ``signed_zero=False``).

    >>> np.unique(row_bytes(np.array([[1.0, 2.0], [1.0, 2.0], [0.0, 2.0]])), return_inverse=True)[1].tolist()
    [1, 1, 0]
    """
    z = np.ascontiguousarray(x, dtype=np.float64).reshape(x.shape[0], -1)
    if not signed_zero:
        z = z + 0.0
    return z.view(np.dtype((np.void, z.dtype.itemsize * z.shape[1]))).ravel()


def _row_groups(x: np.ndarray) -> np.ndarray:
    """A group number per row of ``x``: rows whose 64-bit values are bitwise equal share one (rows all distinct:
    their row numbers; otherwise numbered in the order of the rows' bytes)."""
    if rows_all_distinct(x):
        # (sorting the rows' bytes made two copies of them: 1.5 GB more at a million rows of 64 columns)
        return np.arange(x.shape[0])
    return np.unique(row_bytes(x), return_inverse=True)[1].ravel()


def identical_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """A group number per row of the rows equal in every encoded feature and in the label;
    ``None`` when no two rows are.

    Such rows are the same player twice: every data value (a semivalue of a utility that
    cannot tell them apart, or Data-OOB's expected out-of-bag accuracy) is the same for
    each, and so should be every piece of evidence about their label. Estimates that
    differ (Monte Carlo samples, out-of-fold predictions from the folds the copies fell
    in) are averaged over the group with :func:`group_mean`.

    Examples
    --------
    >>> x = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 1.0], [2.0, 0.0]])
    >>> identical_rows(x, np.array([0, 0, 1, 0])).tolist()
    [0, 0, 1, 2]
    >>> identical_rows(x, np.array([0, 1, 2, 3])) is None
    True
    """
    if x.shape[0] < 2 or rows_all_distinct(x):
        return None
    group = _row_groups(np.column_stack([x.reshape(x.shape[0], -1), np.asarray(y, dtype=np.float64)]))
    return group if int(group.max()) + 1 < x.shape[0] else None


def mean_std(values: np.ndarray) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof 1; 0.0 for one value) of finite ``values``, computed on the values
    divided by their largest magnitude: the raw sum overflows near 1e307 and the squares at 1e155 (or underflow at
    1e-155), where the result itself is an ordinary float.

    >>> m, sd = mean_std(np.array([1e307, 1e307, 1.5e307]))
    >>> bool(np.isclose(m, 1.1666666666666667e307) and np.isclose(sd, 2.886751345948129e306))
    True
    """
    values = np.asarray(values, dtype=np.float64)
    scale = float(np.max(np.abs(values))) if values.size else 0.0
    if scale == 0.0 or not np.isfinite(scale):
        return float(values.mean()) if values.size else float("nan"), 0.0
    unit = values / scale
    return float(unit.mean()) * scale, (float(unit.std(ddof=1)) * scale if values.size > 1 else 0.0)


def group_mean(a: np.ndarray, groups: np.ndarray | None) -> np.ndarray:
    """Each row of ``a`` (shape (n,) or (n, C)) replaced by the mean over its group
    (:func:`identical_rows`); ``a`` itself when ``groups`` is ``None``.

    Examples
    --------
    >>> group_mean(np.array([1.0, 3.0, 5.0]), np.array([0, 0, 1])).tolist()
    [2.0, 2.0, 5.0]
    """
    if groups is None:
        return a
    a = np.asarray(a, dtype=np.float64)
    n_groups = int(groups.max()) + 1
    counts = np.bincount(groups, minlength=n_groups).astype(np.float64)
    flat = a.reshape(a.shape[0], -1)
    sums = np.stack([np.bincount(groups, weights=flat[:, j], minlength=n_groups) for j in range(flat.shape[1])], axis=1)
    return (sums / counts[:, None])[groups].reshape(a.shape)
