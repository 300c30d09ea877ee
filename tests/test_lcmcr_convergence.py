"""LCMCR whose chains have not converged is no estimate (tester 15b, M3): status "not converged", out of the
headline, "to publish" says not to. Thresholds: bayes.diagnostics.RHAT_FAIL / ESS_FAIL (Vehtari et al. 2021)."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np

import darkfigure as dfg
from darkfigure.bayes import lcmcr as lcmcr_module
from darkfigure.bayes.diagnostics import ESS_FAIL, RHAT_FAIL, ess_bulk, not_converged_reason, rhat
from darkfigure.comparison import compare
from darkfigure.datasets import load


def test_the_rule_flags_chains_that_disagree_or_too_few_draws():
    """Chains around two modes (one chain shifted, as the Netherlands' 50,000 vs 140,000) fail R-hat; 4 x 10
    independent draws fail the ESS limit; 4 x 1,000 independent draws pass."""
    rng = np.random.default_rng(3)
    good = rng.normal(size=(4, 1000))
    two_modes = good + np.array([0.0, 0.0, 0.0, 5.0])[:, None]
    assert not_converged_reason(rhat(good), ess_bulk(good)) is None
    why = not_converged_reason(rhat(two_modes), ess_bulk(two_modes), np.median(two_modes, axis=1))
    assert rhat(two_modes) > RHAT_FAIL and why is not None and "R-hat" in why and "chain medians" in why
    few = rng.normal(size=(4, 10))
    assert ess_bulk(few) < ESS_FAIL and "bulk ESS" in not_converged_reason(rhat(few), ess_bulk(few))
    assert not_converged_reason(float("nan"), 1000.0) is None  # constant draws: nothing to judge


def _disagreeing(monkeypatch):
    """Make compare's LCMCR a short real run whose diagnostics are those of the tester's Netherlands run."""
    real = lcmcr_module.lcmcr

    def fake(h, **kw):
        """The real sampler, short, with R-hat 1.549 and bulk ESS 7 (chain medians 50,729 ... 132,630)."""
        r = real(h, burnin=200, samples=100, thinning=2, chains=4, seed=kw.get("seed"))
        return dataclasses.replace(r, rhat=1.549, ess=7.0, chain_medians=np.array([50729.0, 50374.0, 132630.0, 49597.0]))

    monkeypatch.setattr(lcmcr_module, "lcmcr", fake)


def test_compare_leaves_unconverged_lcmcr_out_of_the_headline(monkeypatch):
    _disagreeing(monkeypatch)
    t = compare(load("kosovo_1999"), ["lcmcr", "Mth-chao", "Mh-darroch"], seed=1)
    row = t.set_index("method").loc["lcmcr"]
    assert row["status"] == "not converged"
    assert math.isnan(row["nhat"]) and math.isfinite(row["nhat_not_identified"])
    assert math.isnan(row["lower"]) and math.isnan(row["upper"])
    assert row["warnings"].startswith("not converged:") and "R-hat 1.549" in row["warnings"]
    assert row["verdict"].startswith("dropped: not converged")
    hl = t.attrs["headline"]
    assert "lcmcr" not in hl["kept"] and "chains not converged" in " ".join(hl["reasons"])


def test_dfg_compare_result_says_not_converged(monkeypatch):
    _disagreeing(monkeypatch)
    c = dfg.compare("kosovo_1999", ["lcmcr"], seed=2, headline=False)
    res = c["lcmcr"]
    assert res.status == "not converged" and math.isnan(res.nhat)
    assert res.warnings[0].startswith("not converged:")


def test_lcmcr_estimator_with_too_few_draws_is_not_converged_and_not_to_publish():
    """A real run of 2 chains x 10 draws (bulk ESS at most 20 < 100): status, warning, result.json and "to publish"
    all say the chains have not converged; the median is kept only as nhat_not_identified."""
    est = dfg.LCMCR(burnin=0, samples=10, thinning=1, chains=2, seed=1).fit(load("kosovo_1999"))
    r = est.result
    assert r.raw.ess < ESS_FAIL and r.status == "not converged"
    assert math.isnan(r.nhat) and math.isfinite(r.nhat_not_identified)
    assert r.warnings[0].startswith("not converged:") and "bulk ESS" in r.warnings[0]
    d = json.loads(json.dumps(r.to_dict(), default=str))
    assert d["status"] == "not converged"
    assert d["to_publish"]["statement"].startswith("Do not publish") and d["to_publish"]["publish_interval"] is False
    assert "to publish: Do not publish" in str(r) and "[not converged]" in str(r)


def test_lcmcr_estimator_with_converged_chains_stays_ok():
    est = dfg.LCMCR(burnin=2000, samples=500, thinning=50, chains=4, seed=1).fit(load("kosovo_1999"))
    r = est.result
    assert r.raw.rhat <= RHAT_FAIL and r.raw.ess >= ESS_FAIL, (r.raw.rhat, r.raw.ess)
    assert r.status == "ok" and math.isfinite(r.nhat) and r.to_publish() is None
