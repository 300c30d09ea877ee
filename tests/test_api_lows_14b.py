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
