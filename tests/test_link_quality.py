"""Linkage quality: pairwise and cluster metrics by hand, and the statistical checks on clearing_house.

The slow tests link the synthetic clearing-house registrations (5,000 registered victims,
6 organisations, about 8,000 registrations) and compare with the known truth: pairwise
precision and recall (>= 0.95 plaintext, >= 0.93 Bloom filters) and N̂ from the linked
data against the interval of N̂ from the true links.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.estimation import estimate
from darkfigure.linkage import link, persons_from_links, pseudonymise, simulate_registrations
from darkfigure.linkage.quality import pairwise_quality, weight_histogram


def test_pairwise_quality_by_hand():
    # truth: {0,1} {2,3} {4}; found: {0,1,2} {3} {4}
    q = pairwise_quality(["a", "a", "b", "b", "c"], [1, 1, 1, 2, 3])
    assert q["true_pairs"] == 2 and q["found_pairs"] == 3 and q["correct_pairs"] == 1
    assert q["precision"] == pytest.approx(1 / 3)
    assert q["recall"] == pytest.approx(1 / 2)
    assert q["f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert (q["true_persons"], q["found_persons"]) == (3, 3)
    # Hubert-Arabie ARI from the contingency table: index 1, expected 2*3/10, max 2.5
    assert q["adjusted_rand"] == pytest.approx((1 - 0.6) / (2.5 - 0.6))
    # B-cubed precision: records 0,1 -> 2/3 each, record 2 -> 1/3, records 3,4 -> 1
    assert q["bcubed_precision"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 3 + 1 + 1) / 5)
    # B-cubed recall: records 0,1 -> 1, records 2,3 -> 1/2, record 4 -> 1
    assert q["bcubed_recall"] == pytest.approx((1 + 1 + 0.5 + 0.5 + 1) / 5)


def test_pairwise_quality_perfect_and_none_linked():
    q = pairwise_quality(list("aabbc"), list("xxyyz"))
    assert q["precision"] == q["recall"] == q["adjusted_rand"] == q["bcubed_f1"] == 1.0
    q = pairwise_quality(list("aabbc"), list("vwxyz"))  # nothing linked
    assert q["precision"] == 1.0 and q["recall"] == 0.0 and q["found_pairs"] == 0


def test_pairwise_quality_errors():
    with pytest.raises(ValueError, match="records"):
        pairwise_quality(["a", "b"], [1])
    with pytest.raises(ValueError, match="missing in record 1"):
        pairwise_quality(["a", None], [1, 2])


def test_weight_histogram_probabilities():
    h = weight_histogram(pd.DataFrame({"bin": [-3.0, 0.0, 1.0], "pairs": [5, 3, 2]}), threshold=0.6)
    # weight w bits <-> probability 2^w / (1 + 2^w)
    assert h["probability_lower"].tolist() == pytest.approx([1 / 9, 0.5, 2 / 3])
    assert h["share"].sum() == pytest.approx(1.0)
    assert h["above_threshold"].tolist() == [0, 0, 1]


# ----------------------------------------------------------------------------- statistical checks (slow)
_TRUE_LINKS: dict[int, object] = {}


def _nhat_check(sim, res):
    """N̂ from the true links and from the linked data, lists only, Cruyff search and parametric bootstrap.

    N̂ from the true links depends on the registrations only: computed once per simulation seed (the plaintext
    and the Bloom test link the same registrations, simulated with the same seed and defaults)."""
    opts = {"seed": 1, "reps": 200, "n_jobs": 1}
    if sim.seed not in _TRUE_LINKS:
        regs = sim.registrations.reset_index(drop=True)
        _, h_true = persons_from_links(regs, regs["true_person_id"])
        _TRUE_LINKS[sim.seed] = estimate(h_true.collapse(()), **opts)
    e_true = _TRUE_LINKS[sim.seed]
    e_link = estimate(res.histories.collapse(()), **opts)
    # the same log-linear model on both: isolates the effect of linkage errors from model selection
    e_fixed = estimate(res.histories.collapse(()), model=e_true.fit.model.label(), **opts)
    return e_true, e_link, e_fixed


@pytest.mark.slow
def test_clearing_house_plaintext_quality_and_nhat():
    sim = simulate_registrations("clearing_house", seed=3)
    assert 7000 < len(sim.registrations) < 9000 and 4500 < sim.persons.shape[0] < 5500
    res = link(list(sim.files().values()), truth="true_person_id", seed=0)
    q = res.quality.iloc[0]
    assert q["precision"] >= 0.95 and q["recall"] >= 0.95, q.to_dict()
    assert abs(q["found_persons"] - q["true_persons"]) / q["true_persons"] < 0.02
    e_true, e_link, e_fixed = _nhat_check(sim, res)
    assert e_true.lower <= e_link.nhat <= e_true.upper, (e_true.nhat, e_true.lower, e_true.upper, e_link.nhat)
    assert e_true.lower <= e_fixed.nhat <= e_true.upper
    # the truth N lies in the true-link interval too (the estimator, not the linkage, is checked here)
    assert e_true.lower <= sim.simulation.n_total <= e_true.upper * 1.05


@pytest.mark.slow
def test_clearing_house_bloom_quality():
    sim = simulate_registrations("clearing_house", seed=3)
    key = b"test key, not a secret, 32 bytes"
    files = [pseudonymise(f, key) for f in sim.files().values()]
    res = link(files, truth="true_person_id", seed=0)
    assert res.encoding == "pseudonymised"
    q = res.quality.iloc[0]
    assert q["precision"] >= 0.93 and q["recall"] >= 0.93, q.to_dict()
    # the saved pairs re-cluster to link's persons (what the correction and the draws start from)
    from darkfigure.linkage import persons_from_pairs

    assert persons_from_pairs(res.records, res.pairs, res.threshold)[1].equals(res.persons)
    e_true, e_link, e_fixed = _nhat_check(sim, res)
    # Bloom filters lose a few more links than plaintext (no edit distance, no date-masked calibration):
    # N̂ is inflated a little more than with plaintext, but stays within 6 % of the true-link N̂
    assert abs(e_fixed.nhat / e_true.nhat - 1) < 0.06


@pytest.mark.slow
def test_sensitivity_false_matches_shrink_missed_matches_inflate():
    sim = simulate_registrations("clearing_house", seed=4)
    res = link(list(sim.files().values()), truth="true_person_id", sensitivity=[0.3, 0.7, 0.9999],
               estimate_options={"ci": "none"})
    s = res.sensitivity.set_index("threshold")
    # a higher threshold links fewer pairs: precision up, recall down, more persons
    assert s["persons"].is_monotonic_increasing
    assert s["precision"].is_monotonic_increasing and s["recall"].is_monotonic_decreasing
    # missed matches (threshold 0.9999: recall about 0.8) inflate N̂ well above the default threshold's
    assert s.loc[0.9999, "recall"] < 0.92 and s.loc[0.9999, "nhat"] > 1.1 * s.loc[0.7, "nhat"]
    assert np.isfinite(s["nhat"]).all()


def test_expected_and_true_link_errors_by_hand():
    from darkfigure.linkage.quality import expected_link_errors, true_link_errors

    orgs = np.array(["a", "b", "a", "b"])
    pairs = pd.DataFrame({"record_l": [0, 1, 2], "record_r": [1, 2, 3], "match_probability": [0.9, 0.6, 0.3]})
    labels = np.array([0, 0, 0, 3])  # {0, 1, 2} linked (0-2 only through 1), {3}
    e = expected_link_errors(orgs, pairs, labels).set_index(["organisation_l", "organisation_r"])
    assert e.index.tolist() == [("a", "a"), ("a", "b"), ("b", "b")]
    # a-b links: 0-1 (p 0.9) and 1-2 (p 0.6); a-a link 0-2 unscored: p = 0.9 * 0.6
    assert e.loc[("a", "b"), "links"] == 2 and e.loc[("a", "a"), "links"] == 1
    assert e.loc[("a", "b"), "false_links"] == pytest.approx(0.1 + 0.4)
    assert e.loc[("a", "a"), "false_links"] == pytest.approx(1 - 0.54)
    assert e.loc[("a", "b"), "missed_links"] == pytest.approx(0.3)  # 2-3 scored, not linked
    assert e.loc[("b", "b")].tolist() == pytest.approx([0] * e.shape[1])  # incl. the undated columns (0 here)
    # truth: {0, 1} and {2, 3}
    t = true_link_errors(orgs, ["x", "x", "y", "y"], labels).set_index(["organisation_l", "organisation_r"])
    assert t.loc[("a", "b"), "false_links"] == 1 and t.loc[("a", "a"), "false_links"] == 1
    assert t.loc[("a", "b"), "missed_links"] == 1 and t.loc[("a", "b"), "true_matches"] == 2
    with pytest.raises(ValueError, match="labels"):
        expected_link_errors(orgs, pairs, labels[:3])


def test_missing_date_candidates_share_their_probability():
    from darkfigure.linkage.link import _good_turing, compete_missing_dates

    # record 2 has no date of birth and scores 0.8 against two unrelated persons (0 and 1)
    left, right, p = np.array([0, 1]), np.array([2, 2]), np.array([0.8, 0.8])
    adj = compete_missing_dates(3, left, right, p, np.array([True, True, False]), 0.5)
    assert adj == pytest.approx([4 / 9, 4 / 9])  # odds 4 each: 4 / (1 + 4 + 4)
    # if 0 and 3 are one person (linked at 0.99), they are one candidate, not two competitors
    left, right, p = np.array([0, 0, 2]), np.array([3, 2, 3]), np.array([0.99, 0.8, 0.8])
    adj = compete_missing_dates(4, left, right, p, np.array([True, True, False, True]), 0.5)
    assert adj == pytest.approx([0.99, 0.8, 0.8])
    # Good-Turing: r* = (r + 1) n_{r+1} / n_r; n_1 = 4, n_2 = 2, n_3 = 1 -> 1* = 1, 2* = 1.5
    star = _good_turing(np.array([1, 1, 1, 1, 2, 2, 3]))
    assert star[:4] == pytest.approx([1.0] * 4) and star[4] == pytest.approx(1.5)


def test_calibration_shifts_the_logit():
    from scipy.special import expit

    from darkfigure.linkage.clustering import CALIBRATION_SHIFT, calibrate

    p = calibrate(np.array([0.5, 0.5, 0.9]), np.array([True, False, True]))
    assert p[:2] == pytest.approx([expit(CALIBRATION_SHIFT[0]), expit(CALIBRATION_SHIFT[1])])
    # a logit shift: 0.9 (odds 9) becomes odds 9 exp(shift)
    assert p[2] / (1 - p[2]) == pytest.approx(9 * np.exp(CALIBRATION_SHIFT[0]))
    assert calibrate(np.array([0.3]), np.array([False]), (0.0, 0.0)) == pytest.approx([0.3])


def test_joined_probability_takes_the_chain_through_a_shared_neighbour():
    from darkfigure.linkage.quality import _cluster_pairs, _joined_probability

    # one person {0, 1, 2, 3}: scored 0-1 (0.9), 1-2 (0.5), 0-3 (0.99)
    lo, hi, p = np.array([0, 1, 0]), np.array([1, 2, 3]), np.array([0.9, 0.5, 0.99])
    ca, cb = _cluster_pairs(np.zeros(4, dtype=int))
    q = dict(zip(zip(ca.tolist(), cb.tolist()), _joined_probability(4, lo, hi, p, np.ones(3, bool), ca, cb)))
    assert q[(0, 1)] == pytest.approx(0.9) and q[(0, 3)] == pytest.approx(0.99)
    assert q[(0, 2)] == pytest.approx(0.9 * 0.5)  # through 1 (the best links of 0 and 2 would say 0.99 * 0.5)
    assert q[(1, 3)] == pytest.approx(0.9 * 0.99)  # through 0
    assert q[(2, 3)] == pytest.approx(0.5 * 0.99)  # three steps: the best links of 2 and 3


def test_joined_probability_of_a_pair_joined_against_its_own_score_takes_its_chain():
    from darkfigure.linkage.quality import _cluster_pairs, _joined_probability, expected_link_errors

    # one person {0, 1, 2}: 0-1 and 1-2 certain-ish, 0-2 scored low (typos in 2's names) but joined through 1
    lo, hi, p = np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([0.99, 0.98, 0.02])
    ca, cb = _cluster_pairs(np.zeros(3, dtype=int))
    q = dict(zip(zip(ca.tolist(), cb.tolist()), _joined_probability(3, lo, hi, p, np.ones(3, bool), ca, cb, 0.5)))
    assert q[(0, 2)] == pytest.approx(0.99 * 0.98) and q[(0, 1)] == pytest.approx(0.99)
    # without a threshold the pair keeps its own score (as before): nearly one false link
    q0 = dict(zip(zip(ca.tolist(), cb.tolist()), _joined_probability(3, lo, hi, p, np.ones(3, bool), ca, cb)))
    assert q0[(0, 2)] == pytest.approx(0.02)
    # a pair scored higher than its chain keeps its own probability
    q1 = _joined_probability(3, lo, hi, np.array([0.6, 0.6, 0.45]), np.ones(3, bool), ca, cb, 0.5)
    assert dict(zip(zip(ca.tolist(), cb.tolist()), q1))[(0, 2)] == pytest.approx(0.45)
    pairs = pd.DataFrame({"record_l": lo, "record_r": hi, "match_probability": p})
    e = expected_link_errors(np.array(["a", "b", "c"]), pairs, np.zeros(3, dtype=int))
    assert e["false_links"].sum() == pytest.approx(0.01 + 0.02 + 1 - 0.99 * 0.98)



def test_apart_probability_of_a_pair_split_off_above_the_threshold_takes_its_persons_odds():
    from scipy.special import expit, logit

    from darkfigure.linkage.quality import _apart_probability, expected_link_errors

    # persons {0, 1} and {2}: 1-2 scored 0.8 (above 0.5) but 0-2 scored 0.05, so the clustering kept 2 apart;
    # {3} and {4}: a lone pair at 0.3 (below the threshold) keeps its p
    lo, hi = np.array([0, 1, 0, 3]), np.array([1, 2, 2, 4])
    p = np.array([0.99, 0.8, 0.05, 0.3])
    labels = np.array([0, 0, 2, 3, 4])
    inside = labels[lo] == labels[hi]
    q = _apart_probability(labels, lo, hi, p, inside, 0.5)
    odds = expit(logit(0.8) + logit(0.05))  # odds 4 x 1/19: the two persons are one with p 4/23
    assert q[1] == pytest.approx(odds) and q[1] == pytest.approx(4 / 23)
    assert q[2] == pytest.approx(0.05) and q[3] == pytest.approx(0.3) and q[0] == pytest.approx(0.99)
    # without a threshold (or with a single scored pair between the persons) each pair keeps its own p
    assert _apart_probability(labels, lo, hi, p, inside, None) == pytest.approx(p)
    q2 = _apart_probability(labels, lo[[0, 1, 3]], hi[[0, 1, 3]], p[[0, 1, 3]], inside[[0, 1, 3]], 0.5)
    assert q2 == pytest.approx([0.99, 0.8, 0.3])
    # the persons' odds never raise a pair above its own p: 0-2 at 0.9 makes the product 36 > odds 4 of 1-2
    q3 = _apart_probability(labels, lo, hi, np.array([0.99, 0.8, 0.9, 0.3]), inside, 0.5)
    assert q3[1] == pytest.approx(0.8)
    pairs = pd.DataFrame({"record_l": lo, "record_r": hi, "match_probability": p})
    e = expected_link_errors(np.array(["a", "b", "c", "a", "b"]), pairs, labels, 0.5)
    assert e["missed_links"].sum() == pytest.approx(4 / 23 + 0.05 + 0.3)
    assert expected_link_errors(np.array(["a", "b", "c", "a", "b"]), pairs, labels, None)[
        "missed_links"].sum() == pytest.approx(0.8 + 0.05 + 0.3)

def test_apart_probability_below_the_threshold_counts_a_namesake_person_once():
    from scipy.special import expit, logit

    from darkfigure.linkage.quality import _apart_probability, expected_link_errors

    # persons {0, 1, 2} and {3}: 3 scores 0.3 with 0 but 0.02 and 0.01 with 1 and 2 (a namesake of one member);
    # by their own p the three pairs would add 0.33 missed links, by the persons' odds about 3 in a million each
    lo, hi = np.array([0, 1, 0, 1, 2]), np.array([1, 2, 3, 3, 3])
    p = np.array([0.99, 0.98, 0.3, 0.02, 0.01])
    labels = np.array([0, 0, 0, 3])
    inside = labels[lo] == labels[hi]
    q = _apart_probability(labels, lo, hi, p, inside, 0.5)
    both = expit(logit(0.3) + logit(0.02) + logit(0.01))
    assert q[2:] == pytest.approx([both, both, both])
    assert q[:2] == pytest.approx(p[:2])  # pairs inside one person: untouched
    pairs = pd.DataFrame({"record_l": lo, "record_r": hi, "match_probability": p})
    e = expected_link_errors(np.array(["a", "b", "c", "d"]), pairs, labels, 0.5)
    assert e["missed_links"].sum() == pytest.approx(3 * both) and 3 * both < 0.001
    # a lone pair below the threshold keeps its own p
    assert _apart_probability(np.array([0, 1]), np.array([0]), np.array([1]), np.array([0.3]), np.array([False]),
                              0.5) == pytest.approx([0.3])


def test_masked_date_calibration_recovers_a_known_logistic_curve():
    from scipy.special import expit

    from darkfigure.linkage.clustering import masked_date_calibration

    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 3.0, 4000)  # evidence without the date, logit scale
    log_bf = rng.normal(0.0, 4.0, 4000)  # what the dates added
    target = expit(-1.5 + 1.2 * x)  # how often that evidence is one person (the dates tell)
    a, b = masked_date_calibration(x + log_bf, log_bf, target, min_probability=1e-6)
    assert a == pytest.approx(-1.5, abs=0.02) and b == pytest.approx(1.2, abs=0.02)
    # too few pairs: no fit
    assert np.isnan(masked_date_calibration(x[:10], log_bf[:10], target[:10])[0])


def test_masked_date_calibration_with_features_recovers_their_weights():
    from scipy.special import expit

    from darkfigure.linkage.clustering import masked_date_calibration

    rng = np.random.default_rng(5)
    x = rng.normal(0.0, 3.0, 6000)
    log_bf = rng.normal(0.0, 4.0, 6000)
    z = np.column_stack([rng.integers(0, 2, 6000), rng.exponential(1.0, 6000)])
    target = expit(-1.0 + 1.1 * x + 2.0 * z[:, 0] - 0.7 * z[:, 1])
    a, b, c0, c1 = masked_date_calibration(x + log_bf, log_bf, target, min_probability=1e-6, features=z)
    assert (a, b, c0, c1) == pytest.approx((-1.0, 1.1, 2.0, -0.7), abs=0.03)
    # without features the old two coefficients; too few pairs: nan for every coefficient
    assert len(masked_date_calibration(x + log_bf, log_bf, target, min_probability=1e-6)) == 2
    assert np.isnan(masked_date_calibration(x[:10], log_bf[:10], target[:10], features=z[:10])).all()
    with pytest.raises(ValueError, match="finite"):
        masked_date_calibration(x, log_bf, target, features=np.full((6000, 1), np.nan))


def test_name_frequency_features_by_hand():
    from darkfigure.linkage.calibration import NAME_FEATURES, name_frequency_features

    fn = np.array(["monica", "monika", "monica", "monika", "isabel", "isbael", "jan", "smit", "jan", None, "jolijn",
                   "jolijn"])
    sn = np.array(["popa", "popa", "popa", "popa", "almeida", "almeida", "smit", "jan", "smit", "smit", "volcke",
                   "rite"])
    left, right = np.array([0, 4, 6, 6, 0, 10]), np.array([1, 5, 7, 8, 9, 11])
    z = name_frequency_features(left, right, fn, sn)
    assert z.shape == (6, len(NAME_FEATURES))
    ln = np.log
    # Monica / Monika Popa: misspelt (5 of 6 letters shared), popa 4x, monica and monika 2x each (the rarer: 2)
    assert z[0] == pytest.approx([1, ln(4), ln(2), 0, ln(2), 0])
    # Isabel / Isbael Almeida: a typo nobody else carries (the rarer first name: count 1, log 0)
    assert z[1] == pytest.approx([1, ln(2), ln(1), 0, 0, 0])
    # Jan Smit / Smit Jan: swapped, exact; full name "jan|smit" carried twice
    assert z[2] == pytest.approx([0, 0, 0, ln(2), 0, 0])
    assert z[3] == pytest.approx([0, 0, 0, ln(2), 0, 0])
    # a missing first name, and a surname wholly different (another person's name, not a typo): no features
    assert z[4] == pytest.approx(np.zeros(6))
    assert z[5] == pytest.approx(np.zeros(6))


def test_masked_calibration_weighs_the_name_features_of_undated_pairs():
    from scipy.special import expit, logit

    from darkfigure.linkage.calibration import apply_masked_calibration

    rng = np.random.default_rng(7)
    m = 5000
    lp = rng.normal(0.0, 3.0, m)
    both = np.arange(m) >= 1000  # the first 1,000 pairs lack a date
    log_bf = rng.normal(0.0, 4.0, int(both.sum()))
    z = rng.integers(0, 2, (m, 1)).astype(float)
    p = expit(lp)
    p[both] = expit(lp[both] + log_bf)  # the dated pairs' model probabilities include their date's evidence
    q = np.full(m, 0.5)
    q[both] = expit(-0.5 + 1.2 * lp[both] + 1.5 * z[both, 0])  # how often their evidence without the date is one person
    seen = []

    def features(idx):
        seen.append(idx.size)
        return z[idx]

    out, (a, b) = apply_masked_calibration(p, both, q, log_bf, features)
    assert (a, b) == pytest.approx((-0.5, 1.2), abs=0.05)
    assert logit(out[~both]) == pytest.approx(-0.5 + 1.2 * lp[~both] + 1.5 * z[~both, 0], abs=0.1)
    assert np.array_equal(out[both], q[both])
    # features asked for the dated pairs that qualify and for the undated ones only
    assert seen[1] == 1000 and seen[0] <= int(both.sum())


def test_date_of_birth_log_bf_levels():
    from darkfigure.linkage.clustering import date_of_birth_log_bf

    levels = [{"sql_condition": "dob_l IS NULL OR dob_r IS NULL", "label_for_charts": "null", "is_null_level": True}]
    mu = {"exact, 1 January": (0.05, 0.01), "exact": (0.8, 0.001), "one digit differs": (0.05, 0.01),
          "day/month swapped": (0.02, 0.0001), "year off by 1-2": (0.02, 0.001), "day off by 1-2": (0.01, 0.001),
          "month off by 1": (0.01, 0.001), "same year, one is 1 January": (0.01, 0.002),
          "one is 1 January, year off by 1": (0.02, 0.003), "within 62 days": (0.02, 0.007), "same year": (0.01, 0.02)}
    for k, (m, u) in mu.items():
        levels.append({"sql_condition": k, "label_for_charts": k, "m_probability": m, "u_probability": u,
                       **({"tf_adjustment_column": "dob", "tf_adjustment_weight": 1.0} if k == "exact" else {})})
    levels.append({"sql_condition": "ELSE", "label_for_charts": "All other comparisons",
                   "m_probability": 0.003, "u_probability": 0.95})
    model = {"comparisons": [{"output_column_name": "date_of_birth", "comparison_levels": levels}]}
    dob = np.array(["1990-05-07", "1990-05-07", "1990-07-05", "1991-05-07", "1990-05-08", "1990-01-01",
                    "1990-01-01", "1970-02-02", None, "1988-05-07", "1990-08-30", "1990-05-10", "1990-05-08",
                    "1990-06-20", "1989-12-20", "1990-01-15"], dtype=object)
    pairs = [(0, 1, "exact"), (0, 2, "day/month swapped"), (0, 3, "one digit differs"),
             (0, 4, "one digit differs"), (5, 6, "exact, 1 January"), (0, 7, None), (0, 8, "null"),
             (0, 9, "year off by 1-2"), (0, 10, "same year"), (11, 12, "day off by 1-2"),
             (5, 0, "same year, one is 1 January"), (3, 5, "one is 1 January, year off by 1"),
             # 44 days apart (month and day both differ), and 26 days across a new year
             (0, 13, "within 62 days"), (14, 15, "within 62 days"), (9, 5, None)]
    got = date_of_birth_log_bf(np.array([a for a, _, _ in pairs]), np.array([b for _, b, _ in pairs]), dob, model)
    want = [0.0 if k == "null" else np.log(0.003 / 0.95) if k is None else np.log(mu[k][0] / mu[k][1])
            for _, _, k in pairs]
    assert got == pytest.approx(want)
    # term frequencies: a common exact date says less (Splink: log u_exact - log max(tf_l, tf_r))
    tf = np.full(dob.size, 0.001)
    tf[[0, 1]] = 0.01
    got = date_of_birth_log_bf(np.array([0]), np.array([1]), dob, model, tf)
    assert got[0] == pytest.approx(np.log(0.8 / 0.001) + np.log(0.001) - np.log(0.01))


def test_add_unblocked_matches_merges_persons_of_the_two_lists():
    from darkfigure.linkage.uncertainty import add_unblocked_matches

    # 60 persons registered by a only, 40 by b only, 20 by both
    orgs = np.array(["a"] * 80 + ["b"] * 60)
    labels = np.r_[np.arange(80), np.arange(60, 120)]
    u = pd.DataFrame({"organisation_l": ["a", "a", "b"], "organisation_r": ["a", "b", "b"],
                      "unblocked_matches": [0.0, 8.0, 0.0]})
    merged = []
    for s in range(200):
        lab = add_unblocked_matches(labels, orgs, u, np.random.default_rng(s))
        assert np.unique(lab).size <= 120
        # each merge joins one person seen by a only with one seen by b only
        both = pd.Series(orgs).groupby(lab).nunique()
        merged.append(int((both == 2).sum()) - 20)
    assert np.mean(merged) == pytest.approx(8.0, abs=0.6)


def test_evidence_columns_leave_out_what_restates_the_nationality():
    from darkfigure.linkage.prepare import _evidence_columns

    df = pd.DataFrame({
        "nationality": ["NL", "NL", "VN", "VN", "RO", None],
        "nationality_group": ["Dutch", "Dutch", "non-EU", "non-EU", "EU", "EU"],  # a function of the nationality
        "exploitation": ["Labour", "sexual", "labour", None, "criminal", "labour"],
        "sex": ["f", "m", "f", "m", "f", "m"],
        "constant": ["x"] * 6,
    })
    ev, used = _evidence_columns(df, ["sex", "nationality_group", "exploitation", "constant"])
    assert used == ["exploitation"]
    got = ev["ev0"].tolist()
    assert got[:3] + got[4:] == ["labour", "sexual", "labour", "criminal", "labour"] and pd.isna(got[3])


def test_covariate_disagreement_estimated_from_confident_matches():
    from darkfigure.linkage import splink_model
    from darkfigure.linkage.splink_model import covariate_disagreement

    rng = np.random.default_rng(5)
    # 400 persons registered 3 times each with a unique name and date; each registration records another form of
    # exploitation with probability 0.2 (of 4 levels) and none with probability 0.1
    n, k = 400, 3
    pid = np.repeat(np.arange(n), k)
    levels = np.array(["sexual", "labour", "criminal", "other"], dtype=object)
    true = rng.integers(0, 4, n)[pid]
    shift = np.where(rng.random(n * k) < 0.2, rng.integers(1, 4, n * k), 0)
    ev = levels[(true + shift) % 4].astype(object)
    ev[rng.random(n * k) < 0.1] = None
    p = pd.DataFrame({"fn": [f"a{i}" for i in pid], "sn": "b", "dob": "1990-01-01", "ev0": ev,
                      "ev1": np.where(rng.random(n * k) < 0.5, "x", None)})
    p.loc[::50, "dob"] = None  # no date: not a confident match
    est = covariate_disagreement(p)
    # P(two registrations of one person disagree) = 1 - 0.8^2 - 0.2^2/3
    expect = 1 - 0.64 - 0.04 / 3
    m, pairs = est["ev0"]
    assert 900 < pairs < n * 3 and m == pytest.approx(expect, abs=0.05)
    # a covariate that never disagrees gets the floor, not an absolute veto
    assert est["ev1"][0] == splink_model.COVARIATE_M_BOUNDS[0]
    # no confident matches at all: the prior guess
    assert covariate_disagreement(p.assign(dob=None))["ev0"] == (splink_model.COVARIATE_DISAGREEMENT, 0)
    # pseudonymised columns work alike; no evidence columns -> nothing
    tok = p.rename(columns={"fn": "tok_first_name", "sn": "tok_surname", "dob": "tok_date_of_birth"})
    assert covariate_disagreement(tok)["ev0"] == est["ev0"]
    assert covariate_disagreement(p[["fn", "sn", "dob"]]) == {}


def test_sex_nationality_disagreement_and_registration_gap_estimated_from_confident_matches():
    from darkfigure.linkage import splink_model
    from darkfigure.linkage.splink_model import registration_gap_else, sex_nat_disagreement

    rng = np.random.default_rng(7)
    # 500 persons registered twice with a unique name and date; the nationality recorded differently in 10% of
    # registrations (of two values), the sex never; 15% registered again 400-700 days later, the others within
    # 200 days
    n = 500
    pid = np.repeat(np.arange(n), 2)
    nat = np.where(rng.random(2 * n) < 0.1, "XX", "NL").astype(object)
    sex = np.array(["f", "m"], dtype=object)[pid % 2]
    sex[rng.random(2 * n) < 0.05] = None  # missing: no evidence
    day = 19000 + rng.integers(0, 200, 2 * n)
    late = np.repeat(rng.random(n) < 0.15, 2) & (np.arange(2 * n) % 2 == 1)
    day[late] += rng.integers(400, 700, late.sum())
    p = pd.DataFrame({"fn": [f"a{i}" for i in pid], "sn": "b", "dob": "1990-05-05", "sex": sex, "nat": nat,
                      "reg_day": pd.array(day, dtype="Int64")})
    est = sex_nat_disagreement(p, ["sex", "nat", "absent"])
    assert set(est) == {"sex", "nat"}
    # two registrations disagree when exactly one was changed: 2 * 0.1 * 0.9
    assert est["nat"][0] == pytest.approx(0.18, abs=0.05) and est["nat"][1] == n
    # never disagreeing: the floor, not an absolute veto; pairs with a missing sex not counted
    assert est["sex"][0] == splink_model.SEX_NAT_M_BOUNDS[0] and 400 < est["sex"][1] < n
    m, pairs = registration_gap_else(p)
    assert pairs == n and m == pytest.approx(0.15, abs=0.05)
    assert registration_gap_else(p.assign(reg_day=19000))[0] == splink_model.REGISTRATION_GAP_BOUNDS[0]
    # no confident matches (no dates of birth), or no registration dates: the prior guesses
    assert registration_gap_else(p.assign(dob=None)) == (splink_model.REGISTRATION_GAP_ELSE, 0)
    assert registration_gap_else(p.drop(columns="reg_day")) == (splink_model.REGISTRATION_GAP_ELSE, 0)
    assert sex_nat_disagreement(p.assign(dob=None), ["nat"])["nat"] == (splink_model.SEX_NAT_DISAGREEMENT, 0)
    # a name and date shared by more registrations than one person has (a placeholder date) is not confident
    big = pd.DataFrame({"fn": "x", "sn": "y", "dob": "1900-01-01", "nat": ["NL", "XX"] * 15,
                        "reg_day": pd.array(np.arange(30) * 100, dtype="Int64")})
    assert sex_nat_disagreement(big, ["nat"])["nat"][1] == 0 and registration_gap_else(big)[1] == 0


def test_covariate_agreement_among_namesakes():
    from darkfigure.linkage.splink_model import covariate_agreement_among_namesakes

    rng = np.random.default_rng(8)
    # 60 names, each carried by 8 persons born in different years; the form of exploitation follows the name (as it
    # follows the sex a first name implies): each name has its own dominant form (share 0.8 of its persons)
    n_names, per = 60, 8
    name = np.repeat(np.arange(n_names), per)
    dominant = rng.integers(0, 4, n_names)[name]
    form = np.where(rng.random(n_names * per) < 0.8, dominant, rng.integers(0, 4, n_names * per))
    p = pd.DataFrame({"fn": [f"f{i}" for i in name], "sn": "s", "dob_y": (1960 + np.tile(np.arange(per), n_names))
                      .astype(str), "ev0": np.array(["a", "b", "c", "d"], dtype=object)[form]})
    u, pairs = covariate_agreement_among_namesakes(p)["ev0"]
    assert pairs == n_names * per * (per - 1) // 2
    # two namesakes agree with probability 0.85^2 + 3 * 0.05^2 (share 0.8 + 0.2/4 on the dominant form), far more
    # than two random registrations (about 1/4)
    assert u == pytest.approx(0.85**2 + 3 * 0.05**2, abs=0.05)
    # same birth year: not namesakes but possibly one person -> too few pairs, left to random pairs
    assert covariate_agreement_among_namesakes(p.assign(dob_y="1980")) == {}


def test_split_clusters_cuts_a_chain_through_a_weak_pair():
    from darkfigure.linkage.clustering import cluster_links, split_clusters

    # 0-1 one person (0.99); 2 fits 1 (0.6) but not 0 (0.01): connected components make one person of all three
    left, right, p = np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([0.99, 0.6, 0.01])
    dob = np.ones(3, bool)
    assert cluster_links(3, left, right, p, dob, 0.5, split=False).tolist() == [0, 0, 0]
    # logit 0.6 = 0.41 for the merge, against min(-logit 0.01, 2) = 2: 2 stays apart
    assert cluster_links(3, left, right, p, dob, 0.5).tolist() == [0, 0, 2]
    assert split_clusters(np.zeros(3, np.int64), left, right, p).tolist() == [0, 0, 2]
    # a strong pair outweighs one pair against (capped at 2): 4.6 - 2 > 0
    assert split_clusters(np.zeros(3, np.int64), left, right, np.array([0.99, 0.99, 0.01])).tolist() == [0, 0, 0]
    # without the cap the pair against (-4.6) wins over 0.9 (2.2)
    assert split_clusters(np.zeros(3, np.int64), left, right, np.array([0.99, 0.9, 0.01]),
                          max_against=10).tolist() == [0, 0, 2]
    # a pair never scored is neutral: a chain of strong pairs stays one person
    assert split_clusters(np.zeros(3, np.int64), left[:2], right[:2], np.array([0.99, 0.9])).tolist() == [0, 0, 0]
    # the threshold moves the bar: weights are logit p - logit threshold; at 0.1 the pair at 0.6 weighs 2.6 > 2
    assert split_clusters(np.zeros(3, np.int64), left, right, p, threshold=0.1).tolist() == [0, 0, 0]
    # drawn links (accept) are kept as drawn
    assert cluster_links(3, left, right, p, dob, 0.5, accept=np.array([True, True, False])).tolist() == [0, 0, 0]
    # labels of other clusters are untouched and never collide with the new ones
    lab = split_clusters(np.array([0, 0, 0, 1, 1]), np.r_[left, 3], np.r_[right, 4], np.r_[p, 0.9])
    assert lab.tolist() == [0, 0, 2, 3, 3]


def test_sex_and_nationality_agreement_among_namesakes():
    from darkfigure.linkage.splink_model import namesake_agreement

    # 40 names of 6 persons each born in different years: a first name says the sex, a name the nationality
    n_names, per = 40, 6
    name = np.repeat(np.arange(n_names), per)
    p = pd.DataFrame({"fn": [f"f{i}" for i in name], "sn": [f"s{i}" for i in name],
                      "dob_y": (1970 + np.tile(np.arange(per), n_names)).astype(str),
                      "sex": np.where(name % 2 == 0, "f", "m"), "nat": np.array(["nl", "pl", "vn", "ng"])[name % 4]})
    u = namesake_agreement(p, ["sex", "nat"])
    # namesakes always agree: u at its bound 0.99 (random pairs: 0.5 for sex, 0.25 for nationality)
    assert u["sex"][0] == pytest.approx(0.99) and u["sex"][1] == n_names * per * (per - 1) // 2 and u["nat"][0] == pytest.approx(0.99)
    # one namesake in three with another nationality (a second nationality, a recording error)
    q = p.assign(nat=np.where(np.arange(len(p)) % 3 == 0, "de", p["nat"]))
    assert 0.4 < namesake_agreement(q, ["nat"])["nat"][0] < 0.7


def test_split_clusters_dense_kernel_and_heap_agree(monkeypatch):
    import darkfigure.linkage.clustering as clustering

    rng = np.random.default_rng(3)
    # clusters of 1-30 records, half of their pairs scored at random probabilities
    sizes = rng.integers(1, 30, size=150)
    lab = np.repeat(np.arange(sizes.size), sizes)
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    left, right = [], []
    for s0, k in zip(starts, sizes):
        i, j = np.triu_indices(k, 1)
        keep = rng.random(i.size) < 0.5
        left.append(s0 + i[keep])
        right.append(s0 + j[keep])
    left, right = np.concatenate(left), np.concatenate(right)
    p = rng.uniform(0.01, 1, left.size)
    dense = clustering.split_clusters(lab, left, right, p)
    monkeypatch.setattr(clustering, "SPLIT_DENSE_MAX", 0)
    heap = clustering.split_clusters(lab, left, right, p)
    assert np.array_equal(dense, heap) and np.unique(dense).size > np.unique(lab).size
    # a refinement: records of one output cluster share their input cluster
    assert (pd.Series(lab).groupby(dense).nunique() == 1).all()


def test_misspelt_names_blocked_needs_the_two_letter_rule_on_both_names():
    from splink import block_on

    from darkfigure.linkage.splink_model import MISSPELT_NAMES_RULE, misspelt_names_blocked

    assert misspelt_names_blocked([block_on("dob"), "l.dob is null and l.fn = r.fn", MISSPELT_NAMES_RULE])
    # at 200,000 registrations with recurring names the rule is left out: the name features are then not learnt
    assert not misspelt_names_blocked([block_on("dob"), block_on("name_pair"), "l.fn_p2 = r.sn_p2 and l.sn = r.sn"])


def test_registration_features_by_hand():
    from darkfigure.linkage.calibration import registration_features

    records = pd.DataFrame({"reg_day": pd.array([100, 130, None, 100], dtype="Int64"),
                            "org": ["police", "police", "shelter", "ngo"],
                            "ev0": ["adult", "minor", None, "adult"], "ev1": ["sexual", "sexual", "labour", None]})
    z = registration_features(np.array([0, 0, 1]), np.array([1, 2, 3]), records)
    # log(1 + days apart) (0 where a date is missing), one organisation, ev0 and ev1 recorded differently
    assert z == pytest.approx(np.array([[np.log(31), 1, 1, 0],
                                        [0, 0, 0, 1],
                                        [np.log(31), 0, 1, 0]]))
    # no such columns: no features
    assert registration_features(np.array([0]), np.array([1]), records[[]]).shape == (1, 0)


def test_masked_calibration_thinned_fit_does_not_depend_on_pair_order(monkeypatch):
    from scipy.special import expit

    import darkfigure.linkage.calibration as cal

    monkeypatch.setattr(cal, "MASKED_FIT_MAX", 500)
    rng = np.random.default_rng(11)
    m = 4000
    lp = rng.normal(0.0, 3.0, m)
    both = rng.random(m) < 0.7
    log_bf = rng.normal(0.0, 4.0, int(both.sum()))
    p = expit(lp)
    p[both] = expit(lp[both] + log_bf)
    q = np.full(m, 0.5)
    q[both] = expit(-0.5 + 1.2 * lp[both])
    order = rng.permutation(m)  # e.g. left * n + right
    out, ab = cal.apply_masked_calibration(p, both, q, log_bf, None, order)
    perm = rng.permutation(m)
    inv = np.argsort(perm)
    bperm = both[perm]
    # the dated pairs' log Bayes factors follow their pairs
    bf_full = np.full(m, np.nan)
    bf_full[both] = log_bf
    out2, ab2 = cal.apply_masked_calibration(p[perm], bperm, q[perm], bf_full[perm][bperm], None, order[perm])
    assert ab2 == pytest.approx(ab, rel=1e-6)
    assert out2[inv] == pytest.approx(out, rel=1e-6)
    assert ab == pytest.approx((-0.5, 1.2), abs=0.1)


def test_dated_calibration_is_identified_by_the_dates():
    """dated_date_calibration recovers how often the evidence beside the date is one person, from the date levels."""
    from scipy.special import expit, logit

    from darkfigure.linkage.calibration import apply_dated_calibration, dated_date_calibration

    rng = np.random.default_rng(3)
    m = 40_000
    x = rng.normal(0.0, 2.5, m)  # evidence without the date (model's logit, prior included)
    x = x[x >= logit(0.01)]  # the pairs that qualify for the fit (apply_dated_calibration's filter)
    m = x.size
    match = rng.random(m) < expit(0.8 + 0.7 * x)  # the truth: the model's x is off by a = 0.8, b = 0.7
    # date levels: exact (m 0.9, u 0.001), year off (m 0.07, u 0.05), else (m 0.03, u 0.949)
    mk, uk = np.array([0.9, 0.07, 0.03]), np.array([0.001, 0.05, 0.949])
    level = np.where(match, rng.choice(3, m, p=mk), rng.choice(3, m, p=uk))
    bf = np.log(mk / uk)[level]
    a, b = dated_date_calibration(x, bf)
    assert dated_date_calibration(x, bf, free_slope=True) == pytest.approx((0.8, 0.7), abs=0.1)
    # b = 1 by default: a logit shift
    assert b == 1.0 and -1.0 < a < 2.0
    # the posterior it gives the pairs
    p = expit(x + bf)
    both = np.ones(m, bool)
    q = apply_dated_calibration(p, both, np.full(m, 0.5), bf)
    assert logit(q) == pytest.approx(a + b * x + bf, abs=1e-6)
    # where the dates cannot tell (no level against a match) nothing is fitted and q is kept
    assert np.isnan(dated_date_calibration(x[:100], np.abs(bf[:100]))[0])


def test_masked_calibration_without_pairs_returns_nan():
    """No qualifying pair (every dated pair below the minimum probability): nan, not a reshape error."""
    from darkfigure.linkage.calibration import masked_date_calibration

    empty = np.zeros(0)
    got = masked_date_calibration(empty, empty, empty, features=np.zeros((0, 3)))
    assert len(got) == 5 and np.isnan(got).all()
    assert np.isnan(masked_date_calibration(empty, empty, empty, features=empty)).all()
