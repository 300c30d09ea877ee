"""``print(dfg.estimate(link_result))`` says the estimate is corrected for linkage error (tester 13b, M7)."""

from __future__ import annotations

import pytest

import darkfigure as dfg
from s11_link_folder import small_result


@pytest.fixture(scope="module")
def corrected():
    """A linkage-corrected estimate of a small synthetic link (3 draws)."""
    res = small_result(900)
    return dfg.estimate(res, covariates=[], search="cruyff", ci="parametric", reps=60, seed=1, linkage_draws=3,
                        linkage_reps=0, n_jobs=1)


def test_print_says_corrected_and_shows_as_linked(corrected) -> None:
    lk = corrected.raw.linkage
    text = str(corrected)
    assert "corrected for linkage error" in text
    assert f"N̂ as linked {lk.nhat_as_linked:,.0f}" in text
    assert f"N̂ corrected {lk.nhat_corrected:,.0f}" in text
    assert "missed links" in text and "linkage draws" in text
    assert "N̂ as linked" in corrected._repr_html_()


def test_interval_method_names_the_linkage_draws(corrected) -> None:
    assert corrected.confidence_interval.method == "parametric with linkage draws"
    assert "parametric with linkage draws interval" in str(corrected)


def test_an_estimate_without_linkage_keeps_its_method() -> None:
    r = dfg.estimate("uk_2013", search="none", ci="parametric", reps=50, seed=1)
    assert r.confidence_interval.method == "parametric"
    assert "linkage" not in str(r)
