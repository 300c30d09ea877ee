"""A UTF-8 byte-order mark decoded as Windows-1252 ('ï»¿record_id') is named in the missing-column message
(tester 19a, L1)."""

import pytest

from darkfigure.linkage import RegistrationError, read_registrations

HEADER = "record_id,organisation,registration_date,first_name,surname,date_of_birth,sex,nationality\n"


def test_mis_decoded_bom_is_named(tmp_path):
    p = tmp_path / "ngo.csv"
    p.write_text("\u00ef\u00bb\u00bf" + HEADER + "1,ngo,2023-01-01,Anna,Berg,1990-01-01,F,NL\n", encoding="utf-8")
    with pytest.raises(RegistrationError) as e:
        read_registrations(p)
    msg = str(e.value)
    assert "missing column(s) record_id" in msg and "'ï»¿record_id'" in msg and "byte-order mark" in msg


def test_real_bom_is_read(tmp_path):
    p = tmp_path / "ngo.csv"
    p.write_text("\ufeff" + HEADER + "1,ngo,2023-01-01,Anna,Berg,1990-01-01,F,NL\n", encoding="utf-8")
    assert read_registrations(p)["record_id"].tolist() == ["1"]


def test_mis_decoded_bom_in_a_table_for_estimate(tmp_path):
    from darkfigure.errors import DataError
    from darkfigure.io import read_histories

    p = tmp_path / "t.csv"
    p.write_text("\u00ef\u00bb\u00bfA,B,count\n1,0,5\n0,1,7\n1,1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"starts with 'ï»¿A'.*byte-order mark"):
        read_histories(p)
