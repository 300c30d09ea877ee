"""The age-derived-date detector counts persons, not names (tester 18a, M2 and L3): with Zipf-shared names the
distinct names of an organisation undercounted its dated persons and the detector fired on 9 of 10 populations
without age-derived dates; names without letters (emoji) collapsed into a few "persons". Synthetic data only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from darkfigure.linkage.age_dates import age_day_months


def _persons(n: int, names: int, seed: int) -> pd.DataFrame:
    """n persons drawing their name from `names` names (heavily shared) and a uniform date of birth 1960-2004."""
    rng = np.random.default_rng(seed)
    day = pd.Timestamp("1960-01-01") + pd.to_timedelta(rng.integers(0, 45 * 365, n), unit="D")
    return pd.DataFrame({"person": np.arange(n), "first_name": [f"Ana{chr(97 + i % 26)}{chr(97 + i // 26)}"
                                                                  for i in rng.zipf(1.3, n) % names],
                         "surname": "Smit", "date_of_birth": day.strftime("%Y-%m-%d")})


def _run(df: pd.DataFrame) -> pd.DataFrame:
    return age_day_months(df["organisation"].to_numpy(), df["date_of_birth"].to_numpy(), df["first_name"].to_numpy(),
                          df["surname"].to_numpy())


def test_shared_names_are_not_an_age_convention():
    p = _persons(3000, 60, seed=1)
    rng = np.random.default_rng(2)
    # three organisations register overlapping persons (a person registered by several counts once when pooled)
    frames = [p[rng.random(len(p)) < share].assign(organisation=o) for o, share in
              (("police", 0.6), ("ngo", 0.5), ("shelter", 0.3))]
    df = pd.concat(frames, ignore_index=True)
    assert _run(df).empty


def test_a_real_convention_is_still_found_with_shared_names():
    p = _persons(3000, 60, seed=3)
    rng = np.random.default_rng(4)
    df = pd.concat([p[rng.random(len(p)) < 0.6].assign(organisation="police"),
                    p[rng.random(len(p)) < 0.5].assign(organisation="ngo")], ignore_index=True)
    age = (df["organisation"] == "ngo").to_numpy() & (rng.random(len(df)) < 0.3)
    df.loc[age, "date_of_birth"] = df.loc[age, "date_of_birth"].str[:4] + "-07-01"
    got = set(zip(*_run(df)[["organisation", "day_month"]].to_numpy().T))
    assert ("ngo", "07-01") in got and ("police", "07-01") not in got


def test_names_without_letters_are_no_names():
    rng = np.random.default_rng(5)
    emo = ["😀😀", "🔥", "🙈🙉", "💃", "👍🏽"]
    n = 300
    day = pd.Timestamp("1970-01-01") + pd.to_timedelta(rng.integers(0, 30 * 365, n), unit="D")
    df = pd.DataFrame({"organisation": "kmar", "first_name": [emo[i % 5] for i in range(n)],
                       "surname": [emo[i % 3] for i in range(n)], "date_of_birth": day.strftime("%Y-%m-%d")})
    # five registrations on 2 March: chance among 300 persons, a "convention" among the 15 emoji "names"
    df.loc[:4, "date_of_birth"] = [f"{1970 + 3 * i}-03-02" for i in range(5)]
    assert _run(df).empty
