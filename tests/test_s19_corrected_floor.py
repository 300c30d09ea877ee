"""A floor published from a run corrected for linkage error comes from the corrected interval, never from Chao's
bound on the persons as linked (tester 19a, H2: "at least 7,985" from 5,194 persons as linked, 4,470 corrected,
true N 6,709), and keeps the linkage's warnings beside it."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from darkfigure.publish import _floor, _without_words


def test_corrected_floor_is_the_corrected_lower_end():
    est = SimpleNamespace(linkage=SimpleNamespace(persons_corrected=4470.4), ci_method="averaged")
    floor, src = _floor(est, None, 6714.7, {"heterogeneity": True}, [])
    assert floor == pytest.approx(6714.7)
    assert "corrected for linkage error" in src and "Chao's lower bound on the persons as linked is never raised to" in src
    # a lower end below the persons corrected: the persons corrected are the floor
    floor2, src2 = _floor(est, None, 4000.0, {}, [])
    assert floor2 == pytest.approx(4470) and src2 == "the persons registered, as corrected for linkage error"
    # no finite lower end either
    assert _floor(est, None, np.nan, {}, [])[0] == pytest.approx(4470)


def test_subgroup_words_say_as_linked_in_a_corrected_run():
    sub = {"without": {"nhat": 12704.3, "lower": 11769.0, "upper": 13858.0, "observed": 5192}}
    assert "without it the total is 12,704" in _without_words(sub)
    said = _without_words(sub, as_linked=True)
    assert "without it the total as linked (before the linkage correction) is 12,704" in said
