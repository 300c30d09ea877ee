"""``darkfigure monitor`` (tables per year and subgroup) and ``darkfigure revictimisation``."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from .. import __version__
from .._seeds import draw_seed, seed_note
from ..errors import DataError
from .common import (
    _announce_size,
    _check_jobs,
    _check_marks,
    _data_inputs,
    _data_label,
    _fail,
    _fmt,
    _preflight,
    _read,
    _read_for_fit,
    _resolve_model_options,
    _say_first_year,
    _split,
    _unit_words,
    _write_out,
    console,
    err,
)
from .estimate import _print_linkage, link_encoding
from .options import (
    CountOpt,
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
    out_path,
)
from .report import _write_report


def monitor(
    data: DataArg,
    year: Annotated[str, typer.Option(help="Covariate that holds the year (required; data of one year: the year labels every row and "
                                      "is no covariate of the model). On a `darkfigure link` folder, registration_year: one unit per person and calendar "
                                      "year of registration.")],
    out: Annotated[Path, typer.Option(parser=out_path, help="Folder for monitor.csv and monitor_published.csv.")],
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
            "population columns of the same name; the population is summed over the others. A covariate sex or "
            "age_group of the data must be a column of the table (checked before any fitting)."
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
    seed: SeedOpt = None,
    level: LevelOpt = 0.95,
    pthresh: PthreshOpt = None,
    jobs: JobsOpt = None,
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
    linkage: LinkageOpt = None,
    linkage_draws: LinkageDrawsOpt = 50,
    linkage_reps: LinkageRepsOpt = 20,
    report: ReportOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Monitor tables: N̂ per year and subgroup, visibility, SDG 16.2.2 rates, and a table safe to publish.

    Exit codes: 0 tables written, 2 bad input, 3 the data cannot identify N.
    """
    from ..monitoring import monitor as run
    from ..monitoring.core import MONITOR_CI, monitor_search

    if ci.lower() not in MONITOR_CI:
        _fail(f"--ci must be one of {', '.join(MONITOR_CI)} for the monitor (every group needs an interval), not {ci!r}")
    asked = (search, criterion, pthresh, reps)
    search, criterion, pthresh, reps = _resolve_model_options(search, model, criterion, pthresh, ci, False, reps,
                                                              default_search=monitor_search(ci, missing))
    _check_jobs(jobs)
    _preflight("monitor", out, overwrite=overwrite, inputs=_data_inputs(data, structural_zeros, population),
               report=report, what="the monitor tables")
    drawn = seed is None
    seed = draw_seed(seed, ci)  # every monitor interval is a bootstrap: recorded and said (tester 12b, M5)
    from ..pipeline.reading import data_folder

    folder = data_folder(data)  # a link folder names the report, not its histories.csv (tester 20)
    try:
        data, h, linked, one_year = _read_monitor(data, lists, covariates, count, drop_empty_lists, missing, sheet,
                                                  year, search=search, linkage=linkage, linkage_draws=linkage_draws,
                                                  linkage_reps=linkage_reps)
        if drawn and seed is not None:  # said once the input is accepted, as estimate (tester 14a, L4)
            err.print(seed_note(seed))
        if asked[0] is None and missing.lower() == "em" and not h.n_incomplete:
            # no unknown value among the covariates used: the defaults of a run without --missing em (15a, H5)
            search, criterion, pthresh, reps = _resolve_model_options(*asked[:1], model, *asked[1:3], ci, False,
                                                                      asked[3], default_search=monitor_search(ci))
        res = run(h, year=year, one_year=one_year, population=population, suppress_below=suppress_below, ci=ci,
                  year_degree=year_degree, search=search, criterion=criterion, model=model, reps=reps, seed=seed, level=level, pthresh=pthresh,
                  n_jobs=jobs, progress=True, structural_zeros=structural_zeros, separate_years=separate_years,
                  missing=missing, **linked)
    except (DataError, ValueError) as e:
        _fail(str(e))
    if drawn and seed is not None:
        res.estimate.notes.append(seed_note(seed))
        res.estimate.settings["seed_drawn"] = True
    if folder is not None:
        res.estimate.settings["data_folder"] = folder
    if linked["linkage_run"] is not None:  # DATA came from a link folder: what link warned about (tester 11, F3)
        from ..linkage.link_warnings import add_link_warnings

        add_link_warnings(res.estimate.warnings, data)
    _print_monitor(res)
    _print_linkage(res.estimate.linkage, res.estimate,
                   link_encoding(data) if linked["linkage_run"] is not None else None)
    if not res.estimate.fit.identified:
        raise typer.Exit(code=3)
    inputs = _data_inputs(data, structural_zeros, population)
    files, _ = _write_out(out, res.write, overwrite=overwrite, inputs=inputs, command="monitor",
                          what="the monitor tables", keep=["report.html"] if report else ())
    console.print("Wrote " + ", ".join(str(f) for f in files))
    if report:
        console.print(f"Wrote {_write_report(out, overwrite=overwrite, inputs=inputs)}")


def _read_monitor(data, lists, covariates, count, drop_empty_lists, missing, sheet, year, **kw):
    """:func:`_read_for_fit`, and for data of one year the table read without its year column (tester 10, F7).

    Returns (data, histories, linkage settings, the one year or None). The year of a one-year table cannot be a
    covariate (it has a single level): it becomes the label of every row of the monitor.
    """
    try:
        return (*_read_for_fit(data, lists, covariates, count, drop_empty_lists, missing, sheet, year, **kw), None)
    except DataError:
        from ..monitoring.one_year import single_year

        plain = kw.get("linkage") is None or str(kw["linkage"]).lower() == "none"
        one = single_year(data, year, sheet) if plain else None
        if one is None:
            raise
    frame, value = one
    rest = ",".join(c for c in _split(covariates) or [] if c != year) if covariates is not None else None
    h = _read(frame, lists, rest, count, drop_empty_lists, missing, None)
    h = dataclasses.replace(h, name=Path(str(data)).name)
    _announce_size(h, kw["search"])
    linked = {"linkage": "none", "linkage_run": None, "linkage_draws": kw["linkage_draws"],
              "linkage_reps": kw["linkage_reps"]}
    return data, h, linked, value


def _search_words(e) -> str:
    """How the model was chosen, for the panel (tester 21a M1: monitor and estimate on one folder chose by different
    searches, and only report.html said so): the search and its criterion, and why it is Cruyff's under EM."""
    sr = getattr(e, "search", None)
    if sr is None:
        return ""
    from ..pipeline.search import chosen_by  # in words, with the option's value (s23 new user, finding 11)

    em = str((getattr(e, "settings", None) or {}).get("missing", "")).lower() == "em"
    why = ("; with --missing em monitor's default, as its bootstrap is of one model: --search stratified gives "
           "estimate's choice") if em and sr.method == "cruyff" else ""
    return f" ({chosen_by(sr)}{why})"


def _print_monitor(res) -> None:
    from ..monitoring.one_year import ONE_YEAR

    e = res.estimate
    t = res.table
    head = Table.grid(padding=(0, 2))
    h = e.histories
    head.add_row("data", f"{_data_label(e)}: {h.n_observed:,} {_unit_words(h.notes)} on {h.k} lists")
    head.add_row("model", escape(e.fit.model.label()) + _search_words(e))
    ci_text = f"{e.level:.0%} {e.ci_method} bootstrap"
    conditional = getattr(e, "conditional", None)
    if conditional is not None:  # as estimate's panel (tester report 9, F8)
        ci_text += "; conditional on the chosen model" if conditional else "; includes model-selection uncertainty"
    if getattr(e, "linkage", None) is not None:
        ci_text += "; with linkage uncertainty"
    head.add_row("interval", ci_text)
    n_sup = int((res.suppressed == 1).sum())
    n_sec = int((res.suppressed == 2).sum())
    head.add_row("published", f"{n_sup} rows with fewer than {res.threshold} observed shown as <{res.threshold}; "
                 f"{n_sec} more hidden (x) so that totals cannot be differenced back to them")
    console.print(Panel(head, title=f"darkfigure {__version__} monitor", expand=False))
    for n in e.notes:
        if n.startswith(ONE_YEAR) or n.startswith("--missing em:"):
            console.print(f"[dim]note: {escape(n)}[/]")
    _say_first_year(e.notes)  # what link's year is, on a link output (s24: was in result.json only)
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
            f"{_fmt(r['nhat'])} ({_range(r['lower'], r['upper'])})",
            f"{r['visibility']:.0%} ({r['visibility_lower']:.0%}–{r['visibility_upper']:.0%})",
        ]
        if rates:
            row += [f"{_fmt(r['rate_per_100k'], 2)} ({_range(r['rate_lower'], r['rate_upper'], 2)})"]
        tab.add_row(*row)
    console.print(tab)
    if any(_open(v) for v in shown["upper"]):
        console.print("[dim]note: 'at least L': the interval has no upper limit (inf in monitor.csv and "
                      "estimates.csv); its visibility interval starts at 0%[/]")
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
    if e.checks:  # as estimate prints them: monitor's tables are the ones published (tester report 7, 19)
        console.print(_check_marks(e.checks))
    for w in e.warnings:
        console.print(f"[yellow]warning:[/] {escape(w)}")
    if hasattr(e, "to_publish"):
        console.print(f"[bold]to publish:[/] {escape(e.to_publish()['statement'])}")
        from ..loglinear.mc_error import estimate_mc_line

        if line := estimate_mc_line(e):  # the total's limits are quoted to the unit (tester 15b, L2)
            console.print(escape(line))


def _open(hi) -> bool:
    """Whether an upper limit is +inf (the interval has no upper limit)."""
    try:
        return math.isinf(float(hi))
    except (TypeError, ValueError):
        return False


def _range(lo, hi, digits: int = 0) -> str:
    """``lo–hi`` of one monitor row; with no upper limit (inf in monitor.csv, as in estimates.csv) ``at least lo``."""
    return f"at least {_fmt(lo, digits)}" if _open(hi) else f"{_fmt(lo, digits)}–{_fmt(hi, digits)}"


def revictimisation(
    victims: Annotated[
        str, typer.Argument(help="Victim register (CSV/Parquet/Excel): one row per person, id, first registration date, covariates.")
    ],
    later: Annotated[
        str, typer.Argument(help="Later victimisations of any offence (CSV/Parquet/Excel): id, date, offence; one row each.")
    ],
    out: Annotated[Path, typer.Option(parser=out_path, help="Folder for revictimisation.csv, revictimisation_curve.csv, revictimisation_first_offence.csv and revictimisation.json (notes and settings, for darkfigure report).")],
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
    level: LevelOpt = 0.95,
    overwrite: OverwriteOpt = False,
) -> None:
    """Repeat victimisation: the share re-victimised within k years of first registration (Kaplan–Meier).

    Exit codes: 0 tables written, 2 bad input.
    """
    from ..monitoring.revictimisation import revictimisation as run

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
