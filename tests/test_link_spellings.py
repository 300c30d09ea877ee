"""Linked persons keep the organisations' spelling of sex and nationality (``female``, ``V``), not ``f``/``m``.

Linkage compares the normalised values; the persons and capture histories it writes carry, for
each normalised value, its most common original spelling in the whole file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.linkage import link, persons_from_links, simulate_registrations
from darkfigure.linkage.persons import _normalise_covariates


def _regs(sex, nationality=None, org=None):
    n = len(sex)
    return pd.DataFrame({
        "record_id": [str(i) for i in range(n)],
        "organisation": org or ["a", "b"] * (n // 2) + ["a"] * (n % 2),
        "registration_date": [f"2023-01-{i + 1:02d}" for i in range(n)],
        "sex": sex,
        **({"nationality": nationality} if nationality is not None else {}),
    })


def test_dutch_coding_is_kept():
    regs = _regs(["V", "M", "v", "M", "V", "onbekend"])
    p, h = persons_from_links(regs, ["p1", "p2", "p1", "p3", "p4", "p5"], covariates=["sex"])
    assert p["sex"].tolist()[:4] == ["V", "M", "M", "V"]  # "v" counts as "V"
    assert pd.isna(p["sex"].iloc[4])  # "onbekend" is unknown
    assert set(h.levels["sex"]) == {"V", "M"}


def test_two_codings_give_one_spelling_per_value():
    # the organisations spell f as "female" (3 times) and "V" (2 times), m as "M" (2) and "male" (1)
    sex = ["V", "female", "female", "M", "V", "female", "male", "M"]
    pid = ["x", "x", "y", "z", "w", "v", "u", "u"]
    p, _ = persons_from_links(_regs(sex), pid, covariates=["sex"])
    assert sorted(set(p["sex"])) == ["M", "female"]  # the commoner spelling of each value, for every person
    by_person = dict(zip(pd.unique(pd.Series(pid)), p["sex"]))
    assert by_person["x"] == "female"  # "V" and "female": one value, spelled as most registrations spell it
    assert by_person["w"] == "female"  # only "V" registrations, still the file's spelling of that value
    assert by_person["u"] == "M"


def test_tie_between_spellings_goes_to_the_first_met_and_blanks_are_dropped():
    out = _normalise_covariates(pd.DataFrame({"sex": [" male ", "M", "F", "f", None],
                                              "nationality": ["nl", "NL", "PL", "pl ", ""]}))
    assert out["sex"].tolist()[:4] == ["male", "male", "F", "F"]
    assert out["sex"].isna().tolist() == [False, False, False, False, True]
    assert out["nationality"].tolist()[:4] == ["nl", "nl", "PL", "PL"]
    assert pd.isna(out["nationality"].iloc[4])


def test_the_most_frequent_value_is_still_chosen_on_the_normalised_values():
    # person x: f twice ("V", "female"), m three times ("M", "male", "m"): m, spelled "M" as most of the file
    sex = ["V", "M", "female", "male", "m", "M"]
    p, _ = persons_from_links(_regs(sex), ["x"] * 5 + ["y"], covariates=["sex"])
    assert p["sex"].tolist() == ["M", "M"]


@pytest.mark.parametrize("coding", [{"female": "V", "male": "M"}, {"female": "Female", "male": "Male"}])
def test_link_writes_the_files_spelling(tmp_path, coding):
    sim = simulate_registrations("clearing_house", seed=5, scale=0.05)
    frames = []
    for org, part in sim.registrations.groupby("organisation", sort=False):
        part = part.assign(sex=part["sex"].map(lambda v: coding.get(v, v)))
        path = tmp_path / f"{org}.csv"
        part.to_csv(path, index=False)
        frames.append(path)
    res = link(frames, truth="true_person_id", max_pairs=2e5, seed=0)
    written = set(res.persons["sex"].dropna())
    assert written == set(coding.values())
    assert set(res.histories.levels["sex"]) == set(coding.values())
    # the records kept for re-clustering carry the same spelling
    assert set(res.records["sex"].dropna()) == set(coding.values())
