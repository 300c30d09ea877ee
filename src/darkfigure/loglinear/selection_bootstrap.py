"""Bootstraps that repeat the model choice in every replicate, as MultipleSystemsEstimation.

:func:`bic_bootstrap` (the BIC choice among the admissible hierarchical models, the
package's ``estimate_population_bic``) and :func:`downhill_bootstrap` (the greedy
:func:`~darkfigure.loglinear.downhill.downhill_search` redone in every replicate), both
with BCa intervals (Efron 1987) and the delete-one-person jackknife acceleration
(Silverman, Chan & Vincent 2024, Statistics and Computing 34:44). The module docstring
of :mod:`darkfigure.loglinear.downhill` describes the method and its differences from
the package.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .bootstrap import bca_interval
from .design import CompleteTable
from .downhill import _default_downhill_order, _downhill, downhill_search
from .hierarchy import _default_bic_order, _exact_order, _Fitter, _named, _rank_admissible, default_ntop, mse_label
from .terms import LogLinearModel

__all__ = ["SelectionBootstrap", "ConfidenceInterval", "downhill_bootstrap", "bic_bootstrap", "MSE_ALPHA"]

#: Probabilities at which MultipleSystemsEstimation reports BCa endpoints by default.
MSE_ALPHA = (0.025, 0.1, 0.9, 0.975)


# --------------------------------------------------------------------------- bootstrap
class ConfidenceInterval(NamedTuple):
    """Lower and upper end of an interval (as ``scipy.stats.bootstrap``)."""

    low: float
    high: float


@dataclass(frozen=True)
class SelectionBootstrap:
    """A bootstrap of N̂ in which every replicate redoes the model choice.

    Attributes
    ----------
    method : str
        ``"bic"`` (BIC choice among the `ntop` best models) or ``"downhill"``.
    nhat : float
        N̂ of the model chosen on the data.
    model : str
        That model in MultipleSystemsEstimation notation, e.g. ``[123,14,34]``.
    level : float
        Confidence level of `confidence_interval`.
    confidence_interval : ConfidenceInterval
        BCa interval (``low``, ``high``); NaN when it cannot be formed (all replicates
        on one side of N̂, or no acceleration).
    quantiles : Series
        BCa endpoints at the probabilities of `probs` (index), as the package's
        ``uncertainty`` (default 0.025, 0.1, 0.9, 0.975).
    replicates : ndarray of shape (B,)
        N̂ of the model chosen in each replicate; NaN when no candidate model is
        admissible in the replicate (left out of the interval, as the package does).
    chosen : Series
        How often each model (MultipleSystemsEstimation notation) was chosen, most
        frequent first: the uncertainty of the model choice itself.
    acceleration : float
        BCa acceleration from the delete-one-person jackknife (NaN if unavailable).
    bias_correction : float
        z0 = Phi^-1(share of replicates below N̂).
    jackknife : ndarray of shape (n_positive_cells,)
        N̂ chosen with one person removed from each observed capture history.
    jackknife_weights : ndarray of shape (n_positive_cells,)
        Persons with that history (the weights of the acceleration).
    ntop : int or None
        Models the replicates choose among (``bic``); None for ``downhill``.
    max_order : int
        Highest interaction order of the candidate models.
    seed : int or None
    seconds : float
    warnings : list of str
    random_n : bool
        Whether the replicates resampled the estimated population (n random, the default)
        or the n observed persons (``condition_on_n=True``, the package's form).
    """

    method: str
    nhat: float
    model: str
    terms: LogLinearModel
    level: float
    confidence_interval: ConfidenceInterval
    quantiles: pd.Series = field(repr=False)
    replicates: np.ndarray = field(repr=False)
    chosen: pd.Series = field(repr=False)
    acceleration: float
    bias_correction: float
    jackknife: np.ndarray = field(repr=False)
    jackknife_weights: np.ndarray = field(repr=False)
    ntop: int | None
    max_order: int
    seed: int | None
    seconds: float
    warnings: list[str] = field(default_factory=list)
    random_n: bool = True

    @property
    def n_replicates(self) -> int:
        """Replicates drawn (those without an admissible model included)."""
        return int(self.replicates.shape[0])

    def percentile_interval(self) -> ConfidenceInterval:
        """The plain percentile interval at `level` (R's quantile type 7), for comparison."""
        v = self.replicates[np.isfinite(self.replicates)]
        a = (1 - self.level) / 2
        lo, hi = np.quantile(v, [a, 1 - a]) if v.size else (np.nan, np.nan)
        return ConfidenceInterval(float(lo), float(hi))


def _resample(y: np.ndarray, reps: int, seed: int | None, nhat: float | None = None) -> np.ndarray:
    """Multinomial bootstrap over the capture histories, shape (reps, C).

    Without `nhat`: the n observed persons resampled (n fixed, the package's form). With
    `nhat`: the estimated population resampled, Multinomial(round(N̂)) over the observed
    histories (probabilities count / N̂) and the unseen cell ((N̂ - n) / N̂), whose draws are
    dropped, so that n varies between replicates (Buckland & Garthwaite 1991, Biometrics
    47:255-268).
    """
    rng = np.random.default_rng(seed)
    n = float(y.sum())
    if nhat is None:
        return rng.multinomial(int(round(n)), y / n, size=reps).astype(float)
    if not np.isfinite(nhat) or nhat < n:
        raise ValueError(f"cannot resample a population of N̂ = {nhat} persons from {n:,.0f} observed")
    p = np.append(y, nhat - n) / nhat
    return rng.multinomial(int(round(nhat)), p, size=reps)[:, :-1].astype(float)


def _jackknife_rows(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One person less in each observed capture history: rows (n_pos, C) and weights (n_pos,)."""
    pos = np.flatnonzero(y > 0)
    rows = np.repeat(y[None, :], len(pos), axis=0)
    rows[np.arange(len(pos)), pos] -= 1
    return rows, y[pos].astype(float)


def _acceleration(jack: np.ndarray, w: np.ndarray) -> float:
    """sum w r^3 / (6 (sum w r^2)^1.5), r = weighted mean - J (Efron 1987; the package's ``ahat``)."""
    if not np.isfinite(jack).all():
        return np.nan
    r = np.sum(w * jack) / np.sum(w) - jack
    den = 6.0 * np.sum(w * r**2) ** 1.5
    return float(np.sum(w * r**3) / den) if den > 0 else 0.0


def _finish(method, nhat, label, terms, level, probs, reps_nhat, chosen_labels, jack, w, ntop, max_order, seed, t0, warnings):
    probs = tuple(float(p) for p in probs)
    a = _acceleration(jack, w)
    fin = reps_nhat[np.isfinite(reps_nhat)]
    warnings = list(warnings)
    alpha = (1 - level) / 2
    if not np.isfinite(a):
        warnings.append("the jackknife found no admissible model for some deletion; no BCa acceleration, no interval")
        ci = (np.nan, np.nan)
        q = np.full(len(probs), np.nan)
    elif fin.size < 2:
        ci, q = (np.nan, np.nan), np.full(len(probs), np.nan)
    else:
        ci = bca_interval(fin, nhat, a, (alpha, 1 - alpha))
        q = bca_interval(fin, nhat, a, probs)
    n_fail = int((~np.isfinite(reps_nhat)).sum())
    if n_fail:
        warnings.append(f"{n_fail} of {len(reps_nhat)} replicates had no admissible model and are left out")
    prop = float(np.mean(fin < nhat)) if fin.size else np.nan
    with np.errstate(divide="ignore"):
        from scipy.stats import norm

        z0 = float(norm.ppf(prop)) if np.isfinite(prop) else np.nan
    chosen = pd.Series([c for c, v in zip(chosen_labels, reps_nhat) if np.isfinite(v)], dtype=object).value_counts()
    return SelectionBootstrap(
        method=method, nhat=float(nhat), model=label, terms=terms, level=level,
        confidence_interval=ConfidenceInterval(float(ci[0]), float(ci[1])),
        quantiles=pd.Series(q, index=pd.Index(probs, name="prob"), name="bca"),
        replicates=reps_nhat, chosen=chosen, acceleration=a, bias_correction=z0, jackknife=jack,
        jackknife_weights=w, ntop=ntop, max_order=max_order, seed=seed, seconds=time.perf_counter() - t0,
        warnings=warnings,
    )


def _check_boot_args(reps: int, level: float) -> None:
    if reps < 2:
        raise ValueError(f"reps must be at least 2 (got {reps}); 1,000 is usual")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (got {level})")


@single_threaded
def downhill_bootstrap(
    table: CompleteTable,
    *,
    reps: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    max_order: int | None = None,
    max_iter: int = 20,
    probs: Sequence[float] = MSE_ALPHA,
    condition_on_n: bool = False,
) -> SelectionBootstrap:
    """BCa interval for the downhill-search N̂, the search redone in every replicate.

    The package's ``downhill_funs``: N̂ from :func:`downhill_search`; `reps` multinomial
    resamples of the observed persons, each searched from the main-effects model again
    (``downhill_bootstrapcal``); the acceleration from the search redone with one person
    less in each observed capture history (``downhill_jackknifecal``); BCa endpoints with
    R's quantile type 8 (Silverman, Chan & Vincent 2024, sec. 5.2 and Table 6: Kosovo
    10,357 [7,133, 18,681]).

    Parameters
    ----------
    table : CompleteTable
        Without covariates.
    reps : int
        Bootstrap replicates (the package and paper: 1,000).
    seed : int, optional
        Seed of NumPy's generator (R's ``iseed`` cannot be reproduced).
    level : float
        Level of `confidence_interval`.
    max_order, max_iter
        As :func:`downhill_search`.
    probs : sequence of float
        Probabilities of the BCa endpoints in `quantiles`.
    condition_on_n : bool
        Resample the n observed persons, as the package does (n fixed: it leaves out
        Var(n)), instead of the estimated population, unseen persons included (the
        default: n random; see :func:`~darkfigure.loglinear.bootstrap.nonparametric_bootstrap`).

    Returns
    -------
    SelectionBootstrap
        ``method="downhill"``, ``ntop=None``; ``random_n`` says which resampling was used.

    Raises
    ------
    ValueError
        Covariates, `max_order` out of range, `reps` < 2 or `level` outside (0, 1).
    RuntimeError
        No admissible model on the data's downhill path.
    """
    t0 = time.perf_counter()
    _check_boot_args(reps, level)
    s = downhill_search(table, max_order=max_order, max_iter=max_iter)
    f = _Fitter(table)
    k = f.k
    order = _default_downhill_order(k, max_order)
    nhat = float(s.path.loc[s.path["accepted"], "nhat"].iloc[-1])
    label = s.path.loc[s.path["accepted"], "mse_model"].iloc[-1]
    terms = s.best.model
    yb = _resample(f.y, reps, seed, None if condition_on_n else nhat)
    cur, _, boot_nhat, _, hit, _ = _downhill(f, yb, order, max_iter)
    jy, w = _jackknife_rows(f.y)
    _, _, jack, _, hit_j, _ = _downhill(f, jy, order, max_iter)
    warnings = list(s.warnings)
    if hit.any() or hit_j.any():
        warnings.append(f"{int(hit.sum() + hit_j.sum())} bootstrap/jackknife searches stopped after {max_iter} moves")
    labels = [mse_label(m, k) for m in cur]
    out = _finish("downhill", nhat, label, terms, level, probs, boot_nhat, labels, jack, w, None, order, seed, t0, warnings)
    return replace(out, random_n=not condition_on_n)


@single_threaded
def bic_bootstrap(
    table: CompleteTable,
    *,
    ntop: int | None | str = "default",
    max_order: int | None = None,
    reps: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    probs: Sequence[float] = MSE_ALPHA,
    condition_on_n: bool = False,
) -> SelectionBootstrap:
    """BCa interval for the BIC-chosen N̂, the BIC choice redone in every replicate.

    The package's ``estimate_population_bic`` (Silverman, Chan & Vincent 2024, Statistics
    and Computing 34:44, secs. 3-4): every hierarchical model with terms up to
    `max_order` is fitted (the models of
    :func:`~darkfigure.loglinear.search.exhaustive_search`, all fitted at once); models that are not admissible (SparseMSE's ``checkident`` fails: no positive table
    with their margins once empty margins are fixed at -inf, or a rank-deficient design)
    are removed, the rest ranked by BIC, and N̂ is the first one's. Each of `reps`
    multinomial resamples of the observed persons refits the `ntop` best models and takes
    the smallest BIC among those admissible for it; the acceleration comes from the same
    choice with one person removed from each observed capture history; BCa endpoints use
    R's quantile type 8. With ``ntop=None`` every admissible model competes (the full
    bootstrap of the BIC choice); the paper shows small `ntop` already gives nearly the
    same interval (Kosovo: ntop 10 and all 113 models both [6,900, 18,000], Table 2).

    Parameters
    ----------
    table : CompleteTable
        Without covariates, at most 6 lists (5 for `max_order` > 2).
    ntop : int, None or "default"
        Models the replicates choose among; ``"default"`` is the package's (all for 3
        lists, 20 for 4, 100 for 5 or 6; :func:`default_ntop`), None all.
    max_order : int, optional
        Highest interaction order (default as the package: 2 for 3 lists, 3 for 4 or 5,
        2 for 6).
    reps : int
        Bootstrap replicates (the package's ``nboot``; 1,000 in the paper).
    seed : int, optional
        Seed of NumPy's generator.
    level : float
        Level of `confidence_interval`.
    probs : sequence of float
        Probabilities of the BCa endpoints in `quantiles` (the package's ``alpha``).
    condition_on_n : bool
        Resample the n observed persons as the package does (n fixed) instead of the
        estimated population (the default, n random; see :func:`downhill_bootstrap`).

    Returns
    -------
    SelectionBootstrap
        ``method="bic"``.

    Raises
    ------
    ValueError
        Covariates, too many lists, `max_order` or `ntop` out of range, `reps` < 2,
        or `level` outside (0, 1).
    RuntimeError
        No admissible model.
    """
    t0 = time.perf_counter()
    _check_boot_args(reps, level)
    f = _Fitter(table)
    k = f.k
    order = _default_bic_order(k, max_order)
    if isinstance(ntop, str):
        if ntop != "default":
            raise ValueError(f"ntop must be a positive integer, None (all models) or 'default', not {ntop!r}")
        ntop = default_ntop(k)
    if ntop is not None and ntop < 1:
        raise ValueError(f"ntop must be at least 1 (got {ntop})")
    if k > 6 or (k == 6 and order > 2):
        raise ValueError(f"the BIC choice enumerates hierarchical models for at most 6 lists (two-list terms for 6); got {k} lists")
    models, n_models, n_checked = _rank_admissible(f, order, ntop)
    if not models:
        raise RuntimeError("no admissible model: every model fails the existence check")
    warnings = []
    models, e0 = _exact_order(f, models)
    nhat = float(e0[0].nhat[0])
    yb = _resample(f.y, reps, seed, None if condition_on_n else nhat)
    jy, w = _jackknife_rows(f.y)
    both = np.vstack([yb, jy])
    bic = np.empty((len(models), both.shape[0]))
    est = np.empty_like(bic)
    for j, m in enumerate(models):
        e = f.evaluate(m, both)
        bic[j], est[j] = e.bic, e.nhat
    fin = np.isfinite(bic)
    pick = np.argmin(np.where(fin, bic, np.inf), axis=0)
    cols = np.arange(both.shape[0])
    chosen_nhat = np.where(fin.any(axis=0), est[pick, cols], np.nan)
    labels = [mse_label(models[i], k) for i in pick[:reps]]
    if ntop is not None and n_checked < n_models:
        warnings.append(f"the replicates choose among the {len(models)} admissible models with the smallest BIC "
                        f"(of {n_models} hierarchical models)")
    out = _finish("bic", nhat, mse_label(models[0], k), _named(models[0], f.lists), level, probs, chosen_nhat[:reps], labels,
                  chosen_nhat[reps:], w, len(models) if ntop is not None else None, order, seed, t0, warnings)
    return replace(out, random_n=not condition_on_n)
