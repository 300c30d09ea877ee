"""dga: Bayesian model averaging over decomposable graphs, against R dga 2.0.2 (``bma.cr``)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.special import gammaln

from darkfigure.bayes.dga import DGAResult, _Model, _pattern_counts, decomposable_graphs, dga
from darkfigure.datasets import load, load_r
from darkfigure.histories import CaptureHistories


def _ref(reference):
    return pd.read_csv(reference / "dga.csv")


def _cliques(text: str) -> set[frozenset[int]]:
    return {frozenset(int(v) for v in c.split(",")) for c in re.findall(r"\{([\d,]+)\}", text)}


# ---------------------------------------------------------------------------- graphs
def test_graph_counts_match_dga_graph_lists():
    assert [len(decomposable_graphs(k)) for k in (3, 4, 5)] == [8, 61, 822]


def test_graphs_cliques_and_separators():
    g4 = decomposable_graphs(4)
    edge_sets = {g.edges for g in g4}
    # the three 4-cycles are the only non-chordal graphs on 4 vertices
    for cycle in [((0, 1), (0, 3), (1, 2), (2, 3)), ((0, 1), (0, 2), (1, 3), (2, 3)), ((0, 2), (0, 3), (1, 2), (1, 3))]:
        assert cycle not in edge_sets
    for k in (3, 4, 5):
        for g in decomposable_graphs(k):
            # cliques cover every vertex; the number of non-empty separators is #cliques - #components
            assert set().union(*map(set, g.cliques)) == set(range(k))
            adj = {v: set() for v in range(k)}
            for a, b in g.edges:
                adj[a].add(b)
                adj[b].add(a)
            seen, comps = set(), 0
            for v in range(k):
                if v not in seen:
                    comps += 1
                    stack = [v]
                    while stack:
                        u = stack.pop()
                        if u not in seen:
                            seen.add(u)
                            stack.extend(adj[u])
            assert len(g.separators) == len(g.cliques) - comps
    path = next(g for g in decomposable_graphs(3) if g.edges == ((0, 1), (1, 2)))
    assert set(path.cliques) == {(0, 1), (1, 2)} and path.separators == ((1,),)
    assert path.label() in ("{1,2}{2,3}", "{2,3}{1,2}")
    assert decomposable_graphs(3)[0].label(["A", "B", "C"]) == "{A}{B}{C}"
    with pytest.raises(ValueError, match="between 1 and 6"):
        decomposable_graphs(7)


def test_log_weights_from_first_principles():
    """Saturated graph = Dirichlet-multinomial on the full table; independence = product of beta-binomials."""
    h = load("dga_example_3list")
    y = _pattern_counts(h)
    n, delta, k = y.sum(), 0.3, 3
    model = _Model(y, k, delta, lambda N: -np.log(N))
    nm = np.array([0, 5, 100, 1000])
    graphs = decomposable_graphs(k)
    sat = next(i for i, g in enumerate(graphs) if len(g.edges) == 3)
    ind = next(i for i, g in enumerate(graphs) if not g.edges)
    rows = model.graph_rows(np.array([sat, ind]), nm, np.ones(4))
    N = nm + n
    common = gammaln(N + 1) - gammaln(y[1:] + 1).sum() - gammaln(nm + 1) - np.log(N)
    alpha = delta * 2**k
    full = np.vstack([np.full(4, y[c]) for c in range(1, 8)])
    ml_sat = (
        gammaln(alpha) - gammaln(N + alpha) + gammaln(nm + delta) + gammaln(full + delta).sum(0) - 8 * gammaln(delta)
    )
    ml_ind = 0.0
    for j in range(k):
        on = sum(y[c] for c in range(8) if c >> j & 1)
        a = delta * 4
        ml_ind = ml_ind + gammaln(2 * a) - gammaln(N + 2 * a) + gammaln(on + a) + gammaln(N - on + a) - 2 * gammaln(a)
    np.testing.assert_allclose(rows[0], ml_sat + common, rtol=1e-12)
    np.testing.assert_allclose(rows[1], ml_ind + common, rtol=1e-12)


# ---------------------------------------------------------------------------- reference
REF_ROWS = [
    "Artificial_3",
    "UKdat_5",
    "Ned_5",
    "NewOrl_5",
    "Western",
    "HIV",
    "lesbian",
    "kosovo_aggregate",
    "dga_example_5list",
    "dga_example_3list",
    "spina_collapsed",
    "ScotPWID_collapsed",
]


@pytest.mark.parametrize("r_name", REF_ROWS)
def test_reference_default_priors(reference, r_name):
    """Median, 95% interval, mean, grid, edge mass and top graph equal dga's on the reference grid."""
    ref = _ref(reference)
    row = ref[(ref.dataset == r_name) & ~ref.settings.str.contains("doc")].iloc[0]
    res = dga(load_r(r_name))
    assert isinstance(res, DGAResult)
    # the grid the reference runs ended with: 0..limit, step 1 up to 19999 / 499999, then a coarse step
    m = re.search(r"Nmissing=0\.\.(\d+) step 1(?: up to \d+, then (\d+))?", row.settings)
    assert res.grid_limit == int(m.group(1))
    assert res.grid_step == int(m.group(2) or 1)
    # quantiles are grid values: identical
    assert (res.median, res.ci_low, res.ci_high) == (row.estimate, row.ci_low, row.ci_high)
    info = row.model_chosen
    assert res.mean == pytest.approx(float(re.search(r"posterior mean=([\d.]+)", info).group(1)), abs=0.051)
    ref_top = re.search(r"cliques ((?:\{[\d,]+\})+)\) post\.prob=([\d.]+)", info)
    assert _cliques(res.graphs["dga_cliques"].iloc[0]) == _cliques(ref_top.group(1))
    assert res.graphs["weight"].iloc[0] == pytest.approx(float(ref_top.group(2)), abs=5e-4)
    edge = float(re.search(r"top 1% of grid=([\d.e+-]+)", info).group(1))
    assert res.edge_mass == pytest.approx(edge, rel=0.05)
    assert res.graph_weights.sum() == pytest.approx(1.0) and res.probabilities.sum() == pytest.approx(1.0)
    assert not any("top 1%" in w for w in res.warnings)


def test_man_page_examples(reference):
    """The two bma.cr man-page examples (Nmissing = 1:300): 5 lists delta 0.5; 3 lists, negative binomial prior."""
    ref = _ref(reference)
    doc = ref[ref.settings.str.startswith("doc example")].set_index("dataset")

    r5 = dga(load("dga_example_5list"), delta=0.5, nmissing=np.arange(1, 301))
    row = doc.loc["dga_example_5list"]
    assert (r5.median, r5.ci_low, r5.ci_high) == (row.estimate, row.ci_low, row.ci_high)
    assert r5.mean == pytest.approx(617.8, abs=0.051)
    assert _cliques(r5.graphs["dga_cliques"].iloc[0]) == _cliques("{1,2}{1,3}{2,4}{4,5}")
    assert r5.graphs["weight"].iloc[0] == pytest.approx(0.217, abs=5e-4)
    assert r5.edge_mass == pytest.approx(9.7e-8, rel=0.05)

    a, b = 13.14, 55.17

    def negbin(N):
        return N * np.log(b) - (N + a) * np.log(1 + b) + gammaln(N + a) - gammaln(N + 1) - gammaln(a)

    r3 = dga(load("dga_example_3list"), delta=1, prior=negbin, nmissing=np.arange(1, 301))
    row = doc.loc["dga_example_3list"]
    assert (r3.median, r3.ci_low, r3.ci_high) == (row.estimate, row.ci_low, row.ci_high)
    assert r3.mean == pytest.approx(733.5, abs=0.051)
    assert r3.prior == "custom"
    assert r3.graphs["dga_cliques"].iloc[0] == "{1,2}{3}"
    assert r3.graphs["weight"].iloc[0] == pytest.approx(0.374, abs=5e-4)
    # 5.2e-5 of the mass in the top 1% of 1:300: the user grid is too narrow and we say so
    assert r3.edge_mass == pytest.approx(5.2e-5, rel=0.05)
    assert any("top 1%" in w and "widen nmissing" in w for w in r3.warnings)


def test_doc_delta_wide_grid_equals_narrow(reference):
    ref = _ref(reference)
    row = ref[ref.settings.str.startswith("doc delta, wide grid")].iloc[0]
    res = dga(load("dga_example_5list"), delta=0.5)
    assert (res.median, res.ci_low, res.ci_high) == (row.estimate, row.ci_low, row.ci_high)
    assert res.grid_limit == 10740


# ---------------------------------------------------------------------------- behaviour
def test_point_mass_at_observed_is_flagged():
    res = dga(load("artificial_3"))
    assert res.probabilities[0] == pytest.approx(0.155, abs=5e-4)  # RESULTS.md: P(N = 96) = 0.155
    assert res.ci_low == res.n_observed == 96
    assert any("nobody was missed" in w for w in res.warnings)


def test_grid_that_cannot_widen_enough_warns():
    res = dga(load("artificial_3"), max_nmissing=50_000)
    assert res.grid_limit == 32_000 and res.edge_mass > 1e-6
    assert any("top 1%" in w and "stopped" in w for w in res.warnings)


def test_covariates_are_summed_with_a_warning():
    res = dga(load("spina_bifida_ny"))
    ref = dga(load_r("spina_collapsed"))
    assert (res.median, res.ci_low, res.ci_high) == (ref.median, ref.ci_low, ref.ci_high)
    assert any("summed over" in w for w in res.warnings) and not ref.warnings


def test_result_helpers():
    res = dga(load("dga_example_3list"))
    assert res.k == 3 and res.lists == ("A", "B", "C")
    assert res.interval == (res.ci_low, res.ci_high)
    assert res.quantile(0.5) == res.median
    np.testing.assert_array_equal(res.quantile(np.array([0.025, 0.975])), [res.ci_low, res.ci_high])
    assert res.N[0] == res.n_observed + res.nmissing[0]
    s = res.summary()
    assert list(s.columns[:5]) == ["method", "nhat", "lower", "upper", "interval"] and s.nhat[0] == 731
    assert "731" in str(res) and "{A,B}{C}" in str(res)
    assert list(res.graphs.columns) == ["rank", "index", "cliques", "dga_cliques", "weight", "median", "mean"]
    assert len(res.graphs) == 8 and res.graphs.weight.is_monotonic_decreasing
    with pytest.raises(ValueError, match="quantile"):
        res.quantile(1.5)


def test_uniform_prior_and_delta():
    h = load("dga_example_3list")
    base = dga(h)
    assert base.delta == 0.125 and base.prior == "1/N"
    flat = dga(h, delta=1.0, prior="uniform")
    assert flat.delta == 1.0 and flat.prior == "uniform" and flat.mean > 733.5 and not flat.warnings
    # a flat prior with small delta: the saturated graph's posterior of N is improper; flagged, not hidden
    improper = dga(h, prior="uniform", max_nmissing=1e7)
    assert improper.grid_limit > 1e6
    assert any("may be improper" in w for w in improper.warnings)


def test_simulated_independent_lists_cover_the_truth():
    """Independent lists with known N: the 95% interval covers N in nearly every replicate."""
    rng = np.random.default_rng(20240611)
    truth, p = 1500, np.array([0.15, 0.2, 0.25, 0.3])
    covered = 0
    reps = 20
    for _ in range(reps):
        caught = rng.random((truth, 4)) < p
        seen = caught[caught.any(axis=1)].astype(int)
        table = pd.DataFrame(seen, columns=list("ABCD")).value_counts().rename("count").reset_index()
        res = dga(CaptureHistories.from_table(table))
        covered += res.ci_low <= truth <= res.ci_high
        assert res.ci_low < res.median < res.ci_high
    assert covered >= 17


# ---------------------------------------------------------------------------- bad input
def test_bad_inputs():
    h = load("dga_example_3list")
    with pytest.raises(ValueError, match="3 to 5 lists; these data have 6 lists"):
        dga(load("uk_2013"))
    with pytest.raises(ValueError, match="3 to 5 lists; these data have 8 lists.*LCMCR"):
        dga(load("new_orleans_2016"))
    with pytest.raises(ValueError, match="3 to 5 lists; these data have 2"):
        dga(h.drop_lists(["C"]))
    with pytest.raises(TypeError, match="CaptureHistories"):
        dga(pd.DataFrame({"A": [1], "B": [0], "C": [1], "count": [3]}))
    for bad in (0, -1.0, np.nan, "x"):
        with pytest.raises(ValueError, match="delta"):
            dga(h, delta=bad)
    with pytest.raises(ValueError, match="prior"):
        dga(h, prior="jeffreys")
    with pytest.raises(ValueError, match="prior returned shape"):
        dga(h, prior=lambda N: 0.0)
    with pytest.raises(ValueError, match="non-empty"):
        dga(h, nmissing=[])
    with pytest.raises(ValueError, match=">= 0"):
        dga(h, nmissing=[-1, 0, 1])
    with pytest.raises(ValueError, match="whole numbers"):
        dga(h, nmissing=[0.5, 1])
    with pytest.raises(ValueError, match="increasing"):
        dga(h, nmissing=[3, 2, 1])
    with pytest.raises(ValueError, match="level"):
        dga(h, level=1.0)
    with pytest.raises(ValueError, match="zero on the whole grid"):
        dga(h, prior=lambda N: np.full(N.shape, -np.inf))


# ---------------------------------------------------------------------------- speed paths (same numbers)
def test_shipped_graphs_equal_the_enumeration():
    """The graph lists shipped in bayes/_dga_graphs.py are the enumeration's (scripts/dga_graphs.py)."""
    from darkfigure.bayes.dga import _enumerate_graphs

    for k in (3, 4, 5):
        assert decomposable_graphs(k) == _enumerate_graphs(k)


@pytest.mark.parametrize("nm", [np.arange(0, 900), np.arange(50, 51), 700 + 3 * np.arange(400), 10 + 97 * np.arange(50)])
def test_components_equal_scipy_log_gamma(nm):
    """The per-subset log terms (log Gamma by Stirling's series or math.lgamma) equal SciPy's gammaln."""
    h = load("dga_example_5list")
    y = _pattern_counts(h)
    model = _Model(y, 5, 2.0**-5, lambda N: -np.log(N))
    direct = np.vstack([
        gammaln(model.alpha) - gammaln(nm + model.n + model.alpha),
        model.const[1:, None] + gammaln(nm[None, :] + model.zero_cell[1:, None] + model.delta_a[1:, None]),
    ])
    np.testing.assert_allclose(model.components(nm), direct, rtol=1e-14, atol=1e-12)
    rows = np.zeros(32, dtype=bool)
    rows[[0, 3, 7, 31]] = True
    np.testing.assert_allclose(model.components(nm, rows)[rows], direct[rows], rtol=1e-14, atol=1e-12)
    assert not model.components(nm, rows)[~rows].any()


def test_log_gamma_against_scipy():
    """Stirling's series (x >= 20) and math.lgamma (below) against SciPy: relative error near rounding."""
    from darkfigure.bayes._dga_core import lgamma

    x = np.concatenate([np.linspace(1 / 32, 25, 2001), np.geomspace(19.5, 1e9, 5001), [20.0, 20.0 + 1e-9]])
    np.testing.assert_allclose(lgamma(x), gammaln(x), rtol=4e-15, atol=2e-15)


@pytest.mark.parametrize("name, prior, delta", [("UKdat_5", "1/N", None), ("Ned_5", "1/N", None), ("lesbian", "1/N", None),
                                                ("dga_example_3list", "uniform", 1.0), ("ScotPWID_collapsed", "1/N", 0.5)])
def test_interpolated_posterior_equals_graph_by_graph_sum(name, prior, delta):
    """The posterior interpolated from Chebyshev nodes equals the sum over every graph at every grid point
    (to ~1e-9 of its maximum: rounding of log Gamma near 1e6), with the same quantiles and graph weights."""
    from darkfigure.bayes import _dga_core as core

    h = load_r(name).collapse()
    res = dga(h, prior=prior, delta=delta)
    log_prior, _ = core.log_prior_fn(prior)
    model = _Model(_pattern_counts(h), h.k, res.delta, log_prior)  # not smooth: every point evaluated
    pn, pg, plan = core.evaluate(model, res.nmissing, res.widths)
    assert plan.exact.shape[0] == res.nmissing.shape[0] and not plan.blocks
    prob = np.exp(pn - core.logsumexp(pn))
    np.testing.assert_allclose(res.probabilities, prob, rtol=0, atol=5e-9 * prob.max())
    cdf = np.cumsum(prob)
    N = res.N
    assert (res.ci_low, res.median, res.ci_high) == tuple(core.quantile(N, cdf, [0.025, 0.5, 0.975]))
    np.testing.assert_allclose(res.graph_weights, np.exp(pg - core.logsumexp(pg)), rtol=0, atol=1e-9)
    assert res.mean == pytest.approx(float(N @ prob), rel=1e-10)


def test_interpolated_posterior_on_simulated_tables():
    """Simulated tables (two latent classes: dependent lists), small to large n, sharp posteriors included:
    the interpolated posterior (with its refinement of rough blocks) equals the graph-by-graph sum at every grid
    point to ~1e-9 of its maximum, with the same quantiles. (The block rule was tuned on the reference tables.)"""
    from darkfigure.bayes import _dga_core as core

    rng = np.random.default_rng(20261205)
    for k, truth in [(5, 30_000), (4, 30_000), (3, 30_000), (5, 5_000), (4, 1_000), (3, 200)]:
        p = rng.uniform(0.05, 0.4, size=(2, k))
        cls = rng.random(truth) < 0.5
        caught = rng.random((truth, k)) < np.where(cls[:, None], p[0], p[1])
        codes = caught @ (1 << np.arange(k))
        y = np.bincount(codes[codes > 0], minlength=2**k).astype(float)
        log_prior = core.log_prior_fn("1/N")[0]
        fast = core.posterior(core.Model(y, k, 2.0**-k, log_prior, smooth=True), None, level=0.95, n_top=1,
                              tail_tol=1e-6, max_points=core.MAX_POINTS[k], max_nmissing=1e9)
        pn, _, plan = core.evaluate(core.Model(y, k, 2.0**-k, log_prior), fast.nm, fast.widths)
        assert not plan.blocks
        prob = np.exp(pn - core.logsumexp(pn))
        np.testing.assert_allclose(fast.prob, prob, rtol=0, atol=5e-9 * prob.max())
        N = y.sum() + fast.nm
        assert (fast.lo, fast.median, fast.hi) == tuple(core.quantile(N, np.cumsum(prob), [0.025, 0.5, 0.975]))


# ---------------------------------------------------------------- identifiability (tester report 6, H1/H2)
def test_identifiability_rule_is_the_documented_one():
    """The 50-times threshold is the headline's rule 2 (docs/headline_rules.md), kept in step by hand because
    the lean path must not import pandas."""
    from darkfigure.bayes import _dga_core as core
    from darkfigure.evidence import BARELY_IDENTIFIED

    assert core.BARELY_IDENTIFIED == BARELY_IDENTIFIED
    assert core.unidentified_reason(100, 5_000, False) is None
    assert "51 times the 100 persons" in core.unidentified_reason(100, 5_100, False)
    assert "does not vanish" in core.unidentified_reason(100, 300, True)
    assert core.unidentified_reason(100, np.inf, False) is not None


def test_not_identified_posterior_gives_no_nhat_anywhere():
    """artificial_3 (upper limit 5,277 for 96 observed) and a posterior truncated where its grid had to stop:
    DGAResult, the result protocol, dfg.DGA, dfg.estimate(method='dga') and compare's row agree."""
    import darkfigure as dfg
    from darkfigure.comparison import compare
    from darkfigure.results import from_dga

    wide = dga(load("artificial_3"))
    assert not wide.identified and "5,277" in wide.unidentified and "55 times the 96" in wide.unidentified
    truncated = dga(load("artificial_3"), max_nmissing=50_000)
    assert not truncated.identified and "does not vanish" in truncated.unidentified
    for r in (wide, truncated):
        p = from_dga(r)
        assert p.status == "not identified" and np.isnan(p.nhat) and np.isnan(p.confidence_interval.high)
        assert p.warnings[0].startswith("N is not identified by these data")
        s = r.summary()
        assert np.isnan(s.nhat[0]) and s.status[0] == "not identified"
        assert f"{r.median:,.0f}" not in str(r) and "not identified" in str(r)
    assert dga(load("kosovo_1999")).identified
    m = dfg.DGA().fit("artificial_3")
    assert m.result_.status == "not identified" and np.isnan(m.nhat)
    api = dfg.estimate("artificial_3", method="dga")
    assert api.status == "not identified" and np.isnan(api.nhat)
    row = compare(load("artificial_3"), ["dga"]).iloc[0]
    assert row["status"] == "not identified" and np.isnan(row["nhat"]) and np.isnan(row["upper"])
    assert "55 times the 96" in row["warnings"]


def test_estimate_api_takes_method_dga():
    import darkfigure as dfg

    r = dfg.estimate("kosovo_1999", method="dga", level=0.9, seed=1)
    ref = dga(load("kosovo_1999"), level=0.9)
    assert r.method == "dga" and r.status == "ok"
    assert (r.nhat, r.confidence_interval.low, r.confidence_interval.high) == (ref.median, ref.ci_low, ref.ci_high)
    with pytest.raises(TypeError, match=r"dfg\.DGA"):
        dfg.estimate("kosovo_1999", method="dga", ci="profile")
    # the keywords the default method takes for running, accepted so a loop over methods needs no special case
    same = dfg.estimate("kosovo_1999", method="dga", level=0.9, seed=1, n_jobs=2, progress=False)
    assert (same.nhat, same.confidence_interval.low) == (r.nhat, r.confidence_interval.low)
    with pytest.raises(ValueError, match="method must be 'loglinear' or 'dga'"):
        dfg.estimate("kosovo_1999", method="lcmcr")


def test_write_files(tmp_path):
    import json

    res = dga(load("dga_example_3list"))
    files = res.write(tmp_path, name="ex")
    assert sorted(f.name for f in files) == ["estimates.csv", "graphs.csv", "posterior.csv", "result.json"]
    info = json.loads((tmp_path / "result.json").read_text())
    assert info["nhat"] == 731 and info["status"] == "ok" and info["data"] == "ex"
    est = pd.read_csv(tmp_path / "estimates.csv")
    assert est.loc[0, "nhat"] == 731 and est.loc[0, "observed"] == res.n_observed
