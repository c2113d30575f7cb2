"""The ``dvclean`` command line: a thin shell over the library.

Exit codes: 0 success; 1 a check failed (``check``); 2 usage or input error;
3 internal error (a bug: please report it); 130/143 interrupted.
"""

from __future__ import annotations

import sys

from . import augment_cmd as _augment_cmd  # noqa: F401  (registers `dvclean augment`)
from . import check_cmd as _check_cmd  # noqa: F401  (registers `dvclean check` and `dvclean report`)
from . import fix_cmd as _fix_cmd  # noqa: F401  (registers `dvclean fix`)
from .commands import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point.

    A reader that closes stdout early (``dvclean check ... | head -1``) does not
    change the exit code: unwritten output goes to /dev/null, and the flush at
    exit cannot fail (see "Note on SIGPIPE" in the Python ``signal`` docs).
    """
    from ._output import flush_stdout, run_started, stderr_console

    try:
        app(prog_name="dvclean")
        code: int | str | None = 0
    except SystemExit as exc:
        code = exc.code
    if code == 130 and not run_started():  # Ctrl-C while the options were read: typer exits 130 silently
        stderr_console().print("interrupted; no output was written", style="yellow", highlight=False, markup=False)
    flush_stdout()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
