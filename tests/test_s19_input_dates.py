"""Registration dates: an empty Excel date (1899-12-30) is refused; Excel day numbers and YYYYMMDD are recognised in
the message; two date problems are two sentences (tester 19a, M4, L2)."""

from datetime import date

import pytest

from darkfigure.linkage import RegistrationError, read_registrations
from test_registrations import _frame  # three registrations, one organisation

TODAY = date(2026, 1, 1)


def test_registration_date_before_1905_is_refused():
    with pytest.raises(RegistrationError) as e:
        read_registrations(_frame(registration_date=["2023-02-01", "1899-12-30", "2024-12-31"]), name="ngo.csv",
                           today=TODAY)
    msg = str(e.value)
    assert "ngo.csv" in msg and "before 1905-01-01" in msg and "row(s) 2 ('1899-12-30')" in msg and "A2" in msg


def test_excel_day_numbers_and_yyyymmdd_are_recognised():
    with pytest.raises(RegistrationError, match=r"45383 looks like an Excel day number \(2024-04-01\)"):
        read_registrations(_frame(registration_date=["45383", "45383", "45383"]), today=TODAY)
    with pytest.raises(RegistrationError, match=r"20240401 looks like 2024-04-01 written YYYYMMDD"):
        read_registrations(_frame(registration_date=["20240401", "2023-01-01", "2023-01-01"]), today=TODAY)


def test_two_bad_date_columns_are_two_sentences():
    df = _frame(registration_date=["20-05-2023", "2023-01-01", "2023-01-01"],
                date_of_birth=["17/05/1990", "", ""])
    with pytest.raises(RegistrationError) as e:
        read_registrations(df, today=TODAY)
    assert "2023-05-20 written day-month-year" in str(e.value)
    assert "2021-03-17. Also column 'date_of_birth'" in str(e.value)
