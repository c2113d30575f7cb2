"""`dvclean check`: thresholds, exit codes, baseline, JSON schema, GitHub/JUnit/Markdown output."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import dvclean
from dvclean.check import (
    CheckPolicy,
    conflicting_duplicate_rows,
    csv_line_numbers,
    evaluate_check,
    load_baseline,
    parse_threshold,
    row_hashes,
)
from dvclean.cli import app
from dvclean.errors import ConfigError, InputError
from dvclean.report import formats

runner = CliRunner()


def clusters(n_per_class: int = 60, flips: tuple[int, ...] = (), seed: int = 0, labels: tuple[str, str] = ("a", "b")) -> pl.DataFrame:
    """Two well-separated Gaussian blobs; rows in ``flips`` get the other label."""
    rng = np.random.default_rng(seed)
    n = 2 * n_per_class
    cls = np.repeat([0, 1], n_per_class)
    x = rng.normal(0, 1, (n, 2)) + cls[:, None] * 12.0
    y = cls.copy()
    y[list(flips)] = 1 - y[list(flips)]
    return pl.DataFrame({"uid": [f"u{i:03d}" for i in range(n)], "f1": x[:, 0].round(6), "f2": x[:, 1].round(6),
                         "y": [labels[v] for v in y]})


def write_csv(df: pl.DataFrame, path: Path) -> Path:
    df.write_csv(path)
    return path


FLIPS = (3, 17, 44, 71, 95, 110)


@pytest.fixture(scope="module")
def scored():
    df = clusters(flips=FLIPS)
    return dvclean.score(df, label="y", id_column="uid")


def test_parse_threshold_counts_and_percents():
    assert parse_threshold("2%", "x").value == pytest.approx(0.02)
    assert parse_threshold("2.5 %", "x").kind == "fraction"
    assert parse_threshold(20, "x").value == 20 and parse_threshold("0", "x").kind == "count"
    assert parse_threshold(None, "x") is None
    for bad in ("abc", "-1", "101%", "2.5", True, ""):
        with pytest.raises(ConfigError):
            parse_threshold(bad, "max-mislabeled")


def test_threshold_semantics_is_strictly_greater(scored):
    n_mis = int(scored.frame.get_column("is_mislabeled").sum())
    assert n_mis == len(FLIPS)
    at = evaluate_check(scored, CheckPolicy(max_mislabeled=n_mis))
    over = evaluate_check(scored, CheckPolicy(max_mislabeled=n_mis - 1))
    assert at.status == "pass" and over.status == "fail"
    pct = 100 * n_mis / scored.frame.height
    assert evaluate_check(scored, CheckPolicy(max_mislabeled=f"{pct + 0.1:.2f}%")).status == "pass"
    warn = evaluate_check(scored, CheckPolicy(max_mislabeled="50%", warn_mislabeled=1))
    assert warn.status == "warn" and warn.exit_code() == 0
    assert over.exit_code() == 1 and over.exit_code(exit_zero=True) == 0
    line = over.checks[0].line()
    assert re.match(r"^FAIL mislabeled 6 \(5\.00%\) max 5 rows$", line), line


def test_per_class_checks_use_the_class_size(scored):
    out = evaluate_check(scored, CheckPolicy(max_mislabeled_per_class="4%"))
    by_name = {c.name: c for c in out.checks}
    assert set(by_name) == {"mislabeled[class=a]", "mislabeled[class=b]"}
    # flips 3, 17, 44 start in class a and become b; 71, 95, 110 become a
    assert by_name["mislabeled[class=b]"].count == 3 and by_name["mislabeled[class=b]"].total == 60
    assert by_name["mislabeled[class=b]"].status == "fail"  # 5% > 4%
    assert out.per_class == {"a": {"rows": 60, "mislabeled": 3, "hard": out.per_class["a"]["hard"]},
                             "b": {"rows": 60, "mislabeled": 3, "hard": out.per_class["b"]["hard"]}}


def test_conflicting_duplicates():
    df = pl.DataFrame({"f": [1.0, 1.0, 2.0, 2.0, 3.0, 1.0], "g": ["x", "x", "y", "y", "z", "x"], "y": [0, 1, 0, 0, 1, 0]})
    assert conflicting_duplicate_rows(df, ["f", "g"], "y").tolist() == [0, 1, 5]
    base = clusters(n_per_class=30)
    dup = pl.concat([base, base[5:6].with_columns(pl.lit("b").alias("y"), pl.lit("dup").alias("uid"))])
    r = dvclean.score(dup, label="y", id_column="uid")
    out = evaluate_check(r, CheckPolicy(max_conflicting_duplicates=0))
    assert out.conflicting_duplicates == 2 and out.status == "fail"


def test_row_hashes_ignore_order_and_id_but_see_changes():
    df = clusters(n_per_class=5)
    h = row_hashes(df, range(df.height), exclude=["uid"])
    shuffled = df.sample(fraction=1.0, shuffle=True, seed=1).select(["y", "f2", "uid", "f1"])
    h2 = row_hashes(shuffled, range(df.height), exclude=["uid"])
    assert sorted(h) == sorted(h2) and len(set(h)) == df.height
    changed = df.with_columns(pl.when(pl.int_range(pl.len()) == 2).then(pl.lit("b")).otherwise(pl.col("y")).alias("y"))
    assert row_hashes(changed, [2], exclude=["uid"]) != [h[2]]
    ints = pl.DataFrame({"a": [1, 2], "y": ["p", "q"]})
    assert row_hashes(ints, [0, 1]) == row_hashes(ints.with_columns(pl.col("a").cast(pl.Float64)), [0, 1])


def test_csv_line_numbers_count_quoted_newlines(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text('a,b\n1,"x\ny"\n\n2,z\n3,"p\n\nq"\n4,w\n', encoding="utf-8")
    assert csv_line_numbers(p, [0, 1, 2, 3, 4]) == {0: 2, 1: 4, 2: 5, 3: 6, 4: 9}
    assert pl.read_csv(p).height == 5  # polars reads the blank line as a row of nulls


# ------------------------------------------------------------------ CLI and exit codes


def test_exit_0_pass_1_fail_and_exit_zero(tmp_path):
    src = write_csv(clusters(flips=FLIPS), tmp_path / "d.csv")
    ok = runner.invoke(app, ["check", str(src), "-y", "y", "--id", "uid", "--max-mislabeled", "10%", "--format", "text"])
    assert ok.exit_code == 0, ok.output
    assert "PASS mislabeled 6 (5.00%) max 10% (12 of 120)" in ok.stdout
    bad = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "2%", "--warn-hard", "1", "--format", "text"])
    assert bad.exit_code == 1, bad.output
    assert "FAIL mislabeled 6 (5.00%) max 2% (2 of 120)" in bad.stdout
    assert re.search(r"^WARN hard \d+ ", bad.stdout, re.M)
    zero = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "2%", "--exit-zero", "--format", "text"])
    assert zero.exit_code == 0 and "FAIL mislabeled" in zero.stdout


def test_exit_2_usage_and_input_errors(tmp_path):
    src = write_csv(clusters(), tmp_path / "d.csv")
    cases = [
        (["check", str(tmp_path / "missing.csv"), "-y", "y"], "no such file"),
        (["check", str(src), "-y", "y", "--max-mislabeled", "lots"], "--max-mislabeled"),
        (["check", str(src), "-y", "y", "--max-new-mislabeled", "3"], "--baseline"),
        (["check", str(src), "-y", "y", "--baseline", str(tmp_path / "nope.json")], "no such file"),
        (["check", str(src), "-y", "nope"], "nope"),
    ]
    for args, needle in cases:
        res = runner.invoke(app, args)
        assert res.exit_code == 2, (args, res.output)
        assert needle in res.stderr and "Traceback" not in res.output
        assert len(res.stderr.strip().splitlines()) <= 2


def test_exit_3_internal_error_never_1(tmp_path, monkeypatch):
    src = write_csv(clusters(), tmp_path / "d.csv")

    def boom(*a, **k):
        raise RuntimeError("injected")

    monkeypatch.setattr("dvclean.check.evaluate_check", boom)
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "1"])
    assert res.exit_code == 3, res.output
    assert "internal error" in res.stderr and "injected" in res.stderr


def test_json_validates_against_the_shipped_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is a dev dependency")
    schema = json.loads(resources.files("dvclean").joinpath("schemas/check.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    src = write_csv(clusters(flips=FLIPS), tmp_path / "d.csv")
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "1%", "--max-hard", "50%",
                              "--max-mislabeled-per-class", "10%", "--max-conflicting-duplicates", "0", "--json"])
    assert res.exit_code == 1 and res.stderr == ""
    doc = json.loads(res.stdout)
    jsonschema.validate(doc, schema)
    assert doc["schema_version"] == 1 and doc["status"] == "fail" and doc["counts"]["fail"] >= 1
    assert {c["name"] for c in doc["checks"]} >= {"mislabeled", "hard", "conflicting_duplicates"}
    assert doc["flagged"]["key"] == "hash" and len(doc["flagged"]["mislabeled"]) == 6
    assert {r["line"] for r in doc["most_suspicious"][:6]} == {i + 2 for i in FLIPS}
    # a document with a baseline validates too
    base = tmp_path / "base.json"
    base.write_text(res.stdout, encoding="utf-8")
    res2 = runner.invoke(app, ["check", str(src), "-y", "y", "--baseline", str(base), "--max-new-mislabeled", "0", "--json"])
    assert res2.exit_code == 0, res2.output
    doc2 = json.loads(res2.stdout)
    jsonschema.validate(doc2, schema)
    assert doc2["baseline"]["new_mislabeled"] == 0
    # a broken document fails validation (the schema is not vacuous)
    broken = dict(doc, status="maybe")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


# ------------------------------------------------------------------ baseline


@pytest.mark.parametrize("by", ["id", "hash"])
def test_baseline_flags_exactly_the_changed_rows(tmp_path, by):
    v1 = clusters(flips=(3, 71))
    changed = (12, 33, 90, 101)
    y2 = v1.get_column("y").to_list()
    for i in changed:
        y2[i] = "b" if y2[i] == "a" else "a"
    v2 = v1.with_columns(pl.Series("y", y2))
    if by == "hash":  # new version: rows reordered and one clean row appended; no id column
        extra = clusters(n_per_class=1, seed=9)[0:1].with_columns(pl.lit("u999").alias("uid"))
        v2 = pl.concat([v2, extra]).sample(fraction=1.0, shuffle=True, seed=3).drop("uid")
        v1 = v1.drop("uid")
    id_args = ["--id", "uid"] if by == "id" else []
    p1, p2 = write_csv(v1, tmp_path / "v1.csv"), write_csv(v2, tmp_path / "v2.csv")
    r1 = runner.invoke(app, ["check", str(p1), "-y", "y", *id_args, "--json"])
    assert r1.exit_code == 0, r1.output
    base = tmp_path / "baseline.json"
    base.write_text(r1.stdout, encoding="utf-8")
    assert load_baseline(base).key == by
    r2 = runner.invoke(app, ["check", str(p2), "-y", "y", *id_args, "--baseline", str(base),
                             "--max-new-mislabeled", "3", "--json"])
    assert r2.exit_code == 1, r2.output
    doc = json.loads(r2.stdout)
    new = doc["baseline"]["new_mislabeled_rows"]
    if by == "id":
        expected = {f"u{i:03d}" for i in changed}
        assert set(new) == expected
    else:  # row numbers in v2: map them back to the content of the changed rows
        changed_content = {tuple(r) for r in v1.with_columns(pl.Series("y", [y2[i] for i in range(v1.height)]))
                           [list(changed)].select("f1", "f2", "y").rows()}
        new_content = {tuple(r) for r in v2[new].select("f1", "f2", "y").rows()}
        assert new_content == changed_content and len(new) == len(changed)
    assert doc["baseline"]["new_mislabeled"] == len(changed)
    check = next(c for c in doc["checks"] if c["name"] == "new_mislabeled")
    assert check["status"] == "fail" and check["value"] == 4


def test_baseline_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not a JSON document"):
        load_baseline(bad)
    bad.write_text('{"schema_version": 1, "command": "score"}', encoding="utf-8")
    with pytest.raises(InputError, match="dvclean check --json"):
        load_baseline(bad)
    bad.write_text('{"schema_version": 99, "flagged": {"key": "id", "mislabeled": [], "hard": []}}', encoding="utf-8")
    with pytest.raises(InputError, match="schema_version"):
        load_baseline(bad)


def test_baseline_by_id_needs_the_id_column(tmp_path):
    v1 = write_csv(clusters(), tmp_path / "v1.csv")
    r1 = runner.invoke(app, ["check", str(v1), "-y", "y", "--id", "uid", "--json"])
    base = tmp_path / "b.json"
    base.write_text(r1.stdout, encoding="utf-8")
    r2 = runner.invoke(app, ["check", str(v1), "-y", "y", "--baseline", str(base)])
    assert r2.exit_code == 2 and "--id uid" in r2.stderr


# ------------------------------------------------------------------ GitHub, JUnit, Markdown


def _unescape(s: str) -> str:
    return s.replace("%0A", "\n").replace("%0D", "\r").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def test_escaping_functions():
    assert formats.escape_data("50% a\r\nb::c") == "50%25 a%0D%0Ab::c"
    assert formats.escape_property("dir,x/a::b.csv") == "dir%2Cx/a%3A%3Ab.csv"
    assert _unescape(formats.escape_property("a%0A:,\n")) == "a%0A:,\n"


def test_github_format_summary_and_capped_escaped_annotations(tmp_path, monkeypatch):
    # 14 flipped rows (more than the 10-annotation cap) and labels that need escaping
    flips = (1, 5, 9, 13, 17, 21, 25, 29, 33, 37, 41, 45, 49, 53)
    labels = ("50%::ok", "bad\nlabel")
    df = clusters(flips=flips, labels=labels)
    src = tmp_path / "odd, name.csv"
    df.write_csv(src)
    summary = tmp_path / "summary.md"
    summary.write_text("previous step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--id", "uid", "--max-mislabeled", "5%"])
    assert res.exit_code == 1, res.output
    lines = res.stdout.splitlines()
    n_flagged = int(re.match(r"^FAIL mislabeled (\d+) ", lines[0])[1])
    assert n_flagged > formats.MAX_ANNOTATIONS  # enough rows to hit the cap
    warnings = [ln for ln in lines if ln.startswith("::warning ")]
    errors = [ln for ln in lines if ln.startswith("::error ")]
    assert len(warnings) == formats.MAX_ANNOTATIONS and len(errors) == 1
    assert any("likely mislabeled" in _unescape(w) for w in warnings)
    raw = src.read_text(encoding="utf-8").splitlines()
    for w in warnings:
        m = re.match(r"^::warning (?P<props>[^:]*)::(?P<msg>.*)$", w)
        assert m, w
        props = dict(p.split("=", 1) for p in m["props"].split(","))
        assert _unescape(props["file"]) == "odd, name.csv"
        assert "\n" not in w and "%0A" not in m["msg"]  # the label's newline is shown as \n, as in the check lines
        msg = _unescape(m["msg"])
        assert r"bad\nlabel" in msg or "50%::ok" in msg
        if "likely mislabeled" in props["title"]:  # the evidence as it is: never "label a but its neighbours say a"
            given = re.search(r"label (.+?) looks wrong: p\(", msg, re.S)[1]
            assert re.search(r"p\(.+?\)=0\.\d\d, suggested (.+?) \(p=0\.\d\d\)", msg, re.S)[1] != given
            said = re.search(r"nearest neighbours say (.+?);", msg, re.S)
            assert said is None or said[1] != given
        uid = re.search(r"row (u\d{3})", msg)[1]
        line = int(props["line"])
        assert raw[line - 1].startswith(uid + ",")  # the annotation points at the row's line
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("previous step\n") and "| status | check | value | threshold |" in text
    assert len(text.encode()) < formats.STEP_SUMMARY_MAX_BYTES


def test_step_summary_is_truncated_below_the_limit(scored):
    out = evaluate_check(scored, CheckPolicy(max_mislabeled=0))
    full = formats.to_markdown(out)
    cut = formats.step_summary(out, max_bytes=300)
    assert len(full.encode()) > 300 and len(cut.encode()) <= 300 and "truncated" in cut


def test_junit_xml_one_testcase_per_check(tmp_path):
    src = write_csv(clusters(flips=FLIPS), tmp_path / "d.csv")
    junit = tmp_path / "out" / "junit.xml"
    junit.parent.mkdir()
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "1", "--warn-hard", "0",
                              "--max-mislabeled-per-class", "50%", "--junit-xml", str(junit), "--format", "text"])
    assert res.exit_code == 1, res.output
    root = ET.parse(junit).getroot()
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == ["mislabeled", "hard", "mislabeled[class=a]", "mislabeled[class=b]"]
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["mislabeled"]
    assert root.find("testsuite").get("failures") == "1" and root.find("testsuite").get("tests") == "4"
    assert "WARN hard" in cases[1].find("system-out").text
    assert not list(junit.parent.glob(".*.tmp"))


def test_markdown_format_escapes_cells(tmp_path):
    df = clusters(flips=(3,), labels=("a|<b>", "c"))
    src = write_csv(df, tmp_path / "d.csv")
    res = runner.invoke(app, ["check", str(src), "-y", "y", "--max-mislabeled", "0", "--format", "markdown"])
    assert res.exit_code == 1
    md = res.stdout
    assert "| ❌ FAIL | mislabeled | 1 (0.83%) | max 0 rows |" in md
    assert "a\\|&lt;b&gt;" in md and "<b>" not in md


def test_text_output_on_real_sample(sample_csv):
    res = runner.invoke(app, ["check", str(sample_csv), "-y", "income", "--max-mislabeled", "2%", "--max-hard", "15%",
                              "--format", "text", "-q"])
    assert res.exit_code == 1
    assert re.search(r"^FAIL mislabeled \d+ \(\d+\.\d\d%\) max 2% \(40 of 2000\)$", res.stdout, re.M)
    assert re.search(r"^PASS hard \d+ \(\d+\.\d\d%\) max 15% \(300 of 2000\)$", res.stdout, re.M)


def test_check_output_is_deterministic(tmp_path):
    src = write_csv(clusters(flips=FLIPS), tmp_path / "d.csv")
    args = ["check", str(src), "-y", "y", "--max-mislabeled", "3", "--json", "--seed", "4"]
    a, b = json.loads(runner.invoke(app, args).stdout), json.loads(runner.invoke(app, args).stdout)
    a.pop("timings"), b.pop("timings")
    assert a == b


def test_csv_module_reads_what_we_annotate(tmp_path):
    # sanity: the CSV written with a newline in a label really spans two lines
    df = clusters(n_per_class=2, labels=("x\ny", "z"))
    buf = io.StringIO(df.write_csv())
    rows = list(csv.reader(buf))
    assert len(rows) == 5


def test_csv_lines_of_a_utf16_file_are_found(tmp_path):
    """A UTF-16 CSV (read through its byte-order mark) gets the same line numbers as its UTF-8 copy."""
    from dvclean.check import suspicious_rows

    df = clusters(flips=FLIPS).with_columns(pl.col("uid").cast(pl.String) + "é\nline two")  # quoted newlines
    plain, wide = tmp_path / "p.csv", tmp_path / "w.csv"
    write_csv(df, plain)
    wide.write_bytes(plain.read_text(encoding="utf-8").encode("utf-16"))
    lines = [[row["line"] for row in suspicious_rows(dvclean.score(src, label="y"), key="row")] for src in (plain, wide)]
    assert lines[0] == lines[1] and all(isinstance(n, int) and n >= 2 for n in lines[0])
