"""QA round 90 (session 52): items carried from earlier rounds, and the helpers' findings (the library API; file
formats' round trips; augment's synthetic rows). ``--expected-noise 50`` lacked the "(a percentage?)" hint that
``--min-confidence 70`` has; a damaged checkpoint refused with ``--resume`` left its ``.lock`` beside it; library
callers got numpy's or polars' errors for hand-built class codes as floats, a bad seed, a path or an AugmentResult
where a report dict goes, and the check helpers' wrong arguments; a polars frame's all-NaN column was "constant"
where a pandas frame's was "empty"; integers of 2**63 and above went to Parquet/Arrow as 128-bit integers, which
pyarrow (and pandas) cannot read; Arrow outputs wrote text as ``string_view``; a read-only output file was
replaced."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.errors import ConfigError, DataValidationError
from tests.conftest import needs_sdv

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _csv(tmp_path: Path, n: int = 120, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    c = np.arange(n) % 2
    path = tmp_path / "d.csv"
    pl.DataFrame({"a": rng.normal(size=n) + 3 * c, "b": rng.normal(size=n), "y": c}).write_csv(path)
    return path


@pytest.mark.parametrize("args, hint", [
    (["--expected-noise", "50"], "--expected-noise must be a float in (0, 1); got 50.0 (a percentage? write 50%)."),
    (["--hard-frac", "20"], "--hard-frac must be a float in [0, 1]; got 20.0 (a percentage? write 20%)."),
    (["--hard-frac", "200"], "--hard-frac must be a float in [0, 1]; got 200.0."),  # (no percentage either)
    (["--eps", "5"], "--eps must be a float in (0, 1); got 5.0."),  # (--eps takes no percentage)
])
def test_a_percentage_given_as_a_fraction_gets_the_hint(tmp_path, args, hint):
    res = runner.invoke(app, ["score", str(_csv(tmp_path)), "-y", "y", "-o", str(tmp_path / "s.csv"), *args])
    assert res.exit_code == 2 and hint in _flat(res.output), res.output


def test_the_percentage_hint_names_a_configuration_file(tmp_path):
    data = _csv(tmp_path)
    (tmp_path / "dvclean.toml").write_text("expected-noise = 50\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2, res.output
    assert "invalid value 50 for --expected-noise: it must be a float in (0, 1) (a percentage? write 50%)." in _flat(
        res.output)


def test_seed_range_is_in_the_help():
    for command in ("score", "augment"):
        res = runner.invoke(app, [command, "--help"], env={"COLUMNS": "400"})
        assert "an integer in [0, 2**32)" in _flat(res.output), command


def test_a_damaged_checkpoint_leaves_no_lock_file(tmp_path):
    data = _csv(tmp_path)
    ck = tmp_path / "run.checkpoint"
    ck.write_bytes(b"PK\x03\x04" + b"\0" * 40)  # an .npz archive's first bytes, the rest cut off
    lock = tmp_path / "run.checkpoint.lock"
    lock.write_bytes(b"dvclean checkpoint lock\n")  # (as the interrupted run that saved it left it)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "tmc", "--checkpoint", str(ck), "--resume",
                              "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and "is not a readable dvclean checkpoint" in _flat(res.output), res.output
    assert ck.exists() and not lock.exists()  # (the file is the user's to delete, as the message says)


def test_a_resumable_checkpoint_keeps_its_lock_file_when_refused(tmp_path):
    # without --resume an existing checkpoint is refused, and stays resumable: its lock file is reused then
    data = _csv(tmp_path)
    ck = tmp_path / "run.checkpoint"
    ck.write_bytes(b"PK\x03\x04" + b"\0" * 40)
    lock = tmp_path / "run.checkpoint.lock"
    lock.write_bytes(b"dvclean checkpoint lock\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "tmc", "--checkpoint", str(ck),
                              "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and "pass --resume" in _flat(res.output), res.output
    assert lock.exists()


def _valuation_data(y: np.ndarray):
    from dvclean.table import ValuationData

    rng = np.random.default_rng(0)
    x = rng.normal(size=(y.size, 2)) + 2 * np.asarray(y, dtype=float)[:, None]
    return ValuationData(x=x, y=y, rows=np.arange(y.size), classes=np.array(["a", "b"]))


def test_class_codes_held_as_whole_floats_are_codes():
    from dvclean.config import ScoreConfig
    from dvclean.valuation import make_valuer

    codes = np.arange(60) % 2
    as_floats, as_ints = _valuation_data(codes.astype(float)), _valuation_data(codes)
    assert as_floats.y.dtype == np.int64
    for method in ("confidence", "loo", "knn"):
        valuer = make_valuer(method, ScoreConfig(methods=(method,)))
        np.testing.assert_array_equal(valuer.value(as_floats, seed=0).values, valuer.value(as_ints, seed=0).values)
    with pytest.raises(DataValidationError, match="integer class codes"):
        _valuation_data(np.r_[codes[:-1], 1.5])


@pytest.mark.parametrize("seed", [-1, 1.5, None, True, 2**32])
def test_a_valuer_refuses_a_seed_outside_its_range(seed):
    from dvclean.config import ScoreConfig
    from dvclean.valuation import make_valuer

    data = _valuation_data(np.arange(40) % 2)
    for method in ("knn", "oob"):
        with pytest.raises(ConfigError, match=r"must be an int in \[0, 2\*\*32\)"):
            make_valuer(method, ScoreConfig(methods=(method,))).value(data, seed=seed)
    assert make_valuer("knn", ScoreConfig()).value(data, seed=np.uint32(7)).seed == 7


def test_an_all_nan_column_is_empty_in_every_kind_of_frame():
    pd = pytest.importorskip("pandas")
    y = np.arange(60) % 2
    for frame in (pl.DataFrame({"x": [float("nan")] * 60, "y": y}), pd.DataFrame({"x": [float("nan")] * 60, "y": y})):
        with pytest.raises(DataValidationError, match=r"every feature column \('x'\) is empty"):
            dvclean.score(frame, label="y")
    with pytest.raises(DataValidationError, match=r"every feature column \('x'\) holds no finite value"):  # (session 58)
        dvclean.score(pl.DataFrame({"x": [float("inf")] * 60, "y": y}), label="y")
    rng = np.random.default_rng(0)
    r = dvclean.score(pl.DataFrame({"x": [float("nan")] * 60, "z": rng.normal(size=60) + 3 * y, "y": y}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",)))
    assert r.summary["features"]["ignored"] == ["x"] and "x (empty)" in " ".join(r.summary["notes"])


def test_build_report_names_what_augmentation_takes(tmp_path):
    from dvclean.report import build_report

    x = np.r_[np.zeros(6), np.ones(6) * 5] + np.arange(12) / 100
    r = dvclean.score(pl.DataFrame({"x": x, "y": np.repeat([0, 1], 6)}), label="y",
                      config=dvclean.ScoreConfig(knn=dvclean.KNNConfig(k=1)))
    with pytest.raises(TypeError, match=r"augmentation= takes the dict of an augment report .* read the file first: "
                                        r"augmentation=json.loads\(Path\('a.json'\).read_text\(\)\)"):
        build_report(r, augmentation="a.json")

    class Fake:  # (an AugmentResult's shape)
        report = {"evaluation": {}}

    with pytest.raises(TypeError, match=r"pass its report: augmentation=Fake.report"):
        build_report(r, augmentation=Fake())
    with pytest.raises(TypeError, match="got an object"):
        build_report(r, augmentation=object())


def test_library_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"^valid= \(the validation data\) must be a file path"):
        dvclean.score(pl.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "y": [0, 1, 0, 1]}), label="y", valid=np.zeros((3, 3)))


@needs_sdv
def test_augment_refuses_a_k_that_the_scores_fixed(tmp_path):
    import dvclean.augment as A

    data = _csv(tmp_path)
    s = dvclean.score(data, label="y", config=dvclean.ScoreConfig(methods=("knn",)))
    with pytest.raises(ConfigError, match=r"AugmentConfig\(k=3\) sets the K of the valuation, but scores= already "
                                          r"fixed the values"):
        A.augment(data, label="y", scores=s, config=A.AugmentConfig(generator="gaussian-copula", k=3))
    with pytest.raises(ConfigError, match=r"--holdout \(holdout=\) is only used by --evaluate \(evaluate=True\)"):
        A.augment(data, label="y", holdout=data, config=A.AugmentConfig(generator="gaussian-copula"))


def test_check_helpers_name_their_wrong_arguments():
    pd = pytest.importorskip("pandas")
    from dvclean.check import conflicting_duplicate_rows, load_baseline, row_hashes

    df = pd.DataFrame({"x": [1, 1, 2], "y": ["a", "b", "a"]})
    assert conflicting_duplicate_rows(df, ["x"], "y").tolist() == [0, 1]  # (a pandas frame is converted)
    with pytest.raises(KeyError, match=r"conflicting_duplicate_rows\(\): the frame has no column 'z'"):
        conflicting_duplicate_rows(df, ["z"], "y")
    with pytest.raises(IndexError, match=r"row 5 is outside the frame's 3 rows"):
        row_hashes(pl.from_pandas(df), [5])
    with pytest.raises(TypeError, match=r"row_hashes\(\) takes a DataFrame, got the path 'a.csv'"):
        row_hashes("a.csv", [0])
    with pytest.raises(TypeError, match=r"load_baseline\(\) takes the path"):
        load_baseline(None)


def test_integers_past_64_bits_are_written_for_every_arrow_reader(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    rng = np.random.default_rng(11)
    x = rng.normal(size=120)
    lines = ["big,neg,x,name,y"] + [f"{2**63 + i},{-(2**70) + i},{x[i]:.5f},n{i % 7},{int(x[i] > 0)}" for i in range(120)]
    data = tmp_path / "u64.csv"
    data.write_text("\n".join(lines) + "\n")
    assert pl.read_csv(data).schema["big"] == pl.Int128  # (what the reader makes of them)
    for out in ("f.parquet", "f.arrow"):
        res = runner.invoke(app, ["fix", str(data), "-y", "y", "-o", str(tmp_path / out), "-q"])
        assert res.exit_code == 0, res.output
    t = pq.read_table(tmp_path / "f.parquet")
    assert t.schema.field("big").type == pa.uint64() and t.schema.field("neg").type == pa.decimal128(38, 0)
    assert t.column("big").to_pylist()[:2] == [2**63, 2**63 + 1]  # (exact)
    arrow = feather.read_table(tmp_path / "f.arrow")
    assert arrow.schema.field("name").type == pa.large_string()  # (not string_view, which older readers refuse)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--id", "big", "-o", str(tmp_path / "s.parquet"), "-q"])
    assert res.exit_code == 0 and pq.read_table(tmp_path / "s.parquet").schema.field("big").type == pa.uint64()


def test_a_read_only_output_file_is_not_replaced(tmp_path, monkeypatch):
    data = _csv(tmp_path)
    out = tmp_path / "kept.csv"
    out.write_text("precious\n")
    real = os.access

    def access(path, mode, *a, **k):  # (the tests run as root, whom os.access lets write anything)
        if Path(path) == out and mode & os.W_OK:
            return False
        return real(path, mode, *a, **k)

    monkeypatch.setattr(os, "access", access)
    res = runner.invoke(app, ["fix", str(data), "-y", "y", "-o", str(out)])
    assert res.exit_code == 2 and f"--output {out} exists and is read-only" in _flat(res.output), res.output
    assert out.read_text() == "precious\n"


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_a_csv_column_of_times_of_day_is_modelled_and_spelled_as_written(tmp_path):
    rng = np.random.default_rng(8)
    n = 150
    y = rng.integers(0, 2, n)
    data = tmp_path / "times.csv"
    pl.DataFrame({"dep": [f"{h:02d}:{m:02d}" for h, m in zip(rng.integers(0, 24, n), rng.integers(0, 60, n), strict=True)],
                  "x": rng.normal(0, 1, n) + y, "y": y}).write_csv(data)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["augment", str(data), "-y", "y", "-g", "gaussian-copula", "-t", "all", "-n", "30",
                              "-o", str(out), "-q", "--no-quality"])
    assert res.exit_code == 0, res.output
    lines = out.read_text().splitlines()
    assert lines[1 : n + 1] == [line + ",false" for line in data.read_text().splitlines()[1:]]  # (real rows as written)
    synthetic = [line.split(",")[0] for line in lines[n + 1 :]]
    assert len(synthetic) == 30 and all(len(t) == 5 and t[2] == ":" for t in synthetic), synthetic  # HH:MM


def test_time_style_follows_the_cells():
    import datetime as dt

    from dvclean.io import time_style

    assert time_style(["20:30", "07:05"])(dt.time(5, 7)) == "05:07"
    assert time_style(["20:30", "7:05"])(dt.time(5, 7)) == "5:07"
    assert time_style(["20:30:15", "17:05:00"])(dt.time(5, 7)) == "05:07:00"
    assert time_style(["20:30", "17:05:00"]) is None and time_style(["noon"]) is None


def test_a_sparse_offset_column_takes_its_zone_s_side_of_the_switch():
    import datetime as dt

    from dvclean.io import OffsetZone

    utc = dt.UTC
    written = [(dt.datetime(2021, 3, d, 12, tzinfo=utc), f"2021-03-{d:02d}T13:00:00+01:00") for d in range(1, 11)]
    written += [(dt.datetime(2021, 4, d, 12, tzinfo=utc), f"2021-04-{d:02d}T14:00:00+02:00") for d in range(25, 31)]
    zone = OffsetZone.learn(written)
    assert zone is not None and "Europe/Berlin" in zone.zones

    def micros(d: dt.datetime) -> int:
        return int(d.timestamp()) * 10**6

    # 30 March (Berlin on summer time since the 28th) is nearer the last winter value than the first summer one
    assert zone.offset_at([micros(dt.datetime(2021, 3, 30, 12, tzinfo=utc))]).tolist() == [7200]
    assert zone.offset_at([micros(dt.datetime(2021, 3, 27, 12, tzinfo=utc))]).tolist() == [3600]
    # offsets no zone writes (+01:00 in summer, +02:00 in winter): the nearest written instant's, as before
    odd = OffsetZone.learn([(dt.datetime(2021, 1, 1, tzinfo=utc), "2021-01-01T02:00:00+02:00"),
                            (dt.datetime(2021, 7, 1, tzinfo=utc), "2021-07-01T01:00:00+01:00")])
    assert odd is not None and odd.zones == ()
    assert odd.offset_at([micros(dt.datetime(2021, 2, 1, tzinfo=utc))]).tolist() == [7200]


def _reading_stdin(stdin: int, sink: int, tmp_path: Path, head: bytes):
    """A ``dvclean score -`` process that has read ``head`` from the pipe ``sink`` feeds (and waits for more)."""
    import fcntl
    import subprocess
    import sys
    import termios
    import time

    proc = subprocess.Popen([sys.executable, "-m", "dvclean", "score", "-", "-y", "y", "-o", str(tmp_path / "s.csv")],
                            stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    os.write(sink, head)
    for _ in range(1200):  # until the reader has taken the bytes: it waits in its read of standard input then
        left = fcntl.ioctl(stdin, termios.FIONREAD, b"\0\0\0\0")
        if int.from_bytes(left, "little") == 0 or proc.poll() is not None:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    return proc


@pytest.mark.skipif(os.name != "posix", reason="signals and pipes as on POSIX")
def test_ctrl_c_stops_a_run_that_waits_for_standard_input(tmp_path):
    import signal
    import subprocess

    read_end, write_end = os.pipe()
    try:
        proc = _reading_stdin(read_end, write_end, tmp_path, b"a,b,y\n1,2,0\n")
        proc.send_signal(signal.SIGINT)
        try:  # (the writer never closes the pipe: before, the run waited for its end, never acting on Ctrl-C)
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            pytest.fail("Ctrl-C did not stop a run waiting for standard input")
    finally:
        os.close(read_end)
        os.close(write_end)
    assert proc.returncode == 130 and b"interrupted; no output was written" in err, err
    assert not (tmp_path / "s.csv").exists()


@pytest.mark.skipif(os.name != "posix", reason="a pseudo-terminal")
def test_a_terminal_as_standard_input_gets_a_word(tmp_path):
    import pty
    import select
    import signal
    import subprocess
    import sys
    import time

    main, terminal = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "dvclean", "score", "-", "-y", "y", "-o", str(tmp_path / "s.csv")],
                                stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "OMP_NUM_THREADS": "1"})
        err, end = b"", time.monotonic() + 120
        while b"Ctrl-D" not in err and time.monotonic() < end and proc.poll() is None:
            if select.select([proc.stderr], [], [], 0.5)[0]:
                err += os.read(proc.stderr.fileno(), 4096)
        proc.send_signal(signal.SIGINT)
        _, rest = proc.communicate(timeout=120)
    finally:
        os.close(main)
        os.close(terminal)
    err += rest
    assert proc.returncode == 130 and b"interrupted; no output was written" in err, err
    assert b"standard input is a terminal: the data is read from what you type, up to Ctrl-D" in err, err


def _copies(tmp_path: Path) -> Path:
    """300 rows that are copies of 10 rows (QA round 91's rep_hard.csv)."""
    rng = np.random.default_rng(0)
    base = rng.normal(size=(10, 3))
    x = base[rng.integers(0, 10, 300)]
    path = tmp_path / "copies.csv"
    pl.DataFrame({f"x{i}": x[:, i] for i in range(3)}).with_columns(
        pl.Series("label", (x[:, 0] > 0).astype(int))).write_csv(path)
    return path


def test_a_hard_set_past_its_share_gets_a_note(tmp_path):
    r = dvclean.score(_copies(tmp_path), label="label", config=dvclean.ScoreConfig(methods=("knn",)))
    hard = int(r.frame.get_column("is_hard").sum())
    assert hard > 30  # (rows of one value straddle the cut and are taken together)
    notes = [n for n in r.summary["notes"] if "flagged hard, more than" in n]
    assert notes and notes[0].startswith(f"{hard} rows are flagged hard, more than the 30 that --hard-frac 0.1 asks "
                                         "for") and "`dvclean check --max-hard 10%` fails on them" in notes[0], notes


def test_the_summary_counts_conflicting_duplicates(tmp_path):
    rng = np.random.default_rng(0)
    base = rng.normal(size=(10, 2))
    x = base[np.arange(200) % 10]
    y = (x[:, 0] > 0).astype(int)
    y[:7] = 1 - y[:7]  # (seven copies now disagree with their groups)
    data = tmp_path / "d.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).write_csv(data)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 0, res.output
    n = pl.read_parquet(tmp_path / "s.parquet").get_column("is_conflicting_duplicate").sum()
    assert n > 0 and (f"conflicting duplicates: {n} rows share their feature values with rows of another label "
                      "(is_conflicting_duplicate)") in _flat(res.output)


def test_a_narrow_terminal_gets_one_line_per_row_not_cut_numbers():
    from rich.console import Console
    from rich.table import Table

    from dvclean.cli._output import _print_table

    def table() -> Table:
        t = Table(title="10 lowest-valued rows")
        for col in ("row", "label", "neighbours' label", "value", "mislabel score", "flag"):
            t.add_column(col)
        t.add_row("341", ">50K", "<=50K", "-0.0077", "0.9645", "mislabeled")
        return t

    narrow = Console(width=40, record=True, color_system=None)
    _print_table(narrow, table())
    text = narrow.export_text()
    assert "row 341: label >50K, neighbours' label <=50K, value -0.0077, mislabel score 0.9645, flag mislabeled" in (
        _flat(text)), text
    wide = Console(width=100, record=True, color_system=None)
    _print_table(wide, table())
    text = wide.export_text()
    assert "┃ row ┃" in text and "-0.0077" in text


@pytest.mark.parametrize("typed, suggestion", [("-json", "--json"), ("--JSON", "--json")])
def test_a_mistyped_long_option_gets_its_suggestion(tmp_path, typed, suggestion):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "dvclean", "score", str(_csv(tmp_path)), "-y", "y", typed],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert res.returncode == 2 and f"(Possible options: {suggestion})" in res.stderr, res.stderr


def test_a_bad_choice_has_no_validator_prefix(tmp_path):
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-m", "dvclean", "score", str(_csv(tmp_path)), "-y", "y", "--format", "xls"],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert res.returncode == 2 and "'xls' is not one of" in res.stderr and "Value error" not in res.stderr, res.stderr


def test_a_regression_run_records_the_model_and_metric_it_used(tmp_path):
    import json

    import pyarrow.parquet as pq

    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 2))
    data = tmp_path / "reg.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "target": x[:, 0] + 0.1 * rng.normal(size=40)}).write_csv(data)
    out = tmp_path / "s.parquet"
    res = runner.invoke(app, ["score", str(data), "-y", "target", "-m", "loo", "--folds", "2", "--n-jobs", "1",
                              "-o", str(out), "--json", "-q"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    footer = json.loads(pq.read_metadata(out).metadata[b"dvclean"])
    for config in (summary["config"], footer["config"]):
        assert (config["tmc"]["model"], config["tmc"]["metric"]) == ("linear", "r2")
        assert config["mislabel"]["linear_model"] == "linear"
    assert summary["methods"]["loo"]["params"]["model"] == "linear"


def test_a_pipe_given_as_a_path_reads_the_current_directory_s_configuration(tmp_path, monkeypatch):
    from dvclean.settings import _system_stream, find_config_files

    (tmp_path / "dvclean.toml").write_text('label = "y"\n')
    monkeypatch.chdir(tmp_path)
    read_end, write_end = os.pipe()
    data = _csv(tmp_path)
    with open(data, "rb") as fh:
        try:
            assert _system_stream(f"/dev/fd/{read_end}") == "-"  # (a shell's <(...): no directory of its own)
            assert _system_stream(f"/dev/fd/{fh.fileno()}") == str(data)  # (/dev/stdin < data.csv: the file's)
            assert _system_stream(str(data)) is None
            assert [f.path for f in find_config_files(f"/dev/fd/{read_end}")] == [tmp_path / "dvclean.toml"]
        finally:
            os.close(read_end)
            os.close(write_end)


def test_a_top_level_command_table_in_pyproject_is_refused(tmp_path):
    data = _csv(tmp_path)
    for table, where in (("check", "[tool.dvclean.check]"), ("dvclean", "[tool.dvclean]")):
        (tmp_path / "pyproject.toml").write_text(f'[tool.dvclean]\nlabel = "y"\n[{table}]\nmax-mislabeled = "2%"\n')
        res = runner.invoke(app, ["check", str(data)])
        assert res.exit_code == 2, res.output
        assert f"has a top-level [{table}] table, which dvclean does not read" in _flat(res.output)
        assert f"rename the table {where}" in _flat(res.output)


@pytest.mark.parametrize("line, message", [
    ("verbose = -1", "it is a count, as -v and -vv give it: write verbose = 1"),
    ("verbose = true", "it is a count, as -v and -vv give it: write verbose = 1"),
    ('drop = [["a", "b"]]', "it takes a list of texts, not of lists or tables"),
    ('null-values = ["NA", "?"]', "it takes one value, not a list (one text of comma-separated values: "
                                  "null-values = 'NA,?')"),
    ("id = 1979-05-27", 'write it as text, in quotes (id = "1979-05-27")'),
    ("[check]\nreport = 7", 'it names a file: write its path as text, in quotes (report = "path/to/file")'),
    ('[check]\njunit-xml = ""', "an empty path names no file; write one or remove junit-xml"),
])
def test_configuration_values_of_the_wrong_shape_are_refused(tmp_path, line, message):
    data = _csv(tmp_path)
    (tmp_path / "dvclean.toml").write_text(f'label = "y"\n{line}\n')
    res = runner.invoke(app, ["check", str(data)])
    assert res.exit_code == 2 and message in _flat(res.output), res.output


def test_exit_zero_from_a_file_is_said_when_the_check_fails(tmp_path):
    data = _csv(tmp_path)
    (tmp_path / "dvclean.toml").write_text('label = "y"\n[check]\nmax-hard = 1\nexit-zero = true\n')
    res = runner.invoke(app, ["check", str(data)])
    assert res.exit_code == 0 and "FAIL" in res.output
    assert "exit-zero = true (" in _flat(res.output) and "the check failed but exits 0" in _flat(res.output)
    res = runner.invoke(app, ["check", str(data), "--exit-zero", "--max-hard", "1"])
    assert res.exit_code == 0 and "the check failed but exits 0" not in _flat(res.output)  # (typed: no note)


def test_a_csv_time_column_with_and_without_seconds_is_read_as_times(tmp_path):
    import datetime as dt

    data = tmp_path / "t.csv"
    rows = [f"{i},{t},{'ab'[i % 2]}" for i, t in enumerate(["6:49", "13:05:10", "7:00", "8:00", "9:00", "10:00"] * 5)]
    data.write_text("x,t,y\n" + "\n".join(rows) + "\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 0, res.output  # (was an internal error, exit 3, in the CSV reader)
    from dvclean.io import read_frame

    frame = read_frame(data)
    frame = frame[0] if isinstance(frame, tuple) else frame
    assert frame.schema["t"] == pl.Time and frame.get_column("t")[1] == dt.time(13, 5, 10)


def test_integers_past_128_bits_are_read_as_their_digits(tmp_path):
    ids = [str(10**40 + i) for i in range(8)]
    data = tmp_path / "ids.csv"
    data.write_text("id,x,y\n" + "\n".join(f"{v},{i},{'ab'[i % 2]}" for i, v in enumerate(ids)) + "\n")
    out = tmp_path / "s.csv"
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--id", "id", "--k", "1", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output  # (was "cannot parse the CSV ... check --separator and quoting")
    assert pl.read_csv(out, schema_overrides={"id": pl.String}).get_column("id").to_list() == ids


def test_a_column_that_writes_utc_as_z_keeps_its_zone_s_offsets():
    import datetime as dt

    from dvclean.io import OffsetZone

    utc = dt.UTC
    written = [(dt.datetime(2021, 1, d, 12, tzinfo=utc), f"2021-01-{d:02d}T12:00:00Z") for d in range(1, 20)]
    written += [(dt.datetime(2021, 7, d, 11, tzinfo=utc), f"2021-07-{d:02d}T12:00:00+01:00") for d in range(1, 20)]
    zone = OffsetZone.learn(written)
    assert zone is not None and zone.zulu and "Europe/London" in zone.zones
    winter = int(dt.datetime(2021, 11, 20, 12, tzinfo=utc).timestamp()) * 10**6  # (nearer the summer values)
    assert zone.offset_at([winter]).tolist() == [0]


def test_quiet_or_verbose_typed_wins_over_the_other_from_a_file(tmp_path):
    data = _csv(tmp_path)
    (tmp_path / "dvclean.toml").write_text('label = "y"\nquiet = true\n')
    res = runner.invoke(app, ["check", str(data), "--max-hard", "50%", "-v"])
    assert res.exit_code == 0 and "INFO" in res.stderr and "PASS" in res.stdout, res.output  # (not quiet at all)
    (tmp_path / "dvclean.toml").write_text('label = "y"\nverbose = 2\n')
    res = runner.invoke(app, ["check", str(data), "--max-hard", "50%", "-q"])
    assert res.exit_code == 0 and res.output == "", res.output
    res = runner.invoke(app, ["check", str(data), "--max-hard", "50%", "-q", "-v"])
    assert res.exit_code == 2 and "--quiet and --verbose contradict each other" in _flat(res.output)
