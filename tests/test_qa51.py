"""QA round 88 (session 51): items carried from earlier rounds, and the helpers' findings. A class label of
thousands of characters was quoted whole in notes and errors (a 5,000-character label made a 5,400-character
note line; the summaries' table cut it already); infinite feature values were valued as missing without a word;
``score --report`` and ``fix --report`` did not name the HTML page they wrote; ``augment --target class:X`` with
fewer rows in the class than a generator needs was refused only after the valuation of every row."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.table import class_repr

runner = CliRunner()


def _two_classes(n: int = 80, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = np.arange(n) % 2
    return np.c_[rng.normal(size=n) + 4 * c, rng.normal(size=n)], c


def test_a_long_class_is_cut_in_the_middle_in_notes():
    long = "A" * 5000
    assert class_repr(long) == repr("A" * 150 + "…" + "A" * 20) + " (5,000 characters)"
    assert class_repr("A" * 200) == repr("A" * 200)  # (200 characters are still shown whole)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    c = (x[:, 0] > 0).astype(int)
    c[:5] = 1 - c[:5]  # (five flipped labels: the flags follow column a, and a note says so)
    y = np.where(c == 1, long, "short")
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    notes = [n for n in r.summary["notes"] if "alone predicts" in n]
    assert notes and all(len(n) < 1200 for n in notes), notes
    assert "(5,000 characters)" in notes[0]
    assert r.frame.get_column("label").to_list().count(long) == int(c.sum())  # (the scores keep it whole)


def test_infinite_feature_values_get_a_note():
    x, c = _two_classes()
    b = x[:, 1].copy()
    b[[3, 9, 20]] = [np.inf, -np.inf, np.inf]
    r = dvclean.score(pl.DataFrame({"a": x[:, 0], "b": b, "y": c}), label="y",
                      config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    (note,) = [n for n in r.summary["notes"] if "infinite" in n]
    assert note.startswith("column 'b' holds 3 infinite values (inf, -inf): valued as missing, as an empty cell is")
    clean = dvclean.score(pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": c}), label="y",
                          config=dvclean.ScoreConfig(methods=("knn",), seed=0))
    assert not [n for n in clean.summary["notes"] if "infinite" in n]


@pytest.mark.parametrize("command", ["score", "fix"])
def test_the_report_path_is_named_in_the_summary(tmp_path, command):
    x, c = _two_classes()
    src = tmp_path / "d.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": c}).write_csv(src)
    out, html = tmp_path / f"out.{command}.csv", tmp_path / "page.html"
    plain = [command, str(src), "-y", "y", "--seed", "0", "-o", str(out)] + (["-m", "knn"] if command == "score" else [])
    args = [*plain, "--report", str(html)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    last = " ".join(res.stdout.split())
    assert (f"wrote {out} and {html}" if command == "score" else f"written to {out}; report: {html}") in last
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["report"] == str(html) and summary["output"] == str(out)
    res = runner.invoke(app, [*plain, "--json"])  # (without --report: no key)
    assert "report" not in json.loads(res.stdout)
