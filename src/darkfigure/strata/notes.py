"""What an ``estimate_strata`` run says beside its numbers: what the intervals carry about the model, and a summary
of the per-stratum warnings for the terminal and ``strata.json``."""

from __future__ import annotations

import pandas as pd

__all__ = ["stratum_warning_summary"]


def _interval_note(method: str, msettings: dict, model: str | None, model_search: dict | None, M: int) -> str | None:
    """What the log-linear intervals carry about the model (``settings["interval_note"]``, ``totals.csv``'s
    ``interval``, the terminal); None for LCMCR (a posterior over the latent classes, no model choice).

    A parametric bootstrap of a chosen or given model is conditional on it: the uncertainty of the
    choice is not in the interval (tester report 8, F6); the model-averaged bootstrap repeats each
    stratum's search in every replicate (Buckland, Burnham & Augustin 1997) and includes it.
    """
    if method != "loglinear":
        return None
    if model_search is not None:
        from .pooled import CONDITIONAL_NOTE

        return CONDITIONAL_NOTE + ("; with replicates of the data the model is chosen on each, and the combined "
                                   "interval includes the variation of the choice between them" if M > 1 else "")
    if model:
        return f"conditional on the given model ({model}): the uncertainty of the model is not in the intervals"
    if msettings.get("search") == "none":
        return "conditional on the main-effects model (--search none): the uncertainty of the model is not in them"
    if msettings.get("ci") == "averaged":
        return ("model-averaged: each stratum's interval repeats its model search in every bootstrap replicate, "
                "so the uncertainty of the choice is in the intervals")
    return ("conditional on each stratum's chosen model (--ci parametric): the uncertainty of choosing it is not in "
            "the intervals")


#: kinds of per-stratum warnings summarised for the terminal and strata.json: (pattern, plain name)
_STRATUM_WARNING_KINDS = (
    ("registered nobody in this stratum", "list(s) left out (registered nobody there)"),
    ("goodness of fit", "model does not fit (goodness of fit)"),
    ("Chao's lower bound", "N̂ below Chao's lower bound"),
    ("heterogeneity:", "heterogeneity flagged"),
    ("residuals by number of lists", "residuals by number of lists"),
)


def stratum_warning_summary(table: pd.DataFrame, by: list[str], *, shown: int = 3) -> str | None:
    """One warning summarising the per-stratum warnings of ``strata.csv`` (tester report 6, M4).

    The model checks a stratum flags and the lists left out of its fit are in that stratum's
    ``warnings`` cell (entries joined by " | "); this counts the strata by kind of warning and
    names the first `shown` of each, so that the terminal and ``strata.json`` say them too.
    Entries ``model: ...`` (the stratum's chosen model) are information, not warnings.

    Parameters
    ----------
    table : DataFrame
        The per-stratum table (the `by` columns and ``warnings``), one row per stratum.
    by : list of str
        The stratifying columns (they name a stratum, e.g. ``2017/male``).

    Returns
    -------
    str or None
        None when no stratum carries a warning.
    """
    if "warnings" not in table.columns or not len(table):
        return None
    hits: dict[str, list[str]] = {}
    flagged = 0
    for _, row in table.iterrows():
        parts = [p.strip() for p in str(row["warnings"] or "").split(" | ")]
        parts = [p for p in parts if p and p != "nan" and not p.startswith("model:")]
        if not parts:
            continue
        flagged += 1
        name = "/".join(str(row[c]) for c in by)
        for p in parts:
            kind = next((k for pat, k in _STRATUM_WARNING_KINDS if pat in p), "other warnings")
            names = hits.setdefault(kind, [])
            if name not in names:
                names.append(name)
    if not flagged:
        return None
    order = [k for _, k in _STRATUM_WARNING_KINDS] + ["other warnings"]
    said = "; ".join(f"{k}: {len(hits[k]):,} ({', '.join(hits[k][:shown])}{', ...' if len(hits[k]) > shown else ''})"
                     for k in order if k in hits)
    return (f"{flagged:,} of {len(table):,} strata carry warnings ({'/'.join(by)}): {said}. Each stratum's "
            "warnings are in strata.csv, column warnings")
