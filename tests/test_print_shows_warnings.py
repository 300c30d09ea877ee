"""print(result) shows every warning the result holds (tester 12b, L8: kosovo_1999, cruyff, profile)."""

from __future__ import annotations

import darkfigure as dfg


def test_print_of_an_estimate_shows_its_warnings():
    res = dfg.estimate("kosovo_1999", search="cruyff", ci="profile")
    assert res.warnings  # the poor-fit warning the tester saw in res.warnings
    text = str(res)
    for w in res.warnings:
        assert f"warning: {w}" in text
