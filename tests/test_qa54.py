"""Session 54: carried items and QA round 96's findings. A configuration file's ``seed = 1e3`` (a TOML float) was
taken as 1000, while ``--seed 1e3`` on the command line is refused: one rule for both."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "adult_2000.csv"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _adult_head(path: Path, n: int = 120) -> Path:
    lines = SAMPLE.read_text().splitlines()
    path.write_text("\n".join(lines[: n + 1]) + "\n")
    return path


@pytest.mark.parametrize(("written", "example"), [("seed = 1e3", "seed = 1000"), ("seed = 1000.5", "seed = 1000"),
                                                  ("k = 5.0", "k = 5"), ("seed = inf", "seed = 1")])
def test_a_configuration_files_float_for_a_whole_number_option_is_refused(tmp_path, written, example):
    data = _adult_head(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text(f'[score]\nlabel = "income"\n{written}\n')
    r = runner.invoke(app, ["score", str(data), "-m", "knn", "-o", str(tmp_path / "s.csv"), "-q",
                            "--config", str(tmp_path / "dvclean.toml")])
    assert r.exit_code == 2, r.output
    text = _flat(r.output)
    assert "whole number" in text and f"e.g. {example})" in text, text
    assert not (tmp_path / "s.csv").exists()


def test_a_configuration_files_whole_number_is_still_taken(tmp_path):
    data = _adult_head(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('[score]\nlabel = "income"\nseed = 1000\nk = 7\n')
    r = runner.invoke(app, ["score", str(data), "-m", "knn", "-o", str(tmp_path / "s.csv"), "-q",
                            "--config", str(tmp_path / "dvclean.toml")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s.csv").exists()


def test_report_names_the_id_column_when_a_renamed_id_was_edited(tmp_path):
    # an --id named like a scores column is written as row_id; an edited one was said to be "not the row numbers"
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, 2))
    data = tmp_path / "d.csv"
    pl.DataFrame({"value": [f"k{i}" for i in range(60)], "x1": x[:, 0], "x2": x[:, 1],
                  "cls": np.where(x[:, 0] > 0, "a", "b")}).write_csv(data)
    scores = tmp_path / "s.csv"
    res = runner.invoke(app, ["score", str(data), "-y", "cls", "--id", "value", "-m", "knn", "-q", "-o", str(scores)])
    assert res.exit_code == 0, res.output
    frame = pl.read_csv(scores)
    assert frame["row_id"][7] == "k7"
    frame.with_columns(pl.when(pl.int_range(pl.len()) == 7).then(pl.lit("k99")).otherwise(pl.col("row_id"))
                       .alias("row_id")).write_csv(scores)
    res = runner.invoke(app, ["report", str(scores), "--data", str(data), "-y", "cls", "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 2, res.output
    text = _flat(res.output)
    assert "is not --data's --id column 'value' in order (at row 7 it holds 'k99' where" in text, text
    assert "holds 'k7')" in text and not (tmp_path / "r.html").exists()


def test_a_named_pandas_index_the_encoder_ignores_gets_no_valued_as_a_feature_note():
    # the notes said both "the pandas index 'pid' is valued as a feature" and "ignored feature columns: pid"
    import numpy as np
    import pandas as pd

    import dvclean

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x1": rng.normal(size=80), "x2": rng.normal(size=80), "y": ["a", "b"] * 40})
    frame.index = pd.Index([f"p{i}" for i in range(80)], name="pid")
    notes = dvclean.score(frame, label="y").summary["notes"]
    assert any("ignored feature columns: pid (a distinct value in every row)" in n for n in notes), notes
    assert not any("the pandas index" in n for n in notes), notes
    frame.index = pd.Index(rng.permutation(80) * 3, name="pid")  # (numbers: valued, so the note stays)
    notes = dvclean.score(frame, label="y").summary["notes"]
    assert any("the pandas index 'pid' is valued as a feature" in n for n in notes), notes


def test_library_paths_expand_the_home_directory(tmp_path, monkeypatch):
    import dvclean
    from dvclean.fix import fix, write_fixed

    monkeypatch.setenv("HOME", str(tmp_path))
    _adult_head(tmp_path / "a.csv")
    before = (tmp_path / "a.csv").read_bytes()
    result = dvclean.score("~/a.csv", label="income")
    assert result.table.source.path == str(tmp_path / "a.csv")
    assert dvclean.write_scores(result, "~/s.csv") == tmp_path / "s.csv" and (tmp_path / "s.csv").exists()
    with pytest.raises(dvclean.errors.OutputError, match="is the input file"):
        dvclean.write_scores(result, "~/a.csv")
    assert write_fixed(fix("~/a.csv", label="income"), "~/f.csv") == tmp_path / "f.csv"
    assert (tmp_path / "a.csv").read_bytes() == before


def test_a_lazy_frame_where_a_frame_is_needed_is_told_to_collect():
    import polars as pl

    import dvclean

    lazy = pl.DataFrame({"x": [1, 2], "y": [0, 1]}).lazy()
    with pytest.raises(TypeError, match=r"collect a LazyFrame first: lf.collect\(\)"):
        dvclean.make_table(lazy, label="y")


def test_results_compare_by_identity_and_hash():
    import polars as pl

    import dvclean

    frame = pl.DataFrame({"x": [0.0, 0.1, 0.2, 0.3, 5.0, 5.1, 5.2, 0.15], "y": [0, 0, 0, 0, 1, 1, 1, 1]})
    a, b = dvclean.score(frame, label="y"), dvclean.score(frame, label="y")
    assert a == a and a != b and b not in [a] and len({a, b, a.table, a.results["knn"]}) == 4
    assert a.frame.equals(b.frame)


# ---------------------------------------------------------------- round 96a (check gate)


def test_a_one_file_check_that_fails_to_run_replaces_an_older_junit_document(tmp_path):
    import xml.etree.ElementTree as ET

    lines = SAMPLE.read_text().splitlines()
    (tmp_path / "t8.csv").write_text("\n".join(lines[:9]) + "\n")
    (tmp_path / "t5.csv").write_text("\n".join(lines[:6]) + "\n")
    junit = tmp_path / "junit.xml"
    res = runner.invoke(app, ["check", str(tmp_path / "t8.csv"), "-y", "income", "--max-mislabeled", "100%",
                              "--junit-xml", str(junit), "-q"])
    assert res.exit_code == 0 and junit.exists(), res.output
    res = runner.invoke(app, ["check", str(tmp_path / "t5.csv"), "-y", "income", "--max-mislabeled", "100%",
                              "--junit-xml", str(junit)])
    assert res.exit_code == 2 and "K=5 is larger than the 4 rows" in _flat(res.output)
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("1", "0", "1")
    case = root.find("testsuite/testcase")
    assert case is not None and case.get("name") == "run"
    assert "K=5 is larger than the 4 rows" in (case.find("error").text or "")
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(("given", "said"), [("-0%", "as 0%; got '-0%'"), ("-0.0%", "as 0%; got '-0.0%'"),
                                             ("1.0", "1.0 is ambiguous: write 1 for one row, or 100% for every row"),
                                             ("1.", "1. is ambiguous"), ("+1.0", "+1.0 is ambiguous"),
                                             ("1e0", "1e0 is ambiguous")])
def test_threshold_spellings_get_advice_that_can_be_followed(tmp_path, given, said):
    data = _adult_head(tmp_path / "d.csv", 40)
    res = runner.invoke(app, ["check", str(data), "-y", "income", f"--max-mislabeled={given}"])
    assert res.exit_code == 2 and said in _flat(res.output), res.output


def test_a_baseline_made_with_other_feature_columns_is_noted_and_a_utf16_baseline_is_read(tmp_path):
    data = _adult_head(tmp_path / "d.csv", 300)
    res = runner.invoke(app, ["check", str(data), "-y", "income", "--drop", "fnlwgt", "--no-baseline", "--json",
                              "--exit-zero", "-q"])
    assert res.exit_code == 0, res.output
    (tmp_path / "b.json").write_text(res.stdout)
    (tmp_path / "b16.json").write_bytes(res.stdout.encode("utf-16"))  # (Windows PowerShell 5's `>`)
    for base in ("b.json", "b16.json"):
        res = runner.invoke(app, ["check", str(data), "-y", "income", "--baseline", str(tmp_path / base),
                                  "--max-new-mislabeled", "100%"])
        assert res.exit_code == 0, res.output
        assert "was made with other feature columns (this run also values 'fnlwgt'" in _flat(res.output)
    res = runner.invoke(app, ["check", str(data), "-y", "income", "--drop", "fnlwgt", "--baseline",
                              str(tmp_path / "b.json"), "--max-new-mislabeled", "0"])
    assert res.exit_code == 0 and "other feature columns" not in res.output, res.output


# ---------------------------------------------------------------- round 96c (wide and odd-shaped data)


def test_a_header_longer_than_64_kib_is_parsed_as_a_short_one(tmp_path):
    # the header checks parsed the first 64 KiB only: past it, doubled quotes stayed in names and duplicates were renamed
    import csv

    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    names = [f"feature_{j:03d}_" + "x" * 240 for j in range(300)]  # (about 75 KB)
    for extra, expect in (([names[1]], "duplicate column name"), (['say "hi"'], None)):
        path = tmp_path / f"wide{len(expect or '')}.csv"
        with path.open("w", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow([*names, *extra, "y"])
            for i in range(40):
                writer.writerow([f"{v:.2f}" for v in rng.normal(i % 2, 1, len(names) + 1)] + [i % 2])
        out = tmp_path / f"{path.stem}.fixed.parquet"
        res = runner.invoke(app, ["fix", str(path), "-y", "y", "--mislabel-rule", "knn", "-q", "-o", str(out)])
        if expect:
            assert res.exit_code == 2 and expect in _flat(res.output), res.output
        else:
            assert res.exit_code == 0, res.output
            assert pl.read_parquet(out).columns[-3:] == ['say "hi"', "y", "dvclean_issue"]


def test_markdown_lists_at_most_fifty_checks_and_classes_and_counts_the_rest(tmp_path):
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    classes = np.repeat(np.arange(70), 3)
    x = rng.normal(size=(classes.size, 2))
    data = tmp_path / "many.csv"
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "cls": [f"c{v}" for v in classes]}).write_csv(data)
    res = runner.invoke(app, ["check", str(data), "-y", "cls", "--max-mislabeled-per-class", "50%", "--format",
                              "markdown", "--mislabel-rule", "knn"])
    assert res.exit_code == 1, res.output
    text = res.stdout
    assert text.count("| mislabeled\\[class=") == 50 and "and 20 more checks (" in text, text
    assert "--json lists every check" in text and "--json lists every class" in text
    assert sum(line.startswith("| c") and line[3].isdigit() for line in text.splitlines()) == 50


def test_notes_cut_a_very_long_class_label(tmp_path):
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(0)
    labels = ["k" * 4000 + "0"] * 2 + ["K" * 4000 + "0"] * 2 + ["b"] * 56
    data = tmp_path / "long.csv"
    pl.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "y": labels}).write_csv(data)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-q", "--json", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    import json

    notes = json.loads(res.stdout)["notes"]
    assert any("stratified folds" in n for n in notes) and any("differ only in case" in n for n in notes), notes
    assert max(len(n) for n in notes) < 1000, [len(n) for n in notes]


# ---------------------------------------------------------------- round 97a (an attack on round 96's changes)


def test_every_input_path_of_the_command_line_expands_the_home_directory(tmp_path, monkeypatch):
    # report crashed (exit 3) on ~/s.parquet; --baseline, --valid and --config named no file
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    _adult_head(tmp_path / "a.csv", 200)
    res = runner.invoke(app, ["score", "~/a.csv", "-y", "income", "-m", "knn", "-q"])
    assert res.exit_code == 0 and (tmp_path / "a.dvclean.parquet").exists(), res.output
    for args in (["report", "~/a.dvclean.parquet", "-q", "-o", "r1.html"],
                 ["report", "a.dvclean.parquet", "--data", "~/a.csv", "-q", "-o", "r2.html"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
    res = runner.invoke(app, ["check", "a.csv", "-y", "income", "--json", "--exit-zero", "-q"])
    (tmp_path / "b.json").write_text(res.stdout)
    (tmp_path / "c.toml").write_text("[score]\nk = 7\n")
    for args in (["check", "a.csv", "-y", "income", "--baseline", "~/b.json", "--max-new-mislabeled", "100%", "-q"],
                 ["score", "a.csv", "-y", "income", "-m", "knn", "--valid", "~/a.csv", "-o", "v.csv", "-q"],
                 ["score", "a.csv", "-y", "income", "-m", "knn", "--config", "~/c.toml", "-o", "c.csv", "-q"]):
        res = runner.invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
    (tmp_path / "~x.csv").write_bytes((tmp_path / "a.csv").read_bytes())  # (no user x: a file of that name)
    res = runner.invoke(app, ["score", "~x.csv", "-y", "income", "-m", "knn", "-q", "-o", "x.csv"])
    assert res.exit_code == 0, res.output


def test_a_one_file_check_that_fails_before_reading_the_data_writes_the_error_document(tmp_path):
    data = _adult_head(tmp_path / "d.csv", 40)
    junit = tmp_path / "j.xml"
    junit.write_text("<testsuites errors='0'/>\n")  # (an older run's)
    res = runner.invoke(app, ["check", str(data), "-y", "income", "--junit-xml", str(junit), "--baseline",
                              str(tmp_path / "nope.json"), "--max-new-hard", "0"])
    assert res.exit_code == 2 and "no such file" in _flat(res.output), res.output
    assert 'name="run"' in junit.read_text() and "nope.json" in junit.read_text()
    before = data.read_bytes()  # a --junit-xml naming the data is refused and nothing is written over it
    res = runner.invoke(app, ["check", str(data), "-y", "income", "--junit-xml", str(data), "--hard-frac", "2"])
    assert res.exit_code == 2 and data.read_bytes() == before


def test_markdown_lists_the_classes_with_the_most_flagged_rows_first_among_failed_checks():
    from dvclean.check import CheckLine
    from dvclean.report.formats import _shown_checks

    def line(name, status, count):
        return CheckLine(name=name, status=status, count=count, total=10, max=None, warn=None, rows=(), option="")

    checks = [line("mislabeled", "fail", 30)] + [line(f"mislabeled[class=c{i}]", "fail", i % 7) for i in range(60)]
    shown, more = _shown_checks(checks, 10)
    assert shown[0].name == "mislabeled" and sorted(c.count for c in shown[1:]) == [5] + [6] * 8
    assert "51 more checks (51 failed)" in more


# ---------------------------------------------------------------- round 98 (an attack on round 97's changes)


def test_several_files_junit_document_is_never_written_over_a_configuration_file_of_a_run_that_failed_first(tmp_path):
    data = _adult_head(tmp_path / "a.csv", 40)
    sub = tmp_path / "sub"
    sub.mkdir()
    _adult_head(sub / "a.csv", 40)
    for text in ('[check]\nbaseline = "main.json"\n', "[check\n"):  # (refused in its run; not even TOML)
        (sub / "dvclean.toml").write_text(text)
        res = runner.invoke(app, ["check", str(data), str(sub / "a.csv"), "-y", "income", "-q", "--junit-xml",
                                  str(sub / "dvclean.toml")])
        assert res.exit_code == 2 and "dvclean never overwrites its input" in _flat(res.output), res.output
        assert (sub / "dvclean.toml").read_text() == text


def test_a_one_file_check_writes_the_error_document_for_option_errors_and_a_bom_baselines_byte_is_counted(tmp_path):
    data = _adult_head(tmp_path / "d.csv", 40)
    junit = tmp_path / "j.xml"
    for args in (["--baseline", ""], ["--baseline", str(tmp_path / "b.json"), "--no-baseline"]):
        junit.write_text("<testsuites errors='0'/>\n")
        res = runner.invoke(app, ["check", str(data), "-y", "income", "--junit-xml", str(junit), *args])
        assert res.exit_code == 2 and 'name="run"' in junit.read_text(), (args, res.output)
    (tmp_path / "bom.json").write_bytes(b'\xef\xbb\xbf{"a": \xff}')
    res = runner.invoke(app, ["check", str(data), "-y", "income", "--baseline", str(tmp_path / "bom.json"),
                              "--max-new-hard", "0"])
    assert res.exit_code == 2 and "is not UTF-8 JSON text (byte 9 cannot be decoded)" in _flat(res.output)
