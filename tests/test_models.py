"""Models named by dotted path: only classes are ever called."""

from __future__ import annotations

import pytest

from dvclean.errors import ConfigError
from dvclean.valuation._models import make_model, make_regressor


@pytest.mark.parametrize("name", ["os.abort", "os.system", "os.path", "builtins.print"])
def test_a_dotted_path_to_anything_but_a_class_is_refused_without_calling_it(name, monkeypatch):
    import os

    called = []
    monkeypatch.setattr(os, "abort", lambda *a: called.append("abort"))
    monkeypatch.setattr(os, "system", lambda *a: called.append("system"))
    with pytest.raises(ConfigError, match="not a class"):
        make_model(name)
    with pytest.raises(ConfigError, match="regressor class"):
        make_regressor(name)
    assert called == []


def test_a_class_without_fit_is_refused_and_an_estimator_class_is_built_seeded():
    with pytest.raises(ConfigError, match="has no fit/predict"):
        make_model("collections.OrderedDict")
    m = make_model("sklearn.ensemble.RandomForestClassifier", seed=7)
    assert type(m).__name__ == "RandomForestClassifier" and m.random_state == 7
