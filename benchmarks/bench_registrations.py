"""Synthetic registrations at scale: generate about 1,000,000 (clearing_house x 125), then pseudonymise them.

Prints wall times and peak memory; asserts nothing. L2's linkage benchmark uses the same generator.
Run: python benchmarks/bench_registrations.py [scale]
"""

from __future__ import annotations

import os
import resource
import sys
import time
from datetime import date

sys.path.insert(0, os.path.dirname(__file__))

from darkfigure.linkage import pseudonymise, simulate_registrations  # noqa: E402


def _peak_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # ru_maxrss is in KiB on Linux


def main(scale: float = 125.0) -> None:
    t0 = time.perf_counter()
    sim = simulate_registrations("clearing_house", seed=2024, scale=scale, today=date(2026, 1, 1))
    t1 = time.perf_counter()
    r = sim.registrations
    print(f"generate: {len(r):,} registrations of {len(sim.persons):,} persons by {len(sim.organisations)} "
          f"organisations in {t1 - t0:.1f} s (peak memory so far {_peak_gb():.2f} GB)")
    t2 = time.perf_counter()
    p = pseudonymise(r, b"benchmark key, not a secret 0123456789")
    t3 = time.perf_counter()
    print(f"pseudonymise: {len(p):,} registrations in {t3 - t2:.1f} s "
          f"({len(p) / (t3 - t2):,.0f} per second; peak memory {_peak_gb():.2f} GB)")
    for c in ("bf_surname", "tok_surname", "tok_block_fn_sn_sorted"):
        print(f"  distinct {c}: {p[c].nunique():,}")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 125.0)
