"""Date-masked calibration of match probabilities for pseudonymised (Bloom-filter) registrations.

The plaintext linkage corrects the match probabilities of pairs where a date of birth
is missing by learning, on the register's dated pairs with their dates hidden, how
often a given name-and-covariate evidence belongs to one person
(:func:`darkfigure.linkage.clustering.calibrate_masked`). It needs each pair's
date-of-birth Bayes factor, which it recomputes from the plaintext dates. Here the same
factor is recomputed from the keyed date tokens of encoding version 2
(:mod:`darkfigure.linkage.pseudonymise`): a pair's level of the pseudonymised
date-of-birth comparison (``splink_model._pseudo_settings``: exact, day/month swapped,
year off by 1-2, day off by 1-2, month off by 1, same year, else) follows from which
tokens are equal, so no date is needed in clear.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._dob_evidence import level_log_bf
from .clustering import apply_masked_calibration, calibrate
from .registrations import DOB_PART_COLUMNS

__all__ = ["PSEUDO_CALIBRATION_SHIFT", "PSEUDO_DOB_LEVELS", "calibrate_masked_pseudonymised", "pseudonymised_date_log_bf"]

#: logit shifts of pseudonymised pairs (with both dates of birth, without): the plaintext shifts as they were
#: before sex and nationality were weighed by their agreement among namesakes. Pseudonymised files keep u from
#: random pairs, so their dated pairs stay over-confident; the plaintext refit (+1.95,
#: :data:`.clustering.CALIBRATION_SHIFT`) raised their odds 7-fold and cut Bloom precision (typos seed 11, before
#: the cluster split: 0.986 with this shift -> 0.963 with +1.95; benchmarks/linkage_quality_study.py).
PSEUDO_CALIBRATION_SHIFT = (-0.35, -0.70)

#: the levels of the pseudonymised date-of-birth comparison, in order, as (label, token columns: any equal)
PSEUDO_DOB_LEVELS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("exact", ("tok_date_of_birth",)),
    ("day/month swapped", ("tok_dob_swap",)),
    ("year off by 1-2", ("tok_dob_md_y0", "tok_dob_md_y1", "tok_dob_md_y2")),
    ("day off by 1-2", ("tok_dob_ym_d0", "tok_dob_ym_d1", "tok_dob_ym_d2")),
    ("month off by 1", ("tok_dob_yd_m0", "tok_dob_yd_m1")),
    ("same year", ("tok_birth_year",)),
)


def _codes(values: pd.Series) -> np.ndarray:
    """Integer codes of a token column, -1 where missing."""
    return pd.factorize(values.astype(object).where(values.notna(), None), use_na_sentinel=True)[0]


def pseudonymised_date_log_bf(left: np.ndarray, right: np.ndarray, prep: pd.DataFrame, model: dict,
                              tf_dob: np.ndarray | None = None) -> np.ndarray:
    """Natural log of the date-of-birth Bayes factor ``m/u`` of pairs of pseudonymised registrations.

    The pseudonymised counterpart of :func:`darkfigure.linkage.clustering.date_of_birth_log_bf`:
    the first level of :data:`PSEUDO_DOB_LEVELS` whose tokens agree (both present),
    otherwise the else level; ``log(m_k / u_k)`` from the fitted model, plus Splink's
    term-frequency adjustment ``log(u_exact) - log(max(tf_l, tf_r))`` on the exact level
    (Winkler 1989). A pair where a date is missing contributes 0 (Splink's null level).

    Parameters
    ----------
    left, right : int arrays, shape (m,)
        Record numbers (rows of `prep`) of the pairs.
    prep : DataFrame, shape (n, ...)
        Prepared pseudonymised registrations with ``tok_date_of_birth``, ``tok_birth_year``
        and the date-part tokens (:data:`darkfigure.linkage.registrations.DOB_PART_COLUMNS`).
    model : dict
        The linkage model (Splink's settings with m and u per level).
    tf_dob : float array, shape (n,), optional
        Term frequency of each record's date token.

    Returns
    -------
    float array, shape (m,)
        The log Bayes factors; nan where the model has no m or u for a pair's level.

    Raises
    ------
    KeyError
        `prep` lacks a token column of :data:`PSEUDO_DOB_LEVELS`.
    """
    a, b = np.asarray(left, np.int64), np.asarray(right, np.int64)
    out = np.full(a.size, np.nan)
    comp = next((c for c in model.get("comparisons", []) if c.get("output_column_name") == "date_of_birth"), None)
    if comp is None:
        return out
    lev = {c.get("label_for_charts"): c for c in comp["comparison_levels"]}
    dob = _codes(prep["tok_date_of_birth"])
    both = (dob[a] >= 0) & (dob[b] >= 0)
    level = np.full(a.size, len(PSEUDO_DOB_LEVELS), dtype=np.int64)  # the else level
    for k in range(len(PSEUDO_DOB_LEVELS) - 1, -1, -1):
        hit = np.zeros(a.size, dtype=bool)
        for col in PSEUDO_DOB_LEVELS[k][1]:
            c = _codes(prep[col])
            hit |= (c[a] == c[b]) & (c[a] >= 0)
        level[hit & both] = k
    labels = [*(lab for lab, _ in PSEUDO_DOB_LEVELS), None]
    return level_log_bf(comp, lev, labels, level, both, a, b, tf_dob, out)


def calibrate_masked_pseudonymised(left: np.ndarray, right: np.ndarray, probability: np.ndarray,
                                   has_dob: np.ndarray, prep: pd.DataFrame, model: dict,
                                   tf_dob: np.ndarray | None = None) -> tuple[np.ndarray, tuple[float, float]]:
    """Calibrated match probabilities of pseudonymised pairs (as :func:`.clustering.calibrate_masked`).

    Dated pairs get the fixed logit shift :data:`PSEUDO_CALIBRATION_SHIFT` (:func:`.clustering.calibrate`); the others
    ``expit(a + b logit p)`` with (a, b) from :func:`.clustering.masked_date_calibration`
    on the dated pairs with their date evidence (:func:`pseudonymised_date_log_bf`)
    removed; without the date-part tokens (files of encoding version 1) or too few
    qualifying pairs, the fixed shift for undated pairs.

    Parameters
    ----------
    left, right, probability : arrays, shape (m,)
        The scored pairs and their match probabilities.
    has_dob : bool array, shape (n,)
    prep : DataFrame, shape (n, ...)
        Prepared pseudonymised registrations (see :func:`pseudonymised_date_log_bf`).
    model : dict
    tf_dob : float array, shape (n,), optional

    Returns
    -------
    (probabilities, shape (m,); (a, b), nan when the fixed shift was used)
    """

    left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
    both = has_dob[left] & has_dob[right]
    q = calibrate(probability, both, PSEUDO_CALIBRATION_SHIFT)
    needed = {c for _, cols in PSEUDO_DOB_LEVELS for c in cols} | set(DOB_PART_COLUMNS)
    if not needed <= set(prep.columns):
        return q, (float("nan"), float("nan"))
    return apply_masked_calibration(probability, both, q,
                                    pseudonymised_date_log_bf(left[both], right[both], prep, model, tf_dob))
