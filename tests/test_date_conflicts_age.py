"""A date of birth derived from an age is not a date conflict (review s17: the warning counted such pairs)."""

import pandas as pd

from darkfigure.linkage.age_dates import AGE_COLUMN
from darkfigure.linkage.date_conflicts import conflict_counts


def _prep(aged: bool) -> pd.DataFrame:
    # one name, two registrations: a real date and 1 July three years later (a guess from an age)
    return pd.DataFrame({
        "fn": ["ana", "ana", "ivo", "eva"], "sn": ["petrova", "petrova", "kranjc", "novak"],
        "sex": ["f", "f", "m", "f"], "nat": ["bg", "bg", "si", "cz"],
        "dob_day": pd.array([7000, 8217, 9000, 9500], dtype="Int64"),
        AGE_COLUMN: [None, "1" if aged else None, None, None],
        "org": ["police", "shelters", "police", "kmar"],
    })


def test_age_derived_date_is_left_out_of_the_conflicts():
    assert conflict_counts(_prep(aged=False))["observed"] == 1
    assert conflict_counts(_prep(aged=True))["observed"] == 0
