"""Open items of earlier QA rounds and QA round 30, fixed in session 24, one test each."""

from __future__ import annotations

import tomllib

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

from .test_qa23 import _two_class_csv

runner = CliRunner()


def test_show_config_is_valid_toml(tmp_path):
    # an unset setting was printed as `key = (unset)`, which no TOML reader accepts
    _two_class_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "--show-config"])
    assert r.exit_code == 0, r.output
    doc = tomllib.loads(r.stdout)
    assert doc["label"] == "y" and doc["k"] == 5 and "max-mislabeled" not in doc
    assert any(line.startswith("# max-mislabeled ") and "(unset)" in line for line in r.stdout.splitlines())


def test_verbose_log_of_a_frame_does_not_say_read_dataframe(caplog):
    # augment -v (which values its training rows as a frame) logged "read <DataFrame> (polars)"
    import logging

    import dvclean

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 60)
    df = pl.DataFrame({"a": rng.normal(size=60) + 2 * y, "y": y})
    with caplog.at_level(logging.INFO, logger="dvclean"):
        dvclean.score(df, label="y")
    text = caplog.text
    assert "<DataFrame>" not in text and "in-memory polars frame: 60 rows x 2 columns" in text, text


def test_a_csv_holdout_of_numeric_class_labels_matches_the_datas_numbers():
    # the data's labels were numbers (a Parquet file), the CSV holdout's the same numbers read as text:
    # "the label '1' is not a class of the data"
    from dvclean.augment import AugmentConfig
    from dvclean.augment.evaluate import plan_evaluation
    from dvclean.errors import DataValidationError
    from dvclean.table import make_table

    def frame(n, seed):
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 2, n)
        return pl.DataFrame({"x1": y * 2.0 + rng.normal(0, 0.9, n), "label": y})

    table = make_table(frame(240, 0), label="label")
    cfg = AugmentConfig(generator="gaussian-copula", quality=False, evaluate=True)
    hold = frame(60, 1)
    plan = plan_evaluation(table, cfg, holdout=hold.with_columns(pl.col("label").cast(pl.String)))
    assert np.array_equal(plan.y_hold, hold["label"].to_numpy())

    with pytest.raises(DataValidationError, match="'one', which is not a class"):  # text that is no number still is
        plan_evaluation(table, cfg, holdout=hold.with_columns(
            pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("one")).otherwise(pl.col("label").cast(pl.String))
            .alias("label")))


def test_a_rare_class_mostly_flagged_gets_a_note():
    # in a 95/5 split with overlapping classes nearly every minority row was flagged, with no word of warning
    import dvclean

    def table(n, minority, seed=0):
        rng = np.random.default_rng(seed)
        y = np.zeros(n, int)
        y[rng.choice(n, minority, replace=False)] = 1
        x = rng.normal(size=(n, 4)) + y[:, None] * 1.0
        return pl.DataFrame({f"x{i}": x[:, i] for i in range(4)}).with_columns(pl.Series("y", y))

    r = dvclean.score(table(600, 30), label="y")
    f = r.frame
    flagged = int((f["is_mislabeled"] | f["is_hard"]).filter(f["label"] == 1).sum())
    notes = [n for n in r.summary["notes"] if n.startswith("rare class")]
    assert flagged >= 15 and len(notes) == 1 and f"1: {flagged} of its 30 rows (5.0% of the data)" in notes[0], notes
    r = dvclean.score(table(600, 300), label="y")  # balanced: no note
    assert not [n for n in r.summary["notes"] if n.startswith("rare class")]


def test_numbers_with_a_plus_sign_are_numbers(tmp_path):
    # the CSV reader leaves "+64" as text; the column was frequency-encoded as a category
    from dvclean.config import FeatureConfig
    from dvclean.table import make_table, prepare

    rng = np.random.default_rng(0)
    v = rng.normal(0, 50, 80)
    text = [f"{int(x):+d}" for x in v]  # (polars reads "+1.5" as a number, "+64" as text)
    df = pl.DataFrame({"a": text, "b": rng.normal(size=80), "y": rng.integers(0, 2, 80)})
    src = tmp_path / "d.csv"
    df.write_csv(src)
    import dvclean

    frame, _ = dvclean.read_frame(src)
    assert frame.schema["a"] == pl.String  # (what the reader gives)
    data, encoder, _ = prepare(make_table(frame, label="y"), config=FeatureConfig())
    plan = {p.name: p for p in encoder.plans_}["a"]
    assert plan.kind == "numeric", plan
    # every value with a + (calling codes, +1 ... +998) is text, as declared
    codes = pl.DataFrame({"cc": [f"+{c}" for c in rng.choice([1, 7, 33, 44, 49, 81, 86, 91, 234, 998] * 3, 80)],
                          "b": rng.normal(size=80), "y": rng.integers(0, 2, 80)})
    _, encoder, _ = prepare(make_table(codes, label="y"), config=FeatureConfig())
    assert {p.name: p for p in encoder.plans_}["cc"].kind != "numeric"


def test_a_bare_quote_in_an_unquoted_field_names_its_line(tmp_path):
    # the message was the CSV reader's "expected 0 rows, actual 3 rows, in chunk starting at row_offset 1"
    src = tmp_path / "q.csv"
    src.write_text('a,b,y\n1,"2 ""x"" 3",x\n3,"4\nmore",y\n5,6 "in,x\n7,8,y\n', encoding="utf-8")
    r = runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(tmp_path / "o.csv")])
    assert r.exit_code == 2, r.output
    msg = " ".join(r.stderr.split())
    assert "line 5: field 2 ('6 \"in') holds a quote character but is not itself quoted" in msg, msg
    assert not (tmp_path / "o.csv").exists()


def _id_named_value(path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 120)
    pl.DataFrame({"value": np.arange(1000, 1120), "a": rng.normal(size=120) + 2 * y, "b": rng.normal(size=120),
                  "y": y}).write_csv(path)


def test_augment_scores_of_an_id_written_as_row_id_are_accepted(tmp_path):
    # `score --id value` writes the ids as row_id (the scores have their own `value`); augment --scores compared
    # the data's ids with the scores' values and said "re-run dvclean score with the same --id"
    import dvclean
    from dvclean.augment.core import _check_score_ids
    from dvclean.errors import ConfigError

    _id_named_value(tmp_path / "d.csv")
    r = dvclean.score(str(tmp_path / "d.csv"), label="y", id_column="value")
    assert r.frame.columns[0] == "row_id"
    _check_score_ids(r.frame, r.table, "s.csv")  # accepted
    plain = dvclean.score(str(tmp_path / "d.csv"), label="y", drop=["value"])  # scored without --id

    with pytest.raises(ConfigError, match="computed without --id"):
        _check_score_ids(plain.frame, r.table, "s.csv")


def test_fix_and_check_do_not_say_the_id_is_renamed_in_scores_they_do_not_write(tmp_path):
    import json

    _id_named_value(tmp_path / "d.csv")
    fx = runner.invoke(app, ["fix", str(tmp_path / "d.csv"), "-y", "y", "--id", "value", "--action", "mark",
                             "-o", str(tmp_path / "m.csv"), "--json"])
    assert fx.exit_code == 0, fx.output
    assert not [n for n in json.loads(fx.stdout)["notes"] if "written as" in n]
    assert "value" in pl.read_csv(tmp_path / "m.csv").columns
    ck = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "-y", "y", "--id", "value", "--json"])
    assert ck.exit_code in (0, 1), ck.output
    assert not [n for n in json.loads(ck.stdout)["notes"] if "written as" in n]
    sc = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--id", "value", "-o",
                             str(tmp_path / "s.csv"), "--json"])  # (score writes them: its notes keep it)
    assert sc.exit_code == 0 and [n for n in json.loads(sc.stdout)["notes"] if "is written as 'row_id'" in n]


def test_fix_json_lists_every_flagged_and_changed_row(tmp_path):
    # both lists stopped at 100 rows, with no word that they did
    import json

    rng = np.random.default_rng(0)
    n = 1500
    y = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + 3 * y[:, None]
    noisy = np.where(rng.random(n) < 0.15, 1 - y, y)
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": noisy}).write_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["fix", str(tmp_path / "d.csv"), "-y", "y", "--action", "drop", "-o",
                            str(tmp_path / "o.csv"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["flagged"] > 100 and len(doc["flagged_rows"]) == doc["flagged"]
    assert len(doc["changed_rows"]) == doc["changed"] == doc["flagged"]
    kept = pl.read_csv(tmp_path / "o.csv").height
    assert kept == n - len(set(doc["changed_rows"]))


def test_the_time_unit_of_a_datetime_column_does_not_move_the_flags():
    # pandas writes datetime64[ns]; fix's CSV of it reads back as microseconds; the row hash took the instants'
    # text, so the folds were dealt anew and 1 mislabeled and 2 hard flags moved between the file and its fix output
    import datetime as dt

    import dvclean

    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=n)
    y = (x + rng.normal(scale=0.5, size=n) > 0).astype(int)
    ts = pl.datetime_range(dt.datetime(2021, 3, 1), dt.datetime(2021, 3, 1) + dt.timedelta(minutes=n - 1), "1m",
                           eager=True, time_unit="ns")
    dur = pl.Series([dt.timedelta(seconds=int(s)) for s in rng.integers(0, 10_000, n)]).cast(pl.Duration("ns"))
    base = pl.DataFrame({"x": x, "ts": ts, "d": dur, "y": y})
    runs = [dvclean.score(base.with_columns(pl.col("ts").cast(pl.Datetime(u)), pl.col("d").cast(pl.Duration(u))),
                          label="y").frame for u in ("ns", "us", "ms")]
    for other in runs[1:]:
        for c in ("value", "is_mislabeled", "is_hard", "mislabel_score"):
            assert runs[0][c].equals(other[c]), c


def test_a_json_record_with_a_repeated_key_is_refused(tmp_path):
    # the reader kept the first "x" (1.5 cut to 1 by the column's integer type) and fix wrote records without the other
    src = tmp_path / "d.json"
    src.write_text('[{"x":1,"x":5,"y":0},{"x":2,"x":6,"y":0},{"x":3,"x":7,"y":1},{"x":4,"x":8,"y":1}]', encoding="utf-8")
    lines = tmp_path / "d.ndjson"
    lines.write_text('{"x":1,"y":0}\n\n{"x":2,"s":{"a":[{"d":1,"d":2}]},"y":1}\n', encoding="utf-8")
    for path, record, key in ((src, 1, "x"), (lines, 2, "d")):
        r = runner.invoke(app, ["fix", str(path), "-y", "y", "-o", str(tmp_path / f"o{path.suffix}")])
        assert r.exit_code == 2, r.output
        assert f"record {record} (row {record - 1}, as dvclean numbers rows from 0) holds the key {key!r} twice" in " ".join(r.stderr.split())
        assert not list(tmp_path.glob("o.*"))


def test_a_column_without_a_name_is_refused_in_every_format(tmp_path):
    # a Parquet column named "" was valued; augment then failed (exit 3) after all its work, fix wrote a CSV header
    # that dvclean itself refuses

    import dvclean
    from dvclean.errors import DataValidationError

    rng = np.random.default_rng(0)
    df = pl.DataFrame({"x": rng.normal(size=40), "": rng.normal(size=40), "y": rng.integers(0, 2, 40)})
    df.write_parquet(tmp_path / "d.parquet")
    df.write_ndjson(tmp_path / "d.ndjson")
    for name in ("d.parquet", "d.ndjson"):
        r = runner.invoke(app, ["fix", str(tmp_path / name), "-y", "y", "-o", str(tmp_path / "o.csv")])
        assert r.exit_code == 2, r.output
        assert "column 2 ('') has no name" in " ".join(r.stderr.split())
    with pytest.raises(DataValidationError, match="column 2 .* has no name"):
        dvclean.score(df, label="y")


def test_augments_hard_rows_are_scores_is_hard(tmp_path):
    # augment drew its own hard set: rows without any feature value among them (the generator invented features
    # for a class no real row has features of), and ties of equal values broken by input order only
    import dvclean
    from dvclean.augment import AugmentConfig
    from dvclean.augment.core import _row_scores, parse_target, target_mask

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    ghost = pl.DataFrame({"f0": [None] * 3, "f1": [None] * 3, "f2": [None] * 3, "y": ["z"] * 3},
                         schema={"f0": pl.Float64, "f1": pl.Float64, "f2": pl.Float64, "y": pl.String})
    df = pl.concat([pl.DataFrame({"f0": x[:, 0], "f1": x[:, 1], "f2": x[:, 2],
                                  "y": np.where(x[:, 0] > 0, "a", "b")}), ghost])
    r = dvclean.score(df, label="y")
    got = target_mask(parse_target("hard"), r.table, _row_scores(r.frame, "x"), AugmentConfig())
    want = r.frame.sort("row_id")["is_hard"].to_numpy()
    assert not got[200:].any()
    assert np.array_equal(got, want), (np.flatnonzero(got != want))
    # a constant column (which the encoder ignores) does not make the blank rows less blank
    df = df.with_columns(pl.lit("web").alias("src"))
    # ... nor does a column that varies in unlabelled rows only (the encoder learns from the labelled ones)
    unlabelled = pl.DataFrame({"f0": rng.normal(size=30), "f1": rng.normal(size=30), "f2": rng.normal(size=30),
                               "y": [None] * 30, "src": ["app", "api"] * 15},
                              schema={"f0": pl.Float64, "f1": pl.Float64, "f2": pl.Float64, "y": pl.String,
                                      "src": pl.String})
    df = pl.concat([df, unlabelled])
    r = dvclean.score(df, label="y")
    got = target_mask(parse_target("hard"), r.table, _row_scores(r.frame, "x"), AugmentConfig())
    assert np.array_equal(got, r.frame.sort("row_id")["is_hard"].fill_null(False).to_numpy().astype(bool))
    assert not got[200:203].any()


def test_fix_json_spells_classes_as_score_does(tmp_path):
    # fix's per-class keys were Python's str(): "True"/"False" where score and check say "true"/"false"
    import json

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    pl.DataFrame({"f0": x[:, 0], "f1": x[:, 1], "y": x[:, 0] + 0.3 * x[:, 1] > 0}).write_parquet(tmp_path / "b.parquet")
    fx = runner.invoke(app, ["fix", str(tmp_path / "b.parquet"), "-y", "y", "--action", "drop", "-o",
                             str(tmp_path / "o.parquet"), "--json"])
    sc = runner.invoke(app, ["score", str(tmp_path / "b.parquet"), "-y", "y", "-o", str(tmp_path / "s.parquet"),
                             "--json"])
    assert fx.exit_code == 0 and sc.exit_code == 0, fx.output + sc.output
    assert sorted(json.loads(fx.stdout)["classes"]) == sorted(json.loads(sc.stdout)["classes"]) == ["false", "true"]


def test_labels_in_two_unicode_forms_get_the_spelling_note():
    # 'café' composed and decomposed were four classes printed as two, without a word
    import unicodedata

    import dvclean

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = np.where(x[:, 0] > 0, "café", "thé").astype(object)
    y[:8] = [unicodedata.normalize("NFD", v) for v in y[:8]]
    r = dvclean.score(pl.DataFrame({"f0": x[:, 0], "f1": x[:, 1], "y": y.tolist()}), label="y")
    notes = [n for n in r.summary["notes"] if "Unicode form" in n]
    assert len(notes) == 2 and any("'caf\\xe9'" in n and "'cafe\\u0301'" in n for n in notes), notes


def test_show_config_refuses_what_the_run_would_refuse(tmp_path):
    # --show-config printed k = 0 and hard-frac = 5 as the effective settings (exit 0); the run then exited 2
    _two_class_csv(tmp_path / "d.csv")
    for line, option in (("k = 0", "--k"), ("hard-frac = 5", "--hard-frac")):
        (tmp_path / "dvclean.toml").write_text(f'label = "y"\n{line}\n', encoding="utf-8")
        r = runner.invoke(app, ["check", str(tmp_path / "d.csv"), "--show-config"])
        assert r.exit_code == 2 and f"for {option}" in r.stderr and "dvclean.toml" in r.stderr, r.output


def test_no_resume_is_never_refused(tmp_path):
    # the documented way to switch off a file's `resume = true` was refused on a knn run ("drop --resume")
    _two_class_csv(tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('label = "y"\n[score]\nresume = true\n', encoding="utf-8")
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "--no-resume", "-o", str(tmp_path / "s.parquet")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "--resume", "-o", str(tmp_path / "t.parquet")])
    assert r.exit_code == 2 and "--resume applies to tmc and dvgs only" in r.stderr


def test_a_utf8_file_read_as_utf16_is_named_as_such(tmp_path):
    # decoded as UTF-16 the file became one line of CJK characters: "a header but no data rows; add data rows"
    _two_class_csv(tmp_path / "d.csv")
    for enc in ("utf-16", "utf-32-le"):
        r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--encoding", enc,
                                "-o", str(tmp_path / "s.parquet")])
        assert r.exit_code == 2 and f"is not {enc} text" in " ".join(r.stderr.split()), r.output
    text = (tmp_path / "d.csv").read_text(encoding="utf-8")
    (tmp_path / "w.csv").write_text(text, encoding="utf-16")
    r = runner.invoke(app, ["score", str(tmp_path / "w.csv"), "-y", "y", "--encoding", "utf-16",
                            "-o", str(tmp_path / "w.parquet")])
    assert r.exit_code == 0, r.output


def test_renaming_the_factors_of_a_balanced_design_changes_nothing():
    # every factor of a 3^4 design holds the same multiset of values, so the columns' order fell back to their names:
    # renaming them re-dealt the folds (7 mislabeled and 28 hard flags moved, every value changed)
    import itertools

    import dvclean

    rng = np.random.default_rng(0)
    d = np.array(list(itertools.product([-1, 0, 1], repeat=4)) * 3)
    y = ((d @ [1.5, -1.0, 0.8, 0.5] + rng.normal(0, 1, len(d))) > 0).astype(int)
    df = pl.DataFrame({"temp": d[:, 0], "pressure": d[:, 1], "time": d[:, 2], "speed": d[:, 3], "ok": y})
    runs = [dvclean.score(frame, label="ok").frame for frame in (
        df, df.rename({"temp": "A", "pressure": "B", "time": "C", "speed": "D"}),
        df.rename({"temp": "D", "pressure": "C", "time": "B", "speed": "A"}))]
    for other in runs[1:]:
        for c in ("value", "is_mislabeled", "is_hard", "mislabel_score"):
            assert runs[0][c].equals(other[c]), c


def test_copies_in_a_crowded_cell_get_one_neighbor_label_whatever_the_row_order():
    # in a cell of 5 + 5 copies the five copies of one label got neighbour labels 0, 0, 0, 1, 1, and shuffling the
    # file moved which copy got which
    import dvclean

    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (400, 6))
    y = (x[:, 0] + x[:, 1] + rng.normal(0, 0.8, 400) > 1).astype(int)
    df = pl.DataFrame({f"c{i}": x[:, i] for i in range(6)}).with_columns(pl.Series("y", y), pl.Series("id", range(400)))
    r = dvclean.score(df, label="y", id_column="id").frame
    groups = r.with_columns(pl.Series("key", [str(v) for v in x.tolist()])).group_by("key", "label").agg(
        pl.col("neighbor_label").n_unique().alias("n"))
    assert groups["n"].max() == 1
    shuffled = df[rng.permutation(400)]
    s = dvclean.score(shuffled, label="y", id_column="id").frame.sort("id")
    assert r.sort("id")["neighbor_label"].equals(s["neighbor_label"])


def test_augment_does_not_depend_on_the_files_row_order(tmp_path):
    # the --evaluate split and the generator's training rows followed the file's order: sorting the file changed the
    # verdict as a new seed would, and a shuffled wine lost a class from the synthetic rows
    from sklearn.datasets import load_wine

    from dvclean.augment import AugmentConfig
    from dvclean.augment.core import fit_and_sample
    from dvclean.augment.evaluate import plan_evaluation
    from dvclean.table import make_table


    d = load_wine(as_frame=True).frame.rename(columns={"target": "y"})
    df = pl.from_pandas(d).with_columns(pl.int_range(pl.len()).alias("id"))
    shuffled = df[np.random.default_rng(1).permutation(df.height)]
    cfg = AugmentConfig(generator="gaussian-copula", quality=False, evaluate=True)
    parts = []
    for frame in (df, shuffled):
        table = make_table(frame, label="y", id_column="id")
        plan = plan_evaluation(table, cfg)
        ids = frame["id"].to_numpy()[plan.rows]
        parts.append([sorted(ids[getattr(plan, s)].tolist()) for s in ("train", "valid", "hold")])
    assert parts[0] == parts[1]
    pytest.importorskip("sdv")
    samples = []
    for frame in (df, shuffled):
        table = make_table(frame, label="y", id_column="id")
        mask = (frame["id"] % 7 == 0).to_numpy()  # the same rows of either file
        samples.append(fit_and_sample(table, mask, 20, cfg)[1][0])
    assert samples[0].equals(samples[1])


def test_floats_of_extreme_magnitude_are_synthesised():
    # a column of 1e-300 values came back null in every synthetic row, one of 1e300 values as two values
    pytest.importorskip("sdv")
    from dvclean.augment._sdv import Generator

    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=n)
    frame = pl.DataFrame({"x": x, "small": rng.normal(size=n) * 1e-300, "big": rng.normal(size=n) * 1e300,
                          "y": (x > 0).astype(int)})
    out = Generator(frame, label="y", generator="gaussian-copula", seed=0).sample(50)
    for c, scale in (("small", 1e-300), ("big", 1e300)):
        col = out[c]
        assert col.null_count() == 0 and col.n_unique() > 30, (c, col)
        assert frame[c].min() <= col.min() and col.max() <= frame[c].max()
        assert 0.3 < float((col / scale).std()) < 3  # (in units of the scale: squares of 1e-300 underflow)


def test_csv_datetimes_keep_their_nanoseconds(tmp_path):
    # the CSV reader typed 10:00:00.441143142 as microseconds: fix's JSON and Parquet outputs and augment's real rows
    # lost the last three digits
    import dvclean

    rows = [f"{i},2021-03-01 10:00:{i % 60:02d}.{i * 7919 % 10**9:09d},2021-03-01T10:00:00.12345678{i % 10}+01:00,{i % 2}"
            for i in range(30)]
    src = tmp_path / "d.csv"
    src.write_text("x,ts,tz,y\n" + "\n".join(rows) + "\n", encoding="utf-8")
    df, _ = dvclean.read_frame(src)
    assert df.schema["ts"] == pl.Datetime("ns") and df.schema["tz"].time_unit == "ns"
    assert df["ts"].dt.nanosecond()[3] == 3 * 7919 and df["tz"].dt.nanosecond()[7] == 123456787
    out = tmp_path / "o.ndjson"
    r = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "mark", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert '"2021-03-01 10:00:03.000023757"' in out.read_text(encoding="utf-8")
    micro = tmp_path / "m.csv"
    micro.write_text("x,ts,y\n1,2021-03-01 10:00:00.123456,0\n2,2021-03-01 10:00:01.5,1\n", encoding="utf-8")
    assert dvclean.read_frame(micro)[0].schema["ts"] == pl.Datetime("us")  # (as the reader types it)


def test_pandas_categoricals_keep_their_categories_in_parquet_outputs(tmp_path):
    # fix (even --action mark) and augment wrote ['mid', 'high', 'low'] unordered for an ordered
    # ['low', 'mid', 'high', 'unused'] label, and lost the order of a categorical feature the same way
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 3))
    y = pd.Categorical(np.where(x[:, 0] > 0.5, "high", np.where(x[:, 0] < -0.5, "low", "mid")),
                       categories=["low", "mid", "high", "unused"], ordered=True)
    f = pd.Categorical(rng.choice(["a", "b"], 300), categories=["z", "a", "b"], ordered=True)
    df = pd.DataFrame(x, columns=["f0", "f1", "f2"]).assign(y=y, f=f)
    df.to_parquet(tmp_path / "d.parquet")
    for action in ("mark", "relabel", "drop"):
        out = tmp_path / f"{action}.parquet"
        r = runner.invoke(app, ["fix", str(tmp_path / "d.parquet"), "-y", "y", "--action", action,
                                *(["--force"] if action != "mark" else []), "-o", str(out)])
        assert r.exit_code == 0, r.output
        got = pd.read_parquet(out)
        assert list(got.y.cat.categories) == ["low", "mid", "high", "unused"] and got.y.cat.ordered, action
        assert list(got.f.cat.categories) == ["z", "a", "b"] and got.f.cat.ordered, action
        if action == "mark":
            assert got.y.equals(df.y) and got.f.equals(df.f)


def test_a_repeated_extreme_float_comes_back_exactly():
    # scaled by 10**-150 twice and back, 3e300 came back as 2.9999999999999996e300 in every synthetic row near it
    pytest.importorskip("sdv")
    from dvclean.augment._sdv import Generator

    rng = np.random.default_rng(0)
    n = 300
    x = rng.normal(size=n)
    big = np.where(rng.random(n) < 0.4, 3e300, rng.normal(size=n) * 1e300)
    frame = pl.DataFrame({"x": x, "big": big, "y": (x > 0).astype(int)})
    gen = Generator(frame, label="y", generator="gaussian-copula", seed=0)
    out = gen.sample(100)
    assert (out["big"] == 3e300).sum() > 10
    assert gen.settings.point_masses.get("big") == 3e300


def test_replacing_an_output_keeps_the_old_file_at_its_path_until_the_new_one_is_there(tmp_path, monkeypatch):
    # the old file was moved aside, then the new one moved in: in between the output's path held nothing (a reader
    # polling it saw ENOENT; a kill there left no file)
    import os

    from dvclean.cli import _output

    out = tmp_path / "o.txt"
    out.write_text("old", encoding="utf-8")
    seen = []
    real = os.replace

    def watching(src, dst, *a, **k):
        seen.append(out.exists())  # at every rename of the commit, the output's path holds a file
        return real(src, dst, *a, **k)

    monkeypatch.setattr(_output.os, "replace", watching)
    with _output.staged_outputs() as stage:
        stage.path(out).write_text("new", encoding="utf-8")
    assert out.read_text(encoding="utf-8") == "new" and seen and all(seen)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".stage")]


def test_a_checkpoint_under_a_file_is_named_as_such(tmp_path):
    _two_class_csv(tmp_path / "d.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-m", "tmc", "--max-permutations", "5",
                            "-o", str(tmp_path / "s.csv"), "--checkpoint", str(tmp_path / "d.csv" / "ck")])
    assert r.exit_code == 2 and "is not a directory" in " ".join(r.stderr.split()), r.output


def test_an_interrupt_between_the_renames_puts_every_output_back(tmp_path, monkeypatch):
    # a native library's thread can take the Ctrl-C this thread holds back; Python raised KeyboardInterrupt between
    # two renames, and the first output stayed new, the second old, while the message said "no output was written"
    import os

    from dvclean.cli import _output

    a, b = tmp_path / "a.csv", tmp_path / "b.json"
    a.write_text("OLD A", encoding="utf-8")
    real, calls = os.replace, []

    def replace(src, dst, *args, **kwargs):
        real(src, dst, *args, **kwargs)
        calls.append(dst)
        if len(calls) == 1:
            raise KeyboardInterrupt

    _output.start_run()
    monkeypatch.setattr(_output.os, "replace", replace)
    with pytest.raises(KeyboardInterrupt), _output.staged_outputs() as stage:
        stage.path(a).write_text("NEW A", encoding="utf-8")
        stage.path(b).write_text("NEW B", encoding="utf-8")
    assert a.read_text(encoding="utf-8") == "OLD A" and not b.exists()
    assert _output.committed_outputs() == [] and sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_a_polars_enum_stays_an_enum_in_a_parquet_output(tmp_path):
    # the categories' restore rebuilt a polars Enum column as a plain dictionary: it came back Categorical
    from dvclean.io import read_frame, write_table

    x = np.random.default_rng(2).normal(size=60)
    enum = pl.Enum(["red", "green", "blue"])
    pl.DataFrame({"x": x, "color": pl.Series(np.where(x > 0, "red", "green")).cast(enum),
                  "label": np.where(x > 0, "p", "n")}).write_parquet(tmp_path / "p.parquet")
    frame, info = read_frame(tmp_path / "p.parquet")
    write_table(frame, tmp_path / "w.parquet", dictionaries=info.dictionaries)
    assert pl.read_parquet(tmp_path / "w.parquet").schema["color"] == enum


def test_feather_categoricals_with_nulls_and_integer_categories(tmp_path):
    # pandas' to_feather of a categorical with a missing value (code -1 under the null) was refused as "not a readable
    # Arrow IPC file"; integer categories came back as plain int64 while the pandas metadata still said categorical
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=n)
    df = pd.DataFrame({"x": x, "c": pd.Categorical(["a", "b", None, "a"] * 50),
                       "grade": pd.Categorical(rng.choice([3, 1, 2], n), categories=[3, 1, 2, 5], ordered=True),
                       "y": np.where(x > 0, "p", "q")})
    df.to_feather(tmp_path / "d.feather")
    out = tmp_path / "o.feather"
    r = runner.invoke(app, ["fix", str(tmp_path / "d.feather"), "-y", "y", "--action", "mark", "-o", str(out)])
    assert r.exit_code == 0, r.output
    got = pd.read_feather(out)
    assert got.c.equals(df.c) and got.grade.equals(df.grade)
    assert list(got.grade.cat.categories) == [3, 1, 2, 5] and got.grade.cat.ordered


def test_timestamps_a_millisecond_apart_are_no_constant_column():
    # the encoder took whole seconds since the epoch: 300 distinct timestamps within 0.3 s were "constant"
    import datetime as dt

    from dvclean.config import FeatureConfig
    from dvclean.table import make_table, prepare

    rng = np.random.default_rng(3)
    t = pl.Series([dt.datetime(2021, 1, 1) + dt.timedelta(milliseconds=int(i)) for i in rng.permutation(300)])
    df = pl.DataFrame({"x": rng.normal(size=300), "t": t, "y": rng.integers(0, 2, 300)})
    data, encoder, _ = prepare(make_table(df, label="y"), config=FeatureConfig())
    assert "t" not in encoder.dropped_ and data.x.shape[1] == 2
