"""Output formats from the suffix (QA finding #9), JSON arrays read like JSON lines (#7), and the
input messages of #10: a UTF-16/UTF-32 file, ``--separator '\\t'``."""

from __future__ import annotations

import json
import random
import sys

import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.errors import InputError, OutputError
from dvclean.fix import FixConfig, default_fixed_path, fix, write_fixed
from dvclean.io import input_output_format, output_format_for, read_csv_text, read_frame, write_table

runner = CliRunner()
FRAME = pl.DataFrame({"row_id": [0, 1, 2], "label": ["a", "b", None], "value": [0.5, -0.25, None], "flag": [True, False, None]})


@pytest.mark.parametrize("suffix", [".arrow", ".feather", ".ipc"])
def test_arrow_suffixes_write_arrow_ipc(tmp_path, suffix):
    out = write_table(FRAME, tmp_path / f"o{suffix}")
    assert out.read_bytes()[:6] == b"ARROW1"
    assert pl.read_ipc(out).equals(FRAME)
    got, info = read_frame(out)
    assert info.format == "ipc" and got.equals(FRAME)


def test_json_suffix_writes_a_json_array(tmp_path):
    out = write_table(FRAME, tmp_path / "o.json")
    records = json.loads(out.read_text())
    assert isinstance(records, list) and records[0] == {"row_id": 0, "label": "a", "value": 0.5, "flag": True}
    got, info = read_frame(out)
    assert info.format == "json" and got.equals(FRAME)
    gz = write_table(FRAME, tmp_path / "o.json.gz")
    assert read_frame(gz)[0].equals(FRAME)


@pytest.mark.parametrize("name", ["o.xlsx", "o.v2", "o.gz", "results.parquet.bak"])
def test_unwritable_suffixes_are_refused_with_the_choices(tmp_path, name):
    with pytest.raises(OutputError, match=r"cannot write a \.\w+ file.*\.parquet.*\.arrow.*--format"):
        write_table(FRAME, tmp_path / name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["o.parquet.gz", "o.arrow.zst", "o.feather.gz"])
def test_binary_formats_are_not_compressed_by_name(tmp_path, name):
    with pytest.raises(OutputError, match="compresses itself"):
        write_table(FRAME, tmp_path / name)
    with pytest.raises(OutputError, match="compresses itself"):
        output_format_for(tmp_path / "o.gz", "parquet")


def test_no_suffix_is_parquet_and_format_overrides_an_unknown_suffix(tmp_path):
    assert write_table(FRAME, tmp_path / "scores").read_bytes()[:4] == b"PAR1"
    assert write_table(FRAME, tmp_path / "scores.out", format="ipc").read_bytes()[:6] == b"ARROW1"
    with pytest.raises(OutputError, match="unknown --format"):
        output_format_for(tmp_path / "o", "xlsx")


def small_data(tmp_path):
    rnd = random.Random(4)
    rows = [f"{(i % 2) * 3 + rnd.gauss(0, .7):.3f},{rnd.random():.3f},{['no', 'yes'][i % 2]}" for i in range(80)]
    src = tmp_path / "d.csv"
    src.write_text("x,noise,y\n" + "\n".join(rows) + "\n")
    return src


def test_scores_written_as_arrow_and_refused_as_xlsx(tmp_path):
    r = dvclean.score(small_data(tmp_path), label="y")
    out = dvclean.write_scores(r, tmp_path / "s.feather")
    assert pl.read_ipc(out).equals(r.frame)
    with pytest.raises(OutputError, match="cannot write a .xlsx file"):
        dvclean.write_scores(r, tmp_path / "s.xlsx")


def test_fix_of_an_arrow_input_writes_arrow_by_default(tmp_path):
    src = tmp_path / "d.arrow"
    pl.read_csv(small_data(tmp_path)).write_ipc(src)
    assert input_output_format(src) == "ipc"
    target = default_fixed_path(src)
    assert target.name == "d.fixed.arrow"
    res = fix(src, label="y", config=FixConfig(action="mark"))
    out = write_fixed(res, target)
    assert out.read_bytes()[:6] == b"ARROW1" and pl.read_ipc(out).equals(res.frame)
    feather = tmp_path / "e.feather"
    src.rename(feather)
    assert default_fixed_path(feather).name == "e.fixed.feather"


def test_the_fix_command_on_an_arrow_input_writes_arrow(tmp_path):
    src = tmp_path / "d.arrow"
    pl.read_csv(small_data(tmp_path)).write_ipc(src)
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "mark", "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "d.fixed.arrow").read_bytes()[:6] == b"ARROW1"
    for fmt, magic in (("ipc", b"ARROW1"), ("json", b"[")):
        out = tmp_path / f"s.{fmt}.out"
        res = runner.invoke(app, ["score", str(src), "-y", "y", "--format", fmt, "-o", str(out), "-q"])
        assert res.exit_code == 0, res.output
        assert out.read_bytes()[: len(magic)] == magic


def test_input_output_format_of_each_input(tmp_path):
    pl.DataFrame({"a": [1]}).write_parquet(tmp_path / "p.data")
    (tmp_path / "a.json").write_text('[{"a": 1}]')
    (tmp_path / "l.json").write_text('{"a": 1}\n')
    (tmp_path / "c.tsv").write_text("a\n1\n")
    assert [input_output_format(tmp_path / n) for n in ("p.data", "a.json", "l.json", "c.tsv")] == [
        "parquet", "json", "ndjson", "csv"]
    assert default_fixed_path(tmp_path / "a.json").name == "a.fixed.json"


def test_json_array_with_a_type_change_is_read_like_json_lines(tmp_path):
    rnd = random.Random(6)
    recs = [{"x": (i % 2) * 2 + rnd.gauss(0, .6), "y": ["no", "yes"][i % 2]} for i in range(200)]
    recs[150]["x"] = "oops"
    (tmp_path / "j.json").write_text(json.dumps(recs))
    (tmp_path / "j.ndjson").write_text("\n".join(json.dumps(r) for r in recs) + "\n")
    a, ia = read_frame(tmp_path / "j.json")
    b, ib = read_frame(tmp_path / "j.ndjson")
    assert a.equals(b) and a.schema["x"] == pl.String
    assert (ia.format, ib.format) == ("json", "ndjson")


def test_json_error_messages_name_the_format_and_the_line(tmp_path):
    (tmp_path / "bad.json").write_text('[{"a": 1}, {"a": 2]')
    with pytest.raises(InputError) as err:
        read_frame(tmp_path / "bad.json")
    assert "JSON array" in str(err.value) and "JSON lines" not in str(err.value).split(";")[0]
    lines = [json.dumps({"a": i}) for i in range(60)]
    lines[50] = "{bad"
    (tmp_path / "bad.ndjson").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 51"):
        read_frame(tmp_path / "bad.ndjson")
    lines[50] = "[1, 2]"
    (tmp_path / "arr.ndjson").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="line 51: a JSON array, not an object"):
        read_frame(tmp_path / "arr.ndjson")


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be", "utf-32"])
def test_a_byte_order_mark_names_the_encoding(tmp_path, codec, sample_csv):
    text = "".join(sample_csv.read_text().splitlines(keepends=True)[:101])
    plain = tmp_path / "plain.csv"
    plain.write_text(text)
    wide = tmp_path / "wide.csv"
    data = text.encode(codec)
    if codec == "utf-16-be":
        data = b"\xfe\xff" + data
    wide.write_bytes(data)
    got, info = read_frame(wide)
    assert got.equals(read_frame(plain)[0])
    # the byte order is named, so that an output is written in it (Python's "utf-16" writes the machine's)
    order = "be" if codec == "utf-16-be" else sys.byteorder[0] + "e"
    assert info.encoding == f"{codec[:6]}-{order}"
    csv_text = read_csv_text(wide, info, encoding="utf-8", rows=got.height)
    assert csv_text is not None and csv_text.text == text and csv_text.bom


def test_fix_csv_output_of_a_utf16_file_keeps_its_encoding(tmp_path):
    src = tmp_path / "u16.csv"
    src.write_bytes(small_data(tmp_path).read_text().encode("utf-16"))
    res = fix(src, label="y", config=FixConfig(action="mark"))
    out = write_fixed(res, tmp_path / "u16.fixed.csv")
    raw = out.read_bytes()
    assert raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    out_lines = raw.decode("utf-16").splitlines()
    in_lines = src.read_bytes().decode("utf-16").splitlines()
    assert out_lines[0] == in_lines[0] + ",dvclean_issue"
    assert all(o in (i + ",", i + ",mislabeled") for o, i in zip(out_lines[1:], in_lines[1:], strict=True))


def test_utf16_without_a_mark_gets_an_encoding_hint(tmp_path):
    src = tmp_path / "u.csv"
    src.write_bytes("a,b,y\n1,2,x\n3,4,z\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="--encoding utf-16-le"):
        read_frame(src)


@pytest.mark.parametrize("sep", ["\\t", "tab", "TAB", "\t"])
def test_separator_names_a_tab(tmp_path, sep):
    src = tmp_path / "d.tsv"
    src.write_text("a\tb\ty\n1\t2\tx\n3\t4\tz\n")
    frame, info = read_frame(src, separator=sep)
    assert frame.columns == ["a", "b", "y"] and info.separator == "\t"


def test_cli_separator_backslash_t(tmp_path):
    src = tmp_path / "d.txt"
    src.write_text(small_data(tmp_path).read_text().replace(",", "\t"))
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["score", str(src), "-y", "y", "--separator", "\\t", "-q", "-o", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["score", str(src), "-y", "y", "--separator", "\\n", "-q", "-o", str(out)])
    assert res.exit_code == 2 and "backslash escapes are not decoded" in res.output
