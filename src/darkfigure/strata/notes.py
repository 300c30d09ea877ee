"""What an ``estimate_strata`` run says beside its numbers: what the intervals carry about the model, and a summary
of the per-stratum warnings for the terminal and ``strata.json``."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["stratum_warning_summary", "unbounded_total_warnings"]


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
    # first: such a stratum enters the totals at its observed count with no uncertainty (tester 9, F15)
    ("claims nobody there was missed", "N̂ = observed: the model claims nobody was missed, which the data cannot "
     "support (zero-width interval; in the totals at the observed count, adding no uncertainty)"),
    ("registered nobody in this stratum", "list(s) left out (registered nobody there)"),
    ("goodness of fit", "model does not fit (goodness of fit)"),
    ("Chao's lower bound", "N̂ below Chao's lower bound"),
    ("heterogeneity:", "heterogeneity flagged"),
    ("residuals by number of lists", "residuals by number of lists"),
    ("had no finite N̂", "bootstrap replicates without a finite N̂ (counted as ∞)"),
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


def _names(left: list[dict], shown: int) -> str:
    """``name (observed n), ...`` of the first `shown` left-out strata."""
    out = ", ".join(f"{x['stratum']} ({x['observed']:,.0f} observed)" for x in left[:shown])
    return out + (f", and {len(left) - shown:,} more" if len(left) > shown else "")


def unbounded_total_warnings(unbounded: list[dict], level: float, *, shown: int = 5) -> list[str]:
    """Warnings for totals whose interval has no finite upper end (bootstrap replicates without a finite N̂).

    Parameters
    ----------
    unbounded : list of dict
        One per total with an infinite upper end, as ``estimate_strata`` collects them: ``group``,
        ``level``, ``nhat``, ``lower``, ``strata`` and :func:`~darkfigure.strata.combining.bounded_subtotal`'s keys.
    level : float
        The intervals' level.

    Returns
    -------
    list of str
        For the overall total: that it has no finite upper end (publish at least the lower limit), and
        the total over the strata with bounded intervals, naming the strata left out with their observed
        counts; for the totals by a ``by`` column: how many have no finite upper end, named.
    """
    out = []
    for u in unbounded:
        if u["group"] != "total":
            continue
        left = u["left_out"]
        own = sum(x["interval_unbounded"] for x in left)
        why = (f"{own:,} estimated {'stratum has' if own == 1 else 'strata have'} so many bootstrap replicates "
               f"without a finite N̂ that {'its own upper limit is' if own == 1 else 'their own upper limits are'} "
               "unbounded" if own else
               "bootstrap replicates without a finite N̂ in several strata add up")
        if u["strata_bounded"] and np.isfinite(u["upper_bounded"]):
            sub = (f"over the {u['strata_bounded']:,} strata with bounded intervals the total is N̂ = "
                   f"{u['nhat_bounded']:,.0f} ({level:.0%} interval {u['lower_bounded']:,.0f} – "
                   f"{u['upper_bounded']:,.0f}), leaving out {len(left):,} "
                   f"{'stratum' if len(left) == 1 else 'strata'} with {u['observed_unbounded']:,.0f} persons observed: ")
        else:
            sub = "no stratum has a bounded interval, so there is no bounded total; the strata: "
        out.append(f"the total's {level:.0%} interval has no finite upper end (unbounded): {why}. Publish at most a "
                   f"lower limit: N̂ = {u['nhat']:,.0f}, at least {u['lower']:,.0f}. Beside it, {sub}"
                   f"{_names(left, shown)} (totals.csv: nhat_bounded, lower_bounded, upper_bounded; strata.json: "
                   "unbounded_totals)")
    groups = [u for u in unbounded if u["group"] != "total"]
    if groups:
        named = ", ".join(f"{u['group']}={u['level']}" for u in groups[:shown])
        more = f", and {len(groups) - shown:,} more" if len(groups) > shown else ""
        out.append(f"{len(groups):,} total(s) by a --by column have no finite upper end ({named}{more}): beside "
                   "each, totals.csv gives the total over its strata with bounded intervals (nhat_bounded, "
                   "lower_bounded, upper_bounded; strata_unbounded and observed_unbounded count those left out)")
    return out


def table_warnings(table: pd.DataFrame, method: str, model, msettings: dict, min_observed: int) -> list[str]:
    """The run's warnings read off the per-stratum table: strata not estimated, estimated strata that fit
    poorly, a model searched in each of many small strata (measured upward bias), LCMCR strata whose chains
    disagree or have too few effective draws.

    Parameters
    ----------
    table : DataFrame
        ``strata.csv``'s rows: ``status``, ``reason``, ``observed``, ``warnings``.
    method, model, msettings, min_observed
        The run's method, fixed model (or None), method settings and estimability rule's minimum.

    Returns
    -------
    list of str
    """
    from .planning import _SMALL_SEARCHED_STRATA, _SMALL_STRATUM

    warnings: list[str] = []
    n_est = int((table["status"] == "estimated").sum())
    n_not = len(table) - n_est
    if n_not:
        small = int(table["reason"].str.contains("person\\(s\\) observed").sum())
        warnings.append(f"{n_not:,} of {len(table):,} strata could not be estimated"
                        + (f" ({small:,} with fewer than {min_observed} persons)" if small else "")
                        + ": see their status and reason; the totals add the estimated strata only "
                        "(observed_left_out counts the persons left out)")
    poor = int((table["status"].eq("estimated") & table["warnings"].str.contains("poorly", regex=False)).sum())
    if poor:
        fixed = method == "loglinear" and (model or msettings.get("search") == "none")
        advice = ("search a model per stratum (--search auto, the default, or cruyff) or give --model with the "
                  "interactions the lists need" if fixed else
                  "their N̂ assume a model the data reject; see their warnings in strata.csv and compare "
                  "--method lcmcr")
        warnings.append(f"{poor:,} of {n_est:,} estimated strata fit the model poorly (deviance test p < 0.001): "
                        f"their N̂, and so the totals, may be far off; {advice}")
    searched = method == "loglinear" and not model and msettings.get("search") not in (None, "none", "pooled")
    est_obs = pd.to_numeric(table.loc[table["status"].eq("estimated"), "observed"], errors="coerce")
    if searched and n_est >= _SMALL_SEARCHED_STRATA and float(est_obs.median()) < _SMALL_STRATUM:
        # measured (benchmarks/strata_bias_study.py small --search auto): a search per small stratum adds terms that
        # raise N̂ more often than they lower it, and the bias adds up over the strata
        warnings.append(
            f"a model is searched in each of {n_est:,} small strata (median {est_obs.median():,.0f} persons observed): "
            "the totals may be biased upwards (in simulations with 100 strata of 30-150 persons and independent "
            "lists, +6% after the bias correction, the truth covered in 8 of 12); choose one model across the "
            "strata (--search pooled, which --search auto uses here unless --ci averaged is given), a fixed model "
            "(--search none or --model), or fewer, larger strata")
    if method == "lcmcr":
        est_w = table.loc[table["status"].eq("estimated"), "warnings"].astype(str)
        unconverged = int(est_w.str.contains("R-hat", regex=False).sum())
        few = int(est_w.str.contains("bulk ESS", regex=False).sum())
        if unconverged or few:
            parts = ([f"{unconverged:,} have chains that disagree (R-hat > 1.01)"] if unconverged else []) + (
                [f"{few:,} too few effective draws (bulk ESS < 400)"] if few else [])
            warnings.append(
                f"of {n_est:,} estimated strata, {' and '.join(parts)}: their N̂, and so the totals, are not "
                "reliable yet; run longer (--burnin, --samples, --thinning) before using them")
    return warnings
