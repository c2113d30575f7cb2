"""Exceptions raised by dvclean.

Every message says what was wrong, where (file, column, row) and how to fix it.
The CLI maps :class:`DvcleanError` subclasses to exit code 2 and prints the message
without a traceback; any other exception is an internal error (exit code 3).
"""

from __future__ import annotations

__all__ = [
    "AugmentError",
    "ConfigError",
    "DataValidationError",
    "DvcleanError",
    "InputError",
    "OutputError",
    "ValuationError",
]


class DvcleanError(Exception):
    """Base class of every error dvclean raises on purpose."""


class ConfigError(DvcleanError, ValueError):
    """A parameter or configuration value is invalid."""


class InputError(DvcleanError):
    """The input file cannot be found, read or parsed."""


class OutputError(DvcleanError):
    """An output file cannot be written."""


class DataValidationError(DvcleanError):
    """The data was read but cannot be valued as it is.

    Parameters
    ----------
    problems : list of str
        Every problem found; all of them are reported together.
    """

    def __init__(self, problems: list[str] | str) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


class ValuationError(DvcleanError):
    """A valuation method cannot run on the prepared data."""


class AugmentError(DvcleanError):
    """Synthetic data could not be generated (or SDV is missing)."""
