"""A result cache keyed by content: one file per (stratum, replicate) unit, named by a SHA-256 key.

The key hashes everything the result depends on: the stratum's capture histories (the lists
used and the count of every observed capture pattern, in a canonical order), the method and all
its settings, the estimability rule, the unit's seed, the darkfigure version and :data:`RULES` (the
result rules of this code, which can change between commits of one version). A rerun, or a run
killed and restarted, finds every unit already computed and computes only what is missing;
changing the data of one stratum, a setting or the version recomputes exactly what it touches.

Entries are ``.npz`` files (NumPy arrays, read with ``allow_pickle=False``: a cache folder is
never a way to run code) written atomically through :func:`darkfigure.outputs.write_atomic`,
so a process killed mid-write leaves no partial entry. The folder holds a marker file; a
folder that is not empty and has no marker is refused (it is not a darkfigure cache).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..outputs import write_atomic

__all__ = ["ResultCache", "MemoryCache", "unit_key", "check_cache_folder", "MARKER", "RULES"]

#: file that marks a folder as a darkfigure strata cache
MARKER = ".darkfigure-strata-cache"


#: bumped when a unit's result gains or changes a field (2: ``bias``; 3: bootstrap replicates without a finite N̂ are
#: +inf in ``draws``, no longer redrawn from the others), so older results are recomputed
_FORMAT = 3

#: the rules that decide a stratum's result (estimable or not, not identified, its N̂ and interval); part of every key.
#: Bump it whenever such a rule changes, even within one darkfigure version (the version alone left stale results:
#: a cache filled before a rule change kept serving them). 1: before the key held it; 2: LCMCR not identified when a
#: list shares nobody or the upper credible limit exceeds 50 times the observed (tester report 10, F1).
RULES = 2


def unit_key(lists, cells: np.ndarray, counts: np.ndarray, method: str, settings: dict, seed: int,
             version: str) -> str:
    """SHA-256 (hex) of one unit's content: histories, method, settings, seed and version.

    Parameters
    ----------
    lists : sequence of str
        The list names, in column order of `cells`.
    cells : ndarray of int8, shape (P, k)
        Observed capture patterns (0/1).
    counts : ndarray of int64, shape (P,)
        Persons per pattern (rows with 0 are ignored).
    method, settings, seed, version
        What else the result depends on (settings must be JSON-able); :data:`RULES` is added here.

    The patterns are sorted, so the order of rows in the input file does not change the key.
    """
    keep = np.asarray(counts) > 0
    rows = sorted(("".join(map(str, map(int, c))), int(n)) for c, n in zip(np.asarray(cells)[keep],
                                                                          np.asarray(counts)[keep], strict=True))
    doc = {"lists": [str(x) for x in lists], "patterns": rows, "method": method, "settings": settings,
           "seed": int(seed), "version": version, "format": _FORMAT, "rules": RULES}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def _encode(result: dict) -> bytes:
    """`result` as the bytes of one ``.npz`` entry: ``meta`` (JSON of all but the draws) and ``draws`` (float).

    As ``np.savez_compressed`` writes it, but deflated at level 1: ~2.3 KB per 1,000 LCMCR draws (2.1 KB at
    savez_compressed's level 6, 8.7 KB stored) in a third of the time (~0.2 ms a unit less, issue #16); np.load
    reads either.
    """
    meta = {k: v for k, v in result.items() if k != "draws"}
    draws = result.get("draws")
    arrays = {"meta": np.array(json.dumps(meta, default=float)),
              "draws": np.asarray([] if draws is None else draws, dtype=float)}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, a in arrays.items():
            with z.open(f"{name}.npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, a, allow_pickle=False)
    return buf.getvalue()


def _decode(data: bytes) -> dict:
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        out = json.loads(str(z["meta"]))
        d = z["draws"]
        out["draws"] = d if d.size else None
    return out


def _unwritable(folder: Path, e: OSError) -> str:
    return (f"cannot write the strata cache to {str(folder)!r}: {e.strerror or e}. Nothing was computed: choose a "
            "folder you can create and write (--cache)")


def _marker_appears(folder: Path, wait: float = 2.0) -> bool:
    """Whether the marker is there, or appears within `wait` seconds.

    Another run that has just created the folder writes its marker a moment later (the
    atomic write's temporary file is already in the folder): two runs started together
    with one new --cache must both be accepted (tester 9, F25).
    """
    import time

    end = time.monotonic() + wait
    while True:
        if (folder / MARKER).exists():
            return True
        if time.monotonic() >= end:
            return False
        time.sleep(0.05)


def check_cache_folder(folder: str | Path) -> None:
    """Refuse a cache folder before any work: a file, a folder darkfigure did not create, or one it cannot write.

    Leaves nothing behind: a folder created to test that it can be written is removed again
    (:class:`ResultCache` creates it when the run starts computing).

    Raises
    ------
    DataError
        `folder` is a file; it exists, is not empty and has no marker file (not a darkfigure strata
        cache); or it (or a missing parent) cannot be created or written (a read-only file system, no
        permission), naming the folder and the system's reason (tester 9, F14: an ``OSError`` after the
        joint model search before).
    """
    from ..outputs import _try_write

    folder = Path(folder)
    try:
        if folder.exists() and not folder.is_dir():
            raise DataError(f"--cache {str(folder)!r} is a file; give a folder for the strata cache")
        if folder.is_dir() and any(folder.iterdir()) and not _marker_appears(folder):
            raise DataError(
                f"--cache {str(folder)!r} is a folder that darkfigure did not create (no {MARKER} in it): "
                "darkfigure writes its cache only into an empty or its own folder; choose another --cache"
            )
        _try_write(folder)
    except OSError as e:
        raise DataError(_unwritable(folder, e)) from None


class MemoryCache:
    """A cache in memory (no folder given): same interface as :class:`ResultCache`."""

    def __init__(self) -> None:
        self._d: dict[str, dict] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._d

    def get(self, key: str) -> dict | None:
        """The stored result, or None; as a folder returns it (encoded and decoded again)."""
        r = self._d.get(key)
        return None if r is None else _decode(_encode(r))

    def put(self, key: str, result: dict) -> None:
        """Store `result` (a dict of JSON-able values and an optional ``draws`` array)."""
        # a copy, encoded only if read back: a run without --cache never reads it, so it pays nothing per unit
        self._d[key] = {k: list(v) if isinstance(v, list) else np.array(v) if isinstance(v, np.ndarray) else v
                        for k, v in result.items()}

    def __len__(self) -> int:
        return len(self._d)


class ResultCache(MemoryCache):
    """A folder of results, one ``<key[:2]>/<key>.npz`` per unit.

    Parameters
    ----------
    folder : path
        Created when missing (with its marker file).

    Raises
    ------
    DataError
        `folder` exists, is not empty and is not a darkfigure strata cache (no marker file), is a file,
        or cannot be written (:func:`check_cache_folder`).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        check_cache_folder(self.folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            if not (self.folder / MARKER).exists():
                write_atomic(self.folder / MARKER,
                             b"darkfigure strata result cache: one file per stratum x replicate, named by content "
                             b"hash\n")
        except OSError as e:
            raise DataError(_unwritable(self.folder, e)) from None

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.npz"

    def __contains__(self, key: str) -> bool:
        return self._path(key).is_file()

    def get(self, key: str) -> dict | None:
        """The stored result, or None (a missing or unreadable entry: it is computed again)."""
        p = self._path(key)
        try:
            return _decode(p.read_bytes())
        except (OSError, ValueError, KeyError):
            return None

    def put(self, key: str, result: dict) -> None:
        """Store `result` atomically."""
        write_atomic(self._path(key), _encode(result))

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("??/*.npz"))
