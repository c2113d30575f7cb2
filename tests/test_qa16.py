"""Defects found in the sixteenth QA round (and fixed), one test each."""

from __future__ import annotations

from dvclean.augment import augment
from dvclean.config import ScoreConfig

from .conftest import needs_sdv
from .test_augment_followups import fast, scores_of, text_classes


@needs_sdv
def test_augment_names_the_method_of_a_scores_file_and_no_knn_k_for_another_method(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text(text_classes())
    oob = scores_of(tmp_path, data, "oob.parquet", label="label", config=ScoreConfig(methods=("oob",)))
    r = augment(str(data), label="label", scores=oob, config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "oob" and r.report["scores"]["source"].endswith("(oob)")
    assert r.report["config"]["k"] is None  # was the footer's knn.k, a K that valued nothing
    knn = scores_of(tmp_path, data, "knn.parquet", label="label", config=ScoreConfig(seed=0))
    r = augment(str(data), label="label", scores=knn, config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "knn" and r.report["config"]["k"] == 5
    r = augment(str(data), label="label", config=fast(n_synthetic="10"))
    assert r.report["scores"]["method"] == "knn" and r.report["scores"]["source"] == "computed (knn)"
