"""The date-of-birth levels in NumPy and their m estimated from namesake pairs (darkfigure.linkage.dob_levels)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.dob_levels import DOB_LEVELS, dob_level_m, dob_levels


def test_dob_levels_follow_the_model_order():
    dob = np.array(["1990-05-17", "1990-05-17", "1990-05-18", "1990-17-05", "1991-05-17", "1990-05-20",
                    "1990-06-17", "1991-06-18", "1990-01-01", "1990-09-09", "1980-02-02", None], dtype=object)
    # an invalid month is fine here: only the parts are compared
    left = np.zeros(11, np.int64)
    right = np.arange(1, 12)
    got = dob_levels(left, right, dob)
    # 1990-05-17 / 1990-05-20: three days apart, a date a little off ("within 62 days")
    want = [DOB_LEVELS.index(x) for x in ("exact", "one digit differs", "day/month swapped", "one digit differs",
                                           "within 62 days", "one digit differs", "two parts off a little",
                                           "same year, one is 1 January", "same year")]
    assert got[:9].tolist() == want
    assert got[9] == len(DOB_LEVELS)  # else
    assert got[10] == -1  # a date missing: the null level
    assert dob_levels(np.array([8]), np.array([8]), dob)[0] == DOB_LEVELS.index("exact, 1 January")


def _register(seed: int, p_err: float, persons: int = 6000, names: int = 1500) -> pd.DataFrame:
    """Persons with 1-3 registrations, names drawn from `names` (namesakes), a day off in a share p_err."""
    rng = np.random.default_rng(seed)
    fn = rng.integers(0, names, persons)
    sn = rng.integers(0, 40, persons)
    born = pd.Timestamp("1970-01-01") + pd.to_timedelta(rng.integers(0, 40 * 365, persons), unit="D")
    rows = []
    for i in range(persons):
        for _ in range(rng.integers(1, 4)):
            d = born[i]
            if rng.random() < p_err:
                d = d.replace(day=d.day - 1 if d.day > 27 else d.day + 1)  # day off by one
            rows.append((f"f{fn[i]}", f"s{sn[i]}", d.strftime("%Y-%m-%d")))
    return pd.DataFrame(rows, columns=["fn", "sn", "dob"])


@pytest.mark.parametrize("p_err", [0.05, 0.2])
def test_dob_level_m_recovers_the_share_of_exact_dates(p_err):
    p = _register(3, p_err)
    m = dob_level_m(p, 0.003, seed=1)
    # a pair of one person's registrations agrees exactly when neither or both got the (deterministic) error
    exact = m["exact"][0] + m["exact, 1 January"][0]
    assert exact == pytest.approx((1 - p_err) ** 2 + p_err**2, abs=0.03)
    assert m["exact"][0] < 0.99
    assert sum(v for v, _ in m.values()) == pytest.approx(1 - 0.003, abs=0.02)


def test_dob_level_m_empty_without_columns_or_namesakes():
    assert dob_level_m(pd.DataFrame({"fn": ["a"], "sn": ["b"]}), 0.003) == {}
    p = pd.DataFrame({"fn": list("abcdef"), "sn": list("abcdef"), "dob": ["1990-01-02"] * 6})
    assert dob_level_m(p, 0.003) == {}


def test_uncut_namesakes_keeps_exact_names_of_small_groups():
    from darkfigure.linkage import calibration

    fn = ["ana"] * 3 + ["li"] * (calibration.UNCUT_NAME_GROUP + 1) + ["bo", None]
    sn = ["silva"] * 3 + ["wang"] * (calibration.UNCUT_NAME_GROUP + 1) + ["silvq", "silva"]
    rec = pd.DataFrame({"fn": fn, "sn": sn})
    n = len(rec)
    left, right = np.array([0, 0, 3, 0, n - 1]), np.array([1, 2, 4, n - 2, 0])
    got = calibration._uncut_namesakes(left, right, rec)
    # exact names in a group of 3: kept; a group larger than the blocks kept whole: not; other names or a missing one
    assert got.tolist() == [True, True, False, False, False]


def test_apply_dated_calibration_fits_on_the_eligible_pairs_only():
    from scipy.special import expit

    from darkfigure.linkage.calibration import apply_dated_calibration

    rng = np.random.default_rng(5)
    m = 4000
    x = rng.uniform(-4, 3, m)
    match = rng.random(m) < expit(x + 1.0)  # the evidence beside the date is one logit too weak
    bf = np.where(match, np.where(rng.random(m) < 0.9, 6.0, -3.0), np.where(rng.random(m) < 0.02, 6.0, -3.0))
    p = expit(x + bf)
    both = np.ones(m, bool)
    fitted: dict = {}
    apply_dated_calibration(p, both, p.copy(), bf, fitted=fitted)
    assert fitted["dated"][0] == pytest.approx(1.0, abs=0.35)
    # pairs whose dates were chosen to agree (as blocking on a name with the date does) bias the fit up: left out
    biased = np.concatenate([p, expit(rng.uniform(-4, 3, 1000) + 6.0)])
    bf2 = np.concatenate([bf, np.full(1000, 6.0)])
    elig = np.r_[np.ones(m, bool), np.zeros(1000, bool)]
    fitted2: dict = {}
    apply_dated_calibration(biased, np.ones(m + 1000, bool), biased.copy(), bf2, fitted=fitted2, eligible=elig)
    assert fitted2["dated"][0] == pytest.approx(fitted["dated"][0], abs=1e-6)
    fitted3: dict = {}
    apply_dated_calibration(biased, np.ones(m + 1000, bool), biased.copy(), bf2, fitted=fitted3)
    assert fitted3["dated"][0] > fitted["dated"][0] + 0.3
