"""Sensitivity to the identifying assumption (darkfigure.sensitivity; issue 15, item 1).

What is checked: psi = 1 reproduces the usual N̂ (single model, model average, covariates,
structural zeros); the definition of psi (the k-way contrast of the completed table equals
(-1)^k log psi in every stratum); closed forms for 2 and 3 lists; the profile likelihood with
an offset against a brute-force maximisation; coverage on simulated populations whose k-way
interaction is violated by a known amount; bad input.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize
from scipy.special import gammaln
from scipy.stats import chi2

from darkfigure.errors import DataError
from darkfigure.estimation import estimate
from darkfigure.loglinear.profile import profile_interval
from darkfigure.sensitivity import (
    identifying_assumption,
    kway_contrast,
    parse_range,
    psi_grid,
    sensitivity,
    simulate_kway,
)

PSIS = [0.5, 0.8, 1.0, 1.7, 2.0]


@pytest.fixture(scope="module")
def strata_data() -> pd.DataFrame:
    """3 lists, 2 strata with their own capture probabilities and list dependences, no violation."""
    cap = [[0.3, 0.2, 0.35], [0.15, 0.3, 0.25]]
    pw = np.zeros((2, 3, 3))
    pw[0, 0, 1], pw[1, 1, 2] = 0.6, -0.4
    return simulate_kway([2500, 1800], cap, pairwise=pw, psi=1.0, seed=5)[0]


def _ia(res):
    assert res.identifying is not None, res.warnings
    return res.identifying


# ------------------------------------------------------------------------------------------ psi = 1
@pytest.mark.parametrize(
    "kw",
    [
        dict(data="kosovo_1999", ci="none"),
        dict(data="kosovo_1999", ci="profile"),
        dict(data="uk_2013", ci="averaged", reps=50, seed=3),
    ],
)
def test_psi_one_reproduces_the_usual_nhat(kw):
    res = estimate(kw.pop("data"), **kw)
    ia = _ia(res)
    g = ia.grid.set_index("psi")
    assert g.loc[1.0, "nhat"] == pytest.approx(res.nhat, rel=1e-9)
    assert ia.nhat == pytest.approx(res.nhat, rel=1e-9)
    assert ia.averaged == (res.averaged is not None and len(res.averaged.fits) > 1)


def test_psi_one_reproduces_every_subgroup_with_covariates(strata_data):
    res = estimate(strata_data, ci="parametric", reps=50, seed=1)
    ia = _ia(res)
    assert len(ia.subgroups) == 3  # total and the two strata
    est = res.estimates.set_index(["group", "level"])["nhat"]
    for r in ia.subgroups.itertuples():
        assert r.nhat == pytest.approx(est.loc[(r.group, r.level)], rel=1e-9)
        assert r.low < r.nhat < r.high
    # the strata's unobserved counts add up to the total's
    tot = ia.subgroups.iloc[0]
    assert ia.subgroups.iloc[1:]["unobserved"].sum() == pytest.approx(tot.unobserved, rel=1e-9)


def test_psi_one_reproduces_the_model_average_per_subgroup(strata_data):
    res = estimate(strata_data, ci="averaged", reps=50, seed=2)
    assert res.averaged is not None
    ia = _ia(res)
    est = res.estimates.set_index(["group", "level"])["nhat"]
    for r in ia.subgroups.itertuples():
        assert r.nhat == pytest.approx(est.loc[(r.group, r.level)], rel=1e-9)


def test_structural_zeros_and_psi():
    from darkfigure.simulation import simulate

    sim = simulate("labour_zeros", seed=3)
    res = estimate(sim.histories, year="year", search="cruyff", ci="none",
                   structural_zeros=[("inspectorate", "form", "sexual")])
    ia = _ia(res)
    assert ia.nhat == pytest.approx(res.nhat, rel=1e-9)
    # in every stratum (those the inspectorate cannot register included) the unobserved count scales by psi
    t, f = res.fit.table, res.fit
    hid = f.fitted[t.hidden]
    for p in (0.5, 2.0):
        assert ia.nhat_at(p) == pytest.approx(f.n_observed + p * hid.sum(), rel=1e-9)


# ------------------------------------------------------------------------------------------ what psi means
@pytest.mark.parametrize("data,k", [("kosovo_1999", 4), ("strata", 3), ("western_us_2019", 5)])
def test_psi_is_the_kway_contrast_of_the_completed_table(data, k, strata_data):
    """(-1)^k times the k-way interaction of the fitted table with the unobserved cells at psi is log psi."""
    res = estimate(strata_data if data == "strata" else data, ci="none")
    f, t = res.fit, res.fit.table
    assert t.histories.k == k
    ia = _ia(res)
    for p in PSIS:
        m = f.fitted.copy()
        m[t.hidden] *= p
        per_stratum = m.reshape(t.n_strata, 2**k)
        if np.any(per_stratum <= 0):
            pytest.skip("a cell fitted as 0: the contrast is not finite")
        lam = kway_contrast(per_stratum, k)
        np.testing.assert_allclose((-1) ** k * lam, math.log(p), atol=1e-6)
        # and N̂(psi) is that completed table's total
        total = res.n_observed + m[t.hidden].sum()
        assert ia.nhat_at(p) == pytest.approx(total, rel=1e-10)


def test_simulator_draws_the_stated_interaction():
    """The simulator's cell probabilities carry (-1)^k log psi as k-way contrast (large N: close)."""
    for k, psi in ((3, 1.8), (4, 0.6)):
        df, n_true = simulate_kway(2_000_000, [0.3] * k, pairwise=0.2, psi=psi, seed=1)
        counts = np.zeros(2**k)
        idx = sum(df[f"L{j + 1}"].to_numpy() << j for j in range(k))
        np.add.at(counts, idx, df["count"].to_numpy())
        counts[0] = n_true - counts.sum()
        lam = kway_contrast(counts, k)
        assert (-1) ** k * lam == pytest.approx(math.log(psi), abs=0.05)


def test_nhat_increases_with_psi_and_the_dark_figure_scales():
    res = estimate("kosovo_1999", ci="none")
    ia = _ia(res)
    g = ia.grid
    assert np.all(np.diff(g["psi"]) > 0) and np.all(np.diff(g["nhat"]) > 0)
    assert ia.low == pytest.approx(g["nhat"].iloc[0]) and ia.high == pytest.approx(g["nhat"].iloc[-1])
    d = res.nhat - res.n_observed
    np.testing.assert_allclose(g["dark_figure"], g["psi"] * d, rtol=1e-10)
    assert ia.low < res.nhat < ia.high


def test_without_violation_the_range_is_centred_on_the_usual_nhat():
    """A range symmetric on the log scale puts the usual N̂ in its middle: psi = 1 is the middle grid point
    and the dark figure's ends are D/c and c D (geometric mean D)."""
    res = estimate("uk_2013", ci="none", assumption_range="0.5,2")
    ia = _ia(res)
    g = ia.grid
    assert len(g) % 2 == 1 and g["psi"].iloc[len(g) // 2] == 1.0
    d = res.nhat - res.n_observed
    assert math.sqrt((ia.low - res.n_observed) * (ia.high - res.n_observed)) == pytest.approx(d, rel=1e-10)
    res3 = estimate("uk_2013", ci="none", assumption_range=(1 / 3, 3))
    ia3 = _ia(res3)
    assert ia3.low < ia.low < res.nhat < ia.high < ia3.high


# ------------------------------------------------------------------------------------------ closed forms
def _cells(df: pd.DataFrame, k: int) -> np.ndarray:
    y = np.zeros(2**k)
    idx = sum(df[f"L{j + 1}"].to_numpy() << j for j in range(k))
    np.add.at(y, idx, df["count"].to_numpy())
    return y


def test_closed_form_three_lists_saturated_minus_highest():
    """Model L1:L2 + L1:L3 + L2:L3 fits the observed cells exactly, and its unobserved cell is
    y111 y100 y010 y001 / (y110 y101 y011). Fixing the 3-way term at lambda = (-1)^3 log psi multiplies that
    cell by psi: N̂(psi) = n + psi * y111 y100 y010 y001 / (y110 y101 y011)."""
    df, _ = simulate_kway(3000, [0.3, 0.25, 0.4], pairwise=0.3, psi=1.0, seed=8)
    y = _cells(df, 3)
    n = y[1:].sum()
    m0 = y[7] * y[1] * y[2] * y[4] / (y[3] * y[5] * y[6])
    res = estimate(df, model="L1:L2, L1:L3, L2:L3", ci="none")
    ia = _ia(res)
    for p in PSIS:
        assert ia.nhat_at(p) == pytest.approx(n + p * m0, rel=1e-8)
    assert ia.low == pytest.approx(n + 0.5 * m0, rel=1e-8)
    assert ia.high == pytest.approx(n + 2.0 * m0, rel=1e-8)


def test_closed_form_two_lists_is_lincoln_petersen_times_psi():
    """Two lists: psi is the odds ratio between the lists, N̂(psi) = n + psi y10 y01 / y11."""
    df, _ = simulate_kway(2000, [0.3, 0.4], psi=1.0, seed=4)
    y = _cells(df, 2)
    res = estimate(df, ci="none", search="none")
    ia = _ia(res)
    for p in PSIS:
        assert ia.nhat_at(p) == pytest.approx(y[1:].sum() + p * y[1] * y[2] / y[3], rel=1e-8)


# ------------------------------------------------------------------------------------------ profile with an offset
def _brute_force_profile(y_obs, x_obs, x0, log_psi, level=0.95):
    """Multinomial profile interval with offset log psi on the hidden cell, by BFGS at each N (exact lgamma)."""
    n = y_obs.sum()

    def best(n0, b0):
        def negll(b):
            mu = np.exp(x_obs @ b)
            m0 = math.exp(float(x0 @ b) + log_psi)
            return -(y_obs @ (x_obs @ b) - mu.sum() + n0 * (float(x0 @ b) + log_psi) - m0)

        def grad(b):
            mu = np.exp(x_obs @ b)
            m0 = math.exp(float(x0 @ b) + log_psi)
            return -(x_obs.T @ (y_obs - mu) + x0 * (n0 - m0))

        r = optimize.minimize(negll, b0, jac=grad, method="BFGS", options={"gtol": 1e-10, "maxiter": 5000})
        b = r.x
        mu = np.exp(x_obs @ b)
        m0 = math.exp(float(x0 @ b) + log_psi)
        pos = y_obs > 0
        dev = 2 * (np.sum(y_obs[pos] * np.log(y_obs[pos] / mu[pos])) - (y_obs - mu).sum())
        dev += 2 * ((n0 * math.log(n0 / m0) if n0 > 0 else 0.0) - (n0 - m0))
        big = n + n0
        ct = (n0 * math.log(n0) if n0 > 0 else 0.0) + gammaln(big + 1) - big * math.log(big) - gammaln(n0 + 1)
        return -dev / 2 + ct, b

    b0 = np.linalg.lstsq(x_obs, np.log(y_obs), rcond=None)[0]
    ll = lambda big: best(big - n, b0)[0]  # noqa: E731
    m0_hat = math.exp(float(x0 @ b0) + log_psi)
    r = optimize.minimize_scalar(lambda v: -ll(v), bounds=(n + 0.2 * m0_hat, n + 5 * m0_hat), method="bounded",
                                 options={"xatol": 1e-6})
    lmax, nmax = -r.fun, r.x
    cut = lmax - chi2.ppf(level, 1) / 2
    low = optimize.brentq(lambda v: ll(v) - cut, n + 1e-6, nmax, xtol=1e-6)
    high = optimize.brentq(lambda v: ll(v) - cut, nmax, n + 50 * m0_hat, xtol=1e-6)
    return low, high


def test_profile_with_offset_matches_a_brute_force_maximisation():
    df, _ = simulate_kway(1500, [0.3, 0.25, 0.35], pairwise=0.2, psi=1.0, seed=21)
    res = estimate(df, model="L1:L2, L2:L3", ci="none")
    f, t = res.fit, res.fit.table
    x = t.design(f.model)
    xo, yo, x0 = x[t.observable], t.y[t.observable], x[t.hidden][0]
    for p in (0.5, 2.0):
        pr = profile_interval(f, correction="exact", hidden_offset=math.log(p))
        lo, hi = _brute_force_profile(yo, xo, x0, math.log(p))
        assert pr.low == pytest.approx(lo, rel=1e-5)
        assert pr.high == pytest.approx(hi, rel=1e-5)
        # the Poisson N̂ of the offset model is the sensitivity's N̂(psi)
        assert pr.nhat_poisson == pytest.approx(res.identifying.nhat_at(p), rel=1e-8)


def test_profile_limits_move_with_psi_so_the_ends_give_the_union(strata_data):
    """Sun et al.'s confidence set is the union over psi in the range; the limits increase with psi, so it is
    [lower limit at psi_lo, upper limit at psi_hi] (what the module reports)."""
    res = estimate(strata_data, ci="none")
    ia = _ia(res)
    lows, highs = [], []
    for p in psi_grid(0.5, 2.0, 9):
        pr = profile_interval(res.fit, hidden_offset=math.log(p))
        assert pr.low < res.identifying.nhat_at(p) < pr.high
        lows.append(pr.low)
        highs.append(pr.high)
    assert np.all(np.diff(lows) > 0) and np.all(np.diff(highs) > 0)
    conf = ia.bounds["confidence"]
    assert conf[0] == pytest.approx(min(lows), rel=1e-9) and conf[1] == pytest.approx(max(highs), rel=1e-9)
    assert conf[0] < ia.low < ia.high < conf[1]


# ------------------------------------------------------------------------------------------ known truth
def _population(rng, psi):
    """A population drawn from fixed, untuned settings: 3 or 4 lists, 1 or 2 strata, capture probabilities
    U(0.1, 0.4), two-list interactions N(0, 0.4^2), 1,000-4,000 persons per stratum."""
    k = int(rng.choice([3, 4]))
    s = int(rng.choice([1, 2]))
    cap = rng.uniform(0.1, 0.4, size=(s, k))
    pw = np.triu(rng.normal(0, 0.4, size=(s, k, k)), 1)
    n = rng.integers(1000, 4001, size=s)
    return simulate_kway(n, cap, pairwise=pw, psi=psi, seed=int(rng.integers(2**31)))


def _study(seed: int, n_pop: int, psi_draw):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_pop):
        psi = psi_draw(rng)
        df, n_true = _population(rng, psi)
        res = estimate(df, ci="none")  # the default search picks the model
        ia = _ia(res)
        conf = ia.bounds["confidence"]
        assert conf is not None, ia.bounds
        out.append(dict(psi=psi, n=n_true, nhat=res.nhat, low=ia.low, high=ia.high, clo=conf[0], chi=conf[1]))
    return pd.DataFrame(out)


@pytest.mark.slow
def test_the_range_contains_the_truth_when_the_assumption_is_violated_inside_it():
    # psi drawn log-uniformly inside [1/1.5, 1.5], the range the default [1/2, 2] is meant to cover
    d = _study(20_251, 100, lambda r: float(np.exp(r.uniform(math.log(1 / 1.5), math.log(1.5)))))
    inside = ((d["low"] <= d["n"]) & (d["n"] <= d["high"])).mean()
    assert inside >= 0.90, d
    # psi anywhere in [1/2, 2] (also at the ends): Sun et al.'s confidence bounds contain the truth
    d = _study(20_252, 100, lambda r: float(np.exp(r.uniform(math.log(0.5), math.log(2.0)))))
    assert ((d["clo"] <= d["n"]) & (d["n"] <= d["chi"])).mean() >= 0.90, d
    # the usual N̂ is off by the violation: far from the truth in a good share of these populations
    assert (np.abs(np.log((d["nhat"] - 0) / d["n"])) > 0.1).mean() > 0.2


@pytest.mark.slow
def test_without_violation_the_truth_falls_on_both_sides_of_the_centre():
    d = _study(20_253, 100, lambda r: 1.0)
    above = (d["n"] > d["nhat"]).mean()
    assert 0.3 <= above <= 0.7, above
    assert ((d["low"] <= d["n"]) & (d["n"] <= d["high"])).mean() >= 0.95
    # centred on the log scale: log(D_high / D̂) = -log(D_low / D̂)
    dd = d["nhat"] - (d["nhat"] - d["low"]) * 2  # n = N̂ - 2 (N̂ - low) for psi_lo = 1/2
    np.testing.assert_allclose((d["high"] - dd) * (d["low"] - dd), (d["nhat"] - dd) ** 2, rtol=1e-8)


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("bad,says", [
    ("0,2", "positive"), ("-1,2", "positive"), ((0.5, -2), "positive"), ("2,0.5", "above the upper end"),
    ("1", "two numbers"), ("a,b", "two numbers"), ("1,2,3", "two numbers"), ((math.inf, 2), "finite"),
])
def test_bad_ranges_name_the_option(bad, says):
    with pytest.raises(DataError, match="--assumption-range") as e:
        parse_range(bad)
    assert says in str(e.value)
    with pytest.raises(DataError, match="--assumption-range"):
        estimate("kosovo_1999", ci="none", assumption_range=bad)


def test_off_and_defaults():
    assert parse_range("off") is None and parse_range(None) is None
    assert parse_range("0.5, 2") == (0.5, 2.0)
    res = estimate("kosovo_1999", ci="none", assumption_range="off")
    assert res.identifying is None and res.to_dict()["identifying_assumption"] is None
    with pytest.raises(DataError, match="odd number"):
        psi_grid(0.5, 2, 8)
    g = psi_grid(0.7, 3, 5)  # psi = 1 added to an asymmetric range
    assert 1.0 in g and len(g) == 6


def test_non_loglinear_methods_are_refused():
    from darkfigure.heterogeneity import fit_heterogeneity
    from darkfigure.io import read_histories

    h = read_histories("kosovo_1999")
    het = fit_heterogeneity(h, "Mh-darroch")
    with pytest.raises(DataError, match="--assumption-range.*log-linear"):
        identifying_assumption(het)
    with pytest.raises(DataError, match="log-linear"):
        sensitivity([het])


def test_result_json_and_the_command_line(tmp_path, cli):
    out = cli(["estimate", "kosovo_1999", "--ci", "none", "--assumption-range", "0.5,2", "--out", tmp_path / "run",
               "--report"], code=0, says=["assumption", "N̂ from"])
    html = (tmp_path / "run" / "report.html").read_text()
    sec = html[html.index('<section id="assumption">'):]
    sec = sec[: sec.index("</section>")]
    assert "data:image/png;base64," in sec and 'id="identifying-assumption"' in sec  # the curve and the table
    assert "interval over the whole range" in out  # the bounds (s23: said as an interval over the range)
    d = json.loads((tmp_path / "run" / "result.json").read_text())["identifying_assumption"]
    assert d["range"] == [0.5, 2.0]
    assert d["low"] < d["nhat"] < d["high"]
    assert [g["psi"] for g in d["grid"]][len(d["grid"]) // 2] == 1.0
    assert d["bounds"]["confidence"][0] < d["low"] and d["explanation"].endswith(".")
    assert "parameter" in d
    cli(["estimate", "kosovo_1999", "--ci", "none", "--assumption-range", "2,1"], code=2,
        says="--assumption-range: the lower end 2 is above the upper end 1")
    out = cli(["estimate", "kosovo_1999", "--ci", "none", "--assumption-range", "off"], code=0)
    assert "N̂ from" not in out
