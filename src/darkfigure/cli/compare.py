"""``darkfigure compare`` (every method side by side) and ``darkfigure validate`` (hold-out lists)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .._seeds import draw_seed, seed_note
from ..errors import DataError
from ..pipeline.phases import say
from .common import (
    _check_year_degree,
    _data_inputs,
    _fail,
    _fmt,
    _preflight,
    _read,
    _resolve_model_options,
    _say_first_year,
    _say_lcmcr_compile,
    _split,
    _write_out,
    console,
    err,
)
from .options import (
    CountOpt,
    CovariatesOpt,
    DropEmptyOpt,
    ListsOpt,
    MissingOpt,
    OverwriteOpt,
    ReportOpt,
    SamplerSeedOpt,
    SheetOpt,
    YearDegreeOpt,
    YearOpt,
    out_path,
)
from .report import _write_report


def compare(
    data: Annotated[str, typer.Argument(help="CSV/Parquet/Excel file, or a bundled dataset name.")],
    methods: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated subset of: loglinear-bic, loglinear-aic, loglinear-pvalue, M0, Mt, Mh-chao, "
            "Mh-poisson2, Mh-darroch, Mh-gamma3.5, Mth-chao, Mth-poisson2, Mth-darroch, Mth-gamma3.5, "
            "bic-exhaustive, downhill, lcmcr, dga (default: all that apply). What each is: the docs' Methods pages."
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
    seed: SamplerSeedOpt = None,
    reps: Annotated[
        int | None,
        typer.Option("--reps", help="Bootstrap replicates (log-linear with covariates, bic-exhaustive, downhill; "
                     "default 1,000, at most 100,000)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(parser=out_path, help="Folder for compare.csv and forest.png/.svg.")] = None,
    report: ReportOpt = False,
    overwrite: OverwriteOpt = False,
    # one visible flag: a --validation/--no-validation pair gives the help a second name column that squeezes
    # every description to ~18 characters (tester report 6, L4); --validation stays accepted (hidden)
    no_validation: Annotated[
        bool, typer.Option("--no-validation", help="Skip the validation: by default each list is held out in turn "
                           "and re-estimated (all methods but lcmcr, at most 200 replicates) for the headline's "
                           "evidence.")
    ] = False,
    validation_on: Annotated[bool, typer.Option("--validation", hidden=True, help="The default.")] = False,
) -> None:
    """Run every applicable method side by side: N̂, interval, interval kind, time, warnings, and a headline range.

    Exit codes (as ``estimate``): 0 a headline range, 2 bad input, 3 the data cannot identify N (no method gives
    an identified estimate, so there is no range).
    """
    from ..comparison import compare as run
    from ..comparison import plan, write

    if report and out is None:
        _fail("--report needs --out (the folder the report is written into)")
    _check_year_degree(year, year_degree)
    _, _, _, reps = _resolve_model_options(None, None, None, None, reps=reps)
    _preflight("compare", out, overwrite=overwrite, inputs=_data_inputs(data), report=report, what="the comparison")
    if seed is None:  # samplers and bootstraps: a drawn seed, said and written to compare's result (tester 12b, M5)
        seed = draw_seed(None)
        err.print(seed_note(seed))
    try:
        h = _read(data, lists, covariates, count, drop_empty_lists, missing, sheet, year, complete=True,
                  command="compare")
        to_run, skipped = plan(h, (["loglinear-model"] if model else []) + (_split(methods) or []) or None)
        console.print(
            f"{h.k} lists, {2 ** h.k - 1:,} observable capture patterns, {h.n_observed:,} persons: running "
            f"{len(to_run)} method(s)" + (f"; skipping {len(skipped)} that do not apply (see their rows)" if skipped else "")
        )
        with console.status("running methods…") as st:
            done = []

            def _progress(m: str) -> None:
                if m.startswith("validation"):
                    msg = f"{m}…"
                else:
                    done.append(m)
                    msg = f"running {m} ({len(done)} of {len(to_run) + len(skipped)})…"
                st.update(msg)
                # in a log or a pipe the spinner shows nothing: one line per method instead
                say(True, msg)
                if m == "lcmcr":  # the first run after installing compiles the sampler (~85 s; tester 12b, M3)
                    _say_lcmcr_compile(st)

            table = run(h, _split(methods), seed=seed, reps=reps, progress=_progress, model=model, year=year,
                        year_degree=year_degree, validation=validation_on or not no_validation)
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
    _say_first_year(h.notes)  # link's year left out (or named): as estimate says it (s24)
    if out is not None:
        inputs = _data_inputs(data)
        files, _ = _write_out(out, lambda d: write(table, h, d, seed=seed, reps=reps), overwrite=overwrite,
                              inputs=inputs, command="compare", what="the comparison")
        console.print("Wrote " + ", ".join(str(f) for f in files))
        if report:
            console.print(f"Wrote {_write_report(out, overwrite=overwrite, inputs=inputs)}")
    if _nothing_estimated(table):
        raise typer.Exit(code=3)


def _nothing_estimated(table) -> bool:
    """True when the comparison gives no range: the headline has none, or (without one) no method a finite N̂."""
    hl = table.attrs.get("headline")
    if hl:
        return hl.get("low") is None
    nhat = [float(v) for v in table["nhat"] if v is not None] if "nhat" in table else []
    return not any(math.isfinite(v) for v in nhat)


def _print_headline(table) -> None:
    """The verdict per method and the headline range with its reasons (darkfigure.headline)."""
    hl = table.attrs.get("headline")
    if not hl:
        return
    for _, r in table.iterrows():
        if str(r.get("verdict", "")).startswith("dropped: no estimate"):
            continue
        console.print(f"  {escape(str(r['method']))}: {escape(str(r['verdict']))} — {escape(str(r['evidence']))}")
    from ..headline import range_text

    rng = range_text(hl)  # "at least L, no upper limit the data support" when the upper end is open
    note = ("" if hl["data_can_choose"] else " (publish at most a lower limit)" if hl.get("upper_open")
            else " (2 lists: no check is possible)" if "two-lists" in hl.get("rules", []) else " (the data cannot choose)")
    console.print(f"[bold]headline: {rng}[/]" + note)
    for reason in hl["reasons"]:
        console.print(f"  - {escape(reason)}")


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
    seed: SamplerSeedOpt = None,
    reps: Annotated[
        int | None, typer.Option("--reps", help="Bootstrap replicates where a method uses them (default 1,000).")
    ] = None,
    out: Annotated[Path | None, typer.Option(parser=out_path, help="Folder for validate.csv.")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Hold out each list in turn and re-estimate its size from the others (Binette & Steorts 2022)."""
    from ..validate import validate as run

    _check_year_degree(year, year_degree)
    _, _, _, reps = _resolve_model_options(None, None, None, None, reps=reps)
    _preflight("validate", out, overwrite=overwrite, inputs=_data_inputs(data), what="the validation")
    try:
        h = _read(data, lists, covariates, count, drop_empty_lists, missing, sheet, year, complete=True,
                  command="validate")
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
    else:
        console.print("[yellow]warning:[/] no held-out list could be re-estimated from the others (reasons below)")
    _say_first_year(h.notes)  # link's year left out (or named): as estimate says it (s24)
    # a row without an estimate says why on the terminal, not only in validate.csv (tester 9, F24)
    if "warnings" in table.columns:
        for _, r in table[table["nhat"].isna()].iterrows():
            why = str(r["warnings"] or "").strip()
            if why and why != "nan":
                method = f" ({r['method']})" if str(r["method"] or "").strip() not in ("", "nan", "None") else ""
                from rich.markup import escape

                console.print(f"[yellow]warning:[/] list {escape(str(r['list']))}{escape(method)}: no estimate: "
                              f"{escape(why)}", highlight=False)
    if out is not None:

        def _write(d: Path) -> list[Path]:
            table.to_csv(d / "validate.csv", index=False)
            return [d / "validate.csv"]

        files, _ = _write_out(out, _write, overwrite=overwrite, inputs=_data_inputs(data), command="validate",
                              what="the validation")
        console.print("Wrote " + ", ".join(str(f) for f in files))
    if not len(ok):  # nothing validated is no pass: exit 3, as estimate's "cannot identify" (tester 12b, L10)
        raise typer.Exit(code=3)
