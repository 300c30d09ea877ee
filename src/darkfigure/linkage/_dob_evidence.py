"""Date-of-birth evidence per comparison level: log(m/u) with Splink's term-frequency term.

Shared by the plaintext (:mod:`.clustering`) and the pseudonymised (:mod:`.bloom_calibration`)
date comparisons, which find each pair's level differently.
"""

from __future__ import annotations

import numpy as np


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
