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
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .histories import DataError

__all__ = ["MANIFEST", "OutputError", "write_folder", "write_file", "preflight", "sha256", "read_manifest",
           "write_atomic"]

#: Name of the manifest of darkfigure's own outputs, one per output folder.
MANIFEST = ".darkfigure-outputs.json"
_STAGE_PREFIX = ".darkfigure-staging-"


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
    """The manifest of `folder`: {relative path (posix): {"sha256", "written", "command"}}; {} when absent.

    An unreadable manifest counts as empty, so nothing in the folder is taken for darkfigure's own.
    """
    p = Path(folder) / MANIFEST
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        files = d.get("files", {})
        return files if isinstance(files, dict) else {}
    except (OSError, ValueError, AttributeError):
        return {}


def _write_manifest(folder: Path, files: dict[str, dict]) -> None:
    d = {
        "about": "files written by darkfigure (name and SHA-256); darkfigure replaces only these, and only unchanged",
        "files": dict(sorted(files.items())),
    }
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=folder)
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


def _check(dest: Path, rel: str, manifest: dict, overwrite: bool, inputs: list[Path], option: str) -> None:
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
        "move the file away, or pass --overwrite to replace it"
    )


def _stage_dir(parent: Path) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=_STAGE_PREFIX, dir=parent))


def _commit(stage: Path, dest_root: Path, produced: list[Path], *, overwrite: bool, inputs: list[Path],
            command: str, option: str) -> dict[Path, Path]:
    """Check every staged file against its destination, then move them all; returns {staged: final}."""
    manifest = read_manifest(dest_root)
    plan = []
    for p in produced:
        rel = p.relative_to(stage).as_posix()
        if rel == MANIFEST:
            continue
        dest = dest_root / rel
        _check(dest, rel, manifest, overwrite, inputs, option)
        plan.append((p, dest, rel))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    moved = {}
    for p, dest, rel in plan:
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = sha256(p)
        if dest.is_symlink():
            dest.unlink()
        os.replace(p, dest)
        manifest[rel] = {"sha256": digest, "written": now, "command": command}
        moved[p] = dest
    _write_manifest(dest_root, manifest)
    return moved


def _as_inputs(inputs: Iterable[str | Path] | None) -> list[Path]:
    out = []
    for i in inputs or ():
        p = Path(i)
        if p.exists():
            out.append(p)
    return out


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
    if not out.is_dir():
        return
    manifest = read_manifest(out)
    names = list(names)
    for name in names:  # the input first: it is refused even with overwrite
        _check(out / name, Path(name).as_posix(), manifest, True, ins, option)
    for name in names:
        _check(out / name, Path(name).as_posix(), manifest, overwrite, ins, option)


def write_folder(
    out: str | Path,
    writer: Callable[[Path], Any],
    *,
    overwrite: bool = False,
    inputs: Iterable[str | Path] | None = None,
    command: str = "",
    option: str = "--out folder",
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

    Returns
    -------
    (list of Path, object)
        The files written in `out` (sorted) and what `writer` returned, with paths
        inside the staging folder mapped to their final place.

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
    stage = _stage_dir(out)
    try:
        result = writer(stage)
        produced = sorted(p for p in stage.rglob("*") if p.is_file() and not p.is_symlink())
        moved = _commit(stage, out, produced, overwrite=overwrite, inputs=ins, command=command, option=option)
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
        result = writer(tmp)
        if not tmp.is_file():
            raise OSError(f"nothing was written to {str(path)!r}")
        _commit(stage, parent, [tmp], overwrite=overwrite, inputs=ins, command=command, option=option)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return _remap(result, stage, parent)


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
