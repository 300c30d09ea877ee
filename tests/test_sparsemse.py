"""SparseMSE stepwisefit and estimatepopulation.0 (../shared/reference/sparsemse_a.csv, sparsemse_b.csv)."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from darkfigure import datasets
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.search import poisson_smaller_tail, pvalue_search
from darkfigure.loglinear.sparse import checkident, list_pairs, normal_log_interval, sparsemse_aic
from darkfigure.loglinear.terms import LogLinearModel

R_NAMES = datasets.R_NAMES


def _reference() -> pd.DataFrame:
    from tests.conftest import REFERENCE

    if not REFERENCE.exists():
        return pd.DataFrame(columns=["dataset", "function", "settings"])
    return pd.concat([pd.read_csv(REFERENCE / f) for f in ("sparsemse_a.csv", "sparsemse_b.csv")], ignore_index=True)


REF = _reference()


def _rows(function: str, settings_prefix: str) -> list:
    r = REF[(REF["function"] == function) & REF["settings"].str.startswith(settings_prefix)]
    return [row for _, row in r.iterrows()]


def _table(r_name: str) -> CompleteTable:
    return CompleteTable(datasets.load(R_NAMES[r_name]).collapse())


def _r_pairs(model_chosen: str) -> tuple[list[str], float | None]:
    """Pairs and AIC from the reference's model string, e.g. 'A:B,C:D [empty overlaps: C:D]; AIC=1.2'."""
    head, _, tail = model_chosen.partition(";")
    aic = float(re.search(r"AIC=([-\d.]+)", tail).group(1)) if "AIC=" in tail else None
    head = re.sub(r"\s*\[empty overlaps:.*\]", "", head).strip()
    if head == "main effects only":
        return [], aic
    return [p.strip() for p in head.split(",")], aic


STEPWISE = _rows("stepwisefit+estimatepopulation.0", "method='stepwise'")


@pytest.mark.parametrize("row", STEPWISE, ids=lambda r: r["dataset"])
def test_stepwise_matches_sparsemse(row):
    """Selected pairs, N̂ (rel. 1e-6) and AIC of ``stepwisefit(zdat, pthresh = 0.02)``.

    The reference prints the pairs of the glm formula (non-empty overlaps, in the order
    they were added) and then those with an empty overlap (also in order added; their
    cells are deleted, so glm's formula does not have them). We compare in that form.
    """
    t = _table(row["dataset"])
    res = pvalue_search(t, pthresh=0.02)
    ref_pairs, ref_aic = _r_pairs(row["model_chosen"])
    added = [s[2:].strip() for s in res.path["step"].iloc[1:]]
    empty = set(res.path["empty_overlaps"].iloc[-1].split(", ")) - {""}
    ours = [p for p in added if p not in empty] + [p for p in added if p in empty]
    assert ours == ref_pairs
    assert res.best.nhat == pytest.approx(row["estimate"], rel=1e-6)
    assert res.best.status == ("extended" if empty else "ok")
    assert abs(res.best.aic - ref_aic) < 6e-4
    assert abs(res.path["aic_sparsemse"].iloc[-1] - ref_aic) < 6e-4
    # each step's p-value is recorded and below the threshold; the stop is not
    p = res.path["pvalue"].to_numpy()
    assert np.isnan(p[0]) and np.all(p[1:] < 0.02)
    assert res.path.attrs["stop"]["pvalue"] >= 0.02
    # SparseMSE: checkident of the stepwise-selected model is 0 for every dataset
    assert checkident(t, res.best.model) == 0


def test_stepwise_uk_path_and_pvalues(reference):
    """UK 2013: the seven pairs in the order SparseMSE adds them (all overlaps non-empty)."""
    res = pvalue_search(_table("UKdat"))
    assert [s[2:] for s in res.path["step"].iloc[1:]] == [
        "PF:NCA", "LA:NG", "NG:GP", "LA:PF", "PF:GP", "GO:GP", "NG:GO"
    ]
    assert res.best.nhat == pytest.approx(11417.9910915046, rel=1e-9)


def test_stepwise_netherlands_adds_empty_overlaps(reference):
    """Ned: K:R and I:K share nobody but their expected overlap is large, so they enter
    (p = exp(-p*)); the extended MLE gives SparseMSE's N̂ 111,139.37 and AIC 207.185."""
    res = pvalue_search(_table("Ned"))
    assert res.path["empty_overlaps"].iloc[-1] == "I:K, K:R"
    assert res.best.status == "extended"
    assert res.best.nhat == pytest.approx(111139.371230396, rel=1e-9)
    assert res.best.aic == pytest.approx(207.185, abs=6e-4)
    assert any("share nobody" in w for w in res.warnings)
    # fitted 0 exactly in the cells SparseMSE deletes (K = R = 1 or I = K = 1)
    c = res.best.table.cells
    gone = ((c["K"] == 1) & ((c["R"] == 1) | (c["I"] == 1))).to_numpy()
    assert np.all(res.best.fitted[gone] == 0)


MAIN = _rows("modelfit+estimatepopulation.0", "method='main'")
FIXED_ALL = _rows("modelfit+estimatepopulation.0", "method='fixed', mX=0")


def _check_interval(fit, row, rel):
    iv = normal_log_interval(fit, level=0.95)
    assert iv.estimate == pytest.approx(row["estimate"], rel=rel)
    assert iv.low == pytest.approx(row["ci_low"], rel=rel)
    assert iv.high == pytest.approx(row["ci_high"], rel=rel)
    assert iv.low < iv.estimate < iv.high


@pytest.mark.parametrize("row", MAIN, ids=lambda r: r["dataset"])
def test_normal_log_interval_main_effects(row):
    t = _table(row["dataset"])
    f = fit_model(t, LogLinearModel.make(t.variables), check=True)
    _check_interval(f, row, 1e-9)
    # from our (further converged) fit the limits move by at most ~3e-5
    iv = normal_log_interval(f, iterate="converged")
    assert iv.low == pytest.approx(row["ci_low"], rel=1e-4)
    assert iv.high == pytest.approx(row["ci_high"], rel=1e-4)


@pytest.mark.parametrize("row", STEPWISE, ids=lambda r: r["dataset"])
def test_normal_log_interval_stepwise(row):
    _check_interval(pvalue_search(_table(row["dataset"])).best, row, 1e-9)


@pytest.mark.parametrize("row", FIXED_ALL, ids=lambda r: r["dataset"])
def test_all_pairs_model_extended_mle_equals_sparsemse(row):
    """All two-list interactions: where lists share nobody, SparseMSE deletes the cells; our
    extended MLE (status "extended") gives the same N̂ and interval."""
    t = _table(row["dataset"])
    f = fit_model(t, LogLinearModel.make(t.variables, list_pairs(t.histories.lists)), check=True)
    empty = row["model_chosen"].partition("empty overlaps:")[2].strip()
    assert f.status == ("extended" if empty else "ok")
    assert f.nhat == pytest.approx(row["estimate"], rel=1e-8)
    _check_interval(f, row, 1e-9)


@pytest.mark.parametrize("row", MAIN, ids=lambda r: r["dataset"])
def test_main_effects_aic(row):
    t = _table(row["dataset"])
    f = fit_model(t, LogLinearModel.make(t.variables), check=True)
    aic = float(re.search(r"AIC=([-\d.]+)", row["model_chosen"]).group(1))
    assert f.aic == pytest.approx(aic, abs=6e-4)
    assert sparsemse_aic(f) == pytest.approx(f.aic, rel=1e-12)


def test_all_pairs_refused_for_artificial_3(reference):
    """modelfit(Artificial_3, mX = 0) is refused (ierr 2); no N̂, no interval."""
    t = _table("Artificial_3")
    f = fit_model(t, LogLinearModel.make(t.variables, list_pairs("ABC")), check=True)
    assert f.status == "not identified" and math.isnan(f.nhat)
    with pytest.raises(ValueError, match="not identified"):
        normal_log_interval(f)


def test_pthresh_edge_cases(reference):
    t = _table("UKdat")
    assert pvalue_search(t, pthresh=0).best.model.interactions == frozenset()
    full = pvalue_search(t, pthresh=1).best
    assert len(full.model.interactions) == 15
    assert full.nhat == pytest.approx(10568.706729809, rel=1e-8)
    with pytest.raises(ValueError, match="pthresh"):
        pvalue_search(t, pthresh=1.5)


def test_poisson_smaller_tail():
    """The smaller tail, not doubled; exp(-p*) for an empty overlap; far tails on the log scale."""
    assert poisson_smaller_tail(0, 3.0) == pytest.approx(math.exp(-3.0), rel=1e-14)
    assert poisson_smaller_tail(2, 7.5) == pytest.approx(stats.poisson.cdf(2, 7.5), rel=1e-12)
    assert poisson_smaller_tail(15, 7.5) == pytest.approx(stats.poisson.sf(14, 7.5), rel=1e-12)
    # the log-scale series agrees with the direct tail where both are representable
    from darkfigure.loglinear.search import _log_poisson_tail_series

    assert _log_poisson_tail_series(300, 100.0, upper=True) == pytest.approx(stats.poisson.logsf(299, 100.0), rel=1e-10)
    assert _log_poisson_tail_series(20, 150.0, upper=False) == pytest.approx(stats.poisson.logcdf(20, 150.0), rel=1e-10)
    # beyond double precision of the tail itself it is still ordered (and 0 only past ~1e-323)
    a, b = poisson_smaller_tail(0, 700.0), poisson_smaller_tail(0, 740.0)
    assert a > b > 0
    assert poisson_smaller_tail(0, 800.0) == 0.0
