"""'to publish' names a compare that runs: on a run corrected for linkage error, compare on the link folder's
histories.csv (compare refuses the folder itself) and what that leaves out (new-user test s23, finding 3)."""

from __future__ import annotations

import types

import pytest

import darkfigure as d
from darkfigure.publish import publish_statement


@pytest.mark.parametrize("dataset", ["netherlands_2010_2015", "kosovo_1999"])
def test_compare_hint_names_histories_on_linked_runs(dataset):
    est = d.estimate(dataset, seed=1, reps=100).raw
    plain = publish_statement(est)["statement"]
    assert "darkfigure compare" in plain and "histories.csv" not in plain
    # the same run as if it came from a link folder (the attributes publish_statement reads of a LinkageEstimate)
    nh, lo, hi = est.nhat, est.lower, est.upper
    est.linkage = types.SimpleNamespace(shifted=False, persons_corrected=float("nan"), nhat_corrected=nh,
                                        nhat_as_linked=nh, lower=lo, upper=hi)
    linked = publish_statement(est)["statement"]
    assert "darkfigure compare on the link folder's histories.csv, which leaves out the linkage correction" in linked
