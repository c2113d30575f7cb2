"""``dvclean augment``: output schema, mislabeled rows kept from the generator, seeds,
SDV pitfalls, bad input, --scores, --evaluate, and the paper's simulation (slow)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment, parse_n_synthetic, parse_target
from dvclean.augment._sdv import auto_batch_size, auto_epochs
from dvclean.augment.evaluate import outcome
from dvclean.cli import app
from dvclean.errors import ConfigError

from .conftest import HAS_SDV, needs_sdv

runner = CliRunner()


pytestmark = pytest.mark.usefixtures("sdv_home")


def make_frame(n: int = 240, seed: int = 0, noise: float = 0.06) -> pl.DataFrame:
    """Two noisy classes with every kind of column SDV gets wrong, and flipped labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x1 = y * 2.0 + rng.normal(0, 0.9, n) + np.arange(n) * 1e-6  # unique values: they identify rows
    flip = rng.random(n) < noise
    label = np.where(flip, 1 - y, y)
    return pl.DataFrame({
        "id": [f"r{i:04d}" for i in range(n)],
        "email": [f"user{i % 23}@example.org" for i in range(n)],
        "city": [["Lyon", "Oslo", "Kyiv"][int(v)] for v in rng.integers(0, 3, n)],
        "x1": x1,
        "x2": rng.normal(0, 1, n) + y,
        "count": rng.integers(0, 1000, n),
        "level": pl.Series(rng.integers(1, 4, n), dtype=pl.Int32),
        "flag": rng.random(n) < 0.5,
        "day": [dt.date(2022, 1, 1) + dt.timedelta(days=int(d)) for d in rng.integers(0, 365, n)],
        "maybe": [None if i % 9 == 0 else float(v) for i, v in enumerate(rng.normal(5, 1, n))],
        "kind": pl.Series([["a", "b"][int(v)] for v in rng.integers(0, 2, n)], dtype=pl.Enum(["a", "b", "c"])),
        "shade": pl.Series([["dark", "light"][int(v)] for v in rng.integers(0, 2, n)], dtype=pl.Categorical),
        "label": [["no", "yes"][int(v)] for v in label],
    })


def fast(**kw) -> AugmentConfig:
    base = {"generator": "gaussian-copula", "quality": False}
    base.update(kw)
    return AugmentConfig(**base)


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


# ---------------------------------------------------------------- pure parts (no SDV)


def test_parse_target_and_n_synthetic():
    assert parse_target("hard").base == "hard"
    assert parse_target("hard,class:yes") == parse_target(" hard , class:yes ")
    assert parse_target("class:1").base == "all" and parse_target("class:1").classes == ("1",)
    assert parse_target("mislabeled-removed,class:a,class:b").classes == ("a", "b")
    for bad in ("", "hardest", "hard,all", "class:"):
        with pytest.raises(ConfigError):
            parse_target(bad)
    assert parse_n_synthetic("10%", 2000) == 200
    assert parse_n_synthetic("2.5%", 1000) == 25
    assert parse_n_synthetic("37", 10) == 37
    for bad in ("0", "0%", "ten", "-5", "0.01%"):
        with pytest.raises(ConfigError):
            parse_n_synthetic(bad, 1000)


def test_auto_epochs_and_batch_for_small_hard_sets():
    assert auto_batch_size("tvae", 37) == 37
    assert auto_batch_size("ctgan", 37) == 30 and auto_batch_size("copulagan", 12) == 10
    assert auto_batch_size("ctgan", 5000) == 500
    assert auto_epochs(250, 250) == 1000  # full batch: 1000 steps
    assert auto_epochs(24_000, 500) == 21  # 48 steps per epoch: 1008 steps
    assert auto_epochs(240_000, 500) == 10  # 480 steps per epoch: at least 10 passes
    assert auto_epochs(2_400, 500) == 200  # 5 steps per epoch
    # CTGAN's loop (CopulaGAN's too) runs rows // batch steps per epoch, TVAE's loader ceil(rows / batch)
    assert auto_epochs(74, 70, "ctgan") == 1000 and auto_epochs(74, 70, "copulagan") == 1000
    assert auto_epochs(74, 70, "tvae") == 500
    assert auto_epochs(1_499, 500, "ctgan") == 500  # 2 steps per epoch (was 334 epochs: 668 steps)
    with pytest.raises(ConfigError):
        AugmentConfig(generator="gan")
    with pytest.raises(ConfigError):
        AugmentConfig(repeats=1)


def test_missing_sdv_says_what_to_install(tmp_path, monkeypatch):
    src = tmp_path / "d.csv"
    make_frame(60).write_csv(src)
    monkeypatch.setitem(sys.modules, "sdv", None)  # import sdv -> ImportError
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "-q"])
    assert res.exit_code == 2, res.output
    assert 'pip install ".[augment]"' in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "d.augmented.csv").exists()


# ---------------------------------------------------------------- output


@needs_sdv
@pytest.mark.parametrize("generator", ["gaussian-copula", "tvae", "ctgan", "copulagan"])
def test_output_schema_dtypes_originals_and_provenance(generator):
    df = make_frame()
    cfg = fast(generator=generator, epochs=2 if generator != "gaussian-copula" else None, target="all", n_synthetic="60")
    r = augment(df, label="label", config=cfg)
    out = r.frame
    assert out.columns == [*df.columns, "dvclean_synthetic"]
    assert out.drop("dvclean_synthetic").schema == df.schema
    assert out.height == df.height + 60
    assert out.head(df.height).drop("dvclean_synthetic").equals(df)  # originals unchanged, first, in order
    prov = out.get_column("dvclean_synthetic").to_list()
    assert prov == [False] * df.height + [True] * 60
    syn = out.tail(60)
    for col in ("email", "city", "id", "label", "kind", "shade"):
        assert set(syn.get_column(col).cast(pl.String).to_list()) <= set(df.get_column(col).cast(pl.String).to_list()), col
    assert syn.schema["kind"] == pl.Enum(["a", "b", "c"])  # the category set survives
    assert set(syn.get_column("level").to_list()) <= {1, 2, 3}
    for col in df.columns:  # nulls only where the input had them
        if df.get_column(col).null_count() == 0:
            assert syn.get_column(col).null_count() == 0, col
    rep = r.report
    assert rep["generator"]["sdtypes"]["email"] == "categorical" and rep["generator"]["sdtypes"]["city"] == "categorical"
    assert set(rep["generator"]["sdtypes"].values()) <= {"numerical", "categorical", "boolean", "datetime"}
    if generator != "gaussian-copula":
        assert rep["generator"]["epochs"] == 2 and rep["generator"]["early_stopping"].startswith("not available")


@needs_sdv
def test_id_column_not_modelled_and_pii_names_keep_real_values():
    df = make_frame()
    r = augment(df, label="label", id_column="id", config=fast(target="all", n_synthetic="40"))
    syn = r.synthetic
    assert "id" not in r.report["generator"]["sdtypes"] and r.report["generator"]["not_modelled"] == ["id"]
    assert syn.get_column("id").to_list() == [f"synthetic-{i}" for i in range(40)]
    assert r.frame.get_column("id").n_unique() == r.frame.height
    assert set(syn.get_column("email").to_list()) <= set(df.get_column("email").to_list())
    assert set(syn.get_column("city").to_list()) <= {"Lyon", "Oslo", "Kyiv"}
    ints = df.with_columns(pl.Series("id", np.arange(100, 100 + df.height)))
    r2 = augment(ints, label="label", id_column="id", config=fast(target="all", n_synthetic="5"))
    assert r2.synthetic.get_column("id").to_list() == list(range(100 + df.height, 105 + df.height))


@needs_sdv
def test_mislabeled_rows_never_reach_the_generator(copula_fits):
    seen = copula_fits
    df = make_frame(300, noise=0.12)
    for target in ("all", "hard", "mislabeled-removed"):
        seen.clear()
        r = augment(df, label="label", config=fast(target=target, hard_fraction=0.2))
        mis = r.scores.is_mislabeled
        assert mis.sum() >= 3
        fitted = set(seen[0]["x1"].round(9))
        bad = set(np.round(df.get_column("x1").to_numpy()[mis], 9))
        assert not fitted & bad, target
        assert len(seen[0]) == r.report["target"]["rows"]
    seen.clear()
    r = augment(df, label="label", config=fast(target="all", include_mislabeled=True))
    assert set(np.round(df.get_column("x1").to_numpy()[r.scores.is_mislabeled], 9)) <= set(seen[0]["x1"].round(9))


@needs_sdv
def test_drop_mislabeled_and_no_provenance():
    df = make_frame(300, noise=0.12)
    r = augment(df, label="label", config=fast(target="all", drop_mislabeled=True, provenance=False, n_synthetic="7"))
    n_mis = int(r.scores.is_mislabeled.sum())
    assert n_mis > 0 and r.frame.height == df.height - n_mis + 7
    assert r.frame.schema == df.schema
    assert r.frame.head(df.height - n_mis).equals(df.filter(pl.Series(~r.scores.is_mislabeled)))


@needs_sdv
def test_class_target_selects_one_class():
    df = make_frame(300)
    r = augment(df, label="label", config=fast(target="class:yes"))
    assert r.report["target"]["class_mix"].keys() == {"yes"}
    assert set(r.synthetic.get_column("label").to_list()) == {"yes"}
    r2 = augment(df, label="label", config=fast(target="hard,class:no", hard_fraction=0.5))
    assert r2.report["target"]["class_mix"].keys() == {"no"}


# ---------------------------------------------------------------- CLI: seeds, files, errors


@needs_sdv
def test_same_seed_same_bytes_other_seed_other_rows(tmp_path):
    src = tmp_path / "d.parquet"
    make_frame(200).write_parquet(src)
    before = sha(src)
    outs = []
    for i, seed in enumerate((3, 3, 4)):
        out = tmp_path / f"o{i}.csv"
        res = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "tvae", "--epochs", "2", "--target", "all",
                                  "--seed", str(seed), "-o", str(out), "-q"])
        assert res.exit_code == 0, res.output
        outs.append(out)
    assert sha(outs[0]) == sha(outs[1])
    a, c = pl.read_csv(outs[0]), pl.read_csv(outs[2])
    assert a.height == c.height == 220
    assert not a.tail(20).equals(c.tail(20))
    assert a.head(200).equals(c.head(200))
    assert sha(src) == before
    report = json.loads((tmp_path / "o0.augment-report.json").read_text())
    assert report["seed"] == 3 and report["input"]["sha256"] == before and report["output"] == str(outs[0])


@needs_sdv
def test_cli_defaults_report_next_to_output_and_json(tmp_path):
    src = tmp_path / "data.csv"
    make_frame(200).write_csv(src)
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "gaussian-copula", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    out = tmp_path / "data.augmented.csv"
    rep = tmp_path / "data.augment-report.json"
    assert out.exists() and rep.exists() and doc["output"] == str(out)
    saved = json.loads(rep.read_text())
    for key in ("config", "seed", "input", "target", "generator", "timings", "quality", "evaluation"):
        assert key in saved
    assert saved["target"]["spec"] == "hard" and sum(saved["target"]["class_mix"].values()) == saved["target"]["rows"]
    assert saved["synthetic"]["rows"] == 20  # 10% of 200
    assert 0 <= saved["quality"]["score"] <= 1


@needs_sdv
def test_reuse_scores_file(tmp_path):
    src = tmp_path / "d.csv"
    make_frame(200).write_csv(src)
    scores = tmp_path / "d.dvclean.parquet"
    assert runner.invoke(app, ["score", str(src), "-y", "label", "-q"]).exit_code == 0
    a = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "gaussian-copula", "--json", "-o", str(tmp_path / "a.csv")])
    b = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "gaussian-copula", "--json", "--scores", str(scores),
                            "-o", str(tmp_path / "b.csv")])
    assert a.exit_code == 0 and b.exit_code == 0, b.output
    da, db = json.loads(a.stdout), json.loads(b.stdout)
    assert db["scores"]["source"].startswith("file") and da["target"] == db["target"]
    assert sha(tmp_path / "a.csv") == sha(tmp_path / "b.csv")
    other = tmp_path / "other.csv"
    make_frame(150).write_csv(other)
    res = runner.invoke(app, ["augment", str(other), "-y", "label", "--scores", str(scores), "-q"])
    assert res.exit_code == 2 and "another file" in res.stderr


@needs_sdv
def test_html_report_from_augment_with_computed_and_reused_scores(tmp_path):
    src = tmp_path / "d.csv"
    make_frame(200).write_csv(src)
    for extra, name in (([], "a"), (["--scores", "scores"], "b")):
        if extra:
            assert runner.invoke(app, ["score", str(src), "-y", "label", "-q", "-o", str(tmp_path / "s.parquet")]).exit_code == 0
            extra = ["--scores", str(tmp_path / "s.parquet")]
        html = tmp_path / f"{name}.html"
        res = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "gaussian-copula", "-q", "--evaluate",
                                  "--repeats", "2", "-o", str(tmp_path / f"{name}.csv"), "--report", str(html), *extra])
        assert res.exit_code == 0, res.output
        text = html.read_text(encoding="utf-8")
        assert "dvclean augment" in text and "targeted" in text.lower()
        assert 'src="http' not in text and 'href="http' not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "class:maybe"], "no row of the label"),
        (["--target", "hard", "--hard-frac", "0.02"], "fewer than the 10"),
        (["--n-synthetic", "0"], "--n-synthetic 0"),
        (["--target", "sideways"], "unknown part"),
        (["--generator", "gan"], "generator"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, args, message):
    if "--hard-frac" in args and not HAS_SDV:
        pytest.skip("needs SDV to reach the hard-set check")
    src = tmp_path / "d.csv"
    make_frame(200).write_csv(src)
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "gaussian-copula", "-q", *args])
    assert res.exit_code == 2, res.output
    assert message in res.stderr and "Traceback" not in res.output
    assert len(res.stderr.strip().splitlines()) <= 3  # one message (rich may wrap it)
    assert not (tmp_path / "d.augmented.csv").exists()


def test_only_id_and_label_is_refused(tmp_path):
    src = tmp_path / "d.csv"
    pl.DataFrame({"id": list(range(50)), "label": [i % 2 for i in range(50)]}).write_csv(src)
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "--id", "id", "-q"])
    assert res.exit_code == 2 and "no feature columns" in res.stderr


def test_output_never_overwrites_input(tmp_path):
    src = tmp_path / "d.csv"
    make_frame(60).write_csv(src)
    before = sha(src)
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "-o", str(src), "-q"])
    assert res.exit_code == 2 and "never overwrites" in res.stderr and sha(src) == before


# ---------------------------------------------------------------- evaluation


@needs_sdv
def test_evaluate_three_arms_with_cis(tmp_path):
    src = tmp_path / "d.csv"
    make_frame(400, noise=0.03).write_csv(src)
    res = runner.invoke(app, ["augment", str(src), "-y", "label", "-g", "gaussian-copula", "--evaluate", "--repeats", "3",
                              "--hard-frac", "0.2"])
    assert res.exit_code == 0, res.output
    assert "baseline" in res.stdout and "targeted" in res.stdout
    flat = " ".join(res.stdout.split())  # rich wraps the verdict line
    assert ("improved holdout AUC" in flat) or ("no evidence that augmentation helped" in flat)
    assert "(95% CIs over 3 seeds and the holdout rows on one split)" in flat
    ev = json.loads((tmp_path / "d.augment-report.json").read_text())["evaluation"]
    counts = ev["split"].pop("class_counts")  # per-split class counts (added with the class-aware split)
    assert ev["split"] == {"train": 320, "valuation": 40, "holdout": 40, "holdout_source": "split",
                           "fractions": [0.8, 0.1, 0.1], "stratified": True, "seed": 0}
    assert {k: sum(v.values()) for k, v in counts.items()} == {"train": 320, "valuation": 40, "holdout": 40}
    assert ev["n_synthetic"] == 32 and ev["primary_metric"] == "auc"
    for arm in ("baseline", "non_targeted", "targeted"):
        a = ev["arms"][arm]
        assert len(a["auc"]["values"]) == 3 and a["auc"]["ci95"] is not None
        assert a["gini"]["mean"] == pytest.approx(2 * a["auc"]["mean"] - 1)
    d = ev["arms"]["targeted"]["delta_auc"]
    diffs = np.subtract(ev["arms"]["targeted"]["auc"]["values"], ev["arms"]["baseline"]["auc"]["values"])
    assert d["mean"] == pytest.approx(diffs.mean())
    assert ev["generators"]["targeted"]["training_rows"] < ev["generators"]["non_targeted"]["training_rows"]
    assert 0 <= ev["generators"]["targeted"]["quality"]["score"] <= 1


@needs_sdv
def test_evaluate_multiclass_with_holdout_file(tmp_path):
    rng = np.random.default_rng(1)
    n = 450
    y = rng.integers(0, 3, n)
    df = pl.DataFrame({"a": y + rng.normal(0, 0.7, n), "b": rng.normal(0, 1, n), "label": [f"c{v}" for v in y]})
    df.head(360).write_csv(tmp_path / "d.csv")
    df.tail(90).write_csv(tmp_path / "h.csv")
    res = runner.invoke(app, ["augment", str(tmp_path / "d.csv"), "-y", "label", "-g", "gaussian-copula", "--evaluate",
                              "--repeats", "2", "--holdout", str(tmp_path / "h.csv"), "--hard-frac", "0.2", "--json"])
    assert res.exit_code == 0, res.output
    ev = json.loads(res.stdout)["evaluation"]
    assert ev["split"]["holdout"] == 90 and ev["split"]["holdout_source"] == "file"
    assert ev["split"]["fractions"] == pytest.approx([8 / 9, 1 / 9, 0.0])  # the split made: train and valuation 8:1
    assert ev["split"]["train"] + ev["split"]["valuation"] == 360
    assert ev["primary_metric"] == "macro_f1" and "log_loss" in ev["arms"]["baseline"]


@needs_sdv
@pytest.mark.slow
def test_paper_simulation_targeted_is_not_worse_than_non_targeted():
    """Ferracci et al.'s simulation (v2 driver: class_sep 1.1): hard 5% by 5-NN KNN-Shapley, TVAE.

    The paper's v1 simulation (class_sep 1.2, 30 draws) has targeted above non-targeted by
    1.6e-3 Gini (8e-4 AUC). Here the two were within 5e-5 AUC of each other until the
    dependencies installed on 2026-11-30 (same dvclean code, same seeds) moved the arms to
    baseline 0.94859, targeted 0.94866 (+0.0001 +- 0.0019, no difference) and non-targeted
    0.94756 (-0.0010 +- 0.0010, "hurt"): the non-targeted arm sits on the edge of its interval
    and is not what the paper claims anything about. What is checked is the paper's claim as far
    as this run can show it: the targeted augmentation does not hurt the holdout AUC and
    non-targeted does not beat targeted (the paired interval of their difference is not above 0).
    """
    from sklearn.datasets import make_classification

    x, y = make_classification(
        n_samples=10_000, n_features=2, n_informative=2, n_redundant=0, n_clusters_per_class=2,
        class_sep=1.1, flip_y=0, random_state=0,
    )
    df = pl.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": y})
    cfg = AugmentConfig(generator="tvae", hard_fraction=0.05, k=5, evaluate=True, repeats=5, quality=False,
                        include_mislabeled=True)
    r = augment(df, label="y", config=cfg)
    ev = r.report["evaluation"]
    arms = ev["arms"]
    sys.stderr.write(f"simulation: { {a: arms[a]['auc']['mean'] for a in arms} } {ev['verdict']}\n")
    assert ev["target_rows"] == 400
    assert ev["comparison"]["targeted"] != "hurt"
    assert outcome(ev["comparison"]["non_targeted_minus_targeted_auc"]) != "helped"
    assert abs(arms["targeted"]["auc"]["mean"] - arms["non_targeted"]["auc"]["mean"]) < 0.01


@needs_sdv
def test_csv_originals_keep_their_exact_text_and_synthetic_rows_look_alike(tmp_path):
    """Leading zeros, trailing zeros, ';', quoted separators, "", NA and ? survive in the original rows."""
    rng = np.random.default_rng(1)
    cities = ['"Paris; FR"', "Lyon", '"Nice"', "NA", "?", ""]
    lines = ["zip;price;x;city;y"]
    for i in range(150):
        y = int(rng.integers(0, 2))
        price = f"{rng.uniform(10, 99):.2f}" if i % 5 else "75.60"
        lines.append(f"{int(rng.integers(0, 3000)):05d};{price};{rng.normal(3 * y, 1):.3f};{cities[i % 6]};{y}")
    src = tmp_path / "fmt.csv"
    src.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    before = sha(src)
    out = tmp_path / "aug.csv"
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "--target", "all", "-n", "30",
                              "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert sha(src) == before
    got = out.read_bytes().decode().split("\r\n")[:-1]
    assert got[0] == lines[0] + ";dvclean_synthetic"
    assert got[1:151] == [line + ";false" for line in lines[1:]]
    synthetic = list(csv.reader(got[151:], delimiter=";"))
    assert len(synthetic) == 30 and all(row[-1] == "true" and len(row) == 6 for row in synthetic)
    assert all(len(row[0]) == 5 and row[0].isdigit() for row in synthetic)  # zip codes keep their zero padding
    back = pl.read_csv(out, separator=";")
    assert back.height == 180 and back.schema["y"].is_integer() and back.schema["zip"].is_integer()
