"""QA round 56: a byte-order mark that disagrees with --encoding, a wide --encoding on a file without zero bytes, and
comment lines before the header are refused with what is wrong and how to fix it."""

from __future__ import annotations

import codecs

import numpy as np
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.io import read_frame

runner = CliRunner()

_TEXT = "x1,x2,y\n" + "".join(f"{i % 7},{(i * 3) % 11},{'café' if i % 2 else 'thé'}\n" for i in range(40))


def _error(tmp_path, name: str, data: bytes, *options: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "o.csv"), *options])
    assert r.exit_code == 2 and not (tmp_path / "o.csv").exists(), r.output
    assert path.read_bytes() == data
    return " ".join(r.stderr.split())


@pytest.mark.parametrize(("data", "codec", "mark"), [
    (codecs.BOM_UTF8 + _TEXT.encode("utf-8"), "latin-1", "UTF-8"),  # (was read: the first column named `ï»¿x1`)
    (codecs.BOM_UTF8 + _TEXT.encode("utf-8"), "cp1252", "UTF-8"),
    (_TEXT.encode("utf-16"), "latin-1", "UTF-16-"),  # ("looks like a binary file")
    (_TEXT.encode("utf-32"), "utf-16", "UTF-32-"),
    (_TEXT.encode("utf-16"), "utf-32", "UTF-16-"),  # ("line 1 is not valid utf-32")
])
def test_a_byte_order_mark_that_names_another_encoding_is_refused(tmp_path, data, codec, mark):
    message = _error(tmp_path, "d.csv", data, "--encoding", codec)
    assert f"starts with a {mark}" in message and f"not {codec}" in message and "drop --encoding" in message


def test_a_byte_order_mark_matching_the_encoding_is_read(tmp_path):
    for name, data, codec in (("a.csv", codecs.BOM_UTF8 + _TEXT.encode(), "utf-8-sig"),
                              ("b.csv", _TEXT.encode("utf-16"), "utf-16"),
                              ("c.csv", codecs.BOM_UTF16_LE + _TEXT.encode("utf-16-le"), "utf-16-le"),
                              ("d.csv", _TEXT.encode("utf-32"), "utf-32")):
        (tmp_path / name).write_bytes(data)
        frame, _ = read_frame(str(tmp_path / name), encoding=codec)
        assert frame.columns == ["x1", "x2", "y"] and frame.height == 40, (name, frame.columns)


def test_a_utf8_mark_before_text_that_is_not_utf8_says_the_file_mixes_encodings(tmp_path):
    data = codecs.BOM_UTF8 + _TEXT.encode("cp1252")
    message = _error(tmp_path, "d.csv", data, "--encoding", "cp1252")
    assert "starts with a UTF-8 byte-order mark" in message and "line 2 is not valid UTF-8" in message
    assert "mixes encodings" in message


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_a_cp1252_file_read_as_a_wide_encoding_is_named_not_that_encoding(tmp_path, codec):
    # a cp1252 file (no zero bytes, not UTF-8) read with --encoding utf-16: "line 41 is not valid utf-16", or
    # decoded into one line of CJK characters, "a header but no data rows"
    message = _error(tmp_path, "d.csv", _TEXT.encode("cp1252"), "--encoding", codec)
    assert f"is not {codec} text (it holds no zero bytes" in message
    assert "reads as UTF-8" not in message and "pass the file's real --encoding" in message


def test_comment_lines_before_the_header_are_named(tmp_path):
    body = _TEXT.encode()
    message = _error(tmp_path, "c.csv", b"# exported 2026-01-01\n# units: cm\n" + body)
    assert "lines 1-2 start with '#'" in message and "grep -v '^#'" in message
    message = _error(tmp_path, "c1.csv", b"# exported by tool, contact a@b.c\n" + body)
    assert "line 1 starts with '#'" in message
    # a header whose first column's name starts with '#' is a header
    (tmp_path / "h.csv").write_text("#id,x2,y\n" + "".join(f"{i},{i % 5},{'ab'[i % 2]}\n" for i in range(40)))
    frame, _ = read_frame(str(tmp_path / "h.csv"))
    assert frame.columns == ["#id", "x2", "y"] and frame.height == 40


def test_a_full_disk_names_the_output_not_a_temporary_file(tmp_path, monkeypatch):
    import errno

    import polars as pl

    from dvclean.io import atomic_path

    target = tmp_path / "o.csv"
    with pytest.raises(OSError) as caught, atomic_path(target) as tmp:
        with tmp.open("wb") as fh:
            fh.write(b"x")
        raise OSError(errno.ENOSPC, "No space left on device")  # (a write to an open file names no file)
    assert caught.value.filename == str(target) and caught.value.errno == errno.ENOSPC
    assert list(tmp_path.iterdir()) == []

    data = tmp_path / "d.csv"
    data.write_text(_TEXT)

    def full(self, file, *args, **kwargs):  # a writer naming the file it writes: the staged one
        raise OSError(errno.ENOSPC, "No space left on device", str(file))

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    out = tmp_path / "s.parquet"
    r = runner.invoke(app, ["score", str(data), "-y", "y", "-o", str(out)])
    message = " ".join(r.stderr.split())
    assert r.exit_code == 2 and f"cannot write to {out}: No space left on device" in message, r.output
    assert ".stage" not in message and sorted(p.name for p in tmp_path.iterdir()) == ["d.csv"]


def test_a_long_class_label_is_cut_in_summaries_and_kept_whole_in_outputs(tmp_path):
    import json

    import numpy as np

    rng = np.random.default_rng(0)
    long = "L" * 2000 + "end"
    names = ["a", "b", long]
    lines = ["x1,x2,y"]
    for i in range(240):
        c = i % 3
        lines.append(f"{c + rng.normal() * 0.3:.3f},{rng.normal():.3f},{names[(c + 1) % 3] if i % 20 == 7 else names[c]}")
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 0, r.output
    classes = next(line for line in r.stdout.splitlines() if line.startswith("classes:"))
    assert len(classes) < 270 and "…" + "L" * 17 + "end (2,003 characters, #" in classes and "): 80" in classes, classes
    assert max(len(line) for line in r.stdout.splitlines()) < 600  # (4,000 before: the label twice in a row)
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--json", "-q"])
    assert long in json.loads(r.stdout)["classes"]


def _records() -> list[dict]:
    return [{"x1": i * 0.5, "x2": (i * 7) % 5, "y": "ab"[i % 2]} for i in range(30)]


@pytest.mark.parametrize("indent", [None, 2])
def test_one_json_object_holding_a_table_is_named_with_how_to_get_its_records(tmp_path, indent):
    import json
    import shutil
    import subprocess

    recs = _records()
    documents = {
        "wrapped": ({"data": recs, "meta": {"v": 1}}, "that holds 30 records under the key 'data'", "jq '.\"data\"'"),
        "split": ({"columns": ["x1", "x2", "y"], "data": [list(r.values()) for r in recs]}, "in pandas' split layout (columns, data)",
                  "orient='split'"),
        "columns": ({k: [r[k] for r in recs] for k in recs[0]}, "of columns (one list per column)", "pd.read_json("),
        "record": (recs[0], "over several lines" if indent else None, "one object per line"),
    }
    for stem, (document, what, fix) in documents.items():
        path = tmp_path / f"{stem}.json"
        path.write_text(json.dumps(document, indent=indent))
        r = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "o.csv")])
        message = " ".join(r.stderr.split())
        assert r.exit_code == 2, (stem, r.output)
        if what is None:  # (one record on one line is JSON lines of one row: refused for its one class)
            assert "one JSON object" not in message, message
            continue
        assert f"is one JSON object {what}, not a table of records" in message and fix in message, message
    if indent is None and shutil.which("jq"):  # the advice works as written
        cmd = message_of(runner.invoke(app, ["score", str(tmp_path / "wrapped.json"), "-y", "y"]))
        command = cmd.split("e.g. ", 1)[1]
        subprocess.run(command, shell=True, cwd=tmp_path, check=True)
        frame, _ = read_frame(str(tmp_path / "records.json"))
        assert frame.height == 30


def message_of(result) -> str:
    return " ".join(result.stderr.split())


def test_the_decimal_comma_note_says_how_a_dot_is_read():
    # a column of 377.190 and 1.234.567 (dots grouping thousands, no comma anywhere) was noted only as "numbers with
    # a decimal comma (0,5 = one half)"
    import numpy as np
    import polars as pl

    import dvclean

    rng = np.random.default_rng(0)
    amounts = rng.integers(1_000, 5_000_000, 200)
    frame = pl.DataFrame({"amount": [f"{a:,}".replace(",", ".") for a in amounts], "x": rng.normal(size=200),
                          "y": np.where(amounts > 2_500_000, "hi", "lo").tolist()})
    notes = [n for n in dvclean.score(frame, label="y").summary["notes"] if "'amount'" in n]
    assert notes == ["column 'amount': numbers with a decimal comma (0,5 = one half; a dot groups thousands: "
                     "1.234 = 1234), valued as numbers"], notes


@pytest.mark.parametrize("style", ["1,234.50-", "1234.50-", "1.234,50-"])
def test_negative_numbers_with_the_minus_after_them_are_numbers(style):
    # SAP and mainframe reports write -42,696.62 as 42,696.62-: the column was an identifier ("a distinct value in
    # every row"), ignored, and its signal lost
    import numpy as np
    import polars as pl

    import dvclean
    from dvclean.table import FeatureEncoder

    rng = np.random.default_rng(1)
    amounts = np.round(rng.normal(size=300) * 30_000, 2)

    def spell(a: float) -> str:
        text = f"{abs(a):,.2f}" if "," in style else f"{abs(a):.2f}"
        if style.startswith("1.234"):
            text = text.replace(",", "X").replace(".", ",").replace("X", ".")
        return text + ("-" if a < 0 else "")

    frame = pl.DataFrame({"amount": [spell(a) for a in amounts], "x": rng.normal(size=300),
                          "y": np.where(amounts < 0, "debit", "credit").tolist()})
    result = dvclean.score(frame, label="y")
    assert any("'amount': negative numbers written with the minus after them" in n for n in result.summary["notes"])
    assert "amount" not in result.summary["features"]["ignored"]
    assert result.summary["flags"]["mislabeled"] <= 3
    encoder = FeatureEncoder().fit(frame, ["amount"])
    encoded = encoder.transform(frame.head(20))[:, 0]  # (standardized: the order of the amounts)
    assert list(np.argsort(encoded)) == list(np.argsort(amounts[:20]))


def test_a_ragged_row_over_lines_and_a_one_row_class_say_what_is_wrong(tmp_path):
    # a row whose closed quoted field holds a line break was blamed on "a quoted field is probably never closed"
    path = tmp_path / "m.csv"
    path.write_text('a,b,y\n1,"two\nlines",x\n3,"multi\nline",x,extra\n2,"ok",y\n')
    message = _error(tmp_path, "m.csv", path.read_bytes())
    assert "runs over lines 4-5 (a quoted field holds a line break) and has 4 fields" in message
    assert "else fix the row's fields" in message
    rows = "x,y\n" + "".join(f"{i},{'ab'[i % 2]}\n" for i in range(20)) + "7,c\n"
    message = _error(tmp_path, "one.csv", rows.encode())
    assert "1 class with a single row ('c' at row 20); a class needs at least two rows" in message, message


@pytest.mark.parametrize(("m", "n", "k"), [(2, 148, 75), (5, 40, 3), (19, 981, 5), (300, 700, 2), (1, 30, 2)])
def test_auroc_needed_is_the_bar_of_the_deciding_class_by_the_same_test(m, n, k):
    # it was the normal approximation for the largest class: a 19-row class judged best at AUROC 0.567 was "not shown
    # to predict" while "these class sizes need 0.557"; two-row classes "could not pass even at AUROC 1", yet did
    from scipy.stats import mannwhitneyu

    from dvclean.diagnostics import auroc_needed

    level = 0.01 / k
    needed, perfect = auroc_needed(m, n, level)

    def p_at(u: int) -> float:
        counts = np.minimum(n, np.maximum(0, u - n * np.arange(m)))
        return mannwhitneyu(counts - 0.5 + np.arange(m) * 1e-9, np.arange(n, dtype=float), alternative="greater").pvalue

    assert perfect == (p_at(m * n) < level)
    if perfect and min(m, n) <= 8:  # (the exact distribution: the bar is the first U that passes)
        u = round(needed * m * n)
        assert p_at(u) < level <= p_at(u - 1)
    elif perfect:  # (the normal approximation: the bar in closed form, between two U statistics)
        assert p_at(int(np.ceil(needed * m * n))) < level <= p_at(int(np.floor(needed * m * n)))


def test_the_predictability_note_quotes_the_bar_of_the_class_it_judges():
    from dvclean.diagnostics import label_predictability

    rng = np.random.default_rng(3)
    y = rng.choice(5, 1000, p=[0.7, 0.2, 0.05, 0.03, 0.02])
    for _ in range(20):
        p = label_predictability(rng.dirichlet(np.ones(5), 1000), y)
        assert (p["deciding_auroc"] >= p["auroc_needed"]) == p["predictable"] or not p["perfect_ranking_passes"], p
    pairs = np.repeat(np.arange(75), 2)
    perfect = label_predictability(np.eye(75)[pairs], pairs)
    assert perfect["predictable"] and perfect["perfect_ranking_passes"] and perfect["auroc_needed"] == 1.0


def test_class_labels_one_of_them_zero_padded_get_the_same_number_note():
    import polars as pl

    from dvclean.diagnostics import label_spelling_notes

    notes = label_spelling_notes(pl.Series("y", ["01", "1", "2", "3", "1"]))
    assert notes == ["label column 'y': classes '01' and '1' spell the same number, one with leading zeros, and are "
                     "treated as different classes (a class label is read as written; a code such as 007 may be "
                     "meant so); if they are one class, write it one way"]
    assert label_spelling_notes(pl.Series("y", ["01", "02", "10"])) == []  # (codes of one width: no two alike)


def test_relabel_writes_a_class_as_most_json_records_write_it(tmp_path):
    # NDJSON of integer labels with one record writing "0" (read as one text column): relabelled rows got "0"
    import json

    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    labels: list = [int(v) for v in y]
    labels[0] = "0"
    for i in (3, 4, 5):
        labels[i] = 1  # wrong: these are class 0 rows
    src = tmp_path / "d.ndjson"
    src.write_text("".join(json.dumps({"a": r[0], "b": r[1], "c": r[2], "d": r[3], "y": v}) + "\n"
                           for r, v in zip(x.tolist(), labels, strict=True)))
    before = src.read_bytes()
    out = tmp_path / "f.ndjson"
    r = runner.invoke(app, ["fix", str(src), "-y", "y", "--action", "relabel", "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [rows[i]["y"] for i in (3, 4, 5)] == [0, 0, 0]  # (the class's spelling in 49 records of 50)
    assert rows[0]["y"] == "0" and src.read_bytes() == before  # (a row not relabelled keeps its own)


def test_reordering_the_validation_file_changes_no_value_in_any_bit(tmp_path):
    # the --valid rows' terms were summed in file order: reversing it moved 333 of 400 KNN-Shapley values by ~1e-17
    import polars as pl

    rng = np.random.default_rng(5)
    x = rng.normal(size=(320, 3)).round(1)  # (coarse values: many distance ties)
    y = np.where(x[:, 0] + x[:, 1] + rng.normal(scale=0.8, size=320) > 0, "a", "b")
    frame = pl.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "y": y.tolist()})
    frame.head(200).write_csv(tmp_path / "d.csv")
    frame.slice(200).write_csv(tmp_path / "v.csv")
    frame.slice(200).reverse().write_csv(tmp_path / "r.csv")
    outs = []
    for valid in ("v.csv", "r.csv"):
        out = tmp_path / f"s_{valid}"
        r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-m", "knn", "--valid",
                                str(tmp_path / valid), "-o", str(out), "-q"])
        assert r.exit_code == 0, r.output
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
