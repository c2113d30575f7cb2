"""QA 45: cells of categorical rows judged by their own rows; classes too small for the models.

1. On all-categorical data, a cell of 20 identical rows of one label was collapsed into one record that weighed like one
   row: the models trained on a dozen records and judged each cell only by the others, and the neighbours never saw
   the cell as crowded. Every ``green, XL`` row of ``A if red or XL`` got ``neighbor_label`` B and a model probability
   near 0.5, and with 6 flips elsewhere the 20 correct rows of ``blue, XL`` were flagged beside them.
2. With 150 classes of 2 rows, the pooled probabilities were the forest's out-of-bag votes alone, and 10 rows were
   flagged, most of them nearer to their own classmate than to any row of another class.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import dvclean
from dvclean.flags import MIN_MODEL_CLASS_ROWS, record_copies, small_classes

COLORS, SIZES = ("red", "green", "blue"), ("S", "M", "L", "XL")


def _cells(flipped: dict[tuple[str, str], int] | None = None, per_cell: int = 20) -> tuple[pl.DataFrame, np.ndarray]:
    """12 cells of ``per_cell`` identical rows, label ``A if red or XL else B``; ``flipped[cell]`` rows of a cell
    carry the other label. Returns the frame and the mask of the flipped rows."""
    flipped = flipped or {}
    color, size, label, wrong = [], [], [], []
    for c in COLORS:
        for s in SIZES:
            right = "A" if c == "red" or s == "XL" else "B"
            for i in range(per_cell):
                flip = i < flipped.get((c, s), 0)
                color.append(c)
                size.append(s)
                label.append(("B" if right == "A" else "A") if flip else right)
                wrong.append(flip)
    return pl.DataFrame({"color": color, "size": size, "label": label}), np.array(wrong)


def test_a_pure_cell_of_identical_categorical_rows_is_judged_by_its_own_rows():
    frame, _ = _cells()
    r = dvclean.score(frame, label="label")
    f = r.frame
    assert not f["is_mislabeled"].any()
    # each row has 19 copies labelled as it is: the neighbours' majority is its own label (was B for the XL cells)
    assert (f["neighbor_label"] == f["label"]).all()
    # the label follows from the features exactly (was 0.44-0.56)
    assert f["model_label_prob"].min() > 0.8 and f["given_label_prob"].min() > 0.8
    estimates = r.summary["flags"]["count_estimates"]
    assert estimates["confident_model"] == 0  # was 140 of 240


def test_flips_in_mixed_cells_are_flagged_and_clean_cells_are_left_alone():
    frame, wrong = _cells({("blue", "M"): 3, ("red", "S"): 3})
    f = dvclean.score(frame, label="label").frame
    flagged = f["is_mislabeled"].to_numpy()
    assert (flagged == wrong).all(), (int(flagged.sum()), int((flagged & wrong).sum()))  # was 26: 20 of blue, XL
    xl = (frame["size"] == "XL").to_numpy()
    assert (f["neighbor_label"].to_numpy()[xl] == "A").all()


def test_record_copies_keeps_the_rows_of_a_discrete_cell_as_observations():
    # 4 cells of 5 rows of one label each, over two binary features: every row is an observation
    x = np.repeat(np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), 5, axis=0)
    y = np.repeat([0, 1, 1, 1], 5)
    assert record_copies(x, y) is None  # (was: 4 groups, one record per cell)
    # a continuous table written three times: cells of 3 rows of one label, but each row keeps values of its own,
    # so they are one record copied (a copy is no evidence for its own label)
    rng = np.random.default_rng(3)
    xc = rng.normal(size=(60, 3))
    yc = (xc[:, 0] > 0).astype(np.int64)
    groups = record_copies(np.vstack([xc, xc, xc]), np.concatenate([yc, yc, yc]))
    assert groups is not None and groups.max() + 1 == 60
    assert (groups[:60] == groups[60:120]).all() and (groups[:60] == groups[120:]).all()


def _classes(size: int, n_classes: int, seed: int, flips: int = 0) -> tuple[pl.DataFrame, np.ndarray]:
    """``n_classes`` tight classes of ``size`` rows in 4 features (within-class sd 0.3, centres sd 5), ``flips``
    labels moved to another class at random."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), size)
    x = rng.normal(size=(y.size, 4)) * 0.3 + np.repeat(rng.normal(size=(n_classes, 4)) * 5, size, axis=0)
    given, wrong = y.copy(), np.zeros(y.size, dtype=bool)
    if flips:
        at = rng.choice(y.size, flips, replace=False)
        given[at] = (y[at] + 1 + rng.integers(n_classes - 1, size=flips)) % n_classes
        wrong[at] = True
    frame = pl.DataFrame({**{f"f{i}": x[:, i] for i in range(4)}, "label": [f"k{v:03d}" for v in given]})
    return frame, wrong


def test_rows_of_two_row_classes_next_to_their_classmate_are_not_flagged():
    # the QA's pairs_gen.py 4: 150 classes of 2 rows; 10 rows were flagged (evidence weights OOB 1.00), 8 of them
    # nearer to their own classmate than to any row of another class, and `fix --action drop` emptied classes
    frame, _ = _classes(2, 150, seed=4)
    r = dvclean.score(frame, label="label")
    assert not r.frame["is_mislabeled"].any()


@pytest.mark.parametrize("size, seed", [(3, 5), (4, 5)])
def test_flipped_rows_of_small_classes_are_flagged_and_their_classmates_are_not(size, seed):
    # classes of 3 and 4: 32 and 24 rows were flagged for 15 flips (18 and 9 of them correct)
    frame, wrong = _classes(size, 300 // size, seed=seed, flips=15)
    flagged = dvclean.score(frame, label="label").frame["is_mislabeled"].to_numpy()
    assert not (flagged & ~wrong).any(), int((flagged & ~wrong).sum())
    assert (flagged & wrong).sum() >= 14


def test_small_classes_counts_rows_per_class():
    y = np.array([0] * MIN_MODEL_CLASS_ROWS + [1] * (MIN_MODEL_CLASS_ROWS - 1) + [3] * 2)
    assert small_classes(y, 4).tolist() == [False, True, False, True]
