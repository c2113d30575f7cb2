"""Open items of earlier QA rounds and QA round 24, fixed in session 22, one test each."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
from typer.testing import CliRunner

from dvclean.cli import app

runner = CliRunner()


def _spelled(text: str) -> list[dict]:
    """JSON records with every number as its text (so ``1050`` and ``1050.0`` differ)."""
    decode = json.JSONDecoder(parse_float=lambda s: ("n", s), parse_int=lambda s: ("n", s)).decode
    text = text.strip()
    if text.startswith("["):
        return decode(text)
    return [decode(line) for line in text.split("\n") if line.strip()]


def _json_records(n: int = 160) -> list[dict]:
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, n)
    x = rng.normal(size=n) + 3 * y
    records = []
    for i in range(n):
        r = {"uid": 9007199254740993 + 2 * i, "x": round(float(x[i]), 4), "amt": 1050 if i % 7 else 10.5,
             "y": "yes" if (y[i] == 1) != (i % 10 == 0) else "no", "note": "é\u2028z"}
        if i == 3:
            del r["note"]  # a record may leave a key out
        records.append(r)
    return records


def test_fix_json_output_keeps_the_input_records_numbers_as_spelled(tmp_path):
    # a column of integers with one fraction is Float64 in polars: the typed writer spelled 1050 as 1050.0, rounded
    # ids beyond 2**53 held in such a column, and wrote a key a record leaves out as null
    records = _json_records()
    (tmp_path / "d.json").write_text(json.dumps(records))
    (tmp_path / "d.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records))
    for suffix in ("json", "ndjson"):
        src = tmp_path / f"d.{suffix}"
        before = src.read_bytes()
        original = _spelled(src.read_text())
        for action in ("mark", "relabel", "drop"):
            out = tmp_path / f"o_{action}.{suffix}"
            r = runner.invoke(app, ["fix", str(src), "-y", "y", "--id", "uid", "--action", action, "-o", str(out)])
            assert r.exit_code == 0, r.output
            got = _spelled(out.read_text())
            assert out.read_text().startswith("[") == (suffix == "json")
            if action == "drop":
                by_id = {rec["uid"]: rec for rec in original}
                assert 0 < len(got) < len(original)
                assert all(rec == by_id[rec["uid"]] for rec in got)
            else:
                assert len(got) == len(original)
                changed = 0
                for a, b in zip(original, got, strict=True):
                    if action == "mark":
                        assert "dvclean_issue" in b and {k: v for k, v in b.items() if k != "dvclean_issue"} == a
                        assert list(b)[-1] == "dvclean_issue"
                    else:
                        assert {k: v for k, v in b.items() if k != "y"} == {k: v for k, v in a.items() if k != "y"}
                        assert list(b) == list(a) and b["y"] in ("yes", "no")
                        changed += a["y"] != b["y"]
                if action == "relabel":
                    assert changed > 0
            assert ("n", "1050") in {rec["amt"] for rec in got} and ("n", "10.5") in {rec["amt"] for rec in got}
            assert action == "drop" or "note" not in got[3]
        assert src.read_bytes() == before


def test_augment_json_output_keeps_originals_and_spells_known_values_like_the_input(tmp_path):
    records = _json_records()
    src = tmp_path / "d.ndjson"
    src.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "a.ndjson"
    r = runner.invoke(app, ["augment", str(src), "-y", "y", "--id", "uid", "-g", "gaussian-copula", "--no-quality",
                            "-n", "40", "-o", str(out)])
    assert r.exit_code == 0, r.output
    got = _spelled(out.read_text())
    original = _spelled(src.read_text())
    assert len(got) == len(original) + 40
    for a, b in zip(original, got, strict=False):
        assert b.pop("dvclean_synthetic") is False and b == a
    synthetic = got[len(original):]
    assert all(rec["dvclean_synthetic"] is True for rec in synthetic)
    amounts = {rec["amt"] for rec in synthetic}
    assert ("n", "1050.0") not in amounts  # a value the input holds is spelled as the input spells it
    back = pl.read_ndjson(out)
    assert back.height == len(original) + 40 and back.get_column("uid").n_unique() == back.height


def test_value_rank_breaks_ties_as_the_hard_flags_do(tmp_path):
    # leave-one-out gives many rows one value: value_rank broke those ties by the canonical (content-hash) order,
    # so "the lowest ranks" and the hard flags named different rows
    import dvclean
    from dvclean.config import ScoreConfig

    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, 40)
    df = pl.DataFrame({"a": np.round(rng.normal(size=40) + y, 1), "b": np.round(rng.normal(size=40), 1), "y": y})
    for method in ("loo", "knn"):
        r = dvclean.score(df, label="y", config=ScoreConfig(methods=(method,)))
        out = r.frame.with_row_index("row")
        assert sorted(out.get_column("value_rank").to_list()) == list(range(1, 41))
        unflagged = out.filter(~pl.col("is_mislabeled")).sort("value_rank")
        hard = set(out.filter("is_hard").get_column("row").to_list())
        assert hard and set(unflagged.head(len(hard)).get_column("row").to_list()) == hard
        # equal values: the higher mislabel score ranks first, equal both: input order
        by_rank = out.sort("value_rank")
        for a, b in zip(by_rank.rows(named=True), by_rank.rows(named=True)[1:], strict=False):
            if a["value"] == b["value"]:
                assert (a["mislabel_score"], -a["row"]) >= (b["mislabel_score"], -b["row"])
