"""`dvclean fix` changes only what its action says: every other field keeps its text exactly."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.config import FixConfig
from dvclean.fix import ISSUE_COLUMN, fix, write_fixed

runner = CliRunner()
CITIES = ['"Paris; FR"', "Lyon", '"Nice"', "NA", "?", ""]
NOTES = ["", "x", '"a ""q"" b"', '""']


def sha(p) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def tricky_csv(path, n: int = 150, sep: str = ";", newline: str = "\r\n"):
    """Zip codes with leading zeros, prices with trailing zeros, quoted fields holding the
    separator and quotes, missing values spelled "", NA and ?, label noise."""
    rng = np.random.default_rng(0)
    lines = [sep.join(["zip", "price", "x", "city", "note", "y"])]
    for i in range(n):
        y = int(rng.integers(0, 2))
        x = f"{rng.normal(3.0 * y, 0.8):.3f}"
        price = f"{rng.uniform(10, 99):.2f}" if i % 5 else f"{int(rng.integers(10, 99))}.60"
        if i % 9 == 0:
            y = 1 - y  # a wrong label
        city = CITIES[i % len(CITIES)].replace(";", sep)
        lines.append(sep.join([f"{int(rng.integers(0, 3000)):05d}", price, x, city, NOTES[i % len(NOTES)], str(y)]))
    path.write_bytes(newline.join(lines).encode() + newline.encode())
    return path


def records(path, newline: str = "\r\n") -> list[str]:
    return path.read_bytes().decode().split(newline)[:-1]


@pytest.fixture(scope="module")
def src(tmp_path_factory):
    return tricky_csv(tmp_path_factory.mktemp("fix") / "fmt.csv")


@pytest.mark.parametrize("action", ["mark", "drop", "relabel"])
def test_unchanged_rows_keep_their_exact_text(src, tmp_path, action):
    before = sha(src)
    res = fix(src, label="y", config=FixConfig(action=action, min_confidence=0.5))
    out = write_fixed(res, tmp_path / "out.csv")
    assert sha(src) == before
    s = res.summary
    assert s["flagged"] > 0
    inp, got = records(src), records(out)
    flagged = res.scores.frame.get_column("is_mislabeled").fill_null(False).to_list()
    if action == "mark":
        assert got[0] == inp[0] + ";" + ISSUE_COLUMN
        assert got[1:] == [line + (";mislabeled" if f else ";") for line, f in zip(inp[1:], flagged, strict=True)]
    elif action == "drop":
        assert got == [inp[0]] + [line for line, f in zip(inp[1:], flagged, strict=True) if not f]
    else:
        assert len(got) == len(inp) and got[0] == inp[0]
        changed = [(a, b) for a, b in zip(inp[1:], got[1:], strict=True) if a != b]
        assert len(changed) == s["relabeled"] == s["changed"] > 0
        for a, b in changed:  # only the label field differs
            fa, fb = a.rsplit(";", 1), b.rsplit(";", 1)
            assert fa[0] == fb[0] and {fa[1], fb[1]} == {"0", "1"}


def test_cli_mark_says_no_row_changed_and_means_it(src, tmp_path):
    out = tmp_path / "m.csv"
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "mark", "-o", str(out), "--json", "-q"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["changed"] == 0
    got = records(out)
    assert [line.rsplit(";", 1)[0] for line in got] == records(src)
    assert any(line.startswith("00") for line in got[1:]) and any(".60;" in line for line in got[1:])


def test_tsv_output_suffix_switches_the_delimiter_and_keeps_field_text(src, tmp_path):
    res = fix(src, label="y", config=FixConfig(action="mark"))
    out = write_fixed(res, tmp_path / "out.tsv")
    with out.open(newline="") as a, src.open(newline="") as b:
        back, orig = list(csv.reader(a, delimiter="\t")), list(csv.reader(b, delimiter=";"))
    assert [row[:-1] for row in back] == orig and back[0][-1] == ISSUE_COLUMN
    cells = {v for row in back for v in row}
    assert {"Paris; FR", 'a "q" b', "NA", "?", ""} <= cells and any(v.startswith("00") for v in cells)


def test_comma_csv_with_quoted_commas_and_gzip_input(tmp_path):
    plain = tricky_csv(tmp_path / "c.csv", sep=",", newline="\n")
    gz = tmp_path / "c.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    before = sha(gz)
    res = fix(gz, label="y", config=FixConfig(action="drop"))
    out = write_fixed(res, tmp_path / "out.csv")
    flagged = res.scores.frame.get_column("is_mislabeled").to_list()
    inp = records(plain, "\n")
    assert records(out, "\n") == [inp[0]] + [line for line, f in zip(inp[1:], flagged, strict=True) if not f]
    assert sha(gz) == before


def test_dropped_feature_columns_stay_in_the_output(src, tmp_path):
    res = fix(src, label="y", drop=("note", "city"), config=FixConfig(action="mark"))
    assert res.frame.columns == ["zip", "price", "x", "city", "note", "y", ISSUE_COLUMN]
    out = write_fixed(res, tmp_path / "out.parquet")
    assert pl.read_parquet(out).columns == res.frame.columns
    csv_out = write_fixed(res, tmp_path / "out.csv")
    assert [line.rsplit(";", 1)[0] for line in records(csv_out)] == records(src)


def test_parquet_input_keeps_dtypes(src, tmp_path):
    df = pl.read_csv(src, separator=";", schema_overrides={"zip": pl.String}).with_columns(
        pl.col("y").cast(pl.UInt8), pl.col("price").cast(pl.Float32), n=pl.int_range(pl.len(), dtype=pl.Int16)
    )
    pq = tmp_path / "d.parquet"
    df.write_parquet(pq)
    for action in ("relabel", "mark", "drop"):
        res = fix(pq, label="y", config=FixConfig(action=action, min_confidence=0.5))
        back = pl.read_parquet(write_fixed(res, tmp_path / f"{action}.parquet"))
        assert {k: v for k, v in back.schema.items() if k != ISSUE_COLUMN} == df.schema
        if action == "relabel":
            assert back.drop("y").equals(df.drop("y"))
            assert int((back.get_column("y") != df.get_column("y")).sum()) == res.summary["relabeled"] > 0


def test_stdin_input_keeps_its_text(src, tmp_path):
    out = tmp_path / "s.csv"
    res = runner.invoke(app, ["fix", "-", "-y", "y", "--action", "mark", "-o", str(out), "-q"], input=src.read_bytes())
    assert res.exit_code == 0, res.output
    assert [line.rsplit(";", 1)[0] for line in records(out)] == records(src)


def test_fix_reads_a_latin1_pipe_separated_csv_and_keeps_its_encoding(tmp_path):
    """`fix` had no --separator/--encoding/--input-format: a Latin-1 file could not be fixed at all."""
    rng = np.random.default_rng(0)
    lines = ["x|ville|y"]
    for i in range(120):
        y = i % 2
        given = 1 - y if i in (4, 9, 20) else y
        lines.append(f"{rng.normal(3 * y, 1):.3f}|{['Besançon', 'Orléans', 'Nîmes'][i % 3]}|{'oui' if given else 'non'}")
    src = tmp_path / "latin.csv"
    src.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    out = tmp_path / "fixed.csv"
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "mark", "--separator", "|",
                              "--encoding", "latin-1", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    got = out.read_bytes().decode("latin-1").splitlines()
    assert got[0] == "x|ville|y|dvclean_issue"
    assert [g.rsplit("|", 1)[0] for g in got[1:]] == lines[1:]
