"""The vectorised refits (fit.irls_poisson_batch, _FixedModelRefit.batch) give what the one-by-one fits give,
and the LP-free zero-margin existence check finds the LP's facial set."""

import numpy as np
import pytest

from darkfigure import datasets
from darkfigure.loglinear.bootstrap import _draw, _fixed_context, _prepare
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.existence import check_existence
from darkfigure.loglinear.fit import _zero_margin_existence, fit_model, irls_poisson, irls_poisson_batch
from darkfigure.loglinear.terms import LogLinearModel


def _replicates(fit, reps, seed):
    t, gmat, _ = _prepare(fit, reps, 0.95, None)
    job = _fixed_context(fit, gmat)
    size = int(np.floor(round(fit.nhat, 1)))
    prob = fit.fitted / fit.fitted.sum()
    ys = np.stack([_draw("parametric", (size, prob), np.random.default_rng(s), job.n_cells)
                   for s in np.random.SeedSequence(seed).spawn(reps)])
    return job, ys


def test_irls_batch_equals_one_by_one():
    t = CompleteTable(datasets.load("uk_2013"))
    f = fit_model(t, LogLinearModel.make(t.variables, [("PF", "NCA"), ("LA", "NG")]), check=True)
    job, ys = _replicates(f, 40, 3)
    y = ys[:, job.cell_index]
    xs = job.x_obs[:, job.used]
    b, mu, dev, conv = irls_poisson_batch(xs, y, job.mu0, tol=1e-10)
    for i in range(len(y)):
        b1, mu1, dev1, _, c1, _ = irls_poisson(xs, y[i], job.mu0, tol=1e-10)
        assert conv[i] == c1
        if c1:
            np.testing.assert_allclose(mu[i], mu1, rtol=1e-7, atol=1e-9)
            assert dev[i] == pytest.approx(dev1, rel=1e-9, abs=1e-9)


@pytest.mark.parametrize("name, terms", [
    ("spina_bifida_ny", [("S2", "S3")]),
    ("uk_2013", [("PF", "NCA"), ("LA", "NG"), ("NG", "GP")]),
])
def test_batched_parametric_refits_equal_one_by_one(name, terms):
    t = CompleteTable(datasets.load(name))
    f = fit_model(t, LogLinearModel.make(t.variables, terms), check=True)
    job, ys = _replicates(f, 120, 11)
    out, status = job.batch(ys)
    job2, _ = _replicates(f, 2, 11)  # a fresh job: no faces cached
    for i, y in enumerate(ys):
        o1, s1 = job2(y)
        assert status[i] == s1, (i, status[i], s1)
        np.testing.assert_allclose(out[i], o1, rtol=1e-6, equal_nan=True)


def test_zero_margin_existence_matches_the_lp():
    t = CompleteTable(datasets.load("uk_2013"))
    lists = t.histories.lists
    obs = t.observable
    seen = 0
    rng = np.random.default_rng(7)
    for _ in range(60):
        y = t.y.copy()
        y[obs] = rng.multinomial(int(t.y.sum()), t.y[obs] / t.y.sum())
        tb = t.with_counts(y)
        for a, b in [(lists[0], lists[5]), (lists[0], lists[4]), (lists[3], lists[5])]:
            m = LogLinearModel.make(t.variables, [(a, b)])
            x = tb.design(m)[obs]
            xh = tb.design(m)[tb.hidden]
            mu = irls_poisson(x, y[obs], tol=1e-8)[1]
            quick = _zero_margin_existence(x, y[obs], xh, mu, tb.column_names(m))
            if quick is None:
                continue
            lp = check_existence(x, y[obs], xh)
            seen += 1
            assert not lp.mle_exists and lp.identified
            np.testing.assert_array_equal(quick.facial_set, lp.facial_set)
            assert list(lp.hidden_state) == list(quick.hidden_state)
    assert seen > 0
