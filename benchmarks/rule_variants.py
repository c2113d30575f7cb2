"""Variants of the default ``consensus`` mislabel rule, measured on the label-noise benchmark's cells.

Issue 6 asks for a default rule at least 5 F1 points above KNN-Shapley alone (the ``knn``
rule, ``benchmarks/RESULTS.md``). This script tries the principled ways to widen the gap,
on the same data, noise models and seeds as ``benchmarks/label_noise.py`` (its ``load`` and
``add_noise``; Adult and Taiwan from ``../shared/data`` or ``$DVCLEAN_SHARED_DATA``, and a requested data set
that cannot be loaded stops the run unless ``--skip-missing``), so that a variant is adopted or rejected by
measurement:

* ``consensus`` / ``knn``: the shipped rules (reference; ``consensus`` pools four signals,
  XGBoost, OOB forest, neighbour votes and logistic regression, with weights fitted by
  :func:`dvclean.flags.mixture_weights`);
* ``odds:<m>``: the shipped rule with ``MislabelConfig.min_odds = m`` (another class must be
  at least m times as probable as the given label; ``odds:1`` is the previous default,
  "the given label is not the most probable class"); the other variants keep the shipped 4/3;
* pooling: ``equal-3 (previous default)`` (equal weights, no linear signal), ``equal-4``
  (equal weights), ``stacked-3`` (fitted weights, no linear signal);
* score variants: ``rank-average`` (mean percentile of the four signals and KNN-Shapley
  instead of the probability mean), ``given-prob`` (1 - p(given label) only);
* more evidence: ``+knn15`` (out-of-fold 15-NN), ``+hgb`` (out-of-fold histogram gradient
  boosting) as a fifth signal, ``two-pass`` (the XGBoost out-of-fold model refitted without
  the first pass's flagged rows), ``knn-soft-validation`` (KNN-Shapley where each validation
  row's label is replaced by its pooled class distribution, so suspected wrong labels count
  less as judges);
* count variants (how many rows to flag): ``count:median-of-3 (previous default)`` (the
  median without the mixture model's count), ``count:cl`` (Confident Learning on the pooled
  probabilities alone), ``count:flip-mixture`` (the F1-optimal count of the mixture model,
  :func:`dvclean.flags.flip_mixture_count`, alone), ``count:mean`` (mean instead of median of
  the four estimates),
  ``count:trace`` (n (1 - trace Q)), ``count:2-means`` (the upper cluster of the score),
  ``count:expected-f1`` (the k maximising the expected F1 under q = 1 - p(given label);
  Nan et al., ICML 2012), ``count:flip-prob`` (the same with q = P(flipped | row) from
  inverting Confident Learning's noise matrix), and ``count:true`` (the true number of
  flipped rows: an oracle, to separate ranking from counting);
* session 22's signals (``RESULTS_RULES.md``, none adopted): ``repeated-cv`` (XGBoost and logistic
  regression averaged over 3 fold partitions), ``supervised-knn`` / ``supervised-knn:weighted`` /
  ``+supervised-knn`` (the neighbours' vote by out-of-bag random-forest proximity: instead of the
  vote, every row weighted, or as a fifth signal), ``+trust`` / ``trust-for-knn`` (Jiang et al.'s
  trust score, NeurIPS 2018, as a fifth signal or instead of the vote); ``--variants a,b`` computes
  only those of session 22's (besides ``consensus`` and ``knn``; an unknown name is refused),
  ``--dump FILE`` writes every cell's numbers as JSON;
* ``oracle:clean-trained``: the XGBoost and logistic-regression signals trained on the labels
  *before* the flips (out of fold), the others as shipped — how much a model that the wrong
  labels did not mislead could add.

Usage::

    python benchmarks/rule_variants.py                 # all cells, 3 seeds (about 5 minutes on 2 cores)
    python benchmarks/rule_variants.py --quick         # one seed
    python benchmarks/rule_variants.py --write benchmarks/RESULTS_RULES.md
    python benchmarks/rule_variants.py --datasets adult,taiwan,breast_cancer,digits,wine,iris,fair,anes96

Never part of the tests.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import label_noise as bench  # noqa: E402 - the benchmark's data and noise


def _oof(x: np.ndarray, y: np.ndarray, c: int, seed: int, model: str, train_mask: np.ndarray | None = None,
         repeats: int = 1) -> np.ndarray:
    """Out-of-fold probabilities with dvclean's folds, optionally training on ``train_mask`` rows only;
    ``repeats > 1``: the mean over that many fold partitions, the first the shipped one (``seed``), the others
    seeded by ``SeedSequence(seed).spawn`` (repeated cross-validation)."""
    if repeats > 1:
        from dvclean.valuation._crossfit import fold_seeds

        extra = [int(s) for s in fold_seeds(seed, repeats + 5)[5:5 + repeats - 1]]  # distinct from the fold seeds
        return np.mean([_oof(x, y, c, s, model, train_mask) for s in [seed, *extra]], axis=0)
    from dvclean.valuation._crossfit import fold_seeds, stratified_folds
    from dvclean.valuation._models import _compact, _proba, _Remapped, fit_quietly, make_model

    folds, seeds = stratified_folds(y, 5, seed), fold_seeds(seed, 5)
    out = np.zeros((y.shape[0], c))
    for f in range(5):
        test = folds == f
        train = ~test if train_mask is None else ~test & train_mask
        present = np.unique(y[train])
        if model == "knn15":
            from sklearn.neighbors import KNeighborsClassifier

            m = fit_quietly(KNeighborsClassifier(15), x[train], _compact(y[train]))
        else:
            m = fit_quietly(make_model(model, seed=seeds[f], n_classes=present.size), x[train], _compact(y[train]))
        out[test] = _proba(_Remapped(m, present), x[test], c)
    return out


def _oob_proximity(x: np.ndarray, y: np.ndarray, n_trees: int, seed: int) -> np.ndarray:
    """Out-of-bag random-forest proximity: ``P[i, j]`` = share of the trees with row ``i`` out of bag in which
    ``j`` falls in ``i``'s leaf (the forest of :func:`dvclean.valuation.oob.data_oob`, refitted with the same bags
    and tree seeds; ``i``'s own label shaped none of those trees). Dense, the diagonal 0."""
    from scipy import sparse

    from dvclean.valuation.oob import bag_seeds, bootstrap_indices, make_tree

    n = x.shape[0]
    a_blocks, b_blocks = [], []
    for s in bag_seeds(seed, n_trees):
        idx = bootstrap_indices(n, s)
        leaf = make_tree("classification", "sqrt", s).fit(x[idx], y[idx]).apply(x)
        leaf = np.unique(leaf, return_inverse=True)[1].ravel()
        member = sparse.csr_matrix((np.ones(n), (np.arange(n), leaf)), shape=(n, int(leaf.max()) + 1))
        oob = (np.bincount(idx, minlength=n) == 0).astype(np.float64)
        a_blocks.append(sparse.diags(oob) @ member)
        b_blocks.append(member)
    a, b = sparse.hstack(a_blocks).tocsr(), sparse.hstack(b_blocks).tocsr()
    count = np.asarray(a.sum(axis=1)).ravel()
    prox = (a @ b.T).toarray() / np.maximum(count, 1)[:, None]
    np.fill_diagonal(prox, 0.0)
    return prox


def _proximity_votes(y: np.ndarray, prox: np.ndarray, c: int, k: int | None, x: np.ndarray) -> np.ndarray:
    """Label fractions among the ``k`` rows of highest OOB proximity (ties by Euclidean distance); ``k=None``:
    every row's label weighted by its proximity."""
    n = y.shape[0]
    onehot = np.eye(c)[y]
    if k is None:
        w = prox @ onehot
        tot = w.sum(axis=1, keepdims=True)
        return np.where(tot > 0, w / np.maximum(tot, 1e-12), 1.0 / c)
    sq = (x * x).sum(axis=1)
    d = sq[:, None] + sq[None, :] - 2 * x @ x.T
    d[np.arange(n), np.arange(n)] = np.inf
    key = prox - 1e-9 * d / max(float(np.max(d[np.isfinite(d)])), 1e-12)  # proximity first, distance breaks ties
    key[np.arange(n), np.arange(n)] = -np.inf
    nb = np.argpartition(-key, k, axis=1)[:, :k]
    return onehot[nb].mean(axis=1)


def _trust_probabilities(x: np.ndarray, y: np.ndarray, c: int, k: int = 10, alpha: float = 0.1) -> np.ndarray:
    """Class probabilities from the trust score (Jiang, Kim, Guan & Gupta, NeurIPS 2018): each class's rows are
    cut to their high-density part (the ``alpha`` share with the largest distance to their ``k``-th nearest
    same-label row removed -- a flipped row sits among another class's rows and is the first to go); a row's
    probability of class j is proportional to ``1 / d(x, H_j)`` (its distance to the nearest kept row of j,
    itself excluded, so its own label never counts)."""
    n = y.shape[0]
    sq = (x * x).sum(axis=1)
    d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0))
    d[np.arange(n), np.arange(n)] = np.inf
    dist = np.full((n, c), np.inf)
    for j in range(c):
        mine = np.flatnonzero(y == j)
        if mine.size == 0:
            continue
        kk = min(k, mine.size - 1)
        if kk >= 1:
            radius = np.sort(d[np.ix_(mine, mine)], axis=1)[:, kk - 1]
            keep = mine[radius <= np.quantile(radius, 1 - alpha)]
        else:
            keep = mine
        dist[:, j] = d[:, keep].min(axis=1)
    inv = 1.0 / np.maximum(dist, 1e-9)
    inv[~np.isfinite(dist)] = 0.0
    return inv / inv.sum(axis=1, keepdims=True)


def _f1(flipped: np.ndarray, flagged: np.ndarray) -> float:
    tp = int((flipped & flagged).sum())
    p, r = tp / max(1, int(flagged.sum())), tp / max(1, int(flipped.sum()))
    return 2 * p * r / (p + r) if p + r else 0.0


def _knn_soft_validation(x: np.ndarray, y: np.ndarray, target: np.ndarray, k: int) -> np.ndarray:
    """Leave-self-out KNN-Shapley where validation row j counts a player i as correct with probability
    ``target[j, y_i]`` (the recursion is linear in the match indicator); ``target = onehot(y)`` is the
    ordinary value. Dense: for the benchmark's <= 2000 rows only."""
    from dvclean.valuation.knn import _recursion, _sq_dist

    n = y.shape[0]
    d = _sq_dist(x, x, (x * x).sum(axis=1))
    d[np.arange(n), np.arange(n)] = np.inf
    order = np.argsort(d.astype(np.float32), axis=1, kind="stable")[:, :-1]
    s = _recursion(target[np.arange(n)[:, None], y[order]], k, n - 1)
    return np.bincount(order.ravel(), weights=s.ravel(), minlength=n) / n


def _flip_probability(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """P(label was flipped | row): invert the noise matrix of Confident Learning's calibrated joint."""
    from dvclean.flags import calibrated_joint

    q = calibrated_joint(p, y)  # Q[given, true]
    col = q.sum(axis=0)
    t = np.where(col[:, None] > 0, q.T / np.maximum(col[:, None], 1e-12), np.eye(q.shape[0]))
    t /= t.sum(axis=1, keepdims=True)  # t[k, j] = P(given j | true k)
    try:
        clean = p @ np.linalg.inv(t)
    except np.linalg.LinAlgError:
        clean = p.copy()
    clean = np.clip(clean, 0, None)
    clean /= np.maximum(clean.sum(axis=1, keepdims=True), 1e-12)
    rows = np.arange(y.shape[0])
    noisy = clean @ t
    return np.clip(1 - t[y, y] * clean[rows, y] / np.maximum(noisy[rows, y], 1e-12), 0, 1)


#: the variants ``--variants`` can select (the others run only without ``--variants``)
SELECTABLE = ("repeated-cv", "repeated-cv+oob600", "supervised-knn", "supervised-knn:weighted", "+supervised-knn",
              "+trust", "trust-for-knn")
#: ``--variants a,b``: compute only these (besides ``consensus`` and ``knn``); ``None``: all.
ONLY: set[str] | None = None
#: Seconds spent computing each new variant's extra signals, summed over the cells.
TIMES: dict[str, float] = {}


def want(name: str) -> bool:
    return ONLY is None or name in ONLY


def cell_variants(name: str, noise: str, seed: int, rows: int) -> dict[str, tuple[float, float, float]]:
    """(F1, AUROC, flagged / true) of every variant on one cell (those of ``--variants`` only)."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import roc_auc_score

    from dvclean.config import FeatureConfig, FlagPolicy, KNNConfig, MislabelConfig
    from dvclean.flags import (
        Evidence,
        _knn_rule,
        _percentile_from_bottom,
        confident_issues,
        estimated_errors,
        flag_rows,
        flip_mixture_count,
        mixture_weights,
        neighbor_fractions,
        neighbor_votes,
        share_copies,
        top_fraction,
    )
    from dvclean.table import ValuationData, make_table, prepare
    from dvclean.valuation.knn import KNNShapley
    from dvclean.valuation.oob import data_oob

    df, label = bench.load(name, rows, seed)
    clean, _, _ = prepare(make_table(df, label=label), config=FeatureConfig())
    y, flipped = bench.add_noise(clean.y, noise, seed)
    x, c, n = clean.x, len(clean.classes), y.shape[0]
    rows_ = np.arange(n)
    t_ship = time.perf_counter()
    knn = KNNShapley(KNNConfig()).value(ValuationData(x=x, y=y, rows=clean.rows, classes=clean.classes), seed=seed)
    v, nb = knn.values, knn.neighbors
    model = _oof(x, y, c, seed, "xgboost")
    oob = data_oob(x, y, n_classes=c, n_estimators=MislabelConfig().oob_trees, seed=seed).votes
    knnp = neighbor_fractions(y, nb, c)
    linear = _oof(x, y, c, seed, "logreg")
    TIMES["shipped signals (reference)"] = TIMES.get("shipped signals (reference)", 0.0) + time.perf_counter() - t_ship
    ev = share_copies(Evidence(model=model, oob=oob, neighbors=knnp, knn_values=v, linear=linear), x, y)  # as shipped
    model, oob, knnp, linear = ev.model, ev.oob, ev.neighbors, ev.linear
    policy = FlagPolicy()
    base = flag_rows(v, y, nb, c, policy, evidence=ev)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {"consensus": (base.mislabel_score, base.is_mislabeled)}
    kf = flag_rows(v, y, nb, c, policy, evidence=ev, mislabel=MislabelConfig(rule="knn"))
    out["knn"] = (kf.mislabel_score, kf.is_mislabeled)

    maj, dis = neighbor_votes(y, nb, c)
    knn_flags = _knn_rule(v, dis, policy, maj, y)
    kq = _percentile_from_bottom(v)

    def pool(signals: list[np.ndarray], stacked: bool = True) -> np.ndarray:
        if not stacked:
            return np.mean(signals, axis=0)
        w = mixture_weights({str(i): s for i, s in enumerate(signals)}, y)
        return np.tensordot(np.array(list(w.values())), np.stack(signals), axes=1)

    odds = MislabelConfig().min_odds

    def consensus(signals: list[np.ndarray], score: np.ndarray | None = None, count: float | None = None,
                  stacked: bool = True, knn_q: np.ndarray = kq) -> tuple:
        p = pool(signals, stacked)
        s = np.clip(0.5 * (1 - p[rows_, y]) + 0.5 * (1 - knn_q), 0, 1) if score is None else score
        if count is None:
            count = float(np.median([knn_flags.sum(), confident_issues(p, y).sum(), confident_issues(model, y).sum(),
                                     flip_mixture_count(p, y)[1]]))
        other = p.copy()
        other[rows_, y] = -1.0
        return s, (top_fraction(s, count / n) | knn_flags) & (other.max(axis=1) > odds * p[rows_, y])

    four = [model, oob, knnp, linear]
    if ONLY is None:
        for m in (1.0, 1.2, 1.5, 2.0):  # how much more probable another class must be (shipped: min_odds = 4/3)
            f = flag_rows(v, y, nb, c, policy, evidence=ev, mislabel=MislabelConfig(min_odds=m))
            out[f"odds:{m:g}" + (" (previous default)" if m == 1 else "")] = (f.mislabel_score, f.is_mislabeled)
        four = [model, oob, knnp, linear]
        three = four[:3]
        out["equal-3 (previous default)"] = consensus(three, stacked=False)
        out["equal-4"] = consensus(four, stacked=False)
        out["stacked-3"] = consensus(three)
        pct = _percentile_from_bottom
        proba = pool(four)
        out["rank-average"] = consensus(four, score=1 - (pct(model[rows_, y]) + pct(oob[rows_, y])
                                                         + pct(linear[rows_, y]) + kq) / 4)
        out["given-prob"] = consensus(four, score=1 - proba[rows_, y])
        out["+knn15"] = consensus(four + [_oof(x, y, c, seed, "knn15")])
        out["+hgb"] = consensus(four + [_oof(x, y, c, seed, "hgb")])
        second = _oof(x, y, c, seed, "xgboost", train_mask=~base.is_mislabeled)
        out["two-pass"] = consensus([second, oob, knnp, linear])
        out["knn-soft-validation"] = consensus(four, knn_q=pct(_knn_soft_validation(x, y, proba, KNNConfig().k)))
        score = base.mislabel_score
        estimates = [knn_flags.sum(), confident_issues(proba, y).sum(), confident_issues(model, y).sum(),
                     flip_mixture_count(proba, y)[1]]
        out["count:median-of-3 (previous default)"] = consensus(four, count=float(np.median(estimates[:3])))
        out["count:cl"] = consensus(four, count=float(estimates[1]))
        out["count:flip-mixture"] = consensus(four, count=float(estimates[3]))
        out["count:mean"] = consensus(four, count=float(np.mean(estimates)))
        out["count:trace"] = consensus(four, count=float(estimated_errors(proba, y)))
        km = KMeans(2, n_init=10, random_state=0).fit(score.reshape(-1, 1))
        out["count:2-means"] = consensus(four, count=float((km.labels_ == int(np.argmax(km.cluster_centers_))).sum()))
        order = np.argsort(-score, kind="stable")
        for tag, q in (("expected-f1", 1 - proba[rows_, y]), ("flip-prob", _flip_probability(proba, y))):
            k_best = int(np.argmax(2 * np.cumsum(q[order]) / (np.arange(1, n + 1) + q.sum()))) + 1
            out[f"count:{tag}"] = consensus(four, count=float(k_best))
        out["count:true"] = consensus(four, count=float(flipped.sum()))
        # oracle: XGBoost and logistic regression trained on the labels before the flips (the ranking's headroom)
        out["oracle:clean-trained"] = consensus([_oof(x, clean.y, c, seed, "xgboost"), oob, knnp, _oof(x, clean.y, c, seed, "logreg")])
    # --- issue 6, session qa24_A: new ideas
    t = time.perf_counter()
    if want("repeated-cv") or want("repeated-cv+oob600"):  # XGBoost and logistic regression averaged over 3 fold partitions
        rx, rl = (share_copies(Evidence(model=_oof(x, y, c, seed, m, repeats=3)), x, y).model for m in ("xgboost", "logreg"))
        out["repeated-cv"] = consensus([rx, oob, knnp, rl])
        TIMES["repeated-cv"] = TIMES.get("repeated-cv", 0.0) + time.perf_counter() - t
        t = time.perf_counter()
        if want("repeated-cv+oob600"):  # and the forest 3x as large
            ro = share_copies(Evidence(oob=data_oob(x, y, n_classes=c, n_estimators=3 * MislabelConfig().oob_trees,
                                                    seed=seed).votes), x, y).oob
            out["repeated-cv+oob600"] = consensus([rx, ro, knnp, rl])
            TIMES["oob600 (on top of repeated-cv)"] = TIMES.get("oob600 (on top of repeated-cv)", 0.0) + time.perf_counter() - t
    t = time.perf_counter()
    if any(want(v) for v in ("supervised-knn", "supervised-knn:weighted", "+supervised-knn")):
        prox = _oob_proximity(x, y, MislabelConfig().oob_trees, seed)
        sk = share_copies(Evidence(neighbors=_proximity_votes(y, prox, c, KNNConfig().k, x)), x, y).neighbors
        sw = share_copies(Evidence(neighbors=_proximity_votes(y, prox, c, None, x)), x, y).neighbors
        out["supervised-knn"] = consensus([model, oob, sk, linear])
        out["supervised-knn:weighted"] = consensus([model, oob, sw, linear])
        out["+supervised-knn"] = consensus(four + [sk])
        if want("repeated-cv"):  # both ideas together
            out["repeated-cv & +supervised-knn"] = consensus([rx, oob, knnp, rl, sk])
        TIMES["supervised-knn"] = TIMES.get("supervised-knn", 0.0) + time.perf_counter() - t
    t = time.perf_counter()
    if want("+trust") or want("trust-for-knn"):
        tp = share_copies(Evidence(neighbors=_trust_probabilities(x, y, c)), x, y).neighbors
        out["+trust"] = consensus(four + [tp])
        out["trust-for-knn"] = consensus([model, oob, tp, linear])
        TIMES["trust"] = TIMES.get("trust", 0.0) + time.perf_counter() - t
    if ONLY is not None:  # the replica of the shipped rule the variants are built on must match it
        assert (consensus(four)[1] == base.is_mislabeled).all(), "consensus replica differs from flag_rows"
    return {k: (_f1(flipped, f), roc_auc_score(flipped, s), f.sum() / max(1, flipped.sum())) for k, (s, f) in out.items()}


def _variant_names(text: str) -> set[str]:
    """``--variants``: comma-separated names of :data:`SELECTABLE` (or the always computed ``consensus``, ``knn``)."""
    names = {v.strip() for v in text.split(",") if v.strip()}
    unknown = sorted(names - set(SELECTABLE) - {"consensus", "knn"})
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            (f"unknown variant(s) {', '.join(map(repr, unknown))}; " if unknown else "no variant named; ")
            + f"the ones --variants can select are {', '.join(SELECTABLE)} (consensus and knn always run; "
            "without --variants every variant runs)")
    return names


def _options(ap: argparse.ArgumentParser) -> None:
    """This script's options besides the benchmark's cell options."""
    ap.add_argument("--variants", type=_variant_names, metavar="A,B",
                    help="compute only these variants besides consensus and knn (comma-separated, of "
                         f"{', '.join(SELECTABLE)}); default: every variant")
    ap.add_argument("--dump", type=Path, metavar="FILE",
                    help="also write every cell's per-seed (F1, AUROC, flagged / true) of every variant as JSON")


def main(argv: list[str] | None = None) -> int:
    global ONLY
    argv = list(sys.argv[1:] if argv is None else argv)
    args, seeds = bench.parse_cell_args(__doc__, argv, extra=_options)
    ONLY, dump = args.variants, args.dump
    if dump is not None and (dump.is_dir() or not dump.parent.is_dir()):
        raise SystemExit(f"--dump {dump}: " + ("is a directory" if dump.is_dir()
                                               else f"no directory {str(dump.parent)!r}"))
    t0 = time.perf_counter()
    per: dict[str, dict[str, list[tuple[float, float, float]]]] = {}
    for cell, runs in bench.each_cell(args, seeds, cell_variants):
        for variants in runs:
            for k, val in variants.items():
                per.setdefault(k, {}).setdefault(cell, []).append(val)
    if dump is not None:
        import json

        dump.write_text(json.dumps(per), encoding="utf-8")
    ref = per["knn"]
    cmd = shlex.join(["python", "benchmarks/rule_variants.py", *argv])
    groups = {"all": lambda cell: True}
    if any(c.split()[0] in bench.HELDOUT for c in ref) and not all(c.split()[0] in bench.HELDOUT for c in ref):
        groups["chosen on"] = lambda cell: cell.split()[0] not in bench.HELDOUT
        groups["held out"] = lambda cell: cell.split()[0] in bench.HELDOUT
    lines = [f"Command: `{cmd}` ({(time.perf_counter() - t0) / 60:.1f} minutes; {len(ref)} cells x {len(seeds)} seeds).",
             "", "Mean F1 over cells, and its difference from the `knn` rule's in F1 points"
             + (f"; `chosen on`: the five data sets every earlier choice was made on, `held out`: {', '.join(bench.HELDOUT)}"
                if len(groups) > 1 else "") + ".", "",
             "| variant | " + " | ".join(f"F1 {g} | vs knn" for g in groups) + " | mean AUROC | flagged / true |",
             "|---|" + "---|---|" * len(groups) + "---|---|"]

    def mean_f1(cells: dict[str, list[tuple[float, float, float]]], keep) -> float:  # noqa: ANN001
        return float(np.mean([np.mean([x[0] for x in v]) for c, v in cells.items() if keep(c)]))

    for k, cells in per.items():
        parts = [f"{mean_f1(cells, g):.4f} | {100 * (mean_f1(cells, g) - mean_f1(ref, g)):+.1f}" for g in groups.values()]
        auc = np.mean([np.mean([x[1] for x in v]) for v in cells.values()])
        ratio = np.mean([np.mean([x[2] for x in v]) for v in cells.values()])
        lines.append(f"| {k} | {' | '.join(parts)} | {auc:.4f} | {ratio:.2f} |")
    if TIMES:
        lines += ["", "Extra seconds for the new variants' signals (all cells and seeds): "
                  + ", ".join(f"{k} {v:.0f}" for k, v in TIMES.items())]
    bench.emit("Variants of the consensus mislabel rule", "\n".join(lines), args.write, args.skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main())
