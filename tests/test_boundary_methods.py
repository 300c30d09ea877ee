"""Boundary fits (N̂ = n, zero-width interval) are not kept as agreeing methods (tester report 12b, M4).

A table where nobody is on exactly one list drives several models to N̂ = n with an interval of no width; they
"agreed" at 80–80 and compare published a headline range while estimate said not to publish. The public page
also named BIC's and AIC's rows alike and listed one name among both the kept and the left-out methods.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from darkfigure.headline import headline
from darkfigure.histories import CaptureHistories

NOSINGLE = pd.DataFrame({"A": [1, 1, 0, 1], "B": [1, 0, 1, 1], "C": [0, 1, 1, 1], "count": [20, 20, 20, 20]})


def _table() -> pd.DataFrame:
    rows = [("loglinear-bic", 80.0, 80.0, 80.0), ("loglinear-aic", 80.0, 80.0, 80.0),
            ("lcmcr", 80.0, 80.0, 83.0), ("dga", 80.2, 80.0, 605.0), ("Mt", 95.0, 84.0, 130.0)]
    return pd.DataFrame([{"method": m, "nhat": n, "lower": lo, "upper": hi, "status": "ok", "interval": "profile"}
                         for m, n, lo, hi in rows])


def test_boundary_rows_are_not_kept():
    h = CaptureHistories.from_table(NOSINGLE)
    hl = headline(_table(), h, chao=None)
    assert "boundary" in hl.rules
    for m in ("loglinear-bic", "loglinear-aic", "lcmcr", "dga"):
        assert m not in hl.kept
        assert hl.dropped[m].startswith("not identified: on the boundary")
    assert hl.kept == ["Mt"]
    # the range is the one method left, not 80-605 spanned by methods that say nobody was missed
    assert hl.low == np.float64(84.0) and hl.high == np.float64(130.0)


def test_public_names_distinguish_criteria_and_sides():
    from darkfigure.report.public_context import _Ctx
    from darkfigure.report.public_headline import _families, _method_family

    c = _Ctx(lang="en", _=lambda s: s, labels=None, threshold=10)
    assert _method_family(c, "loglinear-bic") != _method_family(c, "loglinear-aic")
    assert _method_family(c, "loglinear-bic") != _method_family(c, "loglinear-pvalue")
    kept, left = ["Mh-chao"], ["Mh-poisson2"]
    assert _families(c, left) == _families(c, kept)  # one family ...
    assert _families(c, left, kept) != _families(c, kept, left)  # ... but never one name on both sides
