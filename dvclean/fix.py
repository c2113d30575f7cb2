"""``dvclean fix``: write a cleaned copy of a table from the mislabel flags.

:func:`fix` scores the table (:func:`dvclean.score`) and applies one action to the
rows flagged ``is_mislabeled``:

* ``relabel``: set the label to ``suggested_label`` where the flag rule's probability
  of the suggested label is at least ``FixConfig.min_confidence``; flagged rows below it are left unchanged and counted;
* ``drop``: remove the flagged rows;
* ``mark``: add a ``dvclean_issue`` column (``"mislabeled"``, null elsewhere) and leave every row as it is.

Regression targets: the flagged rows are outlying targets (:mod:`dvclean.flags`).
``drop`` and ``mark`` (``dvclean_issue = "outlying target"``) work as above;
``relabel`` is refused, because replacing a measured target by a model's guess is
imputation, not a label fix: the scores' ``predicted_value`` column holds each row's
out-of-sample prediction for whoever wants to impute deliberately.

The input is never modified: :func:`write_fixed` writes atomically to another path
(:func:`dvclean.io.write_table`), and the CLI refuses an output path that is the input.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .config import FixConfig, ScoreConfig
from .errors import ConfigError
from .io import split_name, write_table
from .pipeline import ScoreResult, score

__all__ = ["FixResult", "fix", "apply_fix", "write_fixed", "default_fixed_path", "ISSUE_COLUMN"]

#: Column added by ``--action mark``.
ISSUE_COLUMN = "dvclean_issue"


@dataclass(frozen=True)
class FixResult:
    """A cleaned table and what changed.

    Attributes
    ----------
    frame : polars.DataFrame
        The cleaned table (same columns as the input; ``mark`` adds ``dvclean_issue``).
    summary : dict
        JSON-able: action, rows in / out, flagged, changed, relabeled, dropped, marked,
        skipped (flagged but below ``min_confidence``) and the changed row ids (first 100).
    scores : ScoreResult
    """

    frame: pl.DataFrame
    summary: dict[str, Any]
    scores: ScoreResult


def apply_fix(frame: pl.DataFrame, scores: ScoreResult, config: FixConfig) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Apply ``config.action`` to ``frame`` (the frame that ``scores`` was computed on)."""
    out = scores.frame
    label = scores.table.label
    regression = scores.table.task == "regression"
    if regression and config.action == "relabel":
        raise ConfigError(
            f"--action relabel replaces a wrong class by the suggested one, but {label!r} is a regression target "
            "(its flagged rows are outlying targets): use --action drop or --action mark; the scores' "
            "predicted_value column holds each row's out-of-sample prediction"
        )
    flagged = out.get_column("is_mislabeled").fill_null(False).to_numpy()
    ids = np.flatnonzero(flagged)
    summary: dict[str, Any] = {
        "action": config.action,
        "rows_in": frame.height,
        "flagged": int(flagged.sum()),
        "min_confidence": config.min_confidence,
        "task": scores.table.task,
    }
    changed = np.zeros(frame.height, dtype=bool)
    if config.action == "relabel":
        suggested = out.get_column("suggested_label")
        if "suggested_label_prob" not in out.columns:  # scores without label probabilities
            confident = flagged.copy()
        else:
            prob = out.get_column("suggested_label_prob").fill_null(0.0).to_numpy()
            confident = flagged & (prob >= config.min_confidence)
        changed = confident & suggested.is_not_null().to_numpy()
        col = frame.get_column(label)
        replacement = suggested.cast(col.dtype, strict=False)
        fixed = frame.with_columns(col.zip_with(pl.Series(~changed), replacement).alias(label))
        summary.update(relabeled=int(changed.sum()), skipped=int((flagged & ~changed).sum()))
    elif config.action == "drop":
        fixed = frame.filter(pl.lit(pl.Series(~flagged)))
        changed = flagged
        summary.update(dropped=int(flagged.sum()))
    else:
        issue = "outlying target" if regression else "mislabeled"
        fixed = frame.with_columns(pl.Series(ISSUE_COLUMN, [issue if f else None for f in flagged], dtype=pl.String))
        summary.update(marked=int(flagged.sum()))
    row_ids = scores.table.row_ids().to_numpy()
    summary.update(
        rows_out=fixed.height,
        changed=int(changed.sum()) if config.action != "mark" else 0,
        changed_rows=[_plain(v) for v in row_ids[np.flatnonzero(changed)][:100]] if config.action != "mark" else [],
        flagged_rows=[_plain(v) for v in row_ids[ids][:100]],
    )
    return fixed, summary


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def fix(
    source: str | os.PathLike[str] | pl.DataFrame,
    *,
    label: str | None = None,
    id_column: str | None = None,
    drop: tuple[str, ...] = (),
    config: FixConfig | None = None,
    score_config: ScoreConfig | None = None,
    read_options: dict[str, Any] | None = None,
    progress: Any = None,
) -> FixResult:
    """Score a table and return a cleaned copy.

    Parameters
    ----------
    source : path, "-" or polars.DataFrame
    label, id_column, drop, read_options, progress
        As for :func:`dvclean.score`.
    config : FixConfig, optional
        The action and the relabel threshold.
    score_config : ScoreConfig, optional
        How rows are valued and flagged.

    Returns
    -------
    FixResult

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2, 0.15], "y": [0, 0, 0, 0, 1, 1, 1, 1]})
    >>> r = fix(df, label="y", config=FixConfig(action="mark"))
    >>> r.frame.columns
    ['x', 'y', 'dvclean_issue']
    """
    config = config or FixConfig()
    if config.action == "relabel" and score_config is not None and score_config.task == "regression":
        raise ConfigError("--action relabel is for class labels; a regression target takes --action drop or --action mark")
    scores = score(source, label=label, id_column=id_column, drop=drop, config=score_config,
                   read_options=read_options, progress=progress)
    frame = scores.table.frame
    fixed, summary = apply_fix(frame, scores, config)
    summary = {
        "command": "fix",
        "input": scores.summary["input"],
        "label": scores.table.label,
        "rule": scores.summary["flags"].get("rule"),
        **summary,
        "seed": scores.config.seed,
    }
    return FixResult(frame=fixed, summary=summary, scores=scores)


def default_fixed_path(source: str | os.PathLike[str], fmt: str) -> Path:
    """``<input stem>.fixed.<fmt>`` next to the input (compression suffixes removed)."""
    stem, _ = split_name(source)
    return Path(source).with_name(f"{stem}.fixed.{fmt}")


def write_fixed(result: FixResult, path: str | os.PathLike[str], *, format: str | None = None) -> Path:
    """Write the cleaned table atomically (CSV, Parquet or NDJSON, from ``format`` or the suffix)."""
    return write_table(result.frame, path, format=format)
