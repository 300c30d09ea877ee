"""Reading files whose header is odd: tab or '|' separated, title rows above it, empty cells, no header at all,
':' in a name (tester report 7, findings 5-7)."""

from __future__ import annotations

import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.histories import DataError
from darkfigure.io import read_histories, read_table

KOSOVO = datasets.load_frame("kosovo_1999")  # EXH, ABA, OSCE, HRW, count


def _csv(tmp_path, name="k.csv", sep=","):
    f = tmp_path / name
    KOSOVO.to_csv(f, index=False, sep=sep)
    return f


@pytest.mark.parametrize("sep", ["\t", "|", ";"])
def test_tab_and_pipe_separated_csv_read_like_semicolon(tmp_path, sep):
    h = read_histories(_csv(tmp_path, sep=sep))
    assert list(h.lists) == ["EXH", "ABA", "OSCE", "HRW"]
    assert h.n_observed == int(KOSOVO["count"].sum())


def test_title_rows_above_csv_header_name_the_header_row(tmp_path):
    f = tmp_path / "title.csv"
    f.write_text("Registrations Kosovo 1999\n\n" + KOSOVO.to_csv(index=False), encoding="utf-8")
    with pytest.raises(DataError, match=r"header row of 'title.csv' \(Registrations Kosovo 1999\) has empty cells; "
                                        r"the header seems to be on row 3 \(EXH, ABA, OSCE, HRW, count\): remove the "
                                        r"title rows above it"):
        read_table(f)


def test_title_rows_above_excel_header_name_the_header_row(tmp_path):
    f = tmp_path / "k_messy.xlsx"
    with pd.ExcelWriter(f) as w:
        pd.DataFrame([["Registrations Kosovo 1999"]]).to_excel(w, index=False, header=False)
        KOSOVO.to_excel(w, index=False, startrow=2)
    with pytest.raises(DataError, match=r"the header seems to be on row 3 \(EXH, ABA, OSCE, HRW, count\)"):
        read_histories(f)


def test_empty_header_cell_is_refused_not_read_as_unnamed(tmp_path):
    f = tmp_path / "emptyhdr.csv"
    text = KOSOVO.to_csv(index=False).replace("EXH,ABA,", "EXH,,", 1)
    f.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"column 2 of 'emptyhdr.csv' has no name in the header; name it"):
        read_histories(f)


def test_trailing_empty_column_says_remove_it(tmp_path):
    f = tmp_path / "trail.csv"
    f.write_text("A,B,count,\n1,0,5,\n0,1,7,\n1,1,2,\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"column 4 of 'trail.csv' has no name in the header and no values: remove"):
        read_table(f)


def test_file_without_header_row_says_so(tmp_path):
    f = tmp_path / "nohdr.csv"
    f.write_text(KOSOVO.to_csv(index=False).split("\n", 1)[1], encoding="utf-8")
    with pytest.raises(DataError, match=r"first row of 'nohdr.csv' is all numbers \(1,1,1,1,27\): the file seems to "
                                        r"have no header row; add one"):
        read_table(f)


def test_colon_in_a_list_name_is_refused(tmp_path):
    f = tmp_path / "colon.csv"
    KOSOVO.rename(columns={"ABA": "A:B"}).to_csv(f, index=False)
    with pytest.raises(DataError, match=r"column name 'A:B' contains ':'.*rename the column \(e.g. 'A_B'\)"):
        read_histories(f)
    with pytest.raises(DataError, match=r"'A:B' contains ':'"):
        read_histories(KOSOVO.rename(columns={"ABA": "A:B"}))


def test_no_list_found_names_the_columns_read(tmp_path):
    d = pd.DataFrame({"x": ["a", "b"], "count": [3, 4]})
    with pytest.raises(DataError, match=r"found 0 \(\[\]\) among the columns read, \['x'\]"):
        read_histories(d)


def test_per_person_file_with_a_column_n_is_not_read_as_counts(tmp_path):
    # tester report 7, 23: 'n' = number of lists each person is on, in a one-row-per-person file
    persons = KOSOVO.loc[KOSOVO.index.repeat(KOSOVO["count"])].drop(columns="count")
    persons["n"] = persons[["EXH", "ABA", "OSCE", "HRW"]].sum(axis=1)
    f = tmp_path / "persons_n.csv"
    persons.to_csv(f, index=False)
    with pytest.raises(DataError, match=r"column 'n' would be taken as the count .* by its name alone, but 4,385 of "
                                        r"its 4,400 rows repeat another row and in every row it equals the number of "
                                        r"lists .*rename or drop column 'n'.*--count n"):
        read_histories(f)
    assert read_histories(persons.drop(columns="n")).n_observed == 4400
    assert read_histories(f, covariates=["n"]).n_observed == 4400  # named a covariate: not the count
    assert read_histories(f, count="n").n_observed == int(persons["n"].sum())  # the user's explicit choice
    # an aggregated table whose count is called 'Freq' or 'n' is still read as counts
    agg = KOSOVO.rename(columns={"count": "n"})
    assert read_histories(agg).n_observed == int(KOSOVO["count"].sum())


def test_aggregated_table_pasted_twice_is_refused(tmp_path):
    # tester report 7, 28: every pattern and count repeated would double N̂
    f = tmp_path / "k_twice.csv"
    pd.concat([KOSOVO, KOSOVO]).to_csv(f, index=False)
    with pytest.raises(DataError, match=r"15 of the table's 30 rows repeat an earlier row exactly .*rows 1 and 16 both "
                                        r"hold pattern 1,1,1,1, count 27\): the table seems pasted or exported twice"):
        read_histories(f)
    # a few repeated patterns are summed, and the note names them
    h = read_histories(pd.concat([KOSOVO, KOSOVO.head(2)]))
    assert any("summed 2 duplicate pattern row(s) (e.g. rows 1 and 16 both hold pattern 1,1,1,1)" in n for n in h.notes)
    # one row per person written with a count of 1: repeats are expected
    persons = KOSOVO.loc[KOSOVO.index.repeat(KOSOVO["count"])].assign(count=1)
    assert read_histories(persons).n_observed == int(KOSOVO["count"].sum())


def test_covariate_levels_differing_only_in_case_are_warned_of():
    # tester report 7, 29
    from darkfigure.estimation import estimate

    d = KOSOVO.assign(sex=["female", "Female", "FEMALE ", "male"] * 3 + ["female", "male", "male"])
    e = estimate(d, ci="none", assumption_range=None, search="none")
    said = [w for w in e.warnings if w.startswith("covariate 'sex' has levels that differ only in case or spaces")]
    assert len(said) == 1, e.warnings
    assert "levels that differ only in case or spaces: 'FEMALE '/'Female'/'female': each is estimated" in said[0]
