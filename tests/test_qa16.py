"""Defects found in the sixteenth QA round (and fixed), one test each."""

from __future__ import annotations

import pytest

from dvclean.augment import augment
from dvclean.config import ScoreConfig

from .conftest import SAMPLE, needs_sdv
from .test_augment_followups import fast, scores_of, text_classes


@needs_sdv
def test_augment_names_the_method_of_a_scores_file_and_no_knn_k_for_another_method(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(text_classes())
    oob = scores_of(tmp_path, data, "oob.parquet", label="label", config=ScoreConfig(methods=("oob",)))
    r = augment(str(data), label="label", scores=oob, config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "oob" and r.report["scores"]["source"].endswith("(oob)")
    assert r.report["config"]["k"] is None  # was the footer's knn.k, a K that valued nothing
    knn = scores_of(tmp_path, data, "knn.parquet", label="label", config=ScoreConfig(seed=0))
    r = augment(str(data), label="label", scores=knn, config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "knn" and r.report["config"]["k"] == 5
    r = augment(str(data), label="label", config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "knn" and r.report["scores"]["source"] == "computed (knn)"


# ---------------------------------------------------------------- configuration files


def _gate(tmp_path, toml: str, *args: str, method: tuple[str, ...] = ("-m", "knn")):
    from typer.testing import CliRunner

    from dvclean.cli import app

    from .test_qa14 import _data

    data = _data(tmp_path / "d.csv", n=80)
    (tmp_path / "dvclean.toml").write_bytes(toml.encode() if isinstance(toml, str) else toml)
    return CliRunner().invoke(app, ["check", str(data), *method, *args])


def test_an_on_off_option_from_a_file_is_turned_off_by_its_no_form(tmp_path):
    toml = 'label = "y"\n[check]\nexit-zero = true\nmax-mislabeled = 0\n'
    assert _gate(tmp_path, toml, "-q").exit_code == 0  # the file's exit-zero hides the failing check
    assert _gate(tmp_path, toml, "-q", "--no-exit-zero").exit_code == 1  # was "No such option"
    res = _gate(tmp_path, toml, "--no-exit-zero", "--show-config")
    assert "exit-zero" in res.output and "false" in res.output and "command line" in res.output


@pytest.mark.parametrize(("line", "expected"), [
    ('null-values = ["?"]', "invalid value ['?'] for --null-values: it takes one value, not a list"),
    ("k = 0", "invalid value 0 for --k: it must be an int >= 1"),
    ('mislabel-rule = "bogus"', "invalid value 'bogus' for --mislabel-rule: it must be one of"),
    ("max_mislabeled = 5\nmax-mislabeled = 3", "'max-mislabeled' and 'max_mislabeled' set the same option"),
    ("method = []", "method = [] names no method"),
])
def test_bad_values_in_a_file_name_the_file(tmp_path, line, expected):
    res = _gate(tmp_path, f'label = "y"\n{line}\n', "-q", method=() if line.startswith("method") else ("-m", "knn"))
    assert res.exit_code == 2, res.output
    assert f"{tmp_path / 'dvclean.toml'}" in res.output and expected in res.output, res.output


def test_a_bom_or_a_directory_as_configuration_file_is_named(tmp_path):
    res = _gate(tmp_path, b'\xef\xbb\xbflabel = "y"\n', "-q")
    assert res.exit_code == 2 and "byte-order mark" in res.output, res.output
    (tmp_path / "dvclean.toml").unlink()
    (tmp_path / "dvclean.toml").mkdir()
    from typer.testing import CliRunner

    from dvclean.cli import app

    res = CliRunner().invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "-m", "knn", "-q"])
    assert res.exit_code == 2 and "is a directory" in res.output, res.output  # was silently skipped
    res = CliRunner().invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "--config", str(tmp_path / "dvclean.toml")])
    assert res.exit_code == 2 and "is a directory" in res.output, res.output  # said "no such file"


@needs_sdv
def test_augment_refuses_an_augment_table(tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    from .test_qa14 import _data

    data = _data(tmp_path / "d.csv", n=60)
    (tmp_path / "dvclean.toml").write_text("[augment]\nseed = 1\n")
    res = CliRunner().invoke(app, ["augment", str(data), "-y", "y", "-g", "gaussian-copula", "-n", "5",
                                   "-o", str(tmp_path / "a.csv")])
    assert res.exit_code == 2 and "does not read configuration files" in res.output, res.output
    assert not (tmp_path / "a.csv").exists()


# ---------------------------------------------------------------- augment's evaluation: copies across the holdout


def _with_email(n: int, seed: int = 0):
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({"x": y * 2.0 + rng.normal(0, 1, n), "z": rng.normal(0, 1, n),
                         "email": [f"u{i}@example.org" for i in range(n)], "y": y.astype(str)})


def test_holdout_file_overlap_is_judged_on_the_columns_the_models_use():
    import polars as pl

    from dvclean.augment import AugmentConfig
    from dvclean.augment.evaluate import plan_evaluation
    from dvclean.table import make_table

    df = _with_email(300)
    table = make_table(df, label="y")
    hold = df.tail(60).with_columns(pl.concat_str([pl.lit("x"), pl.col("email")]).alias("email"))
    plan = plan_evaluation(table, AugmentConfig(evaluate=True), holdout=hold)
    (note,) = [n for n in plan.notes if n.startswith("--holdout: 60 of its 60 labelled rows also appear")]
    assert "not 'email', which they ignore" in note  # the email differs, the models never see it


def test_split_holdout_rows_with_a_copy_in_the_training_split_are_counted():
    import numpy as np
    import polars as pl

    from dvclean.augment import AugmentConfig
    from dvclean.augment.evaluate import plan_evaluation
    from dvclean.table import make_table

    df = _with_email(200).drop("email")
    table = make_table(pl.concat([df, df]), label="y")  # every row twice
    plan = plan_evaluation(table, AugmentConfig(evaluate=True), seed=3)
    (note,) = [n for n in plan.notes if "holdout rows have exact copies in the data the models learn from" in n]
    train = {tuple(r) for r in table.frame[plan.rows[plan.train]].rows()}
    expected = sum(tuple(r) in train for r in plan.hold_frame.rows())
    assert expected > 0 and f": {expected} in the training split" in note
    assert f"of {plan.hold_frame.height} holdout rows" in note
    assert np.isin(plan.train, plan.hold).sum() == 0
    once = plan_evaluation(make_table(df, label="y"), AugmentConfig(evaluate=True), seed=3)
    assert not [n for n in once.notes if "exact copies" in n]


def test_a_column_whose_values_all_repeat_equally_gets_the_right_reason(tmp_path):
    import polars as pl

    from dvclean import score

    df = _with_email(100)
    r = score(pl.concat([df, df]), label="y")
    assert any("email (100 values, each in 2 rows: its frequency encoding is constant)" in n
               for n in r.summary["notes"]), r.summary["notes"]  # it said "constant"


# ---------------------------------------------------------------- labels


def test_blank_labels_are_not_named_as_classes_differing_in_whitespace(tmp_path):
    from dvclean import score

    lines = ["x,y"] + [f"{i % 3 * 2 + (i % 7) / 10},{'abc'[i % 3] if i % 30 else ' ' * (1 + i // 30 % 2)}"
                       for i in range(300)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    r = score(tmp_path / "d.csv", label="y")
    assert int(r.frame.get_column("is_label_missing").sum()) == 10 and set(r.summary["classes"]) == {"a", "b", "c"}
    assert not [n for n in r.summary["notes"] if "differ only in case or whitespace" in n], r.summary["notes"]


@pytest.mark.parametrize(("spellings", "expected"), [(("2", "2.5"), {"2", "2.5"}), (("True", "False"), {"True", "False"}),
                                                     (("1e3", "7.5"), {"1e3", "7.5"})])
def test_float_and_boolean_labels_keep_the_file_s_spelling(tmp_path, spellings, expected):
    import polars as pl

    from dvclean import score, write_scores

    lines = ["x,y"] + [f"{(i % 2) * 3 + (i % 5) / 10},{spellings[i % 2]}" for i in range(80)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    r = score(tmp_path / "d.csv", label="y")
    out = write_scores(r, tmp_path / "s.csv")
    written = pl.read_csv(out, infer_schema=False)
    assert set(written.get_column("label").to_list()) == expected  # was 2.0 / true / 1000.0
    assert set(written.get_column("suggested_label").drop_nulls().to_list()) <= expected


def test_a_valid_label_of_another_type_says_so(tmp_path):
    import polars as pl
    from typer.testing import CliRunner

    from dvclean.cli import app

    pl.DataFrame({"x": [float(i % 3) for i in range(60)], "y": [i % 3 + 1 for i in range(60)]}).write_parquet(tmp_path / "d.parquet")
    pl.DataFrame({"x": [0.0, 1.0, 2.0], "y": ["1", "2", "3"]}).write_parquet(tmp_path / "v.parquet")
    res = CliRunner().invoke(app, ["score", str(tmp_path / "d.parquet"), "-y", "y", "--valid", str(tmp_path / "v.parquet"),
                                   "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 2, res.output
    assert "holds String values" in res.output and "write the validation labels as the data writes them" in res.output
    assert "add rows of that class" not in res.output


def test_the_report_says_when_the_generator_s_hard_set_included_flagged_rows():
    from dvclean.report._build import _included_mislabeled_note

    doc = {"config": {"include_mislabeled": True}, "target": {"spec": "hard", "rows": 100, "mislabeled_rows_used": 65}}
    (note,) = _included_mislabeled_note(doc)
    assert "trained on 100 rows" in note and "65 of them are flagged mislabeled" in note
    assert _included_mislabeled_note({**doc, "config": {"include_mislabeled": False}}) == []
    assert _included_mislabeled_note({**doc, "target": {"spec": "all", "rows": 900}}) == []


# ---------------------------------------------------------------- KNN-Shapley: ties, K > N


@pytest.mark.parametrize("search", ["kdtree", "brute"])
def test_the_approximate_path_values_distance_ties_as_the_exact_path(search):
    import numpy as np

    from dvclean.config import KNNConfig
    from dvclean.table import ValuationData
    from dvclean.valuation.knn import KNNShapley

    x = np.array([-1.0, 1.0, 0.0, 0.0, 1.0])[:, None]
    d = ValuationData(x=x, y=np.array([0, 1, 0, 1, 1]), rows=np.arange(5), classes=np.array([0, 1]))
    exact = KNNShapley(KNNConfig(k=1)).value(d).values
    approx = KNNShapley(KNNConfig(k=1, algorithm="approx", eps=0.01, neighbors=search)).value(d)
    assert approx.status == "exact"
    np.testing.assert_allclose(approx.values, exact, atol=1e-12)  # the search's own tie order summed to 0.4, not 0.6
    # efficiency: leave-one-out 1-NN accuracy with ties broken at random (row 0's nearest are rows 2 and 3, one of
    # each label: 1/2; rows 1 and 4 are right, 2 and 3 wrong); 0.6 when ties went by row order
    assert exact.sum() == pytest.approx(0.5)


def test_truncated_knn_shapley_keeps_its_eps_bound_when_distances_tie():
    import numpy as np

    from dvclean.config import KNNConfig
    from dvclean.table import ValuationData
    from dvclean.valuation.knn import KNNShapley

    x = np.array([2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 1.0, 0.0, 1.0])[:, None]
    d = ValuationData(x=x, y=np.array([1, 0, 0, 0, 0, 1, 1, 0, 1, 0]), rows=np.arange(10), classes=np.array([0, 1]))
    exact = KNNShapley(KNNConfig(k=1)).value(d).values
    approx = KNNShapley(KNNConfig(k=1, algorithm="approx", eps=0.25, neighbors="kdtree")).value(d)
    assert approx.status == "approximate"
    assert np.abs(approx.values - exact).max() <= 0.25  # measured 0.033; was 0.607 with the tree's tie order


def test_exact_knn_shapley_with_k_above_the_players_is_efficient():
    import numpy as np

    from dvclean.valuation.knn import knn_shapley_exact

    values, _ = knn_shapley_exact(np.array([[0.0], [1.0]]), np.array([1, 1]), 3, x_valid=np.array([[0.5]]),
                                  y_valid=np.array([1]))
    np.testing.assert_allclose(values, [1 / 3, 1 / 3])  # U(all) - U(empty) = 2/K; was [0.5, 0.5]


# ---------------------------------------------------------------- what a scores file records


def test_a_scores_file_records_its_validation_file_and_notes_and_the_report_shows_them(tmp_path):
    import json

    import polars as pl

    from dvclean import score, write_scores
    from dvclean.report import build_report_from_files

    src = pl.read_csv(SAMPLE).head(400).with_row_index("idx")  # a row-number column: the run notes it
    src.head(300).write_csv(tmp_path / "d.csv")
    src.tail(100).write_csv(tmp_path / "v.csv", separator=";")  # read on its own terms: sniffed, not the data's
    r = score(tmp_path / "d.csv", label="income", valid=tmp_path / "v.csv")
    assert r.summary["validation_file"]["rows"] == 100 and r.summary["validation_file"]["path"].endswith("v.csv")
    out = write_scores(r, tmp_path / "s.parquet")
    meta = json.loads(pl.read_parquet_metadata(out)["dvclean"])
    assert meta["validation"] == "file (100 rows)" and meta["validation_file"] == r.summary["validation_file"]
    assert meta["notes"] == r.summary["notes"] and any("'idx'" in n for n in meta["notes"])
    report = build_report_from_files(out, data=tmp_path / "d.csv")
    assert report.meta["validation"].startswith(str(tmp_path / "v.csv"))
    assert all(n in report.notes for n in r.summary["notes"])


# ---------------------------------------------------------------- outputs: what a run may not overwrite, and stdout


def _cli(*args: str, **kw):
    from typer.testing import CliRunner

    from dvclean.cli import app

    return CliRunner().invoke(app, list(args), **kw)


def test_an_output_over_a_configuration_file_the_run_read_is_refused(tmp_path):
    from .test_qa14 import _data

    data = _data(tmp_path / "d.csv", n=60)
    (tmp_path / "dvclean.toml").write_text("[score]\nk = 7\n")
    before = (tmp_path / "dvclean.toml").read_bytes()
    res = _cli("score", str(data), "-y", "y", "-o", str(tmp_path / "dvclean.toml"), "--format", "csv", "-q")
    assert res.exit_code == 2 and "is the input file" in res.output, res.output  # was exit 0, the file replaced
    (tmp_path / "pyproject.toml").write_text("[tool.dvclean.fix]\nk = 7\n")
    res = _cli("fix", str(data), "-y", "y", "-o", str(tmp_path / "pyproject.toml"), "--format", "csv", "-q")
    assert res.exit_code == 2, res.output
    assert (tmp_path / "dvclean.toml").read_bytes() == before and b"[tool.dvclean.fix]" in (tmp_path / "pyproject.toml").read_bytes()


def test_a_github_step_summary_naming_the_input_is_refused(tmp_path, monkeypatch):
    from .test_qa14 import _data

    data = _data(tmp_path / "d.csv", n=60)
    before = data.read_bytes()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(data))
    res = _cli("check", str(data), "-y", "y", "-m", "knn", "--format", "github", "--max-mislabeled", "50%")
    assert res.exit_code == 2 and "$GITHUB_STEP_SUMMARY" in res.output, res.output
    assert data.read_bytes() == before  # the summary table was appended to the data


def test_an_unwritable_checkpoint_directory_is_refused_before_the_valuation(tmp_path, monkeypatch):
    import os

    from .test_qa14 import _data

    data = _data(tmp_path / "d.csv", n=60)
    (tmp_path / "ro").mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p).endswith("ro") and mode == os.W_OK
                        else real(p, mode, **kw))
    res = _cli("score", str(data), "-y", "y", "-m", "tmc", "--time-budget", "30", "-o", str(tmp_path / "o.parquet"),
               "--checkpoint", str(tmp_path / "ro" / "ck"), "-q")
    assert res.exit_code == 2 and "choose another --checkpoint" in res.output, res.output


def test_a_symlink_loop_as_output_is_a_usage_error(tmp_path):
    from .test_qa14 import _data

    data = _data(tmp_path / "d.csv", n=60)
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    res = _cli("score", str(data), "-y", "y", "-o", str(tmp_path / "loop1"), "-q")
    assert res.exit_code == 2 and "internal error" not in res.output, res.output


def _run(shell: str, tmp_path):
    import subprocess
    import sys

    return subprocess.run(["bash", "-c", shell.replace("DV", f"{sys.executable} -m dvclean")], capture_output=True,
                          text=True, cwd=tmp_path, timeout=300)


def test_a_closed_stdout_or_a_full_device_is_not_an_internal_error(tmp_path):
    from pathlib import Path

    from .test_qa14 import _data

    _data(tmp_path / "d.csv", n=60)
    res = _run("DV version >&-", tmp_path)
    assert res.returncode == 0 and "internal error" not in res.stderr, res.stderr  # was exit 3
    res = _run("DV score --help | head -c 1 >/dev/null; exit ${PIPESTATUS[0]}", tmp_path)
    assert res.returncode == 0, res.stderr  # was 1, the code of a failed check
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    res = _run("DV score d.csv -y y -o s.parquet --json > /dev/full", tmp_path)
    assert res.returncode == 2 and "No space left on device" in res.stderr and "internal error" not in res.stderr
    assert "already written in full: s.parquet" in res.stderr
    res = _run("DV --help > /dev/full", tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr


def test_check_json_names_the_validation_file(tmp_path):
    import json

    import polars as pl

    src = pl.read_csv(SAMPLE).head(300)
    src.head(200).write_csv(tmp_path / "d.csv")
    src.tail(100).write_csv(tmp_path / "v.csv")
    res = _cli("check", str(tmp_path / "d.csv"), "-y", "income", "--valid", str(tmp_path / "v.csv"), "--json",
               "--max-mislabeled", "100%")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["validation"]["rows"] == 100 and doc["validation"]["path"].endswith("v.csv")
    res = _cli("check", str(tmp_path / "d.csv"), "-y", "income", "--json", "--max-mislabeled", "100%")
    assert json.loads(res.stdout)["validation"] is None
