"""QA s11 #5: dates and datetimes in JSON / NDJSON files are typed as the CSV reader types them.

* the same table gives the same typed frame (Date, Datetime) from CSV, NDJSON and a JSON array,
  and so the same features and flags (a datetime column is not dropped as id-like text);
* a column is typed only when a JSON output writes every cell back as it was: ``fix`` and
  ``augment`` keep the original rows' cells unchanged; other spellings stay text.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dvclean.cli import app
from dvclean.io import read_frame

runner = CliRunner()


def table(n: int = 90, seed: int = 0) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pl.DataFrame({
        "id": np.arange(n),
        "x": rng.normal(size=n) + 2.0 * y,
        "d": [None if i % 7 == 0 else dt.date(2020, 1, 1) + dt.timedelta(days=int(v))
              for i, v in enumerate(rng.integers(0, 1000, n))],
        "ts": [dt.datetime(2021, 3, 4, 5, 6, 7) + dt.timedelta(seconds=int(v)) for v in rng.integers(0, 10**7, n)],
        "ts_ms": [dt.datetime(2021, 3, 4, 5, 6, 7, 123000) + dt.timedelta(seconds=int(v), milliseconds=int(m))
                  for v, m in zip(rng.integers(0, 10**7, n), rng.integers(0, 1000, n), strict=True)],
        "ts_us": [dt.datetime(2021, 3, 4, 5, 6, 7, 123456) + dt.timedelta(seconds=int(v)) for v in rng.integers(0, 10**7, n)],
        "utc": pl.Series([dt.datetime(2022, 1, 1) + dt.timedelta(minutes=int(v)) for v in rng.integers(0, 10**6, n)])
        .dt.replace_time_zone("UTC"),
        "y": [["no", "yes"][v] for v in y],
    })


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    df = table()
    out = {"csv": tmp_path / "t.csv", "jsonl": tmp_path / "t.jsonl", "json": tmp_path / "t.json"}
    df.write_csv(out["csv"])
    df.write_ndjson(out["jsonl"])
    df.write_json(out["json"])
    return out


def test_json_and_ndjson_give_the_csv_types(files):
    csv, _ = read_frame(files["csv"])
    assert csv.schema["d"] == pl.Date and isinstance(csv.schema["ts"], pl.Datetime)
    for kind in ("jsonl", "json"):
        frame, _ = read_frame(files[kind])
        assert frame.schema == csv.schema, (kind, frame.schema, csv.schema)
        assert frame.equals(csv), kind


def features(path: Path) -> dict:
    res = runner.invoke(app, ["score", str(path), "-y", "y", "--id", "id", "-o", str(path.with_suffix(".s.parquet")),
                              "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    flagged = pl.read_parquet(path.with_suffix(".s.parquet")).filter(pl.col("is_mislabeled")).get_column("id")
    return {"ignored": doc["features"]["ignored"], "dims": doc["features"]["encoded_dimensions"],
            "flagged": sorted(flagged.to_list())}


def test_the_same_table_gives_the_same_flags_from_csv_and_json(files):
    from_csv = features(files["csv"])
    assert "ts" not in from_csv["ignored"]
    assert features(files["jsonl"]) == from_csv
    assert features(files["json"]) == from_csv


#: Spellings a JSON output would change: these columns stay text.
KEPT_AS_TEXT = {
    "t_sep": ["2021-03-04T05:06:07", "2021-03-05T06:07:08"],
    "zulu": ["2021-03-04T05:06:07Z", "2021-03-05T06:07:08Z"],
    "offset": ["2021-03-04 05:06:07+01:00", "2021-03-05 06:07:08+01:00"],
    "tenths": ["2021-03-04 05:06:07.5", "2021-03-05 06:07:08.5"],
    "zeros": ["2021-03-04 05:06:07.000", "2021-03-05 06:07:08.000"],
    "nanos": ["2021-03-04 05:06:07.123456789", "2021-03-05 06:07:08.123456789"],
    "empty": ["2021-03-04", ""],
    "na": ["2021-03-04", "NA"],
    "digits": ["20210304", "20210305"],
}


def test_spellings_a_json_output_would_change_stay_text(tmp_path):
    rows = [{c: v[i] for c, v in KEPT_AS_TEXT.items()} | {"date": ["2021-03-04", "2021-03-05"][i],
                                                         "stamp": ["2021-03-04 05:06:07", None][i]}
            for i in range(2)]
    path = tmp_path / "k.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    frame, _ = read_frame(path)
    assert frame.schema["date"] == pl.Date and isinstance(frame.schema["stamp"], pl.Datetime)
    for col, values in KEPT_AS_TEXT.items():
        assert frame.schema[col] == pl.String, col
        assert frame.get_column(col).to_list() == values, col


def records(path: Path) -> list[dict]:
    text = path.read_text()
    return json.loads(text) if text.lstrip().startswith("[") else [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize(("src", "dst"), [("jsonl", "jsonl"), ("json", "json"), ("jsonl", "json")])
def test_fix_keeps_the_original_cells(tmp_path, src, dst):
    rows = records_with_every_spelling()
    path = tmp_path / f"in.{src}"
    if src == "json":
        path.write_text(json.dumps(rows))
    else:
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    frame, _ = read_frame(path)
    assert frame.schema["d"] == pl.Date and isinstance(frame.schema["ts"], pl.Datetime)  # typed, and yet:
    for action in ("mark", "drop"):
        out = tmp_path / f"out_{action}.{dst}"
        res = runner.invoke(app, ["fix", str(path), "-y", "y", "--id", "id", "--action", action, "-o", str(out), "-q"])
        assert res.exit_code == 0, res.output
        written = records(out)
        assert written, action
        by_id = {r["id"]: r for r in rows}
        for r in written:
            assert {k: r[k] for k in by_id[r["id"]]} == by_id[r["id"]], (action, r)


def records_with_every_spelling(n: int = 90) -> list[dict]:
    frame = table(n)
    rows = frame.with_columns(pl.col("y")).to_dicts()
    out = []
    for i, r in enumerate(rows):
        out.append({
            "id": r["id"], "x": r["x"],
            "d": None if r["d"] is None else r["d"].isoformat(),
            "ts": r["ts"].strftime("%Y-%m-%d %H:%M:%S"),
            "ts_ms": r["ts_ms"].strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] if i % 4 else None,
            "ts_us": r["ts_us"].strftime("%Y-%m-%d %H:%M:%S.%f"),
            "utc": r["utc"].strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "t_sep": r["ts"].strftime("%Y-%m-%dT%H:%M:%S"),
            "zulu": r["ts"].strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "offset": r["ts"].strftime("%Y-%m-%dT%H:%M:%S+02:00"),
            "y": r["y"],
        })
    return out


def test_augment_keeps_the_original_cells_and_types_new_dates(tmp_path):
    pytest.importorskip("sdv")
    rows = records_with_every_spelling()
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "aug.jsonl"
    res = runner.invoke(app, ["augment", str(path), "-y", "y", "--id", "id", "-g", "gaussian-copula", "-n", "10",
                              "-t", "all", "-o", str(out), "-q"], env={"HOME": str(tmp_path)})
    assert res.exit_code == 0, res.output
    written = records(out)
    originals = [r for r in written if not r["dvclean_synthetic"]]
    assert [{k: r[k] for k in rows[0]} for r in originals] == rows
    synthetic = [r for r in written if r["dvclean_synthetic"]]
    assert len(synthetic) == 10
    seen = {r["d"] for r in rows}
    new_dates = [r["d"] for r in synthetic if r["d"] is not None]
    assert all(dt.date.fromisoformat(d) for d in new_dates)
    assert any(d not in seen for d in new_dates)  # modelled as dates, not copies of seen strings
