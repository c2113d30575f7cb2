"""Configuration files: ``dvclean.toml`` and ``[tool.dvclean]`` in ``pyproject.toml``.

Discovery (ruff/pytest style): starting at the data file's directory (the
current directory for stdin), walk upward to the first directory that holds a
``dvclean.toml`` or a ``pyproject.toml`` with a ``[tool.dvclean]`` table; read
both files of that directory when both exist. An explicit ``--config FILE``
replaces discovery.

Layout (keys are the long option names, ``-`` or ``_``)::

    # pyproject.toml                      # dvclean.toml
    [tool.dvclean]                        label = "income"
    label = "income"                      seed = 1
    seed = 0                              [check]
    [tool.dvclean.check]                  max-mislabeled = "2%"
    max-mislabeled = "2%"

Top-level keys apply to every command that has that option; a ``[check]`` /
``[score]`` / ``[fix]`` / ``[report]`` table applies to one command. Precedence, highest
first: command-line flag, ``dvclean.toml`` (command table, then top level),
``pyproject.toml`` (command table, then top level), the built-in default.
Unknown keys are an error that suggests the closest valid key (or lists them all).

A relative path in a file (:data:`PATH_KEYS`: ``baseline``, ``junit-xml``, ``report``,
``valid``, ...) is relative to the directory of the file that sets it, as in ruff, so a gate
behaves the same from whatever directory it is run; on the command line it is relative to
the current directory, as usual.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError

log = logging.getLogger(__name__)

__all__ = ["ConfigFile", "PATH_KEYS", "Settings", "find_config_files", "load_settings", "normalize_key"]

CONFIG_NAME = "dvclean.toml"
PYPROJECT = "pyproject.toml"

#: Options whose values are file paths: relative ones in a configuration file are resolved from its directory.
PATH_KEYS = frozenset({"output", "report", "valid", "checkpoint", "baseline", "junit_xml", "data", "augmentation"})


def _resolve_path(value: Any, base: Path) -> Any:
    """``value`` (a path written in a file in directory ``base``) as a path from the current directory.

    ``-`` (standard input/output), absolute paths and anything but text are returned unchanged.

    >>> import os
    >>> _resolve_path("b.json", Path(os.getcwd()) / "ci"), _resolve_path("-", Path("/x")), _resolve_path("/a/b", Path("/x"))
    ('ci/b.json', '-', '/a/b')
    """
    if not isinstance(value, str) or value in ("", "-"):
        return value
    path = Path(os.path.expanduser(value))  # (pathlib's raises for an unknown ~user; a file may be named ~x)
    if path.is_absolute():
        return str(path)
    return os.path.relpath(os.path.normpath(base / path))


def _not_a_file(path: Path) -> str:
    """What ``path``, which exists but is no regular file, is: ``is a character device (it reads as empty)``."""
    from .io import _file_kind  # (the names an output path that is no regular file gets; on an error path only)

    try:
        kind = _file_kind(path.stat().st_mode)
    except OSError as exc:  # (a link in a loop, a directory that cannot be searched)
        return f"cannot be read ({exc.strerror or exc})"
    return f"is {kind}{' (it reads as empty)' if str(path) == os.devnull else ''}"


def normalize_key(key: str) -> str:
    """``max-mislabeled`` -> ``max_mislabeled``."""
    return key.strip().replace("-", "_")


@dataclass(frozen=True)
class ConfigFile:
    """One parsed configuration file.

    Attributes
    ----------
    path : Path
    table : dict
        The dvclean table (the whole ``dvclean.toml``, or ``[tool.dvclean]``).
    where : str
        ``dvclean.toml`` or ``pyproject.toml [tool.dvclean]`` for messages.
    """

    path: Path
    table: dict[str, Any]
    where: str

    def section_name(self, section: str | None) -> str:
        """Human name of a table of this file, for ``--show-config`` and errors."""
        base = "[tool.dvclean" if self.path.name == PYPROJECT else "["
        if self.path.name == PYPROJECT:
            return f"{self.path} {base}{'.' + section if section else ''}]"
        return f"{self.path} [{section}]" if section else str(self.path)


def _read_toml(path: Path) -> dict[str, Any]:
    if path.is_dir():
        raise ConfigError(f"{path}: is a directory, not a configuration file; rename or remove it")
    try:
        with path.open("rb") as fh:
            raw = fh.read()
        if raw.startswith(b"\xef\xbb\xbf"):
            raise ConfigError(f"{path}: starts with a UTF-8 byte-order mark, which TOML does not allow; save the "
                              "file as UTF-8 without BOM")
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: is not UTF-8 text (byte {exc.start}); TOML files are UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}); fix the file") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc.strerror})") from exc


#: Tables of a dvclean.toml: in a file laid out as a pyproject.toml they belong under [tool.dvclean].
_COMMAND_TABLES = ("score", "check", "fix", "report", "augment", "methods")


def _load_file(path: Path) -> ConfigFile | None:
    doc = _read_toml(path)
    tool = doc.get("tool")
    # a pyproject.toml, or another file laid out as one (a --config file holding [tool.dvclean]: "tool" is no key
    # of a dvclean.toml, so such a file can only mean that table)
    if path.name == PYPROJECT or (isinstance(tool, dict) and "dvclean" in tool):
        misplaced = [k for k, v in doc.items() if isinstance(v, dict) and k in (*_COMMAND_TABLES, "dvclean")]
        if path.name == PYPROJECT and misplaced:  # ([check] for [tool.dvclean.check]: its thresholds were dropped)
            k = misplaced[0]
            where = "[tool.dvclean]" if k == "dvclean" else f"[tool.dvclean.{k}]"
            raise ConfigError(f"{path}: has a top-level [{k}] table, which dvclean does not read: in a pyproject.toml "
                              f"its settings go under [tool.dvclean]; rename the table {where}")
        table = tool.get("dvclean") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.dvclean] must be a table")
        # a dvclean key outside the table would be dropped without a word; other tables ([project], [build-system])
        # are a pyproject.toml's, whatever the file is called (pyproject.ci.toml): ignored, as there
        others = [k for k, v in doc.items() if k != "tool" and (not isinstance(v, dict) or k in _COMMAND_TABLES)]
        if path.name != PYPROJECT and others:
            raise ConfigError(
                f"{path}: holds [tool.dvclean] and dvclean settings outside it ({', '.join(map(repr, others[:5]))}); a "
                "file with [tool.dvclean] is read from that table only, as a pyproject.toml is: move the dvclean "
                "settings into [tool.dvclean], or drop the [tool.dvclean] header"
            )
        return ConfigFile(path=path, table=table, where=f"{PYPROJECT if path.name == PYPROJECT else path.name} [tool.dvclean]")
    return ConfigFile(path=path, table=doc, where="dvclean.toml")


def _planted(path: Path) -> str | None:
    """Why a configuration file found by discovery may be another user's doing, else None: it is another user's (not
    root's) in a directory every user can write to (``/tmp/dvclean.toml`` of another user would apply to every run on
    data under ``/tmp``). A file that is merely writable by all is read: a CI runner with umask 0 checks files out
    so, and ignoring the repository's settings there would switch its gate off."""
    try:
        st, parent = path.stat(), path.parent.stat()
    except OSError:
        return None
    if parent.st_mode & stat.S_IWOTH and st.st_uid not in (os.geteuid(), 0):
        return "it is another user's file in a directory every user can write to"
    return None


def _system_stream(path: str | os.PathLike[str]) -> str | None:
    """For a path under ``/dev`` or ``/proc`` (``/dev/stdin``, a shell's ``<(...)`` as ``/dev/fd/63``): the regular
    file it leads to (``dvclean check /dev/stdin < data.csv``), else ``"-"`` (a pipe: the data has no directory of
    its own, and the current directory's configuration applies, as for ``-``); None for any other path."""
    text = os.path.abspath(os.fspath(path))
    if not text.startswith(("/dev/", "/proc/")):
        return None
    real = os.path.realpath(text)
    return real if os.path.isfile(real) and not real.startswith(("/dev/", "/proc/")) else "-"


def find_config_files(start: str | os.PathLike[str] | None = None) -> list[ConfigFile]:
    """Configuration files that apply to ``start``, highest precedence first.

    ``start`` is a data file or a directory; ``None``, ``"-"`` or a pipe or device (``/dev/stdin``, ``<(...)``)
    means the current directory. Returns ``[]`` when no directory up to the root has one.
    """
    if start is not None and (stream := _system_stream(start)) is not None:
        start = stream  # (/dev/stdin, <(...): as -, the current directory; or the file redirected into it)
    if start is None or str(start) == "-":
        here = Path.cwd()
    else:
        p = Path(os.path.expanduser(start))  # (pathlib's raised for a data file named ~x.csv: no such user)
        p = p if p.is_absolute() else Path.cwd() / p
        here = p if p.is_dir() else p.parent
    here = Path(os.path.abspath(here))
    for directory in (here, *here.parents):
        found: list[ConfigFile] = []
        for name in (CONFIG_NAME, PYPROJECT):
            candidate = directory / name
            if (candidate.is_file() or (name == CONFIG_NAME and candidate.is_dir())) and (
                    why := _planted(candidate)) is not None:
                log.warning("%s: not read: %s, so another user may have written it (settings there could switch a "
                            "check off or name files to overwrite); move it, or pass it with --config", candidate, why)
                continue
            if candidate.is_file() or (name == CONFIG_NAME and candidate.is_dir()):  # a directory: _read_toml says so
                cf = _load_file(candidate)
                if cf is not None:
                    found.append(cf)
        if found:
            return found
    return []


@dataclass(frozen=True)
class Settings:
    """Values from configuration files for one command, with where each came from.

    Attributes
    ----------
    values : dict
        Normalised key (``max_mislabeled``) -> raw TOML value.
    sources : dict
        Key -> ``"<file> [table]"``.
    files : list of Path
        The files that were read, highest precedence first.
    """

    values: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    files: tuple[Path, ...] = ()


def load_settings(
    command: str,
    known: Mapping[str, Collection[str]],
    *,
    start: str | os.PathLike[str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
    unread: Collection[str] = (),
) -> Settings:
    """Merge the configuration files that apply to ``start`` for ``command``.

    Parameters
    ----------
    command : str
        ``check``, ``score``, ...
    known : mapping of command name to its valid (normalised) keys
        Top-level keys must be valid for at least one command; keys in a command
        table must be valid for that command.
    start : path, optional
        The data file (discovery starts at its directory).
    config_file : path, optional
        Use this file instead of discovery (``--config``).
    unread : collection of str
        Commands that exist but read no configuration file: a table named after one is
        refused with a message saying so (not as an unknown table).

    Returns
    -------
    Settings

    Raises
    ------
    ConfigError
        Invalid TOML, an unknown key or table, or a missing ``--config`` file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "dvclean.toml").write_text('seed = 3\\n[check]\\nmax-mislabeled = "2%"\\n')
    >>> s = load_settings("check", {"check": {"seed", "max_mislabeled"}}, start=d / "data.csv")
    >>> s.values
    {'seed': 3, 'max_mislabeled': '2%'}
    """
    if config_file is not None:
        path = Path(os.path.expanduser(config_file))
        if path.is_dir():
            raise ConfigError(f"--config {path}: is a directory; name the configuration file in it")
        if not path.is_file():
            if path.is_symlink() and not path.exists():  # (not "no such file": the link is there)
                try:
                    os.stat(path)
                    what = "cannot be followed"
                except OSError as exc:
                    what = "leads back to it (a loop of links)" if exc.errno == errno.ELOOP else "does not exist"
                raise ConfigError(f"--config {path}: is a symbolic link to {os.readlink(path)}, which {what}; "
                                  "fix the link, or name the configuration file itself")
            if os.path.lexists(path):  # /dev/null, a pipe, a socket: not "no such file"
                hint = ""
                if path.exists() and stat.S_ISCHR(path.stat().st_mode):  # (/dev/null: meant as "no settings")
                    hint = ("; to read no settings, name an empty one (`touch empty.toml`, then --config empty.toml)"
                            + ("; to ignore only the baseline a file sets, pass --no-baseline" if command == "check"
                               else ""))
                raise ConfigError(f"--config {path}: {_not_a_file(path)}, not a configuration file; name a TOML file "
                                  f"(a dvclean.toml, or a pyproject.toml with [tool.dvclean]){hint}")
            raise ConfigError(f"--config {path}: no such file")
        cf = _load_file(path)
        if cf is None:
            raise ConfigError(f"--config {path}: has no [tool.dvclean] table")
        files = [cf]
    else:
        files = find_config_files(start)
    all_keys = set().union(*known.values()) if known else set()
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    # lowest precedence first; later layers overwrite
    for cf in reversed(files):
        _refuse_double_spellings(cf)
        top = {k: v for k, v in cf.table.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in cf.table.items() if isinstance(v, dict)}
        for name in tables:
            if name in unread:
                raise ConfigError(
                    f"{cf.section_name(name)}: `dvclean {name}` does not read configuration files; pass its "
                    f"options on the command line and remove the table (tables read: "
                    f"{', '.join(f'[{c}]' for c in sorted(known))})"
                )
            if name not in known:
                raise ConfigError(
                    f"{cf.section_name(name)}: unknown table {name!r}; dvclean reads "
                    f"{', '.join(f'[{c}]' for c in sorted(known))} and top-level keys"
                )
        for key in top:
            nk = normalize_key(key)
            if nk not in all_keys:
                raise ConfigError(_unknown(cf.section_name(None), key, all_keys))
            if nk in PER_COMMAND_KEYS:
                users = [f"[{c}]" for c in sorted(known) if nk in known[c]]
                raise ConfigError(
                    f"{cf.section_name(None)}: a top-level {key!r} would apply to every command, and {PER_COMMAND_KEYS[nk]}"
                    f": set it under {', '.join(users[:-1]) + ' or ' + users[-1] if len(users) > 1 else users[0]} instead"
                )
        base = Path(os.path.abspath(cf.path.parent))
        for key, value in top.items():
            nk = normalize_key(key)
            if nk in known.get(command, ()):
                values[nk] = _resolve_path(value, base) if nk in PATH_KEYS else value
                sources[nk] = cf.section_name(None)
        for key, value in tables.get(command, {}).items():
            nk = normalize_key(key)
            if nk not in known[command]:
                raise ConfigError(_unknown(cf.section_name(command), key, set(known[command])))
            values[nk] = _resolve_path(value, base) if nk in PATH_KEYS else value
            sources[nk] = cf.section_name(command)
        for name, table in tables.items():  # validate the other commands' tables too
            for key in table:
                if normalize_key(key) not in known[name]:
                    raise ConfigError(_unknown(cf.section_name(name), key, set(known[name])))
    return Settings(values=values, sources=sources, files=tuple(cf.path for cf in files))


#: Keys that mean another file for each command: refused at the top level (one path would be the scores of
#: `score`, the cleaned copy of `fix` and the HTML of `report`, each run writing over the others' output).
PER_COMMAND_KEYS = {
    "output": "it names another kind of file for each (score's scores, fix's cleaned copy, report's HTML page), so one "
              "command would write over another's output",
}


def _refuse_double_spellings(cf: ConfigFile) -> None:
    """Refuse one key written twice in a table under spellings that normalise alike (``max-x`` and ``max_x``):
    TOML refuses a repeated key, and which of the two would win is the file's order, not the user's intent."""
    tables = [(None, cf.table)] + [(k, v) for k, v in cf.table.items() if isinstance(v, dict)]
    for name, table in tables:
        seen: dict[str, str] = {}
        for key, value in table.items():
            if isinstance(value, dict) and name is None:
                continue
            nk = normalize_key(key)
            if nk in seen:
                raise ConfigError(f"{cf.section_name(name)}: {key!r} and {seen[nk]!r} set the same option; keep one")
            seen[nk] = key


def _unknown(where: str, key: str, valid: set[str]) -> str:
    """``unknown key 'labl'; did you mean 'label'?`` (the whole list only when nothing is close)."""
    import difflib

    shown = {k.replace("_", "-"): k for k in valid}
    typed = normalize_key(key).replace("_", "-")
    close = difflib.get_close_matches(typed, sorted(shown), n=3, cutoff=0.75)
    if not close and typed.lower() in shown:  # K = 3 for k (TOML keys are case-sensitive)
        close = [typed.lower()]
    if close:
        return f"{where}: unknown key {key!r}; did you mean {' or '.join(repr(c) for c in close)}?"
    return f"{where}: unknown key {key!r}; valid keys: {', '.join(sorted(shown))}"
