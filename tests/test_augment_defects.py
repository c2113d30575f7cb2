"""Regression tests for ``dvclean augment`` defects G, H, C, D, E, F, B, A and I of the QA pass."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment
from dvclean.augment.evaluate import _metrics, outcome, plan_evaluation, split_indices, verdict
from dvclean.cli import app
from dvclean.errors import AugmentError, ConfigError
from dvclean.io import format_value, read_csv_text, read_frame, temporal_style
from dvclean.table import make_table

from .conftest import HAS_SDV, needs_sdv

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("sdv_home")


def frame(n: int = 200, seed: int = 0, classes: tuple[str, ...] = ("no", "yes")) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(classes), n)
    return pl.DataFrame({
        "x1": y * 2.0 + rng.normal(0, 0.9, n) + np.arange(n) * 1e-6,
        "x2": rng.normal(0, 1, n) + y,
        "city": [["Lyon", "Oslo", "Kyiv"][int(v)] for v in rng.integers(0, 3, n)],
        "label": [classes[int(v)] for v in y],
    })


def fast(**kw) -> AugmentConfig:
    base = {"generator": "gaussian-copula", "quality": False, "xgb_max_rounds": 60, "xgb_early_stopping": 10}
    base.update(kw)
    return AugmentConfig(**base)


def cli(*args: str):
    return runner.invoke(app, ["augment", *args])


# ---------------------------------------------------------------- G: --n-synthetic messages


@needs_sdv
def test_g_n_synthetic_messages_name_the_labelled_rows(tmp_path):
    src = tmp_path / "d.csv"
    frame(200).write_csv(src)
    res = cli(str(src), "-y", "label", "-n", "0%", "-q")
    assert res.exit_code == 2 and "--n-synthetic 0%" in res.stderr
    assert "1000000000" not in res.stderr and "Traceback" not in res.output
    res = cli(str(src), "-y", "label", "-g", "gaussian-copula", "-n", "0.1%", "-q")
    assert res.exit_code == 2, res.output
    assert "of 200 labelled rows is 0 rows" in res.stderr.replace("\n", " ")
    assert not (tmp_path / "d.augmented.csv").exists()


# ---------------------------------------------------------------- H: the provenance column


def test_h_make_table_never_uses_the_provenance_column_as_a_feature():
    df = frame(40).with_columns(pl.Series("dvclean_synthetic", [i >= 30 for i in range(40)]))
    t = make_table(df, label="label")
    assert "dvclean_synthetic" not in t.features and set(t.features) == {"x1", "x2", "city"}
    assert any("dvclean_synthetic" in n for n in t.notes)


def test_h_score_of_an_augmented_file_notes_the_excluded_column(tmp_path):
    src = tmp_path / "aug.csv"
    frame(120).with_columns(pl.Series("dvclean_synthetic", [i >= 100 for i in range(120)])).write_csv(src)
    res = runner.invoke(app, ["score", str(src), "-y", "label", "--json", "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert "dvclean_synthetic" not in summary["features"]["columns"]
    assert any("dvclean_synthetic" in n and "not used as a feature" in n for n in summary["notes"])


@needs_sdv
def test_h_augmenting_an_augmented_frame_trains_on_real_rows_only(copula_fits):
    seen = copula_fits
    first = augment(frame(240), label="label", config=fast(target="all", n_synthetic="60"))
    aug = first.frame
    # SDV clips synthetic values to the training range, so a synthetic row may repeat the real min or max
    real_x1 = set(np.round(frame(240).get_column("x1").to_numpy(), 9))
    synthetic_x1 = set(np.round(first.synthetic.get_column("x1").to_numpy(), 9)) - real_x1
    assert len(synthetic_x1) >= 55
    for target in ("all", "hard"):
        seen.clear()
        r = augment(aug, label="label", config=fast(target=target, hard_fraction=0.3, n_synthetic="10%"))
        assert not set(np.round(seen[0]["x1"].to_numpy(), 9)) & synthetic_x1, target
        assert "dvclean_synthetic" not in seen[0].columns
        assert r.report["target"]["synthetic_rows_excluded"] == 60
        assert r.synthetic.height == 24  # 10% of the 240 real rows, not of 300
        assert r.frame.height == 300 + 24
        assert r.frame.get_column("dvclean_synthetic").to_list() == [False] * 240 + [True] * 84
        assert any("never train the generator" in n for n in r.report["notes"])


def test_h_evaluation_leaves_the_synthetic_rows_out_of_every_split():
    df = frame(200).with_columns(pl.Series("dvclean_synthetic", [i >= 150 for i in range(200)]))
    plan = plan_evaluation(make_table(df, label="label"), fast(evaluate=True))
    assert plan.rows.tolist() == list(range(150))
    assert sum(sum(c.values()) for c in plan.class_counts.values()) == 150
    assert any("left out of every split" in n for n in plan.notes)


# ---------------------------------------------------------------- C: options that would do nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--holdout", "HOLD"], "--holdout is only used by --evaluate"),
        (["--repeats", "3"], "--repeats is only used by --evaluate"),
        (["--repeats", "5"], "--repeats is only used by --evaluate"),  # typed, even at its default
        (["-g", "gaussian-copula", "--epochs", "5"], "--epochs applies to the neural generators"),
        (["-g", "gaussian-copula", "--batch-size", "50"], "--batch-size applies to the neural generators"),
        (["-t", "mislabeled-removed", "--include-mislabeled"], "--include-mislabeled contradicts --target mislabeled-removed"),
    ],
)
def test_c_options_that_do_nothing_are_refused(tmp_path, args, message):
    src = tmp_path / "d.csv"
    frame(60).write_csv(src)
    hold = tmp_path / "h.csv"
    frame(30, seed=1).write_csv(hold)
    args = [str(hold) if a == "HOLD" else a for a in args]
    res = cli(str(src), "-y", "label", "-q", *args)
    assert res.exit_code == 2, res.output
    assert message in res.stderr.replace("\n", " ") and "Traceback" not in res.output
    assert not (tmp_path / "d.augmented.csv").exists()


@needs_sdv
def test_c_library_refuses_holdout_without_evaluate_and_epochs_of_gaussian_copula():
    df = frame(120)
    with pytest.raises(ConfigError, match=r"--holdout \(holdout=\) is only used by --evaluate"):
        augment(df, label="label", holdout=frame(30, seed=2), config=fast())
    with pytest.raises(ConfigError, match="contradicts"):
        AugmentConfig(target="mislabeled-removed", include_mislabeled=True)
    # refused as on the command line (QA finding 12; tests/test_augment_qa.py)
    with pytest.raises(ConfigError, match="--epochs applies to the neural generators"):
        fast(target="all", epochs=7, batch_size=20)


# ---------------------------------------------------------------- D + I: the verdict


def arms(t: tuple[float, float], nt: tuple[float, float]) -> dict:
    return {
        "targeted": {"delta_auc": {"mean": t[0], "ci95": t[1]}},
        "non_targeted": {"delta_auc": {"mean": nt[0], "ci95": nt[1]}},
    }


def test_d_verdict_states_both_arms():
    v = verdict(arms((0.001, 0.004), (0.0407, 0.024)), "auc", 5, nt_vs_t={"mean": 0.0397, "ci95": 0.02})
    assert "non-targeted augmentation improved holdout AUC by +0.0407 ± 0.0240" in v
    assert "targeted augmentation made no measurable difference" in v
    assert "non-targeted beat targeted" in v and "--target all" in v and "keep your data as is" not in v
    v = verdict(arms((-0.02, 0.005), (0.0, 0.01)), "auc", 5, nt_vs_t={"mean": 0.02, "ci95": 0.03})
    assert "targeted augmentation hurt holdout AUC" in v and "no evidence that augmentation helped, and targeted augmentation hurt" in v
    assert "non-targeted beat" not in v
    v = verdict(arms((0.01, 0.004), (0.0, 0.01)), "auc", 3, nt_vs_t={"mean": -0.01, "ci95": 0.01})
    assert v.startswith("targeted augmentation improved holdout AUC by +0.0100 ± 0.0040")
    assert "no evidence" not in v
    v = verdict(arms((0.0, 0.01), (0.001, 0.01)), "auc", 3)
    assert "no evidence that augmentation helped: keep your data as is" in v
    assert [outcome({"mean": m, "ci95": c}) for m, c in ((1, 0.5), (-1, 0.5), (0.1, 0.5), (0.1, None))] == [
        "helped", "hurt", "no difference", "no difference"]


def test_i_verdict_uses_fixed_decimals():
    v = verdict(arms((4.440892098500626e-17, 0.0), (-1e-9, 0.0)), "auc", 5)
    assert "e-" not in v and "+0.0000 ± 0.0000" in v and "-0.0000" not in v


# ---------------------------------------------------------------- E: classes missing from the holdout


def test_e_macro_f1_ignores_classes_absent_from_the_holdout():
    y = np.array([0, 0, 1, 1])
    proba = np.eye(3)[y] * 0.85 + 0.05
    assert _metrics(y, proba, 3)["macro_f1"] == pytest.approx(1.0)


def test_e_split_keeps_two_train_rows_of_every_class_and_a_holdout_row_of_every_class_of_three():
    # a class of 2 rows stays in the training split (valued rows need another row of their class,
    # QA finding 3); 3 rows: one goes to the holdout; 4 rows: one to the valuation split too
    y = np.array([0] * 100 + [1] * 100 + [2] * 2 + [3] * 3 + [4] * 4)
    for seed in range(5):
        tr, va, ho = split_indices(y, (0.8, 0.1, 0.1), seed, False)
        assert set(y[ho]) == {0, 1, 3, 4} and all((y[tr] == c).sum() >= 2 for c in range(5))
        assert 4 in set(y[va]) and len(set(tr) | set(va) | set(ho)) == y.size
    y2 = np.array([0] * 200 + [1] * 200)
    tr, va, ho = split_indices(y2, (0.8, 0.1, 0.1), 0, False)
    assert (tr.size, va.size, ho.size) == (320, 40, 40)


def test_e_split_errors_name_the_class_and_come_before_valuing(tmp_path, monkeypatch):
    import dvclean.augment.core as core

    two = frame(120).with_columns(
        pl.when(pl.int_range(pl.len()).is_in([5, 9])).then(pl.lit("maybe")).otherwise(pl.col("label")).alias("label")
    ).filter(pl.col("label") != "no")  # binary: 'yes' and two 'maybe' rows: too few for a binary evaluation
    with pytest.raises(AugmentError, match="class 'maybe' of 'label' has 2 labelled real rows"):
        plan_evaluation(make_table(two, label="label"), fast(evaluate=True))
    df = frame(120).with_columns(
        pl.when(pl.int_range(pl.len()).is_in([5, 9, 13, 17])).then(pl.lit("maybe")).otherwise(pl.col("label"))
        .alias("label")
    ).filter(pl.col("label") != "no")  # binary: 'yes' and four 'maybe' rows
    plan = plan_evaluation(make_table(df, label="label"), fast(evaluate=True))
    assert plan.class_counts["holdout"]["maybe"] == 1 and plan.class_counts["train"]["maybe"] == 2
    hold = df.filter(pl.col("label") == "yes").head(20)
    with pytest.raises(Exception, match="holds only 'yes'"):
        plan_evaluation(make_table(df, label="label"), fast(evaluate=True), holdout=hold)
    tiny = pl.DataFrame({"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "label": ["a", "a", "b", "b", "c", "c"]})
    with pytest.raises(AugmentError, match="cannot split 6 labelled rows"):  # each class keeps its 2 train rows
        plan_evaluation(make_table(tiny, label="label"), fast(evaluate=True))
    if not HAS_SDV:
        return

    def boom(*a, **k):
        raise AssertionError("valued before the split was checked")

    monkeypatch.setattr(core, "compute_scores", boom)
    src, hsrc = tmp_path / "d.csv", tmp_path / "h.csv"
    df.write_csv(src)
    hold.write_csv(hsrc)
    res = cli(str(src), "-y", "label", "-g", "gaussian-copula", "--evaluate", "--holdout", str(hsrc), "-q")
    assert res.exit_code == 2, res.output
    assert "holds only 'yes'" in res.stderr and "Traceback" not in res.output


def test_e_plan_records_class_counts_and_notes_an_absent_class():
    df = frame(300, classes=("a", "b", "c", "rare"))
    plan = plan_evaluation(make_table(df.head(240), label="label"), fast(evaluate=True))
    assert set(plan.class_counts) == {"train", "valuation", "holdout"}
    assert all(n >= 1 for n in plan.class_counts["holdout"].values()) and not plan.notes
    hold = df.tail(60).filter(pl.col("label") != "rare")
    plan = plan_evaluation(make_table(df.head(240), label="label"), fast(evaluate=True), holdout=hold)
    counts = plan.class_counts
    assert counts["holdout"]["rare"] == 0 and sum(counts["holdout"].values()) == hold.height
    assert sum(counts["train"].values()) + sum(counts["valuation"].values()) == 240
    assert any("'rare'" in n and "absent from the holdout" in n for n in plan.notes)


@needs_sdv
def test_e_f_evaluation_json_has_class_counts_notes_and_overlap_warning(tmp_path):
    df = frame(300, classes=("a", "b", "c"))
    data, hold = df.head(240), df.tail(60)
    hold = pl.concat([hold, data.head(7)])  # 7 holdout rows that are also training rows
    data.write_csv(tmp_path / "d.csv")
    hold.write_csv(tmp_path / "h.csv")
    res = cli(str(tmp_path / "d.csv"), "-y", "label", "-g", "gaussian-copula", "--evaluate", "--repeats", "2",
              "--holdout", str(tmp_path / "h.csv"), "--hard-frac", "0.2", "-o", str(tmp_path / "o.csv"))
    assert res.exit_code == 0, res.output
    assert "note: " in res.stdout and "7 of its 67" in res.stdout.replace("\n", " ")  # a note line of the summary
    ev = json.loads((tmp_path / "o.augment-report.json").read_text())["evaluation"]
    assert ev["split"]["class_counts"]["holdout"] == {
        c: int(n) for c, n in zip(*np.unique(hold.get_column("label").to_numpy(), return_counts=True), strict=True)}
    assert sum(ev["split"]["class_counts"]["train"].values()) == ev["split"]["train"]
    assert any("7 of its 67" in n for n in ev["notes"])
    assert ev["comparison"]["targeted"] in ("helped", "hurt", "no difference")


def test_f_plan_counts_no_overlap_for_a_disjoint_holdout():
    df = frame(300)
    plan = plan_evaluation(make_table(df.head(240), label="label"), fast(evaluate=True), holdout=df.tail(60))
    assert not any("also appear" in n for n in plan.notes)
    plan = plan_evaluation(make_table(df.head(240), label="label"), fast(evaluate=True), holdout=df.tail(70))
    assert any("10 of its 70 labelled rows also appear" in n for n in plan.notes)


# ---------------------------------------------------------------- B: --scores of another file


@needs_sdv
def test_b_csv_scores_of_another_file_are_refused(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    frame(200, seed=0).write_csv(a)
    frame(200, seed=5).write_csv(b)  # same rows count and columns, other labels
    scores = tmp_path / "a.sc.csv"
    assert runner.invoke(app, ["score", str(a), "-y", "label", "-q", "-o", str(scores)]).exit_code == 0
    res = cli(str(b), "-y", "label", "-g", "gaussian-copula", "--scores", str(scores), "-q")
    assert res.exit_code == 2, res.output
    err = res.stderr.replace("\n", " ")
    assert "is from another file" in err and re.search(r"at row \d+ its label", err) and "Traceback" not in res.output
    assert not (tmp_path / "b.augmented.csv").exists()
    ok = cli(str(a), "-y", "label", "-g", "gaussian-copula", "--scores", str(scores), "-q")
    assert ok.exit_code == 0, ok.output
    nd = tmp_path / "a.sc.ndjson"
    assert runner.invoke(app, ["score", str(a), "-y", "label", "-q", "-o", str(nd)]).exit_code == 0
    res = cli(str(b), "-y", "label", "-g", "gaussian-copula", "--scores", str(nd), "-q")
    assert res.exit_code == 2 and "another file" in res.stderr


# ---------------------------------------------------------------- A: one date/time format per column


def test_a_format_value_writes_one_iso_datetime_form():
    assert format_value(dt.datetime(2020, 1, 1)) == "2020-01-01T00:00:00.000000"
    assert format_value(dt.datetime(2020, 1, 1, 1, 2, 3, 400)) == "2020-01-01T01:02:03.000400"


def test_a_temporal_style_is_read_from_the_text(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("a,b,c,d\n2021-03-04 05:06:07,04/03/2021,2021-03-04T05:06:07.120Z,2021-03-04T05:06\n"
                   "2021-03-05 15:16:17,05/03/2021,2021-03-05T05:06:07.000Z,2021-03-05T15:16\n")
    f, info = read_frame(src)
    text = read_csv_text(src, info, rows=f.height)
    cols = text.columns([0, 1, 2, 3])
    when = dt.datetime(2022, 12, 31, 23, 58, 59, 987654)
    aware = when.replace(tzinfo=dt.UTC)
    got = [temporal_style(f.get_column(c), cols[k]) for k, c in enumerate("abcd")]
    assert got[0].format(when) == "2022-12-31 23:58:59"
    assert got[1].format(when.date()) == "31/12/2022"
    assert got[2].format(aware) == "2022-12-31T23:58:59.987Z"
    assert got[3].format(when) == "2022-12-31T23:58" and got[3].resolution == "1m"


@needs_sdv
def test_a_augmented_csv_writes_each_datetime_column_one_way(tmp_path):
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(3)
    n = 160
    base = dt.datetime(2020, 1, 1)
    lines = ["signup,seen,birthday,x,label"]
    for _ in range(n):
        y = int(rng.integers(0, 2))
        ts = base + dt.timedelta(hours=int(rng.integers(0, 24 * 365)))
        seen = base + dt.timedelta(seconds=int(rng.integers(0, 10**7)))
        day = (base + dt.timedelta(days=int(rng.integers(0, 365)))).date()
        lines.append(f"{ts:%Y-%m-%dT%H:%M:%S}.000000,{seen:%Y-%m-%d %H:%M:%S},{day:%d/%m/%Y},{rng.normal(2 * y, 1):.3f},{y}")
    src = tmp_path / "mix.csv"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "mix.aug.csv"
    res = cli(str(src), "-y", "label", "-g", "gaussian-copula", "-t", "all", "-n", "80", "-o", str(out), "-q")
    assert res.exit_code == 0, res.output
    rows = [line.split(",") for line in out.read_text().splitlines()[1:]]
    assert len(rows) == n + 80
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}", r[0]) for r in rows)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", r[1]) for r in rows)
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", r[2]) for r in rows)
    back = pd.read_csv(out)
    pd.to_datetime(back["signup"])
    pd.to_datetime(back["seen"])
    pd.to_datetime(back["birthday"], format="%d/%m/%Y")
    typed = pl.read_csv(out, try_parse_dates=True)
    assert typed.schema["seen"] == pl.Datetime("us") and typed.schema["birthday"] == pl.Date
