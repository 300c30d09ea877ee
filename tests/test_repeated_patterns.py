"""An aggregated table with repeated capture patterns: pasted twice refused, a few repeats warned of (tester 12b, M1)."""
import pandas as pd
import pytest

from darkfigure.errors import DataError
from darkfigure.estimation import estimate
from darkfigure.io import read_histories

# a small synthetic 3-list table; its last row has a count of 1 (that hid the paste before)
T = pd.DataFrame({"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1],
                  "count": [50, 40, 30, 5, 4, 3, 1]})


def test_table_pasted_twice_without_header_is_refused(tmp_path):
    f = tmp_path / "twice.csv"
    f.write_text(T.to_csv(index=False, sep=";") + T.to_csv(index=False, sep=";", header=False))
    with pytest.raises(DataError, match=r"7 of the table's 14 rows repeat an earlier row exactly .*rows 1 and 8 both "
                                        r"hold pattern 1,0,0, count 50\): the table seems pasted or exported twice"):
        read_histories(f)
    with pytest.raises(DataError, match="pasted or exported twice"):  # the API's way in
        estimate(pd.concat([T, T]), ci="none", assumption_range=None, search="none")


def test_one_repeated_row_is_summed_with_a_warning_naming_both_rows():
    h = read_histories(pd.concat([T, T.iloc[[3]]]))
    assert h.n_observed == int(T["count"].sum()) + 5
    assert len(h.warnings) == 1
    assert "rows 4 and 8 both hold pattern 1,1,0, counts 5 and 5. They were summed (10)" in h.warnings[0]
    assert "separate counts of the same pattern" in h.warnings[0]
    e = estimate(pd.concat([T, T.iloc[[3]]]), ci="none", assumption_range=None, search="none")
    assert any("rows 4 and 8 both hold pattern 1,1,0" in w for w in e.warnings)


def test_repeated_pattern_with_another_count_is_warned_and_per_person_rows_are_not():
    other = T.iloc[[0]].assign(count=7)
    h = read_histories(pd.concat([T, other]))
    assert "repeat an earlier row in its capture pattern: rows 1 and 8 both hold pattern 1,0,0, counts 50 and 7" \
        in h.warnings[0]
    # a covariate tells the rows apart: no repeat
    cov = pd.concat([T.assign(region="north"), T.assign(region="south")])
    assert read_histories(cov).warnings == ()
    # one row per person written with a count of 1: repeats expected, no warning
    persons = T.loc[T.index.repeat(T["count"])].assign(count=1)
    assert read_histories(persons).warnings == ()


def test_rows_told_apart_by_a_column_left_out_are_summed_over_without_a_warning():
    """A link folder's histories.csv holds sex strata; estimating by another covariate sums them (15a, M1)."""
    region = ["north", "south"] * 3 + ["north"]
    strata = pd.concat([T.assign(sex="F", region=region), T.assign(sex="M", region=region)])
    h = read_histories(strata, covariates=["region"])
    assert h.n_observed == 2 * int(T["count"].sum())
    assert not any("repeat an earlier" in w for w in h.warnings)
    assert any("differ only in the unused column(s) sex" in n for n in h.notes)
    # the same with no covariate at all: not refused as a table pasted twice either
    assert read_histories(strata.drop(columns="region"), covariates=[]).n_observed == 2 * int(T["count"].sum())
    # a row really repeated (sex too) is still warned of, and the whole table twice still refused
    again = pd.concat([strata, strata.iloc[[3]]])
    assert any("rows 4 and 15 both hold pattern 1,1,0 (same region)" in w
               for w in read_histories(again, covariates=["region"]).warnings)
    with pytest.raises(DataError, match="pasted or exported twice"):
        read_histories(pd.concat([strata, strata]), covariates=["region"])


def test_a_running_id_does_not_hide_a_table_pasted_twice():
    """15b, L3: rows that differ only in a column unique per row (a running id) are repeats, not strata."""
    twice = pd.concat([T, T]).reset_index(drop=True)
    twice.insert(0, "id", range(1, len(twice) + 1))
    with pytest.raises(DataError, match=r"pasted or exported twice.*column 'id' holds a different value in every "
                                        r"row, like a row number"):
        read_histories(twice, lists=["A", "B", "C"], covariates=[])
    once_more = pd.concat([T, T.iloc[[3]]]).reset_index(drop=True)
    once_more.insert(0, "id", range(1, len(once_more) + 1))
    h = read_histories(once_more, lists=["A", "B", "C"], covariates=[])
    assert len(h.warnings) == 1 and "rows 4 and 8 both hold pattern 1,1,0" in h.warnings[0]
    assert "remove the repeat, as it makes N̂ too high (column 'id' holds" in h.warnings[0]
    assert not any("unused column(s) id" in n for n in h.notes)
    # strata in another column left out are still strata: the id is set aside, sex still tells the rows apart
    strata = pd.concat([T.assign(sex="F"), T.assign(sex="M")]).reset_index(drop=True)
    strata.insert(0, "id", range(1, len(strata) + 1))
    h = read_histories(strata, lists=["A", "B", "C"], covariates=[])
    assert h.warnings == () and any("differ only in the unused column(s) sex" in n for n in h.notes)


def test_a_stratum_column_unique_per_row_is_not_an_identifier():
    """A column left out that is unique per row but reads as no identifier (region names, shares) still tells
    strata apart: four regions with one pattern and count are summed with a note, not refused as a paste (review of
    s16); a renumbered running id under another name ("nr") or without a name that says so is still set aside."""
    regions = pd.DataFrame({"region": ["north", "south", "east", "west"], "A": 1, "B": 1, "C": 1, "count": 5})
    regions = pd.concat([regions, T.assign(region=[f"r{i}" for i in range(len(T))])]).reset_index(drop=True)
    h = read_histories(regions, lists=["A", "B", "C"], covariates=[])
    assert h.n_observed == 20 + int(T["count"].sum())
    assert any("differ only in the unused column(s) region" in n for n in h.notes)
    twice = pd.concat([T, T]).reset_index(drop=True)
    for name in ("nr", "volgnummer"):
        with pytest.raises(DataError, match="pasted or exported twice"):
            read_histories(twice.assign(**{name: [f"x{i:03d}" for i in range(len(twice))]}), lists=["A", "B", "C"],
                           covariates=[])
    with pytest.raises(DataError, match="pasted or exported twice"):
        read_histories(twice.assign(seq=range(100, 100 + len(twice))), lists=["A", "B", "C"], covariates=[])


def test_codes_years_and_words_ending_in_id_are_strata_and_text_running_ids_are_ids():
    """Review of s16: region codes 1..4, years 2019..2022 and a column named "valid" unique per row are strata
    (summed with a note, not refused as a paste); a text running id ("c1", "c2", ...) still does not hide a table
    pasted twice."""
    four = pd.DataFrame({"A": 1, "B": 1, "C": 1, "count": [5, 5, 5, 5]})
    for name, values, rest in (("region", [1, 2, 3, 4], range(10, 17)), ("valid", [1, 2, 3, 4], range(10, 17)),
                               ("period", [2019, 2020, 2021, 2022], range(2012, 2019))):
        # the periods run 2012..2022 in steps of one over 11 rows: years, not a running number
        table = pd.concat([T.assign(**{name: rest}), four.assign(**{name: values})]) if name == "period" else \
            pd.concat([four.assign(**{name: values}), T.assign(**{name: rest})])
        h = read_histories(table.reset_index(drop=True), lists=["A", "B", "C"], covariates=[])
        assert any(f"differ only in the unused column(s) {name}" in n for n in h.notes), name
    twice = pd.concat([T, T]).reset_index(drop=True)
    with pytest.raises(DataError, match="pasted or exported twice"):
        read_histories(twice.assign(case=[f"c{i}" for i in range(1, len(twice) + 1)]), lists=["A", "B", "C"],
                       covariates=[])
