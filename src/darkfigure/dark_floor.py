"""A dark figure is never negative, and why N̂ corrected can lie below the persons observed (review s17, item 3).

The dark figure is N̂ minus the persons observed. With N̂ corrected for linkage error both come from the linkage
draws by one rule (:func:`darkfigure.linkage.combine.corrected_persons`). Under the bias correction (``correction=
"bias"`` of :func:`~darkfigure.linkage.uncertainty.linkage_uncertainty`, or rule ``"mixed"`` on its bias branch)
N̂ corrected is ``A - (M - A)`` and the persons ``n - (m - n)`` (A, M: N̂ as linked and its mean over the draws;
n, m: the persons alike), so the dark figure is ``2 (A - n) - (M - m)``: negative once the draws raise N̂ by more
than twice the as-linked dark figure over what they raise the persons. On synthetic registrations whose true pairs
score 0.7 (800 persons, 6 draws) that gave N̂ corrected 378 against 407 persons corrected, a dark figure of -28;
at 0.55, N̂ corrected -61. A population is never smaller than the persons registered: the linear correction has
overshot, the draws move N̂ too far for it. The dark figure is then 0 (never printed or stored negative; its
interval's ends likewise), and :func:`below_persons_warnings` says what happened and what to do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["below_persons_warnings", "dark_interval", "floored_dark_figure"]


def floored_dark_figure(nhat, persons):
    """N̂ minus the persons observed, floored at 0: never a negative dark figure.

    Parameters
    ----------
    nhat, persons : float or array_like of one shape
        N̂ (or an interval end) and the persons it is set against (persons).

    Returns
    -------
    float or ndarray (as `nhat`): ``max(nhat - persons, 0)``; NaN where either is NaN, +inf where N̂ is.
    """
    with np.errstate(invalid="ignore"):
        d = np.asarray(nhat, float) - np.asarray(persons, float)
        out = np.where(d < 0, 0.0, d)
    return float(out) if out.ndim == 0 else out


def below_persons_warnings(estimates: pd.DataFrame, correction: str) -> list[str]:
    """A warning when N̂ corrected lies below the persons observed corrected by the same rule (total first).

    Parameters
    ----------
    estimates : DataFrame
        The linkage estimates (:attr:`~darkfigure.linkage.uncertainty.LinkageEstimate.estimates`): ``nhat``,
        ``observed_corrected``, ``nhat_as_linked``, ``observed`` and, where present, ``nhat_mean_draws``; the total
        first, then the subgroup rows.
    correction : str
        The rule (``"toward"``, ``"mixed"``, ``"bias"``, ``"mean"``).

    Returns
    -------
    list of str: one warning naming the total's figures (and counting the subgroup rows below their persons), or
    a warning counting the subgroup rows alone; empty when no row lies below.
    """
    if not {"nhat", "observed_corrected"} <= set(estimates.columns) or not len(estimates):
        return []
    from .linkage.combine import RULE_TEXT

    nhat = estimates["nhat"].to_numpy(float)
    pc = estimates["observed_corrected"].to_numpy(float)
    with np.errstate(invalid="ignore"):
        below = np.isfinite(nhat) & np.isfinite(pc) & (nhat < pc)
    sub = int(below[1:].sum())
    rows = f"; so do {sub:,} of {len(below) - 1:,} subgroup rows" if sub else ""
    rule = RULE_TEXT.get(correction, correction)
    if correction not in ("bias", "mixed"):
        # 'toward' and 'mean' take N̂ from draws whose N̂ is each at least that draw's persons: no overshoot. A row below
        # its persons is a small cell whose N̂ fell below the persons (e.g. floored at the as-linked persons, which
        # the draws' persons exceed by a fraction): said, with the floor, never as an overshoot (review s17, H1)
        if not below.any():
            return []
        gap = float(np.nanmax(np.where(below, pc - nhat, np.nan)))
        where = ("N̂ corrected of the total" if below[0] else
                 f"in {sub:,} of {len(below) - 1:,} subgroup rows N̂ corrected")
        return [f"{where} lies below the persons observed as corrected for linkage ({rule}), by at most {gap:,.1f} "
                "persons (a cell whose N̂ is about its persons registered): the dark figure there is given as 0"]
    what = ("A population is never smaller than the persons registered: the correction has overshot, the linkage "
            "draws move N̂ too far for a correction of its kind to hold. The dark figure is given as 0, never "
            "negative; do not publish N̂ corrected of these rows: use the default rule 'toward', or check the linkage "
            "(link --truth on a clerical sample, the threshold's sensitivity)")
    if not below[0]:
        return [f"in {sub:,} of {len(below) - 1:,} subgroup rows N̂ corrected lies below the persons observed as "
                f"corrected for linkage ({rule}). {what}"] if sub else []
    a = float(estimates["nhat_as_linked"].iloc[0]) if "nhat_as_linked" in estimates.columns else float("nan")
    m = float(estimates["nhat_mean_draws"].iloc[0]) if "nhat_mean_draws" in estimates.columns else float("nan")
    n = float(estimates["observed"].iloc[0]) if "observed" in estimates.columns else float("nan")
    # the dark figure as linked plus the two moves of the rule: N̂'s fall exceeds the persons' by more than it
    moved = (f": the rule moves N̂ by {nhat[0] - a:+,.0f} from {a:,.0f} as linked (the draws' mean N̂ is {m:,.0f}) and "
             f"the persons by {pc[0] - n:+,.0f} from {n:,.0f}, so the dark figure as linked, {a - n:,.0f}, would become "
             f"{nhat[0] - pc[0]:,.0f}" if np.isfinite(a) and np.isfinite(m) and np.isfinite(n) else "")
    return [f"N̂ corrected ({nhat[0]:,.0f}) lies below the {pc[0]:,.0f} persons observed as corrected for linkage "
            f"({rule}){moved}{rows}. {what}"]


def dark_interval(lower, upper, persons, as_linked=None, draws=None, point=None):
    """The dark figure's interval: each limit minus the persons of the linkage it came from, floored at 0.

    Parameters
    ----------
    lower, upper, persons : float or array_like of one shape
        The interval published and the persons set against N̂ (as linked, or corrected by the rule of N̂).
    as_linked : (lower, upper, nhat, persons) or None
        The interval and N̂ as linked with the persons as linked, where N̂ is corrected for linkage error.
    draws : (lower, upper, mean, widened, shifted) or None
        The draws' own interval and mean, and where the published interval was widened to the as-linked one
        (Monte-Carlo error of its width) or made to cover as linked, the draws' mean and N̂ corrected (a shift;
        :func:`darkfigure.linkage.combine.published_interval`).

    point : float or array_like as `lower`, optional
        N̂ corrected: where the draws are shifted it lies in the interval published too (under the rules "bias"
        and "mixed" on the far side of N̂ as linked from the draws), so its dark figure is in the union (review s18).

    Returns
    -------
    (lower, upper): floats or arrays as `lower`. Where the interval was widened, the union of the dark-figure
    intervals of both scales (the draws' limits and mean minus the persons corrected, the as-linked limits and N̂
    minus the persons as linked), as N̂'s is the union of both: an as-linked upper limit minus the corrected
    persons mixed two linkages (tester 18a, L2: 3,587 - 2,166 where as linked it is 3,587 - 2,278); elsewhere
    ``lower - persons`` and ``upper - persons``. Never below 0.
    """
    lo, hi = np.asarray(lower, float), np.asarray(upper, float)
    pc = np.broadcast_to(np.asarray(persons, float), lo.shape)
    dlo, dhi = lo - pc, hi - pc
    if as_linked is not None and draws is not None:
        lo0, hi0, a, n = (np.broadcast_to(np.asarray(v, float), lo.shape) for v in as_linked)
        lod, hid, m, wid, sh = (np.broadcast_to(np.asarray(v, float if i < 3 else bool), lo.shape)
                                for i, v in enumerate(draws))
        with np.errstate(invalid="ignore"):
            use = (wid | sh) & np.isfinite(lod) & np.isfinite(lo0) & np.isfinite(n) & ~np.isnan(hid) & ~np.isnan(hi0)
            pts = [np.where(sh, a - n, np.nan), np.where(sh, m - pc, np.nan)]
            if point is not None:
                pts.append(np.where(sh, np.broadcast_to(np.asarray(point, float), lo.shape) - pc, np.nan))
            new_lo = np.fmin.reduce([lod - pc, lo0 - n, *pts])
            new_hi = np.fmax.reduce([hid - pc, hi0 - n, *pts])
        dlo, dhi = np.where(use, new_lo, dlo), np.where(use, new_hi, dhi)
    out = floored_dark_figure(dlo, 0.0), floored_dark_figure(dhi, 0.0)
    return out
