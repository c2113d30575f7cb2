"""CSV-only read options given for another format are named in a warning, not dropped without a word (QA s12)."""

from __future__ import annotations

import logging

import polars as pl
import pytest

from dvclean.io import read_frame


@pytest.fixture()
def parquet(tmp_path):
    path = tmp_path / "d.parquet"
    pl.DataFrame({"a": [1, 2, 3], "y": ["p", "q", "p"]}).write_parquet(path)
    return path


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"separator": ";"}, "--separator applies only to CSV input; the data is Parquet, so it is ignored"),
        ({"null_values": ["x"], "encoding": "latin-1"}, "--null-values and --encoding apply only to CSV input"),
    ],
)
def test_csv_options_for_a_parquet_file_are_named_as_ignored(parquet, caplog, options, said):
    with caplog.at_level(logging.WARNING, logger="dvclean"):
        frame, info = read_frame(parquet, **options)
    assert info.format == "parquet" and frame.height == 3
    assert said in caplog.text


def test_a_parquet_file_read_with_the_defaults_warns_of_nothing(parquet, caplog):
    with caplog.at_level(logging.WARNING, logger="dvclean"):
        read_frame(parquet, encoding="UTF8")
    assert "only to CSV input" not in caplog.text


def test_csv_options_for_a_csv_file_are_not_warned_about(tmp_path, caplog):
    path = tmp_path / "d.csv"
    path.write_text("a;y\n1;p\n2;q\n", encoding="latin-1")
    with caplog.at_level(logging.WARNING, logger="dvclean"):
        frame, _ = read_frame(path, separator=";", null_values=["x"], encoding="latin-1")
    assert frame.columns == ["a", "y"]
    assert "only to CSV input" not in caplog.text
