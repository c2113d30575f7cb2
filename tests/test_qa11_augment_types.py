"""QA s11 #10: ``augment`` and column types the generator cannot model.

* every column of a type the generator cannot model (Binary, ...; Decimal and Duration are
  modelled as numbers since session 22, a time of day since session 52) is named in one
  message, with a ``--withhold`` hint for each of them, before any row is valued;
* a column without any value (type Null, or null in every row) is left out of the generator:
  synthetic rows get nulls in it, of the input's type, and a note says so.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment
from dvclean.cli import app
from dvclean.errors import AugmentError

from .conftest import needs_sdv

pytestmark = [pytest.mark.usefixtures("sdv_home"), needs_sdv]

runner = CliRunner()


def base(n: int = 80, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({"x": rng.normal(size=n) + 2.0 * y, "z": rng.normal(size=n), "y": [["p", "q"][v] for v in y]})


def exotic(n: int = 80) -> pl.DataFrame:
    rng = np.random.default_rng(1)
    return base(n).with_columns(
        pl.Series("dec", [f"{v:.2f}".encode() for v in rng.normal(size=n) * 100], dtype=pl.Binary),
        pl.Series("tm", [f"{v:.3f}".encode() for v in rng.normal(size=n)], dtype=pl.Binary),
        pl.Series("dur", [f"{v:.1f}".encode() for v in rng.normal(size=n)], dtype=pl.Binary),
        pl.Series("hm", [dt.time(int(h), int(m)) for h, m in zip(rng.integers(0, 24, n), rng.integers(0, 60, n), strict=True)]),
    )


def fast(**kw) -> AugmentConfig:
    return AugmentConfig(**{"generator": "gaussian-copula", "quality": False, "n_synthetic": "12", "target": "all", **kw})


def test_every_unsupported_column_is_named_in_one_message_before_the_valuation():
    stages: list[str] = []
    with pytest.raises(AugmentError) as err:
        augment(exotic(), label="y", config=fast(), progress=stages.append)
    msg = str(err.value)
    assert "3 columns have types the generator cannot model" in msg, msg
    for col, kind in (("dec", "Binary"), ("tm", "Binary"), ("dur", "Binary")):
        assert f"'{col}' ({kind}" in msg, msg
    assert "--withhold dec --withhold tm --withhold dur" in msg, msg
    assert not any(s.startswith("valuing") for s in stages), stages  # refused before any work
    # one column left: the one-column message
    with pytest.raises(AugmentError, match=r"column 'tm' has type Binary, which the generator cannot model; "
                                           r"keep it from the generator with --withhold tm"):
        augment(exotic(), label="y", config=fast(withhold=("dec", "dur")))
    assert "'hm'" not in msg  # a time of day is modelled, as its whole minutes (session 52)
    r = augment(exotic(), label="y", config=fast(withhold=("dec", "tm", "dur")))
    hm = r.synthetic.get_column("hm")
    assert hm.dtype == pl.Time and hm.null_count() == 0 and hm.n_unique() > 1
    assert (hm.to_physical() % (60 * 10**9) == 0).all()


def test_cli_names_all_of_them_with_exit_2(tmp_path):
    src = tmp_path / "ex.parquet"
    exotic().write_parquet(src)
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-n", "10", "-q",
                              "-o", str(tmp_path / "out.parquet"), "--withhold", "dec"])
    assert res.exit_code == 2, res.output
    text = " ".join(res.output.split())
    assert "'tm' (Binary)" in text and "'dur' (Binary" in text and "--withhold tm --withhold dur" in text, text


@pytest.mark.parametrize("dtype", [pl.Null, pl.Float64, pl.String])
def test_a_column_without_values_stays_null_in_synthetic_rows(dtype):
    frame = base().with_columns(pl.Series("empty", [None] * 80, dtype=dtype))
    res = augment(frame, label="y", config=fast())
    syn = res.synthetic
    assert syn.height == 12
    assert res.frame.schema["empty"] == dtype and syn.schema["empty"] == dtype
    assert syn.get_column("empty").null_count() == 12
    assert res.frame.columns == [*frame.columns, "dvclean_synthetic"]
    assert any("column 'empty' holds no value" in n and "synthetic rows leave it empty" in n
               for n in res.report["notes"]), res.report["notes"]
    assert syn.get_column("x").n_unique() > 1  # the other columns are still modelled


def test_a_column_empty_in_the_training_rows_only():
    frame = base()
    # values only in rows of class q: training on class p sees none
    frame = frame.with_columns(pl.when(pl.col("y") == "q").then(pl.col("z")).otherwise(None).alias("w"))
    res = augment(frame, label="y", config=fast(target="class:p"))
    assert res.synthetic.get_column("w").null_count() == 12
    assert res.synthetic.get_column("y").unique().to_list() == ["p"]
    notes = res.report["notes"]
    assert any("column 'w' holds no value in the" in n and "training rows (class:p)" in n for n in notes), notes
