"""QA round 64 on ``augment``: the evaluation's own hard set named next to the verdict, columns a generator collapsed
to one value, a verdict floored at the change one holdout row makes, and wording (label-agreement advice, "1 epoch",
flagged synthetic rows, the integer-id overflow advice)."""

from __future__ import annotations

import io

import numpy as np
import polars as pl
import pytest

from dvclean.augment import AugmentConfig, augment

from .conftest import needs_sdv

sdv = [pytest.mark.usefixtures("sdv_home"), needs_sdv]


def fast(**kw) -> AugmentConfig:
    return AugmentConfig(**{"generator": "gaussian-copula", "quality": False, "n_synthetic": 40, **kw})


def data(n: int = 300, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = np.where(a + 0.3 * rng.normal(size=n) > 0.5, "yes", "no")
    return pl.DataFrame({"a": a, "b": b, "y": y})


def render(report: dict) -> str:
    from rich.console import Console

    from dvclean.cli.augment_cmd import render_augment

    out = io.StringIO()
    render_augment(Console(file=out, width=400, color_system=None), report)
    return " ".join(out.getvalue().split())


def summary_report(**over) -> dict:
    """The fields of an augment report that the terminal summary reads."""
    report = {
        "input": {"path": "d.csv"},
        "target": {"spec": "hard", "rows": 184, "class_mix": {"<=50K": 3, ">50K": 181}, "mislabeled_rows_used": 0,
                   "mislabeled_rows_excluded": 10, "synthetic_rows_excluded": 0},
        "scores": {"mislabeled": 10, "notes": []},
        "config": {"include_mislabeled": False},
        "generator": {"name": "tvae", "epochs": 1, "batch_size": 180, "withheld": []},
        "output_rows": {"synthetic": 200, "total": 2200},
        "quality": None, "evaluation": None, "notes": [], "timings": {"fit": 1.0},
        "output": "o.csv", "report": "o.augment-report.json",
    }
    report.update(over)
    return report


def stub_evaluation(target_mix: dict) -> dict:
    stat = {"mean": 0.9, "ci95": 0.01}
    delta = {"mean": 0.0, "ci95": 0.01}
    return {
        "primary_metric": "auc", "splits": 1, "repeats": 5, "split": {"holdout": 200},
        "arms": {"baseline": {"rows": 1600, "auc": stat},
                 "non_targeted": {"rows": 1760, "auc": stat, "delta_auc": delta},
                 "targeted": {"rows": 1760, "auc": stat, "delta_auc": delta}},
        "verdict": "targeted augmentation made no measurable difference; keep your data as is",
        "target_rows": sum(target_mix.values()), "target_class_mix": target_mix, "notes": [],
    }


# ---------------------------------------------------------------- 1: the evaluation's own hard set


def test_the_verdict_line_names_the_hard_set_the_evaluation_tested():
    text = render(summary_report(evaluation=stub_evaluation({"<=50K": 37, ">50K": 109})))
    verdict = text[text.index("targeted augmentation made"):]
    # was "(primary metric: auc)" only: the output's mix {<=50K: 3, >50K: 181} was the only one shown
    assert ("the targeted arm learned from the evaluation's own hard rows, 146 of its training split "
            "(<=50K: 37, >50K: 109), not the output's 184 (<=50K: 3, >50K: 181)") in verdict, verdict
    same = render(summary_report(evaluation=stub_evaluation({"<=50K": 3, ">50K": 181})))
    assert "evaluation's own" not in same


def test_target_mix_note_needs_a_large_difference_that_chance_does_not_explain():
    from dvclean.augment.core import target_mix_note

    note = target_mix_note({"<=50K": 3, ">50K": 181}, {"<=50K": 37, ">50K": 109}, spec="hard")
    assert note is not None and "another hard set than the output's" in note and "(<=50K: 37, >50K: 109)" in note
    assert "98.4% of the output's, 74.7% of the evaluation's" in note
    # 5 points on 20 rows is chance; 3 points on 20,000 rows is significant but below the 5-point effect size
    assert target_mix_note({"a": 10, "b": 10}, {"a": 11, "b": 9}, spec="hard") is None
    assert target_mix_note({"a": 10000, "b": 10000}, {"a": 10600, "b": 9400}, spec="hard") is None
    split_note = target_mix_note({"a": 50, "b": 2}, {"a": 20, "b": 30}, spec="hard,class:a", splits=3)
    assert "the first split's training split" in split_note and "(--target hard,class:a)" in split_note


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_augment_notes_when_the_evaluated_hard_set_has_another_class_mix(monkeypatch):
    import dvclean.augment.evaluate as ev

    def stub(*args, **kwargs):  # (the three-arm fits are not what this checks)
        return {"target_class_mix": {"no": 500, "yes": 1}, "splits": 1, "notes": []}

    monkeypatch.setattr(ev, "evaluate_holdout", stub)
    result = augment(data(), label="y", config=fast(evaluate=True))
    notes = [n for n in result.report["notes"] if "the evaluation tested another hard set" in n]
    assert len(notes) == 1, result.report["notes"]
    assert "(no: 500, yes: 1)" in notes[0]


# ---------------------------------------------------------------- 2: columns the generator collapsed


def test_collapsed_columns_are_named_for_any_generator():
    from dvclean.augment.core import collapsed_columns_note

    rng = np.random.default_rng(0)
    train = pl.DataFrame({"texture error": rng.normal(1, 0.3, 56), "spike": [0.0] * 52 + [1.0, 2.0, 3.0, 4.0],
                          "target": ["0", "1"] * 28})
    synthetic = pl.DataFrame({"texture error": [0.3621] * 57, "spike": [0.0] * 57, "target": ["0", "1"] * 28 + ["0"]})
    note = collapsed_columns_note(train, synthetic, train.columns, "copulagan", 100)
    assert note is not None
    assert ("column 'texture error' holds one value in all 57 synthetic rows (0.3621) but 56 distinct values in the 56 "
            "rows the generator learned from") in note
    assert "the copulagan generator collapsed it" in note and "--epochs; this run: 100 epochs" in note
    # 0 in 93% of the training rows: all of 57 synthetic rows 0 happens by chance 1.5% of the time (not named)
    assert "'spike'" not in note and "'target'" not in note
    assert collapsed_columns_note(train, synthetic.head(1), train.columns, "copulagan", 100) is None  # one row
    other = collapsed_columns_note(train, synthetic.with_columns(pl.lit("x").alias("target")), train.columns,
                                   "gaussian-copula")
    assert other is not None and "--epochs" not in other and "try another --generator" in other
    assert "columns 'texture error' (0.3621 in the synthetic rows, 56 distinct values in the training rows), " \
           "'target' ('x' in the synthetic rows" in other
    assert collapsed_columns_note(train, train.head(50), train.columns, "tvae", 5) is None


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_augment_notes_a_column_the_generator_gave_one_value(monkeypatch):
    import dvclean.augment.core as core

    real = core.fit_and_sample

    def collapsing(*args, **kwargs):
        gen, samples, timings = real(*args, **kwargs)
        return gen, [s.with_columns(pl.lit(0.25).alias("b")) for s in samples], timings

    monkeypatch.setattr(core, "fit_and_sample", collapsing)
    result = augment(data(), label="y", config=fast())
    notes = [n for n in result.report["notes"] if "collapsed" in n]
    assert len(notes) == 1 and "column 'b' holds one value in all 40 synthetic rows (0.25)" in notes[0], notes
    assert "'a'" not in notes[0] and "the gaussian-copula generator collapsed it" in notes[0]


# ---------------------------------------------------------------- 3: the verdict's resolution


def test_metric_resolution_is_the_change_one_holdout_row_makes():
    from sklearn.metrics import f1_score

    from dvclean.augment.evaluate import metric_resolution

    y = np.array([0] * 6 + [1] * 7 + [2] * 5)
    steps = []
    for i in range(y.size):  # every single misclassification of a holdout otherwise right
        for wrong in {0, 1, 2} - {int(y[i])}:
            pred = y.copy()
            pred[i] = wrong
            steps.append(1 - f1_score(y, pred, average="macro"))
    assert metric_resolution("macro_f1", [6, 7, 5]) == pytest.approx(min(steps))  # 0.0513
    assert metric_resolution("auc", [3, 4]) == pytest.approx(1 / 12)
    assert metric_resolution("gini", [3, 4]) == pytest.approx(2 / 12)
    assert metric_resolution("log_loss", [6, 7, 5]) is None


def test_three_agreeing_splits_within_one_holdout_row_are_no_measurable_difference():
    from dvclean.augment.evaluate import metric_resolution, outcome, resolution_note, verdict

    res = metric_resolution("macro_f1", [6, 7, 5])
    # the finding: three split means -0.0205, -0.0214, -0.0224 gave -0.0215 ± 0.0028, "hurt"
    small = {"mean": -0.0215, "ci95": 0.0028, "resolution": res}
    large = {"mean": -0.2, "ci95": 0.03, "resolution": res}
    none = {"mean": -0.0251, "ci95": 0.0763, "resolution": res}
    arms = {"targeted": {"delta_macro_f1": none}, "non_targeted": {"delta_macro_f1": small}}
    text = verdict(arms, "macro_f1", 5, nt_vs_t={"mean": 0.004, "ci95": 0.07, "resolution": res}, splits=3)
    assert "hurt" not in text and "improved" not in text and text.endswith("no evidence that augmentation helped: keep your data as is"), text
    assert "non-targeted augmentation made no measurable difference to holdout macro-F1 (-0.0215 ± 0.0028, within " \
           "0.0513, the change one holdout row makes)" in text
    note = resolution_note(arms, {"mean": 0.004, "ci95": 0.07}, "macro_f1", [6, 7, 5], [0, 1, 2], 3)
    assert note is not None and "non-targeted -0.0215 ± 0.0028" in note and "no measurable difference" in note
    # a real, large effect is still found
    assert outcome(large) == "hurt"
    hurt = verdict({"targeted": {"delta_macro_f1": large}, "non_targeted": {"delta_macro_f1": none}}, "macro_f1", 5,
                   splits=3)
    assert "targeted augmentation hurt holdout macro-F1: -0.2000 ± 0.0300" in hurt
    assert outcome({**large, "mean": 0.2}) == "helped"


@pytest.mark.usefixtures("sdv_home")
@needs_sdv
def test_split_evaluation_floors_the_verdict_at_one_holdout_row():
    from sklearn.datasets import load_wine

    from dvclean.augment.evaluate import metric_resolution, outcome

    wine = load_wine(as_frame=True).frame
    frame = pl.from_pandas(wine).with_columns(pl.col("target").cast(pl.String))
    result = augment(frame, label="target", config=fast(n_synthetic="10%", evaluate=True, splits=3, repeats=2))
    ev = result.report["evaluation"]
    res = min(metric_resolution("macro_f1", list(c.values())) for c in [ev["split"]["class_counts"]["holdout"]])
    for arm in ("targeted", "non_targeted"):
        stat = ev["arms"][arm]["delta_macro_f1"]
        assert stat["resolution"] == pytest.approx(res, rel=0.2), stat  # (the splits' holdouts differ by a row)
        if outcome(stat) != "no difference":
            assert abs(stat["mean"]) > stat["resolution"]
        assert ev["comparison"][arm] == outcome(stat)
    assert ev["arms"]["targeted"]["delta_log_loss"].get("resolution") is None


# ---------------------------------------------------------------- 4: wording


def _shuffled_labels(n_classes: int) -> tuple:
    from dvclean.table import make_table

    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(n_classes), 60)
    x = y[:, None] * 6.0 + rng.normal(size=(y.size, 2))
    labels = np.array([f"c{v}" for v in y])
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": labels})
    table = make_table(frame, label="y")
    mask = np.zeros(y.size, dtype=bool)
    mask[::2] = True
    syn = frame.filter(pl.Series(mask)).with_columns(pl.Series("y", rng.permutation(labels[mask])))
    return table, mask, syn


def test_label_agreement_advice_depends_on_the_generator_and_the_classes():
    from dvclean.augment.core import label_agreement

    table, mask, syn = _shuffled_labels(2)
    note = label_agreement(table, mask, syn, generator="copulagan")["note"]
    # was "try another --generator (tvae keeps them apart better than gaussian-copula on many classes)"
    assert "tvae keeps them apart" not in note and "many classes" not in note
    assert "train copulagan longer (--epochs) or try another --generator (tvae, ctgan or gaussian-copula)" in note
    copula = label_agreement(table, mask, syn, generator="gaussian-copula")["note"]
    assert "try another --generator (tvae, ctgan or copulagan)" in copula and "many classes" not in copula
    table, mask, syn = _shuffled_labels(4)
    many = label_agreement(table, mask, syn, generator="gaussian-copula")["note"]
    assert "try --generator tvae, which keeps many classes apart better than gaussian-copula" in many


def test_one_epoch_is_singular():
    from dvclean.augment.core import early_stopping_note

    assert "generator tvae, 1 epoch, batch 180:" in render(summary_report())  # was "1 epochs"
    assert early_stopping_note(1, 30, 30, from_user=True).endswith("the 1 epoch was set with --epochs")
    assert "generator tvae, 2 epochs, batch 180:" in render(summary_report(
        generator={"name": "tvae", "epochs": 2, "batch_size": 180, "withheld": []}))


def test_flagged_synthetic_rows_of_a_reaugmented_file_are_explained():
    from dvclean.cli.augment_cmd import _mislabeled_use

    report = {"scores": {"mislabeled": 172}, "config": {"include_mislabeled": False},
              "target": {"spec": "hard", "mislabeled_rows_used": 0, "mislabeled_rows_excluded": 156,
                         "synthetic_rows_excluded": 200}}
    # was "172 flagged mislabeled, 156 of them in the target (kept out of training)"
    assert _mislabeled_use(report) == ("172 flagged mislabeled (156 real, 16 synthetic rows of the input), none used "
                                       "for training")
    report["target"]["spec"] = "hard,class:>50K"
    report["target"]["mislabeled_rows_excluded"] = 40
    assert _mislabeled_use(report) == ("172 flagged mislabeled, 40 of them in real rows of the targeted class (kept out "
                                       "of training)")


def test_integer_id_overflow_advice_works_from_the_command_line():
    from dvclean.augment.core import _synthetic_ids
    from dvclean.errors import AugmentError

    with pytest.raises(AugmentError) as e:
        _synthetic_ids(pl.Series("id", [1, 126], dtype=pl.Int8), 5)
    msg = str(e.value)
    assert "cast the id column" not in msg  # (a CSV user cannot cast a column)
    assert "renumber the ids" in msg and "write them as text" in msg and "--withhold id --drop id" in msg


def test_the_verdict_never_says_keep_your_data_next_to_a_gain():
    from dvclean.augment.evaluate import verdict

    def arms(t, nt):
        return {"targeted": {"delta_auc": {"mean": t[0], "ci95": t[1]}},
                "non_targeted": {"delta_auc": {"mean": nt[0], "ci95": nt[1]}}}

    # targeted helped; non-targeted beat it (paired) without clearing the baseline on its own interval
    v = verdict(arms((0.010, 0.004), (0.025, 0.030)), "auc", 5, nt_vs_t={"mean": 0.015, "ci95": 0.010})
    assert "targeted augmentation improved holdout AUC" in v and "non-targeted beat targeted" in v
    assert "prefer --target all" in v and "keep your data as is" not in v
    # targeted hurt, non-targeted beat it but made no difference: the advice names the arm that hurt
    v = verdict(arms((-0.02, 0.005), (0.0, 0.01)), "auc", 5, nt_vs_t={"mean": 0.02, "ci95": 0.01})
    assert v.endswith("no evidence that augmentation helped, and targeted augmentation hurt: keep your data as is")
