"""Strata (a covariate level or a year) in which one list registered every person observed there.

For the whole table such a list leaves N unbounded above (:meth:`CaptureHistories.full_lists`,
:func:`darkfigure.pipeline.checks.unidentified_reason`): nobody is seen off it, so the other lists carry no
information about the persons no list saw. Within one stratum the same holds for that stratum whenever the model
lets the list's capture probability differ there (an ``A:region`` term, which the search then picks): the
stratum's unseen cell is fitted as 0 and its N̂ equals the persons registered, forced rather than estimated.
The total and any row that includes those persons (another covariate's levels) are then lower bounds only
(tester 14b, H1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["full_list_strata", "stratum_words", "stratum_reason", "unbounded_rows", "blank_monitor_rows"]


def full_list_strata(h, covariates: Sequence[str] | None = None) -> list[dict]:
    """The strata where a list registered every person observed there.

    Parameters
    ----------
    h : CaptureHistories
    covariates : sequence of str, optional
        The covariates whose levels are strata (default: all of ``h.covariates``).

    Returns
    -------
    list of dict
        One per stratum, ``{"covariate", "level", "lists", "observed"}`` (``observed``: persons registered in
        the stratum); empty when the whole table has such a list (that case is
        :meth:`CaptureHistories.full_lists`) or no stratum has one.
    """
    if not h.covariates or h.full_lists():
        return []
    t = h.table
    lists = list(h.lists)
    seen = t[t[lists].to_numpy().sum(axis=1) > 0]
    out = []
    for c in covariates if covariates is not None else h.covariates:
        if c not in seen.columns:
            continue
        w = seen["count"].astype(float)
        n = w.groupby(seen[c], observed=True, dropna=True).sum()
        on = seen[lists].astype(float).mul(w, axis=0).groupby(seen[c], observed=True, dropna=True).sum()
        for lv, nl in n.items():
            if nl <= 0:
                continue
            full = [a for a in lists if abs(float(on.at[lv, a]) - float(nl)) < 1e-9]
            if full:
                out.append({"covariate": c, "level": lv, "lists": full, "observed": int(round(float(nl)))})
    return out


def stratum_words(s: dict) -> str:
    """``"region=south"`` for one stratum of :func:`full_list_strata`."""
    return f"{s['covariate']}={s['level']}"


def stratum_reason(strata: Sequence[dict]) -> str | None:
    """The clause saying why N is not bounded above in these strata (None for none): for
    :func:`darkfigure.pipeline.checks.unidentified_reason`."""
    if not strata:
        return None
    said = "; ".join(f"in {stratum_words(s)} list(s) {', '.join(map(repr, s['lists']))} registered every one of "
                     f"the {s['observed']:,} persons observed there" for s in strata)
    return (f"{said}, so the other lists carry no information about the persons no list saw there: N is not bounded "
            "above in that stratum, nor for the total (its N̂ there equals the persons registered, forced, not "
            "estimated)")


def unbounded_rows(estimates: pd.DataFrame, strata: Sequence[dict]) -> list[int]:
    """Positions of the rows of an estimates table (``group``/``level`` columns, the total first; a pair of
    covariates as group ``"year:sex"``, level ``"2019:f"``) that include persons of an unbounded stratum.

    A row keeps its N̂ only when, for every such stratum, it is a subgroup of another level of that stratum's
    covariate (``region=north`` beside an unbounded ``region=south``, ``2019:f`` beside ``year=2022``); the total
    and the rows of other covariates include the stratum's persons and are lower bounds only.
    """
    if not strata:
        return []
    groups = estimates["group"] if "group" in estimates else pd.Series([None] * len(estimates))
    levels = estimates["level"] if "level" in estimates else pd.Series([None] * len(estimates))
    out = []
    for i, (g, lv) in enumerate(zip(groups, levels)):
        names, vals = str(g).split(":"), str(lv).split(":")
        at = dict(zip(names, vals)) if len(names) == len(vals) else {}
        if not all(s["covariate"] in at and at[s["covariate"]] != str(s["level"]) for s in strata):
            out.append(i)
    return out


def blank_monitor_rows(table: pd.DataFrame, strata: Sequence[dict], year: str) -> tuple[pd.DataFrame, str | None]:
    """The monitor table (``group``, ``level``, ``year`` columns) with no N̂ where a row holds persons of an
    unbounded stratum, and the note saying so (None when no row changed).

    ``nhat``, ``upper``, ``visibility`` and ``visibility_lower`` are emptied (NaN): N is not bounded above there.
    ``lower`` (and ``visibility_upper``) stay: the strata's lower limits with the unbounded stratum at its persons
    registered, a lower bound only.
    """
    if not strata:
        return table, None
    t = table.copy()
    bad = []
    for i, (g, lv, yr) in enumerate(zip(t["group"], t["level"], t["year"])):
        names = [] if str(g) == "total" else str(g).split(":")
        vals = [] if str(g) == "total" else str(lv).split(":")
        at = dict(zip(names, vals)) if len(names) == len(vals) else {}
        if str(yr) != "":
            at[year] = str(yr)
        if not all(s["covariate"] in at and at[s["covariate"]] != str(s["level"]) for s in strata):
            bad.append(i)
    if not bad:
        return t, None
    cols = [c for c in ("nhat", "upper", "visibility", "visibility_lower") if c in t.columns]
    t.loc[t.index[bad], cols] = np.nan
    return t, (f"{len(bad)} row(s) hold persons of {', '.join(stratum_words(s) for s in strata)}, where a list "
               "registered every person observed: N is not bounded above there, so those rows have no N̂, upper "
               "limit or visibility (their lower limit is a lower bound only; the total covers a lower bound too)")
