"""Expected false and missed links use the persons around a pair (transitivity), not the pair's score alone."""

import numpy as np
import pandas as pd
import pytest


def test_a_linked_pair_above_the_threshold_takes_its_two_step_chain():
    from darkfigure.linkage.quality import _cluster_pairs, _joined_probability

    # one person {0, 1, 2}: 0-2 scored 0.7 (linked on its own) but 0-1 and 1-2 are near-certain
    lo, hi, p = np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([0.99, 0.98, 0.7])
    ca, cb = _cluster_pairs(np.zeros(3, dtype=int))
    q = dict(zip(zip(ca.tolist(), cb.tolist()), _joined_probability(3, lo, hi, p, np.ones(3, bool), ca, cb, 0.5)))
    assert q[(0, 2)] == pytest.approx(0.99 * 0.98)
    assert q[(0, 1)] == pytest.approx(0.99) and q[(1, 2)] == pytest.approx(0.98)  # their chains are weaker
    # without a threshold every scored pair keeps its own p
    q0 = dict(zip(zip(ca.tolist(), cb.tolist()), _joined_probability(3, lo, hi, p, np.ones(3, bool), ca, cb)))
    assert q0[(0, 2)] == pytest.approx(0.7)


def test_a_pair_above_the_threshold_without_a_two_step_chain_keeps_its_p():
    from darkfigure.linkage.quality import _cluster_pairs, _joined_probability

    # a path 0-1-2-3: 0-3 unscored is joined only through three steps; 1-2 scored 0.6 has no two-step chain,
    # so it keeps 0.6 (the bound p_a p_b of the best links, 0.99 * 0.99, would raise it without a chain)
    lo, hi, p = np.array([0, 1, 2]), np.array([1, 2, 3]), np.array([0.99, 0.6, 0.99])
    ca, cb = _cluster_pairs(np.zeros(4, dtype=int))
    q = dict(zip(zip(ca.tolist(), cb.tolist()), _joined_probability(4, lo, hi, p, np.ones(3, bool), ca, cb, 0.5)))
    assert q[(1, 2)] == pytest.approx(0.6)
    assert q[(0, 2)] == pytest.approx(0.99 * 0.6)


def test_split_bound_of_a_pair_between_two_persons_of_several_registrations():
    from darkfigure.linkage.quality import UNSCORED_CROSS_PAIR, _cluster_pairs, _joined_probability, _split_bound

    # persons {0, 1} and {2, 3}, each held together at 0.99; across them only 1-2 is scored (0.4) and 0-3 (0.02)
    labels = np.array([0, 0, 2, 2])
    lo, hi = np.array([0, 2, 1, 0]), np.array([1, 3, 2, 3])
    p = np.array([0.99, 0.95, 0.4, 0.02])
    inside = labels[lo] == labels[hi]
    ca, cb = _cluster_pairs(labels)
    qj = _joined_probability(4, lo, hi, p, inside, ca, cb, 0.5)
    b = _split_bound(4, labels, lo, hi, p, inside, ca, cb, qj)
    # 1-2: through 0 (0-2 unscored) UNSCORED + 1 - 0.99; through 3 (1-3 unscored) UNSCORED + 1 - 0.95
    assert b[2] == pytest.approx(UNSCORED_CROSS_PAIR + 0.01)
    # 0-3: through 1, p(1, 3) unscored + 0.01; through 2, p(0, 2) unscored + 0.05
    assert b[3] == pytest.approx(UNSCORED_CROSS_PAIR + 0.01)
    assert b[:2] == pytest.approx([1.0, 1.0])  # pairs inside a person: no bound
    # a lone registration is not bounded by its missing comparisons: {0, 1} and {2}
    lab2 = np.array([0, 0, 2, 3])
    lo2, hi2, p2 = np.array([0, 1]), np.array([1, 2]), np.array([0.99, 0.4])
    ins2 = lab2[lo2] == lab2[hi2]
    ca2, cb2 = _cluster_pairs(lab2)
    qj2 = _joined_probability(4, lo2, hi2, p2, ins2, ca2, cb2, 0.5)
    assert _split_bound(4, lab2, lo2, hi2, p2, ins2, ca2, cb2, qj2) == pytest.approx([1.0, 1.0])


def test_expected_missed_links_between_two_firm_persons_use_the_bound():
    from darkfigure.linkage.quality import UNSCORED_CROSS_PAIR, expected_link_errors

    labels = np.array([0, 0, 2, 2])
    pairs = pd.DataFrame({"record_l": [0, 2, 1, 0], "record_r": [1, 3, 2, 3],
                          "match_probability": [0.99, 0.95, 0.4, 0.02]})
    orgs = np.array(["a", "b", "a", "b"])
    e = expected_link_errors(orgs, pairs, labels, 0.5)
    # 1-2 (0.4) and 0-3 (0.02) both bounded through the other member of the person: unscored + 1 - 0.99
    assert e["missed_links"].sum() == pytest.approx(2 * (UNSCORED_CROSS_PAIR + 0.01))
    # without a threshold (the pairs' own scores, as before) the sum of p
    assert expected_link_errors(orgs, pairs, labels, None)["missed_links"].sum() == pytest.approx(0.42)
    # a third cross pair scored (0-2 at 0.3) loosens the bound through 0
    pairs2 = pd.concat([pairs, pd.DataFrame({"record_l": [0], "record_r": [2], "match_probability": [0.3]})])
    e2 = expected_link_errors(orgs, pairs2, labels, 0.5)
    # 1-2: through 0 (0-2 at 0.3) 0.31, through 3 (1-3 unscored) 0.051 -> 0.051; 0-3: through 1 (1-3 unscored)
    # 0.011; 0-2: through 1 (1-2 at 0.4) 0.41, through 3 (0-3 at 0.02) 0.07
    assert e2["missed_links"].sum() == pytest.approx(UNSCORED_CROSS_PAIR + 0.05 + UNSCORED_CROSS_PAIR + 0.01 + 0.07)
