"""The joint log-linear model of many strata behind :func:`~darkfigure.strata.pooled.pooled_search`.

Its fit (stratum-specific intercepts and list main effects, interactions common to all strata),
the strata's tables stacked over the observable capture patterns, the interaction columns and the
stepwise search shared with :func:`~darkfigure.strata.pooled_collapsed.collapsed_search`; the
method and its sources are in :mod:`darkfigure.strata.pooled`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._blas import single_threaded
from ..loglinear.design import CompleteTable
from ..loglinear.terms import LogLinearModel

__all__ = ["joint_deviance"]

#: a common interaction whose joint MLE exceeds this in absolute value is taken as diverging (not admissible)
_DIVERGED = 15.0


def _masked_deviance(y: np.ndarray, mu: np.ndarray, w_ok: np.ndarray) -> float:
    """Poisson deviance 2 Σ w [y log(y/μ) − (y − μ)] over the cells with weight `w_ok` 1 (the others 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
    return float(2 * np.sum(t * w_ok))


def _halved_step(new: np.ndarray, eta: np.ndarray, dev: float, dev_of) -> tuple[np.ndarray, np.ndarray, float]:
    """Step halving of an IRLS step (linear predictor `new` from `eta`): halve towards `eta` until the
    deviance no longer rises (at most 30 times). Returns the step, its fitted means and deviance."""
    for _h in range(30):
        mu_new = np.exp(new)
        d = dev_of(mu_new)
        if d <= dev + 1e-9 * (1 + abs(dev)):
            break
        new = (new + eta) / 2
    return new, mu_new, d


def joint_deviance(y: np.ndarray, mask: np.ndarray, bits: np.ndarray, z: np.ndarray, max_iter: int = 100,
                   tol: float = 1e-10) -> tuple[float, int]:
    """Deviance of the Poisson log-linear model of S strata with stratum-specific main effects and common interactions.

    log mu_sp = beta_s0 + sum_j bits_pj beta_sj + z_p . gamma over the observable patterns p of the lists (the
    unseen cell is not in the likelihood), fitted by iteratively reweighted least squares with the
    stratum blocks eliminated by their Schur complement (per iteration a (k+1) x (k+1) solve per stratum and
    one q x q solve), with step halving.

    Parameters
    ----------
    y : ndarray of float, shape (S, P)
        Counts of the P = 2^k - 1 observable capture patterns per stratum.
    mask : ndarray of bool, shape (S, P)
        Cells in stratum s's likelihood (False for patterns with a list the stratum does not fit).
    bits : ndarray of float, shape (P, k)
        The patterns (0/1).
    z : ndarray of float, shape (P, q)
        Interaction columns common to all strata (q may be 0).

    Returns
    -------
    (float, int)
        The deviance against the saturated model of the masked cells, and the number of free
        parameters (stratum intercepts and main effects of the lists each stratum fits, plus q).
        Interactions whose MLE is infinite (e.g. two lists that share nobody in any stratum) leave
        the deviance at its limit, the extended MLE's.
    """
    dev, n_par, _ = _joint_fit(y, mask, bits, z, max_iter, tol)
    return dev, n_par


@single_threaded
def _joint_fit(y: np.ndarray, mask: np.ndarray, bits: np.ndarray, z: np.ndarray, max_iter: int = 100,
               tol: float = 1e-10) -> tuple[float, int, np.ndarray]:
    """As :func:`joint_deviance`, also returning the common interactions' estimates gamma, shape (q,)."""
    y = np.asarray(y, dtype=float)
    m = np.asarray(mask, dtype=bool)
    S, P = y.shape
    x0 = np.hstack([np.ones((P, 1)), np.asarray(bits, dtype=float)])  # (P, k+1)
    k1 = x0.shape[1]
    z = np.asarray(z, dtype=float).reshape(P, -1)
    q = z.shape[1]
    # a list a stratum does not fit has no cell in its likelihood: its main effect is fixed at 0 (ridge of 1)
    unused = np.zeros((S, k1), dtype=bool)
    unused[:, 1:] = ~(m[:, :, None] & (x0[None, :, 1:] > 0)).any(axis=1)
    ridge = np.zeros((S, k1, k1))
    ridge[:, np.arange(k1), np.arange(k1)] = unused
    w_ok = m.astype(float)

    def dev_of(mu):
        """Poisson deviance of fitted means `mu` (shape of y) against the stacked strata's counts y."""
        return _masked_deviance(y, mu, w_ok)

    eta = np.where(m, np.log(y + 0.5), 0.0)
    mu = np.exp(eta)
    dev = np.inf  # the start is not a point of the model: the first step is taken whole
    for _ in range(max_iter):
        w = mu * w_ok
        zz = eta + np.where(m, (y - mu) / mu, 0.0)
        wz = w * zz
        a = np.einsum("pi,sp,pj->sij", x0, w, x0, optimize=True) + ridge
        r1 = np.einsum("pi,sp->si", x0, wz)
        if q:
            b = np.einsum("pi,sp,pq->siq", x0, w, z, optimize=True)
            ainv_b = np.linalg.solve(a, b)
            ainv_r = np.linalg.solve(a, r1[..., None])[..., 0]
            sch = np.einsum("pa,sp,pb->ab", z, w, z, optimize=True) - np.einsum("siq,sir->qr", b, ainv_b)
            rhs = np.einsum("pa,sp->a", z, wz) - np.einsum("siq,si->q", b, ainv_r)
            gamma = np.linalg.lstsq(sch, rhs, rcond=None)[0]
            beta = ainv_r - np.einsum("siq,q->si", ainv_b, gamma)
            new = beta @ x0.T + (z @ gamma)[None, :]
        else:
            new = np.linalg.solve(a, r1[..., None])[..., 0] @ x0.T
        new = np.where(m, np.clip(new, -40.0, 40.0), 0.0)
        new, mu_new, d = _halved_step(new, eta, dev, dev_of)
        done = np.isfinite(dev) and abs(dev - d) <= tol * (1 + abs(d))
        eta, mu, dev = new, mu_new, d
        if done:
            break
    n_par = int(np.sum(~unused)) + q
    return dev, n_par, (gamma if q else np.zeros(0))


def _stack(tables: Sequence[tuple[Sequence[str], CompleteTable]], lists: Sequence[str]
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The strata's counts of the 2^k - 1 observable patterns over all `lists`.

    Returns bits (P, k) int8, y (S, P) float and mask (S, P) bool (False: a pattern with a list the
    stratum does not fit).
    """
    lists = tuple(lists)
    k = len(lists)
    bits = ((np.arange(1, 2 ** k)[:, None] >> np.arange(k)[None, ::-1]) & 1).astype(np.int8)  # (P, k)
    code = {tuple(b): j for j, b in enumerate(bits.tolist())}
    y = np.zeros((len(tables), len(bits)))
    mask = np.zeros_like(y, dtype=bool)
    for r, (used, table) in enumerate(tables):
        ok_cols = np.array([a in used for a in lists])
        mask[r] = ~(bits[:, ~ok_cols] > 0).any(axis=1)
        h = table.histories.table
        full = np.zeros((len(h), k), dtype=np.int8)
        for a in used:
            full[:, lists.index(a)] = h[a].to_numpy()
        for row, c in zip(full.tolist(), h["count"].to_numpy(), strict=True):
            y[r, code[tuple(row)]] += c
    return bits, y, mask


def _stepwise(start: LogLinearModel, score, max_order: int) -> tuple[LogLinearModel, float, list[dict]]:
    """R's ``step()`` in both directions from `start`: every addable and droppable interaction is tried, the move
    that lowers `score` most is taken, until none lowers it. Returns (model, its score, the path's rows)."""
    cur, cur_s = start, score(start)
    rows = [{"step": 0, "move": "start", "model": cur.label(), "score": cur_s}]
    step = 0
    while True:
        moves = [("+", t, cur.add(t)) for t in cur.addable(max_order)]
        moves += [("-", t, cur.drop(t)) for t in cur.droppable()]
        best = None
        for sign, t, m in moves:
            s = score(m)
            if s < cur_s - 1e-9 and (best is None or s < best[0]):
                best = (s, sign, t, m)
        if best is None:
            break
        step += 1
        cur_s, sign, t, cur = best
        rows.append({"step": step, "move": f"{sign}{':'.join(t)}", "model": cur.label(), "score": cur_s})
    return cur, cur_s, rows


def _interaction_columns(model: LogLinearModel, lists: Sequence[str], bits: np.ndarray) -> np.ndarray:
    """Columns of `model`'s interactions over the observable patterns `bits` (P, k): shape (P, q), sorted terms."""
    order = {v: j for j, v in enumerate(lists)}
    cols = [np.prod(bits[:, [order[v] for v in t]], axis=1) for t in sorted(model.interactions)]
    return np.column_stack(cols).astype(float) if cols else np.zeros((len(bits), 0))
