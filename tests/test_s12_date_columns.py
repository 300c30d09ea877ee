"""Tester report 12, L1: every bad date column of a file is reported at once, and "NA", "N/A", "NULL" in a date
column are read as missing dates (as in the name and sex columns)."""

from __future__ import annotations

from datetime import date

import pytest

from darkfigure.linkage import read_registrations, simulate_registrations
from darkfigure.linkage.registrations import RegistrationError

TODAY = date(2030, 1, 1)


@pytest.fixture(scope="module")
def police():
    return simulate_registrations("clearing_house", seed=5, scale=0.02).files()["police"].reset_index(drop=True)


def test_both_bad_date_columns_are_named_in_one_message(police):
    df = police.copy()
    df.loc[df.index[:3], "registration_date"] = "03/17/2021"
    dated = df.index[df["date_of_birth"] != ""]
    df.loc[dated[:2], "date_of_birth"] = "17-03-1990"
    with pytest.raises(RegistrationError) as e:
        read_registrations(df, name="mixed.csv", today=TODAY)
    msg = str(e.value)
    assert "'registration_date'" in msg and "'03/17/2021'" in msg
    assert "'date_of_birth'" in msg and "'17-03-1990'" in msg


@pytest.mark.parametrize("token", ["NA", "N/A", "null", " NaN ", "unknown", "-"])
def test_missing_words_in_date_of_birth_are_missing(police, token):
    df = police.copy()
    df.loc[df.index[:4], "date_of_birth"] = token
    out = read_registrations(df, today=TODAY)
    assert (out["date_of_birth"].iloc[:4] == "").all()
    assert (out["date_of_birth"].iloc[4:] == police["date_of_birth"].iloc[4:]).all()


def test_missing_word_in_registration_date_says_empty(police):
    df = police.copy()
    df.loc[df.index[1], "registration_date"] = "NA"
    with pytest.raises(RegistrationError, match="'registration_date' is empty in row"):
        read_registrations(df, today=TODAY)
