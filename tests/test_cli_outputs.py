"""The outputs of one command: never the same file, written all together or not at all, quiet means quiet."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.cli import commands as cli_commands

from .conftest import needs_sdv
from .test_check import FLIPS, clusters

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture
def data(tmp_path: Path) -> Path:
    src = tmp_path / "d.csv"
    clusters(flips=FLIPS).write_csv(src)
    return src


def listing(directory: Path) -> list[str]:
    """Every name in ``directory``, hidden staging directories and temporary files included."""
    return sorted(p.name for p in directory.iterdir())


# ---------------------------------------------------------------- no two outputs of one command are the same file


@pytest.mark.parametrize(
    ("command", "first", "second"),
    [
        ("score", "--output", "--report"),
        ("check", "--junit-xml", "--report"),
        ("fix", "--output", "--report"),
    ],
)
def test_two_outputs_on_one_path_are_refused(tmp_path, data, command, first, second):
    target = tmp_path / "same.csv"
    args = [command, str(data), "-y", "y", first, str(target), second, str(target)]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    assert first in msg and second in msg and "same file" in msg, msg
    assert "input file" not in msg  # an output is not the input (QA #10)
    assert listing(tmp_path) == ["d.csv"]


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_outputs_that_are_one_file_through_a_link_are_refused(tmp_path, data, link):
    out = tmp_path / "scores.csv"
    out.write_text("earlier scores\n")
    alias = tmp_path / "report.html"
    if link == "symlink":
        alias.symlink_to(out.name)
    else:
        os.link(out, alias)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(out), "--report", str(alias)])
    assert res.exit_code == 2, res.output
    assert "--report" in res.stderr and "--output" in res.stderr and "same file" in res.stderr
    assert out.read_text() == "earlier scores\n"


def test_check_report_on_the_step_summary_is_refused(tmp_path, data):
    summary = tmp_path / "summary.md"
    res = runner.invoke(
        app, ["check", str(data), "-y", "y", "--format", "github", "--report", str(summary)],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert res.exit_code == 2, res.output
    assert "$GITHUB_STEP_SUMMARY" in res.stderr and "--report" in res.stderr
    assert not summary.exists()


@pytest.mark.parametrize("clash", ["--output", "json"])
def test_augment_outputs_on_one_path_are_refused(tmp_path, data, clash):
    out = tmp_path / "aug.csv"
    report = out if clash == "--output" else tmp_path / "aug.augment-report.json"
    res = runner.invoke(app, ["augment", str(data), "-y", "y", "-o", str(out), "--report", str(report), "-q"])
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    assert "--report" in msg and "same file" in msg, msg
    assert ("--output" in msg) if clash == "--output" else ("JSON report" in msg)
    assert listing(tmp_path) == ["d.csv"]


def test_baseline_is_never_overwritten_by_an_output(tmp_path, data):
    base = tmp_path / "base.json"
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--json"])
    base.write_text(res.stdout)
    before = base.read_bytes()
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--baseline", str(base), "--junit-xml", str(base)])
    assert res.exit_code == 2, res.output
    assert "--junit-xml" in res.stderr and base.read_bytes() == before


@pytest.mark.parametrize(
    ("command", "option", "name"),
    [("fix", "--report", "report.html"), ("score", "--report", "report.html"), ("check", "--junit-xml", "junit.xml")],
)
def test_a_directory_as_an_output_suggests_a_file_of_its_kind(tmp_path, data, command, option, name):
    adir = tmp_path / "adir"
    adir.mkdir()
    extra = ["-o", str(tmp_path / "out.csv")] if command != "check" else []
    res = runner.invoke(app, [command, str(data), "-y", "y", "-q", *extra, option, str(adir)])
    assert res.exit_code == 2, res.output
    msg = flat(res.stderr)
    assert f"{option} {adir} is a directory" in msg and str(adir / name) in msg, msg
    assert "scores.parquet" not in msg


def test_report_output_directory_suggests_an_html_name(tmp_path, data):
    scores = tmp_path / "s.parquet"
    assert runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(scores)]).exit_code == 0
    adir = tmp_path / "adir"
    adir.mkdir()
    res = runner.invoke(app, ["report", str(scores), "-o", str(adir)])
    assert res.exit_code == 2, res.output
    assert str(adir / "report.html") in flat(res.stderr)


# ---------------------------------------------------------------- all outputs, or none


def _boom(*args, **kwargs):
    raise RuntimeError("report builder failed")


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def _terminate(*args, **kwargs):
    raise cli_commands._Terminated()


@pytest.mark.parametrize(
    ("fail", "code", "word"),
    [(_boom, 3, "internal error"), (_interrupt, 130, "interrupted"), (_terminate, 143, "terminated")],
)
@pytest.mark.parametrize("command", ["score", "check", "fix"])
def test_a_failure_after_the_first_output_leaves_none(tmp_path, data, monkeypatch, command, fail, code, word):
    import dvclean.report

    first = {"score": tmp_path / "scores.csv", "check": tmp_path / "junit.xml", "fix": tmp_path / "fixed.csv"}[command]
    option = "--junit-xml" if command == "check" else "--output"
    first.write_text("from an earlier run\n")  # an earlier output of that name is kept as it was
    report = tmp_path / "r.html"
    monkeypatch.setattr(dvclean.report, "build_report", fail)  # fails after the first output was written
    res = runner.invoke(app, [command, str(data), "-y", "y", "-q", option, str(first), "--report", str(report)])
    assert res.exit_code == code, res.output
    assert word in res.stderr
    if code != 3:
        assert "no output was written" in res.stderr
    if command == "check" and code == 3:  # (an error ends a one-file check: its JUnit document holds the error)
        assert "<error" in first.read_text() and "report builder failed" in first.read_text()
    else:
        assert first.read_text() == "from an earlier run\n"
    assert listing(tmp_path) == sorted(["d.csv", first.name])  # no report, no staging directory left


def test_a_failure_after_the_first_output_leaves_no_new_file(tmp_path, data, monkeypatch):
    import dvclean.report

    monkeypatch.setattr(dvclean.report, "write_report", _terminate)
    out = tmp_path / "scores.parquet"
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(out), "--report", str(tmp_path / "r.html")])
    assert res.exit_code == 143, res.output
    assert "terminated; no output was written" in flat(res.stderr)
    assert listing(tmp_path) == ["d.csv"]


def test_an_interrupt_after_the_outputs_are_in_place_says_so(tmp_path, data, monkeypatch):
    from dvclean.cli import _output

    monkeypatch.setattr(_output, "render_score", _interrupt)  # after the outputs were committed
    out, report = tmp_path / "scores.csv", tmp_path / "r.html"
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(out), "--report", str(report)])
    assert res.exit_code == 130, res.output
    assert "no output was written" not in res.stderr
    assert "written in full" in res.stderr and str(out) in flat(res.stderr)
    assert out.is_file() and report.read_text().startswith("<!DOCTYPE html>")
    assert listing(tmp_path) == ["d.csv", "r.html", "scores.csv"]


def test_outputs_are_written_in_place_with_their_formats_and_permissions(tmp_path, data):
    out, report, junit = tmp_path / "fixed.tsv", tmp_path / "r.html", tmp_path / "j.xml"
    out.write_text("old\n")
    out.chmod(0o640)
    res = runner.invoke(app, ["fix", str(data), "-y", "y", "-q", "-o", str(out), "--report", str(report)])
    assert res.exit_code == 0, res.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert out.read_text().startswith("uid\tf1\tf2\ty")  # the suffix still picks the delimiter
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--junit-xml", str(junit), "--report", str(report)])
    assert res.exit_code == 0, res.output
    assert junit.read_text().startswith("<?xml") and f"wrote {report}" in flat(res.stderr)
    assert listing(tmp_path) == ["d.csv", "fixed.tsv", "j.xml", "r.html"]


def test_a_link_output_stays_a_link(tmp_path, data):
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "scores.csv"
    link.symlink_to(real / "s.csv")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(link), "--report", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert link.is_symlink() and (real / "s.csv").read_text().startswith("row_id,")
    assert listing(real) == ["s.csv"]


def test_a_killed_runs_staging_directory_is_removed(tmp_path, data):
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(done.stdout)
    stale = tmp_path / f".scores.csv.{dead}.abcd1234.stage"
    stale.mkdir()
    (stale / "scores.csv").write_text("half")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(tmp_path / "scores.csv")])
    assert res.exit_code == 0, res.output
    assert listing(tmp_path) == ["d.csv", "scores.csv"]


@needs_sdv
@pytest.mark.slow
@pytest.mark.usefixtures("sdv_home")
def test_augment_writes_its_three_outputs_together(tmp_path, data, monkeypatch):
    import json

    import dvclean.report

    out, report = tmp_path / "aug.csv", tmp_path / "aug.html"
    args = ["augment", str(data), "-y", "y", "-g", "gaussian-copula", "-n", "10", "-q", "-o", str(out), "--report", str(report)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "aug.augment-report.json").read_text())
    assert doc["output"] == str(out) and doc["report"] == str(tmp_path / "aug.augment-report.json")
    assert listing(tmp_path) == ["aug.augment-report.json", "aug.csv", "aug.html", "d.csv"]
    for p in tmp_path.iterdir():
        if p.name != "d.csv":
            p.unlink()
    monkeypatch.setattr(dvclean.report, "write_report", _terminate)
    res = runner.invoke(app, args)
    assert res.exit_code == 143, res.output
    assert "no output was written" in res.stderr and listing(tmp_path) == ["d.csv"]


# ---------------------------------------------------------------- report -q


def test_report_quiet_prints_nothing(tmp_path, data):
    scores = tmp_path / "s.parquet"
    assert runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(scores)]).exit_code == 0
    res = runner.invoke(app, ["report", str(scores), "-q", "-o", str(tmp_path / "q.html")])
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and res.stderr == ""
    assert (tmp_path / "q.html").is_file()
    res = runner.invoke(app, ["report", str(scores), "-o", str(tmp_path / "v.html")])
    assert res.stdout.strip() == str(tmp_path / "v.html")


# ---------------------------------------------------------------- a signal whose exception a C callback swallowed


@pytest.mark.parametrize(("sig", "code", "word"), [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted")])
@pytest.mark.parametrize("then", ["fails", "carries on"])
def test_a_swallowed_signal_still_ends_the_run(tmp_path, data, monkeypatch, sig, code, word, then):
    # XGBoost calls back into Python while it builds its matrix: a signal handled there raises inside the
    # callback, ctypes swallows the exception ("Exception ignored on calling ctypes callback function"),
    # and XGBoost then fails with its own error (exit 3 before) or the run could carry on (exit 0 before)
    import signal

    import dvclean.pipeline

    real_score = dvclean.pipeline.score

    def score_in_c(*args, **kwargs):
        try:
            signal.raise_signal(getattr(signal, sig))
        except BaseException:  # noqa: BLE001  (what the C callback does with it)
            pass
        if then == "fails":
            raise RuntimeError("XGBoostError: Check failed: accumulated_rows == info.num_row_")
        return real_score(*args, **kwargs)

    monkeypatch.setattr(dvclean.pipeline, "score", score_in_c)
    out = tmp_path / "scores.csv"
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(out), "--report", str(tmp_path / "r.html")])
    assert res.exit_code == code, res.output
    assert f"{word}; no output was written" in flat(res.stderr)
    assert "internal error" not in res.stderr and "XGBoost" not in res.stderr
    assert listing(tmp_path) == ["d.csv"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handlers are put back


def test_an_output_suffix_that_cannot_be_written_is_refused_before_scoring(tmp_path, data, monkeypatch):
    import dvclean.pipeline

    def never(*args, **kwargs):
        raise AssertionError("scored before the output name was checked")

    monkeypatch.setattr(dvclean.pipeline, "score", never)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "-o", str(tmp_path / "x.xlsx")])
    assert res.exit_code == 2, res.output
    assert "x.xlsx" in res.stderr and listing(tmp_path) == ["d.csv"]


def test_a_rename_that_fails_at_commit_puts_every_earlier_output_back(tmp_path, monkeypatch):
    """(an output that cannot be replaced, e.g. immutable, left the outputs renamed before it and exited 3)"""
    from dvclean.cli._output import committed_outputs, staged_outputs, start_run
    from dvclean.errors import OutputError

    first, second, third = tmp_path / "a.csv", tmp_path / "b.html", tmp_path / "c.xml"
    first.write_text("old a")
    second.write_text("old b")
    real = os.replace

    def replace(src, dst):
        if str(dst) == str(second):  # replacing b.html fails, as for an immutable file
            raise PermissionError(1, "Operation not permitted", str(dst))
        return real(src, dst)

    start_run()
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OutputError, match="cannot put .*b.html in place .*no output was written"):
        with staged_outputs() as stage:
            for path, text in ((first, "new a"), (second, "new b"), (third, "new c")):
                stage.path(path).write_text(text)
    assert first.read_text() == "old a" and second.read_text() == "old b" and not third.exists()
    assert committed_outputs() == [] and sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.html"]
