"""Worker processes forked after DuckDB ran in the script survive (tester 13b, M4).

A script without a main guard that linked (``dfg.link``: Splink leaves its DuckDB connection in a reference
cycle) and then estimated printed "a worker process ended abruptly" on every run: the linkage draws' pool uses
``fork`` for such scripts, and the garbage collector finalised the inherited connection in a worker, which
crashed with a segmentation fault. :func:`darkfigure._pool.worker_pool` now collects before forking and freezes
the inherited objects in each forked worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

#: a script in the README's style (no main guard): a dead DuckDB connection in a reference cycle holding a
#: registered pandas frame (as Splink leaves it), then a pool of forked workers that run the garbage collector
SCRIPT = textwrap.dedent("""
    import gc
    import multiprocessing

    import duckdb
    import pandas as pd

    from darkfigure._pool import map_ordered

    class Holder:
        pass

    h = Holder()
    h.me = h
    h.con = duckdb.connect()
    h.con.execute("SET threads = 2")
    frame = pd.DataFrame({"x": range(50000)})
    h.con.register("frame", frame)
    h.con.execute("CREATE TABLE t AS SELECT * FROM frame")
    print(h.con.execute("SELECT sum(x) FROM t").fetchall()[0][0], flush=True)
    del h, frame

    def task(i):
        gc.collect()  # what a long task's allocations do sooner or later
        return i * i

    print(list(map_ordered(task, list(range(4)), 2, what="squares",
                           mp_context=multiprocessing.get_context("fork"))), flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only")
def test_forked_workers_survive_a_dead_duckdb_connection(tmp_path: Path) -> None:
    """The unguarded script's forked workers finish their tasks: no note about a worker that ended abruptly."""
    script = tmp_path / "unguarded.py"
    script.write_text(SCRIPT, encoding="utf-8")
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, env=env,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    assert "[0, 1, 4, 9]" in run.stdout
    assert "ended abruptly" not in run.stderr, run.stderr
