"""The m of wholly different dates of birth raised where the registers show more of them among one name than
namesakes explain (moment matching on :func:`darkfigure.linkage.date_conflicts.conflict_counts`).

The Fellegi–Sunter model fixes the share of true matches whose dates of birth differ wholly (the "same year" and
"wholly different" levels) at :data:`~darkfigure.linkage.splink_model.DOB_GROSS_ERROR` (0.3%). The date check
counts the pairs of distinct identities with one first name, surname, sex and nationality at those levels
(``observed``) and the pairs namesakes would give (``expected``, independence of the name parts within sex ×
nationality). Where the excess is significant (:func:`~darkfigure.linkage.date_conflicts.significant`), about
``observed - expected`` of these identity pairs are one person under two dates. The model's m of those levels is
then raised by one factor k, applied to the match odds of every scored pair of dated registrations at those levels
(a change of a fixed m multiplies the Bayes factor, Fellegi & Sunter 1969), with k chosen so that the expected
number of matches among the same-name identity pairs — the largest match probability over each identity pair's
registration pairs — equals the excess (a method-of-moments calibration: the model is made to agree with a count
estimated without it). k is bounded by :data:`GROSS_M_MAX`. Where the excess is not significant nothing changes
(measured: observed / expected 0.93–0.97 on every synthetic setting without such errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .date_conflicts import _codes, _gross, conflict_counts

__all__ = ["GROSS_M_MAX", "recalibrate_gross_dates"]

#: the largest m of the gross date levels the calibration may reach (a fifth of all matches)
GROSS_M_MAX = 0.2


def _raise_odds(q: np.ndarray, k: float) -> np.ndarray:
    """Probabilities `q` with their odds multiplied by `k` (exact at q = 0 and q = 1)."""
    return k * q / (1.0 - q + k * q)


def recalibrate_gross_dates(
    prep: pd.DataFrame | None, edges: tuple[np.ndarray, np.ndarray, np.ndarray], notes: list[str], floor_m: float,
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], dict | None]:
    """Scored pairs with the m of the gross date levels raised where the register shows such errors.

    Parameters
    ----------
    prep : DataFrame or None
        Prepared plaintext registrations (``fn``, ``sn``, ``dob_day``, ``sex``/``nat`` where
        present), row i = registration i of `edges`; None for pseudonymised files (nothing done).
    edges : (l, r, q)
        Scored pairs: int arrays of registration indices and float array of match probabilities,
        each of shape (n_pairs,).
    notes : list of str
        The run's notes; a note is appended when the probabilities are changed (in place).
    floor_m : float
        The model's m of the gross date levels (the factor k is reported as m = k * floor_m).

    Returns
    -------
    (edges, counts) : the pairs with their probabilities changed (the same arrays when
    nothing changed), and :func:`~darkfigure.linkage.date_conflicts.conflict_counts` of `prep`
    with ``factor`` (k, 1.0 when unchanged) — None when `prep` is None.
    """
    if prep is None:
        return edges, None
    counts = conflict_counts(prep)
    counts["factor"] = 1.0
    if not counts["significant"]:
        return edges, counts
    a, b, q = edges
    day = pd.to_numeric(prep["dob_day"], errors="coerce").to_numpy(dtype=float)
    dated = np.isfinite(day[a]) & np.isfinite(day[b])
    gross = np.zeros(q.shape, dtype=bool)
    gross[dated] = _gross(day[a[dated]], day[b[dated]])
    if not gross.any():
        return edges, counts
    frame = pd.DataFrame({c: prep[c].to_numpy() if c in prep else np.zeros(len(prep)) for c in ("fn", "sn", "sex", "nat")})
    name = _codes(frame.fillna("\0"), ["fn", "sn", "sex", "nat"])
    ok = frame["fn"].notna().to_numpy() & frame["sn"].notna().to_numpy()
    same = gross & ok[a] & (name[a] == name[b])
    # one identity pair (name, two dates) counted once: the best of its registration pairs
    lo, hi = np.minimum(day[a[same]], day[b[same]]), np.maximum(day[a[same]], day[b[same]])
    best = pd.DataFrame({"n": name[a[same]], "lo": lo, "hi": hi, "q": q[same]}).groupby(["n", "lo", "hi"])["q"].max()
    qs = best.to_numpy(dtype=float)
    target = counts["observed"] - counts["expected"]
    k_max = GROSS_M_MAX / floor_m
    if qs.size == 0 or _raise_odds(qs, 1.0).sum() >= target:
        return edges, counts
    if _raise_odds(qs, k_max).sum() <= target:
        k = k_max
    else:
        lo_k, hi_k = 0.0, float(np.log(k_max))  # the sum rises with k: bisection on log k
        for _ in range(60):
            mid = 0.5 * (lo_k + hi_k)
            lo_k, hi_k = (mid, hi_k) if _raise_odds(qs, np.exp(mid)).sum() < target else (lo_k, mid)
        k = float(np.exp(0.5 * (lo_k + hi_k)))
    q = q.copy()
    q[gross] = _raise_odds(q[gross], k)
    counts["factor"] = k
    notes.append(f"m of dates of birth at the gross levels (same year, wholly different) raised from {floor_m:.1%} to "
                 f"{k * floor_m:.1%}: {counts['observed']:,} same-name pairs with such dates where namesakes would give "
                 f"about {counts['expected']:,.0f}; the excess taken as one person under two dates")
    return (a, b, q), counts
