"""Date-masked calibration for pseudonymised registrations: date levels from keyed tokens, as from plaintext dates."""

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage import pseudonymise
from darkfigure.linkage.bloom_calibration import (
    PSEUDO_CALIBRATION_SHIFT,
    PSEUDO_DOB_LEVELS,
    calibrate_masked_pseudonymised,
    pseudonymised_date_log_bf,
)
from darkfigure.linkage.clustering import date_of_birth_log_bf
from darkfigure.linkage.prepare import _prepare_pseudo

KEY = b"0123456789abcdef0123456789abcdef"
DATES = ["1990-05-12", "1990-05-12", "1990-12-05", "1991-05-12", "1990-05-14", "1990-06-12", "1990-11-30",
         "1975-02-02", "", "1900-01-01"]


def _prep(dates):
    n = len(dates)
    df = pd.DataFrame({"record_id": [str(i) for i in range(n)], "organisation": ["x"] * n,
                       "registration_date": ["2023-01-01"] * n, "first_name": ["Anna"] * n,
                       "surname": ["Visser"] * n, "date_of_birth": dates, "sex": ["F"] * n, "nationality": ["NL"] * n})
    return _prepare_pseudo(pseudonymise(df, KEY))[0]


def _model():
    """A model with distinct m/u per date level (labels as in splink_model._pseudo_settings)."""
    levels = [{"sql_condition": "tok_date_of_birth_l IS NULL", "is_null_level": True}]
    for k, (label, _) in enumerate(PSEUDO_DOB_LEVELS):
        levels.append({"label_for_charts": label, "m_probability": 0.5 / (k + 1), "u_probability": 0.001 * (k + 1)})
    levels.append({"sql_condition": "ELSE", "label_for_charts": "All other comparisons", "m_probability": 0.003,
                   "u_probability": 0.9})
    return {"comparisons": [{"output_column_name": "date_of_birth", "comparison_levels": levels}]}


def test_date_levels_from_tokens_agree_with_the_plaintext_rules():
    prep = _prep(DATES)
    model = _model()
    left = np.zeros(len(DATES) - 1, dtype=np.int64)
    right = np.arange(1, len(DATES), dtype=np.int64)
    got = pseudonymised_date_log_bf(left, right, prep, model)
    lev = model["comparisons"][0]["comparison_levels"]

    def w(i):
        return np.log(lev[i]["m_probability"] / lev[i]["u_probability"])

    # pairs with record 0 (1990-05-12): exact, day/month swap, year off by one, day off by two, month off by one,
    # same year, another year, missing, placeholder (= missing)
    expected = [w(1), w(2), w(3), w(4), w(5), w(6), w(7), 0.0, 0.0]
    assert got == pytest.approx(expected)
    # the plaintext function gives the same level for the same dates (same m/u by label), where it has no level
    # of its own ("one digit differs" catches 1991, the 14th and June first)
    plain_model = {"comparisons": [{"output_column_name": "date_of_birth", "comparison_levels": lev}]}
    dob = np.array([d if d and d >= "1905" else None for d in DATES], dtype=object)
    plain = date_of_birth_log_bf(left, right, dob, plain_model)
    same = [0, 1, 5, 6, 7, 8]
    assert plain[same] == pytest.approx(np.array(expected)[same])


def test_calibration_falls_back_to_the_fixed_shift_without_date_tokens():
    from scipy.special import expit, logit

    prep = _prep(DATES)
    has = prep["tok_date_of_birth"].notna().to_numpy()
    left, right = np.array([0, 0, 0]), np.array([1, 8, 9])
    p = np.array([0.9, 0.8, 0.7])
    q, (a, b) = calibrate_masked_pseudonymised(left, right, p, has, prep.drop(columns=["tok_dob_swap"]), _model())
    assert np.isnan(a) and np.isnan(b)
    shift = PSEUDO_CALIBRATION_SHIFT  # not the plaintext shift: no namesake u for pseudonymised files
    assert q == pytest.approx(expit(logit(p) + np.array([shift[0], *[shift[1]] * 2])))


def test_masked_calibration_learns_from_dated_pairs():
    # many dated pairs whose date evidence decided them: the undated pairs get the learnt (a, b), not the shift
    rng = np.random.default_rng(3)
    n = 400
    years = rng.integers(1960, 2005, n)
    dates = [f"{y}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}" for y in years]
    dates[-40:] = [""] * 40
    prep = _prep(dates)
    has = prep["tok_date_of_birth"].notna().to_numpy()
    left = rng.integers(0, n, 3000)
    right = rng.integers(0, n, 3000)
    keep = left != right
    left, right = left[keep], right[keep]
    p = rng.uniform(0.05, 0.95, left.size)
    q, (a, b) = calibrate_masked_pseudonymised(left, right, p, has, prep, _model())
    assert np.isfinite(a) and np.isfinite(b)
    undated = ~(has[left] & has[right])
    assert undated.any() and not np.allclose(q[undated], p[undated])
