"""Whether missing dates of birth cluster in persons (darkfigure.linkage.undated_mechanism; tester 16a, H1-H2).

Synthetic prepared registrations: persons with names from small pools (so name groups hold one-person pairs and
namesake pairs), registered by 1-3 of four organisations with different undated rates. Under registration-level
missingness R stays near 1; with half the missing dates a person's trait R is far above 1 and link warns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.date_conflicts import model_checks
from darkfigure.linkage.undated_mechanism import (
    R_WARNING,
    SHARE_WARNING,
    Z_WARNING,
    undated_clustering,
    undated_clustering_messages,
)
from darkfigure.report.explain import explain

ORG_RATE = {"a": 0.6, "b": 1.0, "c": 1.4, "d": 0.8}  # multipliers of the undated share per organisation


def _prep(seed: int, undated: float, person_share: float, persons: int = 3000,
          year_effect: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Prepared registrations and their true person ids: `undated` is the target share of undated registrations,
    `person_share` the part of it that is a person's trait (undated at every organisation). Each person's case
    falls in one of two registration years; with `year_effect` the registration-level missingness is three times
    as high in the first year as the average and none in the second (a register that began recording dates)."""
    rng = np.random.default_rng(seed)
    case = rng.integers(0, 2, persons)
    fn = rng.integers(0, 25, persons)
    sn = rng.integers(0, 120, persons)
    sex = rng.integers(0, 2, persons)
    nat = rng.integers(0, 3, persons)
    trait = rng.random(persons) < undated * person_share
    rows = []
    orgs = list(ORG_RATE)
    for i in range(persons):
        for o in rng.choice(orgs, size=int(rng.integers(1, 4)), replace=False):
            rate = undated * (1 - person_share) * ORG_RATE[o] * ((3.0 if case[i] == 0 else 0.0) if year_effect else 1)
            reg = rng.random() < rate
            day = 18628 + 365 * case[i] + int(rng.integers(0, 300))  # 2021 or 2022
            rows.append((f"f{fn[i]}", f"s{sn[i]}", "MF"[sex[i]], f"n{nat[i]}", o, trait[i] or reg, i, day))
    d = pd.DataFrame(rows, columns=["fn", "sn", "sex", "nat", "org", "undated", "person", "reg_day"])
    d["reg_day"] = d["reg_day"].astype("Int64")
    d["dob_day"] = pd.array(np.where(d["undated"], np.nan, 5000.0 + d["person"]), dtype="Int64")
    return d.drop(columns=["undated", "person"]), d["person"].to_numpy()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_registration_level_missingness_gives_r_near_one(seed):
    prep, _ = _prep(seed, 0.2, 0.0)
    c = undated_clustering(prep)
    assert c["pairs"] > 1000 and c["undated_pairs"] > 50
    assert abs(c["z"]) < Z_WARNING
    assert abs(c["ratio"] - 1) < 3 * c["se"] + 1e-9
    assert undated_clustering_messages(c)[0] == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_person_trait_missingness_gives_r_above_threshold(seed):
    prep, _ = _prep(seed, 0.2, 0.5)
    c = undated_clustering(prep)
    assert c["ratio"] > R_WARNING and c["z"] > Z_WARNING
    warnings, notes = undated_clustering_messages(c)
    assert len(warnings) == 1 and "cluster in persons" in warnings[0] and "too low" in warnings[0]
    assert len(notes) == 1 and f"R = {c['ratio']:.2f}" in notes[0]


def test_expected_count_matches_permutations_of_the_flags():
    """E and sd(T) against a permutation of the undated flags within organisation (sd: the Bernoulli one is a
    little larger than the permutation's; within 35%)."""
    prep, _ = _prep(7, 0.2, 0.0, persons=1500)
    c = undated_clustering(prep)
    rng = np.random.default_rng(11)
    und = prep["dob_day"].isna().to_numpy()
    org = prep["org"].to_numpy()
    ts = []
    for _ in range(150):
        u2 = und.copy()
        for o in ORG_RATE:
            i = np.flatnonzero(org == o)
            u2[i] = rng.permutation(und[i])
        q = prep.assign(dob_day=pd.array(np.where(u2, np.nan, 1.0), dtype="Int64"))
        ts.append(undated_clustering(q)["observed"])
    ts = np.asarray(ts)
    sd = c["se"] * c["expected"]
    assert abs(ts.mean() - c["expected"]) < 3 * ts.std(ddof=1) / np.sqrt(len(ts))
    assert 0.9 * ts.std(ddof=1) < sd < 1.35 * ts.std(ddof=1)


def test_missingness_that_changes_by_year_is_not_a_person_trait():
    """A register that records dates only from its second year: undated registrations cluster in the first year,
    which the names alone would read as a person trait; shares and groups by year do not."""
    prep, _ = _prep(6, 0.15, 0.0, year_effect=True)
    by_year = undated_clustering(prep)
    names_only = undated_clustering(prep, by_year=False)
    assert names_only["ratio"] > R_WARNING and names_only["z"] > Z_WARNING
    assert abs(by_year["z"]) < Z_WARNING and undated_clustering_messages(by_year)[0] == []


def test_unweighted_ratio_and_pair_counts():
    """Unweighted: T counts the both-undated pairs of different organisations exactly."""
    prep = pd.DataFrame({"fn": ["a", "a", "a", "b", "b"], "sn": ["x"] * 5, "org": ["o1", "o2", "o2", "o1", "o2"],
                         "dob_day": pd.array([None, None, None, 1, None], dtype="Int64")})
    c = undated_clustering(prep, weighted=False)
    # group a: pairs (0,1), (0,2) both undated; group b: (3,4) not; same-organisation (1,2) not counted
    assert c["pairs"] == 3 and c["undated_pairs"] == 2 and c["observed"] == pytest.approx(2.0)
    u1, u2 = 1 / 2, 3 / 3
    assert c["expected"] == pytest.approx(2 * u1 * u2 + u1 * u2)


def test_small_undated_share_only_notes():
    prep, _ = _prep(4, 0.03, 0.5)
    c = undated_clustering(prep)
    assert c["undated_share"] < SHARE_WARNING
    w, n = undated_clustering_messages(c)
    assert w == [] and (n == [] or "R =" in n[0])


def test_nothing_to_compare_and_missing_columns():
    prep = pd.DataFrame({"fn": ["a", "b"], "sn": ["x", "y"], "org": ["o1", "o2"],
                         "dob_day": pd.array([None, 1], dtype="Int64")})
    c = undated_clustering(prep)
    assert c["pairs"] == 0 and np.isnan(c["ratio"])
    assert undated_clustering_messages(c) == ([], [])
    with pytest.raises(ValueError, match="org"):
        undated_clustering(prep.drop(columns=["org"]))


def test_model_checks_carry_the_warning_and_explain_knows_it():
    prep, person = _prep(5, 0.2, 0.5)
    errors = pd.DataFrame({"organisation_l": ["a"], "organisation_r": ["b"], "false_links": [0.0],
                           "missed_links": [0.0]})
    warnings, notes = model_checks(prep, person, errors, None)
    said = [w for w in warnings if "cluster in persons" in w]
    assert len(said) == 1
    assert any("pairs both undated" in n for n in notes)
    assert explain(said[0]).key == "link-undated-cluster-in-persons"
    prep0, person0 = _prep(5, 0.2, 0.0)
    assert not [w for w in model_checks(prep0, person0, errors, None)[0] if "cluster in persons" in w]
