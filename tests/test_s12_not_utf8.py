"""Tester report 12, L4: a registration file that is not UTF-8 is refused naming the line, row and column of the
first bad byte, not only a byte position."""

from __future__ import annotations

import pytest

from darkfigure.linkage import read_registrations
from darkfigure.linkage.registrations import RegistrationError

HEAD = "record_id,organisation,registration_date,first_name,surname,date_of_birth,sex,nationality\n"


@pytest.mark.parametrize("sep", [",", ";"])
def test_latin1_byte_is_placed_by_line_row_and_column(tmp_path, sep):
    rows = [f"{i},police,2023-01-02,Anna,Jansen,1990-03-04,female,NL\n" for i in range(1, 6)]
    rows.append("6,police,2023-01-02,Anna,Cl\u00e9ment,1990-03-04,female,NL\n")  # data row 6 = line 7
    g = tmp_path / "latin.csv"
    g.write_bytes((HEAD + "".join(rows)).replace(",", sep).encode("latin-1"))
    with pytest.raises(RegistrationError) as e:
        read_registrations(g)
    msg = str(e.value)
    assert "not UTF-8" in msg and "line 7 = row 6, column 'surname'" in msg and "save it as UTF-8" in msg


def test_utf16_is_placed_at_the_header(tmp_path):
    g = tmp_path / "u16.csv"
    g.write_bytes((HEAD + "1,police,2023-01-02,Anna,Jansen,1990-03-04,female,NL\n").encode("utf-16"))
    # the whole file is UTF-16 (tester 14a, L3): named as such, not placed at a byte of the header
    with pytest.raises(RegistrationError, match=r"is UTF-16 \(little-endian\) text.*save it as UTF-8"):
        read_registrations(g)
