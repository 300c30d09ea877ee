"""The matches blocking never compared: their estimate (names' odds from pairs with equal dates) and their draws."""

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.unblocked import (
    _name_codes,
    draw_unblocked,
    name_keys_agree,
    split_unblocked_matches,
    unblocked_matches,
)


def _frame(rows):
    """Registrations (org, fn, sn, dob) of pairs given as two rows each; pairs (2k, 2k+1) scored with p = 1."""
    flat = [r for pair in rows for r in pair]
    f = pd.DataFrame(flat, columns=["org", "fn", "sn", "dob"])
    m = len(rows)
    pairs = pd.DataFrame({"record_l": np.arange(0, 2 * m, 2), "record_r": np.arange(1, 2 * m, 2),
                          "match_probability": np.ones(m)})
    return f, pairs, np.repeat(np.arange(m), 2)


def test_name_keys_agree_on_the_parts_that_the_name_rules_join():
    f = pd.DataFrame({"fn": ["anna", "anna", "jansen", "anja", "pieter", "ana", None],
                      "sn": ["jansen", "jansen", "anna", "jansne", "vries", "janssen", "jansen"],
                      "dob": [None] * 7})
    c = _name_codes(f)
    a, b = np.zeros(6, np.int64), np.arange(1, 7)
    got = name_keys_agree(c, a, b)
    # exact; swapped; first two letters of both (an, ja); wholly different; Soundex of both (A500, J525);
    # a missing first name agrees on nothing with "anna"
    assert got.tolist() == [True, True, True, False, True, False]


def test_unblocked_matches_by_hand():
    same, other = ("anna", "jansen"), ("pieter", "vries")  # no name part in common, in either order
    rows = []
    # 10 pairs with equal dates and names, 2 with equal dates and wholly different names: odds 0.2
    rows += [[("x", *same, "2000-01-01"), ("y", *same, "2000-01-01")]] * 10
    rows += [[("x", *same, "2000-01-01"), ("y", *other, "2000-01-01")]] * 2
    # 20 pairs with names and a missing date, 1 without either: 0.2 * 20 - 1 = 3 never compared
    rows += [[("x", *same, None), ("y", *same, "1990-01-01")]] * 20
    rows += [[("x", *same, None), ("y", *other, None)]]
    # 5 with names and different dates: 0.2 * 5 = 1 never compared
    rows += [[("x", *same, "2000-01-01"), ("y", *same, "2001-02-02")]] * 5
    f, pairs, labels = _frame(rows)
    u = unblocked_matches(f["org"].to_numpy(), f[["fn", "sn", "dob"]], pairs, labels)
    u = u.set_index(["organisation_l", "organisation_r"])["unblocked_matches"]
    assert u[("x", "y")] == pytest.approx(4.0) and u[("x", "x")] == 0 and u[("y", "y")] == 0
    # the 3 fall on the 20 pairs of an undated with a dated registration: left out where the undated assignment
    # model counts those pairs (as link does since 2026-12-07), the 1 of the dated pairs stays
    by_model = unblocked_matches(f["org"].to_numpy(), f[["fn", "sn", "dob"]], pairs, labels, undated_by_model=True)
    assert by_model["unblocked_matches"].sum() == pytest.approx(1.0)
    # the weights are the match probabilities: the 20 undated pairs at p = 0.5 hold 10 matches -> 0.2 * 10 - 1
    pairs.loc[12:31, "match_probability"] = 0.5
    u = unblocked_matches(f["org"].to_numpy(), f[["fn", "sn", "dob"]], pairs, labels)
    assert u["unblocked_matches"].sum() == pytest.approx(1.0 + 1.0)
    # more compared pairs without name keys than the odds say: none missed (never negative)
    pairs["match_probability"] = 1.0
    f2, pairs2, labels2 = _frame(rows + [[("x", *same, None), ("y", *other, None)]] * 5)
    u = unblocked_matches(f2["org"].to_numpy(), f2[["fn", "sn", "dob"]], pairs2, labels2)
    assert u["unblocked_matches"].sum() == pytest.approx(1.0)


def test_unblocked_matches_without_dates_takes_the_two_names_as_lists():
    # 8 pairs agree on both names (4 of them swapped), 4 on the first name only, 2 on the surname only, none on
    # neither: Lincoln-Petersen 4 * 2 / 8 = 1 (until 2026-12-06 the swapped names counted as caught by neither list
    # and were subtracted: 4 * 2 / 4 - 4 = 0)
    rows = [[("x", "anna", "jansen", None), ("y", "anna", "jansen", None)]] * 4
    rows += [[("x", "anna", "jansen", None), ("y", "jansen", "anna", None)]] * 4
    rows += [[("x", "anna", "jansen", None), ("y", "anna", "pietersen", None)]] * 4
    rows += [[("x", "anna", "jansen", None), ("y", "bea", "jansen", None)]] * 2
    f, pairs, labels = _frame(rows)
    u = unblocked_matches(f["org"].to_numpy(), f[["fn", "sn", "dob"]], pairs, labels)
    assert u["unblocked_matches"].sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="fn, sn, dob"):
        unblocked_matches(f["org"].to_numpy(), f[["fn", "sn"]], pairs, labels)


def test_unblocked_matches_takes_the_larger_of_the_two_estimates():
    from darkfigure.linkage.unblocked import _by_exact_agreement, _by_name_keys

    same, near, other = ("anna", "jansen"), ("anne", "janssen"), ("pieter", "vries")
    # equal dates: 10 with equal names, 1 with no name key in common (odds 0.1); different dates: 10 with names
    # equal, 10 with both names misspelt (caught by the name keys, not by exact agreement)
    rows = [[("x", *same, "2000-01-01"), ("y", *same, "2000-01-01")]] * 10
    rows += [[("x", *same, "2000-01-01"), ("y", *other, "2000-01-01")]]
    rows += [[("x", *same, "2000-01-01"), ("y", *same, "2001-02-02")]] * 10
    rows += [[("x", *same, "2000-01-01"), ("y", *near, "2001-02-02")]] * 10
    f, pairs, labels = _frame(rows)
    args = (f["org"].to_numpy(), f[["fn", "sn", "dob"]], pairs, labels)
    # name keys: 0.1 * 20 = 2; exact agreement (dates D, a name equal N): n10 n01 / n11 - n00 = 1 * 10 / 10 - 10 < 0
    u = unblocked_matches(*args)["unblocked_matches"].sum()
    assert u == pytest.approx(2.0)
    from darkfigure.linkage.unblocked import _codes, _name_codes

    c, dob = _name_codes(f), _codes(f["dob"])
    pa, pb, w = pairs["record_l"].to_numpy(), pairs["record_r"].to_numpy(), np.ones(len(pairs))
    assert _by_name_keys(c, dob, pa, pb, w).sum() == pytest.approx(2.0)
    assert _by_exact_agreement(c, dob, pa, pb, w).sum() == pytest.approx(0.0)


def _two_lists():
    """60 persons registered by a only, 40 by b only, 20 by both (a's registrations first)."""
    orgs = np.array(["a"] * 80 + ["b"] * 60)
    labels = np.r_[np.arange(80), np.arange(60, 120)]
    return orgs, labels


def _seen_by_both(orgs, lab):
    return int((pd.Series(orgs).groupby(lab).nunique() == 2).sum())


def test_split_unblocked_matches_takes_persons_of_both_lists_apart():
    orgs, labels = _two_lists()
    u = pd.DataFrame({"organisation_l": ["a", "a", "b"], "organisation_r": ["a", "b", "b"],
                      "unblocked_matches": [0.0, 8.0, 0.0]})
    split = []
    for s in range(200):
        lab = split_unblocked_matches(labels, orgs, u, np.random.default_rng(s))
        persons = np.unique(lab).size
        # each split leaves one person of a only and makes one of b only
        assert _seen_by_both(orgs, lab) == 20 - (persons - 120)
        split.append(persons - 120)
    assert np.mean(split) == pytest.approx(8.0, abs=0.6)
    # duplicates within a list: a person with two registrations of a loses one
    orgs2, labels2 = np.array(["a"] * 4), np.array([0, 0, 1, 2])
    u2 = pd.DataFrame({"organisation_l": ["a"], "organisation_r": ["a"], "unblocked_matches": [50.0]})
    lab = split_unblocked_matches(labels2, orgs2, u2, np.random.default_rng(1))
    assert np.unique(lab).size == 4


def test_draw_unblocked_splits_for_the_bias_correction_and_merges_otherwise():
    from dataclasses import dataclass

    from darkfigure.linkage.unblocked import for_bias_correction

    @dataclass
    class Run:
        """A stand-in for LinkRun with the fields draw_unblocked reads."""
        unblocked: pd.DataFrame
        records: pd.DataFrame

    orgs, labels = _two_lists()
    table = pd.DataFrame({"organisation_l": ["a"], "organisation_r": ["b"], "unblocked_matches": [6.0]})
    run = Run(table, pd.DataFrame({"organisation": orgs}))
    merged = [_seen_by_both(orgs, draw_unblocked(labels, run, s)) - 20 for s in range(50)]
    assert min(merged) >= 0 and np.mean(merged) > 3
    split = [_seen_by_both(orgs, draw_unblocked(labels, for_bias_correction(run), s)) - 20 for s in range(50)]
    assert max(split) <= 0 and np.mean(split) < -3
    assert "split" not in table.columns  # the run's own table is left as it is
