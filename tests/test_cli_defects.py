"""CLI defects found by a QA pass: markup in data, closed pipes, option names in messages, contradictions."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()
WIDE = {"COLUMNS": "250", "TERMINAL_WIDTH": "250"}


def noisy_csv(path: Path, classes: tuple[str, str] = ("a", "b"), *, n: int = 160, feature: str = "x2",
              constant: str | None = None, seed: int = 0) -> Path:
    """Two blobs with ~8% flipped labels (so rows get flagged), class names and a column name of our choosing."""
    rng = np.random.default_rng(seed)
    c = np.arange(n) % 2
    flip = rng.random(n) < 0.08
    cols = {"x1": np.round(c * 2.0 + rng.normal(0, 0.8, n), 3), feature: np.round(rng.normal(0, 1, n), 3)}
    if constant is not None:
        cols[constant] = ["same"] * n
    cols["y"] = [classes[(ci + fl) % 2] for ci, fl in zip(c, flip, strict=True)]
    pl.DataFrame(cols).write_csv(path)
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


# ---------------------------------------------------------------- 1, 2: brackets in data are text, never markup


@pytest.mark.parametrize("command", ["score", "check", "fix"])
def test_bracket_class_values_never_crash(tmp_path, command):
    src = noisy_csv(tmp_path / "d.csv", ("[/]", "[red]low"))
    extra = {
        "score": ["-o", str(tmp_path / "s.parquet")],
        "check": ["--max-mislabeled-per-class", "100%", "--max-mislabeled", "100%"],
        "fix": ["-o", str(tmp_path / "f.csv"), "--action", "relabel"],
    }[command]
    res = runner.invoke(app, [command, str(src), "-y", "y", *extra], env=WIDE)
    assert res.exit_code == 0, res.output
    assert "MarkupError" not in res.output and "internal error" not in res.output
    if command == "score":
        assert "classes: [/]: 80, [red]low: 80" in flat(res.stdout) or "[red]low" in res.stdout
        assert "[/]" in res.stdout
    if command == "check":
        assert "mislabeled[class=[/]]" in res.stdout and "mislabeled[class=[red]low]" in res.stdout


def test_per_class_check_line_keeps_the_class_name(tmp_path):
    src = noisy_csv(tmp_path / "d.csv", ("<=50K", ">50K"))
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled-per-class", "100%"], env=WIDE)
    assert res.exit_code == 0, res.output
    assert "PASS mislabeled[class=<=50K]" in res.stdout and "PASS mislabeled[class=>50K]" in res.stdout


def test_bracket_column_names_are_printed_as_written(tmp_path):
    src = noisy_csv(tmp_path / "d.csv", feature="[/]", constant="[red]K")
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(tmp_path / "s.parquet")], env=WIDE)
    assert res.exit_code == 0, res.output
    assert "note: ignored feature columns: [red]K (constant)" in flat(res.stdout)
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "100%"], env=WIDE)
    assert res.exit_code == 0, res.output


def test_error_boundaries_print_brackets_literally(tmp_path, monkeypatch):
    import dvclean.pipeline as pipeline

    src = noisy_csv(tmp_path / "d.csv")

    def boom(*a, **k):
        raise RuntimeError("closing [/] and [red]colour")

    monkeypatch.setattr(pipeline, "flag_rows", boom)
    res = runner.invoke(app, ["score", str(src), "-y", "y"], env=WIDE)
    assert res.exit_code == 3, res.output
    assert "internal error: RuntimeError: closing [/] and [red]colour" in flat(res.stderr)
    monkeypatch.undo()
    res = runner.invoke(app, ["score", str(src), "-y", "[/]"], env=WIDE)  # a DvcleanError naming brackets
    assert res.exit_code == 2 and "label column '[/]' not found" in res.stderr


@pytest.mark.parametrize(
    ("command", "text"),
    [("augment", 'pip install ".[augment]"'), ("check", "[tool.dvclean.check]"),
     ("fix", "[tool.dvclean.fix]"), ("score", 'pip install ".[distributed]"')],
)
def test_help_keeps_bracketed_words(command, text):
    res = runner.invoke(app, [command, "--help"], env=WIDE)
    assert res.exit_code == 0
    assert text in flat(res.stdout.replace("│", " "))


# ---------------------------------------------------------------- 3: a closed stdout keeps the exit code


def run_stdout_closed(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run dvclean with stdout a pipe whose reader is already gone (`... | head -0`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "dvclean", *args], stdout=write_end, stderr=subprocess.PIPE,
                              cwd=cwd, timeout=300, env={**os.environ, "COLUMNS": "120"})
    finally:
        os.close(write_end)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["check", "d.csv", "-y", "y", "--max-mislabeled", "100%", "--max-hard", "100%"], 0),
        (["check", "d.csv", "-y", "y", "--max-mislabeled", "0"], 1),
        (["check", "d.csv", "-y", "y", "--max-mislabeled", "100%", "--format", "github"], 0),
        (["score", "d.csv", "-y", "y", "-o", "s.parquet"], 0),
        (["methods"], 0),
    ],
)
def test_closed_stdout_pipe_keeps_the_exit_code(tmp_path, args, code):
    noisy_csv(tmp_path / "d.csv")
    res = run_stdout_closed(args, tmp_path)
    err = res.stderr.decode()
    assert res.returncode == code, err
    assert "Traceback" not in err and "Exception ignored" not in err and "internal error" not in err
    if args[0] == "score":
        assert (tmp_path / "s.parquet").is_file()


# ---------------------------------------------------------------- 4, 5: the right option in path and label errors


@pytest.mark.parametrize("command", ["score", "fix"])
def test_report_path_error_names_report(tmp_path, command):
    src = noisy_csv(tmp_path / "d.csv")
    out = tmp_path / ("ok.parquet" if command == "score" else "ok.csv")
    res = runner.invoke(app, [command, str(src), "-y", "y", "-o", str(out), "--report", str(tmp_path / "nodir" / "r.html")],
                        env=WIDE)
    assert res.exit_code == 2
    assert flat(res.stderr).startswith("error: --report ") and "--output" not in res.stderr
    assert not out.exists()


@pytest.mark.parametrize("command", ["score", "check", "fix"])
def test_dropping_the_label_is_explained(tmp_path, command):
    src = noisy_csv(tmp_path / "d.csv")
    res = runner.invoke(app, [command, str(src), "-y", "y", "--drop", "y"], env=WIDE)
    assert res.exit_code == 2
    assert "--drop y removes the label column 'y'" in flat(res.stderr)
    auto = tmp_path / "auto.csv"
    pl.read_csv(src).rename({"y": "label"}).write_csv(auto)
    res = runner.invoke(app, [command, str(auto), "--drop", "label"], env=WIDE)
    assert res.exit_code == 2
    assert "--drop label removes 'label', the column dvclean takes as the label" in flat(res.stderr)


# ---------------------------------------------------------------- 6, 7: hints valid for the command


def test_augment_continuous_label_hint_has_no_task_option(tmp_path):
    rng = np.random.default_rng(1)
    src = tmp_path / "reg.csv"
    pl.DataFrame({"a": rng.random(200), "b": rng.random(200), "price": np.round(rng.random(200) * 100, 2)}).write_csv(src)
    res = runner.invoke(app, ["augment", str(src), "-y", "price", "-g", "gaussian-copula"], env=WIDE)
    assert res.exit_code == 2
    err = flat(res.stderr)
    assert "--task" not in err.replace("it has no --task", "") and "class labels only" in err


def test_non_integer_threshold_hint_is_valid(tmp_path):
    from dvclean.check import parse_threshold

    src = noisy_csv(tmp_path / "d.csv")
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "1.5"], env=WIDE)
    assert res.exit_code == 2
    assert "150%" not in res.stderr and "1.5%" in res.stderr
    suggested = flat(res.stderr).split("write ")[1].split("%")[0] + "%"
    assert parse_threshold(suggested, "max-mislabeled").value == pytest.approx(0.015)  # the hint itself is valid


# ---------------------------------------------------------------- 8: the evidence behind a flag


def test_suspicious_rows_carry_the_real_evidence(tmp_path):
    import dvclean
    from dvclean.check import CheckPolicy, evaluate_check, mislabel_evidence

    src = noisy_csv(tmp_path / "d.csv", ("<=50K", ">50K"))
    result = dvclean.score(str(src), label="y")
    rows = [r for r in evaluate_check(result, CheckPolicy(max_mislabeled="100%")).rows if r["is_mislabeled"]]
    assert rows
    for r in rows:
        text = mislabel_evidence(r)
        assert r["given_label_prob"] is not None and r["suggested_label"] != r["label"]
        assert text.startswith(f"label {r['label']} looks wrong: p({r['label']})={r['given_label_prob']:.2f}")
        assert f"suggested {r['suggested_label']}" in text
        assert ("nearest neighbours" in text) == (r["neighbor_label"] != r["label"])


# ---------------------------------------------------------------- 9, 14: configuration files


def test_fix_reads_the_config_file(tmp_path, monkeypatch):
    pl.read_csv(noisy_csv(tmp_path / "d.csv")).rename({"y": "income"}).write_csv(tmp_path / "small.csv")
    (tmp_path / "pyproject.toml").write_text('[tool.dvclean]\nlabel = "income"\n[tool.dvclean.fix]\naction = "drop"\n')
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["fix", "small.csv", "--json"], env=WIDE)
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["action"] == "drop" and doc["rows_out"] < doc["rows_in"]
    cfg = tmp_path / "cfg" / "dvclean.toml"
    cfg.parent.mkdir()
    cfg.write_text('label = "income"\naction = "mark"\n')
    res = runner.invoke(app, ["fix", "small.csv", "--config", str(cfg), "--json", "-o", "m.csv"], env=WIDE)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["action"] == "mark"


def test_unknown_config_key_suggests_the_close_one(tmp_path, monkeypatch):
    src = noisy_csv(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('labl = "y"\n')
    res = runner.invoke(app, ["check", str(src)], env=WIDE)
    assert res.exit_code == 2
    err = flat(res.stderr)
    assert "unknown key 'labl'; did you mean 'label'?" in err and "checkpoint-every" not in err


@pytest.mark.parametrize(("line", "shown"), [("label = true", "invalid value true for --label"),
                                             ("exit-zero = 'yes'", "invalid value 'yes' for --exit-zero")])
def test_config_values_are_shown_as_toml(tmp_path, line, shown):
    src = noisy_csv(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text(line + "\n")
    res = runner.invoke(app, ["check", str(src)], env=WIDE)
    assert res.exit_code == 2
    assert shown in flat(res.stderr) and "True" not in res.stderr


# ---------------------------------------------------------------- 10: report on another data file


def test_report_refuses_data_that_was_not_scored(tmp_path):
    src = noisy_csv(tmp_path / "d.csv")
    scores = tmp_path / "d.dvclean.parquet"
    assert runner.invoke(app, ["score", str(src), "-y", "y", "-q", "-o", str(scores)]).exit_code == 0
    other = noisy_csv(tmp_path / "other.csv", seed=5)  # same rows and columns, other values
    assert hashlib.sha256(other.read_bytes()).digest() != hashlib.sha256(src.read_bytes()).digest()
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(scores), "--data", str(other), "-o", str(out)], env=WIDE)
    assert res.exit_code == 2
    assert "--data" in res.stderr and "not the file" in flat(res.stderr) and not out.exists()
    res = runner.invoke(app, ["report", str(scores), "--data", str(src), "-o", str(out)], env=WIDE)
    assert res.exit_code == 0 and out.is_file()


# ---------------------------------------------------------------- 11: --quiet


@pytest.mark.parametrize("command", ["score", "fix"])
def test_quiet_prints_nothing_but_still_writes(tmp_path, command):
    src = noisy_csv(tmp_path / "d.csv")
    out = tmp_path / ("s.parquet" if command == "score" else "f.csv")
    res = runner.invoke(app, [command, str(src), "-y", "y", "-q", "-o", str(out)], env=WIDE)
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and res.stderr == "" and out.is_file()
    res = runner.invoke(app, [command, str(src), "-y", "y", "-q", "--json", "-o", str(out)], env=WIDE)
    assert res.exit_code == 0 and json.loads(res.stdout)["output"] == str(out)


def test_augment_quiet_prints_nothing(tmp_path):
    pytest.importorskip("sdv")
    src = noisy_csv(tmp_path / "d.csv", n=200)
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-q", "-n", "20",
                              "-o", str(tmp_path / "a.csv")], env=WIDE)
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and (tmp_path / "a.csv").is_file()


# ---------------------------------------------------------------- 12: options, not library classes


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("score", ["--k", "0"], "--k must be an int >= 1; got 0."),
        ("score", ["--eps", "2"], "--eps must be a float in (0, 1); got 2.0."),
        ("score", ["--hard-frac", "2"], "--hard-frac must be a float in [0, 1]; got 2.0 (a percentage? write 2%)."),
        ("score", ["--folds", "1"], "--folds must be an int >= 2; got 1."),
        ("score", ["--mislabel-rule", "foo"], "--mislabel-rule must be one of"),
        ("score", ["--expected-noise", "2"], "--expected-noise must be a float in (0, 1); got 2.0 (a percentage? write 2%)."),
        ("check", ["--k", "0"], "--k must be an int >= 1"),
        ("fix", ["--action", "foo"], "--action must be one of 'relabel', 'drop' or 'mark'; got 'foo'."),
        ("fix", ["--action", "relabel", "--min-confidence", "2"], "--min-confidence must be a fraction in [0, 1]; got 2"),
        ("augment", ["--generator", "foo"], "--generator must be one of"),
        ("augment", ["--hard-frac", "3"], "--hard-frac must be a float in (0, 1]"),
    ],
)
def test_errors_name_the_option(tmp_path, command, args, message):
    src = noisy_csv(tmp_path / "d.csv")
    res = runner.invoke(app, [command, str(src), "-y", "y", "-q", *args], env=WIDE)
    assert res.exit_code == 2, res.output
    err = flat(res.stderr)
    assert message in err and "parameter of" not in err and "Config" not in err


# ---------------------------------------------------------------- 13: contradictory options


@pytest.mark.parametrize(
    ("command", "args", "message"),
    [
        ("check", ["--json", "--format", "markdown"], "--json contradicts --format markdown"),
        ("score", ["-o", "x.parquet", "--format", "csv"], "--format csv contradicts --output x.parquet"),
        ("fix", ["-o", "x.parquet", "--format", "csv"], "--format csv contradicts --output x.parquet"),
        ("augment", ["-o", "x.parquet", "--format", "csv"], "--format csv contradicts --output x.parquet"),
        ("check", ["--max-mislabeled", "2%", "--warn-mislabeled", "5%"], "--warn-mislabeled 5% is above --max-mislabeled 2%"),
        ("check", ["--max-hard", "3", "--warn-hard", "10"], "--warn-hard 10 is above --max-hard 3"),
        ("fix", ["--action", "drop", "--min-confidence", "0.9"], "--min-confidence applies to --action relabel only"),
        ("fix", ["--action", "mark", "--min-confidence", "0.9"], "--min-confidence applies to --action relabel only"),
        ("score", ["-m", "knn,knn"], "--method names 'knn' more than once"),
        ("check", ["-m", "knn", "-m", "knn"], "--method names 'knn' more than once"),
        ("augment", ["--include-mislabeled", "--drop-mislabeled"], "--include-mislabeled and --drop-mislabeled contradict"),
    ],
)
def test_contradictory_options_are_refused(tmp_path, monkeypatch, command, args, message):
    src = noisy_csv(tmp_path / "d.csv")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, [command, str(src), "-y", "y", "-q", *args], env=WIDE)
    assert res.exit_code == 2, res.output
    assert message in flat(res.stderr)
    assert not (tmp_path / "x.parquet").exists()


def test_compatible_options_still_work(tmp_path):
    src = noisy_csv(tmp_path / "d.csv")
    ok = [
        ["check", str(src), "-y", "y", "--json", "--format", "json"],
        ["check", str(src), "-y", "y", "--max-mislabeled", "5%", "--warn-mislabeled", "2%", "--exit-zero"],
        ["check", str(src), "-y", "y", "--max-mislabeled", "50", "--warn-mislabeled", "2%", "--exit-zero"],
        ["score", str(src), "-y", "y", "-q", "-o", str(tmp_path / "s.csv"), "--format", "csv"],
        ["fix", str(src), "-y", "y", "-q", "--action", "relabel", "--min-confidence", "0.9", "-o", str(tmp_path / "f.csv")],
    ]
    for args in ok:
        res = runner.invoke(app, args, env=WIDE)
        assert res.exit_code == 0, (args, res.output)


def test_json_flag_beats_a_format_from_the_config_file(tmp_path):
    src = noisy_csv(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('label = "y"\nformat = "markdown"\n')
    res = runner.invoke(app, ["check", str(src), "--json"], env=WIDE)
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["command"] == "check"
    res = runner.invoke(app, ["check", str(src)], env=WIDE)
    assert res.exit_code == 0 and res.stdout.startswith("## dvclean check")


@pytest.mark.parametrize("command", ["score", "check", "fix"])
def test_dropping_the_id_is_explained(tmp_path, command):
    src = tmp_path / "d.csv"
    pl.read_csv(noisy_csv(tmp_path / "n.csv")).with_row_index("key").write_csv(src)
    res = runner.invoke(app, [command, str(src), "-y", "y", "--id", "key", "--drop", "key"], env=WIDE)
    assert res.exit_code == 2
    assert "--drop key removes the id column 'key' (--id)" in flat(res.stderr) and "not found" not in res.stderr
