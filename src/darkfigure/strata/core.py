"""``estimate_strata``: multiple systems estimation per stratum, over replicates of the data, with totals.

The workflow of HRDAG's verdata (LCMCR per stratum over multiple-imputation replicates,
combined by the laws of total expectation and variance), for any number of strata and
replicates, on worker processes or Spark, with a content-keyed cache:

1. The histories are split by the ``by`` columns into strata; each stratum of each replicate is
   one unit (:mod:`darkfigure.strata.units`: the estimability rule is stated there and in every
   row it excludes).
2. Every unit gets a seed derived from the run seed, the stratum key and the replicate
   (:func:`~darkfigure.strata.units.derive_seed`); cached units are read back, the others run.
3. Per stratum, the replicates are combined (:func:`combine`): with one replicate, the method's
   own interval (percentiles of the bootstrap replicates / posterior draws); with several,
   Rubin's rules on the log scale (log-linear; Rubin 1987, *Multiple Imputation for Nonresponse
   in Surveys*, eq. 3.1.1–3.1.8, as verdata's ``combine_estimates``) or pooled draws (LCMCR: the
   mixture of the replicates' posteriors, whose variance is the law of total variance).
4. Totals over strata (overall, and by each ``by`` column) add, replicate by replicate, draw b
   of every estimable stratum (the strata are independent, so the sum of draws is a draw of the
   sum) and the point estimates, then combine replicates as in 3 — never by adding limits. A bootstrap
   replicate without a finite N̂ is +inf (never redrawn), so it makes that draw of every total it enters
   infinite; a total left without a finite upper end is given with the total over the strata with
   bounded intervals beside it (:func:`~darkfigure.strata.combining.bounded_subtotal`), the strata left
   out named with their observed counts.

The share of the variance due to the replicates is ``(1 + 1/M) B / T`` with ``B`` the
between-replicate variance of the point estimates, ``W`` the mean within-replicate variance of
the draws and ``T = W + (1 + 1/M) B`` (on the N scale).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import __version__
from ..errors import DataError
from ..pipeline.first_year import first_year_notes, for_link_output
from .cache import MemoryCache, ResultCache, unit_key
from .combining import COMBINE, bounded_subtotal, combine, finite_redraw, unbounded_stratum_note
from .engines import ENGINES, Progress, run_local, run_spark
from .notes import (  # noqa: F401 - moved
    _STRATUM_WARNING_KINDS,
    _interval_note,
    stratum_warning_summary,
    table_warnings,
    unbounded_total_warnings,
)

# splitting, option checks and the pooled model choice, re-exported here so imports from this module keep working
from .planning import (  # noqa: F401
    _ID_LIKE_SHARE,
    _LCMCR_ONLY,
    _LOGLINEAR_ONLY,
    _OPTION_NAMES,
    _SEARCHES,
    _SMALL_SEARCHED_STRATA,
    _SMALL_STRATUM,
    StrataInterrupted,
    _check_model,
    _choose_pooled,
    _dropped_lists,
    _ignored_options,
    _sort_keys,
    _split,
)
from .reading import _histories, _plain, _read_frame, read_replicates
from .result import StrataResult
from .units import METHODS, Unit, derive_seed, quick_verdict
from .zeros import zero_lists

__all__ = ["StrataResult", "StrataInterrupted", "estimate_strata", "combine", "read_replicates", "COMBINE"]

# ----------------------------------------------------------------------------- front door
def estimate_strata(
    data,
    by: list[str] | str,
    *,
    method: str = "loglinear",
    lists: list[str] | None = None,
    count: str = "count",
    replicates: str | Path | None = None,
    replicate_kind: str = "imputation",
    combine_by: str = "auto",
    on_empty_list: str = "error",
    structural_zeros=None,
    model: str | None = None,
    search: str = "auto",
    ci: str | None = None,
    reps: int = 500,
    criterion: str | None = None,
    K: int | None = None,
    burnin: int = 10000,
    samples: int = 1000,
    thinning: int = 100,
    chains: int = 2,
    min_observed: int = 10,
    max_ratio: float = 100.0,
    level: float = 0.95,
    total_bias: str = "correct",
    seed: int | None = 0,
    engine: str = "local",
    n_jobs: int | None = None,
    cache: str | Path | None = None,
    progress: bool = False,
    spark=None,
) -> StrataResult:
    """Estimate N per stratum (and over replicates of the data), with totals over strata.

    Parameters
    ----------
    data : path, DataFrame or CaptureHistories
        Capture histories with the ``by`` columns (one row per person, or aggregated with
        `count`). Persons with an unknown ``by`` value form a row of their own (not estimable,
        said so); give imputations of them in `replicates`.
    by : list of str or comma-separated str
        Stratum columns (e.g. ``["region", "period"]``).
    method : {"loglinear", "lcmcr"}
        Poisson log-linear model with a bootstrap interval (by default a model searched per
        stratum, ``search="auto"``; ``search="none"`` fits the main-effects model, `model` a
        fixed one), or the Bayesian latent-class model (:func:`darkfigure.bayes.lcmcr.lcmcr`).
    lists : list of str, optional
        List columns (default: the 0/1 columns).
    replicates : path, optional
        Folder of replicate files (:func:`read_replicates`); each stratum is estimated on each.
    replicate_kind : {"imputation", "linkage"}
    combine_by : {"auto", "rubin", "pooled"}
        How replicates are combined (:func:`combine`); ``auto``: Rubin's rules for the
        log-linear model, pooled draws for LCMCR.
    on_empty_list : {"error", "drop"}
        A list that registered nobody in the whole data: refused (``error``, default) or left out
        of every stratum (``drop``, ``--drop-empty-lists``; said in the warnings). A list empty in
        some strata only is always left out of those strata's fits.
    structural_zeros : path, DataFrame or iterable of (list, covariate, level), optional
        Lists that cannot register a level of a ``by`` column (``--structural-zeros``, as
        ``estimate`` reads it): the list is left out of the fit of every stratum with that level
        (said in the stratum's warnings). A covariate that is not a ``by`` column is refused:
        each stratum is fitted on its lists alone and cannot leave a list out for part of its
        persons (:mod:`darkfigure.strata.zeros` says why; add the column to `by`).
    model, search, ci, reps, criterion
        Log-linear settings as in :func:`darkfigure.estimation.estimate` (`model` read by its parser:
        ``"A:B,B:C"`` or ``"A:B + B:C"``; every name must be a list of the data), and ``search="pooled"``:
        one model structure for all strata (:func:`darkfigure.strata.pooled.pooled_search`: the
        stepwise search minimising the BIC of one model of all strata with stratum-specific main
        effects and interactions common to them), fitted in each stratum with its own parameters
        and its parametric bootstrap (``ci="parametric"``). ``search`` defaults to ``auto``:
        ``pooled`` when at least 2 strata can be fitted and their median observed count is under
        200 (a search in each small stratum on its own biased the totals upwards: +6% over 100
        strata of 30-150), unless ``ci="averaged"`` is given; otherwise Cruyff's search in each
        stratum (as ``estimate``'s ``auto`` without covariates). ``settings["model_search"]`` says
        which model was chosen jointly and why (None after a search in each stratum or with a fixed model: see
        ``table.model``). ``ci`` defaults to ``averaged`` after a per-stratum search
        (the model-averaged bootstrap, which repeats the choice of model in every replicate) and
        ``parametric`` for a pooled search, a fixed `model` or ``search="none"`` (the main-effects
        model: cheaper, but N̂ is biased in strata where the lists interact; poorly fitting strata
        are counted in the warnings); 500 replicates.
    K, burnin, samples, thinning, chains
        LCMCR settings (K default min(2^J - 1, 15), as verdata).
    min_observed, max_ratio : int, float
        The estimability rule's thresholds (:mod:`darkfigure.strata.units`).
    level : float
    total_bias : {"correct", "report"}
        Log-linear totals over strata: ``correct`` (default) removes the parametric bootstrap's
        estimate of the summed small-sample bias b = Σ(mean(N*) − N̂) from the total and its
        interval (point ΣN̂ − b, draws shifted by −2b so that they centre on it: the bias-corrected
        bootstrap of Efron & Tibshirani 1993, §10.6, applied per replicate of the data). N* are
        the chosen model's own parametric replicates in each stratum, also when the interval
        repeats the search (``ci="averaged"``): the bootstrap's bias of a search is not a
        consistent estimate (Leeb & Pötscher 2005) and was found to overcorrect. Each
        stratum's MLE is biased upwards by a little in small strata (as the Lincoln–Petersen
        estimator); over hundreds of strata the biases add up while the total's standard error
        grows only as their square root, so an uncorrected total misses the truth. ``report``
        keeps the plain sums and only reports ``bootstrap_bias`` (with a warning when it exceeds
        half a standard error). Per-stratum rows are never corrected (one stratum's bias is small
        beside its own standard error and its bootstrap estimate is noisy).
    seed : int, optional
        Run seed; each unit's seed derives from it and the stratum key (None: 0 is used, so that
        the cache can be reused).
    engine : {"local", "spark"}
    n_jobs : int, optional
        Worker processes (local) or cores (Spark local mode); default all cores.
    cache : path, optional
        Folder of the result cache (:mod:`darkfigure.strata.cache`); None keeps results in memory only.
    progress : bool
        Strata done / total and time left on a terminal.
    spark : SparkSession, optional
        For ``engine="spark"`` (default: a local session as the linkage's).

    Returns
    -------
    StrataResult

    Raises
    ------
    DataError
        Unreadable data, a ``by`` column missing, an unusable replicate folder, a list with no
        record (with ``on_empty_list="error"``), a `model` term that cannot be read or names
        something that is not a list of the data (a ``by`` column, an unknown name).
    ValueError
        Unknown option values.

    Options the chosen method does not use (``reps``, ``model``, ``search``, ``ci``, ``criterion``,
    ``total_bias`` with LCMCR; ``K``, ``burnin``, ``samples``, ``thinning``, ``chains`` with the
    log-linear model) are named in the warnings when they differ from their defaults.
    """
    t0 = time.perf_counter()
    from .._history_checks import as_names

    by = [str(c).strip() for c in (as_names(by, "by") or [])]  # by=None / by=5: a DataError naming `by`
    by = [c for c in by if c]
    if not by:
        raise ValueError("by (--by) needs at least one column to stratify by")
    method = method.lower()
    if method not in METHODS:
        raise ValueError(f"method (--method) must be one of {METHODS}, not {method!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine (--engine) must be one of {ENGINES}, not {engine!r}")
    if combine_by not in COMBINE:
        raise ValueError(f"combine (--combine) must be one of {COMBINE}, not {combine_by!r}")
    if replicate_kind not in ("imputation", "linkage"):
        raise ValueError(f"replicate kind (--replicate-kind) must be 'imputation' or 'linkage', not {replicate_kind!r}")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if total_bias not in ("correct", "report"):
        raise ValueError(f"total_bias (--total-bias) must be 'correct' or 'report', not {total_bias!r}")
    if min_observed < 1:
        raise ValueError(f"min_observed (--min-observed) must be at least 1, not {min_observed}")
    if max_ratio <= 1:
        raise ValueError(f"max_ratio (--max-ratio) must be above 1, not {max_ratio}")
    if on_empty_list not in ("error", "drop"):
        raise ValueError(f"on_empty_list must be 'error' or 'drop' (--drop-empty-lists), not {on_empty_list!r}")
    seed = 0 if seed is None else int(seed)
    warnings: list[str] = []
    ignored = _ignored_options(method, model=model, search=search, ci=ci, reps=reps, criterion=criterion,
                               total_bias=total_bias, K=K, burnin=burnin, samples=samples, thinning=thinning,
                               chains=chains)
    if ignored:
        warnings.append(f"{', '.join(ignored)} {'is' if len(ignored) == 1 else 'are'} not used by --method {method} "
                        "and had no effect")
    how = combine_by if combine_by != "auto" else ("rubin" if method == "loglinear" else "pooled")
    if method == "loglinear":
        if reps < 20:
            raise ValueError(f"reps (--reps) {reps} is far too few for a bootstrap interval; use 500–1,000")
        search = (search or "auto").lower()
        if search not in _SEARCHES:
            raise ValueError(f"search (--search) must be one of {_SEARCHES}, not {search!r}")
        if search == "pooled" and not model and ci == "averaged":
            raise ValueError("--ci averaged repeats a search in every bootstrap replicate of a stratum; --search pooled "
                             "chooses one model across the strata and gives each stratum the parametric bootstrap of "
                             "that model (--ci parametric, its default)")
        ci_given = ci
        ci = ci or ("parametric" if (model or search in ("none", "pooled")) else "averaged")
        if ci not in ("parametric", "averaged"):
            raise ValueError("ci (--ci) for strata must be 'parametric' or 'averaged' (an interval with draws "
                             "that add up over strata)")
        msettings: dict[str, Any] = {"model": model, "search": "none" if model else search, "ci": ci, "reps": reps,
                                     "criterion": criterion}
    else:
        msettings = {"K": K, "burnin": burnin, "samples": samples, "thinning": thinning, "chains": chains,
                     "a_alpha": 0.25, "b_alpha": 0.25}
    msettings.update(min_observed=int(min_observed), max_ratio=float(max_ratio), level=float(level))

    if cache is not None:  # an unwritable or foreign cache folder is refused before any work (tester 9, F14)
        from .cache import check_cache_folder

        check_cache_folder(cache)

    # ---- data and replicates
    from ..histories import CaptureHistories

    dropped: list[str] = []
    if isinstance(data, CaptureHistories):
        ref = data
        name = data.name or "data"
        gone = [c for c in by if c not in ref.covariates]
        if gone:
            raise DataError(f"--by column(s) {gone} are not covariates of the capture histories "
                            f"(covariates: {list(ref.covariates)})")
    else:
        frame = _read_frame(data, count)
        name = "data" if frame is data or not isinstance(data, (str, Path)) else Path(str(data)).name
        ref = _histories(frame, lists, by, count, name, on_empty_list=on_empty_list, notes=warnings)
        ref = for_link_output(ref, data, by, None)  # --by year of a link output: what its strata are (s24)
        warnings += first_year_notes(ref.notes)
        dropped = _dropped_lists(frame, ref, lists, by, count)
        if dropped:
            warnings.append(f"list(s) {', '.join(dropped)} registered nobody and were left out (--drop-empty-lists)")
    zeros = None
    if structural_zeros is not None:
        from .zeros import resolve_strata_zeros

        zeros = resolve_strata_zeros(structural_zeros, ref, by)
    reps_h = [ref]
    rep_names = [name]
    if replicates is not None:
        reps_h, rep_names, left = read_replicates(replicates, ref, by, count=count, kind=replicate_kind,
                                                  ignore=dropped)
        warnings += left
        if zeros is not None:  # a linkage draw may join a person into a declared structural zero
            from .zeros import check_replicate_zeros

            keep = []
            for h_r, n_r in zip(reps_h, rep_names, strict=True):
                try:
                    check_replicate_zeros(h_r, zeros, n_r)
                    keep.append((h_r, n_r))
                except DataError as e:
                    warnings.append(f"replicate file {n_r!r} left out: {e}")
            if not keep:
                raise DataError("no file in --replicates agrees with --structural-zeros: " + warnings[-1])
            reps_h, rep_names = [k[0] for k in keep], [k[1] for k in keep]
    M = len(reps_h)
    lists_all = tuple(ref.lists)
    if method == "loglinear" and model:
        model = _check_model(model, lists_all, by, dropped)
        msettings["model"] = model

    # ---- strata
    splits = [_split(h, by) for h in reps_h]
    keys = _sort_keys(set().union(*[set(s) for s in splits]))
    n_persons = ref.n_observed + (0 if ref.incomplete is None else int(ref.incomplete["count"].sum()))
    for c in by:
        nlev = len(ref.levels.get(c, ()))
        if n_persons and nlev > max(50, _ID_LIKE_SHARE * n_persons):
            warnings.append(
                f"--by column {c!r} has {nlev:,} levels for {n_persons:,} persons: it looks like an identifier, "
                "not a stratum; most strata will be too small to estimate (choose coarser --by columns)"
            )
    units: list[Unit] = []
    unit_of: dict[tuple[int, int], Unit] = {}
    zero_note: dict[int, str] = {}
    for si, key in enumerate(keys):
        # lists declared unable to register this stratum's level of a --by column leave its fit (.zeros)
        gone = {} if zeros is None else zero_lists(zeros, by, key)
        if gone:
            zero_note[si] = "; ".join(f"list {a} cannot register {why} (structural zero) and was left out of this "
                                      "stratum's fit" for a, why in gone.items())
        keep_idx = [i for i, a in enumerate(lists_all) if a not in gone]
        lists_u = tuple(lists_all[i] for i in keep_idx)
        for r, sp in enumerate(splits):
            cells, counts = sp.get(key, (np.zeros((0, len(lists_all)), np.int8), np.zeros(0, np.int64)))
            if gone:
                cells = cells[:, keep_idx]
                seen = cells.any(axis=1)  # checked: nobody is seen only by a structurally absent list
                cells, counts = cells[seen], counts[seen]
            s = derive_seed(seed, key, r)
            k = unit_key(lists_u, cells, counts, method, msettings, s, __version__)
            u = Unit(si, r, lists_u, cells, counts, method, msettings, s, k)
            units.append(u)
            unit_of[(si, r)] = u

    # ---- one model structure across strata (--search pooled, or auto with small strata): chosen before any fit
    model_search = None
    if method == "loglinear" and not model and search in ("auto", "pooled"):
        from ..pipeline.phases import say

        # the joint search (and its comparison with the collapsed table) runs before the strata's progress bar:
        # seconds to a minute on hundreds of strata, said rather than silent
        t_joint = time.perf_counter()
        # auto decides inside _choose_pooled whether a joint search runs: say what is decided, not what may not
        # happen (tester 9, F20)
        say(progress, f"choosing one model for all {len(keys):,} strata (joint search)…" if search == "pooled" else
            f"--search auto: one model for all {len(keys):,} strata if they are small, else a search in each…",
            terminal=True)
        units, msettings, model_search = _choose_pooled(units, msettings, search, ci_given, lists_all, M,
                                                        criterion, max_ratio, keys=keys, by=by)
        if model_search is not None:
            say(progress, f"joint model search (one model for all strata): done in "
                f"{time.perf_counter() - t_joint:,.0f} s", terminal=True)
        else:
            say(progress, "--search auto: the strata are large enough for a model search in each", terminal=True)
        if model_search is not None:
            ci = msettings["ci"]
            warnings += model_search.pop("warnings", [])

    store = MemoryCache() if cache is None else ResultCache(cache)
    results: dict[tuple[int, int], dict] = {}
    todo = []
    quick = 0
    for u in units:
        verdict = quick_verdict(u)  # rules 1-3 need no fit: neither a worker nor the cache
        if verdict is not None:
            results[(u.stratum, u.replicate)] = verdict
            quick += 1
            continue
        got = store.get(u.key) if cache is not None else None
        if got is not None:
            results[(u.stratum, u.replicate)] = got
        else:
            todo.append(u)
    from_cache = len(units) - len(todo) - quick
    per = {}
    for u in todo:
        per[u.stratum] = per.get(u.stratum, 0) + 1
    bar = Progress(len(keys), per, len(keys) - len(per), show=progress)

    def on_result(u: Unit, res: dict) -> None:
        """Store one unit's result in the cache (atomically) and in memory, and advance the progress bar."""
        store.put(u.key, res)
        results[(u.stratum, u.replicate)] = res
        bar.advance(u.stratum)

    import os

    jobs = n_jobs or os.cpu_count() or 1
    # largest strata first: the long tasks start early and the workers finish together
    todo.sort(key=lambda u: -int(np.sum(u.counts)))
    try:
        if engine == "spark":
            run_spark(todo, on_result, n_jobs=jobs, spark=spark)
        else:
            run_local(todo, on_result, n_jobs=min(jobs, max(len(todo), 1)))
    except KeyboardInterrupt as e:
        # Ctrl-C: every finished unit is in the cache already; say how much a rerun will find there
        done = sum(all((si, r) in results for r in range(M)) for si in range(len(keys)))
        raise StrataInterrupted(done, len(keys), cache is not None) from e
    finally:
        bar.close()

    # ---- per-stratum rows, totals
    rows = []
    B = None
    acc: dict[tuple[str, Any], dict] = {}
    left_out: dict[tuple[str, Any], list] = {}
    groups = [("total", None)] + ([(c, i) for i, c in enumerate(by)] if len(by) > 1 else [])
    for si, key in enumerate(keys):
        res = [results[(si, r)] for r in range(M)]
        est = [x for x in res if x["status"] == "estimated"]
        row = {c: k for c, k in zip(by, key, strict=True)}
        obs = np.array([x["observed"] for x in res], dtype=float)
        row.update(observed=float(obs.mean()) if M > 1 else int(obs[0]), nhat=np.nan, lower=np.nan, upper=np.nan,
                   status="estimated", reason="", replicates=len(est), var_share_replicates=np.nan,
                   draws_unbounded=0, lists_used=res[0]["lists_used"], model="", warnings="",
                   seconds=float(sum(x["seconds"] for x in res)))
        wl = []
        for x in res:
            for w in x.get("warnings") or []:
                if w not in wl:
                    wl.append(w)
        if si in zero_note:
            wl.insert(0, zero_note[si])
        # the stratum's chosen model in its own column, the warnings apart (tester report 6, M4)
        row["model"] = " | ".join(w[len("model: "):] for w in wl if w.startswith("model: "))
        row["warnings"] = " | ".join(w for w in wl if not w.startswith("model: "))
        gkeys = [(g, None if i is None else key[i]) for g, i in groups]
        if len(est) == M:
            pts = np.array([x["nhat"] for x in est], dtype=float)
            dr = np.vstack([np.asarray(x["draws"], dtype=float) for x in est])
            if B is None:
                B = dr.shape[1]
            dr = np.where(np.isfinite(dr), dr, np.inf)  # a replicate without a finite N̂ is N̂* = +inf (units.py)
            name = "/".join(str(k) for k in key)
            dr_low = finite_redraw(dr, name) if not np.isfinite(dr).all() else None  # lower end only (combining)
            c = combine(pts, dr, obs, how, level, draws_low=dr_low)
            row.update(nhat=c["nhat"], lower=c["lower"], upper=c["upper"],
                       var_share_replicates=c["var_share_replicates"] if M > 1 else np.nan,
                       draws_unbounded=c["draws_unbounded"])
            if c["draws_unbounded"]:
                note = unbounded_stratum_note(c["draws_unbounded"], dr.size, M, c["lower"], c["upper"], level)
                row["warnings"] = " | ".join(w for w in (row["warnings"], note) if w)
            bias_s = np.array([x.get("bias", np.nan) for x in est], dtype=float)
            for gk in gkeys:
                a = acc.setdefault(gk, {"points": np.zeros(M), "draws": np.zeros((M, dr.shape[1])),
                                        "observed": np.zeros(M), "bias": np.zeros(M), "strata": 0, "inf": []})
                if a["draws"].shape != dr.shape:
                    raise RuntimeError("strata have different numbers of draws; cannot add them")  # pragma: no cover
                a["points"] += pts
                # the chosen model's small-sample bias (units.py); draws' mean minus N̂ for older results
                a["bias"] += bias_s
                a["observed"] += obs
                a["strata"] += 1
                if c["draws_unbounded"]:
                    # kept apart (few strata): the total over the strata with bounded intervals leaves them out
                    a["inf"].append({"name": name, "points": pts, "draws": dr, "draws_low": dr_low, "bias": bias_s,
                                     "observed": obs,
                                     "unbounded": not np.isfinite(c["upper"]),
                                     "share": c["draws_unbounded"] / dr.size, "n_inf": c["draws_unbounded"]})
                else:
                    a["draws"] += dr
        else:
            failed = any(x["status"] == "failed" for x in res)
            row["status"] = "failed" if failed else "not estimable"
            reasons = []
            # a stratum no person of a replicate falls in is absent from it: said so, not "only 0 person(s)
            # observed" (tester 9, F1)
            gone = [rep_names[r] for r in range(M) if M > 1 and key not in splits[r]]
            if gone:
                reasons.append(", ".join(f"{b}={v}" for b, v in zip(by, key, strict=True)) + " is absent from "
                               + ("replicate " if len(gone) == 1 else f"{len(gone):,} replicates: ")
                               + ", ".join(map(repr, gone[:3])) + (", ..." if len(gone) > 3 else ""))
            for r, x in enumerate(res):
                if x["status"] != "estimated" and x["reason"] not in reasons and not (gone and key not in splits[r]):
                    reasons.append(x["reason"])
            row["reason"] = ("; ".join(reasons[:3]) if M == 1 or not est
                             else f"estimable in {len(est)} of {M} replicates only: " + "; ".join(reasons[:3]))
            for gk in gkeys:
                left_out.setdefault(gk, []).append(float(obs.mean()))
        rows.append(row)
    # persons whose stratum is unknown in DATA (without replicates they cannot be placed)
    if replicates is None and ref.incomplete is not None and len(ref.incomplete):
        inc = ref.incomplete
        nmiss = int(inc["count"].sum())
        unknown = ", ".join(c for c in by if inc[c].isna().any())
        rows.append({**{c: None for c in by}, "observed": nmiss, "nhat": np.nan, "lower": np.nan, "upper": np.nan,
                     "status": "not estimable",
                     "reason": f"{nmiss:,} person(s) with an unknown value of {unknown}: they belong to no stratum; "
                               "give imputations of them with --replicates",
                     "replicates": 0, "var_share_replicates": np.nan, "lists_used": "", "model": "", "warnings": "",
                     "seconds": 0.0})
        left_out.setdefault(("total", None), []).append(float(nmiss))
        warnings.append(f"{nmiss:,} person(s) have an unknown value of {unknown} and are in no stratum (nor in the "
                        "totals' N̂); impute them (--replicates)")
    table = pd.DataFrame(rows)
    for c in by:  # the row of unknown values must not turn whole-number keys (years) into floats
        v = pd.to_numeric(table[c], errors="coerce")
        if len(table) and table[c].notna().any() and v.notna().sum() == table[c].notna().sum() \
                and (v.dropna() == v.dropna().round()).all():
            table[c] = v.astype("Int64")
    tot_rows = []
    unbounded_totals: list[dict] = []
    all_groups = [("total", None)] + sorted(
        {gk for gk in set(acc) | set(left_out) if gk[0] != "total"}, key=lambda g: (by.index(g[0]), str(g[1])))

    def _total(points, draws, bias_m, obs_m, draws_low=None):
        """N̂, lower, upper of a sum over strata (bias-corrected as `total_bias` says) and :func:`combine`'s dict;
        `draws_low`: the draws with each stratum's +inf ones redrawn from its finite ones (for the lower end)."""
        if method == "loglinear" and total_bias == "correct":
            # bias-corrected bootstrap: point minus b; draws (centred on N̂ + b) shifted by 2b to centre on it
            points, draws = points - bias_m, draws - 2 * bias_m[:, None]
            if draws_low is not None:
                draws_low = draws_low - 2 * bias_m[:, None]
        c = combine(points, draws, obs_m, how, level, draws_low=draws_low)
        nhat = max(c["nhat"], float(obs_m.mean()))
        return nhat, min(c["lower"], nhat), max(c["upper"], nhat), c

    for gk in all_groups:
        a = acc.get(gk)
        lo_list = left_out.get(gk, [])
        r = {"group": gk[0], "level": "" if gk[1] is None else gk[1], "strata": 0 if a is None else a["strata"],
             "observed": np.nan, "nhat": np.nan, "lower": np.nan, "upper": np.nan, "var_share_replicates": np.nan,
             "strata_left_out": len(lo_list), "observed_left_out": float(sum(lo_list)), "bootstrap_bias": np.nan,
             "nhat_uncorrected": np.nan, "strata_unbounded": 0, "observed_unbounded": 0.0, "nhat_bounded": np.nan,
             "lower_bounded": np.nan, "upper_bounded": np.nan}
        if a is not None:
            # draw b of the total adds draw b of every stratum: an infinite draw (no finite N̂) makes it infinite
            draws = a["draws"] + sum((x["draws"] for x in a["inf"]), np.zeros_like(a["draws"]))
            # for the lower end: each stratum's +inf draws redrawn from its finite ones (combining.finite_redraw)
            draws_low = (a["draws"] + sum((x["draws_low"] if x.get("draws_low") is not None else x["draws"]
                                           for x in a["inf"]), np.zeros_like(a["draws"]))) if a["inf"] else None
            bias_m = a["bias"]  # per replicate of the data, shape (M,): summed small-sample bias of the MLEs
            nhat, lower, upper, c = _total(a["points"], draws, bias_m, a["observed"], draws_low)
            r.update(observed=float(a["observed"].mean()), nhat=nhat, lower=lower, upper=upper,
                     var_share_replicates=c["var_share_replicates"] if M > 1 else np.nan)
            if not np.isfinite(upper):
                # no finite upper end: say so, and give beside it the total over the strata with bounded intervals
                sub = bounded_subtotal(a, _total)
                r.update({k: sub[k] for k in ("strata_unbounded", "observed_unbounded", "nhat_bounded",
                                              "lower_bounded", "upper_bounded")})
                unbounded_totals.append({"group": gk[0], "level": "" if gk[1] is None else _plain(gk[1]),
                                         "nhat": nhat, "lower": lower, "upper": np.inf, "strata": a["strata"], **sub})
            if method == "loglinear":
                # the parametric bootstrap's estimate of the summed small-sample bias of the strata's MLEs: tiny per
                # stratum, it adds up over many strata while the total's standard error grows as their square root
                bias = float(np.mean(bias_m))
                r["bootstrap_bias"] = bias
                r["nhat_uncorrected"] = float(a["points"].mean())
                sd = float(np.sqrt(c["within_var"] + (1 + 1 / M) * c["between_var"]))
                if total_bias == "report" and gk[0] == "total" and np.isfinite(sd) and sd > 0 and abs(bias) > 0.5 * sd:
                    warnings.append(
                        f"the strata's bootstrap puts the summed small-sample bias of their N̂ at {bias:+,.0f}, "
                        f"{abs(bias) / sd:.1f} standard errors of the total: with many small strata the total's "
                        "interval may be too narrow (or off-centre) by that much (totals.csv: bootstrap_bias)")
        tot_rows.append(r)
    totals = pd.DataFrame(tot_rows)
    warnings += unbounded_total_warnings(unbounded_totals, level)
    note = _interval_note(method, msettings, model, model_search, M)
    if note is not None and len(totals):
        totals["interval"] = note  # what the intervals carry, in the file that is read without strata.json
    n_est = int((table["status"] == "estimated").sum())
    n_not = len(table) - n_est
    warnings += table_warnings(table, method, model, msettings, min_observed)
    summary = stratum_warning_summary(table, by)
    if summary:
        warnings.append(summary)
    settings = {"by": by, "method": method, "lists": list(lists_all), "replicates": rep_names if replicates else None,
                "replicate_kind": replicate_kind if replicates else None, "combine": how if M > 1 else None,
                "seed": seed, "engine": engine, "level": level, "min_observed": int(min_observed),
                "max_ratio": float(max_ratio), "method_settings": msettings, "draws_per_unit": B,
                "total_bias": total_bias if method == "loglinear" else None, "model_search": model_search,
                "interval_note": note,
                "structural_zeros": None if zeros is None else [[str(a), str(c), _plain(v)] for a, c, v in
                                                                zeros.itertuples(index=False)]}
    counts = {"units": len(units), "computed": len(todo), "from_cache": from_cache, "strata": len(table),
              "estimated": n_est, "not_estimable": n_not, "replicates": M}
    return StrataResult(table=table, totals=totals, settings=settings, warnings=warnings, counts=counts,
                        seconds=time.perf_counter() - t0, unbounded_totals=unbounded_totals)
