"""Placeholder names ("Unknown", "NN", "XXX") read as missing names in link and pseudonymise, and a warning for one
name on a large share of an organisation's registrations (tester report 11, findings 1 and 11). Synthetic data."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.linkage import link, simulate_registrations
from darkfigure.linkage.placeholder_names import (
    FREQUENT_NAME_COUNT,
    frequent_name_warnings,
    is_placeholder,
)

FAST = {"max_pairs": 1e5, "seed": 0, "weights": False}
KEY = b"0123456789abcdef-test-key"


@pytest.fixture(scope="module")
def files():
    """Small synthetic clearing-house registrations (police, kmar, shelters)."""
    sim = simulate_registrations("clearing_house", seed=11, scale=0.03)
    return {k: v.copy() for k, v in sim.files().items()}


def _with_placeholders(police: pd.DataFrame) -> pd.DataFrame:
    """The tester's case: every 4th police registration 'Unknown Unknown', every 8th (offset 1) 'NN XXX'."""
    p = police.copy()
    p.loc[p.index[::4], ["first_name", "surname"]] = ["Unknown", "Unknown"]
    p.loc[p.index[1::8], ["first_name", "surname"]] = ["NN", "XXX"]
    return p


@pytest.mark.parametrize("value", ["Unknown", "ONBEKEND", "N.N.", "nn", "XXX", "x", "n/a", "N.A.", "None", "NULL",
                                   "unk", "FNU", "LNU", "lnu", "L.N.U.", "NIL", "Niet-bekend", "niet bekend", "Inconnu", "Desconocído",
                                   "Unbekannt", " unknown "])
def test_listed_placeholders_are_recognised(value):
    assert is_placeholder(value)


@pytest.mark.parametrize("value", ["Na", "Jan", "Nguyen", "Xavier", "Nina", "-", "?", "", None, "Unknownson",
                                   "Lnu", "Nil", "Nn", " Fnu "])  # Lnu: a typo of Liu (tester 15a, L3)
def test_names_and_letterless_values_are_not_placeholders(value):
    # "Na" is a Korean surname; "-" and "?" have no letters and are read as missing already
    assert not is_placeholder(value)


def test_placeholders_are_missing_names_in_link_and_recall_holds(files):
    police, kmar, shelters = (files[k].copy() for k in ("police", "kmar", "shelters"))
    held = _with_placeholders(police)
    blank = held.copy()
    blank.loc[blank["first_name"].isin(["Unknown", "NN"]), ["first_name", "surname"]] = ""
    base = link([blank, kmar, shelters], truth="true_person_id", **FAST)
    res = link([held, kmar, shelters], truth="true_person_id", **FAST)
    # placeholders link as empty names would; read as names, 'Unknown Unknown' agreed with every other one and
    # the model learnt to distrust names (here recall 0.53 against 0.88; tester: 1.000 -> 0.735)
    for c in ("recall", "precision"):
        assert res.quality[c].iloc[0] == pytest.approx(base.quality[c].iloc[0], abs=0.02)
    t = res.nameless.set_index("organisation")
    assert t.loc["police", "placeholders"] == held["first_name"].isin(["Unknown", "NN"]).sum() and t.loc["police", "given_without_letters"] == 0
    assert t.loc["kmar", "placeholders"] == 0
    said = " ".join(res.warnings)
    assert "'police'" in said and "placeholder" in said and "'Unknown'" in said


def test_settings_json_has_the_placeholder_count(files, tmp_path):
    import json

    police, kmar, shelters = (files[k].copy() for k in ("police", "kmar", "shelters"))
    res = link([_with_placeholders(police), kmar, shelters], **FAST)
    res.write(tmp_path / "lk")
    s = json.loads((tmp_path / "lk" / "linkage_settings.json").read_text())
    assert s["names_unusable_by_organisation"]["police"]["placeholders"] > 0
    assert any("placeholder" in w for w in s["warnings"])


def test_a_frequent_unlisted_name_is_warned_with_organisation_value_and_count():
    n = 200
    org = ["police"] * n + ["kmar"] * n
    names = [f"p{i}|s{i}" for i in range(2 * n)]
    dobs = [f"19{50 + i % 40}-01-{1 + i % 28:02d}" for i in range(2 * n)]
    for i in range(FREQUENT_NAME_COUNT + 5):  # 'Doe John' on 25 police registrations (12.5%), different dates
        names[i] = "doe|john"
    said = frequent_name_warnings(org, names, dobs)
    assert len(said) == 1 and "'police'" in said[0] and "'doe|john'" in said[0] and "25 of its 200" in said[0]
    # one person registered 25 times (one date of birth) is not flagged; nor is a name under the count
    same = [d if names[i] != "doe|john" else "1980-05-05" for i, d in enumerate(dobs)]
    assert frequent_name_warnings(org, names, same) == []
    assert frequent_name_warnings(org[:FREQUENT_NAME_COUNT * 2], names[:FREQUENT_NAME_COUNT * 2][:10]
                                  + [f"x{i}" for i in range(FREQUENT_NAME_COUNT * 2 - 10)]) == []


def test_link_warns_about_a_frequent_unlisted_placeholder(files):
    police, kmar, shelters = (files[k].copy() for k in ("police", "kmar", "shelters"))
    k = max(FREQUENT_NAME_COUNT, int(0.1 * len(police)))
    police.loc[police.index[:k], ["first_name", "surname"]] = ["Test", "Persoon"]
    res = link([police, kmar, shelters], **FAST)
    assert any("'police'" in w and "'Test Persoon'" in w and f"{k:,} of its" in w for w in res.warnings)


def test_pseudonymise_encodes_placeholders_as_missing_and_warns_the_source(files):
    from darkfigure.linkage.pseudonymise import pseudonymise

    police = files["police"].copy().reset_index(drop=True)
    police.loc[0, ["first_name", "surname"]] = ["Unknown", "Unknown"]
    police.loc[1, ["first_name", "surname"]] = ["", ""]
    police.loc[2, "first_name"] = "###"
    res = pseudonymise(police, KEY)
    assert res.loc[0, "tok_first_name"] == res.loc[1, "tok_first_name"]
    assert res.loc[0, "tok_surname"] == res.loc[1, "tok_surname"]
    said = " ".join(res.attrs["warnings"])
    assert "placeholder" in said and "'Unknown'" in said and "no letters" in said and "'###'" in said
