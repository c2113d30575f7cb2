"""QA round 85: a CSV column of datetimes written with UTC offsets (``2021-03-01T00:00:00+05:30``, pandas' export of
a tz-aware column) is read as UTC, so its synthetic values were rounded to whole units *in UTC*: local midnights
(18:30 UTC in India, 23:00 or 22:00 UTC in Berlin) became whole minutes or hours, and new rows came out at
``03:49+05:30``; every new value was also written with one offset, ``+01:00`` in July for Berlin data. The units are
now taken on the clock the text writes (:class:`dvclean.io.OffsetZone`), and each new value is written with the
offset of the nearest date the input writes."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.io import OffsetZone, TemporalStyle
from tests.conftest import needs_sdv

runner = CliRunner()
UTC = dt.UTC


def _midnights(zone: str, n: int, seed: int = 2) -> list[dt.datetime]:
    rng = np.random.default_rng(seed)
    days = [dt.date(2021, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 700, n)]
    return [dt.datetime(d.year, d.month, d.day, tzinfo=ZoneInfo(zone)) for d in days]


def _text(v: dt.datetime) -> str:
    return v.isoformat()  # 2021-07-01T00:00:00+02:00


def test_offset_zone_writes_each_date_with_its_own_offset_and_snaps_on_that_clock():
    pairs = [(v.astimezone(UTC), _text(v)) for v in _midnights("Europe/Berlin", 60)]
    zone = OffsetZone.learn(pairs)
    assert zone is not None and zone.unit == 86_400 * 10**6  # every value at midnight on its own clock
    assert sorted(set(zone.offsets.tolist())) == [3600, 7200]
    # 2021-07-14 03:49 Berlin (01:49 UTC) snaps to its midnight, 22:00 UTC; 2021-12-15 20:10 UTC to the next one
    july = dt.datetime(2021, 7, 14, 1, 49, tzinfo=UTC)
    dec = dt.datetime(2021, 12, 15, 20, 10, tzinfo=UTC)
    micros = [int((v - dt.datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) * 10**6 for v in (july, dec)]
    snapped = [dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=int(m)) for m in zone.snap(micros, zone.unit)]
    assert snapped == [dt.datetime(2021, 7, 13, 22, tzinfo=UTC), dt.datetime(2021, 12, 15, 23, tzinfo=UTC)]
    style = TemporalStyle(date="%Y-%m-%d", sep="T", tz="+00:00", offset=dt.timedelta(hours=1), zone=zone)
    assert [style.format(v) for v in snapped] == ["2021-07-14T00:00:00+02:00", "2021-12-16T00:00:00+01:00"]
    # without a zone, the fixed offset as before
    assert TemporalStyle(date="%Y-%m-%d", sep="T", tz="+00:00", offset=dt.timedelta(hours=1)).format(snapped[0]) \
        == "2021-07-13T23:00:00+01:00"
    assert OffsetZone.learn([(dt.datetime(2021, 1, 1, tzinfo=UTC), "2021-01-01T00:00:00Z")]) is None


@needs_sdv
@pytest.mark.parametrize("zone", ["Asia/Kolkata", "Europe/Berlin"])
def test_augment_keeps_local_midnights_of_a_csv_written_with_offsets(tmp_path, zone):
    rng = np.random.default_rng(4)
    when = _midnights(zone, 160)
    y = rng.integers(0, 2, len(when))
    x = rng.normal(size=len(when)) + y
    src = tmp_path / "d.csv"
    src.write_text("when,x,label\n" + "".join(f"{_text(w)},{v:.3f},{'AB'[c]}\n" for w, v, c in zip(when, x, y, strict=True)))
    before = src.read_bytes()
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "gaussian-copula", "--no-quality", "-n", "40",
                              "--seed", "0", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert src.read_bytes() == before
    lines = out.read_text().splitlines()
    synthetic = [line.split(",")[0] for line in lines[1:] if line.endswith(",true")]
    assert len(synthetic) == 40
    for text in synthetic:
        m = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)T00:00:00([+-]\d\d:\d\d)", text)
        assert m is not None, text  # local midnight, with an offset
        local = dt.datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=ZoneInfo(zone))
        assert local.isoformat()[-6:] == m[4], text  # the offset the zone has on that date


def test_conflicting_duplicates_leave_out_an_identifier_the_scoring_ignores(tmp_path):
    # a `name` column with a distinct text in every row is ignored by the scoring, but the copies were compared on it
    # too, so no two rows were ever equal: `check --max-conflicting-duplicates 0` passed a file with 3 copies whose
    # labels were flipped, and `score`'s is_conflicting_duplicate was false everywhere
    import json

    import polars as pl

    rng = np.random.default_rng(0)
    n = 120
    x1, x2 = np.round(rng.normal(size=n), 3), np.round(rng.normal(size=n), 3)
    df = pl.DataFrame({"name": [f"row-{i}" for i in range(n)], "x1": x1, "x2": x2, "y": (x1 + x2 > 0).astype(int)})
    copies = df.head(3).with_columns((1 - pl.col("y")).alias("y"), pl.col("name") + "-copy")
    src = tmp_path / "d.csv"
    pl.concat([df, copies]).write_csv(src)
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-conflicting-duplicates", "0", "--json"])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    line = next(c for c in doc["checks"] if c["name"] == "conflicting_duplicates")
    assert line["status"] == "fail" and line["value"] == 6, line
    out = tmp_path / "s.parquet"
    assert runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(out), "-q"]).exit_code == 0
    marked = pl.read_parquet(out).get_column("is_conflicting_duplicate").arg_true().to_list()
    assert marked == [0, 1, 2, n, n + 1, n + 2]


def test_augment_says_when_a_tie_at_the_cut_left_the_hard_set_empty():
    # one categorical feature: every row of a (category, label) cell has the same value, so the 40 lowest tie and
    # `--hard-frac 0.1` (10 rows) takes none of them; the refusal said only "raise --hard-frac", not why
    from dvclean.augment import AugmentConfig
    from dvclean.augment.config import parse_target
    from dvclean.augment.core import RowScores, _check_target_size, hard_mask
    from dvclean.errors import AugmentError

    values = np.r_[np.full(40, -1.0), np.linspace(0.0, 1.0, 60)]
    scores = RowScores(values=values, is_mislabeled=np.zeros(100, bool), label_missing=np.zeros(100, bool),
                       source="test", mislabel_score=np.zeros(100))
    cfg = AugmentConfig(hard_fraction=0.1)
    target = parse_target("hard")
    mask = hard_mask(scores, 0.1, False)
    assert int(mask.sum()) == 0
    with pytest.raises(AugmentError, match=r"--hard-frac 0.1 asks for 10 rows, but rows that tie in value and mislabel "
                                           r"score .* are selected together or not at all"):
        _check_target_size(mask, target, cfg, scores)
    # a hard set too small because the data are: the plain advice
    small = RowScores(values=values[:50], is_mislabeled=np.zeros(50, bool), label_missing=np.zeros(50, bool),
                      source="test", mislabel_score=np.zeros(50))
    with pytest.raises(AugmentError, match=r"fewer than the 10 it needs; raise --hard-frac, use --target all"):
        _check_target_size(hard_mask(small, 0.1, False), target, cfg, small)


@needs_sdv
def test_synthetic_rows_spell_a_missing_text_date_as_the_input_does(tmp_path):
    # a DD/MM/YYYY text column with `unknown` in every 25th cell and no empty cell: the non-dates were modelled as
    # missing dates, and the synthetic rows wrote them as empty cells the input never has
    import polars as pl

    rng = np.random.default_rng(6)
    n = 200
    y = rng.integers(0, 2, n)
    d = [(dt.date(2021, 1, 1) + dt.timedelta(days=int(k))).strftime("%d/%m/%Y") for k in rng.integers(0, 700, n)]
    d = ["unknown" if i % 25 == 0 else v for i, v in enumerate(d)]  # (4%: more, and the column is categories)
    src = tmp_path / "d.csv"
    pl.DataFrame({"d": d, "x": rng.normal(size=n) + y, "label": np.where(y == 1, "p", "q")}).write_csv(src)
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "gaussian-copula", "--no-quality", "-t", "all",
                              "-n", "300", "--seed", "0", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    cells = [line.split(",")[0] for line in out.read_text().splitlines()[1:] if line.endswith(",true")]
    assert len(cells) == 300 and "" not in cells
    assert 3 <= cells.count("unknown") <= 30  # (about 4%)
    assert len(set(cells)) > 100  # dates drawn as dates, not the input's cells drawn as categories
    assert all(c == "unknown" or re.fullmatch(r"\d\d/\d\d/20\d\d", c) for c in cells)


def test_fix_refuses_to_drop_a_fifth_of_the_rows_as_outlying_targets():
    # clean targets exp(1.8 x0) with 30% multiplicative noise (exp(2 x0) until session 51's robust stacking start): the models miss the curve's ends and 20% of the rows
    # lie beyond |z| 3.5 (errors of a normal spread: 1 in 2,149); score's note said to look at a sample before
    # dropping any, yet fix --action drop removed them all (452 of 2,000 in the QA round)
    import polars as pl

    import dvclean
    from dvclean.config import FixConfig
    from dvclean.errors import DataValidationError
    from dvclean.fix import fix

    rng = np.random.default_rng(21)
    x = rng.normal(size=(600, 3))
    df = pl.DataFrame({"x0": x[:, 0], "x1": x[:, 1], "x2": x[:, 2],
                       "target": np.exp(1.8 * x[:, 0]) * np.exp(rng.normal(0, 0.3, 600))})
    res = dvclean.score(df, label="target")
    flagged = int(res.frame["is_mislabeled"].sum())
    assert flagged > 60 and res.summary["flags"]["many_outlying"] is True
    with pytest.raises(DataValidationError, match=rf"refusing to drop {flagged} rows \(\d+\.\d%\) flagged as outlying "
                                                  r"targets: .* --action mark .* --force .* the logarithm of the target"):
        fix(df, label="target", config=FixConfig(action="drop"))
    forced = fix(df, label="target", config=FixConfig(action="drop", force=True))
    assert forced.frame.height == 600 - flagged
    # a share the user gives is a choice: no refusal
    from dvclean.config import MislabelConfig, ScoreConfig

    chosen = ScoreConfig(mislabel=MislabelConfig(expected_noise=0.15))
    assert "many_outlying" not in dvclean.score(df, label="target", config=chosen).summary["flags"]


def test_a_valid_file_with_categories_the_data_never_has_gets_a_note(tmp_path):
    # an unknown `race` in the --valid file was encoded as no category (all zeros) without a word
    import polars as pl

    import dvclean
    from tests.conftest import SAMPLE

    df = pl.read_csv(SAMPLE, null_values=["", "?"])
    train, valid = df.head(300), df.slice(300, 80)
    valid = valid.with_columns(pl.when(pl.int_range(pl.len()) < 5).then(pl.lit("Martian")).otherwise(pl.col("race"))
                               .alias("race"))
    # an identifier the scoring ignores holds only values the data never has: no note for it
    train = train.with_columns(pl.format("person-{}", pl.int_range(pl.len())).alias("name"))
    valid = valid.with_columns(pl.format("visitor-{}", pl.int_range(pl.len())).alias("name"))
    path = tmp_path / "v.csv"
    valid.write_csv(path)
    notes = dvclean.score(train, label="income", valid=path).summary["notes"]
    assert any(n.startswith(f"{path} (--valid): column 'race' holds a value the data never has in 5 of 80 rows "
                            "('Martian'): it has no code of its own") for n in notes), notes
    assert not any("'name'" in n for n in notes), notes
    assert not any("never has" in n for n in dvclean.score(train, label="income", valid=train.tail(80)).summary["notes"])


def test_loo_and_banzhaf_fit_subsets_that_lack_a_tiny_class():
    # two label typos made a class of 2 rows: taking one of them out of a fold's training rows scored the fold as
    # the empty set (TMC's convention: no model until every class is present), so LOO and Banzhaf ranked the
    # typos as the two most valuable rows of wine (0.56 and 0.55 against at most 0.034)
    import polars as pl
    from sklearn.datasets import load_wine

    import dvclean
    from dvclean.config import BanzhafConfig, ScoreConfig
    from dvclean.valuation._models import Utility

    frame = pl.from_pandas(load_wine(as_frame=True).frame)
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()).is_in([5, 10])).then(9).otherwise(pl.col("target"))
                               .alias("target"))
    res = dvclean.score(frame, label="target", config=ScoreConfig(methods=("loo", "banzhaf"),
                                                                  banzhaf=BanzhafConfig(samples=100)))
    typos = res.frame["label"].to_numpy() == 9
    for m in ("loo", "banzhaf"):
        v = res.frame[f"value_{m}"].to_numpy()
        # (LOO's steps are one validation row, 1/89: a typo may tie with the rows one row of accuracy rests on)
        assert v[typos].max() < 0.05 and v[~typos].max() >= v[typos].max(), (m, v[typos], np.sort(v)[-3:])
    assert res.frame["is_mislabeled"].to_numpy()[typos].all()
    # the convention stays TMC's (and the utility's default)
    assert Utility.__dataclass_fields__["every_class"].default is True
