"""Wording (review s17, item 5): the persons said once when the correction's rule kept the as-linked ones, and the
other limit's coarser quote kept beside a Monte-Carlo line that says one limit may be unbounded.

Synthetic registrations only (``synthetic_pairs``); no Splink.
"""

from __future__ import annotations

import pytest

from darkfigure.loglinear.mc_error import mc_error_line
from darkfigure.result_linkage import persons_words
from synthetic_pairs import true_pairs


def test_persons_words_once_when_equal():
    assert persons_words(3411.0, 3411) == "persons observed 3,411 as linked (unchanged by the linkage correction)"
    assert persons_words(3411.2, 3411) == "persons observed 3,411 as linked (unchanged by the linkage correction)"
    assert persons_words(3123.0, 3411) == "persons observed 3,123 as corrected for linkage, 3,411 as linked"
    assert persons_words(float("nan"), 3411) == "" and persons_words(None, 3411) == ""


def test_print_result_says_the_kept_persons_once(tmp_path):
    import darkfigure as dfg
    from darkfigure.linkage.uncertainty import LinkRun

    tp = true_pairs(3, 2500, 300)
    run = LinkRun(tp.records, tp.pairs(0.9, 0.02), 0.5)  # the draws split true pairs: their mean lies above
    r = dfg.estimate(run.histories().collapse([]), linkage_run=run, search="none", ci="parametric", reps=100,
                     seed=1, linkage_draws=4, linkage_reps=0, n_jobs=1)
    lk = r.raw.linkage
    assert lk.persons_corrected == pytest.approx(lk.persons_as_linked)  # "toward" kept the as-linked persons
    flat = " ".join(str(r).split())
    n = f"{lk.persons_as_linked:,}"
    assert f"persons observed {n} as linked (unchanged by the linkage correction)" in flat
    assert f"{n} as corrected for linkage, {n} as linked" not in flat


def test_mc_line_keeps_the_other_limits_quote():
    line = mc_error_line(9828.5, 16378.1, {"lower": 102.0, "upper": None, "upper_unbounded": True,
                                           "replicates": 1000})
    assert "another --seed may make the upper limit unbounded" in line
    assert "quote it as unbounded and the lower limit as 9,800" in line
    line = mc_error_line(9828.5, 16378.1, {"lower": None, "lower_unbounded": False, "upper": None,
                                           "upper_unbounded": True, "replicates": 1000})
    assert "quote it as unbounded, or use --reps 4,000" in line  # no other quote when the lower error is small
