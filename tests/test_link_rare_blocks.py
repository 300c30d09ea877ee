"""The small blocks of the coarse rules for a missing date of birth, kept where the rules are left out (_rare_blocks)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest


def _pairs(p: pd.DataFrame, rules: list) -> set[tuple[int, int]]:
    """The record pairs (uid_l < uid_r) that any of the blocking rules (SQL strings) joins, by DuckDB."""
    con = duckdb.connect()
    con.register("t", p)
    out: set[tuple[int, int]] = set()
    for sql in rules:
        out |= set(con.execute(f"select l.uid, r.uid from t as l join t as r on {sql} where l.uid < r.uid").fetchall())
    return out


def _regs(common: int) -> pd.DataFrame:
    """An undated "Angelina Haan" and a dated "Xngelina Haan" (a typo that changes the Soundex code), and an undated
    "Annie de Jong" with `common` dated registrations of namesakes (one block)."""
    first = ["Angelina", "Xngelina", "Annie"] + ["Annie"] * common
    return pd.DataFrame({
        "first_name": first,
        "surname": ["Haan", "Haan"] + ["de Jong"] * (1 + common),
        "date_of_birth": [None, "1999-01-10", None] + [f"19{60 + i % 40}-02-03" for i in range(common)],
        "registration_date": ["2023-01-01"] * len(first),
        "organisation": ["police"] * len(first),
    })


def test_rare_block_rules_join_small_blocks_only():
    """The misspelt undated pair of a rare name is joined; an undated registration in a block larger than the limit is
    not, and the added column is null there."""
    from darkfigure.linkage._rare_blocks import rare_block_rules
    from darkfigure.linkage.prepare import _prepare_plain

    p = _prepare_plain(_regs(common=5))
    rules = rare_block_rules(p, [(("sn", "sn"), ("fn_s2", "fn_s2"))], limit=4)
    assert len(rules) == 2 and all("dob is null" in r for r in rules)
    pairs = _pairs(p, rules)
    assert (0, 1) in pairs
    assert not any(2 in pr for pr in pairs)  # "de jong" + "ie": the block of 6 is dropped
    assert p["fn_s2_sn_rb"].isna().sum() == 6
    # with a limit above the block both are joined
    q = _prepare_plain(_regs(common=5))
    assert any(2 in pr for pr in _pairs(q, rare_block_rules(q, [(("sn", "sn"), ("fn_p2", "fn_p2"))], limit=10)))


def test_rare_block_rules_skip_crossed_keys_and_check_input():
    """Keys that cross columns give no rule; a limit below 2 or a missing column is an error naming it."""
    from darkfigure.linkage._rare_blocks import rare_block_rules
    from darkfigure.linkage.prepare import _prepare_plain

    p = _prepare_plain(_regs(common=2))
    assert rare_block_rules(p, [(("fn", "sn"), ("sn_p2", "fn_p2"))]) == []
    with pytest.raises(ValueError, match="at least 2"):
        rare_block_rules(p, [(("sn", "sn"), ("fn_p2", "fn_p2"))], limit=1)
    with pytest.raises(ValueError, match="no column nope"):
        rare_block_rules(p, [(("sn", "sn"), ("nope", "nope"))])


def test_plain_settings_add_rare_rules_for_coarse_rules_left_out(monkeypatch):
    """When the coarse rules for a missing date count as too large, _plain_settings adds their small blocks (the
    misspelt undated pair is joined) unless RARE_BLOCKS is off."""
    import darkfigure.linkage.splink_model as sm
    from darkfigure.linkage.prepare import _prepare_plain

    monkeypatch.setattr(sm, "COARSE_RULE_PAIRS", -1.0)
    p = _prepare_plain(_regs(common=2))
    rules = [r for r in sm._plain_settings(p)[1] if isinstance(r, str)]
    assert any("_rb" in r for r in rules)
    assert (0, 1) in _pairs(p, [r for r in rules if "_rb" in r])
    monkeypatch.setattr(sm, "RARE_BLOCKS", False)
    q = _prepare_plain(_regs(common=2))
    assert not any("_rb" in r for r in sm._plain_settings(q)[1] if isinstance(r, str))
