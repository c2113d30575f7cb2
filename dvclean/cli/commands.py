"""Command definitions. Each command parses options, calls one library function and renders.

Errors: every command body runs inside :func:`guarded`, the single error
boundary. A :class:`~dvclean.errors.DvcleanError` becomes a one-line message and
exit code 2; any other exception is an internal error (exit 3, traceback only
with ``--debug``); Ctrl-C exits 130 and SIGTERM 143. No output file is left
behind in any of these cases (outputs are written atomically).
"""

from __future__ import annotations

import functools
import re
import signal
import traceback
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ._config import configurable
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
3 internal error (please report); 130 interrupted (Ctrl-C); 143 terminated.
"""

app = typer.Typer(
    name="dvclean",
    help="Find bad rows in tabular data with data valuation, and fix the data.\n\n" + EXIT_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

class _Terminated(BaseException):  # like KeyboardInterrupt: never caught by `except Exception`
    pass


def _on_sigterm(signum: int, frame: Any) -> None:
    raise _Terminated()


def guarded(fn: F) -> F:
    """Map exceptions to exit codes and one-line messages (the only place that does)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ..errors import DvcleanError
        from ._output import print_error, stderr_console

        err = stderr_console()
        debug = bool(kwargs.get("debug"))
        previous = signal.getsignal(signal.SIGTERM)
        try:
            signal.signal(signal.SIGTERM, _on_sigterm)
        except ValueError:  # not the main thread (e.g. inside a test runner thread)
            previous = None
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except DvcleanError as exc:
            # never markup-parse a message: it may hold brackets (dvclean[augment], a class "[/]")
            print_error(err, "error:", _cli_message(exc))
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            print_error(err, "interrupted;", "no output was written", style="yellow")
            raise typer.Exit(130) from None
        except _Terminated:
            print_error(err, "terminated;", "no output was written", style="yellow")
            raise typer.Exit(143) from None
        except MemoryError:
            print_error(err, "error:", "out of memory; try --algorithm approx or a smaller file")
            raise typer.Exit(2) from None
        except Exception as exc:  # the internal-error boundary
            print_error(
                err,
                "internal error:",
                f"{type(exc).__name__}: {exc}\n"
                "This is a bug in dvclean; please report it with the command you ran"
                + ("" if debug else " (add --debug for the traceback)."),
            )
            if debug:
                err.print(traceback.format_exc(), markup=False, highlight=False)
            raise typer.Exit(3) from None
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    return wrapper  # type: ignore[return-value]


_PARAM_RE = re.compile(r"^The '(?P<name>\w+)' parameter of \w+ must be (?P<allowed>.+); got (?P<value>.+)\.$", re.S)

#: Library parameter -> command-line option, where the option is not ``--<parameter with dashes>``.
OPTION_FOR_PARAMETER = {"hard_fraction": "--hard-frac", "n_folds": "--folds", "rule": "--mislabel-rule"}

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
    if m is None or ctx is None:
        return text
    name = m.group("name")
    option = OPTION_FOR_PARAMETER.get(name, "--" + name.replace("_", "-"))
    options = {o for p in ctx.command.params for o in getattr(p, "opts", ()) if o.startswith("--")}
    if option not in options:
        return text
    allowed = m.group("allowed").removeprefix("None or ")  # None: the option left out
    return f"{option} must be {allowed}; got {m.group('value')}."


def given_on_command_line(name: str) -> bool:
    """True when the option with Python name ``name`` was typed on the command line (or set by env)."""
    from typer._click.core import ParameterSource

    ctx = _current_context()
    if ctx is None:
        return False
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT)


def check_target(path: Path | None, inputs: list[str | None], option: str) -> None:
    """:func:`~dvclean.pipeline.check_output_path` naming ``option`` (``--report``, ``--junit-xml``) in its errors."""
    if path is None:
        return
    from ..errors import OutputError
    from ..pipeline import check_output_path

    try:
        check_output_path(path, inputs)
    except OutputError as exc:
        raise OutputError(str(exc).replace("--output", option, 1)) from None


def check_format_matches(output: Path | None, fmt: str | None) -> None:
    """Refuse ``--format`` that contradicts the ``--output`` file's suffix (``-o x.parquet --format csv``)."""
    if output is None or fmt is None:
        return
    from ..errors import ConfigError
    from ..io import _suffix_format

    by_suffix, _ = _suffix_format(Path(output).name)
    if by_suffix is not None and by_suffix != fmt:
        raise ConfigError(
            f"--format {fmt} contradicts --output {output} (a .{Path(output).name.split('.')[-1]} file is {by_suffix}): "
            f"name the file for its format (e.g. {Path(output).stem}.{fmt}) or drop --format"
        )


class OutputFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    ndjson = "ndjson"


@app.command()
@guarded
@configurable("score")
@scoring_options(valid=True, checkpoint=True)
def score(
    data: Annotated[str, typer.Argument(help="Data file (CSV, CSV.gz/.zst, Parquet, NDJSON, Arrow IPC) or - for stdin.")],
    label: Annotated[str | None, typer.Option("--label", "-y", help="Label column (default: the one column named label/target/y/class).")] = None,
    id_column: Annotated[str | None, typer.Option("--id", help="Row-id column: kept in outputs, never a feature.")] = None,
    drop: Annotated[list[str] | None, typer.Option("--drop", help="Column to exclude from the features (repeatable).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Output file (default: <input stem>.dvclean.parquet next to the input).")] = None,
    fmt: Annotated[OutputFormat | None, typer.Option("--format", help="Output format (default: from the --output suffix, else parquet).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON summary document on stdout instead of the table.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the self-contained HTML report to this path.")] = None,
    separator: Annotated[str | None, typer.Option("--separator", help="CSV delimiter (sniffed when omitted).")] = None,
    encoding: Annotated[str, typer.Option("--encoding", help="Text encoding of a CSV file.")] = "utf-8",
    input_format: Annotated[str | None, typer.Option("--input-format", help="Force csv, parquet, ndjson, json or ipc.")] = None,
    config: Annotated[Path | None, typer.Option("--config", help="Read settings from this TOML file instead of the nearest dvclean.toml / pyproject.toml.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=QUIET_HELP)] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-vv for debug).")] = 0,
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of internal errors.")] = False,
    *,
    scoring: Scoring,
) -> None:
    """Value every row and flag likely-mislabeled and hard rows.

    Writes one row per input row (row id, label, value, value_rank, is_mislabeled,
    is_hard, mislabel_score, is_label_missing, neighbor_label) to
    <input stem>.dvclean.parquet, and prints a summary (none with --quiet).
    """
    from ..errors import OutputError
    from ..pipeline import check_output_path, default_output_path, write_scores
    from ..pipeline import score as run_score
    from ._output import print_json, progress_reporter, render_score, setup_logging, stderr_console, stdout_console

    err = stderr_console()
    setup_logging(err, quiet=quiet or as_json, verbose=verbose, notes_printed=True)
    score_config = scoring.score_config()
    valid = scoring.valid
    fmt_value = fmt.value if fmt else None
    check_format_matches(output, fmt_value)
    if output is None:
        if data == "-":
            raise OutputError("reading from stdin: pass --output PATH for the scores")
        output = default_output_path(data, fmt_value or "parquet")
    check_output_path(output, [data, valid])
    check_target(report, [data, valid], "--report")
    read_options = {"separator": separator, "encoding": encoding, "format": input_format}
    from ..valuation._checkpoint import open_for_cli

    ckpt, note = open_for_cli(scoring.checkpoint, scoring.checkpoint_every, scoring.resume, score_config.methods, output, [data, valid, report])
    if note and not (quiet or as_json):
        from rich.markup import escape

        err.print(f"[yellow]note:[/yellow] {escape(note)}", highlight=False)
    with progress_reporter(err, enabled=not (quiet or as_json)) as progress:
        result = run_score(
            data, label=label, id_column=id_column, drop=tuple(drop or ()), valid=valid,
            config=score_config, read_options=read_options, progress=progress, checkpoint=ckpt,
        )
    written = write_scores(result, output, format=fmt_value)
    if report is not None:
        from ..report import build_report, write_report
        from .check_cmd import _command_line

        write_report(build_report(result, command=_command_line()), report)
    if ckpt is not None:
        ckpt.remove()  # the outputs are stored: the progress is no longer needed
    summary = dict(result.summary)
    summary["output"] = str(written)
    if as_json:
        print_json(summary)
    elif not quiet:
        render_score(stdout_console(), summary, str(written))


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
