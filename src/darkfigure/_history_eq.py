"""Equality and hashing of :class:`~darkfigure.histories.CaptureHistories` (tester 13b, L7).

The frozen dataclass compared its DataFrame fields with ``==`` ("The truth value of a DataFrame is ambiguous") and
hashed its dict field (``TypeError: unhashable type: 'dict'``). Two histories are now equal when they hold the same
data: the same lists and covariates in the same order, the same levels, and the same count for every capture
pattern x stratum (and the same persons with unknown covariate values), whatever the row order or the dtypes of the
columns. ``name``, ``notes`` and ``warnings`` (where the data came from) do not count. The hash follows the same
data, so equal histories hash alike and histories can be set members or dict keys.
"""

from __future__ import annotations

import hashlib

import pandas as pd

__all__ = ["histories_eq", "histories_hash"]


def _canonical(h, frame: pd.DataFrame | None) -> pd.DataFrame | None:
    """`frame` (h.table or h.incomplete) with plain columns in a fixed order, rows sorted, a fresh index."""
    if frame is None:
        return None
    cols = [*h.lists, *h.covariates, "count"]
    t = frame[cols].copy()
    for c in h.lists:
        t[c] = t[c].astype("int64")
    for c in h.covariates:
        t[c] = t[c].astype(object).where(t[c].notna(), None)
    t["count"] = t["count"].astype("int64")
    key = [*h.lists, *h.covariates]
    # sort on the text of the values: covariate levels may mix types, and None must sort too
    order = t[key].astype(str).apply(tuple, axis=1).sort_values(kind="stable").index
    return t.loc[order].reset_index(drop=True)


def histories_eq(a, b) -> bool:
    """``a == b`` for CaptureHistories: the same data (see the module docstring); NotImplemented for other types."""
    from .histories import CaptureHistories

    if not isinstance(b, CaptureHistories):
        return NotImplemented
    if a is b:
        return True
    if (tuple(a.lists), tuple(a.covariates)) != (tuple(b.lists), tuple(b.covariates)):
        return False
    if {c: tuple(v) for c, v in a.levels.items()} != {c: tuple(v) for c, v in b.levels.items()}:
        return False
    for fa, fb in ((a.table, b.table), (a.incomplete, b.incomplete)):
        ca, cb = _canonical(a, fa), _canonical(b, fb)
        if (ca is None) != (cb is None):
            return False
        if ca is not None and not (ca.shape == cb.shape and ca.astype(str).equals(cb.astype(str))
                                   and (ca["count"].to_numpy() == cb["count"].to_numpy()).all()):
            return False
    return True


def histories_hash(h) -> int:
    """A hash of the data :func:`histories_eq` compares (equal histories hash alike)."""
    digest = hashlib.sha256(repr((tuple(h.lists), tuple(h.covariates),
                                  sorted((c, tuple(map(str, v))) for c, v in h.levels.items()))).encode())
    for frame in (h.table, h.incomplete):
        t = _canonical(h, frame)
        digest.update(b"-" if t is None else t.astype(str).to_csv(index=False).encode())
    return int.from_bytes(digest.digest()[:8], "big", signed=True)
