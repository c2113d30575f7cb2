"""The ``score`` pipeline: read -> validate -> encode -> value -> flag -> summarise.

:func:`score` writes nothing; :func:`write_scores` writes the per-row frame
atomically. The CLI is a thin wrapper over these two functions.
"""

from __future__ import annotations

import contextvars
import dataclasses
import json
import logging
import math
import os
import platform
import shlex
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ._serial import one_at_a_time
from ._version import __version__
from .config import VALIDATION_METHODS, FlagPolicy, KNNConfig, MislabelConfig, ScoreConfig, unknown_method_error
from .diagnostics import (
    feature_spelling_notes,
    label_copy_columns,
    label_missingness_columns,
    label_predictability,
    label_spelling_notes,
    row_number_columns,
    target_predictability,
)
from .errors import ConfigError, DataValidationError, OutputError, ValuationError
from .flags import (
    MIN_MODEL_CLASS_ROWS,
    RowFlags,
    _hard,
    cell_neighbors,
    distinct_evidence,
    distinct_rows,
    evidence_for,
    flag_regression,
    flag_rows,
    hard_count,
    neighbor_fractions,
    regression_evidence,
    small_classes,
    value_ranks,
)
from .io import (
    _DEFAULT_NULLS,
    DataSource,
    SourceInfo,
    as_source,
    expand_home,
    file_paths,
    json_scalar,
    output_format_for,
    pandas_index_columns,
    path_problem,
    read_frame,
    refuse_no_file_name,
    require_file,
    resolve_output,
    same_file,
    split_name,
    write_denied,
    write_table,
)
from .table import (
    HASH_SEED,
    LABEL_CANDIDATES,
    Table,
    ValuationData,
    blank_labels,
    class_repr,
    class_text,
    content_order,
    group_mean,
    hashable,
    identical_rows,
    label_codes,
    label_missing_mask,
    make_table,
    mean_std,
    padded_numbers,
    prepare,
    rows_text,
    rows_without_values,
    whole_floats,
)
from .valuation import REGISTRY, ValuationResult, make_valuer
from .valuation._parallel import effective_n_jobs, native_threads
from .valuation.knn import nearest_neighbors

__all__ = ["KNNConfig", "ScoreResult", "canonical_order", "score", "write_scores", "default_output_path", "SCHEMA_VERSION",
           "OUTPUT_COLUMNS", "load_source", "text_identity", "total_seconds"]

log = logging.getLogger(__name__)
#: ``extra`` of the log records that repeat a summary note (a CLI that prints the notes hides them).
NOTE = {"dvclean_note": True}

#: Version of the JSON summary and of the Parquet metadata document.
SCHEMA_VERSION = 1
#: Per-row output columns after the row id.
OUTPUT_COLUMNS = (
    "label",
    "value",
    "value_rank",
    "is_mislabeled",
    "is_hard",
    "mislabel_score",
    "is_label_missing",
    "neighbor_label",
    "is_conflicting_duplicate",
)
ProgressFn = Callable[[str, int, int], None]


@dataclass(frozen=True, eq=False)
class ScoreResult:
    """Everything :func:`score` computed.

    Attributes
    ----------
    frame : polars.DataFrame
        One row per input row, in input order: the row id, ``label``, ``value``
        (higher = more useful), ``value_rank`` (1 = most harmful), ``is_mislabeled``,
        ``is_hard``, ``mislabel_score`` in [0, 1], ``is_label_missing`` and
        ``neighbor_label`` (majority label of the K nearest neighbours). For a
        regression target (``ScoreConfig.task``) the same columns mean "outlying
        target" (:mod:`dvclean.flags`), ``neighbor_label`` is the neighbours' mean
        target, and ``predicted_value`` and ``target_z`` are added.
    summary : dict
        JSON-able summary (what ``--json`` prints). ``id_column`` names the row-id column (None: rows are
        named by their 0-based position); each entry of ``most_suspicious`` (the lowest-valued rows) holds the
        row's id under the key ``row_id`` whatever that column is called (as ``dvclean check``'s rows do), so
        ``summary["most_suspicious"][0]["row_id"]`` is a value of ``summary["id_column"]`` (of ``frame``'s first
        column).
    table : Table
    data : ValuationData
        The valued rows (players) in input order: ``data.rows[i]`` is player i's row.
        They were valued in :func:`canonical_order`, so no result depends on the order.
    results : dict of str to ValuationResult
        Per-player arrays aligned with ``data`` (neighbour indices are player indices).
    config : ScoreConfig
    timings : dict of str to float
        Seconds spent in each step (``read``, ``encode``, ``value.<method>``, ``value``, ``flag``), as the summary's
        ``timings``.
    read_from : tuple of str
        The files the run read besides the table's (the ``valid=`` file): :func:`write_scores`
        refuses to overwrite them, as it refuses the input.

    Results (and the :class:`~dvclean.table.Table`, :class:`~dvclean.valuation.ValuationResult` and the other
    results that hold frames or arrays) compare by identity and are hashable: compare two runs by their frames,
    ``a.frame.equals(b.frame)``.
    """

    frame: pl.DataFrame
    summary: dict[str, Any]
    table: Table
    data: ValuationData
    results: dict[str, ValuationResult]
    config: ScoreConfig
    timings: dict[str, float] = field(default_factory=dict)
    read_from: tuple[str, ...] = ()

    def __repr__(self) -> str:
        """A line, not the whole frame and summary (a notebook displays a result returned last in a cell)."""
        flags, rows = self.summary.get("flags", {}), self.summary.get("rows", {})
        flagged = "outlying_targets" if self.table.task == "regression" else "mislabeled"  # (is_mislabeled's meaning)
        return (f"ScoreResult({rows.get('total', self.frame.height)} rows, task={self.table.task!r}, "
                f"methods={list(self.results)!r}, {flagged}={flags.get('mislabeled')}, hard={flags.get('hard')}; "
                "see .frame and .summary)")

    @property
    def values(self) -> np.ndarray:
        """Values of all input rows (NaN where the label is missing)."""
        return self.frame.get_column("value").fill_null(np.nan).to_numpy()


def total_seconds(timings: dict[str, Any]) -> float:
    """Wall time of a run from its summary's ``timings``: the stages' seconds added up.

    A key with a dot is a part of the stage before the dot (``value.knn`` of ``value``) and is not
    counted again.

    >>> total_seconds({"read": 1.0, "value.knn": 2.0, "value.oob": 3.0, "value": 5.5, "flag": 0.5})
    7.0
    """
    return float(sum(v for k, v in timings.items() if "." not in k and isinstance(v, (int, float))))


def load_source(
    source: str | os.PathLike[str] | pl.DataFrame,
    read_options: dict[str, Any] | None,
    *,
    keep_text: Sequence[str] | Callable[[Sequence[str]], Sequence[str]] = (),
    as_text: Sequence[str] = (),
    exact_text: Sequence[str] = (),
) -> tuple[pl.DataFrame, SourceInfo]:
    """Read a file (or ``"-"``) with :func:`dvclean.io.read_frame`, or take a frame as it is
    (a pandas frame or polars LazyFrame converted by :func:`dvclean.io.as_source`).

    ``keep_text``, ``as_text`` and ``exact_text`` go to :func:`~dvclean.io.read_frame` (:func:`text_identity`
    gives the label and id columns of the data, and ``exact_text`` its id column; a validation file takes ``as_text=info.text_columns`` of the data
    so that its labels are read as the data's are); a frame's ``as_text`` columns are cast to String.
    """
    kind = "pandas" if type(source).__module__.startswith("pandas") else "polars"  # (as the summary's input says)
    source = as_source(source)
    if isinstance(source, pl.DataFrame):
        if source.height == 0:
            raise DataValidationError("the frame has no rows")
        if empty := [i for i, c in enumerate(source.columns, start=1) if c.strip() == ""]:
            raise DataValidationError(f"the frame's column {empty[0]} ({source.columns[empty[0] - 1]!r}) has no name; "
                                      "give every column a name (polars: df.rename({'': 'name'}); pandas: df.rename(columns={'': 'name'}))")
        ignored = sorted(k for k, v in (read_options or {}).items() if v is not None and k not in ("stdin", "exclude"))
        if ignored:  # (said once, not silently dropped: they only tell how to read a file)
            log.warning("read_options %s only apply to reading a file; the data is a DataFrame, so they are ignored",
                        ", ".join(map(repr, ignored)))
        schema = source.schema  # (built anew on every access: once, not per column)
        cast = [c for c in as_text if c in schema and schema[c] != pl.String]
        if cast:
            source = source.with_columns([pl.col(c).cast(pl.String) for c in cast])
        return source, SourceInfo(path="<DataFrame>", format=kind, compression=None, sha256="",
                                  text_columns=tuple(cast))
    return read_frame(source, **{**(read_options or {}), "keep_text": keep_text, "as_text": tuple(as_text),
                                 "exact_text": tuple(exact_text)})


def text_identity(
    label: str | None, id_column: str | None, task: str = "auto"
) -> Callable[[Sequence[str]], list[str]]:
    """The ``keep_text`` of a data file: its label column (``label``, else the columns
    :func:`dvclean.table.make_table` would take as the label) and its ``id_column``.

    A class label and a row id are identified by their text: a CSV's ``01`` and ``1`` are two
    classes, ``007`` and ``7`` two ids (:func:`dvclean.io.read_frame` reads such a column as text).
    A regression target (``task="regression"``) is a number and is left out.

    Examples
    --------
    >>> text_identity(None, "id")(["x", "Label", "id"])
    ['Label', 'id']
    >>> text_identity("y", None, task="regression")(["x", "y"])
    []
    """

    def pick(columns: Sequence[str]) -> list[str]:
        out: list[str] = []
        if task != "regression":
            out += [label] if label is not None else [c for c in columns if c.strip().lower() in LABEL_CANDIDATES]
        if id_column is not None:
            out.append(id_column)
        return [c for c in dict.fromkeys(out) if c in columns]

    return pick



@one_at_a_time
def score(
    source: DataSource,
    *,
    label: str | None = None,
    id_column: str | None = None,
    drop: Sequence[str] = (),
    valid: DataSource | None = None,
    config: ScoreConfig | None = None,
    read_options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    checkpoint: Any = None,
) -> ScoreResult:
    """Value every row of a table and flag likely-mislabeled (or outlying-target) and hard rows.

    ``config.task`` says what the label is (``auto`` by default: a continuous float
    label is a regression target, :func:`dvclean.table.resolve_task`); the summary's
    ``task`` says what was decided and why.

    Parameters
    ----------
    source : path, "-", polars.DataFrame, polars.LazyFrame or pandas.DataFrame
        CSV (optionally gzip/zstd), Parquet, NDJSON, JSON or Arrow IPC file, ``"-"`` for
        standard input, or a frame: a LazyFrame is collected, a pandas frame converted
        (:data:`dvclean.io.DataSource`).
    label : str, optional
        Label column; defaults to the one column named label/target/y/class.
    id_column : str, optional
        Row-id column, kept in the output and never used as a feature.
    drop : sequence of str
        Columns excluded from the features.
    valid : path or frame (as ``source``), optional
        Separate validation rows to value against; by default every row is a
        validation point for all the others.
    config : ScoreConfig, optional
    read_options : dict, optional
        Passed to :func:`dvclean.io.read_frame` (``separator``, ``encoding``, ...).
    progress : callable, optional
        ``progress(step, done, total)`` callback.
    checkpoint : Checkpoint or path, optional
        Save the progress of the resumable methods (``tmc``, ``dvgs``) there and
        resume from it. The file is left in place: delete it once the outputs are
        stored (the CLI does), or a later call with the same settings resumes from it.

    Returns
    -------
    ScoreResult

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 0.15], "y": [0, 0, 0, 1, 1, 1]})
    >>> r = score(df, label="y", config=ScoreConfig(knn=KNNConfig(k=1)))
    >>> r.frame.get_column("value_rank").to_list()[5]   # the 1 among the 0s is most harmful
    1
    """
    config = ScoreConfig() if config is None else config
    label, id_column, drop = _check_arguments(config, label, id_column, drop, read_options, progress)
    # --n-jobs caps every native thread pool of the run (BLAS, OpenMP, numba), not only the workers
    with native_threads(config.crossfit.n_jobs):
        return _score(source, label, id_column, drop, valid, config, read_options, progress, checkpoint)


#: A caller's check of the table, run as soon as it is read, before any valuation (:func:`table_check`).
_TABLE_CHECK: contextvars.ContextVar[Callable[[Table], None] | None] = contextvars.ContextVar("table_check", default=None)


@contextmanager
def table_check(check: Callable[[Table], None]) -> Iterator[None]:
    """Within the block, :func:`score` calls ``check(table)`` once the table is read and its task known, before any
    valuation: a caller that refuses some tables (``fix --action relabel`` on a regression target) stops the run
    before its work rather than after it."""
    token = _TABLE_CHECK.set(check)
    try:
        yield
    finally:
        _TABLE_CHECK.reset(token)


def reads_stdin(source: Any) -> bool:
    """Whether ``source`` is ``"-"`` (standard input, which can be read once)."""
    return isinstance(source, str | os.PathLike) and os.fspath(source) == "-"


def _score(
    source: DataSource,
    label: str | None,
    id_column: str | None,
    drop: Sequence[str],
    valid: DataSource | None,
    config: ScoreConfig,
    read_options: dict[str, Any] | None,
    progress: ProgressFn | None,
    checkpoint: Any,
) -> ScoreResult:
    for m in config.methods:
        if m not in REGISTRY:
            raise unknown_method_error(m, REGISTRY)
    if valid is not None and not set(config.methods) & set(VALIDATION_METHODS):
        raise ConfigError(
            f"valid= is read by {', '.join(VALIDATION_METHODS)} only; {' and '.join(config.methods)} "
            f"{'uses' if len(config.methods) == 1 else 'use'} no validation set, so it would be ignored: drop valid= or "
            "add one of those methods"
        )
    if reads_stdin(valid) and reads_stdin(source):  # (the data would take all of it: valid= found it empty)
        from .errors import InputError

        raise InputError("the data and the validation set (--valid, valid=) both read standard input (-), and it can "
                         "be read once: give --valid the path of a file")
    if checkpoint is not None:
        from .valuation._checkpoint import RESUMABLE_METHODS, Checkpoint

        # (as the CLI refuses --checkpoint: not silently ignored; a value of another type is as_checkpoint's TypeError)
        if isinstance(checkpoint, str | os.PathLike | Checkpoint) and not set(config.methods) & set(RESUMABLE_METHODS):
            raise ConfigError(
                f"checkpoint= applies to {' and '.join(RESUMABLE_METHODS)} only, and "
                f"ScoreConfig(methods={tuple(config.methods)!r}) runs none of them: drop checkpoint= or add one of them "
                "to ScoreConfig(methods=...)"
            )
    if checkpoint is not None:
        from .valuation._checkpoint import Checkpoint, as_checkpoint, released_after

        if not isinstance(checkpoint, Checkpoint):  # a path: one object for this call (its lock is this call's)
            ck = as_checkpoint(checkpoint)
            return released_after(ck, lambda: _score(source, label, id_column, drop, valid, config, read_options,
                                                     progress, ck))
    timings: dict[str, float] = {}
    t = time.perf_counter()
    if progress:
        progress("read", 0, 1)
    # dropped columns are never parsed (projection pushdown)
    frame, info = load_source(source, {**(read_options or {}), "exclude": tuple(drop)},
                              keep_text=text_identity(label, id_column, config.task),
                              exact_text=(id_column,) if id_column else ())
    if progress:
        progress("read", 1, 1)
    table = make_table(frame, label=label, id_column=id_column, drop=drop, source=info, task=config.task)
    if (check := _TABLE_CHECK.get()) is not None:
        check(table)
    for note in (_positional_index_note(source), _missing_marker_note(table)):
        if note:
            table = dataclasses.replace(table, notes=(*table.notes, note))
    requested_task = config.task
    config = dataclasses.replace(config, task=table.task)  # the valuers see the resolved task
    valid_table = None
    run_notes: list[str] = []  # the --valid file's reading notes and the methods' notes, for the summary
    if valid is not None:
        # the labels are read as the data's are: as text when the data's are kept as text, else typed
        from .augment.core import read_holdout  # (no SDV import)

        # read on its own terms, as augment's --holdout: its separator sniffed, its format and encoding detected
        valid = expand_home(valid)
        require_file(valid, "--valid")
        given = as_source(valid, "valid= (the validation data)")
        if isinstance(given, pl.DataFrame) and given.height == 0:
            raise DataValidationError("the validation frame (valid=) has no rows: pass one with rows, or leave valid= "
                                      "out to value every row against the others")
        vframe, vinfo = read_holdout(valid, read_options or {}, dataclasses.replace(table, features=table.varying_features()),
                                     dataclasses.replace(info, text_columns=tuple(c for c in info.text_columns
                                                                                  if c == table.label)))
        used = table.varying_features()  # a constant or empty column is ignored: the file need not have it
        missing = [c for c in (*used, table.label) if c not in vframe.columns]
        if missing:
            raise DataValidationError(
                f"{vinfo.path}: the validation file lacks column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(map(repr, missing[:10]))}{f' and {len(missing) - 10} more' if len(missing) > 10 else ''}; "
                "it needs the same feature and label columns as the data: add "
                f"{'them' if len(missing) > 1 else 'it'}, or leave a feature out of the valuation (--drop NAME; "
                "drop= in Python)"
            )
        schema = table.frame.schema
        vframe = vframe.with_columns(pl.lit(None, dtype=schema[c]).alias(c)
                                     for c in table.features if c not in vframe.columns)
        if vframe.schema[table.label] in (pl.Int128, pl.UInt128) and table.frame.schema[table.label] in (pl.String,
                                                                                                       pl.Int64):
            # (128-bit codes: the data's are text past 64 bits, else Int64 -- make_table -- and these are read alike)
            want = table.frame.schema[table.label]
            try:
                vframe = vframe.with_columns(pl.col(table.label).cast(want))
            except pl.exceptions.PolarsError:  # (past 64 bits where the data's fit: refused below as other labels)
                vframe = vframe.with_columns(pl.col(table.label).cast(pl.String))
        vnumbers = padded_numbers(vframe.get_column(table.label))
        if vnumbers is not None and frame.schema[table.label] != table.frame.schema[table.label]:
            vframe = vframe.with_columns(vnumbers)  # the data's padded labels were read as numbers: these too
        if table.task == "regression" and vframe.schema[table.label] == pl.String:
            from .table import formatted_numbers

            # a target written as a spreadsheet writes numbers (46,62; 50.03 kg) is read as the data's is
            if (vformatted := formatted_numbers(vframe.get_column(table.label))) is not None:
                vframe = vframe.with_columns(vformatted[0])
        from .augment.evaluate import align_holdout  # (no SDV import)

        # a column of another type (text where the data has numbers) would be read as missing in every row
        vframe, vnotes = align_holdout(dataclasses.replace(table, features=used), vframe, where=f"{vinfo.path} (--valid)")
        run_notes.extend(vnotes)  # logged with the run's other notes
        valid_table = Table(frame=vframe, label=table.label, features=table.features, source=vinfo, task=table.task)
    timings["read"] = time.perf_counter() - t
    if info.path == "<DataFrame>":  # (augment and the library hand over frames: nothing was read from a file)
        log.info("valuing an in-memory %s frame: %d rows x %d columns, label %r", info.format, table.n_rows,
                 len(table.frame.columns), table.label)
    else:
        log.info("read %s (%s%s): %d rows x %d columns, label %r, in %.2f s", info.path, info.format,
                 f", {info.compression}" if info.compression else "", table.n_rows, len(table.frame.columns),
                 table.label, timings["read"])

    t = time.perf_counter()
    if progress:
        progress("encode", 0, 1)
    # rows are valued in an order fixed by their content, so reordering the file changes nothing; a column
    # with one value (constant, or empty) tells no row from another and is not hashed, so adding one
    # (which the encoder ignores) changes nothing either
    # rows without a label are not valued: which columns are hashed, and in what order, comes from the labelled
    # rows alone, so two blank lines at the end of a CSV change no labelled row's value or flag
    labels = table.frame.get_column(table.label)
    missing = label_missing_mask(labels)
    labelled = table.frame.filter(~pl.Series(missing)) if missing.any() else table.frame
    hashed = table.varying_features()
    if missing.any():
        hashed = [c for c in hashed if labelled.get_column(c).n_unique() > 1]
    hashes = row_hashes(table.frame, hashed, table.label, order_by=labelled)
    by_target = table.task == "regression"
    order = _content_order(hashes, labels, by_target=by_target)  # = canonical_order(table.frame, hashed, label=...)
    data, encoder, label_missing = prepare(
        dataclasses.replace(table, frame=table.frame[order]), valid=valid_table, config=config.features
    )
    ignored = [c for c in hashed if c in encoder.dropped_]
    # text columns valued as numbers (19.685,98 or "19,685.98") are hashed as those numbers, as a column of plain
    # numbers is: the same table exported in a German or a US locale is valued in one order, with the same flags
    as_numbers = [c for c in encoder.text_numbers(table.frame) if c.name in hashed and c.name not in ignored]
    if ignored or as_numbers:  # an identifier (a distinct text in every row) is ignored: it must not deal the folds
        # and bags either, or adding a uuid column would change the flags as another seed does (which rows the
        # encoder ignores, and which text columns it reads as numbers, does not depend on the order, so the second
        # encoding makes the same choices)
        hashed_frame = table.frame.with_columns(as_numbers) if as_numbers else table.frame
        by = hashed_frame.filter(~pl.Series(missing)) if missing.any() else hashed_frame
        hashes = row_hashes(hashed_frame, [c for c in hashed if c not in ignored], table.label, order_by=by)
        order = _content_order(hashes, labels, by_target=by_target)
        data, encoder, label_missing = prepare(
            dataclasses.replace(table, frame=table.frame[order]), valid=valid_table, config=config.features
        )
    data = dataclasses.replace(data, rows=order[data.rows])  # players keep their order; rows point into the input
    if note := _index_feature_note(source, table, ignored=encoder.dropped_):  # (an index the encoder ignores: none)
        run_notes.insert(0, note)
    # classes coded by their rows, not their names: renaming or swapping the classes changes no value or flag
    data = canonical_classes(data, hashes[data.rows])
    if data.x_valid is not None and data.y_valid is not None and len(data.y_valid) > 1:
        # the validation rows in an order fixed by their encoded contents (and classes coded as above): their terms
        # are summed in that order, so reordering the --valid file changes no value, not even in the last bits (its
        # messages still name the file's rows)
        vorder = np.lexsort((*np.asarray(data.x_valid).T[::-1], np.asarray(data.y_valid)))
        data = dataclasses.replace(data, x_valid=data.x_valid[vorder], y_valid=data.y_valid[vorder])
    if valid_table is not None:
        # (the columns the encoder uses: an identifier it ignores holds only values the data never has; a text column
        # valued as numbers or dates has no categories: its values need no code of their own)
        coded = {p.name for p in encoder.plans_ if p.kind in ("onehot", "frequency")} - set(encoder.dropped_)
        run_notes.extend(unseen_category_notes(
            table, valid_table.frame, [c for c in table.varying_features() if c in coded],
            where=f"{valid_table.source.path if valid_table.source is not None else 'the validation frame'} (--valid)"))
        valid_at = len(run_notes)  # (its notes go here once the methods have run: they use the retraining scores)
        if note := _unlabelled_validation_note(valid_table, data):
            run_notes.append(note)
    label_missing = _scatter(table.n_rows, order, label_missing, False, bool)
    if progress:
        progress("encode", 1, 1)
    for note in data.notes:
        log.warning("%s", note, extra=NOTE)
    timings["encode"] = time.perf_counter() - t
    log.info("encoded %d feature columns as %d numeric dimensions (%d columns not used); %d rows valued (%s), in %.2f s",
             len(table.features) - len(encoder.dropped_), data.x.shape[1], len(encoder.dropped_), data.n_players,
             data.task if data.is_regression else f"{len(data.classes)} classes", timings["encode"])
    log.debug("encoded dimensions: %s", ", ".join(encoder.feature_names_))

    t = time.perf_counter()
    results: dict[str, ValuationResult] = {}
    if checkpoint is not None:
        from .valuation._checkpoint import as_checkpoint

        checkpoint = as_checkpoint(checkpoint)  # one object: the methods' sections share the file
    if config.knn.k > data.n_players - 1 and ("knn" not in config.methods or not data.leave_self_out):
        # the flags use the K nearest neighbours among the other rows whatever the method (KNN-Shapley refuses the
        # same K itself, except against a --valid file, whose rows can be compared with all n)
        raise ValuationError(
            f"K={config.knn.k} is larger than the {data.n_players - 1} rows each row can be compared with "
            f"(the mislabel flags use the K nearest neighbours); use --k {max(1, data.n_players - 1)} or fewer "
            "(KNNConfig(k=...) in Python)"
        )
    for m in config.methods:
        tm = time.perf_counter()
        valuer = make_valuer(m, config)
        resume = {"checkpoint": checkpoint} if checkpoint is not None and getattr(valuer, "resumable", False) else {}
        results[m] = valuer.value(data, seed=config.seed, progress=progress, **resume)
        timings[f"value.{m}"] = time.perf_counter() - tm
        log.info("valued with %s: status %s, in %.2f s", m, results[m].status, timings[f"value.{m}"])
        log.debug("%s settings: %s; diagnostics: %s", m, results[m].params, results[m].diagnostics)
        if (note := _budget_note(m, results[m], timings[f"value.{m}"], primary=m == config.methods[0])) is not None:
            run_notes.append(note)
        if (note := _fewer_folds_note(m, results[m], data)) is not None:
            run_notes.append(note)
        if (note := _cap_note(m, results[m])) is not None:
            run_notes.append(note)
        run_notes.extend(_sampling_notes(m, results[m]))
        if (saved := (results[m].diagnostics or {}).get("time_budget_from_checkpoint")) is not None:
            run_notes.append(f"{m}: values taken from the checkpoint, whose run had finished on its --time-budget "
                             f"{float(saved):g} s (a finished method is not rerun); delete the checkpoint to value "
                             "it anew")
    results = share_identical(results, identical_rows(data.x, data.y))
    if valid_table is not None:
        where = valid_table.source.path if valid_table.source is not None else "valid="
        run_notes[valid_at:valid_at] = validation_notes(data, where, config.methods, results)
    timings["value"] = time.perf_counter() - t

    primary = results[config.methods[0]]
    neighbors = next((r.neighbors for r in results.values() if r.neighbors is not None), None)
    if neighbors is None:
        neighbors, _ = nearest_neighbors(data.x, None, config.knn.k, backend=config.knn.neighbors)
    t = time.perf_counter()
    knn_res = results.get("knn")
    mislabel = config.mislabel
    notes: list[str] = list(run_notes)
    predictability: dict[str, Any] | None = None
    target_check: dict[str, Any] | None = None
    skewed_flags = False  # (most outlying targets on one side of a skewed target: maybe its correct long tail)
    many_outlying = False  # (more outlying targets than errors of any plausible spread leave: maybe a poor fit)
    flag_jobs = effective_n_jobs(config.crossfit.n_jobs)  # threads for the forest and the folds (same result for any number)
    blank = _blank_players(table, data, encoder.dropped_)  # rows without any feature value: never judged
    # the models' work grows with the rows and, above two classes, with the classes (XGBoost fits one tree per
    # class per round: 500 classes of 20,000 rows took 8 minutes)
    per_row = 1 if data.is_regression or len(data.classes) <= 2 else len(data.classes)
    if mislabel.rule != "knn" and data.n_players * per_row > mislabel.model_max_rows:
        size = f"{data.n_players:,} rows" + (f" x {per_row} classes" if per_row > 1 else "")
        notes.append(
            f"{size}: the {mislabel.rule!r} mislabel rule's models would dominate the run, so the 'knn' rule was "
            f"used (to insist, raise --mislabel-max-rows, MislabelConfig.model_max_rows in Python, from "
            f"{mislabel.model_max_rows:,} to {data.n_players * per_row:,} or more"
            + (": it counts a row once per class above two classes)" if per_row > 1 else ")")
        )
        mislabel = dataclasses.replace(mislabel, rule="knn")
    if data.is_regression:
        if mislabel.rule in ("confident", "vote"):
            notes.append(
                f"--mislabel-rule {mislabel.rule} is a rule for class labels; on a regression target it flags as "
                "consensus does (the outlier rule on the stacked prediction of the model, the OOB forest, the "
                "neighbours and the linear model; 'confidence' uses the model alone, 'knn' the neighbours alone)"
            )
        # copies of a row (equal features and target) would predict each other's target: one copy of each is judged
        # (a regression target: rows equal in the features and the measured target are one record, cells of discrete
        # data included, flags.record_copies)
        copies = distinct_rows(data.x, data.y, neighbors.shape[1], backend=config.knn.neighbors, pure_cells=False)
        # rows with an imputed feature value: judged against their own residuals' spread (flags.residual_z)
        indicators = encoder.missing_indicators()
        incomplete = (data.x[:, indicators] > 0.5).any(axis=1) if indicators else None
        # the standardised value of a target of 0: positive targets wrong by a share of themselves are measured as
        # log ratios to their predictions (flags.residual_z)
        zero = -data.target_center / data.target_scale if data.target_scale > 0 else None
        if copies is None:
            reg_evidence = regression_evidence(data.x, data.y, neighbors, mislabel, seed=config.seed,
                                               progress=progress, n_jobs=flag_jobs, incomplete=incomplete, zero=zero)
        else:
            first, groups, distinct_neighbors = copies
            reg_evidence = regression_evidence(data.x[first], data.y[first], distinct_neighbors, mislabel,
                                               seed=config.seed, progress=progress, n_jobs=flag_jobs,
                                               incomplete=None if incomplete is None else incomplete[first],
                                               zero=zero).expanded(groups)
        flags = flag_regression(primary.values, data.y, config.flags, reg_evidence, mislabel=mislabel,
                                incomplete=incomplete, zero=zero)
        if flags.predicted_value is not None:
            target_check = target_predictability(flags.predicted_value[~blank], data.y[~blank])
            if not target_check["predictable"] and reg_evidence.first_pass is not None:
                # the later passes leave the suspects out: a skewed target's whole upper tail (claims of which 70% are
                # 0) left out turned their predictions against the target, while the first pass, fitted to every
                # row, follows it; the features predict the target when either pass shows it
                first_check = target_predictability(reg_evidence.first_pass[~blank], data.y[~blank])
                if first_check["predictable"]:
                    target_check = {**first_check, "first_pass": True}
            target_check["one_value_left"] = reg_evidence.one_value_left  # (then no model was fitted to rank rows)
            if not target_check["predictable"]:
                notes.append(_target_predictability_note(target_check, data.n_players, int(flags.is_mislabeled.sum())))
        if config.methods[0] != "oob" and (note := _dominant_target_note(
                table, data, primary.values, flags, mislabel.outlier_z,
                predictable=(target_check or {}).get("predictable", True))):
            notes.append(note)
        # (rows without any feature value are unflagged below: these notes count the flags that stay)
        if note := _skewed_target_note(data, flags, blank, cut=mislabel.outlier_z):
            notes.append(note)
            skewed_flags = True
        elif (target_check or {}).get("predictable", True) and (
                note := _outlying_share_note(data, flags, mislabel, blank)):
            notes.append(note)
            many_outlying = True
    else:
        if knn_res is None and mislabel.rule == "knn" and not data.leave_self_out:
            # the knn rule reads KNN-Shapley's values as -m knn would give them: against the --valid file
            knn_res = make_valuer("knn", config).value(data, seed=config.seed)
        # the KNN-Shapley values behind the flags, whatever the primary method: leave-self-out ones (computed by
        # gather_evidence when knn did not run), except under the knn rule with --valid (against that file)
        valid_knn = knn_res is not None and not data.leave_self_out and mislabel.rule == "knn"
        # copies of a row (equal features and label) would confirm each other's label: one copy of each is judged
        distinct = distinct_evidence(
            data.x, data.y, neighbors.shape[1], len(data.classes), mislabel, backend=config.knn.neighbors,
            seed=config.seed, progress=progress, n_jobs=flag_jobs,
            knn_values_of=(lambda first: make_valuer("knn", config).value(
                dataclasses.replace(data, x=data.x[first], y=data.y[first], rows=data.rows[first]), seed=config.seed,
            ).values) if valid_knn else None,
        )
        if distinct is None:
            # (a cell of discrete data: the neighbours drawn from it in proportion to its labels, not by position)
            flag_neighbors, judged = cell_neighbors(data.x, data.y, neighbors), slice(None)
            evidence = evidence_for(
                data.x, data.y, flag_neighbors, len(data.classes), mislabel, seed=config.seed, progress=progress,
                n_jobs=flag_jobs,
                knn_values=knn_res.values if knn_res is not None and (data.leave_self_out or valid_knn) else None,
            )
        else:
            evidence, flag_neighbors, judged = distinct.evidence, distinct.neighbors, distinct.first
        flags = flag_rows(primary.values, data.y, flag_neighbors, len(data.classes), config.flags, evidence=evidence,
                          mislabel=mislabel)
        # the test needs probabilities not tuned to the labels: the signals' equal-weight pool, not the flags'
        # pool, whose weights were fitted to these labels (diagnostics.label_predictability's notes); one copy of
        # each row, whose copies are no independent evidence
        proba = dataclasses.replace(evidence, weights=None).proba if evidence is not None and evidence.signals() else None
        if proba is None and flag_neighbors.shape[1]:
            proba = neighbor_fractions(data.y, flag_neighbors, len(data.classes))
        if proba is not None:
            tested = np.arange(data.n_players)[judged]
            tested = tested[~blank[tested]]  # a row without any feature value is no evidence either way
            predictability = label_predictability(proba[tested], data.y[tested])
            if not predictability["predictable"]:
                alike = not tested.size or not np.ptp(np.asarray(data.x)[tested], axis=0).any()
                notes.append(_IDENTICAL_ROWS_NOTE if alike else _predictability_note(predictability, data.n_players))
    flags, blank_note = _blank_rows_unflagged(data, blank, flags, primary.values, config.flags, table)
    # rows of equal value ranked as the hard flags take them (higher mislabel score first), then in input order
    # (the rows were valued in the canonical order, which would otherwise break the ties)
    flags = dataclasses.replace(flags, value_rank=value_ranks(primary.values, flags.mislabel_score, data.rows))
    if blank_note is not None:
        notes.append(blank_note)
    if (hard_note := _hard_shortfall_note(flags, primary, config.flags.hard_fraction, blank)) is not None:
        notes.append(hard_note)
    if (offset_note := _class_offset_note(data, primary, flags, blank, config.knn.exact_max_rows)) is not None:
        notes.append(offset_note)
    flagged = int(np.sum(flags.is_mislabeled))
    unpredictable = predictability is not None and not predictability["predictable"]  # (that note says more)
    if not (data.is_regression or unpredictable) and mislabel.expected_noise is None and flagged > MANY_FLAGGED * data.n_players:
        notes.append(
            f"{flagged:,} rows ({flagged / data.n_players:.0%}) are flagged mislabeled, more than "
            f"{MANY_FLAGGED:.0%} of the labels: so many flags more often mean labels that these features predict "
            "poorly (rows that are hard, not wrong) than wrong labels; check a sample of them by hand before acting, "
            "or give --expected-noise if the noise rate is known" + _quantity_hint(table.frame.get_column(table.label),
                                                                      len(data.classes))
        )
    if data.is_regression and mislabel.expected_noise is None and flagged > MANY_FLAGGED * data.n_players:
        many_outlying = True
        notes.append(
            f"{flagged:,} rows ({flagged / data.n_players:.0%}) are flagged as outlying targets, more than "
            f"{MANY_FLAGGED:.0%}: so many more often mean that the prediction does not fit the target's shape (many "
            "equal values, a skewed or mixed distribution) than that they are wrong; check a sample of them by hand "
            "before acting, or give --expected-noise if the share of wrong targets is known"
        )
    if (share_note := _expected_noise_note(flags, mislabel, data.n_players, data.is_regression)) is not None:
        notes.append(share_note)
    rare = {} if data.is_regression else rare_classes(data, flags, blank)
    if (rare_note := _rare_class_note(rare, int((~blank).sum()))) is not None:
        notes.append(rare_note)
    if not data.is_regression and mislabel.rule != "knn":
        small, rows_of_small = _smallest_class(data)
        if rows_of_small < mislabel.n_folds:  # (oof_proba deals as many folds as the smallest class has rows)
            used_folds = max(2, rows_of_small)
            notes.append(
                f"{_smallest_classes_text(data)}, so the mislabel rule's models used {used_folds} stratified "
                f"folds instead of {mislabel.n_folds} (each row's prediction comes from a model trained on "
                f"{(used_folds - 1) / used_folds:.0%} of the rows)"
            )
        if mislabel.rule == "consensus" and rows_of_small < MIN_MODEL_CLASS_ROWS:
            # (flags.small_classes: the summary's count estimates come from the models, the flags need the neighbours)
            tiny = int(np.sum(small_classes(data.y, len(data.classes))))
            notes.append(
                f"{tiny:,} class{'es have' if tiny != 1 else ' has'} fewer than {MIN_MODEL_CLASS_ROWS} rows: too few "
                "for the models to judge their rows, which are flagged only where none of their "
                f"{neighbors.shape[1]} nearest rows shares their label (or the knn rule flags them)"
            )
    notes.extend(label_spelling_notes(table.frame.get_column(table.label)) if not data.is_regression else [])
    notes.extend(feature_spelling_notes(table.frame, [p.name for p in encoder.plans_ if p.kind in ("onehot", "frequency")]))
    used = [c for c in table.features if c not in encoder.dropped_]
    numbered = row_number_columns(table.frame, used)
    if numbered:
        how = ("pass it as --id, or --drop it from the features" if table.source is None
               or table.source.path != "<DataFrame>"  # (a frame handed to the library: its keyword arguments)
               else f"pass id_column={numbered[0]!r}, or drop={numbered if len(numbered) > 1 else numbered[0]!r}")
        notes.append(
            f"feature column{'s' if len(numbered) > 1 else ''} {', '.join(map(repr, numbered))} "
            f"hold{'' if len(numbered) > 1 else 's'} a distinct consecutive integer in every row"
            + (" (but a few empty ones)" if any(table.frame.get_column(c).fill_nan(None).null_count()
                                                 if table.frame.schema[c].is_float() else table.frame.get_column(c).null_count()
                                                 for c in numbered) else "")
            + ", like a row number "
            f"or an id: the file's order becomes a feature; {how}, if that is not meant"
        )
    padded = dict(table.source.padded_codes) if table.source is not None else {}
    for name in [c for c in used if c in padded and c not in numbered]:
        notes.append(
            f"feature column {name!r} is written with leading zeros to one width ({padded[name]!r}) and holds a "
            "distinct value in nearly every row, like a record number or a code: it is valued as a number, whose "
            "size and order mean nothing for a code; pass it as --id, or --drop it from the features, if that is not "
            "meant"
        )
    copies = [] if data.is_regression else label_copy_columns(table.frame, used, table.label)
    if copies:
        notes.append(
            f"feature column{'s' if len(copies) > 1 else ''} {', '.join(map(repr, copies))} spell{'' if len(copies) > 1 else 's'} "
            f"the label {table.label!r} again (each value goes with one class): it predicts every label, the wrong ones "
            f"too, so no label can look wrong; {' '.join('--drop ' + shlex.quote(c) for c in copies)} if it is a copy of the "
            "label"
        )
    missingness = {} if data.is_regression else label_missingness_columns(table.frame, used, table.label)
    for name, (how, cls) in missingness.items():
        notes.append(
            f"feature column {name!r} is {how} only in the rows labelled {cls!r}: whether it is missing gives that "
            f"class away, the wrong labels too, so those rows' labels cannot look wrong; --drop {shlex.quote(name)} if "
            "it was written after the label was known"
        )
    if not data.is_regression:  # (the columns just noted as copies of the label, or by their missing cells, aside)
        noted = {*copies, *missingness}
        # (text columns valued as numbers, " 1.5" padded or "19.685,98", as those numbers: as the models see them)
        as_valued = dataclasses.replace(table, frame=table.frame.with_columns(encoder.text_numbers(table.frame)))
        notes.extend(_label_proxy_notes(as_valued, data, flags, [c for c in used if c not in noted]))
    for note in notes:
        log.warning("%s", note, extra=NOTE)
    timings["flag"] = time.perf_counter() - t
    log.info("flags (%s): %d mislabeled, %d hard, in %.2f s", flags.rule, int(np.sum(flags.is_mislabeled)),
             int(np.sum(flags.is_hard)), timings["flag"])
    if flags.signal_weights or flags.count_estimates:
        log.debug("signal weights: %s; count estimates: %s", flags.signal_weights, flags.count_estimates)
    # (rows are copies over the columns the models see: an identifier the encoder ignores, `name` or `uuid`, tells
    # every row apart; a constant or empty column, ignored too, tells none apart and may be all there is)
    compared = [c for c in table.features if encoder.dropped_reasons_.get(c, "constant") in ("constant", "empty", "no finite value")]
    out = _output_frame(table, data, results, config.methods[0], flags, label_missing, compared)
    if (id_note := _id_note(table, out)) is not None:
        notes.append(id_note)  # (logged by write_scores: only a scores file or the frame holds the renamed column)
    valid_kind = ("frame" if valid_table is not None and valid_table.source is not None
                  and valid_table.source.path == "<DataFrame>" else "file")
    summary = _summary(table, data, results, out, config, timings, encoder.dropped_, label_missing, valid_kind)
    summary["flags"]["rule"] = flags.rule
    if encoder.all_constant_:  # (the encoder's one placeholder column of zeros is no feature: none is used)
        summary["features"]["encoded_dimensions"] = 0
    if predictability is not None:
        summary["flags"]["label_predictability"] = predictability
    if target_check is not None:
        summary["flags"]["target_predictability"] = target_check
    if skewed_flags:
        summary["flags"]["skewed_target"] = True  # (fix refuses to drop those rows without --force)
    elif many_outlying:
        summary["flags"]["many_outlying"] = True  # (fix refuses to drop those rows without --force, as the note says)
    if rare:
        # (fix refuses to relabel or drop their rows without --force)
        summary["flags"]["rare_classes"] = {class_text(c): k for c, k in rare.items()}
    if getattr(flags, "signal_weights", None):
        summary["flags"]["signal_weights"] = {k: round(v, 4) for k, v in flags.signal_weights.items()}
    if getattr(flags, "count_estimates", None):
        summary["flags"]["count_estimates"] = dict(flags.count_estimates)
    if getattr(flags, "rule_count", None) is not None:
        summary["flags"]["rule_count"] = flags.rule_count  # (what the rule flags without --expected-noise)
    summary["task"] = {"name": table.task, "reason": table.task_reason, "requested": requested_task}
    if data.is_regression:
        summary["flags"]["meaning"] = "outlying target"
        summary["flags"]["outlying_targets"] = summary["flags"]["mislabeled"]
    summary["notes"].extend(notes)
    if valid_table is not None and valid_table.source is not None:  # which file the values were measured against
        summary["validation_file"] = {"path": valid_table.source.path, "sha256": valid_table.source.sha256,
                                      "rows": int(data.y_valid.shape[0]) if data.y_valid is not None else 0}
    data, results = _in_input_order(data, results)
    return ScoreResult(frame=out, summary=summary, table=table, data=data, results=results, config=config, timings=timings,
                       read_from=file_paths(valid))


#: A class counts as valued below (above) 0 when at least this share of its rows are (when at most 1 - it are):
#: :func:`_class_offset_note` speaks when every class is one or the other.
CLASS_OFFSET_SHARE = 0.99


def _class_offset_note(data: ValuationData, primary: ValuationResult, flags: Any, blank: np.ndarray | None,
                       exact_max_rows: int) -> str | None:
    """The note on approximate KNN-Shapley values whose sign follows the class (``None`` otherwise).

    The approximate path values the rows beyond each validation row's K* nearest as one tie group: every far row of
    a class gets the same share, about (1[its label matches] - that class's share of the far rows) x the mean of 1/rank
    over the far ranks, where the exact value weighs it by the row's own rank (rows of its class are nearer). Summed
    over the validation rows, that share is a class offset as large as the near neighbours' signal: on the full Adult
    data (48,842 rows) 100% of the `>50K` rows came out negative and 0% of the others (exact: 56% and 2.4%), and every
    hard row was `>50K` (exact: 3,640 of 4,570). The note says so, and what compares rows instead."""
    if data.is_regression or primary.method != "knn" or primary.status != "approximate" or len(data.classes) < 2:
        return None
    keep = np.ones(len(primary.values), dtype=bool) if blank is None else ~np.asarray(blank, dtype=bool)
    values, y = np.asarray(primary.values, dtype=np.float64)[keep], np.asarray(data.y)[keep]
    hard = np.asarray(flags.is_hard, dtype=bool)[keep]
    codes = np.unique(y)
    negative = {int(c): float(np.mean(values[y == c] < 0)) for c in codes}
    low = [c for c, share in negative.items() if share >= CLASS_OFFSET_SHARE]
    high = [c for c, share in negative.items() if share <= 1 - CLASS_OFFSET_SHARE]
    if not low or not high or len(low) + len(high) < len(codes):
        return None
    from .table import class_repr

    def names(cs: list[int]) -> str:
        shown = ", ".join(class_repr(data.classes[c]) for c in cs[:5])
        return f"class{'es' if len(cs) > 1 else ''} {shown}" + (f" and {len(cs) - 5} more" if len(cs) > 5 else "")

    in_low = np.isin(y, low)
    n_hard, hard_low = int(hard.sum()), int((hard & in_low).sum())
    k_star = primary.diagnostics.get("k_star", "K*")
    return (
        f"the values' sign follows the class: {float(np.mean(values[in_low] < 0)):.0%} of the rows of {names(low)} "
        f"are valued below 0 and {float(np.mean(values[~in_low] < 0)):.0%} of the others"
        + (f", and {hard_low:,} of the {n_hard:,} hard rows are of {'them' if len(low) > 1 else 'it'}" if n_hard else "")
        + f": the approximate KNN-Shapley (above {exact_max_rows:,} rows, or --algorithm approx) values the rows "
        f"beyond each validation row's {k_star} nearest as one group, which moves every row of a class by about the "
        "same amount, so the values and the hard flags compare the classes more than the rows; compare values within "
        "a class, or pass --algorithm exact (slower: its cost grows with the square of the rows)"
    )


def _hard_shortfall_note(flags: Any, primary: ValuationResult, hard_fraction: float,
                         blank: np.ndarray | None = None) -> str | None:
    """The note on a hard set well short of ``--hard-frac`` (``None`` otherwise): rows tied in value and score
    straddle the cut and are flagged together or not at all (:func:`dvclean.flags.top_k`). The approximate
    KNN-Shapley gives 0 to every row whose K* nearest neighbours all share its label: 18,077 of 20,190 rows
    in one test, where 597 rows were flagged hard instead of 1,995. Rows without any feature value (``blank``) are
    never flagged, so neither asked for nor counted."""
    candidates = ~np.asarray(flags.is_mislabeled, dtype=bool)
    if blank is not None:
        candidates &= ~blank
    asked = hard_count(hard_fraction, int(candidates.sum()))
    got = int(np.sum(flags.is_hard))
    over = got > asked  # (a block of rows of one value straddled the cut and more than half of it fitted: taken whole)
    if not over and (asked == 0 or asked - got <= max(1, asked // 10)):
        return None
    # the order top_k took the rows in (flags._hard): by value, then the higher mislabel score first; the block
    # straddling the cut is the rows equal on both keys to the first row left out (on cat3.csv under -m oob all 240
    # rows tie at value 1, but only the 20 of one mislabel score were left out together)
    values = np.asarray(primary.values, dtype=np.float64)[candidates]
    scores = -np.asarray(flags.mislabel_score, dtype=np.float64)[candidates]
    order = np.lexsort((scores, values))
    edge = order[got - 1] if over else order[min(got, values.size - 1)]  # (the last row taken; the first left out)
    tie = float(values[edge])
    tied = int(np.sum((values == tie) & (scores == scores[edge])))
    hint = (" (the approximate KNN-Shapley values only a row's nearest neighbours one by one and the farther rows as one "
            "group, so rows whose nearest neighbours all share their label get equal values; --algorithm exact tells "
            "more of them apart)") if primary.method == "knn" and primary.status == "approximate" else ""
    if over:
        return (f"{got:,} rows are flagged hard, more than the {asked:,} that --hard-frac {hard_fraction:g} asks for: "
                f"{tied:,} rows tie at value {tie:.4g} and in mislabel score across the cut, and rows that tie are "
                f"flagged together or not at all (exact copies of one row, for instance), so `dvclean check --max-hard "
                f"{hard_fraction * 100:.4g}%` fails on them{hint}")
    return (f"{got:,} rows are flagged hard, not the {asked:,} that --hard-frac {hard_fraction:g} asks for: {tied:,} rows "
            f"tie at value {tie:.4g} and in mislabel score across the cut, and rows that tie are flagged together or not at all{hint}")


def _blank_players(table: Table, data: ValuationData, dropped: Sequence[str]) -> np.ndarray:
    """Per player: True where its row has no value in any feature column the encoder uses."""
    return rows_without_values(table.frame, [c for c in table.features if c not in dropped])[data.rows]


def _blank_rows_unflagged(
    data: ValuationData, blank: np.ndarray, flags: Any, values: np.ndarray, policy: FlagPolicy, table: Table
) -> tuple[Any, str | None]:
    """``flags`` with the valued rows that have no feature value at all (``blank``) neither mislabeled nor hard, the
    hard set drawn again among the other rows (``hard_fraction`` of those that can be flagged), and the note naming
    them (``None`` when there are none).

    Such a row is one point for every model, wherever its label came from: the models can only give it the
    labels' overall mix, so a minority-class row would be flagged (and ``fix --action relabel`` would give it the
    majority's label) on no evidence, and a generator would learn empty rows from it.
    """
    if not blank.any():
        return flags, None
    was = flags.is_mislabeled & blank
    mislabeled = flags.is_mislabeled & ~blank
    hard = _hard(values, mislabeled | blank, policy, flags.mislabel_score)
    flags = dataclasses.replace(flags, is_mislabeled=mislabeled, is_hard=hard)
    rows = np.sort(data.rows[blank])
    what = "outlying targets" if data.is_regression else "mislabeled"
    unflagged = f" ({int(was.sum())} would have been flagged {what})" if was.any() else ""
    return flags, (
        f"{rows.size} row{'s have' if rows.size != 1 else ' has'} no feature value at all "
        f"({rows_text(table.row_ids().gather(rows).to_list())}): "
        f"nothing in the data speaks for or against {'their' if rows.size != 1 else 'its'} "
        f"{'targets' if data.is_regression else 'labels'}, so {'they are' if rows.size != 1 else 'it is'} never flagged "
        f"mislabeled or hard{unflagged}; fill in their features or drop them"
    )


def _in_input_order(
    data: ValuationData, results: dict[str, ValuationResult]
) -> tuple[ValuationData, dict[str, ValuationResult]]:
    """The players (valued in :func:`canonical_order`) back in input order: ``data.rows`` increasing, and
    every per-player array of the results (values, standard errors, neighbour indices) permuted alike."""
    back = np.argsort(data.rows, kind="stable")
    new_index = np.empty_like(back)
    new_index[back] = np.arange(back.size)
    data = dataclasses.replace(data, x=data.x[back], y=data.y[back], rows=data.rows[back])
    results = {
        name: dataclasses.replace(
            r,
            values=r.values[back],
            stderr=None if r.stderr is None else r.stderr[back],
            neighbors=None if r.neighbors is None else new_index[r.neighbors[back]],
        )
        for name, r in results.items()
    }
    return data, results


#: An ``auroc_needed`` at or above this means only a near-perfect ranking could pass the
#: predictability test: its failure says nothing about the features.
UNTESTABLE_AUROC = 0.9


def refuse_newer_scores(meta: dict[str, Any], name: str, advice: str) -> None:
    """Refuse a scores footer written by a newer dvclean (``schema_version`` above :data:`SCHEMA_VERSION`): its
    fields may mean something else. ``advice``: what to do besides upgrading."""
    version = meta.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        from .errors import InputError

        raise InputError(
            f"{name}: written by a newer dvclean ({meta.get('dvclean_version', 'unknown')}, scores schema {version}; "
            f"this dvclean reads {SCHEMA_VERSION}): upgrade dvclean, or {advice}"
        )


#: Above this share of the rows flagged mislabeled, a note says the flags may mark hard rows rather than wrong labels.
MANY_FLAGGED = 0.25
RARE_CLASS = 0.25  # a class with fewer rows than this share of an equal split (1/C of the rows) ...
RARE_FLAGGED = 0.5  # ... of which at least this share is flagged gets a note (:func:`_rare_class_note`)


def rare_classes(data: ValuationData, flags: Any, blank: np.ndarray) -> dict[Any, dict[str, int]]:
    """The rare classes whose rows are mostly flagged (mislabeled or hard): class to its ``rows``, its rows flagged
    ``mislabeled`` and ``hard``. The summary's ``flags.rare_classes`` (the classes spelt as the summaries spell
    them): ``fix`` refuses to relabel or drop their flagged rows without ``force`` (:func:`dvclean.fix._refuse_rare`).

    A row of a class with a few percent of the rows has few neighbours of its own class, and where
    the classes overlap the other class is the more probable one, so its value is low and its label
    looks unlikely even when it is right: 2,000 clean rows, 5% of them of a class shifted by one
    standard deviation in each of 4 normal features, had all 100 of its rows flagged (51 mislabeled,
    49 hard); 20 of 4,000 rows, all 20 (16 mislabeled). That is what a rare overlapping class looks
    like, not evidence that its labels are wrong."""
    y = np.asarray(data.y)
    judged = ~blank
    counts = np.bincount(y[judged], minlength=len(data.classes))
    mislabeled = np.bincount(y[judged & flags.is_mislabeled], minlength=len(data.classes))
    hard = np.bincount(y[judged & flags.is_hard], minlength=len(data.classes))
    flagged = mislabeled + hard
    total = int(judged.sum())
    return {data.classes[c]: {"rows": int(counts[c]), "mislabeled": int(mislabeled[c]), "hard": int(hard[c])}
            for c in range(len(data.classes))
            if 0 < counts[c] < RARE_CLASS * total / len(data.classes) and flagged[c] >= max(2, RARE_FLAGGED * counts[c])}


def _rare_class_note(rare: dict[Any, dict[str, int]], total: int) -> str | None:
    """A note for rare classes whose rows are mostly flagged (mislabeled or hard; :func:`rare_classes`), or ``None``:
    that is what a rare overlapping class looks like, so the note says so before ``fix`` acts on them."""
    if not rare:
        return None
    parts = [f"{class_repr(c)}: {k['mislabeled'] + k['hard']} of its {k['rows']} rows "
             f"({k['rows'] / total:.1%} of the data)" for c, k in list(rare.items())[:5]]
    more = f" and {len(rare) - 5} more" if len(rare) > 5 else ""
    # (fix acts on the rows flagged mislabeled only: with none of them, it has nothing to refuse)
    acted = any(k["mislabeled"] for k in rare.values())
    return (
        f"rare class{'es' if len(rare) > 1 else ''} mostly flagged mislabeled or hard ({'; '.join(parts)}{more}): a "
        "row of a rare class has few neighbours of its own class and the models predict that class poorly, so its "
        "value is low and its label looks unlikely whether or not it is right; check these rows by hand"
        + (": fix refuses to relabel or drop them without --force" if acted else
           " (they are flagged hard, not mislabeled: fix leaves them as they are)")
    )


#: A feature column that alone predicts at least this share of the labels gets a note when the mislabel flags follow it
#: (:func:`_label_proxy_notes`): it then disagrees with at most 1 label in 20, as few as the wrong labels a file
#: commonly holds (3.3% on average in the test sets of ten benchmarks, Northcutt et al. 2021), so its disagreements
#: and the wrong labels cannot be told apart. Ordinary strong features stay well below it: the best single column
#: predicted 92.3% of scikit-learn's breast-cancer labels (worst radius), 69.7% of wine's, 20.0% of digits', 81.1%
#: of the 2,000-row adult sample's (sample_data/adult_2000.csv; capital_gain) and 82.5% of the Taiwan credit
#: sample's (PAY_0); the leaks QA found predicted 96.6% (a Y/N status) and 99.2% (a cancellation date's missing cells).
PROXY_SHARE = 0.95
#: ... and leaves at most this share of the errors of guessing the commonest class: on 3,000 rows with 5 of a
#: rare class every column "predicts" 99.8% of the labels by predicting the commonest class (the best threshold
#: predicted 99.9%: 3 errors where the commonest class makes 5).
PROXY_BASELINE_ERRORS = 0.25
#: The classes a column's single threshold is fitted over (:func:`label_proxy`), the most frequent first; it predicts
#: one class on each side, so the rows of further classes only count against it.
PROXY_CLASSES = 8
#: A row disagreeing with a column's threshold counts as one the flags follow only where its value lies between this
#: quantile and its complement of the values of the class the threshold gives it (:func:`label_proxy`).
TYPICAL_LOW = 0.05


def _group_majority(values: pl.Series, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Each row's group's commonest class (a missing cell is a group of its own) and how many rows a group's other
    rows predict right (leave-one-out: a row is right when its class still outnumbers every other class of its group
    without it, so a distinct value in every row, an identifier, predicts none)."""
    frame = pl.DataFrame({"v": values, "y": y}).with_row_index("i")
    counts = frame.group_by("v", "y").len()
    ranked = counts.sort("len", "y", descending=[True, False]).group_by("v", maintain_order=True).agg(
        pl.col("y").first().alias("top"), pl.col("len").first().alias("n1"),
        pl.col("len").get(1, null_on_oob=True).fill_null(0).alias("n2"))
    right = int(ranked.filter(pl.col("n1") - 1 > pl.col("n2")).get_column("n1").sum())
    pred = frame.join(ranked.select("v", "top"), on="v", how="left", nulls_equal=True).sort("i").get_column("top")
    return pred.to_numpy(), right


def label_proxy(col: pl.Series, y: np.ndarray, n_classes: int, *,
                need: int | None = None) -> tuple[np.ndarray, int, tuple[Any, ...]] | None:
    """How well one feature column alone predicts the class codes ``y``: ``(each row's predicted class, rows predicted
    right, the rule)``, or ``None`` for a column of no comparable values. The rule is ``("value",)`` (each value its
    commonest class), ``("missing", filled, missing)`` (whether the cell is missing) or ``("threshold", cut, below,
    above, missing, typical)``: a number or a date predicts one class below a single threshold and one above it (a
    decision stump, the threshold that predicts most labels), its missing cells their commonest class (``missing``,
    ``None`` when there are none); ``typical`` marks the rows it predicts confidently (:data:`TYPICAL_LOW`). One sort
    or one grouping per column; with ``need``, also ``None`` for a number or a date that cannot predict that many
    rows right (:func:`_stump_bound`, without the sort)."""
    if col.dtype == pl.Object or col.dtype.is_nested():
        return None
    nulls = col.is_null().to_numpy()
    if col.dtype in (pl.Float32, pl.Float64):  # (NaN and infinite cells as missing: the encoder imputes both)
        nulls |= (col.is_nan() | col.is_infinite()).fill_null(False).to_numpy()
    if (col.dtype.is_numeric() or col.dtype.is_temporal()) and col.dtype != pl.Boolean:
        v = col.to_physical().cast(pl.Float64).to_numpy().astype(np.float64)
        if need is not None and _stump_bound(v, nulls, y, n_classes) < need:
            return None
        return _threshold_proxy(v, nulls, y, n_classes)
    pred, right = _group_majority(col.cast(pl.String), y)
    rule: tuple[Any, ...] = ("value",)
    if nulls.any() and not nulls.all():  # (a text filled in for one outcome: distinct texts, but missing elsewhere)
        by_missing, right_missing = _group_majority(pl.Series(nulls), y)
        if right_missing > right:
            pred, right = by_missing, right_missing
            rule = ("missing", int(by_missing[np.argmin(nulls)]), int(by_missing[np.argmax(nulls)]))
    return pred, right, rule


#: :func:`_stump_bound` bins a column's values into this many bins of equal width (below ``8 *`` it many rows, the
#: column is sorted instead: no bound).
STUMP_BOUND_BINS = 4096


def _stump_bound(v: np.ndarray, absent: np.ndarray, y: np.ndarray, n_classes: int) -> int:
    """An upper bound on the rows :func:`_threshold_proxy` predicts right, in a few passes without sorting the column:
    the present values fall into :data:`STUMP_BOUND_BINS` bins of equal width between the 0.1% and 99.9% quantiles of
    every k-th value, and one bin on each side beyond them (equal values share a bin, a larger value never falls in
    an earlier bin), and a threshold inside bin ``b`` predicts right at most the rows of its class below ``b``, every
    row of ``b`` and the rows of its class above ``b``; the missing cells at most their commonest class. On 1,000,000
    rows a tenth of the time of the sort; a column that predicts nearly every label, or whose values crowd into a few
    bins, leaves the bound near ``n``.

    >>> v = np.r_[np.arange(20_000.0), np.arange(20_000.0)]
    >>> y = np.r_[np.zeros(20_000, dtype=np.int64), np.ones(20_000, dtype=np.int64)]  # (the column says nothing)
    >>> bound = _stump_bound(v, np.zeros(v.size, dtype=bool), y, 2)
    >>> bound >= _threshold_proxy(v, np.zeros(v.size, dtype=bool), y, 2)[1], bound < 21_000
    (True, True)
    """
    bound = int(np.bincount(y[absent], minlength=n_classes).max()) if absent.any() else 0
    present = v[~absent]
    if present.size < 8 * STUMP_BOUND_BINS:
        return bound + present.size
    sample = np.sort(present[:: present.size // (2 * STUMP_BOUND_BINS)])
    lo, hi = sample[sample.size // 1000], sample[-1 - sample.size // 1000]
    width = (hi - lo) / STUMP_BOUND_BINS
    if not (np.isfinite(width) and width > 0):
        return bound + present.size
    with np.errstate(over="ignore", invalid="ignore"):
        bins = (np.clip(np.floor((present - lo) / width), -1, STUMP_BOUND_BINS) + 1).astype(np.int64)
    top = np.argsort(-np.bincount(y, minlength=n_classes), kind="stable")[:PROXY_CLASSES]
    rank = np.full(n_classes, -1, dtype=np.int64)
    rank[top] = np.arange(top.size)
    yy = rank[y[~absent]]
    kept = yy >= 0  # (rows of the other classes: never predicted right)
    size = STUMP_BOUND_BINS + 2
    counts = np.bincount(bins[kept] * top.size + yy[kept], minlength=size * top.size).reshape(size, top.size)
    before = np.cumsum(counts, axis=0) - counts
    after = counts.sum(axis=0) - before - counts
    return bound + int((before.max(axis=1) + np.bincount(bins, minlength=size) + after.max(axis=1)).max())


def _threshold_proxy(v: np.ndarray, absent: np.ndarray, y: np.ndarray, n_classes: int) -> tuple[np.ndarray, int, tuple[Any, ...]]:
    """:func:`label_proxy` for a number or a date (``v``, missing where ``absent``)."""
    pred = np.zeros(y.size, dtype=np.int64)
    right = 0
    missing_class = None
    if absent.any():
        pred[absent], right = _group_majority(pl.Series(np.zeros(int(absent.sum()))), y[absent])
        missing_class = int(pred[np.argmax(absent)])
    present = np.flatnonzero(~absent)
    if not present.size:
        return pred, right, ("value",)
    order = present[np.argsort(v[present], kind="stable")]
    sv, sy = v[order], y[order]
    top = np.argsort(-np.bincount(y, minlength=n_classes), kind="stable")[:PROXY_CLASSES]
    onehot = sy[:, None] == top[None, :]  # (rows of the other classes: never predicted right)
    left = np.vstack([np.zeros((1, top.size), dtype=np.int64), np.cumsum(onehot, axis=0)])
    after = left[-1] - left
    cuts = np.r_[0, np.flatnonzero(sv[1:] > sv[:-1]) + 1, sv.size]  # between distinct values, or none
    score = left[cuts].max(axis=1) + after[cuts].max(axis=1)
    best = int(cuts[int(np.argmax(score))])
    below, above = int(top[int(np.argmax(left[best]))]), int(top[int(np.argmax(after[best]))])
    pred[order[:best]], pred[order[best:]] = below, above
    right += int(np.max(score))
    if 0 < best < sv.size and below != above:
        # a row is told its class confidently where its value is typical of the rows of that class the threshold
        # predicts right (between their 5th and 95th percentiles): a gradual boundary's disagreements lie at its edge
        # (two classes 3 sd apart, a row 1.4 sd from its own class's mean), a leak's among the other class's values
        typical = absent.copy()
        for c in (below, above):
            of_c = (pred == c) & ~absent
            own = v[of_c & (y == c)]
            if own.size:
                lo, hi = np.quantile(own, [TYPICAL_LOW, 1 - TYPICAL_LOW])
                typical |= of_c & (v >= lo) & (v <= hi)
        return pred, right, ("threshold", (sv[best - 1] + sv[best]) / 2, below, above, missing_class, typical)
    filled = above if best == 0 else below
    if missing_class is not None and missing_class != filled:
        return pred, right, ("missing", filled, missing_class)
    return pred, right, ("value",)


def _label_proxy_notes(table: Table, data: ValuationData, flags: Any, columns: Sequence[str]) -> list[str]:
    """Notes on feature columns that alone predict nearly every label (:data:`PROXY_SHARE`, and well past guessing the
    commonest class, :data:`PROXY_BASELINE_ERRORS`) where most rows flagged mislabeled are rows whose label the column
    disagrees with: the flags then follow that column, and if it is a leak (a date or a status written once the outcome
    was known) they mark right labels. On a churn file whose cancel_date is filled in for 90 of the 93 churners, the 3
    flags were exactly the 3 churners without a date, and fix relabelled them 'stay'. An exact copy of the label is
    :func:`~dvclean.diagnostics.label_copy_columns`' note; a file of one feature column gets none (the flags follow
    it whatever it is)."""
    flagged = np.asarray(flags.is_mislabeled, dtype=bool)
    n = data.n_players
    if len(columns) < 2 or n < 20 or not flagged.any():
        return []
    y = np.asarray(data.y)
    counts = np.bincount(y, minlength=len(data.classes))
    baseline_errors = n - int(counts.max())
    need = math.ceil(max(PROXY_SHARE * n, n - PROXY_BASELINE_ERRORS * baseline_errors))
    found = []
    for name in columns:
        col = table.frame.get_column(name).gather(data.rows)
        got = label_proxy(col, y, len(data.classes), need=need)
        if got is None:
            continue
        pred, right, rule = got
        wrong = pred != y
        if right < PROXY_SHARE * n or n - right > PROXY_BASELINE_ERRORS * baseline_errors:
            continue
        if rule[0] == "threshold":  # (only the rows whose value the threshold tells confidently)
            wrong &= rule[-1]
        against = np.flatnonzero(flagged & wrong)
        if 2 * against.size < int(flagged.sum()) or not against.size:
            continue  # (most flags are rows it agrees with: they do not follow it)
        found.append((right, name, col, pred, rule, against))
    notes = []
    for right, name, col, pred, rule, against in sorted(found, key=lambda f: -f[0]):
        ids = rows_text(table.row_ids().gather(np.sort(data.rows[against])).to_list())
        k, total = against.size, int(flagged.sum())
        if k == total:
            which = (f"the one row flagged mislabeled ({ids}) is a row" if k == 1
                     else f"all {k:,} rows flagged mislabeled ({ids}) are rows")
        else:
            which = f"{k:,} of the {total:,} rows flagged mislabeled ({ids}) {'is a row' if k == 1 else 'are rows'}"
        notes.append(
            f"feature column {name!r} alone predicts {right:,} of the {n:,} labels ({right / n:.1%}) by "
            f"{_proxy_rule_text(col, pred, rule, data.classes)}: {which} whose label disagrees with it, so the flags "
            f"follow that column; if it was written once the label was known (a leak), --drop {shlex.quote(name)} and "
            "score again before fix relabels or drops these rows; if it is a genuine feature, check these rows by hand"
        )
    return notes


def _proxy_rule_text(col: pl.Series, pred: np.ndarray, rule: tuple[Any, ...], classes: np.ndarray) -> str:
    """``its values ('Y': 'yes', 'N': 'no')``, ``whether it is missing (...)`` or ``one threshold (below 0.5: 'no',
    above: 'yes')``: the rule of :func:`label_proxy`, spelt for a note."""
    def c(code: int) -> str:
        return class_repr(classes[code])

    if rule[0] == "missing":
        return f"whether it is missing (filled in: {c(rule[1])}; missing: {c(rule[2])})"
    if rule[0] == "threshold":
        _, cut, below, above, missing, _ = rule
        if col.dtype.is_temporal():
            at = str(pl.Series([int(np.floor(cut))]).cast(col.to_physical().dtype).cast(col.dtype)[0])
            word = "date" if col.dtype in (pl.Date, pl.Datetime) else "threshold"
            text = f"one {word} (up to {at}: {c(below)}; after: {c(above)}"
        else:
            text = f"one threshold (below {cut:.4g}: {c(below)}; above: {c(above)}"
        return text + (f"; missing: {c(missing)})" if missing is not None else ")")
    groups = (pl.DataFrame({"v": col.cast(pl.String), "p": pred}).group_by("v").agg(pl.len(), pl.col("p").first())
              .sort("len", "v", descending=[True, False], nulls_last=True))
    shown = "; ".join(f"{'missing' if v is None else repr(v)}: {c(p)}"
                      for v, p in zip(groups.get_column("v").head(3).to_list(), groups.get_column("p").head(3).to_list(),
                                      strict=True))
    return f"its value ({shown}{'; ...' if groups.height > 3 else ''})"


#: A whole-number label with at least this many classes gets the hint that it may be a quantity (a count, an age).
MANY_WHOLE_CLASSES = 20
#: A number label with fractions (``19.5``) and at least this many classes gets that hint too.
MANY_FRACTIONAL_CLASSES = 10


def _validation_rows(data: ValuationData, kind: str = "file") -> str:
    """The summary's ``validation``: ``file (N rows)``, or ``frame (N rows)`` for a ``valid=`` frame; N counts the
    validation rows used, those with a label (:func:`_unlabelled_validation_note` names the others)."""
    n = data.y_valid.shape[0] if data.y_valid is not None else 0
    return f"{kind} ({n:,} row{'' if n == 1 else 's'})"


def _unlabelled_validation_note(valid: Table, data: ValuationData) -> str | None:
    """A note naming how many validation rows have no label, and so are left out of the validation set."""
    used = data.y_valid.shape[0] if data.y_valid is not None else 0
    left = valid.frame.height - used
    if left <= 0:
        return None
    where = ("the validation frame (valid=)" if valid.source is None or valid.source.path == "<DataFrame>"
             else f"the validation file {valid.source.path}")
    return (f"{left:,} of the {valid.frame.height:,} rows of {where} have no label {valid.label!r} and are left out: "
            f"the values are measured against the other {used:,}; fill in their labels to use them")


def unseen_category_notes(table: Table, vframe: pl.DataFrame, columns: Sequence[str], *, where: str) -> list[str]:
    """A note per text (categorical, boolean) feature column of ``vframe`` holding values that no row of the data has:
    the encoder has no code for them (a one-hot row of zeros, a frequency of 0), so those validation rows sit apart
    from every training row, and nothing said so.

    >>> t = Table(frame=pl.DataFrame({"c": ["a", "b", "a"], "y": [0, 1, 0]}), label="y", features=["c"])
    >>> unseen_category_notes(t, pl.DataFrame({"c": ["a", "z", "z", None], "y": [0, 1, 1, 0]}), ["c"], where="v.csv")
    ["v.csv: column 'c' holds a value the data never has in 2 of 4 rows ('z'): it has no code of its own (encoded as no category), so those rows resemble no training row; check its spelling, or add rows of it to the data"]
    """
    notes = []
    for c in columns:
        dt = table.frame.schema.get(c)
        if c not in vframe.columns or not (dt == pl.String or dt == pl.Boolean or isinstance(dt, (pl.Categorical, pl.Enum))):
            continue
        seen = table.frame.get_column(c).drop_nulls().cast(pl.String).unique()
        given = vframe.get_column(c).cast(pl.String).drop_nulls()
        new = given.filter(~given.is_in(seen.implode()))
        if new.len() == 0:
            continue
        values = new.unique(maintain_order=True)
        one = values.len() == 1
        shown = ", ".join(repr(v) for v in values.head(3).to_list()) + (f" and {values.len() - 3} more" if values.len() > 3 else "")
        notes.append(f"{where}: column {c!r} holds {'a value' if one else 'values'} the data never has in "
                     f"{new.len():,} of {vframe.height:,} rows ({shown}): {'it has' if one else 'they have'} no code of "
                     f"{'its' if one else 'their'} own (encoded as no category), so those rows resemble no training row; "
                     f"check {'its' if one else 'their'} spelling, or add rows of {'it' if one else 'them'} to the data")
    return notes


#: A --valid file of which more than this share of rows are copies of rows of the data gets a note.
VALID_COPIES_SHARE = 0.1


#: The methods that score a --model retrained on subsets of the rows on the --valid rows (KNN-Shapley's classifier is
#: the K nearest rows themselves; DVGS trains its network on the validation rows; oob and confidence use none).
_RETRAINING_METHODS = ("tmc", "loo", "banzhaf", "beta")


def _method_names(methods: Sequence[str]) -> str:
    """``tmc``, ``tmc and loo``, ``tmc, loo and beta``: the methods a note is about."""
    return methods[0] if len(methods) == 1 else f"{', '.join(methods[:-1])} and {methods[-1]}"


def _one_class_clause(data: ValuationData, valid_class: int, methods: Sequence[str], primary: str,
                      results: dict[str, ValuationResult] | None) -> str:
    """What a --valid file of one class means for the retraining methods (:func:`validation_notes`): their game is
    scored on that class alone, and U(empty set), the majority-class score, is the best score there is (accuracy
    and F1: 1) or near it (negated log-loss: log(1 - ABSENT_MASS) = -0.001), so U(all) often equals it and the game
    is flat (accuracy and F1 on the QA's 32 iris rows: U(all) = U(empty set) = 1; negated log-loss -0.045)."""
    from .valuation._models import constant_score

    name = repr(class_text(data.classes[valid_class]))
    many = len(methods) > 1
    text = (f"{_method_names(methods)} score{'' if many else 's'} a --model retrained on subsets of the rows on the "
            f"validation rows, all of class {name}, so {'their' if many else 'its'} values measure only how rows help "
            f"predict {name}")
    flags = " and the hard flags among tied values mean little" if primary in methods else ""
    metric = next(((results[m].params or {}).get("metric") for m in methods if results and m in results), None)
    if metric is None:
        return (f"{text}; predicting {name} for every row (the empty set's score) scores them about as well as a "
                f"model can, and where the model trained on all rows scores the same, the values show only how subsets of the "
                f"rows fall short of it{flags}")
    empty = constant_score(str(metric), np.asarray(data.y_valid, dtype=np.int64), None, len(data.classes))
    scored = "negated logloss" if metric == "logloss" else str(metric)
    text += f"; predicting {name} for every row (the empty set's score) already scores {empty:.4g} ({scored})"
    full = {m: (results[m].diagnostics or {}).get("full_scores") for m in methods if results and m in results}
    full = {m: float(f[0]) for m, f in full.items() if f and len(f) == 1}  # (one game: --valid is not cross-fitted)
    if not full:
        return (f"{text}, and where the model trained on all rows scores the same, the values show only how subsets of "
                f"the rows fall short of it{flags}")
    if all(abs(f - empty) <= 1e-6 for f in full.values()):  # (the full scores are rounded to 6 digits)
        zeros = [(m, int(np.sum(np.abs(np.asarray(results[m].values, dtype=np.float64)) <= 1e-12)), results[m].values.size)
                 for m in full]
        counted = ", ".join(f"{z:,} of {m}'s {n:,}" for m, z, n in zeros)
        return (f"{text}, as the model trained on all rows does: the values show only how subsets of the rows fall "
                f"short of that score ({counted} are 0){flags}")
    scores = sorted({round(f, 4) for f in full.values()})
    than = "less" if max(scores) < empty else "more" if min(scores) > empty else "a different score"
    return f"{text}, the model trained on all rows {than}: {' or '.join(f'{s:.4g}' for s in scores)}"


def validation_notes(data: ValuationData, where: str, methods: Sequence[str] = ("knn",),
                     results: dict[str, ValuationResult] | None = None) -> list[str]:
    """Notes on a ``--valid`` file that skews the values of the ``methods`` that use it (``results``, when given,
    supplies the retraining methods' scores):

    * classes of the data it lacks. KNN-Shapley values a row by how it helps classify its validation neighbours, so
      a row of such a class can only hurt; DVGS trains its network on the validation rows, and such a row's gradient
      pulls against theirs; the retraining methods (tmc, loo, banzhaf, beta) count such a row only by how it moves
      the predictions of the other classes. Measured on iris (90 rows, --valid without class 2): class 2's 31 rows
      took all 15 lowest values under knn, dvgs and tmc (mean value -0.0046, -0.13, -0.011 against 0.014 to 0.73
      for the others), while loo's values were all 0. A --valid file of **one** class gets more for the retraining
      methods (:func:`_one_class_clause`): U(empty set), predicting that class everywhere, is the best score there
      is (or near it), and on 32 iris rows of two classes against 5 rows of one, tmc's U(all) equalled it: 30 of the 32 values
      were 0, the rest +-0.01, yet 3 rows were flagged hard.
    * rows that are copies of the data's. KNN-Shapley values such a row against its own copy, its nearest
      validation row. A retrained model can learn to predict the copy: 5 mislabeled iris rows copied into the
      --valid file (30 of its 60 rows copies) rose from a mean rank of 33 to 84 of 90 under loo with --model
      xgboost, but not with logreg (tmc -0.024 to -0.025, loo -0.037 to -0.043). DVGS changed little (-0.38 to
      -0.36), so it gets no such note.

    >>> d = ValuationData(x=np.r_[0.0, 1.0, 2.0, 3.0][:, None], y=np.r_[0, 0, 1, 1], rows=np.arange(4), classes=np.array(["a", "b"]),
    ...                   x_valid=np.r_[0.0, 9.0][:, None], y_valid=np.r_[0, 0])
    >>> for n in validation_notes(d, "v.csv"): print(n)
    v.csv (--valid) has no row of class 'b' (2 of the data's 4 rows): KNN-Shapley values a row by how it helps classify the validation rows, so a row of a class they lack can only hurt, and that class's rows take the lowest values and the hard flags; give a --valid file that holds every class
    v.csv (--valid): 1 of its 2 rows are copies of rows of the data (equal features and label): each of those rows is valued against its own copy, which it matches best, so their values are too high; keep the validation rows out of the data
    >>> for n in validation_notes(d, "v.csv", ("dvgs", "oob")): print(n)
    v.csv (--valid) has no row of class 'b' (2 of the data's 4 rows): DVGS trains its network on the validation rows and values a row by how its gradient agrees with theirs, so a row of a class they lack pulls against them, and that class's rows take the lowest values and the hard flags; give a --valid file that holds every class
    v.csv (--valid) is not read by oob: its values come from the data alone (out-of-bag or out-of-fold predictions of its own rows)
    """
    if data.x_valid is None or data.y_valid is None:
        return []
    notes = []
    primary = methods[0] if methods else ""
    retraining = [m for m in methods if m in _RETRAINING_METHODS]
    if not data.is_regression:
        y, yv = np.asarray(data.y, dtype=np.int64), np.asarray(data.y_valid, dtype=np.int64)
        counts = np.bincount(y, minlength=len(data.classes))
        absent = [c for c in range(len(data.classes)) if counts[c] and not (yv == c).any()]
        held = np.unique(yv)
        clauses = []
        if "knn" in methods:
            clauses.append("KNN-Shapley values a row by how it helps classify the validation rows, so a row of a class "
                           "they lack can only hurt, and that class's rows take the lowest values and the hard flags")
        if "dvgs" in methods:
            clauses.append("DVGS trains its network on the validation rows and values a row by how its gradient agrees "
                           "with theirs, so a row of a class they lack pulls against them, and that class's rows take "
                           "the lowest values and the hard flags")
        if retraining and held.size == 1:
            clauses.append(_one_class_clause(data, int(held[0]), retraining, primary, results))
        elif retraining:
            clauses.append(f"{_method_names(retraining)} score{'' if len(retraining) > 1 else 's'} a --model retrained "
                           "on subsets of the rows on the validation rows, so a row of a class they lack counts only by "
                           "how it moves the predictions of the other classes, mostly for the worse, and that class's "
                           "rows tend to take the low values and the hard flags")
        if absent and clauses:
            named = ", ".join(repr(class_text(data.classes[c])) for c in absent[:5]) + (
                f" and {len(absent) - 5} more" if len(absent) > 5 else "")
            rows = int(counts[absent].sum())
            notes.append(
                f"{where} (--valid) has no row of class{'es' if len(absent) > 1 else ''} {named} ({rows:,} of the data's "
                f"{y.size:,} rows): {'; '.join(clauses)}; give a --valid file that holds every class"
            )

    def rows_of(x: np.ndarray, y: np.ndarray) -> pl.DataFrame:
        x = np.asarray(x, dtype=np.float64).reshape(len(y), -1)
        return pl.DataFrame({**{f"f{i}": x[:, i] for i in range(x.shape[1])}, "y": np.asarray(y, dtype=np.float64)})

    valid = rows_of(data.x_valid, data.y_valid)
    copies = valid.join(rows_of(data.x, data.y).unique(), on=valid.columns, how="semi", nulls_equal=True).height
    clauses = []
    if "knn" in methods:
        clauses.append("each of those rows is valued against its own copy, which it matches best, so their values are "
                       "too high" if not retraining else "KNN-Shapley values each of those rows against its own copy, "
                       "which it matches best, so their values are too high")
    if retraining:
        what = "target" if data.is_regression else "label"
        clauses.append(f"under {_method_names(retraining)}, a --model trained with such a row can learn to predict its "
                       f"copy, which rewards the row even where its {what} is wrong (much for a model that fits single "
                       "rows closely, as xgboost; little for logreg)")
    if copies > VALID_COPIES_SHARE * valid.height and clauses:
        notes.append(
            f"{where} (--valid): {copies:,} of its {valid.height:,} rows are copies of rows of the data (equal "
            f"features and label): {'; '.join(clauses)}; keep the validation rows out of the data"
        )
    if ignored := [m for m in methods if m not in VALIDATION_METHODS]:
        many = len(ignored) > 1
        notes.append(f"{where} (--valid) is not read by {_method_names(ignored)}: {'their' if many else 'its'} values "
                     "come from the data alone (out-of-bag or out-of-fold predictions of its own rows)")
    return notes


def _expected_noise_note(flags: RowFlags, mislabel: MislabelConfig, n: int, regression: bool) -> str | None:
    """A note when ``expected_noise``'s share flags far more or far fewer rows than the rule itself would (more
    than twice as many, or fewer than half, beyond a margin of a few rows): the share given is probably not the
    data's.

    >>> f = RowFlags(value_rank=np.ones(4), quality=np.ones(4), is_mislabeled=np.r_[True, False, False, False],
    ...              is_hard=np.zeros(4, bool), mislabel_score=np.zeros(4), neighbor_label=np.zeros(4),
    ...              neighbor_disagreement=np.zeros(4), rule_count=30)
    >>> print(_expected_noise_note(f, MislabelConfig(expected_noise=0.005), 300, False))
    --expected-noise 0.5% flagged the 1 row with the highest mislabel scores; the consensus rule itself flags 30 (10.0%): more labels look wrong than the share given (raise it, or leave it out and let the rule decide)
    """
    own, asked = flags.rule_count, int(np.sum(flags.is_mislabeled))
    if own is None or mislabel.expected_noise is None or abs(own - asked) <= 2 or asked // 2 <= own <= 2 * asked:
        return None
    rule = f"outlier rule (|z| > {mislabel.outlier_z:g})" if regression else f"{mislabel.rule} rule"
    what = "targets look outlying" if regression else "labels look wrong"
    advice = (f"more {what} than the share given (raise it, or leave it out and let the rule decide)" if own > asked
              else f"fewer {what} than the share given: the lowest-scored of the flagged rows are likely correct")
    return (f"--expected-noise {mislabel.expected_noise * 100:.4g}% flagged the {asked:,} row{'s' if asked != 1 else ''} with "
            f"the highest mislabel scores; the {rule} itself flags {own:,} ({own / max(n, 1):.1%}): {advice}")


def _quantity_hint(label: pl.Series, n_classes: int) -> str:
    """The many-flags note's hint for a number label of many classes (an age, a count or a rounded price read as
    classes: every row whose neighbours have another number is "mislabeled"); "" otherwise."""
    if not label.dtype.is_numeric():
        return ""
    fractional = label.dtype.is_float() and not whole_floats(label)  # (19 temperatures rounded to 0.5: a quantity)
    if n_classes < (MANY_FRACTIONAL_CLASSES if fractional else MANY_WHOLE_CLASSES):  # (a float's rounded prices too)
        return ""
    what = "whole numbers" if label.dtype.is_integer() else "numbers"
    return (f"; the label holds {n_classes} different {what}: if it is a quantity (a count, an age, a score, a "
            "price), value it with --task regression, where only targets far from their prediction are flagged")


#: Below this many permutations or samples in a fold, a --time-budget stop gets a note: the values are rough.
FEW_SAMPLES = 10


def _budget_note(method: str, result: ValuationResult, seconds: float, *, primary: bool) -> str | None:
    """The note on a ``--time-budget`` that left a sampled method few samples per fold, or was overrun because the
    few samples every fold always runs (:data:`dvclean.valuation.loo.MIN_SAMPLES`) cost more than the budget."""
    diag, budget = result.diagnostics or {}, (result.params or {}).get("time_budget")
    if result.status != "budget_exhausted" or "time_budget" not in (diag.get("stop") or ()):
        return None  # (a permutation cap the user set, --max-permutations 5, is no budget stop)
    counts = [int(c) for c in diag.get("samples" if method == "banzhaf" else "permutations", []) or []]
    if not counts or min(counts) >= FEW_SAMPLES:
        return None
    what = "sampled subsets" if method == "banzhaf" else "permutations" if method == "tmc" else "sampled orderings"
    spread = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
    if max(counts) == 1:  # "1 permutation": and one sample has no spread, so no standard error either
        what = what.replace("permutations", "permutation").replace("subsets", "subset").replace("orderings", "ordering")
    text = f"--time-budget left {method} {spread} {what} per fold"
    if min(counts) < 2:
        err = None if result.stderr is None else np.asarray(result.stderr, dtype=np.float64)
        if err is not None and np.isfinite(err).any():  # (cross-fitted: the spread across the folds is still there)
            text += (f" (one sample has no spread of its own: stderr_{method} is only the spread of the values across "
                     "the folds)")
        else:
            text += " (one sample gives no standard error: the rows it values get none)"
    if budget and seconds > 1.5 * float(budget) + 5:
        text += f" and still took {seconds:.0f} s for a budget of {float(budget):g} s (each fold always runs a few)"
    params = result.params or {}
    workers = params.get("scheduler") is None and effective_n_jobs(int(params.get("n_jobs") or 1)) > 1
    text += (f": its values{', and so the hard flags,' if primary else ''} are rough estimates; raise --time-budget "
             + ("(on small data --n-jobs 1 spends less of it starting workers)" if workers else
                "(the run's start-up, a few seconds of imports and first fits, counts against it)"))
    if method == "banzhaf" and int(diag.get("one_sided_players", 0)):
        text += (f"; {int(diag['one_sided_players'])} row-fold pairs fell on one side of every sampled subset and got "
                 "no estimate in that fold")
    return text


def _cap_note(method: str, result: ValuationResult) -> str | None:
    """The note on TMC folds that the default permutation cap stopped before their convergence test passed (a cap
    the user lowered, ``--max-permutations 50``, is a choice and gets none; neither does a --time-budget stop)."""
    from .config import TMCConfig

    diag, params = result.diagnostics or {}, result.params or {}
    stops = [str(s) for s in diag.get("stop") or ()]
    cap = params.get("max_permutations")
    if method != "tmc" or "max_permutations" not in stops or not isinstance(cap, int) or cap < TMCConfig().max_permutations:
        return None
    capped = stops.count("max_permutations")
    changes = [c for c, s in zip(diag.get("relative_change") or [], stops, strict=False)
               if s == "max_permutations" and isinstance(c, (int, float))]
    change = (f" (their values still moved by {max(changes):.2g} of their size, the test asks "
              f"{params.get('convergence', 0.05):g})" if changes else "")
    folds = f"{capped} of {len(stops)} folds" if len(stops) > 1 else "its permutations"
    return (f"tmc: the {cap}-permutation cap stopped {folds} before the convergence test passed{change}: its "
            "stderr_tmc column gives the sampling error left; raise --max-permutations for tighter values, or give "
            "--time-budget to bound the time")


def _sampling_notes(method: str, result: ValuationResult) -> list[str]:
    """Notes on a model-based method's folds and samples: a --samples (--max-permutations) under
    :data:`FEW_SAMPLES` that the user chose (a --time-budget stop gets :func:`_budget_note`), and cross-fitting folds
    whose validation targets were one value, whose R² divided by the whole target's variance
    (:func:`dvclean.valuation._models.fold_regression_utility`)."""
    from .config import BanzhafConfig, BetaConfig, TMCConfig

    diag, params = result.diagnostics or {}, result.params or {}
    stops = [str(s) for s in diag.get("stop") or ()]
    notes: list[str] = []
    flat = [int(f) for f in diag.get("flat_validation_folds") or ()]
    if flat:
        folds = int(diag.get("folds") or 0)
        which = (f"fold {flat[0] + 1}" if len(flat) == 1 else "folds " + ", ".join(str(f + 1) for f in flat))
        notes.append(
            f"{method}: the validation rows of cross-fitting {which} (of {folds}) all have one target value, on which "
            f"R² is undefined, so {'its' if len(flat) == 1 else 'their'} R² divides by the variance of the whole "
            "target instead (the quantity a fold's own spread estimates); --metric neg_mse scores every fold alike"
        )
    key, flag, default = {"tmc": ("permutations", "--max-permutations", TMCConfig().max_permutations),
                          "beta": ("permutations", "--samples", BetaConfig().samples),
                          "banzhaf": ("samples", "--samples", BanzhafConfig().samples)}.get(method, (None, "", 0))
    counts = [int(c) for c in diag.get(key, []) or []] if key else []
    if (not counts or max(counts) >= FEW_SAMPLES or "time_budget" in stops
            or all(s == "all_permutations" for s in stops)):  # (an enumeration of every ordering is exact)
        return notes
    asked = params.get("max_permutations" if method == "tmc" else "samples")
    what = {"tmc": "permutations", "beta": "sampled orderings", "banzhaf": "sampled subsets"}[method]
    spread = f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}-{max(counts)}"
    # (measured on a 10-row game with known values: value ± 1.96 stderr held the exact value for 69-70% of rows at 4
    # samples and 88% at 10 under tmc and banzhaf, 34-64% under beta at 3-10 before its small-sample floor)
    notes.append(f"{method}: {flag} {asked} left {spread} {what} per fold (the default is {default}): too few for "
                 f"its values, or their stderr_{method}, to be trusted (on a 10-row game with known values, value ± "
                 f"1.96 stderr missed the exact value for about 30% of rows at 4 samples); raise {flag}")
    return notes


def labels_unpredicted(p: dict[str, Any] | None) -> bool:
    """Whether the predictability test (:func:`~dvclean.diagnostics.label_predictability`, the summary's
    ``flags.label_predictability``) failed on a sample large enough for it to tell (``auroc_needed`` below
    :data:`UNTESTABLE_AUROC`): the features are not shown to predict the labels, so the mislabel flags are no
    better than noise, and ``fix`` refuses to relabel or drop on them without ``force``."""
    if not p or p.get("predictable", True) or p.get("auroc") is None:
        return False
    needed = p["auroc_needed"]
    return needed is None or needed < UNTESTABLE_AUROC


def targets_unpredicted(q: dict[str, Any] | None) -> bool:
    """Whether the regression predictability test (:func:`~dvclean.diagnostics.target_predictability`, the
    summary's ``flags.target_predictability``) failed on enough rows to tell (``spearman_needed`` below 0.5): the
    features are not shown to predict the target, so the outlying-target flags are only its extreme values, and
    ``fix`` refuses to drop them without ``force``."""
    if not q or q.get("predictable", True) or q.get("spearman") is None:
        return False
    return (q.get("spearman_needed") or 1.0) < 0.5


def measured_target_predictions(q: dict[str, Any]) -> str:
    """What the predictability test measured, in words: the Spearman correlation of the out-of-sample predictions
    with the target, or (a model that predicts one value for every row ranks nothing) that they are one value."""
    if q.get("one_value_left"):
        return "every row not flagged holds one value of it, so no model was fitted to rank the rows"
    if q.get("constant_prediction"):
        return f"the out-of-sample predictions are one value for every row, so they rank nothing (R² {q['r2']:.3f})"
    return (f"out-of-sample predictions correlate {q['spearman']:.3f} with it (Spearman; p = {q['p_value']:.2g}; "
            f"R² {q['r2']:.3f})")


def _target_predictability_note(q: dict[str, Any], n_rows: int, flagged: int) -> str:
    """The note for a target the features do not predict detectably (:func:`target_predictability`)."""
    measured = measured_target_predictions(q)
    if not targets_unpredicted(q):
        return (f"with {n_rows} rows the test cannot tell whether the features predict the target: {measured}"
                + ("; the outlying-target flags rest on little evidence" if flagged else ""))
    if not flagged:
        return f"the features do not predict the target: {measured}; check --label and the feature columns"
    return (f"the features do not predict the target: {measured}; the rows flagged as outlying targets are only its "
            "extreme values, not shown to be errors, so fix does not drop them without --force: check --label and the "
            "feature columns")


#: The predictability note when every row's features are the same (every feature column constant): the test's
#: AUROC is then an artefact of the folds' class shares (0.000 was printed), not a measurement.
_IDENTICAL_ROWS_NOTE = ("the features cannot predict the labels: every row has the same feature values, so every row "
                        "looks as wrong as any other and the mislabel flags are noise: check --label and the feature "
                        "columns")


def _predictability_note(p: dict[str, Any], n_rows: int) -> str:
    """The note for labels the features do not predict detectably (:func:`label_predictability`).

    When the test's failure is the sample's size (:func:`labels_unpredicted` is false), the note
    says so instead of calling the flags noise; an AUROC nearer the needed one than chance is
    called weak evidence rather than none."""
    auroc, needed = p.get("deciding_auroc", p["auroc"]), p["auroc_needed"]
    measured = measured_label_predictions(p)
    if not labels_unpredicted(p):
        if needed is not None and not p.get("perfect_ranking_passes", needed < 1.0):
            return (
                f"with {n_rows} rows the test cannot tell whether the features predict the labels: {measured} "
                f"(p = {p['p_value']:.2g}), and at these class sizes not even a perfect ranking (AUROC 1) could tell "
                "it from chance; the mislabel flags rest on little evidence"
            )
        return (
            f"with {n_rows} rows the test cannot tell whether the features predict the labels: {measured} "
            f"(p = {p['p_value']:.2g}), and these class sizes need {needed:.3f} to tell it from chance; "
            "the mislabel flags rest on little evidence"
        )
    if needed is not None and auroc >= (0.5 + needed) / 2:
        return (
            f"the features are not shown to predict the labels: {measured} (0.5 = chance; p = "
            f"{p['p_value']:.2g}; these class sizes need {needed:.3f}); the mislabel flags may be noise, so fix does not "
            "relabel or drop on them without --force: check --label and the feature columns"
        )
    return (
        f"the features do not predict the labels: {measured} (0.5 = chance; p = "
        f"{p['p_value']:.2g}; these class sizes need {needed:.3f} to tell it from chance); every row looks as wrong as "
        "any other, so the mislabel flags are noise: check --label and the feature columns"
    )


def measured_label_predictions(p: dict[str, Any]) -> str:
    """The AUROC a predictability note quotes (:func:`~dvclean.diagnostics.label_predictability`): the one the
    test's verdict rests on, that of the class it judges best, beside the mean over the classes when the two
    differ (with many small classes the best one can reach 0.99 on pure noise while the mean is 0.47).

    >>> measured_label_predictions({"auroc": 0.81, "deciding_auroc": 0.81})
    'out-of-sample AUROC 0.810'
    >>> measured_label_predictions({"auroc": 0.466, "deciding_auroc": 0.99})
    'out-of-sample AUROC 0.990 for the class the test judges best (0.466 averaged over the classes)'
    """
    auroc, mean = p.get("deciding_auroc"), p["auroc"]
    if auroc is None or abs(auroc - mean) < 5e-4:
        return f"out-of-sample AUROC {mean:.3f}"
    return f"out-of-sample AUROC {auroc:.3f} for the class the test judges best ({mean:.3f} averaged over the classes)"


def _positional_index_note(source: Any) -> str | None:
    """A note when a pandas frame's unnamed index is not its positions (a filtered, sampled or sorted frame): that
    index is not kept, so the outputs' ``row_id`` is each row's position, and ``df.loc[row_ids]`` picks other rows."""
    if not type(source).__module__.startswith("pandas") or not hasattr(source, "index"):
        return None
    index = source.index
    if any(n is not None for n in index.names):  # (a named index is kept as columns: _index_feature_note)
        return None
    import pandas as pd

    if index.equals(pd.RangeIndex(len(source))):
        return None
    return ("the pandas frame's index is not 0..n-1 (a filtered, sampled or sorted frame) and is not kept: row_id is "
            "each row's position, so select the rows with df.iloc[row_ids], not df.loc; to keep the index as the id, "
            "name it (df.rename_axis('idx')) and pass id_column='idx', or reset_index(drop=True) first")


#: Label texts a file read takes as missing by default (:func:`dvclean.io.read_frame`'s ``null_values``).
_MISSING_MARKERS = (*(m for m in _DEFAULT_NULLS if m), "<NA>", "NaT")


def _missing_marker_note(table: Table) -> str | None:
    """A note when a frame's class label is a missing-value marker spelled as text (``'nan'``: pandas'
    ``astype(str)`` of a NaN): reading a file takes those as missing, a frame's text is a class of its own, whose
    rows are then valued, and often flagged, as that class. The advice replaces the classes as they are spelled
    (spaces around a marker included)."""
    if table.source is None or table.source.path != "<DataFrame>" or table.task == "regression":
        return None
    col = table.frame.get_column(table.label)
    if not (col.dtype == pl.String or col.dtype == pl.Categorical or isinstance(col.dtype, pl.Enum)):
        return None
    text = col.cast(pl.String).alias("label")  # (a label column named "n" would clash with the counts' column)
    counts = text.filter(text.str.strip_chars().is_in(list(_MISSING_MARKERS))).value_counts(sort=True, name="n")
    if counts.height == 0:
        return None
    found = list(zip(counts.get_column("label").to_list(), counts.get_column("n").to_list(), strict=True))
    shown = ", ".join(f"{m!r} ({n} row{'s' if n != 1 else ''})" for m, n in found)
    spelled = "{" + ", ".join(f"{m!r}: None" for m, _ in found) + "}"
    return (f"label column {table.label!r} holds {shown}, which reading a file takes as a missing label (pandas' "
            "astype(str) writes a missing value as 'nan'): in a frame they are a class of their own, valued and "
            "flagged as one; if they are missing labels, make them null first (pandas: "
            f"df[{table.label!r}] = df[{table.label!r}].replace({spelled}); polars: "
            f"df.with_columns(pl.col({table.label!r}).replace({spelled})))")


def _index_feature_note(source: Any, table: Table, ignored: Sequence[str] = ()) -> str | None:
    """A note when a pandas frame's named index (kept as its first columns) is valued as a feature: an index is
    most often a row id, and an id as a feature moves every distance (a shuffled customer number changed the flags).
    ``ignored``: the feature columns the encoder ignores (an index of distinct texts is not valued: no note)."""
    if not type(source).__module__.startswith("pandas") or not hasattr(source, "index"):
        used = [c for c, name in pandas_index_columns(table.source)
                if name is not None and c in table.features and c not in ignored]
        if not used:
            return None
        names = ", ".join(map(repr, used))
        drops = " ".join(f"--drop {shlex.quote(c)}" for c in used)
        return (f"column{'s' if len(used) > 1 else ''} {names} {'are' if len(used) > 1 else 'is'} the pandas index "
                f"stored in the file and valued as a feature; if it identifies rows, pass --id {shlex.quote(used[0])} "
                f"(or {drops}; id_column=/drop= in Python)")
    used = [str(n) for n in source.index.names if n is not None and str(n) in table.features and str(n) not in ignored]
    if not used:
        return None
    names = ", ".join(map(repr, used))
    return (f"the pandas index {names} is valued as a feature (a named index is kept as the frame's first "
            f"column{'s' if len(used) > 1 else ''}); if it identifies rows, pass id_column={used[0]!r} (or "
            f"drop={used if len(used) > 1 else used[0]!r}), or reset_index(drop=True) before scoring")


def _check_arguments(
    config: Any, label: Any, id_column: Any, drop: Any, read_options: Any, progress: Any, *,
    func: str = "score", config_type: type = ScoreConfig, progress_call: str = "progress(step, done, total)",
) -> tuple[str | None, str | None, tuple[str, ...]]:
    """:func:`score`'s (or ``func``'s) arguments checked (a clear ``TypeError`` for a wrong type) and normalised: a
    single ``drop`` name is one column, and a non-text column name (a pandas frame's ``0``, ``1``,
    ..., which become ``"0"``, ``"1"``, ... when the frame is converted) is its text."""
    if not isinstance(config, config_type):
        hint = " (a KNNConfig goes in ScoreConfig(knn=...))" if config_type is ScoreConfig else ""
        raise TypeError(
            f"{func}(config=...) takes a {config_type.__module__}.{config_type.__name__}, got {type(config).__name__}; "
            f"build one with {config_type.__name__}(...){hint}"
        )
    if progress is not None and not callable(progress):
        raise TypeError(f"{func}(progress=...) takes a callable {progress_call}, got {type(progress).__name__}")
    if read_options is not None:
        import inspect

        from .io import read_frame

        if not isinstance(read_options, dict):
            raise TypeError(f"{func}(read_options=...) takes a dict, got {type(read_options).__name__}")
        known = [k for k, p in inspect.signature(read_frame).parameters.items()
                 if p.kind == p.KEYWORD_ONLY and k not in ("exclude", "keep_text", "as_text")]
        unknown = [k for k in read_options if k not in known]
        if unknown:
            raise TypeError(f"{func}(read_options=...) has unknown key(s) {', '.join(map(repr, unknown))}; "
                            f"the reader takes {', '.join(map(repr, known))}")

    def passed(name: Any, what: str) -> str:
        # a pandas frame's MultiIndex column ("t", "y") is named by its tuple's text when the frame is converted
        text = str(name) if isinstance(name, tuple) else name
        return f"drop=[{text!r}]" if what == "drop" else f"{what}={text!r}"

    def name(v: Any, what: str) -> str:
        if isinstance(v, str):
            return v
        if isinstance(v, int | np.integer) and not isinstance(v, bool):
            return str(v)
        if (kind := _series_kind(v)) is not None:  # (its repr is the whole column, many lines)
            named = v.name if kind == "pandas" else (v.name or None)
            if named is None:
                raise TypeError(f"{func}({what}=...) takes a column name, got a {kind} Series with no name: pass the "
                                "name of the column as text")
            raise TypeError(f"{func}({what}=...) takes a column name, got a {kind} Series named {named!r}: pass "
                            f"{passed(named, what)}")
        if isinstance(v, tuple) and v and all(isinstance(p, str | int | np.integer) for p in v):
            raise TypeError(
                f"{func}({what}=...) takes a column name, got the tuple {_cut_repr(v)}: a pandas frame's MultiIndex "
                f"columns are named by their tuple's text when the frame is converted, so pass {passed(v, what)} (or "
                "flatten the columns first, e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns])"
            )
        raise TypeError(f"{func}({what}=...) takes a column name, got {type(v).__name__} {_cut_repr(v)}")

    if drop is None:
        drop = ()
    elif isinstance(drop, str | int | np.integer) and not isinstance(drop, bool):
        drop = (drop,)
    elif (kind := _series_kind(drop)) is not None:  # (a column's values are not names of columns)
        raise TypeError(f"{func}(drop=...) takes a column name or a list of them, got a {kind} Series"
                        + (f" named {drop.name!r}: pass {passed(drop.name, 'drop')}" if drop.name not in (None, "")
                           else ": pass the names of the columns"))
    elif isinstance(drop, dict | bytes) or not isinstance(drop, Iterable):
        raise TypeError(f"{func}(drop=...) takes a column name or a list of them, got {type(drop).__name__} "
                        f"{_cut_repr(drop)}")
    drop = tuple(drop)
    # a name given twice is one column dropped (the summary's dropped_by_user lists it once)
    return (None if label is None else name(label, "label"), None if id_column is None else name(id_column, "id_column"),
            tuple(dict.fromkeys(name(d, "drop") for d in drop)))


def _series_kind(v: Any) -> str | None:
    """``"pandas"`` or ``"polars"`` when ``v`` is a Series of that library, else None."""
    module = type(v).__module__.split(".")[0]
    return module if module in ("pandas", "polars") and type(v).__name__ == "Series" else None


def _cut_repr(v: Any, width: int = 80) -> str:
    """``repr(v)`` on one line, cut to about ``width`` characters (a message must not print a whole object)."""
    shown = " ".join(repr(v).split())
    return shown if len(shown) <= width else shown[: width - 3] + "..."


def share_identical(results: dict[str, ValuationResult], groups: np.ndarray | None) -> dict[str, ValuationResult]:
    """Give copies of one row (equal in every encoded feature and the label; ``groups`` from
    :func:`dvclean.table.identical_rows`) one value: the mean of their estimates.

    Two copies are interchangeable players, so every method's true value is the same for
    both (the symmetry axiom of Shapley, Banzhaf and Beta Shapley; Data-OOB's expected
    out-of-bag accuracy); Monte Carlo estimates and fold-dependent ones differ only by
    chance, and their mean is the better estimate. Exact KNN-Shapley already gives copies
    equal values. Sums over the rows (the efficiency axiom) are unchanged; a standard error
    becomes the root mean square of the copies' (the error of a mean of estimates is at most
    that, however they are correlated).

    Examples
    --------
    >>> from dvclean.valuation import ValuationResult
    >>> r = ValuationResult("tmc", np.array([0.1, 0.3, 0.5]), np.array([0.3, 0.4, 0.1]), "converged", {}, 0)
    >>> out = share_identical({"tmc": r}, np.array([0, 0, 1]))["tmc"]
    >>> out.values.round(3).tolist(), out.stderr.round(4).tolist()
    ([0.2, 0.2, 0.5], [0.3536, 0.3536, 0.1])
    """
    if groups is None:
        return results
    out = {}
    for name, r in results.items():
        stderr = None if r.stderr is None else np.sqrt(group_mean(np.square(r.stderr), groups))
        out[name] = dataclasses.replace(r, values=group_mean(r.values, groups), stderr=stderr)
    return out


def canonical_order(frame: pl.DataFrame, columns: Sequence[str], *, label: str | None = None) -> np.ndarray:
    """A row order that depends on the rows' contents only: sorted by a hash of ``columns``.

    :func:`score` values the rows in this order, so every order-dependent step (the
    cross-validation folds, the bags of Data-OOB, the permutations of TMC, ties among
    neighbours) sees the same sequence whatever the order of the input file: shuffling the
    rows of a file shuffles the output rows and changes nothing else. Numbers are hashed as
    64-bit floats (a column read as integers in one file and as floats in another hashes
    alike) and everything else as text. Rows with equal contents keep their input order.
    The columns enter the row hash in an order set by their contents
    (:func:`dvclean.table.content_order`), so the order is the same whatever the columns are
    called or where they stand: renaming or moving the label or a feature changes nothing (the
    encoded matrix's columns follow the same order, :class:`dvclean.table.FeatureEncoder`).
    With ``label``, the label column enters by the classes' *contents*, not their names: rows are
    sorted by the hash of ``columns``, then by their class's fingerprint (the wrapping sum of the
    hashes of its rows), so renaming or recoding the classes (``<=50K``/``>50K`` as ``0``/``1``)
    changes nothing either; only rows with equal features of two classes with equal fingerprints
    (equal multisets of rows) keep their input order. ``columns`` then holds the features only.
    The hash is polars' with fixed seeds: stable within a polars version.

    Examples
    --------
    >>> df = pl.DataFrame({"a": [3, 1, 2], "y": ["u", "v", "u"]})
    >>> shuffled = df[[2, 0, 1]]
    >>> df[canonical_order(df, ["a", "y"])].equals(shuffled[canonical_order(shuffled, ["a", "y"])])
    True
    >>> renamed = df.rename({"y": "label"})
    >>> canonical_order(renamed, ["a", "label"]).tolist() == canonical_order(df, ["a", "y"]).tolist()
    True
    """
    n = frame.height
    if n == 0 or (not columns and label is None):
        return np.arange(n, dtype=np.int64)
    return _content_order(row_hashes(frame, columns, label), frame.get_column(label) if label is not None else None)


def _content_order(hashes: np.ndarray, labels: pl.Series | None, *, by_target: bool = False) -> np.ndarray:
    """:func:`canonical_order` from the rows' :func:`row_hashes` (and the label column).

    ``by_target`` (a regression target): rows of equal features and different targets are ordered by their
    targets' ranks, so the file's order decides nothing there either (each distinct target is a "class" of
    one row whose fingerprint is that row's hash: equal for both; the neighbours' distance ties and the bags
    would follow the input order). Ranks, not values: the same in any unit.
    """
    n = hashes.shape[0]
    if labels is None:
        return np.lexsort((np.arange(n), hashes)).astype(np.int64)
    keys = [np.arange(n), class_fingerprints(labels, hashes), hashes]
    if by_target and labels.dtype.is_numeric():
        keys.insert(1, labels.rank("dense").fill_null(0).cast(pl.Int64).to_numpy())  # (exact: 2**53 + 1, Decimals)
    return np.lexsort(tuple(keys)).astype(np.int64)


def row_hashes(
    frame: pl.DataFrame, columns: Sequence[str], label: str | None = None, *, order_by: pl.DataFrame | None = None
) -> np.ndarray:
    """Each row's hash of ``columns`` (uint64), the columns taken in :func:`~dvclean.table.content_order` (with the
    ``label``): the same whatever the columns are called or where they stand (zeros without columns).
    ``order_by``: the rows whose contents order the columns (``score``: the labelled ones), default ``frame``."""
    if not columns:
        return np.zeros(frame.height, dtype=np.uint64)
    schema = frame.schema  # (built anew on every access: once, not per column)
    ordered = content_order(frame if order_by is None else order_by, columns, label)
    return frame.select([hashable(c, schema[c]) for c in ordered]).hash_rows(seed=HASH_SEED).to_numpy()


def canonical_classes(data: ValuationData, hashes: np.ndarray) -> ValuationData:
    """``data`` with its classes coded in an order fixed by their rows, not their names.

    Classes are coded by size (the largest is 0, so the minority class of two is 1, the
    positive class of ``--metric f1``), then by :func:`class_fingerprints` of their rows'
    ``hashes`` (one per player); only classes of equal size holding equal rows keep their
    names' order. Every step that breaks a tie by class code (a tree's 50/50 leaf, a logistic
    regression's p = 0.5, DVGS's initial weights per class, the neighbours' tied vote, the
    stratified folds) then does so alike whatever the classes are called.

    >>> import numpy as np
    >>> d = ValuationData(x=np.zeros((3, 1)), y=np.array([0, 1, 1]), rows=np.arange(3), classes=np.array(["a", "b"]))
    >>> canonical_classes(d, np.array([1, 2, 3], dtype=np.uint64)).classes.tolist()
    ['b', 'a']
    """
    n_classes = len(data.classes)
    if data.is_regression or n_classes < 2:
        return data
    counts = np.bincount(data.y, minlength=n_classes)
    keys = np.zeros(n_classes, dtype=np.uint64)
    keys[data.y] = class_fingerprints(pl.Series(data.y), hashes)
    order = np.array(sorted(range(n_classes), key=lambda c: (-int(counts[c]), int(keys[c]), c)), dtype=np.int64)
    if (order == np.arange(n_classes)).all():
        return data
    code = np.empty(n_classes, dtype=np.int64)
    code[order] = np.arange(n_classes)
    return dataclasses.replace(
        data, y=code[data.y], classes=data.classes[order],
        y_valid=code[data.y_valid] if data.y_valid is not None else None,
    )


def class_fingerprints(labels: pl.Series, row_hashes: np.ndarray) -> np.ndarray:
    """Each row's class fingerprint: the wrapping sum of the ``row_hashes`` of the rows of its class (missing labels
    one more class), mixed with the class's size — a key that depends on which rows a class holds, not on its name.

    >>> h = np.array([5, 7, 9], dtype=np.uint64)
    >>> a = class_fingerprints(pl.Series(["x", "y", "x"]), h)
    >>> b = class_fingerprints(pl.Series([1, 0, 1]), h)
    >>> a.tolist() == b.tolist() and bool(a[0] == a[2] != a[1])
    True
    """
    values = labels.cast(pl.Float64) if labels.dtype.is_numeric() or labels.dtype == pl.Boolean else labels.cast(pl.String)
    groups = values.rank("dense").fill_null(0).cast(pl.Int64).to_numpy()  # 0: a missing label
    with np.errstate(over="ignore"):
        sums = np.zeros(int(groups.max()) + 1, dtype=np.uint64)
        np.add.at(sums, groups, row_hashes.astype(np.uint64, copy=False))
        sizes = np.bincount(groups).astype(np.uint64)
        keys = (sums ^ (sizes * np.uint64(0x9E3779B97F4A7C15))) * np.uint64(0xBF58476D1CE4E5B9)
    return keys[groups]


def _scatter(n: int, rows: np.ndarray, values: np.ndarray, fill: Any, dtype: Any) -> np.ndarray:
    out = np.full(n, fill, dtype=dtype)
    out[rows] = values
    return out


def _output_frame(
    table: Table,
    data: ValuationData,
    results: dict[str, ValuationResult],
    primary: str,
    flags: Any,
    label_missing: np.ndarray,
    features: list[str],
) -> pl.DataFrame:
    n = table.n_rows
    rows = data.rows
    valued = np.zeros(n, dtype=bool)
    valued[rows] = True
    ids = table.row_ids()
    label_col = table.frame.get_column(table.label)
    classes = data.classes.tolist()
    neighbor: list[Any] = [None] * n
    if data.is_regression:  # the neighbours' mean target, in the label's units
        for r, v in zip(rows.tolist(), data.target_values(flags.neighbor_label).tolist(), strict=True):
            neighbor[r] = v
    else:
        for r, code in zip(rows.tolist(), flags.neighbor_label.tolist(), strict=True):
            neighbor[r] = classes[code]
    # identical values in the file's feature columns (``features``: those that can tell rows apart for the models),
    # different label (or target value); `check` counts these (two values the encoding makes equal, such as
    # categories of one frequency, are not the same value)
    from .check import conflicting_duplicate_rows

    conflicting = np.zeros(n, dtype=bool)
    conflicting[conflicting_duplicate_rows(table.frame, features, table.label, table.task)] = True

    def masked(values: np.ndarray, dtype: pl.DataType, fill: Any) -> pl.Series:
        arr = _scatter(n, rows, values, fill, values.dtype)
        return pl.Series(arr, dtype=dtype).scatter(np.flatnonzero(~valued), None) if (~valued).any() else pl.Series(arr, dtype=dtype)

    def flag(values: np.ndarray) -> pl.Series:  # an unvalued row is not flagged: false, never null (a pandas mask)
        return pl.Series(_scatter(n, rows, np.asarray(values, dtype=bool), False, bool), dtype=pl.Boolean)

    out = pl.DataFrame(
        {
            "label": label_col,
            "value": masked(results[primary].values, pl.Float64, 0.0),
            "value_rank": masked(flags.value_rank, pl.Int64, 0),
            "is_mislabeled": flag(flags.is_mislabeled),
            "is_hard": flag(flags.is_hard),
            "mislabel_score": masked(flags.mislabel_score, pl.Float64, 0.0),
            "is_label_missing": pl.Series(label_missing, dtype=pl.Boolean),
            "neighbor_label": pl.Series(neighbor, dtype=pl.Float64 if data.is_regression else label_col.dtype, strict=False),
            "is_conflicting_duplicate": flag(conflicting[rows]),
        }
    )
    extra: dict[str, pl.Series] = _flag_columns(flags, data, label_col, masked)
    for name, res in results.items():
        if len(results) > 1:
            extra[f"value_{name}"] = masked(res.values, pl.Float64, 0.0)
        if res.stderr is not None:
            # a fold of one sample has no standard error: null (NaN would be refused by a JSON output)
            extra[f"stderr_{name}"] = masked(res.stderr, pl.Float64, 0.0).fill_nan(None)
    if extra:
        out = out.with_columns(**extra)
    # an id column named like an output column (label, value, suggested_label, ...) is written as row_id
    id_name = ids.name if ids.name not in out.columns else "row_id"
    return out.insert_column(0, ids.alias(id_name))


#: A regression row holding this share of the total absolute value or more dominates the valuation (clean targets
#: of five real tables: at most 3.5%; one unit-error typo among 2,000 rows: 51-54%).
DOMINANT_SHARE = 0.25


#: The skewed-target note needs this share of the rows flagged (a roughly normal residual flags about 0.05% at
#: |z| > 3.5), this share of them on one side, and this skewness of the target.
SKEWED_FLAGGED, SKEWED_ONE_SIDE, SKEWED_SKEWNESS = 0.02, 0.8, 1.0


def _skewed_target_note(data: ValuationData, flags: Any, blank: np.ndarray | None = None, *,
                        cut: float | None = None) -> str | None:
    """The note on outlying-target flags that mostly lie on one side of a skewed target's predictions: a price or an
    income whose spread grows with its size has long-tailed residuals above the prediction, so its large, correct
    values are flagged (on a log scale the same rows are not). The skewness is the unflagged rows': a target whose
    body is symmetric is not called skewed for its typos (x10 on 5% of the rows skews a column by itself); nor are the
    rows beyond the rule's cutoff ``cut`` (|target_z|) in it when ``--expected-noise`` flagged fewer: 13 flagged of 22
    targets x10, the other 9 made the body's skewness 3.98 and fix refused to drop the 13 typos."""
    flagged = np.asarray(flags.is_mislabeled, dtype=bool)
    judged = np.ones(flagged.size, dtype=bool) if blank is None else ~blank
    flagged = flagged & judged
    n = int(judged.sum())
    if n < 50 or flagged.sum() < max(5, SKEWED_FLAGGED * n) or flags.target_z is None:
        return None
    z = np.asarray(flags.target_z, dtype=np.float64)[flagged]
    above = float((z > 0).mean())
    side = max(above, 1 - above)
    y = np.asarray(data.y, dtype=np.float64)  # standardised: the skewness is scale-free, and 1e200 targets do not overflow
    outlying = np.abs(np.asarray(flags.target_z, dtype=np.float64)) > cut if cut is not None else np.zeros_like(flagged)
    body = y[judged & ~flagged & ~outlying]  # typos (x10, x1000) skew the whole column by themselves
    sd = float(body.std())
    skew = float(np.mean(((body - body.mean()) / sd) ** 3)) if sd > 0 else 0.0
    if side < SKEWED_ONE_SIDE or abs(skew) < SKEWED_SKEWNESS or (skew > 0) != (above > 0.5):
        return None
    where = "above" if above > 0.5 else "below"
    sign, advice, _ = _transform_advice(data)
    return (
        f"{int(round(side * flagged.sum()))} of the {int(flagged.sum())} outlying targets lie {where} their prediction, "
        f"and the target is skewed (skewness {skew:.2f} without them){sign}: where the spread grows with the target, its long "
        f"tail is flagged although it may be right; if so, value {advice}"
    )


#: A target with at least this share of exact zeros holds a point mass at zero, which log(1 + target) does not
#: even out: the gap between the zeros and the other values then sets the residuals' scale, hiding errors in the
#: amounts, or the zeros (or the non-zero rows) are flagged wholesale. Measured with x10 on 15 non-zero targets, 2
#: draws per share, the zeros thinned to the share: on insurance claims (1,000 rows, 69% zeros, amounts the features
#: predict well) the default rule found 15 of 15 after log(1 + target) at 2% zeros (the 6 zeros flagged as well), 15
#: of 15 at 10% and 20% with 35 and 75 zeros flagged too, 0 of 15 at 30%, 50% and 69%; on the Adult sample's
#: capital_gain (91% zeros, gains the features predict poorly) 0 and 5 of 15 at 5%, 1 at 15%, 0 at 30% and 50%, and
#: at 91% all 172 non-zero gains flagged. The non-zero rows on their own: 15 of 15 on the claims at every share (1
#: other row flagged), 12 to 15 of 15 on capital_gain (as many as on the untransformed target).
POINT_MASS_ZEROS = 0.05


#: Up to this share of the targets (or 2), negative targets are named as possible placeholders of unknown values
#: (or one value repeated among at least half of them); more are a target of both signs.
PLACEHOLDER_SHARE = 0.05


def _transform_advice(data: ValuationData) -> tuple[str, str, str]:
    """What the notes on a heavy-tailed target say of its sign, the transformed target they advise, and its short
    name: the logarithm of a positive target; log(1 + target) of one with a few zeros (whose log is minus
    infinity); the non-zero rows on their own for a point mass at zero (at least :data:`POINT_MASS_ZEROS` of the
    targets exactly 0, whose gap to the other values would set log(1 + target)'s scale); else, a target with
    negative values, a transform that evens out the spread, naming how many are negative and the value that
    repeats among them (-1 in 5 rows: placeholders for unknown values?), as the logarithm needs positive targets.
    (The targets come back from their standardised values, so a 0 can read 1e-16: the sign is taken to a
    billionth of the largest.)

    >>> def advice(y):
    ...     y = np.asarray(y, dtype=np.float64)
    ...     return _transform_advice(ValuationData(x=np.zeros((y.size, 1)), y=y, rows=np.arange(y.size),
    ...                                            classes=np.array([]), task="regression", target_center=0.0,
    ...                                            target_scale=1.0))[2]
    >>> advice([1.0, 2.0, 30.0])
    'its logarithm'
    >>> advice([0.0] + [5.0] * 49)
    'log(1 + target)'
    >>> advice([0.0] * 7 + [5.0] * 3)
    'the non-zero rows on their own, as its 70% of zeros would dominate log(1 + target)'
    >>> advice(np.linspace(-3, 3, 40) ** 3)
    'one that evens out its spread; the logarithm needs positive targets, and 20 of the 40 are negative: asinh(target) evens out the spread of a target of both signs'
    >>> advice([-1.0, -1.0, 0.0, 1.0, 2.0])
    'one that evens out its spread; the logarithm needs positive targets, and 2 are negative (-1 in both rows): if -1 stands for an unknown value, blank those cells (a placeholder is no measurement)'
    """
    t = data.target_values(data.y)
    tol = 1e-9 * float(np.max(np.abs(t))) if t.size else 0.0
    lo = float(np.min(t)) if t.size else 0.0
    if lo > tol:
        return (" and every target is positive", "the logarithm of the target (a column log(target) as the label)",
                "its logarithm")
    if lo >= -tol:
        zeros = float(np.mean(np.abs(t) <= tol))
        if zeros >= POINT_MASS_ZEROS:
            return (" and no target is negative",
                    f"the non-zero rows on their own (filter them to a second file): {zeros:.0%} of the targets are "
                    "exactly 0, and log(1 + target) evens out the spread, but that point mass at zero then dominates "
                    "it (the gap between the zeros and the other values sets the scale) and hides errors in the "
                    "amounts; the non-zero targets are positive, so their logarithm can be taken",
                    f"the non-zero rows on their own, as its {zeros:.0%} of zeros would dominate log(1 + target)")
        return (" and no target is negative", "log(1 + target), as its zeros rule out the logarithm (a column of it "
                "as the label)", "log(1 + target)")
    from collections import Counter

    negative = t[t < -tol]
    shown, count = Counter(f"{v:g}" for v in negative).most_common(1)[0]
    k = negative.size
    few = k <= max(2, PLACEHOLDER_SHARE * t.size)
    if count > 1 and (few or 2 * count >= k):  # one value repeated among them: a placeholder (-1, -999)?
        which = "in both rows" if k == count == 2 else f"in all {k} rows" if count == k else f"in {count} of them"
        negatives = (f"the logarithm needs positive targets, and {k} are negative ({shown} {which}): if {shown} stands "
                     "for an unknown value, blank those cells (a placeholder is no measurement)")
    elif few:
        it = f"it ({shown})" if k == 1 else "them"
        negatives = (f"the logarithm needs positive targets, and {k} {'is' if k == 1 else 'are'} negative: check "
                     f"{it} for placeholders of unknown values, which are no measurement (blank those cells)")
    else:  # (many distinct negative values: a target of both signs, not placeholders)
        negatives = (f"the logarithm needs positive targets, and {k} of the {t.size} are negative: asinh(target) "
                     "evens out the spread of a target of both signs")
    return (f" and {k} target{' is' if k == 1 else 's are'} negative",
            f"a transformed target that evens out the spread (a column of it as the label); {negatives}",
            f"one that evens out its spread; {negatives}")


#: Above this share of the rows flagged as outlying targets (and up to MANY_FLAGGED, which has its own note), a note
#: says they may be a heavy-tailed target's correct values: normal errors put 1 row in 2,149 beyond |z| 3.5 (and
#: with another ``outlier_z``, more than ten times the normal share beyond it is needed as well).
SOME_OUTLYING = 0.05


def normal_outlying_share(outlier_z: float) -> float:
    """The share of rows whose errors of a normal spread lie beyond ``|z| > outlier_z`` (1 in 2,149 at 3.5).

    >>> round(1 / normal_outlying_share(3.5))
    2149
    """
    from scipy.stats import norm

    return float(2 * norm.sf(outlier_z))


def _outlying_share_note(data: ValuationData, flags: Any, mislabel: Any, blank: np.ndarray | None = None) -> str | None:
    """The note for more than :data:`SOME_OUTLYING` of the rows flagged as outlying targets (not with
    ``expected_noise``, which sets the share): either that many targets are wrong, or the target's errors are
    heavy-tailed and its large values right (the clean capital gains of the Adult sample: 205 of 2,000 flagged,
    163 of its 172 non-zero gains, and `fix --action drop` removed them without a word)."""

    judged = np.ones(data.n_players, dtype=bool) if blank is None else ~blank
    flagged = int(np.sum(np.asarray(flags.is_mislabeled, dtype=bool) & judged))
    n = int(judged.sum())
    normal = normal_outlying_share(mislabel.outlier_z)
    least = max(SOME_OUTLYING, 10 * normal)
    if mislabel.expected_noise is not None or n < 50 or not least * n < flagged <= MANY_FLAGGED * n:
        return None
    return (f"{flagged:,} rows ({flagged / n:.1%}) are flagged as outlying targets, where errors of a normal spread "
            f"put 1 row in {1 / normal:,.0f} beyond the cutoff: either that many targets are wrong, or the target's spread is "
            "heavy-tailed (amounts, incomes, counts) and many of its large values are right; look at a sample of them "
            f"(fix --action mark) before dropping any, or value a transformed target ({_transform_advice(data)[2]})")


def _dominant_target_note(table: Table, data: ValuationData, values: np.ndarray, flags: Any,
                          outlier_z: float, *, predictable: bool = True) -> str | None:
    """The note saying that one row's target outweighs the rest of a squared-error valuation (or None): its data
    value holds at least :data:`DOMINANT_SHARE` of the values' total absolute value. Where the outlying-target rule
    flags it (``|target_z| > outlier_z``) it is likely an error, to fix or drop; where the other rows predict it, an
    extreme but right target (the District of Columbia's violent-crime rate among the US states, 6% of the targets'
    total and 34% of the values'), whose note says so and advises a transformed target instead. Where the features
    do not predict the target (``predictable`` False: its own note says so, and ``fix`` will not drop rows) the
    residual measures little, and the note asks for a look at the row.

    Not for ``oob``, whose values are each row's own out-of-bag error: a typo makes its own value extreme only.
    """
    a = np.abs(np.asarray(values, dtype=np.float64))
    total = float(a.sum())
    if a.shape[0] < 20 or not np.isfinite(total) or total <= 0:
        return None
    i = int(np.argmax(a))
    share = float(a[i]) / total
    if share < DOMINANT_SHARE:
        return _dominant_few_note(table, data, a, total)
    row = json_scalar(table.row_ids()[int(data.rows[i])])
    z = float(flags.target_z[i])
    head = (f"row {row}'s data value holds {share:.0%} of the rows' total absolute value: its target lies "
            f"{abs(float(data.y[i])):.3g} standard deviations from the mean target, and under a squared-error utility "
            "it outweighs every other row, whose values then mostly measure their distance from it")
    if not predictable:
        return (f"{head}; the features do not predict the target (see that note), so its residual (robust z {z:.3g}) "
                "says little of whether it is right: check that row by hand")
    if abs(z) > outlier_z:
        return (f"{head}; its target is outlying (robust z {z:.3g} of the residual) and also pulls the predictions "
                "the outlying-target flags compare with, so other rows' flags may be wrong too (gross errors beside it "
                "missed, correct rows flagged): check that row, and if its target is wrong (a typo, a unit), fix or "
                "drop it and run again; if it is right, a feature that explains it is missing")
    return (f"{head}; the other rows predict its target (robust z {z:.3g} of the residual), so it may well be right: "
            f"to see the other rows' values, value a transformed target ({_transform_advice(data)[2]}), or use "
            "--method oob, whose values are each row's own error")


#: At most this many rows holding together DOMINANT_FEW_SHARE of the values' total absolute value get a note.
DOMINANT_FEW, DOMINANT_FEW_SHARE = 5, 0.5


def _dominant_few_note(table: Table, data: ValuationData, a: np.ndarray, total: float) -> str | None:
    """The note for a few rows (at most :data:`DOMINANT_FEW`, none above :data:`DOMINANT_SHARE` alone) that hold
    half the values' total absolute value together: five x1000 typos among 2,000 ages, 20% the largest alone, 52%
    together, left the values of 20 shifted ages at chance (AUROC 0.56) with no note."""
    top = np.argsort(-a, kind="stable")[:DOMINANT_FEW]
    held = np.cumsum(a[top]) / total
    reached = np.flatnonzero(held >= DOMINANT_FEW_SHARE)
    if a.shape[0] < 10 * DOMINANT_FEW or reached.size == 0:
        return None
    few = top[: int(reached[0]) + 1]
    rows = ", ".join(str(json_scalar(table.row_ids()[int(data.rows[j])])) for j in few)
    return (
        f"rows {rows} hold {float(held[reached[0]]):.0%} of the rows' total absolute value together: under a "
        "squared-error utility their targets outweigh every other row, whose values then mostly measure their distance "
        "from them (other errors' values look ordinary); fix or drop those rows and run again"
    )


def notes_beyond_scores(result: ScoreResult) -> list[str]:
    """``result``'s notes without the one about its scores' own columns (the ``--id`` written as ``row_id``):
    the notes of a command that values the rows but writes no scores (``fix``, ``augment``, ``check``)."""
    return [n for n in result.summary.get("notes", []) if not is_id_note(n)]


def is_id_note(note: str) -> bool:
    """Whether ``note`` is :func:`_id_note`'s (the ``--id`` column written as ``row_id`` in the scores)."""
    return note.startswith("the id column ") and " is written as 'row_id' in the scores: " in note


def _id_note(table: Table, out: pl.DataFrame) -> str | None:
    """The note saying that the ``--id`` column is written as ``row_id`` (its name is an output column's)."""
    if table.id_column is None or out.columns[0] == table.id_column:
        return None
    return (
        f"the id column {table.id_column!r} is written as {out.columns[0]!r} in the scores: the output has its own "
        f"{table.id_column!r} column; rename the id column to keep its name"
    )


def _flag_columns(flags: Any, data: ValuationData, label_col: pl.Series, masked: Callable[..., pl.Series]) -> dict[str, pl.Series]:
    """``suggested_label`` (flagged rows only) and the label probabilities of the flag rule."""
    n = label_col.len()
    out: dict[str, pl.Series] = {}
    if flags.suggested_label is not None:
        suggested: list[Any] = [None] * n
        classes = data.classes.tolist()
        for r, s, f in zip(data.rows.tolist(), flags.suggested_label.tolist(), flags.is_mislabeled.tolist(), strict=True):
            if f:
                suggested[r] = classes[s]
        out["suggested_label"] = pl.Series(suggested, dtype=label_col.dtype, strict=False)
    for name in ("given_label_prob", "suggested_label_prob", "model_label_prob"):
        arr = getattr(flags, name)
        if arr is not None:
            out[name] = masked(np.asarray(arr, dtype=np.float64), pl.Float64, 0.0)
        elif name == "model_label_prob" and flags.suggested_label is not None:
            # the knn rule fits no model (also chosen by itself on big data): the column stays, empty, so that a
            # classification output has the same columns whatever the rule and the data's size
            out[name] = pl.Series(name, [None] * n, dtype=pl.Float64)
    if getattr(flags, "predicted_value", None) is not None:  # regression: prediction in the label's units, residual z
        out["predicted_value"] = masked(data.target_values(flags.predicted_value), pl.Float64, 0.0)
        out["target_z"] = masked(np.asarray(flags.target_z, dtype=np.float64), pl.Float64, 0.0)
    return out


def _summary(
    table: Table,
    data: ValuationData,
    results: dict[str, ValuationResult],
    out: pl.DataFrame,
    config: ScoreConfig,
    timings: dict[str, float],
    ignored: list[str],
    label_missing: np.ndarray,
    valid_kind: str = "file",
) -> dict[str, Any]:
    info = table.source
    classes = data.classes.tolist()
    counts = np.bincount(data.y, minlength=len(classes)) if not data.is_regression else np.zeros(0, dtype=np.int64)
    by_name = {} if data.is_regression else {c: i for i, c in enumerate(label_codes(table.frame.get_column(table.label))[1])}
    id_name = out.columns[0]
    worst = out.filter(pl.col("value_rank").is_not_null()).sort("value_rank").head(10)
    suspicious = [
        {
            "row_id": json_scalar(r[id_name]),
            "label": json_scalar(r["label"]),
            "neighbor_label": json_scalar(r["neighbor_label"]),
            "value": r["value"],
            "mislabel_score": r["mislabel_score"],
            "is_mislabeled": r["is_mislabeled"],
            "is_hard": r["is_hard"],
            # (a regression target's flag rests on its out-of-sample prediction and the residual's robust z-score)
            **{k: r[k] for k in ("predicted_value", "target_z") if data.is_regression and k in r},
        }
        for r in worst.iter_rows(named=True)
    ]
    n_mis = int(out.get_column("is_mislabeled").sum() or 0)
    n_hard = int(out.get_column("is_hard").sum() or 0)
    methods = {
        name: {"status": r.status, "params": r.params, "diagnostics": r.diagnostics} for name, r in results.items()
    }
    return {
        "schema_version": SCHEMA_VERSION,
        "dvclean_version": __version__,
        "command": "score",
        "input": {
            "path": info.path if info else None,
            "format": info.format if info else None,
            "compression": info.compression if info else None,
            "sha256": info.sha256 if info else None,
            "rows": table.n_rows,
            "columns": len(info.columns) if info is not None and info.columns else table.frame.width,  # (--drop ones too)
        },
        "label": table.label,
        "id_column": table.id_column,
        "features": {
            "columns": list(table.features),
            "ignored": list(ignored),
            "dropped_by_user": list(table.dropped),
            "encoded_dimensions": int(data.x.shape[1]),
        },
        "rows": {
            "total": table.n_rows,
            "valued": data.n_players,
            "label_missing": int(label_missing.sum()),
            # of them, labels of only spaces: missing whatever --null-values says (its hint is for the others)
            "label_blank": blank_labels(table.frame.get_column(table.label)),
            # the first 100, as the rest of the summary names rows: by the --id column's values, else their positions
            "label_missing_rows": [json_scalar(v) for v in table.row_ids().gather(np.flatnonzero(label_missing)[:100]).to_list()],
        },
        # (in the names' order, as the file's classes sort; the valuation codes them by their rows)
        "classes": {class_text(c): int(k) for c, k in sorted(zip(classes, counts, strict=True),
                                                              key=lambda ck: by_name[ck[0]])},
        "target": _target_summary(data, table),
        "validation": "leave-self-out" if data.leave_self_out else _validation_rows(data, valid_kind),
        "methods": methods,
        "method_citations": {name: REGISTRY[name].citation for name in results},
        "rank_correlations": rank_correlations(results),
        "primary_method": config.methods[0],
        "flags": {
            "mislabeled": n_mis,
            "mislabeled_fraction": n_mis / max(1, data.n_players),
            "hard": n_hard,
            "hard_fraction": n_hard / max(1, data.n_players),
            "conflicting_duplicates": int(out.get_column("is_conflicting_duplicate").sum() or 0),
            "policy": _flag_policy(config, data.is_regression),
        },
        "most_suspicious": suspicious,
        "seed": config.seed,
        "config": recorded_config(config, "regression" if data.is_regression else "classification"),
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "environment": {"python": platform.python_version(), "numpy": np.__version__, "polars": pl.__version__},
        "notes": list(data.notes),
    }


def _flag_policy(config: ScoreConfig, regression: bool) -> dict[str, Any]:
    """The settings that decided the flags: the class rule's thresholds, or for a regression target the outlier
    cutoff (``|z| > outlier_z``; the class rule's value threshold and neighbour majority play no part there)."""
    policy = config.to_dict()["flags"]
    if regression:
        policy = {"hard_fraction": policy["hard_fraction"], "outlier_z": config.mislabel.outlier_z}
    return policy


def _target_summary(data: ValuationData, table: Table | None = None) -> dict[str, float] | None:
    """Regression: mean, sample standard deviation (ddof 1, as the report and pandas give it), min and max of the
    valued targets (None for class labels); from the label column's own values when ``table`` is given (the
    standardised targets carried back give 1.1e-16 for a minimum of 0)."""
    if not data.is_regression:
        return None
    t = data.target_values(data.y)
    if table is not None:
        raw = table.frame.get_column(table.label).cast(pl.Float64, strict=False).to_numpy()[data.rows]
        if raw.shape == t.shape and np.isfinite(raw).all():
            t = raw
    mean, std = mean_std(t)  # (scaled: the raw sum overflows near 1e307, the squares at 1e155)
    out: dict[str, float] = {"mean": mean, "std": std, "min": float(t.min()), "max": float(t.max())}
    if table is not None and table.frame.schema[table.label].is_integer():  # an integer target's bounds as integers
        valued = table.frame.get_column(table.label).gather(data.rows)
        out.update(min=int(valued.min()), max=int(valued.max()))  # type: ignore[arg-type]
    return out


def _fewer_folds_note(method: str, result: ValuationResult, data: ValuationData) -> str | None:
    """A note when a method's stratified folds were fewer than asked (a class with fewer rows than folds)."""
    asked, used = result.params.get("n_folds"), result.diagnostics.get("folds")
    if not isinstance(asked, int) or not isinstance(used, int) or used >= asked or data.is_regression:
        return None
    several = _classes_at_fewest(data) > 1
    return (f"{method}: {_smallest_classes_text(data)}, so {used} stratified folds were used instead of "
            f"{asked} (each fold's model was trained on {100 * (used - 1) / used:.3g}% of the rows, not "
            f"{100 * (asked - 1) / asked:.3g}%); more rows of {'those classes' if several else 'that class'}, or merging "
            f"{'them' if several else 'it'}, restores them")


def _classes_at_fewest(data: ValuationData) -> int:
    """How many classes have as few valued rows as the smallest one."""
    counts = np.bincount(data.y, minlength=len(data.classes))
    counts = counts[counts > 0]
    return int(np.sum(counts == counts.min())) if counts.size else 0


def _smallest_classes_text(data: ValuationData) -> str:
    """``class 'tiny' has 2 rows``, or, when several classes are that small (150 classes of 2 rows each: naming one
    of them would suggest it alone is short), ``every class has 2 rows`` or ``3 classes have 2 rows``."""
    small, rows_of_small = _smallest_class(data)
    at_fewest = _classes_at_fewest(data)
    if at_fewest == 1:
        return f"class {class_repr(small)} has {rows_of_small} rows"
    if at_fewest == int(np.count_nonzero(np.bincount(data.y, minlength=len(data.classes)))):
        return f"every class has {rows_of_small} rows"
    return f"{at_fewest:,} classes have {rows_of_small} rows (class {class_repr(small)} among them)"


def _smallest_class(data: ValuationData) -> tuple[str, int]:
    """The class with the fewest valued rows (as the summaries spell it) and its row count."""
    counts = np.bincount(data.y, minlength=len(data.classes))
    small = int(np.argmin(np.where(counts > 0, counts, np.iinfo(np.int64).max)))
    return class_text(data.classes[small]), int(counts[small])


def rank_correlations(results: dict[str, ValuationResult]) -> dict[str, float | None]:
    """Spearman rank correlation of the values of every pair of methods (``"knn~tmc": 0.41``)."""
    from scipy.stats import spearmanr

    names = list(results)
    out: dict[str, float | None] = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            va, vb = results[a].values, results[b].values
            if va.shape[0] < 3 or np.ptp(va) == 0 or np.ptp(vb) == 0:
                out[f"{a}~{b}"] = None
            else:
                out[f"{a}~{b}"] = round(float(spearmanr(va, vb).statistic), 4)
    return out


def default_output_path(source: str | os.PathLike[str], fmt: str = "parquet") -> Path:
    """``<input stem>.dvclean.<fmt>`` next to the input (compression suffixes removed)."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"default_output_path(source=...) takes a file path, got {type(source).__name__}")
    if str(source) == "-":
        raise OutputError("standard input (-) has no place for an output next to it; name the output file")
    refuse_no_file_name(source)  # (the input is what is wrong: `dvclean score ""` or `.` names no file)
    exts = {"parquet": "parquet", "csv": "csv", "ndjson": "ndjson", "json": "json", "ipc": "arrow"}
    fmt = fmt.strip().lower() if isinstance(fmt, str) and fmt.strip().lower() in exts else fmt  # ("CSV" is csv)
    if fmt not in exts:
        raise OutputError(f"unknown --format {fmt!r}; use one of {', '.join(exts)}")
    stem, _ = split_name(source)
    ext = exts[fmt]
    return Path(source).with_name(f"{stem}.dvclean.{ext}")


def _is_stdout_file(path: Path) -> bool:
    """Whether ``path`` is the regular file the standard output (descriptor 1) is redirected to (also through links)."""
    import stat

    try:
        printed, other = os.fstat(1), os.stat(path)
    except OSError:  # no descriptor 1, or no such file yet
        return False
    return stat.S_ISREG(printed.st_mode) and (printed.st_dev, printed.st_ino) == (other.st_dev, other.st_ino)


def _stream_option(option: str, stdout_has: str | None) -> str | None:
    """The ``option`` :func:`~dvclean.io.resolve_output` names in its messages: None for a table's ``--output``
    with the JSON summary on standard output (its message says so), else the option itself."""
    return None if option == "--output" and stdout_has == "the --json summary" else option


def check_output_path(
    output: str | os.PathLike[str],
    inputs: Sequence[str | os.PathLike[str] | None],
    *,
    option: str = "--output",
    example: str = "scores.parquet",
    stdout_has: str | None = "the --json summary",
) -> None:
    """Refuse an output path that would overwrite an input or cannot be written.

    Messages name the path as ``option`` (``--report``, ``--junit-xml``, ...); a directory is
    refused with a file in it named ``example`` as the suggestion (``adir/scores.parquet``).
    ``stdout_has``: what the command writes to standard output instead, for the message.
    """
    if str(output) == "-":
        raise OutputError(
            f"{option} - (standard output) is not supported: dvclean writes its files atomically to a path; "
            "give a file path" + (f" ({stdout_has} already goes to standard output)" if stdout_has else "")
        )
    if (why := path_problem(output, reading=False)) is not None:
        raise OutputError(f"{option}: {why}")
    out = Path(expand_home(output))
    for src in inputs:
        if src is None or str(src) == "-":
            continue
        if same_file(out, src):
            raise OutputError(f"{option} {out} is the input file; dvclean never overwrites its input: choose another path")
    if _is_stdout_file(out):  # `--junit-xml r.xml > r.xml`: the output is renamed over the file the summary goes to
        # (/dev/stdout itself follows any redirection: refused as "a link to a standard stream")
        resolve_output(out, option=_stream_option(option, stdout_has))
        raise OutputError(
            f"{option} {out} is also where the standard output goes (redirected with >): what is printed would be "
            f"lost or mixed into it; redirect the standard output to another file, or choose another {option}"
        )
    if out.is_dir():
        raise OutputError(f"{option} {out} is a directory; give a file path such as {out / example}")
    # a link's target; a pipe, a device or /dev/stdout is refused before any work
    out = resolve_output(out, option=_stream_option(option, stdout_has))
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        first = inputs[0] if inputs else None
        if isinstance(first, (str, os.PathLike)) and str(first) != "-" and not os.path.lexists(first):
            # (a default output next to a missing input: `score nodir/d.csv` is a wrong path, not a missing folder)
            from .errors import InputError

            raise InputError(f"{first}: no such file; check the path (current directory: {os.getcwd()})")
        raise OutputError(f"{option} {out}: the directory {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise OutputError(f"{option} {out}: cannot write to {parent} ({write_denied(parent)}); choose another directory")
    if out.is_file() and not os.access(out, os.W_OK):  # (the rename would replace it: `>` into it would fail)
        raise OutputError(f"{option} {out} exists and is read-only (mode {out.stat().st_mode & 0o777:o}): dvclean does "
                          f"not replace a file you cannot write; make it writable (chmod u+w {out}) or choose "
                          "another path")
    import tempfile

    from .io import temp_prefix

    try:  # what os.access cannot tell (/proc for root, which it lets write anywhere): create a file there
        fd, probe = tempfile.mkstemp(dir=parent, prefix=temp_prefix(out.name), suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{option} {out}: cannot write to {parent} ({exc.strerror or exc}); choose another "
                          "directory") from None
    os.close(fd)
    os.unlink(probe)


def refuse_input_path(path: str | os.PathLike[str], table: Table | None, also: Sequence[str] = ()) -> None:
    """Raise :class:`OutputError` when ``path`` is the file ``table`` was read from, or one of the other files the
    run read (``also``: a validation, holdout or scores file), also through a link: the library's writers, like the
    command line, never overwrite their input. An empty path, or one that holds a NUL character or a line break,
    is refused too (:func:`dvclean.io.path_problem`), not left to the operating system's error."""
    if (why := path_problem(path, reading=False)) is not None:
        raise OutputError(why)
    path = expand_home(path)
    src = table.source.path if table is not None and table.source is not None else None
    for read in (src, *also):
        if read and read != "-" and same_file(path, read):
            raise OutputError(f"{path} is the input file {read}; dvclean never overwrites its input: write to another "
                              "path")



def write_scores(result: ScoreResult, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
    """Write the per-row scores atomically (Parquet carries the run metadata).

    Parameters
    ----------
    result : ScoreResult
    path : path
    format : {"parquet", "csv", "ndjson", "json", "ipc"}, optional
        Defaults to the suffix of ``path`` (a suffix dvclean cannot write is refused), else Parquet.
        Only Parquet carries the run metadata.
    """
    if not isinstance(result, ScoreResult):
        raise TypeError(
            f"write_scores() needs the ScoreResult of dvclean.score(...), got {type(result).__name__}; pass the "
            "result itself, not its .frame (a frame of your own: write it with polars)"
        )
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"write_scores(path=...) takes a file path (str or pathlib.Path), got {type(path).__name__}")
    refuse_input_path(path, result.table, result.read_from)
    path = Path(expand_home(path))
    fmt = output_format_for(path, format)
    if (id_note := _id_note(result.table, result.frame)) is not None:
        log.warning("%s", id_note, extra=NOTE)
    meta = {"dvclean": json.dumps(scores_metadata(result)), "dvclean.method": result.config.methods[0]}
    return write_table(result.frame, path, format=fmt, metadata=meta)


def scores_metadata(result: ScoreResult) -> dict[str, Any]:
    """The run's settings that a Parquet scores file carries in its ``dvclean`` footer (:func:`write_scores`), which
    ``augment --scores`` checks against its own run; ``augment(scores=result)`` checks the result's alike."""
    return {
        "schema_version": SCHEMA_VERSION,
        "dvclean_version": __version__,
        "method": result.config.methods[0],
        "methods": list(result.config.methods),
        "status": {k: r.status for k, r in result.results.items()},
        "seed": result.config.seed,
        "label": result.table.label,
        "id_column": result.table.id_column,
        "drop": list(result.table.dropped),
        "task": result.table.task,
        "input_sha256": result.summary["input"]["sha256"],
        "validation": result.summary.get("validation"),
        "validation_file": result.summary.get("validation_file"),
        "notes": list(result.summary.get("notes", [])),
        "config": recorded_config(result.config, result.table.task),
    }


def recorded_config(config: ScoreConfig, task: str) -> dict[str, Any]:
    """The settings a run records (the summary's and a Parquet footer's ``config``): the sections it read, with a
    regression run's model and metric as it used them (``logreg``/``accuracy`` are ``linear``/``r2`` there, as the
    methods' own ``params`` say; its linear evidence is a linear regression whatever ``linear_model`` names)."""
    out = config.to_dict(used_only=True)
    if task != "regression":
        return out
    from .valuation._models import regression_model_metric

    for section in out.values():
        if isinstance(section, dict) and isinstance(section.get("model"), str) and isinstance(section.get("metric"), str):
            section["model"], section["metric"] = regression_model_metric(section["model"], section["metric"])
    if isinstance(out.get("mislabel"), dict) and out["mislabel"].get("linear_model") is not None:
        out["mislabel"]["linear_model"] = "linear"
    return out
