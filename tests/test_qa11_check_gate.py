"""`dvclean check` (QA s11 findings 6, 7 and 9): an unwritable step summary, class names with a
newline against the JSON schema, and bad thresholds from a configuration file."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.check import parse_threshold
from dvclean.cli import app
from dvclean.errors import ConfigError

runner = CliRunner()


def _data(tmp_path, labels=("a", "b"), flips=(3, 40)):
    rng = np.random.default_rng(0)
    cls = np.repeat([0, 1], 30)
    y = cls.copy()
    y[list(flips)] = 1 - y[list(flips)]
    path = tmp_path / "d.csv"
    pl.DataFrame({"f1": rng.normal(size=60) + 10 * cls, "f2": rng.normal(size=60),
                  "y": [labels[v] for v in y]}).write_csv(path)
    return path


def _schema() -> dict:
    return json.loads(resources.files("dvclean").joinpath("schemas/check.schema.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- 6: $GITHUB_STEP_SUMMARY is a side channel


@pytest.mark.parametrize(("limit", "code"), [("0", 1), ("50%", 0)])
def test_an_unwritable_step_summary_keeps_the_gates_exit_code(tmp_path, limit, code):
    src = _data(tmp_path)
    summary = tmp_path / "no such dir" / "sum.md"
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", limit, "--format", "github"],
                        env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert res.exit_code == code, res.output
    warnings = [line for line in res.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and str(summary) in warnings[0] and "$GITHUB_STEP_SUMMARY" in warnings[0]
    assert "internal error" not in res.stderr
    assert ("FAIL mislabeled" if code else "PASS mislabeled") in res.stdout


# ---------------------------------------------------------------- 7: patterns are ECMA-262


def _patterns(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern":
                yield value
            else:
                yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_no_schema_pattern_uses_a_dot_that_stops_at_a_newline():
    schemas = resources.files("dvclean").joinpath("schemas")
    for entry in schemas.iterdir():
        if entry.name.endswith(".json"):
            for pattern in _patterns(json.loads(entry.read_text(encoding="utf-8"))):
                unescaped = pattern.replace("\\\\", "").replace("\\.", "")
                assert "." not in unescaped.replace("[\\s\\S]", ""), (entry.name, pattern)


def test_a_class_name_with_a_newline_validates(tmp_path):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")
    src = tmp_path / "d.parquet"
    pl.read_csv(_data(tmp_path, labels=("a", "c\n::error::pwn"))).write_parquet(src)
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled-per-class", "10%", "--json"])
    assert res.exit_code in (0, 1), res.output
    doc = json.loads(res.stdout)
    assert "mislabeled[class=c\n::error::pwn]" in {c["name"] for c in doc["checks"]}
    jsonschema.Draft202012Validator(_schema()).validate(doc)


# ---------------------------------------------------------------- 9: a threshold from a configuration file


@pytest.mark.parametrize(
    ("value", "wanted"),
    [
        ("0.02", 'write a percentage as a quoted string with a % sign (e.g. max-mislabeled = "2%")'),
        ("2.5", 'write max-mislabeled = "2.5%" for a percentage, or a whole number of rows such as max-mislabeled = 2'),
        ('"lots"', 'or a percentage, a quoted string, such as max-mislabeled = "2%"'),
    ],
)
def test_a_bad_threshold_from_dvclean_toml_names_the_file(tmp_path, value, wanted):
    src = _data(tmp_path)
    cfg = tmp_path / "dvclean.toml"
    cfg.write_text(f'label = "y"\n[check]\nmax-mislabeled = {value}\n', encoding="utf-8")
    res = runner.invoke(app, ["check", str(src)])
    assert res.exit_code == 2, res.output
    message = " ".join(res.stderr.split())
    assert message.startswith(f"error: {cfg} [check]: invalid value ")
    assert "for --max-mislabeled: " in message and wanted in message


def test_a_bad_threshold_typed_on_the_command_line_is_named_as_an_option(tmp_path):
    src = _data(tmp_path)
    cfg = tmp_path / "dvclean.toml"
    cfg.write_text('label = "y"\n[check]\nmax-mislabeled = 0.02\n', encoding="utf-8")
    res = runner.invoke(app, ["check", str(src)])
    assert res.exit_code == 2 and f"{cfg} [check]: invalid value 0.02" in res.stderr, res.output
    res = runner.invoke(app, ["check", str(src), "--max-mislabeled", "0.03"])  # the command line wins
    assert res.exit_code == 2, res.output
    assert " ".join(res.stderr.split()) == (
        "error: --max-mislabeled: 0.03 is not a whole number of rows; write a percentage with a % sign (e.g. 3%)"
    )


def test_parse_threshold_with_a_source():
    with pytest.raises(ConfigError, match=r'^pyproject.toml \[tool.dvclean.check\]: invalid value 150% for --max-hard: '
                                          r"a percentage must be between 0% and 100%; got 150%$"):
        parse_threshold("150%", "max-hard", source="pyproject.toml [tool.dvclean.check]")
    assert parse_threshold("2%", "max-hard", source="dvclean.toml [check]").value == 0.02
