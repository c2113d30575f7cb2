"""Session 58: augment's report names the rows the generator learned from."""

from __future__ import annotations

import json
import re

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment
from dvclean.cli import app

from .conftest import needs_sdv
from .test_augment import make_frame

pytestmark = pytest.mark.usefixtures("sdv_home")


def _fast(**kw) -> AugmentConfig:
    return AugmentConfig(generator="gaussian-copula", quality=False, **kw)


@needs_sdv
@pytest.mark.parametrize("target", ["hard", "class:yes", "mislabeled-removed"])
def test_augment_report_lists_the_rows_the_generator_was_trained_on(copula_fits, target):
    df = make_frame(300, noise=0.12)
    r = augment(df, label="label", config=_fast(target=target, hard_fraction=0.2))
    rows = r.report["target"]["row_ids"]
    assert rows == sorted(rows) and len(rows) == r.report["target"]["rows"] == len(copula_fits[0])
    assert all(isinstance(v, int) for v in rows)
    x1 = df.get_column("x1").to_numpy()  # unique values: they identify the rows
    assert set(np.round(x1[rows], 9)) == set(copula_fits[0]["x1"].round(9))
    if target == "hard":  # the lowest-valued rows not flagged mislabeled
        assert not r.scores.is_mislabeled[rows].any()


@needs_sdv
def test_augment_report_names_targeted_rows_by_their_id(tmp_path, copula_fits):
    df = make_frame(240)
    path = tmp_path / "d.csv"
    df.write_csv(path)
    out = tmp_path / "aug.csv"
    res = CliRunner().invoke(app, ["augment", str(path), "-y", "label", "--id", "id", "-g", "gaussian-copula",
                                   "--no-quality", "--seed", "3", "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    ids = doc["target"]["row_ids"]
    assert len(ids) == doc["target"]["rows"] > 0 and all(i.startswith("r") for i in ids)
    fitted = set(copula_fits[0]["x1"].round(9))
    by_id = dict(zip(df.get_column("id").to_list(), df.get_column("x1").round(9).to_list(), strict=True))
    assert {by_id[i] for i in ids} == fitted
    # the report file next to the output holds the same list
    assert json.loads((tmp_path / "aug.augment-report.json").read_text())["target"]["row_ids"] == ids


@pytest.mark.parametrize("metadata", [{"a": 1}, {1: "x"}, ["a"]])
def test_write_table_refuses_metadata_that_is_not_text(tmp_path, metadata):
    from dvclean import write_table

    with pytest.raises(TypeError, match=r"metadata=\.\.\.\) needs a dict of text keys and text values"):
        write_table(pl.DataFrame({"a": [1, 2]}), tmp_path / "t.parquet", metadata=metadata)
    assert not list(tmp_path.iterdir())
    write_table(pl.DataFrame({"a": [1, 2]}), tmp_path / "t.parquet", metadata={"k": "v"})
    assert pl.read_parquet_metadata(tmp_path / "t.parquet")["k"] == "v"


def test_a_float16_label_is_told_apart_without_an_overflow_warning(recwarn):
    from dvclean.table import _continuous

    assert _continuous(pl.Series("y", [0.0, 1.0, 2.0] * 10, dtype=pl.Float16)) == (False, 3)
    assert _continuous(pl.Series("y", np.arange(30) + 0.5, dtype=pl.Float16)) == (True, 30)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_column_of_infinities_is_ignored_as_holding_no_finite_value():
    from dvclean.table import _unused_reason

    assert _unused_reason(pl.Series([float("inf"), float("-inf"), None])) == "no finite value"
    assert _unused_reason(pl.Series([float("nan"), None])) == "empty"
    assert _unused_reason(pl.Series([None, None], dtype=pl.Float64)) == "empty"


def test_relabel_and_drop_say_an_earlier_runs_marks_are_stale():
    from dvclean.config import FixConfig
    from dvclean.fix import ISSUE_COLUMN, fix

    from .test_flags import breast_cancer_noisy

    df, _, _ = breast_cancer_noisy(0)
    marked = fix(df, label="diagnosis", config=FixConfig(action="mark")).frame
    n = int(marked.get_column(ISSUE_COLUMN).is_not_null().sum())
    assert n > 0
    for action in ("relabel", "drop"):
        res = fix(marked, label="diagnosis", config=FixConfig(action=action))
        notes = [t for t in res.summary["notes"] if ISSUE_COLUMN in t]
        assert notes == [f"column {ISSUE_COLUMN!r} holds an earlier `dvclean fix --action mark` run's marks ({n} rows); "
                         f"--action {action} writes it as it was, so it does not say which rows are flagged now: run "
                         "--action mark on the cleaned file to mark them afresh, or remove that column"]
    clean = fix(df, label="diagnosis", config=FixConfig(action="relabel"))
    assert not [t for t in clean.summary["notes"] if ISSUE_COLUMN in t]


@pytest.mark.parametrize(("name", "command"), [("score.json", "score"), ("baseline.json", "augment"),
                                             ("baseline.json.tmp", "fix")])
def test_a_baseline_that_is_another_document_is_never_the_file_the_hint_writes(tmp_path, monkeypatch, name, command):
    from dvclean.check import load_baseline
    from dvclean.errors import InputError

    monkeypatch.chdir(tmp_path)
    path = tmp_path / name
    path.write_text(json.dumps({"command": command, "schema_version": 1}))
    with pytest.raises(InputError) as exc:
        load_baseline(path)
    text = str(exc.value)
    other = "baseline.json" if name == "score.json" else "check-baseline.json"
    assert f"> {other}.tmp && mv {other}.tmp {other}`" in text and f"pass --baseline {other}" in text
    assert f"it is a `dvclean {command} --json` summary, not a" in text
    assert f"mv {name}.tmp" not in text and f"> {name} " not in text
    broken = tmp_path / "main.json"  # (a broken baseline, not another command's summary: re-created where it is)
    broken.write_text("{}")
    with pytest.raises(InputError, match=r"> main\.json\.tmp && mv main\.json\.tmp main\.json`"):
        load_baseline("main.json")


def test_the_baseline_hint_never_writes_over_a_file_already_there(tmp_path, monkeypatch):
    from dvclean.check import load_baseline
    from dvclean.errors import InputError

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.json").write_text(json.dumps({"command": "score"}))
    (tmp_path / "baseline.json").write_text("{}")  # a good baseline of another run, say
    (tmp_path / "check-baseline.json.tmp").write_text("")  # a half-written one
    with pytest.raises(InputError, match=r"> check-baseline-2\.json\.tmp && mv check-baseline-2\.json\.tmp "
                                         r"check-baseline-2\.json` and pass --baseline check-baseline-2\.json"):
        load_baseline("s.json")


def test_identifier_note_judges_a_small_training_set_by_every_row():
    from dvclean.augment.core import IDENTIFIER_MIN_ROWS, identifier_notes

    n = 60
    whole = pl.DataFrame({"note": [f"text {i}" for i in range(n)], "kind": [["a", "b"][i % 2] for i in range(n)],
                          "y": [i % 2 for i in range(n)]})
    small = whole.head(IDENTIFIER_MIN_ROWS - 3)
    notes = identifier_notes(small, "y", whole=whole)
    assert len(notes) == 1 and notes[0].startswith(f"column 'note' has a distinct value in {n} of {n} rows:")
    assert identifier_notes(small, "y") == []  # (no rows beyond the training set: too few to tell)
    big = identifier_notes(whole.head(30), "y", whole=whole)  # enough training rows: judged by them
    assert len(big) == 1 and "in 30 of 30 training rows" in big[0]
    repeated = whole.with_columns(pl.Series("note", [f"text {i % 5}" for i in range(n)]))
    assert identifier_notes(repeated.head(10), "y", whole=repeated) == []


def _tiny_classes(tmp_path):
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=3000, n_features=10, n_informative=8, n_classes=150, n_clusters_per_class=1,
                               class_sep=5, random_state=2)
    keep = np.concatenate([np.flatnonzero(y == c)[:2] for c in range(150)])
    x, y = x[keep], y[keep].astype(object)
    rng = np.random.default_rng(9)
    for i in rng.choice(len(y), 10, replace=False):  # 10 flipped labels
        y[i] = int(rng.choice([c for c in range(150) if c != y[i]]))
    labels = np.array([f"k{v}" for v in y])
    names, counts = np.unique(labels, return_counts=True)
    ok = np.isin(labels, names[counts >= 2])  # (a class of one row is refused)
    df = pl.DataFrame({**{f"f{j}": x[ok, j] for j in range(x.shape[1])}, "y": labels[ok]})
    path = tmp_path / "tiny.csv"
    df.write_csv(path)
    return path, df


@pytest.mark.parametrize("action", ["drop", "relabel"])
def test_fix_refuses_to_erase_classes_or_most_rows_without_force(tmp_path, action):
    path, df = _tiny_classes(tmp_path)
    out = tmp_path / "out.csv"
    args = ["fix", str(path), "-y", "y", "--mislabel-rule", "confidence", "--action", action, "-o", str(out),
            *(["--min-confidence", "0"] if action == "relabel" else [])]
    res = CliRunner().invoke(app, args)
    text = " ".join(res.stderr.split())
    assert res.exit_code == 2 and f"refusing to {action}" in text, res.output
    assert "without a row (" in text and f"pass --force to {action} them anyway" in text
    if action == "drop":
        assert "labelled rows" in text and "more than half" in text
    assert not out.exists() and not list(tmp_path.glob("*.tmp*"))
    res = CliRunner().invoke(app, [*args, "--force", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    class_notes = [n for n in doc["notes"] if n.startswith("class '") or "notes like these" in n]
    emptied = sum(1 for k in doc["classes"].values() if k["before"] and not k["after"])
    assert emptied and len(class_notes) <= 6 and "have notes like these (" in class_notes[-1]
    assert all("has no rows left" in n for n in class_notes[:min(5, emptied)])  # (the emptied classes first)


def test_fix_counts_the_class_notes_it_leaves_out():
    from dvclean.fix import CLASS_NOTES_SHOWN, _class_changes

    before = pl.Series("y", [f"c{i // 4}" for i in range(40)])  # 10 classes of 4 rows
    changed = np.array([i % 4 == 0 for i in range(40)])  # one row of each: 25% lost
    changed[4:8] = True  # c1 emptied
    out = _class_changes(before, before.filter(pl.Series(~changed)), changed, "drop")
    assert len(out["notes"]) == CLASS_NOTES_SHOWN and out["notes"][0].startswith("class 'c1' has no rows left")
    assert out["notes"][-1].startswith("5 other classes have notes like these (5 losing 20% or more of their rows)")
    # a class left with one row also lost a share of its rows: two notes, counted once, shown together
    before = pl.Series("y", [f"c{i // 3}" for i in range(60)])  # 20 classes of 3 rows
    changed = np.array([i % 3 != 2 for i in range(60)])  # each class keeps one row
    notes = _class_changes(before, before.filter(pl.Series(~changed)), changed, "drop")["notes"]
    assert len(notes) <= CLASS_NOTES_SHOWN and notes[0].startswith("class 'c0' is left with a single row")
    assert notes[1].startswith("class 'c0' lost 2 of its 3 rows")
    assert notes[-1].startswith("18 other classes have notes like these (18 left with a single row)")


@pytest.mark.parametrize(("spec", "classes"), [
    ("class:don't know", ("don't know",)), ("hard,class:don't know", ("don't know",)),
    ("class:it's, class:b", ("it's", "b")), ('class:"a,b"', ("a,b",)), ("class:'don\"t'", ('don"t',)),
])
def test_a_quote_inside_a_class_name_is_no_quote(spec, classes):
    from dvclean.augment import parse_target

    assert parse_target(spec).classes == classes


def test_an_unquoted_comma_in_a_class_says_how_to_quote_it():
    from dvclean.augment import parse_target
    from dvclean.errors import ConfigError

    with pytest.raises(ConfigError, match=r"unknown part 'b'.*quoted: class:\"a,b\"\)"):
        parse_target("class:a,b")
    with pytest.raises(ConfigError, match=r"a ' quote is not closed"):
        parse_target("class:'x")


def test_per_class_checks_name_their_class_in_a_field_of_their_own(tmp_path):
    from importlib import resources

    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")
    schema = json.loads(resources.files("dvclean").joinpath("schemas/check.schema.json").read_text(encoding="utf-8"))
    path = tmp_path / "d.csv"
    rng = np.random.default_rng(0)
    y = np.array([" setosa", "setosa ", "a,b"] * 20)
    pl.DataFrame({"x": rng.normal(size=60) + (y == "a,b") * 3, "z": rng.normal(size=60), "y": y}).write_csv(path)
    res = CliRunner().invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled-per-class", "50%", "--json"])
    assert res.exit_code in (0, 1), res.output
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, schema)
    per_class = {c["class"]: c for c in doc["checks"] if c["name"].startswith("mislabeled[")}
    assert set(per_class) == set(doc["summary"]["classes"]) == {" setosa", "setosa ", "a,b"}
    assert all(c["name"] == f"mislabeled[class={k}]" for k, c in per_class.items())
    assert all(c["class"] is None for c in doc["checks"] if not c["name"].startswith("mislabeled["))


def test_settings_note_says_a_setting_the_baseline_did_not_record():
    from dvclean.check import Baseline

    base = Baseline(path="main.json", key="hash", id_column=None, mislabeled=(), hard=(),
                    config={"mislabel": {"rule": "consensus"}, "seed": 0})
    note = base.settings_note({"mislabel": {"rule": "consensus", "oob_max_samples": 20000}, "seed": 0})
    assert "(mislabel.oob_max_samples (not recorded) -> 20000)" in note
    # (a new setting left unset, None, is what the older run did: no note)
    assert base.settings_note({"mislabel": {"rule": "consensus", "oob_max_samples": None}, "seed": 0}) is None
    assert base.settings_note({"mislabel": {"rule": "consensus"}, "seed": 0}) is None


def test_force_from_a_configuration_file_is_said_and_recorded(tmp_path, monkeypatch):
    from .conftest import SAMPLE

    monkeypatch.chdir(tmp_path)
    df = pl.read_csv(SAMPLE).head(400)
    df.write_csv(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text("[fix]\nforce = true\n")
    res = CliRunner().invoke(app, ["fix", "d.csv", "-y", "income", "--action", "drop", "-o", "o.csv", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["force"] is True and doc["notes"][0].startswith("force = true (") and "dvclean.toml" in doc["notes"][0]
    assert "pass --no-force to have those refused" in doc["notes"][0]
    res = CliRunner().invoke(app, ["fix", "d.csv", "-y", "income", "--action", "drop", "-o", "o.csv", "--json",
                                   "--no-force"])
    doc = json.loads(res.stdout)
    assert doc["force"] is False and not [n for n in doc["notes"] if n.startswith("force = true")]


def test_the_erasure_refusal_counts_classes_and_names_expected_noise(tmp_path):
    path, _ = _tiny_classes(tmp_path)
    res = CliRunner().invoke(app, ["fix", str(path), "-y", "y", "--mislabel-rule", "confidence", "--action", "drop",
                                   "-o", str(tmp_path / "o.csv")])
    text = " ".join(res.stderr.split())
    assert res.exit_code == 2 and re.search(r"and \d+ more classes\)", text), text
    res = CliRunner().invoke(app, ["fix", str(path), "-y", "y", "--action", "drop", "--expected-noise", "0.6",
                                   "-o", str(tmp_path / "o.csv")])
    text = " ".join(res.stderr.split())
    assert res.exit_code == 2 and "(--expected-noise 0.6 asks for that many)" in text, text


def test_small_messages_of_session_58(tmp_path):
    from dvclean import score, write_table
    from dvclean.augment import parse_target
    from dvclean.errors import ConfigError, DataValidationError

    with pytest.raises(TypeError, match=r"got the key 1, int;"):
        write_table(pl.DataFrame({"a": [1]}), tmp_path / "m.parquet", metadata={1: "v"})
    with pytest.raises(ConfigError, match=r"quoted: class:\"don't know, maybe\"\)"):
        parse_target("class:'don't know, maybe'")
    frame = pl.DataFrame({"x": [float("inf"), float("-inf")] * 3, "y": ["a", "b"] * 3})
    with pytest.raises(DataValidationError, match=r"every feature column \('x'\) holds no finite value"):
        score(frame, label="y")


def test_approximate_values_whose_sign_follows_the_class_get_a_note():
    from dvclean.config import KNNConfig, ScoreConfig

    from .conftest import SAMPLE

    def score_file(path, algorithm):
        from dvclean import score

        return score(path, label="income", config=ScoreConfig(methods=("knn",), seed=0,
                                                             knn=KNNConfig(algorithm=algorithm)))

    def offset_notes(algorithm: str) -> list[str]:
        r = score_file(SAMPLE, algorithm)
        return [n for n in r.summary["notes"] if n.startswith("the values' sign follows the class")]

    approx = score_file(SAMPLE, "approx")
    values = approx.frame.get_column("value").to_numpy()
    rich = (approx.frame.get_column("label") == ">50K").to_numpy()
    assert (values[rich] < 0).mean() >= 0.99 and (values[~rich] < 0).mean() <= 0.01  # (what the note reads)
    (note,) = offset_notes("approx")
    hard = int(approx.frame.get_column("is_hard").sum())
    assert note.startswith("the values' sign follows the class: 100% of the rows of class '>50K' are valued below 0 "
                           f"and 0% of the others, and {int(approx.frame.filter(pl.col('label') == '>50K')['is_hard'].sum())}"
                           f" of the {hard} hard rows are of it: the approximate KNN-Shapley (above 20,000 rows")
    assert "pass --algorithm exact" in note
    assert offset_notes("exact") == []  # (exact: 135 of 479 '>50K' rows flagged, values of both signs in each class)
