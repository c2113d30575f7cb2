"""Session 42's fixes (QA rounds 64-65 and the items left from round 62/63)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from dvclean.cli import app

from .test_check import clusters, write_csv

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("command", [["score"], ["check", "--max-mislabeled", "50%"], ["fix", "--action", "mark"]])
def test_quiet_and_verbose_together_are_a_usage_error(tmp_path, command):
    data = write_csv(clusters(), tmp_path / "d.csv")
    res = runner.invoke(app, [*command, str(data), "-y", "y", "-q", "-v"])
    assert res.exit_code == 2, res.output
    assert "--quiet and --verbose contradict each other" in flat(res.stderr) and "drop one of them" in flat(res.stderr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]  # nothing written
    (tmp_path / "dvclean.toml").write_text('label = "y"\nquiet = true\n')
    res = runner.invoke(app, [*command, str(data), "-vv"])  # (the command line wins over the file: session 52)
    assert res.exit_code == 0 and "DEBUG" in res.stderr, res.output
    assert runner.invoke(app, [*command, str(data), "-v", "--no-quiet"]).exit_code == 0
    assert runner.invoke(app, [*command, str(data)]).exit_code == 0  # quiet alone, from the file: fine


def test_a_regression_targets_flag_policy_names_the_outlier_cutoff():
    import numpy as np
    import polars as pl

    import dvclean
    from dvclean.config import FixConfig, MislabelConfig, ScoreConfig
    from dvclean.fix import fix

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 2))
    y = 3 * x[:, 0] - x[:, 1] + rng.normal(scale=0.3, size=300)
    y[:6] += 8
    frame = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})
    config = ScoreConfig(task="regression", mislabel=MislabelConfig(outlier_z=4.0))
    policy = dvclean.score(frame, label="y", config=config).summary["flags"]["policy"]
    assert policy == {"hard_fraction": 0.1, "outlier_z": 4.0}  # (not the class rule's value threshold)
    fixed = fix(frame, label="y", config=FixConfig(action="mark"), score_config=config)
    assert "min_confidence" not in fixed.summary and fixed.summary["flagged"] >= 6  # (relabel's threshold)
    classes = pl.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": (y > 0).astype(int)})
    assert set(dvclean.score(classes, label="y").summary["flags"]["policy"]) == {
        "hard_fraction", "mislabel_value_max", "neighbor_majority"}
    assert fix(classes, label="y", config=FixConfig(action="mark")).summary["min_confidence"] == 0.7


def test_validation_label_errors_show_dates_as_written(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("a,y\n" + "".join(f"{i},2024-01-0{1 + i % 2}\n" for i in range(6)))
    valid = tmp_path / "v.csv"
    valid.write_text("a,y\n1,x\n2,z\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--valid", str(valid), "-o", str(tmp_path / "o.parquet")])
    assert res.exit_code == 2
    assert "the data's holds Date ('2024-01-01', '2024-01-02')" in flat(res.stderr)
    assert "datetime" not in res.stderr
    valid.write_text("a,y\n1,2024-01-03\n2,2024-01-01\n")
    res = runner.invoke(app, ["score", str(data), "-y", "y", "--valid", str(valid), "-o", str(tmp_path / "o.parquet")])
    assert res.exit_code == 2 and "validation label '2024-01-03' (validation row 0) is not a class" in flat(res.stderr)
    assert "datetime" not in res.stderr


def _pandas_frame(n: int = 200):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2))
    return pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y": np.where(x[:, 0] > 0, "pos", "neg")})


def test_a_frames_missing_value_markers_as_labels_get_a_note():
    import numpy as np
    import polars as pl

    import dvclean

    df = _pandas_frame()
    y = df["y"].astype(object)
    y[::10] = np.nan
    df["y"] = y.astype(str)  # NaN -> 'nan', as pandas writes it
    notes = dvclean.score(df, label="y").summary["notes"]
    assert any("label column 'y' holds 'nan' (20 rows), which reading a file takes as a missing label" in n
               for n in notes), notes
    polars = pl.from_pandas(df).with_columns(pl.col("y").replace("nan", "None"))
    assert any("holds 'None' (20 rows)" in n and "pl.col('y').replace({'None': None})" in n
               for n in dvclean.score(polars, label="y").summary["notes"])
    note = next(n for n in notes if "missing label" in n)
    assert "df['y'] = df['y'].replace({'nan': None})" in note
    exec(note.split("pandas: ")[1].split(";")[0], {"df": df})  # the advice does what it says
    assert df["y"].isna().sum() == 20
    clean = _pandas_frame()
    assert not any("missing label" in n for n in dvclean.score(clean, label="y").summary["notes"])


def test_a_pandas_frames_unnamed_index_that_is_not_its_positions_gets_a_note():
    import dvclean

    df = _pandas_frame()
    sub = df[df.x2 > -1]
    notes = dvclean.score(sub, label="y").summary["notes"]
    assert any("row_id is each row's position, so select the rows with df.iloc[row_ids], not df.loc" in n
               for n in notes), notes
    for same in (df, sub.reset_index(drop=True)):
        assert not any("df.iloc" in n for n in dvclean.score(same, label="y").summary["notes"])
    named = sub.rename_axis("idx")
    r = dvclean.score(named, label="y", id_column="idx")
    assert not any("df.iloc" in n for n in r.summary["notes"])
    assert r.frame.get_column("idx").to_list() == list(sub.index)


@pytest.mark.parametrize("name", ["n", "label"])
def test_the_missing_marker_note_takes_any_label_name(name):
    import dvclean

    df = _pandas_frame().rename(columns={"y": name})
    df.loc[:4, name] = "nan"
    notes = dvclean.score(df, label=name).summary["notes"]
    assert any(f"label column {name!r} holds 'nan' (5 rows)" in n for n in notes), notes
