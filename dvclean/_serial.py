"""One valuation at a time per process: :func:`one_at_a_time`.

A run changes process-wide state while it works and puts it back when it ends: warning
filters (``warnings.catch_warnings``), the native thread pools' limits (threadpoolctl),
dvclean's native-thread cap, and, in ``augment``, ``sys.stdout``/``sys.stderr`` (SDV's
output is silenced), the global random states and torch's thread count. Two runs that
overlap in two threads would restore each other's state in the wrong order and leave it
changed (a global "ignore all warnings" filter, BLAS limited to one thread, stdout a
buffer). The public entry points therefore hold one re-entrant lock: calls from several
threads are correct and give the serial results, one after the other.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_LOCK = threading.RLock()


def one_at_a_time(fn: F) -> F:
    """Run ``fn`` holding the process's valuation lock (re-entrant: ``fix`` calls ``score`` inside it)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
