"""The Python front doors: ``dfg.estimate`` and ``dfg.compare``, both answering the result protocol.

``import darkfigure as dfg`` loads these (and the other public names) on first use; see
:mod:`darkfigure.results` for the protocol and :mod:`darkfigure.estimators` for the
estimator objects.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .results import Comparison, Result

if TYPE_CHECKING:
    import pandas as pd

    from .histories import CaptureHistories

__all__ = ["estimate", "compare"]


def estimate(data: CaptureHistories | pd.DataFrame | str | Path | Any, **options: Any) -> Result:
    """Population size by Poisson log-linear models: :func:`darkfigure.estimation.estimate` under the result protocol.

    Parameters
    ----------
    data : CaptureHistories, pandas or polars DataFrame, path or bundled dataset name
        Capture histories, aggregated (0/1 list columns, covariates, ``count``) or one
        row per person.
    **options
        Any keyword of :func:`darkfigure.estimation.estimate` (``lists``, ``covariates``,
        ``search``, ``ci``, ``reps``, ``seed``, ``level``, ``year``, ``model``, ...), with
        the same defaults as ``darkfigure estimate`` on the command line.

    Returns
    -------
    Result
        N̂ (NaN when the data do not identify it), the interval, warnings, estimates by
        subgroup (``to_frame()``); ``result.raw`` is the full
        :class:`~darkfigure.estimation.Estimate` (``raw.write(folder)`` writes result.json).

    Raises
    ------
    DataError
        Invalid data or options (the message names the column, list or option).
    """
    from .estimation import estimate as run
    from .results import from_estimate

    return from_estimate(run(data, **options))


def compare(
    data: CaptureHistories | pd.DataFrame | str | Path | Any,
    methods: Sequence[str] | None = None,
    *,
    seed: int | None = None,
    reps: int = 1000,
    progress: Callable[[str], None] | None = None,
    model: str | None = None,
    year: str | None = None,
    year_degree: int | None = None,
) -> Comparison:
    """Run every method that applies and keep each one's :class:`~darkfigure.results.Result`.

    The settings and the table are those of :func:`darkfigure.comparison.compare` (and of
    ``darkfigure compare``): each method runs through its estimator object
    (:func:`darkfigure.estimators.for_comparison`) and the table rows are derived from the
    results; a lower limit below the persons observed is raised to them (with a warning).

    Parameters
    ----------
    data : CaptureHistories, pandas or polars DataFrame, path or bundled dataset name
    methods : sequence of str, optional
        Subset of :data:`darkfigure.comparison.METHODS` (default: all that apply).
    seed : int, optional
        Seed of the samplers and bootstraps.
    reps : int
        Bootstrap replicates where a bootstrap is used.
    progress : callable, optional
        Called with each method's name before it runs.
    model : str, optional
        A fixed log-linear model's interactions (``"A:B,B:C"``): adds ``loglinear-model`` first.
    year, year_degree : optional
        Passed to the log-linear methods.

    Returns
    -------
    Comparison
        ``results`` (method -> Result), ``table`` (one row per method, as ``compare.csv``),
        ``skipped`` (method -> why it did not apply or failed).

    Raises
    ------
    ValueError
        An unknown method name (the message lists the known ones).
    DataError
        Invalid data.
    """
    import pandas as pd

    from .comparison import METHODS, _applicable, _row
    from .estimators import for_comparison
    from .io import read_histories

    h = read_histories(data)
    methods = list(methods) if methods else list(METHODS)
    if model is not None and "loglinear-model" not in methods:
        methods.insert(0, "loglinear-model")
    unknown = [m for m in methods if m not in METHODS and not (m == "loglinear-model" and model is not None)]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    rows, results, skipped = [], {}, {}
    for m in methods:
        if progress:
            progress(m)
        why = _applicable(h, m)
        if why:
            skipped[m] = f"not applicable: {why}"
            rows.append(_row(m, None, None, None, "", 0.0, [skipped[m]], status="not applicable"))
            continue
        t0 = time.perf_counter()
        try:
            r = for_comparison(m, h, seed=seed, reps=reps, model=model, year=year, year_degree=year_degree).fit(h)
            res = r.result
        except ImportError as e:
            res, failure = None, f"not available in this version: {e}"
        except MemoryError:
            res, failure = None, "failed: ran out of memory"
        except Exception as e:  # one method failing must not take the comparison (or a traceback) with it
            res, failure = None, f"failed: {type(e).__name__}: {e}"
        seconds = time.perf_counter() - t0
        if res is None:
            skipped[m] = failure
            rows.append(_row(m, None, None, None, "", seconds, [failure], "", "failed"))
            continue
        results[m] = res
        ci = res.confidence_interval
        rows.append(_row(m, res.nhat, ci.low, ci.high, ci.method, seconds, list(res.warnings), res.model,
                         res.status))
        row = rows[-1]
        if np.isfinite(row["lower"]) and row["lower"] < h.n_observed:
            # N cannot be below the persons registered (see estimation.truncate_at_observed)
            row["warnings"] = " | ".join(w for w in (row["warnings"], (
                f"lower limit {row['lower']:,.0f} is below the {h.n_observed:,} persons observed: set to "
                f"{h.n_observed:,}")) if w)
            row["lower"] = float(h.n_observed)
    return Comparison(results=results, table=pd.DataFrame(rows), n_observed=h.n_observed, skipped=skipped)

