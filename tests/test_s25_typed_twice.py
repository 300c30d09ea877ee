"""The plaintext name level "both typed twice": each registration misspelt each name once (s25).

Two registrations of one person that each carry a typo in a name are two typos apart; Levenshtein counts a swap of two
letters as two edits, so a swap and a second typo fell through every spelling level to "both wholly different".
Synthetic names only.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from darkfigure.linkage.name_sql import typed_twice, typed_twice_both
from name_sides import name_side


def _sql(condition: str, a: tuple, b: tuple) -> bool:
    row = {f"{k}_l": v for k, v in name_side(*a).items()} | {f"{k}_r": v for k, v in name_side(*b).items()}
    con = duckdb.connect()
    con.register("t", pd.DataFrame([row]).astype(object))
    return bool(con.execute(f"select coalesce({condition}, false) from t").fetchone()[0])


@pytest.mark.parametrize("a, b, expected", [
    ("ojrn", "jodn", True),  # "jorn": a swap in one, a letter replaced in the other (Levenshtein 3)
    ("nguyeg", "nguyen", True),
    ("gnuyen", "nguye", True),  # a swap and a dropped letter
    ("leopoldina", "leipoldina", True),
    ("xu", "ux", True),  # a swap in a short name
    ("li", "lu", True),  # one edit in a short name
    ("li", "xu", False),  # two edits in a short name: any other name
    ("wang", "zhou", False),
    ("anna", "maria", False),
    ("kati", "katalin", False),  # a nickname, not a typo
])
def test_typed_twice(a, b, expected):
    assert _sql(typed_twice("fn", "fn"), (a, "x"), (b, "y")) is expected


@pytest.mark.parametrize("a, b, expected", [
    (("ojrn", "zhcelvis"), ("jodn", "schelvis"), True),
    (("vylan", "welf"), ("welf", "dylna"), True),  # swapped names, each misspelt
    (("xiulan", "xu"), ("xiula", "ux"), True),
    (("ojrn", "schelvis"), ("jodn", "schelvis"), False),  # one name exact: the levels weighed by its frequency
    (("ojrn", "zhcelvis"), ("jodn", "vermeulen"), False),  # the surnames are of two families
    ((None, "zhcelvis"), ("jodn", "schelvis"), False),  # a missing name: no evidence
])
def test_typed_twice_both(a, b, expected):
    assert _sql(typed_twice_both(), a, b) is expected
