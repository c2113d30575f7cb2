"""Targeted augmentation (Ferracci et al.): value the rows, pick the target set, fit a
generator on it only, append its synthetic rows.

:func:`augment` writes nothing; :func:`write_augmented` writes the augmented table and
the JSON report atomically. SDV is imported only inside :mod:`._sdv`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import math
import os
import platform
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import polars as pl

from .._serial import one_at_a_time
from .._version import __version__
from ..config import FlagPolicy, KNNConfig, ScoreConfig
from ..errors import AugmentError, ConfigError, DataValidationError, InputError, OutputError
from ..flags import hard_count
from ..io import (
    CsvText,
    DataSource,
    JsonEdits,
    JsonText,
    TextEdits,
    as_source,
    atomic_path,
    check_writable,
    derived_output_path,
    expand_home,
    file_paths,
    input_output_format,
    json_lines,
    json_scalar,
    output_format_for,
    output_separator,
    padded_integer_texts,
    read_csv_text,
    read_json_text,
    read_once,
    read_scores_frame,
    require_file,
    same_file,
    suffix_format,
    temporal_like_input,
    texts_like_input,
    write_csv_text,
    write_json_text,
    write_table,
)
from ..pipeline import NOTE, notes_beyond_scores, reads_stdin, refuse_input_path
from ..table import (
    PROVENANCE_COLUMN,
    Table,
    class_repr,
    class_text,
    close_column,
    column_listing,
    date_write_case,
    date_write_format,
    label_codes,
    label_missing_mask,
    label_texts,
    make_table,
    read_text_dates,
    rows_without_values,
    text_date_format,
    without_minus_zero,
)
from .config import QUALITY_MAX_COLUMNS, AugmentConfig, Target, parse_n_synthetic, parse_target, quote_class

if TYPE_CHECKING:  # pandas is optional (the augment extra), and pipeline's ScoreResult is imported on use
    import pandas as pd

    from ..pipeline import ScoreResult

__all__ = [
    "PROVENANCE",
    "AugmentResult",
    "RowScores",
    "augment",
    "default_augment_output",
    "hard_mask",
    "report_path_for",
    "target_mask",
    "write_augmented",
]

log = logging.getLogger(__name__)

#: Name of the provenance column (True on synthetic rows).
PROVENANCE = PROVENANCE_COLUMN
REPORT_SCHEMA_VERSION = 1
#: Why the paper's early stopping is not used (the start of the report's ``generator.early_stopping``;
#: :func:`early_stopping_note` adds how the epoch count was set).
EARLY_STOPPING_NOTE = (
    "not available: SDV 2.0 (ctgan 0.12) trains TVAE/CTGAN/CopulaGAN inside one fit() loop with no "
    "per-epoch callback or checkpoint, and a second fit() re-initialises the networks, so the paper's "
    "per-epoch KS-complement score cannot be computed without re-implementing (vendoring) SDV's training "
    "loop"
)


def early_stopping_note(epochs: int | None, batch_size: int | None, rows: int, *, from_user: bool) -> str:
    """``generator.early_stopping`` of the report: why there is none and where the epoch count came from.

    >>> early_stopping_note(None, None, 10, from_user=False)
    'not applicable'
    >>> early_stopping_note(2, 30, 30, from_user=True)[-43:]
    'instead the 2 epochs were set with --epochs'
    """
    if epochs is None:
        return "not applicable"
    if from_user:
        return (f"{EARLY_STOPPING_NOTE}; instead the {epochs} epoch{'s were' if epochs != 1 else ' was'} set with "
                "--epochs")
    from ._sdv import MIN_AUTO_EPOCHS, MIN_AUTO_STEPS

    steps = -(-rows // max(1, batch_size or rows or 1))
    return (
        f"{EARLY_STOPPING_NOTE}; instead the epoch count was set automatically from the training-set size: "
        f"{epochs} epoch{'s' if epochs != 1 else ''} of {steps} batch{'es' if steps != 1 else ''} ({rows} rows, batch {batch_size}), the fewest "
        f"that give at least {MIN_AUTO_STEPS} gradient steps and {MIN_AUTO_EPOCHS} passes over the rows"
    )


Progress = Callable[[str], None]
#: A modelled text column with a distinct value in at least this fraction of the generator's
#: training rows (of at least ``IDENTIFIER_MIN_ROWS``) looks like an identifier: a note says so.
IDENTIFIER_FRACTION = 0.9
IDENTIFIER_MIN_ROWS = 20


@dataclass(frozen=True, eq=False)
class RowScores:
    """Per-row valuation results the target selection needs (aligned with the input rows)."""

    values: np.ndarray
    is_mislabeled: np.ndarray
    label_missing: np.ndarray
    source: str
    #: The full :func:`dvclean.score` result when the scores were computed here (for ``--report``).
    result: Any = None
    #: K of the KNN-Shapley valuation behind the values: this run's, or a ``--scores`` file's as its
    #: Parquet footer records it (None when the file does not say, or when another method made the values).
    k: int | None = None
    #: The valuation method behind ``values``: ``knn`` when computed here, a ``--scores`` file's primary
    #: method as its Parquet footer records it (None when the file does not say).
    method: str | None = None
    #: What the values were measured against (``leave-self-out``, or the scores file's ``--valid`` file as its
    #: footer records it); None when unknown.
    validation: str | None = None
    #: ``mislabel_score`` (breaks ties of equal values in the hard set, as ``is_hard`` does); None when absent.
    mislabel_score: np.ndarray | None = None

    @property
    def valued(self) -> np.ndarray:
        """Rows that hold a label and a finite value: the rows the hard set is chosen among."""
        return ~self.label_missing & np.isfinite(self.values)


@dataclass(frozen=True, eq=False)
class AugmentResult:
    """Everything :func:`augment` produced.

    Attributes
    ----------
    frame : polars.DataFrame
        The original rows, unchanged and in order (without the mislabeled ones under
        ``drop_mislabeled``), then the synthetic rows; same columns and dtypes as the
        input, plus ``dvclean_synthetic`` unless ``provenance=False``.
    synthetic : polars.DataFrame
        The synthetic rows alone, in the output's schema.
    report : dict
        JSON-able report (config, input hash, target set, generator, timings, evaluation).
    table : Table
    scores : RowScores
    config : AugmentConfig
    text : CsvText, JsonText or None
        The input's text when it is a CSV file, its records when it is a JSON or NDJSON file:
        :func:`write_augmented` writes an output of the same kind's original rows from it,
        exactly as the input writes them.
    kept : numpy.ndarray or None
        The input rows that ``frame`` keeps, in order (all of them unless ``drop_mislabeled``).
    read_from : tuple of str
        The files the run read besides the table's (``holdout=``, ``scores=``):
        :func:`write_augmented` refuses to overwrite them, as it refuses the input.
    """

    frame: pl.DataFrame
    synthetic: pl.DataFrame
    report: dict[str, Any]
    table: Table
    scores: RowScores
    config: AugmentConfig
    text: CsvText | JsonText | None = field(default=None, repr=False)  # (the whole input: not in a notebook's display)
    kept: np.ndarray | None = field(default=None, repr=False)
    read_from: tuple[str, ...] = ()

    def __repr__(self) -> str:
        """A line, not the frames and report (a notebook displays a result returned last in a cell)."""
        rows = self.report.get("output_rows", {})
        return (f"AugmentResult({rows.get('original', self.frame.height - self.synthetic.height)} original rows + "
                f"{self.synthetic.height} synthetic, target={self.report.get('target', {}).get('spec')!r}, "
                f"generator={self.report.get('generator', {}).get('name')!r}; see .frame, .synthetic and .report)")


# ---------------------------------------------------------------- loading and scores


#: What augment says where ``score``, ``check`` and ``fix`` point to ``--task regression``: it has no ``--task``.
CLASSES_ONLY = "dvclean augment models class labels only (it has no --task)"


def for_augment(text: str) -> str:
    """A label problem or a valuation note that points to ``--task`` (an option of ``score``, ``check`` and
    ``fix``) reworded for ``augment``, which models class labels only; any other text unchanged.

    >>> for_augment("label column 'y' has one class only (a numeric target? use --task regression)")
    "label column 'y' has one class only (a numeric target? dvclean augment models class labels only (it has no --task): bin the target into classes first)"
    """
    cut = text.find(" but is valued as classes")
    if cut >= 0 and "--task" in text:  # a float target (table.py's continuous-label problem)
        return text[:cut] + f"; {CLASSES_ONLY}: bin the target into classes first, or check --label"
    numeric = text.find(" (a numeric target? use --task regression")
    if numeric >= 0 and text.endswith(")"):  # the hint closes the problem (with or without its Python spelling)
        return text[:numeric] + f" (a numeric target? {CLASSES_ONLY}: bin the target into classes first)"
    if _NOISE_HINT in text:  # the many-flags note: augment flags as score does, without score's --expected-noise
        text = text.replace(
            _NOISE_HINT, " (dvclean augment has no --expected-noise: to flag as many rows as a known noise rate, "
            "run `dvclean score --expected-noise P` and pass its output with --scores)"
        )
    if _QUANTITY_HINT in text:  # the many-flags note's hint on a whole-number label of many classes
        return text.replace(
            _QUANTITY_HINT, f", bin it into a few classes first: {CLASSES_ONLY}, so each number is a class of its "
            "own here (`dvclean score --task regression` values it as a quantity, flagging only targets far from "
            "their prediction)"
        )
    return text


def numeric_target_problem(frame: pl.DataFrame, label: str | None, name: str, problems: Sequence[str]) -> str | None:
    """The one problem ``augment`` reports when the label, refused as classes for classes of one row (``problems``),
    is what ``--task auto`` values as a regression target elsewhere (:func:`dvclean.table.resolve_task`): 214 whole
    numbers of which 84 fill one row each are not 84 bad classes to fix but a target to bin. None otherwise.

    >>> frame = pl.DataFrame({"x": range(30), "y": range(30)})
    >>> numeric_target_problem(frame, "y", "d.csv", ["d.csv: label column 'y' has 30 classes with a single row ..."])
    "d.csv: label column 'y' is a numeric target (Int64 label with 30 distinct whole numbers, 30 of them in a single row, which no class may be: a numeric target): dvclean augment models class labels only (it has no --task): bin it into classes first (dvclean score values it as a regression target), or check --label"
    """
    from ..table import resolve_task

    if label is None or label not in frame.columns or not any(" with a single row " in p for p in problems):
        return None
    task, why = resolve_task(frame.get_column(label))
    if task != "regression":
        return None
    return (f"{name}: label column {label!r} is a numeric target ({why.removeprefix('auto: ')}): {CLASSES_ONLY}: bin "
            "it into classes first (dvclean score values it as a regression target), or check --label")


def options_for_file(note: str) -> str:
    """A valuation note that names :func:`dvclean.score`'s keywords, as it does for a frame (augment values the frame it
    read), worded with the options instead, as ``dvclean score`` words it for a file; any other note unchanged.

    >>> options_for_file("feature column 'u64' holds a distinct consecutive integer in every row, like a row number or "
    ...                  "an id: the file's order becomes a feature; pass id_column='u64', or drop='u64', if that is not meant")
    "feature column 'u64' holds a distinct consecutive integer in every row, like a row number or an id: the file's order becomes a feature; pass it as --id, or --drop it from the features, if that is not meant"
    """
    start, end = note.find(_ROW_NUMBER_KEYWORDS), note.rfind(_ROW_NUMBER_END)
    if start < 0 or end < start or not note.startswith("feature column"):
        return note
    return note[:start] + _ROW_NUMBER_OPTIONS + note[end:]


#: The valuation's note on :func:`dvclean.diagnostics.row_number_columns`: :func:`dvclean.score` words its remedy
#: for a frame and for a file apart by the table's source, and the frame augment hands the valuation has none.
_ROW_NUMBER_KEYWORDS = "the file's order becomes a feature; pass id_column="
_ROW_NUMBER_OPTIONS = "the file's order becomes a feature; pass it as --id, or --drop it from the features"
_ROW_NUMBER_END = ", if that is not meant"

#: The many-flags note's remedy, which names an option of score, check and fix.
_NOISE_HINT = ", or give --expected-noise if the noise rate is known"
#: The end of :func:`dvclean.pipeline._quantity_hint`'s hint, which names score's --task.
_QUANTITY_HINT = ", value it with --task regression, where only targets far from their prediction are flagged"


def _score_config(cfg: AugmentConfig) -> ScoreConfig:
    return ScoreConfig(seed=cfg.seed, task="classification", knn=KNNConfig(k=cfg.k),
                       flags=FlagPolicy(hard_fraction=cfg.hard_fraction))


def compute_scores(
    frame: pl.DataFrame,
    *,
    label: str,
    id_column: str | None,
    drop: Sequence[str],
    cfg: AugmentConfig,
    valid: pl.DataFrame | None = None,
    from_file: bool = False,
) -> RowScores:
    """Value the rows with KNN-Shapley (K = ``cfg.k``) through :func:`dvclean.score`.

    ``from_file``: ``frame`` was read from a file (or standard input), so the valuation's notes name the command
    line's options, as ``dvclean score`` of that file does (:func:`options_for_file`), not ``score``'s keywords."""
    from ..pipeline import score

    try:
        r = score(frame, label=label, id_column=id_column, drop=tuple(drop), valid=valid, config=_score_config(cfg))
    except DataValidationError as exc:
        reworded = [for_augment(p) for p in exc.problems]
        if reworded == exc.problems:
            raise
        raise DataValidationError(reworded) from None
    if "notes" in r.summary:  # the valuation's notes, which the report and the HTML report show, in augment's words
        r.summary["notes"] = [for_augment(options_for_file(n) if from_file else n) for n in r.summary["notes"]]
    return dataclasses.replace(_row_scores(r.frame, "computed (knn)"), result=r, k=cfg.k, method="knn",
                               validation=r.summary.get("validation"))


def _row_scores(sf: pl.DataFrame, source: str) -> RowScores:
    values = sf.get_column("value").cast(pl.Float64).fill_null(np.nan).to_numpy().copy()
    mis = sf.get_column("is_mislabeled").fill_null(False).cast(pl.Boolean).to_numpy().copy()
    if "is_label_missing" in sf.columns:
        missing = sf.get_column("is_label_missing").fill_null(False).cast(pl.Boolean).to_numpy().copy()
    else:
        missing = ~np.isfinite(values)
    score = (sf.get_column("mislabel_score").cast(pl.Float64).fill_null(0.0).fill_nan(0.0).to_numpy().copy()
             if "mislabel_score" in sf.columns else None)
    return RowScores(values=values, is_mislabeled=mis, label_missing=missing, source=source, mislabel_score=score)


def _scores_text_columns(names: Sequence[str]) -> list[str]:
    """The ``keep_text`` of a scores file: its first column (the ``--id`` column or ``row_id``) and ``label``,
    read as text when numbers would change their text (``007``, ``01``), as the data's id and label are
    (:func:`dvclean.pipeline.text_identity`)."""
    return [*names[:1], "label"]


def read_scores(scores: str | os.PathLike[str]) -> tuple[pl.DataFrame, dict[str, Any]]:
    """A ``dvclean score`` output file and its ``dvclean`` footer metadata ({} for CSV/NDJSON or none).

    A CSV file's first column (the row ids) and ``label`` keep their text when numbers would
    change it (``007``, ``01`` beside ``1``), as the data's id and label columns are read.
    """
    scores = expand_home(scores)
    sf, info = read_scores_frame(scores, keep_text=_scores_text_columns)
    return sf, _scores_metadata(scores, info.format)


def load_scores(scores: str | os.PathLike[str] | pl.DataFrame, table: Table, *,
                meta: dict[str, Any] | None = None) -> RowScores:
    """Read a ``dvclean score`` output and check it belongs to ``table``'s rows and settings.

    A Parquet output's footer names the input's sha256 and the run's ``label`` and ``task``
    (and ``id_column`` / ``drop`` where recorded): another file, label, task, id column or
    dropped columns is refused. The row ids are compared with the data's; the ``label``
    column is compared row by row with the data's labels unless the footer confirms both
    the file and the label. Flag columns may be true/false, 0/1 or yes/no and ``value`` numbers
    written as text (as ``dvclean report`` reads them); anything else is refused (:class:`InputError`
    naming the column and the row). ``meta``: the footer of scores given as a frame (a ScoreResult's settings,
    :func:`dvclean.pipeline.scores_metadata`), checked as a file's.
    """
    name = ("<ScoreResult>" if meta is not None else "<DataFrame>") if isinstance(scores, pl.DataFrame) else str(scores)
    if isinstance(scores, pl.DataFrame):
        sf, meta = scores, dict(meta or {})
    else:
        sf, meta = read_scores(scores)
    expected = table.source.sha256 if table.source is not None else ""
    got = meta.get("input_sha256")
    got = got if isinstance(got, str) and got else None
    if expected and got and got != expected:
        raise DataValidationError(
            f"--scores {name} was computed on another file (input sha256 {got[:12]}..., this data "
            f"{expected[:12]}...); re-run `dvclean score` on this data or omit --scores"
        )
    confirmed = bool(expected) and got == expected  # the scores' metadata names this file's sha256
    missing = [c for c in ("value", "is_mislabeled") if c not in sf.columns]
    if missing:
        raise DataValidationError(
            f"--scores {name} lacks the columns {', '.join(map(repr, missing))}; pass the output of `dvclean score`"
        )
    if sf.height != table.n_rows:
        raise DataValidationError(
            f"--scores {name} has {sf.height} rows but the data has {table.n_rows}; "
            "the scores must come from `dvclean score` on this same file"
        )
    _check_score_settings(meta, table, name, columns=sf.columns)
    _check_score_ids(sf, table, name)
    if "label" in sf.columns and not (confirmed and isinstance(meta.get("label"), str)):
        _check_score_labels(sf.get_column("label"), table, name)
    method = meta.get("method") if isinstance(meta.get("method"), str) else None
    source = ("dvclean.score's result" if name == "<ScoreResult>" else f"file {name}") + (f" ({method})" if method else "")
    vfile = meta.get("validation_file")
    validation = (vfile.get("path") if isinstance(vfile, dict) and isinstance(vfile.get("path"), str)
                  else meta.get("validation") if isinstance(meta.get("validation"), str) else None)
    return dataclasses.replace(_row_scores(_typed_score_columns(sf, name), source), method=method,
                               k=_scores_k(meta) if method == "knn" else None, validation=validation)


def _typed_score_columns(sf: pl.DataFrame, name: str) -> pl.DataFrame:
    """``value`` as numbers and the flags as booleans, read as ``dvclean report`` reads them
    (0/1 and yes/no flags, numbers written as text); a malformed cell is refused naming its column and row."""
    from ..report._build import _as_boolean, _as_number

    cols = [_as_number(sf.get_column("value"), name)]
    cols += [_as_boolean(sf.get_column(c), name) for c in ("is_mislabeled", "is_label_missing") if c in sf.columns]
    return sf.with_columns(cols)


def _scores_k(meta: dict[str, Any]) -> int | None:
    """The K of the valuation that wrote a scores file, from its footer's ``config`` (None when unknown)."""
    knn = (meta.get("config") or {}).get("knn") if isinstance(meta.get("config"), dict) else None
    k = knn.get("k") if isinstance(knn, dict) else None
    return k if isinstance(k, int) and not isinstance(k, bool) else None


def _scores_metadata(scores: str | os.PathLike[str], fmt: str | None = None) -> dict[str, Any]:
    """The ``dvclean`` footer metadata of a Parquet ``dvclean score`` output ({} for CSV/NDJSON or none).

    ``fmt`` is the format the file was read as (:attr:`dvclean.io.SourceInfo.format`); without it,
    the file's content and suffix decide (:func:`dvclean.io.input_output_format`): any name is accepted.
    """
    path = Path(scores)
    if str(scores) == "-" or (fmt or input_output_format(path)) != "parquet":
        return {}
    try:
        meta = pl.read_parquet_metadata(path).get("dvclean")
        got = json.loads(meta) if meta else {}
    except Exception:  # not our metadata: the row checks decide
        return {}
    if not isinstance(got, dict):
        return {}
    from ..pipeline import refuse_newer_scores

    refuse_newer_scores(got, f"--scores {scores}", "drop --scores to value the rows again")
    return got


def scores_task(meta: dict[str, Any], columns: Sequence[str]) -> str | None:
    """The task a scores file was computed with: its footer's, else (a CSV or NDJSON file, which has no footer)
    ``regression`` when it has a regression target's evidence columns (``predicted_value``, ``target_z``) and no
    ``suggested_label``, as ``dvclean report`` tells the two apart; None when neither says."""
    from ..report._build import REGRESSION_EVIDENCE

    task = meta.get("task")
    if isinstance(task, str):
        return task
    # (the first column is the row id: an --id named predicted_value is no evidence)
    if all(c in columns[1:] for c in REGRESSION_EVIDENCE) and "suggested_label" not in columns:
        return "regression"
    return None


def _check_score_settings(
    meta: dict[str, Any], table: Table, name: str, columns: Sequence[str] = ()
) -> None:
    """Refuse scores whose footer records another ``--label``, task, ``--id`` or ``--drop`` than this run's, and
    a footerless scores file whose columns are a regression target's (:func:`scores_task`)."""
    problems: list[str] = []
    label = meta.get("label")
    if isinstance(label, str) and label != table.label:
        problems.append(f"it was computed with --label {label!r}, but this run's label is {table.label!r}")
    task = scores_task(meta, columns)
    wrong_task = isinstance(task, str) and task != "classification"
    if wrong_task:
        how = f"task {task!r}" if isinstance(meta.get("task"), str) else "its predicted_value and target_z columns"
        problems.append(
            f"it was computed with the label valued as a {task} target ({how}), but dvclean augment values "
            f"{table.label!r} as classes"
        )
    if "id_column" in meta and (meta["id_column"] or None) != table.id_column:
        theirs = meta["id_column"]
        problems.append(
            f"it was computed {f'with --id {theirs!r}' if theirs else 'without --id'}, but this run "
            f"{f'has --id {table.id_column!r}' if table.id_column else 'has no --id'}"
        )
    drop = meta.get("drop")
    if isinstance(drop, list) and sorted(map(str, drop)) != sorted(table.dropped):
        theirs_d = ", ".join(map(repr, drop)) or "none"
        ours = ", ".join(map(repr, table.dropped)) or "none"
        problems.append(f"it was computed with --drop {theirs_d}, but this run drops {ours}")
    if problems:
        raise ConfigError(
            f"--scores {name} does not match this run: {'; '.join(problems)}; re-run `dvclean score` on this data "
            f"with the same --label, --id and --drop{' and --task classification' if wrong_task else ''}, or omit "
            "--scores"
        )


def _check_score_ids(sf: pl.DataFrame, table: Table, name: str) -> None:
    """The scores' row ids (their first column: the ``--id`` column, or ``row_id``) must be the data's."""
    from ..pipeline import OUTPUT_COLUMNS

    ids = table.row_ids()
    # (an --id named like an output column, `value` or `label`, is written as row_id: its own name holds scores)
    renamed = sf.columns[0] == "row_id" and ids.name != "row_id"
    if ids.name in sf.columns and not renamed:
        theirs = sf.get_column(ids.name)
        if not _same_ids(theirs, ids):
            raise DataValidationError(
                f"--scores {name}: its {ids.name!r} column does not match the data's rows in order; "
                "re-run `dvclean score` on this file (with the same --id)"
            )
        return
    first = sf.columns[0]
    if first in OUTPUT_COLUMNS or first in ("value", "is_mislabeled"):
        return  # no id column: nothing to compare
    if table.id_column is None:
        raise ConfigError(
            f"--scores {name} was computed with --id {first!r} (its first column), but this run has no --id; "
            f"add --id {shlex.quote(first)} or re-run `dvclean score` without --id"
        )
    if first == "row_id":  # `dvclean score` writes an --id named like an output column as row_id
        if _same_ids(sf.get_column(first), ids.alias(first)):
            return
    raise ConfigError(
        f"--scores {name} was computed {'without --id' if first == 'row_id' else f'with --id {first!r}'} "
        f"(its row ids are in {first!r}), but this run has --id {table.id_column!r}; re-run `dvclean score` with "
        f"--id {shlex.quote(table.id_column)} or "
        + ("leave out --id" if first == "row_id" else f"pass the same --id ({shlex.quote(first)})")
    )


def _same_ids(theirs: pl.Series, ours: pl.Series) -> bool:
    """Whether a scores file's row ids are the data's, row by row.

    Same types are compared as they are; numbers of two numeric types by value; otherwise as
    text, so an id read as text (``007``) never equals the number ``7``, while a text id
    ``7`` (a Parquet string) equals the ``7`` a CSV scores file reads as a number.
    """
    if theirs.len() != ours.len():
        return False
    theirs, ours = theirs.alias("id"), ours.alias("id")
    if theirs.dtype == ours.dtype:
        return theirs.equals(ours)
    if theirs.dtype.is_numeric() and ours.dtype.is_numeric():
        return theirs.cast(pl.Float64).equals(ours.cast(pl.Float64))
    try:
        return theirs.cast(pl.String).equals(ours.cast(pl.String))
    except Exception:  # noqa: BLE001 - a type with no text form: not the data's ids
        return False


def _check_score_labels(theirs: pl.Series, table: Table, name: str) -> None:
    """Scores without the input's sha256 (CSV/NDJSON): their ``label`` column must hold the data's labels.

    Text labels on both sides are compared as text (a CSV's ``01`` and ``1`` are two classes, and both
    files are read keeping it); otherwise numbers by value (``1`` == ``1.0``).
    """
    ours = table.frame.get_column(table.label)
    text = theirs.dtype == pl.String and ours.dtype == pl.String
    for i, (a, b) in enumerate(zip(label_texts(theirs, as_text=text), label_texts(ours, as_text=text), strict=True)):
        if a != b:
            raise DataValidationError(
                f"--scores {name} is from another file (or another --label): at row {i} its label is "
                f"{theirs[i]!r} but the data's {table.label!r} is {ours[i]!r}; re-run `dvclean score` on "
                "this data or omit --scores"
            )


# ---------------------------------------------------------------- target selection


def synthetic_rows(table: Table) -> np.ndarray:
    """True on the rows an earlier ``dvclean augment`` added (its ``dvclean_synthetic`` column)."""
    frame = table.frame
    if PROVENANCE not in frame.columns or PROVENANCE in (table.label, table.id_column):
        return np.zeros(frame.height, dtype=bool)
    return frame.get_column(PROVENANCE).cast(pl.Boolean).fill_null(False).to_numpy().astype(bool)


def blank_rows(table: Table, labelled: np.ndarray | None = None) -> np.ndarray:
    """True on the rows without a value in any feature column the encoder uses, as :func:`dvclean.score` finds them
    (never hard nor flagged there): a constant or ignored column's value does not make a row less blank. The
    encoder learns which columns it uses from the ``labelled`` rows, as the valuation's does."""
    from ..table import FeatureEncoder

    features = [c for c in table.features if c != PROVENANCE]
    if not features:
        return np.zeros(table.n_rows, dtype=bool)
    table_log = logging.getLogger(FeatureEncoder.__module__)
    was_disabled, table_log.disabled = table_log.disabled, True  # its notes come from the valuation
    try:
        fitted = table.frame if labelled is None or labelled.all() else table.frame.filter(pl.Series(labelled))
        dropped = set(FeatureEncoder().fit(fitted, features, table.label).dropped_)
    except DataValidationError:  # no column to encode: every row is as blank as any other
        return np.zeros(table.n_rows, dtype=bool)
    finally:
        table_log.disabled = was_disabled
    return rows_without_values(table.frame, [c for c in features if c not in dropped])


def hard_mask(
    scores: RowScores, fraction: float, include_mislabeled: bool, exclude: np.ndarray | None = None
) -> np.ndarray:
    """The lowest-valued ``fraction`` of the valued rows (not flagged mislabeled unless included).

    Same rule, rounding and ties as ``is_hard`` of :func:`dvclean.score` (among equal values the
    higher ``mislabel_score`` first, :func:`dvclean.flags._hard`), so reusing a scores file with the
    same ``--hard-frac`` selects the same rows. Rows of ``exclude`` (the synthetic rows of an
    already augmented file, rows without any feature value) are never candidates.
    """
    from ..config import FlagPolicy
    from ..flags import _hard

    cand = scores.valued & (include_mislabeled | ~scores.is_mislabeled)
    if exclude is not None:
        cand &= ~exclude
    score = scores.mislabel_score if scores.mislabel_score is not None else np.zeros(scores.values.shape[0])
    values = np.where(cand, scores.values, 0.0)  # (the others are no candidates: their values are not compared)
    return _hard(values, ~cand, FlagPolicy(hard_fraction=fraction), score)


def label_strings(table: Table) -> pl.Series:
    return table.frame.get_column(table.label).cast(pl.String)


def target_mask(
    target: Target, table: Table, scores: RowScores, cfg: AugmentConfig, blank: np.ndarray | None = None
) -> np.ndarray:
    """Rows the generator is trained on; flagged-mislabeled rows only with ``include_mislabeled``.

    Synthetic rows of an already augmented file (``dvclean_synthetic`` true) never are, nor (for
    ``hard``) rows without any feature value (``blank``: :func:`blank_rows`, found here when not given).
    """
    labelled = ~scores.label_missing
    synthetic = synthetic_rows(table)
    if target.base == "hard":
        # a row without any feature value is never hard (nor flagged): the generator would invent its features
        if blank is None:
            blank = blank_rows(table, ~scores.label_missing)
        mask = hard_mask(scores, cfg.hard_fraction, cfg.include_mislabeled, exclude=synthetic | blank)
    else:
        mask = labelled.copy()
    if target.base == "mislabeled-removed" or not cfg.include_mislabeled:
        mask &= ~scores.is_mislabeled
    mask &= labelled & ~synthetic
    if target.classes:
        mask &= class_mask(target, table)
    return mask


def _matching_classes(spec: str, col: pl.Series, classes: Sequence[Any]) -> list[Any]:
    """The classes (label values) a ``class:`` value names, compared the way the label's type compares.

    Numbers by value (``1`` names a float label's ``1.0``); booleans as ``true``/``false``
    (or ``1``/``0``, any case); text exactly, else ignoring leading and trailing spaces on both
    sides (``yes`` names `` yes ``), else ignoring case as well (``Yes`` names ``yes``): the first step
    that matches decides, and all it matches are returned (several are refused by :func:`resolve_classes`).
    """
    dt = col.dtype
    if dt == pl.Boolean:
        want = {"true": True, "1": True, "false": False, "0": False}.get(spec.strip().lower())
        return [c for c in classes if want is not None and bool(c) is want]
    if dt.is_numeric():
        try:
            x = float(spec.strip())
        except ValueError:
            return []
        return [c for c in classes if float(c) == x]
    texts = [(c, str(c)) for c in classes]
    exact = [c for c, t in texts if t == spec]
    # then ignoring surrounding spaces, then case too (class:true for a label spelled True/False)
    return (exact or [c for c, t in texts if t.strip() == spec.strip()]
            or [c for c, t in texts if t.strip().lower() == spec.strip().lower()])


def resolve_classes(target: Target, table: Table) -> dict[str, Any]:
    """Map each ``class:`` value of ``target`` to the label value it names; refuse unknown and ambiguous ones."""
    col = table.frame.get_column(table.label)
    classes = label_codes(col)[1]
    out: dict[str, Any] = {}
    for spec in target.classes:
        found = _matching_classes(spec, col, classes)
        if len(found) == 1:
            out[spec] = found[0]
            continue
        if found:
            raise AugmentError(
                f"--target class:{quote_class(spec)}: several classes of the label {table.label!r} match {spec!r} "
                f"once case and leading and trailing spaces are ignored ({', '.join(class_repr(c) for c in found)}); quote the one "
                f"you mean with its spaces, e.g. --target 'class:{quote_class(str(found[0]))}'"
            )
        shown = ", ".join(class_repr(c) for c in classes[:20]) + (" ..." if len(classes) > 20 else "")
        how = " (compared as numbers)" if col.dtype.is_numeric() and col.dtype != pl.Boolean else ""
        spaced = next((str(c) for c in classes if str(c) != str(c).strip()), None)
        hint = f" (quote a class to keep its spaces: class:{quote_class(spaced)})" if spaced is not None else ""
        raise AugmentError(
            f"--target class:{quote_class(spec)}: no row of the label {table.label!r} has the class {spec!r}{how}; "
            f"classes: {shown}{hint}"
        )
    return out


def check_classes(target: Target, table: Table) -> None:
    """Refuse ``class:VALUE`` parts naming no class of the label (or several, see :func:`resolve_classes`)."""
    resolve_classes(target, table)


def class_mask(target: Target, table: Table) -> np.ndarray:
    """True on the rows whose label is one of ``target``'s classes (all rows when it names none)."""
    if not target.classes:
        return np.ones(table.n_rows, dtype=bool)
    col = table.frame.get_column(table.label)
    wanted = set(resolve_classes(target, table).values())
    codes, classes, missing = label_codes(col)
    hits = np.array([c in wanted for c in classes] + [False], dtype=bool)  # code -1 (missing) -> False
    return hits[codes] & ~missing


def _check_target_size(
    mask: np.ndarray, target: Target, cfg: AugmentConfig, scores: RowScores, table: Table | None = None,
    where: str = "",
) -> None:
    """Refuse a target set smaller than ``cfg.min_rows``; counts the mislabeled rows of the targeted classes."""
    n = int(mask.sum())
    if n >= cfg.min_rows:
        return
    hint = (
        "raise --hard-frac, use --target all, or add data"
        if target.base == "hard"
        else "choose a larger --target or add data"
    )
    if target.base == "hard" and not target.classes:
        candidates = scores.valued & (cfg.include_mislabeled | ~scores.is_mislabeled)
        if table is not None:
            candidates &= ~synthetic_rows(table)
        asked = hard_count(cfg.hard_fraction, int(candidates.sum()))
        if asked >= cfg.min_rows:  # (enough were asked for: a block of equal rows at the cut was left out whole)
            hint = (f"--hard-frac {cfg.hard_fraction:g} asks for {asked} rows, but rows that tie in value and mislabel "
                    "score (copies, or rows a few categories tell apart) are selected together or not at all, and the "
                    "tied rows at the cut did not fit: raise --hard-frac until they do, use --target all, or add data")
    pool = scores.is_mislabeled & ~scores.label_missing
    if table is not None:
        pool &= ~synthetic_rows(table)
        if target.classes:
            pool &= class_mask(target, table)
    excluded = int(pool.sum())
    of = ""
    if target.classes and table is not None:
        names = [repr(c) for c in resolve_classes(target, table).values()]
        of = f" of class{'es' if len(names) > 1 else ''} {', '.join(names)}"
    extra = ""
    if excluded and not cfg.include_mislabeled:
        extra = f" ({excluded} row{'s' if excluded != 1 else ''}{of} flagged mislabeled {'are' if excluded != 1 else 'is'} excluded"
        if target.base != "hard" and n + excluded < cfg.min_rows:  # (kept, they would still be too few)
            extra += f"; with them it would be {n + excluded}, still too few)"
            hint = "choose a larger --target or add data"
        else:
            extra += "; --include-mislabeled keeps them)"
    if target.base == "hard" and target.classes and table is not None:
        # all of the classes' rows: when they are too few, no --hard-frac can help
        whole = class_mask(target, table) & ~scores.label_missing & ~synthetic_rows(table)
        unflagged = whole & ~scores.is_mislabeled
        k = int((whole if cfg.include_mislabeled else unflagged).sum())
        if k < cfg.min_rows:
            many = len(target.classes) > 1
            helps = not cfg.include_mislabeled and int(whole.sum()) >= cfg.min_rows  # (with the flagged rows: enough)
            if not helps:
                extra = ""  # (--include-mislabeled would not select enough either)
            hint = (f"the target's class{'es have' if many else ' has'} "
                    + (f"{int(whole.sum())} labelled row{'' if int(whole.sum()) == 1 else 's'} in all"
                       if cfg.include_mislabeled or not excluded else
                       f"{int(whole.sum())} labelled rows in all, {k} of them not flagged mislabeled")
                    + ", so no --hard-frac selects enough: "
                    + ("pass --include-mislabeled, " if helps else "")
                    + f"add rows of {'them' if many else 'it'}, or target more classes (--target hard, --target all)")
    raise AugmentError(
        f"--target {target} selects {n} row{'s' if n != 1 else ''}{where} to train the generator, fewer than the "
        f"{cfg.min_rows} it needs{extra}; {hint}"
    )


def empty_class_notes(mask: np.ndarray, target: Target, scores: RowScores, table: Table, cfg: AugmentConfig) -> list[str]:
    """A note for each ``class:`` part of a ``target`` that names several classes whose class has no row in ``mask``
    (the rows the generator trains on): ``class:Other`` alone is refused when it selects no row, but beside
    ``class:Black`` it had left the synthetic rows without one row of it, and the summary's mix was the only sign."""
    if len(target.classes) < 2:
        return []
    col = table.frame.get_column(table.label)
    codes, classes, missing = label_codes(col)
    index = {c: i for i, c in enumerate(classes)}
    notes = []
    for spec, value in resolve_classes(target, table).items():
        rows = (codes == index[value]) & ~missing
        if (rows & mask).any():
            continue
        flagged = int((rows & scores.is_mislabeled & ~scores.label_missing).sum())
        why = (f": its {flagged} row{'s' if flagged != 1 else ''} flagged mislabeled {'are' if flagged != 1 else 'is'} "
               "excluded (--include-mislabeled keeps them)" if flagged and not cfg.include_mislabeled else "")
        notes.append(f"--target class:{quote_class(spec)} gives the generator no row to train on{why}, so the "
                     f"synthetic rows hold none of class {class_repr(value)}")
    return notes


#: The mislabel flags keeping more than this share of a class's rows from the generator's training rows gets a note
#: (:func:`excluded_class_notes`): the synthetic rows then hold little of that class.
EXCLUDED_CLASS_NOTE = 0.5


def excluded_class_notes(table: Table, scores: RowScores, eligible: np.ndarray, mask: np.ndarray,
                         target: Target, cfg: AugmentConfig) -> list[str]:
    """A note for each class whose rows the mislabel flags keep from the generator's training rows for the most part
    (more than :data:`EXCLUDED_CLASS_NOTE` of its ``eligible`` rows: labelled, real, of the target's classes), naming
    the counts and how to train on them anyway; none with ``--include-mislabeled``."""
    if cfg.include_mislabeled:
        return []
    codes, classes, missing = label_codes(table.frame.get_column(table.label))
    flagged = scores.is_mislabeled & ~scores.label_missing & eligible
    notes = []
    for i, value in enumerate(classes):
        rows = (codes == i) & ~missing & eligible
        n, out = int(rows.sum()), int((rows & flagged).sum())
        if not n or out <= EXCLUDED_CLASS_NOTE * n:
            continue
        used = int((rows & mask).sum())
        # (a generator of the class alone needs cfg.min_rows rows: below that, --include-mislabeled cannot give one)
        train = (f"or let them train a generator of that class with --target class:{quote_class(class_text(value))} "
                 "--include-mislabeled" if n >= cfg.min_rows else
                 f"or keep them in the training rows with --include-mislabeled (its {n} rows are fewer than the "
                 f"{cfg.min_rows} a generator of the class alone would need)")
        notes.append(
            f"the mislabel flags keep {out} of the {n} rows of class {class_repr(value)} ({out / n:.0%}) from the "
            f"generator's training rows (--target {target} trains on {used} of its rows): the synthetic rows hold "
            f"{'none' if not used else 'little'} of that class; a class flagged for the most part is often a small "
            f"or overlapping one whose right labels look wrong: review the flagged rows, {train}"
        )
    return notes


def dropped_class_notes(labels: pl.Series, dropped: np.ndarray) -> list[str]:
    """``--drop-mislabeled``'s notes, as ``dvclean fix --action drop``'s: a class whose every row is dropped (the
    output's original rows lose the class) and one that loses at least :data:`dvclean.fix.CLASS_LOSS_NOTE` of its
    rows (its share of the original rows shown before and after). ``labels`` are the input's, ``dropped`` its rows
    left out of the output."""
    from ..fix import CLASS_LOSS_NOTE

    codes, classes, missing = label_codes(labels)
    present = ~missing
    n_before, n_after = int(present.sum()), int((present & ~dropped).sum())
    left = sum(1 for i in range(len(classes)) if ((codes == i) & present & ~dropped).any())
    notes = []
    for i, value in enumerate(classes):
        rows = (codes == i) & present
        n, lost = int(rows.sum()), int((rows & dropped).sum())
        if not lost:
            continue
        if lost == n:
            notes.append(
                f"--drop-mislabeled removed every row of class {class_repr(value)} (all {n} were flagged mislabeled): "
                f"the output's original rows hold {left} class{'' if left == 1 else 'es'} where the input had "
                f"{len(classes)}; a whole class flagged means the flags are not evidence of wrong labels there: "
                "review those rows (`dvclean fix --action mark`), or keep them by dropping --drop-mislabeled"
            )
        elif lost / n >= CLASS_LOSS_NOTE:
            share = f"{n / max(1, n_before):.1%} -> {(n - lost) / max(1, n_after):.1%}"
            notes.append(
                f"--drop-mislabeled removed {lost} of the {n} rows of class {class_repr(value)} ({lost / n:.0%}; its "
                f"share of the original rows {share}): so large a share of a class flagged may mean it overlaps "
                "another class, where many right labels look wrong; review the flagged rows (`dvclean fix --action "
                "mark`) before dropping them"
            )
    return notes


def class_mix(labels: pl.Series) -> dict[str, int]:
    # aliased: value_counts() names its count column "count", which a label named "count" would clash with
    # classes in their own order (3, 17, 900 as numbers, not as text), then the missing label
    if not (labels.dtype.is_numeric() or labels.dtype == pl.Boolean):
        labels = labels.cast(pl.String)  # (a categorical's own order is its dictionary's)
    else:
        labels = without_minus_zero(labels)  # -0.0 is the class 0.0, as the valuation codes it
    counts = labels.alias("class").value_counts().sort("class", nulls_last=True)
    names = counts.get_column("class").cast(pl.String).fill_null("<missing>").to_list()
    out: dict[str, int] = {}
    for name, n in zip(names, counts.get_column("count").to_list(), strict=True):
        out[str(name)] = out.get(str(name), 0) + int(n)  # (a class named "<missing>" and missing labels: together)
    return out


def output_mix_note(before: dict[str, int], after: dict[str, int], dropped: int = 0) -> str | None:
    """A note when the synthetic rows move a class's share of the labelled rows by
    :data:`~.evaluate.MIX_SHIFT_NOTED` or more (the hard rows are seldom spread over the classes as the data is:
    on the Adult sample 181 of 184 are ``>50K``), naming up to three classes, the most moved first; else None.
    ``before``/``after`` are :func:`class_mix` counts of the input's rows and of the whole output; ``dropped``, the
    rows ``--drop-mislabeled`` left out, which the note then names beside the synthetic rows.

    >>> print(output_mix_note({"a": 90, "b": 10}, {"a": 90, "b": 20}))
    the synthetic rows change the output's class mix (class b 10.0% -> 18.2%, class a 90.0% -> 81.8%): a model trained on it sees another class balance than the data's, which moves accuracy and macro-F1 by itself; --evaluate measures what the rows do on a holdout
    >>> output_mix_note({"a": 90, "b": 10}, {"a": 99, "b": 11}) is None
    True
    """
    from ..report.formats import label_text
    from .evaluate import MIX_SHIFT_NOTED

    classes = [c for c in dict.fromkeys([*before, *after]) if c != "<missing>"]  # (a class dropped: in before only)
    n0 = sum(before.get(c, 0) for c in classes)
    n1 = sum(after.get(c, 0) for c in classes)
    if not n0 or not n1:
        return None
    change = {c: after.get(c, 0) / n1 - before.get(c, 0) / n0 for c in classes}
    moved = sorted((c for c in classes if abs(change[c]) >= MIX_SHIFT_NOTED - 1e-9), key=lambda c: -abs(change[c]))
    if not moved:
        return None
    detail = ", ".join(f"class {label_text(c)} {before.get(c, 0) / n0:.1%} -> {after.get(c, 0) / n1:.1%}"
                       for c in moved[:3])
    who = (f"the {dropped} rows --drop-mislabeled removed and the synthetic rows change" if dropped
           else "the synthetic rows change")
    return (f"{who} the output's class mix ({detail}): a model trained on it sees another class "
            "balance than the data's, which moves accuracy and macro-F1 by itself; --evaluate measures what the rows "
            "do on a holdout")


#: :func:`label_agreement`'s neighbours.
AGREEMENT_K = 5
#: The note on synthetic labels needs the synthetic rows' agreement this far below the training rows' (and the gap
#: significant at 1%): a few points are the price of any generator; a third of the rows in another class's region
#: are label noise.
AGREEMENT_GAP = 0.1


def label_agreement(
    table: Table, mask: np.ndarray, synthetic: pl.DataFrame, withhold: Sequence[str] = (), generator: str | None = None
) -> dict[str, Any] | None:
    """How well the synthetic rows' labels fit their features: the share of each row's :data:`AGREEMENT_K` nearest
    real rows (labelled, encoded as the valuation encodes them) that hold its label, averaged over the synthetic
    rows and, for comparison, over the rows of ``mask`` the generator learned from (their own row left out; the
    hardest rows agree less than most). Per class too. None for a regression target or without two classes. The
    ``withhold`` columns (null in every synthetic row) and rows without a label take no part.

    A generator that models the label jointly with the features may lose their link (a Gaussian copula on ten
    classes put 8-20% of its rows among their own class's rows, against 93-99% for the rows it learned from): its
    rows then add label noise where the data is hardest already. ``note`` says so, with advice for ``generator``
    (the one that made the rows) and the number of classes (:func:`agreement_advice`).
    """
    from sklearn.neighbors import NearestNeighbors

    from ..table import FeatureEncoder

    if table.task == "regression" or synthetic.height == 0:
        return None
    labels = table.frame.get_column(table.label)
    labelled = ~label_missing_mask(labels)
    if labels.filter(pl.Series(labelled)).n_unique() < 2:
        return None
    real = table.frame.filter(pl.Series(labelled))
    features = [c for c in table.varying_features() if c not in withhold]
    own = np.flatnonzero(mask[labelled])
    if not features or own.size == 0:
        return None
    synthetic = synthetic.filter(~pl.Series(label_missing_mask(synthetic.get_column(table.label))))
    if synthetic.height == 0:  # (a row without a label takes no part)
        return None
    enc = FeatureEncoder()
    x_real = enc.fit_transform(real, features, table.label)
    x_syn = enc.transform(synthetic.select(features))
    def keys(col: pl.Series) -> np.ndarray:  # (-0.0 is the class 0.0)
        return np.asarray(without_minus_zero(col).cast(pl.String).to_list(), dtype=object)

    y_real = keys(real.get_column(table.label))
    y_syn = keys(synthetic.get_column(table.label))
    k = min(AGREEMENT_K, x_real.shape[0] - 1)
    if k < 1 or x_real.shape[1] == 0:
        return None
    nn = NearestNeighbors(n_neighbors=k + 1).fit(x_real)
    syn = (y_real[nn.kneighbors(x_syn, n_neighbors=k, return_distance=False)] == y_syn[:, None]).mean(axis=1)
    nb = nn.kneighbors(x_real[own], return_distance=False)
    keep = nb != own[:, None]
    nb = np.array([row[k_][:k] for row, k_ in zip(nb, keep, strict=True)])
    trained = (y_real[nb] == y_real[own][:, None]).mean(axis=1)
    per_class = {}
    for c in class_mix(synthetic.get_column(table.label).filter(~pl.Series(label_missing_mask(
            synthetic.get_column(table.label))))):  # (the classes in their own order: 3, 17, 900)
        s_c, t_c = syn[y_syn == c], trained[y_real[own] == c]
        per_class[str(c)] = {"synthetic": round(float(s_c.mean()), 4),
                             "trained_on": round(float(t_c.mean()), 4) if t_c.size else None, "rows": int(s_c.size)}
    a, b = float(syn.mean()), float(trained.mean()) if trained.size else float("nan")
    out: dict[str, Any] = {"k": k, "synthetic": round(a, 4), "trained_on": round(b, 4), "per_class": per_class,
                           "note": None}
    if trained.size >= 2 and syn.size >= 2 and b - a >= AGREEMENT_GAP:
        se = math.sqrt(syn.var(ddof=1) / syn.size + trained.var(ddof=1) / trained.size)
        if se == 0 or (b - a) / se > 2.326:  # one-sided, 1%
            worst = sorted(((v["synthetic"], c) for c, v in per_class.items() if v["rows"])
                           , key=lambda vc: (vc[0], -per_class[vc[1]]["rows"]))[:3]
            shown = ", ".join(f"{c!r} {v:.0%}" for v, c in worst)
            several = len(per_class) > 1
            n_classes = len(class_mix(labels.filter(pl.Series(labelled))))
            out["note"] = (
                f"the synthetic rows' labels fit their features less than the real rows' do: on average {a:.0%} of a "
                f"synthetic row's {k} nearest real rows hold its label, against {b:.0%} for the rows the generator "
                f"learned from{f' (lowest: {shown})' if several else ''}; "
                + ("the generator does not keep the classes apart, so its rows add label noise: "
                   f"{agreement_advice(generator, n_classes)}, or generate one class at a time (--target class:NAME)"
                   if several else
                   f"its rows lie among other classes' rows, so they add label noise: {agreement_advice(generator, n_classes)}")
            )
    return out


def agreement_advice(generator: str | None, n_classes: int) -> str:
    """What to try when ``generator``'s rows do not keep the ``n_classes`` classes apart (:func:`label_agreement`).

    A Gaussian copula links the label to the features through one correlation matrix, which loses the regions of
    many classes (ten classes: 8-20% agreement against 93-99%): tvae is the advice for gaussian-copula on three or
    more classes. A neural generator may be undertrained: more ``--epochs``, or another generator.

    >>> agreement_advice("gaussian-copula", 10)
    'try --generator tvae, which keeps many classes apart better than gaussian-copula'
    >>> agreement_advice("copulagan", 2)
    'train copulagan longer (--epochs) or try another --generator (tvae, ctgan or gaussian-copula)'
    """
    from .config import GENERATORS, NEURAL

    if generator is None:
        return "try another --generator"
    if generator == "gaussian-copula" and n_classes >= 3:
        return "try --generator tvae, which keeps many classes apart better than gaussian-copula"
    others = [g for g in GENERATORS if g != generator]
    listed = ", ".join(others[:-1]) + " or " + others[-1] if len(others) > 1 else "".join(others)
    if generator in NEURAL:
        return f"train {generator} longer (--epochs) or try another --generator ({listed})"
    return f"try another --generator ({listed})"


#: :func:`collapsed_columns_note` names a column only when a generator that drew its values as the training rows
#: hold them would give every synthetic row one value with less than this probability (the sum over the column's
#: values of each one's share of the training rows to the power of the synthetic rows).
COLLAPSE_CHANCE = 0.01


def collapsed_columns(train: pl.DataFrame, synthetic: pl.DataFrame, columns: Sequence[str]) -> list[tuple[str, Any, int]]:
    """The ``columns`` that hold one value (or null) in every synthetic row but vary in the ``train`` rows the
    generator learned from: ``(column, the synthetic value, distinct values in train)``.

    A missing value counts as a value. A column counts only when one value in every row would be unlikely from a
    generator that drew the column's values as the training rows hold them: with shares ``p_v`` of its values (null
    included), that chance is ``sum(p_v ** rows)``, which must be below :data:`COLLAPSE_CHANCE` (a column that is 0 in
    92% of the training rows may be 0 in all of 20 synthetic rows; a column of 56 distinct values in 56 rows may not
    be one value in 2 of them).

    >>> train = pl.DataFrame({"x": [0.1, 0.2, 0.3, 0.4], "z": [0, 0, 0, 1]})
    >>> collapsed_columns(train, pl.DataFrame({"x": [0.2] * 5, "z": [0] * 5}), ["x", "z"])
    [('x', 0.2, 4)]
    """
    n = synthetic.height
    out: list[tuple[str, Any, int]] = []
    if n < 2 or train.height < 2:
        return out
    for name in columns:
        if name not in train.columns or name not in synthetic.columns:
            continue
        syn = synthetic.get_column(name)
        if syn.n_unique() != 1:
            continue
        real = train.get_column(name)
        distinct = real.n_unique()
        if distinct < 2:
            continue
        shares = real.value_counts(name="n").get_column("n").to_numpy() / real.len()
        if float(np.sum(shares**n)) < COLLAPSE_CHANCE:
            out.append((name, syn[0], int(distinct)))
    return out


def collapsed_columns_note(
    train: pl.DataFrame, synthetic: pl.DataFrame, columns: Sequence[str], generator: str, epochs: int | None = None,
) -> str | None:
    """The note on the columns a generator collapsed to one value (:func:`collapsed_columns`), or None.

    ``columns`` are the features to check; the label is left to the notes on the synthetic rows' class mix
    (:func:`output_mix_note`, :func:`empty_class_notes`) and ``synthetic.class_mix``.

    SDV's CopulaGAN gave a breast-cancer column one value (0.3621) in all of its 57 synthetic rows while the 56 rows
    it learned from held 56 distinct values: such rows teach a model nothing about the column.
    """
    from .config import NEURAL

    found = collapsed_columns(train, synthetic, columns)
    if not found:
        return None
    one = len(found) == 1
    advice = ("try another --generator, or train it longer (--epochs" + (f"; this run: {epochs} epoch{'s' if epochs != 1 else ''}" if epochs else "")
              + ")" if generator in NEURAL else "try another --generator")
    if one:
        name, value, distinct = found[0]
        what = (f"column {name!r} holds one value in all {synthetic.height} synthetic rows ({_cell_text(value)}) but "
                f"{distinct} distinct values in the {train.height} rows the generator learned from")
    else:
        shown = _first_ten_items([f"{name!r} ({_cell_text(value)} in the synthetic rows, {distinct} distinct values in "
                                  "the training rows)" for name, value, distinct in found])
        what = (f"columns {shown} hold one value each in all {synthetic.height} synthetic rows but vary in the "
                f"{train.height} rows the generator learned from")
    return (f"{what}: the {generator} generator collapsed {'it' if one else 'them'}, so the synthetic rows teach a model "
            f"nothing about {'it' if one else 'them'}; {advice}")


def _a(word: str) -> str:
    """The article for ``word`` as it is read aloud: ``an`` before a vowel sound (``an Int8``, ``an UInt64``).

    >>> _a("Int8"), _a("UInt64"), _a("String")
    ('an', 'a', 'a')
    """
    return "an" if word[:1].lower() in "aeio" else "a"


def _cell_text(value: Any) -> str:
    """A cell as a note shows it: ``empty`` for a missing value, text quoted, floats to 6 significant digits."""
    if value is None:
        return "empty"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _first_ten_items(items: list[str]) -> str:
    """The first ten of ``items`` joined, and how many more there are."""
    return ", ".join(items[:10]) + (f" and {len(items) - 10} more" if len(items) > 10 else "")


#: :func:`target_mix_note` compares the output's and the evaluation's hard sets: a class share that differs by
#: :data:`~.evaluate.MIX_SHIFT_NOTED` or more, where a chi-square test of homogeneity of the two class mixes rejects
#: one mix at this level.
TARGET_MIX_ALPHA = 0.01


def target_mix_note(output_mix: dict[str, int], evaluated_mix: dict[str, int], *, spec: str, splits: int = 1) -> str | None:
    """A note when the rows the evaluation's targeted generator learned from hold another class mix than the output's
    generator's, or None.

    The two sets are chosen on different rows (the evaluation's training split, valued against its valuation split;
    the output's from every row, valued against the rest of the data), so their mixes differ by chance alone. The
    note needs a difference that matters and that chance does not explain: a class whose share differs by
    :data:`~.evaluate.MIX_SHIFT_NOTED` (5 points, the threshold of the arms' own class-mix notes) or more, and a
    chi-square test of homogeneity of the two mixes (2 x classes counts) below :data:`TARGET_MIX_ALPHA` (the two sets
    share rows, which makes equal mixes likelier, so the test errs toward no note). Up to three classes are named,
    the most moved first.

    >>> print(target_mix_note({"<=50K": 3, ">50K": 181}, {"<=50K": 37, ">50K": 109}, spec="hard"))  # doctest: +ELLIPSIS
    the evaluation tested another hard set than the output's: its targeted generator learned from 146 rows ...
    >>> target_mix_note({"a": 30, "b": 70}, {"a": 26, "b": 54}, spec="hard") is None
    True
    """
    from scipy.stats import chi2_contingency

    from ..report.formats import label_text
    from .evaluate import MIX_SHIFT_NOTED

    classes = [c for c in dict.fromkeys([*output_mix, *evaluated_mix]) if c != "<missing>"]
    a = np.array([output_mix.get(c, 0) for c in classes], dtype=np.float64)
    b = np.array([evaluated_mix.get(c, 0) for c in classes], dtype=np.float64)
    used = (a + b) > 0
    a, b, classes = a[used], b[used], [c for c, u in zip(classes, used.tolist(), strict=True) if u]
    if len(classes) < 2 or a.sum() == 0 or b.sum() == 0:
        return None
    change = b / b.sum() - a / a.sum()
    moved = [i for i in np.argsort(-np.abs(change), kind="stable").tolist() if abs(change[i]) >= MIX_SHIFT_NOTED - 1e-9]
    if not moved:
        return None
    p = float(chi2_contingency(np.vstack([a, b]))[1])
    if not p < TARGET_MIX_ALPHA:
        return None
    detail = ", ".join(f"class {label_text(classes[i])} {a[i] / a.sum():.1%} of the output's, {b[i] / b.sum():.1%} of "
                       "the evaluation's" for i in moved[:3 if len(classes) > 2 else 1])
    mix = ", ".join(f"{label_text(c)}: {int(k)}" for c, k in zip(classes, b.tolist(), strict=True))
    first = "the first split's" if splits > 1 else "its"
    against = "that split's" if splits > 1 else "its"
    what = "hard set" if spec == "hard" else f"target set (--target {spec})"
    return (
        f"the evaluation tested another {what} than the output's: its targeted generator learned from {int(b.sum())} "
        f"rows of {first} training split ({mix}), valued against {against} valuation "
        f"split, the output's generator from {int(a.sum())} rows valued against the rest of the data ({detail}; a "
        f"difference chance does not explain, chi-square p = {p:.2g}): the verdict is about rows of another class mix "
        "than the synthetic rows written, so weigh it with care for them"
    )


# ---------------------------------------------------------------- synthetic rows in the output schema


def modelled_columns(table: Table, withhold: Sequence[str] = ()) -> list[str]:
    """Every column but the id column, an existing provenance column, pandas' unnamed index
    (:func:`pandas_index_of`) and the withheld columns."""
    index = pandas_index_of(table)
    return [c for c in table.frame.columns
            if c not in (table.id_column, PROVENANCE) and c not in withhold and c not in index]


def pandas_index_of(table: Table) -> list[str]:
    """The columns of a Parquet or Arrow input that hold the unnamed index pandas stored there (``__index_level_0__``:
    the row labels of a filtered or relabelled frame, :func:`dvclean.io.pandas_index_columns`), but the label and the
    ``--id`` column. They are row labels, not data, as :func:`dvclean.table.make_table` says: never valued, never
    modelled (a generator would copy real labels into synthetic rows: ``r133`` twice in iris labelled ``r0``..``r149``);
    synthetic rows get new labels (:func:`_new_index_labels`)."""
    from ..io import pandas_index_columns

    return [c for c, name in pandas_index_columns(table.source)
            if name is None and c in table.frame.columns and c not in (table.label, table.id_column, PROVENANCE)]


def _new_index_labels(labels: pl.Series, n: int) -> pl.Series:
    """``n`` labels for synthetic rows in a pandas index column that no real row holds: as an ``--id`` column's new ids
    (max + 1, ... for numbers, ``synthetic-0``, ... for text; :func:`_synthetic_ids`), else null (a date index: pandas
    reads NaT). Nothing is refused: the index is no column the user chose."""
    try:
        return _synthetic_ids(labels, n)
    except AugmentError:
        return pl.Series(labels.name, [None] * n, dtype=labels.dtype)


def index_labels_note(table: Table, synthetic: pl.DataFrame) -> str | None:
    """The note on pandas' unnamed index columns (:func:`pandas_index_of`) that synthetic rows got new labels in."""
    index = [c for c in pandas_index_of(table) if c in synthetic.columns]
    if not index or synthetic.height == 0:
        return None
    col = synthetic.get_column(index[0])
    given = (f"new labels ({_cell_text(col[0])}, ...) that no real row holds" if col.null_count() == 0
             else "no label (null)")
    one = len(index) == 1
    return (f"column{'' if one else 's'} {', '.join(map(repr, index))} {'is' if one else 'are'} the unnamed index "
            f"pandas stored in the file (row labels, not data): not valued and not modelled; the original rows keep "
            f"their labels and the synthetic rows get {given}")


def check_withhold(table: Table, withhold: Sequence[str]) -> None:
    """Refuse ``--withhold`` names that are not columns, the label, the id or the provenance column."""
    name = table.source.path if table.source is not None else "data"
    cols = table.frame.columns
    problems: list[str] = []
    for col in withhold:
        if col not in cols:
            close = close_column(col, cols)
            hint = f"; did you mean {close!r}?" if close is not None else ""
            problems.append(f"--withhold {col}: no column {col!r} (columns: {column_listing(cols)}){hint}")
        elif col == table.label:
            problems.append(
                f"--withhold {col} names the label column {col!r}: the label is always modelled (the generator "
                "learns the features jointly with it); take it out of --withhold"
            )
        elif col == table.id_column:
            problems.append(
                f"--withhold {col} names the --id column {col!r}, which is already never modelled (synthetic rows "
                "get new ids); take it out of --withhold"
            )
        elif col == PROVENANCE:
            problems.append(
                f"--withhold {col}: {PROVENANCE!r} marks the synthetic rows of an earlier `dvclean augment` and is "
                "already never modelled; take it out of --withhold"
            )
    if not problems and all(c == table.label for c in modelled_columns(table, withhold)):
        problems.append(
            f"--withhold leaves the generator no column besides the label {table.label!r}; withhold fewer columns"
        )
    if problems:
        raise DataValidationError([f"{name}: {p}" for p in problems])


def withheld_feature_note(table: Table, withhold: Sequence[str]) -> str | None:
    """A note when withheld columns are valuation features: synthetic rows leave them empty.

    Only the columns the valuation encodes count: an empty or constant column, or one of a type
    dvclean cannot encode (Binary, nested), is no feature, so leaving it empty changes nothing.
    """
    from ..table import FeatureEncoder

    feats = [c for c in withhold if c in table.features]
    if feats:
        table_log = logging.getLogger(FeatureEncoder.__module__)
        was_disabled, table_log.disabled = table_log.disabled, True  # its notes come again from the valuation
        try:
            unused = FeatureEncoder().fit(table.frame, feats).dropped_reasons_
        except DataValidationError:  # every one of them empty
            unused = dict.fromkeys(feats, "empty")
        finally:
            table_log.disabled = was_disabled
        feats = [c for c in feats if c not in unused]
    if not feats:
        return None
    shown = ", ".join(repr(c) for c in feats)
    one = len(feats) == 1
    return (
        f"withheld column{'' if one else 's'} {shown} {'is a' if one else 'are'} valuation feature{'' if one else 's'} "
        f"(not in --drop): synthetic rows leave {'it' if one else 'them'} empty, so a model trained on the augmented "
        f"file sees {'it' if one else 'them'} as missing on those rows"
    )


def empty_columns_note(columns: Sequence[str], *, rows: int | None = None, target: str = "") -> str:
    """The note on modelled columns without any value (in the file, or in the ``rows`` training rows)."""
    one = len(columns) == 1
    shown = ", ".join(repr(c) for c in columns)
    where = "" if rows is None else f" in the {rows} training rows ({target})"
    return (
        f"column{'' if one else 's'} {shown} {'holds' if one else 'hold'} no value{where}: the generator leaves "
        f"{'it' if one else 'them'} out and synthetic rows leave {'it' if one else 'them'} empty (null, of the "
        "input's type)"
    )


#: Bytes a synthetic cell takes while the rows are drawn and written: SDV's pandas frame, dvclean's polars frame,
#: the concatenated output and a copy in the writer, at 8 bytes a cell each (text takes more).
SYNTHETIC_CELL_BYTES = 32


def _physical_memory() -> int | None:
    """This machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return None


def check_synthetic_memory(n: int, columns: int, *, memory: int | None = None) -> None:
    """Refuse, before any work, a ``--n-synthetic`` whose rows could not be held in this machine's memory.

    >>> check_synthetic_memory(10**6, 15, memory=16 * 2**30)
    >>> check_synthetic_memory(2 * 10**9, 15, memory=16 * 2**30)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dvclean.errors.ConfigError: --n-synthetic 2,000,000,000 rows of 16 columns would need about 954 GiB ...
    """
    total = memory if memory is not None else _physical_memory()
    need = n * (columns + 1) * SYNTHETIC_CELL_BYTES
    if total is not None and need > total:
        raise ConfigError(
            f"--n-synthetic {n:,} rows of {columns + 1} columns would need about {need / 2**30:,.0f} GiB of memory, "
            f"more than this machine's {total / 2**30:,.0f} GiB; ask for fewer rows (run augment several times "
            "with other --seed values for more)"
        )


def identifier_notes(train: pl.DataFrame, label: str, whole: pl.DataFrame | None = None) -> list[str]:
    """Notes on modelled columns (not the label) whose synthetic values can only copy or clash with real ones.

    * an integer column of ``whole`` (the modelled columns of every row) holding a distinct,
      consecutive integer in every row, like an id not given as ``--id``: modelled as a number,
      its synthetic values repeat real ids;
    * a text column of numbers that the valuation reads as numbers (padded, with a few stray cells,
      or with a decimal comma: :meth:`dvclean.table.FeatureEncoder._text_numbers`): modelled as
      categories, so synthetic rows copy real values;
    * any other text column with a distinct value in nearly every training row (an identifier); in nearly every
      row of ``whole`` when the training rows are too few to tell (:data:`IDENTIFIER_MIN_ROWS`).
    """
    from ..diagnostics import row_number_columns
    from ..table import FeatureEncoder

    notes: list[str] = []
    noted: set[str] = set()
    if whole is not None:
        for name in row_number_columns(whole, [c for c in whole.columns if c != label]):
            noted.add(name)
            notes.append(
                f"column {name!r} holds a distinct consecutive integer in every row, like a row id: the generator "
                "models it as a number, so synthetic rows get values that repeat real ids; pass it as --id "
                f"(synthetic rows get new ids) or keep it out with --withhold {shlex.quote(name)}"
            )
    n = train.height
    encoder = FeatureEncoder()
    for name, dt in train.schema.items():
        if name == label or dt != pl.String:
            continue
        col = train.get_column(name)
        if text_date_format(col) is not None:  # modelled as dates (see fit_and_sample)
            noted.add(name)
            continue
        if encoder._text_numbers(col) is not None:  # what the valuation reads as numbers, the generator as text
            text = col.drop_nulls()
            noted.add(name)
            notes.append(
                f"column {name!r} holds numbers written as text (such as {text[0]!r}): the generator models a text "
                "column as categories, so synthetic rows can only copy its real values; write it as numbers in the "
                f"file to have them modelled, or keep it out with --withhold {shlex.quote(name)}"
            )
    for name, dt in train.schema.items():
        if name == label or name in noted or not (dt == pl.String or isinstance(dt, (pl.Categorical, pl.Enum))):
            continue
        # (a training set too small to tell is judged by every row: 17 hard rows of a column of notes)
        frame, where = (whole, "rows") if n < IDENTIFIER_MIN_ROWS and whole is not None else (train, "training rows")
        if frame.height < IDENTIFIER_MIN_ROWS or name not in frame.columns:
            continue
        distinct = frame.get_column(name).drop_nulls().n_unique()
        if distinct >= IDENTIFIER_FRACTION * frame.height:
            notes.append(
                f"column {name!r} has a distinct value in {distinct} of {frame.height} {where}: the generator can only "
                "copy its real values into synthetic rows (a privacy leak if it identifies people) and learns "
                f"nothing from it; keep it out with --withhold {shlex.quote(name)} (or pass it as --id if it is a row id)"
            )
    return notes


def _synthetic_ids(ids: pl.Series, n: int) -> pl.Series:
    """New unique ids: max + 1, ... for integer and float ids; ``synthetic-0``, ... for text ids.

    Any other id type (dates, booleans, an ``Enum``, ...) is refused (:class:`AugmentError`), as
    is an integer type too small for the new ids or a float id too large to count on from.
    """
    name, dt = ids.name, ids.dtype
    if dt.is_integer():
        start = int(ids.max() or 0) + 1 if ids.null_count() < ids.len() else 0  # type: ignore[arg-type]
        try:
            # Python ints, typed as the column: a UInt64 or Int128 id beyond 2**63 counts on as well
            return pl.Series(name, range(start, start + n), dtype=dt, strict=True)
        except Exception:
            raise AugmentError(
                f"--id {name!r} is {_a(str(dt))} {dt} column whose largest id is {start - 1}: the {n} new ids of the synthetic "
                f"rows ({start} to {start + n - 1}) do not fit in {dt}; renumber the ids so that {n} more fit above the "
                "largest, or write them as text (a letter before the number: text ids give the synthetic rows ids "
                "synthetic-0, ...), or leave --id out and keep the column out of the generator and the valuation with "
                f"--withhold {shlex.quote(name)} --drop {shlex.quote(name)} (synthetic rows then leave it empty)"
            ) from None
    if dt.is_float():
        finite = ids.drop_nulls().drop_nans()
        top = float(finite.max()) if finite.len() else -1.0  # type: ignore[arg-type]
        new = pl.Series(name, top + 1.0 + np.arange(n, dtype=np.float64)).cast(dt)
        values = new.to_numpy()
        if not np.isfinite(top) or new.n_unique() < n or not (values > top).all():
            raise AugmentError(
                f"--id {name!r} is {_a(str(dt))} {dt} column whose largest id is {top!r}: dvclean cannot count on from it to "
                f"give the {n} synthetic rows new distinct ids; use an integer or text id column"
            )
        return new
    if dt in (pl.String, pl.Categorical) or isinstance(dt, pl.Categorical):
        taken = set(ids.cast(pl.String).drop_nulls().to_list())
        prefix = "synthetic-"
        while any(f"{prefix}{i}" in taken for i in range(n)):
            prefix = "dvclean-" + prefix
        return pl.Series(name, [f"{prefix}{i}" for i in range(n)], dtype=pl.String).cast(dt)
    raise AugmentError(
        f"--id {name!r} holds {dt} values: dvclean gives synthetic rows new ids only in an integer or float id column "
        f"(max + 1, ...) or a text one (synthetic-0, ...); pass another --id, or leave --id out (the column is then "
        f"modelled like the others), or keep it out of the generator and the valuation with --withhold "
        f"{shlex.quote(name)} --drop {shlex.quote(name)} (synthetic rows then leave it empty)"
    )


def check_id_column(table: Table, n: int) -> None:
    """Refuse an ``--id`` column that cannot give ``n`` synthetic rows new ids (before any work)."""
    if table.id_column is not None:
        _synthetic_ids(table.frame.get_column(table.id_column), max(1, n))


#: Units whose whole multiples every value of a datetime column may be, coarsest first (polars durations).
RESOLUTIONS = ("1d", "1h", "1m", "1s", "1ms", "1us")


def observed_resolution(col: pl.Series) -> str | None:
    """The coarsest of :data:`RESOLUTIONS` of which every value of a datetime column is a whole multiple (``1d``:
    every value at midnight, in the column's time zone), or None (finer, or no values).

    >>> import datetime as dt
    >>> observed_resolution(pl.Series([dt.datetime(2021, 1, 5), dt.datetime(2022, 3, 1)]))
    '1d'
    >>> observed_resolution(pl.Series([dt.datetime(2021, 1, 5, 10, 30, 15), None]))
    '1s'
    """
    values = col.drop_nulls()
    if values.len() == 0:
        return None
    return next((unit for unit in RESOLUTIONS if (values.dt.truncate(unit) == values).all()), None)


def complete_synthetic(table: Table, sampled: pl.DataFrame, provenance: bool) -> pl.DataFrame:
    """Give sampled rows every input column (ids, existing provenance) in the input's order and dtypes; datetimes
    rounded to the unit the input's values are whole multiples of (dates stored as midnight datetimes, as pandas
    stores them, stay at midnight; whole seconds stay whole: :func:`observed_resolution`)."""
    n = sampled.height
    cols: list[pl.Series] = []
    schema = table.frame.schema  # (built anew on every access: once, not per column)
    index = pandas_index_of(table)
    for name in table.frame.columns:
        if name == table.id_column:
            cols.append(_synthetic_ids(table.frame.get_column(name), n))
        elif name in index and name not in sampled.columns:  # (withheld: left null, as asked)
            cols.append(_new_index_labels(table.frame.get_column(name), n))
        elif name == PROVENANCE:
            cols.append(pl.Series(name, [True] * n, dtype=pl.Boolean))
        else:
            col = sampled.get_column(name).cast(schema[name])
            unit = observed_resolution(table.frame.get_column(name)) if isinstance(schema[name], pl.Datetime) else None
            cols.append(col.dt.round(unit) if unit is not None else col)
    out = pl.DataFrame(cols)
    if provenance and PROVENANCE not in out.columns:
        out = out.with_columns(pl.lit(True, dtype=pl.Boolean).alias(PROVENANCE))
    return out


def _original_rows(table: Table, keep: np.ndarray, provenance: bool) -> pl.DataFrame:
    frame = table.frame if keep.all() else table.frame.filter(pl.Series(keep))
    if provenance and PROVENANCE not in frame.columns:
        frame = frame.with_columns(pl.lit(False, dtype=pl.Boolean).alias(PROVENANCE))
    return frame


class _Withholding:
    """A fitted generator whose samples also hold the withheld columns, all null, and the constant ones (one value,
    a one-row Series, in every row), in the input's column order and dtypes.

    ``quality`` scores the modelled columns only; every other attribute is the generator's.
    """

    def __init__(
        self, gen: Any, table: Table, modelled: Sequence[str], withhold: Sequence[str],
        constants: dict[str, pl.Series] | None = None,
    ) -> None:
        self._gen = gen
        self.modelled = list(modelled)  # the columns the generator models (the quality score's width)
        schema = table.frame.schema
        self._nulls = {c: schema[c] for c in withhold}
        self._constants = dict(constants or {})
        self._order = [c for c in table.frame.columns if c in modelled or c in self._nulls or c in self._constants]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gen, name)

    def sample(self, n: int) -> pl.DataFrame:
        rows = self._gen.sample(n)
        nulls = [pl.Series(c, [None] * n, dtype=dt) for c, dt in self._nulls.items()]
        fixed = [one.gather(np.zeros(n, dtype=np.int64)) for one in self._constants.values()]
        return rows.with_columns(*nulls, *fixed).select(self._order)

    def quality(self, synthetic: pl.DataFrame) -> dict[str, Any]:
        return self._gen.quality(synthetic.select(self.modelled))


class _TextDates:
    """A fitted generator trained on text columns of dates (``07/05/2021``, which the reader leaves as text) read as
    dates: its samples write them back as text in the column's format, so that synthetic dates are new dates
    spelled as the input spells them rather than copies of its cells. ``quality`` reads them as dates again.

    A cell that is no date (``unknown``) was modelled as a missing date; ``missing`` gives, per column, the training
    rows' spellings of a missing date (their non-date texts and ``None`` for an empty cell) with their counts, and a
    missing date in a sample is written as one of them, drawn in those proportions (``seed``): a column without an
    empty cell gets none."""

    def __init__(self, gen: Any, formats: dict[str, str], writes: dict[str, str],
                 cases: dict[str, str | None] | None = None,
                 missing: dict[str, dict[str | None, int]] | None = None, seed: int = 0) -> None:
        self._gen = gen
        self._formats = formats
        self._writes = writes  # the strftime format of each column (:func:`dvclean.table.date_write_format`)
        self._cases = cases or {}  # 05JUL2021, 1:05 pm (:func:`dvclean.table.date_write_case`)
        self._missing = {c: m for c, m in (missing or {}).items() if any(t is not None for t in m)}
        self._rng = np.random.default_rng(seed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._gen, name)

    def sample(self, n: int) -> pl.DataFrame:
        rows = self._gen.sample(n)

        def spelled(c: str, f: str) -> pl.Expr:
            text = pl.col(c).dt.strftime(self._writes.get(c, f)).cast(pl.String)
            case = self._cases.get(c)
            return text.str.to_uppercase() if case == "upper" else text.str.to_lowercase() if case == "lower" else text

        out = rows.with_columns(spelled(c, f) for c, f in self._formats.items() if c in rows.columns)
        for c in sorted(self._missing):
            if c not in out.columns or not out.get_column(c).null_count():
                continue
            spellings = sorted(self._missing[c].items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
            weights = np.array([k for _, k in spellings], dtype=np.float64)
            gaps = out.get_column(c).is_null().arg_true()
            drawn = self._rng.choice(len(spellings), size=gaps.len(), p=weights / weights.sum())
            texts = pl.Series(c, [spellings[i][0] for i in drawn], dtype=pl.String)
            out = out.with_columns(out.get_column(c).scatter(gaps, texts))
        return out

    def quality(self, synthetic: pl.DataFrame) -> dict[str, Any]:
        return self._gen.quality(as_dates(synthetic, self._formats))


def as_dates(frame: pl.DataFrame, formats: dict[str, str]) -> pl.DataFrame:
    """``frame`` with its text columns of dates (``column -> format``, :func:`dvclean.table.text_date_format`) read
    as dates; a cell in another spelling becomes missing."""
    schema = frame.schema  # (built anew on every access: once, not per column)
    return frame.with_columns(read_text_dates(frame.get_column(c), f) for c, f in formats.items()
                              if c in schema and schema[c] == pl.String)


def missing_date_spellings(text: pl.Series, fmt: str) -> dict[str | None, int]:
    """How a text column of dates (``fmt``) spells the cells it holds no date in: each non-date text (``unknown``)
    and ``None`` (an empty cell) with its count.

    >>> missing_date_spellings(pl.Series(["07/05/2021", "unknown", None, "unknown"]), "%d/%m/%Y")
    {'unknown': 2, None: 1}
    """
    dated = read_text_dates(text, fmt).is_not_null()
    others = text.filter(~dated)
    counts = {t: int(k) for t, k in others.drop_nulls().value_counts(sort=True).iter_rows()}
    if others.null_count():
        counts[None] = int(others.null_count())
    return counts


def text_date_columns(table: Table, columns: Sequence[str]) -> dict[str, str]:
    """The modelled text columns (not the label) that hold dates: ``column -> format``."""
    return {c: fmt for c in columns
            if c != table.label and (fmt := text_date_format(table.frame.get_column(c))) is not None}


def fit_and_sample(
    table: Table, mask: np.ndarray, n: int, cfg: AugmentConfig, *, draws: int = 1, seed: int | None = None
) -> tuple[Any, list[pl.DataFrame], dict[str, float]]:
    """Fit the generator on the rows of ``mask`` and draw ``draws`` samples of ``n`` rows.

    Columns of ``cfg.withhold`` never reach the generator; its samples hold them all null.
    """
    from ..pipeline import canonical_order
    from ..table import content_order
    from ._sdv import Generator, empty_columns

    t = time.perf_counter()
    train = table.frame.filter(pl.Series(mask)).select(modelled_columns(table, cfg.withhold))
    features = [c for c in train.columns if c != table.label]
    varying = [c for c in features if train.get_column(c).n_unique() > 1]
    # in an order fixed by the rows' content (of the columns that tell them apart): the generator's batches, and so
    # its samples, do not depend on the file's row order, nor on a constant or empty column added to it
    train = train[canonical_order(train, varying, label=table.label)]
    # a column without a value in the training rows teaches nothing (and SDV cannot fit it): left out, null; one
    # with the same value in every training row: left out, that value in every synthetic row
    empty = empty_columns(train, table.label)
    constants = {c: train.get_column(c).head(1) for c in features if c not in varying and c not in empty}
    dates = text_date_columns(table, [c for c in train.columns if c not in constants])
    missing = {c: missing_date_spellings(train.get_column(c), f) for c, f in dates.items()}
    train = as_dates(train, dates)  # modelled as dates, written back as text in their format
    # the columns in an order fixed by their contents, the label last: the generator draws the same rows however
    # the file orders or names its columns
    modelled = [c for c in features if c not in empty and c not in constants]
    train = train.select([*content_order(train, modelled, table.label), table.label])
    gen = Generator(
        train, label=table.label, generator=cfg.generator, epochs=cfg.epochs, batch_size=cfg.batch_size,
        seed=cfg.seed if seed is None else seed,
    )
    dates = {c: f for c, f in dates.items() if c not in empty}
    if dates:
        gen = _TextDates(gen, dates, {c: date_write_format(table.frame.get_column(c), f) for c, f in dates.items()},
                         {c: date_write_case(table.frame.get_column(c)) for c in dates}, missing,
                         seed=cfg.seed if seed is None else seed)
    gen = _Withholding(gen, table, train.columns, [*cfg.withhold, *empty], constants)
    t_fit = time.perf_counter() - t
    t = time.perf_counter()
    samples = [gen.sample(n) for _ in range(draws)]
    return gen, samples, {"fit": t_fit, "sample": time.perf_counter() - t}


def target_rows_bound(target: Target, cfg: AugmentConfig, table: Table, rows: np.ndarray) -> int:
    """The most rows ``target`` can select among the labelled real rows ``rows`` (known before any valuation).

    The hard set is ``hard_count(hard_fraction, candidates)`` of at most ``rows.sum()`` candidates;
    ``class:`` parts keep the rows of their classes only.
    """
    pool = rows & class_mask(target, table) if target.classes else rows
    n_pool = int(pool.sum())
    if target.base == "hard":
        return min(hard_count(cfg.hard_fraction, int(rows.sum())), n_pool)
    return n_pool


def check_class_rows(cfg: AugmentConfig, target: Target, table: Table, rows: np.ndarray) -> None:
    """Refuse ``class:`` targets whose classes hold fewer than ``cfg.min_rows`` of the labelled real rows ``rows``
    (before any valuation: no flag or ``--hard-frac`` can then select enough; :func:`_check_target_size` judges
    the selected rows after it)."""
    if not target.classes:
        return
    n_pool = int((rows & class_mask(target, table)).sum())
    if n_pool >= cfg.min_rows:
        return
    names = [class_repr(c) for c in resolve_classes(target, table).values()]
    many = len(names) > 1
    raise AugmentError(
        f"--target {target} selects at most {n_pool} row{'s' if n_pool != 1 else ''} to train the generator: the "
        f"class{'es' if many else ''} {', '.join(names)} of the label {table.label!r} {'have' if many else 'has'} "
        f"{n_pool} labelled row{'s' if n_pool != 1 else ''} in all, fewer than the {cfg.min_rows} a generator needs; "
        f"add rows of {'them' if many else 'it'}, or target more classes (--target hard, --target all)"
    )


def check_batch_bound(
    cfg: AugmentConfig, target: Target, table: Table, rows: np.ndarray, *, where: str = "", arm: str = "the generator"
) -> None:
    """Refuse a ``--batch-size`` of ctgan/copulagan above the most rows ``target`` can give (before any valuation)."""
    from ._sdv import PAC

    if cfg.batch_size is None or cfg.generator not in ("ctgan", "copulagan"):
        return
    bound = target_rows_bound(target, cfg, table, rows)
    if cfg.batch_size > bound:
        fix = (f"use at most {bound // PAC * PAC} or omit --batch-size" if bound >= PAC else
               f"fewer than its smallest batch ({PAC}): omit --batch-size and give it more rows (raise --hard-frac "
               "or use --target all)")
        raise AugmentError(
            f"--batch-size {cfg.batch_size} is larger than the {bound} rows (at most) that {arm} trains on "
            f"(--target {target}{where}); {cfg.generator} needs a batch of at most its training rows: {fix}"
        )


def read_holdout(
    holdout: str | os.PathLike[str] | pl.DataFrame, read_options: dict[str, Any], table: Table, info: Any
) -> tuple[pl.DataFrame, Any]:
    """Read a ``--holdout`` file on its own terms: its separator is sniffed and its format detected
    (the data's ``--separator`` / ``--input-format`` are not applied to it).

    Encoding: UTF-8 (or the UTF-16/32 a byte-order mark names) when the file is valid UTF-8 and has
    the data's feature and label columns, else the data's ``--encoding``. UTF-8 is tried first because
    its check is strict (a Latin-1 or BOM-less UTF-16 file fails it), whereas a single-byte codec such
    as Latin-1 decodes any bytes, so a UTF-8 holdout read with the data's ``--encoding latin1`` would
    silently get other category values. The columns the data's read kept as text (its label or id:
    ``info.text_columns``) are read as text too (:func:`dvclean.pipeline.load_source`'s ``as_text``),
    so that its classes compare with the data's (``01`` and ``1`` two classes).
    """
    from ..errors import InputError
    from ..pipeline import load_source

    as_text = tuple(getattr(info, "text_columns", ()))
    if isinstance(as_source(holdout, "holdout="), pl.DataFrame):
        return load_source(holdout, None, as_text=as_text)
    if suffix_format(str(holdout))[0] == "csv":
        # the data's text columns are read as the text they are, not typed by the reader's own guess: a column of
        # 05/07/2021 dates the data holds as MM/DD/YYYY text was typed day first when every day was at most 12
        schema = table.frame.schema
        as_text = (*as_text, *(c for c in table.features if schema.get(c) == pl.String and c not in as_text))
    base = {k: v for k, v in read_options.items() if k not in ("separator", "format", "stdin", "exclude", "encoding")}
    needed = [*table.features, table.label]
    first_error: InputError | None = None
    first_read: tuple[pl.DataFrame, Any] | None = None
    for encoding in dict.fromkeys(["utf-8", read_options.get("encoding") or "utf-8"]):
        try:
            got = load_source(holdout, {**base, "encoding": encoding}, as_text=as_text)
        except InputError as exc:
            first_error = first_error or exc
            continue
        if all(c in got[0].columns for c in needed):
            return got
        first_read = first_read or got
    if first_read is not None:
        return first_read
    assert first_error is not None
    raise first_error


# ---------------------------------------------------------------- the library function


F = TypeVar("F", bound=Callable[..., Any])


def _keeps_caller_state(fn: F) -> F:
    """Run ``fn`` inside :func:`~dvclean.augment._sdv.caller_state_kept`: the generators seed the global random
    states and pin torch to one thread, and a library call must leave the caller's as they were."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ._sdv import caller_state_kept

        with caller_state_kept():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@one_at_a_time
@_keeps_caller_state
def augment(
    source: DataSource,
    *,
    label: str | None = None,
    id_column: str | None = None,
    drop: Sequence[str] = (),
    scores: str | os.PathLike[str] | pl.DataFrame | pd.DataFrame | ScoreResult | None = None,
    holdout: DataSource | None = None,
    config: AugmentConfig | None = None,
    read_options: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> AugmentResult:
    """Add synthetic rows learned from the hardest (or other targeted) rows.

    Parameters
    ----------
    source : path, "-", polars.DataFrame, polars.LazyFrame or pandas.DataFrame
        The data (any format :func:`dvclean.io.read_frame` reads, or a frame as for
        :func:`dvclean.score`; :data:`dvclean.io.DataSource`).
    label : str, optional
        Label column (modelled jointly with the features); defaults as in :func:`dvclean.score`.
    id_column : str, optional
        Row-id column: not modelled; synthetic rows get new ids (max + 1, ... for integer and
        float ids, ``synthetic-0``, ... for text ids; other id types are refused).
    drop : sequence of str
        Columns excluded from the valuation features (they are still modelled unless
        withheld: ``config.withhold`` keeps columns from the generator, null in synthetic rows).
    scores : path, polars or pandas DataFrame, or ScoreResult, optional
        A ``dvclean score`` output for these rows (its file, its frame as read by polars or pandas, or the result of
        :func:`dvclean.score`), reused instead of valuing again.
    holdout : path or frame (as ``source``), optional
        Holdout rows for the evaluation (instead of a 10% split). A file is read with its own
        sniffed separator and detected format, as UTF-8 when it is valid UTF-8, else
        with the data's encoding: see :func:`read_holdout`. Its columns must hold the data's types (:func:`~.evaluate.plan_evaluation`).
    config : AugmentConfig, optional
    read_options : dict, optional
        Passed to :func:`dvclean.io.read_frame`.
    progress : callable, optional
        ``progress(message)`` called at the start of each stage.

    Returns
    -------
    AugmentResult

    Notes
    -----
    The generators seed Python's, numpy's and torch's global random states and pin torch to
    one thread; all of these, and ``TQDM_DISABLE`` in the environment, are put back on return.
    """
    from ..pipeline import ScoreResult, _check_arguments, load_source, scores_metadata, text_identity
    from ._sdv import check_modellable, empty_columns, require_sdv

    cfg = config or AugmentConfig()
    label, id_column, drop = _check_arguments(cfg, label, id_column, drop, read_options, progress, func="augment",
                                              config_type=AugmentConfig, progress_call="progress(message)")
    score_meta = None
    scores, holdout = expand_home(scores), expand_home(holdout)  # (~/s.parquet, as the data's path)
    if isinstance(scores, ScoreResult):  # dvclean.score's result for these rows: its per-row frame and its settings,
        score_meta = scores_metadata(scores)  # checked as a scores file's footer (another --drop is refused)
        scores = scores.frame
    elif type(scores).__module__.split(".")[0] == "pandas" and type(scores).__name__ == "DataFrame":
        scores = pl.from_pandas(scores)  # (a scores file read with pandas.read_parquet: its columns as written)
    elif scores is not None and not isinstance(scores, (str, os.PathLike, pl.DataFrame)):
        raise TypeError(f"augment(scores=...) takes a scores file's path, its frame (polars or pandas) or "
                        f"dvclean.score's result, got {type(scores).__module__}.{type(scores).__qualname__}")
    say = progress or (lambda msg: log.info("%s", msg))
    target = parse_target(cfg.target)
    if holdout is not None and not cfg.evaluate:
        raise ConfigError("--holdout (holdout=) is only used by --evaluate (evaluate=True); add --evaluate or drop "
                          "--holdout")
    if holdout is not None and cfg.splits > 1:
        raise ConfigError(
            f"--splits {cfg.splits} re-draws the holdout, but a --holdout file (holdout=) is fixed: drop --splits or "
            "--holdout"
        )
    if scores is not None and not cfg.evaluate and cfg.k != AugmentConfig().k:
        # (the command line refuses a --k typed with --scores; here only a K other than the default can be told
        # from one left out)
        raise ConfigError(
            f"AugmentConfig(k={cfg.k}) sets the K of the valuation, but scores= already fixed the values and no row "
            f"is valued again (evaluate=False): leave k out, or score the data with KNNConfig(k={cfg.k}) and pass "
            "that result (or omit scores=)"
        )
    require_sdv()  # (AugmentConfig refuses epochs / batch_size for gaussian-copula, as the CLI does)
    source = as_source(source)
    timings: dict[str, float] = {}
    t = time.perf_counter()
    read_options = dict(read_options or {})
    piped = read_once(source, read_options)  # stdin's or a pipe's bytes, kept: the text is read twice
    # a class label and a row id are their text, as `dvclean score` reads them (a CSV's 01 and 1 are two classes)
    frame, info = load_source(source, read_options, keep_text=text_identity(label, id_column),
                              exact_text=(id_column,) if id_column else ())
    read_options.pop("stdin", None)
    text = None
    if not isinstance(source, pl.DataFrame):
        text = read_csv_text(piped if piped is not None else source, info,
                             encoding=read_options.get("encoding"), rows=frame.height)
        if text is None:
            text = read_json_text(piped if piped is not None else source, info, rows=frame.height)
    if info.path != "<DataFrame>":  # (the valuation below is handed the frame: it cannot name the file)
        log.info("read %s (%s): %d rows x %d columns, label %r", info.path, info.format, frame.height, frame.width,
                 label)
    if PROVENANCE in frame.columns and frame.schema[PROVENANCE] != pl.Boolean:
        raise DataValidationError(
            f"{info.path}: has a column named {PROVENANCE!r} of type {frame.schema[PROVENANCE]}; "
            "dvclean uses that name for the mark of synthetic rows: if it is that mark saved by another tool (as 0/1 "
            "or yes/no), write it back as true/false, so the synthetic rows are known as such; else rename the column"
        )
    drop_all = tuple(dict.fromkeys(drop))
    nested = [c for c, t in frame.schema.items() if t.is_nested() and c not in (label, id_column, *drop_all)]
    if nested:  # (one message for both flags: make_table's names --drop only, the generator's --withhold only)
        import shlex

        flags = " ".join(f"--drop {shlex.quote(c)} --withhold {shlex.quote(c)}" for c in nested)
        raise DataValidationError(
            f"{info.path}: {'column' if len(nested) == 1 else 'columns'} {', '.join(map(repr, nested))} "
            f"{'holds' if len(nested) == 1 else 'hold'} nested values (lists/structs), which neither the valuation "
            f"nor the generator can use; flatten {'it' if len(nested) == 1 else 'them'}, or leave "
            f"{'it' if len(nested) == 1 else 'them'} out of both with {flags} (synthetic rows then hold null there)"
        )
    # the generator and the three-arm evaluation are built for class labels: a continuous target is refused
    # (make_table never uses an existing dvclean_synthetic column as a feature)
    try:
        table = make_table(frame, label=label, id_column=id_column, drop=drop_all, source=info, task="classification")
    except DataValidationError as exc:  # (a hint to use --task, which augment lacks, reworded)
        if (numeric := numeric_target_problem(frame, label, info.path, exc.problems)) is not None:
            raise DataValidationError([numeric]) from None
        reworded = [for_augment(p) for p in exc.problems]
        if reworded == exc.problems:
            raise
        raise DataValidationError(reworded) from None
    check_classes(target, table)
    check_withhold(table, cfg.withhold)
    # pandas' unnamed index is no feature of `dvclean score` (make_table): the valuation, which sees a frame without
    # the file's metadata, is told so; else an integer index (a filtered frame's positions) would be valued as a number
    valued_drop = (*drop_all, *(c for c in pandas_index_of(table) if c not in drop_all))
    modelled = table.frame.select(modelled_columns(table, cfg.withhold))
    check_modellable(modelled, table.label)  # before the valuation: every column needing --withhold at once
    synthetic_in = synthetic_rows(table)
    notes: list[str] = []
    if (note := withheld_feature_note(table, cfg.withhold)) is not None:
        notes.append(note)
        log.warning("%s", note, extra=NOTE)
    empty = empty_columns(modelled, table.label)
    if empty:
        notes.append(empty_columns_note(empty))
        log.warning("%s", notes[-1], extra=NOTE)
    if synthetic_in.any():
        notes.append(
            f"{int(synthetic_in.sum())} rows are synthetic (column {PROVENANCE!r} true, from an earlier `dvclean augment`): "
            "they are kept in the output but never train the generator, never count as hard rows, "
            "and --n-synthetic percents are of the real rows; they do take part in valuing the real rows (as "
            "neighbours), so the real rows' values and flags differ from those of the real rows alone, which "
            "--evaluate uses"
        )
        log.warning("%s", notes[-1], extra=NOTE)
    real_labelled = ~label_codes(table.frame.get_column(table.label))[2] & ~synthetic_in
    n_wanted = parse_n_synthetic(cfg.n_synthetic, int(real_labelled.sum()))
    check_synthetic_memory(n_wanted, table.frame.width)
    check_id_column(table, n_wanted)
    check_class_rows(cfg, target, table, real_labelled)
    check_batch_bound(cfg, target, table, real_labelled)
    hold_frame = None
    plans = None
    if cfg.evaluate:  # split (and check the holdout file) before the slow valuation of every row
        from .evaluate import plan_evaluation, split_seeds

        hold_info = None
        if holdout is not None:
            if reads_stdin(holdout) and reads_stdin(source):
                raise InputError("the data and --holdout (holdout=) both read standard input (-), and it can be read "
                                 "once: give --holdout the path of a file")
            require_file(holdout, "--holdout")
            hold_frame, hold_info = read_holdout(holdout, read_options, table, info)
        plans = [plan_evaluation(table, cfg, holdout=hold_frame, seed=s, holdout_info=hold_info)
                 for s in split_seeds(cfg)]
    timings["read"] = time.perf_counter() - t

    t = time.perf_counter()
    if scores is not None:
        say("reading scores")
        require_file(scores, "--scores")
        row_scores = load_scores(scores, table, meta=score_meta)
    else:
        say(f"valuing {table.n_rows} rows (KNN-Shapley, K={cfg.k})")
        row_scores = compute_scores(
            table.frame, label=table.label, id_column=table.id_column, drop=valued_drop, cfg=cfg,
            from_file=info.path != "<DataFrame>",
        )
    timings["value"] = time.perf_counter() - t

    blank = blank_rows(table, ~row_scores.label_missing)  # (for the target and the report's hard count)
    mask = target_mask(target, table, row_scores, cfg, blank)
    _check_target_size(mask, target, cfg, row_scores, table)
    for note in empty_class_notes(mask, target, row_scores, table, cfg):
        notes.append(note)
        log.warning("%s", note, extra=NOTE)
    # the rows the target would hold but for the flags: of its classes, labelled, not already synthetic
    candidates = ~row_scores.label_missing & ~synthetic_in & (class_mask(target, table) if target.classes else True)
    for note in excluded_class_notes(table, row_scores, candidates, mask, target, cfg):
        notes.append(note)
        log.warning("%s", note, extra=NOTE)
    n_labelled = int((~row_scores.label_missing & ~synthetic_in).sum())
    n_syn = parse_n_synthetic(cfg.n_synthetic, n_labelled)
    train_empty = [c for c in empty_columns(modelled.filter(pl.Series(mask)), table.label) if c not in empty]
    if train_empty:
        notes.append(empty_columns_note(train_empty, rows=int(mask.sum()), target=str(target)))
        log.warning("%s", notes[-1], extra=NOTE)
    # checked on the output generator's training rows only (the --evaluate fits see other row sets)
    modelled = table.frame.select(modelled_columns(table, cfg.withhold))
    for note in identifier_notes(modelled.filter(pl.Series(mask)), table.label, whole=modelled):
        notes.append(note)
        log.warning("%s", note, extra=NOTE)

    evaluation = None
    if cfg.evaluate:
        from .evaluate import evaluate_holdout

        t = time.perf_counter()
        evaluation = evaluate_holdout(table, valued_drop, cfg, holdout=hold_frame, progress=say, plans=plans)
        timings["evaluate"] = time.perf_counter() - t
        # (the non-targeted arm learns from --target all's rows: target_mask with the same --include-mislabeled)
        if not target.classes and (target.base == "all" or (target.base == "mislabeled-removed"
                                                             and not cfg.include_mislabeled)):
            rows = "every training row" if cfg.include_mislabeled else "every training row not flagged mislabeled"
            notes.append(f"--target {target} trains the evaluation's targeted generator on the rows its non-targeted "
                         f"one learns from ({rows}): the two arms are one, and their comparison says nothing about "
                         "targeting; --target hard tests it")
            log.warning("%s", notes[-1], extra=NOTE)
        if (note := target_mix_note(class_mix(table.frame.get_column(table.label).filter(pl.Series(mask))),
                                    evaluation["target_class_mix"], spec=str(target),
                                    splits=int(evaluation["splits"]))) is not None:
            notes.append(note)  # (augment's own notes: the evaluation's hard set is not the output's)
            log.warning("%s", note, extra=NOTE)

    say(f"training {cfg.generator} on {int(mask.sum())} rows ({target}) and sampling {n_syn} rows")
    gen, samples, gt = fit_and_sample(table, mask, n_syn, cfg)
    timings["fit"] = gt["fit"]
    timings["sample"] = gt["sample"]
    synthetic = complete_synthetic(table, samples[0], cfg.provenance)
    if isinstance(text, CsvText | JsonText):  # new date/time values at the precision the input's text writes them
        synthetic = temporal_like_input(synthetic, table.frame, text)
    if (note := index_labels_note(table, synthetic)) is not None:
        notes.append(note)
        log.warning("%s", note, extra=NOTE)
    t = time.perf_counter()
    agreement = label_agreement(table, mask, synthetic, cfg.withhold, generator=cfg.generator)
    timings["label_agreement"] = time.perf_counter() - t
    if agreement is not None and agreement["note"]:
        notes.append(agreement["note"])
        log.warning("%s", notes[-1], extra=NOTE)
    # columns the generator gave one value in every synthetic row that vary in the rows it learned from
    if (collapsed := collapsed_columns_note(table.frame.filter(pl.Series(mask)), synthetic,
                                            [c for c in gen.modelled if c != table.label], cfg.generator,
                                            gen.settings.epochs)) is not None:
        notes.append(collapsed)
        log.warning("%s", collapsed, extra=NOTE)
    quality = None
    run_quality = cfg.scores_quality(len(gen.modelled))
    if cfg.quality is None and not run_quality:
        notes.append(f"the SDMetrics quality score was skipped: the generator modelled {len(gen.modelled)} columns "
                     f"(more than {QUALITY_MAX_COLUMNS}), and it compares every pair of them (minutes); pass "
                     "--quality to compute it")
        log.warning("%s", notes[-1], extra=NOTE)
    if run_quality:
        t = time.perf_counter()
        quality = gen.quality(samples[0])
        timings["quality"] = time.perf_counter() - t

    keep = ~row_scores.is_mislabeled if cfg.drop_mislabeled else np.ones(table.n_rows, dtype=bool)
    originals = _original_rows(table, keep, cfg.provenance)
    out = pl.concat([originals, synthetic], how="vertical")
    if cfg.drop_mislabeled:  # a class emptied or mostly removed, as `dvclean fix --action drop` says it
        for note in dropped_class_notes(table.frame.get_column(table.label), ~keep):
            notes.append(note)
            log.warning("%s", note, extra=NOTE)
    # compared with the input's mix: --drop-mislabeled's removals move it too
    if not cfg.evaluate and (note := output_mix_note(class_mix(table.frame.get_column(table.label)),
                                                     class_mix(out.get_column(table.label)),
                                                     dropped=int((~keep).sum()))):
        notes.append(note)  # (--evaluate says it of the arms' training rows: mix_shift_note)
        log.warning("%s", note, extra=NOTE)

    settings = gen.settings
    n_mis = int((row_scores.is_mislabeled & ~row_scores.label_missing).sum())
    # the flagged rows the target would hold but for the flags: of its classes, labelled, not already synthetic
    eligible = ~row_scores.label_missing & ~synthetic_in & (class_mask(target, table) if target.classes else True)
    train_labels = table.frame.get_column(table.label).filter(pl.Series(mask))
    report: dict[str, Any] = {
        "schema_version": REPORT_SCHEMA_VERSION,
        "dvclean_version": __version__,
        "command": "augment",
        "input": {
            "path": info.path, "format": info.format, "sha256": info.sha256,
            "rows": table.n_rows, "columns": table.frame.width,
        },
        "label": table.label,
        "id_column": table.id_column,
        "drop": list(table.dropped),
        "seed": cfg.seed,
        "config": report_config(cfg, row_scores),
        "scores": {
            "source": row_scores.source,
            "method": row_scores.method,
            "validation": row_scores.validation,
            "valued": int(row_scores.valued.sum()),
            "mislabeled": n_mis,
            "hard": int(hard_mask(row_scores, cfg.hard_fraction, cfg.include_mislabeled,
                                  exclude=synthetic_in | blank).sum()),
            # the valuation's own notes (dvclean score's), logged as it ran
            "notes": notes_beyond_scores(row_scores.result) if row_scores.result is not None else [],
        },
        "target": {
            "spec": str(target),
            "rows": int(mask.sum()),
            "fraction_of_labelled": int(mask.sum()) / max(1, n_labelled),
            "class_mix": class_mix(train_labels),
            "mislabeled_rows_used": int((mask & row_scores.is_mislabeled).sum()),
            "mislabeled_rows_excluded": 0 if cfg.include_mislabeled else int((row_scores.is_mislabeled & eligible).sum()),
            "synthetic_rows_excluded": int(synthetic_in.sum()),
            # which rows: the --id column's values, else 0-based data rows (score's first output column)
            "row_ids": [json_scalar(v) for v in table.row_ids().filter(pl.Series(mask)).to_list()],
        },
        "generator": {
            "name": settings.generator,
            "training_rows": settings.rows,
            "epochs": settings.epochs,
            "batch_size": settings.batch_size,
            "sdtypes": settings.sdtypes,
            "point_masses": dict(settings.point_masses),
            "withheld": list(cfg.withhold),
            "not_modelled": [c for c in table.frame.columns if c not in settings.sdtypes],
            "early_stopping": early_stopping_note(settings.epochs, settings.batch_size, settings.rows,
                                                  from_user=cfg.epochs is not None),
        },
        "synthetic": {"rows": synthetic.height, "class_mix": class_mix(synthetic.get_column(table.label)),
                      "label_agreement": ({k: v for k, v in agreement.items() if k != "note"}
                                          if agreement is not None else None)},
        "output_rows": {
            "original": int(keep.sum()),
            "dropped_mislabeled": int((~keep).sum()),
            "synthetic": synthetic.height,
            "total": out.height,
        },
        "quality": quality,
        "evaluation": evaluation,
        "notes": notes,
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "environment": _environment(),
    }
    return AugmentResult(frame=out, synthetic=synthetic, report=report, table=table, scores=row_scores, config=cfg,
                         text=text, kept=np.flatnonzero(keep), read_from=file_paths(holdout, scores))


def report_config(cfg: AugmentConfig, scores: RowScores) -> dict[str, Any]:
    """``cfg`` as the report records it: ``k`` is the K of the KNN-Shapley valuation that found the rows
    (a ``--scores`` file's, from its footer; None when the file does not say or another method made
    its values, ``scores.method``: this run's ``k`` valued nothing; with ``evaluate`` the evaluation's K
    is ``evaluation.k``)."""
    out = cfg.to_dict()
    out["k"] = scores.k
    return out


def _environment() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    env = {"python": platform.python_version()}
    for pkg in ("polars", "numpy", "sdv", "ctgan", "torch", "xgboost", "xgboost-cpu", "sdmetrics"):
        try:
            env[pkg] = version(pkg)
        except PackageNotFoundError:
            continue
    return env


# ---------------------------------------------------------------- writing


def default_augment_output(source: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """``<input stem>.augmented.<ext>`` next to the input, named as ``dvclean fix`` names its output
    (:func:`dvclean.io.derived_output_path`): ``fmt`` is the output format
    (:data:`dvclean.io.OUTPUT_FORMATS`); None: the input's (a JSON array gives a JSON array, an
    Arrow file Arrow with the input's own suffix).

    Examples
    --------
    >>> default_augment_output("d/data.csv.gz").as_posix(), default_augment_output("d/x.feather", "ipc").as_posix()
    ('d/data.augmented.csv', 'd/x.augmented.feather')
    """
    return derived_output_path(source, "augmented", fmt)


def report_path_for(output: str | os.PathLike[str]) -> Path:
    """``<stem>.augment-report.json`` next to the output (its format suffix, a compression suffix before it and
    ``.augmented`` removed from the stem).

    Examples
    --------
    >>> report_path_for("d/data.augmented.csv").as_posix(), report_path_for("o.csv.gz").as_posix()
    ('d/data.augment-report.json', 'o.augment-report.json')
    """
    out = Path(output)
    name = out.name
    if suffix_format(name)[1] is not None and name.count(".") > 1:  # o.csv.gz: the .gz goes with the .csv
        name = name.rsplit(".", 1)[0]
    stem = name.rsplit(".", 1)[0] if "." in name.lstrip(".") else name
    if stem.endswith(".augmented"):
        stem = stem[: -len(".augmented")]
    return out.with_name(f"{stem}.augment-report.json")


def check_augment_paths(output: Path, report: Path, inputs: Sequence[str | os.PathLike[str] | None]) -> None:
    """Refuse outputs that would overwrite an input or each other."""
    from ..pipeline import check_output_path

    data = inputs[0] if inputs else None
    name = default_augment_output(data).name if data is not None and str(data) != "-" else "augmented.csv"
    check_output_path(output, inputs, example=name)
    if Path(report).is_dir():
        raise OutputError(
            f"the JSON report {report} (named after --output {output}) is a directory; choose another --output"
        )
    try:
        check_output_path(report, inputs)
    except OutputError as exc:  # the shared check names it --output: say which file it is and where its name comes from
        msg = str(exc).replace(f"--output {report}", f"the JSON report {report} (named after --output {output})", 1)
        raise OutputError(msg.replace("choose another path", "choose another --output", 1)) from None
    if same_file(output, report):
        raise OutputError(f"--output {output} would be overwritten by the report; choose another name")
    refuse_other_report(output, report, named=f"named after --output {output}", rename="(-o)")


def refuse_other_report(output: Path, report: Path, *, named: str, rename: str) -> None:
    """Refuse to write ``report`` where the report of another existing output is (``data.augmented.csv`` and
    ``data.augmented.parquet`` share ``data.augment-report.json``), which would be left without its report. The
    report of ``output`` itself is overwritten: a re-run writes both again. ``named`` says where the report's name
    comes from, ``rename`` how to give this output another (the command line's ``(-o)``)."""
    other = _reported_output(report)
    if other is not None and not same_file(other, output) and other.resolve() != Path(output).resolve():
        raise OutputError(
            f"the JSON report {report} ({named}) is the report of another output, {other}, which would be left "
            f"without its report: name this output differently {rename}, or remove {other} and its report first"
        )


def _reported_output(report: Path) -> Path | None:
    """The existing output an existing augment report records (``data.augmented.csv`` and ``data.augmented.parquet``
    share ``data.augment-report.json``); None when there is no such report or its output is gone."""
    try:
        if not report.is_file() or report.stat().st_size > 64 * 2**20:
            return None
        recorded = json.loads(report.read_text(encoding="utf-8")).get("output")
    except (OSError, ValueError, AttributeError):
        return None
    if not isinstance(recorded, str) or not recorded:
        return None
    candidate = report.parent / Path(recorded).name  # a report is written next to its output (report_path_for)
    return candidate if candidate.is_file() else None


def _pandas_range_index(
    frame: pl.DataFrame, metadata: dict[bytes, bytes], result: AugmentResult
) -> tuple[pl.DataFrame, dict[bytes, bytes]]:
    """The pandas ``RangeIndex`` the input's schema metadata describes (``start``/``stop``/``step``, no column),
    continued over the synthetic rows: the original rows keep their labels and the synthetic ones are numbered on from
    the input's last (iris labelled 1000..1149 plus 10 rows: 1150..1159). Copied as it was, the range would no longer
    match the rows and pandas would number them 0..159 instead. Without ``--drop-mislabeled`` the range is only
    lengthened; with it, the labels are written as a column, as pandas stores an index that is not a range
    (``__index_level_0__``; as ``dvclean fix --action drop`` writes its kept rows'). New labels rather than none:
    a missing label would make pandas read the whole index as floats (1000.0). Other metadata is kept as it is."""
    try:
        doc = json.loads(metadata.get(b"pandas", b"null"))
        (index,) = doc["index_columns"]
        start, stop, step = int(index["start"]), int(index["stop"]), int(index["step"])
        n_input = len(range(start, stop, step))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # no pandas metadata, or an index as columns
        return frame, metadata
    table, n_syn = result.table, result.synthetic.height
    if index.get("kind") != "range" or "__index_level_0__" in frame.columns or n_input != table.n_rows:
        return frame, metadata  # (a range that did not number the input's rows: pandas numbers them anew, as there)
    kept = result.kept if result.kept is not None else np.arange(n_input)
    if len(kept) == n_input:
        doc["index_columns"] = [{**index, "stop": start + step * (n_input + n_syn)}]
        return frame, {**metadata, b"pandas": json.dumps(doc).encode("utf-8")}
    rows = np.concatenate([np.asarray(kept, dtype=np.int64), n_input + np.arange(n_syn, dtype=np.int64)])
    frame = frame.with_columns(pl.Series("__index_level_0__", start + step * rows, dtype=pl.Int64))
    doc["index_columns"] = ["__index_level_0__"]
    doc["columns"] = [*doc.get("columns", []), {"name": index.get("name"), "field_name": "__index_level_0__",
                                                "pandas_type": "int64", "numpy_type": "int64", "metadata": None}]
    return frame, {**metadata, b"pandas": json.dumps(doc).encode("utf-8")}


def augment_edits(result: AugmentResult) -> TextEdits:
    """The CSV output as edits of the input's text: the kept rows as written, then the synthetic rows.

    Synthetic values that occur in the input column are written as the input writes them
    (``00104``, ``75.60``, its spelling of a missing value); others in a lossless form
    (integers without ``.0``, floats in their shortest exact form).
    """
    text = result.text
    if not isinstance(text, CsvText):
        raise ValueError("the input was not a CSV file")
    table = result.table
    rows = result.kept if result.kept is not None else np.arange(table.n_rows)
    appended = texts_like_input(result.synthetic, table.frame, text)
    header = [c.strip() for c in text.header_fields()]
    extra: tuple[tuple[str, list[str | None]], ...] = ()
    if result.config.provenance and PROVENANCE not in header:
        extra = ((PROVENANCE, ["false"] * len(rows) + ["true"] * len(appended)),)
    return TextEdits(rows=rows, extra=extra, append=appended)


def augment_json_edits(result: AugmentResult) -> JsonEdits:
    """A JSON or NDJSON output as edits of the input's records: the kept records as the input holds them (numbers as
    spelled), then the synthetic rows as polars writes them."""
    if not isinstance(result.text, JsonText):
        raise ValueError("the input was not a JSON or NDJSON file")
    rows = result.kept if result.kept is not None else np.arange(result.table.n_rows)
    assign: dict[int, dict[str, Any]] = {}
    if result.config.provenance and PROVENANCE not in result.table.frame.columns:
        assign = {int(i): {PROVENANCE: False} for i in rows}
    return JsonEdits(rows=rows, assign=assign, append=json_lines(result.synthetic, result.table.frame, result.text))


def write_augmented(
    result: AugmentResult,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    report_path: str | os.PathLike[str] | None = None,
    record: tuple[str | os.PathLike[str], str | os.PathLike[str]] | None = None,
) -> tuple[Path, Path]:
    """Write the augmented table and its JSON report (both atomically).

    The report goes to ``report_path`` (default: :func:`report_path_for` the table) and records
    the two files' paths; ``record`` names other paths to record instead (``(table, report)``:
    where files written aside will be moved, as the command line's all-or-none outputs are).

    A CSV output of a CSV input keeps the original rows exactly as the input writes them
    (field text, delimiter, quoting; :func:`augment_edits`) with the input's delimiter
    unless the output's suffix names another (``.tsv``, ``.psv``); a JSON or NDJSON output of
    a JSON or NDJSON input keeps the original records as the input holds them (numbers as
    spelled; synthetic values that occur in the input spelled as there; :func:`augment_json_edits`); other outputs are written from the typed frame
    (a Parquet or Arrow output keeps a Parquet or Arrow input's schema metadata, a pandas range index continued over
    the synthetic rows: :func:`_pandas_range_index`).

    A report that records another existing output (``data.augment-report.json`` of ``data.augmented.csv``, when
    ``path`` is ``data.augmented.parquet``) is not replaced: :class:`~dvclean.errors.OutputError`, as on the command
    line; the report of ``path`` itself is.

    Returns
    -------
    (table path, report path)
    """
    if not isinstance(result, AugmentResult):
        raise TypeError(
            f"write_augmented() needs the AugmentResult of dvclean.augment.augment(...), got {type(result).__name__}; "
            "pass the result itself (a ScoreResult is written with dvclean.write_scores)"
        )
    path = Path(expand_home(path))
    fmt = output_format_for(path, format)
    named = "report_path=" if report_path is not None else f"named after {path}"
    report_path = Path(report_path) if report_path is not None else report_path_for(path)
    for out in (path, report_path):
        refuse_input_path(out, result.table, result.read_from)
    # as the command line refuses it (check_augment_paths): writing data.augmented.parquet would otherwise overwrite
    # data.augment-report.json, the report of data.augmented.csv (the command line stages both, so that it never
    # meets an existing report here)
    refuse_other_report(path, report_path, named=named, rename="(another path, or report_path=)")
    meta = {
        "dvclean": json.dumps(
            {
                "schema_version": REPORT_SCHEMA_VERSION,
                "dvclean_version": __version__,
                "command": "augment",
                "seed": result.config.seed,
                "label": result.table.label,
                "input_sha256": result.report["input"]["sha256"],
                "config": result.report.get("config", result.config.to_dict()),
                "provenance_column": PROVENANCE if result.config.provenance else None,
            },
            sort_keys=True,
        )
    }
    if fmt == "csv" and isinstance(result.text, CsvText):
        written = write_csv_text(result.text, path, augment_edits(result),
                                 separator=output_separator(path, result.text.separator))
    elif fmt in ("json", "ndjson") and isinstance(result.text, JsonText):
        check_writable(result.frame.schema, path, fmt)
        written = write_json_text(result.text, path, augment_json_edits(result), format=fmt)
    else:
        info = result.table.source
        # (a typed output of a CSV: its zero-padded codes as the file writes them, new ones padded alike)
        frame = padded_integer_texts(result.frame, result.text) if isinstance(result.text, CsvText) else result.frame
        schema_metadata = dict(info.schema_metadata) if info is not None else None
        if schema_metadata and fmt in ("parquet", "ipc"):
            frame, schema_metadata = _pandas_range_index(frame, schema_metadata, result)
        written = write_table(frame, path, format=fmt, metadata=meta,
                              separator=output_separator(path, info.separator if info is not None else None),
                              schema_metadata=schema_metadata,
                              dictionaries=info.dictionaries if info is not None else ())
    report = dict(result.report)
    report["output"], report["report"] = map(str, record) if record is not None else (str(written), str(report_path))
    with atomic_path(report_path) as tmp:
        tmp.write_text(json.dumps(report, indent=2, default=str, allow_nan=False) + "\n", encoding="utf-8")
    return written, report_path
