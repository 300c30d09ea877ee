"""The UK job: SparseMSE stepwise (p < 0.02) + 1,000 nonparametric replicates with re-selection, BCa.

Peer figures on this machine (2 cores, idle): SparseMSE estimatepopulation(UKdat, nboot = 1000) 201 s
(11,418 [9,267, 14,307]); with nboot = 200 it took 266 s under load (BCa 9,418-15,036).
Run: python benchmarks/bench_uk.py
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from _common import median_time  # noqa: E402

from darkfigure.estimation import estimate  # noqa: E402

R_SECONDS = 201.0


def main(repeat: int = 3) -> None:
    m, ts, res = median_time(
        lambda: estimate("uk_2013", search="pvalue", ci="nonparametric-conditional", reps=1000, seed=1234), repeat
    )
    print(f"UK: {res}")
    print(f"  model {res.fit.model.label()}; bootstrap outcomes {res.bootstrap.status_counts}; a = {res.bootstrap.acceleration:.5f}")
    print("  reference SparseMSE: 11,418 [9,267, 14,307] (BCa, nboot = 1000, its own random numbers)")
    print(f"stepwise + 1000 nonparametric (re-selection, BCa): median {m:.2f} s (runs {', '.join(f'{t:.2f}' for t in ts)})")
    print(f"  SparseMSE {R_SECONDS:.0f} s -> {R_SECONDS / m:.1f}x (target < 5 s)")
    print(f"  stages: {res.seconds}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
