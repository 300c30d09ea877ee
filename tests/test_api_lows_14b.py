"""Low findings of tester 14b in the Python API: the reps message (L1), compare with no method (L2)."""

from __future__ import annotations

import pandas as pd
import pytest

import darkfigure as dfg
from darkfigure.errors import DataError

_ROWS = [(1, 0, 0, 120), (0, 1, 0, 80), (0, 0, 1, 60), (1, 1, 0, 30), (1, 0, 1, 20), (0, 1, 1, 15), (1, 1, 1, 5)]
TABLE = pd.DataFrame(_ROWS, columns=["A", "B", "C", "count"])


@pytest.mark.parametrize("reps", [0, 5])
def test_reps_message_names_the_argument(reps):
    with pytest.raises(DataError, match=rf"reps={reps} \(--reps {reps}\) is far too few.*at least 20"):
        dfg.estimate(TABLE, ci="parametric", reps=reps, seed=1)


def test_compare_refuses_an_empty_method_list():
    with pytest.raises(DataError, match=r"methods=\[\] names no method"):
        dfg.compare(TABLE, [], seed=1)
    with pytest.raises(DataError, match=r"methods=\[\] names no method"):
        dfg.compare(TABLE, (m for m in []), seed=1)


def test_compare_gives_no_limits_when_a_list_registered_everyone():
    """L4: 'not identified' rows carried M0's interval (238.7-330.5) for an N that is not bounded above."""
    from darkfigure.comparison import compare

    allones = TABLE[TABLE["A"] == 1]
    t = compare(allones, ["M0", "Mh-chao", "Mt"], seed=1)
    assert (t["status"] != "ok").all()
    assert t["lower"].isna().all() and t["upper"].isna().all()
    assert t["nhat_not_identified"].notna().any()  # the number is kept where it is not an estimate


def test_hundreds_of_millions_registered_are_questioned():
    """L6: 3.3e9 registered persons ran as an ordinary estimate."""
    big = TABLE.assign(count=TABLE["count"] * 10**7)
    e = dfg.estimate(big, ci="none")
    assert any("misplaced decimal" in w for w in e.warnings)
    assert not any("misplaced decimal" in w for w in dfg.estimate(TABLE, ci="none").warnings)
