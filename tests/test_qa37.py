"""QA round 37: a gate's output says which configuration file set the thresholds it applied (the nearest file wins,
so a dvclean.toml added beside the data silently replaced the repository's gate)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from dvclean.cli import app

from .test_check import FLIPS, clusters, write_csv
from .test_qa36_check import flat

runner = CliRunner()
PREFIX = "thresholds from a configuration file: "


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A data file under a pyproject.toml that sets the label and two thresholds."""
    (tmp_path / "data").mkdir()
    data = write_csv(clusters(flips=FLIPS), tmp_path / "data" / "d.csv")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.dvclean]\nlabel = "y"\n[tool.dvclean.check]\nmax-mislabeled = "20%"\nwarn-hard = 30\n'
    )
    monkeypatch.chdir(tmp_path)
    return data


def _origin(doc: dict) -> str | None:
    return next((n.removeprefix(PREFIX) for n in doc["notes"] if n.startswith(PREFIX)), None)


def test_json_names_the_file_and_table_each_threshold_came_from(repo, tmp_path):
    r = runner.invoke(app, ["check", str(repo), "--json"])
    assert r.exit_code == 0, r.output
    origin = _origin(json.loads(r.stdout))
    assert origin == f"max-mislabeled = '20%', warn-hard = 30 ({tmp_path / 'pyproject.toml'} [tool.dvclean.check])"


def test_a_nearer_file_is_named_beside_the_repository_one(repo, tmp_path):
    (tmp_path / "data" / "dvclean.toml").write_text("[check]\nmax-hard = 5\n")
    r = runner.invoke(app, ["check", str(repo), "--format", "text"])
    assert r.exit_code == 1, r.output  # (max-hard 5 fails: the file beside the data is applied)
    said = flat(r.stderr)
    assert f"note: {PREFIX}" in said
    assert f"max-hard = 5 ({tmp_path / 'data' / 'dvclean.toml'} [check])" in said


def test_thresholds_typed_on_the_command_line_are_not_attributed_to_the_file(repo, tmp_path):
    r = runner.invoke(app, ["check", str(repo), "--json", "--max-mislabeled", "50%"])
    assert r.exit_code == 0, r.output
    origin = _origin(json.loads(r.stdout))
    assert origin is not None and "max-mislabeled" not in origin and "warn-hard = 30" in origin
    r = runner.invoke(app, ["check", str(repo), "--json", "--max-mislabeled", "50%", "--warn-hard", "90%"])
    assert _origin(json.loads(r.stdout)) is None  # every threshold typed: nothing from the file, no note


def test_no_note_without_configured_thresholds(tmp_path, monkeypatch):
    data = write_csv(clusters(flips=FLIPS), tmp_path / "d.csv")
    (tmp_path / "dvclean.toml").write_text('label = "y"\n')  # a configuration file, but no threshold in it
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["check", str(data), "--json", "--max-mislabeled", "50%"])
    assert r.exit_code == 0, r.output
    assert _origin(json.loads(r.stdout)) is None


def test_new_row_thresholds_ignored_by_no_baseline_are_not_listed_as_applied(repo, tmp_path):
    with (tmp_path / "pyproject.toml").open("a") as fh:
        fh.write('baseline = "main.json"\nmax-new-mislabeled = 3\n')
    r = runner.invoke(app, ["check", str(repo), "--json", "--no-baseline"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    origin = _origin(doc)
    assert origin is not None and "max-new-mislabeled" not in origin and "max-mislabeled = '20%'" in origin
    assert any(n.startswith("--no-baseline: ignored") and "max-new-mislabeled = 3" in n for n in doc["notes"])


# --- numbers whose dots may group thousands (51.659 from a German spreadsheet) --------------------------------------


def _dotted_file(path, *, sep: str, amounts: list[str]) -> None:
    rows = [f"Umsatz{sep}Region{sep}Klasse"]
    for i, a in enumerate(amounts):
        rows.append(f"{a}{sep}{'Nord' if i % 3 else 'Süd'}{sep}{'Ja' if i % 2 else 'Nein'}")
    path.write_text("\r\n".join(rows) + "\r\n", encoding="utf-8")


GERMAN = ["51.659", "70", "68.013", "53", "40.755", "647", "12.000", "999", "1.234", "88"] * 4


def test_dots_that_may_group_thousands_are_named_in_a_note(tmp_path):
    import dvclean

    _dotted_file(tmp_path / "de.csv", sep=";", amounts=GERMAN)
    result = dvclean.score(tmp_path / "de.csv", label="Klasse")
    note = next(n for n in result.summary["notes"] if n.startswith("column 'Umsatz'"))
    assert "(51.659)" in note and "51659" in note and "without a thousands separator" in note
    from dvclean.io import read_frame

    frame, info = read_frame(tmp_path / "de.csv")
    assert frame.get_column("Umsatz").dtype.is_float()  # (still read as the reader reads it: the note warns)
    assert info.dotted_thousands == (("Umsatz", "51.659"),)


@pytest.mark.parametrize("sep, amounts", [
    (",", ["1.250", "2.500", "0.125", "3.750"] * 5),  # three decimals written throughout, no plain integers
    (",", ["12.50", "70", "8.25", "1.5"] * 5),  # prices: two decimals
    (";", ["0.125", "70", "0.500", "0.250"] * 5),  # a leading zero: a decimal, not a group of thousands
    (";", ["51.6595", "70", "68.01", "53.2"] * 5),  # other than three digits after the dot
])
def test_decimal_columns_get_no_thousands_note(tmp_path, sep, amounts):
    from dvclean.io import read_frame

    _dotted_file(tmp_path / "d.csv", sep=sep, amounts=amounts)
    _, info = read_frame(tmp_path / "d.csv")
    assert info.dotted_thousands == ()


def test_three_decimals_among_integers_in_a_comma_file_are_named_too(tmp_path):
    from dvclean.io import read_frame

    _dotted_file(tmp_path / "d.csv", sep=",", amounts=GERMAN)
    _, info = read_frame(tmp_path / "d.csv")
    assert info.dotted_thousands == (("Umsatz", "51.659"),)


# --- --encoding cp1252 on a UTF-8 file ------------------------------------------------------------------------------


@pytest.mark.parametrize("written, warned", [("utf-8", True), ("cp1252", False)])
def test_a_single_byte_encoding_asked_for_a_utf8_file_is_warned_about(tmp_path, written, warned):
    rows = ["Stadt,x,y"] + [f"{'Zürich' if i % 2 else 'Straße'},{i},{'ja' if i % 3 else 'nein'}" for i in range(40)]
    (tmp_path / "d.csv").write_bytes(("\n".join(rows) + "\n").encode(written))
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "--encoding", "cp1252", "-o",
                            str(tmp_path / "s.csv")])
    assert r.exit_code == 0, r.output
    said = flat(r.stderr)
    assert ("is UTF-8 text (line 2 writes 'Straße'), read as cp1252 as --encoding asks: 'StraÃŸe'" in said) is warned
    assert ("drop --encoding" in said) is warned


# --- the HTML report for a reader with a screen reader or a colour deficiency ------------------------------------


def test_report_headers_have_scope_and_the_projection_is_told_by_shape():
    import re

    import dvclean
    from dvclean.report import build_report, render_html
    from dvclean.report._render import _FLAG_MARKERS

    html = render_html(build_report(dvclean.score(clusters(flips=FLIPS), label="y", id_column="uid")))
    headers = re.findall(r"<th\b[^>]*>", html)
    assert headers and all('scope="row"' in h or 'scope="col"' in h for h in headers)
    alt = re.search(r'id="chart-projection" alt="([^"]*)"', html)
    assert alt is not None and "mislabeled rows as red crosses" in alt.group(1) and "triangles" in alt.group(1)
    assert len(set(_FLAG_MARKERS.values())) == 3  # (hard and mislabeled differ in shape, not only in colour)


def test_report_says_which_class_names_its_charts_draw_as_boxes():
    import polars as pl

    import dvclean
    from dvclean.report import build_report, render_html

    frame = clusters(flips=FLIPS).with_columns(pl.col("y").replace({"a": "東京", "b": "Zürich"}))
    html = render_html(build_report(dvclean.score(frame, label="y", id_column="uid")))
    assert 'id="boxed-names"' in html and "(東京)" in html and "Zürich)" not in html
    plain = render_html(build_report(dvclean.score(clusters(flips=FLIPS), label="y", id_column="uid")))
    assert 'id="boxed-names"' not in plain


# --- one table in three number spellings is valued alike ---------------------------------------------------------


def test_numbers_spelled_in_another_locale_give_the_same_flags(tmp_path):
    import numpy as np

    import dvclean

    rng = np.random.default_rng(3)
    n = 300
    income = rng.normal(50_000, 18_000, n).round(2)
    age = rng.integers(18, 80, n)
    y = np.where(income + rng.normal(0, 15_000, n) > 50_000, "Ja", "Nein")
    flip = rng.choice(n, 30, replace=False)
    y[flip] = np.where(y[flip] == "Ja", "Nein", "Ja")

    def german(v: float) -> str:
        whole, frac = f"{v:.2f}".split(".")
        sign = "-" if whole.startswith("-") else ""
        return sign + f"{int(whole.lstrip('-')):,}".replace(",", ".") + "," + frac

    spellings = {
        "plain.csv": ("Alter,Einkommen,Klasse", lambda i: f"{age[i]},{income[i]:.2f},{y[i]}"),
        "de.csv": ("Alter;Einkommen;Klasse", lambda i: f"{age[i]};{german(income[i])};{y[i]}"),
        "us.csv": ("Alter,Einkommen,Klasse", lambda i: f'{age[i]},"{income[i]:,.2f}",{y[i]}'),
    }
    flags = {}
    for name, (header, row) in spellings.items():
        (tmp_path / name).write_text("\n".join([header, *(row(i) for i in range(n))]) + "\n")
        result = dvclean.score(tmp_path / name, label="Klasse")
        flags[name] = result.frame.get_column("is_mislabeled").to_list()
        values = result.frame.get_column("value").to_numpy()
        if name == "plain.csv":
            reference = values
        else:
            assert np.allclose(values, reference, rtol=0, atol=1e-12), name
    assert sum(flags["plain.csv"]) > 0
    assert flags["de.csv"] == flags["plain.csv"] and flags["us.csv"] == flags["plain.csv"]


def test_a_label_typed_composed_finds_a_header_written_decomposed(tmp_path):
    import unicodedata

    import dvclean

    header = unicodedata.normalize("NFD", "Größe")
    assert header != "Größe"
    frame = clusters(flips=FLIPS).rename({"y": header})
    frame.write_csv(tmp_path / "d.csv")
    result = dvclean.score(tmp_path / "d.csv", label="Größe", id_column="uid")
    assert result.table.label == header  # (the file's own spelling, as every output writes it)
    assert int(result.frame.get_column("is_mislabeled").sum()) > 0


@pytest.mark.parametrize("end", [b"\x1a", b"\r\n\x1a", b"\n\x1a\r\n"])
def test_a_trailing_ctrl_z_is_named(tmp_path, end):
    rows = ["a,b,y"] + [f"{i},{i % 7},{'p' if i % 2 else 'q'}" for i in range(30)]
    body = "\r\n".join(rows).encode() + (b"" if end.startswith((b"\r", b"\n")) else b"\r\n") + end
    (tmp_path / "d.csv").write_bytes(body)
    r = runner.invoke(app, ["score", str(tmp_path / "d.csv"), "-y", "y", "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 2, r.output
    assert "ends in a Ctrl-Z character" in flat(r.stderr) and "tr -d" in r.stderr
    assert not (tmp_path / "s.csv").exists()
