"""Session 44's input fixes: Arrow IPC streams, a Parquet column named by spaces, no abort on a broken Arrow file."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.errors import InputError
from dvclean.io import read_frame

runner = CliRunner()


def _table(names: tuple[str, str, str] = ("a", "b", "y"), n: int = 40) -> pa.Table:
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    return pa.table([pa.array(rng.normal(size=n) + y), pa.array(rng.normal(size=n)), pa.array(y)], names=list(names))


def _write_stream(path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)


def _write_file(path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


@pytest.mark.parametrize("suffix", [".arrows", ".arrow"])
def test_an_arrow_ipc_stream_is_read_as_the_same_table_in_an_arrow_file(tmp_path, suffix):
    # (polars' read_ipc refused a stream: "not a readable Arrow IPC file (out-of-spec: InvalidFooter)")
    stream, file = tmp_path / f"s{suffix}", tmp_path / "f.arrow"
    _write_stream(stream, _table())
    _write_file(file, _table())
    a, info = read_frame(stream)
    b, _ = read_frame(file)
    assert a.equals(b) and info.format == "ipc"
    res = runner.invoke(app, ["score", str(stream), "-y", "y", "-o", str(tmp_path / "s.parquet"), "-q"])
    ref = runner.invoke(app, ["score", str(file), "-y", "y", "-o", str(tmp_path / "f.parquet"), "-q"])
    assert res.exit_code == 0 == ref.exit_code, res.output
    assert pl.read_parquet(tmp_path / "s.parquet").equals(pl.read_parquet(tmp_path / "f.parquet"))
    # --drop reads the stream's schema first
    res = runner.invoke(app, ["score", str(stream), "-y", "y", "--drop", "b", "-o", str(tmp_path / "d.parquet"), "-q"])
    assert res.exit_code == 0, res.output


def test_an_arrow_ipc_stream_naming_a_column_twice_is_refused_like_a_file(tmp_path):
    path = tmp_path / "dup.arrows"
    _write_stream(path, _table(("a", "a", "y")))
    with pytest.raises(InputError, match=r"duplicate column name 'a' \(columns 1 and 2\)"):
        read_frame(path)


def test_a_parquet_column_named_by_spaces_is_named_as_such(tmp_path):
    path = tmp_path / "sp.parquet"
    pq.write_table(_table(("a", "  ", "y")), path)
    with pytest.raises(InputError) as exc:
        read_frame(path)
    msg = str(exc.value)
    assert "column 2's name is only spaces ('  ')" in msg and "'  ': 'name'" in msg and "has no name" not in msg


def test_a_broken_arrow_file_is_refused_with_exit_2_not_an_abort(tmp_path):
    # pyarrow failing to open a Python file object as an Arrow file could abort the process as it exited, once
    # polars was loaded ("terminate called without an active exception", exit 134): about half the CLI runs
    path = tmp_path / "broken.arrow"
    path.write_bytes(b"\x00\x01garbage that is no Arrow data" * 10)
    for _ in range(6):
        proc = subprocess.run([sys.executable, "-m", "dvclean", "score", str(path), "-y", "y", "-o",
                               str(tmp_path / "o.parquet")], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 2, (proc.returncode, proc.stderr[-300:])
        assert "not a readable Arrow IPC file" in proc.stderr and "terminate called" not in proc.stderr



#: A 100-row Parquet file with three bytes of its footer changed (QA round 73's fuzzing): polars' reader panics on it
#: ("called `Option::unwrap()` on a `None` value"), a BaseException that went by as an internal error (exit 3).
_PANICKING_PARQUET = (
    "eNp91F9MU1ccB/BzSrncllYocq73QseYyhVdwfJXxKqcSymoVaFTEeYf2lqpBhFbbYkPxoc9EKORB5NhYmJjfGBuOp+WbQ/OZVmGMTH6tr35sJ"
    "dlMfFxe9v3nFsHCPGkn/Pnd+/9nXPuaTvIYy3MyZ562I9KlC1QRqoIKSiEeCmhXpU4oAScUAoKlIEKLnBDOXjAC2ugAirBB1WwFqqBgQbrQAcD"
    "aqAW/PAR1MHHUA+fwHrYABuhAUzYBI2wGbbApxCAJmiGrRCEFmiFNmiHDuiEbdAF272qs5u4KNnhKnOSECI7YRfshh7gYEEvhKEPItAPA7AH9s"
    "I+iMJ+OAAHYRCGIAafwSE4DEdgGI7CCIzC53AMjsMJOAljEPeqoQSxS7LYMiKO6QUNiKaSKUzx6+q7i7pa7BCNNK4S9flQnXqbLEGzQGlZ7dWr"
    "Yz2N+pqZLxI/p7vqZmdOWV8dbZ67fvqXv6Z3FWbT4S23D8zfOvvr2R9OPJ6biHz9x+T3dyZ/+/vfK08LUwOBmpsL9zPPJrrvvpy/uPfh6Le/f5"
    "N7/ubyT68fT3vEQp0sxLqizC2/U3XVDsRywVKFtJQqwVY5apN1O7Y0xnqWbKiTNDpy7bojF5QLDh4rrrekdiYS3nDP92omHW5fX+O7caSCOFUx"
    "UzXTo2jETO6NFHfHRZVA5gALLs9MEzqNy7zaoWJeWvtgSXEzpxHtILqSTaZT5+JMwQQNDp1OE+YRbbaBRP1ig2JUOhFPpCaKEW2BGn4jZBI/Un"
    "QQpdLAU8yBsPaoQnvkMv9UTPWDx/Xg/eMyAmJbzCHOvRJNaLNimFgzroppPO+mydrT/EO1L6l5zW1+51r+Flfk0WZLjFVT2Tuy081RrUDNJ+Xm"
    "tfKlr25lMmz8/2TakyqMTVW75yGGX/fwWOzgcLf9MvWCY6so27koQ9wu+zjPc2ucRzgf573jMmZZnO8XnV7O98jAYsvtS1a2rdizU/XmRWr5bE"
    "wGRxbvlyUiqkR/5MzocB69cFLc3zqISgyHDsv19C9bWrE7IGfpEwOrmDQi1zPCrTxfvGgXi6dlm3xvftlNye44D8vnk2J/S5fHiV4/Fc9cuJS6"
    "2JScmmqKZzLn8/W5VCZ75vxkfWtnc7C5xQjh22Z/yEP8hgbxL/4fLNz/iQ=="
)


def test_a_parquet_footer_that_makes_the_reader_panic_is_an_unreadable_file(tmp_path):
    import base64
    import zlib

    from dvclean.errors import InputError
    from dvclean.io import read_frame

    path = tmp_path / "m7.parquet"
    path.write_bytes(zlib.decompress(base64.b64decode("".join(_PANICKING_PARQUET))))
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_frame(path)


def test_the_read_limit_follows_the_memory_this_process_may_use():
    # a 2 MB gzip of a 1 GiB CSV was read under a 4 GB address-space limit (the limit was a quarter of the machine's
    # memory) and the process aborted at 6.2 GB ("memory allocation failed", exit 134)
    import resource

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (6 << 30, resource.RLIM_INFINITY))

    script = "from dvclean.io import input_size_limit; print(input_size_limit())"
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          preexec_fn=limited)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert int(proc.stdout) == (6 << 30) // 8


def test_running_out_of_memory_while_decompressing_is_not_a_corrupt_file(monkeypatch):
    import gzip

    import dvclean.io as dio

    def no_memory(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(dio, "read_limited", no_memory)
    with pytest.raises(InputError, match="its gzip content does not fit in the memory this process may use"):
        dio._decompress(gzip.compress(b"a,y\n1,0\n"), "gzip", "d.csv.gz")


def test_a_title_line_above_the_header_and_a_line_of_spaces_are_named(tmp_path):
    # "line 2 has 3 fields but the header has 1" and "line 101 has 1 field but the header has 3" (QA round 71)
    rows = "".join(f"{i * 0.5},{i % 7},{i % 2}\n" for i in range(60))
    (tmp_path / "title.csv").write_text("Monthly sales report 2021\na,b,y\n" + rows)
    with pytest.raises(InputError, match=r"line 1 \('Monthly sales report 2021'\) looks like a title above the header: "
                                         r"line 2 and the lines after it have 3 fields"):
        read_frame(tmp_path / "title.csv")
    lines = rows.splitlines(keepends=True)
    (tmp_path / "spaces.csv").write_text("a,b,y\n" + "".join(lines[:30]) + "   \n" + "".join(lines[30:]))
    with pytest.raises(InputError, match=r"line 32 holds only spaces, a row of one empty field"):
        read_frame(tmp_path / "spaces.csv")


def test_the_cgroup_memory_files_follow_this_process_cgroup(monkeypatch):
    import dvclean.io as dio

    text = "4:memory:/process_api/abc\n0::/user.slice/job\n"
    real = dio.Path.read_text

    def fake(self, *args, **kwargs):
        return text if str(self) == "/proc/self/cgroup" else real(self, *args, **kwargs)

    monkeypatch.setattr(dio.Path, "read_text", fake)
    files = dio._cgroup_memory_files()
    assert files[:2] == ["/sys/fs/cgroup/memory/process_api/abc/memory.limit_in_bytes",
                         "/sys/fs/cgroup/user.slice/job/memory.max"]
