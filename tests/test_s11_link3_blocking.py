"""Issue 11: the coarse rules for a missing date of birth are kept in large registers (compared in windows)."""

from __future__ import annotations

import duckdb
import pandas as pd


def _pairs(p: pd.DataFrame, rules: list) -> set[tuple[int, int]]:
    """The record pairs (uid_l < uid_r) that any of the blocking rules joins, by DuckDB."""
    con = duckdb.connect()
    con.register("t", p)
    out: set[tuple[int, int]] = set()
    for r in rules:
        sql = r if isinstance(r, str) else r.get_blocking_rule("duckdb").blocking_rule_sql
        out |= set(con.execute(f"select l.uid, r.uid from t as l join t as r on {sql} where l.uid < r.uid").fetchall())
    return out


def _regs() -> pd.DataFrame:
    """An undated registration and a dated one of the same person whose first name lost its first letter to a typo
    (another Soundex code), and a namesake with another surname."""
    return pd.DataFrame({
        "first_name": ["Angelina", "Xngelina", "Angelina"],
        "surname": ["Haan", "Haan", "Jansen"],
        "date_of_birth": [None, "1999-01-10", "1999-01-10"],
        "registration_date": ["2023-01-01", "2023-02-01", "2023-03-01"],
        "organisation": ["police", "shelters", "police"],
    })


def test_coarse_undated_rules_kept_when_windowed_however_large(monkeypatch):
    """With `windowed` (and COARSE_WINDOWED on) the rule on one name and two letters of the other joins the misspelt undated pair even when
    the coarse rules count as too large; without it they are left out and the pair is not joined."""
    import darkfigure.linkage.splink_model as sm
    from darkfigure.linkage.prepare import _prepare_plain

    monkeypatch.setattr(sm, "COARSE_RULE_PAIRS", -1.0)
    monkeypatch.setattr(sm, "COARSE_WINDOWED", True)
    monkeypatch.setattr(sm, "RARE_BLOCKS", False)  # their small blocks alone would join the pair (test_link_rare_blocks)
    p = _prepare_plain(_regs())
    assert p["fn_sx"].iloc[0] != p["fn_sx"].iloc[1]
    _, rules, _, _ = sm._plain_settings(p, windowed=True)
    assert (0, 1) in _pairs(p, rules)
    _, rules_cut, _, _ = sm._plain_settings(p, windowed=False)
    assert (0, 1) not in _pairs(p, rules_cut)
    assert len(rules) > len(rules_cut)


def test_coarse_undated_rules_small_blocks_kept_either_way():
    """Where the coarse rules' blocks are small (a few registrations) both forms keep them: the same rules."""
    import darkfigure.linkage.splink_model as sm
    from darkfigure.linkage.prepare import _prepare_plain

    p = _prepare_plain(_regs())
    def sql(r) -> str:
        """A rule's SQL (strings as they are)."""
        return r if isinstance(r, str) else r.get_blocking_rule("duckdb").blocking_rule_sql

    a = [sql(r) for r in sm._plain_settings(p, windowed=True)[1]]
    b = [sql(r) for r in sm._plain_settings(p, windowed=False)[1]]
    assert a == b
