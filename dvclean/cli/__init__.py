"""The ``dvclean`` command line: a thin shell over the library.

Exit codes: 0 success; 1 a check failed (``check``); 2 usage or input error;
3 internal error (a bug: please report it); 130/143/129 interrupted (Ctrl-C, SIGTERM, SIGHUP).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (it is not loaded yet at start-up)

if TYPE_CHECKING:
    from typing import Any

    import typer

__all__ = ["app", "main"]


def _load_app() -> typer.Typer:
    """The typer application with every command registered (imports the library, ~1 s)."""
    from . import augment_cmd as _augment_cmd  # noqa: F401  (registers `dvclean augment`)
    from . import check_cmd as _check_cmd  # noqa: F401  (registers `dvclean check` and `dvclean report`)
    from . import fix_cmd as _fix_cmd  # noqa: F401  (registers `dvclean fix`)
    from .commands import app

    _compact_option_names()
    # --help lists the commands in the order of a run, not of their modules' import: methods and version last
    order = {name: i for i, name in enumerate(_COMMAND_ORDER)}
    app.registered_commands.sort(key=lambda c: order.get(c.name or c.callback.__name__, len(order)))  # (stable)
    return app


#: The order ``dvclean --help`` lists the commands in.
_COMMAND_ORDER = ("score", "check", "fix", "report", "augment", "methods", "version")


def __getattr__(name: str):  # ``from dvclean.cli import app`` (tests, embedding): loaded on first use
    if name == "app":
        return _load_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Console-script entry point.

    A reader that closes stdout early (``dvclean check ... | head -1``) does not
    change the exit code: unwritten output goes to /dev/null, and the flush at
    exit cannot fail (see "Note on SIGPIPE" in the Python ``signal`` docs).
    """
    import os

    try:  # (relative paths, the configuration search and torch's own loading need it: one clear line, not exit 3)
        os.getcwd()
    except FileNotFoundError:
        if not {"-h", "--help", "-V", "--version"}.isdisjoint(sys.argv[1:]):
            return _run(_load_app())  # (help and the version need no directory)
        sys.stderr.write("error: the current directory no longer exists (it was deleted or moved); cd to an existing "
                         "directory and run dvclean again\n")
        sys.exit(2)
    if sys.stdin is None:  # started with stdin closed (`<&-`): `-` reads nothing, as from /dev/null ("no data")
        sys.stdin = open(os.devnull)  # noqa: SIM115 - for the life of the process
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:  # started with the descriptor closed (`>&-`): write nowhere, as print() does
            setattr(sys, name, open(os.devnull, "w"))  # noqa: SIM115 - for the life of the process
        try:  # a stream that cannot encode a name from the data (PYTHONIOENCODING=ascii): \xe9, not a crash
            getattr(sys, name).reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass
    try:  # the imports take about a second; a Ctrl-C in it ends the run as one inside a command does
        from . import _output  # noqa: F401  (the run's reporting, loaded before the signals are handled)

        app = _load_app()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted; no output was written\n")
        sys.exit(130)
    import signal

    from ._output import STOP_SIGNALS
    from .commands import record_signals_after_run

    handlers = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    record_signals_after_run(True)
    code: Any = None
    try:
        _run(app)
    except SystemExit as exc:
        code = exc.code
        raise
    finally:  # (main() called in-process, as the tests do: the caller's handlers and the plain mode back)
        record_signals_after_run(False)
        if code is not None and _process_entry():
            _exit_on_late_signals(code)
            _finish_process(code)
        else:
            _restore(handlers)


def _finish_process(code: Any) -> None:
    """End the process with ``code`` now: threads joined and exit handlers run (worker pools shut down, temporary
    folders removed) under :func:`_exit_on_late_signals`' handlers, then ``os._exit``. The interpreter's own
    shut-down would then put the default handlers back and spend a second tearing down the models' libraries, in
    which a SIGTERM ended the process without a word (exit 143 after every output had been written)."""
    import atexit
    import contextlib
    import os
    import threading

    if code is None or isinstance(code, int):
        status = int(code or 0)
    else:  # (sys.exit("text"): printed, status 1, as Python does)
        status = 1
        with contextlib.suppress(Exception):
            sys.stderr.write(f"{code}\n")
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    shutdown = getattr(threading, "_shutdown", None)  # (joins the threads; runs concurrent.futures' exit hooks)
    if shutdown is not None:
        with contextlib.suppress(Exception):
            shutdown()
    with contextlib.suppress(Exception):
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def _process_entry() -> bool:
    """Whether main() runs as the process itself (the ``dvclean`` script or ``python -m dvclean``), which exits as
    main() returns, rather than called in a caller's process."""
    import os

    path = str(getattr(sys.modules.get("__main__"), "__file__", None) or "")  # (the script Python runs, not argv)
    name = os.path.basename(path)
    return name in ("dvclean", "dvclean-script.py") or (
        name == "__main__.py" and os.path.basename(os.path.dirname(path)) == "dvclean")


def _exit_on_late_signals(code: Any) -> None:
    """While the interpreter shuts down (seconds with the models' libraries loaded) a Ctrl-C or SIGTERM used to meet
    the default handler and end the process with no word, as if nothing had been written. Now it says what the
    finished run left and exits with the signal's code at once (every output is in place: nothing is cut short)."""
    import contextlib
    import os
    import signal

    from ._output import STOP_SIGNALS, committed_outputs, stop_report
    from .commands import _written_text

    done = committed_outputs()
    # (as _run says it: a finished run's outputs, or for a run that ended in an error, that nothing was written)
    left = _written_text(done) if done or code not in (0, 1) else "its output was complete"

    def late(signum: int, frame: Any) -> None:
        word, stop_code = stop_report(signum)
        with contextlib.suppress(OSError):
            os.write(2, f"{word} just after the run finished (exit {code}); {left}\n".encode("utf-8", "backslashreplace"))
        os._exit(stop_code)

    for signum in STOP_SIGNALS:
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signum, late)


def _restore(handlers: dict[int, Any]) -> None:
    """Put ``handlers`` back (none outside the main thread, where Python refuses to set one)."""
    import contextlib
    import signal

    for signum, handler in handlers.items():
        if handler is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signum, handler)


def _run(app: Any) -> None:
    """Run the app and exit with its code (:func:`main`'s body once the app is loaded)."""
    from ._output import (
        STOP_SIGNALS,
        committed_outputs,
        flush_stdout,
        interrupt_reported,
        run_started,
        signals_received,
        stderr_console,
        stop_report,
    )

    STOP_CODES = {code: word for word, code in STOP_SIGNALS.values()}
    _quiet_usage_errors()
    try:
        app(prog_name="dvclean")
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
        if code == 1 and not run_started():
            # exit 1 before any command ran: rich's (or typer's) answer to a reader that closed stdout while --help
            # printed (inside a command the error boundary sends the rest to /dev/null); a closed pipe is not a
            # failed check, and only a command's checks exit 1
            code = 0
    except OSError as exc:  # --help (printed outside the commands' error boundary) to a full or closed stdout
        stderr_console().print(f"error: cannot write to standard output: {exc.strerror}", style="bold red",
                               highlight=False, markup=False)
        code = 2
    flush_stdout()
    late = signals_received() if run_started() else []
    if late and code in (0, 1) and not interrupt_reported():
        # a signal after the command's error boundary had returned (recorded, not raised): the run had finished (an
        # error's exit code and message stand: nothing was written)
        from .commands import _written_text

        done = committed_outputs()
        word, stop_code = stop_report(late[-1])
        stderr_console().print(
            f"{word} just after the run finished (exit {code}); {_written_text(done) if done else 'its output was complete'}",
            style="yellow", highlight=False, markup=False)
        code = stop_code
    elif code in STOP_CODES and not interrupt_reported():
        # Ctrl-C while the options were read (typer exits 130 silently), or just after the command finished
        from .commands import _written_text

        written = committed_outputs() if run_started() else []
        stderr_console().print(f"{STOP_CODES[code]}; {_written_text(written)}",
                               style="yellow", highlight=False, markup=False)
    sys.exit(code)  # (main puts the handlers back as this SystemExit passes: the exit can be stopped again)


def _compact_option_names() -> None:
    """--help shows each option's names in one column that is never cut: the long name with its short one, the
    negative form (``--no-exit-zero``) on the next line. typer gives those four columns of their own, and at 80
    characters rich cut the names to fit them (``--max-mislabeled…`` for ``--max-mislabeled-per-class``)."""
    from rich.table import Table
    from rich.text import Text
    from typer import rich_utils

    if getattr(rich_utils.Table, "_dvclean", False):
        return

    class OptionsTable(Table):
        _dvclean = True

        def add_row(self, *cells: Any, **kwargs: Any) -> None:
            if len(cells) in (6, 7) and all(isinstance(c, (str, Text)) for c in cells[-6:-2]):
                head, (long, short, negative, negative_short, types, help_) = cells[:-6], cells[-6:]
                names = Text()
                for part, sep in ((long, ""), (short, " "), (negative, "\n"), (negative_short, " ")):
                    if str(part):
                        names.append(sep if str(names) else "")
                        names.append_text(part if isinstance(part, Text) else Text(part))
                for text in getattr(help_, "renderables", [help_]):  # (a word longer than the column: folded, not cut)
                    if isinstance(text, Text):
                        text.overflow = "fold"
                cells = (*head, names, types, help_)
                if not self.rows:  # (the names' column: never wrapped nor cut; the help column gives way)
                    while len(self.columns) < len(cells):
                        self.add_column()
                    self.columns[len(head)].no_wrap = True
            super().add_row(*cells, **kwargs)

    rich_utils.Table = OptionsTable  # type: ignore[misc]


def _suggest_option(error: Any) -> None:
    """Give an unknown option without suggestions the long option it spells: ``-json`` (read as ``-j -s -o -n``)
    or ``--JSON`` is ``--json``."""
    from typer._click.exceptions import NoSuchOption

    ctx = getattr(error, "ctx", None)
    if not isinstance(error, NoSuchOption) or error.possibilities or ctx is None:
        return
    names = {o for p in ctx.command.params for o in getattr(p, "opts", ()) + getattr(p, "secondary_opts", ())
             if o.startswith("--")}
    typed = [a for a in sys.argv[1:] if a.startswith("-") and a != "--"]
    guesses = [g for a in typed for g in ("--" + a.lstrip("-").split("=", 1)[0].lower(),)
               if g in names and a.split("=", 1)[0] not in names and (a.startswith(error.option_name) or
                                                                       a.lower() == g)]
    if guesses:
        error.possibilities = list(dict.fromkeys(guesses))


def _quiet_usage_errors() -> None:
    """A usage error (a mistyped option) exits 2 even when its message cannot be written: stderr closed early
    (``2>&1 | head -1``: rich exits 1, which would read as a failed check, and the exit of a closed pipe before any
    command ran turns that into 0) or on a full disk."""
    from typer import rich_utils

    from ._output import _to_devnull

    original = rich_utils.rich_format_error
    if getattr(original, "_dvclean", False):
        return

    def format_error(self: Any) -> None:
        _suggest_option(self)
        if isinstance(getattr(self, "message", None), str):  # (the validator's own prefix: "'xls' is not one of ...")
            self.message = self.message.replace("Value error, ", "", 1)
        try:
            original(self)
        except (OSError, SystemExit):  # (then typer exits with the error's own code, 2)
            _to_devnull(sys.stderr)

    format_error._dvclean = True  # type: ignore[attr-defined]
    rich_utils.rich_format_error = format_error


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

