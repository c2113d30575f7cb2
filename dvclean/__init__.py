"""dvclean: value every row of a tabular data set, flag bad rows, fix the data.

The public API is what ``__all__`` lists here, plus these submodules, each with what its own
``__all__`` lists (after ``import dvclean``, ``dvclean.check``, ``.fix``, ``.augment``, ``.report``,
``.config`` and ``.valuation`` are reachable as attributes; ``dvclean.report.formats`` needs its
own import):

* :mod:`dvclean.check`: the CI gate, ``evaluate_check(result, CheckPolicy(...))`` and
  ``CheckOutcome``; :mod:`dvclean.report.formats` renders an outcome (text, Markdown, GitHub,
  JUnit XML) and :mod:`dvclean.report` writes the HTML report.
* :mod:`dvclean.fix`: ``fix(data, label=..., config=FixConfig(...))`` and ``write_fixed``.
* :mod:`dvclean.augment`: ``augment(data, label=..., config=AugmentConfig(...))`` and
  ``write_augmented`` (fitting a generator needs the ``augment`` extra: SDV).
* :mod:`dvclean.config`: the settings classes (``ScoreConfig``, ``FixConfig``, ``TMCConfig``, ...).
* :mod:`dvclean.valuation`: the method registry and valuers; :mod:`dvclean.valuation.tmc` holds
  ``TMCShapley`` and ``tmc_shapley``.

Modules whose names start with an underscore (such as ``dvclean.valuation._checkpoint``), the
``dvclean.cli`` package and names outside an ``__all__`` are private and may change.

Examples
--------
>>> import dvclean, polars as pl
>>> df = pl.DataFrame({"x": [0.0, 0.1, 0.2, 5.0, 5.1, 0.15], "y": [0, 0, 0, 1, 1, 1]})
>>> r = dvclean.score(df, label="y")
>>> r.frame.columns[:3]
['row_id', 'label', 'value']
"""

from __future__ import annotations

from ._lazy import lazy_attributes
from ._version import __version__

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (it is not loaded yet at start-up)

if TYPE_CHECKING:  # for type checkers and IDEs; at run time these load on first use (``__getattr__`` below)
    from .config import FeatureConfig, FlagPolicy, KNNConfig, ScoreConfig
    from .errors import (
        ConfigError,
        DataValidationError,
        DvcleanError,
        InputError,
        OutputError,
        ValuationError,
    )
    from .io import read_frame, write_table
    from .pipeline import ScoreResult, default_output_path, score, write_scores
    from .table import Table, ValuationData, make_table, prepare
    from .valuation import REGISTRY, KNNShapley, ValuationResult

__all__ = [
    "REGISTRY",
    "ConfigError",
    "DataValidationError",
    "DvcleanError",
    "FeatureConfig",
    "FlagPolicy",
    "InputError",
    "KNNConfig",
    "KNNShapley",
    "OutputError",
    "ScoreConfig",
    "ScoreResult",
    "Table",
    "ValuationData",
    "ValuationError",
    "ValuationResult",
    "__version__",
    "default_output_path",
    "make_table",
    "prepare",
    "read_frame",
    "score",
    "write_scores",
    "write_table",
]

#: Where each name of ``__all__`` lives. They are imported on first use, so that ``import dvclean`` (and the
#: command line's entry point, which installs its Ctrl-C handling first) does not wait for numpy, polars,
#: scikit-learn and scipy to load.
_LAZY = {
    "FeatureConfig": "config", "FlagPolicy": "config", "KNNConfig": "config", "ScoreConfig": "config",
    "ConfigError": "errors", "DataValidationError": "errors", "DvcleanError": "errors", "InputError": "errors",
    "OutputError": "errors", "ValuationError": "errors",
    "read_frame": "io", "write_table": "io",
    "ScoreResult": "pipeline", "default_output_path": "pipeline", "score": "pipeline", "write_scores": "pipeline",
    "Table": "table", "ValuationData": "table", "make_table": "table", "prepare": "table",
    "REGISTRY": "valuation", "KNNShapley": "valuation", "ValuationResult": "valuation",
}

#: Submodules that ``import dvclean`` makes reachable as attributes (imported on first use: ``augment``
#: needs the optional SDV stack, the others pull in models and templates).
_SUBMODULES = ("augment", "check", "config", "diagnostics", "errors", "fix", "flags", "io", "pipeline", "report",
               "table", "valuation")


# PEP 562: dvclean.score(...), dvclean.fix.fix(...) after a bare `import dvclean`
__getattr__, __dir__ = lazy_attributes(__name__, globals(), _LAZY, _SUBMODULES)
