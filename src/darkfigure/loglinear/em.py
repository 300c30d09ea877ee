"""Log-linear MSE with partly unknown covariate values, by the EM algorithm.

Persons whose value of a covariate (nationality, age, ...) is unknown are not
dropped. Their counts are *coarse*: they are known only summed over the levels of
the unknown covariates. Under missingness at random (the chance that a value is
unknown may depend on the lists that registered the person and on the covariates
that are known, not on the unknown value), the EM algorithm maximises the
likelihood of the observed, partly coarse table (Dempster, Laird & Rubin 1977;
for capture-recapture: Zwane & van der Heijden 2007, Stat. Med. 26:1069-1089;
van der Heijden, Whittaker, Cruyff, Bakker & van der Vliet 2012, J. R. Stat. Soc.
A 175:855-879, sec. 3.3; Cruyff's ``mse``/``cenzus`` R code does the same):

* E-step: share the count of every coarse cell (list pattern, known covariates)
  out over the complete cells it sums, in proportion to the current fitted values
  (eq. 3.1 of van der Heijden et al. 2012);
* M-step: fit the Poisson log-linear model to the completed table.

The observed-data log-likelihood (up to a constant) is

    l(mu) = sum_c y_c log mu_c + sum_g n_g log(sum_{c in g} mu_c) - sum_c mu_c,

summing over complete observable cells c and coarse cells g; EM never decreases it.
Model search runs on the completed table and is repeated with the new model's EM
fit until the chosen model does not change. The parametric bootstrap draws the
complete table from the fitted model, makes values unknown again with the observed
missingness shares of each list pattern, and redoes the EM in every replicate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..histories import DataError
from .bootstrap import BootstrapResult, GroupSpec, _fixed_context, _prepare, _run_parametric
from .design import CompleteTable
from .fit import LogLinearFit, fit_model, irls_poisson
from .terms import LogLinearModel

__all__ = ["CoarseCells", "coarse_cells", "EMFit", "em_fit", "em_select", "em_parametric_bootstrap"]

#: Expected persons below this in a completion count as 0 for the existence check of the final fit.
ALLOCATION_ZERO = 1e-6


@dataclass
class CoarseCells:
    """Persons with unknown covariate values, mapped onto the complete table.

    Attributes
    ----------
    patterns : list of tuple of str
        For each missingness pattern m (a set of unknown covariates), its covariates.
    maps : list of ndarray of int, each shape (n_cells,)
        For pattern m, the coarse cell g of every complete cell (-1 for cells outside
        the likelihood: hidden cells and structural zeros).
    counts : list of ndarray of float, each shape (G_m,)
        Persons in each coarse cell of pattern m.
    n_persons : int
        Persons with at least one unknown value.
    missing_values : dict str -> int
        Persons with an unknown value of each covariate (what was imputed).
    """

    patterns: list[tuple[str, ...]]
    maps: list[np.ndarray]
    counts: list[np.ndarray]
    n_persons: int
    missing_values: dict[str, int]

    def allocate(self, mu: np.ndarray) -> np.ndarray:
        """E-step: expected counts of the coarse persons in each complete cell.

        Parameters
        ----------
        mu : ndarray of shape (n_cells,)
            Current fitted values (0 outside the likelihood).

        Returns
        -------
        ndarray of shape (n_cells,), summing to :attr:`n_persons`.

        Raises
        ------
        DataError
            A coarse cell none of whose completions can hold anybody under the model
            (e.g. every completion is a declared structural zero).
        """
        out = np.zeros(mu.shape[0])
        for m, (gmap, n_g) in enumerate(zip(self.maps, self.counts)):
            ok = gmap >= 0
            denom = np.bincount(gmap[ok], weights=mu[ok], minlength=n_g.size)
            bad = (n_g > 0) & (denom <= 0)
            if bad.any():
                raise DataError(
                    f"{int(n_g[bad].sum())} person(s) with unknown {', '.join(self.patterns[m])} fit no cell the "
                    "model allows (all their possible values are structural zeros or fitted as 0); check the "
                    "structural-zero declarations or drop them"
                )
            share = np.divide(n_g, denom, out=np.zeros_like(n_g), where=denom > 0)
            out[ok] += mu[ok] * share[gmap[ok]]
        return out

    def loglik(self, mu: np.ndarray) -> float:
        """Coarse part of the observed-data log-likelihood, sum_g n_g log(sum_{c in g} mu_c)."""
        ll = 0.0
        for gmap, n_g in zip(self.maps, self.counts):
            ok = gmap >= 0
            denom = np.bincount(gmap[ok], weights=mu[ok], minlength=n_g.size)
            pos = n_g > 0
            ll += float(np.sum(n_g[pos] * np.log(np.maximum(denom[pos], 1e-300))))
        return ll

    def missing_shares(self, table: CompleteTable, mu: np.ndarray) -> np.ndarray:
        """Share of persons in each missingness pattern, per list pattern, for every cell.

        The bootstrap makes values unknown again with these shares: missingness at
        random given the lists, estimated as (persons of pattern m in list pattern h)
        / (all persons in h), the coarse persons located by the E-step at `mu`.

        Returns
        -------
        ndarray of shape (n_cells, 1 + n_patterns); column 0 = all values known.
        """
        lists = table.cells[list(table.histories.lists)].to_numpy(dtype=np.int64)
        h = lists @ (1 << np.arange(lists.shape[1]))
        n_h = 1 << lists.shape[1]
        cols = [np.bincount(h, weights=table.y, minlength=n_h)]
        cols += [np.bincount(h, weights=a, minlength=n_h) for a in self._allocations(mu)]
        mass = np.array(cols).T  # (n_h, 1 + M)
        tot = mass.sum(axis=1, keepdims=True)
        shares = np.divide(mass, tot, out=np.zeros_like(mass), where=tot > 0)
        shares[tot[:, 0] == 0, 0] = 1.0
        return shares[h]

    def _allocations(self, mu: np.ndarray) -> list[np.ndarray]:
        out = []
        for gmap, n_g in zip(self.maps, self.counts):
            ok = gmap >= 0
            denom = np.bincount(gmap[ok], weights=mu[ok], minlength=n_g.size)
            share = np.divide(n_g, denom, out=np.zeros_like(n_g), where=denom > 0)
            a = np.zeros(mu.shape[0])
            a[ok] = mu[ok] * share[gmap[ok]]
            out.append(a)
        return out


def _stratum_codes(table: CompleteTable, covs: Sequence[str]) -> np.ndarray:
    """Integer key of the known-covariate part of every complete cell."""
    key = np.zeros(table.n_cells, dtype=np.int64)
    for c in covs:
        codes = table.cells[c].cat.codes.to_numpy().astype(np.int64)
        key = key * len(table.histories.levels[c]) + codes
    return key


def coarse_cells(table: CompleteTable, incomplete: pd.DataFrame | None) -> CoarseCells:
    """Map the persons with unknown covariate values onto the complete table.

    Parameters
    ----------
    table : CompleteTable
        The complete table lists x covariates built from the complete persons.
    incomplete : DataFrame or None
        :attr:`CaptureHistories.incomplete`: list columns, covariates (NaN = unknown),
        ``count``.

    Returns
    -------
    CoarseCells (empty when `incomplete` is None or empty).
    """
    h = table.histories
    covs = list(h.covariates)
    if incomplete is None or incomplete.shape[0] == 0:
        return CoarseCells([], [], [], 0, {c: 0 for c in covs})
    lists = list(h.lists)
    k = len(lists)
    cell_pat = table.cells[lists].to_numpy(dtype=np.int64) @ (1 << np.arange(k))
    inc_pat = incomplete[lists].to_numpy(dtype=np.int64) @ (1 << np.arange(k))
    unknown = incomplete[covs].isna().to_numpy()
    patterns, maps, counts = [], [], []
    for mask in np.unique(unknown, axis=0):
        rows = (unknown == mask).all(axis=1)
        known = [c for c, u in zip(covs, mask) if not u]
        # coarse cell = (list pattern, known covariate levels)
        cell_key = _stratum_codes(table, known) * (1 << k) + cell_pat
        sub = incomplete[rows]
        inc_key = np.zeros(int(rows.sum()), dtype=np.int64)
        for c in known:
            inc_key = inc_key * len(h.levels[c]) + sub[c].cat.codes.to_numpy().astype(np.int64)
        inc_key = inc_key * (1 << k) + inc_pat[rows]
        uniq, gmap = np.unique(cell_key, return_inverse=True)
        gmap = np.where(table.observable, gmap, -1)
        pos = np.searchsorted(uniq, inc_key)
        n_g = np.bincount(pos, weights=sub["count"].to_numpy(dtype=float), minlength=uniq.size)
        patterns.append(tuple(c for c, u in zip(covs, mask) if u))
        maps.append(gmap)
        counts.append(n_g)
    w = incomplete["count"].to_numpy()
    missing = {c: int(w[unknown[:, j]].sum()) for j, c in enumerate(covs)}
    return CoarseCells(patterns, maps, counts, int(w.sum()), missing)


@dataclass
class EMFit:
    """The EM fit of one model.

    Attributes
    ----------
    fit : LogLinearFit
        The model fitted to the completed table (its ``nhat``, ``fitted`` and
        intervals are those of the observed data's MLE; its deviance and criteria
        are those of the completed table).
    completed : ndarray of shape (n_cells,)
        Complete persons plus the E-step share of the coarse persons.
    loglik : list of float
        Observed-data log-likelihood after each iteration (non-decreasing).
    iterations : int
    converged : bool
    """

    fit: LogLinearFit
    completed: np.ndarray = field(repr=False)
    loglik: list[float] = field(repr=False)
    iterations: int
    converged: bool


def _observed_loglik(y_complete: np.ndarray, cc: CoarseCells, mu: np.ndarray, obs: np.ndarray) -> float:
    pos = (y_complete > 0) & obs
    return float(np.sum(y_complete[pos] * np.log(np.maximum(mu[pos], 1e-300))) + cc.loglik(mu) - mu[obs].sum())


def _start(table: CompleteTable, cc: CoarseCells) -> np.ndarray:
    """Starting values: complete persons' counts, smoothed, so every completion gets some mass."""
    y = table.y
    return np.where(table.observable, y + 0.5, 0.0)


def em_fit(
    table: CompleteTable,
    model: LogLinearModel,
    cc: CoarseCells,
    *,
    start: np.ndarray | None = None,
    tol: float = 1e-9,
    max_iter: int = 1000,
) -> EMFit:
    """Fit a log-linear model by EM when some persons' covariate values are unknown.

    Parameters
    ----------
    table : CompleteTable
        Complete table of the persons with all covariates known (``table.y``).
    model : LogLinearModel
    cc : CoarseCells
        The other persons (:func:`coarse_cells`).
    start : ndarray of shape (n_cells,), optional
        Starting fitted values (e.g. a previous model's EM fit).
    tol : float
        Stop when the observed-data log-likelihood rises by less than `tol` x (1 + |l|).
    max_iter : int

    Returns
    -------
    EMFit

    Raises
    ------
    DataError
        Coarse persons that fit no allowed cell (see :meth:`CoarseCells.allocate`).

    Notes
    -----
    E- and M-steps as in van der Heijden et al. (2012, sec. 3.3). The M-step is the
    ordinary Poisson fit (:func:`fit_model`) of the completed table, warm-started.
    """
    obs = table.observable
    if cc.n_persons == 0:
        f = fit_model(table, model, check=True)
        return EMFit(f, table.y.copy(), [], 0, True)
    mu = _start(table, cc) if start is None else np.where(obs, np.asarray(start, dtype=float), 0.0)
    lls: list[float] = []
    converged = False
    fit = None
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (it is reported after the loop)
        completed = table.y + cc.allocate(mu)
        # the M-step: the existence LP only when the screen asks (cells can be ~0)
        fit = fit_model(table.with_counts(completed), model, mu_start=np.maximum(mu[obs], 1e-8), check="auto")
        mu = fit.fitted.copy()
        mu[~obs] = 0.0
        ll = _observed_loglik(table.y, cc, mu, obs)
        if lls and abs(ll - lls[-1]) <= tol * (1.0 + abs(ll)):
            lls.append(ll)
            converged = True
            break
        lls.append(ll)
    alloc = cc.allocate(mu)
    # EM that heads for the boundary leaves ~0 persons (1e-20) in some completions; they are
    # zeros of the observed data, and keeping them positive would hide a non-existent MLE
    # (and an unidentified, exploding N̂) from the existence check
    alloc[alloc < ALLOCATION_ZERO] = 0.0
    completed = table.y + alloc
    fit = fit_model(table.with_counts(completed), model, mu_start=np.maximum(mu[obs], 1e-8), check=True)
    if not converged:
        fit.warnings.append(
            f"the EM algorithm did not converge in {max_iter} iterations (the fit may be heading for the boundary): "
            "no estimate is given"
        )
        if fit.status in ("ok", "extended"):
            fit.status = "not converged"
            fit.nhat = float("nan")
    return EMFit(fit, completed, lls, it, converged)


def em_select(
    table: CompleteTable,
    cc: CoarseCells,
    select: Callable[[CompleteTable], tuple[LogLinearFit, object]],
    *,
    max_rounds: int = 6,
) -> tuple[EMFit, object, int]:
    """Model search with EM: search on the completed table until the model is stable.

    Round 0 completes the table in proportion to the complete persons' counts of the
    same list pattern and known covariates (a saturated start, so no association is
    assumed away); each round runs `select` on the completed table and refits the
    chosen model by EM, whose E-step gives the next completed table.

    Parameters
    ----------
    table, cc
        As in :func:`em_fit`.
    select : callable (CompleteTable) -> (LogLinearFit, search result)
        The model search (any of :mod:`darkfigure.loglinear.search`).
    max_rounds : int

    Returns
    -------
    (EMFit of the chosen model, the last search result, number of rounds)
    """
    mu = _start(table, cc)
    seen: list[str] = []
    em = srch = None
    total_iterations = 0
    for r in range(1, max_rounds + 1):
        completed = table.y + cc.allocate(mu)
        fit, srch = select(table.with_counts(completed))
        em = em_fit(table, fit.model, cc, start=fit.fitted if fit.identified else None)
        total_iterations += em.iterations
        em.iterations = total_iterations  # EM steps over all rounds, not only the last refit
        mu = em.fit.fitted
        form = fit.model.formula()
        if seen and form == seen[-1]:
            return em, srch, r
        if form in seen:  # a cycle between models: keep the one with the higher observed likelihood
            em.fit.warnings.append("the model search with EM alternated between models; the last one is kept")
            return em, srch, r
        seen.append(form)
    assert em is not None
    em.fit.warnings.append(f"the model search with EM had not settled after {max_rounds} rounds")
    return em, srch, max_rounds


@dataclass
class _EMRefit:
    """A bootstrap replicate with EM: make values unknown again, redo the EM, sum subgroups."""

    base: object  # bootstrap._FixedModelRefit of the chosen model
    maps: list[np.ndarray]
    sizes: list[int]
    shares: np.ndarray  # (n_observable, 1 + M)
    obs_index: np.ndarray  # observable cells
    tol: float = 1e-8
    max_iter: int = 500
    uses_rng: bool = True

    @property
    def gmat(self) -> np.ndarray:
        """Group matrix (n_group_cells, n_cells) of the refit, as the bootstrap runner expects."""
        return self.base.gmat

    def _allocate(self, counts: list[np.ndarray], mu: np.ndarray) -> np.ndarray:
        out = np.zeros(mu.shape[0])
        for gmap, n_g in zip(self.maps, counts):
            ok = gmap >= 0
            denom = np.bincount(gmap[ok], weights=mu[ok], minlength=n_g.size)
            share = np.divide(n_g, denom, out=np.zeros_like(n_g), where=denom > 0)
            out[ok] += mu[ok] * share[gmap[ok]]
        return out

    def __call__(self, y_cells: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        b = self.base
        yo = np.rint(y_cells[self.obs_index]).astype(np.int64)
        split = rng.multinomial(yo, self.shares)
        y0 = np.zeros(b.n_cells)
        y0[self.obs_index] = split[:, 0]
        counts = [
            np.bincount(gmap[self.obs_index], weights=split[:, m + 1], minlength=size).astype(float)
            for m, (gmap, size) in enumerate(zip(self.maps, self.sizes))
        ]
        mu = np.zeros(b.n_cells)
        mu[b.cell_index] = b.mu0
        prev = -np.inf
        for _ in range(self.max_iter):
            completed = y0 + self._allocate(counts, mu)
            _, m_fit, _, _, conv, _ = irls_poisson(
                b.x_obs, completed[b.cell_index], np.maximum(mu[b.cell_index], 1e-8), tol=1e-8, used=b.used
            )
            if not conv:
                return np.full(b.gmat.shape[0], np.nan), "not identified"
            mu[b.cell_index] = m_fit
            pos = (y0 > 0) & (mu > 0)
            ll = float(np.sum(y0[pos] * np.log(mu[pos])) - mu.sum())
            for gmap, n_g in zip(self.maps, counts):
                ok = gmap >= 0
                d = np.bincount(gmap[ok], weights=mu[ok], minlength=n_g.size)
                p = n_g > 0
                ll += float(np.sum(n_g[p] * np.log(np.maximum(d[p], 1e-300))))
            if abs(ll - prev) <= self.tol * (1.0 + abs(ll)):
                break
            prev = ll
        return b(y0 + self._allocate(counts, mu))


def em_parametric_bootstrap(
    em: EMFit,
    cc: CoarseCells,
    table: CompleteTable,
    *,
    reps: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    groups: Sequence[GroupSpec] | None = None,
    n_jobs: int | None = None,
    progress: bool = True,
) -> BootstrapResult:
    """Parametric bootstrap that redoes the EM in every replicate.

    Each replicate draws the complete table from Multinomial(floor(N̂), fitted/N̂)
    (as Cruyff's ``boot_mse``), makes covariate values unknown again with the
    missingness shares of each list pattern (:meth:`CoarseCells.missing_shares`),
    refits the same model by EM and sums the fitted values over every subgroup.
    Intervals are percentiles (R's type 7). So the interval carries the uncertainty
    of the imputation as well as that of the counts.

    Parameters
    ----------
    em : EMFit
        The EM fit of the chosen model (identified N̂).
    cc : CoarseCells
        The persons with unknown values.
    table : CompleteTable
        Complete table of the complete persons (``em.fit.table`` holds the completed counts).
    reps, seed, level, groups, n_jobs, progress
        As in :func:`darkfigure.loglinear.bootstrap.parametric_bootstrap`.

    Returns
    -------
    BootstrapResult (``method="parametric-em"``; ``observed`` holds the completed,
    possibly fractional, observed counts of each subgroup).

    Raises
    ------
    ValueError
        N̂ not identified, `reps` < 2, `level` outside (0, 1).
    """
    fit = em.fit
    t, gmat, labels = _prepare(fit, reps, level, groups)
    base = _fixed_context(fit, gmat)
    obs_index = np.flatnonzero(table.observable)
    shares = cc.missing_shares(table, fit.fitted)[obs_index]
    job = _EMRefit(base, cc.maps, [c.size for c in cc.counts], shares, obs_index)
    return _run_parametric(fit, job, t, gmat, labels, "parametric-em", reps, seed, level, n_jobs, progress)
