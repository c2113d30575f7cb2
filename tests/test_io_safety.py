"""Output paths that are not plain files, and CSV parse errors that name the line."""

from __future__ import annotations

import gzip
import os
import stat

import polars as pl
import pytest

from dvclean.errors import InputError, OutputError
from dvclean.io import atomic_path, read_frame, resolve_output, write_table

FRAME = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})


def leftovers(directory) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".tmp")]


# ---------------------------------------------------------------- A: links, FIFOs, devices, directories


def test_symlink_stays_a_link_and_its_target_is_written(tmp_path):
    target_dir = tmp_path / "real"
    target_dir.mkdir()
    target = target_dir / "target.csv"
    target.write_text("old\n")
    os.chmod(target, 0o640)
    links = tmp_path / "lnk"
    links.mkdir()
    link = links / "link.csv"
    link.symlink_to(os.path.relpath(target, links))
    write_table(FRAME, link)
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(target, links)
    assert pl.read_csv(target).equals(FRAME)  # the target got the new content
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # and kept its permissions
    assert leftovers(links) == [] and leftovers(target_dir) == []


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.csv"
    link.symlink_to("made.csv")
    write_table(FRAME, link)
    assert link.is_symlink() and pl.read_csv(tmp_path / "made.csv").equals(FRAME)


def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match=r"pipe\.csv: it is a named pipe \(FIFO\), not a regular file.*regular file path"):
        write_table(FRAME, fifo, format="csv")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)  # still a FIFO, not replaced
    assert leftovers(tmp_path) == []


def test_link_to_a_fifo_is_refused(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "out.csv"
    link.symlink_to(fifo)
    with pytest.raises(OutputError, match="named pipe"):
        write_table(FRAME, link, format="csv")
    assert link.is_symlink() and stat.S_ISFIFO(os.stat(link).st_mode)


def test_directory_is_refused(tmp_path):
    out = tmp_path / "out.csv"
    out.mkdir()
    with pytest.raises(OutputError, match="it is a directory, not a regular file"):
        with atomic_path(out) as tmp:
            tmp.write_text("x")
    assert out.is_dir() and leftovers(tmp_path) == []


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_devices_and_standard_streams_are_refused():
    with pytest.raises(OutputError, match="character device"):
        resolve_output("/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    for stream in ("/dev/stdout", "/dev/stderr", "/proc/self/fd/1"):
        if os.path.lexists(stream):
            with pytest.raises(OutputError, match="standard stream or an open file descriptor"):
                resolve_output(stream)


def test_cli_refuses_a_fifo_output(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    src = tmp_path / "d.csv"
    pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2, 0.15] * 3, "y": [0, 0, 0, 0, 1, 1, 1, 1] * 3}).write_csv(src)
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    res = CliRunner().invoke(app, ["score", str(src), "-y", "y", "-o", str(fifo), "-q"])
    assert res.exit_code == 2, res.output
    assert "named pipe" in res.output and "Traceback" not in res.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_text_outputs_are_compressed_and_tsv_is_tab_separated(tmp_path):
    gz = write_table(FRAME, tmp_path / "o.csv.gz")
    assert gzip.decompress(gz.read_bytes()).decode().startswith("a,b\n")
    assert read_frame(gz)[0].equals(FRAME)
    tsv = write_table(FRAME, tmp_path / "o.tsv")
    assert tsv.read_text().startswith("a\tb\n")


# ---------------------------------------------------------------- C: the line of a CSV parse error


def adult_like(tmp_path, line31: str, line41: str | None = None):
    lines = ["age,workclass,education,hours,income"]
    lines += [f"{20 + i},Private,Bachelors,{30 + i % 20},{'>50K' if i % 3 else '<=50K'}" for i in range(60)]
    lines[30] = line31  # physical line 31 of the file
    if line41 is not None:
        lines[40] = line41
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_unclosed_quote_names_its_line(tmp_path):
    path = adult_like(tmp_path, '50,"Self-emp-inc,Bachelors,40,>50K')
    with pytest.raises(InputError) as err:
        read_frame(path)
    msg = str(err.value)
    assert "line 31" in msg and "never closed" in msg, msg
    assert "\n" not in msg


def test_unclosed_quote_at_the_end_names_its_line(tmp_path):
    path = adult_like(tmp_path, "50,Self-emp-inc,Bachelors,40,>50K")
    text = path.read_text().rstrip("\n") + '\n62,Private,"Masters,40,>50K\n'
    path.write_text(text)
    with pytest.raises(InputError, match=r"line 62: a quoted field starts on this line and is never closed"):
        read_frame(path)


def test_quote_closed_too_late_names_where_it_opened(tmp_path):
    path = adult_like(tmp_path, '50,"Self-emp-inc,Bachelors,40,>50K', '60,Self"emp",Bachelors,40,>50K')
    with pytest.raises(InputError, match=r"line 31: a quoted field starts on this line and is not closed before line 41"):
        read_frame(path)


def test_text_after_a_closing_quote_names_its_line(tmp_path):
    path = adult_like(tmp_path, '50,"Self-emp"inc,Bachelors,40,>50K')
    with pytest.raises(InputError, match=r"line 31: a quoted field is followed by other text"):
        read_frame(path)


def test_extra_field_names_its_line(tmp_path):
    path = adult_like(tmp_path, "50,Private,Bachelors,40,>50K,extra")
    with pytest.raises(InputError, match=r"line 31 has 6 fields but the header has 5"):
        read_frame(path)
