"""One unit of work: one stratum of one replicate of the data, estimated by one method.

A unit is plain data (lists, observed capture patterns and counts, method, settings, seed),
so it pickles cheaply to a worker process or a Spark task; :func:`run_unit` turns it into a
result dict (status, N̂, draws of N, warnings, seconds) that the cache stores.

The estimability rule (:func:`estimability`), applied before any fit and stated in every
``not estimable`` row:

1. at least ``min_observed`` persons observed in the stratum (default 10);
2. lists with no record in the stratum are left out of its fit (said in its warnings); at least
   2 lists with records must remain for the log-linear model, 3 for LCMCR (as HRDAG's verdata:
   with 2 lists the latent classes are not identified beyond the prior);
3. a fixed log-linear model may not name a list with no record in the stratum; no list may have registered
   every person observed in the stratum (nobody is seen off it: N is not bounded above there);
4. after the fit: N̂ must be identified (the log-linear MLE or its extended form gives a finite
   N̂; the LCMCR chains did not diverge), and N̂ at most ``max_ratio`` (default 100) times the
   observed — beyond that the data do not bound N and no number is given; nor when so many bootstrap
   replicates have no finite N̂ (more than (1 + level) / 2) that even the lower limit is unbounded.

A bootstrap replicate without a finite N̂ counts as N̂* = +inf (never redrawn): when they are more
than (1 - level) / 2 of the replicates, the stratum's interval has no finite upper end, and the
stratum is reported with its N̂ and lower limit only (:func:`_unbounded_as_inf`).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass

import numpy as np

__all__ = ["Unit", "run_unit", "quick_verdict", "estimability", "derive_seed", "METHODS", "MIN_LISTS"]

METHODS = ("loglinear", "lcmcr")
#: lists with records a stratum needs, per method
MIN_LISTS = {"loglinear": 2, "lcmcr": 3}


@dataclass(frozen=True)
class Unit:
    """One stratum x replicate to estimate.

    Attributes
    ----------
    stratum : int
        Index of the stratum in the run's table.
    replicate : int
        Index of the replicate (0 without replicates).
    lists : tuple of str, length k
    cells : ndarray of int8, shape (P, k)
        Observed capture patterns.
    counts : ndarray of int64, shape (P,)
        Persons per pattern.
    method : {"loglinear", "lcmcr"}
    settings : dict
        The method's settings (JSON-able), with the rule's ``min_observed`` and ``max_ratio``.
    seed : int
        The unit's seed (:func:`derive_seed`).
    key : str
        Its cache key (:func:`darkfigure.strata.cache.unit_key`).
    """

    stratum: int
    replicate: int
    lists: tuple
    cells: np.ndarray
    counts: np.ndarray
    method: str
    settings: dict
    seed: int
    key: str


def derive_seed(run_seed: int | None, key: tuple, replicate: int) -> int:
    """The seed of one unit: SHA-256 of the run seed, the stratum key and the replicate index.

    Results then depend neither on the order the strata are run in nor on the engine, and two
    strata (or replicates) with the same histories still get independent random numbers.
    Returns a non-negative integer below 2**63.
    """
    doc = json.dumps([run_seed, [str(k) for k in key], int(replicate)])
    return int.from_bytes(hashlib.sha256(doc.encode()).digest()[:8], "big") >> 1


def _model_lists(model: str | None) -> set[str]:
    """The lists a fixed model names, read as ``estimate --model`` reads it (``A:B,B:C`` or ``A:B + B:C``)."""
    if not model:
        return set()
    from ..loglinear.terms import parse_terms

    return {v for t in parse_terms(str(model).replace(";", ",")) for v in t}


def estimability(lists, counts_per_list: np.ndarray, n: int, method: str, settings: dict) -> tuple[bool, str, list]:
    """Apply rules 1–3 of the module docstring to one stratum before any fit.

    Parameters
    ----------
    lists : sequence of str
    counts_per_list : ndarray of int, shape (k,)
        Persons each list registered in the stratum.
    n : int
        Persons observed in the stratum.
    method : {"loglinear", "lcmcr"}
    settings : dict
        ``min_observed`` and (log-linear) ``model``.

    Returns
    -------
    (bool, str, list of str)
        Estimable or not, the reason (empty when estimable), the lists with records.
    """
    min_obs = int(settings.get("min_observed", 10))
    used = [str(a) for a, c in zip(lists, counts_per_list, strict=True) if c > 0]
    if n < min_obs:
        return False, f"only {n} person(s) observed (the rule needs at least min_observed={min_obs})", used
    need = MIN_LISTS[method]
    if len(used) < need:
        which = ", ".join(used) or "none"
        return False, (f"only {len(used)} list(s) with records ({which}); {method} needs at least {need} lists "
                       "with records in a stratum"), used
    named = _model_lists(settings.get("model"))
    gone = sorted(named - set(used))
    if gone:
        return False, f"the fixed model names list(s) {', '.join(gone)} with no record in this stratum", used
    full = [str(a) for a, c in zip(lists, counts_per_list, strict=True) if n > 0 and c == n]
    if full:  # every model would give N̂ = n with no width, forced, not estimated (tester 14b, H1)
        return False, (f"not identified: list(s) {', '.join(map(repr, full))} registered every one of the {n:,} "
                       "persons observed in this stratum, so the other lists carry no information about the persons "
                       "no list saw: N is not bounded above here"), used
    return True, "", used


def _unbounded_as_inf(draws: np.ndarray) -> tuple[np.ndarray, int]:
    """Count bootstrap replicates whose refit had no finite N̂ as N̂* = +inf; return the draws and their number.

    A replicate without a finite N̂ is one in which the data did not bound N: it belongs at the top of the
    ordered replicates, as ``estimate`` counts it (:func:`darkfigure.loglinear.percentiles.quantile_with_inf`).
    Redrawing it from the finite replicates (as this module did before) cut the upper tail and gave tiny strata
    narrow, confident-looking intervals. Totals add draw b of every stratum, so an infinite draw makes that draw
    of the total infinite too.

    Parameters
    ----------
    draws : ndarray of float, shape (B,)
        Bootstrap replicates of N̂ (NaN or inf where the refit had no finite N̂).

    Returns
    -------
    (ndarray of float, shape (B,), int)
        The draws with every non-finite value set to +inf, and how many there are.
    """
    draws = np.asarray(draws, dtype=float)
    bad = ~np.isfinite(draws)
    k = int(bad.sum())
    if k == 0:
        return draws, 0
    return np.where(bad, np.inf, draws), k


def _histories(lists, cells, counts):
    import pandas as pd

    from ..histories import CaptureHistories

    t = pd.DataFrame(np.asarray(cells, dtype=np.int8), columns=list(lists))
    t["count"] = np.asarray(counts, dtype=np.int64)
    t = t[t["count"] > 0].reset_index(drop=True)
    return CaptureHistories(lists=tuple(lists), covariates=(), levels={}, table=t)


def quick_verdict(u: Unit) -> dict | None:
    """The ``not estimable`` result of a unit that fails rules 1–3 (no fit needed), else None.

    Cheap (a sum over the unit's patterns), so the run applies it before dispatching work to
    workers or writing the cache: a ``--by`` column with thousands of one-person levels then costs
    milliseconds per stratum, not a process round trip and a cache file each.

    Returns
    -------
    dict or None
        The result dict of :func:`run_unit` (status ``not estimable``, the rule's reason), or None
        when the unit passes rules 1–3 and must be fitted.
    """
    cells = np.asarray(u.cells, dtype=np.int8)
    counts = np.asarray(u.counts, dtype=np.int64)
    n = int(counts.sum())
    per_list = (cells * counts[:, None]).sum(axis=0) if len(counts) else np.zeros(len(u.lists), dtype=np.int64)
    ok, reason, used = estimability(u.lists, per_list, n, u.method, u.settings)
    if ok:
        return None
    return {"status": "not estimable", "reason": reason, "observed": n, "nhat": None, "lower": None, "upper": None,
            "lists_used": ",".join(used), "warnings": [], "seconds": 0.0, "draws": None}


def run_unit(u: Unit) -> dict:
    """Estimate one unit; never raises for a stratum the data cannot support.

    Returns
    -------
    dict
        ``status`` (``estimated``, ``not estimable`` or ``failed``), ``reason``, ``observed``,
        ``nhat``, ``lower``, ``upper`` (the method's own interval), ``lists_used``,
        ``warnings`` (list of str), ``seconds``, ``draws`` (ndarray of float, shape (B,): bootstrap
        replicates of N̂ for the log-linear model, +inf for a replicate whose refit had no finite N̂
        (:func:`_unbounded_as_inf`; ``upper`` is then +inf when they are more than (1 - level) / 2 of
        them); posterior draws of N for LCMCR; None when not estimated), ``bias`` (log-linear: the chosen model's small-sample bias of N̂ from its own
        parametric bootstrap, :func:`_fixed_model_bias`; NaN for LCMCR).
    """
    from ..errors import DataError

    t0 = time.perf_counter()
    s = u.settings
    cells = np.asarray(u.cells, dtype=np.int8)
    counts = np.asarray(u.counts, dtype=np.int64)
    n = int(counts.sum())
    verdict = quick_verdict(u)
    if verdict is not None:
        verdict["seconds"] = time.perf_counter() - t0
        return verdict
    out = {"status": "not estimable", "reason": "", "observed": n, "nhat": None, "lower": None, "upper": None,
           "lists_used": "", "warnings": [], "seconds": 0.0, "draws": None}
    per_list = (cells * counts[:, None]).sum(axis=0)
    used = [str(a) for a, c in zip(u.lists, per_list, strict=True) if c > 0]
    out["lists_used"] = ",".join(used)
    warns: list[str] = []
    if len(used) < len(u.lists):
        warns.append(f"list(s) {', '.join(a for a in u.lists if a not in used)} registered nobody in this stratum "
                     "and were left out of its fit")
    idx = [list(u.lists).index(a) for a in used]
    sub = cells[:, idx]
    keep = sub.any(axis=1)
    if u.method != "lcmcr":  # LCMCR takes the arrays (_lcmcr_patterns): no data frame per stratum
        h = _histories(used, sub[keep], counts[keep])
        h = _collapse_rows(h)
    level = float(s.get("level", 0.95))
    try:
        if u.method == "loglinear" and s.get("ci", "parametric") == "parametric":
            got = _loglinear_parametric(h, s, u.seed, level)
            if isinstance(got, str):
                out["reason"] = got
                out["seconds"] = time.perf_counter() - t0
                return out
            point, draws, w = got
            warns += w
            bias = None  # the draws are the chosen model's own bootstrap: their mean, below
        elif u.method == "loglinear":
            from ..estimation import estimate

            e = estimate(h, search=s.get("search", "none") if not s.get("model") else "none", model=s.get("model"),
                         ci=s.get("ci", "parametric"), reps=int(s.get("reps", 1000)), seed=u.seed, level=level,
                         n_jobs=1, progress=False, criterion=s.get("criterion"))
            if not e.fit.identified:
                out["reason"] = _NOT_IDENTIFIED
                out["seconds"] = time.perf_counter() - t0
                return out
            point = float(e.nhat)
            # a list that registered everyone: estimate runs no bootstrap (N = n forced; tester 12b, L3), and every
            # replicate would draw the n persons on observable cells only, so each N̂* is n: the draws it would give
            draws = (np.asarray(e.bootstrap.replicates[:, 0], dtype=float) if e.bootstrap is not None
                     else np.full(int(s.get("reps", 1000)), point))
            bias = _fixed_model_bias(e.fit, s, u.seed, level)
            warns += [w for w in e.warnings if not w.startswith("only ")]
            if e.search is not None or e.averaged is not None:
                warns.append(f"model: {e.fit.model.label()}")
        elif u.method == "lcmcr":
            from ..bayes.lcmcr import lcmcr_patterns

            K = s.get("K")
            if K is None:  # as verdata: at most 2^J - 1 classes, and 15
                K = min(2 ** len(used) - 1, 15)
            from ..lcmcr_rules import unidentified_reason

            pc, pf = _lcmcr_patterns(sub[keep], counts[keep])
            why = unidentified_reason(pc, pf, used, None)  # structural: no sampler run needed
            if why is not None:
                out["reason"] = f"not identified: {why}"
                out["seconds"] = time.perf_counter() - t0
                return out
            r = lcmcr_patterns(pc, pf, tuple(used), K=int(K), a_alpha=float(s.get("a_alpha", 0.25)),
                               b_alpha=float(s.get("b_alpha", 0.25)), burnin=int(s.get("burnin", 10000)),
                               samples=int(s.get("samples", 1000)), thinning=int(s.get("thinning", 100)),
                               chains=int(s.get("chains", 2)), seed=u.seed, level=level, n_jobs=1)
            if any("diverged" in w for w in r.warnings):
                out["reason"] = "the LCMCR chains diverged (N ran away): the data do not bound N in this stratum"
                out["seconds"] = time.perf_counter() - t0
                return out
            if r.not_converged:  # R-hat > 1.1 or bulk ESS < 100: the median is no estimate (lcmcr_rules, compare)
                out["reason"] = f"not converged: {r.not_converged}"
                out["seconds"] = time.perf_counter() - t0
                return out
            why = unidentified_reason(pc, pf, used, r.ci_high)  # dga's rule, as dfg.LCMCR and compare
            if why is not None:
                out["reason"] = f"not identified: {why}"
                out["seconds"] = time.perf_counter() - t0
                return out
            point = float(r.median)
            draws = r.draws.ravel().astype(float)
            bias = float("nan")  # a posterior, not an estimator with a bootstrap bias
            warns += list(r.warnings)
        else:  # pragma: no cover - checked by estimate_strata
            raise ValueError(f"unknown method {u.method!r}")
    except (DataError, ValueError, RuntimeError, np.linalg.LinAlgError) as ex:
        out["status"] = "failed"
        out["reason"] = f"{type(ex).__name__}: {ex}"
        out["seconds"] = time.perf_counter() - t0
        return out
    draws, nbad = _unbounded_as_inf(draws)
    if nbad == len(draws):
        out["reason"] = "no bootstrap replicate gave a finite N̂"
        out["seconds"] = time.perf_counter() - t0
        return out
    ratio = float(s.get("max_ratio", 100))
    if not np.isfinite(point) or point > ratio * n:
        out["reason"] = (f"N̂ = {point:,.0f} is more than max_ratio={ratio:g} times the {n} observed: the data do "
                         "not bound N in this stratum")
        out["seconds"] = time.perf_counter() - t0
        return out
    from ..loglinear.percentiles import quantile_with_inf

    # replicates without a finite N̂ count as +inf (never redrawn): above a share of (1 - level) / 2 of them the
    # upper end is unbounded; the stratum is still reported (N̂, lower limit), its row says how many (core.py)
    lo, hi = quantile_with_inf(draws, [(1 - level) / 2, (1 + level) / 2])
    if not np.isfinite(lo):
        out["reason"] = (f"{nbad} of {len(draws)} bootstrap replicates gave no finite N̂ (more than "
                         f"{(1 + level) / 2:.1%}): the data do not bound N in this stratum")
        out["seconds"] = time.perf_counter() - t0
        return out
    if bias is None:  # over the replicates with a finite N̂ (as _fixed_model_bias): the mean of the others is inf
        bias = float(np.mean(draws[np.isfinite(draws)]) - point)
    out.update(status="estimated", nhat=point, lower=float(max(lo, n)), upper=float(hi), warnings=warns,
               draws=draws, bias=bias, seconds=time.perf_counter() - t0)
    return out


def _fixed_model_bias(fit, s: dict, seed: int, level: float) -> float:
    """Small-sample bias of the chosen model's MLE of N: mean of its parametric bootstrap minus N̂.

    The strata totals remove the summed bias (``total_bias="correct"``). It is taken from the chosen
    model refitted on its own parametric replicates, never from the model-averaged replicates that
    repeat the search: the bootstrap's estimate of a search's bias is not consistent (Leeb &
    Pötscher 2005) and, on sparse 5-list strata, put the summed "bias" at +10% of a total that was
    already below the truth. Returns NaN when no replicate gives a finite N̂.
    """
    from ..loglinear.bootstrap import parametric_bootstrap

    boot = parametric_bootstrap(fit, reps=int(s.get("reps", 1000)), seed=seed, level=level, groups=[()], n_jobs=1,
                                progress=False)
    r = np.asarray(boot.replicates[:, 0], dtype=float)
    r = r[np.isfinite(r)]
    return float(r.mean() - fit.nhat) if len(r) else float("nan")


_NOT_IDENTIFIED = ("N̂ is not identified by the model in this stratum (no finite MLE of the unseen count; e.g. "
                   "lists that share nobody)")


def _loglinear_parametric(h, s: dict, seed: int, level: float):
    """The chosen (or fixed) model and Cruyff's parametric bootstrap of it, as ``estimate(ci="parametric")``
    computes them (same seed, same draws) without the per-stratum model checks (Chao's bound, the
    heterogeneity check), which cost about as much as the bootstrap itself.

    Returns (N̂, draws of shape (reps,), warnings), or the reason when N̂ is not identified.
    """
    from ..loglinear.bootstrap import parametric_bootstrap
    from ..loglinear.design import CompleteTable
    from ..loglinear.terms import LogLinearModel, parse_terms
    from ..pipeline.checks import goodness_of_fit_p
    from ..pipeline.search import select_model

    table = CompleteTable(h)
    model = s.get("model")
    fixed = LogLinearModel.make(table.variables, parse_terms(model)) if model else None
    pooled = s.get("search") == "pooled"  # the model was chosen jointly across strata (pooled.py): fit it
    search = "none" if (model or pooled) else (s.get("search") or "none")
    if search in ("auto", "stratified"):
        search = "cruyff"  # a stratum has no covariates: estimate's "auto" is Cruyff's search there
    criterion = (s.get("criterion") or "bic").lower()
    fit, srch = select_model(table, search, criterion, 0.02, fixed)
    warns = ([] if srch is None else list(srch.warnings)) + list(fit.warnings)
    if not fit.identified:
        return _NOT_IDENTIFIED
    if srch is not None:
        warns.append(f"model: {fit.model.label()}")
    elif pooled:
        joint = s.get("pooled_model")
        gone = s.get("pooled_dropped") or []
        warns.append(f"model: {fit.model.label()} (chosen jointly across strata"
                     + ("" if joint == fit.model.label() else f" as {joint}, restricted to this stratum's lists")
                     + (f"; {', '.join(gone)} left out here: with it N̂ is not identified in this stratum"
                        if gone else "") + ")")
    p = goodness_of_fit_p(fit)
    if p is not None and p < 0.001:
        warns.append(f"the model fits the stratum poorly (deviance {fit.deviance:,.1f} on {fit.df_residual:,} df, "
                     f"p = {p:.1g}); N̂ may be far off")
    boot = parametric_bootstrap(fit, reps=int(s.get("reps", 1000)), seed=seed, level=level, groups=[()], n_jobs=1,
                                progress=False)
    return float(fit.nhat), np.asarray(boot.replicates[:, 0], dtype=float), warns


def _lcmcr_patterns(cells: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct capture patterns (P', k) and their summed counts (P',) of `cells` (P, k) and `counts` (P,), in
    lexicographic order, as :func:`_collapse_rows` sums them (rows repeat once lists were dropped)."""
    if len(cells) == 0:
        return cells, counts
    uniq, inv = np.unique(cells, axis=0, return_inverse=True)
    return uniq, np.bincount(inv.ravel(), weights=counts, minlength=len(uniq)).astype(np.int64)


def _collapse_rows(h):
    """Sum rows with the same pattern (left when lists were dropped)."""
    t = h.table
    lists = list(h.lists)
    if not t.duplicated(lists).any():
        return h
    g = t.groupby(lists, as_index=False, sort=True)["count"].sum()
    return type(h)(lists=h.lists, covariates=(), levels={}, table=g)
