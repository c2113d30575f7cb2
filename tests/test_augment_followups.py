"""``dvclean augment`` follow-ups: CSV labels and ids keep their text (``01`` vs ``1``, ``007`` vs ``7``)
in the data, the ``--scores`` file and the ``--holdout`` file; a ``--scores`` file of any name; a label
named ``count``; ``--scores --report`` reads the data as the run did (QA-aug #6); ``--k`` refused with
``--scores`` and the report's K (QA-aug #8); 0/1 and yes/no flags and text values in a scores file."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.augment import AugmentConfig, augment
from dvclean.augment.core import class_mix
from dvclean.cli import app
from dvclean.errors import DataValidationError, InputError

from .conftest import needs_sdv

runner = CliRunner()

pytestmark = pytest.mark.usefixtures("sdv_home")


def fast(**kw) -> AugmentConfig:
    base = {"generator": "gaussian-copula", "quality": False, "xgb_max_rounds": 40, "xgb_early_stopping": 10,
            "repeats": 2}
    base.update(kw)
    return AugmentConfig(**base)


def cli(*args: str, **kw):
    return runner.invoke(app, ["augment", *args], **kw)


def text_classes(n: int = 150, seed: int = 0) -> str:
    """A CSV whose labels are ``01``, ``1`` and ``2`` and whose ids are ``000``, ``001``, ... (text identities)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    lines = ["id,x1,h,label"]
    for i, c in enumerate(y):
        lines.append(f"{i:03d},{c * 2.0 + rng.normal(0, 0.9):.6f},{int(rng.integers(20, 60))},{['01', '1', '2'][c]}")
    return "\n".join(lines) + "\n"


def scores_of(tmp_path, data, name: str, **kw):
    from dvclean import score
    from dvclean.pipeline import write_scores

    return write_scores(score(str(data), **kw), tmp_path / name)


# ---------------------------------------------------------------- 1: labels and ids keep their text


@needs_sdv
def test_csv_labels_and_ids_keep_their_text(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(text_classes())
    r = augment(str(data), label="label", id_column="id", config=fast(target="all", n_synthetic="60"))
    assert r.report["config"]["k"] == 5 and r.report["drop"] == []  # valued here, with this run's K
    assert r.table.frame.schema["label"] == pl.String and r.table.frame.schema["id"] == pl.String
    assert set(r.report["target"]["class_mix"]) == {"01", "1", "2"}  # 01 and 1 are two classes
    assert set(r.synthetic.get_column("label").to_list()) <= {"01", "1", "2"}
    assert "01" in r.report["synthetic"]["class_mix"]
    assert r.synthetic.get_column("id").str.starts_with("synthetic-").all()  # text ids, not 150, 151, ...
    # the CSV output writes the synthetic rows' labels in the data's spelling
    out = tmp_path / "o.csv"
    res = cli(str(data), "-y", "label", "--id", "id", "-g", "gaussian-copula", "-t", "all", "-n", "60", "-o", str(out), "-q")
    assert res.exit_code == 0, res.output
    written = pl.read_csv(out, infer_schema=False)
    assert written.get_column("id").head(3).to_list() == ["000", "001", "002"]
    syn = written.filter(pl.col("dvclean_synthetic") == "true").get_column("label")
    assert set(syn.to_list()) <= {"01", "1", "2"} and "01" in syn.to_list()


@needs_sdv
def test_a_csv_scores_file_of_score_is_accepted_and_compared_as_text(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(text_classes())
    good = scores_of(tmp_path, data, "s.csv", label="label", id_column="id")
    r = augment(str(data), label="label", id_column="id", scores=good, config=fast(n_synthetic="10"))
    assert r.scores.source.startswith("file")
    ndjson = scores_of(tmp_path, data, "s.ndjson", label="label", id_column="id")
    augment(str(data), label="label", id_column="id", scores=ndjson, config=fast(n_synthetic="10"))
    assert r.report["config"]["k"] is None  # a CSV scores file records no K


@needs_sdv
def test_csv_scores_of_other_labels_or_ids_spelled_as_numbers_are_refused(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(text_classes())
    good = scores_of(tmp_path, data, "s.csv", label="label", id_column="id")
    scores = pl.read_csv(good, infer_schema=False)
    # a label 1 where the data has 01: another file (numbers by value would call them equal)
    row = scores.get_column("label").to_list().index("01")
    relabelled = scores.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit("1"))
                                     .otherwise(pl.col("label")).alias("label"))
    relabelled.write_csv(tmp_path / "relabelled.csv")
    with pytest.raises(DataValidationError, match=f"at row {row} its label is '1' but the data's 'label' is '01'"):
        augment(str(data), label="label", id_column="id", scores=tmp_path / "relabelled.csv",
                config=fast(n_synthetic="10"))
    # the id 7 where the data has 007: another row
    scores.with_columns(pl.col("id").str.replace("^0+(.)", "$1")).write_csv(tmp_path / "ids.csv")
    with pytest.raises(DataValidationError, match="'id' column does not match the data's rows"):
        augment(str(data), label="label", id_column="id", scores=tmp_path / "ids.csv", config=fast(n_synthetic="10"))


@needs_sdv
def test_a_parquet_data_file_with_text_ids_accepts_its_csv_scores(tmp_path):
    """A Parquet string id ``7`` equals the number 7 a CSV scores file reads (compared as text)."""
    rng = np.random.default_rng(3)
    n = 120
    y = rng.integers(0, 2, n)
    df = pl.DataFrame({"id": [str(i) for i in range(n)], "x": y + rng.normal(0, 0.5, n), "label": y})
    data = tmp_path / "d.parquet"
    df.write_parquet(data)
    s = scores_of(tmp_path, data, "s.csv", label="label", id_column="id")
    assert pl.read_csv(s).schema["id"] == pl.Int64
    r = augment(str(data), label="label", id_column="id", scores=s, config=fast(n_synthetic="10"))
    assert r.synthetic.height == 10


@needs_sdv
def test_a_holdout_reads_the_labels_as_text_like_the_data(tmp_path):
    data, hold = tmp_path / "d.csv", tmp_path / "h.csv"
    data.write_text(text_classes(150, seed=0))
    hold.write_text(text_classes(60, seed=1))
    r = augment(str(data), label="label", id_column="id", holdout=str(hold),
                config=fast(target="all", n_synthetic="10", evaluate=True))
    counts = r.report["evaluation"]["split"]["class_counts"]["holdout"]
    assert set(counts) == {"01", "1", "2"} and all(v > 0 for v in counts.values())


@needs_sdv
def test_a_scores_file_of_any_name_is_read(tmp_path):
    """The --scores input is not an output: a name dvclean cannot write (.bak, none) is read by its content."""
    data = tmp_path / "d.csv"
    data.write_text(text_classes())
    csv = scores_of(tmp_path, data, "s.csv", label="label", id_column="id")
    dat = tmp_path / "s.csv.bak"
    dat.write_bytes(csv.read_bytes())
    r = augment(str(data), label="label", id_column="id", scores=dat, config=fast(n_synthetic="10"))
    assert r.synthetic.height == 10
    res = cli(str(data), "-y", "label", "--id", "id", "-g", "gaussian-copula", "-n", "10", "--scores", str(dat),
              "-o", str(tmp_path / "o.csv"), "-q")
    assert res.exit_code == 0, res.output
    # a Parquet file without a suffix keeps its footer (the K it was valued with)
    from dvclean.config import KNNConfig, ScoreConfig

    pq = scores_of(tmp_path, data, "s.parquet", label="label", id_column="id", config=ScoreConfig(knn=KNNConfig(k=7)))
    bare = tmp_path / "scores"
    bare.write_bytes(pq.read_bytes())
    r = augment(str(data), label="label", id_column="id", scores=bare, config=fast(n_synthetic="10"))
    assert r.report["config"]["k"] == 7


# ---------------------------------------------------------------- 2: a label named count


def test_class_mix_of_a_label_named_count():
    assert class_mix(pl.Series("count", ["a", "b", "a", None])) == {"<missing>": 1, "a": 2, "b": 1}


@needs_sdv
def test_a_label_column_named_count(tmp_path):
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 120)
    df = pl.DataFrame({"x": y + rng.normal(0, 0.5, 120), "count": np.where(y == 1, "yes", "no")})
    r = augment(df, label="count", config=fast(target="all", n_synthetic="10"))
    assert sum(r.report["target"]["class_mix"].values()) == r.report["target"]["rows"] > 100
    assert sum(r.report["synthetic"]["class_mix"].values()) == 10


# ---------------------------------------------------------------- 3: --scores --report reads the data as the run did


def mixed(n: int = 150, seed: int = 1) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pl.DataFrame({
        "id": np.arange(1000, 1000 + n), "num": np.round(x * 10 + 50, 2),
        "cat": rng.choice(["rouge-é", "green", "blue"], n), "label": np.where(x + 0.5 * rng.normal(size=n) > 0, "yes", "no"),
    })


@needs_sdv
def test_scores_and_report_use_the_read_options(tmp_path):
    data = tmp_path / "latin.csv"
    text = mixed().write_csv(separator=";")
    data.write_bytes(text.encode("latin-1"))
    scores = tmp_path / "s.parquet"
    res = runner.invoke(app, ["score", str(data), "-y", "label", "--id", "id", "--encoding", "latin1",
                              "--separator", ";", "-o", str(scores), "-q"])
    assert res.exit_code == 0, res.output
    html = tmp_path / "r.html"
    res = cli(str(data), "-y", "label", "--id", "id", "--encoding", "latin1", "--separator", ";",
              "-g", "gaussian-copula", "-n", "10", "--scores", str(scores), "--report", str(html),
              "-o", str(tmp_path / "o.csv"), "-q")
    assert res.exit_code == 0, res.output
    assert html.stat().st_size > 0 and (tmp_path / "o.csv").exists()


@needs_sdv
def test_scores_and_report_from_stdin(tmp_path):
    data = tmp_path / "d.csv"
    mixed().write_csv(data)
    scores = tmp_path / "s.csv"
    res = runner.invoke(app, ["score", str(data), "-y", "label", "--id", "id", "-o", str(scores), "-q"])
    assert res.exit_code == 0, res.output
    html, out = tmp_path / "r.html", tmp_path / "o.csv"
    res = cli("-", "-y", "label", "--id", "id", "-g", "gaussian-copula", "-n", "10", "--scores", str(scores),
              "--report", str(html), "-o", str(out), "-q", input=data.read_bytes())
    assert res.exit_code == 0, res.output
    assert html.stat().st_size > 0 and pl.read_csv(out).height == 160


# ---------------------------------------------------------------- 4: --k with --scores; the report's K


@needs_sdv
def test_k_with_scores_is_refused_and_the_report_records_the_scores_k(tmp_path):
    data = tmp_path / "d.csv"
    mixed().write_csv(data)
    scores = tmp_path / "s.parquet"
    res = runner.invoke(app, ["score", str(data), "-y", "label", "--id", "id", "--k", "7", "--drop", "cat",
                              "-o", str(scores), "-q"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "o.csv"
    base = [str(data), "-y", "label", "--id", "id", "-g", "gaussian-copula", "-n", "10", "--scores", str(scores),
            "--drop", "cat", "-o", str(out)]
    res = cli(*base, "--k", "9", "-q")
    assert res.exit_code == 2, res.output
    assert "--k 9" in res.stderr and "K=7" in res.stderr and "drop --k" in res.stderr and not out.exists()
    # --drop is kept: it is checked against the scores file's (and sets the evaluation's features)
    res = cli(*base, "--json")
    assert res.exit_code == 0, res.output
    report = json.loads(res.stdout)
    assert report["config"]["k"] == 7 and report["drop"] == ["cat"] and report["notes"] == []
    doc = json.loads(pl.read_parquet_metadata(scores)["dvclean"])  # the valuation's own K, for comparison
    assert doc["config"]["knn"]["k"] == 7
    res = cli(*base[:-4], "-o", str(tmp_path / "o2.csv"), "-q")  # the footer records --drop: a run without it is refused
    assert res.exit_code == 2 and "--drop 'cat'" in res.stderr


@needs_sdv
def test_k_with_scores_and_evaluate_values_the_training_splits(tmp_path):
    data = tmp_path / "d.csv"
    mixed(200).write_csv(data)
    scores = scores_of(tmp_path, data, "s.csv", label="label", id_column="id")
    r = augment(str(data), label="label", id_column="id", scores=scores,
                config=fast(n_synthetic="10", evaluate=True, k=3))
    assert r.report["config"]["k"] is None and r.report["evaluation"]["k"] == 3
    out = tmp_path / "o.parquet"
    from dvclean.augment import write_augmented

    write_augmented(r, out)
    assert json.loads(pl.read_parquet_metadata(out)["dvclean"])["config"]["k"] is None


def test_k_without_scores_is_recorded():
    from dvclean.augment.core import RowScores, report_config

    s = RowScores(values=np.zeros(2), is_mislabeled=np.zeros(2, bool), label_missing=np.zeros(2, bool),
                  source="computed (knn)", k=4)
    assert report_config(AugmentConfig(k=4), s)["k"] == 4


# ---------------------------------------------------------------- 5: flags and values in other spellings


def respelled(path, out, bad: dict[str, tuple[int, str]] | None = None):
    """``path``'s scores as NDJSON with 0/1 and yes/no flags and text values (``bad``: a cell to spoil)."""
    s = pl.read_csv(path)
    s = s.with_columns(
        pl.col("is_mislabeled").cast(pl.Int8),
        pl.when(pl.col("is_label_missing")).then(pl.lit("Yes")).otherwise(pl.lit("no")).alias("is_label_missing"),
        pl.col("value").cast(pl.String),
    )
    for col, (row, text) in (bad or {}).items():
        s = s.with_columns(pl.col(col).cast(pl.String))
        s = s.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit(text)).otherwise(pl.col(col)).alias(col))
    s.write_ndjson(out)
    return out


@needs_sdv
def test_scores_with_01_and_yes_no_flags_and_text_values(tmp_path):
    data = tmp_path / "d.csv"
    mixed().write_csv(data)
    scores = scores_of(tmp_path, data, "s.csv", label="label", id_column="id")
    plain = augment(str(data), label="label", id_column="id", scores=scores, config=fast(n_synthetic="10"))
    other = respelled(scores, tmp_path / "t.ndjson")
    assert pl.read_ndjson(other).schema["value"] == pl.String
    r = augment(str(data), label="label", id_column="id", scores=other, config=fast(n_synthetic="10"))
    assert np.array_equal(r.scores.values, plain.scores.values)
    assert np.array_equal(r.scores.is_mislabeled, plain.scores.is_mislabeled)
    assert r.report["target"] == plain.report["target"]
    for col, text in (("is_mislabeled", "maybe"), ("is_label_missing", "2"), ("value", "abc")):
        bad = respelled(scores, tmp_path / f"bad_{col}.ndjson", {col: (4, text)})
        with pytest.raises(InputError, match=f"column {col} .*{text!r}.*row 4|column {col} .*row 4 holds {text!r}"):
            augment(str(data), label="label", id_column="id", scores=bad, config=fast(n_synthetic="10"))
        res = cli(str(data), "-y", "label", "--id", "id", "-g", "gaussian-copula", "-n", "10", "--scores", str(bad),
                  "-o", str(tmp_path / "o.csv"), "-q")
        assert res.exit_code == 2, res.output
        assert col in res.stderr and "row 4" in res.stderr
