"""Tester report 12, L3: ``--truth COL`` when one file lacks COL names that file, not "empty for N registrations"."""

from __future__ import annotations

import pytest

from darkfigure.errors import DataError
from darkfigure.linkage import link, simulate_registrations


def test_a_file_without_the_truth_column_is_named():
    files = simulate_registrations("clearing_house", seed=5, scale=0.02).files()
    police, shelters = files["police"].copy(), files["shelters"].copy()
    assert "true_person_id" in police.columns
    police = police.drop(columns=["true_person_id"])
    police.attrs["source"], shelters.attrs["source"] = "police.csv", "shelters.csv"
    with pytest.raises(DataError) as e:
        link([police, shelters], truth="true_person_id", max_pairs=1e5, seed=0, weights=False)
    msg = str(e.value)
    assert "police.csv has no column 'true_person_id'" in msg and "empty for" not in msg and "shelters.csv" not in msg
