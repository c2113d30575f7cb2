"""Session 44's fixes from QA rounds 70-72 (a library user, an analyst with messy files and regression targets, an
augment user)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean


def _houses(n: int = 300, seed: int = 2) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    sqft = rng.normal(1500, 400, n).round(1)
    rooms = rng.integers(1, 7, n)
    price = (50000 + 120 * sqft + 8000 * rooms + rng.normal(0, 15000, n)).round(2)
    return pl.DataFrame({"sqft": sqft, "rooms": rooms, "price": price})


@pytest.mark.parametrize("task", ["regression", "classification"])
def test_text_in_a_numeric_column_on_a_row_without_a_label_leaves_the_column_numeric(tmp_path, task):
    # a footer line ("Source: ...") or a sensor's ERR row with an empty label made the CSV reader type the column as
    # text; fitted on the labelled rows only, every cell was a plain number, taken for text the file declares: the
    # column was ignored or valued as a category (R^2 0.92 -> 0.06), with a note saying to store it as a number type
    frame = _houses()
    if task == "classification":
        frame = frame.with_columns((pl.col("price") > pl.col("price").median()).cast(pl.Int64).alias("price"))
    clean, footer = tmp_path / "clean.csv", tmp_path / "footer.csv"
    frame.write_csv(clean)
    footer.write_text(clean.read_text() + '"Source: Land Registry, 2021",,\n')
    a = dvclean.score(clean, label="price")
    b = dvclean.score(footer, label="price")
    assert b.summary["rows"]["label_missing"] == 1
    assert b.summary["features"]["ignored"] == [] and not any("sqft" in n for n in b.summary["notes"])
    keep = ["value", "is_mislabeled", "mislabel_score"]
    assert b.frame.head(a.frame.height).select(keep).equals(a.frame.select(keep))
