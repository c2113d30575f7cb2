"""Command definitions. Each command parses options, calls one library function and renders.

Errors: every command body runs inside :func:`guarded`, the single error
boundary. A :class:`~dvclean.errors.DvcleanError` becomes a one-line message and
exit code 2; any other exception is an internal error (exit 3, traceback only
with ``--debug``); Ctrl-C exits 130, SIGTERM 143 and SIGHUP 129. No output file is left
behind in any of these cases (outputs are written atomically).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ._config import configurable, toml_repr
from ._help import install as _install_help
from ._scoring import (  # noqa: F401  (Algorithm, Task, TASK_HELP, _methods: importable from here as before)
    _DEFAULT_ALGORITHM,
    _DEFAULT_TASK,
    TASK_HELP,
    Algorithm,
    Scoring,
    Task,
    _methods,
    scoring_options,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_HELP = """\
Exit codes: 0 success; 1 a data-quality check failed; 2 usage or input error;
3 internal error (please report); 130 interrupted (Ctrl-C); 143 terminated; 129 hung up.
"""

_install_help()  # flags and counts show no value in --help, arguments DATA in the usage line (see _help)

app = typer.Typer(
    name="dvclean",
    help="Find bad rows in tabular data with data valuation, and fix the data.\n\n" + EXIT_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from .._version import __version__
        from ._output import write_stdout

        write_stdout(f"dvclean {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", "-V", is_eager=True, callback=_print_version,
                                          help="Print the dvclean version and exit (`dvclean version -v` also "
                                               "prints the dependencies).")] = False,
) -> None:
    """Find bad rows in tabular data with data valuation, and fix the data."""


class _Terminated(BaseException):  # like KeyboardInterrupt: never caught by `except Exception`
    pass


def _on_sigterm(signum: int, frame: Any) -> None:
    from ._output import note_signal

    note_signal(signum)
    raise _Terminated()


def _on_sigint(signum: int, frame: Any) -> None:
    from ._output import note_signal

    note_signal(signum)
    raise KeyboardInterrupt


def _record_signal(signum: int, frame: Any) -> None:
    """While a run's end is reported: a further signal is recorded, not raised (it would interrupt the report)."""
    from ._output import note_signal

    note_signal(signum)


#: Set by the console-script entry point: a command's handlers stay record-only after it returns, so that a
#: signal during the process's exit is reported by :func:`dvclean.cli.main` (143 and what was written) rather than
#: killing it silently (the default SIGTERM handler, put back, did). In-process callers get their handlers back.
_RECORD_AFTER_RUN: list[bool] = []


def record_signals_after_run(on: bool) -> None:
    """Keep the commands' signal handlers record-only once they return (``on``: the console script's
    :func:`dvclean.cli.main`, which reports a late signal and then puts its own handlers back)."""
    _RECORD_AFTER_RUN[:] = [True] if on else []


def _mute_handlers(replaced: dict[int, Any]) -> None:
    """Make our handlers of ``replaced`` record-only: the run is ending, its one-line report must not be cut off
    (``timeout`` signals a process and its group: two SIGTERMs are common in CI)."""
    for signum in replaced:
        with contextlib.suppress(ValueError):
            signal.signal(signum, _record_signal)


def _install_handlers() -> dict[int, Any]:
    """Handle SIGTERM, and Ctrl-C and SIGHUP where their default handlers are in place (a closed terminal or ssh
    session: 129, as SIGTERM, not a silent death that left the staged outputs' folders); return the handlers
    replaced.

    Both handlers record the signal before raising, so a signal whose exception a C
    library's callback swallowed (XGBoost's data iterator does) still ends the run with
    130/143 instead of the error that library raises next.
    """
    replaced: dict[int, Any] = {}
    hangup = getattr(signal, "SIGHUP", None)
    for signum, handler in ((signal.SIGTERM, _on_sigterm), (signal.SIGINT, _on_sigint), (hangup, _on_sigterm)):
        if signum is None:  # (no SIGHUP on Windows)
            continue
        previous = signal.getsignal(signum)
        if signum == signal.SIGINT and previous is not signal.default_int_handler:
            continue  # ignored (a background job) or someone else's handler: leave it
        if signum == hangup and previous is not signal.SIG_DFL:
            continue  # ignored (nohup) or someone else's handler: leave it
        try:
            signal.signal(signum, handler)
        except ValueError:  # not the main thread (e.g. inside a test runner thread)
            continue
        replaced[signum] = previous
    return replaced


def _swallowing_hook(previous: Any) -> Any:
    """An ``sys.unraisablehook`` that stays silent about the exceptions of our signal handlers."""

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, (KeyboardInterrupt, _Terminated)):
            return  # reported by the exit code and the one-line message instead
        previous(unraisable)

    return hook


def guarded(fn: F) -> F:
    """Map exceptions to exit codes and one-line messages (the only place that does)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..errors import DvcleanError
        from ._output import (
            committed_outputs,
            mark_interrupt_reported,
            output_named,
            print_error,
            signals_received,
            start_run,
            stderr_console,
            stop_report,
        )

        err = stderr_console()
        start_run()
        debug = bool(kwargs.get("debug"))

        def interrupted(signum: int) -> typer.Exit:
            _mute_handlers(replaced)
            word, code = stop_report(signum)
            print_error(err, f"{word};", _written_text(committed_outputs()), style="yellow")
            mark_interrupt_reported()
            return typer.Exit(code)

        replaced = _install_handlers()
        if fn.__name__ == "check":  # (a JUnit document for an error is this run's to write, not an earlier one's)
            from .check_cmd import _JUNIT_ON_ERROR

            _JUNIT_ON_ERROR.clear()
        previous_hook = sys.unraisablehook
        sys.unraisablehook = _swallowing_hook(previous_hook)
        try:
            result = fn(*args, **kwargs)
        except typer.Exit:
            if signals_received():
                raise interrupted(signals_received()[-1]) from None
            raise
        except KeyboardInterrupt:
            raise interrupted(signal.SIGINT) from None
        except _Terminated:  # SIGTERM or SIGHUP: the last of them received
            raise interrupted(next((s for s in reversed(signals_received()) if s != signal.SIGINT), signal.SIGTERM)) \
                from None
        except (Exception, _panic_type()) as exc:  # a Rust panic in polars derives from BaseException
            _mute_handlers(replaced)
            if signals_received():  # a library swallowed the signal's exception, then failed
                raise interrupted(signals_received()[-1]) from None
            if isinstance(exc, DvcleanError):
                # never markup-parse a message: it may hold brackets (dvclean[augment], a class "[/]")
                print_error(err, "error:", _cli_message(exc))
                _github_error(kwargs, "dvclean error", _cli_message(exc), fn.__name__)
                _error_junit(fn.__name__, 2, _cli_message(exc))
                raise typer.Exit(2) from None
            if isinstance(exc, OSError) and exc.errno in _WRITE_ERRNOS:  # a full disk, a closed or read-only target
                where = f"to {output_named(exc.filename)}" if exc.filename else "its output (standard output or a file)"
                done = committed_outputs()
                print_error(err, "error:", f"cannot write {where}: {exc.strerror}; free space or choose another path"
                            + (f" (already written in full: {', '.join(map(str, done))})" if done else ""))
                raise typer.Exit(2) from None
            if isinstance(exc, OSError) and exc.errno == errno.ENAMETOOLONG:
                name = str(exc.filename or "a path")
                print_error(err, "error:", f"{name if len(name) <= 80 else name[:30] + '...' + name[-47:]}: file name "
                            "too long (at most 255 bytes per name and 4096 per path); choose a shorter path (a file "
                            "named after --output, its .checkpoint or .augment-report.json, can be the long one: a "
                            "shorter --output, or a --checkpoint of its own)")
                raise typer.Exit(2) from None
            if isinstance(exc, MemoryError):
                print_error(err, "error:", "out of memory; try --algorithm approx or a smaller file")
                raise typer.Exit(2) from None
            # the internal-error boundary
            print_error(
                err,
                "internal error:",
                f"{type(exc).__name__}: {exc}",
                trailer="\nThis is a bug in dvclean; please report it with the command you ran"
                + ("" if debug else " (add --debug for the traceback)."),
            )
            _github_error(kwargs, "dvclean internal error", f"{type(exc).__name__}: {exc} (a bug in dvclean; please "
                          "report it)", fn.__name__)
            _error_junit(fn.__name__, 3, f"internal error: {type(exc).__name__}: {exc}")
            if debug:
                err.print(traceback.format_exc(), markup=False, highlight=False)
            raise typer.Exit(3) from None
        finally:
            sys.unraisablehook = previous_hook
            for signum, previous in replaced.items():
                signal.signal(signum, _record_signal if _RECORD_AFTER_RUN else previous)
        if signals_received():  # a library swallowed the signal's exception and finished
            raise interrupted(signals_received()[-1])
        return result

    return wrapper  # type: ignore[return-value]


def _format_of(kwargs: dict[str, Any], command: str) -> str | None:
    """The output format a ``check`` run would have used: ``--format`` as typed, else the configuration file's,
    else github under GitHub Actions (``GITHUB_ACTIONS=true``) unless ``--json``; None for other commands."""
    if command != "check":
        return None
    fmt = kwargs.get("fmt")
    if fmt is not None:
        return str(getattr(fmt, "value", fmt))
    try:
        from ._config import effective_config

        values = effective_config()["values"]
    except Exception:  # noqa: BLE001 - no context (the error came before the options were read)
        values = {}
    # (the settings are keyed by option name: --format, --json)
    configured = (values.get("format") or (None, ""))[0]
    if configured is not None:
        return str(getattr(configured, "value", configured))
    if kwargs.get("as_json") or (values.get("json") or (False, ""))[0]:
        return "json"
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def _error_junit(command: str, code: int, message: str) -> None:
    """``check``'s JUnit document for a run that ended in an error (:func:`dvclean.cli.check_cmd.write_error_junit`)."""
    if command == "check":
        from .check_cmd import write_error_junit

        write_error_junit(code, message)


def _github_error(kwargs: dict[str, Any], title: str, message: str, command: str = "check") -> None:
    """Under ``check``'s github format (typed, configured, or GitHub Actions' default), an ``::error`` workflow
    command for a run that failed with an error (exit 2 or 3), on stdout beside the annotations of a failed check,
    so the step's summary shows why the gate did not run: its ``file`` is the data file when one was given (each file
    of a multi-file gate is its own run)."""
    if _format_of(kwargs, command) != "github":
        return
    from ..report.formats import _command
    from ._output import write_stdout

    data = kwargs.get("data")
    files = [data] if isinstance(data, str) else list(data or ())
    file = files[0] if len(files) == 1 and files[0] != "-" else None
    try:
        write_stdout(_command("error", {"file": file, "title": title}, message) + "\n")
    except OSError:  # (stdout closed: the message is on stderr already)
        pass
    _step_summary_error(kwargs, files, title, message)


def _step_summary_error(kwargs: dict[str, Any], files: list[str], title: str, message: str) -> None:
    """Append a section for a ``check`` run that ended in an error to ``$GITHUB_STEP_SUMMARY`` (when set), as a
    gate that ran appends its table: the step's summary then tells every file's fate, not only the checked ones'.
    Never when that file is one of the run's inputs (the data, ``--valid``, ``--baseline``, ``--config``, the
    configuration files read, the other files of a multi-file run), nor when the error is about that file. A file that cannot be written is left alone: the error is on stderr and in the ``::error`` already."""
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if not summary or "GITHUB_STEP_SUMMARY" in message:  # (an error about that file: it is left as it is)
        return
    from ..io import same_file
    from ..report.formats import _md_cell, _md_code

    inputs = [*files, *(str(kwargs[k]) for k in ("valid", "baseline", "config") if kwargs.get(k) is not None)]
    gating = sys.modules.get("dvclean.cli.check_cmd")
    if gating is not None and gating._GATING:  # one file of several: the others are inputs too
        inputs += gating._GATING[-1]
    try:
        from ._config import effective_config

        inputs += [str(p) for p in effective_config()["files"]]  # (the configuration files the run read)
    except Exception:  # noqa: BLE001 - no command context
        pass
    if any(p != "-" and same_file(summary, p) for p in inputs):
        return
    where = ", ".join(_md_code(f) for f in files) if files else "The data"
    internal = "internal" in title
    why = "an internal error (exit 3; a bug in dvclean)" if internal else "an error (exit 2)"
    text = (f"## dvclean check: ❌ {'INTERNAL ERROR' if internal else 'ERROR'}\n\n{where} could not be checked: {why}."
            f"\n\n{_md_cell(message)}\n\n")
    from .check_cmd import _append_step_summary

    _append_step_summary(summary, text)  # (silent when it cannot be written)


#: Errors of a write that are the machine's state, not a bug: no space, quota, I/O error, read-only file system,
#: a closed descriptor.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EBADF, errno.EFBIG})


def _panic_type() -> type[BaseException]:
    """polars' ``PanicException`` (:func:`dvclean.io.polars_panic`), caught as an internal error: without this the
    interpreter would print a traceback and exit 1, the code of a failed check."""
    from ..io import polars_panic

    return polars_panic()


def _written_text(written: list[Path]) -> str:
    """What an interrupted run left: nothing, or (interrupted after its last rename) every output, complete; and
    the checkpoint it saved, to continue with ``--resume``."""
    text = ("every output had already been written in full: " + ", ".join(str(p) for p in written) if written
            else "no output was written")
    module = sys.modules.get("dvclean.valuation._checkpoint")  # (not loaded: no checkpoint was saved)
    saved = module.saved_checkpoints() if module is not None else []
    if saved:
        text += f"; progress is saved in {', '.join(str(p) for p in saved)}: rerun the same command with --resume to continue"
    return text


_PARAM_RE = re.compile(r"^The '(?P<name>\w+)' parameter of \w+ must be (?P<allowed>.+); got (?P<value>.+)\.$", re.S)

#: Library parameter -> command-line option, where the option is not ``--<parameter with dashes>``.
OPTION_FOR_PARAMETER = {"hard_fraction": "--hard-frac", "n_folds": "--folds", "rule": "--mislabel-rule", "methods": "--method",
                        "model_max_rows": "--mislabel-max-rows"}

#: Help of ``--quiet`` (score, fix, augment).
QUIET_HELP = (
    "Print nothing but errors: no progress, notes or summary (output files are still written; "
    "with --json the JSON document is still printed)."
)


def _current_context() -> Any:
    from typer._click.globals import get_current_context  # typer vendors click; never `import click`

    return get_current_context(silent=True)


def _cli_message(exc: Exception) -> str:
    """The error's message, naming the command-line option instead of a library parameter.

    The configuration classes raise ``The 'k' parameter of KNNConfig must be an int >= 1;
    got 0.`` (the Python API's wording); on the command line that becomes
    ``--k must be an int >= 1; got 0.`` when the running command has that option.
    """
    text = str(exc)
    m = _PARAM_RE.match(text)
    ctx = _current_context()
    if ctx is None:
        return text
    if m is None:
        return text + _from_config_files(ctx, text)
    name = m.group("name")
    option = OPTION_FOR_PARAMETER.get(name, "--" + name.replace("_", "-"))
    options = _long_options(ctx)
    if option not in options:
        return text
    allowed = m.group("allowed").removeprefix("None or ")  # None: the option left out
    origin = _config_origin(ctx, option)
    if origin is not None:  # the value came from a configuration file: name the file and the key as written there
        source, value = origin
        return f"{source}: invalid value {toml_repr(value)} for {option}: it must be {allowed}{_percentage_hint(ctx, option, str(value))}."
    return f"{option} must be {allowed}; got {m.group('value')}{_percentage_hint(ctx, option, m.group('value'))}."


def _percentage_hint(ctx: Any, option: str, value: str) -> str:
    """`` (a percentage? write 50%)`` when an option that takes a fraction or a percentage got a number in (1, 100]:
    ``--expected-noise 50`` meant 50%, as ``--min-confidence 70`` does."""
    try:
        number = float(value)
    except ValueError:
        return ""
    takes_percent = any(option in getattr(p, "opts", ()) and getattr(p, "metavar", None) == "<fraction|%>"
                        for p in ctx.command.params)
    return f" (a percentage? write {number:g}%)" if takes_percent and 1 < number <= 100 else ""


#: An option named in a message: ``--json``, or a family such as ``--max-new-*``.
_OPTION_RE = re.compile(r"(?<![\w-])--[a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:-\*)?")


def _long_options(ctx: Any) -> set[str]:
    """The running command's ``--long`` option names."""
    return {o for p in ctx.command.params for o in getattr(p, "opts", ()) if o.startswith("--")}


def _from_config_files(ctx: Any, text: str) -> str:
    """`` (set in FILE [TABLE]: key = value, ...)`` for the options that ``text`` names whose values came from a
    configuration file (a cross-option error such as ``--json contradicts --format markdown``), else ``""``."""
    options = _long_options(ctx)
    by_source: dict[str, list[str]] = {}
    named = [o for m in _OPTION_RE.findall(text)
             for o in (sorted(x for x in options if x.startswith(m[:-1])) if m.endswith("*") else [m])]
    for option in dict.fromkeys(named):
        origin = _config_origin(ctx, option) if option in options else None
        if origin is not None:
            by_source.setdefault(origin[0], []).append(f"{option[2:]} = {toml_repr(origin[1])}")
    return "".join(f" (set in {source}: {', '.join(keys)})" for source, keys in by_source.items())


def _config_origin(ctx: Any, option: str) -> tuple[str, Any] | None:
    """``(file [table], value as written there)`` when ``option``'s effective value came from a configuration file,
    else None."""
    from ._config import SHOW_CONFIG_KEY

    doc = ctx.meta.get(SHOW_CONFIG_KEY) or {}
    key = option[2:].replace("-", "_")
    value, source = doc.get("values", {}).get(key, (None, "default"))
    if source in ("default", "command line"):
        return None
    return source, doc.get("written", {}).get(key, value)  # as the file spells it (3, not the option's '3')


def given_on_command_line(name: str) -> bool:
    """True when the option with Python name ``name`` was typed on the command line (or set by env)."""
    from typer._click.core import ParameterSource

    ctx = _current_context()
    if ctx is None:
        return False
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


#: A file name to suggest when an output option names a directory.
EXAMPLE_NAMES = {"--report": "report.html", "--junit-xml": "junit.xml"}


def read_inputs(*paths: Any) -> list[Any]:
    """``paths`` and the configuration files the running command read (found or named by ``--config``): an
    output written over one of them would destroy what the run read."""
    from ._config import effective_config

    return [*paths, *effective_config()["files"]]


def check_target(path: Path | None, inputs: list[Any], option: str, *, example: str | None = None,
                 stdout_has: str | None = "the --json summary") -> None:
    """:func:`~dvclean.pipeline.check_output_path` naming ``option`` (``--report``, ``--junit-xml``) in its errors.

    A directory is refused with a file name of the option's kind (``example``, else
    :data:`EXAMPLE_NAMES`: ``adir/report.html`` for ``--report``). An HTML output named like a data file
    (``report -o r.csv``) is refused here; ``--report`` and ``--junit-xml`` by :func:`check_distinct_outputs`.
    """
    if path is None:
        return
    from ..pipeline import check_output_path

    name = example or EXAMPLE_NAMES.get(option)
    check_output_path(path, inputs, option=option, stdout_has=stdout_has, **({"example": name} if name else {}))
    if option not in EXAMPLE_NAMES:  # (--report and --junit-xml: by check_distinct_outputs, after a clash of two)
        refuse_data_suffix(path, option, name)


#: What an output named like :data:`EXAMPLE_NAMES`' files holds, for :func:`refuse_data_suffix`.
_DOCUMENT_KINDS = {".html": "HTML", ".xml": "JUnit XML"}


def refuse_data_suffix(path: Any, option: str, example: str | None = None) -> None:
    """Refuse an HTML or JUnit XML output (``option``; ``example`` names a file of its kind, default
    :data:`EXAMPLE_NAMES`) named like a data file: ``--report r.csv`` would hold HTML under a CSV name.

    A name without a suffix, or with another one (``.html``, ``.xml``, ``.txt``, ``.out``), is written as given.

    >>> refuse_data_suffix("out/r.html", "--report")
    >>> refuse_data_suffix("r.csv.gz", "--report")
    Traceback (most recent call last):
    ...
    dvclean.errors.OutputError: --report r.csv.gz writes HTML, but .gz is the suffix of a data file: give it a .html name, e.g. r.html
    """
    example = example or EXAMPLE_NAMES.get(option) or ""
    want = Path(example).suffix
    kind = _DOCUMENT_KINDS.get(want)
    from ..io import data_suffixes

    known = data_suffixes()
    if path is None or kind is None or str(path) == "-" or Path(path).suffix.lower() not in known:
        return
    from ..errors import OutputError

    name = Path(path).name
    stem = name
    while Path(stem).suffix.lower() in known:  # r.csv.gz: r
        stem = stem[: -len(Path(stem).suffix)]
    better = stem if Path(stem).suffix.lower() == want else f"{stem or Path(example).stem}{want}"  # (r.html.gz: r.html)
    raise OutputError(f"{option} {path} writes {kind}, but {Path(name).suffix} is the suffix of a data file: give it "
                      f"a {want} name, e.g. {Path(path).with_name(better)}")


def _input_schema(data: str, input_format: str | None) -> dict[str, Any] | None:
    """The column types of ``data`` where they are known without reading it, else None.

    Parquet and Arrow IPC files carry their schema; an uncompressed NDJSON file's is inferred
    from its first records. CSV holds no type an output cannot write, and stdin is read once.
    """
    if data == "-" or not Path(data).is_file():
        return None
    import polars as pl

    from ..io import _read_head, _sniff_magic, suffix_format

    path = Path(data)
    try:
        magic = _sniff_magic(_read_head(path))
        fmt = input_format or magic or suffix_format(path.name)[0]
        if fmt == "parquet" and magic == "parquet":
            return dict(pl.read_parquet_schema(path))
        if fmt == "ipc" and magic == "ipc":
            return dict(pl.read_ipc_schema(path))
        if fmt == "ndjson" and magic is None:
            return dict(pl.scan_ndjson(path, infer_schema_length=1000).collect_schema())
    except (Exception, _panic_type()):  # the reader reports a bad file, with its own message
        return None
    return None


def check_output_columns(
    data: str, output: Path, fmt: str, *, input_format: str | None, carried: Callable[[str], bool] | None = None,
    otherwise: str | None = None,
) -> None:
    """Refuse, before any work, an ``output`` whose format cannot hold a column of ``data`` it would carry (exit 2).

    ``carried``: which input columns the output holds (``score``: its ``--id`` column; None: every
    column, as ``fix`` and ``augment`` write them, ``--drop`` and ``--withhold`` ones included). Where
    the types are not known up front (CSV, stdin, a JSON array) :func:`~dvclean.io.write_table`
    still refuses them (exit 2), after the scoring. ``otherwise``: as for :func:`~dvclean.io.check_writable`.
    """
    from ..io import check_writable

    schema = _input_schema(data, input_format)
    if schema is None:
        return
    if carried is not None:
        schema = {c: t for c, t in schema.items() if carried(c)}
    check_writable(schema, output, fmt, otherwise=otherwise)


def check_distinct_outputs(outputs: dict[str, Any]) -> None:
    """Refuse two outputs of one command that name the same file (also through a link): one would replace the other.

    ``outputs`` maps each output's option (``--output``, ``--report``, ...) to its path (None: not written).
    Then a ``--report`` or ``--junit-xml`` named like a data file is refused (:func:`refuse_data_suffix`).
    """
    from ..errors import OutputError
    from ..io import same_file

    given = [(option, path) for option, path in outputs.items() if path is not None and str(path) != "-"]
    for i, (first, a) in enumerate(given):
        for second, b in given[i + 1 :]:
            if same_file(a, b):
                raise OutputError(
                    f"{second} {b} is the same file as {first} {a}: one output would overwrite the other; "
                    "give each output its own path"
                )
    for option, path in given:  # (after the clash: `--junit-xml same.csv --report same.csv` is that mistake first)
        refuse_data_suffix(path, option)


def check_format_matches(output: Path | None, fmt: str | None) -> None:
    """Refuse ``--format`` that contradicts the ``--output`` file's suffix (``-o x.parquet --format csv``)."""
    if output is None or fmt is None:
        return
    from ..errors import ConfigError
    from ..io import named_format_conflict

    by_suffix = named_format_conflict(output, fmt)
    if by_suffix is not None:
        raise ConfigError(
            f"--format {fmt} contradicts --output {output} (a {_format_suffixes(output)} file is {by_suffix}): "
            f"name the file for its format (e.g. {renamed_for(output, fmt)}) or drop --format"
        )


def _format_suffixes(output: Path | str) -> str:
    """The suffixes that name ``output``'s format: ``.csv.gz`` for ``b.csv.gz``, ``.parquet`` for ``b.parquet``."""
    from ..io import suffix_format

    path = Path(output)
    return "".join(path.suffixes[-2:]) if suffix_format(path.name)[1] is not None and len(path.suffixes) > 1 else path.suffix


def renamed_for(output: Path | str, fmt: str) -> str:
    """``output`` with its format suffix (and its compression suffix, where ``fmt`` cannot take one) made ``fmt``'s.

    >>> renamed_for("out/b.csv.gz", "ndjson"), renamed_for("b.csv.gz", "parquet"), renamed_for("b.csv", "ipc")
    ('out/b.ndjson.gz', 'b.parquet', 'b.arrow')
    """
    from ..io import suffix_format

    path = Path(output)
    named, compression = suffix_format(path.name)
    base, packed = path.name, ""
    if compression is not None:
        packed = path.suffix
        base = base[: -len(packed)]
    if named is not None:
        base = base[: -len(Path(base).suffix)]
    keep = packed if fmt in ("csv", "ndjson", "json") else ""  # (Parquet and Arrow compress themselves)
    return str(path.with_name(f"{base}.{'arrow' if fmt == 'ipc' else fmt}{keep}"))


NULL_VALUES_HELP = (
    "Comma-separated cell texts read as missing in a CSV, besides empty cells (default: NA,N/A,NaN,nan,null,NULL,"
    "None,?). --null-values '' reads only empty cells as missing: a class named None or NA stays a class."
)


def read_options(
    separator: str | None, encoding: str, input_format: str | None = None, null_values: str | None = None
) -> dict[str, Any]:
    """The ``read_options`` (keywords of :func:`dvclean.io.read_frame`) of a command's input options."""
    from ..io import parse_null_values

    out: dict[str, Any] = {"separator": separator, "encoding": encoding, "format": input_format}
    if null_values is not None:
        out["null_values"] = parse_null_values(null_values)
    return out


class OutputFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    ndjson = "ndjson"
    json = "json"
    ipc = "ipc"


@app.command()
@guarded
@configurable("score")
@scoring_options(valid=True, checkpoint=True)
def score(
    data: Annotated[str, typer.Argument(help="Data file (CSV, CSV.gz/.zst, Parquet, NDJSON, JSON array, Arrow IPC) or - for stdin.")],
    label: Annotated[str | None, typer.Option("--label", "-y", help="Label column (default: the one column named label/target/y/class).")] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Row-id column: kept in outputs, never a feature.")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="Column to exclude from the features (repeatable).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file (default: <input stem>.dvclean.parquet next to the input).")] = None,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", help="Output format when there is no --output (default parquet) or its suffix is not one dvclean recognises; with a recognised --output suffix the two must agree (else exit 2).")] = None,
    as_json: Annotated[bool, typer.Option("--json/--no-json", show_default=False, help="Print one JSON summary document on stdout instead of the table.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the self-contained HTML report to this path.")] = None,
    separator: Annotated[str | None, typer.Option("--separator", help="CSV delimiter (sniffed when omitted).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of a CSV file.")] = "utf-8",
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force csv, parquet, ndjson, json or ipc.")] = None,
    null_values: Annotated[str | None, typer.Option("--null-values", help=NULL_VALUES_HELP)] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Read settings from this TOML file instead of the nearest dvclean.toml / pyproject.toml.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet/--no-quiet", "-q", show_default=False, help=QUIET_HELP)] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of internal errors.")] = False,
    *,
    scoring: Scoring,
) -> None:
    """Value every row and flag likely-mislabeled and hard rows.

    Writes one row per input row to <input stem>.dvclean.parquet (or --output):
    row_id (or the --id column), label, value, value_rank, is_mislabeled,
    is_hard, mislabel_score, is_label_missing, neighbor_label,
    is_conflicting_duplicate, then the label-probability columns
    suggested_label, given_label_prob, suggested_label_prob and
    model_label_prob (a regression target has predicted_value and target_z
    instead), value_<method> for each method when several run and
    stderr_<method> for the sampling and cross-fitted methods (see README
    *Output*). Prints a summary (none with --quiet).
    """
    from ..errors import OutputError
    from ..io import output_format_for
    from ..pipeline import check_output_path, default_output_path, write_scores
    from ..pipeline import score as run_score
    from ._output import (
        print_json,
        progress_reporter,
        render_score,
        setup_logging,
        staged_outputs,
        stderr_console,
        stdout_console,
    )

    err = stderr_console()
    setup_logging(err, quiet=quiet, verbose=verbose, notes_printed=True)
    score_config = scoring.score_config()
    valid = scoring.valid
    fmt_value = fmt.value if fmt else None
    check_format_matches(output, fmt_value)
    if output is None:
        if data == "-":
            raise OutputError("reading from stdin: pass --output PATH for the scores")
        output = default_output_path(data, fmt_value or "parquet")
    out_fmt = output_format_for(Path(output), fmt_value)  # a suffix dvclean cannot write is refused before any work
    check_output_path(output, read_inputs(data, valid, config))
    if id_column is not None:  # the scores carry the --id column as it is (a label of a type they cannot hold is refused)
        check_output_columns(data, Path(output), out_fmt, input_format=input_format, carried=lambda c: c == id_column,
                             otherwise="pass another --id column (or none)")
    check_target(report, read_inputs(data, valid, config), "--report")
    check_distinct_outputs({"--output": output, "--report": report})
    read_opts = read_options(separator, encoding, input_format, null_values)
    from ..valuation._checkpoint import open_for_cli

    ckpt, note = open_for_cli(scoring.checkpoint, scoring.checkpoint_every, scoring.resume, score_config.methods, output, [data, valid, report])
    if note and not (quiet or as_json):
        from ._output import esc

        err.print(f"[yellow]note:[/yellow] {esc(note)}", highlight=False)
    piped = None
    if report is not None:  # stdin's bytes, held for the report's cells as written (stdin is read once)
        from ..io import read_once

        piped = read_once(data, read_opts)
    try:
        with progress_reporter(err, enabled=not (quiet or as_json)) as progress:
            result = run_score(
                data, label=label, id_column=id_column, drop=tuple(drop or ()), valid=valid,
                config=score_config, read_options=read_opts, progress=progress, checkpoint=ckpt,
            )
        with staged_outputs() as stage:  # the scores and the report: both, or neither
            write_scores(result, stage.path(output), format=fmt_value)
            if report is not None:
                from ..report import build_report, write_report
                from .check_cmd import _command_line

                write_report(build_report(result, command=_command_line(), source_bytes=piped), stage.path(report))
        if ckpt is not None:
            ckpt.remove()  # the outputs are stored: the progress is no longer needed
    finally:
        if ckpt is not None:
            ckpt.release()  # finished or not, another run may use the checkpoint now
    written = Path(output)
    summary = dict(result.summary)
    summary["output"] = str(written)
    if report is not None:
        summary["report"] = str(report)
    if note and as_json:  # --resume's finding, printed before the run otherwise, belongs in the JSON's notes
        summary["notes"] = [note, *summary.get("notes", [])]
    if as_json:
        print_json(summary)
    elif not quiet:
        render_score(stdout_console(), summary, str(written), frame=result.frame)


@app.command()
@guarded
def methods(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """List the valuation methods with their papers."""
    from ..valuation import REGISTRY
    from ._output import print_json, stdout_console

    if as_json:
        print_json({"methods": [m.describe() for m in REGISTRY.values()]})
        return
    from ._output import esc

    console = stdout_console()
    for info in REGISTRY.values():
        console.print(
            f"[bold]{esc(info.name)}[/bold]  {esc(info.summary)}\n    tasks: {esc(', '.join(info.tasks))}\n"
            f"    cost: {esc(info.cost)}\n    needs: {esc(info.needs)}\n    paper: {esc(info.citation)}\n",
            highlight=False,
        )


@app.command()
@guarded
def version(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also print dependency versions.")] = False,
    debug: Annotated[bool, typer.Option("--debug", hidden=True)] = False,
) -> None:
    """Print the dvclean version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as pkg_version

    from .._version import __version__
    from ._output import write_stdout

    lines = [f"dvclean {__version__}"]
    if verbose:
        for pkg in ("polars", "numpy", "scikit-learn", "xgboost", "xgboost-cpu", "numba", "faiss-cpu", "typer", "rich", "sdv"):
            try:
                lines.append(f"{pkg} {pkg_version(pkg)}")
            except PackageNotFoundError:
                continue
    write_stdout("\n".join(lines) + "\n")
