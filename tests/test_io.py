"""Reading files: European ';' exports, non-UTF-8 text."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.histories import DataError
from darkfigure.io import read_histories, read_table


def test_semicolon_separated_csv(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("A;B;count\n1;0;5\n0;1;7\n1;1;2\n", encoding="utf-8")
    df = read_table(f)
    assert list(df.columns) == ["A", "B", "count"]
    assert read_histories(f).n_observed == 14


def test_not_utf8_says_what_to_do(tmp_path):
    f = tmp_path / "t.csv"
    f.write_bytes("A,B,nationality,count\n1,0,Belgi\u00eb,5\n0,1,NL,7\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8.*save it as UTF-8"):
        read_table(f)


def test_columns_left_out_by_explicit_covariates_are_named(tmp_path):
    # tester 8, F5: --covariates sex on a file with region and year summed over them without a word
    d = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 0], "sex": ["f", "m", "f", "m"], "region": ["n", "s", "n", "s"],
                      "year": [2020, 2021, 2020, 2021]})
    h = read_histories(d, lists=["A", "B"], covariates=["sex"])
    assert any("column(s) region, year not used: persons are counted over them" in n for n in h.notes)
    h = read_histories(d, lists=["A", "B"], covariates=["sex", "region", "year"])
    assert not any("not used" in n for n in h.notes)


def test_a_subset_of_the_lists_is_explained():
    # tester 8, F10 and 15b, L7: persons only on the lists left out are dropped, with a note naming those lists
    h = read_histories("kosovo_1999", lists=["EXH", "ABA"])
    assert h.lists == ("EXH", "ABA") and h.covariates == ()
    assert any("registered only on lists you left out (OSCE, HRW)" in n for n in h.notes)
    t = datasets.load_frame("kosovo_1999")
    assert h.n_observed == int(t.loc[(t["EXH"] + t["ABA"]) > 0, "count"].sum())
    # a 0/1 column whose name reads like a person's property is not taken as a list left out: refused as before
    d = t.rename(columns={"OSCE": "female"}).drop(columns="HRW")
    with pytest.raises(DataError, match="to estimate from a subset of the lists, first keep only the persons"):
        read_histories(d, lists=["EXH", "ABA"])
