"""Bootstrap replicates whose N is not identified are counted as unbounded (N̂* = ∞), also when the batched refit
matches them to a facial set met before (tester report 9, F4: they were "extended" with N̂* ≈ n*, which gave the
Lincoln-Petersen table with overlap 1 the finite interval 85 - 1,696 instead of ~350 - ∞)."""

import numpy as np
import pandas as pd
import pytest
from tests.test_batch_refit import _replicates  # the parametric replicates and a fresh refit job

from darkfigure.io import read_histories
from darkfigure.loglinear.bootstrap import parametric_bootstrap
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.terms import LogLinearModel


def _fit(rows: list[tuple], lists: list[str], terms=()):
    d = pd.DataFrame(rows, columns=[*lists, "count"])
    t = CompleteTable(read_histories(d, lists=lists))
    return t, fit_model(t, LogLinearModel.make(t.variables, list(terms)), check=True)


LP1 = [(1, 0, 40), (0, 1, 30), (1, 1, 1)]  # Lincoln-Petersen, overlap 1: N̂ = 41 * 31 / 1 = 1,271


def test_lp1_replicates_without_overlap_are_unbounded():
    """Independence of two lists identifies N exactly when the overlap is positive: every replicate with overlap 0
    is "not identified", every other one has a finite N̂* (the batch, with its facial-set cache, included)."""
    t, f = _fit(LP1, ["A", "B"])
    assert f.nhat == pytest.approx(1271.0)
    job, ys = _replicates(f, 300, 5)
    out, status = job.batch(ys)
    overlap = ys[:, np.flatnonzero((t.cells["A"] == 1) & (t.cells["B"] == 1))[0]]
    main = np.array([s.split("+")[0] for s in status])
    assert (overlap == 0).sum() > 50  # the cached-face path is exercised many times
    np.testing.assert_array_equal(main == "not identified", overlap == 0)
    assert (~np.isfinite(out[overlap == 0, 0])).all()  # +inf (unbounded stratum) or NaN: both count as N̂* = ∞
    ok = overlap > 0
    assert np.isfinite(out[ok, 0]).all()
    # N̂* = n_A n_B / m of the replicate (the closed form of the independence model)
    n_a = ys[ok][:, np.flatnonzero(t.cells["A"] == 1)].sum(axis=1)
    n_b = ys[ok][:, np.flatnonzero(t.cells["B"] == 1)].sum(axis=1)
    np.testing.assert_allclose(out[ok, 0], n_a * n_b / overlap[ok], rtol=1e-6)


def test_lp1_share_unbounded_matches_the_model_and_interval_is_open():
    """The share of unbounded replicates is P(overlap 0) under the fitted model, (1 - 1/1271)^1271 ≈ e^-1, within
    binomial error; the 95% interval has no finite upper limit, whatever the number of processes."""
    _, f = _fit(LP1, ["A", "B"])
    reps = 600  # more than one chunk of 250: the later chunks start from the first one's cached faces
    r1 = parametric_bootstrap(f, reps=reps, seed=1, progress=False, n_jobs=1)
    size = int(np.floor(round(f.nhat, 1)))
    p0 = (1 - f.fitted[f.table.observable][-1] / f.fitted.sum()) ** size
    assert p0 == pytest.approx(np.exp(-1), abs=1e-3)
    share = r1.status_counts["not identified"] / reps
    assert abs(share - p0) < 4 * np.sqrt(p0 * (1 - p0) / reps), (share, p0)
    assert r1.status_counts["extended"] <= 2  # only an empty A-only or B-only cell gives an extended MLE (rare)
    lo, hi = r1.intervals()[0]
    assert np.isinf(hi) and 71 < lo < f.nhat
    r2 = parametric_bootstrap(f, reps=reps, seed=1, progress=False, n_jobs=2)
    np.testing.assert_array_equal(r1.replicate_status, r2.replicate_status)
    np.testing.assert_array_equal(r1.replicates, r2.replicates)


@pytest.mark.parametrize("rows, terms", [
    ([(1, 0, 0, 5), (0, 1, 0, 3), (0, 0, 1, 4), (1, 1, 0, 1), (1, 0, 1, 0), (0, 1, 1, 0), (1, 1, 1, 0)], []),
    ([(1, 0, 0, 8), (0, 1, 0, 6), (0, 0, 1, 5), (1, 1, 0, 2), (1, 0, 1, 1), (0, 1, 1, 1), (1, 1, 1, 0)],
     [("A", "B")]),
    ([(1, 0, 0, 8), (0, 1, 0, 6), (0, 0, 1, 5), (1, 1, 0, 2), (1, 0, 1, 1), (0, 1, 1, 1), (1, 1, 1, 0)],
     [("A", "B"), ("A", "C")]),
])
def test_sparse_three_lists_batch_agrees_with_the_lp(rows, terms):
    """A sparse 3-list table: the status and N̂* of every batched replicate are those of a fit with the full
    linear-programming existence check of that replicate alone (no cache)."""
    t, f = _fit(rows, ["A", "B", "C"], terms)
    job, ys = _replicates(f, 200, 5)
    out, status = job.batch(ys)
    main = [s.split("+")[0] for s in status]
    assert main.count("not identified") > 20
    for i, y in enumerate(ys):
        y2 = y.copy()
        y2[t.hidden] = 0
        g = fit_model(t, f.model, y=y2, check=True)
        assert main[i] == g.status, (i, main[i], g.status)
        if g.status in ("ok", "extended"):
            assert out[i, 0] == pytest.approx(g.nhat, rel=1e-5)
        else:
            assert not np.isfinite(out[i, 0])  # +inf: the total holds the unbounded unseen cell
