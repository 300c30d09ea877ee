"""A header pasted again mid-table, and two count columns, get messages naming the cause (tester report 10, F5, F6)."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure.histories import CaptureHistories, DataError
from darkfigure.io import read_histories

ROWS = ["1,0,0,300", "0,1,0,250", "0,0,1,200", "1,1,0,60", "1,0,1,50", "0,1,1,40", "1,1,1,10"]


def test_aggregated_table_with_its_header_repeated(tmp_path):
    p = tmp_path / "pasted.csv"
    p.write_text("\n".join(["A,B,C,Freq", *ROWS, "A,B,C,Freq", ROWS[0]]) + "\n")
    with pytest.raises(DataError, match=r"row 8 of the table \(line 9 of a file whose header is line 1\) repeats the "
                                        r"header \(A, B, C, Freq\): the table seems pasted twice; remove the repeated"):
        read_histories(p)


def test_person_file_with_its_header_repeated(tmp_path):
    persons = ["1,0,0", "0,1,0", "1,1,0", "0,0,1", "1,0,1"]
    p = tmp_path / "persons.csv"
    p.write_text("\n".join(["A,B,C", *persons, "a, b ,C", *persons]) + "\n")  # case and blanks ignored
    with pytest.raises(DataError, match=r"row 6 of the table \(line 7 .*\) repeats the header"):
        read_histories(p)


def test_a_row_equal_to_the_header_in_some_columns_only_is_not_a_header():
    df = pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "region": ["north", "region", "south"], "count": [5, 6, 7]})
    h = CaptureHistories.from_frame(df)  # 'region' as a level of region: not a repeated header
    assert h.n_observed == 18


def _two(extra):
    df = pd.DataFrame([list(map(int, r.split(","))) for r in ROWS], columns=["A", "B", "C", "Freq"])
    df["count"] = df["Freq"] + extra
    return df


def test_two_count_columns_are_refused_naming_both():
    with pytest.raises(DataError, match=r"two count columns \(Freq, count\): say which holds the counts with "
                                        r"--count NAME .* e\.g\. --count Freq; .*drop or rename 'Freq'"):
        CaptureHistories.from_frame(_two(0))


def test_a_named_count_leaves_the_other_out_with_a_note():
    df = _two(1)  # different numbers: the named one is used
    h = CaptureHistories.from_frame(df, count="Freq")
    assert h.n_observed == int(df["Freq"].sum()) and h.covariates == ()
    assert any("column(s) count not used: the counts are read from 'Freq'" in n for n in h.notes)
    h = CaptureHistories.from_frame(df.drop(columns="Freq"))
    assert h.n_observed == int(df["count"].sum())


def test_a_covariate_called_count_beside_another_count_is_refused():
    with pytest.raises(DataError, match=r"covariate column name 'count' is the count column's name"):
        CaptureHistories.from_frame(_two(0), count="Freq", covariates=["count"])
