"""The interval step: N̂ by subgroup with its interval, limits below the number observed raised.

The intervals: the model-averaged parametric bootstrap (Buckland, Burnham & Augustin 1997;
:mod:`darkfigure.loglinear.averaging`), Cruyff's parametric bootstrap of the chosen model
(``boot_mse``; with EM the bootstrap that redoes the EM), the nonparametric bootstrap that
repeats the search (BCa or percentile; n random or fixed as SparseMSE), Rcapture's profile
likelihood, or none (:mod:`darkfigure.loglinear.bootstrap`, :mod:`darkfigure.loglinear.profile`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..group_names import group_name
from ..loglinear.bootstrap import BootstrapResult, nonparametric_bootstrap, parametric_bootstrap
from ..loglinear.design import CompleteTable
from ..loglinear.fit import LogLinearFit
from ..loglinear.search import SearchResult
from .options import BOOTSTRAP_CI, CONDITIONAL_CI
from .search import ModelSelector, SearchPlan, Selection

__all__ = [
    "Interval", "interval_kind", "interval_step", "conditional_interval", "include_estimate", "point_table",
    "truncate_at_observed",
]

# how the default interval averages (chosen on the tuning settings of benchmarks/coverage_study.py)
_AVERAGING: dict = {"draw": "mixture", "bias": "none", "reselect": True, "reselect_from": "component"}


def interval_kind(ci: str, em_mode: bool, reps: int, level: float = 0.95) -> tuple[str, list[str]]:
    """The interval that will be computed, once the data are read: EM allows no model average.

    Parameters
    ----------
    ci : str
        One of :data:`darkfigure.pipeline.options.CI_METHODS`.
    em_mode : bool
        Persons with unknown covariate values are fitted by EM (the averaged interval becomes
        the parametric bootstrap that redoes the EM for the chosen model).
    reps : int
        Bootstrap replicates.
    level : float
        Interval level (a warning when fewer than 10 replicates lie beyond each end).

    Returns
    -------
    (str, list of str)
        The interval method and the warnings (the switch from averaged, too few replicates).

    Raises
    ------
    ValueError
        Fewer than 20 bootstrap replicates.
    """
    warnings = []
    if ci == "averaged" and em_mode:
        # the EM bootstrap redoes the imputation for one model; averaging over models is not built for it
        ci = "parametric"
        warnings.append(
            "with unknown covariate values fitted by EM the interval is the parametric bootstrap of the chosen "
            "model (redoing the EM): it is conditional on that model and too narrow by the model-selection uncertainty"
        )
    if ci in BOOTSTRAP_CI:
        if reps < 20:
            # the API's reps= and the CLI's --reps alike (tester 14b, L1: it spoke of the flag only)
            raise DataError(f"reps={reps} (--reps {reps}) is far too few for a {level:.0%} bootstrap interval: at "
                            "least 20 replicates are needed; use 1,000 (at least 200)")
        if reps < 200:
            warnings.append(f"only {reps} bootstrap replicates: the interval's ends are rough; use 1,000")
        elif round((1 - level) / 2 * reps, 9) < 10:
            # a percentile end rests on the replicates beyond it (tester 7, 14); rounded: 0.05 * 200 is 9.999…
            tail = int(round((1 - level) / 2 * reps, 9))
            warnings.append(f"only {tail} of {reps:,} bootstrap replicates lie beyond each end of the {level:.0%} "
                            f"interval: its ends are rough; use at least {math.ceil(20 / (1 - level)):,} replicates")
    return ci, warnings


@dataclass
class Interval:
    """What :func:`interval_step` computed.

    Attributes
    ----------
    estimates : DataFrame
        ``group, level, observed, nhat, lower, upper``, one row per group of `groups` and level
        (the total first); lower/upper NaN without an interval.
    lower, upper : float
        The total's interval (NaN without one; ``upper = inf`` when there is no finite upper limit).
    bootstrap : BootstrapResult or None
    profile : ProfileInterval or None
    averaged : AveragedEstimate or None
        The models averaged over and their weights (``ci="averaged"``).
    warnings : list of str
    """

    estimates: pd.DataFrame
    lower: float = float("nan")
    upper: float = float("nan")
    bootstrap: BootstrapResult | None = None
    profile: Any = None
    averaged: Any = None
    warnings: list[str] = field(default_factory=list)


def interval_step(
    selection: Selection,
    table: CompleteTable,
    plan: SearchPlan,
    ci: str,
    *,
    groups: list[tuple[str, ...]],
    reps: int,
    seed: int | None,
    level: float,
    bca: bool = True,
    pthresh: float = 0.02,
    average_criterion: str = "aic",
    n_jobs: int | None = None,
    progress: bool = False,
) -> Interval:
    """N̂ of the total and every group with the interval `ci` (none when N̂ is not identified).

    Parameters
    ----------
    selection : Selection
        The chosen fit and search (:func:`darkfigure.pipeline.search.search_step`).
    table : CompleteTable
        The table searched (of the complete persons, with EM).
    plan : SearchPlan
        The search, repeated in every replicate of the nonparametric bootstrap.
    ci : str
        As returned by :func:`interval_kind`.
    groups : list of tuple of str
        The subgroups (``()`` the total; :func:`darkfigure.loglinear.bootstrap.default_groups`).
    reps, seed, level, bca, pthresh, average_criterion, n_jobs, progress
        As :func:`darkfigure.estimation.estimate`.

    Returns
    -------
    Interval
        Limits below the number observed raised to it (:func:`truncate_at_observed`, said in the warnings).
        Bootstrap replicates without an identified N̂ are counted in the bootstrap's status and said in the
        warnings, not raised; without an identified N̂ (or with ``ci="none"``) the point estimates alone.

    Raises
    ------
    ValueError
        Settings the bootstrap or the profile likelihood refuse (``estimate`` checks them before, in
        :func:`darkfigure.pipeline.options.check_options` and :func:`interval_kind`).
    """
    fit, srch, em = selection.fit, selection.search, selection.em
    warnings: list[str] = []
    boot = prof = avg = None
    lower = upper = float("nan")
    if fit.identified and ci in BOOTSTRAP_CI:
        if ci == "averaged":
            from ..loglinear.averaging import averaged_bootstrap, model_average, search_candidates
            from ..loglinear.selection import reselection_start

            avg = model_average(search_candidates(srch, fit), criterion=average_criterion)
            # the search is repeated (over list interactions up to max_order) in every replicate: see _Reselect
            resel = reselection_start(srch) if _AVERAGING["reselect"] else None
            boot = averaged_bootstrap(avg, reps=reps, seed=seed, level=level, groups=groups, progress=progress,
                                      draw=_AVERAGING["draw"], bias=_AVERAGING["bias"], reselect=resel,
                                      reselect_order=plan.max_order, reselect_from=_AVERAGING["reselect_from"])
        elif em is not None:
            from ..loglinear.em import em_parametric_bootstrap

            boot = em_parametric_bootstrap(
                em, selection.coarse, table, reps=reps, seed=seed, level=level, groups=groups, n_jobs=n_jobs,
                progress=progress,
            )
        elif ci == "parametric":
            boot = parametric_bootstrap(
                fit, reps=reps, seed=seed, level=level, groups=groups, n_jobs=n_jobs, progress=progress
            )
        else:
            sel = ModelSelector(plan.method, plan.criterion, pthresh, plan.model, plan.max_order,
                                plan.fallback_criterion)
            boot = nonparametric_bootstrap(
                fit,
                sel,
                reps=reps,
                seed=seed,
                level=level,
                interval="bca" if bca else "percentile",
                groups=groups,
                n_jobs=n_jobs,
                progress=progress,
                condition_on_n=ci == "nonparametric-conditional",
            )
        est = boot.table()
        est, note = truncate_at_observed(est)
        if note:
            warnings.append(note)
        est, note = include_estimate(est, _INCLUDE_WHY.get(ci, ""))
        if note:
            warnings.append(note)
        lower, upper = float(est.iloc[0]["lower"]), float(est.iloc[0]["upper"])
        msg = boot.describe_failures()
        if msg:
            warnings.append(msg)
        from .unseen_zero import unseen_zero_summary, unseen_zero_words

        said = unseen_zero_words(unseen_zero_summary(boot, lower, int(round(float(est.iloc[0]["observed"])))))
        if said:  # kept in the interval, never silently (pipeline.unseen_zero)
            warnings.append(said[0].upper() + said[1:])
    else:
        est = point_table(fit, groups)
        if fit.identified and ci == "profile":
            from ..loglinear.profile import profile_interval

            prof = profile_interval(fit, level=level)
            lower, upper = float(prof.low), float(prof.high)
            est.loc[0, ["lower", "upper"]] = [lower, upper]
            if not (prof.upper_bounded and prof.lower_bounded):
                warnings.append(prof.message)
        est, note = truncate_at_observed(est)
        if note:
            warnings.append(note)
        est, note = include_estimate(est, _INCLUDE_WHY.get(ci, ""))
        if note:
            warnings.append(note)
        if outside_limits(est, 0) is not None:
            lower, upper = float(est.iloc[0]["lower"]), float(est.iloc[0]["upper"])
    return Interval(estimates=est, lower=lower, upper=upper, bootstrap=boot, profile=prof, averaged=avg,
                    warnings=warnings)


def conditional_interval(ci: str, interval: Interval, search: SearchResult | None) -> bool | None:
    """Whether the interval holds the chosen model fixed (True), carries the selection uncertainty (False), or is
    not there (None).

    A fixed model, or a search that visited a single model, leaves no selection to carry; the
    parametric and profile intervals are conditional on the chosen model (``CONDITIONAL_CI``).
    """
    if not (np.isfinite(interval.lower) or np.isfinite(interval.upper)):
        return None
    avg, boot = interval.averaged, interval.bootstrap
    return ci in CONDITIONAL_CI or search is None or (
        avg is not None and len(avg.fits) == 1 and not (boot is not None and boot.reselected)
    )


def truncate_at_observed(
    table: pd.DataFrame, observed: str = "observed", lower: str = "lower", upper: str = "upper", label=None
) -> tuple[pd.DataFrame, str | None]:
    """Raise interval limits that lie below the number observed to that number (N >= n always).

    Why it happens: in the parametric bootstrap (Cruyff's ``boot_mse``) every replicate
    redraws the observed cells too, so a replicate's N̂*_b = n*_b + dark*_b varies with
    the replicate's own observed count n*_b. In a stratum whose dark figure is estimated
    at (or near) 0 the percentile interval of N̂*_b is then the spread of n*_b around n,
    and its lower end falls below the n persons actually registered (e.g. 26–46 for 35
    observed). N cannot be smaller than n, so such a limit is set to n and said so.

    Parameters
    ----------
    table : DataFrame
        Rows with columns `observed`, `lower`, `upper` (and ``group``/``level`` or `label`
        for the message).
    label : callable, optional
        Row -> text naming the row in the message (default ``group=level``).

    Returns
    -------
    (DataFrame, str or None)
        A copy with the limits raised, and a sentence naming the rows changed (None when
        none was).
    """
    if table.empty or lower not in table or observed not in table:
        return table, None
    obs = pd.to_numeric(table[observed], errors="coerce").to_numpy(dtype=float)
    t = table.copy()
    changed = np.zeros(len(t), dtype=bool)
    # rounding error of the fit (e.g. 499.9999999999994 for 500 persons all on every list) is no real shortfall
    tol = 1e-7 * np.maximum(obs, 1.0)
    cols = [c for c in ("nhat", lower, upper) if c in t.columns]
    for col in cols:
        v = pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=float)
        noise = np.isfinite(v) & np.isfinite(obs) & (v < obs) & (v >= obs - tol)
        bad = np.isfinite(v) & np.isfinite(obs) & (v < obs - tol)
        if col == "nhat":
            # N̂ below the persons registered is floored at them (a negative dark figure is no count; tester 12b,
            # L1); the rows are named in the note below and in t.attrs["nhat_floored"] (estimates.csv's status)
            floored = bad.copy()
            bad[:] = False
            v = np.where(floored, obs, v)
            t[col] = v
        if noise.any() or bad.any():
            t[col] = np.where(noise | bad, obs, v)
            changed |= bad
    notes = []
    if "nhat" in t.columns:
        nh = pd.to_numeric(table["nhat"], errors="coerce").to_numpy(dtype=float)
        low = np.isfinite(nh) & np.isfinite(obs) & (nh < obs - tol)
        t.attrs["nhat_floored"] = [int(i) for i in np.flatnonzero(low)]
        if low.any():
            k = int(low.sum())
            notes.append(
                f"in {k} row(s) N̂ is below the number observed (e.g. {_row_name(table.iloc[int(np.flatnonzero(low)[0])], label)}"
                f": {nh[low][0]:,.1f} for {obs[low][0]:,.0f}): N̂ of a subgroup is the sum of the model's fitted values "
                "(Cruyff's definition), and the model does not hold that subgroup's margin; such rows are written with "
                "N̂ set to the number observed (dark figure 0; status 'N̂ floored at observed' in estimates.csv): read "
                "them as 'at least the number observed', or add the subgroup's interaction to the model"
            )
    if not changed.any():
        return t, ("; ".join(notes) or None)

    rows = [_row_name(r, label) for _, r in table[changed].iterrows()]
    shown = ", ".join(f"{n} ({table[lower].iloc[i]:,.1f} < {obs[i]:,.0f})"
                      for n, i in zip(rows[:5], np.flatnonzero(changed)[:5], strict=False))
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    notes.insert(0, (
        f"interval limit(s) below the number observed were set to that number in {len(rows)} row(s): {shown}{more}. "
        "N cannot be smaller than the persons registered; the bootstrap put the limit there because each replicate "
        "redraws the observed count too, which dominates where the dark figure is estimated near 0"
    ))
    return t, "; ".join(notes)


#: why a row's N̂ can lie outside its own interval, per interval method (the sentence after the rows are named)
_INCLUDE_WHY = {
    "nonparametric": "the bootstrap redoes the model search in every replicate, and where the search is unstable "
    "the replicates' models (and their N̂*) differ from the one chosen on the data, so N̂ can lie beyond the "
    "2.5% or 97.5% point of its own replicates (Efron 2014): N̂ then rests on a model the resampled data rarely "
    "choose",
    "averaged": "the model-averaged bootstrap redoes the model search in every replicate, and the replicates' "
    "models (and their N̂*) can differ from those weighted on the data (Efron 2014)",
}
_INCLUDE_WHY["nonparametric-conditional"] = _INCLUDE_WHY["nonparametric"]


def include_estimate(table: pd.DataFrame, why: str = "", label=None) -> tuple[pd.DataFrame, str | None]:
    """Widen every interval that excludes its own N̂ to include it (the union of the interval and N̂), and say so.

    Why: a percentile (or BCa) interval of bootstrap replicates excludes the point estimate when more than
    1 - alpha/2 of the replicates fall on one side of it. Under model re-selection this is genuine, not a
    slip: the replicate distribution is that of the whole select-then-estimate procedure, which can sit far
    from the estimate of the model chosen on the data when the selection is unstable (Efron 2014, JASA
    109:991-1007, secs. 1-3; Buckland, Burnham & Augustin 1997, Biometrics 53:603-618, sec. 3.2). Efron &
    Tibshirani (1993, An Introduction to the Bootstrap, ch. 13-14) note that percentile intervals are poor
    when the estimator is this biased, and BCa's bias correction z0 = Phi^-1(share of replicates below N̂)
    is infinite when all replicates fall on one side. An interval printed beside an N̂ it excludes reads as
    a contradiction, and the truth is not known to be on the replicates' side rather than the estimate's:
    the union [min(lower, N̂), max(upper, N̂)] contains the bootstrap interval, so its coverage is at
    least that interval's (conservative), and it is flagged, never silent (as the linkage correction's union
    with the as-linked interval, ``widened_to_as_linked``). The original limits are in the warning and in
    ``table.attrs["nhat_outside"]``.

    Parameters
    ----------
    table : DataFrame
        Rows with ``nhat``, ``lower``, ``upper`` (and ``group``/``level`` or `label` for the message);
        NaN limits (no interval) are left alone, an infinite upper limit always includes N̂.
    why : str
        The sentence saying why it happens for this interval method (appended to the warning).
    label : callable, optional
        Row -> text naming the row (default ``group=level``, as :func:`truncate_at_observed`).

    Returns
    -------
    (DataFrame, str or None)
        A copy with the limits widened, ``attrs["nhat_outside"]`` a dict row name (``group=level``, ``total``
        or `label`'s) -> (lower, upper) before widening (empty when none was; read a row's with
        :func:`outside_limits`), and a warning naming the rows (None when none was widened).
    """
    if table.empty or not {"nhat", "lower", "upper"} <= set(table.columns):
        return table, None
    t = table.copy()
    nh = pd.to_numeric(t["nhat"], errors="coerce").to_numpy(dtype=float)
    lo = pd.to_numeric(t["lower"], errors="coerce").to_numpy(dtype=float)
    hi = pd.to_numeric(t["upper"], errors="coerce").to_numpy(dtype=float)
    # rounding of the refits (1e-7 relative) is no exclusion
    tol = 1e-7 * np.maximum(np.abs(nh), 1.0)
    with np.errstate(invalid="ignore"):
        below = np.isfinite(nh) & np.isfinite(lo) & (nh < lo - tol)
        above = np.isfinite(nh) & np.isfinite(hi) & (nh > hi + tol)
    out = below | above
    # keyed by the row's name, not its position: the key survives a JSON round trip (string keys) and a reordering
    t.attrs["nhat_outside"] = {_row_name(table.iloc[i], label): (float(lo[i]), float(hi[i])) for i in np.flatnonzero(out)}
    if not out.any():
        return t, None
    t["lower"] = np.where(below, nh, lo)
    t["upper"] = np.where(above, nh, hi)
    idx = np.flatnonzero(out)
    shown = ", ".join(f"{_row_name(table.iloc[i], label)} (N̂ {nh[i]:,.0f}, interval {lo[i]:,.0f}–{hi[i]:,.0f})"
                      for i in idx[:5])
    more = f" and {len(idx) - 5} more" if len(idx) > 5 else ""
    note = (
        f"N̂ lies outside its own interval in {len(idx)} row(s): {shown}{more}. "
        + (why[:1].upper() + why[1:] + ". " if why else "")
        + "Those intervals were widened to include N̂ (status 'interval widened to include N̂' in estimates.csv): "
        "read them as the range between the estimate and the bootstrap interval, and treat the figures as "
        "unstable (a fixed-model interval, --ci parametric or profile, shows the uncertainty given the chosen model)"
    )
    return t, note


def outside_limits(table: pd.DataFrame, i: int, label=None) -> tuple[float, float] | None:
    """Row `i`'s interval before :func:`include_estimate` widened it to N̂, or None when it held N̂.

    Looked up by the row's name in ``table.attrs["nhat_outside"]`` (not by position: a review found the
    position-keyed flag lost after a JSON round trip, whose keys are strings, and wrong after a reordering).
    """
    d = table.attrs.get("nhat_outside") or {}
    if not d or not 0 <= i < len(table):
        return None
    v = d.get(_row_name(table.iloc[i], label))
    return None if v is None else (float(v[0]), float(v[1]))


def _row_name(r, label=None) -> str:
    """How a row of an estimates table is named in a message: ``group=level`` or ``total``."""
    if label is not None:
        return label(r)
    g, lv = str(r.get("group", "")), str(r.get("level", ""))
    return "total" if g in ("", "total") else f"{g}={lv}"


def point_table(fit: LogLinearFit, groups: list[tuple[str, ...]]) -> pd.DataFrame:
    """N̂ of the total and every group of `groups` from one fit, without an interval.

    Returns
    -------
    DataFrame
        ``group, level, observed, nhat, lower, upper`` (lower/upper NaN); ``group`` is ``total``
        or the covariates joined by ``:`` (``sex:age``), ``level`` their levels joined by ``:``.
    """
    rows = []
    for g in groups:
        d = fit.nhat_by(g)
        for _, r in d.astype(object).iterrows():
            rows.append(
                {
                    "group": group_name(g),
                    "level": "" if not g else ":".join(str(r[c]) for c in g),
                    "observed": int(r["observed"]),
                    "nhat": float(r["nhat"]),
                    "lower": np.nan,
                    "upper": np.nan,
                }
            )
    return pd.DataFrame(rows)
