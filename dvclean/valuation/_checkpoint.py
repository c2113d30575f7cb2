"""Checkpoints of long TMC and DVGS runs, so that a killed run can be resumed.

A checkpoint file holds one *section* per method (``tmc``, ``dvgs``): the state
from which continuing gives exactly what an uninterrupted run gives with the same
seed (TMC: each fold's running sums, squares, permutation count, convergence
history and counters; DVGS: the finished (fold, restart) tasks). Permutations and
restarts are pure functions of ``(fold seed, index)`` and are reduced in index
order, so a resumed run's values and standard errors are bit-identical.

Format: a NumPy ``.npz`` archive (read with ``allow_pickle=False``) whose
``__header__`` member is UTF-8 JSON (format tag, and per section its *identity*
and small state), the other members float arrays named ``<section>.<key>``. It
is rewritten atomically (temporary file in the same directory, fsync, rename),
so a kill never leaves a half-written checkpoint.

Each section carries an *identity*: the sha256 of the valued arrays, the method,
its settings (except those that cannot change the values: ``time_budget``,
``batch_size``, ``n_jobs``, ``scheduler``), the seed, the folds and the dvclean
version. A section whose identity differs from the run's is refused with a
:class:`~dvclean.errors.ConfigError` naming what differs: states of different
runs are never mixed.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "run.checkpoint"
>>> ck = Checkpoint(p, every=5)
>>> sec = ck.section("demo", {"seed": 1})
>>> sec.load() is None
True
>>> sec.save({"done": 3}, {"sums": np.arange(3.0)})
>>> state, arrays = Checkpoint(p).section("demo", {"seed": 1}).load()
>>> state["done"], arrays["sums"].tolist()
(3, [0.0, 1.0, 2.0])
>>> ck.remove(); p.exists()
False
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .._version import __version__
from ..errors import ConfigError
from ..io import atomic_path, write_denied

__all__ = ["Checkpoint", "CheckpointSection", "RESUMABLE_METHODS", "as_checkpoint", "data_fingerprint"]

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Methods that save and resume from a checkpoint.
RESUMABLE_METHODS = ("tmc", "dvgs")
_FORMAT = "dvclean-checkpoint"
_FORMAT_VERSION = 1
_HEADER = "__header__"

#: Lock files this process holds: their real path -> [the open descriptor holding the lock, the number of
#: :class:`Checkpoint` objects of this process using it, 1 if this process created the file] (the lock is the
#: process's, shared by its objects).
_LOCKS: dict[str, list[int]] = {}


#: What a lock file holds (an empty one is an earlier version's).
_LOCK_TEXT = b"dvclean checkpoint lock\n"


def _is_lock_file(lock: Path) -> bool:
    """Whether ``lock`` is a lock file dvclean made: a regular file holding :data:`_LOCK_TEXT` or nothing."""
    try:
        if not lock.is_file() or lock.is_symlink() or lock.stat().st_size > len(_LOCK_TEXT):
            return False
        return lock.read_bytes() in (b"", _LOCK_TEXT)
    except OSError:
        return False


#: Checkpoints this process saved and did not remove, in order (what an interrupted run leaves to resume).
_SAVED: dict[str, None] = {}


def saved_checkpoints() -> list[Path]:
    """The checkpoint files this process saved that still exist: an interrupted run's way to continue (the CLI's
    last line names them, with ``--json`` and ``--quiet`` too, where the log is silent)."""
    return [Path(p) for p in _SAVED if Path(p).is_file()]


def _lock(path: Path) -> bool:
    """Hold ``<path>.lock`` (``flock``) for this process, or refuse when another live process holds it: two runs on
    one checkpoint would overwrite each other's progress. The kernel drops the lock when the process ends, however
    it ends, so an interrupted run never leaves a stale one. Without ``fcntl`` (Windows) nothing is locked.
    Returns whether a lock is held (to release with :func:`_unlock`)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        return False
    lock = f"{path}.lock"
    key = os.path.realpath(lock)
    if key in _LOCKS:
        _LOCKS[key][1] += 1
        return True
    created = False
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_RDWR, 0o644)
        created = True
        os.write(fd, _LOCK_TEXT)  # the mark that tells dvclean's lock file from a file of the user's of that name
    except FileExistsError:
        if not _is_lock_file(Path(lock)):  # never lock, and so never delete, a file that is not ours
            raise ConfigError(
                f"checkpoint {path} is locked through {lock}, and that file exists and is not a dvclean lock file; "
                "move it, or give this run another --checkpoint"
            ) from None
        try:
            fd = os.open(lock, os.O_RDWR)
        except OSError:
            return False
    except OSError:  # an unwritable directory is refused (and named) when the checkpoint is saved
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        if created:
            Path(lock).unlink(missing_ok=True)
        raise ConfigError(
            f"checkpoint {path} is in use by another running dvclean (it holds {lock}); wait for that run to finish, "
            "or give this one another --checkpoint"
        ) from None
    _LOCKS[key] = [fd, 1, int(created)]
    return True


def _unlock(path: Path, *, refused: bool = False, unusable: bool = False) -> None:
    """Release one hold of ``<path>.lock``; the last one closes it, and deletes the file unless a checkpoint is
    left to resume (its lock file is reused then). ``refused``: the run was refused before it began, and a lock
    file it created is deleted even where ``path`` exists (a file that is not a checkpoint of ours); ``unusable``:
    ``path`` cannot be resumed (damaged), and the lock file is deleted whoever created it."""
    lock = Path(f"{path}.lock")
    entry = _LOCKS.get(os.path.realpath(lock))
    if entry is None:
        return
    entry[1] -= 1
    if entry[1] <= 0:
        del _LOCKS[os.path.realpath(lock)]
        created = bool(entry[2])
        if (not path.exists() or (refused and created) or unusable) and _is_lock_file(lock):  # (never an output written over it)
            with contextlib.suppress(OSError):  # a directory made read-only during the run: the lock file stays, unheld
                lock.unlink(missing_ok=True)
        os.close(entry[0])


def _looks_like_npz(path: Path) -> bool:
    """Whether ``path`` starts like a NumPy ``.npz`` archive (a zip file), as every checkpoint does."""
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return True  # unreadable: the read that follows names the problem


def _normalise(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists, keys strings)."""
    return json.loads(json.dumps(obj, sort_keys=True))


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}{k}."))
        return out
    return {prefix[:-1]: obj}


def _short(v: Any) -> str:
    text = json.dumps(v)
    return text if len(text) <= 24 else text[:21] + "..."


def _rank(key: str) -> int:
    """Order of the identity parts in a mismatch message: run inputs, settings, derived game shapes."""
    if key in ("data_sha256", "seed", "folds", "method", "dvclean_version"):
        return 0
    return 2 if key.startswith("games") else 1


def data_fingerprint(data: Any) -> str:
    """sha256 of the arrays a valuation reads (players, labels, classes, validation set). Not the rows' positions in
    the file: ``score`` values the rows in an order fixed by their contents, so a copy of the file with its rows in
    another order holds the same players in the same order, and resumes."""
    h = hashlib.sha256()
    for name in ("x", "y", "x_valid", "y_valid"):
        arr = getattr(data, name, None)
        h.update(name.encode())
        if arr is None:
            h.update(b"none")
            continue
        arr = np.ascontiguousarray(arr)
        h.update(f"{arr.dtype.str}{arr.shape}".encode())
        h.update(arr.tobytes() if arr.dtype != object else repr(arr.tolist()).encode())
    classes = getattr(data, "classes", None)
    h.update(b"classes" + repr(None if classes is None else np.asarray(classes).tolist()).encode())
    return h.hexdigest()


def valuer_identity(method: str, data: Any, seed: int, n_folds: int | None, settings: dict[str, Any]) -> dict[str, Any]:
    """What must match for a checkpoint of ``method`` to be resumed (see the module docstring)."""
    return {
        "method": method,
        "dvclean_version": __version__,
        "data_sha256": data_fingerprint(data),
        "seed": seed,
        "folds": n_folds,
        "settings": settings,
    }


class Checkpoint:
    """A checkpoint file: one section of resumable state per method.

    Parameters
    ----------
    path : path
        The file (conventionally ``<output>.checkpoint``).
    every : int
        Save after at least this many completed units of work: TMC permutations
        (summed over the folds) or DVGS restarts.
    resume : bool
        Continue from ``path`` when it exists. With ``False`` an existing file is
        refused (:class:`~dvclean.errors.ConfigError`) instead of overwritten:
        it holds the progress of an interrupted run.

    The file is never deleted by the valuers: call :meth:`remove` once the
    results are safely stored (the CLI does after writing its output). A
    checkpoint whose sections are all finished resumes instantly to the same
    values.
    """

    def __init__(self, path: str | os.PathLike[str], *, every: int = 10, resume: bool = True) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ConfigError(f"checkpoint every must be an int >= 1; got {every!r}")
        # a link's target: the file the saves are renamed over (atomic_path follows links), the one to lock and delete
        self.path = Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)
        self.every = every
        self.resume = resume
        self.found = self.path.exists()
        self._sections: dict[str, tuple[dict[str, Any], dict[str, np.ndarray]]] = {}
        self._locked = _lock(self.path)
        try:
            if self.found and not resume and not _looks_like_npz(self.path):
                raise ConfigError(
                    f"--checkpoint {self.path} exists and is not a dvclean checkpoint; choose another --checkpoint path "
                    "(dvclean names its checkpoints <output>.checkpoint)"
                )
            if self.found and not resume:
                raise ConfigError(
                    f"checkpoint {self.path} already exists (the progress of an interrupted run): pass --resume to "
                    "continue that run, or delete the file to start over"
                )
            if self.found:
                self._sections = self._read()
        except BaseException:
            # a file that cannot be resumed (damaged, or not a checkpoint) keeps no lock file beside it: the message
            # says to delete it, and a `.lock` left would outlive it
            self.release(refused=True, unusable=self.found and resume)
            raise

    def __repr__(self) -> str:
        return f"Checkpoint({str(self.path)!r}, every={self.every}, resume={self.resume})"

    @property
    def sections(self) -> list[str]:
        """Names of the sections held (read from the file or saved since)."""
        return list(self._sections)

    def _bad(self, why: str) -> ConfigError:
        return ConfigError(
            f"checkpoint {self.path} is not a readable dvclean checkpoint ({why}); delete it or choose another "
            "--checkpoint path"
        )

    def _read(self) -> dict[str, tuple[dict[str, Any], dict[str, np.ndarray]]]:
        try:
            raw = self.path.read_bytes()  # (np.load of a path leaks the file when the archive is truncated)
        except OSError as exc:
            raise self._bad(f"{type(exc).__name__}: {exc}") from None
        if raw[:4] != b"PK\x03\x04":  # not an .npz archive at all (NumPy's own message talks of pickles)
            raise ConfigError(
                f"checkpoint {self.path} is not a dvclean checkpoint (not a NumPy .npz archive): choose another "
                "--checkpoint path (dvclean names its checkpoints <output>.checkpoint)"
            )
        from ..io import input_size_limit

        try:
            with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
                if _HEADER not in npz.files:
                    raise self._bad("no header")
                expanded = sum(info.file_size for info in npz.zip.infolist())
                if expanded > input_size_limit():  # a crafted archive: never inflate it
                    raise self._bad(f"its members expand to {expanded} bytes")
                members = {k: npz[k] for k in npz.files}
        except ConfigError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, MemoryError) as exc:
            # (MemoryError: a member whose header declares an array larger than the memory)
            raise self._bad(f"{type(exc).__name__}: {exc}") from None
        try:
            header = json.loads(members.pop(_HEADER).tobytes().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise self._bad(f"bad header: {exc}") from None
        if not isinstance(header, dict) or header.get("format") != _FORMAT:
            raise self._bad("unknown format")
        if header.get("format_version") != _FORMAT_VERSION:
            raise self._bad(f"format version {header.get('format_version')!r}, this dvclean reads {_FORMAT_VERSION}")
        sections = header.get("sections", {})
        if not isinstance(sections, dict) or not all(isinstance(m, dict) for m in sections.values()):
            raise self._bad("bad header: its sections are not a table")
        out: dict[str, tuple[dict[str, Any], dict[str, np.ndarray]]] = {}
        for name, meta in sections.items():
            arrays = {k.split(".", 1)[1]: v for k, v in members.items() if k.split(".", 1)[0] == name}
            out[name] = (meta, arrays)
        return out

    def section(self, name: str, identity: dict[str, Any]) -> CheckpointSection:
        """The state of one method; ``identity`` must match the saved one to resume it."""
        if not name or "." in name:
            raise ValueError(f"bad checkpoint section name {name!r}")
        return CheckpointSection(self, name, _normalise(identity))

    def _load(self, name: str, identity: dict[str, Any]) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        if name not in self._sections:
            return None
        meta, arrays = self._sections[name]
        saved = meta.get("identity", {})
        if saved != identity:
            a, b = _flatten(saved), _flatten(identity)
            keys = sorted((k for k in set(a) | set(b) if a.get(k) != b.get(k)), key=lambda k: (_rank(k), k))
            if any(_rank(k) < 2 for k in keys):  # the games follow from the data, seed and folds
                keys = [k for k in keys if _rank(k) < 2]
            diffs = [
                "the data differ" if k == "data_sha256" else f"{k}: {_short(a.get(k))} there, {_short(b.get(k))} now"
                for k in keys
            ]
            more = f" and {len(diffs) - 3} more" if len(diffs) > 3 else ""
            raise ConfigError(
                f"checkpoint {self.path} was written by a different {name} run ({'; '.join(diffs[:3])}{more}); "
                "delete it to start over, or resume with the original data and settings"
            )
        return meta.get("state", {}), arrays

    def _save(self, name: str, identity: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self._sections[name] = ({"identity": identity, "state": _normalise(state)}, dict(arrays))
        header = {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "dvclean_version": __version__,
            "sections": {n: meta for n, (meta, _) in self._sections.items()},
        }
        members: dict[str, np.ndarray] = {_HEADER: np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)}
        for n, (_, arrs) in self._sections.items():
            for k, v in arrs.items():
                members[f"{n}.{k}"] = np.asarray(v)
        buf = io.BytesIO()
        np.savez(buf, **members)  # type: ignore[arg-type]
        with atomic_path(self.path, option="--checkpoint") as tmp:
            tmp.write_bytes(buf.getvalue())
        _SAVED[str(self.path)] = None

    def remove(self) -> None:
        """Delete the file (after the results are stored) and release its lock; a missing file is fine."""
        self.path.unlink(missing_ok=True)
        _SAVED.pop(str(self.path), None)
        self._sections.clear()
        self.release()

    def release(self, *, refused: bool = False, unusable: bool = False) -> None:
        """Let another process use the checkpoint (the run is over, finished or not); idempotent. ``refused``: the
        run never started, so a lock file this process created is removed whatever the checkpoint path holds;
        ``unusable``: the checkpoint cannot be resumed, and its lock file is removed whoever created it."""
        if self._locked:
            self._locked = False
            _unlock(self.path, refused=refused, unusable=unusable)


class CheckpointSection:
    """One method's part of a :class:`Checkpoint` (built by :meth:`Checkpoint.section`)."""

    def __init__(self, owner: Checkpoint, name: str, identity: dict[str, Any]) -> None:
        self.owner = owner
        self.name = name
        self.identity = identity

    @property
    def every(self) -> int:
        return self.owner.every

    @property
    def path(self) -> Path:
        return self.owner.path

    def load(self) -> tuple[dict[str, Any], dict[str, np.ndarray]] | None:
        """``(state, arrays)`` saved by an earlier run, ``None`` if none; a different run's is refused."""
        return self.owner._load(self.name, self.identity)

    def damaged(self, why: object) -> ConfigError:
        """The error for a section whose saved state does not fit this run's (a file edited or damaged)."""
        return self.owner._bad(f"its {self.name} progress is damaged: {why}")

    def save(self, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Replace this section's state (JSON-able ``state``, float ``arrays``) and rewrite the file atomically."""
        self.owner._save(self.name, self.identity, state, arrays)


def as_checkpoint(checkpoint: Checkpoint | str | os.PathLike[str] | None) -> Checkpoint | None:
    """A :class:`Checkpoint` from a path (resuming when the file exists), or the object itself."""
    if checkpoint is None or isinstance(checkpoint, Checkpoint):
        return checkpoint
    if not isinstance(checkpoint, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be a file path or a dvclean Checkpoint, got {type(checkpoint).__name__} "
                        f"{checkpoint!r}")
    return Checkpoint(checkpoint)


def released_after(ck: Checkpoint, call: Callable[[], T]) -> T:
    """``call()``, then release ``ck``'s lock whatever happens: for a checkpoint a function made from a path, whose
    lock is that call's (a :class:`Checkpoint` passed in is the caller's to release)."""
    try:
        return call()
    finally:
        ck.release()


def save_quietly(section: CheckpointSection, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Save while an exception is propagating: a failure is logged, never raised over the original one."""
    try:
        section.save(state, arrays)
        log.warning("progress saved to %s; rerun with --resume to continue", section.path)
    except Exception as exc:  # pragma: no cover - disk full while being interrupted
        log.warning("could not save the checkpoint %s: %s", section.path, exc)


def open_for_cli(
    path: str | os.PathLike[str] | None,
    every: int,
    resume: bool,
    methods: tuple[str, ...],
    output: str | os.PathLike[str],
    others: list[Any],
) -> tuple[Checkpoint | None, str | None]:
    """The checkpoint of a ``dvclean score`` run and a note for the user (the CLI's options, checked here).

    ``path`` defaults to ``<output>.checkpoint``; it may not be the output or any
    of ``others`` (input, validation, report). Returns ``(None, note)`` when no
    method of ``methods`` is resumable or ``every`` is 0.
    """
    from ..errors import OutputError
    from ..io import same_file

    if not any(m in RESUMABLE_METHODS for m in methods):
        note = None
        if resume or path is not None:
            note = (f"--resume and --checkpoint apply to {' and '.join(RESUMABLE_METHODS)} only; "
                    f"ignored for --method {','.join(methods)}")
        return None, note
    if every == 0:
        if resume:
            raise ConfigError("--resume reads a checkpoint, which --checkpoint-every 0 turns off; drop one of them")
        if path is not None:  # (else the run went on without the checkpoint the user named, and without a word)
            raise ConfigError(f"--checkpoint {path} names a checkpoint file, which --checkpoint-every 0 turns off; "
                              "drop one of them")
        return None, None
    target = Path(path) if path is not None else Path(f"{output}.checkpoint")
    for other in (output, *others):
        if other is not None and str(other) != "-" and same_file(target, other):
            raise ConfigError(f"--checkpoint {target} is also an input or output file of this run; choose another path")
        if other is not None and str(other) != "-" and same_file(f"{target}.lock", other):
            raise ConfigError(f"--checkpoint {target} locks {target}.lock, which is also an input or output file of "
                              "this run; choose another --checkpoint")
    if target.is_dir():
        raise ConfigError(f"--checkpoint {target} is a directory; give a file path such as {target / 'run.checkpoint'}")
    if target.exists() and not target.is_file():  # (a FIFO or a device: reading it would wait for a writer forever)
        raise ConfigError(f"--checkpoint {target} is not a regular file; give the path of a file")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        if parent.exists():  # (a file: `mkdir` would not help)
            raise OutputError(f"--checkpoint {target}: {parent} is not a directory; choose another --checkpoint")
        raise OutputError(f"--checkpoint {target}: the directory {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        where = target if target.exists() else parent
        raise OutputError(f"--checkpoint {target}: cannot write to {where} "
                          f"({write_denied(where)}); choose another --checkpoint")  # before the valuation, not after it
    ck = Checkpoint(target, every=every, resume=resume)
    unused = [name for name in ck.sections if name not in methods]
    if unused:  # the run deletes its checkpoint once its outputs are written: that would discard this progress
        ck.release()
        raise ConfigError(
            f"checkpoint {target} holds the progress of a {' and '.join(unused)} run, which this run "
            f"(--method {','.join(methods)}) does not compute: resume it with --method {','.join(unused)}, or give "
            "this run another --checkpoint"
        )
    note = None
    if resume:
        note = (f"checkpoint {target} found ({', '.join(ck.sections) or 'empty'}): resuming where it matches this "
                "run's data and settings" if ck.found
                else f"--resume: no checkpoint at {target}, so the run starts from scratch")
    return ck, note
