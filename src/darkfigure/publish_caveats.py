"""Two statements of :func:`darkfigure.publish.publish_statement` that qualify "Publish N̂ with its interval".

* :func:`low_power_statement` — the heterogeneity check found nothing but has little power (below 50% against 30%
  of persons hard to reach). Tester report 13a (F1): with 30% hard to reach on every list the default interval
  covered N in 18 of 100 populations while the statement led with "Publish N̂ … with its interval"; the
  identifying-assumption line's 95% bounds (psi from 1/2 to 2) covered 100 of 100. Heterogeneity that touches
  every list alike leaves its trace in the unobserved cell, where it acts much like a psi above 1, so the
  statement now leads with N̂ *and* that range, stated as what it is: the range N lies in *if* ψ lies within the
  chosen ψ range (tester report 15b, M5; docs/headline_rules.md).
* :func:`conditional_caveat` — the interval holds the model a search chose fixed (``--ci parametric`` or
  ``profile`` after a search), so it leaves out the choice's uncertainty; such intervals covered N in 0.63–0.88 of
  the project's simulated populations (docs/coverage_study.md) and 0.78 in tester report 13a (F3).
"""

from __future__ import annotations

import math

import numpy as np

from .evidence import _fmt


def linkage_caveat(est) -> tuple[str, str] | None:
    """The caveat ``linkage-decides`` when the linkage draws are shifted from N̂ as linked (tester report 14a, M1).

    `est`: an Estimate whose ``linkage`` (:class:`~darkfigure.linkage.uncertainty.LinkageEstimate`) the pipeline
    found ``shifted`` beyond the draws' Monte-Carlo error
    (:func:`~darkfigure.linkage.combine.published_interval`). Returns (rule, clause) in the words of
    :func:`~darkfigure.linkage.combine.decides_text` with the remedy; None without linkage or shift.
    """
    lk = getattr(est, "linkage", None)
    if lk is None or not getattr(lk, "shifted", False):
        return None
    from .linkage.combine import decides_text

    text = decides_text(lk.nhat_as_linked, getattr(lk, "nhat_mean_draws", np.nan), lk.nhat_corrected, est.lower,
                        est.upper)
    return "linkage-decides", f"{text}; check the linkage (link --truth on a clerical sample) before publishing"

def linkage_lead(rules: list[str], nh: float, lower: float, upper: float, named: bool = True) -> str | None:
    """The lead of "to publish" when the record linkage qualifies N̂ (caveat rules ``linkage-warnings``,
    ``linkage-decides``), or None: "Publish N̂ … Caveat: … resolve it and link again before publishing" contradicted
    itself, ``publish_interval: false`` and link's "publish the interval, not the point" (tester 18a, M3).

    With ``linkage-decides`` the figure to publish, once the linkage is checked, is the interval (which covers N̂
    as linked, the draws' mean and N̂ corrected), not the point; with ``linkage-warnings`` alone N̂ waits for the
    linkage to be resolved. `named` False: the statement after the lead names its own range (e.g. the sensitivity
    range of a weak heterogeneity check), so the lead names none. One sentence, capitalised, ending in a full stop.
    """
    decides, warned = "linkage-decides" in rules, "linkage-warnings" in rules
    if not (decides or warned):
        return None
    if decides:
        checked = "checked and its warnings resolved" if warned else "checked"
        what = f"the interval {_fmt(lower)}–{_fmt(upper)}, not the point" if named else "a range, never the point alone"
        return (f"Do not publish N̂ {_fmt(nh)} as it stands: the record linkage decides it (see the caveat); once the "
                f"linkage is {checked}, publish {what}.")
    return (f"Do not publish N̂ {_fmt(nh)} ({_fmt(lower)}–{_fmt(upper)}) as it stands: the record linkage behind these "
            "persons warned that it may be biased (see the caveat).")


__all__ = ["conditional_caveat", "linkage_caveat", "linkage_lead", "low_power_statement", "sensitivity_range"]


def sensitivity_range(est, lower: float, upper: float) -> tuple[float, float, dict] | None:
    """The range to publish beside N̂ when the heterogeneity check is weak: the identifying-assumption bounds.

    Parameters
    ----------
    est : Estimate
        With ``identifying`` (:class:`darkfigure.sensitivity.IdentifyingAssumption`) or None.
    lower, upper : float
        N̂'s interval (persons).

    Returns
    -------
    (low, high, ident) — the bounds joined with the interval (never narrower than it) and the sensitivity
    object — or None when there are no finite bounds on the headline's N̂ (the sensitivity was off or failed, the
    bounds have no upper limit, or they were computed on the histories as linked, not on the corrected N̂).
    """
    ident = getattr(est, "identifying", None)
    if ident is None or getattr(ident, "as_linked", False):
        return None
    conf = (getattr(ident, "bounds", None) or {}).get("confidence")
    if not conf or not all(np.isfinite(conf)):
        return None
    return float(min(conf[0], lower)), float(max(conf[1], upper)), ident


def _psi_words(p: float) -> str:
    """1/2 for 0.5, else a short decimal (as the identifying-assumption line)."""
    if p < 1 and abs(1 / p - round(1 / p)) < 1e-9:
        return f"1/{round(1 / p)}"
    return f"{p:g}"


def low_power_statement(est, nh: float, lower: float, upper: float, weak: str, fits: str,
                        untested: str) -> tuple[float, float, list[str], str]:
    """The statement when the heterogeneity check did not flag but has power below 50% (tester report 13a, F1).

    Parameters
    ----------
    est : Estimate
    nh, lower, upper : float
        N̂ and its interval (persons, finite).
    weak : str
        The low-power words (``publish._weak_heterogeneity_check``).
    fits : str
        "the model fits and " or "".
    untested : str
        The closing parenthesis on the identifying assumption.

    Returns
    -------
    (low, high, rules, statement): the range to publish (the sensitivity bounds joined with the interval, or the
    interval when no bounds exist), the rules after ``agree`` (``heterogeneity-low-power``, plus
    ``sensitivity-range`` when the bounds are the range) and the sentence. Never an unqualified "Publish".
    """
    rng = f"{_fmt(lower)}–{_fmt(upper)}"
    got = sensitivity_range(est, lower, upper)
    if got is None:
        return lower, upper, ["heterogeneity-low-power"], (
            f"Publish N̂ {_fmt(nh)} with its interval {rng} only with the caveat that the interval holds only if "
            f"persons are equally likely to be registered: {fits}{weak}; for a range that allows for it, keep the "
            "identifying-assumption bounds on (--assumption-range 0.5,2) or run darkfigure compare "
            f"{untested}.")
    low, high, ident = got
    level = float(ident.bounds.get("level", 0.95))
    a, b = ident.range
    srng = f"{_fmt(low)}–{_fmt(high)}"
    # conditional on the ψ range, which is a choice (--assumption-range), not a range N is known to lie in (15b, M5)
    return low, high, ["heterogeneity-low-power", "sensitivity-range"], (
        f"Publish N̂ {_fmt(nh)} with its interval {rng} only together with the sensitivity range {srng}, stated as "
        f"a condition: if the unobserved persons' dependence (ψ) lies within {_psi_words(a)}–{_psi_words(b)}× of "
        f"what the model assumes, N lies in {srng}: {fits}{weak}. The range is the {level:.0%} bounds of the "
        f"assumption line over that ψ range, a choice (--assumption-range), not a bound the data give; "
        f"heterogeneity that every list shares acts much like a ψ above 1 {untested}.")


def sensitivity_sentence(est, lower: float, upper: float) -> str:
    """The sentence a plain "Publish N̂" ends with: the identifying assumption's sensitivity range, as a condition.

    Tester 18a (M6): with heterogeneity that every list shares (log-normal frailty), the checks flagged nothing in 4
    of 5 populations, N̂ was 5-15% below the true N and its interval missed it, while the ψ range held it in 10 of
    10. The verdict and its range stay those of the interval; the range is said beside it.

    Parameters
    ----------
    est : Estimate
        With ``identifying`` or None.
    lower, upper : float
        N̂'s interval (persons).

    Returns
    -------
    str: " If … N lies in L–H …." (leading space), or "" when there are no finite bounds on the headline's N̂
    (:func:`sensitivity_range`).
    """
    got = sensitivity_range(est, lower, upper)
    if got is None:
        return ""
    low, high, ident = got
    a, b = ident.range
    return (f" If the unobserved persons' dependence (ψ) lies within {_psi_words(a)}–{_psi_words(b)}× of what the "
            f"model assumes, N lies in {_fmt(low)}–{_fmt(high)}; heterogeneity that every list shares, which the "
            "checks cannot see, acts much like a ψ above 1.")


def conditional_caveat(est) -> tuple[str, str] | None:
    """The ``conditional-interval`` caveat, or None.

    Fires when the interval holds the chosen model fixed (``Estimate.conditional`` True) although a search chose
    it among several models (``Estimate.search`` visited more than one), e.g. ``--search cruyff --ci parametric``
    (the monitor's published form) or ``--ci profile`` after a search. A model given by name has no selection to
    leave out. Returns ``(rule, words)`` for ``publish_statement``'s caveats.
    """
    if getattr(est, "conditional", None) is not True:
        return None
    search = getattr(est, "search", None)
    fits = getattr(search, "fits", None) or []
    if search is None or len(fits) < 2:
        return None
    lo, hi = float(getattr(est, "lower", math.nan)), float(getattr(est, "upper", math.nan))
    if math.isnan(lo) and math.isnan(hi):
        return None
    return ("conditional-interval",
            "the interval holds the model the search chose fixed, so it leaves out the uncertainty of that choice "
            "and is too narrow (such intervals covered N in 63–88% of simulated populations, not 95%: "
            "docs/coverage_study.md); " + (
                "the model-averaged interval that carries it is not available when unknown covariate values are "
                "fitted by EM" if getattr(getattr(est, "histories", None), "n_incomplete", 0) else
                "--ci averaged carries it"))
