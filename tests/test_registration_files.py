"""Registration files a user may bring (tester report 5: M9 duplicated column, L1 semicolon-separated)."""

import pandas as pd
import pytest

from darkfigure.linkage.registrations import RegistrationError, _read_file

ROWS = [["A1", "police", "2023-01-02", "Anna, Maria", "f"], ["A2", "police", "2023-02-03", "Ben", "m"]]


def test_a_column_named_twice_is_refused(tmp_path):
    f = tmp_path / "police.csv"
    f.write_text("record_id,organisation,registration_date,first_name,sex,sex\nA1,police,2023-01-02,Anna,f,f\n",
                 encoding="utf-8")
    with pytest.raises(RegistrationError, match="column 'sex' appears twice in police.csv"):
        _read_file(f)
    x = tmp_path / "police.xlsx"
    pd.DataFrame([["A1", "f", "f"]], columns=["record_id", "sex", "sex "]).to_excel(x, index=False)
    with pytest.raises(RegistrationError, match="'sex' appears twice"):
        _read_file(x)


def test_semicolon_separated_file_with_commas_in_cells_is_read(tmp_path):
    f = tmp_path / "police_semi.csv"
    lines = ["record_id;organisation;registration_date;first_name;sex"] + [";".join(r) for r in ROWS]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    d = _read_file(f)
    assert list(d.columns) == ["record_id", "organisation", "registration_date", "first_name", "sex"]
    assert d.loc[0, "first_name"] == "Anna, Maria" and len(d) == 2


def test_comma_file_whose_rows_break_says_what_to_do(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text("record_id,organisation,sex\nA1,police,f\nA2,police,m,extra,cells\n", encoding="utf-8")
    with pytest.raises(RegistrationError, match="cannot read registration file 'bad.csv'"):
        _read_file(f)
