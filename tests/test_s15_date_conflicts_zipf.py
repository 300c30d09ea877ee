"""The date check's namesake expectation on heavy-tailed names with swapped name order (tester 15a, M4).

First names and surnames drawn independently (Zipf on rank), some registrations with the two names swapped, dates of
birth right: the check must not fire. The same persons registered again under wholly different dates: it must.
"""
import numpy as np
import pandas as pd

from darkfigure.linkage.date_conflicts import _oriented, conflict_counts, date_conflict_check


def _zipf(rng, names, s, n):
    """`n` draws from `names` with weights 1 / rank^s."""
    w = 1.0 / np.arange(1, len(names) + 1) ** s
    return rng.choice(np.array(names, dtype=object), size=n, p=w / w.sum())


def _registrations(seed, far_share, n=4000, swap=0.05):
    """Two registrations per person; a share `swap` of registrations with first name and surname swapped; a share
    `far_share` of persons' second registrations under a date years off. Returns prepared rows and labels (one per
    registration, the person)."""
    rng = np.random.default_rng(seed)
    first = [f"F{k}" for k in range(40)]
    last = [f"S{k}" for k in range(40)]
    fn, sn = _zipf(rng, first, 1.35, n), _zipf(rng, last, 1.35, n)
    dob = rng.integers(-3000, 12000, n).astype(float)
    second = np.where(rng.random(n) < far_share, dob + rng.choice([-1, 1], n) * rng.integers(400, 3000, n), dob)
    f2, s2, d2 = np.r_[fn, fn], np.r_[sn, sn], np.r_[dob, second]
    turn = rng.random(2 * n) < swap
    f2, s2 = np.where(turn, s2, f2), np.where(turn, f2, s2)
    prep = pd.DataFrame({"fn": f2, "sn": s2, "sex": "f", "nat": "vn", "dob_day": d2})
    return prep, np.r_[np.arange(n), np.arange(n)]


def test_swapped_names_are_turned_back():
    f, s = _oriented(np.array(["A", "A", "A", "X", None], dtype=object), np.array(["X", "X", "Y", "A", "A"], dtype=object))
    # A is a first name (3 of 3 as such), X a surname: the fourth row is turned; the missing name stays missing
    assert f[3] == f[0] and s[3] == s[0] and f[4] == -1


def test_heavy_tailed_independent_names_with_swaps_are_not_warned():
    for seed in (1, 2):
        prep, labels = _registrations(seed, 0.0)
        out = date_conflict_check(prep, labels, 0.006)
        assert out["observed"] > 100
        assert out["observed"] < 1.15 * out["expected"] and not out["significant"]
        assert out["warning"] is None


def test_wholly_different_dates_among_heavy_tailed_names_are_still_warned():
    prep, labels = _registrations(3, 0.08)
    # the far-dated second registrations left apart as other persons
    apart = np.where(prep["dob_day"].to_numpy()[4000:] != prep["dob_day"].to_numpy()[:4000], np.arange(4000) + 4000,
                     np.arange(4000))
    out = date_conflict_check(prep, np.r_[np.arange(4000), apart], 0.006)
    assert out["significant"] and out["warning"] and out["apart"] > 0
    assert conflict_counts(prep)["observed"] > 1.25 * conflict_counts(prep)["expected"]
