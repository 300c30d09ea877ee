"""Poisson log-linear fit of a capture-recapture table (own IRLS/Newton).

The model is fitted to the observable cells only; the all-zero cell of each stratum
is a structural zero of the observed table and its fitted value exp(x0' beta) is
the estimate of the persons no list saw (Fienberg 1972, Biometrika 59:591-603;
Cormack 1989, Biometrics 45:395-413).

Fit statistics use R's definitions exactly (``glm``/``logLik``/``extractAIC``):
log-likelihood sum(dpois(y, mu, log = TRUE)) over the observable cells, deviance
2 sum(y log(y/mu) - (y - mu)), p = rank of the design on the observable cells,
AIC = -2 logL + 2p, BIC = -2 logL + p log(n) and AICc = AIC + 2p(p+1)/(n - p - 1)
with n the number of persons observed (as in Cruyff's ``mse``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .._special import gammaln
from .design import CompleteTable
from .existence import ExistenceCheck, _row_space_mask, check_existence
from .fit_batch import (  # noqa: F401 - all still importable from here
    GramProducts,
    _deviance_rows,
    _solve_rows,
    interior_certificate_batch,
    irls_poisson_batch,
)
from .terms import LogLinearModel

__all__ = ["LogLinearFit", "fit_model", "irls_poisson", "FitStatus"]

FitStatus = str  # "ok" | "extended" | "not identified" | "not converged"


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2.0 * np.sum(t - (y - mu)))


def independent_columns(x: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Indices of a maximal set of linearly independent columns of `x`, shape (r,).

    Pivoted QR of the Gram matrix X'X (cheap: p x p), taking columns in R's order
    of preference (earlier columns kept, later aliased ones dropped, as ``glm``).
    """
    p = x.shape[1]
    if p == 0:
        return np.arange(0)
    g = x.T @ x
    scale = np.sqrt(np.maximum(np.diag(g), 1e-300))
    g = g / np.outer(scale, scale)  # unit diagonal: the test below is scale free
    # greedy in column order with an incremental Cholesky factor: keep column j if its
    # squared distance to the span of the kept columns is not negligible (R's glm.fit
    # likewise keeps the first of a set of aliased columns)
    keep: list[int] = []
    chol = np.zeros((p, p))
    for j in range(p):
        r = len(keep)
        if r:
            v = np.linalg.solve(chol[:r, :r], g[keep, j]) if r > 1 else g[keep, j] / chol[0, 0]
            d2 = g[j, j] - float(v @ v)
        else:
            v, d2 = np.zeros(0), g[j, j]
        if d2 > tol ** 0.5 * 1e-2 and d2 > 0:
            chol[r, :r] = v
            chol[r, r] = np.sqrt(d2)
            keep.append(j)
    return np.array(keep, dtype=np.int64)


def irls_poisson(
    x: np.ndarray,
    y: np.ndarray,
    mu_start: np.ndarray | None = None,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    used: np.ndarray | None = None,
    floor: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray, float, int, bool, np.ndarray]:
    """Poisson regression with log link by iteratively reweighted least squares.

    Newton's method on the canonical link, started as R's ``glm`` does
    (mu = y + 0.1) unless `mu_start` is given, with step-halving when the deviance
    rises (McCullagh & Nelder 1989, sec. 2.5). Aliased columns are found once
    from the unweighted design (or passed in `used`) and get coefficient 0.

    Parameters
    ----------
    x : ndarray of shape (n, p)
        Design over the cells in the likelihood.
    y : ndarray of shape (n,)
        Counts.
    mu_start : ndarray of shape (n,), optional
        Starting fitted values (warm start from a neighbouring model).
    tol : float
        Relative change of deviance at which to stop (R uses 1e-8).
    max_iter : int
    used : ndarray of int, optional
        Non-aliased columns, if already known.
    floor : float
        Smallest starting fitted value (`mu_start` is clipped to it). A warm start from a fit on the
        boundary has cells near 0 (1e-50 and below); lifted to 1e-10 they sit far off the model's
        surface and the first Newton step, which is not step-halved, throws them to 1e4 and the fit
        needs ~20 steps to come back. Stepwise candidates pass 1e-300 (same fit, a third fewer steps).

    Returns
    -------
    beta : ndarray of shape (p,)
        Coefficients; aliased columns get 0 (R reports NA).
    mu : ndarray of shape (n,)
    deviance : float
    rank : int
    converged : bool
    used : ndarray of int
        Indices of the non-aliased columns.
    """
    n, p = x.shape
    if used is None:
        used = _fast_independent(x)
    xs = x if len(used) == p else x[:, used]
    mu = (y + 0.1) if mu_start is None else np.maximum(np.asarray(mu_start, dtype=float), floor)
    eta = np.log(mu)
    # the deviance on the positive cells only: every fitted value is positive here (clipped
    # exp), so no masked log and no floating-point error state are needed in the loop
    pos = y > 0
    yp = y[pos]

    def dev_of(m: np.ndarray) -> float:
        """Poisson deviance of fitted means m (shape (cells,)) against the counts y; 0·log 0 = 0."""
        with np.errstate(over="ignore"):  # y/m beyond 1e308 (a count of 3e9 against a clipped mean): deviance inf
            return 2.0 * (float(yp @ np.log(yp / m[pos])) - float(np.sum(y - m)))

    dev = dev_of(mu)
    potrf, potrs, syrk = _lapack_cholesky()
    bsmall = np.zeros(xs.shape[1])
    converged = False
    for it in range(max_iter):
        # X'WX's lower triangle by a rank-k update of W^(1/2) X (half a full matrix product's work)
        a = syrk(1.0, (xs * np.sqrt(mu)[:, None]).T, lower=1)
        b = (mu * eta + y - mu) @ xs  # X'W z with z = eta + (y - mu) / mu
        # LAPACK's Cholesky directly: numpy's linalg wrappers cost more than the solve at these sizes
        c, info = potrf(a, lower=1)
        if info == 0:
            bnew = potrs(c, b, lower=1)[0]
        else:
            # weights of cells heading to 0 (MLE on the boundary) make X'WX near-singular
            a = np.tril(a) + np.tril(a, -1).T
            bnew = np.linalg.lstsq(a, b, rcond=1e-13)[0]
        eta_new = xs @ bnew
        mu_new = np.exp(np.clip(eta_new, -700.0, 300.0))  # never 0 (z finite); ≤ 1e130 (X'Wz finite)
        dev_new = dev_of(mu_new)
        # step-halving keeps Newton from overshooting (deviance must not increase)
        step = 0
        while (not np.isfinite(dev_new) or dev_new > dev * (1 + 1e-12) + 1e-12) and it > 0 and step < 30:
            bnew = 0.5 * (bnew + bsmall)
            eta_new = xs @ bnew
            mu_new = np.exp(np.clip(eta_new, -700.0, 300.0))
            dev_new = dev_of(mu_new)
            step += 1
        change = abs(dev_new - dev) / (abs(dev_new) + 0.1)
        eta, mu, dev, bsmall = eta_new, mu_new, dev_new, bnew
        if change < tol and it > 0:
            converged = True
            break
    beta = np.zeros(p)
    beta[used] = bsmall
    return beta, mu, dev, len(used), converged, used


def _zero_margin_existence(
    x: np.ndarray, y: np.ndarray, x_hidden: np.ndarray, mu: np.ndarray, names: list[str]
) -> ExistenceCheck | None:
    """The existence check without linear programs when zero margins explain the boundary, else None.

    A column of one sign whose margin X_c'y is 0 forces the fitted values of every cell in its
    support to 0 (X_c'mu = X_c'y and mu >= 0): those cells lie outside the facial set (e.g. the
    cells of two lists that share nobody; Fienberg & Rinaldo 2012). If on the remaining cells
    F a positive table with the margins of y exists — certified by one Newton step from the
    fit's values there (:func:`.existence.interior_certificate`, Haberman 1974, Thm 2.3) —
    F is the facial set. N̂ is identified when every hidden cell's row lies in the row space
    of X on F. Whenever any of this is not shown, None: the LPs decide.

    Parameters
    ----------
    x : ndarray of shape (n, p)
    y, mu : ndarray of shape (n,)
        Counts and fitted values (any positive values; a converged fit's pass the test).
    x_hidden : ndarray of shape (s, p)
    names : list of str, length p

    Returns
    -------
    ExistenceCheck or None
        With ``lp_value`` NaN (no LP solved).
    """
    from .existence import interior_certificate

    ax = np.abs(x)
    one_sign = (x >= 0).all(axis=0) | (x <= 0).all(axis=0)
    zc = one_sign & (ax.sum(axis=0) > 0) & (y @ ax == 0)
    if not zc.any():
        return None
    fs = ~(ax[:, zc] > 0).any(axis=1)
    if fs.all() or not fs.any() or not np.all(np.isfinite(mu)):
        return None
    xf = x[fs]
    keep = np.flatnonzero(np.abs(xf).sum(axis=0) > 0)
    cols = keep[_fast_independent(xf[:, keep])]
    if not interior_certificate(xf[:, cols], y[fs], np.maximum(mu[fs], 1e-300)):
        return None
    in_row = _row_space_mask(xf, x_hidden)
    if not in_row.all():
        return None
    return ExistenceCheck(
        mle_exists=False, identified=True, facial_set=fs, infinite_parameters=[names[j] for j in np.flatnonzero(zc)],
        rank_deficient=False, lp_value=float("nan"), hidden_state=np.array(["finite"] * len(x_hidden), dtype=object),
    )


_LAPACK: tuple = ()


def _lapack_cholesky():
    """LAPACK's dpotrf/dpotrs and BLAS's dsyrk: the very functions of scipy.linalg.lapack and .blas, from SciPy's
    compiled modules loaded on first use without the rest of scipy.linalg (0.045 s of CPU per process); looked
    up once (every fit asks)."""
    global _LAPACK
    if not _LAPACK:
        from ._lp import load_scipy_extension

        flapack = load_scipy_extension("scipy.linalg._flapack")
        _LAPACK = (flapack.dpotrf, flapack.dpotrs, load_scipy_extension("scipy.linalg._fblas").dsyrk)
    return _LAPACK


def _fast_independent(x: np.ndarray) -> np.ndarray:
    """All columns if X'X is well conditioned, else a greedy independent subset."""
    g = x.T @ x
    try:
        c = np.linalg.cholesky(g)
        d = np.diag(c)
        if d.min() > 1e-7 * d.max():
            return np.arange(x.shape[1])
    except np.linalg.LinAlgError:
        pass
    return independent_columns(x)


@dataclass
class LogLinearFit:
    """A fitted Poisson log-linear model and its population-size estimate.

    Attributes
    ----------
    model : LogLinearModel
    table : CompleteTable
    fitted : ndarray of shape (n_cells,)
        Fitted values of every cell of the complete table (hidden cells included;
        NaN in hidden cells when N is not identified).
    beta : ndarray of shape (p,)
        Coefficients (R's parametrisation; 0 for aliased or infinite directions).
    deviance : float
    df_residual : int
        Observable cells minus rank (as R's ``glm``); for an extended MLE, the cells of
        the facial set (observable cells not fitted as 0) minus the rank of the design on
        them: R's ``glm`` on the reduced table (the full-table ``glm`` that Cruyff's
        ``mse`` and Rcapture run counts the cells forced to 0 as free, and its df is
        too large by their number less the parameters that go to -inf).
    rank : int
        Number of estimated parameters p (rank of the design on the observable
        cells, as ``glm`` counts it).
    loglik : float
    aic, aicc, bic : float
        See the module docstring for the definitions (AICc counts every
        coefficient, aliased ones included, as Cruyff's ``mse``).
    nhat : float
        Estimated population size: observed + fitted hidden cells (NaN if not identified).
    status : str
        ``"ok"`` (MLE exists), ``"extended"`` (MLE does not exist but the hidden
        cells are identified: an extended MLE with some cells fitted as 0 — the
        non-overlapping-lists case of Chan, Silverman & Vincent 2021),
        ``"not identified"`` (no finite estimate of N), ``"not converged"``, or
        ``"boundary"`` (fitted without the LP check, ``check=False``, and a
        parameter seems to diverge: used for search candidates and bootstrap
        replicates, where only the likelihood is needed).
    existence : ExistenceCheck
    warnings : list of str
    """

    model: LogLinearModel
    table: CompleteTable
    fitted: np.ndarray = field(repr=False)
    beta: np.ndarray = field(repr=False)
    deviance: float
    df_residual: int
    rank: int
    loglik: float
    aic: float
    aicc: float
    bic: float
    nhat: float
    status: str
    existence: ExistenceCheck | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)

    @property
    def identified(self) -> bool:
        """True when the fit gives a finite, identified N̂."""
        return self.status in ("ok", "extended")

    @property
    def n_observed(self) -> int:
        """Persons observed."""
        return int(self.table.y.sum())

    @property
    def dark_figure(self) -> float:
        """Estimated number never registered: N̂ minus observed."""
        return self.nhat - self.n_observed

    def nhat_by(self, by: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
        """N̂ per group of covariate levels: the sum of fitted values over all cells.

        This is Cruyff's ``mse`` definition (fitted, not observed, counts in the
        observable cells), so that subgroup totals add up to the model's table.

        Parameters
        ----------
        by : tuple of covariate names (empty: the total)

        Returns
        -------
        DataFrame with the `by` columns, ``observed`` and ``nhat``.
        """
        by = tuple(by)
        idx, labels = self.table.group_index(by)
        g = len(labels)
        obs = np.bincount(idx, weights=self.table.y, minlength=g)
        nh = np.bincount(idx, weights=np.nan_to_num(self.fitted, nan=np.inf), minlength=g)
        hid_nan = np.bincount(idx, weights=np.isnan(self.fitted).astype(float), minlength=g)
        nh = np.where(hid_nan > 0, np.nan, nh)
        out = labels.copy()
        out["observed"] = obs.astype(np.int64)
        out["nhat"] = nh
        return out

    def coefficients(self) -> pd.Series:
        """Coefficients named as R names them but with covariate levels bracketed (X4[2], R: X42), shape (p,)."""
        return pd.Series(self.beta, index=self.table.column_names(self.model))

    def summary(self) -> dict:
        """Plain-dict summary (model, N̂, fit statistics, status, warnings)."""
        return {
            "model": self.model.formula(),
            "nhat": None if not np.isfinite(self.nhat) else self.nhat,
            "observed": self.n_observed,
            "deviance": self.deviance,
            "df": self.df_residual,
            "rank": self.rank,
            "aic": self.aic,
            "aicc": self.aicc,
            "bic": self.bic,
            "status": self.status,
            "warnings": list(self.warnings),
        }


def _information_criteria(loglik: float, rank: int, n: float, n_coef: int) -> tuple[float, float, float]:
    aic = -2.0 * loglik + 2.0 * rank
    # Cruyff's AICc counts all coefficients, aliased ones included (length(coef(m)))
    denom = n - n_coef - 1
    aicc = aic + (2.0 * n_coef * (n_coef + 1) / denom if denom > 0 else np.inf)
    bic = -2.0 * loglik + np.log(n) * rank
    return aic, aicc, bic


@single_threaded
def fit_model(
    table: CompleteTable,
    model: LogLinearModel,
    *,
    y: np.ndarray | None = None,
    mu_start: np.ndarray | None = None,
    check: bool | str = "auto",
    tol: float = 1e-10,
    quick_boundary: bool = False,
    floor: float = 1e-10,
) -> LogLinearFit:
    """Fit a hierarchical Poisson log-linear model to the observable cells.

    Parameters
    ----------
    table : CompleteTable
    model : LogLinearModel
    y : ndarray of shape (n_cells,), optional
        Counts to fit instead of ``table.y`` (bootstrap replicates).
    mu_start : ndarray of shape (n_observable,), optional
        Warm start.
    check : {"auto", True, False}
        Run the linear-programming existence check of the MLE (Fienberg & Rinaldo
        2012): always (True), never (False), or when a zero cell is fitted near 0
        ("auto", the default: a cheap screen that only calls the LP when needed).
    tol : float
        Convergence tolerance on the relative deviance change.
    quick_boundary : bool
        Before the linear programs, try :func:`_zero_margin_existence` (empty overlaps and
        other zero margins; no LP). Same facial set, status and N̂; the reported infinite
        parameters are the zero-margin ones. For bootstrap replicates, where only the fit counts.
    floor : float
        Smallest starting fitted value of the warm start (:func:`irls_poisson`).

    Returns
    -------
    LogLinearFit
        With ``status`` saying whether N̂ is identified. A model whose MLE does not
        exist is refitted as the extended MLE on the facial set; if the hidden cells
        are not identified there, ``nhat`` is NaN (never a huge number).
    """
    yall = table.y if y is None else np.asarray(y, dtype=float)
    obs = table.observable
    xall = table.design(model)
    x = xall[obs]
    xh = xall[table.hidden]
    yo = yall[obs]
    n_obs_persons = float(yo.sum())
    # the non-aliased columns depend on the model and the observable cells only: found once per
    # model (the table's cache is shared by its bootstrap copies, which refit the same models)
    cache = getattr(table, "_existence_cache", None)
    used = None if cache is None else cache.get((model, "columns"))
    if used is None:
        used = _fast_independent(x)
        if cache is not None and len(cache) < 50_000:
            cache[(model, "columns")] = used
    beta, mu, dev, rank, conv, used = irls_poisson(x, yo, mu_start, tol=tol, used=used, floor=floor)
    warnings: list[str] = []
    existence = None
    zero = yo == 0
    # Cheap screen: a diverging parameter shows as a huge coefficient or a zero cell
    # fitted at ~0; only then is the LP needed.
    suspicious = (
        not conv
        or (zero.any() and np.min(mu[zero], initial=np.inf) < 1e-9)
        or (beta.size > 1 and np.max(np.abs(beta[1:])) > 15)
    )
    need_lp = check is True or (check == "auto" and suspicious)
    status = "ok"
    mu_full = mu
    hidden_state = None
    # residual df on the cells the fit can use: an extended MLE forces cells to 0, and the
    # parameters that go to -inf vanish on the remaining cells (glm on the reduced table)
    df_residual = int(obs.sum() - rank)
    if need_lp:
        key = (model, np.packbits(yo > 0).tobytes())
        existence = None if cache is None else cache.get(key)
        if existence is None and quick_boundary and zero.any():
            existence = _zero_margin_existence(x, yo, xh, mu, table.column_names(model))
        if existence is None:
            existence = check_existence(x, yo, xh, names=table.column_names(model),
                                        mu=mu if conv and rank == x.shape[1] else None)
            if cache is not None and len(cache) < 50_000:
                cache[key] = existence
        hidden_state = existence.hidden_state
        if not existence.mle_exists:
            facial = existence.facial_set
            beta, mu_f, _, rank_f, conv, used = irls_poisson(x[facial], yo[facial], mu[facial], tol=tol)
            df_residual = int(facial.sum() - rank_f)
            mu_full = np.zeros_like(yo)
            mu_full[facial] = mu_f
            dev = _deviance(yo, mu_full)
            status = "extended" if existence.identified else "not identified"
            warnings.append(existence.message())
        elif not existence.identified:
            status = "not identified"
            warnings.append(existence.message())
    elif rank < x.shape[1]:
        # aliased columns: the hidden cells must still be estimable (SparseMSE's ierr = 2)
        ok = _row_space_mask(x, xh)
        hidden_state = np.where(ok, "finite", "undetermined")
        if not ok.all():
            status = "not identified"
            warnings.append(
                "the design is rank deficient and the unobserved cell is not identified "
                "(a combination of parameters is not estimable from the observable cells)"
            )
    if not need_lp and suspicious and status == "ok" and check is False:
        status = "boundary"
        warnings.append("the MLE may not exist (a parameter diverges); existence not checked")
    if not conv and status == "ok":
        status = "not converged"
        warnings.append("the Poisson fit did not converge; the estimate is unreliable")
    fitted = np.zeros(table.n_cells)
    fitted[obs] = mu_full
    eta_h = xh @ beta
    fh = np.exp(np.minimum(eta_h, 700.0))
    if hidden_state is not None:
        fh = np.where(hidden_state == "finite", fh, np.where(hidden_state == "zero", 0.0, np.nan))
    fitted[table.hidden] = fh
    if hidden_state is not None and np.any(hidden_state == "zero"):
        nz = int(np.sum(hidden_state == "zero"))
        warnings.append(
            f"the model drives the unobserved cell of {nz} of {len(hidden_state)} stratum(s) to 0 "
            "(MLE on the boundary): it claims nobody there was missed, which the data cannot support"
        )
    # further unobservable cells (declared structural zeros) stay 0
    ll = float(np.sum(yo * np.log(np.where(mu_full > 0, mu_full, 1.0)) - mu_full - gammaln(yo + 1)))
    aic, aicc, bic = _information_criteria(ll, rank, n_obs_persons, n_coef=x.shape[1])
    nhat = float(n_obs_persons + np.sum(fh))
    if not np.isfinite(nhat):
        status = "not identified"
        nhat = float("nan")
    return LogLinearFit(
        model=model,
        table=table,
        fitted=fitted,
        beta=beta,
        deviance=dev,
        df_residual=df_residual,
        rank=rank,
        loglik=ll,
        aic=aic,
        aicc=aicc,
        bic=bic,
        nhat=nhat,
        status=status,
        existence=existence,
        warnings=warnings,
    )
