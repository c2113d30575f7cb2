"""Session 32: findings of QA round 52 (a notebook user, a CI engineer, a messy CSV), each failing on the old code."""

from __future__ import annotations

import csv
import re

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.diagnostics import label_spelling_notes
from dvclean.io import TextEdits, read_csv_text, read_frame, render_csv_text

runner = CliRunner()


def _two_class_rows(n: int = 120, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return rng.normal(size=n) + 2 * y, y


# --- class labels spelling one number two ways (`1` beside `1.0`, as pandas writes after a NaN) --------------------

def test_labels_spelling_one_number_two_ways_get_a_note(tmp_path):
    notes = label_spelling_notes(pl.Series("y", ["0", "1", "0.0", "1.0", "yes", "Yes"]))
    assert any("'0' and '0.0' spell the same number" in n for n in notes), notes
    assert any("'1' and '1.0' spell the same number" in n for n in notes), notes
    assert any("'Yes' and 'yes' differ only in case" in n for n in notes), notes
    assert label_spelling_notes(pl.Series("y", ["0", "1", "2"])) == []
    assert label_spelling_notes(pl.Series("y", ["nan", "NaN", "1", "0"])) != []  # (text, not numbers: case)

    x, y = _two_class_rows()
    texts = [f"{v}.0" if i % 2 else str(v) for i, v in enumerate(y)]  # half the rows write 1.0 and 0.0
    path = tmp_path / "d.csv"
    pl.DataFrame({"x": x, "y": texts}).write_csv(path)
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "classes '1' and '1.0' spell the same number" in out, out


def test_a_single_row_class_spelled_like_another_says_so_not_store_as_numbers(tmp_path):
    x, y = _two_class_rows(40)
    texts = [str(v) for v in y] + ["1.0"]
    path = tmp_path / "d.csv"
    pl.DataFrame({"x": [*x, 0.5], "y": texts}).write_csv(path)
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 2, r.output
    out = " ".join(r.output.split())
    assert "'1' and '1.0' spell one number in two ways" in out, out
    assert "store the column as numbers" not in out and "numeric target" not in out, out


# --- the HTML report's table of suspicious rows shows the data's cells as the file writes them ------------------

def _table_cells(html: str) -> list[str]:
    start = html.index("lowest-valued rows")
    return re.findall(r"<td[^>]*>(.*?)</td>", html[start:])


def test_report_shows_the_files_cells_not_rounded_or_unpadded_numbers(tmp_path):
    rng = np.random.default_rng(1)
    n = 200
    y = rng.integers(0, 2, n)
    frame = pl.DataFrame({
        "zip": [f"{v:05d}" for v in rng.integers(1, 999, n)],  # zero-padded codes: read as integers
        "balance": [f"{v:.2f}" for v in rng.uniform(1e9, 5e9, n)],  # 6 significant digits would round them
        "rate": [f"{v:.6f}" for v in rng.uniform(1e-4, 9e-4, n) + 1e-4 * y],
        "y": np.where(y == 1, "a", "b"),
    })
    path = tmp_path / "d.csv"
    frame.write_csv(path)
    scores = tmp_path / "s.parquet"
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(scores), "--report", str(tmp_path / "a.html")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["report", str(scores), "--data", str(path), "-o", str(tmp_path / "b.html")])
    assert r.exit_code == 0, r.output
    written = set(frame.get_column("zip")) | set(frame.get_column("balance")) | set(frame.get_column("rate"))
    for name in ("a.html", "b.html"):
        html = (tmp_path / name).read_text(encoding="utf-8")
        cells = _table_cells(html)
        shown = [c for c in cells if c in written]
        assert len(shown) >= 3 * 10, (name, cells[:30])  # each shown row's three data cells, as written
        assert not any(re.fullmatch(r"\d\.\d+e\+09", c) for c in cells), name
        assert '<td class="num">0' in html  # (a zero-padded code is still aligned as a number)

    # a typed input (Parquet) has no text: its floats are shown with every digit, not 6 significant ones
    frame.with_columns(pl.col("balance").cast(pl.Float64)).write_parquet(tmp_path / "d.parquet")
    r = runner.invoke(app, ["score", str(tmp_path / "d.parquet"), "-y", "y", "-o", str(tmp_path / "t.csv"),
                            "--report", str(tmp_path / "c.html")])
    assert r.exit_code == 0, r.output
    cells = _table_cells((tmp_path / "c.html").read_text(encoding="utf-8"))
    assert sum(c in written for c in cells) >= 10 and not any(re.fullmatch(r"\d\.\d+e\+09", c) for c in cells)


# --- rows and columns dvclean adds to a CSV are quoted as the file quotes its own ---------------------------------

def _csv(tmp_path, quoting: int) -> tuple[str, list[list[str]]]:
    x, y = _two_class_rows(60)
    rows = [["plan", "usage", "y"]] + [[("basic", "pro")[int(v)], round(float(u), 2), ("stay", "churn")[int(v)]]
                                       for u, v in zip(x, y, strict=True)]
    path = tmp_path / f"q{quoting}.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh, quoting=quoting).writerows(rows)
    return str(path), rows


def test_added_rows_and_columns_follow_a_quote_nonnumeric_file(tmp_path):
    path, _ = _csv(tmp_path, csv.QUOTE_NONNUMERIC)
    frame, info = read_frame(path)
    text = read_csv_text(path, info, rows=frame.height)
    out = render_csv_text(text, TextEdits(append=[["max", "0.5", "churn"]],
                                          extra=(("dvclean_synthetic", ["false"] * frame.height + ["true"]),)))
    lines = out.splitlines()
    assert lines[0] == '"plan","usage","y","dvclean_synthetic"'
    assert lines[1].startswith('"') and lines[1].endswith(",false")  # (a boolean is written bare, as pandas does)
    assert lines[-1] == '"max",0.5,"churn",true'


def test_added_rows_and_columns_follow_a_quote_all_file_and_a_minimal_one(tmp_path):
    path, _ = _csv(tmp_path, csv.QUOTE_ALL)
    frame, info = read_frame(path)
    text = read_csv_text(path, info, rows=frame.height)
    edits = TextEdits(append=[["max", "0.5", "churn"]],
                      extra=(("dvclean_issue", ["mislabeled"] + [None] * frame.height),))
    lines = render_csv_text(text, edits).splitlines()
    assert lines[0].endswith(',"dvclean_issue"') and lines[1].endswith(',"mislabeled"')
    assert lines[-1] == '"max","0.5","churn",'

    path, _ = _csv(tmp_path, csv.QUOTE_MINIMAL)
    frame, info = read_frame(path)
    text = read_csv_text(path, info, rows=frame.height)
    lines = render_csv_text(text, edits).splitlines()
    assert lines[0] == "plan,usage,y,dvclean_issue" and lines[-1] == "max,0.5,churn,"
    assert lines[1].endswith(",mislabeled")


# --- the CI engineer's findings ------------------------------------------------------------------------------------

def _noisy_csv(path, n: int = 300, seed: int = 0, flip: float = 0.08) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    flipped = rng.random(n) < flip
    y[flipped] = 1 - y[flipped]
    with open(path, "wb") as fh:  # (polars cannot write to a name with undecodable bytes either)
        pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y}).write_csv(fh)


def test_a_csv_whose_name_holds_undecodable_bytes_is_read_and_written(tmp_path):
    import os

    path = tmp_path / os.fsdecode(b"bad\xffname.csv")  # (a lone surrogate: polars took the name for a file object)
    _noisy_csv(path)
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "100%", "--json"])
    assert r.exit_code == 0, r.output
    out = tmp_path / os.fsdecode(b"out\xfe.csv")
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pl.read_csv(out.read_bytes()).height == 300


def test_emoji_codes_in_data_are_printed_as_written(tmp_path):
    path = tmp_path / ":warning:.csv"
    _noisy_csv(path)
    frame = pl.read_csv(path).with_columns(pl.col("y").replace_strict({0: ":smile:", 1: ":cross_mark:"}))
    frame.write_csv(path)
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled-per-class", "0"])
    out = r.output
    assert r.exit_code == 1, out
    assert ":smile:" in out and ":warning:.csv" in out and "\U0001f604" not in out and "\u26a0" not in out, out


def test_an_enormous_n_jobs_is_capped_not_an_internal_error(tmp_path):
    path = tmp_path / "d.csv"
    _noisy_csv(path)
    r = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled", "100%",
                            "--n-jobs", "99999999999999999999999"])
    assert r.exit_code == 0, r.output


def test_github_annotations_point_at_the_mislabeled_rows_first(tmp_path):
    from dvclean import score
    from dvclean.check import CheckPolicy, evaluate_check
    from dvclean.report.formats import github_annotations

    path = tmp_path / "d.csv"
    _noisy_csv(path, n=600, flip=0.03)
    result = score(str(path), label="y")
    outcome = evaluate_check(result, CheckPolicy(max_mislabeled=0))
    assert outcome.failed
    frame = result.frame
    n_mis = int(frame.get_column("is_mislabeled").sum())
    assert n_mis >= 1
    warnings = [a for a in github_annotations(outcome, file=str(path)) if a.startswith("::warning")]
    mislabeled = [a for a in warnings if "likely mislabeled" in a]
    assert len(mislabeled) == min(10, n_mis), (n_mis, warnings)
    assert warnings[: len(mislabeled)] == mislabeled  # (then the hard rows)
    scores = [r["mislabel_score"] for r in outcome.flagged_rows if r["is_mislabeled"]]
    assert scores == sorted(scores, reverse=True)


def test_the_actions_version_input_goes_through_the_environment():
    from pathlib import Path

    text = (Path(__file__).parent.parent / "action.yml").read_text()
    assert '"${{ inputs.version }}"' not in text and "DVCLEAN_VERSION: ${{ inputs.version }}" in text


# --- the notebook user's findings ----------------------------------------------------------------------------------

def test_an_unusable_feature_column_is_said_once(caplog):
    import logging

    from dvclean import score

    x, y = _two_class_rows(60)
    frame = pl.DataFrame({"x": x, "blob": [bytes([i % 7]) for i in range(60)], "y": y})
    with caplog.at_level(logging.INFO, logger="dvclean"):
        result = score(frame, label="y")
    said = [r.getMessage() for r in caplog.records if "cannot encode" in r.getMessage()]
    assert len(said) == 1 and said[0].startswith("ignored feature columns: blob"), said  # (was: 2 warnings + note)
    assert sum("cannot encode" in n for n in result.summary["notes"]) == 1


# --- the review of this round's changes ----------------------------------------------------------------------------

def test_number_spellings_compare_exactly_and_leave_codes_and_targets_alone():
    from dvclean.table import _label_problems

    for a, b in (("9007199254740992", "9007199254740993"), ("0.1", "0.10000000000000001"), ("0", "1e-400"),
                 ("NaN", "nan")):  # (01 beside 1: a note that names the leading zeros, test_qa36)
        notes = label_spelling_notes(pl.Series("y", [a, b] * 3))
        assert not any("same number" in n for n in notes), (a, b, notes)
    # a regression target of numbers kept as text: store them as numbers (1 and 1.0 are one number there)
    col = pl.Series("y", [f"{v:.2f}" for v in np.linspace(0, 50, 60)] + ["1", "1.0"])
    problems = _label_problems(col, "y", "regression")
    assert any("store the column as numbers" in p for p in problems), problems


def test_report_cells_of_float32_data_and_a_regression_targets_copy(tmp_path):
    rng = np.random.default_rng(3)
    n = 200
    y = rng.integers(0, 2, n)
    pl.DataFrame({"a": (rng.normal(size=n) + y).astype(np.float32), "y": y}).write_parquet(tmp_path / "d.parquet")
    r = runner.invoke(app, ["score", str(tmp_path / "d.parquet"), "-y", "y", "-o", str(tmp_path / "s.csv"),
                            "--report", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    cells = _table_cells((tmp_path / "r.html").read_text(encoding="utf-8"))
    floats = [c for c in cells if re.fullmatch(r"-?\d+\.\d+", c)]
    assert floats and max(len(c.lstrip("-")) for c in floats) <= 11, floats  # (float32's digits, not float64 noise)


def test_report_cells_as_written_from_stdin_and_without_a_warning_for_blank_lead_lines(tmp_path):
    rng = np.random.default_rng(4)
    n = 150
    y = rng.integers(0, 2, n)
    frame = pl.DataFrame({"zip": [f"{v:05d}" for v in rng.integers(1, 999, n)],
                          "x": rng.normal(size=n) + y, "y": np.where(y == 1, "a", "b")})
    text = "\n\n" + frame.write_csv()  # (blank lines before the header: the csv module and polars agree on rows)
    written = set(frame.get_column("zip"))
    r = runner.invoke(app, ["score", "-", "-y", "y", "-o", str(tmp_path / "s.parquet"), "--report",
                            str(tmp_path / "r.html")], input=text)
    assert r.exit_code == 0, r.output
    assert "splits the rows differently" not in r.output
    cells = _table_cells((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert sum(c in written for c in cells) >= 10, cells[:30]


def test_quoting_style_ignores_cells_that_must_be_quoted_and_empty_cells(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('plan,usage,y\n"p, inc",0.5,a\n"q, ltd",1.5,b\n"r, co",2.5,a\n')
    frame, info = read_frame(str(path))
    text = read_csv_text(str(path), info, rows=frame.height)
    lines = render_csv_text(text, TextEdits(append=[["x", "0.5", "a"]],
                                            extra=(("dvclean_issue", ["mislabeled", None, None, "synthetic"]),))
                            ).splitlines()
    assert lines[0] == "plan,usage,y,dvclean_issue" and lines[1].endswith(",mislabeled")
    assert lines[-1] == "x,0.5,a,synthetic"  # (a minimal-quoting file: its commas are why it quotes)

    path = tmp_path / "n.csv"
    path.write_text('"plan","usage","y"\n"p",0.5,"a"\n,1.5,"b"\n"r",2.5,"a"\n')
    frame, info = read_frame(str(path))
    text = read_csv_text(str(path), info, rows=frame.height)
    last = render_csv_text(text, TextEdits(append=[["", "0.5", "a"]])).splitlines()[-1]
    assert last == ',0.5,"a"'  # (an empty cell stays bare, as the file writes its own)


def test_a_regression_targets_copy_among_the_data_cells_stays_a_number(tmp_path):
    from dvclean import score
    from dvclean.report import build_report

    rng = np.random.default_rng(5)
    x = rng.normal(size=150)
    path = tmp_path / "r.csv"
    pl.DataFrame({"x": x, "y": 3 * x + rng.normal(size=150) * 0.3}).write_csv(path)
    rep = build_report(score(str(path), label="y", config=None))
    at = len(rep.top_columns) - 1 - rep.top_columns[::-1].index("y")
    assert at in rep.top_target_columns
    assert all(isinstance(row[at], float) for row in rep.top_rows)  # (formatted as the label is: tfmt)
    x_at = rep.top_columns.index("x")
    assert all(type(row[x_at]).__name__ == "NumberText" for row in rep.top_rows)


# --- the augment sceptic's observation: targeting moves the training class mix -------------------------------------

def test_the_evaluation_notes_a_targeted_arm_that_moves_the_class_mix():
    import pytest

    from .conftest import HAS_SDV

    if not HAS_SDV:
        pytest.skip("SDV is not installed")
    from dvclean.augment import AugmentConfig, augment

    rng = np.random.default_rng(6)
    n = 400
    y = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    frame = pl.DataFrame({"a": rng.normal(size=n) + y, "b": rng.normal(size=n) - y,
                          "y": np.array(["p", "q", "r"])[y]})
    cfg = AugmentConfig(generator="gaussian-copula", quality=False, target="class:r", evaluate=True, repeats=2,
                        n_synthetic="50%")
    ev = augment(frame, label="y", config=cfg).report["evaluation"]
    shares = ev["train_class_shares"]
    assert set(shares) == {"baseline", "targeted", "non_targeted"}
    assert shares["targeted"]["r"] > shares["baseline"]["r"] + 0.2  # (every synthetic row is of class r)
    assert abs(sum(shares["targeted"].values()) - 1) < 1e-6
    assert any("another class mix" in n and "class r" in n for n in ev["notes"]), ev["notes"]


def test_report_cells_come_only_from_the_file_as_it_was_read(tmp_path):
    from dvclean.report._build import csv_cell_text

    path = tmp_path / "d.csv"
    path.write_bytes(b"a,b\n1.50,x\n2.0,y\n")
    frame, info = read_frame(str(path))
    assert csv_cell_text(info, 2)([0, 1]) == {0: {"a": "1.50", "b": "x"}, 1: {"a": "2.0", "b": "y"}}
    path.write_bytes(b"a,b\n9.99,EDITED\n7,z\n")  # rewritten since, with as many rows: not these cells
    assert csv_cell_text(info, 2)([0, 1]) == {}

    for codec in ("utf-16-le", "utf-16-be"):  # (the byte-order mark names the codec, which keeps it)
        path = tmp_path / f"{codec}.csv"
        path.write_bytes("\ufeffa,b\n1.50,x\n2.0,y\n".encode(codec))
        frame, info = read_frame(str(path))
        assert csv_cell_text(info, 2)([0])[0] == {"a": "1.50", "b": "x"}, codec


def test_the_class_mix_note_names_the_class_that_moved_either_way():
    from dvclean.augment.evaluate import mix_shift_note

    note = mix_shift_note({"baseline": [0.5] + [0.5 / 9] * 9, "targeted": [0.44] + [0.56 / 9] * 9},
                          list("abcdefghij"), "macro_f1")
    assert note is not None and "class a 50.0% -> 44.0%" in note and "class b" not in note
    assert mix_shift_note({"baseline": [0.10, 0.90], "targeted": [0.15, 0.85]}, ["a", "b"], "auc") is not None
    assert mix_shift_note({"baseline": [0.10, 0.90], "targeted": [0.14, 0.86]}, ["a", "b"], "auc") is None


# --- the regression user's findings --------------------------------------------------------------------------------

def test_a_constant_prediction_does_not_pass_the_predictability_test():
    from dvclean.diagnostics import target_predictability

    y = np.r_[np.zeros(90), np.arange(1, 11) * 100.0]
    q = target_predictability(np.zeros(100), y)
    assert q["predictable"] is False and q["spearman"] == 0.0 and q["spearman_needed"] < 0.5


def test_zero_inflated_claims_the_features_do_not_predict_are_not_dropped(tmp_path):
    rng = np.random.default_rng(11)
    n = 1000
    x = rng.normal(size=(n, 4))
    nonzero = rng.random(n) < 0.1
    claim = np.where(nonzero, np.round(np.exp(6 + rng.normal(size=n) * 0.5), 2), 0.0)
    path = tmp_path / "claims.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "d": x[:, 3], "claim": claim}).write_csv(path)
    r = runner.invoke(app, ["fix", str(path), "-y", "claim", "--action", "drop", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2, r.output  # (was: exit 0, every non-zero claim dropped)
    assert "not shown to predict the target" in " ".join(r.output.split())
    assert not (tmp_path / "o.csv").exists()


# --- the scale tester's findings -----------------------------------------------------------------------------------

def test_confidence_and_its_flags_fit_the_out_of_fold_models_once(monkeypatch):
    import dvclean.valuation.confidence as conf
    from dvclean import score
    from dvclean.config import ScoreConfig

    built = []
    real = conf.make_model
    monkeypatch.setattr(conf, "make_model", lambda *a, **k: built.append(a[0]) or real(*a, **k))
    monkeypatch.setattr(conf, "_LAST_OOF", None)
    x, y = _two_class_rows(200, seed=8)
    frame = pl.DataFrame({"a": x, "b": np.random.default_rng(8).normal(size=200), "y": y})
    first = score(frame, label="y", config=ScoreConfig(methods=("confidence",)))
    assert built.count("xgboost") == 5, built  # (was 10: the method's folds, then the flags' same folds)
    assert np.allclose(first.frame.get_column("value").to_numpy(), first.frame.get_column("model_label_prob").to_numpy())
    again = score(frame.with_columns(pl.col("a") + 1.0), label="y", config=ScoreConfig(methods=("confidence",)))
    assert built.count("xgboost") == 10 and again.frame.height == 200  # (other rows: fitted anew)


def test_the_classes_line_names_thirty_classes_and_counts_the_rest(tmp_path):
    rng = np.random.default_rng(9)
    y = np.repeat(np.arange(40), 6)
    path = tmp_path / "d.csv"
    pl.DataFrame({"a": rng.normal(size=y.size) + y, "y": [f"c{v:02d}" for v in y]}).write_csv(path)
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "s.csv"), "--mislabel-rule", "knn",
                            "--k", "3"])
    assert r.exit_code == 0, r.output
    line = next(ln for ln in r.output.splitlines() if ln.startswith("classes:"))
    assert "c29: 6" in line and "c30" not in line and "and 10 more (--json lists every class)" in line, line


def test_thread_map_reports_each_task_as_it_is_done_inside_a_window(monkeypatch):
    import threading

    import dvclean.valuation._parallel as par

    monkeypatch.setattr(par, "worker_count", lambda n: 2)
    first_done = threading.Event()
    seen_by_last: list[bool] = []

    def fn(i: int) -> int:
        if i == 4:  # the window's last task waits for the first one's report (before: after the whole window)
            seen_by_last.append(first_done.wait(10))
        return i * i

    done: list[int] = []

    def on_done(i: int) -> None:
        done.append(i)
        if i == 0:
            first_done.set()

    assert list(par.thread_map(fn, 5, 2, on_done=on_done)) == [0, 1, 4, 9, 16]
    assert done == [0, 1, 2, 3, 4] and seen_by_last == [True]


def test_the_kept_out_of_fold_result_is_only_for_named_models_and_numeric_arrays(monkeypatch):
    import dvclean.valuation.confidence as conf

    x = np.random.default_rng(10).normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(np.int64)
    assert conf._oof_key(x, y, 2, "logreg", 5, 0) is not None
    assert conf._oof_key(x, y, 2, "sklearn.linear_model.LogisticRegression", 5, 0) is None  # (may be redefined)
    assert conf._oof_key(x.astype(object), y, 2, "logreg", 5, 0) is None  # (was: TypeError)
    monkeypatch.setattr(conf, "OOF_KEPT_MAX", 10)
    assert conf._oof_key(x, y, 2, "logreg", 5, 0) is None
