"""A file name is a name, not a pattern: polars expands a path it is given as a glob, so
`a[1].csv` was "expanded paths were empty" and `d*.csv` read every matching file together."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from dvclean.io import read_frame


def _frame(seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame({"a": rng.normal(size=30), "y": rng.integers(0, 2, 30)})


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".arrow"])
@pytest.mark.parametrize("stem", ["a[1]", "b*", "c?d", "e[!x]"])
def test_names_with_glob_characters_are_read_as_written(tmp_path, stem, suffix):
    df = _frame(0)
    path = tmp_path / f"{stem}{suffix}"
    {".csv": df.write_csv, ".parquet": df.write_parquet, ".arrow": df.write_ipc}[suffix](path)
    # a second file the pattern would match: it must not be read along
    other = tmp_path / f"{stem.replace('[', 'x').replace(']', 'x').replace('*', 'zz').replace('?', 'q')}2{suffix}"
    {".csv": _frame(1).write_csv, ".parquet": _frame(1).write_parquet, ".arrow": _frame(1).write_ipc}[suffix](other)
    got, info = read_frame(path)
    assert got.equals(df) and info.columns == ("a", "y")
    got, _ = read_frame(path, exclude=("a",), keep_text=("y",))
    assert got.columns == ["y"] and got.height == 30
