"""The options step: the settings of :func:`darkfigure.estimation.estimate` checked and normalised.

Every check here looks at the options alone (no data is read yet), so a wrong option is refused
before a large file is read or a search is run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import DataError

__all__ = [
    "SEARCH_METHODS",
    "CI_METHODS",
    "CONDITIONAL_CI",
    "BOOTSTRAP_CI",
    "MAX_REPS",
    "EstimateOptions",
    "check_options",
    "settings_record",
]

SEARCH_METHODS = ("auto", "cruyff", "stratified", "pvalue", "pvalue-pairs", "exhaustive", "none")
CI_METHODS = ("averaged", "parametric", "nonparametric", "nonparametric-conditional", "profile", "none")
# intervals that hold the chosen model fixed (reproduce boot_mse / Rcapture); "averaged" and the
# nonparametric bootstraps (which repeat the search in every replicate) carry the selection uncertainty
CONDITIONAL_CI = ("parametric", "profile")
#: the intervals that come from a bootstrap (and so need `reps` replicates)
BOOTSTRAP_CI = ("parametric", "nonparametric", "nonparametric-conditional", "averaged")
#: bootstrap replicates above this are refused: each refits the model and all are kept in memory
MAX_REPS = 100_000


@dataclass(frozen=True)
class EstimateOptions:
    """The options of :func:`~darkfigure.estimation.estimate` after :func:`check_options`.

    Option names (``search``, ``ci``, ``criterion``, ``average_criterion``, ``pooling``,
    ``missing``) are lower case; `criterion` is None when the search's default applies;
    `assumption_range` is ``(lo, hi)`` or None (off). The others are as given to ``estimate``.
    """

    search: str
    ci: str
    criterion: str | None
    level: float
    reps: int
    seed: int | None
    average_criterion: str
    max_order: int | None
    model: str | list[str] | None
    assumption_range: tuple[float, float] | None
    pooling: str
    missing: str
    linkage_draws: int
    linkage_reps: int


def check_options(
    *,
    search: str,
    ci: str,
    criterion: str | None,
    level: float,
    reps: int,
    seed: int | None,
    average_criterion: str,
    max_order: int | None,
    model: str | list[str] | None,
    assumption_range: Any,
    pooling: str,
    missing: str,
    linkage_draws: int,
    linkage_reps: int,
) -> EstimateOptions:
    """Check the options of ``estimate`` that need no data, in the order ``estimate`` always checked them.

    Parameters
    ----------
    search, ci, criterion, level, reps, seed, average_criterion, max_order, model, assumption_range,
    pooling, missing, linkage_draws, linkage_reps
        As :func:`darkfigure.estimation.estimate`.

    Returns
    -------
    EstimateOptions
        The options, names lower-cased and `assumption_range` parsed.

    Raises
    ------
    DataError
        (a ValueError) An unknown option value, a level outside (0, 1) or not a whole percentage, a seed or replicate count that is not a
        non-negative whole number, more than :data:`MAX_REPS` replicates, too few linkage draws
        or replicates, a `max_order` below 2 (or above 2 with the p-value search), a fixed
        model together with a search.
    DataError
        An `assumption_range` that is not ``"lo,hi"`` or ``"off"``
        (:func:`darkfigure.sensitivity.parse_range`).
    """
    search, ci = search.lower(), ci.lower()
    if search not in SEARCH_METHODS:
        raise DataError(f"search (--search) must be one of {SEARCH_METHODS}, not {search!r}")
    if ci not in CI_METHODS:
        raise DataError(f"ci (--ci) must be one of {CI_METHODS}, not {ci!r}")
    if criterion is not None and criterion.lower() not in ("bic", "aic", "aicc"):
        raise DataError(f"criterion (--criterion) must be 'bic', 'aic' or 'aicc', not {criterion!r}")
    if isinstance(level, bool) or not isinstance(level, int | float | np.integer | np.floating):
        # '95%' or '0.95' gave a raw "'<' not supported between 'int' and 'str'" (tester 12b, L5)
        raise DataError(f"level (--level) must be a number between 0 and 1, such as 0.95 for a 95% interval, "
                         f"not {level!r} ({type(level).__name__})")
    if not 0 < level < 1:
        raise DataError(f"level (--level) must be between 0 and 1 (e.g. 0.95), not {level!r}")
    if abs(level * 100 - round(level * 100)) > 1e-9:
        # every label says the level in whole percent: 0.999999 would be shown as a "100%" interval (tester 7, 14)
        raise DataError(f"level (--level) must be a whole percentage, such as 0.90, 0.95 or 0.99, not {level!r}")
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer):
        raise DataError(f"reps (--reps) must be a whole number of bootstrap replicates, not {reps!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise DataError(f"seed (--seed) must be a non-negative whole number, not {seed!r}")
    if linkage_reps and linkage_reps < 20:
        raise DataError(f"linkage_reps (--linkage-reps) must be 0 (linkage uncertainty only) or at least 20 "
                         f"bootstrap replicates per linkage draw, not {linkage_reps}")
    if linkage_draws < 2:
        raise DataError(f"linkage_draws (--linkage-draws) must be at least 2 (50 is the default), not {linkage_draws}")
    average_criterion = average_criterion.lower()
    if average_criterion not in ("aic", "bic"):
        raise DataError(f"average_criterion must be 'aic' or 'bic', not {average_criterion!r}")
    if max_order is not None and (not isinstance(max_order, int | np.integer) or max_order < 2):
        raise DataError(f"max_order (--max-order) must be an integer of at least 2 (got {max_order!r})")
    if max_order is not None and max_order > 2 and search in ("pvalue", "pvalue-pairs"):
        raise DataError("the p-value search adds pairs of lists (and list x covariate terms) only; "
                         "for higher-order terms use search='cruyff' or 'exhaustive' with max_order")
    if model is not None and search in ("pvalue", "pvalue-pairs", "exhaustive", "stratified"):
        raise DataError(f"a fixed model (model=..., --model) and search={search!r} conflict: give one of them")
    if ci in BOOTSTRAP_CI and reps > MAX_REPS:
        raise DataError(
            f"reps={reps:,} is above the cap of {MAX_REPS:,} (each replicate refits the model): 1,000 is the standard, "
            "10,000 pins the interval's ends down to about 1%"
        )
    from ..sensitivity import parse_range

    assumption_range = parse_range(assumption_range)
    pooling = str(pooling).lower()
    if pooling not in ("none", "partial"):
        raise DataError(f"pooling (--pooling) must be 'none' or 'partial', not {pooling!r}")
    missing = missing.lower()
    if missing not in ("error", "em", "drop"):
        raise DataError(f"missing must be 'error', 'em' or 'drop', not {missing!r}")
    return EstimateOptions(
        search=search, ci=ci, criterion=criterion, level=level, reps=reps, seed=seed,
        average_criterion=average_criterion, max_order=max_order, model=model, assumption_range=assumption_range,
        pooling=pooling, missing=missing, linkage_draws=linkage_draws, linkage_reps=linkage_reps,
    )


def settings_record(
    opts: EstimateOptions,
    *,
    histories: Any,
    plan: Any,
    ci: str,
    year: str | None,
    year_degree: int | None,
    pthresh: float,
    structural_zeros: Any,
    coarse: Any,
    bootstrap: Any,
    conditional: bool | None,
    linkage: str | None,
) -> dict:
    """The ``settings`` block of ``result.json``: the options as the run resolved them.

    Parameters
    ----------
    opts : EstimateOptions
    histories : CaptureHistories
    plan : SearchPlan
        The search that ran (``auto`` resolved, the default criterion and order filled in).
    ci : str
        The interval computed (the averaged one becomes parametric with EM).
    year, year_degree, pthresh
        As given to ``estimate``.
    structural_zeros : DataFrame or None
        The validated declarations.
    coarse : CoarseCells or None
        Persons with unknown covariate values (EM).
    bootstrap : BootstrapResult or None
    conditional : bool or None
        Whether the interval holds the chosen model fixed.
    linkage : str or None
        ``"correct"`` or ``"none"`` as resolved.

    Returns
    -------
    dict
        Plain JSON types.
    """
    sz, cc, boot = structural_zeros, coarse, bootstrap
    return {
        "lists": list(histories.lists),
        "covariates": list(histories.covariates),
        "year": year,
        "year_degree": year_degree,
        "search": plan.method,
        "criterion": plan.criterion,
        "max_order": plan.max_order,
        "average_criterion": opts.average_criterion if ci == "averaged" else None,
        "search_repeated_in_bootstrap": bool(boot is not None and boot.reselected),
        "conditional_interval": conditional,
        "model": None if plan.model is None else plan.model.formula(),
        "ci": ci,
        "reps": opts.reps,
        "seed": opts.seed,
        "level": opts.level,
        "pthresh": pthresh,
        "structural_zeros": None if sz is None else [[r.list, r.covariate, str(r.level)] for r in sz.itertuples()],
        "missing": opts.missing,
        "imputed": None if cc is None else {"persons": cc.n_persons, **cc.missing_values},
        "linkage": linkage,
        "assumption_range": None if opts.assumption_range is None else list(opts.assumption_range),
        "pooling": opts.pooling,
    }
