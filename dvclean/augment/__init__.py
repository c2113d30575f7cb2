"""``dvclean augment``: targeted synthetic rows for the hardest points (Ferracci et al.).

Importing this package does not import SDV or torch; they are imported on the first
generator fit (:mod:`dvclean.augment._sdv` is the only module that imports SDV).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_attributes

if TYPE_CHECKING:  # at run time these load on first use (``__getattr__`` below): ``augment.config`` alone stays light
    from .config import GENERATORS, AugmentConfig, Target, parse_n_synthetic, parse_target
    from .core import (
        PROVENANCE,
        AugmentResult,
        RowScores,
        augment,
        default_augment_output,
        hard_mask,
        report_path_for,
        target_mask,
        write_augmented,
    )

__all__ = [
    "GENERATORS",
    "PROVENANCE",
    "AugmentConfig",
    "AugmentResult",
    "RowScores",
    "Target",
    "augment",
    "default_augment_output",
    "hard_mask",
    "parse_n_synthetic",
    "parse_target",
    "report_path_for",
    "target_mask",
    "write_augmented",
]

_CONFIG = {"GENERATORS", "AugmentConfig", "Target", "parse_n_synthetic", "parse_target"}
__getattr__, __dir__ = lazy_attributes(__name__, globals(), {n: "config" if n in _CONFIG else "core" for n in __all__})
