"""A library's Python warning reaches a CLI user as one escaped log line, hidden by ``-q``."""

from __future__ import annotations

import io
import logging
import warnings

import pytest
from rich.console import Console

from dvclean.cli._output import setup_logging


@pytest.fixture
def restore_warnings():
    saved = warnings.showwarning
    handlers = logging.getLogger("dvclean").handlers[:]
    level = logging.getLogger("dvclean").level
    yield
    warnings.showwarning = saved
    logging.getLogger("dvclean").handlers[:] = handlers
    logging.getLogger("dvclean").setLevel(level)


def _emit(quiet: bool) -> str:
    buf = io.StringIO()
    setup_logging(Console(file=buf, width=40, force_terminal=False, soft_wrap=True), quiet=quiet, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = warnings.showwarning  # catch_warnings saved the CLI's hook; keep it in force
        warnings.warn("column 'a\n::error::forged' " + "x" * 60, UserWarning, stacklevel=1)
    return buf.getvalue()


def test_warning_is_one_escaped_line(restore_warnings):
    out = _emit(quiet=False)
    assert out.count("\n") == 1, out
    assert out.startswith("WARNING") and "UserWarning: column 'a\\n::error::forged'" in out
    assert not any(line.startswith("::") for line in out.splitlines())


def test_quiet_hides_warnings(restore_warnings):
    assert _emit(quiet=True) == ""
