"""Whole-process time of two bootstrap jobs, for two source trees (before/after a change).

Issue 10 replaced the heuristic "boundary" label of bootstrap replicates by the LP existence
check (screened: only fits with a zero cell fitted below 1e-5 go to the LP, cached by zero
pattern) and made the nonparametric bootstrap resample the estimated population (n random).
This prints the median of `repeat` runs of each CLI command with each source tree given.

Run: python benchmarks/bench_replicate_status.py /path/to/old/src /path/to/new/src [repeat]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

JOBS = {
    "simdat parametric": ["estimate", "cruyff_simdat", "--year", "Y", "--year-degree", "2", "--ci", "parametric",
                          "--reps", "1000", "--seed", "1"],
    "uk pvalue nonparametric": ["estimate", "uk_2013", "--search", "pvalue", "--ci", "nonparametric", "--reps", "1000",
                                "--seed", "1"],
    "uk pvalue nonparametric-conditional": ["estimate", "uk_2013", "--search", "pvalue", "--ci",
                                            "nonparametric-conditional", "--reps", "1000", "--seed", "1"],
}


def run(src: str, args: list[str]) -> tuple[float, int]:
    """Seconds of one CLI run with `src` first on the path, and its exit code."""
    env = dict(os.environ, PYTHONPATH=src)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "darkfigure.cli", *args], env=env, capture_output=True, text=True)
    return time.perf_counter() - t0, p.returncode


def main(srcs: list[str], repeat: int = 3) -> None:
    for name, args in JOBS.items():
        times: dict[str, list[float]] = {src: [] for src in srcs}
        for _ in range(repeat):  # interleaved, so that a change of machine load hits every tree alike
            for src in srcs:
                t, rc = run(src, args)
                times[src].append(t if rc == 0 else float("nan"))
        for src in srcs:
            print(f"{name:38s} {src:28s} median {statistics.median(times[src]):6.2f} s "
                  f"(runs {', '.join(f'{t:.2f}' for t in times[src])})", flush=True)


if __name__ == "__main__":
    rest = sys.argv[1:]
    rep = int(rest.pop()) if rest and rest[-1].isdigit() else 3
    main(rest or [os.path.join(os.path.dirname(__file__), "..", "src")], rep)
