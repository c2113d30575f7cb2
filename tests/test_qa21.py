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
    # whole codes stay classes (each in two rows or more; codes in one row each are a numeric target since session 57)
    assert resolve_task(pl.Series("y", np.tile(np.arange(150, dtype=float), 2)))[0] == "classification"
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


def _frame(n: int = 120, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({"a": rng.normal(size=n) + 2 * y, "b": rng.normal(size=n), "y": np.where(y == 1, "p", "q")})


def test_library_writers_refuse_to_overwrite_the_input(tmp_path):
    import hashlib

    import pytest

    import dvclean
    from dvclean.errors import OutputError
    from dvclean.fix import FixConfig, fix, write_fixed

    path = tmp_path / "in.csv"
    _frame().write_csv(path)
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = dvclean.score(str(path), label="y")
    with pytest.raises(OutputError, match="is the input file .*never overwrites its input"):
        dvclean.write_scores(result, path)
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    with pytest.raises(OutputError, match="never overwrites"):  # also through a link
        dvclean.write_scores(result, link)
    fixed = fix(str(path), label="y", config=FixConfig(action="mark"))
    with pytest.raises(OutputError, match="never overwrites"):
        write_fixed(fixed, path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert dvclean.write_scores(result, tmp_path / "out.csv").exists()  # another path is written


def test_valuation_data_checks_hand_built_arrays():
    import pytest

    from dvclean.errors import DataValidationError
    from dvclean.table import ValuationData

    x, y = np.arange(6.0).reshape(6, 1), np.array([0, 0, 1, 1, 1, 1])
    base = {"x": x, "y": y, "rows": np.arange(6), "classes": np.array([0, 1])}
    ValuationData(**base)  # the docstring's arrays are fine
    cases = {
        "x has a missing or infinite value at row 0": {"x": np.where(np.arange(6)[:, None] == 0, np.nan, x)},
        "y must hold integer class codes 0..1 (one per entry of classes), got 2 at row 2": {"y": np.array([0, 0, 2, 1, 1, 1])},
        "y has 3 values for 6 rows": {"y": y[:3]},
        "x must be 2-D (rows, features), got shape (6,)": {"x": x.ravel()},
        "y must hold integer class codes 0..C-1": {"y": np.array(list("aabbbb"))},
        "x_valid has 3 feature columns and x has 1": {"x_valid": np.ones((2, 3)), "y_valid": np.array([0, 1])},
        "x_valid and y_valid go together": {"x_valid": np.ones((2, 1))},
    }
    for message, change in cases.items():
        with pytest.raises(DataValidationError, match="ValuationData: " + message.replace("(", r"\(").replace(")", r"\)")
                           .replace(".", r"\.")):
            ValuationData(**{**base, **change})
    target = ValuationData(x=x, y=np.linspace(-1, 1, 6), rows=np.arange(6), classes=np.array([]), task="regression")
    assert target.is_regression  # a float target is fine for regression


def test_object_column_is_ignored_with_a_note_not_a_polars_error():
    import dvclean
    from dvclean.fix import fix

    df = _frame(60).with_columns(o=pl.Series([object()] * 60, dtype=pl.Object))
    result = dvclean.score(df, label="y")
    assert "ignored feature columns: o (type Object, which dvclean cannot encode)" in result.summary["notes"]
    assert fix(df, label="y").frame.width == df.width + 1  # the mark column; 'o' kept


def test_library_valid_with_methods_that_use_none_is_refused():
    import pytest

    import dvclean
    from dvclean.config import ScoreConfig
    from dvclean.errors import ConfigError

    df = _frame()
    with pytest.raises(ConfigError, match="oob and confidence use no validation set"):
        dvclean.score(df[:80], label="y", valid=df[80:], config=ScoreConfig(methods=("oob", "confidence")))
    both = dvclean.score(df[:80], label="y", valid=df[80:], config=ScoreConfig(methods=("oob", "knn")))
    assert both.summary["validation"] == "frame (40 rows)"
    with pytest.raises(TypeError, match="checkpoint must be a file path or a dvclean Checkpoint, got int 123"):
        dvclean.score(df, label="y", checkpoint=123)


def test_far_validation_target_gets_a_note(tmp_path):
    from sklearn.datasets import load_diabetes

    d = pl.from_pandas(load_diabetes(as_frame=True).frame)
    d[:342].write_csv(tmp_path / "train.csv")
    d[342:].write_csv(tmp_path / "valid.csv")
    d[342:].with_columns(pl.when(pl.int_range(pl.len()) == 0).then(1e6).otherwise(pl.col("target")).alias("target")
                         ).write_csv(tmp_path / "far.csv")
    args = ["score", str(tmp_path / "train.csv"), "-y", "target", "--task", "regression", "-o", str(tmp_path / "o.csv")]
    far = runner.invoke(app, [*args, "--valid", str(tmp_path / "far.csv")])
    assert far.exit_code == 0, far.output
    assert ("the validation target is 1e+06 at validation row 0: 4,877 times as far from the data's median target "
            "(141)") in " ".join(far.output.split())
    clean = runner.invoke(app, [*args, "--valid", str(tmp_path / "valid.csv")])
    assert clean.exit_code == 0 and "validation target" not in clean.output


def test_annotation_lines_skip_blank_lines_before_the_header(tmp_path):
    from dvclean.check import csv_line_numbers

    text = "a,y\n" + "".join(f"{i},{i % 2}\n" for i in range(5))
    (tmp_path / "plain.csv").write_text(text)
    (tmp_path / "blank.csv").write_text("\n\n" + text)
    assert csv_line_numbers(tmp_path / "plain.csv", [0, 4]) == {0: 2, 4: 6}
    assert csv_line_numbers(tmp_path / "blank.csv", [0, 4]) == {0: 4, 4: 8}  # polars skips the leading blank lines


def _action_script() -> str:
    """The `dvclean check` step's run script of action.yml, dedented (no YAML parser needed)."""
    from pathlib import Path

    lines = (Path(__file__).parent.parent / "action.yml").read_text().splitlines()
    start = lines.index("      id: check")
    run = next(i for i in range(start, len(lines)) if lines[i].strip() == "run: |") + 1
    body = []
    for line in lines[run:]:
        if line.strip() and not line.startswith(" " * 8):
            break
        body.append(line[8:])
    return "\n".join(body) + "\n"


def test_action_args_are_split_as_a_shell_would_and_own_options_refused(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    _frame().rename({"y": "my label"}).write_csv(tmp_path / "d.csv")
    script = tmp_path / "run.sh"
    script.write_text(_action_script())
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "DVCLEAN_DATA": "d.csv"}

    def run(args: str) -> tuple[str, str]:
        out = tmp_path / "github_output"
        out.write_text("")
        r = subprocess.run(["bash", "-eo", "pipefail", str(script)], cwd=tmp_path, capture_output=True, text=True,
                           env={**env, "DVCLEAN_ARGS": args, "GITHUB_OUTPUT": str(out)}, timeout=300)
        return out.read_text().strip(), r.stdout + r.stderr

    status, output = run('--label "my label" --max-mislabeled 50%')
    assert status == "status=pass", output
    assert (tmp_path / "dvclean-out" / "report.html").exists() and not (tmp_path / "dvclean-out" / "args").exists()
    status, output = run("--label 'my label' --format markdown")
    assert status == "status=error" and "remove --format from its args input" in output, output
    status, output = run('--label "my label')
    assert status == "status=error" and "cannot be split into words (No closing quotation)" in output, output


def test_warn_threshold_above_max_in_other_units_is_an_error(tmp_path):
    path = tmp_path / "d.csv"
    _frame(300).write_csv(path)
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "2%", "--warn-mislabeled", "20"])
    assert r.exit_code == 2 and ("--warn-mislabeled 20 rows is above --max-mislabeled 2% (6 of 300): the check would "
                                 "fail before it could warn" in " ".join(r.output.split())), r.output  # (session 46)
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "10%", "--warn-mislabeled", "20"])
    assert "before it could warn" not in r.output  # 20 rows is below 30 of 300


def test_text_label_of_numbers_names_the_cells_that_keep_it_text(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 2))
    y = x[:, 0] + rng.normal(size=400) * 0.3
    cells = [str(v) for v in y]
    cells[7] = "unknown"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": cells}).write_csv(tmp_path / "unk.csv")
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": [f"${v * 1000 + 2000:,.2f}" for v in y]}).write_csv(tmp_path / "cur.csv")
    fix = "it holds numbers except 'unknown' at row 7: read those cells as missing with --null-values unknown"
    for task in ("auto", "regression"):
        r = runner.invoke(app, ["score", str(tmp_path / "unk.csv"), "-y", "y", "--task", task])
        assert r.exit_code == 2 and fix in " ".join(r.output.split()), r.output
    # (session 44: --task regression reads a label of numbers so written, as a feature column's; auto says so)
    r = runner.invoke(app, ["score", str(tmp_path / "cur.csv"), "-y", "y"])
    assert r.exit_code == 2 and "--task regression reads them as numbers" in " ".join(r.output.split()), r.output
    r = runner.invoke(app, ["score", str(tmp_path / "cur.csv"), "-y", "y", "--task", "regression", "-o",
                            str(tmp_path / "c.csv")])
    assert r.exit_code == 0 and "label column 'y' holds numbers written with a currency" in " ".join(r.output.split())
    r = runner.invoke(app, ["score", str(tmp_path / "unk.csv"), "-y", "y", "--null-values", "unknown",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0 and "task: regression" in r.output, r.output


def test_skewed_target_flagged_on_one_side_gets_a_note(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, 3))
    # (session 45: prices that the features predict well, exp(0.5 a + 0.3 b - 0.2 c + 0.5 noise), are measured as log
    # ratios to their predictions, and 7 rows flagged; here the features explain too little for the spread to rise with
    # the predictions, and the long tail is flagged on one scale)
    price = np.exp(x @ np.array([0.1, 0.1, 0.0]) + rng.normal(size=1000) * 0.7) * 1000
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "price": price})
    frame.write_csv(tmp_path / "p.csv")
    frame.with_columns(pl.col("price").log()).write_csv(tmp_path / "log.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "p.csv"), "-y", "price", "-o", str(tmp_path / "o.csv")])
    text = " ".join(r.output.split())
    assert r.exit_code == 0 and "outlying targets lie above their prediction, and the target is skewed" in text, r.output
    assert "value the logarithm of the target" in text
    r = runner.invoke(app, ["score", str(tmp_path / "log.csv"), "-y", "price", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0 and "the target is skewed" not in r.output  # the same rows on a log scale: no one-sided flags


def test_time_of_day_labels_keep_their_spelling_and_augment(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    frame = pl.DataFrame({"a": rng.normal(size=300) + 2 * y, "b": rng.normal(size=300), "y": np.where(y == 1, "10:00", "11:30")})
    frame.write_csv(tmp_path / "t.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "t.csv"), "-y", "y", "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 0 and "classes: 10:00: " in r.output, r.output
    assert set(pl.read_csv(tmp_path / "s.csv", infer_schema=False).get_column("label")) == {"10:00", "11:30"}
    r = runner.invoke(app, ["augment", str(tmp_path / "t.csv"), "-y", "y", "-g", "gaussian-copula", "--no-quality",
                            "-o", str(tmp_path / "a.csv")])
    assert r.exit_code == 0, r.output
    assert set(pl.read_csv(tmp_path / "a.csv", infer_schema=False).get_column("y")) == {"10:00", "11:30"}
    # a Parquet label typed Time: the synthetic rows' classes come back as times (was an internal error)
    frame.with_columns(pl.col("y").str.to_time("%H:%M")).write_parquet(tmp_path / "t.parquet")
    r = runner.invoke(app, ["augment", str(tmp_path / "t.parquet"), "-y", "y", "-g", "gaussian-copula", "--no-quality",
                            "-o", str(tmp_path / "b.parquet")])  # (a.parquet would take a.csv's report)
    assert r.exit_code == 0, r.output
    out = pl.read_parquet(tmp_path / "b.parquet")
    assert out.schema["y"] == pl.Time and out.filter("dvclean_synthetic").height > 0
    assert {str(t) for t in out.get_column("y").unique()} == {"10:00:00", "11:30:00"}


def test_feature_that_spells_the_label_gets_a_note(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    pl.DataFrame({"a": rng.normal(size=300) + 2 * y, "y_copy": np.where(y == 1, 1, 0),
                  "y": np.where(y == 1, "yes", "no")}).write_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "--max-mislabeled", "5%"])
    assert ("feature column 'y_copy' spells the label 'y' again (each value goes with one class): it predicts every "
            "label, the wrong ones too, so no label can look wrong; --drop y_copy") in " ".join(r.output.split()), r.output


def test_label_named_like_the_mark_column_and_na_classes_get_clear_messages(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    pl.DataFrame({"a": rng.normal(size=200) + 2 * y, "dvclean_issue": np.where(y == 1, "yes", "no")}).write_csv(tmp_path / "m.csv")
    r = runner.invoke(app, ["fix", str(tmp_path / "m.csv"), "-y", "dvclean_issue", "--action", "mark",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2 and "the label column is named 'dvclean_issue', the column --action mark writes" in " ".join(
        r.output.split()), r.output
    (tmp_path / "na.csv").write_text("a,y\n" + "".join(f"{i},{'NA' if i % 2 else 'None'}\n" for i in range(40)))
    r = runner.invoke(app, ["score", str(tmp_path / "na.csv"), "-y", "y"])
    assert r.exit_code == 2 and "--null-values '' keeps a class spelled so" in " ".join(r.output.split()), r.output


def test_regression_annotations_say_target_and_name_the_prediction(tmp_path):
    from sklearn.datasets import load_diabetes

    d = pl.from_pandas(load_diabetes(as_frame=True).frame)
    d = d.with_columns(pl.when(pl.int_range(pl.len()) < 5).then(pl.col("target") + 400).otherwise(pl.col("target"))
                       .alias("target"))
    d.write_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "target", "--task", "regression",
                            "--max-mislabeled", "0", "--format", "github"], env={"GITHUB_STEP_SUMMARY": ""})
    outlying = [line for line in r.output.splitlines() if "title=dvclean%3A outlying target" in line]
    assert outlying and all("is far from what the other rows predict (predicted " in line for line in outlying)
    hard = [line for line in r.output.splitlines() if "title=dvclean%3A hard row" in line]
    assert hard and all(": target " in line and ": label " not in line for line in hard), r.output


def test_report_of_a_csv_scores_file_says_the_label_is_not_recorded(tmp_path):
    path = tmp_path / "d.csv"
    _frame().write_csv(path)
    assert runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "s.csv")]).exit_code == 0
    r = runner.invoke(app, ["report", str(tmp_path / "s.csv"), "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "r.html").read_text()
    assert "<th scope=\"row\">label</th><td>not recorded (a CSV or NDJSON scores file; pass --label)</td>" in html
    assert "<td>None</td>" not in html


def test_library_messages_for_empty_and_pandas_frames(tmp_path):
    import pytest

    import dvclean
    from dvclean.errors import DataValidationError
    from dvclean.table import make_table

    df = _frame()
    with pytest.raises(DataValidationError, match=r"the validation frame \(valid=\) has no rows"):
        dvclean.score(df, label="y", valid=df.head(0))
    with pytest.raises(DataValidationError, match="data: the table has no rows"):
        make_table(df.head(0), label="y")
    with pytest.raises(TypeError, match=r"make_table\(\) needs a polars DataFrame, got pandas.*polars.from_pandas"):
        make_table(df.to_pandas(), label="y")
    with pytest.raises(TypeError, match=r"write_table\(\) needs a polars DataFrame.*polars.from_pandas"):
        dvclean.write_table(df.to_pandas(), tmp_path / "p.parquet")
    assert not (tmp_path / "p.parquet").exists()


def test_min_confidence_takes_a_percentage_and_repeated_ids_say_how_to_fix(tmp_path):
    path = tmp_path / "d.csv"
    _frame(200).write_csv(path)
    outs = []
    for value in ("70%", "0.7"):
        out = tmp_path / f"f{len(outs)}.csv"
        r = runner.invoke(app, ["fix", str(path), "-y", "y", "--action", "relabel", "--min-confidence", value, "-o", str(out)])
        assert r.exit_code == 0, r.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    r = runner.invoke(app, ["fix", str(path), "-y", "y", "--action", "relabel", "--min-confidence", "150%"])
    assert r.exit_code == 2 and "between 0% and 100%" in " ".join(r.output.replace("│", " ").split())
    _frame(200).with_columns(pl.Series("rid", [f"r{i // 2}" for i in range(200)])).write_csv(tmp_path / "ids.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "ids.csv"), "-y", "y", "--id", "rid"])
    assert r.exit_code == 2 and "the id 'r0' more than once); ids must be unique: de-duplicate that column, or leave out --id rid" in " ".join(
        r.output.split()), r.output


def test_augment_counts_on_from_a_uint64_id_beyond_2_63(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    pl.DataFrame({"uid": pl.Series([2**63 + 10 + i for i in range(300)], dtype=pl.UInt64), "y": y,
                  "x": rng.normal(size=300) + y}).write_parquet(tmp_path / "u.parquet")
    r = runner.invoke(app, ["augment", str(tmp_path / "u.parquet"), "-y", "y", "--id", "uid", "-g", "gaussian-copula",
                            "--no-quality", "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 0, r.output
    out = pl.read_parquet(tmp_path / "o.parquet")
    new = out.filter("dvclean_synthetic").get_column("uid").to_list()
    assert out.schema["uid"] == pl.UInt64 and new == list(range(2**63 + 310, 2**63 + 310 + len(new))) and new


def test_augment_models_us_dates_as_dates_and_writes_them_as_the_input_does(tmp_path):
    import datetime as dt

    rng = np.random.default_rng(0)
    days = [dt.date(2019, 1, 1) + dt.timedelta(days=int(k)) for k in rng.integers(0, 900, 400)]
    y = rng.integers(0, 2, 400)
    pl.DataFrame({"id": np.arange(400), "usd": [d.strftime("%m/%d/%Y") for d in days], "a": rng.normal(size=400) + y,
                  "y": y}).write_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["augment", str(tmp_path / "d.csv"), "-y", "y", "--id", "id", "-g", "gaussian-copula",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    assert "distinct value in" not in r.output  # no longer "withhold it, an identifier"
    out = pl.read_csv(tmp_path / "o.csv", infer_schema=False)
    real = set(out.get_column("usd")[:400])
    synthetic = out.get_column("usd")[400:].to_list()
    assert synthetic and all(dt.datetime.strptime(v, "%m/%d/%Y") for v in synthetic)  # spelled as the input
    assert sum(v not in real for v in synthetic) > len(synthetic) // 4  # new dates, not copies of real cells


def test_augment_class_target_messages_quote_dates_and_match_case(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    base = pl.DataFrame({"a": rng.normal(size=300) + y, "b": rng.normal(size=300)})
    base.with_columns(y=pl.Series(np.where(y == 1, "2020-01-01", "2021-06-30"))).write_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["augment", str(tmp_path / "d.csv"), "-y", "y", "-g", "gaussian-copula", "-t", "class:2022-01-01"])
    assert r.exit_code == 2 and "classes: '2020-01-01', '2021-06-30'" in r.output and "datetime" not in r.output, r.output
    base.with_columns(flag=pl.Series(np.where(y == 1, "True", "False"))).write_csv(tmp_path / "b.csv")
    r = runner.invoke(app, ["augment", str(tmp_path / "b.csv"), "-y", "flag", "-g", "gaussian-copula", "-t", "class:true",
                            "--no-quality", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    assert set(pl.read_csv(tmp_path / "o.csv", infer_schema=False).get_column("flag")[300:]) == {"True"}


def test_json_keeps_warnings_on_stderr_and_notes_in_the_json(tmp_path):
    import json

    _frame().write_parquet(tmp_path / "d.parquet")
    r = runner.invoke(app, ["score", str(tmp_path / "d.parquet"), "-y", "y", "--separator", ";", "--json",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    json.loads(r.stdout)  # stdout holds the JSON only
    assert "--separator applies only to CSV input" in " ".join(r.stderr.split())  # was hidden by --json
    r = runner.invoke(app, ["score", str(tmp_path / "d.parquet"), "-y", "y", "--separator", ";", "--json", "-q",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0 and r.stderr == ""  # -q still hides them


def test_configuration_format_key_and_pyproject_layout_under_another_name(tmp_path):
    import json

    path = tmp_path / "d.csv"
    _frame().write_csv(path)
    (tmp_path / "dvclean.toml").write_text('format = "csv"\n')
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-hard", "50%"])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "'csv' is not one of 'text', 'json', 'github', 'markdown'; a top-level format" in text, text
    assert "set it under [score], [fix] or [check]" in text and "Value error" not in text
    (tmp_path / "dvclean.toml").unlink()
    (tmp_path / "settings.toml").write_text("[tool.dvclean]\nseed = 6\n")
    r = runner.invoke(app, ["score", str(path), "-y", "y", "--config", str(tmp_path / "settings.toml"), "--json",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0 and json.loads(r.stdout)["seed"] == 6, r.output


def test_messages_for_linear_on_classes_and_no_label_column(tmp_path):
    path = tmp_path / "d.csv"
    _frame().write_csv(path)
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-m", "tmc", "--model", "linear", "--max-permutations", "2"])
    assert r.exit_code == 2 and "--model linear is the linear regression of a regression target" in " ".join(r.output.split())
    _frame().rename({"y": "outcome"}).write_csv(tmp_path / "n.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "n.csv")])
    assert r.exit_code == 2 and "so dvclean cannot tell which column is the label; pass --label COLUMN" in " ".join(
        r.output.split()), r.output
    r = runner.invoke(app, ["score", str(path), "-y", "y", "--algorithm", "approx", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0 and "approx path (--algorithm approx) for 120 rows" in r.output, r.output


def test_two_digit_years_and_unpadded_dates_keep_their_years_and_spelling(tmp_path):
    import datetime as dt

    from dvclean.table import text_date_format

    rng = np.random.default_rng(0)
    days = [dt.date(1995, 1, 1) + dt.timedelta(days=int(k)) for k in rng.integers(0, 3600, 300)]
    assert text_date_format(pl.Series([d.strftime("%m/%d/%y") for d in days])) == "%m/%d/%y"  # was %m/%d/%Y: year 0099
    mixed = pl.Series(["2021-07-05", "2021-07-06 10:30:00"] * 50)
    assert text_date_format(mixed) == "%Y-%m-%d %H:%M:%S"  # dates with and without times: one spelling of datetimes
    y = rng.integers(0, 2, 300)
    pl.DataFrame({"yy": [d.strftime("%m/%d/%y") for d in days], "unp": [f"{d.month}/{d.day}/{d.year}" for d in days],
                  "a": rng.normal(size=300) + y, "y": y}).write_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["augment", str(tmp_path / "d.csv"), "-y", "y", "-g", "gaussian-copula", "--no-quality",
                            "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    out = pl.read_csv(tmp_path / "o.csv", infer_schema=False)[300:]
    years = {dt.datetime.strptime(v, "%m/%d/%y").year for v in out.get_column("yy")}
    assert years and years <= set(range(1995, 2006))
    assert all(v == f"{d.month}/{d.day}/{d.year}" for v in out.get_column("unp")
               for d in [dt.datetime.strptime(v, "%m/%d/%Y")])  # no zero padding where the input has none


def test_tool_dvclean_file_with_keys_outside_the_table_is_refused(tmp_path):
    path = tmp_path / "d.csv"
    _frame().write_csv(path)
    (tmp_path / "mixed.toml").write_text('max-mislabeled = "1"\n[tool.dvclean]\nlabel = "y"\n')
    r = runner.invoke(app, ["check", str(path), "--config", str(tmp_path / "mixed.toml")])
    assert r.exit_code == 2 and "holds [tool.dvclean] and dvclean settings outside it ('max-mislabeled')" in " ".join(r.output.split())
    r = runner.invoke(app, ["fix", str(path), "-y", "y", "--action", "relabel", "--min-confidence", "70"])
    assert r.exit_code == 2 and "(a percentage? write 70%)" in " ".join(r.output.split()), r.output


def test_html_report_shows_booleans_and_escapes_control_characters(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    pl.DataFrame({"a": rng.normal(size=200) + 2 * y, "flag": rng.random(200) < 0.5,
                  "id": [f"\u202eid{i}" for i in range(200)], "y": y == 1}).write_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--id", "id", "-o", str(tmp_path / "s.parquet"),
                            "--report", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "\u202e" not in html and "\\u202eid" in html  # a bidi override would reverse the id shown
    assert '<td class="num">false</td>' in html and "<td>yes</td>" not in html  # False was a blank cell, True "yes"


def test_a_bad_configuration_value_fails_also_when_the_command_line_overrides_it(tmp_path):
    path = tmp_path / "d.csv"
    _frame().write_csv(path)
    (tmp_path / "dvclean.toml").write_text('quiet = "yes"\n')
    for extra in ([], ["-q"]):  # the file is broken in both runs, not only when -q is left out
        r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "o.csv"), *extra])
        assert r.exit_code == 2 and "invalid value 'yes' for --quiet" in " ".join(r.output.split()), r.output
