"""Loading every supported format, schema inference, and clear errors for bad files."""

from __future__ import annotations

import gzip
import io
import os

import polars as pl
import pytest
import zstandard

from dvclean.errors import InputError, OutputError
from dvclean.io import atomic_path, read_frame, remove_stale_temps, write_table

from .conftest import write

CSV = "a,b,label\n1,x,0\n2,y,1\n3,x,0\n4,y,1\n"


def test_csv_semicolon_and_quotes(tmp_path):
    p = write(tmp_path / "d.csv", 'a;b;label\n1;"x;y";0\n2;"he said ""hi""";1\n')
    df, info = read_frame(p)
    assert info.separator == ";"
    assert df.get_column("b").to_list() == ["x;y", 'he said "hi"']


@pytest.mark.parametrize("sep", ["\t", "|", ","])
def test_sniffed_delimiters(tmp_path, sep):
    p = write(tmp_path / "d.txt", CSV.replace(",", sep))
    df, info = read_frame(p)
    assert df.columns == ["a", "b", "label"] and info.separator == sep


def test_gzip_and_zstd(tmp_path):
    (tmp_path / "d.csv.gz").write_bytes(gzip.compress(CSV.encode()))
    (tmp_path / "d.csv.zst").write_bytes(zstandard.ZstdCompressor().compress(CSV.encode()))
    for name in ("d.csv.gz", "d.csv.zst"):
        df, info = read_frame(tmp_path / name)
        assert df.shape == (4, 3) and info.compression in ("gzip", "zstd")


def test_parquet_ndjson_ipc_roundtrip(tmp_path):
    df = pl.DataFrame({"a": [1, 2], "b": ["x", None], "label": [0, 1]})
    df.write_parquet(tmp_path / "d.parquet")
    df.write_ndjson(tmp_path / "d.ndjson")
    df.write_ipc(tmp_path / "d.arrow")
    for name in ("d.parquet", "d.ndjson", "d.arrow"):
        got, _ = read_frame(tmp_path / name)
        assert got.equals(df), name


def test_wrong_extension_is_sniffed(tmp_path):
    df = pl.DataFrame({"a": [1, 2], "label": [0, 1]})
    df.write_parquet(tmp_path / "actually_parquet.csv")
    got, info = read_frame(tmp_path / "actually_parquet.csv")
    assert info.format == "parquet" and got.equals(df)


def test_stdin():
    df, info = read_frame("-", stdin=io.BytesIO(CSV.encode()))
    assert df.height == 4 and info.path == "-"


def test_late_float_and_string_do_not_break_inference(tmp_path):
    rows = "".join(f"{i},{i}\n" for i in range(2000))
    p = write(tmp_path / "d.csv", "a,b\n" + rows + "2.5,hello\n")
    df, _ = read_frame(p)
    assert df.schema["a"] == pl.Float64 and df.schema["b"] == pl.String
    assert df.height == 2001


def test_bom_and_crlf(tmp_path):
    p = write(tmp_path / "d.csv", b"\xef\xbb\xbfa,label\r\n1,0\r\n2,1\r\n")
    df, _ = read_frame(p)
    assert df.columns == ["a", "label"] and df.get_column("a").to_list() == [1, 2]


def test_latin1_with_encoding(tmp_path):
    p = write(tmp_path / "d.csv", "a,label\ncaf\xe9,0\nb,1\n".encode("latin-1"))
    with pytest.raises(InputError, match="line 2 is not valid UTF-8"):
        read_frame(p)
    df, _ = read_frame(p, encoding="latin-1")
    assert df.get_column("a").to_list() == ["café", "b"]


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        (b"", "empty"),
        (b"a,b,label\n", "no data rows"),
        (b"a,b\n1,2\n3,4,5\n", "line 3 has 3 fields but the header has 2"),
        (b"a,b,c\n1,2,3\n4,5\n", "line 3 has 2 fields but the header has 3"),
        (b"a,a,label\n1,2,0\n", "duplicate column name 'a'"),
        (bytes(range(256)) * 4, "binary file"),
        (b"a,label\n\xff\xfe,1\n", "line 2 is not valid UTF-8"),
    ],
)
def test_bad_files(tmp_path, content, pattern):
    p = write(tmp_path / "bad.csv", content)
    with pytest.raises(InputError, match=pattern):
        read_frame(p)


def test_trailing_empty_field_is_not_ragged(tmp_path):
    p = write(tmp_path / "d.csv", "a,b,c\n1,2,\n4,5,6\n")
    df, _ = read_frame(p)
    assert df.get_column("c").to_list() == [None, 6]


def test_truncated_gzip(tmp_path):
    (tmp_path / "d.csv.gz").write_bytes(gzip.compress(CSV.encode() * 100)[:40])
    with pytest.raises(InputError, match="corrupt or truncated"):
        read_frame(tmp_path / "d.csv.gz")


def test_missing_and_directory(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_frame(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_frame(tmp_path)


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.parquet"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_write_formats_roundtrip(tmp_path):
    df = pl.DataFrame({"row_id": [0, 1], "value": [0.5, -0.25], "flag": [True, False]})
    for name in ("o.parquet", "o.csv", "o.ndjson"):
        write_table(df, tmp_path / name, metadata={"dvclean.method": "knn"})
        got, _ = read_frame(tmp_path / name)
        assert got.equals(df), name
    assert pl.read_parquet_metadata(tmp_path / "o.parquet")["dvclean.method"] == "knn"
    with pytest.raises(OutputError, match="does not exist"):
        write_table(df, tmp_path / "nodir" / "o.parquet")


def test_excluded_columns_are_not_parsed(tmp_path):
    # column b would fail to parse as anything useful; excluding it skips it entirely
    p = write(tmp_path / "d.csv", "a,b,label\n1,x,0\n2,y,1\n")
    df, info = read_frame(p, exclude=["b"])
    assert df.columns == ["a", "label"] and info.columns == ("a", "b", "label")
    pl.DataFrame({"a": [1, 2], "b": [[1], [2]], "label": [0, 1]}).write_parquet(tmp_path / "n.parquet")
    df, info = read_frame(tmp_path / "n.parquet", exclude=["b"])
    assert df.columns == ["a", "label"] and info.columns == ("a", "b", "label")


def test_written_files_get_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_table(pl.DataFrame({"a": [1]}), tmp_path / "o.parquet")
    finally:
        os.umask(old)
    assert (tmp_path / "o.parquet").stat().st_mode & 0o777 == 0o644


def test_temp_files_of_killed_writers_are_removed_by_the_next_write(tmp_path):
    import signal
    import subprocess
    import sys

    target = tmp_path / "out.csv"
    # a writer that really was SIGKILLed in the middle of its write: its temporary file stays behind
    code = (
        "import sys, os, time\n"
        "from dvclean.io import atomic_path\n"
        "with atomic_path(sys.argv[1]) as tmp:\n"
        "    tmp.write_text('half')\n"
        "    print(tmp, flush=True)\n"
        "    time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(target)], stdout=subprocess.PIPE, text=True)
    left = tmp_path / proc.stdout.readline().strip().rsplit("/", 1)[-1]
    assert left.exists() and f".{proc.pid}." in left.name
    # while it runs, its file is another writer's work in progress: kept
    assert remove_stale_temps(target) == [] and left.exists()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    assert left.exists() and not target.exists()
    # files that are not a writer's temporary of this target are never touched
    dead = left.name.split(".")[3]  # the killed writer's pid
    other = [
        tmp_path / ".out.csv.notapid.abcdefgh.tmp",
        tmp_path / f".other.csv.{dead}.abcdefgh.tmp",  # another target
        tmp_path / f".out.csv.{dead}.abcdefgh.txt",
        tmp_path / f".out.csv.7.{dead}.abcdefgh.tmp",  # the temporary of a target named "out.csv.7"
    ]
    for p in other:
        p.write_text("keep")
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new" and not left.exists()
    assert all(p.exists() for p in other)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["out.csv"] + [p.name for p in other])
