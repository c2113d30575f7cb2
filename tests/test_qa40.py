"""QA round 60, second part (session 40).

* A column filled in only for one class (a ``reason`` written only for the high earners, a closing date only for
  churned customers) gives the label away, yet was not named: the label-copy test skipped columns with missing
  cells, so such a file scored with no flags and a perfect out-of-fold AUROC and passed the gate.
* ``fix --action drop|relabel`` could take every row of a class away with only the generic "lost 100%" note.
* ``fix --action relabel`` counted ``no`` → ``No`` (classes that differ in spelling only) as relabels, with
  nothing to tell them from the relabels of wrong labels.
* A ``check`` baseline hashed a column the scoring ignores as an identifier (a record number distinct in every
  row): an export that numbers its records anew made every flagged row new.
"""
from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app
from dvclean.config import ScoreConfig
from dvclean.diagnostics import label_copy_columns, label_missingness_columns
from dvclean.fix import _class_changes, _respellings

from .test_check import FLIPS, clusters


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_column_filled_in_only_for_one_class_spells_the_label():
    df = pl.DataFrame({"y": ["hi", "lo", "lo", "hi", "lo"], "reason": ["bonus", None, None, "bonus", None],
                       "x": [1, 2, 3, 4, 5]})
    assert label_copy_columns(df, ["reason", "x"], "y") == ["reason"]
    # one cell of another class filled in: no copy any more
    other = df.with_columns(pl.Series("reason", ["bonus", "bonus", None, "bonus", None]))
    assert label_copy_columns(other, ["reason", "x"], "y") == []
    # an empty column spells nothing
    assert label_copy_columns(df.with_columns(pl.lit(None).alias("e")), ["e"], "y") == []


def test_a_column_missing_only_in_one_class_is_named_with_that_class():
    n = 15
    df = pl.DataFrame({"y": list("abc") * 5, "d": [None if i % 3 == 0 else i for i in range(n)],
                       "when": [f"2020-01-{1 + i:02d}" if i % 3 == 0 else None for i in range(n)],
                       "x": [1, None, 3] + [4, 5, 6] * 4})
    assert label_missingness_columns(df, ["d", "when", "x"], "y") == {"d": ("missing", "a"), "when": ("filled in", "a")}
    # unlabelled rows (null, blank text) do not count, and are no class
    more = pl.concat([df, pl.DataFrame({"y": [None, " "], "d": [None, None], "when": ["2020-05-05", None], "x": [1, 2]},
                                       schema=df.schema)])
    assert label_missingness_columns(more, ["d", "when"], "y") == {"d": ("missing", "a"), "when": ("filled in", "a")}
    # two rows of a class missing a reading: maybe chance, no note
    few = pl.DataFrame({"y": ["a"] * 2 + ["b"] * 20, "s": [None, None] + list(range(20))})
    assert label_missingness_columns(few, ["s"], "y") == {}


def test_a_float_label_with_nan_is_read_as_missing_labels():  # (was KeyError: nan, exit 3)
    y = [0.0, 1.0] * 20 + [float("nan")] * 2
    df = pl.DataFrame({"y": y, "s": [None if v == 0.0 else 1.5 * i for i, v in enumerate(y)],
                       "c": [2.0 if v == 1.0 else 3.0 for v in y]})
    assert label_missingness_columns(df, ["s"], "y") == {"s": ("filled in", 1.0)}
    assert label_copy_columns(df, ["c", "s"], "y") == ["c"]  # (the NaN rows' 3.0 is no third pairing)
    rng = np.random.default_rng(0)
    frame = df.with_columns(pl.Series("x", rng.normal(size=df.height)))
    result = dvclean.score(frame, label="y", config=ScoreConfig(methods=("knn",), seed=0))
    assert result.summary["rows"]["label_missing"] == 2


def test_score_notes_a_date_written_only_for_one_class():
    df = clusters(flips=FLIPS).drop("uid")
    closed = [f"2024-01-{1 + i % 28:02d}" if y == "b" else None for i, y in enumerate(df.get_column("y"))]
    result = dvclean.score(df.with_columns(pl.Series("closed", closed)), label="y", config=ScoreConfig(methods=("knn",), seed=0))
    notes = [n for n in result.summary["notes"] if "feature column 'closed'" in n]
    assert len(notes) == 1 and "filled in only in the rows labelled 'b'" in notes[0], result.summary["notes"]
    plain = dvclean.score(df, label="y", config=ScoreConfig(methods=("knn",), seed=0))
    assert not [n for n in plain.summary["notes"] if "gives that class away" in n]


@pytest.mark.parametrize("action", ["drop", "relabel"])
def test_fix_says_when_a_class_is_left_with_no_rows(action):
    before = pl.Series("y", ["a"] * 5 + ["b"] * 3 + ["c"] * 4)
    changed = np.array([False] * 5 + [True] * 3 + [False] * 4)
    after = (before.filter(pl.Series(~changed)) if action == "drop"
             else pl.Series("y", ["a"] * 5 + ["a"] * 3 + ["c"] * 4))
    out = _class_changes(before, after, changed, action)
    assert out["classes"]["b"] == {"before": 3, "after": 0, "lost": 3}
    (note,) = out["notes"]  # (the emptied class, not also the generic "lost 100%")
    verb = "dropped" if action == "drop" else "relabelled"
    assert f"class 'b' has no rows left (all 3 {'were' if action == 'drop' else 'are'} {verb})" in note
    assert "the cleaned file has 2 classes where the input had 3" in note and "refuse" not in note


def test_fix_says_a_two_class_label_left_with_one_class_is_refused_next():
    before = pl.Series("y", ["a"] * 5 + ["b"] * 2)
    changed = np.array([False] * 5 + [True] * 2)
    (note,) = _class_changes(before, before.filter(pl.Series(~changed)), changed, "drop")["notes"]
    assert "1 class where the input had 2, and dvclean score, check and augment refuse a label with one class" in note


def test_respellings_count_case_whitespace_and_number_spellings_only():
    before = pl.Series(["no", "No", "yes ", "0", "no", "yes"])
    after = pl.Series(["No", "No", "yes", "0.0", "yes", "no"])
    assert _respellings(before, after, np.ones(6, bool)) == {("no", "No"): 1, ("yes ", "yes"): 1, ("0", "0.0"): 1}
    assert _respellings(before, after, np.zeros(6, bool)) == {}
    assert _respellings(pl.Series([1, 2]), pl.Series([2, 1]), np.ones(2, bool)) == {}  # numbers: no spellings


def test_fix_relabel_tells_respellings_from_relabels(tmp_path):
    df = clusters(flips=FLIPS).drop("uid")
    # a third of class 'a' written 'A ': a class of its own that no feature tells from 'a'
    y = [("A " if v == "a" and i % 3 == 0 else v) for i, v in enumerate(df.get_column("y"))]
    data = tmp_path / "d.csv"
    df.with_columns(pl.Series("y", y)).write_csv(data)
    args = ["fix", str(data), "--label", "y", "--action", "relabel", "--min-confidence", "0",
            "-o", str(tmp_path / "o.csv"), "--json", "--seed", "0"]
    res = CliRunner().invoke(app, args)  # (session 46: refused, the flags measuring the spelling; --force insists)
    assert res.exit_code == 2 and "respelling of" in flat(res.output), res.output
    res = CliRunner().invoke(app, [*args, "--force"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert 0 < s["respelled"] < s["relabeled"]  # the injected flips are relabels proper
    (note,) = [n for n in s["notes"] if "only change the spelling" in n]
    assert note.startswith(f"{s['respelled']} of the {s['relabeled']} relabelled rows only change the spelling")
    assert "'A ' → 'a'" in note or "'a' → 'A '" in note


def test_a_baseline_does_not_hash_a_record_number_the_scoring_ignores(tmp_path):
    df = clusters(flips=FLIPS)  # uid: distinct in every row, ignored as an identifier without --id
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    df.write_csv(first)
    base = tmp_path / "base.json"
    res = CliRunner().invoke(app, ["check", str(first), "--label", "y", "--json", "--exit-zero", "--seed", "0"])
    assert res.exit_code == 0, res.output
    base.write_text(res.stdout)
    doc = json.loads(res.stdout)
    assert doc["flagged"]["hash_columns"] == ["f1", "f2", "y"], doc["flagged"]
    assert doc["flagged"]["mislabeled"]
    # the next export numbers the records anew and lists them in another order
    renum = df.with_columns(pl.Series("uid", [f"r{i:05d}" for i in range(df.height)][::-1])).reverse()
    renum.write_csv(second)
    res = CliRunner().invoke(app, ["check", str(second), "--label", "y", "--json", "--seed", "0", "--baseline",
                                   str(base), "--max-new-mislabeled", "0"])
    assert res.exit_code == 0, flat(res.output)
    assert json.loads(res.stdout)["baseline"]["new_mislabeled"] == 0


@pytest.mark.parametrize(("excluded", "expected"), [
    (452, "452 flagged mislabeled (not used for training)"),
    (15, "452 flagged mislabeled, 15 of them in the targeted class (kept out of training)"),
    (0, "452 flagged mislabeled, none of them in the targeted class (kept out of training)"),
])
def test_augment_summary_counts_the_flagged_rows_a_class_target_kept_out(excluded, expected):
    from dvclean.cli.augment_cmd import _mislabeled_use

    report = {"scores": {"mislabeled": 452}, "config": {"include_mislabeled": False},
              "target": {"spec": "hard,class:>50K", "mislabeled_rows_used": 0, "mislabeled_rows_excluded": excluded}}
    assert _mislabeled_use(report) == expected


def test_a_validation_label_spelled_another_way_is_named_with_its_class():
    from dvclean.errors import DataValidationError

    rng = np.random.default_rng(0)
    classes = [str(c) for c in range(12)]
    df = pl.DataFrame({"x": rng.normal(size=120), "y": classes * 10})
    valid = pl.DataFrame({"x": [0.1, 0.2], "y": ["3", "09"]})
    with pytest.raises(DataValidationError) as e:
        dvclean.score(df, label="y", valid=valid, config=ScoreConfig(methods=("knn",), seed=0))
    msg = flat(str(e.value))
    assert "validation label '09' (validation row 1)" in msg and "... (12 classes)" in msg
    assert "differs from the class '9' only in how it is written" in msg
    with pytest.raises(DataValidationError) as e:
        dvclean.score(df, label="y", valid=valid.with_columns(pl.Series("y", ["3", "x"])),
                      config=ScoreConfig(methods=("knn",), seed=0))
    assert "fix the label or add rows of that class" in str(e.value)


def test_a_thin_valuation_split_is_named_with_the_rounds_and_the_intervals_past_the_range():
    from dvclean.augment.evaluate import thin_valuation_note

    arms = {"baseline": {"boosting_rounds": [1, 2, 1], "auc": {"mean": 0.888, "ci95": 0.391}},
            "targeted": {"boosting_rounds": [1, 1, 40], "auc": {"mean": 0.7, "ci95": 0.2}}}
    note = thin_valuation_note({"<=50K": 180, ">50K": 4}, arms, "auc", 2000)
    assert "fewer than 5 rows of class '>50K' (4 rows); the models' early stopping" in note
    assert "stopped after a median of 1 of up to 2000 rounds" in note
    assert "the auc intervals of baseline pass the metric's range [0, 1]" in note and "targeted pass" not in note
    assert thin_valuation_note({"a": 180, "b": 5}, arms, "auc", 2000) is None
    assert thin_valuation_note({"a": 180, "b": 0, "c": 30}, arms, "macro_f1", 2000) is None  # (absent: another note)
    # long training and intervals within the range: the few rows did no harm to say
    fine = {"baseline": {"boosting_rounds": [150, 163, 170, 180], "auc": {"mean": 0.9, "ci95": 0.02}},
            "targeted": {"boosting_rounds": [160], "auc": {"mean": float("nan"), "ci95": float("nan")}}}
    assert thin_valuation_note({"a": 180, "b": 3}, fine, "auc", 2000) is None
    even = {"baseline": {"boosting_rounds": [2, 3, 4, 5], "auc": {"mean": 0.9, "ci95": 0.05}}}
    assert "median of 3.5 of up to" in thin_valuation_note({"a": 180, "b": 3}, even, "auc", 2000)


@pytest.mark.parametrize("flag", [["--json"], ["--format", "json"]])
def test_show_config_with_json_prints_json(tmp_path, monkeypatch, flag):
    (tmp_path / "dvclean.toml").write_text('[check]\nmax-mislabeled = "2%"\n')
    data = tmp_path / "d.csv"
    clusters().write_csv(data)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["check", str(data), "--label", "y", "--show-config", *flag])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["settings"]["max-mislabeled"]["value"] == "2%"
    assert doc["settings"]["max-mislabeled"]["source"].endswith("dvclean.toml [check]")
    assert doc["settings"]["baseline"] == {"value": None, "source": "default"}
    assert doc["files"] and doc["files"][0].endswith("dvclean.toml")


def test_an_error_under_format_github_is_an_error_annotation(tmp_path):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    clusters().write_csv(good)
    clusters().rename({"y": "z"}).write_csv(bad)
    res = CliRunner().invoke(app, ["check", str(bad), "--label", "y", "--format", "github"])
    assert res.exit_code == 2
    (line,) = res.stdout.splitlines()
    assert line.startswith(f"::error file={bad},title=dvclean error::") and "label column 'y' not found" in line
    # a gate of several files: the file that cannot be checked has its own annotation
    res = CliRunner().invoke(app, ["check", "--label", "y", "--format", "github", "--seed", "0", str(good), str(bad)])
    assert res.exit_code == 2
    errors = [ln for ln in res.stdout.splitlines() if ln.startswith("::error")]
    assert len(errors) == 1 and errors[0].startswith(f"::error file={bad},title=dvclean error::")
    # the text format prints no workflow command
    res = CliRunner().invoke(app, ["check", str(bad), "--label", "y"])
    assert res.exit_code == 2 and "::error" not in res.stdout


def test_too_few_rows_of_a_tiny_class_does_not_suggest_hard_frac():
    from dvclean.augment import AugmentConfig, parse_target
    from dvclean.augment.core import _check_target_size, target_mask
    from dvclean.errors import AugmentError
    from dvclean.table import make_table

    from .test_augment_qa import rs

    df = pl.DataFrame({"x": np.arange(55.0), "label": ["a"] * 20 + ["b"] * 20 + ["c"] * 3 + ["d"] * 12})
    table = make_table(df, label="label")
    mis = np.zeros(55, bool)
    mis[[41, 43, 44, 45, 46]] = True  # one of the 3 rows of 'c', four of the 12 of 'd'

    def message(spec: str) -> str:
        target, cfg = parse_target(spec), AugmentConfig(target=spec, hard_fraction=0.1)
        with pytest.raises(AugmentError) as err:
            _check_target_size(target_mask(target, table, rs(55, mis), cfg), target, cfg, rs(55, mis), table)
        return flat(str(err.value))

    msg = message("hard,class:c")  # 3 rows in all: neither --hard-frac nor --include-mislabeled selects 10
    assert "the target's class has 3 labelled rows in all, 2 of them not flagged mislabeled, so no --hard-frac" in msg
    assert "include-mislabeled" not in msg and "raise --hard-frac" not in msg, msg
    msg = message("hard,class:d")  # 12 rows, 8 not flagged: --include-mislabeled would select enough
    assert "so no --hard-frac selects enough: pass --include-mislabeled, add rows of it" in msg, msg
    assert "raise --hard-frac" in message("hard,class:b")  # (20 rows: a larger --hard-frac selects more of them)


def test_timestamps_with_and_without_a_utc_offset_get_the_mixed_dates_note():
    rng = np.random.default_rng(0)
    n = 120
    ts = [f"2022-{1 + i % 3:02d}-01" + (f"T{i % 2:02d}:15:00+01:00" if i % 2 else f" {i % 2:02d}:09:00")
          for i in range(n)]  # (few distinct values: a category, not an identifier)
    df = pl.DataFrame({"x": rng.normal(size=n), "ts": ts, "y": ["a", "b"] * (n // 2)})
    result = dvclean.score(df, label="y", config=ScoreConfig(methods=("knn",), seed=0))
    (note,) = [n for n in result.summary["notes"] if n.startswith("column 'ts'")]
    assert "2 spellings (YYYY-MM-DD hh:mm:ss: 60, ISO 8601 with a UTC offset or Z: 60 cells)" in note
    assert "(e.g. every timestamp in UTC, YYYY-MM-DD hh:mm:ss)" in note
    assert "valued as a category, not as dates" in note


def test_a_zero_padded_record_number_read_as_a_number_gets_a_note(tmp_path):
    df = clusters(flips=FLIPS).drop("uid")
    rng = np.random.default_rng(1)
    codes = rng.choice(99_999_999, df.height, replace=False)
    padded, plain = tmp_path / "padded.csv", tmp_path / "plain.csv"
    df.with_columns(pl.Series("mrn", [f"{c:08d}" for c in codes])).write_csv(padded)
    df.with_columns(pl.Series("mrn", codes + 10_000_000)).write_csv(plain)  # (8 digits each: no zeros to pad)
    config = ScoreConfig(methods=("knn",), seed=0)
    notes = dvclean.score(str(padded), label="y", config=config).summary["notes"]
    (note,) = [n for n in notes if n.startswith("feature column 'mrn'")]
    assert "written with leading zeros to one width ('0" in note and "pass it as --id, or --drop it" in note
    assert not [n for n in dvclean.score(str(plain), label="y", config=config).summary["notes"] if "'mrn'" in n]
    # named as the id, it is no feature
    assert not [n for n in dvclean.score(str(padded), label="y", id_column="mrn", config=config).summary["notes"]
                if "leading zeros" in n]


@pytest.mark.parametrize("action", ["drop", "relabel", "mark"])
def test_fix_says_how_many_unlabelled_rows_it_wrote_unchanged(tmp_path, action):
    df = clusters(flips=FLIPS).drop("uid")
    y = df.get_column("y").to_list()
    y[5] = y[70] = None
    data = tmp_path / "d.csv"
    df.with_columns(pl.Series("y", y)).write_csv(data)
    res = CliRunner().invoke(app, ["fix", str(data), "--label", "y", "--action", action, "-o", str(tmp_path / "o.csv"),
                                   "--json", "--seed", "0"])
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["label_missing"] == 2 and "2 rows have no label: not valued or flagged, written unchanged" in s["notes"]
    out = pl.read_csv(tmp_path / "o.csv")
    assert out.get_column("y").null_count() == 2


def test_a_nearer_configuration_file_without_thresholds_is_named(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text('[tool.dvclean.check]\nmax-mislabeled = "2%"\n')
    sub = tmp_path / "data"
    sub.mkdir()
    (sub / "dvclean.toml").write_text("seed = 1\n")
    clusters().write_csv(sub / "d.csv")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["check", str(sub / "d.csv"), "--label", "y", "--json"])
    assert res.exit_code == 0, res.output
    notes = json.loads(res.stdout)["notes"]
    (note,) = [n for n in notes if n.startswith("the configuration file read")]
    assert str(sub / "dvclean.toml") in note and "sets no thresholds; if a file further up" in note
    # a file passed with --config is the one meant: no such note
    res = CliRunner().invoke(app, ["check", str(sub / "d.csv"), "--label", "y", "--json", "--config",
                                   str(sub / "dvclean.toml")])
    assert not [n for n in json.loads(res.stdout)["notes"] if n.startswith("the configuration file")]
    # with no configuration file at all, the plain note alone
    (sub / "dvclean.toml").unlink()
    (tmp_path / "pyproject.toml").unlink()
    res = CliRunner().invoke(app, ["check", str(sub / "d.csv"), "--label", "y", "--json"])
    assert not [n for n in json.loads(res.stdout)["notes"] if n.startswith("the configuration file")]


def test_a_typed_files_text_column_of_plain_numbers_gets_a_note(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    df = pl.DataFrame({"amount": [f"{v:.2f}" for v in rng.normal(100, 20, 200)], "zip": [f"0{i:04d}" for i in range(200)],
                       "order_no": [str(10_000 + 7 * i) for i in range(200)], "x": x, "y": np.where(x > 0, "a", "b")})
    df.write_parquet(tmp_path / "t.parquet")
    notes = dvclean.score(str(tmp_path / "t.parquet"), label="y",
                          config=ScoreConfig(methods=("knn",), seed=0)).summary["notes"]
    (note,) = [n for n in notes if n.startswith("column 'amount' is stored as text")]
    assert "yet every cell is a plain number" in note and "store it as a number type" in note
    assert not [n for n in notes if n.startswith("column 'zip' is stored as text")]  # (leading zeros: a code)
    assert not [n for n in notes if n.startswith("column 'order_no' is stored as text")]  # (an identifier's numbers)
    # a CSV's column of numbers is typed by the reader: no note
    df.write_csv(tmp_path / "t.csv")
    notes = dvclean.score(str(tmp_path / "t.csv"), label="y", config=ScoreConfig(methods=("knn",), seed=0)).summary["notes"]
    assert not [n for n in notes if "is stored as text" in n]


def test_an_error_gets_its_annotation_under_github_actions_and_a_configured_format(tmp_path, monkeypatch):
    bad = tmp_path / "bad.csv"
    clusters().rename({"y": "z"}).write_csv(bad)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    res = CliRunner().invoke(app, ["check", str(bad), "--label", "y"])
    assert res.exit_code == 2 and res.stdout.startswith(f"::error file={bad},title=dvclean error::")
    res = CliRunner().invoke(app, ["check", str(bad), "--label", "y", "--json"])  # (json asked for: no annotation)
    assert res.exit_code == 2 and "::error" not in res.stdout
    monkeypatch.setenv("GITHUB_ACTIONS", "")
    (tmp_path / "c.toml").write_text('[check]\nformat = "github"\n')
    res = CliRunner().invoke(app, ["check", str(bad), "--label", "y", "--config", str(tmp_path / "c.toml")])
    assert res.exit_code == 2 and res.stdout.startswith("::error file=")
    res = CliRunner().invoke(app, ["score", str(bad), "--label", "y", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and "::error" not in res.stdout  # (score has no github format)


def test_row_hashes_match_a_decimal_or_zoned_copy_of_the_same_values():
    import datetime as dt
    from decimal import Decimal

    from dvclean.check import row_hashes

    plain = pl.DataFrame({"a": [50000.0, 1.5, None], "t": [dt.datetime(2024, 1, 2, 2, 0, tzinfo=dt.UTC)] * 3,
                          "y": ["p", "q", "p"]})
    dec = plain.with_columns(pl.Series("a", [Decimal("50000.00"), Decimal("1.50"), None], dtype=pl.Decimal(12, 2)),
                             pl.col("t").dt.convert_time_zone("Europe/Berlin"))
    assert row_hashes(plain, [0, 1, 2]) == row_hashes(dec, [0, 1, 2])
    assert row_hashes(plain, [0]) != row_hashes(plain.with_columns(pl.lit(50000.5).alias("a")), [0])


def test_a_class_merged_into_its_other_spelling_is_not_called_emptied_or_lost():
    before = pl.Series("y", ["<=50K"] * 8 + ["<=50k"] * 3 + [">50K"] * 5)
    after = pl.Series("y", ["<=50K"] * 11 + [">50K"] * 4 + ["<=50K"])
    changed = np.array([False] * 8 + [True] * 3 + [False] * 4 + [True])
    respelled = _respellings(before, after, changed)
    assert respelled == {("<=50k", "<=50K"): 3}
    from dvclean.fix import _respelled_rows

    out = _class_changes(before, after, changed, "relabel", _respelled_rows(before, after, changed))
    assert out["classes"]["<=50k"] == {"before": 3, "after": 0, "lost": 3}
    assert not [n for n in out["notes"] if "'<=50k'" in n]  # (merged: the respelling note says so)
    # a class losing rows to respelling and to relabels: only the relabels count as lost
    before2 = pl.Series("y", ["no"] * 10 + ["No"] * 10 + ["yes"] * 10)
    after2 = pl.Series("y", ["No"] * 3 + ["yes"] * 1 + ["no"] * 6 + ["No"] * 10 + ["yes"] * 10)
    changed2 = np.array([True] * 4 + [False] * 26)
    notes = _class_changes(before2, after2, changed2, "relabel", _respelled_rows(before2, after2, changed2))["notes"]
    assert not notes  # (1 of 10 relabelled: under the 20% note; the 3 respelled are no loss)


def test_many_flags_on_a_float_label_of_many_rounded_values_suggest_regression():
    from dvclean.pipeline import _quantity_hint

    prices = pl.Series("price", [25_000.0 * (i % 40) for i in range(400)])
    assert "the label holds 40 different numbers: if it is a quantity (a count, an age, a score, a price), value it " \
           "with --task regression" in _quantity_hint(prices, 40)
    assert "40 different whole numbers" in _quantity_hint(prices.cast(pl.Int64), 40)
    assert _quantity_hint(pl.Series(["a"] * 40), 40) == "" and _quantity_hint(prices, 5) == ""


def test_fix_refuses_to_drop_the_long_tail_of_a_skewed_target(tmp_path):
    from sklearn.datasets import make_regression

    rng = np.random.default_rng(0)
    x, _ = make_regression(n_samples=1500, n_features=6, noise=0, random_state=2)
    # clean, multiplicative noise that the features explain little of (session 45: exp(0.8 x0 + 0.3 x1 + 0.3 noise), well
    # predicted, is measured as log ratios to its predictions and its tail is no longer flagged)
    price = np.exp(1 + x[:, 0] * 0.1 + x[:, 1] * 0.1 + rng.normal(0, 0.7, 1500)) * 100_000
    data = tmp_path / "prices.csv"
    pl.DataFrame({f"x{i}": x[:, i] for i in range(6)}).with_columns(pl.Series("price", price)).write_csv(data)
    out = tmp_path / "o.csv"
    res = CliRunner().invoke(app, ["fix", str(data), "--label", "price", "--action", "drop", "-o", str(out), "--seed", "0"])
    assert res.exit_code == 2 and not out.exists(), res.output
    assert "refusing to drop" in flat(res.output) and "value the logarithm of the target" in flat(res.output)
    res = CliRunner().invoke(app, ["fix", str(data), "--label", "price", "--action", "mark", "-o", str(out), "--seed", "0"])
    assert res.exit_code == 0, res.output  # (marking changes no row)
    res = CliRunner().invoke(app, ["fix", str(data), "--label", "price", "--action", "drop", "-o", str(out), "--seed", "0",
                                   "--force"])
    assert res.exit_code == 0 and pl.read_csv(out).height < 1500
    # the log target: no skew, no refusal
    log_data = tmp_path / "log.csv"
    pl.read_csv(data).with_columns(pl.col("price").log()).write_csv(log_data)
    res = CliRunner().invoke(app, ["fix", str(log_data), "--label", "price", "--action", "drop", "-o", str(out), "--seed",
                                   "0"])
    assert res.exit_code == 0, res.output


def test_a_regression_run_names_its_outlier_rule_and_lists_the_predictions_in_json(tmp_path):
    from sklearn.datasets import load_diabetes

    d = load_diabetes()
    y = d.target.copy()
    y[[5, 50, 150]] *= 10
    data = tmp_path / "diab.csv"
    pl.DataFrame(d.data, schema=list(d.feature_names)).with_columns(pl.Series("target", y)).write_csv(data)
    args = ["score", str(data), "--label", "target", "--task", "regression", "--seed", "0"]
    res = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    assert "outlier rule: outlier" in res.output and "mislabel rule" not in res.output
    res = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "s2.csv"), "--json"])
    top = json.loads(res.stdout)["most_suspicious"][0]
    assert top["is_mislabeled"] and top["label"] > 10 * top["predicted_value"] and top["target_z"] > 3.5


def test_an_older_baseline_that_hashed_an_ignored_identifier_is_told_why_nothing_matches(tmp_path):
    from dvclean.check import _row_sample, row_hashes

    df = clusters(flips=FLIPS)
    first = tmp_path / "first.csv"
    df.write_csv(first)
    res = CliRunner().invoke(app, ["check", str(first), "--label", "y", "--json", "--exit-zero", "--seed", "0"])
    doc = json.loads(res.stdout)
    # as a baseline written before the ignored columns were left out: its hashes cover uid
    old = ["f1", "f2", "uid", "y"]
    keys = row_hashes(df, np.arange(df.height), columns=old)
    flagged = doc["flagged"]
    mis_rows = [i for i, k in enumerate(row_hashes(df, np.arange(df.height), columns=flagged["hash_columns"]))
                if k in set(flagged["mislabeled"])]
    flagged.update(hash_columns=old, mislabeled=[keys[i] for i in mis_rows], hard=[], sample=_row_sample(keys, "hash"))
    base = tmp_path / "old.json"
    base.write_text(json.dumps(doc))
    second = tmp_path / "second.csv"
    df.with_columns(pl.Series("uid", [f"r{i:05d}" for i in range(df.height)])).write_csv(second)
    res = CliRunner().invoke(app, ["check", str(second), "--label", "y", "--json", "--exit-zero", "--seed", "0",
                                   "--baseline", str(base)])
    notes = json.loads(res.stdout)["notes"]
    (note,) = [n for n in notes if n.startswith("only 0 of the baseline's")]
    assert "the baseline hashes the 1 column 'uid', which the scoring ignores" in note
