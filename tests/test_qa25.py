"""QA round 33 (session 25), one test per defect."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean import KNNConfig, KNNShapley, ValuationData, default_output_path, make_table, prepare, read_frame
from dvclean.check import CheckPolicy
from dvclean.errors import DataValidationError, OutputError
from dvclean.valuation.banzhaf import DataBanzhaf
from dvclean.valuation.confidence import OOFConfidence
from dvclean.valuation.tmc import TMCShapley


def _tiny_data(**kw):
    x = [[0.0], [0.2], [0.1], [5.0], [5.2], [5.1]]
    return ValuationData(x=x, y=[0, 0, 1, 1, 1, 1], rows=list(range(6)), classes=[0, 1], **kw)


def test_one_null_marker_string_is_one_marker(tmp_path):
    # read_options={"null_values": "NA"} was split into "N" and "A": every A and N cell became null
    p = tmp_path / "g.csv"
    p.write_text("grade,x,y\nA,0.1,0\nNA,0.2,1\nB,0.3,0\nN,0.4,1\nA,0.5,0\nB,0.6,1\n")
    assert read_frame(p, null_values="NA")[0]["grade"].to_list() == ["A", None, "B", "N", "A", "B"]
    r = dvclean.score(p, label="y", read_options={"null_values": "NA"},
                      config=dvclean.ScoreConfig(knn=KNNConfig(k=1)))
    assert r.table.frame["grade"].to_list() == ["A", None, "B", "N", "A", "B"]


def test_valuation_data_from_lists_is_stored_as_arrays():
    # lists passed the checks and KNNShapley then failed with "'list' object has no attribute 'shape'"
    d = _tiny_data()
    assert all(isinstance(getattr(d, f), np.ndarray) for f in ("x", "y", "rows", "classes"))
    r = KNNShapley(KNNConfig(k=1)).value(d)
    assert int(np.argmin(r.values)) == 2


def test_valuation_data_refuses_an_unknown_task():
    with pytest.raises(DataValidationError, match="task must be 'classification' or 'regression'"):
        _tiny_data(task="regresion")


@pytest.mark.parametrize("build", [
    lambda: dvclean.KNNShapley({"k": 1}),
    lambda: TMCShapley(config=KNNConfig()),
    lambda: DataBanzhaf(config={"n": 3}),
    lambda: OOFConfidence(settings="xgboost"),
])
def test_valuer_with_settings_of_the_wrong_type_is_refused_when_built(build):
    with pytest.raises(TypeError, match=r"takes a \w+(Config|Settings), got"):
        build()


def test_valuer_value_of_a_frame_is_a_clear_type_error():
    with pytest.raises(TypeError, match="takes a dvclean.ValuationData"):
        KNNShapley(KNNConfig(k=1)).value(pl.DataFrame({"x": [1.0], "y": [0]}))


def test_prepare_checks_its_arguments():
    t = make_table(pl.DataFrame({"x": [1.0, 2, 3, 4], "s": list("abab"), "y": [0, 1, 0, 1]}), label="y")
    with pytest.raises(TypeError, match=r"prepare\(config=...\) takes a FeatureConfig, got KNNConfig"):
        prepare(t, config=KNNConfig())
    with pytest.raises(TypeError, match=r"prepare\(table=...\) takes a dvclean Table"):
        prepare(t.frame)


def test_default_output_path_and_write_scores_guard_their_inputs(tmp_path):
    with pytest.raises(OutputError, match="unknown --format 'xlsx'"):
        default_output_path("data.csv", "xlsx")
    with pytest.raises(OutputError, match="standard input"):
        default_output_path("-")
    assert default_output_path("d/data.csv.gz", "ipc").name == "data.dvclean.arrow"
    r = dvclean.score(pl.DataFrame({"x": [0.0, 0.1, 0.2, 5, 5.1, 0.15], "y": [0, 0, 0, 1, 1, 1]}), label="y",
                      config=dvclean.ScoreConfig(knn=KNNConfig(k=1)))
    with pytest.raises(TypeError, match=r"write_scores\(path=...\) takes a file path"):
        dvclean.write_scores(r, 5)


def test_check_policy_takes_a_numpy_row_count():
    policy = CheckPolicy(max_mislabeled=np.int64(3), warn_hard=np.ceil(np.float64(2.5)).astype(int))
    assert policy.max_mislabeled == 3 and type(policy.max_mislabeled) is int
    assert policy.threshold("max", "mislabeled").value == 3 and policy.threshold("warn", "hard").value == 3
    with pytest.raises(dvclean.ConfigError):
        CheckPolicy(max_mislabeled=np.True_)


def _noisy_two_class(path, n: int = 300, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = np.where(x[:, 0] + 0.8 * rng.normal(size=n) > 0, "yes", "no")
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2].round(1), "k": rng.integers(0, 4, n), "y": y}).write_csv(path)


def test_blank_rows_change_no_labelled_row(tmp_path):
    # two empty rows at the end of a CSV re-ordered the columns' hashes: the folds moved and 5 flags changed
    _noisy_two_class(tmp_path / "d.csv")
    text = (tmp_path / "d.csv").read_text()
    (tmp_path / "blank.csv").write_text(text + ",,,,\n,,,,\n")
    a = dvclean.score(tmp_path / "d.csv", label="y").frame
    b = dvclean.score(tmp_path / "blank.csv", label="y").frame
    assert b.height == a.height + 2 and b.get_column("is_label_missing").tail(2).all()
    assert b.head(a.height).drop("row_id").equals(a.drop("row_id"))


def test_regression_copies_conflict_only_beyond_their_noise(tmp_path):
    # every row of a regression on categorical features was a "conflicting duplicate" (targets differ by noise)
    from dvclean.check import conflicting_duplicate_rows

    rng = np.random.default_rng(0)
    n = 400
    c, d = rng.integers(0, 4, n), rng.integers(0, 3, n)
    y = c * 2.0 + d + rng.normal(scale=0.5, size=n)
    y[5] += 6
    frame = pl.DataFrame({"c": [f"c{v}" for v in c], "d": [f"d{v}" for v in d], "y": y})
    found = conflicting_duplicate_rows(frame, ["c", "d"], "y", task="regression").tolist()
    assert 5 in found and len(found) <= 4  # the shifted target, and at most a noise tail (4 of 400 is 1%)
    assert conflicting_duplicate_rows(frame, ["c", "d"], "y").size == n  # as classes, every target differs
    exact = pl.DataFrame({"x": [1, 1, 1, 2, 2, 3], "y": [2.0, 2.0, 2.5, 4.0, 4.0, 1.0]})
    assert conflicting_duplicate_rows(exact, ["x"], "y", task="regression").tolist() == [2]  # copies agree exactly
    r = dvclean.score(frame, label="y", config=dvclean.ScoreConfig(task="regression"))
    assert r.frame.get_column("is_conflicting_duplicate").to_numpy().nonzero()[0].tolist() == found


def test_large_regression_targets_are_printed_with_the_digits_their_spread_needs(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app
    from dvclean.report.formats import target_text

    assert target_text(1700000412.345, 56.1) == "1700000412.35" and target_text(2.5, 1.0) == "2.5000"
    assert target_text(None, 1.0) == "" and target_text(3.0, None) == "3.0000"
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = 1.7e9 + 50 * x + rng.normal(size=200) * 5
    y[3] += 400
    pl.DataFrame({"x": x, "ts": y}).write_parquet(tmp_path / "ts.parquet")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "ts.parquet"), "-y", "ts", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    assert "1.7e+09" not in r.output and f"{y[3]:.2f}" in r.output
    assert f"range {y.min():.2f} to {y.max():.2f}" in r.output


def test_classification_only_method_on_a_regression_target_does_not_suggest_classification():
    rng = np.random.default_rng(0)
    frame = pl.DataFrame({"x": rng.normal(size=80), "y": rng.normal(size=80)})
    with pytest.raises(dvclean.ConfigError) as err:
        dvclean.score(frame, label="y", config=dvclean.ScoreConfig(methods=("dvgs",)))
    assert "supports classification only" in str(err.value) and "--task classification" not in str(err.value)


def test_check_limit_in_json_is_the_whole_rows_the_gate_allows():
    from dvclean.check import Threshold, parse_threshold

    t = parse_threshold("0.7%", "max-conflicting-duplicates")
    assert t.limit(2000) == 14.0 and not t.exceeded(14, 2000) and t.exceeded(15, 2000)
    assert parse_threshold("0.65%", "x").limit(2000) == 13.0
    assert Threshold("fraction", 0.02, "2%").describe(2000) == "2% (40 of 2000)"


@pytest.mark.parametrize("text", ["٧%", "２００", "1٠"])
def test_threshold_with_non_ascii_digits_is_refused(text):
    from dvclean.check import parse_threshold

    with pytest.raises(dvclean.ConfigError, match="expected a row count"):
        parse_threshold(text, "max-mislabeled")


def test_several_files_share_one_steps_github_annotations(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        _noisy_two_class(tmp_path / name / "d.csv", seed=ord(name))
    files = [str(tmp_path / name / "d.csv") for name in ("a", "b", "c")]
    r = CliRunner().invoke(app, ["check", *files, "-y", "y", "--max-mislabeled", "0", "--format", "github"])
    assert r.exit_code == 1, r.output
    warnings = [line for line in r.stdout.splitlines() if line.startswith("::warning ")]
    errors = [line for line in r.stdout.splitlines() if line.startswith("::error ")]
    assert len(warnings) == 10 and len(errors) == 3
    per_file = [sum(f"/{name}/d.csv" in line for line in warnings) for name in ("a", "b", "c")]
    assert per_file == [4, 3, 3]


def test_report_with_another_label_column_names_the_mismatch(tmp_path):
    # a continuous column named by --label got score's "--task" error, an option report does not have
    from typer.testing import CliRunner

    from dvclean.cli import app

    _noisy_two_class(tmp_path / "d.csv")
    runner = CliRunner()
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-o", str(tmp_path / "s.csv"), "-q"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", str(tmp_path / "s.csv"), "--data", str(tmp_path / "d.csv"), "-y", "a",
                            "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "is not the file" in r.output and "--task" not in r.output, r.output
    assert not (tmp_path / "r.html").exists()


def test_float32_columns_reach_the_generator_as_their_shortest_decimals():
    from dvclean.augment._sdv import to_pandas

    frame = pl.DataFrame({"f": pl.Series([0.7, 0.1, None, float("nan"), -2.3], dtype=pl.Float32)})
    values = to_pandas(frame)["f"].tolist()
    assert values[:2] == [0.7, 0.1] and values[4] == -2.3 and np.isnan(values[2]) and np.isnan(values[3])
