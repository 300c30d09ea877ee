"""Expected false links use the persons around a linked pair (transitivity), not the pair's score alone."""

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


def test_expected_false_links_of_a_triangle_above_the_threshold():
    from darkfigure.linkage.quality import expected_link_errors

    # {0, 1, 2} linked directly at 0.99, 0.98 and 0.7: 0-2 counts 1 - 0.99 * 0.98, not 0.3
    pairs = pd.DataFrame({"record_l": [0, 1, 0], "record_r": [1, 2, 2], "match_probability": [0.99, 0.98, 0.7]})
    e = expected_link_errors(np.array(["a", "b", "c"]), pairs, np.zeros(3, dtype=int), 0.5)
    assert e["false_links"].sum() == pytest.approx(0.01 + 0.02 + 1 - 0.99 * 0.98)
    assert expected_link_errors(np.array(["a", "b", "c"]), pairs, np.zeros(3, dtype=int), None)[
        "false_links"].sum() == pytest.approx(0.01 + 0.02 + 0.3)
