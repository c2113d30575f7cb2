"""``dvclean fix``: write a cleaned copy of a table from the mislabel flags.

:func:`fix` scores the table (:func:`dvclean.score`) and applies one action to the
rows flagged ``is_mislabeled``:

* ``relabel``: set the label to ``suggested_label`` where the flag rule's probability
  of the suggested label is at least ``FixConfig.min_confidence``; flagged rows below it are left unchanged and counted;
* ``drop``: remove the flagged rows;
* ``mark``: add a ``dvclean_issue`` column (``"mislabeled"``, null elsewhere) and leave every row as it is.

``relabel`` and ``drop`` are refused when the scores' predictability test says the features do not
predict the labels (the flags are then noise; ``FixConfig.force`` insists), or when they would leave a class
without a row or change more than half of the labelled rows (:data:`ERASE_SHARE`), and the summary gives each
class's row count before and after, with a note for a class that loses a fifth of its rows or more
(:data:`CLASS_LOSS_NOTE`: so large a share flagged means the class overlaps another).

Regression targets: the flagged rows are outlying targets (:mod:`dvclean.flags`).
``drop`` and ``mark`` (``dvclean_issue = "outlying target"``) work as above;
``relabel`` is refused, because replacing a measured target by a model's guess is
imputation, not a label fix: the scores' ``predicted_value`` column holds each row's
out-of-sample prediction for whoever wants to impute deliberately.

The input is never modified: :func:`write_fixed` writes atomically to another path
(:func:`dvclean.io.write_table`), and the CLI refuses an output path that is the input.

Nothing else changes: a CSV input written as CSV keeps every row that was not changed
exactly as the input writes it (field text, delimiter, quoting, line ends, encoding:
``00104`` stays ``00104``, ``75.60`` stays ``75.60``, ``NA`` stays ``NA``); a relabelled row
changes only its label field, spelled as the input spells that class; a marked row only
gains the ``dvclean_issue`` field. Columns passed to ``drop`` (excluded from the
features) are kept in the output. Parquet, Arrow and NDJSON inputs keep their dtypes.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from ._serial import one_at_a_time
from ._version import __version__
from .config import FixConfig, ScoreConfig, build_hint, describe_type
from .errors import ConfigError, DataValidationError, InputError
from .io import (
    CsvText,
    DataSource,
    JsonEdits,
    JsonText,
    TextEdits,
    as_source,
    check_writable,
    derived_output_path,
    expand_home,
    json_scalar,
    output_format_for,
    output_separator,
    padded_integer_texts,
    read_csv_text,
    read_frame,
    read_json_text,
    read_once,
    record_spellings,
    texts_like_input,
    write_csv_text,
    write_json_text,
    write_table,
)
from .pipeline import ScoreResult, _check_arguments, refuse_input_path, score, table_check
from .table import ISSUE_COLUMN, ISSUE_VALUES, Table, is_marker_column

#: Version of the ``fix --json`` summary's layout (``schema_version``), as ``score``'s and ``check``'s have theirs.
FIX_SCHEMA_VERSION = 1

__all__ = ["FixResult", "fix", "apply_fix", "text_edits", "json_edits", "write_fixed", "default_fixed_path", "ISSUE_COLUMN"]



@dataclass(frozen=True, eq=False)
class FixResult:
    """A cleaned table and what changed.

    Attributes
    ----------
    frame : polars.DataFrame
        The cleaned table (same columns as the input; ``mark`` adds ``dvclean_issue``).
    summary : dict
        JSON-able: ``action``, ``rows_in`` / ``rows_out``, ``flagged``, ``changed``, ``min_confidence``,
        ``task``, ``label_missing`` (rows without a label: never flagged, written unchanged); ``relabeled`` and
        ``skipped`` (flagged but below ``min_confidence``; ``respelled``: how many of
        the relabels only change the spelling of the class, ``no`` to ``No``, when any do), ``dropped`` or
        ``marked``; ``changed_rows`` (the ids of every row relabelled or dropped; empty for ``mark``) and
        ``flagged_rows`` (the ids of every flagged row: values of the ``id_column`` the summary names, or
        0-based row positions when it is None); for ``relabel`` / ``drop`` of class labels,
        ``classes`` (each class's rows before and after) and ``notes``.
    scores : ScoreResult
    text : CsvText, JsonText or None
        The input's text when it is a CSV file, its records when it is a JSON or NDJSON file:
        :func:`write_fixed` writes an output of the same kind from it, so the rows keep their
        text (numbers as spelled) exactly.
    edits : TextEdits, JsonEdits or None
        What the action does to ``text`` (rows kept, labels replaced, column added).
    """

    frame: pl.DataFrame
    summary: dict[str, Any]
    scores: ScoreResult
    text: CsvText | JsonText | None = field(default=None, repr=False)  # (the whole input: not in a notebook's display)
    edits: TextEdits | JsonEdits | None = field(default=None, repr=False)
    #: The input rows ``frame`` keeps, in order (``drop`` only; None: all of them).
    kept: np.ndarray | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        """A line, not the whole frame, summary and row ids (a notebook displays a result returned last in a cell)."""
        s = self.summary
        return (f"FixResult(action={s.get('action')!r}, rows_in={s.get('rows_in')}, "
                f"rows_out={s.get('rows_out', self.frame.height)}, flagged={s.get('flagged')}, "
                f"changed={s.get('changed')}; see .frame and .summary)")


def _refuse_relabel_of_targets(table: Table, config: FixConfig) -> None:
    """Refuse ``relabel`` on a regression target (fix checks it as soon as the table is read, before any valuation)."""
    if table.task == "regression" and config.action == "relabel":
        raise ConfigError(
            f"--action relabel replaces a wrong class by the suggested one, but {table.label!r} is a regression target "
            "(its flagged rows are outlying targets): use --action drop or --action mark; the scores' "
            "predicted_value column holds each row's out-of-sample prediction"
        )


def _decide(frame: pl.DataFrame, scores: ScoreResult, config: FixConfig) -> tuple[np.ndarray, np.ndarray, pl.Series | None]:
    """``(flagged, relabelled, new label column)``: which rows the action touches (one rule for every output)."""
    out = scores.frame
    label = scores.table.label
    _refuse_relabel_of_targets(scores.table, config)
    flagged = out.get_column("is_mislabeled").fill_null(False).to_numpy()
    if config.action != "relabel":
        return flagged, np.zeros(frame.height, dtype=bool), None
    suggested = out.get_column("suggested_label")
    if "suggested_label_prob" not in out.columns:  # scores without label probabilities
        confident = flagged.copy()
    else:
        prob = out.get_column("suggested_label_prob").fill_null(0.0).to_numpy()
        confident = flagged & (prob >= config.min_confidence)
    col = frame.get_column(label)
    replacement = suggested.cast(col.dtype, strict=False)
    changed = confident & replacement.is_not_null().to_numpy() & (replacement != col).fill_null(True).to_numpy()
    return flagged, changed, col.zip_with(pl.Series(~changed), replacement).alias(label)


def apply_fix(frame: pl.DataFrame, scores: ScoreResult, config: FixConfig) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Apply ``config.action`` to ``frame`` (the frame that ``scores`` was computed on).

    Only the label column of the relabelled rows changes (dtype kept); ``drop`` removes
    rows; ``mark`` adds ``dvclean_issue``. Every other value is ``frame``'s.
    """
    regression = scores.table.task == "regression"
    flagged, relabel, new_label = _decide(frame, scores, config)
    ids = np.flatnonzero(flagged)
    summary: dict[str, Any] = {
        "action": config.action,
        "rows_in": frame.height,
        "flagged": int(flagged.sum()),
        "task": scores.table.task,
        # (why, as score's JSON gives it under task.reason: "auto: float label with 313 distinct values", "--task
        # regression")
        "task_reason": scores.table.task_reason,
        "id_column": scores.table.id_column,  # (whose values changed_rows and flagged_rows hold; None: positions)
    }
    if not regression:  # (relabel's threshold: a regression target is never relabelled)
        summary["min_confidence"] = config.min_confidence
    changed = np.zeros(frame.height, dtype=bool)
    respelled_rows: np.ndarray | None = None
    if config.action == "relabel":
        assert new_label is not None
        changed = relabel
        fixed = frame.with_columns(new_label)
        summary.update(relabeled=int(changed.sum()), skipped=int((flagged & ~changed).sum()))
        respelled_rows = _respelled_rows(frame.get_column(scores.table.label), new_label, changed)
        respelled = _respellings(frame.get_column(scores.table.label), new_label, changed, respelled_rows)
        if respelled:
            summary.update(respelled=sum(respelled.values()))
            from .report.formats import quoted_text

            shown = ", ".join(f"{n} {quoted_text(old)} → {quoted_text(new)}"
                              for (old, new), n in list(respelled.items())[:4])
            summary.setdefault("notes", []).append(
                f"{summary['respelled']} of the {summary['relabeled']} relabelled rows only change the spelling of "
                f"their class ({shown}{', ...' if len(respelled) > 4 else ''}): score counts each spelling as a class of "
                "its own, so a model can tell them apart only by chance; write each class one way and score again, so "
                "that the flags are about wrong labels"
            )
    elif config.action == "drop":
        fixed = frame.filter(pl.lit(pl.Series(~flagged)))
        changed = flagged
        summary.update(dropped=int(flagged.sum()))
    else:
        _check_issue_column(frame, scores.table.label)
        issue = "outlying target" if regression else "mislabeled"
        fixed = frame.with_columns(pl.Series(ISSUE_COLUMN, [issue if f else None for f in flagged], dtype=pl.String))
        summary.update(marked=int(flagged.sum()))
    if config.action != "mark" and (note := _stale_marks_note(frame, scores.table.label, config.action)):
        summary.setdefault("notes", []).append(note)
    if config.action != "mark" and not regression:
        classes = _class_changes(frame.get_column(scores.table.label), fixed.get_column(scores.table.label), changed,
                                 config.action, respelled_rows)
        summary.update(classes=classes["classes"], notes=[*summary.get("notes", []), *classes["notes"]])
    unlabelled = int(scores.summary["rows"]["label_missing"])
    summary.update(label_missing=unlabelled)
    if unlabelled:  # (as score's summary says it: the cleaned file still holds them, unchanged)
        summary["notes"] = [
            f"{unlabelled} {'rows have' if unlabelled != 1 else 'row has'} no label: not valued or flagged, written "
            "unchanged", *summary.get("notes", [])]
    row_ids = scores.table.row_ids()  # (as a list: polars gives no numpy array of Int128 ids beyond 2**63)
    summary.update(
        rows_out=fixed.height,
        changed=int(changed.sum()) if config.action != "mark" else 0,
        changed_rows=[_plain(v) for v in row_ids.gather(np.flatnonzero(changed)).to_list()]  # all: the output cannot tell
        if config.action != "mark" else [],
        flagged_rows=[_plain(v) for v in row_ids.gather(ids).to_list()],
    )
    return fixed, summary


#: ``relabel`` or ``drop`` taking this share of a class's rows out of it gets a note: more than the 20% of
#: flipped labels in the label-noise benchmark's noisiest cells, and on real data the sign that the class
#: overlaps another (on the 2,000-row Taiwan sample, without any injected noise, 258 of the 442 defaulters
#: are flagged and relabel would move 207 of them).
CLASS_LOSS_NOTE = 0.2
#: At most this many class notes: the last one counts the other classes by their gravest note.
CLASS_NOTES_SHOWN = 6


def _class_changes(before: pl.Series, after: pl.Series, changed: np.ndarray, action: str = "relabel",
                   respelled: np.ndarray | None = None) -> dict[str, Any]:
    """``classes``: each class's row count before and after the fix and its own rows relabelled away or dropped
    (``lost``; JSON-able), and a ``notes`` entry for every class that loses at least :data:`CLASS_LOSS_NOTE` of its
    rows. ``changed``: the input rows relabelled or dropped (``action``, named in the note). A class's own losses are counted, not its net change
    (a relabel that moves 92 rows each way between two classes leaves both counts as they were), and a NaN or
    blank label is a missing one, as :func:`dvclean.score` reads it (no class)."""
    from .table import label_missing_mask

    def present(col: pl.Series) -> pl.Series:
        # (a missing label as dvclean.score reads it: null, NaN or blank text, ' ' too: no class)
        return col.rename("v").filter(pl.Series(~label_missing_mask(col)))

    counts_before = present(before).value_counts(sort=True)  # (a label named "count" is fine)
    counts_after = dict(present(after).value_counts().iter_rows())
    lost_of = dict(present(before.filter(pl.Series(changed))).value_counts().iter_rows())
    # (``respelled``: relabels that only change a class's spelling, a merge of two spellings, not a loss)
    merged_of = (dict(present(before.filter(pl.Series(respelled))).value_counts().iter_rows())
                 if respelled is not None and respelled.any() else {})
    classes, notes, kinds = {}, [], []
    from .table import class_text

    for value, n in counts_before.iter_rows():
        m, lost = int(counts_after.get(value, 0)), int(lost_of.get(value, 0))
        # spelled as score's and check's summaries spell a class (true/false; -0.0 is the class 0.0)
        name = class_text(value + 0.0 if isinstance(value, float) else value)
        classes[name] = {"before": int(n), "after": m, "lost": lost}
        merged = int(merged_of.get(value, 0))
        if m == 0 and lost and merged == lost:  # every row respelled: the class merged into its other spelling
            continue  # (the respelling note says so)
        if m == 0 and lost:  # (a class emptied: the cleaned file is another task, a two-class one a one-class one)
            left = sum(1 for k in counts_after.values() if k)
            kinds.append((0, name))
            notes.append(
                f"class {name!r} has no rows left (all {n} {'were' if action == 'drop' else 'are'} "
                f"{'dropped' if action == 'drop' else 'relabelled'}): the cleaned file has {left} class"
                f"{'' if left == 1 else 'es'} where the input had {counts_before.height}"
                + (", and dvclean score, check and augment refuse a label with one class" if left < 2 else "")
                + "; a whole class flagged means the flags are not evidence of wrong labels there: review them "
                "(--action mark) instead"
            )
        elif m == 1 and n > 1:  # (score, check and augment refuse a class of one row: say so now, not at the next run)
            kinds.append((1, name))
            notes.append(
                f"class {name!r} is left with a single row ({n} before): dvclean score, check and augment refuse a class "
                "of one row, so the cleaned file needs that row relabelled, dropped or more rows of its class first"
            )
        if n and (lost - merged) / n >= CLASS_LOSS_NOTE and m:
            kinds.append((2, name))
            notes.append(
                f"class {name!r} lost {lost - merged} of its {n} rows ({(lost - merged) / n:.0%}) to --action {action}"
                + (f" (besides {merged} only respelled)" if merged else "") + ": so large "
                "a share of a class flagged may mean it overlaps another class, where many right labels look wrong (or "
                "that the class drew many wrong labels: a small class does under uniform noise); review the flagged "
                "rows (--action mark) before relabelling or dropping them"
            )
    if len(notes) > CLASS_NOTES_SHOWN:  # (140 classes of 2 rows: one note each would bury the summary)
        worst: dict[str, int] = {}  # each class's gravest note: emptied, left with one row, a large share lost
        for kind, owner in kinds:
            worst[owner] = min(kind, worst.get(owner, kind))
        shown: list[str] = []
        for owner in sorted(worst, key=worst.__getitem__):  # (emptied classes first; a class's notes kept together)
            if sum(1 for _, o in kinds if o in shown or o == owner) > CLASS_NOTES_SHOWN - 1:
                break
            shown.append(owner)
        counts = Counter(kind for owner, kind in worst.items() if owner not in shown)
        words = ("without a row", "left with a single row", f"losing {CLASS_LOSS_NOTE:.0%} or more of their rows")
        rest = sum(counts.values())
        notes = [*(note for owner in shown for note, (_, o) in zip(notes, kinds, strict=True) if o == owner),
                 f"{rest} other {'class has' if rest == 1 else 'classes have'} notes like these ("
                 + ", ".join(f"{k} {words[kind]}" for kind, k in sorted(counts.items()))
                 + "): the summary's classes give every class's rows before and after and its rows lost"]
    return {"classes": classes, "notes": notes}


def _respelled_rows(before: pl.Series, after: pl.Series, changed: np.ndarray) -> np.ndarray:
    """Which of ``changed`` keep their class and change its spelling only (``no`` → ``No``, ``yes `` → ``yes``:
    equal after trimming whitespace, ignoring case and Unicode form; ``1`` → ``1.0``: one number)."""
    from .diagnostics import spelling_key  # (1 and 1.0 one number, 01 a code of its own)

    out = np.zeros(len(changed), dtype=bool)
    if before.dtype not in (pl.String, pl.Categorical, pl.Enum) or not changed.any():
        return out
    rows = np.flatnonzero(changed)
    for r, (old, new) in zip(rows.tolist(), _pairs(before, after, rows), strict=True):
        out[r] = old is not None and new is not None and old != new and spelling_key(old) == spelling_key(new)
    return out


def _pairs(before: pl.Series, after: pl.Series, rows: np.ndarray) -> list[tuple[Any, Any]]:
    """``(before, after)`` of each of ``rows``, as text."""
    idx = pl.Series(rows)
    return list(zip(before.cast(pl.String).gather(idx).to_list(), after.cast(pl.String).gather(idx).to_list(),
                    strict=True))


def _respellings(before: pl.Series, after: pl.Series, changed: np.ndarray,
                 respelled: np.ndarray | None = None) -> dict[tuple[str, str], int]:
    """The relabels among ``changed`` that only respell their class (``respelled``, else :func:`_respelled_rows`),
    counted by (old, new) spelling, most first.

    >>> _respellings(pl.Series(["no", "No", "yes", "1"]), pl.Series(["No", "No", "no", "1.0"]), np.array([1, 0, 1, 1], bool))
    {('no', 'No'): 1, ('1', '1.0'): 1}
    """
    mask = _respelled_rows(before, after, changed) if respelled is None else respelled
    counts = Counter(_pairs(before, after, np.flatnonzero(mask)))
    return dict(counts.most_common())


def _stale_marks_note(frame: pl.DataFrame, label: str, action: str) -> str | None:
    """A note when ``relabel``/``drop`` writes the marks of an earlier ``--action mark`` run unchanged: they name the
    rows flagged then, not now (the rows relabelled now are among them)."""
    if ISSUE_COLUMN not in frame.columns or label == ISSUE_COLUMN or not is_marker_column(col := frame[ISSUE_COLUMN]):
        return None  # (a column of the user's of that name holds something else: not marks)
    marked = int(col.cast(pl.String).is_in(list(ISSUE_VALUES)).sum())
    if not marked:
        return None
    return (f"column {ISSUE_COLUMN!r} holds an earlier `dvclean fix --action mark` run's marks ({marked} "
            f"row{'s' if marked != 1 else ''}); --action {action} writes it as it was, so it does not say which rows "
            "are flagged now: run --action mark on the cleaned file to mark them afresh, or remove that column")


def _check_issue_column(frame: pl.DataFrame, label: str) -> None:
    """Refuse to overwrite a ``dvclean_issue`` column that holds anything but an earlier run's marks."""
    if ISSUE_COLUMN not in frame.columns:
        return
    if label == ISSUE_COLUMN:
        raise DataValidationError(
            f"the label column is named {ISSUE_COLUMN!r}, the column --action mark writes its marks to; rename the "
            "label column, or use --action drop or relabel"
        )
    col = frame.get_column(ISSUE_COLUMN)
    text = col.cast(pl.String, strict=False) if col.dtype != pl.String else col
    foreign = (col.is_not_null() & ~text.fill_null("").is_in(["", *ISSUE_VALUES])).to_numpy()
    if foreign.any():
        row = int(np.flatnonzero(foreign)[0])
        raise DataValidationError(
            f"the data already has a column {ISSUE_COLUMN!r} that --action mark would overwrite, and it holds other "
            f"values than an earlier run's marks ({str(col[row])[:40]!r} at row {row}); rename that column, or use "
            "--action drop or relabel"
        )


def text_edits(frame: pl.DataFrame, scores: ScoreResult, config: FixConfig, text: CsvText) -> TextEdits:
    """What ``config.action`` does to the input's CSV text (see :func:`dvclean.io.render_csv_text`).

    ``frame`` is the table as read from ``text`` (all its columns). A new label is
    written as the input writes that class (its first row holding it).
    """
    flagged, relabel, new_label = _decide(frame, scores, config)
    header = [c.strip() for c in text.header_fields()]
    if config.action == "drop":
        return TextEdits(rows=np.flatnonzero(~flagged))
    if config.action == "relabel":
        assert new_label is not None
        rows = np.flatnonzero(relabel)
        pos = header.index(scores.table.label)
        values = pl.DataFrame([new_label.gather(rows)])
        cells = texts_like_input(values, frame, text)
        return TextEdits(replace={int(i): {pos: cell[pos] or ""} for i, cell in zip(rows, cells, strict=True)})
    issue = "outlying target" if scores.table.task == "regression" else "mislabeled"
    marks = [issue if f else None for f in flagged]
    if ISSUE_COLUMN in header:  # the input has one already: overwrite it, as the typed output does
        pos = header.index(ISSUE_COLUMN)
        return TextEdits(replace={i: {pos: m or ""} for i, m in enumerate(marks)})
    return TextEdits(extra=((ISSUE_COLUMN, marks),))


def json_edits(frame: pl.DataFrame, scores: ScoreResult, config: FixConfig, text: JsonText) -> JsonEdits:
    """What ``config.action`` does to the input's JSON records (see :func:`dvclean.io.render_json_text`).

    A new label is written as most of the input's records holding that class write it (``0``, not the one ``"0"``).
    """
    flagged, relabel, new_label = _decide(frame, scores, config)
    if config.action == "drop":
        return JsonEdits(rows=np.flatnonzero(~flagged))
    if config.action == "relabel":
        assert new_label is not None
        label = scores.table.label
        spelled = record_spellings(frame.get_column(label), text, most_common=True)
        rows = np.flatnonzero(relabel).tolist()
        news = new_label.gather(rows).to_list()
        return JsonEdits(assign={i: {label: spelled.get(v, json_scalar(v))} for i, v in zip(rows, news, strict=True)})
    issue = "outlying target" if scores.table.task == "regression" else "mislabeled"
    return JsonEdits(assign={i: {ISSUE_COLUMN: issue if f else None} for i, f in enumerate(flagged)})


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _refuse_noise(scores: ScoreResult, config: FixConfig) -> None:
    """Refuse to relabel or drop rows on flags that are noise: the features do not predict the labels
    (:func:`dvclean.pipeline.labels_unpredicted`), unless ``config.force``. (With unpredictable labels the
    pooled probabilities are about the class shares, so on imbalanced classes nearly every minority row is
    flagged, and ``relabel`` would turn it into the majority class.)"""
    from .pipeline import (
        _transform_advice,
        labels_unpredicted,
        measured_label_predictions,
        measured_target_predictions,
        normal_outlying_share,
        targets_unpredicted,
    )

    p = scores.summary["flags"].get("label_predictability")
    q = scores.summary["flags"].get("target_predictability")
    flagged = int(scores.frame.get_column("is_mislabeled").sum())
    if config.action == "mark" or config.force or not flagged:
        return
    name = scores.summary["input"].get("path") or "the data"
    if targets_unpredicted(q):
        raise DataValidationError(
            f"{name}: refusing to {config.action} {flagged} row{'s' if flagged != 1 else ''} flagged as outlying "
            "targets: the features are not "
            f"shown to predict the target ({measured_target_predictions(q)}), so the flags are only its extreme "
            "values; check --label and the "
            f"feature columns, use --action mark to mark the rows without changing any, or pass --force to "
            f"{config.action} them anyway"
        )
    if scores.summary["flags"].get("skewed_target") and config.action == "drop":
        # (the advice of the score's note, which reads the targets: the logarithm of a positive target, the non-zero
        # rows of one with a point mass at zero, the count of negative targets that rule out the logarithm)
        raise DataValidationError(
            f"{name}: refusing to drop {flagged} row{'s' if flagged != 1 else ''} flagged as outlying targets: most "
            "of them lie on one side of a skewed target's predictions, where a long tail of correct values is flagged "
            "too; use --action mark to review the rows, or pass --force to drop them anyway; to judge them where the "
            f"spread is even, value {_transform_advice(scores.data)[1]}"
        )
    if scores.summary["flags"].get("many_outlying") and config.action == "drop":
        n = int(scores.summary["rows"]["valued"]) or 1
        normal = normal_outlying_share(scores.config.mislabel.outlier_z)
        raise DataValidationError(
            f"{name}: refusing to drop {flagged} row{'s' if flagged != 1 else ''} ({flagged / n:.1%}) flagged as "
            f"outlying targets: errors of a normal spread put 1 row in {1 / normal:,.0f} beyond the cutoff, and so "
            "many flags more likely mark where the prediction fails (a target whose spread grows with it, a curve the "
            "models miss) than wrong targets; use --action mark to review a sample "
            f"of them, or pass --force to drop them anyway; to judge them where the spread is even, value "
            f"{_transform_advice(scores.data)[1]}"
        )
    if not labels_unpredicted(p):
        return
    raise DataValidationError(
        f"{name}: refusing to {config.action} {flagged} flagged row{'s' if flagged != 1 else ''}: the features are not shown to predict the labels "
        f"({measured_label_predictions(p)}, 0.5 = chance; p = {p['p_value']:.2g}; these "
        f"class sizes need {p['auroc_needed']:.3f}), so the flags may be noise; "
        "check --label and the feature columns, use --action mark to mark the rows without changing any, "
        f"or pass --force to {config.action} them anyway"
    )


def _refuse_rare(scores: ScoreResult, config: FixConfig) -> None:
    """Refuse to relabel or drop rows flagged mislabeled in a rare class mostly flagged (the summary's
    ``flags.rare_classes``, :func:`dvclean.pipeline.rare_classes`), unless ``config.force``: such a class's rows
    look wrong whether or not they are (5 correct rows of 3,000, shifted by 2 standard deviations: 3 flagged
    mislabeled, and relabel turned them into the majority class), and relabel or drop would erase the class."""
    rare = scores.summary["flags"].get("rare_classes") or {}
    acted = {c: k for c, k in rare.items() if k.get("mislabeled")}
    if config.action == "mark" or config.force or not acted:
        return
    name = scores.summary["input"].get("path") or "the data"
    flagged = sum(k["mislabeled"] for k in acted.values())
    parts = "; ".join(f"{c!r}: {k['mislabeled'] + k.get('hard', 0)} of its {k['rows']} rows flagged, "
                      f"{k['mislabeled']} mislabeled and {k.get('hard', 0)} hard"
                      for c, k in list(acted.items())[:5])
    more = f" and {len(acted) - 5} more classes" if len(acted) > 5 else ""
    raise DataValidationError(
        f"{name}: refusing to {config.action} {flagged} flagged row{'s' if flagged != 1 else ''} of "
        f"{'rare classes' if len(acted) > 1 else 'a rare class'} ({parts}{more}): a row of a rare class has few "
        "neighbours of its own class and the models predict that class poorly, so its label looks unlikely whether or "
        "not it is right; check these rows by hand (--action mark marks them without changing any), or pass --force "
        f"to {config.action} them anyway"
    )


#: ``relabel`` or ``drop`` changing more than this share of the labelled rows is refused without ``force``: flags on
#: most of the labels say that the labels, the features or the flag rule do not fit this data, not that the labels
#: are wrong (the label-noise benchmark's noisiest cells flip 20%).
ERASE_SHARE = 0.5


def _refuse_erasure(scores: ScoreResult, config: FixConfig, summary: dict[str, Any]) -> None:
    """Refuse to relabel or drop when the action would leave a class without rows, or change more than
    :data:`ERASE_SHARE` of the labelled rows (``summary``: :func:`apply_fix`'s), unless ``config.force``: a whole
    class flagged, or most labels, is no evidence of wrong labels there (140 classes of 2-3 rows: a non-default
    flag rule flagged 284 of 290 rows, and drop erased 134 classes)."""
    if config.action == "mark" or config.force or scores.table.task == "regression":
        return
    classes = summary.get("classes") or {}
    emptied = {c: k for c, k in classes.items() if k["before"] and not k["after"] and k["lost"]}
    n = sum(k["before"] for k in classes.values())
    changed = int(summary.get("dropped", summary.get("relabeled", 0)) or 0)
    most = bool(n) and changed > ERASE_SHARE * n
    if not (emptied or most):
        return
    name = scores.summary["input"].get("path") or "the data"
    verb = "dropped" if config.action == "drop" else "relabelled"
    noise = scores.config.mislabel.expected_noise
    why = []
    if emptied:
        shown = ", ".join(f"{c!r} (all {k['before']} rows)" for c, k in list(emptied.items())[:5])
        more = f" and {len(emptied) - 5} more classes" if len(emptied) > 5 else ""
        why.append(f"it would leave {len(emptied)} class{'es' if len(emptied) > 1 else ''} without a row ({shown}{more})")
    if most:
        why.append(f"{changed} of the {n} labelled rows ({changed / n:.0%}) would be {verb}, more than half")
    because = ([("a whole class flagged is no evidence of wrong labels: a class of a few rows gives the models "
                 "little to learn it from, so its right labels look wrong too")] if emptied else []) + (
        ["most labels flagged means the features, the label column or the flag rule do not fit this data, not that "
         "most labels are wrong" + (f" (--expected-noise {noise:g} asks for that many)" if noise and noise > ERASE_SHARE
                                    else "")] if most else [])
    raise DataValidationError(
        f"{name}: refusing to {config.action} {changed} flagged row{'s' if changed != 1 else ''}: {' and '.join(why)}; "
        f"{'; '.join(because)}; check --label and the flagged rows (--action mark marks them without changing any), "
        f"or pass --force to {config.action} them anyway"
    )


def _refuse_spelling(scores: ScoreResult, config: FixConfig) -> None:
    """Refuse to relabel or drop rows flagged mislabeled when some are suggested a respelling of their own label
    (classes that differ only in case, whitespace, Unicode form or the way a number is written:
    :func:`dvclean.diagnostics.spelling_key`), unless ``config.force``: each spelling is a class of its own, so a
    ``'yes '`` among ``'yes'`` rows looks mislabeled for its spelling alone (breast-cancer's labels written seven
    ways: 200 of 500 rows flagged, 177 of them suggested a respelling, and ``drop`` removed all 200). The labels are
    cleaned first; the flags then measure the labels, not their spelling."""
    from .diagnostics import spelling_key

    if config.action == "mark" or config.force or "suggested_label" not in scores.frame.columns:
        return
    flagged = scores.frame.filter(pl.col("is_mislabeled").fill_null(False))
    pairs: dict[tuple[str, str], int] = {}
    for given, other in zip(flagged.get_column("label").cast(pl.String).to_list(),
                            flagged.get_column("suggested_label").cast(pl.String).to_list(), strict=True):
        if given is not None and other is not None and given != other and spelling_key(given) == spelling_key(other):
            pairs[(given, other)] = pairs.get((given, other), 0) + 1
    if not pairs:
        return
    name = scores.summary["input"].get("path") or "the data"
    respelt = sum(pairs.values())
    from .report.formats import quoted_text

    shown = "; ".join(f"{quoted_text(g)} -> {quoted_text(o)}: {k}"
                      for (g, o), k in sorted(pairs.items(), key=lambda kv: -kv[1])[:4])
    more = f" and {len(pairs) - 4} more" if len(pairs) > 4 else ""
    raise DataValidationError(
        f"{name}: refusing to {config.action} {flagged.height} flagged row{'s' if flagged.height != 1 else ''}: "
        f"{respelt} of them {'is' if respelt == 1 else 'are'} suggested a respelling of {'its' if respelt == 1 else 'their'} "
        f"own label ({shown}{more}), so the classes differ only in how they are written (case, whitespace, Unicode "
        "form, the way a number is written) and the flags measure the spelling, not the labels; write each class one way and score "
        "again, use --action mark to review the rows, or pass --force to "
        f"{config.action} them anyway"
    )


def _check_configs(config: Any, score_config: Any) -> None:
    """Refuse a ``config``/``score_config`` of the wrong type (``TypeError``): the two are easily swapped."""
    for name, value, cls, what, other, other_cls, example in (
        ("config", config, FixConfig, "the action and the relabel threshold", "score_config", ScoreConfig,
         "FixConfig(action='relabel')"),
        ("score_config", score_config, ScoreConfig, "how rows are valued and flagged", "config", FixConfig,
         "ScoreConfig(methods=('knn',))"),
    ):
        if value is None or isinstance(value, cls):
            continue
        if isinstance(value, other_cls):
            hint = f"pass the {other_cls.__name__} as {other}="
        else:
            hint = f"build one, e.g. {name}={build_hint(cls, value) if isinstance(value, dict) else example}"
        raise TypeError(f"fix(): {name}= takes a {cls.__name__} ({what}), got {describe_type(value)}; {hint}")


@one_at_a_time
def fix(
    source: DataSource,
    *,
    label: str | None = None,
    id_column: str | None = None,
    drop: tuple[str, ...] = (),
    config: FixConfig | None = None,
    score_config: ScoreConfig | None = None,
    read_options: dict[str, Any] | None = None,
    progress: Any = None,
    valid: DataSource | None = None,
) -> FixResult:
    """Score a table and return a cleaned copy.

    Parameters
    ----------
    source : path, "-", polars.DataFrame, polars.LazyFrame or pandas.DataFrame
        As for :func:`dvclean.score` (:data:`dvclean.io.DataSource`).
    label, id_column, drop, read_options, progress, valid
        As for :func:`dvclean.score` (``valid``: value against this validation file, so
        the flags are those of ``dvclean score --valid``).
    config : FixConfig, optional
        The action and the relabel threshold.
    score_config : ScoreConfig, optional
        How rows are valued and flagged.

    Returns
    -------
    FixResult

    Raises
    ------
    TypeError
        ``config`` is not a :class:`~dvclean.config.FixConfig` or ``score_config`` not a
        :class:`~dvclean.config.ScoreConfig` (say, the two swapped).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2, 0.15], "y": [0, 0, 0, 0, 1, 1, 1, 1]})
    >>> r = fix(df, label="y", config=FixConfig(action="mark"))
    >>> r.frame.columns
    ['x', 'y', 'dvclean_issue']
    """
    _check_configs(config, score_config)
    label, id_column, drop = _check_arguments(score_config or ScoreConfig(), label, id_column, drop, read_options,
                                              progress, func="fix")
    config = FixConfig() if config is None else config
    if config.action == "relabel" and score_config is not None and score_config.task == "regression":
        raise ConfigError("--action relabel is for class labels; a regression target takes --action drop or --action mark")
    a_file = isinstance(source, (str, os.PathLike))
    if not type(source).__module__.startswith("pandas"):  # (a pandas frame goes to score as given: converted once
        source = as_source(source)                        # there, and a named index valued as a feature noted)
    options = dict(read_options or {})
    piped = read_once(source, options) if a_file else None  # stdin's or a pipe's bytes, kept: the text is read twice
    # (an auto-detected regression target is refused for relabel when the table is read, not after the valuation)
    with table_check(lambda table: _refuse_relabel_of_targets(table, config)):
        scores = score(source, label=label, id_column=id_column, drop=drop, valid=valid, config=score_config,
                       read_options=options, progress=progress)
    frame = scores.table.frame
    info = scores.table.source
    text = None
    if a_file and info is not None:
        if drop:  # the valuation never parsed the dropped columns; the output keeps them
            if piped is not None:
                options["stdin"] = io.BytesIO(piped)
            frame, full = read_frame(source, **options, as_text=info.text_columns)  # typed as the valuation read it
            if full.sha256 != info.sha256 or frame.height != scores.table.n_rows:
                raise InputError(f"{info.path}: the file changed while dvclean was working on it; run again once it is complete")
            # the label as the valuation typed it (a text column of padded numbers, " 1", was valued as numbers):
            # the suggested labels are of that type, so the output is the same with --drop as without
            frame = frame.with_columns(scores.table.frame.get_column(scores.table.label))
        text = read_csv_text(piped if piped is not None else source, info,
                             encoding=options.get("encoding"), rows=frame.height)
        if text is None:
            text = read_json_text(piped if piped is not None else source, info, rows=frame.height)
    _refuse_noise(scores, config)
    _refuse_rare(scores, config)
    _refuse_spelling(scores, config)
    fixed, summary = apply_fix(frame, scores, config)
    _refuse_erasure(scores, config, summary)
    if scores.table.label_read_as is not None:  # (128-bit codes valued as text: written back as the file typed them)
        fixed = fixed.with_columns(pl.col(scores.table.label).cast(scores.table.label_read_as))
    edits: TextEdits | JsonEdits | None = None
    if isinstance(text, CsvText):
        edits = text_edits(frame, scores, config, text)
    elif isinstance(text, JsonText):
        edits = json_edits(frame, scores, config, text)
    summary = {
        "schema_version": FIX_SCHEMA_VERSION,
        "dvclean_version": __version__,
        "command": "fix",
        "input": scores.summary["input"],
        "label": scores.table.label,
        "rule": scores.summary["flags"].get("rule"),
        "force": config.force,
        **summary,
        "seed": scores.config.seed,
    }
    kept = np.flatnonzero(~_decide(frame, scores, config)[0]) if config.action == "drop" else None
    return FixResult(frame=fixed, summary=summary, scores=scores, text=text, edits=edits, kept=kept)


def default_fixed_path(source: str | os.PathLike[str], fmt: str | None = None) -> Path:
    """``<input stem>.fixed.<ext>`` next to the input (:func:`dvclean.io.derived_output_path`).

    ``fmt`` is the output format (:data:`dvclean.io.OUTPUT_FORMATS`); None: the input's.

    Examples
    --------
    >>> default_fixed_path("d/data.csv.gz", "csv").as_posix(), default_fixed_path("d/x.feather", "ipc").as_posix()
    ('d/data.fixed.csv', 'd/x.fixed.feather')
    """
    return derived_output_path(source, "fixed", fmt)


def write_fixed(result: FixResult, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
    """Write the cleaned table atomically (CSV, Parquet, NDJSON, JSON or Arrow IPC, from ``format`` or the suffix).

    A CSV output of a CSV input is written from the input's text (:attr:`FixResult.text`):
    unchanged rows exactly as they were, with the input's delimiter unless the output's
    suffix names another (``.tsv``, ``.psv``). A JSON or NDJSON output of a JSON or NDJSON
    input is written from the input's records (numbers as spelled, keys in their order).
    Other outputs are written from the typed frame (its dtypes kept, but a CSV's zero-padded integer codes such as ``00104`` as text; a Parquet or Arrow output keeps a Parquet or Arrow input's schema
    metadata, such as pandas' index).
    """
    if not isinstance(result, FixResult):
        raise TypeError(
            f"write_fixed() needs the FixResult of dvclean.fix.fix(...), got {type(result).__name__}; pass the result "
            "itself (a ScoreResult is written with dvclean.write_scores)"
        )
    refuse_input_path(path, result.scores.table, result.scores.read_from)
    path = Path(expand_home(path))
    fmt = output_format_for(path, format)
    text = result.text
    if fmt == "csv" and isinstance(text, CsvText):
        return write_csv_text(text, path, result.edits, separator=output_separator(path, text.separator))
    if fmt in ("json", "ndjson") and isinstance(text, JsonText):
        check_writable(result.frame.schema, path, fmt)
        return write_json_text(text, path, result.edits, format=fmt)
    info = result.scores.table.source
    frame, metadata = result.frame, dict(info.schema_metadata) if info else None
    if isinstance(text, CsvText):  # (a typed output of a CSV: its zero-padded codes as the file writes them)
        frame = padded_integer_texts(frame, text)
    if metadata and result.kept is not None and fmt in ("parquet", "ipc"):
        frame, metadata = _pandas_index_of_kept_rows(frame, metadata, result.kept)
    return write_table(frame, path, format=fmt, separator=output_separator(path, info.separator if info else None),
                       schema_metadata=metadata, dictionaries=info.dictionaries if info else ())


def _pandas_index_of_kept_rows(
    frame: pl.DataFrame, metadata: dict[bytes, bytes], kept: np.ndarray
) -> tuple[pl.DataFrame, dict[bytes, bytes]]:
    """A pandas ``RangeIndex`` that the schema metadata describes (``start``/``step``, no column) numbers the input's
    rows: after ``drop`` it would number the kept rows anew, so it is written as a column of the kept rows' labels,
    as pandas itself stores an index that is not a range (``__index_level_0__``). Other metadata is kept as it is."""
    import json

    try:
        doc = json.loads(metadata.get(b"pandas", b"null"))
        (index,) = doc["index_columns"]
        start, step = int(index["start"]), int(index["step"])
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # no pandas metadata, or an index as columns
        return frame, metadata
    if index.get("kind") != "range" or "__index_level_0__" in frame.columns:
        return frame, metadata
    frame = frame.with_columns(pl.Series("__index_level_0__", start + step * kept.astype(np.int64), dtype=pl.Int64))
    doc["index_columns"] = ["__index_level_0__"]
    doc["columns"] = [*doc.get("columns", []), {"name": index.get("name"), "field_name": "__index_level_0__",
                                                "pandas_type": "int64", "numpy_type": "int64", "metadata": None}]
    return frame, {**metadata, b"pandas": json.dumps(doc).encode("utf-8")}
