"""link's warning on organisations that share nobody says that estimate and monitor refuse the linkage correction
when one shares nobody with any other organisation (tester 21a L7: it read as if estimate went on assuming
independence, and estimate then refused)."""

from __future__ import annotations

import pandas as pd

from darkfigure.histories import CaptureHistories
from darkfigure.linkage.input_checks import disjoint_lists_warnings


def _h(rows):
    t = pd.DataFrame(rows, columns=["A", "B", "C", "count"])
    return CaptureHistories.from_table(t, lists=["A", "B", "C"])


def test_an_isolated_organisation_is_said_to_be_refused():
    w = disjoint_lists_warnings(_h([[1, 1, 0, 20], [1, 0, 0, 50], [0, 1, 0, 40], [0, 0, 1, 30]]))
    assert len(w) == 1 and "'C' share(s) no person with any other organisation" in w[0] and "refuse" in w[0]
    # C shares with B but not with A: warned, no refusal said
    w = disjoint_lists_warnings(_h([[1, 1, 0, 20], [0, 1, 1, 5], [1, 0, 0, 50], [0, 1, 0, 40], [0, 0, 1, 30]]))
    assert len(w) == 1 and "'A' and 'C'" in w[0] and "refuse (" not in w[0]
    assert disjoint_lists_warnings(_h([[1, 1, 1, 20], [1, 0, 0, 5], [0, 1, 0, 4], [0, 0, 1, 3]])) == []
