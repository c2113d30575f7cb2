"""QA round 93 (session 53): carried items and the helpers' findings. A JSON-lines file whose column mixes numbers
with true/false was refused as "not valid JSON lines" (polars: "cannot parse 'true' (bool) as Int64"), and a JSON
array's such column was read as numbers with true as 1."""

from __future__ import annotations

import json

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
