"""Findings of QA round 53 (session 33): each test fails on the code before its fix."""

from __future__ import annotations

import numpy as np


def test_a_constant_prediction_is_described_as_one_value_not_as_a_correlation():
    from dvclean.diagnostics import target_predictability
    from dvclean.pipeline import measured_target_predictions

    y = np.r_[np.zeros(90), np.arange(1, 11) * 100.0]
    q = target_predictability(np.zeros(100), y)
    assert q["constant_prediction"] is True
    text = measured_target_predictions(q)
    assert "one value for every row" in text and "correlate" not in text  # (was: "correlate 0.000 ... p = 1")
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    moving = target_predictability(x + 0.5 * rng.normal(size=300), x)
    assert moving["constant_prediction"] is False and "correlate" in measured_target_predictions(moving)


def test_regression_rows_with_equal_features_are_valued_alike_in_any_file_order():
    import polars as pl

    import dvclean
    from dvclean.config import KNNConfig, ScoreConfig

    rng = np.random.default_rng(3)
    a = rng.integers(0, 3, 60).astype(float)  # few distinct feature rows: many rows share features, not targets
    b = rng.integers(0, 3, 60).astype(float)
    df = pl.DataFrame({"a": a, "b": b, "price": a + b + rng.normal(size=60)})
    for method in ("knn", "oob"):
        cfg = ScoreConfig(task="regression", methods=(method,), knn=KNNConfig(k=1))
        v = dvclean.score(df, label="price", config=cfg).frame.get_column("value").to_numpy()
        perm = rng.permutation(60)
        vp = dvclean.score(df[perm], label="price", config=cfg).frame.get_column("value").to_numpy()
        assert np.array_equal(vp[np.argsort(perm)], v), method  # (was: up to 0.02 apart for knn, 1.8 for oob)


def test_typos_alone_do_not_make_the_target_skewed(tmp_path):
    import polars as pl
    from sklearn.datasets import load_diabetes
    from typer.testing import CliRunner

    from dvclean.cli import app

    d = load_diabetes()
    rng = np.random.default_rng(0)
    y = d.target.astype(float)
    bad = rng.choice(y.size, 22, replace=False)
    y[bad] *= 10  # typos: the target's skewness 0.44 becomes about 6
    frame = pl.DataFrame({f"x{i}": d.data[:, i] for i in range(d.data.shape[1])}).with_columns(price=pl.Series(y))
    frame.write_csv(tmp_path / "d.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "price", "--task", "regression",
                                 "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 0, r.output
    flagged = set(np.flatnonzero(pl.read_parquet(tmp_path / "o.parquet").get_column("is_mislabeled").to_numpy()))
    assert flagged == set(bad.tolist())
    assert "the target is skewed" not in r.output  # (was: "its long tail is flagged although it may be right")


def test_a_tenth_of_the_targets_x100_does_not_hide_that_the_features_predict_the_rest():
    from sklearn.datasets import load_diabetes

    import dvclean
    from dvclean.config import ScoreConfig

    d = load_diabetes(as_frame=True).frame
    bad = np.random.default_rng(1001).random(len(d)) < 0.10
    d.loc[bad, "target"] = d.loc[bad, "target"] * 100  # cents for dollars
    r = dvclean.score(d, label="target", config=ScoreConfig(task="regression"))
    q = r.summary["flags"]["target_predictability"]
    assert q["predictable"] and q["spearman"] > 0.4, q  # (was: -0.18, and fix refused to drop the 42 typos)
    assert np.array_equal(r.frame.get_column("is_mislabeled").to_numpy(), bad)


def test_the_first_pass_clips_targets_far_beyond_their_spread_only():
    from dvclean.flags import clipped_targets

    y = np.random.default_rng(0).normal(size=500)
    assert np.array_equal(clipped_targets(y), y)  # a normal target: nothing that far out
    y[:5] = 1e4
    c = clipped_targets(y)
    assert np.array_equal(c[5:], y[5:]) and c[:5].max() < 20


def test_the_score_summary_says_the_task_the_knn_rule_and_the_validation_file(tmp_path):
    import polars as pl
    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 2))
    rating = np.clip(np.round(x[:, 0] + 3), 1, 5).astype(int)
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "rating": rating}).write_csv(tmp_path / "r.csv")
    pl.DataFrame({"a": x[:50, 0], "b": x[:50, 1], "rating": rating[:50]}).write_csv(tmp_path / "v.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "r.csv"), "-y", "rating", "--mislabel-rule", "knn",
                                 "--valid", str(tmp_path / "v.csv"), "-o", str(tmp_path / "o.parquet")])
    text = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert "task: classification (auto: Int64 label with 5 distinct values; --task regression values them as numbers)" in text
    assert "mislabel rule: knn" in text  # (was: no rule line under the knn rule)
    assert "valued against the --valid file (50 rows)" in text


def test_the_null_values_hint_keeps_the_default_missing_spellings(tmp_path):
    import re
    import shlex

    import polars as pl
    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(5)
    x = rng.normal(size=120)
    price = [f"{v:.3f}" for v in 10 + x + rng.normal(size=120) * 0.1]
    price[3], price[7], price[11] = "n/a", "NA", "n/a"
    pl.DataFrame({"a": x, "price": price}).write_csv(tmp_path / "p.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "p.csv"), "-y", "price", "--task", "regression"])
    text = " ".join(r.output.split())
    assert r.exit_code == 2, r.output
    suggested = re.search(r"--null-values ('[^']*'|\S+)", text).group(1)
    assert "NA" in shlex.split(suggested)[0].split(",")  # (was: --null-values n/a, which turned NA into text)
    r = CliRunner().invoke(app, ["score", str(tmp_path / "p.csv"), "-y", "price", "--task", "regression",
                                 "--null-values", shlex.split(suggested)[0], "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 0, r.output


def test_errors_say_how_to_fix_a_respelled_class_and_a_missing_validation_column(tmp_path):
    import polars as pl
    from typer.testing import CliRunner

    from dvclean.cli import app

    rng = np.random.default_rng(6)
    x = rng.normal(size=(60, 2))
    y = np.where(x[:, 0] > 0, ">50K", "<=50K").astype(object)
    y[5] = ">50k"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y.tolist()}).write_csv(tmp_path / "d.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y"])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "'>50K' and '>50k'" in text and "write each class one way" in text, r.output
    y[5] = ">50K"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y.tolist()}).write_csv(tmp_path / "d.csv")
    pl.DataFrame({"a": x[:20, 0], "y": y[:20].tolist()}).write_csv(tmp_path / "v.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--valid", str(tmp_path / "v.csv")])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "lacks column 'b'" in text and "--drop NAME" in text, r.output


def test_a_row_number_column_note_names_the_library_keywords_for_a_frame():
    import polars as pl

    import dvclean

    rng = np.random.default_rng(7)
    x = rng.normal(size=80)
    df = pl.DataFrame({"id": np.arange(80), "a": x, "y": np.where(x > 0, "p", "n")})
    notes = " ".join(dvclean.score(df, label="y").summary["notes"])
    assert "pass id_column='id', or drop='id'" in notes and "--id" not in notes  # (was: CLI flags in a library call)


def test_many_outlying_targets_get_a_note_before_anyone_drops_them():
    from pathlib import Path

    import dvclean
    from dvclean.config import ScoreConfig

    path = Path(__file__).resolve().parent.parent / "sample_data" / "adult_2000.csv"
    r = dvclean.score(str(path), label="capital_gain", config=ScoreConfig(task="regression"))
    flagged = r.summary["flags"]["mislabeled"]
    assert 0.05 * 2000 < flagged <= 0.25 * 2000, flagged  # clean gains, most of the non-zero ones flagged
    notes = " ".join(r.summary["notes"])
    if r.summary["flags"].get("skewed_target"):  # (session 41: 165 flagged, all above their predictions)
        # the skewed-target note says more (and fix refuses to drop them); 70% of the gains are 0: their non-zero rows on their own (a point mass at 0 would dominate log(1 + target))
        assert "no target is negative" in notes and "log(1 + target)" in notes and "every target is positive" not in notes
    else:
        assert "are flagged as outlying targets, where errors of a normal spread put 1 row in 2,149" in notes  # (was: none)
        assert "fix --action mark" in notes


def test_a_few_huge_typos_that_outweigh_the_rest_together_get_a_note():
    from pathlib import Path

    import polars as pl

    import dvclean
    from dvclean.config import ScoreConfig

    df = pl.read_csv(Path(__file__).resolve().parent.parent / "sample_data" / "adult_2000.csv")
    typo = [3, 400, 900, 1300, 1700]
    age = df.get_column("age").to_numpy().astype(float)
    age[typo] *= 1000
    r = dvclean.score(df.with_columns(age=pl.Series(age)), label="age", config=ScoreConfig(task="regression"))
    notes = [n for n in r.summary["notes"] if "of the rows' total absolute value" in n]
    assert len(notes) == 1, r.summary["notes"]  # (was: none when no single row held a quarter)
    named = notes[0].split(" hold ")[0].removeprefix("rows ").split(", ")
    assert set(named) <= {str(t) for t in typo}


def test_help_lists_the_commands_in_the_order_of_a_run():
    import re

    from typer.testing import CliRunner

    from dvclean.cli import app

    out = CliRunner().invoke(app, ["--help"]).output
    listed = re.findall(r"^│ (score|check|fix|report|augment|methods|version) ", out, flags=re.M)
    assert listed == ["score", "check", "fix", "report", "augment", "methods", "version"], listed


def test_review_the_outlying_share_note_counts_the_flags_that_stay_and_follows_the_cutoff():
    import polars as pl

    import dvclean
    from dvclean.config import MislabelConfig, ScoreConfig

    rng = np.random.default_rng(3)
    x = rng.normal(size=(400, 3))
    t = x[:, 0] * 2 + rng.standard_t(1.2, size=400)
    frame = pl.DataFrame({f"f{i}": x[:, i] for i in range(3)} | {"t": t})
    blank = pl.DataFrame({f"f{i}": [None] * 40 for i in range(3)} | {"t": rng.standard_t(1.2, size=40) * 30},
                         schema=frame.schema)
    r = dvclean.score(pl.concat([frame, blank]), label="t", config=ScoreConfig(task="regression"))
    kept = int(r.frame.get_column("is_mislabeled").sum())
    notes = [n for n in r.summary["notes"] if "are flagged as outlying targets, where" in n]
    assert all(n.startswith(f"{kept} rows") for n in notes), (kept, notes)  # (was: 51 counted, 22 kept)
    y = x[:, 0] + rng.normal(size=400) * 0.5  # normal errors, a cutoff that puts 7% of them beyond it
    r = dvclean.score(frame.with_columns(t=pl.Series(y)), label="t",
                      config=ScoreConfig(task="regression", mislabel=MislabelConfig(outlier_z=1.8)))
    assert not any("where errors of a normal spread" in n for n in r.summary["notes"]), r.summary["notes"]


def test_review_one_value_left_is_said_so_and_a_single_row_is_singular():
    import polars as pl

    import dvclean
    from dvclean.config import FixConfig, ScoreConfig
    from dvclean.errors import DataValidationError
    from dvclean.fix import fix

    rng = np.random.default_rng(0)
    t = np.full(442, 5.5)
    t[300] = 99.0
    frame = pl.DataFrame({f"f{i}": rng.normal(size=442) for i in range(4)}).with_columns(t=pl.Series(t))
    r = dvclean.score(frame, label="t", config=ScoreConfig(task="regression"))
    assert np.flatnonzero(r.frame.get_column("is_mislabeled").to_numpy()).tolist() == [300]
    assert r.summary["flags"]["target_predictability"]["one_value_left"] is True
    assert any("every row not flagged holds one value of it" in n for n in r.summary["notes"]), r.summary["notes"]
    try:
        fix(frame, label="t", config=FixConfig(action="drop"), score_config=ScoreConfig(task="regression"))
    except DataValidationError as e:
        assert "refusing to drop 1 row flagged" in str(e) and "no model was fitted" in str(e), str(e)
    else:
        raise AssertionError("a flag of a target the features are not shown to predict was dropped without force")


def test_review_targets_beyond_float_precision_keep_their_order():
    import polars as pl

    from dvclean.pipeline import _content_order

    h = np.array([7, 7], dtype=np.uint64)
    s = pl.Series([2**53 + 1, 2**53])
    assert s[_content_order(h, s, by_target=True)].to_list() == [2**53, 2**53 + 1]
    assert s[::-1][_content_order(h, s[::-1], by_target=True)].to_list() == [2**53, 2**53 + 1]
