"""The footer under the linkage panel says what the draws do with matches never compared (tester 11, finding 7)."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.cli.estimate import unblocked_text
from darkfigure.estimation import estimate
from darkfigure.linkage.link_run import LinkRun
from s11_link_folder import small_result


@pytest.mark.parametrize("unblocked", [None, 2.5])
def test_footer_says_whether_unblocked_matches_are_added(unblocked):
    res = small_result(900)
    run = LinkRun.from_result(res)
    if unblocked is not None:
        orgs = list(res.lists)
        run.unblocked = pd.DataFrame({"organisation_l": [orgs[0], orgs[1]], "organisation_r": [orgs[1], orgs[2]],
                                      "unblocked_matches": [unblocked, 1.0]})
    e = estimate(res.histories.collapse([]), linkage_run=run, search="cruyff", ci="parametric", reps=100, seed=1,
                 linkage_draws=3, linkage_reps=0, n_jobs=1)
    lk = e.linkage
    text = unblocked_text(lk)
    assert "are not corrected" not in text
    if unblocked is None:
        assert lk.unblocked_added is None and "not added" in text
    else:
        assert lk.unblocked_added == pytest.approx(unblocked + 1.0)
        assert "added to each draw by their expected number" in text and "3.5 expected" in text
