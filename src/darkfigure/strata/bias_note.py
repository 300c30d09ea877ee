"""The strata total's bias correction said where it is read: ``print(result)`` and the warnings (tester 13b, M8).

With ``total_bias="correct"`` (the default) the total over strata is the plain sum of the strata's N̂ minus the
parametric bootstrap's estimate of their summed small-sample bias (:func:`darkfigure.strata.estimate_strata`).
On ``cruyff_simdat`` by year that moved the total from 4,368 to 3,488 (-20%) and pushed the lower limit down to
the number observed; the command line said it in a line, ``print(dfg.estimate_strata(...))`` and the warnings
did not. :func:`bias_line` gives the line for ``print``; :func:`bias_warnings` a warning when the correction
exceeds :data:`LARGE_SHARE` of the plain sum or the lower limit is the number observed.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["LARGE_SHARE", "bias_line", "bias_warnings"]

#: a correction above this share of the plain sum is warned about
LARGE_SHARE = 0.10


def _correction(totals: pd.DataFrame, settings: dict) -> tuple[float, float, Any] | None:
    """``(bias, plain sum, total row)`` when the overall total was bias-corrected by a finite amount, else None."""
    if settings.get("total_bias") != "correct" or not len(totals) or "bootstrap_bias" not in totals.columns:
        return None
    t = totals.iloc[0]
    bias, plain = float(t.get("bootstrap_bias", math.nan)), float(t.get("nhat_uncorrected", math.nan))
    if not (math.isfinite(bias) and math.isfinite(plain)) or bias == 0 or not math.isfinite(float(t["nhat"])):
        return None
    return bias, plain, t


def bias_line(totals: pd.DataFrame, settings: dict) -> str:
    """The line ``print(strata_result)`` adds under the total: the correction, its share, how to get the plain sum.

    ``""`` when the total was not bias-corrected (``total_bias="report"``, LCMCR, no estimate).
    """
    c = _correction(totals, settings)
    if c is None:
        return ""
    bias, plain, _ = c
    return (f"\n  total bias-corrected by {-bias:+,.0f} ({abs(bias) / plain:.0%} of the plain sum of the strata's N̂, "
            f"{plain:,.0f}; the parametric bootstrap's summed small-sample bias); total_bias='report' "
            "(--total-bias report) gives the plain sum")


def bias_warnings(totals: pd.DataFrame, settings: dict, table: pd.DataFrame) -> list[str]:
    """A warning when the total's correction is large (above :data:`LARGE_SHARE` of the plain sum) or its lower
    limit is the number observed (the corrected draws fell below it); ``[]`` otherwise.

    Parameters
    ----------
    totals, settings : the StrataResult's
    table : DataFrame
        The strata's rows (``draws_unbounded``: bootstrap replicates without a finite N̂, named when any).
    """
    c = _correction(totals, settings)
    if c is None:
        return []
    bias, plain, t = c
    large = abs(bias) > LARGE_SHARE * plain
    floor = math.isfinite(float(t["lower"])) and float(t["lower"]) <= float(t["observed"]) + 0.5
    if not (large or floor):
        return []
    unbounded = int(pd.to_numeric(table.get("draws_unbounded", pd.Series(dtype=float)), errors="coerce").fillna(0).sum())
    said = [f"{abs(bias) / plain:.0%} of the plain sum of the strata's N̂ ({plain:,.0f})"] if large else []
    if floor:
        said.append(f"its lower limit is the number observed ({float(t['observed']):,.0f})")
    why = (f"; {unbounded:,} bootstrap replicate(s) of the strata had no finite N̂" if unbounded else "")
    return [f"the total N̂ {float(t['nhat']):,.0f} is bias-corrected by {-bias:+,.0f}: "
            f"{' and '.join(said)}{why}. The bootstrap's bias estimate is this large when strata are small or "
            "poorly bounded; compare with total_bias='report' (--total-bias report: the plain sum) before publishing"]
