"""Renderers of a :class:`~dvclean.check.CheckOutcome`: text, Markdown, GitHub, JUnit XML.

Pure functions from the outcome to a string; nothing here writes files or
prints (the CLI does). Rounding happens here, never in :mod:`dvclean.check`.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..check import CheckOutcome

__all__ = [
    "MAX_ANNOTATIONS",
    "STEP_SUMMARY_MAX_BYTES",
    "STEP_SUMMARY_MIN_BYTES",
    "annotation_path",
    "escape_controls",
    "escape_data",
    "escape_property",
    "github_annotations",
    "label_text",
    "step_summary",
    "to_junit_xml",
    "to_markdown",
    "to_text",
]

#: GitHub shows at most 10 warning annotations per step.
MAX_ANNOTATIONS = 10
#: GitHub rejects a step summary above 1 MiB; stay far below it.
STEP_SUMMARY_MAX_BYTES = 256 * 1024
_TRUNCATED = "\n\n_(summary truncated; see the JSON output or the HTML report)_\n"
#: The smallest ``max_bytes`` of :func:`step_summary`: the note that says the summary was cut.
STEP_SUMMARY_MIN_BYTES = len(_TRUNCATED.encode("utf-8"))


def number_text(v: float) -> str:
    """A float as the summaries, reports and CI outputs print it: four decimals, three significant digits
    below 0.001 and, at a billion and beyond, six significant digits rather than a wall of digits.

    >>> number_text(0.5), number_text(0.00012345), number_text(3.1257e17), number_text(-2e9)
    ('0.5000', '0.000123', '3.1257e+17', '-2e+09')
    """
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e9):
        return f"{v:.3g}" if abs(v) < 1e-3 else f"{v:.6g}"
    return f"{v:.4f}"


def target_text(v: Any, spread: Any) -> str:
    """A regression target's number with the digits its spread needs: four significant digits of ``spread``
    (the target's standard deviation), so that a flagged target stands apart from its neighbours' mean even when
    the values are large (timestamps, prices: ``1700000412.3`` and ``1700000005.1``, not ``1.7e+09`` twice).
    Anything else, or no usable spread, is printed as :func:`number_text` prints it.

    >>> target_text(1700000412.345, 56.1), target_text(2.5, 1.0), target_text(1e12 + 3.5, 2.0), target_text(103, 9.5)
    ('1700000412.35', '2.5000', '1000000000003.500', '103')
    """
    if not isinstance(v, float):  # an integer target (an age, a count, a Unix time) as it is in the file
        return "" if v is None else str(v)
    if not math.isfinite(v) or not isinstance(spread, (int, float)) or not math.isfinite(spread) or spread <= 0:
        return number_text(v)
    step = float(spread) / 1000  # the last digit shown
    if step >= 1e-4 and 1e-3 <= abs(v) < 1e9:
        return number_text(v)  # its four decimals show the spread already
    if abs(v) < 1e15 and step >= 1e-12:
        return f"{v:.{max(0, -math.floor(math.log10(step)))}f}"
    digits = math.floor(math.log10(max(abs(v), float(spread)) / step)) + 1
    return f"{v:.{min(max(digits, 1), 17)}g}"


def label_text(v: Any) -> str:
    """A class label as the summaries print it: quoted when its plain text would hide how it is spelled (an
    empty text, spaces at either end), so that a row labelled ``'yes '`` with ``yes`` suggested does not read as
    ``yes`` suggested ``yes``. Anything else is printed as it is (a float as Python writes it, ``1.0``, ``0.12341``:
    as the ``classes:`` line, the scores and a written file spell that class, not ``1.0000``).

    A label longer than :data:`LABEL_SHOWN` characters is cut in the middle, with its length and a digest of the
    whole text (a summary line of a 5,000-character label was 5,000 characters wide, and two labels that differ only
    in the middle must not read alike; the scores and ``--json`` keep it whole). A boolean is spelled ``true`` /
    ``false``, as the scores file and the report write it.

    >>> label_text("yes"), label_text("yes "), label_text(""), label_text(3), label_text(None), label_text(True)
    ('yes', "'yes '", "''", '3', '', 'true')
    >>> label_text(1.0), label_text(0.12341)
    ('1.0', '0.12341')

    A label not in Unicode's composed form (NFC) is escaped, so that it does not print as the composed spelling of
    another class does:

    >>> label_text("caf\u00e9"), label_text("cafe\u0301")
    ('café', "'cafe\\\\u0301'")
    >>> text = label_text("a" * 200 + "b" * 40); len(text), text[145:]
    (199, 'aaaaa…bbbbbbbbbbbbbbbbbbbb (240 characters, #124e3f16)')
    """
    if isinstance(v, str) and len(v) > LABEL_SHOWN:
        return f"{label_text(v[:150])}…{v[-20:]} ({len(v):,} characters, #{text_digest(v)})"
    if type(v).__name__ in ("bool", "bool_"):  # (Python's or numpy's)
        return "true" if v else "false"
    if isinstance(v, str) and (v == "" or v != v.strip()):
        return repr(v)
    if isinstance(v, str) and not composed(v):
        # (``cafe`` + a combining accent beside ``café``: two classes that print alike; README: shown escaped)
        return ascii(v)
    if isinstance(v, float):  # (numpy's floats are floats too)
        return str(float(v))
    return _num(v)


def composed(text: str) -> bool:
    """Whether ``text`` is in Unicode's composed form (NFC), as it prints like no other spelling of itself."""
    return text.isascii() or unicodedata.normalize("NFC", text) == text


def quoted_text(text: Any) -> str:
    """``repr(text)``, escaped (:func:`ascii`) where it is text not in composed form (:func:`composed`), so that two
    spellings of one word in Unicode's two forms do not print alike in a message."""
    return ascii(text) if isinstance(text, str) and not composed(text) else repr(text)


def class_name_text(text: str) -> str:
    """A class's text in a check's name (``mislabeled[class=C]``): as it is, but escaped when it is not in composed
    form (:func:`composed`), so two classes that print alike do not give two checks of one name."""
    return text if composed(text) else ascii(text)[1:-1]


#: The most characters of a class label a summary prints (:func:`label_text`).
LABEL_SHOWN = 200


def text_digest(text: str) -> str:
    """Eight hex digits of the SHA-256 of ``text``: what tells apart two long labels cut alike in a message.

    >>> text_digest("a" * 200 + "b" * 40)
    '124e3f16'
    """
    import hashlib

    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return number_text(v)
    return str(v)


#: Characters that are never printed as they are: C0 and C1 controls and DEL (CR and LF start a new line,
#: which a CI runner reads as a new workflow command; ESC starts terminal escape sequences), the Unicode
#: line and paragraph separators, the bidirectional-text controls (they reorder what is shown), lone
#: surrogates (a file name's undecodable bytes) and the noncharacters U+FFFE/U+FFFF (not allowed in XML).
_CONTROL_CHARS = r"\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff"
_CONTROLS = re.compile(f"[{_CONTROL_CHARS}]")
_CONTROLS_BUT_NEWLINES = re.compile("[" + _CONTROL_CHARS.replace(r"\x00-\x1f", r"\x00-\x09\x0b\x0c\x0e-\x1f") + "]")
_NAMED_CONTROLS = {"\n": r"\n", "\r": r"\r", "\t": r"\t"}


def _visible(m: re.Match[str]) -> str:
    ch = m.group()
    if ch in _NAMED_CONTROLS:
        return _NAMED_CONTROLS[ch]
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_controls(text: Any, *, keep_newlines: bool = False) -> str:
    r"""``str(text)`` with every control character written as a visible escape (``\n``, ``\r``, ``\x1b``, ``\u202e``).

    What every text line that holds a value from the data (class labels, column names,
    ids, cells, the file's name) goes through before it is printed or written as text: a
    CR or LF in a value cannot start a new line (that a CI runner would read as a workflow
    command such as ``::add-mask::``), ESC cannot start a terminal escape sequence, and
    the result is well-formed XML 1.0 character data. Other text, backslashes included,
    is unchanged (so ``\n`` in the output may also be a backslash and an ``n`` in the
    value; the JSON output keeps values exact). ``##[`` is written ``#\x23[``: the GitHub
    runner also reads its legacy ``##[command]`` form anywhere in a line, not only at the
    start. ``keep_newlines``: leave CR and LF (for a caller that escapes them its own way;
    the GitHub workflow commands do not: their values read ``\n`` as the text lines do).

    Examples
    --------
    >>> print(escape_controls("ok\n::set-env name=X::1"))
    ok\n::set-env name=X::1
    >>> print(escape_controls("c\r::error::x \x1b[31mred\x1b[0m \x9b \x00"))
    c\r::error::x \x1b[31mred\x1b[0m \x9b \x00
    >>> print(escape_controls("a\tb \u202eevil \udcff"))
    a\tb \u202eevil \udcff
    >>> print(escape_controls("a ##[stop-commands]tok"))
    a #\x23[stop-commands]tok
    >>> print(escape_controls("C:\\data\\x.csv é 😀"))
    C:\data\x.csv é 😀
    """
    text = (_CONTROLS_BUT_NEWLINES if keep_newlines else _CONTROLS).sub(_visible, str(text))
    return text.replace("##[", "#\\x23[") if "##[" in text else text


def _outcome(outcome: Any, fn: str) -> CheckOutcome:
    """``outcome`` when it is a CheckOutcome, else a ``TypeError`` saying how to get one (a ScoreResult passed
    straight from :func:`dvclean.score` failed deep inside with an AttributeError)."""
    from ..check import CheckOutcome
    from ..config import describe_type
    from ..pipeline import ScoreResult

    if isinstance(outcome, CheckOutcome):
        return outcome
    hint = ("evaluate a policy on it first: outcome = dvclean.check.evaluate_check(result, CheckPolicy(...))"
            if isinstance(outcome, ScoreResult) else "run dvclean.check.evaluate_check(result, policy) first")
    raise TypeError(f"{fn}() takes the CheckOutcome of dvclean.check.evaluate_check, got {describe_type(outcome)}; "
                    f"{hint}")


def _count(v: Any, name: str, fn: str, least: int = 0) -> int:
    """``v`` as an int of at least ``least``, else a ``ValueError``/``TypeError`` naming ``fn``'s argument."""
    import numbers

    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{fn}({name}=...) takes an int, got {v!r}")
    if v < least:
        raise ValueError(f"{fn}({name}=...) must be {least} or more, got {v}")
    return int(v)


def to_text(outcome: CheckOutcome) -> str:
    """One ``PASS|WARN|FAIL name value threshold`` line per check, then the verdict.

    Values from the data (class labels in check names, the file's name) go through
    :func:`escape_controls`: each check is one line, whatever its class holds.
    """
    outcome = _outcome(outcome, "to_text")
    lines = []
    for c in outcome.checks:
        lines.append(escape_controls(c.line()))
        rows_line = new_rows_line(outcome, c)
        if rows_line is not None:
            lines.append(rows_line)
    n = outcome.counts()
    lines.append(
        f"{outcome.status.upper()}: {n['fail']} failed, {n['warn']} warned, {n['pass']} passed "
        f"({escape_controls(outcome.summary['input']['path'])}, {outcome.summary['rows']['total']} rows)"
    )
    return "\n".join(lines) + "\n"


#: How many of a failed or warned ``new_*`` check's rows the text output names (``--json`` lists all).
NEW_ROWS_SHOWN = 10


def new_rows_line(outcome: CheckOutcome, check: Any) -> str | None:
    """``  rows (row_id): 55, 213, ... and 44 more`` under a failed or warned ``new_*`` check line: which rows are
    new, by the scores' row id (the ``--id`` column's value, else the 0-based row number); ``None`` under any other
    line. Indented, so a reader of the ``PASS|WARN|FAIL`` lines skips it."""
    if check.status == "pass" or not check.name.startswith("new_") or outcome.baseline is None:
        return None
    rows = outcome.baseline["new_hard_rows" if check.name == "new_hard" else "new_mislabeled_rows"]
    id_name = outcome.summary.get("id_column") or "row_id"
    shown = ", ".join(escape_controls(str(v)) for v in rows[:NEW_ROWS_SHOWN])
    more = f" and {len(rows) - NEW_ROWS_SHOWN} more (--json lists all)" if len(rows) > NEW_ROWS_SHOWN else ""
    return f"  rows ({escape_controls(str(id_name))}): {shown}{more}"


#: Markdown punctuation that may start inline syntax (links, images, emphasis, code, strikethrough, math,
#: headings, tables); each is written with a backslash, which CommonMark allows before any ASCII punctuation.
#: Parentheses stay as they are: with ``[`` and ``]`` escaped, no ``](`` can start a link's destination.
_MD_PUNCT = re.compile(r"([\\`*_\[\]!#|~$])")


def _md_plain(text: str) -> str:
    """dvclean's own text (counts, thresholds) for a Markdown cell: HTML special characters and pipes escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


#: The ``www.`` that starts one of GitHub's extended autolinks (see :func:`_md_cell`).
_WWW = re.compile(r"(?i)\b(www)\.")


def _md_cell(v: Any) -> str:
    r"""Escape a value for a Markdown table cell or list item: it is shown as the text it is.

    Control characters become visible escapes (a value stays on its line), Markdown
    punctuation is backslash-escaped (no link, image, emphasis, code span, heading or
    cell break), ``& < >`` are HTML entities (no raw HTML), an ``@`` is followed by a
    zero-width space (no @mention that would notify a user when the output is posted as
    a comment) and so are the ``:/`` of ``https://`` and the ``www`` of ``www.`` (no bare
    URL turned into a link by GitHub's autolinks). Numbers are written as numbers.

    Examples
    --------
    >>> print(_md_cell("![i](e.png) **b** a|b <i>"))
    \!\[i\](e.png) \*\*b\*\* a\|b &lt;i&gt;
    >>> _md_cell("@octocat") == "@\u200boctocat"
    True
    >>> _md_cell("https://www.e.example") == "https:\u200b//www\u200b.e.example"
    True
    >>> print(_md_cell("- a\\|b\n"), _md_cell(-0.5))
    \- a\\\|b\\n -0.5000
    """
    if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
        return _num(v)
    text = _MD_PUNCT.sub(r"\\\1", escape_controls(v))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"^(\s*)([+\-=])", r"\1\\\2", text)  # not a list item or a heading's underline
    text = _WWW.sub("\\1\u200b.", text.replace("://", ":\u200b//"))  # no bare URL turned into a link
    return text.replace("@", "@\u200b")


def _md_code(v: Any) -> str:
    r"""``v`` as a Markdown code span: fenced by more backticks than its longest run (CommonMark).

    A backslash does not escape a backtick inside a code span, so the fence is what
    keeps the span closed; a value that starts or ends with a backtick (or with a space
    at both ends) is padded with a space, which the renderer strips. Control characters
    become visible escapes.

    Examples
    --------
    >>> _md_code("data.csv")
    '`data.csv`'
    >>> _md_code("y` ![t](u) `")
    '`` y` ![t](u) ` ``'
    >>> _md_code("a``b")
    '```a``b```'
    """
    text = escape_controls(v)
    if not text:
        return "` `"
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" or (text[0] == text[-1] == " " and text.strip(" ")) else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_ICON = {"pass": "✅ PASS", "warn": "⚠️ WARN", "fail": "❌ FAIL"}


#: :func:`to_markdown` lists at most this many checks and classes (a PR comment holds 65,536 characters: 1,000
#: classes' per-class checks and table took 180,000); the others are counted, and ``--json`` lists them all.
MARKDOWN_MAX_LINES = 50


def _shown_checks(checks: Sequence[Any], most: int) -> tuple[list[Any], str | None]:
    """The checks :func:`to_markdown` lists (all, in their order, up to ``most``; else the ``most`` first of: the ones
    over the whole data, then the failed, the warned and the passed per-class checks, each by most flagged rows) and
    the line that counts the others."""
    if len(checks) <= most:
        return list(checks), None
    rank = {"fail": 1, "warn": 2, "pass": 3}  # (then the most flagged rows first: the worst classes are listed)
    order = sorted(range(len(checks)), key=lambda i: (0 if "[class=" not in checks[i].name else rank[checks[i].status],
                                                      0 if "[class=" not in checks[i].name else -checks[i].count, i))
    keep = order[:most]  # (in that order: the worst classes at the top of the table)
    left = Counter(checks[i].status for i in order[most:])
    said = ", ".join(f"{left[k]} {word}" for k, word in (("fail", "failed"), ("warn", "warned"), ("pass", "passed"))
                     if left[k])
    return [checks[i] for i in keep], f"and {len(checks) - most} more checks ({said}): --json lists every check"


def to_markdown(outcome: CheckOutcome, *, max_rows: int = 10, max_lines: int = MARKDOWN_MAX_LINES) -> str:
    """Markdown summary (for PR comments and ``$GITHUB_STEP_SUMMARY``), with up to ``max_rows`` of the
    lowest-valued rows, and up to ``max_lines`` checks and classes (:data:`MARKDOWN_MAX_LINES`: the classes with
    the most flagged rows, then the largest; the others are counted)."""
    outcome = _outcome(outcome, "to_markdown")
    max_rows = _count(max_rows, "max_rows", "to_markdown")
    max_lines = _count(max_lines, "max_lines", "to_markdown", 1)
    s = outcome.summary
    n = outcome.counts()
    out = [
        f"## dvclean check: {_ICON[outcome.status]}",
        "",
        f"{_md_code(s['input']['path'])}: {s['rows']['total']} rows, label {_md_code(s['label'])}, "
        f"method {_md_cell(s['primary_method'])}, seed {s['seed']}. "
        f"{n['fail']} failed, {n['warn']} warned, {n['pass']} passed.",
        "",
    ]
    if outcome.checks:
        out += ["| status | check | value | threshold |", "|---|---|---:|---|"]
        checks, more = _shown_checks(outcome.checks, max_lines)
        for c in checks:
            out.append(f"| {_ICON[c.status]} | {_md_cell(c.name)} | {_md_plain(c.value_text)} | {_md_plain(c.threshold_text)} |")
        out += [""] + ([more, ""] if more else [])
    else:
        unset = any(note.startswith("no thresholds are set") for note in outcome.notes)
        out += ["No thresholds are set." if unset else "No check ran (see the notes).", ""]
    if outcome.notes:
        out += ["**Notes**", ""] + [f"- {_md_cell(note)}" for note in outcome.notes] + [""]
    regression = (s.get("task") or {}).get("name") == "regression"
    if regression:
        out += [f"Regression target: {s['flags']['mislabeled']} outlying targets, {s['flags']['hard']} hard rows.", ""]
    else:
        out += ["| class | rows | mislabeled | hard |", "|---|---:|---:|---:|"]
        classes = list(outcome.per_class.items())
        if len(classes) > max_lines:  # (the classes with the most flagged rows, then the largest)
            top = sorted(range(len(classes)), key=lambda i: (-classes[i][1]["mislabeled"], -classes[i][1]["rows"], i))
            kept = top[:max_lines]  # (most flagged first, as the checks above)
            left = [classes[i][1] for i in top[max_lines:]]
            more = (f"and {len(left)} more classes ({sum(v['rows'] for v in left)} rows, "
                    f"{sum(v['mislabeled'] for v in left)} mislabeled): --json lists every class")
            classes = [classes[i] for i in kept]
        else:
            more = None
        for cls, v in classes:
            out.append(f"| {_md_cell(label_text(str(cls)))} | {v['rows']} | {v['mislabeled']} | {v['hard']} |")
        out += [""] + ([more, ""] if more else [])
    if outcome.baseline is not None:
        b = outcome.baseline
        out += [
            f"Baseline {_md_code(Path(b['path']).name)} (by {b['key']}): {b['new_mislabeled']} new "
            f"{'outlying targets' if regression else 'mislabeled'}, {b['new_hard']} new hard rows.",
            "",
        ]
    rows = outcome.rows[:max_rows]
    if rows:
        # as the human summary of `dvclean score` says it: a regression target has outlying targets, not wrong labels
        nb_col, score_col = ("neighbours' mean", "outlier score") if regression else ("neighbours' label", "mislabel score")
        out += [
            f"<details><summary>{len(rows)} lowest-valued rows</summary>",
            "",
            f"| row | line | label | {nb_col} | value | {score_col} | flag |",
            "|---:|---:|---|---|---:|---:|---|",
        ]
        spread = (outcome.summary.get("target") or {}).get("std") if regression else None
        for r in rows:
            flag = ("outlying target" if regression else "mislabeled") if r["is_mislabeled"] else ("hard" if r["is_hard"] else "")
            label, neighbors = (_md_cell(label_text(r["label"])), _md_cell(label_text(r["neighbor_label"])))
            if regression:  # the digits the target's spread needs (a number; text is escaped as it is)
                label, neighbors = (target_text(v, spread) if isinstance(v, (int, float)) else cell
                                    for v, cell in ((r["label"], label), (r["neighbor_label"], neighbors)))
            out.append(
                f"| {_md_cell(r['row_id'])} | {_md_cell(r['line'])} | {label} | "
                f"{neighbors} | {_md_cell(r['value'])} | {_md_cell(r['mislabel_score'])} | {flag} |"
            )
        out += ["", "</details>", ""]
    return "\n".join(out) + "\n"


def step_summary(outcome: CheckOutcome, *, max_bytes: int = STEP_SUMMARY_MAX_BYTES) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``, cut to at most ``max_bytes`` bytes (UTF-8): at least
    :data:`STEP_SUMMARY_MIN_BYTES`, the note that says the summary was cut."""
    outcome = _outcome(outcome, "step_summary")
    max_bytes = _count(max_bytes, "max_bytes", "step_summary", STEP_SUMMARY_MIN_BYTES)
    text = to_markdown(outcome)
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    budget = max_bytes - STEP_SUMMARY_MIN_BYTES
    cut = data[:budget].decode("utf-8", errors="ignore")
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return cut + _TRUNCATED


def escape_data(text: str) -> str:
    """Escape a workflow-command message (``%``, CR, LF), as actions/toolkit does."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation_path(path: str, workspace: str | None = None) -> str:
    """The data file's path relative to ``$GITHUB_WORKSPACE`` (or the current directory) when inside it."""
    base = Path(workspace or os.environ.get("GITHUB_WORKSPACE") or os.getcwd()).resolve()
    try:
        return Path(path).resolve().relative_to(base).as_posix()
    except ValueError:
        return path


def _command(kind: str, props: dict[str, Any], message: str) -> str:
    r"""One workflow command, its message and property values shown as the text lines show them.

    Every control character, CR and LF included, is first written as the visible escape
    :func:`escape_controls` makes (``\n``, ``\r``, ``\x1b``), so an annotation reads as the
    check line does instead of GitHub rendering a label's newline as a line break (the ``file``
    property keeps CR and LF, %-escaped, so that it still names the file); then
    :func:`escape_data` / :func:`escape_property` escape what the workflow-command syntax
    needs (``%``, and ``:`` and ``,`` in properties). No value can end the command or start
    another. (dvclean's own messages are one line each, so no annotation body needs ``%0A``.)

    Examples
    --------
    >>> print(_command("error", {"file": "a,b.csv", "title": "x: y"}, "bad\n::set-env name=X::1 50%\r"))
    ::error file=a%2Cb.csv,title=x%3A y::bad\n::set-env name=X::1 50%25\r
    """

    def prop(k: str, v: Any) -> str:
        # the file property must name the file itself to attach the annotation: there CR and LF stay,
        # %-escaped by escape_property (they cannot end the command either way)
        return escape_property(escape_controls(v, keep_newlines=k == "file"))

    p = ",".join(f"{k}={prop(k, v)}" for k, v in props.items() if v is not None)
    msg = escape_data(escape_controls(message))
    return f"::{kind} {p}::{msg}" if p else f"::{kind}::{msg}"


def github_annotations(
    outcome: CheckOutcome, *, file: str | None, max_annotations: int = MAX_ANNOTATIONS,
    limits: dict[str, int] | None = None,
) -> list[str]:
    """Workflow commands: one ``::error`` per failed check, a ``::notice`` per note, and ``::warning``
    lines for the flagged rows (:attr:`~dvclean.check.CheckOutcome.flagged_rows`: mislabeled first).

    At most ``max_annotations`` of each kind (GitHub's per-step display limit), or ``limits[kind]`` for the
    kinds ``limits`` names (``error``, ``notice``, ``warning``: what is left of one step's budget when several
    files are checked in it); rows carry ``file=`` (none for data read from stdin, ``file=None``) and, for a
    plain CSV, ``line=`` (1-based, quoted newlines counted).
    """
    from ..check import mislabel_evidence

    outcome = _outcome(outcome, "github_annotations")
    max_annotations = _count(max_annotations, "max_annotations", "github_annotations")

    limits = {kind: _count(n, f"limits[{kind!r}]", "github_annotations", -(2**63))  # (below 0: none left)
              for kind, n in (limits or {}).items()}

    def most(kind: str) -> int:
        return max(0, limits.get(kind, max_annotations))

    out: list[str] = []
    failed = [c for c in outcome.checks if c.status == "fail"][:most("error")]
    for c in failed:
        out.append(_command("error", {"file": file, "title": f"dvclean check failed: {c.name}"}, c.line()))
    for note in outcome.notes[:most("notice")]:  # e.g. a baseline whose rows could not be matched
        out.append(_command("notice", {"file": file, "title": "dvclean check note"}, note))
    flagged = (outcome.flagged_rows or [r for r in outcome.rows if r["is_mislabeled"] or r["is_hard"]])[:most("warning")]
    regression = (outcome.summary.get("task") or {}).get("name") == "regression"
    for r in flagged:
        where = f"row {r['row_id']}" + (f" (line {r['line']})" if r["line"] else "")
        if r["is_mislabeled"] and regression:
            title = "dvclean: outlying target"
            predicted = r.get("predicted_value")
            spread = (outcome.summary.get("target") or {}).get("std")
            basis = (f"predicted {target_text(predicted, spread)}" if predicted is not None
                     else f"its nearest neighbours average {target_text(r['neighbor_label'], spread)}")
            msg = (
                f"{where}: target {target_text(r['label'], spread)} is far from what the other rows predict ({basis}); value "
                f"{_num(r['value'])}, outlier score {_num(r['mislabel_score'])}"
            )
        elif r["is_mislabeled"]:
            title = "dvclean: likely mislabeled"
            msg = (
                f"{where}: {mislabel_evidence(r)}; value {_num(r['value'])}, mislabel score {_num(r['mislabel_score'])}"
            )
        else:
            title = "dvclean: hard row"
            msg = (f"{where}: {'target' if regression else 'label'} {r['label']!s}, low data value {_num(r['value'])} "
                   f"(rank {r['value_rank']})")
        out.append(_command("warning", {"file": file, "line": r["line"], "title": title}, msg))
    return out


def to_junit_xml(outcome: CheckOutcome) -> bytes:
    """JUnit XML: one ``<testcase>`` per check; FAIL is a ``<failure>``, WARN goes to ``<system-out>``.

    Every value goes through :func:`escape_controls`, so the document is well-formed XML 1.0
    whatever the class labels and the file's name hold (XML cannot carry most control
    characters, even as character references).
    """
    outcome = _outcome(outcome, "to_junit_xml")
    x = escape_controls
    n = outcome.counts()
    from ..pipeline import total_seconds

    total_time = total_seconds(outcome.summary.get("timings", {}))
    suites = ET.Element("testsuites", name="dvclean", tests=str(len(outcome.checks)), failures=str(n["fail"]))
    suite = ET.SubElement(
        suites, "testsuite", name="dvclean check", tests=str(len(outcome.checks)), failures=str(n["fail"]),
        errors="0", skipped="0", time=f"{total_time:.3f}",
    )
    props = ET.SubElement(suite, "properties")
    for k, v in (
        ("input", outcome.summary["input"]["path"]),
        ("sha256", outcome.summary["input"]["sha256"]),
        ("seed", outcome.summary["seed"]),
        ("status", outcome.status),
    ):
        ET.SubElement(props, "property", name=k, value=x(v))
    # the file name as one segment: CI viewers read the dots of "data.csv" as packages
    classname = "dvclean.check." + x(Path(str(outcome.summary["input"]["path"])).name.replace(".", "_"))
    for c in outcome.checks:
        case = ET.SubElement(suite, "testcase", classname=classname, name=x(c.name), time="0")
        if c.status == "fail":
            fail = ET.SubElement(case, "failure", message=x(c.line()), type="threshold")
            fail.text = x(c.line())
        elif c.status == "warn":
            ET.SubElement(case, "system-out").text = x(c.line())
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)
