"""Session 14's leftovers from tester report 13b (Low items L5, L6, L7, L10, L11): names in linkage errors, notebook
display of monitor and linkage results, CaptureHistories equality, the package namespace, the plaintext note."""

from __future__ import annotations

import pytest

from darkfigure.linkage import RegistrationError, link, pseudonymise, simulate_registrations


@pytest.fixture(scope="module")
def regs():
    """A small simulated clearing house (synthetic persons), one frame per organisation."""
    r = simulate_registrations(seed=1, population=200).registrations
    return [r[r["organisation"] == o].reset_index(drop=True) for o in r["organisation"].unique()[:3]]


def test_frames_with_different_keys_are_named_by_number_and_organisation(regs):
    # L5: pseudonymise's frames were all called "registrations" ("key id e711…: registrations; key id 15a6…:
    # registrations, registrations, registrations")
    frames = [pseudonymise(f, (b"k" if i == 0 else b"j") * 16) for i, f in enumerate(regs)]
    orgs = [str(f["organisation"].iloc[0]) for f in regs]
    with pytest.raises(RegistrationError, match="different keys") as e:
        link(frames)
    msg = str(e.value)
    for i, o in enumerate(orgs, start=1):
        assert f"registrations #{i} ({o})" in msg
    assert ": registrations," not in msg and ": registrations;" not in msg


