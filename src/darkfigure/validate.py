"""Internal-consistency validation of MSE methods (Binette & Steorts 2022, JRSS A 185:1116-1141).

For each list L: keep only the persons L registered, drop L, and estimate |L| from
the other lists as if L's population were unknown. The persons on L whom no other
list saw play the part of the dark figure, and their number is known. A method
that recovers |L| (log(N̂/|L|) near 0, interval covering |L|) for every list earns
some trust; one that misses badly shows its assumptions fail on these data.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .comparison import compare
from .histories import CaptureHistories, DataError
from .io import read_histories
from .pipeline.first_year import first_year_notes, for_link_output

__all__ = ["validate", "holdout_histories"]


def holdout_histories(histories: CaptureHistories, held_out: str) -> CaptureHistories:
    """The persons on list `held_out`, seen through the other lists only.

    Parameters
    ----------
    histories : CaptureHistories
    held_out : str
        The list whose population is to be re-estimated.

    Returns
    -------
    CaptureHistories
        k - 1 lists; persons on `held_out` whom no other list saw are left out
        (they are the known "dark figure").

    Raises
    ------
    DataError
        Unknown list, fewer than 3 lists, or no person on `held_out` seen by another list.
    """
    if held_out not in histories.lists:
        raise DataError(f"unknown list {held_out!r}; lists are {list(histories.lists)}")
    if histories.k < 3:
        raise DataError("validation needs at least 3 lists (2 remain when one is held out)")
    t = histories.table
    if histories.incomplete is not None:  # persons with unknown covariate values stay (for the EM)
        t = pd.concat([t, histories.incomplete], ignore_index=True)
    t = t[t[held_out] == 1].drop(columns=[held_out])
    rest = [c for c in histories.lists if c != held_out]
    t = t[t[rest].sum(axis=1) > 0]
    if t["count"].sum() == 0:
        raise DataError(f"no person on list {held_out!r} was seen by another list: nothing to validate")
    t = t.copy()
    for c in histories.covariates:
        t[c] = t[c].astype(object)
    return CaptureHistories.from_table(
        t, lists=rest, covariates=list(histories.covariates), name=f"{histories.name} [{held_out} held out]",
        on_empty_list="drop", missing="keep" if histories.incomplete is not None else "error",
    )


def validate(
    data: CaptureHistories | pd.DataFrame | str | Path,
    methods: Sequence[str] | None = None,
    *,
    seed: int | None = None,
    reps: int = 1000,
    **compare_options,
) -> pd.DataFrame:
    """Re-estimate each list's size from the other lists with each method.

    Parameters
    ----------
    data : CaptureHistories, DataFrame, path or bundled dataset name
        At least 3 lists.
    methods : sequence of str, optional
        As :func:`darkfigure.comparison.compare` (default: all that apply).
    seed, reps
        As :func:`darkfigure.comparison.compare`.
    **compare_options
        ``model``, ``year``, ``year_degree`` (and ``progress``) as :func:`darkfigure.comparison.compare`.

    Returns
    -------
    DataFrame with columns ``list, size, method, nhat, lower, upper, log_ratio, covered,
    warnings``: ``size`` is |L|, ``log_ratio`` = log(N̂ / |L|), ``covered`` whether the
    interval contains |L| (empty when there is no interval). The histories.csv of a ``darkfigure link``
    output is read without link's ``year`` unless ``year`` names it, as compare reads it, and
    ``attrs["notes"]`` says which.

    Raises
    ------
    DataError
        Fewer than 3 lists.
    """
    h = data if isinstance(data, CaptureHistories) else for_link_output(  # link's year: asked for only (s24)
        read_histories(data), data, None, compare_options.get("year"))
    if h.k < 3:
        raise DataError("validation needs at least 3 lists (2 remain when one is held out)")
    sizes = h.list_sizes()
    rows = []
    for name in h.lists:
        try:
            sub = holdout_histories(h, name)
        except DataError as e:
            rows.append({"list": name, "size": int(sizes[name]), "method": "", "warnings": str(e)})
            continue
        table = compare(sub, methods, seed=seed, reps=reps, **compare_options)
        size = int(sizes[name])
        for _, r in table.iterrows():
            nh = r["nhat"]
            covered = None
            if np.isfinite(r["lower"]) and not np.isnan(r["upper"]):
                covered = bool(r["lower"] <= size <= r["upper"])
            rows.append(
                {
                    "list": name,
                    "size": size,
                    "method": r["method"],
                    "nhat": nh,
                    "lower": r["lower"],
                    "upper": r["upper"],
                    "log_ratio": float(np.log(nh / size)) if np.isfinite(nh) and nh > 0 else np.nan,
                    "covered": covered,
                    "warnings": r["warnings"],
                }
            )
    out = pd.DataFrame(rows, columns=["list", "size", "method", "nhat", "lower", "upper", "log_ratio", "covered",
                                      "warnings"])
    if said := first_year_notes(h.notes):  # what link's year is, as estimate says it
        out.attrs["notes"] = said
    return out
