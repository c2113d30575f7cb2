"""PEP 562 lazy attributes for dvclean's packages: a public name is imported from its submodule on first use, so
that importing a package (``dvclean``, ``dvclean.augment``, ``dvclean.report``) stays light: ``dvclean --help``
does not import the valuers, SDV's wrapper or the report builder."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_attributes(
    package: str, namespace: dict[str, Any], where: Mapping[str, str], submodules: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package``: ``where[name]`` names the submodule that defines ``name``, whose
    value is bound in ``namespace`` (the package's globals) on first use, so later lookups skip the function;
    ``submodules`` are imported on first use.

    >>> ns: dict[str, Any] = {}
    >>> get, names = lazy_attributes("json", ns, {"JSONDecoder": "decoder"})
    >>> get("JSONDecoder").__name__, "JSONDecoder" in ns, names()
    ('JSONDecoder', True, ['JSONDecoder'])
    """
    subs = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        if name in where:
            value = getattr(importlib.import_module(f"{package}.{where[name]}"), name)
            namespace[name] = value
            return value
        if name in subs:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(where) | subs)

    return __getattr__, __dir__
