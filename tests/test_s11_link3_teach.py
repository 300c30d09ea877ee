"""Issue 11: the teaching sample of the date-masked calibration in large registers (linkage._masked_teach)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage._masked_teach import TEACH_COLUMN, taught_pairs, teach_rules, teach_sample


def test_teach_sample_share_and_seed():
    """About `share` of the registrations, the same ones for one seed, others for another; a bad share is refused."""
    a, b, c = teach_sample(20_000, 0.25, 1), teach_sample(20_000, 0.25, 1), teach_sample(20_000, 0.25, 2)
    inside = ~pd.isna(a)
    assert inside.mean() == pytest.approx(0.25, abs=0.02)
    assert np.array_equal(inside, ~pd.isna(b))
    assert not np.array_equal(inside, ~pd.isna(c))
    with pytest.raises(ValueError, match="share"):
        teach_sample(10, 0.0)


def _regs() -> pd.DataFrame:
    """Six registrations: misspelt first names of one surname, a Soundex twin, a namesake of another surname."""
    return pd.DataFrame({
        "first_name": ["Angelina", "Anhelina", "Angelina", "Maria", "Marya", "Angelina"],
        "surname": ["Haan", "Haan", "Jansen", "Smit", "Smid", "Haan"],
        "date_of_birth": ["1999-01-10", "1980-05-05", None, "1970-02-02", "1971-03-03", "2001-01-01"],
        "registration_date": ["2023-01-01"] * 6, "organisation": ["police", "shelters"] * 3,
    })


def test_taught_pairs_are_the_pairs_the_teaching_rules_join():
    """taught_pairs marks exactly the pairs the teaching rules join (DuckDB), whatever the dates of birth say."""
    from darkfigure.linkage.prepare import _prepare_plain

    p = _prepare_plain(_regs())
    p[TEACH_COLUMN] = pd.arrays.IntegerArray(np.ones(6, np.int8), np.array([False] * 5 + [True]))
    con = duckdb.connect()
    con.register("t", p)
    joined = set()
    for r in teach_rules():
        joined |= set(con.execute(f"select l.uid, r.uid from t as l join t as r on {r} where l.uid < r.uid").fetchall())
    left, right = np.array([i for i in range(6) for j in range(i + 1, 6)]), np.array(
        [j for i in range(6) for j in range(i + 1, 6)])
    got = taught_pairs(left, right, p)
    assert {(int(a), int(b)) for a, b, t in zip(left, right, got) if t} == joined
    assert (0, 1) in joined and (3, 4) in joined and (0, 5) not in joined and (0, 2) not in joined
    assert taught_pairs(left, right, p.drop(columns=[TEACH_COLUMN])) is None


def test_teach_rules_only_where_misspelt_names_are_not_blocked(monkeypatch):
    """The teaching rules (and the sample column) come in only where the rule on two letters of both names is out."""
    import darkfigure.linkage.splink_model as sm
    from darkfigure.linkage.prepare import _prepare_plain

    p = _prepare_plain(_regs())
    rules = sm._plain_settings(p)[1]
    assert sm.misspelt_names_blocked(rules) and TEACH_COLUMN not in p.columns
    monkeypatch.setattr(sm, "COARSE_RULE_PAIRS", -1.0)
    rules = sm._plain_settings(p)[1]
    assert not sm.misspelt_names_blocked(rules) and TEACH_COLUMN in p.columns
    assert all(r in rules for r in teach_rules())


def _calibration_case(seed: int = 3):
    """Synthetic scored pairs: 300 dated (half matches, misspelt or exact names), 60 undated (half misspelt)."""
    rng = np.random.default_rng(seed)
    n_dated, n_undated = 300, 60
    fn, sn, left, right = [], [], [], []
    for i in range(n_dated + n_undated):
        misspelt = i % 2 == 0
        fn += ["marianne", "mairanne" if misspelt else "marianne"]
        sn += [f"jansen{i}", f"jansen{i}"]
        left.append(2 * i)
        right.append(2 * i + 1)
    n = len(fn)
    records = pd.DataFrame({"fn": fn, "sn": sn, "reg_day": rng.integers(0, 400, n), "org": rng.choice(["a", "b"], n)})
    left, right = np.array(left), np.array(right)
    both = np.r_[np.ones(n_dated, bool), np.zeros(n_undated, bool)]
    match = rng.random(n_dated) < 0.5
    log_bf = np.where(match, 6.0, -4.0) + rng.normal(0, 0.5, n_dated)
    x = rng.normal(0.0, 1.5, n_dated + n_undated)
    probability = 1 / (1 + np.exp(-(x + np.r_[log_bf, np.zeros(n_undated)])))
    q = probability.copy()
    out = np.full(n_dated + n_undated, 0.5)
    return probability, both, q, out, log_bf, left, right, records


def test_masked_misspelt_replaces_only_the_misspelt_undated_pairs():
    """The second curve changes the undated pairs with misspelt names, never the exact ones nor the dated pairs;
    with no dated pair to learn from, nothing changes."""
    from darkfigure.linkage._masked_teach import masked_misspelt

    probability, both, q, out, log_bf, left, right, records = _calibration_case()
    got = masked_misspelt(probability, both, q, out, log_bf, left, right, records)
    undated = np.flatnonzero(~both)
    misspelt = undated[undated % 2 == 0]
    exact = undated[undated % 2 == 1]
    assert np.allclose(got[both], out[both]) and np.allclose(got[exact], out[exact])
    assert not np.allclose(got[misspelt], out[misspelt])
    none = masked_misspelt(probability, both, q, out, np.full(log_bf.size, np.nan), left, right, records)
    assert np.allclose(none, out)
