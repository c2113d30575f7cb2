"""``dvclean augment``: targeted synthetic rows for the hardest points (Ferracci et al.).

Importing this package does not import SDV or torch; they are imported on the first
generator fit (:mod:`dvclean.augment._sdv` is the only module that imports SDV).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:  # PEP 562
    import importlib

    if name in __all__:
        value = getattr(importlib.import_module(f"{__name__}.{'config' if name in _CONFIG else 'core'}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
