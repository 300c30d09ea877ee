"""Files pseudonymised with different Bloom filter settings are refused, not linked (tester 13b, M3)."""

from __future__ import annotations

import warnings
from datetime import date

import pytest

import darkfigure as dfg
from darkfigure.linkage import read_registration_files, simulate_registrations
from darkfigure.linkage.pseudonymise import BloomSettings
from darkfigure.linkage.registrations import RegistrationError

KEY = b"0123456789abcdef0123456789abcdef"
TODAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def plain():
    """Two organisations' synthetic registration files."""
    files = simulate_registrations("clearing_house", seed=8, scale=0.03, today=TODAY).files()
    return [files[k].drop(columns=["true_person_id"]) for k in ("police", "shelters")]


def _encode(frame, **kw):
    """``dfg.pseudonymise`` with its warnings about covariates silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return dfg.pseudonymise(frame, KEY, **kw)


@pytest.mark.parametrize("odd", [BloomSettings(k=10), BloomSettings(diffusion=0)])
def test_other_k_or_diffusion_is_refused_naming_the_files(plain, odd) -> None:
    """Same key, same filter length, other k or diffusion: refused with both settings in the message."""
    a = _encode(plain[0])
    b = _encode(plain[1], settings=odd)
    a.attrs["source"], b.attrs["source"] = "police.csv", "shelters.csv"
    with pytest.raises(RegistrationError, match="different Bloom filter settings") as e:
        read_registration_files([a, b], today=TODAY)
    msg = str(e.value)
    assert f"k={odd.k} t={odd.diffusion}" in msg and "k=20 t=3" in msg and "shelters.csv" in msg


def test_settings_are_recorded_and_files_without_them_read_as_the_defaults(plain) -> None:
    """The output records its settings; an older file (no bf_settings) links with a default one, not an odd one."""
    a = _encode(plain[0])
    assert set(a["bf_settings"]) == {"m=1000 k=20 t=3"}
    old = _encode(plain[1]).drop(columns=["bf_settings"])
    frames = read_registration_files([a, old], today=TODAY)
    assert [f.attrs["bloom_settings"] for f in frames] == ["m=1000 k=20 t=3", None]
    with pytest.raises(RegistrationError, match="not recorded"):
        read_registration_files([_encode(plain[0], settings=BloomSettings(k=10)), old], today=TODAY)


def test_a_file_mixing_settings_is_refused(plain) -> None:
    a = _encode(plain[0])
    a.loc[a.index[:2], "bf_settings"] = "m=1000 k=10 t=3"
    with pytest.raises(RegistrationError, match="bf_settings"):
        read_registration_files([a], today=TODAY)
