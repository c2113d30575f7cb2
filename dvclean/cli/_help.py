"""How ``--help`` shows the options' values and the usage line's arguments (typer's defaults, corrected).

Typer (0.29) prints a value type after every option, flags included (``--debug <bool>``, ``-v <int>`` for a
count), ``<list[str]>`` for a repeatable option (which takes one value per use), and ``{data}`` for a required
argument in the usage line (read as a choice set). :func:`install` makes flags and counts show no value,
repeatable options ``<str> (repeatable)``, a variadic argument ``data... <str>``, and arguments ``DATA`` /
``[DATA]`` in the usage line.
"""

from __future__ import annotations

from typing import Any

import typer.core

_ORIGINAL_DISPLAY = typer.core.TyperOption.display_type_rich
_ORIGINAL_ARGUMENT_DISPLAY = typer.core.TyperArgument.display_type_rich


def _element(shown: str) -> str:
    """``<list[str]>`` -> ``<str>`` (the type of one value)."""
    return f"<{shown[len('<list['):-len(']>')]}>" if shown.startswith("<list[") and shown.endswith("]>") else shown


def _display_type_rich(self: Any, ctx: Any) -> str | None:
    if self.is_flag or self.count:  # `--debug`, `-v`/`-vv`: no value follows
        return None
    shown = _ORIGINAL_DISPLAY(self, ctx)
    if self.multiple and self.metavar is None and shown:  # `--drop a --drop b`, not `--drop a,b` nor `--drop a b`
        return f"{_element(shown)} (repeatable)"
    return shown


def _argument_display_type_rich(self: Any, ctx: Any) -> str | None:
    shown = _ORIGINAL_ARGUMENT_DISPLAY(self, ctx)
    return _element(shown) if shown and self.nargs != 1 else shown  # `data... <str>`: the name says "several"


def _usage_display_name(self: Any) -> str:
    name = self.metavar if self.metavar is not None else (self.name or "").upper()
    name = name if self.required else f"[{name}]"
    return name + ("..." if self.nargs != 1 else "")


def install() -> None:
    """Apply the corrections (idempotent)."""
    typer.core.TyperOption.display_type_rich = _display_type_rich  # type: ignore[method-assign]
    typer.core.TyperArgument.display_type_rich = _argument_display_type_rich  # type: ignore[method-assign]
    typer.core.TyperArgument._usage_display_name = _usage_display_name  # type: ignore[method-assign]
