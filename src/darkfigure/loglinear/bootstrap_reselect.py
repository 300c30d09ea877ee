"""The nonparametric bootstrap's re-selection job and its jackknife (BCa acceleration).

:class:`_SelectJob` redoes the model search on each replicate (SparseMSE's ``estimatepopulation``; Chan,
Silverman & Vincent 2021, sec. 4), :func:`_jackknife` refits the leave-one-person-out tables behind the BCa
acceleration (:func:`_acceleration`; Efron 1987, JASA 82:171-185) and :func:`_population_payload` is the
draw of the estimated population (random n). Moved unchanged from :mod:`darkfigure.loglinear.bootstrap`
(still importable from there), which keeps the public functions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._blas import single_threaded
from .._pool import map_ordered
from .batch_refit import _batched
from .design import CompleteTable
from .fit import LogLinearFit, fit_model


def _n_jobs(n_jobs: int | None, reps: int) -> int:
    if n_jobs is None:
        n_jobs = os.cpu_count() or 1
    if reps < 50:
        return 1
    return max(1, int(n_jobs))


def _population_payload(fit: LogLinearFit, cells: np.ndarray):
    """Draw of the estimated population: observed histories (counts) and unseen cells (fitted), size round(N̂)."""
    t = fit.table
    hid = np.flatnonzero(t.hidden)
    fh = fit.fitted[hid]
    hid = hid[fh > 0]
    mass = np.concatenate([t.y[cells], fit.fitted[hid]])
    size = int(round(float(mass.sum())))
    seen = np.concatenate([np.ones(len(cells), dtype=bool), np.zeros(len(hid), dtype=bool)])
    return size, mass / mass.sum(), np.concatenate([cells, hid]), seen


@dataclass
class _SelectJob:
    table: CompleteTable
    select: Callable
    gmat: np.ndarray
    n_cells: int = 0
    lists: np.ndarray | None = None

    def __post_init__(self):
        self.n_cells = self.table.n_cells
        # 0/1 list indicators of every cell, once (not per replicate)
        self.lists = self.table.cells[list(self.table.histories.lists)].to_numpy(dtype=float)

    @property
    def batchable(self) -> bool:
        """Whether the selection runs on a whole chunk of replicates at once (``select.batch``)."""
        can = getattr(self.select, "can_batch", None)
        return bool(can is not None and can(self.table))

    def batch(self, y_cells: np.ndarray) -> tuple[np.ndarray, list[str]]:
        """Re-select on every row of `y_cells` (B, n_cells) in lockstep (``select.batch``); rows it hands back
        are re-selected one by one (:meth:`__call__`). Returns (group totals (B, n_group_cells), statuses)."""
        cache = self.__dict__.setdefault("_batch_cache", {})
        seen, handed = cache.get("rows", 0), cache.get("handed back", 0)
        if seen >= 100 and handed > 0.5 * seen:
            # most rows needed the one-by-one search (e.g. boundaries that only linear programs settle):
            # the lockstep pass would be wasted work on the rest of the replicates
            fitted, status = np.full((y_cells.shape[0], self.n_cells), np.nan), [None] * y_cells.shape[0]
        else:
            fitted, status = self.select.batch(self.table, y_cells, cache)
            cache["rows"] = seen + len(status)
            cache["handed back"] = handed + sum(s is None for s in status)
        out = np.full((y_cells.shape[0], self.gmat.shape[0]), np.nan)
        lost = ((y_cells @ self.lists) == 0).any(axis=1)
        hid = self.table.hidden
        vals = np.where(np.isfinite(fitted), fitted, 0.0) @ self.gmat.T
        st: list[str] = []
        for i, s in enumerate(status):
            if s is None:
                out[i], s2 = self(y_cells[i])
                st.append(s2)
                continue
            flags = "+lost list" if lost[i] else ""
            if s not in ("ok", "extended") or not np.isfinite(fitted[i]).all():
                st.append("not identified" + flags)
                continue
            if (fitted[i, hid] < 1e-6).all():  # every unseen cell 0: N̂* = n* (one stratum's alone is not)
                flags += "+unseen fitted 0"
            out[i] = vals[i]
            st.append(s + flags)
        return out, st

    def __call__(self, y: np.ndarray) -> tuple[np.ndarray, str]:
        flags = "+lost list" if (self.lists.T @ y == 0).any() else ""
        nan = np.full(self.gmat.shape[0], np.nan)
        try:
            f = self.select(self.table, y)
            if f.status == "boundary":  # fitted without the LP: settle it (cached on the table)
                f = fit_model(f.table, f.model, check=True)
        except (RuntimeError, ValueError, np.linalg.LinAlgError):
            return nan, "not identified" + flags
        if not f.identified or not np.isfinite(f.nhat):
            return nan, "not identified" + flags
        if (f.fitted[self.table.hidden] < 1e-6).all():  # N̂* = n*, not one stratum's cell alone
            flags += "+unseen fitted 0"
        return self.gmat @ f.fitted, f.status + flags


@single_threaded
def _jackknife_task(args):
    job, y = args
    return job(y)[0][0]


def _jackknife(job: _SelectJob, t: CompleteTable, cells: np.ndarray, n_jobs: int | None, progress: bool = False):
    """N̂ of the total with one person deleted from each cell of `cells` (one re-selection each) and the persons in
    those cells, shapes (len(cells),). Each deletion costs a replicate's whole search (simdat: 117 cells, about
    1 CPU-s each), so a bar (or log lines) shows them as it does the replicates."""
    ys = []
    for c in cells:
        y = t.y.copy()
        y[c] -= 1
        ys.append(y)
    if _batched(job):  # the deletions re-selected in lockstep, as the replicates
        return job.batch(np.stack(ys))[0][:, 0], t.y[cells].astype(float)
    from .progress import _progress

    n_jobs = _n_jobs(n_jobs, len(ys) * 10)
    with _progress(progress, len(ys), "jackknife for the BCa acceleration") as advance:
        if n_jobs > 1:
            done = map_ordered(_jackknife_task, [(job, y) for y in ys], n_jobs, chunksize=4, what="jackknife deletions")
        else:
            done = (_jackknife_task((job, y)) for y in ys)
        jack = []
        for v in done:
            jack.append(v)
            advance(1)
    return np.array(jack, dtype=float), t.y[cells].astype(float)


def _acceleration(jack: np.ndarray, w: np.ndarray) -> float:
    """SparseMSE's acceleration: sum c r^3 / (6 (sum c r^2)^1.5), r = weighted mean - J.

    Failed deletions (NaN) are left out, as SparseMSE does; the caller counts and reports them.
    """
    ok = np.isfinite(jack)
    jack, w = jack[ok], w[ok]
    r = np.sum(w * jack) / np.sum(w) - jack
    den = 6.0 * np.sum(w * r**2) ** 1.5
    return float(np.sum(w * r**3) / den) if den > 0 else 0.0
