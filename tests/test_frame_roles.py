"""Tester report 15b, M1, L4, L6, L7, L10: columns and rows set aside before the columns get their roles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from darkfigure.histories import DataError
from darkfigure.io import read_histories


def _persons(n=400, seed=3) -> pd.DataFrame:
    """Synthetic persons: three lists, sex, a year 2015-2019 and a dossier number of their own."""
    rng = np.random.default_rng(seed)
    x = (rng.random((n, 3)) < 0.4).astype(int)
    x = x[x.sum(1) > 0]
    d = pd.DataFrame(x, columns=["police", "kmar", "ngo"])
    d.insert(0, "dossier_nr", [f"D{100000 + i}" for i in range(len(d))])
    d["sex"] = rng.choice(["female", "male"], len(d))
    d["year"] = rng.choice([2015, 2016, 2017, 2018, 2019], len(d))
    return d


def test_identifier_of_a_person_file_is_ignored_with_a_note(tmp_path):
    f = tmp_path / "persons.csv"
    _persons().to_csv(f, index=False)
    h = read_histories(str(f), year="year")  # was: "column 'year' looks like the number of persons per row"
    assert set(h.covariates) == {"sex", "year"} and h.n_observed == len(_persons())
    assert any("identifier column 'dossier_nr'" in n and "it is ignored" in n for n in h.notes)


def test_a_numeric_identifier_too():
    d = _persons().assign(dossier_nr=lambda t: np.arange(len(t)) * 3 + 7)
    h = read_histories(d)
    assert "dossier_nr" not in h.covariates
    assert any("identifier column 'dossier_nr'" in n for n in h.notes)


def test_an_identifier_named_as_a_covariate_is_refused():
    with pytest.raises(DataError, match=r"covariate 'dossier_nr' has a different value in .* it is an identifier.*"
                                        r"Leave it out of the covariates"):
        read_histories(_persons(), lists=["police", "kmar", "ngo"], covariates=["sex", "dossier_nr"])


def test_an_aggregated_table_with_an_unnamed_count_is_still_refused():
    # distinct counts in every row but no repeated rows: a count, not an identifier
    d = pd.DataFrame({"A": [1, 0, 1, 0, 1, 1, 0], "B": [0, 1, 1, 0, 1, 0, 1], "C": [0, 0, 0, 1, 1, 1, 1],
                      "aantal": [60, 49, 9, 72, 5, 14, 12]})
    with pytest.raises(DataError, match="'aantal' looks like the number of persons"):
        read_histories(d)


def test_the_year_column_is_never_taken_as_the_count():
    # a small file of persons whose other columns happen not to repeat: 'year' looked like a count
    d = pd.DataFrame({"A": [1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1], "B": [0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
                      "name": [f"n{i}" for i in range(12)], "year": list(range(2015, 2021)) * 2})
    with pytest.raises(DataError, match="'year' looks like the number of persons"):
        read_histories(d)
    h = read_histories(d, year="year")
    assert "year" in h.covariates and h.n_observed == 12


def test_decimal_comma_counts_not_named_as_the_count(tmp_path):
    rng = np.random.default_rng(2)
    rows = [(a, b, c, f"{n},0") for (a, b, c), n in zip(
        [(1, 0, 0), (0, 1, 0), (1, 1, 0), (0, 0, 1), (1, 0, 1), (0, 1, 1), (1, 1, 1)] * 6, rng.permutation(200)[:42] + 1)]
    d = pd.DataFrame(rows, columns=["A", "B", "C", "aantal"]).assign(region=[f"r{i // 7}" for i in range(42)])
    f = tmp_path / "nl.csv"
    d.to_csv(f, sep=";", index=False)
    with pytest.raises(DataError, match=r"column 'aantal' has 42 distinct values.*decimal comma \('\d+,0'\).*"
                                        r"--count aantal"):
        read_histories(str(f))


def test_a_year_stored_as_an_excel_date_is_read_as_the_year(tmp_path):
    d = pd.DataFrame({"A": [1, 0, 1, 1, 0, 1], "B": [0, 1, 1, 0, 1, 1], "count": [5, 3, 2, 6, 4, 1],
                      "year": pd.to_datetime(["2015-01-01"] * 3 + ["2016-01-01"] * 3)})
    f = tmp_path / "d.xlsx"
    d.to_excel(f, index=False)
    h = read_histories(str(f), year="year")
    assert h.levels["year"] == (2015, 2016)
    assert any("'year' holds dates, all on 1 January" in n and "2015 to 2016" in n for n in h.notes)
    # a date not on 1 January stays a date
    d.loc[0, "year"] = pd.Timestamp("2015-03-01")
    h = read_histories(d)
    assert not any("1 January" in n for n in h.notes)


def test_persons_only_on_lists_left_out_are_dropped_with_a_note():
    d = pd.DataFrame({"A": [1, 0, 1, 0, 0, 1], "B": [0, 1, 1, 0, 0, 1], "C": [1, 1, 0, 1, 0, 0],
                      "D": [0, 0, 1, 0, 1, 1], "sex": list("FMFMFM"), "count": [5, 3, 2, 6, 4, 1]})
    h = read_histories(d, lists=["A", "B"], covariates=["sex"])
    assert h.n_observed == 5 + 3 + 2 + 1
    note = [n for n in h.notes if "lists you left out" in n]
    assert note and note[0].startswith("2 row(s) (10 persons) hold persons registered only on lists you left out "
                                       "(C, D): they are dropped")
    # the covariates not named: C and D are the lists left out, not covariates
    h = read_histories(d, lists=["A", "B"])
    assert h.covariates == ("sex",)


def test_a_constant_column_not_named_is_left_out_the_named_one_refused():
    d = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 1], "C": [1, 1, 0, 1], "sex": ["female"] * 4,
                      "age": ["adult", "minor", "adult", "minor"], "count": [5, 3, 2, 6]})
    h = read_histories(d)
    assert h.covariates == ("age",)
    assert any("'sex' ('female') hold one value in every row" in n for n in h.notes)
    with pytest.raises(DataError, match="covariate 'sex' has a single level"):
        read_histories(d, covariates=["sex", "age"])
