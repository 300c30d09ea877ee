"""Tester 14a's low findings on input: UTF-16 files named as such (L3), control characters in names noted (L2).
Synthetic data only."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from darkfigure.linkage import RegistrationError, read_registration_files, read_registrations

TODAY = date(2026, 1, 1)


def _frame(**changes) -> pd.DataFrame:
    """Three synthetic registrations of one organisation, with the columns in `changes` replaced."""
    df = pd.DataFrame({
        "record_id": ["A1", "A2", "A3"], "organisation": ["police"] * 3,
        "registration_date": ["2023-02-01", "2023-03-15", "2024-12-31"],
        "first_name": ["Anna", "Lena", "Lan"], "surname": ["Berg", "Smit", "Nguyen"],
        "date_of_birth": ["1990-05-17", "", "2001-01-01"], "sex": ["F", "F", "F"], "nationality": ["NL", "NL", "VN"],
    })
    for k, v in changes.items():
        df[k] = v
    return df


@pytest.mark.parametrize("codec, order", [("utf-16-le", "little-endian"), ("utf-16-be", "big-endian")])
def test_utf16_file_is_named_utf16_with_how_to_save_as_utf8(tmp_path, codec, order):
    p = tmp_path / "police.csv"
    bom = "\ufeff"
    p.write_bytes((bom + _frame().to_csv(index=False)).encode(codec))
    with pytest.raises(RegistrationError, match=rf"UTF-16 \({order}\).*save it as UTF-8"):
        read_registrations(p, today=TODAY)


def test_nul_bytes_and_control_characters_in_names_are_counted_and_noted(tmp_path):
    p = tmp_path / "police.csv"
    _frame(first_name=["Joy\x00X", "Lena", "La\x07n"]).to_csv(p, index=False)
    q = tmp_path / "ngo.csv"
    _frame(organisation=["ngo"] * 3, record_id=["B1", "B2", "B3"]).to_csv(q, index=False)
    frames = read_registration_files([p, q], today=TODAY)
    notes = [n for n in frames[0].attrs["set_notes"] if "control characters" in n]
    assert len(notes) == 1 and "2 in column 'first_name' of police.csv" in notes[0] and "'A1'" in notes[0]
    plain = read_registration_files([q, _frame().assign()], today=TODAY)
    assert not any("control characters" in n for n in plain[0].attrs["set_notes"])
