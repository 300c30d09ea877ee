"""m of the gross date-of-birth levels estimated from the register (darkfigure.linkage.dob_gross)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.dob_gross import GROSS_MAX, _latent_class, dob_gross_error


def _register(seed: int, gross: float, persons: int = 5000, names: int = 400, linked_gaps: bool = True) -> pd.DataFrame:
    """Persons with 1-3 registrations within 120 days of each other (or at any time when not `linked_gaps`);
    names drawn from `names` first names x 30 surnames (namesakes); a share `gross` of registrations carries a date
    of birth 3-15 years off (the "else" level)."""
    rng = np.random.default_rng(seed)
    fn, sn = rng.integers(0, names, persons), rng.integers(0, 30, persons)
    born = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, persons), unit="D")
    case = rng.integers(0, 4 * 365, persons)
    rows = []
    for i in range(persons):
        for _ in range(rng.integers(1, 4)):
            d = born[i]
            if rng.random() < gross:
                d = d + pd.Timedelta(days=int(rng.choice([-1, 1]) * rng.integers(3, 16) * 365))
            day = case[i] + rng.integers(0, 120) if linked_gaps else rng.integers(0, 4 * 365)
            rows.append((f"f{fn[i]}", f"s{sn[i]}", d.strftime("%Y-%m-%d"), int(day)))
    p = pd.DataFrame(rows, columns=["fn", "sn", "dob", "reg_day"])
    p["reg_day"] = p["reg_day"].astype("Int64")
    return p


def test_gross_errors_are_estimated_where_the_register_has_them():
    # each registration 5% wrong: a pair of one person's registrations 2 x 5% x 95% + 0.25% = 9.75% in "else"
    m_sy, m_else, note = dob_gross_error(_register(1, 0.05), floor=0.003)
    assert "estimated" in note
    assert m_sy == pytest.approx(0.003)  # no error lands in "same year" here
    # the one-sided lower bound: below the truth, well above the floor
    assert 0.07 < m_else <= 0.0975 + 0.005


def test_no_gross_errors_leave_the_floor():
    m_sy, m_else, note = dob_gross_error(_register(2, 0.0), floor=0.003)
    assert (m_sy, m_else) == pytest.approx((0.003, 0.003))
    assert "estimated" in note


def test_registration_gaps_that_tell_nothing_leave_the_floor():
    m_sy, m_else, note = dob_gross_error(_register(3, 0.05, linked_gaps=False), floor=0.003)
    assert (m_sy, m_else) == pytest.approx((0.003, 0.003))
    assert "not identified" in note


def test_missing_columns_and_bad_floor():
    assert dob_gross_error(pd.DataFrame({"fn": ["a"], "sn": ["b"], "dob": ["1990-01-01"]}), 0.003)[2].startswith(
        "not estimated")
    with pytest.raises(ValueError, match="floor"):
        dob_gross_error(_register(4, 0.0, persons=50), floor=0.0)
    with pytest.raises(ValueError, match="floor"):
        dob_gross_error(_register(4, 0.0, persons=50), floor=GROSS_MAX * 2)


def test_latent_class_recovers_a_known_mixture():
    u_d, u_g = np.array([0.001, 0.02, 0.03, 0.949]), np.array([0.05, 0.1, 0.15, 0.3, 0.3, 0.1])
    m_d, m_g = np.array([0.85, 0.1, 0.01, 0.04]), np.array([0.4, 0.3, 0.2, 0.1, 0.0, 0.0])
    pi = 0.4
    n = 1e6 * (pi * np.outer(m_d, m_g) + (1 - pi) * np.outer(u_d, u_g))
    got_pi, got_d, got_g = _latent_class(n, u_d, u_g)
    assert float(got_pi) == pytest.approx(pi, abs=1e-3)
    assert got_d == pytest.approx(m_d, abs=1e-3)
    assert got_g == pytest.approx(m_g, abs=1e-3)
