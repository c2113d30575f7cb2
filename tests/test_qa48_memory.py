"""Session 48: a million-row score peaked at 3.4 GiB because three steps found identical rows by sorting copies of
the whole encoded matrix (``np.unique`` on the rows' bytes). They now hash the rows a block at a time and sort only
when two rows share a hash; these tests hold the hashed paths to the sorted ones."""
from __future__ import annotations

import numpy as np
import pytest

from dvclean.table import _row_groups, identical_rows, row_bit_hashes
from dvclean.valuation import knn


def _cases():
    rng = np.random.default_rng(0)
    onehot = np.hstack([np.eye(6)[rng.integers(0, 6, 3000)], rng.integers(0, 3, (3000, 2)).astype(float)])
    zeros = rng.integers(0, 2, (800, 4)).astype(float)
    zeros[::7, 0] = -0.0
    cloud = rng.normal(size=(60, 3))
    return {
        "continuous": rng.normal(size=(2000, 7)),
        "one-hot and codes": onehot,
        "signed zeros": zeros,
        "copies of 60 points": cloud[rng.integers(0, 60, 1500)],
        "nan and zeros": np.array([[np.nan, 1.0], [np.nan, 1.0], [0.0, -0.0], [0.0, 0.0], [1.0, 0.0]]),
    }


@pytest.mark.parametrize("name", list(_cases()))
def test_distinct_rows_by_hash_equal_distinct_rows_by_sorting(name):
    x = _cases()[name]
    points, inverse = knn._unique_rows(x)
    points_s, inverse_s = knn._unique_rows_sorted(x)
    assert np.array_equal(inverse, inverse_s)
    assert np.array_equal(points.view(np.uint64), points_s.view(np.uint64))


def test_a_shared_hash_of_different_rows_falls_back_to_sorting(monkeypatch):
    x = _cases()["copies of 60 points"]
    expected = knn._unique_rows_sorted(x)
    monkeypatch.setattr(knn, "row_bit_hashes", lambda a, **_: np.zeros(a.shape[0], dtype=np.uint64))
    points, inverse = knn._unique_rows(x)
    assert np.array_equal(inverse, expected[1]) and np.array_equal(points, expected[0])


def test_one_hot_rows_get_as_many_hashes_as_distinct_rows():
    # the multiply-and-sum hash of the raw bits keeps 12 bits of each product for 0/1 values: 64 one-hot columns
    # in 3 blocks gave far fewer hashes than rows
    rng = np.random.default_rng(1)
    x = np.eye(64)[rng.integers(0, 64, (20000, 3))].reshape(20000, -1)
    distinct = knn._unique_rows_sorted(x)[0].shape[0]
    assert np.unique(row_bit_hashes(x)).size == distinct
    assert np.unique(knn.row_hashes(x)).size < distinct  # (why a new hash was needed)


@pytest.mark.parametrize("name", list(_cases()))
def test_row_groups_and_identical_rows_group_as_before(name):
    x = _cases()[name]
    y = (np.arange(x.shape[0]) % 3 == 0).astype(np.int64)
    key = np.ascontiguousarray(x, dtype=np.float64)
    by_bytes = np.unique(key.view(np.dtype((np.void, 8 * key.shape[1]))).ravel(), return_inverse=True)[1].ravel()
    groups = _row_groups(x)
    # the same partition of the rows (numbering may differ when every row is distinct)
    assert len(set(zip(groups.tolist(), by_bytes.tolist(), strict=True))) == len(set(by_bytes.tolist()))
    assert len(set(groups.tolist())) == len(set(by_bytes.tolist()))
    same = identical_rows(x, y)
    xy = np.column_stack([x, y.astype(np.float64)])
    if np.unique(xy.view(np.dtype((np.void, 8 * xy.shape[1]))).ravel()).size == x.shape[0]:
        assert same is None
    else:
        assert same is not None and np.array_equal(same, _row_groups(xy))
        assert len(set(same.tolist())) < x.shape[0]


def test_symmetrize_averages_only_identical_rows_with_identical_labels():
    rng = np.random.default_rng(2)
    x = np.vstack([rng.normal(size=(5, 2)), np.zeros((3, 2)), -np.zeros((1, 2))])
    y = np.array([0, 1, 0, 1, 0, 1, 1, 0, 1])
    values = np.arange(9, dtype=float)
    out = knn._symmetrize(values, x, y)
    # rows 5, 6 and 8 are (0, 0) labelled 1 (-0.0 is 0.0): their mean; row 7 is labelled 0: its own value
    assert out[[5, 6, 8]].tolist() == [19 / 3] * 3 and out[7] == 7.0 and out[:5].tolist() == values[:5].tolist()
    distinct = rng.normal(size=(50, 3))
    assert knn._symmetrize(values[:1].repeat(50) + np.arange(50), distinct, np.zeros(50, dtype=int)).tolist() == list(
        np.arange(50.0)
    )
