"""Strata (a covariate level or a year) in which one list registered every person observed there.

For the whole table such a list leaves N unbounded above (:meth:`CaptureHistories.full_lists`,
:func:`darkfigure.pipeline.checks.unidentified_reason`): nobody is seen off it, so the other lists carry no
information about the persons no list saw. Within one stratum the same holds for that stratum whenever the model
lets the list's capture probability differ there (an ``A:region`` term, which the search then picks): the
stratum's unseen cell is fitted as 0 and its N̂ equals the persons registered, forced rather than estimated
(:func:`forced_strata`). Such a stratum's rows get no N̂; the total and any row that includes its persons (another
covariate's levels) count them at their number registered, so they cover the other strata only and are lower
bounds for the whole (tester 14b, H1). The run's own N̂ and exit code are kept: one small stratum (two persons of
``spina_bifida_ny``'s ``eth=other``) does not void the other strata's estimates.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["full_list_strata", "forced_strata", "stratum_words", "stratum_warning", "stratum_statement", "stratum_rows", "blank_monitor_rows"]


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


def _named(strata: Sequence[dict], shown: int = 5) -> str:
    """The strata's names, the first `shown` of them and how many more."""
    more = len(strata) - shown
    return ", ".join(stratum_words(s) for s in strata[:shown]) + (f" and {more:,} more" if more > 0 else "")


def forced_strata(h, estimates: pd.DataFrame) -> list[dict]:
    """The strata of :func:`full_list_strata` whose row in `estimates` (``group``, ``level``, ``observed``,
    ``nhat``) has N̂ at its persons registered (within half a person, or no finite N̂): the model fitted their
    unseen cell as 0. A stratum whose N̂ the model carries above that through parameters shared with the other
    strata (no list x stratum term) is an estimate under that assumption and is not listed."""
    out = []
    for s in full_list_strata(h):
        hit = estimates[(estimates["group"].astype(str) == s["covariate"])
                        & (estimates["level"].astype(str) == str(s["level"]))]
        if hit.empty:
            continue
        nh, obs = float(hit["nhat"].iloc[0]), float(hit["observed"].iloc[0])
        # fitted as 0 (an A:stratum term at the boundary), not merely small: a stratum of 2 persons under main
        # effects has a dark figure of 0.3, an estimate through the other strata's parameters
        if not np.isfinite(nh) or nh - obs <= 1e-6 * max(obs, 1.0):
            out.append(s)
    return out


def stratum_warning(strata: Sequence[dict]) -> str | None:
    """The warning for these strata (None for none): why N is not bounded above there, and what the total is."""
    if not strata:
        return None
    said = "; ".join(f"in {stratum_words(s)} list(s) {', '.join(map(repr, s['lists']))} registered every one of "
                     f"the {s['observed']:,} persons observed there" for s in strata[:5])
    if len(strata) > 5:
        said += f" (and so in {len(strata) - 5:,} more strata: {_named(strata[5:], 10)})"
    return (f"{said}: nobody there is seen off that list, so the other lists carry no information about the persons "
            "no list saw there and N is not bounded above in that stratum (the model's N̂ there is the number "
            "registered, forced, not estimated; no N̂ is given for it). The total, and every row holding those "
            "persons, counts them at their number registered: it covers the other strata only and is a lower "
            "bound for the whole (status in estimates.csv). Report that stratum as 'at least' its persons "
            "registered, or leave it out")


def stratum_statement(strata: Sequence[dict], nhat: float, lower: float, has_ci: bool) -> tuple:
    """'To publish' for a run with a stratum not bounded above: ``(low, high, rules, publish, statement)`` as the
    arguments of :func:`darkfigure.publish.publish_statement`'s ``out`` (persons; high None: no upper limit).

    The lower limit is the total's interval's lower end (the stratum at its persons registered), or N̂ itself
    without an interval (said so)."""
    words = _named(strata)
    n_in = sum(int(s["observed"]) for s in strata)
    low = float(lower) if has_ci and np.isfinite(lower) else float(nhat)
    src = "the lower end of the total's interval" if has_ci and np.isfinite(lower) else \
        "N̂ itself, no interval computed: run a bootstrap for a firmer limit"
    return (low, None, ["not-identified", "unbounded-stratum"], False,
            f"Do not publish N̂ {nhat:,.0f} as the population: in {words} a list registered every person observed, "
            f"so N is not bounded above there and N̂ counts those {n_in:,} persons at their number registered. "
            f"Publish at most a lower limit, at least {low:,.0f} ({src}), and the other strata's own estimates "
            f"(estimates.csv); say that {words} had at least {n_in:,} persons registered.")


def _rows(groups, levels, strata: Sequence[dict]) -> tuple[list[int], list[int]]:
    """(own, holding): rows inside an unbounded stratum (its covariate at its level), and rows holding its persons
    without being inside it (the total, another covariate's levels)."""
    own, holding = [], []
    for i, (g, lv) in enumerate(zip(groups, levels)):
        names = [] if g in ("total", "") else str(g).split(":")
        vals = [] if g in ("total", "") else str(lv).split(":")
        at = dict(zip(names, vals)) if len(names) == len(vals) else {}
        if any(at.get(s["covariate"]) == str(s["level"]) for s in strata):
            own.append(i)
        elif any(s["covariate"] not in at for s in strata):
            holding.append(i)
    return own, holding


def stratum_rows(estimates: pd.DataFrame, strata: Sequence[dict]) -> tuple[list[int], list[int], str]:
    """Positions of the rows of an estimates table (``group``/``level``; a pair of covariates as ``"year:sex"``,
    ``"2019:f"``) inside an unbounded stratum (no N̂) and holding its persons (a lower bound), with the status the
    latter carry. Other levels of the stratum's covariate (``region=north`` beside ``region=south``) are untouched."""
    if not strata:
        return [], [], ""
    own, holding = _rows([str(g) for g in estimates["group"]], list(estimates["level"]), strata)
    words = _named(strata, 3)
    return own, holding, f"lower bound: {words} counted at its persons registered (N not bounded above there)"


def blank_monitor_rows(table: pd.DataFrame, strata: Sequence[dict], year: str) -> tuple[pd.DataFrame, str | None]:
    """The monitor table (``group``, ``level``, ``year`` columns) with no N̂ in the rows inside an unbounded
    stratum, and the note naming them and the rows that hold its persons (None when no row is either).

    ``nhat``, ``lower``, ``upper`` and the visibilities of the rows inside are emptied (NaN); the rows holding its
    persons (the total, the other years' sums over years) keep their figures, lower bounds only.
    """
    if not strata:
        return table, None
    t = table.copy()
    groups, levels = [], []
    for g, lv, yr in zip(t["group"], t["level"], t["year"]):
        names = [] if str(g) == "total" else str(g).split(":")
        vals = [] if str(g) == "total" else str(lv).split(":")
        if str(yr) != "":
            names, vals = names + [year], vals + [str(yr)]
        groups.append(":".join(names) or "total")
        levels.append(":".join(vals))
    own, holding = _rows(groups, levels, strata)
    if not own and not holding:
        return t, None
    cols = [c for c in ("nhat", "lower", "upper", "visibility", "visibility_lower", "visibility_upper")
            if c in t.columns]
    t.loc[t.index[own], cols] = np.nan
    return t, (f"{len(own)} row(s) of {_named(strata)}, where a list registered every "
               f"person observed, have no N̂ (N is not bounded above there); {len(holding)} row(s) holding those "
               "persons (the total among them) count them at their number registered: lower bounds, covering the "
               "other strata only")
