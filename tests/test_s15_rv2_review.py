"""Review of 2026-12-06 (s15-rv2): the date-conflict check answers the same when its count is memoized, strata's
LCMCR leaves non-converged strata unestimated, and mixed's split branch is the bias correction.

Synthetic data only.
"""

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from darkfigure.linkage import date_conflicts as dc


def _prep(seed: int = 1, n: int = 4000):
    """Registrations with half the surnames one common name and one found person per written name, then only the
    common names' registrations kept together (the rare-name pairs all apart)."""
    rng = np.random.default_rng(seed)
    fn = rng.choice([f"f{i}" for i in range(40)], n)
    sn = np.where(rng.random(n) < 0.5, "common", np.array([f"s{i}" for i in rng.integers(0, 3000, n)]))
    prep = pd.DataFrame({"fn": fn, "sn": sn, "sex": "m", "nat": "x",
                         "dob_day": rng.integers(0, 20000, n).astype(float), "org": rng.integers(0, 3, n)})
    labels = pd.factorize(pd.Series(fn) + "|" + pd.Series(sn))[0]
    return prep, np.where(sn == "common", labels, 10 ** 6 + np.arange(n))


def test_date_conflict_check_same_answer_when_the_count_is_memoized():
    prep, labels = _prep()
    dc._FRAMES.clear()
    dc._MEMO.clear()
    first = dc.date_conflict_check(prep, labels, 0.01, dc.conflict_counts(prep))
    assert first["observed"] > 0 and first["apart"] > 0  # the case under test: rare-name pairs left apart
    second = dc.date_conflict_check(prep, labels, 0.01, dc.conflict_counts(prep))  # memo hit, frame rebuilt
    assert (second["observed"], second["apart"]) == (first["observed"], first["apart"])
    assert (second["warning"] is None) == (first["warning"] is None)
    third = dc.date_conflict_check(prep, labels, 0.01)  # counts computed inside
    assert third["apart"] == first["apart"]


# ----------------------------------------------------------------------------- strata --method lcmcr
def _unit():
    from darkfigure.strata.units import Unit

    cells = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]], np.int8)
    counts = np.array([120, 110, 130, 40, 45, 38, 15], np.int64)
    return Unit(0, 0, ("A", "B", "C"), cells, counts, "lcmcr",
                {"burnin": 10, "samples": 10, "thinning": 1, "chains": 2, "min_observed": 1, "max_ratio": 100.0},
                7, "k")


@pytest.mark.parametrize("why", [None, "the sampler's chains have not converged: bulk ESS 40 < 100 effective draws"])
def test_strata_lcmcr_does_not_publish_non_converged_strata(monkeypatch, why):
    from darkfigure.bayes import lcmcr
    from darkfigure.strata.units import run_unit

    draws = np.random.default_rng(0).normal(800.0, 20.0, (2, 50))

    def fake(*args, **kwargs):
        """An LCMCR result with fixed draws and the convergence verdict under test (no sampler run)."""
        return SimpleNamespace(warnings=[], ci_high=float(draws.max()), median=float(np.median(draws)), draws=draws,
                               not_converged=why)

    monkeypatch.setattr(lcmcr, "lcmcr_patterns", fake)
    out = run_unit(_unit())
    if why is None:
        assert out["status"] == "estimated" and out["nhat"] == pytest.approx(np.median(draws), rel=1e-9)
    else:
        assert out["status"] == "not estimable" and out["nhat"] is None and out["draws"] is None
        assert out["reason"] == f"not converged: {why}"


# ----------------------------------------------------------------------------- mixed: the split branch
@dataclass
class _Est:
    """What mixed_uncertainty reads of a linkage estimate."""

    estimates: pd.DataFrame
    nhat_as_linked: float
    nhat_corrected: float
    correction: str
    seconds: float = 0.0
    notes: list = field(default_factory=list)


def test_mixed_split_branch_is_the_bias_correction_even_when_the_split_mean_is_below_as_linked(monkeypatch):
    from darkfigure.linkage.mixed_rule import mixed_uncertainty

    a, m_merged, m_split = 1000.0, 1010.0, 990.0  # merged mean above A; the split draws' mean (noise) below it

    def uncertainty(run, refit, correction, **kw):
        """correction_shift's rules on the total, the draws' mean by which draws (split or merged) are made."""
        m = m_split if "split" in run.unblocked.columns else m_merged
        nc = {"toward": min(m, a), "mixed": m if m < a else 2 * a - m, "bias": 2 * a - m}[correction]
        e = pd.DataFrame({"group": ["total"], "level": [""], "observed": [500], "nhat_as_linked": [a],
                          "nhat_mean_draws": [m]})
        return _Est(e, a, nc, correction)

    run = SimpleNamespace(unblocked=pd.DataFrame({"unblocked_matches": [3.0]}))

    def for_split(r):
        """as unblocked.for_bias_correction: the copy marked to split."""
        return SimpleNamespace(unblocked=r.unblocked.assign(split=True))

    import darkfigure.linkage.unblocked as ub

    monkeypatch.setattr(ub, "for_bias_correction", for_split)
    got = mixed_uncertainty(uncertainty, run, None, seed=1)
    assert got.correction == "mixed"
    assert got.nhat_corrected == pytest.approx(2 * a - m_split, rel=1e-12)  # the bias correction, as the note says
    assert any("N̂ corrected is the bias correction" in n for n in got.notes)
