"""Dates derived from an age are no placeholders (tester 19a): an organisation that writes 1 July of (registration
year - age) puts one birth year's date on 5-7% of its registrations, which the placeholder rule read as a default
date and compared as missing, while the age rule compared the same dates by year. Synthetic data only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from darkfigure.linkage.placeholder_dates import frequent_dates


def _age_org(seed: int, n: int = 400, day_month: str = "07-01") -> pd.DataFrame:
    """One organisation writing day_month of (2023 - age) for n persons aged 14-40 (peaked near 22), own names."""
    rng = np.random.default_rng(seed)
    age = np.clip(np.round(rng.gamma(6.0, 1.0, n) + 16), 14, 40).astype(int)
    return pd.DataFrame({"organisation": "inspectie", "first_name": [f"f{i}" for i in range(n)],
                         "surname": [f"s{i}" for i in range(n)],
                         "date_of_birth": [f"{2023 - a}-{day_month}" for a in age]})


def _frequent(df: pd.DataFrame) -> pd.DataFrame:
    return frequent_dates(df["organisation"].to_numpy(), df["date_of_birth"].to_numpy(),
                          df["first_name"].to_numpy(), df["surname"].to_numpy())


def test_one_birth_year_of_an_age_convention_is_no_placeholder():
    for seed in range(5):
        df = _age_org(seed)
        peak = df["date_of_birth"].value_counts().iloc[0]
        assert peak >= 0.05 * len(df)  # the placeholder rule's bound alone would take it
        assert _frequent(df).empty


def test_a_default_date_on_an_age_convention_day_month_stays_a_placeholder():
    df = _age_org(1, day_month="01-01")
    extra = pd.DataFrame({"organisation": "inspectie", "first_name": [f"g{i}" for i in range(120)],
                          "surname": [f"t{i}" for i in range(120)], "date_of_birth": "1990-01-01"})
    t = _frequent(pd.concat([df, extra], ignore_index=True))
    assert list(t["date_of_birth"]) == ["1990-01-01"]
    # and a date that is no age convention's keeps the rule as before
    other = pd.DataFrame({"organisation": "b", "first_name": [f"h{i}" for i in range(30)],
                          "surname": [f"u{i}" for i in range(30)], "date_of_birth": "1950-02-02"})
    t2 = _frequent(pd.concat([df, other], ignore_index=True))
    assert list(t2["date_of_birth"]) == ["1950-02-02"]
