"""``dvclean augment``'s output names: the default output keeps the input's format (as ``fix``'s does),
the JSON report is named after the output, and the summary counts the flagged rows that trained the generator."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import default_augment_output
from dvclean.cli import app
from dvclean.fix import default_fixed_path

from .conftest import needs_sdv
from .test_check import clusters

runner = CliRunner()
WIDE = {"COLUMNS": "250", "TERMINAL_WIDTH": "250"}
FAST = ["-y", "y", "--id", "uid", "-g", "gaussian-copula", "-n", "5", "-q"]


def flat(text: str) -> str:
    return " ".join(text.split())


def frame() -> pl.DataFrame:
    return clusters(n_per_class=30, flips=(3, 17, 40, 50))


def write(df: pl.DataFrame, path: Path) -> Path:
    name = path.name
    if name.endswith(".json"):
        df.write_json(path)  # a JSON array of row objects
    elif name.endswith((".arrow", ".feather", ".ipc")):
        df.write_ipc(path)
    elif name.endswith(".csv.gz"):
        path.write_bytes(gzip.compress(df.write_csv().encode()))
    else:
        raise AssertionError(name)
    return path


# ---------------------------------------------------------------- the default name (no training)


@pytest.mark.parametrize(
    ("name", "fmt", "expected"),
    [
        ("d.json", None, "d.augmented.json"),
        ("d.arrow", None, "d.augmented.arrow"),
        ("d.feather", None, "d.augmented.feather"),
        ("d.ipc", None, "d.augmented.ipc"),
        ("d.csv.gz", None, "d.augmented.csv"),
        ("d.json", "parquet", "d.augmented.parquet"),
        ("d.csv.gz", "ipc", "d.augmented.arrow"),
    ],
)
def test_default_output_keeps_the_input_format_as_fix_does(tmp_path, name, fmt, expected):
    src = write(frame(), tmp_path / name)
    out = default_augment_output(src, fmt)
    assert out == tmp_path / expected
    fixed = default_fixed_path(src, fmt)
    assert out.name.split(".augmented.", 1)[1] == fixed.name.split(".fixed.", 1)[1]


def test_stdin_still_needs_output():
    res = runner.invoke(app, ["augment", "-", *FAST], input="uid,f1,f2,y\n")
    assert res.exit_code == 2, res.output
    assert "--output" in flat(res.stderr)


# ---------------------------------------------------------------- the files really are written in that format


def read_back(path: Path) -> pl.DataFrame:
    head = path.read_bytes()[:8]
    if path.suffix == ".json":
        assert head.lstrip()[:1] == b"[", head  # a JSON array, not JSON lines or Parquet
        return pl.read_json(path)
    if path.suffix in (".arrow", ".feather", ".ipc"):
        assert head.startswith(b"ARROW1"), head
        return pl.read_ipc(path)
    assert path.suffix == ".csv", path
    assert not head.startswith((b"\x1f\x8b", b"PAR1")), head  # plain text
    return pl.read_csv(path)


@needs_sdv
@pytest.mark.usefixtures("sdv_home")
@pytest.mark.parametrize("name", ["d.json", "d.arrow", "d.feather", "d.ipc", "d.csv.gz"])
def test_augment_writes_the_input_format_by_default(tmp_path, name):
    src = write(frame(), tmp_path / name)
    res = runner.invoke(app, ["augment", str(src), *FAST, "-t", "all"])
    assert res.exit_code == 0, res.output
    stem = "d.augmented"
    ext = {"d.csv.gz": "csv"}.get(name, name.split(".", 1)[1])
    out = tmp_path / f"{stem}.{ext}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, out.name, "d.augment-report.json"])
    back = read_back(out)
    assert back.height == 60 + 5
    assert back.get_column("dvclean_synthetic").sum() == 5
    doc = json.loads((tmp_path / "d.augment-report.json").read_text())
    assert doc["output"] == str(out)


# ---------------------------------------------------------------- the report's name, the summary's counts


def test_help_names_the_report_after_the_output_and_the_inputs():
    res = runner.invoke(app, ["augment", "--help"], env=WIDE)
    assert res.exit_code == 0
    text = flat(res.output)
    assert "named after the output (<output stem>.augment-report.json, .augmented removed)" in text, text
    assert "<input stem>.augment-report.json" not in text
    for command in ("augment", "fix"):
        text = flat(runner.invoke(app, [command, "--help"], env=WIDE).output)
        assert "NDJSON, JSON array, Arrow IPC) or - for stdin (needs --output)" in text, text


@needs_sdv
@pytest.mark.usefixtures("sdv_home")
def test_report_is_named_after_the_output_and_summary_counts_the_used_flagged_rows(tmp_path):
    src = write(frame(), tmp_path / "d.json")
    out = tmp_path / "mine.csv"
    args = ["augment", str(src), *FAST[:-1], "--include-mislabeled", "-t", "class:a", "-o", str(out)]
    res = runner.invoke(app, args, env=WIDE)
    assert res.exit_code == 0, res.output
    report = tmp_path / "mine.augment-report.json"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.json", report.name, out.name]
    doc = json.loads(report.read_text())
    flagged, used = doc["scores"]["mislabeled"], doc["target"]["mislabeled_rows_used"]
    assert 0 < used < flagged  # only the flagged rows labelled 'a' train the generator
    text = flat(res.stdout)
    assert f"{flagged} flagged mislabeled, {used} of them among the training rows" in text, text
    assert "(used for training)" not in text
    assert str(report) in text


@pytest.mark.parametrize(("name", "fmt", "expected"), [
    ("d/t.tsv", None, "t.{tag}.tsv"), ("d/p.pq", "parquet", "p.{tag}.pq"), ("d/l.jsonl", "ndjson", "l.{tag}.jsonl"),
    ("d/c.csv", "parquet", "c.{tag}.parquet"), ("d/t.tsv", "ndjson", "t.{tag}.ndjson"),
])
def test_fix_and_augment_keep_the_inputs_own_suffix(name, fmt, expected):
    """One naming rule for both commands (dvclean.io.derived_output_path): a .tsv stays .tsv."""
    from dvclean.fix import default_fixed_path

    assert default_fixed_path(name, fmt).name == expected.format(tag="fixed")
    assert default_augment_output(name, fmt).name == expected.format(tag="augmented")
