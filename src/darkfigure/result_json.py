"""Interval limits in ``result.json``: an infinite upper limit is JSON null plus ``upper_unbounded: true``.

Until tester report 13a (F6.1) ``interval.upper`` was the string ``"inf"`` when the data set no upper limit and a
number otherwise, so a script doing arithmetic on it broke. JSON has no infinity; a null with an explicit flag keeps
the field numeric-or-null, and a missing limit (no interval: NaN) stays a plain null with the flag false.

Files written before this hold ``"inf"`` and no flag: :func:`upper_limit` reads both, and :func:`legacy_interval`
turns a new block back into the old form for readers written for it (the report's, through
:func:`darkfigure.report.run.load_run`).
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["interval_limits", "legacy_interval", "upper_limit"]


def interval_limits(lower: float, upper: float) -> dict:
    """``{"lower", "upper", "upper_unbounded"}`` for ``result.json``'s ``interval`` block.

    Parameters
    ----------
    lower, upper : float
        The interval's limits in persons; NaN when there is none, ``upper`` +inf when the data set no upper limit.

    Returns
    -------
    dict: ``lower`` (float or None), ``upper`` (float, or None when missing or infinite) and ``upper_unbounded``
    (True only for an infinite upper limit).
    """
    from .results import _num

    up = float(upper) if upper is not None else math.nan
    unbounded = math.isinf(up) and up > 0
    return {"lower": _num(lower), "upper": None if unbounded else _num(up), "upper_unbounded": bool(unbounded)}


def upper_limit(block: dict | None) -> float:
    """The upper limit of an ``interval`` block as a float: +inf when ``upper_unbounded`` (or the older ``"inf"``),
    NaN when missing."""
    if not isinstance(block, dict):
        return math.nan
    if block.get("upper_unbounded") is True:
        return math.inf
    v: Any = block.get("upper")
    if isinstance(v, str):
        return math.inf if v.strip().lower() in ("inf", "+inf", "infinity") else math.nan
    try:
        return math.nan if v is None else float(v)
    except (TypeError, ValueError):
        return math.nan


def legacy_interval(result: dict | None) -> dict | None:
    """`result` (a parsed ``result.json``) with ``interval.upper`` as ``"inf"`` where ``upper_unbounded`` is true.

    For readers that expect the older form; the input is not modified (a shallow copy is returned when it changes).
    """
    if not isinstance(result, dict):
        return result
    iv = result.get("interval")
    if isinstance(iv, dict) and iv.get("upper_unbounded") is True and iv.get("upper") is None:
        return {**result, "interval": {**iv, "upper": "inf"}}
    return result
