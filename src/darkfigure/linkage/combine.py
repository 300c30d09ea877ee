"""Combination of the estimates over drawn linkages: :func:`combine_draws` and its result :class:`CombinedDraws`.

The law of total variance over linkage draws (between) and bootstrap replicates within each draw; used by
:func:`darkfigure.linkage.uncertainty.linkage_uncertainty`. Its own module so that
:mod:`darkfigure.linkage.uncertainty` keeps to the correction itself; both names are still importable from
there. Method and references: the docstring of :mod:`darkfigure.linkage.uncertainty`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["CombinedDraws", "RULES", "RULE_TEXT", "SHIFTED", "WIDENED", "combine_draws", "correction_shift",
           "widening_words", "width_share",
           "corrected_persons", "persons_clause",
           "decides_text", "published_interval", "shifted_rows_warning", "rule_block", "widen_to_as_linked",
           "narrower_tolerance", "shortfall"]


# ----------------------------------------------------------------------------- combination
@dataclass
class CombinedDraws:
    """Linkage draws × bootstrap replicates combined (:func:`combine_draws`).

    Attributes
    ----------
    point : ndarray, shape (G,)
        N̂ corrected of each group cell (total first): the mean over draws moved by `shift`.
    lower, upper : ndarray, shape (G,)
        Percentiles of all replicates of all draws pooled.
    var_linkage : ndarray, shape (G,)
        Variance of the draws' point estimates (between draws).
    var_estimator : ndarray, shape (G,)
        Mean within-draw bootstrap variance.
    share_linkage : ndarray, shape (G,)
        ``var_linkage / (var_linkage + var_estimator)``: the share of the variance (and
        so, roughly, of the squared width) of the interval due to linkage.
    n_draws : int
        Draws with a finite estimate.
    bias : ndarray, shape (G,)
        The draws' shift from the as-linked N̂, ``mean over draws - as-linked N̂`` (zeros when no
        as-linked N̂ was given).
    mean_draws : ndarray, shape (G,)
        The mean over the draws of each group cell's N̂.
    mc_se : ndarray, shape (G,)
        Monte-Carlo standard error of `mean_draws`: the draws' sd over the square root of their number.
    shift : ndarray, shape (G,)
        What the rule added to the mean over draws and to the pooled replicates (``point - mean_draws``).
    rule : str
        The rule of :func:`correction_shift` that made the point (``"mean"`` without an as-linked N̂).
    """

    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    var_linkage: np.ndarray
    var_estimator: np.ndarray
    share_linkage: np.ndarray
    n_draws: int
    bias: np.ndarray | None = None
    mean_draws: np.ndarray | None = None
    mc_se: np.ndarray | None = None
    shift: np.ndarray | None = None
    rule: str = "mean"


#: the rules that make N̂ corrected from the draws (:func:`correction_shift`), the default first
RULES = ("toward", "mixed", "bias", "mean")

#: each rule in words (result.json's linkage block, the warnings)
RULE_TEXT = {
    "toward": "the mean over the linkage draws where it lies below N̂ as linked, else N̂ as linked",
    "mixed": "the mean over the linkage draws where it lies below N̂ as linked, else N̂ as linked minus the draws' "
             "excess (mean over draws minus as linked; those draws split the matches never compared off, as for the "
             "bias correction)",
    "bias": "N̂ as linked minus the linkage bias the draws show (mean over draws minus as linked)",
    "mean": "the mean over the linkage draws",
}


def correction_shift(mean_draws, as_linked, rule: str = "toward") -> np.ndarray:
    """What a rule adds to the mean over the draws M to give N̂ corrected, per group cell (shape (G,)).

    A = the as-linked N̂. ``"toward"`` (the default): M where M < A, else A (shift ``min(A - M, 0)``): the
    point moves only in the direction the draws move and never beyond them. For ``"toward"`` and ``"mixed"``
    the side (M < A or not) is that of the total, the first cell, and every cell follows it, so that subgroup
    rows still add up to the total. ``"bias"``: ``A - (M - A)`` (shift
    ``2 (A - M)``), the bootstrap bias correction (Efron & Tibshirani 1993, sec. 10.6; Chipperfield & Chambers
    2015, J. Off. Stat. 31:397-414) with the draws as the bootstrap world. ``"mixed"``: M where M < A, else
    ``A - (M - A)`` (always ``A - |M - A|``); :func:`~darkfigure.linkage.uncertainty.linkage_uncertainty` gives
    that branch the M of draws that split the never-compared matches off, as for ``"bias"``
    (:mod:`darkfigure.linkage.mixed_rule`). ``"mean"``: M (shift 0), the
    linkage averaging of Sadinle (2018, Ann. Appl. Stat. 12:1013-1038). Cells where A or M is not finite: 0.

    Why "toward" (benchmarks/correction_rule_study.py, docs/methods/linkage.md "N̂ corrected"): draws that lie
    above A are pulled there by each draw's own random splits (a missed link moves N̂ more than a false one),
    even under calibrated match probabilities, so their shift up says little about the truth; draws below A
    join what the linkage left apart (namesakes under the threshold, tester report 14a), and their mean lay
    toward the true-link N̂ where the bias correction mirrored it away (8 of 8 populations). The bias
    correction's sign contradicts the draws whenever M < A; "toward" never does.

    Raises
    ------
    ValueError
        An unknown `rule`.
    """
    if rule not in RULES:
        raise ValueError(f"correction must be one of {', '.join(RULES)}, not {rule!r}")
    m, a = np.asarray(mean_draws, float), np.asarray(as_linked, float)
    ok = np.isfinite(m) & np.isfinite(a)
    d = np.where(ok, a - m, 0.0)
    # "toward" and "mixed" choose a side per cell by min/max, which is not additive: the subgroup rows would not
    # sum to the total (review). The side is chosen once, on the total (the first cell), for every cell.
    below = bool(d.reshape(-1)[0] > 0) if d.size else False
    return {"toward": (np.zeros_like(d) if below else d), "mixed": (np.zeros_like(d) if below else 2 * d),
            "bias": 2 * d, "mean": np.zeros_like(d)}[rule]


def corrected_persons(draw_persons, persons_as_linked, nhat_mean_draws, nhat_as_linked, rule: str = "toward"):
    """The persons observed corrected by the rule that corrected N̂, per group cell (tester report 16a, finding 4).

    The dark figure is N̂ minus the persons observed, and both must come from one linkage: N̂ corrected is made from
    the draws, which join registrations the as-linked persons leave apart (so hold fewer persons), and the as-linked
    persons beside it gave "dark figure 824 (81% visible)" where the truth was 1,683 (66%). The persons are corrected
    by the same rule (:func:`correction_shift`) on the same side as N̂: with m the draws' mean persons and n the
    as-linked ones, ``"toward"`` m where N̂'s mean over draws was used (below N̂ as linked, on the total), else n;
    ``"bias"`` ``n - (m - n)``; ``"mixed"`` as its branch; ``"mean"`` m. Then dark figure = N̂ corrected - persons
    corrected, for every row.

    Parameters
    ----------
    draw_persons : array_like, shape (D, G)
        Persons observed in each group cell on each linkage draw (NaN for a draw left out: no finite total N̂).
    persons_as_linked : array_like, shape (G,)
        Persons observed in each cell as linked.
    nhat_mean_draws, nhat_as_linked : array_like, shape (G,)
        The mean N̂ over the draws and N̂ as linked: they choose the side, on the total (the first cell).
    rule : {"toward", "mixed", "bias", "mean"}

    Returns
    -------
    ndarray, shape (G,)
        Persons corrected; the as-linked persons where a cell has no draw with persons.

    Raises
    ------
    ValueError
        An unknown `rule`; shapes that do not agree.
    """
    n = np.asarray(persons_as_linked, float).reshape(-1)
    d = np.asarray(draw_persons, float).reshape(-1, n.size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a cell no draw has
        m = np.nanmean(d, axis=0) if d.shape[0] else np.full(n.size, np.nan)
    a, big_m = np.asarray(nhat_as_linked, float).reshape(-1), np.asarray(nhat_mean_draws, float).reshape(-1)
    if a.size != n.size or big_m.size != n.size:
        raise ValueError(f"one N̂ as linked and one mean N̂ per group cell ({n.size}) are needed")
    # the side is N̂'s, never the persons' own: "toward" takes the draws' persons exactly when it takes their N̂
    below = bool(np.isfinite(a[0]) and np.isfinite(big_m[0]) and a[0] - big_m[0] > 0) if n.size else False
    k = {"toward": 0.0 if below else 1.0, "mixed": 0.0 if below else 2.0, "bias": 2.0, "mean": 0.0}
    if rule not in k:
        raise ValueError(f"correction must be one of {', '.join(RULES)}, not {rule!r}")
    out = m + k[rule] * (n - m)
    return np.where(np.isfinite(out), out, n)


def persons_clause(corrected, as_linked) -> str:
    """The words beside a dark figure corrected for linkage error: "persons observed 3,123 as corrected for linkage,
    3,411 as linked" ("" when the corrected persons are missing)."""
    c = np.nan if corrected is None else float(corrected)
    if not np.isfinite(c):
        return ""
    return f"persons observed {c:,.0f} as corrected for linkage, {float(as_linked):,.0f} as linked"


def combine_draws(points: np.ndarray, replicates: np.ndarray | None, level: float = 0.95,
                  as_linked: np.ndarray | None = None, rule: str = "toward") -> CombinedDraws:
    """Combine point estimates per linkage draw with the estimator's bootstrap replicates per draw.

    The one place where linkage uncertainty and the estimator's own uncertainty meet
    (every estimator uses it): the corrected estimate is the mean over draws (linkage
    averaging, Sadinle 2018), the interval the `level` percentiles (R quantile type 7)
    of all replicates pooled over draws (a draw from the pooled replicates is a draw
    from the estimator's sampling distribution under a random linkage), and the
    variance is split by the law of total variance (Rubin 1987, eq. 3.1.5).

    With `as_linked` (the estimator's N̂ on the as-linked persons) the point is made by `rule`
    (:func:`correction_shift`): ``"toward"`` (default) the mean over draws where it lies below
    the as-linked N̂, else the as-linked N̂; ``"bias"`` the bootstrap bias correction
    ``N̂_as_linked - (mean_d N̂_d - N̂_as_linked)`` (Efron & Tibshirani 1993, *An introduction to
    the bootstrap*, sec. 10.6; Chipperfield & Chambers 2015, J. Off. Stat. 31:397-414);
    ``"mean"`` the mean over draws. The pooled replicates move with the point (width
    unchanged). The plain mean over draws above the as-linked N̂ is pulled there by every
    draw's own random errors (a missed link moves N̂ more than a false one); below it, the
    draws join what the linkage left apart, and the bias correction then mirrors the point
    away from them (tester report 14a; benchmarks/correction_rule_study.py).

    Parameters
    ----------
    points : ndarray, shape (D, G)
        Point estimate of every group cell (total first) on each of D linkage draws;
        NaN where a draw gave none.
    replicates : ndarray, shape (D, B, G), or None
        Bootstrap replicates of each draw (NaN for failed ones). None: linkage
        uncertainty only (the interval is the percentiles of `points`).
    level : float in (0, 1)
    as_linked : ndarray, shape (G,), optional
        N̂ of every group cell on the as-linked persons: the point and interval are
        corrected by `rule` (above; cells where it is not finite are not). None: the mean over draws.
    rule : {"toward", "mixed", "bias", "mean"}
        :func:`correction_shift`; read only with `as_linked`.

    Returns
    -------
    CombinedDraws

    Raises
    ------
    ValueError
        Shapes that do not agree; fewer than 2 draws with a finite total; an unknown `rule`.
    """
    if rule not in RULES:
        raise ValueError(f"correction must be one of {', '.join(RULES)}, not {rule!r}")
    pts = np.asarray(points, float)
    if pts.ndim != 2:
        raise ValueError(f"points must have shape (draws, groups), not {pts.shape}")
    ok = np.isfinite(pts[:, 0])
    if ok.sum() < 2:
        raise ValueError("fewer than 2 linkage draws gave a finite N̂: the linkage uncertainty cannot be measured")
    pts = pts[ok]
    alpha = (1 - level) / 2
    point = np.nanmean(pts, axis=0)
    var_between = np.nanvar(pts, axis=0, ddof=1)
    if replicates is None:
        lo, hi = np.nanquantile(pts, [alpha, 1 - alpha], axis=0)
        var_within = np.zeros_like(point)
    else:
        reps = np.asarray(replicates, float)
        if reps.ndim != 3 or reps.shape[0] != ok.size or reps.shape[2] != pts.shape[1]:
            raise ValueError(f"replicates must have shape (draws, reps, groups) = ({ok.size}, B, {pts.shape[1]}), "
                             f"not {reps.shape}")
        reps = reps[ok]
        pooled = reps.reshape(-1, reps.shape[2])
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # a cell whose replicates are all NaN or unbounded
            lo, hi = np.nanquantile(pooled, [alpha, 1 - alpha], axis=0)
            var_within = np.nanmean(np.nanvar(reps, axis=1, ddof=1), axis=0)
        # replicates with no upper limit (+inf): the quantile interpolates inf - inf to NaN; when more than alpha of
        # them are unbounded the interval has no upper limit (tester 15a, H2: it was NaN, then collapsed to N̂)
        unbounded = np.mean(np.isposinf(pooled), axis=0) > alpha
        hi = np.where(np.isnan(hi) & unbounded, np.inf, hi)
        # the variance of unbounded replicates is not defined: no share of it is from linkage (tester 15a, L1)
        var_within = np.where(np.isposinf(pooled).any(axis=0), np.nan, var_within)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = var_between / (var_between + var_within)
    mean, bias, shift = point, np.zeros_like(point), np.zeros_like(point)
    with np.errstate(invalid="ignore"):
        mc_se = np.sqrt(var_between / np.sum(np.isfinite(pts), axis=0).clip(1))
    if as_linked is not None:
        a = np.asarray(as_linked, float).reshape(-1)
        if a.size != point.size:
            raise ValueError(f"as_linked must have one N̂ per group cell ({point.size}), not {a.size}")
        bias = np.where(np.isfinite(a) & np.isfinite(point), point - a, 0.0)
        shift = correction_shift(point, a, rule)
        # the interval keeps its width and moves with the point (a shift of the pooled replicates)
        point, lo, hi = point + shift, lo + shift, hi + shift
    return CombinedDraws(point, lo, hi, var_between, var_within, share, int(ok.sum()), bias, mean, mc_se, shift,
                         rule if as_linked is not None else "mean")


# ----------------------------------------------------------------------------- the published interval
#: how an interval is labelled that was widened because the draws' distribution is shifted from the as-linked one
SHIFTED = ("widened to cover N̂ as linked, the mean over the linkage draws and N̂ corrected: the draws are shifted "
           "from the as-linked N̂ beyond their Monte-Carlo error, so the linkage decides the answer")


def decides_text(as_linked, mean_draws, corrected, lower, upper) -> str:
    """The words of "to publish" and report.html when the draws are shifted (tester report 14a, M1).

    All arguments in persons (N̂ as linked, the mean over the linkage draws, N̂ corrected and the interval
    published, which :func:`published_interval` made cover all three). Returns one clause, no capital, no stop:
    "the linkage decides the answer: N̂ as linked 13,096, the mean over the linkage draws 10,081 and N̂ corrected
    10,081 differ beyond the draws' Monte-Carlo error, and the interval 9,000–14,331 covers all three".
    """

    def f(v) -> str:
        """A count as ``12,345`` ('–' when missing)."""
        v = np.nan if v is None else float(v)
        return f"{v:,.0f}" if np.isfinite(v) else "–"

    return (f"the linkage decides the answer: N̂ as linked {f(as_linked)}, the mean over the linkage draws "
            f"{f(mean_draws)} and N̂ corrected {f(corrected)} differ beyond the draws' Monte-Carlo error, and the "
            f"interval {f(lower)}–{f(upper)} covers all three")


def rule_block(link_est) -> dict:
    """result.json's linkage entries on the rule (tester report 14a): the mean over draws, the rule, the shift.

    `link_est`: a :class:`~darkfigure.linkage.uncertainty.LinkageEstimate` (its ``draw_nhat``, ``correction``
    and, after the pipeline's :func:`published_interval`, ``shifted``). Returns ``nhat_mean_draws`` (None when
    not finite), ``correction_rule`` (in words) and ``interval_shifted``; with a shift, ``interval_note`` too.
    """
    m = float(getattr(link_est, "nhat_mean_draws", np.nan))
    if not np.isfinite(m):
        d = np.asarray(getattr(link_est, "draw_nhat", []), float)
        m = float(np.nanmean(d)) if np.isfinite(d).any() else np.nan
    rule = getattr(link_est, "correction", "mean")
    pc = float(getattr(link_est, "persons_corrected", np.nan))
    out = {"nhat_mean_draws": m if np.isfinite(m) else None, "correction_rule": RULE_TEXT.get(rule, rule),
           "interval_shifted": bool(getattr(link_est, "shifted", False)),
           # the persons the dark figure subtracts, by the rule that corrected N̂ (corrected_persons; tester 16a, 4)
           "persons_corrected": pc if np.isfinite(pc) else None}
    if out["interval_shifted"]:
        out["interval_note"] = f"with linkage uncertainty; {SHIFTED}"
    return out


def published_interval(lower, upper, lower_as_linked, upper_as_linked, as_linked, mean_draws, mc_se,
                       k: float = 2.0, material: float = 0.5, point=None):
    """The interval to publish, also when the draws are shifted from the as-linked N̂ (tester report 14a, M1).

    First :func:`widen_to_as_linked` (the union with the as-linked interval where narrower). Then,
    where the mean over the draws M lies further from the as-linked N̂ A than both `k` Monte-Carlo
    standard errors of M (`mc_se`: the draws' sd over the square root of their number) and
    `material` x the half-width of the as-linked interval, the draws' distribution is shifted, not
    noisy: the linkage decides the answer, and the interval published is the hull of this
    interval, the as-linked interval and the points A and M (so it covers as-linked, mean over
    draws and corrected; heavy 201 of tester 14a had the draws' interval 15,318-16,888 and the
    as-linked one 12,143-14,331, disjoint). `material` 0.5: on 25 populations of three generators
    (benchmarks/correction_rule_study.py) the shift was 0.00-0.07 of the half-width where the draws
    agree with the linkage, 0.74-1.39 where it errs systematically (tester 14a's undated namesakes,
    over-linking at threshold 0.1), 0.15-0.54 on tester 12's registrations; 7 of 25 were flagged.
    Arrays of shape (G,) in. `point` (N̂ corrected per cell, optional): in the hull of a shift, and every
    interval is widened to contain it (an interval excluding its own published N̂ is never published; review).

    Returns
    -------
    (lower, upper, widened, shifted) : ndarray, ndarray, ndarray of bool, ndarray of bool, each shape (G,)
        The interval to publish, where it was widened for width (:func:`widen_to_as_linked`) and where
        for a shift.
    """
    lo, hi, widened = widen_to_as_linked(lower, upper, lower_as_linked, upper_as_linked)
    a = np.asarray(as_linked, float).reshape(lo.shape)
    m = np.asarray(mean_draws, float).reshape(lo.shape)
    se = np.asarray(mc_se, float).reshape(lo.shape)
    lo0 = np.asarray(lower_as_linked, float).reshape(lo.shape)
    hi0 = np.asarray(upper_as_linked, float).reshape(lo.shape)
    with np.errstate(invalid="ignore"):
        gap = np.abs(m - a)
        half = np.where(np.isfinite(hi0 - lo0), (hi0 - lo0) / 2, np.inf)
        shifted = np.isfinite(gap) & np.isfinite(lo) & ~np.isnan(hi) & (gap > k * np.where(np.isnan(se), np.inf, se)) & (
            gap > material * half)
    p = np.full(lo.shape, np.nan) if point is None else np.asarray(point, float).reshape(lo.shape)
    for arr, new in ((lo, np.fmin.reduce([lo, lo0, a, m, p])), (hi, np.fmax.reduce([hi, hi0, a, m, p]))):
        arr[shifted] = new[shifted]
    # an interval excluding its own N̂ is widened to it; a missing end stays missing (np.minimum/np.maximum keep
    # NaN), never N̂ itself: fmax(NaN, N̂) gave "12,597 (10,548–12,597)" (tester 15a, H2)
    fin = np.isfinite(p)
    lo[fin], hi[fin] = np.minimum(lo[fin], p[fin]), np.maximum(hi[fin], p[fin])
    return lo, hi, widened, shifted


def shifted_rows_warning(est) -> str | None:
    """The warning for subgroup rows whose draws are shifted while the total's are not (review), or None.

    `est`: the estimates table after :func:`published_interval` (column ``interval_shifted``, total first, with
    ``group, level, nhat_as_linked, nhat_mean_draws``). Names at most five rows and says how many more.
    """
    if "interval_shifted" not in est.columns or len(est) < 2:
        return None
    rows = est.iloc[1:][est["interval_shifted"].iloc[1:].to_numpy(bool)]
    if rows.empty:
        return None
    said = [f"{g} = {lv} (as linked {a:,.0f}, mean over draws {m:,.0f})" for g, lv, a, m in
            zip(rows["group"], rows["level"], rows.get("nhat_as_linked", np.nan), rows.get("nhat_mean_draws", np.nan))]
    more = f" and {len(said) - 5:,} more" if len(said) > 5 else ""
    return (f"in {len(said):,} subgroup row(s) the linkage draws are shifted from the as-linked N̂ beyond their "
            f"Monte-Carlo error, although the total's are not: {'; '.join(said[:5])}{more}. There the linkage "
            f"decides the answer; their intervals are {SHIFTED.split(': ')[0]} (estimates.csv's interval_shifted)")


#: how an interval is labelled that was widened to the as-linked one for Monte-Carlo error of the draws' width (only
#: then: a shift of the draws is :data:`SHIFTED`, :func:`widening_words`; terminal, result.json, the report)
WIDENED = "widened to the as-linked interval where the draws' Monte-Carlo error made it narrower"


def widening_words(widened: bool, shifted: bool) -> str | None:
    """Why the published interval is wider than the draws' own: :data:`SHIFTED` when the draws are shifted from N̂
    as linked (the linkage decides the answer), :data:`WIDENED` when it was widened for Monte-Carlo error of their
    width only, None when neither (tester 18a, H3: the headline gave the Monte-Carlo reason for a -47% shift)."""
    return SHIFTED if shifted else WIDENED if widened else None


def width_share(share, lower_draws, upper_draws, lower, upper, shifted):
    """Share of the published interval's width due to linkage (result.json's ``width_share_linkage``).

    The estimator's sampling error alone gives the width ``w_s = (upper_draws - lower_draws) sqrt(1 - share)``
    (`share`: the draws' variance share from linkage, law of total variance; normal approximation). Where the
    interval was widened for a shift of the draws (`shifted`, :func:`published_interval`) the widening is
    linkage uncertainty too, so the share is ``1 - w_s / (upper - lower)`` on the published interval (tester 18a,
    H3: 5.4% of the draws' width beside an interval 5.5 times as wide, 85% of it from linkage); elsewhere it is
    the draws' own ``1 - sqrt(1 - share)`` (a widening for Monte-Carlo error corrects noise, it adds no
    linkage uncertainty). Arrays of shape (G,) (or scalars) in, an array of shape (G,) out; NaN where `share` is,
    or where a shifted row's widths are not finite.
    """
    s = np.atleast_1d(np.asarray(share, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        own = 1 - np.sqrt(np.clip(1 - s, 0.0, None))
        ws = (np.asarray(upper_draws, float) - np.asarray(lower_draws, float)) * np.sqrt(np.clip(1 - s, 0.0, None))
        w = np.asarray(upper, float) - np.asarray(lower, float)
        pub = np.clip(1 - ws / w, 0.0, 1.0)
    sh = np.broadcast_to(np.asarray(shifted, bool), s.shape)
    ok = np.isfinite(pub) & np.isfinite(ws) & np.isfinite(w) & (w > 0)
    out = np.where(sh, np.where(ok, pub, np.nan), own)
    return np.where(np.isfinite(s), out, np.nan).reshape(s.shape)


def widen_to_as_linked(lower, upper, lower_as_linked, upper_as_linked) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The interval to publish: the interval with linkage uncertainty, or the union with the as-linked one.

    Adding the linkage's uncertainty cannot make N̂ more certain, so an interval with linkage
    uncertainty narrower than the interval as linked comes from Monte-Carlo error of few
    linkage draws x bootstrap replicates (tester report 9, F19). Where it is narrower (width
    ``upper - lower`` below ``upper_as_linked - lower_as_linked``) the published interval is
    the union of the two, ``[min(lower, lower_as_linked), max(upper, upper_as_linked)]``;
    elsewhere it is left as it is (a shift of an interval at least as wide is not Monte-Carlo
    width error: :func:`published_interval` deals with it). An unbounded as-linked upper end
    counts as an infinite width (the published upper end is then unbounded too); cells with a NaN end
    or an unbounded lower end are left as they are.

    Parameters
    ----------
    lower, upper : array_like, shape (G,)
        The interval with linkage uncertainty (pooled percentiles), per group cell.
    lower_as_linked, upper_as_linked : array_like, shape (G,)
        The interval as linked (linkage taken as error-free), per group cell.

    Returns
    -------
    (lower, upper, widened) : ndarray, ndarray, ndarray of bool, each shape (G,)
        The interval to publish and where it was widened.
    """
    lo, hi = np.array(lower, float, ndmin=1), np.array(upper, float, ndmin=1)
    lo0, hi0 = np.asarray(lower_as_linked, float).reshape(lo.shape), np.asarray(upper_as_linked, float).reshape(lo.shape)
    # an unbounded as-linked upper end is an infinite width: a finite interval with linkage uncertainty is then
    # narrower and is widened to it (publishing a finite upper end the as-linked bootstrap could not give)
    ok = np.isfinite(lo) & np.isfinite(lo0) & ~np.isnan(hi) & ~np.isnan(hi0)
    with np.errstate(invalid="ignore"):
        widened = ok & np.isfinite(hi) & (hi - lo < hi0 - lo0)
    # no upper end with linkage uncertainty (NaN: its replicates could not set one) where the as-linked upper end
    # is unbounded: the published upper end is unbounded too, never a finite one (tester 15a, H2)
    open_up = np.isnan(hi) & np.isposinf(hi0) & np.isfinite(lo) & np.isfinite(lo0)
    widened = widened | open_up
    hi = np.where(open_up, np.inf, hi)
    lo[widened] = np.minimum(lo[widened], lo0[widened])
    hi[widened] = np.maximum(hi[widened], hi0[widened])
    return lo, hi, widened


def narrower_tolerance(n_pooled: int, n_as_linked: int, level: float = 0.95, floor: float = 0.05,
                       rows: int = 1) -> float:
    """How much narrower than as linked an interval with linkage uncertainty may come out from Monte-Carlo noise.

    Two standard errors of the difference between the two intervals' relative widths, each a
    percentile interval of its own replicates (tester report 11, finding 8: with 50 draws x 20
    replicates about half the subgroup rows came out a little narrower on every run, when the
    linkage adds 1-2% of the variance). Under normality the end at quantile ``q = (1 - level) / 2``
    of B replicates has standard error ``sqrt(q (1 - q) / B) / phi(z)`` (in units of the
    standard deviation; z = the normal quantile of 1 - q) and the width ``2 z``, so the
    relative standard error of the width is ``sqrt(2 q (1 - q) / B) / (2 z phi(z))`` (the ends
    taken as independent): 3.1% for B = 1,000 at 95%. The tolerance is at least `floor` (5%).

    Over `rows` intervals judged at once (the subgroup rows of estimates.csv, the monitor's rows) two
    standard errors would flag about 2.3% of them by chance alone (the README walkthrough: 2 of 55 rows,
    the largest shortfall 3.1 standard errors, s24 fresh-clone user L3): the multiple is then raised
    so that the chance that any row exceeds it stays at that 2.3% (Bonferroni: the normal quantile
    of 1 - 0.023 / rows; 3.3 standard errors for 55 rows).

    Parameters
    ----------
    n_pooled : int
        Replicates behind the interval with linkage uncertainty (draws x replicates per draw).
    n_as_linked : int
        Replicates behind the interval as linked (0: taken as exact).
    level : float
        Confidence level of both intervals.
    floor : float
        The smallest tolerance returned.
    rows : int
        How many intervals are judged together (1: one interval, two standard errors).

    Returns
    -------
    float
        The tolerated shortfall as a share of the as-linked width (1.0 without replicates).
    """
    from scipy.stats import norm

    q = (1 - level) / 2
    z = float(norm.ppf(1 - q))
    unit = np.sqrt(2 * q * (1 - q)) / (2 * z * float(norm.pdf(z)))
    var = sum(unit**2 / b for b in (n_pooled, n_as_linked) if b and b > 0)
    if not n_pooled or n_pooled <= 0:
        return 1.0
    k = 2.0 if rows <= 1 else max(2.0, float(norm.isf(norm.sf(2.0) / rows)))
    return max(floor, k * float(np.sqrt(var)))


def shortfall(lower, upper, lower_as_linked, upper_as_linked) -> np.ndarray:
    """How much narrower the interval is than as linked, as a share of the as-linked width (<= 0: not narrower).

    Arrays of shape (G,) in, shape (G,) out; 1.0 where the as-linked interval is unbounded and this one is not;
    NaN where either width is otherwise not finite or the as-linked width is 0.
    """
    w = np.asarray(upper, float) - np.asarray(lower, float)
    w0 = np.asarray(upper_as_linked, float) - np.asarray(lower_as_linked, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1 - w / w0
    out = np.atleast_1d(out)
    out[~(np.isfinite(w) & np.isfinite(w0) & (w0 > 0))] = np.nan
    out[np.atleast_1d(np.isfinite(w) & np.isposinf(w0))] = 1.0  # a finite interval against an unbounded one
    return out
