"""A date of birth carried by far more persons of one organisation than its dates of those birth years give by chance
is a placeholder (tester 20a, M3: the police wrote 1990-01-01 for three whole groups, 60 names of 1,255 dated
registrations, below the 5% rule; the groups' members were linked to each other). Synthetic data only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.placeholder_dates import frequent_dates


def _register(n: int, seed: int, jan1: float = 0.15, org: str = "police") -> pd.DataFrame:
    """`n` persons of one organisation with their own names, born around 1993 (sd 8 years); a share `jan1` with
    1 January of their birth year (an age convention), the others on any day."""
    rng = np.random.default_rng(seed)
    year = np.round(rng.normal(1993, 8, n)).astype(int)
    day = pd.to_datetime(year.astype(str) + "-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    dob = np.where(rng.random(n) < jan1, [f"{y}-01-01" for y in year], day.strftime("%Y-%m-%d"))
    return pd.DataFrame({"organisation": org, "first_name": [f"f{seed}_{i}" for i in range(n)],
                         "surname": [f"s{seed}_{i}" for i in range(n)], "date_of_birth": dob})


def _group(date: str, k: int, org: str = "police", tag: str = "g") -> pd.DataFrame:
    """`k` persons of different names all written with `date`."""
    return pd.DataFrame({"organisation": org, "first_name": [f"{tag}{i}" for i in range(k)],
                         "surname": [f"{tag}s{i % 4}" for i in range(k)], "date_of_birth": date})


def _frequent(df: pd.DataFrame) -> pd.DataFrame:
    return frequent_dates(df["organisation"].to_numpy(), df["date_of_birth"].to_numpy(), df["first_name"].to_numpy(),
                          df["surname"].to_numpy())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_group_on_one_plausible_date_below_five_per_cent_is_a_placeholder(seed):
    df = pd.concat([_register(1200, seed), _group("1990-01-01", 55)], ignore_index=True)
    assert 55 < 0.05 * len(df)  # the share rule alone does not take it
    t = _frequent(df)
    assert list(t["date_of_birth"]) == ["1990-01-01"] and list(t["organisation"]) == ["police"]
    assert int(t["names"].iloc[0]) >= 55 and float(t["expected"].iloc[0]) < 15


def test_any_day_of_the_year_and_the_note_names_organisation_date_and_count():
    from darkfigure.linkage.prepare import _prepare_plain, _read_inputs

    police = pd.concat([_register(1500, 4, jan1=0.0), _group("1985-03-15", 20)], ignore_index=True)
    other = _register(400, 5, org="shelter")
    for f in (police, other):
        f["record_id"] = [f"r{i}" for i in range(len(f))]
        f["registration_date"], f["sex"], f["nationality"] = "2022-05-01", "F", "NL"
    df, _ = _read_inputs([police, other])
    notes = " ".join(df.attrs["notes"])
    assert "'police': 1985-03-15 on 20 of its" in notes and "20 different names" in notes and "expected" in notes
    prep = _prepare_plain(df.reset_index(drop=True))
    hit = (df["organisation"].astype(str) == "police").to_numpy() & (df["date_of_birth"] == "1985-03-15").to_numpy()
    assert hit.sum() == 20 and prep["dob"][hit].isna().all()
    assert prep["dob"][~hit & df["date_of_birth"].notna().to_numpy()].notna().all()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_twins_triplets_and_a_few_shared_dates_in_a_large_register_are_no_placeholders(seed):
    big = _register(40000, seed, jan1=0.05)
    extra = pd.concat([_group("1994-06-12", 2, tag="twin"), _group("1991-09-03", 3, tag="trip"),
                       _group("1993-05-05", 6, tag="few")], ignore_index=True)
    assert _frequent(pd.concat([big, extra], ignore_index=True)).empty


@pytest.mark.parametrize("seed", [1, 2])
def test_a_one_january_age_convention_over_many_years_is_no_placeholder(seed):
    # every date 1 January of (registration year - age): hundreds per birth year, heaped on round ages
    rng = np.random.default_rng(seed)
    n = 3000
    age = np.clip(np.round(rng.gamma(6.0, 2.5, n) + 14), 14, 60).astype(int)
    age = np.where((rng.random(n) < 0.2) & (age > 20), np.round(age / 10) * 10, age).astype(int)
    reg = rng.integers(2021, 2024, n)
    df = pd.DataFrame({"organisation": "inspectie", "first_name": [f"f{i}" for i in range(n)],
                       "surname": [f"s{i}" for i in range(n)], "date_of_birth": [f"{r - a}-01-01" for r, a in
                                                                                 zip(reg, age)]})
    assert _frequent(df).empty


def test_the_simulator_has_no_spike():
    from darkfigure.linkage import simulate_registrations

    for setting, seed in (("recurring_names", 1), ("dob_errors", 2), ("large_register", 3)):
        sim = simulate_registrations("clearing_house", seed=seed, scale=3, errors=setting)
        assert _frequent(pd.concat(list(sim.files().values()), ignore_index=True)).empty


def test_a_cohort_born_in_one_year_has_no_spikes():
    """Review s20 L1: an organisation whose persons are all born in one year (10,000 in 2007) read 18 ordinary
    birthdays as placeholders (the neighbouring years' windows spread its daily rate over three years)."""
    rng = np.random.default_rng(4)
    n = 10_000
    day = pd.Timestamp("2007-01-01") + pd.to_timedelta(rng.integers(0, 365, n), unit="D")
    df = pd.DataFrame({"organisation": "youth", "first_name": [f"f{i}" for i in range(n)],
                       "surname": [f"s{i}" for i in range(n)], "date_of_birth": day.strftime("%Y-%m-%d")})
    assert len(_frequent(df)) == 0
    # a real spike inside the cohort is still found: 120 persons on one day against about 27
    spiked = pd.concat([df, _group("2007-05-04", 120, org="youth")], ignore_index=True)
    assert "2007-05-04" in set(_frequent(spiked)["date_of_birth"])
