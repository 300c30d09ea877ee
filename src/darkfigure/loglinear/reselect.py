"""Re-selection of the list interactions inside each bootstrap replicate (:class:`_Reselect`).

The machinery behind ``reselect`` of :func:`darkfigure.loglinear.averaging.averaged_bootstrap`; its own
module so that :mod:`darkfigure.loglinear.averaging` keeps to the averaging itself. ``_Reselect`` is still
importable from there. Method and references: the docstring of :mod:`darkfigure.loglinear.averaging`.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from .existence import interior_certificate
from .fit import LogLinearFit, _fast_independent, irls_poisson
from .terms import LogLinearModel


class _Reselect:
    """Stepwise re-selection of the list interactions in one bootstrap replicate, by score and Wald steps.

    The model search is repeated in every replicate (Buckland, Burnham & Augustin 1997,
    sec. 3.2; Efron 2014, JASA 109:991-1007), made affordable: the replicate is first
    fitted by a start model (``start="component"``: its mixture component's model m;
    ``start="lower"``: the search's own start, `lower` without any list interaction, as
    the search on the data began), then the search moves stepwise (both directions, as
    R's ``step``) over the interactions among lists up to `max_order` (two-list terms,
    and three-list terms with ``max_order=3``; a term is offered only when all its
    lower-order list terms are in, and dropped only when no higher one holds it), every
    other term held. Each move is chosen by the one-step approximation of the change in
    -2 logL + k p: adding a term with score statistic S changes it by about k - S (Rao's
    score test), dropping one with Wald statistic W by about W - k; the chosen model is
    refitted (warm start) before the next move, at most `max_steps` moves. The
    replicate's totals are those of the model it ends in.

    All models are sub-designs of one superset design: `lower` (the terms the search
    never drops) plus one 0/1 column per list interaction (for 0/1 lists a term among
    lists has one column whatever the coding). A component whose extra terms are not list
    interactions within `max_order` (list x covariate terms of Cruyff's search with
    covariates) is not re-selected (``ok`` False).

    A component whose MLE lies on the boundary (extended MLE: cells fitted at 0, e.g.
    lists that share nobody) draws replicates with nobody in those cells; its moves are
    chosen on the cells of its facial set. When the model a replicate ends in is not
    certified interior on all cells (or the component was on the boundary), the caller
    refits that model with the existence check (:meth:`model_of`), as the fixed-model
    bootstrap does.

    Parameters
    ----------
    fit : LogLinearFit
        The mixture component (the replicate's generating model; its refit is the
        caller's fallback).
    lower : LogLinearModel
        Terms always kept (the search's start: :func:`~darkfigure.loglinear.selection.reselection_start`).
    k : float
        Penalty per parameter (2 for AIC, log n for BIC).
    max_steps : int
        Most moves per replicate (from ``start="lower"``: plus the number of list
        interactions in the component).
    cache : dict, optional
        Column-aliasing cache shared between the components.
    max_order : int
        Highest order of the list interactions searched (>= 2).
    start : {"component", "lower"}
        Where the moves start.
    """

    def __init__(
        self,
        fit: LogLinearFit,
        lower: LogLinearModel,
        k: float,
        max_steps: int = 3,
        cache: dict | None = None,
        max_order: int = 2,
        start: str = "component",
    ):
        t = fit.table
        lists = list(t.histories.lists)
        self.terms = [
            tuple(c)
            for r in range(2, max(2, min(max_order, len(lists))) + 1)
            for c in combinations(lists, r)
            if tuple(c) not in lower.interactions
        ]
        self.pairs = self.terms  # the name the first version used (two-list terms only)
        extra = fit.model.interactions - lower.interactions
        self.ok = bool(self.terms) and extra <= set(self.terms) and lower.interactions <= fit.model.interactions
        if not self.ok:
            return
        index = {c: i for i, c in enumerate(self.terms)}
        # hierarchy: a term is added only with all its lower-order list terms, dropped only without any higher one
        self.sub = [[index[s] for r in range(2, len(c)) for s in combinations(c, r) if s in index] for c in self.terms]
        self.sup = [[j for j, d in enumerate(self.terms) if len(d) > len(c) and set(c) < set(d)] for c in self.terms]
        base = t.design(lower)
        pcols = np.hstack([t.block(p) for p in self.terms])
        z = np.hstack([base, pcols])
        self.p0 = base.shape[1]
        self.lower = lower
        self.variables = t.variables
        self.obs_idx = np.flatnonzero(t.observable)
        self.keep = np.ones(len(self.obs_idx), dtype=bool)
        if fit.existence is not None and not fit.existence.mle_exists:
            self.keep = np.asarray(fit.existence.facial_set, dtype=bool)  # cells the component fits above 0
        self.hidden_index = np.flatnonzero(t.hidden)
        self.z_obs = z[self.obs_idx[self.keep]]
        self.z_hid = z[self.hidden_index]
        self.hidden_zero = fit.fitted[self.hidden_index] == 0
        self.mask0 = np.array([p in fit.model.interactions for p in self.terms])
        self.mu0 = fit.fitted[self.obs_idx[self.keep]]
        self.max_steps = max_steps
        if start == "lower":
            # from the search's start the component's own terms are moves too: the same budget of other moves
            self.max_steps += int(self.mask0.sum())
            self.mask0[:] = False
        elif start != "component":
            raise ValueError(f"start must be 'component' or 'lower', not {start!r}")
        self.k = k
        self.n_cells = t.n_cells
        self._used: dict[bytes, np.ndarray] = {} if cache is None else cache  # aliasing per model, shared

    def model_of(self, mask: np.ndarray) -> LogLinearModel:
        """The model with the terms of `lower` and the list interactions flagged in `mask`."""
        return LogLinearModel.make(
            self.variables, list(self.lower.interactions) + [c for c, m in zip(self.terms, mask) if m]
        )

    def _cols(self, mask: np.ndarray) -> np.ndarray:
        return np.concatenate([np.arange(self.p0), self.p0 + np.flatnonzero(mask)])

    def _fit(self, mask: np.ndarray, y: np.ndarray, mu_start: np.ndarray):
        cols = self._cols(mask)
        x = self.z_obs[:, cols]
        key = mask.tobytes()
        used = self._used.get(key)
        if used is None:
            used = self._used[key] = _fast_independent(x)
        beta, mu, _, _, conv, used = irls_poisson(x, y, mu_start, tol=1e-8, used=used)
        return bool(conv and np.isfinite(beta).all()), cols, beta, mu, used

    def _interior(self, y: np.ndarray, cols: np.ndarray, mu: np.ndarray, used: np.ndarray) -> bool:
        # the MLE exists (Haberman 1974); checked for the model a replicate ends in only
        return bool((y > 0).all() or interior_certificate(self.z_obs[:, cols[used]], y, mu))

    def _move(self, mask, y, cols, beta, mu, used) -> int | None:
        """Index of the term to add or drop (the largest approximate decrease of -2 logL + k p), or None."""
        x = self.z_obs[:, cols[used]]
        a = x.T @ (mu[:, None] * x)
        try:
            ainv = np.linalg.inv(a)
        except np.linalg.LinAlgError:
            return None
        delta = np.full(len(self.terms), np.inf)
        add = [j for j in np.flatnonzero(~mask) if mask[self.sub[j]].all()]
        if len(add):
            pa = self.z_obs[:, self.p0 + np.asarray(add)]
            c = x.T @ (mu[:, None] * pa)
            v = np.einsum("ij,ij->j", pa, mu[:, None] * pa) - np.einsum("ij,ij->j", c, ainv @ c)
            u = pa.T @ (y - mu)
            with np.errstate(divide="ignore", invalid="ignore"):
                s = np.where(v > 1e-8 * np.maximum(np.einsum("ij,ij->j", pa, mu[:, None] * pa), 1e-300), u * u / v, 0.0)
            delta[add] = self.k - s
        pos = {int(c): i for i, c in enumerate(cols[used])}
        for j in np.flatnonzero(mask):
            if mask[self.sup[j]].any():
                continue
            i = pos.get(self.p0 + int(j))
            if i is not None and ainv[i, i] > 0:
                delta[j] = beta[used[i]] ** 2 / ainv[i, i] - self.k
        j = int(np.argmin(delta))
        return j if delta[j] < -1e-7 else None

    def __call__(self, y_cells: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Re-select on one replicate (complete table of counts, hidden cells 0).

        Returns
        -------
        full : ndarray of shape (n_cells,) or None
            Complete fitted table of the re-selected model; None when the caller must
            refit: the component's model (`mask` None: the first fit failed) or the
            model of `mask` with the existence check (boundary component or final fit
            not certified interior).
        mask : ndarray of bool of shape (n_terms,) or None
            The list interactions of the model the replicate ends in.
        """
        y_all = y_cells[self.obs_idx]
        if not self.keep.all() and y_all[~self.keep].sum() > 0:
            return None, None  # persons where the component says nobody can be: its refit decides
        y = y_all[self.keep]
        mask = self.mask0.copy()
        good, cols, beta, mu, used = self._fit(mask, y, self.mu0)
        if not good:
            return None, None
        for _ in range(self.max_steps):
            j = self._move(mask, y, cols, beta, mu, used)
            if j is None:
                break
            new = mask.copy()
            new[j] = not new[j]
            g2, c2, b2, m2, u2 = self._fit(new, y, mu)
            if not g2:
                break
            mask, cols, beta, mu, used = new, c2, b2, m2, u2
        if not self.keep.all() or not self._interior(y, cols, mu, used):
            return None, mask  # a boundary fit: the caller refits this model with the existence check
        fh = np.where(self.hidden_zero, 0.0, np.exp(np.minimum(self.z_hid[:, cols] @ beta, 700.0)))
        if not np.isfinite(fh).all() or fh.sum() > 1e6 * max(y.sum(), 1.0):
            return None, mask
        full = np.zeros(self.n_cells)
        full[self.obs_idx] = mu
        full[self.hidden_index] = fh
        return full, mask
