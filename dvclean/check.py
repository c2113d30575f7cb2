"""The data-quality gate behind ``dvclean check``: pure functions over a score result.

:func:`evaluate_check` turns a :class:`~dvclean.pipeline.ScoreResult` and a
:class:`CheckPolicy` (thresholds) into a :class:`CheckOutcome`: one
:class:`CheckLine` per check with status ``pass``, ``warn`` or ``fail``. A failed
check is a *result*, not an exception; the CLI maps it to exit code 1. The JSON document is
:meth:`CheckOutcome.to_dict`; the other renderers (text, GitHub, Markdown, JUnit XML) live in
:mod:`dvclean.report.formats`.

Checks (each only when a threshold is set):

* ``mislabeled`` / ``hard``: rows flagged ``is_mislabeled`` / ``is_hard``;
* ``mislabeled[class=C]``: flagged rows among the rows labelled C (``--max-mislabeled-per-class``);
* ``conflicting_duplicates``: rows whose feature values equal another row's but
  whose label differs;
* ``new_mislabeled`` / ``new_hard``: rows flagged now but not in a baseline
  (an earlier ``dvclean check --json`` document), matched by row id when the run
  has an ``--id`` column, else by a hash of the row's content.

Row identity without ``--id``: a row's key hashes the label and the feature
columns that vary (:func:`identity_columns`: not the id, not ``--drop``-ped or
constant columns), and the document records those columns (``flagged.hash_columns``)
and a content-defined sample of all its rows' keys (``flagged.sample``, the
:data:`SAMPLE_SIZE` smallest). A later run hashes its rows over the *baseline's*
columns, so added columns (constant, dropped, or real features) keep the rows
matched; when one of those columns is gone, nothing can be matched and a note
says so. A note also says when less than :data:`LOW_MATCH_FRACTION` of the
baseline's sampled rows are found in the data. A baseline of another label or
task is refused (:class:`~dvclean.errors.ConfigError`). Baselines written before
``hash_columns`` existed are matched as then, by every column but the id.

A threshold is a count of rows (``20``) or a percentage (``"2%"``) of the valued
rows (of the class for per-class checks). A check fails when the count is
*greater* than the threshold.

Regression targets: ``is_mislabeled`` flags outlying targets (:mod:`dvclean.flags`),
so ``--max-mislabeled`` / ``--max-new-mislabeled`` limit the outlying targets and
their checks are named ``outlying_targets`` / ``new_outlying_targets``; there are no
per-class checks, so a per-class threshold is refused (a note when it came from a
configuration file, see :func:`check_policy_for_task`). The JSON document carries ``task``.
A gate whose thresholds end up checking nothing says so in a note.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import fractions
import hashlib
import heapq
import math
import numbers
import os
import re
import shlex
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from ._version import __version__
from .config import MislabelConfig, build_hint, check_param, describe_type, plain_numbers
from .errors import ConfigError, InputError
from .io import json_scalar
from .report.formats import MAX_ANNOTATIONS, label_text

if TYPE_CHECKING:  # pragma: no cover
    from .pipeline import ScoreResult

__all__ = [
    "CHECK_SCHEMA_VERSION",
    "Baseline",
    "CheckLine",
    "CheckOutcome",
    "CheckPolicy",
    "LOW_MATCH_FRACTION",
    "SAMPLE_SIZE",
    "Threshold",
    "check_policy_for_task",
    "conflicting_duplicate_rows",
    "csv_line_numbers",
    "evaluate_check",
    "identity_columns",
    "load_baseline",
    "mislabel_evidence",
    "parse_threshold",
    "row_hashes",
]

#: Version of the ``dvclean check --json`` document (``dvclean/schemas/check.schema.json``).
CHECK_SCHEMA_VERSION = 1
#: Rows listed with their details in the outcome (and the report).
TOP_ROWS = 50
STATUSES = ("pass", "warn", "fail")
#: Rows of a check document's content-defined sample (``flagged.sample``): the keys with the smallest digests,
#: so the same rows are sampled whatever the row order, and a later run can tell how many it still has.
SAMPLE_SIZE = 256
#: A note says the baseline hardly matches when less than this fraction of its sampled rows is found in the data.
#: Between a baseline and the next run of the same data set rows are appended, edited or fixed a few at a time, so
#: far more than half of them are found; a broken row identity (another data set, a hashed column gone or re-encoded)
#: finds almost none. Half leaves a wide margin on both sides.
LOW_MATCH_FRACTION = 0.5
_THRESHOLD_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(%?)\s*$")  # ASCII digits, as the JSON schema has them


@dataclass(frozen=True)
class Threshold:
    """A limit on a number of rows: a count (``kind="count"``) or a fraction of a total.

    Attributes
    ----------
    kind : {"count", "fraction"}
    value : float
        Rows for a count, a fraction in [0, 1] for a percentage.
    text : str
        As the user wrote it (``"2%"``, ``"20"``).
    """

    kind: str
    value: float
    text: str

    def limit(self, total: int) -> float:
        """Largest allowed number of rows out of ``total``: a percentage's share, rounded down to whole rows
        (0.7% of 2000 is 14 rows, not the 13.999999999999998 of the float product).

        >>> Threshold("fraction", 0.007, "0.7%").limit(2000), Threshold("count", 3.0, "3").limit(10)
        (14.0, 3.0)
        """
        return self.value if self.kind == "count" else float(math.floor(self.value * total + 1e-9))

    def exceeded(self, count: int, total: int) -> bool:
        """True when ``count`` rows out of ``total`` is over the threshold."""
        return count > self.limit(total)

    def describe(self, total: int) -> str:
        """``2% (40 of 2000)`` or ``20 rows`` (a count says so: ``--max-mislabeled 2`` is two rows, not 2%)."""
        if self.kind == "count":
            return f"{self.text} {'row' if self.value == 1 else 'rows'}"
        return f"{self.text} ({int(self.limit(total))} of {total})"


def _share_text(count: int, total: int, thresholds: Iterable[Threshold | None]) -> str:
    """``count / total`` as a percentage with two decimals, or with as many more as it takes to differ from each
    percentage threshold that is not exactly the same share (``6.854%`` beside ``6.85%``; ``1.00%`` beside ``1%``,
    which it equals)."""
    share = fractions.Fraction(count, total) if total else fractions.Fraction(0)
    pcts = [fractions.Fraction(t.text.rstrip("%")) for t in thresholds if t is not None and t.kind == "fraction"]
    pcts = [p for p in pcts if p != share * 100]
    digits = 2
    while digits < 20 and any(f"{float(share * 100):.{digits}f}" == f"{float(p):.{digits}f}" for p in pcts):
        digits += 1
    return f"{float(share * 100):.{digits}f}%"


def parse_threshold(value: str | int | None, name: str, *, source: str | None = None) -> Threshold | None:
    """Parse ``"20"`` (rows) or ``"2%"`` / ``"2.5%"`` (percent); ``None`` stays ``None``.

    ``source``: the configuration file (and table) the value comes from, e.g.
    ``dvclean.toml [check]``; an error then names it and suggests the TOML spelling
    (``max-mislabeled = "2%"``: a percentage is a quoted string there) instead of the option's.

    Examples
    --------
    >>> parse_threshold("2%", "max-mislabeled")
    Threshold(kind='fraction', value=0.02, text='2%')
    >>> parse_threshold(20, "max-mislabeled").kind
    'count'
    >>> parse_threshold(0.02, "max-mislabeled", source="dvclean.toml [check]")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dvclean.errors.ConfigError: dvclean.toml [check]: invalid value 0.02 for --max-mislabeled: ... (e.g. max-mislabeled = "2%")
    """
    if value is None:
        return None

    def bad(reason: str) -> ConfigError:
        if source is None:
            return ConfigError(f"--{name}: {reason}")
        said = str(value).strip() or repr(value)
        said = f"{said[:6]}...{said[-3:]}" if len(said) > 40 else said  # (309 digits: the reason counts them)
        return ConfigError(f"{source}: invalid value {said} for --{name}: {reason}")

    def pct(text: str) -> str:  # a percentage as the user writes it: a quoted string in TOML
        return f'{name} = "{text}"' if source is not None else text

    def rows(n: int) -> str:
        return f"{name} = {n}" if source is not None else str(n)

    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise bad(f"expected a row count such as 20 or a percentage such as 2%; got {value!r}")
    text = str(value).strip()
    m = _THRESHOLD_RE.match(text)
    if m is None:
        # a number in another spelling (.5, 5., 1e-3, 2.5e1%): say how to write it, as a 0.5 is told
        body, sign = (text[:-1].strip(), "%") if text.endswith("%") else (text, "")
        try:
            spelled = float(body) + 0.0 if body.isascii() and "_" not in body else math.nan  # (-0% -> 0%)
        except ValueError:
            spelled = math.nan
        if math.isfinite(spelled) and spelled >= 0 and (sign or spelled <= 1e15):
            if sign and spelled <= 100:
                raise bad(f"write the percentage in plain digits, as {pct(f'{spelled:g}%')}; got {value!r}")
            if not sign and spelled == 1 and not text.lstrip("+0").isdigit():  # (1., +1.0, 1e0: as 1.0 is)
                raise bad(f"{text} is ambiguous: write {rows(1)} for one row, or {pct('100%')} for every row")
            if not sign and spelled == int(spelled):
                raise bad(f"write the number of rows in plain digits, as {rows(int(spelled))}; got {value!r}")
            if not sign and spelled < 1:
                raise bad(f"{text} is not a whole number of rows; write a percentage with a % sign "
                          f"(e.g. {pct(f'{spelled * 100:g}%')})")
        if source is not None:
            raise bad(f"expected a row count such as {rows(20)} or a percentage, a quoted string, such as {pct('2%')}")
        raise bad(f"expected a row count such as 20 or a percentage such as 2%; got {value!r}")
    number, percent = float(m.group(1)), bool(m.group(2))
    if math.isinf(number):  # 309 digits or more: no float holds it (refused as `inf` is: no count of rows)
        digits = m.group(1).split(".")[0]
        shown = f"{digits[:6]}...{digits[-3:]}{'%' if percent else ''} ({len(digits)} digits)"
        if percent:
            raise bad(f"a percentage must be between 0% and 100%; got {shown}")
        raise bad(f"{shown} is too large for a row count; leave {'it' if source else f'--{name}'} out to not run the "
                  f"check, or give a number of rows such as {rows(1000000)} or a percentage such as {pct('100%')}")
    if percent:
        if number > 100:
            raise bad(f"a percentage must be between 0% and 100%; got {text}")
        return Threshold("fraction", number / 100.0, f"{m.group(1)}%")
    if number != int(number):
        quoted = " as a quoted string" if source is not None else ""
        if number < 1:  # a fraction such as 0.02, meant as 2%
            raise bad(
                f"{text} is not a whole number of rows; write a percentage{quoted} with a % sign "
                f"(e.g. {pct(f'{number * 100:g}%')})"
            )
        # above 1 it is no fraction either (x100 would be over 100%): suggest what it can mean
        either = f"{pct(m.group(1) + '%')} for a percentage, or " if number <= 100 else ""
        raise bad(f"{text} is not a whole number of rows; write {either}a whole number of rows such as "
                  f"{rows(math.floor(number))}")
    if number == 1 and "." in m.group(1):  # 1.0: one row, or the fraction 1 (every row) as --hard-frac reads it?
        raise bad(f"{text} is ambiguous: write {rows(1)} for one row, or {pct('100%')} for every row")
    whole = int(m.group(1).split(".")[0])  # as written (20.0 -> 20; a float would round 99999999999999999999)
    return Threshold("count", float(whole), str(whole))


#: (check name, flag column) of the checks that have a max/warn pair.
CHECK_NAMES = ("mislabeled", "hard", "mislabeled_per_class", "conflicting_duplicates", "new_mislabeled", "new_hard")


@dataclass(frozen=True)
class CheckPolicy:
    """Thresholds of ``dvclean check``: ``max_*`` fails the check, ``warn_*`` warns.

    Every field is ``None`` (check not run), a row count (``20``) or a
    percentage string (``"2%"``). There are no default thresholds: a gate
    checks what its configuration asks for. A ``warn_*`` threshold above its
    ``max_*`` of the same kind (both counts or both percentages) is a
    :class:`~dvclean.errors.ConfigError`: it could never warn.

    Examples
    --------
    >>> CheckPolicy(max_mislabeled="2%").threshold("max", "mislabeled").value
    0.02
    """

    max_mislabeled: str | int | None = None
    warn_mislabeled: str | int | None = None
    max_hard: str | int | None = None
    warn_hard: str | int | None = None
    max_mislabeled_per_class: str | int | None = None
    warn_mislabeled_per_class: str | int | None = None
    max_conflicting_duplicates: str | int | None = None
    warn_conflicting_duplicates: str | int | None = None
    max_new_mislabeled: str | int | None = None
    warn_new_mislabeled: str | int | None = None
    max_new_hard: str | int | None = None
    warn_new_hard: str | int | None = None
    _parsed: dict[str, Threshold | None] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        plain_numbers(self)  # a numpy integer (np.ceil(0.02 * n).astype(int)) is a row count, kept as Python's int
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            v = getattr(self, f.name)
            check_param(
                self, f.name, v,
                v is None or (isinstance(v, (str, numbers.Integral)) and not isinstance(v, (bool, np.bool_))),
                "None, a row count or a percentage string such as '2%'",
            )
            self._parsed[f.name] = parse_threshold(getattr(self, f.name), f.name.replace("_", "-"))
        for check in CHECK_NAMES:
            mx, warn = self._parsed[f"max_{check}"], self._parsed[f"warn_{check}"]
            if mx is not None and warn is not None and mx.kind == warn.kind and warn.value > mx.value:
                opt = check.replace("_", "-")
                raise ConfigError(
                    f"--warn-{opt} {warn.text} is above --max-{opt} {mx.text}: the check would fail before it "
                    f"could warn; set --warn-{opt} at or below --max-{opt}"
                )

    def threshold(self, level: str, check: str) -> Threshold | None:
        """Parsed threshold of ``level`` (``max`` or ``warn``) for ``check``."""
        return self._parsed[f"{level}_{check}"]

    @property
    def is_empty(self) -> bool:
        """No threshold is set."""
        return all(v is None for v in self._parsed.values())

    @property
    def needs_baseline(self) -> bool:
        """A ``new_*`` threshold is set."""
        return any(self._parsed[f"{lv}_new_{c}"] is not None for lv in ("max", "warn") for c in ("mislabeled", "hard"))

    def to_dict(self) -> dict[str, str | None]:
        """Thresholds as written (JSON-able)."""
        return {k: (None if v is None else v.text) for k, v in self._parsed.items()}


@dataclass(frozen=True)
class CheckLine:
    """One evaluated check.

    Attributes
    ----------
    name : str
        ``mislabeled``, ``hard``, ``mislabeled[class=C]``, ``conflicting_duplicates``,
        ``new_mislabeled``, ``new_hard``.
    status : {"pass", "warn", "fail"}
    count : int
        Rows counted by the check.
    total : int
        Rows the percentage refers to.
    max : Threshold or None
    warn : Threshold or None
    rows : tuple of int
        0-based data rows counted (at most :data:`TOP_ROWS` kept).
    option : str
        The threshold options' stem (``mislabeled`` for ``--max-mislabeled``, also when ``name`` is
        ``outlying_targets``).
    label : str or None
        The class of a ``mislabeled[class=C]`` check, as the summary's ``classes`` spell it (JSON ``"class"``: a
        program need not parse the name); None for the other checks.
    """

    name: str
    status: str
    count: int
    total: int
    max: Threshold | None
    warn: Threshold | None
    rows: tuple[int, ...] = ()
    option: str = ""
    label: str | None = None

    @property
    def fraction(self) -> float:
        """``count / total`` (0 when the total is 0)."""
        return self.count / self.total if self.total else 0.0

    @property
    def value_text(self) -> str:
        """``12 (0.60%)``; with more decimals when two would show a percentage threshold's number while the share
        differs from it: 39 of 569 rows against ``max 6.85% (38 of 569)`` is ``39 (6.854%)``, not a FAIL that reads
        ``6.85%`` above ``6.85%``.

        >>> th = parse_threshold("6.85%", "max-mislabeled")
        >>> CheckLine("mislabeled", "fail", 39, 569, th, None).value_text
        '39 (6.854%)'
        >>> CheckLine("mislabeled", "pass", 38, 569, th, None).value_text
        '38 (6.68%)'
        >>> CheckLine("mislabeled", "pass", 2, 200, parse_threshold("1%", "max-mislabeled"), None).value_text
        '2 (1.00%)'
        """
        return f"{self.count} ({_share_text(self.count, self.total, (self.max, self.warn))})"

    @property
    def threshold_text(self) -> str:
        """``max 2% (40 of 2000), warn 1% (20 of 2000)``."""
        parts = []
        if self.max is not None:
            parts.append(f"max {self.max.describe(self.total)}")
        if self.warn is not None:
            parts.append(f"warn {self.warn.describe(self.total)}")
        return ", ".join(parts)

    def line(self) -> str:
        """``PASS|WARN|FAIL name value threshold``."""
        return f"{self.status.upper()} {self.name} {self.value_text} {self.threshold_text}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "name": self.name,
            "status": self.status,
            "value": self.count,
            "fraction": self.fraction,
            "total": self.total,
            "threshold": None if self.max is None else self.max.text,
            "limit": None if self.max is None else self.max.limit(self.total),
            "warn_threshold": None if self.warn is None else self.warn.text,
            "warn_limit": None if self.warn is None else self.warn.limit(self.total),
            "message": self.line(),
            "class": self.label,
        }


@dataclass(frozen=True)
class Baseline:
    """The flagged rows of an earlier run (a ``dvclean check --json`` document).

    Attributes
    ----------
    path : str
    key : {"id", "hash"}
        How rows are matched: the ``--id`` column's values, or content hashes.
    id_column : str or None
    mislabeled, hard : tuple of str
        Keys of the flagged rows.
    input_sha256 : str or None
    label : str or None
        The label column of the baseline's run.
    task : str or None
        ``classification`` or ``regression`` (``None``: the document does not say).
    hash_columns : tuple of str or None
        Columns the content hashes cover (``key="hash"``); ``None`` for an id
        baseline or one written before this field existed (then every column but
        the id was hashed).
    sample : tuple of str or None
        Digests of a content-defined sample of the baseline's rows (see
        :data:`SAMPLE_SIZE`); ``None`` in older documents.
    dvclean_version : str or None
    config : dict or None
        The baseline run's scoring settings (its summary's ``config``): :meth:`settings_note`
        names those this run changed.
    features : tuple of str or None
        The feature columns the baseline's run valued (after ``--drop`` and ``--id``, less the constant, empty and id
        columns it ignored; ``None`` in documents written before this field): :meth:`features_note` names those this
        run adds or leaves out.
    """

    path: str
    key: str
    id_column: str | None
    mislabeled: tuple[str, ...]
    hard: tuple[str, ...]
    input_sha256: str | None = None
    label: str | None = None
    task: str | None = None
    hash_columns: tuple[str, ...] | None = None
    sample: tuple[str, ...] | None = None
    dvclean_version: str | None = None
    config: dict[str, Any] | None = None
    features: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        """A line, not every flagged row's key (a notebook shows the object returned last in a cell)."""
        return (f"Baseline({self.path!r}, label={self.label!r}, key={self.key!r}, mislabeled={len(self.mislabeled)}, "
                f"hard={len(self.hard)})")

    def settings_note(self, config: dict[str, Any] | None) -> str | None:
        """A note when the baseline's run used other scoring settings than this one (``config``: the summary's):
        rows flagged only because of the settings then count as new, and nothing else would say so."""
        if self.config is None or not isinstance(config, dict):
            return None

        def flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
            out: dict[str, Any] = {}
            for k, v in d.items():
                key = f"{prefix}{k}"
                if isinstance(v, dict):
                    out.update(flat(v, key + "."))
                elif key.rsplit(".", 1)[-1] not in _NO_EFFECT:
                    out[key] = v
            return out

        old, new = flat(self.config), flat(config)
        changed = [k for k in sorted(set(old) | set(new)) if _canonical(old.get(k)) != _canonical(new.get(k))]
        if not changed:
            return None
        # (a setting the baseline's dvclean did not have yet is "not recorded", not None: None is a value of some)
        shown = ", ".join(f"{k} {repr(old[k]) if k in old else '(not recorded)'} -> "
                          f"{repr(new[k]) if k in new else '(not recorded)'}" for k in changed[:5])
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        return (
            f"--baseline {self.path} was made with other settings ({shown}{more}): rows flagged now because of the "
            "settings count as new rows too; re-create the baseline with this run's settings to compare the data alone"
        )

    def features_note(self, features: Sequence[str] | None) -> str | None:
        """A note when the baseline's run was given other feature columns than this one (``features``: the
        summary's ``features.columns``): a ``--drop`` or ``--id`` added or removed, or a column added to or taken from
        the data. The rows still match (by id, or by the columns both runs hash), but rows flagged because the
        features changed count as new, and the settings note cannot say so (``--drop`` is no scoring setting)."""
        if self.features is None or features is None:
            return None
        now, then = list(features), set(self.features)
        added = [c for c in now if c not in then]
        removed = [c for c in self.features if c not in set(now)]
        if not (added or removed):
            return None

        def names(cols: list[str]) -> str:
            return ", ".join(map(repr, cols[:5])) + (f" and {len(cols) - 5} more" if len(cols) > 5 else "")

        parts = ([f"this run also values {names(added)}"] if added else []) + (
            [f"it does not value {names(removed)}, which the baseline's run did"] if removed else [])
        return (f"--baseline {self.path} was made with other feature columns ({'; '.join(parts)}: a --drop or --id "
                "changed, or the data's columns did): rows flagged now because of the columns count as new rows too; "
                "re-create the baseline from this data with this run's options to compare the rows alone")

    def check_compatible(self, label: str, task: str | None, task_reason: str | None = None) -> None:
        """Refuse to compare with a run of another label or task (:class:`~dvclean.errors.ConfigError`).

        The flagged rows of one label say nothing about another's, and "mislabeled"
        means "outlying target" for a regression target, so such a comparison would
        count rows as new for no reason. ``task_reason`` (the summary's) says why this
        run's task is what it is: ``--task auto`` may have decided it from the data (a
        whole number in one row makes a regression target).
        """
        where = str(self.path)  # (the baseline's own path, its folder kept: the command replaces that file)
        if self.label is not None and self.label != label:
            raise ConfigError(
                f"--baseline {self.path} was written for the label {self.label!r}, this run's label is {label!r}: "
                f"flagged rows of one label say nothing about another's. Pass the baseline of this label's data, or "
                f"re-create it with {baseline_command(where, f'dvclean check DATA --label {shlex.quote(label)} --json')}"
            )
        if self.task is not None and task is not None and self.task != task:
            auto = task_reason is not None and task_reason.startswith("auto:")
            why = (f"--task auto values it as a {task} label this time ({task_reason.removeprefix('auto: ')})"
                   if auto and task_reason is not None else f"this run values it as a {task} label (--task)")
            create = f"dvclean check DATA --label {shlex.quote(label)} --task {task} --json"
            raise ConfigError(
                f"--baseline {self.path} was written for {self.label or label!r} as a {self.task} label, and {why}: "
                f"its flagged rows mean something else. Pass --task {self.task} to value it as the baseline's run "
                f"did, or re-create the baseline with {baseline_command(where, create)}"
            )


def baseline_command(name: str, create: str = "dvclean check DATA --json") -> str:
    """The shell command that writes the baseline ``name`` safely, in backquotes: ``create`` with ``--exit-zero``
    (a failing gate still writes its document) into ``name.tmp``, renamed once complete (``> name`` empties the
    file before dvclean runs, and a run that fails half-way would leave a half file).

    >>> baseline_command("main.json")
    '`dvclean check DATA --json --exit-zero > main.json.tmp && mv main.json.tmp main.json`'
    """
    tmp = f"{name}.tmp"
    return f"`{create} --exit-zero > {shlex.quote(tmp)} && mv {shlex.quote(tmp)} {shlex.quote(name)}`"


def _free_baseline_name(given: Path) -> str:
    """A baseline file name for a hint to write in the current folder: ``baseline.json``, else
    ``check-baseline.json``, ``check-baseline-2.json``, ... — the first that neither exists (with its ``.tmp``) nor is
    ``given`` (the file passed, which may be named ``baseline.json`` or ``baseline.json.tmp``)."""
    def taken(name: str) -> bool:
        for q in (Path(name), Path(name + ".tmp")):
            if q.exists() or q.is_symlink() or os.path.abspath(q) == os.path.abspath(given):
                return True
        return False

    names = ["baseline.json", "check-baseline.json", *(f"check-baseline-{i}.json" for i in range(2, 100))]
    return next((n for n in names if not taken(n)), "check-baseline-new.json")


def _data_suffix(path: Path) -> str:
    """The data format suffix of ``path`` (``.csv``, ``.parquet``, ``.gz``, ...; not ``.json``, a baseline's own), or ''.

    >>> _data_suffix(Path("d/data2.csv")), _data_suffix(Path("main.json"))
    ('.csv', '')
    """
    from .io import data_suffixes

    return path.suffix.lower() if path.suffix.lower() in data_suffixes() - {".json"} else ""


def load_baseline(path: str | os.PathLike[str], *, create: str = "dvclean check DATA --json") -> Baseline:
    """Read the flagged rows of an earlier ``dvclean check --json`` run.

    ``create``: the command that writes a baseline, for the messages (``dvclean check`` passes
    ``dvclean check DATA --no-baseline --json`` when a configuration file names the baseline: without
    ``--no-baseline`` that run would read the file its redirect has just emptied).

    Raises
    ------
    InputError
        The file is missing, empty, not JSON, or not a check document.
    """
    import stat

    from .io import expand_home, read_json_document

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"load_baseline() takes the path of a `dvclean check --json` document, got "
                        f"{type(path).__name__} {path!r:.60}")
    path = expand_home(path)
    p = Path(path)
    # write aside, then rename: `> FILE` empties FILE before dvclean runs, and a run that reads it would fail
    safe = baseline_command(os.fspath(path), create)  # (the path as given: its folder too)
    if os.fspath(path) == "-":  # (not a file named '-': standard input, which the data may also read)
        raise InputError(f"--baseline cannot read standard input (-): give the path of a baseline file (one that {create} "
                         "wrote)")
    if not p.exists() and not p.is_symlink():
        raise InputError(f"--baseline {p}: no such file; create it with {safe}")
    try:
        st = p.stat()
    except OSError:
        st = None  # (read_json_document names what is wrong)
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InputError(f"--baseline {p}: is a directory, not a `dvclean check --json` document; name the file, "
                         "or pass --no-baseline to run without a baseline")
    if st is not None and stat.S_ISREG(st.st_mode) and st.st_size == 0:
        raise InputError(
            f"--baseline {p}: the file is empty (0 bytes), probably emptied by the shell redirect that was meant to "
            f"create it (`> {shlex.quote(os.fspath(path))}` empties the file before dvclean reads it as the baseline); write the baseline to "
            f"another name, then move it: {safe}"
        )
    if _data_suffix(p) or p.suffix.lower() != ".json":
        # (the hint below would write the baseline over a data file, or over whatever file that is: /etc/passwd)
        safe = f"{baseline_command('baseline.json', create)} and pass --baseline baseline.json"
    try:
        doc = read_json_document(p, f"--baseline {p}")  # a pipe too; a device is named as such
    except InputError as exc:
        if _data_suffix(p):
            raise InputError(f"--baseline {p}: a {_data_suffix(p)} file is data, not the JSON document of an earlier "
                             f"`dvclean check --json` run; create a baseline with {safe}") from exc
        raise InputError(f"{exc}; re-create the baseline with {safe}") from exc
    flagged = doc.get("flagged") if isinstance(doc, dict) else None
    if not isinstance(flagged, dict) or flagged.get("key") not in ("id", "hash"):
        command = doc.get("command") if isinstance(doc, dict) else None
        if command not in ("score", "fix", "augment"):  # (a broken or foreign baseline: re-created where it is)
            raise InputError(f"--baseline {p}: not a `dvclean check --json` document (no 'flagged' rows); "
                             f"re-create the baseline with {safe}")
        # (another command's summary, kept by the user: the hint writes a file of another name, not over it, nor
        # over a file already there, a good baseline of another run say)
        other = _free_baseline_name(p)
        raise InputError(
            f"--baseline {p}: it is a `dvclean {command} --json` summary, not a `dvclean check --json` document (no "
            f"'flagged' rows); create a baseline in a file of its own, on the data to compare with (DATA), with "
            f"{baseline_command(other, create)} and pass --baseline {other}"
        )
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(f"--baseline {p}: {'has no schema_version' if version is None else f'schema_version {version!r} is no version of dvclean check documents'}"
                         f"; re-create the baseline with {safe}")
    if version > CHECK_SCHEMA_VERSION:
        raise InputError(
            f"--baseline {p}: schema_version {version!r} is not supported by dvclean {__version__} "
            f"(supports <= {CHECK_SCHEMA_VERSION}); upgrade dvclean or re-create the baseline"
        )
    if not all(isinstance(flagged.get(name), list) for name in ("mislabeled", "hard")):
        raise InputError(f"--baseline {p}: 'flagged' lacks the 'mislabeled'/'hard' row lists; re-create it")
    mis = tuple(str(v) for v in flagged["mislabeled"])
    hard = tuple(str(v) for v in flagged["hard"])
    if flagged["key"] == "id" and not isinstance(flagged.get("id_column"), str):
        raise InputError(f"--baseline {p}: 'flagged.id_column' must name the id column its rows are keyed by; "
                         "re-create the baseline")
    if not isinstance(doc.get("input", {}), (dict, type(None))):
        raise InputError(f"--baseline {p}: 'input' must be an object; re-create the baseline")
    lists: dict[str, tuple[str, ...] | None] = {}
    for name in ("hash_columns", "sample"):
        v = flagged.get(name)
        if v is not None and (not isinstance(v, list) or not all(isinstance(x, str) for x in v)):
            raise InputError(f"--baseline {p}: 'flagged.{name}' must be a list of strings; re-create the baseline")
        if name == "hash_columns" and v is not None and not v:  # every real document hashes the label at least
            raise InputError(f"--baseline {p}: 'flagged.hash_columns' is empty; re-create the baseline")
        lists[name] = None if v is None else tuple(v)
    label, task = doc.get("label"), doc.get("task")
    return Baseline(
        path=str(p),
        key=flagged["key"],
        id_column=flagged.get("id_column"),
        mislabeled=mis,
        hard=hard,
        input_sha256=(doc.get("input") or {}).get("sha256"),
        label=label if isinstance(label, str) else None,
        task=task if task in ("classification", "regression") else None,
        hash_columns=lists["hash_columns"] if flagged["key"] == "hash" else None,
        sample=lists["sample"],
        dvclean_version=doc.get("dvclean_version") if isinstance(doc.get("dvclean_version"), str) else None,
        config=doc.get("config") if isinstance(doc.get("config"), dict) else None,
        features=_valued_in(doc),
    )


def _valued_in(doc: dict[str, Any]) -> tuple[str, ...] | None:
    """A check document's ``features.valued`` (None when it has none, or not as a list of names)."""
    valued = doc.get("features", {}).get("valued") if isinstance(doc.get("features"), dict) else None
    return tuple(valued) if isinstance(valued, list) and all(isinstance(c, str) for c in valued) else None


def valued_features(summary: dict[str, Any]) -> list[str] | None:
    """The feature columns a run valued (its summary's ``features.columns`` less those ignored as constant, empty or
    ids), in the data's order; ``None`` when the summary does not say."""
    features = summary.get("features") or {}
    columns, ignored = features.get("columns"), set(features.get("ignored") or ())
    return None if columns is None else [c for c in columns if c not in ignored]


#: Settings that change how fast a run is, not what it flags: not compared with a baseline's.
_NO_EFFECT = frozenset({"n_jobs", "scheduler", "chunk_size", "checkpoint", "checkpoint_every"})


def _canonical(v: Any) -> str:
    if v is None:
        return "\x00"
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if v.is_integer() and abs(v) < 2**53:
            return str(int(v))
        return repr(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, decimal.Decimal):  # (a Parquet decimal: the number, as the same value in a float column hashes)
        if not v.is_finite():
            return "nan" if v.is_nan() else repr(float(v))
        return str(int(v)) if v == v.to_integral_value() and abs(v) < 2**53 else repr(float(v))
    if isinstance(v, datetime.datetime) and v.tzinfo is not None:  # the instant: Berlin's 03:00+01:00 is 02:00 UTC
        return str(v.astimezone(datetime.UTC))
    return str(v)


def _frame_argument(func: str, frame: Any, columns: Sequence[str]) -> pl.DataFrame:
    """``frame`` as a polars DataFrame (a pandas one converted), with ``columns``: else a ``TypeError`` or a
    ``KeyError`` that names ``func``'s argument, not an error from inside polars."""
    from .io import as_source

    if isinstance(frame, (str, os.PathLike)):
        raise TypeError(f"{func}() takes a DataFrame, got the path {os.fspath(frame)!r}; read it first "
                        "(dvclean.io.read_frame or pl.read_csv)")
    frame = as_source(frame, f"{func}()'s frame")
    missing = [c for c in dict.fromkeys(columns) if c not in frame.columns]
    if missing:
        raise KeyError(f"{func}(): the frame has no column {', '.join(map(repr, missing))}; its columns are "
                       f"{', '.join(map(repr, frame.columns[:20]))}{' ...' if frame.width > 20 else ''}")
    assert isinstance(frame, pl.DataFrame)
    return frame


def row_hashes(
    frame: pl.DataFrame,
    rows: Sequence[int] | np.ndarray,
    *,
    exclude: Iterable[str] = (),
    columns: Iterable[str] | None = None,
) -> list[str]:
    """Content hash of each of ``rows``: stable across row order, column order, int/float/decimal re-typing and a
    timestamp's time zone (the same instant).

    The hash covers ``columns`` (default: every column except ``exclude``, e.g. the
    id column), by name, so a row keeps its hash when rows are inserted, deleted or
    shuffled around it, or when columns outside ``columns`` are added, and changes
    when any of its hashed values (label included) changes.

    Examples
    --------
    >>> df = pl.DataFrame({"a": [1, 2], "y": ["x", "z"]})
    >>> row_hashes(df, [1]) == row_hashes(df.reverse().select("y", "a"), [0])
    True
    >>> row_hashes(df.with_columns(b=pl.lit(7)), [1], columns=["a", "y"]) == row_hashes(df, [1])
    True
    """
    columns = list(columns) if columns is not None else None  # (an iterator is read once: here, and below)
    frame = _frame_argument("row_hashes", frame, columns or [])
    skip = set(exclude)
    cols = sorted(set(columns) - skip) if columns is not None else sorted(c for c in frame.columns if c not in skip)
    idx = np.asarray(rows, dtype=np.int64)
    if idx.size == 0:
        return []
    if idx.min() < -frame.height or idx.max() >= frame.height:
        bad = idx[(idx < -frame.height) | (idx >= frame.height)]
        raise IndexError(f"row_hashes(rows=...): row {int(bad[0])} is outside the frame's {frame.height} rows "
                         f"(0-based positions 0..{frame.height - 1})")
    sub = frame.select(cols)[idx]
    out = []
    for rec in sub.iter_rows():
        text = "\x1f".join(f"{c}\x1e{_canonical(v)}" for c, v in zip(cols, rec, strict=True))
        out.append(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16])
    return out


def csv_line_numbers(
    path: str | os.PathLike[str], rows: Sequence[int], *, separator: str = ",", encoding: str = "utf-8"
) -> dict[int, int]:
    """1-based physical line of each 0-based data row of a CSV file (quoted newlines counted).

    Blank lines count as rows, as they do when polars reads the file, except those before the
    header, which polars skips.

    Reads only as far as the largest requested row.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = p.write_text('a,b\\n1,"x\\ny"\\n2,z\\n')
    >>> csv_line_numbers(p, [0, 1])
    {0: 2, 1: 4}
    >>> _ = p.write_text('\\n\\na,b\\n1,x\\n')
    >>> csv_line_numbers(p, [0])
    {0: 4}
    """
    wanted = {int(r) for r in rows}
    out: dict[int, int] = {}
    if not wanted:
        return out
    last = max(wanted)
    with open(path, encoding=encoding, errors="replace", newline="") as fh:
        reader = csv.reader(fh, delimiter=separator)
        start = 1
        data_row = -1  # the header is row -1
        for rec in reader:  # a blank line is a row of nulls for polars, so it counts
            if data_row == -1 and not rec:  # ... but not before the header
                start = reader.line_num + 1
                continue
            if data_row in wanted:
                out[data_row] = start
            data_row += 1
            if data_row > last:
                break
            start = reader.line_num + 1
    return out


#: A regression target conflicts with its copies when it lies this many robust standard deviations (of every
#: copy's distance to its group's median) from its group's median: the outlying-target cutoff of the flags.
CONFLICT_Z = MislabelConfig.outlier_z  # (the dataclass default: one number for both)


def conflicting_duplicate_rows(
    frame: pl.DataFrame, features: Sequence[str], label: str, task: str = "classification"
) -> np.ndarray:
    """0-based rows whose feature values equal another row's while the labels differ.

    Rows with a missing label (null, NaN or blank: not valued), and rows with no feature value at all (which
    say nothing, so cannot conflict), are ignored. For a regression target (``task="regression"``) rows with equal features
    whose targets differ by measurement noise do not conflict: a copy conflicts when its target lies more than
    :data:`CONFLICT_Z` standard deviations from its group's median: the noise between copies is measured robustly
    (the median difference of two copies of a group, over the pairs of every group, a group weighing at most
    :data:`NOISE_PAIRS_COPIES` copies' differences), and the spread of a copy's distance to the
    median of g copies follows from it (:data:`_MEDIAN_DEVIATION_SD`: two copies are each half their difference
    from their midpoint, and the median of three is one of them), so that pure noise gets about 0.03-0.15% of the
    copies flagged whatever the group sizes; when most copies agree exactly, any difference is a conflict, as
    with class labels.

    Examples
    --------
    >>> df = pl.DataFrame({"x": [1, 1, 2, 2, 3], "y": ["a", "b", "a", "a", "a"]})
    >>> conflicting_duplicate_rows(df, ["x"], "y").tolist()
    [0, 1]
    >>> empty = pl.DataFrame({"x": [0.5, None, None], "k": [1, 1, 1], "y": ["a", "a", "b"]})
    >>> conflicting_duplicate_rows(empty, ["x", "k"], "y").tolist()  # rows 1 and 2 hold only the constant k
    []
    >>> t = pl.DataFrame({"x": [1, 1, 2, 2, 3, 3, 4, 4], "y": [1.0, 1.1, 2.0, 2.1, 3.0, 2.9, 4.0, 9.0]})
    >>> conflicting_duplicate_rows(t, ["x"], "y", task="regression").tolist()
    [6, 7]
    """
    frame = _frame_argument("conflicting_duplicate_rows", frame, [*features, label])
    if not features:
        return np.zeros(0, dtype=np.int64)
    from .table import label_missing_mask

    labelled = pl.Series(~label_missing_mask(frame.get_column(label)))  # (a NaN or blank label is missing too)
    # "no feature value" is judged on the columns that vary: a constant column's value is every row's, and says
    # nothing of a row whose other cells are all empty (one constant column beside a 99%-empty one made 1,995 such
    # rows conflict); when no column varies, every row is the same record, and rows of different labels do conflict
    varying = [c for c in features if frame.get_column(c).n_unique() > 1] or list(features)
    work = frame.select(*features, label).with_row_index("__row").filter(
        labelled & ~pl.all_horizontal(pl.col(varying).is_null())
    )
    if task == "regression":
        return _conflicting_targets(work, features, label)
    groups = work.group_by(list(features), maintain_order=True).agg(
        pl.col(label).n_unique().alias("__n"), pl.col("__row")
    )
    rows = groups.filter(pl.col("__n") > 1).get_column("__row").explode()
    return np.sort(rows.to_numpy().astype(np.int64)) if rows.len() else np.zeros(0, dtype=np.int64)


def _conflicting_targets(work: pl.DataFrame, features: Sequence[str], label: str) -> np.ndarray:
    copies = work.filter(pl.len().over(list(features)) > 1)
    if copies.height == 0:
        return np.zeros(0, dtype=np.int64)
    groups = copies.group_by(list(features)).agg(pl.col("__row"), pl.col(label).cast(pl.Float64)).with_row_index("__g")
    flat = groups.select("__g", "__row", label).explode("__row", label)
    group = flat.get_column("__g").to_numpy().astype(np.int64)
    target = flat.get_column(label).to_numpy()
    rows = flat.get_column("__row").to_numpy().astype(np.int64)
    order = np.lexsort((target, group))  # by group, then target: each group's copies sorted
    group, target, rows = group[order], target[order], rows[order]
    big = float(np.abs(target).max())
    if 0 < big < np.inf:  # scale-free, and no overflow of sums near 1e308 nor loss in subnormals near 1e-310
        target = target / big
    size = np.bincount(group)
    start = np.concatenate(([0], np.cumsum(size)[:-1]))
    lo, hi = start + (size - 1) // 2, start + size // 2
    median = (target[lo] + target[hi]) / 2.0
    sigma = _copy_noise_sd(target, size, start)
    g = size[group]
    z = np.abs(target - median[group]) / np.maximum(sigma * _median_deviation_sd(g), np.finfo(float).tiny)
    flagged = z > CONFLICT_Z if sigma > 0 else target != median[group]
    return np.sort(rows[flagged])


#: The standard deviation of a copy's distance to the median of its group of g copies (g = 2, 3, ...), in units of
#: the noise's: ``sqrt(1 - 2/g + Var(median of g standard normals))`` (the median is uncorrelated with a copy beyond
#: the mean's share, 1/g: Basu's theorem), the variance of the median computed from the density of the order
#: statistics (numerical integration; ``tests/test_qa28.py`` checks the table by simulation). Beyond the table,
#: ``Var(median) = pi / (2 g)`` (within 0.2%).
_MEDIAN_DEVIATION_SD = (0.70711, 0.88431, 0.89342, 0.94172, 0.93883, 0.96163, 0.95822, 0.97153, 0.96867, 0.97742,
                        0.97512, 0.98130, 0.97944, 0.98405, 0.98254, 0.98610, 0.98484, 0.98769, 0.98663, 0.98895,
                        0.98805, 0.98998, 0.98920, 0.99083, 0.99016, 0.99155, 0.99096, 0.99217, 0.99164)


def _median_deviation_sd(g: np.ndarray) -> np.ndarray:
    """:data:`_MEDIAN_DEVIATION_SD` of each group size in ``g`` (at least 2)."""
    g = np.asarray(g, dtype=np.int64)
    table = np.asarray(_MEDIAN_DEVIATION_SD)
    far = np.sqrt(1.0 - 2.0 / g + np.pi / (2.0 * g))
    return np.where(g - 2 < table.size, table[np.minimum(g - 2, table.size - 1)], far)


#: Copies per group that :func:`_copy_noise_sd` compares pairwise, every pair; a larger group compares the pairs
#: at as many gaps between ranks (each gap's every pair), so that no group holds more than about 8 pairs per copy
#: (memory: 130 MB for 1M rows). It is also the most copies a group weighs, as so many less one independent
#: differences: a group of thousands of copies (a standard measured again and again, or rows with every feature at
#: its default) does not set the noise for every other.
NOISE_PAIRS_COPIES = 16


def _copy_noise_sd(target: np.ndarray, size: np.ndarray, start: np.ndarray) -> float:
    """The noise between copies' targets, robustly: the weighted median absolute difference of two copies of one
    group (the lower median), divided by ``sqrt(2) * 0.6745`` (the difference of two noisy copies is normal with
    twice the noise's variance), over the pairs that differ; 0 when pairs of at least half the weight agree exactly.
    Each group weighs as many independent differences as it holds, its size less one (at most
    :data:`NOISE_PAIRS_COPIES` less one), shared among the pairs compared: one group of many exact copies does not
    outweigh a hundred noisy pairs. A group of more than :data:`NOISE_PAIRS_COPIES` copies (``target`` is sorted
    within each group) compares every pair of copies at that many gaps between their ranks, the gaps at evenly
    spaced quantiles of a random pair's gap (``g`` ranks apart: ``size - g`` of the pairs), each gap weighing the
    same: the pairs of a random sample of its pairs, without a random draw, so the result depends neither on the
    rows' order nor on the target's units nor on how the features are written; evenly spaced order statistics would
    include the group's extremes and overstate the noise by a quarter at a thousand copies."""
    diffs: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    for s in np.unique(size):
        first = start[size == s]
        share = float(min(s, NOISE_PAIRS_COPIES) - 1)
        if s <= NOISE_PAIRS_COPIES:
            i, j = np.triu_indices(s, 1)
            step = max(1, 2**22 // max(i.size, 1))
            for a in range(0, first.size, step):
                vals = target[first[a:a + step, None] + np.arange(s)]
                pair = np.abs(vals[:, j] - vals[:, i]).ravel()
                diffs.append(pair)
                weights.append(np.full(pair.size, share / i.size))
            continue
        for g in _rank_gaps(int(s)):
            low = (first[:, None] + np.arange(s - g)).ravel()
            diffs.append(target[low + g] - target[low])  # (sorted within the group: no abs needed)
            weights.append(np.full(low.size, share / NOISE_PAIRS_COPIES / (s - g)))
    if not diffs:
        return 0.0
    every, weight = np.concatenate(diffs), np.concatenate(weights)
    if every.size == 0:
        return 0.0
    exact = every == 0
    # (a relative slack for the sums' rounding: equal weights split exactly in half)
    if weight[exact].sum() >= weight.sum() / 2.0 * (1.0 - 1e-12):
        return 0.0  # half the weight agrees exactly: the copies have no noise and any difference conflicts
    every, weight = every[~exact], weight[~exact]  # (else copies that agree are another kind of rows than the noisy)
    order = np.argsort(every, kind="stable")
    cum = np.cumsum(weight[order])
    at = int(np.searchsorted(cum, cum[-1] / 2.0 * (1.0 - 1e-12)))  # the lower weighted median
    return float(every[order[min(at, every.size - 1)]]) / (np.sqrt(2.0) * 0.6744897501960817)


def _rank_gaps(size: int) -> np.ndarray:
    """:data:`NOISE_PAIRS_COPIES` gaps between the ranks of two copies of a group of ``size``, at the midpoints of
    as many equal shares of a random pair's gap (a gap ``g`` holds ``size - g`` of the group's pairs); a gap may
    repeat in a small group, and then weighs twice.

    >>> _rank_gaps(17).tolist()
    [1, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 8, 9, 10, 12, 14]
    """
    gap = np.arange(1, size)
    share = np.cumsum(size - gap) / (size * (size - 1) / 2.0)
    return gap[np.searchsorted(share, (np.arange(NOISE_PAIRS_COPIES) + 0.5) / NOISE_PAIRS_COPIES)]


@dataclass(frozen=True)
class CheckOutcome:
    """Result of :func:`evaluate_check`.

    Attributes
    ----------
    checks : tuple of CheckLine
    status : {"pass", "warn", "fail"}
        ``fail`` if any check failed, else ``warn`` if any warned.
    summary : dict
        The score run's summary (input, classes, flags, methods, timings...).
    policy : CheckPolicy
    flagged : dict
        ``key`` (``id``/``hash``), ``id_column``, ``hash_columns`` (the columns the
        content hashes cover, :func:`identity_columns`; ``None`` with an id), the
        keys of all ``mislabeled`` and ``hard`` rows and ``sample`` (digests of a
        content-defined sample of all rows): what a later ``--baseline`` compares to.
    rows : list of dict
        The :data:`TOP_ROWS` most suspicious rows (lowest value first) with their
        CSV line, content key and flags.
    baseline : dict or None
        Baseline path, key, the columns rows were matched by, whether they could
        be matched, how many of the baseline's sampled rows were found, and the
        new flagged rows.
    per_class : dict
        Class -> rows, mislabeled, hard.
    conflicting_duplicates : int
    notes : tuple of str
    flagged_rows : list of dict
        The first flagged rows (mislabeled first, likeliest wrong first; then hard, lowest value
        first), as :attr:`rows` describes them: the rows the GitHub annotations point at.
    """

    checks: tuple[CheckLine, ...]
    status: str
    summary: dict[str, Any]
    policy: CheckPolicy
    flagged: dict[str, Any]
    rows: list[dict[str, Any]]
    baseline: dict[str, Any] | None
    per_class: dict[str, dict[str, int]]
    conflicting_duplicates: int
    notes: tuple[str, ...] = ()
    flagged_rows: list[dict[str, Any]] = field(default_factory=list)

    def __repr__(self) -> str:
        """The verdict and its lines, not the summary and rows (a notebook displays a result returned last)."""
        return f"CheckOutcome(status={self.status!r}, checks={[c.line() for c in self.checks]!r})"

    @property
    def failed(self) -> bool:
        """A check failed."""
        return self.status == "fail"

    def exit_code(self, *, exit_zero: bool = False) -> int:
        """0 pass or warn; 1 fail (0 with ``exit_zero``)."""
        return 1 if self.failed and not exit_zero else 0

    def counts(self) -> dict[str, int]:
        """Number of checks per status."""
        c = Counter(ch.status for ch in self.checks)
        return {s: c.get(s, 0) for s in STATUSES}

    def to_dict(self) -> dict[str, Any]:
        """The ``dvclean check --json`` document (see ``dvclean/schemas/check.schema.json``)."""
        s = self.summary
        return {
            "schema_version": CHECK_SCHEMA_VERSION,
            "dvclean_version": __version__,
            "command": "check",
            "status": self.status,
            "counts": self.counts(),
            "input": {
                "path": s["input"]["path"],
                "format": s["input"]["format"],
                "sha256": s["input"]["sha256"],
                "rows": s["input"]["rows"],
                "columns": s["input"]["columns"],
            },
            "label": s["label"],
            "task": (s.get("task") or {}).get("name", "classification"),
            "id_column": s["id_column"],
            "seed": s["seed"],
            "methods": list(s["methods"]),
            "validation": s.get("validation_file"),  # the --valid file the values were measured against, else null
            "config": s["config"],
            # (a later run's baseline features_note compares the valued ones; the notes point at features.ignored)
            "features": {"valued": valued_features(s), "ignored": list((s.get("features") or {}).get("ignored") or ())},
            "policy": self.policy.to_dict(),
            "checks": [c.to_dict() for c in self.checks],
            "summary": {
                "rows": s["rows"]["total"],
                "valued": s["rows"]["valued"],
                "label_missing": s["rows"]["label_missing"],
                "mislabeled": s["flags"]["mislabeled"],
                "mislabeled_fraction": s["flags"]["mislabeled_fraction"],
                "rule": s["flags"].get("rule"),  # the rule that made the flags (config holds the one asked for)
                "hard": s["flags"]["hard"],
                "hard_fraction": s["flags"]["hard_fraction"],
                "conflicting_duplicates": self.conflicting_duplicates,
                "classes": self.per_class,
            },
            "most_suspicious": self.rows,
            "baseline": self.baseline,
            "flagged": self.flagged,
            "timings": s["timings"],
            "notes": list(self.notes),
        }


def is_regression(summary: dict[str, Any]) -> bool:
    """True when a score summary is of a regression target (flags mean "outlying target")."""
    return (summary.get("task") or {}).get("name") == "regression"


def _status(count: int, total: int, mx: Threshold | None, warn: Threshold | None) -> str:
    if mx is not None and mx.exceeded(count, total):
        return "fail"
    if warn is not None and warn.exceeded(count, total):
        return "warn"
    return "pass"


def _warn_above_max(checks: Sequence[CheckLine]) -> list[str]:
    """Refuse a warn threshold above its max once both are rows of this data; return the notes on per-class
    limits where only some classes are affected.

    ``--max-mislabeled 2%`` and ``--warn-mislabeled 100`` on 569 rows (max 11 rows) can never warn: the check fails
    first. Two counts or two percentages are refused before any work (:class:`CheckPolicy`); one of each only once
    the rows are counted, here: a :class:`~dvclean.errors.ConfigError` (exit 2, as the same-unit case), naming both
    limits in rows. A per-class pair is refused when it cannot warn in any class; a class of 100 rows and one of
    1000 with ``--max-mislabeled-per-class 2%`` and ``--warn-mislabeled-per-class 5`` (max 2 and 20 rows) can warn
    in the larger class, so the smaller ones get a note instead.

    >>> th = parse_threshold
    >>> line = CheckLine("mislabeled", "fail", 39, 569, th("2%", "max-mislabeled"), th("100", "warn-mislabeled"),
    ...                  option="mislabeled")
    >>> _warn_above_max([line])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dvclean.errors.ConfigError: --warn-mislabeled 100 rows is above --max-mislabeled 2% (11 of 569): ...
    """
    dead: dict[str, list[CheckLine]] = {}
    lines: dict[str, list[CheckLine]] = {}
    for line in checks:
        opt = line.option or line.name.replace("_", "-")
        lines.setdefault(opt, []).append(line)
        mx, warn = line.max, line.warn
        if mx is not None and warn is not None and mx.kind != warn.kind and warn.limit(line.total) > mx.limit(line.total):
            dead.setdefault(opt, []).append(line)
    notes = []
    for opt, bad in dead.items():
        mx, warn = bad[0].max, bad[0].warn
        assert mx is not None and warn is not None
        if len(bad) < len(lines[opt]):  # (per class: the classes where it can warn keep it)
            names = ", ".join(c.name for c in bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
            notes.append(f"--warn-{opt} {warn.text} is above --max-{opt} {mx.text} in {names} (e.g. "
                         f"{warn.describe(bad[0].total)} against {mx.describe(bad[0].total)}): there the check fails "
                         "before it could warn")
            continue
        if len(lines[opt]) == 1:
            line = bad[0]
            where = f"--warn-{opt} {warn.describe(line.total)} is above --max-{opt} {mx.describe(line.total)}"
            top = int(mx.limit(line.total))
        else:  # every class: the largest class allows the most
            line = max(bad, key=lambda c: c.total)
            top = int(mx.limit(line.total))
            where = (f"--warn-{opt} {warn.text} is above --max-{opt} {mx.text} in every class (its largest, "
                     f"{line.name}, {line.total} rows: warn {warn.describe(line.total)}, max {mx.describe(line.total)})")
        low = int(warn.limit(line.total))
        raise ConfigError(
            f"{where}: the check would fail before it could warn; set --warn-{opt} at or below "
            f"{top} {'row' if top == 1 else 'rows'}{f' or {mx.text}' if mx.kind == 'fraction' else ''}, or raise "
            f"--max-{opt} to at least {low} {'row' if low == 1 else 'rows'}"
            f"{f' or {warn.text}' if warn.kind == 'fraction' else ''}"
        )
    return notes


#: A failed or warned ``new_*`` check of at most this share of the rows flagged now gets a note that a few new rows
#: can be the models' noise. Rows are valued in an order set by their contents (:func:`dvclean.pipeline.canonical_order`),
#: so editing, adding or removing any row moves the cross-validation folds of the others, and a few borderline
#: flags move with them: on the breast-cancer data (569 rows, 39 flagged mislabeled, seed 0) editing one cell of one
#: row made 1-4 *other* rows newly mislabeled (+0.01 in row 5: rows 44 and 126; the cell blanked: row 126).
NEW_ROWS_NOISE_SHARE = 0.1


def _new_rows_noise_note(line: CheckLine, flagged: int) -> str | None:
    """The note under a failed or warned ``new_*`` check whose rows are few beside the ``flagged`` rows of its kind
    now (:data:`NEW_ROWS_NOISE_SHARE`): they may be model noise, so a limit of 0 flaps.

    >>> th = parse_threshold(0, "max-new-mislabeled")
    >>> _new_rows_noise_note(CheckLine("new_mislabeled", "fail", 2, 569, th, None, option="new-mislabeled"), 40)
    ... # doctest: +ELLIPSIS
    'new_mislabeled: 2 new rows beside the 40 flagged now can be model noise: ...'
    >>> _new_rows_noise_note(CheckLine("new_mislabeled", "fail", 9, 569, th, None, option="new-mislabeled"), 40)
    """
    if not line.name.startswith("new_") or line.status == "pass" or line.count == 0:
        return None
    if line.count > NEW_ROWS_NOISE_SHARE * flagged:
        return None
    opt = line.option or line.name.replace("_", "-")
    rows = "row" if line.count == 1 else "rows"
    return (f"{line.name}: {line.count} new {rows} beside the {flagged} flagged now can be model noise: a change to "
            "any row moves the cross-validation folds of the others (rows are valued in an order set by their "
            f"contents), and a few borderline flags move with them; review the {rows}, and allow a few in --{'max' if line.status == 'fail' else 'warn'}-{opt}")


def _line(name: str, rows: np.ndarray, total: int, policy: CheckPolicy, check: str,
          label: str | None = None) -> CheckLine | None:
    mx, warn = policy.threshold("max", check), policy.threshold("warn", check)
    if mx is None and warn is None:
        return None
    count = int(rows.size)
    return CheckLine(
        name=name, status=_status(count, total, mx, warn), count=count, total=total,
        max=mx, warn=warn, rows=tuple(int(r) for r in rows[:TOP_ROWS]), option=check.replace("_", "-"), label=label,
    )


def identity_columns(table: Any, ignored: Iterable[str] = ()) -> list[str]:
    """Columns a row's content hash covers: the label and the feature columns that vary, sorted.

    Left out: the id column, ``--drop``-ped columns, columns that are not features
    (the ``dvclean augment`` provenance column), columns with one value in every
    row (they tell no row from another) and the ``ignored`` ones (the columns the scoring
    did not value: a record number distinct in every row, regenerated by each export, would
    make every row new). So adding such a column, or excluding one with ``--drop``, leaves
    every row's key unchanged.

    Examples
    --------
    >>> from dvclean.table import make_table
    >>> df = pl.DataFrame({"b": [1, 1, 1, 1], "a": [1, 2, 3, 4], "id": [5, 6, 7, 8], "y": ["p", "q", "p", "q"]})
    >>> identity_columns(make_table(df, label="y", id_column="id"))
    ['a', 'y']
    >>> identity_columns(make_table(df, label="y"), ignored=["id"])
    ['a', 'y']
    """
    return sorted({table.label, *table.varying_features()} - set(ignored))


def _all_row_keys(table: Any, key: str, columns: Sequence[str] | None = None) -> list[str]:
    """The key of every row: the id column's canonical values, or content hashes over ``columns``."""
    if key == "id":
        return [_canonical(v) for v in table.frame.get_column(table.id_column).to_list()]
    cols = identity_columns(table) if columns is None else columns
    return row_hashes(table.frame, np.arange(table.n_rows), columns=cols)


def _row_keys(result: ScoreResult, rows: np.ndarray, key: str, columns: Sequence[str] | None = None) -> list[str]:
    table = result.table
    if key == "id":
        ids = table.frame.get_column(table.id_column)  # type: ignore[arg-type]
        return [_canonical(v) for v in ids.gather(rows).to_list()] if rows.size else []
    cols = identity_columns(table, result.summary["features"]["ignored"]) if columns is None else columns
    return row_hashes(table.frame, rows, columns=cols)


def _digest(k: str, key: str) -> str:
    """What the row sample holds: the content hash itself, or a hash of the id (ids sort in no useful order)."""
    return k if key == "hash" else hashlib.sha256(k.encode("utf-8")).hexdigest()[:16]


def _row_sample(keys: Iterable[str], key: str, size: int = SAMPLE_SIZE) -> list[str]:
    """The ``size`` smallest distinct digests of ``keys``: a content-defined sample (same rows in any row order)."""
    return sorted(heapq.nsmallest(size, {_digest(k, key) for k in keys}))


def _new_rows(current_rows: np.ndarray, current_keys: list[str], baseline_keys: Sequence[str]) -> np.ndarray:
    """Rows whose key is not in the baseline (as a multiset: duplicates count once each)."""
    remaining = Counter(baseline_keys)
    new: list[int] = []
    for r, k in zip(current_rows.tolist(), current_keys, strict=True):
        if remaining.get(k, 0) > 0:
            remaining[k] -= 1
        else:
            new.append(r)
    return np.asarray(new, dtype=np.int64)


def _opt(name: str) -> str:
    return name.strip().lstrip("-").replace("-", "_")


def check_policy_for_task(
    policy: CheckPolicy, task: str, *, label: str | None = None, from_config: Iterable[str] = ()
) -> list[str]:
    """Refuse thresholds that cannot apply to a ``task`` label; return notes for those that are skipped.

    A regression target has no classes, so ``max_mislabeled_per_class`` /
    ``warn_mislabeled_per_class`` could only pass without checking anything:
    they are a :class:`~dvclean.errors.ConfigError` (``--max-mislabeled`` limits
    the outlying targets). A threshold named in ``from_config`` (it came from a
    configuration file, which may serve data sets of both kinds) is skipped
    with a note instead.

    Parameters
    ----------
    policy : CheckPolicy
    task : {"classification", "regression"}
    label : str, optional
        Named in the messages.
    from_config : iterable of str
        Policy fields (``max_mislabeled_per_class`` or ``max-mislabeled-per-class``)
        whose value came from a configuration file rather than from the caller.

    Examples
    --------
    >>> check_policy_for_task(CheckPolicy(max_mislabeled="1%"), "regression")
    []
    >>> note, = check_policy_for_task(CheckPolicy(max_mislabeled_per_class="5%"), "regression",
    ...                               from_config=["max-mislabeled-per-class"])
    >>> note.split(":")[0]
    'max-mislabeled-per-class = 5% (configuration file) is not checked'
    """
    if task != "regression":
        return []
    configured = {_opt(n) for n in from_config}
    target = f"the label {label!r}" if label else "the label"
    typed, skipped = [], []
    for level in ("max", "warn"):
        th = policy.threshold(level, "mislabeled_per_class")
        if th is None:
            continue
        (skipped if f"{level}_mislabeled_per_class" in configured else typed).append((level, th))
    if typed:
        given = " and ".join(f"--{lv}-mislabeled-per-class {th.text}" for lv, th in typed)
        instead = " / ".join(f"--{lv}-mislabeled {th.text}" for lv, th in typed)
        raise ConfigError(
            f"{given}: {target} is a regression target, which has no classes, so a per-class limit cannot be "
            f"checked (the gate would pass without checking anything). Limit the outlying targets instead with "
            f"{instead}, which counts the rows whose target is far from what the other rows predict"
        )
    return [
        f"{lv}-mislabeled-per-class = {th.text} (configuration file) is not checked: {target} is a regression "
        f"target and has no classes; --{lv}-mislabeled limits its outlying targets"
        for lv, th in skipped
    ]


def _hard_count_note(result: ScoreResult, n_valued: int) -> str:
    """What a limit on the ``hard`` count checks: the count is set by ``--hard-frac``, not by the data (rows of one
    value at the cut are taken together, :func:`dvclean.flags.top_k`, so it can exceed that share of the rows)."""
    frac = result.config.flags.hard_fraction
    hard = int(result.frame.get_column("is_hard").sum())
    share = f"{frac * 100:.4g}%"  # (2.5%, not 2%)
    text = (f"the hard rows are the lowest-valued {share} (--hard-frac) of the rows not flagged mislabeled, so their "
            f"count is set by that share ({hard:,} {'row' if hard == 1 else 'rows'} here)")
    if hard <= Threshold("fraction", frac, share).limit(n_valued):
        text += f": a --max-hard / --warn-hard at or above {share} always passes"
    else:  # (a block of equal rows straddled the cut and more than half of it fitted: it was taken whole)
        text += (f", and rows of equal value at the cut are taken together, which made it {hard / n_valued:.2%} of the "
                 f"rows: a --max-hard / --warn-hard of {hard:,} {'row' if hard == 1 else 'rows'} or more always passes")
    fails = (f" and one below {hard:,} {'row' if hard == 1 else 'rows'} always fails"
             if hard else "")  # (no hard row: every limit passes)
    return f"{text}{fails}; --max-new-hard with --baseline gates the rows that became hard"


def _columns_text(columns: Sequence[str], limit: int = 8) -> str:
    """``the 3 columns 'a', 'b', 'y'`` (at most ``limit`` named)."""
    named = ", ".join(map(repr, columns[:limit])) + (f", ... ({len(columns) - limit} more)" if len(columns) > limit else "")
    return f"the {len(columns)} column{'s' if len(columns) != 1 else ''} {named}"


def _compare_with_baseline(
    result: ScoreResult, baseline: Baseline, key: str, own_keys: list[str], own_columns: list[str] | None,
    mis: np.ndarray, hard: np.ndarray, notes: list[str],
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """New flagged rows relative to ``baseline``, and how the rows were matched (appends to ``notes``)."""
    table = result.table
    name = Path(baseline.path).name
    if baseline.key == "id" and table.id_column is None:
        raise ConfigError(
            f"--baseline {baseline.path} matches rows by the id column {baseline.id_column!r}; "
            f"pass --id {baseline.id_column} (or re-create the baseline without --id)"
        )
    if baseline.key == "id" and baseline.id_column != table.id_column:
        notes.append(
            f"the baseline's id column is {baseline.id_column!r}, this run's is {table.id_column!r}; "
            "rows are matched by value"
        )
    columns: list[str] | None = None  # the columns the keys cover (hash baselines)
    cur: list[str] | None
    if baseline.key == "id":
        cur = own_keys if key == "id" else _all_row_keys(table, "id")
    elif baseline.hash_columns is not None:
        columns = sorted(baseline.hash_columns)
        missing = [c for c in columns if c not in table.frame.columns]
        if missing:
            cur = None
            notes.append(
                f"rows cannot be matched with the baseline {name}: its rows are keyed by a hash of "
                f"{_columns_text(columns)}, and this data lacks {', '.join(map(repr, missing))} (removed, "
                f"renamed, or excluded with --drop, whose columns are not read); so every flagged row counts as new. "
                f"Re-create the baseline from this data ({baseline_command(name)}), or match rows by a "
                f"stable --id column"
            )
        else:
            cur = own_keys if key == "hash" and columns == own_columns else _all_row_keys(table, "hash", columns)
    else:  # written before hash_columns existed: every column but the id, as then
        columns = sorted(c for c in table.frame.columns if c != table.id_column)
        cur = _all_row_keys(table, "hash", columns)
        notes.append(
            f"the baseline {name} (dvclean {baseline.dvclean_version or '?'}) does not record which columns its row "
            f"hashes cover: rows are matched by a hash of every column but the id, as it was written, so a column "
            f"added or removed since makes every flagged row look new. Re-create the baseline "
            f"({baseline_command(name)}) to match rows by the label and feature columns only"
        )
    match: dict[str, Any] | None = None
    if cur is None:
        new_mis, new_hard = mis, hard
    else:
        new_mis = _new_rows(mis, [cur[i] for i in mis.tolist()], baseline.mislabeled)
        new_hard = _new_rows(hard, [cur[i] for i in hard.tolist()], baseline.hard)
        if baseline.sample is not None:
            sample, what = set(baseline.sample), "sampled rows"
        else:  # older documents: the rows it flagged are all we know of its rows
            sample = {_digest(k, baseline.key) for k in (*baseline.mislabeled, *baseline.hard)}
            what = "flagged rows"
        present = {_digest(k, baseline.key) for k in cur}
        found = len(sample & present)
        match = {"basis": "sample" if baseline.sample is not None else "flagged", "rows": len(sample),
                 "found": found, "fraction": found / len(sample) if sample else None}
        if sample and found < LOW_MATCH_FRACTION * len(sample):
            by = (
                f"the id column {table.id_column!r}" if baseline.key == "id"
                else f"a hash of {_columns_text(columns or [])}"
            )
            ignored = [c for c in (columns or []) if c in set(result.summary["features"]["ignored"])]
            cause = (
                "a column was added, removed or renamed since (this older baseline's hashes cover every column), "
                "or the baseline is of another data set"
                if baseline.key == "hash" and baseline.hash_columns is None
                else f"the baseline hashes {_columns_text(ignored)}, which the scoring ignores (an identifier that an "
                "export may number anew: a baseline written now leaves it out), or the baseline is of another data set"
                if ignored else "the baseline is of another data set"
            )
            notes.append(
                f"only {found} of the baseline's {len(sample)} {what} ({found / len(sample):.0%}) are found in this "
                f"data (rows are matched by {by}): probably {cause}, or those columns' values were re-encoded "
                f"(renamed categories, rounding, re-typed ids), or most rows were replaced; so most of the "
                f"{len(new_mis)} 'new' flagged rows may only look new. Re-create the baseline {name} from the "
                f"current data, or match rows by a stable --id column"
            )
    id_name = result.frame.columns[0]
    frame = result.frame
    doc = {
        "path": baseline.path,
        "key": baseline.key,
        "input_sha256": baseline.input_sha256,
        "hash_columns": columns,
        "matched": cur is not None,
        "match": match,
        "new_mislabeled": len(new_mis),
        "new_hard": len(new_hard),
        "new_mislabeled_rows": [json_scalar(v) for v in frame.get_column(id_name).gather(new_mis).to_list()],
        "new_hard_rows": [json_scalar(v) for v in frame.get_column(id_name).gather(new_hard).to_list()],
    }
    return new_mis, new_hard, doc


def _check_arguments(result: Any, policy: Any, baseline: Any) -> tuple[CheckPolicy, Baseline | None]:
    """Refuse arguments of :func:`evaluate_check` of the wrong type (``TypeError``); read a baseline path."""
    from .pipeline import ScoreResult

    if not isinstance(result, ScoreResult):
        if isinstance(getattr(result, "scores", None), ScoreResult):  # a FixResult
            hint = f"pass the ScoreResult it holds, {type(result).__name__}.scores"
        else:
            hint = "run dvclean.score on the data first: evaluate_check(dvclean.score(data, label=...), policy)"
        raise TypeError(
            f"evaluate_check() needs the ScoreResult of dvclean.score(...) as its first argument, got "
            f"{describe_type(result)}; {hint}"
        )
    if policy is None:
        policy = CheckPolicy()
    elif not isinstance(policy, CheckPolicy):
        from .config import ScoreConfig

        example = build_hint(CheckPolicy, policy) if isinstance(policy, dict) else "CheckPolicy(max_mislabeled='2%')"
        hint = f"build one, e.g. {example}"
        if isinstance(policy, ScoreConfig):
            hint = f"a ScoreConfig goes to dvclean.score(..., config=...); {hint}"
        raise TypeError(
            f"evaluate_check() takes the thresholds (policy, its second argument) as a dvclean.check.CheckPolicy, "
            f"got {describe_type(policy)}; {hint}"
        )
    if isinstance(baseline, (str, os.PathLike)):
        baseline = load_baseline(baseline)
    elif baseline is not None and not isinstance(baseline, Baseline):
        raise TypeError(
            f"evaluate_check(baseline=...) takes the path of an earlier `dvclean check --json` document or the "
            f"Baseline that dvclean.check.load_baseline(path) returns, got {describe_type(baseline)}; write the "
            "document to a file and pass its path"
        )
    return policy, baseline


def evaluate_check(
    result: ScoreResult,
    policy: CheckPolicy | None = None,
    *,
    baseline: Baseline | str | os.PathLike[str] | None = None,
    from_config: Iterable[str] = (),
) -> CheckOutcome:
    """Evaluate the thresholds of ``policy`` on a score result.

    Parameters
    ----------
    result : ScoreResult
        From :func:`dvclean.score`.
    policy : CheckPolicy, optional
        The thresholds. ``None`` is ``CheckPolicy()``: no thresholds, so no check runs and
        the outcome passes with a note, as ``dvclean check`` without ``--max-*``/``--warn-*``.
    baseline : Baseline or path, optional
        Flagged rows of an earlier run: a :class:`Baseline` (:func:`load_baseline`) or the
        path of the ``dvclean check --json`` document, read with :func:`load_baseline`;
        needed by the ``new_*`` thresholds.
    from_config : iterable of str
        Policy fields whose value came from a configuration file (see
        :func:`check_policy_for_task`): on a regression target their per-class
        thresholds are skipped with a note instead of refused.

    Returns
    -------
    CheckOutcome

    Raises
    ------
    ConfigError
        A ``new_*`` threshold without a baseline, a baseline keyed by an id
        column the current run does not have, a baseline of another label or
        task, a per-class threshold on a regression target, or a warn threshold
        above its max once a count and a percentage are both rows of this data
        (``max_mislabeled="2%"``, ``warn_mislabeled=100`` on 569 rows: 100 > 11).
    InputError
        ``baseline`` is a path that is missing or not a check document.
    TypeError
        ``result`` is not a :class:`~dvclean.pipeline.ScoreResult` (a frame, a path),
        ``policy`` not a :class:`CheckPolicy` (a dict) or ``baseline`` not a
        :class:`Baseline` or a path.

    Examples
    --------
    >>> import dvclean, polars as pl
    >>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 0.15], "y": [0, 0, 0, 1, 1, 1]})
    >>> r = dvclean.score(df, label="y", config=dvclean.ScoreConfig(knn=dvclean.KNNConfig(k=1)))
    >>> out = evaluate_check(r, CheckPolicy(max_mislabeled=0))
    >>> out.status, out.checks[0].line()
    ('fail', 'FAIL mislabeled 1 (16.67%) max 0 rows')
    """
    policy, baseline = _check_arguments(result, policy, baseline)
    if policy.needs_baseline and baseline is None:
        raise ConfigError("--max-new-*/--warn-new-* need --baseline FILE (an earlier `dvclean check --json` output)")
    frame, table = result.frame, result.table
    regression = is_regression(result.summary)
    task = "regression" if regression else "classification"
    notes: list[str] = check_policy_for_task(policy, task, label=table.label, from_config=from_config)
    if baseline is not None:
        baseline.check_compatible(table.label, task, (result.summary.get("task") or {}).get("reason"))
        if (note := baseline.settings_note(result.summary.get("config"))) is not None:
            notes.append(note)
        if (note := baseline.features_note(valued_features(result.summary))) is not None:
            notes.append(note)
    mis_name = "outlying_targets" if regression else "mislabeled"
    valued_mask = ~frame.get_column("is_label_missing").to_numpy()
    n_valued = int(valued_mask.sum())
    if n_valued < frame.height:  # (a gate that passed on a third of the rows must say so)
        from .table import rows_text

        unjudged = frame.height - n_valued
        notes.append(f"{unjudged} of the {frame.height} rows have no {'target' if regression else 'label'} "
                     f"({rows_text(np.flatnonzero(~valued_mask).tolist())}): they are not judged, and the shares "
                     f"count the {n_valued} rows that have one")
    mis = np.flatnonzero(frame.get_column("is_mislabeled").fill_null(False).to_numpy())
    hard = np.flatnonzero(frame.get_column("is_hard").fill_null(False).to_numpy())

    lines: list[CheckLine | None] = [
        _line(mis_name, mis, n_valued, policy, "mislabeled"),
        _line("hard", hard, n_valued, policy, "hard"),
    ]
    per_class: dict[str, dict[str, int]] = {}
    is_mis = frame.get_column("is_mislabeled").fill_null(False).to_numpy()
    is_hard = frame.get_column("is_hard").fill_null(False).to_numpy()
    from .report.formats import class_name_text
    from .table import class_text

    classes = list(result.summary["classes"])  # class_text(class) in the summary's order
    code_of = {c: i for i, c in enumerate(classes)}
    codes = np.array([code_of.get(class_text(v), -1) for v in frame.get_column("label").to_list()], dtype=np.int64)
    for i, cls in enumerate(classes):
        in_class = (codes == i) & valued_mask
        per_class[cls] = {
            "rows": int(in_class.sum()),
            "mislabeled": int((in_class & is_mis).sum()),
            "hard": int((in_class & is_hard).sum()),
        }
        lines.append(
            _line(f"mislabeled[class={class_name_text(cls)}]", np.flatnonzero(in_class & is_mis), int(in_class.sum()), policy,
                  "mislabeled_per_class", label=cls)
        )
    dups = np.flatnonzero(result.frame.get_column("is_conflicting_duplicate").to_numpy())  # (as `score` marks them)
    lines.append(_line("conflicting_duplicates", dups, n_valued, policy, "conflicting_duplicates"))

    key = "id" if table.id_column is not None else "hash"
    own_columns = identity_columns(table, result.summary["features"]["ignored"]) if key == "hash" else None
    all_keys = _all_row_keys(table, key, own_columns)
    mis_keys = [all_keys[i] for i in mis.tolist()]
    hard_keys = [all_keys[i] for i in hard.tolist()]
    baseline_doc: dict[str, Any] | None = None
    if baseline is not None:
        new_mis, new_hard, baseline_doc = _compare_with_baseline(
            result, baseline, key, all_keys, own_columns, mis, hard, notes
        )
        lines.append(_line(f"new_{mis_name}", new_mis, n_valued, policy, "new_mislabeled"))
        lines.append(_line("new_hard", new_hard, n_valued, policy, "new_hard"))
        if lines[-1] is None and lines[-2] is None:  # (compared, and written to the JSON, but gating nothing)
            notes.append(f"the baseline was compared ({len(new_mis)} new {mis_name.replace('_', ' ')}, {len(new_hard)} "
                         "new hard) but no --max-new-* / --warn-new-* threshold is set, so it gates nothing")
    checks = tuple(c for c in lines if c is not None)
    notes.extend(_warn_above_max(checks))  # (a warn above its max in rows: an error, before any output)
    notes.extend(note for c in checks
                 if (note := _new_rows_noise_note(c, int(hard.size if c.name == "new_hard" else mis.size))))
    if any(c.name == "hard" for c in checks):
        notes.append(_hard_count_note(result, n_valued))
    if any(c.status == "fail" for c in checks):
        status = "fail"
    elif any(c.status == "warn" for c in checks):
        status = "warn"
    else:
        status = "pass"
    if policy.is_empty:
        notes.append("no thresholds are set: pass --max-mislabeled etc. or set them in [tool.dvclean.check]")
    elif not checks:
        set_ = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in policy.to_dict().items() if v is not None)
        notes.append(
            f"no check ran: the thresholds set ({set_}) do not apply to this data, so the gate passes without "
            "checking anything"
        )
    if regression:  # (the per-class limits, skipped above with a note, count nothing)
        named = [f"--{k.replace('_', '-')}" for k, v in policy.to_dict().items()
                 if v is not None and "mislabeled" in k and "per_class" not in k]
        notes.append("regression target: is_mislabeled flags outlying targets; "
                     f"{', '.join(named) if named else '--max-mislabeled'} {'count' if len(named) > 1 else 'counts'} them")
    shown = np.concatenate([_ranked(result.frame, n, flagged).get_column("__row").to_numpy()
                            for n, flagged in ((TOP_ROWS, False), (MAX_ANNOTATIONS, True))]).astype(np.int64)
    lines = _lines_for(result, np.unique(shown))  # (one pass over the file for both)
    return CheckOutcome(
        checks=checks,
        status=status,
        summary=result.summary,
        policy=policy,
        flagged={
            "key": key,
            "id_column": table.id_column,
            "hash_columns": own_columns,
            "mislabeled": mis_keys,
            "hard": hard_keys,
            "sample": _row_sample(all_keys, key),
        },
        rows=suspicious_rows(result, key=key, lines=lines),
        flagged_rows=suspicious_rows(result, key=key, n=MAX_ANNOTATIONS, flagged=True, lines=lines),
        baseline=baseline_doc,
        per_class=per_class,
        conflicting_duplicates=int(dups.size),
        notes=tuple(notes),
    )


def suspicious_rows(result: ScoreResult, *, key: str, n: int = TOP_ROWS, flagged: bool = False,
                    lines: dict[int, int] | None = None) -> list[dict[str, Any]]:
    """The ``n`` lowest-valued rows with id, CSV line (when the input is a plain CSV file), key and flags.

    With ``flagged``, the first ``n`` flagged rows instead, as a failed check points at them: the mislabeled (or
    outlying-target) rows first, the likeliest wrong first (highest ``mislabel_score``), then the hard rows,
    lowest value first. A mislabeled row's value need not be among the lowest, so the lowest-valued rows can
    miss most of the rows a failed ``--max-mislabeled`` is about. ``lines``: the CSV lines of (at least) these rows,
    when already known."""
    ranked = _ranked(result.frame, n, flagged)
    rows = ranked.get_column("__row").to_numpy().astype(np.int64)
    keys = _row_keys(result, rows, key)
    lines = _lines_for(result, rows) if lines is None else lines
    id_name = result.frame.columns[0]
    out = []
    for r, k, rec in zip(rows.tolist(), keys, ranked.iter_rows(named=True), strict=True):
        out.append(
            {
                "row": r,
                "row_id": json_scalar(rec[id_name]),
                "line": lines.get(r),
                "key": k,
                "label": json_scalar(rec["label"]),
                "neighbor_label": json_scalar(rec["neighbor_label"]),
                "value": json_scalar(rec["value"]),
                "value_rank": json_scalar(rec["value_rank"]),
                "mislabel_score": json_scalar(rec["mislabel_score"]),
                "is_mislabeled": bool(rec["is_mislabeled"]),
                "is_hard": bool(rec["is_hard"]),
                # the evidence behind is_mislabeled (absent columns, e.g. regression: None)
                "given_label_prob": json_scalar(rec.get("given_label_prob")),
                "suggested_label": json_scalar(rec.get("suggested_label")),
                "suggested_label_prob": json_scalar(rec.get("suggested_label_prob")),
                # regression: the prediction whose residual the outlying-target flag measures
                "predicted_value": json_scalar(rec.get("predicted_value")),
            }
        )
    return out


def _ranked(frame: pl.DataFrame, n: int, flagged: bool) -> pl.DataFrame:
    """The rows :func:`suspicious_rows` describes, in its order, with their row number ``__row``."""
    ranked = frame.with_row_index("__row").filter(pl.col("value_rank").is_not_null())
    if not flagged:
        return ranked.sort("value_rank").head(n)
    mis = pl.col("is_mislabeled").fill_null(False)
    return ranked.filter(mis | pl.col("is_hard").fill_null(False)).sort(
        [mis, pl.when(mis).then(pl.col("mislabel_score")), pl.col("value_rank")],
        descending=[True, True, False], nulls_last=True,
    ).head(n)


def _prob(v: Any) -> str:
    return f"{v:.2f}" if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else "?"


def mislabel_evidence(row: dict[str, Any]) -> str:
    """Why a row of :func:`suspicious_rows` is flagged mislabeled, in words (classification).

    States the real evidence: the pooled probability of the given label and the
    suggested label with its probability; the nearest neighbours are mentioned
    only when their majority disagrees with the label.

    Examples
    --------
    >>> mislabel_evidence({"label": ">50K", "neighbor_label": ">50K", "given_label_prob": 0.12,
    ...                    "suggested_label": "<=50K", "suggested_label_prob": 0.81})
    'label >50K looks wrong: p(>50K)=0.12, suggested <=50K (p=0.81)'
    >>> mislabel_evidence({"label": "a", "neighbor_label": "b", "given_label_prob": 0.2,
    ...                    "suggested_label": "b", "suggested_label_prob": 0.8})
    'label a looks wrong: p(a)=0.20, suggested b (p=0.80); most of its nearest neighbours say b'
    >>> mislabel_evidence({"label": "yes ", "neighbor_label": "yes", "suggested_label": "yes"})
    "label 'yes ' looks wrong: suggested yes; most of its nearest neighbours say yes"
    """
    label, neighbours = row.get("label"), row.get("neighbor_label")
    parts = []
    if row.get("given_label_prob") is not None:
        parts.append(f"p({label_text(label)})={_prob(row['given_label_prob'])}")
    suggested = row.get("suggested_label")
    if suggested is not None and str(suggested) != str(label):
        prob = row.get("suggested_label_prob")
        parts.append(f"suggested {label_text(suggested)}" + (f" (p={_prob(prob)})" if prob is not None else ""))
    text = f"label {label_text(label)} looks wrong" + (f": {', '.join(parts)}" if parts else "")
    if neighbours is not None and str(neighbours) != str(label):
        text += f"; most of its nearest neighbours say {label_text(neighbours)}"
    return text


def _lines_for(result: ScoreResult, rows: np.ndarray) -> dict[int, int]:
    info = result.table.source
    if info is None or info.format != "csv" or info.compression is not None or info.path in ("-", "<DataFrame>"):
        return {}
    path = Path(info.path)
    if not path.is_file():
        return {}
    return csv_line_numbers(path, rows.tolist(), separator=info.separator or ",", encoding=info.encoding or "utf-8")
