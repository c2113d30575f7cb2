"""Run independent valuation tasks in-process, on joblib workers or on a Dask cluster.

Every task is a pure function of its arguments (indices, seeds, arrays), so where
it runs does not change what it returns; :meth:`Runner.map` returns the results
in task order, so the caller reduces them in a fixed order and the values are
bit-identical for a seed whether the run is serial, on ``n_jobs`` joblib (loky)
workers, or on a Dask cluster (joblib's ``dask`` backend). Every task runs with
one native BLAS/OpenMP thread (:func:`~dvclean.valuation._models.single_thread`):
parallelism is across tasks, never inside a model fit.

The Dask path needs the optional extra ``dvclean[distributed]``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..errors import ConfigError
from ._models import quiet_fits, single_thread

__all__ = ["Runner", "runner", "effective_n_jobs", "native_threads", "native_thread_cap", "thread_map"]

#: How long to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = "10s"


def effective_n_jobs(n_jobs: int) -> int:
    """Number of workers ``n_jobs`` means on this machine (-1: every core)."""
    if n_jobs == -1:
        return max(1, os.cpu_count() or 1)
    return max(1, n_jobs)


#: The cap set by the innermost :func:`native_threads` block (None: no cap).
_native_cap: int | None = None


def native_thread_cap() -> int | None:
    """Threads the enclosing :func:`native_threads` block allows (None outside one)."""
    return _native_cap


@contextlib.contextmanager
def native_threads(n_jobs: int) -> Iterator[None]:
    """Cap this thread's native parallelism at ``n_jobs`` threads (-1: leave every core).

    Covers BLAS and OpenMP (the Gram products of exact KNN-Shapley, faiss's HNSW search,
    through ``threadpoolctl``), numba's parallel kernel (``numba.set_num_threads``, which is
    per calling thread) and scikit-learn's neighbour search (it reads
    :func:`native_thread_cap`). Blocks that fit models on their own threads or workers
    still limit each fit to one thread. The values do not depend on the cap.

    Examples
    --------
    >>> with native_threads(1):
    ...     native_thread_cap()
    1
    >>> native_thread_cap() is None
    True
    """
    global _native_cap
    if n_jobs == -1:
        yield
        return
    n = max(1, int(n_jobs))
    import numba
    from threadpoolctl import threadpool_limits

    previous_numba, previous_cap = numba.get_num_threads(), _native_cap
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    _native_cap = n
    try:
        with threadpool_limits(n):
            yield
    finally:
        _native_cap = previous_cap
        numba.set_num_threads(previous_numba)


#: Tasks per thread in one window of :func:`thread_map`.
THREAD_WINDOW = 8


def thread_map(fn: Callable[[int], Any], n: int, n_jobs: int) -> Iterator[Any]:
    """``fn(0), ..., fn(n - 1)`` in that order, computed on ``n_jobs`` threads of this process.

    For tasks whose work is native code that releases the GIL (tree and XGBoost fits): no
    process start-up and no copy of the data, unlike :func:`runner`. Results come back in
    task order, so a caller that reduces them in that order gets the same output for any
    ``n_jobs``. The tasks run in windows of ``THREAD_WINDOW * n_jobs``, each inside
    :func:`~dvclean.valuation._models.quiet_fits` (one native thread per fit, warnings
    ignored, both set once for the process), so the workers' fits neither oversubscribe the
    cores nor race on the warning filters, while the caller's code between results runs
    with its own settings, and at most a window of results is held at once.

    Examples
    --------
    >>> list(thread_map(lambda i: i * i, 4, n_jobs=2))
    [0, 1, 4, 9]
    """
    if n_jobs <= 1 or n <= 1:
        for i in range(n):
            yield fn(i)
        return
    from concurrent.futures import ThreadPoolExecutor

    window = THREAD_WINDOW * n_jobs
    with ThreadPoolExecutor(max_workers=min(n_jobs, n)) as pool:
        for start in range(0, n, window):
            with quiet_fits():  # only while tasks run: the caller's own code between results is not silenced
                batch = list(pool.map(fn, range(start, min(n, start + window))))
            yield from batch


def _call(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    with single_thread():
        return fn(*args)


class Runner:
    """Maps a function over argument tuples; results come back in task order.

    Attributes
    ----------
    n_workers : int
        Tasks that can run at once (used to size rounds of tasks).
    backend : str
        ``serial``, ``loky`` or ``dask``.
    """

    def __init__(self, n_workers: int, backend: str, parallel: Any = None) -> None:
        self.n_workers = n_workers
        self.backend = backend
        self._parallel = parallel

    def map(self, fn: Callable[..., Any], tasks: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Return ``[fn(*t) for t in tasks]``, computed on the runner's workers."""
        if self._parallel is None or len(tasks) <= 1:
            return [_call(fn, t) for t in tasks]
        from joblib import delayed

        return list(self._parallel(delayed(_call)(fn, t) for t in tasks))


def _dask_client(scheduler: str, n_jobs: int) -> Any:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError(
            f"--scheduler {scheduler} needs Dask, which is not installed; install it with "
            "pip install 'dvclean[distributed]'"
        ) from exc
    if scheduler == "local":
        cluster = LocalCluster(
            n_workers=effective_n_jobs(n_jobs), threads_per_worker=1, processes=False, dashboard_address=None
        )
        return Client(cluster, set_as_default=False)
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        problem = f"cannot connect to the Dask scheduler at {scheduler!r} ({type(exc).__name__}: {exc})"
    except Exception as exc:  # noqa: BLE001 - something answered, but not the Dask protocol
        # (a garbage reply can make Dask try to allocate exabytes: a MemoryError that is not ours)
        problem = f"{scheduler!r} answered, but not as a Dask scheduler ({type(exc).__name__})"
    _discard_half_built_clients()
    raise ConfigError(f"{problem}; check --scheduler (e.g. tcp://host:8786) and that the scheduler is running")


def _discard_half_built_clients() -> None:
    """Collect the Client whose constructor failed now, quietly: its ``__del__`` would otherwise print a
    traceback of its own failed close at exit."""
    import gc
    import sys

    hook = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: None
    try:
        gc.collect()
    finally:
        sys.unraisablehook = hook


@contextlib.contextmanager
def runner(n_jobs: int = 1, scheduler: str | None = None) -> Iterator[Runner]:
    """Open a :class:`Runner` (workers stay up until the block ends).

    Parameters
    ----------
    n_jobs : int
        joblib workers; -1 is every core, 1 runs in-process.
    scheduler : str, optional
        Dask scheduler address (``tcp://host:8786``, or the ``inproc://`` address
        of an in-process cluster), or ``local`` for a new in-process cluster.

    Examples
    --------
    >>> with runner(1) as r:
    ...     r.map(pow, [(2, 3), (3, 2)])
    [8, 9]
    """
    if scheduler is None:
        n = effective_n_jobs(n_jobs)
        if n == 1:
            yield Runner(1, "serial")
            return
        from joblib import Parallel

        with Parallel(n_jobs=n, backend="loky") as par:
            yield Runner(n, "loky", par)
        return
    client = _dask_client(scheduler, n_jobs)
    try:
        from joblib import Parallel, parallel_config

        n = max(1, sum(client.nthreads().values()))
        with parallel_config(backend="dask", client=client), Parallel(n_jobs=-1) as par:
            yield Runner(n, "dask", par)
    finally:
        cluster = getattr(client, "cluster", None) if scheduler == "local" else None
        client.close()
        if cluster is not None:
            cluster.close()
