"""The identifying-assumption range of a run corrected for linkage error, on the corrected scale (tester 18a, M4).

:func:`darkfigure.sensitivity.identifying_assumption` fits the curve N̂(ψ) on the histories as linked: with N̂
corrected for linkage error the line printed "N̂ from 5,713 to 12,070 … (ψ = 1: 7,832 as linked)" beside a
headline N̂ of 4,123 (true N 5,209), a range that excluded both and read as the published figure's sensitivity.

Relaxing the identifying assumption scales each model's unobserved cells by ψ, so N̂(ψ) = n + ψ (N̂ - n) is linear
in the unobserved count N̂ - n, on every linkage draw as on the as-linked persons. N̂ corrected and the persons
corrected (:func:`darkfigure.linkage.combine.corrected_persons`) come from the draws by one linear rule (the
mean over the draws, or as linked; the bias rules a combination whose weights add up to 1), so the rule applied
to every draw's N̂(ψ) gives ``n_c + ψ (N̂_c - n_c)``: the range on the corrected scale is the as-linked one with
the corrected unobserved count in place of the as-linked one, per subgroup row alike (no refit on the draws is
needed). The bounds with sampling error move the interval published (with linkage uncertainty) alike,
``[n_c + ψ_lo (L - n_c), n_c + ψ_hi (U - n_c)]`` (:func:`darkfigure.sensitivity_bounds.averaged_bounds`); where that
interval was widened to the as-linked one, they are the union of the draws' interval so moved and the as-linked
bounds (each limit with the persons of its own linkage, as :func:`darkfigure.dark_floor.dark_interval`). The
as-linked figures are kept in ``as_linked_range``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["to_corrected_scale"]


def _key(group, level) -> tuple[str, str]:
    """A row's (group, level) as text, a float year written as an integer (2019.0 -> '2019')."""
    lv = "" if level is None or (isinstance(level, float) and np.isnan(level)) else level
    if isinstance(lv, float) and lv.is_integer():
        lv = int(lv)
    text = str(lv)
    return str(group), text[:-2] if text.endswith(".0") and text[:-2].lstrip("-").isdigit() else text


def to_corrected_scale(ident, linkage) -> bool:
    """Put `ident` (an :class:`~darkfigure.sensitivity.IdentifyingAssumption` of the histories as linked) on the
    scale of N̂ corrected for linkage error, in place; False (`ident` untouched) when `linkage` lacks the figures.

    `linkage`: the :class:`~darkfigure.linkage.uncertainty.LinkageEstimate` (its ``estimates`` with ``group,
    level, nhat, observed_corrected``, total first; ``lower``, ``upper``: the interval published).
    """
    le = getattr(linkage, "estimates", None)
    if not isinstance(le, pd.DataFrame) or not {"nhat", "observed_corrected"} <= set(le.columns) or not len(le):
        return False
    own = {_key(g, lv): (float(n), float(p)) for g, lv, n, p in
           zip(le["group"], le["level"], le["nhat"], le["observed_corrected"])}
    sub = ident.subgroups.copy()
    got = [own.get(_key(g, lv)) for g, lv in zip(sub["group"], sub["level"])]
    got[0] = (float(le["nhat"].iloc[0]), float(le["observed_corrected"].iloc[0]))  # the total: row 0 of both
    nc, pc = float(got[0][0]), float(got[0][1])
    if not (np.isfinite(nc) and np.isfinite(pc)):
        return False
    lo, hi = ident.range
    kept = {"nhat": ident.nhat, "persons": float(ident.n_observed), "low": ident.low, "high": ident.high,
            "confidence": (ident.bounds or {}).get("confidence"), "basis": (ident.bounds or {}).get("basis")}
    for i, v in enumerate(got):
        if v is None or not all(np.isfinite(v)):
            sub.loc[sub.index[i], ["nhat", "unobserved", "low", "high"]] = np.nan  # no corrected figure: none shown
            continue
        u = max(v[0] - v[1], 0.0)
        sub.loc[sub.index[i], ["nhat", "unobserved", "low", "high"]] = [v[0], u, v[0] + (lo - 1) * u,
                                                                        v[0] + (hi - 1) * u]
    u0 = max(nc - pc, 0.0)
    grid = ident.grid.copy()
    grid["nhat"] = nc + (grid["psi"].to_numpy(float) - 1.0) * u0
    grid["dark_figure"] = grid["nhat"] - pc
    ident.subgroups, ident.grid = sub, grid
    ident.nhat, ident.n_observed = nc, int(round(pc))
    ident.low, ident.high = nc + (lo - 1) * u0, nc + (hi - 1) * u0
    if ident.bounds.get("confidence") is not None:
        from .sensitivity_bounds import averaged_bounds, contain_range

        conf, basis = averaged_bounds(float(linkage.lower), float(linkage.upper), pc, lo, hi), "corrected interval"
        ld, ud = float(getattr(linkage, "lower_draws", np.nan)), float(getattr(linkage, "upper_draws", np.nan))
        if (getattr(linkage, "widened", False) or getattr(linkage, "shifted", False)) and np.isfinite(ld) and \
                kept["confidence"] is not None and (own := averaged_bounds(ld, ud, pc, lo, hi)) is not None:
            # widened to the as-linked interval: each scale's limits moved with its own persons, as the dark
            # figure's (dark_floor.dark_interval): the draws' interval with the persons corrected, the as-linked
            # bounds with the persons as linked (hard 1: 3,347-14,193 mixed the two; now 3,347-13,540)
            conf = [min(own[0], kept["confidence"][0]), max(own[1], kept["confidence"][1])]
            basis = "corrected interval, widened"
        ident.bounds = {**ident.bounds, "confidence": contain_range(conf, ident.low, ident.high, nc),
                        "basis": basis, "as_linked_confidence": kept["confidence"],
                        "method": "the interval published (with linkage uncertainty) [L, U] moved alike, "
                        "[n_c + psi_lo (L - n_c), n_c + psi_hi (U - n_c)], n_c the persons corrected for linkage "
                        "error; where widened to the as-linked interval, the union of the draws' interval so moved "
                        "and the bounds as linked (as_linked_confidence)"}
    ident.bounds["estimate"] = [ident.low, ident.high]
    ident.as_linked, ident.as_linked_range = False, kept
    ident.explanation = (
        f"For N̂ corrected for linkage error ({nc:,.0f}; {pc:,.0f} persons observed as corrected): the range was "
        f"computed on the histories as linked ({kept['low']:,.0f} to {kept['high']:,.0f} around N̂ as linked "
        f"{kept['nhat']:,.0f}) and moved to the corrected scale, the unobserved count scaled by ψ alike (N̂(ψ) = n + "
        f"ψ (N̂ - n) on every linkage draw): N lies between {ident.low:,.0f} and {ident.high:,.0f} if the lists' "
        f"dependence among the unregistered is between {lo:g} and {hi:g} times what the model assumes.")
    return True
