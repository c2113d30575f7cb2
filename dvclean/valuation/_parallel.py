"""Run independent valuation tasks in-process, on joblib workers or on a Dask cluster.

Every task is a pure function of its arguments (indices, seeds, arrays), so where
it runs does not change what it returns; :meth:`Runner.map` returns the results
in task order, so the caller reduces them in a fixed order and the values are
bit-identical for a seed whether the run is serial, on ``n_jobs`` joblib (loky)
workers, or on a Dask cluster (joblib's ``dask`` backend). Every task runs with
one native BLAS/OpenMP thread (:func:`~dvclean.valuation._models.single_thread`):
parallelism is across tasks, never inside a model fit.

The Dask path needs the optional extra ``distributed`` (``pip install ".[distributed]"`` in the checkout).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..errors import ConfigError
from ._models import native_limits, quiet_fits, single_thread

__all__ = ["Runner", "runner", "effective_n_jobs", "native_threads", "native_thread_cap", "thread_map", "worker_count"]

log = logging.getLogger(__name__)

#: How long to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = "10s"
#: Seconds a scheduler has to send its Dask handshake after the connection (:func:`_probe`).
HANDSHAKE_TIMEOUT = 5.0


def effective_n_jobs(n_jobs: int) -> int:
    """Number of workers ``n_jobs`` means on this machine (-1: every core); :func:`worker_count` caps what is
    started at the cores."""
    if n_jobs == -1:
        return max(1, os.cpu_count() or 1)
    return max(1, n_jobs)


def worker_count(n_jobs: int) -> int:
    """The processes or threads started for ``n_jobs``: never more than the cores (1,000 workers on 2 cores
    started 1,000 processes, each importing scikit-learn, for no gain; the values do not depend on the number).
    Said once per value when it caps."""
    cores = max(1, os.cpu_count() or 1)
    n = effective_n_jobs(n_jobs)
    if n > cores and n not in _CAPPED:
        _CAPPED.add(n)
        log.warning("--n-jobs %d is more than this machine's %d cores: %d workers are used", n, cores, cores)
    return min(n, cores)


#: ``n_jobs`` values already capped with a warning (said once per process).
_CAPPED: set[int] = set()


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
    n = min(max(1, int(n_jobs)), os.cpu_count() or 1)  # (no more threads than cores; a C int whatever was asked)
    import numba

    previous_numba, previous_cap = numba.get_num_threads(), _native_cap
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    _native_cap = n
    try:
        with native_limits(n):
            yield
    finally:
        _native_cap = previous_cap
        numba.set_num_threads(previous_numba)


#: Tasks per thread in one window of :func:`thread_map`.
THREAD_WINDOW = 8


def thread_map(fn: Callable[[int], Any], n: int, n_jobs: int,
               on_done: Callable[[int], None] | None = None) -> Iterator[Any]:
    """``fn(0), ..., fn(n - 1)`` in that order, computed on ``n_jobs`` threads of this process.

    For tasks whose work is native code that releases the GIL (tree and XGBoost fits): no
    process start-up and no copy of the data, unlike :func:`runner`. Results come back in
    task order, so a caller that reduces them in that order gets the same output for any
    ``n_jobs``. The tasks run in windows of ``THREAD_WINDOW * n_jobs``, each inside
    :func:`~dvclean.valuation._models.quiet_fits` (one native thread per fit, warnings
    ignored, both set once for the process), so the workers' fits neither oversubscribe the
    cores nor race on the warning filters, while the caller's code between results runs
    with its own settings, and at most a window of results is held at once. ``on_done(i)`` is called as
    task ``i`` is done, in task order, also inside a window (a progress bar over a few long tasks, the folds
    of an out-of-fold model, would otherwise stand still until the whole window is done); on several threads it
    runs inside the window's :func:`~dvclean.valuation._models.quiet_fits` (warnings ignored, one native thread).

    Examples
    --------
    >>> list(thread_map(lambda i: i * i, 4, n_jobs=2))
    [0, 1, 4, 9]
    """
    n_jobs = worker_count(n_jobs)
    if n_jobs <= 1 or n <= 1:
        for i in range(n):
            result = fn(i)
            if on_done is not None:
                on_done(i)
            yield result
        return
    from concurrent.futures import ThreadPoolExecutor

    window = THREAD_WINDOW * n_jobs
    with ThreadPoolExecutor(max_workers=min(n_jobs, n)) as pool:
        for start in range(0, n, window):
            with quiet_fits():  # only while tasks run: the caller's own code between results is not silenced
                tasks = range(start, min(n, start + window))
                futures = [pool.submit(fn, i) for i in tasks]
                batch = []
                try:
                    for i, future in zip(tasks, futures, strict=True):
                        batch.append(future.result())
                        if on_done is not None:
                            on_done(i)
                except BaseException:
                    for future in futures:
                        future.cancel()
                    raise
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
        """Return ``[fn(*t) for t in tasks]``, computed on the runner's workers.

        Raises :class:`~dvclean.errors.ValuationError` when the Dask cluster is lost during the tasks (its
        scheduler stopped, the network failed): not a dvclean error, and a checkpointed run can resume."""
        if self._parallel is None or len(tasks) <= 1:
            return [_call(fn, t) for t in tasks]
        from joblib import delayed

        try:
            return list(self._parallel(delayed(_call)(fn, t) for t in tasks))
        except Exception as exc:
            if self.backend == "dask" and type(exc).__module__.split(".")[0] in ("distributed", "asyncio", "concurrent"):
                from ..errors import ValuationError

                raise ValuationError(
                    f"lost the Dask cluster while the tasks ran ({type(exc).__name__}); check that its scheduler is "
                    "running, then rerun (with --resume where a checkpoint was saved)"
                ) from exc
            raise


def _dask_client(scheduler: str, n_jobs: int) -> Any:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:
        raise ConfigError(
            f"--scheduler {scheduler} needs Dask, which is not installed; install it with "
            "pip install \".[distributed]\" in the dvclean checkout (or pip install \"dask[distributed]\")"
        ) from exc
    if scheduler == "local":
        # in-process (inproc:// comms); the HTTP servers a scheduler and its workers always start listen on the
        # loopback, on free ports (dashboard_address=None still served /metrics on every interface, at 8787 or,
        # when taken, another port with a warning)
        cluster = LocalCluster(
            n_workers=worker_count(n_jobs), threads_per_worker=1, processes=False,
            dashboard_address="127.0.0.1:0", worker_dashboard_address="127.0.0.1:0",
        )
        return Client(cluster, set_as_default=False)
    problem = _probe(scheduler)
    if problem is not None:
        raise ConfigError(f"{problem}; check --scheduler (e.g. tcp://host:8786) and that the scheduler is running")
    try:
        return Client(scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        problem = f"cannot connect to the Dask scheduler at {scheduler!r} ({type(exc).__name__}: {exc})"
    except Exception as exc:  # noqa: BLE001 - something answered, but not the Dask protocol
        # (a garbage reply can make Dask try to allocate exabytes: a MemoryError that is not ours)
        problem = f"{scheduler!r} answered, but not as a Dask scheduler ({type(exc).__name__})"
    _discard_half_built_clients()
    raise ConfigError(f"{problem}; check --scheduler (e.g. tcp://host:8786) and that the scheduler is running")


def _probe(scheduler: str) -> str | None:
    """What is wrong with a plain-TCP scheduler address, found with one socket before Dask connects; None when it
    answers as a Dask scheduler does (or the address is not plain TCP). A Dask scheduler sends its handshake as soon
    as a connection opens; a server that says nothing (an HTTP server waits for a request) made ``Client`` wait
    forever, whatever its timeout."""
    import socket
    import struct

    address = scheduler.removeprefix("tcp://")
    if "://" in address:  # tls://, ws://, ucx://: Dask's own connect decides
        return None
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        return None  # Dask's parser says what is wrong with it
    timeout = float(CONNECT_TIMEOUT.removesuffix("s"))
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout) as sock:
            sock.settimeout(HANDSHAKE_TIMEOUT)
            try:
                first = sock.recv(8)
            except TimeoutError:
                return (f"{scheduler!r} answered, but not as a Dask scheduler (it sent no handshake within "
                        f"{HANDSHAKE_TIMEOUT:g} s)")
    except OSError as exc:
        return f"cannot connect to the Dask scheduler at {scheduler!r} ({type(exc).__name__}: {exc})"
    if not first:
        return f"{scheduler!r} closed the connection without the Dask handshake: it is not a Dask scheduler"
    # a Dask message starts with the byte length of its frames (8 bytes); a handshake is small, while text such
    # as "HTTP/1.1" read that way asks for exabytes
    if len(first) < 8 or min(struct.unpack("<Q", first[:8])[0], struct.unpack(">Q", first[:8])[0]) > 1 << 24:
        return f"{scheduler!r} answered, but not as a Dask scheduler (its first bytes: {first[:8]!r})"
    return None


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
        n = worker_count(n_jobs)
        if n == 1:
            yield Runner(1, "serial")
            return
        from joblib import Parallel

        with Parallel(n_jobs=n, backend="loky") as par:
            yield Runner(n, "loky", par)
        return
    with _dask_logs_quiet():
        client = _dask_client(scheduler, n_jobs)
        try:
            from joblib import Parallel, parallel_config

            n = max(1, sum(client.nthreads().values()))
            if scheduler != "local" and n_jobs != -1:
                log.warning("--n-jobs %d does not size the Dask cluster at %s: its %d worker threads run the tasks "
                            "(--n-jobs still sets this process's native threads)", n_jobs, scheduler, n)
            with parallel_config(backend="dask", client=client), Parallel(n_jobs=-1) as par:
                yield Runner(n, "dask", par)
        finally:
            cluster = getattr(client, "cluster", None) if scheduler == "local" else None
            with contextlib.suppress(Exception):  # a lost cluster cannot be closed politely; the error says so
                client.close()
                if cluster is not None:
                    cluster.close()


@contextlib.contextmanager
def _dask_logs_quiet() -> Iterator[None]:
    """Dask's own log lines (its tracebacks of a lost connection, a cancelled task's warning) are not shown unless
    dvclean logs at DEBUG (``-vv``): what went wrong reaches the user as dvclean's one-line error."""
    try:
        import distributed  # noqa: F401  (its logging configuration sets the levels of its loggers on import)
    except ImportError:  # _dask_client says how to install it
        distributed = None
    # (the command line's -vv sets dvclean's logger to DEBUG; a library caller may set the root's)
    if distributed is None or min(logging.getLogger().getEffectiveLevel(),
                                  logging.getLogger("dvclean").getEffectiveLevel()) <= logging.DEBUG:
        yield
        return

    # Dask's configuration gives some of its loggers levels of their own (distributed.client: warning): each one
    loggers = [logging.getLogger("distributed")] + [
        logger for name, logger in list(logging.root.manager.loggerDict.items())
        if name.startswith("distributed.") and isinstance(logger, logging.Logger)
    ]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        # In the console script's process they stay quiet: the in-process cluster's comms log their closing from
        # Dask's event-loop thread after close() returns ("Batched Comm Closed", a CommClosedError traceback, even
        # with -q), and the process ends with the command. A library caller gets its levels back.
        cli = sys.modules.get("dvclean.cli.commands")
        if not getattr(cli, "_RECORD_AFTER_RUN", None):
            for logger, level in zip(loggers, previous, strict=True):
                logger.setLevel(level)
