"""N̂ that carries the linkage's uncertainty: linkage draws × the estimator's own bootstrap.

A record-linkage run (:func:`darkfigure.linkage.link`) keeps every scored record pair
with its Fellegi–Sunter match probability (``pairs.parquet``) and the registrations
without personal data (``records.parquet``). The persons, and so the capture
histories, are one clustering of those pairs at a threshold; other clusterings are
almost as plausible. This module

1. **draws linkages** from the match probabilities: partitions of the registrations
   into persons by a single-site sampler in which a registration joins a person with
   probability proportional to the product of the odds ``p / (1 - p)`` above 1 of its pairs with
   that person's members (:func:`draw_partitions`, ``rule="positive"``; until 2026-12-07 of all those
   pairs' odds; a lone pair is joined with probability p), or, simpler, each pair
   independently with its probability and the accepted pairs re-clustered by the rules
   of ``link`` (:func:`draw_links`); in the partition draws every registration without a date of
   birth is then assigned once per draw to one namesake person or to nobody, matched as often as the
   dated registrations of its organisation (:mod:`~darkfigure.linkage.undated_draws`). This is the linkage averaging of Sadinle (2018,
   "Bayesian propagation of record linkage uncertainty into population size estimation
   of human rights violations", Ann. Appl. Stat. 12:1013-1038), with the Fellegi–Sunter
   posteriors of the linkage run in place of his model's;
2. **re-estimates** N̂ (and every subgroup and year total) on each drawn linkage with
   the estimator's own bootstrap (any estimator: a callable returning point estimates
   and bootstrap replicates per labelled group cell);
3. **combines** both in one place (:func:`combine_draws`): the corrected N̂ is the mean
   over draws where it lies below the as-linked N̂, else the as-linked N̂ (``correction=
   "toward"``, :func:`~darkfigure.linkage.combine.correction_shift`; ``"bias"``: the bootstrap
   bias correction of Chipperfield & Chambers 2015, J. Off. Stat. 31:397-414; ``"mean"``: the
   posterior mean, Sadinle 2018, sec. 4), the interval the percentiles of
   all replicates of all draws pooled, moved with the point
   (the mixture of the estimator's sampling distributions over the linkage
   distribution, as multiple imputations are pooled by HRDAG's verdata), and the share
   of the variance due to linkage from the law of total variance
   ``Var = E_d[Var(N̂ | d)] + Var_d(E[N̂ | d])`` (Rubin 1987, *Multiple imputation for
   nonresponse in surveys*, eq. 3.1.5, without the finite-draw factor).

The expected numbers of false links (accepted pairs that are not the same person,
``sum(1 - p)`` over the pairs joined in the as-linked persons) and of missed links
(pairs left apart that are, ``sum(p)`` over the others) come from the same
probabilities (the estimators of linkage error of Di Consiglio & Tuoto 2015,
"Coverage evaluation on probabilistic data linkage", J. Off. Stat. 31:415-429, with
the Fellegi–Sunter posteriors in place of a clerical sample).

True matches that were never compared (not blocked together) are missed in every
draw; their expected number per pair of organisations (``unblocked_matches`` of
``linkage_errors.csv``) is split off at random in each draw of the bias correction, merged
for the mean (:func:`~darkfigure.linkage.unblocked.draw_unblocked`). What it cannot
see: matches scored below ``PAIR_FLOOR``; and it is as good as the calibration of the
match probabilities (:func:`calibration_table` measures it on synthetic data).
``benchmarks/linkage_uncertainty_study.py`` measures what remains.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._pool import map_ordered
from ..dark_floor import below_persons_warnings
from ..histories import CaptureHistories, DataError
from .combine import RULE_TEXT, RULES, CombinedDraws, combine_draws, corrected_persons, widening_words, width_share

# reading a link folder and drawing linkages live in their own modules, re-exported here (existing imports)
from .draw_pool import DrawFailure, _draw_task, _draw_task_worker, _draw_worker_init, _failures_said, draw_context
from .link_run import (  # noqa: F401 - re-exported
    HISTORIES_FILE,
    LINKAGE_MODES,
    PAIRS_FILE,
    RECORD_COLUMNS,
    RECORDS_FILE,
    LinkRun,
    add_unblocked_matches,
    is_link_folder,
    isolated_lists,
    read_link_run,
    resolve_linkage,
)
from .mixed_rule import mixed_uncertainty, needs_two_draw_sets
from .partition_draws import DRAW_RULE, calibration_table, draw_links, draw_partitions, expected_link_errors_total
from .unblocked import for_bias_correction
from .undated_draws import assign_undated_draws_noted
from .undated_trait import run_trait

__all__ = ["CombinedDraws", "LinkageEstimate", "LinkRun", "add_unblocked_matches", "calibration_table",
           "combine_draws", "correct_estimate", "draw_links", "draw_partitions", "expected_link_errors_total",
           "is_link_folder", "linkage_uncertainty", "loglinear_refit", "read_link_run", "resolve_linkage"]


# ----------------------------------------------------------------------------- estimate
#: refit(histories, seed) -> (labels DataFrame[group, level], points (G,), replicates (B, G) or None)
Refit = Callable[[CaptureHistories, int], tuple[pd.DataFrame, np.ndarray, np.ndarray | None]]


@dataclass
class LinkageEstimate:
    """N̂ as linked, N̂ corrected for linkage error and the interval with linkage uncertainty.

    Attributes
    ----------
    nhat_as_linked : float
        N̂ from the persons of the linkage run (its threshold).
    nhat_corrected : float
        N̂ corrected for linkage error by the rule ``correction``
        (:func:`~darkfigure.linkage.combine.correction_shift`).
    lower, upper : float
        Interval for N with linkage uncertainty (draws × bootstrap); after the pipeline's
        :func:`~darkfigure.linkage.combine.widen_to_as_linked`, the interval published
        (the union with the interval as linked where the draws' one came out narrower).
    level : float
    share_linkage : float
        Share of the interval's variance due to linkage (law of total variance); its
        share of the width is :attr:`width_share_linkage`.
    false_links, missed_links : float
        Expected false and missed links of the as-linked persons among the compared pairs.
    persons_as_linked : int
    persons_drawn : float
        Mean number of persons over the draws.
    draws : int
        Linkage draws used (with a finite N̂).
    reps_per_draw : int
        Bootstrap replicates per draw (0: linkage uncertainty only).
    estimates : DataFrame
        ``group, level, observed, nhat, lower, upper, nhat_as_linked, share_linkage``:
        corrected figures for the total and every subgroup (and year) cell; ``observed``
        is that of the as-linked persons, ``observed_corrected`` by the rule (combine.corrected_persons).
    draw_nhat : ndarray, shape (D,)
        N̂ of each draw.
    replicates, bootstrap : ndarray / BootstrapResult or None
        The pooled replicates (draws x replicates per draw) behind the interval, and the
        bootstrap carried onto them; the as-linked one is ``Estimate.bootstrap``.
    seed : int or None
    seconds : float
    warnings : list of str
    """

    nhat_as_linked: float
    nhat_corrected: float
    lower: float
    upper: float
    level: float
    share_linkage: float
    false_links: float
    missed_links: float
    persons_as_linked: int
    persons_drawn: float
    draws: int
    reps_per_draw: int
    estimates: pd.DataFrame
    draw_nhat: np.ndarray = field(repr=False)
    replicates: np.ndarray | None = field(default=None, repr=False)
    bootstrap: Any = field(default=None, repr=False)
    seed: int | None = None
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    sampler: str = "partition"
    #: the rule of :func:`~darkfigure.linkage.combine.correction_shift` ("toward", "mixed", "bias", "mean")
    correction: str = "toward"
    #: the interval of the draws as pooled (before any widening; NaN: not yet set, then ``lower``/``upper`` are it)
    lower_draws: float = float("nan")
    upper_draws: float = float("nan")
    #: True when ``lower``/``upper`` were widened to the as-linked interval (tester report 9, F19)
    widened: bool = False
    #: what the reader should know that is no warning (a narrowing within Monte-Carlo noise: tester 11, F8)
    notes: list[str] = field(default_factory=list)
    #: expected true matches never compared that each draw splits off or adds (unblocked.draw_unblocked); None: none
    unblocked_added: float | None = None
    #: persons observed corrected by the rule that corrected N̂ (combine.corrected_persons; the dark figure's)
    persons_corrected: float = float("nan")

    @property
    def width_share_linkage(self) -> float:
        """Share of the published interval's width due to linkage (:func:`~darkfigure.linkage.combine.width_share`):
        the draws' own ``1 - sqrt(1 - share_linkage)``, or after a widening for a shift of the draws
        (``shifted``) ``1 - `` their sampling-only width over the published width (tester 18a, H3)."""
        if not getattr(self, "shifted", False):
            return self.width_share_linkage_draws
        lo, hi = (self.lower_draws, self.upper_draws) if np.isfinite(self.lower_draws) else (self.lower, self.upper)
        return float(width_share(self.share_linkage, lo, hi, self.lower, self.upper, True)[0])

    @property
    def width_share_linkage_draws(self) -> float:
        """The draws' own interval's width share due to linkage, ``1 - sqrt(1 - share_linkage)`` (NaN: not computed,
        some replicates unbounded; tester 15a, L1); :attr:`width_share_linkage` before any widening."""
        return float(width_share(self.share_linkage, 0, 1, 0, 1, False)[0])

    def corrected_bootstrap(self, template):
        """A :class:`~darkfigure.loglinear.bootstrap.BootstrapResult` holding the corrected figures.

        `template` is the as-linked estimate's bootstrap (its group labels and observed
        counts, in the order of :attr:`estimates`); the estimates become the corrected
        N̂ and the replicates the pooled replicates of all linkage draws, so that
        everything built on a bootstrap (the monitor's tables, visibility, SDG rates)
        carries the linkage uncertainty. None without replicates.
        """
        from dataclasses import replace

        if self.replicates is None or template is None or template.estimate.shape[0] != self.replicates.shape[1]:
            return None
        return replace(template, method=f"{template.method} x linkage draws", interval_method="percentile",
                       estimate=self.estimates["nhat"].to_numpy(float), replicates=self.replicates,
                       status_counts={"ok": int(np.isfinite(self.replicates[:, 0]).sum())}, acceleration=None,
                       jackknife=None, jackknife_weights=None)

    def to_dict(self) -> dict:
        """The ``linkage`` block of ``result.json`` (plain JSON types)."""

        def num(v):
            """A float for JSON: None where it is not finite."""
            v = float(v)
            return v if np.isfinite(v) else None

        out = {
            "method": ("linkage draws from the match probabilities ("
                       + ("partitions, Gibbs sampler" if self.sampler == "partition" else "independent pairs")
                       + ") x the estimator's bootstrap per draw (pooled percentiles"
                       + f"; N̂ corrected: {RULE_TEXT.get(self.correction, self.correction)})"),
            "sampler": self.sampler,
            "correction": self.correction,
            "nhat_as_linked": num(self.nhat_as_linked),
            "nhat_corrected": num(self.nhat_corrected),
            "lower": num(self.lower),
            "upper": num(self.upper),
            "level": self.level,
            "share_linkage": num(self.share_linkage),
            "width_share_linkage": num(self.width_share_linkage),
            "width_share_linkage_draws": num(self.width_share_linkage_draws),
            "false_links": num(self.false_links),
            "missed_links": num(self.missed_links),
            "persons_as_linked": int(self.persons_as_linked),
            "persons_drawn": num(self.persons_drawn),
            "draws": int(self.draws),
            "reps_per_draw": int(self.reps_per_draw),
            # both raw intervals stay readable: the draws' as pooled, and whether the published one was widened
            "lower_draws": num(self.lower if not np.isfinite(self.lower_draws) else self.lower_draws),
            "upper_draws": num(self.upper if not np.isfinite(self.upper_draws) else self.upper_draws),
            # widened for the draws' width or for their shift (its reason: interval_shifted; tester 21a L3)
            "widened_to_as_linked": bool(self.widened or getattr(self, "shifted", False)),
            "interval_note": "; ".join(["with linkage uncertainty"] + [w for w in [widening_words(
                self.widened, getattr(self, "shifted", False))] if w]),
            "seed": self.seed,
            "seconds": round(self.seconds, 2),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
        }
        from ..result_json import _flag  # an infinite limit is null with <key>_unbounded: true (review)

        for k, v in (("upper", self.upper), ("upper_draws", self.upper_draws)):
            _flag(out, k, v)
        return out

    def __str__(self) -> str:
        return (f"N̂ as linked {self.nhat_as_linked:,.0f}; corrected for linkage error {self.nhat_corrected:,.0f} "
                f"({self.level:.0%} interval with linkage uncertainty {self.lower:,.0f} – {self.upper:,.0f}, "
                f"{self.width_share_linkage:.0%} of its width from linkage; {self.draws} linkage draws"
                + "".join(f"; {w}" for w in [widening_words(self.widened, getattr(self, "shifted", False))] if w) + ")")


def linkage_uncertainty(
    run: LinkRun,
    refit: Refit,
    *,
    draws: int = 50,
    seed: int | None = None,
    level: float = 0.95,
    n_jobs: int | None = None,
    as_linked: tuple[pd.DataFrame, np.ndarray, np.ndarray | None] | None = None,
    sampler: str = "partition",
    progress: bool = False,
    correction: str = "toward",
) -> LinkageEstimate:
    """N̂ corrected for linkage error, with an interval carrying the linkage's uncertainty, for any estimator.

    Parameters
    ----------
    run : LinkRun
        Records and scored pairs of a linkage run.
    refit : callable (CaptureHistories, seed) -> (labels, points, replicates)
        The estimator: `labels` a DataFrame with ``group, level`` (and ``observed``) per
        group cell, total first; `points` shape (G,); `replicates` shape (B, G) (its own
        bootstrap) or None. Must be picklable when ``n_jobs > 1`` (see :func:`loglinear_refit`).
    draws : int
        Linkage draws (default 50).
    seed : int or None
        Seeds the draws and the bootstraps (one stream per draw).
    level : float
    n_jobs : int, optional
        Processes (default: all cores, at most `draws`).
    as_linked : (labels, points, replicates), optional
        The estimator's result on the as-linked persons, when already computed.
    sampler : {"partition", "pairs"}
        How linkages are drawn: partitions by :func:`draw_partitions` (default; a
        record joins a person only if it matches the members it was compared with), or
        independent pairs by :func:`draw_links`, re-clustered by ``link``'s rules.
    progress : bool
        A progress bar of the draws on a terminal (each draw keeps its own seed, so the
        result does not depend on how draws are grouped into tasks).
    correction : {"toward", "mixed", "bias", "mean"}
        The rule that makes N̂ corrected from the draws (:func:`~darkfigure.linkage.combine.correction_shift`;
        the interval is the pooled replicates moved with the point): ``"toward"`` (default) the mean over
        draws where it lies below the as-linked N̂, else the as-linked N̂; ``"bias"`` the as-linked N̂ minus
        ``mean over draws - as-linked`` (Chipperfield & Chambers 2015), whose sign contradicted the draws on
        tester 14a's registrations; ``"mean"`` the mean over the draws (Sadinle 2018); ``"mixed"`` "toward" below
        the as-linked N̂, else the bias correction from draws that split the never-compared matches off (mixed_rule.py).
        ``benchmarks/correction_rule_study.py`` compares them on three generators.

    Returns
    -------
    LinkageEstimate

    Raises
    ------
    DataError
        No scored pairs; no draw gave an estimate.
    """
    t0 = time.perf_counter()
    if correction not in RULES:
        raise ValueError(f"correction must be one of {', '.join(RULES)}, not {correction!r}")
    if len(run.pairs) == 0:
        raise DataError("the linkage run scored no record pairs: there is no linkage uncertainty to carry")
    if needs_two_draw_sets(run, correction):  # mixed: each branch on its own draws (mixed_rule.py)
        return mixed_uncertainty(linkage_uncertainty, run, refit, draws=draws, seed=seed, level=level, n_jobs=n_jobs,
                                 as_linked=as_linked, sampler=sampler, progress=progress)
    if correction == "bias":
        run = for_bias_correction(run)  # the draws miss the never-compared matches as the linkage did (unblocked.py)
    ss = np.random.SeedSequence(seed)
    s_draw, s_boot = ss.spawn(2)
    p, said = run.pairs["match_probability"].to_numpy(float), []  # said: the undated calibration at its bound
    if sampler == "partition":
        masks = draw_partitions(len(run.records), run.pairs["record_l"].to_numpy(np.int64),
                                run.pairs["record_r"].to_numpy(np.int64), p, draws,
                                int(s_draw.generate_state(1)[0]), start=run.labels(), rule=DRAW_RULE,
                                dated=run.records["has_date_of_birth"].to_numpy(bool))
        if correction != "bias":  # undated registrations among namesakes: one calibrated assignment per draw
            masks, said = assign_undated_draws_noted(run.records, run.pairs, run.labels(), masks,  # trait: undated_trait
                                                     int(s_draw.generate_state(2)[1]), run_trait(run))
    elif sampler == "pairs":
        masks = draw_links(p, draws, int(s_draw.generate_state(1)[0]))
    else:
        raise ValueError(f"sampler must be 'partition' or 'pairs', not {sampler!r}")
    boot_seeds = s_boot.generate_state(draws)
    if as_linked is None:
        as_linked = refit(run.histories(), int(boot_seeds[0]))
    labels0, points0, _ = as_linked
    key0 = labels0["group"].astype(str) + "\x1f" + labels0["level"].astype(str)
    from ..loglinear.bootstrap import _progress

    jobs = max(1, min(int(n_jobs or os.cpu_count() or 1), draws))
    jobs, context = draw_context(jobs)  # forkserver; fork for a script without a main guard (draw_pool)
    # one draw per task (the run and refit go to each worker once): progress moves with every draw, which can
    # take tens of seconds on a large table, and the workers stay busy to the end
    chunks = [np.array([d]) for d in range(draws)]
    results = []
    with _progress(progress, draws, "linkage draws") as advance:
        if jobs == 1:
            for c in chunks:
                results += _draw_task((run, masks[c], refit, boot_seeds[c]))
                advance(len(c))
        else:
            tasks = [(masks[c], boot_seeds[c]) for c in chunks]
            done = map_ordered(_draw_task_worker, tasks, jobs, what="linkage draws", mp_context=context,
                               initializer=_draw_worker_init, initargs=(run, refit),
                               local=lambda i: _draw_task((run, masks[chunks[i]], refit, boot_seeds[chunks[i]])))
            for c, rs in zip(chunks, done, strict=True):
                results += rs
                advance(len(c))
    G = len(labels0)
    pts = np.full((draws, G), np.nan)
    ok = [r for r in results if not isinstance(r, DrawFailure)]
    B = max((r[2].shape[0] for r in ok if r[2] is not None), default=0)
    reps = np.full((draws, B, G), np.nan) if B else None
    persons = np.full((draws, G), np.nan)
    split = [r[3] for r in ok if r[3]]
    for d, r in enumerate(results):
        if isinstance(r, DrawFailure):
            continue
        lab, pt, rp, _ = r
        idx = pd.Index(lab["group"].astype(str) + "\x1f" + lab["level"].astype(str)).get_indexer(key0)
        have = idx >= 0
        pts[d, have] = np.asarray(pt, float)[idx[have]]
        if reps is not None and rp is not None:
            reps[d][np.ix_(np.arange(rp.shape[0]), np.flatnonzero(have))] = np.asarray(rp, float)[:, idx[have]]
        if "observed" in lab.columns and np.isfinite(pts[d, 0]):  # the draws N̂ corrected is made from
            persons[d, have] = np.asarray(lab["observed"], float)[idx[have]]
    warnings = list(said)
    if split:
        warnings.append(f"{len(split)} of {draws} linkage draws joined registrations across a declared structural "
                        f"zero ({int(np.median(split))} registrations in the median of those draws): those joins were undone, as "
                        "the declaration says such persons cannot be registered by that list")
    failed = int(np.isnan(pts[:, 0]).sum())
    why = _failures_said(results)
    if failed:
        warnings.append(f"{failed} of {draws} linkage draws gave no finite N̂ and are left out{why}")
    if failed > draws - 2:
        raise DataError(f"only {draws - failed} of {draws} linkage draws gave an estimate{why}: the linkage "
                        "uncertainty cannot be measured")
    comb = combine_draws(pts, reps, level, None if correction == "mean" else np.asarray(points0, float), correction)
    if reps is not None:
        reps = reps + comb.shift  # the pooled replicates move with the corrected point (corrected_bootstrap)
    false_links, missed_links = expected_link_errors_total(run)
    est = labels0[["group", "level"]].copy()
    if "observed" in labels0.columns:
        est["observed"] = labels0["observed"].to_numpy()
        est["observed_corrected"] = corrected_persons(persons, est["observed"], comb.mean_draws, points0, correction)
    est["nhat"], est["lower"], est["upper"] = comb.point, comb.lower, comb.upper
    est["nhat_as_linked"] = np.asarray(points0, float)
    est["share_linkage"], est["nhat_mean_draws"], est["mc_se_draws"] = comb.share_linkage, comb.mean_draws, comb.mc_se
    return LinkageEstimate(
        nhat_as_linked=float(points0[0]),
        nhat_corrected=float(comb.point[0]),
        lower=float(comb.lower[0]),
        upper=float(comb.upper[0]),
        level=level,
        share_linkage=float(comb.share_linkage[0]),
        false_links=false_links,
        missed_links=missed_links,
        persons_as_linked=int(run.histories().n_observed) if "observed" not in labels0.columns
        else int(round(float(labels0["observed"].iloc[0]))),
        persons_drawn=float(np.nanmean(persons[:, 0])) if np.isfinite(persons[:, 0]).any() else float("nan"),
        persons_corrected=float(est["observed_corrected"].iloc[0]) if "observed_corrected" in est else float("nan"),
        draws=comb.n_draws,
        reps_per_draw=B,
        estimates=est,
        draw_nhat=pts[:, 0],
        replicates=None if reps is None else reps[np.isfinite(pts[:, 0])].reshape(-1, G),
        seed=seed,
        seconds=time.perf_counter() - t0,
        warnings=warnings + below_persons_warnings(est, correction),  # never a negative dark figure (s17)
        sampler=sampler,
        correction=correction,
        unblocked_added=None if run.unblocked is None else float(run.unblocked["unblocked_matches"].sum()),
    )


# ----------------------------------------------------------------------------- log-linear
@dataclass
class loglinear_refit:  # noqa: N801 - a picklable function object, named as the function it stands for
    """The log-linear estimator as a :data:`Refit` for :func:`linkage_uncertainty`.

    Each drawn linkage is collapsed to `covariates`, fitted with the fixed model
    `model` (the one chosen on the as-linked data: re-selecting it on every draw would
    cost a search per draw) and given a parametric bootstrap of `reps` replicates
    (Cruyff's ``boot_mse``; with unknown covariate values the bootstrap that redoes the
    EM). Totals are reported for the same groups as the main estimate (total, covariate
    levels, pairs, and by `year`).

    Parameters
    ----------
    model : list of str
        Interactions, e.g. ``["police:kmar", "police:sex"]`` (``[]``: main effects).
    covariates : list of str
        Covariates kept (the others are summed over).
    reps : int
        Parametric bootstrap replicates per draw (0: none, linkage uncertainty only).
    year, year_degree, structural_zeros, level :
        As :func:`darkfigure.estimation.estimate`.
    """

    model: list[str]
    covariates: list[str]
    reps: int = 20
    year: str | None = None
    year_degree: int | None = None
    structural_zeros: Any = None
    level: float = 0.95
    missing: str = "em"

    def __call__(self, h: CaptureHistories, seed: int) -> tuple[pd.DataFrame, np.ndarray, np.ndarray | None]:
        from ..estimation import estimate

        if self.reps and self.reps < 20:
            # estimate() refuses fewer replicates; never fall back silently to no bootstrap
            raise ValueError(f"reps per linkage draw must be 0 (linkage uncertainty only) or at least 20, not {self.reps}")
        hk = h.collapse([c for c in self.covariates if c in h.covariates])
        if self.missing == "drop" and hk.n_incomplete:
            hk = hk.drop_incomplete()  # as the as-linked estimate did (--missing drop)
        missing = [c for c in self.covariates if c not in hk.covariates]
        if missing:
            raise DataError(f"covariate(s) {missing} have a single level in this linkage draw")
        boot = self.reps >= 20  # below: 'drop' applied above; the checks and psi, read by nobody, were 35% of a draw
        e = estimate(hk, model=self.model or None, search="none", ci="parametric" if boot else "none",
                     reps=max(self.reps, 20), seed=seed, level=self.level, year=self.year,
                     year_degree=self.year_degree, structural_zeros=self.structural_zeros,
                     missing="em" if hk.n_incomplete else "error", n_jobs=1, assumption_range=None, model_checks=False)
        if not e.fit.identified:
            raise DataError("N̂ not identified on this linkage draw")
        t = e.estimates
        labels = t[["group", "level", "observed"]].reset_index(drop=True)
        if boot:
            return labels, e.bootstrap.estimate.copy(), e.bootstrap.replicates.copy()
        return labels, t["nhat"].to_numpy(float), None


def correct_estimate(run: LinkRun, h: CaptureHistories, fit, table: pd.DataFrame, boot, *, draws: int = 50,
                     reps: int = 20, seed: int | None = None, level: float = 0.95, year: str | None = None,
                     year_degree: int | None = None, structural_zeros: Any = None,
                     n_jobs: int | None = None, missing: str = "em",
                     progress: bool = False) -> tuple[LinkageEstimate, pd.DataFrame]:
    """The linkage correction of a log-linear estimate (what ``estimate(..., linkage="correct")`` runs).

    Parameters
    ----------
    run : LinkRun
    h : CaptureHistories
        The as-linked histories the estimate was fitted to.
    fit : LogLinearFit
        The chosen model's fit (its interactions are refitted on every draw).
    table : DataFrame
        The estimate's ``estimates`` table (``group, level, observed, nhat, lower, upper``).
    boot : BootstrapResult or None
    draws, reps, seed, level, year, year_degree, structural_zeros, n_jobs
        See :func:`darkfigure.estimation.estimate` and :func:`linkage_uncertainty`.
        `reps` (bootstrap replicates per draw) is 0 or at least 20.
    missing : {"em", "drop", "error"}
        What the as-linked estimate did with persons whose covariate is unknown; every
        draw does the same.
    progress : bool
        A progress bar of the linkage draws on a terminal.

    Returns
    -------
    (LinkageEstimate, DataFrame)
        The linkage block and the estimates table with the corrected ``nhat, lower,
        upper`` and the as-linked ``nhat_as_linked, lower_as_linked, upper_as_linked``,
        plus ``share_linkage``.

    Raises
    ------
    DataError
        An organisation shares nobody with the others (its linkage error cannot be
        estimated: said, not estimated); lists or covariates chosen that the link run
        cannot reproduce.
    """
    if reps and reps < 20:
        raise ValueError(f"linkage_reps (--linkage-reps) must be 0 (linkage uncertainty only) or at least 20 "
                         f"bootstrap replicates per linkage draw, not {reps}")
    alone = isolated_lists(h)
    if alone:
        raise DataError(
            f"organisation(s) {', '.join(alone)} share no person with any other organisation in the linked data: "
            "the overlaps that N̂ and its linkage correction rest on are absent for them, so no corrected N̂ is "
            "estimated. Check their registrations (another key, another period?) or leave them out"
        )
    orgs = list(pd.unique(run.records["organisation"].astype(str)))
    if sorted(orgs) != sorted(h.lists):
        raise DataError(f"the linkage correction re-links all organisations of the run ({', '.join(orgs)}); "
                        f"the estimate has the lists {', '.join(h.lists)}: do not choose lists with a link folder")
    # year (first registration) and, for a run split into years, registration_year: made from registration_date
    known = set(run.records.columns) | {"year"} | ({"registration_year"} if getattr(run, "by_year", False) else set())
    bad = [c for c in h.covariates if c not in known]
    if bad:
        raise DataError(f"covariate(s) {bad} are not in the link run's records.parquet; re-link with them")
    model = [":".join(t) for t in fit.model.terms if len(t) > 1]
    refit = loglinear_refit(model, list(h.covariates), reps=reps, year=year, year_degree=year_degree,
                            structural_zeros=structural_zeros, level=level, missing=missing)
    labels = table[["group", "level", "observed"]].reset_index(drop=True)
    le = linkage_uncertainty(run, refit, draws=draws, seed=seed, level=level, n_jobs=n_jobs, progress=progress,
                             as_linked=(labels, table["nhat"].to_numpy(float), None))
    persons = run.histories().n_observed
    if persons != h.n_observed:
        le.warnings.append(
            f"re-clustering the scored pairs at the run's threshold ({run.threshold:g}) gives {persons:,} persons, "
            f"the capture histories {h.n_observed:,}: the folder's files may come from different runs")
    out = table.copy()
    out["nhat_as_linked"], out["lower_as_linked"], out["upper_as_linked"] = out["nhat"], out["lower"], out["upper"]
    for c in ("nhat", "lower", "upper", "share_linkage"):
        out[c] = le.estimates[c].to_numpy()
    le.bootstrap = le.corrected_bootstrap(boot)
    return le, out
