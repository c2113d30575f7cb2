"""`dvclean check a.csv b.csv ...`: each file gated as if checked alone (what a pre-commit hook passes)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.cli.check_cmd import _positional_positions

from .test_check import FLIPS, clusters, write_csv

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())  # (rich wraps long lines at the terminal's width)


@pytest.fixture
def two(tmp_path):
    clean = write_csv(clusters(), tmp_path / "clean.csv")
    noisy = write_csv(clusters(flips=FLIPS), tmp_path / "noisy.csv")
    return clean, noisy


def test_each_file_is_gated_and_the_worst_exit_code_wins(two):
    clean, noisy = two
    res = runner.invoke(app, ["check", str(clean), str(noisy), "-y", "y", "--id", "uid", "--max-mislabeled", "2%",
                              "--format", "text"])
    assert res.exit_code == 1, res.output
    out = flat(res.stdout)
    assert out.index("PASS: 0 failed") < out.index("clean.csv, 120 rows)") < out.index("FAIL: 1 failed")
    assert out.index("FAIL: 1 failed") < out.index("noisy.csv, 120 rows)")
    ok = runner.invoke(app, ["check", str(clean), str(noisy), "-y", "y", "--max-mislabeled", "50%", "--format", "text"])
    assert ok.exit_code == 0 and ok.stdout.count("PASS:") == 2


def test_a_file_given_twice_is_checked_once(two, tmp_path):
    clean, noisy = two
    again = f"{clean.parent}/./{clean.name}"  # another path to the same file
    junit = tmp_path / "j.xml"
    res = runner.invoke(app, ["check", str(clean), str(noisy), again, str(noisy), "-y", "y", "--max-mislabeled", "50%",
                              "--format", "text", "--junit-xml", str(junit)])
    assert res.exit_code == 0, res.output
    assert res.stdout.count("PASS:") == 2
    err = flat(res.stderr)
    assert f"note: {again} was given before (as {clean}): it is checked once" in err
    assert f"note: {noisy} was given before: it is checked once" in err
    assert junit.read_text().count("<testsuite ") == 2
    quiet = runner.invoke(app, ["check", str(clean), str(clean), "-y", "y", "--max-mislabeled", "50%", "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    # one file left: the note is among the outcome's notes, in every format
    doc = runner.invoke(app, ["check", str(clean), again, "-y", "y", "--max-mislabeled", "50%", "--json"])
    import json

    assert f"{again} was given before (as {clean}): it is checked once" in json.loads(doc.stdout)["notes"]


def test_a_file_that_could_not_be_checked_has_a_step_summary_section(two, tmp_path, monkeypatch):
    clean, _ = two
    bad = tmp_path / "bad.csv"
    bad.write_text("a,y\n")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    res = runner.invoke(app, ["check", str(clean), str(bad), "-y", "y", "--max-mislabeled", "50%",
                              "--format", "github"])
    assert res.exit_code == 2
    text = summary.read_text()
    assert text.count("## dvclean check:") == 2
    assert "## dvclean check: ❌ ERROR" in text and "could not be checked: an error (exit 2)" in text
    assert "no data rows" in text and text.index("✅ PASS") < text.index("❌ ERROR")
    summary.unlink()
    alone = runner.invoke(app, ["check", str(bad), "-y", "y", "--format", "github"])
    assert alone.exit_code == 2 and "could not be checked" in summary.read_text()
    # never appended to an input of the run
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(bad))
    before = bad.read_bytes()
    assert runner.invoke(app, ["check", str(bad), "-y", "y", "--format", "github"]).exit_code == 2
    assert bad.read_bytes() == before


def test_an_unreadable_file_outranks_a_failed_gate(two, tmp_path):
    clean, noisy = two
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1\n")
    res = runner.invoke(app, ["check", str(noisy), str(bad), str(clean), "-y", "y", "--max-mislabeled", "2%",
                              "--format", "text"])
    assert res.exit_code == 2
    out = flat(res.stdout)
    assert "FAIL: 1 failed" in out and "PASS: 0 failed" in out and "clean.csv, 120 rows)" in out  # the later file too
    assert "bad.csv" in flat(res.stderr)


def test_each_file_reads_its_own_configuration(tmp_path):
    for sub, limit in (("strict", "1%"), ("lax", "50%")):
        (tmp_path / sub).mkdir()
        write_csv(clusters(flips=FLIPS), tmp_path / sub / "d.csv")
        (tmp_path / sub / "dvclean.toml").write_text(f'label = "y"\n[check]\nmax-mislabeled = "{limit}"\n')
    res = runner.invoke(app, ["check", str(tmp_path / "strict" / "d.csv"), str(tmp_path / "lax" / "d.csv"),
                              "--format", "text"])
    assert res.exit_code == 1, res.output
    assert "max 1% (1 of 120)" in flat(res.stdout) and "max 50% (60 of 120)" in flat(res.stdout)


@pytest.mark.parametrize("extra", [["--report", "r.html"], ["--json"], ["--format", "markdown"], ["--show-config"]])
def test_outputs_of_one_file_are_refused_with_several(two, tmp_path, extra):
    clean, noisy = two
    extra = [str(tmp_path / e) if e.endswith((".html", ".xml")) else e for e in extra]
    res = runner.invoke(app, ["check", str(clean), str(noisy), "-y", "y", *extra])
    assert res.exit_code == 2
    assert "2 data files were given" in flat(res.stderr) and not list(tmp_path.glob("*.html")) + list(tmp_path.glob("*.xml"))


def test_option_values_are_not_taken_for_data_files():
    import typer

    command = typer.main.get_command(app).commands["check"]
    args = ["--valid", "v.csv", "a.csv", "-y", "y", "--exit-zero", "-q", "--max-mislabeled=2%", "b.csv", "-vv", "c.csv",
            "-qy", "income", "d.csv", "-yincome", "e.csv", "--", "-f.csv"]
    # (the -- is counted with the data files: each file is passed on after a -- of its own)
    assert sorted(args[i] for i in _positional_positions(command, args)) == ["--", "-f.csv", "a.csv", "b.csv", "c.csv",
                                                                            "d.csv", "e.csv"]


def test_a_short_flag_cluster_with_a_value(two):
    """(-qy y was read as -qy plus a data file y: the nested runs then saw two files again, without end)"""
    clean, noisy = two
    res = runner.invoke(app, ["check", "-qy", "y", str(clean), str(noisy), "--max-mislabeled", "2%", "--format", "text"])
    assert res.exit_code == 1, res.output
    assert flat(res.stdout).count("failed, 0 warned") == 2


def test_the_order_of_the_files_does_not_change_the_outcome(tmp_path):
    """The run over several files reads no configuration file; each file's own run reads its own."""
    for sub, extra in (("plain", ""), ("json", 'format = "json"\n'), ("bad", "bogus = 1\n")):
        (tmp_path / sub).mkdir()
        write_csv(clusters(flips=FLIPS), tmp_path / sub / "d.csv")
        (tmp_path / sub / "dvclean.toml").write_text(f'label = "y"\n[check]\nmax-mislabeled = "50%"\n{extra}')
    plain, machine, bad = (str(tmp_path / sub / "d.csv") for sub in ("plain", "json", "bad"))
    outcomes = []
    for files in ([plain, machine, bad], [bad, machine, plain]):
        res = runner.invoke(app, ["check", *files])
        out = flat(res.stdout + res.stderr)
        outcomes.append((res.exit_code, out.count("PASS: 0 failed"), "takes one file" in out, "bogus" in out))
        assert "{" not in res.stdout  # no JSON document among text results
    assert outcomes[0] == outcomes[1] == (2, 1, True, True)


def test_junit_xml_of_several_files_holds_a_suite_per_file(two, tmp_path):
    import xml.etree.ElementTree as ET

    clean, noisy = two
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1\n")
    junit = tmp_path / "j.xml"
    temp = Path(tempfile.gettempdir())
    staged_before = set(temp.glob("dvclean-junit-*"))
    res = runner.invoke(app, ["check", str(clean), str(noisy), str(bad), "-y", "y", "--max-mislabeled", "2%",
                              "--junit-xml", str(junit), "--format", "text"])
    assert res.exit_code == 2, res.output
    root = ET.parse(junit).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [str(clean), str(noisy), str(bad)]
    assert [s.find("testcase/failure") is not None for s in suites] == [False, True, False]
    error = suites[2].find("testcase/error")
    assert error is not None and "exit 2" in error.get("type") and "bad.csv" in error.text  # (its message)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    assert not set(temp.glob("dvclean-junit-*")) - staged_before  # (each file's document, removed)
    # the same document as each file's own run, but for the suite's name
    alone = tmp_path / "alone.xml"
    runner.invoke(app, ["check", str(noisy), "-y", "y", "--max-mislabeled", "2%", "--junit-xml", str(alone)])
    one = ET.parse(alone).getroot().find("testsuite")
    assert [c.get("name") for c in one.iter("testcase")] == [c.get("name") for c in suites[1].iter("testcase")]


def test_junit_xml_of_several_files_is_not_written_over_an_input(two):
    clean, noisy = two
    before = noisy.read_bytes()
    res = runner.invoke(app, ["check", str(clean), str(noisy), "-y", "y", "--junit-xml", str(noisy)])
    assert res.exit_code == 2 and noisy.read_bytes() == before


@pytest.mark.parametrize("name", ["victim.csv", "j.parquet", "pyproject.toml", "v.csv"])
def test_junit_xml_of_several_files_never_replaces_data_or_what_the_run_reads(two, tmp_path, name):
    clean, noisy = two
    target = tmp_path / name
    (tmp_path / "pyproject.toml").write_text('[tool.dvclean]\nlabel = "y"\n')
    target.write_text("x,y\n1,a\n") if not target.exists() else None
    valid = tmp_path / "v.csv"
    before = target.read_bytes()
    extra = ["--valid", str(valid)] if name == "v.csv" else []
    if name == "v.csv":
        write_csv(clusters(), valid)
        before = valid.read_bytes()
    res = runner.invoke(app, ["check", str(clean), str(noisy), "-y", "y", "--max-mislabeled", "2%", *extra,
                              "--junit-xml", str(target)])
    assert res.exit_code == 2, res.output
    assert target.read_bytes() == before


def test_a_files_own_configuration_is_not_replaced_by_the_junit_of_several(tmp_path):
    for sub in ("g", "h"):
        (tmp_path / sub).mkdir()
        write_csv(clusters(), tmp_path / sub / "d.csv")
    cfg = tmp_path / "g" / "dvclean.toml"
    cfg.write_text('label = "y"\n')
    (tmp_path / "h" / "dvclean.toml").write_text('label = "y"\n')
    before = cfg.read_bytes()
    res = runner.invoke(app, ["check", str(tmp_path / "g" / "d.csv"), str(tmp_path / "h" / "d.csv"),
                              "--junit-xml", str(cfg)])
    assert res.exit_code == 2 and cfg.read_bytes() == before
    assert "is the input file" in flat(res.output)


def test_a_configuration_setting_of_one_file_is_named_beside_the_junit_of_several(tmp_path):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        write_csv(clusters(), tmp_path / sub / "d.csv")
        (tmp_path / sub / "dvclean.toml").write_text('label = "y"\n[check]\nformat = "markdown"\n')
    res = runner.invoke(app, ["check", str(tmp_path / "a" / "d.csv"), str(tmp_path / "b" / "d.csv"),
                              "--junit-xml", str(tmp_path / "j.xml")])
    assert res.exit_code == 2
    assert "sets format json/markdown" in flat(res.output) and "sets junit-xml" not in flat(res.output)


def test_junit_classnames_of_several_files_keep_their_folders(tmp_path):
    import xml.etree.ElementTree as ET

    for sub in ("d1", "d2"):
        (tmp_path / sub).mkdir()
        write_csv(clusters(flips=FLIPS), tmp_path / sub / "data.csv")
    junit = tmp_path / "j.xml"
    runner.invoke(app, ["check", str(tmp_path / "d1" / "data.csv"), str(tmp_path / "d2" / "data.csv"), "-y", "y",
                        "--max-mislabeled", "2%", "--junit-xml", str(junit)])
    names = {c.get("classname") for c in ET.parse(junit).getroot().iter("testcase")}
    assert len(names) == 2 and all(n.endswith(("d1.data_csv", "d2.data_csv")) for n in names)


def test_internal_junit_documents_are_never_named_as_written(two, tmp_path):
    from dvclean.cli import _output

    clean, noisy = two
    junit = tmp_path / "j.xml"
    res = runner.invoke(app, ["check", str(clean), str(noisy), "-y", "y", "--junit-xml", str(junit)])
    assert res.exit_code == 0, res.output
    done = _output.committed_outputs()  # (what an interrupt or a full disk would name as written)
    assert done and str(done[-1]) == str(junit) and not any("dvclean-junit-" in str(p) for p in done)


def test_a_data_file_as_baseline_is_not_given_an_overwriting_hint(two):
    clean, noisy = two
    res = runner.invoke(app, ["check", str(clean), "-y", "y", "--baseline", str(noisy), "--max-new-mislabeled", "5"])
    assert res.exit_code == 2
    out = flat(res.output)
    assert "a .csv file is data" in out and f"{noisy}.tmp" not in out and "baseline.json" in out
