"""Point masses of numerical columns (``dvclean.augment._sdv``): SDV's generators smear a
spike such as "60% of the rows are 0" over nearby values; the Generator models it with a
hidden indicator column and puts the exact value back after sampling."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

from dvclean.augment._sdv import (
    MASS,
    POINT_MASS_MIN_ROWS,
    VALUE,
    PointMass,
    find_point_mass,
    merge_point_masses,
)

from .conftest import HAS_SDV, needs_sdv

N_SYN = 500


pytestmark = pytest.mark.usefixtures("sdv_home")


def make_frame(n: int = 300, seed: int = 0) -> pl.DataFrame:
    """``gain``: float, 0 in ~60% of the rows, mostly in class "no"; ``hours``: int, 40 in ~45%;
    ``maybe``: float with ~15% nulls and 0 in ~30% of the rest; ``x``: no mass; ``day``: a
    date with a mass (not numerical); ``city``: categorical."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    zero = rng.random(n) < np.where(y == 0, 0.95, 0.25)
    gain = np.where(zero, 0.0, np.round(rng.lognormal(5, 1, n), 2))
    hours = np.where(rng.random(n) < 0.45, 40, rng.integers(10, 80, n))
    maybe = np.where(rng.random(n) < 0.3, 0.0, np.round(rng.normal(5, 1, n), 3))
    first = dt.date(2022, 1, 1)
    return pl.DataFrame({
        "gain": gain,
        "hours": hours,
        "maybe": [None if rng.random() < 0.15 else float(v) for v in maybe],
        "x": rng.normal(size=n) + y,
        "city": [["Lyon", "Oslo", "Kyiv"][int(v)] for v in rng.integers(0, 3, n)],
        "day": [first if rng.random() < 0.5 else first + dt.timedelta(days=int(d)) for d in rng.integers(1, 365, n)],
        "y": [["no", "yes"][int(v)] for v in y],
    })


def share(s: pl.Series, value: float) -> float:
    v = s.drop_nulls()
    return float((v == value).mean())


def tolerance(p: float, n: int = N_SYN) -> float:
    """Four binomial standard errors of a share ``p`` estimated from ``n`` synthetic rows."""
    return 4 * math.sqrt(p * (1 - p) / n)


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return make_frame()


@pytest.fixture(scope="module")
def fitted(frame):
    """Gaussian copula with and without the treatment, and their first samples."""
    if not HAS_SDV:
        pytest.skip("SDV is not installed")
    from dvclean.augment._sdv import Generator

    on = Generator(frame, label="y", generator="gaussian-copula", seed=0)
    off = Generator(frame, label="y", generator="gaussian-copula", seed=0, point_masses=False)
    return on, on.sample(N_SYN), off, off.sample(N_SYN)


# ---------------------------------------------------------------- detection (no SDV)


def test_find_point_mass_degenerate_and_ordinary_columns():
    rng = np.random.default_rng(1)
    assert find_point_mass(pd.Series(rng.normal(size=500))) is None  # continuous
    assert find_point_mass(pd.Series(np.full(50, 3.0))) is None  # all equal: SDV copies a constant
    assert find_point_mass(pd.Series([3.0] * 20 + [np.nan] * 10)) is None  # the mass and nulls only
    assert find_point_mass(pd.Series([np.nan] * 10)) is None
    few = [0.0] * (POINT_MASS_MIN_ROWS - 1) + [1.0, 2.0]
    assert find_point_mass(pd.Series(few)) is None  # 67% but fewer rows than POINT_MASS_MIN_ROWS
    assert find_point_mass(pd.Series([0.0] * 9 + list(range(1, 92)))) is None  # 9% < 10%
    assert find_point_mass(pd.Series([0.0] * 10 + list(range(1, 91)))) == (0.0, 10)  # 10%
    assert find_point_mass(pd.Series([0.0] * 80 + [5.0] * 20)) == (0.0, 80)  # one other value
    # the share is of the non-null values; int columns and a mass away from 0
    assert find_point_mass(pd.Series([40] * 30 + list(range(41, 71)) + [np.nan] * 200)) == (40.0, 30)
    assert find_point_mass(pd.Series([np.inf] * 50 + list(range(50)), dtype=float)) is None


def test_merge_puts_masses_back_keeps_nulls_and_moves_values_off_the_mass():
    schema = {"a": pl.Int64, "b": pl.Float64}
    pm = [PointMass("a", 40, "__pm_a", others=np.array([10.0, 20.0])),
          PointMass("b", 0.0, "__pm_b", others=np.array([1.5]))]
    pdf = pd.DataFrame({
        "a": [12.0, 40.2, 33.0, np.nan, 39.6],
        "__pm_a": [MASS, VALUE, VALUE, MASS, VALUE],
        "b": [0.3, 0.0, 2.5, np.nan, 0.0],
        "__pm_b": [VALUE, VALUE, MASS, VALUE, VALUE],
    })
    out = merge_point_masses(pdf, pm, schema, np.random.default_rng(0))
    assert list(out.columns) == ["a", "b"]
    a, b = out["a"].tolist(), out["b"].tolist()
    assert a[0] == 40 and a[2] == 33.0 and math.isnan(a[3])  # SDV's null wins over "mass"
    assert a[1] in (33.0, 12.0) and a[4] in (33.0, 12.0)  # "value" rows never land on 40
    assert b[0] == 0.3 and b[2] == 0.0 and math.isnan(b[3])
    assert b[1] == 0.3 and b[4] == 0.3
    lone = pd.DataFrame({"b": [0.0], "__pm_b": [VALUE]})
    assert merge_point_masses(lone, pm[1:], schema, np.random.default_rng(0))["b"].tolist() == [1.5]  # training donors


@needs_sdv
def test_split_keeps_nulls_and_draws_stand_ins_from_the_other_values(frame):
    from dvclean.augment._sdv import _sdtype, split_point_masses, to_pandas

    pdf = to_pandas(frame)
    sdtypes = {c: _sdtype(frame.get_column(c), "y") for c in frame.columns}
    out, sd, masses = split_point_masses(pdf, sdtypes, frame.schema, seed=0)
    assert [pm.column for pm in masses] == ["gain", "hours", "maybe"]
    for pm in masses:
        assert sd[pm.indicator] == "categorical" and pm.indicator not in frame.columns
        orig, new, state = pdf[pm.column], out[pm.column], out[pm.indicator]
        assert (new.isna() == orig.isna()).all()  # nulls stay where they were
        assert not (new == pm.value).any()  # the spike is gone from the numerical column
        at = (orig == pm.value).to_numpy()
        assert (state[at] == MASS).all() and (state[orig.notna().to_numpy() & ~at] == VALUE).all()
        assert set(new[at]) <= set(orig[orig.notna() & ~at])
    assert out["hours"].dtype == np.int64
    # a null row's indicator is "mass" at about the mass's share of the non-null values
    maybe = pdf["maybe"]
    null_state = out.loc[maybe.isna(), masses[2].indicator]
    p = float((maybe.dropna() == 0).mean())
    assert abs(float((null_state == MASS).mean()) - p) <= 4 * math.sqrt(p * (1 - p) / len(null_state))


# ---------------------------------------------------------------- gaussian copula


@needs_sdv
def test_settings_list_the_masses_and_nothing_leaks(fitted, frame):
    on, syn, off, syn_off = fitted
    assert on.settings.point_masses == {"gain": 0.0, "hours": 40, "maybe": 0.0}
    assert type(on.settings.point_masses["hours"]) is int and type(on.settings.point_masses["gain"]) is float
    json.dumps(dataclasses.asdict(on.settings))  # JSON-serialisable for the report
    assert off.settings.point_masses == {}
    # x has no mass; day is a date (never numerical), city and y are categorical
    assert on.settings.sdtypes == off.settings.sdtypes and on.settings.sdtypes["day"] == "datetime"
    for s in (syn, syn_off):
        assert s.schema == frame.schema  # same columns, same dtypes; no indicator column
    assert syn.get_column("hours").dtype == pl.Int64
    # quality compares against the rows as given, on their own columns
    assert list(on.pdf.columns) == frame.columns
    assert set(on.metadata.tables["rows"].columns) == set(frame.columns)
    assert len(on.train_pdf.columns) == frame.width + 3


@needs_sdv
def test_zero_share_is_kept_and_exact(fitted, frame):
    on, syn, off, syn_off = fitted
    for col, value in (("gain", 0.0), ("hours", 40), ("maybe", 0.0)):
        p = share(frame.get_column(col), value)
        got, base = share(syn.get_column(col), value), share(syn_off.get_column(col), value)
        assert abs(got - p) <= tolerance(p), (col, p, got)
        assert abs(base - p) > 2 * tolerance(p), (col, p, base)  # untreated: 8+ SEs off (the test can fail)
    # the continuous part stays within the other training values: no nonsense near 0
    gain = syn.get_column("gain")
    smallest = frame.get_column("gain").filter(frame.get_column("gain") > 0).min()
    assert gain.filter(gain != 0).min() >= smallest
    assert gain.min() == 0.0
    assert syn_off.get_column("gain").filter(syn_off.get_column("gain") != 0).min() < smallest


@needs_sdv
def test_null_share_is_kept(fitted, frame):
    _, syn, _, syn_off = fitted
    p = frame.get_column("maybe").null_count() / frame.height
    for s in (syn, syn_off):
        assert abs(s.get_column("maybe").null_count() / s.height - p) <= tolerance(p)
    for col in ("gain", "hours", "x"):
        assert syn.get_column(col).null_count() == 0  # nulls only where the input had them
    # the mass share is of the non-null values, with and without nulls around
    m = share(frame.get_column("maybe"), 0.0)
    assert abs(share(syn.get_column("maybe"), 0.0) - m) <= tolerance(m, syn.get_column("maybe").drop_nulls().len())


@needs_sdv
def test_mass_keeps_its_relation_to_the_label(fitted, frame):
    """Training: 0 in ``gain`` mostly means class "no" (~0.8 vs ~0.5 overall)."""
    _, syn, _, _ = fitted

    def no_at_zero(f: pl.DataFrame) -> tuple[float, float]:
        at = f.filter(pl.col("gain") == 0)
        return float((at.get_column("y") == "no").mean()), float((f.get_column("y") == "no").mean())

    real_at, real_all = no_at_zero(frame)
    assert real_at > real_all + 0.25
    syn_at, syn_all = no_at_zero(syn)
    assert syn_at > 0.5 and syn_at > syn_all + 0.1, (syn_at, syn_all)
    nonzero = syn.filter(pl.col("gain") != 0)
    assert float((nonzero.get_column("y") == "no").mean()) < syn_all


@needs_sdv
def test_same_seed_same_rows(frame, fitted):
    from dvclean.augment._sdv import Generator

    on, syn, _, _ = fitted
    again = Generator(frame, label="y", generator="gaussian-copula", seed=0)
    assert again.sample(N_SYN).equals(syn)
    assert not again.sample(N_SYN).equals(syn)  # consecutive draws differ
    other = Generator(frame, label="y", generator="gaussian-copula", seed=1)
    assert not other.sample(N_SYN).equals(syn)
    # the stand-in values of the fit depend on the seed only
    again2 = Generator(frame, label="y", generator="gaussian-copula", seed=0)
    assert again2.train_pdf.equals(on.train_pdf)


@needs_sdv
def test_quality_is_against_the_real_rows(fitted):
    from sdv.evaluation import evaluate_quality

    from dvclean.augment._sdv import to_pandas

    on, syn, _, _ = fitted
    q = on.quality(syn)
    direct = evaluate_quality(on.pdf, to_pandas(syn), on.metadata, verbose=False)
    assert q["score"] == pytest.approx(direct.get_score(), abs=1e-6)
    assert 0 < q["Column Shapes"] <= 1


@needs_sdv
def test_indicator_name_never_clashes_and_degenerate_columns():
    from dvclean.augment._sdv import Generator

    rng = np.random.default_rng(3)
    n = 120
    clash = "__dvclean_point_mass__gain"
    df = pl.DataFrame({
        "gain": np.where(rng.random(n) < 0.6, 0.0, rng.normal(50, 5, n)),
        clash: rng.normal(size=n),  # a user column with the indicator's name
        "two": np.where(rng.random(n) < 0.7, 0.0, 5.5),  # a mass and one other value (not whole: 0.0/5.0 are codes)
        "const": np.full(n, 7.5),  # all equal
        "massnull": [None if i % 3 == 0 else 2.0 for i in range(n)],  # the mass and nulls only
        "y": [["a", "b"][int(v)] for v in rng.integers(0, 2, n)],
    })
    g = Generator(df, label="y", generator="gaussian-copula", seed=0)
    assert g.settings.point_masses == {"gain": 0.0, "two": 0.0}
    assert {pm.indicator for pm in g.masses}.isdisjoint(df.columns)
    s = g.sample(300)
    assert s.schema == df.schema
    assert set(s.get_column("two").unique().to_list()) <= {0.0, 5.5}
    assert abs(share(s.get_column("two"), 0.0) - share(df.get_column("two"), 0.0)) <= tolerance(0.7, 300)
    assert s.get_column("const").unique().to_list() == [7.5]
    assert set(s.get_column("massnull").drop_nulls().unique().to_list()) == {2.0}
    assert s.get_column(clash).n_unique() > 50  # the user's column is modelled, not overwritten


# ---------------------------------------------------------------- the neural generators


@needs_sdv
@pytest.mark.parametrize("generator", ["tvae", "ctgan", "copulagan"])
def test_neural_generators_with_masses(generator):
    from dvclean.augment._sdv import Generator

    frame = make_frame(n=100, seed=2)
    g = Generator(frame, label="y", generator=generator, epochs=5, batch_size=50, seed=0)
    assert g.settings.point_masses == {"gain": 0.0, "hours": 40, "maybe": 0.0}
    s = g.sample(200)
    assert s.schema == frame.schema
    for col, value in g.settings.point_masses.items():
        real = frame.get_column(col).drop_nulls()
        others = real.filter(real != value)
        v = s.get_column(col).drop_nulls()
        rest = v.filter(v != value)
        # exactly the mass, or a value inside the other training values' range (no smear); a 5-epoch generator may
        # put every sampled value on the mass
        if rest.len():
            assert rest.min() >= others.min() and rest.max() <= others.max(), col
    assert s.get_column("gain").null_count() == 0 and s.get_column("hours").null_count() == 0
    assert Generator(frame, label="y", generator=generator, epochs=5, batch_size=50, seed=0).sample(200).equals(s)


@needs_sdv
@pytest.mark.slow
def test_tvae_keeps_the_mass_and_its_relation_to_the_label(frame):
    """TVAE, trained long enough (300 full-batch epochs, 5-25 s for both fits on 2 cores): untreated it
    puts ~46% of the rows exactly on 0 and loses most of the relation to the label."""
    from dvclean.augment._sdv import Generator

    real = share(frame.get_column("gain"), 0.0)
    real_no = float((frame.filter(pl.col("gain") == 0).get_column("y") == "no").mean())
    out = {}
    for treat in (True, False):
        g = Generator(frame, label="y", generator="tvae", epochs=300, seed=0, point_masses=treat)
        s = g.sample(N_SYN)
        at = s.filter(pl.col("gain") == 0)
        out[treat] = (share(s.get_column("gain"), 0.0), float((at.get_column("y") == "no").mean()))
        assert abs(s.get_column("maybe").null_count() / N_SYN - 0.19) <= tolerance(0.19)  # SDV's nulls
    assert abs(out[True][0] - real) <= tolerance(real), out
    assert out[True][1] >= real_no - 0.15 and out[True][1] > out[False][1] + 0.1, (real_no, out)


@needs_sdv
def test_gaussian_copula_keeps_category_shares():
    """SDV hands the copula a categorical column as uniform (0, 1) values; with the default
    "norm" marginal the outer categories shrank (Adult '>50K' 23.9% -> 18.3%)."""
    from dvclean.augment._sdv import Generator

    rng = np.random.default_rng(3)
    n = 600
    kind = rng.choice(["a", "b", "c", "d"], size=n, p=[0.08, 0.22, 0.5, 0.2])
    y = np.where(rng.random(n) < 0.2, "yes", "no")
    df = pl.DataFrame({"kind": kind.tolist(), "x": rng.normal(size=n), "y": y.tolist()})
    syn = Generator(df, label="y", generator="gaussian-copula", seed=0).sample(1000)
    for col in ("kind", "y"):
        for value in sorted(set(df.get_column(col).to_list())):
            p = share(df.get_column(col), value)
            got = share(syn.get_column(col), value)
            assert abs(got - p) <= tolerance(p, 1000), (col, value, p, got)


@needs_sdv
def test_large_integer_categories_come_back_exactly():
    """An integer column with few distinct values is categorical: synthetic rows hold input values,
    also above 2**53 (a float round trip turned 2**60 + 1 into 2**60)."""
    from dvclean.augment._sdv import Generator

    big = [2**60 + 1, 2**60 + 3, 2**62 - 1]
    rng = np.random.default_rng(0)
    n = 120
    df = pl.DataFrame({
        "code": [big[int(i)] for i in rng.integers(0, 3, n)],
        "x": rng.normal(size=n),
        "y": [["no", "yes"][int(i)] for i in rng.integers(0, 2, n)],
    })
    syn = Generator(df, label="y", generator="gaussian-copula", seed=0).sample(200)
    assert syn.schema["code"] == pl.Int64
    assert set(syn.get_column("code").to_list()) <= set(big)
