"""Pseudonymised files compare names folded over romanisation systems, as plaintext files do (pseudo_translit).

``pseudonymise`` writes keyed tokens of the folded names (never the folded names); ``link`` gives them the
plaintext folded-name levels and blocking rule; files pseudonymised before these tokens link as before.
Synthetic names only.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd
import pytest
from tests.test_link_translit_names import _translit_registrations

from darkfigure.linkage import link, pseudonymise
from darkfigure.linkage.engines import _rule_sql
from darkfigure.linkage.prepare import _prepare_pseudo
from darkfigure.linkage.registrations import (
    FOLDED_TOKEN_COLUMNS,
    RegistrationError,
    read_registration_files,
    read_registrations,
)
from darkfigure.linkage.splink_model import _pseudo_settings
from darkfigure.linkage.translit import fold_name, fold_surname, vowel_skeleton

KEY = b"0123456789abcdef0123456789abcdef"


def _regs(names: list[tuple[str, str]]) -> pd.DataFrame:
    n = len(names)
    return pd.DataFrame({"record_id": [str(i) for i in range(n)], "organisation": ["a"] * n,
                         "registration_date": ["2023-01-01"] * n, "first_name": [f for f, _ in names],
                         "surname": [s for _, s in names], "date_of_birth": ["1990-05-17"] * n, "sex": ["F"] * n,
                         "nationality": ["UA"] * n})


def _tok(column: str, value: str) -> str:
    """The documented token: HMAC-SHA256(HMAC-SHA256(key, column), value), 32 hex characters."""
    sk = hmac.new(KEY, column.encode(), hashlib.sha256).digest()
    return hmac.new(sk, value.encode(), hashlib.sha256).hexdigest()[:32]


def test_folded_tokens_are_keyed_as_documented_and_shared_by_spellings():
    names = [("Joelija", "Sjevtsjenko"), ("Yuliya", "Shevchenko"), ("Shevchenko", "Yuliya"), ("Mohamed", "Bukhari"),
             ("Muhammad", "Boechari"), ("Anna", ""), ("Olena", "Kovalenko")]
    p = pseudonymise(_regs(names), KEY)
    assert list(p.columns[-len(FOLDED_TOKEN_COLUMNS) - 2:-2]) == list(FOLDED_TOKEN_COLUMNS)  # before key_id
    fk, sk = fold_name("joelija"), fold_surname("sjevtsjenko")
    assert p.loc[0, "tok_first_name_tr"] == _tok("tok_first_name_tr", fk)
    assert p.loc[0, "tok_surname_tr"] == _tok("tok_surname_tr", sk)
    assert p.loc[0, "tok_block_tr_sorted"] == _tok("tok_block_tr_sorted", "|".join(sorted([fk, sk])))
    assert p.loc[0, "tok_vw_sorted"] == _tok("tok_vw_sorted", "|".join(sorted([vowel_skeleton(fk),
                                                                                vowel_skeleton(sk)])))
    # two romanisations: one folded token, distinct written tokens; swapped: the sorted token only
    for c in FOLDED_TOKEN_COLUMNS:
        assert p.loc[0, c] == p.loc[1, c] != "", c
    assert p.loc[0, "tok_surname"] != p.loc[1, "tok_surname"]
    assert p.loc[2, "tok_block_tr_sorted"] == p.loc[1, "tok_block_tr_sorted"]
    assert p.loc[2, "tok_surname_tr"] != p.loc[1, "tok_surname_tr"]
    # Mohamed Bukhari / Muhammad Boechari: the vowel skeletons only
    assert p.loc[3, "tok_vw_sorted"] == p.loc[4, "tok_vw_sorted"]
    assert p.loc[3, "tok_first_name_tr"] != p.loc[4, "tok_first_name_tr"]
    # a missing name: its token and both pair tokens empty
    assert p.loc[5, "tok_surname_tr"] == p.loc[5, "tok_block_tr_sorted"] == p.loc[5, "tok_vw_sorted"] == ""
    assert p.loc[5, "tok_first_name_tr"] != ""
    # field salting: the same value under another column's sub-key differs
    assert _tok("tok_first_name_tr", fk) != _tok("tok_surname_tr", fk)
    # no folded (or written) name in clear anywhere in the output
    text = p.to_csv(index=False).lower()
    for f, s in names:
        for v in (fold_name(f.lower()), fold_surname(s.lower()), f.lower(), s.lower()):
            assert not v or len(v) < 4 or v.lower() not in text, v
    assert read_registrations(p).attrs["kind"] == "pseudonymised"


def test_a_malformed_folded_token_is_refused_and_files_without_them_are_read():
    p = pseudonymise(_regs([("Olena", "Kovalenko"), ("Iryna", "Melnyk")]), KEY)
    bad = p.assign(tok_surname_tr=["Kovalenko", ""])
    with pytest.raises(RegistrationError, match="tok_surname_tr"):
        read_registrations(bad)
    old = read_registrations(p.drop(columns=list(FOLDED_TOKEN_COLUMNS)))
    assert old.attrs["kind"] == "pseudonymised"


def test_files_of_which_only_some_have_the_folded_tokens_are_warned_about():
    a = pseudonymise(_regs([("Olena", "Kovalenko"), ("Iryna", "Melnyk")]), KEY)
    b = pseudonymise(_regs([("Joelija", "Sjevtsjenko")]).assign(organisation="b"), KEY)
    c = pseudonymise(_regs([("Yuliya", "Shevchenko")]).assign(organisation="c"), KEY)
    old = b.drop(columns=list(FOLDED_TOKEN_COLUMNS))
    said = read_registration_files([a, old, c])[0].attrs["set_warnings"]
    assert len(said) == 1 and "registrations #2 (b) lack the tokens of the names folded" in said[0], said
    assert "Pseudonymise it again" in said[0]
    for files in ([a, b, c], [a.drop(columns=list(FOLDED_TOKEN_COLUMNS)), old]):  # all with them, or none
        assert not any("folded" in w for w in read_registration_files(files)[0].attrs["set_warnings"])


def _labels(comparisons) -> list[str]:
    name = next(c for c in comparisons if c.create_comparison_dict("duckdb")["output_column_name"] == "name")
    return [lv["label_for_charts"] for lv in name.create_comparison_dict("duckdb")["comparison_levels"]
            if "label_for_charts" in lv]


def test_bloom_model_places_the_folded_levels_as_plaintext_and_skips_them_without_the_columns():
    regs, _ = _translit_registrations()
    files = pseudonymise(regs.drop(columns=["true_person_id"]), KEY)
    prep, widths = _prepare_pseudo(files)
    comparisons, rules, _, _ = _pseudo_settings(prep, widths)
    labels = _labels(comparisons)
    at = {lab: i for i, lab in enumerate(labels)}
    assert at["swapped"] < at["both equal after transliteration folding"] < at[
        "swapped, both equal after transliteration folding"] < at["surname equal, first name Dice >= 0.8"]
    assert at["swapped, both Dice >= 0.5"] < at["both equal after folding vowels (or swapped)"] < at[
        "surname token equal"]
    assert any("tok_block_tr_sorted" in _rule_sql(r) for r in rules)
    # pseudonymised before the folded tokens: the levels and the rule as they were
    prep0, widths0 = _prepare_pseudo(files.drop(columns=list(FOLDED_TOKEN_COLUMNS)))
    assert "tok_full_tr" not in prep0.columns
    comparisons0, rules0, _, _ = _pseudo_settings(prep0, widths0)
    assert _labels(comparisons0) == [lab for lab in labels if "folding" not in lab]
    assert len(rules0) == len(rules) - 1
    assert [_rule_sql(r) for r in rules0] == [_rule_sql(r) for r in rules if "tok_block_tr_sorted" not in _rule_sql(r)]


def test_pseudonymised_transliterated_pairs_are_linked_and_old_files_link_as_before():
    regs, pairs = _translit_registrations()
    new = pseudonymise(regs, KEY)
    res = link(new, truth="true_person_id", max_pairs=2e5, seed=0, threads=1)
    pid = dict(zip(res.links["record_id"].astype(str), res.links["person_id"]))
    linked = [a for a, b in pairs if pid[a] == pid[b]]
    assert len(linked) >= 11, [p for p in pairs if pid[p[0]] != pid[p[1]]]
    assert res.quality.iloc[0]["precision"] > 0.95
    old = link(new.drop(columns=list(FOLDED_TOKEN_COLUMNS)), truth="true_person_id", max_pairs=2e5, seed=0,
               threads=1)
    pid0 = dict(zip(old.links["record_id"].astype(str), old.links["person_id"]))
    assert len([a for a, b in pairs if pid0[a] == pid0[b]]) < len(linked)
    assert "folding" not in str(old.model) and "after transliteration folding" in str(res.model)
