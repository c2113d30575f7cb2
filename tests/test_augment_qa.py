"""Regression tests for the ``dvclean augment`` QA findings 1, 2, 3, 4, 5, 9, 10, 11 and 12
(/tmp/s8/qa_aug/FINDINGS.md): time-zone-aware datetimes, ``--scores`` of another label / id / task,
``--evaluate`` on rare classes, ``--holdout`` column types and read options, the early-stopping
note, float and date ids, ``class:VALUE`` matching, and messages and checks made before any valuation."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment, parse_target
from dvclean.augment.core import (
    RowScores,
    _check_target_size,
    _synthetic_ids,
    target_mask,
)
from dvclean.augment.evaluate import plan_evaluation, split_indices
from dvclean.cli import app
from dvclean.errors import AugmentError, ConfigError, DataValidationError
from dvclean.table import make_table

from .conftest import needs_sdv

runner = CliRunner()

pytestmark = pytest.mark.usefixtures("sdv_home")


def frame(n: int = 200, seed: int = 0, classes: tuple[str, ...] = ("no", "yes")) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(classes), n)
    return pl.DataFrame({
        "id": np.arange(1000, 1000 + n),
        "x1": y * 2.0 + rng.normal(0, 0.9, n) + np.arange(n) * 1e-6,
        "hours": rng.integers(20, 60, n),
        "city": [["Lyon", "Oslo", "Kyiv"][int(v)] for v in rng.integers(0, 3, n)],
        "label": [classes[int(v)] for v in y],
    })


def fast(**kw) -> AugmentConfig:
    base = {"generator": "gaussian-copula", "quality": False, "xgb_max_rounds": 40, "xgb_early_stopping": 10,
            "repeats": 2}
    base.update(kw)
    return AugmentConfig(**base)


def cli(*args: str):
    return runner.invoke(app, ["augment", *args])


class Valued(Exception):
    """Raised by a stand-in for the valuation: the run got past every check made before it."""


@pytest.fixture
def no_valuation(monkeypatch):
    import dvclean.augment.core as core

    def boom(*a, **k):
        raise Valued

    monkeypatch.setattr(core, "compute_scores", boom)


# ---------------------------------------------------------------- 1: time-zone-aware datetimes


def berlin(start: dt.datetime, hours: int, n: int, seed: int) -> pl.DataFrame:
    """``n`` rows with a Europe/Berlin datetime spread over ``hours`` hours from ``start`` (UTC)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    ts = [start + dt.timedelta(minutes=int(m)) for m in rng.integers(0, hours * 60, n)]
    return pl.DataFrame({"x": x, "ts": ts, "y": np.where(x + 0.5 * rng.normal(size=n) > 0, "a", "b")}).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Berlin"))


def test_timezone_columns_are_modelled_in_utc_and_come_back_in_their_zone():
    pytest.importorskip("pandas")
    import pandas as pd

    from dvclean.augment._sdv import from_pandas, to_pandas

    zone = pl.Datetime("us", "Europe/Berlin")
    # both sides of the March gap and both instants of the October fold (02:30 CEST and 02:30 CET)
    instants = [dt.datetime(2021, 3, 28, 0, 59), dt.datetime(2021, 3, 28, 1, 1),
                dt.datetime(2021, 10, 31, 0, 30), dt.datetime(2021, 10, 31, 1, 30)]
    f = pl.DataFrame({"ts": instants}).with_columns(
        pl.col("ts").dt.replace_time_zone("UTC").dt.convert_time_zone("Europe/Berlin"))
    pdf = to_pandas(f)
    assert [str(v) for v in pdf["ts"]] == [str(pd.Timestamp(v)) for v in instants]  # UTC wall clock
    back = from_pandas(pdf, f.schema)
    assert back.schema["ts"] == zone and back.equals(f)
    # sampled values are UTC instants: none is a local time that does not exist or exists twice
    sampled = pd.DataFrame({"ts": pd.to_datetime(["2021-03-28 01:30", "2021-10-31 00:30", "2021-10-31 01:30"])})
    got = from_pandas(sampled, f.schema).get_column("ts")
    assert got.dtype == zone
    assert got.dt.to_string("%Y-%m-%d %H:%M %Z").to_list() == [
        "2021-03-28 03:30 CEST", "2021-10-31 02:30 CEST", "2021-10-31 02:30 CET"]


@needs_sdv
@pytest.mark.parametrize("start", [dt.datetime(2021, 3, 26, 12), dt.datetime(2021, 10, 29, 12)])
def test_augment_keeps_a_berlin_column_across_the_clock_change(start):
    df = berlin(start, 72, 200, seed=2)
    r = augment(df, label="y", config=fast(target="all", n_synthetic="400"))
    syn = r.synthetic
    assert syn.schema["ts"] == df.schema["ts"] and syn.height == 400
    assert syn.get_column("ts").null_count() == 0
    lo, hi = df.get_column("ts").min(), df.get_column("ts").max()
    assert syn.get_column("ts").is_between(lo - dt.timedelta(days=1), hi + dt.timedelta(days=1)).all()


# ---------------------------------------------------------------- 2: --scores of another label / id / task


def scores_parquet(tmp_path, data, name: str, **kw):
    from dvclean import score
    from dvclean.pipeline import write_scores

    return write_scores(score(str(data), **kw), tmp_path / name)


def rewrite_footer(path, out, change):
    """A copy of a Parquet scores file whose ``dvclean`` footer is ``change(meta)``."""
    meta = json.loads(pl.read_parquet_metadata(path)["dvclean"])
    change(meta)
    pl.read_parquet(path).write_parquet(out, metadata={"dvclean": json.dumps(meta)})
    return out


@needs_sdv
def test_parquet_scores_of_another_label_are_refused_naming_both(tmp_path, no_valuation):
    data = tmp_path / "d.csv"
    frame(200).write_csv(data)
    other = scores_parquet(tmp_path, data, "city.parquet", label="city", id_column="id")
    with pytest.raises(ConfigError, match=r"computed with --label 'city', but this run's label is 'label'"):
        augment(str(data), label="label", id_column="id", scores=other, config=fast(n_synthetic="10"))
    res = cli(str(data), "-y", "label", "--id", "id", "-g", "gaussian-copula", "-n", "10", "--scores", str(other),
              "-o", str(tmp_path / "o.csv"), "-q")
    assert res.exit_code == 2, res.output
    assert "--label 'city'" in res.stderr and "'label'" in res.stderr and not (tmp_path / "o.csv").exists()


@needs_sdv
def test_scores_footer_fields_are_compared_and_a_missing_label_falls_back_to_the_rows(tmp_path, no_valuation):
    data = tmp_path / "d.csv"
    frame(200).write_csv(data)
    good = scores_parquet(tmp_path, data, "good.parquet", label="label", id_column="id")
    with pytest.raises(Valued):  # its own scores pass every check (and then the run values nothing)
        augment(str(data), label="label", id_column="id", scores=good, config=fast(n_synthetic="10", evaluate=True))
    cases = {
        "task.parquet": (lambda m: m.update(task="regression"), ConfigError, "valued as a regression target"),
        "id.parquet": (lambda m: m.update(id_column="city"), ConfigError, "computed with --id 'city'"),
        "drop.parquet": (lambda m: m.update(drop=["hours"]), ConfigError, "computed with --drop 'hours'"),
    }
    for name, (change, err, message) in cases.items():
        path = rewrite_footer(good, tmp_path / name, change)
        with pytest.raises(err, match=message):
            augment(str(data), label="label", id_column="id", scores=path, config=fast(n_synthetic="10"))
    # no label in the footer (the sha256 matches): the labels are compared row by row
    city = scores_parquet(tmp_path, data, "city.parquet", label="city", id_column="id")
    unnamed = rewrite_footer(city, tmp_path / "unnamed.parquet", lambda m: m.pop("label"))
    with pytest.raises(DataValidationError, match="is from another file .or another --label.: at row 0"):
        augment(str(data), label="label", id_column="id", scores=unnamed, config=fast(n_synthetic="10"))


@needs_sdv
def test_scores_computed_with_another_id_are_refused(tmp_path):
    data = tmp_path / "d.csv"
    frame(200).write_csv(data)
    with_id = scores_parquet(tmp_path, data, "id.parquet", label="label", id_column="id")
    with pytest.raises(ConfigError, match="computed with --id 'id'.*this run has no --id"):
        augment(str(data), label="label", scores=with_id, config=fast(n_synthetic="10"))
    without = scores_parquet(tmp_path, data, "noid.parquet", label="label")
    with pytest.raises(ConfigError, match="computed without --id.*this run has --id 'id'"):
        augment(str(data), label="label", id_column="id", scores=without, config=fast(n_synthetic="10"))


# ---------------------------------------------------------------- 3: --evaluate on classes of 2-3 rows


def rare(n: int = 300, rows: tuple[int, ...] = (3, 10)) -> pl.DataFrame:
    df = frame(n)
    return df.with_columns(
        pl.when(pl.int_range(pl.len()).is_in(list(rows))).then(pl.lit("rare")).otherwise(pl.col("label")).alias("label"))


def test_split_keeps_two_train_rows_of_every_class():
    for counts in ((100, 100, 2), (100, 100, 3), (40, 3, 2), (50, 4)):
        y = np.concatenate([np.full(k, c) for c, k in enumerate(counts)])
        for seed in range(4):
            for with_holdout in (False, True):
                tr, va, ho = split_indices(y, (0.8, 0.1, 0.1), seed, with_holdout)
                assert all((y[tr] == c).sum() >= 2 for c in range(len(counts))), (counts, seed)
                assert np.sort(np.concatenate([tr, va, ho])).tolist() == list(range(y.size))


def test_a_class_of_two_rows_stays_in_the_training_split_and_the_holdout_note_says_so():
    plan = plan_evaluation(make_table(rare(), label="label"), fast(evaluate=True))
    assert plan.class_counts["train"]["rare"] == 2 and plan.class_counts["holdout"]["rare"] == 0
    assert any("'rare'" in n and "absent from the holdout" in n and "training split" in n for n in plan.notes)
    plan = plan_evaluation(make_table(rare(rows=(3, 10, 20)), label="label"), fast(evaluate=True))
    assert plan.class_counts["train"]["rare"] == 2 and plan.class_counts["holdout"]["rare"] == 1


@needs_sdv
def test_evaluate_runs_on_a_class_of_two_rows(tmp_path):
    src = tmp_path / "rare.csv"
    rare().write_csv(src)
    r = augment(str(src), label="label", id_column="id", config=fast(target="all", evaluate=True, n_synthetic="20"))
    ev = r.report["evaluation"]
    assert ev["split"]["class_counts"]["train"]["rare"] == 2 and ev["primary_metric"] == "macro_f1"
    assert any("'rare'" in n and "absent from the holdout" in n for n in ev["notes"])


@needs_sdv
def test_a_binary_class_too_small_for_evaluate_is_refused_before_valuing(tmp_path, no_valuation):
    src = tmp_path / "small.csv"
    rare(rows=(3, 10, 20)).filter(pl.col("label") != "no").write_csv(src)  # binary: 'yes' and 3 'rare' rows
    with pytest.raises(AugmentError) as err:
        augment(str(src), label="label", id_column="id", config=fast(target="all", evaluate=True))
    msg = str(err.value)
    assert str(src) in msg and "<DataFrame>" not in msg and "--evaluate" in msg
    assert "class 'rare'" in msg and "3 labelled real rows" in msg and "fix those labels" not in msg


# ---------------------------------------------------------------- 4: --holdout column types


def test_a_holdout_of_text_where_the_data_has_numbers_is_refused():
    data, hold = frame(240), frame(60, seed=1)
    table = make_table(data, label="label", id_column="id")
    bad = hold.with_columns((pl.col("hours").cast(pl.String) + " h").alias("hours"))
    with pytest.raises(DataValidationError) as err:
        plan_evaluation(table, fast(evaluate=True), holdout=bad)
    msg = str(err.value)
    assert "'hours'" in msg and "String" in msg and "Int64" in msg and " h'" in msg  # an example cell
    assert "holds text" in msg and "holds numbers" in msg
    dates = hold.with_columns(pl.lit(dt.date(2020, 1, 1)).alias("x1"))
    with pytest.raises(DataValidationError, match=r"'x1' holds dates \(Date, e\.g\. 2020-01-01\).*holds numbers \(Float64\)"):
        plan_evaluation(table, fast(evaluate=True), holdout=dates)


def test_a_holdout_of_numbers_as_text_is_read_as_numbers():
    data, hold = frame(240), frame(60, seed=1)
    table = make_table(data, label="label", id_column="id")
    text = hold.with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(pl.lit("n/a")).otherwise(pl.col("hours").cast(pl.String))
        .alias("hours"),
        pl.col("x1").cast(pl.String),
    )
    plan = plan_evaluation(table, fast(evaluate=True), holdout=text)
    assert plan.hold_frame.schema["hours"] == pl.Int64 and plan.hold_frame.schema["x1"] == pl.Float64
    assert plan.hold_frame.get_column("hours").null_count() == 1
    assert any("'hours'" in n and "'n/a'" in n for n in plan.notes)
    floats = hold.with_columns(pl.col("hours").cast(pl.Float64))  # 40.0 of an integer column: the data's 40
    plan = plan_evaluation(table, fast(evaluate=True), holdout=floats)
    assert plan.hold_frame.get_column("hours").equals(hold.get_column("hours"))


@needs_sdv
def test_cli_refuses_a_text_holdout_column_with_exit_2(tmp_path, no_valuation):
    data, hold = tmp_path / "d.csv", tmp_path / "h.csv"
    frame(240).write_csv(data)
    frame(60, seed=1).with_columns((pl.col("hours").cast(pl.String) + " h").alias("hours")).write_csv(hold)
    res = cli(str(data), "-y", "label", "-g", "gaussian-copula", "--evaluate", "--holdout", str(hold), "-q",
              "-o", str(tmp_path / "o.csv"))
    assert res.exit_code == 2, res.output
    err = res.stderr.replace("\n", " ")
    assert "'hours'" in err and "String" in err and "Int64" in err and "Traceback" not in res.output


# ---------------------------------------------------------------- 5: --holdout's own separator and encoding


@needs_sdv
def test_holdout_is_read_with_its_own_separator_and_format(tmp_path, no_valuation):
    data, hold = tmp_path / "d.csv", tmp_path / "h.csv"
    frame(240).write_csv(data, separator=";")
    frame(60, seed=1).write_csv(hold)  # comma-separated
    with pytest.raises(Valued):  # the holdout was read and planned: the run got to the valuation
        augment(str(data), label="label", holdout=str(hold), config=fast(evaluate=True),
                read_options={"separator": ";", "format": "csv"})
    pq = tmp_path / "h.parquet"
    frame(60, seed=1).write_parquet(pq)
    with pytest.raises(Valued):  # --input-format csv of the data is not forced on a Parquet holdout
        augment(str(data), label="label", holdout=str(pq), config=fast(evaluate=True),
                read_options={"separator": ";", "format": "csv"})


@needs_sdv
def test_holdout_encoding_is_utf8_when_valid_else_the_datas(tmp_path, no_valuation, monkeypatch):
    import dvclean.augment.evaluate as evaluate

    seen: list[pl.DataFrame] = []
    original = evaluate.plan_evaluation

    def spy(table, cfg, **kw):
        seen.append(kw["holdout"])
        return original(table, cfg, **kw)

    monkeypatch.setattr(evaluate, "plan_evaluation", spy)
    accented = frame(240).with_columns(pl.col("city").replace({"Kyiv": "Kyïv"}))
    hold = frame(60, seed=1).with_columns(pl.col("city").replace({"Kyiv": "Kyïv"}))
    u8, l1 = tmp_path / "h8.csv", tmp_path / "h1.csv"
    u8.write_bytes(hold.write_csv().encode("utf-8"))
    l1.write_bytes(hold.write_csv().encode("latin-1"))
    for codec in ("latin-1", "utf-16"):
        data = tmp_path / f"d.{codec}.csv"
        data.write_bytes(accented.write_csv().encode(codec))
        for path in (u8, l1):
            if codec == "utf-16" and path == l1:
                continue  # a Latin-1 holdout of UTF-16 data: no encoding reads it, as before
            seen.clear()
            with pytest.raises(Valued):
                augment(str(data), label="label", holdout=str(path), config=fast(evaluate=True),
                        read_options={"encoding": codec})
            assert set(seen[0].get_column("city").to_list()) == {"Lyon", "Oslo", "Kyïv"}, (codec, path)


# ---------------------------------------------------------------- 9: the early-stopping note


def test_early_stopping_note_says_where_the_epochs_came_from():
    from dvclean.augment.core import early_stopping_note

    auto = early_stopping_note(1000, 123, 123, from_user=False)
    assert auto.startswith("not available") and "1000 gradient steps" in auto and "automatically" in auto
    assert "300 gradient steps" not in auto
    user = early_stopping_note(2, 30, 60, from_user=True)
    assert "set with --epochs" in user and "automatically" not in user and "training-set size" not in user
    assert early_stopping_note(None, None, 60, from_user=False) == "not applicable"


@needs_sdv
def test_report_early_stopping_text_follows_the_run():
    df = frame(60)
    r = augment(df, label="label", id_column="id", config=fast(generator="tvae", epochs=2, target="all", n_synthetic="5"))
    text = r.report["generator"]["early_stopping"]
    assert r.report["generator"]["epochs"] == 2 and "the 2 epochs were set with --epochs" in text
    assert "300" not in text


# ---------------------------------------------------------------- 10: float and other --id types


def test_synthetic_ids_of_a_float_id_continue_from_its_max_and_others_are_refused():
    ids = pl.Series("id", [1000.5, 1001.5, None, float("nan"), 1299.5])
    assert _synthetic_ids(ids, 3).to_list() == [1300.5, 1301.5, 1302.5]
    assert _synthetic_ids(pl.Series("id", [3.0, 1.0], dtype=pl.Float32), 2).dtype == pl.Float32
    for bad in (pl.Series("id", [dt.date(2020, 1, 1)]), pl.Series("id", [True, False]),
                pl.Series("id", ["a", "b"], dtype=pl.Enum(["a", "b"]))):
        with pytest.raises(AugmentError, match="--id 'id' holds"):
            _synthetic_ids(bad, 2)
    with pytest.raises(AugmentError, match="do not fit in UInt8"):
        _synthetic_ids(pl.Series("id", [250, 251], dtype=pl.UInt8), 10)


@needs_sdv
def test_float_ids_get_new_ids_and_a_date_id_is_refused_before_valuing(tmp_path, monkeypatch):
    df = frame(120).with_columns((pl.col("id") + 0.5).alias("id"))
    r = augment(df, label="label", id_column="id", config=fast(target="all", n_synthetic="3"))
    assert r.synthetic.get_column("id").to_list() == [1120.5, 1121.5, 1122.5]
    import dvclean.augment.core as core

    def boom(*a, **k):
        raise Valued

    monkeypatch.setattr(core, "compute_scores", boom)
    dated = frame(120).with_columns(pl.date_range(dt.date(2020, 1, 1), dt.date(2020, 4, 29), eager=True).alias("id"))
    with pytest.raises(AugmentError, match="--id 'id' holds Date values"):
        augment(dated, label="label", id_column="id", config=fast(target="all", n_synthetic="3"))


# ---------------------------------------------------------------- 11: class:VALUE matching


def rs(n: int, mis: np.ndarray | None = None) -> RowScores:
    return RowScores(values=np.linspace(-1, 1, n), is_mislabeled=np.zeros(n, bool) if mis is None else mis,
                     label_missing=np.zeros(n, bool), source="test")


def test_class_of_a_float_label_is_matched_by_value():
    df = pl.DataFrame({"x": np.arange(40.0), "label": [float(i % 3) for i in range(40)]})
    table = make_table(df, label="label")
    cfg = AugmentConfig(target="class:1")
    mask = target_mask(parse_target("class:1"), table, rs(40), cfg)
    assert mask.tolist() == [i % 3 == 1 for i in range(40)]
    with pytest.raises(AugmentError, match=r"class:7.*compared as numbers.*classes: 0\.0, 1\.0, 2\.0"):
        target_mask(parse_target("class:7"), table, rs(40), cfg)


def test_classes_with_spaces_can_be_targeted_and_messages_quote_them():
    df = pl.DataFrame({"x": np.arange(40.0), "label": [" yes " if i % 2 else " no " for i in range(40)]})
    table = make_table(df, label="label")
    cfg = AugmentConfig()
    want = [bool(i % 2) for i in range(40)]
    for spec in ("class:yes", 'class:" yes "', "hard,class:' yes '"):
        t = parse_target(spec)
        got = target_mask(parse_target(str(t).replace("hard,", "")), table, rs(40), cfg)
        assert got.tolist() == want, spec
    assert str(parse_target('hard,class:" yes "')) == 'hard,class:" yes "'
    with pytest.raises(AugmentError, match=r"classes: ' no ', ' yes '"):
        target_mask(parse_target("class:maybe"), table, rs(40), cfg)
    both = pl.DataFrame({"x": np.arange(30.0), "label": ["yes", " yes", "no"] * 10})
    t2 = make_table(both, label="label")
    assert target_mask(parse_target("class:yes"), t2, rs(30), cfg).sum() == 10  # the exact match wins
    assert target_mask(parse_target('class:" yes"'), t2, rs(30), cfg).tolist() == [i % 3 == 1 for i in range(30)]
    with pytest.raises(AugmentError, match="several classes"):
        target_mask(parse_target("class:'yes '"), t2, rs(30), cfg)
    assert parse_target('class:"a,b",hard').classes == ("a,b",)


# ---------------------------------------------------------------- 12: messages and early checks


def test_too_few_rows_counts_the_mislabeled_rows_of_the_targeted_class():
    labels = ["a"] * 20 + ["b"] * 20 + ["c"] * 12
    df = pl.DataFrame({"x": np.arange(52.0), "label": labels})
    table = make_table(df, label="label")
    mis = np.zeros(52, bool)
    mis[[0, 1, 2, 3, 4, 5]] = True  # six of class 'a'
    mis[[40, 41, 42]] = True  # three of class 'c'
    target = parse_target("class:c")
    cfg = AugmentConfig(target="class:c")
    mask = target_mask(target, table, rs(52, mis), cfg)
    with pytest.raises(AugmentError) as err:
        _check_target_size(mask, target, cfg, rs(52, mis), table)
    msg = str(err.value)
    assert "selects 9 rows" in msg and "(3 rows of class 'c' flagged mislabeled are excluded" in msg
    mis2 = mis.copy()
    mis2[[40, 41]] = False  # one of class 'c' left: 11 rows, fewer than 12
    cfg12 = AugmentConfig(target="class:c", min_rows=12)
    with pytest.raises(AugmentError, match=r"selects 11 rows.*\(1 row of class 'c' flagged mislabeled is excluded"):
        _check_target_size(target_mask(target, table, rs(52, mis2), cfg12), target, cfg12, rs(52, mis2), table)


def test_gaussian_copula_refuses_epochs_and_batch_size_as_the_cli_does():
    for kw, option in (({"epochs": 5}, "--epochs"), ({"batch_size": 50}, "--batch-size")):
        with pytest.raises(ConfigError) as err:
            AugmentConfig(generator="gaussian-copula", **kw)
        assert str(err.value) == (
            f"{option} applies to the neural generators (tvae, ctgan, copulagan) only; "
            f"--generator gaussian-copula has no training loop: drop {option}"
        )
    assert AugmentConfig(generator="tvae", epochs=5).epochs == 5


@needs_sdv
def test_evaluate_refuses_k_and_batch_size_too_large_for_its_training_split_before_valuing(no_valuation):
    df = frame(300)
    with pytest.raises(ConfigError) as err:
        augment(df, label="label", config=fast(evaluate=True, k=250))
    msg = str(err.value)
    assert "--k 250" in msg and "--evaluate's training split" in msg and "240" in msg
    with pytest.raises(AugmentError) as err:
        augment(df, label="label", config=AugmentConfig(generator="ctgan", batch_size=30, evaluate=True,
                                                         quality=False))
    msg = str(err.value)
    assert "--batch-size 30" in msg and "--evaluate's training split" in msg and "24 rows (at most)" in msg
    with pytest.raises(AugmentError, match=r"--batch-size 100 is larger than the 30 rows \(at most\)"):
        augment(df, label="label", config=AugmentConfig(generator="ctgan", batch_size=100, quality=False))
    with pytest.raises(Valued):  # a batch that fits every arm passes
        augment(df, label="label", config=AugmentConfig(generator="ctgan", batch_size=20, evaluate=True, quality=False))

