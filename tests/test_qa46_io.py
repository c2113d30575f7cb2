"""QA round 46 (reading a European spreadsheet's export, the report's labels, the notes' advice): a decimal-comma
file's dotted integers (1.065) are thousands, not decimals; a wrong --separator is named as such, not as a title line
above the header; the HTML report quotes labels with spaces at their ends in every table; the note on a numeric
column's stray cells suggests --null-values with the default list repeated."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def flat(text: str) -> str:
    return " ".join(text.split())


def _eu(x: float, places: int = 2) -> str:
    """``x`` as a German spreadsheet writes it: ``1.234,56``."""
    return f"{x:,.{places}f}".replace(",", "X").replace(".", ",").replace("X", ".")


def _wine(path, *, rows: int = 90, extra: str | None = None) -> list[int]:
    """A ``;``-separated export with a decimal comma (``alcohol``: ``14,23``) and an integer column with a dot
    between thousands (``proline``: ``1.065``, ``735``); ``extra``, a column written as it is. The prolines."""
    rng = np.random.default_rng(5)
    y = np.arange(rows) % 3
    proline = [int(v) for v in rng.integers(300, 1700, rows) + y * 150]
    lines = ["Nr;alcohol;proline" + (";extra" if extra else "") + ";Klasse"]
    for i in range(rows):
        cells = [str(i), _eu(12 + y[i] + rng.normal(0, 0.4)), _eu(proline[i], 0)]
        if extra:
            cells.append(extra)
        given = (y[i] + 1) % 3 if i % 15 == 7 else y[i]  # (a few wrong labels, for fix to act on)
        lines.append(";".join([*cells, f"Klasse {'ABC'[given]}"]))
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    return proline


# --- 1. a decimal-comma file's dotted integers are thousands ------------------------------------------------------


def test_dotted_integers_in_a_decimal_comma_file_are_read_as_thousands(tmp_path):
    import dvclean
    from dvclean.io import read_frame

    proline = _wine(tmp_path / "w.csv")
    assert any(v >= 1000 for v in proline) and any(v < 1000 for v in proline)
    frame, info = read_frame(tmp_path / "w.csv")
    assert frame.schema["proline"] == pl.Int64 and frame.get_column("proline").to_list() == proline  # (not 1.065)
    assert info.thousands_dots[0][0::2] == ("proline", "alcohol") and info.dotted_thousands == ()
    result = dvclean.score(tmp_path / "w.csv", label="Klasse")
    note = next(n for n in result.summary["notes"] if n.startswith("column 'proline'"))
    cell = info.thousands_dots[0][1]
    assert f"read as thousands groups ({cell} = {cell.replace('.', '')})" in note and "column 'alcohol'" in note


@pytest.mark.parametrize("extra", [
    "0.5",  # a decimal point in another column: the file mixes the marks, nothing is read again
    "12.5",
])
def test_a_file_that_also_writes_decimal_points_is_left_as_read(tmp_path, extra):
    from dvclean.io import read_frame

    _wine(tmp_path / "w.csv", extra=extra)
    frame, info = read_frame(tmp_path / "w.csv")
    assert frame.schema["proline"] == pl.Float64 and info.thousands_dots == ()
    assert info.dotted_thousands and info.dotted_thousands[0][0] == "proline"  # (the note that warns stays)


def test_a_column_whose_dots_are_not_all_thousands_stays_as_read(tmp_path):
    from dvclean.io import read_frame

    _wine(tmp_path / "w.csv")
    text = (tmp_path / "w.csv").read_text().splitlines()
    first = text[1].split(";")
    first[2] = "1.5"  # (one dot that cannot group thousands)
    text[1] = ";".join(first)
    (tmp_path / "w.csv").write_text("\n".join(text) + "\n")
    frame, info = read_frame(tmp_path / "w.csv")
    assert frame.schema["proline"] == pl.Float64 and info.thousands_dots == ()


@pytest.mark.parametrize("action", ["drop", "mark", "relabel"])
def test_fix_writes_the_dotted_cells_back_as_they_were(tmp_path, action):
    src = tmp_path / "w.csv"
    _wine(src)
    out = tmp_path / "out.csv"
    r = runner.invoke(app, ["fix", str(src), "-y", "Klasse", "--action", action, "-q", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes() != src.read_bytes()  # (rows flagged: fix acted)
    before = src.read_bytes().split(b"\r\n")
    after = out.read_bytes().split(b"\r\n")
    if action == "drop":
        assert set(after) <= set(before)
    else:
        assert len(after) == len(before)
        for a, b in zip(before, after, strict=True):
            # every cell but the label (relabel) or the mark column (mark) as the input writes it
            assert a.split(b";")[:3] == b.split(b";")[:3]
    r = runner.invoke(app, ["fix", str(src), "-y", "Klasse", "--action", action, "-q", "-o", str(tmp_path / "o.parquet")])
    assert r.exit_code == 0, r.output
    assert pl.read_parquet(tmp_path / "o.parquet").schema["proline"] == pl.Int64


# --- 2. a wrong --separator --------------------------------------------------------------------------------------


def test_a_wrong_separator_is_named_not_taken_for_a_title_line(tmp_path):
    _wine(tmp_path / "w.csv")
    r = runner.invoke(app, ["score", str(tmp_path / "w.csv"), "-y", "Klasse", "--separator", ",", "-o",
                            str(tmp_path / "s.csv")])
    assert r.exit_code != 0
    said = flat(r.output)
    assert "title above the header" not in said and "tail -n +2" not in said
    assert "--separator ',' does not fit this file" in said and "pass --separator ';'" in said


def test_a_title_line_without_separator_is_still_named_so(tmp_path):
    from dvclean.errors import InputError
    from dvclean.io import read_frame

    (tmp_path / "t.csv").write_text("Monthly sales report\na,b,c\n1,2,x\n3,4,y\n5,6,x\n")
    with pytest.raises(InputError, match="looks like a title above the header"):
        read_frame(tmp_path / "t.csv")


# --- 3. the HTML report quotes labels with spaces at their ends ---------------------------------------------------


def test_the_rows_table_quotes_a_label_with_spaces_at_its_ends():
    import re

    import dvclean
    from dvclean.report import build_report, render_html

    rng = np.random.default_rng(0)
    n = 120
    x = rng.normal(0, 1, n)
    y = np.where(x > 0, "yes", "no").astype(object)
    y[::7] = " no"  # (a class spelled with a leading space, as a spreadsheet cell may hold it)
    frame = pl.DataFrame({"x": x, "z": rng.normal(0, 1, n), "y": list(y)})
    report = build_report(dvclean.score(frame, label="y"))
    html = render_html(report)
    rows = html[html.index('id="rows"'):]
    rows = rows[:rows.index("</section>")]
    cells = re.findall(r"<td>([^<]*)</td>", rows)
    assert "&#39; no&#39;" in cells and " no" not in cells
    assert report.top_label_columns and all(report.top_columns[i] in ("label", "neighbor_label", "y")
                                            for i in report.top_label_columns)
    assert any(row[report.top_label_columns[0]] == " no" for row in report.top_rows)  # (the data stays as it is)


def test_the_augment_class_mix_quotes_such_labels_too():
    from dvclean.report._render import _mix

    assert _mix({" no": 3, "no": 4}) == "' no': 3, no: 4"


# --- 4. the note on a numeric column's stray cells ----------------------------------------------------------------


def test_stray_cells_note_suggests_null_values_with_the_default_list(tmp_path):
    import dvclean
    from dvclean.io import _DEFAULT_NULLS

    rng = np.random.default_rng(1)
    n = 200
    x = rng.normal(0, 1, n)
    cells = [f"{v:.3f}" if i % 25 else "-" for i, v in enumerate(x)]
    pl.DataFrame({"m": cells, "z": rng.normal(0, 1, n), "y": np.where(x > 0, "a", "b")}).write_csv(tmp_path / "d.csv")
    notes = dvclean.score(tmp_path / "d.csv", label="y").summary["notes"]
    note = next(n for n in notes if n.startswith("column 'm' holds numbers except 8 of 200 cells"))
    listed = ",".join(["-", *(v for v in _DEFAULT_NULLS if v)])
    assert f"--null-values '{listed}'" in note
    # the value suggested reads those cells as missing, and the note goes
    again = dvclean.score(tmp_path / "d.csv", label="y", read_options={"null_values": listed.split(",")})
    assert not any(n.startswith("column 'm' holds numbers except") for n in again.summary["notes"])
