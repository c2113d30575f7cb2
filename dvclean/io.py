"""Reading and writing tables: the one owner of file formats.

Input formats: CSV (any delimiter, quoted fields, UTF-8 or a named encoding,
optionally gzip- or zstd-compressed), Parquet, NDJSON / JSON lines, JSON arrays and
Arrow IPC (Feather v2). ``"-"`` reads CSV (or any of the above, sniffed) from stdin.
The format comes from the file's magic bytes when they are conclusive, then from
its suffix, so a file with the wrong extension is still read correctly.

Outputs are written atomically: to a temporary file in the target directory,
flushed, then renamed over the target, so an interrupted run never leaves a
half-written file and never touches the input. A symbolic link is written through
(it stays a link); a FIFO, device, socket or directory is refused, never replaced.

:class:`CsvText` keeps a CSV input's text record by record, so that outputs made of
its rows (``fix``, ``augment``) write the unchanged rows exactly as the input does.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as _dt
import gzip
import hashlib
import io
import json
import logging
import math
import os
import re
import shlex
import stat
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeAlias, Union

import polars as pl

from .errors import InputError, OutputError

__all__ = [
    "DataSource", "as_source", "SourceInfo", "read_frame", "write_table", "atomic_path", "remove_stale_temps", "output_format_for", "split_name",
    "input_output_format", "named_format_conflict", "normalize_separator", "OUTPUT_FORMATS", "parse_null_values",
    "json_scalar", "resolve_output", "CsvText", "TextEdits", "read_csv_text", "render_csv_text", "write_csv_text",
    "JsonText", "JsonEdits", "read_json_text", "render_json_text", "write_json_text", "json_lines",
    "output_separator", "texts_like_input", "format_value", "quote_field", "split_raw_fields",
    "TemporalStyle", "OffsetZone", "temporal_style", "temporal_like_input", "unwritable_columns", "check_writable",
]

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # pandas is optional (the augment extra): named here for type checkers only
    import pandas as pd

#: What the library's entry points (:func:`dvclean.score`, :func:`dvclean.fix.fix`,
#: :func:`dvclean.augment.augment`) take as data: a file path, ``"-"`` (standard input), a
#: polars ``DataFrame``, a polars ``LazyFrame`` (collected) or a pandas ``DataFrame``
#: (converted with ``pl.from_pandas``); see :func:`as_source`.
DataSource: TypeAlias = Union[str, "os.PathLike[str]", pl.DataFrame, pl.LazyFrame, "pd.DataFrame"]

_CSV_SUFFIXES = {".csv", ".tsv", ".txt", ".tab", ".dat", ".psv"}
_PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}
_NDJSON_SUFFIXES = {".ndjson", ".jsonl"}
_JSON_SUFFIXES = {".json"}
_IPC_SUFFIXES = {".arrow", ".ipc", ".feather", ".arrows"}  # (.arrows: an Arrow IPC stream; read, not written)
_COMPRESSED = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd", ".zstd": "zstd"}
#: What ``--format`` and an output's suffix can name: Parquet (also the format of a name without a
#: suffix), CSV, NDJSON (JSON lines), a JSON array (``.json``) and Arrow IPC (``.arrow``, ``.feather``, ``.ipc``).
OUTPUT_FORMATS = ("parquet", "csv", "ndjson", "json", "ipc")
#: The output suffixes of each format (the first is the one a default output name takes).
OUTPUT_SUFFIXES = {
    "parquet": (".parquet", ".pq", ".parq"),
    "csv": (".csv", ".tsv", ".txt", ".tab", ".dat", ".psv"),
    "ndjson": (".ndjson", ".jsonl"),
    "json": (".json",),
    "ipc": (".arrow", ".feather", ".ipc"),
}


def expand_home(path: Any) -> Any:
    """``path`` with a leading ``~`` or ``~user`` expanded (as pandas' and polars' readers do, and a shell does
    unquoted), as the same type; anything else as it is. A library caller's ``"~/data.csv"`` named no file, and
    ``write_scores(r, "~/s.csv")`` was told that the directory ``~`` does not exist.

    >>> expand_home("~/d.csv") == os.path.join(os.path.expanduser("~"), "d.csv"), expand_home("d.csv"), expand_home("-")
    (True, 'd.csv', '-')
    """
    if isinstance(path, (str, os.PathLike)) and not isinstance(path, bytes):
        text = os.fspath(path)
        if isinstance(text, str) and text.startswith("~"):
            expanded = os.path.expanduser(text)
            return expanded if isinstance(path, str) else Path(expanded)
    return path


def _frame_advice(frame: Any) -> str:
    """How to turn what was passed instead of a polars DataFrame into one (named in TypeErrors)."""
    if isinstance(frame, pl.LazyFrame):
        return "collect a LazyFrame first: lf.collect()"
    return "convert a pandas frame with polars.from_pandas(df)"


def data_suffixes() -> set[str]:
    """The suffixes dvclean reads and writes as data (``.csv``, ``.parquet``, ``.json``, ``.gz``, ...), less ``.txt``
    (a generic name for text, not a claim of a format): what an HTML report, a JUnit document or a baseline is
    not named.

    >>> {".csv", ".parquet", ".gz"} <= data_suffixes() and ".txt" not in data_suffixes()
    True
    """
    return {s for suffixes in OUTPUT_SUFFIXES.values() for s in suffixes} - {".txt"} | set(_COMPRESSED)


#: Formats written as text, which a ``.gz`` / ``.zst`` name compresses (Parquet and Arrow compress themselves).
_TEXT_OUTPUTS = ("csv", "ndjson", "json")
#: ``--separator`` spellings of a tab besides the character itself (a shell passes ``'\t'`` as two characters).
_SEPARATOR_NAMES = {"\\t": "\t", "tab": "\t", "\\x09": "\t"}
#: Schema inference looks at this many rows first; on a parse error it retries on all rows.
INFER_ROWS = 10_000
_DEFAULT_NULLS = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"]

# The csv module refuses a field over 128 KiB by default, which polars reads: the scans for short rows and the
# rows' text offsets then stopped at such a cell (a short row after it was read shifted; fix rewrote every row).
# Raised once, only ever upwards (a limit the embedding program set higher is kept).
if csv.field_size_limit() < 2**31 - 1:
    csv.field_size_limit(2**31 - 1)


def parse_null_values(text: str) -> list[str]:
    """The ``null_values`` of :func:`read_frame` that ``--null-values TEXT`` names: comma-separated
    spellings, and the empty cell always.

    Examples
    --------
    >>> parse_null_values("NA, ?"), parse_null_values("")
    (['', 'NA', '?'], [''])
    """
    return list(dict.fromkeys(["", *(v.strip() for v in text.split(",") if v.strip())]))


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
    columns : tuple of str
        Every column of the file (also those ``exclude`` left out).
    encoding : str or None
        The codec a CSV file was decoded with (``--encoding``, or the one its UTF-16/UTF-32
        byte-order mark names).
    text_columns : tuple of str
        Columns read as text (String) that type inference would have read as numbers:
        ``keep_text`` columns whose text numbers would change (``007``), and ``as_text`` columns.
    schema_metadata : tuple of (bytes, bytes)
        A Parquet or Arrow IPC file's schema metadata (pandas' index and dtypes, a writer's own
        keys), which :func:`write_table` carries over to a Parquet or Arrow output of the same rows.
    dictionaries : tuple of (str, tuple, bool)
        A Parquet or Arrow IPC file's dictionary-encoded text or integer columns (pandas' categoricals): name,
        categories in their order (unused ones too) and whether they are ordered, which
        :func:`write_table` restores in a Parquet or Arrow output (polars keeps neither).
    either_way_dates : tuple of (str, str)
        CSV date columns the reader typed day first (``03/04/2021`` as 3 April) whose every date could
        be read month first too, each with such a cell: a note says which reading was used.
    dotted_thousands : tuple of (str, str)
        CSV number columns read as decimals whose every dot is followed by exactly three digits (``51.659``) among
        plain integers or in a ``;``-separated file: a German or Italian spreadsheet writes 51659 so. Each with such a
        cell; a note says the values may be misread (:func:`_dotted_thousands`).
    thousands_dots : tuple of (str, str, str)
        CSV number columns whose dots were read as thousands groups (``1.065`` as 1065) because the file writes its
        decimals with a comma (:func:`_thousands_dots`): each with such a cell and a column whose decimal commas
        settled it; a note says so.
    padded_codes : tuple of (str, str)
        A CSV's integer columns written with leading zeros to one width and distinct in nearly every row (a record
        number ``04527519``): codes rather than amounts, each with such a cell; a note says they are valued as
        numbers (:func:`_padded_codes`).
    """

    path: str
    format: str
    compression: str | None
    sha256: str
    separator: str | None = None
    columns: tuple[str, ...] = ()
    encoding: str | None = None
    text_columns: tuple[str, ...] = ()
    schema_metadata: tuple[tuple[bytes, bytes], ...] = ()
    dictionaries: tuple[tuple[str, tuple[Any, ...], bool], ...] = ()
    either_way_dates: tuple[tuple[str, str], ...] = ()
    dotted_thousands: tuple[tuple[str, str], ...] = ()
    thousands_dots: tuple[tuple[str, str, str], ...] = ()
    padded_codes: tuple[tuple[str, str], ...] = ()


def _arrow_source(data: bytes | Path) -> Any:
    """A pyarrow input over the bytes or the file. Not a Python file object: pyarrow that fails to open one as an
    Arrow file (a stream, not a file) can abort the process as it exits once polars is loaded (exit 134)."""
    import pyarrow as pa

    return pa.BufferReader(data) if isinstance(data, bytes) else pa.OSFile(str(data))


def _is_ipc_stream(data: bytes | Path) -> bool:
    """Whether Arrow IPC data is a stream (it starts with a message's continuation marker; a file with ``ARROW1``)."""
    head = data[:4] if isinstance(data, bytes) else _read_head(data)
    return head.startswith(b"\xff\xff\xff\xff")


def _open_arrow(data: bytes | Path) -> Any:
    """pyarrow's reader of an Arrow IPC file or stream (``.schema``, ``.read_all()``)."""
    import pyarrow as pa

    return (pa.ipc.open_stream if _is_ipc_stream(data) else pa.ipc.open_file)(_arrow_source(data))


def _dictionary_columns(data: bytes | Path, fmt: str) -> tuple[tuple[str, tuple[Any, ...], bool], ...]:
    """:attr:`SourceInfo.dictionaries` of a Parquet or Arrow IPC file; ``()`` when it has none or they cannot be read."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pq.read_schema(_arrow_source(data)) if fmt == "parquet" else _open_arrow(data).schema
        wanted = [f.name for f in schema if pa.types.is_dictionary(f.type)
                  and (pa.types.is_string(f.type.value_type) or pa.types.is_large_string(f.type.value_type)
                       or pa.types.is_integer(f.type.value_type))]
        if not wanted:
            return ()
        table = (pq.read_table(_arrow_source(data), columns=wanted) if fmt == "parquet"
                 else _open_arrow(data).read_all().select(wanted))
        out = []
        for name in wanted:
            chunks = table.column(name).chunks
            if not chunks or any(not c.dictionary.equals(chunks[0].dictionary) for c in chunks[1:]):
                continue  # (chunks with dictionaries of their own: no one order of categories to keep)
            out.append((name, tuple(chunks[0].dictionary.to_pylist()), bool(schema.field(name).type.ordered)))
        return tuple(out)
    except Exception:  # noqa: BLE001 - the frame was read: categories it cannot give are not worth failing for
        return ()


def _schema_metadata(data: bytes | Path, fmt: str) -> tuple[tuple[bytes, bytes], ...]:
    """The schema metadata of a Parquet or Arrow IPC file (file or stream), without Arrow's own
    serialized schema; ``()`` when there is none or it cannot be read."""
    try:
        import pyarrow.parquet as pq

        meta = (pq.read_schema(_arrow_source(data)) if fmt == "parquet" else _open_arrow(data).schema).metadata
    except Exception:  # the frame was read: metadata it cannot give is not worth failing for
        return ()
    return tuple(sorted((k, v) for k, v in (meta or {}).items() if k != b"ARROW:schema"))


def pandas_index_columns(info: SourceInfo | None) -> tuple[tuple[str, str | None], ...]:
    """``(column, index name)`` for each column a Parquet or Arrow file's pandas metadata says holds the frame's
    index (``df.to_parquet`` stores an index that is not a plain range so: ``__index_level_0__`` for an unnamed
    one, its name for a named one; the name is None for an unnamed level). ``()`` without such metadata.

    >>> meta = ((b"pandas", b'{"index_columns": ["__index_level_0__", {"kind": "range"}], "columns": '
    ...          b'[{"name": null, "field_name": "__index_level_0__"}]}'),)
    >>> pandas_index_columns(SourceInfo("f.parquet", "parquet", None, "", schema_metadata=meta))
    (('__index_level_0__', None),)
    """
    import json

    raw = dict(info.schema_metadata).get(b"pandas") if info is not None else None
    if not raw:
        return ()
    try:
        doc = json.loads(raw)
        fields = [c for c in doc["index_columns"] if isinstance(c, str)]  # (a RangeIndex is a dict: no column)
        names = {c.get("field_name"): c.get("name") for c in doc.get("columns", []) if isinstance(c, dict)}
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # not pandas' layout: nothing to say
        return ()
    return tuple((f, names.get(f) if isinstance(names.get(f), str) or names.get(f) is None else str(names.get(f)))
                 for f in fields)


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


def suffix_format(name: str) -> tuple[str | None, str | None]:
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
    if last in _JSON_SUFFIXES:
        return "json", compression
    if last in _CSV_SUFFIXES:
        return "csv", compression
    return None, compression


def _cgroup_memory_files() -> list[str]:
    """The memory-limit files of this process's cgroup (v2 ``memory.max``, v1 ``memory.limit_in_bytes``), from
    ``/proc/self/cgroup``, and those of the hierarchy's root (a container's own cgroup)."""
    files = []
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[0] == "0" and parts[1] == "":
            files.append(f"/sys/fs/cgroup{parts[2].rstrip('/')}/memory.max")
        elif len(parts) == 3 and "memory" in parts[1].split(","):
            files.append(f"/sys/fs/cgroup/memory{parts[2].rstrip('/')}/memory.limit_in_bytes")
    return [*files, "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]


def usable_memory() -> int | None:
    """The bytes of memory this process may use: the machine's, or less where a container's memory limit (cgroup
    v2 ``memory.max``, v1 ``memory.limit_in_bytes``) or the process's address-space limit (``ulimit -v``) says so;
    None where none can be read (not POSIX)."""
    sizes = []
    try:
        sizes.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        pass
    for cgroup in _cgroup_memory_files():
        try:
            text = Path(cgroup).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < 1 << 60:  # ("max", or v1's huge "no limit")
            sizes.append(int(text))
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY and soft > 0:
            sizes.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(sizes) if sizes else None


#: What the data read may take of :func:`usable_memory`: parsed into columns, and hashed, encoded and valued, a
#: table takes several times its text (a 1 GiB CSV of small numbers peaked at 6.2 GB).
INPUT_MEMORY_SHARE = 8


def input_size_limit() -> int:
    """The most bytes dvclean reads from a stream or expands from a compressed file: an eighth of the memory this
    process may use (:func:`usable_memory`; at least 256 MiB, 4 GiB where it is unknown).

    A regular file is read whatever its size; a stream (stdin, a pipe, a character device) and a
    compressed file's content have no size to check first, and a few kilobytes of gzip or zstd can
    expand to gigabytes: past the limit the read stops with a clear error instead of running the
    machine out of memory.
    """
    memory = usable_memory()
    if memory is None:
        return 4 << 30
    return max(256 << 20, memory // INPUT_MEMORY_SHARE)


#: Read and decompress in pieces of this size.
_CHUNK = 1 << 20


def _too_large(name: str, what: str, limit: int) -> InputError:
    return InputError(
        f"{name}: {what} more than {limit / (1 << 30):.1f} GiB (an eighth of the memory this process may use), more than "
        "dvclean reads from a stream or a compressed file; if the data is really that large, decompress or save it "
        "to a regular file first"
    )


def _pipe_fd(stream: Any) -> int | None:
    """The descriptor of a buffered binary ``stream`` that reads a pipe, a socket or a terminal (POSIX), else None.

    A blocking read of a pipe waits in the kernel until data or its end comes; a Ctrl-C that the kernel hands to
    another of the process's threads (a progress display's, a thread pool's) did not interrupt it, and the run went
    on waiting for the writer (``sleep 20 | dvclean score -``: interrupted only after 20 s)."""
    if os.name != "posix" or not callable(getattr(stream, "read1", None)):
        return None
    try:
        fd = stream.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return None
    return fd if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode) else None


def _wait_readable(fd: int) -> None:
    """Return once ``fd`` has data or has reached its end, checking for signals every quarter of a second."""
    import select

    while True:
        try:
            if select.select([fd], [], [], 0.25)[0]:
                return
        except (OSError, ValueError):  # (a descriptor select cannot watch: the read itself waits)
            return


def read_limited(
    stream: Any, name: str, *, what: str = "the stream holds", check_first: Callable[[bytes], None] | None = None,
) -> bytes:
    """All of ``stream`` (a binary file object), refused past :func:`input_size_limit`; ``check_first`` sees the
    first piece read (and may raise) before any more is."""
    limit = input_size_limit()
    parts, total = [], 0
    fd = _pipe_fd(stream)
    with contextlib.suppress(AttributeError, OSError, ValueError):
        if name == "stdin" and stream.isatty():  # (nothing piped in: a run that seems to hang, waiting for the keys)
            log.warning("standard input is a terminal: the data is read from what you type, up to Ctrl-D; to read a "
                        "file, pass its path or pipe it in (dvclean ... - < data.csv)")
    while True:
        if fd is not None:  # a pipe or a terminal: wait in short steps, so that Ctrl-C is acted on at once
            _wait_readable(fd)
        block = stream.read1(_CHUNK) if fd is not None else stream.read(_CHUNK)
        if not isinstance(block, (bytes, bytearray)):
            raise TypeError(f"{name} must be a binary stream (io.BytesIO, sys.stdin.buffer), not one of "
                            f"{type(block).__name__} ({type(stream).__name__}); wrap text as io.BytesIO(text.encode())")
        if not block:
            return b"".join(parts)
        if not parts and check_first is not None:
            check_first(block)
        total += len(block)
        if total > limit:
            raise _too_large(name, what, limit)
        parts.append(block)


def path_problem(path: Any, *, reading: bool = True) -> str | None:
    """Why ``path`` (a str or path object) names no file at all, for an error message, else None: it is empty, it
    is a table's text passed where its file's path belongs (an input that holds line breaks and names no file; the
    operating system would say "File name too long"), or it holds a NUL character (Python would say "embedded null
    byte"). A file name may hold a line break: an existing file's, or an output's, is left alone.

    ``reading``: the path of an input (the advice names what the readers take), else of an output.

    >>> path_problem("data.csv") is None
    True
    >>> print(path_problem(""))
    the path is empty (''); pass the path of a data file, '-' for standard input, or a frame
    >>> path_problem("a,y\\n1,0\\n")[:56]
    'the source looks like CSV text (2 lines, 8 characters), '
    """
    text = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(text, str):
        return None
    if text.strip() == "" and not (text and os.path.lexists(text)):  # (a file may be named " ")
        return (f"the path is empty ({text!r}); " + ("pass the path of a data file, '-' for standard input, or a frame"
                                                     if reading else "give the path of the file to write"))
    if "\x00" not in text and ("\n" in text or "\r" in text) and reading and not os.path.lexists(text):
        # (a file name may hold a line break: only a name of no file is taken for a table's text)
        return (f"the source looks like CSV text ({len(text.splitlines())} lines, {len(text):,} characters), not a "
                "file path: dvclean reads a file path, '-' (standard input) or a polars or pandas frame, and takes "
                "no text or file-like object; pass the file's path or the frame itself, or parse the text first, "
                "e.g. pl.read_csv(io.StringIO(text))")
    if "\x00" in text:
        return (f"the path {_short(text)} holds a NUL character (\\x00), which no file name can hold; check how the "
                "path was built")
    if text.endswith(("/", os.sep)) and text.rstrip("/" + os.sep) and os.path.isfile(text.rstrip("/" + os.sep)):
        # (Python's path objects drop the slash and read the file; the system refuses it: "Not a directory")
        return (f"{_short(text)} ends in '/', which names a directory, but {_short(text.rstrip('/' + os.sep))} is a "
                "file: leave out the '/'")
    return None


def refuse_no_file_name(source: str | os.PathLike[str]) -> None:
    """Raise :class:`InputError` when ``source`` names no file an output could be named after: :func:`path_problem`'s
    cases, and a directory's name (``.``, ``..``, ``/``: ``dvclean score .``), before a default output path is
    derived from it."""
    if (why := path_problem(source)) is not None:
        raise InputError(why)
    if Path(source).name in ("", ".", ".."):
        raise InputError(f"{source}: is a directory, not a data file; pass a CSV, Parquet, NDJSON or Arrow file")


def _short(text: str, width: int = 80) -> str:
    """``repr(text)``, cut in the middle to about ``width`` characters."""
    shown = repr(text)
    return shown if len(shown) <= width else f"{shown[:width // 2 - 2]}...{shown[-(width // 2 - 2):]}"


def require_file(source: Any, option: str) -> None:
    """Refuse a missing file given to ``option`` (``--valid``, ``--holdout``, ``--scores``) naming the option: a
    command that reads several files must say which one is missing. Frames, ``-`` and existing paths pass."""
    if isinstance(source, (str, os.PathLike)) and str(source) != "-" and (why := path_problem(source)) is not None:
        raise InputError(f"{option}: {why}")
    if isinstance(source, (str, os.PathLike)) and str(source) != "-" and not os.path.lexists(source):
        raise InputError(f"{option} {source}: no such file; check the path (current directory: {os.getcwd()})")


def read_scores_frame(source: str | os.PathLike[str], **options: Any) -> tuple[pl.DataFrame, SourceInfo]:
    """:func:`read_frame` for a scores file (``report``'s SCORES, ``augment --scores``), whose command's
    ``--input-format`` names the data's format, not the scores': a refusal's "pass --input-format ..." advice is
    left out (renaming the file is the way)."""
    try:
        return read_frame(source, **options)
    except InputError as exc:
        msg = str(exc)
        plain = re.sub(r"pass --input-format \w+, or ", "", msg)
        plain = re.sub(r",? or pass --input-format\b", "", plain)
        if plain == msg:
            raise
        raise InputError(plain) from exc


def read_json_document(path: str | os.PathLike[str], name: str) -> Any:
    """The JSON document in ``path`` (a regular file or a pipe), as a clear :class:`InputError` when it cannot be
    read: a device, a missing file, text that is not UTF-8 JSON, nesting too deep to decode, more than
    :func:`input_size_limit` bytes."""
    import json

    p = Path(expand_home(path))
    try:
        mode = p.stat().st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"{name}: is a directory; pass the JSON file itself")
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise InputError(f"{name}: not a regular file; pass the JSON file itself")
        with p.open("rb") as fh:
            raw = read_limited(fh, name)
        # (UTF-8, with or without a byte-order mark; UTF-16 or UTF-32 by their mark or their zero bytes, as json.loads
        # reads bytes: Windows PowerShell 5's `>` writes UTF-16)
        return json.loads(raw.decode(json.detect_encoding(raw)))
    except InputError:
        raise
    except FileNotFoundError as exc:
        raise InputError(f"{name}: no such file; check the path (current directory: {os.getcwd()})") from exc
    except PermissionError as exc:
        raise InputError(f"{name}: permission denied; make the file readable") from exc
    except RecursionError as exc:
        raise InputError(f"{name}: cannot read a JSON document (nested too deeply to decode)") from exc
    except UnicodeDecodeError as exc:  # (the codec json.detect_encoding chose: utf-8, utf-16-le, ...)
        codec = "UTF-8" if exc.encoding.replace("-", "").lower().startswith("utf8") else exc.encoding.upper()
        at = exc.start + max(0, len(raw) - len(exc.object))  # (in the file: a byte-order mark the codec skipped)
        raise InputError(f"{name}: is not {codec} JSON text (byte {at} cannot be decoded); pass the JSON file "
                         "dvclean wrote") from exc
    except json.JSONDecodeError as exc:
        # (some of the decoder's messages end in "at" already: "Unterminated string starting at")
        raise InputError(f"{name}: not a JSON document ({exc.msg.removesuffix(' at')} at line {exc.lineno}, "
                         f"column {exc.colno})") from exc
    except (OSError, ValueError) as exc:
        raise InputError(f"{name}: cannot read a JSON document ({exc})") from exc


def _decompress(raw: bytes, kind: str, name: str) -> bytes:
    def not_binary(block: bytes) -> None:
        if b"\0" * 1024 in block[:65536]:  # no text (not UTF-16/32 either) has such a run
            raise InputError(f"{name}: its {kind} content is binary (runs of zero bytes), not CSV, JSON, "
                             "Parquet or Arrow data; check the file")

    try:
        if kind == "gzip":
            reader: Any = gzip.GzipFile(fileobj=io.BytesIO(raw))
        else:
            import zstandard

            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(raw))
        with reader:
            return read_limited(reader, name, what=f"its {kind} content expands to", check_first=not_binary)
    except InputError:
        raise
    except ImportError as exc:  # pragma: no cover - zstandard is a dependency
        raise InputError(f"{name}: reading zstd needs the 'zstandard' package; pip install zstandard") from exc
    except MemoryError as exc:  # (not a corrupt stream: the content does not fit)
        raise InputError(f"{name}: its {kind} content does not fit in the memory this process may use; decompress "
                         "it to a regular file, or sample or split it first") from exc
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


def is_stream(source: Any) -> bool:
    """Whether ``source`` names a named pipe or a character device (``/dev/stdin``, a shell's ``<(...)``): a
    stream that can be read once, whose size says nothing, as opposed to a regular file."""
    if isinstance(source, pl.DataFrame) or str(source) == "-":
        return False
    try:
        mode = os.stat(source).st_mode
    except (OSError, TypeError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def read_once(source: Any, options: dict[str, Any]) -> bytes | None:
    """For ``"-"`` or a stream (:func:`is_stream`): read its bytes once and put them in ``options["stdin"]``, so that a
    command that reads the text twice (the typed frame, then the cells' spelling) reads the same bytes; else None."""
    if str(source) == "-" and not isinstance(source, pl.DataFrame):
        piped = read_limited(options.pop("stdin", None) or sys.stdin.buffer, "stdin", what="standard input holds")
    elif is_stream(source):
        piped = _read_stream(Path(source), str(source))
    else:
        return None
    options["stdin"] = io.BytesIO(piped)
    return piped


def _read_stream(path: Path, name: str) -> bytes:
    """The bytes of a named pipe or a character device: the terminal or pipe of this process's stdin (``/dev/stdin``)
    is read, another device (``/dev/zero``, ``/dev/urandom``: endless) is refused."""
    try:
        mode = os.stat(path)
        if stat.S_ISCHR(mode.st_mode):
            try:
                own = os.fstat(0)
                is_stdin = (own.st_dev, own.st_ino) == (mode.st_dev, mode.st_ino)
            except OSError:
                is_stdin = False
            if not is_stdin:
                raise InputError(f"{name}: is a device, not a data file; pass a CSV, Parquet, NDJSON or Arrow file "
                                 "(or - for standard input)")
        with path.open("rb") as fh:
            return read_limited(fh, name)
    except PermissionError as exc:
        raise InputError(f"{name}: permission denied; make the file readable") from exc


def _check_path(path: Path, name: str) -> None:
    if not path.exists():
        raise InputError(f"{name}: no such file; check the path (current directory: {os.getcwd()})")
    if path.is_dir():
        raise InputError(f"{name}: is a directory, not a data file; pass a CSV, Parquet, NDJSON or Arrow file")
    if not os.access(path, os.R_OK):
        raise InputError(f"{name}: permission denied; make the file readable")
    if path.stat().st_size == 0:
        needs = ("at least one JSON record" if suffix_format(path.name)[0] in ("json", "ndjson")
                 else "a header row and at least one data row")
        raise InputError(f"{name}: the file is empty; it needs {needs}")


def as_source(source: DataSource | Any, what: str = "the data") -> str | os.PathLike[str] | pl.DataFrame:
    """A path, ``"-"`` or a polars DataFrame, from what a library caller may pass (:data:`DataSource`); ``what``
    names the argument in the error (``"valid="``).

    A polars ``LazyFrame`` is collected, a pandas ``DataFrame`` converted with
    ``pl.from_pandas`` and a pyarrow ``Table`` with ``pl.from_arrow``; anything else that is not a path (a numpy
    array, a list, a dict, an open file) is a ``TypeError`` that says how to build a frame.

    Examples
    --------
    >>> as_source(pl.LazyFrame({"a": [1]})).shape
    (1, 1)
    >>> as_source("data.csv")
    'data.csv'
    """
    if isinstance(source, (str, os.PathLike, pl.DataFrame)):
        return expand_home(source)
    if isinstance(source, pl.LazyFrame):
        try:
            return source.collect()
        except (pl.exceptions.PolarsError, OSError) as exc:  # (a scan of a missing or broken file, a missing column)
            raise InputError(f"the polars LazyFrame could not be collected ({type(exc).__name__}: "
                             f"{str(exc).strip().splitlines()[0] if str(exc).strip() else 'no message'}); check the "
                             "query and the files it scans (lf.collect() raises the same error)") from exc
    if type(source).__module__.split(".")[0] == "pandas" and type(source).__name__ == "DataFrame":
        return _from_pandas(source)
    if type(source).__module__.split(".")[0] == "pyarrow" and type(source).__name__ in ("Table", "RecordBatch"):
        frame = pl.from_arrow(source)
        assert isinstance(frame, pl.DataFrame)
        return frame
    if callable(getattr(source, "read", None)):  # (an open file, io.BytesIO: its name or path says what it holds)
        raise TypeError(
            f"{what} must be a file path, '-' (stdin) or a DataFrame, not a file object ({type(source).__qualname__}); "
            "pass the file's path, or read it into a frame first (pl.read_csv(buf), pl.read_parquet(buf))"
        )
    raise TypeError(
        f"{what} must be a file path, '-' (stdin) or a polars or pandas DataFrame, not {type(source).__module__}."
        f"{type(source).__qualname__}; build a frame first, e.g. pl.DataFrame(array, schema=['f1', 'f2', 'y'], orient='row')"
    )


def _from_pandas(frame: Any) -> pl.DataFrame:
    """``pl.from_pandas(frame)``, or an :class:`InputError` naming the column it cannot convert and why.

    The levels of a *named* index (``df.set_index("id")``, a MultiIndex) become the first
    columns, as they were before ``set_index``; an unnamed index (positions, a filter's
    leftover labels) carries no data and is dropped.
    """

    named = [n for n in frame.index.names if n is not None]
    if named:  # a named index (set_index("id"), a MultiIndex) holds data columns: keep them as the first columns
        clash = [n for n in named if n in frame.columns]
        if clash:
            raise InputError(
                f"the pandas DataFrame's index {', '.join(map(repr, clash))} has the name of one of its columns; "
                "rename one of them, or drop the index (df.reset_index(drop=True))"
            )
        frame = frame.reset_index(level=[i for i, n in enumerate(frame.index.names) if n is not None])
    twice = sorted(c for c, k in Counter(str(c) for c in frame.columns).items() if k > 1)
    if twice:
        raise InputError(
            f"the pandas DataFrame has more than one column named {', '.join(map(repr, twice))}; "
            "give every column its own name (df.columns = [...])"
        )
    try:
        return pl.from_pandas(frame)
    except Exception as exc:  # pyarrow's and polars' own errors: find the column, say what to do
        for i, name in enumerate(frame.columns):
            try:
                pl.from_pandas(frame.iloc[:, [i]])
            except Exception as col_exc:  # noqa: BLE001 - reported below
                why = str(col_exc).strip().splitlines()[0] if str(col_exc).strip() else type(col_exc).__name__
                dtype = frame.dtypes.iloc[i]
                fix = (f"make it dense, e.g. df[{name!r}] = df[{name!r}].sparse.to_dense()"  # (as text, 0.0 is '0.0')
                       if type(dtype).__name__ == "SparseDtype" else
                       f"give it one type, e.g. df[{name!r}] = df[{name!r}].astype(str)")
                raise InputError(
                    f"pandas column {name!r} (dtype {dtype}) cannot be converted to a table column "
                    f"({why}); {fix}, or drop it"
                ) from exc
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"the pandas DataFrame cannot be converted to a table ({why})") from exc


def read_frame(
    source: str | os.PathLike[str],
    *,
    separator: str | None = None,
    encoding: str = "utf-8",
    null_values: str | Sequence[str] | None = None,
    format: str | None = None,
    stdin: IO[bytes] | None = None,
    exclude: Sequence[str] = (),
    keep_text: Sequence[str] | Callable[[Sequence[str]], Sequence[str]] = (),
    as_text: Sequence[str] = (),
    exact_text: Sequence[str] = (),
    warn_ignored: bool = True,
) -> tuple[pl.DataFrame, SourceInfo]:
    """Read a table file into a polars frame, refusing bad files with clear errors.

    Parameters
    ----------
    source : path or "-"
        The file; ``"-"`` reads from standard input.
    separator : str, optional
        CSV delimiter; sniffed among ``, ; TAB |`` when omitted (``\\t`` and ``tab`` name a tab).
    encoding : str
        Text encoding of a CSV file (any Python codec name). A file that starts with a
        UTF-16 or UTF-32 byte-order mark is decoded as that when ``encoding`` is UTF-8.
    null_values : str or list of str, optional
        Strings read as missing in a CSV (one string is one marker); defaults to the common spellings
        (empty, ``NA``, ``N/A``, ``NaN``, ``nan``, ``null``, ``NULL``, ``None``, ``?``).
    format : str, optional
        Force ``csv``, ``parquet``, ``ndjson``, ``json`` or ``ipc``.
    stdin : binary file, optional
        Stream used for ``"-"`` (defaults to ``sys.stdin.buffer``).
    exclude : sequence of str
        Columns not to materialise (projection pushdown: they are never parsed).
        ``SourceInfo.columns`` still lists every column of the file.
    keep_text : sequence of str, or a function of the header's column names returning them
        CSV columns whose text is their identity (a class label, a row id): such a column is
        read as text (String) when its inferred values would not write its text back:
        integers with leading zeros (``007``, ``01`` beside ``1``); in a float column of few
        distinct (at most 20) or only whole values, any cell whose text the float does not
        write back (``2`` beside ``2.5``, ``1e3``, ``01``); booleans spelled other than
        ``true``/``false`` (``True``, ``FALSE``). Otherwise it keeps its inferred type
        (``0``/``1`` stay integers, a continuous float with ``1.50`` stays a float). Other
        formats are typed.
    as_text : sequence of str
        Columns always read as text (String): a CSV column's text, another format's
        values cast (e.g. a validation file read like the data's label).
    exact_text : sequence of str
        CSV columns read as text whenever any cell's inferred value would not write its
        text back (a row id: ``1.5`` beside ``0``, ``1e3``, ``007``, ``True``), with no
        exception for continuous floats; otherwise they keep their inferred type.
    warn_ignored : bool
        Warn when CSV-only options (``separator``, ``null_values``, a non-UTF-8
        ``encoding``) are given for a file of another format; False for dvclean's own
        settings, which are not the user's to drop.

    Returns
    -------
    frame : polars.DataFrame
    info : SourceInfo

    Raises
    ------
    InputError
        The file is missing, empty, unreadable or malformed.
    TypeError
        ``source`` is not a path or ``"-"``, an option is not of its documented type, or ``stdin`` is a text stream.

    Examples
    --------
    >>> import io
    >>> df, info = read_frame("-", stdin=io.BytesIO(b"a;b\\n1;x\\n"))
    >>> df.columns, info.separator
    (['a', 'b'], ';')
    """
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"read_frame() reads a file: it takes a path or '-', got {type(source).__module__}."
                        f"{type(source).__name__}; pass a frame to dvclean.score (or make_table) as it is")
    source = expand_home(source)
    name = str(source)
    if separator is not None and not isinstance(separator, str):
        raise TypeError(f"separator must be a one-character string (',', ';', '\\t'), not {type(separator).__name__}")
    # one string is one marker or name (as pandas' na_values="NA"), not its letters
    null_values, exclude, as_text, exact_text = (
        (v,) if isinstance(v, str) else v for v in (null_values, exclude, as_text, exact_text))
    for what, given in (("null_values", null_values), ("exclude", exclude), ("as_text", as_text),
                        ("exact_text", exact_text)):
        if given is not None and (not isinstance(given, Iterable) or not all(isinstance(v, str) for v in given)):
            raise TypeError(f"{what} must be a string or a list of strings, not {given!r}")
    if isinstance(keep_text, str):
        keep_text = (keep_text,)
    nulls = _DEFAULT_NULLS if null_values is None else list(null_values)
    if separator is not None:
        separator = normalize_separator(separator)
    if name == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        raw = read_limited(stream, "stdin", what="standard input holds")
        if not raw:
            raise InputError("stdin: no data was piped in (- reads the input from standard input); pipe the file in, "
                             "e.g. `cat FILE | dvclean COMMAND - ...`, or pass its path instead of -")
        data: bytes | Path = raw
        sha = hashlib.sha256(raw).hexdigest()
        suffix_fmt, suffix_comp = None, None
    elif is_stream(source):  # a named pipe, /dev/stdin, <(...): read once, as stdin (``stdin``: its bytes, kept)
        raw = stdin.read() if stdin is not None else _read_stream(Path(source), name)
        if not raw:
            raise InputError(f"{name}: nothing was written to the pipe; it needs a header row and at least one data row")
        data = raw
        sha = hashlib.sha256(raw).hexdigest()
        suffix_fmt, suffix_comp = suffix_format(Path(source).name)
    else:
        if (why := path_problem(source)) is not None:  # (pathlib's "File name too long", ": is a directory")
            raise InputError(why)
        path = Path(source)
        _check_path(path, name)
        data = path
        sha = _sha256_file(path)
        suffix_fmt, suffix_comp = suffix_format(path.name)
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

    if fmt != "csv" and warn_ignored:  # CSV-only options given for another format would be dropped without a word
        other_codec = not _codec_exists(encoding) or codecs.lookup(encoding).name != "utf-8"
        ignored = [opt for opt, given in (("--separator", separator is not None), ("--null-values", null_values is not None),
                                          ("--encoding", other_codec)) if given]
        if ignored:
            kind = {"parquet": "Parquet", "ipc": "Arrow IPC", "json": "JSON", "ndjson": "NDJSON"}.get(fmt, fmt)
            one = len(ignored) == 1
            log.warning("%s: %s %s only to CSV input; the data is %s, so %s ignored", name, " and ".join(ignored),
                        "applies" if one else "apply", kind, "it is" if one else "they are")
    sep = None
    skip = set(exclude)
    codec = None
    text_columns: list[str] = []
    schema_md: tuple[tuple[bytes, bytes], ...] = ()
    dictionaries: tuple[tuple[str, tuple[Any, ...], bool], ...] = ()
    either_way: tuple[tuple[str, str], ...] = ()
    dotted: tuple[tuple[str, str], ...] = ()
    grouped: tuple[tuple[str, str, str], ...] = ()
    padded: tuple[tuple[str, str], ...] = ()
    if fmt == "csv":
        try:
            frame, sep, all_columns, codec, text_columns, either_way, dotted, grouped, padded = _read_csv(
                data, name, separator, encoding, nulls, skip, keep_text, tuple(as_text), tuple(exact_text)
            )
        except InputError as exc:  # (a JSON file named .csv: the CSV reader's complaint would mislead)
            if (json_kind := _json_text_kind(data)) is None:
                raise
            raise InputError(f"{name}: looks like {TEXT_KINDS[json_kind]}, not CSV text; "
                             f"{json_format_advice(json_kind)}") from exc
    elif fmt in ("parquet", "ipc"):
        stream = fmt == "ipc" and _is_ipc_stream(data)
        reader, schema_of, kind = (
            (pl.read_parquet, pl.read_parquet_schema, "Parquet") if fmt == "parquet"
            else (pl.read_ipc_stream, lambda src: pl.read_ipc_stream(src, n_rows=0).schema, "Arrow IPC stream") if stream
            else (pl.read_ipc, pl.read_ipc_schema, "Arrow IPC")
        )
        if fmt == "parquet":
            _check_parquet_size(data, name)
        try:
            _check_binary_names(data, fmt, name)
            all_columns = list(_read_binary(schema_of, data, name, kind)) if skip else []
            wanted = [c for c in all_columns if c not in skip] if skip else None
            read = (lambda src: reader(src, columns=wanted)) if fmt == "parquet" else (lambda src: _read_ipc(src, wanted, stream))
            frame = _read_binary(read, data, name, kind)
        except InputError as exc:  # (--input-format parquet on a CSV file: the mirror of _check_text's message)
            if magic == fmt or (text_kind := _plain_text_kind(data)) is None:
                raise
            shown = TEXT_KINDS[text_kind]
            fix = ("leave --input-format out to have the format found from the file" if suffix_fmt in (None, text_kind)
                   else f"rename the file to end in .{text_kind}")
            raise InputError(f"{name}: looks like {shown}, not {kind}; pass --input-format {text_kind}, or "
                             f"{fix}") from exc
        all_columns = all_columns or frame.columns
        schema_md = _schema_metadata(data, fmt)
        dictionaries = _dictionary_columns(data, fmt)
    else:
        frame, fmt = _read_json(data, name, keep_strings=(*as_text, *skip))
        all_columns = frame.columns
        frame = frame.drop([c for c in frame.columns if c in skip])
    if fmt in ("csv", "json", "ndjson"):  # a Duration column as dvclean writes it to text (PT90S) reads back typed
        wanted = keep_text(frame.columns) if callable(keep_text) else keep_text
        frame = _read_iso_durations(frame, {*wanted, *as_text, *exact_text, *text_columns})
    if fmt != "csv" and as_text:
        schema = frame.schema  # (built anew on every access: once, not per column)
        cast = [c for c in as_text if c in schema and schema[c] != pl.String]
        frame = frame.with_columns([pl.col(c).cast(pl.String) for c in cast]) if cast else frame
        text_columns = cast
    if fmt != "csv" and (empty := [i for i, c in enumerate(all_columns, start=1) if c.strip() == ""]):
        # (a CSV's header is checked as it is read; a pandas or polars frame may carry a column named "", which
        # the outputs could not keep: fix would write a CSV header dvclean refuses, augment failed after its work)
        blank = all_columns[empty[0] - 1]
        if blank:  # (spaces: as a CSV header's, told apart from an empty name)
            raise InputError(f"{name}: column {empty[0]}'s name is only "
                             f"{'spaces' if blank.strip(' ') == '' else 'white space'} ({blank!r}); give it a name "
                             f"(pandas: df.rename(columns={{{blank!r}: 'name'}}))")
        raise InputError(f"{name}: column {empty[0]} ({blank!r}) has no name; give every column "
                         "a name (pandas: df.rename(columns={'': 'name'}))")
    if not skip:
        _check_columns(frame, name, fmt)
    elif frame.height == 0:
        raise InputError(f"{name}: has a header ({len(all_columns)} columns) but no data rows; add data rows")
    info = SourceInfo(
        path=name, format=fmt, compression=compression, sha256=sha, separator=sep, columns=tuple(all_columns),
        encoding=codec, text_columns=tuple(text_columns), schema_metadata=schema_md, dictionaries=dictionaries,
        either_way_dates=either_way, dotted_thousands=dotted, thousands_dots=grouped, padded_codes=padded,
    )
    return frame, info


def normalize_separator(separator: str) -> str:
    """The delimiter ``--separator`` names: one character, or ``\\t`` / ``tab`` for a tab.

    Examples
    --------
    >>> normalize_separator(";"), normalize_separator(r"\\t"), normalize_separator("tab")
    (';', '\\t', '\\t')
    """
    named = _SEPARATOR_NAMES.get(separator.lower() if separator.isalpha() else separator)
    if named is not None:
        return named
    if len(separator) != 1:
        raise InputError(
            f"--separator must be one character (or \\t / tab for a tab); got {separator!r}"
            + ("; other backslash escapes are not decoded: pass the character itself (in bash $'\\x1f')"
               if separator.startswith("\\") else "")
        )
    if not separator.isascii():  # the CSV reader splits bytes: § is two in UTF-8
        raise InputError(f"--separator must be an ASCII character (the reader splits fields on one byte); got "
                         f"{separator!r}: convert the file to another delimiter first (e.g. with sed or iconv)")
    return separator


def _read_head(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(8)


def _read_ipc(src: Any, columns: list[str] | None, stream: bool = False) -> pl.DataFrame:
    """An Arrow IPC file (or ``stream``) as polars reads it; where polars refuses a dictionary column whose null
    slots hold the code -1 (pandas' ``to_feather`` of a categorical with a missing value: valid Arrow, as pyarrow
    reads it), read with pyarrow, its dictionary columns decoded to their values (:attr:`SourceInfo.dictionaries`
    keeps the categories for the outputs)."""
    try:
        return (pl.read_ipc_stream if stream else pl.read_ipc)(src, columns=columns)
    except Exception as exc:
        if "dictionary key" not in str(exc):
            raise
    import pyarrow as pa

    src.seek(0)
    table = _open_arrow(src.read()).read_all()
    if columns is not None:
        table = table.select(columns)
    for i, field in enumerate(table.schema):
        if not pa.types.is_dictionary(field.type):
            continue
        decoded = pa.chunked_array([chunk.dictionary_decode() for chunk in table.column(i).chunks],
                                   type=field.type.value_type)
        table = table.set_column(i, pa.field(field.name, field.type.value_type), decoded)
    return pl.from_arrow(table)  # type: ignore[return-value]


def _check_parquet_size(data: bytes | Path, name: str) -> None:
    """Refuse a Parquet file whose columns expand past :func:`input_size_limit` once read, as its footer tells (as a
    compressed CSV's content is limited): half a megabyte of one 200-character text, dictionary-encoded and
    compressed, is 15 million rows and 3 GB of strings. Each column chunk counts its uncompressed pages, or, for
    text and binary values, 16 bytes per value (a string view) and the longer of its statistics' minimum and maximum,
    where more. A footer that cannot be read is the reader's to report."""
    import pyarrow.parquet as pq

    try:
        meta = pq.read_metadata(io.BytesIO(data) if isinstance(data, bytes) else data)
        size = 0
        for g in (meta.row_group(i) for i in range(meta.num_row_groups)):
            for col in (g.column(c) for c in range(g.num_columns)):
                read = col.total_uncompressed_size
                stats = col.statistics if col.is_stats_set else None
                if col.physical_type == "BYTE_ARRAY" and stats is not None and stats.has_min_max:
                    width = max(len(stats.min or ""), len(stats.max or ""))
                    read = max(read, col.num_values * (16 + width))
                size += read
    except Exception:  # noqa: BLE001 - not a readable footer: the reader says why
        return
    limit = input_size_limit()
    if size > limit:
        raise InputError(
            f"{name}: holds {meta.num_rows:,} rows in {meta.num_columns} columns, about {size:,} bytes once read, more "
            f"than dvclean reads ({limit:,} bytes, an eighth of the memory this process may use); sample or split it first"
        )


#: What each text format looks like, for the messages on a file read as another format.
TEXT_KINDS = {"csv": "CSV text", "json": "a JSON array of records", "ndjson": "JSON lines (one JSON object per line)"}


def json_format_advice(kind: str) -> str:
    """How to read a JSON (``json``) or JSON lines (``ndjson``) file that was taken for CSV text."""
    return f"pass --input-format {kind}, or rename the file to end in .{kind}"


def _json_text_kind(data: bytes | Path) -> str | None:
    """``json`` when the data starts (after a byte-order mark and white space) as a JSON array of objects (``[{``),
    ``ndjson`` when its first line is a JSON object (``{"a": 1, ...}``), else None."""
    head = _raw_sample(data).lstrip()
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :].lstrip()
    if re.match(rb"\[\s*\{\s*(\"|\})", head):
        return "json"
    if re.match(rb'\{\s*"', head):
        return "ndjson" if _is_json_object(head.split(b"\n", 1)[0]) else None
    return None


def _plain_text_kind(data: bytes | Path) -> str | None:
    """``csv``, ``json`` or ``ndjson`` (:func:`_json_text_kind`) when the data's first 64 KiB are UTF-8 text (no
    zero byte), else None."""
    chunk = _raw_sample(data)
    if not chunk.strip() or b"\x00" in chunk:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(chunk, final=False)
    except UnicodeDecodeError:
        return None
    return _json_text_kind(data) or "csv"


def _check_binary_names(data: bytes | Path, fmt: str, name: str) -> None:
    """Refuse a Parquet or Arrow IPC file whose schema names a column twice (pyarrow writes one; polars refuses
    it as unreadable, or panics on the Arrow file), as a CSV header's duplicate is refused. A schema that cannot be
    read is the reader's to report."""
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(_arrow_source(data)).names if fmt == "parquet" else _open_arrow(data).schema.names
    except Exception:  # noqa: BLE001 - not a readable schema: the reader says why
        return
    seen: dict[str, int] = {}
    for i, col in enumerate(names, start=1):
        if col in seen:
            raise InputError(f"{name}: duplicate column name {col!r} (columns {seen[col]} and {i}); rename one of them")
        seen[col] = i


def polars_panic() -> type[BaseException]:
    """polars' ``PanicException`` (a Rust panic: a corrupt footer, a type a writer does not implement).

    It derives from ``BaseException``, so ``except Exception`` misses it; ``Exception`` where neither polars nor
    pyo3 names it.
    """
    try:
        from polars.exceptions import PanicException
    except ImportError:  # an older polars: pyo3's own module
        try:
            from pyo3_runtime import PanicException  # type: ignore[import-not-found,no-redef]
        except ImportError:
            return Exception
    return PanicException


def _read_binary(reader: Callable[..., pl.DataFrame], data: bytes | Path, name: str, kind: str) -> pl.DataFrame:
    try:
        if isinstance(data, bytes):
            return reader(io.BytesIO(data))
        with open(data, "rb") as fh:  # a file, not a path: polars expands a path as a glob (`a[1].parquet`)
            return reader(fh)
    except (Exception, polars_panic()) as exc:  # (a corrupt footer can make the reader panic: "unwrap() on None")
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{name}: not a readable {kind} file ({first}); re-export it or check the format") from exc


def _read_json(data: bytes | Path, name: str, *, keep_strings: Sequence[str] = ()) -> tuple[pl.DataFrame, str]:
    """A JSON array of objects (``json``) or JSON lines (``ndjson``), told apart by the first character.

    Both infer the schema from every record, so a value of another type further down (a
    string in a column of numbers) gives the column a type that holds both. Text columns
    of dates or datetimes become Date / Datetime as in a CSV file (:func:`_parse_json_dates`;
    ``keep_strings`` columns stay text).
    """
    frame, fmt = _read_json_records(data, name)
    return _parse_json_dates(frame, keep_strings), fmt


def _parse_json_dates(frame: pl.DataFrame, keep_strings: Sequence[str] = ()) -> pl.DataFrame:
    """``frame`` with each text column of dates or datetimes as Date / Datetime, by the CSV reader's rules.

    JSON has no date type, so dates arrive as strings; a CSV file's are parsed by polars'
    ``try_parse_dates``. The same values are run through that same reader (one column, every
    row inferred, as :func:`_read_csv` ends up doing), so a table gives the same typed frame
    from CSV and from JSON. A column is typed only when the result writes every cell back
    as it was: a JSON or NDJSON output is written from the typed frame, and the original
    rows must come out unchanged. ``2021-03-04`` and ``2021-03-04 05:06:07.123`` are typed;
    spellings the writer would change (``2021-03-04T05:06:07``, ``...Z``, ``+01:00``, ``.5``
    seconds, nanoseconds), a null spelled as text, or a value that does not parse keep the
    column as text.
    """
    typed: list[pl.Series] = []
    for col, dt in frame.schema.items():
        if dt != pl.String or col in keep_strings:
            continue
        parsed = _json_dates(frame.get_column(col))
        if parsed is not None:
            typed.append(parsed)
    return frame.with_columns(typed) if typed else frame


#: The first character of every date spelling the CSV reader parses (year or day first).
_DATE_START = r"^[0-9]"


def _json_dates(text: pl.Series) -> pl.Series | None:
    """``text`` as Date / Datetime when the CSV reader parses all of it and the JSON writers spell it back; else None."""
    present = text.drop_nulls()
    if present.len() == 0 or not present.str.contains(_DATE_START).all():
        return None
    as_csv = io.BytesIO()
    text.rename("v").to_frame().write_csv(as_csv)  # a null as an empty field, an empty string quoted
    try:
        read = pl.read_csv(io.BytesIO(as_csv.getvalue()), infer_schema_length=None, try_parse_dates=True,
                           null_values=None, raise_if_empty=True)
    except Exception:  # noqa: BLE001 - not the CSV reader's dates: the column stays text
        return None
    if read.height != text.len() or read.width != 1:
        return None
    parsed = read.to_series()
    if not (parsed.dtype == pl.Date or isinstance(parsed.dtype, pl.Datetime)):
        return None
    for write in (pl.DataFrame.write_ndjson, pl.DataFrame.write_json):
        out = io.BytesIO()
        write(parsed.to_frame(), out)
        back = (pl.read_ndjson if write is pl.DataFrame.write_ndjson else pl.read_json)(
            io.BytesIO(out.getvalue()), schema={"v": pl.String}
        ).to_series()
        if back.len() != text.len() or back.ne_missing(text).any():
            return None
    return parsed.rename(text.name)


def _read_json_records(data: bytes | Path, name: str) -> tuple[pl.DataFrame, str]:
    """The records of a JSON array or JSON-lines file, as polars reads them (see :func:`_read_json`)."""
    raw = data if isinstance(data, bytes) else data.read_bytes()
    stripped = raw.lstrip()
    if stripped.startswith(codecs.BOM_UTF8):
        stripped = stripped[len(codecs.BOM_UTF8) :].lstrip()
    if not stripped:
        raise InputError(f"{name}: the file is empty; it needs at least one JSON record")
    if (dup := _repeated_json_key(stripped)) is not None:
        record, key = dup
        raise InputError(
            f"{name}: record {record} (row {record - 1}, as dvclean numbers rows from 0) holds the key {key!r} twice; "
            "a JSON reader keeps one of the two values without a word, so rename one of them (or remove the copy) in "
            "the program that wrote the file"
        )
    if stripped[:1] == b"[":
        try:
            frame = pl.read_json(io.BytesIO(stripped), infer_schema_length=None)
            if mixed := _json_bool_number_columns(stripped, "json", frame.schema):
                frame = pl.read_json(io.BytesIO(stripped), infer_schema_length=None, schema_overrides=mixed)
            return frame, "json"
        except Exception as exc:
            msg = _bad_json_array(stripped) or _first_line(exc)
            raise InputError(
                f"{name}: not a readable JSON array of records ({msg}); the file must be one JSON array of objects "
                "(or JSON lines: one object per line)"
            ) from exc
    try:
        try:
            frame = pl.read_ndjson(io.BytesIO(stripped), infer_schema_length=None)
        except pl.exceptions.ComputeError as exc:
            # (polars refuses a column of numbers and true/false: "cannot parse 'true' (bool) as Int64"; in a nested
            # value too, which is then read as its JSON text: a nested column is no feature, and outputs write the
            # file's own records)
            if "(bool)" not in str(exc) or not (mixed := _json_bool_number_columns(stripped, "ndjson", nested=True)):
                raise
            frame = pl.read_ndjson(io.BytesIO(stripped), infer_schema_length=None,
                                   schema_overrides=dict.fromkeys(mixed, pl.String))
            # a nested column's JSON text as a one-item list: still nested, so still no feature (refused unless
            # --drop'ped, as an object column is)
            frame = frame.with_columns(pl.concat_list(pl.col(c)).alias(c) for c, dt in mixed.items() if dt != pl.String)
    except Exception as exc:
        shape = _one_object_shape(stripped, name) or (
            ("over several lines", "write one object per line (JSON lines), or an array of objects")
            if _is_json_object(stripped) else None)
        if shape is not None:
            what, fix = shape
            raise InputError(f"{name}: is one JSON object {what}, not a table of records (dvclean reads a JSON array "
                             f"of objects, one per row, or JSON lines); {fix}") from None
        where = _bad_json_line(raw)
        msg = _first_line(exc)
        raise InputError(
            f"{name}: not valid JSON lines ({where or msg}); each line must be one JSON object"
        ) from exc
    if frame.height == 1 and (shape := _one_object_shape(stripped, name)) is not None:
        what, fix = shape
        raise InputError(f"{name}: is one JSON object {what}, not a table of records (dvclean reads a JSON array of "
                         f"objects, one per row, or JSON lines); {fix}")
    return frame, "ndjson"


def _json_bool_number_columns(text: bytes, fmt: str, schema: Mapping[str, Any] | None = None, *,
                              nested: bool = False) -> dict[str, Any]:
    """The columns of a JSON (``json``) or JSON lines (``ndjson``) file that hold both numbers and true/false, as
    ``{name: pl.String}`` for the reader's ``schema_overrides`` (``nested``: and every nested column, as
    ``pl.List(pl.String)``, to be read as its JSON text).

    polars reads such a column as numbers, true as 1 (``json``), or refuses the file as "cannot parse 'true'
    (bool) as Int64" (``ndjson``). Read as text, each value keeps its JSON spelling (``1``, ``2.5``, ``true``), as
    a column of numbers and strings already does. Only a file that spells true or false anywhere is read twice.
    """
    if b"true" not in text and b"false" not in text:
        return {}
    if schema is None:
        try:
            schema = pl.scan_ndjson(io.BytesIO(text), infer_schema_length=None).collect_schema()
        except Exception:  # noqa: BLE001 - no schema to read it with: the reader's own error stands
            return {}
    candidates = [c for c, dt in schema.items() if dt.is_numeric() or dt == pl.Boolean]
    if not candidates and not nested:
        return {}
    as_text = {c: (pl.String if c in candidates or (nested and dt.is_nested()) else dt) for c, dt in schema.items()}
    reader = pl.read_json if fmt == "json" else pl.read_ndjson
    try:
        spelled = reader(io.BytesIO(text), schema=as_text)
    except Exception:  # noqa: BLE001 - a column polars cannot read as text: the file is read as it first was
        return {}
    mixed = {}
    for c in candidates:
        present = spelled.get_column(c).drop_nulls()
        flags = present.is_in(["true", "false"])
        if flags.any() and not flags.all():
            mixed[c] = pl.String
    if nested:  # (the reader refused the file; a nested value may hold such a mix too: marked List, read as text)
        mixed.update({c: pl.List(pl.String) for c, dt in schema.items() if dt.is_nested()})
    return mixed


def _is_json_object(text: bytes) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (ValueError, RecursionError):
        return False


def _one_object_shape(text: bytes, name: str) -> tuple[str, str] | None:
    """``(what a file holding one JSON object that holds a table holds, how to get its records)``, else None (a
    one-record JSON-lines file): records under a key (``{"data": [{...}, ...]}``), columns of equal length
    (``{"x": [...], "y": [...]}``), or pandas' ``split`` layout (``{"columns": [...], "data": [[...], ...]}``)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    lists = {k: v for k, v in value.items() if isinstance(v, list)}
    records = [k for k, v in lists.items() if v and all(isinstance(r, dict) for r in v)]
    if records:
        key = records[0]
        return (f"that holds {len(lists[key]):,} records under the key {key!r}",
                f"extract them, e.g. jq {shlex.quote('.' + json.dumps(key))} {shlex.quote(name)} > records.json")
    if isinstance(value.get("columns"), list) and isinstance(value.get("data"), list):
        return "in pandas' split layout (columns, data)", _pandas_hint(name, ", orient='split'")
    if len(value) > 1 and len(lists) == len(value) and len({len(v) for v in lists.values()}) == 1:
        return "of columns (one list per column)", _pandas_hint(name, "")
    return None


def _pandas_hint(name: str, orient: str) -> str:
    code = f"import pandas as pd; pd.read_json({name!r}{orient}).to_json('records.json', orient='records')"
    quoted = f'"{code}"' if not re.search(r'["$`\\!]', code) else shlex.quote(code)
    return f"write it as records, e.g. python -c {quoted}"


#: How much of a JSON or NDJSON file :func:`_repeated_json_key` reads (a repeated key is most often every record's,
#: the writer's doing; checking a whole multi-gigabyte file would cost 5x the read and 3x its memory).
JSON_KEY_CHECK_BYTES = 32 * 2**20


def _repeated_json_key(text: bytes) -> tuple[int, str] | None:
    """``(record number, key)`` of the first record (1-based) that holds a key twice, at any depth; else None
    (also when the text is not valid JSON: the reader says why). Only the records in the first
    :data:`JSON_KEY_CHECK_BYTES` are checked (a JSON array: when it is no longer than that)."""

    def pairs(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        return items  # (kept as pairs: a dict would keep only one of two equal keys)

    def repeated(value: Any) -> str | None:
        if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            keys = [k for k, _ in value]
            if len(set(keys)) != len(keys):
                return next(k for i, k in enumerate(keys) if k in keys[:i])
            value = [v for _, v in value]
        if isinstance(value, list):
            for v in value:
                if isinstance(v, list) and (key := repeated(v)) is not None:
                    return key
        return None

    if b'"' not in text:
        return None
    try:
        if text[:1] == b"[":
            if len(text) > JSON_KEY_CHECK_BYTES:
                return None
            records = json.loads(text, object_pairs_hook=pairs)
        else:
            head = text[:JSON_KEY_CHECK_BYTES]
            if len(text) > JSON_KEY_CHECK_BYTES:
                head = head[: head.rfind(b"\n") + 1]  # (whole lines only)
            records = json.loads(b"[" + b",".join(line for line in head.splitlines() if line.strip()) + b"]",
                                 object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return None
    if not isinstance(records, list):
        return None
    for number, record in enumerate(records, start=1):
        if isinstance(record, list) and (key := repeated(record)) is not None:
            return number, key
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class _NotJson(Exception):
    """A value Python's JSON reader takes and JSON has not (NaN, Infinity, a number past the float range)."""


def _not_json_constant(name: str) -> Any:
    raise _NotJson(f"{name} is not a JSON value (Python's json.dumps writes it for a float NaN or infinity): write "
                   "null for a missing value")


def _finite_json_number(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotJson(f"the number {text} is beyond the range of a float: write it smaller, or as text")
    return value


def _bad_json_array(raw: bytes) -> str | None:
    """Why Python's reader, held to JSON, refuses a JSON array file, with its line and column (None if it reads it,
    or the file is too large to read again: polars' own message then stands)."""
    import json

    if len(raw) > 256 * 2**20:
        return None
    try:
        json.loads(raw.decode("utf-8-sig"), parse_constant=_not_json_constant, parse_float=_finite_json_number)
    except _NotJson as exc:
        return str(exc)
    except json.JSONDecodeError as exc:
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except (ValueError, RecursionError):
        return None
    return None


def _bad_json_line(raw: bytes) -> str | None:
    """``line N: why`` for the first line of a JSON-lines file that is not one JSON object (None if all are)."""
    import json

    for number, line in enumerate(raw.splitlines(), start=1):
        text = line.strip()
        if number == 1 and text.startswith(codecs.BOM_UTF8):
            text = text[len(codecs.BOM_UTF8) :]
        if not text:
            continue
        try:
            value = json.loads(text, parse_constant=_not_json_constant, parse_float=_finite_json_number)
        except _NotJson as exc:
            return f"line {number}: {exc}"
        except (ValueError, UnicodeDecodeError) as exc:
            reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            return f"line {number}: {reason}"
        except RecursionError:
            return f"line {number}: values nested too deeply to decode"
        if not isinstance(value, dict):
            kind = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}.get(type(value), "null")
            return f"line {number}: a JSON {kind}, not an object"
    return None


#: Byte-order marks of the encodings a file names by its first bytes (UTF-32 first: its LE mark starts like UTF-16's).
#: The codecs name the byte order, so that the mark stays in the text and a CSV output is written in the same
#: order with the same mark (Python's plain ``utf-16`` would drop the mark and write the machine's order).
_WIDE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
              (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _bom_encoding(data: bytes | Path) -> str | None:
    """``utf-16-le``/``-be`` or ``utf-32-le``/``-be`` when the data starts with that byte-order mark (never valid
    UTF-8), else None."""
    head = data[:4] if isinstance(data, bytes) else _read_head(data)[:4]
    return next((enc for bom, enc in _WIDE_BOMS if head.startswith(bom)), None)


def _text_bytes(data: bytes | Path, name: str, encoding: str) -> tuple[bytes | Path, str]:
    """``(UTF-8 bytes (or the path when it already is UTF-8), the codec used)``, or fail naming the line.

    With the default UTF-8, a UTF-16 or UTF-32 byte-order mark selects that codec (such a
    file is never valid UTF-8).
    """
    norm = codecs.lookup(encoding).name if _codec_exists(encoding) else None
    if norm is None:
        raise InputError(f"unknown --encoding {encoding!r} (not a text encoding); use a Python codec name such as "
                         "utf-8, latin-1 or cp1252")
    if norm == "utf-8":
        wide = _bom_encoding(data)
        if wide is None:
            return data, norm
        log.info("%s: starts with a %s byte-order mark; decoding it as %s", name, wide.upper(), wide)
        norm = encoding = wide
    raw = data if isinstance(data, bytes) else data.read_bytes()
    mark = _bom_encoding(raw) or ("utf-8" if raw.startswith(codecs.BOM_UTF8) else None)
    if mark is not None and not _names_codec(norm, mark):
        # (a byte-order mark names its encoding: decoded as another, the mark becomes `ï»¿` in the first column's
        # name, or the text becomes zero bytes between letters)
        readable = mark != "utf-8" or _decodes(raw, "utf-8")
        raise InputError(f"{name}: starts with a {mark.upper()} byte-order mark, so it is {mark.upper()} text, not "
                         f"{encoding}; " + ("drop --encoding (dvclean reads the mark)" if readable else
                                            f"yet line {_utf8_error_line(raw)} is not valid UTF-8: the file mixes "
                                            "encodings; save it again in one encoding"))
    if norm.startswith(("utf-16", "utf-32")) and mark is None and b"\x00" not in raw[:65536]:
        # (every UTF-16/32 text of Latin letters, digits or separators holds zero bytes; decoded as such, a
        # UTF-8 or cp1252 file becomes one line of CJK characters, "a header but no data rows")
        utf8 = _decodes(raw, "utf-8")
        raise InputError(f"{name}: is not {encoding} text (it holds no zero bytes, which the separators and line ends "
                         f"of {encoding} text have{', and it reads as UTF-8' if utf8 else ''}); "
                         + ("drop --encoding" if utf8 else "pass the file's real --encoding (e.g. latin-1 or cp1252)"))
    try:
        text = raw.decode(norm)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"{name}: line {line} is not valid {encoding}; pass the file's real --encoding") from exc
    if not norm.startswith("utf") and (seen := _utf8_misread(raw, norm)) is not None:
        line, word, misread = seen
        log.warning("%s: is UTF-8 text (line %d writes %r), read as %s as --encoding asks: %r; if names and "
                    "categories look garbled, drop --encoding", name, line, word, encoding, misread)
    return text.encode("utf-8"), norm


def _utf8_misread(raw: bytes, codec: str) -> tuple[int, str, str] | None:
    r"""``(line, a word as UTF-8 reads it, the same bytes as ``codec`` reads them)`` when ``raw`` holds bytes above
    ASCII and is valid UTF-8 (a single-byte text with accents almost never is: ``é`` in cp1252 is one byte UTF-8
    refuses), else None. The word is the first one holding such bytes.

    >>> _utf8_misread("a;Geschäft\n".encode(), "cp1252")
    (1, 'Geschäft', 'GeschÃ¤ft')
    >>> _utf8_misread("a;Geschäft\n".encode("cp1252"), "cp1252") is None
    True
    """
    start = next((i for i, b in enumerate(raw[:1 << 20]) if b >= 0x80), None)
    if start is None or not _decodes(raw, "utf-8"):
        return None
    left = max(raw.rfind(c, 0, start) for c in (b"\n", b",", b";", b"\t", b" ", b'"')) + 1
    ends = [i for i in (raw.find(c, start) for c in (b"\r", b"\n", b",", b";", b"\t", b" ", b'"')) if i >= 0]
    chunk = raw[left:min([*ends, start + 40])]
    try:
        return raw[:start].count(b"\n") + 1, chunk.decode("utf-8"), chunk.decode(codec, errors="replace")
    except UnicodeDecodeError:  # (cut inside a character at 40 bytes)
        return None


def _names_codec(norm: str, mark: str) -> bool:
    """Whether the codec ``norm`` (a normalized name) reads text with the byte-order mark of ``mark``: the mark's own
    codec, its family without a byte order (``utf-16`` reads either mark) or, for UTF-8's, ``utf-8-sig``."""
    return norm == mark or norm == mark[:-3] or (mark == "utf-8" and norm == "utf-8-sig")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _codec_exists(encoding: str) -> bool:
    """Whether ``encoding`` names a Python text codec (not ``rot13``, ``base64`` or ``zlib``, which map bytes to bytes)."""
    try:
        return bool(getattr(codecs.lookup(encoding), "_is_text_encoding", True))
    except (LookupError, ValueError, TypeError):  # (ValueError: a NUL in the name)
        return False


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
    if chunk[:4] in (b"PK\x03\x04", b"PK\x05\x06"):  # a ZIP archive (an .xlsx or .ods workbook is one too)
        if name.lower().endswith((".xlsx", ".xls", ".xlsm", ".ods")) or b"xl/workbook.xml" in chunk:
            raise InputError(f"{name}: is a spreadsheet workbook (a ZIP archive), which dvclean does not read; "
                             "save the sheet as CSV first")
        raise InputError(f"{name}: is a ZIP archive, which dvclean does not read; unzip it first (or, for one CSV "
                         "inside, unzip -p FILE.zip NAME.csv | dvclean score - ...)")
    unread = {b"BZh": ("bzip2", "bunzip2 -k FILE (or bzcat FILE | dvclean score - ...)"),
              b"\xfd7zXZ\x00": ("xz", "unxz -k FILE (or xzcat FILE | dvclean score - ...)"),
              b"SQLite format 3\x00": ("SQLite database", "export the table as CSV first (sqlite3 -header -csv FILE "
                                       "'select * from TABLE' > data.csv)")}
    for magic, (kind, how) in unread.items():
        # (bzip2: the level digit, then the first block's magic, or the end-of-stream one of an empty file)
        if chunk.startswith(magic) and (magic != b"BZh" or (chunk[3:4].isdigit()
                                                              and chunk[4:10] in (b"1AY&SY", b"\x17rE8P\x90"))):
            if kind in ("bzip2", "xz"):
                raise InputError(f"{name}: is {kind}-compressed, and dvclean reads gzip- and zstd-compressed files "
                                 f"only: decompress it first, {how}")
            raise InputError(f"{name}: is an {kind}, which dvclean does not read: {how}")
    if chunk[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # an OLE2 compound file: Excel 97-2003 .xls (or .doc)
        raise InputError(f"{name}: is an old Excel workbook (.xls, a binary OLE2 file), which dvclean does not read; "
                         "save the sheet as CSV first")
    if b"\x00" in chunk:
        wide = _wide_text_guess(chunk)
        if wide is not None:
            raise InputError(
                f"{name}: looks like {wide.upper()} text without a byte-order mark (a zero byte beside every "
                f"character); pass --encoding {wide}"
            )
        magic = _sniff_magic(chunk)
        if magic in ("parquet", "ipc"):  # (--input-format csv on a Parquet file)
            kind = "Arrow IPC" if magic == "ipc" else "Parquet"
            raise InputError(f"{name}: is a {kind} file, not CSV text; pass --input-format {magic}, or "
                             "leave --input-format out to have the format found from the file")
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


def _wide_text_guess(chunk: bytes) -> str | None:
    """``utf-16-le`` / ``utf-16-be`` when ``chunk`` reads as such ASCII-range text (every other byte zero)."""
    n = len(chunk) - len(chunk) % 2
    if n < 4:
        return None
    even, odd = chunk[0:n:2], chunk[1:n:2]
    for zeros, text, enc in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.9 * len(zeros) and text.count(0) == 0:
            return enc
    return None


#: The most bytes :func:`_sample_text` reads to hold a file's header line and the line after it.
SAMPLE_MAX_BYTES = 64 << 20


def _sample_text(data: bytes | Path, size: int = 1 << 16) -> str:
    """The file's first ``size`` bytes as text (a BOM removed), or more, up to :data:`SAMPLE_MAX_BYTES`, until they
    hold two line ends: the header checks (quotes, duplicate names) parse the header from it, and a header of 6,000
    columns is longer than 64 KiB (its names were taken from polars as they were, doubled quotes and all)."""

    def line_ends(chunk: bytes) -> int:
        return max(chunk.count(b"\n"), chunk.count(b"\r"))

    if isinstance(data, bytes):
        chunk = data[:size]
        while line_ends(chunk) < 2 and len(chunk) < len(data) and size < SAMPLE_MAX_BYTES:
            size *= 4
            chunk = data[:size]
    else:
        with data.open("rb") as fh:
            chunk = fh.read(size)
            while line_ends(chunk) < 2 and len(chunk) < SAMPLE_MAX_BYTES and (more := fh.read(3 * len(chunk))):
                chunk += more
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


def _field_counts(sample: str, sep: str, records: int = 50) -> list[int] | None:
    """How many fields each of the first ``records`` non-empty records of ``sample`` has, split on ``sep`` (a last line
    the sample cuts left out); None where the csv module cannot parse it."""
    counts = []
    try:
        for rec in csv.reader(io.StringIO(sample, newline=""), delimiter=sep):
            if rec:
                counts.append(len(rec))
            if len(counts) > records:
                return counts[:records]
    except csv.Error:
        return None
    return counts[:-1] if len(counts) > 1 and not sample.endswith(("\n", "\r")) else counts


def _separator_mismatch(sample: str, sep: str) -> str | None:
    r"""Why the separator given (``--separator``) looks wrong, else None: most of the first lines have other than the
    header's number of fields split on it (the reader would blame a row, or call line 1 a title above the header),
    while another common separator (``;``, tab, ``|``, ``,``) splits the header into two or more fields, each with a
    name, and most of those lines into as many.

    >>> print(_separator_mismatch("a;b;y\n1,5;2;x\n3,25;4;z\n5;6,75;x\n", ","))  # doctest: +NORMALIZE_WHITESPACE
    --separator ',' does not fit this file: line 1 has 1 field split on it, but most of the first 4 lines have 2;
    split on ';' line 1 has 3 fields, as 4 of those lines do: pass --separator ';' (or leave --separator out: the
    reader detects the separator)
    >>> _separator_mismatch("a,b,y\n1,2,x\n3,4\n", ",") is None  # (a short row: the separator fits)
    True
    """
    given = _field_counts(sample, sep)
    if not given or len(given) < 2 or sum(c == given[0] for c in given) * 2 > len(given):
        return None
    for other in (";", "\t", "|", ","):
        if other == sep:
            continue
        counts = _field_counts(sample, other)
        if not counts or counts[0] < 2 or sum(c == counts[0] for c in counts) * 2 <= len(counts):
            continue
        if any(not f.strip() for f in _header(sample, other, "")):
            continue  # (a header with empty names is no header)
        usual = Counter(given[1:]).most_common(1)[0][0]
        shown, fits = ("a tab" if sep == "\t" else repr(sep)), ("a tab" if other == "\t" else repr(other))
        return (f"--separator {shown} does not fit this file: line 1 has {given[0]} field{'s' if given[0] != 1 else ''} "
                f"split on it, but most of the first {len(given)} lines have {usual}; split on {fits} line 1 has "
                f"{counts[0]} fields, as {sum(c == counts[0] for c in counts)} of those lines do: pass --separator "
                f"{'tab' if other == chr(9) else shlex.quote(other)} (or leave --separator out: the reader detects "
                "the separator)")
    return None


def _header(sample: str, sep: str, name: str) -> list[str]:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=sep)
    try:
        return next(reader)
    except StopIteration:
        return []
    except csv.Error as exc:
        raise InputError(f"{name}: cannot parse the header row ({exc}); check quoting and line ends") from exc


def _comment_lines(sample: str, sep: str, width: int, name: str) -> str | None:
    """Why the lines starting with ``#`` before the header are not read, else None: comment lines (an export's
    banner) give a header of the wrong width. A header whose first name starts with ``#`` (``#id,name``) is one
    when the next line has as many fields."""
    lines = sample.splitlines()
    k = next((i for i, line in enumerate(lines) if not line.lstrip().startswith("#")), len(lines))
    if k == 0 or k == len(lines):
        return None
    try:
        if len(_header("\n".join(lines[k:]), sep, name)) == width:
            return None
    except InputError:
        return None
    many = k > 1
    return (f"line{'s 1-' + str(k) if many else ' 1'} start{'' if many else 's'} with '#': comment"
            f"{'s' if many else ''} before the header, which dvclean would read as the header; remove "
            f"{'them' if many else 'it'}, e.g. grep -v '^#' {name} > fixed.csv")


def _holds_data(sample: str, sep: str, columns: Sequence[int]) -> bool:
    """Whether a data row of ``sample`` (the lines after the header) has a value in one of ``columns``."""
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=sep)
    try:
        next(reader)
        for row in reader:
            if any(i < len(row) and row[i].strip() for i in columns):
                return True
    except csv.Error:  # (a cut last line, or quoting the reader will report itself)
        return False
    return False


def either_way_date(text: pl.Series) -> str | None:
    """A cell of a column of dates written day, month, year (``03/04/2021``, ``3.4.21``) when every cell reads
    month first as well (both numbers at most 12) and the two readings differ somewhere: nothing in the column
    tells them apart.

    >>> either_way_date(pl.Series(["03/04/2021", "05/06/2021"])), either_way_date(pl.Series(["03/04/2021", "25/06/2021"]))
    ('03/04/2021', None)
    >>> either_way_date(pl.Series(["01/01/2021", "2021-02-03"])), either_way_date(pl.Series(["07/07/21", "12/12/21"]))
    (None, None)
    """
    cells = text.drop_nulls().str.strip_chars()
    cells = cells.filter(cells != "")
    parts = cells.str.extract_groups(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2}")
    first = parts.struct.field("1").cast(pl.Int64, strict=False)
    second = parts.struct.field("2").cast(pl.Int64, strict=False)
    if cells.len() == 0 or first.null_count() or second.null_count():
        return None
    if int(first.max()) > 12 or int(second.max()) > 12 or (first == second).all():  # type: ignore[arg-type]
        return None
    return str(cells.filter(first != second).first())


def _times_of_day(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """``frame`` with each of the text ``columns`` as a Time column when every cell is a time of day, with or without
    seconds (``6:49`` beside ``13:05:10``, which the CSV reader cannot type together); else left as text.

    >>> _times_of_day(pl.DataFrame({"t": ["6:49", "13:05:10", None]}), ["t"]).get_column("t").to_list()
    [datetime.time(6, 49), datetime.time(13, 5, 10), None]
    """
    typed = []
    schema = frame.schema  # (once: per column, it made a wide file's reading quadratic)
    for c in columns:
        if c not in schema or schema[c] != pl.String:
            continue
        text = frame.get_column(c).str.strip_chars()
        times = text.str.to_time("%H:%M:%S%.f", strict=False).fill_null(text.str.to_time("%H:%M", strict=False))
        if times.null_count() == text.null_count():
            typed.append(times.alias(c))
    return frame.with_columns(typed) if typed else frame


def _read_csv(
    data: bytes | Path,
    name: str,
    separator: str | None,
    encoding: str,
    nulls: list[str],
    skip: set[str],
    keep_text: Sequence[str] | Callable[[Sequence[str]], Sequence[str]] = (),
    as_text: Sequence[str] = (),
    exact_text: Sequence[str] = (),
) -> tuple[pl.DataFrame, str, list[str], str, list[str], tuple[tuple[str, str], ...], tuple[tuple[str, str], ...],
           tuple[tuple[str, str, str], ...], tuple[tuple[str, str], ...]]:
    """``(frame, separator, every column name, codec, columns read as text, dates read day first that read month first
    too, columns whose dots may group thousands, columns whose dots were read as thousands groups, integer columns
    padded to a width)`` of a CSV file."""
    data, codec = _text_bytes(data, name, encoding)
    _check_text(data, name)
    sample = _sample_text(data)
    if not sample.strip():
        raise InputError(f"{name}: the file is empty; it needs a header row and at least one data row")
    if "\r" in sample.rstrip("\r") and "\n" not in sample:  # polars would read one endless header line
        raise InputError(
            f"{name}: its lines end in a carriage return alone (CR, as on classic Mac OS); dvclean reads lines "
            f"ending in LF or CRLF: convert the file first, e.g. tr '\\r' '\\n' < {name} > converted.csv"
        )
    sep = separator if separator is not None else _sniff_separator(sample)
    if len(sep) != 1:
        raise InputError(f"--separator must be one character; got {sep!r}")
    header = _header(sample, sep, name)
    comments = _comment_lines(sample, sep, len(header), name)
    if comments is not None:
        raise InputError(f"{name}: {comments}")
    if separator is None and len(header) == 1 and re.fullmatch(r"sep=.", header[0].strip(), re.IGNORECASE) or (
            len(header) == 2 and header[0].strip().lower() == "sep=" and header[1].strip() == ""):
        raise InputError(f"{name}: line 1 is a spreadsheet's separator line ({sample.splitlines()[0].strip()!r}), not "
                         f"a header; delete that line, e.g. tail -n +2 {name} > fixed.csv")
    if any(c.strip() == "" for c in header):
        empty = [i for i, c in enumerate(header, start=1) if c.strip() == ""]
        if (empty == list(range(len(header) - len(empty) + 1, len(header) + 1)) and len(empty) < len(header)
                and not _holds_data(sample, sep, [i - 1 for i in empty])):
            raise InputError(f"{name}: the header ends in {len(empty)} column{'s' if len(empty) > 1 else ''} without a "
                             "name (a separator at the end of each line, as spreadsheets write): remove "
                             f"{'them' if len(empty) > 1 else 'it'}, or give every column a name")
        if header[empty[0] - 1]:  # (spaces, not an empty field: no pandas index)
            blank = header[empty[0] - 1]
            raise InputError(f"{name}: column {empty[0]}'s name in the header is only "
                             f"{'spaces' if blank.strip(' ') == '' else 'white space'} ({blank!r}); give it a name")
        raise InputError(f"{name}: column {empty[0]} of the header has no name; give every column a name"
                         + ("; a file written by pandas' to_csv with its index (the index's header is blank)? write "
                            "it with index=False, or name the column" if empty[0] == 1 else ""))
    seen: dict[str, int] = {}
    for i, col in enumerate(header, start=1):
        key = col.strip()
        if key in seen:
            first = header[seen[key] - 1]
            spaces = (f": {first!r} and {col!r} differ only in the spaces around them, which the reader strips"
                      if first != col else "")
            raise InputError(
                f"{name}: duplicate column name {key!r} (columns {seen[key]} and {i}){spaces}; rename one of them"
            )
        seen[key] = i

    keep = [i for i, c in enumerate(header) if c.strip() not in skip] if skip else None

    def read(infer: int | None, dates: bool) -> pl.DataFrame:
        src = _polars_source(data)
        return pl.read_csv(
            src,
            glob=False,  # a path is the file's name, not a pattern (`a[1].csv`, `d*.csv`)
            columns=keep,
            separator=sep,
            infer_schema_length=infer,
            null_values=nulls,
            raise_if_empty=True,
            try_parse_dates=dates,
            schema_overrides=dict.fromkeys(as_text_now, pl.String) or None,
        )

    # columns the reader typed as numbers from digits it cannot parse (Arabic-Indic, Devanagari, full-width: its
    # type guess takes any Unicode digit, its number parser only ASCII ones): read as text, as they are written
    as_text_now: list[str] = []
    mixed_times: list[str] = []  # columns of times of day with and without seconds (as_text_now, typed after)
    day_first: dict[str, str] = {}  # date columns typed day first whose every date reads month first too

    def attempt(infer: int | None, dates: bool = True) -> pl.DataFrame:
        # guessing dates tries every text cell of the inference window against the date patterns (a 3 MB file of
        # text codes took 10 s to read, 0.3 s without): read without it, and again with it only when a text column
        # could be one of dates (a column is typed as dates only when its first value is one, and dates start
        # with a digit)
        frame = read(infer, False)
        if dates and any(_may_be_date(frame.get_column(c)) for c, dt in frame.schema.items() if dt == pl.String):
            while True:
                try:
                    plain, frame = frame, read(infer, True)
                    break
                except pl.exceptions.InvalidOperationError as exc:
                    # a column of times of day in two spellings (6:49 and 13:05:10): the reader types it from the
                    # first and fails on the other (an internal error, exit 3): read as text, then typed below
                    mixed = re.search(r"to `time` failed in column '(.*?)'", str(exc))
                    if mixed is None or mixed.group(1) in as_text_now:
                        raise
                    as_text_now.append(mixed.group(1))
                    mixed_times.append(mixed.group(1))
                    frame = read(infer, False)
            frame = _times_of_day(frame, mixed_times)
            # the reader's date guess reads a year of one to three digits (`11.4.2`, a version, as 0002-04-11):
            # a column it typed as dates whose cells do not all hold a four-digit year stays text
            schema = plain.schema
            text = [c for c, dt in frame.schema.items() if (dt == pl.Date or isinstance(dt, pl.Datetime))
                    and schema.get(c) == pl.String
                    and not plain.get_column(c).drop_nulls().str.contains(r"\d{4}").all()]
            if text:
                frame = frame.with_columns(plain.get_column(c) for c in text)
            day_first.clear()
            # (the typed dates settle most columns at once: a day above 12 is no month; the text is looked at only
            # for the rest)
            day_first.update({c: ex for c, dt in frame.schema.items() if (dt == pl.Date or isinstance(dt, pl.Datetime))
                              and schema.get(c) == pl.String and (frame.get_column(c).dt.day().max() or 0) <= 12
                              and (ex := either_way_date(plain.get_column(c)))})
        return frame

    try:
        try:
            frame = attempt(INFER_ROWS)
        except pl.exceptions.ComputeError as exc:
            if "could not parse" not in str(exc):
                raise
            log.info("%s: a column changes type after row %d; re-inferring the schema on all rows", name, INFER_ROWS)
            try:
                while True:
                    try:
                        frame = attempt(None)
                        break
                    except pl.exceptions.ComputeError as numbers:
                        unparsed = re.search(r"could not parse `(.*)` as dtype `[iuf]\d+` at column '(.*)' \(column number",
                                             str(numbers))
                        if (unparsed is None or unparsed.group(2) in as_text_now
                                or not (any(ch.isdigit() and not ch.isascii() for ch in unparsed.group(1))
                                        # (an integer past 128 bits, a 40-digit id or hash: its digits, as text)
                                        or re.fullmatch(r"[+-]?\d{39,}", unparsed.group(1).strip()))):
                            raise
                        as_text_now.append(unparsed.group(2))
            except pl.exceptions.ComputeError as again:
                if not re.search(r"could not parse .* as dtype `(date|datetime)", str(again)):
                    raise
                # a date column with one cell in another spelling (05/07/2021 among 2021-07-05): the reader types the
                # column from the others and then fails on it; read every column as text, then type as dates the
                # columns every cell of which is a date (that column stays text, and the encoder takes it from there)
                frame = _parse_json_dates(attempt(None, dates=False))
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
        if separator is not None and (wrong := _separator_mismatch(sample, sep)) is not None:
            raise InputError(f"{name}: {wrong}") from exc
        if "more fields" in text:
            raise InputError(_ragged_message(data, sep, name, len(header))) from exc
        problem = _find_csv_problem(data, sep, len(header))
        if problem is not None:
            raise InputError(f"{name}: cannot parse the CSV: {problem}") from exc
        first = text.strip().splitlines()[0]
        raise InputError(f"{name}: cannot parse the CSV ({first}); check --separator and quoting") from exc
    if frame.width and frame.height and frame.get_column(frame.columns[-1]).null_count():
        # a short row fills the last columns with nulls; confirm with an exact (slower) scan
        problem = _find_ragged(data, sep, len(header))
        if problem is not None:
            if separator is not None and (wrong := _separator_mismatch(sample, sep)) is not None:
                raise InputError(f"{name}: {wrong}")
            raise InputError(_ragged_message(data, sep, name, len(header), problem))
    names = [header[i].strip() for i in (keep if keep is not None else range(len(header)))]
    read_names = frame.columns
    if len(names) == frame.width and len(set(names)) == len(names):
        # the header as RFC 4180 reads it: polars keeps a quoted name's doubled quotes ("the ""y""")
        frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    else:
        frame = frame.rename({c: c.strip() for c in frame.columns if c != c.strip()})
    frame = _nanosecond_datetimes(frame, data, sep, nulls, list(keep if keep is not None else range(len(header))))
    wanted = keep_text(names) if callable(keep_text) else keep_text
    frame, as_text_read = _keep_text(frame, data, name, sep, nulls, header, [*wanted, *exact_text], as_text, exact_text)
    schema = frame.schema
    either = tuple((new, day_first[old]) for old, new in zip(read_names, frame.columns, strict=True) if old in day_first
                   and (schema[new] == pl.Date or isinstance(schema[new], pl.Datetime)))
    frame, grouped = _thousands_dots(frame, data, sep, nulls, header, names)
    dotted = _dotted_thousands(frame, data, sep, nulls, header, names)
    padded = _padded_codes(frame, data, sep, nulls, header, names)
    return frame, sep, [c.strip() for c in header], codec, as_text_read, either, dotted, grouped, padded


#: A cell whose dots can only group thousands: ``51.659``, ``1.234.567`` (no leading zero, groups of three).
_DOT_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+")


def _thousands_dots(frame: pl.DataFrame, data: bytes | Path, sep: str, nulls: list[str], header: list[str],
                    names: list[str]) -> tuple[pl.DataFrame, tuple[tuple[str, str, str], ...]]:
    r"""``frame`` with the number columns whose dots group thousands read so (``1.065`` as 1065, an Int64 column), and
    :attr:`SourceInfo.thousands_dots`. A spreadsheet set to a locale with a decimal comma (German, Italian, ...)
    writes ``14,23`` and ``1.065``: the reader takes the first for text (the encoder values it, :func:`dvclean.table.
    _decimal_comma`) and the second for the decimal 1.065, a thousandth of its value (a wine's proline of 1065 read
    as 1.065 beside 735). Where the file's decimal mark is a comma, a dot cannot be a decimal point, so a column the
    reader typed as floats is read again as integers when every dotted cell groups digits (:data:`_DOT_THOUSANDS`:
    ``1.065``, ``12.000``, ``1.234``, one to three digits then groups of three) and every other cell is a plain
    integer (``735``).

    The file's decimal mark is a comma where a text column holds numbers with a decimal comma as the encoder reads
    them (``14,23``, ``0,168``; ``1,234`` alone could group thousands and is no proof) and no float column writes a
    dot that cannot group thousands (``12.5``, ``0.125``, ``1.2345``, ``1e-05``: then the file mixes the two marks,
    and nothing is read again: :func:`_dotted_thousands`'s note names the columns whose dots may group thousands). A
    float column with other cells (``NaN``) stays as read. Each column read so comes with a dotted cell and the
    column of decimal commas that settled it, for the note.

    >>> csv = "a;b;c\n14,23;1.065;0,5\n13,20;735;1\n12,5;1.480;2\n".encode()
    >>> frame, found = _thousands_dots(pl.read_csv(csv, separator=";"), csv, ";", [], ["a", "b", "c"], ["a", "b", "c"])
    >>> frame.get_column("b").to_list(), found
    ([1065, 735, 1480], (('b', '1.065', 'a'),))
    >>> csv = "a;b;c\n14,23;1.065;0.5\n13,20;735;1\n12,5;1.480;2\n".encode()  # (0.5: a decimal point too)
    >>> _thousands_dots(pl.read_csv(csv, separator=";"), csv, ";", [], ["a", "b", "c"], ["a", "b", "c"])[1]
    ()
    """
    floats = [c for c, dt in frame.schema.items() if dt == pl.Float64 and c in names]
    if not floats:
        return frame, ()
    for c in floats:  # a cheap test of the values first: a value off the grid of thousandths has a decimal point
        v = frame.get_column(c).drop_nulls()
        milli = v.filter(v.is_finite()) * 1000
        if bool(((milli - milli.round()).abs() > 1e-6).any()):
            return frame, ()
    comma = _decimal_comma_column(frame, names)
    if comma is None:
        return frame, ()
    found: list[tuple[str, str, str]] = []
    read: list[pl.Series] = []
    for c, text in _texts_of(data, sep, nulls, header, names, floats):
        if text.len() != frame.height:
            return frame, ()
        cells = text.str.strip_chars()
        present = cells.drop_nulls()
        has_dot = present.str.contains(".", literal=True)
        dotted = present.filter(has_dot)
        if not dotted.len():
            continue
        if not dotted.str.contains(f"^(?:{_DOT_THOUSANDS.pattern})$").all():
            return frame, ()  # (12.5 or 0.125 in a float column: the dot is a decimal point there)
        if not present.filter(~has_dot).str.contains(r"^[+-]?\d+$").all():
            continue  # (NaN or 1e5 among them: left as read)
        values = cells.str.replace_all(".", "", literal=True).str.strip_prefix("+").cast(pl.Int64, strict=False)
        if values.null_count() != text.null_count():
            continue
        read.append(values.alias(c))
        found.append((c, str(dotted.first()), comma))
    return (frame.with_columns(read) if read else frame), tuple(found)


def _decimal_comma_column(frame: pl.DataFrame, names: list[str]) -> str | None:
    """The first text column of ``frame`` that holds numbers with a decimal comma as the encoder reads them
    (:func:`dvclean.table._decimal_comma`, with a comma in some cell: ``14,23``, ``0,168``), else None."""
    from .table import _amount_text, _decimal_comma  # (not at the module's import: dvclean.table imports this one)

    for c, dt in frame.schema.items():
        if dt != pl.String or c not in names:
            continue
        stripped = frame.get_column(c).drop_nulls().str.strip_chars()
        if stripped.len() and bool(stripped.str.contains(r"\d,\d").any()) and _decimal_comma(_amount_text(stripped)):
            return c
    return None


def _dotted_thousands(frame: pl.DataFrame, data: bytes | Path, sep: str, nulls: list[str], header: list[str],
                      names: list[str]) -> tuple[tuple[str, str], ...]:
    r""":attr:`SourceInfo.dotted_thousands`: the decimal columns (the reader's Float64) whose every dotted cell has
    exactly three digits after the dot and at most three before it (``51.659``, ``647.010``), in at least three cells,
    with plain integers among them (``70``: a decimal column written with three decimals writes ``70.000``) or in a
    ``;``-separated file (a spreadsheet set to a locale with a decimal comma: its dot groups thousands). Each with
    such a cell. A cheap test of the values comes first (on a grid of thousandths, below 1000, no fraction between
    -1 and 1); only the columns that pass are read again as text.

    >>> csv = b"a;b\n51.659;1.5\n70;2.25\n1.234;3\n12.000;4\n"
    >>> frame = pl.read_csv(csv, separator=";")
    >>> _dotted_thousands(frame, csv, ";", [], ["a", "b"], ["a", "b"])
    (('a', '51.659'),)
    """
    candidates = []
    for c, dt in frame.schema.items():
        if dt != pl.Float64 or c not in names:
            continue
        v = frame.get_column(c).drop_nulls()
        if v.len() < 3 or not v.is_finite().all() or bool((v.abs() >= 1000).any()):
            continue
        milli = v * 1000
        fraction = v != v.round()
        if bool(((milli - milli.round()).abs() > 1e-6).any()) or int(fraction.sum()) < 1:
            continue
        if bool((fraction & (v.abs() < 1)).any()):
            continue  # (0.125 or -0.5 is written 0.125, .5 or 5e-1, never as a dotted group: a decimal column)
        candidates.append(c)
    found = []
    for c, text in _texts_of(data, sep, nulls, header, names, candidates):
        cells = text.drop_nulls().str.strip_chars()
        dotted = cells.filter(cells.str.contains(".", literal=True))
        if dotted.len() < 3 or not dotted.str.contains(f"^(?:{_DOT_THOUSANDS.pattern})$").all():
            continue
        if sep == ";" or bool(cells.str.contains(r"^[+-]?\d+$").any()):
            found.append((c, str(dotted.first())))
    return tuple(found)


def _texts_of(data: bytes | Path, sep: str, nulls: list[str], header: list[str], names: list[str],
              columns: list[str], n_rows: int | None = None) -> list[tuple[str, pl.Series]]:
    """``columns`` of a CSV read again as text (the typed read succeeded), in the file's order, the first ``n_rows``
    rows only when given; none when that read fails."""
    if not columns:
        return []
    position = {n: i for i, n in enumerate(names)}
    cols = sorted(columns, key=position.__getitem__)
    stripped_header = [h.strip() for h in header]
    try:
        texts = pl.read_csv(_polars_source(data), glob=False, columns=[stripped_header.index(c) for c in cols],
                            separator=sep, infer_schema=False, null_values=nulls, raise_if_empty=True, n_rows=n_rows)
    except Exception:  # noqa: BLE001 - the typed read succeeded; no note
        return []
    if texts.width != len(cols):
        return []
    return list(zip(cols, texts.get_columns(), strict=True))


#: :func:`_padded_codes` reads this many rows of its candidate columns as text first.
PADDED_CODE_HEAD = 1000

#: :func:`_padded_codes`: the share of an integer column's cells that hold a value no other cell holds.
PADDED_CODE_DISTINCT = 0.9


def _padded_codes(frame: pl.DataFrame, data: bytes | Path, sep: str, nulls: list[str], header: list[str],
                  names: list[str], min_rows: int = 20) -> tuple[tuple[str, str], ...]:
    r""":attr:`SourceInfo.padded_codes`: the integer columns (the reader's Int64) of at least ``min_rows`` cells, at
    least :data:`PADDED_CODE_DISTINCT` of them distinct, whose every cell is written with the same number of digits
    and some with leading zeros (``04527519`` beside ``28580137``): a record number or a code padded to its width,
    which the reader took for an amount. Each with such a cell. A cheap test of the values comes first; only the
    columns that pass are read again as text.

    >>> csv = b"mrn,n\n" + b"".join(b"%08d,%d\n" % (v, v) for v in range(1_000_003, 99_000_000, 4_000_000))
    >>> _padded_codes(pl.read_csv(csv), csv, ",", [], ["mrn", "n"], ["mrn", "n"])
    (('mrn', '01000003'),)
    """
    candidates = []
    for c, dt in frame.schema.items():
        if not dt.is_integer() or c not in names:
            continue
        v = frame.get_column(c).drop_nulls()
        if v.len() < min_rows or v.n_unique() < PADDED_CODE_DISTINCT * v.len() or bool((v < 0).any()):
            continue
        if v.n_unique() == v.len() and int(v.max()) - int(v.min()) + 1 == v.len():
            continue  # (consecutive numbers: a row number, which has a note of its own)
        candidates.append(c)

    def padded(cells: pl.Series) -> bool:
        return bool(cells.str.contains(r"^0\d").any()) and cells.str.len_chars().n_unique() == 1

    # the first rows first: a column of amounts or ids shows different widths there, and is not read whole again
    head = {c: text.drop_nulls().str.strip_chars() for c, text in _texts_of(data, sep, nulls, header, names,
                                                                          candidates, n_rows=PADDED_CODE_HEAD)}
    candidates = [c for c in candidates if c in head and head[c].len() and head[c].str.len_chars().n_unique() == 1]
    found = []
    for c, text in _texts_of(data, sep, nulls, header, names, candidates):
        cells = text.drop_nulls().str.strip_chars()
        if padded(cells):
            found.append((c, str(cells.filter(cells.str.contains(r"^0\d")).first())))
    return tuple(found)


def _may_be_date(col: pl.Series) -> bool:
    """Whether the CSV reader could type this text column as dates or datetimes: its first value starts with a digit,
    after any spaces and a sign (every date pattern polars infers does: ``2021-07-05``, `` 05/07/2021``,
    ``+2021-07-05T10:00:00+02:00``)."""
    first = col.drop_nulls().head(1)
    if not first.len():
        return False
    text = first[0].lstrip()  # (polars reads ` 2021-07-05` and `+2021-07-05` as dates too)
    return text[:1].isdigit() or (text[:1] in "+-" and text[1:2].isdigit())


def _polars_name(path: str | os.PathLike[str]) -> str:
    """``path`` spelled as polars (and pyarrow), which open UTF-8 names, find the same file: a name Python decoded
    with ASCII (LC_ALL=C with PYTHONUTF8=0) holds its other bytes as lone surrogates, which they cannot take."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        with contextlib.suppress(UnicodeDecodeError):
            return os.fsencode(text).decode("utf-8")
    return text


def _polars_source(data: bytes | str | os.PathLike[str]) -> Any:
    """What polars reads for ``data``: its bytes, or the path; the file's bytes when the path holds undecodable
    bytes (a lone surrogate: polars takes such a name for a file object and fails)."""
    if isinstance(data, bytes):
        return io.BytesIO(data)
    name = _polars_name(data)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # (bytes that are not UTF-8: no name polars can open)
        return io.BytesIO(Path(data).read_bytes())
    return name


def _nanosecond_datetimes(frame: pl.DataFrame, data: bytes | Path, sep: str, nulls: Any, positions: list[int]) -> pl.DataFrame:
    """``frame`` with each datetime column whose cells carry 7-9 fractional digits read to the nanosecond.

    The CSV reader types every datetime as microseconds, so ``10:00:00.441143142`` became ``.441143``: a
    Parquet or JSON output (``fix``, ``augment``) would not keep the original rows. ``positions`` are the file's
    column numbers of ``frame``'s columns."""
    micro = [j for j, dt in enumerate(frame.schema.values()) if isinstance(dt, pl.Datetime) and dt.time_unit == "us"]
    if not micro:
        return frame
    src = _polars_source(data)
    raw = pl.read_csv(src, glob=False, columns=[positions[j] for j in micro], separator=sep, infer_schema_length=0,
                      null_values=nulls, raise_if_empty=False)
    fixed = []
    for j, text in zip(micro, raw.get_columns(), strict=True):
        if not text.str.contains(r"\.\d{7,9}(?:\D|$)").any():
            continue
        col = frame.to_series(j)
        try:
            parsed = text.str.strip_chars().str.to_datetime(time_unit="ns", strict=False)
            tz = col.dtype.time_zone  # type: ignore[union-attr]
            if tz is not None:
                parsed = (parsed.dt.convert_time_zone(tz) if parsed.dtype.time_zone is not None  # type: ignore[union-attr]
                          else parsed.dt.replace_time_zone(tz))
        except Exception:  # noqa: BLE001 - a spelling to_datetime does not read: the reader's microseconds stay
            continue
        if parsed.null_count() == col.null_count() and (parsed.dt.cast_time_unit("us") == col).fill_null(True).all():
            fixed.append(parsed.alias(col.name))
    return frame.with_columns(fixed) if fixed else frame


#: An integer written with leading zeros (``007``, ``-01``): its number would not write its text back.
_LEADING_ZEROS = r"^[+-]?0[0-9]+$"
#: A float column with at most this many distinct values can hold classes (``table.resolve_task``'s bound).
_FEW_VALUES = 20


def _text_changes(typed: pl.Series, text: pl.Series, *, exact: bool = False) -> bool:
    """Whether reading ``typed``'s column as numbers loses its text (see :func:`read_frame`'s ``keep_text``;
    ``exact``: any lost text counts, as for its ``exact_text``)."""
    if typed.dtype.is_integer() or (exact and (typed.dtype.is_float() or typed.dtype == pl.Boolean)):
        return bool(typed.cast(pl.String).ne_missing(text).any())
    if typed.dtype.is_float():  # 2 and 2.5 read as 2.0 and 2.5, 1e3 as 1000.0
        if not typed.cast(pl.String).ne_missing(text).any():
            return False
        present = typed.drop_nulls()
        whole = bool((present == present.round(0)).all())
        return whole or present.n_unique() <= _FEW_VALUES  # a continuous float (a regression target) stays numeric
    if typed.dtype == pl.Boolean or typed.dtype.is_temporal():  # True / FALSE read as true / false, 10:00 as 10:00:00
        return bool(typed.cast(pl.String).ne_missing(text).any())
    return False


def _keep_text(
    frame: pl.DataFrame,
    data: bytes | Path,
    name: str,
    sep: str,
    nulls: list[str],
    header: list[str],
    keep_text: Sequence[str],
    as_text: Sequence[str],
    exact_text: Sequence[str] = (),
) -> tuple[pl.DataFrame, list[str]]:
    """``frame`` with the ``keep_text`` columns whose numbers lose their text, and the ``as_text`` columns,
    replaced by their text (one more read of those columns only); and the names replaced."""
    positions = {c.strip(): i for i, c in enumerate(header)}
    schema = frame.schema  # (built anew on every access: once, not per column)
    texts = set(as_text)
    check = [c for c in dict.fromkeys([*keep_text, *as_text])
             if c in schema and c in positions
             and (schema[c].is_numeric() or schema[c] == pl.Boolean or (c in texts and schema[c] != pl.String)
                  or (schema[c].is_temporal() and c not in exact_text))]  # a label of times: 10:00, not 10:00:00
    if not check:
        return frame, []
    check.sort(key=positions.__getitem__)  # polars returns the columns in file order
    src = _polars_source(data)
    try:
        texts = pl.read_csv(src, glob=False, columns=[positions[c] for c in check], separator=sep, infer_schema=False,
                            null_values=nulls, raise_if_empty=True)
    except Exception as exc:  # noqa: BLE001 - the typed read succeeded; keep its values
        log.warning("%s: cannot re-read columns %s as text (%s); they keep their inferred types", name, check, exc)
        return frame, []
    if texts.height != frame.height or texts.width != len(check):
        return frame, []
    texts.columns = check
    replaced = [c for c in check
                if c in as_text or _text_changes(frame.get_column(c), texts.get_column(c), exact=c in exact_text)]
    if replaced:
        log.info("%s: columns %s are read as text: their numbers would not write their text back", name, replaced)
        frame = frame.with_columns([texts.get_column(c) for c in replaced])
    return frame, replaced


class _ScanError(Exception):
    """A record Python's csv module cannot parse: first and last physical line, and why."""

    def __init__(self, first: int, last: int, reason: str) -> None:
        super().__init__(reason)
        self.first, self.last, self.reason = first, last, reason


def _iter_records(data: bytes | Path, sep: str, *, strict: bool = False) -> Iterator[tuple[int, int, list[str]]]:
    """``(first line, last line, fields)`` of each record (1-based physical lines of the file).

    Raises :class:`_ScanError` (with the lines of the record being read) where the csv module fails.
    """
    if isinstance(data, bytes):
        fh: IO[str] = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
    else:
        fh = data.open("r", encoding="utf-8-sig", errors="replace", newline="")
    with fh:
        reader = csv.reader(fh, delimiter=sep, strict=strict)
        done = 0
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _ScanError(done + 1, max(reader.line_num, done + 1), str(exc)) from exc
            yield done + 1, reader.line_num, rec
            done = reader.line_num


def _width_problem(first: int, last: int, got: int, width: int) -> str:
    if last > first:
        return (
            f"line {first}: the row that starts there runs over lines {first}-{last} (a quoted field holds a line "
            f"break) and has {got} field{'s' if got != 1 else ''}, the header has {width}; if that quote should close "
            "on its own line, close it (and double any quote inside a quoted field), else fix the row's fields (quote "
            "fields that contain the separator)"
        )
    return (
        f"line {first} has {got} field{'s' if got != 1 else ''} but the header has {width}; fix that row "
        "(quote fields that contain the separator) or check --separator"
    )


def _find_ragged(data: bytes | Path, sep: str, width: int) -> str | None:
    """The first record whose field count is not ``width`` (lenient parse), as a message."""
    try:
        return _first_width_problem(_iter_records(data, sep), width)
    except _ScanError:  # the exact scan cannot parse it either; polars' result stands
        return None


def _first_width_problem(records: Iterator[tuple[int, int, list[str]]], width: int) -> str | None:
    """The first of ``records`` whose field count is not ``width``, as a message (None: every one has it): a line of
    only spaces, and a title line above the header (a header of one field, the lines after it of one other count),
    are named as such."""
    header: list[str] = []
    for first, last, rec in records:
        if first == 1:
            header = rec
        if rec and len(rec) != width:
            if len(rec) == 1 and rec[0].strip() == "" and last == first:
                return (f"line {first} holds only spaces, a row of one empty field (an empty line is skipped): "
                        "delete that line, or leave it empty")
            if width == 1 and first == 2 and header and _same_width(records, len(rec)):
                return (f"line 1 ({header[0][:60]!r}) looks like a title above the header: line 2 and the lines "
                        f"after it have {len(rec)} fields; delete line 1 (tail -n +2 prints the file without it)")
            return _width_problem(first, last, len(rec), width)
    return None


def _same_width(records: Iterator[tuple[int, int, list[str]]], width: int, lines: int = 5) -> bool:
    """Whether the next ``lines`` non-empty records (at least one) have ``width`` fields."""
    seen = 0
    for _, _, rec in records:
        if not rec:
            continue
        if len(rec) != width:
            return False
        seen += 1
        if seen == lines:
            break
    return seen > 0


def _find_csv_problem(data: bytes | Path, sep: str, width: int) -> str | None:
    """Locate why a CSV does not parse: the first row of the wrong width or quoting error (strict parse)."""
    try:
        if (problem := _first_width_problem(_iter_records(data, sep, strict=True), width)) is not None:
            return problem
    except _ScanError as exc:
        reason = exc.reason
        if "unexpected end of data" in reason or "field larger than field limit" in reason:
            return (
                f"line {exc.first}: a quoted field starts on this line and is never closed; "
                "close the quote (and double any quote inside a quoted field)"
            )
        if "expected after" in reason:
            if exc.last > exc.first:
                return (
                    f"line {exc.first}: a quoted field starts on this line and is not closed before line {exc.last} "
                    f"(csv: {reason}); close the quote and double any quote inside a quoted field"
                )
            return (
                f"line {exc.first}: a quoted field is followed by other text before the next {sep!r} "
                f"(csv: {reason}); quote the whole field and double the quotes inside it"
            )
        return f"line {exc.first}: {reason}; check the quoting"
    return _bare_quote(data, sep)


def _bare_quote(data: bytes | Path, sep: str) -> str | None:
    """The first quote character inside a field that is not quoted (``4 "in``), as a message, else None.

    Python's csv module reads such a quote as text, the CSV reader as the start of a quoted field;
    lines without a quote are skipped unread, and a quoted field may run over lines.
    """
    if isinstance(data, bytes):
        fh: IO[str] = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline="")
    else:
        fh = data.open("r", encoding="utf-8-sig", errors="replace", newline="")
    quoted = False  # inside a quoted field (carried over a line break)
    with fh:
        for number, line in enumerate(fh, start=1):
            if not quoted and '"' not in line:
                continue
            field, start, i = 1, True, 0
            while i < len(line):
                ch = line[i]
                if quoted:
                    if ch == '"':
                        if line[i + 1:i + 2] == '"':
                            i += 1  # a doubled quote inside a quoted field
                        else:
                            quoted = False
                elif ch == sep:
                    field, start = field + 1, True
                    i += 1
                    continue
                elif ch == '"':
                    if not start:
                        cell = line[max(0, line.rfind(sep, 0, i) + 1):].split(sep, 1)[0].rstrip("\r\n")
                        return (
                            f"line {number}: field {field} ({cell!r}) holds a quote character but is not itself "
                            'quoted; quote the whole field and double the quote inside it ("4 ""in" for 4 "in)'
                        )
                    quoted = True
                start = False
                i += 1
    return None


def _ragged_message(data: bytes | Path, sep: str, name: str, width: int, problem: str | None = None) -> str:
    tail = data[-64:] if isinstance(data, bytes) else _tail_bytes(data, 64)
    if tail.rstrip(b"\r\n\t ").endswith(b"\x1a"):  # (a last line of one Ctrl-Z: "line 302 has 1 field")
        return (f"{name}: ends in a Ctrl-Z character (0x1A, the end-of-file mark old DOS programs write), read as a "
                f"last row of 1 field; remove it, e.g. tr -d '\\032' < {shlex.quote(name)} > fixed.csv")
    problem = problem or _find_csv_problem(data, sep, width) or _lone_cr_problem(data, name)
    if problem is None:
        return f"{name}: some rows have more fields than the header ({width}); check quoting and --separator"
    return f"{name}: {problem}"


def _lone_cr_problem(data: bytes | Path, name: str) -> str | None:
    """Where a line ends in a carriage return alone (CR, not CRLF) outside a quoted field, as a message, else None:
    the CSV reader ends lines at LF only, so it reads that line and the next as one row (Python's csv module, which
    the other scans use, ends lines at a lone CR too, and finds nothing)."""
    fh: IO[bytes] = io.BytesIO(data) if isinstance(data, bytes) else data.open("rb")
    quoted = False  # inside a quoted field (carried over a line break)
    with fh:
        for number, line in enumerate(fh, start=1):
            if b"\r" not in line.rstrip(b"\r\n") and not quoted:
                quoted = line.count(b'"') % 2 == 1
                continue
            body = line[:-2] if line.endswith(b"\r\n") else line.rstrip(b"\n")
            for i, ch in enumerate(body):
                if ch == 0x22:
                    quoted = not quoted
                elif ch == 0x0D and not quoted and i + 1 < len(body):
                    return (f"line {number} ends in a carriage return alone (CR, as on classic Mac OS), which the "
                            "reader does not take for a line end, so it reads that line and the next as one row; "
                            "dvclean reads lines ending in LF or CRLF: convert the file first, e.g. "
                            f"perl -pe 's/\\r\\n?/\\n/g' < {shlex.quote(name)} > converted.csv")
    return None


def _tail_bytes(path: Path, n: int) -> bytes:
    """The last ``n`` bytes of the file at ``path`` (fewer in a shorter file; none when it cannot be read)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(fh.tell() - n, 0))
            return fh.read(n)
    except OSError:
        return b""


def _check_columns(frame: pl.DataFrame, name: str, fmt: str = "csv") -> None:
    if frame.width == 0 and fmt in ("json", "ndjson"):  # (`[]`, or records without keys)
        raise InputError(f"{name}: holds no JSON record with a key; it needs at least one record (an object of the "
                         "row's columns)")
    if frame.width == 0:
        raise InputError(f"{name}: no columns found; the file needs a header row")
    if frame.height == 0:
        raise InputError(f"{name}: has a header ({frame.width} columns) but no data rows; add data rows")


def _suffix_list() -> str:
    return ", ".join(s for suffixes in OUTPUT_SUFFIXES.values() for s in suffixes)


def named_format_conflict(path: str | os.PathLike[str], explicit: str | None) -> str | None:
    """The format ``path``'s suffix names when it is another than ``explicit`` (None when they agree, when
    ``explicit`` is None, or when the suffix names no format).

    >>> named_format_conflict("s.csv", "parquet"), named_format_conflict("s.csv.gz", "csv"), named_format_conflict("s", "csv")
    ('csv', None, None)
    """
    named, _ = suffix_format(Path(path).name)
    return named if explicit is not None and named is not None and named != explicit else None


def output_format_for(path: str | os.PathLike[str], explicit: str | None) -> str:
    """The output format: ``--format`` (``explicit``), else the one the file's suffix names, else (no suffix) Parquet.

    A suffix dvclean cannot write (``.xlsx``) is refused rather than given Parquet bytes, and
    so is a compression suffix (``.gz``, ``.zst``) on Parquet or Arrow (which compress themselves),
    and an ``explicit`` format that contradicts a suffix dvclean knows (``csv`` for ``s.parquet``).

    Examples
    --------
    >>> output_format_for(Path("s.csv.gz"), None), output_format_for(Path("s.feather"), None), output_format_for(Path("scores"), None)
    ('csv', 'ipc', 'parquet')
    >>> output_format_for(Path("s.xlsx"), None)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dvclean.errors.OutputError: s.xlsx: dvclean cannot write a .xlsx file; ...
    """
    path = Path(path)
    fmt, compression = suffix_format(path.name)
    if explicit is not None:
        if isinstance(explicit, str) and explicit.strip().lower() in OUTPUT_FORMATS:  # ("CSV" is csv)
            explicit = explicit.strip().lower()
        if explicit not in OUTPUT_FORMATS:
            raise OutputError(f"unknown --format {explicit!r}; use one of {', '.join(OUTPUT_FORMATS)}")
        if named_format_conflict(path, explicit) is not None:  # Parquet bytes in a file named .csv mislead every reader
            raise OutputError(
                f"{path.name}: the format {explicit!r} contradicts the name (a {path.suffix} file is {fmt}): name the "
                f"file for its format (e.g. {split_name(path)[0]}{OUTPUT_SUFFIXES[explicit][0]}) or leave the format out"
            )
        fmt = explicit
    elif fmt is None:
        suffixes = [s for s in path.suffixes if s.lower() not in _COMPRESSED]
        if suffixes or compression is not None:
            what = suffixes[-1] if suffixes else path.suffix
            raise OutputError(
                f"{path.name}: dvclean cannot write a {what} file; name the output for one of its formats "
                f"({_suffix_list()}; .gz or .zst after a text format compresses it) or pass --format "
                f"({', '.join(OUTPUT_FORMATS)}); a name without a suffix is Parquet"
            )
        fmt = "parquet"
    if compression is not None and fmt not in _TEXT_OUTPUTS:
        kind = "Arrow IPC" if fmt == "ipc" else fmt.capitalize()
        raise OutputError(
            f"{path.name}: a {kind} file compresses itself and cannot be {compression}-compressed; "
            f"drop the {path.suffix} suffix (or write csv or ndjson, which it compresses)"
        )
    return fmt


def input_output_format(source: str | os.PathLike[str]) -> str:
    """The output format that writes what ``source`` is (``fix``'s default: "else the input's format").

    From the file's magic bytes, then its suffix; a JSON file by its first character
    (an array or JSON lines); a name that says no format by its content, as :func:`read_frame`
    reads it (Parquet or Arrow inside gzip/zstd, JSON when its text starts with ``{`` or ``[``,
    else CSV); stdin Parquet, and a named pipe by its suffix, else Parquet (it is read once).
    """
    name = str(source)
    if name == "-":
        return "parquet"
    path = Path(source)
    if is_stream(path):  # a pipe is read once, by the data's reader: its name says, else what stdin gives
        return suffix_format(path.name)[0] or "parquet"
    try:
        head = _read_head(path)
    except OSError:
        head = b""
    magic = _sniff_magic(head)
    if magic in ("parquet", "ipc"):
        return magic
    fmt, _ = suffix_format(path.name)
    if fmt is None and magic in (None, "gzip", "zstd"):  # no telling name: what read_frame reads it as
        start = _text_start(path, magic)
        inner = _sniff_magic(start)
        if inner in ("parquet", "ipc"):
            return inner
        fmt = "ndjson" if start.lstrip().removeprefix(codecs.BOM_UTF8).lstrip()[:1] in (b"{", b"[") else "csv"
    if fmt in ("json", "ndjson") and magic is None:
        first = _text_start(path, None).lstrip().removeprefix(codecs.BOM_UTF8).lstrip()[:1]
        return "json" if first == b"[" else "ndjson"
    return fmt if fmt in OUTPUT_FORMATS else "parquet"


def _text_start(path: Path, compression: str | None, size: int = 1 << 12) -> bytes:
    """The first ``size`` bytes of a file, decompressed (b"" when it cannot be read)."""
    try:
        if compression == "gzip":
            with gzip.open(path, "rb") as fh:
                return fh.read(size)
        if compression == "zstd":
            import zstandard

            with path.open("rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as fh:
                return fh.read(size)
        with path.open("rb") as fh:
            return fh.read(size)
    except Exception:  # unreadable or corrupt: read_frame says what is wrong
        return b""


_STREAM_LINKS = ("/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty")
#: A process's open file descriptors under /proc (``/proc/self/fd/1``); any other path there is no stream (it is
#: refused for what it is, a path nothing can be written to).
_PROC_FD = re.compile(r"/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/fd(?:/|$)")


def _stream_link(hop: str) -> bool:
    """Whether ``hop`` (a path on a link chain) is a standard stream or an open file descriptor."""
    return hop in _STREAM_LINKS or hop.startswith("/dev/fd/") or bool(_PROC_FD.match(hop))


def _file_kind(mode: int) -> str:
    for test, kind in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return kind
    return "not a regular file"


def _link_chain(path: Path) -> list[str]:
    """The paths a chain of symbolic links visits, starting with ``path`` (at most 40 hops), each with its directory
    resolved as the kernel resolves it: ``sub/../d.csv`` with ``sub`` a link to another directory names that
    directory's parent's ``d.csv`` (a textual normalization would name ``./d.csv``, which may be the input)."""
    chain = [_kernel_path(os.path.abspath(path) if ".." not in Path(path).parts else str(path))]
    current = chain[0]
    for _ in range(40):
        if not os.path.islink(current):
            break
        nxt = os.readlink(current)
        current = _kernel_path(os.path.join(os.path.dirname(current), nxt))
        chain.append(current)
    return chain


def _kernel_path(path: str) -> str:
    """``path`` with its directory resolved (links followed, then ``..`` applied, as the kernel does) and its last
    name kept (a link there is a hop of its own)."""
    head, name = os.path.split(path)
    if name in ("", ".", ".."):
        return os.path.realpath(path)
    return os.path.join(os.path.realpath(head or "."), name)


def _foreign_link(link: str) -> bool:
    """Whether ``link`` is a symbolic link that the kernel's ``fs.protected_symlinks`` would not follow: in a sticky,
    world-writable directory (``/tmp``), owned neither by this user nor by the directory's owner (another user
    may have planted it to have this user's output replace a file of theirs)."""
    try:
        st, directory = os.lstat(link), os.stat(os.path.dirname(link) or ".")
    except OSError:
        return False
    shared = directory.st_mode & stat.S_ISVTX and directory.st_mode & stat.S_IWOTH
    return bool(shared) and st.st_uid not in (os.geteuid(), directory.st_uid)


def resolve_output(target: str | os.PathLike[str], *, option: str | None = None) -> Path:
    """The file an output path really names, or an :class:`OutputError` when it cannot be written atomically.

    A symbolic link is followed, so the link stays a link and its target gets the new
    content; a path that exists but is not a regular file (a directory, a named pipe,
    a device such as ``/dev/full``, a socket) is refused, as are ``/dev/stdout`` and
    other links to a process's open files: replacing them by a regular file would
    destroy them (and write nothing where the user meant).

    Examples
    --------
    >>> resolve_output("/dev/null")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dvclean.errors.OutputError: cannot write to /dev/null: it is a character device, not a regular file; ...

    ``option``: the option that names the output (``--junit-xml``), for the message's hint (default: -o/--output).
    """
    target = Path(expand_home(target))
    hint = f"give a regular file path ({option or '-o/--output'} PATH)"
    chain = _link_chain(target)
    foreign = next((hop for hop in chain[:-1] if _foreign_link(hop)), None)
    if foreign is not None:
        raise OutputError(f"cannot write to {target}: {foreign} is a symbolic link of another user in a shared (sticky, "
                          "world-writable) directory; dvclean does not write through it, as the kernel would not "
                          f"(fs.protected_symlinks): {hint}")
    if any(_stream_link(hop) for hop in chain):
        raise OutputError(
            f"cannot write to {target}: it is a link to a standard stream or an open file descriptor, not a regular file; "
            f"dvclean writes its outputs atomically to a file and cannot stream {'a table' if option is None else 'it'}: "
            f"{hint}" + (" (--json prints the summary on standard output)" if option is None else "")
        )
    try:
        st = os.stat(target)  # follows links
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"cannot write to {target}: {exc.strerror or exc}; {hint}") from exc
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputError(
            f"cannot write to {target}: it is {_file_kind(st.st_mode)}, not a regular file; dvclean writes its outputs "
            f"atomically (a temporary file renamed over the target), which would replace it: {hint}"
        )
    if len(chain) > 1:
        if os.path.islink(chain[-1]):
            raise OutputError(f"cannot write to {target}: too many levels of symbolic links; {hint}")
        return Path(chain[-1])
    return Path(chain[0]) if ".." in target.parts else target  # (where the kernel puts it: no `..` left to read apart)


def write_denied(path: str | os.PathLike[str]) -> str:
    """Why ``path`` (a directory or a file) cannot be written: a read-only file system or permissions.

    ``os.access`` answers ``False`` for both; the fix differs (another mount vs ``chmod``), so
    the message names the one that applies.
    """
    probe = Path(path)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        if os.statvfs(probe).f_flag & os.ST_RDONLY:
            return "read-only file system"
    except (OSError, AttributeError):  # no statvfs (Windows) or not reachable: permissions are the usual cause
        pass
    return "permission denied"


def temp_prefix(name: str, suffix: str = ".tmp") -> str:
    """``.<name>.<pid>.``: the prefix of a mkstemp or mkdtemp name beside ``name`` (:func:`temp_stem`, then the pid).

    >>> len(temp_prefix("b" * 250).encode()) + 8 + 4 <= 255
    True
    """
    return f"{temp_stem(name, suffix)}{os.getpid()}."


def temp_stem(name: str, suffix: str = ".tmp") -> str:
    """``.<name>.``, the name cut (at a character) so that a temporary name made of it, a pid (up to 10 digits) and a
    dot, 8 random characters and ``suffix`` stays within the 255 bytes a file name may have wherever ``name`` does."""
    room = 255 - 8 - len(suffix.encode()) - 11 - 2
    # (the bytes a UTF-8 name cannot spell are left out, and all but ASCII where the file-system encoding is not
    # UTF-8, as under LC_ALL=C with PYTHONUTF8=0: polars' writers take only names they can spell in UTF-8)
    utf8 = sys.getfilesystemencoding().lower().replace("-", "") == "utf8"
    return "." + os.fsencode(name)[:room].decode("utf-8" if utf8 else "ascii", "ignore") + "."


@contextmanager
def atomic_path(target: str | os.PathLike[str], *, option: str = "--output") -> Iterator[Path]:
    """Yield a temporary path next to ``target``; rename it over ``target`` on success.

    On any exception the temporary file is removed and ``target`` is untouched.
    ``target`` goes through :func:`resolve_output` first: a symbolic link is followed (the
    temporary file goes in the link target's directory and the link stays a link), and a
    path that exists but is not a regular file (directory, FIFO, device) is refused, never
    replaced. An existing target keeps its permission bits. The temporary name, ``.<target name>.<pid>.<random>.tmp``, carries the writer's process
    id, so that the temporary file of a writer that was killed outright (SIGKILL, power
    loss: nothing can remove it then) is removed by the next write of the same target
    (:func:`remove_stale_temps`).
    """
    target = resolve_output(target)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.exists():
        raise OutputError(f"{target}: the directory {directory} does not exist; create it or choose another {option}")
    if not os.access(directory, os.W_OK):
        raise OutputError(f"{target}: cannot write to {directory} ({write_denied(directory)}); choose another {option}")
    remove_stale_temps(target)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o666 & ~_umask()
    try:
        fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=temp_prefix(target.name), suffix=".tmp")
    except OSError as exc:  # (what os.access cannot tell: /proc for root)
        raise OutputError(f"{target}: cannot write to {directory} ({exc.strerror or exc}); choose another {option}"
                          ) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with tmp.open("rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp creates 0600; give the file normal (or its previous) permissions
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename in (None, str(tmp)) and exc.errno is not None:  # (a write to an open file names none)
            raise OSError(exc.errno, exc.strerror or str(exc), str(target)) from exc
        raise
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
    prefix = temp_stem(target.name)
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


def derived_output_path(source: str | os.PathLike[str], tag: str, fmt: str | None = None) -> Path:
    """``<input stem>.<tag>.<ext>`` next to the input (compression suffixes removed): the default
    output name of ``fix`` (``fixed``) and ``augment`` (``augmented``).

    ``fmt`` is the output format (:data:`OUTPUT_FORMATS`); None: the input's
    (:func:`input_output_format`: an Arrow file gives Arrow, a JSON array a JSON array). The
    extension is the input's own when it is one of the format's suffixes (a ``.tsv`` input
    gives ``.tsv``, a ``.feather`` file ``.feather``), else the format's first.

    Examples
    --------
    >>> derived_output_path("d/data.csv.gz", "fixed", "csv").as_posix()
    'd/data.fixed.csv'
    >>> derived_output_path("d/x.feather", "augmented", "ipc").as_posix(), derived_output_path("t.tsv", "fixed", "csv").name
    ('d/x.augmented.feather', 't.fixed.tsv')
    >>> derived_output_path("d/data.csv", "fixed", "parquet").name
    'data.fixed.parquet'
    """
    refuse_no_file_name(source)
    stem, ext = split_name(source)
    if fmt is None:
        fmt = input_output_format(source)
    own = "." + ext.lower()
    suffix = own if own in OUTPUT_SUFFIXES[fmt] else OUTPUT_SUFFIXES[fmt][0]
    return Path(source).with_name(f"{stem}.{tag}{suffix}")


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
    separator: str | None = None,
    schema_metadata: Mapping[bytes, bytes] | None = None,
    dictionaries: Sequence[tuple[str, Sequence[str], bool]] = (),
) -> Path:
    """Write ``frame`` atomically as Parquet, CSV, NDJSON, a JSON array or Arrow IPC.

    Parameters
    ----------
    frame : polars.DataFrame
    path : path
    format : {"parquet", "csv", "ndjson", "json", "ipc"}, optional
        Defaults to the format named by the suffix (:func:`output_format_for`: an unknown
        suffix is refused), else Parquet.
    metadata : dict, optional
        Key-value metadata stored in the Parquet footer (ignored for the other formats).
    separator : str, optional
        CSV delimiter; defaults to the one the suffix names (``.tsv``: tab, ``.psv``: ``|``), else ``,``.
        A text output named ``*.gz`` / ``*.zst`` is compressed.
    schema_metadata : mapping of bytes to bytes, optional
        The input's schema metadata (:attr:`SourceInfo.schema_metadata`), kept in a Parquet or
        Arrow IPC output (written with pyarrow then, zstd-compressed Parquet as polars writes it):
        a cleaned copy keeps pandas' index and dtypes and a writer's own keys. ``metadata`` wins
        on a shared key.
    dictionaries : sequence of (name, categories, ordered), optional
        The input's dictionary-encoded text or integer columns (:attr:`SourceInfo.dictionaries`), written
        with their categories' order, unused ones and ``ordered`` flag to a Parquet or Arrow IPC
        output (a column holding a value outside its categories is written as polars has it).

    Returns
    -------
    pathlib.Path
        The written path.

    Raises
    ------
    OutputError
        The format cannot hold one of the columns (:func:`unwritable_columns`): nothing is written.
        A Duration column is written to CSV as ISO-8601 text, as JSON writes it (``PT90S``).
    TypeError
        ``frame`` is not a polars DataFrame, or ``metadata`` holds a key or value that is not text.
    """
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"write_table() needs a polars DataFrame, got {type(frame).__module__}.{type(frame).__name__}; "
                        + _frame_advice(frame))
    if metadata is not None:  # (polars' own error names neither the argument nor the key)
        got = (type(metadata).__name__ if not isinstance(metadata, Mapping) else next(
            (f"the key {k!r}, {type(k).__name__}" if not isinstance(k, str) else f"{k!r}: {type(v).__name__} {v!r}"[:200]
             for k, v in metadata.items() if not (isinstance(k, str) and isinstance(v, str))), None))
        if got is not None:
            raise TypeError(f"write_table(metadata=...) needs a dict of text keys and text values (the Parquet footer "
                            f"holds text), got {got}; write a number or a structure as text, e.g. json.dumps(value)")
    path = Path(expand_home(path))
    fmt = output_format_for(path, format)
    check_writable(frame.schema, path, fmt)
    if fmt in ("json", "ndjson"):
        _check_finite_for_json(frame, path, fmt)
    if fmt == "csv":
        frame = _iso_durations(frame)
    if fmt in ("parquet", "ipc"):
        frame = _wide_integers_for_arrow(frame)
    # (a polars Enum keeps its categories itself, and only polars' own writer keeps it an Enum)
    schema = frame.schema
    dictionaries = [d for d in dictionaries if d[0] in schema and not isinstance(schema[d[0]], pl.Enum)]
    with atomic_path(path) as tmp, _disk_errors(tmp, path):
        named = _polars_name(tmp)
        if (schema_metadata or dictionaries) and fmt in ("parquet", "ipc"):
            _write_arrow(frame, named, fmt, {**(schema_metadata or {}), **{k.encode(): v.encode() for k, v in (metadata or {}).items()}},
                         dictionaries)
        elif fmt == "parquet":
            frame.write_parquet(named, metadata=metadata or None)
        elif fmt == "ipc":
            # (text as large_string, as the pyarrow path above writes it, not polars' string_view, which readers
            # before Arrow 16 cannot open)
            frame.write_ipc(named, compat_level=pl.CompatLevel.oldest())
        else:
            compressed = suffix_format(path.name)[1] is not None
            dest: Any = io.BytesIO() if compressed else named
            decimals = [n for n, t in frame.schema.items() if isinstance(t, pl.Decimal)] if fmt != "csv" else []
            if decimals:  # polars writes a Decimal to JSON as a string ("1.00"): read back, a text column
                dest = io.BytesIO()
            if fmt == "csv":
                frame.write_csv(dest, separator=separator or output_separator(path))
            elif fmt == "json":
                frame.write_json(dest)
            else:
                frame.write_ndjson(dest)
            if decimals:
                dest = io.BytesIO(_decimals_as_numbers(dest.getvalue(), decimals, fmt))
                if not compressed:
                    tmp.write_bytes(dest.getvalue())
            if compressed:
                tmp.write_bytes(_compress_for(path, dest.getvalue()))
    return path


@contextmanager
def _disk_errors(tmp: Path, path: Path) -> Iterator[None]:
    """polars' writers report a full disk or a file-size limit without an errno (``OSError: ... (os error 28)``;
    Parquet: "Invalid thrift: transport error"): raised again as the ``OSError(ENOSPC)`` (``EFBIG``, ...) it is,
    which the command line reports (exit 2)."""
    import errno
    import shutil

    try:
        yield
    except OSError as exc:
        if exc.errno is None and (code := re.search(r"\(os error (\d+)\)", str(exc))):
            raise OSError(int(code.group(1)), os.strerror(int(code.group(1))), str(path)) from exc
        if exc.errno is None and "No space left" in str(exc):
            raise OSError(errno.ENOSPC, "No space left on device", str(path)) from exc
        raise
    except Exception as exc:
        try:
            full = shutil.disk_usage(tmp.parent).free < 2**16
        except OSError:
            full = False
        if full:
            raise OSError(errno.ENOSPC, "No space left on device", str(path)) from exc
        if _at_size_limit(tmp):
            raise OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(path)) from exc
        raise


def _at_size_limit(tmp: Path) -> bool:
    """Whether ``tmp`` has reached the process's file-size limit (``ulimit -f``)."""
    import resource

    try:
        limit = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        return limit != resource.RLIM_INFINITY and tmp.exists() and tmp.stat().st_size >= limit
    except (OSError, ValueError):
        return False


def _decimals_as_numbers(data: bytes, columns: Sequence[str], fmt: str) -> bytes:
    """polars' JSON or NDJSON output with the ``columns`` (Decimal, written as strings) as JSON numbers, spelled as
    the strings were (``1.00``): exact, and read back as numbers. Every other value keeps its spelling."""

    decoder = raw_number_decoder()
    text = data.decode("utf-8")
    records = decoder.decode(text) if fmt == "json" else [decoder.decode(line) for line in text.split("\n") if line]
    for record in records:
        for name in columns:
            if isinstance(record.get(name), str):
                record[name] = RawNumber(record[name])
    return render_json_text(JsonText(records=records, format=fmt)).encode("utf-8")


def _check_finite_for_json(frame: pl.DataFrame, path: Path, fmt: str) -> None:
    """Refuse a JSON output of float columns holding inf or NaN: JSON has no spelling for them, and polars writes
    ``null`` (a changed value in rows dvclean never touched)."""
    bad = {}
    for name, dtype in frame.schema.items():
        if dtype.is_float():
            col = frame.get_column(name)
            n = int((col.is_infinite() | col.is_nan()).sum())
            if n:
                bad[name] = n
    if bad:
        listed = ", ".join(f"'{c}' ({n} {'cell' if n == 1 else 'cells'})" for c, n in bad.items())
        raise OutputError(
            f"{path.name}: infinite or NaN values in {listed} cannot be written to {FORMAT_NAMES[fmt]} (it has no "
            "spelling for them: they would become null); name the output .csv or .parquet"
        )


def _wide_integers_for_arrow(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its 128-bit integer columns (a CSV's integers of 2**63 and above, such as unsigned 64-bit
    hashes) in a type every Parquet and Arrow reader opens (pyarrow, and so pandas, refuses integers wider than 64
    bits): UInt64 when every value fits it, else Decimal(38, 0), else their digits as text. Values stay exact.

    >>> big = pl.DataFrame({"h": pl.Series([2**63, 5], dtype=pl.Int128), "n": pl.Series([-(2**70), 1], dtype=pl.Int128)})
    >>> _wide_integers_for_arrow(big).schema
    Schema([('h', UInt64), ('n', Decimal(precision=38, scale=0))])
    """
    casts = []
    for name, dtype in frame.schema.items():
        if dtype != pl.Int128:
            continue
        col = frame.get_column(name)
        low, high = col.min(), col.max()
        if low is None or (low >= 0 and high < 2**64):
            casts.append(pl.col(name).cast(pl.UInt64))
        elif -(10**38) < low and high < 10**38:
            casts.append(pl.col(name).cast(pl.Decimal(38, 0)))
        else:
            casts.append(pl.col(name).cast(pl.String))
    return frame.with_columns(casts) if casts else frame


def _write_arrow(frame: pl.DataFrame, path: str | Path, fmt: str, schema_metadata: dict[bytes, bytes],
                 dictionaries: Sequence[tuple[str, Sequence[str], bool]] = ()) -> None:
    """Write ``frame`` as Parquet or Arrow IPC with ``schema_metadata`` on its Arrow schema (where pyarrow and
    pandas read it; polars' ``metadata`` is Parquet key-value metadata only) and the ``dictionaries``' columns
    encoded with their categories (see :func:`write_table`)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = frame.to_arrow()
    for name, categories, ordered in dictionaries:
        if name not in table.column_names:
            continue
        numbers = bool(categories) and all(isinstance(c, int) for c in categories)  # (pandas' integer categories)
        kind = pa.int64() if numbers else pa.large_string()
        try:
            column = pc.cast(table.column(name), kind).combine_chunks()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # (the column holds another type now)
            continue
        values = pa.array(list(categories), type=kind)
        codes = pc.index_in(column, value_set=values)
        if codes.null_count != column.null_count:  # a value outside the categories: kept as polars wrote it
            continue
        encoded = pa.DictionaryArray.from_arrays(codes.cast(pa.int32()), values if numbers else values.cast(pa.string()),
                                                 ordered=ordered)
        table = table.set_column(table.column_names.index(name), name, encoded)
    table = table.replace_schema_metadata(schema_metadata)
    if fmt == "parquet":
        pq.write_table(table, path, compression="zstd")
    else:
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)


#: Output formats as messages name them.
FORMAT_NAMES = {"parquet": "Parquet", "csv": "CSV", "ndjson": "NDJSON", "json": "JSON", "ipc": "Arrow IPC"}


def _leaf_types(dtype: Any) -> Iterator[Any]:
    """``dtype`` and every type nested in it (a List's inner type, a Struct's fields, ...)."""
    yield dtype
    inner = getattr(dtype, "inner", None)
    if inner is not None:
        yield from _leaf_types(inner)
    for f in getattr(dtype, "fields", None) or ():
        yield from _leaf_types(f.dtype)


def unwritable_columns(schema: Any, format: str) -> dict[str, Any]:
    """The columns of ``schema`` that an output of ``format`` cannot hold: ``{name: dtype}`` (empty: all fit).

    CSV holds no nested column (List, Array, Struct) and no Binary; JSON and NDJSON no Binary,
    also inside a list or struct (polars has no text form for bytes, and dvclean invents none);
    Parquet and Arrow IPC hold every type. A Python-object column fits no format. A Duration
    column is written to CSV as ISO-8601 text, as JSON writes it (``PT90S``), so it fits every format.

    Parameters
    ----------
    schema : mapping of column name to polars type
        E.g. ``frame.schema``.
    format : {"parquet", "csv", "ndjson", "json", "ipc"}

    Examples
    --------
    >>> schema = {"x": pl.Float64, "b": pl.Binary, "l": pl.List(pl.Int64), "d": pl.Duration("us")}
    >>> unwritable_columns(schema, "csv")
    {'b': Binary, 'l': List(Int64)}
    >>> unwritable_columns(schema, "json"), unwritable_columns(schema, "parquet")
    ({'b': Binary}, {})
    """
    out = {}
    for name, dtype in schema.items():
        leaves = list(_leaf_types(dtype))
        if any(t == pl.Object for t in leaves):
            out[name] = dtype
        elif format == "csv" and (dtype.is_nested() or dtype == pl.Binary):
            out[name] = dtype
        elif format in ("json", "ndjson") and any(t == pl.Binary for t in leaves):
            out[name] = dtype
    return out


def check_writable(schema: Any, path: str | os.PathLike[str], format: str, *, otherwise: str | None = None) -> None:
    """Refuse (:class:`~dvclean.errors.OutputError`) an output of ``format`` that cannot hold a column of ``schema``.

    The message names every such column with its type, and the formats that can hold them;
    ``otherwise`` is the other way out it suggests (default: remove the columns from the input).

    Examples
    --------
    >>> check_writable({"b": pl.Binary}, "out.json", "json")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    dvclean.errors.OutputError: out.json: column 'b' (Binary) cannot be written to JSON; ...
    """
    if format == "csv":  # a CSV reader strips a header name's surrounding spaces (dvclean's does): keep names apart
        seen: dict[str, str] = {}
        for name in schema:
            other = seen.setdefault(name.strip(), name)
            if other != name:
                raise OutputError(
                    f"{Path(path).name}: columns {other!r} and {name!r} differ only in surrounding spaces, which a CSV "
                    "reader strips from a header (the file could not be read back); rename one of them, or name the "
                    "output .parquet"
                )
    bad = unwritable_columns(schema, format)
    if not bad:
        return
    one = len(bad) == 1
    listed = ", ".join(f"'{name}' ({dtype})" for name, dtype in bad.items())
    fits = [f for f in OUTPUT_FORMATS if not unwritable_columns(bad, f)]
    it = "it" if one else "them"
    otherwise = otherwise or f"remove {it} from the input first"
    if fits:
        where = ", ".join(f"{FORMAT_NAMES[f]} ({OUTPUT_SUFFIXES[f][0]})" for f in fits)
        fix = f"name the output for a format that can hold {it}: {where}; or {otherwise}"
    else:
        fix = f"no output format can hold {it}: {otherwise}"
    raise OutputError(
        f"{Path(path).name}: {'column' if one else 'columns'} {listed} cannot be written to {FORMAT_NAMES[format]}; {fix}"
    )


#: Ticks per second and fraction digits of each Duration unit.
_DURATION_UNITS = {"ns": (10**9, 9), "us": (10**6, 6), "ms": (10**3, 3)}


def _iso_durations(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its Duration columns as ISO-8601 text, spelled as polars' JSON writer spells them.

    Whole seconds and the exact fraction (``PT90S``, ``-PT0.000003S``); zero is ``P0D``; nulls stay null.
    """
    schema = frame.schema
    exprs = []
    for name, dtype in schema.items():
        if not isinstance(dtype, pl.Duration):
            continue
        scale, digits = _DURATION_UNITS[dtype.time_unit or "us"]
        ticks = pl.col(name).cast(pl.Int64)
        size = ticks.abs()
        fraction = (size % scale).cast(pl.String).str.zfill(digits).str.strip_chars_end("0")
        text = pl.concat_str(
            pl.when(ticks < 0).then(pl.lit("-")).otherwise(pl.lit("")),
            pl.lit("PT"),
            (size // scale).cast(pl.String),
            pl.when(fraction != "").then(pl.lit(".") + fraction).otherwise(pl.lit("")),
            pl.lit("S"),
        )
        exprs.append(pl.when(ticks == 0).then(pl.lit("P0D")).otherwise(text).alias(name))
    return frame.with_columns(exprs) if exprs else frame


#: A duration as :func:`_iso_durations` spells it (seconds, or ``P0D``): the only ISO-8601 form read back as Duration.
_ISO_DURATION = r"^(?:-?PT\d{1,12}(?:\.\d{1,9})?S|P0D)$"


def _read_iso_durations(frame: pl.DataFrame, keep: set[str]) -> pl.DataFrame:
    """``frame`` with each text column (not in ``keep``) whose every value is a duration as dvclean's CSV and JSON
    writers spell it (``PT90S``, ``-PT0.5S``, ``P0D``) as a Duration (microseconds, or nanoseconds when a value has
    more than six decimals), so that a Duration column survives a CSV or JSON round trip."""
    typed = []
    for name, dtype in frame.schema.items():
        if dtype != pl.String or name in keep:
            continue
        col = frame.get_column(name)
        present = col.drop_nulls()
        if present.len() == 0 or not present.str.contains(_ISO_DURATION).all():
            continue
        parts = col.str.extract_groups(r"^(-?)PT(\d+)(?:\.(\d+))?S$")
        digits = present.str.extract(r"\.(\d+)S$").str.len_chars().max()
        unit, scale = ("ns", 9) if isinstance(digits, int) and digits > 6 else ("us", 6)
        widest = present.str.extract(r"PT(\d+)").str.len_chars().max()
        if isinstance(widest, int) and widest > 18 - scale:  # the ticks would not fit 64 bits: the column stays text
            continue
        sign = pl.when(parts.struct.field("1") == "-").then(-1).otherwise(1)
        whole = parts.struct.field("2").cast(pl.Int64).fill_null(0)
        fraction = parts.struct.field("3").fill_null("").str.pad_end(scale, "0").cast(pl.Int64)
        ticks = frame.select((sign * (whole * 10**scale + fraction)).alias(name)).to_series()
        typed.append(ticks.cast(pl.Duration(unit)).scatter(col.is_null().arg_true(), None))
    return frame.with_columns(typed) if typed else frame


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Return True when two paths name the same file (also through links; ``~`` expanded: :func:`expand_home`)."""
    pa, pb = Path(expand_home(a)), Path(expand_home(b))
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    try:
        return pa.resolve() == pb.resolve()
    except (OSError, RuntimeError):  # a symlink loop: it names no file, so not another path's file
        return False


def file_paths(*sources: Any) -> tuple[str, ...]:
    """The sources among ``sources`` that are files (a path; not a frame, ``None`` or stdin), as text."""
    return tuple(str(s) for s in sources if isinstance(s, (str, os.PathLike)) and str(s) != "-")


def describe_json(value: Any) -> str:  # pragma: no cover - tiny helper
    """Return a short printable form of a value for messages."""
    text = repr(value)
    return text if len(text) < 60 else text[:57] + "..."


# ---------------------------------------------------------------- CSV text kept as written

#: Output suffixes that name a delimiter.
_SUFFIX_SEPARATORS = {".tsv": "\t", ".tab": "\t", ".psv": "|"}


def output_separator(path: str | os.PathLike[str], input_separator: str | None = None) -> str:
    """The delimiter of a CSV output: named by its suffix (``.tsv``, ``.psv``), else the input's, else ``,``.

    Examples
    --------
    >>> output_separator("out.csv", ";"), output_separator("out.tsv", ";"), output_separator("out.csv")
    (';', '\\t', ',')
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes.pop()
    named = _SUFFIX_SEPARATORS.get(suffixes[-1] if suffixes else "")
    return named or input_separator or ","


def _compress_for(path: Path, data: bytes) -> bytes:
    """Compress text output named ``*.gz`` / ``*.zst`` as its name says."""
    _, compression = suffix_format(path.name)
    if compression == "gzip":
        return gzip.compress(data, mtime=0)
    if compression == "zstd":
        import zstandard

        return zstandard.ZstdCompressor().compress(data)
    return data


def _needs_quotes(value: str, sep: str) -> bool:
    return value == "" or any(c in value for c in (sep, '"', "\n", "\r")) or value != value.strip(" ")


def quote_field(value: str | None, sep: str, *, force: bool = False) -> str:
    """One CSV field: quoted (quotes doubled) when it must be or ``force``; ``None`` is an empty field.

    Examples
    --------
    >>> quote_field("a,b", ","), quote_field("x", ","), quote_field(None, ","), quote_field('a"b', ";")
    ('"a,b"', 'x', '', '"a""b"')
    """
    if value is None:
        return ""
    if force or (value != "" and _needs_quotes(value, sep)):
        return '"' + value.replace('"', '""') + '"'
    return value


def split_raw_fields(body: str, sep: str) -> list[str]:
    """Split one CSV record (without its line end) into its fields' raw text, quotes kept.

    Follows the field boundaries of Python's csv module (a quote opens a quoted field only
    at the start of a field; ``""`` inside it is a quote).

    Examples
    --------
    >>> split_raw_fields('1,"a, b",,"x ""y"" z"', ",")
    ['1', '"a, b"', '', '"x ""y"" z"']
    """
    pieces: list[str] = []
    start = i = 0
    n = len(body)
    quoted = False
    at_start = True
    while i < n:
        c = body[i]
        if quoted:
            if c == '"':
                if i + 1 < n and body[i + 1] == '"':
                    i += 2
                    continue
                quoted = False
        elif c == sep:
            pieces.append(body[start:i])
            start = i + 1
            at_start = True
            i += 1
            continue
        elif c == '"' and at_start:
            quoted = True
        at_start = False
        i += 1
    pieces.append(body[start:])
    return pieces


def _line_end(raw: str) -> tuple[str, str]:
    """``(body, line end)`` of a raw record."""
    if raw.endswith("\r\n"):
        return raw[:-2], "\r\n"
    if raw.endswith(("\n", "\r")):
        return raw[:-1], raw[-1]
    return raw, ""


@dataclass(frozen=True)
class CsvText:
    """A CSV input's text, record by record, so rows can be written back exactly as they were.

    Record 0 is the header; data row ``i`` (0-based, the row of the frame
    :func:`read_frame` returned) is ``record(i)``. Records tile the text: every
    byte of the input belongs to one record, blank lines included (polars reads a blank
    line as a row of nulls, and so does this).

    Attributes
    ----------
    text : str
        The decoded input (byte-order mark removed).
    offsets : numpy.ndarray
        ``offsets[k]:offsets[k + 1]`` is record ``k`` (0 = header).
    separator : str
    encoding : str
        The codec to write the text back with.
    bom : bool
        The input started with a UTF-8 byte-order mark.
    newline : str
        The header's line end, used for rows written anew.
    exact : bool
        False when the records were rebuilt from polars' text parse (the csv module
        disagreed with polars on the record boundaries): field text is kept, quoting is minimal.
    """

    text: str
    offsets: Any
    separator: str
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"
    exact: bool = True

    @property
    def n_rows(self) -> int:
        return len(self.offsets) - 2

    def _record(self, k: int) -> str:
        return self.text[self.offsets[k] : self.offsets[k + 1]]

    def header(self) -> str:
        """The raw header record (with its line end)."""
        return self._record(0)

    def record(self, i: int) -> str:
        """The raw text of data row ``i`` (with its line end)."""
        return self._record(i + 1)

    def header_fields(self) -> list[str]:
        return self.parse(self.header())

    def fields(self, i: int) -> list[str]:
        """The field values of data row ``i`` as the csv module reads them."""
        return self.parse(self.record(i))

    def parse(self, raw: str) -> list[str]:
        return next(csv.reader(io.StringIO(raw, newline=""), delimiter=self.separator), [])

    def columns(self, positions: Sequence[int]) -> dict[int, list[str | None]]:
        """Field values of the given column positions for every data row (``None`` where a row is short)."""
        out: dict[int, list[str | None]] = {p: [] for p in positions}
        reader = csv.reader(io.StringIO(self.text[self.offsets[1] :], newline=""), delimiter=self.separator)
        for rec in reader:
            for p in positions:
                out[p].append(rec[p] if p < len(rec) else None)
        return out


def read_csv_text(
    source: str | os.PathLike[str] | bytes,
    info: SourceInfo,
    *,
    encoding: str | None = None,
    rows: int | None = None,
) -> CsvText | None:
    """Read a CSV input again as text, record by record (``None`` for other formats, or when it cannot be).

    Parameters
    ----------
    source : path or bytes
        The file :func:`read_frame` read (or the bytes it read from stdin).
    info : SourceInfo
        What :func:`read_frame` returned for it: its separator, compression and hash
        are reused, and a file that changed since is refused.
    encoding : str, optional
        The ``encoding`` given to :func:`read_frame` (default UTF-8); the codec it used
        (``info.encoding``: also one a byte-order mark named) wins.
    rows : int, optional
        The number of rows :func:`read_frame` returned; when the csv module finds
        another number of records, the records are rebuilt from polars' all-text parse.

    Raises
    ------
    InputError
        The file changed since it was read.
    """
    if info.format != "csv" or info.separator is None:
        return None
    name = info.path
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if info.sha256 and hashlib.sha256(raw).hexdigest() != info.sha256:
        raise InputError(f"{name}: the file changed while dvclean was working on it; run again once it is complete")
    if info.compression is not None:
        raw = _decompress(raw, info.compression, name)
    codec = codecs.lookup(info.encoding or encoding or "utf-8").name
    text = raw.decode(codec if codec != "utf-8" else "utf-8", errors="strict")
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    sep = info.separator
    offsets = _record_offsets(text, sep)
    if offsets is not None and rows is not None and len(offsets) - 2 != rows:
        offsets = None
    if offsets is None:
        log.warning(
            "%s: the csv module splits the rows differently from polars; unchanged rows keep their field text "
            "but not necessarily their quoting", name,
        )
        return _rebuilt_text(text, info, codec, bom, rows)
    header = text[offsets[0] : offsets[1]]
    newline = _line_end(header)[1] or "\n"
    return CsvText(text=text, offsets=offsets, separator=sep, encoding=codec, bom=bom, newline=newline)


def _record_offsets(text: str, sep: str) -> Any:
    import numpy as np

    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        for line in io.StringIO(text, newline=""):
            consumed += len(line)
            yield line

    offsets = [0]
    try:
        for _ in csv.reader(lines(), delimiter=sep):
            offsets.append(consumed)
    except csv.Error:
        return None
    if offsets[-1] != len(text) or len(offsets) < 2:
        return None
    return np.asarray(offsets, dtype=np.int64)


def _rebuilt_text(text: str, info: SourceInfo, codec: str, bom: bool, rows: int | None) -> CsvText | None:
    """Records rebuilt from polars' all-text parse (the fallback when the csv module disagrees).

    ``None`` (the typed frame is written then) when even that does not give the rows polars typed.
    """
    import numpy as np

    sep = info.separator or ","
    try:
        frame = pl.read_csv(io.BytesIO(text.encode("utf-8")), separator=sep, infer_schema=False)
    except Exception as exc:  # noqa: BLE001 - the typed read succeeded; fall back to its values
        log.warning("%s: cannot re-read the text (%s); the rows are written from the parsed values", info.path, exc)
        return None
    if rows is not None and frame.height != rows:
        return None
    header = frame.columns
    parts = [sep.join(quote_field(c, sep) for c in header) + "\n"]
    for row in frame.iter_rows():
        parts.append(sep.join(quote_field(v, sep) for v in row) + "\n")
    offsets = np.cumsum([0, *(len(p) for p in parts)]).astype(np.int64)
    return CsvText(text="".join(parts), offsets=offsets, separator=sep, encoding=codec, bom=bom, exact=False)


@dataclass(frozen=True)
class TextEdits:
    """How to turn a :class:`CsvText` into an output: the rows kept, cells replaced, columns and rows added.

    Attributes
    ----------
    rows : numpy.ndarray or None
        The input data rows written, in order (``None``: all of them).
    replace : dict
        ``{input row: {column position: new field value}}``; the rest of the row is kept as written.
    extra : tuple of (name, values)
        Columns appended on the right: one value per written row (kept rows, then added
        rows); ``None`` is an empty field.
    append : sequence of sequences
        Rows written after the input rows: one field value per input column (``None``: empty).
    """

    rows: Any = None
    replace: dict[int, dict[int, str]] = dataclasses.field(default_factory=dict)
    extra: tuple[tuple[str, Sequence[str | None]], ...] = ()
    append: Sequence[Sequence[str | None]] = ()


def render_csv_text(source: CsvText, edits: TextEdits | None = None, *, separator: str | None = None) -> str:
    """The output text: each kept row as written in the input unless ``edits`` change it.

    With the input's separator, an unchanged row is its input text (quoting and line end
    included; a file that ends without a line end gives a copy that does too, unless rows are appended or the
    last one kept is blank); a relabelled cell
    takes the place of the old field (quoted if the old one was); an added column is
    appended before the line end. With another ``separator`` every row is written anew from
    its field values (minimal quoting).
    """
    import numpy as np

    edits = edits or TextEdits()
    sep = separator or source.separator
    same = sep == source.separator
    nl = source.newline
    rows = np.arange(source.n_rows) if edits.rows is None else np.asarray(edits.rows, dtype=np.int64)
    n_out = len(rows) + len(edits.append)
    width = len(source.header_fields())
    for name, values in edits.extra:
        if len(values) != n_out:
            raise ValueError(f"extra column {name!r} has {len(values)} values for {n_out} rows")
    extra_names = [name for name, _ in edits.extra]

    style = _QuotingStyle.of(source) if same and (edits.extra or len(edits.append)) else _QuotingStyle()

    def tail(j: int) -> str:
        return "".join(sep + quote_field(values[j], sep, force=style.quotes_new(values[j])) for _, values in edits.extra)

    out: list[str] = []
    header = source.header()
    if same:
        body, end = _line_end(header)
        out.append(body + "".join(sep + quote_field(n, sep, force=style.header) for n in extra_names) + (end or nl))
    else:
        out.append(sep.join(quote_field(v, sep) for v in [*source.header_fields(), *extra_names]) + nl)
    for j, i in enumerate(rows.tolist()):
        raw = source.record(i)
        body, end = _line_end(raw)
        changes = edits.replace.get(i)
        if body == "" and not changes:  # a blank line: polars reads a row of nulls; keep it blank if it stays one
            if all(values[j] is None for _, values in edits.extra):
                out.append(end or nl)
            else:
                out.append(sep * (width - 1) + tail(j) + (end or nl))
            continue
        if same and not changes:
            out.append(body + tail(j) + (end or nl))
            continue
        if same:
            pieces = split_raw_fields(body, sep)
            if len(pieces) == len(source.parse(raw)):
                for pos, value in (changes or {}).items():
                    while len(pieces) <= pos:
                        pieces.append("")
                    was_quoted = pieces[pos].startswith('"')
                    # an unquoted cell stays unquoted when only its padding spaces would quote it: the file's
                    # own cells (` 1`) are read with their spaces, so the new value is spelled as they are
                    bare = value is not None and not was_quoted and value.strip(" ") != "" and not _needs_quotes(
                        value.strip(" "), sep)
                    pieces[pos] = value if bare else quote_field(value, sep, force=was_quoted)
                out.append(sep.join(pieces) + tail(j) + (end or nl))
                continue
        values: list[str | None] = list(source.parse(raw))
        for pos, value in (changes or {}).items():
            values.extend([None] * (pos + 1 - len(values)))
            values[pos] = value
        out.append(sep.join(quote_field(v, sep) for v in values) + tail(j) + (end or nl))
    last = source.record(source.n_rows - 1) if source.n_rows else header
    if same and not edits.append and _line_end(last)[1] == "" and (not len(rows) or _line_end(out[-1])[0] != ""):
        # the file ended without a line end: so does the copy, whichever row is last, the header when no row is kept
        # (a blank row keeps its line end: without it, it would not be a row)
        out[-1] = _line_end(out[-1])[0]
    bare_padded = _bare_padded_columns(source, sep) if same and len(edits.append) else set()
    for k, row in enumerate(edits.append):
        if len(row) != width:
            raise ValueError(f"an added row has {len(row)} fields, the header has {width}")
        out.append(sep.join(
            v if pos in bare_padded and _bare_ok(v, sep) else quote_field(v, sep, force=style.forces(pos, v))
            for pos, v in enumerate(row)
        ) + tail(len(rows) + k) + nl)
    return "".join(out)


@dataclasses.dataclass(frozen=True)
class _QuotingStyle:
    """How a CSV quotes its cells, so that what dvclean adds (rows, a column) is quoted as the file quotes its own:
    ``columns`` every one of whose non-empty cells is quoted; whether every header field is; whether every
    non-empty cell is (``QUOTE_ALL``), or every one but numbers and booleans (``QUOTE_NONNUMERIC``, as pandas
    writes it); whether an empty cell is ever written ``""``. Read from the header and the first ``sample``
    records, leaving out the cells that must be quoted (``"a, b"``); none of this for a file quoting only what
    it must."""

    columns: frozenset[int] = frozenset()
    header: bool = False
    every_cell: bool = False
    text_cells: bool = False
    empty: bool = False

    def forces(self, pos: int, value: str | None) -> bool:
        """Whether an added row's ``value`` in column ``pos`` is quoted although it need not be (an empty one only
        where the file quotes its own: ``""`` reads as an empty text, not a missing value, to some readers)."""
        return pos in self.columns and value is not None and (value != "" or self.empty)

    @classmethod
    def of(cls, source: CsvText, sample: int = 200) -> _QuotingStyle:
        if not source.exact:  # (records rebuilt from polars' parse: their quoting is not the file's)
            return cls()
        sep = source.separator
        header = split_raw_fields(_line_end(source.header())[0], sep)
        quoted: dict[int, bool] = {}  # (cells that must be quoted, `"a, b"`, say nothing of the file's style)
        every = text = True
        empty = False
        for i in range(min(sample, source.n_rows)):
            body, _ = _line_end(source.record(i))
            if not body:
                continue
            for pos, piece in enumerate(split_raw_fields(body, sep)):
                q = piece.startswith('"')
                value = piece[1:-1].replace('""', '"') if q else piece
                if not value:
                    empty = empty or q
                    continue
                if q and _needs_quotes(value, sep):
                    continue
                quoted[pos] = quoted.get(pos, True) and q
                every = every and q
                text = text and (q or _number_or_boolean(piece))
        columns = frozenset(pos for pos, q in quoted.items() if q)
        return cls(columns=columns, header=bool(header) and all(f.startswith('"') for f in header),
                   every_cell=every and bool(quoted), text_cells=text and bool(columns), empty=empty)

    def quotes_new(self, value: str | None) -> bool:
        """Whether a value of a column dvclean adds is quoted."""
        return value is not None and (self.every_cell or (self.text_cells and not _number_or_boolean(value)))


def _number_or_boolean(text: str) -> bool:
    t = text.strip()
    return t.lower() in ("true", "false") or bool(_POSITIONAL.fullmatch(t) or _SCIENTIFIC.fullmatch(t))


def _bare_ok(value: str | None, sep: str) -> bool:
    """Whether ``value`` can be written unquoted in a column whose cells the file pads with bare spaces."""
    return value is not None and value.strip(" ") != "" and not _needs_quotes(value.strip(" "), sep)


def _bare_padded_columns(source: CsvText, sep: str, sample: int = 200) -> set[int]:
    """Positions of the columns where the file writes a cell with leading or trailing spaces unquoted (`` yes``)
    in one of its first ``sample`` records: an added row's padded value is spelled so there too."""
    out: set[int] = set()
    for i in range(min(sample, source.n_rows)):
        body, _ = _line_end(source.record(i))
        for pos, piece in enumerate(split_raw_fields(body, sep)):
            if piece and not piece.startswith('"') and piece != piece.strip(" "):
                out.add(pos)
    return out


def write_csv_text(
    source: CsvText, path: str | os.PathLike[str], edits: TextEdits | None = None, *, separator: str | None = None
) -> Path:
    """Write :func:`render_csv_text`'s output atomically, in the input's encoding (and byte-order mark).

    A name ending in ``.gz`` or ``.zst`` is compressed accordingly.
    """
    path = Path(path)
    text = render_csv_text(source, edits, separator=separator)
    try:
        data = (("\ufeff" if source.bom else "") + text).encode(source.encoding)
    except UnicodeEncodeError as exc:
        raise OutputError(
            f"{path}: a value cannot be written in the input's encoding {source.encoding} ({exc.reason}); "
            "convert the input to UTF-8 first"
        ) from exc
    with atomic_path(path) as tmp:
        tmp.write_bytes(_compress_for(path, data))
    return path


class RawNumber(str):
    """A JSON number as the input spells it (``1050``, ``1.50``, ``12345678901234567891``): written back unchanged."""

    __slots__ = ()


def raw_number_decoder(**kwargs: Any) -> Any:
    """A ``json.JSONDecoder`` that reads every number (and ``NaN``/``Infinity``) as a :class:`RawNumber`."""
    import json

    return json.JSONDecoder(parse_float=RawNumber, parse_int=RawNumber, parse_constant=RawNumber, **kwargs)


def record_spellings(typed: pl.Series, text: JsonText, *, most_common: bool = False) -> dict[Any, Any]:
    """``{typed value: its raw JSON value in the first record holding it}`` for the column ``typed`` of the frame
    ``text`` was read into (nulls and records without the key left out): a value written anew is spelled so.

    With ``most_common``, the raw value most records holding it write (the first of those tied): a class written
    ``0`` in 47 records and ``"0"`` in one (read as one text column) is written anew as ``0``. It reads every
    record, so it is for one column (a new label), not for every column of appended rows.

    >>> text = JsonText([{"y": "0"}, {"y": 0}, {"y": 0}, {"y": 1}], "ndjson")
    >>> typed = pl.Series("y", ["0", "0", "0", "1"])
    >>> record_spellings(typed, text), record_spellings(typed, text, most_common=True)
    ({'0': '0', '1': 1}, {'0': 0, '1': 1})
    """
    if most_common:
        counts: dict[Any, Counter[tuple[str, str]]] = {}
        raws: dict[tuple[Any, tuple[str, str]], Any] = {}
        for v, record in zip(typed.to_list(), text.records, strict=True):
            if v is None or typed.name not in record:
                continue
            raw = record[typed.name]
            key = (type(raw).__name__, str(raw))
            counts.setdefault(v, Counter())[key] += 1
            raws.setdefault((v, key), raw)
        return {v: raws[(v, c.most_common(1)[0][0])] for v, c in counts.items()}
    firsts = typed.arg_unique().to_list()
    return {v: text.records[i][typed.name] for v, i in zip(typed.gather(firsts).to_list(), firsts, strict=True)
            if v is not None and typed.name in text.records[i]}


@dataclass(frozen=True)
class JsonText:
    """A JSON array or JSON-lines input's records, every number kept as spelled, so rows can be written back exactly.

    polars gives a column of integers with one fraction the type Float64, so an output written
    from the typed frame spells ``1050`` as ``1050.0`` and rounds an integer beyond 2**53; a
    record written from here keeps its numbers' text, its keys' order, and leaves out the keys
    it leaves out. Record ``i`` is data row ``i`` of the frame :func:`read_frame` returned.
    """

    records: list[dict[str, Any]]
    format: str

    @property
    def n_rows(self) -> int:
        return len(self.records)


@dataclass(frozen=True)
class JsonEdits:
    """How to turn a :class:`JsonText` into an output.

    Attributes
    ----------
    rows : numpy.ndarray or None
        The input records written, in order (``None``: all of them).
    assign : dict
        ``{input row: {key: JSON-able value}}``: the key's value replaced where the record has it, else appended.
    append : sequence of str
        Records written after the input's, each one serialized JSON object.
    """

    rows: Any = None
    assign: dict[int, dict[str, Any]] = dataclasses.field(default_factory=dict)
    append: Sequence[str] = ()


def read_json_text(source: str | os.PathLike[str] | bytes, info: SourceInfo, *, rows: int | None = None) -> JsonText | None:
    """Read a JSON or NDJSON input again as records with raw numbers (``None`` for other formats, or when the records
    are not the ``rows`` objects :func:`read_frame` typed: the typed frame is written then).

    Raises
    ------
    InputError
        The file changed since it was read.
    """

    if info.format not in ("json", "ndjson"):
        return None
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if info.sha256 and hashlib.sha256(raw).hexdigest() != info.sha256:
        raise InputError(f"{info.path}: the file changed while dvclean was working on it; run again once it is complete")
    if info.compression is not None:
        raw = _decompress(raw, info.compression, info.path)
    def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        record = dict(pairs)
        if len(record) != len(pairs):  # polars keeps a repeated key's first value, json its last: not the scored row
            raise ValueError("repeated key")
        return record

    decoder = raw_number_decoder(object_pairs_hook=unique_keys)
    try:
        text = raw.decode("utf-8-sig").strip()
        if info.format == "json":
            records = decoder.decode(text)
        else:
            records = [decoder.decode(line) for line in text.split("\n") if line.strip()]  # (not splitlines: U+2028 is text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return None
    if rows is not None and len(records) != rows:
        return None
    return JsonText(records=records, format=info.format)


def _json_value(value: Any) -> str:
    """``value`` as compact JSON (as polars writes it: no spaces, text not escaped to ASCII), a RawNumber as spelled."""
    import json

    if isinstance(value, RawNumber):
        return str(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_json_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_json_value(v) for v in value) + "]"
    text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    if isinstance(value, str) and any("\ud800" <= c <= "\udfff" for c in value):  # a lone surrogate (from a \ud800
        text = json.dumps(value, ensure_ascii=True)  # escape) cannot be UTF-8: written as the escape it was read from
    return text


def render_json_text(source: JsonText, edits: JsonEdits | None = None, *, format: str | None = None) -> str:
    """The output text: each kept record as the input holds it unless ``edits`` change it, in ``format``
    (``json``: one array; ``ndjson``: one object per line; default: the input's)."""
    edits = edits or JsonEdits()
    rows = range(source.n_rows) if edits.rows is None else (int(i) for i in edits.rows)
    objects = []
    for i in rows:
        record = source.records[i]
        if i in edits.assign:
            record = {**record, **edits.assign[i]}
        objects.append(_json_value(record))
    objects.extend(edits.append)
    if (format or source.format) == "json":
        return "[" + ",".join(objects) + "]"
    return "".join(f"{o}\n" for o in objects)


def json_lines(frame: pl.DataFrame, like: pl.DataFrame | None = None, text: JsonText | None = None) -> list[str]:
    """``frame``'s rows as JSON objects (rows appended to a :class:`JsonText`), as polars' NDJSON writer spells them,
    except that a value also found in the same column of ``like`` (the typed input ``text`` was read into) is
    spelled as the input's first record holding it spells it (``1050``, not ``1050.0``, in a column with fractions)."""

    if frame.height == 0:
        return []
    out = io.BytesIO()
    frame.write_ndjson(out)
    lines = [line for line in out.getvalue().decode("utf-8").split("\n") if line]
    if like is None or text is None:
        return lines
    like_schema = like.schema  # (built anew on every access: once, not per column)
    spelled = {name: record_spellings(like.get_column(name), text) for name in frame.columns
               if name in like_schema and not like_schema[name].is_nested() and like_schema[name] != pl.Null}
    styles = _column_styles(frame.select(list(spelled)), like, text)  # dates as the records write them
    decoder = raw_number_decoder()
    rows = frame.select(list(spelled)).rows()
    written = []
    for line, values in zip(lines, rows, strict=True):
        record = decoder.decode(line)
        for name, v in zip(spelled, values, strict=True):
            if v is not None and v in spelled[name]:
                record[name] = spelled[name][v]
            elif name in styles and isinstance(v, _dt.date):
                with contextlib.suppress(ValueError, OverflowError):
                    record[name] = styles[name].format(v)
        written.append(_json_value(record))
    return written


def write_json_text(source: JsonText, path: str | os.PathLike[str], edits: JsonEdits | None = None, *,
                    format: str | None = None) -> Path:
    """Write :func:`render_json_text`'s output atomically, UTF-8 (compressed when the name ends in ``.gz`` / ``.zst``)."""
    path = Path(path)
    data = render_json_text(source, edits, format=format).encode("utf-8")
    with atomic_path(path) as tmp:
        tmp.write_bytes(_compress_for(path, data))
    return path


def _donor_texts(typed: pl.Series, texts: Sequence[str | None]) -> dict[Any, str | None]:
    """``{typed value: its text in the first input row holding it}`` (nulls under the key ``None``)."""
    firsts = typed.arg_unique().to_list()
    values = typed.gather(firsts).to_list()
    return {v: texts[i] for v, i in zip(values, firsts, strict=True) if i < len(texts)}


def padded_integer_texts(frame: pl.DataFrame, text: CsvText) -> pl.DataFrame:
    """``frame`` (rows read from the CSV ``text``, or new rows typed like them) with each integer column the input
    writes zero-padded (``00104``, every cell of one width) as that text, so that a typed output (Parquet, Arrow,
    JSON) of a CSV input keeps codes such as ZIP codes as the CSV output does: ``00104``, not ``104``. Every cell
    of such a column has the width's digits, so padding the integer gives back each input cell exactly (a new value
    is padded to the same width)."""
    header = [c.strip() for c in text.header_fields()]
    schema = frame.schema  # (once: frame.schema builds the whole schema, once per column made it quadratic)
    integer = {k: c for k, c in enumerate(header) if c in schema and schema[c].is_integer()}
    if not integer:
        return frame
    texts = text.columns(list(integer))
    padded = [pl.col(name).cast(pl.String).str.zfill(width) for k, name in integer.items()
              if (width := _zero_padded_width(texts[k]))]
    return frame.with_columns(padded) if padded else frame


def _zero_padded_width(texts: Sequence[str | None]) -> int:
    """The width of an integer column written with leading zeros (``00104``), else 0."""
    present = [t for t in texts if t]
    if not present or not any(t.startswith("0") and len(t) > 1 for t in present):
        return 0
    width = len(present[0])
    return width if all(len(t) == width and t.isdigit() for t in present) else 0


#: A float as the CSV reader reads one, in positional notation (``12``, ``-0.5``, ``.25``, ``3.``); its decimals.
_POSITIONAL = re.compile(r"([+-]?)(?:(\d+)(?:(\.)(\d*))?|\.(\d+))")
_SCIENTIFIC = re.compile(r"[+-]?(?:\d+(?:\.(\d*))?|\.(\d+))([eE])([+-]?)(\d+)")


def float_style(texts: Sequence[str | None]) -> Callable[[float], str] | None:
    """How an input column writes its floats, for new values: with the decimals every cell has (``21.40`` beside
    ``32.14``: two), else in positional notation where no cell has an exponent (``0.0000797``, not ``7.97e-05``;
    ``4223.`` beside ``12.`` keeps its point); where every cell has one, in scientific notation as they write it
    (``E`` or ``e``, the exponent's sign and digits, at least the mantissa's decimals every cell has); a ``+``
    before positive numbers where every one has it, and no 0 before the point (``.5``) where no cell writes one.
    None where the cells mix the two notations, or a cell is not a plain number (``inf``, ``NaN``:
    :func:`format_value` then).

    >>> f = float_style(["32.14", "12.40"]); f(21.4), f(-0.001)
    ('21.40', '0.00')
    >>> f = float_style(["0.0000265", "0.5", "3"]); f(7.97e-05), f(2.0), f(1e22), f(-0.0)
    ('0.0000797', '2', '10000000000000000000000', '0')
    >>> f = float_style(["1.25E+03", "2.50E-01"]); f(0.000123), f(-7e22), f(1234.5)
    ('1.23E-04', '-7.00E+22', '1.2345E+03')
    >>> f = float_style(["+.5", "-.25", "+1.5"]); f(0.75), f(-0.125), f(2.0)
    ('+.75', '-.125', '+2.0')
    >>> float_style(["1e-05", "0.5"]) is None
    True
    """
    cells = [t.strip() for t in texts if t is not None and t.strip()]
    if not cells:
        return None
    signed = [c for c in cells if not c.startswith("-")]
    plus = bool(signed) and all(c.startswith("+") for c in signed)
    if all(_SCIENTIFIC.fullmatch(c) for c in cells):
        return _scientific_style(cells, plus)
    decimals: set[int] = set()
    point = bare = lead = False  # (a whole number written with its point, `.5`, `0.5`)
    for c in cells:
        m = _POSITIONAL.fullmatch(c)
        if m is None:
            return None
        decimals.add(len(m.group(4) or m.group(5) or ""))
        point |= m.group(3) is not None and not m.group(4)
        bare |= m.group(5) is not None
        lead |= m.group(2) == "0" and m.group(4) is not None
    drop_zero = bare and not lead
    if len(decimals) == 1 and (places := next(iter(decimals))) > 0:
        def fixed(v: float) -> str:
            out = f"{v:.{places}f}"
            return out[1:] if out.startswith("-") and not out.strip("-0.") else out  # (-0.00 is 0.00)
        return _signed(fixed, plus, drop_zero)
    import numpy as np  # (not at the module's import: the CLI starts faster)

    # a column with 3 beside 0.5 writes 2.0 as 2; one with `4223.` beside `0.5` as `2.`
    trim = "." if point else "-" if 0 in decimals else "0"
    return _signed(lambda v: np.format_float_positional(v + 0.0, unique=True, trim=trim), plus, drop_zero)


def _scientific_style(cells: Sequence[str], plus: bool) -> Callable[[float], str]:
    """:func:`float_style` of a column whose every cell has an exponent."""
    import numpy as np

    found = [m for c in cells if (m := _SCIENTIFIC.fullmatch(c)) is not None]
    mark = "E" if all(m.group(3) == "E" for m in found) else "e"
    exp_plus = any(m.group(4) == "+" for m in found)
    width = min(len(m.group(5)) for m in found)
    places = {len(m.group(1) or m.group(2) or "") for m in found}
    least = min(places)  # (every digit of the value is kept: the mantissa only gains zeros, up to the cells' fewest)

    def write(v: float) -> str:
        text = np.format_float_scientific(v + 0.0, unique=True, trim="-" if least == 0 else "k", precision=None,
                                          min_digits=least)
        mantissa, _, exp = text.partition("e")
        power = int(exp)
        sign = "-" if power < 0 else "+" if exp_plus else ""
        return f"{mantissa}{mark}{sign}{abs(power):0{width}d}"
    return _signed(write, plus, False)


def _signed(write: Callable[[float], str], plus: bool, drop_zero: bool) -> Callable[[float], str]:
    """``write`` with a ``+`` before non-negative numbers, and without the 0 before the point of ``0.5``."""
    if not plus and not drop_zero:
        return write

    def styled(v: float) -> str:
        out = write(v)
        if drop_zero:
            out = re.sub(r"^(-?)0\.(?=\d)", r"\1.", out)
        return out if not plus or out.startswith("-") else "+" + out
    return styled


def format_value(value: Any) -> str | None:
    """A typed cell as CSV text: integers without ``.0``, floats in their shortest exact form.

    Examples
    --------
    >>> format_value(3), format_value(75.6), format_value(0.1 + 0.2), format_value(True), format_value(None)
    ('3', '75.6', '0.30000000000000004', 'true', None)
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, _dt.datetime):  # one ISO form for every value (isoformat drops a zero fraction)
        return value.isoformat(sep="T", timespec="microseconds")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    if isinstance(value, _dt.timedelta):  # as the typed writers spell a Duration (PT90S), which the reader reads back
        micros = (value.days * 86_400 + value.seconds) * 10**6 + value.microseconds
        if micros == 0:
            return "P0D"
        whole, fraction = divmod(abs(micros), 10**6)
        frac = f".{fraction:06d}".rstrip("0") if fraction else ""
        return f"{'-' if micros < 0 else ''}PT{whole}{frac}S"
    return str(value)


#: Date spellings a CSV reader parses (ISO first); a column's is found by writing its values back.
_PADDED_DATES = ("%Y-%m-%d", "%Y/%m/%d", "%d/%m/%Y", "%m/%d/%Y", "%d-%m-%Y", "%m-%d-%Y", "%d.%m.%Y", "%Y.%m.%d")
#: Date spellings, zero-padded first; ``%-m`` / ``%-d`` are a month and day without a leading zero (``2020-7-3``).
_DATE_PATTERNS = _PADDED_DATES + tuple(p.replace("%m", "%-m").replace("%d", "%-d") for p in _PADDED_DATES)
_TIME_TEXT = re.compile(
    r"(?P<date>.+?)(?P<sep>[T ])(?P<hm>\d{2}:\d{2})(?P<sec>:\d{2}(?P<frac>\.\d{1,9})?)?(?P<tz>Z|[+-]\d{2}:?\d{2})?"
)
_STYLE_SAMPLE = 200


def _epoch_micros(v: _dt.datetime) -> int:
    """Microseconds from 1970-01-01 UTC to the tz-aware ``v``, exactly (no float)."""
    delta = v - _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds


#: :func:`_zones_writing`: at most this many zones are kept (more agree only where the input says little).
_MAX_ZONES = 40


#: :meth:`OffsetZone.offset_at`: written instants further apart than this (30 days, in microseconds) may have a
#: daylight-saving switch between them even where both write one offset.
_FAR = 30 * 86_400 * 10**6
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)


def _zone_offset(zone: str, micros: int) -> int | None:
    """The UTC offset (seconds) of IANA time zone ``zone`` at ``micros`` (epoch microseconds); None if unknown."""
    import zoneinfo

    try:
        off = (_EPOCH + _dt.timedelta(microseconds=micros)).astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    except (OverflowError, ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        return None
    return None if off is None else int(off.total_seconds())


def _zones_writing(instants: Any, offsets: Any) -> tuple[str, ...]:
    """The IANA time zones that give each of ``instants`` (ascending epoch microseconds) its written offset
    (seconds): checked where the offset changes and at 64 evenly spaced instants; () when the text writes one
    offset only, when no zone (or more than :data:`_MAX_ZONES`) fits, or without a time zone database.

    >>> import numpy as np
    >>> winter, summer = 1_609_459_200 * 10**6, 1_625_097_600 * 10**6  # 2021-01-01, 2021-07-01 UTC
    >>> "Europe/Berlin" in _zones_writing(np.array([winter, summer]), np.array([3600, 7200]))
    True
    """
    import numpy as np

    if np.unique(offsets).size < 2:
        return ()
    try:
        import zoneinfo

        names = sorted(zoneinfo.available_timezones())
    except Exception:  # noqa: BLE001 - no time zone database: the nearest written offset is used
        return ()
    change = np.flatnonzero(np.diff(offsets) != 0)
    checked = np.unique(np.r_[change, change + 1, np.linspace(0, instants.size - 1, 64).astype(np.int64)])
    probes = [(int(instants[i]), int(offsets[i])) for i in checked]
    fits = [z for z in names if all(_zone_offset(z, m) == o for m, o in probes)]
    return tuple(fits) if len(fits) <= _MAX_ZONES else ()


#: Whole units a date/time column's values may all be, coarsest first, in microseconds (a day, an hour, ...).
_WALL_UNITS = (86_400 * 10**6, 3_600 * 10**6, 60 * 10**6, 10**6, 10**3)


@dataclass(frozen=True, eq=False)
class OffsetZone:
    """The UTC offsets a CSV column's text writes (``+05:30``), learned from its values: ``instants`` (microseconds
    since the epoch, ascending) written with ``offsets`` (seconds east of UTC). A zone with daylight saving writes
    two (Berlin: +01:00 in winter, +02:00 in summer); a new instant takes the offset of the nearest one written.

    >>> import datetime as dt
    >>> z = OffsetZone.learn([(dt.datetime(2021, 1, 1, 23, tzinfo=dt.timezone.utc), "2021-01-02T00:00:00+01:00"),
    ...                       (dt.datetime(2021, 6, 30, 22, tzinfo=dt.timezone.utc), "2021-07-01T00:00:00+02:00")])
    >>> [int(o) // 3600 for o in z.offset_at([0, 1_625_000_000 * 10**6])], z.unit
    ([1, 2], 86400000000)
    """

    instants: Any
    offsets: Any
    #: The time zones (IANA names) whose offsets agree with every one written, where the text writes more than one
    #: offset (daylight saving): a new instant takes the offset they all give it, so that one between a sparse
    #: input's last winter and first summer value gets the offset of its side of the switch, not of the nearer value.
    zones: tuple[str, ...] = ()
    #: Whether the text writes UTC as ``Z`` (``2021-01-05T10:00:00Z`` beside ``2021-07-05T10:00:00+01:00``).
    zulu: bool = False

    @classmethod
    def learn(cls, pairs: Sequence[tuple[Any, str]]) -> OffsetZone | None:
        """The zone of (value, text) pairs of a tz-aware Datetime column; None when no text writes an offset."""
        import numpy as np

        inst, offs, zulu, numeric = [], [], False, False
        for v, t in pairs:
            m = _TIME_TEXT.fullmatch(t)
            tz = m.group("tz") if m is not None else None
            if not tz or not isinstance(v, _dt.datetime) or v.tzinfo is None:
                continue
            sign = -1 if tz[0] == "-" else 1
            zulu |= tz == "Z"
            numeric |= tz != "Z"
            digits = tz[1:].replace(":", "") if tz != "Z" else "0000"  # (Z: UTC, as a zone's winter may be written)
            offs.append(sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60))
            inst.append(_epoch_micros(v))
        if not inst or not numeric:
            return None  # (no text writes an offset: Z alone is UTC, which the style writes itself)
        order = np.argsort(np.asarray(inst, dtype=np.int64), kind="stable")
        instants, offsets = np.asarray(inst, dtype=np.int64)[order], np.asarray(offs, dtype=np.int64)[order]
        return cls(instants, offsets, _zones_writing(instants, offsets), zulu)

    def offset_at(self, micros: Any) -> Any:
        """The offset (seconds) of each of ``micros`` (epoch microseconds): the one every zone of :attr:`zones`
        gives it, else that of the written instant nearest to it."""
        import numpy as np

        micros = np.asarray(micros, dtype=np.int64)
        if self.instants.size == 1:
            return np.full(micros.shape, self.offsets[0])
        right = np.clip(np.searchsorted(self.instants, micros), 1, self.instants.size - 1)
        left = right - 1
        nearer_left = (micros - self.instants[left]) <= (self.instants[right] - micros)
        out = self.offsets[np.where(nearer_left, left, right)]
        if self.zones:  # where the written instants around it differ in offset, or lie far apart (a switch between)
            unsure = (self.offsets[left] != self.offsets[right]) | (self.instants[right] - self.instants[left] > _FAR)
            unsure |= (micros < self.instants[0]) | (micros > self.instants[-1])
            for i in np.flatnonzero(unsure.ravel()).tolist():
                given = {_zone_offset(z, int(micros.flat[i])) for z in self.zones}
                if len(given) == 1 and None not in given:
                    out.flat[i] = given.pop()
        return out

    @property
    def unit(self) -> int | None:
        """The coarsest of :data:`_WALL_UNITS` of which every written value is a whole multiple on its own clock
        (a day: every value written at midnight, ``2021-03-01T00:00:00+05:30``), or None."""
        import numpy as np

        local = self.instants + self.offsets * 10**6
        return next((u for u in _WALL_UNITS if not np.any(local % u)), None)

    def snap(self, micros: Any, unit: int) -> Any:
        """``micros`` (epoch microseconds) moved to the nearest whole ``unit`` on the clock the text writes them on
        (their offsets by :meth:`offset_at`, taken again where the move crosses to another offset)."""
        import numpy as np

        micros = np.asarray(micros, dtype=np.int64)
        off = self.offset_at(micros) * 10**6
        out = np.floor_divide(micros + off + unit // 2, unit) * unit - off
        again = self.offset_at(out) * 10**6
        moved = again != off
        if moved.any():
            out[moved] = np.floor_divide(micros[moved] + again[moved] + unit // 2, unit) * unit - again[moved]
        return out


@dataclass(frozen=True)
class TemporalStyle:
    """How a CSV column writes its dates or datetimes (``2020-09-26T17:00:00.000000``, ``26/09/2020``).

    ``sep`` is None for a date column; ``tz`` is ``""``, ``"Z"``, ``"+HH:MM"`` or ``"+HHMM"``;
    ``offset`` is the fixed UTC offset the text writes (None: the value's own); ``zone``, where the input's texts
    write offsets, the offsets they write by date (:class:`OffsetZone`; it overrides ``offset``).
    """

    date: str
    sep: str | None = None
    seconds: bool = True
    digits: int = 0
    tz: str = ""
    offset: _dt.timedelta | None = None
    zone: OffsetZone | None = dataclasses.field(default=None, compare=False, repr=False)

    def format(self, value: Any) -> str:
        """``value`` (a date or datetime) written in this style (finer digits are cut)."""
        if self.sep is None:
            d = value.date() if isinstance(value, _dt.datetime) else value
            return _date_text(d, self.date)
        v = value
        if v.tzinfo is not None and self.zone is not None:
            v = v.astimezone(_dt.timezone(_dt.timedelta(seconds=int(self.zone.offset_at([_epoch_micros(v)])[0]))))
        elif v.tzinfo is not None and (self.offset is not None or self.tz == "Z"):
            v = v.astimezone(_dt.timezone(self.offset or _dt.timedelta(0)))
        out = f"{_date_text(v.date(), self.date)}{self.sep}{v.hour:02d}:{v.minute:02d}"
        if self.seconds:
            out += f":{v.second:02d}"
            if self.digits:
                out += "." + f"{v.microsecond:06d}000"[: self.digits]
        if self.tz == "Z" or (self.tz and self.zone is not None and self.zone.zulu and not v.utcoffset()):
            out += "Z"
        elif self.tz:
            off = v.utcoffset() or _dt.timedelta(0)
            sign = "-" if off < _dt.timedelta(0) else "+"
            minutes = abs(int(off.total_seconds())) // 60
            out += f"{sign}{minutes // 60:02d}{':' if ':' in self.tz else ''}{minutes % 60:02d}"
        return out

    @property
    def resolution(self) -> str | None:
        """The finest unit the text writes, as a polars duration (``1s``, ``1ms``), or None (microseconds or finer)."""
        if self.sep is None:
            return None
        if not self.seconds:
            return "1m"
        if self.digits >= 6:
            return None
        return {0: "1s", 1: "100ms", 2: "10ms", 3: "1ms", 4: "100us", 5: "10us"}[self.digits]


def _date_text(d: _dt.date, pattern: str) -> str:
    """``d`` spelled by one of :data:`_DATE_PATTERNS`.

    >>> _date_text(_dt.date(2020, 7, 3), "%Y-%m-%d"), _date_text(_dt.date(2020, 7, 3), "%-d.%-m.%Y")
    ('2020-07-03', '3.7.2020')
    """
    return (pattern.replace("%Y", f"{d.year:04d}").replace("%-m", str(d.month)).replace("%-d", str(d.day))
            .replace("%m", f"{d.month:02d}").replace("%d", f"{d.day:02d}"))


def _style_from_text(text: str, value: Any, dated: bool) -> list[TemporalStyle]:
    """The styles that write ``value`` as ``text`` exactly (usually one)."""
    if not dated:
        return [TemporalStyle(date=p) for p in _DATE_PATTERNS if _date_text(value, p) == text]
    m = _TIME_TEXT.fullmatch(text)
    if m is None:
        return []
    frac, tz = m.group("frac"), m.group("tz") or ""
    offset = None
    if tz and tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = sign * _dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    out = []
    for p in _DATE_PATTERNS:
        style = TemporalStyle(date=p, sep=m.group("sep"), seconds=m.group("sec") is not None,
                              digits=len(frac) - 1 if frac else 0, tz=("+00:00" if ":" in tz else "+0000") if offset is not None else tz,
                              offset=offset)
        try:
            if style.format(value) == text:
                out.append(style)
        except (ValueError, OverflowError):
            continue
    return out


def temporal_style(typed: pl.Series, texts: Sequence[str | None]) -> TemporalStyle | None:
    """How the input writes a Date/Datetime column, from its text: the style that reproduces most of
    (up to 200 of) its values exactly; None for other columns or when no style fits any value."""
    dt = typed.dtype
    if not (dt == pl.Date or isinstance(dt, pl.Datetime)):
        return None
    dated = isinstance(dt, pl.Datetime)
    pairs = []
    for v, t in zip(typed.head(20_000).to_list(), texts, strict=False):
        if v is not None and t:
            pairs.append((v, t.strip()))
            if len(pairs) >= _STYLE_SAMPLE:
                break
    candidates: list[TemporalStyle] = []
    for v, t in pairs[:20]:
        for style in _style_from_text(t, v, dated):
            if style not in candidates:
                candidates.append(style)
    best, best_hits = None, 0
    for style in candidates:
        hits = sum(1 for v, t in pairs if _formats_as(style, v, t))
        if hits > best_hits:
            best, best_hits = style, hits
    if best is not None and best.offset is not None:  # the offsets written, by date (daylight saving: two or more)
        zone = OffsetZone.learn([(v, t.strip()) for v, t in zip(typed.head(20_000).to_list(), texts, strict=False)
                                 if v is not None and t])
        if zone is not None:
            best = dataclasses.replace(best, zone=zone)
    return best


def _formats_as(style: TemporalStyle, value: Any, text: str) -> bool:
    try:
        return style.format(value) == text
    except (ValueError, OverflowError):
        return False


def _column_styles(values: pl.DataFrame, typed: pl.DataFrame, source: CsvText | JsonText) -> dict[str, TemporalStyle]:
    """How the input writes each Date/Datetime column of ``values``: its CSV fields, or its JSON records' strings."""
    schema = typed.schema  # (built anew on every access: once, not per column)
    temporal = [c for c in values.columns if c in schema and (schema[c] == pl.Date or isinstance(schema[c], pl.Datetime))]
    if isinstance(source, JsonText):
        texts = {c: [t if isinstance(t := r.get(c), str) else None for r in source.records[:20_000]] for c in temporal}
    else:
        header = [c.strip() for c in source.header_fields()]
        positions = {c: k for k, c in enumerate(header)}
        temporal = [c for c in temporal if c in positions]
        columns = source.columns([positions[c] for c in temporal]) if temporal else {}
        texts = {c: columns[positions[c]] for c in temporal}
    styles = {c: temporal_style(typed.get_column(c), texts[c]) for c in temporal}
    return {c: st for c, st in styles.items() if st is not None}


def temporal_like_input(values: pl.DataFrame, typed: pl.DataFrame, source: CsvText | JsonText) -> pl.DataFrame:
    """``values`` with each Date/Datetime column cut to the precision the input's text writes
    (``2020-01-01 10:00`` -> whole minutes), so that :func:`texts_like_input` (CSV) or
    :func:`json_lines` (JSON records) loses nothing."""
    styles = _column_styles(values, typed, source)
    exprs = [pl.col(c).dt.truncate(st.resolution) for c, st in styles.items() if st.resolution is not None]
    values = values.with_columns(exprs) if exprs else values
    for c, st in styles.items():  # whole days (hours, ...) on the clock the text writes, not in UTC
        if st.zone is not None and (unit := st.zone.unit) is not None and unit > 10**3:
            col = values.get_column(c)
            micros = st.zone.snap(col.dt.epoch("us").fill_null(0).to_numpy(), unit)
            new = pl.Series(c, micros, dtype=pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
            if col.null_count():
                new = new.scatter(col.is_null().arg_true(), None)
            values = values.with_columns(new.dt.convert_time_zone(col.dtype.time_zone or "UTC").cast(col.dtype))
    return values


_CLOCK_TEXT = re.compile(r"(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,9}))?)?")


def time_style(texts: Sequence[str | None]) -> Callable[[_dt.time], str] | None:
    """How a CSV column of times of day writes them (``20:30``, ``7:05``, ``20:30:15``, ``20:30:15.250``), from (up
    to 200 of) its cells: a function that writes a new time so, or None when the cells follow no one spelling.

    >>> time_style(["20:30", "07:05"])(_dt.time(5, 7)), time_style(["7:05", "20:30:00"]), time_style(["8:15:30.5"])(_dt.time(9, 1, 2, 250000))
    ('05:07', None, '9:01:02.2')
    """
    shapes = set()
    for t in [t.strip() for t in texts if t and t.strip()][:_STYLE_SAMPLE]:
        m = _CLOCK_TEXT.fullmatch(t)
        if m is None:
            return None
        shapes.add((len(m.group("h")) == 1, m.group("s") is not None, len(m.group("f") or "")))
    if len({(s, f) for _, s, f in shapes}) != 1:
        return None
    padded = not any(short for short, _, _ in shapes)  # (hours from 10 on say nothing: padded, as polars writes)
    (seconds, digits), = {(s, f) for _, s, f in shapes}

    def write(v: _dt.time) -> str:
        out = f"{v.hour:02d}" if padded else str(v.hour)
        out += f":{v.minute:02d}"
        if seconds:
            out += f":{v.second:02d}" + (("." + f"{v.microsecond:06d}000"[:digits]) if digits else "")
        return out

    return write


def texts_like_input(
    values: pl.DataFrame, typed: pl.DataFrame, source: CsvText, *, positions: dict[str, int] | None = None
) -> list[list[str | None]]:
    """Rows of ``values`` (typed like ``typed``, the frame read from ``source``) as CSV field text.

    A value that also occurs in the input column is written as the input writes it (the
    first row holding it: ``00104`` stays ``00104``, ``75.60`` stays ``75.60``, a missing
    value keeps its spelling, ``?`` or ``NA``); other values are formatted by
    :func:`format_value` (zero-padded to the column's width when the input writes that
    integer column with leading zeros; dates and datetimes in the column's own style, see
    :func:`temporal_style`; floats with the column's decimals, or positional where it writes no exponent, see
    :func:`float_style`). Columns of the input that ``values`` lacks are left empty.
    """
    header = [c.strip() for c in source.header_fields()]
    positions = positions or {c: k for k, c in enumerate(header)}
    wanted = [positions[c] for c in values.columns if c in positions and c in typed.columns]
    texts = source.columns(wanted)
    cols: list[list[str | None]] = []
    for k, name in enumerate(header):
        if name not in values.columns:
            cols.append([None] * values.height)
            continue
        col = values.get_column(name)
        known = name in typed.columns and k in texts
        donors = _donor_texts(typed.get_column(name), texts[k]) if known else {}
        width = _zero_padded_width(texts[k]) if known and col.dtype.is_integer() else 0
        style = temporal_style(typed.get_column(name), texts[k]) if known else None
        clock = time_style(texts[k]) if known and col.dtype == pl.Time else None
        floats = None
        if known and col.dtype.is_float() and typed.get_column(name).dtype.is_float():  # (the cells of numbers only)
            floats = float_style([t for t, v in zip(texts[k], typed.get_column(name).to_list(), strict=False)
                                  if v is not None and math.isfinite(v)])
        out: list[str | None] = []
        for v in col.to_list():
            try:
                if v in donors:
                    out.append(donors[v])
                    continue
            except TypeError:  # unhashable (nested) values
                pass
            if style is not None and isinstance(v, _dt.date):
                try:
                    out.append(style.format(v))
                    continue
                except (ValueError, OverflowError):
                    pass
            if floats is not None and isinstance(v, float) and math.isfinite(v):
                out.append(floats(v))
                continue
            if clock is not None and isinstance(v, _dt.time):
                out.append(clock(v))
                continue
            cell = format_value(v)
            out.append(cell.zfill(width) if width and cell is not None and cell.isdigit() else cell)
        cols.append(out)
    return [list(r) for r in zip(*cols, strict=True)] if cols else []
