"""The CLI end to end: CliRunner and a real subprocess, JSON output, and every bad input."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app

from .conftest import write

runner = CliRunner()


def small_csv(tmp_path: Path, n: int = 40) -> Path:
    lines = ["x1,x2,color,label"]
    for i in range(n):
        c = i % 2
        lines.append(f"{c * 3 + (i % 5) * 0.1},{(i * 7) % 11 / 10},{'red' if c else 'blue'},{c}")
    return write(tmp_path / "data.csv", "\n".join(lines) + "\n")


def sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_score_writes_default_output_and_keeps_input(tmp_path):
    src = small_csv(tmp_path)
    before, mtime = sha(src), src.stat().st_mtime_ns
    res = runner.invoke(app, ["score", str(src), "--label", "label"])  # the summary is printed (not with --quiet)
    assert res.exit_code == 0, res.output
    out = tmp_path / "data.dvclean.parquet"
    df = pl.read_parquet(out)
    assert df.columns[:8] == ["row_id", "label", "value", "value_rank", "is_mislabeled", "is_hard", "mislabel_score",
                              "is_label_missing"]
    assert df.height == 40 and df.get_column("row_id").to_list() == list(range(40))
    assert sorted(df.get_column("value_rank").to_list()) == list(range(1, 41))
    meta = json.loads(pl.read_parquet_metadata(out)["dvclean"])
    assert meta["method"] == "knn" and meta["status"]["knn"] == "exact"
    assert sha(src) == before and src.stat().st_mtime_ns == mtime
    assert "lowest-valued rows" in res.stdout


@pytest.mark.parametrize("command", ["score", "fix"])
def test_output_dash_is_refused_not_written_as_a_file(tmp_path, monkeypatch, command):
    src = small_csv(tmp_path)
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, [command, str(src), "--label", "label", "--quiet", "-o", "-"])
    assert res.exit_code == 2
    assert "standard output" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "-").exists()


def test_json_summary_and_csv_output(tmp_path):
    src = small_csv(tmp_path)
    out = tmp_path / "scores.csv"
    res = runner.invoke(app, ["score", str(src), "-y", "label", "--method", "knn", "--k", "3", "--output", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["schema_version"] == 1 and doc["rows"]["total"] == 40 and doc["output"] == str(out)
    assert doc["methods"]["knn"]["params"]["k"] == 3
    assert res.stderr == ""
    assert pl.read_csv(out).height == 40


@pytest.mark.parametrize("fmt", ["parquet", "csv", "ndjson"])
def test_output_formats(tmp_path, fmt):
    src = small_csv(tmp_path)
    res = runner.invoke(app, ["score", str(src), "--format", fmt, "-q"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / f"data.dvclean.{fmt}").exists()


def test_parquet_input_with_id_and_missing_labels(tmp_path):
    df = pl.DataFrame({
        "uid": [f"r{i}" for i in range(30)],
        "f": [float(i % 2) + i / 100 for i in range(30)],
        "target": [None if i == 4 else i % 2 for i in range(30)],
    })
    src = tmp_path / "d.parquet"
    df.write_parquet(src)
    res = runner.invoke(app, ["score", str(src), "--id", "uid", "-o", str(tmp_path / "o.parquet"), "--json"])
    assert res.exit_code == 0, res.output
    out = pl.read_parquet(tmp_path / "o.parquet")
    assert out.columns[0] == "uid" and out.get_column("uid").to_list() == df.get_column("uid").to_list()
    row = out.row(4, named=True)
    assert row["is_label_missing"] is True and row["value"] is None and row["value_rank"] is None
    assert json.loads(res.stdout)["rows"]["label_missing"] == 1


def test_valid_file(tmp_path):
    src = small_csv(tmp_path)
    val = write(tmp_path / "val.csv", "x1,x2,color,label\n0.1,0.2,blue,0\n3.2,0.5,red,1\n")
    res = runner.invoke(app, ["score", str(src), "--valid", str(val), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["validation"].startswith("file (2 rows)")


def test_stdin(tmp_path):
    src = small_csv(tmp_path)
    out = tmp_path / "o.csv"
    res = runner.invoke(app, ["score", "-", "-o", str(out), "-q"], input=src.read_bytes())
    assert res.exit_code == 0, res.output
    assert pl.read_csv(out).height == 40


def test_methods_and_version():
    res = runner.invoke(app, ["methods", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["methods"][0]["name"] == "knn"
    assert runner.invoke(app, ["version"]).stdout.startswith("dvclean ")


BAD = {
    "missing file": (lambda d: d / "nope.csv", [], "no such file"),
    "empty file": (lambda d: write(d / "e.csv", ""), [], "empty"),
    "header only": (lambda d: write(d / "h.csv", "a,b,label\n"), [], "no data rows"),
    "unknown label": (lambda d: small_csv(d), ["--label", "zzz"], "label column 'zzz' not found"),
    "one class": (lambda d: write(d / "o.csv", "a,label\n1,x\n2,x\n3,x\n"), [], "one class only"),
    "single-row class": (lambda d: write(d / "s.csv", "a,label\n1,x\n2,x\n3,y\n4,x\n"), [], "single row .*at row 2"),
    "all-null features": (lambda d: write(d / "n.csv", "a,b,label\n,,x\n,,y\n,,x\n,,y\n"), [], "no usable feature.*empty"),
    "non-utf8": (lambda d: write(d / "u.csv", b"a,label\n\xff\xfe,x\n1,y\n"), [], "line 2 is not valid UTF-8"),
    "ragged rows": (lambda d: write(d / "r.csv", "a,b,label\n1,2,x\n1,2\n3,4,y\n"), [], "line 3 has 2 fields"),
    "directory": (lambda d: d, [], "is a directory"),
    "output is input": (lambda d: small_csv(d), ["--output", "{src}"], "never overwrites its input"),
    "unwritable dir": (lambda d: small_csv(d), ["--output", "/proc/dvclean-no/x.parquet"], "does not exist|cannot write"),
    "k too large": (lambda d: write(d / "k.csv", "a,label\n1,x\n2,y\n3,x\n4,y\n"), ["--k", "10"], "K=10 is larger"),
    "bad k": (lambda d: small_csv(d), ["--k", "0"], "--k must be an int >= 1"),
    "unknown method": (lambda d: small_csv(d), ["--method", "magic"], "unknown method 'magic'"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exit_2_one_line_no_output(tmp_path, case):
    make, args, pattern = BAD[case]
    src = make(tmp_path)
    before = {p: sha(p) for p in tmp_path.rglob("*") if p.is_file()}
    args = [a.replace("{src}", str(src)) for a in args]
    res = runner.invoke(app, ["score", str(src), *args])
    assert res.exit_code == 2, (res.exit_code, res.output)
    err = res.stderr.strip()
    assert err.startswith("error:") and "Traceback" not in res.output
    import re

    assert re.search(pattern, " ".join(err.split())), err
    after = {p: sha(p) for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # nothing written, nothing modified


def test_internal_error_exits_3(tmp_path, monkeypatch):
    import dvclean.pipeline as pipeline

    def boom(*a, **k):
        raise RuntimeError("injected")

    monkeypatch.setattr(pipeline, "flag_rows", boom)
    res = runner.invoke(app, ["score", str(small_csv(tmp_path))])
    assert res.exit_code == 3
    assert "internal error" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "data.dvclean.parquet").exists()


def _run(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "dvclean", *args], cwd=cwd, input=stdin, capture_output=True, env=env,
                          timeout=300)


def test_subprocess_end_to_end(tmp_path, sample_csv):
    res = _run("score", str(sample_csv), "--label", "income", "-o", str(tmp_path / "s.parquet"), "--json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr.decode()
    doc = json.loads(res.stdout)
    assert doc["rows"]["valued"] == 2000 and doc["flags"]["mislabeled"] > 0
    assert res.stderr == b""
    bad = _run("score", str(tmp_path / "missing.csv"), cwd=tmp_path)
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr and len(bad.stderr.decode().strip().splitlines()) <= 3


def test_human_output_explains_the_flag_count(tmp_path, sample_csv):
    res = runner.invoke(app, ["score", str(sample_csv), "-y", "income", "-o", str(tmp_path / "s.parquet")])
    assert res.exit_code == 0, res.output
    out = " ".join(res.output.split())  # rich wraps long lines
    assert "mislabel rule: consensus (evidence weights: model" in out
    doc = json.loads(runner.invoke(app, ["score", str(sample_csv), "-y", "income", "-o", str(tmp_path / "t.parquet"),
                                         "--json"]).stdout)
    est = doc["flags"]["count_estimates"]
    assert (f"wrong labels estimated: knn rule {est['knn_rule']}, Confident Learning {est['confident_pooled']} (pooled), "
            f"{est['confident_model']} (model), flip mixture {est['flip_mixture']}; median {est['median']:g}") in out


def test_same_seed_same_bytes(tmp_path, sample_csv):
    outs = []
    for name in ("a.parquet", "b.parquet"):
        res = runner.invoke(app, ["score", str(sample_csv), "-y", "income", "-o", str(tmp_path / name), "-q", "--seed", "3"])
        assert res.exit_code == 0
        outs.append(sha(tmp_path / name))
    assert outs[0] == outs[1]


def test_help_never_imports_sdv_or_torch(tmp_path, sample_csv):
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom dvclean.cli import app\n"
        "r = CliRunner()\nassert r.invoke(app, ['--help']).exit_code == 0\n"
        f"assert r.invoke(app, ['score', {str(sample_csv)!r}, '-y', 'income', '-o', {str(tmp_path / 'x.parquet')!r}, '-q']).exit_code == 0\n"
        "bad = [m for m in ('sdv', 'torch', 'ctgan') if m in sys.modules]\nassert not bad, bad\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=300)
    assert res.returncode == 0, res.stderr.decode()
    help_only = subprocess.run(
        [sys.executable, "-c", "import sys; from dvclean.cli import app; import dvclean.cli.commands;"
         "print(','.join(m for m in ('sklearn','xgboost','numba','faiss','sdv','torch') if m in sys.modules))"],
        capture_output=True, timeout=120)
    assert help_only.stdout.decode().strip() == ""
