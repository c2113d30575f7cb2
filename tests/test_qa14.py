"""Fourteenth-session fixes, most from a QA round of the commands and the library: run times, output formats and
encodings, configuration paths, decimal commas and huge integers in features, model and config checks, the state
``augment`` leaves behind, its notes and report, and the spelling of synthetic cells."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import polars as pl
import pytest
from rich.console import Console
from typer.testing import CliRunner

from dvclean import ScoreConfig, score
from dvclean.cli import app
from dvclean.cli._output import render_score
from dvclean.pipeline import total_seconds

runner = CliRunner()


def _data(path, n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = 2 * y + rng.normal(0, 1, n)
    path.write_text("x,y\n" + "".join(f"{a:.3f},{b}\n" for a, b in zip(x, y, strict=True)))
    return path


def test_total_seconds_counts_a_stage_once_not_again_through_its_parts():
    assert total_seconds({"read": 1.0, "value.knn": 2.0, "value.loo": 3.0, "value": 5.0, "flag": 0.5}) == 6.5
    assert total_seconds({}) == 0.0


def test_printed_and_junit_times_are_the_stages_not_the_stages_plus_the_methods(tmp_path):
    src = tmp_path / "d.csv"
    _data(src)
    result = score(src, label="y", config=ScoreConfig(methods=("knn", "loo")))
    timings = result.summary["timings"]
    assert {"value.knn", "value.loo", "value"} <= set(timings)
    console = Console(record=True, width=200)
    render_score(console, result.summary, None)
    printed = float(re.search(r"time: ([0-9.]+)s", console.export_text()).group(1))
    stages = sum(v for k, v in timings.items() if "." not in k)
    assert abs(printed - stages) < 0.006  # printed with 2 decimals
    assert printed < stages + 0.5 * timings["value"]  # before: the methods' seconds counted a second time

    xml = tmp_path / "c.xml"
    res = runner.invoke(app, ["check", str(src), "-y", "y", "-m", "knn,loo", "--json", "--junit-xml", str(xml)])
    assert res.exit_code == 0, res.output
    check_timings = json.loads(res.stdout)["timings"]
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite is not None
    assert abs(float(suite.get("time")) - total_seconds(check_timings)) < 0.002
    assert float(suite.get("time")) < sum(check_timings.values()) - 0.5 * check_timings["value"]


def test_a_file_without_a_telling_name_gets_the_format_it_is_read_as(tmp_path):
    import gzip

    from dvclean.io import input_output_format

    csv_text = "x,y\n" + "".join(f"{i % 7},{i % 2}\n" for i in range(40))
    (tmp_path / "export").write_text(csv_text)
    (tmp_path / "export.gzdata").write_bytes(gzip.compress(csv_text.encode()))
    (tmp_path / "records").write_text('{"x": 1, "y": 0}\n{"x": 2, "y": 1}\n')
    (tmp_path / "array.export").write_text('\n [{"x": 1, "y": 0}]')
    buf = tmp_path / "pq"
    pl.DataFrame({"x": [1]}).write_parquet(buf)
    (tmp_path / "pq.gz_").write_bytes(gzip.compress(buf.read_bytes()))
    got = [input_output_format(tmp_path / n) for n in ("export", "export.gzdata", "records", "array.export", "pq", "pq.gz_")]
    assert got == ["csv", "csv", "ndjson", "json", "parquet", "parquet"]


def test_fix_of_a_csv_without_a_suffix_writes_csv_next_to_it(tmp_path):
    src = tmp_path / "export"
    _data(src, n=200)
    before = src.read_bytes()
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "mark", "-q"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "export.fixed.csv"
    assert out.exists() and not (tmp_path / "export.fixed.parquet").exists()
    assert out.read_text().splitlines()[0] == "x,y,dvclean_issue"
    assert src.read_bytes() == before


@pytest.mark.parametrize("codec", ["utf-16-be", "utf-16-le", "utf-32-be", "utf-32-le"])
def test_fix_writes_a_wide_encoding_back_in_its_own_byte_order(tmp_path, codec):
    import codecs

    bom = {"utf-16-be": codecs.BOM_UTF16_BE, "utf-16-le": codecs.BOM_UTF16_LE,
           "utf-32-be": codecs.BOM_UTF32_BE, "utf-32-le": codecs.BOM_UTF32_LE}[codec]
    plain = tmp_path / "plain.csv"
    _data(plain, n=200)
    text = plain.read_text().replace("x,y", "xé,y", 1)
    src, out = tmp_path / "w.csv", tmp_path / "w.fixed.csv"
    src.write_bytes(bom + text.encode(codec))
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "mark", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    assert data.startswith(bom) and not data[len(bom):].startswith(bom)
    lines = data[len(bom):].decode(codec).splitlines()
    assert lines[0] == "xé,y,dvclean_issue"
    assert [ln.rsplit(",", 1)[0] for ln in lines[1:]] == text.splitlines()[1:]


def test_a_csv_whose_lines_end_in_cr_alone_is_refused_naming_the_line_ends(tmp_path):
    src = tmp_path / "mac.csv"
    src.write_bytes(b"x,y\r" + b"".join(b"%d,%d\r" % (i, i % 2) for i in range(30)))
    for cmd in ("score", "fix", "check"):
        res = runner.invoke(app, [cmd, str(src), "-y", "y", "-q"])
        assert res.exit_code == 2, (cmd, res.output)
        assert "carriage return alone" in res.stderr and "tr '\\r' '\\n'" in res.stderr
        assert "no data rows" not in res.stderr
    # a CR inside a quoted cell of a CRLF file is a value, not a line end
    ok = tmp_path / "crlf.csv"
    ok.write_bytes(b"x,y,note\r\n" + b"".join(b'%d,%d,"a\rb"\r\n' % (i, i % 2) for i in range(30)))
    res = runner.invoke(app, ["score", str(ok), "-y", "y", "-q", "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 0, res.output


def test_paths_in_a_configuration_file_are_relative_to_its_directory(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    _data(data / "d.csv", n=150)
    monkeypatch.chdir(data)
    res = runner.invoke(app, ["check", "d.csv", "-y", "y", "--json"])
    assert res.exit_code == 0, res.output
    (data / "base.json").write_text(res.stdout)
    (data / "dvclean.toml").write_text(
        '[check]\nlabel = "y"\nbaseline = "base.json"\nmax-new-mislabeled = 0\njunit-xml = "out/j.xml"\n'
    )
    (data / "out").mkdir()
    for cwd, arg in ((data, "d.csv"), (tmp_path, "data/d.csv")):
        monkeypatch.chdir(cwd)
        (data / "out" / "j.xml").unlink(missing_ok=True)
        res = runner.invoke(app, ["check", arg])
        assert res.exit_code == 0, (cwd, res.output)
        assert "new_mislabeled 0" in res.stdout
        assert (data / "out" / "j.xml").exists()
    shown = runner.invoke(app, ["check", "data/d.csv", "--show-config"]).stdout
    assert 'baseline' in shown and '"data/base.json"' in shown
    # on the command line a path stays relative to the current directory
    res = runner.invoke(app, ["check", "data/d.csv", "--baseline", "base.json"])
    assert res.exit_code == 2 and "base.json" in res.stderr


@pytest.mark.parametrize("suffix", [".parquet", ".arrow"])
def test_fix_keeps_the_schema_metadata_of_a_parquet_or_arrow_input(tmp_path, suffix):
    import pandas as pd
    import pyarrow as pa
    import pyarrow.feather as feather
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    x = 2 * y + rng.normal(size=300)
    y = np.where(rng.random(300) < 0.1, 1 - y, y)
    df = pd.DataFrame({"x": x, "y": y, "rid": [f"r{i}" for i in range(300)]}).set_index("rid")
    table = pa.Table.from_pandas(df)
    table = table.replace_schema_metadata({**table.schema.metadata, b"owner": b"team-x"})
    src, out = tmp_path / f"d{suffix}", tmp_path / f"d.fixed{suffix}"
    (pq.write_table if suffix == ".parquet" else feather.write_feather)(table, src)
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "drop", "-o", str(out), "-q"])
    assert res.exit_code == 0, res.output
    schema = pq.read_schema(out) if suffix == ".parquet" else pa.ipc.open_file(out).schema
    assert schema.metadata[b"owner"] == b"team-x"
    back = pd.read_parquet(out) if suffix == ".parquet" else pd.read_feather(out)
    assert back.index.name == "rid" and list(back.columns) == ["x", "y"]
    assert 0 < len(back) < 300 and set(back.index) < set(df.index)
    assert (back["x"] == df.loc[back.index, "x"]).all()


def test_an_input_without_schema_metadata_is_written_as_before(tmp_path):
    from dvclean.io import read_frame, write_table

    frame = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]}, schema_overrides={"b": pl.Enum(["y", "x"])})
    frame.write_parquet(tmp_path / "in.parquet")
    got, info = read_frame(tmp_path / "in.parquet")
    assert info.schema_metadata == ()
    write_table(got, tmp_path / "out.parquet", schema_metadata=dict(info.schema_metadata))
    assert pl.read_parquet(tmp_path / "out.parquet").schema == frame.schema  # polars' own writer: the Enum stays


@pytest.mark.parametrize(("model", "kind"), [("sklearn.linear_model.LinearRegression", "regressor"),
                                             ("sklearn.linear_model.Ridge", "regressor"),
                                             ("sklearn.cluster.KMeans", "clusterer")])
def test_a_model_of_another_kind_is_refused_for_class_labels(tmp_path, model, kind):
    src = tmp_path / "d.csv"
    _data(src, n=60)
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-m", "tmc", "--model", model, "--max-permutations", "2",
                              "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 2, res.output
    assert f"is a {kind}, not a classifier" in res.stderr and "--task regression" in res.stderr
    assert not (tmp_path / "s.csv").exists()


def test_a_classifier_is_refused_for_a_regression_target_and_an_untagged_class_is_taken_at_its_word():
    from dvclean.errors import ConfigError
    from dvclean.valuation._models import make_model, make_regressor

    with pytest.raises(ConfigError, match="is a classifier, not a regressor: a regression target needs a regressor"):
        make_regressor("sklearn.linear_model.LogisticRegression")
    assert type(make_model("sklearn.linear_model.LogisticRegression")).__name__ == "LogisticRegression"
    assert type(make_model("xgboost.XGBClassifier")).__name__ == "XGBClassifier"
    assert type(make_model(f"{__name__}.Untagged")).__name__ == "Untagged"


class Untagged:
    """A plain class with fit/predict and no scikit-learn tags: accepted as what it is asked to be."""

    def fit(self, x, y):
        self.c_ = int(np.bincount(y).argmax())
        return self

    def predict(self, x):
        return np.full(len(x), self.c_)


def test_k_above_the_other_rows_is_refused_with_a_validation_file_for_knn_too(tmp_path):
    pl.DataFrame({"x": [0.03, 2.36, 1.22, 0.49, -0.30, 0.47, 1.57], "y": list("ababbbb")}).write_csv(tmp_path / "t.csv")
    pl.DataFrame({"x": [0.1, 1.9, 0.7, -0.2, 1.1, 2.2], "y": list("abaabb")}).write_csv(tmp_path / "v.csv")
    for method in ("knn", "loo"):
        res = runner.invoke(app, ["score", str(tmp_path / "t.csv"), "-y", "y", "--k", "7", "--valid",
                                  str(tmp_path / "v.csv"), "-m", method, "-o", str(tmp_path / "o.csv"), "-q"])
        assert res.exit_code == 2, (method, res.output)
        assert "K=7 is larger than the 6 rows" in res.stderr and "--k 6" in res.stderr
    res = runner.invoke(app, ["score", str(tmp_path / "t.csv"), "-y", "y", "--k", "6", "--valid",
                              str(tmp_path / "v.csv"), "-o", str(tmp_path / "o.csv"), "-q"])
    assert res.exit_code == 0, res.output


def test_the_target_std_is_the_same_in_the_summary_and_the_report(tmp_path):
    from dvclean.report import build_report

    rng = np.random.default_rng(3)
    x = rng.normal(size=(80, 2))
    t = x @ [3.0, -1.0] + rng.normal(0, 0.5, 80) + 0.37
    pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "t": t}).write_csv(tmp_path / "r.csv")
    result = score(tmp_path / "r.csv", label="t")
    assert result.summary["target"]["std"] == pytest.approx(float(np.std(t, ddof=1)), rel=1e-12)
    report = build_report(result)
    assert report.target is not None
    assert report.target["stats"]["std"] == pytest.approx(result.summary["target"]["std"], rel=1e-12)


def test_one_class_left_after_missing_labels_says_how_to_keep_a_class_named_na(tmp_path):
    src = tmp_path / "na.csv"
    src.write_text("x,y\n" + "".join(f"{i},{'A' if i % 2 else 'NA'}\n" for i in range(12)))
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-q"])
    assert res.exit_code == 2
    flat = " ".join(res.stderr.split())
    assert "one class only ('A') (6 other rows have no label" in flat and "--null-values ''" in flat
    res = runner.invoke(app, ["score", str(src), "-y", "y", "--null-values", "", "--k", "3", "-q",
                              "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 0, res.output
    only = tmp_path / "one.csv"
    only.write_text("x,y\n" + "".join(f"{i},A\n" for i in range(6)))
    res = runner.invoke(app, ["score", str(only), "-y", "y", "-q"])
    assert res.exit_code == 2 and "no label" not in res.stderr


def test_decimal_comma_features_are_valued_as_the_same_numbers_with_a_decimal_point(tmp_path):
    rng = np.random.default_rng(4)
    n = 200
    y = rng.integers(0, 2, n)
    x = 2 * y + rng.normal(size=n)
    z = rng.normal(size=n) * 1000 + 5000

    def eu(v, fmt):
        return fmt.format(v).replace(",", "X").replace(".", ",").replace("X", ".")

    (tmp_path / "eu.csv").write_text("x;z;y\n" + "".join(
        f"{eu(a, '{:.3f}')};{eu(b, '{:,.2f}')};{c}\n" for a, b, c in zip(x, z, y, strict=True)))
    (tmp_path / "us.csv").write_text("x;z;y\n" + "".join(
        f"{a:.3f};{b:.2f};{c}\n" for a, b, c in zip(x, z, y, strict=True)))
    eu_r, us_r = score(tmp_path / "eu.csv", label="y"), score(tmp_path / "us.csv", label="y")
    assert eu_r.summary["features"]["encoded_dimensions"] == 2
    assert any("'x', 'z': numbers with a decimal comma" in n for n in eu_r.summary["notes"])
    np.testing.assert_allclose(eu_r.values, us_r.values, rtol=0, atol=1e-12)


def test_thousands_commas_alone_are_not_read_as_decimal_commas():
    from dvclean.table import FeatureEncoder

    frame = pl.DataFrame({"n": [f"{v:,}" for v in range(1000, 41000, 1000)], "y": [0, 1] * 20})
    enc = FeatureEncoder()
    enc.fit_transform(frame, ["n"])
    assert enc.decimal_comma_ == [] and enc.plans_[0].kind != "numeric"


def test_integers_beyond_2_53_that_differ_by_little_are_not_constant():
    rng = np.random.default_rng(5)
    n = 150
    y = rng.integers(0, 2, n)
    step = (y * 1000 + rng.permutation(n) * 3).tolist()  # distinct: no distance ties for the row order to break
    big = pl.DataFrame({"b": pl.Series([2**63 + s for s in step], dtype=pl.UInt64),
                        "c": pl.Series([-(2**63) + s for s in step[::-1]], dtype=pl.Int64), "y": y})
    small = pl.DataFrame({"b": step, "c": step[::-1], "y": y})
    from dvclean.table import FeatureEncoder

    r_big = score(big, label="y")
    assert r_big.summary["features"]["ignored"] == [] and r_big.summary["features"]["encoded_dimensions"] == 2
    assert r_big.summary["flags"]["label_predictability"]["auroc"] > 0.99  # b tells the classes apart
    # encoded as the same numbers measured from their smallest (standardising ignores the shift)
    x_big = FeatureEncoder().fit_transform(big, ["b", "c"])
    x_small = FeatureEncoder().fit_transform(small, ["b", "c"])
    np.testing.assert_allclose(x_big, x_small, rtol=0, atol=1e-9)


def test_augment_leaves_the_callers_random_states_threads_and_environment_as_they_were(monkeypatch):
    import os
    import random

    import torch

    from dvclean.augment import AugmentConfig, augment

    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    threads = torch.get_num_threads()
    rng = np.random.default_rng(6)
    y = rng.integers(0, 2, 120)
    frame = pl.DataFrame({"x": 2 * y + rng.normal(size=120), "z": rng.normal(size=120), "y": y})
    try:
        torch.set_num_threads(2)
        np.random.seed(99), random.seed(99), torch.manual_seed(5)
        augment(frame, label="y", config=AugmentConfig(generator="gaussian-copula", n_synthetic="10"))
        assert torch.get_num_threads() == 2 and "TQDM_DISABLE" not in os.environ
        after = (np.random.random(), random.random(), torch.rand(1).item())
        np.random.seed(99), random.seed(99), torch.manual_seed(5)
        assert after == (np.random.random(), random.random(), torch.rand(1).item())
    finally:
        torch.set_num_threads(threads)


def test_the_library_refuses_a_format_that_contradicts_the_files_name(tmp_path):
    from dvclean import write_scores
    from dvclean.errors import OutputError

    result = score(pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2] * 10, "y": [0, 0, 0, 1, 1, 1] * 10}), label="y")
    with pytest.raises(OutputError, match=r"scores\.csv: the format 'parquet' contradicts the name .* scores\.parquet"):
        write_scores(result, tmp_path / "scores.csv", format="parquet")
    assert not (tmp_path / "scores.csv").exists()
    write_scores(result, tmp_path / "scores.out", format="csv")  # a name that says nothing takes the format
    assert (tmp_path / "scores.out").read_text().startswith("row_id,")
    write_scores(result, tmp_path / "scores.csv.gz", format="csv")


@pytest.mark.parametrize(("column", "says"), [
    ([1, "a"] * 30, "column 'm' (dtype object) cannot be converted"),
    ([True, "a"] * 30, "column 'm' (dtype object) cannot be converted"),
    (np.array([1 + 2j] * 60), "column 'm' (dtype complex128) cannot be converted"),
])
def test_a_pandas_column_polars_cannot_take_is_named_in_an_input_error(column, says):
    import pandas as pd

    from dvclean.errors import InputError

    df = pd.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2] * 10, "y": [0, 0, 0, 1, 1, 1] * 10, "m": column})
    with pytest.raises(InputError, match=re.escape(says) + r".*astype\(str\), or drop it"):
        score(df, label="y")
    dup = df.set_axis(["a", "a", "y"], axis=1)
    with pytest.raises(InputError, match="more than one column named 'a'"):
        score(dup, label="y")


def test_unknown_model_names_and_scheduler_addresses_fail_when_the_config_is_built():
    from dvclean.config import ConfidenceConfig, CrossFitConfig, MislabelConfig, TMCConfig
    from dvclean.errors import ConfigError

    for build in (lambda: MislabelConfig(model="xgbost"), lambda: MislabelConfig(linear_model="bogus"),
                  lambda: ConfidenceConfig(model="bogus"), lambda: TMCConfig(model="nosuchpackage.Model"),
                  lambda: TMCConfig(model="sklearn."), lambda: CrossFitConfig(scheduler="bogus")):
        with pytest.raises(ConfigError):
            build()
    MislabelConfig(model="sklearn.svm.SVC", linear_model=None)
    TMCConfig(model="xgboost.XGBClassifier")
    for address in ("local", "tcp://10.0.0.1:8786", "localhost:8786", "tls://sched.example:8786", "[::1]:8786"):
        CrossFitConfig(scheduler=address)


def _augment_frame(n=400, seed=7):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({
        "id": rng.permutation(n) + 1,
        "amount": [f"{v:.2f}".replace(".", ",") for v in rng.uniform(0, 5000, n)],
        "x": 2 * y + rng.normal(size=n),
        "y": [["no", "yes"][v] for v in np.where(rng.random(n) < 0.1, 1 - y, y)],
    })


def test_augment_notes_an_id_and_numbers_as_text_that_the_generator_would_copy_or_clash(tmp_path):
    from dvclean.augment import AugmentConfig, augment

    r = augment(_augment_frame(), label="y", config=AugmentConfig(generator="gaussian-copula", n_synthetic="20",
                                                                  target="all"))
    notes = " ".join(r.report["notes"])
    assert "column 'id' holds a distinct consecutive integer in every row" in notes and "pass it as --id" in notes
    assert "column 'amount' holds numbers written as text" in notes and "--withhold amount" in notes
    assert "'amount' has a distinct value" not in notes  # one note a column
    r = augment(_augment_frame(), label="y", id_column="id",
                config=AugmentConfig(generator="gaussian-copula", n_synthetic="20", target="all", withhold=("amount",)))
    assert not any("'id'" in n or "'amount' holds" in n for n in r.report["notes"])


def test_augment_counts_the_flagged_rows_its_target_leaves_out():
    from dvclean.augment import AugmentConfig, augment

    frame = _augment_frame().drop("id", "amount")
    r = augment(frame, label="y", config=AugmentConfig(generator="gaussian-copula", n_synthetic="20",
                                                       target="class:no"))
    flagged = r.scores.is_mislabeled & (frame.get_column("y") == "no").to_numpy()
    assert r.report["scores"]["mislabeled"] > int(flagged.sum()) > 0
    assert r.report["target"]["mislabeled_rows_excluded"] == int(flagged.sum())
    assert r.report["target"]["rows"] == int((frame.get_column("y") == "no").sum()) - int(flagged.sum())


def test_augment_refuses_more_synthetic_rows_than_memory_holds_before_any_work(tmp_path):
    src = tmp_path / "d.csv"
    _augment_frame().write_csv(src)
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-n", str(10**20),
                              "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2, res.output
    assert "would need about" in " ".join(res.stderr.split()) and not (tmp_path / "o.csv").exists()


def test_a_decimal_comma_column_is_compared_with_a_validation_file_that_writes_the_same_numbers_with_points(tmp_path):
    rng = np.random.default_rng(8)
    y = rng.integers(0, 2, 120)
    x = 2 * y + rng.normal(size=120)
    (tmp_path / "t.csv").write_text("x;y\n" + "".join(f"{a:.9f};{b}\n".replace(".", ",") for a, b in zip(x[:80], y[:80], strict=True)))
    (tmp_path / "v.csv").write_text("x;y\n" + "".join(f"{a:.9f};{b}\n" for a, b in zip(x[80:], y[80:], strict=True)))
    (tmp_path / "tp.csv").write_text("x;y\n" + "".join(f"{a:.9f};{b}\n" for a, b in zip(x[:80], y[:80], strict=True)))
    eu = score(tmp_path / "t.csv", label="y", valid=tmp_path / "v.csv")
    plain = score(tmp_path / "tp.csv", label="y", valid=tmp_path / "v.csv")
    np.testing.assert_allclose(eu.values, plain.values, rtol=0, atol=1e-12)


def test_augment_writes_synthetic_dates_in_the_columns_own_unpadded_spelling(tmp_path):
    import datetime

    from dvclean.io import temporal_style

    typed = pl.Series([datetime.date(2020, i % 12 + 1, i % 28 + 1) for i in range(60)])
    texts = [f"2020-{i % 12 + 1}-{i % 28 + 1}" for i in range(60)]
    padded = [f"2020-{i % 12 + 1:02d}-{i % 28 + 1:02d}" for i in range(60)]
    assert temporal_style(typed, texts).format(datetime.date(2021, 3, 4)) == "2021-3-4"
    assert temporal_style(typed, padded).format(datetime.date(2021, 3, 4)) == "2021-03-04"

    rng = np.random.default_rng(9)
    y = rng.integers(0, 2, 200)
    src = tmp_path / "u.csv"
    src.write_text("d,x,y\n" + "".join(f"2020-{i % 12 + 1}-{i % 28 + 1},{2 * v + rng.normal():.4f},{v}\n"
                                       for i, v in enumerate(y)))
    res = runner.invoke(app, ["augment", str(src), "-y", "y", "-g", "gaussian-copula", "-n", "60", "-t", "all", "-q",
                              "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    out = pl.read_csv(tmp_path / "o.csv", infer_schema=False)
    synthetic = out.filter(pl.col("dvclean_synthetic") == "true").get_column("d").to_list()
    assert len(synthetic) == 60 and not any("-0" in d for d in synthetic)


def test_synthetic_cells_are_spelled_bare_where_the_file_writes_padded_cells_bare(tmp_path):
    rng = np.random.default_rng(10)
    y = rng.integers(0, 2, 200)
    src = tmp_path / "lab.csv"
    src.write_text("x,note,lab\n" + "".join(
        f"{2 * v + rng.normal():.4f},\"a, b\",{' yes' if v else 'no'}\n" for v in y))
    res = runner.invoke(app, ["augment", str(src), "-y", "lab", "-g", "gaussian-copula", "-n", "40", "-t", "all", "-q",
                              "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 0, res.output
    added = [ln for ln in (tmp_path / "o.csv").read_text().splitlines() if ln.endswith(",true")]
    assert len(added) == 40 and any(ln.endswith(", yes,true") for ln in added)
    assert not any('" yes"' in ln for ln in added)
    assert all('"a, b"' in ln for ln in added)  # a value that needs quotes keeps them


def test_read_options_given_with_a_frame_are_said_to_be_ignored():
    import logging

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__(logging.WARNING)
            self.said = []

        def emit(self, record):
            self.said.append(record.getMessage())

    # (a handler on the module's logger, at WARNING: a CLI run earlier in this process may have set dvclean's
    # logger to -q's level and stopped its records propagating)
    keep, logger, base = Keep(), logging.getLogger("dvclean.pipeline"), logging.getLogger("dvclean")
    level = base.level
    base.setLevel(logging.WARNING)
    logger.addHandler(keep)
    try:
        frame = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 5.2] * 10, "y": [0, 0, 0, 1, 1, 1] * 10})
        score(frame, label="y", read_options={"separator": ";", "encoding": None})
        said = [m for m in keep.said if "read_options" in m]
        assert len(said) == 1 and "'separator'" in said[0] and "'encoding'" not in said[0]
        keep.said.clear()
        score(frame, label="y")
        assert not any("read_options" in m for m in keep.said)
    finally:
        logger.removeHandler(keep)
        base.setLevel(level)
