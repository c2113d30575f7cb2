"""Renderers of a :class:`~dvclean.check.CheckOutcome`: text, Markdown, GitHub, JUnit XML.

Pure functions from the outcome to a string; nothing here writes files or
prints (the CLI does). Rounding happens here, never in :mod:`dvclean.check`.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from ..check import CheckOutcome

__all__ = [
    "MAX_ANNOTATIONS",
    "STEP_SUMMARY_MAX_BYTES",
    "annotation_path",
    "escape_data",
    "escape_property",
    "github_annotations",
    "step_summary",
    "to_junit_xml",
    "to_markdown",
    "to_text",
]

#: GitHub shows at most 10 warning annotations per step.
MAX_ANNOTATIONS = 10
#: GitHub rejects a step summary above 1 MiB; stay far below it.
STEP_SUMMARY_MAX_BYTES = 256 * 1024


def _num(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.3g}" if v != 0 and abs(v) < 1e-3 else f"{v:.4f}"
    return str(v)


def to_text(outcome: CheckOutcome) -> str:
    """One ``PASS|WARN|FAIL name value threshold`` line per check, then the verdict."""
    lines = [c.line() for c in outcome.checks]
    n = outcome.counts()
    lines.append(
        f"{outcome.status.upper()}: {n['fail']} failed, {n['warn']} warned, {n['pass']} passed "
        f"({outcome.summary['input']['path']}, {outcome.summary['rows']['total']} rows)"
    )
    return "\n".join(lines) + "\n"


def _md_cell(v: Any) -> str:
    """Escape a value for a Markdown table cell (HTML special chars, pipes, newlines)."""
    text = _num(v) if not isinstance(v, str) else v
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("|", "\\|").replace("\r", " ").replace("\n", " ").replace("`", "\\`")
    return text


_ICON = {"pass": "✅ PASS", "warn": "⚠️ WARN", "fail": "❌ FAIL"}


def to_markdown(outcome: CheckOutcome, *, max_rows: int = 10) -> str:
    """Markdown summary (for PR comments and ``$GITHUB_STEP_SUMMARY``)."""
    s = outcome.summary
    n = outcome.counts()
    out = [
        f"## dvclean check: {_ICON[outcome.status]}",
        "",
        f"`{_md_cell(s['input']['path'])}`: {s['rows']['total']} rows, label `{_md_cell(s['label'])}`, "
        f"method {_md_cell(s['primary_method'])}, seed {s['seed']}. "
        f"{n['fail']} failed, {n['warn']} warned, {n['pass']} passed.",
        "",
    ]
    if outcome.checks:
        out += ["| status | check | value | threshold |", "|---|---|---:|---|"]
        for c in outcome.checks:
            out.append(f"| {_ICON[c.status]} | {_md_cell(c.name)} | {_md_cell(c.value_text)} | {_md_cell(c.threshold_text)} |")
        out.append("")
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
        for cls, v in outcome.per_class.items():
            out.append(f"| {_md_cell(cls)} | {v['rows']} | {v['mislabeled']} | {v['hard']} |")
        out.append("")
    if outcome.baseline is not None:
        b = outcome.baseline
        out += [
            f"Baseline `{_md_cell(Path(b['path']).name)}` (by {b['key']}): {b['new_mislabeled']} new "
            f"{'outlying targets' if regression else 'mislabeled'}, {b['new_hard']} new hard rows.",
            "",
        ]
    rows = outcome.rows[:max_rows]
    if rows:
        # as the human summary of `dvclean score` says it: a regression target has outlying targets, not wrong labels
        nb_col, score_col = ("neighbours' mean", "outlier score") if regression else ("neighbours' label", "mislabel score")
        out += [
            f"<details><summary>{len(rows)} most suspicious rows</summary>",
            "",
            f"| row | line | label | {nb_col} | value | {score_col} | flag |",
            "|---:|---:|---|---|---:|---:|---|",
        ]
        for r in rows:
            flag = ("outlying target" if regression else "mislabeled") if r["is_mislabeled"] else ("hard" if r["is_hard"] else "")
            out.append(
                f"| {_md_cell(r['row_id'])} | {_md_cell(r['line'])} | {_md_cell(r['label'])} | "
                f"{_md_cell(r['neighbor_label'])} | {_md_cell(r['value'])} | {_md_cell(r['mislabel_score'])} | {flag} |"
            )
        out += ["", "</details>", ""]
    return "\n".join(out) + "\n"


def step_summary(outcome: CheckOutcome, *, max_bytes: int = STEP_SUMMARY_MAX_BYTES) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``, cut to at most ``max_bytes`` bytes (UTF-8)."""
    text = to_markdown(outcome)
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    note = "\n\n_(summary truncated; see the JSON output or the HTML report)_\n"
    budget = max_bytes - len(note.encode("utf-8"))
    cut = data[:budget].decode("utf-8", errors="ignore")
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    return cut + note


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
    p = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
    return f"::{kind} {p}::{escape_data(message)}" if p else f"::{kind}::{escape_data(message)}"


def github_annotations(outcome: CheckOutcome, *, file: str, max_annotations: int = MAX_ANNOTATIONS) -> list[str]:
    """Workflow commands: one ``::error`` per failed check, a ``::notice`` per note, and ``::warning``
    lines for the worst flagged rows.

    At most ``max_annotations`` of each kind (GitHub's per-step display limit);
    rows carry ``file=`` and, for a plain CSV, ``line=`` (1-based, quoted newlines counted).
    """
    from ..check import mislabel_evidence

    out: list[str] = []
    failed = [c for c in outcome.checks if c.status == "fail"][:max_annotations]
    for c in failed:
        out.append(_command("error", {"file": file, "title": f"dvclean check failed: {c.name}"}, c.line()))
    for note in outcome.notes[:max_annotations]:  # e.g. a baseline whose rows could not be matched
        out.append(_command("notice", {"file": file, "title": "dvclean check note"}, note))
    flagged = [r for r in outcome.rows if r["is_mislabeled"] or r["is_hard"]][:max_annotations]
    regression = (outcome.summary.get("task") or {}).get("name") == "regression"
    for r in flagged:
        where = f"row {r['row_id']}" + (f" (line {r['line']})" if r["line"] else "")
        if r["is_mislabeled"] and regression:
            title = "dvclean: outlying target"
            msg = (
                f"{where}: target {r['label']!s} is far from what the other rows predict (its nearest neighbours "
                f"average {_num(r['neighbor_label'])}); value {_num(r['value'])}, outlier score {_num(r['mislabel_score'])}"
            )
        elif r["is_mislabeled"]:
            title = "dvclean: likely mislabeled"
            msg = (
                f"{where}: {mislabel_evidence(r)}; value {_num(r['value'])}, mislabel score {_num(r['mislabel_score'])}"
            )
        else:
            title = "dvclean: hard row"
            msg = f"{where}: label {r['label']!s}, low data value {_num(r['value'])} (rank {r['value_rank']})"
        out.append(_command("warning", {"file": file, "line": r["line"], "title": title}, msg))
    return out


def to_junit_xml(outcome: CheckOutcome) -> bytes:
    """JUnit XML: one ``<testcase>`` per check; FAIL is a ``<failure>``, WARN goes to ``<system-out>``."""
    n = outcome.counts()
    total_time = sum(float(v) for v in outcome.summary.get("timings", {}).values() if isinstance(v, (int, float)))
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
        ET.SubElement(props, "property", name=k, value=str(v))
    # the file name as one segment: CI viewers read the dots of "data.csv" as packages
    classname = "dvclean.check." + Path(str(outcome.summary["input"]["path"])).name.replace(".", "_")
    for c in outcome.checks:
        case = ET.SubElement(suite, "testcase", classname=classname, name=c.name, time="0")
        if c.status == "fail":
            fail = ET.SubElement(case, "failure", message=c.line(), type="threshold")
            fail.text = c.line()
        elif c.status == "warn":
            ET.SubElement(case, "system-out").text = c.line()
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True)
