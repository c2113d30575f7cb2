"""Values from the data are escaped for every medium they are printed in.

dvclean runs in CI on data from pull requests: a class label, column name, id, cell or
file name may hold a newline followed by ``::add-mask::``, a lone CR, the runner's legacy
``##[command]`` marker, terminal escape sequences, Markdown or control characters that
XML cannot carry. None of them may forge a workflow command, reach the terminal, break
out of a Markdown code span or cell, or make the JUnit XML ill-formed; the JSON output
keeps the values exact.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import logging
import random
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

import dvclean
from dvclean.check import CheckPolicy, evaluate_check
from dvclean.cli import app
from dvclean.cli._output import setup_logging
from dvclean.report import formats
from dvclean.report.formats import escape_controls

runner = CliRunner()
#: Not a terminal, 80 columns (as in a CI log), not under GitHub Actions unless a test says so.
ENV = {"COLUMNS": "80", "TERMINAL_WIDTH": "80", "GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": "", "CI": ""}

SET_ENV = "ok\n::set-env name=PWN::1"
LONE_CR = "c\r::error file=evil.py::pwn \x1b[31mRED\x1b[0m\x1b]8;;https://evil.example\x1b\\osc\x1b]8;;\x1b\\ \x9b2J ##[add-mask]zz"
MARKDOWN = "[red]x[/] ![t](https://evil.example/t.png) [phish](https://evil.example) @octocat **b** _i_ ~s~ a|b\\|c <script>`x`\x01\x0b"
#: Long enough to be wrapped at 80 columns, at the space before ``::add-mask::`` (a new line that the runner reads).
WRAPPED = "w" * 70 + " ::add-mask::wrapped"
LABELS = (SET_ENV, LONE_CR, MARKDOWN, WRAPPED)
NUM = "num\n::error::colname"
CONST = "const\r::warning::c"
BAD_CELL = "bad\n::error title=CELL::cell"
FILE_NAME = "evil\n::error title=FORGED::fn\r::add-mask::y \x1b]0;title\x07.csv"
COMMANDS_OF_DVCLEAN = {"error", "warning", "notice"}


def make_csv(path: Path, labels: tuple[str, ...] = LABELS, n: int = 160) -> Path:
    """``n`` rows of two Gaussian features (one class a blob), every 10th label flipped; a numeric column named
    ``NUM`` with one text cell, a constant column named ``CONST`` and an id column whose values hold a newline."""
    rnd = random.Random(0)
    rows = []
    for i in range(n):
        k = i % len(labels)
        label = labels[(k + 1) % len(labels)] if i % 10 == 0 else labels[k]
        num = BAD_CELL if i == 5 else f"{rnd.gauss(0, 1):.3f}"
        rows.append([f"id\n::warning::inj-{i}", f"{rnd.gauss(k * 4, 1):.3f}", f"{rnd.gauss(-k * 3, 1):.3f}", num, "7", label])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "f1", "f2", NUM, CONST, "y"])
        w.writerows(rows)
    return path


def runner_commands(text: str) -> list[tuple[str, str]]:
    """The workflow commands the GitHub runner reads in a step's output: ``(command, line)``.

    As actions/runner does: the output is split into lines at CR, LF and CRLF; a line is a
    command when it starts with ``::`` after leading whitespace, or (the legacy form) when
    it holds ``##[name]`` anywhere.
    """
    found = []
    for line in re.split(r"\r\n|\r|\n", text):
        v2 = line.lstrip()
        if v2.startswith("::") and "::" in v2[2:]:
            found.append((v2[2 : v2.index("::", 2)].split(" ")[0], line))
            continue
        start = line.find("##[")
        if start >= 0 and "]" in line[start:]:
            found.append((line[start + 3 : line.index("]", start)].split(" ")[0], line))
    return found


def forged(text: str) -> list[str]:
    """The lines of ``text`` the runner reads as a command that is not one of dvclean's own annotations."""
    return [
        line for name, line in runner_commands(text)
        if not (name in COMMANDS_OF_DVCLEAN and line.startswith(f"::{name} file=") and ",title=dvclean" in line)
    ]


def invoke(*args: object, env: dict[str, str] | None = None):
    return runner.invoke(app, [str(a) for a in args], env={**ENV, **(env or {})})


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return make_csv(tmp_path_factory.mktemp("escaping") / FILE_NAME)


@pytest.fixture(scope="module")
def outcome(data):
    result = dvclean.score(data, label="y", id_column="id")
    policy = CheckPolicy(max_mislabeled=1, max_mislabeled_per_class=1, warn_hard=0)
    from dvclean.cli.check_cmd import with_score_notes

    return with_score_notes(evaluate_check(result, policy))


# ------------------------------------------------------------------ the shared function


def test_escape_controls_makes_every_control_character_visible():
    assert escape_controls("a\nb\rc\td") == r"a\nb\rc\td"
    assert escape_controls("\x00\x01\x0b\x0c\x1b[31m\x7f\x85\x9b") == r"\x00\x01\x0b\x0c\x1b[31m\x7f\x85\x9b"
    assert escape_controls("\u2028\u2029\u202e\u2066\ufffe\uffff\udcff") == r"\u2028\u2029\u202e\u2066\ufffe\uffff\udcff"
    assert escape_controls("x ##[stop-commands]tok") == r"x #\x23[stop-commands]tok"
    plain = "C:\\data\\x.csv é 😀 [red]x[/] :: % , ` * _ | < &"
    assert escape_controls(plain) == plain  # printable text (backslashes too) is unchanged
    assert escape_controls(12) == "12"
    assert escape_controls("a\r\nb\x1b", keep_newlines=True) == "a\r\nb\\x1b"
    for text in LABELS + (NUM, CONST, BAD_CELL, FILE_NAME):
        out = escape_controls(text)
        assert out.isprintable() and not forged(out) and not runner_commands(out)


# ------------------------------------------------------------------ D1, D2, D6, D7: lines on stdout and stderr


@pytest.mark.parametrize("how", ["--format github", "GITHUB_ACTIONS=true"])
def test_github_format_forges_no_workflow_command(data, tmp_path, how):
    """The plain check lines, the verdict (with the file's name) and the notes (::notice) are one visible line each;
    the only commands are dvclean's own annotations, whose values show control characters as the check lines do."""
    summary = tmp_path / "summary.md"
    args = ["check", data, "-y", "y", "--id", "id", "--max-mislabeled-per-class", "1"]
    env = {"GITHUB_STEP_SUMMARY": str(summary), "GITHUB_WORKSPACE": str(data.parent)}
    if how == "--format github":
        args += ["--format", "github"]
    else:
        env["GITHUB_ACTIONS"] = "true"
    res = invoke(*args, env=env)
    assert res.exit_code == 1, res.output
    assert forged(res.stdout) == [] and runner_commands(res.stderr) == []
    assert "\x1b" not in res.stdout + res.stderr and "\x9b" not in res.stdout + res.stderr
    lines = res.stdout.split("\n")
    # (PASS or FAIL: what matters is that each check is one visible line)
    assert any(ln[5:].startswith(r"mislabeled[class=ok\n::set-env name=PWN::1] ") for ln in lines), lines
    assert any(ln[5:].startswith(r"mislabeled[class=c\r::error file=evil.py::pwn \x1b[31mRED") for ln in lines)
    verdict = next(ln for ln in lines if ln.startswith("FAIL: "))
    assert verdict.endswith(r"evil\n::error title=FORGED::fn\r::add-mask::y \x1b]0;title\x07.csv, 160 rows)")
    errors = [ln for ln in lines if ln.startswith("::error ")]
    assert len(errors) == sum(ln.startswith("FAIL mislabeled") for ln in lines) >= 2
    assert any(r"[class=c\r::error file=evil.py::pwn " in ln for ln in errors)  # CR shown as \r, as in the check line
    # the notes: said once, as dvclean's ::notice annotations (not repeated as note: lines on stderr)
    notes = [ln for ln in lines if ln.startswith("::notice ")]
    assert any(r"column 'num\n::error::colname' holds numbers" in ln for ln in notes), res.stdout
    assert any(r"ignored feature columns: const\r::warning::c (constant)" in ln for ln in notes), res.stdout
    assert "note: " not in res.stderr, res.stderr


def test_text_format_one_visible_line_per_check(data):
    """Text format: no ESC or CSI reaches the terminal, and a long check line is not wrapped in a pipe."""
    res = invoke("check", data, "-y", "y", "--id", "id", "--max-mislabeled-per-class", "1", "--warn-hard", "0",
                 "--format", "text")
    assert res.exit_code == 1, res.output
    out = res.stdout + res.stderr
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out
    assert runner_commands(out) == []
    lines = res.stdout.splitlines()
    assert len(lines) == len(LABELS) + 2  # one per class, the hard check, the verdict
    assert any(ln.startswith(f"FAIL mislabeled[class={WRAPPED}] ") and ln.endswith(" max 1 row") for ln in lines), lines
    assert any(r"\x1b[31mRED\x1b[0m\x1b]8;;https://evil.example\x1b\osc" in ln for ln in lines)
    assert any("[red]x[/]" in ln for ln in lines)  # rich markup in a label is printed as it is


@pytest.mark.parametrize("command", ["score", "fix"])
def test_score_and_fix_summaries_and_notes_are_visible_lines(data, tmp_path, command):
    """score's summary (its ``classes:`` line and table) and the note lines of score and fix."""
    res = invoke(command, data, "-y", "y", "--id", "id", "-o", tmp_path / "out.csv")
    assert res.exit_code == 0, res.output
    out = res.stdout + res.stderr
    assert runner_commands(out) == [], runner_commands(out)
    assert "\x1b" not in out and "\x9b" not in out and "\x07" not in out and "\r" not in out
    notes = [ln for ln in out.split("\n") if ln.startswith("note: ")]
    assert any(r"ignored feature columns: const\r::warning::c (constant)" in ln for ln in notes), out
    if command == "score":
        classes = next(ln for ln in res.stdout.split("\n") if ln.startswith("classes: "))
        assert r"ok\n::set-env name=PWN::1: " in classes and f"{WRAPPED}: " in classes  # one line, not wrapped


def test_error_message_names_the_file_on_one_visible_line(data):
    res = invoke("check", data, "-y", "no such column")
    assert res.exit_code == 2
    assert runner_commands(res.stderr) == [] and "\x1b" not in res.stderr and "\x07" not in res.stderr
    assert res.stderr.startswith(r"error: ") and r"evil\n::error title=FORGED::fn\r::add-mask::y" in res.stderr


def test_show_config_shows_a_value_on_its_line(tmp_path):
    """A configuration file comes with the pull request too."""
    (tmp_path / "dvclean.toml").write_text('label = "y\\n::add-mask::x \\u001b[2J"\n', encoding="utf-8")
    res = invoke("check", make_csv(tmp_path / "d.csv", n=20), "--show-config")
    assert res.exit_code == 0, res.output
    assert runner_commands(res.stdout) == [] and "\x1b" not in res.stdout
    assert r'"y\n::add-mask::x \x1b[2J"' in res.stdout


def test_log_records_are_one_visible_line_outside_a_terminal():
    """A log message naming a file or a column: control characters visible, never wrapped onto a new line."""
    buf = io.StringIO()
    setup_logging(Console(file=buf, width=80, soft_wrap=True), quiet=False, verbose=0)
    try:
        logging.getLogger("dvclean.test").warning("%s: the name says csv", WRAPPED + "\n::error::x\x1b[2K")
    finally:
        logging.getLogger("dvclean").handlers[:] = []
    text = buf.getvalue()
    assert text.count("\n") == 1 and runner_commands(text) == [], text
    assert text.startswith("WARNING  " + WRAPPED + r"\n::error::x\x1b[2K: the name says csv")


def test_the_drop_suggestion_is_shell_quoted(outcome):
    note = next(n for n in outcome.notes if n.startswith(f"column {NUM!r} holds numbers"))
    suggested = re.search(r"--drop (.+?) if the column is not numeric", note, re.S)[1]
    assert shlex.split(suggested) == [NUM]


# ------------------------------------------------------------------ JSON: exact values, no legacy command marker


def test_json_output_keeps_values_exact_and_holds_no_command_marker(data):
    res = invoke("check", data, "-y", "y", "--id", "id", "--max-mislabeled-per-class", "1", "--json")
    assert res.exit_code == 1, res.output
    assert res.stdout.count("\n") == 1 and runner_commands(res.stdout) == [] and "##[" not in res.stdout
    doc = json.loads(res.stdout)
    assert set(doc["summary"]["classes"]) == set(LABELS)  # exact, "##[add-mask]" included
    assert doc["input"]["path"].endswith(FILE_NAME) and {c["name"] for c in doc["checks"]} >= {
        f"mislabeled[class={label}]" for label in LABELS}


# ------------------------------------------------------------------ D3, D4: Markdown


def _render(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").render(markdown)


def _codes(rendered: str) -> list[str]:
    return [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", rendered, re.S)]


@pytest.mark.parametrize(
    "name",
    [
        "y` ![t](https://evil.example/t.png) [phish](https://evil.example) `",
        "`lead", "trail`", "a``b```c", " padded ", "<b>x</b> & [l](u)",
    ],
)
def test_markdown_code_spans_hold_the_whole_value(outcome, name):
    summary = {**outcome.summary, "input": {**outcome.summary["input"], "path": name + ".csv"}, "label": name}
    out = dataclasses.replace(outcome, summary=summary, baseline={
        "path": f"/some/dir/{name}.json", "key": "id", "new_mislabeled": 0, "new_hard": 0})
    md = formats.to_markdown(out).split("\n")
    header = md[2]
    baseline = next(line for line in md if line.startswith("Baseline "))
    rendered = _render(header + "\n\n" + baseline + "\n")
    assert "<img" not in rendered and "<a " not in rendered and "<b>" not in rendered
    assert header.endswith("passed.") and rendered.count("<p>") == 2
    codes = _codes(rendered)
    assert codes[:3] == [name + ".csv", name, Path(f"/some/dir/{name}.json").name], codes


def test_markdown_cells_show_the_text_as_it_is(outcome):
    md = formats.to_markdown(outcome)
    rendered = _render(md)
    assert rendered.count("<strong>") == 1 and "<p><strong>Notes</strong></p>" in rendered  # dvclean's own
    assert rendered.count("<code>") == 2  # dvclean's own: the file's name and the label column's
    for tag in ("<img", "<a ", "<em", "<del", "<script", "<h1"):
        assert tag not in rendered, tag
    assert "@octocat" not in rendered and "@\u200boctocat" in rendered  # no @mention
    text = html.unescape(re.sub(r"<[^>]+>", "", rendered)).replace("\u200b", "")
    shown = MARKDOWN.replace("\x01", r"\x01").replace("\x0b", r"\x0b")
    assert shown in text  # the label as it is: a backslash before a pipe too (was "a|b|c")
    assert r"ok\n::set-env name=PWN::1" in text
    cells = formats._md_cell("- item"), formats._md_cell("+ x"), formats._md_cell("# h"), formats._md_cell(-1.5)
    assert _render(f"- {cells[0]}\n- {cells[1]}\n- {cells[2]}\n").count("<li>") == 3 and cells[3] == "-1.5000"


# ------------------------------------------------------------------ D5: JUnit XML


def test_junit_xml_is_well_formed_with_control_characters(outcome, data, tmp_path):
    labels = ("a\x01b<&]]>", "c\x1bd\x0b", "e\x08f\x7f\ufffe")
    path = make_csv(tmp_path / "x\x02.csv", labels=labels)
    result = dvclean.score(path, label="y", id_column="id")
    for out in (evaluate_check(result, CheckPolicy(max_mislabeled=1, max_mislabeled_per_class=1, warn_hard=0)), outcome):
        root = ET.fromstring(formats.to_junit_xml(out))
        names = [case.get("name") for case in root.iter("testcase")]
        assert len(names) == len(out.checks)
        text = " ".join(names + [f.get("message") for f in root.iter("failure")])
        assert all(ch.isprintable() for ch in text)
    assert r"mislabeled[class=a\x01b<&]]>]" in names_of(formats.to_junit_xml(evaluate_check(
        result, CheckPolicy(max_mislabeled_per_class=1))))
    res = invoke("check", path, "-y", "y", "--id", "id", "--max-mislabeled-per-class", "1", "--junit-xml",
                 tmp_path / "j.xml", "--format", "json")
    assert res.exit_code == 1, res.output
    root = ET.parse(tmp_path / "j.xml").getroot()
    assert root.find("testsuite/properties/property[@name='input']").get("value").endswith(r"x\x02.csv")


def names_of(xml: bytes) -> list[str]:
    return [case.get("name") for case in ET.fromstring(xml).iter("testcase")]
