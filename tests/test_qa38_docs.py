"""QA round 38: install hints that work from a checkout, help that matches the README, and a README whose
quickstart runs as written on the shipped sample.

* the SDV-missing message, `augment --help` and `--scheduler`'s help named `pip install 'dvclean[augment]'` /
  `dvclean[distributed]`, but dvclean is not on PyPI: they now name `pip install ".[augment]"` in the checkout;
* `check --help` for `--no-baseline` suggested `> main.json`, which the README warns against (a failing run leaves
  an empty baseline): it now writes a temporary file and moves it;
* the README had no example that runs on the shipped data: its quickstart is `make demo`'s command, and the
  summary lines it quotes are what that command prints;
* README examples that overwrote each other's outputs, and files that do not exist.
"""

from __future__ import annotations

import re
import shlex
import sys

from typer.testing import CliRunner

from dvclean.augment._sdv import INSTALL_HINT
from dvclean.cli import app

from .conftest import ROOT, SAMPLE

runner = CliRunner()
WIDE = {"COLUMNS": "250", "TERMINAL_WIDTH": "250"}
README = (ROOT / "README.md").read_text(encoding="utf-8")


def flat(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def _section(title: str) -> str:
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, re.S | re.M)
    assert m, f"README section {title!r} missing"
    return m[1]


def _bash_blocks(text: str) -> list[list[str]]:
    return [[ln for ln in b.splitlines() if ln.strip()] for b in re.findall(r"```bash\n(.*?)```", text, re.S)]


# ---------------------------------------------------------------- 1. install hints from a checkout


def test_missing_sdv_message_names_the_checkout_install(tmp_path, monkeypatch):
    assert 'pip install ".[augment]"' in INSTALL_HINT and "dvclean[augment]" not in INSTALL_HINT
    src = tmp_path / "d.csv"
    src.write_text("a,b,label\n" + "".join(f"{i},{i % 7},{'x' if i % 2 else 'y'}\n" for i in range(40)))
    monkeypatch.setitem(sys.modules, "sdv", None)  # import sdv -> ImportError
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "-q"])
    assert res.exit_code == 2, res.output
    assert 'pip install ".[augment]"' in flat(res.stderr) and "dvclean[augment]" not in res.stderr


def test_augment_help_names_the_checkout_install():
    res = runner.invoke(app, ["augment", "--help"], env=WIDE)
    assert res.exit_code == 0
    text = flat(res.stdout)
    assert 'pip install ".[augment]"' in text and "dvclean[augment]" not in text


def test_scheduler_help_names_the_checkout_install():
    res = runner.invoke(app, ["score", "--help"], env=WIDE)
    assert res.exit_code == 0
    text = flat(res.stdout)
    assert 'pip install ".[distributed]"' in text and "dvclean[distributed]" not in text


# ---------------------------------------------------------------- 6. --no-baseline help: the README's advice


def test_no_baseline_help_writes_a_temp_file_then_moves_it():
    res = runner.invoke(app, ["check", "--help"], env=WIDE)
    assert res.exit_code == 0
    text = flat(res.stdout)
    assert "--no-baseline --json --exit-zero > main.json.tmp && mv main.json.tmp main.json" in text
    assert "--json > main.json`" not in text
    assert "--no-baseline --exit-zero --json > main.json.tmp && mv main.json.tmp main.json" in README


# ---------------------------------------------------------------- 2. the quickstart runs as written


def test_readme_quickstart_command_is_the_makefile_demo():
    demo = re.search(r"^demo:.*\n\t\$\(BIN\)/(dvclean score [^\n]+)$", (ROOT / "Makefile").read_text(), re.M)
    assert demo, "the Makefile's demo target changed"
    quick = _section("Quickstart")
    assert demo[1].strip() in quick
    assert "candidates to review" in quick and "`data.csv`" in quick and "`y`" in quick
    assert README.index("## Quickstart") < README.index("## Two commands")
    assert "## Quickstart" in README[: README.index("## Install")]


def test_readme_quickstart_output_is_what_score_prints(tmp_path, monkeypatch):
    quick = _section("Quickstart")
    cmd = next(ln for b in _bash_blocks(quick) for ln in b if ln.startswith("dvclean score"))
    args = shlex.split(cmd.split("#")[0])[1:]
    (tmp_path / "sample_data").mkdir()
    (tmp_path / "sample_data" / "adult_2000.csv").write_bytes(SAMPLE.read_bytes())
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, [*args, "-o", "out.parquet"], env=WIDE)
    assert res.exit_code == 0, res.output
    quoted = re.search(r"```\n(dvclean score .*?)\n```", quick, re.S)
    assert quoted, "the quickstart's quoted output is missing"
    printed = [ln.strip() for ln in res.output.splitlines()]
    for line in quoted[1].splitlines():
        assert line.strip() in printed, f"README line {line!r} not printed:\n{res.output}"
    m = re.search(r"flagged: (\d+) likely mislabeled \((\d+)\.\d%\)", res.output)
    assert m and f"about {m[2]}% of its" in flat(quick)


def test_readme_glossary_names_the_terms():
    quick = flat(_section("Quickstart"))
    for term in ("*value*", "higher = more useful", "negative", "*Mislabeled*", "*hard*", "`mislabel_score`",
                 "`suggested_label`"):
        assert term in quick, term


# ---------------------------------------------------------------- 3, 4, 5, 7: example commands


def test_readme_check_example_names_the_path_as_given():
    assert "0 passed (sample_data/adult_2000.csv, 2000 rows)" in README
    assert "(adult_2000.csv, 2000 rows)" not in README


def _default_output(cmd: list[str]) -> str:
    data = next(a for a in cmd[2:] if not a.startswith("-") and a.endswith((".csv", ".parquet")))
    stem = data.rsplit(".", 1)[0]
    return f"{stem}.{'fixed' if cmd[1] == 'fix' else 'augmented'}.{data.rsplit('.', 1)[1]}"


def test_readme_fix_and_augment_examples_write_distinct_files():
    for block in _bash_blocks(README):
        outputs: dict[str, str] = {}
        for line in block:
            cmd = shlex.split(line.split("#")[0])
            if cmd[:2] not in (["dvclean", "fix"], ["dvclean", "augment"]):
                continue
            out = next((cmd[i + 1] for i, a in enumerate(cmd) if a in ("-o", "--output")), None) or _default_output(cmd)
            assert out not in outputs, f"{line!r} overwrites the output of {outputs[out]!r}"
            outputs[out] = line


def test_readme_examples_use_no_missing_sample_files():
    assert "--valid holdout.csv" not in README and "--valid valid.csv" in README
    assert "dvclean score adult.csv" not in README
    assert "sample_taiwan_credit_default_2000.csv" in README  # the Taiwan sample's source is named
