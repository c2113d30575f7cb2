"""QA round 12: `dvclean score` / `dvclean fix` defects found by hand, each pinned by a test."""

from __future__ import annotations

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _separable(n: int = 40, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    y = (x > 0).astype(int)
    y[:3] = 1 - y[:3]
    return pl.DataFrame({"x": x, "z": rng.normal(size=n), "y": y})


def test_fix_unknown_format_is_a_usage_error_not_an_internal_error(tmp_path):
    # was: `dvclean fix data.csv -y y --format xlsx` -> "internal error: KeyError: 'xlsx'", exit 3
    src = tmp_path / "d.csv"
    _separable().write_csv(src)
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--format", "xlsx", "-q"])
    assert res.exit_code == 2, res.output
    assert "KeyError" not in res.output and "internal error" not in res.output
    assert "xlsx" in res.output and "parquet" in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]  # nothing written


def test_fix_unknown_format_from_config_file_names_the_file(tmp_path):
    src = tmp_path / "d.csv"
    _separable().write_csv(src)
    cfg = tmp_path / "dvclean.toml"
    cfg.write_text('[fix]\nformat = "xlsx"\n', encoding="utf-8")
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "-q"])
    assert res.exit_code == 2, res.output
    assert "dvclean.toml" in res.output and "xlsx" in res.output and "internal error" not in res.output


def _padded_label_csv(path, n: int = 60):
    rng = np.random.default_rng(3)
    x = rng.normal(size=n)
    y = x > 0
    y[:8] = ~y[:8]
    lines = ["x,w,y"] + [f"{x[i]:.4f},{rng.integers(0, 9)},{' 1' if y[i] else ' 0'}" for i in range(n)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_fix_drop_keeps_a_padded_number_label_typed_as_valued(tmp_path):
    # was: with --drop, the output was re-read with the label as text (" 0"/" 1") while the suggested labels were
    # the numbers valued, so relabelled rows got "0"/"1": the Parquet output mixed four classes " 0", " 1", "0", "1"
    # and the CSV output lost the input's spelling of the class
    from dvclean.config import FixConfig
    from dvclean.fix import fix, write_fixed

    src = _padded_label_csv(tmp_path / "pad.csv")
    cfg = FixConfig(action="relabel", min_confidence=0.0)
    plain = fix(src, label="y", config=cfg)
    dropped = fix(src, label="y", drop=("w",), config=cfg)
    assert dropped.summary["relabeled"] > 0
    assert dropped.frame.schema["y"] == plain.frame.schema["y"] == pl.Int64
    assert set(dropped.frame.get_column("y").to_list()) == {0, 1}
    out = write_fixed(dropped, tmp_path / "out.csv")
    cells = [line.rsplit(",", 1)[1].strip('"') for line in out.read_text(encoding="utf-8").splitlines()[1:]]
    assert set(cells) == {" 0", " 1"}  # every label spelled as the input spells its class


def test_empty_method_list_names_the_option_not_the_library_parameter(tmp_path):
    # was: `dvclean score d.csv --method ,` -> "The 'methods' parameter of ScoreConfig must be a non-empty tuple
    # of method names; got ()." (the Python API's wording; the option is --method)
    src = tmp_path / "d.csv"
    _separable().write_csv(src)
    for cmd in ("score", "fix"):
        res = runner.invoke(app, [cmd, str(src), "-y", "y", "--method", ",", "-o", str(tmp_path / "o.csv"), "-q"])
        assert res.exit_code == 2, res.output
        assert "--method" in res.output and "ScoreConfig" not in res.output and "parameter" not in res.output
    assert not (tmp_path / "o.csv").exists()


def test_fix_output_directory_suggests_a_fixed_data_name(tmp_path):
    # was: "give a file path such as <dir>/scores.parquet": a scores file's name for the cleaned data
    src = tmp_path / "d.csv"
    _separable().write_csv(src)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "-o", str(out_dir), "-q"])
    assert res.exit_code == 2, res.output
    assert "d.fixed.csv" in res.output and "scores.parquet" not in res.output
    assert list(out_dir.iterdir()) == []


def test_drop_with_a_comma_list_says_to_repeat_the_option(tmp_path):
    # --method takes a comma-separated list, --drop does not (a column name may hold a comma): was a bare
    # "unknown columns 'a,b'" with no hint that the two columns exist
    src = tmp_path / "d.csv"
    _separable().with_columns(pl.lit(1.5).alias("w")).write_csv(src)
    res = runner.invoke(app, ["fix", str(src), "-y", "y", "--drop", "z,w", "-q"])
    assert res.exit_code == 2, res.output
    assert "--drop z --drop w" in " ".join(res.output.split())


def test_nested_columns_error_names_every_drop_needed(tmp_path):
    # was: "columns 'lst', 'st' hold nested values ...; exclude them with --drop lst" (st forgotten)
    src = tmp_path / "d.parquet"
    _separable().with_columns(pl.lit([1, 2]).alias("lst"), pl.lit({"a": 1}).alias("st")).write_parquet(src)
    res = runner.invoke(app, ["score", str(src), "-y", "y", "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 2, res.output
    assert "--drop lst --drop st" in " ".join(res.output.split())
    res = runner.invoke(app, ["score", str(src), "-y", "y", "--drop", "lst", "--drop", "st", "-o", str(tmp_path / "s.csv"), "-q"])
    assert res.exit_code == 0, res.output


def test_ignored_columns_note_stays_short_on_wide_data():
    # was: one note naming all 200 ignored columns with their reasons (a ~9,000-character line in score, check
    # and fix); now the first ones and a count by reason, the summary's features.ignored keeps the full list
    import dvclean
    from dvclean.table import IGNORED_SHOWN

    frame = _separable(50).with_columns([pl.Series(f"h{i}", [f"u{j}_{i}" for j in range(50)]) for i in range(200)])
    frame = frame.with_columns([pl.lit(1).alias(f"c{i}") for i in range(5)])
    r = dvclean.score(frame, label="y")
    note = next(n for n in r.summary["notes"] if n.startswith("ignored feature columns"))
    assert len(note) < 1000
    assert note.count("(a distinct value in every row)") == IGNORED_SHOWN
    assert f"and {205 - IGNORED_SHOWN} more ({200 - IGNORED_SHOWN}: a distinct value in every row, 5: constant" in note
    assert len(r.summary["features"]["ignored"]) == 205


def test_fix_summary_says_one_row_not_one_rows(tmp_path):
    src = tmp_path / "d.csv"
    _separable(60).write_csv(src)
    args = ["-y", "y", "--expected-noise", "1%", "--mislabel-rule", "knn"]  # 1% of 60 rows: exactly one row
    marked = runner.invoke(app, ["fix", str(src), *args, "--action", "mark", "-o", str(tmp_path / "m.csv")])
    assert marked.exit_code == 0, marked.output
    assert "1 of 60 rows flagged" in marked.stdout and "marked 1 row in column dvclean_issue" in marked.stdout
    assert "0 rows changed, 60 rows written" in marked.stdout
    relabeled = runner.invoke(app, ["fix", str(src), *args, "--action", "relabel", "--min-confidence", "0",
                                    "-o", str(tmp_path / "r.csv")])
    assert relabeled.exit_code == 0, relabeled.output
    assert "relabeled 1 row (0 flagged rows below --min-confidence 0 left as they were)" in relabeled.stdout
    assert "1 row changed, 60 rows written" in relabeled.stdout
    assert "1 rows" not in marked.stdout + relabeled.stdout


def test_a_nan_id_is_an_empty_id(tmp_path):
    import dvclean
    from dvclean.errors import DataValidationError

    frame = _separable(40).with_columns(rid=pl.Series([float(i) for i in range(39)] + [float("nan")]))
    try:
        dvclean.score(frame, label="y", id_column="rid")
    except DataValidationError as exc:
        assert "id column 'rid' is empty at row 39;" in str(exc)
    else:
        raise AssertionError("a NaN id was accepted")


def _random_labels(seed: int = 0, n: int = 400) -> pl.DataFrame:
    """Features that carry nothing about an 80/20 label drawn on its own."""
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.choice(["u", "v", "w"], n),
                         "y": rng.choice(["no", "yes"], n, p=[0.8, 0.2])})


def test_fix_refuses_to_relabel_or_drop_on_flags_that_are_noise(tmp_path):
    src = tmp_path / "rand.csv"
    _random_labels().write_csv(src)
    before = src.read_bytes()
    for action in ("relabel", "drop"):
        out = tmp_path / f"{action}.csv"
        res = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", action, "-o", str(out)])
        assert res.exit_code == 2, res.output
        assert f"refusing to {action}" in res.stderr and "not shown to predict the labels" in res.stderr
        assert "--force" in res.stderr and "--action mark" in res.stderr
        assert not out.exists()
    marked = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "mark", "-o", str(tmp_path / "m.csv")])
    assert marked.exit_code == 0, marked.output
    forced = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "drop", "--force", "-o", str(tmp_path / "d.csv")])
    assert forced.exit_code == 0, forced.output
    assert pl.read_csv(tmp_path / "d.csv").height < 400
    assert src.read_bytes() == before


def test_the_noise_guard_is_in_the_library_and_spares_predictable_labels():
    import dvclean
    from dvclean.config import FixConfig
    from dvclean.errors import DataValidationError
    from dvclean.fix import fix

    try:
        fix(_random_labels(), label="y", config=FixConfig(action="relabel"))
    except DataValidationError as exc:
        assert "<DataFrame>: refusing to relabel" in str(exc)
    else:
        raise AssertionError("relabelled rows on labels the features do not predict")
    assert fix(_random_labels(), label="y", config=FixConfig(action="relabel", force=True)).summary["changed"] > 0
    noisy = _separable(200)  # predictable labels with three flips: the guard stays out of the way
    r = fix(noisy, label="y", config=FixConfig(action="relabel", min_confidence=0.5))
    assert dvclean.pipeline.labels_unpredicted(r.scores.summary["flags"]["label_predictability"]) is False
    assert r.summary["changed"] >= 1


def test_fix_reports_class_counts_and_notes_a_class_that_loses_a_fifth(tmp_path):
    from dvclean.config import FixConfig
    from dvclean.fix import fix

    rng = np.random.default_rng(3)  # two overlapping classes, 320 / 80: predictable, but the minority overlaps
    y = np.r_[np.zeros(320, dtype=int), np.ones(80, dtype=int)]
    frame = pl.DataFrame({"a": rng.normal(size=400) + 0.9 * y, "b": rng.normal(size=400), "y": y})
    r = fix(frame, label="y", config=FixConfig(action="drop"))
    classes = r.summary["classes"]
    kept0, kept1 = int((r.frame["y"] == 0).sum()), int((r.frame["y"] == 1).sum())
    assert classes == {"0": {"before": 320, "after": kept0, "lost": 320 - kept0},  # (drop: what a class lost is gone)
                       "1": {"before": 80, "after": kept1, "lost": 80 - kept1}}
    assert sum(v["before"] - v["after"] for v in classes.values()) == r.summary["dropped"]
    lost = 80 - classes["1"]["after"]
    assert lost >= 16  # the premise: a fifth of the minority is flagged
    assert any(n.startswith(f"class '1' lost {lost} of its 80 rows") for n in r.summary["notes"])
    assert not any(n.startswith("class '0'") for n in r.summary["notes"])
    marked = fix(frame, label="y", config=FixConfig(action="mark"))
    assert "classes" not in marked.summary
