"""The batched bootstrap gives the same replicates, bit for bit, whether its later chunks run in this process,
in a forked child beside it (loglinear/_fork_chunks.py), or here again after the child failed; and the
sparse deviance of the batched IRLS is the dense one exactly."""

import os

import numpy as np
import pytest

from darkfigure import datasets
from darkfigure.loglinear import _fork_chunks
from darkfigure.loglinear.bootstrap import parametric_bootstrap
from darkfigure.loglinear.design import CompleteTable
from darkfigure.loglinear.fit import fit_model
from darkfigure.loglinear.fit_batch import _deviance_rows, _deviance_sparse, _PositiveCells
from darkfigure.loglinear.terms import LogLinearModel


@pytest.fixture(scope="module")
def uk_fit():
    t = CompleteTable(datasets.load("uk_2013"))
    return fit_model(t, LogLinearModel.make(t.variables, [("PF", "NCA"), ("LA", "NG")]), check=True)


def _boot(fit, monkeypatch, fork: str):
    monkeypatch.setenv("DARKFIGURE_BOOTSTRAP_FORK", fork)
    # 1,000 replicates: chunk 0 here, then three chunks (two in the child when forking)
    return parametric_bootstrap(fit, reps=1000, seed=7, progress=False)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_forked_chunks_give_the_same_replicates(uk_fit, monkeypatch):
    one = _boot(uk_fit, monkeypatch, "0")
    calls = []
    real = _fork_chunks.run_split
    monkeypatch.setattr("darkfigure.loglinear.bootstrap.run_split", lambda *a: calls.append(1) or real(*a))
    two = _boot(uk_fit, monkeypatch, "1")
    assert calls, "the forked path was not taken"
    np.testing.assert_array_equal(one.replicates, two.replicates)
    assert list(one.replicate_status) == list(two.replicate_status)
    np.testing.assert_array_equal(np.asarray(one.intervals()), np.asarray(two.intervals()))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_a_failed_child_is_replaced_here():
    pid = os.getpid()

    def run(t):
        if os.getpid() != pid:  # the child dies: its tasks must be computed here
            raise RuntimeError("child failure")
        return [t] * t

    seen = []
    out = _fork_chunks.run_split(run, [1, 2, 3, 4], seen.append, len)
    assert out == [[1], [2, 2], [3, 3, 3], [4, 4, 4, 4]]
    assert seen == [1, 2, 3, 4]


def test_fork_not_used_when_off_or_too_small(monkeypatch):
    monkeypatch.setenv("DARKFIGURE_BOOTSTRAP_FORK", "0")
    assert not _fork_chunks.fork_worth_it(3, 10.0)
    monkeypatch.setenv("DARKFIGURE_BOOTSTRAP_FORK", "")
    assert not _fork_chunks.fork_worth_it(1, 10.0)  # one chunk left: nothing to share
    assert not _fork_chunks.fork_worth_it(3, 1e-4)  # chunks too short to pay for a fork


def test_sparse_deviance_is_the_dense_one_exactly():
    rng = np.random.default_rng(1)
    y = rng.poisson(0.3, size=(40, 200)).astype(float)
    mu = np.exp(rng.normal(-1.0, 2.0, size=y.shape))
    mu[3, :10] = 1e-300  # cells near the boundary, as extended fits have
    with np.errstate(divide="ignore", invalid="ignore"):
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0)), 0.0)
    pos = _PositiveCells(y, ylogy)
    np.testing.assert_array_equal(_deviance_sparse(mu, pos.of(np.arange(40), 40)), _deviance_rows(y, ylogy, mu))
    rows = np.array([0, 3, 17, 39])  # a subset of rows still iterating
    np.testing.assert_array_equal(_deviance_sparse(mu[rows], pos.of(rows, 40)), _deviance_rows(y[rows], ylogy[rows],
                                                                                               mu[rows]))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this platform")
def test_a_stuck_child_is_killed_and_replaced(monkeypatch):
    import time

    pid = os.getpid()

    def run(t):
        if os.getpid() != pid:
            time.sleep(60)  # stuck (e.g. on a lock another thread held at the fork)
        return t

    monkeypatch.setattr(_fork_chunks, "wait_readable", lambda fd, p, s: _real_wait(fd, p, 0.5))
    assert _fork_chunks.run_split(run, [1, 2, 3], lambda n: None, lambda r: 1) == [1, 2, 3]


_real_wait = _fork_chunks.wait_readable


def test_no_fork_beside_other_threads():
    import threading

    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not _fork_chunks.only_safe_threads()
        assert not _fork_chunks.core_free()
    finally:
        stop.set()
        t.join()
