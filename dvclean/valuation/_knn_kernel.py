"""Compiled kernel of exact KNN-Shapley for large inputs (numba).

For each validation row, sorts the players by float32 distance with a stable
three-pass LSD radix sort (ties broken by player index, exactly as
``numpy.argsort(kind="stable")`` on float32 would) and runs the Jia et al. (2019)
recursion, writing each player's value into its column of ``out``. Rows run in
parallel threads. It is numerically the same computation as the numpy path in
:mod:`dvclean.valuation.knn`; a test checks the two agree.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(parallel=True, cache=True, nogil=True)
def knn_shapley_rows(dist, labels, yv, self_idx, k, out, topk):  # type: ignore[no-untyped-def]  # pragma: no cover
    c, n = dist.shape
    kk = topk.shape[1]
    for r in nb.prange(c):
        keys = np.empty(n, np.uint32)
        idx = np.empty(n, np.int64)
        k2 = np.empty(n, np.uint32)
        i2 = np.empty(n, np.int64)
        for j in range(n):
            v = np.float32(dist[r, j])
            if j == self_idx[r]:
                keys[j] = np.uint32(0xFFFFFFFF)
            else:
                keys[j] = np.asarray(v).view(np.uint32)[()]
            idx[j] = j
        for p in range(3):
            shift = 11 * p
            cnt = np.zeros(2049, np.int64)
            for j in range(n):
                cnt[((keys[j] >> shift) & 2047) + 1] += 1
            for b in range(2048):
                cnt[b + 1] += cnt[b]
            for j in range(n):
                b = (keys[j] >> shift) & 2047
                pos = cnt[b]
                cnt[b] = pos + 1
                k2[pos] = keys[j]
                i2[pos] = idx[j]
            keys, k2 = k2, keys
            idx, i2 = i2, idx
        big_n = n - 1 if self_idx[r] >= 0 else n
        y = yv[r]
        mnext = 1.0 if labels[idx[big_n - 1]] == y else 0.0
        s = mnext / big_n
        out[r, idx[big_n - 1]] = s
        for i in range(big_n - 1, 0, -1):
            m = 1.0 if labels[idx[i - 1]] == y else 0.0
            s = s + (m - mnext) * (min(k, i) / (i * k))
            out[r, idx[i - 1]] = s
            mnext = m
        if self_idx[r] >= 0:
            out[r, self_idx[r]] = 0.0
        for j in range(min(kk, big_n)):
            topk[r, j] = idx[j]
