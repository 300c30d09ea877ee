"""Every applicable method side by side: ``compare(histories, methods=...)``.

Analysts do not trust one model: the UK, Dutch and US studies compared log-linear
estimates with heterogeneity, latent-class and model-averaging estimates. This runs
each method that applies to the data and returns one table with N̂, the interval and
its kind, the time taken and the warnings, plus a forest plot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .histories import CaptureHistories
from .io import read_histories
from .pipeline.first_year import first_year_notes, for_link_output

__all__ = ["METHODS", "compare", "forest_plot", "write", "plan", "align_result"]

_HETEROGENEITY = (
    "M0",
    "Mt",
    "Mh-chao",
    "Mh-poisson2",
    "Mh-darroch",
    "Mh-gamma3.5",
    "Mth-chao",
    "Mth-poisson2",
    "Mth-darroch",
    "Mth-gamma3.5",
)

#: Method names in the order they are reported.
METHODS: tuple[str, ...] = (
    "loglinear-bic",
    "loglinear-aic",
    "loglinear-pvalue",
    *_HETEROGENEITY,
    "bic-exhaustive",
    "downhill",
    "lcmcr",
    "dga",
)


#: heterogeneity fits whose N̂ is not a real estimate: listed, never drawn as one (see heterogeneity._status)
NOT_AN_ESTIMATE = ("boundary", "not identified", "not converged")
#: above this many lists the greedy downhill bootstrap (a search per replicate over 2^k cells) cannot finish
MAX_LISTS_DOWNHILL = 8
#: above this many lists the stepwise log-linear searches are skipped (each step fits O(k^2) models on 2^k cells;
#: one search on 12 lists took 57 s, on 14 lists 172 s on a loaded 2-core machine)
MAX_LISTS_LOGLINEAR = 12
#: above this many lists LCMCR's sampler takes minutes (4 lists 20 s, 8 lists 38 s, 10 lists > 120 s on 1 core)
MAX_LISTS_LCMCR = 9


def _row(method, nhat, lower, upper, interval, seconds, warnings, model="", status="ok") -> dict:
    if status == "ok" and (nhat is None or not np.isfinite(float(nhat))):
        status = "not identified"  # a row without a finite N̂ is never labelled ok
    return {
        "method": method,
        "nhat": float(nhat) if nhat is not None else np.nan,
        "lower": float(lower) if lower is not None else np.nan,
        "upper": float(upper) if upper is not None else np.nan,
        "interval": interval,
        "seconds": seconds,
        "warnings": " | ".join(w for w in warnings if w),
        "model": model,
        "status": status,
        "nhat_not_identified": np.nan,  # set by _not_an_estimate: a number that is not an estimate
    }


def _not_an_estimate(r: dict, h: CaptureHistories) -> None:
    """Move a row's N̂ that is not an estimate out of ``nhat`` into ``nhat_not_identified`` (in place).

    A row whose status is ``ok`` (or a heterogeneity fit's ``extended``, whose N̂ is an estimate as the
    estimators' results have it) but whose N̂ the house rule calls not identified
    (:func:`darkfigure.pipeline.checks.unidentified_reason`: N̂ above 100 times the persons observed, a profile
    interval with no upper limit, a list that registered everyone; what ``darkfigure estimate`` leaves blank)
    gets the status ``not identified`` and that reason first in its warnings. Such rows and those whose MLE does
    not exist (``no MLE: ...``) keep the number only in ``nhat_not_identified``, never in ``nhat`` (tester 10,
    F4). Their ``lower`` stays: a lower limit is what may be published then; except when a list registered
    everyone, where no method's limits mean anything (N is only at least the persons registered): both are emptied
    (tester 14b, L4: M0 gave 238.7-330.5 for an unbounded N).
    """
    from .pipeline.checks import unidentified_reason

    if not np.isfinite(r["nhat"]):
        return
    if h.full_lists():
        r["lower"] = r["upper"] = np.nan
    if r["status"] in ("ok", "extended"):  # "extended": a heterogeneity fit with cells at 0 whose N is identified
        why = unidentified_reason(r["nhat"], r["upper"], h.n_observed, ci_method=r["interval"] or None,
                                  full_lists=h.full_lists())
        if why is None:
            return
        r["status"] = "not identified"
        r["warnings"] = " | ".join(w for w in (f"not identified: {why}", r["warnings"]) if w)
    r["nhat_not_identified"], r["nhat"] = r["nhat"], np.nan


def _loglinear(h: CaptureHistories, search: str, criterion: str, reps: int, seed: int | None, **kw):
    from .estimation import estimate

    ci = "profile" if not h.covariates and not h.n_incomplete else "parametric"
    res = estimate(h, search=search, criterion=criterion, ci=ci, reps=reps, seed=seed,
                   missing="em" if h.n_incomplete else "error", **kw)
    nh = res.nhat if res.fit.identified else np.nan
    w = list(res.warnings)
    checks = [c.to_dict() for c in res.checks]
    gof = next((c for c in checks if c["name"] == "goodness_of_fit"), None)
    extra = {"checks": checks, "raw": res}
    if res.fit.identified and gof is not None and gof["computed"]:  # not a test with imputed covariates
        extra["gof"] = _gof(res.fit.deviance, res.fit.df_residual, res.fit.fitted[res.fit.table.observable])
    return nh, res.lower, res.upper, ci, w, res.fit.model.label(), "ok", extra


def _gof(deviance, df, fitted) -> dict:
    from .headline import goodness_of_fit

    return goodness_of_fit(deviance, df, fitted)


def _heterogeneity(h: CaptureHistories, model: str):
    from .heterogeneity import fit_heterogeneity

    f = fit_heterogeneity(h.collapse(), model)
    lo = hi = np.nan
    if f.interval is not None:
        lo, hi = f.interval.low, f.interval.high
    status = "ok" if f.status == "ok" else (f"no MLE: {f.status}" if f.status in NOT_AN_ESTIMATE else f.status)
    w = list(f.warnings)
    if f.status in NOT_AN_ESTIMATE:
        w.append(f"status {f.status}: the MLE does not exist, so this N̂ is not an estimate (not drawn in the forest plot)")
    elif f.status != "ok":
        w.append(f"status {f.status}")
    return f.nhat, lo, hi, "profile", w, model, status, {"gof": _gof(f.deviance, f.df, f.fitted), "raw": f}


def _chosen_gof(h: CaptureHistories, b) -> dict:
    """Deviance test of a bootstrap search's chosen model (refitted once on the table)."""
    from .loglinear.fit import fit_model
    from .pipeline.table import lists_table

    try:
        f = fit_model(lists_table(h), b.terms, check="auto")
    except (ValueError, np.linalg.LinAlgError):
        return {}
    if not f.identified:
        return {}
    return {"gof": _gof(f.deviance, f.df_residual, f.fitted[f.table.observable])}


def _exhaustive(h: CaptureHistories, reps: int, seed: int | None):
    from .loglinear.downhill import bic_bootstrap
    from .pipeline.table import lists_table

    # MultipleSystemsEstimation's estimate_population_bic: the admissible hierarchical models
    # (all for up to 4 lists, up to three-list terms for 5, two-list terms for 6) ranked by BIC,
    # and a BCa interval from a bootstrap that repeats the BIC choice among the ntop best
    # (the package's default ntop: all for 3 lists, 20 for 4, 100 for 5 or 6)
    b = bic_bootstrap(lists_table(h), reps=reps, seed=seed, condition_on_n=True)  # the package's form
    return (b.nhat, b.confidence_interval.low, b.confidence_interval.high, "bca", list(b.warnings), _model_text(b),
            "ok", {**_chosen_gof(h, b), "raw": b})


def _downhill(h: CaptureHistories, reps: int, seed: int | None):
    from .loglinear.downhill import downhill_bootstrap
    from .pipeline.table import lists_table

    # MultipleSystemsEstimation's downhill search, repeated in every bootstrap replicate
    b = downhill_bootstrap(lists_table(h), reps=reps, seed=seed, condition_on_n=True)  # the package's form
    return (b.nhat, b.confidence_interval.low, b.confidence_interval.high, "bca", list(b.warnings), _model_text(b),
            "ok", {**_chosen_gof(h, b), "raw": b})


def _model_text(b) -> str:
    top = b.chosen.iloc[0] / max(b.chosen.sum(), 1) if len(b.chosen) else float("nan")
    return f"{b.terms.label()} {b.model}; chosen in {top:.0%} of replicates" if b.chosen.index[0] == b.model else (
        f"{b.terms.label()} {b.model}; replicates chose {b.chosen.index[0]} most often ({top:.0%})"
    )


def _lcmcr(h: CaptureHistories, seed: int | None):
    from .bayes.lcmcr import lcmcr
    from .lcmcr_rules import histories_reason

    r = lcmcr(h.collapse(), seed=seed)
    model = f"K = {r.settings.get('K', 10)} latent classes; R-hat {r.rhat:.3f}, ESS {r.ess:,.0f}"
    why = histories_reason(h, r.ci_high)
    if why is not None:  # the rule of dfg.LCMCR and strata --method lcmcr (lcmcr_rules): no N̂ shown
        return (None, None, None, "credible", [f"not identified: {why}", *r.warnings], model, "not identified",
                {"raw": r})
    if r.not_converged is not None:  # chains that disagree: the median goes to nhat_not_identified, out of the headline
        return (r.median, None, None, "credible", [f"not converged: {r.not_converged}", *r.warnings], model,
                "not converged", {"raw": r})
    return r.median, r.ci_low, r.ci_high, "credible", list(r.warnings), model, "ok", {"raw": r}


def _dga(h: CaptureHistories):
    from .bayes.dga import dga

    r = dga(h.collapse())
    top = r.graphs.iloc[0] if len(r.graphs) else None
    model = "model average" + (f" (top graph weight {top['weight']:.2f})" if top is not None and "weight" in top else "")
    if not r.identified:  # the rule of `estimate --method dga` (bayes._dga_core.unidentified_reason): no N̂ shown
        return (None, None, None, "credible", [f"not identified: {r.unidentified}", *r.warnings], model,
                "not identified", {"raw": r})
    return r.median, r.ci_low, r.ci_high, "credible", list(r.warnings), model, "ok", {"raw": r}


def _applicable(h: CaptureHistories, method: str) -> str | None:
    """Why `method` does not apply to `h` (None when it does)."""
    if method == "bic-exhaustive" and h.k > 6:
        return "exhaustive search is limited to 6 lists"
    if method == "dga" and not 3 <= h.k <= 5:
        return "dga handles 3 to 5 lists"
    if method == "lcmcr" and h.k < 3:
        from .lcmcr_rules import two_lists_reason

        return two_lists_reason(h.k)
    if method in ("Mh-chao", "Mh-poisson2", "Mh-darroch", "Mh-gamma3.5", "Mth-chao", "Mth-poisson2", "Mth-darroch",
                  "Mth-gamma3.5") and h.k < 3:
        return "heterogeneity models Mh and Mth need at least 3 lists"
    if method == "lcmcr" and h.k > MAX_LISTS_LCMCR:
        return (f"LCMCR's sampler takes many minutes on {h.k} lists (limit {MAX_LISTS_LCMCR}): merge or drop lists, "
                "or run darkfigure.bayes.lcmcr from Python")
    if method == "downhill" and h.k > MAX_LISTS_DOWNHILL:
        return (f"the downhill bootstrap cannot finish on {h.k} lists ({2 ** h.k - 1:,} cells, a greedy search in every "
                f"replicate; limit {MAX_LISTS_DOWNHILL} lists): merge or drop lists, or use the other methods")
    if method.startswith("loglinear") and h.k > MAX_LISTS_LOGLINEAR:
        return (f"the stepwise log-linear search cannot finish on {h.k} lists ({2 ** h.k - 1:,} cells; limit "
                f"{MAX_LISTS_LOGLINEAR}): merge or drop lists")
    return None


def align_result(res: Any, row: Any) -> Any:
    """A method's :class:`~darkfigure.results.Result` made to say what its row of the compare table says.

    When the row's N̂ is not an estimate (``nhat`` empty, see :func:`_not_an_estimate`) the result's N̂ is NaN
    too, its status and interval are the row's and the row's first warning leads its warnings; otherwise `res`
    is returned as it is (tester 10, F1/F4: ``dfg.compare(...)["lcmcr"]`` gave the N̂ compare.csv refused).
    """
    import dataclasses

    from .results import ConfidenceInterval

    if np.isfinite(float(row.nhat)) or not np.isfinite(float(res.nhat)):
        return res
    why = str(row.warnings).split(" | ")[0]
    ci = res.confidence_interval
    return dataclasses.replace(
        res, nhat=float("nan"), status=str(row.status), nhat_not_identified=float(res.nhat),
        confidence_interval=ConfidenceInterval(float(row.lower), float(row.upper), ci.method, ci.level),
        warnings=tuple(dict.fromkeys((why, *res.warnings))) if why else res.warnings)


def plan(h: CaptureHistories, methods: Sequence[str] | None = None) -> tuple[list[str], dict[str, str]]:
    """The methods that will run on `h` and, for the others, why not: (to_run, {method: reason})."""
    methods = list(methods) if methods else list(METHODS)
    unknown = [m for m in methods if m not in METHODS and m != "loglinear-model"]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    skip = {m: why for m in methods if (why := _applicable(h, m))}
    return [m for m in methods if m not in skip], skip


def compare(
    data: CaptureHistories | pd.DataFrame | str | Path,
    methods: Sequence[str] | None = None,
    *,
    seed: int | None = None,
    reps: int = 1000,
    progress: Callable[[str], None] | None = None,
    model: str | None = None,
    year: str | None = None,
    year_degree: int | None = None,
    headline: bool = True,
    validation: bool = False,
    results: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Run every method that applies and return one row per method.

    Parameters
    ----------
    data : CaptureHistories, DataFrame, path or bundled dataset name
    methods : sequence of str, optional
        Subset of :data:`METHODS` (default: all).
    seed : int, optional
        Seed for the samplers and bootstraps.
    reps : int
        Bootstrap replicates where a bootstrap is used (log-linear with covariates,
        ``bic-exhaustive`` and ``downhill``).
    progress : callable, optional
        Called with each method's name before it runs, and with a label starting ``validation``
        before the held-out-list validation.
    model : str, optional
        A fixed log-linear model's interactions (``"A:B,B:C"``): adds the row
        ``loglinear-model`` (first) with that model.
    year, year_degree : optional
        Passed to the log-linear methods (:func:`darkfigure.estimation.estimate`).
    headline : bool
        Add, per method, the assumption it makes, the evidence on it and a verdict, and the
        headline range with its reasons in ``table.attrs["headline"]``
        (:func:`darkfigure.headline.headline`; rules in docs/headline_rules.md). The histories.csv of a
        ``darkfigure link`` output is read without link's ``year`` unless `year` names it, and
        ``table.attrs["notes"]`` says which (:func:`~darkfigure.pipeline.first_year.first_year_covariate`).
    validation : bool
        Also rerun the methods (except LCMCR; at most 200 bootstrap replicates) with each
        list held out (:func:`darkfigure.validate.validate`) and let the headline use it;
        costs about as much again as the comparison. ``darkfigure compare`` does so by default.
    results : dict, optional
        Filled with each method's own result object (``Estimate``, ``HeterogeneityFit``,
        ``SelectionBootstrap``, ``LCMCRResult``, ``DGAResult``) for :func:`darkfigure.compare`.

    Returns
    -------
    DataFrame with columns ``method, nhat, lower, upper, interval, seconds, warnings, model, status``,
        ``nhat_not_identified``, ``deviance, df, p_value, sparse`` (the deviance test of the model, where one is
        defined) and, with `headline`, ``assumption, evidence, verdict``
        (``status``: ``ok``; ``not identified`` when the house rule says the data do not identify N
        (:func:`darkfigure.pipeline.checks.unidentified_reason`, dga's and LCMCR's rules), as ``estimate``
        does; ``no MLE: boundary`` etc. for a heterogeneity fit whose MLE does not exist; ``not applicable``;
        ``failed``; the N̂ of a row that is not identified or has no MLE is never in ``nhat``: it is in
        ``nhat_not_identified``, not an estimate, and is not drawn; such a row keeps its ``lower`` limit):
        ``interval`` is the kind (``profile``, ``parametric``, ``credible`` = equal-tailed
        posterior interval around the posterior median, ``bca`` = bootstrap BCa interval
        that repeats the model choice in every replicate, as MultipleSystemsEstimation:
        ``bic-exhaustive`` chooses by BIC among the package's default number of best
        models, ``downhill`` by the package's greedy search; Silverman, Chan & Vincent 2024).
        A method that fails or does not apply has NaN estimates and says why in
        ``warnings``. Heterogeneity models, exhaustive search, LCMCR and dga use the
        table summed over covariates.

    Raises
    ------
    ValueError
        An unknown method name (the message lists the known ones).
    """
    # histories already read (the CLI, with the user's --missing): taken as they are; persons with an unknown
    # covariate value go to the methods' EM. Re-reading them refused every 'compare --missing em' (s24 new user)
    h = data if isinstance(data, CaptureHistories) else read_histories(data)
    h = for_link_output(h, data, None, year)  # link's year: asked for only (s24)
    methods = list(methods) if methods else list(METHODS)
    if model is not None and "loglinear-model" not in methods:
        methods.insert(0, "loglinear-model")
    unknown = [m for m in methods if m not in METHODS and not (m == "loglinear-model" and model is not None)]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    rows = []
    checks: dict[str, list] = {}  # the log-linear models' diagnostics (heterogeneity, Chao's bound) for the headline
    for m in methods:
        if progress:
            progress(m)
        why = _applicable(h, m)
        if why:
            rows.append(_row(m, None, None, None, "", 0.0, [f"not applicable: {why}"], status="not applicable"))
            continue
        t0 = time.perf_counter()
        try:
            kw = {"year": year, "year_degree": year_degree}
            if m == "loglinear-model":
                out = _loglinear(h, "none", "bic", reps, seed, model=model, **kw)
            elif m == "loglinear-bic":
                out = _loglinear(h, "cruyff", "bic", reps, seed, **kw)
            elif m == "loglinear-aic":
                out = _loglinear(h, "cruyff", "aic", reps, seed, **kw)
            elif m == "loglinear-pvalue":
                out = _loglinear(h, "pvalue", "bic", reps, seed, **kw)
            elif m in _HETEROGENEITY:
                out = _heterogeneity(h, m)
            elif m == "bic-exhaustive":
                out = _exhaustive(h, reps, seed)
            elif m == "downhill":
                out = _downhill(h, reps, seed)
            elif m == "lcmcr":
                out = _lcmcr(h, seed)
            else:
                out = _dga(h)
        except ImportError as e:
            out = (None, None, None, "", [f"not available in this version: {e}"], "", "failed")
        except MemoryError:
            out = (None, None, None, "", ["failed: ran out of memory"], "", "failed")
        except Exception as e:  # one method failing must not take the comparison (or a traceback) with it
            if h.full_lists():  # a search with no admissible model there: not identified, as the others (review)
                from .lcmcr_rules import full_lists_reason

                out = (None, None, None, "", [f"not identified: {full_lists_reason(h.full_lists())}"], "",
                       "not identified")
            else:
                out = (None, None, None, "", [f"failed: {type(e).__name__}: {e}"], "", "failed")
        status = out[6] if len(out) > 6 else "ok"
        rows.append(_row(m, *out[:4], time.perf_counter() - t0, out[4], out[5], status))
        r = rows[-1]
        extra = out[7] if len(out) > 7 else {}
        if results is not None and extra.get("raw") is not None:
            results[m] = extra["raw"]
        gof = extra.get("gof") or {}
        r.update({k: gof.get(k) for k in ("deviance", "df", "p_value", "sparse")})
        if "checks" in extra and m == "loglinear-bic":
            checks[m] = extra["checks"]
        _not_an_estimate(r, h)
        if np.isfinite(r["lower"]) and r["lower"] < h.n_observed:
            # N cannot be below the persons registered (see estimate.truncate_at_observed)
            r["warnings"] = " | ".join(w for w in (r["warnings"], (
                f"lower limit {r['lower']:,.0f} is below the {h.n_observed:,} persons observed: set to "
                f"{h.n_observed:,}")) if w)
            r["lower"] = float(h.n_observed)
    table = pd.DataFrame(rows)
    for c in ("deviance", "df", "p_value"):
        table[c] = pd.to_numeric(table[c] if c in table else np.nan, errors="coerce")
    table["sparse"] = table["sparse"].fillna(False).astype(bool) if "sparse" in table else False
    if headline:
        from .headline import annotate, run_validation
        from .headline import headline as make_headline

        # the heterogeneity evidence is always that of the log-linear BIC choice, whichever methods ran
        ref = checks.get("loglinear-bic")
        if ref is None and h.k >= 3:
            ref = _reference_checks(h, year=year, year_degree=year_degree)
        val = None
        if validation:
            ran = [m for m in table.loc[table["status"] == "ok", "method"] if m != "loglinear-model"]
            if progress:
                progress("validation: every method rerun with each list held out")
            val = run_validation(h, ran, seed=seed, reps=reps, year=year, year_degree=year_degree,
                                 **({"model": model} if model is not None else {}))
        hl = make_headline(table, h, checks=ref, validation=val)
        table = annotate(table, hl)
        table.attrs["headline"] = hl.to_dict()
    if said := first_year_notes(h.notes):  # what link's year is, as estimate says it (compare.json, the terminal)
        table.attrs["notes"] = said
    return table


def _reference_checks(h: CaptureHistories, **kw) -> list[dict] | None:
    """The diagnostics of the log-linear BIC choice, when loglinear-bic did not run (no interval: cheap)."""
    from .estimation import estimate

    try:
        res = estimate(h, search="cruyff", criterion="bic", ci="none", missing="em" if h.n_incomplete else "error",
                       **kw)
    except Exception:  # the headline then goes without the heterogeneity checks (said by its evidence)
        return None
    return [c.to_dict() for c in res.checks]


def forest_plot(table: pd.DataFrame, path: str | Path, *, title: str | None = None, observed: int | None = None) -> list[Path]:
    """Forest plot of a :func:`compare` table, written as PNG and SVG.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`compare`.
    path : path
        File name without or with extension; ``.png`` and ``.svg`` are written.
    title : str, optional
    observed : int, optional
        Persons observed, drawn as a vertical line (N cannot be below it).

    Returns
    -------
    list of Path
        The two files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    real = np.isfinite(table["nhat"].to_numpy(dtype=float))
    if "status" in table.columns:
        # an N̂ where the MLE does not exist (e.g. a boundary fit's artefact) is not drawn as an estimate
        real &= ~table["status"].astype(str).str.startswith("no MLE").to_numpy()
    t = table[real].iloc[::-1]
    # an N̂ that is not an estimate (no MLE, not identified: _not_an_estimate keeps it in nhat_not_identified)
    shown_nowhere = np.isfinite(table["nhat"].to_numpy(dtype=float))
    if "nhat_not_identified" in table.columns:
        shown_nowhere |= np.isfinite(pd.to_numeric(table["nhat_not_identified"], errors="coerce").to_numpy(dtype=float))
    skipped = [str(m) for m in table.loc[~real & shown_nowhere, "method"]]
    fig, ax = plt.subplots(figsize=(7, 0.35 * max(len(t), 3) + 1.2))
    y = np.arange(len(t))
    lo = t["lower"].to_numpy()
    hi = t["upper"].to_numpy()
    nh = t["nhat"].to_numpy()
    finite_hi = np.where(np.isfinite(hi), hi, np.nan)
    ax.errorbar(
        nh,
        y,
        xerr=[np.where(np.isfinite(lo), nh - lo, 0), np.where(np.isfinite(finite_hi), finite_hi - nh, 0)],
        fmt="o",
        color="#1f4e79",
        ecolor="#7f9fbf",
        capsize=3,
    )
    open_hi = ~np.isfinite(hi)
    if open_hi.any():
        ax.plot(nh[open_hi] * 1.3, y[open_hi], marker=">", ls="", color="#b22222", label="no upper limit")
        ax.legend(loc="lower right", fontsize=8)
    if observed:
        ax.axvline(observed, color="grey", ls=":", lw=1)
        ax.text(observed, len(t) - 0.4, " observed", color="grey", fontsize=8, va="bottom")
    ax.set_yticks(y)
    ax.set_yticklabels(t["method"])
    ax.set_xlabel("estimated population size N̂ (95% interval)" + (
        f"\nnot drawn (no MLE or not identified: not an estimate): {', '.join(skipped)}" if skipped else ""))
    if title:
        ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    if len(t) == 0:
        ax.text(0.5, 0.5, "no method gave a finite N̂", transform=ax.transAxes, ha="center", va="center")
    import warnings as _w

    with _w.catch_warnings():
        _w.simplefilter("ignore", UserWarning)  # an empty or one-row plot cannot always be tightened; it is still drawn
        fig.tight_layout()
    p = Path(path)
    stem = p.with_suffix("") if p.suffix in (".png", ".svg") else p
    out = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    for f in out:
        fig.savefig(f, dpi=150)
    plt.close(fig)
    return out


def write(
    table: pd.DataFrame,
    data: CaptureHistories,
    out: str | Path,
    *,
    seed: int | None = None,
    reps: int | None = None,
    overwrite: bool = False,
) -> list[Path]:
    """Write a :func:`compare` table and what a report needs into folder `out`.

    Files: ``compare.csv`` (the table), ``forest.png``/``forest.svg``
    (:func:`forest_plot`), ``capture_histories.csv`` (the aggregated table the methods
    saw) and ``compare.json`` (darkfigure version, date written in UTC, data name,
    persons observed, lists, seed and replicates).

    Returns
    -------
    list of Path
        The files written.

    Written through :func:`darkfigure.outputs.write_result` (as ``darkfigure compare --out``): atomic,
    listed in the folder's ``.darkfigure-outputs.json``, never over a file darkfigure did not write unless
    `overwrite` (writing again into the same folder is fine).

    Raises
    ------
    darkfigure.outputs.OutputError
        A file in `out` that darkfigure did not write would be replaced (the message names it and
        ``overwrite=True``); nothing is written then.
    OSError
        When the folder cannot be created or written.
    """
    from .outputs import write_result

    return write_result(out, lambda d: _write_files(table, data, d, seed=seed, reps=reps), overwrite=overwrite,
                        command="compare")


def _write_files(table: pd.DataFrame, data: CaptureHistories, out: Path, *, seed: int | None,
                 reps: int | None) -> list[Path]:
    """Write the files of :func:`write` into `out` directly."""
    import json
    from datetime import UTC, datetime

    from . import __version__

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "compare.csv"]
    table.to_csv(files[0], index=False)
    files += forest_plot(table, out / "forest", title=data.name, observed=data.n_observed)
    files.append(out / "capture_histories.csv")
    data.to_frame().to_csv(files[-1], index=False)
    info = {
        "darkfigure_version": __version__,
        "run_date": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": {"name": data.name, "observed": data.n_observed, "lists": list(data.lists),
                 "covariates": list(data.covariates)},
        "seed": seed,
        "reps": reps,
    }
    if "headline" in table.attrs:
        info["headline"] = table.attrs["headline"]
    if table.attrs.get("notes"):
        info["notes"] = table.attrs["notes"]
    files.append(out / "compare.json")
    files[-1].write_text(json.dumps(info, indent=2, default=str), encoding="utf-8")
    return files
