"""SparseMSE's stepwise search run on many tables at once, in lockstep (bootstrap re-selection).

The nonparametric bootstrap of SparseMSE's ``estimatepopulation`` (Chan, Silverman & Vincent 2021,
JASA 116:1297-1306, sec. 4) repeats the p-value search (:func:`darkfigure.loglinear.search.pvalue_search`)
in every replicate and in every jackknife deletion. Done one replicate at a time, that is ~7 small
fits and a hundred Python-level steps per replicate. Here all replicates take the search's steps
together: at each step the p-values of every pair in every replicate are one array expression, the
replicates that try the same model are grouped, and each group is fitted by one batched IRLS
(:func:`.fit_batch.irls_poisson_batch`). Every decision is the one :func:`pvalue_search` takes for
that replicate alone (same p-values, same order of candidates, same existence checks); a replicate
whose fit needs what only the one-by-one path does (a linear program of the existence check, an
aliased design, a fit that does not converge) is handed back to the caller, who runs the ordinary
search on it. :class:`BatchFitter` is the batched counterpart of
:func:`darkfigure.loglinear.fit.fit_model` (``check="auto"`` or ``True``, ``quick_boundary=True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._special import pdtr, pdtrc
from .design import CompleteTable
from .existence import _row_space_mask
from .fit import _fast_independent
from .fit_batch import GramProducts, interior_certificate_batch, irls_poisson_batch
from .terms import LogLinearModel

__all__ = ["BatchFitter", "pvalue_search_batch", "poisson_smaller_tail_array"]

# outcome codes of a batched fit
OK, EXTENDED, NOT_IDENTIFIED, FALLBACK = 0, 1, 2, -1
STATUS = {OK: "ok", EXTENDED: "extended", NOT_IDENTIFIED: "not identified"}
# batched fits needing more Newton iterations than this are redone one by one (fit_model stops at 100)
_MAX_ITER = 30


@dataclass
class _ModelParts:
    """One model's design on the observable and hidden cells, and what the batched fits reuse."""

    x: np.ndarray  # (n_obs, p)
    xh: np.ndarray  # (s, p)
    full_rank: bool
    ax: np.ndarray  # |x|
    margin_cols: np.ndarray  # (p,) bool: columns of one sign, not all 0 (a zero margin forces their cells to 0)
    gram: GramProducts | None
    faces: dict = field(default_factory=dict)


class BatchFitter:
    """:func:`~darkfigure.loglinear.fit.fit_model` with ``quick_boundary=True`` for many count vectors at once.

    For each row of counts the outcome is the one ``fit_model`` gives, or "fall back" where that
    would need more than this class does:

    * the Poisson fit by batched IRLS (same iteration, tolerance and start as ``fit_model``);
    * ``fit_model``'s screen (not converged, a zero cell fitted below 1e-9, |beta| > 15) decides
      whether the existence check runs (always with ``check=True``);
    * the check without linear programs: an interior certificate (Haberman 1974, Thm 2.3; the
      batched, slightly stricter test of :func:`.fit_batch.interior_certificate_batch`) proves the
      MLE exists (status ``ok``); zero margins of one-sign columns give the facial set, certified by
      one Newton step on it, with N̂ identified when the hidden rows lie in its row space
      (status ``extended``, refitted on the facial set: :func:`.fit._zero_margin_existence`);
    * everything else (aliased columns, an uncertified fit, a boundary the zero margins do not
      explain) falls back: the caller runs ``fit_model`` on that row.

    Parameters
    ----------
    table : CompleteTable
        The design; its counts are not used (rows of counts are passed to :meth:`fit`).
    """

    def __init__(self, table: CompleteTable):
        self.table = table
        self.obs = np.asarray(table.observable, dtype=bool)
        self.hidden = np.asarray(table.hidden, dtype=bool)
        self._parts: dict[LogLinearModel, _ModelParts] = {}

    def parts(self, model: LogLinearModel) -> _ModelParts:
        """The model's design pieces (built once per model)."""
        mp = self._parts.get(model)
        if mp is None:
            xall = self.table.design(model)
            x, xh = xall[self.obs], xall[self.hidden]
            used = _fast_independent(x)
            full = len(used) == x.shape[1]
            ax = np.abs(x)
            one_sign = (x >= 0).all(axis=0) | (x <= 0).all(axis=0)
            mp = _ModelParts(x, xh, full, ax, one_sign & (ax.sum(axis=0) > 0), GramProducts(x) if full else None)
            self._parts[model] = mp
        return mp

    def fit(
        self, model: LogLinearModel, y: np.ndarray, mu_start: np.ndarray, check: bool | str = "auto", tol: float = 1e-10
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Fit `model` to every row of `y`.

        Parameters
        ----------
        model : LogLinearModel
        y : ndarray of shape (m, n_obs)
            Counts of the observable cells.
        mu_start : ndarray of shape (m, n_obs)
            Starting values (``fit_model``'s `mu_start`; ``y + 0.1`` for its default).
        check : {"auto", True}
            As ``fit_model``'s.
        tol : float
            As ``fit_model``'s.

        Returns
        -------
        code : ndarray of int, shape (m,)
            ``OK``, ``EXTENDED``, ``NOT_IDENTIFIED`` (no finite N̂) or ``FALLBACK``.
        mu : ndarray of shape (m, n_obs)
            Fitted values of the observable cells (0 outside the facial set).
        fh : ndarray of shape (m, s)
            Fitted values of the hidden cells.
        """
        mp = self.parts(model)
        m, n = y.shape
        code = np.full(m, FALLBACK, dtype=np.int64)
        mu_out = np.zeros((m, n))
        fh_out = np.zeros((m, mp.xh.shape[0]))
        if not mp.full_rank or m == 0:
            return code, mu_out, fh_out
        its = np.zeros(m, dtype=np.int64)
        with np.errstate(all="ignore"):  # overflowing rows are not converged: they fall back
            beta, mu, _, conv = irls_poisson_batch(mp.x, y, mu_start, tol=tol, gram=mp.gram, n_iter=its)
        # a long iteration (a first Newton step that overshot by far) is numerically fragile: whether it
        # converges within fit_model's 100 iterations can hang on rounding, so such rows go one by one
        conv &= its <= _MAX_ITER
        zero = y == 0
        anyzero = zero.any(axis=1)
        with np.errstate(invalid="ignore"):
            muz = np.where(zero, mu, np.inf).min(axis=1, initial=np.inf)
            big = np.abs(beta[:, 1:]).max(axis=1, initial=0.0) > 15 if beta.shape[1] > 1 else np.zeros(m, dtype=bool)
        finite = np.isfinite(mu).all(axis=1) & np.isfinite(beta).all(axis=1)
        suspicious = ~conv | (anyzero & ~(muz >= 1e-9)) | big | ~finite
        need = suspicious | (check is True)
        zc = ((y @ mp.ax) == 0) & mp.margin_cols  # (m, p) zero margins
        quick = need & anyzero & zc.any(axis=1) & finite  # fit_model tries the zero margins first
        good = conv & finite
        # without zeros the check finds the MLE; with zeros and no zero margin, check_existence starts from
        # the interior certificate of a converged fit (its linear programs: the caller's one-by-one fit)
        ok = ~need | (need & ~anyzero & good)
        cert = np.flatnonzero(need & anyzero & ~quick & good)
        if cert.size:
            ok[cert[interior_certificate_batch(mp.x, y[cert], mu[cert], gram=mp.gram)]] = True
        idx = np.flatnonzero(ok)
        if idx.size:
            code[idx] = OK
            mu_out[idx] = mu[idx]
            with np.errstate(over="ignore"):
                fh_out[idx] = np.exp(np.minimum(beta[idx] @ mp.xh.T, 700.0))
        q = np.flatnonzero(quick)
        if q.size:
            fs_all = ~((zc[q].astype(np.float64) @ (mp.ax.T > 0).astype(np.float64)) > 0)  # (mq, n) facial sets
            keys = np.packbits(fs_all, axis=1)
            _, grp = np.unique(keys, axis=0, return_inverse=True)
            for g in np.unique(grp):
                rows = q[grp.ravel() == g]
                self._extended(mp, fs_all[np.flatnonzero(grp.ravel() == g)[0]], rows, y, mu, tol, code, mu_out, fh_out)
        done = (code == OK) | (code == EXTENDED)
        with np.errstate(invalid="ignore", over="ignore"):
            bad = done & ~np.isfinite(fh_out.sum(axis=1))
        code[bad] = NOT_IDENTIFIED
        return code, mu_out, fh_out

    def _extended(self, mp: _ModelParts, fs: np.ndarray, rows, y, mu, tol, code, mu_out, fh_out) -> None:
        """Rows whose zero margins give the facial set `fs`: certify, check N̂'s identification, refit on `fs`."""
        if fs.all() or not fs.any():
            return
        key = np.packbits(fs).tobytes()
        face = mp.faces.get(key)
        if face is None:
            xf = mp.x[fs]
            keep = np.flatnonzero(np.abs(xf).sum(axis=0) > 0)
            cols = keep[_fast_independent(xf[:, keep])]
            used_f = _fast_independent(xf)
            in_row = bool(_row_space_mask(xf, mp.xh).all())
            face = (cols, used_f, in_row, GramProducts(xf[:, cols]), GramProducts(xf[:, used_f]))
            mp.faces[key] = face
        cols, used_f, in_row, g_cert, g_fit = face
        if not in_row:
            return
        yf, muf0 = y[rows][:, fs], mu[rows][:, fs]
        xf = mp.x[fs]
        c = interior_certificate_batch(xf[:, cols], yf, np.maximum(muf0, 1e-300), gram=g_cert)
        rows, yf, muf0 = rows[c], yf[c], muf0[c]
        if rows.size == 0:
            return
        its = np.zeros(rows.size, dtype=np.int64)
        with np.errstate(all="ignore"):
            b, muf, _, conv = irls_poisson_batch(xf[:, used_f], yf, np.maximum(muf0, 1e-10), tol=tol, gram=g_fit,
                                                 n_iter=its)
        conv &= its <= _MAX_ITER
        rows, b, muf = rows[conv], b[conv], muf[conv]
        code[rows] = EXTENDED
        full = np.zeros((rows.size, y.shape[1]))
        full[:, fs] = muf
        mu_out[rows] = full
        with np.errstate(over="ignore"):
            fh_out[rows] = np.exp(np.minimum(b @ mp.xh[:, used_f].T, 700.0))


def poisson_smaller_tail_array(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """:func:`~darkfigure.loglinear.search.poisson_smaller_tail` elementwise (same values), any shape."""
    from .search import poisson_smaller_tail

    k = np.rint(np.asarray(observed, dtype=float))
    lam = np.asarray(expected, dtype=float)
    with np.errstate(invalid="ignore"):
        lower = pdtr(k, np.where(lam > 0, lam, 1.0))
        upper = np.where(k > 0, pdtrc(k - 1, np.where(lam > 0, lam, 1.0)), 1.0)
    p = np.minimum(lower, upper)
    p = np.where(lam > 0, p, np.where(k == 0, 1.0, 0.0))
    tiny = np.flatnonzero((p < 1e-280) & (lam > 0))
    if tiny.size:  # far tails on the log scale, one by one (rare)
        flat_p, flat_k, flat_l = p.reshape(-1), k.reshape(-1), lam.reshape(-1)
        for i in np.flatnonzero(((p < 1e-280) & (lam > 0)).reshape(-1)):
            flat_p[i] = poisson_smaller_tail(flat_k[i], flat_l[i])
        p = flat_p.reshape(p.shape)
    return p


def _tie_order(pv: np.ndarray, rel: float = 1e-9) -> np.ndarray:
    """Per row of `pv` (m, P), the candidates by increasing p-value, earlier ones first among p-values equal to
    within `rel` (SparseMSE takes the first pair with the smallest p; equal overlaps of a symmetric table give
    p-values that differ only by rounding, which the batched and one-by-one sums round differently)."""
    o = np.argsort(pv, axis=1, kind="stable")
    s = np.take_along_axis(pv, o, axis=1)
    new = np.ones_like(s, dtype=bool)
    with np.errstate(invalid="ignore"):
        new[:, 1:] = ~(s[:, 1:] <= s[:, :-1] * (1 + rel))  # inf after inf: its own group
    rank = np.cumsum(new, axis=1)  # tie group of each sorted position
    snapped = np.empty_like(rank)
    np.put_along_axis(snapped, o, rank, axis=1)
    return np.argsort(snapped, axis=1, kind="stable")


def pvalue_search_batch(
    table: CompleteTable,
    y_cells: np.ndarray,
    *,
    pthresh: float = 0.02,
    start: LogLinearModel | None = None,
    fitter: BatchFitter | None = None,
) -> tuple[np.ndarray, list[str | None]]:
    """:func:`~darkfigure.loglinear.search.pvalue_search` (pairs of lists only) on many tables at once.

    Each row of `y_cells` is searched as ``pvalue_search(table.with_counts(row), pthresh=pthresh,
    details=False)`` would: the start model fitted with the existence check, then at each step the
    pairs not in the model ordered by :func:`~darkfigure.loglinear.search.poisson_smaller_tail` of
    their observed overlap under the current fit (stable: earlier pairs first on ties), and the first
    whose model identifies N̂ added while its p-value is below `pthresh`. All rows take their steps
    together; the rows that try the same model at a step are fitted as one batch (:class:`BatchFitter`).

    Parameters
    ----------
    table : CompleteTable
        Without covariates or with (the overlaps are then summed over the strata, as ``pvalue_search``);
        list x covariate terms are not offered (SparseMSE's search).
    y_cells : ndarray of shape (B, n_cells)
        Counts of every cell, one table per row (hidden cells 0).
    pthresh : float in [0, 1)
    start : LogLinearModel, optional
        Default: main effects.
    fitter : BatchFitter, optional
        Reused between calls on the same table (its designs and facial sets are cached).

    Returns
    -------
    fitted : ndarray of shape (B, n_cells)
        The chosen model's fitted values of every cell (NaN rows where the search must be rerun).
    status : list of str or None, length B
        ``"ok"``, ``"extended"`` or ``"not identified"`` of the chosen fit; None where the row needs the
        one-by-one search (:func:`pvalue_search`), which the caller runs.

    Raises
    ------
    ValueError
        `pthresh` outside [0, 1) (``pthresh = 1`` has its own rule in ``pvalue_search``).
    """
    from .sparse import list_pairs

    if not 0 <= pthresh < 1:
        raise ValueError(f"pthresh must be in [0, 1) for the batched search, not {pthresh}")
    fitter = fitter or BatchFitter(table)
    obs, hid = fitter.obs, fitter.hidden
    nb = y_cells.shape[0]
    y = np.ascontiguousarray(y_cells[:, obs], dtype=float)
    pairs = list_pairs(table.histories.lists)
    model0 = start or LogLinearModel.make(table.variables)
    base = list(model0.interactions)
    in0 = np.array([p in model0.interactions for p in pairs], dtype=bool)
    both = np.stack([table.block(p)[obs, 0] == 1 for p in pairs], axis=1).astype(float)  # (n_obs, P)
    nstar = y @ both

    code, mu, fh = fitter.fit(model0, y, y + 0.1, check=True)
    fall = code == FALLBACK
    # a start model without an identified N̂: the one-by-one search knows what to do with it
    fall |= code == NOT_IDENTIFIED
    mask = np.tile(in0, (nb, 1))
    status = code.copy()
    active = np.flatnonzero(~fall) if pthresh > 0 else np.zeros(0, dtype=np.int64)
    models: dict[bytes, LogLinearModel] = {}
    for _ in range(len(pairs)):
        if active.size == 0:
            break
        pv = poisson_smaller_tail_array(nstar[active], mu[active] @ both)
        pv[mask[active]] = np.inf
        order = _tie_order(pv)
        ptr = np.zeros(active.size, dtype=np.int64)
        moved = np.zeros(active.size, dtype=bool)
        pending = np.arange(active.size)
        while pending.size:
            j = order[pending, ptr[pending]]
            pj = pv[pending, j]
            go = pj < pthresh  # inf (a pair in the model, none left) never goes
            pending, j = pending[go], j[go]
            if pending.size == 0:
                break
            new = mask[active[pending]].copy()
            new[np.arange(pending.size), j] = True
            keys = np.packbits(new, axis=1)
            _, grp = np.unique(keys, axis=0, return_inverse=True)
            grp = grp.ravel()
            retry = []
            for g in np.unique(grp):
                sel = np.flatnonzero(grp == g)
                k = keys[sel[0]].tobytes()
                mod = models.get(k)
                if mod is None:
                    mod = models[k] = LogLinearModel.make(table.variables, base + [pairs[i] for i in np.flatnonzero(new[sel[0]])])
                rows = active[pending[sel]]
                c, m2, f2 = fitter.fit(mod, y[rows], mu[rows], check="auto")
                acc = (c == OK) | (c == EXTENDED)
                r_acc = rows[acc]
                mask[r_acc] = new[sel[0]]
                mu[r_acc], fh[r_acc], status[r_acc] = m2[acc], f2[acc], c[acc]
                moved[pending[sel[acc]]] = True
                fall[rows[c == FALLBACK]] = True
                retry.append(pending[sel[c == NOT_IDENTIFIED]])  # refused: the next candidate of that row
            pending = np.concatenate(retry) if retry else np.zeros(0, dtype=np.int64)
            ptr[pending] += 1
            over = ptr[pending] >= order.shape[1]
            pending = pending[~over]
        active = active[moved & ~fall[active]]
    fitted = np.zeros((nb, table.n_cells))  # further unobservable cells (structural zeros) stay 0
    fitted[:, obs] = mu
    fitted[:, hid] = fh
    fitted[fall] = np.nan
    out_status: list[str | None] = [None if fall[i] else STATUS[int(status[i])] for i in range(nb)]
    return fitted, out_status
