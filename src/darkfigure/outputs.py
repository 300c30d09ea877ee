"""Safe output writing: darkfigure never overwrites a file it did not write itself, nor its input.

Every command that writes goes through :func:`write_folder` (a folder of results) or
:func:`write_file` (one file). The writer runs into a private staging folder first;
then every file it produced is checked against its destination:

* a destination that is an input of the run (same file, after resolving links) is
  refused, always;
* an existing destination is replaced only when darkfigure wrote it in an earlier run
  and nobody changed it since: its name and SHA-256 checksum are in the manifest
  ``.darkfigure-outputs.json`` of the output folder (written by this module);
* otherwise the run stops with :class:`OutputError`, naming the file, unless
  ``overwrite=True`` (``--overwrite`` on the command line).

Only when every destination passes are the files moved into place (same file system,
so each move is an atomic rename) and the manifest updated. A refused or failed run
leaves the folder as it was.

Runs. Each manifest entry records the run that wrote the file (``run`` id, ``command``,
``written`` time) and the earlier runs of the same folder it was made from (``from``: the
runs of its inputs in that folder, e.g. a report made from an estimate). A run that replaces
a file of an earlier run supersedes that run, and every run made from it: their other files
would describe results that are no longer there (a stale monitor.csv beside a new
result.json, an old report.html), so they are removed, and the caller is told which
(``notify``). Only files listed in the manifest with an unchanged checksum are removed,
never an input of the run, never a file darkfigure did not write; a superseded file that
was changed by hand, or is an input, is kept and named. Runs whose files the new run does
not touch (a ``link`` or ``simulate`` run whose histories.csv an estimate reads) stay.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .histories import DataError

__all__ = ["MANIFEST", "OutputError", "write_folder", "write_file", "preflight", "sha256", "read_manifest",
           "write_atomic", "run_of", "write_result", "hold_folder"]

#: Name of the manifest of darkfigure's own outputs, one per output folder.
MANIFEST = ".darkfigure-outputs.json"
_STAGE_PREFIX = ".darkfigure-staging-"
#: staging folders whose writer is running: a write into one of them is part of that write (checked at its commit)
_ACTIVE_STAGES: ContextVar[tuple[Path, ...]] = ContextVar("darkfigure_active_stages", default=())


class OutputError(DataError):
    """A destination darkfigure must not write (an input, or a file it did not write)."""


def sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(folder: str | Path) -> dict[str, dict]:
    """The manifest of `folder`: {relative path (posix): {"sha256", "written", "command", "run", "from"}}.

    {} when absent. ``run`` is the id of the run that wrote the file, ``from`` the ids of the
    runs of this folder it was made from (both absent in manifests of older versions).

    An unreadable manifest counts as empty, so nothing in the folder is taken for darkfigure's own.
    """
    p = Path(folder) / MANIFEST
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        files = d.get("files", {})
        return files if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def run_of(entry: dict) -> str:
    """The id of the run that wrote a manifest entry.

    Manifests written before run ids were recorded identify a run by its command and time
    (every file of one write shares the time stamp).
    """
    run = entry.get("run")
    return str(run) if run else f"{entry.get('command', '?')}@{entry.get('written', '?')}"


def _superseded(manifest: dict, replaced: Iterable[str]) -> set[str]:
    """Runs superseded when the files `replaced` are rewritten: their runs, and every run made from one of those."""
    runs = {run_of(manifest[r]) for r in replaced if r in manifest}
    if not runs:
        return runs
    results = any(manifest[r].get("command") != "report" for r in replaced if r in manifest)
    while True:
        more = set()
        for e in manifest.values():
            rid = run_of(e)
            if rid in runs:
                continue
            # a report written before runs were recorded was made from the folder's results: stale with them
            # (not when only another report is rewritten: the public and the analyst report stand side by side)
            legacy_report = e.get("command") == "report" and "run" not in e and results
            if legacy_report or runs.intersection(e.get("from", ())):
                more.add(rid)
        if not more:
            return runs
        runs |= more


def _as_created(fd: int) -> None:
    """Give a file made by ``tempfile.mkstemp`` (mode 600) the mode a plain ``open`` would: 666 less the umask.

    The manifest and atomically written files were readable by their owner only, unlike the run's other
    outputs, which a shared folder's readers could not then check.
    """
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(fd, 0o666 & ~mask)
    except (AttributeError, OSError):  # no fchmod (Windows) or a file system without modes: leave it
        pass


def _write_manifest(folder: Path, files: dict[str, dict]) -> None:
    d = {
        "about": "files written by darkfigure (name, SHA-256, the run that wrote it and the runs it was made from); "
                 "darkfigure replaces or removes only these, and only unchanged",
        "files": dict(sorted(files.items())),
    }
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=folder)
    _as_created(fd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(d, f, indent=1)
        os.replace(tmp, folder / MANIFEST)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _check(dest: Path, rel: str, manifest: dict, overwrite: bool, inputs: list[Path], option: str,
           force: str = "--overwrite") -> None:
    for i in inputs:
        if _same_file(dest, i):
            raise OutputError(
                f"{str(dest)!r} is an input of this run: darkfigure never writes over its input. "
                f"Choose another output ({option})"
            )
    if not dest.exists() and not dest.is_symlink():
        return
    if dest.is_dir():
        raise OutputError(f"{str(dest)!r} is a folder where darkfigure must write a file; choose another {option}")
    entry = manifest.get(rel)
    if entry is not None and not dest.is_symlink() and entry.get("sha256") == sha256(dest):
        return
    if overwrite:
        return
    why = "was not written by darkfigure" if entry is None else "was changed since darkfigure wrote it"
    raise OutputError(
        f"{str(dest)!r} already exists and {why}; darkfigure does not overwrite it. Choose another {option}, "
        f"move the file away, or pass {force} to replace it"
    )


def _stage_dir(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=_STAGE_PREFIX, dir=parent))


def _commit(stage: Path, dest_root: Path, produced: list[Path], *, overwrite: bool, inputs: list[Path],
            command: str, option: str, keep: Iterable[str] = (),
            notify: Callable[[str], None] | None = None, force: str = "--overwrite") -> dict[Path, Path]:
    """Check every staged file against its destination, then move them all; returns {staged: final}.

    Then the files of the runs this one supersedes (see the module docstring) are removed, except
    those in `keep` (written next by the same invocation, e.g. the report of ``estimate --report``).
    """
    manifest = read_manifest(dest_root)
    plan = []
    for p in produced:
        rel = p.relative_to(stage).as_posix()
        if rel == MANIFEST:
            continue
        dest = dest_root / rel
        _check(dest, rel, manifest, overwrite, inputs, option, force)
        plan.append((p, dest, rel))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    run_id = f"{now}-{uuid.uuid4().hex[:8]}"
    new = {rel for _, _, rel in plan}
    superseded = _superseded(manifest, new)
    stale = {rel: manifest[rel] for rel in manifest
             if rel not in new and rel not in set(keep) and run_of(manifest[rel]) in superseded}
    made_from = sorted({r for i in inputs for r in _runs_of_input(i, dest_root, manifest)})
    moved = {}
    for p, dest, rel in plan:
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = sha256(p)
        if dest.is_symlink():
            dest.unlink()
        os.replace(p, dest)
        manifest[rel] = {"sha256": digest, "written": now, "command": command, "run": run_id, "from": made_from}
        moved[p] = dest
    removed, kept = _remove_stale(dest_root, stale, manifest, inputs)
    _write_manifest(dest_root, manifest)
    _tell(removed, kept, notify)
    return moved


def _runs_of_input(path: Path, folder: Path, manifest: dict) -> set[str]:
    """The runs an input file of `folder` comes from (its own run and the runs it was made from)."""
    try:
        rel = path.resolve().relative_to(folder.resolve()).as_posix()
    except (ValueError, OSError):
        return set()
    e = manifest.get(rel)
    return {run_of(e), *e.get("from", ())} if e is not None else set()


def _remove_stale(folder: Path, stale: dict[str, dict], manifest: dict,
                  inputs: list[Path]) -> tuple[list[tuple[str, dict]], list[tuple[str, dict, str]]]:
    """Remove the stale files that are darkfigure's own and unchanged; returns (removed, kept with why)."""
    removed, kept = [], []
    for rel, entry in sorted(stale.items()):
        p = folder / rel
        if not p.exists() and not p.is_symlink():
            manifest.pop(rel, None)  # already gone: nothing to tell
            continue
        if any(_same_file(p, i) for i in inputs):
            kept.append((rel, entry, "it is an input of this run"))
        elif p.is_symlink() or not p.is_file() or entry.get("sha256") != sha256(p):
            kept.append((rel, entry, "it was changed since darkfigure wrote it"))
        else:
            p.unlink()
            manifest.pop(rel, None)
            removed.append((rel, entry))
    return removed, kept


def _tell(removed: list, kept: list, notify: Callable[[str], None] | None) -> None:
    """Say which files of earlier runs were removed or kept (``notify``, else a UserWarning)."""
    def say(msg: str) -> None:
        """Pass one message to `notify`, or warn (UserWarning) when no callback was given."""
        if notify is not None:
            notify(msg)
        else:
            warnings.warn(msg, UserWarning, stacklevel=4)

    by_run: dict[str, list[str]] = {}
    label: dict[str, str] = {}
    for rel, entry in removed:
        rid = run_of(entry)
        by_run.setdefault(rid, []).append(rel)
        label[rid] = f"`{entry.get('command') or '?'}` run of {entry.get('written', '?')}"
    for rid, rels in by_run.items():
        n = len(rels)
        say(f"removed {n} file{'s' if n != 1 else ''} of the earlier {label[rid]}: {', '.join(rels)} "
            "(they described results this run replaces)")
    for rel, entry, why in kept:
        say(f"kept {rel} of the earlier `{entry.get('command') or '?'}` run of {entry.get('written', '?')} "
            f"although this run replaces that run's results: {why}. `darkfigure report` refuses a folder mixing "
            "runs; move or delete it")


def _as_inputs(inputs: Iterable[str | Path] | None) -> list[Path]:
    out = []
    for i in inputs or ():
        p = Path(i)
        if p.exists():
            out.append(p)
    return out


def _try_write(out: Path) -> None:
    """Create `out` (and missing parents) and write and remove a test file in it, then remove what was created:
    an unwritable folder should stop a command before its work, not after it. OSError when that fails."""
    missing = []
    p = out
    while not p.exists() and p != p.parent:
        missing.append(p)
        p = p.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".darkfigure-probe-", dir=out)
        os.close(fd)
        os.unlink(probe)
    finally:
        for d in missing:  # innermost first; leave no empty folder behind if the run fails later
            try:
                d.rmdir()
            except OSError:
                break


def preflight(
    out: str | Path,
    names: Iterable[str],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | Path] | None = None,
    option: str = "--out folder",
) -> None:
    """Refuse before any work is done when a file a command will write is unsafe to write.

    The same checks as :func:`write_folder` for the file `names` the command is known to
    write in `out` (a long estimate should not end in a refusal); the staged write checks
    every file again.

    Raises
    ------
    OutputError, NotADirectoryError
        As :func:`write_folder`.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"it is a file, not a folder; give a folder as {option}", str(out))
    ins = _as_inputs(inputs)
    for i in ins:
        if _same_file(out, i):
            raise OutputError(f"{str(out)!r} is an input of this run; choose another {option}")
    _try_write(out)
    hold_folder(out, option)
    if not out.is_dir():
        return
    manifest = read_manifest(out)
    names = list(names)
    for name in names:  # the input first: it is refused even with overwrite
        _check(out / name, Path(name).as_posix(), manifest, True, ins, option)
    for name in names:
        _check(out / name, Path(name).as_posix(), manifest, overwrite, ins, option)


#: folder locks this process holds (kept until it ends; the system frees them if it is killed)
_HELD: dict[str, Any] = {}


def hold_folder(out: str | Path, option: str = "--out folder") -> None:
    """Claim `out` for this process's run, or refuse because another darkfigure run is writing there now.

    Two runs into one folder at once end consistent (each commit is atomic and supersedes the other's files),
    but one user's results silently vanish (tester report 7, 13). The claim is an advisory lock (``filelock``:
    ``flock`` on POSIX) on a file in the temporary folder named by the folder's resolved path, so nothing is
    added to `out`; the operating system releases it when the process ends, however it ends. A process that already holds the folder may claim it again.

    Raises
    ------
    OutputError
        Another live process holds the folder.
    """
    key = hashlib.sha256(str(Path(out).resolve()).encode()).hexdigest()[:32]
    if key in _HELD:
        return
    folder = Path(tempfile.gettempdir()) / "darkfigure-locks"
    folder.mkdir(exist_ok=True)
    from filelock import FileLock, Timeout

    held: Any = FileLock(str(folder / f"{key}.lock"), timeout=0)
    try:
        held.acquire()
    except Timeout:
        held = False
    if held is False:
        raise OutputError(
            f"another darkfigure run is writing to {str(out)!r} now; wait until it has finished, or choose another "
            f"{option}"
        ) from None
    _HELD[key] = held


def write_folder(
    out: str | Path,
    writer: Callable[[Path], Any],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | Path] | None = None,
    command: str = "",
    option: str = "--out folder",
    keep: Iterable[str] = (),
    notify: Callable[[str], None] | None = None,
    force: str = "--overwrite",
) -> tuple[list[Path], Any]:
    """Run ``writer(folder)`` into a staging folder, then move its files into `out` if all are safe to write.

    Parameters
    ----------
    out : path
        The output folder (created when missing).
    writer : callable
        Writes its files into the folder it is given (subfolders allowed) and returns
        anything (typically the list of files written).
    overwrite : bool
        Replace existing files darkfigure did not write (never an input).
    inputs : iterable of path, optional
        Files the run reads: never written over, even with `overwrite`.
    command : str
        The command, recorded in the manifest.
    option : str
        How the user names the destination, for messages (``--out folder``).
    keep : iterable of str
        Files (relative to `out`) the same invocation writes next: not removed as stale.
    notify : callable, optional
        Called with a one-line message for every earlier run whose files were removed or
        kept as stale (see the module docstring); a :class:`UserWarning` when None.
    force : str
        How the user asks for `overwrite`, for messages (``--overwrite``; ``overwrite=True`` in Python).

    Returns
    -------
    (list of Path, object)
        The files written in `out` (sorted) and what `writer` returned, with paths
        inside the staging folder mapped to their final place.

    Notes
    -----
    A write into the staging folder of a write in progress (a result's public ``.write`` called
    by the writer of a command) writes there directly: the enclosing write checks and commits
    its files, once.

    Raises
    ------
    OutputError
        A destination is an input or a file darkfigure did not write (nothing is written then).
    OSError
        The folder cannot be written (NotADirectoryError: `out` is a file).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, f"it is a file, not a folder; give a folder as {option}", str(out))
    ins = _as_inputs(inputs)
    for i in ins:
        if _same_file(out, i):
            raise OutputError(f"{str(out)!r} is an input of this run; choose another {option}")
    if _staged(out):
        result = writer(out)
        return sorted(p for p in out.rglob("*") if p.is_file() and not p.is_symlink()), result
    stage = _stage_dir(out)
    try:
        result = _run_staged(stage, writer, stage)
        produced = sorted(p for p in stage.rglob("*") if p.is_file() and not p.is_symlink())
        moved = _commit(stage, out, produced, overwrite=overwrite, inputs=ins, command=command, option=option,
                        keep=keep, notify=notify, force=force)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return sorted(moved.values()), _remap(result, stage, out)


def write_file(
    path: str | Path,
    writer: Callable[[Path], Any],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | Path] | None = None,
    command: str = "",
    option: str = "--out file",
    notify: Callable[[str], None] | None = None,
    force: str = "--overwrite",
) -> Any:
    """Run ``writer(tmp_path)`` (same file name, in a staging folder), then move it to `path` if safe.

    Parameters and errors as :func:`write_folder`; the manifest is the one of ``path``'s
    folder. Returns what `writer` returned (paths mapped to their final place).
    """
    path = Path(path)
    if path.name in ("", ".", ".."):
        raise OutputError(f"{str(path)!r} is not a file name; give a file as {option}")
    ins = _as_inputs(inputs)
    parent = path.parent
    stage = _stage_dir(parent)
    try:
        tmp = stage / path.name
        result = _run_staged(stage, writer, tmp)
        if not tmp.is_file():
            raise OSError(f"nothing was written to {str(path)!r}")
        _commit(stage, parent, [tmp], overwrite=overwrite, inputs=ins, command=command, option=option,
                notify=notify, force=force)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return _remap(result, stage, parent)


def _staged(path: Path) -> bool:
    """Whether `path` is (inside) the staging folder of a write in progress in this context."""
    stages = _ACTIVE_STAGES.get()
    if not stages:
        return False
    try:
        p = path.resolve()
    except OSError:
        return False
    return any(p == s or s in p.parents for s in stages)


def _run_staged(stage: Path, writer: Callable[[Path], Any], arg: Path) -> Any:
    """``writer(arg)`` with `stage` marked as a staging folder in progress (see :func:`_staged`)."""
    token = _ACTIVE_STAGES.set((*_ACTIVE_STAGES.get(), stage.resolve()))
    try:
        return writer(arg)
    finally:
        _ACTIVE_STAGES.reset(token)


def write_result(out: str | Path, writer: Callable[[Path], list[Path]], *, overwrite: bool = False,
                 command: str) -> list[Path]:
    """The public ``.write(out)`` of a result object: :func:`write_folder` with the Python API's wording.

    `writer` writes the result's files into the folder it is given and returns them; they are
    moved into `out` only if none overwrites a file darkfigure did not write (or changed since),
    unless `overwrite`; the folder's manifest records them, so writing again into `out` is fine.

    Returns
    -------
    list of Path
        What `writer` returned, mapped to `out` (same order).

    Raises
    ------
    OutputError
        A file in `out` that darkfigure did not write would be replaced (the message names it
        and ``overwrite=True``); nothing is written then.
    OSError
        `out` cannot be written (NotADirectoryError: it is a file).
    """
    _, files = write_folder(out, writer, overwrite=overwrite, command=command, option="folder (out)",
                            force="overwrite=True")
    return files


def _remap(obj: Any, stage: Path, final: Path) -> Any:
    """Replace paths under `stage` by the same paths under `final` (in lists, tuples and attributes we know)."""
    if isinstance(obj, Path):
        try:
            return final / obj.relative_to(stage)
        except ValueError:
            return obj
    if isinstance(obj, list):
        return [_remap(x, stage, final) for x in obj]
    if isinstance(obj, tuple):
        return tuple(_remap(x, stage, final) for x in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: _remap(getattr(obj, f.name), stage, final) for f in dataclasses.fields(obj)
                   if f.init and isinstance(getattr(obj, f.name), Path)}
        return dataclasses.replace(obj, **changes) if changes else obj
    return obj


def write_atomic(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` atomically: a temporary file in the same folder, flushed to disk, then renamed.

    For content-addressed entries darkfigure owns outright (the result cache of ``darkfigure strata``,
    whose file names are SHA-256 keys inside a folder marked as a darkfigure cache): they are not
    listed in the manifest (thousands of entries; rewriting it per entry would cost O(n^2)). A process
    killed mid-write leaves at most a stray ``.tmp-*`` file, never a truncated entry.

    Raises
    ------
    OSError
        The folder cannot be written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    _as_created(fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
