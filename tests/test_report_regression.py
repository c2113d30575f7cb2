"""The HTML report and the Markdown table of a regression target speak of outlying targets, not mislabeled classes.

For a regression target ``is_mislabeled`` means "outlying target": the report's legend, flag cells, headings
and navigation say so, the per-class sections give way to the target's distribution, and the suspicious-rows
table shows the evidence (``predicted_value``, ``target_z``). Classification reports keep their per-class sections.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.check import Baseline, CheckPolicy, evaluate_check
from dvclean.cli import app
from dvclean.config import ScoreConfig
from dvclean.report import _render, build_report, build_report_from_files, render_html
from dvclean.report.formats import to_markdown

from .test_check import FLIPS, clusters
from .test_report import assert_offline

runner = CliRunner()

REGRESSION_HEADER = "| row | line | label | neighbours' mean | value | outlier score | flag |"
CLASSIFICATION_HEADER = "| row | line | label | neighbours' label | value | mislabel score | flag |"


def diabetes_with_outliers(n: int = 250, n_out: int = 20, seed: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """The first ``n`` rows of scikit-learn's diabetes data with ``n_out`` targets shifted by 3-5 standard deviations."""
    from sklearn.datasets import load_diabetes  # bundled with scikit-learn: no download

    d = load_diabetes()
    x, y = d.data[:n], d.target[:n].astype(np.float64).copy()
    rng = np.random.default_rng(seed)
    bad = np.sort(rng.choice(n, n_out, replace=False))
    y[bad] += rng.uniform(3, 5, n_out) * y.std() * rng.choice([-1.0, 1.0], n_out)
    return pl.DataFrame(x, schema=list(d.feature_names)).with_columns(pl.Series("progression", y)), bad


@pytest.fixture(scope="module")
def regression_result():
    df, _ = diabetes_with_outliers()
    r = dvclean.score(df, label="progression", config=ScoreConfig(task="regression"))
    assert r.summary["task"]["name"] == "regression" and r.summary["flags"]["mislabeled"] > 0
    return r


@pytest.fixture(scope="module")
def classification_result():
    return dvclean.score(clusters(flips=FLIPS), label="y", id_column="uid")


class Page(HTMLParser):
    """The parts of the report the reader sees as words: nav links, headings, table headers, flag cells."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.nav: list[str] = []
        self.h2: list[str] = []
        self.th: list[str] = []
        self.flag_cells: list[str] = []
        self.ids: set[str] = set()
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(str(a["id"]))
        if tag in ("a", "h2", "th", "td"):
            self._stack.append((tag, a))
            self._text = []

    def handle_data(self, data: str) -> None:
        self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self._stack or self._stack[-1][0] != tag:
            return
        _, a = self._stack.pop()
        text = "".join(self._text).strip()
        if tag == "a" and str(a.get("href", "")).startswith("#"):
            self.nav.append(text)
        elif tag == "h2":
            self.h2.append(text)
        elif tag == "th":
            self.th.append(text)
        elif tag == "td" and a.get("class") == "flag-mislabeled":
            self.flag_cells.append(text)


def chart_texts(monkeypatch, report) -> tuple[str, list[str]]:
    """Render ``report`` and collect the legend entries and titles of every chart drawn (the PNGs are opaque)."""
    figures: list[Any] = []
    real_png = _render._png

    def spy(fig: Any) -> str:
        figures.append(fig)
        return real_png(fig)

    monkeypatch.setattr(_render, "_png", spy)
    html = render_html(report)
    texts = []
    for fig in figures:
        for ax in fig.axes:
            texts.append(ax.get_title(loc="left"))
            if ax.get_legend() is not None:
                texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return html, texts


def test_regression_report_speaks_of_outlying_targets(regression_result, monkeypatch):
    r = regression_result
    rep = build_report(r, command="dvclean score diabetes.csv -y progression --task regression")
    html, texts = chart_texts(monkeypatch, rep)
    page = Page(html)
    n_flagged = r.summary["flags"]["mislabeled"]
    # navigation and headings: no classes, a target section instead
    assert "Classes" not in page.nav and "Target" in page.nav
    assert not [h for h in page.h2 if "class" in h.lower()], page.h2
    assert any("Target distribution" in h for h in page.h2) and "Value distribution per method" in page.h2
    assert "classes" not in page.ids and {"target", "chart-target", "target-summary"} <= page.ids
    assert "Regression target" in html
    # the charts' legends and titles (PCA legend included): outlying targets, never mislabeled, never per class
    assert not [t for t in texts if "mislabel" in t.lower() or "per class" in t.lower()], texts
    assert f"outlying target ({n_flagged:,})" in texts  # the PCA legend
    assert any(t.startswith("outlying target (n=") for t in texts)  # the value distribution
    assert any(t.startswith("target distribution") for t in texts) and any(t.startswith("robust z") for t in texts)
    # the suspicious-rows table: flag cells and headers say outlying target
    flagged_cells = [c for c in page.flag_cells if c]
    assert flagged_cells and set(flagged_cells) == {"outlying target"}
    assert len(flagged_cells) == sum(1 for row in rep.top_rows if row[rep.top_columns.index("is_mislabeled")])
    assert "outlying target (is_mislabeled)" in page.th and "outlier score (mislabel_score)" in page.th
    assert "neighbours' mean (neighbor_label)" in page.th
    assert not [h for h in page.th if h in ("is_mislabeled", "mislabel_score", "neighbor_label")]


def test_regression_report_shows_the_evidence_columns(regression_result):
    r = regression_result
    rep = build_report(r)
    cols = rep.top_columns
    assert {"predicted_value", "target_z"} <= set(cols)
    assert cols.index("label") < cols.index("predicted_value") < cols.index("target_z") < cols.index("value")
    frame = r.frame
    for row in rep.top_rows:
        i = row[0]  # the row number
        assert row[cols.index("predicted_value")] == pytest.approx(frame["predicted_value"][i])
        assert row[cols.index("target_z")] == pytest.approx(frame["target_z"][i])
    page = Page(render_html(rep))
    assert {"predicted_value", "target_z"} <= set(page.th)
    # the target section: its summary counts the outlying targets above and below their prediction
    t = rep.target
    assert t is not None and t["cutoff"] == 3.5 and t["stats"]["rows"] == frame.height
    z = frame["target_z"].to_numpy()
    flagged = frame["is_mislabeled"].to_numpy()
    assert (t["above"], t["below"]) == (int((flagged & (z > 0)).sum()), int((flagged & (z < 0)).sum()))
    assert t["above"] + t["below"] == r.summary["flags"]["mislabeled"]


def test_report_command_on_regression_scores(tmp_path, monkeypatch):
    df, _ = diabetes_with_outliers(n=150, n_out=12, seed=1)
    src = tmp_path / "diabetes.csv"
    df.write_csv(src)
    scores = tmp_path / "diabetes.dvclean.parquet"
    out = tmp_path / "score.html"
    res = runner.invoke(app, ["score", str(src), "-y", "progression", "--task", "regression", "-q", "-o", str(scores),
                              "--report", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["report", str(scores), "--data", str(src), "-o", str(tmp_path / "report.html")])
    assert res.exit_code == 0, res.output
    for path in (out, tmp_path / "report.html"):
        page = Page(path.read_text(encoding="utf-8"))
        assert "Classes" not in page.nav and "Target" in page.nav
        assert not [h for h in page.h2 if "class" in h.lower()], page.h2
        assert {"predicted_value", "target_z"} <= set(page.th)
        assert {c for c in page.flag_cells if c} == {"outlying target"}
    # a CSV scores file carries no metadata: the task is read off its predicted_value column
    csv_scores = tmp_path / "scores.csv"
    pl.read_parquet(scores).write_csv(csv_scores)
    rep = build_report_from_files(csv_scores, data=src, label="progression")
    html, texts = chart_texts(monkeypatch, rep)
    assert rep.regression and {"predicted_value", "target_z"} <= set(rep.top_columns)
    assert not [t for t in texts if "mislabel" in t.lower()] and "Target" in Page(html).nav


def test_markdown_table_of_a_regression_check(regression_result, classification_result):
    md = to_markdown(evaluate_check(regression_result, CheckPolicy(max_mislabeled="50%")))
    assert REGRESSION_HEADER in md
    assert "neighbours' label" not in md and "mislabel score" not in md and "| class |" not in md
    assert "| outlying target |" in md
    base = Baseline(path="baseline.json", key="hash", id_column=None, mislabeled=(), hard=())
    md = to_markdown(evaluate_check(regression_result, CheckPolicy(), baseline=base))
    n = regression_result.summary["flags"]["mislabeled"]
    assert f"{n} new outlying targets" in md and "new mislabeled" not in md
    # classification keeps its wording
    md = to_markdown(evaluate_check(classification_result, CheckPolicy(max_mislabeled="50%"), baseline=base))
    assert CLASSIFICATION_HEADER in md and "| class | rows | mislabeled | hard |" in md
    assert "new mislabeled" in md and "| mislabeled |" in md


def test_classification_report_keeps_its_per_class_sections(classification_result, monkeypatch):
    # a guard: passes on the code before the regression fix too (classification reports are unchanged)
    rep = build_report(classification_result)
    assert rep.per_class and getattr(rep, "target", None) is None
    html, texts = chart_texts(monkeypatch, rep)
    page = Page(html)
    assert "Classes" in page.nav and "Target" not in page.nav
    assert "Flagged rows per class" in page.h2 and "Value distribution per class and method" in page.h2
    assert {"classes", "chart-classes", "chart-values", "chart-projection"} <= page.ids and "target" not in page.ids
    assert {"is_mislabeled", "mislabel_score", "neighbor_label"} <= set(page.th)
    assert "predicted_value" not in page.th and "target_z" not in page.th
    assert {c for c in page.flag_cells if c} == {"mislabeled"}
    n = classification_result.summary["flags"]["mislabeled"]
    assert f"mislabeled ({n:,})" in texts  # the PCA legend
    assert any(t.startswith("value distribution per class") for t in texts)
    assert "flagged rows per class" in texts and "outlying target" not in html


def test_regression_chart_count_and_offline(regression_result):
    html = render_html(build_report(regression_result))
    # target, values and projection: three charts, as a classification report has
    assert html.count("data:image/png;base64,") == 3
    assert_offline(html)
