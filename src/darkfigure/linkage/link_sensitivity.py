"""Helpers of :func:`darkfigure.linkage.link.link` moved out of it (re-exported there): N̂ across match thresholds
(``--sensitivity``) with what it is fitted on, and the note on covariates compared as evidence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..histories import DataError
from .persons import _assemble
from .quality import pairwise_quality
from .splink_model import covariate_disagreement

__all__ = ["sensitivity_scope", "threshold_sentence"]


def _evidence_note(prep: pd.DataFrame, names: list[str]) -> list[str]:
    """A note with the estimated m of disagreement of each covariate compared as evidence."""
    if not names:
        return []
    est = covariate_disagreement(prep)
    return ["m of disagreement among true matches, from pairs agreeing on name and date of birth: " + ", ".join(
        f"{n} {est[f'ev{i}'][0]:.3f} ({est[f'ev{i}'][1]} pairs)" for i, n in enumerate(names))]


def sensitivity_scope(kept: Sequence[str], summed: Sequence[str]) -> str:
    """What the N̂ of the threshold sensitivity table is fitted on, for its ``scope`` column and captions.

    `kept`: covariates in the model (``estimate_options={"covariates": [...]}``); `summed`: those
    summed over. The table's N̂ is for the shape across thresholds: ``darkfigure estimate LINKFOLDER``
    with its covariates (and ``--missing em``) gives the figure, which may differ.
    """
    what = ("lists only" if not kept else "lists and " + ", ".join(kept)) + (
        f" ({', '.join(summed)} summed over)" if summed else "")
    return f"{what}; for the shape across thresholds, not a figure: darkfigure estimate LINKFOLDER gives the figure"


def _sensitivity(df, clusters, thresholds, orgs, covs, rule, truth, options, seed) -> pd.DataFrame:
    from ..estimation import estimate

    opts = {"search": "cruyff", "ci": "parametric", "reps": 200, "seed": seed, "n_jobs": 1}
    opts.update(options or {})
    keep = list(opts.pop("covariates", []) or [])
    rows = []
    for t in thresholds:
        links, persons, h, _ = _assemble(df, clusters[t], orgs, covs, rule)
        row: dict[str, Any] = {"threshold": t, "persons": int(persons.shape[0])}
        kept = [c for c in keep if c in h.covariates]
        summed = [c for c in h.covariates if c not in kept]
        try:
            hk = h.collapse(kept)
            e = estimate(hk, **({"missing": "em"} if hk.n_incomplete else {}) | opts)
            row.update(nhat=float(e.nhat), lower=float(e.lower), upper=float(e.upper), model=e.fit.model.label())
        except DataError as err:
            row.update(nhat=np.nan, lower=np.nan, upper=np.nan, model=f"no estimate: {err}")
        # which model this is (tester 8, F9): not the one `estimate LINKFOLDER` fits with its covariates
        row["scope"] = sensitivity_scope(kept, summed)
        if truth is not None:
            q = pairwise_quality(df[truth].astype(str), links["person_id"])
            row.update(precision=q["precision"], recall=q["recall"], f1=q["f1"])
        rows.append(row)
    return pd.DataFrame(rows)


def threshold_sentence(table: pd.DataFrame, threshold: float) -> str | None:
    """One sentence on how far N̂ moves across the thresholds of ``--sensitivity`` (tester 20a, L3: a table alone).

    Parameters
    ----------
    table : DataFrame with ``threshold, nhat, lower, upper`` (the sensitivity table, one row per threshold).
    threshold : float: the match threshold the linkage used.

    Returns
    -------
    str, or None with fewer than two thresholds. When N̂ at another threshold lies outside the interval at the
    threshold used, the sentence says that the linkage, not sampling, decides the figure (the tutorial's rule: "if
    it moves more than its interval, the linkage decides"); only when every threshold has a finite N̂ inside that
    interval does it say the threshold matters less than sampling. Thresholds without a finite N̂ are named.
    """
    if len(table) < 2:
        return None
    nhat = pd.to_numeric(table["nhat"], errors="coerce").to_numpy(float)
    thr = table["threshold"].astype(float).to_numpy()
    ok = np.isfinite(nhat)
    none = ("; no finite N̂ at threshold " + ", ".join(f"{x:g}" for x in thr[~ok])) if (~ok).any() else ""
    at = np.flatnonzero(np.isclose(thr, float(threshold)))
    if ok.sum() == 0:
        return f"No threshold tried gives a finite N̂ ({', '.join(f'{x:g}' for x in thr)}): the linkage cannot say."
    lo, hi = int(np.nanargmin(np.where(ok, nhat, np.nan))), int(np.nanargmax(np.where(ok, nhat, np.nan)))
    moves = (f"N̂ stays at {nhat[lo]:,.0f} at every threshold with a finite N̂" if round(nhat[lo]) == round(nhat[hi])
             else f"N̂ moves from {nhat[lo]:,.0f} (threshold {thr[lo]:g}) to {nhat[hi]:,.0f} (threshold {thr[hi]:g})")
    check = (": the linkage, not sampling, decides the figure. Check a sample of the pairs near the threshold and "
             "link's warnings before publishing, and estimate from the link folder, whose interval carries the "
             "linkage's uncertainty.")
    if not at.size:
        return f"{moves}{none}, and the threshold used ({threshold:g}) is not among those tried."
    a = float(pd.to_numeric(table["lower"], errors="coerce").iloc[at[0]])
    b = float(pd.to_numeric(table["upper"], errors="coerce").iloc[at[0]])
    if not ok[at[0]] or np.isnan(a) or np.isnan(b):
        return f"{moves}{none}; at the threshold used ({threshold:g}) there is no interval to compare with."
    used = f"the interval at the threshold used ({threshold:g}: {a:,.0f}–{b:,.0f})"
    if a <= nhat[lo] and nhat[hi] <= b:
        if none:
            return f"{moves}, within {used}{none}{check}"
        return f"{moves}, within {used}: the choice of threshold matters less than sampling here."
    return f"{moves}, outside {used}{none}{check}"
