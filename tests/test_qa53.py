"""QA round 93 (session 53): carried items and the helpers' findings. A JSON-lines file whose column mixes numbers
with true/false was refused as "not valid JSON lines" (polars: "cannot parse 'true' (bool) as Int64"), and a JSON
array's such column was read as numbers with true as 1."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.io import read_frame

runner = CliRunner()


def _flat(text: str) -> str:
    return " ".join(text.split())


def _json_rows(n: int = 80, seed: int = 0) -> list[dict]:
    rng = np.random.default_rng(seed)
    labels = [1, 0, True, 2.5]
    return [{"x": float(rng.normal()), "z": int(rng.integers(5)), "flag": bool(i % 3 == 0), "y": labels[i % 4]}
            for i in range(n)]


@pytest.mark.parametrize("fmt", ["ndjson", "json"])
def test_a_json_column_of_numbers_and_true_false_is_read_as_written(tmp_path, fmt):
    rows = _json_rows()
    path = tmp_path / f"d.{fmt}"
    if fmt == "ndjson":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    else:
        path.write_text(json.dumps(rows))
    frame, _ = read_frame(path)
    assert frame.schema["y"] == pl.String  # (not numbers with true as 1, nor a refusal)
    assert frame.get_column("y").to_list()[:4] == ["1", "0", "true", "2.5"]
    # the other columns keep their own types
    assert frame.schema["x"] == pl.Float64 and frame.schema["z"] == pl.Int64 and frame.schema["flag"] == pl.Boolean
    res = runner.invoke(app, ["score", str(path), "-y", "y", "-m", "knn", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    assert "classes: 0: 20, 1: 20, 2.5: 20, true: 20" in _flat(res.output)


def test_true_false_beside_numbers_only_in_other_columns_keeps_every_type(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps([{"a": 1, "b": True, "c": "true"}, {"a": 2.5, "b": False, "c": "x"}]))
    frame, _ = read_frame(path)
    assert frame.schema == pl.Schema({"a": pl.Float64, "b": pl.Boolean, "c": pl.String})


# ---------------------------------------------------------------- report's inputs (helper, round 93)


def _scored(tmp_path: Path, n: int = 60, **score_args: str) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2)).round(3)
    data = tmp_path / "d.csv"
    pl.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "label": np.where(x[:, 0] > 0, "a", "b")}).write_csv(data)
    scores = tmp_path / "d.scores.csv"
    extra = [a for kv in score_args.items() for a in kv]
    res = runner.invoke(app, ["score", str(data), "-y", "label", "-m", "knn", "-q", "-o", str(scores), *extra])
    assert res.exit_code == 0, res.output
    return data, scores


def _report(tmp_path: Path, scores: Path, *args: str):
    return runner.invoke(app, ["report", str(scores), *args, "-o", str(tmp_path / "r.html"), "-q"])


def test_report_refuses_scores_whose_row_numbers_are_not_the_datas(tmp_path):
    data, scores = _scored(tmp_path)
    s = pl.read_csv(scores)
    assert _report(tmp_path, scores, "--data", str(data), "-y", "label").exit_code == 0
    # two rows of one label swapped (re-sorted, saved): labels still line up, row_id does not
    b_rows = s.with_row_index("i").filter(pl.col("label") == "b").get_column("i").to_list()
    order = list(range(s.height))
    order[b_rows[0]], order[b_rows[-1]] = b_rows[-1], b_rows[0]
    s[order].write_csv(tmp_path / "swapped.csv")
    s.with_columns(pl.col("row_id") + 1000).write_csv(tmp_path / "shifted.csv")
    for name, at in (("swapped.csv", b_rows[0]), ("shifted.csv", 0)):
        res = _report(tmp_path, tmp_path / name, "--data", str(data), "-y", "label")
        assert res.exit_code == 2, res.output
        assert f"its row_id column is not --data's row numbers in order (at row {at} it holds" in _flat(res.output)
    # (without --data nothing pairs rows with features: the edited file is still reported)
    assert _report(tmp_path, tmp_path / "swapped.csv").exit_code == 0


def test_report_pairs_an_id_named_like_a_scores_column(tmp_path):
    # an --id named `value` is written as row_id: its values, not row numbers, are the data's ids
    rng = np.random.default_rng(1)
    data = tmp_path / "v.csv"
    pl.DataFrame({"value": [f"k{i}" for i in range(40)], "x": rng.normal(size=40), "label": ["a", "b"] * 20}).write_csv(data)
    for out in ("v.s.csv", "v.s.parquet"):
        res = runner.invoke(app, ["score", str(data), "-y", "label", "--id", "value", "-m", "knn", "-q", "-o",
                                  str(tmp_path / out)])
        assert res.exit_code == 0, res.output
        res = _report(tmp_path, tmp_path / out, "--data", str(data), "-y", "label")
        assert res.exit_code == 0, res.output


def test_report_names_what_is_wrong_with_the_scores_inputs(tmp_path):
    data, scores = _scored(tmp_path)
    s = pl.read_csv(scores)
    s.select(s.columns[::-1]).write_csv(tmp_path / "reordered.csv")
    s.drop("row_id").write_csv(tmp_path / "no_ids.csv")
    (tmp_path / "s.parquet").write_bytes(scores.read_bytes())
    cases = [
        ("reordered.csv", (), f"its first column is {s.columns[-1]!r}, but dvclean score writes the row ids first "
                              f"(row_id, or the --id column) and row_id is column {s.width}"),
        ("no_ids.csv", (), "its first column is 'label', but dvclean score writes the row ids first "
                           "(row_id, or the --id column) and it has no row_id column"),
        ("s.parquet", (), "looks like CSV text, not Parquet; rename the file to end in .csv"),
    ]
    for name, args, message in cases:
        res = _report(tmp_path, tmp_path / name, *args)
        assert res.exit_code == 2 and message in _flat(res.output), (name, res.output)
    res = runner.invoke(app, ["report", "-", "--data", "-", "-y", "label", "-o", str(tmp_path / "r.html")],
                        input=scores.read_text())
    assert res.exit_code == 2 and "the scores and --data both read standard input (-)" in _flat(res.output)


def test_report_says_the_data_lacks_the_scores_id_column(tmp_path):
    rng = np.random.default_rng(2)
    with_id = tmp_path / "i.csv"
    frame = pl.DataFrame({"cid": [f"c{i}" for i in range(40)], "x": rng.normal(size=40), "label": ["a", "b"] * 20})
    frame.write_csv(with_id)
    frame.drop("cid").write_csv(tmp_path / "plain.csv")
    res = runner.invoke(app, ["score", str(with_id), "-y", "label", "--id", "cid", "-m", "knn", "-q", "-o",
                              str(tmp_path / "i.s.csv")])
    assert res.exit_code == 0, res.output
    res = _report(tmp_path, tmp_path / "i.s.csv", "--data", str(tmp_path / "plain.csv"), "-y", "label")
    assert res.exit_code == 2, res.output
    assert "has no column 'cid', which" in _flat(res.output) and "was scored with as --id" in _flat(res.output)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(command="check"), "written by `dvclean check`, not by `dvclean augment`"),
    (lambda d: d.update(schema_version=99), "written by a newer dvclean"),
    (lambda d: d.pop("input"), "has no 'input' section naming the data it evaluated"),
    (lambda d: d.update(evaluation={"arms": {}}), "'evaluation.arms' is empty"),
])
def test_report_refuses_an_edited_augment_report(tmp_path, edit, message):
    data, scores = _scored(tmp_path)
    doc = {"schema_version": 1, "command": "augment", "label": "label",
           "input": {"path": str(data), "format": "csv", "rows": 60},
           "quality": {"score": 0.8}, "evaluation": {"arms": {"baseline": {"rows": 40}}}}
    good = tmp_path / "good.json"
    good.write_text(json.dumps(doc))
    assert _report(tmp_path, scores, "--augmentation", str(good)).exit_code == 0
    edit(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    res = _report(tmp_path, scores, "--augmentation", str(bad))
    assert res.exit_code == 2 and message in _flat(res.output), res.output


def test_report_says_to_pass_augments_json_not_its_html(tmp_path):
    _, scores = _scored(tmp_path)
    page = tmp_path / "aug.html"
    page.write_text("<!doctype html><html></html>")
    res = _report(tmp_path, scores, "--augmentation", str(page))
    assert res.exit_code == 2, res.output
    assert "not a JSON document" in res.output and "(not its HTML report)" in _flat(res.output)


# ---------------------------------------------------------------- paths and the environment (helper, round 93)


def test_a_deleted_current_directory_is_one_clear_line(tmp_path):
    import os
    import subprocess
    import sys

    gone = tmp_path / "gone"
    gone.mkdir()

    def enter_and_delete() -> None:  # (in the child: its current directory is deleted under it)
        os.chdir(gone)
        os.rmdir(gone)

    res = subprocess.run([sys.executable, "-c", "from dvclean.cli import main; main()", "score",
                          str(tmp_path / "d.csv"), "-y", "y"], capture_output=True, text=True,
                         preexec_fn=enter_and_delete, timeout=120)
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip() == ("error: the current directory no longer exists (it was deleted or moved); cd to an "
                                  "existing directory and run dvclean again")


@pytest.mark.parametrize("command", ["score", "fix", "augment", "report"])
def test_a_missing_input_in_a_missing_folder_is_the_input_missing(tmp_path, command, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [command, "nodir/d.csv", *(["-y", "y"] if command != "report" else [])]
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    assert "nodir/d.csv: no such file; check the path" in _flat(res.output) and "--output" not in res.output


def _tiny_csv(path: Path) -> Path:
    rng = np.random.default_rng(3)
    with open(path, "wb") as fh:  # (polars opens only UTF-8 names)
        pl.DataFrame({"a": rng.normal(size=40), "y": ["p", "q"] * 20}).write_csv(fh)
    return path


def test_names_outside_ascii_under_an_ascii_file_system_encoding(tmp_path):
    # LC_ALL=C with PYTHONUTF8=0: Python decodes names as ASCII, other bytes as lone surrogates, which polars
    # took for a file object ("Object does not have a .read() method") and mkstemp could not encode: exit 3
    import os
    import subprocess
    import sys

    folder = tmp_path / "目录"
    folder.mkdir()
    _tiny_csv(tmp_path / "数据.csv")
    env = {**os.environ, "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from dvclean.cli import main; main()", *args], cwd=tmp_path,
                              env=env, capture_output=True, timeout=300)

    probe = subprocess.run([sys.executable, "-c", "import sys; print(sys.getfilesystemencoding())"], env=env,
                           capture_output=True, text=True)
    if probe.stdout.strip().lower() not in ("ascii", "ansi_x3.4-1968"):
        pytest.skip(f"this Python keeps a {probe.stdout.strip()} file-system encoding under LC_ALL=C")
    res = run("score", "数据.csv", "-y", "y", "-m", "knn", "--mislabel-rule", "knn", "-q")
    assert res.returncode == 0, res.stderr
    res = run("score", "数据.csv", "-y", "y", "-m", "knn", "--mislabel-rule", "knn", "-q", "-o", "目录/输出.csv")
    assert res.returncode == 0, res.stderr
    res = run("report", "数据.dvclean.parquet", "-o", "目录/报告.html")
    assert res.returncode == 0, res.stderr
    assert res.stdout == "目录/报告.html\n".encode()  # (the name's own bytes: a script opens the file with it)
    assert sorted(p.name for p in folder.iterdir()) == ["报告.html", "输出.csv"]  # (no temporary file left)
    assert pl.read_csv(folder / "输出.csv").height == 40


def test_report_prints_the_written_files_own_bytes(tmp_path):
    import os
    import subprocess
    import sys

    name = os.fsdecode(b"x\xffy.csv")  # (not UTF-8)
    _tiny_csv(tmp_path / name)
    cli = [sys.executable, "-c", "from dvclean.cli import main; main()"]
    res = subprocess.run([*cli, "score", name, "-y", "y", "-m", "knn", "--mislabel-rule", "knn", "-q"], cwd=tmp_path,
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    res = subprocess.run([*cli, "report", os.fsdecode(b"x\xffy.dvclean.parquet")], cwd=tmp_path, env=env,
                         capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert res.stdout == b"x\xffy.report.html\n"
    assert (tmp_path / os.fsdecode(res.stdout.rstrip(b"\n"))).is_file()


def test_output_to_dev_stdout_is_refused_as_a_stream(tmp_path):
    import subprocess
    import sys

    data = _tiny_csv(tmp_path / "d.csv")
    with open(tmp_path / "printed.txt", "wb") as out:
        res = subprocess.run([sys.executable, "-c", "from dvclean.cli import main; main()", "score", str(data), "-y",
                              "y", "-q", "-o", "/dev/stdout", "--format", "csv"], stdout=out, stderr=subprocess.PIPE,
                             text=True, timeout=300)
    assert res.returncode == 2
    assert "it is a link to a standard stream" in res.stderr and "redirect the standard output" not in res.stderr


# ---------------------------------------------------------------- fix with --id and --valid (helper, round 93)


def _fix_data(tmp_path: Path, n: int = 120) -> Path:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = np.where(a + b > 0, "pos", "neg")
    y[::10] = np.where(y[::10] == "pos", "neg", "pos")
    days = [f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}" for i in range(n)]
    path = tmp_path / "t.csv"
    pl.DataFrame({"id": [f"r{i}" for i in range(n)], "a": a, "b": b, "d": days, "y": y}).write_csv(path)
    return path


def test_fix_says_when_valid_cannot_change_the_flags(tmp_path):
    data = _fix_data(tmp_path)
    valid = tmp_path / "v.csv"
    pl.read_csv(data).drop("id").tail(40).write_csv(valid)
    plain = runner.invoke(app, ["fix", str(data), "-y", "y", "--id", "id", "-o", str(tmp_path / "a.csv")])
    with_valid = runner.invoke(app, ["fix", str(data), "-y", "y", "--id", "id", "--valid", str(valid),
                                     "-o", str(tmp_path / "b.csv")])
    assert plain.exit_code == 0 and with_valid.exit_code == 0, with_valid.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    said = "--valid changed nothing in the output: under the consensus rule the mislabel flags do not use the"
    assert said in _flat(with_valid.output) and said not in _flat(plain.output)
    knn = runner.invoke(app, ["fix", str(data), "-y", "y", "--id", "id", "--valid", str(valid), "--mislabel-rule",
                              "knn", "-o", str(tmp_path / "c.csv")])
    assert knn.exit_code == 0 and "--valid changed nothing" not in knn.output, knn.output


def test_a_parquet_valid_file_with_dates_as_text_is_read_as_the_datas_dates(tmp_path):
    # the data CSV's date column is read as dates; a Parquet validation file saved from it without date parsing
    # holds the same text, and was refused ("holds text ... but the data's 'd' holds dates")
    data = _fix_data(tmp_path)
    text = pl.read_csv(data, try_parse_dates=False).drop("id").tail(40)
    assert text.schema["d"] == pl.String
    text.write_parquet(tmp_path / "v.parquet")
    text.write_csv(tmp_path / "v.csv")
    out = {}
    for v in ("v.parquet", "v.csv"):
        res = runner.invoke(app, ["fix", str(data), "-y", "y", "--id", "id", "--valid", str(tmp_path / v),
                                  "--mislabel-rule", "knn", "-q", "-o", str(tmp_path / f"o_{v}.csv")])
        assert res.exit_code == 0, res.output
        out[v] = (tmp_path / f"o_{v}.csv").read_bytes()
    assert out["v.parquet"] == out["v.csv"]


def test_an_empty_id_says_how_to_go_on(tmp_path):
    data = _fix_data(tmp_path)
    frame = pl.read_csv(data)
    frame.with_columns(pl.when(pl.int_range(frame.height) == 7).then(None).otherwise(pl.col("id")).alias("id")).write_csv(
        tmp_path / "holes.csv")
    res = runner.invoke(app, ["fix", str(tmp_path / "holes.csv"), "-y", "y", "--id", "id", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2, res.output
    assert ("id column 'id' is empty at row 7; every row needs an id: fill in those ids, "
            "or leave out --id id (rows are then numbered 0, 1, 2, ...)") in _flat(res.output)
    assert not (tmp_path / "o.csv").exists()


# ---------------------------------------------------------------- the knn rule with three classes or more


def test_the_knn_rule_does_not_flag_a_row_whose_class_is_its_neighbours_plurality():
    from dvclean.config import FlagPolicy
    from dvclean.flags import flag_rows

    # rows 0-3 are judged; the rest are their neighbours (labels only matter)
    y = np.array([0, 0, 0, 0] + [0, 0, 1, 2, 3] + [1, 1, 1, 0, 2] + [0, 0, 1, 1, 2])
    pool = np.arange(4, y.size)
    neighbours = np.array([pool[0:5], pool[5:10], pool[10:15], pool[0:5]])
    neighbours = np.vstack([neighbours, np.tile(pool[:5], (y.size - 4, 1))])
    values = np.full(y.size, -0.01)  # every row lowers the others' accuracy
    flags = flag_rows(values, y, neighbours, 4, FlagPolicy(hard_fraction=0.0))
    # row 0: 2 of 5 its own class, the other 3 split three ways (disagreement 0.6): its class is the plurality
    # row 1: 3 of 5 carry class 1: flagged, suggested 1
    # row 2: 2 its own, 2 of class 1: a tie goes to its own class
    assert flags.is_mislabeled[:3].tolist() == [False, True, False]
    assert flags.suggested_label[1] == 1 and flags.neighbor_disagreement[0] == pytest.approx(0.6)
    # with two classes the rule is unchanged: most neighbours of another label is another class outnumbering it
    y2 = np.array([0, 0, 0, 0, 1, 1])
    nb2 = np.array([[1, 2, 3, 4, 5], [0, 2, 3, 4, 5], [0, 1, 3, 4, 5], [0, 1, 2, 4, 5], [0, 1, 2, 3, 5], [0, 1, 2, 3, 4]])
    two = flag_rows(np.full(6, -0.01), y2, nb2, 2, FlagPolicy(hard_fraction=0.0))
    assert two.is_mislabeled.tolist() == (two.neighbor_disagreement > 0.5).tolist()
    assert 0 < two.is_mislabeled.sum() < 6


def test_an_input_path_ending_in_a_slash_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _tiny_csv(tmp_path / "d.csv")
    for command in ("score", "check"):
        res = runner.invoke(app, [command, "d.csv/", "-y", "y", *(["-o", "s.csv"] if command == "score" else [])])
        assert res.exit_code == 2, res.output
        assert "'d.csv/' ends in '/', which names a directory, but 'd.csv' is a file: leave out the '/'" in _flat(
            res.output)
    assert not (tmp_path / "s.csv").exists()


def test_the_blank_rows_note_names_rows_by_their_ids(tmp_path):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=60).tolist(), rng.normal(size=60).tolist()
    for i in (5, 9):
        a[i] = b[i] = None
    data = tmp_path / "b.csv"
    pl.DataFrame({"id": [f"q{i}" for i in range(60)], "a": a, "b": b, "y": ["u", "v"] * 30}).write_csv(data)
    for extra, named in ((["--id", "id"], "rows q5, q9"), ([], "rows 5, 9")):
        res = runner.invoke(app, ["score", str(data), "-y", "y", "-m", "knn", "--mislabel-rule", "knn", *extra,
                                  "-o", str(tmp_path / "s.csv")])
        assert res.exit_code == 0, res.output
        assert f"2 rows have no feature value at all ({named})" in _flat(res.output)


# ---------------------------------------------------------------- round 94 (helpers: own changes, augment, labels)


def test_report_accepts_ids_named_like_optional_score_columns_and_zero_padded_renamed_ids(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, 2))
    ids = [f"{i:05d}" for i in rng.permutation(60) + 1]
    for id_name, out in (("value_knn", "s.parquet"), ("target_z", "s.csv"), ("value", "s.csv")):
        data = tmp_path / f"{id_name}.csv"
        pl.DataFrame({id_name: ids, "x1": x[:, 0], "x2": x[:, 1], "cls": np.where(x[:, 0] > 0, "a", "b")}).write_csv(data)
        scores = tmp_path / f"{id_name}.{out}"
        res = runner.invoke(app, ["score", str(data), "-y", "cls", "--id", id_name, "-m", "knn", "-q", "-o", str(scores)])
        assert res.exit_code == 0, res.output
        for args in ([], ["--data", str(data), "-y", "cls"]):
            res = _report(tmp_path, scores, *args)
            assert res.exit_code == 0, (id_name, args, res.output)


def test_json_lines_with_true_and_numbers_inside_a_nested_value(tmp_path):
    rng = np.random.default_rng(2)
    path = tmp_path / "n.ndjson"
    path.write_text("".join(json.dumps({"x": float(rng.normal()), "meta": {"flag": True if i % 2 else 3},
                                        "y": "ab"[i % 2]}) + "\n" for i in range(60)))
    res = runner.invoke(app, ["fix", str(path), "-y", "y", "--drop", "meta", "-q", "-o", str(tmp_path / "o.ndjson")])
    assert res.exit_code == 0, res.output
    back = [json.loads(line) for line in (tmp_path / "o.ndjson").read_text().splitlines()]
    assert [r["meta"] for r in back[:2]] == [{"flag": 3}, {"flag": True}]  # (the file's own values)


def test_report_and_report_option_name_themselves_for_dev_stdout(tmp_path):
    data, scores = _scored(tmp_path)
    res = runner.invoke(app, ["report", str(scores), "-o", "/dev/stdout"])
    assert res.exit_code == 2 and "give a regular file path (--output PATH)" in _flat(res.output)
    assert "--json" not in res.output
    res = runner.invoke(app, ["score", str(data), "-y", "label", "-o", str(tmp_path / "s2.csv"), "--report",
                              "/dev/stdout"])
    assert res.exit_code == 2 and "give a regular file path (--report PATH)" in _flat(res.output)


def test_a_parquet_valid_dates_column_names_its_cell_that_is_no_date(tmp_path):
    data = _fix_data(tmp_path)
    text = pl.read_csv(data, try_parse_dates=False).drop("id").tail(40)
    text.with_columns(pl.when(pl.int_range(40) == 5).then(pl.lit("junk")).otherwise(pl.col("d")).alias("d")).write_parquet(
        tmp_path / "v.parquet")
    res = runner.invoke(app, ["fix", str(data), "-y", "y", "--id", "id", "--valid", str(tmp_path / "v.parquet"),
                              "--mislabel-rule", "knn", "-o", str(tmp_path / "o.csv")])
    assert res.exit_code == 2, res.output
    assert "but 'junk' at row 5 is not a date in its spelling" in _flat(res.output)


def test_help_and_version_need_no_current_directory(tmp_path):
    import os
    import subprocess
    import sys

    gone = tmp_path / "gone"

    def enter_and_delete() -> None:
        os.chdir(gone)
        os.rmdir(gone)

    for args in (["--version"], ["score", "--help"]):
        gone.mkdir()
        res = subprocess.run([sys.executable, "-c", "from dvclean.cli import main; main()", *args], capture_output=True,
                             text=True, preexec_fn=enter_and_delete, timeout=120)
        assert res.returncode == 0, res.stderr


def test_a_withheld_column_is_not_a_feature_of_the_augmented_file(tmp_path):
    # augment --withhold email leaves email empty on the synthetic rows: its missing-value indicator was the
    # synthetic mark itself, and changed the real rows' flags
    rng = np.random.default_rng(1)
    n = 120
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    frame = pl.DataFrame({"x1": x1.round(3), "x2": x2.round(2), "email": [f"user{i}@ex.com" for i in range(n)],
                          "y": np.where(x1 + 0.5 * x2 > 0, "yes", "no")})
    synthetic = frame.head(20).with_columns(pl.lit(None, dtype=pl.String).alias("email"),
                                            (pl.col("x1") + 0.01).alias("x1"))
    aug = pl.concat([frame.with_columns(pl.lit(False).alias("dvclean_synthetic")),
                     synthetic.with_columns(pl.lit(True).alias("dvclean_synthetic"))])
    aug.write_csv(tmp_path / "aug.csv")
    res = runner.invoke(app, ["score", str(tmp_path / "aug.csv"), "-y", "y", "-m", "knn", "-o", str(tmp_path / "a.csv")])
    assert res.exit_code == 0, res.output
    assert ("column 'email' is empty on every synthetic row (dvclean_synthetic), where the real rows of their classes "
            "are filled, as `dvclean augment --withhold` leaves a column: not used as a feature") in _flat(res.output)
    dropped = runner.invoke(app, ["score", str(tmp_path / "aug.csv"), "-y", "y", "-m", "knn", "--drop", "email", "-q",
                                  "-o", str(tmp_path / "b.csv")])
    assert dropped.exit_code == 0
    assert pl.read_csv(tmp_path / "a.csv").get_column("value").equals(pl.read_csv(tmp_path / "b.csv").get_column("value"))
    # a sparse column of the user's whose one synthetic cell came out empty stays a feature
    sparse = aug.with_columns(pl.when(pl.int_range(aug.height) % 2 == 0).then(None).otherwise(pl.col("x2")).alias("x2"))
    one = pl.concat([sparse.filter(~pl.col("dvclean_synthetic")), sparse.filter(pl.col("dvclean_synthetic")).head(1)])
    one.write_csv(tmp_path / "one.csv")
    res = runner.invoke(app, ["score", str(tmp_path / "one.csv"), "-y", "y", "-m", "knn", "-o", str(tmp_path / "c.csv")])
    assert res.exit_code == 0 and "'x2' is empty on every synthetic row" not in _flat(res.output), res.output


def _score_labels(tmp_path: Path, name: str, labels: list[str], n: int, *extra: str):
    """Score a CSV of one feature that separates the classes ``labels`` (n rows, in turn): the file and the run."""
    rng = np.random.default_rng(0)
    c = np.arange(n) % len(labels)
    path = tmp_path / name
    pl.DataFrame({"x": rng.normal(size=n) + 3 * c, "y": [labels[i] for i in c]}).write_csv(path)
    return path, runner.invoke(app, ["score", str(path), "-y", "y", "-m", "knn", *extra, "-o", str(tmp_path / "s.csv")])


def test_label_codes_past_64_bits_are_classes_by_their_text(tmp_path):
    path, res = _score_labels(tmp_path, "u.csv", ["18446744073709551614", "123456789012345678901234"], 80)
    assert res.exit_code == 0, res.output
    assert "classes: 123456789012345678901234: 40, 18446744073709551614: 40" in _flat(res.output)
    res = runner.invoke(app, ["score", str(path), "-y", "y", "--task", "regression", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and "cast it to a float first" in _flat(res.output)


def test_space_padded_number_labels_keep_spellings_apart_as_unpadded_ones_do(tmp_path):
    _, res = _score_labels(tmp_path, "w.csv", [" 1.0", "1", "2"], 90)
    assert res.exit_code == 0, res.output
    assert "classes: ' 1.0': 30, 1: 30, 2: 30" in _flat(res.output)
    assert "classes ' 1.0' and '1' spell the same number" in _flat(res.output)
    # padded numbers that merge no spellings are still read as numbers
    _, res = _score_labels(tmp_path, "p.csv", [" 1", " 2", "10"], 90)
    assert res.exit_code == 0 and "holds numbers padded with spaces: valued as those numbers" in _flat(res.output)


def test_classes_in_two_unicode_forms_print_apart(tmp_path):
    path, res = _score_labels(tmp_path, "n.csv", ["caf\u00e9", "cafe\u0301"], 80)
    assert res.exit_code == 0, res.output
    assert "classes: 'cafe\\u0301': 40, café: 40" in _flat(res.output)
    res = runner.invoke(app, ["check", str(path), "-y", "y", "--max-mislabeled-per-class", "0", "--format", "json"])
    names = [c["name"] for c in json.loads(res.stdout)["checks"] if c["name"].startswith("mislabeled[")]
    assert sorted(names) == ["mislabeled[class=cafe\\u0301]", "mislabeled[class=café]"]


# ---------------------------------------------------------------- round 95 (helpers: round 94's changes, JSON data)


def test_a_column_the_generator_left_empty_for_its_class_stays_a_feature(tmp_path):
    # the target class never fills column c: augment's synthetic rows of that class leave it empty too, which the
    # real rows of their class explain (it was taken for a withheld column and dropped from the features)
    rng = np.random.default_rng(5)
    n = 200
    y = (np.arange(n) % 5 == 0).astype(int)
    c = [None if yy == 1 else float(v) for yy, v in zip(y, rng.normal(size=n), strict=True)]
    real = pl.DataFrame({"x1": rng.normal(size=n) + 1.5 * y, "c": c, "label": y})
    synthetic = real.filter(pl.col("label") == 1).head(30).with_columns(pl.col("x1") + 0.01)
    aug = pl.concat([real.with_columns(pl.lit(False).alias("dvclean_synthetic")),
                     synthetic.with_columns(pl.lit(True).alias("dvclean_synthetic"))])
    aug.write_csv(tmp_path / "aug.csv")
    res = runner.invoke(app, ["score", str(tmp_path / "aug.csv"), "-y", "label", "-m", "knn", "-o",
                              str(tmp_path / "s.csv")])
    assert res.exit_code == 0 and "empty on every synthetic row" not in _flat(res.output), res.output


def test_a_resaved_mark_still_marks_the_withheld_columns(tmp_path):
    rng = np.random.default_rng(0)
    n = 120
    syn = np.arange(n) >= 100
    x1 = rng.normal(size=n)
    frame = pl.DataFrame({"x1": x1, "email": [None if s else f"u{i}@x.com" for i, s in enumerate(syn)],
                          "label": (x1 > 0).astype(int), "dvclean_synthetic": syn.astype(int)})
    frame.write_csv(tmp_path / "aug01.csv")
    res = runner.invoke(app, ["score", str(tmp_path / "aug01.csv"), "-y", "label", "-m", "knn", "-o",
                              str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output
    flat = _flat(res.output)
    assert "column 'email' is empty on every synthetic row (dvclean_synthetic)" in flat
    assert "write it back as true/false" in flat


def test_a_json_array_with_an_object_column_and_true_somewhere_is_read(tmp_path):
    rng = np.random.default_rng(1)
    rows = [{"x": float(rng.normal()), "label": i % 2, "m": {"k": i}, "f": i % 3 == 0} for i in range(40)]
    path = tmp_path / "nb.json"
    path.write_text(json.dumps(rows))
    res = runner.invoke(app, ["fix", str(path), "-y", "label", "--drop", "m", "-q", "-o", str(tmp_path / "o.json")])
    assert res.exit_code == 0, res.output
    assert [r["m"] for r in json.loads((tmp_path / "o.json").read_text())[:2]] == [{"k": 0}, {"k": 1}]
    res = runner.invoke(app, ["score", str(path), "-y", "label", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and "holds nested values" in _flat(res.output)


def test_a_nested_column_read_as_its_json_text_is_still_no_feature(tmp_path):
    rng = np.random.default_rng(3)
    path = tmp_path / "n.jsonl"
    path.write_text("".join(json.dumps({"x": float(rng.normal()), "meta": {"a": True if i % 7 == 0 else i},
                                        "label": i % 2}) + "\n" for i in range(60)))
    res = runner.invoke(app, ["score", str(path), "-y", "label", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and "column 'meta' holds nested values" in _flat(res.output), res.output


@pytest.mark.parametrize("text, said", [
    ('{"x":1,"label":0}\n{"x":2,"label":1}\n{"x":NaN,"label":0}\n', "line 3: NaN is not a JSON value"),
    ('{"x":1,"label":0}\n{"x":1e400,"label":1}\n', "line 2: the number 1e400 is beyond the range of a float"),
    ('[{"x":1,"label":0},\n{"x":Infinity,"label":1}]', "Infinity is not a JSON value"),
    ('[{"x":1,"label":0},\n{"x":2,"label":1},\n]\n', "line 3, column 1: Expecting value"),
])
def test_json_that_python_would_read_but_json_forbids_is_named(tmp_path, text, said):
    path = tmp_path / ("d.ndjson" if text.startswith("{") else "d.json")
    path.write_text(text)
    res = runner.invoke(app, ["score", str(path), "-y", "label", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and said in _flat(res.output), res.output


def test_valid_labels_past_64_bits_are_read_as_the_datas(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=120)
    frame = pl.DataFrame({"x": x, "label": ["123456789012345678901234" if v > 0 else "99999999999999999999" for v in x]})
    frame.write_csv(tmp_path / "d.csv")
    frame.head(40).write_csv(tmp_path / "v.csv")
    res = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "label", "--valid", str(tmp_path / "v.csv"),
                              "-m", "knn", "-q", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 0, res.output


def test_fix_writes_a_128_bit_label_back_as_a_number(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=120)
    codes = [123456789012345678901234 if v > 0 else -99999999999999999999 for v in x]
    pl.DataFrame({"x": x, "label": pl.Series(codes, dtype=pl.Int128)}).write_parquet(tmp_path / "b.parquet")
    res = runner.invoke(app, ["fix", str(tmp_path / "b.parquet"), "-y", "label", "--action", "mark", "-q", "-o",
                              str(tmp_path / "o.parquet")])
    assert res.exit_code == 0, res.output
    back = pl.read_parquet(tmp_path / "o.parquet").get_column("label")
    assert back.dtype == pl.Decimal(38, 0)  # (as every 128-bit integer column is written: pyarrow has no Int128)
    assert [int(v) for v in back.to_list()] == codes


@pytest.mark.parametrize("name, text, said", [
    ("e.json", "[]", "holds no JSON record with a key; it needs at least one record"),
    ("e.ndjson", "", "the file is empty; it needs at least one JSON record"),
    ("e.csv", "", "the file is empty; it needs a header row and at least one data row"),
])
def test_an_empty_file_is_described_in_its_formats_words(tmp_path, name, text, said):
    (tmp_path / name).write_text(text)
    res = runner.invoke(app, ["score", str(tmp_path / name), "-y", "label", "-o", str(tmp_path / "s.csv")])
    assert res.exit_code == 2 and said in _flat(res.output), res.output
