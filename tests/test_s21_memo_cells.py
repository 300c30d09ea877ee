"""Cheaper input checks at a million registrations (7 Dec): the cell checks work per distinct value, the
placeholder-date and age-convention finders remember results by content. Same answers as value by value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from darkfigure.cell_checks import _formula_reason, formula_like


def test_formula_like_per_distinct_value_equals_the_rule_value_by_value():
    vals = ["=1+1", " +cmd", "-18", "+65 jaar", None, float("nan"), 3, "abc", "\t=x", "-", "+1+1", "@SUM(1)",
            "\r\n-x", "a=b", "+31 6 1234 5678", "=1+1", "abc", "", "  ", "+$A$1", "-2+3+cmd|' /C calc'!A0"]
    got = formula_like(pd.Series(vals, dtype=object))
    want = np.array([_formula_reason(v) is not None for v in vals])
    assert got.dtype == bool and (got == want).all()
    assert got.sum() == 9
    assert formula_like(pd.Series([], dtype=object)).shape == (0,)
    assert not formula_like(pd.Series([None, np.nan], dtype=object)).any()


def test_content_memo_reuses_only_equal_content_and_returns_copies():
    from darkfigure.linkage._content_memo import content_memo

    calls = []

    @content_memo
    def f(a, b, before="x"):
        calls.append(1)
        return pd.DataFrame({"n": [len(a), len(b)], "before": [before] * 2})

    a = np.array(["x", "y", None], dtype=object)
    r1 = f(a, ["p", "q", "r"])
    r1.loc[0, "n"] = 99  # the caller's copy, not the remembered one
    r2 = f(a.copy(), ["p", "q", "r"])
    assert len(calls) == 1 and r2["n"].tolist() == [3, 3]
    f(np.array(["x", "y", "z"], dtype=object), ["p", "q", "r"])  # other content: computed again
    f(a, ["p", "q", "r"], before="y")  # another keyword value
    assert len(calls) == 3
    f(np.array([{"no": "hash"}] * 3, dtype=object), ["p", "q", "r"])  # content that cannot be hashed: computed
    f(np.array([{"no": "hash"}] * 3, dtype=object), ["p", "q", "r"])
    assert len(calls) == 5


def test_placeholder_dates_note_and_mask_agree_after_memo():
    """The note (frames as read) and the mask (one frame) of placeholder dates give the same dates when the second
    call comes from the remembered result."""
    from darkfigure.linkage.placeholder_dates import frequent_dates, frequent_dates_mask, frequent_dates_note

    rng = np.random.default_rng(3)
    n = 3000
    days = pd.Timestamp("1970-01-01") + pd.to_timedelta(rng.integers(0, 12000, n), unit="D")
    dob = days.strftime("%Y-%m-%d").to_numpy(dtype=object)
    dob[:200] = "1990-01-01"  # a placeholder of police
    df = pd.DataFrame({"organisation": ["police"] * 1500 + ["shelters"] * 1500, "date_of_birth": dob,
                       "first_name": [f"f{i}" for i in range(n)], "surname": [f"s{i % 700}" for i in range(n)]})
    frequent_dates.cache_clear()
    note = frequent_dates_note([df])
    mask = frequent_dates_mask(df)
    assert note and "1990-01-01" in note[0]
    assert mask[:200].all() and mask.sum() == 200
    frequent_dates.cache_clear()
    assert (frequent_dates_mask(df) == mask).all()
