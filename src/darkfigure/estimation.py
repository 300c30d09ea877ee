"""The front door: ``estimate(data, ...)`` from capture histories to N̂ with an interval.

One call runs the whole log-linear workflow of the Dutch victim monitor and the
peers (Cruyff's ``mse``, SparseMSE, Rcapture): build the complete table, search
for a model (or take the one given), check that the MLE exists and N̂ is
identified, and put an interval on N̂ and on every subgroup total.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from . import _dist as stats  # scipy.stats costs 0.4-0.9 s to import
from ._blas import single_threaded
from .histories import CaptureHistories, DataError
from .io import read_histories
from .loglinear.bootstrap import (
    BootstrapResult,
    default_groups,
    nonparametric_bootstrap,
    parametric_bootstrap,
)
from .loglinear.design import CompleteTable
from .loglinear.fit import LogLinearFit, fit_model
from .loglinear.search import SearchResult, cruyff_search, exhaustive_search, pvalue_search
from .loglinear.terms import LogLinearModel, parse_terms

__all__ = ["Estimate", "estimate", "SEARCH_METHODS", "CI_METHODS"]

SEARCH_METHODS = ("auto", "cruyff", "stratified", "pvalue", "pvalue-pairs", "exhaustive", "none")
CI_METHODS = ("averaged", "parametric", "nonparametric", "nonparametric-conditional", "profile", "none")
# intervals that hold the chosen model fixed (reproduce boot_mse / Rcapture); "averaged" and the
# nonparametric bootstraps (which repeat the search in every replicate) carry the selection uncertainty
CONDITIONAL_CI = ("parametric", "profile")
#: bootstrap replicates above this are refused: each refits the model and all are kept in memory
MAX_REPS = 100_000


@dataclass
class Estimate:
    """The result of :func:`estimate`: N̂, interval, model, search path and warnings.

    Attributes
    ----------
    histories : CaptureHistories
    table : CompleteTable
    fit : LogLinearFit
        The chosen model's fit.
    search : SearchResult or None
        The model search (None when the model was fixed).
    ci_method : str
        ``"parametric"``, ``"nonparametric-bca"`` or ``-percentile`` (n random),
        ``"nonparametric-conditional-bca"`` or ``-percentile`` (n fixed, SparseMSE),
        ``"profile"`` or ``"none"``.
    level : float
    lower, upper : float
        Interval for the total N̂ (``upper = inf`` when there is no finite upper limit).
    estimates : DataFrame
        ``group, level, observed, nhat, lower, upper``: total, every covariate level
        and every pair of levels (and with a year column each level by year).
    bootstrap : BootstrapResult or None
    profile : object or None
        The profile-likelihood interval, when computed.
    warnings : list of str
        Everything the user must know to trust (or not) the numbers.
    notes : list of str
        What was done to the data on the way in (``histories.notes``).
    settings : dict
    seconds : dict
        Wall time of each stage.
    checks : list of darkfigure.diagnostics.Check
        Goodness of fit, residuals by number of lists, Chao's lower bound and the
        heterogeneity check: what may flag unmodelled heterogeneity (flagged ones are
        also in `warnings`).
    averaged : darkfigure.loglinear.averaging.AveragedEstimate or None
        The models averaged over and their weights (``ci="averaged"``); N̂ and the
        estimates table are then the model-averaged ones, `fit` the single best model.
    conditional : bool or None
        True when the interval holds the chosen model fixed (``parametric``,
        ``profile``, or any interval of a model given by the user / a search that
        visited one model); False when it carries the model-selection uncertainty;
        None without an interval.
    linkage : LinkageEstimate or None
        N̂ corrected for linkage error (a link run's data).
    pooling : darkfigure.loglinear.pooling.PoolingResult or None
        Pooled (mixed-effects) and stratified subgroup N̂ (``pooling="partial"``); also in
        `estimates` as ``nhat_stratified, nhat_pooled, lower_pooled, upper_pooled``.
    """

    histories: CaptureHistories
    table: CompleteTable
    fit: LogLinearFit
    search: SearchResult | None
    ci_method: str
    level: float
    lower: float
    upper: float
    estimates: pd.DataFrame
    bootstrap: BootstrapResult | None = None
    profile: Any = None
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)
    checks: list = field(default_factory=list)
    averaged: Any = None
    conditional: bool | None = None
    linkage: Any = None  # LinkageEstimate (darkfigure.linkage.uncertainty) when the data was a link run
    identifying: Any = None  # IdentifyingAssumption (darkfigure.sensitivity): N̂ as the k-way interaction is relaxed
    pooling: Any = None  # PoolingResult (darkfigure.loglinear.pooling) with pooling="partial"

    @property
    def nhat(self) -> float:
        """Estimated population size (observed + dark figure); model-averaged with ``ci="averaged"``."""
        if self.averaged is not None and self.bootstrap is not None:
            return float(self.bootstrap.estimate[0])
        return self.fit.nhat

    @property
    def n_observed(self) -> int:
        """Persons observed by at least one list."""
        return self.histories.n_observed

    @property
    def dark_figure(self) -> float:
        """Estimated number of persons no list registered."""
        return self.nhat - self.n_observed

    def to_dict(self) -> dict:
        """Everything in plain JSON-able types (what ``result.json`` holds)."""

        def _num(v):
            if v is None:
                return None
            v = float(v)
            return v if np.isfinite(v) else (None if np.isnan(v) else ("inf" if v > 0 else "-inf"))

        path = None
        if self.search is not None:
            p = self.search.path.copy()
            path = json.loads(p.to_json(orient="records"))
        f = self.fit
        out = {
            "darkfigure_version": __version__,
            "data": {
                "name": self.histories.name,
                "lists": list(self.histories.lists),
                "covariates": list(self.histories.covariates),
                "observed": self.n_observed,
                "list_sizes": {k: int(v) for k, v in self.histories.list_sizes().items()},
                "empty_overlaps": [list(p) for p in self.histories.empty_overlaps()],
                "notes": list(self.histories.notes),
            },
            "settings": self.settings,
            "model": {
                "formula": f.model.formula(),
                "interactions": [":".join(t) for t in f.model.terms if len(t) > 1],
                "status": f.status,
                "nhat": _num(f.nhat),
                "deviance": _num(f.deviance),
                "df": f.df_residual,
                "parameters": f.rank,
                "aic": _num(f.aic),
                "aicc": _num(f.aicc),
                "bic": _num(f.bic),
                "existence": None if f.existence is None else f.existence.message(),
            },
            "nhat": _num(self.nhat),
            "dark_figure": _num(self.dark_figure),
            "interval": {
                "method": self.ci_method, "level": self.level, "lower": _num(self.lower), "upper": _num(self.upper),
                "conditional_on_chosen_model": self.conditional,
            },
            "averaging": None
            if self.averaged is None
            else {
                "criterion": self.averaged.criterion,
                "models": [
                    {"model": f.model.label(), "weight": float(w), "nhat": _num(f.nhat)}
                    for f, w in zip(self.averaged.fits, self.averaged.weights)
                ],
            },
            "bootstrap": None
            if self.bootstrap is None
            else {
                "method": self.bootstrap.method,
                "interval": self.bootstrap.interval_method,
                "replicates": self.bootstrap.n_replicates,
                "seed": self.bootstrap.seed,
                "status_counts": self.bootstrap.status_counts,
                "acceleration": self.bootstrap.acceleration,
                "random_n": self.bootstrap.random_n,
                "jackknife_failures": self.bootstrap.jackknife_failures,
                "unseen_fitted_0_replicates": None if self.bootstrap.unseen_zero is None
                else np.flatnonzero(self.bootstrap.unseen_zero).tolist(),
            },
            "search": None
            if self.search is None
            else {"method": self.search.method, "criterion": self.search.criterion, "path": path},
            "warnings": list(self.warnings),
            "checks": [c.to_dict() for c in self.checks],
            "to_publish": self.to_publish(),
            **({"linkage": self.linkage.to_dict()} if self.linkage is not None else {}),
            "identifying_assumption": None if self.identifying is None else self.identifying.to_dict(),
            **({"pooling": self.pooling.to_dict()} if self.pooling is not None else {}),
            "seconds": self.seconds,
        }
        return out

    def to_publish(self) -> dict:
        """What to publish, from this estimate and its checks (:func:`darkfigure.headline.publish_statement`)."""
        from .headline import publish_statement

        return publish_statement(self)

    def write(self, out: str | Path, *, extra: dict | None = None) -> list[Path]:
        """Write ``estimates.csv``, ``result.json``, ``capture_histories.csv`` (and ``search_path.csv``) into `out`.

        ``capture_histories.csv`` is the aggregated table the model was fitted to (list
        columns, covariates, ``count``; persons with an unknown covariate value follow
        with that cell empty), so that ``darkfigure report`` can describe the data;
        ``result.json`` also records the date the results were written (``run_date``, UTC).

        Parameters
        ----------
        out : path
            Folder (created when missing).
        extra : dict, optional
            More top-level entries of ``result.json`` (the monitor adds its settings).

        Returns
        -------
        list of Path
            The files written.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        files = []
        p = out / "estimates.csv"
        self.estimates.to_csv(p, index=False)
        files.append(p)
        d = self.to_dict()
        d["run_date"] = datetime.now(UTC).isoformat(timespec="seconds")
        d.update(extra or {})
        p = out / "result.json"
        p.write_text(json.dumps(d, indent=2, default=str), encoding="utf-8")
        files.append(p)
        p = out / "capture_histories.csv"
        h = self.histories
        rows = h.to_frame() if h.incomplete is None else pd.concat([h.to_frame(), h.incomplete], ignore_index=True)
        rows.to_csv(p, index=False)
        files.append(p)
        if self.search is not None:
            p = out / "search_path.csv"
            self.search.path.to_csv(p, index=False)
            files.append(p)
        return files

    def __str__(self) -> str:
        hi = "no finite upper limit" if not np.isfinite(self.upper) else f"{self.upper:,.0f}"
        lo = "-" if not np.isfinite(self.lower) else f"{self.lower:,.0f}"
        cond = {True: ", conditional on the chosen model", False: ", with model-selection uncertainty"}.get(
            self.conditional, ""
        )
        model = (
            f"averaged over {len(self.averaged.fits)} model(s), the search's choice {self.fit.model.label()}"
            if self.averaged is not None
            else f"model {self.fit.model.label()}"
        )
        return (
            f"N̂ = {self.nhat:,.0f} ({self.level:.0%} {self.ci_method} interval {lo} – {hi}{cond}); "
            f"observed {self.n_observed:,}; {model}"
        )


class _Selector:
    """Picklable model selection for bootstrap replicates: (table, y) -> LogLinearFit."""

    def __init__(self, method: str, criterion: str, pthresh: float, model: LogLinearModel | None, max_order: int = 2):
        self.method, self.criterion, self.pthresh, self.model = method, criterion, pthresh, model
        self.max_order = max_order

    def __call__(self, table: CompleteTable, y: np.ndarray) -> LogLinearFit:
        t = table.with_counts(y)
        return _select(t, self.method, self.criterion, self.pthresh, self.model, details=False,
                       max_order=self.max_order)[0]


def _select(table, method, criterion, pthresh, model, details=True, max_order=2) -> tuple[LogLinearFit, SearchResult | None]:
    try:
        return _select_raw(table, method, criterion, pthresh, model, details, max_order)
    except RuntimeError as e:
        # no model the search can reach identifies N (e.g. lists that share nobody): report the
        # main-effects fit, which says "not identified", instead of failing
        f = fit_model(table, LogLinearModel.make(table.variables), check=True)
        f.warnings.append(f"the {method} search found no model with an identified N̂ ({e})")
        return f, None


def _select_raw(table, method, criterion, pthresh, model, details=True, max_order=2):
    if method == "exhaustive" and table.histories.k < 3:
        raise DataError("exhaustive search needs at least 3 lists; with 2 lists use --search none")
    if method == "cruyff":
        s = cruyff_search(table, criterion=criterion, max_order=max_order)
        return s.best, s
    if method == "stratified":
        from .loglinear.selection import stratified_search

        s = stratified_search(table, criterion=criterion if criterion in ("aic", "bic") else "aic", max_order=max_order)
        return s.best, s
    if method in ("pvalue", "pvalue-pairs"):
        # "pvalue" also offers list x covariate terms (with covariates); "pvalue-pairs" is SparseMSE's search
        s = pvalue_search(table, pthresh=pthresh, details=details, list_covariate=method == "pvalue")
        return s.best, s
    if method == "exhaustive":
        s = exhaustive_search(table, criterion=criterion, max_order=max_order)
        return s.best, s
    m = model or LogLinearModel.make(table.variables)
    return fit_model(table, m, check=True), None


@single_threaded
def estimate(
    data: CaptureHistories | pd.DataFrame | str | Path,
    *,
    lists: list[str] | None = None,
    covariates: list[str] | None = None,
    count: str = "count",
    year: str | None = None,
    year_degree: int | None = None,
    search: str = "auto",
    criterion: str | None = None,
    model: str | list[str] | None = None,
    ci: str = "averaged",
    reps: int = 1000,
    seed: int | None = None,
    level: float = 0.95,
    pthresh: float = 0.02,
    bca: bool = True,
    n_jobs: int | None = None,
    progress: bool = False,
    on_empty_list: str = "error",
    structural_zeros: Any = None,
    missing: str = "error",
    max_order: int | None = None,
    average_criterion: str = "aic",
    linkage: str | None = None,
    linkage_draws: int = 50,
    linkage_reps: int = 20,
    linkage_run: Any = None,
    assumption_range: Any = (0.5, 2.0),
    pooling: str = "none",
) -> Estimate:
    """Estimate the population size (and the dark figure) by Poisson log-linear models.

    Parameters
    ----------
    data : CaptureHistories, DataFrame, path or bundled dataset name
        Capture histories: aggregated (0/1 list columns, covariates, ``count``) or
        one row per person; a CSV/Parquet/Excel file; or a name from
        ``darkfigure.datasets.names()``.
    lists, covariates : list of str, optional
        Columns (default: 0/1 columns are lists, the rest covariates).
    count : str
        Count column of an aggregated table (default ``count``, or a column named
        Freq, n, ...; without one each row is a person).
    year : str, optional
        Covariate holding the year; reported per year.
    year_degree : int, optional
        Code year as an orthogonal polynomial of this degree (R's ``poly``) instead of
        dummies.
    search : {"auto", "cruyff", "stratified", "pvalue", "pvalue-pairs", "exhaustive", "none"}
        Model search: Cruyff's stepwise BIC/AIC search (``mse``; its scope holds every
        list x list, list x covariate and covariate x covariate term), the stepwise
        p-value search (``pvalue``: SparseMSE's pairs of lists plus, with covariates,
        list x covariate terms by likelihood-ratio p-values; ``pvalue-pairs``: exactly
        SparseMSE's ``stepwisefit``, pairs of lists only), ``stratified`` (every list x
        covariate term kept, stepwise over list interactions:
        :mod:`darkfigure.loglinear.selection`), all hierarchical list models, or no
        search (the main-effects model, or `model`). ``auto`` (default): ``stratified``
        with covariates (chosen on the tuning settings of ``benchmarks/coverage_study.py``),
        ``cruyff`` without.
    criterion : {"bic", "aic"}, optional
        Which criterion picks the model on the path / among all models (default: AIC
        for the stratified search, BIC for the others, as ``mse``).
    max_order : int, optional
        Highest order of interaction the search may add (default 2, as ``mse`` and
        SparseMSE; 3 reaches three-list terms, e.g. Kosovo's published 10,357 with the
        exhaustive search). Not for the p-value search (pairs only). For the exhaustive
        search the default is every order up to k − 1 (Rcapture's ``closedpMS.t``: 6,893
        models on 5 lists), and 2 on 6 lists (32,768 graphical two-way models).
    average_criterion : {"aic", "bic"}
        Weights of the model average (``ci="averaged"``): smoothed AIC (Akaike weights)
        or BIC weights over the models the search visited.
    model : str or list of str, optional
        Interactions of a fixed model, e.g. ``"A:B, B:C"`` (implies ``search="none"``).
    ci : {"averaged", "parametric", "nonparametric", "nonparametric-conditional", "profile", "none"}
        ``averaged`` (default): N̂ averaged over the models the search visited with
        smoothed information-criterion weights and a parametric-bootstrap interval from
        the mixture of those models (:mod:`darkfigure.loglinear.averaging`; Buckland,
        Burnham & Augustin 1997) — it carries the model-selection uncertainty.
        ``parametric``: Cruyff's ``boot_mse`` of the chosen model, and ``profile``:
        Rcapture's ``closedpCI`` profile likelihood — both *conditional on the chosen
        model* (they reproduce the peers). ``nonparametric``: bootstrap with model
        re-selection (BCa unless ``bca=False``) resampling the estimated population so
        that n varies; ``nonparametric-conditional``: the same holding n fixed as
        SparseMSE does (narrower: it leaves out Var(n)). ``none``: no interval.
        ``Estimate.conditional`` says which kind the interval is.
    reps : int
        Bootstrap replicates.
    seed : int, optional
        Seed for the bootstrap (results are reproducible given the seed).
    level : float
        Confidence level.
    pthresh : float
        Threshold of the p-value search.
    bca : bool
        BCa (True) or percentile intervals for the nonparametric bootstrap.
    n_jobs : int, optional
        Processes for the bootstrap (default: all cores).
    progress : bool
        Show progress bars on a terminal.
    on_empty_list : {"error", "drop"}
        What to do with a list that registered nobody.
    structural_zeros : path, DataFrame or iterable of (list, covariate, level), optional
        Lists that cannot register a covariate level (or, with the year column as
        covariate, did not exist in a year): those cells leave the likelihood and each
        subgroup is estimated from the lists that can see it
        (:mod:`darkfigure.structural`).
    missing : {"error", "em", "drop"}
        Persons with unknown (empty) covariate values: refuse them (default), keep
        them and fit by the EM algorithm over the complete table (van der Heijden et
        al. 2012; the parametric bootstrap redoes the EM; :mod:`darkfigure.loglinear.em`),
        or drop them (biases N̂ downwards; said in the warnings).
    linkage : {"correct", "none"}, optional
        With a ``darkfigure link`` output folder as `data` (or `linkage_run`): also
        estimate N̂ corrected for linkage error, with an interval that carries the
        linkage's uncertainty (:mod:`darkfigure.linkage.uncertainty`; the result's
        ``linkage`` block; ``estimates`` then holds the corrected figures). Default
        ``"correct"`` when the run has match probabilities, else ``"none"``.
        ``"correct"`` without match probabilities raises DataError.
    linkage_draws, linkage_reps : int
        Linkage draws, and parametric bootstrap replicates per draw (0: linkage uncertainty only).
    linkage_run : LinkRun, optional
        The linkage run (records and scored pairs) behind `data`.
    assumption_range : (lo, hi), "lo,hi", "off" or None
        Range of psi over which N̂ is recomputed with the identifying assumption (no
        k-way list interaction) relaxed, with Sun et al.'s bounds
        (:mod:`darkfigure.sensitivity`; ``Estimate.identifying``). Default (1/2, 2);
        None or "off" skips it. Cheap: a rescaling plus two profile-likelihood fits.
    pooling : {"none", "partial"}
        ``"partial"``: also fit the mixed-effects log-linear model that pools the list x covariate
        effects across strata (Hammond, Smith & van der Heijden 2025;
        :mod:`darkfigure.loglinear.pooling`, keeping the chosen model's list x list terms) and add
        ``nhat_pooled, lower_pooled, upper_pooled`` (parametric bootstrap of `reps` replicates, `seed`)
        and ``nhat_stratified`` (every list x stratum term free) to ``estimates``; the ``pooling``
        block of ``result.json`` holds the variance components. Needs covariates.

    Returns
    -------
    Estimate

    Raises
    ------
    DataError
        Bad input data (the message names the column/row/list and what to do).
    ValueError
        Unknown option values.
    """
    search, ci = search.lower(), ci.lower()
    if search not in SEARCH_METHODS:
        raise ValueError(f"search must be one of {SEARCH_METHODS}, not {search!r}")
    if ci not in CI_METHODS:
        raise ValueError(f"ci must be one of {CI_METHODS}, not {ci!r}")
    if criterion is not None and criterion.lower() not in ("bic", "aic", "aicc"):
        raise ValueError(f"criterion must be 'bic' or 'aic', not {criterion!r}")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if isinstance(reps, bool) or not isinstance(reps, int | np.integer):
        raise ValueError(f"reps (--reps) must be a whole number of bootstrap replicates, not {reps!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0):
        raise ValueError(f"seed (--seed) must be a non-negative whole number, not {seed!r}")
    if linkage_reps and linkage_reps < 20:
        raise ValueError(f"linkage_reps (--linkage-reps) must be 0 (linkage uncertainty only) or at least 20 "
                         f"bootstrap replicates per linkage draw, not {linkage_reps}")
    if linkage_draws < 2:
        raise ValueError(f"linkage_draws (--linkage-draws) must be at least 2 (50 is the default), not {linkage_draws}")
    average_criterion = average_criterion.lower()
    if average_criterion not in ("aic", "bic"):
        raise ValueError(f"average_criterion must be 'aic' or 'bic', not {average_criterion!r}")
    if max_order is not None and (not isinstance(max_order, int | np.integer) or max_order < 2):
        raise ValueError(f"max_order must be an integer of at least 2 (got {max_order!r})")
    if max_order is not None and max_order > 2 and search in ("pvalue", "pvalue-pairs"):
        raise ValueError("the p-value search adds pairs of lists (and list x covariate terms) only; "
                         "for higher-order terms use search='cruyff' or 'exhaustive' with max_order")
    if model is not None and search in ("pvalue", "pvalue-pairs", "exhaustive", "stratified"):
        raise ValueError(f"a fixed model (model=..., --model) and search={search!r} conflict: give one of them")
    if ci in ("parametric", "nonparametric", "nonparametric-conditional", "averaged") and reps > MAX_REPS:
        raise ValueError(
            f"reps={reps:,} is above the cap of {MAX_REPS:,} (each replicate refits the model): 1,000 is the standard, "
            "10,000 pins the interval's ends down to about 1%"
        )
    from .sensitivity import parse_range

    assumption_range = parse_range(assumption_range)
    pooling = str(pooling).lower()
    if pooling not in ("none", "partial"):
        raise ValueError(f"pooling (--pooling) must be 'none' or 'partial', not {pooling!r}")
    missing = missing.lower()
    if missing not in ("error", "em", "drop"):
        raise ValueError(f"missing must be 'error', 'em' or 'drop', not {missing!r}")
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    from .linkage.uncertainty import resolve_linkage

    data, linkage_run, linkage = resolve_linkage(data, linkage_run, linkage)
    covariates = with_year(covariates, year)
    h = read_histories(
        data, lists=lists, covariates=covariates, count=count, on_empty_list=on_empty_list,
        missing="error" if missing == "error" else "keep",
    )
    warnings: list[str] = []
    if missing == "drop" and h.n_incomplete:
        n_drop = h.n_incomplete
        h = h.drop_incomplete()
        warnings.append(
            f"{n_drop:,} registered person(s) with an unknown covariate value were dropped: they are counted "
            "nowhere, so N̂ is biased downwards; use missing='em' (--missing em) to keep them"
        )
    em_mode = h.n_incomplete > 0
    if pooling == "partial":
        from .loglinear.pooling import check_pooling

        check_pooling(h)  # before the search and the bootstrap: a refusal should not wait for them
        if em_mode:
            raise DataError("partial pooling (--pooling partial) is not built for unknown covariate values fitted by "
                            "EM (--missing em): use --missing drop, or leave --pooling at none")
    if em_mode and ci in ("nonparametric", "nonparametric-conditional", "profile"):
        raise ValueError(
            "with unknown covariate values fitted by EM the interval is the parametric bootstrap that redoes "
            "the EM (--ci parametric) or none"
        )
    if year_degree is not None and year_degree < 1:
        raise ValueError(f"the year polynomial degree must be at least 1 (got {year_degree})")
    if n_jobs is not None and n_jobs < 1:
        raise ValueError(f"the number of worker processes must be at least 1 (got {n_jobs})")
    if year is not None and year not in h.covariates:
        raise DataError(f"year column {year!r} is not among the covariates {list(h.covariates)}")
    sz = None
    if structural_zeros is not None:
        from .structural import complete_table, validate_structural_zeros

        sz = validate_structural_zeros(h, structural_zeros)
        table = complete_table(h, sz, year=year, year_degree=year_degree)
    else:
        table = CompleteTable(h, year=year, year_degree=year_degree)
    fixed = None
    if model is not None:
        terms = parse_terms(model)
        fixed = LogLinearModel.make(table.variables, terms)
        search = "none"
    if search == "auto":
        search = "stratified" if h.covariates else "cruyff"
    criterion = criterion.lower() if criterion is not None else ("aic" if search == "stratified" else "bic")
    if max_order is None:  # exhaustive: every hierarchical model (all orders up to k - 1) where enumerable
        max_order = max(2, h.k - 1) if search == "exhaustive" and h.k <= 5 else 2
    empties = h.empty_overlaps()
    if empties:
        warnings.append(
            "lists that share nobody: "
            + ", ".join(f"{a}∩{b}" for a, b in empties)
            + "; models with their interaction fit those cells as 0 (extended MLE)"
        )
    holes = h.empty_list_strata()
    if sz is not None:
        declared = {(r.list, r.covariate, r.level) for r in sz.itertuples()}
        holes = [x for x in holes if x not in declared]
    if holes:
        shown = ", ".join(f"{a} in {c}={lv}" for a, c, lv in holes[:10])
        warnings.append(
            f"list(s) with no records in a subgroup: {shown}{' …' if len(holes) > 10 else ''}. If the list "
            "could not register that subgroup (or did not exist that year), it is a structural zero; otherwise "
            "a model with that list x covariate interaction fits those cells as 0"
        )
    t1 = time.perf_counter()
    em = cc = None
    if em_mode:
        from .loglinear.em import coarse_cells, em_fit, em_select

        cc = coarse_cells(table, h.incomplete)
        if search == "none":
            em = em_fit(table, fixed or LogLinearModel.make(table.variables), cc)
            srch = None
        else:
            em, srch, rounds = em_select(
                table, cc, lambda t: _select(t, search, criterion, pthresh, fixed, max_order=max_order)
            )
        fit = em.fit
        imputed = ", ".join(f"{c}: {n:,}" for c, n in cc.missing_values.items() if n)
        warnings.append(
            f"{cc.n_persons:,} person(s) had unknown covariate values ({imputed}); they were kept and their values "
            f"imputed by the EM algorithm ({em.iterations} EM steps), assuming the values are missing at random "
            "given the lists and the known covariates. Subgroup 'observed' counts include their expected shares; "
            "the model's deviance and criteria are those of the completed table"
        )
    else:
        fit, srch = _select(table, search, criterion, pthresh, fixed, max_order=max_order)
    seconds["search"] = time.perf_counter() - t1
    if srch is not None:
        warnings += srch.warnings
    warnings += fit.warnings
    if not fit.identified:
        warnings.append(
            "N̂ is not identified for the chosen model: no estimate is given. Use a simpler model "
            "or more lists."
        )
    if fit.identified and fit.df_residual > 0:
        p_fit = float(stats.chi2.sf(fit.deviance, fit.df_residual))
        if p_fit < 0.001:
            warnings.append(
                f"the chosen model fits the observed table poorly (deviance {fit.deviance:,.1f} on "
                f"{fit.df_residual} df, {'p < 1e-16' if p_fit < 1e-16 else f'p = {p_fit:.1g}'}): its assumptions about how the lists overlap do not "
                "hold, so N̂ may be far off; compare other methods (darkfigure compare)"
            )
    from .diagnostics import heterogeneity_reference, model_checks

    # an AIC search's small list interactions absorb the heterogeneity the check looks for: test the BIC choice
    checks = model_checks(fit, h, structural_zeros=sz is not None, imputed=em_mode,
                          reference=heterogeneity_reference(fit, srch))
    for c in checks:
        if c.flagged and not (c.name == "goodness_of_fit" and c.statistic < 0.001):  # that one is said above
            warnings.append(c.message)
    if ci == "averaged" and em_mode:
        # the EM bootstrap redoes the imputation for one model; averaging over models is not built for it
        ci = "parametric"
        warnings.append(
            "with unknown covariate values fitted by EM the interval is the parametric bootstrap of the chosen "
            "model (redoing the EM): it is conditional on that model and too narrow by the model-selection uncertainty"
        )
    if ci in ("parametric", "nonparametric", "nonparametric-conditional", "averaged"):
        if reps < 20:
            raise ValueError(f"--reps {reps} is far too few for a 95% bootstrap interval; use 1,000 (at least 200)")
        if reps < 200:
            warnings.append(f"only {reps} bootstrap replicates: the interval's ends are rough; use 1,000")
    groups = default_groups(table, year)
    boot = None
    prof = None
    avg = None
    lower = upper = float("nan")
    t2 = time.perf_counter()
    if fit.identified and ci in ("parametric", "nonparametric", "nonparametric-conditional", "averaged"):
        if ci == "averaged":
            from .loglinear.averaging import averaged_bootstrap, model_average, search_candidates
            from .loglinear.selection import reselection_start

            avg = model_average(search_candidates(srch, fit), criterion=average_criterion)
            # the stratified search is repeated (over list pairs) in every replicate: see _Reselect
            resel = reselection_start(srch) if _AVERAGING["reselect"] else None
            boot = averaged_bootstrap(avg, reps=reps, seed=seed, level=level, groups=groups, progress=progress,
                                      draw=_AVERAGING["draw"], bias=_AVERAGING["bias"], reselect=resel,
                                      reselect_order=max_order, reselect_from=_AVERAGING["reselect_from"])
        elif em is not None:
            from .loglinear.em import em_parametric_bootstrap

            boot = em_parametric_bootstrap(
                em, cc, table, reps=reps, seed=seed, level=level, groups=groups, n_jobs=n_jobs, progress=progress
            )
        elif ci == "parametric":
            boot = parametric_bootstrap(
                fit, reps=reps, seed=seed, level=level, groups=groups, n_jobs=n_jobs, progress=progress
            )
        else:
            sel = _Selector(search, criterion, pthresh, fixed, max_order)
            boot = nonparametric_bootstrap(
                fit,
                sel,
                reps=reps,
                seed=seed,
                level=level,
                interval="bca" if bca else "percentile",
                groups=groups,
                n_jobs=n_jobs,
                progress=progress,
                condition_on_n=ci == "nonparametric-conditional",
            )
        est = boot.table()
        est, note = truncate_at_observed(est)
        if note:
            warnings.append(note)
        lower, upper = float(est.iloc[0]["lower"]), float(est.iloc[0]["upper"])
        msg = boot.describe_failures()
        if msg:
            warnings.append(msg)
    else:
        est = _point_table(fit, groups)
        if fit.identified and ci == "profile":
            from .loglinear.profile import profile_interval

            prof = profile_interval(fit, level=level)
            lower, upper = float(prof.low), float(prof.high)
            est.loc[0, ["lower", "upper"]] = [lower, upper]
            if not (prof.upper_bounded and prof.lower_bounded):
                warnings.append(prof.message)
        est, note = truncate_at_observed(est)
        if note:
            warnings.append(note)
    seconds["interval"] = time.perf_counter() - t2
    link_est = None
    if linkage == "correct" and fit.identified:
        from .linkage.uncertainty import correct_estimate

        t3 = time.perf_counter()
        if avg is not None and len(avg.fits) > 1:
            # the draws refit the chosen model: compare them with the chosen model's N̂ as linked, not with the
            # model average, or the difference between the two estimators would pass for a linkage correction
            point = _point_table(fit, groups).set_index(["group", "level"])["nhat"]
            est = est.copy()
            est["nhat"] = point.reindex(pd.MultiIndex.from_frame(est[["group", "level"]])).to_numpy()
            warnings.append(
                "the linkage correction refits the chosen model on every linkage draw: N̂ as linked and corrected "
                "are that model's, not the model average (whose interval is shown as linked)"
            )
        link_est, est = correct_estimate(
            linkage_run, h, fit, est, boot, draws=linkage_draws, reps=linkage_reps, seed=seed, level=level,
            year=year, year_degree=year_degree, structural_zeros=structural_zeros, n_jobs=n_jobs, missing=missing,
            progress=progress,
        )
        warnings += link_est.warnings
        seconds["linkage"] = time.perf_counter() - t3
    pool = None
    if pooling == "partial":
        t4 = time.perf_counter()
        pool, est = _partial_pooling(table, fit, est, groups, reps, seed, level, warnings, progress=progress)
        seconds["pooling"] = time.perf_counter() - t4
    seconds["total"] = time.perf_counter() - t0
    if fit.identified and np.isfinite(upper) and upper > 50 * max(h.n_observed, 1):
        warnings.append(
            f"the upper limit ({upper:,.0f}) is more than 50 times the observed count: the data "
            "barely identify N; treat the estimate with great caution"
        )
    conditional = None
    if np.isfinite(lower) or np.isfinite(upper):
        # a fixed model, or a search that visited a single model, leaves no selection to carry
        conditional = ci in CONDITIONAL_CI or srch is None or (
            avg is not None and len(avg.fits) == 1 and not (boot is not None and boot.reselected)
        )
    settings = {
        "lists": list(h.lists),
        "covariates": list(h.covariates),
        "year": year,
        "year_degree": year_degree,
        "search": search,
        "criterion": criterion,
        "max_order": max_order,
        "average_criterion": average_criterion if ci == "averaged" else None,
        "search_repeated_in_bootstrap": bool(boot is not None and boot.reselected),
        "conditional_interval": conditional,
        "model": None if fixed is None else fixed.formula(),
        "ci": ci,
        "reps": reps,
        "seed": seed,
        "level": level,
        "pthresh": pthresh,
        "structural_zeros": None if sz is None else [[r.list, r.covariate, str(r.level)] for r in sz.itertuples()],
        "missing": missing,
        "imputed": None if cc is None else {"persons": cc.n_persons, **cc.missing_values},
        "linkage": linkage,
        "assumption_range": None if assumption_range is None else list(assumption_range),
        "pooling": pooling,
    }
    ident = None
    if assumption_range is not None and fit.identified:
        from .sensitivity import identifying_assumption

        t4 = time.perf_counter()
        try:
            ident = identifying_assumption(
                Estimate(histories=h, table=fit.table if em_mode else table, fit=fit, search=srch, ci_method=ci,
                         level=level, lower=lower, upper=upper, estimates=est, bootstrap=boot, settings=settings,
                         averaged=avg),
                range=assumption_range, groups=groups,
            )
        except (DataError, ValueError) as e:
            warnings.append(f"the sensitivity to the identifying assumption could not be computed: {e}")
        seconds["identifying_assumption"] = time.perf_counter() - t4
    return Estimate(
        histories=h,
        table=fit.table if em_mode else table,
        fit=fit,
        search=srch,
        ci_method=ci if not ci.startswith("nonparametric") else f"{ci}-{'bca' if bca else 'percentile'}",
        level=level,
        lower=lower,
        upper=upper,
        estimates=est,
        bootstrap=boot,
        profile=prof,
        warnings=list(dict.fromkeys(warnings)),  # each said once, in the order first said
        settings=settings,
        seconds=seconds,
        notes=list(dict.fromkeys(h.notes)),
        checks=checks,
        averaged=avg,
        conditional=conditional,
        linkage=link_est,
        identifying=ident,
        pooling=pool,
    )


def _partial_pooling(table, fit, est, groups, reps, seed, level, warnings, progress=False):
    """Pooled (mixed-effects) subgroup N̂ beside the run's (``estimate(pooling="partial")``)."""
    from .loglinear.pooling import FEW_LEVELS, VARIANCE_FLOOR, partial_pooling

    pool = partial_pooling(table, fit.model, groups, reps=reps, seed=seed, level=level, progress=progress)
    add = pool.table[["group", "level", "nhat_stratified", "nhat_pooled", "lower_pooled", "upper_pooled"]]
    est = est.merge(add, on=["group", "level"], how="left")
    f = pool.fit
    at_floor = [n for n, v in zip(f.design.component_names, f.variances) if v <= VARIANCE_FLOOR * 1.0001]
    if at_floor:
        warnings.append(
            "partial pooling: the data show no stratum-to-stratum variation of " + ", ".join(at_floor)
            + " (variance estimated 0), so those list effects are pooled completely across strata"
        )
    if not f.converged:
        warnings.append("partial pooling: the mixed-effects fit did not converge; read the pooled columns with care")
    if pool.failed:
        warnings.append(f"partial pooling: {pool.failed} of {pool.reps} bootstrap refits did not converge and were "
                        "left out of the pooled interval")
    few = pool.few_levels()
    if few:
        by_n: dict[int, list[str]] = {}
        for name, k in few.items():
            by_n.setdefault(k, []).append(name)
        rest = "; ".join(f"{', '.join(ns)} on {k} level{'s' if k != 1 else ''}" for k, ns in sorted(by_n.items()))
        warnings.append(
            f"partial pooling: variance component(s) estimated from fewer than {FEW_LEVELS} levels ({rest}): a "
            "variance from so few values is crude and often comes out 0 (those list effects then pooled "
            "completely), so the pooled figures and their interval lean on the assumption that those subgroups "
            "are seen alike rather than on the data, and the pooled interval can be much narrower than the "
            "unpooled one; pool over covariates with more levels, or read the unpooled figures beside them"
        )
    bad = pool.strata_not_identified
    if bad or not np.isfinite(pool.table["nhat_stratified"]).all():
        named = "; ".join(bad[:8]) + (f"; and {len(bad) - 8} more" if len(bad) > 8 else "")
        n_strata = int(table.n_strata)
        warnings.append(
            f"partial pooling: the fully stratified fit (every list x stratum term free) identifies no N̂ for "
            f"{len(bad)} of {n_strata} strata ({named}): those strata are too small for their own list effects, "
            "which is what pooling is for; their nhat_stratified is empty, and so is that of every total or "
            "margin that includes one of them (a sum over strata needs all of them); the other strata keep "
            "their own figure"
        )
    return pool, est


def with_year(covariates: list[str] | None, year: str | None) -> list[str] | None:
    """The covariates to read, with the year column added when it was named apart (as Cruyff's ``mse``
    takes ``year=`` beside the covariates); None (every other column) stays None."""
    if covariates is None or year is None or year in covariates:
        return covariates
    return [*covariates, year]


def truncate_at_observed(
    table: pd.DataFrame, observed: str = "observed", lower: str = "lower", upper: str = "upper", label=None
) -> tuple[pd.DataFrame, str | None]:
    """Raise interval limits that lie below the number observed to that number (N >= n always).

    Why it happens: in the parametric bootstrap (Cruyff's ``boot_mse``) every replicate
    redraws the observed cells too, so a replicate's N̂*_b = n*_b + dark*_b varies with
    the replicate's own observed count n*_b. In a stratum whose dark figure is estimated
    at (or near) 0 the percentile interval of N̂*_b is then the spread of n*_b around n,
    and its lower end falls below the n persons actually registered (e.g. 26–46 for 35
    observed). N cannot be smaller than n, so such a limit is set to n and said so.

    Parameters
    ----------
    table : DataFrame
        Rows with columns `observed`, `lower`, `upper` (and ``group``/``level`` or `label`
        for the message).
    label : callable, optional
        Row -> text naming the row in the message (default ``group=level``).

    Returns
    -------
    (DataFrame, str or None)
        A copy with the limits raised, and a sentence naming the rows changed (None when
        none was).
    """
    if table.empty or lower not in table or observed not in table:
        return table, None
    obs = pd.to_numeric(table[observed], errors="coerce").to_numpy(dtype=float)
    t = table.copy()
    changed = np.zeros(len(t), dtype=bool)
    # rounding error of the fit (e.g. 499.9999999999994 for 500 persons all on every list) is no real shortfall
    tol = 1e-7 * np.maximum(obs, 1.0)
    cols = [c for c in ("nhat", lower, upper) if c in t.columns]
    for col in cols:
        v = pd.to_numeric(t[col], errors="coerce").to_numpy(dtype=float)
        noise = np.isfinite(v) & np.isfinite(obs) & (v < obs) & (v >= obs - tol)
        bad = np.isfinite(v) & np.isfinite(obs) & (v < obs - tol)
        if col == "nhat":
            bad[:] = False  # N̂ itself is reported as fitted (see the note below), never moved
        if noise.any() or bad.any():
            t[col] = np.where(noise | bad, obs, v)
            changed |= bad
    notes = []
    if "nhat" in t.columns:
        nh = pd.to_numeric(t["nhat"], errors="coerce").to_numpy(dtype=float)
        low = np.isfinite(nh) & np.isfinite(obs) & (nh < obs - tol)
        if low.any():
            k = int(low.sum())
            notes.append(
                f"in {k} row(s) N̂ is below the number observed (e.g. {_row_name(table.iloc[int(np.flatnonzero(low)[0])], label)}"
                f": {nh[low][0]:,.1f} for {obs[low][0]:,.0f}): N̂ of a subgroup is the sum of the model's fitted values "
                "(Cruyff's definition), and the model does not hold that subgroup's margin; read such rows as "
                "'at least the number observed', or add the subgroup's interaction to the model"
            )
    if not changed.any():
        return t, ("; ".join(notes) or None)

    rows = [_row_name(r, label) for _, r in table[changed].iterrows()]
    shown = ", ".join(f"{n} ({table[lower].iloc[i]:,.1f} < {obs[i]:,.0f})"
                      for n, i in zip(rows[:5], np.flatnonzero(changed)[:5], strict=False))
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    notes.insert(0, (
        f"interval limit(s) below the number observed were set to that number in {len(rows)} row(s): {shown}{more}. "
        "N cannot be smaller than the persons registered; the bootstrap put the limit there because each replicate "
        "redraws the observed count too, which dominates where the dark figure is estimated near 0"
    ))
    return t, "; ".join(notes)


def _row_name(r, label=None) -> str:
    """How a row of an estimates table is named in a message: ``group=level`` or ``total``."""
    if label is not None:
        return label(r)
    g, lv = str(r.get("group", "")), str(r.get("level", ""))
    return "total" if g in ("", "total") else f"{g}={lv}"


# how the default interval averages (chosen on the tuning settings of benchmarks/coverage_study.py)
_AVERAGING: dict = {"draw": "mixture", "bias": "none", "reselect": True, "reselect_from": "component"}


def _point_table(fit: LogLinearFit, groups) -> pd.DataFrame:
    rows = []
    for g in groups:
        d = fit.nhat_by(g)
        for _, r in d.astype(object).iterrows():
            rows.append(
                {
                    "group": "total" if not g else "x".join(g),
                    "level": "" if not g else ":".join(str(r[c]) for c in g),
                    "observed": int(r["observed"]),
                    "nhat": float(r["nhat"]),
                    "lower": np.nan,
                    "upper": np.nan,
                }
            )
    return pd.DataFrame(rows)
