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

__all__ = ["sensitivity_scope"]


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
