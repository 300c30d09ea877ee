"""Dated pairs compared whatever their dates say, to teach the date-masked calibration in large registers.

The date-masked calibration (:func:`darkfigure.linkage.calibration.calibrate_masked`) learns
how often a pair's evidence without a date of birth belongs to one person from the pairs
where both dates are known, their dates hidden. That works only for dated pairs that were
compared whatever their dates say: where the blocking chose a pair because its dates partly
agree (in a large register every rule that compares misspelt names or large groups of
namesakes joins on a part of the date), agreeing dates are over-represented among the
pairs and the fit learns from the blocking, not from the names (the misspelt names'
weights made every undated namesake with a typo a match: 200,000 registrations, precision
0.960 -> 0.936, ``splink_model.misspelt_names_blocked``). So in a large register a random
sample of the registrations (:data:`TEACH_SHARE`, seed :data:`TEACH_SEED`) is also compared
on the keys that compare an undated registration (one name exact and two letters of the
other, the Soundex codes of both names), dates ignored: those pairs (:func:`taught_pairs`),
and the pairs of a first name + surname carried by few registrations (compared whole by the
rule on the pair of names), teach a second curve, with the name-frequency features on, that
replaces the first for the undated pairs with misspelt names only (:func:`masked_misspelt`).
For exact names the first curve (fitted on all dated pairs) stays: at 1M registrations the
second one cost the undated pairs among 3-20 namesake persons a third of their recall.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: share of the registrations in the teaching sample (pairs: its square, about 6%)
TEACH_SHARE = 0.25
#: seed of the teaching sample (a registration's membership depends on its row number only)
TEACH_SEED = 20261206
#: column of the prepared registrations: 1 for the teaching sample, null otherwise
TEACH_COLUMN = "smp"
#: key pairs of the teaching rules (each also joins on TEACH_COLUMN): as the rules for a missing date of birth
TEACH_KEYS = ((("sn", "sn"), ("fn_p2", "fn_p2")), (("fn", "fn"), ("sn_p2", "sn_p2")),
              (("fn_sx", "fn_sx"), ("sn_sx", "sn_sx")))


def teach_sample(n: int, share: float = TEACH_SHARE, seed: int = TEACH_SEED) -> pd.arrays.IntegerArray:
    """Membership of the teaching sample: 1 for about `share` of `n` registrations, null (pd.NA) for the rest.

    Raises ValueError when `share` is not in (0, 1].
    """
    if not 0 < share <= 1:
        raise ValueError(f"the teaching sample's share must be in (0, 1], not {share}")
    inside = np.random.default_rng(seed).random(n) < share
    return pd.arrays.IntegerArray(np.ones(n, np.int8), ~inside)


def teach_rules() -> list[str]:
    """Blocking rules (SQL) that compare the teaching sample's registrations on :data:`TEACH_KEYS`, dates ignored."""
    return [" and ".join([f"l.{TEACH_COLUMN} = r.{TEACH_COLUMN}"] + [f"l.{a} = r.{b}" for a, b in k])
            for k in TEACH_KEYS]


def taught_pairs(left: np.ndarray, right: np.ndarray, records: pd.DataFrame) -> np.ndarray | None:
    """Which pairs (left, right) a teaching rule joins (both in the sample and agreeing on one key of TEACH_KEYS).

    left, right : int arrays, shape (m,): record numbers; records : the prepared registrations.
    Returns a bool array of shape (m,), or None when `records` has no :data:`TEACH_COLUMN` (no teaching rules).
    """
    if TEACH_COLUMN not in records.columns:
        return None
    a, b = np.asarray(left, np.int64), np.asarray(right, np.int64)
    inside = records[TEACH_COLUMN].notna().to_numpy()
    out = inside[a] & inside[b]
    agree = np.zeros(a.size, bool)
    codes: dict[str, np.ndarray] = {}
    for k in TEACH_KEYS:
        hit = out.copy()
        for c, _ in k:
            if c not in codes:
                codes[c] = pd.factorize(records[c], use_na_sentinel=True)[0]
            x = codes[c]
            hit &= (x[a] >= 0) & (x[a] == x[b])
        agree |= hit
    return agree


def masked_misspelt(probability: np.ndarray, both: np.ndarray, q: np.ndarray, out: np.ndarray,
                    log_bf_fit: np.ndarray, left: np.ndarray, right: np.ndarray, records: pd.DataFrame) -> np.ndarray:
    """`out` with the undated pairs whose names are misspelt recalibrated on the pairs no date chose.

    Fits :func:`~darkfigure.linkage.calibration.apply_masked_calibration` with the name-frequency
    and registration features, learning only from the dated pairs whose ``log_bf_fit`` is finite
    (nan: chosen by their dates), and takes its probabilities for the undated pairs whose names
    are misspelt (column 0 of :func:`~darkfigure.linkage.calibration.name_frequency_features`).

    probability : float (m,), the model's; both : bool (m,), both records dated; q : float (m,), the dated pairs'
    calibrated probabilities; out : float (m,), the probabilities of the first curve; log_bf_fit : float
    (both.sum(),); left, right : int (m,); records : the prepared registrations (``fn``, ``sn``, ``reg_day``,
    ``org``, ``ev*``). Returns a float array (m,) (`out` itself when the curve cannot be fitted).
    """
    from .calibration import (
        _name_codes,
        _name_features,
        _registration_codes,
        _registration_features,
        apply_masked_calibration,
    )

    if not np.isfinite(log_bf_fit).any():
        return out
    names, reg = _name_codes(records["fn"], records["sn"]), _registration_codes(records)

    def z(idx: np.ndarray) -> np.ndarray:
        """Name-frequency and registration features of the pairs idx."""
        a, b = left[idx], right[idx]
        return np.column_stack([_name_features(a, b, names), _registration_features(a, b, reg)])

    q2, (a, _) = apply_masked_calibration(probability, both, q, log_bf_fit, z, order=np.minimum(left, right)
                                          * (len(records) + 1) + np.maximum(left, right))
    if not np.isfinite(a):
        return out
    undated = np.flatnonzero(~both)
    step = 2_000_000  # bounded memory: (chunk, 6) features
    mis = np.concatenate([_name_features(left[undated[i:i + step]], right[undated[i:i + step]], names)[:, 0] > 0
                          for i in range(0, undated.size, step)] or [np.zeros(0, bool)])
    out = np.array(out, float, copy=True)
    out[undated[mis]] = q2[undated[mis]]
    return out
