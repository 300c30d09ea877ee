"""The m of wholly different dates of birth raised where the registers show more of them among one name than
namesakes explain (moment matching on :func:`darkfigure.linkage.date_conflicts.conflict_counts`).

The Fellegi–Sunter model fixes the share of true matches whose dates of birth differ wholly (the "same year" and
"wholly different" levels) at :data:`~darkfigure.linkage.splink_model.DOB_GROSS_ERROR` (0.3%). The date check
counts the pairs of distinct identities with one first name, surname, sex and nationality at those levels
(``observed``) and the pairs namesakes would give (``expected``, independence of the name parts within sex ×
nationality). Where the excess is significant (:func:`~darkfigure.linkage.date_conflicts.significant`), about
``observed - expected`` of these identity pairs are one person under two dates, and the share of such dates among
the matches of one name is estimated as ``m = excess / (linked + excess)``, with ``linked`` the pairs of dated
registrations of one name, sex and nationality that the model links (probability >= 0.5) with dates at the other
levels (a method-of-moments estimate: it needs no model, only the namesake expectation). The model's m of the
gross levels is then raised to m: the match odds of every scored pair of dated registrations at those levels are
multiplied by ``m / 0.3%`` (changing a fixed m multiplies the Bayes factor, Fellegi & Sunter 1969; date errors are
taken as independent of name errors, so the m learnt on pairs of one name applies to all). An m at or above
:data:`GROSS_M_MAX` is taken as implausible and not applied (``counts["m_refused"]``; link warns). Where the excess is not significant nothing changes (measured: observed / expected 0.93–0.97
on every synthetic setting without such errors, 1.17–1.20 on tester 12's generator).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .date_conflicts import _codes, _gross, conflict_counts

__all__ = ["GROSS_M_MAX", "recalibrate_gross_dates"]

#: the largest m of the gross date levels the calibration may apply (a fifth of all matches): an estimate at or above
#: it is implausible as date errors (the measured excesses of real date errors gave m of a few per cent) and is
#: not applied
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
        The model's m of each of the two gross date levels (together 2 floor_m; the factor k is
        m / (2 floor_m), both levels' m multiplied by it).

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
    # m = the share of true matches with one name whose dates are gross: the excess (identity pairs that are one
    # person under two dates) over the matches among one-name dated pairs (those linked, plus the excess)
    # the excess as a one-sided 90% lower bound (observed is a Poisson count), in registration pairs
    excess = max(counts["observed"] - counts["expected"] - 1.2816 * np.sqrt(counts["observed"]), 0.0)
    excess *= counts.get("registration_pairs_per_pair", 1.0)
    linked = int((ok[a] & (name[a] == name[b]) & dated & (q >= 0.5) & ~gross).sum())
    m = excess / (linked + excess) if linked + excess > 0 else 0.0
    # floor_m is the m of each of the two gross levels: together 2 floor_m, which m replaces
    k = float(max(m / (2.0 * floor_m), 1.0))
    counts["m"] = m
    if m >= GROSS_M_MAX:
        # a fifth of all true matches under wholly different dates is not a register's date errors but a broken
        # expectation (names that do not mix, tester 14a M2: 0.6% -> 20% cost the other organisations' recall
        # 0.949 -> 0.911): not applied, said by model_checks
        counts["m_refused"] = m
        return edges, counts
    if k <= 1.0:
        return edges, counts
    q = q.copy()
    q[gross] = _raise_odds(q[gross], k)
    counts["factor"] = k
    notes.append(f"m of dates of birth at the gross levels (same year and wholly different together) raised from "
                 f"{2 * floor_m:.1%} to {2 * k * floor_m:.1%}: {counts['observed']:,} pairs of one name with such dates where namesakes would give about "
                 f"{counts['expected']:,.0f}; the excess taken as one person under two dates, against {linked:,} "
                 f"linked pairs of one name with dates at the other levels")
    return (a, b, q), counts
