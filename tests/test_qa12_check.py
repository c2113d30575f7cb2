"""`dvclean check` and the HTML report (QA s12): corrupt baselines, class names that matplotlib reads as
mathtext, and data columns named like the report's own columns."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.check import CheckPolicy, evaluate_check, load_baseline
from dvclean.cli import app
from dvclean.errors import InputError
from dvclean.report import build_report
from dvclean.report._render import render_html

runner = CliRunner()


def _frame(labels=("a", "b"), flips=(3, 40), extra=None):
    rng = np.random.default_rng(0)
    cls = np.repeat([0, 1], 30)
    y = cls.copy()
    y[list(flips)] = 1 - y[list(flips)]
    cols = {"f1": rng.normal(size=60) + 10 * cls, "f2": rng.normal(size=60)}
    cols.update(extra or {})
    return pl.DataFrame({**cols, "y": [labels[v] for v in y]})


def _knn(k=3):
    return dvclean.ScoreConfig(knn=dvclean.KNNConfig(k=k))


# ---------------------------------------------------------------- a corrupt baseline is an input error (exit 2)

_GOOD = {"schema_version": 1, "label": "y", "flagged": {"key": "hash", "mislabeled": [], "hard": []}}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"input": "x"}, "'input'"),
        ({"flagged": {"key": "hash", "mislabeled": [], "hard": [], "hash_columns": []}}, "hash_columns"),
        ({"flagged": {"key": "id", "mislabeled": [], "hard": []}}, "id_column"),
        ({"flagged": {"key": "hash", "mislabeled": "abc", "hard": []}}, "'mislabeled'/'hard'"),
        ({"schema_version": True}, "schema_version"),
    ],
)
def test_a_corrupt_baseline_is_refused_with_a_message(tmp_path, change, said):
    path = tmp_path / "base.json"
    path.write_text(json.dumps({**_GOOD, **change}), encoding="utf-8")
    with pytest.raises(InputError, match="--baseline") as err:
        load_baseline(path)
    assert said in str(err.value)


def test_a_baseline_whose_input_is_not_an_object_exits_2_not_3(tmp_path):
    data = tmp_path / "d.csv"
    _frame().write_csv(data)
    base = tmp_path / "base.json"
    base.write_text(json.dumps({**_GOOD, "input": "x"}), encoding="utf-8")
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--k", "3", "--baseline", str(base),
                              "--max-new-mislabeled", "0"])
    assert res.exit_code == 2, res.output
    assert "internal error" not in res.stderr and "'input' must be an object" in res.stderr


def test_a_well_formed_baseline_still_loads(tmp_path):
    path = tmp_path / "base.json"
    path.write_text(json.dumps({**_GOOD, "input": {"sha256": "ab"}}), encoding="utf-8")
    b = load_baseline(path)
    assert (b.key, b.mislabeled, b.input_sha256, b.label) == ("hash", (), "ab", "y")


# ---------------------------------------------------------------- the HTML report with odd class names


@pytest.mark.parametrize("labels", [("$\\frac$", "b_{$x^$}"), ("$1-$5", "_neg")])
def test_class_names_with_dollar_signs_render(labels):
    r = dvclean.score(_frame(labels=labels), label="y", config=_knn())
    html = render_html(build_report(r, outcome=evaluate_check(r, CheckPolicy(max_mislabeled="50%"))))
    assert html.count('src="data:image/png;base64,') >= 2  # the per-class and value charts were drawn


def test_leading_underscore_and_dollar_are_kept_for_matplotlib():
    from dvclean.report._render import _mpl_text, _short

    assert _mpl_text("$a^$") == r"\$a^\$"
    assert _mpl_text("_neg") == " _neg"  # a legend would leave the class out
    assert _short("x" * 30) == "x" * 15 + "…" + "x" * 8  # (cut in the middle: names that differ at their end)


def test_classes_cut_to_the_same_name_keep_one_bar_each(monkeypatch):
    from dvclean.report import _render

    long = "a class name longer than the chart's labels "
    r = dvclean.score(_frame(labels=(long + "1", long + "2")), label="y", config=_knn())
    rep = build_report(r)
    bars: list[int] = []
    real = _render._figure

    def spy(*a, **k):
        fig = real(*a, **k)
        orig = fig.subplots

        def subplots(*sa, **sk):
            ax = orig(*sa, **sk)
            axes = np.atleast_1d(ax).ravel()
            for one in axes:
                old = one.barh

                def barh(y, *ba, _old=old, **bk):
                    bars.extend(np.atleast_1d(np.asarray(y)).tolist())
                    return _old(y, *ba, **bk)

                one.barh = barh
            return ax

        fig.subplots = subplots
        return fig

    monkeypatch.setattr(_render, "_figure", spy)
    assert _render._class_chart(rep) is not None
    # two calls (mislabeled, hard stacked) of one position per class: the two classes at two positions
    assert len(set(bars)) == 2


# ---------------------------------------------------------------- data columns named like the report's columns


def test_feature_columns_named_like_report_columns_are_shown_as_data():
    rng = np.random.default_rng(1)
    extra = {"value": rng.normal(size=60), "row_id": rng.normal(size=60) + 100, "is_hard": rng.normal(size=60)}
    df = _frame(extra=extra)
    r = dvclean.score(df, label="y", config=_knn())
    rep = build_report(r)
    cols = rep.top_columns
    assert cols.count("row_id") == 2, cols  # the row number and the data's own row_id feature
    assert {"value (data column)", "row_id (data column)", "is_hard (data column)"} <= set(rep.column_titles)
    feat_at = len(cols) - 1 - cols[::-1].index("row_id")
    first = rep.top_rows[0]
    assert float(first[feat_at]) == pytest.approx(df.get_column("row_id")[first[0]])  # (the cell's text in the file)
    html = render_html(rep)
    # the is_hard feature's numbers are shown as numbers, not as "hard" flags
    flag_cells = html.count('<td class="flag-hard">')
    assert flag_cells == len(rep.top_rows), flag_cells


# ---------------------------------------------------------------- the report's check table says why no check ran


def _regression_frame():
    rng = np.random.default_rng(2)
    x = rng.normal(size=60)
    y = 3 * x + rng.normal(scale=0.1, size=60)
    y[[5, 17]] += 25
    return pl.DataFrame({"x": x, "z": rng.normal(size=60), "t": y})


def test_report_does_not_say_no_thresholds_when_set_ones_do_not_apply():
    r = dvclean.score(_regression_frame(), label="t", config=_knn())
    out = evaluate_check(r, CheckPolicy(max_mislabeled_per_class="5%"), from_config=["max_mislabeled_per_class"])
    assert out.checks == ()
    html = render_html(build_report(r, outcome=out))
    assert "No thresholds were set." not in html
    assert "No check ran" in html
    unset = render_html(build_report(r, outcome=evaluate_check(r, CheckPolicy())))
    assert "No thresholds were set." in unset


# ---------------------------------------------------------------- the baseline part lists every new hard row


def test_every_new_hard_row_is_listed_as_every_new_mislabeled_row_is(tmp_path):
    rng = np.random.default_rng(3)
    n = 1500
    df = pl.DataFrame({"x": rng.normal(size=n), "w": rng.normal(size=n), "y": rng.integers(0, 2, size=n)})
    cfg = dvclean.ScoreConfig(knn=dvclean.KNNConfig(k=3), flags=dvclean.config.FlagPolicy(hard_fraction=0.9))
    r = dvclean.score(df, label="y", config=cfg)
    base = tmp_path / "base.json"
    base.write_text(json.dumps({**_GOOD, "flagged": {"key": "hash", "mislabeled": [], "hard": []}}), encoding="utf-8")
    out = evaluate_check(r, CheckPolicy(max_new_hard="100%"), baseline=base)
    b = out.to_dict()["baseline"]
    assert b["new_hard"] > 1000
    assert len(b["new_hard_rows"]) == b["new_hard"]
    assert len(b["new_mislabeled_rows"]) == b["new_mislabeled"]


# ---------------------------------------------------------------- `dvclean report -` needs -o


def test_report_of_stdin_scores_needs_an_output_name(tmp_path, monkeypatch):
    scores = tmp_path / "s.dvclean.csv"
    dvclean.write_scores(dvclean.score(_frame(), label="y", config=_knn()), scores)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    res = runner.invoke(app, ["report", "-"], input=scores.read_text(encoding="utf-8"))
    assert res.exit_code == 2, res.output
    assert "-o" in res.stderr
    assert list(work.iterdir()) == []


# ---------------------------------------------------------------- GitHub annotations of stdin data name no file


def test_github_annotations_of_stdin_data_carry_no_file_property(tmp_path):
    data = tmp_path / "d.csv"
    _frame().write_csv(data)
    args = ["--label", "y", "--max-mislabeled", "0", "--format", "github", "--k", "3", "--mislabel-rule", "knn"]
    piped = runner.invoke(app, ["check", "-", *args], input=data.read_text(encoding="utf-8"))
    named = runner.invoke(app, ["check", str(data), *args])
    assert piped.exit_code == named.exit_code == 1, piped.output + named.output
    piped_cmds = [ln for ln in piped.stdout.splitlines() if ln.startswith("::")]
    named_cmds = [ln for ln in named.stdout.splitlines() if ln.startswith("::")]
    assert piped_cmds and len(piped_cmds) == len(named_cmds)
    assert not any("file=" in ln for ln in piped_cmds)
    assert all("file=" in ln for ln in named_cmds)


# ---------------------------------------------------------------- a warn above its max says which came from a file


@pytest.mark.parametrize(
    ("toml", "typed", "said", "fix"),
    [
        ('warn-mislabeled = "1%"', ["--max-mislabeled", "0.5%"],
         'warn-mislabeled = "1%" (', "or pass --max-mislabeled at or above 1%"),
        ('max-mislabeled = "1%"\nwarn-mislabeled = "2%"', [],
         'is above max-mislabeled = "1%" (', "or raise max-mislabeled in"),
        ("max-hard = 3", ["--warn-hard", "5"], "--warn-hard 5 is above max-hard = 3 (", "pass --warn-hard at or below 3"),
    ],
)
def test_a_warn_above_its_max_names_the_configuration_file(tmp_path, monkeypatch, toml, typed, said, fix):
    data = tmp_path / "d.csv"
    _frame().write_csv(data)
    (tmp_path / "dvclean.toml").write_text(f"[check]\n{toml}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["check", "d.csv", "--label", "y", *typed])
    assert res.exit_code == 2, res.output
    assert said in res.stderr and fix in res.stderr and "dvclean.toml [check]" in res.stderr
