"""Option defaults from configuration files (``dvclean.toml`` / ``[tool.dvclean]``).

:func:`configurable` wraps a command body: for every option the user did not
give on the command line, the value from the nearest configuration file (see
:mod:`dvclean.settings`) replaces the built-in default, converted and validated
by the option's own type. Precedence: command line > dvclean.toml >
pyproject.toml > default.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

#: Parameters that never come from a configuration file.
NOT_CONFIGURABLE = frozenset({"show_config", "debug", "config", "help"})
SHOW_CONFIG_KEY = "_dvclean_effective_config"


def _key_of(param: Any) -> str | None:
    if getattr(param, "param_type_name", "") != "option" or param.name in NOT_CONFIGURABLE:
        return None
    longs = [o for o in param.opts if o.startswith("--")]
    if not longs:
        return None
    return longs[0][2:].replace("-", "_")


def option_keys(command: Any) -> dict[str, Any]:
    """Config key (normalised long option name) -> click parameter, for one command."""
    out = {}
    for p in command.params:
        key = _key_of(p)
        if key is not None:
            out[key] = p
    return out


#: Commands whose options can come from configuration files (filled by :func:`configurable`).
CONFIGURABLE: set[str] = set()


def known_keys(ctx: Any) -> dict[str, set[str]]:
    """Config keys of every command that reads configuration files (for validating tables and top-level keys)."""
    root = ctx.find_root().command
    commands = getattr(root, "commands", {ctx.command.name: ctx.command})
    return {name: set(option_keys(cmd)) for name, cmd in commands.items() if name in CONFIGURABLE}


def unread_commands(ctx: Any) -> set[str]:
    """Commands of the app that do not read configuration files (a table for one is a mistake)."""
    root = ctx.find_root().command
    return {name for name in getattr(root, "commands", {}) if name not in CONFIGURABLE}


def toml_repr(value: Any) -> str:
    """A TOML value as it is written in the file: ``true``, ``"income"``, ``[1, 2]``."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):  # a literal string when it can be one: 'income'
        ok = "'" not in value and not any(c in value for c in "\n\r") and value.isprintable()
        return f"'{value}'" if ok else json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_repr(v)}" for k, v in value.items()) + "}"
    return str(value)


def _contains_bool(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, list) and any(isinstance(v, bool) for v in value))


def _takes_int(param: Any) -> bool:
    """Whether an option takes whole numbers (``int``, ``int | None``, ``list[int]``)."""
    import typing

    hint = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    while typing.get_args(hint) and hint is not int:
        hint = next((a for a in typing.get_args(hint) if a is not type(None)), None)
    return hint is int


def _coerce(ctx: Any, param: Any, value: Any, source: str) -> Any:
    from typer import BadParameter

    from ..errors import ConfigError

    key = (_key_of(param) or param.name).replace("_", "-")
    option = next((o for o in param.opts if o.startswith("--")), param.opts[0])
    on_off = bool(getattr(param, "is_bool_flag", False))
    bad = f"{source}: invalid value {toml_repr(value)} for {option}"
    if on_off and not isinstance(value, bool):
        raise ConfigError(f"{bad}: it is on/off; write {key} = true or {key} = false")
    counted = bool(getattr(param, "count", False))  # (-v, -vv: a count)
    if counted and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ConfigError(f"{bad}: it is a count, as -v and -vv give it: write {key} = 1 (or 2, or 0 for none)")
    if not on_off and _contains_bool(value):
        raise ConfigError(f"{bad}: it takes a value, not true/false (see `dvclean {ctx.command.name} --help`)")
    multi = bool(getattr(param, "multiple", False)) or getattr(param, "nargs", 1) == -1
    if multi and not isinstance(value, list):
        value = [value]
    if not multi and isinstance(value, (list, dict)):  # a string option would take the list's Python spelling
        hint = (f" (one text of comma-separated values: {key} = {toml_repr(','.join(map(str, value)))})"
                if isinstance(value, list) and value and all(isinstance(v, str) for v in value) else "")
        raise ConfigError(f"{bad}: it takes one value, not a {'list' if isinstance(value, list) else 'table'}{hint}")
    if multi and any(isinstance(v, (list, dict)) for v in value):  # ([["a", "b"]] would be the text "['a', 'b']")
        raise ConfigError(f"{bad}: it takes a list of texts, not of lists or tables (e.g. {key} = [\"a\", \"b\"])")
    from ..settings import PATH_KEYS

    if key.replace("-", "_") in PATH_KEYS and not on_off and (not isinstance(value, str) or not value.strip()):
        # (a number was resolved against the current directory, not the file's; "" named the current directory)
        raise ConfigError(f"{bad}: it names a file: write its path as text, in quotes ({key} = \"path/to/file\")"
                          if not isinstance(value, str) else f"{bad}: an empty path names no file; write one or "
                          f"remove {key}")
    if not isinstance(value, (str, int, float, bool, list)):  # a TOML date or time: the option takes text
        raise ConfigError(f"{bad}: write it as text, in quotes ({key} = \"{value}\")")
    if key == "model" and isinstance(value, str) and "." in value:
        # a dotted class path imports its module, whose code runs: a file that may come with the data (a pull
        # request's dvclean.toml) must not name it ("unittest.__main__.X" runs a test runner over the directory)
        raise ConfigError(f"{bad}: a model class path is taken from the command line or Python only, not from a "
                          f"configuration file (importing it runs its module's code); pass --model {value} yourself, "
                          "or name a built-in model (logreg, knn, xgboost, hgb, linear)")
    import math

    if _takes_int(param) and any(isinstance(v, float) for v in (value if multi else [value])):
        # (TOML has whole numbers: a float, 1e3 or 5.0, is refused, as --seed 1e3 is; the spelling is lost, so --seed
        # 1.0 typed on the command line, which is read as 1, cannot be told from 1e0 here)
        raise ConfigError(f"{bad}: it must be a whole number, written without a decimal point or exponent "
                          f"(e.g. {key} = {int(value) if isinstance(value, float) and math.isfinite(value) else 1})")
    candidates = [value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        candidates.append(str(value))  # a threshold such as 20 for a text option
    if multi and isinstance(value, list):
        candidates.append([str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v for v in value])
    error: Exception | None = None
    for cand in candidates:
        try:
            out = param.process_value(ctx, tuple(cand) if multi else cand)
        except BadParameter as exc:
            error = exc
            continue
        return list(out) if multi and out is not None else out
    hint = ""
    if key == "format" and "[" not in source:  # a top-level key, read by every command
        hint = ("; a top-level format applies to every command, and it names the output file's format for score and "
                "fix but the printed output's for check: set it under [score], [fix] or [check]")
    raise ConfigError(f"{bad}: {_plain_reason(error)}{hint}")


#: The type checks' wording (typer converts through pydantic) in the words of dvclean's own messages.
_TYPE_REASONS = (("Input should be a valid integer", "it must be a whole number"),
                 ("Input should be a valid number", "it must be a number"),
                 ("Input should be a valid boolean", "it must be true or false"))


def _plain_reason(error: Exception | None) -> str:
    """Why a configuration-file value was refused, without the parser's "Invalid value for '--k':" prefix."""
    msg = str(getattr(error, "message", None) or error)
    for prefix, plain in _TYPE_REASONS:
        if msg.startswith(prefix):
            return plain
    return msg.removeprefix("Value error, ").rstrip(".")


def _first(value: Any) -> Any:
    """The data file configuration discovery starts from (a command given several files: the first)."""
    return value[0] if isinstance(value, (list, tuple)) and value else value


def once_each(files: list[str]) -> tuple[list[str], list[str]]:
    """``files`` with each file once, and a note for each left out: a later path naming a file given before (the
    same text, or another path to it: ``./a.csv``, a link) is not gated, reported or counted in the JUnit document
    twice. Standard input (``-``) is kept as given (the multi-file gate refuses it)."""
    from ..io import same_file

    kept: list[str] = []
    notes: list[str] = []
    for path in files:
        first = next((k for k in kept if path != "-" and k != "-" and (k == path or same_file(k, path))), None)
        if first is None:
            kept.append(path)
        else:
            notes.append(f"{path} was given before{'' if first == path else f' (as {first})'}: it is checked once")
    return kept, notes


def configurable(command_name: str, *, start: str = "data") -> Callable[[F], F]:
    """Fill options not given on the command line from the configuration files.

    The data file is the command's ``start`` parameter (discovery starts in its
    directory); a ``config`` keyword, when the command has one, names an explicit
    file. The effective values and their sources are stored on the click context
    (``ctx.meta``) for ``--show-config``.
    """

    CONFIGURABLE.add(command_name)

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from typer._click.core import ParameterSource  # typer vendors click; never `import click`
            from typer._click.globals import get_current_context

            from ..settings import load_settings

            ctx = get_current_context()
            keys = option_keys(ctx.command)
            # (one file given twice, `check a.csv ./a.csv`, is one file: its configuration applies, as to `check a.csv`)
            several = isinstance(kwargs.get(start), (list, tuple)) and len(once_each(list(kwargs[start]))[0]) > 1
            if several:  # each file is run on its own (its own nearest configuration file): none applies to all
                from ..settings import Settings

                settings = Settings()
            else:
                settings = load_settings(
                    command_name,
                    known_keys(ctx),
                    start=_first(kwargs.get(start)),
                    config_file=kwargs.get("config"),
                    unread=unread_commands(ctx),
                )
            effective: dict[str, tuple[Any, str]] = {}
            for key, param in keys.items():
                source = ctx.get_parameter_source(param.name)
                if source in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT):
                    if key in settings.values:  # overridden, but a broken file fails now, not in the next run
                        _coerce(ctx, param, settings.values[key], settings.sources[key])
                    effective[key] = (kwargs.get(param.name), "command line")
                elif key in settings.values:
                    kwargs[param.name] = _coerce(ctx, param, settings.values[key], settings.sources[key])
                    effective[key] = (kwargs[param.name], settings.sources[key])
                else:
                    effective[key] = (kwargs.get(param.name), "default")
            # -q typed on the command line puts a file's verbose aside, and -v a file's quiet: the command line wins
            typed = {k for k in ("quiet", "verbose") if effective.get(k, (None, ""))[1] == "command line"}
            for key in {"quiet", "verbose"} - typed if len(typed) == 1 and typed <= set(keys) else ():
                if key in keys and effective[key][1] not in ("command line", "default") and effective[key][0]:
                    kwargs[keys[key].name] = 0 if key == "verbose" else False
                    effective[key] = (kwargs[keys[key].name], "default")
            ctx.meta[SHOW_CONFIG_KEY] = {"values": effective, "files": [str(p) for p in settings.files],
                                         "written": {k: settings.values[k] for k, (_, src) in effective.items()
                                                     if src not in ("command line", "default")}}
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def effective_config() -> dict[str, Any]:
    """What :func:`configurable` recorded for the running command."""
    from typer._click.globals import get_current_context

    return get_current_context().meta.get(SHOW_CONFIG_KEY, {"values": {}, "files": []})


def config_json(doc: dict[str, Any]) -> dict[str, Any]:
    """The effective settings as a JSON document (``--show-config --json``): ``files`` (the configuration files
    read) and ``settings``, each option's name (as on the command line) to its ``value`` (null: unset) and
    ``source``.

    >>> config_json({"files": [], "values": {"max_mislabeled": ("2%", "dvclean.toml [check]")}})
    {'files': [], 'settings': {'max-mislabeled': {'value': '2%', 'source': 'dvclean.toml [check]'}}}
    """
    from enum import Enum

    def plain(v: Any) -> Any:
        if isinstance(v, Enum):
            return v.value
        if isinstance(v, (list, tuple)):
            return [plain(x) for x in v]
        return v if v is None or isinstance(v, (bool, int, float, str)) else str(v)

    return {"files": list(doc["files"]),
            "settings": {k.replace("_", "-"): {"value": plain(v), "source": src}
                         for k, (v, src) in sorted(doc["values"].items())}}


def format_config(doc: dict[str, Any]) -> str:
    """``key = value  # source`` lines (TOML-like), files first."""
    from enum import Enum
    from pathlib import Path

    def show(v: Any) -> str:
        if isinstance(v, Enum):
            v = v.value
        if isinstance(v, Path):
            v = str(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if v is None:
            return "(unset)"
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(show(x) for x in v) + "]"
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return str(v)

    lines = [f"# configuration files: {', '.join(doc['files']) if doc['files'] else 'none found'}"]
    values = doc["values"]
    width = max((len(k) for k in values), default=0) + 3
    for key in sorted(values):
        value, source = values[key]
        if value is None:  # TOML has no null: an unset setting is a comment, so the output stays valid TOML
            lines.append(f"# {key.replace('_', '-'):<{width - 2}}= {'(unset)':<24} # {source}")
        else:
            lines.append(f"{key.replace('_', '-'):<{width}}= {show(value):<24} # {source}")
    from ..report.formats import escape_controls  # (a value or a file's name with a newline stays on its line)

    return "\n".join(escape_controls(line) for line in lines) + "\n"
