"""Open items of earlier QA rounds and QA round 21, fixed in session 21, one test each."""

from __future__ import annotations

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.report.formats import number_text
from dvclean.table import resolve_task

runner = CliRunner()


def test_float_target_beyond_2_53_is_a_regression_target(tmp_path):
    # every float at or beyond 2**53 is a whole number, which made such a target look like 300 class codes
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = x[:, 0] * 1e17 + 3e17
    assert resolve_task(pl.Series("y", y))[0] == "regression"
    assert resolve_task(pl.Series("y", np.arange(300, dtype=float)))[0] == "classification"  # whole codes stay classes
    path = tmp_path / "big.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).write_csv(path)
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    assert "task: regression" in r.output and "outlying target" in r.output
    assert "e+17" in r.output and "0000000000" not in r.output  # six significant digits, not a wall of digits


def test_number_text_keeps_small_and_plain_numbers_readable():
    assert number_text(0.123456) == "0.1235"
    assert number_text(-0.0000123) == "-1.23e-05"
    assert number_text(123456.789) == "123456.7890"
    assert number_text(0.0) == "0.0000"
    assert number_text(2.5e9) == "2.5e+09"


def test_sdv_quiet_block_silences_its_own_thread_only(capsys):
    import sys
    import threading
    import warnings

    from dvclean.augment._sdv import _quiet

    filters_before = list(warnings.filters)
    stdout_before = sys.stdout
    inside, printed = threading.Event(), threading.Event()

    def fit() -> None:
        with _quiet():
            print("from the quiet thread")  # noqa: T201
            inside.set()
            printed.wait(10)
            with _quiet():  # nested blocks (as SDV calls are) stay quiet
                print("nested quiet print")  # noqa: T201

    worker = threading.Thread(target=fit)
    worker.start()
    assert inside.wait(10)
    print("from another thread")  # noqa: T201 -- was swallowed by redirect_stdout for the whole fit
    printed.set()
    worker.join(10)
    out = capsys.readouterr().out
    assert "from another thread" in out
    assert "quiet" not in out
    assert sys.stdout is stdout_before and list(warnings.filters) == filters_before


def test_sdv_quiet_blocks_overlapping_on_two_threads_restore_warnings():
    import threading
    import warnings

    from dvclean.augment._sdv import _quiet

    filters_before = list(warnings.filters)
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    still_quiet: list[bool] = []

    def first() -> None:
        with _quiet():
            a_in.set()
            b_in.wait(10)
        a_out.set()

    def second() -> None:
        a_in.wait(10)
        with _quiet():
            b_in.set()
            a_out.wait(10)  # leaves after the first: catch_warnings from two threads used to leave "ignore" behind
            still_quiet.append(warnings.filters[0][0] == "ignore")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert still_quiet == [True]  # the second thread's block stays quiet after the first one leaves
    assert list(warnings.filters) == filters_before


def _dates_table(tmp_path, spell):
    import datetime as dt

    rng = np.random.default_rng(0)
    n = 200
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=int(k)) for k in rng.integers(0, 900, n)]
    y = rng.integers(0, 2, n)
    path = tmp_path / "dates.csv"
    pl.DataFrame({"d": [spell(i, d) for i, d in enumerate(days)], "a": rng.normal(size=n) + y, "y": y}).write_csv(path)
    return path


def test_dates_in_two_spellings_get_a_note_naming_them(tmp_path):
    path = _dates_table(tmp_path, lambda i, d: d.strftime("%Y-%m-%d") if i % 2 else d.strftime("%m/%d/%Y"))
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    assert ("column 'd' holds dates in 2 spellings (YYYY-MM-DD: 100, MM/DD/YYYY: 100 cells): it is valued as a "
            "category, not as dates; write every date one way") in " ".join(r.output.split())
    # dates and free text in equal parts are not "dates in several spellings"
    path = _dates_table(tmp_path, lambda i, d: d.strftime("%Y-%m-%d") if i % 2 else f"text {i}")
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0 and "holds dates in" not in r.output, r.output
