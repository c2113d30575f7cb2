"""Open items of earlier QA rounds and QA round 27, fixed in session 23, one test each."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _two_class_csv(path, n: int = 120, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pl.DataFrame({"a": rng.normal(size=n) + 2 * y, "b": rng.normal(size=n), "y": y}).write_csv(path)


def test_resume_without_checkpoint_is_a_note_of_the_json_summary(tmp_path):
    # the note was printed only when not --json; a CI job reading the JSON never learnt that nothing was resumed
    _two_class_csv(tmp_path / "d.csv")
    out = tmp_path / "s.parquet"
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-m", "tmc", "--max-permutations", "10",
                            "--resume", "--json", "-o", str(out)])
    assert r.exit_code == 0, r.output
    notes = json.loads(r.stdout)["notes"]
    assert any("no checkpoint" in n and "from scratch" in n for n in notes), notes


def _adult_head(path, start: int, n: int) -> None:
    from pathlib import Path

    lines = (Path(__file__).resolve().parents[1] / "sample_data" / "adult_2000.csv").read_text().splitlines()
    path.write_text("\n".join([lines[0], *lines[start:start + n]]) + "\n")


def test_check_of_several_files_after_a_double_dash(tmp_path):
    # every file's run got ["...", "--", "a.csv", "--", "b.csv"]: the first -- was read as a data file, exit 2
    _adult_head(tmp_path / "a.csv", 1, 100)
    _adult_head(tmp_path / "b.csv", 200, 100)
    r = runner.invoke(app, ["check", "-y", "income", "--max-mislabeled", "50%", "--", str(tmp_path / "a.csv"),
                            str(tmp_path / "b.csv")])
    assert r.exit_code == 0, r.output
    assert r.output.count("PASS:") == 2


def test_step_summary_naming_a_later_file_of_several_is_refused_before_any_write(tmp_path, monkeypatch):
    # the first file's run appended its Markdown to the second file, which was refused only when its turn came
    _adult_head(tmp_path / "a.csv", 1, 100)
    _adult_head(tmp_path / "b.csv", 200, 100)
    before = (tmp_path / "b.csv").read_bytes()
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "b.csv"))
    r = runner.invoke(app, ["check", str(tmp_path / "a.csv"), str(tmp_path / "b.csv"), "-y", "income",
                            "--max-mislabeled", "50%", "--format", "github"])
    assert r.exit_code == 2, r.output
    assert "GITHUB_STEP_SUMMARY" in r.output
    assert (tmp_path / "b.csv").read_bytes() == before


def test_an_output_that_is_also_the_redirected_stdout_is_refused(tmp_path):
    # `--junit-xml same.out > same.out`: the XML was renamed over the file and the printed JSON went nowhere
    import subprocess
    import sys

    _adult_head(tmp_path / "a.csv", 1, 100)
    same = tmp_path / "same.out"
    with same.open("wb") as out:
        p = subprocess.run([sys.executable, "-m", "dvclean", "check", str(tmp_path / "a.csv"), "-y", "income",
                            "--max-mislabeled", "5%", "--json", "--junit-xml", str(same)], stdout=out,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 2, p.stderr
    assert "standard output" in p.stderr and "--junit-xml" in p.stderr
    assert same.read_bytes() == b""


def test_markdown_cells_turn_no_bare_url_into_a_link():
    from dvclean.report.formats import _md_cell

    for text in ("https://phish.example/login", "www.evil.example", "HTTP://X.EXAMPLE", "ftp://h.example/f"):
        cell = _md_cell(text)
        assert "://" not in cell and "www." not in cell.lower()
        assert cell.replace("\u200b", "") == text


def test_a_large_row_count_threshold_is_kept_as_written():
    from dvclean.check import parse_threshold

    t = parse_threshold("99999999999999999999", "max-mislabeled")
    assert t.text == "99999999999999999999" and t.kind == "count"
    assert parse_threshold("20.0", "max-mislabeled").text == "20"


def test_library_writers_refuse_the_validation_file_and_write_report_the_data(tmp_path):
    # write_scores / write_fixed refused only the main input; write_report refused nothing (an HTML over the data)
    import dvclean
    from dvclean.errors import OutputError
    from dvclean.fix import fix, write_fixed
    from dvclean.report import build_report, build_report_from_files, write_report

    _adult_head(tmp_path / "train.csv", 1, 200)
    _adult_head(tmp_path / "val.csv", 300, 80)
    train, val = tmp_path / "train.csv", tmp_path / "val.csv"
    kept = {p: p.read_bytes() for p in (train, val)}
    r = dvclean.score(str(train), label="income", valid=str(val))
    fixed = fix(str(train), label="income", valid=str(val))
    for write in (lambda p: dvclean.write_scores(r, p), lambda p: write_fixed(fixed, p),
                  lambda p: write_report(build_report(r), p)):
        for target in (train, val):
            try:
                write(target)
            except OutputError as exc:
                assert "never overwrites its input" in str(exc)
            else:
                raise AssertionError(f"wrote over {target}")
    scores = tmp_path / "s.parquet"
    dvclean.write_scores(r, scores)
    kept[scores] = scores.read_bytes()
    rep = build_report_from_files(scores, data=train)
    for target in (scores, train):
        try:
            write_report(rep, target)
        except OutputError:
            pass
        else:
            raise AssertionError(f"wrote over {target}")
    assert all(p.read_bytes() == b for p, b in kept.items())
    assert write_report(rep, tmp_path / "r.html").read_text().startswith("<!DOCTYPE html>")


def test_an_ignored_identifier_column_changes_no_flag():
    # a uuid-like column is ignored by the encoder but still entered the row hash that deals the folds and bags
    import dvclean

    df = pl.read_csv(str(__import__("pathlib").Path(__file__).resolve().parents[1] / "sample_data" / "adult_2000.csv"),
                     n_rows=300)
    with_id = df.with_columns(pl.format("r{}", pl.int_range(pl.len())).alias("rid"))
    a = dvclean.score(with_id, label="income")
    b = dvclean.score(with_id, label="income", drop=["rid"])
    for col in ("is_mislabeled", "is_hard", "mislabel_score", "value"):
        assert a.frame.get_column(col).to_list() == b.frame.get_column(col).to_list(), col


def test_make_table_takes_one_drop_name_as_a_name():
    from dvclean.table import make_table

    t = make_table(pl.DataFrame({"age": [1, 2, 3, 4], "x": [1.0, 2.0, 3.0, 5.0], "y": ["a", "b", "a", "b"]}),
                   label="y", drop="age")
    assert t.features == ("x",)


def _swap_names(path_in, path_out, column: str, a: str, b: str) -> None:
    df = pl.read_csv(path_in)
    df.with_columns(pl.col(column).replace_strict({a: b, b: a}, default=pl.col(column))).write_csv(path_out)


def test_swapped_class_names_give_the_same_values_and_flags_for_every_tie_breaking_method(tmp_path):
    # classes were coded by their sorted names, and a tree's 50/50 leaf, DVGS's initial weights per class and a
    # logistic regression at p = 0.5 broke ties by code: oob, dvgs and tmc values moved when the classes were swapped
    rng = np.random.default_rng(5)
    n = 48
    f = np.round(rng.normal(size=n), 1)
    f[: n // 2] = np.repeat(np.arange(n // 4) * 0.5, 2)  # copies of a feature row, one of each class: exact ties
    y = np.where(rng.random(n) < 0.5, "p", "q")
    y[: n // 2] = np.tile(["p", "q"], n // 4)
    pl.DataFrame({"f": f, "g": rng.normal(size=n).round(2), "y": y}).write_csv(tmp_path / "a.csv")
    _swap_names(tmp_path / "a.csv", tmp_path / "b.csv", "y", "p", "q")
    for method, extra in (("oob", []), ("dvgs", ["--epochs", "3", "--folds", "3"]),
                          ("tmc", ["--max-permutations", "20", "--folds", "3"])):
        outs = []
        for name in ("a", "b"):
            out = tmp_path / f"{name}_{method}.parquet"
            r = runner.invoke(app, ["score", str(tmp_path / f"{name}.csv"), "-y", "y", "-m", method, *extra,
                                    "--k", "3", "--seed", "3", "-o", str(out), "-q"])
            assert r.exit_code == 0, r.output
            outs.append(pl.read_parquet(out))
        for col in ("value", "is_hard", "is_mislabeled", "value_rank", "mislabel_score"):
            assert outs[0].get_column(col).to_list() == outs[1].get_column(col).to_list(), (method, col)


def test_f1_metric_gives_the_same_values_whatever_the_classes_are_called(tmp_path):
    # the positive class of a binary F1 was the class whose name sorts second: swapping the names moved the values
    (tmp_path / "d.csv").write_text("f,g,y\n0.11,1.5,a\n0.52,2.25,a\n1.33,0.75,b\n0.27,3.1,b\n2.05,1.05,b\n0.93,0.35,a\n")
    (tmp_path / "v.csv").write_text("f,g,y\n0.5,1.0,a\n1.5,2.0,b\n0.9,1.2,b\n0.2,2.8,a\n1.9,0.5,b\n")
    for part in ("d", "v"):
        _swap_names(tmp_path / f"{part}.csv", tmp_path / f"{part}s.csv", "y", "a", "b")
    values = []
    for suffix in ("", "s"):
        out = tmp_path / f"o{suffix}.parquet"
        r = runner.invoke(app, ["score", str(tmp_path / f"d{suffix}.csv"), "-y", "y", "--valid",
                                str(tmp_path / f"v{suffix}.csv"), "-m", "loo", "--metric", "f1", "--k", "2", "-o",
                                str(out), "-q"])
        assert r.exit_code == 0, r.output
        values.append(pl.read_parquet(out).get_column("value").to_list())
    assert values[0] == values[1]


def test_compiled_knn_kernel_is_exact_for_k_above_the_rows():
    # the numba kernel started the recursion at 1/N, missing min(K, N)/(N K): values summed to 0.58, not U(all) - U(empty)
    from dvclean.valuation.knn import knn_shapley_exact

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(60, 2)), rng.integers(0, 2, 60)
    xv, yv = rng.normal(size=(3, 2)), np.array([0, 1, 1])
    for k in (5, 60, 200):
        a, _ = knn_shapley_exact(x, y, k, x_valid=xv, y_valid=yv, engine="numba")
        b, _ = knn_shapley_exact(x, y, k, x_valid=xv, y_valid=yv, engine="numpy")
        np.testing.assert_allclose(a, b, atol=1e-12)
    # efficiency at K >= N: the values sum to U(all) - U(empty), U(all) = (rows of the validation label) / K
    a, _ = knn_shapley_exact(x, y, 200, x_valid=xv, y_valid=yv, engine="numba")
    assert abs(a.sum() - np.mean([(y == c).sum() / 200 for c in yv])) < 1e-12


def test_regression_target_near_the_float_limit_reports_finite_statistics(tmp_path):
    rng = np.random.default_rng(1)
    n = 120
    x = rng.normal(size=(n, 2))
    t = 2 * x[:, 0] - x[:, 1] + 0.3 * rng.normal(size=n)
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": t * 1e307}).write_csv(tmp_path / "big.csv")
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": t * 1e-300}).write_csv(tmp_path / "tiny.csv")
    for name, scale in (("big", 1e307), ("tiny", 1e-300)):
        out, rep = tmp_path / f"{name}.parquet", tmp_path / f"{name}.html"
        r = runner.invoke(app, ["score", str(tmp_path / f"{name}.csv"), "-y", "y", "-o", str(out), "--report",
                                str(rep), "--json"])
        assert r.exit_code == 0, r.output
        target = json.loads(r.stdout)["target"]
        assert np.isfinite(target["mean"]) and abs(target["mean"] / scale - t.mean()) < 1e-9
        assert abs(target["std"] / scale - t.std(ddof=1)) < 1e-9
        assert rep.read_text().startswith("<!DOCTYPE html>")  # (the chart's span overflowed: exit 3)


def test_decimal_target_is_auto_detected_as_regression(tmp_path):
    rng = np.random.default_rng(4)
    n = 80
    x = rng.normal(size=n)
    pl.DataFrame({"x": x, "y": (3 * x + rng.normal(size=n)).round(4)}).with_columns(
        pl.col("y").cast(pl.Decimal(12, 4))).write_parquet(tmp_path / "d.parquet")
    r = runner.invoke(app, ["score", str(tmp_path / "d.parquet"), "-y", "y", "-o", str(tmp_path / "o.parquet"),
                            "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["task"]["name"] == "regression"


def test_fix_report_records_the_command_line(tmp_path):
    import subprocess
    import sys

    _adult_head(tmp_path / "a.csv", 1, 150)
    rep = tmp_path / "r.html"
    p = subprocess.run([sys.executable, "-m", "dvclean", "fix", str(tmp_path / "a.csv"), "-y", "income", "--action",
                        "mark", "-o", str(tmp_path / "o.csv"), "--report", str(rep), "-q"], capture_output=True,
                       text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "--action mark" in rep.read_text()


def test_augment_json_synthetic_datetimes_are_written_as_the_records_write_them(tmp_path):
    # the precision cut and the column's own style applied to CSV inputs only: JSON got 2021-03-03 01:31:10.122120
    import datetime as dt

    pytest = __import__("pytest")
    pytest.importorskip("sdv")
    rng = np.random.default_rng(4)
    lines = []
    for _ in range(120):
        x = float(rng.normal())
        t = dt.datetime(2021, 1, 1) + dt.timedelta(seconds=int(rng.integers(0, 30_000_000)))
        lines.append(json.dumps({"x": round(x, 3), "ts": t.strftime("%Y-%m-%d %H:%M:%S"), "y": int(x + rng.normal() > 0)}))
    src = tmp_path / "j.ndjson"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o.ndjson"
    r = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "--seed", "1", "-n", "5",
                            "-t", "all", "-q", "-o", str(out)])
    assert r.exit_code == 0, r.output
    synthetic = [json.loads(line) for line in out.read_text().splitlines() if '"dvclean_synthetic":true' in line]
    assert len(synthetic) == 5
    for rec in synthetic:
        assert len(rec["ts"]) == 19 and dt.datetime.strptime(rec["ts"], "%Y-%m-%d %H:%M:%S"), rec


def test_top_level_output_in_a_configuration_file_is_refused(tmp_path):
    # report took a top-level output meant for fix's cleaned copy and wrote its HTML over it
    _adult_head(tmp_path / "d.csv", 1, 120)
    (tmp_path / "dvclean.toml").write_text('label = "income"\noutput = "cleaned.csv"\n')
    r = runner.invoke(app, ["fix", str(tmp_path / "d.csv"), "--action", "mark", "-q"])
    assert r.exit_code == 2
    text = " ".join(r.output.split())
    assert "top-level 'output'" in text and "[fix]" in text and "[score]" in text
    assert not (tmp_path / "cleaned.csv").exists()


def test_config_file_laid_out_as_a_pyproject_under_another_name_is_read(tmp_path):
    _adult_head(tmp_path / "d.csv", 1, 120)
    cfg = tmp_path / "pyproject.ci.toml"
    cfg.write_text('[project]\nname = "x"\n\n[tool.dvclean]\nlabel = "income"\n[tool.dvclean.check]\nmax-mislabeled = "90%"\n')
    r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    cfg.write_text('[check]\nk = 3\n[tool.dvclean]\nlabel = "income"\n')  # a dvclean table outside [tool.dvclean]
    r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "--config", str(cfg)])
    assert r.exit_code == 2 and "outside it ('check')" in " ".join(r.output.split())


def test_config_key_differing_in_case_gets_a_suggestion_and_a_bad_method_names_its_file(tmp_path):
    _adult_head(tmp_path / "d.csv", 1, 120)
    (tmp_path / "dvclean.toml").write_text("K = 3\n")
    r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "income"])
    assert r.exit_code == 2 and "did you mean 'k'?" in r.output
    (tmp_path / "dvclean.toml").write_text('[check]\nmethod = "bogus"\n')
    r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "income"])
    text = " ".join(r.output.split())
    assert r.exit_code == 2 and "unknown method 'bogus'" in text and "dvclean.toml [check]: method = 'bogus'" in text


def test_report_refuses_data_from_stdin_that_is_not_the_scored_file(tmp_path):
    # the sha256 check ran only for regular files: data piped in was paired with another file's scores (exit 0)
    import subprocess
    import sys

    _adult_head(tmp_path / "a.csv", 1, 150)
    other = pl.read_csv(tmp_path / "a.csv")
    other.with_columns(pl.col("age") + 1).write_csv(tmp_path / "b.csv")  # same rows and labels, other features
    scores = tmp_path / "a.parquet"
    r = runner.invoke(app, ["score", str(tmp_path / "a.csv"), "-y", "income", "-o", str(scores), "-q"])
    assert r.exit_code == 0, r.output
    for data, stdin in (("-", tmp_path / "b.csv"), (str(tmp_path / "b.csv"), None)):
        args = [sys.executable, "-m", "dvclean", "report", "-" if stdin is None else str(scores), "--data", data, "-o",
                str(tmp_path / "r.html"), "-q"]
        with open(stdin or scores, "rb") as fh:
            p = subprocess.run(args, stdin=fh, capture_output=True, text=True, timeout=300)
        assert p.returncode == 2 and re.search(r"(was|were) computed on", p.stderr), p.stderr
        assert not (tmp_path / "r.html").exists()


def test_report_of_a_csv_scores_file_keeps_classes_named_like_missing_values(tmp_path):
    rng = np.random.default_rng(7)
    names = ["NA", "None", "ok", "null"]
    y = [names[i % 4] for i in range(160)]
    pl.DataFrame({"a": [rng.normal(i % 4) for i in range(160)], "y": y}).write_csv(tmp_path / "d.csv")
    scores = tmp_path / "d.scores.csv"
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--null-values", "", "-o", str(scores), "-q"])
    assert r.exit_code == 0, r.output
    from dvclean.report import build_report_from_files

    rep = build_report_from_files(scores)
    assert sorted((c["class"], c["rows"]) for c in rep.per_class) == sorted((n, 40) for n in names)


def test_report_shows_float_classes_and_the_configuration_as_written(tmp_path):
    from dvclean.report import build_report_from_files, write_report

    rng = np.random.default_rng(12)
    lab = (np.arange(200) % 2).astype(bool) ^ (rng.random(200) < 0.1)
    x = rng.normal(size=200) + (np.arange(200) % 2)
    pl.DataFrame({"x": x, "grade": np.where(lab, 0.12342, 0.12341)}).write_csv(tmp_path / "f.csv")
    scores = tmp_path / "f.parquet"
    r = runner.invoke(app, ["score", str(tmp_path / "f.csv"), "-y", "grade", "--task", "classification", "-o",
                            str(scores), "-q"])
    assert r.exit_code == 0, r.output
    rep = build_report_from_files(scores, data=tmp_path / "f.csv")
    label_at = rep.top_columns.index("label")
    assert {row[label_at] for row in rep.top_rows} <= {"0.12341", "0.12342"}
    html = write_report(rep, tmp_path / "r.html").read_text()
    assert "0.1234<" not in html
    start = html.index("<pre>")
    assert "\\n" not in html[start:html.index("</pre>", start)] and '\n  &#34;methods&#34;' in html


def test_outputs_with_names_near_the_255_byte_limit_are_written(tmp_path):
    _adult_head(tmp_path / "a.csv", 1, 120)
    for name in ("b" * 250 + ".csv", "é" * 120 + ".csv"):  # 254 and 244 bytes
        out = tmp_path / name
        r = runner.invoke(app, ["fix", str(tmp_path / "a.csv"), "-y", "income", "--action", "mark", "-o", str(out),
                                "-q"])
        assert r.exit_code == 0, r.output
        assert out.exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_checkpoint_through_a_link_is_locked_and_deleted_as_its_target(tmp_path):
    # the lock was <link>.lock, so a run on the target itself was not refused; after success only the link went
    from dvclean.errors import ConfigError
    from dvclean.valuation._checkpoint import Checkpoint

    (tmp_path / "real").mkdir()
    link = tmp_path / "link.ck"
    link.symlink_to(tmp_path / "real" / "target.ck")
    first = Checkpoint(link, resume=True)
    try:
        import subprocess
        import sys

        other = subprocess.run(  # another process: this one's own holds are counted, not refused
            [sys.executable, "-c", "import sys; from dvclean.valuation._checkpoint import Checkpoint\n"
             "try:\n    Checkpoint(sys.argv[1], resume=True)\nexcept Exception as e:\n    print(type(e).__name__, e)",
             str(tmp_path / "real" / "target.ck")], capture_output=True, text=True, timeout=120)
        assert other.stdout.startswith(ConfigError.__name__) and "in use by another running dvclean" in other.stdout
        first._save("tmc", {"n": 1}, {"t": 0}, {"a": np.arange(3)})
        assert (tmp_path / "real" / "target.ck").is_file() and link.is_symlink()
    finally:
        first.remove()
    assert not (tmp_path / "real" / "target.ck").exists()
    assert not list((tmp_path / "real").iterdir())


def test_checkpoint_lock_that_cannot_be_deleted_is_left_without_an_internal_error(tmp_path, monkeypatch):
    # a directory made read-only during the run: unlinking the lock raised PermissionError over the real error (exit 3)
    import pathlib

    from dvclean.valuation._checkpoint import Checkpoint

    ck = Checkpoint(tmp_path / "run.ck", resume=True)
    real_unlink = pathlib.Path.unlink

    def refuse(self, missing_ok=False):
        if self.name.endswith(".lock"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(pathlib.Path, "unlink", refuse)
    ck.release()  # no exception
    assert (tmp_path / "run.ck.lock").exists()


def test_fix_counts_each_class_own_losses_and_nan_labels_as_missing(tmp_path):
    # the note used net counts (92 rows moved each way: no note), and NaN labels were a class that "lost" every row
    from dvclean.fix import _class_changes

    before = pl.Series(["cat"] * 10 + ["dog"] * 10)
    changed = np.zeros(20, dtype=bool)
    changed[[0, 1, 2, 10, 11, 12]] = True  # three rows of each class relabelled to the other
    after = pl.Series(["dog"] * 3 + ["cat"] * 7 + ["cat"] * 3 + ["dog"] * 7)
    out = _class_changes(before, after, changed)
    assert out["classes"] == {"cat": {"before": 10, "after": 10, "lost": 3}, "dog": {"before": 10, "after": 10, "lost": 3}}
    assert len(out["notes"]) == 2 and all("lost 3 of its 10 rows" in n for n in out["notes"])
    nan = pl.Series([0.0, 1.0, float("nan"), 1.0, float("nan")])
    kept = np.array([True, False, True, True, True])
    out = _class_changes(nan, nan.filter(pl.Series(kept)), ~kept)
    assert set(out["classes"]) == {"0.0", "1.0"} and out["classes"]["1.0"] == {"before": 2, "after": 1, "lost": 1}


def test_fix_drop_keeps_a_pandas_range_index_of_the_kept_rows(tmp_path):
    pd = __import__("pytest").importorskip("pandas")
    pytest_ = __import__("pytest")
    pytest_.importorskip("pyarrow")
    rng = np.random.default_rng(0)
    n = 200
    y = rng.integers(0, 2, n)
    y_noisy = np.where(rng.random(n) < 0.1, 1 - y, y)
    df = pd.DataFrame({"a": rng.normal(size=n) + 2 * y, "b": rng.normal(size=n), "y": y_noisy,
                       "rid": [f"r{i:04d}" for i in range(n)]})
    df.index = df.index * 10 + 5
    df.to_parquet(tmp_path / "d.parquet")
    out = tmp_path / "o.parquet"
    r = runner.invoke(app, ["fix", str(tmp_path / "d.parquet"), "-y", "y", "--id", "rid", "--action", "drop", "-o",
                            str(out), "-q"])
    assert r.exit_code == 0, r.output
    a, b = pd.read_parquet(tmp_path / "d.parquet"), pd.read_parquet(out)
    assert 0 < len(b) < len(a) and list(b.columns) == list(a.columns)
    assert (a.loc[b.index, "rid"] == b["rid"]).all()  # every kept row under its own label


def test_report_of_a_parquet_scores_file_warns_of_no_option_the_user_did_not_give(tmp_path, caplog):
    _adult_head(tmp_path / "a.csv", 1, 120)
    scores = tmp_path / "s.parquet"
    assert runner.invoke(app, ["score", str(tmp_path / "a.csv"), "-y", "income", "-o", str(scores), "-q"]).exit_code == 0
    from dvclean.report import build_report_from_files

    with caplog.at_level("WARNING"):
        build_report_from_files(scores)
    assert "--null-values" not in caplog.text


def test_rows_without_any_feature_value_neither_sink_the_predictability_test_nor_take_hard_places(tmp_path):
    # 3,000 featureless rows made the test say "the features do not predict the labels" (fix refused) and sat at the
    # hard cut, leaving 44 rows flagged hard instead of a tenth of the others
    import dvclean

    rng = np.random.default_rng(2)
    n, m = 600, 1500
    x = rng.normal(size=n)
    y = (x > 0).astype(int)
    flip = rng.random(n) < 0.05
    y[flip] = 1 - y[flip]
    frame = pl.DataFrame({"x": [*x.tolist(), *([None] * m)], "z": [*rng.normal(size=n).tolist(), *([None] * m)],
                          "y": [*y.tolist(), *rng.integers(0, 2, m).tolist()]})
    r = dvclean.score(frame, label="y")
    notes = " ".join(r.summary["notes"])
    assert "do not predict" not in notes and "not shown to predict" not in notes
    out = r.frame
    blank = np.arange(n + m) >= n
    hard = out.get_column("is_hard").to_numpy()
    mis = out.get_column("is_mislabeled").to_numpy()
    assert not hard[blank].any() and not mis[blank].any()
    assert hard.sum() == int(0.1 * (~blank & ~mis).sum())  # (rounded down: flags.hard_count)
    frame.write_csv(tmp_path / "d.csv")
    res = runner.invoke(app, ["fix", str(tmp_path / "d.csv"), "-y", "y", "--action", "drop", "-o",
                              str(tmp_path / "o.csv"), "-q"])
    assert res.exit_code == 0, res.output


def test_csv_with_a_field_over_128_kib_still_finds_short_rows_and_keeps_rows_as_written(tmp_path):
    # the csv module's 128 KiB field limit stopped the scan for short rows (a short row was read shifted, exit 0)
    # and the rows' offsets (fix rewrote every row: CRLF to LF, quotes dropped)
    rng = np.random.default_rng(0)
    lines = ["id,x,z,note,y"]
    for i in range(120):
        note = "Q" * 200_000 if i == 2 else '"plain"'
        lines.append(f"{i},{rng.normal():.4f},{rng.normal():.4f},{note},{'a' if i % 2 else 'b'}")
    (tmp_path / "ok.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    short = list(lines)
    short[51] = short[51].split(",", 1)[1]  # line 52 loses its id
    (tmp_path / "short.csv").write_bytes(("\r\n".join(short) + "\r\n").encode())
    r = runner.invoke(app, ["score", str(tmp_path / "short.csv"), "-y", "y", "--id", "id", "-o",
                            str(tmp_path / "s.csv"), "-q"])
    assert r.exit_code == 2 and "line 52 has 4 fields but the header has 5" in " ".join(r.output.split())
    out = tmp_path / "f.csv"
    r = runner.invoke(app, ["fix", str(tmp_path / "ok.csv"), "-y", "y", "--id", "id", "--action", "mark", "-o",
                            str(out), "-q"])
    assert r.exit_code == 0, r.output
    written = out.read_bytes().split(b"\r\n")
    assert all(w.startswith(line.encode() + b",") for w, line in zip(written[1:], lines[1:], strict=False))


def test_fix_with_ids_beyond_int64_and_a_non_ascii_separator(tmp_path):
    rng = np.random.default_rng(1)
    rows = ["id,x,y"] + [f"{12345678901234567890 + i},{rng.normal() + (i % 2):.4f},{'ab'[i % 2]}" for i in range(80)]
    (tmp_path / "big.csv").write_text("\n".join(rows) + "\n")
    r = runner.invoke(app, ["fix", str(tmp_path / "big.csv"), "-y", "y", "--id", "id", "--action", "mark", "-o",
                            str(tmp_path / "o.csv"), "--json"])
    assert r.exit_code == 0, r.output  # polars reads these ids as Int128, which numpy cannot hold (exit 3)
    (tmp_path / "s.csv").write_text("x§y\n1§a\n2§b\n")
    r = runner.invoke(app, ["score", str(tmp_path / "s.csv"), "-y", "y", "--separator", "§", "-o",
                            str(tmp_path / "o.parquet")])
    assert r.exit_code == 2 and "ASCII character" in r.output


def test_label_missing_rows_are_named_by_the_id_column(tmp_path):
    import dvclean

    df = pl.read_csv(str(__import__("pathlib").Path(__file__).resolve().parents[1] / "sample_data" / "adult_2000.csv"),
                     n_rows=150).with_row_index("rid", offset=1000)
    df = df.with_columns(pl.when(pl.col("rid").is_in([1005, 1042])).then(None).otherwise(pl.col("income")).alias("income"))
    r = dvclean.score(df, label="income", id_column="rid")
    assert r.summary["rows"]["label_missing_rows"] == [1005, 1042]


def test_augment_holdout_without_labels_is_refused_and_its_synthetic_rows_left_out(tmp_path):
    # a multi-class holdout with no labelled row crashed after all the work (exit 3); rows an earlier augment made
    # were scored as real holdout rows; a boolean label's classes were spelled True and true in one report
    __import__("pytest").importorskip("sdv")
    _adult_head(tmp_path / "d.csv", 1, 300)
    lines = (tmp_path / "d.csv").read_text().splitlines()
    src = (__import__("pathlib").Path(__file__).resolve().parents[1] / "sample_data" / "adult_2000.csv").read_text()
    hold = src.splitlines()[400:440]
    race = lines[0].split(",").index("race")
    blank = [",".join("" if k == race else v for k, v in enumerate(line.split(","))) for line in hold]
    (tmp_path / "h.csv").write_text("\n".join([lines[0], *blank]) + "\n")
    r = runner.invoke(app, ["augment", str(tmp_path / "d.csv"), "-y", "race", "-g", "gaussian-copula", "--evaluate",
                            "--holdout", str(tmp_path / "h.csv"), "-o", str(tmp_path / "o.csv"), "-q"])
    assert r.exit_code == 2 and "no labelled real rows" in " ".join(r.output.split())
    header = lines[0] + ",dvclean_synthetic"
    marked = [line + (",true" if k % 4 == 0 else ",false") for k, line in enumerate(src.splitlines()[400:520])]
    (tmp_path / "h2.csv").write_text("\n".join([header, *marked]) + "\n")
    rep = tmp_path / "o2.augment-report.json"
    r = runner.invoke(app, ["augment", str(tmp_path / "d.csv"), "-y", "income", "-g", "gaussian-copula", "--evaluate",
                            "--repeats", "2", "--holdout", str(tmp_path / "h2.csv"), "-o", str(tmp_path / "o2.csv"),
                            "-q"])
    assert r.exit_code == 0, r.output
    ev = json.loads(rep.read_text())["evaluation"]
    assert ev["split"]["holdout"] == 90 and any("30 rows with dvclean_synthetic true" in n for n in ev["notes"])
    from dvclean.augment.evaluate import _counts

    assert _counts(np.array([0, 1, 1]), [False, True]) == {"false": 1, "true": 2}


def test_rows_of_a_discrete_cell_see_its_label_mix_among_their_neighbours():
    # the neighbour search broke ties at distance 0 by position, and one label's rows sit together: every row of a
    # cell of 36 a and 4 b had b neighbours only (neighbor_label b everywhere, and the knn rule flagged nothing)
    import dvclean
    from dvclean.config import MislabelConfig

    rows = []
    for x, major, minor in ((0, "a", "b"), (1, "b", "a"), (2, "a", "b"), (3, "b", "a")):
        rows += [(x, major)] * 36 + [(x, minor)] * 4
    frame = pl.DataFrame({"x": [r[0] for r in rows], "y": [r[1] for r in rows]})
    wrong = np.array([y != {0: "a", 1: "b", 2: "a", 3: "b"}[x] for x, y in rows])
    for rule in ("consensus", "knn"):
        out = dvclean.score(frame, label="y", config=dvclean.ScoreConfig(mislabel=MislabelConfig(rule=rule))).frame
        by_cell = out.with_columns(frame.get_column("x")).group_by("x").agg(
            pl.col("neighbor_label").mode().first()).sort("x").get_column("neighbor_label").to_list()
        assert by_cell == ["a", "b", "a", "b"], rule
        flagged = out.get_column("is_mislabeled").to_numpy()
        assert not (flagged & ~wrong).any() and flagged.sum() >= (16 if rule == "consensus" else 1), rule
