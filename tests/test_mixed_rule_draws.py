"""Rule ``mixed`` of the linkage correction reads the draws of the world each branch is in (docs/methods/linkage.md):
where the mean over the draws (matches never compared merged) lies below N̂ as linked, those draws ("toward");
otherwise the bias correction from draws that split the never-compared matches off, as ``correction="bias"`` makes
it. Until 2026-12-06 its bias branch read the merged draws.

Synthetic registrations only (``synthetic_pairs``); no Splink.
"""

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.mixed_rule import needs_two_draw_sets
from darkfigure.linkage.uncertainty import LinkRun, linkage_uncertainty, loglinear_refit
from synthetic_pairs import true_pairs


def _run(unblocked: float | None) -> LinkRun:
    """True pairs scored 0.9 (the draws split some: their mean lies above N̂ as linked), false ones 0.02, and
    `unblocked` expected matches never compared between each of two pairs of organisations (None: no table)."""
    tp = true_pairs(3, 2500, 300)
    orgs = sorted(tp.records["organisation"].unique())
    u = None if unblocked is None else pd.DataFrame(
        {"organisation_l": orgs[:2], "organisation_r": orgs[1:3], "unblocked_matches": [unblocked] * 2})
    return LinkRun(tp.records, tp.pairs(0.9, 0.02), 0.5, unblocked=u)


def _le(run, rule, seed=2):
    return linkage_uncertainty(run, loglinear_refit([], [], reps=0), draws=6, seed=seed, n_jobs=1, correction=rule)


@pytest.fixture(scope="module")
def above():
    """Few matches never compared: the merged draws' mean lies above N̂ as linked."""
    run = _run(6.0)
    return run, _le(run, "toward"), _le(run, "bias"), _le(run, "mixed")


def test_above_as_linked_mixed_is_the_bias_correction_of_the_split_draws(above):
    _, toward, bias, mixed = above
    a = toward.nhat_as_linked
    m_merged = float(toward.estimates["nhat_mean_draws"].iloc[0])
    m_split = float(bias.estimates["nhat_mean_draws"].iloc[0])
    assert m_merged >= a  # the branch under test
    assert m_split > m_merged + 10  # splitting the never-compared matches off raises the draws' N̂
    assert mixed.correction == "mixed"
    assert mixed.nhat_corrected == pytest.approx(2 * a - m_split, rel=1e-9)
    assert mixed.nhat_corrected == pytest.approx(bias.nhat_corrected, rel=1e-9)
    assert (mixed.lower, mixed.upper) == pytest.approx((bias.lower, bias.upper), rel=1e-9)
    # the old behaviour: the bias branch from the merged draws
    assert abs(mixed.nhat_corrected - (2 * a - m_merged)) > 10
    assert mixed.nhat_as_linked == pytest.approx(a, rel=1e-12)
    assert any("split those matches off" in n for n in mixed.notes)


def test_below_as_linked_mixed_is_toward_on_the_merged_draws():
    run = _run(40.0)  # many matches never compared: merged into the draws, their mean falls below as linked
    toward, mixed = _le(run, "toward"), _le(run, "mixed")
    assert float(toward.estimates["nhat_mean_draws"].iloc[0]) < toward.nhat_as_linked
    assert mixed.correction == "mixed" and not mixed.notes
    assert mixed.nhat_corrected == pytest.approx(toward.nhat_corrected, rel=1e-12)
    assert np.allclose(mixed.draw_nhat, toward.draw_nhat)


def test_without_matches_never_compared_the_bias_branch_is_the_bias_rule():
    # two draw sets on any run: the bias branch keeps the plain partition draws, as "bias" does (review s15)
    run = _run(None)
    assert needs_two_draw_sets(run, "mixed")
    bias, mixed = _le(run, "bias"), _le(run, "mixed")
    a, m = bias.nhat_as_linked, float(bias.estimates["nhat_mean_draws"].iloc[0])
    assert m >= a and mixed.nhat_corrected == pytest.approx(2 * a - m, rel=1e-9)
    assert mixed.nhat_corrected == pytest.approx(bias.nhat_corrected, rel=1e-12)


def test_needs_two_draw_sets(above):
    from darkfigure.linkage.unblocked import for_bias_correction

    run = above[0]
    assert needs_two_draw_sets(run, "mixed")
    assert not any(needs_two_draw_sets(run, r) for r in ("toward", "bias", "mean"))
    assert not needs_two_draw_sets(for_bias_correction(run), "mixed")  # the second set itself
    zero = LinkRun(run.records, run.pairs, 0.5, unblocked=run.unblocked.assign(unblocked_matches=0.0))
    assert needs_two_draw_sets(zero, "mixed")  # the undated assignment still differs between the branches


def test_a_drawn_seed_is_shared_and_recorded(above):
    run = above[0]
    le = linkage_uncertainty(run, loglinear_refit([], [], reps=0), draws=3, seed=None, n_jobs=1, correction="mixed")
    assert isinstance(le.seed, int) and np.isfinite(le.nhat_corrected)
