"""Configuration files: discovery, precedence CLI > dvclean.toml > pyproject.toml > defaults, errors."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.errors import ConfigError
from dvclean.settings import find_config_files, load_settings

from .test_check import FLIPS, clusters

runner = CliRunner()


def show(args: list[str]) -> dict[str, tuple[str, str]]:
    res = runner.invoke(app, ["check", *args, "--show-config"])
    assert res.exit_code == 0, res.output
    out = {}
    for line in res.stdout.splitlines():
        m = re.match(r"^(?:# )?(\S+)\s*= (.*?)\s+# (.*)$", line)  # an unset setting is a TOML comment
        if m:
            out[m[1]] = (m[2], m[3])
    return out


def test_precedence_cli_over_dvclean_toml_over_pyproject_over_default(tmp_path):
    sub = tmp_path / "data" / "raw"
    sub.mkdir(parents=True)
    src = sub / "d.csv"
    src.write_text("f,y\n1,a\n", encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.dvclean]\nlabel = "y"\nseed = 1\n[tool.dvclean.check]\nmax-mislabeled = "1%"\nk = 7\n',
        encoding="utf-8",
    )
    (tmp_path / "dvclean.toml").write_text('[check]\nmax_mislabeled = "2%"\n', encoding="utf-8")

    cfg = show([str(src), "--max-mislabeled", "3%"])
    assert cfg["max-mislabeled"] == ('"3%"', "command line")
    cfg = show([str(src)])
    assert cfg["max-mislabeled"][0] == '"2%"' and cfg["max-mislabeled"][1].endswith("dvclean.toml [check]")
    assert cfg["k"][0] == "7" and "pyproject.toml [tool.dvclean.check]" in cfg["k"][1]
    assert cfg["label"][0] == '"y"' and cfg["label"][1].endswith("pyproject.toml [tool.dvclean]")
    assert cfg["seed"] == ("1", cfg["seed"][1]) and "[tool.dvclean]" in cfg["seed"][1]
    assert cfg["max-hard"] == ("(unset)", "default") and cfg["hard-frac"] == ("0.1", "default")

    (tmp_path / "dvclean.toml").unlink()
    assert show([str(src)])["max-mislabeled"][0] == '"1%"'
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert show([str(src)])["max-mislabeled"] == ("(unset)", "default")


def test_nearest_directory_wins(tmp_path):
    inner = tmp_path / "a"
    inner.mkdir()
    (tmp_path / "dvclean.toml").write_text("seed = 5\n", encoding="utf-8")
    (inner / "pyproject.toml").write_text("[tool.dvclean]\nseed = 6\n", encoding="utf-8")
    files = find_config_files(inner / "d.csv")
    assert [f.path for f in files] == [inner / "pyproject.toml"]
    # a pyproject.toml without [tool.dvclean] does not stop the search
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert [f.path for f in find_config_files(inner / "d.csv")] == [tmp_path / "dvclean.toml"]


def test_config_threshold_drives_the_exit_code(tmp_path):
    src = tmp_path / "d.csv"
    clusters(flips=FLIPS).write_csv(src)
    (tmp_path / "dvclean.toml").write_text('label = "y"\n[check]\nmax-mislabeled = 2\nformat = "text"\n', encoding="utf-8")
    res = runner.invoke(app, ["check", str(src)])
    assert res.exit_code == 1 and "FAIL mislabeled 6 (5.00%) max 2 rows" in res.stdout
    res = runner.invoke(app, ["check", str(src), "--max-mislabeled", "10"])
    assert res.exit_code == 0 and "PASS mislabeled" in res.stdout


def test_score_reads_the_label_from_config(tmp_path):
    src = tmp_path / "d.csv"
    clusters().rename({"y": "kind"}).write_csv(src)
    (tmp_path / "pyproject.toml").write_text('[tool.dvclean]\nlabel = "kind"\n[tool.dvclean.score]\nk = 3\n', encoding="utf-8")
    res = runner.invoke(app, ["score", str(src), "--json", "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 0, res.output
    assert '"label": "kind"' in res.stdout and '"k": 3' in res.stdout
    assert pl.read_parquet(tmp_path / "s.parquet").height == 120


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[check]\nmax-mislabled = 3\n", "unknown key 'max-mislabled'"),
        ("colour = 1\n", "unknown key 'colour'"),
        ("[chek]\nk = 1\n", "unknown table 'chek'"),
        # augment and methods read no configuration file: a table for them would be silently ignored
        ("[augment]\ngenerator = \"ctgan\"\n", "`dvclean augment` does not read configuration files"),
        ("[methods]\n", "`dvclean methods` does not read configuration files"),
        ("generator = \"ctgan\"\n", "unknown key 'generator'"),
        ("[check]\nk = \"many\"\n", "invalid value 'many' for --k"),
        ("[check\n", "invalid TOML"),
        ('[check]\nmax-mislabeled = "lots"\n', "--max-mislabeled"),
    ],
)
def test_bad_configuration_exits_2(tmp_path, text, needle):
    src = tmp_path / "d.csv"
    clusters(n_per_class=10).write_csv(src)
    (tmp_path / "dvclean.toml").write_text(text, encoding="utf-8")
    res = runner.invoke(app, ["check", str(src), "-y", "y"])
    assert res.exit_code == 2, res.output
    assert needle in res.stderr and "Traceback" not in res.output


def test_explicit_config_file_and_errors(tmp_path):
    cfg = tmp_path / "ci.toml"
    cfg.write_text('[check]\nmax-hard = "5%"\n', encoding="utf-8")
    s = load_settings("check", {"check": {"max_hard"}}, start=tmp_path / "elsewhere" / "d.csv", config_file=cfg)
    assert s.values == {"max_hard": "5%"} and s.files == (cfg,)
    with pytest.raises(ConfigError, match="no such file"):
        load_settings("check", {"check": set()}, config_file=tmp_path / "missing.toml")
    src = tmp_path / "d.csv"
    src.write_text("f,y\n1,a\n", encoding="utf-8")
    res = runner.invoke(app, ["check", str(src), "--config", str(cfg), "--show-config"])
    assert res.exit_code == 0 and re.search(r"^max-hard\s*= \"5%\"\s+# .*ci.toml \[check\]$", res.stdout, re.M)


def test_top_level_keys_of_other_commands_are_ignored_not_rejected(tmp_path):
    (tmp_path / "dvclean.toml").write_text('min-confidence = "80%"\n', encoding="utf-8")  # a fix option
    src = tmp_path / "d.csv"
    src.write_text("f,y\n1,a\n", encoding="utf-8")
    res = runner.invoke(app, ["check", str(src), "--show-config"])
    assert res.exit_code == 0 and "min-confidence" not in res.stdout and "min_confidence" not in res.stdout
    assert Path(tmp_path / "dvclean.toml").exists()
