"""QA round 33, help texts: metavars that match what the options accept, fix's report-only scoring options,
augment's --k with --scores, report's stdin argument, and `make help`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvclean.augment.config import GENERATORS
from dvclean.cli import app
from dvclean.config import FIX_ACTIONS, MISLABEL_RULES

runner = CliRunner()
WIDE = {"COLUMNS": "250", "TERMINAL_WIDTH": "250"}
ROOT = Path(__file__).resolve().parent.parent


def flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def help_text(command: str) -> str:
    res = runner.invoke(app, [command, "--help"], env=WIDE)
    assert res.exit_code == 0, res.output
    return res.stdout


def option_row(text: str, option: str) -> str:
    """The help table's first line for ``option`` (its name, flags, value and help start)."""
    rows = [line for line in text.splitlines() if re.search(rf"│ {re.escape(option)}\s", line)]
    assert rows, (option, text)
    return rows[0]


@pytest.mark.parametrize("command", ["score", "check", "fix", "augment", "report"])
def test_flags_and_counts_show_no_value(command):
    text = help_text(command)
    for option in ("--verbose", "--debug", "--help", "--quiet"):
        row = option_row(text, option)
        assert "<" not in row.split("  ")[0] and not re.search(r"<(int|bool)>", row), row
    assert "<bool>" not in text and "<list[" not in text


@pytest.mark.parametrize(("command", "usage"), [("score", "DATA"), ("fix", "DATA"), ("check", "DATA..."),
                                                ("augment", "DATA"), ("report", "SCORES")])
def test_usage_line_names_the_argument_not_a_choice_set(command, usage):
    text = help_text(command)
    assert f"Usage: dvclean {command} [OPTIONS] {usage}" in flat(text), text
    assert "{" not in next(line for line in text.splitlines() if "Usage:" in line)


def test_fixed_value_options_list_their_choices():
    assert f"<{'|'.join(FIX_ACTIONS)}>" in option_row(help_text("fix"), "--action")
    for command in ("score", "check", "fix"):
        assert f"<{'|'.join(MISLABEL_RULES)}>" in option_row(help_text(command), "--mislabel-rule")
    assert f"<{'|'.join(GENERATORS)}>" in option_row(help_text("augment"), "--generator")


@pytest.mark.parametrize("command", ["score", "check", "fix", "augment", "report"])
def test_repeatable_options_say_so(command):
    assert "<str> (repeatable)" in option_row(help_text(command), "--drop")


def test_fix_help_says_method_and_hard_frac_need_report():
    text = flat(help_text("fix"))
    for start in ("Valuation method(s), comma-separated", "Fraction of the non-mislabeled rows flagged is_hard"):
        after = text[text.index(start):]
        assert after.index("(fix: only with --report") < 200, after[:300]
    for command in ("score", "check"):
        assert "only with --report" not in flat(help_text(command))


def test_fix_refuses_hard_frac_without_report_as_its_help_says(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x,y\n" + "".join(f"{i},{i % 2}\n" for i in range(20)), encoding="utf-8")
    res = runner.invoke(app, ["fix", str(data), "-y", "y", "--hard-frac", "0.2", "-o", str(tmp_path / "f.csv")])
    assert res.exit_code == 2 and "add --report" in flat(res.output), res.output


def test_augment_help_says_k_with_scores_is_refused_without_evaluate():
    text = flat(help_text("augment"))
    assert "only used by --evaluate" not in text
    assert "--k without --evaluate is refused (exit 2)" in text


def test_report_help_mentions_stdin_scores():
    assert "or - for standard input (then -o is needed)" in flat(help_text("report"))


def test_make_help_lists_install_and_names_the_benchmark():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    help_lines = [line for line in makefile.splitlines() if line.strip().startswith('@echo "make ')]
    names = {line.split('"make ', 1)[1].split()[0] for line in help_lines}
    targets = set(re.findall(r"^\.PHONY:(.*)$", makefile, flags=re.M)[0].split())
    assert "install" in names
    assert names <= targets
    bench = next(line for line in help_lines if '"make bench' in line)
    assert "benchmarks/knn_scaling.py" in bench and "run the benchmarks" not in bench
