"""Reading and writing tables: the one owner of file formats.

Input formats: CSV (any delimiter, quoted fields, UTF-8 or a named encoding,
optionally gzip- or zstd-compressed), Parquet, NDJSON / JSON lines, JSON arrays and
Arrow IPC (Feather v2). ``"-"`` reads CSV (or any of the above, sniffed) from stdin.
The format comes from the file's magic bytes when they are conclusive, then from
its suffix, so a file with the wrong extension is still read correctly.

Outputs are written atomically: to a temporary file in the target directory,
flushed, then renamed over the target, so an interrupted run never leaves a
half-written file and never touches the input.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import logging
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import polars as pl

from .errors import InputError, OutputError

__all__ = [
    "SourceInfo", "read_frame", "write_table", "atomic_path", "remove_stale_temps", "output_format_for", "split_name",
    "json_scalar",
]

log = logging.getLogger(__name__)

_CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab", ".dat", ".psv"}
_PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
_NDJSON_SUFFIXES = {".ndjson", ".jsonl", ".json"}
_IPC_SUFFIXES = {".arrow", ".ipc", ".feather"}
_COMPRESSED = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
OUTPUT_FORMATS = ("parquet", "csv", "ndjson")
#: Schema inference looks at this many rows first; on a parse error it retries on all rows.
INFER_ROWS = 10_000
_DEFAULT_NULLS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"]


@dataclass(frozen=True)
class SourceInfo:
    """Where a table came from.

    Attributes
    ----------
    path : str
        The path as given (``"-"`` for stdin).
    format : str
        ``csv``, ``parquet``, ``ndjson``, ``json`` or ``ipc``.
    compression : str or None
        ``gzip`` or ``zstd`` for a compressed CSV.
    sha256 : str
        Hash of the bytes read (of the compressed file when compressed).
    separator : str or None
        The CSV delimiter that was used.
    """

    path: str
    format: str
    compression: str | None
    sha256: str
    separator: str | None = None
    columns: tuple[str, ...] = ()


def _sniff_magic(head: bytes) -> str | None:
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"ARROW1") or head.startswith(b"\xff\xff\xff\xff"):
        return "ipc"
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        return "zstd"
    return None


def _suffix_format(name: str) -> tuple[str | None, str | None]:
    """Return (format, compression) from a file name's suffixes."""
    suffixes = [s.lower() for s in Path(name).suffixes]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSED:
        compression = _COMPRESSED[suffixes.pop()]
    last = suffixes[-1] if suffixes else ""
    if last in _PARQUET_SUFFIXES:
        return "parquet", compression
    if last in _IPC_SUFFIXES:
        return "ipc", compression
    if last in _NDJSON_SUFFIXES:
        return "ndjson", compression
    if last in _CSV_SUFFIXES:
        return "csv", compression
    return None, compression


def _decompress(raw: bytes, kind: str, name: str) -> bytes:
    try:
        if kind == "gzip":
            return gzip.decompress(raw)
        import zstandard

        with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw)) as reader:
            out = reader.read()
        return out
    except ImportError as exc:  # pragma: no cover - zstandard is a dependency
        raise InputError(f"{name}: reading zstd needs the 'zstandard' package; pip install zstandard") from exc
    except Exception as exc:
        raise InputError(
            f"{name}: the {kind} stream is corrupt or truncated ({exc}); re-create or re-download the file"
        ) from exc


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _check_path(path: Path, name: str) -> None:
    if not path.exists():
        raise InputError(f"{name}: no such file; check the path (current directory: {os.getcwd()})")
    if path.is_dir():
        raise InputError(f"{name}: is a directory, not a data file; pass a CSV, Parquet, NDJSON or Arrow file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{name}: permission denied; make the file readable")
    if path.stat().st_size == 0:
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row")


def read_frame(
    source: str | os.PathLike[str],
    *,
    separator: str | None = None,
    encoding: str = "utf-8",
    null_values: list[str] | None = None,
    format: str | None = None,
    stdin: IO[bytes] | None = None,
    exclude: Sequence[str] = (),
) -> tuple[pl.DataFrame, SourceInfo]:
    """Read a table file into a polars frame, refusing bad files with clear errors.

    Parameters
    ----------
    source : path or "-"
        The file; ``"-"`` reads from standard input.
    separator : str, optional
        CSV delimiter; sniffed among ``, ; TAB |`` when omitted.
    encoding : str
        Text encoding of a CSV file (any Python codec name).
    null_values : list of str, optional
        Strings read as missing in a CSV; defaults to the common spellings
        (empty, ``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``?``).
    format : str, optional
        Force ``csv``, ``parquet``, ``ndjson``, ``json`` or ``ipc``.
    stdin : binary file, optional
        Stream used for ``"-"`` (defaults to ``sys.stdin.buffer``).
    exclude : sequence of str
        Columns not to materialise (projection pushdown: they are never parsed).
        ``SourceInfo.columns`` still lists every column of the file.

    Returns
    -------
    frame : polars.DataFrame
    info : SourceInfo

    Raises
    ------
    InputError
        The file is missing, empty, unreadable or malformed.

    Examples
    --------
    >>> import io
    >>> df, info = read_frame("-", stdin=io.BytesIO(b"a;b\\n1;x\\n"))
    >>> df.columns, info.separator
    (['a', 'b'], ';')
    """
    name = str(source)
    nulls = _DEFAULT_NULLS if null_values is None else list(null_values)
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        raw = stream.read()
        if not raw:
            raise InputError("stdin: no data was piped in; pipe a CSV file, e.g. `cat data.csv | dvclean score -`")
        data: bytes | Path = raw
        sha = hashlib.sha256(raw).hexdigest()
        suffix_fmt, suffix_comp = None, None
    else:
        path = Path(source)
        _check_path(path, name)
        data = path
        sha = _sha256_file(path)
        suffix_fmt, suffix_comp = _suffix_format(path.name)
    if format is not None and format not in ("csv", "parquet", "ndjson", "json", "ipc"):
        raise InputError(f"unknown --input-format {format!r}; use csv, parquet, ndjson, json or ipc")

    head = data[:8] if isinstance(data, bytes) else _read_head(data)
    magic = _sniff_magic(head)
    compression = None
    if magic in ("gzip", "zstd"):
        compression = magic
        raw = data if isinstance(data, bytes) else data.read_bytes()
        data = _decompress(raw, magic, name)
        head = data[:8]
        magic = _sniff_magic(head)
    elif suffix_comp is not None:
        raise InputError(f"{name}: the name says {suffix_comp} but the content is not {suffix_comp}-compressed; rename the file")

    fmt = format or magic or suffix_fmt
    if fmt is None:
        fmt = "ndjson" if head.lstrip()[:1] in (b"{", b"[") else "csv"
    if suffix_fmt is not None and magic in ("parquet", "ipc") and suffix_fmt != magic and format is None:
        log.warning("%s: the name says %s but the content is %s; reading it as %s", name, suffix_fmt, magic, magic)

    sep = None
    skip = set(exclude)
    if fmt == "csv":
        frame, sep, all_columns = _read_csv(data, name, separator, encoding, nulls, skip)
    elif fmt in ("parquet", "ipc"):
        reader, schema_of, kind = (
            (pl.read_parquet, pl.read_parquet_schema, "Parquet") if fmt == "parquet" else (pl.read_ipc, pl.read_ipc_schema, "Arrow IPC")
        )
        all_columns = list(_read_binary(schema_of, data, name, kind)) if skip else []
        wanted = [c for c in all_columns if c not in skip] if skip else None
        frame = _read_binary(lambda src: reader(src, columns=wanted), data, name, kind)
        all_columns = all_columns or frame.columns
    else:
        frame = _read_json(data, name, fmt)
        all_columns = frame.columns
        frame = frame.drop([c for c in frame.columns if c in skip])
    if not skip:
        _check_columns(frame, name)
    elif frame.height == 0:
        raise InputError(f"{name}: has a header ({len(all_columns)} columns) but no data rows; add data rows")
    info = SourceInfo(
        path=name, format=fmt, compression=compression, sha256=sha, separator=sep, columns=tuple(all_columns)
    )
    return frame, info


def _read_head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8)


def _read_binary(reader: Callable[..., pl.DataFrame], data: bytes | Path, name: str, kind: str) -> pl.DataFrame:
    try:
        return reader(io.BytesIO(data) if isinstance(data, bytes) else data)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name}: not a readable {kind} file ({first}); re-export it or check the format") from exc


def _read_json(data: bytes | Path, name: str, fmt: str) -> pl.DataFrame:
    raw = data if isinstance(data, bytes) else data.read_bytes()
    stripped = raw.lstrip()
    if not stripped:
        raise InputError(f"{name}: the file is empty; it needs at least one JSON record")
    try:
        if stripped[:1] == b"[":
            return pl.read_json(io.BytesIO(raw))
        return pl.read_ndjson(io.BytesIO(raw), infer_schema_length=None)
    except Exception as exc:
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name}: not valid JSON lines ({msg}); each line must be one JSON object") from exc


def _text_bytes(data: bytes | Path, name: str, encoding: str) -> bytes | Path:
    """Return UTF-8 bytes (or the path when it already is UTF-8), or fail naming the line."""
    norm = codecs.lookup(encoding).name if _codec_exists(encoding) else None
    if norm is None:
        raise InputError(f"unknown --encoding {encoding!r}; use a Python codec name such as utf-8, latin-1 or cp1252")
    if norm == "utf-8":
        return data
    raw = data if isinstance(data, bytes) else data.read_bytes()
    try:
        return raw.decode(norm).encode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{name}: line {line} is not valid {encoding}; pass the file's real --encoding") from exc


def _codec_exists(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


def _utf8_error_line(data: bytes | Path) -> int | None:
    raw = data if isinstance(data, bytes) else data.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return raw[: exc.start].count(b"\n") + 1
    return None


def _raw_sample(data: bytes | Path, size: int = 1 << 16) -> bytes:
    if isinstance(data, bytes):
        return data[:size]
    with data.open("rb") as fh:
        return fh.read(size)


def _check_text(data: bytes | Path, name: str) -> None:
    """Refuse binary data and report the first line that is not UTF-8 (in the first 64 KiB)."""
    chunk = _raw_sample(data)
    if b"\x00" in chunk:
        raise InputError(
            f"{name}: looks like a binary file, not CSV text (and not Parquet, NDJSON or Arrow); "
            "check the path, or pass --input-format"
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(chunk, final=False)
    except UnicodeDecodeError as exc:
        line = chunk[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{name}: line {line} is not valid UTF-8 (binary data or another encoding); "
            "pass --encoding (e.g. latin-1 or cp1252) or convert the file to UTF-8"
        ) from exc


def _sample_text(data: bytes | Path, size: int = 1 << 16) -> str:
    if isinstance(data, bytes):
        chunk = data[:size]
    else:
        with data.open("rb") as fh:
            chunk = fh.read(size)
    text = chunk.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def _sniff_separator(sample: str) -> str:
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    if not lines:
        return ","
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=",;\t|")
        return dialect.delimiter
    except csv.Error:
        pass
    counts = {c: lines[0].count(c) for c in ",;\t|"}
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] > 0 else ","


def _header(sample: str, sep: str, name: str) -> list[str]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=sep)
    try:
        return next(reader)
    except StopIteration:
        return []
    except csv.Error as exc:
        raise InputError(f"{name}: cannot parse the header row ({exc}); check quoting and line ends") from exc


def _read_csv(
    data: bytes | Path, name: str, separator: str | None, encoding: str, nulls: list[str], skip: set[str]
) -> tuple[pl.DataFrame, str, list[str]]:
    data = _text_bytes(data, name, encoding)
    _check_text(data, name)
    sample = _sample_text(data)
    if not sample.strip():
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row")
    sep = separator if separator is not None else _sniff_separator(sample)
    if len(sep) != 1:
        raise InputError(f"--separator must be one character; got {sep!r}")
    header = _header(sample, sep, name)
    seen: dict[str, int] = {}
    for i, col in enumerate(header, start=1):
        key = col.strip()
        if key in seen:
            raise InputError(
                f"{name}: duplicate column name {col!r} (columns {seen[key]} and {i}); rename one of them"
            )
        seen[key] = i
    if any(c.strip() == "" for c in header):
        empty = [i for i, c in enumerate(header, start=1) if c.strip() == ""]
        raise InputError(f"{name}: column {empty[0]} of the header has no name; give every column a name")

    keep = [i for i, c in enumerate(header) if c.strip() not in skip] if skip else None

    def attempt(infer: int | None) -> pl.DataFrame:
        src = io.BytesIO(data) if isinstance(data, bytes) else data
        return pl.read_csv(
            src,
            columns=keep,
            separator=sep,
            infer_schema_length=infer,
            null_values=nulls,
            raise_if_empty=True,
            try_parse_dates=True,
        )

    try:
        try:
            frame = attempt(INFER_ROWS)
        except pl.exceptions.ComputeError as exc:
            if "could not parse" not in str(exc):
                raise
            log.info("%s: a column changes type after row %d; re-inferring the schema on all rows", name, INFER_ROWS)
            frame = attempt(None)
    except pl.exceptions.NoDataError as exc:
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row") from exc
    except pl.exceptions.ComputeError as exc:
        text = str(exc)
        if "utf-8" in text.lower() or "utf8" in text.lower():
            line = _utf8_error_line(data)
            where = f"line {line} " if line else ""
            raise InputError(
                f"{name}: {where}is not valid UTF-8 (binary data or another encoding); "
                "pass --encoding (e.g. latin-1 or cp1252) or convert the file to UTF-8"
            ) from exc
        if "more fields" in text:
            raise InputError(_ragged_message(data, sep, name, len(header))) from exc
        first = text.strip().splitlines()[0]
        raise InputError(f"{name}: cannot parse the CSV ({first}); check --separator and quoting") from exc
    if frame.width and frame.height and frame.get_column(frame.columns[-1]).null_count():
        # a short row fills the last columns with nulls; confirm with an exact (slower) scan
        problem = _find_ragged(data, sep, len(header))
        if problem is not None:
            raise InputError(_ragged_message(data, sep, name, len(header), problem))
    frame = frame.rename({c: c.strip() for c in frame.columns if c != c.strip()})
    return frame, sep, [c.strip() for c in header]


def _iter_records(data: bytes | Path, sep: str) -> Iterator[tuple[int, list[str]]]:
    if isinstance(data, bytes):
        fh: IO[str] = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
    else:
        fh = data.open("r", encoding="utf-8-sig", errors="replace", newline="")
    with fh:
        reader = csv.reader(fh, delimiter=sep)
        for rec in reader:
            yield reader.line_num, rec


def _find_ragged(data: bytes | Path, sep: str, width: int) -> tuple[int, int] | None:
    try:
        for line, rec in _iter_records(data, sep):
            if rec and len(rec) != width:
                return line, len(rec)
    except csv.Error:  # the exact scan cannot parse it either; polars' result stands
        return None
    return None


def _ragged_message(
    data: bytes | Path, sep: str, name: str, width: int, problem: tuple[int, int] | None = None
) -> str:
    problem = problem or _find_ragged(data, sep, width)
    if problem is None:
        return f"{name}: some rows have more fields than the header ({width}); check quoting and --separator"
    line, got = problem
    return (
        f"{name}: line {line} has {got} fields but the header has {width}; "
        "fix that row (quote fields that contain the separator) or check --separator"
    )


def _check_columns(frame: pl.DataFrame, name: str) -> None:
    if frame.width == 0:
        raise InputError(f"{name}: no columns found; the file needs a header row")
    if frame.height == 0:
        raise InputError(f"{name}: has a header ({frame.width} columns) but no data rows; add data rows")


def output_format_for(path: Path, explicit: str | None) -> str:
    """Pick the output format from ``--format`` or the output file's suffix."""
    if explicit is not None:
        if explicit not in OUTPUT_FORMATS:
            raise OutputError(f"unknown --format {explicit!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        return explicit
    fmt, _ = _suffix_format(path.name)
    return {"parquet": "parquet", "csv": "csv", "ndjson": "ndjson"}.get(fmt or "", "parquet")


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched. The
    temporary name, ``.<target name>.<pid>.<random>.tmp``, carries the writer's process
    id, so that the temporary file of a writer that was killed outright (SIGKILL, power
    loss: nothing can remove it then) is removed by the next write of the same target
    (:func:`remove_stale_temps`).
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.exists():
        raise OutputError(f"{target}: the directory {directory} does not exist; create it or choose another --output")
    if not os.access(directory, os.W_OK):
        raise OutputError(f"{target}: cannot write to {directory} (permission denied); choose another --output")
    remove_stale_temps(target)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_TEMP_RANDOM = re.compile(r"[a-z0-9_]{8}")


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its file
    return True


def remove_stale_temps(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that writers of ``target`` which no longer run left beside it.

    Only names of the form ``.<target name>.<pid>.<random>.tmp`` (:func:`atomic_path`'s) whose
    process is gone are removed; a live writer's file (another run writing the same target
    now) is kept. Returns the removed paths.
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    prefix = f".{target.name}."
    removed = []
    try:
        candidates = [p for p in directory.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return removed
    for p in candidates:
        # exactly "<pid>.<mkstemp's 8 random characters>": ".a.1.2abcdefg.tmp" belongs to a target "a.1", not "a"
        pid_text, _, rand = p.name[len(prefix) : -len(".tmp")].partition(".")
        if not (pid_text.isdigit() and _TEMP_RANDOM.fullmatch(rand)):
            continue
        if int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        try:
            p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed


def split_name(source: str | os.PathLike[str]) -> tuple[str, str]:
    """``(stem, extension)`` of a file name, compression suffixes (``.gz``, ``.zst``) removed.

    Examples
    --------
    >>> split_name("dir/data.csv.gz")
    ('data', 'csv')
    """
    name = Path(source).name
    for suffix in (".gz", ".gzip", ".zst", ".zstd"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    stem, _, ext = name.rpartition(".") if "." in name else (name, "", "")
    return stem, ext


def json_scalar(v: Any) -> Any:
    """A cell value as JSON: numpy scalars unwrapped, NaN/inf as None, other objects as text."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)) and getattr(v, "shape", None) == ():
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_table(
    frame: pl.DataFrame,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write ``frame`` atomically as Parquet, CSV or NDJSON.

    Parameters
    ----------
    frame : polars.DataFrame
    path : path
    format : {"parquet", "csv", "ndjson"}, optional
        Defaults to the format named by the suffix, else Parquet.
    metadata : dict, optional
        Key-value metadata stored in the Parquet footer (ignored for text formats).

    Returns
    -------
    pathlib.Path
        The written path.
    """
    path = Path(path)
    fmt = output_format_for(path, format)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.write_parquet(tmp, metadata=metadata or None)
        elif fmt == "csv":
            frame.write_csv(tmp)
        else:
            frame.write_ndjson(tmp)
    return path


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Return True when two paths name the same file (also through links)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def describe_json(value: Any) -> str:  # pragma: no cover - tiny helper
    """Return a short printable form of a value for messages."""
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."
