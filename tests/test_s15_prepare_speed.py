"""The faster forms of the preparation give what the plain definitions give (synthetic values only).

placeholder_dates counts distinct names on integer codes, prepare tests each distinct name cell once, and
engines._side_codes codes only the left entries of a rule that joins each column with itself: each is compared here
with a direct, value-by-value form of its definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage.engines import _side_codes
from darkfigure.linkage.placeholder_dates import PLACEHOLDER_DATE_MIN, frequent_dates
from darkfigure.linkage.placeholder_names import placeholder_mask
from darkfigure.linkage.prepare import _name_cells, _written


def _reference_names(org, dob, first, last, before="1905-01-01") -> dict:
    """{(organisation, date): distinct names} by the definition: ``first|surname`` case-folded without spaces."""
    def clean(v):
        """The name cell as the rule reads it."""
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else "".join(str(v).split()).casefold()

    out: dict = {}
    for o, d, f, s in zip(org, dob, first, last):
        d = "" if d is None else str(d)[:10]
        if d == "" or d < before:
            continue
        names = out.setdefault((str(o), d), set())
        if clean(f) or clean(s):
            names.add(clean(f) + "|" + clean(s))
    return {k: len(v) for k, v in out.items()}


@pytest.mark.parametrize("pipes", [False, True])
def test_placeholder_date_counts_distinct_names_as_written_text(pipes):
    rng = np.random.default_rng(3)
    n = 3000
    org = rng.choice(["a", "b"], n)
    dob = rng.choice([f"19{y}-0{m}-1{d}" for y in range(60, 90) for m in range(1, 4) for d in range(3)], n)
    dob = dob.astype(object)
    dob[:1200] = "1950-02-02"
    dob[1200:1230] = ""
    dob[1230:1240] = "1899-01-01"
    bases = ["Ana", "ana ", "A na", "Bo", "x", None, "", np.nan] + (["x|y"] if pipes else [])
    first = np.array([b + str(k) if isinstance(b, str) and k < 30 else b
                      for b, k in zip(rng.choice(np.array(bases, dtype=object), n), rng.integers(0, 45, n))],
                     dtype=object)
    last = rng.choice(np.array(["Lima", "LIMA", "y", "z", None, ""] + (["y|z"] if pipes else []), dtype=object), n)
    t = frequent_dates(org, dob, first, last)
    ref = _reference_names(org, dob, first, last)
    assert len(t) >= 2  # the date given to 40% of each organisation is found in both
    for r in t.itertuples(index=False):
        assert r.names == ref[(r.organisation, r.date_of_birth)]
        assert r.names >= PLACEHOLDER_DATE_MIN
    # names differing in case and spaces only are one name: fewer than the raw spellings
    raw = {(f, s) for f, s, d in zip(first, last, dob) if d == "1950-02-02"}
    assert int(t.loc[t["date_of_birth"] == "1950-02-02", "names"].max()) < len(raw)


def test_a_name_with_a_bar_is_the_same_text_either_way():
    # "a|b" + "c" and "a" + "b|c" read as one name "a|b|c": counted once, as the joined text says
    org, dob = ["o"] * 12, ["1980-01-01"] * 12
    first = ["a|b", "a"] + [f"p{i}" for i in range(10)]
    last = ["c", "b|c"] + ["q"] * 10
    t = frequent_dates(org, dob, first, last)
    assert int(t["names"].iloc[0]) == 11 == _reference_names(org, dob, first, last)[("o", "1980-01-01")]


def test_name_cells_match_the_placeholder_mask_and_written():
    values = pd.Series(["Unknown", "Ana", " ", "", None, "XXX", "###", "ana", np.nan, "NN", "Unknown"], dtype=object)
    held, given = _name_cells(values)
    assert np.array_equal(held, placeholder_mask(values))
    assert held.sum() >= 3 and not held[1]
    expected = np.array([isinstance(v, str) and v.strip() != "" for v in values])
    assert np.array_equal(given, expected) and np.array_equal(_written(values), expected)


def test_side_codes_of_a_rule_on_one_column_each_side():
    rng = np.random.default_rng(5)
    n = 500
    p = pd.DataFrame({"a": pd.Series(rng.choice(["x", "y", "z", None], n), dtype=object),
                      "b": pd.Series(rng.choice(["1", "2", None], n), dtype=object)})
    cl, cr = _side_codes(p, [("a", "a"), ("b", "b")])
    # by the definition: the tuples of both sides in one value space, numbered by first appearance, -1 if missing
    tuples = list(zip(p["a"], p["b"])) * 2
    seen: dict = {}
    ref = np.array([-1 if a is None or b is None else seen.setdefault((a, b), len(seen)) for a, b in tuples])
    # numbered over all entries (the missing ones take numbers too in the code): compare the partitions
    both = np.r_[cl, cr]
    assert np.array_equal(both < 0, ref < 0)
    ok = ref >= 0
    assert pd.crosstab(both[ok], ref[ok]).astype(bool).sum(axis=1).eq(1).all()
    assert np.array_equal(cl, cr)
    # a crossed rule still codes its two sides apart
    xl, xr = _side_codes(p, [("a", "b")])
    assert not np.array_equal(xl, xr)
