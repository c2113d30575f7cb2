"""Findings of QA round 54 (session 34: a notebook user of the library and the report, a pipeline engineer, a
review of the fixes). Each test of a fix fails on the code before it; the refusals that already held (NaN, inf,
True) and numpy's float64 (a float subclass) are guards beside them."""

from __future__ import annotations

import decimal
import fractions

import numpy as np
import polars as pl
import pytest


@pytest.fixture(scope="module")
def small():
    """A scored two-class table and its check outcome."""
    import dvclean
    from dvclean.check import CheckPolicy, evaluate_check
    from dvclean.config import MislabelConfig, ScoreConfig

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3))
    y = np.where(x[:, 0] + 0.3 * rng.normal(size=120) > 0, "yes", "no")
    y[:6] = np.where(y[:6] == "yes", "no", "yes")
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y})
    result = dvclean.score(frame, label="y", config=ScoreConfig(mislabel=MislabelConfig(rule="knn")))
    return frame, result, evaluate_check(result, CheckPolicy(max_mislabeled="2%"))


@pytest.mark.parametrize("fn", ["to_text", "to_markdown", "step_summary", "to_junit_xml"])
def test_the_check_formats_refuse_a_score_result_with_a_hint(small, fn):
    from dvclean.report import formats

    _, result, outcome = small
    with pytest.raises(TypeError, match=rf"{fn}\(\) takes the CheckOutcome.*evaluate_check\(result"):
        getattr(formats, fn)(result)  # (was: AttributeError 'ScoreResult' object has no attribute 'checks')
    assert getattr(formats, fn)(outcome)


def test_github_annotations_refuse_a_score_result_and_a_negative_limit(small):
    from dvclean.report import formats

    _, result, outcome = small
    with pytest.raises(TypeError, match="CheckOutcome"):
        formats.github_annotations(result, file="d.csv")
    with pytest.raises(ValueError, match="max_annotations"):
        formats.github_annotations(outcome, file="d.csv", max_annotations=-1)


def test_markdown_rows_must_be_a_count(small):
    from dvclean.report import formats

    _, _, outcome = small
    with pytest.raises(ValueError, match="max_rows"):
        formats.to_markdown(outcome, max_rows=-1)  # (was: "49 lowest-valued rows", the slice [:-1])
    with pytest.raises(TypeError, match="max_rows"):
        formats.to_markdown(outcome, max_rows="5")  # (was: TypeError from a slice deep inside)
    assert "1 lowest-valued rows" in formats.to_markdown(outcome, max_rows=1)


def test_step_summary_never_exceeds_max_bytes(small):
    from dvclean.report import formats

    _, _, outcome = small
    full = len(formats.step_summary(outcome).encode())
    least = formats.STEP_SUMMARY_MIN_BYTES
    for limit in (least, least + 1, least + 40, full - 1):
        text = formats.step_summary(outcome, max_bytes=limit)
        assert len(text.encode()) <= limit, limit  # (was: 1,107 bytes for max_bytes=10, a negative slice)
        assert text.endswith("_(summary truncated; see the JSON output or the HTML report)_\n")
    with pytest.raises(ValueError, match=f"must be {least} or more"):
        formats.step_summary(outcome, max_bytes=10)


@pytest.mark.parametrize("fn", ["render_html", "write_report"])
def test_the_html_writers_refuse_a_score_result_with_a_hint(small, fn, tmp_path):
    from dvclean import report

    _, result, _ = small
    args = (result, tmp_path / "r.html") if fn == "write_report" else (result,)
    with pytest.raises(TypeError, match=r"ReportData.*build_report\(result\)"):
        getattr(report, fn)(*args)  # (was: AttributeError 'ScoreResult' object has no attribute 'augmentation')
    assert not (tmp_path / "r.html").exists()


def test_build_report_from_files_reads_one_drop_name_as_one_column(small, tmp_path):
    import dvclean
    from dvclean.report import build_report_from_files

    frame, _, _ = small
    frame.rename({"c": "cc"}).write_csv(tmp_path / "d.csv")
    dvclean.write_scores(dvclean.score(tmp_path / "d.csv", label="y", drop=["cc"]), tmp_path / "s.parquet")
    # (was: DataValidationError "--drop names unknown columns 'c', 'c'": the name's letters)
    one = build_report_from_files(tmp_path / "s.parquet", data=tmp_path / "d.csv", drop="cc")
    listed = build_report_from_files(tmp_path / "s.parquet", data=tmp_path / "d.csv", drop=["cc"])
    assert one.projection is not None and np.array_equal(one.projection, listed.projection)


@pytest.mark.parametrize("value", [np.float32(0.25), np.float64(0.25), fractions.Fraction(1, 4), decimal.Decimal("0.25")])
def test_config_fractions_take_any_real_number_and_keep_a_python_float(value):
    from dvclean.config import FlagPolicy, KNNConfig, MislabelConfig
    from dvclean.fix import FixConfig

    for cfg, name in ((FlagPolicy(hard_fraction=value), "hard_fraction"),
                      (MislabelConfig(expected_noise=value), "expected_noise"),
                      (KNNConfig(eps=value), "eps"), (FixConfig(min_confidence=value), "min_confidence")):
        got = getattr(cfg, name)  # (was: ConfigError "must be a float in [0, 1]; got np.float32(0.25)")
        assert type(got) is float and got == pytest.approx(0.25), name


@pytest.mark.parametrize("value", [decimal.Decimal("NaN"), decimal.Decimal("1e400"), np.float32("inf"), True])
def test_config_fractions_still_refuse_what_is_not_a_finite_number(value):
    from dvclean.config import FlagPolicy
    from dvclean.errors import ConfigError

    with pytest.raises(ConfigError, match="hard_fraction"):
        FlagPolicy(hard_fraction=value)


def test_the_value_chart_draws_no_harm_line_for_a_rows_own_score():
    from dvclean.report._render import _marginal
    from dvclean.valuation import REGISTRY

    assert not _marginal("oob") and not _marginal("confidence")  # (their values lie in [0, 1]: 0 marks nothing)
    assert all(_marginal(m) for m in REGISTRY if m not in ("oob", "confidence"))
    assert _marginal("a_method_from_an_older_file")


def test_chart_names_cut_in_the_middle_stay_apart():
    from dvclean.report._render import _short

    names = [f"class_{'x' * 80}_{i}" for i in range(40)]
    short = [_short(n) for n in names]
    assert len(set(short)) == 40 and all(len(s) == 24 for s in short)  # (was: 40 times 'class_xxxxxxxxxxxxxxxxx…')
    assert _short("short") == "short"


# -- a pipeline engineer's findings ----------------------------------------------------------------------------------


def test_fix_counts_no_class_for_blank_labels(small, tmp_path):
    from dvclean.fix import FixConfig, fix

    frame, _, _ = small
    y = frame.get_column("y").to_list()
    for i in range(10, 120, 20):
        y[i] = " "  # read as a missing label by score, check and report
    fixed = fix(frame.with_columns(pl.Series("y", y)), label="y", config=FixConfig(action="drop"))
    assert set(fixed.summary["classes"]) == {"yes", "no"}  # (was: a class ' ' of 6 rows beside them)


def test_report_refuses_a_drop_that_the_scores_file_contradicts(small, tmp_path):
    from typer.testing import CliRunner

    import dvclean
    from dvclean.cli import app

    frame, _, _ = small
    frame.write_csv(tmp_path / "d.csv")
    dvclean.write_scores(dvclean.score(tmp_path / "d.csv", label="y"), tmp_path / "s.parquet")
    base = ["report", str(tmp_path / "s.parquet"), "--data", str(tmp_path / "d.csv"), "-o", str(tmp_path / "r.html")]
    r = CliRunner().invoke(app, [*base, "--drop", "c"])
    assert r.exit_code == 2 and "scored with --drop none and --drop says 'c'" in " ".join(r.output.split()), r.output
    assert not (tmp_path / "r.html").exists()  # (was: exit 0, a report of other features than the scored ones)
    assert CliRunner().invoke(app, base).exit_code == 0


def test_only_a_processes_file_descriptors_under_proc_are_called_streams():
    from dvclean.errors import OutputError
    from dvclean.io import _stream_link, resolve_output

    assert _stream_link("/proc/self/fd/1") and _stream_link("/proc/123/fd/4") and _stream_link("/proc/1/task/2/fd/0")
    assert _stream_link("/dev/fd/1") and _stream_link("/dev/stdout")
    assert not _stream_link("/proc/x.csv") and not _stream_link("/proc/self/fdinfo/1")
    with pytest.raises(OutputError) as err:
        resolve_output("/proc/self/fd/1")
    assert "standard stream or an open file descriptor" in str(err.value)


@pytest.mark.skipif(not __import__("os").path.isdir("/proc/self"), reason="no /proc on this system")
def test_an_output_path_under_proc_gets_the_real_reason(small, tmp_path):
    from typer.testing import CliRunner

    from dvclean.cli import app

    frame, _, _ = small
    frame.write_csv(tmp_path / "d.csv")
    r = CliRunner().invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--mislabel-rule", "knn",
                                 "-o", "/proc/dvclean-test.csv"])
    assert r.exit_code == 2, r.output
    assert "standard stream" not in r.output and "cannot write to /proc" in r.output, r.output


def test_library_errors_name_the_python_argument_beside_the_flag(small):
    import dvclean
    from dvclean.config import KNNConfig, ScoreConfig
    from dvclean.errors import DataValidationError, ValuationError

    frame, _, _ = small
    with pytest.raises(DataValidationError, match=r"pass --label \(label= in Python\) with one of"):
        dvclean.score(frame, label="nope")
    with pytest.raises(ValuationError, match=r"or fewer \(KNNConfig\(k=\.\.\.\) in Python\)"):
        dvclean.score(frame.head(8), label="y", config=ScoreConfig(knn=KNNConfig(k=20)))


def test_the_class_loss_note_names_the_action_that_ran():
    from dvclean.fix import _class_changes

    before = pl.Series("y", ["a"] * 10 + ["b"] * 10)
    changed = np.r_[np.ones(5, dtype=bool), np.zeros(15, dtype=bool)]
    out = _class_changes(before, before.filter(pl.Series(~changed)), changed, "drop")
    assert out["classes"]["a"] == {"before": 10, "after": 5, "lost": 5}
    assert "to --action drop:" in out["notes"][0]  # (was: "to --action relabel or drop" after a drop)


# -- the review's findings -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: __import__("dvclean.config", fromlist=["KNNConfig"]).KNNConfig(eps=fractions.Fraction(1, 10**400)),
    lambda: __import__("dvclean.config", fromlist=["MislabelConfig"]).MislabelConfig(
        expected_noise=decimal.Decimal("0.99999999999999999999")),
])
def test_a_number_is_checked_as_the_float_that_is_kept(make):
    from dvclean.errors import ConfigError

    with pytest.raises(ConfigError, match=r"got (0\.0|1\.0)\."):  # (was: accepted, then stored as 0.0 / 1.0)
        make()


def test_augment_config_takes_numpy_floats_as_the_other_configs_do():
    from dvclean.augment.config import AugmentConfig

    a = AugmentConfig(hard_fraction=np.float32(0.5), split=tuple(np.array([0.6, 0.2, 0.2])))
    assert type(a.hard_fraction) is float and all(type(v) is float for v in a.split)


def test_report_drop_is_compared_as_the_columns_are_read(small, tmp_path):
    import dvclean
    from dvclean.report import build_report_from_files

    frame, _, _ = small
    frame.write_csv(tmp_path / "d.csv")
    dvclean.write_scores(dvclean.score(tmp_path / "d.csv", label="y", drop=["c", "c"]), tmp_path / "s.parquet")
    for drop in ("c", [" c"], ["c", "c"]):  # (was: refused: 'c' twice recorded, ' c' read as 'c')
        build_report_from_files(tmp_path / "s.parquet", data=tmp_path / "d.csv", drop=drop)


def test_github_annotation_limits_must_be_counts(small):
    from dvclean.report import formats

    _, _, outcome = small
    with pytest.raises(TypeError, match=r"limits\['warning'\]"):
        formats.github_annotations(outcome, file="d.csv", limits={"warning": 2.5})
    assert formats.github_annotations(outcome, file="d.csv", limits={"warning": -3, "notice": 0, "error": 0}) == []


def test_a_blank_category_is_a_missing_label_like_blank_text():
    import dvclean

    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    y = np.where(x > 0, "yes", "no").astype(object)
    y[::25] = " "
    for dtype in (pl.String, pl.Categorical):
        r = dvclean.score(pl.DataFrame({"a": x, "y": pl.Series(list(y)).cast(dtype)}), label="y")
        assert r.frame.get_column("is_label_missing").sum() == 8, dtype  # (was: ' ' a class of 8 rows as a category)


def test_the_library_writers_refuse_an_unwritable_directory_with_an_output_error(small, tmp_path):
    import dvclean
    from dvclean.errors import OutputError

    _, result, _ = small
    if not __import__("os").path.isdir("/proc/self"):
        pytest.skip("no /proc on this system")
    with pytest.raises(OutputError, match="cannot write to /proc"):
        dvclean.write_scores(result, "/proc/dvclean-test.csv")  # (was: FileNotFoundError from mkstemp, as root)


# -- an augment user's findings --------------------------------------------------------------------------------------


def test_a_class_part_of_a_target_that_gives_no_row_gets_a_note():
    from dvclean.augment.config import AugmentConfig, parse_target
    from dvclean.augment.core import RowScores, class_mask, empty_class_notes
    from dvclean.table import make_table

    y = ["a"] * 20 + ["b"] * 6 + ["c"] * 20
    table = make_table(pl.DataFrame({"x": np.arange(46.0), "y": y}), label="y")
    flagged = np.array([v == "b" for v in y])  # every row of 'b' flagged mislabeled
    scores = RowScores(values=np.zeros(46), is_mislabeled=flagged, label_missing=np.zeros(46, dtype=bool), source="t")
    target = parse_target("class:a,class:b")
    mask = class_mask(target, table) & ~flagged  # what the generator trains on
    notes = empty_class_notes(mask, target, scores, table, AugmentConfig())
    assert len(notes) == 1 and "--target class:b gives the generator no row to train on: its 6 rows flagged" in notes[0]
    assert empty_class_notes(class_mask(target, table), target, scores, table, AugmentConfig()) == []
    assert empty_class_notes(mask & np.array([v == "a" for v in y]), parse_target("class:a"), scores, table,
                             AugmentConfig()) == []  # (one class alone is refused when it selects nothing)


def test_the_mix_note_does_not_say_the_non_targeted_mix_is_the_datas():
    from dvclean.augment.evaluate import mix_shift_note

    note = mix_shift_note({"baseline": [0.747, 0.253], "targeted": [0.9, 0.1], "non_targeted": [0.785, 0.215]},
                          ["<=50K", ">50K"], "macro_f1")
    assert "whose class shares stay within 5 points of the baseline's" in note  # (0.747 -> 0.785 is not the data's)
    assert "whose mix is the data's" not in note
