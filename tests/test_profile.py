"""Multinomial profile-likelihood interval for N against Rcapture's closedpCI.t.

Reference rows: ../shared/reference/rcapture.csv and the Rcapture rows of
all_results.csv (a later run of the same script, which also holds the mX = SparseMSE
stepwise models that failed in rcapture.csv because of the list names).
"""

import math
import re
import time

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln, xlogy

from darkfigure import CaptureHistories, datasets
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model, irls_poisson
from darkfigure.loglinear.profile import (
    ProfileInterval,
    profile_interval,
    profile_interval_design,
    profile_loglik,
)
from darkfigure.loglinear.terms import LogLinearModel

R_NAMES = datasets.R_NAMES


def _rcapture_rows() -> list[dict]:
    """closedpCI.t rows of log-linear models (not the heterogeneity models Mh/Mth)."""
    from tests.conftest import REFERENCE

    frames = [
        pd.read_csv(REFERENCE / f) for f in ("rcapture.csv", "all_results.csv") if (REFERENCE / f).exists()
    ]
    if not frames:
        return []
    ref = pd.concat(frames)
    ref = ref[(ref["package"] == "Rcapture") & (ref["function"] == "closedpCI.t")]
    ref = ref.drop_duplicates(subset=["dataset", "settings", "ci_low", "ci_high"])
    rows = []
    for _, r in ref.iterrows():
        s = str(r["settings"])
        if "h=" in s and "h=NULL" not in s:
            continue  # heterogeneity models (Chao, Poisson, Darroch): not log-linear in the lists
        if "m='Mh'" in s or "m='Mth'" in s:
            continue
        if pd.isna(r["ci_low"]):
            continue  # R failed (list names in mX); the rerun in all_results.csv has the numbers
        mle = re.search(r"multinomial MLE=([\d.]+)", str(r["model_chosen"]))
        rows.append(
            {
                "dataset": r["dataset"],
                "settings": s,
                "estimate": float(r["estimate"]),
                "low": float(r["ci_low"]),
                "high": float(r["ci_high"]) if not pd.isna(r["ci_high"]) else math.inf,
                "mle": float(mle.group(1)) if mle else math.nan,
                "n": int(r["n_observed"]),
            }
        )
    return rows


def _model_terms(settings: str, lists: tuple[str, ...]) -> list[tuple[str, ...]] | str:
    """Rcapture's model description as interaction terms, or "M0".

    ``m='Mt'`` is the independence model; ``[12,3]`` (closedpMS.t notation) is
    c1:c2 + c3, each digit a list in column order; ``mX = ~. + c1:c2`` adds pairs.
    """
    s = settings.strip()
    if s == "m='M0'":
        return "M0"
    if s == "m='Mt'":
        return []
    bracket = re.search(r"\[([\d,]+)\]", s)
    if bracket and "closedpMS" in s:
        return [tuple(lists[int(c) - 1] for c in tok) for tok in bracket.group(1).split(",") if len(tok) > 1]
    if "mX" in s and "~" in s:
        formula = s.split("(")[0]
        return [tuple(lists[int(i) - 1] for i in p) for p in re.findall(r"c(\d+):c(\d+)", formula)]
    raise ValueError(f"cannot read model {settings!r}")


def _table(r_dataset: str) -> CompleteTable:
    return CompleteTable(datasets.load(R_NAMES[r_dataset]).collapse())


def _m0_interval(t: CompleteTable, **kw) -> ProfileInterval:
    """Rcapture's M0: intercept + number of captures (one capture probability for all lists)."""
    lists = t.histories.lists
    nbcap = t.cells[list(lists)].to_numpy(dtype=float).sum(axis=1)
    x = np.column_stack([np.ones(t.n_cells), nbcap])
    return profile_interval_design(x[t.observable], t.y[t.observable], x[t.hidden], **kw)


ROWS = _rcapture_rows()


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['dataset']}:{r['settings'][:45]}" for r in ROWS])
def test_matches_rcapture_closedpCI(row):
    t = _table(row["dataset"])
    assert t.histories.n_observed == row["n"]
    terms = _model_terms(row["settings"], t.histories.lists)
    if terms == "M0":
        res = _m0_interval(t)
        assert res.nhat_poisson == pytest.approx(row["estimate"], rel=1e-7)
    else:
        fit = fit_model(t, LogLinearModel.make(t.variables, terms))
        if not math.isfinite(row["high"]):
            # Artificial_3, best-BIC [12,3]: Rcapture prints N = 1.4e13 and [815, NA]; the MLE
            # does not exist and N is not identified, so we refuse unless asked explicitly
            assert fit.status == "not identified"
            with pytest.raises(ValueError, match="not identified"):
                profile_interval(fit)
            res = profile_interval(fit, allow_not_identified=True)
            assert not res.upper_bounded and res.high == math.inf
            assert res.nhat_multinomial == math.inf
            assert res.lower_bounded
            # R's cut-off comes from l(N) at N = 1.2e13, where its deviance is noisy (~1e-3)
            assert res.low == pytest.approx(row["low"], rel=1e-3)
            return
        # "extended" for Ned_5 [135,12,24,34]: K and R never overlap, so the K:R term is -inf
        # (R's glm stops at a large negative value; the hidden cell is unaffected)
        assert fit.status in ("ok", "extended")
        assert fit.nhat == pytest.approx(row["estimate"], rel=1e-7)
        res = profile_interval(fit)
        assert res.nhat_poisson == pytest.approx(fit.nhat, rel=1e-9)
    assert res.lower_bounded and res.upper_bounded
    assert res.low == pytest.approx(row["low"], rel=1e-6)
    assert res.high == pytest.approx(row["high"], rel=1e-6)
    # R's optimize (tol 1e-4) on a flat, glm-noisy profile: printed to 3 decimals
    assert res.nhat_multinomial == pytest.approx(row["mle"], rel=1e-6, abs=2e-3)
    assert res.low < res.nhat_multinomial < res.nhat_poisson < res.high


def test_reference_rows_found():
    if not ROWS:
        pytest.skip("reference results not found")
    kinds = {("M0" if r["settings"].strip() == "m='M0'" else "Mt" if r["settings"].strip() == "m='Mt'" else "mX")
             for r in ROWS}
    assert kinds == {"M0", "Mt", "mX"}
    assert len(ROWS) >= 50


# ------------------------------------------------------------------------------------------
# behaviour


def _two_lists(a_only: int, b_only: int, both: int) -> LogLinearModel:
    h = CaptureHistories.from_table(
        pd.DataFrame({"A": [1, 0, 1], "B": [0, 1, 1], "count": [a_only, b_only, both]})
    )
    t = CompleteTable(h)
    return fit_model(t, LogLinearModel.make(t.variables))


def test_no_upper_limit_below_the_cap():
    """Lincoln-Petersen with one person on both lists: the upper limit is far out."""
    fit = _two_lists(19, 19, 1)  # n = 39, N-hat = 400
    assert fit.nhat == pytest.approx(400)
    short = profile_interval(fit, max_factor=10)  # search up to max(390, 3 N-hat) = 1200
    assert not short.upper_bounded and short.high == math.inf
    assert short.search_limit == pytest.approx(1200)
    assert "no upper limit below 1200" in short.message
    assert short.lower_bounded and short.low > fit.n_observed
    # the default search goes on past Rcapture's 3 N-hat and finds the crossing
    full = profile_interval(fit)
    assert full.upper_bounded and full.high > 3 * fit.nhat
    assert full.low == pytest.approx(short.low, rel=1e-9)
    ell = profile_loglik(fit, [full.low, full.nhat_multinomial, full.high])
    np.testing.assert_allclose(ell[[0, 2]], full.cutoff, atol=1e-7)
    assert ell[1] == pytest.approx(full.loglik_max, abs=1e-9)


def test_lower_limit_is_n_when_profile_does_not_cross():
    fit = _two_lists(1, 1, 99)  # N-hat = 101.01, n = 101
    res = profile_interval(fit)
    assert not res.lower_bounded and res.low == fit.n_observed
    assert "lower limit is the number observed" in res.message
    assert res.upper_bounded and res.high > fit.n_observed


def test_refuses_not_identified_fit():
    t = CompleteTable(datasets.load("artificial_3"))
    fit = fit_model(t, LogLinearModel.make(t.variables, [("A", "B")]))
    assert fit.status == "not identified"
    with pytest.raises(ValueError, match="allow_not_identified"):
        profile_interval(fit)
    res = profile_interval(fit, allow_not_identified=True)
    assert not res.upper_bounded and math.isinf(res.high)
    assert "no upper limit" in res.message and "does not identify N" in res.message


def test_rank_deficient_model_is_refused_even_when_allowed():
    """Saturated in the lists: the hidden cell has its own parameter, the profile is flat in N."""
    t = CompleteTable(datasets.load("hiv_rome"))
    lists = t.histories.lists
    fit = fit_model(t, LogLinearModel.make(t.variables, [lists]))
    assert fit.status == "not identified"
    with pytest.raises(ValueError, match="rank-deficient"):
        profile_interval(fit, allow_not_identified=True)


@pytest.mark.parametrize("kw", [{"level": 1.2}, {"level": 0}, {"max_factor": 0.5}, {"correction": "stirling"}])
def test_bad_arguments(kw):
    t = CompleteTable(datasets.load("hiv_rome"))
    fit = fit_model(t, LogLinearModel.make(t.variables))
    with pytest.raises(ValueError):
        profile_interval(fit, **kw)


def test_exact_correction_is_the_multinomial_profile():
    """With correction="exact", l(N1) - l(N2) is the exact multinomial profile log-likelihood."""
    t = CompleteTable(datasets.load("hiv_rome"))
    fit = fit_model(t, LogLinearModel.make(t.variables, [("c1", "c2")]))
    x = t.design(fit.model)
    xa = np.vstack([x[t.observable], x[t.hidden]])
    ya = t.y[t.observable]
    n = ya.sum()

    def multinomial(big_n):
        n0 = big_n - n
        mu = irls_poisson(xa, np.append(ya, n0), tol=1e-14)[1]
        counts = np.append(ya, n0)
        return float(gammaln(big_n + 1) - gammaln(n0 + 1) + np.sum(xlogy(counts, mu / big_n)))

    ns = np.array([9000.0, 12000.5, 16000.0])
    ours = profile_loglik(fit, ns, correction="exact")
    brute = np.array([multinomial(v) for v in ns])
    np.testing.assert_allclose(np.diff(ours), np.diff(brute), atol=1e-8)
    # Stirling's approximation changes the profile by ~1/(12 n0): nothing at this size
    res_exact = profile_interval(fit, correction="exact")
    res_r = profile_interval(fit)
    assert res_exact.low == pytest.approx(res_r.low, rel=1e-6)
    assert res_exact.high == pytest.approx(res_r.high, rel=1e-6)


def test_covariates_without_list_interactions_give_the_collapsed_interval():
    """A covariate with no list interaction factorises out of the multinomial likelihood.

    The pooled hidden cell then gives exactly the interval of the collapsed table,
    which is what the observed-data likelihood says (the unseen have no stratum).
    """
    h = datasets.load("scotland_pwid_2003")
    t = CompleteTable(h)
    full = profile_interval(fit_model(t, LogLinearModel.make(t.variables)))
    tc = CompleteTable(h.collapse())
    coll = profile_interval(fit_model(tc, LogLinearModel.make(tc.variables)))
    for a in ("low", "high", "nhat_multinomial", "nhat_poisson"):
        assert getattr(full, a) == pytest.approx(getattr(coll, a), rel=1e-8)


def test_covariate_interactions_and_empty_strata():
    """List x covariate interactions; the 'other' stratum's hidden cell is an extended-MLE zero."""
    t = CompleteTable(datasets.load("spina_bifida_ny"))
    terms = [("S1", "eth"), ("S2", "eth"), ("S3", "eth"), ("S2", "S3")]
    fit = fit_model(t, LogLinearModel.make(t.variables, terms))
    assert fit.status == "extended"
    res = profile_interval(fit)
    assert res.nhat_poisson == pytest.approx(fit.nhat, rel=1e-9)
    assert res.low < res.nhat_multinomial < fit.nhat < res.high
    # at the limits the profile is at the cut-off
    ell = profile_loglik(fit, [res.low, res.high])
    np.testing.assert_allclose(ell, res.cutoff, atol=1e-7)


def test_extended_mle_equals_dropping_the_empty_overlap_cells():
    """Ned: K and R never overlap. With K:R the cells K = R = 1 are fitted as 0 (SparseMSE drops them)."""
    t = CompleteTable(datasets.load("netherlands_2010_2015"))
    model = LogLinearModel.make(t.variables, [("K", "R"), ("I", "O")])
    fit = fit_model(t, model)
    assert fit.status == "extended"
    res = profile_interval(fit)
    x = t.design(model)
    names = t.column_names(model)
    keep_cols = [j for j, nm in enumerate(names) if nm != "K:R"]
    cells = t.cells
    keep = t.observable & ~((cells["K"] == 1) & (cells["R"] == 1)).to_numpy()
    ref = profile_interval_design(x[keep][:, keep_cols], t.y[keep], x[t.hidden][:, keep_cols])
    for a in ("low", "high", "nhat_multinomial", "nhat_poisson"):
        assert getattr(res, a) == pytest.approx(getattr(ref, a), rel=1e-9)


@pytest.mark.slow
def test_coverage_with_independent_lists():
    """300 simulated populations (N = 600, 4 independent lists): the 95% interval covers N 90-99%."""
    rng = np.random.default_rng(20240601)
    n_true, p = 600, np.array([0.2, 0.15, 0.25, 0.1])
    covered, widths = 0, []
    for _ in range(300):
        caught = rng.random((n_true, 4)) < p
        seen = caught[caught.any(axis=1)]
        h = CaptureHistories.from_records(pd.DataFrame(seen.astype(int), columns=list("ABCD")))
        t = CompleteTable(h)
        res = profile_interval(fit_model(t, LogLinearModel.make(t.variables)))
        assert res.lower_bounded and res.upper_bounded
        covered += res.low <= n_true <= res.high
        widths.append(res.high - res.low)
    assert 0.90 <= covered / 300 <= 0.99
    assert 100 < np.median(widths) < 1000


def test_speed():
    """Tens of milliseconds at most for 6 lists (warm-started Newton fits)."""
    t = CompleteTable(datasets.load("uk_2013"))
    fit = fit_model(t, LogLinearModel.make(t.variables, [("LA", "NG"), ("PF", "NCA"), ("NG", "GP")]))
    profile_interval(fit)
    t0 = time.perf_counter()
    for _ in range(5):
        res = profile_interval(fit)
    per = (time.perf_counter() - t0) / 5
    assert res.n_evaluations < 40
    assert per < 0.1  # ~5 ms on an idle machine; generous for a loaded one
