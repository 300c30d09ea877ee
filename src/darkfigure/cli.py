"""Command line: ``darkfigure estimate DATA``, ``darkfigure simulate SCENARIO``, ``darkfigure datasets``.

The interface is fixed so that scripts can rely on it (see README.md).
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table

from . import __version__
from .errors import DataError


def _no_type_for_flags() -> None:
    """--help shows no ``<bool>`` type beside a flag (a flag takes no value)."""
    from typer.core import TyperOption

    show = TyperOption.display_type_rich
    if getattr(show, "_darkfigure", False):
        return

    def display_type_rich(self, ctx):
        """Typer's type column in --help, empty for flags (no ``<bool>``)."""
        if getattr(self, "is_flag", False) and self.metavar is None:
            return ""
        return show(self, ctx)

    display_type_rich._darkfigure = True
    TyperOption.display_type_rich = display_type_rich


_no_type_for_flags()

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="darkfigure: multiple systems estimation of hidden populations (how many were never registered).",
)
console = Console(emoji=False)
err = Console(stderr=True, emoji=False)


OverwriteOpt = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace existing files that darkfigure did not write (or that were changed since). Never the input.",
    ),
]


# ---------------------------------------------------------------- option blocks shared by the commands
ListsOpt = Annotated[str | None, typer.Option("--lists", help="List columns, comma-separated (default: every 0/1 column).")]
CovariatesOpt = Annotated[
    str | None,
    typer.Option("--covariates", help="Covariate columns, comma-separated (default: every other column but the count)."),
]
CountOpt = Annotated[
    str,
    typer.Option(
        "--count",
        help="Column with the number of persons per row (default: a column named count, Freq, n, ...; "
        "without one, each row is a person).",
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option("--sheet", help="Excel workbook: the sheet holding the data, by name or 0-based position (default: the first)."),
]
DropEmptyOpt = Annotated[
    bool, typer.Option("--drop-empty-lists", help="Drop lists that registered nobody instead of stopping.")
]
MissingOpt = Annotated[
    str,
    typer.Option(
        "--missing",
        help="Persons with unknown covariate values: error (stop), em (keep them; EM over the complete table, "
        "the bootstrap redoes the EM), drop (biases N̂ down).",
    ),
]
YearOpt = Annotated[
    str | None,
    typer.Option("--year", help="Covariate that holds the year: estimates per year, and --year-degree can smooth it."),
]
YearDegreeOpt = Annotated[
    int | None,
    typer.Option("--year-degree", help="Code year as an orthogonal polynomial of this degree (R's poly) instead of dummies."),
]
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="A fixed model's interactions, e.g. 'A:B,B:C' (skips the search).")
]
SearchOpt = Annotated[
    str | None,
    typer.Option(
        "--search",
        help="Model search: auto (estimate's default: stratified with covariates, cruyff without), cruyff (stepwise "
        "BIC then AIC, Cruyff's mse; the monitor's default), stratified (every list x covariate term kept, stepwise "
        "over list interactions), pvalue (SparseMSE stepwise plus list x covariate terms), pvalue-pairs (exactly "
        "SparseMSE: pairs of lists only), exhaustive (all hierarchical list models up to --max-order), none (main "
        "effects or --model).",
    ),
]
CriterionOpt = Annotated[
    str | None,
    typer.Option("--criterion", help="Criterion choosing the model on the search path: bic or aic (default: aic for the stratified search, bic otherwise)."),
]
PthreshOpt = Annotated[
    float | None, typer.Option("--pthresh", help="p-value threshold of the pvalue search (default 0.02).")
]
RepsOpt = Annotated[
    int | None, typer.Option("--reps", help="Bootstrap replicates (default 1,000; at most 100,000).")
]


def _covariates_with_year(covariates: str | None, year: str | None) -> list[str] | None:
    """--covariates as a list ('' = none; None = every other column), with --year added when named apart."""
    from .estimation import with_year

    if covariates is None:
        return None
    return with_year([] if not covariates.strip() else (_split(covariates) or []), year)


def _read(data: str, lists, covariates, count, drop_empty_lists: bool, missing: str, sheet, year=None):
    """Read DATA with the shared data options (--lists, --covariates, --count, --drop-empty-lists, --missing, --sheet).

    --year may name a column apart from --covariates (as Cruyff's ``mse``): it is read as a covariate too.
    """
    from .io import read_histories

    m = missing.lower()
    if m not in ("error", "em", "drop"):
        _fail(f"--missing must be error, em or drop, not {missing!r}")
    h = read_histories(
        data,
        lists=_split(lists),
        covariates=_covariates_with_year(covariates, year),
        count=count,
        on_empty_list="drop" if drop_empty_lists else "error",
        missing="error" if m == "error" else "keep",
        sheet=sheet,
    )
    return h


def _resolve_model_options(search, model, criterion, pthresh, ci=None, percentile=False, reps=None,
                           default_search="cruyff"):
    """Options that would be silently ignored are refused: (search, criterion, pthresh, reps) with defaults filled."""
    from .estimation import MAX_REPS

    if model is not None and search is not None and search.lower() != "none":
        _fail(f"--model fixes the model, so --search {search} would be ignored: give --model or --search, not both")
    search = (search or ("none" if model is not None else default_search)).lower()
    if criterion is not None and search in ("pvalue", "pvalue-pairs"):
        _fail(f"--criterion {criterion} does not apply to --search pvalue, which chooses by p-value (--pthresh); "
              "use --search cruyff or exhaustive with --criterion")
    if criterion is not None and search == "none":
        what = "--model" if model is not None else "--search none"
        _fail(f"--criterion {criterion} chooses among the models of a search; with {what} there is nothing to choose")
    if pthresh is not None and search not in ("pvalue", "pvalue-pairs"):
        _fail(f"--pthresh applies to --search pvalue only (the search is {search})")
    if ci is not None:
        c = ci.lower()
        if percentile and not c.startswith("nonparametric"):
            _fail(f"--percentile applies to --ci nonparametric only (the interval is {ci})")
        if reps is not None and c in ("none", "profile"):
            _fail(f"--reps sets the bootstrap replicates, and --ci {ci} has no bootstrap")
    if reps is not None and reps < 1:
        _fail(f"--reps must be a positive number of bootstrap replicates (got {reps})")
    if reps is not None and reps > MAX_REPS:
        _fail(f"--reps {reps:,} is above the cap of {MAX_REPS:,} (each replicate refits the model, and memory grows "
              "with them): 1,000 is the standard, 10,000 pins the interval's ends down to about 1%")
    if criterion is None and search not in ("auto", "stratified"):
        criterion = "bic"  # the stratified search's default (aic) is estimate's to choose
    return search, criterion, (0.02 if pthresh is None else pthresh), (1000 if reps is None else reps)


#: worker processes beyond this many per core only cost memory
_JOBS_PER_CORE = 4


def _check_jobs(jobs: int | None) -> None:
    cores = os.cpu_count() or 1
    if jobs is not None and jobs > _JOBS_PER_CORE * cores:
        _fail(f"--jobs {jobs} is far more worker processes than this machine's {cores} core(s) can use (each holds "
              f"a copy of the data): use at most {_JOBS_PER_CORE * cores}, or leave --jobs out (all cores)")


#: above this many lists a stepwise search (O(k^2) fits per step on 2^k cells) runs for many minutes: 12 lists took
#: 57 s, 14 lists 172 s, 16 lists > 180 s unfinished on a loaded 2-core machine
MAX_LISTS_SEARCH = 14


def _announce_size(h, search: str) -> None:
    """State the size of the job up front when it is large; refuse a search that cannot finish."""
    stepwise = ("auto", "cruyff", "stratified", "pvalue", "pvalue-pairs")
    if h.k > MAX_LISTS_SEARCH and search in stepwise:
        _fail(f"{h.k} lists make {2 ** h.k - 1:,} observable capture patterns, and the {search} search fits "
              f"{h.k * (h.k - 1) // 2:,} models a step: it cannot finish in reasonable time (limit "
              f"{MAX_LISTS_SEARCH} lists). Merge or drop lists (--lists), or fit one model (--search none, --model)")
    if h.k >= 10 and search in stepwise:
        console.print(f"{h.k} lists: {2 ** h.k - 1:,} observable capture patterns; the {search} search fits up to "
                      f"{h.k * (h.k - 1) // 2:,} models a step (this can take minutes)")


#: simulate --scale above this makes billions of rows; link --max-pairs above this runs for hours
MAX_SCALE = 1000.0
MAX_PAIRS = 1e9


def _data_inputs(*paths) -> list[Path]:
    """The files among `paths` (a bundled dataset name is not a file): what a run must never write over."""
    out = []
    for p in paths:
        if p is None:
            continue
        for q in p if isinstance(p, (list, tuple)) else [p]:
            if q is not None and Path(str(q)).exists():
                out.append(Path(str(q)))
    return out


def _write_out(out: Path, writer, *, overwrite: bool, inputs, command: str, what: str):
    """Every folder a command writes goes through here (:func:`darkfigure.outputs.write_folder`).

    Returns (files written, the writer's result); refused or failed writes exit 2 with a one-line message.
    """
    from .outputs import write_folder

    try:
        return write_folder(out, writer, overwrite=overwrite, inputs=inputs, command=command)
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write {what} to {str(out)!r}: {e.strerror or e}")
    raise AssertionError("unreachable: _fail exits")


#: the files each command writes into its --out folder (checked before any work: see outputs.preflight)
_ESTIMATE_FILES = ["estimates.csv", "result.json", "capture_histories.csv", "search_path.csv"]
_OUTPUT_FILES = {
    "estimate": _ESTIMATE_FILES,
    "compare": ["compare.csv", "forest.png", "forest.svg", "capture_histories.csv", "compare.json"],
    "validate": ["validate.csv"],
    "monitor": ["monitor.csv", "monitor_published.csv", "years.csv", *_ESTIMATE_FILES],
    "simulate": ["histories.csv", "truth.csv", "structural_zeros.csv", "persons.csv"],
    "link": ["links.csv", "persons.csv", "histories.csv"],
    "revictimisation": ["revictimisation.csv", "revictimisation_curve.csv", "revictimisation_first_offence.csv",
                        "revictimisation.json"],
    "demo": ["report.html"],
    "strata": ["strata.csv", "totals.csv", "strata.json"],
}


def _preflight(command: str, out: Path | None, *, overwrite: bool, inputs=(), report: bool = False,
               what: str = "the results") -> None:
    """Refuse at once (exit 2) when --out holds a file this command would write but must not."""
    from .outputs import preflight

    if out is None:
        return
    names = _OUTPUT_FILES[command] + (["report.html"] if report else [])
    try:
        preflight(out, names, overwrite=overwrite, inputs=inputs)
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write {what} to {str(out)!r}: {e.strerror or e}")


def _split(s: str | None) -> list[str] | None:
    if s is None:
        return None
    out = [x.strip() for x in s.split(",") if x.strip()]
    return out or None


def _fmt(v, digits: int = 0) -> str:
    if v is None:
        return "–"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(v):
        return "–"
    if math.isinf(v):
        return "∞"
    out = f"{v:,.{digits}f}"
    # a value that rounds to zero prints without a sign ("-0" for a dark figure of -1e-13 reads as a bug)
    return out[1:] if out.startswith("-") and not out.strip("-0.,") else out


@app.command()
def estimate(
    data: Annotated[str, typer.Argument(help="CSV/Parquet/Excel file, or a bundled dataset name (see `darkfigure datasets`).")],
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
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed (makes bootstrap results reproducible).")] = None,
    level: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    pthresh: PthreshOpt = None,
    percentile: Annotated[
        bool, typer.Option("--percentile", help="Percentile instead of BCa for the nonparametric bootstrap.")
    ] = False,
    jobs: Annotated[int | None, typer.Option(help="Worker processes for the bootstrap (default: all cores).")] = None,
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
    linkage: Annotated[
        str | None,
        typer.Option(
            help="With a `darkfigure link` output folder as DATA: correct (N̂ corrected for linkage error, interval "
            "with linkage uncertainty; the default when the folder has match probabilities) or none."
        ),
    ] = None,
    linkage_draws: Annotated[int, typer.Option(help="Linkage draws from the match probabilities.")] = 50,
    linkage_reps: Annotated[int, typer.Option(help="Parametric bootstrap replicates per linkage draw.")] = 20,
    assumption_range: Annotated[
        str,
        typer.Option(
            help="Range 'lo,hi' of ψ, the odds ratio among the unobserved relative to the model's (its k-list "
            "interaction), over which N̂ is recomputed with the untestable identifying assumption relaxed, with "
            "bounds (docs/identifying_assumption.md); 'off' skips it."
        ),
    ] = "0.5,2",
    pooling: Annotated[
        str,
        typer.Option(
            help="partial: also pool the list effects across strata (mixed-effects log-linear model) and show "
            "pooled subgroup N̂ with a bootstrap interval (--reps, --seed) beside the unpooled ones; none (default)."
        ),
    ] = "none",
    out: Annotated[Path | None, typer.Option(help="Folder for estimates.csv, result.json and search_path.csv.")] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html (one offline HTML report) into --out.")
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Estimate the population size N̂ and the dark figure from capture histories.

    Exit codes: 0 an estimate, 2 bad input, 3 the data cannot identify N (no estimate).
    """
    from .estimation import estimate as run

    if year_degree is not None and year is None:
        _fail("--year-degree needs --year (the column that holds the year)")
    if report and out is None:
        _fail("--report needs --out (the folder the report is written into)")
    search, criterion, pthresh, reps = _resolve_model_options(search, model, criterion, pthresh, ci, percentile, reps,
                                                              default_search="auto")
    _check_jobs(jobs)
    _preflight("estimate", out, overwrite=overwrite, inputs=_data_inputs(data, structural_zeros), report=report)
    try:
        from .linkage.uncertainty import resolve_linkage

        data, link_run, linkage = resolve_linkage(data, None, linkage)
        h = _read(data, lists, covariates, count, drop_empty_lists, missing, sheet, year)
        _announce_size(h, search)
        res = run(
            h,
            year=year,
            year_degree=year_degree,
            search=search,
            criterion=criterion,
            model=model,
            ci=ci,
            reps=reps,
            seed=seed,
            level=level,
            pthresh=pthresh,
            max_order=max_order,
            bca=not percentile,
            n_jobs=jobs,
            progress=True,
            structural_zeros=structural_zeros,
            missing=missing,
            linkage=linkage,
            linkage_run=link_run,
            linkage_draws=linkage_draws,
            linkage_reps=linkage_reps,
            assumption_range=assumption_range,
            pooling=pooling,
        )
    except (DataError, ValueError) as e:
        _fail(str(e))
    _print_result(res)
    _print_linkage(res.linkage)
    _print_pooling(res.pooling)
    if out is not None:
        inputs = _data_inputs(data, structural_zeros)
        files, _ = _write_out(out, res.write, overwrite=overwrite, inputs=inputs, command="estimate",
                              what="the results")
        console.print("Wrote " + ", ".join(str(f) for f in files))
        if report:
            console.print(f"Wrote {_write_report(out, overwrite=overwrite, inputs=inputs)}")
    if not res.fit.identified:
        raise typer.Exit(code=3)


def _fail(msg: str) -> None:
    err.print(f"[bold red]error:[/] {escape(msg)}")
    raise typer.Exit(code=2)


def _print_result(res) -> None:
    h = res.histories
    f = res.fit
    sizes = res.histories.list_sizes()
    head = Table.grid(padding=(0, 2))
    head.add_row("data", f"{h.name or ''}: {h.n_observed:,} persons on {h.k} lists")
    head.add_row("lists", escape(", ".join(f"{k} ({v:,})" for k, v in sizes.items())))
    if h.covariates:
        head.add_row("covariates", escape(", ".join(f"{c} ({len(h.levels[c])} levels)" for c in h.covariates)))
    sz = res.settings.get("structural_zeros")
    if sz:
        head.add_row("structural zeros", escape("; ".join(f"{a} cannot register {c} = {lv}" for a, c, lv in sz)))
    head.add_row("model", escape(f.model.label()))
    head.add_row(
        "fit", f"deviance {f.deviance:,.1f} on {f.df_residual} df; AIC {f.aic:,.1f}; BIC {f.bic:,.1f}; status {f.status}"
    )
    if f.identified:
        if res.ci_method == "none" or math.isnan(res.lower):
            ci_text = "no interval computed" if res.ci_method == "none" else "no interval: see the warnings"
        else:
            hi = "no finite upper limit" if not math.isfinite(res.upper) else _fmt(res.upper)
            ci_text = f"{res.level:.0%} {res.ci_method} interval {_fmt(res.lower)} – {hi}"
            conditional = getattr(res, "conditional", None)
            if conditional is not None:
                ci_text += "; conditional on the chosen model" if conditional else "; includes model-selection uncertainty"
        head.add_row("[bold]N̂[/]", f"[bold]{_fmt(res.nhat)}[/]  ({ci_text})")
        if getattr(res, "averaged", None) is not None and len(res.averaged.fits) == 1:
            visited = 0 if res.search is None else len({f.model.label() for f in res.search.fits})
            head.add_row("averaged", (
                "one model only (no search)" if visited == 0 else "one model only (the search visited one model)"
                if visited == 1 else f"one model only: the search visited {visited} models, but all the weight "
                f"fell on the chosen one (the others' {res.averaged.criterion.upper()} weights are below 0.1%, or "
                "their N̂ is not identified)")
                + ": the interval is that model's parametric bootstrap")
        elif getattr(res, "averaged", None) is not None:
            a = res.averaged
            head.add_row(
                "averaged", f"N̂ is the average over {len(a.fits)} models ({a.criterion.upper()} weights; "
                f"the heaviest {a.weights[0]:.0%}); 'model' above is the search's choice, and the checks below speak "
                "of that model"
            )
        head.add_row("dark figure", f"{_fmt(res.dark_figure)} never registered ({h.n_observed / res.nhat:.0%} visible)")
        if getattr(res, "identifying", None) is not None:
            head.add_row("assumption", escape(res.identifying.summary_line()))
    else:
        head.add_row("[bold]N̂[/]", "[bold red]not identified[/]: this model cannot estimate N")
    console.print(Panel(head, title=f"darkfigure {__version__}", expand=False))
    if res.search is not None and res.search.method != "exhaustive":
        _print_path(res)
    est = res.estimates
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
        marks = []
        for c in res.checks:
            state = "[red]flagged[/]" if c.flagged else ("not computed" if not c.computed else "[green]passed[/]")
            marks.append(f"{c.label} {state}")
        console.print("model checks: " + "; ".join(marks) + " (details in result.json and the report)")
    for n in res.notes:
        console.print(f"[dim]note: {escape(n)}[/]")
    for w in res.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    if hasattr(res, "to_publish"):
        console.print(f"[bold]to publish:[/] {escape(res.to_publish()['statement'])}")


def _print_pooling(pool) -> None:
    """Pooled beside unpooled subgroup N̂ (``--pooling partial``)."""
    if pool is None:
        return
    t = Table(title="Subgroups: unpooled and partially pooled (mixed-effects log-linear model)")
    for c in ("group", "level", "observed", "N̂ stratified", "N̂ pooled", "lower", "upper"):
        t.add_column(c, justify="right" if c not in ("group", "level") else "left")
    tab = pool.table
    # as the unpooled table: past 40 rows only the total and the one-way margins (the rest is in estimates.csv)
    singles = tab["group"].isin(["total", *pool.fit.design.table.histories.covariates])
    shown = tab[singles] if len(tab) > 40 else tab
    for _, r in shown.iterrows():
        t.add_row(escape(str(r["group"])), escape(str(r["level"])), _fmt(r["observed"]),
                  _fmt(r["nhat_stratified"]) if math.isfinite(r["nhat_stratified"]) else "not identified",
                  _fmt(r["nhat_pooled"]), _fmt(r["lower_pooled"]), _fmt(r["upper_pooled"]))
    console.print(t)
    if len(shown) < len(tab):
        console.print(f"({len(tab) - len(shown)} pooled rows for combinations of levels are in estimates.csv)")
    f = pool.fit
    few = pool.few_levels() if hasattr(pool, "few_levels") else {}
    comps = ", ".join(f"{n} {math.sqrt(v):.2f}" + (f" [{few[n]} levels]" if n in few else "")
                      for n, v in zip(f.design.component_names, f.variances))
    console.print(f"pooling: standard deviations of the list x covariate effects (log scale): {escape(comps)}")


def _print_linkage(lk) -> None:
    """The linkage block: N̂ as linked, corrected, and the interval with linkage uncertainty."""
    if lk is None:
        return
    t = Table.grid(padding=(0, 2))
    t.add_row("N̂ as linked", _fmt(lk.nhat_as_linked))
    t.add_row("[bold]N̂ corrected[/]", f"[bold]{_fmt(lk.nhat_corrected)}[/]  ({lk.level:.0%} interval with linkage "
              f"uncertainty {_fmt(lk.lower)} – {_fmt(lk.upper)}; {lk.share_linkage:.0%} of its variance and "
              f"{lk.width_share_linkage:.0%} of its width from linkage)")
    t.add_row("linkage errors", f"expected false links {_fmt(lk.false_links, 1)}, missed links {_fmt(lk.missed_links, 1)} "
              f"(among the compared pairs); persons {lk.persons_as_linked:,} as linked, {lk.persons_drawn:,.0f} "
              f"on average over {lk.draws} draws")
    console.print(Panel(t, title="linkage error", expand=False))
    console.print("[dim]estimates.csv holds the corrected figures; true matches never compared (not blocked "
                  "together) are not corrected[/]")


def _print_path(res) -> None:
    p = res.search.path
    how = "p-value threshold" if res.search.criterion == "pvalue" else res.search.criterion.upper()
    t = Table(title=f"Model search ({res.search.method}); chosen by {how}")
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


@app.command()
def compare(
    data: Annotated[str, typer.Argument(help="CSV/Parquet/Excel file, or a bundled dataset name.")],
    methods: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated subset of: loglinear-bic, loglinear-aic, loglinear-pvalue, M0, Mt, Mh-chao, "
            "Mh-poisson2, Mh-darroch, Mh-gamma3.5, Mth-chao, Mth-poisson2, Mth-darroch, Mth-gamma3.5, "
            "bic-exhaustive, downhill, lcmcr, dga (default: all that apply)."
        ),
    ] = None,
    lists: ListsOpt = None,
    covariates: CovariatesOpt = None,
    count: CountOpt = "count",
    year: YearOpt = None,
    year_degree: YearDegreeOpt = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Also fit this log-linear model (interactions, e.g. 'A:B,B:C'): row loglinear-model."),
    ] = None,
    drop_empty_lists: DropEmptyOpt = False,
    missing: MissingOpt = "error",
    sheet: SheetOpt = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed for samplers and bootstraps.")] = None,
    reps: Annotated[
        int | None,
        typer.Option("--reps", help="Bootstrap replicates (log-linear with covariates, bic-exhaustive, downhill; "
                     "default 1,000, at most 100,000)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for compare.csv and forest.png/.svg.")] = None,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html (one offline HTML report) into --out.")
    ] = False,
    overwrite: OverwriteOpt = False,
    validation: Annotated[
        bool, typer.Option("--validation/--no-validation", help="Hold out each list in turn and re-estimate it "
                           "(all methods but lcmcr, at most 200 replicates) for the headline's evidence.")
    ] = True,
) -> None:
    """Run every applicable method side by side: N̂, interval, interval kind, time, warnings, and a headline range."""
    from .comparison import compare as run
    from .comparison import plan, write

    if report and out is None:
        _fail("--report needs --out (the folder the report is written into)")
    if year_degree is not None and year is None:
        _fail("--year-degree needs --year (the column that holds the year)")
    _, _, _, reps = _resolve_model_options(None, None, None, None, reps=reps)
    _preflight("compare", out, overwrite=overwrite, inputs=_data_inputs(data), report=report, what="the comparison")
    try:
        h = _read(data, lists, covariates, count, drop_empty_lists, missing, sheet, year)
        if missing.lower() == "drop":
            h = h.drop_incomplete()
        to_run, skipped = plan(h, (["loglinear-model"] if model else []) + (_split(methods) or []) or None)
        console.print(
            f"{h.k} lists, {2 ** h.k - 1:,} observable capture patterns, {h.n_observed:,} persons: running "
            f"{len(to_run)} method(s)" + (f"; skipping {len(skipped)} that do not apply (see their rows)" if skipped else "")
        )
        with console.status("running methods…") as st:
            done = []

            def _progress(m: str) -> None:
                done.append(m)
                st.update(f"running {m} ({len(done)} of {len(to_run) + len(skipped)})…")

            table = run(h, _split(methods), seed=seed, reps=reps, progress=_progress, model=model, year=year,
                        year_degree=year_degree, validation=validation)
    except (DataError, ValueError) as e:
        _fail(str(e))
    t = Table(title=f"{h.name or 'data'}: {h.n_observed:,} observed on {h.k} lists")
    for c in ("method", "N̂", "lower", "upper", "interval", "s", "model / warnings"):
        wrap = c == "model / warnings"
        t.add_column(
            c, justify="right" if c in ("N̂", "lower", "upper", "s") else "left", no_wrap=not wrap, ratio=1 if wrap else None
        )
    for _, r in table.iterrows():
        note = r["model"] + ("; " if r["model"] and r["warnings"] else "") + r["warnings"]
        no_mle = str(r.get("status", "ok")).startswith("no MLE")
        t.add_row(
            escape(r["method"] + (" [no MLE]" if no_mle else "")),
            f"[dim]({_fmt(r['nhat'])})[/]" if no_mle else _fmt(r["nhat"]),
            _fmt(r["lower"]), _fmt(r["upper"]), r["interval"], f"{r['seconds']:.2f}",
            (note[:120] + "…") if len(note) > 120 else note,
        )
    console.print(t)
    _print_headline(table)
    if out is not None:
        inputs = _data_inputs(data)
        files, _ = _write_out(out, lambda d: write(table, h, d, seed=seed, reps=reps), overwrite=overwrite,
                              inputs=inputs, command="compare", what="the comparison")
        console.print("Wrote " + ", ".join(str(f) for f in files))
        if report:
            console.print(f"Wrote {_write_report(out, overwrite=overwrite, inputs=inputs)}")


def _print_headline(table) -> None:
    """The verdict per method and the headline range with its reasons (darkfigure.headline)."""
    hl = table.attrs.get("headline")
    if not hl:
        return
    for _, r in table.iterrows():
        if str(r.get("verdict", "")).startswith("dropped: no estimate"):
            continue
        console.print(f"  {escape(str(r['method']))}: {escape(str(r['verdict']))} — {escape(str(r['evidence']))}")
    rng = "no range" if hl["low"] is None else f"{_fmt(hl['low'])} – {_fmt(hl['high'])}"
    note = ("" if hl["data_can_choose"] else " (2 lists: no check is possible)" if "two-lists" in hl.get("rules", [])
            else " (the data cannot choose)")
    console.print(f"[bold]headline: {rng}[/]" + note)
    for reason in hl["reasons"]:
        console.print(f"  - {escape(reason)}")


@app.command()
def validate(
    data: Annotated[str, typer.Argument(help="CSV/Parquet/Excel file, or a bundled dataset name (3 lists or more).")],
    methods: Annotated[
        str | None, typer.Option(help="Comma-separated methods as for `darkfigure compare` (default: all that apply).")
    ] = None,
    lists: ListsOpt = None,
    covariates: CovariatesOpt = None,
    count: CountOpt = "count",
    year: YearOpt = None,
    year_degree: YearDegreeOpt = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Also fit this log-linear model (interactions, e.g. 'A:B,B:C') to each hold-out."),
    ] = None,
    drop_empty_lists: DropEmptyOpt = False,
    missing: MissingOpt = "error",
    sheet: SheetOpt = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed for samplers and bootstraps.")] = None,
    reps: Annotated[
        int | None, typer.Option("--reps", help="Bootstrap replicates where a method uses them (default 1,000).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for validate.csv.")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Hold out each list in turn and re-estimate its size from the others (Binette & Steorts 2022)."""
    from .validate import validate as run

    if year_degree is not None and year is None:
        _fail("--year-degree needs --year (the column that holds the year)")
    _, _, _, reps = _resolve_model_options(None, None, None, None, reps=reps)
    _preflight("validate", out, overwrite=overwrite, inputs=_data_inputs(data), what="the validation")
    try:
        h = _read(data, lists, covariates, count, drop_empty_lists, missing, sheet, year)
        if missing.lower() == "drop":
            h = h.drop_incomplete()
        if h.k < 3:
            raise DataError(f"validation needs at least 3 lists (2 remain when one is held out); the data have {h.k}")
        console.print(f"{h.k} lists: each held out in turn, {h.k} comparisons of {h.k - 1} lists each")
        with console.status("validating…"):
            table = run(h, _split(methods), seed=seed, reps=reps, model=model, year=year, year_degree=year_degree)
    except (DataError, ValueError) as e:
        _fail(str(e))
    t = Table(title="Each list's size re-estimated from the other lists")
    for c in ("list", "|L|", "method", "N̂", "lower", "upper", "log(N̂/|L|)", "covers"):
        t.add_column(c, justify="left" if c in ("list", "method") else "right", no_wrap=True)
    for _, r in table.iterrows():
        cov = "" if r["covered"] is None or (isinstance(r["covered"], float) and math.isnan(r["covered"])) else (
            "yes" if r["covered"] else "[red]no[/]"
        )
        t.add_row(str(r["list"]), _fmt(r["size"]), str(r["method"]), _fmt(r["nhat"]), _fmt(r["lower"]), _fmt(r["upper"]),
                  _fmt(r["log_ratio"], 2), cov)
    console.print(t)
    ok = table.dropna(subset=["log_ratio"])
    if len(ok):
        summ = ok.groupby("method").agg(mean_abs_log_ratio=("log_ratio", lambda v: float(v.abs().mean())),
                                        covered=("covered", lambda v: f"{int((v == True).sum())}/{len(v)}"))  # noqa: E712
        console.print(summ.sort_values("mean_abs_log_ratio").to_string())
    if out is not None:

        def _write(d: Path) -> list[Path]:
            table.to_csv(d / "validate.csv", index=False)
            return [d / "validate.csv"]

        files, _ = _write_out(out, _write, overwrite=overwrite, inputs=_data_inputs(data), command="validate",
                              what="the validation")
        console.print("Wrote " + ", ".join(str(f) for f in files))


@app.command()
def simulate(
    scenario: Annotated[
        str, typer.Argument(help="Scenario TOML file, or the name of a bundled scenario (dutch_like, labour_zeros, ...).")
    ],
    out: Annotated[Path, typer.Option(help="Folder for histories.csv, truth.csv (and structural_zeros.csv).")],
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed (the same seed gives the same population).")] = None,
    persons: Annotated[
        bool, typer.Option("--persons", help="Also write persons.csv: one row per registered person.")
    ] = False,
    registrations: Annotated[
        bool,
        typer.Option(
            "--registrations",
            help="Also write synthetic registration files, registrations/<organisation>.csv (names, dates of birth, "
            "recording errors, duplicates; column true_person_id holds the truth), persons_truth.csv and "
            "registration_errors.csv.",
        ),
    ] = False,
    scale: Annotated[
        float, typer.Option(help="Multiply the scenario's population sizes (e.g. 125 for ~1M clearing_house registrations).")
    ] = 1.0,
    revictimisation: Annotated[
        bool,
        typer.Option(
            "--revictimisation",
            help="Also write revictimisation/victims.csv and later.csv (a victim register, one row per registered "
            "person, and a register of later victimisations, follow-up to 2024-12-31; truth.csv holds the true "
            "shares) for `darkfigure revictimisation`.",
        ),
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Simulate a population with a known truth and the lists' registrations of it."""
    from .linkage.synthetic import scaled_scenario, simulate_registrations
    from .simulation import simulate as run

    if scale > MAX_SCALE:
        _fail(f"--scale {scale:g} would simulate {scale:g} times the scenario's population (--scale 125 already makes "
              f"about 1M clearing_house registrations); the cap is {MAX_SCALE:g}")
    _preflight("simulate", out, overwrite=overwrite, inputs=_data_inputs(scenario), what="the simulation")
    reg = None
    try:
        if registrations:
            reg = simulate_registrations(scenario, seed=seed, scale=scale)
            sim = reg.simulation
        else:
            sim = run(scaled_scenario(scenario, scale) if scale != 1.0 else scenario, seed=seed)
    except (DataError, ValueError) as e:
        _fail(str(e))
    rv = None
    if revictimisation:
        from .monitoring.revictimisation import simulate_revictimisation

        rv = simulate_revictimisation(max(int(sim.n_observed), 50), seed=seed)

    def _write(d: Path) -> list[Path]:
        files = sim.write(d, persons=persons) + (reg.write(d) if reg is not None else [])
        return files + (rv.write(d / "revictimisation") if rv is not None else [])

    files, _ = _write_out(out, _write, overwrite=overwrite, inputs=_data_inputs(scenario), command="simulate",
                          what="the simulation")
    sc = sim.scenario
    years = f"{sc.years[0]}–{sc.years[-1]}" if len(sc.years) > 1 else str(sc.years[0])
    console.print(
        f"{escape(sc.name)}: N = {sim.n_total:,} ({years}), {sim.n_observed:,} registered by {len(sim.lists)} lists "
        f"({sim.n_observed / max(sim.n_total, 1):.0%} visible)"
    )
    if reg is not None:
        console.print(
            f"{len(reg.registrations):,} registrations by {len(reg.organisations)} organisations "
            f"(seed {reg.seed}; true_person_id holds the true person, real files have no such column)"
        )
    console.print("Wrote " + ", ".join(str(f) for f in files))


@app.command()
def pseudonymise(
    registrations: Annotated[Path, typer.Argument(help="Plaintext registration file (CSV, Parquet or Excel).")],
    out: Annotated[Path, typer.Option(help="Pseudonymised registrations to write (.csv or .parquet).")],
    key_file: Annotated[
        Path | None,
        typer.Option(
            help="File holding the secret key shared by the organisations (at least 16 bytes). Without it the key "
            "comes from the environment variable DARKFIGURE_KEY; it is never taken from the command line."
        ),
    ] = None,
    encode_all: Annotated[
        bool,
        typer.Option(
            "--encode-all",
            help="Also drop sex and nationality in clear (kept by default: the estimates use them as covariates).",
        ),
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Replace names and dates of birth by keyed tokens and hardened Bloom filters (run by each organisation).

    Exit codes: 0 written, 2 bad input or key (nothing written).
    """
    from .linkage.pseudonymise import load_key, pseudonymise_file
    from .outputs import write_file

    try:
        key = load_key(key_file)
        df = write_file(
            out, lambda p: pseudonymise_file(registrations, p, key, encode_all=encode_all), overwrite=overwrite,
            inputs=_data_inputs(registrations, key_file), command="pseudonymise",
        )
    except (DataError, ValueError) as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write {str(out)!r}: {e.strerror or e}")
    console.print(f"{len(df):,} registrations pseudonymised (key id {df['key_id'].iloc[0]}); wrote {escape(str(out))}")
    from .linkage.registrations import covariate_columns

    clear = [c for c in covariate_columns(df) if c not in ("sex", "nationality")]
    if clear:
        # everything outside the format passes through as a covariate: say so, an export may hold more
        err.print(
            f"[yellow]warning:[/] column(s) kept in clear as covariates: {escape(', '.join(clear))}. Remove any that "
            "identify a person (phone, address, ...) before sending the file"
        )


@app.command()
def link(
    out: Annotated[Path, typer.Option(help="Folder for links.csv, persons.csv, histories.csv and the quality files.")],
    registrations: Annotated[
        list[Path] | None,
        typer.Argument(help="Registration files of the organisations (CSV, Parquet or Excel; all plaintext or all "
                       "pseudonymised with one key)."),
    ] = None,
    engine: Annotated[str, typer.Option(help="Splink backend: duckdb (in-process) or spark (local mode).")] = "duckdb",
    threshold: Annotated[
        float, typer.Option(help="Match probability at or above which two registrations are the same person.")
    ] = 0.5,
    truth: Annotated[
        str | None,
        typer.Option(help="Column holding the true person (synthetic data): writes linkage_quality.csv."),
    ] = None,
    sensitivity: Annotated[
        str | None,
        typer.Option(help="Thresholds, comma-separated (e.g. 0.5,0.8,0.9,0.95,0.99): re-cluster and re-estimate N̂ "
                     "at each; writes linkage_sensitivity.csv."),
    ] = None,
    covariates: Annotated[
        str | None, typer.Option(help="Covariates to carry to the persons, comma-separated (default: sex and the "
                                 "format's covariates with at most 30 values).")
    ] = None,
    covariate_rule: Annotated[
        str, typer.Option(help="How a person's covariate is chosen: most_frequent (ties: earliest) or earliest.")
    ] = "most_frequent",
    seed: Annotated[int, typer.Option(min=0, help="Seed of the random pairs that estimate u (and of the bootstraps).")] = 0,
    max_pairs: Annotated[
        float, typer.Option(help="Random record pairs compared to estimate u (default 2,000,000; 2e6 works).",
                            show_default=False)
    ] = 2e6,
    threads: Annotated[int | None, typer.Option(help="DuckDB threads / Spark local cores (default: all cores).")] = None,
    memory_limit: Annotated[str | None, typer.Option(help="DuckDB memory limit, e.g. 3GB.")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Link the organisations' registrations into persons (Fellegi–Sunter, Splink) and write capture histories.

    Exit codes: 0 written, 2 bad input (nothing written).
    """
    from .linkage.link import link as run

    sens = None
    if sensitivity is not None:
        try:
            sens = [float(x) for x in _split(sensitivity) or []]
        except ValueError:
            _fail(f"--sensitivity must be numbers separated by commas, not {sensitivity!r}")
    if not 0 < max_pairs <= MAX_PAIRS:
        _fail(f"--max-pairs must be between 1 and {MAX_PAIRS:,.0f} random pairs (2,000,000 is plenty to estimate u); "
              f"got {max_pairs:g}")
    _preflight("link", out, overwrite=overwrite, inputs=_data_inputs(list(registrations or [])), what="the linkage")
    try:
        with console.status("linking…"):
            res = run(
                list(registrations or []), engine=engine, threshold=threshold, seed=seed, truth=truth,
                sensitivity=sens, covariates=_split(covariates), covariate_rule=covariate_rule,
                max_pairs=max_pairs, threads=threads, memory_limit=memory_limit,
            )
    except (DataError, ValueError, RuntimeError) as e:
        _fail(str(e))
    files, _ = _write_out(out, res.write, overwrite=overwrite, inputs=_data_inputs(list(registrations or [])),
                          command="link", what="the linkage")
    console.print(escape(str(res)))
    sizes = res.histories.list_sizes()
    console.print("persons per organisation: " + escape(", ".join(f"{k} {v:,}" for k, v in sizes.items())))
    if res.quality is not None:
        q = res.quality.iloc[0]
        console.print(
            f"against {escape(str(truth))}: pairwise precision {q['precision']:.3f}, recall {q['recall']:.3f}, "
            f"F1 {q['f1']:.3f}; {int(q['found_persons']):,} persons found, {int(q['true_persons']):,} true"
        )
    if res.sensitivity is not None:
        t = Table(title="N̂ by match threshold (false matches shrink N̂, missed matches inflate it)")
        for c in ("threshold", "persons", "N̂", "lower", "upper"):
            t.add_column(c, justify="right")
        for _, r in res.sensitivity.iterrows():
            t.add_row(f"{r['threshold']:g}", _fmt(r["persons"]), _fmt(r["nhat"]), _fmt(r["lower"]), _fmt(r["upper"]))
        console.print(t)
    for n in res.notes:
        console.print(f"[dim]note: {escape(n)}[/]")
    console.print("Wrote " + ", ".join(str(f) for f in files))


@app.command()
def monitor(
    data: Annotated[str, typer.Argument(help="CSV/Parquet/Excel file, or a bundled dataset name (see `darkfigure datasets`).")],
    year: Annotated[str, typer.Option(help="Covariate that holds the year (required).")],
    out: Annotated[Path, typer.Option(help="Folder for monitor.csv and monitor_published.csv.")],
    lists: ListsOpt = None,
    covariates: Annotated[
        str | None,
        typer.Option(help="Covariate columns, comma-separated, the year column included (default: every other column)."),
    ] = None,
    count: CountOpt = "count",
    structural_zeros: Annotated[
        Path | None,
        typer.Option(help="CSV list,covariate,level: the list cannot register that level (or did not exist that year)."),
    ] = None,
    population: Annotated[
        Path | None,
        typer.Option(
            help="CSV with columns year, population and columns named like covariates of the data (e.g. "
            "year,sex,age_group,population) for the SDG 16.2.2 rates per 100,000: covariates are matched to "
            "population columns of the same name; the population is summed over the others."
        ),
    ] = None,
    suppress_below: Annotated[
        int, typer.Option(help="Published tables show observed counts below this as '<K' (with secondary suppression).")
    ] = 10,
    year_degree: YearDegreeOpt = None,
    search: SearchOpt = None,
    criterion: CriterionOpt = None,
    model: ModelOpt = None,
    ci: Annotated[
        str, typer.Option(help="Bootstrap for every group's interval: averaged (default: carries the model-selection "
                          "uncertainty, as estimate's), parametric (Cruyff's search and boot_mse, conditional on the "
                          "chosen model: the published monitor's form) or nonparametric.")
    ] = "averaged",
    reps: RepsOpt = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Random seed (makes bootstrap results reproducible).")] = None,
    level: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    pthresh: PthreshOpt = None,
    jobs: Annotated[int | None, typer.Option(help="Worker processes for the bootstrap (default: all cores).")] = None,
    drop_empty_lists: DropEmptyOpt = False,
    missing: MissingOpt = "error",
    sheet: SheetOpt = None,
    separate_years: Annotated[
        bool,
        typer.Option(
            "--separate-years",
            help="Also fit one model per year and write years.csv: per-year N̂ of the joint model and of separate models.",
        ),
    ] = False,
    linkage: Annotated[
        str | None,
        typer.Option(
            help="With a `darkfigure link` output folder as DATA: correct (N̂ corrected for linkage error, interval "
            "with linkage uncertainty; the default when the folder has match probabilities) or none."
        ),
    ] = None,
    linkage_draws: Annotated[int, typer.Option(help="Linkage draws from the match probabilities.")] = 50,
    linkage_reps: Annotated[int, typer.Option(help="Parametric bootstrap replicates per linkage draw.")] = 20,
    report: Annotated[
        bool, typer.Option("--report", help="Also write report.html (one offline HTML report) into --out.")
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Monitor tables: N̂ per year and subgroup, visibility, SDG 16.2.2 rates, and a table safe to publish.

    Exit codes: 0 tables written, 2 bad input, 3 the data cannot identify N.
    """
    from .monitoring import monitor as run
    from .monitoring.core import MONITOR_CI, monitor_search

    if ci.lower() not in MONITOR_CI:
        _fail(f"--ci must be one of {', '.join(MONITOR_CI)} for the monitor (every group needs an interval), not {ci!r}")
    search, criterion, pthresh, reps = _resolve_model_options(search, model, criterion, pthresh, ci, False, reps,
                                                              default_search=monitor_search(ci, missing))
    _check_jobs(jobs)
    _preflight("monitor", out, overwrite=overwrite, inputs=_data_inputs(data, structural_zeros, population),
               report=report, what="the monitor tables")
    try:
        from .linkage.uncertainty import resolve_linkage

        data, link_run, linkage = resolve_linkage(data, None, linkage)
        h = _read(data, lists, covariates, count, drop_empty_lists, missing, sheet, year)
        _announce_size(h, search)
        res = run(
            h,
            year=year,
            population=population,
            suppress_below=suppress_below,
            ci=ci,
            year_degree=year_degree,
            search=search,
            criterion=criterion,
            model=model,
            reps=reps,
            seed=seed,
            level=level,
            pthresh=pthresh,
            n_jobs=jobs,
            progress=True,
            structural_zeros=structural_zeros,
            separate_years=separate_years,
            missing=missing,
            linkage=linkage,
            linkage_run=link_run,
            linkage_draws=linkage_draws,
            linkage_reps=linkage_reps,
        )
    except (DataError, ValueError) as e:
        _fail(str(e))
    _print_monitor(res)
    _print_linkage(res.estimate.linkage)
    if not res.estimate.fit.identified:
        raise typer.Exit(code=3)
    inputs = _data_inputs(data, structural_zeros, population)
    files, _ = _write_out(out, res.write, overwrite=overwrite, inputs=inputs, command="monitor",
                          what="the monitor tables")
    console.print("Wrote " + ", ".join(str(f) for f in files))
    if report:
        console.print(f"Wrote {_write_report(out, overwrite=overwrite, inputs=inputs)}")


def _print_monitor(res) -> None:
    e = res.estimate
    t = res.table
    head = Table.grid(padding=(0, 2))
    h = e.histories
    head.add_row("data", f"{escape(h.name or '')}: {h.n_observed:,} persons on {h.k} lists")
    head.add_row("model", escape(e.fit.model.label()))
    head.add_row("interval", f"{e.level:.0%} {e.ci_method} bootstrap")
    n_sup = int((res.suppressed == 1).sum())
    n_sec = int((res.suppressed == 2).sum())
    head.add_row("published", f"{n_sup} rows with fewer than {res.threshold} observed shown as <{res.threshold}; "
                 f"{n_sec} more hidden (x) so that totals cannot be differenced back to them")
    console.print(Panel(head, title=f"darkfigure {__version__} monitor", expand=False))
    rates = "rate_per_100k" in t.columns
    tab = Table(title="Total, years and levels (every row, pairs too: monitor.csv)")
    cols = ["group", "level", "year", "observed", "N̂ (interval)", "visible (interval)"]
    if rates:
        cols += ["per 100,000 (interval)"]
    for c in cols:
        # labels never wrap (a narrow terminal squeezed the level column to nothing); intervals may
        tab.add_column(
            c, justify="left" if c in ("group", "level", "year") else "right",
            no_wrap=c in ("group", "level", "year", "observed"),
        )
    single = ~t["level"].astype(str).str.contains(":", regex=False)
    shown = t[(t["group"] == "total") | ((t["year"] == "") & single)]
    if len(shown) > 40:
        shown = shown.head(40)
    for _, r in shown.iterrows():
        row = [
            escape(str(r["group"])), escape(str(r["level"])), escape(str(r["year"]) or "all"), _fmt(r["observed"]),
            f"{_fmt(r['nhat'])} ({_fmt(r['lower'])}–{_fmt(r['upper'])})",
            f"{r['visibility']:.0%} ({r['visibility_lower']:.0%}–{r['visibility_upper']:.0%})",
        ]
        if rates:
            row += [f"{_fmt(r['rate_per_100k'], 2)} ({_fmt(r['rate_lower'], 2)}–{_fmt(r['rate_upper'], 2)})"]
        tab.add_row(*row)
    console.print(tab)
    if res.years is not None:
        yt = Table(title="Per year: one joint model (year as covariate) vs a separate model per year")
        for c in ("year", "observed", "joint N̂ (interval)", "separate N̂ (interval)", "separate model"):
            yt.add_column(c, justify="left" if c in ("year", "separate model") else "right")
        for _, r in res.years.table.iterrows():
            yt.add_row(
                escape(str(r["year"])), _fmt(r["observed"]),
                f"{_fmt(r['joint_nhat'])} ({_fmt(r['joint_lower'])}–{_fmt(r['joint_upper'])})",
                f"{_fmt(r['separate_nhat'])} ({_fmt(r['separate_lower'])}–{_fmt(r['separate_upper'])})",
                escape(str(r["separate_model"])),
            )
        console.print(yt)
        for n in res.years.notes:
            console.print(f"[dim]note: {escape(n)}[/]")
    for w in e.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")


@app.command()
def revictimisation(
    victims: Annotated[
        str, typer.Argument(help="Victim register (CSV/Parquet/Excel): one row per person, id, first registration date, covariates.")
    ],
    later: Annotated[
        str, typer.Argument(help="Later victimisations of any offence (CSV/Parquet/Excel): id, date, offence; one row each.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for revictimisation.csv, revictimisation_curve.csv, revictimisation_first_offence.csv and revictimisation.json (notes and settings, for darkfigure report).")],
    end_of_followup: Annotated[
        str | None,
        typer.Option(
            help="End of follow-up, YYYY-MM-DD (the last date the later register covers), or the name of a column of "
            "VICTIMS with each person's end (default: its column end_of_followup)."
        ),
    ] = None,
    k_years: Annotated[str, typer.Option(help="Years after first registration, e.g. 5 or 1,3,5.")] = "5",
    covariates: Annotated[
        str | None, typer.Option(help="Subgroup columns of VICTIMS, comma-separated (default: every other column).")
    ] = None,
    id_col: Annotated[str, typer.Option(help="Person id column (in both registers).")] = "person_id",
    date_col: Annotated[str, typer.Option(help="Column of VICTIMS with the date of first registration.")] = "first_registration",
    level: Annotated[float, typer.Option(help="Confidence level.")] = 0.95,
    overwrite: OverwriteOpt = False,
) -> None:
    """Repeat victimisation: the share re-victimised within k years of first registration (Kaplan–Meier).

    Exit codes: 0 tables written, 2 bad input.
    """
    from .monitoring.revictimisation import revictimisation as run

    try:
        ks = [float(k) for k in _split(k_years) or []]
    except ValueError:
        _fail(f"--k-years must be numbers of years such as 5 or 1,3,5 (got {k_years!r})")
    _preflight("revictimisation", out, overwrite=overwrite, inputs=_data_inputs(victims, later),
               what="the re-victimisation tables")
    try:
        res = run(
            victims, later, k_years=ks, end_of_followup=end_of_followup,
            covariates=[] if covariates is not None and not covariates.strip() else _split(covariates),
            level=level, id_col=id_col, date_col=date_col,
        )
    except (DataError, ValueError) as e:
        _fail(str(e))
    s = res.settings
    t = Table(title=f"Re-victimisation after first registration: {s['persons']:,} persons, follow-up to "
              f"{escape(s['end_of_followup'])}; Kaplan–Meier with {level:.0%} interval")
    for c in ("group", "level", "offence", "k", "persons", "events", "censored < k", "Kaplan–Meier (interval)", "naive"):
        t.add_column(c, justify="left" if c in ("group", "level", "offence") else "right")
    tab = res.table
    shown = tab if len(tab) <= 40 else tab[(tab["group"] == "total") | (tab["offence"] == "any")]
    for _, r in shown.iterrows():
        km = "not estimable" if math.isnan(r["cumulative"]) else (
            f"{r['cumulative']:.1%}" + ("" if math.isnan(r["lower"]) else f" ({r['lower']:.1%}–{r['upper']:.1%})")
        )
        t.add_row(escape(str(r["group"])), escape(str(r["level"])), escape(str(r["offence"])), f"{r['k_years']:g}",
                  _fmt(r["persons"]), _fmt(r["events"]), _fmt(r["censored"]), km, f"{r['naive']:.1%}")
    console.print(t)
    if len(shown) < len(tab):
        console.print(f"({len(tab) - len(shown)} rows for subgroups by kind of offence are in revictimisation.csv)")
    console.print("[dim]naive = re-victimised within k years ÷ persons: counts persons followed less than k years as "
                  "not re-victimised[/]")
    for n in res.notes:
        console.print(f"[dim]note: {escape(n)}[/]")
    files, _ = _write_out(out, res.write, overwrite=overwrite, inputs=_data_inputs(victims, later),
                          command="revictimisation", what="the re-victimisation tables")
    console.print("Wrote " + ", ".join(str(f) for f in files))


@app.command()
def report(
    run_dir: Annotated[
        Path, typer.Argument(help="The --out folder of `darkfigure estimate`, `monitor`, `compare` or `link`.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="HTML file to write (default: RUN_DIR/report.html; public: RUN_DIR/report_public_LANG.html)."),
    ] = None,
    audience: Annotated[
        str,
        typer.Option(help="analyst (every section, for the analyst) or public (rounded, disclosure-controlled, for "
                     "publication; from an estimate, monitor or compare folder)."),
    ] = "analyst",
    lang: Annotated[str | None, typer.Option(help="Language of the public report: en or nl (default en).")] = None,
    labels: Annotated[
        Path | None,
        typer.Option(help="TOML/YAML file of readable labels for lists, covariates and levels (public report)."),
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also print the report to PDF beside it (needs Chromium; skipped without).")
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Write one self-contained HTML report (opens offline) of a run folder.

    Exit codes: 0 report written, 2 no results in the folder (or unreadable), or bad options.
    """
    if audience not in ("analyst", "public"):
        _fail(f"--audience must be analyst or public, not {audience!r}")
    if audience == "analyst" and (lang is not None or labels is not None):
        _fail("--lang and --labels are for --audience public (the analyst report is in English, with column names)")
    if out is not None and Path(out).suffix.lower() == ".pdf":
        _fail(f"--out {str(out)!r}: --out names the HTML report, not the PDF; give a .html file (--pdf prints the PDF "
              f"beside it, here {str(Path(out).with_suffix('.html'))!r} and {str(out)!r})")
    if audience == "public":
        path = _write_public_report(run_dir, out, lang=(lang or "en").strip().lower(), labels=labels,
                                    overwrite=overwrite)
    else:
        path = _write_report(run_dir, out, overwrite=overwrite)
    console.print(f"Wrote {path}")
    if pdf:
        _write_pdf(path, overwrite=overwrite)


def _write_public_report(run_dir: Path, out: Path | None, *, lang: str, labels: Path | None,
                         overwrite: bool) -> Path:
    """The publication report (:mod:`darkfigure.report.public`) through :func:`darkfigure.outputs.write_file`."""
    from .outputs import MANIFEST, write_file
    from .report.build import load_run
    from .report.labels import load_labels
    from .report.public import build_public_report, translations

    try:
        translations(lang)  # an unknown language, or a missing catalogue, before anything is read
        user = load_labels(labels) if labels is not None else None
        run = load_run(run_dir)
    except DataError as e:
        _fail(str(e))
    from .report.public import unknown_label_keys

    unknown = unknown_label_keys(run, user)
    if unknown:
        err.print(f"[yellow]warning:[/] labels file {escape(str(labels))!r}: no list, covariate or level of this run "
                  f"is called {escape(', '.join(unknown))}; these labels are not used (names are case-sensitive)")
    target = Path(out) if out is not None else Path(run_dir) / f"report_public_{lang}.html"
    reads = [p for p in Path(run_dir).iterdir() if p.is_file() and p.suffix not in (".html", ".pdf")
             and p.name != MANIFEST] + ([labels] if labels is not None else [])
    try:
        return write_file(
            target, lambda p: build_public_report(run_dir, p, lang=lang, labels=user), overwrite=overwrite,
            inputs=reads, command="report", option="--out file" if out is not None else "run folder",
        )
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write the report to {str(out or run_dir)!r}: {e.strerror or e}")
    raise AssertionError("unreachable: _fail exits")


def _write_pdf(html: Path, *, overwrite: bool) -> None:
    """Print `html` to a PDF beside it (headless Chromium); skipped with a message when Chromium is missing."""
    from .outputs import write_file
    from .report.public import ChromiumMissing, print_pdf

    try:
        pdf = write_file(html.with_suffix(".pdf"), lambda p: print_pdf(html, p), overwrite=overwrite,
                         inputs=[html], command="report", option="--out file")
    except ChromiumMissing as e:
        err.print(f"[yellow]warning:[/] PDF skipped: {escape(str(e))}")
        return
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write the PDF beside {str(html)!r}: {e.strerror or e}")
    console.print(f"Wrote {pdf}")


def _write_report(run_dir: Path, out: Path | None = None, *, overwrite: bool = False, inputs=()) -> Path:
    """Build the report of `run_dir` (through :func:`darkfigure.outputs.write_file`).

    The run's result files are inputs (never written over); bad or missing results and write
    errors exit 2 with a one-line message.
    """
    from .outputs import MANIFEST, write_file
    from .report import build_report

    target = Path(out) if out is not None else Path(run_dir) / "report.html"
    from .report.build import load_run

    try:
        load_run(run_dir)  # a missing or empty run folder is reported before anything is created
    except DataError as e:
        _fail(str(e))
    reads = list(inputs)
    if Path(run_dir).is_dir():
        reads += [p for p in Path(run_dir).iterdir() if p.is_file() and p.suffix != ".html" and p.name != MANIFEST]
    try:
        return write_file(
            target, lambda p: build_report(run_dir, p), overwrite=overwrite, inputs=reads, command="report",
            option="--out file" if out is not None else "run folder",
        )
    except DataError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"cannot write the report to {str(out or run_dir)!r}: {e.strerror or e}")
    raise AssertionError("unreachable: _fail exits")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for every output and report.html.")] = Path("darkfigure-demo"),
    reps: Annotated[int, typer.Option(help="Bootstrap replicates of the monitor (1,000 for real work).")] = 200,
    seed: Annotated[int, typer.Option(min=0, help="Random seed (linkage u sampling and bootstrap).")] = 1,
    engine: Annotated[str, typer.Option(help="Record-linkage backend: duckdb or spark.")] = "duckdb",
    jobs: Annotated[int | None, typer.Option(help="Worker processes for the bootstrap (default: all cores).")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """The whole chain on bundled synthetic registrations: linkage, estimates, monitor, repeat victimisation, report.

    Six organisations' registrations (simulated; no real person) are linked into persons, N̂ is
    estimated per year and subgroup, repeat victimisation is measured, and one HTML report is
    written. Because the data are simulated, the true numbers are printed beside the estimates.
    """
    from .demo import run_demo

    if engine not in ("duckdb", "spark"):
        _fail(f"--engine must be duckdb or spark, not {engine!r}")
    _resolve_model_options(None, None, None, None, reps=reps)
    _check_jobs(jobs)
    _preflight("demo", out, overwrite=overwrite, what="the demo's results")
    console.print("darkfigure demo: registrations → linkage → estimates → monitor → report (synthetic data)")
    try:
        _, r = _write_out(
            out, lambda d: run_demo(d, reps=reps, seed=seed, engine=engine, n_jobs=jobs, progress=True),
            overwrite=overwrite, inputs=[], command="demo", what="the demo's results",
        )
    except ValueError as e:
        _fail(str(e))
    q = r.quality
    t = Table(title="Demo results (synthetic data: the truth is known)", show_header=True)
    t.add_column("what")
    t.add_column("estimate", justify="right")
    t.add_column("truth", justify="right")
    t.add_row("registrations linked", f"{r.registrations:,}", "")
    t.add_row("persons found by linkage", f"{r.persons:,}", f"{r.true_persons:,}")
    if q:
        t.add_row("linkage precision / recall", f"{q.get('precision', float('nan')):.3f} / {q.get('recall', float('nan')):.3f}", "")
    t.add_row("N̂ (all years)", f"{_fmt(r.nhat)} [{_fmt(r.lower)}, {_fmt(r.upper)}]", f"{r.true_n:,}")
    lk = r.linkage
    if lk:
        t.add_row("N̂ as linked / from the true links", f"{_fmt(lk['nhat_as_linked'])}",
                  f"{_fmt(lk['nhat_true_links'])} (true links)")
        t.add_row("N̂ corrected for linkage error", f"{_fmt(lk['nhat_corrected'])} [{_fmt(lk['lower'])}, "
                  f"{_fmt(lk['upper'])}]", f"{r.true_n:,}")
        t.add_row("  share of the interval's variance from linkage", f"{lk['share_linkage']:.0%}", "")
        t.add_row("  expected false / missed links", f"{lk['false_links']:,.0f} / {lk['missed_links']:,.0f}", "")
    t.add_row(
        "re-victimised within 5 years",
        f"{r.revictimised:.1%} [{r.revictimised_lower:.1%}, {r.revictimised_upper:.1%}]",
        f"{r.revictimised_truth:.1%}",
    )
    console.print(t)
    for w in r.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}")
    secs = ", ".join(f"{k} {v:.1f} s" for k, v in r.seconds.items())
    console.print(f"Stages: {secs}")
    console.print(f"Report: {r.report.resolve()}")


@app.command()
def strata(
    data: Annotated[str, typer.Argument(help="CSV/Parquet/Excel file with list columns and the --by columns.")],
    by: Annotated[str, typer.Option("--by", help="Stratum columns, comma-separated (e.g. region,period).")],
    method: Annotated[str, typer.Option("--method", help="loglinear (bootstrap interval) or lcmcr (posterior draws).")] = "loglinear",
    lists: ListsOpt = None,
    count: CountOpt = "count",
    replicates: Annotated[
        Path | None,
        typer.Option("--replicates", help="Folder of replicate files (multiple imputations or linkage draws): every "
                     "stratum is estimated on each and the results combined."),
    ] = None,
    replicate_kind: Annotated[
        str, typer.Option("--replicate-kind", help="imputation (same persons and capture histories in every file) or "
                          "linkage (persons may differ).")
    ] = "imputation",
    combine: Annotated[
        str, typer.Option("--combine", help="How replicates combine: auto (Rubin's rules for loglinear, pooled draws "
                          "for lcmcr), rubin, pooled.")
    ] = "auto",
    model: ModelOpt = None,
    search: Annotated[
        str, typer.Option("--search", help="Log-linear model search per stratum (none: main effects or --model; "
                          "cruyff, stratified, pvalue, exhaustive, auto as in estimate).")
    ] = "none",
    ci: Annotated[
        str | None, typer.Option("--ci", help="Log-linear interval: parametric (default with a fixed model) or "
                                 "averaged (default after a search).")
    ] = None,
    reps: Annotated[int, typer.Option("--reps", min=20, help="Bootstrap replicates per stratum (log-linear).")] = 500,
    k: Annotated[int | None, typer.Option("--K", min=1, help="LCMCR latent classes (default min(2^lists - 1, 15)).")] = None,
    burnin: Annotated[int, typer.Option("--burnin", min=0, help="LCMCR burn-in iterations.")] = 10000,
    samples: Annotated[int, typer.Option("--samples", min=4, help="LCMCR draws kept per chain.")] = 1000,
    thinning: Annotated[int, typer.Option("--thinning", min=1, help="LCMCR iterations per kept draw.")] = 100,
    chains: Annotated[int, typer.Option("--chains", min=1, help="LCMCR chains per stratum.")] = 2,
    min_observed: Annotated[
        int, typer.Option("--min-observed", min=1, help="Estimability rule: persons a stratum needs at least.")
    ] = 10,
    max_ratio: Annotated[
        float, typer.Option("--max-ratio", help="Estimability rule: N̂ above this many times the observed is not given.")
    ] = 100.0,
    level: Annotated[float, typer.Option("--level", help="Interval level.")] = 0.95,
    seed: Annotated[int, typer.Option(min=0, help="Run seed (each stratum's seed derives from it and its key).")] = 0,
    engine: Annotated[str, typer.Option("--engine", help="local (worker processes) or spark (Spark tasks).")] = "local",
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, help="Worker processes / Spark cores (default: all cores).")] = None,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Result cache folder (default: OUT/.strata-cache with --out); a rerun or a "
                     "restarted run computes only what is missing."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for strata.csv, totals.csv and strata.json.")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Estimate per stratum (and per replicate), say which strata cannot be estimated and why, and add them up."""
    from .strata import estimate_strata

    _check_jobs(jobs)
    inputs = _data_inputs(data, replicates)
    _preflight("strata", out, overwrite=overwrite, inputs=inputs, what="the strata table")
    if cache is None and out is not None:
        cache = out / ".strata-cache"
    try:
        res = estimate_strata(
            data, by, method=method, lists=_split(lists), count=count, replicates=replicates,
            replicate_kind=replicate_kind, combine_by=combine, model=model, search=search, ci=ci, reps=reps, K=k,
            burnin=burnin, samples=samples, thinning=thinning, chains=chains, min_observed=min_observed,
            max_ratio=max_ratio, level=level, seed=seed, engine=engine, n_jobs=jobs, cache=cache, progress=True,
        )
    except (DataError, ValueError, RuntimeError) as e:
        _fail(str(e))
    c = res.counts
    console.print(f"{c['strata']:,} strata x {c['replicates']:,} replicate(s): {c['estimated']:,} estimated, "
                  f"{c['not_estimable']:,} not; {c['computed']:,} unit(s) computed, {c['from_cache']:,} from the cache "
                  f"({res.seconds:.1f} s)")
    t = Table(title=f"totals over the estimated strata ({res.settings['level']:.0%} intervals)")
    for col in ("group", "level", "strata", "observed", "N̂", "lower", "upper", "repl. var", "left out"):
        t.add_column(col, justify="left" if col in ("group", "level") else "right")
    for _, r in res.totals.head(40).iterrows():
        share = "" if r["var_share_replicates"] != r["var_share_replicates"] else f"{r['var_share_replicates']:.0%}"
        t.add_row(escape(str(r["group"])), escape(str(r["level"])), f"{r['strata']:,}", _fmt(r["observed"]),
                  _fmt(r["nhat"]), _fmt(r["lower"]), _fmt(r["upper"]), share,
                  f"{r['strata_left_out']:,}")
    console.print(t)
    bad = res.table[res.table["status"] != "estimated"]
    for _, r in bad.head(10).iterrows():
        key = ", ".join(f"{b}={r[b]}" for b in res.settings["by"])
        console.print(f"[yellow]{escape(r['status'])}:[/yellow] {escape(key)}: {escape(str(r['reason']))}")
    if len(bad) > 10:
        console.print(f"… and {len(bad) - 10:,} more (strata.csv has every stratum's status and reason)")
    for w in res.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}")
    if out is not None:
        files, _ = _write_out(out, res.write, overwrite=overwrite, inputs=inputs, command="strata",
                              what="the strata table")
        console.print("Wrote " + ", ".join(str(f) for f in files))


@app.command("datasets")
def list_datasets() -> None:
    """List the bundled real datasets (usable by name as DATA)."""
    # one block per dataset: a table squeezed into 80 columns cut the descriptions and sources
    console.print("[bold]Bundled datasets[/] (use the name as DATA)")
    from . import datasets

    for name in datasets.names():
        h = datasets.load(name)
        info = datasets.DATASETS[name]
        console.print(f"\n[bold]{escape(name)}[/]: {h.k} lists, {h.n_observed:,} persons observed")
        console.print(Padding(f"{escape(info.description)}\n[dim]source: {escape(info.source)}[/]", (0, 0, 0, 2)))


@app.command()
def version() -> None:
    """Print the version."""
    console.print(__version__)


def _version_callback(value: bool) -> None:
    if value:
        console.print(__version__)
        raise typer.Exit()


@app.callback()
def _main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """darkfigure: multiple systems estimation of hidden populations (how many were never registered)."""


def main() -> None:
    """Entry point of the ``darkfigure`` command."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except MemoryError:
        err.print("[bold red]error:[/] ran out of memory: use a smaller problem (fewer lists, --reps, --jobs 1)")
        sys.exit(1)
    except Exception as e:  # a bug: one line for the user, the traceback only on request
        if os.environ.get("DARKFIGURE_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {escape(type(e).__name__)}: {escape(str(e))}. This is a bug in darkfigure; "
            "please report it with the command you ran (DARKFIGURE_DEBUG=1 shows the traceback)"
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
