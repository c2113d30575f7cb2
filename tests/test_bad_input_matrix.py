"""The bad-input matrix: every case through the real CLI in a subprocess.

Each case either works (and the result is checked) or is refused with exit code 2, a
short message naming the problem, no traceback and no output file. The ``expect``
column of the table says which, with the reason a user would agree with.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pytest


@dataclass(frozen=True)
class Case:
    make: Callable[[Path], Path]
    expect: str  # "works" or "refused"
    pattern: str = ""  # regex the stderr message (refused) must match
    args: tuple[str, ...] = ()
    check: Callable[[pl.DataFrame, dict], None] | None = None


def _csv(name: str, text: str | bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        p.write_bytes(text.encode() if isinstance(text, str) else text)
        return p

    return make


def _frame(name: str, build: Callable[[], pl.DataFrame]) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        p = d / name
        df = build()
        if name.endswith(".parquet"):
            df.write_parquet(p)
        else:
            df.write_csv(p)
        return p

    return make


def _base(n: int = 40, seed: int = 0) -> dict[str, list]:
    rng = np.random.default_rng(seed)
    y = [i % 2 for i in range(n)]
    return {"x1": (np.array(y) * 2 + rng.normal(size=n)).tolist(), "x2": rng.normal(size=n).tolist(), "label": y}


def _with(**extra):
    def build() -> pl.DataFrame:
        cols = _base()
        cols.update({k: (v() if callable(v) else v) for k, v in extra.items()})
        return pl.DataFrame(cols)

    return build


def _parquet_wrong_ext(d: Path) -> Path:
    p = d / "really_parquet.csv"
    pl.DataFrame(_base()).write_parquet(p)
    return p


def _truncated_gzip(d: Path) -> Path:
    p = d / "t.csv.gz"
    p.write_bytes(gzip.compress(pl.DataFrame(_base()).write_csv().encode())[:60])
    return p


def _check_missing_labels(out: pl.DataFrame, doc: dict) -> None:
    assert out.get_column("is_label_missing").sum() == 2
    assert out.filter(pl.col("is_label_missing")).get_column("value").null_count() == 2


def _check_conflicts(out: pl.DataFrame, doc: dict) -> None:
    assert out.get_column("is_conflicting_duplicate").all()
    assert doc["flags"]["conflicting_duplicates"] == out.height


def _check_unicode(out: pl.DataFrame, doc: dict) -> None:
    assert doc["label"] == "clâsse" and "名前" in doc["features"]["columns"] and "âge" in doc["features"]["columns"]


def _check_ignored(column: str) -> Callable[[pl.DataFrame, dict], None]:
    def check(out: pl.DataFrame, doc: dict) -> None:
        assert column in doc["features"]["ignored"]

    return check


def _check_finite(out: pl.DataFrame, doc: dict) -> None:
    v = out.get_column("value").drop_nulls().to_numpy()
    assert np.isfinite(v).all()


def _many_strings() -> pl.DataFrame:
    # a distinct text in every row is ignored as an identifier, whatever the row count (100,000 rows
    # cost 56 s of the suite, nearly all of it scoring the one numeric feature)
    n = 5_000
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=n)
    return pl.DataFrame({"s": [f"id-{i:06d}" for i in range(n)], "x": y + rng.normal(size=n), "label": y})


def _check_identifier_ignored(frame: pl.DataFrame, doc: dict) -> None:
    assert doc["features"]["ignored"] == ["s"] and doc["features"]["encoded_dimensions"] == 1
    assert "ignored feature columns: s (a distinct value in every row)" in doc["notes"]


CASES: dict[str, Case] = {
    # files
    "missing file": Case(lambda d: d / "nope.csv", "refused", r"nope\.csv: no such file"),
    "empty file": Case(_csv("e.csv", ""), "refused", r"e\.csv: the file is empty"),
    "header only": Case(_csv("h.csv", "x1,x2,label\n"), "refused", r"no data rows"),
    "binary file": Case(_csv("b.csv", bytes(range(256)) * 8), "refused", r"binary file"),
    "truncated gzip": Case(_truncated_gzip, "refused", r"corrupt or truncated"),
    # a Parquet file named .csv is recognised by its magic bytes: refusing it would help nobody
    "wrong extension": Case(_parquet_wrong_ext, "works"),
    "ragged rows": Case(_csv("r.csv", "x1,x2,label\n1,2,0\n3,4\n5,6,1\n7,8,0\n9,1,1\n"), "refused",
                        r"line 3 has 2 fields but the header has 3"),
    "duplicate column names": Case(_csv("d.csv", "x1,x1,label\n1,2,0\n3,4,1\n"), "refused",
                                   r"duplicate column name 'x1' \(columns 1 and 2\)"),
    "unicode and whitespace in column names": Case(
        _csv("u.csv", " âge ,名前,clâsse\n" + "".join(f"{i},{'ab'[i % 2]},{i % 2}\n" for i in range(30))),
        "works", args=("--label", "clâsse"), check=_check_unicode),
    "BOM and CRLF": Case(_csv("bom.csv", b"\xef\xbb\xbfx1,label\r\n" + b"".join(f"{i},{i % 2}\r\n".encode() for i in range(30))),
                         "works"),
    # labels
    "label all null": Case(_frame("ln.csv", _with(label=[None] * 40)), "refused", r"label column 'label' is empty in every row"),
    "label constant": Case(_frame("lc.csv", _with(label=[1] * 40)), "refused", r"one class only"),
    # NaN is a missing label: those rows are kept, not valued
    "label float with NaN": Case(_frame("lnan.parquet", _with(label=[float("nan") if i in (3, 7) else float(i % 2) for i in range(40)])),
                                 "works", check=_check_missing_labels),
    "label float with inf": Case(_frame("linf.parquet", _with(label=[math.inf if i == 5 else float(i % 2) for i in range(40)])),
                                 "refused", r"infinite at row 5;"),
    # a label mixing numbers and strings is read as text: each distinct value is a class
    "label mixes numbers and strings": Case(_csv("lm.csv", "x1,label\n" + "".join(f"{i},{['1', 'a'][i % 2]}\n" for i in range(30))),
                                            "works"),
    # features
    "feature all null": Case(_frame("fn.csv", _with(empty=[None] * 40)), "works", check=_check_ignored("empty")),
    "feature of infinities": Case(_frame("fi.parquet", _with(inf=[math.inf] * 20 + [-math.inf] * 20)), "works", check=_check_finite),
    "feature of huge magnitudes": Case(_frame("fh.parquet", _with(huge=[1e308 * ((-1) ** i) * (i % 5) for i in range(40)])), "works",
                                       check=_check_finite),
    "feature of 5,000 distinct strings": Case(_frame("fs.parquet", _many_strings), "works", check=_check_identifier_ignored),
    # sizes
    "single row": Case(_csv("one.csv", "x1,label\n1,0\n"), "refused", r"one class only"),
    "two rows": Case(_csv("two.csv", "x1,label\n1,0\n2,1\n"), "refused", r"single row"),
    "more columns than rows": Case(
        _frame("wide.csv", lambda: pl.DataFrame({f"c{j}": np.random.default_rng(j).normal(size=12) for j in range(60)})
               .with_columns(pl.Series("label", [i % 2 for i in range(12)]))), "works"),
    "duplicate rows with conflicting labels": Case(_csv("dup.csv", "x1,x2,label\n" + "1,2,0\n1,2,1\n" * 10), "works",
                                                    check=_check_conflicts),
    "parquet with nested column": Case(_frame("nested.parquet", _with(tags=[[i, i + 1] for i in range(40)])), "refused",
                                       r"'tags' holds nested values .* --drop tags"),
}


def _sha(p: Path) -> tuple[str, int] | None:
    if not p.is_file():
        return None
    return hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_matrix(tmp_path, name):
    case = CASES[name]
    src = case.make(tmp_path)
    before_listing = sorted(p.name for p in tmp_path.iterdir())
    before = _sha(src)
    out = tmp_path / "scores.parquet"
    env = {**os.environ, "COLUMNS": "200"}
    res = subprocess.run(
        [sys.executable, "-m", "dvclean", "score", str(src), "--output", str(out), "--json", *case.args],
        capture_output=True, timeout=300, env=env, cwd=tmp_path,
    )
    stderr = res.stderr.decode()
    assert "Traceback" not in stderr
    assert _sha(src) == before  # the input is never modified
    if case.expect == "works":
        assert res.returncode == 0, stderr
        doc = json.loads(res.stdout)
        frame = pl.read_parquet(out)
        assert frame.height == doc["rows"]["total"]
        if case.check is not None:
            case.check(frame, doc)
    else:
        assert res.returncode == 2, (res.returncode, stderr)
        message = " ".join(stderr.split())
        assert message.startswith("error:"), stderr
        assert len(stderr.strip().splitlines()) <= 3, stderr  # one message, wrapped at most by the terminal
        import re

        assert re.search(case.pattern, message), message
        assert sorted(p.name for p in tmp_path.iterdir()) == before_listing  # no output, no temp file
