"""Engines that run units: worker processes on this machine, or Spark tasks.

Both call :func:`darkfigure.strata.units.run_unit` on the same units with the same seeds, and
hand every result back to the driver as soon as it is done (the driver writes it to the cache
at once, so a killed run loses at most the units in flight). Results do not depend on the
engine nor on the number of workers.
"""

from __future__ import annotations

import os
import pickle
import sys
import time
import warnings
from collections.abc import Callable, Sequence

from .units import Unit, run_unit

__all__ = ["ENGINES", "run_local", "run_spark", "Progress"]

ENGINES = ("local", "spark")


class Progress:
    """Strata done / total and the expected time left, on one line of a terminal (silent otherwise).

    Parameters
    ----------
    total_strata : int
        Strata in the run.
    units_per_stratum : dict int -> int
        Units still to compute per stratum (replicates); a stratum is done when all its units are.
    cached : int
        Strata found complete in the cache (counted as done from the start).
    show : bool
        Show at all (it is shown only when standard error is a terminal).
    """

    def __init__(self, total_strata: int, units_per_stratum: dict, cached: int, show: bool = True) -> None:
        self.total, self.left = total_strata, dict(units_per_stratum)
        self.done = cached
        self.units_total = sum(self.left.values())
        self.units_done = 0
        self.show = show and sys.stderr.isatty()
        self.t0 = time.perf_counter()
        self._last = 0.0
        self._draw(force=True)

    def advance(self, stratum: int) -> None:
        """One unit of `stratum` finished."""
        self.units_done += 1
        self.left[stratum] -= 1
        if self.left[stratum] == 0:
            self.done += 1
        self._draw()

    def _draw(self, force: bool = False) -> None:
        if not self.show:
            return
        now = time.perf_counter()
        if not force and now - self._last < 0.5 and self.units_done < self.units_total:
            return
        self._last = now
        el = now - self.t0
        if self.units_done:
            left = el / self.units_done * (self.units_total - self.units_done)
            eta = f"{int(left // 60)}m{int(left % 60):02d}s left"
        else:
            eta = "time left: measuring"
        sys.stderr.write(f"\rstrata {self.done:,}/{self.total:,} done, {eta}   ")
        sys.stderr.flush()

    def close(self) -> None:
        """End the line."""
        if self.show:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _run_chunk(units: Sequence[Unit]) -> list[dict]:
    """:func:`run_unit` of each of `units`, in order (one worker task)."""
    return [run_unit(u) for u in units]


def _chunk_size(n_units: int, n_jobs: int) -> int:
    """Units per worker task: about 8 tasks per worker, at most 4 units a task (1 for 16 units or fewer a worker).

    A task of one fast stratum (~20 ms of LCMCR) pays its process round trip each time; a few per task share
    it, while enough tasks remain for the workers to finish together and a killed run to lose little.
    """
    return max(1, min(4, n_units // (8 * n_jobs)))


def run_local(units: Sequence[Unit], on_result: Callable[[Unit, dict], None], n_jobs: int = 1) -> None:
    """Run `units` in `n_jobs` worker processes (1: in this process), calling ``on_result(unit, result)``
    in the driver as each finishes (in completion order; with many units, a few at a time: :func:`_chunk_size`)."""
    if n_jobs <= 1 or len(units) <= 1:
        for u in units:
            on_result(u, run_unit(u))
        return
    import multiprocessing as mp
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from .._pool import note_broken_pool, worker_pool

    # fork is cheap and shares the imported modules; spawn where fork is unavailable
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    if ctx.get_start_method() == "fork" and any(u.method == "lcmcr" for u in units):
        from ..bayes.lcmcr import warm_up

        warm_up()  # load the compiled sampler once; the forked workers inherit it
    pool = worker_pool(n_jobs, mp_context=ctx)  # its workers end when this process dies (kill -9: tester 9, F3)
    delivered: set[int] = set()
    size = _chunk_size(len(units), n_jobs)
    try:
        # consecutive units per task: the caller sorts them largest first, so a task's units take alike
        futures = {pool.submit(_run_chunk, units[i : i + size]): i for i in range(0, len(units), size)}
        for f in as_completed(futures):
            start = futures[f]
            for i, res in enumerate(f.result(), start):
                on_result(units[i], res)
                delivered.add(i)
    except BrokenProcessPool:
        # a worker killed (out of memory, a signal): the units not yet returned run here; each has its own seed,
        # so the results are those the workers would have given (see darkfigure._pool)
        pool.shutdown(wait=False, cancel_futures=True)
        left = [i for i in range(len(units)) if i not in delivered]
        note_broken_pool(len(left), "unit(s)")
        for i in left:
            on_result(units[i], run_unit(units[i]))
        return
    except BaseException:
        # Ctrl-C or an error: drop the queued units at once (what is done is in the cache already)
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _spark_apply(pdf):  # pragma: no cover - runs inside a Spark Python worker
    import pickle as _p

    import pandas as pd

    from darkfigure.strata.units import run_unit as _run

    out = []
    for i, payload in zip(pdf["i"], pdf["payload"], strict=True):
        out.append({"i": int(i), "result": _p.dumps(_run(_p.loads(payload)))})
    return pd.DataFrame(out, columns=["i", "result"])


def run_spark(units: Sequence[Unit], on_result: Callable[[Unit, dict], None], n_jobs: int = 2, spark=None) -> None:
    """Run `units` as Spark tasks: one group per unit of ``groupBy("i").applyInPandas``.

    Parameters
    ----------
    units, on_result
        As :func:`run_local`; results stream back with ``toLocalIterator``.
    n_jobs : int
        Cores of the local session (``local[n_jobs]``) when `spark` is None.
    spark : SparkSession, optional
        A session (e.g. on a cluster, with darkfigure installed on the workers); default the
        linkage's local session (:func:`darkfigure.linkage.link.spark_session`).

    Raises
    ------
    RuntimeError
        No Java runtime or PySpark.
    """
    if not units:
        return
    import pandas as pd

    if spark is None:
        # the Python workers must run this interpreter with this darkfigure on their path
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        from ..linkage.link import spark_session

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # PySpark's note on pandas versions
            spark = spark_session(cores=max(int(n_jobs), 1), partitions=max(2 * int(n_jobs), 2))
    cores = max(int(n_jobs), 1)
    # batches of Spark jobs: within a batch the tasks run in parallel; after each batch its results reach the
    # driver (and the cache), so a killed run loses one batch at most
    batch = max(8 * cores, len(units) // 20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # PySpark's note on pandas versions, once per call
        for start in range(0, len(units), batch):
            chunk = range(start, min(start + batch, len(units)))
            pdf = pd.DataFrame({"i": list(chunk), "payload": [pickle.dumps(units[i]) for i in chunk]})
            sdf = spark.createDataFrame(pdf)
            res = sdf.groupBy("i").applyInPandas(_spark_apply, schema="i long, result binary")
            for row in res.collect():
                on_result(units[int(row["i"])], pickle.loads(row["result"]))
