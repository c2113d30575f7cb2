"""Gather the data of the HTML report (pure: no files written, no plotting)."""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from .._version import __version__
from ..errors import DataValidationError, InputError
from ..io import file_paths, json_scalar
from ..table import LABEL_CANDIDATES, mean_std

if TYPE_CHECKING:  # pragma: no cover
    from ..check import CheckOutcome
    from ..io import SourceInfo
    from ..pipeline import ScoreResult

__all__ = ["ReportData", "build_report", "build_report_from_files"]

#: Rows listed in the "most suspicious" table.
TOP_ROWS = 50
#: Feature columns shown in that table (the rest are counted, not shown).
MAX_FEATURE_COLUMNS = 30
#: Points drawn per flag category in the projection.
MAX_POINTS = 5000
#: Rows used to fit the PCA axes.
PCA_FIT_ROWS = 20_000
FLAG_ORDER = ("ok", "hard", "mislabeled")
#: What a flag code means to a reader, per task (for a regression target ``is_mislabeled`` flags an outlying target).
FLAG_NAMES = {
    "classification": {"ok": "ok", "hard": "hard", "mislabeled": "mislabeled"},
    "regression": {"ok": "ok", "hard": "hard", "mislabeled": "outlying target"},
}
#: The evidence of an outlying target, shown next to the label in the suspicious-rows table.
REGRESSION_EVIDENCE = ("predicted_value", "target_z")
#: Headers of the suspicious-rows table for a regression target (the scores' column names kept in brackets).
REGRESSION_COLUMN_TITLES = {
    "neighbor_label": "neighbours' mean (neighbor_label)",
    "mislabel_score": "outlier score (mislabel_score)",
    "is_mislabeled": "outlying target (is_mislabeled)",
}
#: Group names of the value distribution of a regression target (no classes: flagged vs the rest).
REGRESSION_GROUPS = ("other rows", "outlying target")


@dataclass(frozen=True, eq=False)
class ReportData:
    """Everything the HTML report shows.

    Attributes
    ----------
    meta : dict
        Version, command, input path and sha256, rows, label, id column, seed,
        methods, config, timings.
    checks : list of dict or None
        ``CheckLine.to_dict()`` of each check (None: no checks were run).
    status : str or None
        Check verdict.
    per_class : list of dict
        ``class, rows, mislabeled, hard`` (empty for a regression target).
    top_columns : list of str
    top_rows : list of list
        The most suspicious rows (lowest value first), cells as Python scalars; the data's
        cells (not the label's) as text, a number's as a :class:`NumberText` (a CSV's as the
        file writes them). For a
        regression target the label is followed by its evidence, ``predicted_value`` and
        ``target_z``.
    values : dict of str to numpy.ndarray
        Values of the valued rows per method.
    labels : numpy.ndarray of str
        Label of each valued row (aligned with ``values``); for a regression target the
        group it is drawn in instead: ``outlying target`` or ``other rows``.
    projection : numpy.ndarray or None
        ``(m, 2)`` PCA coordinates of a sample of the valued rows.
    projection_flags : numpy.ndarray of str or None
        ``ok``, ``hard`` or ``mislabeled`` per projected point.
    projection_note : str
    augmentation : dict or None
        ``dvclean augment``'s report (``evaluation`` with the three arms, ``quality``).
    notes : list of str
    target : dict or None
        Regression target only: ``values`` (the valued rows' targets), ``flags``
        (``ok``/``hard``/``mislabeled`` per valued row), ``z`` (``target_z``, or None when
        the scores lack it), ``cutoff`` (``MislabelConfig.outlier_z`` when known), ``stats``
        (rows, mean, std, median, min, max), ``above`` / ``below`` (outlying targets above /
        below their prediction, None without ``z``).
    read_from : tuple of str
        The files the report was built from (the scored data, its validation file, a scores
        file, an augment report): :func:`write_report` refuses to overwrite them.
    top_target_columns : tuple of int
        Regression target only: the positions in ``top_columns`` of the cells that hold the
        target's numbers (the label, ``predicted_value``, ``neighbor_label``, the data's label
        column), shown with the digits the target's spread needs.
    top_label_columns : tuple of int
        Class labels only: the positions in ``top_columns`` of the cells that hold a class (the label, the
        neighbours' label, the data's label column), shown quoted where their text would hide how they are
        spelled (``' no'`` beside ``no``), as the per-class table and the terminal show them.
    """

    meta: dict[str, Any]
    checks: list[dict[str, Any]] | None
    status: str | None
    per_class: list[dict[str, Any]]
    top_columns: list[str]
    top_rows: list[list[Any]]
    values: dict[str, np.ndarray]
    labels: np.ndarray
    projection: np.ndarray | None
    projection_flags: np.ndarray | None
    projection_note: str
    augmentation: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    target: dict[str, Any] | None = None
    read_from: tuple[str, ...] = ()
    top_target_columns: tuple[int, ...] = ()
    top_label_columns: tuple[int, ...] = ()

    def __repr__(self) -> str:
        """A line, not the whole summary, values and rows (a notebook displays a result returned last in a cell)."""
        m = self.meta
        flags = m.get("flags") or {}
        return (f"ReportData({m.get('rows')} rows, task={m.get('task')!r}, label={m.get('label')!r}, "
                f"methods={list(m.get('methods') or {})!r}, mislabeled={flags.get('mislabeled')}, "
                f"hard={flags.get('hard')}, status={self.status!r}, {len(self.top_rows)} suspicious rows; "
                "see .meta, or write it with write_report)")

    @property
    def regression(self) -> bool:
        """Whether the label is a regression target (flags mean outlying targets, no classes)."""
        return self.meta.get("task") == "regression"

    @property
    def column_titles(self) -> list[str]:
        """Header of each column of the suspicious-rows table: its name, or for a regression target what the
        flag columns mean; a data column named like one before it (``value``, ``label``, ``is_hard``) is titled
        ``value (data column)``."""
        titles = dict(REGRESSION_COLUMN_TITLES) if self.regression else {}
        out: list[str] = []
        for i, c in enumerate(self.top_columns):  # a data column named like one of dvclean's: said which it is
            out.append(titles.pop(c, c) if c not in self.top_columns[:i] else f"{c} (data column)")
        return out

    @property
    def flag_names(self) -> dict[str, str]:
        """Reader-facing name of each flag code (``mislabeled`` is an ``outlying target`` for regression)."""
        return FLAG_NAMES["regression" if self.regression else "classification"]


def _flags(frame: pl.DataFrame) -> np.ndarray:
    mis = frame.get_column("is_mislabeled").fill_null(False).to_numpy()
    hard = frame.get_column("is_hard").fill_null(False).to_numpy()
    out = np.full(frame.height, "ok", dtype=object)
    out[hard] = "hard"
    out[mis] = "mislabeled"
    return out


def pca_2d(x: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Project rows of ``x`` on their first two principal axes (fitted on at most 20,000 rows).

    Returns the ``(n, 2)`` coordinates and the explained-variance ratio of each axis.
    """
    x = np.asarray(x, dtype=np.float64)
    n, d = x.shape
    if n == 0 or d == 0:
        return np.zeros((n, 2)), np.zeros(2)
    fit = x
    if n > PCA_FIT_ROWS:
        fit = x[np.sort(np.random.default_rng(seed).choice(n, PCA_FIT_ROWS, replace=False))]
    from ..valuation._models import native_limits

    mean = fit.mean(axis=0)
    with native_limits(1):  # small d x d problem: BLAS threads only oversubscribe a shared CI box
        centered = fit - mean
        cov = centered.T @ centered
        evals, evecs = np.linalg.eigh(cov)
        order = np.argsort(evals)[::-1]
        evals, evecs = np.clip(evals[order], 0, None), evecs[:, order]
        k = min(2, d)
        coords = np.zeros((n, 2))
        coords[:, :k] = (x - mean) @ evecs[:, :k]
    ratio = np.zeros(2)
    if evals.sum() > 0:
        ratio[:k] = evals[:k] / evals.sum()
    # fix the sign so the same data always gives the same picture: the axis's largest loading is positive (the sum of
    # the coordinates, used before, is 0 up to rounding for centred rows, and mirrored `score --report`'s picture
    # against `report --data`'s)
    for j in range(k):
        if evecs[int(np.argmax(np.abs(evecs[:, j]))), j] < 0:
            coords[:, j] = -coords[:, j]
    return coords, ratio


def _sample_points(flags: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    keep = []
    for f in FLAG_ORDER:
        idx = np.flatnonzero(flags == f)
        if idx.size > MAX_POINTS:
            idx = np.sort(rng.choice(idx, MAX_POINTS, replace=False))
        keep.append(idx)
    return np.sort(np.concatenate(keep)) if keep else np.zeros(0, dtype=np.int64)


def _projection(x: np.ndarray | None, flags: np.ndarray, seed: int) -> tuple[np.ndarray | None, np.ndarray | None, str]:
    if x is None:
        return None, None, "no feature data: pass --data FILE (the scored data file) to draw the projection"
    if x.shape[1] == 0:
        return None, None, "no usable feature columns"
    coords, ratio = pca_2d(x, seed)
    pts = _sample_points(flags, seed)
    shown = f"{pts.size:,} of {flags.size:,} rows" if pts.size < flags.size else f"all {flags.size:,} rows"
    note = (
        f"PCA of the {x.shape[1]} encoded feature dimensions ({shown}); the axes explain "
        f"{ratio[0]:.0%} and {ratio[1]:.0%} of the variance"
    )
    return coords[pts], flags[pts], note


def _per_class(frame: pl.DataFrame) -> list[dict[str, Any]]:
    g = (
        frame.filter(~pl.col("is_label_missing"))
        .with_columns(pl.when(pl.col("label") == 0.0).then(0.0).otherwise(pl.col("label")).alias("label")
                      if frame.schema["label"].is_float()  # (-0.0 is the class 0.0)
                      else pl.col("label") if frame.schema["label"].is_numeric() or frame.schema["label"] == pl.Boolean
                      else pl.col("label").cast(pl.String))
        .group_by("label", maintain_order=True)
        .agg(
            pl.len().alias("rows"),
            pl.col("is_mislabeled").fill_null(False).sum().alias("mislabeled"),
            pl.col("is_hard").fill_null(False).sum().alias("hard"),
        )
        .sort("label")  # in the classes' own order: 3, 17, 900 as numbers, not as text
        .with_columns(pl.col("label").cast(pl.String).alias("__class"))
    )
    return [
        {"class": r["__class"], "rows": int(r["rows"]), "mislabeled": int(r["mislabeled"]), "hard": int(r["hard"])}
        for r in g.iter_rows(named=True)
    ]


class NumberText(str):
    """The text of a number cell of the data, shown as written and aligned as a number."""

    numeric = True


def _data_cell(v: Any, text: str | None, *, single: bool = False) -> Any:
    """A data cell for the table: its text in the file where given, else a float as its shortest exact text, of a
    float32 column as a float32 (``1.1501657``, not ``1.1501656770706177``): the score columns are rounded, data is
    not. The text of a number is a :class:`NumberText`."""
    v = json_scalar(v)
    number = isinstance(v, (int, float))  # (booleans too: aligned as the typed cells of a Parquet input are)
    if text is None:
        if not (isinstance(v, float) and v == v):
            return v
        text = str(np.float32(v)) if single else repr(v)
    return NumberText(text) if number else text


#: A row's cells as the file writes them, by column name, for each of the rows asked for (see :func:`csv_cell_text`).
CellText = Callable[[Sequence[int]], dict[int, dict[str, str]]]


def csv_cell_text(info: SourceInfo | None, rows: int, source: str | os.PathLike[str] | bytes | None = None,
                  encoding: str | None = None) -> CellText | None:
    """For a CSV input (``source``: its path or bytes, by default ``info.path``), a function giving the fields of
    the rows asked for as the file writes them, by column name: the report's table of suspicious rows shows them.
    None for another format or stdin without its bytes. The file is streamed, one record at a time (not held as a
    whole); the function gives nothing (the table then shows the typed values) when the file cannot be read again
    or the csv module does not split it into the ``rows`` rows polars read."""
    if info is None or info.format != "csv" or info.separator is None:
        return None
    src = info.path if source is None else source
    if src is None or (not isinstance(src, bytes) and os.fspath(src) == "-"):
        return None

    def cells(wanted: Sequence[int]) -> dict[int, dict[str, str]]:
        try:
            return _csv_records(src, info, encoding, rows, {int(i) for i in wanted})
        except (InputError, OSError, UnicodeDecodeError, LookupError, csv.Error, EOFError, ValueError):
            return {}

    return cells


def _csv_records(source: str | os.PathLike[str] | bytes, info: SourceInfo, encoding: str | None, rows: int,
                 wanted: set[int]) -> dict[int, dict[str, str]]:
    import codecs

    from ..io import _decompress

    if not wanted:
        return {}
    with contextlib.ExitStack() as stack:
        hashed = _HashingReader(io.BytesIO(source) if isinstance(source, bytes) else stack.enter_context(open(source, "rb")))
        binary: Any = io.BufferedReader(hashed)
        if info.compression is not None:  # (a compressed input is held decompressed: as its read did)
            binary = io.BytesIO(_decompress(binary.read(), info.compression, info.path))
        codec = codecs.lookup(info.encoding or encoding or "utf-8").name
        text = io.TextIOWrapper(binary, encoding="utf-8-sig" if codec == "utf-8" else codec, newline="")
        header: list[str] | None = None
        row = 0
        out: dict[int, dict[str, str]] = {}
        for rec in csv.reader(text, delimiter=info.separator or ","):
            if header is None:  # (blank lines before the header are no rows; polars skips them too)
                if rec:  # (a UTF-16/32 codec named by the byte-order mark keeps the mark)
                    header = [h.strip() for h in [rec[0].lstrip("\ufeff"), *rec[1:]]]
                continue
            if row in wanted:
                out[row] = dict(zip(header, rec, strict=False))
            row += 1
        binary.read()  # (to the end: the hash covers every byte)
        changed = bool(info.sha256) and hashed.sha256.hexdigest() != info.sha256
    # split otherwise than polars split it, or the file changed since it was read: these would be other cells
    return out if row == rows and not changed else {}


class _HashingReader(io.RawIOBase):
    """A binary file read through, its bytes hashed on the way (sha256), as :func:`dvclean.io.read_frame` hashed
    them: a file rewritten since it was read is told by its hash, without holding its bytes."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)
        if n:
            self.sha256.update(memoryview(buffer)[:n])
        return n or 0


def _top_rows(
    frame: pl.DataFrame, features: pl.DataFrame | None, lines: dict[int, int] | None, *, regression: bool = False,
    label: str | None = None, cell_text: CellText | None = None,
) -> tuple[list[str], list[list[Any]], list[str], tuple[int, ...], tuple[int, ...]]:
    """The most suspicious rows' cells; class labels (the label, the neighbours' label, the label column among the
    features) as the text of the class, not numbers rounded for display (classes 0.12341 and 0.12342 stay two).
    The data's other cells as the file writes them where ``cell_text`` gives a row's fields by column name (a CSV:
    ``00862``, ``0.000640``), else a float with every digit it has (``2264786798.09``, not ``2.26479e+09``).
    Last, a regression target's columns by position (the label, its prediction, the neighbours' mean and the data's
    label column: a data column may be named like one of dvclean's, a target called ``value``), and a class
    label's columns by position (the same columns, classes; :attr:`ReportData.top_label_columns`)."""
    from ..table import class_text

    notes: list[str] = []
    ranked = frame.with_row_index("__row").filter(pl.col("value_rank").is_not_null()).sort("value_rank").head(TOP_ROWS)
    id_name = frame.columns[0]
    evidence = [c for c in REGRESSION_EVIDENCE if c in frame.columns] if regression else []
    base = [id_name, "label", *evidence, "neighbor_label", "value", "mislabel_score", "is_mislabeled", "is_hard"]
    cols = ["row", *base]
    if lines:
        cols.insert(1, "line")
    feat_cols: list[str] = []
    if features is not None:
        feat_cols = list(features.columns)  # (a feature may be named like a column above: row_id, value, is_hard)
        if len(feat_cols) > MAX_FEATURE_COLUMNS:
            # (the data's label column comes first among them: it is shown, and it is not a feature)
            shown = sum(c != label for c in feat_cols[:MAX_FEATURE_COLUMNS])
            total = sum(c != label for c in feat_cols)
            notes.append(f"the table shows {'the label column and ' if label in feat_cols[:MAX_FEATURE_COLUMNS] else ''}"
                         f"the first {shown} of the {total} feature columns")
            feat_cols = feat_cols[:MAX_FEATURE_COLUMNS]
    classes = () if regression else ("label", "neighbor_label")
    rows_idx = ranked.get_column("__row").to_list()
    feat_rows = features.select(feat_cols)[rows_idx].rows() if features is not None and feat_cols else None
    texts = cell_text(rows_idx) if cell_text is not None and feat_rows is not None else {}
    single = {c for c in feat_cols if features is not None and features.schema[c] == pl.Float32}
    out = []
    for i, rec in enumerate(ranked.iter_rows(named=True)):
        cells: list[Any] = [rec["__row"]]
        if lines:
            cells.append(lines.get(rec["__row"]))
        cells += [class_text(rec[c]) if c in classes and rec[c] is not None else json_scalar(rec[c]) for c in base]
        if feat_rows is not None:
            raw = texts.get(rec["__row"], {})
            cells += [(class_text(v) if v is not None else v) if c == label and not regression
                      else json_scalar(v) if c == label  # (a regression target: with the digits its spread needs)
                      else _data_cell(v, raw.get(c), single=c in single)
                      for c, v in zip(feat_cols, feat_rows[i], strict=True)]
        out.append(cells)
    own = ("label", "predicted_value", "neighbor_label") if regression else classes
    positions = tuple(i for i, c in enumerate(cols) if c in own)
    if label in feat_cols:
        positions += (len(cols) + feat_cols.index(label),)
    return cols + feat_cols, out, notes, (positions if regression else ()), (() if regression else positions)


def _float_or_none(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None


def _target_part(frame: pl.DataFrame, valued: np.ndarray, flags: np.ndarray, meta: dict[str, Any]) -> dict[str, Any]:
    """The target's distribution with the flagged rows marked (regression only)."""
    y = frame.get_column("label").cast(pl.Float64, strict=False).to_numpy()[valued].astype(np.float64)
    z = None
    if "target_z" in frame.columns:
        z = frame.get_column("target_z").cast(pl.Float64, strict=False).to_numpy()[valued].astype(np.float64)
    f = flags[valued]
    finite = y[np.isfinite(y)]
    stats = {"rows": int(y.size)}
    if finite.size:
        mean, std = mean_std(finite)  # (scaled: the raw sum overflows near 1e307, the squares at 1e155)
        stats |= {"mean": mean, "std": std,
                  "median": float(np.median(finite)), "min": float(finite.min()), "max": float(finite.max())}
        label = frame.get_column("label")
        if label.dtype.is_integer():  # an integer target's bounds (and a whole median) as integers, as the data has them
            whole = label.gather(np.flatnonzero(valued)).drop_nulls()
            if whole.len():
                stats |= {"min": int(whole.min()), "max": int(whole.max())}  # type: ignore[arg-type]
                if stats["median"] == int(stats["median"]):
                    stats["median"] = int(stats["median"])
    mis = f == "mislabeled"
    cutoff = _float_or_none(((meta.get("config") or {}).get("mislabel") or {}).get("outlier_z"))
    return {
        "values": y,
        "flags": f,
        "z": z,
        "cutoff": cutoff,
        "stats": stats,
        "above": int((mis & (z > 0)).sum()) if z is not None else None,
        "below": int((mis & (z < 0)).sum()) if z is not None else None,
    }


def _values(frame: pl.DataFrame, valued: np.ndarray, primary: str) -> dict[str, np.ndarray]:
    per_method = {c[len("value_"):]: c for c in frame.columns if c.startswith("value_") and c != "value_rank"}
    if not per_method:
        per_method = {primary: "value"}
    return {m: frame.get_column(c).to_numpy()[valued].astype(np.float64) for m, c in per_method.items()}


def _assemble(
    frame: pl.DataFrame,
    meta: dict[str, Any],
    *,
    x: np.ndarray | None,
    x_rows: np.ndarray | None,
    features: pl.DataFrame | None,
    lines: dict[int, int] | None,
    outcome: CheckOutcome | None,
    augmentation: dict[str, Any] | None,
    notes: list[str],
    read_from: tuple[str, ...] = (),
    cell_text: Callable[[int], dict[str, str]] | None = None,
) -> ReportData:
    valued = ~frame.get_column("is_label_missing").fill_null(False).to_numpy()
    regression = meta.get("task") == "regression"
    flags_all = _flags(frame)
    seed = int(meta.get("seed") or 0)
    if x is not None and x_rows is not None:
        proj, pflags, pnote = _projection(x, flags_all[x_rows], seed)
    else:
        proj, pflags, pnote = _projection(None, flags_all[valued], seed)
    cols, rows, tnotes, targets, label_cols = _top_rows(frame, features, lines, regression=regression, label=meta.get("label"),
                                          cell_text=cell_text)
    if regression:  # no classes: the values of the outlying targets against the other rows, no per-class table or chart
        labels = np.where(flags_all[valued] == "mislabeled", REGRESSION_GROUPS[1], REGRESSION_GROUPS[0]).astype(object)
    else:
        labels = np.array([str(v) for v in frame.get_column("label").to_list()], dtype=object)[valued]
    return ReportData(
        meta=meta,
        checks=[c.to_dict() for c in outcome.checks] if outcome is not None else None,
        status=outcome.status if outcome is not None else None,
        per_class=[] if regression else _per_class(frame),
        top_columns=cols,
        top_rows=rows,
        top_target_columns=targets,
        top_label_columns=label_cols,
        values=_values(frame, valued, str(meta.get("primary_method") or "value")),
        labels=labels,
        projection=proj,
        projection_flags=pflags,
        projection_note=pnote,
        augmentation=_augmentation_part(augmentation),
        notes=list(dict.fromkeys([*notes, *tnotes, *_included_mislabeled_note(augmentation),
                                  *_augmentation_notes(augmentation), *(outcome.notes if outcome is not None else ())])),
        target=_target_part(frame, valued, flags_all, meta) if regression else None,
        read_from=read_from,
    )


def _validation_text(kind: Any, file: Any) -> str | None:
    """What the values were measured against: ``leave-self-out`` or the ``--valid`` file (path, rows)."""
    if isinstance(file, dict) and file.get("path"):
        return f"{file['path']} ({file.get('rows')} rows, sha256 {str(file.get('sha256') or 'unknown')[:12]})"
    return str(kind) if kind else None


def _augmentation_notes(doc: dict[str, Any] | None) -> list[str]:
    """The augment report's own notes and its evaluation's (a holdout that overlaps the data makes the holdout
    scores optimistic: the report that shows them must say so)."""
    part = _augmentation_part(doc)
    if part is None:
        return []
    evaluation = part.get("evaluation")
    found = [*(part.get("notes") or ()), *((evaluation.get("notes") or ()) if isinstance(evaluation, dict) else ())]
    return [n for n in found if isinstance(n, str)]


def _included_mislabeled_note(doc: dict[str, Any] | None) -> list[str]:
    """With ``--include-mislabeled`` and a hard target, the generator's hard set is not the report's ``is_hard``."""
    if not isinstance(doc, dict):
        return []
    config, target = doc.get("config") or {}, doc.get("target") or {}
    if not (isinstance(config, dict) and isinstance(target, dict) and config.get("include_mislabeled")):
        return []
    if not str(target.get("spec", "")).startswith("hard"):
        return []
    used = target.get("mislabeled_rows_used")
    return [
        f"with --include-mislabeled the generator trained on {target.get('rows')} rows (target "
        f"{target.get('spec')!r}: the lowest-valued rows, flagged ones included; {used} of them are flagged "
        "mislabeled); the 'hard' flags in this report are `dvclean score`'s, which leave the flagged rows out"
    ]


#: The fields of a scores file's ``dvclean`` footer the report reads, with the types they must have.
_FOOTER_TYPES: dict[str, tuple[type, ...]] = {
    "label": (str,), "task": (str,), "seed": (int,), "method": (str,), "status": (dict,), "config": (dict,),
    "drop": (list,), "notes": (list,), "dvclean_version": (str,), "input_sha256": (str,), "validation": (str,),
    "validation_file": (dict, str), "schema_version": (int,), "id_column": (str,),
}


def scores_footer(run: Any, name: str) -> tuple[dict[str, Any], list[str]]:
    """A scores file's ``dvclean`` footer with only well-typed fields, and the notes on what was left out.

    A footer written by a newer dvclean (``schema_version`` above :data:`dvclean.pipeline.SCHEMA_VERSION`) is
    refused: its fields may mean something else. Anything else malformed (not an object, a field of the wrong
    type: a hand-edited or foreign file) is ignored with a note, as if the file had no footer, never a crash.
    """
    from ..pipeline import refuse_newer_scores

    if not isinstance(run, dict):
        return {}, [f"{name}: its dvclean metadata is not a JSON object; it is ignored"]
    refuse_newer_scores(run, name, "score the data again with this one")
    bad = [k for k, types in _FOOTER_TYPES.items()
           if run.get(k) is not None and (not isinstance(run[k], types) or isinstance(run[k], bool))]
    bad += [k for k in ("drop",) if isinstance(run.get(k), list) and not all(isinstance(v, str) for v in run[k])]
    if isinstance(run.get("status"), dict) and not all(isinstance(v, str) for v in run["status"].values()):
        bad.append("status")
    clean = {k: v for k, v in run.items() if k not in bad}
    note = [f"{name}: its dvclean metadata has malformed fields ({', '.join(dict.fromkeys(bad))}); they are ignored"]
    return clean, note if bad else []


def _augmentation_part(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if doc is None:  # (no augmentation given; an empty document is refused below)
        return None
    if not isinstance(doc, dict):
        from ..config import describe_type

        hint = (f"read the file first: augmentation=json.loads(Path({os.fspath(doc)!r}).read_text()), "
                f"augmentation_path={os.fspath(doc)!r}"
                if isinstance(doc, (str, os.PathLike)) else
                f"pass its report: augmentation={type(doc).__name__}.report" if isinstance(getattr(doc, "report", None), dict)
                else "pass the JSON report of `dvclean augment`, loaded as a dict, or AugmentResult.report")
        raise TypeError(f"augmentation= takes the dict of an augment report (AugmentResult.report, or the JSON file "
                        f"`dvclean augment` wrote, loaded), got {describe_type(doc)}; {hint}")
    if "report" in doc and isinstance(doc["report"], dict):
        doc = doc["report"]
    if not isinstance(doc, dict) or not any(k in doc for k in ("evaluation", "quality")):
        raise InputError("the augmentation document has neither 'evaluation' nor 'quality'; pass the JSON report of `dvclean augment`")
    problem = _augmentation_shape_problem(doc)
    if problem is not None:
        raise InputError(f"the augmentation document's {problem}; pass the JSON report of `dvclean augment` as it "
                         "wrote it")
    return doc


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _augmentation_shape_problem(doc: dict[str, Any]) -> str | None:
    """What in ``doc`` is not shaped as ``dvclean augment``'s JSON report is (the fields the report reads), or None."""
    quality = doc.get("quality")
    if quality is not None:
        if not isinstance(quality, dict):
            return f"'quality' must be an object of scores, not {type(quality).__name__}"
        bad = [k for k, v in quality.items() if v is not None and not _is_number(v)]
        if bad:
            return f"'quality.{bad[0]}' must be a number or null"
    ev = doc.get("evaluation")
    if ev is None:
        return None
    if not isinstance(ev, dict):
        return f"'evaluation' must be an object, not {type(ev).__name__}"
    for key in ("primary_metric", "verdict", "interval"):
        if ev.get(key) is not None and not isinstance(ev[key], str):
            return f"'evaluation.{key}' must be text"
    arms = ev.get("arms")
    if arms is None:
        return None
    if not isinstance(arms, dict):
        return f"'evaluation.arms' must be an object of arms, not {type(arms).__name__}"
    if not arms:
        return "'evaluation.arms' is empty (an evaluation has its three arms: baseline, non_targeted and targeted)"
    for arm, entry in arms.items():
        if not isinstance(entry, dict):
            return f"'evaluation.arms.{arm}' must be an object"
        if entry.get("rows") is not None and not _is_number(entry["rows"]):
            return f"'evaluation.arms.{arm}.rows' must be a number"
        for metric, v in entry.items():
            if not isinstance(v, dict) or "mean" not in v:
                continue
            for part in ("mean", "ci95"):
                if v.get(part) is not None and not _is_number(v[part]):
                    return f"'evaluation.arms.{arm}.{metric}.{part}' must be a number or null"
    return None


def _aug_input(doc: dict[str, Any]) -> dict[str, Any]:
    inp = doc.get("input")
    return inp if isinstance(inp, dict) else {}


def _refuse_foreign_augmentation(doc: dict[str, Any], what: str, *, from_file: bool, scored: str) -> None:
    """Refuse a report that ``dvclean augment`` did not write as this dvclean reads it: another command's
    (``"command"``), a newer schema's, or (from a file) one without the ``input`` section that ties it to the
    scored data (edited: the check that it evaluates this data would be skipped)."""
    from ..pipeline import SCHEMA_VERSION

    fix = "pass the <output>.augment-report.json that dvclean augment wrote"
    command = doc.get("command")
    if isinstance(command, str) and command != "augment":
        raise InputError(f"{what}: written by `dvclean {command}`, not by `dvclean augment`; {fix}")
    version = doc.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise InputError(f"{what}: written by a newer dvclean ({doc.get('dvclean_version', 'unknown')}, report schema "
                         f"{version}; this dvclean reads {SCHEMA_VERSION}): upgrade dvclean, or omit --augmentation")
    if from_file and "input" not in doc:
        raise InputError(f"{what}: has no 'input' section naming the data it evaluated, so it cannot be matched with "
                         f"{scored}; the file looks edited: {fix}")


def _reconcile_augmentation(
    meta: dict[str, Any],
    doc: dict[str, Any] | None,
    *,
    scored: str,
    augmentation_path: str | os.PathLike[str] | None,
    notes: list[str],
    adopt: bool,
) -> None:
    """Check that ``doc`` (``dvclean augment``'s report) describes the scored data; fill in its source.

    The augmentation records the sha256 of its input; when the scores record one too and they
    differ, the evaluation belongs to another file: refused (exit 2), as a ``--data`` mismatch is.
    With ``adopt`` (a :class:`ScoreResult`) and scores that carry no source (computed on an
    in-memory frame, as ``dvclean augment`` does), the input path, format and sha256 shown are
    the augmentation's.
    """
    if not doc:
        return
    what = f"--augmentation {augmentation_path}" if augmentation_path is not None else "the augmentation report"
    _refuse_foreign_augmentation(doc, what, from_file=augmentation_path is not None, scored=scored)
    inp = _aug_input(doc)
    aug_sha = inp.get("sha256") if isinstance(inp.get("sha256"), str) else ""
    aug_path = inp.get("path") if isinstance(inp.get("path"), str) else None
    ours = meta.get("input_sha256") or ""
    if aug_sha and ours and aug_sha != ours:
        raise DataValidationError(
            f"{what} evaluates another file: it was computed on {aug_path or 'an input'} (sha256 {aug_sha[:12]}...), "
            f"but {scored} was computed on data with sha256 {ours[:12]}...; pass the augment report of this data "
            "or omit --augmentation"
        )
    aug_label, label = doc.get("label"), meta.get("label")
    if isinstance(aug_label, str) and isinstance(label, str) and aug_label != label:
        raise DataValidationError(
            f"{what} evaluates another label: its generator and holdout models were for label column {aug_label!r}, "
            f"but {scored if scored == 'the scores' else 'the scores in ' + scored} are for label column {label!r}; pass the augment report made with --label {label}, or omit "
            "--augmentation"
        )
    aug_rows = inp.get("rows")
    if isinstance(aug_rows, int) and isinstance(meta.get("rows"), int) and aug_rows != meta["rows"]:
        raise DataValidationError(
            f"{what} evaluates another file: its input{' ' + aug_path if aug_path else ''} has {aug_rows} rows but {scored} has "
            f"{meta['rows']}; pass the augment report of this data or omit --augmentation"
        )
    if ours and aug_sha:
        return
    if not aug_sha:
        if ours:
            notes.append(f"{what} records no input sha256: cannot check that it describes the scored data")
    elif adopt:  # the scores were computed on an in-memory frame (dvclean augment): show the augmentation's input
        meta["input_sha256"] = aug_sha
        path = meta.get("input_path")
        if aug_path and (not path or str(path).startswith("<")):  # <DataFrame>
            meta["input_path"] = aug_path
            if isinstance(inp.get("format"), str):
                meta["input_format"] = inp["format"]
    else:
        notes.append(
            f"{scored} records no input sha256 (only Parquet output of `dvclean score` does) and no --data was given: "
            f"cannot check that {what} describes this data"
        )


def _check_report_arguments(result: Any, outcome: Any) -> None:
    """Refuse a ``result`` that is not a ScoreResult, or an ``outcome`` that is not a CheckOutcome (``TypeError``)."""
    from ..check import CheckOutcome
    from ..config import describe_type
    from ..pipeline import ScoreResult

    if not isinstance(result, ScoreResult):
        given = describe_type(result)
        if isinstance(result, (str, os.PathLike)):
            hint = (f"for a scores file written by `dvclean score` use "
                    f"dvclean.report.build_report_from_files({os.fspath(result)!r}, data=...)")
        elif isinstance(getattr(result, "scores", None), ScoreResult):  # a FixResult
            hint = f"pass the ScoreResult it holds, {type(result).__name__}.scores"
        elif isinstance(result, pl.DataFrame):
            hint = ("pass the ScoreResult itself, not its .frame (or write it with dvclean.write_scores and use "
                    "dvclean.report.build_report_from_files for the file)")
        else:
            hint = ("run dvclean.score on the data first, or use dvclean.report.build_report_from_files for a "
                    "scores file")
        raise TypeError(f"build_report() needs the ScoreResult of dvclean.score(...) as its first argument, got "
                        f"{given}; {hint}")
    if outcome is not None and not isinstance(outcome, CheckOutcome):
        raise TypeError(
            f"build_report(outcome=...) takes the CheckOutcome of dvclean.check.evaluate_check(result, policy), got "
            f"{describe_type(outcome)}; evaluate the policy first: outcome=evaluate_check(result, policy)"
        )


def build_report(
    result: ScoreResult,
    *,
    outcome: CheckOutcome | None = None,
    command: str | None = None,
    augmentation: dict[str, Any] | None = None,
    augmentation_path: str | os.PathLike[str] | None = None,
    source_bytes: bytes | None = None,
) -> ReportData:
    """Report data of a :func:`dvclean.score` run (optionally with its check outcome).

    Parameters
    ----------
    result : ScoreResult
    outcome : CheckOutcome, optional
        Adds the check table.
    command : str, optional
        The command line to show.
    augmentation : dict, optional
        ``dvclean augment``'s JSON report (three-arm evaluation, quality score). When the
        scores were computed on an in-memory frame (no sha256), the input path, format and
        sha256 shown are the augmentation's.
    augmentation_path : path, optional
        Where ``augmentation`` was read from (named in errors).
    source_bytes : bytes, optional
        The bytes of a CSV the run read from stdin: the table of suspicious rows shows their cells as written
        (a CSV file is read again for them; without them, stdin's rows show their typed values).

    Raises
    ------
    DataValidationError
        The augmentation was computed on another file (sha256 or row count differs).
    TypeError
        ``result`` is not a :class:`~dvclean.pipeline.ScoreResult` (its frame, or a scores
        file: see :func:`build_report_from_files`), or ``outcome`` not a
        :class:`~dvclean.check.CheckOutcome`.
    """
    from ..check import suspicious_rows

    _check_report_arguments(result, outcome)
    s = result.summary
    table = result.table
    meta = _meta_from_summary(s, command)
    notes = list(s.get("notes", []))
    _reconcile_augmentation(meta, _augmentation_part(augmentation), scored="the scores",
                            augmentation_path=augmentation_path, notes=notes, adopt=True)
    feats = table.frame.select([c for c in (table.label, *table.features) if c in table.frame.columns])
    lines = {r["row"]: r["line"] for r in suspicious_rows(result, key="hash", n=TOP_ROWS) if r["line"]}
    return _assemble(
        result.frame, meta, x=result.data.x, x_rows=result.data.rows, features=feats, lines=lines or None,
        outcome=outcome, augmentation=augmentation, notes=notes,
        read_from=file_paths(table.source.path if table.source is not None else None, *result.read_from,
                             augmentation_path),
        cell_text=csv_cell_text(table.source, table.frame.height, source_bytes),
    )


def _meta_from_summary(s: dict[str, Any], command: str | None) -> dict[str, Any]:
    methods = s.get("methods", {})
    return {
        "dvclean_version": s.get("dvclean_version", __version__),
        "report_version": __version__,
        "command": command,
        "input_path": s["input"]["path"],
        "input_sha256": s["input"]["sha256"],
        "input_format": s["input"].get("format"),
        "scores_path": None,
        "rows": s["rows"]["total"],
        "valued": s["rows"]["valued"],
        "columns": s["input"].get("columns"),
        "label": s.get("label"),
        "task": (s.get("task") or {}).get("name", "classification"),
        "task_reason": (s.get("task") or {}).get("reason"),
        "id_column": s.get("id_column"),
        "seed": s.get("seed"),
        "validation": _validation_text(s.get("validation"), s.get("validation_file")),
        "primary_method": s.get("primary_method"),
        "methods": {m: {"status": v.get("status"), "params": v.get("params")} for m, v in methods.items()},
        "flags": {k: s["flags"][k] for k in ("mislabeled", "mislabeled_fraction", "hard", "hard_fraction")},
        "config": s.get("config"),
        "timings": s.get("timings", {}),
    }


#: Flag columns of a scores file (true/false; 0/1 and yes/no text are read as such).
BOOLEAN_COLUMNS = ("is_mislabeled", "is_hard", "is_label_missing")
#: Numeric columns of a scores file the report reads (``value_<method>`` too).
NUMERIC_COLUMNS = ("value", "value_rank", "mislabel_score")
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def _first_bad(values: list[Any], ok: Any) -> tuple[int, Any] | None:
    for i, v in enumerate(values):
        if v is not None and not ok(v):
            return i, v
    return None


def _as_boolean(col: pl.Series, scores: str) -> pl.Series:
    """A flag column as Boolean: true/false, 0/1 (numbers or text) and yes/no text; anything else is refused."""
    if col.dtype == pl.Boolean:
        return col
    if col.dtype == pl.Null:
        return col.cast(pl.Boolean)
    refuse = f"{scores}: column {col.name} must be true/false (or 0/1, yes/no); found"
    hint = "pass the output of `dvclean score`"
    values = col.to_list()
    if col.dtype.is_numeric():
        bad = _first_bad(values, lambda v: v in (0, 1))
        if bad is not None:
            raise InputError(f"{refuse} {bad[1]!r} at row {bad[0]}; {hint}")
        return pl.Series(col.name, [None if v is None else bool(v) for v in values], dtype=pl.Boolean)
    if col.dtype == pl.String:
        texts = [None if v is None or not v.strip() else v.strip().lower() for v in values]
        bad = _first_bad(texts, lambda v: v in _TRUE or v in _FALSE)
        if bad is not None:
            raise InputError(f"{refuse} {values[bad[0]]!r} at row {bad[0]}; {hint}")
        return pl.Series(col.name, [None if v is None else v in _TRUE for v in texts], dtype=pl.Boolean)
    raise InputError(f"{refuse} a column of type {col.dtype}; {hint}")


def _as_number(col: pl.Series, scores: str) -> pl.Series:
    """A numeric column as numbers (numbers written as text are read as Float64); anything else is refused."""
    if col.dtype.is_numeric():
        return col
    if col.dtype == pl.Null:
        return col.cast(pl.Float64)
    if col.dtype == pl.String:
        stripped = col.str.strip_chars()
        parsed = stripped.cast(pl.Float64, strict=False)
        bad = (parsed.is_null() & stripped.is_not_null() & (stripped != "")).arg_true()
        if bad.len() == 0:
            return parsed
        i = int(bad[0])
        raise InputError(
            f"{scores}: column {col.name} must be numeric; row {i} holds {col[i]!r}; pass the output of `dvclean score`"
        )
    raise InputError(
        f"{scores}: column {col.name} must be numeric; found a column of type {col.dtype}; "
        "pass the output of `dvclean score`"
    )


#: The end of a refusal of a scores file whose columns contradict each other.
_EDITED = "the file looks edited, or was not written by `dvclean score`; re-run `dvclean score` to write it again"


def _rows(mask: pl.Series) -> str:
    """``row 3`` or ``rows 3, 8, 9, 12, 20 and 2 more``: the rows where ``mask`` is true (counted from 0)."""
    from ..table import rows_text

    return rows_text(mask.fill_null(False).arg_true().to_list())


def _check_id_column_first(frame: pl.DataFrame, scores: str) -> None:
    """Refuse a scores file whose first column, which holds the row ids, is not where ``dvclean score`` puts them:
    a column it always writes (``label``, ``value``, ...: an ``--id`` named so is written as ``row_id``), or any
    column while ``row_id`` stands further on. Its columns were reordered, or ``row_id`` removed (it used to be
    refused as "column label (the ids) has repeated values"). An ``--id`` named like a column written only by some
    runs (``value_knn``, ``target_z``) keeps its name when that column is not written, and is accepted."""
    from ..pipeline import OUTPUT_COLUMNS

    first = frame.columns[0]
    if first not in OUTPUT_COLUMNS and "row_id" not in frame.columns[1:]:
        return
    where = (f"row_id is column {frame.columns.index('row_id') + 1}" if "row_id" in frame.columns
             else "it has no row_id column")
    raise InputError(f"{scores}: its first column is {first!r}, but dvclean score writes the row ids first (row_id, "
                     f"or the --id column) and {where}; {_EDITED}")


def _check_consistent(frame: pl.DataFrame, scores: str) -> None:
    """Refuse a scores file whose columns contradict each other, as ``dvclean score`` never writes them.

    The report would print impossible numbers (more flags than valued rows, a score of 4.6): a row
    without a label (``is_label_missing``) is neither valued nor flagged (its flags false, or null in
    older files), ``mislabel_score`` lies in [0, 1] (null on unvalued rows), the hard flags are taken
    among the rows not flagged mislabeled, ids (the first column) are unique, the valued rows
    hold at least one finite value, their flags and ranks are not empty, and ``value_rank`` numbers them 1 to n
    from the lowest value.

    >>> ok = pl.DataFrame({"row_id": [0, 1, 2], "value": [0.1, -0.2, None], "value_rank": [2, 1, None],
    ...                    "is_mislabeled": [True, False, None],
    ...                    "is_hard": [False, True, None], "mislabel_score": [0.9, 0.2, None],
    ...                    "is_label_missing": [False, False, True]})
    >>> _check_consistent(ok, "s.csv")
    >>> _check_consistent(ok.with_columns(mislabel_score=pl.Series([0.9, 4.6, None])), "s.csv")
    Traceback (most recent call last):
    ...
    dvclean.errors.InputError: s.csv: column mislabel_score must lie in [0, 1] (empty on rows without a label); found 4.6 at row 1; the file looks edited, or was not written by `dvclean score`; re-run `dvclean score` to write it again
    >>> _check_consistent(ok.with_columns(value_rank=pl.Series([1, 2, None])), "s.csv")
    Traceback (most recent call last):
    ...
    dvclean.errors.InputError: s.csv: column value_rank does not follow column value (rank 1 is the lowest value); the file looks edited, or was not written by `dvclean score`; re-run `dvclean score` to write it again
    """
    missing = frame.get_column("is_label_missing").fill_null(False)
    ids = frame.get_column(frame.columns[0])
    repeated = ids.is_duplicated() & ids.is_not_null()
    if repeated.any():
        first = ids.filter(repeated)[0]
        raise InputError(f"{scores}: column {ids.name} (the ids) has repeated values at {_rows(repeated)} (the id "
                         f"{first!r} more than once); ids are unique in a scores file; {_EDITED}")
    for name in ("is_mislabeled", "is_hard"):
        bad = missing & frame.get_column(name).fill_null(False)
        if bad.any():
            raise InputError(f"{scores}: column {name} is true at {_rows(bad)}, where is_label_missing is true: a row "
                             f"without a label is never flagged; {_EDITED}")
    value = frame.get_column("value").cast(pl.Float64)
    bad = missing & value.is_not_null() & ~value.is_nan()
    if bad.any():
        raise InputError(f"{scores}: column value holds a number at {_rows(bad)}, where is_label_missing is true: a "
                         f"row without a label is not valued (its value is empty); {_EDITED}")
    score = frame.get_column("mislabel_score").cast(pl.Float64)
    bad = score.is_not_null() & ~score.is_nan() & ((score < 0) | (score > 1))
    if bad.any():
        i = int(bad.arg_true()[0])
        more = "" if int(bad.sum()) == 1 else f" (outside it at {_rows(bad)})"
        raise InputError(f"{scores}: column mislabel_score must lie in [0, 1] (empty on rows without a label); found "
                         f"{score[i]!r} at row {i}{more}; {_EDITED}")
    bad = frame.get_column("is_mislabeled").fill_null(False) & frame.get_column("is_hard").fill_null(False)
    if bad.any():
        raise InputError(f"{scores}: columns is_mislabeled and is_hard are both true at {_rows(bad)}: the hard rows are "
                         f"taken among the rows not flagged mislabeled; {_EDITED}")
    valued = value.filter(~missing)
    if valued.len() and not valued.is_finite().fill_null(False).any():
        raise InputError(f"{scores}: column value holds no finite number on any of the {valued.len()} rows with a "
                         f"label (is_label_missing false); {_EDITED}")
    for name in ("is_mislabeled", "is_hard", "value_rank"):
        bad = ~missing & frame.get_column(name).is_null()
        if bad.any():
            raise InputError(f"{scores}: column {name} is empty at {_rows(bad)}, where is_label_missing is false: "
                             f"every row with a label has its {'flags' if name != 'value_rank' else 'rank'}; {_EDITED}")
    # value_rank numbers the rows with a label 1, 2, ... from the lowest value (the report's table of the most
    # harmful rows is taken in that order)
    ranked = pl.DataFrame({"rank": frame.get_column("value_rank").cast(pl.Float64), "value": value}).filter(~missing)
    if ranked.height and not ranked.get_column("rank").sort().equals(
            pl.Series("rank", np.arange(1, ranked.height + 1, dtype=np.float64))):
        raise InputError(f"{scores}: column value_rank must number the {ranked.height:,} rows with a label 1 to "
                         f"{ranked.height:,}, each once; {_EDITED}")
    in_order = ranked.sort("rank").get_column("value").to_numpy()
    in_order = in_order[np.isfinite(in_order)]
    if (np.diff(in_order) < 0).any():
        raise InputError(f"{scores}: column value_rank does not follow column value (rank 1 is the lowest value); "
                         f"{_EDITED}")


def _typed_scores(frame: pl.DataFrame, scores: str) -> pl.DataFrame:
    """The columns the report reads, in the types ``dvclean score`` writes them (a re-saved file may differ)."""
    numeric = [*NUMERIC_COLUMNS, *(c for c in frame.columns if c.startswith("value_") and c != "value_rank"),
               *(c for c in REGRESSION_EVIDENCE if c in frame.columns)]
    id_name = frame.columns[0]
    cols = [_as_boolean(frame.get_column(c), scores) for c in BOOLEAN_COLUMNS if c != id_name]
    cols += [_as_number(frame.get_column(c), scores) for c in dict.fromkeys(numeric) if c in frame.columns and c != id_name]
    return frame.with_columns(cols)


def _check_same_rows(
    frame: pl.DataFrame, dframe: pl.DataFrame, *, label: str, id_column: str | None, scores: str, data: str
) -> None:
    """Refuse ``data`` whose labels (and ids) differ from the scores' row by row (as ``augment --scores`` does)."""
    from ..table import label_texts

    pairs = [("label", label)]
    if id_column is not None and id_column in dframe.columns:
        pairs.insert(0, (id_column, id_column))
    for ours, theirs in pairs:
        if ours not in frame.columns or theirs not in dframe.columns:
            continue
        a_col, b_col = frame.get_column(ours), dframe.get_column(theirs)
        text = a_col.dtype == pl.String and b_col.dtype == pl.String
        cells = zip(label_texts(a_col, as_text=text), label_texts(b_col, as_text=text), strict=True)
        for i, (a, b) in enumerate(cells):
            if a != b and a is not None and b is None:  # the same file read with other null markers
                what = "label" if ours == "label" else f"id {ours!r}"
                raise DataValidationError(
                    f"--data {data}: at row {i} the scores' {what} is {a_col[i]!r} but --data reads the cell as "
                    f"missing: read --data as it was scored, with the same --null-values (e.g. --null-values '' "
                    f"keeps a class spelled {a_col[i]!r})"
                )
            if a != b:
                what, other = ("label", " (or another --label)") if ours == "label" else (f"id {ours!r}", "")
                raise DataValidationError(
                    f"--data {data} is not the file {scores} was computed on{other}: at row {i} the "
                    f"scores' {what} is {a_col[i]!r} but the data's {theirs!r} is {b_col[i]!r}; pass the scored "
                    "file, re-run `dvclean score` on this data, or omit --data"
                )


def _check_row_numbers(frame: pl.DataFrame, dframe: pl.DataFrame, recorded_id: Any, *, scores: str,
                       data: str) -> str | None:
    """Refuse scores whose ``row_id`` column is not the data's row numbers in order (0, 1, ...): the rows were
    re-sorted or edited after ``dvclean score``, and the report would show one row's scores beside another's
    features (as ``augment --scores`` refuses them). An ``--id`` named like an output column is written as
    ``row_id``: then it must be that data column's values (the one the footer records, else any column holding
    them), which is returned (None for row numbers): the id column, not a feature."""
    from ..augment.core import _same_ids

    ids = frame.get_column("row_id")
    if _same_ids(ids, pl.Series("row_id", np.arange(frame.height, dtype=np.int64))):
        return None
    named = [recorded_id] if isinstance(recorded_id, str) else list(dframe.columns)
    for c in named:
        if c not in dframe.columns:
            continue
        theirs = dframe.get_column(c)
        if _same_ids(ids, theirs):
            return c
        if ids.dtype == pl.String and theirs.dtype.is_numeric():  # (ids 00196 the data's reader took for numbers)
            numbers = ids.str.strip_chars().cast(pl.Float64, strict=False)
            if numbers.null_count() == ids.null_count() and numbers.equals(theirs.cast(pl.Float64).alias("row_id")):
                return c
    held_text = ids.cast(pl.String).to_numpy()
    texts = {c: dframe.get_column(c).cast(pl.String).to_numpy() for c in named
             if c in dframe.columns and dframe.height == frame.height}
    agree = {c: int((held_text == t).sum()) for c, t in texts.items()}
    id_column = max(agree, key=agree.__getitem__, default=None)
    by_position = int((held_text == np.arange(frame.height).astype(str)).sum())
    if id_column is not None and 2 * agree[id_column] > frame.height > 0 and agree[id_column] > by_position:
        # (the scores' ids are mostly that column's values, an --id written as row_id: name the first that differs)
        theirs = texts[id_column]
        at = int(np.flatnonzero(held_text != theirs)[0])
        what = f"--data's --id column {id_column!r}"
        where = f"at row {at} it holds {ids[at]!r} where {data} holds {theirs[at]!r}"
    else:
        ours = np.arange(frame.height)
        held = ids.cast(pl.Float64).to_numpy() if ids.dtype.is_numeric() else ids.cast(pl.String).to_numpy()
        differ = np.flatnonzero(held != (ours if ids.dtype.is_numeric() else ours.astype(str)))
        at = int(differ[0]) if differ.size else 0
        what, where = "--data's row numbers", f"at row {at} it holds {ids[at]!r}"
    raise DataValidationError(
        f"{scores}: its row_id column is not {what} in order ({where}), so its rows cannot be paired with {data}'s: "
        "the scores were re-sorted or edited after `dvclean score`; re-run `dvclean score` on this data, or omit --data"
    )


def build_report_from_files(
    scores: str | os.PathLike[str],
    *,
    data: str | os.PathLike[str] | None = None,
    label: str | None = None,
    command: str | None = None,
    augmentation: dict[str, Any] | None = None,
    read_options: dict[str, Any] | None = None,
    augmentation_path: str | os.PathLike[str] | None = None,
    drop: Sequence[str] | None = None,
) -> ReportData:
    """Report data of a scores file written by ``dvclean score`` (plus the data file for features).

    Parameters
    ----------
    scores : path
        ``*.dvclean.parquet`` (or CSV/NDJSON) from ``dvclean score``.
    data : path, optional
        The scored data file: adds the feature columns and the PCA projection.
    label : str, optional
        Label column of ``data`` when the scores file does not record it (CSV/NDJSON scores).
    augmentation : dict, optional
        ``dvclean augment``'s JSON report; refused when it records another input sha256
        than the scores file (or ``data`` when the scores record none).
    augmentation_path : path, optional
        Where ``augmentation`` was read from (named in errors).
    drop : str or sequence of str, optional
        Columns of ``data`` that were not features (``--drop``); default: those a Parquet
        scores file records, else none.

    Raises
    ------
    InputError
        ``scores`` is not a scores file: a column is missing, a flag column is not true/false
        (``0``/``1`` and ``yes``/``no`` are read as such), or a value column is not numeric.
    DataValidationError
        ``data`` has another row count than the scores, its labels (or ids) differ from the
        scores' row by row when the scores do not record the data's sha256 (CSV/NDJSON), or
        the augmentation was computed on another file.
    """
    from ..config import FeatureConfig
    from ..io import expand_home, read_frame, read_once, read_scores_frame
    from ..pipeline import text_identity
    from ..table import make_table, prepare

    scores, data, augmentation_path = expand_home(scores), expand_home(data), expand_home(augmentation_path)

    # class labels and ids are their text (a CSV's ``01`` and ``1`` are two classes), as when the data was scored;
    # dvclean writes a missing value as an empty cell, so only that is missing: classes named NA, None or null
    # (kept as classes when the data was scored) stay classes, whatever --null-values says of the data
    options: dict[str, Any] = {"null_values": [""]}
    piped = read_once(scores, options)  # stdin's or a pipe's bytes: read once, for the frame and the Parquet footer
    frame, info = read_scores_frame(scores, warn_ignored=False, **options,
                                    keep_text=lambda names: [*names[:1], "label", "neighbor_label", "suggested_label"])
    required = {"label", "value", "value_rank", "is_mislabeled", "is_hard", "mislabel_score", "is_label_missing",
                "neighbor_label"}
    missing = sorted(required - set(frame.columns))
    if missing:
        raise InputError(
            f"{scores}: not a dvclean scores file (missing columns {', '.join(missing)}); "
            "pass the output of `dvclean score`"
        )
    _check_id_column_first(frame, str(scores))
    frame = _typed_scores(frame, str(scores))
    _check_consistent(frame, str(scores))
    run: dict[str, Any] = {}
    footer_notes: list[str] = []
    if info.format == "parquet":
        if piped is not None:
            raw = pl.read_parquet_metadata(io.BytesIO(piped)).get("dvclean")
        else:
            with open(scores, "rb") as fh:  # (a file, not a path: polars expands a path as a glob)
                raw = pl.read_parquet_metadata(fh).get("dvclean")
        if raw:
            try:
                run, footer_notes = scores_footer(json.loads(raw), str(scores))
            except (json.JSONDecodeError, RecursionError):  # (RecursionError: arrays nested 100,000 deep)
                run, footer_notes = {}, [f"{scores}: its dvclean metadata is not JSON; it is ignored"]
    if label is not None and run.get("label") and label != run["label"]:
        raise DataValidationError(
            f"{scores} records the label {run['label']!r} and --label says {label!r}: drop --label (it is for scores "
            "files that do not record theirs), or pass the scores of that label"
        )
    if run.get("task") == "regression":  # (a classification's scores with an edited footer: no target to show)
        labels = frame.get_column("label")
        numbers = labels.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)
        text = labels.is_not_null() & numbers.is_null()
        if text.any():
            raise InputError(f"{scores}: its dvclean metadata records a regression target, but column label holds "
                             f"text at {_rows(text)} ({labels.filter(text)[0]!r}); {_EDITED}")
    id_name = frame.columns[0]
    id_column = None if id_name == "row_id" else id_name
    n_valued = int((~frame.get_column("is_label_missing").fill_null(False)).sum())
    n_mis = int(frame.get_column("is_mislabeled").fill_null(False).sum())
    n_hard = int(frame.get_column("is_hard").fill_null(False).sum())
    meta = {
        "dvclean_version": run.get("dvclean_version", "unknown"),
        "report_version": __version__,
        "command": command,
        "input_path": str(data) if data is not None else None,
        "input_sha256": run.get("input_sha256"),
        "input_format": None,
        "scores_path": str(scores),
        "rows": frame.height,
        "valued": n_valued,
        "columns": None,
        "label": run.get("label") or label,
        "task": run.get("task") or ("regression" if "predicted_value" in frame.columns else "classification"),
        "task_reason": "from the scores file",
        "id_column": id_column,
        "seed": run.get("seed"),
        "validation": _validation_text(run.get("validation"), run.get("validation_file")),
        "primary_method": run.get("method"),
        "methods": {m: {"status": st, "params": None} for m, st in (run.get("status") or {}).items()},
        "flags": {
            "mislabeled": n_mis, "mislabeled_fraction": n_mis / max(1, n_valued),
            "hard": n_hard, "hard_fraction": n_hard / max(1, n_valued),
        },
        "config": run.get("config"),
        "timings": {},
    }
    notes: list[str] = []
    if not run:
        notes.append("the scores file carries no run metadata (only Parquet output does); seed and config are unknown")
    notes.append("timings are not stored in a scores file; use --report on `dvclean score` or `dvclean check` to include them")
    notes.extend(footer_notes)
    run_notes = run.get("notes")
    if isinstance(run_notes, list):  # the scoring run's own notes, as its report showed them
        notes.extend(str(n) for n in run_notes)
    elif run:
        notes.append("this scores file does not record its run's notes (written by an older dvclean)")
    x = x_rows = None
    feats = None
    lines = None
    cell_text = None
    if data is not None:
        lbl = meta["label"]
        keep = text_identity(lbl, id_column, meta["task"])  # (without a label: the column make_table would take)
        data_options = dict(read_options or {})
        piped_data = read_once(data, data_options)  # stdin's bytes: for the frame and the cells' text
        dframe, dinfo = read_frame(data, **{**data_options, "keep_text": keep,
                                            "exact_text": (id_column,) if id_column else ()})
        if dframe.height != frame.height:
            raise DataValidationError(
                f"--data {data} has {dframe.height} rows but {scores} has {frame.height}; pass the file that was scored"
            )
        meta["input_format"] = dinfo.format
        meta["columns"] = dframe.width
        if meta["input_sha256"] and dinfo.sha256 and meta["input_sha256"] != dinfo.sha256:
            # (the bytes read: stdin or a pipe too, which the command line cannot hash beforehand)
            raise DataValidationError(
                f"--data {data} is not the file {'the scores on stdin were' if str(scores) == '-' else f'{scores} was'} "
                f"computed on (sha256 {dinfo.sha256[:12]}..., the scores "
                f"record {meta['input_sha256'][:12]}...); pass the scored file, re-run `dvclean score` on this data, "
                "or omit --data"
            )
        meta["input_sha256"] = meta["input_sha256"] or dinfo.sha256
        if lbl is None:
            # a CSV or NDJSON scores file records no label: the data's label/target/y/class column, as `score` takes it
            # without --label (the rows' labels are compared with the scores' below)
            found = [c for c in dframe.columns if c.strip().lower() in LABEL_CANDIDATES]
            if len(found) != 1:
                raise DataValidationError(
                    "the scores file does not record the label column and "
                    + ("no column of --data is named label/target/y/class" if not found else
                       f"{len(found)} columns of --data are named label/target/y/class ({', '.join(map(repr, found))})")
                    + "; pass --label (label= in Python)"
                )
            lbl = meta["label"] = found[0]
        cfg = (run.get("config") or {}).get("features")
        # (one name as a str, as dvclean.score(drop="x") reads it, not its letters)
        dropped = ((drop,) if isinstance(drop, str) else tuple(drop)) if drop is not None else tuple(
            map(str, run.get("drop") or ()))
        # the rows must hold the scores' labels (and ids): CSV/NDJSON scores record no sha256, and the same file read
        # with other null markers loses a class; checked first: a --label naming another column is that mistake,
        # whatever make_table says of the column
        if id_column is not None and id_column not in dframe.columns:
            raise DataValidationError(
                f"--data {data} has no column {id_column!r}, which {scores} was scored with as --id (its first column "
                "holds the ids): pass the scored file, re-run `dvclean score` on this data, or omit --data"
            )
        _check_same_rows(frame, dframe, label=lbl, id_column=id_column, scores=str(scores), data=str(data))
        renamed_id = None
        if id_column is None:
            renamed_id = _check_row_numbers(frame, dframe, run.get("id_column"), scores=str(scores), data=str(data))
        table = make_table(dframe, label=lbl, id_column=id_column or renamed_id, drop=dropped, source=dinfo,
                           task=meta["task"])
        recorded = run.get("drop")
        ours = sorted(set(map(str, table.dropped)))  # (the names as read: a CSV header's spaces stripped, once each)
        if drop is not None and isinstance(recorded, list) and sorted(set(map(str, recorded))) != ours:
            # (as for --label: the report would project and list another feature set than the one scored)
            raise DataValidationError(
                f"{scores} records that it was scored with --drop {', '.join(map(repr, recorded)) or 'none'} and "
                f"--drop says {', '.join(map(repr, ours)) or 'none'}: leave out --drop (it is for scores files that "
                "do not record theirs), or pass the scores of those features"
            )
        data_, _, _ = prepare(table, config=FeatureConfig(**cfg) if isinstance(cfg, dict) else None)
        x, x_rows = data_.x, data_.rows
        # not the data's row_id when the scores' first column is named so (it is the --id, or the row number), unless
        # the footer says no --id was given: then the data's row_id is a feature, as score --report shows it
        row_id_feature = id_name == "row_id" and "id_column" in run and run.get("id_column") is None
        feats = dframe.select([c for c in (table.label, *table.features) if c != id_name or row_id_feature])
        cell_text = csv_cell_text(dinfo, dframe.height, piped_data if piped_data is not None else data,
                                  data_options.get("encoding"))
        if dinfo.format == "csv" and dinfo.compression is None and str(data) != "-":
            from ..check import csv_line_numbers

            top = frame.with_row_index("__r").filter(pl.col("value_rank").is_not_null()).sort("value_rank").head(TOP_ROWS)
            lines = csv_line_numbers(Path(data), top.get_column("__r").to_list(), separator=dinfo.separator or ",",
                                     encoding=dinfo.encoding or "utf-8")
    _reconcile_augmentation(meta, _augmentation_part(augmentation), scored=str(scores),
                            augmentation_path=augmentation_path, notes=notes, adopt=False)
    return _assemble(frame, meta, x=x, x_rows=x_rows, features=feats, lines=lines, outcome=None,
                     augmentation=augmentation, notes=notes, read_from=file_paths(scores, data, augmentation_path),
                     cell_text=cell_text)
