"""Column types an output format cannot hold (QA s11 findings 2 and 3), and polars panics as internal errors.

Binary cannot be written to CSV, JSON or NDJSON, nested columns not to CSV: ``write_table`` refuses
them with an OutputError (exit 2) instead of a polars panic (exit 1, a Rust backtrace) or an
internal error (exit 3), and ``fix``, ``augment`` and ``score`` refuse them before any work. A
Duration column is written to CSV as ISO-8601 text, as the JSON writer writes it.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.errors import OutputError
from dvclean.io import check_writable, unwritable_columns, write_table

runner = CliRunner()


def _frame(n: int = 60, **extra: pl.Series) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], n // 2)
    return pl.DataFrame({"x": rng.normal(size=n) + 6 * y, "y": [["p", "q"][v] for v in y]}).with_columns(
        [s.alias(k) for k, s in extra.items()]
    )


def _binary(n: int = 60) -> pl.Series:
    return pl.Series([i.to_bytes(2, "big") for i in range(n)])


def _durations(n: int = 60) -> pl.Series:
    return pl.Series([dt.timedelta(seconds=i * 37, microseconds=i) for i in range(n)])


def _no_work(*args, **kwargs):
    raise AssertionError("the output's column types must be refused before any scoring or generator fit")


# ---------------------------------------------------------------- the library


def test_unwritable_columns_per_format():
    schema = {
        "x": pl.Float64, "b": pl.Binary, "l": pl.List(pl.Int64), "s": pl.Struct({"a": pl.Int64}),
        "lb": pl.List(pl.Binary), "a": pl.Array(pl.Int64, 2), "d": pl.Duration("us"), "t": pl.Time,
        "c": pl.Categorical, "o": pl.Object,
    }
    assert set(unwritable_columns(schema, "csv")) == {"b", "l", "s", "lb", "a", "o"}
    assert set(unwritable_columns(schema, "json")) == {"b", "lb", "o"}
    assert set(unwritable_columns(schema, "ndjson")) == {"b", "lb", "o"}
    assert set(unwritable_columns(schema, "parquet")) == set(unwritable_columns(schema, "ipc")) == {"o"}


def test_check_writable_names_columns_types_and_formats():
    with pytest.raises(OutputError) as info:
        check_writable({"x": pl.Float64, "blob": pl.Binary, "tags": pl.List(pl.String)}, "out.csv", "csv")
    msg = str(info.value)
    assert msg.startswith("out.csv: columns 'blob' (Binary), 'tags' (List(String)) cannot be written to CSV")
    assert "Parquet (.parquet)" in msg and "Arrow IPC (.arrow)" in msg and "JSON" not in msg  # JSON cannot hold Binary
    with pytest.raises(OutputError, match=r"column 'tags' \(List\(String\)\) cannot be written to CSV.*NDJSON"):
        check_writable({"tags": pl.List(pl.String)}, "out.csv", "csv")


@pytest.mark.parametrize("name", ["t.json", "t.jsonl", "t.csv", "t.csv.gz"])
def test_write_table_refuses_binary_in_a_text_format(tmp_path, name):
    frame = _frame(bin=_binary())
    with pytest.raises(OutputError, match=r"column 'bin' \(Binary\) cannot be written to (JSON|NDJSON|CSV)"):
        write_table(frame, tmp_path / name)
    assert list(tmp_path.iterdir()) == []  # nothing written, no temporary left
    write_table(frame, tmp_path / "t.parquet")
    assert pl.read_parquet(tmp_path / "t.parquet")["bin"].to_list() == frame["bin"].to_list()


@pytest.mark.parametrize("unit", ["ns", "us", "ms"])
def test_write_table_writes_durations_to_csv_as_the_json_writer_does(tmp_path, unit):
    values = [dt.timedelta(0), None, dt.timedelta(seconds=90), -dt.timedelta(microseconds=3000),
              dt.timedelta(days=400, seconds=5, microseconds=250000), -dt.timedelta(days=1, seconds=1)]
    frame = pl.DataFrame({"d": pl.Series(values).cast(pl.Duration(unit)), "k": list(range(len(values)))})
    write_table(frame, tmp_path / "d.csv")
    text = pl.read_csv(tmp_path / "d.csv", infer_schema=False)["d"].to_list()
    assert text == [row["d"] for row in json.loads(frame.write_json())]
    assert text[:3] == ["P0D", None, "PT90S"] and text[3] == "-PT0.003S"


# ---------------------------------------------------------------- the commands: refused before any work


@pytest.mark.parametrize("suffix", ["json", "jsonl", "csv"])
def test_fix_refuses_a_binary_column_before_scoring(tmp_path, monkeypatch, suffix):
    import dvclean.fix

    src = tmp_path / "d.parquet"
    _frame(bin=_binary()).write_parquet(src)
    monkeypatch.setattr(dvclean.fix, "fix", _no_work)
    out = tmp_path / f"fixed.{suffix}"
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert "column 'bin' (Binary) cannot be written to" in res.stderr
    assert "Parquet (.parquet)" in res.stderr and "Traceback" not in res.output and "panicked" not in res.output
    assert not out.exists()


def test_fix_refuses_a_dropped_nested_column_for_csv(tmp_path, monkeypatch):
    import dvclean.fix

    src = tmp_path / "d.parquet"
    _frame(tags=pl.Series([[i, 1] for i in range(60)])).write_parquet(src)
    monkeypatch.setattr(dvclean.fix, "fix", _no_work)
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--drop", "tags", "-o", str(tmp_path / "f.csv")])
    assert res.exit_code == 2, res.output
    assert "column 'tags' (List(Int64)) cannot be written to CSV" in res.stderr and "NDJSON (.ndjson)" in res.stderr


def test_fix_writes_a_duration_column_to_csv(tmp_path):
    src = tmp_path / "d.parquet"
    frame = _frame(dur=_durations())
    frame.write_parquet(src)
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "mark", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    written = pl.read_csv(out, infer_schema=False)["dur"].to_list()
    assert written == [row["dur"] for row in json.loads(frame.select("dur").write_json())]


def test_augment_refuses_a_binary_column_before_the_fit(tmp_path, monkeypatch):
    import dvclean.augment

    src = tmp_path / "d.parquet"
    _frame(bin=_binary()).write_parquet(src)
    monkeypatch.setattr(dvclean.augment, "augment", _no_work)
    out = tmp_path / "a.csv"
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-n", "5",
                              "--withhold", "bin", "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert "column 'bin' (Binary) cannot be written to CSV" in res.stderr
    assert not out.exists()


def test_score_refuses_a_binary_id_column_for_json(tmp_path, monkeypatch):
    import dvclean.pipeline

    src = tmp_path / "d.parquet"
    _frame(bid=_binary(), blob=_binary()).write_parquet(src)
    out = tmp_path / "s.json"
    with monkeypatch.context() as m:
        m.setattr(dvclean.pipeline, "score", _no_work)
        res = runner.invoke(app, ["score", str(src), "-y", "y", "--id", "bid", "-o", str(out)])
    assert res.exit_code == 2, res.output
    assert "column 'bid' (Binary) cannot be written to JSON" in res.stderr and "--id" in res.stderr
    # a Binary feature column is not in the scores: no refusal
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output


# ---------------------------------------------------------------- a polars panic is an internal error


def test_a_polars_panic_is_an_internal_error(tmp_path, monkeypatch):
    from polars.exceptions import PanicException

    import dvclean.fix

    def panic(*args, **kwargs):
        raise PanicException("not yet implemented: Writing SomethingNew to JSON")

    src = tmp_path / "d.csv"
    _frame().write_csv(src)
    monkeypatch.setattr(dvclean.fix, "write_fixed", panic)
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "-o", str(tmp_path / "f.json"), "-q"])
    assert res.exit_code == 3, res.output
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert lines[0] == "internal error: PanicException: not yet implemented: Writing SomethingNew to JSON"
    assert "Traceback" not in res.stderr
