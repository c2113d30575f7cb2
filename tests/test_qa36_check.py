"""QA round 36 (check): a configured baseline can be switched off (--no-baseline) to create it, an empty baseline file
says it is empty, --config names what a non-file is, a 309-digit threshold is a usage error, --junit-xml on a
stream names --junit-xml, and an interrupted run over several files says so once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvclean.check import load_baseline, parse_threshold
from dvclean.cli import app
from dvclean.errors import ConfigError, InputError, OutputError
from dvclean.io import resolve_output

from .test_check import FLIPS, clusters, write_csv

runner = CliRunner()
NINES = "9" * 309


def flat(text: str) -> str:
    return " ".join(text.split())  # (rich wraps long lines at the terminal's width)


@pytest.fixture
def gate(tmp_path, monkeypatch):
    """A data file under a pyproject.toml that sets the label, a baseline (not yet written) and a new-row limit."""
    (tmp_path / "data").mkdir()
    data = write_csv(clusters(flips=FLIPS), tmp_path / "data" / "d.csv")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dvclean]\nlabel = "y"\n[tool.dvclean.check]\nbaseline = "main.json"\nmax-new-mislabeled = 20\n'
    )
    monkeypatch.chdir(tmp_path)
    return data.relative_to(tmp_path)


# --- A: --no-baseline ---------------------------------------------------------------------------------------------


def test_no_baseline_creates_the_configured_baseline(gate, tmp_path):
    r = runner.invoke(app, ["check", str(gate), "--no-baseline", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [c["name"] for c in doc["checks"]] == []  # no new_mislabeled check: it needs the baseline
    note = next(n for n in doc["notes"] if n.startswith("--no-baseline"))
    assert "baseline = 'main.json'" in note and "max-new-mislabeled = 20" in note and "pyproject.toml" in note
    (tmp_path / "main.json").write_text(r.stdout)
    again = runner.invoke(app, ["check", str(gate), "--format", "text"])  # the configured gate now reads it
    assert again.exit_code == 0, again.output
    assert "PASS new_mislabeled 0" in again.stdout


def test_no_baseline_says_what_it_ignored_in_text(gate):
    r = runner.invoke(app, ["check", str(gate), "--no-baseline", "--max-mislabeled", "50%", "--format", "text"])
    assert r.exit_code == 0, r.output
    assert "PASS mislabeled" in r.stdout and "new_mislabeled" not in r.stdout
    assert "note: --no-baseline: ignored baseline = 'main.json', max-new-mislabeled = 20" in flat(r.stderr)
    shown = runner.invoke(app, ["check", str(gate), "--no-baseline", "--show-config"])
    assert shown.exit_code == 0, shown.output
    line = next(x for x in shown.stdout.splitlines() if x.startswith("baseline "))
    assert line.endswith("[tool.dvclean.check], ignored: --no-baseline"), line


def test_a_missing_configured_baseline_suggests_no_baseline(gate):
    r = runner.invoke(app, ["check", str(gate), "--format", "text"])
    assert r.exit_code == 2
    err = flat(r.stderr)
    assert "--baseline main.json: no such file" in err
    assert ("`dvclean check DATA --no-baseline --json --exit-zero > main.json.tmp && mv main.json.tmp main.json`"
            in err)  # (was: a command that fails the same way; then one that leaves a half file when it fails)
    # a baseline typed on the command line (none configured): the plain command creates it
    typed = runner.invoke(app, ["check", str(gate), "--no-baseline", "--baseline", "b.json", "--max-new-hard", "3"])
    assert typed.exit_code == 2 and "contradicts" in flat(typed.stderr)
    (gate.parent / "dvclean.toml").write_text("[check]\nmax-mislabeled = 5\n")  # (the nearest file, read instead: no baseline)
    r = runner.invoke(app, ["check", str(gate), "--baseline", "b.json", "--max-new-hard", "3"])
    assert r.exit_code == 2
    assert "create it with `dvclean check DATA --json --exit-zero > b.json.tmp && mv b.json.tmp b.json`" in flat(r.stderr)


def test_an_empty_baseline_says_it_is_empty(gate, tmp_path):
    (tmp_path / "main.json").write_bytes(b"")  # what `dvclean check d.csv --json > main.json` leaves
    r = runner.invoke(app, ["check", str(gate), "--json"])
    assert r.exit_code == 2
    err = flat(r.stderr)
    assert "--baseline main.json: the file is empty (0 bytes)" in err and "shell redirect" in err
    assert ("`dvclean check DATA --no-baseline --json --exit-zero > main.json.tmp && mv main.json.tmp main.json`"
            in err)
    assert "not a JSON document" not in err


def test_load_baseline_refuses_an_empty_file(tmp_path):
    empty = tmp_path / "b.json"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"b\.json: the file is empty \(0 bytes\)"):
        load_baseline(empty)


def test_max_new_from_the_file_alone_suggests_no_baseline(tmp_path, monkeypatch):
    data = write_csv(clusters(), tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('label = "y"\n[check]\nmax-new-mislabeled = 20\n')
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["check", "d.csv", "--format", "text"])
    assert r.exit_code == 2
    err = flat(r.stderr)
    assert "need --baseline FILE" in err and "or --no-baseline to run without the new-row checks" in err
    assert "set in" in err and "max-new-mislabeled = 20" in err
    ok = runner.invoke(app, ["check", str(data), "--no-baseline", "--max-mislabeled", "50%", "--format", "text"])
    assert ok.exit_code == 0, ok.output


def test_no_baseline_with_a_typed_baseline_is_a_usage_error(gate, tmp_path):
    (tmp_path / "other.json").write_text("{}")
    r = runner.invoke(app, ["check", str(gate), "--no-baseline", "--baseline", "other.json"])
    assert r.exit_code == 2
    assert "--no-baseline contradicts --baseline other.json: pass only one of them" in flat(r.stderr)


def test_no_baseline_with_a_typed_new_threshold_is_a_usage_error(gate):
    r = runner.invoke(app, ["check", str(gate), "--no-baseline", "--max-new-hard", "3"])
    assert r.exit_code == 2
    assert "--max-new-hard 3 compares with a baseline, and --no-baseline turns the baseline off" in flat(r.stderr)


def test_no_baseline_in_a_file_yields_to_a_typed_baseline(tmp_path, monkeypatch):
    data = write_csv(clusters(), tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('label = "y"\n[check]\nno-baseline = true\nmax-new-mislabeled = 5\n')
    monkeypatch.chdir(tmp_path)
    made = runner.invoke(app, ["check", "d.csv", "--json"])  # the file's no-baseline: no comparison
    assert made.exit_code == 0, made.output
    (tmp_path / "b.json").write_text(made.stdout)
    r = runner.invoke(app, ["check", str(data), "--baseline", "b.json", "--format", "text"])
    assert r.exit_code == 0, r.output
    assert "PASS new_mislabeled 0" in r.stdout  # the typed --baseline wins, with the file's threshold


def test_an_empty_baseline_path_points_to_no_baseline(gate):
    r = runner.invoke(app, ["check", str(gate), "--baseline", ""])
    assert r.exit_code == 2
    err = flat(r.stderr)
    assert "--baseline '': an empty path" in err and "pass --no-baseline" in err and "is a directory" not in err


def test_no_baseline_gates_several_files(tmp_path, monkeypatch):
    write_csv(clusters(), tmp_path / "a.csv")
    write_csv(clusters(flips=FLIPS), tmp_path / "b.csv")
    (tmp_path / "dvclean.toml").write_text('label = "y"\n[check]\nbaseline = "main.json"\nmax-mislabeled = "50%"\n')
    monkeypatch.chdir(tmp_path)
    refused = runner.invoke(app, ["check", "a.csv", "b.csv", "--format", "text"])
    assert refused.exit_code == 2 and "or pass --no-baseline" in flat(refused.stderr)
    r = runner.invoke(app, ["check", "a.csv", "b.csv", "--no-baseline", "--format", "text"])
    assert r.exit_code == 0, r.output
    assert r.stdout.count("PASS:") == 2


def test_no_baseline_is_documented():
    r = runner.invoke(app, ["check", "--help"], env={"COLUMNS": "200"})
    assert "--no-baseline" in r.stdout
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme[readme.index("### `dvclean check`"):readme.index("### `dvclean report`")]
    assert "--no-baseline" in section and "mv main.json.tmp main.json" in section


def test_config_dev_null_says_what_it_is(tmp_path):
    data = write_csv(clusters(), tmp_path / "d.csv")
    r = runner.invoke(app, ["check", str(data), "-y", "y", "--config", "/dev/null"])
    assert r.exit_code == 2
    err = flat(r.stderr)
    assert "--config /dev/null: is a character device (it reads as empty), not a configuration file" in err
    assert "no such file" not in err and "--no-baseline" in err
    gone = runner.invoke(app, ["check", str(data), "-y", "y", "--config", str(tmp_path / "nope.toml")])
    assert gone.exit_code == 2 and "nope.toml: no such file" in flat(gone.stderr)
    (tmp_path / "link.toml").symlink_to("nope.toml")
    dangling = runner.invoke(app, ["check", str(data), "-y", "y", "--config", str(tmp_path / "link.toml")])
    assert dangling.exit_code == 2
    assert "link.toml: is a symbolic link to nope.toml, which does not exist" in flat(dangling.stderr)


# --- B: a threshold of 309 digits -----------------------------------------------------------------------------------


def test_a_threshold_too_large_for_a_float_is_a_usage_error(tmp_path):
    data = write_csv(clusters(), tmp_path / "d.csv")
    r = runner.invoke(app, ["check", str(data), "-y", "y", "--max-mislabeled", NINES])
    assert r.exit_code == 2, r.output  # was 3: OverflowError
    err = flat(r.stderr)
    assert "--max-mislabeled: 999999...999 (309 digits) is too large for a row count" in err
    assert "internal error" not in err
    ok = runner.invoke(app, ["check", str(data), "-y", "y", "--max-mislabeled", NINES[:-1]])
    assert ok.exit_code == 0, ok.output  # 308 digits: a (very large) count, as before


def test_parse_threshold_refuses_309_digits_as_it_refuses_inf():
    for value in ("inf", NINES, NINES + ".5", NINES + "%"):
        with pytest.raises(ConfigError):
            parse_threshold(value, "max-hard")
    with pytest.raises(ConfigError, match=r"invalid value 999999\.\.\.999 for --max-hard: .*too large"):
        parse_threshold(int(NINES), "max-hard", source="dvclean.toml [check]")


# --- C: --junit-xml on a stream or a device --------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--junit-xml", "--report"])
@pytest.mark.parametrize("target", ["/dev/stdout", "/dev/null"])
def test_an_output_that_is_no_file_names_its_option(tmp_path, option, target):
    data = write_csv(clusters(), tmp_path / "d.csv")
    r = runner.invoke(app, ["check", str(data), "-y", "y", "--max-mislabeled", "1", option, target])
    assert r.exit_code == 2
    err = flat(r.stderr)
    assert f"give a regular file path ({option} PATH)" in err
    assert "-o/--output" not in err and "stream a table" not in err and "--json prints" not in err


def test_resolve_output_keeps_its_default_hint():
    with pytest.raises(OutputError, match=r"\(-o/--output PATH\)"):
        resolve_output("/dev/null")
    with pytest.raises(OutputError, match=r"\(--junit-xml PATH\)"):
        resolve_output("/dev/null", option="--junit-xml")


# --- D: one interruption message over several files -------------------------------------------------------------------

_SCRIPT = """\
import os, signal, sys
{patch}
from dvclean.cli import main
sys.argv = ['dvclean', 'check', *{files!r}, '-y', 'y', '--max-mislabeled', '50%', '--format', 'text']
main()
"""

# SIGTERM while the first file is scored
_DURING = """\
import dvclean.pipeline as p
score = p.score
def killed(*a, **k):
    os.kill(os.getpid(), signal.SIGTERM)
    return score(*a, **k)
p.score = killed
"""

# SIGTERM after the first file's run, before the second's (the handlers only record it then)
_BETWEEN = """\
from dvclean.cli.check_cmd import _KeepsArguments
run = _KeepsArguments.main
def then_killed(self, *a, **k):
    code = run(self, *a, **k)
    os.kill(os.getpid(), signal.SIGTERM)
    return code
_KeepsArguments.main = then_killed
"""


@pytest.mark.parametrize("patch", [_DURING, _BETWEEN], ids=["during", "between"])
def test_sigterm_over_several_files_is_reported_once(tmp_path, patch):
    files = [str(write_csv(clusters(seed=i), tmp_path / f"{c}.csv")) for i, c in enumerate("abc")]
    script = _SCRIPT.format(patch=patch, files=files)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 143, (r.returncode, r.stdout, r.stderr)
    assert r.stderr.count("terminated; no output was written") == 1, r.stderr  # was twice (during) / none (between)
    assert "c.csv" not in r.stdout  # the run stopped: the last file was never checked
