"""Dates with a time of day in registration files: midnight is the date; a registration time is dropped; a date of
birth at another time is refused with the column, the row and what to do."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from darkfigure.linkage import RegistrationError, read_registrations
from darkfigure.linkage.input_checks import date_and_time

TODAY = date(2026, 1, 1)


def _frame(reg, dob) -> pd.DataFrame:
    """Three synthetic registrations with the given registration dates and dates of birth."""
    return pd.DataFrame({
        "record_id": ["A1", "A2", "A3"], "organisation": ["police"] * 3, "registration_date": reg,
        "first_name": ["Anna", "Piet", "Lan"], "surname": ["Berg", "Jansen", "Nguyen"], "date_of_birth": dob,
        "sex": ["female", "male", "F"], "nationality": ["NL", "NL", "VN"],
    })


@pytest.mark.parametrize("text", ["2020-03-01 00:00:00", "2020-03-01T00:00:00", "2020-03-01 00:00",
                                  "2020-03-01T00:00:00.000", "2020-03-01T00:00:00Z", "2020-03-01 00:00:00+01:00"])
def test_midnight_in_any_export_form_is_the_date(text):
    df = read_registrations(_frame([text, "2023-03-15", "2024-12-31"], [text, "", "2001-01-01"]), today=TODAY)
    assert df["registration_date"].iloc[0] == "2020-03-01" and df["date_of_birth"].iloc[0] == "2020-03-01"


def test_a_registration_time_is_reduced_to_its_date():
    df = read_registrations(_frame(["2023-02-01 14:35:10", "2023-03-15T08:00", "2024-12-31"],
                                   ["1990-05-17", "", "2001-01-01"]), today=TODAY)
    assert list(df["registration_date"]) == ["2023-02-01", "2023-03-15", "2024-12-31"]


def test_a_birth_time_is_refused_naming_column_row_and_remedy():
    with pytest.raises(RegistrationError) as e:
        read_registrations(_frame(["2023-02-01", "2023-03-15", "2024-12-31"],
                                  ["1990-05-17", "", "2001-01-01 13:20:00"]), name="police.csv", today=TODAY)
    msg = str(e.value)
    for part in ("police.csv", "'date_of_birth'", "row(s) 3", "2001-01-01 13:20:00", "without the time"):
        assert part in msg, msg


def test_excel_date_time_cells(tmp_path):
    df = _frame([datetime(2023, 2, 1), datetime(2023, 3, 15, 9, 30), datetime(2024, 12, 31)],
                [datetime(1990, 5, 17), None, datetime(2001, 1, 1)])
    df.to_excel(tmp_path / "police.xlsx", index=False)
    got = read_registrations(tmp_path / "police.xlsx", today=TODAY)
    assert list(got["registration_date"]) == ["2023-02-01", "2023-03-15", "2024-12-31"]
    assert list(got["date_of_birth"]) == ["1990-05-17", "", "2001-01-01"]
    df["date_of_birth"] = [datetime(1990, 5, 17, 6, 0), None, datetime(2001, 1, 1)]
    df.to_excel(tmp_path / "timed.xlsx", index=False)
    with pytest.raises(RegistrationError, match=r"'date_of_birth' has a time of day .* row\(s\) 1"):
        read_registrations(tmp_path / "timed.xlsx", today=TODAY)


def test_date_and_time():
    assert date_and_time("2020-03-01 00:00:00.0") == ("2020-03-01", True)
    assert date_and_time("2020-03-01 00:00:00.5") == ("2020-03-01", False)
    assert date_and_time(pd.Timestamp("2020-03-01 07:00")) == ("2020-03-01", False)
    assert date_and_time(date(2020, 3, 1)) == ("2020-03-01", True)
    for bad in ("2020-02-30 00:00", "2020-03-01 24:00", "01-03-2020 00:00", "2020-03-01Z"):
        with pytest.raises(ValueError):
            date_and_time(bad)
