"""EM runs whose complete-case refit identifies no N̂, and complete-case warnings (reviewer, s15 rv1, items 2-3).

* ``complete_case_checks`` keeps all four checks as not-computed entries (none omitted), so "to publish" reaches
  the rule that EM kept the checks from running ("Do not publish … on its own"), never "rests on its model alone".
* A complete-case goodness of fit with p < POOR_FIT_P is warned about: ``fit_warnings`` tested the EM fit, not it.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from darkfigure.diagnostics import Check
from darkfigure.pipeline import checks as pc

ALL = {"goodness_of_fit", "residuals_by_number_of_lists", "chao_lower_bound", "heterogeneity"}


def test_unidentified_complete_case_refit_keeps_every_check_as_not_computed(monkeypatch):
    def no_fit(*a, **k):
        """A refit that fails, as one that does not identify N̂ on the complete cases."""
        raise ValueError("not identified")

    monkeypatch.setattr("darkfigure.loglinear.fit.fit_model", no_fit)
    table = SimpleNamespace(y=np.array([5.0, 3.0, 0.0]), observable=np.array([True, True, False]))
    h = SimpleNamespace(k=3, incomplete=None)
    got = pc.complete_case_checks(SimpleNamespace(model=None), h, None, table, structural_zeros=False)
    assert {c.name for c in got} == ALL
    assert all(not c.computed and c.details.get("em") and "not computed" in c.message for c in got)
    two = pc.complete_case_checks(SimpleNamespace(model=None), SimpleNamespace(k=2, incomplete=None), None, table,
                                  structural_zeros=False)
    assert [c.name for c in two] == ["goodness_of_fit"]


def test_a_poor_complete_case_fit_is_warned_about(monkeypatch):
    def cc(*a, **k):
        """Complete-case checks with a goodness of fit far below POOR_FIT_P."""
        c = Check("goodness_of_fit", pc.POOR_FIT_P / 100, True, "goodness of fit (complete cases): p tiny",
                  "p_value", details={"complete_cases": True})
        return [c]

    monkeypatch.setattr(pc, "complete_case_checks", cc)
    h = SimpleNamespace(full_lists=lambda: [])
    _, warned = pc.checks_step(SimpleNamespace(), h, None, structural_zeros=False, imputed=True,
                               complete_table=object())
    assert warned == ["goodness of fit (complete cases): p tiny"]
