"""Terminal output: the stdout/stderr consoles, progress bars and summary rendering.

stdout carries the command's result (the rich summary, or one JSON document with
``--json``); logs and progress go to stderr.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import stat
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from ..report.formats import label_text, number_text, target_text

__all__ = [
    "esc",
    "visible",
    "print_error",
    "stderr_console",
    "stdout_console",
    "setup_logging",
    "progress_reporter",
    "print_json",
    "write_stdout",
    "flush_stdout",
    "render_score",
    "StagedOutputs",
    "staged_outputs",
    "committed_outputs",
    "note_signal",
    "signals_received",
    "start_run",
]


def visible(value: Any) -> str:
    """``str(value)`` with control characters written as visible escapes (``\\n``, ``\\x1b``, ...).

    For text printed without markup (``markup=False``): a CR or LF in a class label,
    column name or file name cannot start a line that a CI runner reads as a workflow
    command, and ESC cannot start a terminal escape sequence. See
    :func:`dvclean.report.formats.escape_controls`.
    """
    from ..report.formats import escape_controls

    return escape_controls(value)


def esc(value: Any) -> str:
    """``str(value)`` with control characters made visible and rich markup escaped: every data- or
    exception-derived string printed through rich goes through it.

    Class values, column names, paths and messages may hold brackets (``[/]``,
    ``[red]low``) that rich would otherwise parse as markup (and crash or swallow), and
    control characters (a newline that starts a forged ``::error::`` line in CI, ESC
    sequences) that :func:`visible` writes as escapes.
    """
    return escape(visible(value))


def _to_devnull(stream: Any) -> None:
    """Point ``stream``'s file descriptor at /dev/null (the reader of a pipe went away).

    What the Python docs recommend for ``BrokenPipeError``: later writes, and the
    flush at exit, then succeed silently, so the command keeps its own exit code.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # not a real file (e.g. a test runner's buffer)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


#: The classes the summary's ``classes:`` line names with their counts (the others are counted).
SHOWN_CLASSES = 30


class _Console(Console):
    """A console that survives a closed pipe: it goes quiet instead of exiting 1 as rich does; it prints ``:smile:``
    as written (rich's emoji codes would turn a class or a file so named into a picture no other output shows)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def on_broken_pipe(self) -> None:
        self.quiet = True
        _to_devnull(self.file)


def real_terminal(console: Console) -> bool:
    """Whether the console's file is a terminal. rich's ``is_terminal`` is also true under ``FORCE_COLOR`` (set by
    many CI systems), which must change the colours only: never the layout of a log or a pipe."""
    try:
        return console.is_terminal and console.file.isatty()
    except (AttributeError, OSError, ValueError):
        return False


def stderr_console() -> Console:
    """Console for logs and progress (never animated under CI or outside a terminal)."""
    console = _Console(stderr=True, force_interactive=False if os.environ.get("CI") else None, soft_wrap=True)
    if not real_terminal(console):
        console.is_interactive = False
    return console


def stdout_console(*, soft_wrap: bool | None = None) -> Console:
    """Console for human-readable results.

    ``soft_wrap``: never break a long line (one line per item, as ``check`` prints its checks).
    The default breaks lines in a terminal only: in a pipe or a CI log a line is never split at a
    space, where the rest of a value from the data (``x ::add-mask::y``) would start a new line
    that the CI runner reads as a workflow command (a table's lines start with its border).
    """
    console = _Console(soft_wrap=bool(soft_wrap))
    terminal = real_terminal(console)
    if soft_wrap is None:
        console.soft_wrap = not terminal
    if not terminal:
        # no terminal to fit (COLUMNS and FORCE_COLOR aside): a table takes its natural width instead of cutting or
        # wrapping its cells (a row id shown as "2…")
        console.width = UNWRAPPED_WIDTH
    return console


#: Width of stdout's console outside a terminal (whatever ``COLUMNS`` says): wide enough that no table cell wraps.
UNWRAPPED_WIDTH = 4096


def write_stdout(text: str) -> None:
    """Write plain text on stdout; a closed pipe (``| head``) is not an error, a full device is one (exit 2)."""
    try:
        _write_all(sys.stdout, text)
    except BrokenPipeError:
        _to_devnull(sys.stdout)


def write_stdout_path(path: Any) -> None:
    """Write a written file's path on its own line of stdout, for a script (``html=$(dvclean report ...)``): the
    name's own bytes, as the file system holds them, whatever the encoding of stdout or of the name (a name that is
    not UTF-8, an ASCII ``PYTHONIOENCODING``), so the line opens the file. A name with control characters is written
    with them escaped (:func:`visible`), as every other printed name is."""
    import os

    text = str(path)
    plain = "".join(c for c in text if not "\ud800" <= c <= "\udfff")  # (a name's undecodable bytes)
    if visible(plain) != plain or getattr(sys.stdout, "buffer", None) is None:
        write_stdout(f"{visible(text)}\n")
        return
    try:
        _write_all(sys.stdout, os.fsencode(text) + b"\n")
    except BrokenPipeError:
        _to_devnull(sys.stdout)


def _write_all(stream: Any, text: str | bytes) -> None:
    """Write ``text`` whole: an unbuffered stdout (``PYTHONUNBUFFERED=1``, common in CI images) drops what a short
    write leaves over without an error, so a JSON document cut short by a full disk exited 0. The bytes go through
    the binary layer until all are written; one that takes none raises ``ENOSPC``."""
    import errno

    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        stream.write(text)
        stream.flush()
        return
    stream.flush()
    view = memoryview(text if isinstance(text, bytes) else text.encode(stream.encoding or "utf-8",
                                                                       stream.errors or "strict"))
    while view.nbytes:
        n = buffer.write(view)
        if n is None:  # a non-blocking stream that would block: the rest through the text layer
            stream.write(view.tobytes().decode(stream.encoding or "utf-8", stream.errors or "strict"))
            break
        if n <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        view = view[n:]
    buffer.flush()


def flush_stdout() -> None:
    """Flush stdout before exiting; a closed pipe is not an error (keeps the exit code)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            _to_devnull(stream)
        except (AttributeError, OSError, ValueError):
            pass


#: The last error message printed (``error: ...``), for a check of several files to put in its JUnit document.
LAST_ERRORS: list[str] = []


def print_error(console: Console, prefix: str, message: str, *, style: str = "bold red", trailer: str = "") -> None:
    """``prefix message`` on ``console``; the message is never parsed as markup (it may hold brackets), and its
    control characters are made visible (:func:`visible`: it may hold a column or file name). ``trailer``:
    dvclean's own text after it (may span lines)."""
    if prefix == "error:":
        LAST_ERRORS[:] = [visible(message)]  # (the JUnit document of several files names each file's error)
    try:
        console.print(Text.assemble((prefix, style), " ", visible(message), trailer), highlight=False)
    except OSError:  # stderr full or gone: the exit code still tells the error (a message unwritable is no new one)
        _to_devnull(console.file)


def setup_logging(console: Console, *, quiet: bool, verbose: int, notes_printed: bool = False) -> None:
    """Route library logging to stderr: WARNING by default, INFO with -v, DEBUG with -vv, ERROR with -q.

    ``notes_printed``: the command prints the summary's notes itself, so the log records
    that repeat them (``extra=dvclean.pipeline.NOTE``) are not shown twice.
    """
    if quiet and verbose:
        _refuse_quiet_and_verbose()
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    root = logging.getLogger("dvclean")
    handler = _LogHandler(console=console, show_time=False, show_path=False, markup=False)
    handler.addFilter(_visible_record)  # a log message may name a file or a column
    if notes_printed:
        handler.addFilter(lambda record: not getattr(record, "dvclean_note", False))
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    warnings.showwarning = _show_warning


def _refuse_quiet_and_verbose() -> None:
    """``--quiet`` and ``--verbose`` together: a usage error (``-q`` would silence what ``-v`` asked for), saying
    which of them a configuration file set (one typed on the command line has already put the file's other aside:
    :func:`dvclean.cli._config.configurable`)."""
    from ..errors import ConfigError

    try:
        from ._config import effective_config

        values = effective_config()["values"]
    except Exception:  # noqa: BLE001 - no command context: both were given as arguments
        values = {}
    files = {name: src for name in ("quiet", "verbose")
             if (src := (values.get(name) or (None, ""))[1]) and src not in ("command line", "default")}
    if files:  # (both from files: one alone was put aside by the other typed)
        fix = "; ".join(f"remove {name} from {src}" for name, src in files.items())
    else:
        fix = "drop one of them"
    raise ConfigError("--quiet and --verbose contradict each other (--quiet prints nothing but errors, --verbose more "
                      f"log output): {fix}")


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    """Show a library's Python warning as a one-line log record (``warnings.showwarning`` of the CLI).

    Python prints a warning as two lines with the source line of the library that raised it;
    a warning's text may quote data (a column name, a category), so it goes through the log
    handler instead: escaped like every log line, one line, hidden by ``-q``.
    """
    logging.getLogger("dvclean.warnings").warning("%s: %s", category.__name__, message)


class _LogHandler(RichHandler):
    """rich's log handler; outside a terminal (a pipe, a CI log) each record is one line, never wrapped.

    rich lays a record out as a table whose message column wraps at the console's width,
    and a wrapped line that starts with part of a file or column name (``::stop-commands::x``,
    after the indentation that the CI runner trims) would be read as a workflow command.
    """

    def render(self, *, record: logging.LogRecord, traceback: Any, message_renderable: Any) -> Any:
        if real_terminal(self.console) or traceback is not None or not isinstance(message_renderable, Text):
            return super().render(record=record, traceback=traceback, message_renderable=message_renderable)
        return Text.assemble((f"{record.levelname:<8}", f"logging.level.{record.levelname.lower()}"), " ", message_renderable)


def _visible_record(record: logging.LogRecord) -> bool:
    """Make a log record's message one line of visible text (:func:`visible`), whatever its arguments hold."""
    try:
        message = record.getMessage()
    except Exception:  # a malformed record: let the handler report it as logging does
        return True
    record.msg, record.args = visible(message), None
    return True


@contextmanager
def progress_reporter(console: Console, *, enabled: bool) -> Iterator[Any]:
    """Yield a ``progress(step, done, total)`` callback drawing rich bars on stderr."""
    if not enabled or not real_terminal(console):
        yield None
        return
    tasks: dict[str, TaskID] = {}
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),  # (it read "0:00:01 left 0:00:23": the first time is the elapsed one)
        TimeRemainingColumn(),  # at most: a method that converges early stops before its total
        TextColumn("left"),
        console=console,
        transient=False,
    ) as bar:

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=total)
            bar.update(tasks[step], completed=done, total=total)

        yield report


def print_json(doc: dict[str, Any]) -> None:
    """Write one JSON document on stdout (never through rich, which would wrap it).

    One line whose values are exact; a ``[`` after ``##`` (only ever inside a string) is
    written ``\\u005b``, the same character to a JSON reader, because the GitHub runner reads
    ``##[command]`` anywhere in a log line as a workflow command.
    """
    text = json.dumps(_utf8_names(doc), default=str, allow_nan=False)
    write_stdout(text.replace("##[", "##\\u005b") + "\n")


def _utf8_names(value: Any) -> Any:
    """``value`` with each text that holds a file name's undecoded bytes (lone surrogates: a UTF-8 name Python
    decoded as ASCII, under LC_ALL=C with PYTHONUTF8=0) spelled as those bytes read as UTF-8, so that a JSON
    reader gets ``données.csv``, not ``donn\\udcc3\\udca9es.csv``; bytes that are not UTF-8 stay escaped."""
    import os

    if isinstance(value, str):
        if value.isascii() or not any("\udc80" <= c <= "\udcff" for c in value):
            return value
        try:
            return os.fsencode(value).decode("utf-8")
        except (UnicodeError, ValueError):
            return value
    if isinstance(value, dict):
        return {k: _utf8_names(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_utf8_names(v) for v in value]
    return value


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return number_text(v)
    return "" if v is None else str(v)


def render_score(console: Console, summary: dict[str, Any], output: str | None, *, frame: Any = None) -> None:
    """Print the human summary of a ``score`` run. ``frame``: the run's per-row scores (``ScoreResult.frame``),
    from which a regression target's table lists its outlying targets (:func:`_target_table_rows`); without it,
    the summary's ``most_suspicious`` rows."""
    rows = summary["rows"]
    console.print(
        f"[bold]dvclean score[/bold] {esc(summary['input']['path'])}: {rows['total']} rows, "
        f"{summary['features']['encoded_dimensions']} encoded feature{'' if summary['features']['encoded_dimensions'] == 1 else 's'}, "
        f"label [bold]{esc(summary['label'])}[/bold]",
        highlight=False,
    )
    validation = summary.get("validation")
    if validation and validation != "leave-self-out":  # (else every row is a validation point for the others)
        console.print(f"valued against the --valid {esc(validation)}", highlight=False)
    for name, method in summary["methods"].items():  # the primary (the value column) first, then value_<name> ones
        diag = method["diagnostics"]
        algo = diag.get("algorithm", method["status"])
        extra = f", K*={diag['k_star']}, eps={diag['eps']}, neighbours: {diag['neighbors']}" if algo == "approx" else ""
        if name == "knn":
            asked = ((summary.get("config") or {}).get("knn") or {}).get("algorithm", "auto")
            chosen = "chosen" if asked == "auto" else f"(--algorithm {asked})"
            how = f"{algo} path {chosen} for {diag.get('n_players', rows['valued'])} rows; K={diag.get('k')}{extra}"
        else:
            how = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in diag.items()
                            if isinstance(v, (int, float, str)) and k != "seconds")[:200]
        seconds = summary["timings"].get(f"value.{name}", diag.get("seconds", 0.0))
        console.print(f"method {name} ({method['status']}; {esc(how)}) in {seconds:.2f}s", highlight=False)
    correlations = {pair: r for pair, r in (summary.get("rank_correlations") or {}).items() if r is not None}
    if correlations:
        console.print("rank correlation (Spearman) of the values: "
                      + ", ".join(f"{pair.replace('~', ' ~ ')} {r:.2f}" for pair, r in correlations.items()), highlight=False)
    for name, m in summary["methods"].items():  # what a --resume took over from the checkpoint
        resumed = (m.get("diagnostics") or {}).get("resumed_from")
        if resumed and any(resumed):
            unit = "restarts" if name == "dvgs" else "permutations"
            console.print(f"{name}: resumed from the checkpoint at {', '.join(map(str, resumed))} {unit} "
                          f"(per fold)", highlight=False)
    task = summary.get("task") or {}
    regression = task.get("name") == "regression"
    if regression:
        t = summary.get("target") or {}
        console.print(f"task: regression ({esc(task.get('reason'))})", highlight=False)
        console.print(
            f"target: mean {target_text(t.get('mean'), t.get('std'))}, std {_fmt(t.get('std'))}, "
            f"range {target_text(t.get('min'), t.get('std'))} to {target_text(t.get('max'), t.get('std'))}",
            highlight=False,
        )
    else:
        if task.get("reason"):  # (a frame valued by the library may carry none)
            console.print(f"task: classification ({esc(task['reason'])})", highlight=False)
        counts = list(summary["classes"].items())
        classes = ", ".join(f"{label_text(c)}: {n}" for c, n in counts[:SHOWN_CLASSES])
        if len(counts) > SHOWN_CLASSES:  # (200 classes made one line of 1,900 characters; --json lists them all)
            classes += f" and {len(counts) - SHOWN_CLASSES} more (--json lists every class)"
        console.print(f"classes: {esc(classes)}", highlight=False)
    if rows["label_missing"]:
        n, blank = rows["label_missing"], rows.get("label_blank", 0)
        why = "an empty cell, or in a CSV a text such as NA, None or null; --null-values '' keeps a class spelled so"
        if blank:  # (a label of only spaces is missing whatever --null-values says: the hint is for the others)
            spaces = ("their cells hold only spaces" if blank == n else f"{blank} of them hold only spaces")
            why = f"{spaces}, missing whatever --null-values says" + ("" if blank == n else f"; the others: {why}")
        console.print(f"[yellow]{n} {'rows have' if n != 1 else 'row has'} no label: not valued, kept in the output "
                      f"({esc(why)})[/yellow]")
    flags = summary["flags"]
    what = ("outlying target" + ("s" if flags["mislabeled"] != 1 else "")) if regression else "likely mislabeled"
    console.print(
        f"flagged: [bold red]{flags['mislabeled']}[/bold red] {what} "
        f"({flags['mislabeled_fraction']:.1%}), [bold]{flags['hard']}[/bold] hard ({flags['hard_fraction']:.1%})"
    )
    if dups := flags.get("conflicting_duplicates"):
        other = "a target far from theirs" if regression else "another label"
        console.print(f"conflicting duplicates: {dups:,} row{'s' if dups != 1 else ''} share their feature values with "
                      f"rows of {other} (is_conflicting_duplicate)", highlight=False)
    rule_kind = "outlier rule" if regression else "mislabel rule"  # (a regression target's flags: outlying targets)
    if flags.get("signal_weights"):
        shown = {"model": "model", "oob": "OOB", "neighbors": "neighbours", "linear": "linear"}
        weights = ", ".join(f"{shown.get(k, k)} {v:.2f}" for k, v in flags["signal_weights"].items())
        console.print(f"{rule_kind}: {esc(flags.get('rule'))} (evidence weights: {weights})", highlight=False)
    elif flags.get("rule"):  # (the knn rule weighs no evidence, and a switch to it is told in a note)
        console.print(f"{rule_kind}: {esc(flags['rule'])}", highlight=False)
    est = flags.get("count_estimates")
    if est:
        parts = [f"knn rule {est['knn_rule']}", f"Confident Learning {est['confident_pooled']} (pooled)"]
        if "confident_model" in est:
            parts.append(f"{est['confident_model']} (model)")
        if "flip_mixture" in est:
            parts.append(f"flip mixture {est['flip_mixture']}")
        console.print(f"wrong labels estimated: {', '.join(parts)}; median {est['median']:g}", highlight=False)
    if regression:
        table = _target_table(summary, frame)
    else:
        table = Table(title="10 lowest-valued rows (most harmful first; mislabel_score ranks the flags)",
                      title_justify="left")
        for col in ("row", "label", "neighbours' label", "value", "mislabel score", "flag"):
            table.add_column(col, justify="right" if col in ("row", "value", "mislabel score") else "left")
        for r in summary["most_suspicious"]:
            table.add_row(
                esc(_fmt(r["row_id"])), esc(label_text(r["label"])), esc(label_text(r["neighbor_label"])),
                _fmt(r["value"]), _fmt(r["mislabel_score"]),
                "mislabeled" if r["is_mislabeled"] else ("hard" if r.get("is_hard") else ""),
            )
    _print_table(console, table)
    for note in summary.get("notes", []):
        console.print(f"note: {esc(note)}", highlight=False)
    from ..pipeline import total_seconds

    total = total_seconds(summary["timings"])
    wrote = " and ".join(esc(p) for p in (output, summary.get("report")) if p)
    console.print(f"time: {total:.2f}s" + (f"; wrote {wrote}" if wrote else ""), highlight=False)


#: Rows in the score table.
TABLE_ROWS = 10


def _target_table_rows(summary: dict[str, Any], frame: Any = None) -> tuple[list[dict[str, Any]], str]:
    """The rows of a regression target's score table and its title: the outlying targets first, the most outlying
    (largest |target_z|, the robust z their flag rests on) first, then the lowest-valued of the other rows. Under a
    squared-error utility the values rank rows by their distance from the few largest targets, not by their own
    error: on 1,000 temperatures with 32 flagged, the 10 lowest-valued rows held 6 of the 32 and 4 unflagged rows.
    ``frame`` (``ScoreResult.frame``) gives every flagged row; without it the summary's ``most_suspicious`` rows
    (the lowest-valued) are reordered so.

    >>> rows = [{"row_id": i, "is_mislabeled": f, "target_z": z} for i, f, z in
    ...         [(0, False, 1.0), (1, True, 4.0), (2, True, -9.0), (3, False, -2.0)]]
    >>> [r["row_id"] for r in _target_table_rows({"most_suspicious": rows})[0]]
    [2, 1, 0, 3]
    """
    if frame is None:
        rows = summary["most_suspicious"]
        flagged = sorted((r for r in rows if r["is_mislabeled"]), key=lambda r: -abs(r.get("target_z") or 0.0))
        rows = [*flagged, *(r for r in rows if not r["is_mislabeled"])]
        title = (f"{len(rows)} lowest-valued rows, the outlying targets first (largest |target_z| first; the output "
                 "lists every flagged row)")
        return rows, title
    import polars as pl

    id_name = frame.columns[0]
    valued = frame.filter(pl.col("value_rank").is_not_null())
    is_flagged = pl.col("is_mislabeled").fill_null(False)
    flagged = (valued.filter(is_flagged).with_columns(pl.col("target_z").abs().alias("__abs_z"))
               .sort(["__abs_z", "value_rank"], descending=[True, False], nulls_last=True))
    n_flagged = flagged.height
    rest = valued.filter(~is_flagged).sort("value_rank").head(max(0, TABLE_ROWS - n_flagged))
    keys = ("label", "neighbor_label", "value", "mislabel_score", "is_mislabeled", "is_hard", "predicted_value",
            "target_z")
    rows = [{"row_id": r[id_name], **{k: r.get(k) for k in keys}}
            for part in (flagged.head(TABLE_ROWS), rest) for r in part.iter_rows(named=True)]
    if n_flagged > TABLE_ROWS:
        title = (f"the {TABLE_ROWS} most outlying of the {n_flagged} outlying targets (largest |target_z| first; the "
                 "output lists every row)")
    elif n_flagged:
        title = (f"the {n_flagged} outlying target{'s' if n_flagged != 1 else ''} (largest |target_z| first), then "
                 "the lowest-valued rows (most harmful first)")
    else:
        title = f"{len(rows)} lowest-valued rows (most harmful first; no outlying target)"
    return rows, title


def _target_table(summary: dict[str, Any], frame: Any = None) -> Table:
    """A regression target's score table: each row's target, its out-of-sample prediction and the residual's
    robust z (``predicted_value``, ``target_z``: the flag rests on them), the neighbours' mean, the value and
    the flag, in :func:`_target_table_rows`'s order."""
    rows, title = _target_table_rows(summary, frame)
    table = Table(title=title, title_justify="left")
    for col in ("row", "label", "predicted", "target_z", "neighbours' mean", "value", "flag"):
        table.add_column(col, justify="left" if col in ("label", "predicted", "neighbours' mean", "flag") else "right")
    spread = (summary.get("target") or {}).get("std")
    for r in rows:
        z = r.get("target_z")
        table.add_row(
            esc(_fmt(r["row_id"])), esc(target_text(r["label"], spread)), esc(target_text(r.get("predicted_value"), spread)),
            "" if z is None else f"{z:+.2f}", esc(target_text(r["neighbor_label"], spread)), _fmt(r["value"]),
            "outlying" if r["is_mislabeled"] else ("hard" if r.get("is_hard") else ""),
        )
    return table


#: :func:`_print_table`: a text cell may wrap to this width (a long class name over several lines).
_WRAP_WIDTH = 10
#: The score tables' columns of numbers, which are never cut (:func:`_print_table`).
_NUMBER_COLUMNS = ("row", "value", "mislabel score", "target_z")


def _print_table(console: Any, table: Any) -> None:
    """``table``, its numbers never cut (long class names wrap), or in a terminal too narrow for that (40 columns:
    every value was cut to ``-0.…``) one line per row, ``row 341: label >50K, neighbours' label <=50K, value
    -0.0077, ...``."""
    columns = [list(c.cells) for c in table.columns]
    needed = 3 * len(columns) + 1  # (the borders and padding)
    for col, cells in zip(table.columns, columns, strict=True):
        widest = max((len(str(x)) for x in cells), default=0)
        if col.header in _NUMBER_COLUMNS:
            col.min_width = widest
        needed += widest if col.header in _NUMBER_COLUMNS else min(widest, _WRAP_WIDTH)
    if needed <= console.width or not table.columns:
        console.print(table)
        return
    console.print(table.title, highlight=False)
    headers = [str(c.header) for c in table.columns]
    for row in zip(*columns, strict=True):
        parts = [f"{h} {v}" for h, v in zip(headers[1:], row[1:], strict=True) if str(v)]
        console.print(f"{headers[0]} {row[0]}: " + ", ".join(parts), highlight=False)


# ---------------------------------------------------------------- all outputs of a command, or none

#: The outputs the running command has put in place (:meth:`StagedOutputs.commit`); read by the error boundary.
_COMMITTED: list[Path] = []
#: The signals (SIGINT, SIGTERM) the running command has received, even where a library swallowed their exception.
_SIGNALS: list[int] = []


#: Each staged output's path -> the output it stands for (as given), to name the output in an error message.
_STAGED_FOR: dict[str, str] = {}


def output_named(path: str | os.PathLike[str]) -> str:
    """The output a path written now stands for: ``o.json`` for its staged file ``.o.json.<pid>.<random>.stage/o.json``,
    else the path itself."""
    return _STAGED_FOR.get(str(path), str(path))


def committed_outputs() -> list[Path]:
    """The output files the running command has already put in place (empty until its outputs are committed)."""
    return list(_COMMITTED)


#: Outputs a command writes for its own use (the per-file JUnit documents a check of several files merges into the
#: one asked for): never named among the outputs written.
INTERNAL_OUTPUTS: set[str] = set()


def note_committed(path: str | os.PathLike[str]) -> None:
    """Record an output put in place outside :class:`StagedOutputs` (a merged document), for the error boundary."""
    _COMMITTED.append(Path(path))


def note_signal(signum: int) -> None:
    """Record that the running command received ``signum`` (its handler then raises as usual)."""
    _SIGNALS.append(signum)


#: The signals a command handles, with the word and exit code that report them (128 + the signal's number):
#: Ctrl-C, SIGTERM (``timeout``, a CI runner cancelling a job) and SIGHUP (the terminal or ssh session closed),
#: where the platform has it.
STOP_SIGNALS: dict[int, tuple[str, int]] = {
    int(signal.SIGINT): ("interrupted", 130),
    int(signal.SIGTERM): ("terminated", 143),
    **({int(signal.SIGHUP): ("hung up", 129)} if hasattr(signal, "SIGHUP") else {}),
}


def stop_report(signum: int) -> tuple[str, int]:
    """The word (``interrupted``, ``terminated``, ``hung up``) and exit code (130, 143, 129) of a stop signal."""
    return STOP_SIGNALS.get(int(signum), ("interrupted", 130))


def signals_received() -> list[int]:
    """The SIGINT/SIGTERM signals the running command received (a C callback may have swallowed their exception)."""
    return list(_SIGNALS)


#: Whether a command's error boundary has started (it reports an interrupt itself from then on).
_STARTED: list[bool] = []


def start_run() -> None:
    """Start a command with no committed outputs and no signal received (called by the error boundary)."""
    _COMMITTED.clear()
    _SIGNALS.clear()
    _REPORTED.clear()
    _STARTED[:] = [True]


#: Set once the error boundary has said that the run was interrupted (so the entry point does not say it again).
_REPORTED: list[bool] = []


def mark_interrupt_reported() -> None:
    """Record that the interruption message has been printed."""
    _REPORTED[:] = [True]


def interrupt_reported() -> bool:
    """True once the running command's interruption has been reported."""
    return bool(_REPORTED)


def run_started() -> bool:
    """True once a command's error boundary has started (before it, a Ctrl-C ends the parsing of the options)."""
    return bool(_STARTED)


@contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back for a few renames; they are delivered (and handled) right after."""
    held = set(STOP_SIGNALS)
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):  # no pthread_sigmask on this platform
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, previous)


_STAGE_SUFFIX = ".stage"


def _remove_stale_stages(directory: Path, name: str) -> None:
    """Remove the staging directories of ``name`` that runs which no longer exist (SIGKILL) left in ``directory``."""
    from ..io import _pid_alive, temp_stem

    prefix = temp_stem(name, _STAGE_SUFFIX)
    try:
        candidates = [p for p in directory.iterdir() if p.name.startswith(prefix) and p.name.endswith(_STAGE_SUFFIX)]
    except OSError:
        return
    for p in candidates:
        pid_text, _, rand = p.name[len(prefix) : -len(_STAGE_SUFFIX)].partition(".")
        if not (pid_text.isdigit() and len(rand) == 8 and p.is_dir() and not p.is_symlink()):
            continue
        if int(pid_text) == os.getpid() or _pid_alive(int(pid_text)):
            continue
        shutil.rmtree(p, ignore_errors=True)


class StagedOutputs:
    """The output files of one command, written aside and moved into place together: all of them, or none.

    :meth:`path` gives the path to write an output to now: the output's own file name in
    a new hidden directory (``.<name>.<pid>.<random>.stage``) beside the file the output
    names (a symbolic link's target), so a library writer that picks the format and the
    compression from the name writes there exactly what it would write at the output, and
    the final rename stays on one file system. :meth:`commit` renames every staged file
    over its output with Ctrl-C and SIGTERM held back; an error or an interruption before
    that leaves no output of this run behind (and earlier files of those names untouched).
    :meth:`discard` removes the staging directories (whatever they still hold).
    """

    def __init__(self) -> None:
        self._staged: list[tuple[Path, Path, Path]] = []  # (staged file, final file, staging directory)

    def path(self, target: str | os.PathLike[str]) -> Path:
        """Where to write the output ``target`` now (its file name in a fresh staging directory)."""
        from ..errors import OutputError
        from ..io import resolve_output, temp_prefix

        final = resolve_output(target)
        directory = final.parent if str(final.parent) else Path(".")
        _remove_stale_stages(directory, final.name)
        try:
            stage = Path(tempfile.mkdtemp(dir=directory, prefix=temp_prefix(final.name, _STAGE_SUFFIX), suffix=_STAGE_SUFFIX))
        except OSError as exc:
            raise OutputError(f"{target}: cannot write to {directory} ({exc.strerror or exc}); choose another path") from None
        staged = stage / (Path(target).name or final.name)
        self._staged.append((staged, final, stage))
        _STAGED_FOR[str(staged)] = str(target)
        return staged

    def commit(self) -> list[Path]:
        """Move every staged output into place (signals held back meanwhile); return the final paths."""
        if _SIGNALS:  # interrupted, but a library swallowed the exception and carried on: write nothing
            from .commands import _Terminated

            raise _Terminated() if _SIGNALS[-1] != signal.SIGINT else KeyboardInterrupt()
        missing = [str(final) for staged, final, _ in self._staged if not staged.is_file()]
        if missing:  # a writer wrote elsewhere (a bug): nothing is moved
            raise RuntimeError(f"the output {', '.join(missing)} was not written where it was staged")
        with _signals_held():
            # (final, where its earlier file is kept, whether that is a second name of it, the staged file)
            moved: list[tuple[Path, Path | None, bool, Path]] = []
            try:
                for staged, final, stage in self._staged:
                    previous, linked = None, False
                    if os.path.lexists(final):  # keep the earlier file aside first: it comes back if a rename fails
                        mode = stat.S_IMODE(os.stat(final).st_mode)  # (an existing output keeps its permission bits)
                        os.chmod(staged, mode)
                        previous = stage / ".previous"
                        try:  # a second name for it: the output's path holds the old file until the new one replaces it
                            os.link(final, previous, follow_symlinks=False)
                            linked = True
                        except OSError:  # (no hard links here, or another user's file): moved aside instead
                            os.replace(final, previous)
                    moved.append((final, previous, linked, staged))
                    os.replace(staged, final)
            except BaseException as exc:
                # undo: all the outputs, or none -- after a failed rename, and after Ctrl-C or SIGTERM too (a thread
                # of a native library may take the signal that this thread holds back, and Python raises it here)
                for final, previous, linked, staged in reversed(moved):
                    try:
                        if os.path.lexists(staged):  # not renamed in: the earlier file back where it was moved from
                            if previous is not None and not linked:
                                os.replace(previous, final)
                        elif previous is not None:
                            os.replace(previous, final)
                        else:
                            os.unlink(final)
                    except OSError:  # pragma: no cover - the directory changed under us
                        pass
                if not isinstance(exc, OSError):
                    raise
                from ..errors import OutputError

                where = getattr(exc, "filename", None) or "an output"
                raise OutputError(
                    f"cannot put {where} in place ({exc.strerror or exc}); no output was written: "
                    "check that the file can be replaced (permissions, immutable or another user's file) or choose "
                    "another path"
                ) from None
            _COMMITTED.extend(final for final, _, _, _ in moved if str(final) not in INTERNAL_OUTPUTS)
        return [final for _, final, _ in self._staged]

    def discard(self) -> None:
        """Remove the staging directories and whatever they still hold."""
        with _signals_held():
            for _, _, stage in self._staged:
                shutil.rmtree(stage, ignore_errors=True)
            self._staged.clear()


@contextmanager
def staged_outputs() -> Iterator[StagedOutputs]:
    """``with staged_outputs() as stage: write(..., stage.path(out)) ...``: commit on success, discard always."""
    stage = StagedOutputs()
    try:
        yield stage
        with _signals_held():  # the renames and the clean-up together: Ctrl-C or SIGTERM is handled after both
            try:
                stage.commit()
            finally:
                stage.discard()
    finally:
        stage.discard()  # (after an error or an interruption before the commit; nothing left to do after it)
