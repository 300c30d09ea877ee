"""The Python front doors: ``dfg.estimate`` and ``dfg.compare``, both answering the result protocol.

``import darkfigure as dfg`` loads these (and the other public names) on first use; see
:mod:`darkfigure.results` for the protocol and :mod:`darkfigure.estimators` for the
estimator objects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .results import Comparison, Result

if TYPE_CHECKING:
    import pandas as pd

    from .histories import CaptureHistories

__all__ = ["estimate", "compare"]


def estimate(data: CaptureHistories | pd.DataFrame | str | Path | Any, method: str = "loglinear",
             **options: Any) -> Result:
    """Population size by Poisson log-linear models: :func:`darkfigure.estimation.estimate` under the result protocol.

    Parameters
    ----------
    data : CaptureHistories, pandas or polars DataFrame, path, bundled dataset name or LinkageResult
        Capture histories, aggregated (0/1 list columns, covariates, ``count``) or one
        row per person. A :class:`~darkfigure.linkage.LinkageResult` (``dfg.estimate(dfg.link(regs))``)
        or its output folder: its persons with N̂ corrected for linkage error (``linkage="none"``:
        taken as error-free), as ``darkfigure estimate LINKFOLDER``; its ``histories`` alone
        carry no match probabilities and are taken as error-free, with a warning.
    method : {"loglinear", "dga"}
        As ``darkfigure estimate --method``. ``"dga"``: Bayesian model averaging over decomposable
        graphs (:class:`darkfigure.DGA`, 3-5 lists); it takes only ``lists``, ``covariates``,
        ``count``, ``on_empty_list`` and ``level`` (``seed`` is accepted and unused: dga is
        deterministic; ``n_jobs`` is accepted and unused: one exact computation; ``progress`` says
        on stderr that dga runs); N̂ is NaN with status "not identified" when the posterior does not identify N.
    **options
        Any keyword of :func:`darkfigure.estimation.estimate` (its docstring gives each one's
        meaning), with the same defaults as ``darkfigure estimate`` on the command line
        (``lists`` and ``covariates`` also as one comma-separated string, ``"EXH,ABA,OSCE"``):
        ``lists``, ``covariates``, ``count``, ``year``, ``year_degree``, ``search``,
        ``criterion``, ``model``, ``ci``, ``reps``, ``seed``, ``level``, ``pthresh``, ``bca``,
        ``n_jobs``, ``progress``, ``on_empty_list``, ``structural_zeros``, ``missing``,
        ``max_order``, ``average_criterion``, ``linkage``, ``linkage_draws``, ``linkage_reps``,
        ``linkage_run``, ``assumption_range``, ``pooling``, ``model_checks``.

    Returns
    -------
    Result
        N̂ (NaN when the data do not identify it), the interval, warnings, estimates by
        subgroup (``to_frame()``); ``result.raw`` is the full
        :class:`~darkfigure.estimation.Estimate` (``raw.write(folder)`` writes result.json). Without
        a ``seed`` a bootstrap interval runs with a drawn one, kept in ``result.raw.settings["seed"]``
        and said in ``result.raw.notes``, so that the run can be repeated.

    Raises
    ------
    DataError
        Invalid data or options (the message names the column, list or option).
    TypeError
        A keyword that :func:`darkfigure.estimation.estimate` does not take (the message
        suggests the nearest names and lists the valid ones).
    """
    import difflib
    import inspect

    from ._seeds import draw_seed, seed_note
    from .estimation import estimate as run
    from .results import from_estimate

    m = str(method).strip().lower()
    if m == "dga":
        from .estimators import DGA

        read = ("lists", "covariates", "count", "on_empty_list")
        # n_jobs and progress are accepted as for the default method, so a loop over methods needs no special case
        # (tester 13a, F6.2): dga is one exact sum over graphs, with nothing to spread over processes
        bad = [k for k in options if k not in (*read, "level", "seed", "n_jobs", "progress")]
        if bad:
            raise TypeError(f"dfg.estimate(method='dga') takes lists, covariates, count, on_empty_list, level, seed, "
                            f"n_jobs and progress, not {', '.join(repr(k) for k in bad)}; for dga's own settings "
                            "(delta, prior) use dfg.DGA(...).fit(data), and to compare dga with other methods "
                            "dfg.compare(data, methods=['dga', ...])")
        from .pipeline.phases import say

        say(bool(options.get("progress")), "dga: model averaging over decomposable graphs (one process; n_jobs "
            "is not used)…")
        return DGA(level=options.get("level", 0.95)).fit(data, **{k: options[k] for k in read if k in options}).result_
    if m != "loglinear":
        raise ValueError(f"method must be 'loglinear' or 'dga' (as darkfigure estimate --method), not {method!r}; "
                         "every other method is in dfg.compare(data, methods=[...]) or its estimator object "
                         "(dfg.DGA, dfg.LCMCR, ...)")
    from ._history_checks import as_names

    # "sex" or "EXH,ABA,OSCE" as on the command line, never split into characters (tester 9, F7)
    for k in ("lists", "covariates"):
        if k in options:
            options[k] = as_names(options[k], k)
    valid = [p for p in inspect.signature(run).parameters if p != "data"]
    unknown = [k for k in options if k not in valid]
    if unknown:
        hints = "; ".join(
            f"{k!r}" + (f" (did you mean {', '.join(repr(m) for m in near)}?)"
                        if (near := difflib.get_close_matches(k, valid, n=2, cutoff=0.6)) else "")
            for k in unknown)
        raise TypeError(f"dfg.estimate() got unknown keyword(s) {hints}; valid keywords: {', '.join(valid)}")
    drawn = options.get("seed") is None
    options["seed"] = draw_seed(options.get("seed"), options.get("ci"), options.get("pooling"))  # 12b, M5
    est = run(data, **options)
    est.warnings += [w for w in _linked_histories_warning(data, options) if w not in est.warnings]
    if drawn and options["seed"] is not None:  # recorded (raw.settings["seed"], result.json) and said
        est.notes.append(seed_note(options["seed"], "seed="))
        est.settings["seed_drawn"] = True
    return from_estimate(est)


#: the name :func:`darkfigure.linkage.persons_from_pairs` gives the histories of a linkage
_LINKED = "linked registrations"


def _linked_histories_warning(data: Any, options: dict) -> list[str]:
    """The warning that N̂ takes the linkage as error-free, for ``dfg.estimate(link_result.histories)``.

    As the command line says it for a link folder's ``histories.csv`` (tester 11, finding 6):
    histories of a :class:`~darkfigure.linkage.LinkageResult` carry no match probabilities, so
    no linkage correction is made unless `options` give a ``linkage_run``.
    """
    from .histories import CaptureHistories

    if not isinstance(data, CaptureHistories) or data.name != _LINKED or options.get("linkage_run") is not None:
        return []
    return ["the persons come from a record linkage (the histories of a LinkageResult) taken here as error-free: "
            "N̂ and its interval carry no linkage error (missed links raise N̂, false links lower it). Give the "
            "LinkageResult itself, dfg.estimate(result), to correct N̂ for linkage error"]


def compare(
    data: CaptureHistories | pd.DataFrame | str | Path | Any,
    methods: Sequence[str] | None = None,
    *,
    lists: list[str] | None = None,
    covariates: list[str] | None = None,
    count: str = "count",
    on_empty_list: str = "error",
    seed: int | None = None,
    reps: int = 1000,
    progress: Callable[[str], None] | None = None,
    model: str | None = None,
    year: str | None = None,
    year_degree: int | None = None,
    headline: bool = True,
    validation: bool = False,
) -> Comparison:
    """Run every method that applies and keep each one's :class:`~darkfigure.results.Result`.

    The methods run through :func:`darkfigure.comparison.compare` (the loop of ``darkfigure
    compare``, so the table, its headline and its settings are the CLI's, except that the
    held-out-list validation is off unless ``validation=True``, where the CLI runs it unless
    ``--no-validation``); each method's own result object is wrapped in the result protocol beside its row.

    Parameters
    ----------
    data : CaptureHistories, pandas or polars DataFrame, path or bundled dataset name
    methods : sequence of str or comma-separated str, optional
        Subset of :data:`darkfigure.comparison.METHODS` (default: all that apply).
    lists, covariates : list of str or comma-separated str, optional
        The list and covariate columns of a table (``--lists``, ``--covariates``; default: the
        0/1 columns are the lists). The histories.csv of a ``darkfigure link`` output is read without
        link's ``year`` unless `covariates` or `year` name it, and ``notes`` says which, as ``estimate``
        does (:func:`~darkfigure.pipeline.first_year.first_year_covariate`).
    count : str
        The count column of an aggregated table (``--count``).
    on_empty_list : {"error", "drop"}
        A list that registered nobody: refuse (default) or drop it (``--drop-empty-lists``).
    seed : int, optional
        Seed of the samplers and bootstraps. Without one a seed is drawn, as :func:`estimate` does: kept in
        the result's ``seed`` and said in its ``notes`` (``seed=...`` repeats the run).
    reps : int
        Bootstrap replicates where a bootstrap is used.
    progress : callable, optional
        Called with each method's name before it runs.
    model : str, optional
        A fixed log-linear model's interactions (``"A:B,B:C"``): adds ``loglinear-model`` first.
    year, year_degree : optional
        Passed to the log-linear methods.
    headline, validation : bool
        As in :func:`darkfigure.comparison.compare`: the per-method assumption, evidence and
        verdict and the headline range with its reasons (``table.attrs["headline"]``), with
        leave-one-list-out validation as evidence when ``validation`` (costs about as much again;
        off by default here, on by default in ``darkfigure compare``: pass ``validation=True`` for the
        CLI's headline).

    Returns
    -------
    Comparison
        ``results`` (method -> Result), ``table`` (one row per method, as ``compare.csv``),
        ``skipped`` (method -> why it did not apply or failed), ``headline``
        (:class:`~darkfigure.headline.Headline`: range, reasons, kept and dropped methods;
        None with ``headline=False``).

    Raises
    ------
    ValueError
        An unknown method name (the message lists the known ones).
    DataError
        Invalid data; ``methods=[]`` (no method named: None runs them all).
    """
    from ._history_checks import as_names
    from ._seeds import draw_seed, seed_note
    from .comparison import _HETEROGENEITY
    from .comparison import compare as table_compare
    from .errors import DataError
    from .io import read_histories
    from .pipeline.first_year import first_year_notes, for_link_output
    from .results import from_dga, from_estimate, from_heterogeneity, from_lcmcr, from_selection_bootstrap

    # "lcmcr,dga" as the CLI's --methods (the one normaliser of name arguments; tester 9, F7)
    if methods is not None and not isinstance(methods, str) and hasattr(methods, "__iter__"):
        methods = list(methods)  # a generator is read once
    if isinstance(methods, list) and not methods:
        # an empty list ran every method silently (tester 14b, L2)
        raise DataError("methods=[] names no method: give some (e.g. methods=['loglinear-bic', 'Mh-darroch']), or "
                        "methods=None for every method that applies")
    methods = as_names(methods, "methods")
    drawn = seed is None
    seed = draw_seed(seed)  # the samplers and bootstraps are random: a drawn seed is kept and said (12b, M5)
    h = read_histories(data, lists=as_names(lists, "lists"), covariates=as_names(covariates, "covariates"),
                       count=count, on_empty_list=on_empty_list)
    h = for_link_output(h, data, as_names(covariates, "covariates"), year)  # link's year: asked for only (s24)
    # one loop for the CLI and the API: the table (with the headline) is darkfigure compare's, and
    # each method's own result object comes back beside it
    raw: dict[str, Any] = {}
    table = table_compare(h, methods, seed=seed, reps=reps, progress=progress, model=model, year=year,
                          year_degree=year_degree, headline=headline, validation=validation, results=raw)
    results: dict[str, Result] = {}
    for m, r in raw.items():
        if m.startswith("loglinear"):
            results[m] = from_estimate(r, m)
        elif m in _HETEROGENEITY:
            results[m] = from_heterogeneity(r)
        elif m in ("bic-exhaustive", "downhill"):
            results[m] = from_selection_bootstrap(r, h.n_observed, m)
        elif m == "lcmcr":
            results[m] = from_lcmcr(r)
        else:
            results[m] = from_dga(r)
    # an N̂ compare.csv refuses (not identified, no MLE) is never an N̂ in the results either (tester 10, F1/F4)
    from .comparison import align_result

    for row in table.itertuples():
        if str(row.method) in results:
            results[str(row.method)] = align_result(results[str(row.method)], row)
    skipped = {str(row.method): str(row.warnings) for row in table.itertuples()
               if row.method not in results and row.status in ("not applicable", "failed")}
    hl = table.attrs.get("headline")
    if hl is not None:
        from .headline import Headline

        hl = Headline(**hl)
    return Comparison(results=results, table=table, n_observed=h.n_observed, skipped=skipped, headline=hl,
                      seed=seed, notes=(*first_year_notes(h.notes),
                                        *((seed_note(int(seed), "seed="),) if drawn and seed is not None else ())))

