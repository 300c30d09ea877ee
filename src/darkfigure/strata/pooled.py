"""One log-linear model structure chosen jointly across strata (``darkfigure strata --search pooled``).

A model search in each small stratum on its own (Cruyff's stepwise BIC search on 30-150 persons)
adds an interaction wherever sampling noise happens to favour one, and an added positive
interaction between lists raises N̂ more often than a negative one lowers it; over 100 strata the
total was +6% off after the bias correction (``benchmarks/strata_bias_study.py small --search
auto``). Monitors that estimate many subgroups (the Dutch trafficking monitor: van der Heijden,
Cruyff et al.; one log-linear model with covariates across subgroups) choose one structure for
all of them instead. Here:

* every candidate is a hierarchical log-linear model of the lists (interactions up to
  ``max_order``, 2 by default as Cruyff's scope); the chosen one is fitted in every stratum on
  that stratum's own table with **stratum-specific parameters** (so the strength of an
  interaction may differ between strata, its presence may not); lists with no record in a
  stratum (left out of its fit, or structural zeros) drop out of that stratum's terms, and a
  stratum left with two lists gets main effects (the only two-list model that identifies N̂);
* a candidate's score (``scoring="joint"``, the default) is the BIC of the one log-linear model
  of all strata that the monitor fits: stratum-specific intercepts and list main effects (list x
  stratum terms) and the candidate's interactions **common** to all strata, penalty log(n) per
  parameter, n the persons observed in all strata (Schwarz 1978). The evidence for an
  interaction is then pooled over the strata: 30 strata of ~160 persons with 5 lists each
  showed a police x kmar dependence clearly together (deviance -57) but not one by one;
  ``scoring="summed"`` sums each stratum's own BIC instead (the model with stratum-specific
  interactions, penalty log(n_s) per parameter per stratum), which on those strata charged each
  interaction 30 parameters and kept main effects (N̂ 16% low, ``benchmarks/strata_bias_study.py
  dutch_half``);
* a candidate is admissible only when it identifies N̂ (a finite MLE or extended MLE of the
  unseen cell) at most ``max_ratio`` times the observed in every stratum where the main-effects
  model does, so the chosen model never makes a stratum not estimable;
* the search is stepwise from the main-effects model, as R's ``step()``: at each step every
  addable and every droppable interaction is tried and the move that lowers the summed criterion
  most is taken, until none lowers it.

The chosen model is then fitted per stratum with its own parametric bootstrap, so each stratum's
N̂, interval and small-sample bias (for the totals' bias correction) come from that one model.
The intervals are conditional on the choice: with a structure chosen from all strata together
the choice is much more stable than one stratum's, but it is not repeated in the bootstrap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..loglinear.design import CompleteTable
from ..loglinear.fit import fit_model
from ..loglinear.terms import LogLinearModel

__all__ = ["PooledChoice", "pooled_search", "restrict_terms", "stratum_table", "joint_deviance"]

SCORINGS = ("joint", "summed")


@dataclass
class PooledChoice:
    """The model structure chosen jointly across strata.

    Attributes
    ----------
    model : LogLinearModel
        Over all lists of the run (interactions closed under margins).
    score : float
        Summed criterion of the chosen model over the strata searched.
    criterion : str
        ``bic`` or ``aic``.
    strata : int
        Strata the search used (those that pass the estimability rules 1-3 and whose
        main-effects model identifies N̂).
    path : DataFrame
        One row per step: ``step``, ``move`` (``start``, ``+A:B``, ``-A:B``), ``model``, ``score``.
    tried : int
        Candidate models scored.
    scoring : str
        ``joint`` or ``summed`` (:func:`pooled_search`).
    """

    model: LogLinearModel
    score: float
    criterion: str
    strata: int
    path: pd.DataFrame = field(repr=False)
    tried: int = 0
    scoring: str = "joint"

    @property
    def label(self) -> str:
        """``A:B + B:C`` or ``main effects``."""
        return self.model.label()

    def terms_for(self, lists: Sequence[str]) -> str | None:
        """The chosen model in a stratum that fits `lists` (:func:`stratum_terms`), as a ``--model`` string."""
        return stratum_terms(self.model, lists)


def restrict_terms(model: LogLinearModel, lists: Sequence[str]) -> str | None:
    """Interactions of `model` whose lists are all in `lists`, as ``"A:B,B:C"`` (None when there are none).

    A stratum whose list L registered nobody (or cannot, a structural zero) is fitted without L,
    so the terms with L leave its model; the others stay. Terms keep the model's variable order.
    """
    keep = set(map(str, lists))
    order = {v: i for i, v in enumerate(model.variables)}
    terms = sorted((t for t in model.interactions if set(t) <= keep), key=lambda t: (len(t), [order[v] for v in t]))
    return ",".join(":".join(t) for t in terms) or None


def stratum_terms(model: LogLinearModel, lists: Sequence[str]) -> str | None:
    """The model a stratum that fits `lists` gets from the jointly chosen `model` (None: main effects).

    Its interactions among `lists` (:func:`restrict_terms`); a stratum with two lists (the others
    registered nobody there, or cannot) gets main effects, the only model of two lists that
    identifies N̂.
    """
    return restrict_terms(model, lists) if len(lists) >= 3 else None


def stratum_table(lists: Sequence[str], cells: np.ndarray, counts: np.ndarray) -> tuple[list[str], CompleteTable]:
    """The lists with records and the complete table of one stratum, as :func:`~darkfigure.strata.units.run_unit`
    fits it (lists that registered nobody left out, rows with the same pattern summed).

    Parameters
    ----------
    lists : sequence of str, length k
    cells : ndarray of int8, shape (P, k)
    counts : ndarray of int64, shape (P,)

    Returns
    -------
    (list of str, CompleteTable)
    """
    from .units import _collapse_rows, _histories

    cells = np.asarray(cells, dtype=np.int8)
    counts = np.asarray(counts, dtype=np.int64)
    per_list = (cells * counts[:, None]).sum(axis=0)
    used = [str(a) for a, c in zip(lists, per_list, strict=True) if c > 0]
    idx = [list(lists).index(a) for a in used]
    sub = cells[:, idx]
    keep = sub.any(axis=1)
    return used, CompleteTable(_collapse_rows(_histories(used, sub[keep], counts[keep])))


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
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(y > 0, y * np.log(y / mu), 0.0) - (y - mu)
        return float(2 * np.sum(t * w_ok))

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
        for _h in range(30):  # step halving: the deviance of an IRLS step must not rise
            mu_new = np.exp(new)
            d = dev_of(mu_new)
            if d <= dev + 1e-9 * (1 + abs(dev)):
                break
            new = (new + eta) / 2
        done = np.isfinite(dev) and abs(dev - d) <= tol * (1 + abs(d))
        eta, mu, dev = new, mu_new, d
        if done:
            break
    n_par = int(np.sum(~unused)) + q
    return dev, n_par


def pooled_search(
    strata: Sequence[tuple[Sequence[str], np.ndarray, np.ndarray]],
    lists: Sequence[str],
    *,
    criterion: str = "bic",
    max_order: int = 2,
    max_ratio: float = 100.0,
    scoring: str = "joint",
) -> PooledChoice:
    """Choose one log-linear model structure for all `strata` by their summed BIC (module docstring).

    Parameters
    ----------
    strata : sequence of (lists, cells, counts)
        Each stratum's lists (a subset of `lists`, in any order), observed capture patterns
        (int8, shape (P, k_s)) and persons per pattern (int64, shape (P,)).
    lists : sequence of str
        All lists of the run (the candidates' variables).
    criterion : {"bic", "aic"}
        Per-stratum criterion that is summed (BIC: penalty log(n_s) per parameter in stratum s).
    max_order : int
        Highest order of interaction a candidate may contain (2: pairs of lists).
    max_ratio : float
        A candidate whose N̂ exceeds this many times a stratum's observed count counts as not
        identifying N there (the estimability rule 4 of :mod:`darkfigure.strata.units`).
    scoring : {"joint", "summed"}
        ``joint`` (default): the criterion of one model of all strata with the candidate's
        interactions common to them (:func:`joint_deviance`); ``summed``: the sum of the strata's
        own criteria (interactions stratum-specific).

    Returns
    -------
    PooledChoice

    Raises
    ------
    ValueError
        No stratum given, an unknown criterion, or a stratum naming a list not in `lists`.

    Cost: one log-linear fit per stratum per candidate (about 1.5 ms for 4 lists); a step tries
    every addable and droppable interaction (k(k-1)/2 pairs at most).
    """
    criterion = (criterion or "bic").lower()
    if criterion not in ("bic", "aic"):
        raise ValueError(f"criterion (--criterion) for --search pooled must be 'bic' or 'aic', not {criterion!r}")
    if not strata:
        raise ValueError("pooled_search needs at least one stratum")
    if scoring not in SCORINGS:
        raise ValueError(f"scoring must be one of {SCORINGS}, not {scoring!r}")
    lists = tuple(map(str, lists))
    tables = []
    for lst, cells, counts in strata:
        bad = [a for a in lst if str(a) not in lists]
        if bad:
            raise ValueError(f"stratum lists {bad} are not among the run's lists {list(lists)}")
        used, table = stratum_table(lst, cells, counts)
        tables.append((used, table, float(np.asarray(counts).sum())))
    memo: dict[tuple[int, str | None], tuple[float, bool]] = {}

    def stratum_score(i: int, model: LogLinearModel) -> tuple[float, bool]:
        """(BIC/AIC, finite N̂) of `model` restricted to stratum i's lists, fitted on that stratum alone (memoised)."""
        used, table, n = tables[i]
        terms = stratum_terms(model, used)
        got = memo.get((i, terms))
        if got is None:
            from ..loglinear.terms import parse_terms

            m = LogLinearModel.make(table.variables, parse_terms(terms) if terms else [])
            f = fit_model(table, m)
            ok = bool(f.identified and np.isfinite(f.nhat) and f.nhat <= max_ratio * n)
            got = memo[(i, terms)] = (float(getattr(f, criterion)), ok)
        return got

    start = LogLinearModel.make(lists)
    # strata the main-effects model cannot estimate are left out of the search (they are not estimable anyway)
    base = [i for i in range(len(tables)) if stratum_score(i, start)[1]]
    if not base:
        base = list(range(len(tables)))
    tried = 0
    # the joint table: every stratum's counts of the 2^k - 1 observable patterns over all lists
    k = len(lists)
    bits = ((np.arange(1, 2 ** k)[:, None] >> np.arange(k)[None, ::-1]) & 1).astype(np.int8)  # (P, k)
    code = {tuple(b): j for j, b in enumerate(bits.tolist())}
    y = np.zeros((len(base), len(bits)))
    mask = np.zeros_like(y, dtype=bool)
    for r, i in enumerate(base):
        used, table, _ = tables[i]
        ok_cols = np.array([a in used for a in lists])
        mask[r] = ~(bits[:, ~ok_cols] > 0).any(axis=1)
        h = table.histories.table
        full = np.zeros((len(h), k), dtype=np.int8)
        for a in used:
            full[:, lists.index(a)] = h[a].to_numpy()
        for row, c in zip(full.tolist(), h["count"].to_numpy(), strict=True):
            y[r, code[tuple(row)]] += c
    pen = np.log(max(float(sum(tables[i][2] for i in base)), 2.0)) if criterion == "bic" else 2.0

    def joint(model: LogLinearModel) -> float:
        """Criterion of `model` fitted jointly: interactions shared by all strata, each stratum's own main effects."""
        order = {v: j for j, v in enumerate(lists)}
        cols = [np.prod(bits[:, [order[v] for v in t]], axis=1) for t in sorted(model.interactions)]
        zc = np.column_stack(cols).astype(float) if cols else np.zeros((len(bits), 0))
        dev, n_par = joint_deviance(y, mask, bits, zc)
        return dev + pen * n_par

    def score(model: LogLinearModel, bound: float = np.inf) -> float:
        """The candidate's score, inf when it is not admissible; a joint score at or above `bound` (it cannot be
        chosen) is returned without the identification check (one fit per stratum: the search's main cost)."""
        nonlocal tried
        tried += 1
        j = joint(model) if scoring == "joint" else None
        if j is not None and j >= bound:
            return j
        total = 0.0
        for i in base:
            s, ok = stratum_score(i, model)
            if not ok:
                return np.inf  # not admissible: it would leave a stratum without N̂
            total += s
        return total if j is None else j

    cur, cur_s = start, score(start)
    rows = [{"step": 0, "move": "start", "model": cur.label(), "score": cur_s}]
    step = 0
    while True:
        moves = [("+", t, cur.add(t)) for t in cur.addable(max_order)]
        moves += [("-", t, cur.drop(t)) for t in cur.droppable()]
        best = None
        for sign, t, m in moves:
            s = score(m, cur_s if best is None else min(cur_s, best[0]))
            if s < cur_s - 1e-9 and (best is None or s < best[0]):
                best = (s, sign, t, m)
        if best is None:
            break
        step += 1
        cur_s, sign, t, cur = best
        rows.append({"step": step, "move": f"{sign}{':'.join(t)}", "model": cur.label(), "score": cur_s})
    return PooledChoice(model=cur, score=float(cur_s), criterion=criterion, strata=len(base), path=pd.DataFrame(rows),
                        tried=tried, scoring=scoring)
