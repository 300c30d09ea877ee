"""The identifying-assumption line of a run corrected for linkage error says its N̂ at ψ = 1 is the as-linked one
(tester report 10, F10: the panel showed N̂ 8,096 corrected and "ψ = 1: 8,094" as linked, unlabelled)."""

from __future__ import annotations

import dataclasses

from darkfigure.estimation import estimate
from darkfigure.pipeline.extras import identifying_step


def test_the_as_linked_range_is_labelled_so():
    res = estimate("kosovo_1999", ci="none")
    plain, said = identifying_step(res, range=(0.5, 2.0), groups=[])
    assert plain is not None and not said
    assert not plain.as_linked and "as linked" not in plain.summary_line() and "as linked" not in plain.explanation
    assert plain.to_dict()["as_linked"] is False
    # a run corrected for linkage error: estimates.csv carries the as-linked N̂ beside the corrected one
    est = res.estimates.assign(nhat_as_linked=res.estimates["nhat"], nhat=res.estimates["nhat"] * 1.01)
    linked, said = identifying_step(dataclasses.replace(res, estimates=est), range=(0.5, 2.0), groups=[])
    assert linked is not None and not said and linked.as_linked
    line = linked.summary_line()
    assert f"(ψ = 1: {linked.nhat:,.0f} as linked, before the linkage correction)" in line
    assert linked.explanation.startswith("For the histories as linked (before the linkage correction): ")
    assert linked.to_dict()["as_linked"] is True
    # the range itself is the as-linked fit's: the same numbers, only labelled
    assert abs(linked.low - plain.low) < 1e-6 * plain.low and abs(linked.high - plain.high) < 1e-6 * plain.high
