"""CaptureHistories: building, validation and the errors users meet."""

import numpy as np
import pandas as pd
import pytest

from darkfigure import CaptureHistories, DataError, datasets


def agg(rows, cols=("A", "B", "C", "count")):
    return pd.DataFrame(rows, columns=list(cols))


GOOD = [(1, 0, 0, 10), (0, 1, 0, 8), (0, 0, 1, 5), (1, 1, 0, 3), (1, 0, 1, 2), (0, 1, 1, 1), (1, 1, 1, 1)]


def test_from_table_defaults_and_sums_duplicates():
    rows = GOOD + [(1, 0, 0, 5)]
    h = CaptureHistories.from_table(agg(rows))
    assert h.lists == ("A", "B", "C")
    assert h.covariates == ()
    assert h.n_observed == 35
    assert h.pattern_counts()["100"] == 15
    assert any("summed" in n for n in h.notes)


def test_from_records_counts_persons():
    df = pd.DataFrame({"A": [1, 1, 0, 1], "B": [0, 1, 1, 0], "sex": ["f", "m", "f", "f"]})
    h = CaptureHistories.from_records(df)
    assert h.covariates == ("sex",)
    assert h.n_observed == 4
    assert h.levels["sex"] == ("f", "m")
    assert h.list_sizes().to_dict() == {"A": 3, "B": 2}


def test_all_bundled_datasets_load():
    for name in datasets.names():
        h = datasets.load(name)
        assert h.k >= 2 and h.n_observed > 0


@pytest.mark.parametrize(
    "frame, kwargs, match",
    [
        (agg([(2, 0, 0, 10), (0, 1, 0, 8), (1, 1, 0, 3)]), {"lists": ["A", "B", "C"]}, r"list column 'A' must be coded 0/1.*row 1"),
        (agg([(1, 0, 0, -1), (0, 1, 0, 8)]), {}, r"count column 'count' must be non-negative; row 1"),
        (agg([(1, 0, 0, 1.5), (0, 1, 0, 8)]), {}, r"whole numbers.*row 1"),
        (agg([(1, 0, 0, 3), (0, 0, 0, 8)]), {}, r"row 2 has the all-zero pattern"),
        (pd.DataFrame({"A": [1, 0], "count": [3, 4]}), {}, r"at least 2 lists"),
        (agg(GOOD), {"lists": ["A", "B", "Q"]}, r"unknown list column 'Q'"),
        (agg(GOOD), {"covariates": ["nope"]}, r"unknown covariate column 'nope'"),
        (agg([(1, 0, 0, 3), (0, 1, 0, 2)]).assign(C=[0, 0]), {}, r"list\(s\) \['C'\] registered nobody"),
        (pd.DataFrame({"A": [1, 0], "B": [0, 1], "sex": ["f", "f"], "count": [3, 4]}), {"covariates": ["sex"]},
         r"covariate 'sex' has a single level"),
        (pd.DataFrame({"A": [1, 0], "B": [0, 1], "sex": ["f", None], "count": [3, 4]}), {}, r"covariate 'sex' is missing for 4 person\(s\) in 1 row\(s\), the first in row 2"),
        (pd.DataFrame(columns=["A", "B", "count"]), {}, r"empty"),
        (agg([(1, 0, 0, "x"), (0, 1, 0, 8)]), {}, r"must be numeric; row 1"),
    ],
)
def test_bad_input_errors_name_the_problem(frame, kwargs, match):
    with pytest.raises(DataError, match=match):
        CaptureHistories.from_table(frame, **kwargs)


def test_empty_list_can_be_dropped():
    df = agg([(1, 0, 0, 3), (0, 1, 0, 2), (1, 1, 0, 1)])
    h = CaptureHistories.from_table(df, on_empty_list="drop")
    assert h.lists == ("A", "B")
    assert any("dropped" in n for n in h.notes)


def test_missing_count_column_message():
    with pytest.raises(DataError, match="no count column 'n'"):
        CaptureHistories.from_table(agg(GOOD), count="n")


def test_collapse_drop_stratify():
    h = datasets.load("scotland_pwid_2003")
    c = h.collapse()
    assert c.covariates == () and c.n_observed == h.n_observed
    s = h.stratify("Gender")
    assert sum(v.n_observed for v in s.values()) == h.n_observed
    d = h.drop_lists(["S4"])
    assert d.lists == ("S1", "S2", "S3")
    only_s4 = h.table[(h.table[["S1", "S2", "S3"]].sum(axis=1) == 0)]["count"].sum()
    assert d.n_observed == h.n_observed - only_s4
    m = h.pairwise_overlaps().to_numpy()
    assert np.array_equal(np.diag(m), h.list_sizes().to_numpy())


def test_empty_list_in_a_stratum_is_reported():
    df = pd.DataFrame(
        {
            "A": [1, 0, 1, 1, 0],
            "B": [0, 1, 1, 0, 1],
            "year": [2010, 2010, 2010, 2011, 2011],
            "count": [5, 4, 2, 6, 3],
        }
    )
    h = CaptureHistories.from_table(df)
    # both lists have records in both years
    assert h.empty_list_strata() == []
    df.loc[4, "B"] = 0  # now B registered nobody in 2011
    df.loc[4, "A"] = 1
    h = CaptureHistories.from_table(df)
    assert h.empty_list_strata() == [("B", "year", 2011)]


def test_a_list_that_registered_everybody_is_flagged_by_name():
    """Tester report 6, M5: a column 1 in every row, taken as a list, forces N̂ = n; say so, naming it."""
    from darkfigure.estimation import estimate

    t = pd.DataFrame({
        "A": [1, 0, 1, 0, 1, 0, 1], "B": [0, 1, 1, 0, 0, 1, 1], "C": [0, 0, 0, 1, 1, 1, 1],
        "S": [1] * 7, "count": [50, 40, 12, 45, 10, 8, 3],
    })
    with pytest.raises(DataError, match="column 'sex' is coded 0/1 and would be taken as a list, but its name reads"):
        CaptureHistories.from_table(t.rename(columns={"S": "sex"}))  # tester report 7, 24: a covariate's name
    h = CaptureHistories.from_table(t)
    assert h.full_lists() == ["S"]
    assert any("'S' are 1 in every row" in n for n in h.notes)
    e = estimate(h, ci="none", assumption_range=None)
    said = [w for w in e.warnings if "'S' registered every observed person (168)" in w]
    assert said and "zero width" in said[0] and "--lists" in said[0]
    assert e.nhat == pytest.approx(h.n_observed, abs=1e-6)
    # the same data with the lists named: no such warning
    h2 = CaptureHistories.from_table(t.drop(columns="S"))
    assert h2.full_lists() == [] and not any("every row" in n for n in h2.notes)
    assert not any("registered every observed person" in w for w in estimate(h2, ci="none",
                                                                               assumption_range=None).warnings)


def test_the_full_list_warning_is_explained():
    from darkfigure.report import explain

    assert explain("list(s) 'sex' registered every observed person (168): nobody").key == "full-list"
    assert explain("list(s) 'sex' are 1 in every row: they registered all 168 observed persons").key == "full-list"


def test_whole_number_float_covariate_is_labelled_as_integers():
    """An integer column with a blank cell reads as float: its levels are 2021, not '2021.0' (tester 17a, L10)."""
    import pandas as pd

    df = pd.DataFrame({"A": [1, 0, 1, 1], "B": [0, 1, 1, 0], "year": [2021.0, 2022.0, None, 2021.0],
                       "share": [0.5, 1.5, 0.5, 1.5], "count": [3, 4, 2, 5]})
    h = CaptureHistories.from_table(df, lists=["A", "B"], covariates=["year", "share"], missing="keep")
    assert [str(v) for v in h.levels["year"]] == ["2021", "2022"]
    assert [str(v) for v in h.levels["share"]] == ["0.5", "1.5"]  # not whole numbers: kept as they are
