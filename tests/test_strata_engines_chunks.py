"""Local workers take strata a few at a time (issue #16): every unit delivered once, results as with one worker."""

from __future__ import annotations

import numpy as np

from darkfigure.strata import estimate_strata, simulate_strata
from darkfigure.strata.engines import _chunk_size


def test_chunk_size_is_small_and_leaves_tasks_for_every_worker():
    assert _chunk_size(5, 2) == 1
    assert _chunk_size(40, 2) == 2
    assert _chunk_size(10_000, 2) == 4
    for n in (1, 17, 40, 333):
        for jobs in (2, 3, 8):
            assert -(-n // _chunk_size(n, jobs)) >= min(n, 8 * jobs)  # at least 8 tasks a worker when possible


def test_strata_in_chunks_give_the_one_worker_results():
    sim = simulate_strata(8, 5, lists=3, seed=11)  # 40 strata: 2 a task with 2 workers
    kw = dict(by="region,period", method="loglinear", reps=20, search="none", seed=4)
    one = estimate_strata(sim.persons, n_jobs=1, **kw)
    two = estimate_strata(sim.persons, n_jobs=2, **kw)
    assert two.counts["computed"] == one.counts["computed"] == 40
    cols = ["region", "period", "observed", "status"]
    assert one.table[cols].equals(two.table[cols])
    for c in ("nhat", "lower", "upper"):
        np.testing.assert_allclose(two.table[c].to_numpy(float), one.table[c].to_numpy(float), rtol=1e-12)
    np.testing.assert_allclose(two.totals["nhat"].to_numpy(float), one.totals["nhat"].to_numpy(float), rtol=1e-12)
