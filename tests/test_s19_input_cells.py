"""Cells that reach the outputs: formula-like names and levels are refused (M6), overlong values are refused (M5),
names with '?' where a letter was are noted (M3) (tester 19a)."""

from datetime import date

import pandas as pd
import pytest

from darkfigure.cell_checks import formula_like, lost_letters_note
from darkfigure.errors import DataError
from darkfigure.io import read_histories
from darkfigure.linkage import RegistrationError, read_registrations
from test_registrations import _frame  # three registrations, one organisation

TODAY = date(2026, 1, 1)


def test_formula_like_values():
    s = pd.Series(["=1+1", "+cmd", "@SUM(A1)", "-x", "-1", "+3.5", "-", "--", "labour", "a=b", 5, None], dtype=object)
    assert formula_like(s).tolist() == [True, True, True, True] + [False] * 8


@pytest.mark.parametrize("column", ["exploitation", "nationality", "organisation", "record_id"])
def test_registration_formula_cell_is_refused(column):
    df = _frame(**{column: ["ok1", '=HYPERLINK("x")', "ok3"]})
    with pytest.raises(RegistrationError, match=rf"ngo\.csv: column '{column}' has .*row 2.*formula"):
        read_registrations(df, name="ngo.csv", today=TODAY)


@pytest.mark.parametrize("column", ["exploitation", "nationality", "record_id", "sex"])
def test_registration_long_cell_is_refused(column):
    df = _frame(**{column: ["x", "y" * 5000, "z"]})
    with pytest.raises(RegistrationError, match=rf"column '{column}' holds 5,000 characters in row 2.*at most 200"):
        read_registrations(df, name="ngo.csv", today=TODAY)


def test_aggregated_table_formula_list_name_and_level(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('=HYPERLINK("x"),B,count\n1,0,5\n0,1,7\n1,1,2\n')
    with pytest.raises(DataError, match=r"list column name '=HYPERLINK\(\"x\"\)'.*formula"):
        read_histories(p)
    df = pd.DataFrame({"A": [1, 0, 1, 1, 0, 1], "B": [0, 1, 1, 0, 1, 1], "region": ["=1+1"] * 3 + ["north"] * 3,
                       "count": [5, 7, 2, 4, 6, 1]})
    with pytest.raises(DataError, match=r"covariate column 'region' has '=1\+1' in row 1"):
        read_histories(df, lists=["A", "B"], covariates=["region"])
    df["region"] = ["-1"] * 3 + ["2"] * 3  # numbers are fine
    assert read_histories(df, lists=["A", "B"], covariates=["region"]).n_observed == 25


def test_aggregated_table_long_level_is_refused():
    df = pd.DataFrame({"A": [1, 0, 1, 1, 0, 1], "B": [0, 1, 1, 0, 1, 1], "region": ["n" * 300] * 3 + ["s"] * 3,
                       "count": [5, 7, 2, 4, 6, 1]})
    with pytest.raises(DataError, match=r"column 'region' holds 300 characters in row 1"):
        read_histories(df, lists=["A", "B"], covariates=["region"])


def test_question_marks_for_letters_are_noted():
    f = read_registrations(_frame(first_name=["Ma?gorzata", "Jan", "Th? Lan"],
                                  surname=["Lewandowska", "Smit", "Nguy?n"]), name="ngo.csv", today=TODAY)
    notes = lost_letters_note([f])
    assert len(notes) == 1 and "2 in ngo.csv (police)" in notes[0] and "UTF-8" in notes[0]
    assert "'Ma?gorzata Lewandowska', row 1" in notes[0]
    clean = read_registrations(_frame(first_name=["?", "Jan", "Anna"]), today=TODAY)  # "?" alone: unknown
    assert lost_letters_note([clean]) == []
