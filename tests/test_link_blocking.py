"""Blocking in large registers: engines.cap_blocks cuts the largest blocks of the rules that grow quadratically."""

from __future__ import annotations

import itertools

import duckdb
import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.engines import _parse_rule, cap_blocks


def _frame(seed: int = 0) -> pd.DataFrame:
    """Registrations with one very common name (80 records), a few common ones and rare ones; 20% without a date."""
    rng = np.random.default_rng(seed)
    names = ["nguyen"] * 80 + [f"common{i}" for i in range(4) for _ in range(12)] + [f"rare{i}" for i in range(60)]
    n = len(names)
    dob = pd.Series([f"19{rng.integers(70, 99)}-0{rng.integers(1, 9)}-1{rng.integers(0, 9)}" for _ in range(n)])
    dob[rng.random(n) < 0.2] = None
    fn = pd.Series(rng.choice(["anh", "linh", "mai"], n))
    return pd.DataFrame({"uid": np.arange(n), "sn": pd.Series(names, dtype="string[pyarrow]"),
                         "fn": fn.astype("string[pyarrow]"), "dob": dob.astype("string[pyarrow]"),
                         # the same surnames in another column: a rule across two columns (as swapped names are)
                         "sn2": pd.Series(names, dtype="string[pyarrow]")})


def _pairs(p: pd.DataFrame, rule: str) -> set[tuple[int, int]]:
    """The record pairs (uid_l < uid_r) that a blocking rule joins, by DuckDB."""
    con = duckdb.connect()
    con.register("t", p)
    got = con.execute(f"select l.uid, r.uid from t as l join t as r on {rule} where l.uid < r.uid").fetchall()
    return set(got)


def _brute(p: pd.DataFrame, keys, null=None) -> set[tuple[int, int]]:
    """The same pairs by a loop over all pairs (keys: (a, b) column pairs, l.a = r.b; null: (side, column))."""
    out = set()
    rows = p.to_dict("records")
    for x, y in itertools.permutations(rows, 2):
        if x["uid"] >= y["uid"]:
            continue
        if all(pd.notna(x[a]) and pd.notna(y[b]) and x[a] == y[b] for a, b in keys) and (
                null is None or pd.isna((x if null[0] == "l" else y)[null[1]])):
            out.add((x["uid"], y["uid"]))
    return out


def test_parse_rule_reads_keys_and_null_filters():
    assert _parse_rule('(l."dob" = r."dob") AND (l."ini" = r."ini")') == ([("dob", "dob"), ("ini", "ini")], None)
    assert _parse_rule("r.dob is null and l.fn = r.sn and r.fn_p2 = l.sn_p2") == (
        [("fn", "sn"), ("sn_p2", "fn_p2")], ("r", "dob"))
    # anything else is left alone
    assert _parse_rule("levenshtein(l.sn, r.sn) <= 1") is None
    assert _parse_rule("l.dob = r.dob or l.sn = r.sn") is None


def test_small_rules_are_untouched():
    p = _frame()
    q, rules, notes = cap_blocks(p, ["l.sn = r.sn", "l.dob is null and l.sn = r.sn"], budget=1e9, max_block=10)
    assert rules == ["l.sn = r.sn", "l.dob is null and l.sn = r.sn"] and notes == [] and q.shape == p.shape


@pytest.mark.parametrize("rule,keys,null", [
    ("l.sn = r.sn", [("sn", "sn")], None),
    ("l.sn = r.sn and l.fn = r.fn", [("sn", "sn"), ("fn", "fn")], None),
    ("l.dob is null and l.sn = r.sn", [("sn", "sn")], ("l", "dob")),
    ("r.dob is null and l.sn = r.sn", [("sn", "sn")], ("r", "dob")),
    ("l.sn = r.sn2 and l.fn = r.fn", [("sn", "sn2"), ("fn", "fn")], None),
])
def test_cut_rule_joins_exactly_the_pairs_of_the_small_blocks(rule, keys, null):
    p = _frame()
    max_block = 15
    q, (new,), notes = cap_blocks(p, [rule], budget=0, max_block=max_block, windows=False)
    assert new != rule and "blkl0" in new and len(notes) == 1
    full = _brute(p, keys, null)
    got = _pairs(q, new)
    assert got <= full
    # a pair is dropped exactly when its block (records sharing the key tuple, one side each) is too large
    left = p[[a for a, _ in keys]].astype(object).apply(tuple, axis=1)
    right = p[[b for _, b in keys]].astype(object).apply(tuple, axis=1)
    ml = p["dob"].isna() if null is not None and null[0] == "l" else pd.Series(True, index=p.index)
    mr = p["dob"].isna() if null is not None and null[0] == "r" else pd.Series(True, index=p.index)
    nl, nr = left[ml].value_counts(), right[mr].value_counts()
    symmetric = null is None and all(a == b for a, b in keys)

    def block(v):
        return nl.get(v, 0) if symmetric else max(nl.get(v, 0), nr.get(v, 0))

    # the pair's key tuple: the left record's left keys (= the right record's right keys)
    assert got == {(i, j) for i, j in full if block(left[i]) <= max_block}
    # the common name's block was cut; something was kept
    assert any(p.loc[i, "sn"] == "nguyen" for i, _ in full) and not any(p.loc[i, "sn"] == "nguyen" for i, _ in got)
    assert got


@pytest.mark.parametrize("rule,keys,null", [
    ("l.dob is null and l.sn = r.sn", [("sn", "sn")], ("l", "dob")),
    ("r.dob is null and l.sn = r.sn", [("sn", "sn")], ("r", "dob")),
    ("l.dob is null and l.sn = r.sn2 and l.fn = r.fn", [("sn", "sn2"), ("fn", "fn")], ("l", "dob")),
])
def test_large_blocks_of_rules_for_a_missing_date_are_compared_in_sorted_windows(rule, keys, null):
    """Rules with a null filter: small blocks whole; in a large block every pair at most max_block / 2 apart in
    registration day, no more than 2 (max_block - 1) candidates per registration, nothing the uncut rule would not
    join. A rule without a null filter is purged as before (one rule)."""
    p = _frame().assign(reg_day=pd.array(np.random.default_rng(5).permutation(len(_frame())), dtype="Int64"))
    max_block = 10
    q, new, notes = cap_blocks(p, [rule], budget=0, max_block=max_block)
    assert len(new) == 2 and len(notes) == 1 and "sorted windows" in notes[0]
    full = _brute(p, keys, null)
    got = _pairs(q, new[0]) | _pairs(q, new[1])
    assert got <= full
    q0, (purged,), _ = cap_blocks(p, [rule], budget=0, max_block=max_block, windows=False)
    assert _pairs(q0, purged) <= got  # the small blocks are still compared whole
    # the pairs of the common surname (a block of 80): the close ones in registration order are all joined
    day = p["reg_day"].to_numpy(dtype=int)
    ng = p.index[p["sn"] == "nguyen"].to_numpy()
    rank = {i: k for k, i in enumerate(ng[np.argsort(day[ng])])}
    close = {(i, j) for i, j in full if i in rank and j in rank and abs(rank[i] - rank[j]) <= max_block // 2}
    if keys == [("sn", "sn")]:
        close = {(i, j) for i, j in close if pd.isna(p.loc[i if null[0] == "l" else j, "dob"])}
        assert close and close <= got
        assert len(got & {(i, j) for i, j in full if i in rank and j in rank}) < len(close) * 3
    per = pd.Series([x for pr in got for x in pr]).value_counts()
    assert per.max() <= 2 * (max_block - 1)
    assert len(cap_blocks(p, ["l.sn = r.sn"], budget=0, max_block=max_block)[1]) == 1


def test_max_block_must_allow_a_pair():
    with pytest.raises(ValueError, match="max_block"):
        cap_blocks(_frame(), ["l.sn = r.sn"], max_block=1)


def test_plaintext_rules_catch_a_day_month_swap_with_a_typo_and_swapped_names_with_a_wrong_year(monkeypatch):
    """Pairs with errors in two fields that the rules of a large register used to miss are joined.

    A day/month swap with a typo in the first name ("Angelina Haan 1999-01-10" / "Anfelina Haan 1999-10-01")
    and swapped names with a typo and the year off ("Vannhat Nguyen 1992-10-19" / "Vannhat Gnuyen 1991-10-19"),
    with the coarse rules (two letters of both names) left out as they are at a million registrations.
    """
    import darkfigure.linkage.splink_model as sm
    from darkfigure.linkage.prepare import _prepare_plain

    monkeypatch.setattr(sm, "COARSE_RULE_PAIRS", -1.0)
    regs = pd.DataFrame({
        "first_name": ["Angelina", "Anfelina", "Angelina", "Vannhat", "Gnuyen"],
        "surname": ["Haan", "Haan", "Haan", "Nguyen", "Vannhat"],
        "date_of_birth": ["1999-01-10", "1999-10-01", "1999-03-12", "1992-10-19", "1991-10-19"],
        "registration_date": ["2023-01-01"] * 5, "organisation": ["police", "shelters"] * 2 + ["police"],
    })
    p = _prepare_plain(regs)
    assert p["dob_mdx"].iloc[0] == p["dob_mdx"].iloc[1] == "01-10"
    _, rules, _, _ = sm._plain_settings(p)
    sql = [r if isinstance(r, str) else r.get_blocking_rule("duckdb").blocking_rule_sql for r in rules]
    joined = set().union(*(_pairs(p, r) for r in sql))
    assert (0, 1) in joined and (3, 4) in joined
    # a first-name typo with another day and month of the same year is not joined
    assert (1, 2) not in joined


def _splink_pairs(p: pd.DataFrame, rules: list[str]) -> dict[tuple[int, int], int]:
    """The pairs of a list of rules as Splink blocks them: each pair once, with the first rule that joins it."""
    out: dict[tuple[int, int], int] = {}
    for k, rule in enumerate(rules):
        for pair in sorted(_pairs(p, rule)):
            out.setdefault(pair, k)
    return out


def test_blocked_pairs_on_integer_codes_are_splinks_pairs():
    """engines.rule_codes + blocked_pairs: the same pairs as the rules joined on their columns, each once, with the
    number of the first (one-sided) rule that joins it; a filter on either side's missing date is two rules."""
    from splink import DuckDBAPI

    from darkfigure.linkage.engines import _one_sided, blocked_pairs, rule_codes

    p = _frame(3)
    rules = ["l.sn = r.sn and l.fn = r.fn", "l.dob = r.dob", "l.sn = r.sn2 and l.dob is null",
             "l.fn = r.fn and l.sn2 = r.sn and (l.dob is null or r.dob is null)", "r.dob is null and l.fn = r.fn"]
    assert _one_sided(rules[3]) == ["l.fn = r.fn and l.sn2 = r.sn and l.dob is null",
                                    "l.fn = r.fn and l.sn2 = r.sn and r.dob is null"]
    one_sided = [s for r in rules for s in _one_sided(r)]
    codes = rule_codes(p, rules)
    assert codes.shape == (len(p), 1 + 2 * len(one_sided)) and codes["l0"].dtype == np.int32
    db = DuckDBAPI(connection=duckdb.connect())
    table = blocked_pairs(db, codes, "pairs_test")
    got = db.duckdb_con.execute(f"select join_key_l, join_key_r, match_key from {table.physical_name}").fetchall()
    assert len(got) == len({(i, j) for i, j, _ in got})  # each pair once
    want = _splink_pairs(p, one_sided)
    assert {(i, j): k for i, j, k in got} == want
    # the union of the either-side rule is the pairs where one of the two lacks a date
    either = _pairs(p, "l.fn = r.fn and l.sn2 = r.sn and (l.dob is null or r.dob is null)")
    assert either and either <= set(want)
    # a rule of another form: no codes (Splink blocks)
    assert rule_codes(p, [*rules, "levenshtein(l.sn, r.sn) <= 1"]) is None


def test_rule_codes_reuse_and_empty_the_cache_of_cap_blocks():
    """The codes cap_blocks computed are reused and the cache is emptied as the rules are coded; the pairs of the cut
    rules are those of their rewritten SQL."""
    from splink import DuckDBAPI

    from darkfigure.linkage.engines import blocked_pairs, rule_codes

    p = _frame(4)
    p = p.assign(reg_day=pd.array(np.arange(len(p)) % 37, dtype="Int64"))
    rules = ["l.sn = r.sn", "l.dob is null and l.sn = r.sn", "l.fn = r.fn and l.dob = r.dob"]
    cache: dict = {}
    q, new, _ = cap_blocks(p, rules, budget=0, max_block=12, cache=cache)
    assert cache
    codes = rule_codes(q, new, cache)
    assert cache == {}
    db = DuckDBAPI(connection=duckdb.connect())
    table = blocked_pairs(db, codes, "pairs_cut")
    got = set(db.duckdb_con.execute(f"select join_key_l, join_key_r from {table.physical_name}").fetchall())
    assert got == set(_splink_pairs(q, new))
    pd.testing.assert_frame_equal(codes, rule_codes(q, new))  # the same codes without the cache


def test_comparison_columns_keep_what_the_settings_name():
    from darkfigure.linkage.engines import comparison_columns

    settings = {"comparisons": [{"comparison_levels": [{"sql_condition": '"fn_l" = "fn_r"'},
                                                       {"sql_condition": "levenshtein(sn_l, sn_r) <= 1",
                                                        "tf_adjustment_column": "full_name"}]}],
                "rules": ['l."dob" = r."dob"']}
    assert comparison_columns(settings, ["fn", "sn", "full_name", "dob", "fn_p2", "sn_s2", "blkl0"]) == [
        "fn", "sn", "full_name", "dob"]


def test_exact_match_detection_is_cached_with_splinks_answers():
    """engines._cache_exact_match_detection: Splink's own answers (exact-match level and its column), once per SQL."""
    import splink.comparison_level_library as cll

    from darkfigure.linkage import engines

    engines._cache_exact_match_detection()
    exact = cll.ExactMatchLevel("sn").get_comparison_level("duckdb")
    custom = cll.CustomLevel("levenshtein(sn_l, sn_r) <= 1 and fn_l = fn_r").get_comparison_level("duckdb")
    assert exact._is_exact_match and exact._exact_match_colnames == ["sn"]
    assert not custom._is_exact_match
    with pytest.raises(ValueError, match="not an exact match"):
        _ = custom._exact_match_colnames
    assert (str(exact.sql_condition), str(exact.sqlglot_dialect)) in engines._EXACT_MATCH_CACHE
