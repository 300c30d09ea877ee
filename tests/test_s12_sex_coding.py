"""Tester report 12, L6: sex coded Male/Female in one file and M/F in another becomes one coding (F/M); one coding
across the files is kept; values that mean neither (X) stay their own level with a note per organisation."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from darkfigure.linkage import read_registration_files, simulate_registrations
from darkfigure.linkage.names import normalise_sex

TODAY = date(2030, 1, 1)


@pytest.fixture(scope="module")
def files():
    sim = simulate_registrations("clearing_house", seed=5, scale=0.03).files()
    return sim["police"].reset_index(drop=True), sim["shelters"].reset_index(drop=True)


def _coded(df, f, m):
    out = df.copy()
    out["sex"] = out["sex"].map(lambda v: {"f": f, "m": m}.get(normalise_sex(v), v))
    return out


def _notes(frames):
    return " ".join(frames[0].attrs["set_notes"])


def test_two_codings_become_f_and_m(files):
    police, shelters = _coded(files[0], "Female", "Male"), _coded(files[1], "F", "M")
    police.loc[police.index[:3], "sex"] = "woman"
    frames = read_registration_files([police, shelters], today=TODAY)
    for f in frames:
        assert set(f["sex"]) - {""} == {"F", "M"}
    assert "more than one coding" in _notes(frames) and "'Male'" in _notes(frames)


def test_one_coding_is_kept(files):
    police, shelters = _coded(files[0], "V", "M"), _coded(files[1], "v", "M")
    frames = read_registration_files([police, shelters], today=TODAY)
    assert set(frames[0]["sex"]) - {""} == {"V", "M"} and "more than one coding" not in _notes(frames)


def test_other_values_are_kept_and_counted_per_organisation(files):
    police, shelters = _coded(files[0], "F", "M"), _coded(files[1], "Female", "Male")
    police.loc[police.index[:4], "sex"] = "X"
    shelters.loc[shelters.index[:2], "sex"] = "X"
    police.loc[police.index[4:6], "sex"] = "NULL"  # a database's "no value": missing, as in the date columns
    frames = read_registration_files([police, shelters], today=TODAY)
    assert (frames[0]["sex"].iloc[:4] == "X").all() and np.all(frames[0]["sex"].iloc[4:6].map(normalise_sex) == "")
    note = _notes(frames)
    assert "'X': police 4, shelters 2" in note and "neither female, male nor unknown" in note
