"""QA s12: ``dvclean augment`` defects found with odd data.

* a date or datetime column beyond pandas' nanosecond range (a ``9999-12-31`` "no end" date, a year
  1500) was an internal error (exit 3) after the whole valuation: it is modelled as numbers (days, or
  its time unit) and synthetic rows get dates again;
* a UInt64 column with values above 2**63 was an internal error (int64 wrapped them to negatives);
* synthetic datetimes (microseconds) fell one microsecond below the input's minimum (SDV clips as
  floats): synthetic numbers and datetimes are now kept within the training rows' range;
* a float column holding ``inf`` came out null in every synthetic row: it is refused, naming it;
* a float column marking missing values with NaN (never null) got nulls in synthetic rows: NaN now;
* ``-o DIR`` suggested ``DIR/scores.parquet`` as the output file of augment, and a JSON report path that
  clashes with an input or a directory was reported as ``--output <report path>``;
* a multi-class label's class absent from ``--evaluate``'s valuation split was not noted (README: it is).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment
from dvclean.augment.evaluate import plan_evaluation
from dvclean.cli import app
from dvclean.errors import AugmentError
from dvclean.table import make_table

from .conftest import needs_sdv

pytestmark = pytest.mark.usefixtures("sdv_home")

runner = CliRunner()


def fast(**kw) -> AugmentConfig:
    return AugmentConfig(**{"generator": "gaussian-copula", "quality": False, "n_synthetic": 40, "target": "all", **kw})


def base(n: int = 60, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=n).round(3), "y": rng.choice(["p", "q"], n)}


@needs_sdv
def test_dates_beyond_the_nanosecond_range_are_modelled_and_stay_dates(tmp_path):
    n = 60
    rng = np.random.default_rng(0)
    src = tmp_path / "contracts.csv"
    pl.DataFrame({
        "start": [dt.date(2019, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 900, n)],
        "end": [dt.date(9999, 12, 31) if i % 3 else dt.date(2021, 1, 1) + dt.timedelta(days=i) for i in range(n)],
        "old": [dt.datetime(1500, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 10**5, n)],
        **base(n),
    }).write_csv(src)
    out = tmp_path / "out.csv"
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-t", "all", "-n", "30",
                              "-o", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    data = pl.read_csv(src, try_parse_dates=True)
    got = pl.read_csv(out, try_parse_dates=True)
    assert got.schema["end"] == pl.Date and got.schema["old"] == data.schema["old"], got.schema
    syn = got.filter(pl.col("dvclean_synthetic"))
    assert syn.height == 30 and syn["end"].null_count() == 0 and syn["old"].null_count() == 0
    for c in ("end", "old", "start"):
        assert data[c].min() <= syn[c].min() and syn[c].max() <= data[c].max(), c
    assert (syn["end"] == dt.date(9999, 12, 31)).sum() >= 10  # the sentinel is a point mass, kept exactly
    report = json.loads((tmp_path / "out.augment-report.json").read_text())
    assert report["generator"]["point_masses"]["end"] == "9999-12-31"


@needs_sdv
def test_uint64_values_above_int64_are_not_an_internal_error():
    n = 60
    big = pl.Series("h", np.array([2**64 - 1 - (i % 3) for i in range(n)], dtype=np.uint64))
    spread = pl.Series("g", np.array([2**63 + 10**15 * i for i in range(n)], dtype=np.uint64))
    df = pl.DataFrame({**base(n), "h": big, "g": spread})
    r = augment(df, label="y", config=fast())
    syn = r.synthetic
    assert syn.schema["h"] == pl.UInt64 and syn.schema["g"] == pl.UInt64
    assert set(syn["h"].to_list()) <= set(big.to_list())  # categorical: values of the input
    assert big.min() <= syn["h"].min() and syn["g"].min() >= spread.min() and syn["g"].max() <= spread.max()


@needs_sdv
def test_synthetic_datetimes_never_fall_below_the_inputs_minimum():
    from dvclean.augment._sdv import Generator

    rng = np.random.default_rng(5)
    n = 40
    df = pl.DataFrame({
        "t": [dt.datetime(2020, 1, 1, 3, 4, 5, 123457) + dt.timedelta(microseconds=int(i) * 7919)
              for i in rng.integers(0, 10**9, n)],
        "y": rng.choice(["a", "b"], n),
    })
    s = Generator(df, label="y", generator="gaussian-copula", seed=0).sample(3000)
    assert int((s["t"] < df["t"].min()).sum()) == 0  # 187 of 3000 were one microsecond below it
    assert int((s["t"] > df["t"].max()).sum()) == 0
    assert int((s["t"] == df["t"].min()).sum()) > 0


@needs_sdv
def test_an_infinite_float_column_is_refused_before_the_valuation():
    df = pl.DataFrame({**base(), "f": [float("inf") if i % 7 == 0 else float(i) for i in range(60)]})
    stages: list[str] = []
    with pytest.raises(AugmentError, match=r"column 'f' \(9 rows\) holds infinite values .* --withhold f"):
        augment(df, label="y", config=fast(), progress=stages.append)
    assert not any(s.startswith("valuing") for s in stages), stages
    r = augment(df, label="y", config=fast(withhold=("f",)))  # the hint works
    assert r.synthetic["f"].null_count() == r.synthetic.height


@needs_sdv
def test_nan_marked_missing_values_stay_nan_in_synthetic_rows():
    df = pl.DataFrame({**base(), "f": [float("nan") if i % 4 == 0 else float(i) for i in range(60)]})
    assert df["f"].null_count() == 0
    r = augment(df, label="y", config=fast(n_synthetic=200))
    f = r.synthetic["f"]
    assert f.null_count() == 0 and int(f.is_nan().sum()) > 0


def test_output_directory_suggests_an_augmented_file_name(tmp_path):
    src = tmp_path / "data.csv"
    pl.DataFrame(base()).write_csv(src)
    (tmp_path / "outdir").mkdir()
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-o", str(tmp_path / "outdir")])
    assert res.exit_code == 2
    text = " ".join(res.output.split())
    assert "is a directory" in text and "data.augmented.csv" in text and "scores.parquet" not in text, text


def test_a_class_absent_from_the_valuation_split_is_noted():
    rng = np.random.default_rng(4)
    n = 150
    y = ["a"] * 80 + ["b"] * 67 + ["c"] * 3
    df = pl.DataFrame({"x": rng.normal(size=n), "y": y})
    plan = plan_evaluation(make_table(df, label="y"), fast(evaluate=True))
    assert plan.class_counts["valuation"]["c"] == 0 and plan.class_counts["holdout"]["c"] == 1
    assert any("'c'" in note and "absent from the valuation split" in note for note in plan.notes), plan.notes
    both = plan_evaluation(make_table(df.head(149), label="y"), fast(evaluate=True))  # 2 rows of c: in neither
    assert any("absent from the valuation split" in note for note in both.notes)
    assert any("absent from the holdout" in note for note in both.notes)


def test_a_report_path_clash_names_the_json_report_not_output(tmp_path):
    src = tmp_path / "data.csv"
    pl.DataFrame(base()).write_csv(src)
    scores = tmp_path / "r.augment-report.json"
    scores.write_text(src.read_text())
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-o", str(tmp_path / "r.csv"),
                              "--scores", str(scores)])
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and f"the JSON report {scores} (named after --output {tmp_path / 'r.csv'})" in text, text
    assert f"--output {scores}" not in text
    (tmp_path / "q.augment-report.json").mkdir()
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-o", str(tmp_path / "q.csv")])
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "the JSON report" in text and "is a directory" in text, text
    assert "scores.parquet" not in text


def test_hard_frac_without_a_hard_target_is_refused_not_ignored(tmp_path):
    src = tmp_path / "data.csv"
    pl.DataFrame(base()).write_csv(src)
    for target in ("all", "class:p", "mislabeled-removed"):
        res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-t", target,
                                  "--hard-frac", "0.3", "-o", str(tmp_path / "o.csv")])
        text = " ".join(res.output.split())
        assert res.exit_code == 2 and "--hard-frac 0.3 sizes the hard set" in text and "uses no hard set" in text, text
        assert not (tmp_path / "o.csv").exists()
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-t", "class:p",
                              "--hard-frac", "0.3", "-o", str(tmp_path / "o.csv")])
    assert "--target hard,class:p" in " ".join(res.output.split())
