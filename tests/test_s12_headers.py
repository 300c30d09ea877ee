"""Tester report 12, L2: a title line above the header is named as such, and column names that differ from the
format's only in case (RECORD_ID, Organisation) are read as the format's columns (two that collide are refused)."""

from __future__ import annotations

from datetime import date

import pytest

from darkfigure.linkage import read_registrations, simulate_registrations
from darkfigure.linkage.registrations import REQUIRED_COLUMNS, RegistrationError

TODAY = date(2030, 1, 1)


@pytest.fixture(scope="module")
def police():
    return simulate_registrations("clearing_house", seed=5, scale=0.02).files()["police"].reset_index(drop=True)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_title_line_above_header_is_named(police, tmp_path, suffix):
    p = tmp_path / f"titled{suffix}"
    if suffix == ".csv":
        p.write_text("Registrations police 2021-2023\n" + police.to_csv(index=False), encoding="utf-8")
    else:
        import pandas as pd

        with pd.ExcelWriter(p) as w:
            pd.DataFrame([["Registrations police 2021-2023"]]).to_excel(w, header=False, index=False)
            police.to_excel(w, startrow=1, index=False)
    with pytest.raises(RegistrationError) as e:
        read_registrations(p, today=TODAY)
    msg = str(e.value)
    assert "line 1 looks like a title" in msg and "the header is on line 2" in msg and "missing column" not in msg


def test_misnamed_columns_still_say_missing(police, tmp_path):
    p = tmp_path / "wrong.csv"
    police.rename(columns={"first_name": "firstname"}).to_csv(p, index=False)
    with pytest.raises(RegistrationError, match="missing column"):
        read_registrations(p, today=TODAY)


def test_upper_case_and_capitalised_headers_are_the_format_columns(police, tmp_path):
    p = tmp_path / "upper.csv"
    df = police.rename(columns={c: c.upper() for c in REQUIRED_COLUMNS}).rename(columns={"ORGANISATION": " Organisation"})
    df.to_csv(p, index=False)
    out = read_registrations(p, today=TODAY)
    assert set(REQUIRED_COLUMNS) <= set(out.columns)
    assert (out["record_id"].to_numpy() == police["record_id"].to_numpy()).all()


def test_two_columns_of_one_name_in_different_case_are_refused(police):
    df = police.copy()
    df["RECORD_ID"] = df["record_id"]
    with pytest.raises(RegistrationError) as e:
        read_registrations(df, name="two.csv", today=TODAY)
    assert "'record_id' and 'RECORD_ID'" in str(e.value) and "two.csv" in str(e.value)


def test_a_covariate_in_another_case_in_another_file_is_one_covariate(police):
    from darkfigure.linkage import read_registration_files

    other = simulate_registrations("clearing_house", seed=5, scale=0.02).files()["shelters"]
    upper = police.rename(columns={"exploitation": "EXPLOITATION"})
    assert "exploitation" in other.columns
    frames = read_registration_files([upper, other], today=TODAY)  # a tie: the lower-case spelling wins
    assert "exploitation" in frames[0].columns and "EXPLOITATION" not in frames[0].columns
    assert any("'EXPLOITATION' as 'exploitation'" in n for n in frames[0].attrs["set_notes"])
