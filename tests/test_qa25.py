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

from .conftest import needs_sdv


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


def test_missing_labels_take_no_part_in_conflicting_duplicates():
    # a NaN target made the copies' robust spread NaN and switched the check off; a copy without a label made
    # a labelled row a conflicting duplicate (and check counted the unvalued row)
    from dvclean.check import conflicting_duplicate_rows

    t = pl.DataFrame({"x": [1, 1, 2, 2, 3, 3, 4, 4, 5, 5],
                      "y": [1.0, 1.1, 2.0, 2.1, 3.0, 2.9, 4.0, 9.0, 5.0, float("nan")]})
    assert conflicting_duplicate_rows(t, ["x"], "y", task="regression").tolist() == [6, 7]
    c = pl.DataFrame({"x": [1.0, 1.0, 1.0, 2.0, 2.0], "y": ["a", None, "  ", "b", "b"]})
    assert conflicting_duplicate_rows(c, ["x"], "y").size == 0
    f = pl.DataFrame({"x": [1.0, 1.0, 2.0, 2.0], "y": [0.0, float("nan"), 1.0, 1.0]})
    assert conflicting_duplicate_rows(f, ["x"], "y").size == 0


def test_check_json_limit_and_an_unlabelled_copy(tmp_path):
    import json

    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(1)
    n = 2000
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] > 0).astype(int).astype(object)
    for i in range(7):  # 14 rows in 7 conflicting pairs
        x[2 * i + 1] = x[2 * i]
        y[2 * i + 1] = 1 - y[2 * i]
    x, y = np.vstack([x, x[30]]), [*y, None]  # a copy of row 30 without a label: no conflict
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": pl.Series(y, dtype=pl.Int64)}).write_csv(tmp_path / "d.csv")
    r = CliRunner().invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "--max-conflicting-duplicates",
                                 "0.7%", "--json"])
    assert r.exit_code == 0, r.output
    line = next(c for c in json.loads(r.stdout)["checks"] if c["name"] == "conflicting_duplicates")
    assert line["status"] == "pass" and line["value"] == 14 and line["limit"] == 14 and line["value"] <= line["limit"]


def test_data_oob_checks_its_settings_when_built():
    from dvclean.valuation.oob import DataOOB

    for kw in ({"task": "regresion"}, {"n_estimators": 0}, {"n_estimators": "10"}, {"max_features": 2.0},
               {"n_jobs": 0}):
        with pytest.raises(dvclean.ConfigError, match="parameter of DataOOB"):
            DataOOB(**kw)
    assert DataOOB(n_estimators=np.int64(30)).n_estimators == 30


def test_integer_regression_targets_are_printed_as_they_are(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    age = (40 + 10 * x + rng.normal(size=200)).round().astype(np.int64)
    age[3] += 60
    pl.DataFrame({"x": x, "age": age}).write_csv(tmp_path / "a.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "a.csv"), "-y", "age", "--task", "regression",
                                 "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output
    assert f"│ {age[3]} " in r.output and f"{age[3]}.0" not in r.output
    assert f"range {age.min()} to {age.max()}" in r.output


def test_whole_number_floats_are_encoded_as_the_integers_they_hold():
    # a column of 0..4 written as 0.0..4.0 (pandas: an integer column with a missing value) was numeric, not
    # categorical: 13 flags and every value changed
    rng = np.random.default_rng(5)
    n = 300
    x1, grade = rng.normal(size=n), rng.integers(0, 5, n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * x1 + 0.8 * (grade - 2))))).astype(int)
    ints = pl.DataFrame({"x1": x1, "grade": grade, "y": y})
    floats = ints.with_columns(pl.col("grade").cast(pl.Float64))
    a, b = dvclean.score(ints, label="y").frame, dvclean.score(floats, label="y").frame
    assert a.equals(b)
    halves = ints.with_columns(pl.col("grade") / 2)  # 0.5, 1.5: measurements, not codes
    enc = dvclean.table.FeatureEncoder().fit(halves, ["x1", "grade"])
    assert {p.name: p.kind for p in enc.plans_}["grade"] == "numeric"


@needs_sdv
@pytest.mark.usefixtures("sdv_home")
def test_augment_rows_do_not_depend_on_constant_empty_or_moved_columns():
    from dvclean.augment import AugmentConfig, augment

    rng = np.random.default_rng(5)
    n = 240
    x1 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * x1 + (color == "red"))))).astype(int)
    base = pl.DataFrame({"x1": x1, "cnt": rng.integers(0, 40, n), "color": color, "y": y})
    cfg = AugmentConfig(generator="gaussian-copula", quality=False, n_synthetic=20)
    ref = augment(base, label="y", config=cfg).synthetic.select(base.columns)
    variants = {
        "constant": base.with_columns(pl.lit("v1").alias("source")),
        "empty": base.with_columns(pl.lit(None, dtype=pl.Float64).alias("empty")),
        "moved and renamed": base.select(["y", "color", "cnt", "x1"]).rename({"x1": "z"}),
    }
    for name, frame in variants.items():
        out = augment(frame, label="y", config=cfg).synthetic
        assert out.columns[: frame.width] == frame.columns, name
        got = out.rename({"z": "x1"}) if "z" in out.columns else out
        assert got.select(base.columns).equals(ref), name
    const = augment(variants["constant"], label="y", config=cfg).synthetic
    assert const.get_column("source").to_list() == ["v1"] * 20


@needs_sdv
@pytest.mark.usefixtures("sdv_home")
def test_augment_evaluation_split_does_not_depend_on_a_constant_column():
    from dvclean.augment import AugmentConfig, augment

    rng = np.random.default_rng(2)
    n = 240
    y = rng.integers(0, 2, n)
    base = pl.DataFrame({"x1": y * 1.5 + rng.normal(0, 1.0, n), "x2": rng.normal(0, 1, n) + 0.5 * y,
                         "label": [("no", "yes")[int(v)] for v in y]})
    cfg = AugmentConfig(generator="gaussian-copula", quality=False, xgb_max_rounds=60, xgb_early_stopping=10,
                        evaluate=True, repeats=2, target="all")
    a = augment(base, label="label", config=cfg).report["evaluation"]
    b = augment(base.with_columns(pl.lit(7).alias("site")), label="label", config=cfg).report["evaluation"]
    assert a["arms"] == b["arms"] and a["verdict"] == b["verdict"]


def test_tmc_marginals_sum_to_the_full_game_with_three_classes():
    # warm-started multinomial fits (scikit-learn's L-BFGS) ended 1/103 short of the cold U(all) in some
    # permutations: the efficiency axiom failed whenever the last prefix flipped a borderline prediction
    from dvclean.config import TMCConfig

    from .conftest import SAMPLE

    d = pl.read_csv(SAMPLE).head(303)
    old_rich = (pl.col("income") == ">50K") & (pl.col("age") > 50)
    d = d.with_columns(pl.when(old_rich).then(pl.lit("high_old")).otherwise(pl.col("income")).alias("income"))
    train, valid = d.head(200), d.tail(103)
    cfg = dvclean.ScoreConfig(methods=("tmc",), tmc=TMCConfig(max_permutations=4, tolerance=0.0, convergence=0.0))
    r = dvclean.score(train, label="income", valid=valid, config=cfg)
    diag = r.summary["methods"]["tmc"]["diagnostics"]
    empty = valid.get_column("income").value_counts().get_column("count").max() / valid.height
    assert r.frame.get_column("value").sum() == pytest.approx(diag["full_scores"][0] - empty, abs=2e-6)  # (rounded)


def test_fewer_folds_than_asked_get_a_note(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    y = np.where(rng.random(n) < 0.5, "a", "b").astype(object)
    y[[5, 17]] = "tiny"
    frame = pl.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n), "y": list(y)})
    r = dvclean.score(frame, label="y", config=dvclean.ScoreConfig(methods=("confidence",)))
    assert any(n.startswith("confidence: class 'tiny' has 2 rows, so 2 stratified folds were used instead of 5")
               for n in r.summary["notes"]), r.summary["notes"]
    assert any("so the mislabel rule's models used 2 stratified folds instead of 5" in n for n in r.summary["notes"])
    plain = dvclean.score(frame.filter(pl.col("y") != "tiny"), label="y",
                          config=dvclean.ScoreConfig(methods=("confidence",)))
    assert not any("stratified folds" in n for n in plain.summary["notes"])


def test_score_summary_has_a_line_per_method_and_their_rank_correlation(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    _noisy_two_class(tmp_path / "d.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-m", "knn,oob,confidence",
                                 "-o", str(tmp_path / "s.parquet")])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert [ln.split()[1] for ln in lines if ln.startswith("method ")] == ["knn", "oob", "confidence"]
    corr = next(ln for ln in lines if ln.startswith("rank correlation (Spearman)"))
    assert "knn ~ oob" in corr and "oob ~ confidence" in corr


def test_report_drop_leaves_columns_out_of_the_features(tmp_path):
    # CSV scores do not record score's --drop: the report had no way to leave those columns out
    from typer.testing import CliRunner

    from dvclean.cli import app

    _noisy_two_class(tmp_path / "d.csv")
    runner = CliRunner()
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--drop", "k", "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 0, r.output
    html = {}
    for name, extra in (("plain", []), ("dropped", ["--drop", "k"])):
        out = tmp_path / f"{name}.html"
        r = runner.invoke(app, ["report", str(tmp_path / "s.csv"), "--data", str(tmp_path / "d.csv"), "-y", "y",
                                *extra, "-o", str(out)])
        assert r.exit_code == 0, r.output
        html[name] = out.read_text()
    assert "<th scope=\"col\">k</th>" in html["plain"] and "<th scope=\"col\">k</th>" not in html["dropped"]
    r = runner.invoke(app, ["report", str(tmp_path / "s.csv"), "--drop", "k", "-o", str(tmp_path / "x.html")])
    assert r.exit_code == 2 and "--drop names columns of --data, which is not given" in r.output


def test_html_report_prints_regression_targets_with_their_digits(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(1)
    n = 300
    x = rng.normal(size=(n, 2))
    ts = 1700000000 + 50 * x[:, 0] + rng.normal(size=n)
    ts[7] += 5000
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "ts": ts}).write_csv(tmp_path / "d.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "ts", "--task", "regression",
                                 "--report", str(tmp_path / "r.html"), "-o", str(tmp_path / "s.parquet")])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "r.html").read_text()
    assert "1.7e+09" not in html and str(int(ts[7])) in html
    age = (40 + 10 * x[:, 0]).round().astype(np.int64)
    age[3] += 60
    pl.DataFrame({"a": x[:, 0], "age": age}).write_csv(tmp_path / "i.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "i.csv"), "-y", "age", "--task", "regression",
                                 "--report", str(tmp_path / "i.html"), "-o", str(tmp_path / "i.parquet")])
    assert r.exit_code == 0, r.output
    summary = (tmp_path / "i.html").read_text().split('id="target-summary"')[1].split("</table>")[0]
    assert f'<td class="num">{age.min()}</td>' in summary and f'<td class="num">{age.max()}</td>' in summary


def test_report_data_read_with_other_null_markers_is_named(tmp_path):
    # the same file read without --null-values '' lost the class "NA" from the report, silently (Parquet scores)
    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2))
    y = np.array(["alpha", "beta", "NA"])[(x[:, 0] > 0.4).astype(int) + (x[:, 1] > 0.3).astype(int)]
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).write_csv(tmp_path / "na.csv")
    runner = CliRunner()
    r = runner.invoke(app, ["score", str(tmp_path / "na.csv"), "-y", "y", "--null-values", "", "-q",
                            "-o", str(tmp_path / "s.parquet")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", str(tmp_path / "s.parquet"), "--data", str(tmp_path / "na.csv"),
                            "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 2 and "reads the cell as missing" in r.output and "--null-values" in r.output
    r = runner.invoke(app, ["report", str(tmp_path / "s.parquet"), "--data", str(tmp_path / "na.csv"),
                            "--null-values", "", "-o", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output


def test_report_cuts_long_cells(tmp_path):
    from dvclean.report import build_report
    from dvclean.report._render import MAX_CELL_CHARS, render_html

    rng = np.random.default_rng(0)
    n = 120
    x = rng.normal(size=n)
    frame = pl.DataFrame({"a": x, "note": ["N" * 50_000] * n, "y": np.where(x + rng.normal(size=n) > 0, "p", "q")})
    html = render_html(build_report(dvclean.score(frame, label="y")))
    assert "N" * (MAX_CELL_CHARS + 1) not in html and "(50,000 characters)" in html
    assert len(html) < 2_000_000


def test_whole_floats_with_nan_or_negative_zero_encode_as_the_integers():
    rng = np.random.default_rng(5)
    n = 300
    x1, grade = rng.normal(size=n), rng.integers(0, 5, n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.5 * x1 + 0.8 * (grade - 2))))).astype(int)
    with_null = pl.DataFrame({"x1": x1, "grade": pl.Series(grade).scatter(7, None), "y": y})
    with_nan = pl.DataFrame({"x1": x1, "grade": pl.Series(grade).scatter(7, float("nan")), "y": y})
    assert dvclean.score(with_null, label="y").frame.equals(dvclean.score(with_nan, label="y").frame)
    signed = [(-0.0 if (i % 2 and v == 0) else v) for i, v in enumerate(grade)]
    neg = pl.DataFrame({"x1": x1, "grade": signed, "y": y})
    ints = neg.with_columns(pl.col("grade").cast(pl.Int64))
    assert dvclean.score(neg, label="y").frame.drop("value").equals(dvclean.score(ints, label="y").frame.drop("value"))
    plan = {p.name: p for p in dvclean.table.FeatureEncoder().fit(neg, ["x1", "grade"]).plans_}["grade"]
    assert plan.params["categories"] == ["0", "1", "2", "3", "4"]


def test_data_oob_max_features_one_is_every_feature():
    from dvclean.config import OOBConfig
    from dvclean.valuation.oob import DataOOB

    assert type(DataOOB(max_features=1).max_features) is float and type(OOBConfig(max_features=1).max_features) is float


@needs_sdv
@pytest.mark.usefixtures("sdv_home")
def test_augment_whole_float_codes_and_the_quality_gate():
    from dvclean.augment import AugmentConfig, augment

    rng = np.random.default_rng(2)
    n = 200
    code = rng.choice([1, 3, 5, 9], n).astype(float)
    code[0] = np.nan
    x1 = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(x1 + (code == 5))))).astype(int)
    frame = pl.DataFrame({"x1": x1, "code": code, "y": y})
    r = augment(frame, label="y", config=AugmentConfig(generator="gaussian-copula", quality=False, n_synthetic=100))
    assert r.report["generator"]["sdtypes"]["code"] == "categorical"
    assert set(r.synthetic.get_column("code").drop_nulls().drop_nans().to_list()) <= {1.0, 3.0, 5.0, 9.0}
    # 101 constant columns are not modelled: the quality score (which compares every pair) is not skipped for them
    wide = frame.with_columns([pl.lit("k").alias(f"c{i}") for i in range(101)])
    r = augment(wide, label="y", config=AugmentConfig(generator="gaussian-copula", n_synthetic=20))
    assert r.report["quality"] is not None and not any("quality score was skipped" in t for t in r.report["notes"])


def test_csv_dates_are_still_typed_when_the_reader_skips_guessing_them(tmp_path):
    # reading now guesses dates only when a text column's first value starts with a digit (10 s -> 0.3 s on a 3 MB
    # file of text codes): the frames must be what the reader's own guessing gives
    from dvclean.io import _may_be_date

    p = tmp_path / "d.csv"
    p.write_text("code,when,stamp,note,y\nv1,2021-07-05,2021-07-05T10:00:00,a,0\nv2,2021-07-06,2021-07-06T11:30:00,"
                 "5 units,1\nv3,2021-07-07,2021-07-07T12:00:00,b,0\n")
    frame, _ = read_frame(p)
    assert frame.schema["when"] == pl.Date and isinstance(frame.schema["stamp"], pl.Datetime)
    assert frame.equals(pl.read_csv(p, try_parse_dates=True))
    assert not _may_be_date(pl.Series(["v1", "2021-07-05"])) and _may_be_date(pl.Series([None, "05/07/2021"]))
    codes = tmp_path / "c.csv"
    codes.write_text("a,b,y\nx1,5-10,0\nx2,10-20,1\n")
    assert read_frame(codes)[0].equals(pl.read_csv(codes, try_parse_dates=True))


def test_fix_keeps_a_missing_last_line_end_and_reports_the_input_columns(tmp_path):
    import json

    from typer.testing import CliRunner

    from dvclean.cli import app

    _noisy_two_class(tmp_path / "d.csv")
    text = (tmp_path / "d.csv").read_text().rstrip("\n")
    (tmp_path / "n.csv").write_text(text)  # no line end after the last record
    runner = CliRunner()
    r = runner.invoke(app, ["fix", str(tmp_path / "n.csv"), "-y", "y", "--action", "relabel", "--drop", "k",
                            "-o", str(tmp_path / "o.csv"), "--json"])
    assert r.exit_code == 0, r.output
    out = (tmp_path / "o.csv").read_text()
    assert not out.endswith("\n") and out.count("\n") == text.count("\n")
    assert json.loads(r.stdout)["input"]["columns"] == 5  # the --drop column is the input's too


def test_percentages_are_spelled_as_written():
    from dvclean.cli._scoring import parse_closed_fraction, parse_fraction

    assert parse_fraction("0.7%") == 0.007 and parse_closed_fraction("-0") == 0.0
    assert str(parse_closed_fraction("-0")) == "0.0"


@pytest.mark.parametrize("cell", [" 2021-07-05", '" 2021-07-05"', "+2021-07-05", " 2021-07-05T10:00:00+02:00"])
def test_csv_dates_after_spaces_or_a_sign_are_still_dates(tmp_path, cell):
    p = tmp_path / "d.csv"
    p.write_text("a,t,y\n" + "".join(f"{i},{cell},{'ab'[i % 2]}\n" for i in range(6)))
    assert read_frame(p)[0].schema == pl.read_csv(p, try_parse_dates=True).schema


def test_html_regression_target_named_value_keeps_the_values_digits():
    from dvclean.report import build_report
    from dvclean.report._render import _target_positions, render_html
    from dvclean.report.formats import number_text

    rng = np.random.default_rng(7)
    n = 400
    x = rng.normal(size=n)
    frame = pl.DataFrame({"x": x, "z": rng.normal(size=n), "value": 300000 + 80000 * x + 5000 * rng.normal(size=n)})
    rep = build_report(dvclean.score(frame, label="value", config=dvclean.ScoreConfig(task="regression")))
    cols = rep.top_columns
    positions = _target_positions(rep)
    assert cols.index("value") not in positions and cols.index("label") in positions
    html = render_html(rep)
    values = [row[cols.index("value")] for row in rep.top_rows]
    assert all(number_text(v) in html for v in values)


def test_whole_float_infinities_and_nan_are_missing_in_categories():
    from dvclean.config import FeatureConfig
    from dvclean.table import FeatureEncoder

    vals = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 1.0, 2.0, 3.0]
    for cfg in (FeatureConfig(), FeatureConfig(max_onehot=3)):
        rows = []
        for tail in ([None, None], [float("nan")] * 2, [float("inf"), -float("inf")]):
            enc = FeatureEncoder(cfg)
            rows.append((enc.fit_transform(pl.DataFrame({"w": vals + tail}), ["w"])[-1].tolist(), enc.feature_names_))
        assert rows[0] == rows[1] == rows[2]


def test_html_class_names_are_cut_and_a_dropped_last_row_keeps_the_missing_line_end(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app
    from dvclean.report import build_report
    from dvclean.report._render import render_html

    rng = np.random.default_rng(2)
    x = rng.normal(size=120)
    frame = pl.DataFrame({"x": x, "z": rng.normal(size=120), "y": np.where(x > 0, "A" * 5000, "b")})
    assert "A" * 400 not in render_html(build_report(dvclean.score(frame, label="y")))
    _noisy_two_class(tmp_path / "d.csv")
    lines = (tmp_path / "d.csv").read_text().splitlines()
    last = lines[1].rsplit(",", 1)[0] + ",no" if lines[1].endswith("yes") else lines[1].rsplit(",", 1)[0] + ",yes"
    (tmp_path / "n.csv").write_text("\n".join([*lines, last]))  # a copy of row 0 with the other label, last, no line end
    r = CliRunner().invoke(app, ["fix", str(tmp_path / "n.csv"), "-y", "y", "--action", "drop", "--force",
                                 "-o", str(tmp_path / "o.csv"), "--json"])
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "o.csv").read_text().endswith("\n")


def test_a_kept_blank_row_keeps_its_line_end_and_an_id_named_line_is_an_id(tmp_path):
    from dvclean.io import TextEdits, read_csv_text, render_csv_text
    from dvclean.report import build_report
    from dvclean.report._render import _target_positions

    src = tmp_path / "b.csv"
    src.write_bytes(b"a,b\n1,2\n\n3,4")  # a blank row, then a last record without a line end
    frame, info = read_frame(src)
    text = read_csv_text(src, info, rows=frame.height)
    assert render_csv_text(text, TextEdits(rows=[0, 1])) == "a,b\n1,2\n\n"  # the blank row is still a row
    assert render_csv_text(text, TextEdits(rows=[0, 2])) == "a,b\n1,2\n3,4"
    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(size=n)
    frame = pl.DataFrame({"line": [f"r{i}" for i in range(n)], "x": x, "target": 1.7e9 + 1000 * x + rng.normal(size=n)})
    rep = build_report(dvclean.score(frame, label="target", id_column="line",
                                     config=dvclean.ScoreConfig(task="regression")))
    cols = rep.top_columns
    assert {cols[i] for i in _target_positions(rep)} == {"label", "neighbor_label", "predicted_value", "target"}
