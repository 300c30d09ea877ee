"""Steps beside the interval: the linkage correction, partial pooling of subgroup N̂, and the
sensitivity of N̂ to the identifying assumption."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..histories import CaptureHistories, DataError
from ..loglinear.design import CompleteTable
from ..loglinear.fit import LogLinearFit
from .interval import Interval, point_table
from .link_checks import _cells, _check_cells, check_link_histories, check_link_run, shared_persons  # noqa: F401 - re-exported

__all__ = ["check_link_run", "check_link_histories", "link_errors_by_pair", "linkage_cost", "linkage_step", "shared_persons", "pooling_step", "identifying_step"]


def linkage_cost(interval: Interval, draws: int, reps: int, interval_seconds: float, n_jobs: int | None) -> str:
    """The expected cost of the linkage correction, said before it starts (one line).

    Estimated from the interval just computed: its seconds per bootstrap replicate times the
    fits the draws will make (``draws x (reps + 1)`` refits of the chosen model, or ``draws x
    models`` fits for the model average), over the worker processes. A rough guide only
    (the machine's load changes it).
    """
    import os

    boot = interval.bootstrap
    b = int(getattr(boot, "n_replicates", 0) or 0)
    avg = interval.averaged
    jobs = max(1, min(int(n_jobs or os.cpu_count() or 1), draws))
    if avg is not None and len(avg.fits) > 1 and boot is not None:
        fits = draws * len(avg.fits)
        what = f"{draws} linkage draws x {len(avg.fits)} averaged models = {fits:,} fits"
    else:
        r = reps if boot is not None else 0
        fits = draws * (r + 1)
        what = f"{draws} linkage draws x ({r} bootstrap replicates + 1) = {fits:,} refits of the chosen model"
    if b and interval_seconds > 0 and fits * interval_seconds / b / jobs >= 5:
        # a lower bound: each draw also rebuilds the persons and the table, and with EM refits by EM
        est = fits * interval_seconds / b / jobs
        return (f"linkage correction: {what} on {jobs} process(es); at least {_duration(est)} (the interval's time "
                "per replicate times the fits; the time left is said as the draws finish; --linkage-draws and "
                "--linkage-reps set the cost)")
    return (f"linkage correction: {what} on {jobs} process(es) (the time left is said as the draws finish; "
            "--linkage-draws and --linkage-reps set the cost)")


def _duration(seconds: float) -> str:  # "40 s", "3.5 min"
    return f"{seconds:,.0f} s" if seconds < 90 else f"{seconds / 60:,.1f} min"


def linkage_step(
    run: Any,
    h: CaptureHistories,
    fit: LogLinearFit,
    interval: Interval,
    groups: list[tuple[str, ...]],
    *,
    draws: int, reps: int, seed: int | None, level: float,
    year: str | None,
    year_degree: int | None,
    structural_zeros: Any,
    n_jobs: int | None,
    missing: str,
    progress: bool = False,
) -> tuple[Any, pd.DataFrame, list[str]]:
    """N̂ corrected for linkage error, with an interval that carries the linkage's uncertainty.

    The chosen model is refitted on `draws` linkages drawn from the match probabilities, each
    with `reps` parametric bootstrap replicates (:func:`darkfigure.linkage.uncertainty.correct_estimate`).

    Parameters
    ----------
    run : LinkRun
        The linkage run (records and scored pairs) behind `h`.
    h : CaptureHistories
    fit : LogLinearFit
        The chosen model's fit.
    interval : Interval
        The run's interval (:func:`darkfigure.pipeline.interval.interval_step`).
    groups : list of tuple of str
    draws, reps, seed, level, year, year_degree, structural_zeros, n_jobs, missing, progress
        As :func:`darkfigure.estimation.estimate` (``linkage_draws``, ``linkage_reps``, ...).

    Returns
    -------
    (LinkageEstimate, DataFrame, list of str)
        The correction, the estimates table holding the corrected figures (the as-linked ones
        beside them), and the warnings.

    Raises
    ------
    DataError
        An organisation that shares nobody with the others, or lists or covariates the link run
        cannot reproduce (:func:`darkfigure.linkage.uncertainty.correct_estimate`).
    """

    check_link_run(run, h, missing)
    link_est, est, warnings = _linkage_step(run, h, fit, interval, draws=draws, reps=reps, seed=seed, level=level,
                                            year=year, year_degree=year_degree, structural_zeros=structural_zeros,
                                            n_jobs=n_jobs, missing=missing, progress=progress)
    link_est.by_pair = link_errors_by_pair(run)  # read by Estimate's linkage block (result.json, the report)
    return link_est, est, warnings


def link_errors_by_pair(run: Any) -> pd.DataFrame:
    """Expected linkage errors and their rates per pair of organisations, for the as-linked persons.

    :func:`darkfigure.linkage.quality.expected_link_errors` (what ``linkage_errors.csv`` holds;
    Di Consiglio & Tuoto 2015 with the Fellegi–Sunter posteriors), with the matches blocking
    never compared (``run.unblocked``) added to the missed links, and the rates
    ``false_link_rate = false_links / links`` and ``missed_link_rate = missed_links /
    expected_matches``.

    Returns
    -------
    DataFrame
        ``organisation_l, organisation_r, links, false_links, missed_links, expected_matches,
        false_link_rate, missed_link_rate``: one row per unordered pair (a pair of the same
        organisation: its duplicates).
    """
    from ..linkage.quality import expected_link_errors
    from ..linkage.undated_trait import applied_trait, run_trait
    e = expected_link_errors(run.records["organisation"].to_numpy(), run.pairs, run.labels(),  # as linkage_errors.csv
                             has_date_of_birth=run.records["has_date_of_birth"].to_numpy(bool),
                             trait=applied_trait(run_trait(run))).copy()
    if run.unblocked is not None and len(run.unblocked):
        u = run.unblocked.set_index(["organisation_l", "organisation_r"])["unblocked_matches"]
        key = pd.MultiIndex.from_frame(e[["organisation_l", "organisation_r"]].astype(str))
        add = u.reindex(key).fillna(0.0).to_numpy(float)
        e["missed_links"] = e["missed_links"].to_numpy(float) + add
        e["expected_matches"] = e["expected_matches"].to_numpy(float) + add
    with np.errstate(invalid="ignore", divide="ignore"):
        e["false_link_rate"] = e["false_links"] / e["links"].where(e["links"] > 0)
        e["missed_link_rate"] = e["missed_links"] / e["expected_matches"].where(e["expected_matches"] > 0)
    keep = ["organisation_l", "organisation_r", "links", "false_links", "missed_links", "expected_matches",
            "false_link_rate", "missed_link_rate"]
    return e[[c for c in keep if c in e.columns]].reset_index(drop=True)


def _linkage_step(run: Any, h: CaptureHistories, fit: LogLinearFit, interval: Interval, *, draws: int, reps: int,
                  seed: int | None, level: float, year: str | None, year_degree: int | None, structural_zeros: Any,
                  n_jobs: int | None, missing: str, progress: bool) -> tuple[Any, pd.DataFrame, list[str]]:
    """:func:`linkage_step` after its checks: the averaged or the chosen-model correction."""
    from ..linkage.uncertainty import correct_estimate

    if interval.bootstrap is None:
        reps = 0  # no interval was asked for (--ci none): the draws give N̂ corrected, no interval (said below)
    avg = interval.averaged
    if avg is not None and len(avg.fits) > 1 and interval.bootstrap is not None:
        link_est, est, warnings = _averaged_linkage(
            run, h, interval, draws=draws, seed=seed, level=level, year=year, year_degree=year_degree,
            structural_zeros=structural_zeros, n_jobs=n_jobs, missing=missing, progress=progress)
        _widen(link_est, est)
        return link_est, est, warnings + _interval_warnings(link_est, est, interval, draws, None)
    link_est, est = correct_estimate(
        run, h, fit, interval.estimates, interval.bootstrap, draws=draws, reps=reps, seed=seed, level=level,
        year=year, year_degree=year_degree, structural_zeros=structural_zeros, n_jobs=n_jobs, missing=missing,
        progress=progress,
    )
    warnings = list(link_est.warnings)
    if interval.bootstrap is None:
        # --ci none: the spread of the draws alone is not the interval the user did not ask for either
        link_est.lower = link_est.upper = link_est.share_linkage = float("nan")
        for c in ("lower", "upper", "share_linkage"):
            est[c] = np.nan
            link_est.estimates[c] = np.nan
        return link_est, est, warnings
    _widen(link_est, est)
    return link_est, est, warnings + _interval_warnings(link_est, est, interval, draws, reps)


def _widen(link_est: Any, est: pd.DataFrame) -> None:
    """The interval published: the union with the as-linked one where the draws' came out narrower (in place).

    :func:`darkfigure.linkage.combine.widen_to_as_linked` on every row of `est` (total first;
    ``lower, upper`` and ``lower_as_linked, upper_as_linked``), the one place both corrections
    (chosen model, model average) pass (tester report 9, F19). `est` keeps the draws' interval
    as ``lower_draws, upper_draws`` and says per row ``interval_widened``; `link_est` (its
    ``lower, upper``, ``estimates`` and ``lower_draws, upper_draws, widened``) follows the total.
    Where the draws' mean is shifted from the as-linked N̂ beyond their Monte-Carlo error
    (:func:`~darkfigure.linkage.combine.published_interval`; tester report 14a, M1) the interval
    published also covers N̂ as linked and the mean over draws (column ``interval_shifted``,
    ``link_est.shifted``; ``nhat_mean_draws`` the mean per row). The pooled replicates
    (``link_est.bootstrap``) are not changed: the monitor widens its rows with the same function.
    """
    from ..linkage.combine import published_interval

    link_est.lower_draws, link_est.upper_draws = float(link_est.lower), float(link_est.upper)
    if not {"lower", "upper", "lower_as_linked", "upper_as_linked"} <= set(est.columns):
        return
    le = link_est.estimates
    lo_d, hi_d = est["lower"].to_numpy(float), est["upper"].to_numpy(float)
    same = len(le) == len(est) and "nhat_mean_draws" in le.columns
    m = le["nhat_mean_draws"].to_numpy(float) if same else np.full(len(est), np.nan)
    se = le["mc_se_draws"].to_numpy(float) if same else np.full(len(est), np.nan)
    lo, hi, wid, shifted = published_interval(lo_d, hi_d, est["lower_as_linked"], est["upper_as_linked"],
                                              est["nhat_as_linked"], m, se, point=est["nhat"])
    est.attrs.pop("nhat_outside", None)  # the as-linked table's flag; the interval published contains N̂ (review)
    at = list(est.columns).index("upper_as_linked") + 1
    for i, (c, v) in enumerate((("lower_draws", lo_d), ("upper_draws", hi_d), ("interval_widened", wid),
                                ("nhat_mean_draws", m), ("interval_shifted", shifted))):
        est.insert(at + i, c, v)
    est["lower"], est["upper"] = lo, hi
    if len(le) == len(est):
        le["lower"], le["upper"] = lo, hi
    link_est.lower, link_est.upper, link_est.widened = float(lo[0]), float(hi[0]), bool(wid[0])
    link_est.shifted, link_est.nhat_mean_draws = bool(shifted[0]), float(m[0])


def _interval_warnings(link_est: Any, est: pd.DataFrame, interval: Interval, draws: int,
                       reps: int | None) -> list[str]:
    """What the user must know about the interval with linkage uncertainty (tester report 5, M4).

    Few pooled replicates (draws x replicates per draw below the as-linked bootstrap's); an
    interval narrower than the as-linked one, with the reasons that can make it so: a warning
    when it is narrower beyond Monte-Carlo noise (:func:`~darkfigure.linkage.combine.narrower_tolerance`),
    else a note in ``link_est.notes`` (tester 11, finding 8).
    """
    # the label WIDENED is said once, on the linkage panel's row of the draws' own interval (s23 new user, 6)
    from ..linkage.combine import narrower_tolerance, shifted_rows_warning, shortfall

    out, b = [], int(getattr(interval.bootstrap, "n_replicates", 0) or 0)
    lo, hi = float(link_est.lower_draws), float(link_est.upper_draws)
    lo0 = float(est["lower_as_linked"].iloc[0]) if "lower_as_linked" in est.columns else np.nan
    hi0 = float(est["upper_as_linked"].iloc[0]) if "upper_as_linked" in est.columns else np.nan
    # both published ends the as-linked ones: the fewer pooled replicates set neither, no advice (s24 fresh-clone L3)
    moot = bool(np.isclose([link_est.lower, link_est.upper], [lo0, hi0], rtol=1e-12, atol=0.0).all())
    if reps is not None and reps and b and draws * reps < b and not moot:
        out.append(
            f"the interval with linkage uncertainty pools {draws} linkage draws x {reps} bootstrap replicates = "
            f"{draws * reps:,} replicates, against {b:,} for the interval as linked: its ends carry more Monte-Carlo "
            "error (raise --linkage-draws or --linkage-reps)")
    if reps == 0 and interval.bootstrap is not None:
        out.append("--linkage-reps 0: the interval with linkage uncertainty is the spread of the linkage draws "
                   "alone, without the estimator's sampling uncertainty")
    pooled = getattr(link_est, "replicates", None)
    tol = narrower_tolerance(pooled.shape[0] if pooled is not None else draws, b, link_est.level)
    notes = link_est.notes if isinstance(getattr(link_est, "notes", None), list) else []
    if not getattr(link_est, "shifted", False) and (w := shifted_rows_warning(est)) is not None:
        out.append(w)  # rows shifted while the total is not (review)
    if getattr(link_est, "shifted", False):
        out.append(_shift_warning(link_est, est, lo, hi, lo0, hi0))
    elif link_est.widened:
        short = float(shortfall(lo, hi, lo0, hi0)[0])
        why = []
        if reps is not None and reps and b and draws * reps < b:
            why.append("it rests on fewer replicates (Monte-Carlo error)")
        r = link_est.nhat_corrected / link_est.nhat_as_linked if link_est.nhat_as_linked else 1.0
        if round(1 - r, 3) > 0 and r * (hi0 - lo0) <= hi - lo:
            # a reason only when the scaling accounts for the narrowing (never "0.0% lower" beside a 17% shortfall)
            why.append(f"the draws' N̂ is {1 - r:.1%} lower, and the interval scales with N̂")
        if not why:
            why.append("Monte-Carlo error of the draws and replicates")
        said = (f"the interval with linkage uncertainty ({lo:,.0f} – {hi:,.0f}) is narrower than the interval as "
                f"linked ({lo0:,.0f} – {hi0:,.0f}) although it adds an uncertainty: {'; '.join(why)}. The interval "
                f"published is the union of the two, {link_est.lower:,.0f} – {link_est.upper:,.0f} (result.json's "
                "linkage block keeps both)")
        if short > tol:
            out.append(f"{said}; it is {short:.0%} narrower, beyond the {tol:.0%} Monte-Carlo noise allows: raise "
                       "--linkage-draws and --linkage-reps for an interval of its own")
        else:
            notes.append(f"{said}; {short:.1%} narrower, within the {tol:.0%} Monte-Carlo noise of the replicates")
    # the subgroup rows are judged together: a tolerance for the most-narrowed of them (s24 fresh-clone L3)
    sub_tol = narrower_tolerance(pooled.shape[0] if pooled is not None else draws, b, link_est.level, rows=len(est) - 1)
    sub, note = _narrower_subgroups(est, draws, reps, sub_tol), _narrower_note(est, sub_tol)
    if sub:
        out.append(sub)
    if note:
        notes.append(note)
    return out


def _shift_warning(link_est: Any, est: pd.DataFrame, lo: float, hi: float, lo0: float, hi0: float) -> str:
    """The warning that the linkage decides the answer: the draws' mean is shifted from N̂ as linked (tester 14a, M1).

    Says N̂ as linked with its interval, the mean over the draws with the draws' interval, N̂ corrected and its
    rule, and the interval published (the hull of all three: :func:`~darkfigure.linkage.combine.published_interval`),
    with the number of subgroup rows shifted too. Before, a disjoint pair of intervals was called Monte-Carlo error.
    """
    from ..linkage.combine import RULE_TEXT, SHIFTED

    a, m, c = float(link_est.nhat_as_linked), float(link_est.nhat_mean_draws), float(link_est.nhat_corrected)
    rule = RULE_TEXT.get(link_est.correction, link_est.correction)
    rows = est["interval_shifted"].iloc[1:] if "interval_shifted" in est.columns else pd.Series([], dtype=bool)
    sub = f"; so are {int(rows.sum()):,} of {len(rows):,} subgroup rows (column interval_shifted)" if rows.any() else ""
    return (f"the linkage decides the answer: N̂ as linked is {a:,.0f} ({lo0:,.0f} – {hi0:,.0f}), the mean over the "
            f"{link_est.draws} linkage draws {m:,.0f} (their interval {lo - (c - m):,.0f} – {hi - (c - m):,.0f}), "
            f"shifted by {m - a:+,.0f} ({(m - a) / a:+.1%}) beyond their Monte-Carlo error; N̂ corrected is {c:,.0f} "
            f"({rule}). The interval published is {link_est.lower:,.0f} – {link_est.upper:,.0f}, {SHIFTED}{sub}. "
            "Check the linkage (link --truth on a clerical sample, the threshold's sensitivity) before publishing")


def _narrower_rows(est: pd.DataFrame, tol: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray] | None:
    """The subgroup rows of `est` (all but the total), which have both widths, which are narrower than as
    linked, and which by more than `tol` of the as-linked width; None without the columns or subgroups."""
    need = {"group", "level", "lower", "upper", "lower_as_linked", "upper_as_linked"}
    if len(est) < 2 or not need <= set(est.columns):
        return None
    sub = est.iloc[1:]
    # the draws' interval as pooled, before _widen published the union
    lo_c, hi_c = ("lower_draws", "upper_draws") if "lower_draws" in est.columns else ("lower", "upper")
    w = sub[hi_c].to_numpy(float) - sub[lo_c].to_numpy(float)
    w0 = sub["upper_as_linked"].to_numpy(float) - sub["lower_as_linked"].to_numpy(float)
    ok = np.isfinite(w) & np.isfinite(w0)
    # rows whose draws are shifted are said by _shift_warning, not as Monte-Carlo error (tester 14a, M1)
    shifted = sub["interval_shifted"].to_numpy(bool) if "interval_shifted" in sub.columns else np.zeros(len(sub), bool)
    narrow = ok & (w < w0) & ~shifted
    return sub, ok, narrow, narrow & (w < (1 - tol) * w0)


def _narrower_subgroups(est: pd.DataFrame, draws: int, reps: int | None, tol: float = 0.0) -> str | None:
    """A warning naming the subgroup rows whose interval with linkage uncertainty is narrower than as linked
    by more than `tol` of the as-linked width (:func:`~darkfigure.linkage.combine.narrower_tolerance`).

    Adding the linkage's uncertainty cannot make a subgroup's N̂ more certain; a narrower
    interval there is Monte-Carlo error of the few replicates per linkage draw (tester report 6,
    M2), which within `tol` is only a note (:func:`_narrower_note`; tester report 11, F8). `est`
    is the estimates table (``lower, upper, lower_as_linked, upper_as_linked``; its first row the
    total, which :func:`_interval_warnings` judges on its own). Returns None when no subgroup row
    is narrower by more than `tol`.
    """
    rows = _narrower_rows(est, tol)
    if rows is None or not rows[3].any():
        return None
    sub, ok, _, beyond = rows
    k = int(beyond.sum())
    picked = sub[beyond]
    names = [f"{g}={lv}" for g, lv in zip(picked["group"].astype(str), picked["level"].astype(str))]
    shown = ", ".join(names[:3]) + (", ..." if k > 3 else "")
    per = f"{reps} bootstrap replicates per draw x {draws} draws" if reps else f"{draws} linkage draws"
    noise = (f" by more than the {tol:.0%} that Monte-Carlo noise allows in any of {int(ok.sum()):,} rows"
             if tol > 0 else "")
    return (f"in {k:,} of {int(ok.sum()):,} subgroup rows of estimates.csv ({shown}) the interval with linkage "
            f"uncertainty is narrower than the interval as linked (columns lower_as_linked, upper_as_linked){noise} "
            f"although it adds an uncertainty: Monte-Carlo error of {per}. Those rows publish the union of the two "
            "(columns interval_widened, lower_draws, upper_draws); raise --linkage-reps and "
            "--linkage-draws for intervals of their own")


def _narrower_note(est: pd.DataFrame, tol: float) -> str | None:
    """A note counting the subgroup rows narrower than as linked by no more than `tol` (Monte-Carlo noise)."""
    rows = _narrower_rows(est, tol)
    if rows is None:
        return None
    _, ok, narrow, beyond = rows
    within = int((narrow & ~beyond).sum())
    if not within:
        return None
    return (f"{within:,} of {int(ok.sum()):,} subgroup rows of estimates.csv came out narrower with linkage "
            f"uncertainty than as linked, by no more than the {tol:.0%} Monte-Carlo noise of the replicates allows; "
            "they publish the union of the two (columns interval_widened, lower_draws, upper_draws)")


#: cap on the pooled replicates (draws x bootstrap replicates x group cells) of the averaged linkage interval
_MAX_POOLED = 20_000_000


@dataclass
class averaged_refit:  # noqa: N801 - a picklable function object, named as the function it stands for
    """The model-averaged N̂ as a refit for :func:`darkfigure.linkage.uncertainty.linkage_uncertainty`.

    Each drawn linkage is collapsed to `covariates`, every candidate model of the as-linked
    average is fitted to it (point estimates only) and N̂ of every group cell is averaged
    with smoothed weights of `criterion` recomputed on that draw (Buckland, Burnham &
    Augustin 1997, eq. 2): the averaged estimator, with its candidate set fixed, on each draw.

    The draw's points come back twice: as `points` (shape (G,)) and as one "replicate"
    (shape (1, G)), so that the caller reads every draw's points from
    ``LinkageEstimate.replicates`` (shape (D, G)).

    Parameters
    ----------
    models : list of list of str
        Interactions of each candidate (``[]``: main effects).
    covariates : list of str
    criterion : {"aic", "bic", "aicc"}
    year, year_degree, structural_zeros, level, missing :
        As :func:`darkfigure.estimation.estimate`.
    """

    models: list[list[str]]
    covariates: list[str]
    criterion: str = "aic"
    year: str | None = None
    year_degree: int | None = None
    structural_zeros: Any = None
    level: float = 0.95
    missing: str = "em"

    def __call__(self, h: CaptureHistories, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        from ..loglinear.averaging import smoothed_weights
        from ..loglinear.bootstrap import default_groups
        from ..loglinear.fit import fit_model
        from ..loglinear.terms import LogLinearModel, parse_terms
        from .table import table_step

        hk = h.collapse([c for c in self.covariates if c in h.covariates])
        if self.missing == "drop" and hk.n_incomplete:
            hk = hk.drop_incomplete()
        lost = [c for c in self.covariates if c not in hk.covariates]
        if lost:
            raise DataError(f"covariate(s) {lost} have a single level in this linkage draw")
        if hk.n_incomplete:
            raise DataError("the model-averaged linkage correction is not built for unknown covariate values (EM)")
        table, _ = table_step(hk, year=self.year, year_degree=self.year_degree,
                              structural_zeros=self.structural_zeros)
        groups = default_groups(table, self.year)
        labels, points, crit = None, [], []
        for m in self.models:
            f = fit_model(table, LogLinearModel.make(table.variables, parse_terms(m or None)))
            t = point_table(f, groups)
            if labels is None:
                labels = t[["group", "level", "observed"]]
            ok = f.identified and len(t) == len(labels)
            points.append(t["nhat"].to_numpy(float) if ok else np.full(len(labels), np.nan))
            crit.append(float(getattr(f, self.criterion)) if ok else np.inf)
        w = smoothed_weights(crit)  # ValueError when no candidate is identified: the draw is left out
        pts = np.nansum(np.asarray(points) * w[:, None], axis=0)
        return labels, pts, pts[None, :].copy()


def _averaged_linkage(run: Any, h: CaptureHistories, interval: Interval, *, draws: int, seed: int | None,
                      level: float, year: str | None, year_degree: int | None, structural_zeros: Any,
                      n_jobs: int | None, missing: str, progress: bool) -> tuple[Any, pd.DataFrame, list[str]]:
    """The linkage correction of the model-averaged estimate (the default interval): one estimator throughout.

    The averaged N̂ is recomputed on each linkage draw (:class:`averaged_refit`: every candidate
    model refitted, weights recomputed; Sadinle 2018's linkage averaging) and N̂ corrected is made by
    the rule of the chosen model's correction (:func:`darkfigure.linkage.combine.combine_draws`: the mean
    over draws where below the as-linked averaged N̂, else that N̂). The interval pools, for every draw d, the as-linked averaged
    bootstrap replicates (which redo the model selection, so they carry its uncertainty)
    scaled by the draw's ratio ``N̂_d / N̂_as_linked`` per group cell: the mixture over
    linkages of the averaged estimator's sampling distribution, assuming its coefficient of
    variation is the same under every drawn linkage (the draws differ from the as-linked
    persons by a few percent of the links). The variance is split as in
    :func:`darkfigure.linkage.combine.combine_draws` (law of total variance). Cost: one fit
    per candidate model per draw, instead of a bootstrap per draw.

    Returns and raises as :func:`linkage_step`.
    """
    from ..linkage.combine import combine_draws
    from ..linkage.uncertainty import linkage_uncertainty

    avg, boot = interval.averaged, interval.bootstrap
    models = [[":".join(t) for t in f.model.terms if len(t) > 1] for f in avg.fits]
    table = interval.estimates
    refit = averaged_refit(models, list(h.covariates), criterion=avg.criterion, year=year, year_degree=year_degree,
                           structural_zeros=structural_zeros, level=level, missing=missing)
    labels = table[["group", "level", "observed"]].reset_index(drop=True)
    import warnings as _w

    with _w.catch_warnings():
        _w.simplefilter("ignore", RuntimeWarning)  # one "replicate" per draw: its within-draw variance is undefined
        le = linkage_uncertainty(run, refit, draws=draws, seed=seed, level=level, n_jobs=n_jobs, progress=progress,
                                 as_linked=(labels, table["nhat"].to_numpy(float), None))
    est = table.copy()
    est["nhat_as_linked"], est["lower_as_linked"], est["upper_as_linked"] = est["nhat"], est["lower"], est["upper"]
    # (D, G): the averaged N̂ of every draw (see averaged_refit), with linkage_uncertainty's move undone: moved
    # twice, the bias correction gave the mean over draws here until 2026-12-06
    pts = np.asarray(le.replicates, float) - (le.estimates["nhat"] - le.estimates["nhat_mean_draws"]).to_numpy(float)
    a = np.asarray(boot.replicates, float)  # (B, G): the as-linked averaged bootstrap
    base = table["nhat"].to_numpy(float)
    step = max(1, int(np.ceil(pts.size * a.shape[0] / _MAX_POOLED)))
    a = a[::step]
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(base > 0, pts / base, np.nan)  # (D, G)
    pooled = a[None, :, :] * ratio[:, None, :]  # (D, B, G)
    with _w.catch_warnings():
        _w.simplefilter("ignore", RuntimeWarning)  # a cell with N̂ 0 as linked has no ratio: NaN, said by its row
        # the rule of the chosen model's correction (combine_draws, correction_shift)
        comb = combine_draws(pts, pooled, level, None if le.correction == "mean" else base, le.correction)
    for c, v in (("nhat", comb.point), ("lower", comb.lower), ("upper", comb.upper),
                 ("share_linkage", comb.share_linkage)):
        est[c] = v
        le.estimates[c] = v
    le.estimates["nhat_mean_draws"], le.estimates["mc_se_draws"] = comb.mean_draws, comb.mc_se  # read by _widen
    le.nhat_corrected, le.lower, le.upper = float(comb.point[0]), float(comb.lower[0]), float(comb.upper[0])
    le.share_linkage = float(comb.share_linkage[0])
    le.reps_per_draw = int(a.shape[0])
    le.replicates = (pooled + comb.shift).reshape(-1, pooled.shape[2])  # moved with the point, as the chosen model's
    le.bootstrap = le.corrected_bootstrap(boot)
    return le, est, list(le.warnings)


def identifying_step(result: Any, range: tuple[float, float], groups: list[tuple[str, ...]],  # noqa: A002
                     linkage: Any = None) -> tuple[Any, list[str]]:
    """N̂ as the identifying assumption (no k-way list interaction) is relaxed over `range` of psi (Sun et al.'s
    bounds, :func:`darkfigure.sensitivity.identifying_assumption`).

    Parameters
    ----------
    result : Estimate: the run so far.
    range : (float, float)
        The range of psi.
    groups : list of tuple of str

    Returns
    -------
    (IdentifyingAssumption or None, list of str)
        None, with a warning saying why, when it cannot be computed. A run corrected for linkage error: the range
        moved to N̂ corrected with `linkage` (:func:`darkfigure.sensitivity_linkage.to_corrected_scale`), else
        marked ``as_linked`` (its summary line and explanation say "as linked").
    """
    from ..sensitivity import identifying_assumption
    from ..sensitivity_linkage import to_corrected_scale as corrected

    try:
        ident = identifying_assumption(result, range=range, groups=groups)
    except (DataError, ValueError) as e:
        return None, [f"the sensitivity to the identifying assumption could not be computed: {e}"]
    est = getattr(result, "estimates", None)
    if est is not None and "nhat_as_linked" in getattr(est, "columns", ()) and not corrected(ident, linkage):
        # not moved to N̂ corrected: the line says which N̂ sits at psi = 1, never two N̂ at psi = 1 (tester 10, F10)
        ident.as_linked = True
        ident.explanation = "For the histories as linked (before the linkage correction): " + ident.explanation
    return ident, []


def pooling_step(
    table: CompleteTable,
    fit: LogLinearFit,
    est: pd.DataFrame,
    groups: list[tuple[str, ...]],
    reps: int,
    seed: int | None,
    level: float,
    progress: bool = False,
) -> tuple[Any, pd.DataFrame, list[str]]:
    """Pooled (mixed-effects) subgroup N̂ beside the run's (``estimate(pooling="partial")``).

    The mixed-effects log-linear model pools the list x covariate effects across strata
    (Hammond, Smith & van der Heijden 2025; :func:`darkfigure.loglinear.pooling.partial_pooling`),
    keeping `fit`'s list x list terms.

    Parameters
    ----------
    table : CompleteTable
    fit : LogLinearFit
        The chosen model.
    est : DataFrame
        The estimates table (``group, level, ...``).
    groups : list of tuple of str
    reps, seed, level, progress
        Parametric bootstrap of the pooled fit.

    Returns
    -------
    (PoolingResult, DataFrame, list of str)
        The pooling result, `est` with ``nhat_stratified, nhat_pooled, lower_pooled, upper_pooled``, and the
        warnings (variances at the floor, no convergence, failed refits, components from few levels,
        strata the fully stratified fit cannot identify).
    """
    from ..loglinear.pooling import FEW_LEVELS, VARIANCE_FLOOR, partial_pooling

    warnings: list[str] = []
    pool = partial_pooling(table, fit.model, groups, reps=reps, seed=seed, level=level, progress=progress)
    add = pool.table[["group", "level", "nhat_stratified", "nhat_pooled", "lower_pooled", "upper_pooled"]]
    est = est.merge(add, on=["group", "level"], how="left")
    f = pool.fit
    at_floor = [n for n, v in zip(f.design.component_names, f.variances) if v <= VARIANCE_FLOOR * 1.0001]
    if at_floor:
        warnings.append(
            "partial pooling: the data show no stratum-to-stratum variation of " + ", ".join(at_floor)
            + " (variance estimated 0), so those list effects are pooled completely across strata"
        )
    if not f.converged:
        warnings.append("partial pooling: the mixed-effects fit did not converge; read the pooled columns with care")
    if pool.failed:
        warnings.append(f"partial pooling: {pool.failed} of {pool.reps} bootstrap refits did not converge and were "
                        "left out of the pooled interval")
    few = pool.few_levels()
    if few:
        by_n: dict[int, list[str]] = {}
        for name, k in few.items():
            by_n.setdefault(k, []).append(name)
        rest = "; ".join(f"{', '.join(ns)} on {k} level{'s' if k != 1 else ''}" for k, ns in sorted(by_n.items()))
        warnings.append(
            f"partial pooling: variance component(s) estimated from fewer than {FEW_LEVELS} levels ({rest}): a "
            "variance from so few values is crude and often comes out 0 (those list effects then pooled "
            "completely), so the pooled figures and their interval lean on the assumption that those subgroups "
            "are seen alike rather than on the data, and the pooled interval can be much narrower than the "
            "unpooled one; pool over covariates with more levels, or read the unpooled figures beside them"
        )
    bad = pool.strata_not_identified
    if bad or not np.isfinite(pool.table["nhat_stratified"]).all():
        named = "; ".join(bad[:8]) + (f"; and {len(bad) - 8} more" if len(bad) > 8 else "")
        n_strata = int(table.n_strata)
        warnings.append(
            f"partial pooling: the fully stratified fit (every list x stratum term free) identifies no N̂ for "
            f"{len(bad)} of {n_strata} strata ({named}): those strata are too small for their own list effects, "
            "which is what pooling is for; their nhat_stratified is empty, and so is that of every total or "
            "margin that includes one of them (a sum over strata needs all of them); the other strata keep "
            "their own figure"
        )
    return pool, est, warnings
