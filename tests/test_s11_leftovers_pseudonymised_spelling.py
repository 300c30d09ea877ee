"""Pseudonymised registrations keep the organisation's spelling of sex and nationality (session 11 leftover 2).

Only the tokens ``tok_sex`` and ``tok_nationality`` are normalised (``V`` -> ``f``); the columns kept
in clear are the organisation's own, so ``link`` on pseudonymised files writes sex in the
organisations' spelling exactly as on the plaintext files. Synthetic registrations only.
"""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.linkage import link, simulate_registrations
from darkfigure.linkage.pseudonymise import _tokens, pseudonymise, pseudonymise_file
from darkfigure.linkage.registrations import normalise_sex

KEY = b"s11-leftovers-test-key-0123456789"
#: two codings: the Dutch organisations write V/M, the others Female/Male
DUTCH = {"female": "V", "male": "M"}
ENGLISH = {"female": "Female", "male": "Male"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Plaintext and pseudonymised registration files of synthetic organisations with their own sex coding."""
    tmp = tmp_path_factory.mktemp("spelling")
    sim = simulate_registrations("clearing_house", seed=7, scale=0.05)
    plain, pseudo = [], []
    for i, (org, part) in enumerate(sim.registrations.groupby("organisation", sort=False)):
        coding = DUTCH if i % 2 == 0 else ENGLISH
        part = part.drop(columns=["true_person_id"]).assign(
            sex=part["sex"].map(lambda v, c=coding: c.get(v, v)),
            nationality=part["nationality"].str.lower() if i % 2 else part["nationality"])
        p = tmp / f"{org}.csv"
        part.to_csv(p, index=False)
        plain.append(p)
        pseudo.append(tmp / f"{org}.pseudo.csv")
        pseudonymise_file(p, pseudo[-1], KEY)
    return plain, pseudo


def test_the_pseudonymised_file_keeps_the_organisations_spelling_in_clear(files):
    for p, q in zip(*files):
        a, b = pd.read_csv(p, keep_default_na=False), pd.read_csv(q, keep_default_na=False)
        assert b["sex"].tolist() == a["sex"].tolist(), p.name
        assert b["nationality"].tolist() == a["nationality"].tolist(), p.name
        assert not set(b["sex"]) & {"f", "m"}  # not the normalised form


def test_only_the_tokens_are_normalised():
    regs = pd.DataFrame({"record_id": ["1", "2"], "organisation": ["a", "b"],
                         "registration_date": ["2023-01-02", "2023-01-03"], "first_name": ["Anna", "Anna"],
                         "surname": ["Jansen", "Jansen"], "date_of_birth": ["1990-05-17", "1990-05-17"],
                         "sex": ["V", "female"], "nationality": ["NL", "nl"]})
    out = pseudonymise(regs, KEY)
    assert out["sex"].tolist() == ["V", "female"] and out["nationality"].tolist() == ["NL", "nl"]
    assert out["tok_sex"].nunique() == 1 and out["tok_nationality"].nunique() == 1  # compared as one value
    expected = _tokens(pd.Series([normalise_sex("V")]), KEY, "tok_sex")[0]
    assert out["tok_sex"].iloc[0] == expected


def test_link_on_pseudonymised_files_reports_the_spelling_as_on_plaintext(files):
    plain, pseudo = files
    a = link(plain, max_pairs=2e5, seed=0)
    b = link(pseudo, max_pairs=2e5, seed=0)
    sa, sb = set(a.persons["sex"].dropna()), set(b.persons["sex"].dropna())
    # the files mix the Dutch and English codings: read as one, F/M (tester 12, L6)
    assert sb == sa and sb <= set(DUTCH.values()) | set(ENGLISH.values()) | {"F", "M"} and len(sb) == 2
    assert set(b.histories.levels["sex"]) == set(a.histories.levels["sex"])
