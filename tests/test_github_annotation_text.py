"""GitHub annotations show a value's control characters as the check lines do (``\\n``, ``\\r``).

GitHub decodes ``%0A`` in an annotation's message into a line break; a class label's
newline must read as the same visible ``\\n`` in the annotation as in the plain check
line (and in README's promise), while no value can end the workflow command or start
another.
"""

from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.report import formats
from dvclean.report.formats import escape_controls

runner = CliRunner()
ENV = {"COLUMNS": "80", "TERMINAL_WIDTH": "80", "GITHUB_ACTIONS": "", "GITHUB_STEP_SUMMARY": "", "CI": ""}

NEWLINE_LABEL = "bad\n::set-env name=X::1"
CR_LABEL = "cr\r::add-mask::secret 50%"
LABELS = (NEWLINE_LABEL, CR_LABEL)
FILE_NAME = "odd\nname, 50%.csv"
OWN = re.compile(r"^::(error|warning|notice) file=[^:]*,(line=\d+,)?title=dvclean[^:]*::")


def _unescape_data(s: str) -> str:
    return s.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")


def _unescape_property(s: str) -> str:
    return _unescape_data(s.replace("%3A", ":").replace("%2C", ","))


def _props(line: str) -> tuple[dict[str, str], str]:
    m = re.match(r"^::\w+ (?P<props>[^:]*)::(?P<msg>.*)$", line)
    assert m, line
    return dict(p.split("=", 1) for p in m["props"].split(",")), m["msg"]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """Two Gaussian blobs, one per label; every 8th row's label flipped (so both classes have flagged rows)."""
    rnd = random.Random(1)
    path = tmp_path_factory.mktemp("annotations") / FILE_NAME
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "f1", "f2", "y"])
        for i in range(120):
            k = i % 2
            label = LABELS[1 - k] if i % 8 in (0, 1) else LABELS[k]
            w.writerow([f"r{i:03d}", f"{rnd.gauss(k * 5, 1):.3f}", f"{rnd.gauss(-k * 5, 1):.3f}", label])
    return path


@pytest.fixture(scope="module")
def result(data):
    res = runner.invoke(
        app,
        ["check", str(data), "-y", "y", "--id", "id", "--max-mislabeled-per-class", "0", "--format", "github"],
        env={**ENV, "GITHUB_WORKSPACE": str(data.parent)},
    )
    assert res.exit_code == 1, res.output
    return res


def test_annotation_message_shows_the_escapes_of_the_check_line(result):
    lines = result.stdout.split("\n")
    checks = [ln for ln in lines if ln.startswith(("FAIL mislabeled[class=", "PASS mislabeled[class="))]
    assert any(ln.startswith(r"FAIL mislabeled[class=bad\n::set-env name=X::1] ") for ln in checks), checks
    assert any(ln.startswith(r"FAIL mislabeled[class=cr\r::add-mask::secret 50%] ") for ln in checks), checks
    errors = [ln for ln in lines if ln.startswith("::error ")]
    assert len(errors) == len([ln for ln in checks if ln.startswith("FAIL")]) == 2
    for err in errors:
        props, msg = _props(err)
        assert _unescape_data(msg) in checks  # the annotation reads exactly as the check line
        title = _unescape_property(props["title"])
        assert title.startswith("dvclean check failed: mislabeled[class=")
        assert "\n" not in title and "\r" not in title
    titles = [_unescape_property(_props(e)[0]["title"]) for e in errors]
    assert r"dvclean check failed: mislabeled[class=bad\n::set-env name=X::1]" in titles
    assert r"dvclean check failed: mislabeled[class=cr\r::add-mask::secret 50%]" in titles


def test_warning_annotations_show_labels_as_escaped_text(result):
    warnings = [ln for ln in result.stdout.split("\n") if ln.startswith("::warning ")]
    assert warnings
    shown = [_unescape_data(_props(w)[1]) for w in warnings]
    assert all("\n" not in s and "\r" not in s for s in shown)
    assert any(r"bad\n::set-env name=X::1" in s for s in shown), shown
    assert any(r"cr\r::add-mask::secret 50%" in s for s in shown), shown
    for w in warnings:  # the file property names the file itself (its newline, comma and % %-escaped)
        assert _unescape_property(_props(w)[0]["file"]) == "odd\nname, 50%.csv"
        assert _props(w)[0]["file"] == "odd%0Aname%2C 50%25.csv"


def test_no_forged_command_and_no_percent_encoded_line_breaks(result):
    out = result.stdout
    for line in re.split(r"\r\n|\r|\n", out):  # as the runner splits the output into lines
        if line.lstrip().startswith("::"):
            assert OWN.match(line), line  # only dvclean's own annotations are commands
        assert "##[" not in line
    annotations = [ln for ln in out.split("\n") if OWN.match(ln)]
    assert annotations
    for ln in annotations:  # a line break is %-escaped only in the file property, which must name the file
        body = ln.split(",", 1)[1]
        assert "%0A" not in body.upper() and "%0D" not in body.upper(), ln
    assert "\r" not in out


def test_command_escapes_data_then_syntax():
    line = formats._command("warning", {"file": "a\nb,c.csv", "line": 3, "title": "t: x"}, "x\r\n::stop 9%\x1b")
    assert line == r"::warning file=a%0Ab%2Cc.csv,line=3,title=t%3A x::x\r\n::stop 9%25\x1b"
    assert "\n" not in line and "\r" not in line and "%0D" not in line
    assert _unescape_data(line.split("::", 2)[2]) == escape_controls("x\r\n::stop 9%\x1b")
