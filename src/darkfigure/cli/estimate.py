"""``darkfigure estimate``: N̂ and the dark figure from capture histories, and its printout."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from .. import __version__
from .._seeds import draw_seed, seed_note
from ..errors import DataError
from .common import (
    _check_jobs,
    _check_marks,
    _check_year_degree,
    _data_inputs,
    _data_label,
    _fail,
    _fmt,
    _preflight,
    _read_for_fit,
    _resolve_model_options,
    _unit_words,
    _write_out,
    console,
    err,
)
from .linkage_text import link_encoding, unblocked_text  # noqa: F401 (imported from here too)
from .options import (
    CountOpt,
    CovariatesOpt,
    CriterionOpt,
    DataArg,
    DropEmptyOpt,
    JobsOpt,
    LevelOpt,
    LinkageDrawsOpt,
    LinkageOpt,
    LinkageRepsOpt,
    ListsOpt,
    MissingOpt,
    ModelOpt,
    OverwriteOpt,
    PthreshOpt,
    ReportOpt,
    RepsOpt,
    SearchOpt,
    SeedOpt,
    SheetOpt,
    YearDegreeOpt,
    YearOpt,
    out_path,
)
from .report import _write_report


def estimate(
    data: DataArg,
    method: Annotated[
        str,
        typer.Option(help="loglinear (log-linear models: the search, --model, --ci) or dga (Bayesian model averaging "
                     "over decomposable graphs, 3-5 lists: posterior median and credible interval, as R's dga)."),
    ] = "loglinear",
    lists: ListsOpt = None,
    covariates: CovariatesOpt = None,
    count: CountOpt = "count",
    year: YearOpt = None,
    year_degree: YearDegreeOpt = None,
    search: SearchOpt = None,
    criterion: CriterionOpt = None,
    max_order: Annotated[
        int | None,
        typer.Option(help="Highest interaction order the search may add (3: three-list terms). Default 2; "
                     "for --search exhaustive every order up to lists - 1 (2 on 6 lists)."),
    ] = None,
    model: ModelOpt = None,
    ci: Annotated[
        str,
        typer.Option(
            help="Interval: averaged (model average over the searched models, bootstrap that carries the "
            "model-selection uncertainty), parametric (Cruyff's boot_mse of the chosen model), nonparametric "
            "(bootstrap with model re-selection, BCa, resampling the estimated population: n random), "
            "nonparametric-conditional (n fixed, as SparseMSE), profile (profile likelihood, as Rcapture), "
            "none. parametric and profile are conditional on the chosen model."
        ),
    ] = "averaged",
    reps: RepsOpt = None,
    seed: SeedOpt = None,
    level: LevelOpt = 0.95,
    pthresh: PthreshOpt = None,
    percentile: Annotated[
        bool, typer.Option("--percentile", help="Percentile instead of BCa for the nonparametric bootstrap.")
    ] = False,
    jobs: JobsOpt = None,
    drop_empty_lists: DropEmptyOpt = False,
    structural_zeros: Annotated[
        Path | None,
        typer.Option(
            help="CSV with columns list,covariate,level: the list cannot register that level (covariate = the "
            "year column: the list did not exist that year). Those cells leave the model."
        ),
    ] = None,
    missing: MissingOpt = "error",
    sheet: SheetOpt = None,
    linkage: LinkageOpt = None,
    linkage_draws: LinkageDrawsOpt = 50,
    linkage_reps: LinkageRepsOpt = 20,
    assumption_range: Annotated[
        str,
        typer.Option(
            help="Range 'lo,hi' of ψ, the odds ratio among the unobserved relative to the model's (its k-list "
            "interaction), over which N̂ is recomputed with the untestable identifying assumption relaxed, with "
            "bounds (the docs page 'Identifying assumption'); 'off' skips it."
        ),
    ] = "0.5,2",
    pooling: Annotated[
        str,
        typer.Option(
            help="partial: also pool the list effects across strata (mixed-effects log-linear model) and show "
            "pooled subgroup N̂ with a bootstrap interval (--reps, --seed) beside the unpooled ones; none (default)."
        ),
    ] = "none",
    out: Annotated[Path | None, typer.Option(parser=out_path, help="Folder for estimates.csv, result.json and search_path.csv.")] = None,
    report: ReportOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Estimate the population size N̂ and the dark figure from capture histories.

    Exit codes: 0 an estimate, 2 bad input, 3 the data cannot identify N (no estimate, or an N̂ the data do not bound).
    """
    if method.strip().lower() != "loglinear":
        from .common import _read
        from .lean import estimate_method

        estimate_method(method, level, lambda: _read(data, lists, covariates, count, drop_empty_lists, missing, sheet,
                                                          command=f"estimate --method {method}"),
                        {"--year": year is not None, "--year-degree": year_degree is not None,
                         "--search": search is not None, "--criterion": criterion is not None,
                         "--max-order": max_order is not None, "--model": model is not None, "--ci": ci != "averaged",
                         "--reps": reps is not None, "--pthresh": pthresh is not None,
                         "--percentile": percentile, "--jobs": jobs is not None,
                         "--structural-zeros": structural_zeros is not None, "--missing em": missing.lower() == "em",
                         "--linkage": linkage is not None, "--linkage-draws": linkage_draws != 50,
                         "--linkage-reps": linkage_reps != 20, "--assumption-range": assumption_range != "0.5,2",
                         "--pooling": pooling != "none", "--report": report},
                        out=out, overwrite=overwrite, seed=seed, inputs=_data_inputs(data, structural_zeros))
    from ..estimation import estimate as run

    _check_year_degree(year, year_degree)
    if report and out is None:
        _fail("--report needs --out (the folder the report is written into)")
    search, criterion, pthresh, reps = _resolve_model_options(search, model, criterion, pthresh, ci, percentile, reps,
                                                              default_search="auto")
    _check_jobs(jobs)
    _preflight("estimate", out, overwrite=overwrite, inputs=_data_inputs(data, structural_zeros), report=report)
    drawn = seed is None
    seed = draw_seed(seed, ci, pooling)  # recorded in result.json's settings and said (tester 12b, M5)
    from ..pipeline.reading import data_folder

    folder = data_folder(data)  # a link folder names the report, not its histories.csv (tester 20)
    try:
        data, h, linked = _read_for_fit(data, lists, covariates, count, drop_empty_lists, missing, sheet, year,
                                        search=search, linkage=linkage, linkage_draws=linkage_draws,
                                        linkage_reps=linkage_reps)
        _refuse_ignored(h, max_order, seed if not drawn else None, ci, pooling, linked, search=search, model=model,
                        jobs=jobs, linkage_options=[  # a bad value is said by its own check, not as ignored
                            f for f, given in (("--linkage", linkage is not None),
                                               ("--linkage-draws", linkage_draws != 50 and linkage_draws >= 2),
                                               ("--linkage-reps", linkage_reps not in (20,) and
                                                (linkage_reps == 0 or linkage_reps >= 20))) if given])
        if drawn and seed is not None:  # said once the input is accepted: a refusal prints no seed (tester 14a, L4)
            err.print(seed_note(seed))
        res = run(h, year=year, year_degree=year_degree, search=search, criterion=criterion, model=model, ci=ci,
                  reps=reps, seed=seed, level=level, pthresh=pthresh, max_order=max_order, bca=not percentile,
                  n_jobs=jobs, progress=True, structural_zeros=structural_zeros, missing=missing, **linked,
                  assumption_range=assumption_range, pooling=pooling)
    except (DataError, ValueError) as e:
        _fail(str(e))
    if drawn and seed is not None:
        res.notes.append(seed_note(seed))
        res.settings["seed_drawn"] = True
    if folder is not None:
        res.settings["data_folder"] = folder
    if linked["linkage_run"] is not None:  # DATA came from a link folder: what link warned about (tester 11, F3)
        from ..linkage.link_warnings import add_link_warnings

        add_link_warnings(res.warnings, data)
    _print_result(res)
    _print_linkage(res.linkage, res, link_encoding(data) if linked["linkage_run"] is not None else None)
    _print_pooling(res.pooling, res.estimates)
    if out is not None:
        inputs = _data_inputs(data, structural_zeros)
        files, _ = _write_out(out, res.write, overwrite=overwrite, inputs=inputs, command="estimate",
                              what="the results", keep=["report.html"] if report else ())
        console.print("Wrote " + ", ".join(str(f) for f in files))
        if report:
            console.print(f"Wrote {_write_report(out, overwrite=overwrite, inputs=inputs)}")
    if not res.fit.identified or _unidentified(res) is not None:
        raise typer.Exit(code=3)

def _unidentified(res) -> str | None:
    """Why the data do not identify N although the model gave N̂ (pipeline.checks.unidentified_reason), or None."""
    from ..pipeline.checks import unidentified_reason

    if not res.fit.identified:
        return None
    return unidentified_reason(res.nhat, res.upper, res.n_observed, ci_method=res.ci_method,
                               full_lists=res.histories.full_lists())


def _visible(n_observed: int, nhat: float) -> str:
    """The share of N̂ observed as a percentage, "<1%" rather than a misleading "0%"; at most 100% (N̂ corrected can lie
    below the persons corrected under the bias rule: darkfigure.dark_floor)."""
    share = min(n_observed / nhat, 1.0) if nhat > 0 else float("nan")
    return "<1%" if 0 < share < 0.005 else f"{share:.0%}"


def _print_result(res) -> None:
    h = res.histories
    f = res.fit
    sizes = res.histories.list_sizes()
    head = Table.grid(padding=(0, 2))
    head.add_row("data", f"{_data_label(res)}: {h.n_observed:,} {_unit_words(h.notes)} on {h.k} lists")
    head.add_row("lists", escape(", ".join(f"{k} ({v:,})" for k, v in sizes.items())))
    if h.covariates:
        head.add_row("covariates", escape(", ".join(f"{c} ({len(h.levels[c])} levels)" for c in h.covariates)))
    sz = res.settings.get("structural_zeros")
    if sz:
        head.add_row("structural zeros", escape("; ".join(f"{a} cannot register {c} = {lv}" for a, c, lv in sz)))
    # with a model average the headline N̂ is not the chosen model's: name the chosen one's own N̂ (s15, the demo)
    avg_many = getattr(res, "averaged", None) is not None and len(res.averaged.fits) > 1 and f.identified
    chosen = (f" (the search's choice{' by ' + res.search.criterion.upper() if res.search is not None else ''}; "
              f"its own N̂ {_fmt(f.nhat)})") if avg_many else ""
    from ..pipeline.search import chosen_by  # the search in words, not its option value (s23 new user, 11)

    found = (f" ({chosen_by(res.search)})"
             if res.search is not None and not avg_many else "")  # which search, as monitor's panel (tester 21a M1)
    head.add_row("model", escape(f.model.label()) + chosen + found)
    head.add_row(
        # a saturated fit's deviance is 0 up to rounding, which printed as "-0.0"
        "fit", f"deviance {0.0 if f.deviance <= 0 else f.deviance:,.1f} on {f.df_residual:,} df; AIC {f.aic:,.1f}; BIC "
        f"{f.bic:,.1f}; status {_STATUS_WORDS.get(f.status, f.status)}"
    )
    if f.identified:
        if res.ci_method == "none" or math.isnan(res.lower):
            ci_text = "no interval computed" if res.ci_method == "none" else "no interval: see the warnings"
        else:
            hi = "no finite upper limit" if not math.isfinite(res.upper) else _fmt(res.upper)
            from ..publish import ci_words  # the interval by what it is, not the option's value (s23)

            ci_text = f"{res.level:.0%} {ci_words(res.ci_method)} {_fmt(res.lower)} – {hi}"
            conditional = getattr(res, "conditional", None)
            if conditional is not None:
                ci_text += "; conditional on the chosen model" if conditional else "; includes model-selection uncertainty"
            if getattr(res, "linkage", None) is not None:
                ci_text += "; with linkage uncertainty"
                from ..linkage.combine import widening_words  # the true reason of each kind (tester 18a, H3)

                shifted = getattr(res.linkage, "shifted", False)
                why = widening_words(getattr(res.linkage, "widened", False), shifted)
                # a widening for Monte-Carlo error is said in full once, on the linkage panel (s23 new user, 6)
                ci_text += (f"; {why}" if shifted else "; widened to the interval as linked") if why else ""
        if getattr(res, "linkage", None) is not None:
            ci_text += "; N̂ corrected for linkage error (see below)"
        why = _unidentified(res)
        full = res.histories.full_lists()
        if why is not None and full:  # N̂ = n forced by a list that registered everyone: no figure at all
            head.add_row("[bold]N̂[/]", f"[bold red]not identified by these data[/]: {escape(why)}")
        elif why is not None:  # the house rule: never show such an N̂ (nor its upper limit) as an estimate
            # no number that reads as an estimate (tester 7, 17): result.json and estimates.csv hold none either
            head.add_row("[bold]N̂[/]", f"[bold red]not identified by these data[/]: {escape(why)}; see 'to publish' "
                         "below")
        else:
            low = ", ".join(f"{s['covariate']}={s['level']}" for s in getattr(res, "full_strata", list)())
            low = f"; [bold red]a lower bound[/]: {escape(low)} not bounded above (see the warnings)" if low else ""
            head.add_row("[bold]N̂[/]", f"[bold]{_fmt(res.nhat)}[/]  ({ci_text}){low}")
        if getattr(res, "averaged", None) is not None and len(res.averaged.fits) == 1:
            visited = 0 if res.search is None else len({f.model.label() for f in res.search.fits})
            shown = why is None and res.ci_method != "none" and not math.isnan(res.lower)  # an interval is shown
            head.add_row("averaged", (
                "one model only (no search)" if visited == 0 else "one model only (the search kept one model)"
                if visited == 1 else f"one model only: the search visited {visited} models, but all the weight "
                f"fell on the chosen one (the others' {res.averaged.criterion.upper()} weights are below 0.1%, or "
                "their N̂ is not identified)")
                + (": the interval is that model's parametric bootstrap" if shown else ""))
        elif getattr(res, "averaged", None) is not None:
            a = res.averaged
            lk = getattr(res, "linkage", None)  # which linkage the average is on, as the assumption line says (16a, 8)
            on = f", corrected for linkage error; as linked {_fmt(lk.nhat_as_linked)}" if lk is not None else ""
            head.add_row(
                "averaged", f"N̂ {_fmt(res.nhat)} is the average over {len(a.fits)} models of the search path "
                f"({a.criterion.upper()} weights; the heaviest {a.weights[0]:.0%}){on}: the headline figure. The model "
                f"checks and the warnings about the fit speak of the chosen model above (its own N̂ {_fmt(f.nhat)}"
                f"{', as linked' if lk is not None else ''})"
            )
        if why is None:  # persons and N̂ from one linkage: corrected both when N̂ is (tester 16a, finding 4)
            from ..result_linkage import persons_words

            said = persons_words(getattr(res.linkage, "persons_corrected", None), h.n_observed) if getattr(
                res, "linkage", None) is not None else ""
            n_sub = float(getattr(res, "persons_subtracted", h.n_observed))
            below = "; N̂ corrected lies below these persons, see the warnings" if res.nhat < n_sub else ""
            never = "not registered in their year" if _unit_words(h.notes) != "persons" else "never registered"
            head.add_row("dark figure", f"{_fmt(res.dark_figure)} {never} ({_visible(n_sub, res.nhat)} "
                         f"visible{'; ' + said if said else ''}{below})")
        elif not full:  # a figure the run says does not exist is not printed (tester report 7, 17): a floor at most
            # the published lower limit (publish_floor), as estimates.csv's dark_figure_lower and the report: not
            # the interval's own lower end, which can lie above it (tester 12b, M6)
            low = (res.to_publish() or {}).get("low") if hasattr(res, "to_publish") else None
            low = float("nan") if low is None else float(low)
            n_sub = float(getattr(res, "persons_subtracted", h.n_observed))  # as estimates.csv: one linkage
            floor = (f" (at least {_fmt(low - n_sub)}, by the lower limit to publish below)"
                     if math.isfinite(low) and low > n_sub else "")
            head.add_row("dark figure", f"not identified{floor}")
        if getattr(res, "identifying", None) is not None and why is None:
            head.add_row("assumption", escape(res.identifying.summary_line()))
    else:
        head.add_row("[bold]N̂[/]", "[bold red]not identified[/]: this model cannot estimate N")
    console.print(Panel(head, title=f"darkfigure {__version__}", expand=False))
    if res.search is not None and res.search.method != "exhaustive":
        _print_path(res)
    # as estimates.csv: no N̂ where the row is not an estimate (a stratum unbounded above: tester 14b, H1)
    est = res.estimates_to_write() if hasattr(res, "estimates_to_write") else res.estimates
    if len(est) > 1:
        t = Table(title="Estimates by group", show_lines=False)
        for c in ("group", "level", "observed", "N̂", "lower", "upper"):
            t.add_column(c, justify="right" if c not in ("group", "level") else "left")
        singles = est["group"].isin(["total", *h.covariates])
        shown = est[singles] if len(est) > 40 else est
        for _, r in shown.iterrows():
            t.add_row(
                escape(str(r["group"])), escape(str(r["level"])), _fmt(r["observed"]), _fmt(r["nhat"]), _fmt(r["lower"]),
                _fmt(r["upper"]),
            )
        console.print(t)
        if len(shown) < len(est):
            console.print(f"({len(est) - len(shown)} rows for pairs of levels are in estimates.csv)")
        if res.ci_method == "profile" and len(shown) > 1:
            console.print("(the profile-likelihood interval is for the total only; use --ci parametric for subgroups)")
    if res.checks:
        avg = getattr(res, "averaged", None)
        about = (f"of the chosen model (N̂ {_fmt(res.fit.nhat)}; the headline N̂ {_fmt(res.nhat)} is the average)"
                 if avg is not None and len(avg.fits) > 1 and res.fit.identified else None)
        console.print(_check_marks(res.checks, about))
    for n in res.notes:
        console.print(f"[dim]note: {escape(n)}[/]")
    for w in res.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    if hasattr(res, "to_publish"):
        console.print(f"[bold]to publish:[/] {escape(res.to_publish()['statement'])}")
        if _unidentified(res) is None:  # the limits are quoted to the unit (tester 15b, L2)
            from ..loglinear.mc_error import estimate_mc_line

            if line := estimate_mc_line(res):
                console.print(escape(line))


def _refuse_ignored(h, max_order, seed, ci, pooling, linked, *, search: str = "auto", model=None, jobs=None,
                    linkage_options=()) -> None:
    """Refuse options that would be ignored (README; tester 12b, L4; tester 14b, L8).

    --max-order beyond the lists' interactions (with k lists they go up to k - 1 lists; the k-list term is not
    identified; with 2 lists there is no interaction to search), or with one model (--model, --search none);
    --seed and --jobs where nothing is random or parallel (--ci none draws no bootstrap; without --pooling
    partial or a linkage correction nothing else is: a link folder with --linkage none draws nothing); --linkage, --linkage-draws, --linkage-reps on data that
    are not a link folder. --level stays: with --ci none it still sets the identifying assumption's bounds.
    """
    if max_order is not None and (model is not None or str(search).lower() == "none"):
        _fail(f"--max-order {max_order} would be ignored: it bounds a model search, and {'--model' if model else '--search none'} "
              "fits one model. Leave --max-order out")
    plain = linked.get("linkage_run") is None
    # linkage draws (random, spread over processes) run only when the correction does: a link folder with
    # --linkage none draws nothing, so there --seed and --jobs are ignored as on a plain file (s24 fresh-clone L5)
    draws = not plain and str(linked.get("linkage") or "").lower() == "correct"
    if linkage_options and plain:
        _fail(f"{', '.join(linkage_options)} would be ignored: the data are not a `darkfigure link` output folder, so "
              "there is no linkage to correct for. Leave them out")
    if jobs is not None and str(ci).lower() == "none" and pooling == "none" and not draws:
        _fail(f"--jobs {jobs} would be ignored: --ci none runs no bootstrap, the only part spread over worker "
              "processes here. Leave --jobs out, or ask for a bootstrap interval")
    if max_order is not None and (max_order > h.k or h.k == 2):
        top = "no interaction can be searched" if h.k == 2 else f"interactions go up to {h.k - 1} lists"
        _fail(f"--max-order {max_order} would be ignored: with {h.k} lists {top} (the {h.k}-list term is not "
              "identified). Leave --max-order out")
    if seed is not None and str(ci).lower() == "none" and pooling == "none" and not draws:
        _fail(f"--seed {seed} would be ignored: --ci none draws no bootstrap and nothing else in this run is random"
              + (" (--linkage none: no linkage draws)" if not plain else "")
              + ". Leave --seed out, or ask for a bootstrap interval (--ci averaged, parametric or nonparametric)")


def _print_pooling(pool, est=None) -> None:
    """Pooled beside unpooled subgroup N̂ (``--pooling partial``).

    The run's own figure of each row (the "Estimates by group" table, `est`) is repeated here with its interval,
    beside each stratum's own fit (``nhat_stratified``, every list x stratum term free), so that the two tables
    never call one estimate by two names (tester 13a, F4: "222 (83 – ∞)" above, "not identified" here, for two
    different fits under one word "stratified"); a closing line says which figure to read.
    """
    if pool is None:
        return
    tab = pool.table
    if est is not None and {"nhat", "lower", "upper"} <= set(est.columns):
        tab = tab.merge(est[["group", "level", "nhat", "lower", "upper"]], on=["group", "level"], how="left")
    above = "nhat" in tab.columns
    t = Table(title="Subgroups: unpooled and partially pooled (mixed-effects log-linear model)")
    cols = ["group", "level", "observed", *(["N̂ as above (interval)"] if above else []), "N̂ each stratum alone",
            "N̂ pooled", "lower", "upper"]
    for c in cols:
        t.add_column(c, justify="right" if c not in ("group", "level") else "left")
    # as the unpooled table: past 40 rows only the total and the one-way margins (the rest is in estimates.csv)
    singles = tab["group"].isin(["total", *pool.fit.design.table.histories.covariates])
    shown = tab[singles] if len(tab) > 40 else tab
    for _, r in shown.iterrows():
        own = _fmt(r["nhat_stratified"]) if math.isfinite(r["nhat_stratified"]) else "not identified"
        first = [f"{_fmt(r['nhat'])} ({_fmt(r['lower'])} – {_fmt(r['upper'])})"] if above else []
        t.add_row(escape(str(r["group"])), escape(str(r["level"])), _fmt(r["observed"]), *first, own,
                  _fmt(r["nhat_pooled"]), _fmt(r["lower_pooled"]), _fmt(r["upper_pooled"]))
    console.print(t)
    if len(shown) < len(tab):
        console.print(f"({len(tab) - len(shown)} pooled rows for combinations of levels are in estimates.csv)")
    f = pool.fit
    few = pool.few_levels() if hasattr(pool, "few_levels") else {}
    comps = ", ".join(f"{n} {math.sqrt(v):.2f}" + (f" [{few[n]} levels]" if n in few else "")
                      for n, v in zip(f.design.component_names, f.variances))
    console.print(f"pooling: standard deviations of the list x covariate effects (log scale): {escape(comps)}")
    console.print(escape(_pooling_legend(tab if above else None)))


def _pooling_legend(tab) -> str:
    """What the pooled table's N̂ columns are, and which to read: the run's figure, unless its upper limit is
    infinite where the pooled one is finite (then the pooled figure, with the assumption it rests on).

    `tab` is the pooled table merged with the run's ``nhat, lower, upper`` (None without them).
    """
    text = ("pooling: 'N̂ as above' is this run's estimate (the 'Estimates by group' table, its model fitted to all "
            "strata together, in estimates.csv's nhat); 'each stratum alone' fits every list x stratum term freely "
            "(estimates.csv's nhat_stratified; 'not identified' where a stratum is too small for its own list "
            "effects, and in every sum over such a stratum); 'pooled' shrinks the list effects of each stratum "
            "toward their mean across strata. ")
    if tab is None:
        return text + "Read the run's figures unless they are unbounded where the pooled ones are not."
    up, pup = tab["upper"].to_numpy(dtype=float), tab["upper_pooled"].to_numpy(dtype=float)
    rescued = tab[(~np.isfinite(up) & ~np.isnan(up)) & np.isfinite(pup)]
    if rescued.empty:
        return text + ("Which to read: this run's figures (those 'to publish' speaks of); the pooled ones are a "
                       "check on the small subgroups.")
    names = [f"{g}={lv}" if lv else str(g) for g, lv in zip(rescued["group"], rescued["level"])]
    named = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return text + (f"Which to read: this run's figures, except where their upper limit is infinite and the pooled "
                   f"one is not ({named}): there only the pooled figure has an interval, and it rests on the pooling "
                   "assumption (that subgroup registered like the others, up to a normal random list effect; see "
                   "the warnings on variances from few levels), so publish it only with that assumption said.")


def _print_linkage(lk, res=None, encoding: str | None = None) -> None:
    """The linkage block: N̂ as linked (with its interval), corrected, and the interval with linkage uncertainty
    (none with --ci none); which estimator both come from; the linkage quality against the truth given to
    ``link --truth``, when the run had one (also without the correction). `encoding`: the link run's
    (:func:`link_encoding`), for what the correction did about matches never compared."""
    truth = (getattr(res, "settings", None) or {}).get("linkage_quality_against_truth")
    q = {"precision": float("nan"), "recall": float("nan"), "f1": float("nan"), **(truth or {})}
    said = (f"pairwise precision {q['precision']:.3f}, recall {q['recall']:.3f}, F1 {q['f1']:.3f}, measured "
            "against the truth column given to `darkfigure link --truth`")
    if lk is None:
        if truth:
            console.print(f"linkage quality: {escape(said)}")
        return
    t = Table.grid(padding=(0, 2))
    est = getattr(res, "estimates", None)
    as_linked = _fmt(lk.nhat_as_linked)
    if est is not None and "lower_as_linked" in est.columns and math.isfinite(float(est["lower_as_linked"].iloc[0])):
        as_linked += (f"  ({lk.level:.0%} interval {_fmt(est['lower_as_linked'].iloc[0])} – "
                      f"{_fmt(est['upper_as_linked'].iloc[0])}, taking the linkage as error-free)")
    t.add_row("N̂ as linked", as_linked)
    from ..linkage.combine import rule_block

    rb = rule_block(lk)  # the mean over draws beside as linked, and the rule that made N̂ corrected (tester 14a, H1)
    t.add_row("mean over draws", f"{_fmt(rb['nhat_mean_draws'] or math.nan)}  (N̂ corrected below is {rb['correction_rule']})")
    if math.isfinite(lk.lower):
        shifted = getattr(lk, "shifted", False)
        t.add_row("[bold]N̂ corrected[/]", f"[bold]{_fmt(lk.nhat_corrected)}[/]  ({lk.level:.0%} interval with linkage "
                  f"uncertainty {_fmt(lk.lower)} – {_fmt(lk.upper)}; " + (
                      # widened for a shift: its width is mostly linkage, said on it (tester 18a, H3)
                      f"{_share(lk.width_share_linkage)} of its width from linkage, the widening to cover N̂ as "
                      "linked included)" if shifted and math.isfinite(lk.width_share_linkage) else
                      f"{_share(lk.share_linkage)} of its variance and {_share(lk.width_share_linkage)} of its width "
                      "from linkage)" if math.isfinite(lk.share_linkage) else
                      "share of its variance from linkage not computed: some replicates set no upper limit)"))
        if shifted:  # a shift of the draws, not their width (see the warning; tester 14a, M1)
            from ..linkage.combine import SHIFTED

            own = (f" ({_share(lk.share_linkage)} of its variance and {_share(getattr(lk, 'width_share_linkage_draws', math.nan))} of its "
                   "width from linkage)" if math.isfinite(lk.share_linkage) else "")
            t.add_row("", f"the draws' own interval {_fmt(lk.lower_draws)} – {_fmt(lk.upper_draws)}{own}: {SHIFTED}")
        elif getattr(lk, "widened", False):
            from ..linkage.combine import WIDENED

            t.add_row("", f"the draws' own interval {_fmt(lk.lower_draws)} – {_fmt(lk.upper_draws)} came out narrower "
                      f"than the interval as linked: {WIDENED} (their union is published)")
    else:
        why = "--ci none" if getattr(res, "ci_method", "none") == "none" else "see the warnings"
        t.add_row("[bold]N̂ corrected[/]", f"[bold]{_fmt(lk.nhat_corrected)}[/]  (no interval: {why})")
    if res is not None:
        avg = getattr(res, "averaged", None)
        t.add_row("estimator", "the model average, refitted on every linkage draw (its interval keeps the "
                  "model-selection uncertainty)" if avg is not None and len(avg.fits) > 1 else
                  "the chosen model, refitted on every linkage draw (conditional on that model)")
    t.add_row("linkage errors", f"expected false links {_fmt(lk.false_links, 1)}, missed links {_fmt(lk.missed_links, 1)} "
              f"(from the match probabilities; an undated registration's pairs by its assignment model); persons {lk.persons_as_linked:,} as linked, {lk.persons_drawn:,.0f} "
              f"on average over {lk.draws} draws, {_fmt(getattr(lk, 'persons_corrected', float('nan')))} corrected "
              "by the same rule as N̂ (what the dark figure subtracts)")
    if truth:
        t.add_row("against truth", escape(said))
    console.print(Panel(t, title="linkage error", expand=False))
    console.print(f"[dim]estimates.csv holds the corrected figures; {escape(unblocked_text(lk, encoding))}[/]")


def _share(x: float) -> str:
    """A share as the report writes it (``report.views.fmt_pct``: one decimal, "0.4%", never "0%"; tester 11, F14)."""
    from ..report.views import fmt_pct

    return fmt_pct(x)


#: a fit's status in words, in the panel and beneath the search path (s23; as the report's sections_fit); never "N̂
#: still identified" for extended: a stratum where one list registered everyone is not (tests/test_full_list_stratum.py)
_STATUS_WORDS = {"ok": "ok (the MLE exists)", "extended": "extended (extended MLE: some cells fitted as 0, e.g. "
                 "of lists that share nobody)", "not identified": "not identified (no finite N̂)"}


def _print_path(res) -> None:
    p = res.search.path
    from ..pipeline.search import search_name

    how = "p-value threshold" if res.search.criterion == "pvalue" else res.search.criterion.upper()
    t = Table(title=f"Model search: {search_name(res.search.method).removeprefix('the ')}; chosen by {how}")
    cols = ["step", "df", "deviance", "AIC", "BIC", "N̂", "status"]
    for c in cols:
        t.add_column(c, justify="left" if c in ("step", "status") else "right")
    best = res.search.best
    for i, r in p.iterrows():
        mark = "◀" if res.search.fits[i] is best else ""
        t.add_row(
            (str(r["step"]) or "main effects") + (" " + mark if mark else ""),
            str(r["df"]),
            _fmt(r["deviance"], 1),
            _fmt(r["aic"], 1),
            _fmt(r["bic"], 1),
            _fmt(r["nhat"], 1) if r["status"] in ("ok", "extended") else "not identified",
            str(r["status"]),
        )
    console.print(t)
    # a legend for what a new user cannot guess (s23): the step's sign and pair, the symbols, the statuses shown
    steps = [str(x) for x in p["step"] if ":" in str(x)]
    pair = steps[0].split()[-1] if steps else None  # a pair of these lists as the example
    minus = ", '-' removes one" if any(x.startswith("-") for x in steps) else ""
    step = (f"step: '+ {pair}' adds the interaction of lists {' and '.join(pair.split(':'))} (their dependence)"
            f"{minus}; ") if pair else ""
    seen = [w for w in _STATUS_WORDS if w in set(p["status"])]
    console.print(escape(f"{step}df: residual degrees of freedom; N̂: estimated total, registered or not; ◀: the "
                         "chosen model" + "".join(f"; status {_STATUS_WORDS[w]}" for w in seen)), style="dim")
