"""u of comparison levels that no random pair reaches (splink_model.fill_unobserved_u), on records with a known truth."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.splink_model import fill_unobserved_u


def _records(seed: int = 3) -> pd.DataFrame:
    """400 persons with random 8-letter names and distinct dates of birth; 20 registered twice with one substituted
    letter in each name (a pair that random pairs of unrelated names never reproduce), 40 namesake-free persons sharing
    a date of birth with another."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    n = 400
    fn = ["".join(rng.choice(letters, 8)) for _ in range(n)]
    sn = ["".join(rng.choice(letters, 8)) for _ in range(n)]
    days = rng.permutation(np.arange(n)) + 7000
    days[n - 40:] = days[:40]  # 40 pairs of different persons born on one day
    dob = pd.to_datetime(days, unit="D").strftime("%Y-%m-%d")
    df = pd.DataFrame({"fn": fn, "sn": sn, "dob": dob, "person": np.arange(n)})

    def typo(s: str) -> str:
        i = int(rng.integers(len(s)))
        return s[:i] + ("a" if s[i] != "a" else "b") + s[i + 1:]

    dup = df.iloc[40:60].copy()
    dup["fn"], dup["sn"] = dup["fn"].map(typo), dup["sn"].map(typo)
    out = pd.concat([df, dup], ignore_index=True)
    out["uid"] = np.arange(len(out))
    return out


def _linker(df: pd.DataFrame):
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    name = cl.CustomComparison(output_column_name="name", comparison_levels=[
        cll.And(cll.NullLevel("fn"), cll.NullLevel("sn")),
        cll.CustomLevel("fn_l = fn_r and sn_l = sn_r", label_for_charts="both exact"),
        cll.CustomLevel("levenshtein(fn_l, fn_r) = 1 and levenshtein(sn_l, sn_r) = 1", label_for_charts="both one edit"),
        cll.ElseLevel(),
    ])
    settings = SettingsCreator(link_type="dedupe_only", unique_id_column_name="uid", comparisons=[name],
                               blocking_rules_to_generate_predictions=[block_on("dob")],
                               probability_two_random_records_match=20 / (420 * 419 / 2))
    sdf = DuckDBAPI().register(df.drop(columns="person"), table_name="unobserved_levels_records")
    return Linker(sdf, settings)


def _level(linker, label: str):
    cc = linker._settings_obj.comparisons[0]
    return next(c for c in cc._comparison_levels_excluding_null if c.label_for_charts == label)


def test_unobserved_level_gets_u_one_over_pairs_and_a_finite_m():
    df = _records()
    linker = _linker(df)
    logging.getLogger("splink").setLevel(logging.ERROR)
    n_pairs = 500
    linker.training.estimate_u_using_random_sampling(max_pairs=n_pairs, seed=1, num_chunks=1)
    one_edit = _level(linker, "both one edit")
    # the case this fixes: no random pair of unrelated 8-letter names is one edit apart in both, so u is untrained
    assert not one_edit._has_estimated_u_values
    else_u = _level(linker, "All other comparisons").u_probability

    filled = fill_unobserved_u(linker, n_pairs)

    # no random pair of 500 agrees exactly on both names either
    assert filled == ["name: both exact", "name: both one edit"]
    assert one_edit.u_probability == pytest.approx(1 / n_pairs)
    assert _level(linker, "both exact").u_probability == pytest.approx(1 / n_pairs)
    # a trained level is left as it was
    assert _level(linker, "All other comparisons").u_probability == else_u
    linker.training.estimate_parameters_using_expectation_maximisation("l.dob = r.dob")
    one_edit = _level(linker, "both one edit")
    # kept through Splink's re-population of m and u after EM, and m trained from the 20 duplicates: the level is
    # strong evidence of one person, not a veto
    assert one_edit.u_probability == pytest.approx(1 / n_pairs)
    assert one_edit.m_probability > 0.5
    pred = linker.inference.predict().as_pandas_dataframe()
    person = df["person"].to_numpy()
    same = person[pred["uid_l"].to_numpy()] == person[pred["uid_r"].to_numpy()]
    p = pred["match_probability"].to_numpy()
    assert same.sum() == 20 and (~same).sum() == 40
    # the duplicates' probability is the prior odds times m / u of the level: u = 1/500 caps the evidence at what
    # 500 random pairs can show (about 9 bits here), it is not Splink's default and not a veto
    prior = 20 / (420 * 419 / 2)
    odds = prior / (1 - prior) * one_edit.m_probability / (1 / n_pairs)
    assert p[same] == pytest.approx(np.full(20, odds / (1 + odds)), rel=1e-6)
    assert (p[~same] < 1e-4).all()


def test_fill_unobserved_u_refuses_no_pairs():
    linker = _linker(_records())
    with pytest.raises(ValueError, match="n_pairs"):
        fill_unobserved_u(linker, 0)


def test_collapsed_m_raised_to_weigh_as_total_disagreement():
    from darkfigure.linkage.splink_model import floor_collapsed_m

    df = _records()
    linker = _linker(df)
    logging.getLogger("splink").setLevel(logging.ERROR)
    linker.training.estimate_u_using_random_sampling(max_pairs=500, seed=1, num_chunks=1)
    fill_unobserved_u(linker, 500)
    linker.training.estimate_parameters_using_expectation_maximisation("l.dob = r.dob")
    # nothing collapsed: nothing changes
    assert floor_collapsed_m(linker) == []
    one_edit, last = _level(linker, "both one edit"), _level(linker, "All other comparisons")
    bf_else = last.m_probability / last.u_probability
    # what EM does on blocks with a handful of such pairs, most of them different persons
    one_edit.m_probability = 1e-12
    assert one_edit.m_probability / one_edit.u_probability < bf_else

    assert floor_collapsed_m(linker) == ["name: both one edit"]
    assert one_edit.m_probability / one_edit.u_probability == pytest.approx(bf_else)
    assert last.m_probability / last.u_probability == pytest.approx(bf_else)
    # a level whose m is fixed (a deliberate choice, e.g. the gross-error levels) is left alone
    one_edit.m_probability, one_edit._fix_m_probability = 1e-12, True
    assert floor_collapsed_m(linker) == [] and one_edit.m_probability == 1e-12
    # and so is a comparison not named as ordered (registered by one organisation or two: no order of similarity)
    one_edit._fix_m_probability = False
    assert floor_collapsed_m(linker, comparisons=("date_of_birth",)) == [] and one_edit.m_probability == 1e-12
