"""Same seed, same values: serial vs 2 joblib workers vs an in-process Dask cluster."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.config import CrossFitConfig, DVGSConfig, ScoreConfig, TMCConfig
from dvclean.errors import ConfigError
from dvclean.valuation._parallel import runner


def frame(n: int = 48, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({"a": rng.normal(size=n) + y, "b": rng.normal(size=n), "label": y})


def values(df: pl.DataFrame, n_jobs: int, scheduler: str | None) -> dict[str, np.ndarray]:
    cfg = ScoreConfig(
        methods=("tmc", "dvgs"), seed=7,
        tmc=TMCConfig(max_permutations=8, batch_size=2, tolerance=0.01),
        dvgs=DVGSConfig(epochs=4, restarts=2),
        crossfit=CrossFitConfig(n_folds=3, n_jobs=n_jobs, scheduler=scheduler),
    )
    r = dvclean.score(df, label="label", config=cfg)
    out = {}
    for m, res in r.results.items():
        out[m] = res.values
        out[f"se_{m}"] = res.stderr
    return out


def test_identical_values_serial_joblib_and_dask():
    distributed = pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed")
    df = frame()
    serial = values(df, 1, None)
    loky = values(df, 2, None)
    with distributed.Client(processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None) as client:
        dask = values(df, -1, client.scheduler.address)
    for key in serial:
        np.testing.assert_array_equal(serial[key], loky[key], err_msg=f"{key}: serial vs n_jobs=2")
        np.testing.assert_array_equal(serial[key], dask[key], err_msg=f"{key}: serial vs dask")
    assert np.abs(serial["tmc"]).sum() > 0


def test_local_scheduler_runs_in_process():
    pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed")
    with runner(2, "local") as r:
        assert r.backend == "dask"
        assert r.map(divmod, [(7, 2), (9, 4), (1, 1)]) == [(3, 1), (2, 1), (1, 0)]


def test_unreachable_scheduler_is_a_config_error(monkeypatch):
    pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed")
    monkeypatch.setattr("dvclean.valuation._parallel.CONNECT_TIMEOUT", "1s")
    with pytest.raises(ConfigError, match="cannot connect to the Dask scheduler"):
        with runner(1, "tcp://127.0.0.1:1"):
            pass


def test_a_peer_that_is_not_a_dask_scheduler_is_a_config_error(monkeypatch, capsys):
    """A web server at the address (its reply read as a Dask frame length asks for exabytes) is reported as not
    a scheduler, not as dvclean running out of memory, and no traceback of the half-built client is left."""
    import gc
    import socket
    import threading

    pytest.importorskip("dask.distributed", reason="dask[distributed] is not installed")
    monkeypatch.setattr("dvclean.valuation._parallel.CONNECT_TIMEOUT", "2s")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    port = server.getsockname()[1]

    accepted = []

    def answer() -> None:
        conn, _ = server.accept()
        accepted.append(conn)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    try:
        with pytest.raises(ConfigError, match="answered, but not as a Dask scheduler"):
            with runner(1, f"tcp://127.0.0.1:{port}"):
                pass
    finally:
        thread.join(5)
        for conn in accepted:
            conn.close()
        server.close()
    gc.collect()
    assert "Traceback" not in capsys.readouterr().err


def test_bad_parallel_settings():
    with pytest.raises(ConfigError, match="'n_jobs' parameter of CrossFitConfig"):
        CrossFitConfig(n_jobs=0)
    with pytest.raises(ConfigError, match="'n_folds'"):
        CrossFitConfig(n_folds=1)
