"""Model choice with its uncertainty, as the R package MultipleSystemsEstimation.

Silverman, Chan & Vincent (2024, Statistics and Computing 34:44, "Bootstrapping
multiple systems estimates to account for model selection") choose a hierarchical
log-linear model by BIC and carry the uncertainty of that choice into the interval
by repeating the choice in every bootstrap replicate. Two ways of choosing:

* :func:`bic_bootstrap` — the BIC choice among all admissible hierarchical models
  (their ``estimate_population_bic``): the models are ranked by BIC on the data, the
  ``ntop`` best are kept, and each bootstrap replicate takes the one of those with
  the smallest BIC on the replicate (sec. 3-4 of the paper; ``ntop`` = all models is
  the full bootstrap of the BIC choice, smaller ``ntop`` the paper's approximation).
* :func:`downhill_search` and :func:`downhill_bootstrap` — their greedy search for
  more lists (sec. 5.2; ``downhill_fit``, ``downhill_bootstrapcal``,
  ``downhill_jackknifecal``): from the main-effects model, evaluate every
  neighbour not yet seen (add one interaction whose margins are all in the model, up
  to ``max_order``; or remove one generator, never a main effect), move to the best
  if it lowers the BIC, and stop when no new neighbour does (or after 20 moves).
  The bootstrap repeats the whole search in every replicate.

What every model fit means here (their ``fit_hier_model``): a parameter whose margin
is empty (no one on all of its lists, e.g. two lists that share nobody) is fixed at
-inf and the cells containing it are removed; the rest is a Poisson GLM on the
remaining cells. A model is *admissible* only when the Fienberg & Rinaldo (2012) linear
program finds a strictly positive table with the same margins on those cells and the
design has full column rank there; other models get no BIC and are never chosen (in a
bootstrap replicate too). N̂ = observed + exp(intercept); BIC = p log(n) - 2 log L,
with p counting every parameter of the hierarchical model (intercept, main effects
and the ones fixed at -inf), n the persons observed and L the Poisson likelihood of
the remaining cells (log-factorials included).

The bootstrap resamples the n observed persons (multinomial over the observed
capture histories with probabilities count / n); the interval is BCa (Efron 1987,
JASA 82:171-185) with R's quantile type 8, the bias correction from the share of
replicates below N̂ and the acceleration from the delete-one-person jackknife
grouped by capture history — as the package does. Replicates are drawn with NumPy,
not R's generator, so intervals agree with the package within Monte-Carlo error.

Where this differs from the package, and why it does not change the results:

* The linear program is solved only for fits that head for the boundary (the last
  Newton step still moves the linear predictor, see :func:`_irls_rows`), and its
  answer is reused for sub- and super-models with the same empty margins and zero
  cells. On ten reference tables the admissible models and their BIC order are those
  of :func:`~darkfigure.loglinear.search.exhaustive_search` with SparseMSE's
  ``checkident`` (``ierr == 0``), which solves it for every model.
* Models tied in BIC (e.g. two same-size models that fit the observed cells exactly)
  are ordered by our enumeration, not the package's catalogue.
* Replicates come from NumPy's generator, not R's.
* If the main-effects model itself is not admissible the search still looks at its
  neighbours (R stops with an error).

Fits are vectorised over replicates (one Newton iteration for all replicates that
need the same model; the downhill searches of all replicates move in lockstep) and,
for the ranking, over models. On this 2-core machine 1,000 replicates take about
0.3 s (Kosovo, BIC among the 20 best), 1 s (Kosovo downhill), 2 s (five lists, BIC
among the 100 best, ranking of 6,212 models included), 1-3 s (five-list downhill) and
about 20 s (the eight-list New Orleans downhill, all orders).

New Orleans: the package's ``NewOrl`` and ``NewOrl_5`` hold one person more than
SparseMSE's (ours), on lists C and D only (186 persons). That is why the package reports
981 for the five lists (main effects; 1,034 on SparseMSE's table) and 1,110 for the
eight lists (1,184 published); our code gives 981.43 and 1,110 on the package's tables.
"""


from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._blas import single_threaded
from .design import CompleteTable
from .fit import fit_model
from .hierarchy import _Fitter, _named, default_ntop, mse_label, neighbours, rank_models
from .search import SearchResult
from .terms import LogLinearModel

# the search, and (re-exported) the model space it moves in; the bootstraps are in .selection_bootstrap
__all__ = ["downhill_search", "rank_models", "neighbours", "mse_label", "default_ntop"]

# the bootstraps live in .selection_bootstrap (which imports this module): reached from here on first use
_FROM_BOOTSTRAP = ("SelectionBootstrap", "ConfidenceInterval", "downhill_bootstrap", "bic_bootstrap", "MSE_ALPHA",
                   "_resample")


def __getattr__(name: str):
    """``bic_bootstrap`` and the other bootstrap names of :mod:`.selection_bootstrap`, as before the split."""
    if name in _FROM_BOOTSTRAP:
        from . import selection_bootstrap

        return getattr(selection_bootstrap, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------- downhill
def _downhill(fitter: _Fitter, y: np.ndarray, max_order: int, max_iter: int, record: bool = False):
    """The package's ``downhill_fit`` for every row of `y` at once (rows move in lockstep;
    each model is fitted once per step for all rows that need it)."""
    k = fitter.k
    b_rows = y.shape[0]
    start = frozenset()
    ev = fitter.evaluate(start, y)
    cur = [start] * b_rows
    cur_bic = np.where(np.isfinite(ev.bic), ev.bic, np.inf)
    cur_nhat = ev.nhat.copy()
    seen = [{start} for _ in range(b_rows)]
    active = list(range(b_rows))
    moves = np.zeros(b_rows, dtype=int)
    nb_cache: dict[frozenset, list] = {}
    rows = []
    if record:
        rows.append(dict(iteration=0, step="start", model=start, bic=ev.bic[0], nhat=ev.nhat[0], loglik=ev.loglik[0],
                         deviance=ev.deviance[0], ierr=int(ev.ierr[0]), empty=int(ev.empty[0]), accepted=True))
    hit_limit = np.zeros(b_rows, dtype=bool)
    for it in range(1, max_iter + 1):
        need: dict[frozenset, list[int]] = {}
        cands: dict[int, list] = {}
        for b in active:
            nb = nb_cache.get(cur[b])
            if nb is None:
                nb = nb_cache[cur[b]] = neighbours(cur[b], k, max_order)
            new = [c for c in nb if c[2] not in seen[b]]
            cands[b] = new
            for c in new:
                seen[b].add(c[2])
                need.setdefault(c[2], []).append(b)
        results: dict[frozenset, dict[int, tuple]] = {}
        for m, bs in need.items():
            e = fitter.evaluate(m, y[bs])
            results[m] = {b: tuple(v[i] for v in e) for i, b in enumerate(bs)}
        still = []
        for b in active:
            new = cands[b]
            if not new:
                continue
            vals = [results[c[2]][b] for c in new]
            bics = np.array([v[1] for v in vals])
            fin = np.isfinite(bics)
            best = int(np.flatnonzero(fin)[np.argmin(bics[fin])]) if fin.any() else -1
            accept = best >= 0 and bics[best] < cur_bic[b]
            if record:
                for i, (c, v) in enumerate(zip(new, vals)):
                    rows.append(dict(iteration=it, step=(c[0], c[1]), model=c[2], bic=v[1], nhat=v[0], loglik=v[2],
                                     deviance=v[3], ierr=int(v[4]), empty=int(v[5]), accepted=accept and i == best))
            if not accept:
                continue
            cur[b], cur_bic[b], cur_nhat[b] = new[best][2], bics[best], vals[best][0]
            moves[b] += 1
            still.append(b)
        active = still
        if not active:
            break
    else:
        hit_limit[active] = True
    return cur, cur_bic, cur_nhat, moves, hit_limit, rows


def _default_downhill_order(k: int, max_order: int | None) -> int:
    if max_order is None:
        return k - 1
    if not 1 <= max_order <= k - 1:
        raise ValueError(f"max_order must be between 1 and {k - 1} for {k} lists, not {max_order}")
    return max_order


class _LazyFits(Sequence):
    def __init__(self, table: CompleteTable, models: list[LogLinearModel]):
        self._t, self._m, self._cache = table, models, {}

    def __len__(self) -> int:
        return len(self._m)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i not in self._cache:
            with np.errstate(divide="ignore", invalid="ignore"):
                self._cache[i] = fit_model(self._t, self._m[i], check=True)
        return self._cache[i]


@single_threaded
def downhill_search(table: CompleteTable, *, max_order: int | None = None, max_iter: int = 20) -> SearchResult:
    """MultipleSystemsEstimation's greedy downhill search for the BIC-best hierarchical model.

    From the main-effects model, every neighbour not yet evaluated (:func:`neighbours`:
    remove one generator, or add one interaction of order <= `max_order` whose margins
    are in the model) is fitted; if the smallest BIC among them is below the current
    one the search moves there (the first minimum in :func:`neighbours` order),
    otherwise it stops. At most `max_iter` moves (the package's ``niter = 20``). Models
    that are not admissible (no positive table with their margins after fixing empty
    margins at -inf, or a rank-deficient design) have no BIC and are never chosen
    (Silverman, Chan & Vincent 2024, Statistics and Computing 34:44, sec. 5.2; R
    ``downhill_fit``). It is a local search: on the five-list UK table it stops at
    N̂ = 12,262 while the exhaustive BIC choice is 25,311 (their Table 6).

    Parameters
    ----------
    table : CompleteTable
        Without covariates; k >= 2 lists.
    max_order : int, optional
        Highest interaction order (default k - 1, all hierarchical models, as the package).
    max_iter : int
        Most moves.

    Returns
    -------
    SearchResult
        ``method="downhill"``; `path` has one row per model evaluated, in order:
        ``phase`` (``iteration i``), ``step`` (``+ A:B`` added or ``- A:B:C`` removed,
        relative to the model of the previous iteration), ``df``, ``deviance``, ``aic``,
        ``aicc``, ``bic``, ``nhat`` (NaN when not admissible), ``status``, ``model``,
        ``mse_model`` (``[123,14,34]``), ``ierr`` (0 admissible, 1 no positive table with
        the model's margins, 2 rank deficient), ``empty_parameters`` (fixed at -inf) and
        ``accepted`` (the moves taken; the first row is the main-effects start).
        ``best`` is the :func:`~darkfigure.loglinear.fit.fit_model` fit of the final model;
        ``path.attrs`` holds ``seconds``, ``moves`` and ``linear_programs``.

    Raises
    ------
    ValueError
        Covariates present, fewer than 2 lists, `max_order` out of range or `max_iter` < 1.
    RuntimeError
        No admissible model was reached (the main-effects model and all its neighbours fail).
    """
    t0 = time.perf_counter()
    if max_iter < 1:
        raise ValueError(f"max_iter must be at least 1 (got {max_iter})")
    f = _Fitter(table)
    k = f.k
    max_order = _default_downhill_order(k, max_order)
    cur, cur_bic, _, moves, hit, rows = _downhill(f, f.y[None, :], max_order, max_iter, record=True)
    if not np.isfinite(cur_bic[0]):
        raise RuntimeError("no admissible model on the downhill path: the MLE does not exist for main effects or any neighbour")
    n = float(f.y.sum())
    c = len(f.y)
    models = [_named(r["model"], f.lists) for r in rows]
    npar = np.array([1 + k + len(r["model"]) for r in rows], dtype=float)
    ll = np.array([r["loglik"] for r in rows], dtype=float)
    aic = -2 * ll + 2 * npar
    with np.errstate(divide="ignore", invalid="ignore"):
        aicc = np.where(n - npar - 1 > 0, aic + 2 * npar * (npar + 1) / (n - npar - 1), np.inf)
    status = ["not identified" if r["ierr"] else ("extended" if r["empty"] else "ok") for r in rows]

    def df_residual(model) -> int:
        """Cells outside the empty margins minus the parameters left (glm on the reduced table)."""
        tm = np.stack([f.column(t) for t in [(i,) for i in range(k)] + sorted(model, key=lambda t: (len(t), t))], axis=1)
        zero = (f.y @ tm) == 0
        return int((~tm[:, zero].any(axis=1)).sum() - (1 + tm.shape[1] - zero.sum()))

    path = pd.DataFrame({
        "phase": [f"iteration {r['iteration']}" if r["iteration"] else "start" for r in rows],
        "step": [r["step"] if r["iteration"] == 0 else f"{r['step'][0]} " + ":".join(f.lists[i] for i in r["step"][1]) for r in rows],
        "df_change": None,
        "deviance_change": None,
        "df": [df_residual(r["model"]) if r["empty"] else c - int(p) for r, p in zip(rows, npar)],
        "deviance": [r["deviance"] for r in rows],
        "aic": aic,
        "aicc": aicc,
        "bic": [r["bic"] for r in rows],
        "nhat": [r["nhat"] for r in rows],
        "status": status,
        "model": [m.formula() for m in models],
        "mse_model": [mse_label(r["model"], k) for r in rows],
        "ierr": [r["ierr"] for r in rows],
        "empty_parameters": [r["empty"] for r in rows],
        "accepted": [r["accepted"] for r in rows],
    })
    fits = _LazyFits(table, models)
    i_best = max(i for i, r in enumerate(rows) if r["accepted"])
    warnings = []
    n_bad = int((path["ierr"] > 0).sum())
    if n_bad:
        warnings.append(f"{n_bad} of {len(path)} models evaluated are not admissible (MLE does not exist or the design is rank deficient); never chosen")
    if hit[0]:
        warnings.append(f"the downhill search stopped after {max_iter} moves without reaching a local minimum")
    path.attrs["seconds"] = time.perf_counter() - t0
    path.attrs["moves"] = int(moves[0])
    path.attrs["linear_programs"] = f.n_lp
    best = fits[i_best]
    return SearchResult("downhill", "bic", path, fits, best, warnings)
