"""Model-averaged N̂ with intervals that carry the model-selection uncertainty.

A model search picks one log-linear model and the usual intervals (Cruyff's
``boot_mse`` parametric bootstrap, the profile likelihood) are *conditional* on that
model: they ignore that another data set would have picked another model. On
monitor-like data this is where coverage is lost (issue 10: 0.67 at nominal 0.95).

This module averages over the models a search visited, with smoothed
information-criterion weights (Buckland, Burnham & Augustin 1997, Biometrics
53:603-618, eq. 2; Burnham & Anderson 2002, *Model Selection and Multimodel
Inference*, sec. 4.2):

    w_m = exp(-Δ_m / 2) / Σ_j exp(-Δ_j / 2),    Δ_m = IC_m - min_j IC_j,

N̂_avg = Σ_m w_m N̂_m (and so for every subgroup total). The interval comes from a
parametric bootstrap of the *mixture* of the candidates (``draw="mixture"``, the
default; Burnham & Anderson 2002, sec. 4.3.2): replicate b is drawn from candidate m
with probability w_m, as Cruyff's ``boot_mse`` draws from one model (a multinomial of
size N̂_m over all cells, hidden ones included), and refitted by that model; the
percentiles of the pooled replicates carry the spread between the models as well as
each model's sampling variance.

``draw="reweight"`` is Buckland et al.'s (1997, sec. 3.2) bootstrap with the weighting
repeated in every resample: each replicate is drawn from the model-averaged table,
every candidate is refitted to it, the weights are recomputed from the replicate's
criteria and the replicate's N̂ is the re-weighted average. It costs M fits per
replicate and did not cover better on the tuning settings of
``benchmarks/coverage_study.py``.

What the average cannot carry is the variance of which terms a search would pick in
another sample beyond the models it visited; :mod:`darkfigure.loglinear.selection`
reduces that by keeping every list x covariate term (the search then only chooses
list dependences). ``reselect=`` carries the rest: the search over list interactions
(pairs; three-list terms too with ``reselect_order=3``) is repeated in every replicate
(:class:`_Reselect`, stepwise by score and Wald steps from the replicate's component
model; Buckland et al. 1997, sec. 3.2; Efron 2014, JASA 109:991-1007), at about twice
the cost of the plain mixture. It is done after the stratified search, and without
covariates after Cruyff's and the exhaustive search
(:func:`~darkfigure.loglinear.selection.reselection_start`). On the tuning settings of
``benchmarks/coverage_study.py`` the plain mixture's bootstrap SD was below the
empirical SD of N̂ (the error of N̂ in bootstrap SDs had SD 1.05-1.27), with misses on
both sides; the re-selecting bootstrap is the default.

The bootstrap percentile interval of a log-linear N̂ inherits the estimator's
small-sample bias twice (the replicates are centred at N̂ + bias). ``bias="shift"``
corrects for the bootstrap estimate of the bias on the log scale, b = mean(log N̂*) -
log N̂ (Efron & Tibshirani 1993, *An Introduction to the Bootstrap*, sec. 10.6): the
point estimate is multiplied by exp(-b) and the replicates by exp(-2b). It is not the
default: it did not improve coverage on the tuning settings.

With several candidates the interval is not conditional on the chosen model; with one
(a fixed model, or a search that visited one model) it is Cruyff's ``boot_mse``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .._special import gammaln
from .bootstrap import BootstrapResult, GroupSpec, _counts, _fixed_context, _group_matrix, _progress, default_groups
from .fit import LogLinearFit, _fast_independent, fit_model, irls_poisson
from .reselect import _Reselect
from .terms import LogLinearModel

__all__ = [
    "smoothed_weights",
    "candidate_fits",
    "search_candidates",
    "AveragedEstimate",
    "model_average",
    "averaged_bootstrap",
]

CRITERIA = ("aic", "bic", "aicc")


def smoothed_weights(criteria: Sequence[float] | np.ndarray) -> np.ndarray:
    """Smoothed information-criterion weights w_m ∝ exp(-(IC_m - min IC) / 2).

    Buckland, Burnham & Augustin (1997, eq. 2); Akaike weights for AIC, approximate
    posterior model probabilities (equal priors) for BIC.

    Parameters
    ----------
    criteria : array of shape (M,)
        AIC, BIC or AICc of each candidate; ``inf`` or NaN (a model that cannot be
        used) gets weight 0.

    Returns
    -------
    ndarray of shape (M,)
        Non-negative weights summing to 1.

    Raises
    ------
    ValueError
        No finite criterion.
    """
    c = np.asarray(criteria, dtype=float)
    ok = np.isfinite(c)
    if not ok.any():
        raise ValueError("no candidate model has a finite information criterion")
    d = np.where(ok, c - c[ok].min(), np.inf)
    w = np.exp(-0.5 * d)
    return w / w.sum()


def candidate_fits(
    fits: Sequence[LogLinearFit], *, criterion: str = "aic", min_weight: float = 1e-3, max_models: int = 12
) -> tuple[list[LogLinearFit], np.ndarray]:
    """The distinct identified models among `fits` that carry weight, with their weights.

    Models are de-duplicated by their terms; models without an identified N̂ are
    left out (they cannot enter an average of N̂). Models with a weight below
    `min_weight` are dropped and at most `max_models` of the heaviest are kept
    (Buckland et al. 1997 average over a candidate set; the dropped ones change N̂_avg
    by less than `min_weight` times their difference from it). Weights are
    recomputed over the kept models.

    Parameters
    ----------
    fits : sequence of LogLinearFit
        E.g. the fits along a search path (``SearchResult.fits``).
    criterion : {"aic", "bic", "aicc"}
    min_weight : float in [0, 1)
    max_models : int >= 1

    Returns
    -------
    fits : list of LogLinearFit, heaviest first
    weights : ndarray of shape (len(fits),)

    Raises
    ------
    ValueError
        Unknown criterion, or no identified model.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, not {criterion!r}")
    if max_models < 1:
        raise ValueError(f"max_models must be at least 1 (got {max_models})")
    seen, uniq = set(), []
    for f in fits:
        if f.identified and f.model not in seen and np.isfinite(getattr(f, criterion)):
            seen.add(f.model)
            uniq.append(f)
    if not uniq:
        raise ValueError("no model with an identified N̂ to average over")
    w = smoothed_weights([getattr(f, criterion) for f in uniq])
    order = np.argsort(-w, kind="stable")[:max_models]
    order = [i for i in order if w[i] >= min_weight] or [int(order[0])]
    kept = [uniq[i] for i in order]
    return kept, smoothed_weights([getattr(f, criterion) for f in kept])


def search_candidates(search, best: LogLinearFit, *, limit: int = 40) -> list[LogLinearFit]:
    """The fits a model search visited, as candidates for :func:`model_average`.

    Stepwise searches (Cruyff's, the p-value search): every model on the path. The
    exhaustive search ranks thousands of models: its `limit` best by AIC and by its
    own criterion are fitted. Without a search (a fixed model): ``[best]``.

    Parameters
    ----------
    search : SearchResult or None
    best : LogLinearFit
        The chosen model (always among the candidates).
    limit : int
        How many of the exhaustive search's models to fit.

    Returns
    -------
    list of LogLinearFit
    """
    if search is None:
        return [best]
    if search.method == "exhaustive":
        p = search.path
        idx = list(range(min(limit, len(p))))
        idx += [int(i) for i in np.argsort(p["aic"].to_numpy(), kind="stable")[:limit]]
        return [best] + [search.fits[i] for i in dict.fromkeys(idx)]
    return [best, *search.fits]


@dataclass
class AveragedEstimate:
    """A model-averaged N̂: the candidates, their weights and the averaged fitted table.

    Attributes
    ----------
    fits : list of LogLinearFit
        Candidate models (heaviest first).
    weights : ndarray of shape (M,)
    criterion : str
    fitted : ndarray of shape (n_cells,)
        Σ_m w_m fitted_m over the complete table.
    nhat : float
        Σ_m w_m N̂_m.
    """

    fits: list[LogLinearFit] = field(repr=False)
    weights: np.ndarray
    criterion: str
    fitted: np.ndarray = field(repr=False)
    nhat: float

    def path(self) -> pd.DataFrame:
        """One row per candidate: ``model, weight, nhat, aic, bic, status``."""
        return pd.DataFrame(
            {
                "model": [f.model.label() for f in self.fits],
                "weight": self.weights,
                "nhat": [f.nhat for f in self.fits],
                "aic": [f.aic for f in self.fits],
                "bic": [f.bic for f in self.fits],
                "status": [f.status for f in self.fits],
            }
        )


def model_average(
    fits: Sequence[LogLinearFit], *, criterion: str = "aic", min_weight: float = 1e-3, max_models: int = 12
) -> AveragedEstimate:
    """Average N̂ (and the whole fitted table) over candidate models with smoothed weights.

    Parameters and errors as :func:`candidate_fits`.

    Returns
    -------
    AveragedEstimate
    """
    kept, w = candidate_fits(fits, criterion=criterion, min_weight=min_weight, max_models=max_models)
    fitted = np.sum([wi * f.fitted for wi, f in zip(w, kept)], axis=0)
    return AveragedEstimate(kept, w, criterion, fitted, float(fitted.sum()))


class _Refitter:
    """Refit one candidate model to replicate counts over the observable cells: (full fitted, -2 logL, rank)."""

    def __init__(self, fit: LogLinearFit):
        t = fit.table
        xall = t.design(fit.model)
        obs_idx = np.flatnonzero(t.observable)
        keep = np.ones(len(obs_idx), dtype=bool)
        if fit.existence is not None and not fit.existence.mle_exists:
            keep = np.asarray(fit.existence.facial_set, dtype=bool)
        self.obs_idx = obs_idx
        self.keep = keep
        self.x = xall[obs_idx[keep]]
        self.used = _fast_independent(self.x)
        self.rank = len(self.used)
        self.mu0 = fit.fitted[obs_idx[keep]]
        self.hidden_index = np.flatnonzero(t.hidden)
        self.x_hidden = xall[self.hidden_index]
        self.hidden_zero = fit.fitted[self.hidden_index] == 0
        self.n_cells = t.n_cells

    def __call__(self, y_obs: np.ndarray) -> tuple[np.ndarray | None, float]:
        y = y_obs[self.keep]
        if not self.keep.all() and y_obs[~self.keep].sum() > 0:
            return None, np.inf  # the replicate puts persons where this model says nobody can be
        beta, mu, _, _, conv, _ = irls_poisson(self.x, y, self.mu0, tol=1e-8, used=self.used)
        fh = np.where(self.hidden_zero, 0.0, np.exp(np.minimum(self.x_hidden @ beta, 700.0)))
        nobs = y.sum()
        if not conv or not np.isfinite(fh).all() or fh.sum() > 1e6 * max(nobs, 1.0):
            return None, np.inf
        full = np.zeros(self.n_cells)
        full[self.obs_idx[self.keep]] = mu
        full[self.hidden_index] = fh
        pos = mu > 0
        m2ll = -2.0 * float(np.sum(y[pos] * np.log(mu[pos])) - mu.sum() - np.sum(gammaln(y + 1)))
        return full, m2ll


def _model_refit(model: LogLinearModel, cache: dict, gmat: np.ndarray, own_job, own_fit: LogLinearFit):
    """The fixed-model refit (with the existence check) of a re-selected model, one per model (cached)."""
    if model == own_fit.model:
        return own_job
    job = cache.get(model)
    if job is None:
        job = cache[model] = _fixed_context(fit_model(own_fit.table, model, check=True), gmat)
    return job


def _penalty(criterion: str, n: float, rank: int) -> float:
    if criterion == "bic":
        return np.log(max(n, 2.0)) * rank
    return 2.0 * rank  # AICc's small-sample term is negligible at these n; AIC weights


@single_threaded
def averaged_bootstrap(
    avg: AveragedEstimate,
    *,
    reps: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    groups: Sequence[GroupSpec] | None = None,
    draw: str = "mixture",
    bias: str = "none",
    reselect: LogLinearModel | None = None,
    max_steps: int = 3,
    reselect_order: int = 2,
    reselect_from: str = "component",
    progress: bool = False,
) -> BootstrapResult:
    """Parametric bootstrap interval for a model-averaged N̂ (and every subgroup total).

    ``draw="mixture"`` (default; Burnham & Anderson 2002, sec. 4.3.2): replicate b
    comes from candidate m with probability w_m, drawn from and refitted by that model
    only (``boot_mse`` per model). ``draw="reweight"`` (Buckland et al. 1997, sec.
    3.2): each replicate is Multinomial(floor N̂_avg, averaged fitted / N̂_avg) over all
    cells; the hidden cells are discarded, every candidate is refitted, its criterion
    recomputed, and the replicate's totals are the re-weighted average. Intervals are
    percentiles (R's type 7) of the replicate totals. Runs in this process (no pool:
    the replicates are cheap refits).

    Parameters
    ----------
    avg : AveragedEstimate
    reps : int
        Replicates (>= 2; 1,000 usual).
    seed : int, optional
        The same seed gives the same result.
    level : float in (0, 1)
    groups : sequence of tuples of covariate names, optional
        Subgroup margins (default :func:`~darkfigure.loglinear.bootstrap.default_groups`).
    draw : {"mixture", "reweight", "best"}
        ``"best"``: every replicate drawn from the heaviest candidate (with `reselect`,
        the parametric bootstrap of the search itself from the chosen model); ``"bic"``:
        from the candidate with the smallest BIC (its small list interactions, which an
        AIC search keeps at the edge of its threshold, are left out of the generating
        model). Both are for study (``benchmarks/coverage_study.py``), not the default.
    bias : {"none", "shift"}
        ``"shift"``: correct the point estimates and the limits for the bootstrap
        estimate of the bias on the log scale (see the module docstring).
    reselect : LogLinearModel, optional
        With ``draw="mixture"``: repeat the search over list interactions in every replicate,
        stepwise from the component's model with the terms of `reselect` (the search's
        start, e.g. :func:`~darkfigure.loglinear.selection.stratified_start`) always kept
        and penalty 2 (AIC) or log n (BIC) per parameter as `avg.criterion`
        (:class:`_Reselect`). None: each replicate is refitted by its component's model.
    max_steps : int
        Most moves of the re-selection per replicate.
    reselect_order : int
        Highest order of the list interactions the re-selection searches (the
        search's `max_order`: 3 adds three-list terms).
    reselect_from : {"component", "lower"}
        Start of the re-selection's moves: the component's model, or `reselect`
        itself (the search's own start; see :class:`_Reselect`).
    progress : bool
        A progress bar on a terminal (``draw="mixture"``).

    Returns
    -------
    BootstrapResult
        ``method`` is ``"model-averaged parametric"``; ``estimate`` holds the
        (bias-corrected, with ``bias="shift"``) model-averaged totals. Replicates in
        which no candidate could be refitted are NaN and counted as ``not identified``.

    Raises
    ------
    ValueError
        `reps` < 2, `level` outside (0, 1), or an unknown `draw`/`bias`.
    """
    if reps < 2:
        raise ValueError(f"reps must be at least 2 (got {reps}); 1,000 is usual")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (got {level})")
    if draw not in ("reweight", "mixture", "best", "bic"):
        raise ValueError(f"draw must be 'reweight', 'mixture', 'best' or 'bic', not {draw!r}")
    if bias not in ("none", "shift"):
        raise ValueError(f"bias must be 'none' or 'shift', not {bias!r}")
    t = avg.fits[0].table
    groups = list(groups) if groups is not None else default_groups(t, t.year)
    gmat, labels = _group_matrix(t, groups)
    rng_seeds = np.random.SeedSequence(seed).spawn(reps)
    out = np.full((reps, gmat.shape[0]), np.nan)
    resel = None
    n_resel = 0
    sts: list[str] = []  # per replicate, as the fixed-model bootstrap names them ("extended+lost list", ...)
    obs = t.observable
    if draw in ("mixture", "best", "bic"):
        jobs = [_fixed_context(f, gmat) for f in avg.fits]
        if reselect is not None:
            kpen = np.log(max(float(t.y[obs].sum()), 2.0)) if avg.criterion == "bic" else 2.0
            shared: dict = {}
            refits: dict = {}
            resel = [
                _Reselect(f, reselect, kpen, max_steps, shared, max_order=reselect_order, start=reselect_from)
                for f in avg.fits
            ]
        pick = np.random.default_rng(np.random.SeedSequence(seed).spawn(reps + 1)[-1]).choice(
            len(avg.fits), size=reps, p=avg.weights
        )
        if draw == "best":
            pick[:] = 0  # every replicate from the heaviest model; only the re-selection varies the model
        elif draw == "bic":
            pick[:] = int(np.argmin([f.bic for f in avg.fits]))  # from the sparsest well-supported candidate
        with _progress(progress, reps, "model-averaged bootstrap") as advance:
            for b in range(reps):
                advance(1)
                f = avg.fits[pick[b]]
                rng = np.random.default_rng(rng_seeds[b])
                y = rng.multinomial(int(np.floor(round(f.nhat, 1))), f.fitted / f.fitted.sum()).astype(float)
                y[~obs] = 0.0
                r = resel[pick[b]] if resel is not None and resel[pick[b]].ok else None
                full, mask = r(y) if r is not None else (None, None)
                if full is not None:
                    v, st = gmat @ full, "ok"
                elif mask is None:
                    v, st = jobs[pick[b]](y)
                else:  # the re-selected model refitted with the existence check (the component's own if the same)
                    v, st = _model_refit(r.model_of(mask), refits, gmat, jobs[pick[b]], avg.fits[pick[b]])(y)
                n_resel += mask is not None
                out[b] = v
                sts.append(st)
    else:
        refit = [_Refitter(f) for f in avg.fits]
        prob = avg.fitted / avg.fitted.sum()
        size = int(np.floor(round(avg.nhat, 1)))
        for b in range(reps):
            rng = np.random.default_rng(rng_seeds[b])
            y = rng.multinomial(size, prob).astype(float)
            y_obs = y[obs]
            n = float(y_obs.sum())
            fulls, crit = [], []
            for r in refit:
                full, m2ll = r(y_obs)
                if full is not None:
                    fulls.append(full)
                    crit.append(m2ll + _penalty(avg.criterion, n, r.rank))
            if not fulls:
                sts.append("not identified")
                continue
            w = smoothed_weights(crit)
            out[b] = gmat @ (w @ np.vstack(fulls))
            sts.append("ok")
    status, arrays = _counts(sts)
    est = gmat @ avg.fitted
    if bias == "shift":
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = np.log(out)
            shift = np.nanmean(lr, axis=0) - np.log(est)
        shift = np.where(np.isfinite(shift), shift, 0.0)
        est = est * np.exp(-shift)
        out = out * np.exp(-2.0 * shift)[None, :]
    return BootstrapResult(
        method="model-averaged parametric",
        interval_method="percentile",
        level=level,
        estimate=est,
        replicates=out,
        labels=labels,
        observed=gmat @ t.y,
        status_counts=status,
        seed=seed,
        reselected=n_resel,
        **arrays,
    )
