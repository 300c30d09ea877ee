"""Statistical disclosure control of the published monitor tables.

Small counts of registered victims can identify persons, so published tables
hide them (cell suppression; Hundepool et al. 2012, *Statistical Disclosure
Control*, Wiley, ch. 4 and 5; the National Rapporteur's tables print "<10").

The rules
---------
1. **Primary suppression.** A row whose *observed* count is below the threshold K
   (default 10) is suppressed: its ``observed`` is published as ``"<K"``.
2. **Secondary suppression.** The rows of the monitor table are tied by additive
   relations: within each year block (and for all years together) the total is the
   sum of the levels of each covariate; the level a of covariate A is the sum of the
   pair cells a:b over the levels of B (and likewise for B); and every row for all
   years together is the sum of the same row over the years. In every such relation
   (a parent and its children), if exactly one cell is suppressed, the smallest other
   child (by observed count; the parent if there is no other child) is suppressed too,
   so that "parent minus the other children" no longer gives the hidden cell. This
   repeats until no relation has a single suppressed cell. A final audit solves the
   whole linear system of relations: a suppressed cell whose value is fixed by the
   published ones (the null space of the relations restricted to the suppressed cells
   has no component along it) gets a further partner, until none is. Secondary cells
   show ``"x"``.
3. A suppressed row hides all its numbers (``x``: N̂, interval, visibility, rate),
   since visibility × N̂ would give the observed count back. In the other rows a count
   (observed, N̂, lower, upper; with a linkage correction also N̂ as linked and the mean over the
   linkage draws) below K is shown as ``"<K"``. Counts are rounded to whole persons, visibility and the
   shares due to linkage to 3 decimals and rates to 2; ``interval_shifted`` is ``True``/``False`` (``x``
   in a suppressed row).

The protection is against exact recovery from the published table through its
additive relations (differencing); bounds from non-negativity (interval attacks) are
not checked.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd
from scipy.linalg import null_space

from ..group_names import split_group_name

__all__ = ["relations", "suppress", "recoverable", "publish"]

COUNT_COLUMNS = ("observed", "nhat", "lower", "upper", "nhat_as_linked", "lower_as_linked", "upper_as_linked",
                 "lower_draws", "upper_draws", "nhat_mean_draws")
#: columns of true/false (a run corrected for linkage error: monitoring.linkage_rows.LINKAGE_COLUMNS)
FLAG_COLUMNS = ("interval_widened", "interval_shifted")


def relations(table: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """Additive relations between rows of a monitor table: (parent row, child rows).

    Parameters
    ----------
    table : DataFrame
        A monitor table with columns ``group, level, year`` (see
        :data:`~darkfigure.monitoring.tables.MONITOR_COLUMNS`).

    Returns
    -------
    list of (int, list of int)
        Positional row indices: the parent's count equals the sum of the children's.
    """
    t = table.reset_index(drop=True)
    grp = t["group"].astype(str).to_numpy()
    lvl = t["level"].astype(str).to_numpy()
    yrs = t["year"].astype(str).to_numpy()
    key = {(g, lv, y): i for i, (g, lv, y) in enumerate(zip(grp, lvl, yrs))}
    # single covariates: groups whose levels hold no ':'; a pair "A:B" (or the old "AxB" of tables
    # written before the ':' names, when it splits one way only) is split into the two it names
    singles = {g for g in set(grp) if g != "total"} - {g for g, lv in zip(grp, lvl) if ":" in lv}
    pairs = {g: p for g in {g for g, lv in zip(grp, lvl) if ":" in lv}
             if (p := split_group_name(g, singles, 2)) is not None}
    rel: dict[tuple, list[int]] = defaultdict(list)
    for i, (g, lv, y) in enumerate(zip(grp, lvl, yrs)):
        if g in pairs and ":" in lv:
            a, b = pairs[g]
            la, lb = lv.split(":", 1)
            rel[((a, la, y), g, b)].append(i)
            rel[((b, lb, y), g, a)].append(i)
        elif g != "total":
            rel[(("total", "", y), g)].append(i)
        if y != "":
            rel[((g, lv, ""), "year")].append(i)
    out = []
    for k, children in rel.items():
        p = key.get(k[0])
        if p is not None and children:
            out.append((p, children))
    return out


def suppress(table: pd.DataFrame, threshold: int = 10) -> np.ndarray:
    """Which rows to suppress: primary (observed < threshold) and secondary.

    Parameters
    ----------
    table : DataFrame of shape (n_rows, >= 4)
        A monitor table (``group, level, year, observed``, ...).
    threshold : int
        K: observed counts below it are suppressed (default 10).

    Returns
    -------
    ndarray of int8, shape (n_rows,)
        0 published, 1 primary suppression, 2 secondary suppression.

    Raises
    ------
    ValueError
        If `threshold` is negative.
    """
    if threshold < 0:
        raise ValueError(f"the suppression threshold must be non-negative (got {threshold})")
    t = table.reset_index(drop=True)
    obs = t["observed"].to_numpy(dtype=float)
    state = np.where(obs < threshold, 1, 0).astype(np.int8)
    if not state.any():
        return state
    rel = relations(t)
    for _ in range(10 * len(t) + 10):
        changed = False
        for p, ch in rel:
            members = [p, *ch]
            if sum(state[m] > 0 for m in members) != 1:
                continue
            cand = [c for c in ch if state[c] == 0]
            pick = min(cand, key=lambda c: (obs[c], c)) if cand else p
            state[pick] = 2
            changed = True
        if not changed:
            rec = recoverable(t, state > 0, rel)
            if not rec.size:
                break
            j = int(rec[0])
            cand = sorted(
                {m for p, ch in rel if j in (p, *ch) for m in (p, *ch) if state[m] == 0},
                key=lambda c: (obs[c], c),
            )
            if not cand:
                break
            state[cand[0]] = 2
    return state


def recoverable(table: pd.DataFrame, hidden: np.ndarray, rel: list | None = None) -> np.ndarray:
    """Hidden rows whose value the published rows determine exactly through the relations.

    Parameters
    ----------
    table : DataFrame of shape (n_rows, ...)
        A monitor table.
    hidden : ndarray of bool, shape (n_rows,)
        Suppressed rows.
    rel : list, optional
        :func:`relations` of `table` (computed when not given).

    Returns
    -------
    ndarray of int
        Positions of hidden rows that can be recovered (empty when the table is safe).
    """
    rel = relations(table) if rel is None else rel
    hid = np.flatnonzero(hidden)
    if hid.size == 0:
        return hid
    pos = {j: i for i, j in enumerate(hid)}
    rows = []
    for p, ch in rel:
        if not any(m in pos for m in (p, *ch)):
            continue
        r = np.zeros(hid.size)
        if p in pos:
            r[pos[p]] += 1
        for c in ch:
            if c in pos:
                r[pos[c]] -= 1
        rows.append(r)
    if not rows:
        return hid
    a = np.vstack(rows)
    ns = null_space(a)
    if ns.size == 0:
        return hid
    free = np.abs(ns).max(axis=1) > 1e-9
    return hid[~free]


def publish(table: pd.DataFrame, threshold: int = 10) -> pd.DataFrame:
    """The monitor table as published: suppression applied, numbers rounded, as text.

    Parameters
    ----------
    table : DataFrame of shape (n_rows, n_columns)
        A monitor table (with or without the rate columns).
    threshold : int
        K (default 10); see the module notes for the rules.

    Returns
    -------
    DataFrame of shape (n_rows, n_columns)
        Same columns, every value as text: ``"<K"`` for primary suppression and small
        counts, ``"x"`` for hidden values, ``""`` for missing ones; then, when `table` has
        ``nhat, lower, upper``, :data:`ROUNDED_COLUMNS`: the figures as the public page rounds
        them (:func:`rounded_columns`).

    Raises
    ------
    ValueError
        If `threshold` is negative.
    """
    t = table.reset_index(drop=True)
    state = suppress(t, threshold)
    small = f"<{threshold}"
    out = t[["group", "level", "year"]].astype(str).copy()
    for c in t.columns:
        if c in ("group", "level", "year"):
            continue
        v = t[c].to_numpy(dtype=float)
        col = []
        for i, x in enumerate(v):
            if state[i]:
                col.append(small if (c == "observed" and state[i] == 1) else "x")
            elif c in FLAG_COLUMNS:
                col.append("True" if x == 1 else "False")  # as monitor.csv and estimates.csv write them
            elif np.isnan(x):
                col.append("")
            elif c in COUNT_COLUMNS:
                col.append(small if x < threshold else ("inf" if np.isinf(x) else f"{x:.0f}"))
            elif c.startswith("visibility") or c.endswith("share_linkage"):
                col.append(f"{x:.3f}")
            else:
                col.append(f"{x:.2f}")
        out[c] = col
    if {"nhat", "lower", "upper"} <= set(t.columns):
        for c, v in rounded_columns(t, state, threshold).items():
            out[c] = v
    return out


#: the columns of ``monitor_published.csv`` that give N̂ and its interval as the public page prints them
ROUNDED_COLUMNS = ("nhat_rounded", "lower_rounded", "upper_rounded")


def rounded_columns(table: pd.DataFrame, state: np.ndarray, threshold: int) -> dict[str, list[str]]:
    """N̂ and its interval rounded by the public page's rule, per row, as text (tester 15b, M4).

    The page (``darkfigure report --audience public``) rounds each figure to the precision its interval supports
    (:func:`darkfigure.report.public_rounding.round_figure`: the half-width's first digit; N̂ to the nearest unit,
    the ends outward); these columns hold the same numbers, so that a figure copied from ``monitor_published.csv``
    and one quoted from the page agree. A row without an upper limit gives, as the page, only its lower limit
    (``nhat_rounded`` empty, ``upper_rounded`` "inf"); a suppressed row "x"; a rounded count below `threshold`
    "<K". `table`: the monitor table (columns ``nhat, lower, upper``); `state`: :func:`suppress` of it.
    Returns {column: list of str} for :data:`ROUNDED_COLUMNS`, each of length ``len(table)``.
    """
    import math

    from ..report.public_rounding import round_figure, round_range

    def text(x: float) -> str:
        """A rounded count as the published table writes counts."""
        if not math.isfinite(x):
            return "inf" if x == math.inf else ""
        return f"<{threshold}" if x < threshold else f"{x:.0f}"

    cols: dict[str, list[str]] = {c: [] for c in ROUNDED_COLUMNS}
    for i, (v, lo, hi) in enumerate(zip(*(table[c].to_numpy(dtype=float) for c in ("nhat", "lower", "upper")))):
        if state[i]:
            got = ("x", "x", "x")
        elif not math.isfinite(v):
            got = ("", "", "")
        elif hi == math.inf and math.isfinite(lo):
            got = ("", text(round_range(lo, math.inf).lower), "inf")  # "at least L", as the page
        else:
            f = round_figure(v, lo, hi)
            got = (text(f.value), text(f.lower), text(f.upper))
        for c, g in zip(ROUNDED_COLUMNS, got):
            cols[c].append(g)
    return cols
