"""Batched refits of one fixed log-linear model to bootstrap tables (the bootstrap's workers).

:class:`_FixedModelRefit` refits a whole chunk of replicate tables at once (vectorised IRLS with
shared Gram products), :func:`_draw` draws the replicate tables and :func:`_run_chunk` runs one
chunk in a worker process. Moved unchanged from :mod:`darkfigure.loglinear.bootstrap` (still
importable from there).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from .._blas import single_threaded
from .existence import ExistenceCheck, ExistenceLPError, check_existence, interior_certificate
from .fit import (
    GramProducts,
    LogLinearFit,
    _fast_independent,
    interior_certificate_batch,
    irls_poisson,
    irls_poisson_batch,
)


# ----------------------------------------------------------------------------- workers
@dataclass
class _FixedModelRefit:
    """Everything a worker needs to refit one model to replicate counts."""

    x_obs: np.ndarray  # (n_F, p) design on the cells that can be positive
    cell_index: np.ndarray  # (n_F,) their positions in the complete table
    x_hidden: np.ndarray  # (s, p)
    hidden_index: np.ndarray  # (s,)
    hidden_zero: np.ndarray  # (s,) hidden cells fitted as 0 by the model
    used: np.ndarray
    mu0: np.ndarray  # warm start
    list_cols: np.ndarray  # (n_F, k) 0/1 lists of those cells
    n_cells: int
    gmat: np.ndarray  # (n_group_cells, n_cells)
    n_obs: float

    def snapshot(self) -> _FixedModelRefit:
        """A copy that refits as this job would from its present state, without changing it.

        What a refit learns goes into the containers ``_cache``, ``_faces`` and ``_face_grams`` (entries are
        added, never changed): the copy gets its own containers holding the same entries; the arrays, the
        Gram products and the existence checks are shared, as nothing writes to them.
        """
        new = copy.copy(self)
        for name in ("_cache", "_faces", "_face_grams"):
            if name in self.__dict__:
                new.__dict__[name] = copy.copy(self.__dict__[name])
        return new

    def existence(self, y: np.ndarray, mu: np.ndarray) -> tuple[ExistenceCheck, tuple | None]:
        """The LP existence check of the model for counts `y` (fit `mu`), cached; and the fit on
        the facial set (beta over all columns, fitted values there, converged) when it was made.

        Exact reuse by zero pattern; and by facial set: the recession cone, hence the whole
        check (facial set, hidden cells' states), depends only on the facial set F. If `y` is
        0 outside an F found before, F's recession direction is one for `y` too (the MLE does
        not exist, the facial set lies in F), and when the fit on F is certified interior
        (:func:`.existence.interior_certificate`) the facial set is F itself: no LP.
        """
        cache = self.__dict__.setdefault("_cache", {})
        faces = self.__dict__.setdefault("_faces", [])
        key = np.packbits(y > 0).tobytes()
        ex = cache.get(key)
        if ex is not None:
            return ex, None
        for old, used in faces:
            fs = old.facial_set
            if y[~fs].any():
                continue
            xf = self.x_obs[fs][:, used]
            b_f, mu_f, _, _, conv, _ = irls_poisson(xf, y[fs], np.maximum(mu[fs], 1e-8), tol=1e-8, used=np.arange(len(used)))
            if conv and interior_certificate(xf, y[fs], mu_f):
                cache[key] = old
                beta = np.zeros(self.x_obs.shape[1])
                beta[used] = b_f
                return old, (beta, mu_f, conv)
        ex = cache[key] = check_existence(self.x_obs, y, self.x_hidden)
        if not ex.mle_exists and len(faces) < 50:
            faces.append((ex, _fast_independent(self.x_obs[ex.facial_set])))
        return ex, None

    def __call__(self, y_cells: np.ndarray) -> tuple[np.ndarray, str]:
        """Refit to one replicate table `y_cells` (complete table, shape (n_cells,)): (group totals, status)."""
        y = y_cells[self.cell_index]
        flags = "+lost list" if (self.list_cols.T @ y == 0).any() else ""
        nan = np.full(self.gmat.shape[0], np.nan)
        # R glm's tolerance, as boot_mse refits with glm
        beta, mu, _, _, conv, _ = irls_poisson(self.x_obs, y, self.mu0, tol=1e-8, used=self.used)
        zero = y == 0
        status = "ok"
        hidden_zero = self.hidden_zero
        # Screen: one more Newton step proves an interior MLE (interior_certificate) in most
        # replicates; otherwise the LP decides (cached per zero pattern)
        if zero.any() and not (conv and interior_certificate(self.x_obs[:, self.used], y, mu)):
            try:
                ex, refit = self.existence(y, mu)
            except ExistenceLPError:  # counted in the bootstrap's statuses, N̂* = ∞ as unbounded ones; not a crash
                return nan, "existence check failed" + flags
            if not ex.identified:
                return self._partial(y, mu, ex, refit, flags)
            if not ex.mle_exists:
                status = "extended"
                fs = ex.facial_set
                if refit is None:
                    beta, mu_f, _, _, conv, _ = irls_poisson(self.x_obs[fs], y[fs], mu[fs], tol=1e-8)
                else:
                    beta, mu_f, conv = refit
                mu = np.zeros_like(y)
                mu[fs] = mu_f
                hidden_zero = hidden_zero | (ex.hidden_state == "zero")
        eta_h = self.x_hidden @ beta
        full = np.zeros(self.n_cells)
        full[self.cell_index] = mu
        fh = np.where(hidden_zero, 0.0, np.exp(np.minimum(eta_h, 700.0)))
        full[self.hidden_index] = fh
        nobs = y.sum()
        if not conv or not np.isfinite(fh).all() or fh.sum() > 1e6 * max(nobs, 1.0):
            return nan, "not identified" + flags
        if (fh < 1e-6).all():  # every unseen cell 0: N̂* = n* (one stratum's alone is not)
            flags += "+unseen fitted 0"
        return self.gmat @ full, status + flags

    def _partial(self, y: np.ndarray, mu: np.ndarray, ex: ExistenceCheck, refit, flags: str) -> tuple[np.ndarray, str]:
        """Group totals of a replicate whose N̂* is not identified: +inf for the groups holding an unbounded
        stratum, the fitted totals for the others; status ``not identified``.

        Why this is sound: the fitted values on the facial set F are unique, and a hidden cell whose design row
        lies in the row space of X_F (state ``finite``) has a unique fitted value exp(x_h b) whatever solution b
        is taken; cells driven to 0 (``zero``) are 0. Only the strata whose unseen cell some direction of
        recession can raise (``infinite``, or ``undetermined``) have no finite N̂*; a subgroup that does not
        contain them has a finite, well-defined N̂* (Fienberg & Rinaldo 2012, sec. 3). Before, one stratum of
        2 persons unbounded made every subgroup's interval unbounded (tester report 12b, H1). Groups that do
        contain such a stratum, the total among them, stay +inf, as before. Shape (n_group_cells,).
        """
        nan = np.full(self.gmat.shape[0], np.nan)
        fs = ex.facial_set
        if not fs.any():  # nothing left to fit (every cell off the facial set): no subgroup to keep finite
            return nan, "not identified" + flags
        if refit is None:
            try:
                beta, mu_f, _, _, conv, _ = irls_poisson(self.x_obs[fs], y[fs], np.maximum(mu[fs], 1e-8), tol=1e-8)
            except Exception:  # noqa: BLE001 - LAPACK (f2py) errors too; as before, the whole replicate unbounded
                return nan, "not identified" + flags
        else:
            beta, mu_f, conv = refit
        state = ex.hidden_state
        if not conv or state is None or len(state) != len(self.hidden_index):
            return nan, "not identified" + flags
        unbounded = ~np.isin(state.astype(str), ("finite", "zero"))
        hz = self.hidden_zero | (state == "zero") | unbounded
        with np.errstate(over="ignore"):
            fh = np.where(hz, 0.0, np.exp(np.minimum(self.x_hidden @ beta, 700.0)))
        if not np.isfinite(fh).all() or fh.sum() > 1e6 * max(float(y.sum()), 1.0):
            return nan, "not identified" + flags
        full = np.zeros(self.n_cells)
        full[self.cell_index[fs]] = mu_f
        full[self.hidden_index] = fh
        vals = self.gmat @ full
        vals[(self.gmat[:, self.hidden_index[unbounded]] > 0).any(axis=1)] = np.inf
        return vals, "not identified" + flags

    def batch(self, y_cells: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """:meth:`__call__` for many replicates at once, shapes (B, n_cells) -> (B, n_group_cells), B statuses.

        The replicates are refitted by one vectorised Newton iteration from the original fit
        (:func:`.fit.irls_poisson_batch`, the same steps as the one-by-one fit); those that
        converge and are proved interior (:func:`.fit.interior_certificate_batch`, or have no
        zero cell) are finished at once. A replicate whose counts are 0 outside a facial set
        met before has no MLE (that face's recession direction is one for it too): it is fitted
        on the face, with the other replicates of that face, and when that fit is certified
        interior the face is its facial set (as :meth:`existence`, without the diverging full
        fit). The existence check depends on the facial set alone, so a replicate certified on a
        face whose N is not identified is "not identified" too (N̂* unbounded, +inf in the
        interval), never "extended" with the hidden cell of the face's aliased coefficients
        (tester report 9, F4). The rest (not converged, not certified, new faces) go through
        :meth:`__call__`, whose linear programs add the faces they find.
        """
        nb = y_cells.shape[0]
        y = y_cells[:, self.cell_index]
        out = np.full((nb, self.gmat.shape[0]), np.nan)
        status: list[str] = [""] * nb
        faces = self.__dict__.setdefault("_faces", [])
        face_of = self._match_faces(y, np.full(nb, -1))
        todo = np.flatnonzero(face_of < 0)
        xs = self.x_obs[:, self.used]
        gram = self.__dict__.get("_gram")
        if gram is None:
            gram = self.__dict__["_gram"] = GramProducts(xs)
        rest = todo
        if todo.size:
            # R glm's tolerance, as boot_mse refits with glm
            b_used, mu, _, conv = irls_poisson_batch(xs, y[todo], self.mu0, tol=1e-8, gram=gram)
            fast = conv & (y[todo] > 0).all(axis=1)
            need = np.flatnonzero(conv & ~fast)
            if need.size:
                fast[need] = interior_certificate_batch(xs, y[todo][need], mu[need], gram=gram)
            beta = np.zeros((int(fast.sum()), self.x_obs.shape[1]))
            beta[:, self.used] = b_used[fast]
            self._finish(todo[fast], y, beta, mu[fast], self.hidden_zero, "ok", out, status)
            rest = todo[~fast]
        for i in rest:  # one by one; each new face found is tried on the replicates after it
            if face_of[i] < 0:
                n_faces = len(faces)
                out[i], status[i] = self(y_cells[i])
                if len(faces) > n_faces:
                    later = rest[rest > i]
                    face_of[later] = self._match_faces(y[later], face_of[later], first=n_faces)
        for k in np.unique(face_of[face_of >= 0]):
            rows = np.flatnonzero(face_of == k)
            ex, used_f = faces[k]
            fs = ex.facial_set
            xf = self.x_obs[fs][:, used_f]
            grams = self.__dict__.setdefault("_face_grams", {})
            if k not in grams:
                grams[k] = GramProducts(xf)
            b_f, mu_f, _, conv = irls_poisson_batch(xf, y[rows][:, fs], self.mu0[fs], tol=1e-8, gram=grams[k])
            cert = np.zeros(rows.size, dtype=bool)
            cert[conv] = interior_certificate_batch(xf, y[rows][conv][:, fs], mu_f[conv], gram=grams[k])
            if not ex.identified:
                # a certified fit on F makes F the replicate's facial set, and the check (hidden cells' states
                # included) depends on F alone: N̂* is unbounded, as in the replicate that found F (tester report 9,
                # F4: these were finished as "extended" with the hidden cell from the face's coefficients, N̂* ≈ n*)
                # (refitted one by one: the subgroups without an unbounded stratum keep a finite N̂*, see _partial)
                for i in rows:
                    out[i], status[i] = self(y_cells[i])
                continue
            beta = np.zeros((int(cert.sum()), self.x_obs.shape[1]))
            beta[:, used_f] = b_f[cert]
            mu = np.zeros((int(cert.sum()), y.shape[1]))
            mu[:, fs] = mu_f[cert]
            self._finish(rows[cert], y, beta, mu, self.hidden_zero | (ex.hidden_state == "zero"), "extended", out,
                         status)
            for i in rows[~cert]:
                out[i], status[i] = self(y_cells[i])
        return out, status

    def _match_faces(self, y: np.ndarray, face_of: np.ndarray, first: int = 0) -> np.ndarray:
        """For rows of `y` (B, n_F) without a face yet (-1), the first known face outside which they are 0."""
        face_of = face_of.copy()
        for k, (ex, _) in enumerate(self.__dict__.get("_faces", [])[first:], start=first):
            hit = (face_of < 0) & ~(y[:, ~ex.facial_set] > 0).any(axis=1)
            face_of[hit] = k
        return face_of

    def _finish(self, rows, y, beta, mu, hidden_zero, main: str, out, status) -> None:
        """Group totals and statuses of converged replicates `rows` from coefficients (m, p) and fits (m, n_F)."""
        if rows.size == 0:
            return
        with np.errstate(over="ignore"):
            fh = np.where(hidden_zero, 0.0, np.exp(np.minimum(beta @ self.x_hidden.T, 700.0)))
        full = np.zeros((rows.size, self.n_cells))
        full[:, self.cell_index] = mu
        full[:, self.hidden_index] = fh
        yi = y[rows]
        lost = ((yi @ self.list_cols) == 0).any(axis=1)
        bad = ~np.isfinite(fh).all(axis=1) | (fh.sum(axis=1) > 1e6 * np.maximum(yi.sum(axis=1), 1.0))
        unseen0 = (fh < 1e-6).all(axis=1)  # N̂* = n*, not one stratum's cell alone
        vals = full @ self.gmat.T
        for j, i in enumerate(rows):
            flags = "+lost list" if lost[j] else ""
            if bad[j]:
                status[i] = "not identified" + flags
                continue
            out[i] = vals[j]
            status[i] = main + flags + ("+unseen fitted 0" if unseen0[j] else "")


def _fixed_context(fit: LogLinearFit, gmat: np.ndarray) -> _FixedModelRefit:
    """The refit job of `fit`'s model (design on the cells that can be positive, warm start, group matrix `gmat`)."""
    t = fit.table
    xall = t.design(fit.model)
    obs_idx = np.flatnonzero(t.observable)
    if fit.existence is not None and not fit.existence.mle_exists:
        keep = fit.existence.facial_set
    else:
        keep = np.ones(len(obs_idx), dtype=bool)
    cell_index = obs_idx[keep]
    x = xall[cell_index]
    used = _fast_independent(x)
    hidden_index = np.flatnonzero(t.hidden)
    hz = fit.fitted[hidden_index] == 0
    lists = t.cells[list(t.histories.lists)].to_numpy(dtype=float)[cell_index]
    return _FixedModelRefit(
        x, cell_index, xall[hidden_index], hidden_index, hz, used, fit.fitted[cell_index], lists, t.n_cells, gmat,
        float(t.y.sum()),
    )


def _draw(kind: str, payload, rng: np.random.Generator, n_cells: int) -> np.ndarray:
    """One replicate's counts of every cell, shape (n_cells,)."""
    if kind == "parametric":
        size, prob = payload
        return rng.multinomial(size, prob).astype(float)
    n, prob, cells, seen = payload
    y = np.zeros(n_cells)
    # with random n the persons drawn into the unseen cells stay unseen (their counts are dropped)
    y[cells[seen]] = rng.multinomial(n, prob)[seen]
    return y


def _batched(job) -> bool:
    """Whether a replicate job refits a whole chunk at once (``job.batch``; its ``batchable`` says when it can)."""
    return bool(getattr(job, "batchable", hasattr(job, "batch")))


@single_threaded
def _run_chunk(args):
    """One chunk of replicates in a worker: ``args = (job, kind, seeds, payload)``; (estimates, statuses)."""
    job, kind, seeds, payload = args
    if _batched(job):  # one vectorised refit of the whole chunk
        ys = np.stack([_draw(kind, payload, np.random.default_rng(s), job.n_cells) for s in seeds])
        return job.batch(ys)
    out = np.empty((len(seeds), job.gmat.shape[0]))
    status = []
    for i, s in enumerate(seeds):
        rng = np.random.default_rng(s)
        y = _draw(kind, payload, rng, getattr(job, "n_cells", 0))
        # a job that adds its own randomness (e.g. values made unknown again for EM) gets the generator
        out[i], st = job(y, rng) if getattr(job, "uses_rng", False) else job(y)
        status.append(st)
    return out, status
