"""Missing dates of birth as a person's trait: θ̂, the shares s_O and the likelihood ratio (undated_trait; tester 18a).

Synthetic prepared registrations of test_undated_mechanism (names from small pools, four organisations with
different undated rates; a share of the persons undated everywhere). The scored pairs are the true ones with
probability 1, so D counts the one-person both-dated pairs exactly.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.undated_draws import undated_model
from darkfigure.linkage.undated_trait import (
    TRAIT_Z,
    applied_trait,
    draw_shares,
    point_trait,
    trait_estimate,
    trait_record,
    with_trait_odds,
)
from test_undated_mechanism import _prep


def _true_edges(person: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of registrations of one person, probability 1."""
    left, right = [], []
    for rows in pd.Series(np.arange(person.size)).groupby(person).apply(list):
        for a, b in combinations(rows, 2):
            left.append(a)
            right.append(b)
    return np.array(left, dtype=np.int64), np.array(right, dtype=np.int64), np.ones(len(left))


@pytest.mark.parametrize("seed", [1, 2])
def test_theta_recovers_the_share_of_persons_undated_everywhere(seed):
    prep, person = _prep(seed, 0.2, 0.5, persons=4000)  # trait share of persons: 0.2 * 0.5 = 0.1
    est = trait_estimate(prep, *_true_edges(person), seed=seed)
    assert est["applied"] and est["z"] >= TRAIT_Z
    assert abs(est["theta"] - 0.1) < max(3 * est["se"], 0.02), est
    assert 0 < est["se"] < 0.05
    # s_O = 1 - θ / u_O: the share of O's undated registrations whose person can be dated
    for o, u in est["u"].items():
        assert est["s"][o] == pytest.approx(max(0.0, 1 - est["theta"] / u))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_registration_level_missingness_changes_nothing(seed):
    prep, person = _prep(seed, 0.2, 0.0)
    edges = _true_edges(person)
    est = trait_estimate(prep, *edges, seed=seed)
    assert abs(est["theta"]) < 0.03
    assert not est["applied"] and all(v == 1.0 for v in est["s"].values())
    has_dob = prep["dob_day"].notna().to_numpy()
    out, est2 = point_trait(prep, edges, has_dob, seed)
    assert out is edges and applied_trait(est2) is None
    assert with_trait_odds(prep["org"].to_numpy(), has_dob, *edges, est) is edges[2]


def test_likelihood_ratios_of_the_date_patterns_against_both_dated():
    est = {"applied": True, "theta": 0.1, "u": {"a": 0.2, "b": 0.3}}
    orgs = np.array(["a", "b", "a", "b"])
    has_dob = np.array([False, False, True, True])
    left, right = np.array([0, 0, 2, 1]), np.array([1, 2, 3, 3])
    p = np.array([0.2, 0.2, 0.2, 0.2])
    out = with_trait_odds(orgs, has_dob, left, right, p, est)
    lr = 1 + 0.1 * 0.8 * 0.7 / (0.9 * 0.2 * 0.3)  # 1 + θ(1-u)(1-u') / ((1-θ) u u')
    rho_a, rho_b = (0.2 - 0.1) / 0.9, (0.3 - 0.1) / 0.9
    assert lr == pytest.approx((0.1 + 0.9 * rho_a * rho_b) / (0.2 * 0.3))  # the mixture's P(both undated | match)
    dated = 1 / 0.9  # both dated: (1-θ)(1-rho)(1-rho') / ((1-u)(1-u'))
    assert out[0] / (1 - out[0]) == pytest.approx(0.25 * lr / dated)
    # an undated of a with a dated of a: (1-θ) rho_a (1-rho_a) / (u_a (1-u_a)) against both dated: s_a = 1 - θ/u_a
    mixed = 0.9 * rho_a * (1 - rho_a) / (0.2 * 0.8)
    assert out[1] / (1 - out[1]) == pytest.approx(0.25 * mixed / dated) == pytest.approx(0.25 * (1 - 0.1 / 0.2))
    assert out[3] / (1 - out[3]) == pytest.approx(0.25 * (1 - 0.1 / 0.3))  # undated of b with a dated one
    assert out[2] == p[2]  # two dated ones: unchanged
    assert with_trait_odds(orgs, has_dob, left, right, p, {**est, "applied": False}) is p


def test_both_undated_pairs_compete_among_undated_candidates_only():
    from darkfigure.linkage.clustering import compete_missing_dates
    from darkfigure.linkage.undated_trait import compete_with_trait

    # registration 0 undated; 1 undated (its twin), 2 and 3 dated namesakes
    has_dob = np.array([False, False, True, True])
    edges = (np.array([0, 0, 0]), np.array([1, 2, 3]), np.array([0.6, 0.4, 0.4]))
    plain = compete_missing_dates(4, *edges, has_dob, 0.5)
    off = compete_with_trait(compete_missing_dates, 4, edges, has_dob, 0.5, {"applied": False})
    on = compete_with_trait(compete_missing_dates, 4, edges, has_dob, 0.5, {"applied": True})
    assert np.array_equal(off[2], plain)
    assert on[2][0] == pytest.approx(0.6) and on[2][0] > plain[0]  # no dated namesake competes for the pair
    assert np.array_equal(on[2][1:], plain[1:])


def test_shares_lower_the_matched_undated_registrations_and_draws_vary_theta(monkeypatch):
    import darkfigure.linkage.undated_draws as ud

    monkeypatch.setattr(ud, "LOG_C_SD", None)  # the exact calibration (two undated registrations: no shrinkage)
    records = pd.DataFrame({"organisation": ["a", "a", "b", "b", "a", "b"],
                            "has_date_of_birth": [True, True, True, True, False, False]})
    pairs = pd.DataFrame({"record_l": [0, 2, 4, 4, 5], "record_r": [2, 1, 0, 3, 1],
                          "match_probability": [0.99, 0.3, 0.5, 0.4, 0.6]})
    labels = np.array([0, 1, 0, 2, 3, 4])

    def matched(m):
        und = ~records["has_date_of_birth"].to_numpy()
        s = m.fit[0][und]
        return float(np.sum(s / (m.kappa[und] + s)))

    base = undated_model(records, pairs, labels)
    est = {"applied": True, "theta": 0.1, "se": 0.02, "u": {"a": 0.2, "b": 0.2}}
    assert np.array_equal(base.kappa, undated_model(records, pairs, labels, {**est, "applied": False}).kappa)
    half = undated_model(records, pairs, labels, est)  # s = 1 - 0.1 / 0.2 = 0.5
    q = np.array([base.q["a"], base.q["b"]])
    assert matched(base) == pytest.approx(q.sum(), rel=1e-6)
    assert matched(half) == pytest.approx(0.5 * q.sum(), rel=1e-6)
    est = {**est, "u": {"a": 0.2, "b": 0.4}}
    sh = draw_shares(est, 400, np.random.default_rng(1))
    a = np.array([d["a"] for d in sh])
    assert len(sh) == 400 and a.std() > 0.05 and abs(a.mean() - 0.5) < 0.02
    assert draw_shares({**est, "applied": False}, 5, np.random.default_rng(1)) is None


def test_trait_record_is_json_safe():
    import json

    est = {"theta": float("nan"), "se": float("nan"), "z": 1.0, "ratio": 1.0, "observed": 0.0, "expected": 0.0,
           "dated_matches": 0.0, "applied": False, "u": {"a": 0.1}, "s": {"a": 1.0}}
    rec = trait_record({"ratio": 1.0}, est)
    assert rec["trait"]["theta"] is None and json.loads(json.dumps(rec))["trait"]["s"] == {"a": 1.0}
    assert trait_record(None, est) is None


def test_a_unit_of_several_undated_registrations_rarely_has_a_dated_one():
    """Bayes under the mixture: k undated registrations of one person point to the trait (unit_kappa)."""
    from darkfigure.linkage.undated_draws import unit_kappa

    records = pd.DataFrame({"organisation": ["a", "b", "a", "b", "a", "b", "a", "b"],
                            "has_date_of_birth": [True, True, False, False, False, True, True, True]})
    pairs = pd.DataFrame({"record_l": [2, 3, 4, 2], "record_r": [0, 1, 5, 3],
                          "match_probability": [0.5, 0.5, 0.5, 0.9]})
    labels = np.array([0, 1, 2, 2, 3, 4, 0, 1])  # 2 and 3: one undated person (a unit of two); q_a = q_b = 0.5
    est = {"applied": True, "theta": 0.1, "se": 0.0, "u": {"a": 0.2, "b": 0.3}}
    m = undated_model(records, pairs, labels, est)
    plain = undated_model(records, pairs, labels)
    unit = m.fit[3]
    k = unit_kappa(m, unit, int(unit.max()) + 1)
    two, one = unit[2], unit[4]
    assert unit[3] == two and unit[4] != two
    rho = np.array([(0.2 - 0.1) / 0.9, (0.3 - 0.1) / 0.9])
    s2 = 0.9 * rho.prod() / (0.1 + 0.9 * rho.prod())
    q = (m.fit[1][2] + m.fit[1][3]) / 2
    assert k[two] == pytest.approx(m.c * (1 - q * s2) / (q * s2))
    assert k[one] == pytest.approx(m.kappa[4])  # one registration: s_O = 1 - θ / u_O, as the shares say
    assert unit_kappa(plain, unit, int(unit.max()) + 1)[two] == pytest.approx((plain.kappa[2] + plain.kappa[3]) / 2)


def test_trait_notes_only_when_applied():
    from darkfigure.linkage.undated_trait import trait_notes

    est = {"applied": True, "theta": 0.106, "se": 0.014, "z": 16.3, "s": {"a": 0.35, "b": 0.5}}
    assert "10.6%" in trait_notes(est)[0] and "a 0.35" in trait_notes(est)[0]
    assert trait_notes({**est, "applied": False}) == [] and trait_notes(None) == []


def test_clustering_warning_reworded_when_the_trait_is_applied():
    from darkfigure.linkage.undated_trait import CLUSTER_WARNING_START, trait_warnings

    old = CLUSTER_WARNING_START + " (...): the linkage correction assumes they do not, so N̂ corrected may be too low"
    said = [old, "another warning"]
    assert trait_warnings(said, None) == said
    assert trait_warnings(said, {"applied": False}) == said
    new = trait_warnings(said, {"applied": True, "theta": 0.104, "se": 0.012})
    assert new[1] == "another warning" and new[0].startswith(CLUSTER_WARNING_START)
    assert "10.4%" in new[0] and "assumes they do not" not in new[0] and "interval, not the point" in new[0]


def test_undated_shares_count_the_named_registrations_only():
    # review s18 L3: nameless rows (and default identities, their date blanked) are undated at 100% and inflated
    # u_O, which T and E (named rows) never see
    prep, person = _prep(1, 0.2, 0.5, persons=4000)
    edges = _true_edges(person)
    est = trait_estimate(prep, *edges, seed=1)
    org0 = str(prep["org"].iloc[0])
    extra = prep[prep["org"].astype(str) == org0].head(400).copy()
    extra[["fn", "sn"]] = None
    extra["dob_day"] = pd.array([pd.NA] * len(extra), dtype="Int64")
    more = pd.concat([prep, extra], ignore_index=True)
    est2 = trait_estimate(more, *edges, seed=1)
    assert est2["u"][org0] == pytest.approx(est["u"][org0])
    assert est2["theta"] == pytest.approx(est["theta"])


def test_an_organisation_that_records_every_date_does_not_switch_the_trait_off():
    """Tester 21a H1: a 6th organisation with two dated registrations (or one that records every date) set the
    cap of θ to 0 (u_O 0 bounded it), so the correction was silently not applied. It applies now, with the same θ̂,
    and the note names the organisation."""
    from darkfigure.linkage.undated_trait import _theta_cap, draw_thetas, trait_notes

    prep, person = _prep(1, 0.2, 0.5, persons=4000)
    edges = _true_edges(person)
    est = trait_estimate(prep, *edges, seed=1)
    assert est["applied"]
    # two dated registrations of two persons, by a new organisation
    extra = prep.iloc[[int(np.flatnonzero(prep["dob_day"].notna().to_numpy())[i]) for i in (0, 1)]].copy()
    extra["org"] = "church"
    prep2 = pd.concat([prep, extra], ignore_index=True)
    est2 = trait_estimate(prep2, *edges, seed=1)
    assert est2["u"]["church"] == 0.0 and est2["unbounding"] == ["church"]
    assert est2["applied"] and est2["theta"] == pytest.approx(est["theta"], abs=0.01)
    assert est2["s"]["church"] == 1.0
    assert "'church' record(s) a date of birth" in trait_notes(est2)[0]
    assert _theta_cap({"a": 0.2, "b": 0.0}, {"a": 50, "b": 0}) == pytest.approx(0.19)
    assert _theta_cap({"a": 0.2, "b": 0.02}, {"a": 50, "b": 3}) == pytest.approx(0.19)  # 3 undated: no bound
    assert _theta_cap({"a": 0.2, "b": 0.05}, {"a": 50, "b": 10}) == pytest.approx(0.04)
    assert _theta_cap({"a": 0.2, "b": 0.0}) == pytest.approx(0.19)  # a record read back without the counts
    rec = trait_record({"z": 1.0}, est2)["trait"]
    assert rec["undated"]["church"] == 0 and rec["unbounding"] == ["church"]
    th = draw_thetas(est2, 200, np.random.default_rng(0))
    assert th.max() > 0.05
