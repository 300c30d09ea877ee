"""Tester 14a M2: an organisation whose names are disjoint from the others' must not raise the gross-date m of
everyone (the namesake expectation within name communities), and an m at the cap is refused with a warning."""

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.date_conflicts import conflict_counts, date_conflict_check, model_checks, name_communities
from darkfigure.linkage.dob_recalibration import GROSS_M_MAX, recalibrate_gross_dates


def _names(n, rng, syll):
    """n invented names of three syllables from `syll`."""
    return ["".join(rng.choice(syll, 3)).title() for _ in range(n)]


def _org(org, n, pools, rng, sex="f"):
    """n synthetic prepared registrations of `org` (one identity each), first name and surname drawn independently
    from the `pools` (two lists), dates of birth uniform over 40 years."""
    first, last = pools
    dob = rng.integers(-3650, 40 * 365 - 3650, n).astype(float)
    return pd.DataFrame({"fn": [first[i] for i in rng.integers(0, len(first), n)],
                         "sn": [last[i] for i in rng.integers(0, len(last), n)], "sex": sex, "nat": "nl",
                         "dob_day": dob, "org": org})


def test_communities_join_organisations_that_share_a_full_name():
    org = np.array(["a", "a", "b", "c", "c", "d"])
    fn = np.array([0, 1, 0, 5, 6, -1])
    sn = np.array([0, 1, 0, 5, 7, 3])
    com = name_communities(org, fn, sn)
    assert com[0] == com[1] == com[2]  # a and b share (0, 0)
    assert com[3] == com[4] and com[3] != com[0]  # c shares nobody
    assert com[5] not in (com[0], com[3])  # d: no full name at all


def test_an_organisation_with_its_own_names_keeps_the_namesake_expectation():
    rng = np.random.default_rng(5)
    main_syll = np.array(["ka", "lo", "mi", "ver", "tun", "sa", "rel", "dor"])
    own_syll = np.array(["qua", "zzi", "xo", "wyn", "plo", "gri", "fek", "yum"])
    main = _org("main", 3000, (_names(25, rng, main_syll), _names(25, rng, main_syll)), rng)
    church = _org("church", 600, (_names(8, rng, own_syll), _names(8, rng, own_syll)), rng)
    alone = conflict_counts(main)
    both = conflict_counts(pd.concat([main, church], ignore_index=True))
    # namesakes of each community drawn independently: observed about expected, and no excess
    assert both["observed"] == pytest.approx(both["expected"], rel=0.1)
    assert not both["significant"] and not alone["significant"]
    assert both["expected"] > alone["expected"]  # the church's own namesakes added, the others' not diluted


def test_an_m_at_the_cap_is_refused_and_warned():
    rng = np.random.default_rng(6)
    syll = np.array(["ka", "lo", "mi", "ver", "tun", "sa", "rel", "dor", "qui", "zan", "pe", "hul"])
    n = 600
    fn, sn = _names(n, rng, syll), _names(n, rng, syll)
    dob = rng.integers(0, 40 * 365, n).astype(float)
    far = rng.random(n) < 0.5  # half the persons registered again under a date years off: m about 0.5
    second = np.where(far, dob + 400 + rng.integers(0, 2000, n), dob)
    prep = pd.DataFrame({"fn": fn + fn, "sn": sn + sn, "sex": "f", "nat": "nl", "dob_day": np.r_[dob, second],
                         "org": ["a"] * n + ["b"] * n})
    q = np.where(far, 0.02, 0.99)
    notes: list[str] = []
    (_, _, q2), counts = recalibrate_gross_dates(prep, (np.arange(n), np.arange(n) + n, q), notes, 0.003)
    assert counts["significant"] and counts["m"] >= GROSS_M_MAX
    assert counts["m_refused"] == pytest.approx(counts["m"]) and counts["factor"] == 1.0
    assert np.array_equal(q2, q) and not any("raised from" in x for x in notes)
    labels = np.r_[np.arange(n), np.where(far, np.arange(n, 2 * n), np.arange(n))]
    warned, _ = model_checks(prep, labels, pd.DataFrame({"false_links": [0.0], "missed_links": [0.0]}), None, counts)
    assert any("implausible" in w and "not applied" in w for w in warned)
    assert date_conflict_check(prep, labels, 0.006, counts)["observed"] == counts["observed"]
