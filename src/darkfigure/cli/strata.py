"""``darkfigure strata``: estimates per stratum (and replicate), added up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from ..errors import DataError
from .common import (
    _check_jobs,
    _data_inputs,
    _fail,
    _fmt,
    _preflight,
    _refuse_link_folder,
    _say_lcmcr_compile,
    _split,
    _write_out,
    console,
)
from .options import (
    CountOpt,
    DropEmptyOpt,
    ListsOpt,
    ModelOpt,
    OverwriteOpt,
    out_path,
)


def strata(
    data: Annotated[str, typer.Argument(help="CSV/Parquet/Excel file with list columns and the --by columns.")],
    by: Annotated[str, typer.Option("--by", help="Stratum columns, comma-separated (e.g. region,period).")],
    method: Annotated[str, typer.Option("--method", help="loglinear (bootstrap interval) or lcmcr (posterior draws).")] = "loglinear",
    lists: ListsOpt = None,
    count: CountOpt = "count",
    drop_empty_lists: DropEmptyOpt = False,
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
    structural_zeros: Annotated[
        Path | None,
        typer.Option("--structural-zeros", help="CSV with columns list,covariate,level (as estimate reads it): the "
                     "list cannot register that level of a --by column and is left out of those strata's fits. A "
                     "covariate that is not a --by column is refused (add it to --by)."),
    ] = None,
    model: ModelOpt = None,
    search: Annotated[
        str, typer.Option("--search", help="Log-linear model search: pooled (one model for all strata, chosen by "
                          "the BIC of one model with interactions common to the strata), cruyff, pvalue, exhaustive "
                          "(a search in each stratum), auto (default: pooled when the median stratum has under 200 "
                          "persons observed, else Cruyff's search per stratum); none: main effects or --model.")
    ] = "auto",
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
    total_bias: Annotated[
        str,
        typer.Option("--total-bias", help="Log-linear totals: 'correct' removes the bootstrap's estimate of the "
                     "strata's summed small-sample bias from the total and its interval; 'report' keeps plain sums."),
    ] = "correct",
    seed: Annotated[int, typer.Option(min=0, help="Run seed (each stratum's seed derives from it and its key).")] = 0,
    engine: Annotated[str, typer.Option("--engine", help="local (worker processes) or spark (Spark tasks).")] = "local",
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, help="Worker processes / Spark cores (default: all cores).")] = None,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Result cache folder (default: OUT/.strata-cache with --out); a rerun or a "
                     "restarted run computes only what is missing."),
    ] = None,
    out: Annotated[Path | None, typer.Option(parser=out_path, help="Folder for strata.csv, totals.csv and strata.json.")] = None,
    overwrite: OverwriteOpt = False,
) -> None:
    """Estimate per stratum (and per replicate), say which strata cannot be estimated and why, and add them up.

    Exit codes: 0 a total, 2 bad input, 3 no stratum could be estimated (no total), 130 interrupted (Ctrl-C;
    finished strata stay in the cache and a rerun resumes).
    """
    from ..strata import estimate_strata

    _check_jobs(jobs)
    _refuse_link_folder(data, "strata")  # as compare: its histories.csv, or estimate for the linkage correction
    inputs = _data_inputs(data, replicates, structural_zeros)
    _preflight("strata", out, overwrite=overwrite, inputs=inputs, what="the strata table")
    if cache is None and out is not None:
        cache = out / ".strata-cache"
    if method.strip().lower() == "lcmcr":  # the first run after installing compiles the sampler (as compare says)
        _say_lcmcr_compile()
    try:
        res = estimate_strata(
            data, by, method=method, lists=_split(lists), count=count, replicates=replicates,
            replicate_kind=replicate_kind, combine_by=combine, on_empty_list="drop" if drop_empty_lists else "error",
            structural_zeros=structural_zeros, model=model, search=search, ci=ci, reps=reps, K=k,
            burnin=burnin, samples=samples, thinning=thinning, chains=chains, min_observed=min_observed,
            max_ratio=max_ratio, level=level, total_bias=total_bias, seed=seed, engine=engine, n_jobs=jobs, cache=cache, progress=True,
        )
    except (DataError, ValueError, RuntimeError) as e:
        _fail(str(e))
    except KeyboardInterrupt as e:  # Ctrl-C: say what the cache keeps, exit as a shell does on SIGINT
        from ..strata.core import StrataInterrupted

        msg = e.message if isinstance(e, StrataInterrupted) else "interrupted before any stratum was computed"
        console.print(f"[yellow]{escape(msg)}[/yellow]")
        raise typer.Exit(code=130) from None
    c = res.counts
    console.print(f"{c['strata']:,} strata x {c['replicates']:,} replicate(s): {c['estimated']:,} estimated, "
                  f"{c['not_estimable']:,} not; {c['computed']:,} unit(s) computed, {c['from_cache']:,} from the cache "
                  f"({res.seconds:.1f} s)")
    t = Table(title=f"totals over the estimated strata ({res.settings['level']:.0%} intervals)")
    for col in ("group", "level", "strata", "observed", "N̂", "lower", "upper", "repl. var", "left out"):
        t.add_column(col, justify="left" if col in ("group", "level") else "right")
    for _, r in res.totals.head(40).iterrows():
        share = "" if r["var_share_replicates"] != r["var_share_replicates"] else f"{r['var_share_replicates']:.0%}"
        group, level = _labels(r)
        t.add_row(escape(group), escape(level), f"{r['strata']:,}", _fmt(r["observed"]),
                  _fmt(r["nhat"]), _fmt(r["lower"]), _fmt(r["upper"]), share,
                  f"{r['strata_left_out']:,}")
    console.print(t)
    _print_unbounded(res)
    ms = res.settings.get("model_search")
    if ms:  # one model chosen across strata: say which, and why (auto's rule)
        models = " / ".join(dict.fromkeys(str(m) for m in ms["models"] if m)) or "none (no stratum to fit)"
        console.print(f"Model of every stratum, chosen jointly across {max(ms['strata_searched']):,} strata "
                      f"({escape(ms['why'])}): {escape(models)}")
    note = res.settings.get("interval_note")
    if note:  # what the intervals carry about the model (conditional on it, or averaged over the choice)
        console.print(f"Intervals are {escape(note)}.")
    tot = res.totals.iloc[0] if len(res.totals) else None
    if (tot is not None and res.settings.get("total_bias") == "correct"
            and tot.get("bootstrap_bias") == tot.get("bootstrap_bias")):
        console.print(f"Totals are corrected for the strata's summed small-sample bias (total: "
                      f"{-tot['bootstrap_bias']:+,.0f} from the plain sum {_fmt(tot['nhat_uncorrected'])}); "
                      "--total-bias report keeps the plain sums.")
    from pandas import isna

    bad = res.table[res.table["status"] != "estimated"]
    for _, r in bad.head(10).iterrows():
        # the row of persons with an unknown --by value: an empty cell in strata.csv, "(unknown)" here (never "nan")
        key = ", ".join(f"{b}={'(unknown)' if isna(r[b]) else r[b]}" for b in res.settings["by"])
        console.print(f"[yellow]{escape(r['status'])}:[/yellow] {escape(key)}: {escape(str(r['reason']))}")
    if len(bad) > 10:
        console.print(f"… and {len(bad) - 10:,} more (strata.csv has every stratum's status and reason)")
    for w in res.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(w)}")
    if out is not None:
        files, _ = _write_out(out, res.write, overwrite=overwrite, inputs=inputs, command="strata",
                              what="the strata table")
        console.print("Wrote " + ", ".join(str(f) for f in files))
    if not c["estimated"]:
        raise typer.Exit(code=3)  # as estimate: the data cannot identify N (here: in any stratum)


def _labels(r) -> tuple[str, str]:
    """The (group, level) labels of a totals.csv row `r`, saying when it covers the estimated strata only.

    A total over some strata, labelled plainly ``total``, read as the population (tester 10, F15): the row's
    ``covers`` (:class:`~darkfigure.strata.result.StrataResult`) goes into its label, "total (estimated strata
    only)" or the level's "f (estimated strata only)"; a row covering all strata keeps its plain label.
    """
    group, level = str(r["group"]), str(r["level"])
    covers = str(r.get("covers", "all strata"))
    if covers in ("all strata", "nan", ""):
        return group, level
    return (f"{group} ({covers})", level) if group == "total" else (group, f"{level} ({covers})")


def _print_unbounded(res) -> None:
    """Totals with no finite upper limit (``∞`` in the table): what to publish, and the total over the bounded strata.

    Bootstrap replicates without a finite N̂ count as N̂* = ∞ in each stratum and in every sum of draws; a total
    they leave unbounded above is shown as "at least L", with the total over the strata with bounded intervals
    beside it (totals.csv: ``nhat_bounded``, ``lower_bounded``, ``upper_bounded``). The run's warnings name the
    strata left out.
    """
    t = res.totals
    if "upper_bounded" not in t.columns:
        return
    lev = res.settings["level"]
    import math

    rows = t[t["upper"].astype(float).eq(math.inf) & t["strata"].gt(0)]
    for _, r in rows.head(10).iterrows():
        group, level = _labels(r)
        what = group if r["group"] == "total" else f"{group}={level}"
        line = f"{what}: no finite upper limit ({lev:.0%}); publish at least {_fmt(r['lower'])} (N̂ {_fmt(r['nhat'])})"
        if math.isfinite(float(r["upper_bounded"])):
            line += (f"; over its strata with bounded intervals N̂ {_fmt(r['nhat_bounded'])} "
                     f"({_fmt(r['lower_bounded'])} – {_fmt(r['upper_bounded'])}), leaving out "
                     f"{int(r['strata_unbounded']):,} {'stratum' if int(r['strata_unbounded']) == 1 else 'strata'} "
                     f"with {_fmt(r['observed_unbounded'])} observed")
        console.print(f"[yellow]{escape(line)}[/yellow]")
    if len(rows) > 10:
        console.print(f"… and {len(rows) - 10:,} more totals with no finite upper limit (totals.csv: upper = inf, "
                      "nhat_bounded, lower_bounded, upper_bounded)")
