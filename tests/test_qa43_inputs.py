"""Session 43's input fixes: JSON named .csv, a lone CR line end, CSV read as Parquet, a header name of spaces,
duplicate names in a Parquet or Arrow file."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.feather as pf
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.errors import InputError
from dvclean.io import read_frame

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def _records(n: int = 60) -> list[dict[str, float | int]]:
    rng = np.random.default_rng(0)
    return [{"a": round(float(rng.normal()), 6), "b": round(float(rng.normal()), 6), "y": i % 2} for i in range(n)]


def _csv_lines(n: int = 60) -> list[str]:
    return ["a,b,y"] + [f"{r['a']},{r['b']},{r['y']}" for r in _records(n)]


def _score(path, *extra: str, out: str = "o.csv"):
    return runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(path.parent / out), *extra])


# ---------------------------------------------------------------- 1: a JSON file named .csv


@pytest.mark.parametrize(("text", "kind", "what"), [
    (json.dumps(_records()), "json", "a JSON array of records"),  # pandas' to_json(orient='records')
    ("\ufeff" + json.dumps(_records(), indent=2), "json", "a JSON array of records"),
    ("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in _records()), "ndjson",  # (as pandas writes)
     "JSON lines (one JSON object per line)"),
])
def test_a_json_file_named_csv_is_told_to_be_read_as_json(tmp_path, text, kind, what):
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    r = _score(path)
    assert r.exit_code == 2, r.output
    said = flat(r.output)
    assert (f"data.csv: looks like {what}, not CSV text; pass --input-format {kind}, or rename the file to end in "
            f".{kind}") in said, said
    assert "duplicate column name" not in said and "cannot parse the CSV" not in said
    r = _score(path, "--input-format", kind)
    assert r.exit_code == 0, r.output


def test_json_lines_with_spaces_that_parse_as_csv_get_the_hint_at_the_label(tmp_path):
    path = tmp_path / "data.csv"  # ('{"a": 0.1' is one CSV field: the file reads, its columns are JSON fragments)
    path.write_text("".join(json.dumps(r) + "\n" for r in _records()))
    hint = ("(the file looks like JSON lines (one JSON object per line), read as CSV text: pass --input-format "
            "ndjson, or rename the file to end in .ndjson)")
    for extra in ([], ["-y", "y"]):
        r = runner.invoke(app, ["score", str(path), *extra, "-o", str(tmp_path / "o.csv")])
        assert r.exit_code == 2 and hint in flat(r.output), r.output
    assert _score(path, "--input-format", "ndjson").exit_code == 0


def test_a_valid_csv_starting_with_a_brace_is_still_read_as_csv(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("\n".join(["{a},b,y", *_csv_lines()[1:]]) + "\n")
    frame, info = read_frame(path)
    assert info.format == "csv" and frame.columns == ["{a}", "b", "y"]


# ---------------------------------------------------------------- 2: a line ending in a lone CR


def test_one_line_ending_in_a_lone_cr_is_named(tmp_path):
    lines = _csv_lines()
    path = tmp_path / "d.csv"
    path.write_bytes(("\n".join(lines[:51]) + "\r" + "\n".join(lines[51:]) + "\n").encode())  # line 51 ends in CR
    r = _score(path)
    assert r.exit_code == 2, r.output
    said = flat(r.output)
    assert "d.csv: line 51 ends in a carriage return alone (CR, as on classic Mac OS)" in said, said
    assert "dvclean reads lines ending in LF or CRLF: convert the file first" in said
    assert "some rows have more fields" not in said


def test_a_file_mixing_crlf_cr_and_lf_names_the_first_lone_cr(tmp_path):
    lines = _csv_lines()
    ends = ["\r\n", "\n", "\r\n", "\r"]  # line 4 is the first to end in CR alone
    path = tmp_path / "mixed.csv"
    path.write_bytes("".join(line + ends[min(i, 3)] if i < 4 else line + ends[i % 3] for i, line in
                             enumerate(lines)).encode())
    r = _score(path)
    assert r.exit_code == 2, r.output
    assert "mixed.csv: line 4 ends in a carriage return alone" in flat(r.output), r.output


def test_a_cr_inside_a_quoted_field_is_no_line_end():
    from dvclean.io import _lone_cr_problem

    data = b'a,b,y\n"x\ry",1,0\n"p",2,1\r\n'
    assert _lone_cr_problem(data, "d.csv") is None
    assert "line 2 " in (_lone_cr_problem(b'a,b,y\n"x",1,0\r"p",2,1\n', "d.csv") or "")


# ---------------------------------------------------------------- 3: a CSV file read as Parquet


def test_a_csv_file_given_input_format_parquet_is_told_it_is_csv(tmp_path):
    path = tmp_path / "num.csv"
    path.write_text("\n".join(_csv_lines()) + "\n")
    r = runner.invoke(app, ["score", str(path), "-y", "y", "--input-format", "parquet",
                            "-o", str(tmp_path / "x.parquet")])
    assert r.exit_code == 2, r.output
    said = flat(r.output)
    assert ("num.csv: looks like CSV text, not Parquet; pass --input-format csv, or leave --input-format out to have "
            "the format found from the file") in said, said
    assert "not a readable Parquet file" not in said
    with pytest.raises(InputError, match=r"looks like CSV text, not Arrow IPC; pass --input-format csv"):
        read_frame(path, format="ipc")


def test_a_csv_file_named_parquet_is_told_to_be_renamed(tmp_path):
    path = tmp_path / "d.parquet"
    path.write_text("\n".join(_csv_lines()) + "\n")
    with pytest.raises(InputError, match=r"d.parquet: looks like CSV text, not Parquet; pass --input-format csv, or "
                                         r"rename the file to end in .csv"):
        read_frame(path)


# ---------------------------------------------------------------- 4: a header name of spaces only


def test_a_header_name_of_only_spaces_is_named_without_the_pandas_hint(tmp_path):
    lines = _csv_lines()
    path = tmp_path / "d.csv"
    path.write_text("\n".join(["  ,b,y", *lines[1:]]) + "\n")
    r = _score(path)
    assert r.exit_code == 2, r.output
    said = flat(r.output)
    assert "d.csv: column 1's name in the header is only spaces" in said and "give it a name" in said, said
    assert "to_csv" not in said and "index=False" not in said
    with pytest.raises(InputError, match=r"d.csv: column 1's name in the header is only spaces \('  '\); give it a "
                                         r"name$"):
        read_frame(path)
    path.write_text("\n".join(["a,\t,y", *lines[1:]]) + "\n")
    with pytest.raises(InputError, match=r"column 2's name in the header is only white space \('\\t'\)"):
        read_frame(path)


# ---------------------------------------------------------------- 5: duplicate names in a Parquet or Arrow file


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
def test_duplicate_column_names_in_a_binary_file_are_named(tmp_path, suffix):
    recs = _records()
    table = pa.Table.from_arrays([pa.array([r["a"] for r in recs]), pa.array([r["b"] for r in recs]),
                                  pa.array([r["y"] for r in recs])], names=["a", "a", "y"])
    path = tmp_path / f"d{suffix}"
    (pq.write_table if suffix == ".parquet" else pf.write_feather)(table, path)
    r = _score(path, out="o.parquet")
    assert r.exit_code == 2, r.output
    said = flat(r.output)
    assert f"d{suffix}: duplicate column name 'a' (columns 1 and 2); rename one of them" in said, said
    assert "not a readable" not in said
    with pytest.raises(InputError, match=r"duplicate column name 'a' \(columns 1 and 2\)"):
        read_frame(path, exclude=["y"])
