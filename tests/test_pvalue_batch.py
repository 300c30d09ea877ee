"""The lockstep p-value search (loglinear.pvalue_batch) chooses, in every bootstrap replicate, the model and
fit that SparseMSE's search (pvalue_search) chooses in that replicate alone; rows it cannot follow are
handed back and re-selected one by one; the BCa jackknife stays SparseMSE's."""

import numpy as np
import pytest

from darkfigure import datasets
from darkfigure.loglinear.bootstrap import _draw, _population_payload, _prepare, _SelectJob
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.pvalue_batch import poisson_smaller_tail_array, pvalue_search_batch
from darkfigure.loglinear.search import poisson_smaller_tail, pvalue_search
from darkfigure.pipeline.search import ModelSelector


def _replicates(name, reps, seed, conditional):
    t = CompleteTable(datasets.load(name))
    fit = pvalue_search(t).best
    t, gmat, _ = _prepare(fit, reps, 0.95, None)
    cells = np.flatnonzero(t.y > 0)
    n = int(t.y.sum())
    payload = (n, t.y[cells] / n, cells, np.ones(len(cells), dtype=bool)) if conditional else _population_payload(fit, cells)
    ys = np.stack([_draw("nonparametric", payload, np.random.default_rng(s), t.n_cells)
                   for s in np.random.SeedSequence(seed).spawn(reps)])
    return t, gmat, ys


@pytest.mark.parametrize("name, conditional", [
    ("uk_2013", True), ("western_us_2019", False), ("new_orleans_2016_5lists", True), ("artificial_3", False),
])
def test_lockstep_search_equals_one_by_one(name, conditional):
    t, gmat, ys = _replicates(name, 80, 5, conditional)
    fitted, status = pvalue_search_batch(t, ys, pthresh=0.02)
    assert sum(s is not None for s in status) >= 70  # most rows are followed in lockstep
    for i, y in enumerate(ys):
        if status[i] is None:
            continue
        f = pvalue_search(t.with_counts(y), details=False).best
        assert status[i] == f.status, (i, status[i], f.status)
        # N̂ of each stratum; the observable cells as a set (pairs tied by symmetry give permuted fits)
        np.testing.assert_allclose(fitted[i, t.hidden], f.fitted[t.hidden], rtol=1e-8)
        np.testing.assert_allclose(np.sort(fitted[i]), np.sort(f.fitted), rtol=1e-8, atol=1e-8)


def test_select_job_batch_equals_one_by_one_with_fallbacks():
    """Through the bootstrap's job: totals and statuses (with their flags) as one replicate at a time."""
    t, gmat, ys = _replicates("new_orleans_2016", 30, 2, True)  # 8 lists: many rows need the linear programs
    job = _SelectJob(t, ModelSelector("pvalue", "bic", 0.02, None), gmat)
    assert job.batchable
    out, status = job.batch(ys)
    for i, y in enumerate(ys):
        o1, s1 = job(y)
        assert status[i] == s1
        np.testing.assert_allclose(out[i], o1, rtol=1e-8, equal_nan=True)


def test_batch_only_for_the_pairs_search():
    t = CompleteTable(datasets.load("scotland_pwid_2003"))  # covariates: "pvalue" also offers list x covariate
    assert not ModelSelector("pvalue", "bic", 0.02, None).can_batch(t)
    assert ModelSelector("pvalue-pairs", "bic", 0.02, None).can_batch(t)
    assert not ModelSelector("pvalue-pairs", "bic", 1.0, None).can_batch(t)  # all pairs: its own rule
    assert not ModelSelector("cruyff", "bic", 0.02, None).can_batch(t)


def test_poisson_tail_array_equals_scalar():
    obs = np.array([0, 0, 3, 17, 40, 2, 345, 0])
    exp = np.array([0.0, 2.5, 3.0, 4.2, 1e-3, 30.0, 20.0, 800.0])
    want = [poisson_smaller_tail(o, e) for o, e in zip(obs, exp)]
    np.testing.assert_array_equal(poisson_smaller_tail_array(obs, exp), want)
    assert 0 < poisson_smaller_tail_array(obs, exp)[6] < 1e-280  # the far tail on the log scale, not 0
