"""Interval limits in ``result.json``: an infinite upper limit is JSON null plus ``upper_unbounded: true``.

Until tester report 13a (F6.1) ``interval.upper`` was the string ``"inf"`` when the data set no upper limit and a
number otherwise, so a script doing arithmetic on it broke. JSON has no infinity; a null with an explicit flag keeps
the field numeric-or-null, and a missing limit (no interval: NaN) stays a plain null with the flag false.

Files written before this hold ``"inf"`` and no flag: :func:`upper_limit` reads both, and :func:`legacy_interval`
turns a new block back into the old form for readers written for it (the report's, through
:func:`darkfigure.report.run.load_run`).

The same rule holds for every JSON-ish output (the review after 13a: strata totals, ``Result.to_dict()`` and the
sensitivity bounds still wrote ``"inf"``): :func:`_num` gives a number or None, never a string, and
:func:`_jsonable` writes a figure that is +inf under key ``k`` as ``k: null`` with ``k_unbounded: true``
(``k_unbounded_below: true`` for -inf); a list of figures under ``k`` (``[lower, upper]``) gets
``k_unbounded``, a list of booleans, one per figure. NaN is null without a flag.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["interval_limits", "legacy_interval", "upper_limit"]


def _num(v: Any) -> float | None:
    """A float for JSON: None for None, NaN and ±inf (JSON has neither; :func:`_jsonable` flags an infinity)."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def _sign_inf(v: Any) -> int:
    """+1 for +inf, -1 for -inf, 0 for anything else (a finite or NaN float, or not a float)."""
    if isinstance(v, (float, np.floating)) and math.isinf(v):
        return 1 if v > 0 else -1
    return 0


def _flag(out: dict, key: str, v: Any) -> None:
    """Add ``key_unbounded`` (``key_unbounded_below``) to `out` when `v`, the raw value under `key`, is infinite or
    a flat sequence of figures holding an infinity (then the flag is one boolean per figure)."""
    s = _sign_inf(v)
    if s:
        out[f"{key}_unbounded" if s > 0 else f"{key}_unbounded_below"] = True
        return
    if isinstance(v, np.ndarray):
        v = v.tolist() if v.ndim == 1 else []
    if isinstance(v, (list, tuple)) and v:
        signs = [_sign_inf(e) for e in v]
        if any(x > 0 for x in signs):
            out[f"{key}_unbounded"] = [x > 0 for x in signs]
        if any(x < 0 for x in signs):
            out[f"{key}_unbounded_below"] = [x < 0 for x in signs]


def _jsonable(x: Any) -> Any:
    """Plain JSON types from numpy scalars/arrays, frames and nested containers (numbers or null, never "inf";
    an infinity under a key is flagged beside it, see the module docstring). Other objects become their str."""
    if isinstance(x, pd.DataFrame):
        x = x.to_dict(orient="records")
    if isinstance(x, (Mapping, pd.Series)):
        out: dict = {}
        for k, v in x.items():
            out[str(k)] = _jsonable(v)
            _flag(out, str(k), v)
        return out
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.ndarray):
        return [_jsonable(v) for v in x.tolist()]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return _num(x)
    if x is None or isinstance(x, str):
        return x
    return str(x)


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


def legacy_interval(result: Any) -> Any:
    """`result` (a parsed ``result.json``, ``compare.json``, ...) with every flagged infinity back as ``"inf"``
    (``"-inf"``): ``interval.upper`` where ``upper_unbounded`` is true, and so any ``k`` beside ``k_unbounded``.

    For readers that expect the older form; the input is not modified (changed containers are copied).
    """
    if isinstance(result, list):
        return [legacy_interval(v) for v in result]
    if not isinstance(result, dict):
        return result
    out = {k: legacy_interval(v) for k, v in result.items()}
    for k in list(out):
        for suffix, text in (("_unbounded", "inf"), ("_unbounded_below", "-inf")):
            flag = result.get(f"{k}{suffix}")
            if flag is True and out[k] is None:
                out[k] = text
            elif isinstance(flag, list) and isinstance(out[k], list) and len(flag) == len(out[k]):
                out[k] = [text if f is True and v is None else v for f, v in zip(flag, out[k])]
    return result if out == result else out
