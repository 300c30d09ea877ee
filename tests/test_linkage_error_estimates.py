"""Estimated false and missed links (linkage_errors.csv) against the truth of small simulated registers."""

from __future__ import annotations

from functools import cache

import pytest

from darkfigure.linkage import link, simulate_registrations
from darkfigure.linkage.quality import true_link_errors

#: tuning seeds of the link-error estimate (about 8,000 registrations each; 30-120 true links of each kind)
SEEDS = (2000, 2001, 2002, 2003)


@cache
def _estimated_and_true(setting: str, seed: int) -> tuple:
    """(estimated, true) per pair of organisations for one simulated register, linked at the defaults."""
    regs = simulate_registrations("clearing_house", seed=seed, scale=1.0, errors=setting).registrations
    res = link(regs, seed=seed, threads=1)
    true = true_link_errors(res.records["organisation"].to_numpy(), regs["true_person_id"].astype(str).to_numpy(),
                            res.links["person_id"].to_numpy())
    return res.linkage_errors, true


@pytest.mark.slow
@pytest.mark.parametrize(("setting", "column"), [
    ("no_dob", "false_links"),
    ("no_dob", "missed_links"),
    ("recurring_names", "false_links"),
    # among namesakes the missed links ran high twice over until 2026-12-07 (236 expected, 135 true): the pairs of
    # dated registrations below the threshold by their own p (a namesake person counted once per pair) and the
    # undated registrations' model (its scale c solved exactly); with the persons' odds for every pair left apart,
    # c shrunk towards 1 and the never-compared undated pairs left to the model: 151 expected, 132 true
    ("recurring_names", "missed_links"),
])
def test_estimated_link_errors_are_near_the_true_counts_summed_over_seeds(setting, column):
    # Summed over four populations: per population the estimate is within 25 % of the truth in only part of them
    # (benchmarks/linkage_uncertainty_study.py: 12 and 16 of 52 at the defaults of 2026-12-06), because the
    # undated registrations' model moves by 10-30 pairs from one population to the next (no_dob 2026-12-07:
    # missed 58-96 expected against 53-80 true, false 63-105 against 69-117). One seed was the test until the
    # transliteration levels raised recall and its missed links fell from 78 to 70 true, 93 expected. The sum
    # still fails on a bias of more than a quarter, which is what this test is for.
    est = sum(float(_estimated_and_true(setting, s)[0][column].sum()) for s in SEEDS)
    true = sum(float(_estimated_and_true(setting, s)[1][column].sum()) for s in SEEDS)
    assert true > 0
    assert abs(est - true) <= 0.25 * true, (column, est, true)


@pytest.mark.slow
def test_link_error_rows_are_the_pairs_of_organisations():
    est, true = _estimated_and_true("no_dob", SEEDS[0])
    # per pair of organisations: the same rows in the same order as the truth, every count finite and >= 0
    assert list(est["organisation_l"]) == list(true["organisation_l"])
    assert list(est["organisation_r"]) == list(true["organisation_r"])
    for col in ("false_links", "missed_links"):
        assert (est[col] >= 0).all() and est[col].notna().all()
