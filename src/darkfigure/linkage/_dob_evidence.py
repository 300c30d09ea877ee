"""Date-of-birth evidence per comparison level: log(m/u) with Splink's term-frequency term.

Shared by the plaintext (:mod:`.clustering`) and the pseudonymised (:mod:`.bloom_calibration`)
date comparisons, which find each pair's level differently; :func:`date_of_birth_log_bf` (moved from
:mod:`.calibration`) finds the plaintext levels.
"""

from __future__ import annotations

import numpy as np

from .dob_levels import DOB_LEVELS, dob_levels


def level_log_bf(comp: dict, lev: dict, labels: list, level: np.ndarray, both: np.ndarray, a: np.ndarray,
                 b: np.ndarray, tf_dob: np.ndarray | None, out: np.ndarray) -> np.ndarray:
    """Log Bayes factor log(m/u) of each pair's date-of-birth comparison level, with Splink's term-frequency term.

    Shared by the plaintext and the pseudonymised date comparisons (their levels are found differently).

    Parameters
    ----------
    comp : dict
        The model's ``date_of_birth`` comparison (Splink settings, m and u per level).
    lev : dict
        Its levels by ``label_for_charts``.
    labels : list of str or None, length L + 1
        Label of level k (``level == k``); None for the ELSE level.
    level : int array, shape (m,)
    both : bool array, shape (m,)
        Both records of the pair have a date; others get 0.
    a, b : int arrays, shape (m,)
        Record numbers of the pairs (rows of `tf_dob`).
    tf_dob : float array, shape (n,), optional
        Term frequency of each record's date; the exact level is adjusted by log(u_exact / tf)
        (Splink's term-frequency adjustment, Fellegi-Sunter with value-specific u).
    out : float array, shape (m,)
        Filled in place (nan stays where the model has no m or u for a level) and returned.
    """
    u_exact = lev.get("exact", {}).get("u_probability")
    else_level = next((c for c in comp["comparison_levels"] if c.get("sql_condition", "").strip().upper() == "ELSE"
                       or c.get("label_for_charts") == "All other comparisons"), None)
    for k, label in enumerate(labels):
        c = lev.get(label) if label is not None else else_level
        m = both & (level == k)
        if c is None or not m.any() or c.get("m_probability") is None or c.get("u_probability") is None:
            continue
        out[m] = np.log(c["m_probability"] / c["u_probability"])
        if c.get("tf_adjustment_column") and tf_dob is not None and u_exact:
            tf = np.maximum(tf_dob[a[m]], tf_dob[b[m]])
            ok = np.isfinite(tf) & (tf > 0)
            out[np.flatnonzero(m)[ok]] += float(c.get("tf_adjustment_weight", 1.0)) * (np.log(u_exact) - np.log(tf[ok]))
    out[~both] = 0.0
    return out


_BF_CHUNK = 2_000_000


def date_of_birth_log_bf(left: np.ndarray, right: np.ndarray, dob: np.ndarray, model: dict,
                         tf_dob: np.ndarray | None = None, age: np.ndarray | None = None) -> np.ndarray:
    """Natural log of the date-of-birth Bayes factor ``m/u`` (with Splink's term-frequency adjustment) of pairs.

    Recomputes, for the scored pairs, the contribution of the plaintext date-of-birth
    comparison (levels of ``splink_model._plain_settings``, first level that applies) to
    the match weight: ``log(m_k / u_k)`` for level k, plus for the levels adjusted by the
    date's term frequency ``log(u_exact) - log(max(tf_l, tf_r))`` (Splink 4's
    ``_tf_adjustment_sql``; Winkler 1989). A pair where a date is missing contributes 0
    (Splink's null level).

    Parameters
    ----------
    left, right : int arrays, shape (m,): record numbers of the pairs.
    dob : object array, shape (n,): ISO dates of birth (``YYYY-MM-DD``, None when missing).
    model : dict: the linkage model (``LinkageResult.model``, Splink's settings with m and u).
    tf_dob : float array, shape (n,), optional: the term frequency of each record's date.
    age : bool array, shape (n,), optional: the record's date is derived from an age (:mod:`.age_dates`).

    Returns
    -------
    float array, shape (m,): the log Bayes factors (nan where the model has no m or u for the level).
    """
    if left.size > _BF_CHUNK:  # bounded memory: (pairs, 10) byte matrices per chunk
        return np.concatenate([date_of_birth_log_bf(left[i:i + _BF_CHUNK], right[i:i + _BF_CHUNK], dob, model, tf_dob,
                                                    age) for i in range(0, left.size, _BF_CHUNK)])
    comp = next((c for c in model.get("comparisons", []) if c.get("output_column_name") == "date_of_birth"), None)
    out = np.full(left.size, np.nan)
    if comp is None:
        return out
    lev = {c.get("label_for_charts"): c for c in comp["comparison_levels"]}
    a, b = np.asarray(left, np.int64), np.asarray(right, np.int64)
    level = dob_levels(a, b, dob, age=age)
    both = level >= 0
    return level_log_bf(comp, lev, [*DOB_LEVELS, None], level, both, a, b, tf_dob, out)
