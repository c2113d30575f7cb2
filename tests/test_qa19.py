"""Defects found in the nineteenth QA round (and fixed), one test each."""

from __future__ import annotations

import json
import threading
import warnings

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _data(n: int = 150, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({"a": rng.normal(size=n) + y, "b": rng.normal(size=n), "y": np.where(y == 1, "p", "q")})


def test_two_threads_scoring_at_once_leave_no_global_state_changed():
    import dvclean

    frame = _data()
    serial = dvclean.score(frame, label="y").frame
    filters = list(warnings.filters)
    out: dict[int, pl.DataFrame] = {}
    threads = [threading.Thread(target=lambda i=i: out.__setitem__(i, dvclean.score(frame, label="y").frame))
               for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert warnings.filters == filters  # was a global "ignore" filter left by two overlapping restores
    assert all(out[i].equals(serial) for i in range(2))


def test_a_named_pandas_index_is_kept_as_columns():
    pd = pytest.importorskip("pandas")
    import dvclean

    df = _data().to_pandas()
    df["person"] = [f"p{i}" for i in range(len(df))]
    r = dvclean.score(df.set_index(["a", "person"]), label="y", id_column="person")
    assert "a" in r.summary["features"]["columns"] and r.frame.columns[0] == "person"  # was silently dropped
    assert dvclean.score(df[df.b > 0], label="y", id_column="person").frame.height == int((df.b > 0).sum())
    with pytest.raises(dvclean.errors.InputError, match="index 'b' has the name of one of its columns"):
        dvclean.score(df.set_index(pd.Index(df.b, name="b")), label="y")


def test_library_arguments_and_reprs():
    import dvclean
    from dvclean.augment import AugmentConfig, augment, write_augmented
    from dvclean.fix import FixConfig, fix, write_fixed

    assert dvclean.KNNConfig(k=np.int64(3)).k == 3 and type(dvclean.ScoreConfig(seed=np.int64(7)).seed) is int
    frame = _data()
    scores = dvclean.score(frame, label="y")
    with pytest.raises(TypeError, match="write_fixed\\(\\) needs the FixResult"):
        write_fixed(scores, "x.csv")
    with pytest.raises(TypeError, match="write_augmented\\(\\) needs the AugmentResult"):
        write_augmented(scores, "x.csv")
    with pytest.raises(TypeError, match="augment\\(config=...\\) takes a dvclean.augment.config.AugmentConfig"):
        augment(frame, label="y", config={"generator": "tvae"})
    with pytest.raises(TypeError, match="augment\\(progress=...\\) takes a callable progress\\(message\\)"):
        augment(frame, label="y", config=AugmentConfig(), progress=5)
    result = fix(frame, label="y", config=FixConfig(action="mark"))
    assert "text=" not in repr(result) and "edits=" not in repr(result)


def test_baseline_errors_say_what_the_path_is(tmp_path):
    data = tmp_path / "d.csv"
    _data().write_csv(data)
    (tmp_path / "adir").mkdir()
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--baseline", str(tmp_path / "adir"), "--max-new-hard", "0"])
    assert res.exit_code == 2 and "is a directory" in res.stderr and "no such file" not in res.stderr
    base = tmp_path / "base.json"
    doc = json.loads(runner.invoke(app, ["check", str(data), "-y", "y", "--json"]).stdout)
    for value, message in ((None, "has no schema_version"), (-7, "is no version of dvclean check documents")):
        bad = dict(doc)
        if value is None:
            bad.pop("schema_version")
        else:
            bad["schema_version"] = value
        base.write_text(json.dumps(bad))
        res = runner.invoke(app, ["check", str(data), "-y", "y", "--baseline", str(base), "--max-new-hard", "0"])
        assert res.exit_code == 2 and message in res.stderr, res.stderr


def test_a_baseline_made_with_other_settings_gets_a_note(tmp_path):
    data = tmp_path / "d.csv"
    _data(300).write_csv(data)
    base = tmp_path / "base.json"
    base.write_text(runner.invoke(app, ["check", str(data), "-y", "y", "--json"]).stdout)
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--hard-frac", "0.2", "--baseline", str(base),
                              "--max-new-hard", "0", "--json"])
    notes = json.loads(res.stdout)["notes"]
    assert any("was made with other settings (flags.hard_fraction 0.1 -> 0.2)" in n for n in notes)  # was silent
    res = runner.invoke(app, ["check", str(data), "-y", "y", "--n-jobs", "1", "--baseline", str(base),
                              "--max-new-hard", "0", "--json"])
    assert not any("other settings" in n for n in json.loads(res.stdout)["notes"])  # threads change no flag


def test_a_file_that_is_not_a_checkpoint_is_named_and_no_lock_is_left(tmp_path):
    data = tmp_path / "d.csv"
    _data().write_csv(data)
    plain = tmp_path / "plain.txt"
    plain.write_text("hello\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "tmc", "--checkpoint", str(plain), "-o",
                              str(tmp_path / "o.parquet")])
    assert res.exit_code == 2 and "exists and is not a dvclean checkpoint" in res.stderr  # was "pass --resume"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "plain.txt"]  # no plain.txt.lock
    assert plain.read_text() == "hello\n"


def test_empty_augmentation_documents_and_malformed_score_footers(tmp_path):
    data = tmp_path / "d.csv"
    _data().write_csv(data)
    scores = tmp_path / "s.parquet"
    assert runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(scores), "-q"]).exit_code == 0
    for doc in ("{}", "[]", "null"):
        (tmp_path / "a.json").write_text(doc)
        res = runner.invoke(app, ["report", str(scores), "--augmentation", str(tmp_path / "a.json"), "-o",
                                  str(tmp_path / "r.html")])
        assert res.exit_code == 2 and "not a dvclean augment report" in res.stderr  # was ignored, exit 0
    table = pl.read_parquet(scores)
    meta = {k: v for k, v in pl.read_parquet_metadata(scores).items() if k != "ARROW:schema"}
    run = json.loads(meta["dvclean"])
    bad = tmp_path / "bad.parquet"
    table.write_parquet(bad, metadata={**meta, "dvclean": json.dumps({**run, "seed": "abc", "status": ["x"]})})
    res = runner.invoke(app, ["report", str(bad), "--data", str(data), "-o", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.stderr  # was exit 3
    assert "malformed fields (seed, status)" in (tmp_path / "r.html").read_text()
    newer = tmp_path / "newer.parquet"
    table.write_parquet(newer, metadata={**meta, "dvclean": json.dumps({**run, "schema_version": 99})})
    res = runner.invoke(app, ["report", str(newer), "-o", str(tmp_path / "r2.html")])
    assert res.exit_code == 2 and "written by a newer dvclean" in res.stderr


def test_knn_shapley_values_do_not_depend_on_where_the_points_lie():
    from dvclean.valuation.knn import knn_shapley_exact, knn_shapley_regression

    rng = np.random.default_rng(0)
    base = rng.normal(size=(300, 2))
    y = (base[:, 0] > 0).astype(int)
    near, _ = knn_shapley_exact(base * 1e-3, y, 5)
    for offset in (1e3, 1e5, 1e7):  # the same cloud far from the origin: |a|^2 + |b|^2 - 2ab lost every digit
        far, _ = knn_shapley_exact(base * 1e-3 + offset, y, 5)  # (at 1e7 the coordinates themselves are rounded)
        assert np.allclose(far, near, atol=1e-5) and abs(far.sum() - near.sum()) < 1e-9  # was 0.60 vs 0.95
    t = base[:, 0] + 0.1 * rng.normal(size=300)
    assert np.allclose(knn_shapley_regression(base * 1e-3 + 1e6, t, 5)[0], knn_shapley_regression(base * 1e-3, t, 5)[0],
                       atol=1e-6)


@pytest.mark.parametrize("spelling", ["-Inf", "Infinity", "INF"])
def test_a_csv_number_column_with_an_infinity_spelled_otherwise_stays_numeric(tmp_path, spelling):
    import dvclean

    rng = np.random.default_rng(3)
    x = rng.normal(size=200)
    lines = ["a,b,y"] + [f"{spelling if i == 0 else round(float(x[i]), 6)},{rng.normal():.6f},{int(x[i] > 0)}"
                         for i in range(200)]
    path = tmp_path / "inf.csv"
    path.write_text("\n".join(lines) + "\n")
    r = dvclean.score(path, label="y")
    assert "a" not in r.summary["features"]["ignored"] and r.summary["features"]["encoded_dimensions"] == 3
    assert int(r.frame.get_column("is_mislabeled").sum()) <= 2  # a separates the classes: was dropped, 40 flagged


def test_batch_size_advice_never_names_a_refused_size():
    from dvclean.augment import AugmentConfig
    from dvclean.augment._sdv import PAC
    from dvclean.augment.config import parse_target
    from dvclean.augment.core import check_batch_bound
    from dvclean.errors import AugmentError
    from dvclean.table import make_table

    table = make_table(_data(60), label="y")
    cfg = AugmentConfig(generator="ctgan", batch_size=PAC * 2, hard_fraction=0.1)
    with pytest.raises(AugmentError) as exc:
        check_batch_bound(cfg, parse_target("hard"), table, np.ones(60, dtype=bool))
    assert "smallest batch" in str(exc.value) and "use at most 10" not in str(exc.value)


def test_messages_name_the_option_and_the_file_kind(tmp_path):
    data = tmp_path / "d.csv"
    _data().write_csv(data)
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--valid", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2 and "--valid " in res.stderr and "no such file" in res.stderr
    nolabel = tmp_path / "v.csv"
    nolabel.write_text("a,b,y\n0.1,0.2,\n0.3,0.4,\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--valid", str(nolabel), "-o", str(tmp_path / "o.parquet")])
    assert res.exit_code == 2 and "(--valid) has no labelled rows: its label column 'y'" in res.stderr
    text = tmp_path / "t.csv"
    text.write_text("a,b,y\nabc,0.2,p\ndef,0.4,q\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--valid", str(text), "-o", str(tmp_path / "o.parquet")])
    assert res.exit_code == 2 and "write the validation file's column like the data's" in res.stderr
    res = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "tmc", "--scheduler", "foo"])
    assert res.exit_code == 2 and "None" not in res.stderr
