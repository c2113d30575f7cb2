"""Compiled kernel of exact KNN-Shapley for large inputs (numba).

For each validation row, sorts the players by float32 distance with a stable
three-pass LSD radix sort (ties broken by player index, exactly as
``numpy.argsort(kind="stable")`` on float32 would: the neighbour lists follow that
order) and computes the Jia et al. (2019) values with each group of equal distances
valued over its random orders (``_recursion`` in :mod:`dvclean.valuation.knn`),
adding each player's value into the accumulator of the row's lane (row
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
def knn_shapley_rows(gram, a_sq, b_sq, labels, yv, self_idx, k, lanes, acc, topk, snap, xa, xb, ha, hb):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Add the exact values of the validation rows into ``acc`` (lanes x n).

    The squared distance of validation row r to player j is
    ``(a_sq[r] + b_sq[j]) - 2 * gram[r, j]``, measured again as
    ``sum((xa[r] - xb[j])^2)`` (columns added in order) where it is at most ``snap``
    times ``a_sq[r] + b_sq[j]`` (rounding), or 0 there when the rows' hashes ``ha[r]``
    and ``hb[j]`` are equal (copies), the same expressions (and so the same float
    rounding) as the numpy path.
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
                norms = ar + b_sq[j]
                dd = norms - 2.0 * gram[r, j]
                if dd <= norms * snap:
                    dd = 0.0
                    for col in range(xa.shape[1] if ha[r] != hb[j] else 0):
                        diff = xa[r, col] - xb[j, col]
                        dd += diff * diff
                fbuf[j] = np.float32(dd)
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
            # tie groups (equal keys) from the farthest: each place p is worth c_p = min(K, p) / (p K) and
            # delta_p = c_p - c_{p-1}; see _recursion in knn.py for the value of a member of a group
            after = 0.0  # sum over the farther groups H of M_H * mean_H(delta)
            hi = big_n - 1
            while hi >= 0:
                lo = hi
                while lo > 0 and a_k[lo - 1] == a_k[hi]:
                    lo -= 1
                g = hi - lo + 1
                matches = 0.0
                csum = 0.0
                dsum = 0.0
                within = 0.0
                for j in range(lo, hi + 1):
                    p = j + 1
                    cp = min(k, p) / (p * k)
                    dp = cp - min(k, p - 1) / ((p - 1) * k) if p > 1 else 0.0
                    if labels[a_i[j]] == y:
                        matches += 1.0
                    csum += cp
                    dsum += dp
                    within += dp * (j - lo)
                mean_c = csum / g
                pair = within / (g * (g - 1)) if g > 1 else 0.0
                for j in range(lo, hi + 1):
                    m = 1.0 if labels[a_i[j]] == y else 0.0
                    acc[tid, a_i[j]] += m * mean_c + (matches - m) * pair + after
                after += dsum * matches / g
                hi = lo - 1
            for j in range(min(kk, big_n)):
                topk[r, j] = a_i[j]


@nb.njit(cache=True, nogil=True)
def truncated_on_points(ptr, points, dist, back, self_point, yv, count, keys, key_count, key_start, n_classes,  # type: ignore[no-untyped-def]  # pragma: no cover
                        kstar, n_rank, class_total, cpre, dpre, qpre, base, bonus, corr, far_all, far_label):
    """Add the truncated values of every validation row into ``base`` (per point), ``bonus`` (per point and
    label: ``keys[j] = point * n_classes + label`` counts ``key_count[j]`` rows) and ``corr`` (per validation row,
    leave-self-out: its own share taken back).

    Validation row t ranks the distinct points ``points[ptr[q]:ptr[q + 1]]`` (q = ``back[t]``) closest first;
    a point stands for its ``count`` rows (less t itself when it is t's point, ``self_point[t]``), equal
    distances form one tie group, and the groups whose first place is at most ``kstar`` are valued, as
    ``_recursion`` in :mod:`dvclean.valuation.knn` does (``cpre``, ``dpre``, ``qpre``: prefix sums over the
    places p of c_p, delta_p and p * delta_p). Every row of a point in group G gets the value of a non-matching
    member and the rows of the validation label the difference to a matching member's. A point's keys are
    ``keys[key_start[p]:key_start[p + 1]]`` (one per label among its rows).

    The players beyond the valued groups (the ``n_rank - L`` places after the L valued ones) are taken as one
    tie group of their known size and label count: it adds its term to the valued groups' values, and its own
    members' value (``A + B`` when matching, ``A`` otherwise) goes to every row through ``far_all`` (A summed
    over the validation rows) and ``far_label[c]`` (B summed over the rows of validation label c), less what
    the valued rows and the row itself were given that way (taken back in ``base``, ``bonus`` and ``corr``).
    """
    m_total = back.shape[0]
    longest = 0
    for q in range(ptr.shape[0] - 1):
        longest = max(longest, ptr[q + 1] - ptr[q])
    g_first = np.empty(longest + 1, np.int64)
    g_size = np.empty(longest + 1, np.int64)
    g_match = np.empty(longest + 1, np.float64)
    g_begin = np.empty(longest + 1, np.int64)
    e_point = np.empty(longest, np.int64)
    e_key = np.empty(longest, np.int64)
    for t in range(m_total):
        q = back[t]
        sp = self_point[t]
        y = yv[t]
        ng = 0
        ne = 0
        place = 0
        last_d = np.float32(0.0)
        for e in range(ptr[q], ptr[q + 1]):
            p = points[e]
            c = count[p]
            key = p * n_classes + y
            pos = -1
            for j in range(key_start[p], key_start[p + 1]):
                if keys[j] == key:
                    pos = j
                    break
            found = pos >= 0
            mc = key_count[pos] if found else 0
            if p == sp:
                c -= 1
                mc -= 1
            if c == 0:
                continue
            if ne == 0 or dist[e] != last_d:
                if place >= kstar:
                    break
                g_first[ng] = place + 1
                g_size[ng] = 0
                g_match[ng] = 0.0
                g_begin[ng] = ne
                ng += 1
            last_d = dist[e]
            g_size[ng - 1] += c
            g_match[ng - 1] += mc
            place += c
            e_point[ne] = p
            e_key[ne] = pos if found else -1
            ne += 1
        g_begin[ng] = ne
        far_a = 0.0
        far_b = 0.0
        after = 0.0
        rest = n_rank - place
        if rest > 0:
            got = 0.0
            for j in range(ng):
                got += g_match[j]
            m_rest = class_total[y] - (1.0 if sp >= 0 else 0.0) - got
            dsum = dpre[n_rank] - dpre[place]
            pair = ((qpre[n_rank] - qpre[place]) - (place + 1) * dsum) / (rest * (rest - 1)) if rest > 1 else 0.0
            far_a = m_rest * pair
            far_b = (cpre[n_rank] - cpre[place]) / rest - pair
            after = m_rest * dsum / rest
            far_all[0] += far_a
            far_label[y] += far_b
            if sp >= 0:  # the row itself is no player of its own ranking
                corr[t] -= far_a + far_b
        for j in range(ng - 1, -1, -1):
            a = g_first[j]
            g = g_size[j]
            b = a + g - 1
            matches = g_match[j]
            mean_c = (cpre[b] - cpre[a - 1]) / g
            dsum = dpre[b] - dpre[a - 1]
            pair = ((qpre[b] - qpre[a - 1]) - a * dsum) / (g * (g - 1)) if g > 1 else 0.0
            v_match = mean_c + (matches - 1.0) * pair + after
            v_non = matches * pair + after
            for e in range(g_begin[j], g_begin[j + 1]):
                p = e_point[e]
                base[p] += v_non - far_a
                if e_key[e] >= 0:
                    bonus[e_key[e]] += v_match - v_non - far_b
                if p == sp:
                    corr[t] += far_a + far_b - v_match
            after += dsum * matches / g
