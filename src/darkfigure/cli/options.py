"""Options that more than one command takes, defined once (typer ``Annotated`` aliases).

A command names the alias as its parameter's type (``seed: SeedOpt = None``); the default stays at the command,
because it can differ (the seed of ``darkfigure link`` is 0). An option whose help text differs between commands
(``--out``, ``--covariates`` of ``monitor``) is the command's own.
"""

from __future__ import annotations

from typing import Annotated

import typer

# ---------------------------------------------------------------- reading DATA (estimate, compare, validate, monitor)
DataArg = Annotated[str, typer.Argument(help=(
    "CSV/Parquet/Excel file of capture histories, a `darkfigure link` output folder (N̂ then corrected for linkage "
    "error: see --linkage), or a bundled dataset name (see `darkfigure datasets`)."))]
ListsOpt = Annotated[str | None, typer.Option("--lists", help="List columns, comma-separated (default: every 0/1 column).")]
CovariatesOpt = Annotated[
    str | None,
    typer.Option("--covariates", help="Covariate columns, comma-separated (default: every other column but the count)."),
]
CountOpt = Annotated[
    str,
    typer.Option(
        "--count",
        show_default=False,
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
    typer.Option("--year", help="Covariate that holds the year: estimates per year, and --year-degree can smooth it. On "
                 "a `darkfigure link` folder, registration_year: one unit per person and calendar year of registration."),
]
YearDegreeOpt = Annotated[
    int | None,
    typer.Option("--year-degree", help="Code year as an orthogonal polynomial of this degree (R's poly) instead of dummies."),
]

# ---------------------------------------------------------------- the model, its search and its interval
ModelOpt = Annotated[
    str | None, typer.Option("--model", help="A fixed model's interactions, e.g. 'A:B,B:C' (skips the search).")
]
SearchOpt = Annotated[
    str | None,
    typer.Option(
        "--search",
        help="Model search: auto (estimate's default: stratified with covariates, cruyff without), cruyff (stepwise "
        "BIC then AIC, Cruyff's mse; the monitor's default only with a one-model interval or --missing em), stratified (every list x covariate term kept, stepwise "
        "over list interactions), pvalue (SparseMSE stepwise plus list x covariate terms), pvalue-pairs (exactly "
        "SparseMSE: pairs of lists only), exhaustive (all hierarchical list models up to --max-order), none (main "
        "effects or --model).",
    ),
]
CriterionOpt = Annotated[
    str | None,
    typer.Option("--criterion", help="Criterion choosing the model on the search path: bic, aic or aicc (default: aic for the stratified search, bic otherwise, also when the stratified search falls back to Cruyff's search; a --criterion given applies to both)."),
]
PthreshOpt = Annotated[
    float | None, typer.Option("--pthresh", help="p-value threshold of the pvalue search (default 0.02).")
]
RepsOpt = Annotated[
    int | None, typer.Option("--reps", help=(
        "Bootstrap replicates (default 1,000; at most 100,000). Cost of --ci nonparametric: each replicate redoes "
        "the whole model search, and BCa one more search per distinct observed cell (its jackknife); with "
        "covariates a search takes about 1 CPU-second (cruyff_simdat: 1,000 replicates + 117 jackknife searches "
        "≈ 19 CPU-minutes, about 10 minutes on 2 free cores), without covariates milliseconds."))
]
SeedOpt = Annotated[int | None, typer.Option(min=0, help="Random seed (makes bootstrap results reproducible).")]
SamplerSeedOpt = Annotated[int | None, typer.Option(min=0, help="Seed for samplers and bootstraps.")]
LevelOpt = Annotated[float, typer.Option(help="Confidence level.")]
JobsOpt = Annotated[int | None, typer.Option(help="Worker processes for the bootstrap (default: all cores).")]

# ---------------------------------------------------------------- a `darkfigure link` folder as DATA
LinkageOpt = Annotated[
    str | None,
    typer.Option(
        help="With a `darkfigure link` output folder as DATA: correct (N̂ corrected for linkage error, interval "
        "with linkage uncertainty; the default when the folder has match probabilities) or none."
    ),
]
LinkageDrawsOpt = Annotated[int, typer.Option(help="Linkage draws from the match probabilities.")]
LinkageRepsOpt = Annotated[int, typer.Option(help=(
    "Parametric bootstrap replicates per linkage draw, when the chosen model is refitted on each draw (--ci "
    "parametric, or --missing em); the default averaged interval refits the average on each draw and scales its "
    "own bootstrap instead."))]

# ---------------------------------------------------------------- outputs
ReportOpt = Annotated[
    bool, typer.Option("--report", help="Also write report.html (one offline HTML report) into --out.")
]
OverwriteOpt = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace existing files that darkfigure did not write (or that were changed since). Never the input.",
    ),
]


def out_path(value: str):
    """The ``--out`` parser of every command: a blank path is refused (``--out ""`` wrote into the current folder:
    tester 14b, L3); anything else as a :class:`~pathlib.Path`.

    Raises
    ------
    typer.BadParameter
        `value` is empty or blank (exit 2, with the usage line).
    """
    from pathlib import Path

    if isinstance(value, Path):
        return value
    if not str(value).strip():
        raise typer.BadParameter("an empty path names no folder or file; give one (e.g. --out results), or leave "
                                 "--out out where it is optional")
    return Path(value)
