"""Dates of birth given to an implausible share of one organisation's registrations are placeholders (tester 14a,
M3: 1950-02-02 on all 138 rows of a file passed without a note). Synthetic data only."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.linkage import simulate_registrations
from darkfigure.linkage.prepare import _prepare_plain, _read_inputs


@pytest.fixture(scope="module")
def files():
    """Small synthetic clearing-house registrations (one frame per organisation)."""
    sim = simulate_registrations("clearing_house", seed=11, scale=0.03)
    return {k: v.copy() for k, v in sim.files().items()}


def _one_date(frame: pd.DataFrame, share: float, value: str = "1950-02-02") -> pd.DataFrame:
    """The frame with the first `share` of its rows given the date of birth `value`."""
    f = frame.copy()
    k = max(int(round(share * len(f))), 12)  # at least 12 (the rule needs 10 different names)
    f.loc[f.index[:k], "date_of_birth"] = value
    return f


def test_one_date_on_a_whole_file_is_noted_and_compared_as_missing(files):
    police = _one_date(files["police"], 1.0)
    df, _ = _read_inputs([police, files["kmar"], files["shelters"]])
    notes = " ".join(df.attrs["notes"])
    assert "1950-02-02" in notes and "'police'" in notes and f"{len(police):,} of its" in notes
    prep = _prepare_plain(df.reset_index(drop=True))
    org = df["organisation"].astype(str).to_numpy()
    assert prep["dob"][org == "police"].isna().all()
    # the other organisations keep their dates
    other = (org != "police") & (df["date_of_birth"].astype(str) >= "1905").to_numpy()
    assert other.sum() > 0 and prep["dob"][other].notna().all()


def test_a_date_on_part_of_a_file_is_a_placeholder_but_honest_dates_are_not(files):
    police = _one_date(files["police"], 0.10, "2000-01-01")
    df, _ = _read_inputs([police, files["kmar"], files["shelters"]])
    prep = _prepare_plain(df.reset_index(drop=True))
    hit = (df["organisation"].astype(str) == "police").to_numpy() & (df["date_of_birth"] == "2000-01-01").to_numpy()
    assert hit.sum() >= 10 and prep["dob"][hit].isna().all()
    honest, _ = _read_inputs([files["police"], files["kmar"], files["shelters"]])
    assert not any("implausible share" in n for n in honest.attrs["notes"])


def test_one_person_registered_many_times_keeps_their_date():
    from darkfigure.linkage.placeholder_dates import frequent_dates

    # 30 registrations of one name on one date, 20 other persons: one person, not a placeholder
    org = ["a"] * 50
    dob = ["1980-05-05"] * 30 + [f"19{60 + i}-03-0{1 + i % 9}" for i in range(20)]
    first = ["Ana"] * 30 + [f"N{i}" for i in range(20)]
    last = ["Lima"] * 30 + [f"S{i}" for i in range(20)]
    assert frequent_dates(org, dob, first, last).empty
    # ten different names on it: a placeholder (20% of the organisation)
    first2 = [f"P{i % 10}" for i in range(30)] + first[30:]
    t = frequent_dates(org, dob, first2, last)
    assert list(t["date_of_birth"]) == ["1980-05-05"] and int(t["names"].iloc[0]) == 10
