"""A worker process that dies does not lose the run: the rest is computed in the parent (darkfigure._pool).

CI once lost a 1,000-replicate bootstrap to ``BrokenProcessPool`` (a worker ended abruptly on a loaded runner).
Each task carries its own seed, so the parent's results must equal those of an undisturbed run.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from darkfigure import _pool
from darkfigure.loglinear import batch_refit, bootstrap

_PARENT = os.getpid()
_real_run_chunk = batch_refit._run_chunk


def _square_or_die(x):
    # any worker dies on its first task: the pool breaks at once
    if os.getpid() != _PARENT:
        os._exit(1)
    return x * x


def _square(x):
    return x * x


def _run_chunk_or_die(args):
    if os.getpid() != _PARENT:
        os._exit(1)
    return _real_run_chunk(args)


def test_map_ordered_without_failure_keeps_order():
    assert list(_pool.map_ordered(_square, list(range(12)), 2)) == [x * x for x in range(12)]


def test_map_ordered_runs_the_rest_here_when_a_worker_dies(capsys):
    out = list(_pool.map_ordered(_square_or_die, list(range(7)), 2, what="squares"))
    assert out == [x * x for x in range(7)]
    err = capsys.readouterr().err
    assert "worker process ended abruptly" in err and "squares left run in this process" in err


def test_map_ordered_task_errors_are_not_swallowed():
    with pytest.raises(ZeroDivisionError):
        list(_pool.map_ordered(_reciprocal, [1, 0, 2], 2))


def _reciprocal(x):
    return 1 / x


def test_parametric_bootstrap_survives_a_dead_worker(monkeypatch, capsys):
    from darkfigure import datasets
    from darkfigure.loglinear.design import CompleteTable
    from darkfigure.loglinear.fit import fit_model
    from darkfigure.loglinear.terms import LogLinearModel

    t = CompleteTable(datasets.load("spina_bifida_ny"))
    f = fit_model(t, LogLinearModel.make(t.variables, [("S2", "S3")]), check=True)
    # 600 replicates = 3 chunks of 250, so that two workers are used
    ref = bootstrap.parametric_bootstrap(f, reps=600, seed=5, n_jobs=1, progress=False)
    monkeypatch.setattr(bootstrap, "_POOL_MIN_SECONDS", 0.0)  # the workers are used however cheap the chunks
    monkeypatch.setattr(bootstrap, "_run_chunk", _run_chunk_or_die)
    got = bootstrap.parametric_bootstrap(f, reps=600, seed=5, n_jobs=2, progress=False)
    assert "worker process ended abruptly" in capsys.readouterr().err
    np.testing.assert_array_equal(got.replicates, ref.replicates)


def _run_unit_or_die(u):
    from darkfigure.strata.units import run_unit

    if os.getpid() != _PARENT:
        os._exit(1)
    return run_unit(u)


def test_strata_survive_a_dead_worker(monkeypatch, capsys):
    from darkfigure.strata import engines, estimate_strata, simulate_strata

    sim = simulate_strata(3, 2, seed=5)
    ref = estimate_strata(sim.persons, by="region", reps=50, seed=3, n_jobs=1)
    monkeypatch.setattr(engines, "run_unit", _run_unit_or_die)
    got = estimate_strata(sim.persons, by="region", reps=50, seed=3, n_jobs=2)
    assert "worker process ended abruptly" in capsys.readouterr().err
    cols = ["region", "observed", "nhat", "lower", "upper", "status"]
    np.testing.assert_array_equal(got.table[cols].to_numpy(), ref.table[cols].to_numpy())


def test_map_ordered_local_computes_what_the_workers_did_not(capsys):
    # `local` stands in for a worker function that needs state set up by a pool initializer
    out = list(_pool.map_ordered(_square_or_die, [1, 2, 3], 2, local=lambda i: -i))
    assert out == [0, -1, -2]


def test_batched_replicates_do_not_depend_on_the_workers(monkeypatch):
    # every chunk after the first starts from a copy of the job as the first left it, wherever it runs; a worker
    # given the cold job gave other last digits than one process (7e-8 relative on simdat)
    from darkfigure import datasets
    from darkfigure.loglinear.design import CompleteTable
    from darkfigure.loglinear.search import cruyff_search

    t = CompleteTable(datasets.load("cruyff_simdat"), year="Y", year_degree=2)
    best = cruyff_search(t).best
    one = bootstrap.parametric_bootstrap(best, reps=750, seed=1, n_jobs=1, progress=False)
    monkeypatch.setattr(bootstrap, "_POOL_MIN_SECONDS", 0.0)
    two = bootstrap.parametric_bootstrap(best, reps=750, seed=1, n_jobs=2, progress=False)
    np.testing.assert_array_equal(one.replicates, two.replicates)
