"""A feature of numbers with placeholder text is named in a note; a ZIP archive or workbook is refused plainly."""

from __future__ import annotations

import json
import shlex
import zipfile

import numpy as np
import polars as pl
from typer.testing import CliRunner

import dvclean
from dvclean.cli import app

runner = CliRunner()


def _placeholder_frame() -> pl.DataFrame:
    rng = np.random.default_rng(0)
    m = rng.integers(1, 1001, 400)
    y = np.where(m > 500, "hi", "lo")
    cells = m.astype(str).astype(object)
    idx = rng.choice(400, 60, replace=False)
    cells[idx] = np.array(["unknown", "n/a", "missing", "tbd"])[np.arange(60) % 4]
    return pl.DataFrame({"noise": rng.normal(size=400), "m": cells.tolist(), "y": y.tolist()})


def _notes(result) -> list[str]:
    return list(result.summary["notes"])


def test_placeholder_numbers_note_in_api_and_cli(tmp_path):
    frame = _placeholder_frame()
    notes = [n for n in _notes(dvclean.score(frame, label="y")) if "'m'" in n]
    assert len(notes) == 1, notes
    note = notes[0]
    assert "85%" in note and "'missing', 'n/a', 'tbd', 'unknown'" in note
    advice = "--null-values 'missing,n/a,tbd,unknown,NA,N/A,NaN,nan,null,NULL,None,?'"
    # (a frame is read already: no reading option applies to it, session 51; a CSV's note gives the option)
    assert "write them as null (missing) values" in note and "category" in note
    path = tmp_path / "f.csv"
    frame.write_csv(path)
    out = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "out.parquet"), "--json"])
    assert out.exit_code == 0, out.output
    assert any(advice in n for n in json.loads(out.stdout)["notes"])
    # the advice works: the column is read as numbers, and the labels it decides are predicted again
    again = runner.invoke(app, ["score", str(path), "-y", "y", "-o", str(tmp_path / "out2.parquet"), "--json",
                                *shlex.split(advice)])
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert not [n for n in summary["notes"] if "'m'" in n and "category" in n]
    assert summary["flags"]["label_predictability"]["predictable"]


def test_no_note_for_ordinary_categories():
    rng = np.random.default_rng(1)
    codes = [f"{c}{d}" for c, d in zip(rng.choice(list("ABCD"), 300), rng.integers(1, 9, 300), strict=True)]
    zips = [str(z) if i % 3 == 0 else t for i, (z, t) in enumerate(zip(rng.integers(10000, 99999, 300),
                                                                         rng.choice(["north", "south", "east"], 300), strict=True))]
    frame = pl.DataFrame({"code": codes, "zip": zips, "x": rng.normal(size=300),
                          "y": rng.choice(["a", "b"], 300).tolist()})
    notes = _notes(dvclean.score(frame, label="y"))
    assert not [n for n in notes if "--null-values" in n], notes


def _refused(tmp_path, path, *extra):
    out = runner.invoke(app, ["score", str(path), "-y", "y", *extra, "-o", str(tmp_path / "o.parquet")])
    assert out.exit_code == 2, out.output
    assert "Traceback" not in out.output
    return " ".join(out.output.split())


def test_zip_archive_is_named(tmp_path):
    (tmp_path / "p.csv").write_text("a,y\n1,x\n2,z\n")
    archive = tmp_path / "plain.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(tmp_path / "p.csv", "p.csv")
    for extra in ((), ("--input-format", "csv")):
        text = _refused(tmp_path, archive, *extra)
        assert "is a ZIP archive" in text and "unzip" in text
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    assert "is a ZIP archive" in _refused(tmp_path, empty, "--input-format", "csv")
    out = runner.invoke(app, ["score", "-", "-y", "y", "--input-format", "csv", "-o", str(tmp_path / "o.parquet")],
                        input=archive.read_bytes())
    assert out.exit_code == 2 and "is a ZIP archive" in " ".join(out.output.split()), out.output


def test_workbook_is_named(tmp_path):
    book = tmp_path / "data.bin"
    with zipfile.ZipFile(book, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    text = _refused(tmp_path, book, "--input-format", "csv")
    assert "spreadsheet" in text and "save the sheet as CSV" in text
    named = tmp_path / "data.xlsx"
    named.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty archive: the name alone says workbook
    text = _refused(tmp_path, named, "--input-format", "csv")
    assert "spreadsheet" in text and "save the sheet as CSV" in text
