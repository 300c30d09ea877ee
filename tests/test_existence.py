"""Existence of the MLE and identifiability of N: SparseMSE ``checkident`` / ``checkallmodels``
(../shared/reference/sparsemse_a.csv, sparsemse_b.csv) and how our LP classification maps to them."""

import re

import numpy as np
import pandas as pd
import pytest

from darkfigure import datasets
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.search import hierarchical_models
from darkfigure.loglinear.sparse import check_all_models, checkident, list_pairs
from darkfigure.loglinear.terms import LogLinearModel

R_NAMES = datasets.R_NAMES


def _table(r_name: str) -> CompleteTable:
    return CompleteTable(datasets.load(R_NAMES[r_name]).collapse())


def _reference() -> pd.DataFrame:
    from tests.conftest import REFERENCE

    if not REFERENCE.exists():
        return pd.DataFrame(columns=["dataset", "function", "settings", "model_chosen", "estimate"])
    return pd.concat([pd.read_csv(REFERENCE / f) for f in ("sparsemse_a.csv", "sparsemse_b.csv")], ignore_index=True)


REF = _reference()


def _rows(function: str, prefix: str = "") -> list:
    r = REF[(REF["function"] == function) & REF["settings"].str.startswith(prefix)]
    return [x for _, x in r.iterrows()]


@pytest.mark.parametrize("row", _rows("checkident", "mX="), ids=lambda r: f"{r['dataset']}-{r['settings'][:6]}")
def test_checkident_codes(row):
    """ierr of the main-effects model (mX = NULL) and of all two-list effects (mX = 0)."""
    t = _table(row["dataset"])
    model = list_pairs(t.histories.lists) if row["settings"].startswith("mX=0") else []
    expected = int(re.match(r"ierr=(\d)", row["model_chosen"]).group(1))
    assert checkident(t, model) == expected


def test_artificial_3_check_all_models(reference):
    """checkallmodels(Artificial_3): 'A:B; A:B+A:C; A:B+B:C' fail (the extended MLE does not
    exist) and the all-pairs model is not identifiable (reported by SparseMSE as a separate
    message; here a row with ierr 2). Our own LP classifies all four as "not identified"."""
    row = _rows("checkallmodels")
    row = next(r for r in row if r["dataset"] == "Artificial_3")
    failing_ref = row["model_chosen"].split("failing models:")[1].strip().split("; ")
    assert "all two-list parameters is not identifiable" in row["model_chosen"]
    res = check_all_models(_table("Artificial_3"))
    lp = res[~res["mle_exists"]]
    assert [m.replace(" + ", "+") for m in lp["model"]] == failing_ref
    assert len(lp) == int(row["estimate"])
    rank = res[res["rank_deficient"]]
    assert list(rank["model"]) == ["A:B + A:C + B:C"] and list(rank["ierr"]) == [2]
    assert len(res) == 4
    assert (res["status"] == "not identified").all()


EXISTS_ALL = [
    r for r in _rows("checkallmodels") if "exists for all models" in str(r["model_chosen"]) and r["dataset"] != "NewOrl"
]


@pytest.mark.parametrize("row", EXISTS_ALL, ids=lambda r: r["dataset"])
def test_check_all_models_finds_nothing_where_sparsemse_does_not(row):
    """'The extended maximum likelihood estimate exists for all models' (UK, Ned, HIV, ...)."""
    res = check_all_models(_table(row["dataset"]))
    assert len(res) == 0


def test_check_all_models_refuses_eight_lists(reference):
    """New Orleans has 8 lists (2^28 models; SparseMSE took 539 s): refused, not attempted."""
    with pytest.raises(ValueError, match="limited to 6 lists"):
        check_all_models(_table("NewOrl"))


FIXED_ALL = _rows("modelfit+estimatepopulation.0", "method='fixed', mX=0")


@pytest.mark.parametrize("row", FIXED_ALL, ids=lambda r: r["dataset"])
def test_facial_set_is_sparsemse_deleted_cells(row):
    """All two-list effects: the cells our LP puts outside the facial set (fitted 0 in the
    extended MLE) are exactly those SparseMSE deletes for the empty overlaps it lists."""
    t = _table(row["dataset"])
    f = fit_model(t, LogLinearModel.make(t.variables, list_pairs(t.histories.lists)), check=True)
    empty = [p.split(":") for p in row["model_chosen"].partition("empty overlaps:")[2].strip().split(",") if p]
    cells = t.cells[t.observable]
    deleted = np.zeros(len(cells), dtype=bool)
    for a, b in empty:
        deleted |= (cells[a].to_numpy() == 1) & (cells[b].to_numpy() == 1)
    assert f.existence is not None
    np.testing.assert_array_equal(~f.existence.facial_set, deleted)
    assert f.status == ("extended" if empty else "ok")


MAPPING = ["Artificial_3", "HIV", "lesbian", "kosovo_aggregate", "spina_collapsed", "ScotPWID_collapsed",
           "dga_example_3list", "Western", "NewOrl_5", "UKdat_5"]


@pytest.mark.parametrize("r_name", MAPPING)
def test_our_status_maps_to_checkident_for_two_factor_models(r_name):
    """For models "main effects + pairs", our existence LP (Fienberg & Rinaldo's facial set,
    then the hidden cell's row space) and SparseMSE's checkident agree: ierr = 0 exactly
    when our status is "ok" or "extended" (extended = empty overlaps only), ierr > 0 exactly
    when it is "not identified". (Checked on every model of 3- and 4-list tables and on
    every 4th of the 1,024 for 5 lists; the same holds on all 32,768 models of UK 2013
    and of the Netherlands with 6 lists, which take minutes one by one.)

    For hierarchical models with three-list terms the two differ by design: SparseMSE only
    accepts the non-existence due to empty pairwise overlaps, while the extended MLE may
    still identify N when other cells leave the facial set.
    """
    t = _table(r_name)
    lists = t.histories.lists
    models = hierarchical_models(len(lists), 2)
    step = 1 if len(models) <= 64 else 4
    for mt in models[::step]:
        m = LogLinearModel.make(t.variables, [tuple(lists[j] for j in p) for p in mt])
        ierr = checkident(t, m)
        f = fit_model(t, m, check=True)
        assert (ierr == 0) == (f.status in ("ok", "extended")), (m.label(), ierr, f.status)
        assert (ierr > 0) == (f.status == "not identified"), (m.label(), ierr, f.status)
