"""Linkage-input polish (tester report 11, finding 11): organisations that share nobody are warned about by link;
plaintext dates of birth before 1905 get a note; an empty --truth cell names organisation and record_id; row
numbers in messages say how they are counted. Synthetic data."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.histories import CaptureHistories
from darkfigure.linkage import link, read_registration_files, read_registrations, simulate_registrations
from darkfigure.linkage.input_checks import disjoint_lists_warnings
from darkfigure.linkage.registrations import RegistrationError

TODAY = date(2030, 1, 1)
FAST = {"max_pairs": 1e5, "seed": 0, "weights": False}


@pytest.fixture(scope="module")
def files():
    """Small synthetic clearing-house registrations."""
    return simulate_registrations("clearing_house", seed=5, scale=0.03).files()


def test_pairs_of_lists_without_a_shared_person_are_named():
    t = pd.DataFrame({"a": [1, 0, 1, 0], "b": [0, 1, 0, 0], "c": [1, 0, 0, 1], "count": [5, 7, 2, 3]})
    said = disjoint_lists_warnings(CaptureHistories.from_table(t, lists=["a", "b", "c"]))
    assert len(said) == 1 and "'a' and 'b'" in said[0] and "'b' and 'c'" in said[0] and "'a' and 'c'" not in said[0]
    t.loc[3, "b"] = 1  # b and c now share 3 persons
    said = disjoint_lists_warnings(CaptureHistories.from_table(t, lists=["a", "b", "c"]))
    assert "'b' and 'c'" not in said[0] and "'a' and 'b'" in said[0]


def test_link_warns_when_two_organisations_share_nobody(files):
    police, kmar, shelters = files["police"], files["kmar"], files["shelters"]
    apart = shelters[~shelters["true_person_id"].isin(police["true_person_id"])]
    res = link([police, kmar, apart], **FAST)
    assert any("no person was registered by both 'police' and 'shelters'" in w for w in res.warnings)
    both = link([police, kmar, shelters], **FAST)
    assert not any("no person was registered by both" in w for w in both.warnings)


def test_plaintext_dates_of_birth_before_1905_get_a_note_with_their_count(files):
    police = files["police"].copy()
    police.loc[police.index[:7], "date_of_birth"] = "1850-01-01"
    frames = read_registration_files([police, files["kmar"]], today=TODAY)
    notes = " ".join(frames[0].attrs["set_notes"])
    assert "before 1905" in notes and "7 in registrations #1" in notes and "'1850-01-01' x 7" in notes
    frames = read_registration_files([files["police"], files["kmar"]], today=TODAY)
    assert "before 1905" not in " ".join(frames[0].attrs["set_notes"])


def test_an_empty_truth_cell_names_organisation_and_record_before_linking(files):
    police = files["police"].copy().reset_index(drop=True)
    police["true_person_id"] = police["true_person_id"].astype(object)
    police.loc[3, "true_person_id"] = None
    with pytest.raises(DataError, match=rf"'true_person_id'.*organisation 'police' record_id "
                                        rf"'{police.loc[3, 'record_id']}'"):
        link([police, files["kmar"]], truth="true_person_id", **FAST)


def test_row_numbers_say_how_they_are_counted(files):
    police = files["police"].copy().reset_index(drop=True)
    police.loc[1, "organisation"] = ""
    with pytest.raises(RegistrationError, match=r"row\(s\) 2 \(rows count from the first data row: row 1 = the line"):
        read_registrations(police, today=TODAY)
