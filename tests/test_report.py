"""The self-contained HTML report: sections, escaping, no network references, size, headless Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.check import CheckPolicy, evaluate_check
from dvclean.cli import app
from dvclean.report import build_report, render_html, write_report

from .test_check import FLIPS, clusters

runner = CliRunner()
MAX_BYTES = 6 * 1024 * 1024
NETWORK = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.I)
CSS_URL = re.compile(r"""url\(\s*["']?\s*(?:https?:)?//""", re.I)


def hostile(tmp_path: Path) -> Path:
    df = clusters(flips=FLIPS)
    df = df.with_columns(
        pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("<script>alert(1)</script>")).otherwise(pl.col("uid")).alias("uid"),
        pl.lit('<img src="https://evil.example/x.png">').alias("note"),
    )
    p = tmp_path / "d.csv"
    df.write_csv(p)
    return p


def assert_offline(html: str) -> None:
    assert not NETWORK.search(html), NETWORK.search(html)
    assert not CSS_URL.search(html)
    assert "<link" not in html and "@import" not in html


def test_check_report_escapes_data_and_is_offline(tmp_path):
    src = hostile(tmp_path)
    out = tmp_path / "report.html"
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "2%", "--report", str(out), "--format", "text"])
    assert res.exit_code == 1, res.output
    html = out.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    assert "&lt;img src=&#34;https://evil.example/x.png&#34;&gt;" in html
    assert_offline(html)
    assert html.count("data:image/png;base64,") == 3  # classes, values, projection: each chart once
    for section in ('id="run"', 'id="checks"', 'id="classes"', 'id="values"', 'id="projection"', 'id="rows"'):
        assert section in html
    assert "FAIL" in html and "mislabeled[class" not in html  # only the checks that were asked for
    assert dvclean.__version__ in html and "sha256" in html
    assert len(html.encode()) < MAX_BYTES
    assert not list(tmp_path.glob(".*.tmp"))


def test_report_lists_the_50_most_suspicious_rows_with_features(sample_csv, tmp_path):
    r = dvclean.score(sample_csv, label="income")
    outcome = evaluate_check(r, CheckPolicy(max_mislabeled="2%", max_hard="15%"))
    rep = build_report(r, outcome=outcome, command="dvclean check sample")
    assert len(rep.top_rows) == 50
    assert {"age", "education", "neighbor_label", "line"} <= set(rep.top_columns)
    ranks = [row[rep.top_columns.index("value")] for row in rep.top_rows]
    assert ranks == sorted(ranks)
    assert rep.projection is not None and rep.projection.shape == (2000, 2)
    assert sum(c["mislabeled"] for c in rep.per_class) == r.summary["flags"]["mislabeled"]
    path = write_report(rep, tmp_path / "r.html")
    size = path.stat().st_size
    assert 10_000 < size < MAX_BYTES, size
    html = path.read_text(encoding="utf-8")
    assert_offline(html)
    assert "dvclean check sample" in html and "PCA of the" in html


def test_report_command_from_a_scores_file(tmp_path):
    src = tmp_path / "d.csv"
    clusters(flips=FLIPS).write_csv(src)
    scores = tmp_path / "d.dvclean.parquet"
    res = runner.invoke(app, ["score", str(src), "-y", "y", "--id", "uid", "-q", "-o", str(scores)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["report", str(scores), "--data", str(src)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "d.report.html"
    assert res.stdout.strip() == str(out)
    html = out.read_text(encoding="utf-8")
    assert_offline(html)
    assert html.count("data:image/png;base64,") == 3 and "No checks were run" in html
    assert "u003" in html and "f1" in html  # the flipped row with its features
    # without --data: no projection, a clear note instead
    res = runner.invoke(app, ["report", str(scores), "-o", str(tmp_path / "bare.html")])
    assert res.exit_code == 0
    assert "pass --data FILE" in (tmp_path / "bare.html").read_text(encoding="utf-8")
    # errors exit 2
    assert runner.invoke(app, ["report", str(src)]).exit_code == 2  # not a scores file
    other = tmp_path / "other.csv"
    clusters(n_per_class=5).write_csv(other)
    res = runner.invoke(app, ["report", str(scores), "--data", str(other), "-o", str(tmp_path / "x.html")])
    assert res.exit_code == 2 and "rows" in res.stderr


def test_score_report_option(tmp_path):
    src = tmp_path / "d.csv"
    clusters(flips=FLIPS).write_csv(src)
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-q", "--report", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "dvclean report" in html and html.count("data:image/png;base64,") == 3
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-q", "--report", str(tmp_path / "no" / "r.html")])
    assert res.exit_code == 2 and "does not exist" in res.stderr


def test_augmentation_section(tmp_path):
    r = dvclean.score(clusters(flips=FLIPS), label="y")
    arm = {"rows": 100, "auc": {"mean": 0.91, "ci95": 0.02, "values": [0.9, 0.92]}}
    aug = {
        "quality": {"score": 0.87, "Column Shapes": 0.9, "Column Pair Trends": None},
        "evaluation": {
            "primary_metric": "auc",
            "arms": {
                "baseline": arm,
                "non_targeted": {**arm, "rows": 120, "delta_auc": {"mean": 0.001, "ci95": 0.004}},
                "targeted": {**arm, "rows": 120, "auc": {"mean": 0.93, "ci95": 0.01}, "delta_auc": {"mean": 0.02, "ci95": 0.005}},
            },
            "verdict": "targeted beats baseline",
        },
    }
    html = render_html(build_report(r, augmentation=aug))
    assert 'id="augmentation"' in html and "targeted beats baseline" in html
    assert "0.9300 ± 0.0100" in html and "0.0200 ± 0.0050" in html
    assert "not applicable" in html and "0.8700" in html
    assert html.count("data:image/png;base64,") == 4
    assert 'id="augmentation"' not in render_html(build_report(r))


def test_report_is_deterministic(tmp_path):
    r = dvclean.score(clusters(flips=FLIPS), label="y")
    rep = build_report(r, command="x")
    a = render_html(rep)
    assert a == render_html(build_report(r, command="x"))


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def test_report_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (Debian package `chromium`; `make test-browser` installs it)")
    src = hostile(tmp_path)
    out = tmp_path / "report.html"
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "2%", "--report", str(out), "-q", "--format", "text"])
    assert res.exit_code == 1
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom", out.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    m = re.search(r'<body[^>]*data-charts-total="(\d+)"[^>]*data-charts-rendered="(\d+)"', dom)
    assert m, dom[:500]
    assert int(m[1]) == 3 and int(m[2]) == 3  # every chart decoded and laid out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in dom  # shown as text, not executed
