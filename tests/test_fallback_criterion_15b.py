"""Tester report 15b, L8: the stratified search's fallback to Cruyff's search chooses by BIC, as ``--search cruyff``
and the R ``mse`` reference do, unless a criterion is given (the AIC default is the stratified search's own).

The bundled ``cruyff_simdat`` counts (Cruyff's simulated data; no person-level data).
"""

from __future__ import annotations

import pytest

from darkfigure.estimation import estimate


@pytest.fixture(scope="module")
def runs():
    """The default search, --search cruyff and the default with --criterion aic, without an interval."""
    kw = {"year": "Y", "year_degree": 2, "ci": "none"}
    return {"default": estimate("cruyff_simdat", **kw), "cruyff": estimate("cruyff_simdat", search="cruyff", **kw),
            "aic": estimate("cruyff_simdat", criterion="aic", **kw)}


def test_default_fallback_chooses_as_cruyff(runs):
    """The default falls back (sparse strata) and then picks the model --search cruyff picks (min BIC)."""
    d, c = runs["default"], runs["cruyff"]
    assert d.search.method == "cruyff" and d.search.criterion == "bic"
    assert any("choosing by BIC as --search cruyff does" in w for w in d.warnings)
    assert d.fit.model.label() == c.fit.model.label()
    assert d.fit.nhat == pytest.approx(c.fit.nhat, rel=1e-9)


def test_explicit_criterion_applies_to_the_fallback(runs):
    """--criterion aic is the user's choice: the fallback keeps it, on the same path, and says so."""
    a, c = runs["aic"], runs["cruyff"]
    assert a.search.method == "cruyff" and a.search.criterion == "aic"
    assert list(a.search.path["step"]) == list(c.search.path["step"])
    assert any("choosing by AIC" in w and "as --search cruyff does" not in w for w in a.warnings)
    # AIC picks a larger model on the same path than BIC (Cruyff's search adds terms while AIC falls)
    assert len(a.fit.model.terms) > len(c.fit.model.terms)


def test_aicc_given_reaches_the_fallback():
    """--criterion aicc, which the stratified search itself cannot use (it takes AIC), still chooses the fallback's
    model (it fell back to AIC; review of s16)."""
    d = estimate("cruyff_simdat", year="Y", year_degree=2, ci="none", criterion="aicc")
    assert d.search.method == "cruyff" and d.search.criterion == "aicc"
    assert any("choosing by AICC" in w and "as --search cruyff does" not in w for w in d.warnings)
