"""A registration file with one full-name column: the message asks for a split, not a rename (tester 20)."""

from datetime import date

import pytest

from darkfigure.linkage import RegistrationError, read_registrations
from darkfigure.linkage.full_name import full_name_column
from test_registrations import _frame  # three registrations, one organisation

TODAY = date(2026, 1, 1)


def _without_names(**extra):
    df = _frame(**extra)
    return df.drop(columns=["first_name", "surname"])


@pytest.mark.parametrize("column", ["name", "naam", "full_name", "volledige_naam", "naam_volledig", "Naam"])
def test_full_name_header_asks_for_a_split(column):
    df = _without_names(**{column: ["JANSEN, Mw. Anna", "WIŚNIEWSKI, Łukasz", "NGUYỄN, Thị Lan"]})
    with pytest.raises(RegistrationError) as e:
        read_registrations(df, name="ngo.csv", today=TODAY)
    msg = str(e.value)
    assert msg.startswith("ngo.csv: missing column(s) first_name, surname;")
    assert f"column '{column}' holds full names (e.g. 'JANSEN, Mw. Anna')" in msg
    assert "split into first_name and surname" in msg and "rename yours accordingly" not in msg
    assert f'df[["surname", "first_name"]] = df["{column}"].str.split(",", n=1, expand=True)' in msg
    assert "remove titles such as 'Mw.'" in msg


def test_full_names_found_by_their_values():
    df = _without_names(client=["Anna Jansen", "Łukasz Wiśniewski", "Thị Lan Nguyễn"])
    with pytest.raises(RegistrationError, match=r"column 'client' holds full names \(e\.g\. 'Anna Jansen'\).*"
                                                r'df\[\["first_name", "surname"\]\] = df\["client"\]\.str\.split'):
        read_registrations(df, name="ngo.csv", today=TODAY)


def test_other_missing_columns_are_still_named():
    df = _without_names(naam=["Anna Jansen", "Jan Smit", "Piet de Vries"]).drop(columns=["registration_date"])
    with pytest.raises(RegistrationError, match=r"missing column\(s\) registration_date, first_name, surname; "
                                                r"column 'naam'.*other missing column\(s\) registration_date: rename"):
        read_registrations(df, name="ngo.csv", today=TODAY)


def test_without_a_full_name_column_the_message_is_unchanged():
    with pytest.raises(RegistrationError, match=r"ngo\.csv: missing column\(s\) first_name, surname; a registration "
                                                r"file needs the columns .*rename yours accordingly, or add the "
                                                r"ones the file lacks: an empty date_of_birth .*every row$"):
        read_registrations(_without_names(), name="ngo.csv", today=TODAY)
    two = _without_names(name=["Anna Jansen", "Jan Smit", "Piet Vries"], naam=["a b", "c d", "e f"])
    assert full_name_column(two) is None  # two candidates: no guess
    with pytest.raises(RegistrationError, match="rename yours accordingly"):  # only the surname missing: a rename
        read_registrations(_frame(naam=["Anna Jansen", "Jan Smit", "Piet Vries"]).drop(columns=["surname"]),
                           name="ngo.csv", today=TODAY)
