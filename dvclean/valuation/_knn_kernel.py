"""Compiled kernel of exact KNN-Shapley for large inputs (numba).

For each validation row, sorts the players by float32 distance with a stable
three-pass LSD radix sort (ties broken by player index, exactly as
``numpy.argsort(kind="stable")`` on float32 would) and runs the Jia et al. (2019)
recursion, adding each player's value into the accumulator of the row's lane (row
``r`` goes to lane ``r % lanes``). Lanes run on parallel threads, each with its own
buffers, so no (rows x players) matrix of values is ever built. The number of lanes
is fixed by the caller, not by the thread count, and each lane adds its rows in
order, so the sums, and the values, are bit-identical on any number of cores. It is
numerically the same computation as the numpy path in :mod:`dvclean.valuation.knn`;
a test checks the two agree.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(parallel=True, cache=True, nogil=True)
def knn_shapley_rows(gram, a_sq, b_sq, labels, yv, self_idx, k, lanes, acc, topk):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add the exact values of the validation rows into ``acc`` (lanes x n).

    The squared distance of validation row r to player j is
    ``max(0, (a_sq[r] + b_sq[j]) - 2 * gram[r, j])``, the same expression (and so
    the same float rounding) as the numpy path.
    """
    c, n = gram.shape
    kk = topk.shape[1]
    for tid in nb.prange(lanes):
        fbuf = np.empty(n, np.float32)
        keys = fbuf.view(np.uint32)
        idx = np.empty(n, np.int64)
        k2 = np.empty(n, np.uint32)
        i2 = np.empty(n, np.int64)
        cnt = np.empty(2049, np.int64)
        for r in range(tid, c, lanes):
            ar = a_sq[r]
            for j in range(n):
                dd = (ar + b_sq[j]) - 2.0 * gram[r, j]
                fbuf[j] = np.float32(dd if dd > 0.0 else 0.0)
                idx[j] = j
            if self_idx[r] >= 0:
                keys[self_idx[r]] = np.uint32(0xFFFFFFFF)
            a_k, a_i, b_k, b_i = keys, idx, k2, i2
            # each pass leaves its output in the b buffers; swapping keeps a_* the sorted data
            for p in range(3):
                shift = 11 * p
                cnt[:] = 0
                for j in range(n):
                    cnt[((a_k[j] >> shift) & 2047) + 1] += 1
                for b in range(2048):
                    cnt[b + 1] += cnt[b]
                for j in range(n):
                    b = (a_k[j] >> shift) & 2047
                    pos = cnt[b]
                    cnt[b] = pos + 1
                    b_k[pos] = a_k[j]
                    b_i[pos] = a_i[j]
                a_k, b_k = b_k, a_k
                a_i, b_i = b_i, a_i
            big_n = n - 1 if self_idx[r] >= 0 else n
            y = yv[r]
            mnext = 1.0 if labels[a_i[big_n - 1]] == y else 0.0
            s = mnext * (min(k, big_n) / (big_n * k))  # 1/N when K <= N (as the numpy path's _recursion)
            acc[tid, a_i[big_n - 1]] += s
            for i in range(big_n - 1, 0, -1):
                m = 1.0 if labels[a_i[i - 1]] == y else 0.0
                s = s + (m - mnext) * (min(k, i) / (i * k))
                acc[tid, a_i[i - 1]] += s
                mnext = m
            for j in range(min(kk, big_n)):
                topk[r, j] = a_i[j]
