"""Partial pooling across strata: a mixed-effects (penalised) Poisson log-linear model.

Small strata (minors, one nationality by one form of exploitation) have too few
persons for each to get its own list effects: the fully stratified fit (every list x
stratum term free) is nearly unbiased but very noisy, and often has no finite MLE;
the model without list x stratum terms is stable but assumes every subgroup is seen
alike. The mixed-effects log-linear model of Hammond, Smith & van der Heijden (2025,
"Dual system estimation using mixed effects loglinear models", arXiv 2505.01359)
sits between them: the stratum-specific list effects are random,

    log mu_i = alpha_s(i) + sum_j x_ij beta_j + [list x list terms] + sum_b sum_j x_ij u_{b,j,l_b(i)},
    u_{b,j,l} ~ N(0, sigma^2_{b,j}),

with ``alpha_s`` a free (fixed) intercept per stratum (so every stratum's observed
margin is held), ``beta`` the common list effects and the list x list interactions of
the chosen model fixed, and one block ``b`` of random list x covariate deviations per
covariate (plus one over the full cross of the covariates when there are several),
with one variance per list and block (``components="list"``; Hammond et al.'s
``(1 | A:S) + (1 | B:S)``) or one per block (``"common"``).

Fitting. For given variances the model is a ridge-penalised Poisson regression: the
joint mode (beta, u) maximises ``l(y; beta, u) - u' D^-1 u / 2`` and is found by
penalised IRLS (Newton on the canonical link; Breslow & Clayton 1993 PQL). The
variances are estimated by Schall's (1991, Biometrika 78:719-727) fixed-point
iteration, ``sigma^2_c = |u_c|^2 / (q_c - tr(C_cc) / sigma^2_c)`` with ``C`` the inverse
penalised Hessian of all coefficients: the REML estimating equation of the Laplace
approximation to the marginal likelihood (empirical Bayes). The Laplace-approximated
restricted log-likelihood is reported. A variance at the floor (1e-8) means the data
see no list x stratum variation: that block is pooled completely.

Limits (tested): variances -> infinity (penalty -> 0) give the fully stratified fit
(every list x stratum term free); variances -> 0 give the model without list x stratum
terms.

Interval. Parametric bootstrap from the fitted mixed model that also redraws the
random effects (the small-area bootstrap of prediction error; Hall & Maiti 2006,
JRSS B 68:221-238): each replicate draws u* ~ N(0, sigma^2), a complete population
y* ~ Poisson(exp(X beta + Z u*)) over every cell (the unseen cells too, so each
replicate knows its true stratum sizes N*), refits the model to the observable cells
re-estimating the variances, and records the log prediction error
log(N̂* + 1/2) - log(N* + 1/2) of every subgroup. The interval is N̂ corrected by the
quantiles of that error (a basic bootstrap on the log scale), so it carries the
shrinkage bias as well as the noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .._special import gammaln
from ..group_names import group_name
from .design import CompleteTable
from .fit import LogLinearFit, fit_model
from .pooling_design import (
    COMPONENTS,
    PoolingDesign,
    check_pooling,
    common_model,
    pooling_design,
    stratified_model,
)
from .terms import LogLinearModel

__all__ = [
    "PoolingDesign",
    "PooledFit",
    "PoolingResult",
    "pooling_design",
    "check_pooling",
    "fit_pooled",
    "pooled_bootstrap",
    "partial_pooling",
    "COMPONENTS",
    "VARIANCE_FLOOR",
    "FEW_LEVELS",
]

#: variances are kept at or above this: a block at the floor is pooled completely
VARIANCE_FLOOR = 1e-8
_VARIANCE_CAP = 1e4
_VARIANCE_SMALL = 1e-4
_FIXED_RIDGE = 1e-8
#: a variance component estimated from fewer levels than this is crude (often 0): said in a warning
FEW_LEVELS = 5
#: bootstrap refits stop when no log variance moves by more than this (1%: N̂* moves by far less than its spread)
_BOOT_TOL = 1e-2
_BOOT_NEGLIGIBLE = 1e-3


def _poisson_ll(y: np.ndarray, mu: np.ndarray) -> float:
    return float(np.sum(y * np.log(np.where(mu > 0, mu, 1.0)) - mu - gammaln(y + 1)))


def _pirls(m: np.ndarray, y: np.ndarray, prec: np.ndarray, coef: np.ndarray, *, tol: float = 1e-10,
           max_iter: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
    """Penalised IRLS: maximise sum(y eta - exp(eta)) - coef' diag(prec) coef / 2 with eta = m coef.

    Newton's method on the canonical link with step-halving on the penalised objective.

    Returns
    -------
    coef : ndarray (p,), mu : ndarray (n,), hessian : ndarray (p, p) at the mode, converged : bool
    """
    def objective(c):
        """Penalised Poisson log-likelihood at coefficients c (shape (p,)); the linear predictor is clipped to avoid overflow."""
        eta = np.clip(m @ c, -700.0, 700.0)
        return float(np.sum(y * eta - np.exp(eta)) - 0.5 * np.sum(prec * c * c))

    obj = objective(coef)
    conv = False
    for _ in range(max_iter):
        eta = np.clip(m @ coef, -700.0, 700.0)
        mu = np.exp(eta)
        g = m.T @ (y - mu) - prec * coef
        hess = (m.T * mu) @ m + np.diag(prec)
        try:
            step = np.linalg.solve(hess, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, g, rcond=1e-13)[0]
        t = 1.0
        for _h in range(30):
            new = coef + t * step
            o = objective(new)
            if np.isfinite(o) and o >= obj - 1e-12 * (1 + abs(obj)):
                break
            t *= 0.5
        coef, change = new, abs(o - obj) / (abs(o) + 0.1)
        obj = o
        if change < tol and float(np.max(np.abs(t * step), initial=0.0)) < 1e-6:
            conv = True
            break
    mu = np.exp(np.clip(m @ coef, -700.0, 700.0))
    hess = (m.T * mu) @ m + np.diag(prec)
    return coef, mu, hess, conv


@dataclass
class PooledFit:
    """A fitted mixed-effects (penalised) log-linear model.

    Attributes
    ----------
    design : PoolingDesign
    fitted : ndarray, shape (n_cells,)
        Fitted values of every cell (unseen cells included; 0 in unobservable cells and in
        strata where nobody was observed).
    beta : ndarray, shape (p,)
        Fixed coefficients (stratum intercepts, list effects, list x list terms).
    u : ndarray, shape (q,)
        Predicted random list x covariate deviations (posterior modes).
    variances : ndarray, shape (n_components,)
        Variance components sigma^2 (log scale of the list effects); estimated unless given.
    estimated : bool
        Whether the variances were estimated (False when fixed by the caller).
    restricted_loglik : float
        Laplace approximation of the restricted (REML) log marginal likelihood at the estimate.
    loglik : float
        Poisson log-likelihood of the observable cells at the mode.
    iterations : int
        Variance-update iterations.
    converged : bool
    """

    design: PoolingDesign
    fitted: np.ndarray = field(repr=False)
    beta: np.ndarray = field(repr=False)
    u: np.ndarray = field(repr=False)
    variances: np.ndarray
    estimated: bool
    restricted_loglik: float
    loglik: float
    iterations: int
    converged: bool

    def nhat_by(self, by: tuple[str, ...] = ()) -> pd.DataFrame:
        """N̂ per group of covariate levels (sum of fitted values over all cells, as Cruyff's ``mse``).

        Parameters
        ----------
        by : tuple of covariate names (empty: the total)

        Returns
        -------
        DataFrame with the `by` columns, ``observed`` and ``nhat``.
        """
        t = self.design.table
        idx, labels = t.group_index(tuple(by))
        g = len(labels)
        out = labels.copy()
        out["observed"] = np.bincount(idx, weights=t.y, minlength=g).astype(np.int64)
        out["nhat"] = np.bincount(idx, weights=self.fitted, minlength=g)
        return out

    @property
    def nhat(self) -> float:
        """Total N̂."""
        return float(self.fitted.sum())


@single_threaded
def fit_pooled(
    design: PoolingDesign,
    y: np.ndarray | None = None,
    *,
    variances: float | np.ndarray | None = None,
    start: tuple[np.ndarray, np.ndarray] | None = None,
    start_variances: np.ndarray | None = None,
    max_iter: int = 200,
    tol: float = 1e-5,
    negligible: float = 0.0,
) -> PooledFit:
    """Fit the mixed-effects log-linear model, estimating the variance components (or with them given).

    Parameters
    ----------
    design : PoolingDesign
    y : ndarray, shape (n_cells,), optional
        Counts (default ``design.table.y``); unobservable cells are ignored.
    variances : float or ndarray (n_components,), optional
        Fix the variances instead of estimating them: ``1e12`` is (to tolerance) the fully
        stratified fit, ``1e-12`` the model without list x stratum terms.
    start : (beta, u), optional
        Warm start (e.g. the data's fit for a bootstrap replicate).
    start_variances : ndarray (n_components,), optional
        Where Schall's iteration starts (default 0.25 each); a bootstrap replicate starts from the
        data's estimates, so it needs few iterations.
    max_iter : int
        Schall iterations at most.
    tol : float
        Convergence: largest change of log sigma^2 between iterations.
    negligible : float
        Variances below this (before and after an iteration) count as settled whatever their change:
        the bootstrap uses 1e-3 (sigma 0.03 on the log scale of a list effect), where the slow geometric
        descent of Schall's update towards 0 no longer moves any N̂ that matters.

    Returns
    -------
    PooledFit

    Notes
    -----
    Penalised IRLS for the mode; Schall's (1991) update for the variances (see the module
    docstring). Coefficients whose column is zero on every cell in the likelihood (a stratum
    with nobody observed) are left out of the fit.
    """
    t = design.table
    yall = t.y if y is None else np.asarray(y, dtype=float)
    live = design.live(yall)
    p, q = design.x.shape[1], design.z.shape[1]
    m_all = np.hstack([design.x, design.z])
    m = m_all[live]
    yy = yall[live]
    used = np.flatnonzero(np.abs(m).sum(axis=0) > 0)
    m = m[:, used]
    is_rand = used >= p
    comp = np.full(len(used), -1)
    comp[is_rand] = design.component[used[is_rand] - p]
    nc = design.n_components
    fixed_var = variances is not None
    if fixed_var:
        var = np.broadcast_to(np.asarray(variances, dtype=float), (nc,)).copy()
    elif start_variances is not None:
        var = np.clip(np.broadcast_to(np.asarray(start_variances, dtype=float), (nc,)), VARIANCE_FLOOR, _VARIANCE_CAP)
    else:
        var = np.full(nc, 0.25)
    coef = np.zeros(len(used))
    if start is not None:
        full = np.concatenate(start)
        coef = full[used].copy()
    else:
        # start from the stratum's mean count on the fixed intercepts: log of the mean observable count
        ns = np.bincount(t.stratum[live], weights=yy, minlength=t.n_strata)
        cnt = np.bincount(t.stratum[live], minlength=t.n_strata)
        a0 = np.log(np.maximum(ns, 0.5) / np.maximum(cnt, 1))
        coef[used < t.n_strata] = a0[used[used < t.n_strata]]
    qc = np.bincount(comp[is_rand], minlength=nc).astype(float)
    # a vanishing ridge on the fixed list terms (not the stratum intercepts) keeps a list x list term whose MLE is
    # at -inf (lists sharing nobody: the extended MLE) finite, at about log(1e-8), where its cells are fitted as ~0
    ridge = np.where(is_rand | (used < t.n_strata), 0.0, _FIXED_RIDGE)

    def precision(v):
        """Prior precision per coefficient (shape (p,)): 1/variance of its component, the tiny ridge for fixed terms."""
        return np.where(is_rand, 1.0 / v[np.maximum(comp, 0)], ridge)

    it, conv, prev = 0, fixed_var, None
    while it < (1 if fixed_var else max_iter):
        it += 1
        prec = precision(var)
        coef, mu, hess, ok = _pirls(m, yy, prec, coef)
        if fixed_var:
            conv = ok
            break
        try:
            cinv = np.linalg.inv(hess)
        except np.linalg.LinAlgError:
            cinv = np.linalg.pinv(hess)
        d = np.diag(cinv)
        u2 = np.bincount(comp[is_rand], weights=coef[is_rand] ** 2, minlength=nc)
        trc = np.bincount(comp[is_rand], weights=d[is_rand], minlength=nc)
        edf = qc - trc / var
        new = np.where(edf > 1e-8, u2 / np.maximum(edf, 1e-8), VARIANCE_FLOOR)
        new = np.clip(new, VARIANCE_FLOOR, _VARIANCE_CAP)
        # Schall's map converges linearly, slowly where its slope is near 1: a secant step on the fixed-point
        # equation log G(v) - log v = 0 (per component; safeguarded, else the plain update) speeds it up
        x, gx = np.log(var), np.log(new)
        hx = gx - x
        if prev is not None:
            dx, dh = x - prev[0], hx - prev[1]
            slope = np.divide(dh, dx, out=np.zeros_like(dx), where=np.abs(dx) > 1e-12)
            sec = x - np.divide(hx, slope, out=np.zeros_like(hx), where=slope < -1e-3)
            good = (slope < -1e-3) & np.isfinite(sec) & (np.abs(sec - x) <= 3.0) & (new > VARIANCE_FLOOR * 1.0001)
            new = np.where(good, np.exp(sec), new)
        prev = (x, hx)
        # a component heading to 0 goes there at once: Schall's update approaches 0 only geometrically, and
        # sigma < 0.01 on the log scale of the list effects changes no fitted value that matters
        new = np.where((new < _VARIANCE_SMALL) & (new < var), VARIANCE_FLOOR, new)
        new = np.clip(new, VARIANCE_FLOOR, _VARIANCE_CAP)
        change = np.abs(np.log(new) - np.log(var))
        settled = ((new <= VARIANCE_FLOOR * 1.0001) & (var <= VARIANCE_FLOOR * 1.0001)) | (
            (new < negligible) & (var < negligible))
        var = new
        if np.all((change < tol) | settled):
            prec = precision(var)
            coef, mu, hess, ok = _pirls(m, yy, prec, coef)
            conv = ok
            break
    else:
        # out of iterations: a variance still moving by less than 0.1% changes no N̂ that matters
        conv = fixed_var or bool(np.all((change < 1e-3) | settled))
    prec = precision(var)
    full = np.zeros(p + q)
    full[used] = coef
    eta_all = m_all @ full
    keep = live | (t.hidden & np.isin(t.stratum, t.stratum[live]))
    fitted = np.where(keep, np.exp(np.clip(eta_all, -700.0, 700.0)), 0.0)
    ll = _poisson_ll(yy, mu)
    sign, logdet = np.linalg.slogdet(hess)
    rl = float(ll - 0.5 * np.sum(np.where(is_rand, prec, 0.0) * coef * coef) - 0.5 * np.sum(qc * np.log(var)) - 0.5 * logdet)
    return PooledFit(design=design, fitted=fitted, beta=full[:p], u=full[p:], variances=var, estimated=not fixed_var,
                     restricted_loglik=rl, loglik=ll, iterations=it, converged=bool(conv))


def _group_rows(fit: PooledFit, groups) -> tuple[list[dict], np.ndarray]:
    """Rows (group, level, observed) and the (n_rows, n_cells) group indicator matrix."""
    t = fit.design.table
    rows, mats = [], []
    for g in groups:
        idx, lab = t.group_index(tuple(g))
        mats.append((idx[None, :] == np.arange(len(lab))[:, None]).astype(float))
        obs = np.bincount(idx, weights=t.y, minlength=len(lab))
        for i, (_, r) in enumerate(lab.astype(object).iterrows()):
            rows.append({"group": group_name(g),
                         "level": "" if not g else ":".join(str(r[c]) for c in g),
                         "observed": int(round(obs[i]))})
    return rows, np.vstack(mats)


@dataclass
class PoolingResult:
    """Pooled and unpooled subgroup estimates side by side, with the pooled model's bootstrap interval.

    Attributes
    ----------
    fit : PooledFit
        The mixed-effects fit to the data.
    stratified : LogLinearFit
        The fully stratified fit (the variances -> infinity limit: every list x stratum term free).
    common : LogLinearFit
        The fit without list x stratum terms (the variances -> 0 limit).
    table : DataFrame
        ``group, level, observed, nhat_stratified, nhat_common, nhat_pooled, lower_pooled, upper_pooled``.
    level : float
    reps, seed : int
    failed : int
        Replicates whose refit did not converge (left out of the interval; counted here).
    strata_not_identified : list of str
        Strata (``"X1 = 2, Y = 3"``) whose N̂ the stratified fit does not identify: their rows, and
        every row summing over them, have ``nhat_stratified`` NaN.
    """

    fit: PooledFit
    stratified: LogLinearFit
    common: LogLinearFit
    table: pd.DataFrame
    level: float
    reps: int
    seed: int | None
    failed: int
    components: str
    strata_not_identified: list[str] = field(default_factory=list)

    def few_levels(self) -> dict[str, int]:
        """Variance components estimated from fewer than :data:`FEW_LEVELS` levels: name -> levels."""
        d = self.fit.design
        lv = d.component_levels if d.component_levels is not None else np.full(d.n_components, FEW_LEVELS)
        return {n: int(k) for n, k in zip(d.component_names, lv) if k < FEW_LEVELS}

    def to_dict(self) -> dict[str, Any]:
        """The ``pooling`` section of ``result.json`` (NaN and infinities null, an infinity flagged beside it:
        :func:`darkfigure.result_json._jsonable`)."""
        from ..result_json import _jsonable
        from ..result_json import _num as num

        f = self.fit
        return {
            "method": "mixed-effects log-linear model (random list x covariate effects; Hammond, Smith & "
                      "van der Heijden 2025), penalised IRLS with variances by Schall's REML fixed point",
            "components": self.components,
            "variance_components": {n: num(v) for n, v in zip(f.design.component_names, f.variances)},
            "fixed_list_interactions": [":".join(t) for t in f.design.model.terms
                                        if len(t) > 1 and all(v in f.design.table.histories.lists for v in t)],
            "restricted_loglik": num(f.restricted_loglik),
            "converged": f.converged,
            "components_on_few_levels": self.few_levels(),
            "strata_not_identified_stratified": list(self.strata_not_identified),
            "interval": {"method": "parametric bootstrap of the prediction error (random effects redrawn, "
                                   "variances re-estimated per replicate)", "level": self.level,
                         "reps": self.reps, "seed": self.seed, "replicates_not_converged": self.failed},
            "subgroups": _jsonable(self.table),
        }


@single_threaded
def pooled_bootstrap(fit: PooledFit, groups, *, reps: int = 1000, seed: int | None = None,
                     level: float = 0.95, progress: bool = False) -> tuple[pd.DataFrame, int]:
    """Parametric-bootstrap interval of the pooled subgroup N̂ (random effects redrawn, variances re-estimated).

    Parameters
    ----------
    fit : PooledFit
        Fitted with estimated variances.
    groups : sequence of tuples of covariate names (``()`` the total)
    reps : int
        Replicates (each refits the model and re-estimates the variances).
    seed : int, optional
    level : float
    progress : bool
        A progress bar on a terminal (silent otherwise).

    Returns
    -------
    (DataFrame, int)
        ``group, level, observed, nhat_pooled, lower_pooled, upper_pooled`` and the number of
        replicates whose refit did not converge.

    Notes
    -----
    Each replicate: u* ~ N(0, diag(sigma^2)); a complete population y*_i ~ Poisson(exp(x_i beta + z_i u*))
    over every cell of the strata in the fit (unseen cells included), whose group totals are the replicate's
    true N*; the model refitted to the observable cells gives N̂*. With e* = log(N̂* + 1/2) - log(N* + 1/2),
    the interval is ``(N̂ + 1/2) exp(-q_{1-a/2}(e*)) - 1/2`` to ``(N̂ + 1/2) exp(-q_{a/2}(e*)) - 1/2``, the lower
    limit raised to the number observed (Hall & Maiti 2006; basic bootstrap on the log scale).

    Each refit starts from the data's fit: its coefficients, and its variances (a variance at the floor
    starts at 0.25 instead, since Schall's update cannot leave the floor), and stops when no log variance
    above 1e-3 moves by more than 1e-2 (N̂* then moves by far less than its bootstrap spread).
    """
    from .bootstrap import _progress

    d = fit.design
    t = d.table
    rng = np.random.default_rng(seed)
    rows, gm = _group_rows(fit, groups)
    nhat = gm @ fit.fitted
    sd = np.sqrt(fit.variances[d.component])
    cells = t.observable | t.hidden
    in_fit = fit.fitted > 0
    errs = np.empty((reps, len(rows)))
    failed = 0
    eta_fixed = d.x @ fit.beta
    v0 = np.where(fit.variances <= VARIANCE_FLOOR * 1.0001, 0.25, fit.variances)
    with _progress(progress, reps, "pooled bootstrap") as advance:
        for b in range(reps):
            ustar = rng.normal(0.0, 1.0, size=len(sd)) * sd
            mu = np.where(cells & in_fit, np.exp(np.clip(eta_fixed + d.z @ ustar, -700.0, 50.0)), 0.0)
            yfull = rng.poisson(mu).astype(float)
            ystar = np.where(t.observable, yfull, 0.0)
            rf = fit_pooled(d, ystar, start=(fit.beta, fit.u), start_variances=v0, tol=_BOOT_TOL,
                            negligible=_BOOT_NEGLIGIBLE)
            e = np.log(gm @ rf.fitted + 0.5) - np.log(gm @ yfull + 0.5)
            bad = not rf.converged or not np.all(np.isfinite(e))
            failed += bad
            errs[b] = np.nan if bad else e
            advance(1)
    a = (1 - level) / 2
    # a refit that did not converge is left out (counted in `failed`, said in the warnings)
    qlo, qhi = np.nanquantile(errs, [a, 1 - a], axis=0) if failed < reps else np.full((2, len(rows)), np.nan)
    obs = np.array([r["observed"] for r in rows], dtype=float)
    lower = np.maximum((nhat + 0.5) * np.exp(-qhi) - 0.5, obs)
    upper = (nhat + 0.5) * np.exp(-qlo) - 0.5
    out = pd.DataFrame(rows)
    out["nhat_pooled"] = nhat
    out["lower_pooled"] = lower
    out["upper_pooled"] = np.maximum(upper, lower)
    return out, failed


def partial_pooling(
    table: CompleteTable,
    model: LogLinearModel | None = None,
    groups=None,
    *,
    reps: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    components: str = "list",
    progress: bool = False,
) -> PoolingResult:
    """Pooled (mixed-effects) and unpooled (fully stratified) subgroup N̂, with the pooled interval.

    Parameters
    ----------
    table : CompleteTable
        With covariates defining the strata.
    model : LogLinearModel, optional
        The chosen model: its list x list interactions are kept fixed in all three fits.
    groups : sequence of tuples of covariate names, optional
        Subgroups to report (default: the total, each covariate, each pair).
    reps : int
        Bootstrap replicates of the pooled interval (at least 20).
    seed : int, optional
    level : float
    components : {"list", "common"}
    progress : bool
        A progress bar for the bootstrap on a terminal.

    Returns
    -------
    PoolingResult
        ``nhat_stratified`` of a stratum is its own figure from the stratified fit (with no list x list
        terms that fit is each stratum's own fit; the chosen model's list x list terms are shared across
        strata, as in the pooled model); a row over several strata is their sum, NaN when any of them is
        not identified (named in ``strata_not_identified``).

    Raises
    ------
    DataError
        No covariates, or a covariate with one level (names ``--pooling``).
    ValueError
        Fewer than 20 replicates.
    """
    if reps < 20:
        raise ValueError(f"the pooled interval (--pooling partial) needs at least 20 bootstrap replicates, not {reps}")
    d = pooling_design(table, model, components)
    if groups is None:
        covs = list(table.histories.covariates)
        groups = [()] + [(c,) for c in covs] + [tuple(p) for p in combinations(covs, 2)]
    fit = fit_pooled(d)
    # the two limits as ordinary fits, with the MLE-existence check: a stratum whose own list effects have no
    # finite MLE gets no stratified N̂ (NaN), never a huge number
    strat = fit_model(table, stratified_model(table, model), check=True)
    common = fit_model(table, common_model(table, model), check=True)
    tab, failed = pooled_bootstrap(fit, groups, reps=reps, seed=seed, level=level, progress=progress)
    _, gm = _group_rows(fit, groups)
    tab.insert(3, "nhat_stratified", _sum_identified(gm, strat.fitted))
    tab.insert(4, "nhat_common", _sum_identified(gm, common.fitted))
    return PoolingResult(fit=fit, stratified=strat, common=common, table=tab, level=level, reps=reps, seed=seed,
                         failed=failed, components=components, strata_not_identified=_strata_labels(
                             table, np.unique(table.stratum[~np.isfinite(strat.fitted)])))


def _sum_identified(gm: np.ndarray, fitted: np.ndarray) -> np.ndarray:
    """Row sums ``gm @ fitted`` where every cell of the row is finite, NaN elsewhere.

    A plain product would turn every row NaN as soon as one stratum's unseen cell is NaN (0 x NaN = NaN),
    so one unidentified stratum would blank the figures of all the others.
    """
    bad = ~np.isfinite(fitted)
    out = gm @ np.where(bad, 0.0, fitted)
    out[(gm @ bad.astype(float)) > 0] = np.nan
    return out


def _strata_labels(table: CompleteTable, strata: np.ndarray) -> list[str]:
    """``"X1 = 2, Y = 3"`` for each stratum index."""
    covs = list(table.histories.covariates)
    first = {int(s): i for i, s in zip(np.flatnonzero(table.hidden), table.stratum[table.hidden])}
    return [", ".join(f"{c} = {table.cells[c].iloc[first[int(s)]]}" for c in covs) for s in strata]
