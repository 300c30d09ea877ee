"""A worker process that dies does not lose the run: the rest is computed in the parent (darkfigure._pool).

CI once lost a 1,000-replicate bootstrap to ``BrokenProcessPool`` (a worker ended abruptly on a loaded runner).
Each task carries its own seed, so the parent's results must equal those of an undisturbed run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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


# ----------------------------------------------------------------------------- workers never outlive the run
_CHILD = r"""
import os, sys, time
from darkfigure import _pool

def report_and_sleep(t):
    os.write(1, f"{os.getpid()}\n".encode())  # the worker's pid, in one write (print may write twice)
    time.sleep(t)
    return t

if __name__ == "__main__":
    import multiprocessing as mp
    ctx = mp.get_context(sys.argv[1])
    for _ in _pool.map_ordered(report_and_sleep, [120.0] * 4, 2, mp_context=ctx):
        pass
"""


def _read_pids(proc: subprocess.Popen, n: int, timeout: float = 60.0) -> list[int]:
    """Up to `n` pids, one a line, from `proc`'s stdout, waiting at most `timeout` seconds in all."""
    import selectors

    pids: list[int] = []
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = time.monotonic() + timeout
    while len(pids) < n and time.monotonic() < deadline:
        if not sel.select(timeout=max(deadline - time.monotonic(), 0.0)):
            break
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b"\n")
        for line in lines:
            assert line.strip().isdigit(), f"not a worker's pid: {line!r}"
            pids.append(int(line))
    sel.close()
    return pids


def _gone(pid: int) -> bool:
    """Whether `pid` has ended (a zombie not yet reaped by init counts as ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_workers_end_when_the_run_is_killed(tmp_path, method):
    # tester 9, F3: kill -9 of a run left its pool workers alive, idle, re-parented to init, for ever
    script = tmp_path / "child.py"
    script.write_text(_CHILD)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(_pool.__file__).parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, str(script), method], stdout=subprocess.PIPE, env=env)
    workers: list[int] = []
    try:
        workers = _read_pids(child, 2)
        assert len(workers) == 2 and child.pid not in workers
        assert not any(_gone(w) for w in workers)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 5
        while not all(_gone(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(_gone(w) for w in workers), f"workers {workers} outlived their killed parent"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        for w in workers:  # a failed test leaves no process behind either
            if not _gone(w):
                os.kill(w, signal.SIGKILL)


def test_the_watchdog_ends_a_worker_whose_parent_changed(tmp_path):
    # the portable half (no prctl): the watchdog thread alone ends an orphan within a few checks
    script = tmp_path / "orphan.py"
    script.write_text(
        "import os, sys, time\n"
        "from darkfigure import _pool\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    _pool.sys.platform = 'darwin'  # no prctl: the watchdog alone\n"
        "    _pool._die_with_parent(os.getppid())\n"
        "    os.write(1, f'{os.getpid()}\\n'.encode())\n"
        "    time.sleep(60)\n"
        "    os._exit(0)\n"
        "time.sleep(120)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(_pool.__file__).parents[1]),
                                                        os.environ.get("PYTHONPATH", "")])}
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, env=env)
    orphan = None
    try:
        got = _read_pids(child, 1, timeout=30)
        assert len(got) == 1
        orphan = got[0]
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 5
        while not _gone(orphan) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(orphan)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)
        if orphan is not None and not _gone(orphan):
            os.kill(orphan, signal.SIGKILL)
