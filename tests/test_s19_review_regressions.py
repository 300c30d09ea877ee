"""Review s19: two files that read at the previous stop were refused by the new input checks. Synthetic data only."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.io import read_histories
from darkfigure.linkage import read_registrations


def test_counts_with_three_decimals_in_a_comma_file_are_decimals(tmp_path):
    # SPSS, Stata and R write counts as 1.000 in comma-separated files: read as 1, 12, 3 (M1), as before
    p = tmp_path / "dec.csv"
    p.write_text("A,B,count\n1,0,1.000\n0,1,12.000\n1,1,3.000\n", encoding="utf-8")
    assert read_histories(p).n_observed == 16
    # 0.125 is no thousands but a fraction: the whole-number error, not "125 persons"
    q = tmp_path / "frac.csv"
    q.write_text("A,B,n\n1,0,0.125\n0,1,12\n1,1,3\n", encoding="utf-8")
    with pytest.raises(DataError, match="whole number"):
        read_histories(q)
    # a Dutch ';' file with 1.300 stays refused as thousands
    r = tmp_path / "nl.csv"
    r.write_text("A;B;aantal\n1;0;1.300\n0;1;250\n1;1;30\n", encoding="utf-8")
    with pytest.raises(DataError, match="thousands separators"):
        read_histories(r)


def test_columns_that_never_reach_the_outputs_are_not_cell_checked():
    # a phone number (+31 ...) and long notes: many values each, left out of the covariates by link (M2)
    n = 60
    df = pd.DataFrame({"record_id": [f"A{i}" for i in range(n)], "organisation": "police",
                       "registration_date": "2023-02-01", "first_name": "Anna",
                       "surname": [f"B{i}" for i in range(n)], "date_of_birth": "1990-05-17", "sex": "F",
                       "nationality": "NL", "phone": [f"+31 6 1234{i:04d}" for i in range(n)],
                       "notes": [f"note {i} " * 30 for i in range(n)]})
    assert len(read_registrations(df)) == n
