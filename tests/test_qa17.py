"""Defects found in the seventeenth QA round (and fixed), one test each."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import needs_sdv


def test_import_dvclean_and_the_entry_point_load_no_numerical_stack():
    # the console script imports dvclean.cli before main() can install its Ctrl-C handling; that import was
    # ~0.9 s (numpy, polars, scipy, scikit-learn), and a Ctrl-C in it printed Python's traceback
    code = ("import sys, dvclean, dvclean.cli; "
            "print(sorted(m for m in ('numpy', 'polars', 'scipy', 'sklearn', 'typer', 'rich') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_public_names_still_resolve_lazily():
    import dvclean

    for name in dvclean.__all__:
        assert getattr(dvclean, name) is not None, name
        assert name in dir(dvclean)
    from dvclean import REGISTRY, score

    assert callable(score) and "knn" in REGISTRY
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        dvclean.nope  # noqa: B018


def test_a_ctrl_c_while_the_commands_load_exits_130_without_a_traceback(monkeypatch, capsys):
    import dvclean.cli as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_load_app", interrupted)
    monkeypatch.setattr(sys, "argv", ["dvclean", "score", "x.csv", "--label", "y"])
    with pytest.raises(SystemExit) as exc:
        cli.main()
    assert exc.value.code == 130
    assert capsys.readouterr().err == "interrupted; no output was written\n"


def _float_ids(path):
    rows = ["id,x,y"] + [f"{i if i != 1 else 1.5},{(i % 3) + i / 10:.1f},{'ab'[i % 2]}" for i in range(24)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_float_id_column_keeps_its_spelling_in_scores_and_fixed_copies(tmp_path):
    import polars as pl

    from dvclean import score
    from dvclean.config import FixConfig
    from dvclean.fix import fix, write_fixed

    data = _float_ids(tmp_path / "d.csv")
    r = score(str(data), label="y", id_column="id")
    assert r.frame["id"].to_list()[:3] == ["0", "1.5", "2"]  # was 0.0, 1.5, 2.0
    fixed = fix(str(data), label="y", id_column="id", config=FixConfig(action="mark"))
    out = tmp_path / "fixed.csv"
    write_fixed(fixed, out)
    assert out.read_text().splitlines()[1].startswith("0,") and out.read_text().splitlines()[3].startswith("2,")
    # a continuous float *label* stays a number (a regression target), and integer ids stay integers
    ints = tmp_path / "i.csv"
    ints.write_text("id,x,y\n" + "".join(f"{i},{i % 5},{'ab'[i % 2]}\n" for i in range(24)))
    assert score(str(ints), label="y", id_column="id").frame.schema["id"] == pl.Int64


@pytest.mark.parametrize(("lines", "named"), [
    ('json = true\nformat = "markdown"', "json = true, format = 'markdown')"),
    ("max-new-hard = 3", "max-new-hard = 3)"),  # as written (an int), not the option's text '3'
])
def test_a_cross_option_error_names_the_configuration_file_its_values_came_from(tmp_path, lines, named):
    from .test_qa16 import _gate

    res = _gate(tmp_path, f'label = "y"\n[check]\n{lines}\n')
    assert res.exit_code == 2
    assert f"(set in {tmp_path / 'dvclean.toml'} [check]: {named}" in " ".join(res.output.split())
    # typed on the command line, the message is unchanged
    res = _gate(tmp_path, 'label = "y"\n', "--json", "--format", "markdown")
    assert res.exit_code == 2 and "set in" not in res.output


def test_version_option_on_the_main_command():
    from typer.testing import CliRunner

    from dvclean import __version__
    from dvclean.cli import app

    for flag in ("--version", "-V"):
        res = CliRunner().invoke(app, [flag])
        assert res.exit_code == 0 and res.output == f"dvclean {__version__}\n"  # was "No such option"


def test_a_torch_whose_native_libraries_fail_to_load_gets_the_install_hint(monkeypatch):
    import importlib.abc

    from dvclean.augment._sdv import require_sdv
    from dvclean.errors import DvcleanError

    class Broken(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "sdv":  # as torch raises while SDV imports it
                raise OSError("libtorch_cpu.so: cannot open shared object file")
            return None

    monkeypatch.delitem(sys.modules, "sdv", raising=False)
    monkeypatch.setattr(sys, "meta_path", [Broken(), *sys.meta_path])
    with pytest.raises(DvcleanError, match=r"pip install \".\[augment\]\".*libtorch_cpu\.so"):  # was exit 3, "a bug in dvclean"
        require_sdv()


# ---------------------------------------------------------------- terminals, encodings, paths


def _fifo(tmp_path, text: str, name: str = "pipe.csv"):
    import os
    import threading

    path = tmp_path / name
    os.mkfifo(path)

    def write():
        with open(path, "w") as fh:
            fh.write(text)

    threading.Thread(target=write, daemon=True).start()
    return path


def _rows(n: int = 60) -> str:
    return "x,z,y\n" + "".join(f"{i % 7},{(i * 3) % 5},{'ab'[(i % 7) > 3]}\n" for i in range(n))


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_read_once_like_stdin(tmp_path):
    from dvclean.config import FixConfig
    from dvclean.fix import fix
    from dvclean.io import input_output_format, read_frame

    frame, info = read_frame(str(_fifo(tmp_path, _rows())))  # was "the file is empty" (a pipe's size is 0)
    assert frame.height == 60 and info.format == "csv"
    # fix reads the text twice (values, then the cells' spelling): the pipe's bytes are kept, not read again (a hang)
    r = fix(str(_fifo(tmp_path, _rows(), "p2.csv")), label="y", config=FixConfig(action="mark"))
    assert r.frame.height == 60
    assert input_output_format(_fifo(tmp_path, "", "p3.csv")) == "csv"  # by its name, without reading it


def test_force_color_changes_colours_not_the_layout_of_a_pipe(monkeypatch, tmp_path):
    from dvclean.cli._output import UNWRAPPED_WIDTH, stderr_console, stdout_console

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "30")
    with open(tmp_path / "out.txt", "w") as fh:
        monkeypatch.setattr(sys, "stdout", fh)
        monkeypatch.setattr(sys, "stderr", fh)
        console = stdout_console()
        assert console.is_terminal  # rich's view under FORCE_COLOR: colours stay on
        assert console.soft_wrap and console.width == UNWRAPPED_WIDTH  # was wrapped at 80 (or cut at COLUMNS)
        assert not stderr_console().is_interactive  # no animated progress into a log file


def test_a_stdout_that_cannot_encode_the_data_escapes_it(tmp_path):
    import os

    data = tmp_path / "u.csv"
    data.write_text("x,z,revenu\n" + "".join(f"{i % 7},{i % 3},{'é中'[(i % 7) > 3]}\n" for i in range(40)))
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    res = subprocess.run([sys.executable, "-m", "dvclean", "score", str(data), "-y", "revenu", "-m", "knn",
                          "-o", str(tmp_path / "s.csv")], capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, res.stderr  # was exit 3 (UnicodeEncodeError) after the file was written
    assert "\\xe9" in res.stdout or "\\u4e2d" in res.stdout


def test_a_file_name_too_long_is_a_usage_error(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    data = tmp_path / "d.csv"
    data.write_text(_rows())
    res = CliRunner().invoke(app, ["score", str(data), "-y", "y", "-m", "knn", "-o", str(tmp_path / ("a" * 300 + ".csv"))])
    assert res.exit_code == 2 and "file name too long" in res.output  # was exit 3


def test_a_chart_label_in_a_script_the_font_lacks_is_no_warning():
    import warnings

    from dvclean.report._render import _figure, _png

    fig = _figure(2, 1)
    fig.add_subplot().set_title("中文 revenu")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # PYTHONWARNINGS=error made the run exit 3
        assert _png(fig)


# ---------------------------------------------------------------- checkpoints


def _tmc_checkpoint(tmp_path, *, time_budget=None, max_permutations=6):
    from dvclean.config import CrossFitConfig, TMCConfig
    from dvclean.valuation._checkpoint import Checkpoint
    from dvclean.valuation.tmc import TMCShapley

    from .test_resume import make_data

    data = make_data(30)
    path = tmp_path / "a.checkpoint"
    cfg = TMCConfig(max_permutations=max_permutations, convergence=0.0, time_budget=time_budget)
    res = TMCShapley(cfg, CrossFitConfig(n_folds=2, n_jobs=1)).value(data, seed=1, checkpoint=Checkpoint(path, every=1))
    return data, path, res


def test_a_checkpoint_finished_by_the_time_budget_is_reused_when_resumed():
    import tempfile
    from pathlib import Path

    from dvclean.config import CrossFitConfig, TMCConfig
    from dvclean.valuation._checkpoint import Checkpoint
    from dvclean.valuation.tmc import TMCShapley

    with tempfile.TemporaryDirectory() as d:
        data, path, res = _tmc_checkpoint(Path(d), time_budget=1e-9, max_permutations=8)
        first = res.diagnostics["permutations"]
        assert res.status == "budget_exhausted" and max(first) < 8
        # the run's last save marks the method complete: a resumed run (interrupted in a later method) reuses it as
        # it is, as the uninterrupted run had it (session 22: it was run again on a fresh budget, changing its values;
        # the README: "a method that had finished is not rerun"); a fold stopped by the budget in a run interrupted
        # before the method finished gets a fresh budget (test_resume)
        again = TMCShapley(TMCConfig(max_permutations=8, convergence=0.0), CrossFitConfig(n_folds=2, n_jobs=1)).value(
            data, seed=1, checkpoint=Checkpoint(path, every=1))
        assert again.diagnostics["permutations"] == first
        assert again.diagnostics["stop"] == ["time_budget"] * 2
        assert again.diagnostics["resumed_from"] == first
        assert (again.values == res.values).all()


def test_a_checkpoint_of_another_method_is_refused_not_deleted(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    data = tmp_path / "d.csv"
    data.write_text(_rows(40))
    ck = tmp_path / "run.checkpoint"
    args = ["score", str(data), "-y", "y", "--folds", "2", "--n-jobs", "1", "--checkpoint", str(ck), "-q"]
    # a tmc run interrupted: its progress is in the file (a finished one would remove it; keep a copy)
    res = CliRunner().invoke(app, [*args, "-m", "tmc", "--max-permutations", "4", "-o", str(tmp_path / "a.csv")])
    assert res.exit_code == 0, res.output
    _, path, _ = _tmc_checkpoint(tmp_path / "x", max_permutations=4) if (tmp_path / "x").mkdir() is None else None
    ck.write_bytes(path.read_bytes())
    res = CliRunner().invoke(app, [*args, "-m", "dvgs", "--resume", "-o", str(tmp_path / "b.csv")])
    assert res.exit_code == 2 and "holds the progress of a tmc run" in " ".join(res.output.split())
    assert ck.exists()  # was deleted once the dvgs run had written its output


@pytest.mark.parametrize("damage", ["drop-member", "short-sums", "nan", "negative-t", "sections-list", "folds-short"])
def test_a_structurally_damaged_checkpoint_is_a_clear_error(tmp_path, damage):
    import io
    import json

    import numpy as np

    from dvclean.config import CrossFitConfig, TMCConfig
    from dvclean.errors import ConfigError
    from dvclean.valuation._checkpoint import Checkpoint
    from dvclean.valuation.tmc import TMCShapley

    data, path, _ = _tmc_checkpoint(tmp_path, max_permutations=4)
    with np.load(path) as npz:
        members = {k: npz[k] for k in npz.files}
    header_key = next(k for k in members if "tmc." not in k)
    header = json.loads(members[header_key].tobytes())
    state = header["sections"]["tmc"]["state"]
    if damage == "drop-member":
        del members["tmc.f1.sums"]
    elif damage == "short-sums":
        members["tmc.f0.sums"] = members["tmc.f0.sums"][:5]
    elif damage == "nan":
        members["tmc.f0.sums"] = np.full_like(members["tmc.f0.sums"], np.nan)
    elif damage == "negative-t":
        state["folds"][0]["t"] = -5
    elif damage == "sections-list":
        header["sections"] = [header["sections"]]
    elif damage == "folds-short":
        state["folds"] = state["folds"][:1]
    state["complete"] = False
    members[header_key] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    buf = io.BytesIO()
    np.savez(buf, **members)
    path.write_bytes(buf.getvalue())
    with pytest.raises(ConfigError, match="not a readable dvclean checkpoint"):  # were KeyError, ValueError, ...: exit 3
        TMCShapley(TMCConfig(max_permutations=4, convergence=0.0), CrossFitConfig(n_folds=2, n_jobs=1)).value(
            data, seed=1, checkpoint=Checkpoint(path, every=1))


# ---------------------------------------------------------------- column types through augment


@needs_sdv
def test_integers_beyond_a_floats_exact_range_are_modelled_as_offsets(tmp_path):
    import numpy as np
    import polars as pl

    from dvclean.augment import augment
    from dvclean.augment.config import AugmentConfig

    rng = np.random.default_rng(0)
    x = rng.normal(size=120)
    big = pl.Series([2**64 - 5000 + int(v) for v in rng.integers(0, 1000, 120)], dtype=pl.UInt64)
    frame = pl.DataFrame({"x": x, "y": np.where(x > 0, "a", "b"), "u64": big,
                          "i128": pl.Series([4 * v for v in big.to_list()], dtype=pl.Int128)})  # CSV and NDJSON integers above Int64 read as Int128
    cfg = AugmentConfig(generator="gaussian-copula", n_synthetic=40, target="all", quality=True)
    r = augment(frame, label="y", config=cfg)  # Int128 was exit 3 ("cannot convert i128 to NumPy")
    syn = r.frame.filter(pl.col("dvclean_synthetic"))
    assert r.frame.schema["u64"] == pl.UInt64 and r.frame.schema["i128"] == pl.Int128
    assert syn["u64"].n_unique() > 10  # were all one float-rounded value, in none of the rows
    assert big.min() <= syn["u64"].min() and syn["u64"].max() <= big.max()


@needs_sdv
def test_the_quality_score_is_skipped_with_a_note_for_a_wide_table():
    import numpy as np
    import polars as pl

    from dvclean.augment import augment
    from dvclean.augment.config import QUALITY_MAX_COLUMNS, AugmentConfig

    rng = np.random.default_rng(1)
    frame = pl.DataFrame({f"f{i}": rng.normal(size=60) for i in range(QUALITY_MAX_COLUMNS + 5)})
    frame = frame.with_columns(y=pl.Series(np.where(frame["f0"].to_numpy() > 0, "a", "b")))
    r = augment(frame, label="y", config=AugmentConfig(generator="gaussian-copula", n_synthetic=10, target="all"))
    assert r.report["quality"] is None  # was minutes of SDMetrics column-pair trends, with no way to turn it off
    assert any("quality score was skipped" in n for n in r.report["notes"])


def test_json_outputs_refuse_infinite_values_instead_of_writing_null(tmp_path):
    import polars as pl

    from dvclean.errors import OutputError
    from dvclean.io import write_table

    frame = pl.DataFrame({"z": [1.0, float("inf"), float("-inf"), 2.0], "y": ["a", "b", "a", "b"]})
    for name in ("out.json", "out.ndjson"):
        with pytest.raises(OutputError, match=r"'z' \(2 cells\) cannot be written to N?D?JSON"):  # were written null
            write_table(frame, tmp_path / name)
        assert not (tmp_path / name).exists()
    write_table(frame, tmp_path / "out.csv")  # CSV spells them
    assert "inf" in (tmp_path / "out.csv").read_text()


def test_csv_header_names_with_surrounding_spaces(tmp_path):
    import polars as pl

    from dvclean import score
    from dvclean.errors import OutputError
    from dvclean.io import write_table

    data = tmp_path / "d.csv"
    data.write_text("x1, x3 ,y\n" + "".join(f"{i % 7},{i % 5},{'ab'[(i % 7) > 3]}\n" for i in range(40)))
    # the header is read as x3: the name as the file writes it is accepted too (was "unknown columns ' x3 '")
    assert score(str(data), label="y", drop=(" x3 ",)).table.features == ("x1",)
    # a CSV output whose names differ only in spaces could not be read back (dvclean then refused its own file)
    frame = pl.DataFrame({"x1": [1, 2], " x1 ": [3, 4]})
    with pytest.raises(OutputError, match="differ only in surrounding spaces"):
        write_table(frame, tmp_path / "o.csv")
    write_table(frame, tmp_path / "o.parquet")


def test_two_processes_cannot_use_one_checkpoint(tmp_path):
    from dvclean.valuation._checkpoint import Checkpoint

    path = tmp_path / "run.checkpoint"
    ck = Checkpoint(path)
    Checkpoint(path).release()  # the same process shares its lock (the library, a test)
    code = ("import sys; from dvclean.valuation._checkpoint import Checkpoint\n"
            "try:\n    Checkpoint(sys.argv[1])\nexcept Exception as e:\n    print(e); sys.exit(2)\n")
    res = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert res.returncode == 2 and "in use by another running dvclean" in res.stdout
    ck.remove()  # the results are stored: the lock goes with the file
    assert not (tmp_path / "run.checkpoint.lock").exists()
    assert subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True).returncode == 0


@needs_sdv
def test_sampled_datetimes_keep_their_nanoseconds():
    import pandas as pd
    import polars as pl

    from dvclean.augment._sdv import from_pandas

    ns = 1_600_000_000_123_456_789
    pdf = pd.DataFrame({"t": pd.Series([pd.Timestamp(ns), None], dtype="datetime64[ns]")})
    out = from_pandas(pdf, {"t": pl.Datetime("ns")})
    assert out["t"].dt.epoch("ns").to_list() == [ns, None]  # was ...123456000: np.datetime64 of a Timestamp


# ---------------------------------------------------------------- parallel execution


def test_a_server_that_does_not_speak_dask_is_refused_quickly(monkeypatch):
    import socket
    import time

    from dvclean.errors import ConfigError
    from dvclean.valuation import _parallel

    monkeypatch.setattr(_parallel, "HANDSHAKE_TIMEOUT", 0.5)
    with socket.create_server(("127.0.0.1", 0)) as server:  # accepts, says nothing (as an HTTP server does)
        port = server.getsockname()[1]
        t = time.monotonic()
        with pytest.raises(ConfigError, match="answered, but not as a Dask scheduler"):  # Client waited forever
            _parallel._dask_client(f"tcp://127.0.0.1:{port}", 2)
        assert time.monotonic() - t < 30


def test_n_jobs_is_capped_at_the_cores():
    import os

    from dvclean.valuation._parallel import runner, worker_count

    cores = os.cpu_count() or 1
    assert worker_count(1000) == cores and worker_count(-1) == cores and worker_count(1) == 1
    with runner(1000) as r:  # was 1,000 loky processes on 2 cores
        assert r.n_workers == cores


def test_a_lost_dask_cluster_is_a_dvclean_error_not_a_bug():
    from dvclean.errors import ValuationError
    from dvclean.valuation._parallel import Runner

    class FutureCancelledError(Exception):
        pass

    FutureCancelledError.__module__ = "distributed.client"

    def lost(jobs):
        list(jobs)
        raise FutureCancelledError("scheduler-connection-lost")

    with pytest.raises(ValuationError, match="lost the Dask cluster"):  # was exit 3, "a bug in dvclean"
        Runner(2, "dask", lost).map(pow, [(2, 3), (3, 2)])
    with pytest.raises(FutureCancelledError):  # on joblib's workers the error is whatever it is
        Runner(2, "loky", lost).map(pow, [(2, 3), (3, 2)])


def test_an_unknown_drop_lists_every_column_of_the_file(tmp_path):
    from dvclean import score
    from dvclean.errors import DataValidationError

    data = tmp_path / "d.csv"
    data.write_text(_rows())
    with pytest.raises(DataValidationError, match=r"unknown columns 'nope' \(columns: 'x', 'z', 'y'\)"):
        score(str(data), label="y", drop=("z", "nope"))  # 'z' was left out: it was dropped before the read
