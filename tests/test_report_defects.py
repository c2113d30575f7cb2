"""HTML report with an augmentation: the input's source survives, the run is named, another file's evaluation is refused."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.errors import DataValidationError
from dvclean.report import build_report, render_html

from .conftest import SAMPLE
from .test_check import FLIPS, clusters

runner = CliRunner()
HAS_SDV = importlib.util.find_spec("sdv") is not None


def fake_augmentation(path: str, sha256: str, rows: int) -> dict:
    arm = {"rows": rows, "auc": {"mean": 0.91, "ci95": 0.02}}
    return {
        "command": "augment",
        "input": {"path": path, "format": "csv", "sha256": sha256, "rows": rows, "columns": 4},
        "config": {"target": "hard", "generator": "gaussian-copula", "n_synthetic": "10%"},
        "scores": {"source": "computed (knn)"},
        "target": {"spec": "hard", "rows": 12, "fraction_of_labelled": 0.1, "class_mix": {"a": 5, "b": 7}},
        "generator": {"name": "gaussian-copula", "training_rows": 12, "epochs": None, "batch_size": None},
        "synthetic": {"rows": 17, "class_mix": {"a": 8, "b": 9}},
        "output_rows": {"original": rows, "dropped_mislabeled": 0, "synthetic": 17, "total": rows + 17},
        "quality": {"score": 0.8},
        "evaluation": {"primary_metric": "auc", "arms": {"baseline": arm}},
    }


def test_in_memory_scores_take_the_input_from_the_augmentation():
    # `dvclean augment --report` scores an in-memory frame: the report must still name the file
    df = clusters(flips=FLIPS)
    r = dvclean.score(df, label="y")
    sha = "ab12" * 16
    rep = build_report(r, command="dvclean augment", augmentation=fake_augmentation("in/d.csv", sha, df.height))
    assert rep.meta["input_path"] == "in/d.csv" and rep.meta["input_sha256"] == sha
    html = render_html(rep)
    assert "<title>dvclean report: in/d.csv</title>" in html
    assert "DataFrame" not in html and "(polars)" not in html and sha in html
    section = html[html.index('id="augmentation"'):]
    assert "gaussian-copula" in section and "trained on 12 rows" in section
    assert "target set" in section and "hard: 12 rows" in section and "a: 5, b: 7" in section
    assert "synthetic rows" in section and "17 (asked: 10%)" in section
    # an augmentation of another frame (row count differs) is refused
    with pytest.raises(DataValidationError, match="rows"):
        build_report(r, augmentation=fake_augmentation("in/d.csv", sha, df.height + 1))


@pytest.mark.skipif(not HAS_SDV, reason="SDV is not installed (pip install \".[augment]\" in the checkout)")
def test_augment_report_names_input_generator_and_synthetic_rows(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # SDV writes a logger config under the user data dir
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / "config"))
    src = tmp_path / "a150.csv"
    pl.read_csv(SAMPLE, n_rows=150).write_csv(src)
    html_path = tmp_path / "r.html"
    res = runner.invoke(app, ["augment", str(src), "-y", "income", "-g", "gaussian-copula", "-q",
                              "-o", str(tmp_path / "out.csv"), "--report", str(html_path)])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "out.augment-report.json").read_text(encoding="utf-8"))
    html = html_path.read_text(encoding="utf-8")
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    assert doc["input"]["sha256"] == sha
    assert f"<title>dvclean report: {src}</title>" in html and sha in html and "DataFrame" not in html
    section = html[html.index('id="augmentation"'):]
    assert "gaussian-copula" in section and "target set" in section
    assert f"{doc['synthetic']['rows']} (asked:" in section


@pytest.fixture
def scored_file(tmp_path):
    src = tmp_path / "d.csv"
    clusters(flips=FLIPS).write_csv(src)
    scores = tmp_path / "d.dvclean.parquet"
    res = runner.invoke(app, ["score", str(src), "-y", "y", "--id", "uid", "-q", "-o", str(scores)])
    assert res.exit_code == 0, res.output
    return src, scores


def test_report_refuses_the_augmentation_of_another_file(tmp_path, scored_file):
    src, scores = scored_file
    ours = hashlib.sha256(src.read_bytes()).hexdigest()
    other = "0cde62e8a369" + "0" * 52
    aug = tmp_path / "other.augment-report.json"
    aug.write_text(json.dumps(fake_augmentation("other.csv", other, 120)), encoding="utf-8")
    out = tmp_path / "r.html"
    for extra in ([], ["--data", str(src)]):
        res = runner.invoke(app, ["report", str(scores), *extra, "--augmentation", str(aug), "-o", str(out)])
        assert res.exit_code == 2, res.output
        assert f"--augmentation {aug}" in res.stderr and other[:12] in res.stderr and ours[:12] in res.stderr
        assert not out.exists()
    # another row count, no sha256 recorded: refused too
    doc = fake_augmentation("other.csv", "", 99)
    aug.write_text(json.dumps(doc), encoding="utf-8")
    res = runner.invoke(app, ["report", str(scores), "--augmentation", str(aug), "-o", str(out)])
    assert res.exit_code == 2 and "99 rows" in res.stderr
    # the augmentation of the scored file is attached
    aug.write_text(json.dumps(fake_augmentation(str(src), ours, 120)), encoding="utf-8")
    res = runner.invoke(app, ["report", str(scores), "--data", str(src), "--augmentation", str(aug), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert 'id="augmentation"' in out.read_text(encoding="utf-8")


def test_build_report_refuses_the_augmentation_of_another_file(tmp_path):
    src = tmp_path / "d.csv"
    clusters(flips=FLIPS).write_csv(src)
    r = dvclean.score(src, label="y")
    with pytest.raises(DataValidationError, match="sha256 ffffffffffff"):
        build_report(r, augmentation=fake_augmentation("x.csv", "f" * 64, 120), augmentation_path=Path("x.json"))
