"""Tester report 12, M1: an organisation name that is another plus a word (border police, Grenspolitie) is another
organisation, not a spelling of it; true spelling variants still warn."""

from __future__ import annotations

from datetime import date

import pytest

from darkfigure.linkage import read_registration_files, simulate_registrations
from darkfigure.linkage.organisations import _look_alike, _organisation_key

TODAY = date(2030, 1, 1)


@pytest.mark.parametrize(("a", "b"), [("border_police", "police"), ("Grenspolitie", "Politie"),
                                      ("border police", "police"), ("youth care", "care"),
                                      ("labour inspectorate", "inspectorate")])
def test_a_name_plus_a_word_is_another_organisation(a, b):
    assert not _look_alike(_organisation_key(a), _organisation_key(b))


@pytest.mark.parametrize(("a", "b"), [("FairWork", "Fair Work"), ("fair_work", "FairWork"), ("shelter", "shelters"),
                                      ("police", "politie"), ("police", "polise"), ("police", "police nl"),
                                      ("border_police", "border-police")])
def test_spelling_variants_still_look_alike(a, b):
    assert _look_alike(_organisation_key(a), _organisation_key(b))


def test_border_police_and_police_files_give_no_spelling_warning():
    sim = simulate_registrations("clearing_house", seed=7, scale=0.03)
    files = sim.files()
    police, kmar = files["police"].copy(), files["kmar"].copy()
    kmar["organisation"] = "border_police"
    frames = read_registration_files([police, kmar], today=TODAY)
    assert not any("look like spellings" in w for w in frames[0].attrs["set_warnings"])
    kmar["organisation"] = "polise"  # a one-letter typo still warns
    frames = read_registration_files([police, kmar], today=TODAY)
    assert any("look like spellings" in w for w in frames[0].attrs["set_warnings"])
